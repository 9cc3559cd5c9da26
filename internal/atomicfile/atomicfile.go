// Package atomicfile writes files so that a crash leaves either the old
// content or the new, never a torn file: keys and sealed secrets must not be
// lost half-written.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// tempPrefix starts the name of Write's temporary files; os.CreateTemp
// replaces the pattern's "*" with a decimal number.
const tempPrefix = ".tmp-"

// Write writes b to path atomically: a temporary file (mode 0600) in the
// same directory, fsync, rename over path, fsync of the directory.
func Write(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, tempPrefix+"*")
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

// IsTemp reports whether name (a base name) is one of Write's temporary
// files: ".tmp-" and decimal digits.
func IsTemp(name string) bool {
	digits, ok := strings.CutPrefix(name, tempPrefix)
	if !ok || digits == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Clean removes the temporary files a Write interrupted by a crash left in
// dir (a kill between the temporary file and the rename) and returns the
// paths it removed. Only regular files whose names match IsTemp go; the
// targets of Write never match. A missing dir is not an error. Call it
// before anything in the process writes to dir.
func Clean(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("clean temp files in %s: %w", dir, err)
	}
	var removed []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsTemp(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return removed, fmt.Errorf("clean temp files in %s: %w", dir, err)
		}
		removed = append(removed, path)
	}
	return removed, nil
}

// Sealer seals and unseals data in a TEE (every tee.Platform is one).
type Sealer interface {
	Seal(label string, plaintext []byte) ([]byte, error)
	Unseal(label string, sealed []byte) ([]byte, error)
}

// LoadOrSeal returns the secret kept sealed by s for label at path: the
// file unsealed, or, when there is none, a new secret from fresh, sealed
// and written there first (crash-safe). A file that does not unseal is an
// error: it is never replaced.
//
// Security: the secret exists in plaintext only in this process, inside
// the TEE; the caller clears it after use.
func LoadOrSeal(s Sealer, label, path string, fresh func() ([]byte, error)) ([]byte, error) {
	sealed, err := os.ReadFile(path)
	switch {
	case err == nil:
		plain, err := s.Unseal(label, sealed)
		if err != nil {
			return nil, fmt.Errorf("unseal %s: %w", path, err)
		}
		return plain, nil
	case errors.Is(err, os.ErrNotExist):
		plain, err := fresh()
		if err != nil {
			return nil, err
		}
		if sealed, err = s.Seal(label, plain); err != nil {
			return nil, fmt.Errorf("seal %s: %w", path, err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		if err := Write(path, sealed); err != nil {
			return nil, fmt.Errorf("store %s: %w", path, err)
		}
		return plain, nil
	default:
		return nil, err
	}
}
