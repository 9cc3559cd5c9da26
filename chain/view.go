package chain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/cove-network/cove"
)

// View reads the committed chain state and cannot change it: it is what
// every reader outside the state machine gets (the gateway, workers,
// gatekeepers), from validator.Server.View. Each call reads the state as of
// the latest Commit under the App's read lock and returns copies, so a
// caller may keep what it gets (Agent shares one part: see there); two
// calls may straddle a block (use Head for a height and app hash that
// belong together). The zero View is not usable.
type View struct{ a *App }

// View returns a read-only view of a's committed state.
func (a *App) View() View { return View{a} }

// Head is the committed head: a height and the app hash after it.
type Head struct {
	Height  int64
	AppHash []byte
	// Time is the time of the block at Height (the genesis time at 0).
	Time time.Time
}

// Head returns the committed height, app hash and block time, read
// together.
func (v View) Head() Head {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	var meta blockMeta
	getJSON(a.state, keyBlock, &meta)
	return Head{Height: a.height, AppHash: append([]byte(nil), a.appHash...), Time: meta.Time}
}

// Height returns the committed height (0 after InitChain).
func (v View) Height() int64 { return v.a.Height() }

// ChainID returns the numeric chain id, the chainId of the EIP-712 domain
// transactions are signed for.
func (v View) ChainID() uint64 { return v.a.ChainID() }

// Time returns the time of the last committed block (the genesis time at
// height 0).
func (v View) Time() time.Time {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	var meta blockMeta
	getJSON(a.state, keyBlock, &meta)
	return meta.Time
}

// Account returns the committed account at addr (zero balance and nonce if
// it has none).
func (v View) Account(addr cove.Address) Account {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	return getAccount(a.state, addr)
}

// Agent returns the committed agent record; the error matches
// cove.ErrNotFound if there is none. The record is the caller's to change,
// but for the bytes of its Secrets, shared with the next caller (a call
// reads them on every call, and they are the record's bulk): replace or
// append to them (their capacity is their length), never write into them.
func (v View) Agent(id cove.AgentID) (AgentRecord, error) {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	b, ok := a.state.get(agentKey(id))
	if !ok {
		return AgentRecord{}, fmt.Errorf("agent %s: %w", id, cove.ErrNotFound)
	}
	return a.agents.decode(id, b, cloneAgent), nil
}

// cloneAgent copies an agent record's slices (its amounts are read by
// copy: Amount.Big), but for its Secrets, capped at their length (see
// View.Agent).
func cloneAgent(r AgentRecord) AgentRecord {
	r.AttestorGrant = bytes.Clone(r.AttestorGrant)
	r.Secrets = r.Secrets[:len(r.Secrets):len(r.Secrets)]
	r.History = slices.Clone(r.History)
	if r.FreeTier != nil {
		ft := *r.FreeTier
		r.FreeTier = &ft
	}
	return r
}

// recordCache holds the last decoded record of each key read, with the
// bytes it was decoded from, for the records a call reads (View.Agent,
// View.Channel: the gateway reads them for every call). Bounded: past
// maxCachedRecords it starts over.
type recordCache[K comparable, T any] struct {
	mu sync.Mutex
	m  map[K]cachedRecord[T]
}

type cachedRecord[T any] struct {
	raw []byte
	rec T
}

const maxCachedRecords = 4096

// maxCachedRecordBytes bounds a cached record's JSON: a bigger one (an
// agent's large sealed secrets, a long history) is decoded on each read
// instead, so a cache holds at most maxCachedRecords x this (plus the
// decoded copies).
const maxCachedRecordBytes = 8 << 10

