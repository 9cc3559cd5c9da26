// Package node is the composition root: it builds every role a node runs
// from one Config and wires them together. It is the only package that
// imports every role, and nothing imports it but cmd/cove and the test
// harness.
//
// A node runs the roles its Config enables: the validator (the chain under
// CometBFT), a gatekeeper (the key manager, holding the master keys sealed
// by the (simulated) TEE), a worker, and the gateway, with the bundle store
// they share. Agent records live on the chain; the worker follows the
// chain's events to prepare new code and to open the cluster keys
// gatekeepers provision to its attested identity. No key reaches the worker
// in-process: everything goes through the chain, sealed.
package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/blob"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/gatekeeper"
	"github.com/cove-network/cove/gateway"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/tee"
	"github.com/cove-network/cove/tee/sim"
	"github.com/cove-network/cove/validator"
	"github.com/cove-network/cove/worker"
)

// Config is a node's configuration: one section per role.
type Config struct {
	// DataDir holds everything the node keeps: sealed keys, bundles, the
	// registry, logs.
	DataDir string `toml:"data_dir"`
	// TEE names the platform: "sim" (insecure, for development) is the only
	// one in this release.
	TEE string `toml:"tee"`
	// HTTPAddr is the gateway's listen address (used by `cove node`).
	HTTPAddr string `toml:"http_addr"`
	// BlobPeers are gateways of other nodes to fetch bundles from.
	BlobPeers []string `toml:"blob_peers"`
	// Operator is the path of the key that signs this node's own
	// transactions (its worker's registration, its gatekeeper's
	// registration, epochs, provisions and attestors): a go-ethereum
	// keystore file named NAME.json without a passphrase, as `cove keys` and
	// `cove testnet init` write. Empty: the node sends nothing, so its
	// worker is never provisioned. `cove dev` uses the dev key, which is
	// also the chain's admin, so a dev node allows its own build's
	// measurement (see register.go); the node and the client retry a
	// nonce the other took.
	Operator   string            `toml:"operator"`
	Roles      Roles             `toml:"roles"`
	Validator  validator.Config  `toml:"validator"`
	Gatekeeper gatekeeper.Config `toml:"gatekeeper"`
	Gateway    gateway.Config    `toml:"gateway"`
	Worker     worker.Config     `toml:"worker"`
}

// DefaultConfig returns the embedded defaults of `cove dev`.
func DefaultConfig() Config {
	v := validator.DefaultConfig()
	v.Home = filepath.Join(".cove", "dev", "chain")
	return Config{
		DataDir:    filepath.Join(".cove", "dev"),
		TEE:        "sim",
		HTTPAddr:   "127.0.0.1:8700",
		Roles:      Roles{Validator: true, Gatekeeper: true, Worker: true, Gateway: true},
		Validator:  v,
		Gatekeeper: gatekeeper.DefaultConfig(),
		Gateway:    gateway.DefaultConfig(),
		Worker:     worker.DefaultConfig(),
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("node: data_dir is empty")
	}
	if c.TEE != "sim" {
		return fmt.Errorf("node: tee %q is not supported in this release (use \"sim\")", c.TEE)
	}
	if !c.Roles.Validator {
		return errors.New("node: every node runs the validator role in this release (roles.validator = true)")
	}
	if c.Roles.Gateway && !c.Roles.Worker {
		return errors.New("node: a gateway needs a worker on the same node in this release (roles.worker = true)")
	}
	return errors.Join(c.Validator.Validate(), c.Gatekeeper.Validate(), c.Gateway.Validate(), c.Worker.Validate())
}

// Node is a running set of roles.
type Node struct {
	cfg        Config
	log        *slog.Logger
	platform   tee.Platform
	op         *operator
	validator  *validator.Server
	gatekeeper *gatekeeper.Server
	blobs      *blob.Store
	worker     *worker.Server
	gateway    *gateway.Server
	// identity is the worker's attested identity and ring the cluster keys
	// provisioned to it (nil without the worker role).
	identity *worker.Identity
	ring     *worker.KeyRing
}

