package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// LockFile is the file in a data dir whose lock says a process runs on it.
const LockFile = "LOCK"

// ErrDataDirInUse is wrapped by LockDataDir's error when another process
// (or another node of this one) holds the data dir.
var ErrDataDirInUse = errors.New("data dir in use")

// LockDataDir takes the lock of data dir dir (creating it), so that a second
// node on the same dir fails at once, saying so, rather than after a store's
// timeout. The lock goes with the process if it dies; release drops it.
func LockDataDir(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			abs, _ := filepath.Abs(dir)
			return nil, fmt.Errorf("%w: %s is used by another running cove (its %s is locked); stop it, or give this one another data dir (cove dev --data-dir, or another cove node --home)", ErrDataDirInUse, abs, LockFile)
		}
		return nil, fmt.Errorf("lock data dir %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}
