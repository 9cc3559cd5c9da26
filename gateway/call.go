package gateway

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/internal/streamcopy"
	"github.com/cove-network/cove/receipt"
)

// callRoutes are the mux's patterns of agent calls, for any method.
var callRoutes = []string{"/agents/{id}", "/agents/{id}/{path...}"}

// handleCall is the mux's route for callRoutes; ServeHTTP takes most calls
// to serveCall without the mux (callTarget).
func (s *Server) handleCall(w http.ResponseWriter, r *http.Request) {
	s.serveCall(w, r, r.PathValue("id"))
}

// callTarget returns the {id} the mux would route r to handleCall with,
// for the requests it can tell at a glance: not CONNECT, a clean path
// (the mux redirects others) encoded as Go encodes it (no RawPath, so no
// %2F can hide in a segment), under /agents/ with a segment after it.
// Others go through the mux, which routes them as before.
// TestCallTarget and FuzzCallTarget hold it to the mux's choice.
func callTarget(r *http.Request) (string, bool) {
	const prefix = "/agents/"
	p := r.URL.Path
	if !strings.HasPrefix(p, prefix) || r.Method == http.MethodConnect || r.URL.RawPath != "" {
		return "", false
	}
	id := p[len(prefix):]
	if i := strings.IndexByte(id, '/'); i >= 0 {
		id = id[:i]
	}
	if id == "" {
		return "", false
	}
	// Clean as the mux's cleanPath sees it: path.Clean's, with a trailing
	// slash kept (p has one past the prefix, so c is never "/").
	c := path.Clean(p)
	clean := c == p
	if strings.HasSuffix(p, "/") {
		clean = len(p) == len(c)+1 && p[:len(c)] == c
	}
	if !clean {
		return "", false
	}
	return id, true
}

// serveCall runs a call of agent rawID through the invoker. This is the
// only place where an HTTP request becomes a cove.Call and a cove.Response
// becomes an HTTP response: the agent sees the request at /{path...} on this
// gateway's origin; the receipt covers the path exactly as received here.
func (s *Server) serveCall(w http.ResponseWriter, r *http.Request, rawID string) {
	start := time.Now()
	a, ok := s.agentByID(w, rawID)
	if !ok {
		return
	}
	target, agentTarget, err := splitTarget(r.URL)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	body, status, berr := s.readBody(w, r)
	if berr != nil {
		writeError(w, status, berr.code, berr.msg)
		return
	}
	// Paid after the body is read (a body too large is refused without
	// using up the voucher), before the agent runs.
	pc, pe := s.checkPayment(r, a)
	if pe != nil {
		s.metrics.Call(a.ID.String(), http.StatusPaymentRequired, time.Since(start))
		s.writePaymentRequired(w, a, pe)
		return
	}
	header := r.Header.Clone()
	api.StripReserved(header)
	resp, err := s.invoker.Invoke(r.Context(), a.ID, cove.Call{
		Method: r.Method,
		Path:   target,
		URL:    origin(r) + agentTarget,
		Host:   r.Host,
		Header: cove.Header(header),
		Body:   body,
		// Checked above; a remote worker's link checks it again.
		Payment: r.Header.Get(api.HeaderPayment),
		Worker:  pc.worker,
	})
	if pc.giveBack != nil && notRun(r, resp, err) {
		pc.giveBack()
	}
	if err != nil {
		status := http.StatusInternalServerError
		var ce *cove.Error
		if errors.As(err, &ce) {
			status = ce.Status
		}
		s.metrics.Call(a.ID.String(), status, time.Since(start))
		s.calls.add(a.ID, callRecord{Time: start.UTC(), Method: truncate(r.Method, 16), Status: status, DurationMS: float64(time.Since(start).Microseconds()) / 1000})
		if ce, ok := errors.AsType[*cove.Error](err); ok && ce.Code == api.CodePaymentRequired {
			// The worker refused the voucher (another took it first, or
			// the channel is bound elsewhere): the terms, as here.
			s.workerRefused(w, a, pc, ce)
			return
		}
		s.invokeError(w, r, a.ID, err)
		return
	}
	s.metrics.Call(a.ID.String(), resp.Status, time.Since(start))
	rec := callRecord{Time: start.UTC(), Method: truncate(r.Method, 16), Status: resp.Status, DurationMS: float64(time.Since(start).Microseconds()) / 1000, RequestID: resp.RequestID}
	if !resp.Worker.IsZero() {
		rec.Worker = resp.Worker.String()
	}
	s.calls.add(a.ID, rec)
	s.writeSigned(w, r, resp, "agent "+a.ID.String())
}

// notRunCodes are the refusals of a call no agent ran: no worker held
// the agent's keys or could take it. (worker_failed is not one: the
// worker may have run it; nor is a caller gone away mid-call.)
var notRunCodes = []string{api.CodeWorkerNotProvisioned, api.CodeAgentNotFound, "no_worker", "attestor_pending", "request_too_large",
	api.CodePaymentRequired} // a remote worker's link refused the voucher: nothing ran

