package gateway_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/gateway"
)

// runGateway serves a gateway with cfg through its own Run (so the
// http.Server's settings apply) and returns its base URL.
func runGateway(t *testing.T, cfg gateway.Config, inv gateway.Invoker) string {
	t.Helper()
	s, _ := newTestGateway(t, cfg, inv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String()
}

// TestOversizedRequests: headers over max_header_bytes (431) and bodies over
// the bounds (413) are answered in the error envelope with a request id,
// also in Cove-Request-Id, like every gateway error; the same requests
// within the bounds pass (the controls).
func TestOversizedRequests(t *testing.T) {
	cfg := gateway.DefaultConfig()
	cfg.MaxRequestBytes = 1 << 10
	cfg.MaxBundleBytes = 1 << 10
	base := runGateway(t, cfg, invokerFunc(func(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error) {
		return signedResponse(id, c, 200, nil, []byte("ok")), nil
	}))
	call := base + "/agents/" + knownAgent.String() + "/x"
	cases := []struct {
		name, method, url string
		header            int // bytes of one extra header's value
		body              int
		status            int
		code              string
	}{
		{"headers within the bound", "GET", call, gateway.DefaultMaxHeaderBytes - 1024, 0, 200, ""},
		{"headers over the bound", "GET", call, gateway.DefaultMaxHeaderBytes + 1, 0, 431, "request_headers_too_large"},
		{"headers over the bound, another route", "GET", base + "/v1/keys", gateway.DefaultMaxHeaderBytes + 1, 0, 431, "request_headers_too_large"},
		{"headers far over the bound", "GET", call, 900 << 10, 0, 431, "request_headers_too_large"},
		{"call body within the bound", "POST", call, 0, 1 << 10, 200, ""},
		{"call body over the bound", "POST", call, 0, 1<<10 + 1, 413, "request_too_large"},
		{"bundle over the bound", "PUT", base + "/v1/blobs", 0, 1<<10 + 1, 413, "bundle_too_large"},
		{"no route", "GET", base + "/nowhere", 0, 0, 404, "not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, c.url, bytes.NewReader(make([]byte, c.body)))
			if c.header > 0 {
				req.Header.Set("X-Big", strings.Repeat("a", c.header))
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Fatalf("%d %q, want %d", resp.StatusCode, body, c.status)
			}
			if c.code == "" {
				return
			}
			eb := decodeErrorBody(t, body)
			if eb.Error.Code != c.code || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%s %s, want %s in the envelope", resp.Header.Get("Content-Type"), body, c.code)
			}
			if id := resp.Header.Get(api.HeaderRequestID); id == "" || eb.RequestID != id {
				t.Fatalf("request id %q in the body, %q in %s: want the same, not empty", eb.RequestID, id, api.HeaderRequestID)
			}
		})
	}
}
