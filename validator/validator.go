// Package validator runs the Cove chain (package chain) under CometBFT,
// in-process, through ABCI. It is the only importer of CometBFT: its
// nine-argument constructors and BaseService lifecycle stay behind Server.
//
// The chain's committed state is persisted here (chain has no I/O): every
// Commit writes the block's write-set, height and app hash to a bbolt file in
// one transaction, and a restart loads it and lets CometBFT replay any block
// the app had not committed.
package validator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	rpclocal "github.com/cometbft/cometbft/rpc/client/local"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cove-network/cove/chain"
)

// Config tunes a validator.
type Config struct {
	// Home is the CometBFT home: config/ (genesis, keys) and data/.
	Home string `toml:"home"`
	// Moniker names the node to its peers.
	Moniker string `toml:"moniker"`
	// P2PAddr is the peer-to-peer listen address (host:port).
	P2PAddr string `toml:"p2p_addr"`
	// RPCAddr is CometBFT's RPC listen address (host:port); empty disables it.
	RPCAddr string `toml:"rpc_addr"`
	// Peers are persistent peers, "nodeid@host:port".
	Peers []string `toml:"peers"`
	// BlockInterval is CometBFT's timeout_commit: the pause between blocks.
	// Blocks come that much plus one consensus round apart: ~20-30 ms more
	// with one validator, ~100-130 ms more with four on a shared 2-core
	// machine (docs/PERFORMANCE.md).
	BlockInterval time.Duration `toml:"block_interval"`
}

// DefaultConfig returns the settings of a single dev validator.
func DefaultConfig() Config {
	return Config{
		Moniker:       "cove",
		P2PAddr:       "127.0.0.1:26656",
		RPCAddr:       "127.0.0.1:26657",
		BlockInterval: 200 * time.Millisecond,
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Home == "" {
		return errors.New("validator: home is empty")
	}
	if c.P2PAddr == "" {
		return errors.New("validator: p2p_addr is empty")
	}
	if c.BlockInterval <= 0 {
		return fmt.Errorf("validator: block_interval %s must be positive", c.BlockInterval)
	}
	for _, p := range c.Peers {
		if _, _, ok := strings.Cut(p, "@"); !ok {
			return fmt.Errorf("validator: peer %q: want NODEID@HOST:PORT", p)
		}
	}
	return nil
}

// Server is a running validator.
type Server struct {
	cfg  Config
	log  *slog.Logger
	app  *abciApp
	node *node.Node
	rpc  *rpclocal.Local
	// dbs are every database CometBFT opened: its Stop leaves some (the tx
	// index) open, which would keep their lock files held.
	dbs []dbm.DB
}

// New opens the validator's state and builds the CometBFT node. The home
// must have been initialised with Init. It starts nothing.
func New(cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ccfg := cometConfig(cfg)
	if _, err := os.Stat(ccfg.GenesisFile()); err != nil {
		return nil, fmt.Errorf("validator: no genesis in %s: create the chain first (cove dev does; cove testnet init writes homes)", cfg.Home)
	}
	nodeKey, err := p2p.LoadNodeKey(ccfg.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("validator: node key in %s: %w (run init first)", ccfg.NodeKeyFile(), err)
	}
	app, err := openApp(filepath.Join(cfg.Home, "data", "cove-state.db"), log)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, app: app}
	pv := privval.LoadFilePV(ccfg.PrivValidatorKeyFile(), ccfg.PrivValidatorStateFile())
	n, err := node.NewNode(ccfg, pv, nodeKey,
		proxy.NewLocalClientCreator(app),
		node.DefaultGenesisDocProviderFunc(ccfg),
		func(ctx *cmtcfg.DBContext) (dbm.DB, error) {
			db, err := cmtcfg.DefaultDBProvider(ctx)
			if err != nil {
				return nil, err
			}
			s.dbs = append(s.dbs, db)
			return lateCloseDB{db}, nil
		},
		node.DefaultMetricsProvider(ccfg.Instrumentation),
		newCometLogger(log.With("component", "cometbft")),
	)
	if err != nil {
		s.closeDBs()
		app.close()
		return nil, fmt.Errorf("validator: start cometbft: %w", err)
	}
	s.node = n
	s.rpc = rpclocal.New(n)
	return s, nil
}

