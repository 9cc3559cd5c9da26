package worker_test

import (
	"context"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/testchain"
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
	e.l.MustSend(e.owner, func(n uint64) chain.Msg {
		return chain.OpenChannel{Agent: id, Deposit: big.NewInt(100), Verifier: e.w.ID(), Nonce: n}
	})
	// Channel 2 is bound to another worker, channel 3 to none (ADR 25).
	reg := chain.RegisterWorker{TEE: "sim", PublicKey: []byte("another worker"), Endpoint: "https://another.example:8443", Quote: []byte("quote")}
	e.l.MustSend(e.owner, func(n uint64) chain.Msg { r := reg; r.Nonce = n; return r })
	another := chain.WorkerID(reg.PublicKey)
	e.l.MustSend(e.owner, func(n uint64) chain.Msg {
		return chain.OpenChannel{Agent: id, Deposit: big.NewInt(100), Verifier: another, Nonce: n}
	})
	e.l.MustSend(e.owner, func(n uint64) chain.Msg { return chain.OpenChannel{Agent: id, Deposit: big.NewInt(100), Nonce: n} })

	ctx := t.Context()
	r, stop := serveLink(t, e)
	call := func(payment string) (*cove.Response, error) {
		c := cove.Call{Method: http.MethodGet, Path: "/agents/" + id.String() + "/hi?name=Ada", URL: "http://gw.test/hi?name=Ada",
			Host: "gw.test", Header: cove.Header{}, Payment: payment}
		return r.Invoke(ctx, id, c, workerlink.Expect{Agent: id, Attestor: e.w.Attestor(id)})
	}
	refused := func(payment, why string) {
		t.Helper()
		_, err := call(payment)
		var ce *cove.Error
		if !errors.As(err, &ce) || ce.Status != http.StatusPaymentRequired || ce.Code != api.CodePaymentRequired || !strings.Contains(ce.Message, why) {
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
	voucherOf := func(ch uint64, amount int64, nonce uint64) string {
		p := api.Payment{Channel: ch, Agent: id, Amount: big.NewInt(amount), Nonce: nonce, ChainID: e.l.View().ChainID()}
		var err error
		if p.Signature, err = e.owner.Sign(p.Voucher().Digest()); err != nil {
			t.Fatal(err)
		}
		return p.Header()
	}
	voucher := func(amount int64, nonce uint64) string { return voucherOf(1, amount, nonce) }
	refused("", "carries no voucher")
	// Only a channel bound to this worker pays here: the same voucher of
	// a channel bound to another worker, or to none, is refused.
	refused(voucherOf(2, 10, 1), "channel 2 is bound to worker "+another.String())
	refused(voucherOf(3, 10, 1), "channel 3 names no verifier")
	ok(voucher(10, 1))
	refused(voucher(10, 1), "a replay")
	ok(voucher(20, 2))

	// A free tier of 2 calls a day: two calls without a voucher run, the
	// third is refused.
	e.l.MustSend(e.owner, func(n uint64) chain.Msg {
		return chain.SetFreeTier{Agent: id, CallsPerDay: 2, PerCaller: 1, Nonce: n}
	})
	ok("")
	ok("")
	refused("", "free")

	// The owner reads the vouchers the link accepted (a gateway passes its
	// Cove-Auth on); each forgery changes one thing of the owner's.
	stranger := testchain.NewKey(t)
	now := time.Now()
	auth := func(k *testchain.Key, mut func(*api.Auth)) string {
		a := api.Auth{Audience: "gw.test", Method: http.MethodGet, Path: "/v1/agents/" + id.String() + "/vouchers",
			Nonce: cove.Hash{byte(now.UnixNano())}, Expiry: uint64(now.Add(time.Minute).Unix()), ChainID: e.l.View().ChainID()}
		if mut != nil {
			mut(&a)
		}
		var err error
		if a.Signature, err = k.Sign(a.Digest()); err != nil {
			t.Fatal(err)
		}
		return a.Header()
	}
	got, err := r.Vouchers(ctx, id, auth(e.owner, nil))
	if err != nil || len(got) != 1 || got[0].Channel != 1 || got[0].Amount != "20" || got[0].Nonce != 2 || got[0].Payer != e.owner.Address() {
		t.Fatalf("the owner's vouchers: %+v %v", got, err)
	}
	for why, h := range map[string]string{
		"no Cove-Auth":       "",
		"a stranger's":       auth(stranger, nil),
		"another resource":   auth(e.owner, func(a *api.Auth) { a.Path = "/v1/agents/" + id.String() + "/logs" }),
		"another chain":      auth(e.owner, func(a *api.Auth) { a.ChainID++ }),
		"expired":            auth(e.owner, func(a *api.Auth) { a.Expiry = uint64(now.Add(-time.Second).Unix()) }),
		"expiring far ahead": auth(e.owner, func(a *api.Auth) { a.Expiry = uint64(now.Add(api.MaxAuthLifetime + time.Minute).Unix()) }),
	} {
		var ce *cove.Error
		if _, err := r.Vouchers(ctx, id, h); !errors.As(err, &ce) || ce.Status != http.StatusForbidden {
			t.Errorf("%s: %v", why, err)
		}
	}
	// An agent that belongs to its DAO has no owner to sign: its vouchers
	// are anyone's (to redeem to its treasury).
	e.l.MustSend(e.owner, func(n uint64) chain.Msg {
		return chain.LaunchAgentToken{Agent: id, Name: "G", Symbol: "G", Curve: chain.CurveLinear, A: big.NewInt(1), B: big.NewInt(0), Nonce: n}
	})
	e.l.MustSend(e.owner, func(n uint64) chain.Msg {
		return chain.TransferAgentToDAO{Agent: id, QuorumPPM: 1, ThresholdPPM: 500_000, VotingBlocks: 1, Nonce: n}
	})
	if got, err := r.Vouchers(ctx, id, ""); err != nil || len(got) != 1 {
		t.Fatalf("a DAO agent's vouchers without a Cove-Auth: %+v %v", got, err)
	}

	// Kept on disk: what a restart reads back.
	stop()
	b, err := os.ReadFile(filepath.Join(e.dir, worker.LinkVouchersFile))
	if err != nil || !strings.Contains(string(b), voucher(20, 2)) {
		t.Fatalf("the link's vouchers file: %v %q", err, b)
	}
}

// TestLinkFreeCallGivenBack: a free call over the link that no agent ran
// (the worker holds no cluster key yet) does not use up the free tier;
// once the worker is provisioned, the day's one free call runs and the
// next is refused.
func TestLinkFreeCallGivenBack(t *testing.T) {
	e := newEnv(t, worker.DefaultConfig())
	id := e.deploy(t, greeter, map[string]string{"GREETING": "Hello"})
	e.l.MustSend(e.owner, func(n uint64) chain.Msg { return chain.SetAgentPrice{Agent: id, Price: big.NewInt(10), Nonce: n} })
	e.l.MustSend(e.owner, func(n uint64) chain.Msg {
		return chain.SetFreeTier{Agent: id, CallsPerDay: 1, Nonce: n}
	})
	ctx := t.Context()
	r, _ := serveLink(t, e)
	call := func() (*cove.Response, error) {
		c := cove.Call{Method: http.MethodGet, Path: "/agents/" + id.String() + "/hi?name=Ada", URL: "http://gw.test/hi?name=Ada", Host: "gw.test", Header: cove.Header{}}
		return r.Invoke(ctx, id, c, workerlink.Expect{Agent: id, Attestor: e.w.Attestor(id)})
	}
	for range 2 {
		var ce *cove.Error
		if _, err := call(); !errors.As(err, &ce) || ce.Status != http.StatusServiceUnavailable {
			t.Fatalf("a call before the worker holds its key: %v", err)
		}
	}
	e.provision(t, 0)
	if resp, err := call(); err != nil || resp.Status != http.StatusCreated {
		t.Fatalf("the day's free call: %v %+v", err, resp)
	}
	var ce *cove.Error
	if _, err := call(); !errors.As(err, &ce) || ce.Status != http.StatusPaymentRequired {
		t.Fatalf("a second free call of a tier of 1: %v", err)
	}
}

// serveLink serves e's worker on a link at 127.0.0.1 and returns a
// Remote pinned to its registered key, and stop, which stops the link
// (and is called at the test's end if not before).
func serveLink(t *testing.T, e *env) (*workerlink.Remote, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.w.ServeLink(ctx, ln) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	wr, err := e.l.View().Worker(e.w.ID())
	if err != nil {
		t.Fatal(err)
	}
	r, err := workerlink.NewRemote("https://"+ln.Addr().String(), wr.PublicKey, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r, stop
}

// TestInvokeBoundWorker: a call whose payment channel is bound to another
// worker (cove.Call.Worker) is refused with 402 before anything runs; the
// same call bound to this worker, the control, runs.
func TestInvokeBoundWorker(t *testing.T) {
	e := newEnv(t, worker.DefaultConfig())
	e.provision(t, 0)
	id := e.deploy(t, greeter, map[string]string{"GREETING": "Hello"})
	call := func(w cove.Hash) (*cove.Response, error) {
		return e.w.Invoke(t.Context(), id, cove.Call{Method: http.MethodGet, Path: "/agents/" + id.String() + "/hi", URL: "http://gw.test/hi",
			Host: "gw.test", Header: cove.Header{}, Worker: w})
	}
	other := e.w.ID()
	other[0] ^= 1
	var ce *cove.Error
	if _, err := call(other); !errors.As(err, &ce) || ce.Status != http.StatusPaymentRequired || !strings.Contains(ce.Message, "bound to worker "+other.String()) {
		t.Fatalf("a call bound to another worker: %v", err)
	}
	if resp, err := call(e.w.ID()); err != nil || resp.Status != http.StatusCreated {
		t.Fatalf("control: a call bound to this worker: %v %+v", err, resp)
	}
}
