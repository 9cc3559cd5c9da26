package txsend_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/testchain"
	"github.com/cove-network/cove/txsend"
)

func transfer(to cove.Address, amount int64) func(uint64) chain.Msg {
	return func(n uint64) chain.Msg { return chain.Transfer{To: to, Amount: big.NewInt(amount), Nonce: n} }
}

// TestSend: a send takes the account's next nonce, is signed for the
// chain's id and waits for its block; a refusal is an outcome with its
// code, not an error.
func TestSend(t *testing.T) {
	admin, bob := testchain.NewKey(t), testchain.NewKey(t)
	l := testchain.New(t, admin.Address())
	s := txsend.New(l, admin)
	for i := range 3 {
		out, err := s.Send(context.Background(), transfer(bob.Address(), 5))
		if err != nil || out.Code != chain.CodeOK || out.Height == 0 {
			t.Fatalf("send %d: %+v, %v", i, out, err)
		}
	}
	if got := l.View().Account(bob.Address()).Balance; got.Cmp(big.NewInt(15)) != 0 {
		t.Fatalf("bob has %s, want 15", got)
	}
	if n := l.View().Account(admin.Address()).Nonce; n != 3 {
		t.Fatalf("admin nonce %d, want 3", n)
	}
	out, err := txsend.New(l, bob).Send(context.Background(), transfer(admin.Address(), 1000))
	if err != nil || out.Code != chain.CodeInsufficientFunds {
		t.Fatalf("overdraft: %+v, %v; want an outcome with code insufficient funds and no error", out, err)
	}
}

// racingLedger lets another holder of the key take the nonce just before
// each of the first n submissions, as the CLI of `cove dev` can with the
// node's operator key.
type racingLedger struct {
	*testchain.Ledger
	other *testchain.Key
	n     int
	races int
}

func (r *racingLedger) Submit(ctx context.Context, tx []byte) (chain.TxOutcome, error) {
	if r.races < r.n {
		r.races++
		r.MustSend(r.other, transfer(r.other.Address(), 1))
	}
	return r.Ledger.Submit(ctx, tx)
}

// TestSendRetriesStaleNonce: a send whose nonce another holder of the key
// took is signed again with the next nonce, up to DefaultRetries times;
// beyond that the bad-nonce outcome is returned.
func TestSendRetriesStaleNonce(t *testing.T) {
	admin, bob := testchain.NewKey(t), testchain.NewKey(t)
	for _, c := range []struct {
		races int
		want  uint32
	}{{0, chain.CodeOK}, {txsend.DefaultRetries, chain.CodeOK}, {txsend.DefaultRetries + 1, chain.CodeBadNonce}} {
		l := &racingLedger{Ledger: testchain.New(t, admin.Address()), other: admin, n: c.races}
		out, err := txsend.New(l, admin).Send(context.Background(), transfer(bob.Address(), 5))
		if err != nil || out.Code != c.want {
			t.Fatalf("%d races: %+v, %v; want code %d", c.races, out, err, c.want)
		}
	}
}

// TestSendSerializes: concurrent sends through one Sender never race each
// other for a nonce.
func TestSendSerializes(t *testing.T) {
	admin, bob := testchain.NewKey(t), testchain.NewKey(t)
	l := testchain.New(t, admin.Address())
	s := txsend.New(l, admin)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			out, err := s.Send(context.Background(), transfer(bob.Address(), 1))
			if err == nil && out.Code != chain.CodeOK {
				err = errors.New(out.Log)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := l.View().Account(admin.Address()).Nonce; n != 20 {
		t.Fatalf("nonce %d after 20 sends", n)
	}
}

// TestSendWithoutKey: a Sender with no key says so with ErrNoKey.
func TestSendWithoutKey(t *testing.T) {
	var s *txsend.Sender
	if _, err := s.Send(context.Background(), transfer(cove.Address{}, 1)); !errors.Is(err, txsend.ErrNoKey) {
		t.Fatalf("%v, want ErrNoKey", err)
	}
}

// TestSendWaitsForPendingNonce: when another holder of the key has a
// transaction pending with the nonce this send read (in the mempool, not
// yet in a block), the send waits for it to commit and then signs the next
// nonce, rather than spending its retries on the same refused nonce.
func TestSendWaitsForPendingNonce(t *testing.T) {
	admin, bob := testchain.NewKey(t), testchain.NewKey(t)
	l := testchain.New(t, admin.Address())
	pending := admin.Tx(t, testchain.ChainID, transfer(bob.Address(), 1)(0))
	if r := l.Admit(pending); r.Code != chain.CodeOK {
		t.Fatal(r.Log)
	}
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		time.Sleep(300 * time.Millisecond) // the other sender's block comes later
		l.Block(pending)
	}()
	out, err := txsend.New(l, admin).Send(context.Background(), transfer(bob.Address(), 5))
	<-committed
	if err != nil || out.Code != chain.CodeOK {
		t.Fatalf("%+v, %v: want the send to wait for the pending nonce and go through", out, err)
	}
	if n := l.View().Account(admin.Address()).Nonce; n != 2 {
		t.Fatalf("nonce %d, want 2", n)
	}
}

