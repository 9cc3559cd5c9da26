package worker

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/keys"
)

// KeyRing holds the cluster keys gatekeepers provisioned to the worker's
// identity (chain ProvisionKey records): it opens each with the identity
// inside the TEE and keeps it by epoch.
type KeyRing struct {
	id        *Identity
	recipient cove.Hash

	mu       sync.RWMutex
	clusters map[uint64]keys.Cluster
}

// NewKeyRing returns an empty key ring for the worker identity id.
func NewKeyRing(id *Identity) *KeyRing {
	return &KeyRing{id: id, recipient: cove.Keccak256(id.PublicKey()), clusters: map[uint64]keys.Cluster{}}
}

// Cluster implements Keys.
func (k *KeyRing) Cluster(epoch uint64) (keys.Cluster, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	c, ok := k.clusters[epoch]
	return c, ok
}

// Has reports whether the ring holds epoch's key.
func (k *KeyRing) Has(epoch uint64) bool {
	_, ok := k.Cluster(epoch)
	return ok
}

// Len returns how many epochs' keys the ring holds.
func (k *KeyRing) Len() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return len(k.clusters)
}

// Add opens a cluster key of epoch sealed to the worker's identity (the
// Sealed field of a ProvisionKey for this worker) and keeps it, if its HPKE
// public key is published, the epoch's public key on chain.
//
// Security: the plaintext key exists only in this process's memory. The
// check against the published key refuses a key that whoever sent the
// ProvisionKey chose (and so knows) instead of the gatekeepers' key.
func (k *KeyRing) Add(epoch uint64, sealed, published []byte) error {
	b, err := k.id.Open(keys.ProvisionInfo("worker", k.recipient, epoch), sealed)
	if err != nil {
		return fmt.Errorf("epoch %d cluster key: %w", epoch, err)
	}
	defer clear(b)
	c, err := keys.ClusterFromBytes(b)
	if err != nil {
		return fmt.Errorf("epoch %d: %w", epoch, err)
	}
	pub, err := c.PublicKey()
	if err != nil {
		return fmt.Errorf("epoch %d: %w", epoch, err)
	}
	if !bytes.Equal(pub, published) {
		return fmt.Errorf("epoch %d: the provisioned cluster key is not the epoch's published key; refusing it", epoch)
	}
	k.mu.Lock()
	k.clusters[epoch] = c
	k.mu.Unlock()
	return nil
}

// Epochs returns the epochs whose keys the ring holds, in order.
func (k *KeyRing) Epochs() []uint64 {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]uint64, 0, len(k.clusters))
	for e := range k.clusters {
		out = append(out, e)
	}
	slices.Sort(out)
	return out
}
