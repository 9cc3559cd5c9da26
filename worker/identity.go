package worker

import (
	"io"

	"github.com/cove-network/cove/tee/identity"
)

// IdentityFile is the worker's sealed identity, relative to its directory.
const IdentityFile = "identity.sealed"

// identitySealLabel binds the sealed identity to its purpose.
const identitySealLabel = "worker/identity/v1"

// The worker's identity is a tee/identity key pair; these names keep the
// worker's API.
type (
	// Identity is the worker's identity (see package tee/identity).
	Identity = identity.Identity
	// IdentityKey is a parsed identity public key.
	IdentityKey = identity.Key
	// Sealer seals data to the TEE the worker runs in.
	Sealer = identity.Sealer
)

// Identity encoding constants (see package tee/identity).
const (
	IdentityVersion       = identity.Version
	IdentityPublicKeySize = identity.PublicKeySize
)

// ErrIdentityKey is returned by ParseIdentityKey for bytes that are not an
// identity public key.
var ErrIdentityKey = identity.ErrKey

// LoadIdentity unseals the worker identity at path, or makes and seals a
// new one (see identity.Load).
func LoadIdentity(s Sealer, path string) (id *Identity, created bool, err error) {
	return identity.Load(s, identitySealLabel, path)
}

// NewIdentity makes a new identity from the randomness of r.
func NewIdentity(r io.Reader) (*Identity, error) { return identity.New(r) }

// ParseIdentityKey decodes an identity public key (a worker's
// RegisterWorker.PublicKey).
func ParseIdentityKey(b []byte) (IdentityKey, error) { return identity.ParseKey(b) }
