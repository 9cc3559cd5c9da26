package gateway_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/gateway"
	"github.com/cove-network/cove/internal/payment"
)

// countingInvoker answers like fakeInvoker and counts the calls that
// reached it; with fail set it answers every call with that error (no
// agent ran).
type countingInvoker struct {
	n    atomic.Int64
	fail atomic.Pointer[cove.Error]
}

func (c *countingInvoker) Invoke(ctx context.Context, id cove.AgentID, call cove.Call) (*cove.Response, error) {
	if e := c.fail.Load(); e != nil {
		return nil, e
	}
	c.n.Add(1)
	return fakeInvoker{}.Invoke(ctx, id, call)
}

func (c *countingInvoker) Ready() error { return nil }

// mustTx broadcasts msg signed by k and fails the test unless it runs.
func mustTx(t testing.TB, c *fakeChain, k fuzzKey, msg chain.Msg) chain.TxOutcome {
	t.Helper()
	out, err := c.Broadcast(t.Context(), k.tx(t, fuzzChainID, msg))
	if err != nil || out.Code != 0 {
		t.Fatalf("%s: %v %d %s", msg.Type(), err, out.Code, out.Log)
	}
	return out
}

// voucher is k's signed payment of channel ch to agent.
func voucher(t testing.TB, k fuzzKey, chainID, ch uint64, agent cove.AgentID, amount int64, nonce uint64) string {
	t.Helper()
	p := api.Payment{Channel: ch, Agent: agent, Amount: big.NewInt(amount), Nonce: nonce, ChainID: chainID}
	var err error
	if p.Signature, err = k.sign(p.Voucher().Digest()); err != nil {
		t.Fatal(err)
	}
	return p.Header()
}

// paidCall sends GET /agents/{agent}/ with the Cove-Payment header h (none
// when empty) and returns the status and the error body of a refusal.
func paidCall(t *testing.T, s http.Handler, agent cove.AgentID, h string) (int, api.ErrorBody) {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/agents/"+agent.String()+"/", nil)
	if h != "" {
		req.Header.Set(api.HeaderPayment, h)
	}
	s.ServeHTTP(rec, req)
	var body api.ErrorBody
	if rec.Code != http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
		}
	}
	return rec.Code, body
}