func cometConfig(cfg Config) *cmtcfg.Config {
	c := cmtcfg.DefaultConfig()
	c.SetRoot(cfg.Home)
	c.Moniker = cfg.Moniker
	c.P2P.ListenAddress = "tcp://" + cfg.P2PAddr
	c.P2P.PersistentPeers = strings.Join(cfg.Peers, ",")
	c.P2P.AddrBookStrict = false // peers are on loopback in dev and tests
	c.P2P.AllowDuplicateIP = true
	c.P2P.PexReactor = false
	if cfg.RPCAddr != "" {
		c.RPC.ListenAddress = "tcp://" + cfg.RPCAddr
	} else {
		c.RPC.ListenAddress = ""
	}
	c.Consensus.TimeoutCommit = cfg.BlockInterval
	c.Consensus.CreateEmptyBlocks = true
	c.Consensus.TimeoutPropose = 1 * time.Second
	c.Consensus.TimeoutPrevote = 500 * time.Millisecond
	c.Consensus.TimeoutPrecommit = 500 * time.Millisecond
	c.Instrumentation.Prometheus = false
	// A block takes timeout_commit plus one round: the proposal, then
	// everyone's prevotes, then their precommits, each crossing the p2p
	// connections. CometBFT's defaults let each message wait up to 100 ms
	// for its connection's flush and a peer's gossip routine sleep 100 ms
	// when it has nothing to send: with four validators a 200 ms
	// timeout_commit gave ~530 ms blocks, with 10 ms each ~320 ms (see
	// docs/PERFORMANCE.md). The round timeouts above are unchanged, so a
	// slow machine still gets a whole round before it moves on. Short
	// gossip sleeps also keep the shutdown grace period short.
	c.Consensus.PeerGossipSleepDuration = 10 * time.Millisecond
	c.Consensus.PeerQueryMaj23SleepDuration = 200 * time.Millisecond
	c.P2P.FlushThrottleTimeout = 10 * time.Millisecond
	c.TxIndex.Indexer = "kv"
	return c
}

// Run starts CometBFT and runs until ctx ends, then stops it.
func (s *Server) Run(ctx context.Context) error {
	if err := s.node.Start(); err != nil {
		s.closeDBs()
		s.app.close()
		return fmt.Errorf("validator: start cometbft: %w", err)
	}
	<-ctx.Done()
	err := s.node.Stop()
	s.node.Wait()
	// Some of CometBFT's peer goroutines outlive Stop by up to a gossip
	// sleep and still read the block store (consensus.queryMaj23Routine
	// panics on a closed store), so the databases close after a grace
	// period rather than in CometBFT's OnStop.
	time.Sleep(stopGrace)
	s.closeDBs()
	return errors.Join(err, s.app.close())
}

// stopGrace outlasts CometBFT's peer gossip sleeps (see cometConfig).
const stopGrace = time.Second

// lateCloseDB ignores CometBFT's Close; the validator closes the database
// itself once CometBFT's goroutines are done with it.
type lateCloseDB struct{ dbm.DB }

func (lateCloseDB) Close() error { return nil }

// closeDBs closes every CometBFT database.
func (s *Server) closeDBs() {
	for _, db := range s.dbs {
		db.Close()
	}
	s.dbs = nil
}

// Close releases a Server that was never Run.
func (s *Server) Close() error {
	s.closeDBs()
	return s.app.close()
}

// Name returns the network's name: CometBFT's chain id ("cove-dev").
func (s *Server) Name() string {
	if g := s.node.GenesisDoc(); g != nil {
		return g.ChainID
	}
	return ""
}

// View reads the committed chain state. It never changes it: the chain
// changes only through blocks.
func (s *Server) View() chain.View { return s.app.view() }

