// Package bridge is the EVM coprocessor role: it watches CoveAnchor
// contracts on one or more EVM chains, runs the agent each CoveRequest
// names, registers the agent's attestor with the anchor (with the grant
// from the Cove chain) when needed, and sends fulfil with the agent's signed
// receipt.
//
// Per chain it keeps a file in its data directory (the scan cursor, the
// hashes of recently scanned blocks, the requests in flight with their
// signed transactions), written atomically before each transaction is
// broadcast, so that after a crash every request is fulfilled exactly once:
// the anchor refuses a second fulfilment, and the bridge checks requestOf
// before paying gas. Blocks are scanned once Confirmations deep; a block
// hash that changed means a reorg and the scan resumes from the last block
// that did not. Transactions are pipelined (consecutive nonces, no waiting)
// and re-priced when they sit unmined. The EVM node may come and go: every
// step is retried on the next poll.
package bridge

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/contracts"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Cove is what the bridge needs of the Cove network: run an agent, and read
// its record (attestor, key epoch, attestor grant). The node passes its
// worker and chain view; a remote bridge would use a gateway.
type Cove interface {
	Invoke(ctx context.Context, id cove.AgentID, call cove.Call) (*cove.Response, error)
	Agent(id cove.AgentID) (cove.Agent, error)
}

// EVM is the JSON-RPC client of one chain the bridge uses (ethclient.Client
// and go-ethereum's simulated backend client implement it).
type EVM interface {
	bind.ContractBackend
	ChainID(ctx context.Context) (*big.Int, error)
	BlockNumber(ctx context.Context) (uint64, error)
	TransactionReceipt(ctx context.Context, hash common.Hash) (*types.Receipt, error)
	NonceAt(ctx context.Context, account common.Address, block *big.Int) (uint64, error)
	BalanceAt(ctx context.Context, account common.Address, block *big.Int) (*big.Int, error)
}

// Signer signs with the relayer's key (contracts.Signer: an
// account.Signer from the keystore, or contracts.KeySigner).
type Signer = contracts.Signer

// KeySigner is a Signer holding k (development keys).
func KeySigner(k *ecdsa.PrivateKey) Signer { return contracts.KeySigner(k) }

// ChainConfig is one EVM chain the bridge serves.
type ChainConfig struct {
	// Name names the chain in logs, files and GET /v1/evm: lowercase
	// letters, digits and '-'.
	Name string
	// RPC is the JSON-RPC URL; Client, when set, is used instead (an
	// in-process chain).
	RPC    string
	Client EVM
	// ChainID is the chain's id; the bridge refuses a node that reports
	// another.
	ChainID uint64
	// Anchor is the CoveAnchor's address.
	Anchor common.Address
	// Key is the relayer's key: it pays the gas and is paid the fees.
	Key Signer
	// Confirmations is how deep a block must be before its requests are
	// served (0: at once, for development chains).
	Confirmations uint64
	// PollInterval is how often the chain is read (default 1 s).
	PollInterval time.Duration
	// StartBlock is the first block scanned when the bridge has no cursor
	// for the chain yet (the anchor's deployment block, say).
	StartBlock uint64
	// RepriceAfter is how long a fulfilment may sit unmined before it is
	// sent again with higher fees (default 30 s).
	RepriceAfter time.Duration
	// MaxFeeCap bounds the fee per gas re-pricing may reach (default
	// DefaultMaxFeeCap): past it a transaction waits.
	MaxFeeCap *big.Int
	// MaxCallbackGas bounds the callback gas of a request the relayer pays
	// for (default DefaultMaxCallbackGas); a request asking more is left
	// to its consumer to cancel, since a consumer could otherwise burn the
	// relayer's gas for the minimum fee.
	MaxCallbackGas uint32
}

// Defaults of ChainConfig.
var (
	// DefaultMaxFeeCap is 1000 gwei.
	DefaultMaxFeeCap = big.NewInt(1_000_000_000_000)
)

// DefaultMaxCallbackGas is ChainConfig.MaxCallbackGas's default.
const DefaultMaxCallbackGas = 5_000_000

