package gateway_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/gateway"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/secret"
)

// checkJSONAnswer fails unless the gateway answered below 500 with a JSON
// body (an error body for statuses of 400 and up). A 3xx from the router
// cleaning a path is allowed and must say where to go.
func checkJSONAnswer(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%s: status %d: %s", what, rec.Code, rec.Body)
	}
	if rec.Code >= 300 && rec.Code < 400 {
		if rec.Header().Get("Location") == "" {
			t.Fatalf("%s: redirect %d without Location", what, rec.Code)
		}
		return
	}
	ct := rec.Header().Get("Content-Type")
	if ct != "application/json" && ct != "application/x-ndjson" {
		t.Fatalf("%s: status %d content type %q: %s", what, rec.Code, ct, rec.Body)
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	for {
		var v any
		err := dec.Decode(&v)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: status %d: body is not JSON (%v): %q", what, rec.Code, err, rec.Body)
		}
	}
	if rec.Code >= 400 {
		var eb api.ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
			t.Fatalf("%s: status %d: not an error body {error: {code, message}}: %s", what, rec.Code, rec.Body)
		}
	}
}

// postTx posts body to POST /v1/chain/tx.
func postTx(s *gateway.Server, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/v1/chain/tx", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// checkTxAnswer checks the gateway's answer to POST /v1/chain/tx with body:
// below 500, one JSON value; a gateway error for bytes that are not a
// transaction; otherwise the transaction's outcome, 200 when it ran (one
// more block) and 400 with the chain's code when refused (no block).
func checkTxAnswer(t *testing.T, c *fakeChain, before api.ChainStatus, body []byte, rec *httptest.ResponseRecorder) chain.TxOutcome {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("status %d content type %q: %s", rec.Code, ct, rec.Body)
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	var v any
	if err := dec.Decode(&v); err != nil || dec.Decode(&v) != io.EOF {
		t.Fatalf("status %d: body is not one JSON value: %q", rec.Code, rec.Body)
	}
	after := c.status()
	var eb api.ErrorBody
	if len(body) > chain.MaxTxBytes {
		if rec.Code != http.StatusRequestEntityTooLarge || json.Unmarshal(rec.Body.Bytes(), &eb) != nil || eb.Error.Code != "tx_too_large" {
			t.Fatalf("%d-byte body: %d %s, want 413 tx_too_large", len(body), rec.Code, rec.Body)
		}
		return chain.TxOutcome{}
	}
	if _, err := chain.Decode(body); err != nil {
		if rec.Code != http.StatusBadRequest || json.Unmarshal(rec.Body.Bytes(), &eb) != nil || eb.Error.Code != "malformed_tx" || eb.Error.Message == "" {
			t.Fatalf("undecodable body: %d %s, want 400 malformed_tx", rec.Code, rec.Body)
		}
		if after != before {
			t.Fatalf("undecodable body changed the chain: %+v, before %+v", after, before)
		}
		return chain.TxOutcome{}
	}
	var out chain.TxOutcome
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Hash != chain.TxHash(body).String() {
		t.Fatalf("status %d: %s, want the outcome of transaction %s", rec.Code, rec.Body, chain.TxHash(body))
	}
	switch {
	case out.Code == 0:
		if rec.Code != http.StatusOK || out.Height != before.Height+1 || after.Height != out.Height || after.AppHash == before.AppHash {
			t.Fatalf("transaction ran: %d %+v; chain %+v, before %+v", rec.Code, out, after, before)
		}
	default:
		if rec.Code != http.StatusBadRequest || out.Log == "" || len(out.Events) != 0 || after != before {
			t.Fatalf("transaction refused: %d %+v; chain %+v, before %+v", rec.Code, out, after, before)
		}
	}
	return out
}

// txSeeds are transactions of every type, signed right and wrong, and
// bytes that are almost transactions.
func txSeeds(t testing.TB) map[string][]byte {
	sealed, err := secret.Seal(clusterPublicKey(t), 0, knownAgent, map[string]string{"A": "b"})
	if err != nil {
		t.Fatal(err)
	}
	deploy := chain.DeployAgent{Name: "other", CID: otherCID, CodeHash: cove.SHA256(otherCode), Salt: cove.Hash{2}, Nonce: 1}
	upgrade := chain.UpgradeAgent{Agent: knownAgent, CID: otherCID, CodeHash: cove.SHA256(otherCode), Secrets: sealed, Nonce: 1}
	transfer := chain.Transfer{To: nobody.addr, Amount: big.NewInt(5), Nonce: 0}
	seeds := map[string][]byte{
		"transfer":                 stranger.tx(t, fuzzChainID, transfer),
		"transfer too much":        stranger.tx(t, fuzzChainID, chain.Transfer{To: nobody.addr, Amount: big.NewInt(1001), Nonce: 0}),
		"transfer bad nonce":       stranger.tx(t, fuzzChainID, chain.Transfer{To: nobody.addr, Amount: big.NewInt(5), Nonce: 3}),
		"transfer other chain":     stranger.tx(t, 1, transfer),
		"transfer no account":      nobody.tx(t, fuzzChainID, chain.Transfer{To: owner.addr, Amount: big.NewInt(1), Nonce: 0}),
		"deploy":                   owner.tx(t, fuzzChainID, deploy),
		"deploy known agent":       owner.tx(t, fuzzChainID, chain.DeployAgent{CID: knownCID, CodeHash: cove.SHA256(knownCode), Salt: knownSalt, Nonce: 1}),
		"deploy bad name":          owner.tx(t, fuzzChainID, chain.DeployAgent{Name: "bad name", CID: otherCID, CodeHash: cove.SHA256(otherCode), Nonce: 1}),
		"deploy cid of other code": owner.tx(t, fuzzChainID, chain.DeployAgent{CID: knownCID, CodeHash: cove.SHA256(otherCode), Nonce: 1}),
		"deploy garbage secrets":   owner.tx(t, fuzzChainID, chain.DeployAgent{CID: otherCID, CodeHash: cove.SHA256(otherCode), Secrets: []byte("not sealed"), Nonce: 1}),
		"upgrade":                  owner.tx(t, fuzzChainID, upgrade),
		"upgrade by stranger":      stranger.tx(t, fuzzChainID, chain.UpgradeAgent{Agent: knownAgent, CID: otherCID, CodeHash: cove.SHA256(otherCode), Nonce: 0}),
		"upgrade unknown agent":    owner.tx(t, fuzzChainID, chain.UpgradeAgent{Agent: cove.AgentID{9}, CID: otherCID, CodeHash: cove.SHA256(otherCode), Nonce: 1}),
		"register worker":          stranger.tx(t, fuzzChainID, chain.RegisterWorker{TEE: "tdx", PublicKey: []byte{1}, Endpoint: "https://w.example", Quote: []byte{2}, Nonce: 0}),
		"update params":            owner.tx(t, fuzzChainID, chain.UpdateParams{Params: `{"admin":"` + owner.addr.String() + `","max_name_length":10,"max_secrets_bytes":100,"tee":{"change_delay":172800}}`, Nonce: 1}),
		"update params not admin":  stranger.tx(t, fuzzChainID, chain.UpdateParams{Params: "{}", Nonce: 0}),
		"zero signature": []byte(`{"type":"Transfer","message":{"to":"` + nobody.addr.String() + `","amount":"1","nonce":0},"signature":"0x` +
			strings.Repeat("00", 65) + `"}`),
		"short signature": []byte(`{"type":"Transfer","message":{"to":"` + nobody.addr.String() + `","amount":"1","nonce":0},"signature":"0x00"}`),
		"unknown type":    []byte(`{"type":"Mint","message":{},"signature":"0x00"}`),
		"empty object":    []byte(`{}`),
		"empty":           nil,
		"garbage":         []byte("{garbage"),
		"null":            []byte("null"),
		"array":           []byte("[]"),
		"bad utf-8":       []byte("\x00\xff"),
		"lone surrogate":  []byte(`{"type":"\ud800"}`),
		"deep":            []byte(strings.Repeat("[", 1000)),
	}
	b := seeds["transfer"]
	seeds["transfer trailing"] = append(bytes.Clone(b), " x"...)
	seeds["transfer half"] = b[:len(b)/2]
	seeds["transfer duplicate key"] = bytes.Replace(b, []byte(`{"type":"Transfer",`), []byte(`{"type":"Transfer","type":"Transfer",`), 1)
	seeds["transfer unknown field"] = bytes.Replace(b, []byte(`{"type":"Transfer",`), []byte(`{"extra":1,"type":"Transfer",`), 1)
	seeds["transfer negative"] = bytes.Replace(b, []byte(`"amount":"5"`), []byte(`"amount":"-5"`), 1)
	seeds["transfer huge nonce"] = bytes.Replace(b, []byte(`"nonce":0`), []byte(`"nonce":18446744073709551616`), 1)
	return seeds
}

// anyRefusal in TestChainTx accepts any non-zero chain code.
const anyRefusal = ^uint32(0)

// TestChainTx posts the seeds of FuzzChainTx and checks each answer: the
// status and the chain's code of every transaction kind.
func TestChainTx(t *testing.T) {
	want := map[string]struct {
		status int
		code   uint32 // chain code, or
		err    string // gateway error code
	}{
		"transfer":                 {200, chain.CodeOK, ""},
		"transfer too much":        {400, chain.CodeInsufficientFunds, ""},
		"transfer bad nonce":       {400, chain.CodeBadNonce, ""},
		"transfer other chain":     {400, chain.CodeUnknownAccount, ""},
		"transfer no account":      {400, chain.CodeUnknownAccount, ""},
		"deploy":                   {200, chain.CodeOK, ""},
		"deploy known agent":       {400, chain.CodeExists, ""},
		"deploy bad name":          {400, chain.CodeInvalidArgument, ""},
		"deploy cid of other code": {400, chain.CodeInvalidArgument, ""},
		"deploy garbage secrets":   {400, chain.CodeInvalidArgument, ""},
		"upgrade":                  {200, chain.CodeOK, ""},
		"upgrade by stranger":      {400, chain.CodeUnauthorized, ""},
		"upgrade unknown agent":    {400, chain.CodeNotFound, ""},
		"register worker":          {400, anyRefusal, ""}, // this chain has no quote verifier
		"update params":            {200, chain.CodeOK, ""},
		"update params not admin":  {400, chain.CodeUnauthorized, ""},
		"zero signature":           {400, chain.CodeBadSignature, ""},
	}
	for name, body := range txSeeds(t) {
		t.Run(name, func(t *testing.T) {
			s, c := newFuzzGateway(t)
			before := c.status()
			rec := postTx(s, body)
			out := checkTxAnswer(t, c, before, body, rec)
			w, ok := want[name]
			if !ok {
				w.status, w.err = 400, "malformed_tx"
			}
			if w.code == anyRefusal && out.Code != 0 {
				w.code = out.Code
			}
			if rec.Code != w.status || out.Code != w.code {
				t.Fatalf("%d %s, want %d with code %d (%s) %s", rec.Code, rec.Body, w.status, w.code, chain.CodeName(w.code), w.err)
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		s, c := newFuzzGateway(t)
		body := bytes.Repeat([]byte(" "), chain.MaxTxBytes+1)
		checkTxAnswer(t, c, c.status(), body, postTx(s, body))
	})
	t.Run("upgrade then call", func(t *testing.T) {
		s, c := newFuzzGateway(t)
		if rec := postTx(s, txSeeds(t)["upgrade"]); rec.Code != http.StatusOK {
			t.Fatalf("upgrade: %d %s", rec.Code, rec.Body)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/agents/"+knownAgent.String(), nil))
		var v api.AgentView
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.Version != 2 || v.CID != otherCID || !v.HasSecrets || v.Owner != owner.addr {
			t.Fatalf("agent after upgrade: %d %s", rec.Code, rec.Body)
		}
		if a, err := c.app.View().Agent(knownAgent); err != nil || len(a.History) != 2 {
			t.Fatalf("chain record after upgrade: %+v, %v", a, err)
		}
	})
}

// FuzzChainTx posts arbitrary bodies to POST /v1/chain/tx: malformed input
// gets a 400 JSON error, a transaction its outcome, never a 5xx or a panic.
func FuzzChainTx(f *testing.F) {
	for _, b := range txSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s, c := newFuzzGateway(t)
		before := c.status()
		checkTxAnswer(t, c, before, body, postTx(s, body))
	})
}

// clusterPublicKey is the HPKE public key of a fixed test cluster, for
// sealing seed secrets.
func clusterPublicKey(t testing.TB) []byte {
	t.Helper()
	c, err := keys.ClusterFromBytes(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := c.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// FuzzAgentPath sends arbitrary methods and paths under /agents/ (and the
// API's agent and chain routes) through the gateway's router: every answer
// is JSON below 500, and a call of the deployed agent reaches the invoker
// with the URL the agent sees (the gateway's origin and the path after
// /agents/{id}) and the request target the receipt covers.
func FuzzAgentPath(f *testing.F) {
	id := knownAgent.String()
	for _, s := range [][2]string{
		{"GET", "/agents/" + id + "/hello?name=Ada"},
		{"POST", "/agents/" + id + "/"},
		{"DELETE", "/agents/" + id},
		{"PATCH", "/agents/" + id + "/a/b/c%2Fd?x=%zz"},
		{"GET", "/agents/" + strings.ToUpper(id) + "/x"},
		{"GET", "/agents/0x" + strings.Repeat("0", 64) + "/x"},
		{"GET", "/agents/0x1234/x"},
		{"GET", "/agents/%30x" + id[2:] + "/x"},
		{"GET", "/agents//x"},
		{"GET", "/agents/" + id + "/../../v1/keys"},
		{"GET", "/agents/" + id + "/./x"},
		{"GET", "/agents/" + id + "/\x86"},
		{"OPTIONS", "*"},
		{"GET", "/v1/agents/" + id},
		{"GET", "/v1/agents/" + id + "/logs?limit=5&follow=1"},
		{"GET", "/v1/agents/" + id + "/logs?limit=abc"},
		{"GET", "/v1/agents/" + id + "/logs?limit=100000"},
		{"GET", "/v1/agents/zz/logs"},
		{"PUT", "/v1/agents/" + id},
		{"POST", "/v1/agents"},
		{"GET", "/v1/chain/status"},
		{"GET", "/v1/chain/agents"},
		{"GET", "/v1/chain/agents/" + id},
		{"GET", "/v1/chain/agents/0x12"},
		{"GET", "/v1/chain/accounts/" + owner.addr.String()},
		{"GET", "/v1/chain/accounts/" + strings.ToLower(owner.addr.String())},
		{"GET", "/v1/chain/accounts/0xAbC0000000000000000000000000000000000000"},
		{"GET", "/v1/chain/accounts/zz"},
		{"GET", "/v1/chain/workers"},
		{"GET", "/v1/chain/tx"},
		{"GET", "/v1/blobs/" + knownCID},
		{"GET", "/v1/blobs/nope"},
		{"BREW", "/agents/" + id + "/coffee"},
		{"GET", "/agents/" + id + "/\u00e9?\u00e9=1"},
		{"GET", "/agents/" + id + "/admin%3Fdebug=1"},
		{"GET", "/agents/" + id + "/%2F..%2Fv1%2Fkeys"},
		{"GET", "/agents/" + id + "/a?x=1#f"},
		{"GET", "/agents/" + id + "?q=1"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, method, target string) {
		// Parse the request as the HTTP server would: what it refuses
		// never reaches the gateway.
		raw := method + " " + target + " HTTP/1.1\r\nHost: gw.test\r\n\r\n"
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil || req.RequestURI == "*" {
			return // net/http.Server answers "OPTIONS *" itself
		}
		s, _ := newFuzzGateway(t)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK && strings.HasPrefix(req.URL.Path, "/v1/blobs/") {
			if !bytes.Equal(rec.Body.Bytes(), knownCode) && !bytes.Equal(rec.Body.Bytes(), otherCode) {
				t.Fatalf("%s %s: blob %q", method, target, rec.Body)
			}
			return // a bundle, not JSON
		}
		checkJSONAnswer(t, method+" "+target, rec)
		if rec.Code == http.StatusOK && strings.HasPrefix(req.URL.Path, "/agents/") {
			var out map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatalf("%s %s: %s", method, target, rec.Body)
			}
			if out["agent"] != knownAgent.String() {
				t.Fatalf("%s %s reached agent %s", method, target, out["agent"])
			}
			// The agent sees the target after /agents/{id} byte for byte.
			u, err := hex.DecodeString(out["url"])
			sub, ok := strings.CutPrefix(string(u), "http://gw.test")
			rest := strings.TrimPrefix(out["path"], "/agents/")
			want := rest[strings.IndexAny(rest+"?", "/?"):]
			if !strings.HasPrefix(want, "/") {
				want = "/" + want
			}
			if err != nil || !ok || sub != want {
				t.Fatalf("%s %s: the worker got URL %q for the request target %q", method, target, u, out["path"])
			}
			if out["path"] != req.URL.RequestURI() {
				t.Fatalf("%s %s: the receipt would cover %q, not the request target %q", method, target, out["path"], req.URL.RequestURI())
			}
		}
	})
}
