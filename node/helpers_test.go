package node_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/bundle"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/ethsig"
	"github.com/cove-network/cove/internal/jstest"
	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/cove-network/cove/internal/testport"
	"github.com/cove-network/cove/node"
	"github.com/cove-network/cove/receipt"
	"github.com/cove-network/cove/worker"
)

var examples = filepath.Join("..", "examples")

// quiet drops CometBFT's debug lines (several per block) from a node log.
func quiet(log string) string {
	var b strings.Builder
	for line := range strings.Lines(log) {
		if strings.Contains(line, "component=cometbft") && strings.Contains(line, "level=DEBUG") {
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

// testSigner is an account key made in the test (no key store, no scrypt).
// Its mutex serializes the transactions it signs: a sender's nonces are
// sequential, so two concurrent sends would race for the same nonce.
type testSigner struct {
	mu   sync.Mutex
	priv *ecdsa.PrivateKey
	addr cove.Address
	file string // the keystore file, once written
}

func newSigner(t testing.TB) *testSigner {
	t.Helper()
	priv, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return &testSigner{priv: priv, addr: cove.Address(crypto.PubkeyToAddress(priv.PublicKey))}
}

func (s *testSigner) Address() cove.Address { return s.addr }

// keystore writes the key to a keystore file without passphrase (light
// scrypt) and returns its path, for a node's operator setting.
func (s *testSigner) keystore(t testing.TB) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file != "" {
		return s.file
	}
	st, err := account.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Import("operator", []byte(hex.EncodeToString(crypto.FromECDSA(s.priv))), "", ""); err != nil {
		t.Fatal(err)
	}
	s.file = filepath.Join(st.Dir(), "operator.json")
	return s.file
}

func (s *testSigner) Sign(d cove.Hash) ([65]byte, error) {
	return ethsig.Sign(s.priv, d)
}

// freeAddr returns a loopback address for a listener configured before it
// starts (see internal/testport: outside the range ":0" listeners get).
func freeAddr(t testing.TB) string {
	t.Helper()
	return testport.Addr(t)
}

// newConfig returns the dev defaults with a fresh data directory holding the
// chain, free loopback ports, CometBFT's RPC off and fast blocks.
func newConfig(t testing.TB) node.Config {
	t.Helper()
	cfg := node.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Validator.Home = filepath.Join(cfg.DataDir, "chain")
	cfg.Validator.P2PAddr = freeAddr(t)
	cfg.Validator.RPCAddr = ""
	cfg.Validator.BlockInterval = 50 * time.Millisecond
	return cfg
}

// testNode is a real node serving on 127.0.0.1.
type testNode struct {
	cfg  node.Config
	n    *node.Node
	base string
	c    *client.Client
	dev  *testSigner // funded by genesis, the governance admin
	logs *syncbuf.Buffer
	stop func() // cancels Run and waits for it; idempotent
}

// startNode makes the dev chain funding dev (unless cfg's chain exists),
// builds a node from cfg, serves it on 127.0.0.1:0 and waits until it is
// healthy. The node is stopped at cleanup.
func startNode(t *testing.T, cfg node.Config, dev *testSigner) *testNode {
	t.Helper()
	if cfg.Operator == "" {
		// An operator key of its own, funded in genesis, registers the
		// node's worker and gatekeeper, which provisions the worker through
		// the chain. (`cove dev` uses the dev key; a test's own sends with
		// the dev key would race the node's for nonces.)
		op := newSigner(t)
		if _, err := node.InitDev(cfg, dev.Address(), op.Address()); err != nil {
			t.Fatalf("node.InitDev: %v", err)
		}
		cfg.Operator = op.keystore(t)
	} else if _, err := node.InitDev(cfg, dev.Address()); err != nil {
		t.Fatalf("node.InitDev: %v", err)
	}
	logs := &syncbuf.Buffer{}
	n, err := node.New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatalf("node.New: %v", err)
	}
	return runNode(t, cfg, n, dev, logs)
}

// runNode runs a node built by node.New and waits until it is healthy
// (its worker provisioned).
func runNode(t *testing.T, cfg node.Config, n *node.Node, dev *testSigner, logs *syncbuf.Buffer) *testNode {
	t.Helper()
	tn := runNodeUnready(t, cfg, n, dev, logs)
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	if err := tn.c.WaitHealthy(wctx); err != nil {
		t.Fatal(err)
	}
	return tn
}

// runNodeUnready runs a node built by node.New and waits until its gateway
// answers, healthy or not.
func runNodeUnready(t *testing.T, cfg node.Config, n *node.Node, dev *testSigner, logs *syncbuf.Buffer) *testNode {
	t.Helper()
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
			t.Logf("node log (without CometBFT's debug lines):\n%s", quiet(logs.String()))
		}
	})
	base := "http://" + ln.Addr().String()
	c, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the gateway to answer", func() bool {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return &testNode{cfg: cfg, n: n, base: base, c: c, dev: dev, logs: logs, stop: stop}
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
	jstest.Modules(t, filepath.Join(examples, example), "examples/"+example)
}

