package node_test

import (
	"crypto/ed25519"
	"io"
	"math/big"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/cove-network/cove/node"
	"github.com/cove-network/cove/tee/sim"
	"github.com/cove-network/cove/validator"
	"github.com/cove-network/cove/worker"
)

// operatorKey writes a keystore file without passphrase, as `cove keys`
// does, and returns its path and address.
func operatorKey(t *testing.T) (string, cove.Address) {
	t.Helper()
	dir := t.TempDir()
	st, err := account.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.New("operator", "")
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "operator.json"), info.Address
}

// workerView is an entry of GET /v1/chain/workers.
type workerView struct {
	ID          string `json:"id"`
	TEE         string `json:"tee"`
	Measurement string `json:"measurement"`
	Status      string `json:"status"`
	Operator    string `json:"operator"`
	Endpoint    string `json:"endpoint"`
}

func (n *testNode) workers(t *testing.T) []workerView {
	t.Helper()
	var out struct {
		Workers []workerView `json:"workers"`
	}
	getJSON(t, n.base+"/v1/chain/workers", &out)
	return out.Workers
}

func (n *testNode) nonce(addr cove.Address) (nonce uint64) {
	nonce = n.n.View().Account(addr).Nonce
	return nonce
}

// ownWorkerID returns the id of the worker identity sealed in cfg's data
// directory.
func ownWorkerID(t *testing.T, cfg node.Config) cove.Hash {
	t.Helper()
	p, err := sim.Open(filepath.Join(cfg.DataDir, "tee-sim"))
	if err != nil {
		t.Fatal(err)
	}
	id, created, err := worker.LoadIdentity(p, filepath.Join(cfg.DataDir, "worker", worker.IdentityFile))
	if err != nil || created {
		t.Fatalf("worker identity: created %v, %v", created, err)
	}
	return chain.WorkerID(id.PublicKey())
}

// TestRegisterWorker: a dev node registers its worker in the background
// with a sim quote of its own build; a restart finds it registered and
// sends nothing.
func TestRegisterWorker(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	var op cove.Address
	cfg.Operator, op = operatorKey(t)
	if _, err := node.InitDev(cfg, op); err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	n := runNode(t, cfg, newNode(t, cfg, logs), nil, logs)

	var ws []workerView
	eventually(t, 30*time.Second, "the worker on GET /v1/chain/workers", func() bool {
		ws = n.workers(t)
		return len(ws) > 0
	})
	m, err := sim.ExecutableMeasurement()
	if err != nil {
		t.Fatal(err)
	}
	want := workerView{
		ID: ownWorkerID(t, cfg).String(), TEE: "sim", Measurement: chain.Bytes(m[:]).String(),
		Status: "active", Operator: op.String(), Endpoint: n.base,
	}
	if len(ws) != 1 || ws[0] != want {
		t.Fatalf("workers %+v\nwant [%+v]", ws, want)
	}
	// The genesis allowed this build: RegisterWorker, then the node's
	// gatekeeper's RegisterGatekeeper, PublishEpoch 0, ProvisionKey to the
	// worker and, once that is done, PublishEpochSigner 0.
	waitEpochSigner(t, n)
	if got := n.nonce(op); got != 5 {
		t.Fatalf("operator nonce %d after registering, want 5", got)
	}
	if !strings.Contains(logs.String(), "worker registered") {
		t.Error("no log line says the worker registered")
	}

	// Restart: the identity unseals to the same key, the chain has it, and
	// no transaction is sent.
	n.stop()
	// From a copy of the home, as a new process sees it (reopening a home in
	// the process that closed it is TestRestart's concern).
	cfg = copyHome(t, cfg)
	logs2 := &syncbuf.Buffer{}
	n2 := runNode(t, cfg, newNode(t, cfg, logs2), nil, logs2)
	eventually(t, 30*time.Second, "the restarted node to find its worker registered", func() bool {
		return strings.Contains(logs2.String(), "worker already registered")
	})
	if ws := n2.workers(t); len(ws) != 1 || ws[0] != want {
		t.Fatalf("workers after restart %+v", ws)
	}
	if got := n2.nonce(op); got != 5 {
		t.Fatalf("operator nonce %d after restart, want 5: the node registered or provisioned again", got)
	}
}

// waitEpochSigner waits until the node's gatekeeper published epoch 0's
// EVM signer, the last of its start-up transactions.
func waitEpochSigner(t *testing.T, n *testNode) {
	t.Helper()
	eventually(t, 30*time.Second, "epoch 0's signer on chain", func() bool {
		eps := n.n.View().Epochs()
		return len(eps) > 0 && eps[0].Signer != nil
	})
}

// writeGenesis writes a dev chain whose genesis has no TEE policy (a chain
// made before attestation, or by hand), funding and administered by
// admin, with funded also funded.
func writeGenesis(t *testing.T, cfg node.Config, admin cove.Address, funded ...cove.Address) {
	t.Helper()
	keys, err := validator.InitKeys(cfg.Validator.Home, cfg.Validator.Moniker)
	if err != nil {
		t.Fatal(err)
	}
	funds := map[cove.Address]*big.Int{admin: node.DevFunds}
	for _, a := range funded {
		funds[a] = node.DevFunds
	}
	g := chain.DefaultGenesis(node.DevNumericChainID, admin, funds)
	g.Time = time.Now().UTC().Truncate(time.Second)
	// A development chain with an empty TEE policy (as an old dev genesis
	// had) whose changes apply at once.
	g.Development = true
	g.Params.TEE = chain.TEEPolicy{}
	if err := validator.WriteGenesis(cfg.Validator.Home, node.DevChainID, []chain.Validator{keys.Validator}, g); err != nil {
		t.Fatal(err)
	}
}

