package gatekeeper

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/blob/cid"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/ethsig"
	"github.com/cove-network/cove/internal/testchain"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/tee/identity"
	"github.com/cove-network/cove/tee/sim"
)

func newLedger(t *testing.T, admin *testchain.Key, funded ...*testchain.Key) *testchain.Ledger {
	var addrs []cove.Address
	for _, f := range funded {
		addrs = append(addrs, f.Address())
	}
	return testchain.New(t, admin.Address(), testchain.Fund(addrs...), testchain.Verifier(testchain.AnyQuote{}))
}

// testChain is one gatekeeper's Chain: the ledger and its operator key.
type testChain struct {
	*testchain.Ledger
	op *testchain.Key
}

func (v testChain) Subscribe(ctx context.Context) <-chan chain.Event { return nil }
func (v testChain) Operator() (cove.Address, error)                  { return v.op.Address(), nil }
func (v testChain) Send(ctx context.Context, build func(uint64) chain.Msg) (chain.TxOutcome, error) {
	return v.Ledger.Send(v.op, build), nil
}

// settle runs reconcile on every gatekeeper until none makes progress.
func settle(t *testing.T, gks ...*Server) {
	t.Helper()
	for range 100 {
		progress := false
		for _, g := range gks {
			p, err := g.reconcile(context.Background())
			if err != nil {
				t.Fatalf("gatekeeper %s: %v", g.ID(), err)
			}
			progress = progress || p
		}
		if !progress {
			return
		}
	}
	t.Fatal("gatekeepers never settled")
}

