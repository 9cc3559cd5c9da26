package client_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testchain"
	"github.com/cove-network/cove/receipt"
)

// fixedHeaders is a HeaderVerifier that knows the app hashes of a chain the
// test made: the part client/light tests against real headers.
type fixedHeaders map[int64][]byte

func (f fixedHeaders) AppHash(_ context.Context, height int64) ([]byte, error) {
	h, ok := f[height]
	if !ok {
		return nil, fmt.Errorf("no header after height %d", height)
	}
	return h, nil
}

// provenState returns a client of a gateway that proves the state of a
// chain holding genesis plus extra (records written as they are, so a test
// can store what the chain's transactions never would), and a verifier of
// its app hash.
func provenState(t *testing.T, extra ...chain.KV) *client.Client {
	t.Helper()
	g := chain.DefaultGenesis(7, cove.Address{1}, map[cove.Address]*big.Int{{1}: big.NewInt(1)})
	g.Time = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := chain.New()
	if _, err := a.InitChain(g); err != nil {
		t.Fatal(err)
	}
	kvs := append(a.Snapshot(), extra...)
	app, err := chain.Load(kvs, 0, chain.StateRoot(kvs))
	if err != nil {
		t.Fatal(err)
	}
	root := app.AppHash()
	app.FinalizeBlock(chain.Block{Height: 1, Time: g.Time.Add(time.Second)})
	app.Commit()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/chain/proof/{key}", func(w http.ResponseWriter, r *http.Request) {
		p, err := app.View().Prove([]byte(r.PathValue("key")))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		out := api.StateProof{Height: p.Height, Key: "0x" + hex.EncodeToString(p.Key), Proof: "0x" + hex.EncodeToString(p.Proof)}
		if p.Value != nil {
			v := "0x" + hex.EncodeToString(p.Value)
			out.Value = &v
		}
		json.NewEncoder(w).Encode(out)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c.SetVerifier(fixedHeaders{0: root})
	return c
}

func record(t *testing.T, key []byte, v any) chain.KV {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return chain.KV{Key: key, Value: b}
}

// TestSealingKeyRecord: the proven epoch record must be the latest
// epoch's; a state whose record at epoch/0 says epoch 1 is refused (the
// record at epoch/0 saying epoch 0 is the control).
func TestSealingKeyRecord(t *testing.T) {
	pub := bytes.Repeat([]byte{7}, chain.ClusterPublicKeySize)
	for _, tc := range []struct {
		epoch uint64
		ok    bool
	}{{0, true}, {1, false}} {
		c := provenState(t, record(t, chain.LatestEpochKey(), uint64(0)),
			record(t, chain.EpochKey(0), chain.EpochRecord{Epoch: tc.epoch, ClusterPublicKey: pub, Time: time.Unix(0, 0).UTC()}))
		k, err := c.SealingKey(context.Background())
		if tc.ok && (err != nil || !bytes.Equal(k.PublicKey, pub) || k.Epoch != 0) {
			t.Errorf("record of epoch %d: %+v, %v", tc.epoch, k, err)
		}
		if !tc.ok && err == nil {
			t.Errorf("record of epoch %d at epoch/0 accepted", tc.epoch)
		}
	}
}

// TestVerifyReceiptAgainstRecord: with a verifier, a receipt the attestor
// signed for code the agent never ran, or for another agent, is refused;
// the receipt for the agent and its code (the control) verifies. Only an
// attestor key can make such receipts, so this checks the proven record is
// what bounds them. A record stored under one id that names another is
// refused too.
func TestVerifyReceiptAgainstRecord(t *testing.T) {
	attestor := testchain.NewKey(t)
	id, code := cove.AgentID{9}, cove.Hash{1}
	t0 := time.Unix(0, 0).UTC()
	c := provenState(t, record(t, chain.AgentKey(id), chain.AgentRecord{
		ID: id, CID: "x", CodeHash: code, Attestor: attestor.Address(), Version: 1,
		CreatedAt: t0, UpdatedAt: t0, History: []chain.AgentVersion{{Version: 1, CID: "x", CodeHash: code, Time: t0}},
	}))
	respondV := func(version uint8, codeHash cove.Hash, agent ...cove.AgentID) *client.Response {
		body := []byte("ok")
		who := id
		if len(agent) > 0 {
			who = agent[0]
		}
		h := http.Header{"Content-Type": {"text/plain"}}
		r := cove.Receipt{Agent: who, CodeHash: codeHash, RequestHash: cove.RequestHash("GET", "/agents/x/", nil),
			Status: 200, ResponseHash: cove.SHA256(body), Timestamp: 1}
		if version == cove.ReceiptV2 {
			r.Version, r.HeadersHash = cove.ReceiptV2, cove.HeadersHash("gw.example", cove.Header(h))
		}
		s, err := receipt.Sign(attestor, r)
		if err != nil {
			t.Fatal(err)
		}
		receipt.SetHeaders(h, s)
		return &client.Response{Status: 200, Header: h, Body: body, Method: "GET", RequestURI: "/agents/x/", Host: "gw.example"}
	}
	respond := func(codeHash cove.Hash, agent ...cove.AgentID) *client.Response {
		return respondV(cove.ReceiptV2, codeHash, agent...)
	}
	if _, err := c.VerifyReceipt(context.Background(), id, respond(code)); err != nil {
		t.Fatalf("control: %v", err)
	}
	if _, err := c.VerifyReceipt(context.Background(), id, respond(cove.Hash{2})); !errors.Is(err, receipt.ErrMismatch) {
		t.Fatalf("receipt for other code: %v, want ErrMismatch", err)
	}
	if _, err := c.VerifyReceipt(context.Background(), id, respond(code, cove.AgentID{8})); !errors.Is(err, receipt.ErrMismatch) {
		t.Fatalf("receipt for another agent: %v, want ErrMismatch", err)
	}
	// A version-1 receipt of the same exchange, valid in itself, is refused
	// by a verifying client: it covers no header.
	if _, err := c.VerifyReceipt(context.Background(), id, respondV(cove.ReceiptV1, code)); !errors.Is(err, receipt.ErrNotCovered) {
		t.Fatalf("version-1 receipt: %v, want ErrNotCovered", err)
	}
	misfiled := provenState(t, record(t, chain.AgentKey(id), chain.AgentRecord{ID: cove.AgentID{8}, CID: "x", CodeHash: code, Attestor: attestor.Address(), Version: 1, CreatedAt: t0, UpdatedAt: t0}))
	if _, err := misfiled.ProvenAgent(context.Background(), id); err == nil {
		t.Fatal("accepted the record of agent 0x08… stored under agent 0x09…")
	}
}