// New opens the node's stores and builds its roles. It starts nothing; on
// error it releases what it opened.
func New(cfg Config, log *slog.Logger) (n *Node, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("node: data dir: %w", err)
	}
	dir := func(parts ...string) string { return filepath.Join(append([]string{cfg.DataDir}, parts...)...) }

	n = &Node{cfg: cfg, log: log}
	n.platform, err = sim.Open(dir("tee-sim"))
	if err != nil {
		return nil, err
	}
	n.blobs, err = blob.Open(dir("blobs"), blob.MaxSize(cfg.Gateway.MaxBundleBytes))
	if err != nil {
		return nil, err
	}
	n.validator, err = validator.New(cfg.Validator, log.With("role", "validator"))
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			n.validator.Close()
		}
	}()
	n.op = &operator{v: n.validator}
	if cfg.Operator != "" {
		if n.op.signer, err = openOperator(cfg.Operator); err != nil {
			return nil, fmt.Errorf("node: %w", err)
		}
	}
	if cfg.Roles.Gatekeeper {
		p, ok := n.platform.(gatekeeper.Platform)
		if !ok {
			return nil, fmt.Errorf("node: the %s TEE cannot host a gatekeeper (no quotes)", n.platform.Name())
		}
		n.gatekeeper, err = gatekeeper.New(cfg.Gatekeeper, log.With("role", "gatekeeper"), p, gatekeeperChain{n.validator, n.op}, dir("gatekeeper"), "http://"+cmp.Or(cfg.HTTPAddr, "localhost"))
		if err != nil {
			return nil, err
		}
	}
	if !cfg.Roles.Worker {
		return n, nil
	}
	var created bool
	n.identity, created, err = worker.LoadIdentity(n.platform, dir("worker", worker.IdentityFile))
	if err != nil {
		return nil, err
	}
	log.Info("worker identity", "worker", chain.WorkerID(n.identity.PublicKey()), "created", created, "sealed_in", dir("worker", worker.IdentityFile))
	wcfg := cfg.Worker
	if wcfg.LogDir == "" {
		wcfg.LogDir = dir("logs")
	}
	// Security: the worker's cluster keys come only from the chain, sealed
	// by a gatekeeper to its attested identity (see provisionWorker).
	n.ring = worker.NewKeyRing(n.identity)
	n.worker, err = worker.New(wcfg, log.With("role", "worker"), n.ring,
		peerBlobs{local: n.blobs, peers: cfg.BlobPeers, client: &http.Client{}, misses: &missCache{}})
	if err != nil {
		return nil, err
	}
	if !cfg.Roles.Gateway {
		return n, nil
	}
	n.gateway, err = gateway.New(cfg.Gateway, log.With("role", "gateway"), chainView{n.validator}, n.blobs, n.worker, chainKeys{n.validator, n.ring, wcfg.Cluster})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// Platform returns the node's TEE platform.
func (n *Node) Platform() tee.Platform { return n.platform }

// Run runs every role until ctx ends, serving the gateway on ln (which may
// be nil for a node without the gateway role), then stops them all.
func (n *Node) Run(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	run := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil && ctx.Err() == nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				mu.Unlock()
				cancel() // one role failing stops the node
			}
		}()
	}
	run("validator", func() error { return n.validator.Run(ctx) })
	if n.gatekeeper != nil {
		run("gatekeeper", func() error { return n.gatekeeper.Run(ctx) })
	}
	if n.worker != nil {
		events := n.validator.Subscribe(ctx)
		run("worker", func() error { return n.worker.Run(ctx) })
		run("follow chain", func() error { n.followChain(ctx, events); return nil })
		// Registration runs beside the roles: serving must not wait for the
		// chain to accept this worker.
		endpoint := "http://" + n.cfg.HTTPAddr
		if ln != nil {
			endpoint = "http://" + ln.Addr().String()
		}
		run("register worker", func() error { n.registerWorker(ctx, endpoint); return nil })
	}
	if n.gateway != nil {
		if ln == nil {
			cancel()
			wg.Wait()
			return errors.New("node: the gateway role needs a listener")
		}
		run("gateway", func() error { return n.gateway.Run(ctx, ln) })
		// Ready once the worker holds a cluster key (see followChain).
		n.gateway.SetReady(n.ring.Len() > 0)
	}
	wg.Wait()
	if n.gateway != nil {
		n.gateway.SetReady(false)
	}
	return errors.Join(errs...)
}

