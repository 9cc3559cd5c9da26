package gateway_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cove-network/cove/chain"
)

// TestChainParamsShowsPendingPolicy: a TEE policy change that admits more
// waits on a production chain, and GET /v1/chain/params shows it coming
// (issue 15: gatekeepers and users can react). The control is the same
// endpoint before the change: nothing pending.
func TestChainParamsShowsPendingPolicy(t *testing.T) {
	s, c := newFuzzGateway(t)
	get := func() (out struct {
		Development bool                    `json:"development"`
		Params      chain.Params            `json:"params"`
		Pending     *chain.PendingTEEPolicy `json:"pending_tee_policy"`
	}) {
		t.Helper()
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/chain/params", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /v1/chain/params: %d %s", rec.Code, rec.Body)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := get()
	if before.Development || before.Pending != nil || before.Params.TEE.ChangeDelay != chain.DefaultTEEChangeDelay {
		t.Fatalf("before: %+v", before)
	}
	p := before.Params
	p.TEE.AllowedTEEs = []string{"tdx"}
	p.TEE.TDXCollateral = []byte("collateral")
	b, _ := json.Marshal(p)
	body := owner.tx(t, fuzzChainID, chain.UpdateParams{Params: string(b), Nonce: 1})
	if rec := postTx(s, body); rec.Code != http.StatusOK {
		t.Fatalf("UpdateParams: %d %s", rec.Code, rec.Body)
	}
	after := get()
	if after.Pending == nil || !after.Pending.Policy.AllowsTEE("tdx") || after.Params.TEE.AllowsTEE("tdx") {
		t.Fatalf("after: pending %+v, params %+v", after.Pending, after.Params.TEE)
	}
	want := c.View().Time().Add(chain.DefaultTEEChangeDelay * time.Second)
	if !after.Pending.EffectiveAt.Equal(want) {
		t.Fatalf("effective at %v, want %v", after.Pending.EffectiveAt, want)
	}
}
