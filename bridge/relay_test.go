package bridge

import (
	"context"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// logged reports whether a line of logs has msg and every one of attrs.
func logged(logs *syncbuf.Buffer, msg string, attrs ...string) bool {
	for _, line := range strings.Split(logs.String(), "\n") {
		if !strings.Contains(line, `msg="`+msg) {
			continue
		}
		ok := true
		for _, a := range attrs {
			ok = ok && strings.Contains(line, a)
		}
		if ok {
			return true
		}
	}
	return false
}

// fail makes the agent's Invoke return err (nil: answer again).
func (c *signingCove) setFail(id cove.AgentID, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		delete(c.fail, id)
	} else {
		c.fail[id] = err
	}
}

// fulfilledWith returns the status of request id's CoveFulfilled events.
func (e *chainEnv) fulfilledWith(id *big.Int) []uint16 {
	e.t.Helper()
	it, err := e.anchor.FilterCoveFulfilled(&bind.FilterOpts{Start: 0}, []*big.Int{id})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []uint16
	for it.Next() {
		out = append(out, it.Event.Status)
	}
	return out
}

// TestAgentErrorStatus: an agent that answers with an error status and a
// receipt is a fulfilment with that status, which the consumer sees; the
// control before it is a 200.
func TestAgentErrorStatus(t *testing.T) {
	e := newChainEnv(t)
	var logs syncbuf.Buffer
	_, stop := e.start(t.TempDir(), &logs)
	defer stop()
	for _, status := range []uint16{200, 502} {
		e.cove.mu.Lock()
		e.cove.status = int(status)
		e.cove.mu.Unlock()
		ids := e.ask(1, "q")
		e.mineUntil("the fulfilment", func() bool { return e.fulfilled(ids) })
		if got := e.fulfilledWith(ids[0]); len(got) != 1 || got[0] != status {
			t.Errorf("request %s: CoveFulfilled statuses %v, want [%d]", ids[0], got, status)
		}
		last, err := e.consumer.LastStatus(nil)
		if err != nil {
			t.Fatal(err)
		}
		if rid, _ := e.consumer.LastRequestId(nil); last != status || rid.Cmp(ids[0]) != 0 {
			t.Errorf("the consumer saw status %d for request %s, want %d for %s", last, rid, status, ids[0])
		}
	}
}

// TestAgentNotFoundRetried: an Invoke that fails with 404 (an agent this
// node's view may not have reached yet) is retried with back-off, logged
// with the request id, and fulfilled once the agent answers; while it
// fails the request stays pending.
func TestAgentNotFoundRetried(t *testing.T) {
	e := newChainEnv(t)
	e.cove.setFail(e.agent, &cove.Error{Status: 404, Code: "agent_not_found", Message: "no such agent"})
	var logs syncbuf.Buffer
	_, stop := e.start(t.TempDir(), &logs)
	defer stop()
	ids := e.ask(1, "soon")
	e.mineUntil("the failed call logged", func() bool {
		return logged(&logs, "agent call failed; will retry", "request="+ids[0].String(), "no such agent")
	})
	if s := e.status(ids[0]); s != anchorPending {
		t.Fatalf("status %d while the agent is unknown", s)
	}
	e.cove.setFail(e.agent, nil)
	e.mineUntil("the fulfilment after the retry", func() bool { return e.fulfilled(ids) })
	if n := e.fulfilments(ids[0]); n != 1 {
		t.Errorf("fulfilled %d times", n)
	}
}

// TestStuckRequest: a request asking more callback gas than the relayer's
// max_callback_gas is not answered (the agent is not called), and stays
// in the state file only until the anchor settles it (here someone else
// fulfils it); the control, a request within the bound in the same bridge,
// is fulfilled.
func TestStuckRequest(t *testing.T) {
	e := newChainEnv(t)
	cfg := e.config(t.TempDir())
	cfg.Chains[0].MaxCallbackGas = 250_000 // e.ask asks 300,000
	var logs syncbuf.Buffer
	b, stop := e.run(cfg, &logs)
	defer stop()
	stuck := e.ask(1, "greedy")
	e.mineUntil("the request left", func() bool {
		return logged(&logs, "not answering a request", "request="+stuck[0].String(), "max_callback_gas")
	})
	if n := e.cove.calls.Load(); n != 0 {
		t.Fatalf("the agent was called %d times for a request over the bound", n)
	}
	ok := e.askGas(1, "modest", 200_000)
	e.mineUntil("the request within the bound fulfilled", func() bool { return e.fulfilled(ok) })
	e.fulfilByHand(stuck[0], "/price", []byte("greedy"))
	e.mineUntil("the settled stuck request forgotten", func() bool { return b.Status()[0].InFlight == 0 })
}

