package gateway_test

import (
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/gateway"
)

// chainGet is GET path on s: the status and the body decoded into out.
func chainGet(t *testing.T, s http.Handler, path string, out any) int {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Host = testHost
	s.ServeHTTP(rec, req)
	if rec.Code == http.StatusOK && out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s: %v %s", path, err, rec.Body)
		}
	}
	return rec.Code
}

// TestTokenEndpoints: the token, DAO and proposal views, their refusals,
// and the vouchers of an agent that belongs to its DAO, which anyone may
// read (and redeem, to the treasury), where before only the owner could.
func TestTokenEndpoints(t *testing.T) {
	s, c := newTestGateway(t, gateway.DefaultConfig(), &countingInvoker{})
	base := "/v1/chain/agents/" + knownAgent.String() + "/token"
	if code := chainGet(t, s, base, nil); code != http.StatusNotFound {
		t.Fatalf("a token before the launch: %d", code)
	}
	mustTx(t, c, owner, chain.LaunchAgentToken{Agent: knownAgent, Name: "Known", Symbol: "KNOWN", Curve: chain.CurveLinear, A: big.NewInt(100), B: big.NewInt(0), FeePPM: 1000, Nonce: 1})
	mustTx(t, c, stranger, chain.Buy{Agent: knownAgent, Amount: big.NewInt(3e18), MaxCost: big.NewInt(1000), Nonce: 0})
	var ts chain.TokenState
	if code := chainGet(t, s, base+"?holder="+stranger.addr.String(), &ts); code != http.StatusOK ||
		ts.Symbol != "KNOWN" || ts.Supply.Big().Cmp(big.NewInt(3e18)) != 0 || ts.Reserve.Big().Int64() != 300 || ts.Price.Big().Int64() != 100 ||
		ts.Holding == nil || ts.Holding.Balance.Big().Cmp(big.NewInt(3e18)) != 0 || ts.DAO || ts.Owner != owner.addr || ts.Treasury != chain.AgentTreasury(knownAgent) {
		t.Fatalf("token: %d %+v", code, ts)
	}
	if code := chainGet(t, s, base+"?holder=0x12", nil); code != http.StatusBadRequest {
		t.Fatalf("a malformed holder: %d", code)
	}

	daoPath := "/v1/chain/daos/" + knownAgent.String()
	if code := chainGet(t, s, daoPath, nil); code != http.StatusNotFound {
		t.Fatalf("a DAO before the transfer: %d", code)
	}
	// The owner reads its vouchers; a stranger may not, while the agent
	// has an owner.
	if code := vouchersStatus(t, s, stranger); code != http.StatusForbidden {
		t.Fatalf("a stranger read the owner's vouchers: %d", code)
	}
	mustTx(t, c, stranger, chain.OpenChannel{Agent: knownAgent, Deposit: big.NewInt(100), Verifier: testWorker, Nonce: 1})
	lv := &fakeLinkVouchers{}
	s.SetLinkVouchers(lv)
	for range 2 { // the owner's asks reach the workers each time
		if code := vouchersStatus(t, s, owner); code != http.StatusOK {
			t.Fatalf("the owner's vouchers: %d", code)
		}
	}
	mustTx(t, c, owner, chain.TransferAgentToDAO{Agent: knownAgent, QuorumPPM: 1, ThresholdPPM: 500_000, VotingBlocks: 10, TimelockBlocks: 0, Nonce: 2})
	// A worker took a voucher of channel 1 at its link.
	lv.lists = [][]api.Redeemable{{redeemable(t, stranger, 1, 30, 3)}}
	for range 3 { // anyone's, for a DAO agent: the workers are asked once in linkVouchersTTL
		if got := redeemables(t, s, stranger); len(got) != 1 || got[0].Amount != "30" {
			t.Fatalf("a stranger reading a DAO agent's vouchers: %+v", got)
		}
	}
	if lv.asked != 3 {
		t.Fatalf("the workers were asked %d times, want 2 for the owner and 1 for the DAO", lv.asked)
	}
	// Redeemed (by anyone, to the treasury), the cached voucher adds
	// nothing: it is no longer offered, though still cached.
	r := redeemables(t, s, stranger)[0]
	mustTx(t, c, stranger, chain.Redeem{Channel: 1, Amount: big.NewInt(30), VoucherNonce: 3, Signature: mustHex(t, r.Signature), Nonce: 2})
	if got := redeemables(t, s, stranger); len(got) != 0 || lv.asked != 3 {
		t.Fatalf("after the redeem: %+v (asked %d)", got, lv.asked)
	}
	mustTx(t, c, stranger, chain.Propose{Agent: knownAgent, ActionType: "SetAgentPrice", Action: `{"agent":"` + knownAgent.String() + `","price":"5"}`, Description: "price it", Nonce: 3})
	var ds chain.DAOState
	if code := chainGet(t, s, daoPath, &ds); code != http.StatusOK || ds.FormerOwner != owner.addr || len(ds.Proposals) != 1 || ds.Proposals[0].Status != chain.ProposalVoting {
		t.Fatalf("DAO: %d %+v", code, ds)
	}
	var ps chain.ProposalState
	if code := chainGet(t, s, "/v1/chain/proposals/1", &ps); code != http.StatusOK || ps.Proposer != stranger.addr || ps.Description != "price it" || ps.Status != chain.ProposalVoting {
		t.Fatalf("proposal: %d %+v", code, ps)
	}
	if code := chainGet(t, s, "/v1/chain/proposals/2", nil); code != http.StatusNotFound {
		t.Fatalf("no proposal 2: %d", code)
	}
	if code := chainGet(t, s, "/v1/chain/proposals/x", nil); code != http.StatusBadRequest {
		t.Fatalf("a malformed proposal id: %d", code)
	}
}