// decode returns the record b encodes: the cached one when b is the same
// bytes, else a fresh decode, cached. Each caller gets its own copy of
// what clone copies.
func (c *recordCache[K, T]) decode(id K, b []byte, clone func(T) T) T {
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if !ok || !bytes.Equal(e.raw, b) {
		var r T
		if err := json.Unmarshal(b, &r); err != nil {
			panic(fmt.Sprintf("chain: corrupt state at %T %v: %v", r, id, err))
		}
		if len(b) > maxCachedRecordBytes {
			return r
		}
		e = cachedRecord[T]{raw: bytes.Clone(b), rec: r}
		c.mu.Lock()
		if c.m == nil || len(c.m) >= maxCachedRecords {
			c.m = make(map[K]cachedRecord[T])
		}
		c.m[id] = e
		c.mu.Unlock()
	}
	return clone(e.rec)
}

// Agents returns every committed agent, sorted by id.
func (v View) Agents() []AgentRecord { return list[AgentRecord](v.a, prefixAgent) }

// Worker returns the committed worker record; the error matches
// cove.ErrNotFound if there is none.
func (v View) Worker(id cove.Hash) (WorkerRecord, error) {
	return get[WorkerRecord](v.a, workerKey(id), "worker", id)
}

// Workers returns every committed worker, sorted by id.
func (v View) Workers() []WorkerRecord { return list[WorkerRecord](v.a, prefixWorker) }

// Params returns the committed parameters.
func (v View) Params() Params {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	return getParams(a.state)
}

// Supply returns the committed supply record (ErrNoSupply on a chain
// whose genesis keeps none) and the treasury's balance.
func (v View) Supply() (Supply, *big.Int, error) {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	var s Supply
	if !getJSON(a.state, keySupply, &s) {
		return Supply{}, nil, ErrNoSupply
	}
	return s, getAccount(a.state, TreasuryAddress).Balance, nil
}

// Fee returns the fee a transaction of type typ and size bytes pays under
// the committed parameters.
func (v View) Fee(typ string, size int) *big.Int { return v.Params().Fees.Fee(typ, size) }

// Development reports whether the chain's genesis made it a development
// chain (see Genesis.Development).
func (v View) Development() bool {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	return isDevelopment(a.state)
}

// PendingTEEPolicy returns the TEE policy change waiting for its delay, if
// any (see TEEPolicy.ChangeDelay).
func (v View) PendingTEEPolicy() (p PendingTEEPolicy, ok bool) {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	ok = getJSON(a.state, keyPendingTEE, &p)
	return p, ok
}

// Gatekeeper returns the committed gatekeeper record; the error matches
// cove.ErrNotFound if there is none.
func (v View) Gatekeeper(id cove.Hash) (GatekeeperRecord, error) {
	return get[GatekeeperRecord](v.a, gatekeeperKey(id), "gatekeeper", id)
}

// Gatekeepers returns every committed gatekeeper, sorted by id.
func (v View) Gatekeepers() []GatekeeperRecord { return list[GatekeeperRecord](v.a, prefixGatekeeper) }

// Epochs returns every published key epoch, oldest first.
func (v View) Epochs() []EpochRecord { return list[EpochRecord](v.a, prefixEpoch) }

// LatestEpoch returns the latest published epoch; ok is false while none
// exists.
func (v View) LatestEpoch() (rec EpochRecord, ok bool) {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	e, ok := latestEpoch(a.state)
	if !ok {
		return EpochRecord{}, false
	}
	getJSON(a.state, epochKey(e), &rec)
	return rec, true
}

// PendingRotation returns the pending rotation, if any.
func (v View) PendingRotation() (rot Rotation, ok bool) {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	ok = getJSON(a.state, keyRotation, &rot)
	return rot, ok
}

// Provisions returns the key material of kind (ProvisionKindWorker,
// ProvisionKindGatekeeper) provisioned to recipient, oldest epoch first.
func (v View) Provisions(kind string, recipient cove.Hash) []ProvisionRecord {
	return list[ProvisionRecord](v.a, provisionPrefix(kind, recipient))
}

// get decodes the committed record at key; the error names what and id
// and matches cove.ErrNotFound when there is none.
func get[T any](a *App, key, what string, id fmt.Stringer) (T, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var r T
	if !getJSON(a.state, key, &r) {
		var zero T
		return zero, fmt.Errorf("%s %s: %w", what, id, cove.ErrNotFound)
	}
	return r, nil
}

