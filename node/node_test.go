package node_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/blob"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/gateway"
	"github.com/cove-network/cove/node"
	"github.com/cove-network/cove/receipt"
	"github.com/cove-network/cove/worker"
)

var examples = filepath.Join("..", "examples")

// syncBuffer collects a node's log output; it is shown when a test fails
// and searched by the planted-secret test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testNode is a real node serving on 127.0.0.1.
type testNode struct {
	cfg  node.Config
	base string
	c    *client.Client
	logs *syncBuffer
	stop func() // cancels Run and waits for it; idempotent
}

// newConfig returns the dev defaults with a fresh data directory.
func newConfig(t *testing.T) node.Config {
	cfg := node.DefaultConfig()
	cfg.DataDir = t.TempDir()
	return cfg
}

// startNode builds a node from cfg, serves it on 127.0.0.1:0 and waits until
// it is healthy. The node is stopped at cleanup.
func startNode(t *testing.T, cfg node.Config) *testNode {
	t.Helper()
	logs := &syncBuffer{}
	n, err := node.New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatalf("node.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("node.Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Errorf("node.Run did not return within 30s of cancel")
			}
		})
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("node log:\n%s", logs)
		}
	})
	base := "http://" + ln.Addr().String()
	c, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := c.WaitHealthy(wctx); err != nil {
		t.Fatal(err)
	}
	return &testNode{cfg: cfg, base: base, c: c, logs: logs, stop: stop}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// needModules skips (or, under CI, fails) a test whose example needs npm
// dependencies that are not installed.
func needModules(t *testing.T, example string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(examples, example, "node_modules")); err != nil {
		msg := fmt.Sprintf("run npm ci in examples/%s first (its node_modules are missing)", example)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// deploy bundles and deploys the example (or any path) with secrets.
func (n *testNode) deploy(t *testing.T, path string, secrets map[string]string) gateway.AgentView {
	t.Helper()
	a, err := n.c.Deploy(ctxFor(t, 60*time.Second), path, client.DeployOptions{Secrets: secrets})
	if err != nil {
		t.Fatalf("deploy %s: %v", path, err)
	}
	if a.Attestor.IsZero() || a.Signer != a.Attestor {
		t.Fatalf("deploy %s: attestor %s, signer %s", path, a.Attestor, a.Signer)
	}
	return a
}

// call calls agent a and checks that the response carries a receipt signed
// by the agent's attestor covering this exact request and response.
func (n *testNode) call(t *testing.T, a gateway.AgentView, method, path string, body []byte, h http.Header) *client.Response {
	t.Helper()
	resp, err := n.c.Call(ctxFor(t, 60*time.Second), a.ID, method, path, body, h)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	s, err := resp.Verify(a.Attestor)
	if err != nil {
		t.Fatalf("%s %s (status %d): receipt does not verify: %v", method, path, resp.Status, err)
	}
	if s.Receipt.Agent != a.ID || s.Receipt.CodeHash != a.CodeHash {
		t.Fatalf("%s %s: receipt names agent %s code %s, want %s %s", method, path, s.Receipt.Agent, s.Receipt.CodeHash, a.ID, a.CodeHash)
	}
	if resp.Header.Get("Cove-Request-Id") == "" {
		t.Fatalf("%s %s: no Cove-Request-Id header", method, path)
	}
	return resp
}

func (n *testNode) get(t *testing.T, a gateway.AgentView, path string) *client.Response {
	t.Helper()
	return n.call(t, a, http.MethodGet, path, nil, nil)
}

func wantResponse(t *testing.T, resp *client.Response, status int, body string) {
	t.Helper()
	if resp.Status != status || string(resp.Body) != body {
		t.Fatalf("%s %s: got %d %s\nwant %d %s", resp.Method, resp.RequestURI, resp.Status, resp.Body, status, body)
	}
}

// limitError checks a worker-made limit error: JSON with error.code
// limit_exceeded, error.limit, a message naming the limit and the request id.
func limitError(t *testing.T, resp *client.Response, status int, limit string) worker.ErrorBody {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status %d, want %d; body %s", resp.Status, status, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q, want JSON; body %s", ct, resp.Body)
	}
	var eb worker.ErrorBody
	if err := json.Unmarshal(resp.Body, &eb); err != nil {
		t.Fatalf("body %s: %v", resp.Body, err)
	}
	if eb.Error.Code != worker.CodeLimit || eb.Error.Limit != limit {
		t.Fatalf("error code %q limit %q, want %q %q; body %s", eb.Error.Code, eb.Error.Limit, worker.CodeLimit, limit, resp.Body)
	}
	if !strings.Contains(eb.Error.Message, limit+" limit") {
		t.Fatalf("message %q does not name the %s limit", eb.Error.Message, limit)
	}
	if eb.RequestID == "" || eb.RequestID != resp.Header.Get("Cove-Request-Id") {
		t.Fatalf("requestId %q, header Cove-Request-Id %q", eb.RequestID, resp.Header.Get("Cove-Request-Id"))
	}
	return eb
}

