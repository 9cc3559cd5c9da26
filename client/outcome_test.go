package client_test

import (
	"context"
	"errors"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testchain"
	"github.com/cove-network/cove/internal/testnet"
	"github.com/cove-network/cove/txsend"
)

// TestLostAnswer: a transaction whose answer is lost is reported as what
// it became, against a real dev node behind proxies that fail
// POST /v1/chain/tx, each beside the honest gateway (the control):
// dropped after forwarding (committed) is a success with its block;
// dropped before forwarding is an UnsettledError "unknown" and nothing
// moved; a request the gateway refuses (413) is not looked up; a timeout while the answer is held reports the committed outcome;
// a deploy that committed is a success and its retry finds the agent with
// this code; the same bytes submitted twice at once are one transaction,
// both answered with its block (not "bad nonce … sign a new one").
func TestLostAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node; skipped with -short")
	}
	dev := testchain.NewKey(t)
	base := testnet.Dev(t, dev.Address())
	honest := mustClient(t, base)
	after := mustClient(t, testnet.FaultyGateway(t, base, testnet.DropAfterForward))
	before := mustClient(t, testnet.FaultyGateway(t, base, testnet.DropBeforeForward))
	held := mustClient(t, testnet.FaultyGateway(t, base, testnet.HoldAfterForward))
	ctx := ctxFor(t, 90*time.Second)
	balance := func(a cove.Address) *big.Int {
		t.Helper()
		acct, err := honest.Account(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return acct.Balance
	}

	t.Run("honest", func(t *testing.T) {
		to := testchain.NewKey(t).Address()
		out, err := honest.Transfer(ctx, dev, to, big.NewInt(7))
		if err != nil || out.Height == 0 {
			t.Fatalf("transfer: %+v, %v", out, err)
		}
		h, _ := cove.ParseHash(out.Hash)
		st, err := honest.TxStatus(ctx, h)
		if err != nil || st.State != chain.TxCommitted || st.Height != out.Height || st.Code != chain.CodeOK || len(st.Events) == 0 {
			t.Fatalf("look-up: %+v, %v; want committed at %d with events", st, err, out.Height)
		}
		if none, err := honest.TxStatus(ctx, cove.Hash{1}); err != nil || none.State != chain.TxUnknown {
			t.Fatalf("look-up of an unknown hash: %+v, %v", none, err)
		}
		// Past the validator's memory of recent blocks (64), the look-up
		// reads CometBFT's tx index.
		for {
			cs, err := honest.ChainStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if cs.Height > out.Height+70 {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("height %d, waiting for %d", cs.Height, out.Height+70)
			case <-time.After(100 * time.Millisecond):
			}
		}
		old, err := honest.TxStatus(ctx, h)
		if err != nil || old.State != chain.TxCommitted || old.Height != out.Height || old.Code != chain.CodeOK || !reflect.DeepEqual(old.Events, st.Events) {
			t.Fatalf("look-up from the index: %+v, %v; want %+v", old, err, st)
		}
		resp, err := http.Get(base + "/v1/chain/tx/0x12")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("look-up of a malformed hash: %d, want 400", resp.StatusCode)
		}
	})

	t.Run("dropped after forwarding", func(t *testing.T) {
		to := testchain.NewKey(t).Address()
		out, err := after.Transfer(ctx, dev, to, big.NewInt(7))
		if err != nil || out.Height == 0 || out.Code != chain.CodeOK {
			t.Fatalf("transfer: %+v, %v; want committed with its block", out, err)
		}
		if got := balance(to); got.Cmp(big.NewInt(7)) != 0 {
			t.Fatalf("balance %s, want 7", got)
		}
	})

	t.Run("dropped before forwarding", func(t *testing.T) {
		to := testchain.NewKey(t).Address()
		out, err := before.Transfer(ctx, dev, to, big.NewInt(7))
		var ue *client.UnsettledError
		if !errors.As(err, &ue) || ue.State != chain.TxUnknown || out.Hash != ue.Hash.String() {
			t.Fatalf("transfer: %+v, %v; want an UnsettledError, unknown", out, err)
		}
		if st, err := honest.TxStatus(ctx, ue.Hash); err != nil || st.State != chain.TxUnknown {
			t.Fatalf("look-up: %+v, %v", st, err)
		}
		if got := balance(to); got.Sign() != 0 {
			t.Fatalf("balance %s, want 0", got)
		}
	})

	t.Run("refused by the gateway", func(t *testing.T) {
		// Over 1 MiB: the gateway refuses the request (413), so the
		// transaction went nowhere and is not looked up.
		_, err := honest.Send(ctx, dev, func(n uint64) chain.Msg {
			return chain.DeployAgent{Name: "big", CID: "x", Salt: cove.Hash{9}, Secrets: make([]byte, 2<<20), Nonce: n}
		})
		var ue *client.UnsettledError
		if !errors.Is(err, txsend.ErrNotSubmitted) || errors.As(err, &ue) {
			t.Fatalf("send of an oversized transaction: %v; want the gateway's refusal, not looked up", err)
		}
	})

	t.Run("timeout while the answer is held", func(t *testing.T) {
		to := testchain.NewKey(t).Address()
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		out, err := held.Transfer(tctx, dev, to, big.NewInt(7))
		if err != nil || out.Height == 0 || out.Code != chain.CodeOK {
			t.Fatalf("transfer: %+v, %v; want committed with its block", out, err)
		}
		if tctx.Err() == nil {
			t.Fatal("the send returned before its timeout: the proxy did not hold the answer")
		}
	})

	t.Run("deploy", func(t *testing.T) {
		src := filepath.Join(t.TempDir(), "greeter.ts")
		if err := os.WriteFile(src, []byte(greeter), 0o600); err != nil {
			t.Fatal(err)
		}
		opts := client.DeployOptions{Signer: dev, Name: "greeter", Salt: cove.Hash{7}}
		a, err := after.Deploy(ctx, src, opts)
		if err != nil || a.ID == (cove.AgentID{}) || a.Version != 1 {
			t.Fatalf("deploy through a dropped answer: %+v, %v; want the agent", a, err)
		}
		b, err := honest.Deploy(ctx, src, opts)
		var exists *client.AgentExistsError
		if !errors.As(err, &exists) || !exists.SameCode || b.ID != a.ID {
			t.Fatalf("retry: %+v, %v; want AgentExistsError with this code", b, err)
		}
		opts.Salt = cove.Hash{8} // control: another salt is another agent
		if c, err := honest.Deploy(ctx, src, opts); err != nil || c.ID == a.ID {
			t.Fatalf("deploy with another salt: %+v, %v", c, err)
		}
	})

	t.Run("same bytes twice", func(t *testing.T) {
		st, err := honest.ChainStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		acct, err := honest.Account(ctx, dev.Address())
		if err != nil {
			t.Fatal(err)
		}
		to := testchain.NewKey(t).Address()
		tx, err := chain.SignTx(st.NumericChainID, chain.Transfer{To: to, Amount: big.NewInt(7), Nonce: acct.Nonce}, dev.Sign)
		if err != nil {
			t.Fatal(err)
		}
		outs := make([]chain.TxOutcome, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range outs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i], errs[i] = honest.SubmitTx(ctx, tx)
			}()
		}
		wg.Wait()
		for i := range outs {
			if errs[i] != nil || outs[i].Height == 0 || outs[i].Height != outs[0].Height {
				t.Fatalf("submission %d: %+v, %v; want both answered with the one block", i, outs[i], errs[i])
			}
		}
		if got := balance(to); got.Cmp(big.NewInt(7)) != 0 {
			t.Fatalf("balance %s, want 7 (one transfer)", got)
		}
	})
}

func mustClient(t *testing.T, base string) *client.Client {
	t.Helper()
	c, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestTxErrorSaysCommitted: a refusal in a block says the transaction
// committed at its height (its nonce is spent); a CheckTx refusal does not.
func TestTxErrorSaysCommitted(t *testing.T) {
	for _, c := range []struct {
		out  chain.TxOutcome
		want string
	}{
		{chain.TxOutcome{Hash: "0xab", Height: 12, Code: chain.CodeExists, Log: "taken"}, "transaction 0xab committed at height 12, refused (exists): taken"},
		{chain.TxOutcome{Hash: "0xab", Code: chain.CodeBadNonce, Log: "nonce"}, "transaction refused (bad nonce): nonce"},
	} {
		if got := (&client.TxError{Outcome: c.out}).Error(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.out, got, c.want)
		}
	}
}
