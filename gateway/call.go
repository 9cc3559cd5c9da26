package gateway

import (
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/receipt"
)

// handleCall routes ANY /agents/{id}/{path...} to the invoker. This is the
// only place where an HTTP request becomes a cove.Call and a cove.Response
// becomes an HTTP response: the agent sees the request at /{path...} on this
// gateway's origin; the receipt covers the path exactly as received here.
func (s *Server) handleCall(w http.ResponseWriter, r *http.Request) {
	a, ok := s.agentFromPath(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxRequestBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "request_too_large", "the request body is larger than "+strconv.FormatInt(s.cfg.MaxRequestBytes, 10)+" bytes")
			return
		}
		writeError(w, http.StatusBadRequest, "bad_request", "read request body: "+err.Error())
		return
	}
	header := r.Header.Clone()
	api.StripReserved(header)
	resp, err := s.invoker.Invoke(r.Context(), a.ID, cove.Call{
		Method: r.Method,
		Path:   r.URL.RequestURI(),
		URL:    agentURL(r),
		Header: cove.Header(header),
		Body:   body,
	})
	if err != nil {
		s.invokeError(w, r, a.ID, err)
		return
	}
	if resp.Stream != nil {
		s.writeStream(w, r, resp)
		return
	}
	if resp.Receipt == nil {
		s.log.Error("invoke agent: a buffered response without a receipt", "agent", a.ID, "request", resp.RequestID)
		writeError(w, http.StatusInternalServerError, "internal", "the worker answered without a receipt")
		return
	}
	h := responseHeader(w, resp)
	receipt.SetHeaders(h, *resp.Receipt)
	h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	w.WriteHeader(resp.Status)
	if r.Method != http.MethodHead {
		w.Write(resp.Body)
	}
}

// agentURL is the URL the agent sees: this gateway's origin as the caller
// reached it, the path after /agents/{id} and the raw query.
func agentURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := scheme + "://" + r.Host + "/" + r.PathValue("path")
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	return u
}

// responseHeader copies the agent's headers to w, but for the reserved ones
// (hop-by-hop headers, the length, Cove's own: whatever the invoker, only
// the gateway writes those), and names the invocation.
func responseHeader(w http.ResponseWriter, resp *cove.Response) http.Header {
	h := w.Header()
	for k, vs := range resp.Header {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	api.StripReserved(h)
	h.Set(api.HeaderRequestID, resp.RequestID)
	return h
}

// writeStream sends a streamed body as it comes, flushing each piece, and
// its receipt as HTTP trailers once the body has ended. A body cut short
// gets no receipt: the response is aborted, so the caller sees a broken
// body rather than a complete one without a signature.
func (s *Server) writeStream(w http.ResponseWriter, r *http.Request, resp *cove.Response) {
	defer resp.Stream.Close()
	h := responseHeader(w, resp)
	h.Del("Content-Length")
	h.Set("Trailer", receipt.HeaderReceipt+", "+receipt.HeaderSignature+", "+receipt.HeaderSigner)
	w.WriteHeader(resp.Status)
	// The head goes out at once: a stream may take long to make its first
	// piece.
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Stream.Read(buf)
		if n > 0 && r.Method != http.MethodHead {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return // the caller went away
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			s.log.Warn("agent response stream cut", "request", resp.RequestID, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	signed, err := resp.Stream.Receipt()
	if err != nil {
		s.log.Error("agent response stream ended without a receipt", "request", resp.RequestID, "err", err)
		panic(http.ErrAbortHandler)
	}
	receipt.SetHeaders(w.Header(), signed)
}

// invokeError answers a call that got no signed response: a *cove.Error as
// it says, anything else as an internal error (logged once).
func (s *Server) invokeError(w http.ResponseWriter, r *http.Request, id cove.AgentID, err error) {
	if r.Context().Err() != nil {
		return // the caller went away
	}
	var ce *cove.Error
	if errors.As(err, &ce) {
		if ce.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ce.RetryAfter.Seconds()))))
		}
		writeError(w, ce.Status, ce.Code, ce.Message)
		return
	}
	s.log.Error("invoke agent", "agent", id, "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "the worker could not run the agent")
}
