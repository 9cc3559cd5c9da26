package testnet_test

import (
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/testnet"
)

// TestConcurrentSubmit posts signed transfers from 32 accounts at once to
// one gateway's POST /v1/chain/tx, which answers when the transaction is in
// a block: every one must be committed. (CometBFT's BroadcastTxCommit, which
// validator.Server.Broadcast once used, allows 5 concurrent callers per
// subscriber and refused the others.)
func TestConcurrentSubmit(t *testing.T) {
	const n = 32
	keys := make([]*testnet.Key, n)
	addrs := make([]cove.Address, n)
	for i := range keys {
		keys[i] = testnet.NewKey(t)
		addrs[i] = keys[i].Address()
	}
	net := testnet.Start(t, 1, testnet.Fund(addrs...))
	ctx := ctxFor(t, 60*time.Second)
	c := net.Node(0).Client()
	st, err := c.ChainStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	to := testnet.NewKey(t).Address()
	txs := make([][]byte, n)
	for i, k := range keys {
		if txs[i], err = chain.SignTx(st.NumericChainID, chain.Transfer{To: to, Amount: big.NewInt(1), Nonce: 0}, k.Sign); err != nil {
			t.Fatal(err)
		}
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, tx := range txs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.SubmitTx(ctx, tx)
		}()
	}
	wg.Wait()
	failed := 0
	for i, err := range errs {
		if err != nil {
			if failed == 0 {
				t.Errorf("transfer %d: %v", i, err)
			}
			failed++
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d concurrent submissions failed", failed, n)
	}
	wantBalance(t, ctx, c, to, big.NewInt(n))
}