// Broadcast submits a signed transaction and waits until it is committed
// in a block (or refused by CheckTx, or ctx ends, or 30 s pass).
func (s *Server) Broadcast(ctx context.Context, tx []byte) (chain.TxOutcome, error) {
	hash := chain.TxHash(tx)
	out := chain.TxOutcome{Hash: hash.String()}
	done := s.app.await(hash)
	defer s.app.forget(hash, done)
	res, err := s.rpc.BroadcastTxSync(ctx, cmttypes.Tx(tx))
	if err != nil {
		if strings.Contains(err.Error(), "tx already exists in cache") {
			// CometBFT's mempool cache remembers every recent tx: this exact
			// transaction was sent before, so its nonce is spent or pending.
			out.Code, out.Log = chain.CodeBadNonce, "bad nonce: this exact transaction was already submitted; sign a new one with the account's next nonce"
			return out, nil
		}
		return out, fmt.Errorf("broadcast tx: %w", err)
	}
	if res.Code != 0 {
		out.Code, out.Log = res.Code, res.Log
		return out, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	select {
	case r := <-done:
		out.Height, out.Code, out.Log, out.Events = r.height, r.result.Code, r.result.Log, r.result.Events
		return out, nil
	case <-ctx.Done():
		return out, fmt.Errorf("tx %s accepted but not committed: %w", hash, ctx.Err())
	}
}

// Subscribe delivers the events of every committed transaction until ctx
// ends. A slow reader misses events (the channel is buffered).
func (s *Server) Subscribe(ctx context.Context) <-chan chain.Event {
	return s.app.events.Subscribe(ctx)
}

// GenesisFile returns the path of the genesis file under a home.
func GenesisFile(home string) string { return filepath.Join(home, "config", "genesis.json") }

// ReadGenesis reads the chain genesis embedded in a CometBFT genesis file.
func ReadGenesis(home string) (chain.Genesis, error) {
	doc, err := cmttypes.GenesisDocFromFile(GenesisFile(home))
	if err != nil {
		return chain.Genesis{}, fmt.Errorf("read genesis: %w", err)
	}
	var g chain.Genesis
	if err := json.Unmarshal(doc.AppState, &g); err != nil {
		return chain.Genesis{}, fmt.Errorf("read genesis app state: %w", err)
	}
	return g, nil
}

// Keys are a validator's identity: the node key (p2p) and the consensus key.
type Keys struct {
	NodeID string
	// Validator is the validator as genesis lists it: its name (the
	// moniker), its Ed25519 consensus public key and power 10.
	Validator chain.Validator
}

// InitKeys creates the node and consensus keys under home if missing and
// returns them.
func InitKeys(home, moniker string) (Keys, error) {
	c := cmtcfg.DefaultConfig()
	c.SetRoot(home)
	for _, d := range []string{filepath.Join(home, "config"), filepath.Join(home, "data")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return Keys{}, fmt.Errorf("init validator keys: %w", err)
		}
	}
	nk, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile())
	if err != nil {
		return Keys{}, fmt.Errorf("init node key: %w", err)
	}
	pv := privval.LoadOrGenFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
	pub, err := pv.GetPubKey()
	if err != nil {
		return Keys{}, fmt.Errorf("init validator key: %w", err)
	}
	if _, ok := pub.(ed25519.PubKey); !ok {
		return Keys{}, fmt.Errorf("init validator key: %s key in %s, want ed25519", pub.Type(), c.PrivValidatorKeyFile())
	}
	return Keys{
		NodeID:    string(nk.ID()),
		Validator: chain.Validator{Name: moniker, PubKey: chain.Bytes(pub.Bytes()), Power: 10},
	}, nil
}

// WriteGenesis writes the CometBFT genesis of a chain with the given
// validators (Ed25519 keys) and app state to home, unless one exists
// already.
func WriteGenesis(home, chainID string, validators []chain.Validator, g chain.Genesis) error {
	path := GenesisFile(home)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	state, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("write genesis: %w", err)
	}
	vals := make([]cmttypes.GenesisValidator, len(validators))
	for i, v := range validators {
		if len(v.PubKey) != ed25519.PubKeySize {
			return fmt.Errorf("write genesis: validator %q: public key is %d bytes, want an %d-byte Ed25519 key", v.Name, len(v.PubKey), ed25519.PubKeySize)
		}
		pub := ed25519.PubKey(bytes.Clone(v.PubKey))
		vals[i] = cmttypes.GenesisValidator{Address: pub.Address(), PubKey: pub, Power: v.Power, Name: v.Name}
	}
	doc := &cmttypes.GenesisDoc{
		GenesisTime:     g.Time,
		ChainID:         chainID,
		InitialHeight:   1,
		ConsensusParams: cmttypes.DefaultConsensusParams(),
		Validators:      vals,
		AppState:        state,
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return fmt.Errorf("write genesis: %w", err)
	}
	return doc.SaveAs(path)
}
