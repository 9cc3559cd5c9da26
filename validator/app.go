package validator

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/attest"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/fanout"
	"github.com/cove-network/cove/internal/metrics"
)

var (
	bucketState = []byte("state")
	bucketMeta  = []byte("meta")
	keyHeight   = []byte("height")
	keyAppHash  = []byte("app_hash")
)

// abciApp adapts chain.App to ABCI and persists its committed state.
type abciApp struct {
	abci.BaseApplication
	log *slog.Logger
	db  *bbolt.DB

	mu  sync.RWMutex // orders ABCI calls (the App guards its own reads: views take no lock here)
	app *chain.App
	// metrics receives each finalized block's time and transactions (nil:
	// none kept); set before the node starts.
	metrics *metrics.Set
	events  fanout.Feed
	// pending are the events of the block being finalized, delivered at Commit.
	pending []chain.Event
	// results are the block's tx results by hash, handed to waiters at Commit.
	results []txDone
	waitMu  sync.Mutex
	waiters map[cove.Hash][]chan txDone
	// recent are the tx results of the last recentBlocks blocks, newest
	// last (guarded by waitMu): CometBFT indexes a block's transactions
	// after its commit, asynchronously, and removes them from the mempool
	// at commit, so a look-up in between finds them here.
	recent [][]txDone
}

// recentBlocks is how many blocks' results a validator keeps in memory
// for look-ups; it outlasts the tx indexer's lag by far.
const recentBlocks = 64

// committed returns the result of transaction h if one of the last
// recentBlocks blocks holds it.
func (a *abciApp) committed(h cove.Hash) (txDone, bool) {
	a.waitMu.Lock()
	defer a.waitMu.Unlock()
	for _, b := range a.recent {
		for _, r := range b {
			if r.hash == h {
				return r, true
			}
		}
	}
	return txDone{}, false
}

// txDone is a committed transaction's result for Broadcast.
type txDone struct {
	hash   cove.Hash
	height int64
	result chain.TxResult
}

// await registers interest in a transaction's commit. The same bytes may
// be submitted more than once at a time: each caller gets its channel.
func (a *abciApp) await(h cove.Hash) chan txDone {
	ch := make(chan txDone, 1)
	a.waitMu.Lock()
	if a.waiters == nil {
		a.waiters = map[cove.Hash][]chan txDone{}
	}
	a.waiters[h] = append(a.waiters[h], ch)
	a.waitMu.Unlock()
	return ch
}

func (a *abciApp) forget(h cove.Hash, ch chan txDone) {
	a.waitMu.Lock()
	defer a.waitMu.Unlock()
	ws := a.waiters[h]
	for i, w := range ws {
		if w == ch {
			ws = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(a.waiters, h)
	} else {
		a.waiters[h] = ws
	}
}

// StateFile is the name of the chain state file in the validator home's
// data directory.
const StateFile = "cove-state.db"

// DamagedStateError is a chain state file that cannot be read, fails
// bbolt's consistency check, or holds values whose Merkle root is not the
// stored app hash. The node does not start on it; Config.RebuildState (the
// --rebuild-state flag) rebuilds it from the block store.
type DamagedStateError struct {
	Path string // the damaged file
	Err  error
}

func (e *DamagedStateError) Error() string {
	return fmt.Sprintf("chain state %s is damaged: %v; restart with --rebuild-state to rebuild it by replaying this node's block store (which keeps this file aside)", e.Path, e.Err)
}

func (e *DamagedStateError) Unwrap() error { return e.Err }

// openApp opens the chain state at path and loads it. Damage, including
// the panics bbolt raises on a corrupt page, is a *DamagedStateError.
func openApp(path string, log *slog.Logger) (*abciApp, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open chain state: %w", err)
	}
	db, err := openDB(path)
	if err != nil {
		return nil, err
	}
	kvs, height, appHash, err := readState(db)
	if err != nil {
		db.Close()
		return nil, &DamagedStateError{Path: path, Err: err}
	}
	app := chain.New()
	if height > 0 || len(kvs) > 0 {
		app, err = chain.Load(kvs, height, appHash)
		if err != nil {
			db.Close()
			return nil, &DamagedStateError{Path: path, Err: err}
		}
	}
	app.SetVerifier(attest.Verifier{}) // every validator verifies quotes alike
	return &abciApp{log: log, db: db, app: app}, nil
}

