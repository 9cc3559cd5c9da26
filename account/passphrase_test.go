package account

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// pipe returns a stdin that is not a terminal.
func pipe(t *testing.T) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString("typed\n")
	t.Cleanup(func() { r.Close(); w.Close() })
	return r
}

func TestReadPassphrase(t *testing.T) {
	for content, want := range map[string]string{
		"secret":             "secret",
		"secret\n":           "secret",
		"secret\r\nsecond\n": "secret",
		" with spaces \n":    " with spaces ",
		"":                   "",
	} {
		got, err := ReadPassphrase(writeFile(t, content), true, pipe(t), nil)
		if err != nil || got != want {
			t.Errorf("ReadPassphrase(file %q) = %q, %v; want %q", content, got, err, want)
		}
	}
	var out bytes.Buffer
	for _, prompt := range []bool{true, false} {
		got, err := ReadPassphrase("", prompt, pipe(t), &out)
		if err != nil || got != "" {
			t.Errorf("ReadPassphrase without a terminal (prompt %v) = %q, %v; want \"\"", prompt, got, err)
		}
	}
	if got, err := ReadPassphrase("", true, nil, &out); err != nil || got != "" {
		t.Errorf("ReadPassphrase with no stdin = %q, %v; want \"\"", got, err)
	}
	if out.Len() != 0 {
		t.Errorf("prompted without a terminal: %q", out.String())
	}
	if _, err := ReadPassphrase(filepath.Join(t.TempDir(), "missing"), true, nil, nil); err == nil {
		t.Error("ReadPassphrase with a missing file succeeded")
	}
}

func TestReadNewPassphrase(t *testing.T) {
	got, err := ReadNewPassphrase(writeFile(t, "secret\n"), nil, nil)
	if err != nil || got != "secret" {
		t.Errorf("ReadNewPassphrase(file) = %q, %v; want secret", got, err)
	}
	if _, err := ReadNewPassphrase(writeFile(t, "\nsecond"), nil, nil); err == nil {
		t.Error("ReadNewPassphrase accepted an empty first line")
	}
	if _, err := ReadNewPassphrase("", pipe(t), nil); !errors.Is(err, ErrNoTerminal) {
		t.Errorf("ReadNewPassphrase without a terminal = %v; want ErrNoTerminal", err)
	}
}
