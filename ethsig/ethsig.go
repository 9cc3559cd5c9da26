// Package ethsig is Cove's one rule for Ethereum-style secp256k1 signatures
// over 32-byte digests: how they are made and how the signing address is
// recovered. Attestors (receipts), users' and operators' keys
// (transactions), agent owners (Cove-Auth) and the chain all use it, so a
// signature one part accepts every other part accepts too.
//
// The rule: a signature is 65 bytes r ‖ s ‖ v over a digest the caller
// built with a domain of its own (EIP-712 for transactions and receipts).
// [Sign] writes s in the lower half of the group order ("low s", as
// Ethereum has required since EIP-2) and v = 27 or 28, the form Solidity's
// ecrecover, ethers and viem expect. [Recover] accepts v = 27 or 28 and
// also 0 or 1 (the other spelling Ethereum tools write), refuses r or s out
// of range and refuses s in the upper half, so every signature has exactly
// one form apart from the spelling of v. A wire format may be stricter
// about v: receipt headers and Cove-Auth require 27 or 28.
package ethsig

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
)

// Size is the size of a signature: r (32 bytes) ‖ s (32 bytes) ‖ v.
const Size = 65

// ErrBadSignature is wrapped by every Recover error.
var ErrBadSignature = errors.New("bad signature")

// Sign signs a 32-byte digest with priv and returns r ‖ s ‖ v, s in the
// lower half of the group order and v = 27 or 28.
//
// Security: Sign signs whatever digest it is given. Callers pass only
// digests of messages the key's holder means to vouch for, built with a
// domain that cannot be confused with another protocol's (an Ethereum
// transaction, say).
func Sign(priv *ecdsa.PrivateKey, digest cove.Hash) ([Size]byte, error) {
	if priv == nil {
		return [Size]byte{}, errors.New("sign: no key")
	}
	sig, err := crypto.Sign(digest[:], priv) // low s, v = 0 or 1
	if err != nil {
		return [Size]byte{}, fmt.Errorf("sign: %w", err)
	}
	var out [Size]byte
	copy(out[:], sig)
	out[64] += 27
	return out, nil
}

// halfN is half the secp256k1 group order: the largest low s.
var halfN = new(big.Int).Rsh(crypto.S256().Params().N, 1)

// Recover returns the address whose key made sig over digest, under the
// package's rule: v is 27, 28, 0 or 1, r and s are in range and s is in the
// lower half of the group order. Errors wrap ErrBadSignature and say which
// part of the rule failed.
func Recover(digest cove.Hash, sig [Size]byte) (cove.Address, error) {
	_, a, err := RecoverPublicKey(digest, sig)
	return a, err
}

// RecoverPublicKey is Recover that also returns the signer's public key,
// 65 bytes uncompressed: what Verify checks later signatures of the same
// signer against.
func RecoverPublicKey(digest cove.Hash, sig [Size]byte) ([]byte, cove.Address, error) {
	v := sig[64]
	if v >= 27 {
		v -= 27
	}
	if v > 1 {
		return nil, cove.Address{}, fmt.Errorf("%w: v is %d, want 27 or 28 (or 0 or 1)", ErrBadSignature, sig[64])
	}
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:64])
	if s.Cmp(halfN) > 0 {
		return nil, cove.Address{}, fmt.Errorf("%w: s is in the upper half of the group order (a malleable signature; sign with low s)", ErrBadSignature)
	}
	if !crypto.ValidateSignatureValues(v, r, s, true) {
		return nil, cove.Address{}, fmt.Errorf("%w: r or s out of range", ErrBadSignature)
	}
	sig[64] = v
	pub, err := crypto.Ecrecover(digest[:], sig[:])
	if err != nil {
		return nil, cove.Address{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	var a cove.Address
	h := cove.Keccak256(pub[1:])
	copy(a[:], h[12:])
	return pub, a, nil
}

// CheckForm checks that sig has the form Sign makes, without the cost of
// recovering it: v is 27 or 28, r and s are in range and s is in the lower
// half of the group order. Errors wrap ErrBadSignature.
func CheckForm(sig [Size]byte) error {
	if v := sig[64]; v != 27 && v != 28 {
		return fmt.Errorf("%w: v is %d, want 27 or 28", ErrBadSignature, v)
	}
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:64])
	if s.Cmp(halfN) > 0 {
		return fmt.Errorf("%w: s is in the upper half of the group order (a malleable signature; sign with low s)", ErrBadSignature)
	}
	if !crypto.ValidateSignatureValues(sig[64]-27, r, s, true) {
		return fmt.Errorf("%w: r or s out of range", ErrBadSignature)
	}
	return nil
}

// Verify checks that sig, in the form Sign makes (CheckForm), is pub's
// signature of digest, pub a 65-byte uncompressed public key (as
// RecoverPublicKey returns it). It costs less than a Recover when the
// signer's key is known (about 28 µs against 35-40 µs with cgo).
//
// Security: Verify does not check v, which only says which of the two
// keys r and s recover to: a signature with the other v passes Verify and
// fails Recover. A caller that hands the signature on to a Recover (the
// chain's) fixes v first (FixV).
func Verify(pub []byte, digest cove.Hash, sig [Size]byte) error {
	if err := CheckForm(sig); err != nil {
		return err
	}
	if !crypto.VerifySignature(pub, digest[:], sig[:64]) {
		return fmt.Errorf("%w: not the key's signature of the digest", ErrBadSignature)
	}
	return nil
}

// FixV returns sig with the v (27 or 28) under which it recovers to addr,
// or an error wrapping ErrBadSignature when neither does.
func FixV(digest cove.Hash, sig [Size]byte, addr cove.Address) ([Size]byte, error) {
	for _, v := range []byte{27, 28} {
		sig[64] = v
		if got, err := Recover(digest, sig); err == nil && got == addr {
			return sig, nil
		}
	}
	return sig, fmt.Errorf("%w: recovers to %s under neither v", ErrBadSignature, addr)
}

// Reason returns what a Recover error says is wrong with the signature,
// without the "bad signature" its message starts with, for callers that
// wrap it in an error of their own.
func Reason(err error) string {
	return strings.TrimPrefix(err.Error(), ErrBadSignature.Error()+": ")
}

// Address returns the Ethereum address of a public key.
func Address(pub *ecdsa.PublicKey) cove.Address {
	return cove.Address(crypto.PubkeyToAddress(*pub))
}

// TextDigest is the digest personal_sign (EIP-191, version 0x45) signs
// for a text message: keccak256("\x19Ethereum Signed Message:\n" ‖ the
// decimal byte length ‖ text). The AI API's vllm-proxy signatures use it;
// the prefix keeps such a digest apart from any EIP-712 digest.
func TextDigest(text string) cove.Hash {
	return cove.Keccak256([]byte(fmt.Sprintf("\x19Ethereum Signed Message:\n%d", len(text))), []byte(text))
}