// TestPaidCalls: a priced agent answers a call without a voucher with 402
// and its terms, and runs one with a voucher that pays the price above
// the channel's last; every forgery (a replay, a lower amount, another
// signer, another agent, another chain, above the deposit, a closing
// channel) is refused with 402 beside the genuine voucher that passes in
// the same state, and the agent runs once per accepted voucher.
func TestPaidCalls(t *testing.T) {
	inv := &countingInvoker{}
	s, c := newTestGateway(t, gateway.DefaultConfig(), inv)
	mustTx(t, c, owner, chain.SetAgentPrice{Agent: knownAgent, Price: big.NewInt(10), Nonce: 1})
	mustTx(t, c, stranger, chain.OpenChannel{Agent: knownAgent, Deposit: big.NewInt(100), Verifier: testWorker, Nonce: 0})
	free := mustDeployOther(t, c) // a free agent: no voucher needed
	mustTx(t, c, stranger, chain.OpenChannel{Agent: free, Deposit: big.NewInt(50), Verifier: testWorker, Nonce: 1})

	// No voucher: 402 with the price and how to pay; the agent never ran.
	status, body := paidCall(t, s, knownAgent, "")
	if status != http.StatusPaymentRequired || body.Error.Code != api.CodePaymentRequired || body.Payment == nil ||
		body.Payment.Price != "10" || body.Payment.ChainID != fuzzChainID || body.Payment.VoucherType != cove.VoucherType ||
		!strings.Contains(body.Payment.HowToPay, "cove channel open") || body.RequestID == "" {
		t.Fatalf("no voucher: %d %+v %+v", status, body, body.Payment)
	}
	if status, _ := paidCall(t, s, free, ""); status != http.StatusOK {
		t.Fatalf("free agent: %d", status)
	}

	calls := int64(1) // the free call
	genuine := func(amount int64, nonce uint64) {
		t.Helper()
		if status, body := paidCall(t, s, knownAgent, voucher(t, stranger, fuzzChainID, 1, knownAgent, amount, nonce)); status != http.StatusOK {
			t.Fatalf("genuine voucher %d/%d: %d %s", amount, nonce, status, body.Error.Message)
		}
		calls++
	}
	refused := func(why, h string) api.ErrorBody {
		t.Helper()
		status, body := paidCall(t, s, knownAgent, h)
		if status != http.StatusPaymentRequired || !strings.Contains(body.Error.Message, why) {
			t.Fatalf("want 402 naming %q, got %d %s", why, status, body.Error.Message)
		}
		if inv.n.Load() != calls {
			t.Fatalf("the agent ran %d times for %d paid calls", inv.n.Load(), calls)
		}
		return body
	}
	// The first voucher of a channel is recovered (the payer's key is not
	// known yet), the next ones verified with the key: a forgery of each.
	refused("not signed by channel 1's payer", voucher(t, owner, fuzzChainID, 1, knownAgent, 10, 1))
	genuine(10, 1)
	body = refused("a replay", voucher(t, stranger, fuzzChainID, 1, knownAgent, 10, 1))
	if ch := body.Payment.Channel; ch == nil || ch.Accepted != "10" || ch.NextAmount != "20" || ch.NextNonce != 2 {
		t.Fatalf("the 402's channel state %+v", body.Payment.Channel)
	}
	genuine(20, 2)
	refused("too low", voucher(t, stranger, fuzzChainID, 1, knownAgent, 29, 3)) // less than the price more
	refused("too low", voucher(t, stranger, fuzzChainID, 1, knownAgent, 30, 2)) // the same nonce
	genuine(30, 3)
	refused("not signed by channel 1's payer", voucher(t, owner, fuzzChainID, 1, knownAgent, 40, 4))
	refused("the voucher is for chain", voucher(t, stranger, fuzzChainID+1, 1, knownAgent, 40, 4))
	refused("channel 2 pays agent", voucher(t, stranger, fuzzChainID, 2, knownAgent, 40, 4))
	refused("the voucher pays agent", voucher(t, stranger, fuzzChainID, 1, free, 40, 4))
	refused("above channel 1's deposit", voucher(t, stranger, fuzzChainID, 1, knownAgent, 101, 4))
	refused("does not exist", voucher(t, stranger, fuzzChainID, 9, knownAgent, 40, 4))
	refused("malformed Cove-Payment", "x"+voucher(t, stranger, fuzzChainID, 1, knownAgent, 40, 4))
	genuine(40, 4)

	// A call no worker could take gives the voucher back: the same one
	// pays the next call.
	inv.fail.Store(&cove.Error{Status: http.StatusServiceUnavailable, Code: "worker_not_provisioned", Message: "not yet"})
	if status, _ := paidCall(t, s, knownAgent, voucher(t, stranger, fuzzChainID, 1, knownAgent, 50, 5)); status != http.StatusServiceUnavailable {
		t.Fatalf("failing invoker: %d", status)
	}
	inv.fail.Store(nil)
	// The same voucher with the other v: the gateway, which knows the
	// payer's key, verifies it; the owner's list gives it the v the
	// chain's recovery needs (the Redeem below runs).
	flipped := mustParse(t, voucher(t, stranger, fuzzChainID, 1, knownAgent, 50, 5))
	flipped.Signature[64] ^= 27 ^ 28
	if status, body := paidCall(t, s, knownAgent, flipped.Header()); status != http.StatusOK {
		t.Fatalf("the voucher with the other v: %d %s", status, body.Error.Message)
	}
	calls++

	// The owner reads the highest voucher to redeem; anyone else is
	// refused.
	if got := redeemables(t, s, owner); len(got) != 1 || got[0].Channel != 1 || got[0].Amount != "50" || got[0].Nonce != 5 || got[0].Payer != stranger.addr {
		t.Fatalf("owner's vouchers %+v", got)
	}
	if code := vouchersStatus(t, s, stranger); code != http.StatusForbidden {
		t.Fatalf("a stranger read the vouchers: %d", code)
	}
	// Redeemed on chain, it is gone from the list; the chain's total is
	// the floor of the next voucher.
	r := redeemables(t, s, owner)[0]
	mustTx(t, c, owner, chain.Redeem{Channel: 1, Amount: big.NewInt(50), VoucherNonce: 5, Signature: mustHex(t, r.Signature), Nonce: 3})
	if got := redeemables(t, s, owner); len(got) != 0 {
		t.Fatalf("vouchers after the redeem %+v", got)
	}
	genuine(60, 6)

	// A closing channel takes no new voucher.
	mustTx(t, c, stranger, chain.CloseChannel{Channel: 1, Nonce: 2})
	refused("is closing", voucher(t, stranger, fuzzChainID, 1, knownAgent, 70, 7))
}

// mustDeployOther deploys otherCode as the owner's second agent.
func mustDeployOther(t testing.TB, c *fakeChain) cove.AgentID {
	t.Helper()
	mustTx(t, c, owner, chain.DeployAgent{Name: "other", CID: otherCID, CodeHash: cove.SHA256(otherCode), Salt: cove.Hash{2}, Nonce: 2})
	return cove.DeriveAgentID(owner.addr, cove.SHA256(otherCode), cove.Hash{2})
}

// vouchersGet sends GET /v1/agents/{knownAgent}/vouchers with a Cove-Auth
// signed by k.
func vouchersGet(t *testing.T, s http.Handler, k fuzzKey) *httptest.ResponseRecorder {
	t.Helper()
	a := genuineAuth(knownAgent)
	a.Path = "/v1/agents/" + knownAgent.String() + "/vouchers"
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, a.Path, nil)
	req.Host = testHost
	req.Header.Set(api.HeaderAuth, signed(t, k, a))
	s.ServeHTTP(rec, req)
	return rec
}

func vouchersStatus(t *testing.T, s http.Handler, k fuzzKey) int { return vouchersGet(t, s, k).Code }