// upstreamServer is an HTTP API on 127.0.0.1 that agents are allowed to
// reach: it answers 418 "teapot <METHOD>" and echoes x-from-agent in x-echo.
func upstreamServer(t *testing.T) *httptest.Server {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", r.Header.Get("X-From-Agent"))
		w.WriteHeader(http.StatusTeapot)
		fmt.Fprintf(w, "teapot %s", r.Method)
	}))
	t.Cleanup(up.Close)
	return up
}

func hostPort(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func TestExamples(t *testing.T) {
	t.Parallel()
	up := upstreamServer(t)
	cfg := newConfig(t)
	cfg.Worker.EgressAllow = []string{hostPort(t, up.URL)}
	n := startNode(t, cfg)
	hello := filepath.Join(examples, "hello.ts")

	t.Run("hello", func(t *testing.T) {
		t.Parallel()
		a := n.deploy(t, hello, nil)
		wantResponse(t, n.get(t, a, "/hello?name=Ada"), 200, `{"greeting":"Hello Ada","agent":"hello"}`)
		wantResponse(t, n.get(t, a, "/hello"), 200, `{"greeting":"Hello world","agent":"hello"}`)
		wantResponse(t, n.get(t, a, "/hello?name=J%C3%BCrgen%20M"), 200, `{"greeting":"Hello Jürgen M","agent":"hello"}`)
		// An error status from the agent is signed like any other answer.
		wantResponse(t, n.get(t, a, "/nope"), 404, "not found")
		resp := n.call(t, a, http.MethodPost, "/echo", []byte(`{"x":1}`), http.Header{"Content-Type": {"application/json"}})
		wantResponse(t, resp, 201, `{"x":1}`)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("echo content type %q", ct)
		}
		if ct := n.get(t, a, "/hello").Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("hello content type %q", ct)
		}
	})
	t.Run("hello with GREETING", func(t *testing.T) {
		t.Parallel()
		a := n.deploy(t, hello, map[string]string{"GREETING": "Bonjour"})
		if !a.HasSecrets {
			t.Error("hasSecrets is false")
		}
		wantResponse(t, n.get(t, a, "/hello?name=Ada"), 200, `{"greeting":"Bonjour Ada","agent":"hello"}`)
	})
	t.Run("request-json", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(examples, "request-json.js")
		a := n.deploy(t, path, nil)
		wantResponse(t, n.get(t, a, "/?chatQuery=hi"), 200, `{"reply":"you said: hi","method":"GET","hasKey":false}`)
		wantResponse(t, n.get(t, a, "/"), 200, `{"reply":"you said: (nothing)","method":"GET","hasKey":false}`)
		k := n.deploy(t, path, map[string]string{"apiKey": "sk-test"})
		resp := n.call(t, k, http.MethodPost, "/?chatQuery=with%20key", []byte("ignored"), nil)
		wantResponse(t, resp, 200, `{"reply":"you said: with key","method":"POST","hasKey":true}`)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
	})
	t.Run("built-request-json", func(t *testing.T) {
		t.Parallel()
		a := n.deploy(t, filepath.Join(examples, "built-request-json.js"), nil)
		resp := n.get(t, a, "/anything?x=1")
		wantResponse(t, resp, 200, "GET /anything x=1")
		if ct := resp.Header.Get("Content-Type"); ct != "text/plain" {
			t.Errorf("content type %q", ct)
		}
	})
	t.Run("upstream", func(t *testing.T) {
		t.Parallel()
		a := n.deploy(t, filepath.Join(examples, "upstream.ts"), nil)
		wantResponse(t, n.get(t, a, "/?url="+url.QueryEscape(up.URL+"/x")), 200, `{"status":418,"body":"teapot GET","echoHeader":"cove"}`)
		wantResponse(t, n.get(t, a, "/"), 400, "missing url")
	})
	t.Run("hono-app", func(t *testing.T) {
		t.Parallel()
		needModules(t, "hono-app")
		path := filepath.Join(examples, "hono-app")
		a := n.deploy(t, path, map[string]string{"TIER": "pro"})
		wantResponse(t, n.get(t, a, "/health"), 200, "ok")
		wantResponse(t, n.get(t, a, "/users/42"), 200, `{"id":"42","tier":"pro"}`)
		wantResponse(t, n.call(t, a, http.MethodPost, "/sum", []byte(`{"a":1,"b":2}`), http.Header{"Content-Type": {"application/json"}}), 200, `{"sum":3}`)
		if resp := n.get(t, a, "/no/such/route"); resp.Status != 404 {
			t.Errorf("unknown route: %d %s", resp.Status, resp.Body)
		}
		free := n.deploy(t, path, nil)
		wantResponse(t, n.get(t, free, "/users/7"), 200, `{"id":"7","tier":"free"}`)
	})
	t.Run("viem-wallet", func(t *testing.T) {
		t.Parallel()
		needModules(t, "viem-wallet")
		path := filepath.Join(examples, "viem-wallet")
		a := n.deploy(t, path, nil)
		w1 := walletCall(t, n, a, "hi")
		w2 := walletCall(t, n, a, "hello again")
		if w1 != w2 {
			t.Errorf("the same agent has two wallets: %s and %s", w1, w2)
		}
		b := n.deploy(t, path, nil)
		if w3 := walletCall(t, n, b, "hi"); w3 == w1 {
			t.Errorf("two agents share the wallet %s", w3)
		}
	})
}

