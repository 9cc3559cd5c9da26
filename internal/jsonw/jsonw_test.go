package jsonw

import (
	"encoding/json"
	"math"
	"testing"
)

var strings = []string{
	"", "plain ascii", `quote " and backslash \`, "<script>&amp;</script>",
	"\x00\x01\x1f\x7f", "\b\f\n\r\t", "héllo wörld ✓ 🌊", "\u2028 and \u2029",
	"bad \xff utf-8 \xc3", "\xed\xa0\x80 surrogate", "mixed <\xff>\u2028\"",
}

// TestAppendString: byte for byte what encoding/json writes.
func TestAppendString(t *testing.T) {
	for _, s := range strings {
		want, _ := json.Marshal(s)
		if got := AppendString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("AppendString(%q) = %s, encoding/json writes %s", s, got[1:], want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range strings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Fatalf("AppendString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	})
}

// TestAppendFloat: what encoding/json writes where AppendFloat writes, and
// nothing where Marshal would use an exponent or fail.
func TestAppendFloat(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 0.5, 1.25, 12.345678901234, 1e-6, 999999.999, 1e20, 123456789012345678901, math.Copysign(0, -1)} {
		want, _ := json.Marshal(f)
		got, ok := AppendFloat(nil, f)
		if !ok || string(got) != string(want) {
			t.Errorf("AppendFloat(%v) = %s %v, encoding/json writes %s", f, got, ok, want)
		}
	}
	for _, f := range []float64{1e-7, 1e21, -1e21, 5e-324, math.MaxFloat64, math.Inf(1), math.NaN()} {
		if got, ok := AppendFloat([]byte("x"), f); ok || string(got) != "x" {
			t.Errorf("AppendFloat(%v) wrote %s (%v): Marshal writes an exponent or fails there", f, got[1:], ok)
		}
	}
}
