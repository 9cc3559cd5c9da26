package api

import (
	"net/http"
	"slices"
	"testing"
)

// TestStripReserved: every reserved header goes, however the sender
// wrote its name, and the others stay.
func TestStripReserved(t *testing.T) {
	h := http.Header{}
	for _, k := range reservedHeaders {
		if c := http.CanonicalHeaderKey(k); c != k {
			t.Errorf("reserved header %q is not canonical (%q): StripReserved would miss it", k, c)
		}
		h.Add(k, "x")
	}
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
