package guest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlatformWithoutConfigfsTSM(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "tsm", "report")
	_, err := Open(missing)
	if !errors.Is(err, ErrNoConfigfsTSM) || !strings.Contains(err.Error(), "configfs-tsm not available") || !strings.Contains(err.Error(), missing) {
		t.Fatalf("Open(%s) = %v, want a configfs-tsm not available error naming the directory", missing, err)
	}

	// The directory vanishes after Open (configfs unmounted): Quote says so.
	dir := filepath.Join(t.TempDir(), "report")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "tdx" || p.Insecure() {
		t.Fatalf("Name %q Insecure %v", p.Name(), p.Insecure())
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Quote([64]byte{1}); !errors.Is(err, ErrNoConfigfsTSM) {
		t.Fatalf("Quote = %v, want ErrNoConfigfsTSM", err)
	}
}

// TestPlatformNotConfigfs runs Quote on a plain directory, which is not
// configfs: the kernel would create outblob, here nothing does. Quote
// must fail cleanly and remove its report entry.
func TestPlatformNotConfigfs(t *testing.T) {
	dir := t.TempDir()
	p, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Quote([64]byte{1}); err == nil {
		t.Fatal("Quote on a plain directory succeeded")
	}
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Fatalf("Quote left %s behind", left[0].Name())
	}
}
