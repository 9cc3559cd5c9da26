package devevm

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Mnemonic is the development mnemonic of Hardhat and Anvil. Its keys are
// public knowledge: they hold value on development chains only.
const Mnemonic = "test test test test test test test test test test test junk"

// NumAccounts is how many of Mnemonic's accounts the chain funds, as
// Hardhat and Anvil do.
const NumAccounts = 10

// Account is a funded development account.
//
// Security: Key is one of Mnemonic's keys, known to everyone (or the
// caller's own key in Config.Owner); never use it on a real chain.
type Account struct {
	Address common.Address
	Key     *ecdsa.PrivateKey
}

// DevAccounts returns Mnemonic's first NumAccounts accounts, at the
// derivation paths m/44'/60'/0'/0/i that Hardhat, Anvil, viem's
// mnemonicToAccount and MetaMask use.
func DevAccounts() ([]Account, error) {
	accts := make([]Account, NumAccounts)
	for i := range accts {
		key, err := DeriveKey(Mnemonic, "", uint32(i))
		if err != nil {
			return nil, err
		}
		accts[i] = Account{Address: crypto.PubkeyToAddress(key.PublicKey), Key: key}
	}
	return accts, nil
}

// hardened marks a hardened BIP-32 index.
const hardened = 1 << 31

// DeriveKey returns the secp256k1 key of account index of a BIP-39
// mnemonic and passphrase, at the Ethereum path m/44'/60'/0'/0/index:
// the seed is PBKDF2-HMAC-SHA512(mnemonic, "mnemonic" ‖ passphrase, 2048
// rounds, 64 bytes) (BIP-39), and the key is derived from it along the
// path as BIP-32 specifies.
//
// The mnemonic's words are not checked against the BIP-39 word list (a
// typo gives other keys, not an error), and only ASCII mnemonics and
// passphrases are taken, whose NFKD normalization BIP-39 asks for is
// themselves.
func DeriveKey(mnemonic, passphrase string, index uint32) (*ecdsa.PrivateKey, error) {
	if !ascii(mnemonic) || !ascii(passphrase) {
		return nil, errors.New("derive key: only ASCII mnemonics and passphrases are supported")
	}
	if index >= hardened {
		return nil, fmt.Errorf("derive key: account index %d out of range", index)
	}
	seed, err := pbkdf2.Key(sha512.New, mnemonic, []byte("mnemonic"+passphrase), 2048, 64)
	if err != nil {
		return nil, fmt.Errorf("derive key: seed: %w", err)
	}
	key, err := bip32(seed, []uint32{44 + hardened, 60 + hardened, hardened, 0, index})
	if err != nil {
		return nil, fmt.Errorf("derive key %d: %w", index, err)
	}
	return key, nil
}

func ascii(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// errInvalidChild is BIP-32's "proceed with the next index" case, which
// happens with probability below 2^-127 and which the fixed paths here
// cannot skip.
var errInvalidChild = errors.New("BIP-32 derivation gave an invalid key at this path")

// bip32 derives the private key at path from seed (BIP-32, private parent
// to private child).
func bip32(seed []byte, path []uint32) (*ecdsa.PrivateKey, error) {
	n := crypto.S256().Params().N
	i := hmacSHA512([]byte("Bitcoin seed"), seed)
	k, chainCode := new(big.Int).SetBytes(i[:32]), i[32:]
	if k.Sign() == 0 || k.Cmp(n) >= 0 {
		return nil, errInvalidChild
	}
	for _, idx := range path {
		var data []byte
		if idx >= hardened {
			data = append([]byte{0}, k.FillBytes(make([]byte, 32))...)
		} else {
			parent, err := crypto.ToECDSA(k.FillBytes(make([]byte, 32)))
			if err != nil {
				return nil, err
			}
			data = crypto.CompressPubkey(&parent.PublicKey)
		}
		data = binary.BigEndian.AppendUint32(data, idx)
		i := hmacSHA512(chainCode, data)
		il := new(big.Int).SetBytes(i[:32])
		if il.Cmp(n) >= 0 {
			return nil, errInvalidChild
		}
		k = il.Add(il, k).Mod(il, n)
		if k.Sign() == 0 {
			return nil, errInvalidChild
		}
		chainCode = i[32:]
	}
	return crypto.ToECDSA(k.FillBytes(make([]byte, 32)))
}

func hmacSHA512(key, data []byte) []byte {
	m := hmac.New(sha512.New, key)
	m.Write(data)
	return m.Sum(nil)
}
