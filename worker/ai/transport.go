package ai

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/receipt"
)

// Transport returns a RoundTripper that answers requests to
// http://ai.cove.internal/ in process, as Serve does, metered to the agent
// WithAgent names in the request's context, and passes every other
// request to next. The worker gives it to the sandbox's fetch: an agent's
// LLM calls never leave the TEE and need no egress rule.
func (s *Service) Transport(next http.RoundTripper) http.RoundTripper {
	return &internalTransport{s: s, next: next}
}

// maxAgentRequest bounds a request body an agent sends to ai.cove.internal
// (a gateway's default bound on a call's body).
const maxAgentRequest = 5 << 20

type internalTransport struct {
	s    *Service
	next http.RoundTripper
}

func (t *internalTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != InternalHost && req.URL.Host != InternalHost+":80" {
		return t.next.RoundTrip(req)
	}
	if req.Body != nil {
		defer req.Body.Close()
	}
	if req.URL.Scheme != "http" {
		return nil, fmt.Errorf("%s is served over http:// only (it never leaves the worker)", InternalHost)
	}
	caller, ok := req.Context().Value(callerKey{}).(agentCaller)
	if !ok {
		return nil, fmt.Errorf("%s answers agents running in a worker only", InternalHost)
	}
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(io.LimitReader(req.Body, maxAgentRequest+1))
		if err != nil {
			return nil, err
		}
		if len(b) > maxAgentRequest {
			return nil, fmt.Errorf("%s: the request body is larger than %d bytes", InternalHost, maxAgentRequest)
		}
		body = b
	}
	c := cove.Call{Method: req.Method, Path: req.URL.RequestURI(), URL: req.URL.String(), Host: InternalHost, Header: cove.Header(req.Header.Clone()), Body: body}
	resp, err := t.s.serve(req.Context(), c, &caller)
	if err != nil {
		return nil, err
	}
	h := http.Header(resp.Header).Clone()
	out := &http.Response{StatusCode: resp.Status, Status: strconv.Itoa(resp.Status) + " " + http.StatusText(resp.Status),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h, Request: req}
	if resp.Stream != nil {
		out.ContentLength = -1
		out.Body = resp.Stream // Read and Close; the receipt is in the record
		return out, nil
	}
	if resp.Receipt != nil {
		receipt.SetHeaders(h, *resp.Receipt)
	}
	out.ContentLength = int64(len(resp.Body))
	out.Body = io.NopCloser(bytes.NewReader(resp.Body))
	return out, nil
}
