package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	for _, content := range []string{"first", "second, longer"} {
		if err := Write(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("read %q, %v; want %q", got, err, content)
		}
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left %d files behind", len(entries))
	}
	if err := Write(filepath.Join(dir, "missing", "f"), []byte("x")); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

func TestIsTemp(t *testing.T) {
	for name, want := range map[string]bool{
		".tmp-123":        true,
		".tmp-0":          true,
		".tmp-":           false,
		".tmp-12a":        false,
		"tmp-123":         false,
		".tmp-123.json":   false,
		"identity.sealed": false,
		"x.tmp-123":       false,
	} {
		if got := IsTemp(name); got != want {
			t.Errorf("IsTemp(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestClean leaves what a kill -9 between Write's temporary file and its
// rename leaves, and checks that Clean removes only that.
func TestClean(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "identity.sealed")
	if err := Write(target, []byte("kept")); err != nil {
		t.Fatal(err)
	}
	// An interrupted Write: the temporary file as CreateTemp names it.
	tmp, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		t.Fatal(err)
	}
	tmp.WriteString("half")
	tmp.Close()
	others := []string{".tmp-notdigits", "notes.tmp-1", "history.sealed"}
	for _, name := range others {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A directory with a matching name is not a temporary file.
	if err := os.Mkdir(filepath.Join(dir, ".tmp-42"), 0o700); err != nil {
		t.Fatal(err)
	}
	removed, err := Clean(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != tmp.Name() {
		t.Fatalf("removed %q, want [%q]", removed, tmp.Name())
	}
	if _, err := os.Stat(tmp.Name()); !os.IsNotExist(err) {
		t.Fatalf("temp file still there: %v", err)
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != "kept" {
		t.Fatalf("target: %q, %v", b, err)
	}
	for _, name := range append(others, ".tmp-42") {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s was removed: %v", name, err)
		}
	}
	if removed, err := Clean(filepath.Join(dir, "missing")); err != nil || removed != nil {
		t.Fatalf("missing dir: %q, %v", removed, err)
	}
}

// labelSealer is a stand-in TEE for LoadOrSeal's test: it "seals" by
// prefixing the label, and refuses another label.
type labelSealer struct{}

func (labelSealer) Seal(label string, p []byte) ([]byte, error) {
	return append([]byte(label+":"), p...), nil
}

func (labelSealer) Unseal(label string, s []byte) ([]byte, error) {
	rest, ok := strings.CutPrefix(string(s), label+":")
	if !ok {
		return nil, errors.New("wrong label")
	}
	return []byte(rest), nil
}

// TestLoadOrSeal: the first call makes, seals and stores the secret; the
// next returns the same without making one; a file that does not unseal
// is an error and stays as it was.
func TestLoadOrSeal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "k.sealed")
	made := 0
	fresh := func() ([]byte, error) { made++; return []byte("secret"), nil }
	for range 2 {
		got, err := LoadOrSeal(labelSealer{}, "a", path, fresh)
		if err != nil || string(got) != "secret" || made != 1 {
			t.Fatalf("%q %v, made %d", got, err, made)
		}
	}
	if _, err := LoadOrSeal(labelSealer{}, "b", path, fresh); err == nil || made != 1 {
		t.Fatalf("another label: %v, made %d", err, made)
	}
	if b, _ := os.ReadFile(path); string(b) != "a:secret" {
		t.Fatalf("the file became %q", b)
	}
}