// Config configures a Bridge.
type Config struct {
	// Dir holds one state file per chain (bridge-NAME.json).
	Dir    string
	Chains []ChainConfig
	// Concurrency bounds the agent calls in flight per chain (default 32).
	Concurrency int
	Log         *slog.Logger
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// Bridge relays CoveRequests of every configured chain.
type Bridge struct {
	cove   Cove
	relays []*relay
	log    *slog.Logger
}

// New checks cfg and prepares a relay per chain; Run starts them.
func New(cfg Config, c Cove) (*Bridge, error) {
	if c == nil {
		return nil, errors.New("bridge: no Cove to invoke agents with")
	}
	if cfg.Dir == "" {
		return nil, errors.New("bridge: no data directory")
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 32
	}
	b := &Bridge{cove: c, log: log}
	seen := map[string]bool{}
	for _, cc := range cfg.Chains {
		if !nameRE.MatchString(cc.Name) {
			return nil, fmt.Errorf("bridge: chain name %q: use lowercase letters, digits and '-' (at most 32)", cc.Name)
		}
		if seen[cc.Name] {
			return nil, fmt.Errorf("bridge: chain %q configured twice", cc.Name)
		}
		seen[cc.Name] = true
		if cc.RPC == "" && cc.Client == nil {
			return nil, fmt.Errorf("bridge: chain %q has no rpc URL", cc.Name)
		}
		if cc.Key == nil {
			return nil, fmt.Errorf("bridge: chain %q has no relayer key", cc.Name)
		}
		if cc.Anchor == (common.Address{}) {
			return nil, fmt.Errorf("bridge: chain %q has no anchor address", cc.Name)
		}
		if cc.ChainID == 0 {
			return nil, fmt.Errorf("bridge: chain %q has no chain id", cc.Name)
		}
		if cc.PollInterval <= 0 {
			cc.PollInterval = time.Second
		}
		if cc.RepriceAfter <= 0 {
			cc.RepriceAfter = 30 * time.Second
		}
		if cc.MaxFeeCap == nil || cc.MaxFeeCap.Sign() <= 0 {
			cc.MaxFeeCap = DefaultMaxFeeCap
		}
		if cc.MaxCallbackGas == 0 {
			cc.MaxCallbackGas = DefaultMaxCallbackGas
		}
		b.relays = append(b.relays, &relay{
			cfg: cc, cove: c, conc: cfg.Concurrency, from: common.Address(cc.Key.Address()),
			path: filepath.Join(cfg.Dir, "bridge-"+cc.Name+".json"),
			log:  log.With("evm", cc.Name),
		})
	}
	return b, nil
}

// Run serves every chain until ctx ends. A chain whose node is down is
// retried. A chain whose state file cannot be used is not served: that is
// logged and shown in its Status, the other chains go on, and Run returns
// the error when they end.
func (b *Bridge) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(b.relays))
	for i, r := range b.relays {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.run(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Status is what the bridge reports of one chain.
type Status struct {
	Name      string         `json:"name"`
	ChainID   uint64         `json:"chainId"`
	Anchor    common.Address `json:"anchor"`
	Relayer   common.Address `json:"relayer"`
	RPC       string         `json:"rpc"`
	Fee       *big.Int       `json:"fee"`      // the anchor's fee, once read
	Head      uint64         `json:"head"`     // the latest block seen
	Scanned   uint64         `json:"scanned"`  // blocks before this one are scanned
	InFlight  int            `json:"inFlight"` // not fulfilled yet (a fulfilment waiting for finality counts as fulfilled)
	Fulfilled uint64         `json:"fulfilled"`
	LastError string         `json:"lastError,omitempty"`
	// Requests are the requests in flight (oldest first), then the last
	// ones fulfilled since the bridge started (newest first).
	Requests []RequestStatus `json:"requests"`
}

// RequestStatus is one request of an anchor as the bridge handles it.
type RequestStatus struct {
	ID    string       `json:"id"` // decimal, the anchor's request id
	Agent cove.AgentID `json:"agent"`
	// Stage is where it is: "new", "sent", "mined", "stuck" (in flight),
	// or "fulfilled".
	Stage string `json:"stage"`
	// Block is the EVM block of the request; Mined the block of its
	// fulfilment, once mined; Status the agent's status in it.
	Block     uint64    `json:"block"`
	Mined     uint64    `json:"mined,omitempty"`
	Status    uint16    `json:"status,omitempty"`
	Tx        string    `json:"tx,omitempty"` // the fulfil transaction, once mined
	Attempts  int       `json:"attempts,omitempty"`
	LastError string    `json:"lastError,omitempty"`
	SeenAt    time.Time `json:"seenAt"`
}

// Status reports every chain.
func (b *Bridge) Status() []Status {
	out := make([]Status, 0, len(b.relays))
	for _, r := range b.relays {
		out = append(out, r.status())
	}
	return out
}

var _ ethereum.LogFilterer = EVM(nil)
