package chain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cove-network/cove"
)

// Block is a block to execute.
type Block struct {
	Height int64
	Time   time.Time
	Txs    [][]byte
	// Proposer is the address of the validator that proposed the block.
	Proposer ValidatorAddress
	// Votes are the commit of the previous block: every validator of that
	// height with its power and whether it signed (none at the first
	// height).
	Votes []Vote
	// Misbehavior is the evidence of misbehaviour the block commits.
	Misbehavior []Misbehavior
}

// BlockResult is the outcome of FinalizeBlock.
type BlockResult struct {
	// TxResults has one result per transaction, in block order.
	TxResults []TxResult
	// AppHash is the app hash after the block: the root of the state's
	// sparse Merkle tree (see StateRoot).
	AppHash []byte
	// Events are block-level events, from the block hooks (none in this
	// release).
	Events []Event
	// ValidatorUpdates change the validator set, from the block hooks
	// (none in this release).
	ValidatorUpdates []ValidatorUpdate
}

// TxResult is the outcome of one transaction, in CheckTx or a block.
type TxResult struct {
	// Code is CodeOK or another Code* constant.
	Code uint32 `json:"code"`
	// Codespace is Codespace when Code is not CodeOK.
	Codespace string `json:"codespace,omitempty"`
	// Log is the message for the client: what went wrong and what to do.
	Log string `json:"log,omitempty"`
	// Events are emitted by a successful transaction.
	Events []Event `json:"events,omitempty"`
	// TxHash is TxHash of the transaction bytes.
	TxHash cove.Hash `json:"txHash"`
	// Sender is the recovered sender, zero if none was recovered.
	Sender cove.Address `json:"sender"`
}

// Event is a typed, indexed record of what a transaction did.
type Event struct {
	Type  string `json:"type"`
	Attrs []Attr `json:"attrs"`
}

