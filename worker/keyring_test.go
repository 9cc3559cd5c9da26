package worker

import (
	"crypto/rand"
	"testing"

	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/tee/identity"
	"github.com/cove-network/cove/tee/identity/idkey"
)

// TestKeyRingChecksPublishedKey: a provisioned cluster key opens only if it
// is the epoch's published key, so whoever sends ProvisionKey cannot make a
// worker sign with a key they chose.
func TestKeyRingChecksPublishedKey(t *testing.T) {
	id, err := identity.New(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ring := NewKeyRing(id)
	pk, err := idkey.Parse(id.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	seal := func(c keys.Cluster, epoch uint64) []byte {
		b, err := pk.Seal(keys.ProvisionInfo("worker", chain.WorkerID(id.PublicKey()), epoch), c.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	m1, _ := keys.NewMaster(rand.Reader)
	m2, _ := keys.NewMaster(rand.Reader)
	honest, forged := m1.Cluster(keys.DefaultCluster), m2.Cluster(keys.DefaultCluster)
	published, _ := honest.PublicKey()

	if err := ring.Add(0, seal(forged, 0), published); err == nil {
		t.Fatal("a cluster key other than the published one was accepted")
	}
	if ring.Has(0) {
		t.Fatal("the refused key is in the ring")
	}
	if err := ring.Add(0, seal(honest, 0), published); err != nil {
		t.Fatalf("the published key was refused: %v", err)
	}
	if !ring.Has(0) || ring.Len() != 1 {
		t.Fatal("the published key is not in the ring")
	}
	if err := ring.Add(1, seal(honest, 0), published); err == nil {
		t.Fatal("a key sealed for epoch 0 opened as epoch 1")
	}
}
