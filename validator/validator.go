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
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	rpclocal "github.com/cometbft/cometbft/rpc/client/local"
	sm "github.com/cometbft/cometbft/state"
	"github.com/cometbft/cometbft/state/txindex"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/metrics"
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
	// RebuildState moves the chain state file aside (StateFile, renamed
	// StateFile.damaged-TIME, never deleted) and rebuilds the state by
	// replaying every block of this node's block store from genesis, then
	// checks that it ends at the height and app hash the block store's
	// state records. Set by --rebuild-state, for one start; never in a
	// config file.
	RebuildState bool `toml:"-"`

	// heartbeat and silence override heartbeatInterval and peerSilence in
	// tests (zero: the defaults).
	heartbeat, silence time.Duration
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

// SetMetrics makes the validator record each finalized block's interval
// and transactions into m; call it before Run.
func (s *Server) SetMetrics(m *metrics.Set) { s.app.metrics = m }

// Server is a running validator.
type Server struct {
	cfg  Config
	log  *slog.Logger
	app  *abciApp
	node *node.Node
	rpc  *rpclocal.Local
	// index is CometBFT's transaction indexer (kv), read by Tx.
	index txindex.TxIndexer
	// dbs are every database CometBFT opened: its Stop leaves some (the tx
	// index) open, which would keep their lock files held.
	dbs []dbm.DB
	// stopping is set when Run stops CometBFT: its shutdown errors are
	// logged at debug (see cometLogger).
	stopping atomic.Bool

	// pendingMu guards a snapshot of the mempool's transaction keys, taken
	// at most every mempoolSnapshotAge: Tx answers a public endpoint, and
	// reading the whole mempool per request would hold its lock against
	// the block commit under a flood of look-ups.
	pendingMu sync.Mutex
	pending   map[cmttypes.TxKey]struct{}
	pendingAt time.Time
}

// mempoolSnapshotAge is how stale Tx's view of the mempool may be. A
// transaction that entered it since is reported unknown for that long at
// most; its submitter's look-ups poll an unknown answer for longer
// (txsend.UnknownGrace).
const mempoolSnapshotAge = 100 * time.Millisecond

// inMempool reports whether the mempool held the transaction at the last
// snapshot, taken anew when it is older than mempoolSnapshotAge.
func (s *Server) inMempool(key cmttypes.TxKey) bool {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	if now := time.Now(); s.pending == nil || now.Sub(s.pendingAt) >= mempoolSnapshotAge {
		txs := s.node.Mempool().ReapMaxTxs(-1)
		s.pending = make(map[cmttypes.TxKey]struct{}, len(txs))
		for _, tx := range txs {
			s.pending[tx.Key()] = struct{}{}
		}
		s.pendingAt = now
	}
	_, ok := s.pending[key]
	return ok
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
	statePath := filepath.Join(cfg.Home, "data", StateFile)
	var aside string
	if cfg.RebuildState {
		if aside, err = moveAside(statePath, time.Now()); err != nil {
			return nil, fmt.Errorf("validator: rebuild state: %w", err)
		}
		log.Warn("rebuilding the chain state from the block store", "state", statePath, "damaged_kept_at", aside)
	}
	start := time.Now()
	app, err := openApp(statePath, log)
	if err != nil {
		if cfg.RebuildState {
			return nil, fmt.Errorf("validator: rebuild state: %w", restoreAside(statePath, aside, err, time.Now()))
		}
		return nil, fmt.Errorf("validator: %w", err)
	}
	var stateDB dbm.DB
	s := &Server{cfg: cfg, log: log, app: app}
	pv := privval.LoadFilePV(ccfg.PrivValidatorKeyFile(), ccfg.PrivValidatorStateFile())
	live := newLivenessReactor(cmp.Or(cfg.heartbeat, heartbeatInterval), cmp.Or(cfg.silence, peerSilence))
	n, err := newNode(ccfg, pv, nodeKey, app, live,
		func(ctx *cmtcfg.DBContext) (dbm.DB, error) {
			db, err := cmtcfg.DefaultDBProvider(ctx)
			if err != nil {
				return nil, err
			}
			s.dbs = append(s.dbs, db)
			if ctx.ID == "state" {
				stateDB = db
			}
			return lateCloseDB{db}, nil
		},
		newCometLogger(log.With("component", "cometbft"), &s.stopping),
	)
	if err == nil && cfg.RebuildState {
		err = checkRebuilt(app, stateDB, aside)
	}
	if err != nil {
		s.closeDBs()
		app.close()
		if cfg.RebuildState {
			return nil, fmt.Errorf("validator: rebuild state: %w", restoreAside(statePath, aside, err, time.Now()))
		}
		return nil, fmt.Errorf("validator: start cometbft: %w", err)
	}
	env, err := n.ConfigureRPC()
	if err != nil {
		s.closeDBs()
		app.close()
		return nil, fmt.Errorf("validator: configure cometbft rpc: %w", err)
	}
	if cfg.RebuildState {
		h, hash := app.head()
		log.Info("chain state rebuilt from the block store", "height", h, "app_hash", fmt.Sprintf("%X", hash), "took", time.Since(start).Round(time.Millisecond), "damaged_kept_at", aside)
	}
	s.node = n
	s.rpc = rpclocal.New(n)
	s.index = env.TxIndexer
	return s, nil
}

