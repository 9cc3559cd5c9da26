package gateway_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
)

func getProof(t *testing.T, s http.Handler, key []byte) (*httptest.ResponseRecorder, chain.StateProof) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/chain/proof/"+url.PathEscape(string(key)), nil))
	var p chain.StateProof
	if rec.Code != http.StatusOK {
		return rec, p
	}
	var out api.StateProof
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
		if err != nil {
			t.Fatalf("hex %q: %v", s, err)
		}
		return b
	}
	p = chain.StateProof{Height: out.Height, Key: unhex(out.Key), Proof: unhex(out.Proof)}
	if out.Value != nil {
		p.Value = unhex(*out.Value)
	}
	return rec, p
}

// TestChainProof: GET /v1/chain/proof/{key} proves raw binary keys (URL
// escaped, '/' and bytes above 0x7f included) at the height below the
// committed one, present or absent, and answers 503 until a block has been
// committed since the state was loaded.
func TestChainProof(t *testing.T) {
	s, c := newFuzzGateway(t)
	key := chain.AgentKey(knownAgent)
	if rec, _ := getProof(t, s, key); rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "no_proof_yet") {
		t.Fatalf("before a block: %d %s", rec.Code, rec.Body)
	}
	before := c.app.View().Head()
	if rec := postTx(s, txSeeds(t)["transfer"]); rec.Code != http.StatusOK {
		t.Fatalf("transfer: %d %s", rec.Code, rec.Body)
	}
	rec, p := getProof(t, s, key)
	if rec.Code != http.StatusOK {
		t.Fatalf("proof: %d %s", rec.Code, rec.Body)
	}
	rec2, _ := getProof(t, s, []byte("agent/"+strings.Repeat("\xff/", 16)))
	_, absent := getProof(t, s, []byte("agent/"+strings.Repeat("\xff/", 16)))
	rec3, _ := getProof(t, s, []byte("x"))
	if rec2.Code != 200 || rec3.Code != 200 {
		t.Fatalf("absent keys: %d %s; %d %s", rec2.Code, rec2.Body, rec3.Code, rec3.Body)
	}
	rec4 := httptest.NewRecorder()
	s.ServeHTTP(rec4, httptest.NewRequest(http.MethodGet, "/v1/chain/proof/"+strings.Repeat("a", 300), nil))
	if rec4.Code != http.StatusBadRequest {
		t.Errorf("a 300-byte key: %d %s", rec4.Code, rec4.Body)
	}
	if p.Height != before.Height || !bytes.Equal(p.Key, key) || p.Value == nil {
		t.Fatalf("proof at height %d of %q = %s, want height %d and the agent record", p.Height, p.Key, p.Value, before.Height)
	}
	if err := p.Verify(before.AppHash); err != nil {
		t.Errorf("agent record: %v", err)
	}
	if absent.Value != nil || !bytes.Equal(absent.Key, []byte("agent/"+strings.Repeat("\xff/", 16))) {
		t.Fatalf("absent key: %q = %x", absent.Key, absent.Value)
	}
	if err := absent.Verify(before.AppHash); err != nil {
		t.Errorf("absence: %v", err)
	}
}

func TestChainLight(t *testing.T) {
	s, _ := newFuzzGateway(t)
	for path, want := range map[string]int{"/v1/chain/light/1": 404, "/v1/chain/light/0": 400, "/v1/chain/light/x": 400} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("%s: %d %s, want %d", path, rec.Code, rec.Body, want)
		}
	}
}

// FuzzChainProof: any key, escaped as a client escapes it, is answered
// with a proof that verifies against the app hash of its height, or a 400
// for a key too long (no route for "", "/", ".", ".."); never anything else.
func FuzzChainProof(f *testing.F) {
	for _, k := range []string{"meta/key_epoch", "agent/" + string(knownAgent[:]), "", "%", "a/b/../c", "\x00\xff/"} {
		f.Add([]byte(k))
	}
	s, c := newFuzzGateway(f)
	before := c.app.View().Head()
	if rec := postTx(s, txSeeds(f)["transfer"]); rec.Code != http.StatusOK {
		f.Fatalf("transfer: %d %s", rec.Code, rec.Body)
	}
	f.Fuzz(func(t *testing.T, key []byte) {
		rec, p := getProof(t, s, key)
		switch {
		case rec.Code == http.StatusBadRequest && len(key) > 256:
		case rec.Code != http.StatusOK && (len(key) == 0 || string(key) == "/" || string(key) == "." || string(key) == ".."):
			// No route for an empty segment or a lone "/" (the mux
			// cleans "//"), and it cleans dot segments: no state key is
			// one of these.
		case rec.Code == http.StatusOK:
			if !bytes.Equal(p.Key, key) || p.Height != before.Height {
				t.Fatalf("asked for %q, proved %q at height %d", key, p.Key, p.Height)
			}
			if err := p.Verify(before.AppHash); err != nil {
				t.Fatalf("%q: %v", key, err)
			}
		default:
			t.Fatalf("%q: %d %s", key, rec.Code, rec.Body)
		}
	})
}
