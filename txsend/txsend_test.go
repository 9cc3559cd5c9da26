package txsend_test

import (
	"context"
	"errors"
	"math/big"
	"sync"
	"testing"

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