// TestRegisterDevAllowsItself: on a chain whose policy lacks this build
// (a rebuilt binary, an old genesis), a node whose operator is the admin
// allows its measurement and vendor key with UpdateParams, then registers.
func TestRegisterDevAllowsItself(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	var op cove.Address
	cfg.Operator, op = operatorKey(t)
	writeGenesis(t, cfg, op)
	logs := &syncbuf.Buffer{}
	n := runNode(t, cfg, newNode(t, cfg, logs), nil, logs)
	eventually(t, 30*time.Second, "the worker on GET /v1/chain/workers", func() bool {
		return len(n.workers(t)) == 1
	})
	waitEpochSigner(t, n)
	if got := n.nonce(op); got != 6 {
		t.Fatalf("operator nonce %d, want 6 (UpdateParams, RegisterWorker, RegisterGatekeeper, PublishEpoch, ProvisionKey, PublishEpochSigner)", got)
	}
	p := n.n.View().Params()
	m, _ := sim.ExecutableMeasurement()
	if !p.TEE.AllowsTEE("sim") || !p.TEE.AllowsMeasurement(m[:]) || len(p.TEE.SimVendorKeys) != 1 {
		t.Fatalf("policy after the dev node allowed itself: %+v", p.TEE)
	}
	if !strings.Contains(logs.String(), "allowing this build") {
		t.Error("the node did not say loudly that it allowed its own build")
	}
}

// TestRegisterRefusedNotProvisioned: an operator that is not the admin
// cannot change the policy; the refusal is logged and retried. Without an
// attested worker no gatekeeper provisions it, so the node holds no key:
// /healthz is 503 and agent calls answer an unsigned 503
// worker_not_provisioned.
func TestRegisterRefusedNotProvisioned(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	var op cove.Address
	cfg.Operator, op = operatorKey(t)
	adminFile, admin := operatorKey(t)
	writeGenesis(t, cfg, admin, op)
	logs := &syncbuf.Buffer{}
	n := runNodeUnready(t, cfg, newNode(t, cfg, logs), nil, logs)
	eventually(t, 30*time.Second, "the refusal in the log", func() bool {
		return strings.Contains(logs.String(), "worker registration refused") && strings.Contains(logs.String(), "tee not allowed")
	})
	if len(n.workers(t)) != 0 {
		t.Fatal("a worker registered on a chain that allows no TEE")
	}
	resp, err := http.Get(n.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/healthz %d without a provisioned worker, want 503", resp.StatusCode)
	}
	// An agent deploys (no secrets: there is no key to seal to), but the
	// worker cannot sign for it.
	st, err := account.Open(filepath.Dir(adminFile))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := st.Signer("operator", "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := n.c.DeployCode(ctxFor(t, 30*time.Second), build(t, filepath.Join(examples, "hello.ts")), client.DeployOptions{Signer: signer})
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	if !a.Attestor.IsZero() {
		t.Errorf("attestor %s before any key epoch, want zero (pending)", a.Attestor)
	}
	req, _ := http.NewRequest(http.MethodGet, n.base+"/agents/"+a.ID.String()+"/hello", nil)
	cr, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(cr.Body)
	cr.Body.Close()
	if cr.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"worker_not_provisioned"`) || cr.Header.Get("Cove-Signature") != "" {
		t.Errorf("call without keys: %d %s (signature %q), want an unsigned 503 worker_not_provisioned", cr.StatusCode, body, cr.Header.Get("Cove-Signature"))
	}
	if resp, err := http.Get(n.base + "/v1/keys"); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/v1/keys %d before any key epoch, want 503", resp.StatusCode)
	}
}

// TestInitTestnetAttestation: every home gets a funded operator key that
// its config names, the one vendor key the genesis policy trusts, and its
// gateway's address as the only Cove-Auth audience.
func TestInitTestnetAttestation(t *testing.T) {
	t.Parallel()
	_, admin := operatorKey(t)
	nodes, err := node.InitTestnet(t.TempDir(), node.Layout{Validators: 2}, 27100, []cove.Address{admin})
	if err != nil {
		t.Fatal(err)
	}
	g, err := validator.ReadGenesis(filepath.Join(nodes[0].Home, "chain"))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := sim.ExecutableMeasurement()
	pol := g.Params.TEE
	if !pol.AllowsTEE("sim") || !pol.AllowsMeasurement(m[:]) || len(pol.SimVendorKeys) != 1 {
		t.Fatalf("genesis policy %+v", pol)
	}
	funded := map[cove.Address]bool{}
	for _, a := range g.Accounts {
		funded[a.Address] = true
	}
	for _, nd := range nodes {
		cfg, err := node.LoadConfig(nd.Home)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Operator != filepath.Join(nd.Home, node.OperatorFile) {
			t.Errorf("%s: operator %q", nd.Home, cfg.Operator)
		}
		if len(cfg.Gateway.AuthAudiences) != 1 || cfg.Gateway.AuthAudiences[0] != nd.HTTP {
			t.Errorf("%s: Cove-Auth audiences %q, want its gateway's address %s", nd.Home, cfg.Gateway.AuthAudiences, nd.HTTP)
		}
		st, _ := account.Open(nd.Home)
		info, err := st.Get("operator")
		if err != nil || info.Address != nd.Operator || !funded[nd.Operator] || nd.Operator == admin {
			t.Errorf("%s: operator key %v %v, funded %v", nd.Home, info.Address, err, funded[nd.Operator])
		}
		k, err := sim.ReadVendorKey(filepath.Join(cfg.DataDir, "tee-sim"))
		if err != nil || !pol.AllowsSimVendorKey(k.Public().(ed25519.PublicKey)) {
			t.Errorf("%s: vendor key not the genesis one: %v", nd.Home, err)
		}
	}
}
