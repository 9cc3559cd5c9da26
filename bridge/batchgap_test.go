package bridge

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/contracts"
	"github.com/ethereum/go-ethereum/core/types"
)

// TestRegistrationMidBatch (found in review): a batch holds a fulfilment
// for a registered agent, then the registration of a new agent and its
// request's fulfilment; the batch's first send fails. Everything after it
// is done again with fresh nonces, no recorded nonce is left above a gap,
// and both requests are fulfilled once, without runaway re-pricing.
func TestRegistrationMidBatch(t *testing.T) {
	e := newChainEnv(t)
	agentB := cove.AgentID(cove.SHA256([]byte("other")))
	_, tx, consumerB, err := contracts.DeployPriceConsumer(e.owner, e.sim.Client(), e.anchorAt, agentB)
	e.mine(tx, err)
	d := &faultyEVM{EVM: e.sim.Client()}
	d.failFulfilAt.Store(2)
	_, logs, stop := e.runWith(d, 200*time.Millisecond)
	defer stop()
	first := e.ask(1, "a")
	e.mineUntil("first", func() bool { return e.fulfilled(first) })
	// rA then rB in one block.
	nonce := e.ownerNonce()
	var txs []*types.Transaction
	o := *e.owner
	o.Nonce, o.Value, o.GasLimit = new(big.Int).SetUint64(nonce), big.NewInt(testFee), 400_000
	tx, err = e.consumer.Ask(&o, "/price", []byte("x"), 300_000)
	if err != nil {
		t.Fatal(err)
	}
	txs = append(txs, tx)
	o2 := *e.owner
	o2.Nonce, o2.Value, o2.GasLimit = new(big.Int).SetUint64(nonce+1), big.NewInt(testFee), 400_000
	tx, err = consumerB.Ask(&o2, "/price", []byte("y"), 300_000)
	if err != nil {
		t.Fatal(err)
	}
	txs = append(txs, tx)
	e.sim.Commit()
	var ids []*big.Int
	for _, tx := range txs {
		r := e.receipt(tx.Hash())
		for _, l := range r.Logs {
			if ev, err := e.anchor.ParseCoveRequest(*l); err == nil {
				ids = append(ids, ev.RequestId)
			}
		}
	}
	defer func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	}()
	e.mineUntil("both fulfilled", func() bool { return e.fulfilled(ids) })
	for _, id := range ids {
		if n := e.fulfilments(id); n != 1 {
			t.Errorf("request %s fulfilled %d times", id, n)
		}
	}
	if n := strings.Count(logs.String(), "re-priced"); n > 2 {
		t.Errorf("%d re-pricings for one failed send", n)
	}
}
