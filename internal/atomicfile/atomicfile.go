// Package atomicfile writes files so that a crash leaves either the old
// content or the new, never a torn file: keys and sealed secrets must not be
// lost half-written.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes b to path atomically: a temporary file (mode 0600) in the
// same directory, fsync, rename over path, fsync of the directory.
func Write(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every file system syncs directories
		d.Close()
	}
	return nil
}
