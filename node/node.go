// Package node is the composition root: it builds every role a node runs
// from one Config and wires them together. It is the only package that
// imports every role, and nothing imports it but cmd/cove, the test
// harness and the benchmarks (internal/bench).
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
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/blob"
	"github.com/cove-network/cove/bridge"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/gatekeeper"
	"github.com/cove-network/cove/gateway"
	"github.com/cove-network/cove/internal/atomicfile"
	"github.com/cove-network/cove/internal/backoff"
	"github.com/cove-network/cove/internal/metrics"
	"github.com/cove-network/cove/tee/sim"
	"github.com/cove-network/cove/txsend"
	"github.com/cove-network/cove/validator"
	"github.com/cove-network/cove/worker"
	"github.com/cove-network/cove/worker/ai"
	"github.com/cove-network/cove/workerlink"
	"time"
)

// Config is a node's configuration: one section per role.
type Config struct {
	// DataDir holds everything the node keeps: sealed identities and keys,
	// bundles, the chain (unless validator.home says otherwise), logs.
	DataDir string `toml:"data_dir"`
	// TEE names the platform: "sim" (insecure, for development) is the only
	// one in this release.
	TEE string `toml:"tee"`
	// HTTPAddr is the gateway's listen address (used by `cove node`).
	HTTPAddr string `toml:"http_addr"`
	// AdminAddr is the admin listener's address: Prometheus metrics at
	// /metrics and Go's pprof at /debug/pprof/, for operators only (keep
	// it on loopback or a private network). Empty: no admin listener.
	AdminAddr string `toml:"admin_addr,omitempty"`
	// WorkerAddr is the worker's link listener: gateways of other nodes
	// call this node's worker there over HTTPS pinned to its identity key
	// (package workerlink). Empty: no link; the worker registers the
	// gateway's URL and only this node's gateway calls it.
	WorkerAddr string `toml:"worker_addr,omitempty"`
	// WorkerEndpoint is the URL gateways reach the link at, registered on
	// chain (https://HOST:PORT). Empty: https:// and WorkerAddr's
	// address.
	WorkerEndpoint string `toml:"worker_endpoint,omitempty"`
	// Routing says where the gateway sends agent calls.
	Routing RoutingConfig `toml:"routing"`
	// BlobPeers are gateways of other nodes to fetch bundles from.
	BlobPeers []string `toml:"blob_peers"`
	// Operator is the path of the key that signs this node's own
	// transactions (its worker's registration, its gatekeeper's
	// registration, epochs, provisions and attestors): a go-ethereum
	// keystore file named NAME.json without a passphrase, as `cove keys` and
	// `cove testnet init` write. Empty: the node sends nothing, so its
	// worker is never registered nor provisioned. `cove dev` uses the dev
	// key, which is also the chain's admin, so a dev node allows its own
	// build's measurement (see devpolicy.go); the node and the client retry
	// a nonce the other took (package txsend).
	Operator   string            `toml:"operator"`
	Roles      Roles             `toml:"roles"`
	Validator  validator.Config  `toml:"validator"`
	Gatekeeper gatekeeper.Config `toml:"gatekeeper"`
	Gateway    gateway.Config    `toml:"gateway"`
	Worker     worker.Config     `toml:"worker"`
	// AI is the worker's confidential AI API (providers, keys, quota),
	// served by the gateway under /v1 (package worker/ai).
	AI ai.Config `toml:"ai"`
	// Bridge lists the EVM chains the bridge role serves.
	Bridge BridgeConfig `toml:"bridge"`
	// DevEVM is cove dev's in-process EVM (off unless enabled; cove dev
	// enables it), bridged to this node's worker whatever roles.bridge
	// says.
	DevEVM DevEVMConfig `toml:"dev_evm"`
}

// RoutingConfig says where a gateway sends agent calls.
type RoutingConfig struct {
	// Mode is "local" (this node's worker, in process) or "network" (the
	// chain's active workers with a link, this node's own among them,
	// package workerlink's Pool). Empty: local on a node with a worker,
	// network on one without.
	Mode string `toml:"mode,omitempty"`
	workerlink.PoolConfig
}

// Routing modes.
const (
	RouteLocal   = "local"
	RouteNetwork = "network"
)

