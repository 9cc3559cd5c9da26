package payment

import (
	"context"
	"errors"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
)

// TestFreeCountsDays: the counts start again at midnight UTC, not before.
func TestFreeCountsDays(t *testing.T) {
	var f FreeCounts
	tier := cove.FreeTier{CallsPerDay: 2, PerCaller: 1}
	agent := cove.AgentID{1}
	day := time.Date(2026, 12, 3, 23, 59, 58, 0, time.UTC)
	if why, _ := f.Take(agent, tier, "a", day, nil); why != "" {
		t.Fatal("first call refused")
	}
	if why, _ := f.Take(agent, tier, "a", day.Add(time.Second), nil); why == "" {
		t.Fatal("a second call by one caller passed the same day")
	}
	if why, _ := f.Take(agent, tier, "b", day.Add(time.Second), nil); why != "" {
		t.Fatal("another caller refused")
	}
	if why, _ := f.Take(agent, tier, "c", day.Add(time.Second), nil); why == "" {
		t.Fatal("a third call passed a tier of 2 a day")
	}
	if why, _ := f.Take(agent, tier, "a", day.Add(2*time.Second), nil); why != "" {
		t.Fatal("the next day's first call refused")
	}
}

// TestFreeCountsReturn: a free call given back (no agent ran it) frees the
// caller's and the day's count; one taken the day before is not given
// back into today's counts, nor one of another caller.
func TestFreeCountsReturn(t *testing.T) {
	var f FreeCounts
	tier := cove.FreeTier{CallsPerDay: 2, PerCaller: 1}
	agent := cove.AgentID{1}
	day := time.Date(2026, 12, 3, 23, 59, 58, 0, time.UTC)
	if why, _ := f.Take(agent, tier, "a", day, nil); why != "" {
		t.Fatal("first call refused")
	}
	f.Return(agent, "a", day)
	if why, _ := f.Take(agent, tier, "a", day, nil); why != "" {
		t.Fatalf("a's call given back, its next refused: %s", why)
	}
	f.Return(agent, "b", day) // b took nothing: a's stays counted
	if why, _ := f.Take(agent, tier, "a", day, nil); why == "" {
		t.Fatal("another caller's return gave a a call")
	}
	open := cove.FreeTier{CallsPerDay: 2} // no bound per caller: the day's count alone
	if why, _ := f.Take(agent, open, "c", day, nil); why != "" {
		t.Fatalf("the day's second call refused: %s", why)
	}
	if why, _ := f.Take(agent, open, "d", day, nil); why == "" {
		t.Fatal("b's return (it took nothing) gave the day a third call")
	}
	next := day.Add(3 * time.Second)
	if why, _ := f.Take(agent, tier, "a", next, nil); why != "" {
		t.Fatal("the next day's first call refused")
	}
	f.Return(agent, "a", day) // taken yesterday: today's count stays
	if why, _ := f.Take(agent, tier, "a", next, nil); why == "" {
		t.Fatal("yesterday's return gave a today's call again")
	}
}

