package worker

import "github.com/cove-network/cove/tee/identity"

// IdentityFile is the worker's sealed identity, in the directory New gets.
const IdentityFile = "identity.sealed"

// identitySealLabel binds the sealed identity to its purpose.
const identitySealLabel = "worker/identity/v1"

type (
	// Identity is the worker's identity key pair (see package tee/identity).
	Identity = identity.Identity
	// Sealer seals data to the TEE the worker runs in.
	Sealer = identity.Sealer
)

// LoadIdentity unseals the worker identity at path, or makes and seals a
// new one (see identity.Load). New does this; tests and tools that need a
// worker's id without running it use it too.
func LoadIdentity(s Sealer, path string) (id *Identity, created bool, err error) {
	return identity.Load(s, identitySealLabel, path)
}
