package payment

import (
	"log/slog"
	"math/big"
	"strings"
	"testing"

	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/internal/testchain"
)

// TestAcceptedAndLearn: a worker's refusal of a replayed voucher carries
// the channel's latest accepted voucher only to a caller that showed one
// the payer signed (the control), not to one that names the channel with
// a voucher another key signed; a gateway's ledger learns such a voucher
// only when it checks as the payer's, of this channel, within the deposit
// (each forgery beside the genuine voucher), and a lower one is no news.
func TestAcceptedAndLearn(t *testing.T) {
	l, _, payer, a, worker := paidChannel(t, 100)
	other := testchain.NewKey(t)
	id := a.ID
	v := l.View()
	c, err := v.Channel(1)
	if err != nil {
		t.Fatal(err)
	}
	voucher := func(k *testchain.Key, ch uint64, amount int64, nonce uint64) string {
		p := api.Payment{Channel: ch, Agent: id, Amount: big.NewInt(amount), Nonce: nonce, ChainID: v.ChainID()}
		var err error
		if p.Signature, err = k.Sign(p.Voucher().Digest()); err != nil {
			t.Fatal(err)
		}
		return p.Header()
	}
	log := slog.New(slog.DiscardHandler)
	w, _ := Open("", log)
	v1, v2 := voucher(payer, 1, 10, 1), voucher(payer, 1, 20, 2)
	for _, h := range []string{v1, v2} {
		if _, ref := w.Pay(v, a, h, worker); ref != nil {
			t.Fatal(ref.Msg)
		}
	}
	// The payer's own old voucher again: refused, with the latest (v2).
	if _, ref := w.Pay(v, a, v1, worker); ref == nil || ref.Accepted != v2 {
		t.Fatalf("control: the payer's replay: %+v", ref)
	}
	// The same voucher signed by another key: refused, and nothing given.
	if _, ref := w.Pay(v, a, voucher(other, 1, 10, 1), worker); ref == nil || ref.Accepted != "" {
		t.Fatalf("a stranger's voucher of the channel got the payer's latest: %+v", ref)
	}

	g, _ := Open("", log)
	floor := func() int64 { f, _ := g.Floor(c); return f.Int64() }
	for _, bad := range []struct{ why, h string }{
		{"not signed by channel 1's payer", voucher(other, 1, 20, 2)},
		{"above channel 1's deposit", voucher(payer, 1, 101, 2)},
		{"not of channel 1", voucher(payer, 2, 20, 2)},
	} {
		if err := g.Learn(v, c, bad.h); err == nil || !strings.Contains(err.Error(), bad.why) {
			t.Errorf("learnt a voucher %s: %v", bad.why, err)
		}
		if floor() != 0 {
			t.Fatalf("a refused voucher moved the floor to %d", floor())
		}
	}
	if err := g.Learn(v, c, v2); err != nil || floor() != 20 {
		t.Fatalf("the payer's voucher: %v, floor %d", err, floor())
	}
	if err := g.Learn(v, c, v1); err != nil || floor() != 20 {
		t.Fatalf("a lower voucher: %v, floor %d", err, floor())
	}
}
