package worker_test

import (
	"context"
	"errors"
	"math/big"
	"net"
	"net/http"
	"testing"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/worker"
	"github.com/cove-network/cove/workerlink"
)

// TestLinkPaidCalls: a worker's link serves anyone who reads its endpoint
// and key from the chain, so it checks a priced agent's payment itself:
// a call without a voucher is refused with 402 and never runs, one with
// the payer's next voucher runs, the same voucher again is a replay (402),
// and a free tier lets the day's calls in all through.
func TestLinkPaidCalls(t *testing.T) {
	e := newEnv(t, worker.DefaultConfig())
	e.provision(t, 0)
	id := e.deploy(t, greeter, map[string]string{"GREETING": "Hello"})
	e.l.MustSend(e.owner, func(n uint64) chain.Msg { return chain.SetAgentPrice{Agent: id, Price: big.NewInt(10), Nonce: n} })
	e.l.MustSend(e.owner, func(n uint64) chain.Msg { return chain.OpenChannel{Agent: id, Deposit: big.NewInt(100), Nonce: n} })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.w.ServeLink(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	wr, err := e.l.View().Worker(e.w.ID())
	if err != nil {
		t.Fatal(err)
	}
	r, err := workerlink.NewRemote("https://"+ln.Addr().String(), wr.PublicKey, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	call := func(payment string) (*cove.Response, error) {
		c := cove.Call{Method: http.MethodGet, Path: "/agents/" + id.String() + "/hi?name=Ada", URL: "http://gw.test/hi?name=Ada",
			Host: "gw.test", Header: cove.Header{}, Payment: payment}
		return r.Invoke(ctx, id, c, workerlink.Expect{Agent: id, Attestor: e.w.Attestor(id)})
	}
	refused := func(payment, why string) {
		t.Helper()
		_, err := call(payment)
		var ce *cove.Error
		if !errors.As(err, &ce) || ce.Status != http.StatusPaymentRequired || ce.Code != api.CodePaymentRequired {
			t.Fatalf("want 402 (%s), got %v", why, err)
		}
	}
	ok := func(payment string) {
		t.Helper()
		resp, err := call(payment)
		if err != nil || resp.Status != http.StatusCreated { // greeter answers 201
			t.Fatalf("a paid call over the link: %v %+v", err, resp)
		}
	}
	voucher := func(amount int64, nonce uint64) string {
		p := api.Payment{Channel: 1, Agent: id, Amount: big.NewInt(amount), Nonce: nonce, ChainID: e.l.View().ChainID()}
		var err error
		if p.Signature, err = e.owner.Sign(p.Voucher().Digest()); err != nil {
			t.Fatal(err)
		}
		return p.Header()
	}
	refused("", "no voucher")
	ok(voucher(10, 1))
	refused(voucher(10, 1), "the same voucher again")
	ok(voucher(20, 2))

	// A free tier of 2 calls a day: two calls without a voucher run, the
	// third is refused.
	e.l.MustSend(e.owner, func(n uint64) chain.Msg {
		return chain.SetFreeTier{Agent: id, CallsPerDay: 2, PerCaller: 1, Nonce: n}
	})
	ok("")
	ok("")
	refused("", "the free tier used up")
}