// mode returns the routing mode in effect.
func (c Config) mode() string {
	if c.Routing.Mode == "" && !c.Roles.Worker {
		return RouteNetwork
	}
	return cmp.Or(c.Routing.Mode, RouteLocal)
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
		Routing:    RoutingConfig{PoolConfig: workerlink.DefaultPoolConfig()},
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
	switch c.Routing.Mode {
	case "", RouteLocal, RouteNetwork:
	default:
		return fmt.Errorf("node: routing.mode %q: want %q or %q", c.Routing.Mode, RouteLocal, RouteNetwork)
	}
	if c.Roles.Gateway && !c.Roles.Worker && c.mode() == RouteLocal {
		return errors.New("node: routing.mode \"local\" needs a worker on the same node (roles.worker = true); a gateway without one routes to the network's workers (routing.mode = \"network\")")
	}
	if c.WorkerAddr != "" && !c.Roles.Worker {
		return errors.New("node: worker_addr is set but the node runs no worker (roles.worker = false)")
	}
	if c.WorkerEndpoint != "" && c.WorkerAddr == "" {
		return errors.New("node: worker_endpoint needs worker_addr, the link listener it names")
	}
	if c.WorkerEndpoint != "" {
		if err := workerlink.CheckEndpoint(c.WorkerEndpoint); err != nil {
			return fmt.Errorf("node: worker_endpoint: %w", err)
		}
	}
	if c.WorkerAddr != "" && c.WorkerEndpoint == "" {
		host, _, err := net.SplitHostPort(c.WorkerAddr)
		if err != nil {
			return fmt.Errorf("node: worker_addr %q: want HOST:PORT", c.WorkerAddr)
		}
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			return fmt.Errorf("node: worker_addr %q listens on every address: set worker_endpoint to the https://HOST:PORT gateways dial (it is registered on chain)", c.WorkerAddr)
		}
	}
	if (c.Roles.Bridge || c.DevEVM.Enabled) && !c.Roles.Worker {
		return errors.New("node: the bridge needs a worker on the same node in this release (roles.worker = true)")
	}
	if c.Roles.Bridge && len(c.Bridge.Chains) == 0 {
		return errors.New("node: roles.bridge is on but [[bridge.chains]] lists no chain")
	}
	if c.DevEVM.Enabled && c.Operator == "" {
		return errors.New("node: the dev EVM deploys its example agents with the operator key: set operator")
	}
	return errors.Join(c.Validator.Validate(), c.Gatekeeper.Validate(), c.Gateway.Validate(), c.Worker.Validate(), c.Routing.Validate())
}

