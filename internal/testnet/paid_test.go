package testnet

import (
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/cove-network/cove/internal/testport"
)

// TestPaidThousandCalls is issue 11's end-to-end test on a real node (a
// cove dev node: CometBFT, the gateway, the worker in the simulated TEE):
// an owner prices examples/hello.ts; a caller opens a channel and makes
// 1,000 calls through client.Payer, each paid with a hash-chain word and
// answered 200 with a receipt that verifies, none of them a transaction
// (neither account's nonce moves); an unpaid call is answered 402; the
// owner redeems the last word once and is paid exactly 1,000 times the
// price (less the RedeemHashChain's fee). Two chain transactions in all:
// the OpenChannel and the redeem.
func TestPaidThousandCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 1,000 calls through a node")
	}
	opPath, opAddr := NewOperator(t)
	store, err := account.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var signers []*account.Signer
	funded := []cove.Address{opAddr}
	for _, name := range []string{"owner", "payer"} {
		info, err := store.New(name, "")
		if err != nil {
			t.Fatal(err)
		}
		s, err := store.Signer(name, "")
		if err != nil {
			t.Fatal(err)
		}
		signers = append(signers, s)
		funded = append(funded, info.Address)
	}
	owner, payer := signers[0], signers[1]
	logs := &syncbuf.Buffer{}
	d, err := StartDev(t.Context(), DevConfig{
		DataDir: t.TempDir(), Operator: opPath, Admin: opAddr, Funded: funded,
		P2PAddr: testport.Addr(t), BlockInterval: 50 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.Tail(8<<10))
	}
	defer d.Stop()
	defer func() {
		if t.Failed() {
			t.Logf("node log:\n%s", logs.Tail(16<<10))
		}
	}()
	c, ctx := d.Client, t.Context()
	a, err := c.Deploy(ctx, filepath.Join("..", "..", "examples", "hello.ts"), client.DeployOptions{Signer: owner, Name: "paid-hello"})
	if err != nil {
		t.Fatal(err)
	}
	price := big.NewInt(1_000_000_000_000_000) // 0.001 COVE
	if _, err := c.Send(ctx, owner, func(n uint64) chain.Msg { return chain.SetAgentPrice{Agent: a.ID, Price: price, Nonce: n} }); err != nil {
		t.Fatal(err)
	}
	// Bound to the worker the gateway offers (ADR 25), as `cove channel
	// open` binds it.
	verifier, err := c.Verifier(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	// A channel opened without a verifier, with more deposit: no one takes
	// its vouchers, so the Payer below must not pick it.
	if _, err := c.Send(ctx, payer, func(n uint64) chain.Msg {
		return chain.OpenChannel{Agent: a.ID, Deposit: new(big.Int).Mul(price, big.NewInt(2000)), Nonce: n}
	}); err != nil {
		t.Fatal(err)
	}
	bound, err := c.Send(ctx, payer, func(n uint64) chain.Msg {
		return chain.OpenChannel{Agent: a.ID, Deposit: new(big.Int).Mul(price, big.NewInt(1500)), Verifier: verifier, Nonce: n}
	})
	if err != nil {
		t.Fatal(err)
	}
	// Unpaid: 402 with the price.
	_, err = c.Call(ctx, a.ID, http.MethodGet, "/hello?name=Ada", nil, nil)
	var ge *client.Error
	if !errors.As(err, &ge) || ge.Status != http.StatusPaymentRequired || ge.Payment == nil || ge.Payment.Price != price.String() {
		t.Fatalf("an unpaid call: %v", err)
	}

	nonces := func() (uint64, uint64) {
		o, err1 := c.Account(ctx, owner.Address())
		p, err2 := c.Account(ctx, payer.Address())
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		return o.Nonce, p.Nonce
	}
	ownerNonce, payerNonce := nonces()
	p, err := c.Payer(ctx, payer, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range bound.Events {
		if e.Type == chain.EventChannelOpened && e.Attr("channel") != strconv.FormatUint(p.Channel(), 10) {
			t.Fatalf("the Payer pays from channel %d, not the bound channel %s", p.Channel(), e.Attr("channel"))
		}
	}
	start := time.Now()
	for i := range 1000 {
		resp, err := p.Call(ctx, http.MethodGet, "/hello?name=Ada", nil, nil)
		if err != nil || resp.Status != http.StatusOK {
			t.Fatalf("paid call %d: %v %+v", i, err, resp)
		}
		if _, err := resp.Verify(a.Attestor); err != nil {
			t.Fatalf("paid call %d: receipt: %v", i, err)
		}
	}
	took := time.Since(start)
	if o, py := nonces(); o != ownerNonce || py != payerNonce {
		t.Fatalf("the calls made transactions: owner's nonce %d→%d, payer's %d→%d", ownerNonce, o, payerNonce, py)
	}
	want := new(big.Int).Mul(price, big.NewInt(1000))
	if got := p.Spent(); got.Cmp(want) != 0 {
		t.Fatalf("the payer's vouchers total %s, want %s", got, want)
	}

	// The Payer paid with hash-chain words (ADR 26): commitments of 16,
	// 32, 64, 128 and 256 words, then 504 of a commitment of 512, six
	// signatures for 1,000 calls; the owner redeems the last word.
	vs, err := c.Vouchers(ctx, owner, a.ID)
	if err != nil || len(vs) != 1 || vs[0].HashChain == nil || vs[0].HashChain.K != 504 || vs[0].HashChain.Count != 512 || vs[0].Amount != want.String() {
		t.Fatalf("the owner's list: %+v %v", vs, err)
	}
	before, err := c.Account(ctx, owner.Address())
	if err != nil {
		t.Fatal(err)
	}
	outs, err := c.Redeem(ctx, owner, a.ID)
	if err != nil || len(outs) != 1 {
		t.Fatalf("redeem: %d outcomes, %v", len(outs), err)
	}
	after, err := c.Account(ctx, owner.Address())
	if err != nil {
		t.Fatal(err)
	}
	gain := new(big.Int).Sub(after.Balance, before.Balance)
	if gain.Add(gain, outs[0].FeePaid()); gain.Cmp(want) != 0 {
		t.Fatalf("the owner gained %s (before the Redeem's fee %s), want %s", gain, outs[0].FeePaid(), want)
	}
	if o, py := nonces(); o != ownerNonce+1 || py != payerNonce {
		t.Fatalf("transactions besides the one Redeem: owner's nonce %d→%d, payer's %d→%d", ownerNonce, o, payerNonce, py)
	}
	ch, err := c.ChannelState(ctx, p.Channel())
	if err != nil || ch.Redeemed != want.String() {
		t.Fatalf("channel after the redeem: %+v %v", ch, err)
	}
	t.Logf("1,000 paid calls in %s (%.0f calls/s, one at a time, each receipt verified); 2 chain transactions: OpenChannel and Redeem", took.Round(time.Millisecond), 1000/took.Seconds())
}