// walletCall calls the viem-wallet agent and checks its signature in Go as
// well as the agent's own verdict; it returns the wallet address.
func walletCall(t *testing.T, n *testNode, a gateway.AgentView, message string) string {
	t.Helper()
	resp := n.get(t, a, "/?message="+url.QueryEscape(message))
	var out struct {
		Address   string `json:"address"`
		Signature string `json:"signature"`
		Valid     bool   `json:"valid"`
	}
	if resp.Status != 200 || json.Unmarshal(resp.Body, &out) != nil || !out.Valid {
		t.Fatalf("wallet call: %d %s", resp.Status, resp.Body)
	}
	addr, err := cove.ParseAddress(out.Address)
	if err != nil {
		t.Fatalf("address %q: %v", out.Address, err)
	}
	sig, err := hex.DecodeString(strings.TrimPrefix(out.Signature, "0x"))
	if err != nil || len(sig) != 65 || sig[64] < 27 {
		t.Fatalf("signature %q is not 65 bytes r||s||v", out.Signature)
	}
	sig[64] -= 27
	pub, err := crypto.SigToPub(accounts.TextHash([]byte(message)), sig)
	if err != nil {
		t.Fatalf("recover signer: %v", err)
	}
	if got := crypto.PubkeyToAddress(*pub); cove.Address(got) != addr {
		t.Fatalf("signature recovers to %s, the agent claims %s", got, addr)
	}
	return out.Address
}

