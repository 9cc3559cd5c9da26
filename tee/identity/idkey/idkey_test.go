package idkey

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"errors"
	"strings"
	"testing"
)

// newKey makes a key pair from 64 bytes of seed, as tee/identity does.
func newKey(t testing.TB, seed string) (Key, hpke.PrivateKey) {
	t.Helper()
	b := []byte(strings.Repeat(seed, 64))[:64]
	kem, err := hpke.MLKEM768X25519().DeriveKeyPair(b[32:])
	if err != nil {
		t.Fatal(err)
	}
	sign := ed25519.NewKeyFromSeed(b[:32])
	return Key{Signing: sign.Public().(ed25519.PublicKey), KEM: kem.PublicKey()}, kem
}

func TestLayout(t *testing.T) {
	k, _ := newKey(t, "s")
	b := k.Bytes()
	if len(b) != Size || Size != 1249 || b[0] != Version || Version != 1 ||
		!bytes.Equal(b[1:33], k.Signing) || !bytes.Equal(b[33:], k.KEM.Bytes()) {
		t.Fatalf("key does not follow the documented layout: %d bytes, %x...", len(b), b[:40])
	}
	p, err := Parse(b)
	if err != nil || !p.Signing.Equal(k.Signing) || !bytes.Equal(p.KEM.Bytes(), k.KEM.Bytes()) {
		t.Fatalf("Parse(Bytes()) = %v, %v", p, err)
	}
}

func TestSealOpens(t *testing.T) {
	k, priv := newKey(t, "o")
	ct, err := k.Seal([]byte("info"), []byte("cluster key"))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := hpke.Open(priv, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), []byte("info"), ct)
	if err != nil || string(pt) != "cluster key" {
		t.Fatalf("open: %q, %v", pt, err)
	}
	if _, err := hpke.Open(priv, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), []byte("other info"), ct); err == nil {
		t.Fatal("a ciphertext sealed with one info opened with another")
	}
}

func TestParseRefuses(t *testing.T) {
	k, _ := newKey(t, "s")
	pub := k.Bytes()
	for _, b := range [][]byte{nil, pub[:100], append(pub, 0), append([]byte{2}, pub[1:]...)} {
		if _, err := Parse(b); !errors.Is(err, ErrInvalid) {
			t.Errorf("%d bytes: %v", len(b), err)
		}
	}
}

func FuzzParse(f *testing.F) {
	k, _ := newKey(f, "f")
	pub := k.Bytes()
	f.Add(pub)
	f.Add(pub[:33])
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if len(k.Signing) != ed25519.PublicKeySize || !bytes.Equal(k.KEM.Bytes(), b[33:]) || !bytes.Equal(k.Bytes(), b) {
			t.Fatal("parsed key does not hold the input's halves")
		}
	})
}