// TestAgentUnavailableRetried: an Invoke that fails with 503 is retried,
// and the request is fulfilled once the agent answers; while it fails the
// request stays pending.
func TestAgentUnavailableRetried(t *testing.T) {
	e := newChainEnv(t)
	e.cove.setFail(e.agent, &cove.Error{Status: 503, Code: "overloaded", Message: "try again"})
	var logs syncbuf.Buffer
	_, stop := e.start(t.TempDir(), &logs)
	defer stop()
	ids := e.ask(1, "later")
	e.mineUntil("the failed call logged", func() bool {
		return logged(&logs, "agent call failed; will retry", "request="+ids[0].String())
	})
	if s := e.status(ids[0]); s != anchorPending {
		t.Fatalf("status %d while the agent fails", s)
	}
	e.cove.setFail(e.agent, nil)
	e.mineUntil("the fulfilment after the retry", func() bool { return e.fulfilled(ids) })
	if n := e.fulfilments(ids[0]); n != 1 {
		t.Errorf("fulfilled %d times", n)
	}
	if logged(&logs, "request cannot be answered") || logged(&logs, "giving up") {
		t.Errorf("a 503 was taken as final\n%s", logs.String())
	}
}

// TestNodeDown: the EVM node refuses every call at start and again later;
// the bridge reports the failure in Status and logs it once per outage
// (not once per pass), and when the node is back it fulfils every request
// asked meanwhile exactly once, with no restart.
func TestNodeDown(t *testing.T) {
	e := newChainEnv(t)
	d := &faultyEVM{EVM: e.sim.Client()}
	d.down.Store(true)
	b, logs, stop := e.runWith(d, 0)
	defer stop()
	var ids []*big.Int
	for outage := range 2 {
		ids = append(ids, e.ask(2+outage, "down")...)
		refused := d.refused.Load()
		e.mineUntil("passes to fail", func() bool {
			return d.refused.Load() > refused+10 && strings.Contains(b.Status()[0].LastError, "connection refused")
		})
		d.down.Store(false)
		e.mineUntil("the requests fulfilled", func() bool {
			return e.fulfilled(ids) && b.Status()[0].Fulfilled == uint64(len(ids)) && b.Status()[0].LastError == ""
		})
		d.down.Store(true)
	}
	d.down.Store(false)
	for _, id := range ids {
		if n := e.fulfilments(id); n != 1 {
			t.Errorf("request %s fulfilled %d times", id, n)
		}
	}
	// Each outage's first failing pass is logged; a pass cut off midway by
	// the second outage may fail at another call first (two messages).
	if n := strings.Count(logs.String(), "bridge pass failed"); n < 2 || n > 3 {
		t.Errorf("%d failures logged over two outages of many passes\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "bridge pass succeeded again"); n != 2 {
		t.Errorf("%d recoveries logged, want 2", n)
	}
}

// TestFulfilledByOtherNoGas: a request another relayer fulfilled before
// the bridge got to it costs the bridge nothing: no agent call, no
// transaction (and no registration: the anchor has the attestor). The
// control, asked alongside it, is fulfilled by the bridge.
func TestFulfilledByOtherNoGas(t *testing.T) {
	e := newChainEnv(t)
	ids := e.ask(2, "z") // bodies "z" and "z!"
	e.fulfilByHand(ids[0], "/price", []byte("z"))
	calls := e.cove.calls.Load()
	relayer := crypto.PubkeyToAddress(e.relayKey.PublicKey)
	var logs syncbuf.Buffer
	b, stop := e.start(t.TempDir(), &logs)
	defer stop()
	// Requests are answered in id order, in one pass: by the time the
	// control's fulfilment is mined, the bridge has dealt with the other.
	e.mineUntil("the control fulfilled", func() bool { return e.fulfilled(ids) && b.Status()[0].Fulfilled == 1 })
	if !logged(&logs, "request fulfilled by someone else", "request="+ids[0].String()) {
		t.Errorf("the request fulfilled by hand is not logged as such\n%s", logs.String())
	}
	if n, _ := e.sim.Client().NonceAt(t.Context(), relayer, nil); n != 1 {
		t.Errorf("the relayer sent %d transactions, want 1 (the control's fulfilment)", n)
	}
	if n := e.cove.calls.Load() - calls; n != 1 {
		t.Errorf("the bridge called the agent %d times, want 1 (the control)", n)
	}
	for _, id := range ids {
		if n := e.fulfilments(id); n != 1 {
			t.Errorf("request %s fulfilled %d times", id, n)
		}
	}
}

// TestReprice: a fulfilment the node lost is sent again after
// RepriceAfter with the same nonce and higher fees, and the request is
// fulfilled once, by the replacement.
func TestReprice(t *testing.T) {
	e := newChainEnv(t)
	d := &faultyEVM{EVM: e.sim.Client(), lost: make(chan *types.Transaction, 1)}
	d.dropFulfil.Store(true)
	_, logs, stop := e.runWith(d, 100*time.Millisecond)
	defer stop()
	ids := e.ask(1, "again")
	e.mineUntil("the fulfilment", func() bool { return e.fulfilled(ids) })
	lost := <-d.lost
	it, err := e.anchor.FilterCoveFulfilled(&bind.FilterOpts{Start: 0}, []*big.Int{ids[0]})
	if err != nil || !it.Next() {
		t.Fatalf("no CoveFulfilled (%v)", err)
	}
	mined, _, err := e.sim.Client().TransactionByHash(t.Context(), it.Event.Raw.TxHash)
	if err != nil {
		t.Fatal(err)
	}
	if mined.Hash() == lost.Hash() || mined.Nonce() != lost.Nonce() ||
		mined.GasFeeCap().Cmp(lost.GasFeeCap()) <= 0 || mined.GasTipCap().Cmp(lost.GasTipCap()) <= 0 {
		t.Errorf("mined %s nonce %d fees %s/%s; lost %s nonce %d fees %s/%s", mined.Hash(), mined.Nonce(), mined.GasFeeCap(), mined.GasTipCap(),
			lost.Hash(), lost.Nonce(), lost.GasFeeCap(), lost.GasTipCap())
	}
	if n := e.fulfilments(ids[0]); n != 1 {
		t.Errorf("fulfilled %d times", n)
	}
	if !logged(logs, "fulfilment re-priced", "request="+ids[0].String()) {
		t.Errorf("no re-pricing logged\n%s", logs.String())
	}
}

// TestRepriceRegistration: an attestor registration the node lost holds
// its nonce, and every fulfilment after it, until it is re-priced: the same
// nonce at higher fees, not a new registration behind the fulfilments. Each
// request is then fulfilled exactly once.
func TestRepriceRegistration(t *testing.T) {
	e := newChainEnv(t)
	d := &faultyEVM{EVM: e.sim.Client()}
	d.dropRegister.Store(true)
	_, logs, stop := e.runWith(d, 200*time.Millisecond)
	defer stop()
	ids := e.ask(2, "reg")
	e.mineUntil("every request fulfilled", func() bool { return e.fulfilled(ids) })
	for _, id := range ids {
		if n := e.fulfilments(id); n != 1 {
			t.Errorf("request %s fulfilled %d times", id, n)
		}
	}
	if d.dropped.Load() != 1 || !strings.Contains(logs.String(), "attestor registration re-priced") {
		t.Errorf("dropped %d sends; want the registration lost once and re-priced\n%s", d.dropped.Load(), logs.String())
	}
}

// TestBatchSendFails: fulfilments go out as a batch, recorded once, then
// sent in nonce order; when the third send fails, it and the ones after it
// (which never left) are answered again with fresh nonces, so no nonce gap
// holds the rest up and every request is fulfilled exactly once, with no
// transaction beyond the registration and one fulfilment each. The control
// is the first two of the same batch, fulfilled with their first
// transactions.
func TestBatchSendFails(t *testing.T) {
	e := newChainEnv(t)
	d := &faultyEVM{EVM: e.sim.Client()}
	d.failFulfilAt.Store(3)
	_, logs, stop := e.runWith(d, 0)
	defer stop()
	relayer := crypto.PubkeyToAddress(e.relayKey.PublicKey)
	ids := e.ask(6, "batch")
	e.mineUntil("every request fulfilled", func() bool { return e.fulfilled(ids) })
	for _, id := range ids {
		if n := e.fulfilments(id); n != 1 {
			t.Errorf("request %s fulfilled %d times", id, n)
		}
	}
	if n, _ := e.sim.Client().NonceAt(t.Context(), relayer, nil); n != 7 {
		t.Errorf("the relayer sent %d transactions, want 7 (a registration, six fulfilments)\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "connection reset by peer") {
		t.Errorf("the failed send was not logged\n%s", logs.String())
	}
}

// TestRestartFillsNonceGap: a bridge whose registration and fulfilments
// were recorded but lost stops, and its record of the registration is lost
// too; the restarted bridge fills the nonce the registration had with an
// empty transfer so the fulfilments are not stuck behind it, answers again
// those that reverted for want of the attestor, and fulfils every request
// exactly once.
func TestRestartFillsNonceGap(t *testing.T) {
	e := newChainEnv(t)
	dir := t.TempDir()
	var logs syncbuf.Buffer
	ids := e.loseSends(dir, 3, &logs)
	path := filepath.Join(dir, "bridge-sim.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]json.RawMessage
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	if _, ok := st["registrations"]; !ok {
		t.Fatalf("no registration recorded: %s", raw)
	}
	delete(st, "registrations")
	if raw, err = json.Marshal(st); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	b, stop := e.start(dir, &logs)
	defer stop()
	e.mineUntil("every request fulfilled", func() bool { return e.fulfilled(ids) && b.Status()[0].Fulfilled == 3 })
	for _, id := range ids {
		if n := e.fulfilments(id); n != 1 {
			t.Errorf("request %s fulfilled %d times", id, n)
		}
	}
	if !logged(&logs, "filling a nonce gap", "nonce=0") {
		t.Errorf("no gap filled\n%s", logs.String())
	}
}

// replaceOwnerTx sends, with the owner's nonce n and fees far above the
// rest, a call of the consumer's ask with body (or, if body is nil, an
// empty transfer to the owner): on a fork it takes the place of the
// owner's transaction the pool put back.
func (e *chainEnv) replaceOwnerTx(n uint64, body []byte) {
	e.t.Helper()
	if err := e.sendReplacement(n, body); err != nil {
		e.t.Fatal(err)
	}
}

// sendReplacement is replaceOwnerTx returning its error (for a hook that
// runs on the bridge's goroutine).
func (e *chainEnv) sendReplacement(n uint64, body []byte) error {
	opts := *e.owner
	opts.Nonce = new(big.Int).SetUint64(n)
	opts.GasTipCap, opts.GasFeeCap = big.NewInt(50e9), big.NewInt(100e9)
	opts.Value = big.NewInt(testFee)
	opts.GasLimit = 400_000
	opts.NoSend = true
	tx, err := e.consumer.Ask(&opts, "/price", body, 300_000)
	if body == nil {
		tx, err = e.owner.Signer(e.owner.From, types.NewTx(&types.DynamicFeeTx{
			ChainID: e.chainID, Nonce: n, GasTipCap: opts.GasTipCap, GasFeeCap: opts.GasFeeCap, Gas: 21_000, To: &e.owner.From,
		}))
	}
	if err != nil {
		return err
	}
	// The pool learns of the fork in the background: until then it says
	// the nonce is used.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := e.sim.Client().SendTransaction(context.Background(), tx)
		if err == nil {
			return nil
		}
		if !strings.Contains(err.Error(), "nonce too low") || time.Now().After(deadline) {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// head returns the chain's latest header.
func (e *chainEnv) head() *types.Header {
	e.t.Helper()
	h, err := e.sim.Client().HeaderByNumber(e.t.Context(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// TestReorgRewinds (0 confirmations): a request the bridge fulfilled is
// reorged away, and the new branch has another request under the same id
// (or none); the bridge rewinds its scan and fulfils what the new branch
// has, exactly once. The fulfilment of the old request, put back by the
// node's pool, reverts on the new branch.
func TestReorgRewinds(t *testing.T) {
	for _, c := range []struct {
		name string
		body []byte // the new branch's request under the id; nil: none
	}{
		{"another request", []byte("new")},
		{"no request", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newChainEnv(t)
			var logs syncbuf.Buffer
			b, stop := e.start(t.TempDir(), &logs)
			defer stop()
			warm := e.ask(1, "warm") // the registration, outside the fork
			e.mineUntil("the first request", func() bool { return e.fulfilled(warm) && b.Status()[0].Fulfilled == 1 })
			fork := e.head()
			nonce := e.ownerNonce()
			old := e.ask(1, "old")
			e.mineUntil("the request to be reorged fulfilled", func() bool { return e.fulfilled(old) && b.Status()[0].Fulfilled == 2 })
			if err := e.sim.Fork(fork.Hash()); err != nil {
				t.Fatal(err)
			}
			e.replaceOwnerTx(nonce, c.body)
			e.sim.Commit()
			e.mineUntil("the rewind", func() bool { return logged(&logs, "reorg: rescanning") })
			id := old[0]
			if c.body == nil {
				// Nothing to fulfil: a later request gets the id again.
				if s := e.status(id); s != anchorNone {
					t.Fatalf("request %s status %d on the new branch", id, s)
				}
				later := e.ask(1, "later")
				if later[0].Cmp(id) != 0 {
					t.Fatalf("the later request has id %s, want %s", later[0], id)
				}
				c.body = []byte("later")
			}
			e.mineUntil("the new branch's request fulfilled", func() bool { return e.fulfilled([]*big.Int{id}) })
			if n := e.fulfilments(id); n != 1 {
				t.Errorf("request %s fulfilled %d times on the new branch", id, n)
			}
			want := []byte(c.body)
			for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
				want[i], want[j] = want[j], want[i]
			}
			if got, _ := e.consumer.LastResponse(nil); string(got) != string(want) {
				t.Errorf("the consumer's answer %q, want %q", got, want)
			}
			if rid, _ := e.consumer.LastRequestId(nil); rid.Cmp(id) != 0 {
				t.Errorf("the consumer's last request %s, want %s", rid, id)
			}
		})
	}
}

// TestReorgBeforeConfirmations: with 2 confirmations, a request whose
// block is reorged away before it is 2 deep is never acted on: the agent is
// not called for it. The control: the request the new branch has later,
// under the same id, is fulfilled.
func TestReorgBeforeConfirmations(t *testing.T) {
	e := newChainEnv(t)
	cfg := e.config(t.TempDir())
	cfg.Chains[0].Confirmations = 2
	var logs syncbuf.Buffer
	b, stop := e.run(cfg, &logs)
	defer stop()
	warm := e.ask(1, "warm")
	e.mineUntil("the first request", func() bool { return e.fulfilled(warm) && b.Status()[0].Fulfilled == 1 })
	e.mineUntil("its fulfilment final", func() bool { return b.Status()[0].InFlight == 0 })
	fork := e.head()
	nonce := e.ownerNonce()
	gone := e.ask(1, "gone")
	// The bridge sees the request's block as the head, not yet deep enough.
	top := e.head().Number.Uint64()
	deadline := time.Now().Add(5 * time.Second)
	for b.Status()[0].Head != top {
		if time.Now().After(deadline) {
			t.Fatalf("the bridge did not see head %d: %+v", top, b.Status()[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := e.sim.Fork(fork.Hash()); err != nil {
		t.Fatal(err)
	}
	e.replaceOwnerTx(nonce, nil)
	e.sim.Commit()
	later := e.ask(1, "later")
	if later[0].Cmp(gone[0]) != 0 {
		t.Fatalf("the later request has id %s, want %s", later[0], gone[0])
	}
	e.mineUntil("the later request fulfilled", func() bool { return e.fulfilled(later) })
	if n := e.cove.calls.Load(); n != 2 {
		t.Errorf("the agent was called %d times, want 2 (never for the reorged request)", n)
	}
	if got, _ := e.consumer.LastResponse(nil); string(got) != "retal" {
		t.Errorf("the consumer's answer %q", got)
	}
	if n := e.fulfilments(later[0]); n != 1 {
		t.Errorf("fulfilled %d times", n)
	}
}

// TestReorgDuringAnswer: a reorg that lands between the bridge's reorg
// check and its call of the agent (here: as it reads requestOf) puts
// another request under the id; the bridge sees that the anchor's
// requestHash is not the one it scanned and drops what it saw without
// calling the agent, then rewinds and fulfils the new branch's request.
func TestReorgDuringAnswer(t *testing.T) {
	e := newChainEnv(t)
	d := &faultyEVM{EVM: e.sim.Client()}
	b, logs, stop := e.runWith(d, 0)
	defer stop()
	warm := e.ask(1, "warm")
	e.mineUntil("the first request final", func() bool {
		return e.fulfilled(warm) && b.Status()[0].Fulfilled == 1 && b.Status()[0].InFlight == 0
	})
	fork, nonce := e.head(), e.ownerNonce()
	hookErr := make(chan error, 1)
	hook := func() {
		err := e.sim.Fork(fork.Hash())
		if err == nil {
			err = e.sendReplacement(nonce, []byte("new"))
		}
		if err == nil {
			e.sim.Commit()
		}
		hookErr <- err
	}
	d.beforeRequestOf.Store(&hook)
	old := e.ask(1, "old")
	if err := <-hookErr; err != nil {
		t.Fatal(err)
	}
	e.mineUntil("the new branch's request fulfilled", func() bool { return e.fulfilled(old) })
	if !logged(logs, "request no longer on chain as seen", "request="+old[0].String()) {
		t.Errorf("the changed request was not noticed\n%s", logs.String())
	}
	if n := e.cove.calls.Load(); n != 2 {
		t.Errorf("the agent was called %d times, want 2 (never for the request reorged away)", n)
	}
	if got, _ := e.consumer.LastResponse(nil); string(got) != "wen" {
		t.Errorf("the consumer's answer %q, want %q", got, "wen")
	}
	if n := e.fulfilments(old[0]); n != 1 {
		t.Errorf("fulfilled %d times", n)
	}
}

// TestReceiptLag: the node reports the relayer's nonce as used before it
// serves the fulfilment's receipt (for a few blocks). The bridge must not
// take its fulfilment as lost (and the request as "fulfilled by someone
// else", no longer watched for a reorg): the request is fulfilled once, the
// agent called once, and the bridge counts the fulfilment as its own.
func TestReceiptLag(t *testing.T) {
	e := newChainEnv(t)
	d := &faultyEVM{EVM: e.sim.Client(), receiptLag: 100 * time.Millisecond}
	b, logs, stop := e.runWith(d, 0)
	defer stop()
	ids := e.ask(2, "slow")
	e.mineUntil("the fulfilments", func() bool { return e.fulfilled(ids) })
	e.mineUntil("the fulfilments counted", func() bool { return b.Status()[0].Fulfilled == 2 })
	if n := e.cove.calls.Load(); n != 2 {
		t.Errorf("the agent was called %d times, want 2\n%s", n, logs.String())
	}
	for _, id := range ids {
		if n := e.fulfilments(id); n != 1 {
			t.Errorf("request %s fulfilled %d times", id, n)
		}
	}
	if logged(logs, "request fulfilled by someone else") {
		t.Errorf("its own fulfilment taken for another's\n%s", logs.String())
	}
}

// TestReorgOfOthersFulfilment (0 confirmations): a request another relayer
// fulfilled before the bridge got to it, whose fulfilment (not the
// request) is then reorged away, is pending again on the new branch; the
// bridge, which watched that fulfilment until final, answers it. Nothing
// rescans the request's block, which the reorg left alone.
func TestReorgOfOthersFulfilment(t *testing.T) {
	e := newChainEnv(t)
	ids := e.ask(1, "other")
	rec, err := e.cove.Agent(e.agent)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := e.anchor.RegisterAttestor(e.owner, e.agent, common.Address(rec.Attestor), rec.KeyEpoch, rec.AttestorGrant)
	e.mine(tx, err)
	fork, nonce := e.head(), e.ownerNonce()
	e.fulfilByHand(ids[0], "/price", []byte("other"))
	var logs syncbuf.Buffer
	_, stop := e.start(t.TempDir(), &logs)
	defer stop()
	e.mineUntil("the bridge to see it fulfilled", func() bool {
		return logged(&logs, "request fulfilled by someone else", "request="+ids[0].String())
	})
	if err := e.sim.Fork(fork.Hash()); err != nil {
		t.Fatal(err)
	}
	e.replaceOwnerTx(nonce, nil) // the other relayer's fulfilment is gone
	e.sim.Commit()
	if s := e.status(ids[0]); s != anchorPending {
		t.Fatalf("status %d on the new branch, want pending", s)
	}
	e.mineUntil("the request fulfilled again", func() bool { return e.fulfilled(ids) })
	if n := e.fulfilments(ids[0]); n != 1 {
		t.Errorf("fulfilled %d times on the new branch", n)
	}
	relayer := crypto.PubkeyToAddress(e.relayKey.PublicKey)
	if n, _ := e.sim.Client().NonceAt(t.Context(), relayer, nil); n != 1 {
		t.Errorf("the relayer sent %d transactions, want 1", n)
	}
}
