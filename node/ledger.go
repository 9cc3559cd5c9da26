package node

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/txsend"
	"github.com/cove-network/cove/validator"
)

// localLedger is the chain the node's own transactions go to: the local
// validator (txsend.Ledger).
type localLedger struct{ v *validator.Server }

func (l localLedger) ChainID(context.Context) (uint64, error) { return l.v.View().ChainID(), nil }

func (l localLedger) Nonce(_ context.Context, addr cove.Address) (uint64, error) {
	return l.v.View().Account(addr).Nonce, nil
}

func (l localLedger) Submit(ctx context.Context, tx []byte) (chain.TxOutcome, error) {
	return l.v.Broadcast(ctx, tx)
}

func (l localLedger) Lookup(_ context.Context, h cove.Hash) (chain.TxStatus, error) {
	return l.v.Tx(h), nil
}

// roleChain is the chain as the gatekeeper and the worker use it
// (gatekeeper.Chain, worker.Chain): the local validator's committed state
// and events, and the node's one sender of operator transactions, which
// serializes the roles' sends so they never race for a nonce.
type roleChain struct {
	v      *validator.Server
	sender *txsend.Sender // nil without an operator key
}

func (c roleChain) View() chain.View { return c.v.View() }

func (c roleChain) Subscribe(ctx context.Context) <-chan chain.Event { return c.v.Subscribe(ctx) }

func (c roleChain) Send(ctx context.Context, build func(nonce uint64) chain.Msg) (chain.TxOutcome, error) {
	if c.sender == nil {
		return chain.TxOutcome{}, fmt.Errorf("%w: this node has no operator key (set operator in cove.toml to a keystore file without passphrase)", txsend.ErrNoKey)
	}
	return c.sender.Send(ctx, build)
}

func (c roleChain) Operator() (cove.Address, error) {
	if c.sender == nil {
		return cove.Address{}, fmt.Errorf("%w: this node has no operator key (set operator in cove.toml to a keystore file without passphrase)", txsend.ErrNoKey)
	}
	return c.sender.Address(), nil
}

// openOperator returns the signer of a keystore file NAME.json without
// passphrase.
func openOperator(path string) (*account.Signer, error) {
	name, ok := strings.CutSuffix(filepath.Base(path), ".json")
	if !ok {
		return nil, fmt.Errorf("operator %s: want a keystore file named NAME.json", path)
	}
	st, err := account.Open(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("operator %s: %w", path, err)
	}
	s, err := st.Signer(name, "")
	if err != nil {
		return nil, fmt.Errorf("operator %s: %w", path, err)
	}
	return s, nil
}
