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
	"math/big"
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
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/blob/cid"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/cove-network/cove/node"
	"github.com/cove-network/cove/worker"
)

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

// TestAgents runs one node (startup costs about a second) and, in parallel
// on it, the examples, the gateway's errors, logs, concurrent calls and the
// chain API.
func TestAgents(t *testing.T) {
	t.Parallel()
	up := upstreamServer(t)
	cfg := newConfig(t)
	cfg.Worker.EgressAllow = []string{hostPort(t, up.URL)}
	cfg.Worker.MaxRequestBytes = 64 << 10
	n := startNode(t, cfg, newSigner(t))

	t.Run("examples", func(t *testing.T) { t.Parallel(); testExamples(t, n, up) })
	t.Run("gateway errors", func(t *testing.T) { t.Parallel(); testGatewayErrors(t, n) })
	t.Run("head receipt", func(t *testing.T) { t.Parallel(); testHeadReceipt(t, n) })
	t.Run("logs", func(t *testing.T) { t.Parallel(); testLogs(t, n) })
	t.Run("concurrent calls", func(t *testing.T) { t.Parallel(); testConcurrentCalls(t, n) })
	t.Run("chain status", func(t *testing.T) { t.Parallel(); testChainStatus(t, n) })
	t.Run("chain accounts and agents", func(t *testing.T) { t.Parallel(); testChainAccountsAndAgents(t, n) })
	t.Run("upgrade", func(t *testing.T) { t.Parallel(); testUpgrade(t, n) })
	t.Run("refused transactions", func(t *testing.T) { t.Parallel(); testRefusedTx(t, n) })
}