func TestHostile(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64 // requests the flood upstream saw
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(up.Close)
	const requests = 5
	// The default memory limit (128 MiB) leaves room for huge-response's
	// 64 MiB string, so it meets the response limit, not the memory one.
	cfg := newConfig(t)
	cfg.Worker.Limits.Requests = requests
	cfg.Worker.EgressAllow = []string{hostPort(t, up.URL)}
	n := startNode(t, cfg)
	hostile := func(name string) string { return filepath.Join(examples, "hostile", name) }
	hello := n.deploy(t, filepath.Join(examples, "hello.ts"), nil)
	helloOK := func(t *testing.T) {
		t.Helper()
		wantResponse(t, n.get(t, hello, "/hello?name=Ada"), 200, `{"greeting":"Hello Ada","agent":"hello"}`)
	}

	// quick bounds how long a hostile call may take: the loop's time limit
	// (1 s) plus scheduling slack on a loaded machine. The others must fail
	// on their own limit well before it.
	const quick = 8 * time.Second
	timed := func(t *testing.T, f func()) {
		t.Helper()
		start := time.Now()
		f()
		if d := time.Since(start); d > quick {
			t.Errorf("the call took %s, more than %s", d, quick)
		}
	}

	t.Run("all", func(t *testing.T) {
		t.Run("fetch-flood", func(t *testing.T) {
			t.Parallel()
			a := n.deploy(t, hostile("fetch-flood.js"), nil)
			var resp *client.Response
			timed(t, func() { resp = n.get(t, a, "/?url="+url.QueryEscape(up.URL+"/flood")) })
			var out struct {
				OK    int     `json:"ok"`
				Error *string `json:"error"`
			}
			if resp.Status != 200 || json.Unmarshal(resp.Body, &out) != nil {
				t.Fatalf("%d %s", resp.Status, resp.Body)
			}
			if out.OK != requests || out.Error == nil || !strings.Contains(*out.Error, "outbound request limit") {
				t.Fatalf("ok %d error %v, want %d and an error naming the outbound request limit; body %s", out.OK, out.Error, requests, resp.Body)
			}
			if got := hits.Load(); got != requests {
				t.Errorf("the upstream saw %d requests, want %d", got, requests)
			}
		})
		t.Run("huge-response", func(t *testing.T) {
			t.Parallel()
			a := n.deploy(t, hostile("huge-response.js"), nil)
			var resp *client.Response
			timed(t, func() { resp = n.get(t, a, "/") })
			limitError(t, resp, 500, "response size")
		})
		t.Run("loop", func(t *testing.T) {
			t.Parallel()
			// A node of its own with a 1 s time limit: on the shared node a
			// short time limit would race the memory bomb.
			cfg := newConfig(t)
			cfg.Worker.Limits.Timeout = time.Second
			n := startNode(t, cfg)
			a := n.deploy(t, hostile("loop.js"), nil)
			start := time.Now()
			resp := n.get(t, a, "/")
			if d := time.Since(start); d < time.Second || d > 5*time.Second {
				t.Errorf("the loop was stopped after %s; the time limit is 1s", d)
			}
			eb := limitError(t, resp, 504, "time")
			hello := n.deploy(t, filepath.Join(examples, "hello.ts"), nil)
			wantResponse(t, n.get(t, hello, "/hello?name=Ada"), 200, `{"greeting":"Hello Ada","agent":"hello"}`)
			// The failure is in the agent's log too.
			var logged *cove.Invocation
			err := n.c.Logs(ctxFor(t, 10*time.Second), a.ID, 10, false, func(e cove.Invocation) {
				if e.RequestID == eb.RequestID {
					logged = &e
				}
			})
			if err != nil || logged == nil {
				t.Fatalf("logs: %v; request %s not found", err, eb.RequestID)
			}
			if logged.Status != 504 || !strings.Contains(logged.Error, "time limit") {
				t.Errorf("logged status %d error %q", logged.Status, logged.Error)
			}
		})
		t.Run("membomb", func(t *testing.T) {
			t.Parallel()
			a := n.deploy(t, hostile("membomb.js"), nil)
			var resp *client.Response
			timed(t, func() { resp = n.get(t, a, "/") })
			limitError(t, resp, 500, "memory")
		})
		t.Run("recursion", func(t *testing.T) {
			t.Parallel()
			a := n.deploy(t, hostile("recursion.js"), nil)
			var resp *client.Response
			timed(t, func() { resp = n.get(t, a, "/") })
			limitError(t, resp, 500, "stack depth")
		})
		t.Run("ssrf", func(t *testing.T) {
			t.Parallel()
			a := n.deploy(t, hostile("ssrf.js"), nil)
			var resp *client.Response
			timed(t, func() { resp = n.get(t, a, "/") })
			var out [][2]string
			if resp.Status != 200 || json.Unmarshal(resp.Body, &out) != nil {
				t.Fatalf("%d %s", resp.Status, resp.Body)
			}
			if len(out) != 5 {
				t.Fatalf("%d targets, want 5: %s", len(out), resp.Body)
			}
			for _, r := range out {
				if r[1] == "ALLOWED" || !strings.Contains(r[1], "egress policy refused") {
					t.Errorf("%s: %s, want the egress policy's refusal", r[0], r[1])
				}
			}
		})
		t.Run("tamper", func(t *testing.T) {
			t.Parallel()
			a := n.deploy(t, hostile("tamper.js"), nil)
			for i := 0; i < 3; i++ {
				wantResponse(t, n.get(t, a, "/"), 200, `{"seen":1}`)
			}
			helloOK(t)
		})
		t.Run("others meanwhile", func(t *testing.T) {
			t.Parallel()
			for i := 0; i < 5; i++ {
				helloOK(t)
			}
		})
	})
	// The node is still up and serves others correctly.
	helloOK(t)
	if err := n.c.Health(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatalf("health after the hostile agents: %v", err)
	}
}

