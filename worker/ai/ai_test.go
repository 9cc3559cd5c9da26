package ai_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/attest"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/ethsig"
	"github.com/cove-network/cove/internal/aimock"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/receipt"
	"github.com/cove-network/cove/secret"
	"github.com/cove-network/cove/tee/sim"
	"github.com/cove-network/cove/tee/sim/simquote"
	"github.com/cove-network/cove/worker/ai"
)

var measurement = [32]byte{7, 7, 7}

type fixture struct {
	svc  *ai.Service
	mock *aimock.Server
	tee  *sim.Platform
	dir  string
	url  string // the upstream's base URL
	key  string // an API key of owner
}

var owner = cove.Address{0xaa}

// start runs a MOCK upstream (provider "mock", key "upstream-secret")
// and a service in front of it.
func start(t *testing.T, cfg ai.Config, mockCfg aimock.Config) *fixture {
	t.Helper()
	mockCfg.Key = "upstream-secret"
	mock := aimock.New(mockCfg)
	up := httptest.NewServer(mock)
	t.Cleanup(up.Close)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "provider.key")
	os.WriteFile(keyFile, []byte("upstream-secret\n"), 0o600)
	cfg.Providers = append([]ai.Provider{{Name: "mock", URL: up.URL + "/v1", KeyFile: keyFile}}, cfg.Providers...)
	p, err := sim.Open(filepath.Join(dir, "tee"), sim.WithMeasurement(measurement))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{mock: mock, tee: p, dir: dir, url: up.URL + "/v1"}
	f.svc = f.open(t, cfg)
	if f.key, err = f.svc.NewKey(owner); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) open(t *testing.T, cfg ai.Config) *ai.Service {
	t.Helper()
	svc, err := ai.New(cfg, slog.New(slog.DiscardHandler), f.tee, filepath.Join(f.dir, "worker"), measurement)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func call(method, path, key, body string) cove.Call {
	h := cove.Header{"Content-Type": {"application/json"}}
	if key != "" {
		h["Authorization"] = []string{"Bearer " + key}
	}
	return cove.Call{Method: method, Path: path, URL: "http://gw.test" + path, Host: "gw.test", Header: h, Body: []byte(body)}
}

const chatBody = `{"model":"mock-chat","messages":[{"role":"user","content":"how are you"}]}`
const streamBody = `{"model":"mock-chat","stream":true,"messages":[{"role":"user","content":"one two three four"}]}`

// serve answers c and reads a stream whole; it returns the status, the
// body as sent and the receipt over it.
func (f *fixture) serve(t *testing.T, c cove.Call) (*cove.Response, []byte, cove.SignedReceipt) {
	t.Helper()
	resp, err := f.svc.Serve(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Stream == nil {
		if resp.Receipt == nil {
			t.Fatalf("%d %s without a receipt", resp.Status, resp.Body)
		}
		return resp, resp.Body, *resp.Receipt
	}
	defer resp.Stream.Close()
	if _, err := resp.Stream.Receipt(); !errors.Is(err, cove.ErrStreamOpen) {
		t.Fatalf("a receipt before the stream ended: %v", err)
	}
	body, err := io.ReadAll(resp.Stream)
	if err != nil {
		t.Fatal(err)
	}
	r, err := resp.Stream.Receipt()
	if err != nil {
		t.Fatal(err)
	}
	return resp, body, r
}

// checkSigned verifies r as a client would: the signature, the exchange,
// the signer and the ids AI receipts name.
func (f *fixture) checkSigned(t *testing.T, c cove.Call, resp *cove.Response, body []byte, r cove.SignedReceipt, provider string) {
	t.Helper()
	if err := receipt.Verify(r); err != nil {
		t.Fatal(err)
	}
	if err := receipt.Check(r, receipt.Exchange{Method: c.Method, Target: c.Path, RequestBody: c.Body, Host: c.Host,
		Status: resp.Status, Header: http.Header(resp.Header), Body: body}); err != nil {
		t.Fatal(err)
	}
	if r.Signer != f.svc.SigningAddress() || r.Receipt.Agent != api.AIAgentID(provider) || r.Receipt.CodeHash != measurement {
		t.Fatalf("receipt names signer %s agent %s code %s", r.Signer, r.Receipt.Agent, r.Receipt.CodeHash)
	}
}

func TestChatSigned(t *testing.T) {
	f := start(t, ai.Config{}, aimock.Config{})
	c := call("POST", "/v1/chat/completions", f.key, chatBody)
	resp, body, r := f.serve(t, c)
	if resp.Status != 200 || !strings.Contains(string(body), "echo: how are you") {
		t.Fatalf("%d %s", resp.Status, body)
	}
	f.checkSigned(t, c, resp, body, r, "mock")

	// The upstream got the provider's key, never the caller's.
	seen := f.mock.Requests()
	if got := seen[len(seen)-1]; got.Authorization != "Bearer upstream-secret" || string(got.Body) != chatBody {
		t.Fatalf("upstream saw Authorization %q body %s", got.Authorization, got.Body)
	}

	// The vllm-proxy signature, by chat id: EIP-191 over sha256(req):sha256(resp).
	var out struct{ ID string }
	json.Unmarshal(body, &out)
	_, sb, _ := f.serve(t, call("GET", "/v1/signature/"+out.ID+"?signing_algo=ecdsa", "", ""))
	var sig api.AISignature
	json.Unmarshal(sb, &sig)
	if want := api.AISignatureText([]byte(chatBody), cove.SHA256(body)); sig.Text != want {
		t.Fatalf("text %q, want %q", sig.Text, want)
	}
	raw, _ := hex.DecodeString(strings.TrimPrefix(sig.Signature, "0x"))
	var s65 [65]byte
	copy(s65[:], raw)
	if got, err := ethsig.Recover(ethsig.TextDigest(sig.Text), s65); err != nil || got != f.svc.SigningAddress() || sig.SigningAddress != got.String() {
		t.Fatalf("signature recovers %s (%v), report says %s", got, err, sig.SigningAddress)
	}

	// The record at x-receipt-id holds the same receipt.
	id := resp.Header[ai.HeaderReceiptID][0]
	_, rb, _ := f.serve(t, call("GET", "/v1/ai/receipts/"+id, "", ""))
	var rec struct {
		ChatID   string            `json:"chatId"`
		Complete bool              `json:"complete"`
		Tokens   int64             `json:"tokens"`
		Receipt  map[string]string `json:"receipt"`
	}
	json.Unmarshal(rb, &rec)
	h := http.Header{}
	for k, v := range rec.Receipt {
		h.Set(k, v)
	}
	kept, err := receipt.FromHeaders(h)
	if err != nil || kept.Signature != r.Signature || rec.ChatID != out.ID || !rec.Complete || rec.Tokens != 7 {
		t.Fatalf("record %s: %v", rb, err)
	}
}

func TestEndpoints(t *testing.T) {
	f := start(t, ai.Config{}, aimock.Config{})
	for _, tc := range []struct{ path, body, want string }{
		{"/v1/completions", `{"model":"mock-chat","prompt":"say hi"}`, "echo: say hi"},
		{"/v1/embeddings", `{"model":"mock-embed","input":["a","b"]}`, `"embedding"`},
		{"/v1/chat/completions", `{"model":"mock-chat","messages":[{"role":"user","content":"weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{}}}]}`, `"get_weather"`},
	} {
		c := call("POST", tc.path, f.key, tc.body)
		resp, body, r := f.serve(t, c)
		if resp.Status != 200 || !strings.Contains(string(body), tc.want) {
			t.Fatalf("%s: %d %s", tc.path, resp.Status, body)
		}
		f.checkSigned(t, c, resp, body, r, "mock")
	}
	c := call("GET", "/v1/models", f.key, "")
	resp, body, r := f.serve(t, c)
	if !strings.Contains(string(body), `"mock-chat"`) {
		t.Fatalf("models: %s", body)
	}
	f.checkSigned(t, c, resp, body, r, "")
}

func TestStreamSigned(t *testing.T) {
	f := start(t, ai.Config{}, aimock.Config{})
	c := call("POST", "/v1/chat/completions", f.key, streamBody)
	resp, body, r := f.serve(t, c)
	if !strings.HasSuffix(string(body), "data: [DONE]\n\n") || strings.Count(string(body), "data: ") != 7 {
		t.Fatalf("stream:\n%s", body)
	}
	f.checkSigned(t, c, resp, body, r, "mock")
	_, rb, _ := f.serve(t, call("GET", "/v1/ai/receipts/"+resp.Header[ai.HeaderReceiptID][0], "", ""))
	if !strings.Contains(string(rb), `"complete":true`) || !strings.Contains(string(rb), `"tokens":9`) {
		t.Fatalf("record %s", rb)
	}
}

// A stream the upstream cuts ends with an error event: the receipt covers
// exactly the bytes handed out, the event included, and the record says
// incomplete. The control is the same stream uncut (TestStreamSigned).
func TestStreamCut(t *testing.T) {
	for name, cfg := range map[string]aimock.Config{
		"connection cut":                      {CutAfter: 2},
		"ended without [DONE]":                {EndAfter: 2},
		"cut inside an event":                 {CutAfter: 2, CutPartial: `data: {"choi`},
		"cut between an event's two newlines": {CutAfter: 2, CutPartial: "data: {}\n"},
	} {
		t.Run(name, func(t *testing.T) {
			f := start(t, ai.Config{}, cfg)
			c := call("POST", "/v1/chat/completions", f.key, streamBody)
			resp, body, r := f.serve(t, c)
			// The error event is an event of its own: a blank line before it.
			if strings.Contains(string(body), "[DONE]") || strings.Count(string(body), "data: ") != 3+strings.Count(cfg.CutPartial, "data: ") ||
				!strings.HasSuffix(string(body), "\n\ndata: {\"error\":{\"code\":\"upstream_cut\",\"message\":\"provider mock ended the stream before it was complete\",\"type\":\"api_error\"}}\n\n") {
				t.Fatalf("cut stream:\n%q", body)
			}
			f.checkSigned(t, c, resp, body, r, "mock")
			_, rb, _ := f.serve(t, call("GET", "/v1/ai/receipts/"+resp.Header[ai.HeaderReceiptID][0], "", ""))
			if !strings.Contains(string(rb), `"complete":false`) {
				t.Fatalf("record %s", rb)
			}
		})
	}
}

func TestUpstreamFailures(t *testing.T) {
	t.Run("down", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close() // nothing listens there
		f := start(t, ai.Config{Providers: []ai.Provider{{Name: "gone", URL: "http://" + addr + "/v1", Models: []string{"gone-model"}}}}, aimock.Config{})
		resp, body, _ := f.serve(t, call("POST", "/v1/chat/completions", f.key, `{"model":"gone-model"}`))
		if resp.Status != http.StatusBadGateway || !strings.Contains(string(body), `"upstream_unavailable"`) {
			t.Fatalf("%d %s", resp.Status, body)
		}
		// Control: the same service reaches the live provider.
		if resp, body, _ := f.serve(t, call("POST", "/v1/chat/completions", f.key, chatBody)); resp.Status != 200 {
			t.Fatalf("control: %d %s", resp.Status, body)
		}
	})
	t.Run("slow head", func(t *testing.T) {
		f := start(t, ai.Config{TimeoutSeconds: 1}, aimock.Config{HeadDelay: 1500 * time.Millisecond})
		start := time.Now()
		resp, body, _ := f.serve(t, call("POST", "/v1/chat/completions", f.key, chatBody))
		if resp.Status != http.StatusGatewayTimeout || !strings.Contains(string(body), `"upstream_timeout"`) || time.Since(start) > 1400*time.Millisecond {
			t.Fatalf("%d %s after %s", resp.Status, body, time.Since(start))
		}
		f.mock.Set(aimock.Config{Key: "upstream-secret", HeadDelay: 100 * time.Millisecond})
		if resp, body, _ := f.serve(t, call("POST", "/v1/chat/completions", f.key, chatBody)); resp.Status != 200 {
			t.Fatalf("control: %d %s", resp.Status, body)
		}
	})
	t.Run("stalled stream", func(t *testing.T) {
		f := start(t, ai.Config{TimeoutSeconds: 1}, aimock.Config{ChunkDelay: 1500 * time.Millisecond})
		resp, body, r := f.serve(t, call("POST", "/v1/chat/completions", f.key, streamBody))
		if !strings.Contains(string(body), `"upstream_timeout"`) || strings.Contains(string(body), "[DONE]") {
			t.Fatalf("%d %s", resp.Status, body)
		}
		f.checkSigned(t, call("POST", "/v1/chat/completions", f.key, streamBody), resp, body, r, "mock")
	})
	t.Run("provider refuses the key", func(t *testing.T) {
		f := start(t, ai.Config{}, aimock.Config{})
		f.mock.Set(aimock.Config{Key: "rotated"})
		resp, body, _ := f.serve(t, call("POST", "/v1/chat/completions", f.key, chatBody))
		if resp.Status != http.StatusBadGateway || !strings.Contains(string(body), `"upstream_auth"`) {
			t.Fatalf("%d %s", resp.Status, body)
		}
	})
}

func TestAccess(t *testing.T) {
	f := start(t, ai.Config{FreeTokensPerDay: 10}, aimock.Config{})
	for _, tc := range []struct {
		name, key string
		status    int
		code      string
	}{
		{"no key", "", 401, "missing_api_key"},
		{"unknown key", ai.KeyPrefix + "made-up", 401, "invalid_api_key"},
		{"the key with one character changed", f.key[:len(f.key)-1] + string(f.key[len(f.key)-1]^1), 401, "invalid_api_key"},
		{"control: the key", f.key, 200, ""},
	} {
		resp, body, _ := f.serve(t, call("POST", "/v1/chat/completions", tc.key, chatBody))
		var e api.ErrorBody
		json.Unmarshal(body, &e)
		if resp.Status != tc.status || e.Error.Code != tc.code || (tc.code != "" && e.Error.Type != "authentication_error") {
			t.Fatalf("%s: %d %s", tc.name, resp.Status, body)
		}
	}
	// 7 tokens used of 10: the next call is allowed and uses 7 more; then
	// the quota is spent.
	if resp, body, _ := f.serve(t, call("POST", "/v1/chat/completions", f.key, chatBody)); resp.Status != 200 {
		t.Fatalf("within quota: %d %s", resp.Status, body)
	}
	resp, body, _ := f.serve(t, call("POST", "/v1/chat/completions", f.key, chatBody))
	if resp.Status != 429 || !strings.Contains(string(body), `"insufficient_quota"`) {
		t.Fatalf("over quota: %d %s", resp.Status, body)
	}
	// The quota is the account's: a second key of it is refused too, while
	// another account's key has its own.
	second, _ := f.svc.NewKey(owner)
	if resp, body, _ := f.serve(t, call("POST", "/v1/chat/completions", second, chatBody)); resp.Status != 429 {
		t.Fatalf("a second key of the same account: %d %s", resp.Status, body)
	}
	other, _ := f.svc.NewKey(cove.Address{0xbb})
	if resp, body, _ := f.serve(t, call("POST", "/v1/chat/completions", other, chatBody)); resp.Status != 200 {
		t.Fatalf("another account's quota is its own: %d %s", resp.Status, body)
	}
	// An account has at most ai.MaxKeysPerAccount keys (owner has 2).
	for i := 2; i < ai.MaxKeysPerAccount; i++ {
		if _, err := f.svc.NewKey(owner); err != nil {
			t.Fatalf("key %d: %v", i+1, err)
		}
	}
	var ce *cove.Error
	if _, err := f.svc.NewKey(owner); !errors.As(err, &ce) || ce.Code != "too_many_keys" {
		t.Fatalf("one key too many: %v", err)
	}
	_, ub, _ := f.serve(t, call("GET", "/v1/ai/usage", f.key, ""))
	var u api.AIUsage
	json.Unmarshal(ub, &u)
	if u.Account != owner || u.TokensToday != 14 || u.Requests != 2 || u.QuotaPerDay != 10 {
		t.Fatalf("usage %s", ub)
	}

	// A restart keeps the signing key, the keys and their usage.
	if err := f.svc.Close(); err != nil {
		t.Fatal(err)
	}
	again := f.open(t, ai.Config{FreeTokensPerDay: 10, Providers: []ai.Provider{{Name: "mock", URL: "http://127.0.0.1:1/v1"}}})
	if again.SigningAddress() != f.svc.SigningAddress() {
		t.Fatal("the signing key changed across a restart")
	}
	resp, body, _ = (&fixture{svc: again}).serve(t, call("GET", "/v1/ai/usage", f.key, ""))
	if resp.Status != 200 || !strings.Contains(string(body), `"tokens_total":14`) {
		t.Fatalf("after restart: %d %s", resp.Status, body)
	}
}

func TestOpen(t *testing.T) {
	f := start(t, ai.Config{Open: true}, aimock.Config{})
	if resp, body, _ := f.serve(t, call("POST", "/v1/chat/completions", "", chatBody)); resp.Status != 200 {
		t.Fatalf("open service without a key: %d %s", resp.Status, body)
	}
}

func TestAttestationReport(t *testing.T) {
	f := start(t, ai.Config{}, aimock.Config{})
	nonce := bytes.Repeat([]byte{0x5a}, 32)
	path := "/v1/attestation/report?nonce=" + hex.EncodeToString(nonce) + "&signing_address=" + f.svc.SigningAddress().String()
	c := call("GET", path, "", "")
	resp, body, r := f.serve(t, c)
	f.checkSigned(t, c, resp, body, r, "")
	var rep api.AIReport
	json.Unmarshal(body, &rep)
	quote, _ := hex.DecodeString(rep.Quote)
	q, err := simquote.Verify(quote, [][]byte{f.tee.VendorPublicKey()})
	if err != nil {
		t.Fatal(err)
	}
	want := api.AIReportData(f.svc.SigningAddress(), [32]byte(nonce))
	if q.ReportData != want || q.Measurement != measurement || rep.TEE != "sim" || rep.SigningAddress != f.svc.SigningAddress().String() {
		t.Fatalf("report %s", body)
	}
	for name, p := range map[string]string{
		"another signing address": "/v1/attestation/report?signing_address=" + (cove.Address{1}).String(),
		"a short nonce":           "/v1/attestation/report?nonce=" + hex.EncodeToString(nonce[:31]),
	} {
		if resp, body, _ := f.serve(t, call("GET", p, "", "")); resp.Status/100 != 4 {
			t.Fatalf("%s: %d %s", name, resp.Status, body)
		}
	}
}

// An agent's request to ai.cove.internal is served in process, metered to
// its owner; the same request outside an agent's invocation is refused.
func TestTransport(t *testing.T) {
	f := start(t, ai.Config{}, aimock.Config{})
	tr := f.svc.Transport(http.DefaultTransport)
	other := cove.Address{0xcc}
	ctx := ai.WithAgent(context.Background(), cove.AgentID{1}, other)
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://ai.cove.internal/v1/chat/completions", strings.NewReader(streamBody))
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasSuffix(string(body), "[DONE]\n\n") || resp.Header.Get(ai.HeaderReceiptID) == "" {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	req, _ = http.NewRequest("POST", "http://ai.cove.internal/v1/chat/completions", strings.NewReader(chatBody))
	if _, err := (&http.Client{Transport: tr}).Do(req); err == nil || !strings.Contains(err.Error(), "agents running in a worker") {
		t.Fatalf("outside an agent: %v", err)
	}
}

// TestAgentsMeteredToOwner: an agent's calls count against its owner's
// quota (no key needed), apart from other owners' and from API keys.
func TestAgentsMeteredToOwner(t *testing.T) {
	f := start(t, ai.Config{FreeTokensPerDay: 10}, aimock.Config{})
	client := &http.Client{Transport: f.svc.Transport(http.DefaultTransport)}
	ask := func(owner cove.Address) int {
		ctx := ai.WithAgent(context.Background(), cove.AgentID{1}, owner)
		req, _ := http.NewRequestWithContext(ctx, "POST", "http://ai.cove.internal/v1/chat/completions", strings.NewReader(chatBody))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	a, b := cove.Address{0xa}, cove.Address{0xb}
	// 7 tokens a call: two calls pass the quota of 10, the third is refused.
	for i, want := range []int{200, 200, 429} {
		if got := ask(a); got != want {
			t.Fatalf("owner a, call %d: %d, want %d", i+1, got, want)
		}
	}
	if got := ask(b); got != 200 {
		t.Fatalf("another owner: %d", got)
	}
	if resp, body, _ := f.serve(t, call("POST", "/v1/chat/completions", f.key, chatBody)); resp.Status != 200 {
		t.Fatalf("an API key, metered apart from agent owners: %d %s", resp.Status, body)
	}
}

func TestParseProviderFlag(t *testing.T) {
	p, err := ai.ParseProviderFlag("local=http://127.0.0.1:11434/v1,key-file=/k,models=llama3|qwen")
	if err != nil || p.Name != "local" || p.URL != "http://127.0.0.1:11434/v1" || p.KeyFile != "/k" || strings.Join(p.Models, ",") != "llama3,qwen" {
		t.Fatalf("%+v %v", p, err)
	}
	for _, bad := range []string{"no-url", "x=ftp://h/v1", "bad name=http://h/v1", "x=http://h/v1,colour=red"} {
		if _, err := ai.ParseProviderFlag(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestSealedKey: a provider's API key sealed to the cluster key for that
// provider is opened inside the service at first use, and reaches only
// the upstream. Refusals: no opener yet (503, then the control passes
// once there is one), and an envelope sealed for another provider (the
// same envelope configured under its own name is the control).
func TestSealedKey(t *testing.T) {
	cluster, err := keys.ClusterFromBytes(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := cluster.PublicKey()
	priv, _ := cluster.HPKE()
	opener := func(id cove.AgentID, sealed []byte) (map[string]string, error) { return secret.Open(priv, id, sealed) }
	mock := aimock.New(aimock.Config{Key: "upstream-secret"})
	up := httptest.NewServer(mock)
	defer up.Close()
	seal := func(provider string) string {
		env, err := secret.Seal(pub, 0, api.AIAgentID(provider), map[string]string{ai.SealedKeyName: "upstream-secret", ai.SealedURLName: up.URL + "/v1"})
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), provider+".key.sealed")
		os.WriteFile(file, ai.EncodeSealedKey(env), 0o600)
		return file
	}
	p, _ := sim.Open(filepath.Join(t.TempDir(), "tee"))
	openAt := func(name, url, file string) (*ai.Service, string) {
		svc, err := ai.New(ai.Config{Providers: []ai.Provider{{Name: name, URL: url, SealedKeyFile: file}}}, slog.New(slog.DiscardHandler), p, t.TempDir(), measurement)
		if err != nil {
			t.Fatal(err)
		}
		key, _ := svc.NewKey(owner)
		return svc, key
	}
	open := func(name, file string) (*ai.Service, string) { return openAt(name, up.URL+"/v1", file) }
	chat := func(svc *ai.Service, key string) (int, string) {
		resp, err := svc.Serve(context.Background(), call("POST", "/v1/chat/completions", key, chatBody))
		if err != nil {
			t.Fatal(err)
		}
		var e api.ErrorBody
		json.Unmarshal(resp.Body, &e)
		return resp.Status, e.Error.Code
	}

	svc, key := open("mock", seal("mock"))
	if status, code := chat(svc, key); status != 503 || code != "provider_key_unavailable" {
		t.Fatalf("before the worker can open it: %d %s", status, code)
	}
	svc.SetOpener(opener)
	if status, code := chat(svc, key); status != 200 {
		t.Fatalf("control: %d %s", status, code)
	}
	if seen := mock.Requests(); seen[len(seen)-1].Authorization != "Bearer upstream-secret" {
		t.Fatalf("the upstream got %q", seen[len(seen)-1].Authorization)
	}

	other, key := open("mock", seal("other"))
	other.SetOpener(opener)
	if status, code := chat(other, key); status != 502 || code != "provider_key_unavailable" {
		t.Fatalf("a key sealed for another provider: %d %s", status, code)
	}
	// The same file for another URL of the same provider (the operator
	// points it at a server of its own): the key is not opened for it.
	moved, key := openAt("mock", up.URL+"/elsewhere/v1", seal("mock"))
	moved.SetOpener(opener)
	if status, code := chat(moved, key); status != 502 || code != "provider_key_unavailable" {
		t.Fatalf("a key sealed for another url: %d %s", status, code)
	}
	if n := len(mock.Requests()); n != 1 {
		t.Fatalf("the upstream got %d requests, want only the control's", n)
	}
	if _, err := ai.New(ai.Config{Providers: []ai.Provider{{Name: "mock", URL: "http://llm.example/v1", SealedKeyFile: seal("mock")}}}, slog.New(slog.DiscardHandler), p, t.TempDir(), measurement); err == nil || !strings.Contains(err.Error(), "https only") {
		t.Fatalf("a sealed key over plain http to a remote host: %v", err)
	}
	if _, err := ai.New(ai.Config{Providers: []ai.Provider{{Name: "mock", URL: up.URL, SealedKeyFile: chatBodyFile(t)}}}, slog.New(slog.DiscardHandler), p, t.TempDir(), measurement); err == nil || !strings.Contains(err.Error(), "not a sealed key file") {
		t.Fatalf("a plaintext file as sealed key: %v", err)
	}
}

func chatBodyFile(t *testing.T) string {
	f := filepath.Join(t.TempDir(), "plain.key")
	os.WriteFile(f, []byte("sk-plaintext"), 0o600)
	return f
}

// TestUpstreamAttestation: an upstream that is a TEE in vllm-proxy's
// format (a MOCK here, with a sim quote) is checked: its quote's platform
// against the chain's TEE policy and its measurement against the
// provider's own list (attest.Verifier, as the worker wires it), each
// answer's signature over the exact exchange. Each refusal changes one
// thing of the honest upstream, which passes first on the same service.
func TestUpstreamAttestation(t *testing.T) {
	vendorPub, vendor, _ := ed25519.GenerateKey(nil)
	trusted, coveBuild := [32]byte{0xa1}, [32]byte{0xb2}
	// The chain admits coveBuild (a worker build); the provider trusts
	// only its LLM server's measurement.
	params := chain.Params{TEE: chain.TEEPolicy{AllowedTEEs: []string{"sim"}, AllowedMeasurements: []chain.Bytes{coveBuild[:]}, SimVendorKeys: []chain.Bytes{chain.Bytes(vendorPub)}}}
	verifier := func(tee string, q []byte, rd [64]byte, ms [][]byte) ([]byte, error) {
		p := params
		p.TEE.AllowedMeasurements = nil
		for _, m := range ms {
			p.TEE.AllowedMeasurements = append(p.TEE.AllowedMeasurements, chain.Bytes(m))
		}
		att, err := attest.Verifier{}.VerifyQuote(tee, q, rd, time.Now(), p)
		return att.Measurement, err
	}
	upstreamKey, _ := crypto.GenerateKey()
	outsider, _ := crypto.GenerateKey()
	restarted, _ := crypto.GenerateKey()
	quoting := func(m [32]byte) func([64]byte) ([]byte, error) {
		return func(rd [64]byte) ([]byte, error) { return simquote.Sign(vendor, m, rd, uint64(time.Now().Unix())), nil }
	}
	honest := aimock.Config{Key: "upstream-secret", Attest: &aimock.Attestor{Key: upstreamKey, TEE: "sim", Quote: quoting(trusted)}}
	f := start(t, ai.Config{}, honest)
	f.svc.SetQuoteVerifier(verifier)
	// Attestation off: recorded unverified, even for an honest TEE.
	resp, _, _ := f.serve(t, call("POST", "/v1/chat/completions", f.key, chatBody))
	if resp.Status != 200 || f.upstreamRecord(t, resp) != "unverified" {
		t.Fatalf("off: %d %s", resp.Status, f.upstreamRecord(t, resp))
	}
	if _, err := ai.New(ai.Config{Providers: []ai.Provider{{Name: "x", URL: f.url, Attestation: ai.AttestationCheck}}}, slog.New(slog.DiscardHandler), f.tee, t.TempDir(), measurement); err == nil || !strings.Contains(err.Error(), "needs measurements") {
		t.Fatalf("attestation without measurements: %v", err)
	}

	for _, mode := range []string{ai.AttestationCheck, ai.AttestationRequire} {
		for _, tc := range []struct {
			name string
			bad  aimock.Attestor
		}{
			{"a signature over another exchange", aimock.Attestor{Key: upstreamKey, TEE: "sim", Forge: true, Quote: quoting(trusted)}},
			// A new key (a restarted upstream): attested anew, not
			// trusted through the address the control cached.
			{"a new key whose quote shows a measurement the provider does not list, though the chain admits it (a Cove worker as upstream)", aimock.Attestor{Key: restarted, TEE: "sim", Quote: quoting(coveBuild)}},
			{"a signature by a key the quote does not bind", aimock.Attestor{Key: upstreamKey, TEE: "sim", SignKey: outsider, Quote: quoting(trusted)}},
		} {
			svc := f.open(t, ai.Config{Providers: []ai.Provider{{Name: "mock", URL: f.url, KeyFile: filepath.Join(f.dir, "provider.key"), Attestation: mode, Measurements: []string{hex.EncodeToString(trusted[:])}}}})
			svc.SetQuoteVerifier(verifier)
			g := &fixture{svc: svc}
			key, _ := svc.NewKey(owner)
			f.mock.Set(honest)
			for _, body := range []string{chatBody, streamBody} {
				resp, got, _ := g.serve(t, call("POST", "/v1/chat/completions", key, body))
				if resp.Status != 200 || g.upstreamRecord(t, resp) != "verified" || (body == streamBody && !strings.HasSuffix(string(got), "data: [DONE]\n\n")) {
					t.Fatalf("%s, %s: control: %d %s", mode, tc.name, resp.Status, got)
				}
			}
			bad := tc.bad
			f.mock.Set(aimock.Config{Key: "upstream-secret", Attest: &bad})
			for _, body := range []string{chatBody, streamBody} {
				resp, got, _ := g.serve(t, call("POST", "/v1/chat/completions", key, body))
				switch {
				case mode == ai.AttestationCheck:
					if resp.Status != 200 || g.upstreamRecord(t, resp) != "unverified" || (body == streamBody && !strings.HasSuffix(string(got), "data: [DONE]\n\n")) {
						t.Fatalf("%s, %s: %d %s", mode, tc.name, resp.Status, got)
					}
				case body == chatBody:
					if resp.Status != 502 || !strings.Contains(string(got), "upstream_unverified") {
						t.Fatalf("%s, %s: %d %s", mode, tc.name, resp.Status, got)
					}
				default:
					// The client never sees the stream complete: the error
					// event stands where [DONE] would.
					if strings.Contains(string(got), "[DONE]") || !strings.Contains(string(got), `"code":"upstream_unverified"`) || g.upstreamRecord(t, resp) != "unverified" {
						t.Fatalf("%s, %s, stream: %s", mode, tc.name, got)
					}
				}
			}
		}
	}
}

func (f *fixture) upstreamRecord(t *testing.T, resp *cove.Response) string {
	t.Helper()
	_, rb, _ := f.serve(t, call("GET", "/v1/ai/receipts/"+resp.Header[ai.HeaderReceiptID][0], "", ""))
	var rec struct{ Upstream string }
	json.Unmarshal(rb, &rec)
	return rec.Upstream
}

// TestStreamClosedEarlyIsCharged: a caller that hangs up on a stream pays
// for the pieces it got (control: nothing is charged before the call).
func TestStreamClosedEarlyIsCharged(t *testing.T) {
	f := start(t, ai.Config{}, aimock.Config{ChunkDelay: 5 * time.Millisecond})
	usage := func() api.AIUsage {
		_, b, _ := f.serve(t, call("GET", "/v1/ai/usage", f.key, ""))
		var u api.AIUsage
		json.Unmarshal(b, &u)
		return u
	}
	if u := usage(); u.Requests != 0 || u.TokensTotal != 0 {
		t.Fatalf("before: %+v", u)
	}
	resp, err := f.svc.Serve(context.Background(), call("POST", "/v1/chat/completions", f.key, streamBody))
	if err != nil || resp.Stream == nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if _, err := resp.Stream.Read(buf); err != nil {
		t.Fatal(err)
	}
	resp.Stream.Close()
	if u := usage(); u.Requests != 1 || u.TokensTotal < 1 {
		t.Fatalf("after hanging up: %+v", u)
	}
}

// TestRecordsKept: a chat id two kept answers share names neither (409),
// while a unique one names its answer (the control); refusals anyone can
// cause are not kept, so they cannot push answers out.
func TestRecordsKept(t *testing.T) {
	f := start(t, ai.Config{}, aimock.Config{ChatID: "chatcmpl-7"})
	first, _, _ := f.serve(t, call("POST", "/v1/chat/completions", f.key, chatBody))
	if resp, body, _ := f.serve(t, call("GET", "/v1/signature/chatcmpl-7", "", "")); resp.Status != 200 {
		t.Fatalf("control, one answer: %d %s", resp.Status, body)
	}
	f.serve(t, call("POST", "/v1/chat/completions", f.key, chatBody))
	if resp, body, _ := f.serve(t, call("GET", "/v1/signature/chatcmpl-7", "", "")); resp.Status != 409 || !strings.Contains(string(body), "chat_id_not_unique") {
		t.Fatalf("two answers with one chat id: %d %s", resp.Status, body)
	}
	if resp, _, _ := f.serve(t, call("GET", "/v1/ai/receipts/"+first.Header[ai.HeaderReceiptID][0], "", "")); resp.Status != 200 {
		t.Fatalf("the first answer's record by receipt id: %d", resp.Status)
	}
	refused, _, _ := f.serve(t, call("POST", "/v1/chat/completions", "", chatBody))
	if resp, _, _ := f.serve(t, call("GET", "/v1/ai/receipts/"+refused.Header[ai.HeaderReceiptID][0], "", "")); refused.Status != 401 || resp.Status != 404 {
		t.Fatalf("a refusal without a key: %d, its record %d", refused.Status, resp.Status)
	}
}
