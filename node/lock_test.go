package node_test

import (
	"errors"
	"testing"

	"github.com/cove-network/cove/node"
)

// TestLockDataDir: a second lock of a data dir fails at once with
// ErrDataDirInUse; once released, it is taken again (the control).
func TestLockDataDir(t *testing.T) {
	dir := t.TempDir()
	release, err := node.LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := node.LockDataDir(dir); !errors.Is(err, node.ErrDataDirInUse) {
		t.Fatalf("second lock: %v, want ErrDataDirInUse", err)
	}
	if other, err := node.LockDataDir(t.TempDir()); err != nil {
		t.Fatalf("control, another dir: %v", err)
	} else {
		other()
	}
	release()
	again, err := node.LockDataDir(dir)
	if err != nil {
		t.Fatalf("control, after release: %v", err)
	}
	again()
}