func TestRestartKeepsAgents(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	n := startNode(t, cfg)
	a := n.deploy(t, filepath.Join(examples, "hello.ts"), map[string]string{"GREETING": "Salut"})
	r := n.get(t, a, "/hello?name=Ada")
	wantResponse(t, r, 200, `{"greeting":"Salut Ada","agent":"hello"}`)
	firstReq := r.Header.Get("Cove-Request-Id")
	u1, err := url.Parse(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	n.stop()

	n2 := startNode(t, cfg)
	got, err := n2.c.Agent(ctxFor(t, 10*time.Second), a.ID)
	if err != nil {
		t.Fatalf("agent after restart: %v", err)
	}
	u2, err := url.Parse(got.URL)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != a.ID || u2.Path != u1.Path || got.Attestor != a.Attestor || got.CID != a.CID || got.CodeHash != a.CodeHash || !got.HasSecrets {
		t.Fatalf("after restart: %+v\nbefore: %+v", got, a)
	}
	list, err := n2.c.Agents(ctxFor(t, 10*time.Second))
	if err != nil || len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("agent list after restart: %v %+v", err, list)
	}
	// The secret still applies and the receipt is signed by the same attestor.
	r2 := n2.get(t, a, "/hello?name=Ada")
	wantResponse(t, r2, 200, `{"greeting":"Salut Ada","agent":"hello"}`)
	secondReq := r2.Header.Get("Cove-Request-Id")

	seen := map[string]bool{}
	if err := n2.c.Logs(ctxFor(t, 10*time.Second), a.ID, 100, false, func(e cove.Invocation) { seen[e.RequestID] = true }); err != nil {
		t.Fatal(err)
	}
	if !seen[firstReq] || !seen[secondReq] {
		t.Fatalf("logs after restart hold %v, want %s (before) and %s (after)", seen, firstReq, secondReq)
	}
}