// blockingLedger holds every Submit until release is closed.
type blockingLedger struct {
	*testchain.Ledger
	entered chan struct{}
	release chan struct{}
}

func (b *blockingLedger) Submit(ctx context.Context, tx []byte) (chain.TxOutcome, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.Ledger.Submit(ctx, tx)
}

// TestSendCancelWhileWaiting: a send waiting for its turn gives up when
// its context ends, and sends nothing.
func TestSendCancelWhileWaiting(t *testing.T) {
	admin, bob := testchain.NewKey(t), testchain.NewKey(t)
	l := &blockingLedger{Ledger: testchain.New(t, admin.Address()), entered: make(chan struct{}, 1), release: make(chan struct{})}
	s := txsend.New(l, admin)
	first := make(chan error, 1)
	go func() {
		_, err := s.Send(context.Background(), transfer(bob.Address(), 1))
		first <- err
	}()
	<-l.entered // the first send holds the turn
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Send(ctx, transfer(bob.Address(), 2)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting send: %v, want the context's error", err)
	}
	close(l.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if got := l.View().Account(bob.Address()).Balance; got.Cmp(big.NewInt(1)) != 0 {
		t.Fatalf("bob has %s: the cancelled send went through", got)
	}
}

// lossyLedger loses the answer of every Submit: commit runs the
// transaction in a block first, admit lets it into the mempool only, and
// neither drops it; then Submit fails as a dropped connection does.
type lossyLedger struct {
	*testchain.Ledger
	mode string // "commit", "admit" or "drop"
	err  error  // what Submit fails with
}

var errLost = errors.New("read gateway response: unexpected EOF")

func (l *lossyLedger) Submit(ctx context.Context, tx []byte) (chain.TxOutcome, error) {
	switch l.mode {
	case "commit":
		l.Block(tx)
	case "admit":
		l.Admit(tx)
	case "late":
		// The answer is lost while the transaction is still on its way
		// in (CheckTx): it commits a little later.
		go func() {
			time.Sleep(200 * time.Millisecond)
			l.Block(tx)
		}()
	}
	return chain.TxOutcome{}, l.err
}

// TestSendSettlesLostAnswer: a submission whose answer is lost is looked
// up by hash: committed is the outcome (no error), pending until the send's
// context ends and unknown are an *UnsettledError with that state, and a
// request the ledger refused (ErrNotSubmitted) is not looked up.
func TestSendSettlesLostAnswer(t *testing.T) {
	admin, bob := testchain.NewKey(t), testchain.NewKey(t)
	for _, c := range []struct {
		mode    string
		err     error
		state   chain.TxState // want in the *UnsettledError; "" for none
		balance int64         // bob's balance after
	}{
		{mode: "commit", err: errLost, balance: 5},
		{mode: "admit", err: errLost, state: chain.TxPending},
		{mode: "drop", err: errLost, state: chain.TxUnknown},
		{mode: "drop", err: fmt.Errorf("refused: %w", txsend.ErrNotSubmitted)},
		// Unknown at first, committed within txsend.UnknownGrace: the
		// outcome, not "unknown".
		{mode: "late", err: errLost, balance: 5},
	} {
		t.Run(fmt.Sprintf("%s/%v", c.mode, c.err), func(t *testing.T) {
			l := &lossyLedger{Ledger: testchain.New(t, admin.Address()), mode: c.mode, err: c.err}
			wait := 300 * time.Millisecond
			if c.mode == "late" {
				wait = 5 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			out, err := txsend.New(l, admin).Send(ctx, transfer(bob.Address(), 5))
			var ue *txsend.UnsettledError
			switch {
			case c.state == "" && (c.mode == "commit" || c.mode == "late"):
				if err != nil || out.Code != chain.CodeOK || out.Height == 0 {
					t.Fatalf("got %+v, %v; want the committed outcome", out, err)
				}
			case c.state == "":
				if !errors.Is(err, txsend.ErrNotSubmitted) || errors.As(err, &ue) {
					t.Fatalf("got %v; want the refusal, not looked up", err)
				}
			default:
				if !errors.As(err, &ue) || ue.State != c.state || !errors.Is(err, errLost) {
					t.Fatalf("got %+v, %v; want an UnsettledError %s wrapping the lost answer", out, err, c.state)
				}
				if ue.Hash.IsZero() || out.Hash != ue.Hash.String() {
					t.Fatalf("hash %s, outcome hash %q", ue.Hash, out.Hash)
				}
			}
			if got := l.View().Account(bob.Address()).Balance; got.Cmp(big.NewInt(c.balance)) != 0 {
				t.Fatalf("bob has %s, want %d", got, c.balance)
			}
		})
	}
}
