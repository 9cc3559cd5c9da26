package node

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/gatekeeper"
	"github.com/cove-network/cove/validator"
)

// errNoOperator is what a role that must send transactions gets on a node
// without an operator key.
var errNoOperator = errors.New("no operator key (set operator in cove.toml to a keystore file without passphrase)")

// operator sends this node's own transactions (worker registration, the
// gatekeeper's work) signed by the operator key, one at a time: each takes
// the account's next nonce from committed state and waits for its block,
// so roles sharing the key never race for a nonce.
type operator struct {
	v      *validator.Server
	signer *account.Signer // nil without an operator key
	mu     sync.Mutex
}

// send signs the message build makes for the next nonce and waits for its
// block.
func (o *operator) send(ctx context.Context, build func(nonce uint64) chain.Msg) (validator.TxOutcome, error) {
	if o.signer == nil {
		return validator.TxOutcome{}, errNoOperator
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for attempt := 0; ; attempt++ {
		out, err := o.sendOnce(ctx, build)
		// Another holder of the key (the CLI of `cove dev`, whose dev key
		// is also the operator) took the nonce: a refused nonce changes
		// nothing, so sign again with the next one.
		if err == nil && out.Code == chain.CodeBadNonce && attempt < 3 {
			continue
		}
		return out, err
	}
}

func (o *operator) sendOnce(ctx context.Context, build func(nonce uint64) chain.Msg) (validator.TxOutcome, error) {
	var nonce, chainID uint64
	o.v.State(func(a *chain.App) {
		nonce = a.Account(o.signer.Address()).Nonce
		chainID = a.ChainID()
	})
	msg := build(nonce)
	tx, err := chain.SignTx(chainID, msg, o.signer.Sign)
	if err != nil {
		return validator.TxOutcome{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, broadcastTimeout)
	defer cancel()
	out, err := o.v.Broadcast(ctx, tx)
	if err != nil {
		return validator.TxOutcome{}, fmt.Errorf("%s: %w", msg.Type(), err)
	}
	return out, nil
}

// gatekeeperChain is the gatekeeper's view of the chain: the local
// validator and the operator key.
type gatekeeperChain struct {
	v  *validator.Server
	op *operator
}

func (c gatekeeperChain) State(fn func(*chain.App)) { c.v.State(fn) }

func (c gatekeeperChain) Subscribe(ctx context.Context) <-chan chain.Event { return c.v.Subscribe(ctx) }

func (c gatekeeperChain) Send(ctx context.Context, build func(uint64) chain.Msg) (gatekeeper.Outcome, error) {
	out, err := c.op.send(ctx, build)
	return gatekeeper.Outcome{Code: out.Code, Log: out.Log, Height: out.Height}, err
}