// Validator returns the node's validator.
func (n *Node) Validator() *validator.Server { return n.validator }

// followChain opens the cluster keys gatekeepers provision to this
// worker, and prepares the code of every agent deployed or upgraded on the
// chain so that its first call does not pay for loading and compiling. It
// also re-reads the provisions on a timer, so a missed event heals.
func (n *Node) followChain(ctx context.Context, events <-chan chain.Event) {
	n.provisionWorker()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		var ev chain.Event
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.provisionWorker()
			continue
		case e, ok := <-events:
			if !ok {
				return
			}
			ev = e
		}
		if ev.Type == chain.EventKeyProvisioned {
			n.provisionWorker()
			continue
		}
		if ev.Type != chain.EventAgentDeployed && ev.Type != chain.EventAgentUpgraded {
			continue
		}
		id, err := cove.ParseAgentID(eventAttr(ev, "id"))
		if err != nil {
			continue
		}
		var rec chain.AgentRecord
		n.validator.State(func(a *chain.App) { rec, err = a.Agent(id) })
		if err != nil {
			continue
		}
		// Preparing may fetch the bundle from peers: it must not hold up
		// the events behind it (their channel drops what overflows).
		go func(a cove.Agent) {
			if err := n.worker.Prepare(ctx, a); err != nil {
				n.log.Info("agent code not ready", "agent", a.ID, "err", err)
			}
		}(rec.Agent())
	}
}

// provisionWorker opens every cluster key provisioned on chain to this
// worker that its key ring lacks, and marks the gateway ready once it holds
// one.
func (n *Node) provisionWorker() {
	id := chain.WorkerID(n.identity.PublicKey())
	var (
		recs   []chain.ProvisionRecord
		epochs []chain.EpochRecord
	)
	n.validator.State(func(a *chain.App) { recs, epochs = a.Provisions(id), a.Epochs() })
	published := map[uint64][]byte{}
	for _, e := range epochs {
		published[e.Epoch] = e.ClusterPublicKey
	}
	for _, p := range recs {
		if n.ring.Has(p.Epoch) {
			continue
		}
		if err := n.ring.Add(p.Epoch, p.Sealed, published[p.Epoch]); err != nil {
			n.log.Error("cannot open a provisioned cluster key", "role", "worker", "worker", id, "epoch", p.Epoch, "err", err)
			continue
		}
		n.log.Info("worker provisioned", "role", "worker", "worker", id, "epoch", p.Epoch, "height", p.Height)
	}
	if n.gateway != nil && n.ring.Len() > 0 {
		n.gateway.SetReady(true)
	}
}

// chainKeys is the gateway's key service: public key material from the
// chain, and attestor addresses the worker derives before a gatekeeper
// publishes them.
type chainKeys struct {
	v       *validator.Server
	ring    *worker.KeyRing
	cluster keys.ClusterID
}

func (k chainKeys) ClusterKey() (string, uint32, []byte, error) {
	var (
		rec chain.EpochRecord
		ok  bool
	)
	k.v.State(func(a *chain.App) { rec, ok = a.LatestEpoch() })
	if !ok {
		return "", 0, nil, errors.New("no key epoch published yet")
	}
	return string(k.cluster), uint32(rec.Epoch), rec.ClusterPublicKey, nil
}

func (k chainKeys) Attestor(id cove.AgentID) cove.Address {
	var (
		rec chain.AgentRecord
		err error
	)
	k.v.State(func(a *chain.App) { rec, err = a.Agent(id) })
	if err != nil {
		return cove.Address{}
	}
	if !rec.Attestor.IsZero() {
		return rec.Attestor
	}
	c, ok := k.ring.Cluster(rec.KeyEpoch)
	if !ok {
		return cove.Address{} // pending: no gatekeeper has published it and this worker holds no key
	}
	return c.Agent(id).Attestor().Address()
}

func eventAttr(ev chain.Event, key string) string {
	for _, a := range ev.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}