// newNode builds the CometBFT node. Its handshake with the app replays the
// stored blocks the app has not committed (all of them for a new state)
// and panics on a block store that contradicts the app or itself, so a
// panic here is a damaged block store (or state), returned as an error.
func newNode(ccfg *cmtcfg.Config, pv *privval.FilePV, nodeKey *p2p.NodeKey, app *abciApp, live *livenessReactor, dbs cmtcfg.DBProvider, logger cmtlog.Logger) (n *node.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg := strings.Join(strings.Fields(fmt.Sprint(r)), " ") // CometBFT's panics span lines
			n, err = nil, fmt.Errorf("replay the block store in %s: %s (the block store is damaged or does not match the chain state; a rebuild needs every block from genesis: copy a healthy node's data directory or resync from peers)", ccfg.DBDir(), msg)
		}
	}()
	return node.NewNode(ccfg, pv, nodeKey,
		proxy.NewLocalClientCreator(app),
		node.DefaultGenesisDocProviderFunc(ccfg),
		dbs,
		node.DefaultMetricsProvider(ccfg.Instrumentation),
		logger,
		node.CustomReactors(map[string]p2p.Reactor{"CoveLiveness": live}),
	)
}

// moveAside renames the file at path to path.damaged-TIME and returns the
// new name; no file is not an error (nothing to keep).
func moveAside(path string, now time.Time) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	aside := path + ".damaged-" + now.UTC().Format("20060102T150405.000000000Z")
	if err := os.Rename(path, aside); err != nil {
		return "", err
	}
	return aside, nil
}

// restoreAside undoes a failed rebuild: the partly rebuilt state at path is
// kept as path.rebuild-failed-TIME and the file moveAside kept as aside
// goes back to path, so the home is as the operator left it. It returns
// cause with what it did (or could not do) added.
func restoreAside(path, aside string, cause error, now time.Time) error {
	if aside == "" {
		return cause
	}
	failed := path + ".rebuild-failed-" + now.UTC().Format("20060102T150405.000000000Z")
	if err := os.Rename(path, failed); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w (the state as it was is kept at %s; the partial rebuild at %s could not be moved: %v)", cause, aside, path, err)
	}
	if err := os.Rename(aside, path); err != nil {
		return fmt.Errorf("%w (the state as it was is kept at %s and could not be put back: %v)", cause, aside, err)
	}
	return fmt.Errorf("%w (the state file is back as it was; the partial rebuild is kept at %s)", cause, failed)
}

