package client

import (
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
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
