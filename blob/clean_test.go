package blob

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestCleanTemp: a stale temp file of an interrupted Put is removed; the
// controls stay: a fresh temp file (another process's write in progress),
// a stored blob, and (as old) a directory named like a temp file and a file
// of another name.
func TestCleanTemp(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Put([]byte("bundle"))
	if err != nil {
		t.Fatal(err)
	}
	shard := filepath.Dir(s.path(id))
	now := time.Now()
	stale := filepath.Join(shard, ".put-123")
	fresh := filepath.Join(shard, ".put-456")
	other := filepath.Join(shard, "notes.put-1")
	for _, p := range []string{stale, fresh, other} {
		if err := os.WriteFile(p, []byte("half a write"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(shard, ".put-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	old := now.Add(-2 * time.Minute)
	for _, p := range []string{stale, other, filepath.Join(shard, ".put-dir")} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := s.CleanTemp(time.Minute, now)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{stale}) {
		t.Fatalf("removed %q, want only %s", removed, stale)
	}
	for _, p := range []string{fresh, other, filepath.Join(shard, ".put-dir"), s.path(id)} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s should stay: %v", p, err)
		}
	}
	if b, err := s.Get(id); err != nil || string(b) != "bundle" {
		t.Fatalf("the stored blob: %q, %v", b, err)
	}
}
