package contracts

import (
	"crypto/ecdsa"
	"fmt"
	"math/big"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/ethsig"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Signer signs with an EVM account's secp256k1 key: an account.Signer from
// the keystore, or KeySigner. Sign returns r ‖ s ‖ v with v 27 or 28 and a
// low s.
type Signer interface {
	Address() cove.Address
	Sign(digest cove.Hash) ([65]byte, error)
}

// KeySigner is a Signer holding k (development and test keys).
func KeySigner(k *ecdsa.PrivateKey) Signer { return keySigner{k} }

type keySigner struct{ k *ecdsa.PrivateKey }

func (s keySigner) Address() cove.Address              { return ethsig.Address(&s.k.PublicKey) }
func (s keySigner) Sign(d cove.Hash) ([65]byte, error) { return ethsig.Sign(s.k, d) }

// SignTx signs tx with s for chain chainID (EIP-155 and typed
// transactions, go-ethereum's latest signer).
func SignTx(s Signer, chainID *big.Int, tx *types.Transaction) (*types.Transaction, error) {
	signer := types.LatestSignerForChainID(chainID)
	sig, err := s.Sign(cove.Hash(signer.Hash(tx)))
	if err != nil {
		return nil, err
	}
	sig[64] -= 27 // go-ethereum's form: v is 0 or 1
	return tx.WithSignature(signer, sig[:])
}

// Transactor returns binding options that sign with s on chain chainID.
func Transactor(s Signer, chainID *big.Int) *bind.TransactOpts {
	from := common.Address(s.Address())
	return &bind.TransactOpts{From: from, Signer: func(a common.Address, tx *types.Transaction) (*types.Transaction, error) {
		if a != from {
			return nil, fmt.Errorf("asked to sign for %s with the key of %s", a, from)
		}
		return SignTx(s, chainID, tx)
	}}
}
