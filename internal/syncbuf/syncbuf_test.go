package syncbuf

import (
	"strings"
	"testing"
)

// TestBuffer: String and Tail return what was written; with Max, writes
// past it are dropped (reported written) and the start is kept; without,
// nothing is dropped (the control).
func TestBuffer(t *testing.T) {
	var all Buffer
	capped := Buffer{Max: 4}
	for _, w := range []string{"abc", "def", "ghi"} {
		for _, b := range []*Buffer{&all, &capped} {
			if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
				t.Fatalf("write %q: %d, %v", w, n, err)
			}
		}
	}
	if all.String() != "abcdefghi" || all.Tail(4) != "fghi" || all.Tail(100) != "abcdefghi" {
		t.Fatalf("unbounded: %q, tail %q", all.String(), all.Tail(4))
	}
	if got := capped.String(); !strings.HasPrefix(got, "abc") || len(got) != 6 {
		t.Fatalf("capped at 4: %q, want the start (the write that crossed the cap kept, later ones dropped)", got)
	}
}
