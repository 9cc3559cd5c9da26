package testnet

import (
	"bytes"
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
