// Package testnet runs a network of real Cove nodes inside a test: n
// validators built with node.New from the homes node.InitTestnet writes,
// wired to each other on loopback ports, each one stoppable and restartable
// on its own data. Tests poll it with deadlines (WaitHeight, CheckAppHash);
// nothing here sleeps to synchronise.
//
//	net := testnet.Start(t, 4)
//	net.WaitHeight(ctx, 3)
//	net.Node(3).Stop()
//	... send transactions through net.Node(0).Client() ...
//	net.Node(3).Restart()
package testnet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/cove-network/cove/internal/testnet/cometrpc"
	"github.com/cove-network/cove/internal/testport"
	"github.com/cove-network/cove/node"
)

// DefaultBlockInterval is the pause between blocks of a test network:
// shorter than cove dev's 200 ms so that tests wait less.
const DefaultBlockInterval = 100 * time.Millisecond

// Option tunes Start.
type Option func(*options)

type options struct {
	blockInterval time.Duration
	funded        []cove.Address
	logLevel      slog.Level
	workers       int
	standby       int
}

// Standby adds k standby nodes after the worker nodes (node.InitTestnet's
// layout): each follows the chain with the validator role alone, its
// consensus key not in genesis, until an AddValidator makes it a
// validator. Their Node has no Client.
func Standby(k int) Option { return func(o *options) { o.standby = k } }

// Workers adds k worker nodes after the validators (node.InitTestnet's
// layout): each follows the chain and runs only a worker serving its link;
// the validators' gateways route every call to them. Their Node has no
// Client.
func Workers(k int) Option { return func(o *options) { o.workers = k } }

// BlockInterval sets every validator's block interval (CometBFT's
// timeout_commit); the default is DefaultBlockInterval.
func BlockInterval(d time.Duration) Option { return func(o *options) { o.blockInterval = d } }

// Fund funds these accounts in genesis too (with node.DevFunds each), after
// the admin.
func Fund(addrs ...cove.Address) Option {
	return func(o *options) { o.funded = append(o.funded, addrs...) }
}

// LogLevel sets the level of the nodes' logs, which the test shows when it
// fails (default info; slog.LevelDebug adds CometBFT's per-block lines).
func LogLevel(l slog.Level) Option { return func(o *options) { o.logLevel = l } }

// Net is a running test network.
type Net struct {
	// Admin is the governance admin, funded in genesis.
	Admin *Key

	t     testing.TB
	opts  options
	nodes []*Node
}

// Start builds n nodes (every role; validators of equal power) on free
// loopback ports, runs each in a goroutine and waits until every gateway
// and CometBFT RPC answers. The network is stopped at the test's cleanup.
func Start(t testing.TB, n int, opts ...Option) *Net {
	t.Helper()
	o := options{blockInterval: DefaultBlockInterval, logLevel: slog.LevelInfo}
	for _, f := range opts {
		f(&o)
	}
	admin := NewKey(t)
	funded := append([]cove.Address{admin.Address()}, o.funded...)
	var lastErr error
	for range 5 {
		// Another process may take a probed port before the nodes bind it:
		// then start again on other ports.
		base, err := testport.Consecutive(3 * (n + o.workers + o.standby))
		if err != nil {
			t.Fatal(err)
		}
		homes, err := node.InitTestnet(t.TempDir(), node.Layout{Validators: n, Workers: o.workers, Standby: o.standby}, base, funded)
		if err != nil {
			t.Fatalf("init testnet: %v", err)
		}
		nt := &Net{Admin: admin, t: t, opts: o}
		for i, h := range homes {
			nt.nodes = append(nt.nodes, &Node{
				Index: i, Home: h.Home, HTTPAddr: h.HTTP, RPCAddr: h.RPC, P2PAddr: h.P2P, LinkAddr: h.Link,
				net: nt, logs: &syncbuf.Buffer{},
			})
		}
		err = nt.startAll()
		if err == nil {
			t.Cleanup(nt.Close)
			return nt
		}
		nt.stopAll() // the errors are the bind errors
		if !isAddrInUse(err) {
			t.Fatalf("start testnet: %v", err)
		}
		lastErr = err
	}
	t.Fatalf("start testnet: no free ports after 5 attempts: %v", lastErr)
	return nil
}

