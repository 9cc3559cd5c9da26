// Package tee is the interface to a Trusted Execution Environment platform:
// sealing data to the enclave and, in later releases, producing and verifying
// attestation quotes. Platforms live in sub-packages (tee/sim today; tee/tdx
// and tee/sevsnp come with attestation), so adding one is one package.
package tee

import "errors"

// ErrUnseal is returned when sealed data does not open: it was sealed by
// another platform instance, for another label, or was modified.
var ErrUnseal = errors.New("unseal: data was not sealed by this TEE for this label, or was modified")

// Platform is a TEE the node runs in.
type Platform interface {
	// Name identifies the platform ("sim", "tdx", ...).
	Name() string
	// Insecure reports whether the platform gives no hardware protection.
	Insecure() bool
	// Seal encrypts plaintext so that only this TEE instance can Unseal it.
	// label binds the ciphertext to its purpose (e.g. "gatekeeper/master").
	Seal(label string, plaintext []byte) ([]byte, error)
	// Unseal opens what Seal produced for the same label.
	Unseal(label string, sealed []byte) ([]byte, error)
}

// Strength ranks a platform's protection: 0 for the simulated TEE (no
// hardware protection) and platforms this release does not know, 1 for a
// hardware TEE ("tdx", "sev-snp").
func Strength(name string) int {
	switch name {
	case "tdx", "sev-snp":
		return 1
	}
	return 0
}

// Weaker reports whether platform peer protects less than platform own
// (see Strength).
//
// Security: a holder of keys in a hardware TEE never hands them to a peer
// attested by a weaker platform, so a chain whose policy admits the
// simulated TEE (a development chain) cannot drain a hardware gatekeeper.
func Weaker(peer, own string) bool { return Strength(peer) < Strength(own) }
