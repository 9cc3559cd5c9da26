// Package devevm is the development EVM of `cove dev`: an in-process
// chain (go-ethereum's simulated backend, on the rules mainnet runs up to
// Osaka) that serves standard JSON-RPC over HTTP, seals a block every
// BlockTime, funds the ten Hardhat/Anvil development accounts and the
// caller's, and has CoveAnchor and the example consumers deployed at start,
// so that viem, ethers, Foundry and MetaMask work against it.
//
// Who deploys what: the anchor is deployed, and owned, by Config.Owner;
// the examples are deployed by development account 0 (the account tools
// pick by default), which makes it PriceConsumer's owner, the one account
// that may ask it. Each example asks one agent, fixed at its deployment:
// Start deploys those named in Config.Agents, and DeployExample deploys one
// more for another agent at any time.
package devevm

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/big"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/contracts"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
)

// The examples' names, for Config.Agents, Example and DeployExample.
const (
	ExamplePrice = "price" // contracts.PriceConsumer
	ExampleAI    = "ai"    // contracts.AIConsumer
	ExampleVault = "vault" // contracts.ApprovalVault
)

// Examples lists the examples' names.
var Examples = []string{ExamplePrice, ExampleAI, ExampleVault}

// Balance is what each funded account holds at genesis: 10,000 ether, as
// on Hardhat and Anvil.
var Balance = new(big.Int).Mul(big.NewInt(10_000), big.NewInt(1e18))

// Config configures the development chain.
type Config struct {
	// RPCAddr is the host:port of the HTTP JSON-RPC server (modules eth,
	// net, web3); empty serves none (Chain.Client only). The port cannot
	// be 0: the server does not report the port it would get.
	RPCAddr string
	// ChainID is the chain id (and network id).
	ChainID uint64
	// BlockTime is the time between blocks; a block is sealed every
	// BlockTime whether or not transactions wait. Block timestamps are
	// whole seconds, each at least one past its parent's, so under a
	// second they run ahead of the clock (as do the few blocks of Start's
	// deployments, for a few seconds).
	BlockTime time.Duration
	// Owner deploys and owns the anchor (sets its fee and epoch signers);
	// it is funded. Required.
	Owner *ecdsa.PrivateKey
	// Fund lists more accounts funded at genesis (e.g. the Cove dev key's).
	Fund []common.Address
	// Fee is the anchor's fee (the minimum value of a request), in wei.
	Fee *big.Int
	// Timeout is how long after a request its consumer may cancel it
	// (whole seconds).
	Timeout time.Duration
	// Agents names the examples Start deploys (ExamplePrice, ExampleAI,
	// ExampleVault) with the agent each asks.
	Agents map[string]cove.AgentID
}

// DefaultConfig returns Hardhat's and Anvil's address and chain id, a block
// a second, a fee of 0.001 ether and a five-minute timeout; Owner and
// Agents are left to the caller.
func DefaultConfig() Config {
	return Config{
		RPCAddr:   "127.0.0.1:8545",
		ChainID:   31337,
		BlockTime: time.Second,
		Fee:       big.NewInt(1_000_000_000_000_000),
		Timeout:   5 * time.Minute,
	}
}

// String prints c with Owner as REDACTED.
func (c Config) String() string {
	return fmt.Sprintf("devevm.Config{RPCAddr: %q, ChainID: %d, BlockTime: %s, Fee: %v, Timeout: %s, Owner: REDACTED}",
		c.RPCAddr, c.ChainID, c.BlockTime, c.Fee, c.Timeout)
}

// LogValue keeps Owner out of logs.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Validate reports the first thing wrong with c.
func (c Config) Validate() error {
	if c.RPCAddr != "" {
		if _, _, err := hostPort(c.RPCAddr); err != nil {
			return err
		}
	}
	switch {
	case c.ChainID == 0:
		return errors.New("devevm: chain id is 0")
	case c.BlockTime <= 0:
		return fmt.Errorf("devevm: block time %s is not positive", c.BlockTime)
	case c.Owner == nil:
		return errors.New("devevm: no owner key")
	case c.Fee == nil || c.Fee.Sign() < 0:
		return fmt.Errorf("devevm: fee %v is not a wei amount", c.Fee)
	case c.Timeout < time.Second:
		return fmt.Errorf("devevm: timeout %s is under a second", c.Timeout)
	}
	for name := range c.Agents {
		if !slices.Contains(Examples, name) {
			return fmt.Errorf("devevm: unknown example %q (have %v)", name, Examples)
		}
	}
	return nil
}

