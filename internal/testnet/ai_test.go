package testnet

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/aimock"
	"github.com/cove-network/cove/internal/jstest"
	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/cove-network/cove/internal/testport"
	"github.com/cove-network/cove/receipt"
	"github.com/cove-network/cove/secret"
	"github.com/cove-network/cove/tee/sim"
	"github.com/cove-network/cove/worker/ai"
)

// aiNode runs a cove dev node whose AI API fronts a MOCK upstream
// (provider "mock", which demands the key "upstream-secret").
// extra providers are added after it; the node's data dir is dataDir.
func aiNode(t *testing.T, mockCfg aimock.Config, dataDir string, extra ...ai.Provider) (*DevNode, *aimock.Server, *Key) {
	t.Helper()
	mockCfg.Key = "upstream-secret"
	mock := aimock.New(mockCfg)
	up := httptest.NewServer(mock)
	t.Cleanup(up.Close)
	keyFile := filepath.Join(t.TempDir(), "mock.key")
	os.WriteFile(keyFile, []byte("upstream-secret"), 0o600)
	opPath, opAddr := NewOperator(t)
	user := NewKey(t)
	logs := &syncbuf.Buffer{}
	d, err := StartDev(t.Context(), DevConfig{
		DataDir: dataDir, Operator: opPath, Admin: user.Address(), Funded: []cove.Address{opAddr},
		P2PAddr: testport.Addr(t), BlockInterval: 50 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(logs, nil)),
		AI:  ai.Config{Providers: append([]ai.Provider{{Name: "mock", URL: up.URL + "/v1", KeyFile: keyFile, Models: aimock.DefaultModels}}, extra...)},
	})
	if err != nil {
		t.Fatalf("start a dev node: %v\n%s", err, logs.Tail(16<<10))
	}
	t.Cleanup(func() {
		d.Stop()
		if t.Failed() {
			t.Logf("node log (tail):\n%s", logs.Tail(24<<10))
		}
	})
	return d, mock, user
}

// checkAIExchange checks one AI answer's receipt as a client would, in Go
// (receipt.Check over the exact bytes) and with ethers and viem
// (testdata/js/verify.mjs), and that its signer is the report's.
func checkAIExchange(t *testing.T, node string, signer cove.Address, e receipt.Exchange, signed receipt.Signed) {
	t.Helper()
	if err := receipt.Check(signed, e); err != nil {
		t.Fatalf("%s %s: %v", e.Method, e.Target, err)
	}
	if signed.Signer != signer {
		t.Fatalf("%s %s: signed by %s, the attestation report names %s", e.Method, e.Target, signed.Signer, signer)
	}
	hdr := map[string][]string{}
	for k, vs := range e.Header {
		hdr[k] = vs
	}
	v, _ := json.Marshal(map[string]any{
		"receipt": signed.Receipt, "signature": "0x" + hex.EncodeToString(signed.Signature[:]), "signer": signed.Signer.String(),
		"exchange": map[string]any{"host": e.Host, "responseHeaders": hdr},
	})
	file := filepath.Join(t.TempDir(), "vector.json")
	os.WriteFile(file, v, 0o600)
	cmd := exec.CommandContext(t.Context(), node, filepath.Join("testdata", "js", "verify.mjs"), file)
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ethers: ok") || !strings.Contains(string(out), "viem: ok") || !strings.Contains(string(out), "headersHash: ok") {
		t.Fatalf("%s %s: verify.mjs: %v\n%s", e.Method, e.Target, err, out)
	}
}