// build bundles the agent at path.
func build(t *testing.T, path string) []byte {
	t.Helper()
	b, err := bundle.Build(path)
	if err != nil {
		t.Fatalf("bundle %s: %v", path, err)
	}
	return b.Code
}

// deploy bundles and deploys the example (or any path) with secrets, signed
// by the dev key.
func (n *testNode) deploy(t *testing.T, path string, secrets map[string]string) api.AgentView {
	t.Helper()
	return n.deployAs(t, n.dev, path, client.DeployOptions{Secrets: secrets})
}

// deployAs bundles path (in parallel with other deployments) and deploys it
// signed by s (one transaction of s at a time).
func (n *testNode) deployAs(t *testing.T, s *testSigner, path string, opts client.DeployOptions) api.AgentView {
	t.Helper()
	code := build(t, path)
	opts.Signer = s
	s.mu.Lock()
	a, err := n.c.DeployCode(ctxFor(t, 60*time.Second), code, opts)
	s.mu.Unlock()
	if err != nil {
		t.Fatalf("deploy %s: %v", path, err)
	}
	if a.Attestor.IsZero() || a.Signer != a.Attestor {
		t.Fatalf("deploy %s: attestor %s, signer %s", path, a.Attestor, a.Signer)
	}
	if a.Owner != s.Address() || a.Version != 1 || a.CodeHash != cove.SHA256(code) {
		t.Fatalf("deploy %s: owner %s version %d code %s, want %s 1 %s", path, a.Owner, a.Version, a.CodeHash, s.Address(), cove.SHA256(code))
	}
	return a
}

// deployCode deploys code signed by s and returns the client's answer.
func (n *testNode) deployCode(t *testing.T, s *testSigner, code []byte, opts client.DeployOptions) (api.AgentView, error) {
	t.Helper()
	opts.Signer = s
	s.mu.Lock()
	defer s.mu.Unlock()
	return n.c.DeployCode(ctxFor(t, 60*time.Second), code, opts)
}

// call calls agent a and checks that the response carries a receipt signed
// by the agent's attestor covering this exact request and response.
func (n *testNode) call(t *testing.T, a api.AgentView, method, path string, body []byte, h http.Header) *client.Response {
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

func (n *testNode) get(t *testing.T, a api.AgentView, path string) *client.Response {
	t.Helper()
	return n.call(t, a, http.MethodGet, path, nil, nil)
}

func wantResponse(t *testing.T, resp *client.Response, status int, body string) {
	t.Helper()
	if resp.Status != status || string(resp.Body) != body {
		t.Fatalf("%s %s: got %d %s\nwant %d %s", resp.Method, resp.RequestURI, resp.Status, resp.Body, status, body)
	}
}

// workerError checks a worker-made error response: JSON with the given
// status and error code, and the request id in the body and the header.
func workerError(t *testing.T, resp *client.Response, status int, code string) api.ErrorBody {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status %d, want %d; body %s", resp.Status, status, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q, want JSON; body %s", ct, resp.Body)
	}
	var eb api.ErrorBody
	if err := json.Unmarshal(resp.Body, &eb); err != nil {
		t.Fatalf("body %s: %v", resp.Body, err)
	}
	if eb.Error.Code != code || eb.Error.Message == "" {
		t.Fatalf("error code %q message %q, want code %q; body %s", eb.Error.Code, eb.Error.Message, code, resp.Body)
	}
	if eb.RequestID == "" || eb.RequestID != resp.Header.Get("Cove-Request-Id") {
		t.Fatalf("requestId %q, header Cove-Request-Id %q", eb.RequestID, resp.Header.Get("Cove-Request-Id"))
	}
	return eb
}

// limitError checks a worker-made limit error: JSON with error.code
// limit_exceeded, error.limit, a message naming the limit and the request id.
func limitError(t *testing.T, resp *client.Response, status int, limit string) api.ErrorBody {
	t.Helper()
	eb := workerError(t, resp, status, worker.CodeLimit)
	if eb.Error.Limit != limit {
		t.Fatalf("error limit %q, want %q; body %s", eb.Error.Limit, limit, resp.Body)
	}
	if !strings.Contains(eb.Error.Message, limit+" limit") {
		t.Fatalf("message %q does not name the %s limit", eb.Error.Message, limit)
	}
	return eb
}