// checkRebuilt compares a rebuilt state with what CometBFT's state store
// (written as each block was decided) says: the last height and the app
// hash after it. CometBFT's handshake checks each replayed block's app hash
// already; this makes the rebuild's promise explicit and independent of it.
func checkRebuilt(app *abciApp, stateDB dbm.DB, aside string) error {
	if stateDB == nil {
		return errors.New("cometbft opened no state database")
	}
	st, err := sm.NewStore(stateDB, sm.StoreOptions{}).Load()
	if err != nil {
		return fmt.Errorf("read the block store's state: %w", err)
	}
	h, hash := app.head()
	if h != st.LastBlockHeight || !bytes.Equal(hash, st.AppHash) {
		return fmt.Errorf("the rebuilt state is at height %d with app hash %X, the block store's at height %d with %X: not starting (the state kept aside is %s)", h, hash, st.LastBlockHeight, []byte(st.AppHash), aside)
	}
	return nil
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
	s.stopping.Store(true)
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

// Peers returns how many validator peers this node is connected to.
func (s *Server) Peers() int {
	if sw := s.node.Switch(); sw != nil {
		return sw.Peers().Size()
	}
	return 0
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
// in a block (or refused by CheckTx, or ctx ends, or 30 s pass). The same
// bytes submitted again while they wait in the mempool wait for that
// commit, and once committed answer its outcome: a retry is never told to
// sign anew while the transaction it retries may still commit.
func (s *Server) Broadcast(ctx context.Context, tx []byte) (chain.TxOutcome, error) {
	hash := chain.TxHash(tx)
	out := chain.TxOutcome{Hash: hash.String()}
	done := s.app.await(hash)
	defer s.app.forget(hash, done)
	res, err := s.rpc.BroadcastTxSync(ctx, cmttypes.Tx(tx))
	if err != nil {
		if !strings.Contains(err.Error(), "tx already exists in cache") {
			return out, fmt.Errorf("broadcast tx: %w", err)
		}
		// CometBFT's mempool cache remembers every recent tx: this exact
		// transaction was sent before. Its waiter is registered, so a
		// commit after this look-up still reaches it.
		st, err := s.settleCached(ctx, hash, done)
		if err != nil {
			return out, err
		}
		switch st.State {
		case chain.TxCommitted:
			return st.TxOutcome, nil
		case chain.TxUnknown:
			// Refused or dropped since: its nonce is spent or was never
			// usable, and these bytes will not be accepted again.
			out.Code, out.Log = chain.CodeBadNonce, "bad nonce: this exact transaction was already submitted and is no longer pending; sign a new one with the account's next nonce"
			return out, nil
		}
	} else if res.Code != 0 {
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

// cachedGrace is how long Broadcast watches a transaction the mempool
// cache knows but Tx does not find before it calls it gone: the first
// submission of the same bytes may still be in CheckTx, between the cache
// and the mempool.
const cachedGrace = time.Second

// settleCached looks up a transaction the mempool cache knows, watching it
// for up to cachedGrace while it is neither pending nor committed; a commit
// that reaches done meanwhile answers at once.
func (s *Server) settleCached(ctx context.Context, hash cove.Hash, done <-chan txDone) (chain.TxStatus, error) {
	deadline := time.Now().Add(cachedGrace)
	for {
		st := s.Tx(hash)
		if st.State != chain.TxUnknown || !time.Now().Before(deadline) {
			return st, nil
		}
		select {
		case r := <-done:
			st.State = chain.TxCommitted
			st.Height, st.Code, st.Log, st.Events = r.height, r.result.Code, r.result.Log, r.result.Events
			return st, nil
		case <-ctx.Done():
			return st, fmt.Errorf("tx %s: %w", hash, ctx.Err())
		case <-time.After(mempoolSnapshotAge):
		}
	}
}

// Tx looks a transaction up by hash: committed (in a recent block, or in
// CometBFT's tx index), pending in this node's mempool, or unknown to this
// node. The mempool is read first: CometBFT removes a block's transactions
// from it only after the app committed the block, and the app keeps the
// results of its recent blocks, so a transaction on its way from the
// mempool into the index is never reported unknown.
func (s *Server) Tx(hash cove.Hash) chain.TxStatus {
	st := chain.TxStatus{State: chain.TxUnknown, TxOutcome: chain.TxOutcome{Hash: hash.String()}}
	if s.inMempool(cmttypes.TxKey(hash)) {
		st.State = chain.TxPending
		return st
	}
	if r, ok := s.app.committed(hash); ok {
		st.State = chain.TxCommitted
		st.Height, st.Code, st.Log, st.Events = r.height, r.result.Code, r.result.Log, r.result.Events
		return st
	}
	r, err := s.index.Get(hash[:])
	if err != nil || r == nil {
		// The kv index's Get errs only on a record it cannot decode:
		// logged, and the transaction is reported as not found.
		if err != nil {
			s.log.Error("read tx index", "hash", hash, "err", err)
		}
		return st
	}
	st.State = chain.TxCommitted
	st.Height, st.Code, st.Log = r.Height, r.Result.Code, r.Result.Log
	if r.Result.Code == chain.CodeOK {
		st.Events = fromABCI(r.Result.Events)
	}
	return st
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