func (n *Net) startAll() error {
	for _, nd := range n.nodes {
		if err := nd.start(); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, nd := range n.nodes {
		if err := nd.waitUp(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Len returns the number of nodes, running or not.
func (n *Net) Len() int { return len(n.nodes) }

// Node returns node i (0 ≤ i < Len()).
func (n *Net) Node(i int) *Node { return n.nodes[i] }

// Running returns the nodes that are running.
func (n *Net) Running() []*Node {
	var out []*Node
	for _, nd := range n.nodes {
		if nd.Running() {
			out = append(out, nd)
		}
	}
	return out
}

// Close stops every running node; Start registers it with t.Cleanup. When
// the test failed it logs the tail of each node's log.
func (n *Net) Close() {
	for _, err := range n.stopAll() {
		n.t.Error(err)
	}
	if n.t.Failed() {
		for _, nd := range n.nodes {
			n.t.Logf("node %d log (tail):\n%s", nd.Index, nd.logs.Tail(32<<10))
		}
	}
}

// stopAll stops the running nodes in parallel.
func (n *Net) stopAll() []error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, nd := range n.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := nd.stop(); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("node %d: %w", nd.Index, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errs
}

// Heights returns the committed height of every running node, by index.
func (n *Net) Heights(ctx context.Context) (map[int]int64, error) {
	out := map[int]int64{}
	for _, nd := range n.Running() {
		st, err := nd.Status(ctx)
		if err != nil {
			return nil, err
		}
		out[nd.Index] = st.Height
	}
	return out, nil
}

// MaxHeight returns the highest committed height of the running nodes.
func (n *Net) MaxHeight(ctx context.Context) (int64, error) {
	hs, err := n.Heights(ctx)
	var m int64
	for _, h := range hs {
		m = max(m, h)
	}
	return m, err
}

// WaitHeight waits until every running node has committed height h.
func (n *Net) WaitHeight(ctx context.Context, h int64) error {
	for _, nd := range n.Running() {
		if err := nd.WaitHeight(ctx, h); err != nil {
			return err
		}
	}
	return nil
}

// CheckAppHash checks that every running node's own state agrees with the
// chain: the app hash its gateway reports at its height equals the app hash
// in the header of the next block as every running node's CometBFT stored
// it (waiting, until ctx ends, for that block). The headers carry the app
// hash the validators agreed on, so a node whose state diverged fails here.
func (n *Net) CheckAppHash(ctx context.Context) error {
	running := n.Running()
	for _, nd := range running {
		if nd.c == nil {
			continue // a worker node reports no app hash; its peers' headers still check the validators
		}
		st, err := nd.Status(ctx)
		if err != nil {
			return err
		}
		for _, ref := range running {
			if err := ref.WaitHeight(ctx, st.Height+1); err != nil {
				return err
			}
			want, err := ref.RPC().AppHashAfter(ctx, st.Height)
			if err != nil {
				return fmt.Errorf("node %d: app hash after block %d: %w", ref.Index, st.Height, err)
			}
			if st.AppHash != want {
				return fmt.Errorf("node %d has app hash %s after block %d; node %d's block %d says %s", nd.Index, st.AppHash, st.Height, ref.Index, st.Height+1, want)
			}
		}
	}
	return nil
}

// Node is one node of a Net. Its methods are for the test's goroutine.
type Node struct {
	Index int
	// Home holds cove.toml, the chain (home/chain) and the data (home/data).
	Home     string
	HTTPAddr string // the gateway; empty on a worker node
	RPCAddr  string // CometBFT's RPC
	P2PAddr  string
	LinkAddr string // a worker node's link listener

	net  *Net
	logs *syncbuf.Buffer
	run  *run // nil while stopped
	c    *client.Client
	rpc  *cometrpc.Client
}

// run is one life of a node, from start to stop.
type run struct {
	cancel context.CancelFunc
	exited chan struct{} // closed when Run returned, after err is set
	err    error
}

func (nd *Node) start() error {
	cfg, err := node.LoadConfig(nd.Home)
	if err != nil {
		return fmt.Errorf("node %d: %w", nd.Index, err)
	}
	cfg.Validator.BlockInterval = nd.net.opts.blockInterval
	var ln net.Listener
	if cfg.Roles.Gateway {
		if ln, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return fmt.Errorf("node %d: listen: %w", nd.Index, err)
		}
	}
	log := slog.New(slog.NewTextHandler(nd.logs, &slog.HandlerOptions{Level: nd.net.opts.logLevel})).With("node", nd.Index)
	n, err := node.New(cfg, log)
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return fmt.Errorf("node %d: %w", nd.Index, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &run{cancel: cancel, exited: make(chan struct{})}
	go func() {
		r.err = n.Run(ctx, ln)
		close(r.exited)
	}()
	nd.run = r
	if nd.rpc == nil {
		if nd.HTTPAddr != "" {
			if nd.c, err = client.New("http://" + nd.HTTPAddr); err != nil {
				return err
			}
		}
		nd.rpc = cometrpc.New(nd.RPCAddr)
	}
	return nil
}

// waitUp waits until the gateway and CometBFT's RPC answer.
func (nd *Node) waitUp(ctx context.Context) error {
	return nd.poll(ctx, func() (bool, error) {
		if nd.c != nil && nd.c.Health(ctx) != nil {
			return false, nil
		}
		_, err := nd.rpc.LatestHeight(ctx)
		return err == nil, nil
	}, func() string { return "did not come up" })
}

// poll calls cond every 20 ms until it is true, it fails, the node exits or
// ctx ends.
func (nd *Node) poll(ctx context.Context, cond func() (bool, error), what func() string) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := nd.exitedErr(); err != nil {
			return err
		}
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("node %d: %w", nd.Index, err)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %d %s: %w", nd.Index, what(), ctx.Err())
		case <-tick.C:
		}
	}
}

// exitedErr reports a node that stopped without Stop, or was never started.
func (nd *Node) exitedErr() error {
	if nd.run == nil {
		return fmt.Errorf("node %d is stopped", nd.Index)
	}
	select {
	case <-nd.run.exited:
		return fmt.Errorf("node %d exited: %v", nd.Index, nd.run.err)
	default:
		return nil
	}
}

// Running reports whether the node was started and not stopped.
func (nd *Node) Running() bool { return nd.run != nil }

// Stop cancels the node and waits for Run to return. Its data stays in
// Home; Restart starts it again.
func (nd *Node) Stop() {
	nd.net.t.Helper()
	if err := nd.stop(); err != nil {
		nd.net.t.Fatalf("stop node %d: %v", nd.Index, err)
	}
}

func (nd *Node) stop() error {
	r := nd.run
	if r == nil {
		return nil
	}
	nd.run = nil
	r.cancel()
	select {
	case <-r.exited:
	case <-time.After(60 * time.Second):
		return errors.New("the node's Run did not return within 60s of cancel")
	}
	if nd.rpc != nil {
		nd.rpc.Close()
	}
	return r.err
}

// Restart stops the node if it runs, then builds it again with node.New
// from the same home, on the same ports, and waits until it answers. It
// does not wait for it to catch up: see WaitHeight.
func (nd *Node) Restart() {
	t := nd.net.t
	t.Helper()
	nd.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The ports were just released; another process may hold one for a
	// moment.
	for {
		err := nd.start()
		if err == nil {
			err = nd.waitUp(ctx)
		}
		if err == nil {
			return
		}
		if serr := nd.stop(); serr != nil && !isAddrInUse(serr) {
			t.Logf("node %d: %v", nd.Index, serr)
		}
		if !isAddrInUse(err) || ctx.Err() != nil {
			t.Fatalf("restart node %d: %v", nd.Index, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Logs returns what the node has logged in all its lives so far.
func (nd *Node) Logs() string { return nd.logs.String() }

// Client returns a client of the node's gateway.
func (nd *Node) Client() *client.Client { return nd.c }

// RPC returns a client of the node's CometBFT RPC.
func (nd *Node) RPC() *cometrpc.Client { return nd.rpc }

// Status returns the node's chain status (height and app hash) from its
// gateway.
func (nd *Node) Status(ctx context.Context) (api.ChainStatus, error) {
	if nd.c == nil {
		// A worker node (no gateway, no app hash): the height its
		// application committed, so a block's state is readable on the
		// node once Status reports its height (the block store's height,
		// CometBFT's status, runs ahead of the commit).
		h, err := nd.rpc.AppHeight(ctx)
		return api.ChainStatus{Height: h}, err
	}
	st, err := nd.c.ChainStatus(ctx)
	if err != nil {
		return st, fmt.Errorf("node %d: chain status: %w", nd.Index, err)
	}
	return st, nil
}

// WaitHeight waits until the node has committed height h: its state
// (the View its gateway or worker reads) includes block h.
func (nd *Node) WaitHeight(ctx context.Context, h int64) error {
	var last int64
	return nd.poll(ctx, func() (bool, error) {
		st, err := nd.Status(ctx)
		if err != nil {
			return false, nil // not serving yet, or restarting
		}
		last = st.Height
		return st.Height >= h, nil
	}, func() string { return fmt.Sprintf("at height %d, waiting for %d", last, h) })
}

func isAddrInUse(err error) bool {
	// CometBFT's RPC server formats the listen error with %v, losing the
	// errno: match the text as well.
	return errors.Is(err, syscall.EADDRINUSE) || (err != nil && strings.Contains(err.Error(), "address already in use"))
}