// Attr returns the value of the event's attribute key, or "" if it has
// none.
func (e Event) Attr(key string) string {
	for _, a := range e.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// Attr is one attribute of an Event.
type Attr struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// App is the chain's state machine. It keeps the committed state in
// memory; the caller persists the write-sets Commit returns and restores
// them with Load.
//
// App is safe for concurrent use: state-changing calls (InitChain, CheckTx,
// FinalizeBlock, Commit, SetVerifier) run one at a time, and queries
// (Account, Agent, ...) read the committed state while they run.
type App struct {
	exec sync.Mutex // serializes state-changing calls; taken before mu

	// Guarded by exec.
	verifier QuoteVerifier
	// begin and end are the block hooks FinalizeBlock runs before and
	// after the block's transactions (beginBlockHooks, endBlockHooks).
	begin, end []blockHook
	check      *overlay // CheckTx state over the committed state; nil until needed
	pending    *pending // the last FinalizeBlock, until Commit
	// unreturned are committed writes Commit has not yet returned (genesis).
	unreturned []KV
	// senders caches the address CheckTx recovered from a transaction's
	// bytes (signature included), so FinalizeBlock need not run ecrecover
	// again. The same bytes always recover the same address, so the cache
	// cannot change a result.
	senders map[cove.Hash]cove.Address
	// feeCache is the fee parameters decoded from the params record's
	// bytes raw (App.fees): the same bytes always decode the same.
	feeCache struct {
		raw  []byte
		fees FeeParams
	}

	// agents and channels cache decoded records for View.Agent and
	// View.Channel, which every (paid) call reads (gateway and worker); an
	// entry is used only while the committed bytes are the ones it was
	// decoded from.
	agents   recordCache[cove.AgentID, AgentRecord]
	channels recordCache[uint64, ChannelRecord]

	mu      sync.RWMutex // guards the fields below; writers hold exec too
	state   committed
	height  int64
	appHash []byte
	chainID uint64
	// tree is the state's Merkle tree. Its working copy changes under exec
	// alone (FinalizeBlock); its committed nodes under mu too (Commit).
	tree *stateTree
	// prev is the committed version before the last, which a header at
	// the committed height certifies; nil until a block is committed
	// after InitChain or Load.
	prev *version
}

// version is a committed state the App can still prove: its height, its
// app hash, and the values (nil: absent) that the next block overwrote.
type version struct {
	height  int64
	appHash []byte
	before  map[string][]byte
}

type pending struct {
	height  int64
	appHash []byte
	writes  []KV
}

// New returns an App with empty state, ready for InitChain.
func New() *App {
	return &App{state: committed{}, begin: beginBlockHooks, end: endBlockHooks, tree: newStateTree()}
}

// SetVerifier sets the quote verifier RegisterWorker uses (nil removes
// it). Every validator of a chain must use the same verifier.
func (a *App) SetVerifier(v QuoteVerifier) {
	a.exec.Lock()
	defer a.exec.Unlock()
	a.verifier = v
}

// Load returns an App holding a committed state: the union of the
// write-sets Commit returned up to height, with the app hash of that
// height. It checks that every record decodes and is in canonical form,
// that the state is at height and that its Merkle root is appHash, so
// corrupt storage is found at start and not in the middle of a block.
func Load(kvs []KV, height int64, appHash []byte) (*App, error) {
	if len(appHash) != 32 {
		return nil, fmt.Errorf("load: app hash is %d bytes, want 32", len(appHash))
	}
	a := New()
	for _, kv := range kvs {
		k := string(kv.Key)
		if kv.Value == nil {
			return nil, fmt.Errorf("load: key %q has no value", k)
		}
		if _, dup := a.state[k]; dup {
			return nil, fmt.Errorf("load: key %q appears twice", k)
		}
		if err := checkRecord(k, kv.Value); err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
		a.state[k] = bytes.Clone(kv.Value)
	}
	if !getJSON(a.state, keyChainID, &a.chainID) || a.chainID == 0 {
		return nil, errors.New("load: state has no chain id")
	}
	var meta blockMeta
	if !getJSON(a.state, keyBlock, &meta) {
		return nil, errors.New("load: state has no block metadata")
	}
	if meta.Height != height {
		return nil, fmt.Errorf("load: state is at height %d, not %d", meta.Height, height)
	}
	if _, ok := a.state[keyParams]; !ok {
		return nil, errors.New("load: state has no params")
	}
	if root := a.tree.apply(kvs); !bytes.Equal(root, appHash) {
		return nil, fmt.Errorf("load: the state's Merkle root %x is not the stored app hash %x: the state is corrupt, or an older release wrote it (before ADR 12's app hash); start a new chain (for cove dev, a new --data-dir)", root, appHash)
	}
	a.tree.commit()
	a.height = height
	a.appHash = bytes.Clone(appHash)
	return a, nil
}

// checkRecord checks that value is the canonical record for key.
func checkRecord(key string, value []byte) error {
	var v any
	switch {
	case key == keyChainID:
		v = new(uint64)
	case key == keyGenesisTime:
		v = new(time.Time)
	case key == keyBlock:
		v = new(blockMeta)
	case key == keyParams:
		v = new(Params)
	case key == keyDevelopment:
		v = new(bool)
	case key == keyPendingTEE:
		v = new(PendingTEEPolicy)
	case key == keyValidators:
		v = new(ValidatorSet)
	case key == keySupply:
		v = new(Supply)
	case strings.HasPrefix(key, prefixAccount) && len(key) == len(prefixAccount)+20:
		v = new(Account)
	case strings.HasPrefix(key, prefixAgent) && len(key) == len(prefixAgent)+32:
		v = new(AgentRecord)
	case strings.HasPrefix(key, prefixWorker) && len(key) == len(prefixWorker)+32:
		v = new(WorkerRecord)
	default:
		if v = checkKeyRecord(key); v == nil {
			v = checkPoolRecord(key)
		}
		if v == nil {
			v = checkChannelRecord(key)
		}
		if v == nil {
			v = checkSponsorRecord(key)
		}
		if v == nil {
			v = checkTokenRecord(key)
		}
		if v == nil {
			return fmt.Errorf("unknown key %q", key)
		}
	}
	if err := strictUnmarshal(value, v); err != nil {
		return fmt.Errorf("key %q: %v", key, err)
	}
	if b, err := json.Marshal(v); err != nil || !bytes.Equal(b, value) {
		return fmt.Errorf("key %q: record is not in canonical form", key)
	}
	return nil
}

// InitChain writes the genesis state into an empty App and returns the
// genesis app hash, the Merkle root of the genesis state (StateRoot). The
// genesis writes are committed at once and returned by the next Commit. On an App that holds
// exactly g's genesis state and nothing after it, InitChain returns the
// same app hash and changes nothing (CometBFT replays InitChain after a
// stop between the app's commit of genesis and its own).
func (a *App) InitChain(g Genesis) ([]byte, error) {
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("init chain: %w", err)
	}
	a.exec.Lock()
	defer a.exec.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	writes := genesisWrites(g)
	hash := StateRoot(writes)
	if a.height != 0 || len(a.state) != 0 {
		// CometBFT calls InitChain again when it stopped after the app
		// persisted genesis but before it saved its own state (a crash, or
		// a node that failed to start right after the handshake). The same
		// genesis is accepted again and changes nothing; anything else is
		// refused.
		if a.height == 0 && len(a.state) == len(writes) && bytes.Equal(a.appHash, hash) {
			return bytes.Clone(a.appHash), nil
		}
		return nil, errors.New("init chain: state is not empty")
	}
	a.appHash = hash
	a.apply(writes)
	a.tree.apply(writes)
	a.tree.commit()
	a.chainID = g.ChainID
	a.unreturned = writes
	return bytes.Clone(a.appHash), nil
}

