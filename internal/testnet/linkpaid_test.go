package testnet_test

import (
	"context"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testnet"
	"github.com/cove-network/cove/workerlink"
)

// TestLinkVouchersRedeemed: a payer who calls a worker node straight over
// its link, not through a gateway, still pays: the worker checks each
// voucher, keeps it, and the owner's one redeem through the gateway (which
// asks its workers for theirs, passing the owner's Cove-Auth on) collects
// them with those the gateway took itself, the highest of the channel.
// The channel is bound to the worker (ADR 25): a voucher one of the two
// paths took, the other refuses.
func TestLinkVouchersRedeemed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nodes (about 15 s)")
	}
	payer := testnet.NewKey(t)
	net := testnet.Start(t, 1, testnet.Workers(2), testnet.Fund(payer.Address()))
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	c := net.Node(0).Client()
	owner := net.Admin
	// Two workers in rotation: the channel is bound to the first, and
	// the second refuses its vouchers.
	var workers []chain.WorkerRecord
	if err := waitFor(ctx, func() bool {
		info, err := c.NodeInfo(ctx)
		if err != nil {
			return false
		}
		workers = workers[:0]
		for _, r := range info.Routes {
			if r.Up && r.Ready {
				id, err := cove.ParseHash(r.Worker)
				if err != nil {
					return false
				}
				ws, err := c.Worker(ctx, id)
				if err != nil {
					return false
				}
				workers = append(workers, ws.Worker)
			}
		}
		return len(workers) >= 2
	}); err != nil {
		t.Fatalf("not two workers in rotation: %v", err)
	}
	worker, other := workers[0], workers[1]
	a, err := c.Deploy(ctx, helloAgent, client.DeployOptions{Signer: owner, Name: "paid-link"})
	if err != nil {
		t.Fatal(err)
	}
	price := big.NewInt(1000)
	if _, err := c.Send(ctx, owner, func(n uint64) chain.Msg { return chain.SetAgentPrice{Agent: a.ID, Price: price, Nonce: n} }); err != nil {
		t.Fatal(err)
	}
	out, err := c.Send(ctx, payer, func(n uint64) chain.Msg {
		return chain.OpenChannel{Agent: a.ID, Deposit: big.NewInt(1_000_000), Verifier: worker.ID, Nonce: n}
	})
	if err != nil {
		t.Fatal(err)
	}
	ch := new(big.Int)
	for _, e := range out.Events {
		if e.Type == chain.EventChannelOpened {
			ch.SetString(e.Attr("channel"), 10)
		}
	}

	// The worker nodes follow the chain: once they have the channel's
	// block, they know the price and the channel too (either may be the
	// one the channel is bound to).
	if err := net.WaitHeight(ctx, out.Height); err != nil {
		t.Fatalf("the nodes did not reach block %d: %v", out.Height, err)
	}
	// Three paid calls through the gateway (client.Payer), then five
	// straight to the worker's link, carrying on the channel's vouchers.
	p := c.PayerOf(payer, ch.Uint64(), a.ID)
	for range 3 {
		if resp, err := p.Call(ctx, http.MethodGet, "/hello?name=Ada", nil, nil); err != nil || resp.Status != 200 {
			t.Fatalf("a paid call through the gateway: %v", err)
		}
	}
	r, err := workerlink.NewRemote(worker.Endpoint, worker.PublicKey, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r2, err := workerlink.NewRemote(other.Endpoint, other.PublicKey, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	chainID, err := c.NumericChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	directAt := func(r *workerlink.Remote, amount int64, nonce uint64) (*cove.Response, error) {
		pay := api.Payment{Channel: ch.Uint64(), Agent: a.ID, Amount: big.NewInt(amount), Nonce: nonce, ChainID: chainID}
		if pay.Signature, err = payer.Sign(pay.Voucher().Digest()); err != nil {
			t.Fatal(err)
		}
		call := cove.Call{Method: http.MethodGet, Path: "/agents/" + a.ID.String() + "/hello?name=Ada", URL: "http://direct.test/hello?name=Ada",
			Host: "direct.test", Header: cove.Header{}, Payment: pay.Header()}
		return r.Invoke(ctx, a.ID, call, workerlink.Expect{Agent: a.ID, Attestor: mustAttestor(t, c, ctx, a.ID)})
	}
	direct := func(amount int64, nonce uint64) (*cove.Response, error) { return directAt(r, amount, nonce) }
	// The gateway's last voucher again, straight to the worker: the
	// channel's one verifier took it when the gateway routed the call
	// there, so it pays no second call (ADR 25). The next one (the
	// control, in the loop) does.
	var ce *cove.Error
	if _, err := direct(3000, 3); !errors.As(err, &ce) || ce.Status != http.StatusPaymentRequired {
		t.Fatalf("the gateway's voucher replayed at the worker: %v", err)
	}
	for i := range int64(5) {
		resp, err := direct((4+i)*1000, uint64(4+i))
		if err != nil || resp.Status != 200 {
			t.Fatalf("direct call %d: %v", i, err)
		}
	}
	// The next voucher at the other worker: refused, for the channel is
	// bound to the first (before ADR 25 each worker kept its own ledger,
	// and a voucher paid once at each); at the first, it pays.
	if _, err := directAt(r2, 9000, 9); !errors.As(err, &ce) || ce.Status != http.StatusPaymentRequired || !strings.Contains(ce.Message, "is bound to worker "+worker.ID.String()) {
		t.Fatalf("the channel's voucher at another worker: %v", err)
	}
	if resp, err := direct(9000, 9); err != nil || resp.Status != 200 {
		t.Fatalf("control: the same voucher at the channel's worker: %v", err)
	}
	// And the worker's last voucher through the gateway: refused too.
	last := api.Payment{Channel: ch.Uint64(), Agent: a.ID, Amount: big.NewInt(9000), Nonce: 9, ChainID: chainID}
	if last.Signature, err = payer.Sign(last.Voucher().Digest()); err != nil {
		t.Fatal(err)
	}
	if resp, err := c.Call(ctx, a.ID, http.MethodGet, "/hello?name=Ada", nil, http.Header{api.HeaderPayment: {last.Header()}}); err == nil && resp.Status == 200 {
		t.Fatalf("the worker's voucher replayed through the gateway ran the agent")
	}
	// A payer that comes back through the gateway, whose own view of the
	// channel is behind the worker's, carries on: the worker's 402 carries
	// its highest voucher of the channel (the payer's), the gateway checks
	// and takes it, and the Payer's one retry pays the next voucher.
	fresh := c.PayerOf(payer, ch.Uint64(), a.ID)
	if resp, err := fresh.Call(ctx, http.MethodGet, "/hello?name=Ada", nil, nil); err != nil || resp.Status != 200 {
		t.Fatalf("a payer through the gateway after the direct calls: %v", err)
	}
	// Without a voucher, the worker refuses the call.
	unpaid := cove.Call{Method: http.MethodGet, Path: "/agents/" + a.ID.String() + "/hello", URL: "http://direct.test/hello", Host: "direct.test", Header: cove.Header{}}
	if _, err := r.Invoke(ctx, a.ID, unpaid, workerlink.Expect{Agent: a.ID, Attestor: mustAttestor(t, c, ctx, a.ID)}); !errors.As(err, &ce) || ce.Status != http.StatusPaymentRequired {
		t.Fatalf("an unpaid direct call: %v", err)
	}
	// The owner's redeem collects 10 calls' worth: the worker's voucher.
	outs, err := c.Redeem(ctx, owner, a.ID)
	if err != nil || len(outs) != 1 {
		t.Fatalf("redeem: %+v %v", outs, err)
	}
	got, err := c.Channels(ctx, payer.Address())
	if err != nil || len(got) != 1 || got[0].Redeemed.Big().Cmp(big.NewInt(10000)) != 0 {
		t.Fatalf("the channel after the redeem: %+v %v", got, err)
	}
}

func mustAttestor(t *testing.T, c *client.Client, ctx context.Context, id cove.AgentID) cove.Address {
	t.Helper()
	a, err := c.Agent(ctx, id)
	if err != nil || a.Attestor.IsZero() {
		t.Fatalf("agent %s's attestor: %+v %v", id, a, err)
	}
	return a.Attestor
}
