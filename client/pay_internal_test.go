package client

import (
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/testchain"
)

// TestPayerWordsContinue: a Payer keeps paying with its commitment only
// when the channel stands at one of its words (or at its base, before
// the first) with a word left and the price unchanged; otherwise it
// commits anew (ADR 26).
func TestPayerWordsContinue(t *testing.T) {
	hc := cove.HashChain{Base: big.NewInt(100), Unit: big.NewInt(10), Count: 5, Nonce: 3}
	for _, tc := range []struct {
		name          string
		amount, price int64
		nonce, k      uint64
		ok            bool
	}{
		{"before its first word", 100, 10, 2, 0, true},
		{"at its third word", 130, 10, 3, 3, true},
		{"used up", 150, 10, 3, 0, false},
		{"between words", 135, 10, 3, 0, false},
		{"a later voucher", 130, 10, 4, 0, false},
		{"the price changed", 130, 11, 3, 0, false},
		{"below its base", 90, 10, 2, 0, false},
		{"moved past its base with another payment", 110, 10, 2, 0, false},
	} {
		w := &payerWords{hc: hc, k: 99}
		ok := w.continues(big.NewInt(tc.amount), tc.nonce, big.NewInt(tc.price))
		if ok != tc.ok || ok && w.k != tc.k {
			t.Errorf("%s: continues %v at word %d, want %v at %d", tc.name, ok, w.k, tc.ok, tc.k)
		}
	}
}

// TestPayerCommitsAgainAfterARefusedWord: a Payer whose word the verifier
// refuses, while the gateway's view of the channel still says the Payer's
// commitment continues (a gateway's pre-check ran ahead of the verifier),
// commits again from that view instead of sending the refused word
// forever. The fake gateway here refuses every word of the first
// commitment (nonce 2) and takes the first word of a later one.
func TestPayerCommitsAgainAfterARefusedWord(t *testing.T) {
	key := testchain.KeyFromSeed("payer")
	agent := cove.AgentID{7}
	var sent []api.Payment
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1/chain/status":
			json.NewEncoder(w).Encode(api.ChainStatus{NumericChainID: 7})
		case r.URL.Path == "/v1/channels/1":
			json.NewEncoder(w).Encode(api.ChannelState{ID: 1, Agent: agent, Accepted: "100", AcceptedNonce: 2, Price: "10"})
		default:
			p, err := api.ParsePayment(r.Header.Get(api.HeaderPayment))
			if err != nil {
				t.Errorf("the Payer sent %v", err)
			}
			sent = append(sent, p)
			if p.Word == nil || p.Nonce <= 2 || p.Word.K != 1 || p.Word.Base.Int64() != 100 {
				w.WriteHeader(http.StatusPaymentRequired)
				json.NewEncoder(w).Encode(api.ErrorBody{Error: api.ErrorDetail{Code: api.CodePaymentRequired, Message: "a replay or too low"}})
				return
			}
			w.Write([]byte("ok"))
		}
	}))
	defer srv.Close()
	c, err := New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	p := c.PayerOf(key, 1, agent)
	// The Payer's commitment of nonce 2 from 60, at its fourth word (100)
	// as the gateway's view says: it continues with its fifth.
	root, words := cove.NewHashChain(cove.Hash{1}, 16)
	hc := cove.HashChain{ChainID: 7, Channel: 1, Agent: agent, Base: big.NewInt(60), Unit: big.NewInt(10), Count: 16, Root: root, Nonce: 2}
	sig, err := key.Sign(hc.Digest())
	if err != nil {
		t.Fatal(err)
	}
	p.words = &payerWords{hc: hc, sig: sig, words: words}
	resp, err := p.Call(t.Context(), http.MethodGet, "/", nil, nil)
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("the call: %v %+v", err, resp)
	}
	if len(sent) != 2 || sent[0].Nonce != 2 || sent[0].Word.K != 5 || sent[1].Nonce != 3 || sent[1].Word.K != 1 {
		t.Fatalf("sent %d payments: %+v", len(sent), sent)
	}
}

