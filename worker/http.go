package worker

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/cove-network/cove"
)

// ServeAgent answers an HTTP request for agent a. subpath is the part of
// the URL path after /agents/{id} ("/hello"); the agent sees the request at
// that path on the gateway's origin. The response carries the receipt.
func (s *Server) ServeAgent(w http.ResponseWriter, r *http.Request, a cove.Agent, subpath string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxRequestBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeJSONError(w, http.StatusRequestEntityTooLarge, "request_too_large", "the request body is larger than "+strconv.FormatInt(s.cfg.MaxRequestBytes, 10)+" bytes")
			return
		}
		writeJSONError(w, http.StatusBadRequest, "bad_request", "read request body: "+err.Error())
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	url := scheme + "://" + r.Host + subpath
	if r.URL.RawQuery != "" {
		url += "?" + r.URL.RawQuery
	}
	header := r.Header.Clone()
	for _, k := range reservedHeaders {
		header.Del(k)
	}
	resp, err := s.Invoke(r.Context(), a, Call{
		Method:     r.Method,
		RequestURI: r.URL.RequestURI(),
		URL:        url,
		Header:     header,
		Body:       body,
	})
	if err != nil {
		if r.Context().Err() != nil {
			return // the client went away
		}
		if errors.Is(err, ErrNotProvisioned) {
			// Unsigned: the worker holds no key that could sign for the agent.
			w.Header().Set("Retry-After", "1")
			writeJSONError(w, http.StatusServiceUnavailable, CodeNotProvisioned, "this worker has not been provisioned with the agent's keys yet by a gatekeeper; retry shortly")
			return
		}
		s.log.Error("invoke agent", "agent", a.ID, "err", err)
		writeJSONError(w, http.StatusInternalServerError, CodeInternal, "the worker could not run the agent")
		return
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.Body)))
	w.WriteHeader(resp.Status)
	if r.Method != http.MethodHead {
		w.Write(resp.Body)
	}
}

func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	var body ErrorBody
	body.Error.Code, body.Error.Message = code, msg
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(body)
	w.Write(b)
}
