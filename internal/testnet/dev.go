package testnet

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/metrics"
	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/cove-network/cove/internal/testport"
	"github.com/cove-network/cove/node"
	"github.com/cove-network/cove/worker/ai"
)

// DevConfig describes a node StartDev runs.
type DevConfig struct {
	// DataDir holds the node's data and chain (created if missing; a
	// chain already there is reused).
	DataDir string
	// Operator is the keystore file (NAME.json, no passphrase) of the key
	// that sends the node's own transactions. The genesis funds it.
	Operator string
	// Admin is the chain's admin, funded in genesis; Funded are funded too.
	Admin  cove.Address
	Funded []cove.Address
	// P2PAddr is the validator's peer-to-peer address (CometBFT's RPC is
	// off); BlockInterval is its timeout_commit (zero: cove dev's).
	P2PAddr       string
	BlockInterval time.Duration
	Log           *slog.Logger
	// EVMAddr, when set, runs cove dev's EVM with its JSON-RPC there, a
	// block every EVMBlockTime (zero: cove dev's).
	EVMAddr      string
	EVMBlockTime time.Duration
	// ReceiptBatch is the worker's receipt_batch (zero: its default).
	ReceiptBatch int
	// AI is the node's [ai] section (providers of the AI API).
	AI ai.Config
	// AdminAddr is the node's admin listener (metrics, pprof); empty: none.
	AdminAddr string
	// HTTPAddr is where the gateway (and the worker, which registers it as
	// its endpoint) listens; empty: a free loopback port. A node started
	// again from its data dir keeps its registered endpoint only on the
	// same address.
	HTTPAddr string
}

// DevNode is a node StartDev runs.
type DevNode struct {
	// Client is a client of its gateway.
	Client *client.Client
	// Metrics is the node's (what its admin listener would serve).
	Metrics *metrics.Set
	cancel  context.CancelFunc
	done    chan error
	once    sync.Once
	err     error
}

// StartDev runs one node as `cove dev` does (node.InitDev: one validator,
// every role, the simulated TEE) in this process, its gateway on
// c.HTTPAddr or a free loopback port, and waits until it is healthy (its worker provisioned),
// for at most 30 s or until ctx ends. Workers take their keys only from
// the chain, so the node needs its operator key to be provisioned at all.
func StartDev(ctx context.Context, c DevConfig) (*DevNode, error) {
	cfg := node.DefaultConfig()
	cfg.DataDir = c.DataDir
	cfg.Operator = c.Operator
	cfg.Validator.Home = filepath.Join(c.DataDir, "chain")
	cfg.Validator.P2PAddr = c.P2PAddr
	cfg.Validator.RPCAddr = ""
	if c.BlockInterval > 0 {
		cfg.Validator.BlockInterval = c.BlockInterval
	}
	cfg.Worker.ReceiptBatch = c.ReceiptBatch
	cfg.AI = c.AI
	cfg.AdminAddr = c.AdminAddr
	if c.EVMAddr != "" {
		cfg.DevEVM = node.DefaultDevEVM()
		cfg.DevEVM.RPCAddr = c.EVMAddr
		if c.EVMBlockTime > 0 {
			cfg.DevEVM.BlockTime = c.EVMBlockTime
		}
	}
	if _, err := node.InitDev(cfg, c.Admin, c.Funded...); err != nil {
		return nil, err
	}
	addr := c.HTTPAddr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	cfg.HTTPAddr = ln.Addr().String()
	n, err := node.New(cfg, c.Log)
	if err != nil {
		ln.Close()
		return nil, err
	}
	nctx, cancel := context.WithCancel(context.Background())
	d := &DevNode{Metrics: n.Metrics(), cancel: cancel, done: make(chan error, 1)}
	go func() { d.done <- n.Run(nctx, ln) }()
	d.Client, err = client.New("http://" + ln.Addr().String())
	if err == nil {
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		err = d.Client.WaitHealthy(wctx)
		wcancel()
	}
	if err != nil {
		d.Stop()
		return nil, err
	}
	return d, nil
}

// Stop stops the node and returns what its Run returned. It is safe to call
// more than once.
func (d *DevNode) Stop() error {
	d.once.Do(func() {
		d.cancel()
		d.err = <-d.done
	})
	return d.err
}

// Dev runs a StartDev node for a test, with fast blocks, administered by
// admin and funding funded. The node sends its own transactions with an
// operator key of its own, so a test's sends never race it for a nonce.
// Dev returns the gateway's base URL and stops the node at cleanup,
// showing its log if the test failed.
func Dev(t testing.TB, admin cove.Address, funded ...cove.Address) string {
	t.Helper()
	opPath, opAddr := NewOperator(t)
	return dev(t, "", opPath, opAddr, admin, funded...)
}

// DevOperatedBy is Dev with the operator key at opPath (address opAddr,
// funded): a test that acts as the worker's operator (its stake pool)
// holds the same key.
func DevOperatedBy(t testing.TB, opPath string, opAddr, admin cove.Address, funded ...cove.Address) string {
	t.Helper()
	return dev(t, "", opPath, opAddr, admin, funded...)
}

// DevEVM is Dev with cove dev's EVM, its JSON-RPC on a free loopback port
// (GET /v1/evm says which) and a block every 250 ms.
func DevEVM(t testing.TB, admin cove.Address, funded ...cove.Address) string {
	t.Helper()
	opPath, opAddr := NewOperator(t)
	return dev(t, testport.Addr(t), opPath, opAddr, admin, funded...)
}

// NewOperator writes a node operator key (keystore file without a
// passphrase) for a test and returns its path and address.
func NewOperator(t testing.TB) (path string, addr cove.Address) {
	t.Helper()
	keys, err := account.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	op, err := keys.New("operator", "")
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(keys.Dir(), "operator.json"), op.Address
}

func dev(t testing.TB, evmAddr, opPath string, opAddr, admin cove.Address, funded ...cove.Address) string {
	t.Helper()
	logs := &syncbuf.Buffer{}
	d, err := StartDev(context.Background(), DevConfig{
		DataDir:       t.TempDir(),
		Operator:      opPath,
		Admin:         admin,
		Funded:        append([]cove.Address{opAddr}, funded...),
		P2PAddr:       testport.Addr(t),
		BlockInterval: 50 * time.Millisecond,
		Log:           slog.New(slog.NewTextHandler(logs, nil)),
		EVMAddr:       evmAddr,
		EVMBlockTime:  250 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("start a dev node: %v\nnode log (tail):\n%s", err, logs.Tail(32<<10))
	}
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Errorf("node.Run: %v", err)
		}
		if t.Failed() {
			t.Logf("node log (tail):\n%s", logs.Tail(32<<10))
		}
	})
	return d.Client.Base()
}
