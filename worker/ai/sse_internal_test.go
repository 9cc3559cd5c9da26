package ai

import "testing"

// TestEventEnd: an SSE event ends at its first blank line, whatever the
// line endings (LF, CRLF, CR); a trailing CR may be half a CRLF.
func TestEventEnd(t *testing.T) {
	for in, want := range map[string]int{
		"data: a\n\n":         9,
		"data: a\r\n\r\ndata": 11,
		"data: a\r\rrest":     9,
		"data: a\n":           -1,
		"data: a\r":           -1,
		"data: a\r\n\r":       -1,
		":x\ndata: a\n\nz":    12,
		"":                    -1,
	} {
		if got := eventEnd([]byte(in)); got != want {
			t.Errorf("eventEnd(%q) = %d, want %d", in, got, want)
		}
	}
}