// Node is a running set of roles.
type Node struct {
	cfg        Config
	log        *slog.Logger
	platform   *sim.Platform
	validator  *validator.Server
	sender     *txsend.Sender // nil without an operator key
	gatekeeper *gatekeeper.Server
	blobs      *blob.Store
	worker     *worker.Server
	gateway    *gateway.Server
	dev        *devEVM          // cove dev's EVM, or nil
	bridge     *bridge.Bridge   // nil without EVM chains
	pool       *workerlink.Pool // the gateway's routes in network mode, or nil
	metrics    *metrics.Set
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
	v, err := validator.New(cfg.Validator, log.With("role", "validator"))
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			v.Close()
		}
	}()
	n.validator = v
	// Metrics from the start, so a node of any roles records its chain.
	n.metrics = metrics.New()
	v.SetMetrics(n.metrics)
	n.metrics.GaugeFunc("cove_chain_height", "The height of the last block this node committed.", nil, func() float64 { return float64(v.View().Height()) })
	// Only now: the validator holds its state file's lock, so a second
	// node started by mistake on this home has failed above instead of
	// removing this one's writes in progress.
	if err := cleanTemp(log, n.blobs, dir("tee-sim"), dir("gatekeeper"), dir("worker"), dir("gateway")); err != nil {
		return nil, err
	}
	if cfg.Operator != "" {
		signer, err := openOperator(cfg.Operator)
		if err != nil {
			return nil, fmt.Errorf("node: %w", err)
		}
		n.sender = txsend.New(localLedger{v}, signer)
	}
	roles := roleChain{v: v, sender: n.sender}
	if cfg.Roles.Gatekeeper {
		n.gatekeeper, err = gatekeeper.New(cfg.Gatekeeper, log.With("role", "gatekeeper"), n.platform, roles, dir("gatekeeper"), "http://"+cmp.Or(cfg.HTTPAddr, "localhost"))
		if err != nil {
			return nil, err
		}
	}
	if !cfg.Roles.Worker {
		if cfg.Roles.Gateway {
			// A gateway alone: calls go to the network's workers, keys
			// and attestors come from the chain, logs stay with the
			// workers that ran each call.
			if n.pool, err = workerlink.NewPool(cfg.Routing.PoolConfig, log.With("role", "routing"), v.View, cove.Hash{}, nil); err != nil {
				return nil, err
			}
			gcfg := cfg.Gateway
			if gcfg.VouchersFile == "" {
				gcfg.VouchersFile = filepath.Join(dir("gateway"), "vouchers.log")
			}
			if n.gateway, err = gateway.New(gcfg, log.With("role", "gateway"), v, n.blobs, n.pool, nil, chainKeys{v: v.View, cluster: string(cfg.Worker.Cluster)}); err != nil {
				return nil, err
			}
			n.gateway.SetLinkVouchers(n.pool)
			n.wireMetrics()
		}
		return n, nil
	}
	wcfg := cfg.Worker
	wcfg.AI = cfg.AI
	if wcfg.LogDir == "" {
		wcfg.LogDir = dir("logs")
	}
	if cfg.DevEVM.Enabled && cfg.DevEVM.RPCAddr != "" {
		// Agents may use cove dev's EVM (a loopback address the egress
		// policy refuses otherwise).
		wcfg.EgressAllow = append(slices.Clone(wcfg.EgressAllow), cfg.DevEVM.RPCAddr)
	}
	// Security: the worker's cluster keys come only from the chain, sealed
	// by a gatekeeper to its attested identity.
	n.worker, err = worker.New(wcfg, log.With("role", "worker"), n.platform, roles,
		newPeerBlobs(n.blobs, cfg.BlobPeers, log.With("role", "worker")), dir("worker"))
	if err != nil {
		return nil, err
	}
	if cfg.Roles.Gateway {
		gcfg := cfg.Gateway
		if gcfg.MaxRequestBytes == 0 {
			gcfg.MaxRequestBytes = wcfg.MaxRequestBytes // the worker's bound, as before the gateway had one
		}
		if gcfg.VouchersFile == "" {
			gcfg.VouchersFile = filepath.Join(dir("gateway"), "vouchers.log")
		}
		var inv gateway.Invoker = n.worker
		if cfg.mode() == RouteNetwork {
			if n.pool, err = workerlink.NewPool(cfg.Routing.PoolConfig, log.With("role", "routing"), v.View, n.worker.ID(), n.worker); err != nil {
				return nil, err
			}
			inv = n.pool
		}
		n.gateway, err = gateway.New(gcfg, log.With("role", "gateway"), v, n.blobs, inv, n.worker, n.worker)
		if err != nil {
			return nil, err
		}
		n.gateway.SetAI(n.worker.AI())
		// One ledger per verifier: the vouchers of channels bound to this
		// node's worker, whether its gateway or its link takes them.
		n.gateway.SetWorkerLedger(n.worker.ID(), n.worker.Ledger())
		// The owner's vouchers include those taken at workers' links:
		// every worker's through the pool, or this node's own.
		if n.pool != nil {
			n.gateway.SetLinkVouchers(n.pool)
		} else {
			n.gateway.SetLinkVouchers(ownLinkVouchers{n.worker})
		}
	}
	var chains []bridge.ChainConfig
	if cfg.Roles.Bridge {
		if chains, err = bridgeChains(cfg.Bridge); err != nil {
			return nil, fmt.Errorf("node: %w", err)
		}
	}
	if cfg.DevEVM.Enabled {
		// The dev EVM lives in memory: a cursor of a former one means
		// nothing (its anchor has the same address), so it goes.
		if err := os.Remove(filepath.Join(dir("bridge"), "bridge-dev.json")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("node: %w", err)
		}
		if n.dev, err = openDevEVM(cfg.DevEVM, dir("dev-evm"), n.sender.Address(), log.With("role", "evm")); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				n.dev.chain.Close()
			}
		}()
		dc, err := n.dev.bridgeChain()
		if err != nil {
			return nil, err
		}
		chains = append(chains, dc)
	}
	n.wireMetrics()
	if len(chains) > 0 {
		if err := os.MkdirAll(dir("bridge"), 0o700); err != nil {
			return nil, fmt.Errorf("node: %w", err)
		}
		n.bridge, err = bridge.New(bridge.Config{Dir: dir("bridge"), Chains: chains, Log: log.With("role", "bridge")},
			coveForBridge{w: n.worker, v: v.View})
		if err != nil {
			return nil, err
		}
		if n.gateway != nil {
			n.gateway.SetEVM(evmInfo{b: n.bridge, dev: n.dev})
		}
		for _, st := range n.bridge.Status() {
			name := st.Name
			n.metrics.GaugeFunc("cove_bridge_lag_blocks", "Blocks of an EVM chain seen but not yet scanned for requests by the bridge.", map[string]string{"chain": name},
				func() float64 {
					for _, s := range n.bridge.Status() {
						if s.Name == name && s.Head >= s.Scanned {
							return float64(s.Head + 1 - s.Scanned)
						}
					}
					return 0
				})
		}
	}
	return n, nil
}

