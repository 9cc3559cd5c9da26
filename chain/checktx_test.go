package chain

import (
	"bytes"
	"reflect"
	"testing"
)

func TestCheckTxQueuesNonces(t *testing.T) {
	a := newApp(t)
	hash, snap := a.AppHash(), a.Snapshot()
	t0 := alice.tx(t, transfer(bob, 1, 0))
	t1 := alice.tx(t, transfer(bob, 1, 1))
	t2 := alice.tx(t, transfer(bob, 1, 2))
	t3 := alice.tx(t, transfer(bob, 1, 3))

	wantCode(t, a.CheckTx(t0), CodeOK)
	wantCode(t, a.CheckTx(t0), CodeBadNonce, "nonce 1 expected, got 0")
	wantCode(t, a.CheckTx(t2), CodeBadNonce, "nonce 1 expected, got 2")
	r := a.CheckTx(t1)
	wantCode(t, r, CodeOK)
	if r.Sender != alice.addr || r.TxHash != TxHash(t1) || len(r.Events) != 1 {
		t.Errorf("result %+v", r)
	}
	wantCode(t, a.CheckTx(t2), CodeOK)
	wantCode(t, a.CheckTx(t3), CodeOK)

	// The committed state did not move.
	if !bytes.Equal(a.AppHash(), hash) || !reflect.DeepEqual(a.Snapshot(), snap) || nonce(a, alice) != 0 {
		t.Fatal("CheckTx changed the committed state")
	}

	// A block with t0 only; Commit resets the check state to the committed
	// state, so t0 is now refused and t1 is accepted again.
	wantCode(t, one(t, a, t0), CodeOK)
	wantCode(t, a.CheckTx(t0), CodeBadNonce, "nonce 1 expected, got 0")
	wantCode(t, a.CheckTx(t1), CodeOK)
	wantCode(t, a.CheckTx(t3), CodeBadNonce, "nonce 2 expected, got 3")
}

func TestCheckTxRefusalUsesNoNonce(t *testing.T) {
	a := newApp(t)
	// 600 twice does not fit in 1000: the check state keeps the first debit.
	wantCode(t, a.CheckTx(alice.tx(t, transfer(bob, 600, 0))), CodeOK)
	wantCode(t, a.CheckTx(alice.tx(t, transfer(bob, 600, 1))), CodeInsufficientFunds, "has 400")
	// The refused tx did not use nonce 1.
	wantCode(t, a.CheckTx(alice.tx(t, transfer(bob, 400, 1))), CodeOK)
	// An agent deployed in the check state exists for later checks.
	m := deploy("x", 0, 2)
	wantCode(t, a.CheckTx(alice.tx(t, m)), CodeOK)
	m.Nonce = 3
	wantCode(t, a.CheckTx(alice.tx(t, m)), CodeExists)
	if len(a.View().Agents()) != 0 || balance(a, alice) != 1000 {
		t.Error("CheckTx changed the committed state")
	}
}

func TestCheckTxVerifierTime(t *testing.T) {
	a := newApp(t)
	v := &testVerifier{}
	a.SetVerifier(v)
	block(t, a)
	wantCode(t, a.CheckTx(bob.tx(t, worker("w", 0))), CodeOK)
	if len(v.calls) != 1 || !v.calls[0].Equal(blockTime(1)) {
		t.Errorf("CheckTx verified at %v, want the last block time %v", v.calls, blockTime(1))
	}
	if len(a.View().Workers()) != 0 {
		t.Error("CheckTx registered a worker")
	}
}

// TestConcurrentQueries reads the committed state while blocks and CheckTx
// run (go test -race finds unguarded access).
func TestConcurrentQueries(t *testing.T) {
	a := newApp(t)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-done:
				return
			default:
			}
			acct := a.View().Account(alice.addr)
			if acct.Balance.Int64()+int64(acct.Nonce) != 1000 {
				t.Errorf("torn read: %+v", acct)
				return
			}
			a.View().Agents()
			a.View().Workers()
			a.View().Params()
			a.AppHash()
			a.Height()
		}
	}()
	for n := range uint64(20) {
		tx := alice.tx(t, transfer(bob, 1, n))
		wantCode(t, a.CheckTx(tx), CodeOK)
		wantCode(t, one(t, a, tx), CodeOK)
	}
	close(done)
	<-stopped
}
