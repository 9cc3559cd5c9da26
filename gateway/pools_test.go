package gateway_test

import (
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
)

// TestChainPoolsAndVaultsPaged: GET /v1/chain/pools and /v1/chain/vaults
// answer a page at a time (?after=&limit=, "next" while more remain), a
// bad page is a 400 naming its parameter, and /v1/chain/vaults/{id}
// shows a vault's address and price (404 for a missing one).
func TestChainPoolsAndVaultsPaged(t *testing.T) {
	s, _ := newFuzzGateway(t)
	nonce := uint64(1)
	for range 5 {
		if rec := postTx(s, owner.tx(t, fuzzChainID, chain.CreatePool{Cap: new(big.Int), Nonce: nonce})); rec.Code != http.StatusOK {
			t.Fatalf("CreatePool: %d %s", rec.Code, rec.Body)
		}
		nonce++
	}
	for range 3 {
		if rec := postTx(s, owner.tx(t, fuzzChainID, chain.CreateVault{Commission: 5, Nonce: nonce})); rec.Code != http.StatusOK {
			t.Fatalf("CreateVault: %d %s", rec.Code, rec.Body)
		}
		nonce++
	}
	get := func(path string, want int) []byte {
		t.Helper()
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Fatalf("GET %s: %d %s, want %d", path, rec.Code, rec.Body, want)
		}
		return rec.Body.Bytes()
	}
	type pools struct {
		Pools []api.Pool `json:"pools"`
		Next  *uint64    `json:"next"`
	}
	var ids []uint64
	after, pages := "0", 0
	for {
		var p pools
		if err := json.Unmarshal(get("/v1/chain/pools?limit=2&after="+after, http.StatusOK), &p); err != nil {
			t.Fatal(err)
		}
		pages++
		for _, x := range p.Pools {
			ids = append(ids, x.ID)
		}
		if p.Next == nil {
			break
		}
		if len(p.Pools) != 2 || *p.Next != p.Pools[1].ID {
			t.Fatalf("page %+v", p)
		}
		after = strconv.FormatUint(*p.Next, 10)
	}
	if len(ids) != 5 || pages != 3 || ids[0] != 1 || ids[4] != 5 {
		t.Fatalf("pools %v in %d pages", ids, pages)
	}
	var all pools
	if err := json.Unmarshal(get("/v1/chain/pools", http.StatusOK), &all); err != nil || len(all.Pools) != 5 || all.Next != nil {
		t.Fatalf("default page: %+v %v", all, err)
	}
	for _, bad := range []string{"?limit=0", "?limit=1001", "?limit=x", "?after=-1", "?after=x"} {
		var e api.ErrorBody
		if err := json.Unmarshal(get("/v1/chain/pools"+bad, http.StatusBadRequest), &e); err != nil || e.Error.Code != "bad_page" {
			t.Errorf("pools%s: %+v %v", bad, e, err)
		}
	}
	var vs struct {
		Vaults []api.Vault `json:"vaults"`
		Next   *uint64     `json:"next"`
	}
	if err := json.Unmarshal(get("/v1/chain/vaults?after=1&limit=1", http.StatusOK), &vs); err != nil || len(vs.Vaults) != 1 || vs.Vaults[0].ID != 2 || vs.Next == nil || *vs.Next != 2 {
		t.Fatalf("vaults page: %+v %v", vs, err)
	}
	var v api.Vault
	if err := json.Unmarshal(get("/v1/chain/vaults/3", http.StatusOK), &v); err != nil || v.Address != chain.VaultAddress(3).String() ||
		v.Price != "1" || v.Checkpoint != "1" || v.Commission != 5 || v.Owner != owner.addr.String() {
		t.Fatalf("vault 3: %+v %v", v, err)
	}
	get("/v1/chain/vaults/9", http.StatusNotFound)
	get("/v1/chain/vaults/x", http.StatusBadRequest)
}
