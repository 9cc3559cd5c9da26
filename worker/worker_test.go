package worker_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/blob"
	"github.com/cove-network/cove/blob/cid"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/cove-network/cove/internal/testchain"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/receipt"
	"github.com/cove-network/cove/secret"
	"github.com/cove-network/cove/tee/identity"
	"github.com/cove-network/cove/tee/identity/idkey"
	"github.com/cove-network/cove/tee/sim"
	"github.com/cove-network/cove/txsend"
	"github.com/cove-network/cove/worker"
)

// roleChain is a worker.Chain over a testchain.Ledger: the worker's own
// transactions are signed by op.
type roleChain struct {
	*testchain.Ledger
	sender *txsend.Sender
}

func (c roleChain) Send(ctx context.Context, build func(uint64) chain.Msg) (chain.TxOutcome, error) {
	return c.sender.Send(ctx, build)
}

func (c roleChain) Operator() (cove.Address, error) {
	if c.sender == nil {
		return cove.Address{}, txsend.ErrNoKey
	}
	return c.sender.Address(), nil
}

// memBlobs holds bundles in memory.
type memBlobs struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (b *memBlobs) Put(code []byte) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := cid.Of(code)
	b.m[c] = code
	return c
}

func (b *memBlobs) Get(cid string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.m[cid]; ok {
		return c, nil
	}
	return nil, blob.ErrNotFound
}

// gatekeeper does on the test chain what a gatekeeper does, in the test's
// own hands: it registers, publishes key epochs and provisions workers
// with cluster keys sealed to their identity.
type gatekeeper struct {
	l       *testchain.Ledger
	op      *testchain.Key
	id      *identity.Identity
	masters []keys.Master
}