// wireMetrics gives the worker and the gateway the node's metrics (the
// validator has them from New).
func (n *Node) wireMetrics() {
	if n.worker != nil {
		n.worker.SetMetrics(n.metrics)
	}
	if n.gateway != nil {
		n.gateway.SetMetrics(n.metrics)
		n.gateway.SetNodeInfo(n.info)
	}
	if n.pool != nil {
		n.metrics.GaugeFunc("cove_gateway_workers_up", "Workers this gateway routes calls to that answer their health checks.", nil, func() float64 {
			up := 0
			for _, m := range n.pool.Members() {
				if m.Up {
					up++
				}
			}
			return float64(up)
		})
	}
}

// info is what GET /v1/node says of this node.
func (n *Node) info() api.NodeInfo {
	r := n.cfg.Roles
	out := api.NodeInfo{Peers: n.validator.Peers()}
	for _, role := range []struct {
		on   bool
		name string
	}{{true, "validator"}, {r.Gatekeeper, "gatekeeper"}, {r.Worker, "worker"}, {r.Gateway, "gateway"}, {n.bridge != nil, "bridge"}} {
		if role.on {
			out.Roles = append(out.Roles, role.name)
		}
	}
	if n.gateway != nil {
		out.Routing = n.cfg.mode()
	}
	if n.pool != nil {
		for _, m := range n.pool.Members() {
			out.Routes = append(out.Routes, api.RoutedWorker{Worker: m.Worker.String(), Endpoint: m.Endpoint, Local: m.Local, Up: m.Up, Ready: m.Ready, Outstanding: m.Outstanding})
		}
	}
	if n.worker != nil {
		out.Worker = n.worker.ID().String()
		out.AISigner = n.worker.AI().SigningAddress().String()
		out.AIProviders = n.worker.AI().Providers()
		out.Engine = worker.EngineName
	}
	return out
}

// Metrics returns the node's metrics (served at /metrics on AdminAddr).
func (n *Node) Metrics() *metrics.Set { return n.metrics }

// Close releases a Node that was never Run (Run releases everything when it
// returns).
func (n *Node) Close() error {
	if n.dev != nil {
		n.dev.chain.Close()
	}
	return n.validator.Close()
}

// View reads the node's committed chain state.
func (n *Node) View() chain.View { return n.validator.View() }

