package testnet

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"testing"
)

// Rewrite changes one response of a gateway: it returns the new body (and
// may change r's headers), or nil to leave the response alone.
type Rewrite func(r *http.Response, body []byte) []byte

// LyingGateway starts a reverse proxy in front of the gateway at base that
// applies rewrite to every response, and returns its URL. Tests use it as
// a dishonest gateway (or a man in the middle) beside the honest one, to
// show that a client refuses what it must not trust. It stops with t.
func LyingGateway(t testing.TB, base string, rewrite Rewrite) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.ModifyResponse = func(r *http.Response) error {
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return err
		}
		if out := rewrite(r, body); out != nil {
			body = out
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL
}

// Fault is how a FaultyGateway fails a transaction's submission
// (POST /v1/chain/tx).
type Fault int

const (
	// DropBeforeForward closes the client's connection without forwarding
	// the request: the transaction never reaches the gateway.
	DropBeforeForward Fault = iota + 1
	// DropAfterForward forwards the request, waits for the gateway's
	// answer (the transaction's block) and closes the client's connection
	// instead of passing it on: committed, and the client gets EOF.
	DropAfterForward
	// HoldAfterForward forwards the request and holds the gateway's answer
	// until the client gives up (a timeout), then closes the connection.
	HoldAfterForward
)

// FaultyGateway starts a proxy in front of the gateway at base that fails
// every POST /v1/chain/tx with fault and passes every other request on,
// and returns its URL. It stops with t.
func FaultyGateway(t testing.TB, base string, fault Fault) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chain/tx" {
			p.ServeHTTP(w, r)
			return
		}
		if fault != DropBeforeForward {
			// The gateway's answer is recorded, never sent: the forwarded
			// request runs to its end whatever the client does.
			p.ServeHTTP(httptest.NewRecorder(), r.Clone(context.WithoutCancel(r.Context())))
		}
		if fault == HoldAfterForward {
			<-r.Context().Done()
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("faulty gateway: hijack: %v", err)
			return
		}
		conn.Close()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