// notRun reports whether a call got an answer that says its agent did
// not run, so that its voucher goes back to the caller: one of
// notRunCodes, or the worker's signed 429 (the agent's queue was full;
// it carries Retry-After).
func notRun(r *http.Request, resp *cove.Response, err error) bool {
	if r.Context().Err() != nil {
		return false // the caller went away: the agent may have run
	}
	var ce *cove.Error
	if errors.As(err, &ce) {
		return slices.Contains(notRunCodes, ce.Code)
	}
	return err == nil && resp.Status == http.StatusTooManyRequests && http.Header(resp.Header).Get("Retry-After") != ""
}

// writeSigned writes a signed response (an agent's, or the AI service's;
// what names it in logs): the body with its receipt headers, or a stream
// with its receipt as trailers.
func (s *Server) writeSigned(w http.ResponseWriter, r *http.Request, resp *cove.Response, what string) {
	if resp.Status < 200 || resp.Status > 599 {
		// A worker refuses such statuses from agents (a 1xx would go out
		// as 200, the receipt saying otherwise); one that sends one is
		// broken, and net/http panics on some.
		if resp.Stream != nil {
			resp.Stream.Close()
		}
		s.log.Error("a response with status outside 200-599", "from", what, "request", resp.RequestID, "status", resp.Status)
		writeError(w, http.StatusInternalServerError, "internal", "the worker answered with an invalid status")
		return
	}
	if resp.Stream != nil {
		s.writeStream(w, r, resp)
		return
	}
	if resp.Receipt == nil {
		s.log.Error("a buffered response without a receipt", "from", what, "request", resp.RequestID)
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

// bodyError is why a call's body was not read.
type bodyError struct{ code, msg string }

// readBody reads a call's body under gateway.max_request_bytes; a body
// over it is 413 request_too_large.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, *bodyError) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, 0, nil // net/http's for a request without one (most GETs)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxRequestBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, http.StatusRequestEntityTooLarge, &bodyError{"request_too_large", "the request body is larger than " + strconv.FormatInt(s.cfg.MaxRequestBytes, 10) + " bytes"}
		}
		return nil, http.StatusBadRequest, &bodyError{"bad_request", "read request body: " + err.Error()}
	}
	return body, 0, nil
}

// splitTarget returns the request target of a call as the receipt covers it
// (the escaped path and the raw query, as received) and the part of it the
// agent sees: what follows /agents/{id}, byte for byte ("/" when nothing
// does). The agent's path and query are never decoded and re-encoded, so
// what it sees is exactly what the receipt's requestHash covers:
// /agents/{id}/admin%3Fdebug=1 reaches it as /admin%3Fdebug=1 (not as a
// query), /agents/{id}/%2F..%2Fx as /%2F..%2Fx (not as a parent path).
//
// A target whose query holds "#" is refused: a fragment is never part of a
// request target (RFC 9112, section 3.2), and an agent's URL parser would
// take it out of the query the receipt covers.
//
// Security: the receipt vouches that the agent answered this target; the
// agent must see exactly this target, or the receipt covers a request the
// agent never saw.
func splitTarget(u *url.URL) (target, agentTarget string, err error) {
	target = u.RequestURI()
	path := u.EscapedPath()
	agentTarget, ok := cove.AgentTarget(target)
	if !ok || !strings.HasPrefix(path, "/agents/") || !strings.HasPrefix(target, path) {
		return "", "", fmt.Errorf("request target %q is not under /agents/", truncate(target, 80))
	}
	if strings.Contains(u.RawQuery, "#") {
		return "", "", fmt.Errorf("the request target holds a fragment (#): send the query without it, or escape it as %%23")
	}
	return target, agentTarget, nil
}

// origin is this gateway's origin as the caller reached it.
func origin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// responseHeader copies the agent's headers to w, but for the reserved ones
// (hop-by-hop headers, the length, Cove's own: whatever the invoker, only
// the gateway writes those), applies the shared-origin policy
// (api.SandboxOrigin) and names the invocation. A response without
// Content-Type goes out without one: net/http would otherwise guess one
// from the body, a header the agent never sent and its receipt does not
// cover.
func responseHeader(w http.ResponseWriter, resp *cove.Response) http.Header {
	h := w.Header()
	for k, vs := range resp.Header {
		h[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	api.StripReserved(h)
	api.SandboxOrigin(h)
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = nil // no sniffing
	}
	h.Set(api.HeaderRequestID, resp.RequestID)
	if !resp.Worker.IsZero() {
		h.Set(api.HeaderWorker, resp.Worker.String())
	}
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
	readErr, writeErr := streamcopy.Flushing(w, resp.Stream, r.Method == http.MethodHead)
	if writeErr != nil {
		return // the caller went away
	}
	if readErr != nil {
		s.log.Warn("agent response stream cut", "request", resp.RequestID, "err", readErr)
		panic(http.ErrAbortHandler)
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