// list decodes every committed record whose key has prefix, in key order.
func list[T any](a *App, prefix string) []T {
	a.mu.RLock()
	defer a.mu.RUnlock()
	keys := a.state.keys(prefix)
	out := make([]T, len(keys))
	for i, k := range keys {
		getJSON(a.state, k, &out[i])
	}
	return out
}

// Prove proves the value of a state key (or its absence) at the latest
// height a CometBFT header certifies: one below the committed height, since
// the header of block H+1 carries the app hash after block H. The proof is
// checked with StateProof.Verify against that header's app hash. Before the
// first block after a start it returns ErrNoProof.
func (v View) Prove(key []byte) (StateProof, error) {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	prev := a.prev
	if prev == nil {
		return StateProof{}, ErrNoProof
	}
	value, written := prev.before[string(key)]
	if !written {
		value = a.state[string(key)]
	}
	proof, err := a.tree.prove(prev.appHash, key)
	if err != nil {
		return StateProof{}, fmt.Errorf("prove %q at height %d: %w", key, prev.height, err)
	}
	return StateProof{Height: prev.height, Key: append([]byte(nil), key...), Value: append([]byte(nil), value...), Proof: proof}, nil
}

// Pool returns a committed stake pool (an error matching cove.ErrNotFound
// if there is none).
func (v View) Pool(id uint64) (PoolRecord, error) {
	return get[PoolRecord](v.a, poolKey(id), "pool", poolID(id))
}

// Pools returns every committed stake pool, by id.
func (v View) Pools() []PoolRecord { return list[PoolRecord](v.a, prefixPool) }

// Stake returns an account's shares of a pool (zero shares if none).
func (v View) Stake(acct cove.Address, pool uint64) StakeRecord {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	return getStake(a.state, acct, pool)
}

// Stakes returns an account's shares of every pool it holds shares of.
func (v View) Stakes(acct cove.Address) []StakeRecord {
	return list[StakeRecord](v.a, prefixStake+string(acct[:]))
}

// Vault returns a committed vault (an error matching cove.ErrNotFound
// when there is none).
func (v View) Vault(id uint64) (VaultRecord, error) {
	return get[VaultRecord](v.a, vaultKey(id), "vault", poolID(id))
}

// Vaults returns every committed vault, by id.
func (v View) Vaults() []VaultRecord { return list[VaultRecord](v.a, prefixVault) }

// VaultStakes returns an account's shares of every vault it holds shares
// of.
func (v View) VaultStakes(acct cove.Address) []VaultStake {
	return list[VaultStake](v.a, prefixVaultStake+string(acct[:]))
}

// VaultValue returns a committed vault's free COVE (the balance of its
// address) and its value (free plus what its pool shares are worth).
func (v View) VaultValue(r VaultRecord) (free, value *big.Int) {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	return vaultValue(a.state, r)
}

// PoolWorker returns a worker's place in its pool (an error matching
// cove.ErrNotFound for a worker in no pool).
func (v View) PoolWorker(id cove.Hash) (PoolWorker, error) {
	return get[PoolWorker](v.a, poolWorkerKey(id), "pool worker", id)
}

// poolID prints a numeric id (a pool's, a vault's, a channel's) in errors.
type poolID uint64

func (p poolID) String() string { return strconv.FormatUint(uint64(p), 10) }

// Channel returns a committed payment channel (an error matching
// cove.ErrNotFound when there is none: never opened, or settled).
func (v View) Channel(id uint64) (ChannelRecord, error) {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	b, ok := a.state.get(channelKey(id))
	if !ok {
		return ChannelRecord{}, fmt.Errorf("channel %d: %w", id, cove.ErrNotFound)
	}
	return a.channels.decode(id, b, func(c ChannelRecord) ChannelRecord { return c }), nil
}