func newServer(t *testing.T, l *testchain.Ledger, op *testchain.Key, dir string, bootstrap bool) *Server {
	t.Helper()
	p, err := sim.Open(filepath.Join(dir, "tee"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Bootstrap = bootstrap
	s, err := New(cfg, slog.New(slog.DiscardHandler), p, testChain{l, op}, filepath.Join(dir, "gk"), "http://gk.example")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// openWorker opens a worker's provision of epoch e, as worker.KeyRing does.
func openWorker(t *testing.T, l *testchain.Ledger, id *identity.Identity, e uint64) keys.Cluster {
	t.Helper()
	wid := chain.WorkerID(id.PublicKey())
	for _, p := range l.View().Provisions(chain.ProvisionKindWorker, wid) {
		if p.Epoch == e {
			b, err := id.Open(keys.ProvisionInfo("worker", wid, e), p.Sealed)
			if err != nil {
				t.Fatal(err)
			}
			c, err := keys.ClusterFromBytes(b)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
	}
	t.Fatalf("worker has no provision of epoch %d", e)
	return keys.Cluster{}
}

func samePub(t *testing.T, c keys.Cluster, rec chain.EpochRecord) {
	t.Helper()
	pub, err := c.PublicKey()
	if err != nil || !bytes.Equal(pub, rec.ClusterPublicKey) {
		t.Fatalf("cluster key of epoch %d does not match the chain's public key", rec.Epoch)
	}
}

func TestBootstrapProvisionRotateHandover(t *testing.T) {
	admin, op1, op2, wop := testchain.NewKey(t), testchain.NewKey(t), testchain.NewKey(t), testchain.NewKey(t)
	l := newLedger(t, admin, op1, op2, wop)
	dir1, dir2 := t.TempDir(), t.TempDir()
	g1 := newServer(t, l, op1, dir1, true)
	g2 := newServer(t, l, op2, dir2, false)

	wid, err := identity.New(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if r := l.Send(wop, func(n uint64) chain.Msg {
		return chain.RegisterWorker{TEE: "sim", PublicKey: wid.PublicKey(), Endpoint: "http://w.example", Quote: []byte("q"), Nonce: n}
	}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	code := []byte("export default { fetch() { return new Response('hi') } }")
	d := chain.DeployAgent{CID: cid.Of(code), CodeHash: cove.SHA256(code)}
	if r := l.Send(admin, func(n uint64) chain.Msg { d.Nonce = n; return d }); r.Code != 0 {
		t.Fatal(r.Log)
	}
	agent := cove.DeriveAgentID(admin.Address(), d.CodeHash, d.Salt)

	settle(t, g1, g2)
	eps := l.View().Epochs()
	if len(eps) != 1 || eps[0].PublishedBy != op1.Address() || g1.Epochs() != 1 || g2.Epochs() != 1 {
		t.Fatalf("epochs %+v; g1 holds %d, g2 %d", eps, g1.Epochs(), g2.Epochs())
	}
	c0 := openWorker(t, l, wid, 0)
	samePub(t, c0, eps[0])
	rec, _ := l.View().Agent(agent)
	if want := c0.Agent(agent).Attestor().Address(); rec.Attestor != want {
		t.Fatalf("attestor %s, want %s", rec.Attestor, want)
	}
	// The epoch's EVM signer is the one the cluster key derives, and it
	// granted the agent's attestor (what EVM anchors register).
	wantSigner(t, c0, eps[0])
	if got, err := ethsig.Recover(cove.AttestorGrantDigest(agent, rec.Attestor, 0), [65]byte(rec.AttestorGrant)); len(rec.AttestorGrant) != 65 || err != nil || got != c0.EpochSigner().Address() {
		t.Fatalf("attestor grant %x recovers to %s (%v), want epoch 0's signer %s", rec.AttestorGrant, got, err, c0.EpochSigner().Address())
	}

	// The bootstrap gatekeeper stops; the other rotates on its own.
	if r := l.Send(admin, func(n uint64) chain.Msg { return chain.RotateKeys{Nonce: n} }); r.Code != 0 {
		t.Fatal(r.Log)
	}
	settle(t, g2)
	eps = l.View().Epochs()
	if len(eps) != 2 || eps[1].PublishedBy != op2.Address() {
		t.Fatalf("epochs after rotation %+v", eps)
	}
	samePub(t, openWorker(t, l, wid, 1), eps[1])
	wantSigner(t, openWorker(t, l, wid, 1), eps[1])
	// g1 comes back and takes the history from g2.
	g1 = newServer(t, l, op1, dir1, true)
	settle(t, g1, g2)
	if g1.Epochs() != 2 {
		t.Fatalf("g1 holds %d epochs after coming back", g1.Epochs())
	}
	rec2, _ := l.View().Agent(agent)
	if rec2.Attestor != rec.Attestor {
		t.Fatal("rotation changed the attestor")
	}

	// A race: both make a candidate for epoch 2; the chain takes g1's and
	// g2 drops its own, then receives g1's in the history.
	if r := l.Send(admin, func(n uint64) chain.Msg { return chain.RotateKeys{Nonce: n} }); r.Code != 0 {
		t.Fatal(r.Log)
	}
	g2.mu.Lock()
	m, _ := keys.NewMaster(rand.Reader)
	g2.hist = append(g2.hist, m)
	g2.mu.Unlock()
	settle(t, g1, g2)
	eps = l.View().Epochs()
	if len(eps) != 3 || eps[2].PublishedBy != op1.Address() || g2.Epochs() != 3 {
		t.Fatalf("after the race: epochs %d (epoch 2 by %s), g2 holds %d", len(eps), eps[len(eps)-1].PublishedBy, g2.Epochs())
	}
	g2.mu.Lock()
	c2, _ := g2.hist.Cluster(2, keys.DefaultCluster)
	g2.mu.Unlock()
	samePub(t, c2, eps[2])
	samePub(t, openWorker(t, l, wid, 2), eps[2])

	// The history survives a restart, sealed.
	g2 = newServer(t, l, op2, dir2, false)
	if g2.Epochs() != 3 {
		t.Fatalf("g2 reloaded %d epochs", g2.Epochs())
	}
}

// wantSigner fails unless epoch record ep carries the EVM signer cluster
// key c derives.
func wantSigner(t *testing.T, c keys.Cluster, ep chain.EpochRecord) {
	t.Helper()
	if ep.Signer == nil || *ep.Signer != c.EpochSigner().Address() {
		t.Fatalf("epoch %d signer %v, want %s", ep.Epoch, ep.Signer, c.EpochSigner().Address())
	}
}

// hardwarePlatform is a MOCK of a hardware TEE we do not have here: the
// simulated TEE under the name "tdx", so that a gatekeeper believes it
// runs in TDX. The test chain accepts any quote (testchain.AnyQuote).
type hardwarePlatform struct{ *sim.Platform }

func (hardwarePlatform) Name() string { return "tdx" }

// TestNoKeysToWeakerPlatform (issue 15, finding 1): a gatekeeper in a
// hardware TEE never provisions a worker or a gatekeeper attested by the
// simulated TEE, whatever the chain's policy admits (a development chain,
// or an admin who admitted sim); the control is a peer attested by the same
// platform as the gatekeeper, in the same state.
func TestNoKeysToWeakerPlatform(t *testing.T) {
	admin, op1, op2, op3, wop := testchain.NewKey(t), testchain.NewKey(t), testchain.NewKey(t), testchain.NewKey(t), testchain.NewKey(t)
	l := newLedger(t, admin, op1, op2, op3, wop)
	hardwareGK := func(op *testchain.Key, bootstrap bool) *Server {
		dir := t.TempDir()
		p, err := sim.Open(filepath.Join(dir, "tee"))
		if err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		cfg.Bootstrap = bootstrap
		g, err := New(cfg, slog.New(slog.DiscardHandler), hardwarePlatform{p}, testChain{l, op}, filepath.Join(dir, "gk"), "http://gk.example")
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	g1 := hardwareGK(op1, true)
	register := func(tee string) *identity.Identity {
		id, err := identity.New(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if r := l.Send(wop, func(n uint64) chain.Msg {
			return chain.RegisterWorker{TEE: tee, PublicKey: id.PublicKey(), Endpoint: "http://w.example", Quote: []byte("q"), Nonce: n}
		}); r.Code != 0 {
			t.Fatal(r.Log)
		}
		return id
	}
	simWorker, tdxWorker := register("sim"), register("tdx")
	simGK := newServer(t, l, op2, t.TempDir(), false) // registers as "sim"
	tdxGK := hardwareGK(op3, false)
	settle(t, g1, simGK, tdxGK)
	if ps := l.View().Provisions(chain.ProvisionKindWorker, chain.WorkerID(simWorker.PublicKey())); len(ps) != 0 {
		t.Fatalf("a sim worker got %d cluster keys from a tdx gatekeeper", len(ps))
	}
	if simGK.Epochs() != 0 || len(l.View().Provisions(chain.ProvisionKindGatekeeper, simGK.ID())) != 0 {
		t.Fatalf("a sim gatekeeper got the master-key history from a tdx gatekeeper (%d epochs)", simGK.Epochs())
	}
	// Controls: the tdx worker and the tdx gatekeeper, in the same state,
	// are provisioned.
	samePub(t, openWorker(t, l, tdxWorker, 0), l.View().Epochs()[0])
	if tdxGK.Epochs() != 1 {
		t.Fatalf("the tdx gatekeeper holds %d epochs, want 1", tdxGK.Epochs())
	}
}

// TestNoGrantForForeignAttestor: a gatekeeper grants (with its epoch
// signer) only the attestor it derives itself. An attestor that another
// gatekeeper put on chain for an agent gets no grant; the control, an agent
// in the same state whose attestor the gatekeeper published, gets its
// grant.
func TestNoGrantForForeignAttestor(t *testing.T) {
	admin, op1, op2 := testchain.NewKey(t), testchain.NewKey(t), testchain.NewKey(t)
	l := newLedger(t, admin, op1, op2)
	g1 := newServer(t, l, op1, t.TempDir(), true)
	g2 := newServer(t, l, op2, t.TempDir(), false)
	settle(t, g1, g2) // both registered, epoch 0 and its signer published
	deploy := func(code string) cove.AgentID {
		d := chain.DeployAgent{CID: cid.Of([]byte(code)), CodeHash: cove.SHA256([]byte(code))}
		if r := l.Send(admin, func(n uint64) chain.Msg { d.Nonce = n; return d }); r.Code != 0 {
			t.Fatal(r.Log)
		}
		return cove.DeriveAgentID(admin.Address(), d.CodeHash, d.Salt)
	}
	foreign, control := deploy("foreign"), deploy("control")
	// g2 (registered, authorized by its own identity key) publishes an
	// attestor for foreign that no cluster key derives.
	bogus := chain.SetAttestor{Agent: foreign, Attestor: cove.Address{0xba, 0xd}}
	bogus.IdentitySig = g2.authorize(bogus)
	if r := l.Send(op2, func(n uint64) chain.Msg { bogus.Nonce = n; return bogus }); r.Code != 0 {
		t.Fatal(r.Log)
	}
	settle(t, g1)
	if rec, _ := l.View().Agent(foreign); len(rec.AttestorGrant) != 0 {
		t.Fatalf("the foreign attestor %s got a grant", rec.Attestor)
	}
	if rec, _ := l.View().Agent(control); len(rec.AttestorGrant) != 65 {
		t.Fatalf("the control agent got no grant (attestor %s)", rec.Attestor)
	}
}