// redeemables is what GET /v1/agents/{knownAgent}/vouchers gives k.
func redeemables(t *testing.T, s http.Handler, k fuzzKey) []api.Redeemable {
	t.Helper()
	rec := vouchersGet(t, s, k)
	var out []api.Redeemable
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
		t.Fatalf("vouchers: %d %s", rec.Code, rec.Body)
	}
	return out
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVouchersSurviveRestart: the vouchers a gateway accepted (and the
// day's free calls), and the one
// it gave back for a call that did not run, are what a gateway started
// again on the same file knows: a replay stays refused, the owner still
// reads the highest to redeem, and the given-back voucher pays a call.
func TestVouchersSurviveRestart(t *testing.T) {
	cfg := gateway.DefaultConfig()
	cfg.VouchersFile = filepath.Join(t.TempDir(), "gateway", "vouchers.log")
	inv := &countingInvoker{}
	s, c := newTestGateway(t, cfg, inv)
	mustTx(t, c, owner, chain.SetAgentPrice{Agent: knownAgent, Price: big.NewInt(10), Nonce: 1})
	mustTx(t, c, stranger, chain.OpenChannel{Agent: knownAgent, Deposit: big.NewInt(100), Verifier: testWorker, Nonce: 0})
	mustTx(t, c, owner, chain.SetFreeTier{Agent: knownAgent, CallsPerDay: 1, Nonce: 2})

	ctx, cancel := context.WithCancel(t.Context())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	for _, v := range []struct {
		amount int64
		nonce  uint64
	}{{10, 1}, {20, 2}} {
		if status, body := paidCall(t, s, knownAgent, voucher(t, stranger, fuzzChainID, 1, knownAgent, v.amount, v.nonce)); status != http.StatusOK {
			t.Fatalf("voucher %d: %d %s", v.amount, status, body.Error.Message)
		}
	}
	inv.fail.Store(&cove.Error{Status: http.StatusServiceUnavailable, Code: "worker_not_provisioned", Message: "not yet"})
	if status, _ := paidCall(t, s, knownAgent, voucher(t, stranger, fuzzChainID, 1, knownAgent, 30, 3)); status != http.StatusServiceUnavailable {
		t.Fatalf("failing invoker: %d", status)
	}
	inv.fail.Store(nil)
	if status, body := freeCall(t, s, "192.0.2.1", nil, ""); status != http.StatusOK { // the day's one free call
		t.Fatalf("the free call: %d %s", status, body.Error.Message)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("the gateway did not stop")
	}

	// Started again on the same file.
	s2, err := gateway.New(cfg, slog.New(slog.DiscardHandler), c, &fakeBlobs{m: map[string][]byte{}}, inv, fakeLogs{}, fakeKeys{})
	if err != nil {
		t.Fatal(err)
	}
	if status, body := paidCall(t, s2, knownAgent, voucher(t, stranger, fuzzChainID, 1, knownAgent, 20, 2)); status != http.StatusPaymentRequired || body.Payment.Channel.Accepted != "20" {
		t.Fatalf("a replay after the restart: %d %+v", status, body.Payment)
	}
	if got := redeemables(t, s2, owner); len(got) != 1 || got[0].Amount != "20" {
		t.Fatalf("vouchers after the restart %+v", got)
	}
	if status, body := paidCall(t, s2, knownAgent, voucher(t, stranger, fuzzChainID, 1, knownAgent, 30, 3)); status != http.StatusOK {
		t.Fatalf("the given-back voucher after the restart: %d %s", status, body.Error.Message)
	}
	// The day's free call was used before the restart: none is left.
	if status, body := freeCall(t, s2, "192.0.2.2", nil, ""); status != http.StatusPaymentRequired || !strings.Contains(body.Error.Message, "calls of today are used up") {
		t.Fatalf("a free call after the restart: %d %s", status, body.Error.Message)
	}
}

func mustParse(t *testing.T, h string) api.Payment {
	t.Helper()
	p, err := api.ParsePayment(h)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// BenchmarkCall measures a call through the gateway's handler with an
// invoker that answers at once (with a receipt it signs): free, paid with
// a voucher signed before the loop (what the check adds: parsing, the
// payer's signature, the ledger), and paid with hash-chain words built
// before the loop.
func BenchmarkCall(b *testing.B) {
	s, c := newTestGateway(b, gateway.DefaultConfig(), fakeInvoker{})
	mustTx(b, c, owner, chain.SetAgentPrice{Agent: knownAgent, Price: big.NewInt(1), Nonce: 1})
	free := mustDeployOther(b, c)
	// Channel 1 pays with vouchers, channel 2 with words.
	mustTx(b, c, bigPayer, chain.OpenChannel{Agent: knownAgent, Deposit: big.NewInt(1 << 58), Verifier: testWorker, Nonce: 0})
	mustTx(b, c, bigPayer, chain.OpenChannel{Agent: knownAgent, Deposit: big.NewInt(1 << 58), Verifier: testWorker, Nonce: 1})
	run := func(b *testing.B, agent cove.AgentID, header func(i int) string) {
		req := httptest.NewRequest(http.MethodGet, "/agents/"+agent.String()+"/", nil)
		for i := 1; i <= b.N; i++ {
			req.Header.Set(api.HeaderPayment, header(i))
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
		}
	}
	b.Run("free", func(b *testing.B) { run(b, free, func(int) string { return "" }) })
	used := 0 // vouchers of earlier runs: b.Run runs the function more than once
	b.Run("paid", func(b *testing.B) {
		hs := make([]string, b.N+1)
		for i := 1; i <= b.N; i++ {
			hs[i] = voucher(b, bigPayer, fuzzChainID, 1, knownAgent, int64(used+i), uint64(used+i))
		}
		used += b.N
		b.ResetTimer()
		run(b, knownAgent, func(i int) string { return hs[i] })
	})
	// Paid with hash-chain words (ADR 26), from channel 2: the next word
	// per call, a commitment of 10,000 words after another (the first
	// word of each checked in full: the signature and 1 hash).
	var (
		hc     cove.HashChain
		sig    [65]byte
		words  []cove.Hash
		k      uint64
		paid   int64
		nonce  uint64
		commit = func(b *testing.B) {
			var root cove.Hash
			root, words = cove.NewHashChain(cove.Hash{byte(nonce)}, cove.MaxHashChainCount)
			nonce++
			hc = cove.HashChain{ChainID: fuzzChainID, Channel: 2, Agent: knownAgent, Base: big.NewInt(paid), Unit: big.NewInt(1),
				Count: cove.MaxHashChainCount, Root: root, Nonce: nonce}
			var err error
			if sig, err = bigPayer.sign(hc.Digest()); err != nil {
				b.Fatal(err)
			}
			k = 0
		}
	)
	b.Run("words", func(b *testing.B) {
		hs := make([]string, b.N+1) // built before the loop, as the vouchers are
		for i := 1; i <= b.N; i++ {
			if words == nil || k == hc.Count {
				commit(b)
			}
			k++
			paid++
			hs[i] = api.WordPayment(hc, sig, k, words[k-1]).Header()
		}
		b.ResetTimer()
		run(b, knownAgent, func(i int) string { return hs[i] })
	})
}

// TestPaidCallsSameVoucherAtOnce: one voucher sent by 16 calls at once
// pays one call: the check and the record of a voucher are one step.
func TestPaidCallsSameVoucherAtOnce(t *testing.T) {
	inv := &countingInvoker{}
	s, c := newTestGateway(t, gateway.DefaultConfig(), inv)
	mustTx(t, c, owner, chain.SetAgentPrice{Agent: knownAgent, Price: big.NewInt(10), Nonce: 1})
	mustTx(t, c, stranger, chain.OpenChannel{Agent: knownAgent, Deposit: big.NewInt(1000), Verifier: testWorker, Nonce: 0})
	for round := range 20 {
		h := voucher(t, stranger, fuzzChainID, 1, knownAgent, int64(10*(round+1)), uint64(round+1))
		start := make(chan struct{})
		var ok atomic.Int64
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				<-start
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodGet, "/agents/"+knownAgent.String()+"/", nil)
				req.Header.Set(api.HeaderPayment, h)
				s.ServeHTTP(rec, req)
				if rec.Code == http.StatusOK {
					ok.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if ok.Load() != 1 {
			t.Fatalf("round %d: one voucher paid %d calls", round, ok.Load())
		}
	}
}

// freeCall sends GET /agents/{knownAgent}/ from remote address addr, with
// a Cove-Auth signed by k for it when k is not nil, and returns the
// status and error body.
func freeCall(t *testing.T, s http.Handler, addr string, k *fuzzKey, h string) (int, api.ErrorBody) {
	t.Helper()
	rec := httptest.NewRecorder()
	path := "/agents/" + knownAgent.String() + "/"
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Host = testHost
	req.RemoteAddr = addr + ":4321"
	if k != nil {
		a := genuineAuth(knownAgent)
		a.Path = path
		req.Header.Set(api.HeaderAuth, signed(t, *k, a))
	}
	if h != "" {
		req.Header.Set(api.HeaderAuth, h)
	}
	s.ServeHTTP(rec, req)
	var body api.ErrorBody
	if rec.Code != http.StatusOK {
		json.Unmarshal(rec.Body.Bytes(), &body)
	}
	return rec.Code, body
}

// TestFreeTier: a priced agent with a free tier of 5 calls a day, 2 per
// caller, answers calls without a voucher until a caller (an IP address
// without Cove-Auth, an account with one) has made 2, and anyone once 5
// were made; a paid call does not count; a Cove-Auth is checked like the
// owner's (a replayed one is refused); the 402 names the free tier.
func TestFreeTier(t *testing.T) {
	inv := &countingInvoker{}
	s, c := newTestGateway(t, gateway.DefaultConfig(), inv)
	mustTx(t, c, owner, chain.SetAgentPrice{Agent: knownAgent, Price: big.NewInt(10), Nonce: 1})
	mustTx(t, c, owner, chain.SetFreeTier{Agent: knownAgent, CallsPerDay: 5, PerCaller: 2, Nonce: 2})
	mustTx(t, c, stranger, chain.OpenChannel{Agent: knownAgent, Deposit: big.NewInt(100), Verifier: testWorker, Nonce: 0})
	ok := func(addr string, k *fuzzKey) {
		t.Helper()
		if status, body := freeCall(t, s, addr, k, ""); status != http.StatusOK {
			t.Fatalf("a free call from %s: %d %s", addr, status, body.Error.Message)
		}
	}
	refused := func(addr string, k *fuzzKey, why string) {
		t.Helper()
		status, body := freeCall(t, s, addr, k, "")
		if status != http.StatusPaymentRequired || !strings.Contains(body.Error.Message, why) || body.Payment == nil ||
			body.Payment.FreeTier == nil || body.Payment.FreeTier.CallsPerDay != 5 {
			t.Fatalf("want 402 naming %q, got %d %s %+v", why, status, body.Error.Message, body.Payment)
		}
	}
	// A free call no agent ran (no worker held the keys) is given back:
	// three of them leave the caller's 2 and the day's 5.
	inv.fail.Store(&cove.Error{Status: http.StatusServiceUnavailable, Code: "worker_not_provisioned", Message: "not yet"})
	for range 3 {
		if status, body := freeCall(t, s, "192.0.2.1", nil, ""); status != http.StatusServiceUnavailable {
			t.Fatalf("a free call no worker took: %d %s", status, body.Error.Message)
		}
	}
	inv.fail.Store(nil)
	ok("192.0.2.1", nil)
	ok("192.0.2.1", nil)
	refused("192.0.2.1", nil, "the 2 free calls a caller may make today")
	ok("192.0.2.1", &owner) // the same address, identified: another caller
	ok("192.0.2.1", &owner)
	refused("192.0.2.7", &owner, "the 2 free calls a caller may make today")
	// A paid call runs and does not count.
	if status, body := paidCall(t, s, knownAgent, voucher(t, stranger, fuzzChainID, 1, knownAgent, 10, 1)); status != http.StatusOK {
		t.Fatalf("a paid call: %d %s", status, body.Error.Message)
	}
	ok("192.0.2.7", &stranger) // another account, from that address: the fifth free call
	refused("192.0.2.3", nil, "calls of today are used up")
	if inv.n.Load() != 6 {
		t.Fatalf("the agent ran %d times, want 6 (5 free, 1 paid)", inv.n.Load())
	}
	// A Cove-Auth is checked as for the owner's requests: one signed for
	// another path, or used twice, is refused before anything counts.
	a := genuineAuth(knownAgent)
	if status, body := freeCall(t, s, "192.0.2.4", nil, signed(t, stranger, a)); status != http.StatusUnauthorized || body.Error.Code != "auth_wrong_resource" {
		t.Fatalf("a Cove-Auth for another path: %d %+v", status, body.Error)
	}
}

// TestFreeTierAuthReplayed: a Cove-Auth that identified one free call is
// refused for a second (the nonce), and the genuine next one passes.
func TestFreeTierAuthReplayed(t *testing.T) {
	s, c := newTestGateway(t, gateway.DefaultConfig(), &countingInvoker{})
	mustTx(t, c, owner, chain.SetAgentPrice{Agent: knownAgent, Price: big.NewInt(10), Nonce: 1})
	mustTx(t, c, owner, chain.SetFreeTier{Agent: knownAgent, CallsPerDay: 5, PerCaller: 5, Nonce: 2})
	a := genuineAuth(knownAgent)
	a.Path = "/agents/" + knownAgent.String() + "/"
	h := signed(t, stranger, a)
	if status, _ := freeCall(t, s, "192.0.2.1", nil, h); status != http.StatusOK {
		t.Fatalf("first use: %d", status)
	}
	if status, body := freeCall(t, s, "192.0.2.1", nil, h); status != http.StatusUnauthorized || body.Error.Code != "auth_replayed" {
		t.Fatalf("second use: %d %+v", status, body.Error)
	}
	if status, _ := freeCall(t, s, "192.0.2.1", &stranger, ""); status != http.StatusOK {
		t.Fatalf("a fresh one: %d", status)
	}
}

// hangupInvoker starts the agent (counting it), then waits for the
// caller to go away and answers with the context's error, as a worker does
// for a call whose caller hung up mid-run.
type hangupInvoker struct {
	runs    atomic.Int64
	started chan struct{}
}

func (h *hangupInvoker) Invoke(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error) {
	h.runs.Add(1)
	select {
	case h.started <- struct{}{}:
	default: // a second run: the test fails on the count
	}
	select {
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
	}
	return nil, ctx.Err()
}

func (h *hangupInvoker) Ready() error { return nil }

// TestPaidCallHangupKeepsVoucher: a caller that goes away while its agent
// runs does not get its voucher back (the agent ran): the same voucher
// sent again is a replay.
func TestPaidCallHangupKeepsVoucher(t *testing.T) {
	inv := &hangupInvoker{started: make(chan struct{}, 1)}
	s, c := newTestGateway(t, gateway.DefaultConfig(), inv)
	mustTx(t, c, owner, chain.SetAgentPrice{Agent: knownAgent, Price: big.NewInt(10), Nonce: 1})
	mustTx(t, c, stranger, chain.OpenChannel{Agent: knownAgent, Deposit: big.NewInt(100), Verifier: testWorker, Nonce: 0})
	h := voucher(t, stranger, fuzzChainID, 1, knownAgent, 10, 1)
	ctx, cancel := context.WithCancel(t.Context())
	req := httptest.NewRequest(http.MethodGet, "/agents/"+knownAgent.String()+"/", nil).WithContext(ctx)
	req.Header.Set(api.HeaderPayment, h)
	done := make(chan struct{})
	go func() { s.ServeHTTP(httptest.NewRecorder(), req); close(done) }()
	<-inv.started
	cancel()
	<-done
	if status, body := paidCall(t, s, knownAgent, h); status != http.StatusPaymentRequired || !strings.Contains(body.Error.Message, "a replay") {
		t.Fatalf("the voucher of a call its caller left: %d %s", status, body.Error.Message)
	}
	if inv.runs.Load() != 1 {
		t.Fatalf("the agent ran %d times", inv.runs.Load())
	}
}

// TestFreeTierRefusedUseNoNonce: callers the free tier refuses use up no
// Cove-Auth nonce: 64 of them (the gateway's whole memory of nonces here)
// leave the owner able to read its vouchers.
func TestFreeTierRefusedUseNoNonce(t *testing.T) {
	cfg := gateway.DefaultConfig()
	cfg.MaxAuthNonces = 64
	s, c := newTestGateway(t, cfg, &countingInvoker{})
	mustTx(t, c, owner, chain.SetAgentPrice{Agent: knownAgent, Price: big.NewInt(10), Nonce: 1})
	mustTx(t, c, owner, chain.SetFreeTier{Agent: knownAgent, CallsPerDay: 1, PerCaller: 1, Nonce: 2})
	if status, _ := freeCall(t, s, "192.0.2.1", nil, ""); status != http.StatusOK {
		t.Fatalf("the day's free call: %d", status)
	}
	for i := range 64 {
		k := newFuzzKey(fmt.Sprintf("caller-%d", i))
		if status, _ := freeCall(t, s, "192.0.2.2", &k, ""); status != http.StatusPaymentRequired {
			t.Fatalf("caller %d: %d", i, status)
		}
	}
	if code := vouchersStatus(t, s, owner); code != http.StatusOK {
		t.Fatalf("the owner's vouchers after 64 refused free calls: %d", code)
	}
}

// fakeLinkVouchers stands in for the workers' links: what each "worker"
// says it accepted, and workers that do not answer.
type fakeLinkVouchers struct {
	lists [][]api.Redeemable
	errs  []error
	auth  string // the Cove-Auth it was passed
	asked int
}

func (f *fakeLinkVouchers) Vouchers(_ context.Context, _ cove.AgentID, auth string) ([][]api.Redeemable, []error) {
	f.auth = auth
	f.asked++
	return f.lists, f.errs
}

// redeemable is k's voucher of channel ch as a worker's link lists it.
func redeemable(t *testing.T, k fuzzKey, ch uint64, amount int64, nonce uint64) api.Redeemable {
	t.Helper()
	p := mustParse(t, voucher(t, k, fuzzChainID, ch, knownAgent, amount, nonce))
	return api.Redeemable{Channel: ch, Payer: stranger.addr, Amount: big.NewInt(amount).String(), Nonce: nonce,
		Signature: "0x" + hex.EncodeToString(p.Signature[:]), Redeemed: "0"}
}

// noPrefix is r with its signature's 0x taken off.
func noPrefix(r api.Redeemable) api.Redeemable {
	r.Signature = strings.TrimPrefix(r.Signature, "0x")
	return r
}

// TestLinkVouchersMerged: the owner's list of vouchers holds the ones the
// workers accepted at their links too, each checked against the chain: of
// a channel, the highest; a worker's forged voucher (another signer, an
// amount above the deposit) is left out, the genuine one beside it kept;
// a worker that does not answer leaves the rest.
func TestLinkVouchersMerged(t *testing.T) {
	s, c := newTestGateway(t, gateway.DefaultConfig(), &countingInvoker{})
	mustTx(t, c, owner, chain.SetAgentPrice{Agent: knownAgent, Price: big.NewInt(10), Nonce: 1})
	mustTx(t, c, stranger, chain.OpenChannel{Agent: knownAgent, Deposit: big.NewInt(100), Verifier: testWorker, Nonce: 0})
	mustTx(t, c, stranger, chain.OpenChannel{Agent: knownAgent, Deposit: big.NewInt(100), Verifier: testWorker, Nonce: 1})
	mustTx(t, c, stranger, chain.OpenChannel{Agent: knownAgent, Deposit: big.NewInt(100), Verifier: testWorker, Nonce: 2})
	if status, _ := paidCall(t, s, knownAgent, voucher(t, stranger, fuzzChainID, 1, knownAgent, 10, 1)); status != http.StatusOK {
		t.Fatalf("a paid call: %d", status)
	}
	lv := &fakeLinkVouchers{
		lists: [][]api.Redeemable{
			{redeemable(t, stranger, 1, 30, 3), redeemable(t, owner, 2, 60, 3)},    // channel 2: higher, but the owner's signature, not the payer's
			{redeemable(t, stranger, 1, 20, 2), redeemable(t, stranger, 2, 50, 2)}, // channel 2: the genuine one
			{noPrefix(redeemable(t, stranger, 2, 70, 4))},                          // channel 2: higher, genuine, but its signature without 0x
			{redeemable(t, stranger, 3, 101, 1)},                                   // channel 3: above its deposit
			{redeemable(t, stranger, 3, 40, 1), redeemable(t, stranger, 3, 45, 2)}, // channel 3 twice: only the first a worker lists is checked
		},
		errs: []error{errors.New("a worker that is down")},
	}
	s.SetLinkVouchers(lv)
	// Channel 1's highest comes with a payer and a redeemed total of the
	// worker's own invention: what the owner gets is the chain's.
	lv.lists[0][0].Payer, lv.lists[0][0].Redeemed = owner.addr, "99"
	got := redeemables(t, s, owner)
	if len(got) != 3 || got[0].Channel != 1 || got[0].Amount != "30" || got[1].Channel != 2 || got[1].Amount != "50" || got[2].Channel != 3 || got[2].Amount != "40" {
		t.Fatalf("merged vouchers %+v", got)
	}
	for _, r := range got {
		if r.Payer != stranger.addr || r.Redeemed != "0" || !strings.HasPrefix(r.Signature, "0x") {
			t.Fatalf("a worker's voucher passed on as it sent it: %+v", r)
		}
	}
	if lv.auth == "" {
		t.Fatal("the owner's Cove-Auth was not passed on to the workers")
	}
	// Each redeems on chain.
	for i, r := range got {
		amount, _ := new(big.Int).SetString(r.Amount, 10)
		mustTx(t, c, owner, chain.Redeem{Channel: r.Channel, Amount: amount, VoucherNonce: r.Nonce, Signature: mustHex(t, r.Signature), Nonce: uint64(2 + i)})
	}
	// Redeemed, the workers' same vouchers add nothing: none is offered.
	if got := redeemables(t, s, owner); len(got) != 0 {
		t.Fatalf("vouchers after the redeems %+v", got)
	}
}

// workerInvoker is a countingInvoker that says which workers run agents
// (gateway.WorkerLister) and keeps the Worker of the last call.
type workerInvoker struct {
	countingInvoker
	workers []cove.Hash
	last    atomic.Pointer[cove.Hash]
}

func (w *workerInvoker) Invoke(ctx context.Context, id cove.AgentID, call cove.Call) (*cove.Response, error) {
	w.last.Store(&call.Worker)
	return w.countingInvoker.Invoke(ctx, id, call)
}

func (w *workerInvoker) WorkersFor(cove.AgentID) []cove.Hash { return w.workers }

// TestChannelBoundToOneWorker (ADR 25): a channel's vouchers are taken
// only when the channel names its verifier, and the call goes to that
// worker (cove.Call.Worker); the vouchers of a channel bound to the
// node's own worker are kept in that worker's ledger, which its link
// checks against, so the voucher one took the other refuses. The terms
// name the workers to bind to. Each refusal beside its control.
func TestChannelBoundToOneWorker(t *testing.T) {
	other := cove.Hash{0xee}
	inv := &workerInvoker{workers: []cove.Hash{testWorker, other}}
	s, c := newTestGateway(t, gateway.DefaultConfig(), inv)
	own, err := payment.Open("", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s.SetWorkerLedger(testWorker, own)
	mustTx(t, c, owner, chain.SetAgentPrice{Agent: knownAgent, Price: big.NewInt(10), Nonce: 1})
	mustTx(t, c, stranger, chain.OpenChannel{Agent: knownAgent, Deposit: big.NewInt(100), Verifier: testWorker, Nonce: 0}) // 1
	mustTx(t, c, stranger, chain.OpenChannel{Agent: knownAgent, Deposit: big.NewInt(100), Nonce: 1})                       // 2: no verifier

	// The terms name the workers, in the invoker's order.
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/agents/"+knownAgent.String()+"/terms", nil))
	var terms api.PaymentTerms
	if err := json.Unmarshal(rec.Body.Bytes(), &terms); rec.Code != http.StatusOK || err != nil || terms.Price != "10" ||
		len(terms.Workers) != 2 || terms.Workers[0] != testWorker || terms.Workers[1] != other {
		t.Fatalf("terms: %d %s", rec.Code, rec.Body)
	}

	// A free agent's terms: price 0; an unknown agent's: 404.
	free := mustDeployOther(t, c)
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/agents/"+free.String()+"/terms", nil))
	if err := json.Unmarshal(rec.Body.Bytes(), &terms); rec.Code != http.StatusOK || err != nil || terms.Price != "0" {
		t.Fatalf("a free agent's terms: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/agents/"+cove.AgentID{0xee}.String()+"/terms", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("an unknown agent's terms: %d %s", rec.Code, rec.Body)
	}

	// An unbound channel's voucher is refused; the same voucher of the
	// bound channel (the control) pays, and the call goes to its worker.
	status, body := paidCall(t, s, knownAgent, voucher(t, stranger, fuzzChainID, 2, knownAgent, 10, 1))
	if status != http.StatusPaymentRequired || !strings.Contains(body.Error.Message, "channel 2 names no verifier") || len(body.Payment.Workers) != 2 {
		t.Fatalf("unbound channel: %d %s %+v", status, body.Error.Message, body.Payment)
	}
	first := voucher(t, stranger, fuzzChainID, 1, knownAgent, 10, 1)
	if status, body := paidCall(t, s, knownAgent, first); status != http.StatusOK {
		t.Fatalf("bound channel: %d %s", status, body.Error.Message)
	}
	if w := inv.last.Load(); w == nil || *w != testWorker {
		t.Fatalf("the call went to worker %v, want the channel's %s", w, testWorker)
	}
	if inv.n.Load() != 1 {
		t.Fatalf("the agent ran %d times, want 1", inv.n.Load())
	}

	// The worker's own ledger took it: its link refuses the same voucher
	// and takes the next (the control).
	a := cove.Agent{ID: knownAgent, Price: big.NewInt(10)}
	if _, ref := own.Pay(c.View(), a, first, testWorker); ref == nil || !strings.Contains(ref.Msg, "a replay") {
		t.Fatalf("the link took the voucher the gateway took: %+v", ref)
	}
	if pd, ref := own.Pay(c.View(), a, voucher(t, stranger, fuzzChainID, 1, knownAgent, 20, 2), testWorker); ref != nil || pd.Verifier() != testWorker {
		t.Fatalf("control: the link refused the next voucher: %+v", ref)
	}
	// The owner reads them from the worker's ledger through the gateway,
	// with no link source set: the highest, (20, 2).
	if got := redeemables(t, s, owner); len(got) != 1 || got[0].Channel != 1 || got[0].Amount != "20" {
		t.Fatalf("the owner's vouchers from the worker's ledger: %+v", got)
	}
	// Another worker's link refuses the channel's vouchers.
	if _, ref := own.Pay(c.View(), a, voucher(t, stranger, fuzzChainID, 1, knownAgent, 30, 3), other); ref == nil || !strings.Contains(ref.Msg, "is bound to worker "+testWorker.String()) {
		t.Fatalf("another worker took the channel's voucher: %+v", ref)
	}

	// A worker that refuses the voucher (payment_required) is answered
	// with the terms, and the gateway gives its voucher back.
	inv.fail.Store(&cove.Error{Status: http.StatusPaymentRequired, Code: api.CodePaymentRequired, Message: "worker: a replay"})
	third := voucher(t, stranger, fuzzChainID, 1, knownAgent, 30, 3)
	status, body = paidCall(t, s, knownAgent, third)
	if status != http.StatusPaymentRequired || body.Error.Message != "worker: a replay" || body.Payment == nil || body.Payment.Price != "10" {
		t.Fatalf("worker's refusal: %d %+v", status, body)
	}
	inv.fail.Store(nil)
	if status, body := paidCall(t, s, knownAgent, third); status != http.StatusOK {
		t.Fatalf("the voucher the worker refused was not given back: %d %s", status, body.Error.Message)
	}
}

// TestWorkerAcceptedVoucher: a worker that refuses a voucher as a replay sends
// the highest voucher of the channel it accepted (cove.Error.Accepted);
// the gateway, whose own view of a channel bound to that remote worker is
// behind, takes it once it checks as the payer's, answers the 402 with
// that state, and GET /v1/channels/{id} asks for the voucher after it.
// The controls: no voucher, or the same voucher signed by another key
// (what a lying worker could send), leave the gateway's view where it was.
func TestWorkerAcceptedVoucher(t *testing.T) {
	inv := &workerInvoker{}
	s, c := newTestGateway(t, gateway.DefaultConfig(), inv)
	mustTx(t, c, owner, chain.SetAgentPrice{Agent: knownAgent, Price: big.NewInt(10), Nonce: 1})
	mustTx(t, c, stranger, chain.OpenChannel{Agent: knownAgent, Deposit: big.NewInt(1000), Verifier: testWorker, Nonce: 0})
	state := func() api.ChannelState {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/channels/1", nil))
		var st api.ChannelState
		if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("channel state: %d %s", rec.Code, rec.Body)
		}
		return st
	}
	refuse := func(accepted string) api.ErrorBody {
		t.Helper()
		inv.fail.Store(&cove.Error{Status: http.StatusPaymentRequired, Code: api.CodePaymentRequired, Message: "worker: a replay", Accepted: accepted})
		status, body := paidCall(t, s, knownAgent, voucher(t, stranger, fuzzChainID, 1, knownAgent, 10, 1))
		if status != http.StatusPaymentRequired || body.Payment == nil || body.Payment.Channel == nil {
			t.Fatalf("the worker's refusal: %d %+v", status, body)
		}
		return body
	}
	for _, bad := range []string{"", voucher(t, owner, fuzzChainID, 1, knownAgent, 90, 9), voucher(t, stranger, fuzzChainID, 1, knownAgent, 1001, 9)} {
		refuse(bad)
		if st := state(); st.NextAmount != "10" || st.NextNonce != 1 {
			t.Fatalf("a refusal with voucher %q moved the gateway's view: %+v", bad, st)
		}
	}
	body := refuse(voucher(t, stranger, fuzzChainID, 1, knownAgent, 90, 9))
	if ch := body.Payment.Channel; ch.NextAmount != "100" || ch.NextNonce != 10 {
		t.Fatalf("the 402's channel after the worker's voucher: %+v", ch)
	}
	if st := state(); st.NextAmount != "100" || st.NextNonce != 10 {
		t.Fatalf("the channel's state after the worker's voucher: %+v", st)
	}
	// The next voucher the payer signs from it runs.
	inv.fail.Store(nil)
	if status, body := paidCall(t, s, knownAgent, voucher(t, stranger, fuzzChainID, 1, knownAgent, 100, 10)); status != http.StatusOK {
		t.Fatalf("the voucher above the floor: %d %s", status, body.Error.Message)
	}
}