// Run runs every role until ctx ends, serving the gateway on ln (which may
// be nil for a node without the gateway role), then stops them all.
func (n *Node) Run(ctx context.Context, ln net.Listener) error {
	if n.gateway != nil && ln == nil {
		return errors.New("node: the gateway role needs a listener")
	}
	// The admin listener first: an address in use stops the node before
	// any role starts.
	var aln net.Listener
	if n.cfg.AdminAddr != "" {
		var err error
		if aln, err = net.Listen("tcp", n.cfg.AdminAddr); err != nil {
			n.Close() // Run releases everything when it returns
			return fmt.Errorf("node: admin listener (admin_addr, --admin %s): %w", n.cfg.AdminAddr, err)
		}
	}
	var wln net.Listener
	if n.cfg.WorkerAddr != "" {
		var err error
		if wln, err = net.Listen("tcp", n.cfg.WorkerAddr); err != nil {
			if aln != nil {
				aln.Close()
			}
			n.Close()
			return fmt.Errorf("node: worker link listener (worker_addr %s): %w", n.cfg.WorkerAddr, err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	run := func(name string, f func() error) {
		wg.Go(func() {
			if err := f(); err != nil && ctx.Err() == nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				mu.Unlock()
				cancel() // one role failing stops the node
			}
		})
	}
	run("validator", func() error { return n.validator.Run(ctx) })
	if n.sender != nil {
		run("dev policy", func() error { admitDevBuild(ctx, n.log, n.platform, n.validator.View(), n.sender); return nil })
	}
	if n.gatekeeper != nil {
		run("gatekeeper", func() error { return n.gatekeeper.Run(ctx) })
	}
	if n.worker != nil {
		// Gateways reach this node's worker through this node's gateway.
		endpoint := "http://" + n.cfg.HTTPAddr
		if ln != nil {
			endpoint = "http://" + ln.Addr().String()
		}
		if wln != nil {
			// Gateways of any node reach it over its link.
			endpoint = cmp.Or(n.cfg.WorkerEndpoint, "https://"+wln.Addr().String())
			n.log.Info("worker link", "listen", wln.Addr().String(), "endpoint", endpoint)
			run("worker link", func() error { return n.worker.ServeLink(ctx, wln) })
		}
		run("worker", func() error { return n.worker.Run(ctx, endpoint) })
	}
	if n.pool != nil {
		run("routing", func() error { return n.pool.Run(ctx) })
	}
	if n.gateway != nil {
		run("gateway", func() error { return n.gateway.Run(ctx, ln) })
	}
	if n.dev != nil {
		defer n.dev.chain.Close()
		run("dev evm agents", func() error {
			backoff.Retry(ctx, 200*time.Millisecond, 10*time.Second, func() (bool, error) {
				return true, n.dev.deployAgents(ctx, n)
			}, func(err error, wait time.Duration) {
				n.log.Warn("deploying the dev EVM's example agents; retrying", "err", err, "in", wait)
			})
			return nil
		})
		run("dev evm trust", func() error { return n.dev.trustEpochs(ctx, n.validator.View) })
	}
	if n.bridge != nil {
		run("bridge", func() error { return n.bridge.Run(ctx) })
	}
	if aln != nil {
		n.log.Info("admin listener: metrics and pprof", "url", "http://"+aln.Addr().String()+"/metrics")
		run("admin", func() error { return serveAdmin(ctx, aln, n.metrics) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// staleBlobTemp is how old a bundle store temp file must be for the node
// to remove it at start (see blob.Store.CleanTemp).
const staleBlobTemp = time.Minute

// cleanTemp removes the temporary files of writes a crash interrupted: in
// the directories where the node's roles write atomically (sealed keys and
// identities: see package atomicfile) and, older than staleBlobTemp, in the
// bundle store; it logs each one. The caller holds the home's lock (the
// validator's state file), and the roles that write there have not
// started.
func cleanTemp(log *slog.Logger, blobs *blob.Store, dirs ...string) error {
	removed, err := blobs.CleanTemp(staleBlobTemp, time.Now())
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	for _, d := range dirs {
		r, err := atomicfile.Clean(d)
		removed = append(removed, r...)
		if err != nil {
			return fmt.Errorf("node: %w", err)
		}
	}
	for _, p := range removed {
		log.Warn("removed the temp file of an interrupted write", "path", p)
	}
	return nil
}

// chainKeys is the key service of a gateway without a worker: the cluster
// key and attestors as the chain publishes them.
type chainKeys struct {
	v       func() chain.View
	cluster string
}

func (k chainKeys) ClusterKey() (string, uint32, []byte, error) {
	rec, ok := k.v().LatestEpoch()
	if !ok {
		return "", 0, nil, errors.New("no key epoch published yet")
	}
	return k.cluster, uint32(rec.Epoch), rec.ClusterPublicKey, nil
}

func (k chainKeys) Attestor(id cove.AgentID) cove.Address {
	rec, err := k.v().Agent(id)
	if err != nil {
		return cove.Address{}
	}
	return rec.Attestor
}

// ownLinkVouchers offers a gateway the vouchers its node's own worker
// accepted at its link (gateway.LinkVouchers), when the gateway routes to
// that worker alone.
type ownLinkVouchers struct{ w *worker.Server }

func (o ownLinkVouchers) Vouchers(ctx context.Context, id cove.AgentID, auth string) ([][]api.Redeemable, []error) {
	l, err := o.w.Vouchers(ctx, id, auth)
	if err != nil {
		return nil, []error{err}
	}
	return [][]api.Redeemable{l}, nil
}
