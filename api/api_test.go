package api

import (
	"net/http"
	"slices"
	"testing"
)

// canonicalHeader returns a header with each of names set, failing the
// test for a name that is not canonical: the map deletes that remove them
// (StripReserved, SandboxOrigin) would miss it.
func canonicalHeader(t *testing.T, names []string) http.Header {
	t.Helper()
	h := http.Header{}
	for _, k := range names {
		if c := http.CanonicalHeaderKey(k); c != k {
			t.Errorf("header name %q is not canonical (%q)", k, c)
		}
		h.Add(k, "x")
	}
	return h
}

// TestStripReserved: every reserved header goes, however the sender
// wrote its name, and the others stay.
func TestStripReserved(t *testing.T) {
	h := canonicalHeader(t, reservedHeaders)
	h.Add("connection", "close") // as a caller may write it; Add canonicalizes, as net/http's parser does
	h.Add("cove-receipt", "forged")
	h.Add("Content-Type", "text/plain")
	h.Add("X-Keep", "1")
	StripReserved(h)
	var left []string
	for k := range h {
		left = append(left, k)
	}
	slices.Sort(left)
	if !slices.Equal(left, []string{"Content-Type", "X-Keep"}) {
		t.Errorf("left after StripReserved: %q", left)
	}
	StripReserved(nil) // a nil header is fine
}

// TestSandboxOrigin: the origin-wide headers go however the agent wrote
// their names, the agent's own policy stays before AgentCSP, and nosniff
// replaces the agent's choice.
func TestSandboxOrigin(t *testing.T) {
	h := canonicalHeader(t, originWideHeaders)
	h.Add("set-cookie", "session=stolen")
	h.Add("content-security-policy", "default-src 'self'")
	h.Add("x-content-type-options", "sniff-please")
	h.Add("X-Keep", "1")
	SandboxOrigin(h)
	want := http.Header{
		"Content-Security-Policy": {"default-src 'self'", AgentCSP},
		"X-Content-Type-Options":  {"nosniff"},
		"X-Keep":                  {"1"},
	}
	if len(h) != len(want) {
		t.Errorf("after SandboxOrigin: %q, want %q", h, want)
	}
	for k, v := range want {
		if !slices.Equal(h[k], v) {
			t.Errorf("%s: %q, want %q", k, h[k], v)
		}
	}
}