// Channels returns the payer's committed channels, by id.
func (v View) Channels(payer cove.Address) []ChannelRecord {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	var out []ChannelRecord
	for _, k := range a.state.keys(prefixPayerChannels + string(payer[:])) {
		var id uint64
		var c ChannelRecord
		if getJSON(a.state, k, &id) && getJSON(a.state, channelKey(id), &c) {
			out = append(out, c)
		}
	}
	return out
}

// SponsorPolicy returns an account's committed sponsor policy (an error
// matching cove.ErrNotFound when it has none).
func (v View) SponsorPolicy(sponsor cove.Address) (SponsorPolicy, error) {
	return get[SponsorPolicy](v.a, sponsorKey(sponsor), "sponsor policy of", sponsor)
}

// Holding returns holder's committed balance of an agent's token (a zero
// holding when it never held any).
func (v View) Holding(agent cove.AgentID, holder cove.Address) TokenHolding {
	v.a.mu.RLock()
	defer v.a.mu.RUnlock()
	return getHolding(v.a.state, agent, holder)
}

// TokenState returns an agent's committed token with its price, reserve
// and treasury, and holder's holding unless holder is zero (an error
// matching cove.ErrNotFound when the agent has no token).
func (v View) TokenState(agent cove.AgentID, holder cove.Address) (TokenState, error) {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	var t TokenRecord
	if !getJSON(a.state, tokenKey(agent), &t) {
		return TokenState{}, fmt.Errorf("token of agent %s: %w", agent, cove.ErrNotFound)
	}
	var rec AgentRecord
	getJSON(a.state, agentKey(agent), &rec)
	g, f := t.reserveAt(t.Supply.Big())
	if f != nil {
		return TokenState{}, errors.New(f.msg)
	}
	s := TokenState{
		TokenRecord: t, Price: AmountOf(t.priceAt(t.Supply.Big())), Reserve: AmountOf(g),
		Owner: rec.Owner, DAO: IsDAOAgent(rec), Treasury: AgentTreasury(agent),
		TreasuryBalance: AmountOf(getAccount(a.state, AgentTreasury(agent)).Balance),
	}
	if !holder.IsZero() {
		h := getHolding(a.state, agent, holder)
		s.Holding = &h
	}
	return s, nil
}

// MaxDAOStateProposals bounds the proposals DAOState lists: the latest.
const MaxDAOStateProposals = 100

// DAOState returns an agent's committed DAO with its treasury and the
// state of its latest MaxDAOStateProposals proposals (DAORecord.Proposals
// counts them all; an error matching cove.ErrNotFound when the agent has
// none).
func (v View) DAOState(agent cove.AgentID) (DAOState, error) {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	var d DAORecord
	if !getJSON(a.state, daoKey(agent), &d) {
		return DAOState{}, fmt.Errorf("DAO of agent %s: %w", agent, cove.ErrNotFound)
	}
	s := DAOState{DAORecord: d, Treasury: AgentTreasury(agent), TreasuryBalance: AmountOf(getAccount(a.state, AgentTreasury(agent)).Balance), Proposals: []ProposalState{}}
	height := a.height
	keys := a.state.keys(prefixDAOProposal + string(agent[:]))
	if len(keys) > MaxDAOStateProposals {
		keys = keys[len(keys)-MaxDAOStateProposals:] // the latest: older ones by id (View.ProposalState)
	}
	for _, k := range keys {
		var id uint64
		var p ProposalRecord
		if getJSON(a.state, k, &id) && getJSON(a.state, proposalKey(id), &p) {
			s.Proposals = append(s.Proposals, p.stateAt(d, height))
		}
	}
	return s, nil
}

// ProposalState returns a committed proposal and where it stands (an
// error matching cove.ErrNotFound when there is none).
func (v View) ProposalState(id uint64) (ProposalState, error) {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	var p ProposalRecord
	if !getJSON(a.state, proposalKey(id), &p) {
		return ProposalState{}, fmt.Errorf("proposal %d: %w", id, cove.ErrNotFound)
	}
	var d DAORecord
	getJSON(a.state, daoKey(p.Agent), &d)
	return p.stateAt(d, a.height), nil
}