// genesisWrites returns the state g makes, sorted by key.
func genesisWrites(g Genesis) []KV {
	o := newOverlay(committed{})
	t := g.Time.UTC()
	putJSON(o, keyChainID, g.ChainID)
	putJSON(o, keyGenesisTime, t)
	putJSON(o, keyBlock, blockMeta{Height: 0, Time: t})
	putJSON(o, keyParams, g.Params)
	if g.Development {
		putJSON(o, keyDevelopment, true)
	}
	total := new(big.Int)
	for _, acct := range g.Accounts {
		putJSON(o, accountKey(acct.Address), Account{Address: acct.Address, Balance: new(big.Int).Set(acct.Balance)})
		total.Add(total, acct.Balance)
	}
	if g.Economics {
		putJSON(o, keySupply, Supply{Total: total, Minted: new(big.Int), Burned: new(big.Int)})
	}
	if g.ValidatorSet {
		putJSON(o, keyValidators, genesisValidators(g.Validators))
	}
	return o.writeSet()
}

// apply writes a write-set into the committed state; a.mu must be held.
func (a *App) apply(writes []KV) {
	for _, kv := range writes {
		if kv.Value == nil {
			delete(a.state, string(kv.Key))
		} else {
			a.state[string(kv.Key)] = kv.Value
		}
	}
	a.check = nil
}

// CheckTx checks a transaction for the mempool: it runs it on the check
// state, a working copy of the committed state that keeps the effects of
// every transaction CheckTx accepted since the last Commit, so one sender
// can queue transactions with nonces n, n+1, n+2. A refused transaction
// changes nothing (its nonce is not used). The committed state never
// changes. Quotes are verified against the time of the last block.
func (a *App) CheckTx(tx []byte) TxResult {
	a.exec.Lock()
	defer a.exec.Unlock()
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.check == nil {
		a.check = newOverlay(a.state)
	}
	var meta blockMeta
	getJSON(a.state, keyBlock, &meta)
	ctx := execContext{chainID: a.chainID, height: a.height + 1, time: meta.Time, check: true, verifier: a.verifier, start: a.state, feeTo: TreasuryAddress}
	return a.deliver(a.check, tx, ctx)
}

