// Package gatekeeper is Cove's key manager: it holds the master key inside
// its TEE and hands out only what a role needs (a cluster key for a worker of
// that cluster), never the master key itself.
//
// This release keeps the master key on the local node, sealed to the node's
// TEE in the data directory, and provisions the local worker in-process. The
// attestation issue moves provisioning onto the chain: workers prove their
// TEE with a quote and receive their cluster key sealed to their attested key.
package gatekeeper

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/tee"
)

// sealLabel binds the sealed master key to its purpose.
const sealLabel = "gatekeeper/master/v1"

// masterFile is the sealed master key, relative to the keeper's directory.
const masterFile = "master.sealed"

// Keeper holds the master key.
type Keeper struct {
	master keys.Master
}

// Open unseals the master key from dir with platform, or makes a new one
// inside the TEE on first start and stores it sealed. It never writes the key
// in plaintext.
func Open(platform tee.Platform, dir string) (*Keeper, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open keeper: %w", err)
	}
	path := filepath.Join(dir, masterFile)
	sealed, err := os.ReadFile(path)
	switch {
	case err == nil:
		b, err := platform.Unseal(sealLabel, sealed)
		if err != nil {
			return nil, fmt.Errorf("open keeper: master key in %s: %w", path, err)
		}
		m, err := keys.MasterFromBytes(b)
		if err != nil {
			return nil, fmt.Errorf("open keeper: %w", err)
		}
		return &Keeper{master: m}, nil
	case errors.Is(err, os.ErrNotExist):
		m, err := keys.NewMaster(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("open keeper: %w", err)
		}
		sealed, err := platform.Seal(sealLabel, m.Bytes())
		if err != nil {
			return nil, fmt.Errorf("open keeper: seal master key: %w", err)
		}
		if err := writeFileSync(path, sealed); err != nil {
			return nil, fmt.Errorf("open keeper: %w", err)
		}
		return &Keeper{master: m}, nil
	default:
		return nil, fmt.Errorf("open keeper: %w", err)
	}
}

// ClusterKey returns the key of one cluster, for a worker of that cluster.
//
// Security: the caller must be a worker inside an attested TEE. In this
// release that is the local worker of the same process.
func (k *Keeper) ClusterKey(id keys.ClusterID) keys.Cluster { return k.master.Cluster(id) }

// Attestor returns the attestor address of an agent of a cluster: the
// address that signs its receipts and that contracts pin.
func (k *Keeper) Attestor(cluster keys.ClusterID, agent cove.AgentID) cove.Address {
	return k.master.Cluster(cluster).Agent(agent).Attestor().Address()
}

func writeFileSync(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
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
	return os.Rename(tmp.Name(), path)
}