// hostPort splits a host:port RPC address, refusing port 0.
func hostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("devevm: rpc address %q: %w", addr, err)
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil || port == 0 {
		return "", 0, fmt.Errorf("devevm: rpc address %q: port must be 1-65535", addr)
	}
	if host == "" {
		return "", 0, fmt.Errorf("devevm: rpc address %q: no host (use 127.0.0.1 for loopback only)", addr)
	}
	return host, int(port), nil
}

// Chain is a running development chain.
type Chain struct {
	sim      *simulated.Backend
	url      string
	chainID  *big.Int
	accounts []Account
	anchor   common.Address
	owner    *ecdsa.PrivateKey

	mu       sync.Mutex
	examples map[string]common.Address

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Start starts the chain, deploys the anchor and the examples in
// cfg.Agents (waiting for each to succeed; ctx bounds that), and then
// seals a block every cfg.BlockTime until Close.
//
// Security: the JSON-RPC server answers any origin (CORS "*") and any
// Host header, as Hardhat and Anvil do, so that browser wallets and dapps
// on any dev server reach it. It holds no keys (no eth_sendTransaction,
// no personal namespace), and the accounts it funds are development ones;
// keep RPCAddr on loopback.
func Start(ctx context.Context, cfg Config) (*Chain, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	accounts, err := DevAccounts()
	if err != nil {
		return nil, err
	}
	alloc := types.GenesisAlloc{}
	fund := []common.Address{crypto.PubkeyToAddress(cfg.Owner.PublicKey)}
	fund = append(fund, cfg.Fund...)
	for _, a := range accounts {
		fund = append(fund, a.Address)
	}
	for _, a := range fund {
		alloc[a] = types.Account{Balance: new(big.Int).Set(Balance)}
	}
	chainID := new(big.Int).SetUint64(cfg.ChainID)

	c := &Chain{chainID: chainID, accounts: accounts, owner: cfg.Owner, examples: map[string]common.Address{},
		stop: make(chan struct{}), done: make(chan struct{})}
	configure := func(nc *node.Config, ec *ethconfig.Config) {
		contracts.Osaka(nc, ec)
		g := *ec.Genesis.Config
		g.ChainID = chainID
		ec.Genesis.Config = &g
		if cfg.RPCAddr != "" {
			nc.HTTPHost, nc.HTTPPort, _ = hostPort(cfg.RPCAddr)
			nc.HTTPModules = []string{"eth", "net", "web3"}
			nc.HTTPCors = []string{"*"}
			nc.HTTPVirtualHosts = []string{"*"}
		}
	}
	if c.sim, err = newBackend(alloc, configure); err != nil {
		return nil, fmt.Errorf("devevm: start: %w", err)
	}
	if cfg.RPCAddr != "" {
		c.url = "http://" + cfg.RPCAddr
	}
	if err := c.deployAll(ctx, cfg); err != nil {
		c.sim.Close()
		return nil, err
	}
	go c.seal(cfg.BlockTime)
	return c, nil
}

// newBackend is simulated.NewBackend, whose failures (an RPC address in
// use) are panics, with them returned as errors.
func newBackend(alloc types.GenesisAlloc, opt func(*node.Config, *ethconfig.Config)) (sim *simulated.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(error)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	return simulated.NewBackend(alloc, opt), nil
}

// deployAll deploys the anchor and cfg.Agents' examples, sealing a block
// for each (the sealing loop has not started yet).
func (c *Chain) deployAll(ctx context.Context, cfg Config) error {
	owner, err := bind.NewKeyedTransactorWithChainID(cfg.Owner, c.chainID)
	if err != nil {
		return err
	}
	owner.Context = ctx
	at, tx, _, err := contracts.DeployCoveAnchor(owner, c.sim.Client(), cfg.Fee, uint64(cfg.Timeout/time.Second))
	if err := c.deployed(ctx, "CoveAnchor", tx, err, true); err != nil {
		return err
	}
	c.anchor = at
	for _, name := range slices.Sorted(maps.Keys(cfg.Agents)) {
		if _, err := c.deployExample(ctx, name, cfg.Agents[name], true); err != nil {
			return err
		}
	}
	return nil
}

// DeployExample deploys one more example (ExamplePrice, ExampleAI or
// ExampleVault) asking agent, from development account 0, waits for it
// to be sealed, and makes it the one Example(name) returns.
func (c *Chain) DeployExample(ctx context.Context, name string, agent cove.AgentID) (common.Address, error) {
	return c.deployExample(ctx, name, agent, false)
}

func (c *Chain) deployExample(ctx context.Context, name string, agent cove.AgentID, seal bool) (common.Address, error) {
	from, err := bind.NewKeyedTransactorWithChainID(c.accounts[0].Key, c.chainID)
	if err != nil {
		return common.Address{}, err
	}
	from.Context = ctx
	var (
		at  common.Address
		tx  *types.Transaction
		typ string
	)
	switch name {
	case ExamplePrice:
		typ = "PriceConsumer"
		at, tx, _, err = contracts.DeployPriceConsumer(from, c.sim.Client(), c.anchor, agent)
	case ExampleAI:
		typ = "AIConsumer"
		at, tx, _, err = contracts.DeployAIConsumer(from, c.sim.Client(), c.anchor, agent)
	case ExampleVault:
		typ = "ApprovalVault"
		at, tx, _, err = contracts.DeployApprovalVault(from, c.sim.Client(), c.anchor, agent)
	default:
		return common.Address{}, fmt.Errorf("devevm: unknown example %q (have %v)", name, Examples)
	}
	if err := c.deployed(ctx, typ, tx, err, seal); err != nil {
		return common.Address{}, err
	}
	c.mu.Lock()
	c.examples[name] = at
	c.mu.Unlock()
	return at, nil
}

// deployed waits for the deployment tx (sent with error err) to be
// sealed, sealing a block first if seal, and fails unless it succeeded.
func (c *Chain) deployed(ctx context.Context, what string, tx *types.Transaction, err error, seal bool) error {
	if err != nil {
		return fmt.Errorf("devevm: deploy %s: %w", what, err)
	}
	if seal {
		c.sim.Commit()
	}
	r, err := c.wait(ctx, tx.Hash())
	if err != nil {
		return fmt.Errorf("devevm: deploy %s: %w", what, err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return fmt.Errorf("devevm: deploy %s: transaction %s reverted", what, tx.Hash())
	}
	return nil
}

// pollInterval is how often wait looks for a receipt.
const pollInterval = 20 * time.Millisecond

// wait returns the receipt of tx once a block holds it.
func (c *Chain) wait(ctx context.Context, tx common.Hash) (*types.Receipt, error) {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		r, err := c.sim.Client().TransactionReceipt(ctx, tx)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, ethereum.NotFound) {
			return nil, fmt.Errorf("receipt of %s: %w", tx, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("receipt of %s: %w", tx, ctx.Err())
		case <-t.C:
		}
	}
}

// seal seals a block every d until Close. It is the only caller of Commit
// once Start has returned, so no two seals overlap.
func (c *Chain) seal(d time.Duration) {
	defer close(c.done)
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.sim.Commit()
		}
	}
}