// FinalizeBlock executes the block on a working copy of the committed
// state: the begin-block hooks, the transactions in order, each with its
// own result, and the end-block hooks (the first records the block's
// height and time). It returns the results, the hooks' events and
// validator updates, and the new app hash. The state becomes committed at Commit;
// calling FinalizeBlock again before Commit discards the previous one.
//
// FinalizeBlock panics if the App has no state (neither InitChain nor
// Load ran), if b.Height is not Height()+1, or if b.Time is outside years 1
// to 9999: those are bugs in the caller, and the state machine must not
// guess.
func (a *App) FinalizeBlock(b Block) BlockResult {
	a.exec.Lock()
	defer a.exec.Unlock()
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.chainID == 0 {
		panic("chain: FinalizeBlock before InitChain or Load")
	}
	if b.Height != a.height+1 {
		panic(fmt.Sprintf("chain: FinalizeBlock at height %d, want %d", b.Height, a.height+1))
	}
	if err := checkTime(b.Time); err != nil {
		panic(fmt.Sprintf("chain: FinalizeBlock at height %d: block time: %v", b.Height, err))
	}
	ctx := execContext{chainID: a.chainID, height: b.Height, time: b.Time.UTC(), verifier: a.verifier, block: &b, start: a.state, feeTo: feeRecipient(a.state, &b), seed: a.appHash}
	if a.pending != nil {
		// This replaces an uncommitted FinalizeBlock: drop its writes
		// from the tree.
		a.tree.reset(a.appHash)
	}
	o := newOverlay(a.state)
	res := BlockResult{TxResults: make([]TxResult, len(b.Txs))}
	runHooks := func(hooks []blockHook) {
		for _, h := range hooks {
			events, updates := h.run(o, ctx)
			res.Events = append(res.Events, events...)
			res.ValidatorUpdates = append(res.ValidatorUpdates, updates...)
		}
	}
	runHooks(a.begin)
	for i, tx := range b.Txs {
		res.TxResults[i] = a.deliver(o, tx, ctx)
		delete(a.senders, res.TxResults[i].TxHash) // a block's txs do not come back
	}
	runHooks(a.end)
	writes := o.writeSet()
	p := &pending{height: b.Height, appHash: a.tree.apply(writes), writes: writes}
	a.pending = p
	res.AppHash = bytes.Clone(p.appHash)
	return res
}

// Commit makes the state of the last FinalizeBlock the committed state and
// resets the check state. It returns the writes to persist, sorted by key
// (nil Value: delete), with the new height and app hash. The first Commit
// after InitChain also returns the genesis writes (a block's value wins for
// a key both wrote), so the caller persists genesis with block 1; Commit
// right after InitChain returns the genesis writes alone at height 0. With
// nothing to commit it returns no writes and the current height and hash.
func (a *App) Commit() (writes []KV, height int64, appHash []byte) {
	a.exec.Lock()
	defer a.exec.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	writes = a.unreturned
	a.unreturned = nil
	if p := a.pending; p != nil {
		a.pending = nil
		prev := &version{height: a.height, appHash: a.appHash, before: make(map[string][]byte, len(p.writes))}
		for _, kv := range p.writes {
			prev.before[string(kv.Key)] = a.state[string(kv.Key)]
		}
		a.tree.commit()
		a.prev = prev
		a.apply(p.writes)
		a.height = p.height
		a.appHash = p.appHash
		writes = mergeWrites(writes, p.writes)
	}
	a.check = nil
	return cloneKVs(writes), a.height, bytes.Clone(a.appHash)
}

// mergeWrites merges two sorted write-sets; b wins for a key in both.
func mergeWrites(a, b []KV) []KV {
	if len(a) == 0 {
		return b
	}
	m := make(map[string][]byte, len(a)+len(b))
	for _, kv := range a {
		m[string(kv.Key)] = kv.Value
	}
	for _, kv := range b {
		m[string(kv.Key)] = kv.Value
	}
	out := make([]KV, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, KV{Key: []byte(k), Value: m[k]})
	}
	return out
}

func cloneKVs(kvs []KV) []KV {
	out := make([]KV, len(kvs))
	for i, kv := range kvs {
		out[i] = KV{Key: bytes.Clone(kv.Key), Value: bytes.Clone(kv.Value)}
	}
	return out
}

// Height returns the committed height (0 after InitChain).
func (a *App) Height() int64 {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.height
}

// AppHash returns the committed app hash.
func (a *App) AppHash() []byte {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return bytes.Clone(a.appHash)
}

// ChainID returns the chain id (0 before InitChain or Load).
func (a *App) ChainID() uint64 {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.chainID
}

// Snapshot returns the whole committed state, sorted by key.
func (a *App) Snapshot() []KV {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]KV, 0, len(a.state))
	for _, k := range slices.Sorted(maps.Keys(a.state)) {
		out = append(out, KV{Key: []byte(k), Value: bytes.Clone(a.state[k])})
	}
	return out
}

// TxOutcome is what became of a submitted transaction: refused by CheckTx
// (Height 0, Code not CodeOK), or executed in the block at Height with Code
// and, when it succeeded, Events. It is the JSON of POST /v1/chain/tx.
type TxOutcome struct {
	Hash   string  `json:"hash"` // 0x-hex TxHash of the bytes
	Height int64   `json:"height"`
	Code   uint32  `json:"code"`
	Log    string  `json:"log"`
	Events []Event `json:"events,omitempty"`
}