// aiChat posts body to the gateway's /v1/chat/completions with the API
// key and returns the response (body read) and its body.
func aiChat(t *testing.T, base, key, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// aiRecord fetches an answer's record and its receipt
// (GET /v1/ai/receipts/{id}).
func aiRecord(t *testing.T, base, id string) (complete bool, signed receipt.Signed) {
	t.Helper()
	resp, err := http.Get(base + "/v1/ai/receipts/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rec struct {
		Complete bool              `json:"complete"`
		Receipt  map[string]string `json:"receipt"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&rec); err != nil || resp.StatusCode != 200 {
		t.Fatalf("record %s: %d %v", id, resp.StatusCode, err)
	}
	h := http.Header{}
	for k, v := range rec.Receipt {
		h.Set(k, v)
	}
	signed, err = receipt.FromHeaders(h)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Complete, signed
}

// TestAIOpenAIClient (issue 9): the official `openai` npm client, unmodified,
// against a cove dev node's AI API in front of a MOCK upstream: models, a
// chat completion, a stream, an embedding, tool calls, a wrong key refused
// as OpenAI's AuthenticationError; every answer's receipt checked over the
// exact bytes the client got, in Go and with ethers and viem, signed by the
// address the attestation report binds. Then a raw stream with its receipt
// in HTTP trailers, and an agent that uses the `openai` package against
// http://ai.cove.internal/v1 from its sandbox.
func TestAIOpenAIClient(t *testing.T) {
	node := jstest.Node(t, filepath.Join("..", "..", "testdata", "js"), "testdata/js")
	d, mock, user := aiNode(t, aimock.Config{}, t.TempDir())
	ctx := t.Context()
	base := d.Client.Base()
	gw, _ := url.Parse(base)
	key, err := d.Client.NewAIKey(ctx, user)
	if err != nil || key.Account != user.Address() {
		t.Fatalf("new key: %+v %v", key, err)
	}
	report, err := d.Client.AIReport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := cove.ParseAddress(report.SigningAddress)

	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "js", "ai-openai.mjs"), base+"/v1", key.Key)
	cmd.Dir = filepath.Join("..", "..")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("ai-openai.mjs: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	var got struct {
		Models                  []string
		Chat, ChatID, Streamed  string
		Pieces, EmbeddingLength int
		ToolCall, WrongKey      string
		Exchanges               []struct {
			URL, Method, RequestBody string
			Status                   int
			Headers                  map[string]string
			Body                     string
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("ai-openai.mjs output: %v\n%s", err, stdout.String())
	}
	if strings.Join(got.Models, ",") != "mock-chat,mock-embed" || got.Chat != "echo: hello from openai" || got.Streamed != "echo: stream these words please" ||
		got.Pieces < 5 || got.EmbeddingLength != 8 || got.ToolCall != "get_weather" || got.WrongKey != "AuthenticationError 401 invalid_api_key" {
		t.Fatalf("openai client saw %+v", got)
	}
	if len(got.Exchanges) != 5 {
		t.Fatalf("%d exchanges recorded", len(got.Exchanges))
	}
	streams := 0
	for _, x := range got.Exchanges {
		u, _ := url.Parse(x.URL)
		body, _ := base64.StdEncoding.DecodeString(x.Body)
		h := http.Header{}
		for k, v := range x.Headers {
			h.Set(k, v)
		}
		e := receipt.Exchange{Method: x.Method, Target: u.RequestURI(), Host: gw.Host, RequestBody: []byte(x.RequestBody), Status: x.Status, Header: h, Body: body}
		var signed receipt.Signed
		if strings.HasPrefix(h.Get("Content-Type"), "text/event-stream") {
			// fetch shows no trailers: the stream's receipt is in its record.
			streams++
			complete, s := aiRecord(t, base, h.Get(ai.HeaderReceiptID))
			if !complete {
				t.Fatal("the stream's record says incomplete")
			}
			signed = s
		} else if signed, err = receipt.FromHeaders(h); err != nil {
			t.Fatalf("%s %s: %v", x.Method, u, err)
		}
		checkAIExchange(t, node, signer, e, signed)
	}
	if streams != 1 {
		t.Fatalf("%d streams", streams)
	}
	// The upstream saw the provider's key, never the caller's.
	for _, r := range mock.Requests() {
		if r.Authorization != "Bearer upstream-secret" {
			t.Fatalf("the upstream got Authorization %q", r.Authorization)
		}
	}
	// The vllm-proxy signature of the chat completion.
	sig, err := http.Get(base + "/v1/signature/" + got.ChatID + "?signing_algo=ecdsa")
	if err != nil {
		t.Fatal(err)
	}
	var s api.AISignature
	json.NewDecoder(sig.Body).Decode(&s)
	sig.Body.Close()
	if s.SigningAddress != signer.String() || s.SigningAlgo != "ecdsa" || !strings.Contains(s.Text, ":") {
		t.Fatalf("signature %+v", s)
	}
	if u, err := d.Client.AIUsage(ctx, key.Key); err != nil || u.Requests != 4 || u.TokensToday == 0 {
		t.Fatalf("usage %+v %v", u, err)
	}

	t.Run("raw stream with trailers", func(t *testing.T) { rawStream(t, node, d, key.Key, signer) })
	t.Run("agent with the openai package", func(t *testing.T) {
		a, err := d.Client.Deploy(ctx, filepath.Join("..", "..", "testdata", "js", "ai-agent.ts"), client.DeployOptions{Signer: user, Name: "ai-agent"})
		if err != nil {
			t.Fatal(err)
		}
		for _, stream := range []bool{false, true} {
			body, _ := json.Marshal(map[string]any{"question": "what is cove", "stream": stream})
			res, err := d.Client.Call(ctx, a.ID, http.MethodPost, "/", body, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != 200 || !strings.Contains(string(res.Body), `"answer":"echo: what is cove"`) {
				t.Fatalf("stream=%v: %d %s", stream, res.Status, res.Body)
			}
			if !stream && !strings.Contains(string(res.Body), signer.String()) {
				t.Fatalf("the agent saw no AI receipt signer: %s", res.Body)
			}
		}
	})
	t.Run("Phala's AI-agent template style", func(t *testing.T) {
		a, err := d.Client.Deploy(ctx, filepath.Join("..", "..", "testdata", "js", "phala-ai-agent.ts"), client.DeployOptions{Signer: user, Name: "phala-ai",
			Secrets: map[string]string{"openaiApiKey": "any-key-the-template-needs", "OPENAI_BASE_URL": "http://" + ai.InternalHost + "/v1"}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := d.Client.Call(ctx, a.ID, http.MethodGet, "/?chatQuery=When%20did%20humans%20land%20on%20the%20moon&openAiModel=mock-chat", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != 200 || string(res.Body) != "echo: When did humans land on the moon" {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
	})
}

// rawStream reads a stream over plain HTTP: the receipt arrives as
// trailers and covers exactly the bytes received; curl -N, when present,
// shows the same stream and trailers.
func rawStream(t *testing.T, node string, d *DevNode, key string, signer cove.Address) {
	base := d.Client.Base()
	gw, _ := url.Parse(base)
	body := `{"model":"mock-chat","stream":true,"messages":[{"role":"user","content":"raw bytes please"}]}`
	resp, got := aiChat(t, base, key, body)
	signed, err := receipt.FromHeaders(resp.Trailer)
	if err != nil {
		t.Fatalf("trailers %v: %v", resp.Trailer, err)
	}
	checkAIExchange(t, node, signer, receipt.Exchange{Method: "POST", Target: "/v1/chat/completions", Host: gw.Host, RequestBody: []byte(body),
		Status: resp.StatusCode, Header: resp.Header, Body: got}, signed)
	if resp.Header.Get(ai.HeaderReceiptID) == "" {
		t.Fatal("no x-receipt-id")
	}

	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Log("curl not found: the raw stream was read with net/http only")
		return
	}
	out, err := exec.CommandContext(t.Context(), curl, "-sS", "-N", "-i", "--raw", base+"/v1/chat/completions",
		"-H", "Authorization: Bearer "+key, "-H", "Content-Type: application/json", "-d", body).Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	var events, trailers int
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "data: ") {
			events++
		}
		if strings.HasPrefix(line, receipt.HeaderReceipt+":") || strings.HasPrefix(line, receipt.HeaderSignature+":") || strings.HasPrefix(line, receipt.HeaderSigner+":") {
			trailers++
		}
	}
	if events < 4 || trailers != 3 || !bytes.Contains(out, []byte("Trailer: ")) {
		t.Fatalf("curl -N saw %d events and %d receipt trailers:\n%s", events, trailers, out)
	}
}

// TestAISealedProviderKey: an operator seals a provider's API key to the
// running network's cluster key (as `cove ai seal-key` does) and restarts
// the node with it as sealed_key_file: the worker opens it with its
// provisioned cluster key, and only the upstream sees it.
func TestAISealedProviderKey(t *testing.T) {
	mock := aimock.New(aimock.Config{Key: "sealed-upstream-secret"})
	up := httptest.NewServer(mock)
	t.Cleanup(up.Close)
	opPath, opAddr := NewOperator(t)
	user := NewKey(t)
	dir := t.TempDir()
	logs := &syncbuf.Buffer{}
	cfg := DevConfig{DataDir: dir, Operator: opPath, Admin: user.Address(), Funded: []cove.Address{opAddr},
		P2PAddr: testport.Addr(t), BlockInterval: 50 * time.Millisecond, Log: slog.New(slog.NewTextHandler(logs, nil))}
	d, err := StartDev(t.Context(), cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.Tail(8<<10))
	}
	sk, err := d.Client.SealingKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	env, err := secret.Seal(sk.PublicKey, sk.Epoch, api.AIAgentID("sealed"), map[string]string{ai.SealedKeyName: "sealed-upstream-secret", ai.SealedURLName: up.URL + "/v1"})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "sealed.key.sealed")
	os.WriteFile(file, ai.EncodeSealedKey(env), 0o600)
	d.Stop()

	cfg.AI = ai.Config{Providers: []ai.Provider{{Name: "sealed", URL: up.URL + "/v1", SealedKeyFile: file}}}
	if d, err = StartDev(t.Context(), cfg); err != nil {
		t.Fatalf("restart: %v\n%s", err, logs.Tail(8<<10))
	}
	defer d.Stop()
	key, err := d.Client.NewAIKey(t.Context(), user)
	if err != nil {
		t.Fatal(err)
	}
	resp, b := aiChat(t, d.Client.Base(), key.Key, `{"model":"mock-chat","messages":[{"role":"user","content":"sealed"}]}`)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "echo: sealed") {
		t.Fatalf("%d %s\n%s", resp.StatusCode, b, logs.Tail(8<<10))
	}
	seen := mock.Requests()
	if len(seen) != 1 || seen[0].Authorization != "Bearer sealed-upstream-secret" {
		t.Fatalf("the upstream saw %+v", seen)
	}
	if strings.Contains(logs.String(), "sealed-upstream-secret") {
		t.Fatal("the node logged the provider's key")
	}
}

// TestAIAttestedUpstream: a provider that is itself a TEE (a MOCK
// vllm-proxy whose quotes come from the dev node's own simulated TEE, so
// the dev chain's policy admits its platform) with attestation "require"
// and its measurement listed: the worker checks its quote and each
// answer's signature, and records "verified"; the same node's unattested
// provider is the control that records "unverified".
func TestAIAttestedUpstream(t *testing.T) {
	dataDir := t.TempDir()
	key, _ := crypto.GenerateKey()
	tee := aimock.New(aimock.Config{Models: []string{"tee-chat", "tee2-chat"}, Attest: &aimock.Attestor{Key: key, TEE: "sim", Quote: func(rd [64]byte) ([]byte, error) {
		p, err := sim.Open(filepath.Join(dataDir, "tee-sim")) // the node's: its vendor key and this binary's measurement
		if err != nil {
			return nil, err
		}
		return p.Quote(rd)
	}}})
	up := httptest.NewServer(tee)
	t.Cleanup(up.Close)
	m, err := sim.ExecutableMeasurement() // the software the MOCK's quotes show
	if err != nil {
		t.Fatal(err)
	}
	// tee2 is the same upstream under a provider that trusts other
	// software: the worker checks the measurement against the provider's
	// list, so it refuses, though the dev chain admits this build.
	d, _, user := aiNode(t, aimock.Config{}, dataDir,
		ai.Provider{Name: "tee", URL: up.URL + "/v1", Models: []string{"tee-chat"}, Attestation: ai.AttestationRequire, Measurements: []string{hex.EncodeToString(m[:])}},
		ai.Provider{Name: "tee2", URL: up.URL + "/v1", Models: []string{"tee2-chat"}, Attestation: ai.AttestationRequire, Measurements: []string{strings.Repeat("ab", 32)}})
	k, err := d.Client.NewAIKey(t.Context(), user)
	if err != nil {
		t.Fatal(err)
	}
	resp, b := aiChat(t, d.Client.Base(), k.Key, `{"model":"tee2-chat","messages":[{"role":"user","content":"attest me"}]}`)
	if resp.StatusCode != 502 || !strings.Contains(string(b), "upstream_unverified") || !strings.Contains(string(b), "not allowed") {
		t.Fatalf("a provider that does not list the upstream's measurement: %d %s", resp.StatusCode, b)
	}
	for _, tc := range []struct{ model, want string }{{"tee-chat", "verified"}, {"mock-chat", "unverified"}} {
		for _, stream := range []bool{false, true} {
			body := fmt.Sprintf(`{"model":%q,"stream":%v,"messages":[{"role":"user","content":"attest me"}]}`, tc.model, stream)
			resp, b := aiChat(t, d.Client.Base(), k.Key, body)
			if resp.StatusCode != 200 || !strings.Contains(string(b), "attest") {
				t.Fatalf("%s stream=%v: %d %s", tc.model, stream, resp.StatusCode, b)
			}
			rr, err := http.Get(d.Client.Base() + "/v1/ai/receipts/" + resp.Header.Get(ai.HeaderReceiptID))
			if err != nil {
				t.Fatal(err)
			}
			var rec struct{ Upstream string }
			json.NewDecoder(rr.Body).Decode(&rec)
			rr.Body.Close()
			if rec.Upstream != tc.want {
				t.Fatalf("%s stream=%v: upstream %q, want %q", tc.model, stream, rec.Upstream, tc.want)
			}
		}
	}
}