// TrustEpochSigner makes the anchor trust signer as key epoch epoch's
// (setEpochSigner, sent by the owner) unless it does already, and waits
// for the transaction to be sealed. changed reports whether it sent one.
func (c *Chain) TrustEpochSigner(ctx context.Context, epoch uint64, signer common.Address) (changed bool, err error) {
	a, err := contracts.NewCoveAnchor(c.anchor, c.sim.Client())
	if err != nil {
		return false, err
	}
	have, err := a.EpochSigner(&bind.CallOpts{Context: ctx}, epoch)
	if err != nil {
		return false, fmt.Errorf("devevm: epochSigner(%d): %w", epoch, err)
	}
	if have == signer {
		return false, nil
	}
	opts, err := bind.NewKeyedTransactorWithChainID(c.owner, c.chainID)
	if err != nil {
		return false, err
	}
	opts.Context = ctx
	tx, err := a.SetEpochSigner(opts, epoch, signer)
	if err != nil {
		return false, fmt.Errorf("devevm: setEpochSigner(%d): %w", epoch, err)
	}
	r, err := c.wait(ctx, tx.Hash())
	if err != nil {
		return false, err
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return false, fmt.Errorf("devevm: setEpochSigner(%d) reverted", epoch)
	}
	return true, nil
}

// URL returns the JSON-RPC endpoint, "http://" + Config.RPCAddr, or ""
// when no server runs.
func (c *Chain) URL() string { return c.url }

// Client returns an in-process client of the chain (what ethclient.Client
// offers; it also serves the contracts' bindings).
func (c *Chain) Client() simulated.Client { return c.sim.Client() }

// ChainID returns the chain id.
func (c *Chain) ChainID() *big.Int { return new(big.Int).Set(c.chainID) }

// Anchor returns CoveAnchor's address.
func (c *Chain) Anchor() common.Address { return c.anchor }

// Example returns the address of the example called name, if deployed.
func (c *Chain) Example(name string) (common.Address, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.examples[name]
	return at, ok
}

// Accounts returns the NumAccounts development accounts of Mnemonic, all
// funded with Balance.
func (c *Chain) Accounts() []Account { return slices.Clone(c.accounts) }

// Close stops sealing blocks, then the JSON-RPC server and the chain.
// The chain cannot be used afterwards.
func (c *Chain) Close() error {
	c.closeOnce.Do(func() {
		close(c.stop)
		<-c.done
		c.closeErr = c.sim.Close()
	})
	return c.closeErr
}