// openDB opens the bbolt file at path. A file another process holds or
// this one may not read is a plain error; anything else that stops bbolt
// (a bad meta page, a panic) is damage.
func openDB(path string) (db *bbolt.DB, err error) {
	// bbolt.Open locks the file before it reads it and, when it panics,
	// never unlocks it: the file is kept to be closed here, or this
	// process could not open the path again (a rebuild, a test).
	var file *os.File
	defer func() {
		if r := recover(); r != nil {
			if file != nil {
				file.Close()
			}
			db, err = nil, &DamagedStateError{Path: path, Err: fmt.Errorf("bbolt panicked: %v", r)}
		}
	}()
	// A fault reading the mapped file (a page past its end, a wild page
	// id) panics instead of killing the process, so it is reported here.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	if err := checkLength(path); err != nil {
		return nil, &DamagedStateError{Path: path, Err: err}
	}
	db, err = bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 2 * time.Second, OpenFile: func(name string, flag int, mode os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, mode)
		file = f
		return f, err
	}})
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("open chain state %s: %w (is another node using this home?)", path, err)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("open chain state %s: %w", path, err)
	default:
		return nil, &DamagedStateError{Path: path, Err: err}
	}
}

// readState checks the file's consistency and reads the state's KVs,
// height and app hash. It writes nothing to a file that holds a state (a
// damaged file is kept as it was found); a new file gets its buckets.
// The checks: the file is as long as its meta page says (a truncated file
// can still open and read when only free pages were cut), and bbolt's
// Tx.Check (every page reachable once, none both used and free).
func readState(db *bbolt.DB) (kvs []chain.KV, height int64, appHash []byte, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bbolt panicked: %v", r)
		}
	}()
	fresh := false
	err = db.View(func(tx *bbolt.Tx) error {
		fi, err := os.Stat(db.Path())
		if err != nil {
			return err
		}
		if fi.Size() < tx.Size() {
			return fmt.Errorf("truncated: the file is %d bytes, its meta page says %d", fi.Size(), tx.Size())
		}
		// Read first, here, where a fault is recovered: Tx.Check walks
		// the same pages in a goroutine of its own, where a wild page id
		// would kill the process.
		st, meta := tx.Bucket(bucketState), tx.Bucket(bucketMeta)
		if st == nil || meta == nil {
			if tx.Bucket(bucketState) != nil || tx.Bucket(bucketMeta) != nil {
				return errors.New("a bucket is missing")
			}
			fresh = true
		} else {
			if v := meta.Get(keyHeight); len(v) == 8 {
				height = int64(binary.BigEndian.Uint64(v))
			}
			appHash = append([]byte(nil), meta.Get(keyAppHash)...)
			err := st.ForEach(func(k, v []byte) error {
				kvs = append(kvs, chain.KV{Key: append([]byte(nil), k...), Value: append([]byte(nil), v...)})
				return nil
			})
			if err != nil {
				return err
			}
		}
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		if len(errs) > 0 {
			return fmt.Errorf("consistency check: %w", errors.Join(errs...))
		}
		return nil
	})
	if err != nil || !fresh {
		return kvs, height, appHash, err
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		if _, err := tx.CreateBucket(bucketState); err != nil {
			return err
		}
		_, err := tx.CreateBucket(bucketMeta)
		return err
	})
	return nil, 0, nil, err
}

func (a *abciApp) close() error { return a.db.Close() }

func (a *abciApp) head() (int64, []byte) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.app.Height(), a.app.AppHash()
}

// view returns a read-only view of the committed state. The App guards
// its own reads; a.mu only orders ABCI calls.
func (a *abciApp) view() chain.View { return a.app.View() }

func (a *abciApp) Info(context.Context, *abci.RequestInfo) (*abci.ResponseInfo, error) {
	h, hash := a.head()
	return &abci.ResponseInfo{Data: "cove", Version: "1", AppVersion: 1, LastBlockHeight: h, LastBlockAppHash: hash}, nil
}