func newGatekeeper(t *testing.T, l *testchain.Ledger, op *testchain.Key) *gatekeeper {
	t.Helper()
	id, err := identity.New(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	g := &gatekeeper{l: l, op: op, id: id}
	l.MustSend(op, func(n uint64) chain.Msg {
		return chain.RegisterGatekeeper{TEE: "sim", PublicKey: id.PublicKey(), Endpoint: "http://gk.test", Quote: []byte{1}, Nonce: n}
	})
	return g
}

func (g *gatekeeper) cluster(e uint64) keys.Cluster { return g.masters[e].Cluster(keys.DefaultCluster) }

func (g *gatekeeper) sign(m chain.GatekeeperMsg) chain.GatekeeperMsg {
	d := m.IdentityDigest(testchain.ChainID)
	return m.WithIdentitySig(g.id.Sign(d[:]))
}

// publish makes the next epoch's master key and publishes the epoch (the
// admin's RotateKeys must come first for epochs after 0).
func (g *gatekeeper) publish(t *testing.T) uint64 {
	t.Helper()
	m, err := keys.NewMaster(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	g.masters = append(g.masters, m)
	e := uint64(len(g.masters) - 1)
	pub, err := g.cluster(e).PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	msg := g.sign(chain.PublishEpoch{Epoch: e, ClusterPublicKey: pub}).(chain.PublishEpoch)
	g.l.MustSend(g.op, func(n uint64) chain.Msg { msg.Nonce = n; return msg })
	return e
}

// provision seals epoch e's cluster key to the worker and posts it.
func (g *gatekeeper) provision(t *testing.T, w cove.Hash, e uint64) {
	t.Helper()
	rec, err := g.l.View().Worker(w)
	if err != nil {
		t.Fatal(err)
	}
	k, err := idkey.Parse(rec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.Seal(keys.ProvisionInfo("worker", w, e), g.cluster(e).Bytes())
	if err != nil {
		t.Fatal(err)
	}
	msg := g.sign(chain.ProvisionKey{Recipient: w, Epoch: e, Sealed: sealed}).(chain.ProvisionKey)
	g.l.MustSend(g.op, func(n uint64) chain.Msg { msg.Nonce = n; return msg })
}

// env is a worker on a test chain, run by the test, with a gatekeeper and
// an agent owner.
type env struct {
	l     *testchain.Ledger
	w     *worker.Server
	gk    *gatekeeper
	admin *testchain.Key
	owner *testchain.Key
	blobs *memBlobs
	logs  *syncbuf.Buffer
	// dir is the worker's data dir.
	dir string
	// deploys counts deployments, for fresh salts.
	deploys int
}

const endpoint = "http://worker.test:8700"

// newEnv starts a worker whose chain has a gatekeeper and epoch 0, and
// waits until the worker registered itself. Provisioning is the test's
// call (env.provision).
func newEnv(t *testing.T, cfg worker.Config) *env {
	t.Helper()
	admin, op, gkOp, owner := testchain.NewKey(t), testchain.NewKey(t), testchain.NewKey(t), testchain.NewKey(t)
	l := testchain.New(t, admin.Address(), testchain.Fund(op.Address(), gkOp.Address(), owner.Address()), testchain.Verifier(testchain.AnyQuote{}))
	dir := t.TempDir()
	p, err := sim.Open(filepath.Join(dir, "tee"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{l: l, admin: admin, owner: owner, blobs: &memBlobs{m: map[string][]byte{}}, logs: &syncbuf.Buffer{}, dir: filepath.Join(dir, "worker")}
	log := slog.New(slog.NewTextHandler(e.logs, nil))
	e.w, err = worker.New(cfg, log, p, roleChain{l, txsend.New(l, op)}, e.blobs, e.dir)
	if err != nil {
		t.Fatal(err)
	}
	e.gk = newGatekeeper(t, l, gkOp)
	e.gk.publish(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.w.Run(ctx, endpoint) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker.Run: %v", err)
		}
	})
	eventually(t, "the worker to register", func() bool { _, err := l.View().Worker(e.w.ID()); return err == nil })
	return e
}

// provision provisions epoch e to the worker and waits until it holds it.
func (e *env) provision(t *testing.T, epoch uint64) {
	t.Helper()
	e.gk.provision(t, e.w.ID(), epoch)
	eventually(t, "the worker to open its cluster key", func() bool { return e.w.Ready() == nil })
}

// deploy deploys code as owner's agent, with secrets sealed to epoch 0.
func (e *env) deploy(t *testing.T, code string, secrets map[string]string) cove.AgentID {
	t.Helper()
	return e.deployWith(t, code, secrets, "")
}

// deployWith is deploy with an isolation.
func (e *env) deployWith(t *testing.T, code string, secrets map[string]string, isolation string) cove.AgentID {
	t.Helper()
	b := []byte(code)
	cid := e.blobs.Put(b)
	e.deploys++
	salt := cove.Hash{byte(e.deploys)}
	id := cove.DeriveAgentID(e.owner.Address(), cove.SHA256(b), salt)
	var sealed []byte
	if len(secrets) > 0 {
		pub, _ := e.gk.cluster(0).PublicKey()
		var err error
		if sealed, err = secret.Seal(pub, 0, id, secrets); err != nil {
			t.Fatal(err)
		}
	}
	e.l.MustSend(e.owner, func(n uint64) chain.Msg {
		return chain.DeployAgent{CID: cid, CodeHash: cove.SHA256(b), Salt: salt, Secrets: sealed, Isolation: isolation, Nonce: n}
	})
	return id
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// agent code in the bundle form the sandbox runs (package bundle's output).
const greeter = `var __cove_agent = { default: { async fetch(req, env) {
  const u = new URL(req.url);
  const body = await req.text();
  return new Response(JSON.stringify({greeting: env.GREETING + " " + u.searchParams.get("name"), path: u.pathname, body, caller: req.headers.get("x-caller")}),
    {status: 201, headers: {"content-type": "application/json", "x-agent": "yes", "cove-signature": "0xforged"}});
} } };`

func call(method, path, body string) cove.Call {
	return cove.Call{Method: method, Path: "/agents/0x" + strings.Repeat("0", 64) + path, URL: "http://gw.test" + path, Host: "gw.test",
		Header: cove.Header{"X-Caller": {"ada"}}, Body: []byte(body)}
}

// check verifies a response's version-2 receipt against the call c.
func check(t *testing.T, c cove.Call, resp *cove.Response) {
	t.Helper()
	if resp.Receipt == nil {
		t.Fatal("no receipt")
	}
	err := receipt.Check(*resp.Receipt, receipt.Exchange{Method: c.Method, Target: c.Path, Host: c.Host, RequestBody: c.Body,
		Status: resp.Status, Header: http.Header(resp.Header), Body: resp.Body})
	if err != nil || !resp.Receipt.Receipt.CoversHeaders() {
		t.Fatalf("receipt version %d: %v", resp.Receipt.Receipt.V(), err)
	}
}

// TestInvoke: a call runs the agent with its secrets and comes back with a
// receipt signed by the agent's attestor over exactly this request and
// response; the invocation is in the agent's log.
func TestInvoke(t *testing.T) {
	e := newEnv(t, worker.DefaultConfig())
	e.provision(t, 0)
	id := e.deploy(t, greeter, map[string]string{"GREETING": "Hello"})
	c := call(http.MethodPost, "/hi?name=Ada", "ping")
	resp, err := e.w.Invoke(context.Background(), id, c)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(resp.Body, &got); err != nil {
		t.Fatalf("body %s: %v", resp.Body, err)
	}
	if resp.Status != 201 || got["greeting"] != "Hello Ada" || got["path"] != "/hi" || got["body"] != "ping" || got["caller"] != "ada" {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	if h := http.Header(resp.Header); h.Get("X-Agent") != "yes" || h.Get("Cove-Signature") != "" {
		t.Fatalf("headers %v: want the agent's, without ones only Cove may set", resp.Header)
	}
	if resp.Stream != nil || resp.Receipt == nil || resp.RequestID == "" {
		t.Fatalf("response %+v: want a buffered body with a receipt", resp)
	}
	check(t, c, resp)
	rec, _ := e.l.View().Agent(id)
	att := e.gk.cluster(0).Agent(id).Attestor().Address()
	if r := resp.Receipt.Receipt; resp.Receipt.Signer != att || r.Agent != id || r.CodeHash != rec.CodeHash {
		t.Fatalf("receipt %+v, want agent %s code %s signed by %s", resp.Receipt, id, rec.CodeHash, att)
	}
	// Until a gatekeeper publishes it, the worker derives the attestor.
	if got := e.w.Attestor(id); got != att {
		t.Fatalf("Attestor %s, want %s", got, att)
	}
	logs := e.w.Logs(id, 10)
	if len(logs) != 1 || logs[0].RequestID != resp.RequestID || logs[0].Status != 201 || logs[0].Path != c.Path {
		t.Fatalf("logs %+v", logs)
	}
	// HEAD sends no body, and the receipt covers the empty body.
	head := call(http.MethodHead, "/hi?name=Ada", "")
	resp, err = e.w.Invoke(context.Background(), id, head)
	if err != nil || resp.Body != nil {
		t.Fatalf("HEAD: %+v, %v", resp, err)
	}
	check(t, head, resp)
}

// TestInvokeAgentFailures: what goes wrong in the agent is still a signed
// answer, in the one error envelope, with a status and code per cause.
func TestInvokeAgentFailures(t *testing.T) {
	cfg := worker.DefaultConfig()
	cfg.Limits.Timeout = 300 * time.Millisecond
	e := newEnv(t, cfg)
	e.provision(t, 0)
	cases := []struct {
		name, code string
		status     int
		errCode    string
	}{
		{"throws", `var __cove_agent = { default: { fetch() { throw new Error("boom-secret-7c1d") } } };`, 500, worker.CodeAgentError},
		{"loops", `var __cove_agent = { default: { fetch() { for (;;) {} } } };`, 504, worker.CodeLimit},
		{"syntax", `var __cove_agent = {`, 500, worker.CodeCompile},
	}
	var thrower cove.AgentID
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := e.deploy(t, c.code, nil)
			if c.name == "throws" {
				thrower = id
			}
			in := call(http.MethodGet, "/", "")
			resp, err := e.w.Invoke(context.Background(), id, in)
			if err != nil {
				t.Fatal(err)
			}
			var eb api.ErrorBody
			if json.Unmarshal(resp.Body, &eb) != nil || resp.Status != c.status || eb.Error.Code != c.errCode || eb.RequestID != resp.RequestID {
				t.Fatalf("%d %s, want %d %s", resp.Status, resp.Body, c.status, c.errCode)
			}
			check(t, in, resp)
		})
	}
	// The agent's message is the owner's, in its sealed log, not the
	// host's: the worker's own log has the failure's code only.
	if logs := e.w.Logs(thrower, 1); len(logs) != 1 || !strings.Contains(logs[0].Error, "boom-secret-7c1d") {
		t.Fatalf("control: the agent's log holds %+v, want its message", logs)
	}
	hostLog := e.logs.String()
	if !strings.Contains(hostLog, "code="+worker.CodeAgentError) || strings.Contains(hostLog, "boom-secret-7c1d") {
		t.Errorf("the host log should name the failure's code, not the agent's message:\n%s", hostLog)
	}
}

// TestInvokeRefusals: Invoke refuses, unsigned, what it cannot answer for:
// each case changes one thing of a call that succeeds (the control).
func TestInvokeRefusals(t *testing.T) {
	cfg := worker.DefaultConfig()
	cfg.MaxRequestBytes = 8
	e := newEnv(t, cfg)
	id := e.deploy(t, greeter, nil)
	refused := func(what string, id cove.AgentID, c cove.Call, status int, code string) *cove.Error {
		t.Helper()
		resp, err := e.w.Invoke(context.Background(), id, c)
		var ce *cove.Error
		if !errors.As(err, &ce) || ce.Status != status || ce.Code != code || ce.Message == "" {
			t.Fatalf("%s: %+v, %v; want a cove.Error %d %s", what, resp, err, status, code)
		}
		return ce
	}
	// No key yet: the worker cannot sign for the agent.
	ce := refused("not provisioned", id, call("GET", "/", ""), 503, worker.CodeNotProvisioned)
	if !errors.Is(ce, worker.ErrNotProvisioned) || ce.RetryAfter <= 0 {
		t.Fatalf("not provisioned: %+v", ce)
	}
	if e.w.Ready() == nil {
		t.Fatal("Ready before any key")
	}
	e.provision(t, 0)
	if resp, err := e.w.Invoke(context.Background(), id, call("GET", "/", "12345678")); err != nil || resp.Status != 201 {
		t.Fatalf("control: %+v, %v", resp, err)
	}
	refused("unknown agent", cove.AgentID{1}, call("GET", "/", ""), 404, worker.CodeAgentNotFound)
	refused("body over the bound", id, call("GET", "/", "123456789"), 413, worker.CodeTooLarge)
	// An agent whose code no node holds is a signed 503.
	missing := []byte(`var __cove_agent = { default: { fetch() { return new Response("x") } } };`)
	e.l.MustSend(e.owner, func(n uint64) chain.Msg {
		return chain.DeployAgent{CID: cid.Of(missing), CodeHash: cove.SHA256(missing), Salt: cove.Hash{9}, Nonce: n}
	})
	gone := cove.DeriveAgentID(e.owner.Address(), cove.SHA256(missing), cove.Hash{9})
	resp, err := e.w.Invoke(context.Background(), gone, call("GET", "/", ""))
	if err != nil || resp.Status != 503 || !strings.Contains(string(resp.Body), worker.CodeNoBundle) || resp.Receipt == nil {
		t.Fatalf("missing code: %+v, %v", resp, err)
	}
}

// TestInvokeEpochs: an agent's keys come from the cluster key of its own
// epoch, so a rotation does not change its attestor, and a worker that
// lacks that epoch's key refuses rather than signing with another.
func TestInvokeEpochs(t *testing.T) {
	e := newEnv(t, worker.DefaultConfig())
	e.provision(t, 0)
	old := e.deploy(t, greeter, map[string]string{"GREETING": "Hi"})
	e.l.MustSend(e.admin, func(n uint64) chain.Msg { return chain.RotateKeys{Nonce: n} })
	e.gk.publish(t)
	fresh := e.deploy(t, greeter, nil) // deployed at epoch 1
	if rec, _ := e.l.View().Agent(fresh); rec.KeyEpoch != 1 {
		t.Fatalf("new agent at epoch %d", rec.KeyEpoch)
	}
	if _, err := e.w.Invoke(context.Background(), fresh, call("GET", "/", "")); !errors.Is(err, worker.ErrNotProvisioned) {
		t.Fatalf("epoch-1 agent without the epoch-1 key: %v", err)
	}
	e.gk.provision(t, e.w.ID(), 1)
	eventually(t, "epoch 1 to open", func() bool {
		_, err := e.w.Invoke(context.Background(), fresh, call("GET", "/", ""))
		return err == nil
	})
	resp, err := e.w.Invoke(context.Background(), old, call("GET", "/?name=x", ""))
	if err != nil || resp.Receipt.Signer != e.gk.cluster(0).Agent(old).Attestor().Address() || !strings.Contains(string(resp.Body), "Hi x") {
		t.Fatalf("epoch-0 agent after the rotation: %+v, %v", resp, err)
	}
}

// TestRunRegisters: Run registers the worker once, with its endpoint and
// its TEE, and a worker whose chain cannot send says so and does not
// retry.
func TestRunRegisters(t *testing.T) {
	e := newEnv(t, worker.DefaultConfig())
	rec, err := e.l.View().Worker(e.w.ID())
	if err != nil || rec.Endpoint != endpoint || rec.TEE != "sim" {
		t.Fatalf("worker record %+v, %v", rec, err)
	}

	// A node without an operator key: the chain refuses to send for it.
	dir := t.TempDir()
	p, err := sim.Open(filepath.Join(dir, "tee"))
	if err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	counted := &countingChain{roleChain: roleChain{e.l, nil}}
	w, err := worker.New(worker.DefaultConfig(), slog.New(slog.NewTextHandler(&logs, nil)), p,
		counted, e.blobs, filepath.Join(dir, "worker"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, endpoint) }()
	eventually(t, "the worker to say it cannot register", func() bool {
		return strings.Contains(logs.String(), "worker not registered") && strings.Contains(logs.String(), txsend.ErrNoKey.Error())
	})
	// Give a retry time to happen (the first comes after 100 ms): there
	// must be none.
	time.Sleep(500 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := e.l.View().Worker(w.ID()); err == nil {
		t.Fatal("a worker registered without a key to send with")
	}
	if n := counted.sends.Load(); n != 1 {
		t.Fatalf("the worker tried to register %d times, want once", n)
	}
	if n := strings.Count(logs.String(), "worker not registered"); n != 1 {
		t.Fatalf("said %d times", n)
	}
}

// countingChain counts the worker's sends.
type countingChain struct {
	roleChain
	sends atomic.Int64
}

func (c *countingChain) Send(ctx context.Context, build func(uint64) chain.Msg) (chain.TxOutcome, error) {
	c.sends.Add(1)
	return c.roleChain.Send(ctx, build)
}

// Operator counts as an attempt to send: the worker asks for its operator
// (to quote for it) before it sends.
func (c *countingChain) Operator() (cove.Address, error) {
	c.sends.Add(1)
	return c.roleChain.Operator()
}

// TestInvokeStatus: an agent's status outside 200-599 (a 1xx would be sent
// as 200, above 599 does not exist) is refused as a signed 502
// agent_bad_status naming it; 200 and 599 are the controls. A 204 or 304
// carries no body, and a 304 no Content-Type (Go's server drops them): the
// receipt covers what is sent.
func TestInvokeStatus(t *testing.T) {
	e := newEnv(t, worker.DefaultConfig())
	e.provision(t, 0)
	// A request-JSON agent answers with the status the request's body names.
	id := e.deploy(t, `var __cove_agent = { default: function (request) {
		const status = JSON.parse(JSON.parse(request).body);
		return JSON.stringify({ status, headers: { "content-type": "text/plain", location: "/x" }, body: "some body" });
	} };`, nil)
	for _, tt := range []struct {
		status, want int
	}{
		{200, 200}, {599, 599}, {100, 502}, {101, 502}, {199, 502}, {600, 502}, {0, 502}, {-1, 502},
	} {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			c := call(http.MethodPost, "/", strconv.Itoa(tt.status))
			resp, err := e.w.Invoke(context.Background(), id, c)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tt.want {
				t.Fatalf("status %d, want %d: %s", resp.Status, tt.want, resp.Body)
			}
			check(t, c, resp)
			if tt.want != 502 {
				if string(resp.Body) != "some body" {
					t.Fatalf("body %q", resp.Body)
				}
				return
			}
			var eb api.ErrorBody
			if json.Unmarshal(resp.Body, &eb) != nil || eb.Error.Code != worker.CodeBadStatus || !strings.Contains(eb.Error.Message, "status "+strconv.Itoa(tt.status)) {
				t.Fatalf("body %s: want %s naming status %d", resp.Body, worker.CodeBadStatus, tt.status)
			}
		})
	}
	for _, tt := range []struct {
		method      string
		status      int
		contentType string
	}{
		{http.MethodPost, 204, "text/plain"}, {http.MethodPost, 304, ""}, {http.MethodHead, 304, ""}, {http.MethodHead, 200, "text/plain"},
	} {
		t.Run(tt.method+" "+strconv.Itoa(tt.status), func(t *testing.T) {
			c := call(tt.method, "/", strconv.Itoa(tt.status))
			resp, err := e.w.Invoke(context.Background(), id, c)
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header(resp.Header)
			if resp.Status != tt.status || resp.Body != nil || h.Get("Content-Type") != tt.contentType || h.Get("Location") != "/x" {
				t.Fatalf("%d %q %v: want no body, Content-Type %q", resp.Status, resp.Body, resp.Header, tt.contentType)
			}
			check(t, c, resp)
		})
	}
}

// TestInvokeIsolation: an agent deployed with the default isolation keeps
// its module state between calls (a warm VM), and loses it on upgrade (a
// new version, new VMs); one deployed with isolation "request" starts
// fresh on every call; another agent with the same code never sees the
// first one's state.
func TestInvokeIsolation(t *testing.T) {
	e := newEnv(t, worker.DefaultConfig())
	e.provision(t, 0)
	const counter = `var __cove_agent = { default: { fetch() { globalThis.n = (globalThis.n || 0) + 1; return new Response(String(globalThis.n)); } } };`
	calls := func(id cove.AgentID, n int) string {
		var out []string
		for range n {
			resp, err := e.w.Invoke(context.Background(), id, call("GET", "/", ""))
			if err != nil || resp.Status != 200 {
				t.Fatalf("call: %+v, %v", resp, err)
			}
			out = append(out, string(resp.Body))
		}
		return strings.Join(out, ",")
	}
	warm := e.deploy(t, counter, nil)
	if got := calls(warm, 3); got != "1,2,3" {
		t.Fatalf("default isolation: %s, want 1,2,3 (module state kept in the agent's warm VM)", got)
	}
	other := e.deployWith(t, counter, nil, cove.IsolationAgent)
	if got := calls(other, 1); got != "1" {
		t.Fatalf("another agent with the same code: %s, want 1 (its own VM)", got)
	}
	fresh := e.deployWith(t, counter, nil, cove.IsolationRequest)
	if got := calls(fresh, 3); got != "1,1,1" {
		t.Fatalf("isolation request: %s, want 1,1,1 (a fresh VM per call)", got)
	}
	rec, err := e.l.View().Agent(warm)
	if err != nil {
		t.Fatal(err)
	}
	upgraded := []byte(counter + " // v2")
	cid := e.blobs.Put(upgraded)
	e.l.MustSend(e.owner, func(n uint64) chain.Msg {
		return chain.UpgradeAgent{Agent: warm, CID: cid, CodeHash: cove.SHA256(upgraded), Nonce: n}
	})
	if got := calls(warm, 2); got != "1,2" || rec.Version != 1 {
		t.Fatalf("after an upgrade: %s, want 1,2 (the new version in new VMs)", got)
	}
}

// TestInvokeIsolationNewSecrets: an upgrade that changes only the secrets
// (a new version, the same code) starts new warm VMs, whose process.env
// and env hold the new secrets; the calls before it ran warm with the old.
func TestInvokeIsolationNewSecrets(t *testing.T) {
	e := newEnv(t, worker.DefaultConfig())
	e.provision(t, 0)
	const code = `var __cove_agent = { default: { fetch(req, env) { globalThis.n = (globalThis.n || 0) + 1; return new Response(globalThis.n + " " + process.env.K + " " + env.K); } } };`
	id := e.deploy(t, code, map[string]string{"K": "old"})
	get := func() string {
		resp, err := e.w.Invoke(context.Background(), id, call("GET", "/", ""))
		if err != nil || resp.Status != 200 {
			t.Fatalf("call: %+v, %v", resp, err)
		}
		return string(resp.Body)
	}
	if a, b := get(), get(); a != "1 old old" || b != "2 old old" {
		t.Fatalf("before the upgrade: %q, %q; want 1 old old, 2 old old (one warm VM)", a, b)
	}
	pub, _ := e.gk.cluster(0).PublicKey()
	sealed, err := secret.Seal(pub, 0, id, map[string]string{"K": "new"})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := e.l.View().Agent(id)
	e.l.MustSend(e.owner, func(n uint64) chain.Msg {
		return chain.UpgradeAgent{Agent: id, CID: rec.CID, CodeHash: rec.CodeHash, Secrets: sealed, Nonce: n}
	})
	if got := get(); got != "1 new new" {
		t.Fatalf("after new secrets: %q, want 1 new new (a new VM with the new secrets)", got)
	}
}

// TestInvokeBatchedReceipts: calls of one agent answered at the same time
// share receipt signatures (version 3, ADR 18), and each response's
// receipt still checks against its own call alone; with receipt_batch = 1
// every response is signed alone (version 2).
func TestInvokeBatchedReceipts(t *testing.T) {
	burst := func(t *testing.T, e *env, id cove.AgentID) (v3 int, sigs map[[65]byte]int) {
		t.Helper()
		const n = 64
		calls := make([]cove.Call, n)
		resps := make([]*cove.Response, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			calls[i] = call(http.MethodPost, fmt.Sprintf("/hi?name=c%d", i), fmt.Sprint("body ", i))
			wg.Go(func() { resps[i], errs[i] = e.w.Invoke(context.Background(), id, calls[i]) })
		}
		wg.Wait()
		sigs = map[[65]byte]int{}
		for i := range n {
			if errs[i] != nil || resps[i].Status != 201 {
				t.Fatalf("call %d: %v %+v", i, errs[i], resps[i])
			}
			check(t, calls[i], resps[i])
			if resps[i].Receipt.Receipt.V() == cove.ReceiptV3 {
				v3++
			}
			sigs[resps[i].Receipt.Signature]++
		}
		return v3, sigs
	}
	// A signature made slower (5 ms) makes the calls meet at the signer,
	// whatever the scheduling.
	start := func(t *testing.T, cfg worker.Config) (*env, cove.AgentID) {
		e := newEnv(t, cfg)
		e.provision(t, 0)
		id := e.deploy(t, greeter, map[string]string{"GREETING": "Hello"})
		c := call(http.MethodGet, "/hi", "")
		resp, err := e.w.Invoke(context.Background(), id, c)
		if err != nil {
			t.Fatal(err)
		}
		check(t, c, resp)
		if v := resp.Receipt.Receipt.V(); v != cove.ReceiptV2 {
			t.Fatalf("a call alone got a version-%d receipt, want 2 (signed alone, at once)", v)
		}
		e.w.SlowReceipts(id, 5*time.Millisecond)
		return e, id
	}
	t.Run("default", func(t *testing.T) {
		e, id := start(t, worker.DefaultConfig())
		v3, sigs := burst(t, e, id)
		largest := 0
		for _, c := range sigs {
			largest = max(largest, c)
		}
		t.Logf("%d of 64 receipts in batches, %d signatures, the largest batch %d", v3, len(sigs), largest)
		if v3 < 32 || largest > receipt.DefaultBatch {
			t.Fatalf("%d of 64 calls at once signed in batches, the largest %d (bound %d)", v3, largest, receipt.DefaultBatch)
		}
	})
	t.Run("receipt_batch 1", func(t *testing.T) {
		cfg := worker.DefaultConfig()
		cfg.ReceiptBatch = 1
		e, id := start(t, cfg)
		if v3, sigs := burst(t, e, id); v3 != 0 || len(sigs) != 64 {
			t.Fatalf("receipt_batch 1: %d version-3 receipts, %d signatures for 64 calls", v3, len(sigs))
		}
	})
	t.Run("receipt_batch out of range", func(t *testing.T) {
		cfg := worker.DefaultConfig()
		for _, n := range []int{-1, 257} {
			cfg.ReceiptBatch = n
			if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "receipt_batch") {
				t.Fatalf("receipt_batch %d: %v", n, err)
			}
		}
		cfg.ReceiptBatch = 256
		if err := cfg.Validate(); err != nil {
			t.Fatalf("receipt_batch 256 (the control): %v", err)
		}
	})
}
