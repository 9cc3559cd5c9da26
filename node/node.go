// Package node is the composition root: it builds every role a node runs
// from one Config and wires them together. It is the only package that
// imports every role, and nothing imports it but cmd/cove and the test
// harness.
//
// This release runs the roles of `cove dev`: a gatekeeper keeping the master
// key sealed by the (simulated) TEE, a worker, the gateway, and the local
// agent registry and bundle store they share.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/blob"
	"github.com/cove-network/cove/gatekeeper"
	"github.com/cove-network/cove/gateway"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/registry"
	"github.com/cove-network/cove/tee"
	"github.com/cove-network/cove/tee/sim"
	"github.com/cove-network/cove/worker"
)

// Config is a node's configuration: one section per role.
type Config struct {
	// DataDir holds everything the node keeps: sealed keys, bundles, the
	// registry, logs.
	DataDir string `toml:"data_dir"`
	// TEE names the platform: "sim" (insecure, for development) is the only
	// one in this release.
	TEE     string         `toml:"tee"`
	Gateway gateway.Config `toml:"gateway"`
	Worker  worker.Config  `toml:"worker"`
}

// DefaultConfig returns the embedded defaults of `cove dev`.
func DefaultConfig() Config {
	return Config{
		DataDir: filepath.Join(".cove", "dev"),
		TEE:     "sim",
		Gateway: gateway.DefaultConfig(),
		Worker:  worker.DefaultConfig(),
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
	return errors.Join(c.Gateway.Validate(), c.Worker.Validate())
}

// Node is a running set of roles.
type Node struct {
	cfg      Config
	log      *slog.Logger
	platform tee.Platform
	keeper   *gatekeeper.Keeper
	registry *registry.Store
	blobs    *blob.Store
	worker   *worker.Server
	gateway  *gateway.Server
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
	n.keeper, err = gatekeeper.Open(n.platform, dir("gatekeeper"))
	if err != nil {
		return nil, err
	}
	n.blobs, err = blob.Open(dir("blobs"), blob.MaxSize(cfg.Gateway.MaxBundleBytes))
	if err != nil {
		return nil, err
	}
	n.registry, err = registry.Open(dir("registry.db"))
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			n.registry.Close()
		}
	}()

	wcfg := cfg.Worker
	if wcfg.LogDir == "" {
		wcfg.LogDir = dir("logs")
	}
	// Security: the keeper hands the worker its cluster key in-process; the
	// attestation issue replaces this with a key sealed to the worker's
	// attested identity.
	n.worker, err = worker.New(wcfg, log.With("role", "worker"), n.keeper.ClusterKey(wcfg.Cluster), n.blobs)
	if err != nil {
		return nil, err
	}
	n.gateway, err = gateway.New(cfg.Gateway, log.With("role", "gateway"), n.registry, n.blobs, n.worker, clusterKeys{n.keeper, wcfg.Cluster})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// Platform returns the node's TEE platform.
func (n *Node) Platform() tee.Platform { return n.platform }

// Run serves the gateway on ln and runs every role until ctx ends, then
// stops them all and closes the stores.
func (n *Node) Run(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	run := func(i int, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil && ctx.Err() == nil {
				errs[i] = err
				cancel() // one role failing stops the node
			}
		}()
	}
	run(0, func() error { return n.worker.Run(ctx) })
	run(1, func() error { return n.gateway.Run(ctx, ln) })
	n.gateway.SetReady(true)
	wg.Wait()
	n.gateway.SetReady(false)
	return errors.Join(append(errs, n.registry.Close())...)
}

// clusterKeys is the gateway's view of the keeper: public key material only.
type clusterKeys struct {
	keeper  *gatekeeper.Keeper
	cluster keys.ClusterID
}

func (k clusterKeys) ClusterKey() (string, uint32, []byte, error) {
	pub, err := k.keeper.ClusterKey(k.cluster).PublicKey()
	return string(k.cluster), 0, pub, err
}

func (k clusterKeys) Attestor(id cove.AgentID) cove.Address { return k.keeper.Attestor(k.cluster, id) }