func testExamples(t *testing.T, n *testNode, up *httptest.Server) {
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
func walletCall(t *testing.T, n *testNode, a api.AgentView, message string) string {
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
	n := startNode(t, cfg, newSigner(t))
	hostile := func(name string) string { return filepath.Join(examples, "hostile", name) }
	hello := n.deploy(t, filepath.Join(examples, "hello.ts"), nil)
	helloOK := func(t *testing.T) {
		t.Helper()
		wantResponse(t, n.get(t, hello, "/hello?name=Ada"), 200, `{"greeting":"Hello Ada","agent":"hello"}`)
	}

	// quick bounds how long a hostile call may take: well under the shared
	// node's 30 s time limit, so a script that only the time limit stops
	// fails the test, with generous slack for a loaded machine or -race.
	const quick = 25 * time.Second
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
			n := startNode(t, cfg, newSigner(t))
			a := n.deploy(t, hostile("loop.js"), nil)
			start := time.Now()
			resp := n.get(t, a, "/")
			if d := time.Since(start); d < time.Second || d > 20*time.Second {
				t.Errorf("the loop was stopped after %s; the time limit is 1s", d)
			}
			eb := limitError(t, resp, 504, "time")
			hello := n.deploy(t, filepath.Join(examples, "hello.ts"), nil)
			wantResponse(t, n.get(t, hello, "/hello?name=Ada"), 200, `{"greeting":"Hello Ada","agent":"hello"}`)
			// The failure is in the agent's log too.
			var logged *cove.Invocation
			err := n.c.Logs(ctxFor(t, 10*time.Second), n.dev, a.ID, 10, false, func(e cove.Invocation) {
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
			// The example's contract: an error naming the memory limit.
			// QuickJS reports its out-of-memory as an error when it can
			// still allocate one, else as a thrown null, which the
			// sandbox words with the memory limit (its heap is freed by
			// then, so the two cannot be told apart: worker/sandbox
			// TestMembombHeldLocally).
			if strings.Contains(string(resp.Body), `"agent_error"`) {
				eb := workerError(t, resp, 500, worker.CodeAgentError)
				if !strings.Contains(eb.Error.Message, "threw null") || !strings.Contains(eb.Error.Message, "the memory limit is 128 MiB") {
					t.Fatalf("membomb: %s, want the memory limit named", resp.Body)
				}
				return
			}
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
	// The node is still up and serves others correctly, and its chain
	// still makes blocks.
	helloOK(t)
	if err := n.c.Health(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatalf("health after the hostile agents: %v", err)
	}
	st, err := n.c.ChainStatus(ctxFor(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "a block after the hostile agents", func() bool {
		s, err := n.c.ChainStatus(ctxFor(t, 5*time.Second))
		return err == nil && s.Height > st.Height
	})
}

// TestRestart stops a node that holds agents (one with a planted secret, one
// upgraded, one with more calls than the node keeps logs for) and starts it
// again on the same configuration: the chain resumes at its height with a
// continuous app hash, every agent is intact, with its secrets, attestor and
// logs. At the end, no file the node wrote (chain included) nor its log
// holds the secret, nor what an agent logged (invocation logs are sealed),
// which its owner reads through the gateway before and after.
func TestRestart(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	cfg.Validator.RPCAddr = freeAddr(t)
	cfg.Worker.LogsPerAgent = 3
	dev := newSigner(t)
	n := startNode(t, cfg, dev)

	var rnd [16]byte
	rand.Read(rnd[:])
	planted := "planted-" + hex.EncodeToString(rnd[:])
	hello := filepath.Join(examples, "hello.ts")
	a := n.deploy(t, hello, map[string]string{"GREETING": planted})
	r := n.get(t, a, "/hello?name=Ada")
	wantResponse(t, r, 200, `{"greeting":"`+planted+` Ada","agent":"hello"}`)
	firstReq := r.Header.Get("Cove-Request-Id")

	// Many more calls than the node keeps logs for, so the log file is
	// compacted: a restarted node shows exactly the newest ones.
	b := n.deploy(t, hello, nil)
	var ids []string
	for i := range 20 {
		r := n.get(t, b, fmt.Sprintf("/hello?name=%d", i))
		ids = append(ids, r.Header.Get("Cove-Request-Id"))
	}
	logged := func(n *testNode, id cove.AgentID) []string {
		t.Helper()
		var got []string
		if err := n.c.Logs(ctxFor(t, 10*time.Second), n.dev, id, 100, false, func(e cove.Invocation) { got = append(got, e.RequestID) }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	wantLogs := strings.Join(ids[len(ids)-3:], " ")
	if got := strings.Join(logged(n, b.ID), " "); got != wantLogs {
		t.Fatalf("logs before restart: %s, want %s", got, wantLogs)
	}

	// What an agent logs (its console and its callers' paths) is sealed
	// at rest: the marker is in the owner's logs, read through the gateway,
	// before and after the restart, and in no file of the node.
	marker := "logged-" + hex.EncodeToString(rnd[:8])
	lg := n.deploy(t, filepath.Join("testdata", "logger.js"), nil)
	wantResponse(t, n.get(t, lg, "/"+marker), 200, "logged")
	loggedMarker := func(n *testNode) bool {
		t.Helper()
		found := false
		err := n.c.Logs(ctxFor(t, 10*time.Second), n.dev, lg.ID, 10, false, func(e cove.Invocation) {
			found = found || len(e.Logs) > 0 && e.Logs[0].Message == "hello from /"+marker && strings.HasSuffix(e.Path, "/"+marker)
		})
		if err != nil {
			t.Fatal(err)
		}
		return found
	}
	if !loggedMarker(n) {
		t.Fatal("control: the owner does not read the marker in the agent's logs")
	}

	u := n.deploy(t, hello, map[string]string{"GREETING": "Hi"})
	u = n.upgrade(t, dev, u.ID, filepath.Join("testdata", "hello-v2.js"), nil)
	wantResponse(t, n.get(t, u, "/?name=Ada"), 200, `{"greeting":"Hi Ada","version":2}`)

	var before api.ChainStatus
	getJSON(t, n.base+"/v1/chain/status", &before)
	var recsBefore json.RawMessage
	getJSON(t, n.base+"/v1/chain/agents", &recsBefore)
	views := map[cove.AgentID]api.AgentView{a.ID: a, b.ID: b, u.ID: u, lg.ID: lg}
	n.stop()

	created, err := node.InitDev(cfg, dev.Address())
	if err != nil || created {
		t.Fatalf("InitDev on an existing chain: created %v, %v", created, err)
	}
	logs2 := &syncbuf.Buffer{}
	n2raw, err := node.New(cfg, slog.New(slog.NewTextHandler(logs2, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		// A node must reopen its own home in the process that stopped it
		// (tests, internal/testnet). Report that, then go on from a copy of
		// the home, as a new process would see it, to check the rest.
		t.Errorf("node.New on the configuration of the stopped node: %v", err)
		cfg = copyHome(t, cfg)
		n2raw = newNode(t, cfg, logs2)
	}
	v := n2raw.View() // the persisted head, before anything runs
	head := v.Head()
	if head.Height < before.Height || v.ChainID() != before.NumericChainID {
		t.Fatalf("persisted head %+v, before the restart %+v", head, before)
	}
	if head.Height == before.Height && "0x"+hex.EncodeToString(head.AppHash) != before.AppHash {
		t.Fatalf("persisted head %+v, before the restart %+v: same height, other app hash", head, before)
	}
	n2 := runNode(t, cfg, n2raw, dev, logs2)

	// The chain goes on from the persisted head: the next blocks commit to
	// the app hashes the first run reached.
	eventually(t, 20*time.Second, "a block after the restart", func() bool {
		st, err := n2.c.ChainStatus(ctxFor(t, 5*time.Second))
		return err == nil && st.Height > head.Height
	})
	if got := blockAppHash(t, cfg.Validator.RPCAddr, before.Height+1); got != before.AppHash {
		t.Errorf("block %d commits to app hash %s; the app hash at %d before the restart was %s", before.Height+1, got, before.Height, before.AppHash)
	}
	if got := blockAppHash(t, cfg.Validator.RPCAddr, head.Height+1); got != "0x"+hex.EncodeToString(head.AppHash) {
		t.Errorf("block %d (the first after the restart) commits to app hash %s; the persisted app hash was %s", head.Height+1, got, hex.EncodeToString(head.AppHash))
	}

	// Every agent is intact, on chain and in the gateway's view.
	var recsAfter json.RawMessage
	getJSON(t, n2.base+"/v1/chain/agents", &recsAfter)
	if !bytes.Equal(recsBefore, recsAfter) {
		t.Errorf("agent records after restart:\n%s\nbefore:\n%s", recsAfter, recsBefore)
	}
	list, err := n2.c.Agents(ctxFor(t, 10*time.Second))
	if err != nil || len(list) != len(views) {
		t.Fatalf("agent list after restart: %v %+v", err, list)
	}
	for _, got := range list {
		want, ok := views[got.ID]
		if !ok {
			t.Fatalf("after restart: unknown agent %s", got.ID)
		}
		u1, err1 := url.Parse(want.URL)
		u2, err2 := url.Parse(got.URL)
		if err1 != nil || err2 != nil || u1.Path != u2.Path || got.Attestor != want.Attestor || got.Signer != want.Signer ||
			got.CID != want.CID || got.CodeHash != want.CodeHash || got.Owner != dev.Address() || got.Version != want.Version ||
			got.HasSecrets != want.HasSecrets || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("after restart: %+v\nbefore: %+v", got, want)
		}
	}

	// The secret still applies and the receipt is signed by the same attestor.
	r2 := n2.get(t, a, "/hello?name=Ada")
	wantResponse(t, r2, 200, `{"greeting":"`+planted+` Ada","agent":"hello"}`)
	secondReq := r2.Header.Get("Cove-Request-Id")
	seen := map[string]bool{}
	for _, id := range logged(n2, a.ID) {
		seen[id] = true
	}
	if !seen[firstReq] || !seen[secondReq] {
		t.Errorf("logs after restart hold %v, want %s (before) and %s (after)", seen, firstReq, secondReq)
	}
	if got := strings.Join(logged(n2, b.ID), " "); got != wantLogs {
		t.Errorf("logs after restart: %s, want %s", got, wantLogs)
	}
	if !loggedMarker(n2) {
		t.Error("after restart, the owner does not read the marker in the agent's logs")
	}
	// The upgraded agent serves its new code with its old secret.
	wantResponse(t, n2.get(t, u, "/?name=Bo"), 200, `{"greeting":"Hi Bo","version":2}`)

	// The nonce survived: the dev key sent 5 transactions and sends more.
	acct, err := n2.c.Account(ctxFor(t, 10*time.Second), dev.Address())
	if err != nil || acct.Nonce != 5 {
		t.Fatalf("dev account after restart: %+v, %v; want nonce 5", acct, err)
	}
	c := n2.deploy(t, filepath.Join("testdata", "logger.js"), nil)
	wantResponse(t, n2.get(t, c, "/logme"), 200, "logged")
	n2.stop()

	walkForSecret(t, cfg.DataDir, planted, n.logs.String()+n2.logs.String())
	walkForSecret(t, cfg.DataDir, marker, n.logs.String()+n2.logs.String())
}

// walkForSecret checks that no file under dir holds planted in plaintext,
// base64 or hex, nor the node logs.
func walkForSecret(t *testing.T, dir, planted, logs string) {
	t.Helper()
	forms := map[string][]byte{
		"plaintext": []byte(planted),
		"base64":    []byte(base64.StdEncoding.EncodeToString([]byte(planted))),
		"hex":       []byte(hex.EncodeToString([]byte(planted))),
	}
	files, chainFiles := 0, 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if strings.HasPrefix(path, filepath.Join(dir, "chain")+string(filepath.Separator)) {
			chainFiles++
		}
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
	if files < 3 || chainFiles < 3 {
		t.Fatalf("walked only %d files (%d of the chain) in %s", files, chainFiles, dir)
	}
	for form, v := range forms {
		if strings.Contains(logs, string(v)) {
			t.Errorf("the node's log holds the secret (%s)", form)
		}
	}
}

func testGatewayErrors(t *testing.T, n *testNode) {
	var unknown cove.AgentID
	rand.Read(unknown[:])

	jsonError(t, "GET", n.base+"/agents/"+unknown.String()+"/hello", "", 404, "agent_not_found")
	jsonError(t, "POST", n.base+"/agents/"+unknown.String()+"/x?y=1", "body", 404, "agent_not_found")
	jsonError(t, "GET", n.base+"/agents/"+unknown.String(), "", 404, "agent_not_found")
	jsonError(t, "GET", n.base+"/v1/agents/"+unknown.String(), "", 404, "agent_not_found")
	jsonError(t, "GET", n.base+"/v1/agents/"+unknown.String()+"/logs", "", 404, "agent_not_found")
	jsonError(t, "GET", n.base+"/v1/chain/agents/"+unknown.String(), "", 404, "agent_not_found")
	jsonError(t, "GET", n.base+"/agents/0x1234/hello", "", 400, "bad_agent_id")
	jsonError(t, "GET", n.base+"/agents/"+strings.Repeat("z", 66)+"/", "", 400, "bad_agent_id")
	jsonError(t, "GET", n.base+"/v1/agents/nope", "", 400, "bad_agent_id")
	jsonError(t, "GET", n.base+"/v1/chain/agents/nope", "", 400, "bad_agent_id")
	jsonError(t, "GET", n.base+"/v1/chain/accounts/0x1234", "", 400, "bad_address")
	jsonError(t, "GET", n.base+"/v1/chain/accounts/0x"+strings.Repeat("g", 40), "", 400, "bad_address")
	// Deployment is a transaction now: the old unsigned endpoint is gone.
	jsonError(t, "POST", n.base+"/v1/agents", `{"cid":"`+cid.Of([]byte("x"))+`"}`, 404, "not_found")
	jsonError(t, "POST", n.base+"/v1/chain/tx", "{garbage", 400, "malformed_tx")
	jsonError(t, "POST", n.base+"/v1/chain/tx", "", 400, "malformed_tx")
	jsonError(t, "POST", n.base+"/v1/chain/tx", `{"type":"Transfer","message":{},"signature":"0x"}`, 400, "malformed_tx")
	jsonError(t, "POST", n.base+"/v1/chain/tx", strings.Repeat(" ", chain.MaxTxBytes+1), 413, "tx_too_large")
	jsonError(t, "PUT", n.base+"/v1/blobs", "", 400, "empty_bundle")
	jsonError(t, "GET", n.base+"/v1/blobs/"+cid.Of([]byte("never stored")), "", 404, "blob_not_found")
	jsonError(t, "GET", n.base+"/v1/blobs/nope", "", 400, "bad_cid")
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
	err = n.c.Logs(ctx, n.dev, unknown, 10, false, func(cove.Invocation) { t.Error("logs of an unknown agent") })
	wantClientError("logs of unknown agent", err, 404, "agent_not_found")
	if _, err := n.c.DeployCode(ctx, []byte("var x;"), client.DeployOptions{}); err == nil || !strings.Contains(err.Error(), "signer") {
		t.Errorf("deploy without a signer: %v", err)
	}

	// What a deployment transaction states is checked by the chain: a
	// refused one is a *client.TxError with the chain's code.
	s := n.fundedSigner(t)
	wantTxError := func(what string, err error, code uint32) {
		t.Helper()
		var te *client.TxError
		if !errors.As(err, &te) || te.Outcome.Code != code || te.Outcome.Log == "" || te.Outcome.Hash == "" {
			t.Errorf("%s: err = %v, want a refused transaction with code %d (%s)", what, err, code, chain.CodeName(code))
		}
	}
	okCode := []byte("var __cove_agent = { default: { fetch() { return new Response('x'); } } };")
	okCID, err := n.c.PutBlob(ctx, okCode)
	if err != nil {
		t.Fatal(err)
	}
	send := func(msg func(nonce uint64) chain.Msg) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		_, err := n.c.Send(ctx, s, msg)
		return err
	}
	err = send(func(nonce uint64) chain.Msg {
		return chain.DeployAgent{CID: okCID, CodeHash: cove.SHA256(okCode), Secrets: []byte("not an envelope"), Nonce: nonce}
	})
	wantTxError("deploy garbage secrets", err, chain.CodeInvalidArgument)
	_, err = n.deployCode(t, s, okCode, client.DeployOptions{Name: "bad name!"})
	wantTxError("deploy a bad name", err, chain.CodeInvalidArgument)
	err = send(func(nonce uint64) chain.Msg {
		return chain.DeployAgent{CID: okCID, CodeHash: cove.SHA256([]byte("other code")), Nonce: nonce}
	})
	wantTxError("deploy a cid of other code", err, chain.CodeInvalidArgument)
	err = send(func(nonce uint64) chain.Msg {
		return chain.DeployAgent{CID: "not-a-cid", CodeHash: cove.SHA256(okCode), Nonce: nonce}
	})
	wantTxError("deploy a bad cid", err, chain.CodeInvalidArgument)
	// CheckTx refused them all, so none reached a block: not even the
	// nonce changed.
	if acct, err := n.c.Account(ctx, s.Address()); err != nil || acct.Nonce != 0 || acct.Balance.Cmp(tenCOVE) != 0 {
		t.Errorf("after 4 refused deployments: %+v, %v; want nonce 0 and the balance unchanged", acct, err)
	}

	// The chain cannot compile code, so broken code deploys; its calls
	// answer a signed error naming the cause.
	broken, err := n.deployCode(t, s, []byte("var __cove_agent = { default: { fetch( } };"), client.DeployOptions{})
	if err != nil {
		t.Fatalf("deploy a syntax error: %v", err)
	}
	workerError(t, n.get(t, broken, "/"), 500, worker.CodeCompile)
	// So do bundles no node has: the call fails, signed, without hanging.
	missing := []byte("var __cove_agent = { default: { fetch() { return new Response('never uploaded'); } } };")
	salt := cove.Hash{7}
	err = send(func(nonce uint64) chain.Msg {
		return chain.DeployAgent{CID: cid.Of(missing), CodeHash: cove.SHA256(missing), Salt: salt, Nonce: nonce}
	})
	if err != nil {
		t.Fatalf("deploy an unknown cid: %v", err)
	}
	gone, err := n.c.Agent(ctx, cove.DeriveAgentID(s.Address(), cove.SHA256(missing), salt))
	if err != nil {
		t.Fatal(err)
	}
	workerError(t, n.get(t, gone, "/"), 503, worker.CodeNoBundle)

	// A deployed agent with a malformed subpath still answers through the
	// agent, signed; a logs request with a bad limit is refused.
	a := n.deploy(t, filepath.Join(examples, "hello.ts"), nil)
	jsonError(t, "GET", n.base+"/v1/agents/"+a.ID.String()+"/logs?limit=-1", "", 400, "bad_limit")
	wantResponse(t, n.get(t, a, "/a%2Fb"), 404, "not found")

	// A request body over the node's limit is refused before the agent runs.
	jsonError(t, "POST", n.base+"/agents/"+a.ID.String()+"/echo", strings.Repeat("x", 64<<10+1), 413, "request_too_large")
	wantResponse(t, n.call(t, a, "POST", "/echo", bytes.Repeat([]byte("y"), 64<<10), nil), 201, strings.Repeat("y", 64<<10))

	// Deploying the same code with the same salt names the same agent id:
	// the chain refuses the second, with the same or other settings, and
	// the first is unchanged.
	code := []byte("var __cove_agent = { default: { fetch() { return new Response('same'); } } };")
	salt = cove.Hash{42}
	d1, err := n.deployCode(t, s, code, client.DeployOptions{Salt: salt})
	if err != nil {
		t.Fatal(err)
	}
	_, err = n.deployCode(t, s, code, client.DeployOptions{Salt: salt})
	wantTxError("redeploy", err, chain.CodeExists)
	_, err = n.deployCode(t, s, code, client.DeployOptions{Salt: salt, Name: "renamed"})
	wantTxError("redeploy with other settings", err, chain.CodeExists)
	d2, err := n.c.Agent(ctx, d1.ID)
	if err != nil || d2.Name != "" || d2.Version != 1 || d2.CodeHash != d1.CodeHash || d2.Attestor != d1.Attestor {
		t.Fatalf("after the refused redeployments: %+v, %v; want %+v", d2, err, d1)
	}
	wantResponse(t, n.get(t, d2, "/"), 200, "same")
}

// testHeadReceipt calls an agent with HEAD: the response has no body, so its
// receipt must cover the empty body the caller actually receives.
func testHeadReceipt(t *testing.T, n *testNode) {
	a := n.deploy(t, filepath.Join(examples, "hello.ts"), nil)
	resp := n.call(t, a, http.MethodHead, "/hello?name=Ada", nil, nil)
	if resp.Status != 200 || len(resp.Body) != 0 {
		t.Fatalf("HEAD: %d %q", resp.Status, resp.Body)
	}
}

func testLogs(t *testing.T, n *testNode) {
	a := n.deploy(t, filepath.Join("testdata", "logger.js"), nil)
	r := n.get(t, a, "/logme")
	wantResponse(t, r, 200, "logged")
	reqID := r.Header.Get("Cove-Request-Id")

	var got []cove.Invocation
	if err := n.c.Logs(ctxFor(t, 10*time.Second), n.dev, a.ID, 10, false, func(e cove.Invocation) { got = append(got, e) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d invocations logged, want 1: %+v", len(got), got)
	}
	// Only the owner reads logs: no signature, or another key's, is refused.
	jsonError(t, "GET", n.base+"/v1/agents/"+a.ID.String()+"/logs", "", 401, "auth_required")
	err := n.c.Logs(ctxFor(t, 10*time.Second), newSigner(t), a.ID, 10, false, func(cove.Invocation) { t.Error("a stranger read the logs") })
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 403 || ce.Code != "not_owner" {
		t.Fatalf("logs signed by a stranger: %v", err)
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
	go func() { done <- n.c.Logs(ctx, n.dev, a.ID, 1, true, func(e cove.Invocation) { entries <- e }) }()
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

func testConcurrentCalls(t *testing.T, n *testNode) {
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
	if len(seen) != calls {
		t.Errorf("%d distinct request ids, want %d", len(seen), calls)
	}
}

// testChainStatus checks GET /v1/chain/status: the dev chain's ids, a
// height that grows with an app hash that changes, and the (empty) worker
// list.
func testChainStatus(t *testing.T, n *testNode) {
	var first api.ChainStatus
	eventually(t, 20*time.Second, "the first block", func() bool {
		getJSON(t, n.base+"/v1/chain/status", &first)
		return first.Height >= 1
	})
	var raw map[string]json.RawMessage
	getJSON(t, n.base+"/v1/chain/status", &raw)
	if string(raw["chain_id"]) != `"cove-dev"` || string(raw["numeric_chain_id"]) != "7731" || raw["height"] == nil || raw["app_hash"] == nil {
		t.Errorf("status %s; want chain_id \"cove-dev\", numeric_chain_id 7731, height and app_hash", raw)
	}
	if node.DevChainID != "cove-dev" || node.DevNumericChainID != 7731 {
		t.Errorf("dev chain ids %q %d", node.DevChainID, node.DevNumericChainID)
	}
	if !isHex(first.AppHash, 32) {
		t.Errorf("app hash %q: want 0x and 64 lower-case hex digits", first.AppHash)
	}
	eventually(t, 10*time.Second, fmt.Sprintf("a block after height %d", first.Height), func() bool {
		var st api.ChainStatus
		getJSON(t, n.base+"/v1/chain/status", &st)
		if st.Height < first.Height || st.ChainID != first.ChainID || st.NumericChainID != first.NumericChainID {
			t.Fatalf("status %+v after %+v", st, first)
		}
		if st.Height > first.Height && st.AppHash == first.AppHash {
			t.Fatalf("height %d has the app hash of height %d", st.Height, first.Height)
		}
		return st.Height > first.Height
	})
	var workers map[string][]json.RawMessage
	body := getJSON(t, n.base+"/v1/chain/workers", &workers)
	if w, ok := workers["workers"]; !ok || len(w) != 1 {
		t.Errorf("workers %s; want the node's own worker", body)
	}
}

func isHex(s string, n int) bool {
	h, ok := strings.CutPrefix(s, "0x")
	if !ok || len(h) != 2*n || strings.ToLower(h) != h {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}

// testChainAccountsAndAgents checks /v1/chain/accounts/{addr} (a decimal
// balance, a nonce that a deployment uses) and /v1/chain/agents/{id}.
func testChainAccountsAndAgents(t *testing.T, n *testNode) {
	alice := newSigner(t)
	addr := alice.Address().String()
	// An address the chain never saw has an empty account.
	for _, a := range []string{addr, strings.ToLower(addr)} {
		m := n.chainAccount(t, a)
		if len(m) != 3 || string(m["address"]) != `"`+addr+`"` || string(m["balance"]) != `"0"` || string(m["nonce"]) != "0" {
			t.Errorf("account %s of a new key: %v", a, m)
		}
	}

	amount, _ := new(big.Int).SetString("5000000000000000123", 10) // past 2^53: a JSON number would lose it
	out := n.fund(t, alice.Address(), amount)
	var transfer *chain.Event
	for i, e := range out.Events {
		if e.Type == chain.EventTransfer {
			transfer = &out.Events[i]
		}
	}
	wantAttrs := []chain.Attr{{Key: "from", Value: n.dev.Address().String()}, {Key: "to", Value: addr}, {Key: "amount", Value: amount.String()}}
	if transfer == nil || fmt.Sprint(transfer.Attrs) != fmt.Sprint(wantAttrs) {
		t.Errorf("transfer events %+v; want %s with %v", out.Events, chain.EventTransfer, wantAttrs)
	}
	m := n.chainAccount(t, addr)
	if string(m["balance"]) != `"5000000000000000123"` || string(m["nonce"]) != "0" {
		t.Fatalf("funded account %v; want balance \"5000000000000000123\" (a decimal string) and nonce 0", m)
	}
	var devBalance string
	if err := json.Unmarshal([]byte(n.chainAccount(t, n.dev.Address().String())["balance"]), &devBalance); err != nil {
		t.Fatalf("dev balance: %v", err)
	}
	if b, ok := new(big.Int).SetString(devBalance, 10); !ok || b.Cmp(node.DevFunds) >= 0 || b.Sign() <= 0 {
		t.Errorf("dev balance %q after funding others; genesis gave %s", devBalance, node.DevFunds)
	}

	var supply api.Supply
	getJSON(t, n.base+"/v1/chain/supply", &supply)
	a := n.deployAs(t, alice, filepath.Join(examples, "hello.ts"), client.DeployOptions{Name: "greeter", Secrets: map[string]string{"GREETING": "Yo"}})
	m = n.chainAccount(t, addr)
	// The deploy paid its fee (node.DevFees: the base price plus its
	// bytes) to the treasury (the one validator has no operator), and the
	// supply did not change.
	var after api.Supply
	getJSON(t, n.base+"/v1/chain/supply", &after)
	var bal string
	json.Unmarshal([]byte(m["balance"]), &bal)
	paid := new(big.Int).Sub(amount, decimal(t, bal))
	treasuryGain := new(big.Int).Sub(decimal(t, after.Treasury), decimal(t, supply.Treasury))
	if string(m["nonce"]) != "1" || paid.Cmp(decimal(t, node.DevFees().Base)) <= 0 || paid.Cmp(big.NewInt(1e17)) > 0 || after.Total != supply.Total {
		t.Errorf("account after a deployment %v (paid %s); want nonce 1 and a fee above the base price; supply %+v, before %+v", m, paid, after, supply)
	}
	if treasuryGain.Cmp(paid) < 0 {
		t.Errorf("the treasury gained %s, the deploy paid %s", treasuryGain, paid)
	}
	rec, raw := n.chainAgent(t, a.ID)
	var st api.ChainStatus
	getJSON(t, n.base+"/v1/chain/status", &st)
	if rec.ID != a.ID || rec.Owner != alice.Address() || rec.Name != "greeter" || rec.CID != a.CID || rec.CodeHash != a.CodeHash ||
		rec.Version != 1 || len(rec.Secrets) == 0 || rec.Salt.IsZero() || cove.DeriveAgentID(alice.Address(), rec.CodeHash, rec.Salt) != a.ID ||
		rec.CreatedAt.IsZero() || !rec.UpdatedAt.Equal(rec.CreatedAt) || !rec.CreatedAt.Equal(a.CreatedAt) {
		t.Errorf("chain record %s\nfor deployment %+v", raw, a)
	}
	if len(rec.History) != 1 || rec.History[0].Version != 1 || rec.History[0].CID != a.CID || rec.History[0].CodeHash != a.CodeHash ||
		rec.History[0].Height < 1 || rec.History[0].Height > st.Height || !rec.History[0].Time.Equal(rec.CreatedAt) {
		t.Errorf("history %+v (chain at height %d)", rec.History, st.Height)
	}
	if bytes.Contains(raw, []byte("Yo")) {
		t.Errorf("the chain record holds the secret: %s", raw)
	}
	var list struct {
		Agents []chain.AgentRecord `json:"agents"`
	}
	getJSON(t, n.base+"/v1/chain/agents", &list)
	found := false
	for _, r := range list.Agents {
		found = found || r.ID == a.ID && r.Owner == alice.Address()
	}
	if !found {
		t.Errorf("GET /v1/chain/agents does not list %s", a.ID)
	}
	if a.Name != "greeter" || !a.HasSecrets {
		t.Errorf("gateway view %+v", a)
	}
	wantResponse(t, n.get(t, a, "/hello?name=Ada"), 200, `{"greeting":"Yo Ada","agent":"hello"}`)
}

// testUpgrade upgrades an agent by its owner, then tries with another
// funded key.
func testUpgrade(t *testing.T, n *testNode) {
	alice, bob := n.fundedSigner(t), n.fundedSigner(t)
	v2 := filepath.Join("testdata", "hello-v2.js")
	v2code := build(t, v2)
	a := n.deployAs(t, alice, filepath.Join(examples, "hello.ts"), client.DeployOptions{Secrets: map[string]string{"GREETING": "Hola"}})
	wantResponse(t, n.get(t, a, "/hello?name=Ada"), 200, `{"greeting":"Hola Ada","agent":"hello"}`)

	up := n.upgrade(t, alice, a.ID, v2, nil)
	if up.ID != a.ID || up.Version != 2 || up.CodeHash != cove.SHA256(v2code) || up.CID != cid.Of(v2code) || up.Owner != alice.Address() ||
		up.Attestor != a.Attestor || up.URL != a.URL || !up.HasSecrets || !up.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("upgraded %+v\nfrom %+v", up, a)
	}
	// Calls serve the new code at once, with the secrets kept; their
	// receipts carry the new code hash (n.call checks it).
	wantResponse(t, n.get(t, up, "/hello?name=Ada"), 200, `{"greeting":"Hola Ada","version":2}`)
	rec, _ := n.chainAgent(t, a.ID)
	if rec.Version != 2 || rec.CodeHash != up.CodeHash || rec.CID != up.CID || !rec.CreatedAt.Equal(a.CreatedAt) || rec.UpdatedAt.Before(rec.CreatedAt) ||
		len(rec.History) != 2 || rec.History[0].Version != 1 || rec.History[0].CodeHash != a.CodeHash ||
		rec.History[1].Version != 2 || rec.History[1].CodeHash != up.CodeHash || rec.History[1].CID != up.CID ||
		rec.History[1].Height <= rec.History[0].Height || !rec.History[1].Time.Equal(rec.UpdatedAt) {
		t.Errorf("record after the upgrade: %+v", rec)
	}
	if m := n.chainAccount(t, alice.Address().String()); string(m["nonce"]) != "2" {
		t.Errorf("owner after deploy and upgrade: %v; want nonce 2", m)
	}

	// Another funded key may not upgrade it: the chain refuses, and
	// neither the agent nor the sender's account changes. (First the
	// gatekeeper's last write to the record, the attestor grant.)
	eventually(t, 30*time.Second, "the agent's attestor grant", func() bool {
		rec, _ := n.chainAgent(t, a.ID)
		return len(rec.AttestorGrant) == 65
	})
	_, before := n.chainAgent(t, a.ID)
	_, err := n.tryUpgrade(t, bob, a.ID, filepath.Join("testdata", "logger.js"), map[string]string{"GREETING": "pwned"})
	var te *client.TxError
	if !errors.As(err, &te) || te.Outcome.Code != chain.CodeUnauthorized || !strings.Contains(te.Outcome.Log, alice.Address().String()) || !strings.Contains(err.Error(), "unauthorized") {
		t.Fatalf("upgrade by another key: %v; want a refused transaction with code %d (unauthorized) naming the owner", err, chain.CodeUnauthorized)
	}
	if _, after := n.chainAgent(t, a.ID); !bytes.Equal(before, after) {
		t.Errorf("the refused upgrade changed the agent:\n%s\nbefore:\n%s", after, before)
	}
	wantResponse(t, n.get(t, up, "/hello?name=Ada"), 200, `{"greeting":"Hola Ada","version":2}`)
	if m := n.chainAccount(t, bob.Address().String()); string(m["nonce"]) != "0" || string(m["balance"]) != `"`+tenCOVE.String()+`"` {
		t.Errorf("the other key after its refused upgrade: %v; want nonce 0, balance unchanged", m)
	}

	var unknown cove.AgentID
	rand.Read(unknown[:])
	_, err = n.tryUpgrade(t, alice, unknown, v2, nil)
	if !errors.As(err, &te) || te.Outcome.Code != chain.CodeNotFound {
		t.Errorf("upgrade of an unknown agent: %v; want code %d (not found)", err, chain.CodeNotFound)
	}

	// The owner replaces the secrets with an upgrade to the same code.
	up3 := n.upgrade(t, alice, a.ID, v2, map[string]string{"GREETING": "Ciao"})
	if up3.Version != 3 || up3.CodeHash != up.CodeHash {
		t.Errorf("second upgrade: %+v", up3)
	}
	wantResponse(t, n.get(t, up3, "/?name=Ada"), 200, `{"greeting":"Ciao Ada","version":2}`)
	if rec, _ := n.chainAgent(t, a.ID); len(rec.History) != 3 || rec.History[2].Version != 3 {
		t.Errorf("history after two upgrades: %+v", rec.History)
	}
}

// testRefusedTx posts signed and unsigned transactions to POST
// /v1/chain/tx: a refused one is 400 with the chain's code and changes
// nothing; the committed bytes never run twice.
func testRefusedTx(t *testing.T, n *testNode) {
	s, other := n.fundedSigner(t), newSigner(t) // other is never funded
	post := func(tx []byte) rawResponse {
		t.Helper()
		return do(t, http.MethodPost, n.base+"/v1/chain/tx", string(tx))
	}
	sign := func(chainID uint64, k *testSigner, msg chain.Msg) []byte {
		t.Helper()
		b, err := chain.SignTx(chainID, msg, k.Sign)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	outcome := func(what string, r rawResponse, status int) chain.TxOutcome {
		t.Helper()
		var out chain.TxOutcome
		if r.status != status || r.header.Get("Content-Type") != "application/json" || json.Unmarshal(r.body, &out) != nil || !isHex(out.Hash, 32) {
			t.Fatalf("%s: %d %q %s; want %d and a transaction outcome", what, r.status, r.header.Get("Content-Type"), r.body, status)
		}
		return out
	}
	refused := func(what string, tx []byte, code uint32) chain.TxOutcome {
		t.Helper()
		out := outcome(what, post(tx), http.StatusBadRequest)
		if out.Code != code || !strings.HasPrefix(out.Log, chain.CodeName(code)+": ") || len(out.Events) != 0 {
			t.Errorf("%s: outcome %+v; want code %d (%s) with a message", what, out, code, chain.CodeName(code))
		}
		return out
	}
	one := big.NewInt(1)
	acct := string(getJSON(t, n.base+"/v1/chain/accounts/"+s.Address().String(), new(any)))

	out := refused("nonce 5", sign(node.DevNumericChainID, s, chain.Transfer{To: other.Address(), Amount: one, Nonce: 5}), chain.CodeBadNonce)
	if !strings.Contains(out.Log, "nonce 0 expected") {
		t.Errorf("bad nonce log %q does not give the expected nonce", out.Log)
	}
	// Signed for another chain, it recovers another, unfunded address.
	refused("signed for chain 1", sign(1, s, chain.Transfer{To: other.Address(), Amount: one, Nonce: 0}), chain.CodeUnknownAccount)
	refused("unfunded sender", sign(node.DevNumericChainID, other, chain.Transfer{To: s.Address(), Amount: one, Nonce: 0}), chain.CodeUnknownAccount)
	refused("more than the balance", sign(node.DevNumericChainID, s, chain.Transfer{To: other.Address(), Amount: new(big.Int).Add(tenCOVE, one), Nonce: 0}), chain.CodeInsufficientFunds)
	var tx map[string]any
	json.Unmarshal(sign(node.DevNumericChainID, s, chain.Transfer{To: other.Address(), Amount: one, Nonce: 0}), &tx)
	tx["signature"] = "0x" + strings.Repeat("00", 65)
	zeroSig, _ := json.Marshal(tx)
	refused("zero signature", zeroSig, chain.CodeBadSignature)
	if got := string(getJSON(t, n.base+"/v1/chain/accounts/"+s.Address().String(), new(any))); got != acct {
		t.Errorf("refused transactions changed the account: %s, before %s", got, acct)
	}

	// The right nonce goes through once; the same bytes again are refused
	// and never run twice.
	ok := sign(node.DevNumericChainID, s, chain.Transfer{To: other.Address(), Amount: one, Nonce: 0})
	out = outcome("transfer", post(ok), http.StatusOK)
	if out.Code != 0 || out.Height < 1 || len(out.Events) != 2 || out.Events[0].Type != chain.EventTransfer || out.Events[1].Type != chain.EventFee {
		t.Fatalf("transfer: %+v", out)
	}
	// A replay must be answered as the client's mistake (400 with a code)
	// or idempotently (the first outcome again), never as a server failure
	// that invites retrying forever.
	replay := post(ok)
	var eb api.ErrorBody
	var ro chain.TxOutcome
	json.Unmarshal(replay.body, &eb)
	json.Unmarshal(replay.body, &ro)
	refusedReplay := replay.status == http.StatusBadRequest && (eb.Error.Code != "" || ro.Code != 0)
	idempotent := replay.status == http.StatusOK && ro.Code == 0 && ro.Hash == out.Hash && ro.Height == out.Height
	if !refusedReplay && !idempotent {
		t.Errorf("replay of a committed transaction: %d %s; want 400 with a code, or the first outcome again", replay.status, replay.body)
	}
	m := n.chainAccount(t, other.Address().String())
	if string(m["balance"]) != `"1"` {
		t.Errorf("recipient after a transfer and its replay: %v; want balance \"1\"", m)
	}
	if m := n.chainAccount(t, s.Address().String()); string(m["nonce"]) != "1" {
		t.Errorf("sender after a transfer and its replay: %v; want nonce 1", m)
	}

	// The client maps both kinds of refusal.
	ctx := ctxFor(t, 30*time.Second)
	_, err := n.c.SubmitTx(ctx, sign(node.DevNumericChainID, s, chain.Transfer{To: other.Address(), Amount: one, Nonce: 7}))
	var te *client.TxError
	if !errors.As(err, &te) || te.Outcome.Code != chain.CodeBadNonce || !strings.Contains(err.Error(), "bad nonce") {
		t.Errorf("SubmitTx with a bad nonce: %v", err)
	}
	_, err = n.c.SubmitTx(ctx, []byte("{}"))
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusBadRequest || ce.Code != "malformed_tx" {
		t.Errorf("SubmitTx of {}: %v; want a 400 malformed_tx", err)
	}
}

// TestNewWithoutChain builds a node whose chain home was never initialised:
// node.New refuses, says what to do, and leaves nothing behind (a refused
// `cove node` or a test with a relative home would litter the working
// directory: cmd/cove/.cove/dev/chain/data/cove-state.db got committed so).
func TestNewWithoutChain(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	_, err := node.New(cfg, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "init") {
		t.Fatalf("node.New without a chain: %v; want an error saying to initialise it", err)
	}
	if _, err := os.Stat(cfg.Validator.Home); !errors.Is(err, fs.ErrNotExist) {
		var files []string
		filepath.WalkDir(cfg.Validator.Home, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, p)
			}
			return nil
		})
		t.Errorf("node.New failed but left %s behind: %v", cfg.Validator.Home, files)
	}
}

// decimal parses a decimal amount of an answer.
func decimal(t *testing.T, s string) *big.Int {
	t.Helper()
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("amount %q", s)
	}
	return v
}
