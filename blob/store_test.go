package blob

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cove-network/cove/blob/cid"
)

func openStore(t *testing.T, opts ...Option) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "blobs")
	s, err := Open(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// files lists the regular files under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	s, dir := openStore(t)
	for _, content := range [][]byte{{}, []byte("hello world\n"), bytes.Repeat([]byte{0xff}, 1<<20)} {
		id, err := s.Put(content)
		if err != nil {
			t.Fatal(err)
		}
		if id != cid.Of(content) {
			t.Errorf("Put returned %s, want cid.Of(content) %s", id, cid.Of(content))
		}
		if !s.Has(id) {
			t.Errorf("Has(%s) = false after Put", id)
		}
		got, err := s.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, content) {
			t.Errorf("Get(%s) returned %d bytes, want the %d put", id, len(got), len(content))
		}
		want := filepath.Join(dir, id[7:9], id)
		if _, err := os.Stat(want); err != nil {
			t.Errorf("blob not laid out at <dir>/<2 chars after bafkrei>/<cid>: %v", err)
		}
	}
	if got := files(t, dir); len(got) != 3 {
		t.Errorf("store holds files %q, want 3 (no temporary files left)", got)
	}
}

func TestLayoutVector(t *testing.T) {
	s, dir := openStore(t)
	if _, err := s.Put([]byte("hello world\n")); err != nil {
		t.Fatal(err)
	}
	want := []string{"fj/bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"}
	if got := files(t, dir); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("files %q, want %q", got, want)
	}
}

func TestPutIdempotent(t *testing.T) {
	s, dir := openStore(t)
	content := []byte("export default {}")
	cid1, err := s.Put(content)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, cid1[7:9], cid1)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	cid2, err := s.Put(bytes.Clone(content))
	if err != nil {
		t.Fatal(err)
	}
	if cid1 != cid2 {
		t.Errorf("second Put returned %s, want %s", cid2, cid1)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Errorf("second Put of the same bytes replaced the file")
	}
	if got := files(t, dir); len(got) != 1 {
		t.Errorf("files %q, want 1", got)
	}
}

func TestCorruptDetected(t *testing.T) {
	s, dir := openStore(t)
	content := []byte("the real bundle")
	id, err := s.Put(content)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, id[7:9], id)
	for _, bad := range [][]byte{[]byte("the real bundlE"), []byte("the real bundle and more"), {}} {
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(id)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Get of a tampered blob = %q, %v; want ErrCorrupt", got, err)
		}
		if got != nil {
			t.Errorf("Get returned tampered bytes with its error")
		}
	}
	// Putting the real bytes again repairs the copy.
	if _, err := s.Put(content); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(id); err != nil || !bytes.Equal(got, content) {
		t.Errorf("after repair Get = %q, %v", got, err)
	}
}

func TestNotFound(t *testing.T) {
	s, _ := openStore(t)
	id := cid.Of([]byte("never stored"))
	if _, err := s.Get(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(absent) error = %v, want ErrNotFound", err)
	}
	if s.Has(id) {
		t.Errorf("Has(absent) = true")
	}
	for _, bad := range []string{"", "../../etc/passwd", "bafkrei/../../x", strings.ToUpper(id), id + "a"} {
		if _, err := s.Get(bad); !errors.Is(err, cid.ErrInvalid) || errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q) error = %v, want cid.ErrInvalid", bad, err)
		}
		if s.Has(bad) {
			t.Errorf("Has(%q) = true", bad)
		}
	}
}

func TestTooLarge(t *testing.T) {
	s, dir := openStore(t, MaxSize(10))
	if _, err := s.Put(make([]byte, 10)); err != nil {
		t.Fatalf("Put at the limit: %v", err)
	}
	if _, err := s.Put(make([]byte, 11)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Put over the limit error = %v, want ErrTooLarge", err)
	}
	// A file that grew past the cap on disk is not read into memory whole.
	big := make([]byte, 11)
	id := cid.Of(big)
	if err := os.MkdirAll(filepath.Join(dir, id[7:9]), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, id[7:9], id), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(id); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Get of an oversized file error = %v, want ErrTooLarge", err)
	}
	if _, err := Open(dir, MaxSize(0)); err == nil {
		t.Errorf("Open with MaxSize(0) succeeded")
	}
}

func TestDefaultMaxSize(t *testing.T) {
	s, _ := openStore(t)
	if s.maxSize != 16<<20 {
		t.Errorf("default max size %d, want 16 MiB", s.maxSize)
	}
	if _, err := s.Put(make([]byte, 16<<20+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Put of 16 MiB + 1 error = %v, want ErrTooLarge", err)
	}
}

func TestConcurrentPuts(t *testing.T) {
	s, dir := openStore(t)
	const workers, distinct = 16, 8
	shared := bytes.Repeat([]byte("shared bundle "), 4096)
	var wg sync.WaitGroup
	errs := make(chan error, workers*(distinct+1))
	for w := range workers {
		wg.Go(func() {
			for i := range distinct {
				content := fmt.Appendf(nil, "worker %d blob %d", w, i)
				id, err := s.Put(content)
				if err != nil {
					errs <- err
					continue
				}
				if got, err := s.Get(id); err != nil || !bytes.Equal(got, content) {
					errs <- fmt.Errorf("get %s after put: %q, %v", id, got, err)
				}
			}
			if id, err := s.Put(shared); err != nil || id != cid.Of(shared) {
				errs <- fmt.Errorf("put shared: %s, %v", id, err)
			}
			if _, err := s.Get(cid.Of(shared)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := files(t, dir); len(got) != workers*distinct+1 {
		t.Errorf("store holds %d files, want %d (no temporary files left)", len(got), workers*distinct+1)
	}
}

// A second Store on the same directory (another process) sees the blobs.
func TestReopen(t *testing.T) {
	s, dir := openStore(t)
	id, err := s.Put([]byte("persisted"))
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s2.Get(id); err != nil || string(got) != "persisted" {
		t.Errorf("reopened Get = %q, %v", got, err)
	}
}