// TestFreeCountsSaveLoad: the day's counts saved and loaded the same day
// carry on (the caller's used call stays used); loaded the next day they
// start from none; a file that does not decode is an error and none.
func TestFreeCountsSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "free-calls.json")
	tier := cove.FreeTier{CallsPerDay: 3, PerCaller: 1}
	agent := cove.AgentID{1}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	var f FreeCounts
	if why, _ := f.Take(agent, tier, "a", now, nil); why != "" {
		t.Fatal(why)
	}
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	var same FreeCounts
	if err := same.Load(path, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if why, _ := same.Take(agent, tier, "a", now.Add(time.Hour), nil); why == "" {
		t.Fatal("a's used call is free again after a load the same day")
	}
	if why, _ := same.Take(agent, tier, "b", now.Add(time.Hour), nil); why != "" {
		t.Fatalf("b refused after the load: %s", why)
	}
	var next FreeCounts
	if err := next.Load(path, now.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if why, _ := next.Take(agent, tier, "a", now.Add(24*time.Hour), nil); why != "" {
		t.Fatalf("the next day, a refused: %s", why)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	var bad FreeCounts
	if err := bad.Load(path, now); err == nil {
		t.Fatal("a corrupt file loaded")
	}
	if why, _ := bad.Take(agent, tier, "a", now, nil); why != "" {
		t.Fatalf("after a corrupt file, a refused: %s", why)
	}
}

// TestLedgerUndoAfterCompaction: a voucher given back after the log was
// compacted down to it leaves, after a restart, the voucher it replaced as
// the channel's floor (the undo line is followed by that voucher again).
func TestLedgerUndoAfterCompaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vouchers.log")
	log := slog.New(slog.DiscardHandler)
	l, err := Open(path, log)
	if err != nil {
		t.Fatal(err)
	}
	c := chain.ChannelRecord{ID: 1, Payer: cove.Address{1}, Agent: cove.AgentID{2}, Deposit: chain.AmountOf(big.NewInt(100)), Redeemed: chain.AmountOf(new(big.Int))}
	pay := func(amount int64, nonce uint64) api.Payment {
		p := api.Payment{Channel: 1, Agent: c.Agent, Amount: big.NewInt(amount), Nonce: nonce, ChainID: 7}
		p.Signature[64] = 27
		p.Signature[0] = byte(nonce)
		return p
	}
	p1, p2 := pay(10, 1), pay(20, 2)
	if _, _, err := l.accept(c, p1, p1.Header(), big.NewInt(10)); err != nil {
		t.Fatal(err)
	}
	prev, had, err := l.accept(c, p2, p2.Header(), big.NewInt(10))
	if err != nil {
		t.Fatal(err)
	}
	l.size = CompactBytes + 1
	l.Sync() // compacted: the log holds p2 only
	l.undo(p2, prev, had)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	l.Run(ctx) // the last sync, then closed
	l2, err := Open(path, log)
	if err != nil {
		t.Fatal(err)
	}
	if amount, nonce := l2.Floor(c); amount.Int64() != 10 || nonce != 1 {
		t.Fatalf("after a restart the floor is %s/%d, want 10/1", amount, nonce)
	}
}

// TestFreeCountsKeep: Keep writes the counts while they change, so a
// holder that crashes (never calls Save) keeps the day's calls: a call
// taken is on disk within a few intervals; with nothing taken, the
// control, nothing is written.
func TestFreeCountsKeep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "free-calls.json")
	tier := cove.FreeTier{CallsPerDay: 3, PerCaller: 1}
	agent := cove.AgentID{1}
	var f FreeCounts
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Keep(ctx, path, 10*time.Millisecond, slog.New(slog.DiscardHandler)); close(done) }()
	defer func() { cancel(); <-done }()
	time.Sleep(60 * time.Millisecond)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("written with nothing counted: %v", err)
	}
	now := time.Now()
	if why, _ := f.Take(agent, tier, "a", now, nil); why != "" {
		t.Fatal(why)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var after FreeCounts
		if err := after.Load(path, now); err != nil {
			t.Fatal(err)
		}
		if why, _ := after.Take(agent, tier, "a", now, nil); why != "" {
			break // a's one call is kept
		}
		if time.Now().After(deadline) {
			t.Fatal("the call taken was not written by Keep")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLedgerRunners: a ledger shared by holders (a worker, its link, its
// node's gateway) keeps its file open while any of their Runs is left:
// a line appended after the first stops is on disk when the last does;
// and a Run that begins after every other ended opens the file again.
func TestLedgerRunners(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vouchers.log")
	l, err := Open(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	runners := func() int {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.runners
	}
	run := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		want := runners() + 1
		go func() { l.Run(ctx); close(done) }()
		for runners() < want {
			time.Sleep(time.Millisecond)
		}
		return func() { cancel(); <-done }
	}
	appendLine := func(s string) {
		l.mu.Lock()
		l.append(s + "\n")
		l.mu.Unlock()
	}
	a := run()
	b := run()
	a()
	appendLine("after-the-first-stopped")
	b()
	// Every Run has ended: the file is closed. A new one opens it again.
	c := run()
	appendLine("after-a-new-start")
	c()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"after-the-first-stopped", "after-a-new-start"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the file lacks %q: %q", want, got)
		}
	}
}
