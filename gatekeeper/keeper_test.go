package gatekeeper

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/tee/sim"
)

func TestOpenPersists(t *testing.T) {
	dir := t.TempDir()
	p, err := sim.Open(filepath.Join(dir, "tee"))
	if err != nil {
		t.Fatal(err)
	}
	k1, err := Open(p, filepath.Join(dir, "keeper"))
	if err != nil {
		t.Fatal(err)
	}
	k2, err := Open(p, filepath.Join(dir, "keeper"))
	if err != nil {
		t.Fatal(err)
	}
	id := cove.AgentID{1}
	if k1.Attestor(keys.DefaultCluster, id) != k2.Attestor(keys.DefaultCluster, id) {
		t.Fatal("reopened keeper has another master key")
	}
	sealed, _ := os.ReadFile(filepath.Join(dir, "keeper", masterFile))
	if bytes.Contains(sealed, k1.master.Bytes()) {
		t.Fatal("master key stored in plaintext")
	}
	// Another TEE cannot open it.
	other, _ := sim.Open(t.TempDir())
	if _, err := Open(other, filepath.Join(dir, "keeper")); err == nil {
		t.Fatal("another TEE opened the sealed master key")
	}
}