// TestRankChannels: the channels a Payer may pay from are the open ones
// to the agent bound to a worker, those bound to a worker the gateway
// offers first (a channel whose worker left comes last, whatever its
// deposit), then the most deposit left first.
func TestRankChannels(t *testing.T) {
	agent, other := cove.AgentID{7}, cove.AgentID{8}
	here, gone := cove.Hash{1}, cove.Hash{2}
	ch := func(id uint64, a cove.AgentID, verifier cove.Hash, deposit int64, closing bool) chain.ChannelRecord {
		c := chain.ChannelRecord{ID: id, Agent: a, Verifier: verifier, Deposit: chain.AmountOf(big.NewInt(deposit)), Redeemed: chain.AmountOf(new(big.Int))}
		if closing {
			c.ClosesAt = 1
		}
		return c
	}
	chs := []chain.ChannelRecord{
		ch(1, agent, gone, 9000, false), // its worker left: last
		ch(2, agent, here, 100, false),
		ch(3, agent, here, 500, false),
		ch(4, agent, cove.Hash{}, 9000, false), // bound to none
		ch(5, other, here, 9000, false),        // another agent
		ch(6, agent, here, 9000, true),         // closing
	}
	ids := func(rs []chain.ChannelRecord) (out []uint64) {
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	if got := ids(rankChannels(chs, agent, []cove.Hash{here})); !slices.Equal(got, []uint64{3, 2, 1}) {
		t.Errorf("with worker %s offered: %v, want [3 2 1]", here, got)
	}
	if got := ids(rankChannels(chs, agent, nil)); !slices.Equal(got, []uint64{1, 3, 2}) {
		t.Errorf("with no worker offered: %v, want [1 3 2] (the most left first)", got)
	}
}

// TestPayableChannel: OpenPayer pays from the first ranked channel bound
// to a worker the gateway offers that the gateway sees open with a
// call's price left after what it took; a channel whose worker left is
// never taken (however much it holds), nor a spent or closing one, and
// with none left it opens one (found false). Each refusal is beside the
// genuine channel, in the same list.
func TestPayableChannel(t *testing.T) {
	here, gone := cove.Hash{1}, cove.Hash{2}
	price := big.NewInt(1000)
	rec := func(id uint64, verifier cove.Hash) chain.ChannelRecord {
		return chain.ChannelRecord{ID: id, Agent: cove.AgentID{7}, Verifier: verifier, Deposit: chain.AmountOf(big.NewInt(5000)), Redeemed: chain.AmountOf(new(big.Int))}
	}
	states := map[uint64]api.ChannelState{
		1: {Deposit: "5000", Accepted: "4001", Open: true}, // 999 left: spent
		2: {Deposit: "5000", Accepted: "0", Open: false},   // closing since the list was read
		3: {Deposit: "5000", Accepted: "4000", Open: true}, // 1000 left: the genuine one
		4: {Deposit: "5000", Accepted: "0", Open: true},    // bound to a worker that left
	}
	var asked []uint64
	state := func(id uint64) (api.ChannelState, error) { asked = append(asked, id); return states[id], nil }
	for _, tc := range []struct {
		name   string
		ranked []chain.ChannelRecord
		want   uint64
		found  bool
	}{
		{"spent, closing, then the genuine one", []chain.ChannelRecord{rec(1, here), rec(2, here), rec(3, here), rec(4, gone)}, 3, true},
		{"the genuine one alone", []chain.ChannelRecord{rec(3, here)}, 3, true},
		{"only its worker gone", []chain.ChannelRecord{rec(4, gone)}, 0, false},
		{"spent and closing", []chain.ChannelRecord{rec(1, here), rec(2, here), rec(4, gone)}, 0, false},
	} {
		asked = nil
		id, found, err := payableChannel(tc.ranked, []cove.Hash{here}, price, state)
		if err != nil || id != tc.want || found != tc.found {
			t.Errorf("%s: %d %v %v, want %d %v", tc.name, id, found, err, tc.want, tc.found)
		}
		if slices.Contains(asked, 4) {
			t.Errorf("%s: asked the gateway about a channel whose worker left", tc.name)
		}
	}
}