func (a *abciApp) InitChain(_ context.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	var g chain.Genesis
	if err := json.Unmarshal(req.AppStateBytes, &g); err != nil {
		return nil, fmt.Errorf("init chain: genesis app state: %w", err)
	}
	// The validator set starts as CometBFT's genesis says; the chain keeps
	// it, and AddValidator and the others change it.
	for _, v := range req.Validators {
		pk := v.PubKey.GetEd25519()
		if len(pk) != ed25519.PubKeySize {
			return nil, fmt.Errorf("init chain: a genesis validator's key is not Ed25519")
		}
		g.Validators = append(g.Validators, chain.Validator{PubKey: bytes.Clone(pk), Power: v.Power})
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	// The app hash to answer is the committed one: on a replayed
	// InitChain (see chain.App.InitChain) Commit returns it with no writes.
	if _, err := a.app.InitChain(g); err != nil {
		return nil, fmt.Errorf("init chain: %w", err)
	}
	writes, height, hash := a.app.Commit()
	if err := a.persist(writes, height, hash); err != nil {
		return nil, err
	}
	return &abci.ResponseInitChain{AppHash: hash}, nil
}

func (a *abciApp) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	a.mu.Lock() // CheckTx advances the check state
	defer a.mu.Unlock()
	r := a.app.CheckTx(req.Tx)
	return &abci.ResponseCheckTx{Code: r.Code, Log: r.Log, Codespace: codespace(r.Code)}, nil
}

func (a *abciApp) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	b, err := blockOf(req)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	res := a.app.FinalizeBlock(b)
	out, err := response(res)
	if err != nil {
		return nil, fmt.Errorf("finalize block %d: %w", req.Height, err)
	}
	a.pending = a.pending[:0]
	a.results = a.results[:0]
	if a.metrics != nil {
		types, codes := make([]string, len(res.TxResults)), make([]uint32, len(res.TxResults))
		for i, r := range res.TxResults {
			types[i], codes[i] = txType(req.Txs[i]), r.Code
		}
		a.metrics.Block(req.Time, types, codes)
	}
	for i, r := range res.TxResults {
		a.results = append(a.results, txDone{hash: chain.TxHash(req.Txs[i]), height: req.Height, result: r})
		if r.Code == 0 {
			a.pending = append(a.pending, r.Events...)
		}
	}
	return out, nil
}

// txType is a transaction's message type for metrics: a type of the
// message table, else "unknown" (so a proposer cannot make up labels).
func txType(tx []byte) string {
	var t struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(tx, &t) != nil || !chain.KnownType(t.Type) {
		return "unknown"
	}
	return t.Type
}

// response converts the chain's block result for CometBFT: the app hash,
// each transaction's result, the block's events and validator updates.
func response(res chain.BlockResult) (*abci.ResponseFinalizeBlock, error) {
	updates, err := validatorUpdates(res.ValidatorUpdates)
	if err != nil {
		return nil, err
	}
	out := &abci.ResponseFinalizeBlock{AppHash: res.AppHash, ValidatorUpdates: updates, Events: toABCI(res.Events)}
	for _, r := range res.TxResults {
		out.TxResults = append(out.TxResults, &abci.ExecTxResult{Code: r.Code, Log: r.Log, Codespace: codespace(r.Code), Events: toABCI(r.Events)})
	}
	return out, nil
}

// blockOf converts CometBFT's block into the chain's: the transactions,
// the proposer, the previous block's commit and the evidence of
// misbehaviour. A vote counts as signed unless it is absent (a precommit
// for nil is signed). Addresses are 20 bytes; anything else is a broken
// CometBFT, and the node stops rather than guess.
func blockOf(req *abci.RequestFinalizeBlock) (chain.Block, error) {
	b := chain.Block{Height: req.Height, Time: req.Time, Txs: req.Txs}
	var err error
	if b.Proposer, err = validatorAddress(req.ProposerAddress); err != nil {
		return chain.Block{}, fmt.Errorf("finalize block %d: proposer: %w", req.Height, err)
	}
	for _, v := range req.DecidedLastCommit.Votes {
		addr, err := validatorAddress(v.Validator.Address)
		if err != nil {
			return chain.Block{}, fmt.Errorf("finalize block %d: vote: %w", req.Height, err)
		}
		b.Votes = append(b.Votes, chain.Vote{Validator: addr, Power: v.Validator.Power, Signed: v.BlockIdFlag != cmtproto.BlockIDFlagAbsent})
	}
	for _, m := range req.Misbehavior {
		addr, err := validatorAddress(m.Validator.Address)
		if err != nil {
			return chain.Block{}, fmt.Errorf("finalize block %d: misbehavior: %w", req.Height, err)
		}
		b.Misbehavior = append(b.Misbehavior, chain.Misbehavior{
			Kind:             misbehaviorKinds[m.Type],
			Validator:        addr,
			Power:            m.Validator.Power,
			Height:           m.Height,
			Time:             m.Time,
			TotalVotingPower: m.TotalVotingPower,
		})
	}
	return b, nil
}

