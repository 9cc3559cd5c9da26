package devevm

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestDevAccounts checks the derived accounts against the addresses (and
// account 0's key) that Hardhat and Anvil print at start.
func TestDevAccounts(t *testing.T) {
	accts, err := DevAccounts()
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 10 {
		t.Fatalf("%d accounts, want 10", len(accts))
	}
	known := map[int]string{
		0: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
		1: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
		2: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
		9: "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
	}
	for i, want := range known {
		if got := accts[i].Address.Hex(); got != want {
			t.Errorf("account %d: %s, want %s", i, got, want)
		}
	}
	if got, want := common.Bytes2Hex(crypto.FromECDSA(accts[0].Key)), "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"; got != want {
		t.Errorf("account 0's key %s, want %s", got, want)
	}
	seen := map[common.Address]bool{}
	for i, a := range accts {
		if crypto.PubkeyToAddress(a.Key.PublicKey) != a.Address {
			t.Errorf("account %d: address %s is not its key's", i, a.Address)
		}
		if seen[a.Address] {
			t.Errorf("account %d: %s repeated", i, a.Address)
		}
		seen[a.Address] = true
	}
}

// TestDeriveKeyPassphrase: a passphrase gives other keys; a non-ASCII
// mnemonic is refused rather than derived unnormalized.
func TestDeriveKeyPassphrase(t *testing.T) {
	plain, err := DeriveKey(Mnemonic, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	salted, err := DeriveKey(Mnemonic, "x", 0)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(crypto.FromECDSA(plain), crypto.FromECDSA(salted)) {
		t.Fatal("the passphrase did not change the key")
	}
	if _, err := DeriveKey("tést "+Mnemonic, "", 0); err == nil {
		t.Fatal("a non-ASCII mnemonic was derived")
	}
}