// rawResponse is an HTTP answer read whole.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// do sends a raw request.
func do(t *testing.T, method, u, body string) rawResponse {
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
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// jsonError sends a raw request and checks that the answer is a JSON gateway
// error with the given status and code.
func jsonError(t *testing.T, method, u, body string, status int, code string) {
	t.Helper()
	r := do(t, method, u, body)
	if r.status != status {
		t.Errorf("%s %s: status %d, want %d; body %s", method, u, r.status, status, r.body)
		return
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: content type %q, want application/json", method, u, ct)
	}
	var eb api.ErrorBody
	if err := json.Unmarshal(r.body, &eb); err != nil || eb.Error.Code != code || eb.Error.Message == "" {
		t.Errorf("%s %s: body %s, want error code %q with a message", method, u, r.body, code)
	}
	if r.header.Get(receipt.HeaderReceipt) != "" {
		t.Errorf("%s %s: a gateway error carries a receipt", method, u)
	}
}

// getJSON GETs u and decodes its 200 JSON answer into v.
func getJSON(t *testing.T, u string, v any) []byte {
	t.Helper()
	r := do(t, http.MethodGet, u, "")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %q %s", u, r.status, r.header.Get("Content-Type"), r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", u, err, r.body)
	}
	return r.body
}

// eventually polls cond every 20 ms until it holds, failing the test if it
// does not within d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("%s: not within %s", what, d)
		case <-tick.C:
		}
	}
}

// newNode builds a node from cfg, logging to logs.
func newNode(t *testing.T, cfg node.Config, logs *syncbuf.Buffer) *node.Node {
	t.Helper()
	n, err := node.New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatalf("node.New: %v", err)
	}
	return n
}

// fundedSigner returns a new key holding 10 COVE sent by the dev key, for a
// test that needs a sender of its own (nonces it alone uses).
func (n *testNode) fundedSigner(t *testing.T) *testSigner {
	t.Helper()
	s := newSigner(t)
	n.fund(t, s.Address(), tenCOVE)
	return s
}

var tenCOVE = new(big.Int).Mul(big.NewInt(10), big.NewInt(1e18))

// fund sends amount from the dev key to addr and checks the outcome.
func (n *testNode) fund(t *testing.T, addr cove.Address, amount *big.Int) chain.TxOutcome {
	t.Helper()
	n.dev.mu.Lock()
	out, err := n.c.Transfer(ctxFor(t, 30*time.Second), n.dev, addr, amount)
	n.dev.mu.Unlock()
	if err != nil {
		t.Fatalf("fund %s: %v", addr, err)
	}
	if out.Code != 0 || out.Height < 1 || len(out.Hash) != 66 {
		t.Fatalf("fund %s: outcome %+v", addr, out)
	}
	return out
}

// upgrade sends an UpgradeAgent transaction for id with the code at path,
// signed by s, and fails the test if it is refused.
func (n *testNode) upgrade(t *testing.T, s *testSigner, id cove.AgentID, path string, secrets map[string]string) api.AgentView {
	t.Helper()
	a, err := n.tryUpgrade(t, s, id, path, secrets)
	if err != nil {
		t.Fatalf("upgrade %s to %s: %v", id, path, err)
	}
	return a
}

func (n *testNode) tryUpgrade(t *testing.T, s *testSigner, id cove.AgentID, path string, secrets map[string]string) (api.AgentView, error) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	return n.c.Upgrade(ctxFor(t, 60*time.Second), id, path, s, secrets)
}

// chainAgent returns GET /v1/chain/agents/{id} decoded and as sent.
func (n *testNode) chainAgent(t *testing.T, id cove.AgentID) (chain.AgentRecord, []byte) {
	t.Helper()
	var rec chain.AgentRecord
	raw := getJSON(t, n.base+"/v1/chain/agents/"+id.String(), &rec)
	return rec, raw
}

// chainAccount returns GET /v1/chain/accounts/{addr} as its fields' JSON
// text (a balance is `"5"`, a nonce `0`).
func (n *testNode) chainAccount(t *testing.T, addr string) map[string]string {
	t.Helper()
	var m map[string]json.RawMessage
	getJSON(t, n.base+"/v1/chain/accounts/"+addr, &m)
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

// blockAppHash asks CometBFT's RPC at rpc for the header of block height
// (polling until it exists) and returns its app_hash, 0x-hex in lower case:
// the app hash of height-1.
func blockAppHash(t *testing.T, rpc string, height int64) string {
	t.Helper()
	var hash string
	eventually(t, 20*time.Second, fmt.Sprintf("block %d from the CometBFT RPC", height), func() bool {
		resp, err := http.Get(fmt.Sprintf("http://%s/block?height=%d", rpc, height))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var out struct {
			Result struct {
				Block struct {
					Header struct {
						AppHash string `json:"app_hash"`
					} `json:"header"`
				} `json:"block"`
			} `json:"result"`
		}
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil || out.Result.Block.Header.AppHash == "" {
			return false
		}
		hash = "0x" + strings.ToLower(out.Result.Block.Header.AppHash)
		return true
	})
	return hash
}

// copyHome copies a stopped node's data directory (which holds its chain
// home) to a new one and returns cfg pointing there.
func copyHome(t *testing.T, cfg node.Config) node.Config {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(cfg.DataDir)); err != nil {
		t.Fatalf("copy %s: %v", cfg.DataDir, err)
	}
	rel, err := filepath.Rel(cfg.DataDir, cfg.Validator.Home)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir, cfg.Validator.Home = dst, filepath.Join(dst, rel)
	return cfg
}