// TestLogsKeptAcrossRestart makes many more calls than the node keeps logs
// for (so the log file is compacted) and checks that a restarted node shows
// exactly the newest ones, oldest first.
func TestLogsKeptAcrossRestart(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	cfg.Worker.LogsPerAgent = 3
	n := startNode(t, cfg)
	a := n.deploy(t, filepath.Join(examples, "hello.ts"), nil)
	var ids []string
	for i := range 20 {
		r := n.get(t, a, fmt.Sprintf("/hello?name=%d", i))
		ids = append(ids, r.Header.Get("Cove-Request-Id"))
	}
	logged := func(n *testNode) []string {
		var got []string
		if err := n.c.Logs(ctxFor(t, 10*time.Second), a.ID, 100, false, func(e cove.Invocation) { got = append(got, e.RequestID) }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := strings.Join(ids[len(ids)-3:], " ")
	if got := strings.Join(logged(n), " "); got != want {
		t.Fatalf("logs before restart: %s, want %s", got, want)
	}
	n.stop()
	n2 := startNode(t, cfg)
	if got := strings.Join(logged(n2), " "); got != want {
		t.Fatalf("logs after restart: %s, want %s", got, want)
	}
}

// TestSecretsNeverOnDisk plants a unique secret value and checks that no file
// the node writes holds it in plaintext (nor in base64 or hex), nor its log.
func TestSecretsNeverOnDisk(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	n := startNode(t, cfg)
	var rnd [16]byte
	rand.Read(rnd[:])
	planted := "planted-" + hex.EncodeToString(rnd[:])
	a := n.deploy(t, filepath.Join(examples, "hello.ts"), map[string]string{"GREETING": planted})
	wantResponse(t, n.get(t, a, "/hello?name=Ada"), 200, `{"greeting":"`+planted+` Ada","agent":"hello"}`)
	n.stop()

	forms := map[string][]byte{
		"plaintext": []byte(planted),
		"base64":    []byte(base64.StdEncoding.EncodeToString([]byte(planted))),
		"hex":       []byte(hex.EncodeToString([]byte(planted))),
	}
	files := 0
	err := filepath.WalkDir(cfg.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for form, v := range forms {
			if bytes.Contains(b, v) {
				t.Errorf("%s holds the secret (%s)", path, form)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 3 {
		t.Fatalf("walked only %d files in %s", files, cfg.DataDir)
	}
	for form, v := range forms {
		if strings.Contains(n.logs.String(), string(v)) {
			t.Errorf("the node's log holds the secret (%s)", form)
		}
	}
}

// jsonError sends a raw request and checks that the answer is a JSON gateway
// error with the given status and code.
func jsonError(t *testing.T, method, u, body string, status int, code string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Errorf("%s %s: status %d, want %d; body %s", method, u, resp.StatusCode, status, b)
		return
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: content type %q, want application/json", method, u, ct)
	}
	var eb gateway.ErrorBody
	if err := json.Unmarshal(b, &eb); err != nil || eb.Error.Code != code || eb.Error.Message == "" {
		t.Errorf("%s %s: body %s, want error code %q with a message", method, u, b, code)
	}
	if resp.Header.Get(receipt.HeaderReceipt) != "" {
		t.Errorf("%s %s: a gateway error carries a receipt", method, u)
	}
}

func TestGatewayErrors(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	cfg.Worker.MaxRequestBytes = 64 << 10
	n := startNode(t, cfg)
	var unknown cove.AgentID
	rand.Read(unknown[:])

	jsonError(t, "GET", n.base+"/agents/"+unknown.String()+"/hello", "", 404, "agent_not_found")
	jsonError(t, "POST", n.base+"/agents/"+unknown.String()+"/x?y=1", "body", 404, "agent_not_found")
	jsonError(t, "GET", n.base+"/agents/"+unknown.String(), "", 404, "agent_not_found")
	jsonError(t, "GET", n.base+"/v1/agents/"+unknown.String(), "", 404, "agent_not_found")
	jsonError(t, "GET", n.base+"/v1/agents/"+unknown.String()+"/logs", "", 404, "agent_not_found")
	jsonError(t, "GET", n.base+"/agents/0x1234/hello", "", 400, "bad_agent_id")
	jsonError(t, "GET", n.base+"/agents/"+strings.Repeat("z", 66)+"/", "", 400, "bad_agent_id")
	jsonError(t, "GET", n.base+"/v1/agents/nope", "", 400, "bad_agent_id")
	jsonError(t, "POST", n.base+"/v1/agents", "{garbage", 400, "bad_request")
	jsonError(t, "POST", n.base+"/v1/agents", `{"cid":"x","extra":1}`, 400, "bad_request")
	jsonError(t, "POST", n.base+"/v1/agents", `{"cid":"not-a-cid"}`, 400, "bad_cid")
	jsonError(t, "PUT", n.base+"/v1/blobs", "", 400, "empty_bundle")
	jsonError(t, "GET", n.base+"/v1/blobs/"+blob.CID([]byte("never stored")), "", 404, "blob_not_found")
	jsonError(t, "GET", n.base+"/no/such/route", "", 404, "not_found")
	jsonError(t, "GET", n.base+"/v1/agents/"+unknown.String()+"/logs?limit=x", "", 404, "agent_not_found")

	ctx := ctxFor(t, 30*time.Second)
	wantClientError := func(what string, err error, status int, code string) {
		t.Helper()
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Status != status || ce.Code != code {
			t.Errorf("%s: err = %v, want %d %s", what, err, status, code)
		}
	}
	_, err := n.c.Call(ctx, unknown, "GET", "/hello", nil, nil)
	wantClientError("call unknown agent", err, 404, "agent_not_found")
	err = n.c.Logs(ctx, unknown, 10, false, func(cove.Invocation) { t.Error("logs of an unknown agent") })
	wantClientError("logs of unknown agent", err, 404, "agent_not_found")
	_, err = n.c.DeployCode(ctx, []byte("var __cove_agent = { default: { fetch( } };"), client.DeployOptions{})
	wantClientError("deploy a syntax error", err, 422, "agent_invalid")
	_, err = n.c.DeployRaw(ctx, gateway.DeployRequest{CID: blob.CID([]byte("never uploaded"))})
	wantClientError("deploy an unknown cid", err, 404, "bundle_not_found")
	cid, err := n.c.PutBlob(ctx, []byte("var __cove_agent = { default: { fetch() { return new Response('x'); } } };"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = n.c.DeployRaw(ctx, gateway.DeployRequest{CID: cid, Secrets: []byte("not an envelope")})
	wantClientError("deploy garbage secrets", err, 400, "bad_secrets")
	_, err = n.c.DeployRaw(ctx, gateway.DeployRequest{CID: cid, Name: "bad name!"})
	wantClientError("deploy a bad name", err, 400, "bad_name")

	// A deployed agent with a malformed subpath still answers through the
	// agent, signed; a logs request with a bad limit is refused.
	a := n.deploy(t, filepath.Join(examples, "hello.ts"), nil)
	jsonError(t, "GET", n.base+"/v1/agents/"+a.ID.String()+"/logs?limit=-1", "", 400, "bad_limit")
	wantResponse(t, n.get(t, a, "/a%2Fb"), 404, "not found")

	// A request body over the node's limit is refused before the agent runs.
	jsonError(t, "POST", n.base+"/agents/"+a.ID.String()+"/echo", strings.Repeat("x", 64<<10+1), 413, "request_too_large")
	wantResponse(t, n.call(t, a, "POST", "/echo", bytes.Repeat([]byte("y"), 64<<10), nil), 201, strings.Repeat("y", 64<<10))

	// Deploying the same code with the same salt is an idempotent retry;
	// with other settings it is a conflict.
	code := []byte("var __cove_agent = { default: { fetch() { return new Response('same'); } } };")
	salt := cove.Hash{42}
	d1, err := n.c.DeployCode(ctx, code, client.DeployOptions{Salt: salt})
	if err != nil {
		t.Fatal(err)
	}
	d2, err := n.c.DeployCode(ctx, code, client.DeployOptions{Salt: salt})
	if err != nil || d2.ID != d1.ID || d2.Attestor != d1.Attestor {
		t.Fatalf("redeploy: %v, %s then %s", err, d1.ID, d2.ID)
	}
	_, err = n.c.DeployCode(ctx, code, client.DeployOptions{Salt: salt, Name: "renamed"})
	wantClientError("redeploy with other settings", err, 409, "agent_exists")
}

// TestHeadReceipt calls an agent with HEAD: the response has no body, so its
// receipt must cover the empty body the caller actually receives.
func TestHeadReceipt(t *testing.T) {
	t.Parallel()
	n := startNode(t, newConfig(t))
	a := n.deploy(t, filepath.Join(examples, "hello.ts"), nil)
	resp := n.call(t, a, http.MethodHead, "/hello?name=Ada", nil, nil)
	if resp.Status != 200 || len(resp.Body) != 0 {
		t.Fatalf("HEAD: %d %q", resp.Status, resp.Body)
	}
}

func TestLogs(t *testing.T) {
	t.Parallel()
	n := startNode(t, newConfig(t))
	a := n.deploy(t, filepath.Join("testdata", "logger.js"), nil)
	r := n.get(t, a, "/logme")
	wantResponse(t, r, 200, "logged")
	reqID := r.Header.Get("Cove-Request-Id")

	var got []cove.Invocation
	if err := n.c.Logs(ctxFor(t, 10*time.Second), a.ID, 10, false, func(e cove.Invocation) { got = append(got, e) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d invocations logged, want 1: %+v", len(got), got)
	}
	e := got[0]
	if e.RequestID != reqID || e.Agent != a.ID || e.Method != "GET" || e.Path != "/agents/"+a.ID.String()+"/logme" || e.Status != 200 || e.DurationMS <= 0 || e.Error != "" || e.Time.IsZero() {
		t.Fatalf("invocation %+v (request id %s)", e, reqID)
	}
	if len(e.Logs) != 2 || e.Logs[0].Level != "log" || e.Logs[0].Message != "hello from /logme" || e.Logs[1].Level != "warn" || e.Logs[1].Message != "careful" {
		t.Fatalf("console lines %+v", e.Logs)
	}

	// Follow: the backlog entry shows the subscription is in place (the
	// gateway subscribes before it reads the backlog), then a new call must
	// arrive.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	entries := make(chan cove.Invocation, 16)
	done := make(chan error, 1)
	go func() { done <- n.c.Logs(ctx, a.ID, 1, true, func(e cove.Invocation) { entries <- e }) }()
	next := func() cove.Invocation {
		t.Helper()
		select {
		case e := <-entries:
			return e
		case err := <-done:
			t.Fatalf("follow ended: %v", err)
		case <-ctx.Done():
			t.Fatal("follow: no entry in time")
		}
		return cove.Invocation{}
	}
	if e := next(); e.RequestID != reqID {
		t.Fatalf("backlog entry %s, want %s", e.RequestID, reqID)
	}
	r2 := n.get(t, a, "/logme?again=1")
	if e := next(); e.RequestID != r2.Header.Get("Cove-Request-Id") || e.Path != "/agents/"+a.ID.String()+"/logme?again=1" || len(e.Logs) != 2 {
		t.Fatalf("followed entry %+v, want request %s", e, r2.Header.Get("Cove-Request-Id"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("follow after cancel: %v", err)
	}
}

func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	n := startNode(t, newConfig(t))
	a := n.deploy(t, filepath.Join(examples, "hello.ts"), map[string]string{"GREETING": "Hey"})
	const calls = 50
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	ids := make(chan string, calls)
	ctx := ctxFor(t, 60*time.Second)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := n.c.Call(ctx, a.ID, "GET", fmt.Sprintf("/hello?name=n%d", i), nil, nil)
			if err != nil {
				errs <- err
				return
			}
			if _, err := resp.Verify(a.Attestor); err != nil {
				errs <- fmt.Errorf("call %d: %w", i, err)
				return
			}
			want := fmt.Sprintf(`{"greeting":"Hey n%d","agent":"hello"}`, i)
			if resp.Status != 200 || string(resp.Body) != want {
				errs <- fmt.Errorf("call %d: %d %s, want %s", i, resp.Status, resp.Body, want)
				return
			}
			ids <- resp.Header.Get("Cove-Request-Id")
		}()
	}
	wg.Wait()
	close(errs)
	close(ids)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("request id %s used twice", id)
		}
		seen[id] = true
	}
}
