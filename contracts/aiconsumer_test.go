package contracts

import (
	"bytes"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
)

// AIConsumer's states (its State enum).
const (
	aiPending   = 1
	aiAnswered  = 2
	aiCancelled = 3
)

// aiCallbackGas lets AIConsumer store a 6 KB answer (about 22,000 gas
// per 32-byte slot written from zero).
const aiCallbackGas = 6_000_000

// aiEnv is newEnv's chain with an AIConsumer asking the same agent.
type aiEnv struct {
	*env
	ai   *AIConsumer
	aiAt common.Address
	aiAB abi.ABI
}

func newAIEnv(t *testing.T) *aiEnv {
	t.Helper()
	e := &aiEnv{env: newEnv(t)}
	at, dtx, ai, err := DeployAIConsumer(e.owner, e.sim.Client(), e.anchorAt, e.agent)
	e.mine(dtx, err)
	e.ai, e.aiAt = ai, at
	parsed, err := AIConsumerMetaData.GetAbi()
	if err != nil {
		t.Fatal(err)
	}
	e.aiAB = *parsed
	return e
}

// askAI sends prompt through the AIConsumer as from and returns the
// request id from the anchor's CoveRequest event.
func (e *aiEnv) askAI(from *bind.TransactOpts, prompt []byte) *big.Int {
	e.t.Helper()
	opts := *from
	opts.Value = big.NewInt(testFee)
	tx, err := e.ai.Ask(&opts, "/ask", prompt, aiCallbackGas)
	r := e.mine(tx, err)
	for _, l := range r.Logs {
		if ev, err := e.anchor.ParseCoveRequest(*l); err == nil {
			return ev.RequestId
		}
	}
	e.t.Fatal("no CoveRequest event")
	return nil
}

// text is a UTF-8 text answer of at least n bytes.
func text(n int) []byte {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		b.WriteString("Paragraph ")
		b.WriteString(big.NewInt(int64(i)).String())
		b.WriteString(": the café's crème brûlée costs 5 € — «très bon».\n")
	}
	return []byte(b.String())
}

// TestAIConsumer: anyone asks; each request's full text answer (over
// 4 KB) is kept under its id with the status and code hash, and an
// answer to one request leaves the other's alone.
func TestAIConsumer(t *testing.T) {
	e := newAIEnv(t)
	long, short := text(6000), []byte("Yes.")
	first := e.askAI(e.relayer, []byte("Write a long essay about crème brûlée."))
	second := e.askAI(e.owner, []byte("Is the sky blue?"))

	if a, err := e.ai.AnswerOf(nil, first); err != nil || a.State != aiPending || a.Asker != e.relayer.From {
		t.Fatalf("answerOf(%v) before the answer = %+v, %v; want pending, asked by %s", first, a, err, e.relayer.From)
	}

	r, sig := e.sign(e.attestor, e.agent, first, "/ask", []byte("Write a long essay about crème brûlée."), long, cove.ReceiptV2)
	rc, err := e.fulfil(first, r, long, sig)
	if err != nil {
		t.Fatalf("fulfil: %v (%s)", err, revertName(e.anchorAB, err))
	}
	t.Logf("fulfil gas, %d-byte text answer: %d", len(long), rc.GasUsed)
	var answered bool
	for _, l := range rc.Logs {
		if ev, err := e.anchor.ParseCoveFulfilled(*l); err == nil && !ev.CallbackSucceeded {
			t.Fatalf("callback of request %v failed", ev.RequestId)
		}
		if ev, err := e.ai.ParseAnswered(*l); err == nil {
			answered = ev.RequestId.Cmp(first) == 0 && ev.Status == 200 && ev.Length.Int64() == int64(len(long))
		}
	}
	if !answered {
		t.Fatalf("no Answered(%v, 200, %d) event", first, len(long))
	}
	a, err := e.ai.AnswerOf(nil, first)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Text, long) {
		t.Fatalf("stored %d bytes, want the %d-byte answer", len(a.Text), len(long))
	}
	if a.State != aiAnswered || a.Status != 200 || a.CodeHash != r.CodeHash || a.Asker != e.relayer.From {
		t.Fatalf("answerOf = {asker %s state %d status %d codeHash %x}, want {%s %d 200 %x}",
			a.Asker, a.State, a.Status, a.CodeHash, e.relayer.From, aiAnswered, r.CodeHash)
	}
	if b, _ := e.ai.AnswerOf(nil, second); b.State != aiPending || len(b.Text) != 0 {
		t.Fatalf("the other request: state %d, %d bytes; want pending and empty", b.State, len(b.Text))
	}

	r, sig = e.sign(e.attestor, e.agent, second, "/ask", []byte("Is the sky blue?"), short, cove.ReceiptV1)
	if _, err := e.fulfil(second, r, short, sig); err != nil {
		t.Fatalf("fulfil: %v (%s)", err, revertName(e.anchorAB, err))
	}
	if b, _ := e.ai.AnswerOf(nil, second); !bytes.Equal(b.Text, short) || b.State != aiAnswered {
		t.Fatalf("second answer %q (state %d), want %q", b.Text, b.State, short)
	}
	if a, _ := e.ai.AnswerOf(nil, first); !bytes.Equal(a.Text, long) {
		t.Fatal("answering the second request changed the first's answer")
	}

	// Only the anchor calls back.
	_, err = e.ai.OnCoveResponse(e.owner, first, 200, []byte("forged"), [32]byte{})
	if got := revertName(e.aiAB, err); got != "NotAnchor" {
		t.Fatalf("onCoveResponse from an account: %v (%q), want NotAnchor", err, got)
	}
}

// TestAIConsumerCancel: only the asker cancels, after the anchor's
// timeout, and gets the fee back.
func TestAIConsumerCancel(t *testing.T) {
	e := newAIEnv(t)
	id := e.askAI(e.relayer, []byte("Tell me a story."))
	if _, err := e.ai.Cancel(e.relayer, id); revertName(e.anchorAB, err) != "TooEarly" {
		t.Fatalf("cancel before the timeout: %v (%s), want TooEarly", err, revertName(e.anchorAB, err))
	}
	if err := e.sim.AdjustTime(testTimeout * time.Second); err != nil {
		t.Fatal(err)
	}
	e.sim.Commit()
	if _, err := e.ai.Cancel(e.owner, id); revertName(e.aiAB, err) != "NotAsker" {
		t.Fatalf("cancel by another account: %v (%s), want NotAsker", err, revertName(e.aiAB, err))
	}
	before, _ := e.sim.Client().BalanceAt(t.Context(), e.relayer.From, nil)
	tx, err := e.ai.Cancel(e.relayer, id)
	rc := e.mine(tx, err)
	after, _ := e.sim.Client().BalanceAt(t.Context(), e.relayer.From, nil)
	cost := new(big.Int).Mul(new(big.Int).SetUint64(rc.GasUsed), rc.EffectiveGasPrice)
	if refund := new(big.Int).Sub(new(big.Int).Add(after, cost), before); refund.Cmp(big.NewInt(testFee)) != 0 {
		t.Fatalf("asker refunded %v, want the fee %d", refund, testFee)
	}
	if a, _ := e.ai.AnswerOf(nil, id); a.State != aiCancelled {
		t.Fatalf("state %d after cancel, want cancelled", a.State)
	}
	if _, err := e.ai.Cancel(e.relayer, id); revertName(e.aiAB, err) != "NotPending" {
		t.Fatalf("second cancel: %v (%s), want NotPending", err, revertName(e.aiAB, err))
	}
}