var misbehaviorKinds = map[abci.MisbehaviorType]chain.MisbehaviorKind{
	abci.MisbehaviorType_UNKNOWN:             chain.MisbehaviorUnknown,
	abci.MisbehaviorType_DUPLICATE_VOTE:      chain.MisbehaviorDuplicateVote,
	abci.MisbehaviorType_LIGHT_CLIENT_ATTACK: chain.MisbehaviorLightClientAttack,
}

func validatorAddress(b []byte) (chain.ValidatorAddress, error) {
	var a chain.ValidatorAddress
	if len(b) != len(a) {
		return a, fmt.Errorf("validator address is %d bytes, want %d", len(b), len(a))
	}
	copy(a[:], b)
	return a, nil
}

// validatorUpdates converts the chain's validator updates for CometBFT.
func validatorUpdates(us []chain.ValidatorUpdate) ([]abci.ValidatorUpdate, error) {
	var out []abci.ValidatorUpdate
	for _, u := range us {
		if len(u.PubKey) != ed25519.PubKeySize {
			return nil, fmt.Errorf("validator update: public key is %d bytes, want an Ed25519 key of %d", len(u.PubKey), ed25519.PubKeySize)
		}
		out = append(out, abci.Ed25519ValidatorUpdate(bytes.Clone(u.PubKey), u.Power))
	}
	return out, nil
}

func (a *abciApp) Commit(context.Context, *abci.RequestCommit) (*abci.ResponseCommit, error) {
	a.mu.Lock()
	writes, height, hash := a.app.Commit()
	err := a.persist(writes, height, hash)
	events := append([]chain.Event(nil), a.pending...)
	results := append([]txDone(nil), a.results...)
	a.mu.Unlock()
	if err != nil {
		// The block is decided; a node that cannot persist it must stop
		// rather than diverge. CometBFT replays it on restart.
		return nil, err
	}
	a.events.Publish(events)
	a.waitMu.Lock()
	a.recent = append(a.recent, results)
	if len(a.recent) > recentBlocks {
		a.recent = append(a.recent[:0], a.recent[1:]...)
	}
	for _, r := range results {
		for _, ch := range a.waiters[r.hash] {
			ch <- r
		}
		delete(a.waiters, r.hash)
	}
	a.waitMu.Unlock()
	return &abci.ResponseCommit{}, nil
}

func (a *abciApp) Query(_ context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	// Typed queries are served by the gateway from View; ABCI queries
	// answer the head for CometBFT RPC users.
	h, hash := a.head()
	return &abci.ResponseQuery{Code: 0, Height: h, Value: hash, Log: "use the gateway's /v1/chain endpoints for typed queries"}, nil
}

// persist writes one block's write-set and head in one bbolt transaction.
func (a *abciApp) persist(writes []chain.KV, height int64, appHash []byte) error {
	err := a.db.Update(func(tx *bbolt.Tx) error {
		st := tx.Bucket(bucketState)
		for _, kv := range writes {
			var err error
			if kv.Value == nil {
				err = st.Delete(kv.Key)
			} else {
				err = st.Put(kv.Key, kv.Value)
			}
			if err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		var h [8]byte
		binary.BigEndian.PutUint64(h[:], uint64(height))
		if err := meta.Put(keyHeight, h[:]); err != nil {
			return err
		}
		return meta.Put(keyAppHash, appHash)
	})
	if err != nil {
		return fmt.Errorf("persist block %d: %w", height, err)
	}
	return nil
}

func toABCI(events []chain.Event) []abci.Event {
	out := make([]abci.Event, 0, len(events))
	for _, e := range events {
		ev := abci.Event{Type: e.Type}
		for _, at := range e.Attrs {
			ev.Attributes = append(ev.Attributes, abci.EventAttribute{Key: at.Key, Value: at.Value, Index: true})
		}
		out = append(out, ev)
	}
	return out
}

func fromABCI(events []abci.Event) []chain.Event {
	var out []chain.Event
	for _, e := range events {
		ev := chain.Event{Type: e.Type, Attrs: make([]chain.Attr, 0, len(e.Attributes))}
		for _, at := range e.Attributes {
			ev.Attrs = append(ev.Attrs, chain.Attr{Key: at.Key, Value: at.Value})
		}
		out = append(out, ev)
	}
	return out
}

func codespace(code uint32) string {
	if code == 0 {
		return ""
	}
	return "cove"
}
