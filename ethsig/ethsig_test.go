package ethsig_test

import (
	"bytes"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/ethsig"
)

// key is a fixed test key: its signatures are deterministic (RFC 6979).
func key(t *testing.T) (*cove.Address, func(cove.Hash) [65]byte) {
	t.Helper()
	priv, err := crypto.HexToECDSA("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
	if err != nil {
		t.Fatal(err)
	}
	addr := ethsig.Address(&priv.PublicKey)
	return &addr, func(d cove.Hash) [65]byte {
		sig, err := ethsig.Sign(priv, d)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
}

var n = crypto.S256().Params().N

// highS returns the other valid form of sig: s' = n - s with v flipped.
func highS(sig [65]byte) [65]byte {
	s := new(big.Int).SetBytes(sig[32:64])
	s.Sub(n, s)
	s.FillBytes(sig[32:64])
	sig[64] = 27 + 28 - sig[64] // 27 <-> 28
	return sig
}

func TestSignRecover(t *testing.T) {
	addr, sign := key(t)
	if got := addr.String(); got != "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23" {
		t.Fatalf("address %s", got)
	}
	for i := range 32 {
		d := cove.Keccak256([]byte{byte(i)})
		sig := sign(d)
		if v := sig[64]; v != 27 && v != 28 {
			t.Fatalf("v = %d, want 27 or 28", v)
		}
		if new(big.Int).SetBytes(sig[32:64]).Cmp(new(big.Int).Rsh(n, 1)) > 0 {
			t.Fatal("Sign wrote a high s")
		}
		got, err := ethsig.Recover(d, sig)
		if err != nil || got != *addr {
			t.Fatalf("Recover = %s, %v; want %s", got, err, addr)
		}
		// The same signature with v spelled 0/1 recovers the same address.
		alt := sig
		alt[64] -= 27
		if got, err := ethsig.Recover(d, alt); err != nil || got != *addr {
			t.Fatalf("Recover with v=%d: %s, %v", alt[64], got, err)
		}
		// go-ethereum agrees on the signer.
		pub, err := crypto.SigToPub(d[:], alt[:])
		if err != nil || ethsig.Address(pub) != *addr {
			t.Fatalf("go-ethereum recovers %v, %v", pub, err)
		}
	}
}

// TestRecoverRefuses: each refusal changes one thing of a signature that
// recovers (the control), and fails for the reason it names.
func TestRecoverRefuses(t *testing.T) {
	addr, sign := key(t)
	d := cove.Keccak256([]byte("cove"))
	good := sign(d)
	if got, err := ethsig.Recover(d, good); err != nil || got != *addr {
		t.Fatalf("control: %s, %v", got, err)
	}
	// The high-s twin is a valid ECDSA signature for the same key (go-ethereum's
	// SigToPub recovers it), so only the low-s rule can refuse it.
	twin := highS(good)
	raw := twin
	raw[64] -= 27
	if pub, err := crypto.SigToPub(d[:], raw[:]); err != nil || ethsig.Address(pub) != *addr {
		t.Fatalf("the high-s twin should recover the key without the rule: %v", err)
	}
	zeroR := good
	clear(zeroR[:32])
	cases := []struct {
		name string
		sig  [65]byte
		want string
	}{
		{"high s", twin, "upper half"},
		{"v 29", func() [65]byte { s := good; s[64] = 29; return s }(), "v is 29"},
		{"v 2", func() [65]byte { s := good; s[64] = 2; return s }(), "v is 2"},
		{"r zero", zeroR, "out of range"},
	}
	for _, c := range cases {
		_, err := ethsig.Recover(d, c.sig)
		if !errors.Is(err, ethsig.ErrBadSignature) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrBadSignature saying %q", c.name, err, c.want)
		}
	}
}

func TestSignNoKey(t *testing.T) {
	if _, err := ethsig.Sign(nil, cove.Hash{}); err == nil {
		t.Fatal("Sign with no key succeeded")
	}
}

func TestReason(t *testing.T) {
	_, err := ethsig.Recover(cove.Hash{}, [65]byte{64: 29})
	if got := ethsig.Reason(err); got != "v is 29, want 27 or 28 (or 0 or 1)" {
		t.Fatalf("Reason = %q", got)
	}
}

// TestVerify: Verify passes the key's signature of the digest and refuses
// another key's, another digest, a high s; a flipped v passes Verify (v
// names no key there) but recovers to another address, and FixV gives it
// back the v that recovers to the signer.
func TestVerify(t *testing.T) {
	k, _ := crypto.GenerateKey()
	other, _ := crypto.GenerateKey()
	d := cove.Keccak256([]byte("voucher"))
	sig, err := ethsig.Sign(k, d)
	if err != nil {
		t.Fatal(err)
	}
	pub, addr, err := ethsig.RecoverPublicKey(d, sig)
	if err != nil || addr != ethsig.Address(&k.PublicKey) || !bytes.Equal(pub, crypto.FromECDSAPub(&k.PublicKey)) {
		t.Fatalf("RecoverPublicKey: %x %s %v", pub, addr, err)
	}
	if err := ethsig.Verify(pub, d, sig); err != nil {
		t.Fatalf("genuine: %v", err)
	}
	if err := ethsig.Verify(crypto.FromECDSAPub(&other.PublicKey), d, sig); err == nil {
		t.Error("another key's signature verified")
	}
	if err := ethsig.Verify(pub, cove.Keccak256([]byte("other")), sig); err == nil {
		t.Error("a signature of another digest verified")
	}
	high := sig
	s := new(big.Int).SetBytes(sig[32:64])
	new(big.Int).Sub(crypto.S256().Params().N, s).FillBytes(high[32:64])
	if err := ethsig.Verify(pub, d, high); err == nil {
		t.Error("a high-s signature verified")
	}
	zero := sig
	zero[64] -= 27 // Recover's other spelling of v; not Sign's form
	if err := ethsig.Verify(pub, d, zero); err == nil {
		t.Error("a signature with v 0 or 1 verified")
	}
	flipped := sig
	flipped[64] ^= 27 ^ 28
	if err := ethsig.Verify(pub, d, flipped); err != nil {
		t.Fatalf("flipped v: %v", err)
	}
	if got, err := ethsig.Recover(d, flipped); err == nil && got == addr {
		t.Fatal("a flipped v recovered to the signer")
	}
	fixed, err := ethsig.FixV(d, flipped, addr)
	if err != nil || fixed != sig {
		t.Fatalf("FixV: %x %v", fixed, err)
	}
	if _, err := ethsig.FixV(d, sig, ethsig.Address(&other.PublicKey)); err == nil {
		t.Error("FixV found a v for another signer")
	}
}
