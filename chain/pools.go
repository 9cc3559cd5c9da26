package chain

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cove-network/cove"
)

// Stake pools (issue 10, ADR 22 point 6). A pool holds COVE that
// contributors put in for shares; its owner adds workers it operates and
// locks part of the pool's free stake on each worker that starts
// computing. A worker that stops cools down, then its stake is free again.
// Withdrawals are paid from free stake, otherwise queued first in, first
// out and filled, partly if need be, as stake frees up; a request older
// than the grace period that the free and the cooling stake cannot cover
// stops every computing worker of the pool. Every pool transaction first
// refreshes the pool (refreshPool): releases cooled stake, pays the
// queue, applies the grace rule. Amounts are exact integers: shares for a
// contribution are floor(amount·shares/value), COVE for shares
// floor(shares·value/shares), so rounding always stays in the pool.
//
// The pool's COVE is held in the pool record (Value = Free + the stake of
// its computing and cooling workers), not in an account: the supply is
// the sum of every balance and every pool's value.

const (
	keyNextPool      = "meta/next_pool" // uint64: the next pool's id
	prefixPool       = "pool/"          // ‖ 8-byte big-endian id: PoolRecord
	prefixStake      = "stake/"         // ‖ 20-byte account ‖ 8-byte pool: StakeRecord
	prefixPoolWorker = "pworker/"       // ‖ 32-byte worker id: PoolWorker
	prefixPoolAllow  = "pallow/"        // ‖ 8-byte pool ‖ 20-byte account: PoolAllow
)

// Limits and states of pools.
const (
	// MaxPoolQueue bounds a pool's withdrawal queue (one request per
	// account).
	MaxPoolQueue = 1000
	// MaxCommission is 100% in parts per million.
	MaxCommission = 1_000_000

	PoolWorkerIdle      = "idle"
	PoolWorkerComputing = "computing"
	PoolWorkerCooling   = "cooling"
)

// Events of pools.
const (
	EventPoolCreated           = "pool_created"           // pool, owner, commission
	EventPoolWorkerAdded       = "pool_worker_added"      // pool, worker
	EventPoolWorkerRemoved     = "pool_worker_removed"    // pool, worker
	EventContributed           = "contributed"            // pool, account, amount, shares
	EventWithdrawQueued        = "withdraw_queued"        // pool, account, shares (left in the queue)
	EventWithdrawn             = "withdrawn"              // pool, account, shares, amount (paid)
	EventComputingStarted      = "computing_started"      // pool, worker, stake
	EventComputingStopped      = "computing_stopped"      // pool, worker, coolUntil, forced ("true" by the grace rule)
	EventStakeReleased         = "stake_released"         // pool, worker, stake
	EventContributorAllowed    = "contributor_allowed"    // pool, account
	EventContributorDisallowed = "contributor_disallowed" // pool, account
)

// Amount is a non-negative integer of base units whose JSON is a decimal
// string, for records.
type Amount struct{ i *big.Int }

// AmountOf returns v as an Amount (a copy).
func AmountOf(v *big.Int) Amount { return Amount{new(big.Int).Set(v)} }

// Big returns the amount (a copy; 0 for the zero Amount).
func (a Amount) Big() *big.Int {
	if a.i == nil {
		return new(big.Int)
	}
	return new(big.Int).Set(a.i)
}

// String writes the decimal.
func (a Amount) String() string { return a.Big().String() }

// MarshalJSON writes a decimal string.
func (a Amount) MarshalJSON() ([]byte, error) {
	v := a.Big()
	if err := checkAmount(v); err != nil {
		return nil, err
	}
	return amountJSON(v), nil
}

// UnmarshalJSON reads a decimal string without sign or leading zeros.
func (a *Amount) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("amount: want a decimal string: %v", err)
	}
	v, err := parseAmount(s)
	if err != nil {
		return err
	}
	a.i = v
	return nil
}

// StakingParams are the pools' parameters (Params.Staking); zero fields
// take the defaults of DefaultStaking.
type StakingParams struct {
	// MinContribution is the smallest contribution and the dust bound: a
	// withdrawal request left with less is closed.
	MinContribution string `json:"min_contribution,omitempty"`
	// StakeK sets a computing worker's minimum stake: StakeK·√P, P its
	// benchmark score (InitialP until a benchmark reports one).
	StakeK   string `json:"stake_k,omitempty"`
	InitialP uint64 `json:"initial_p,omitempty"`
	// CooldownSeconds is how long a stopped worker's stake stays locked.
	CooldownSeconds uint64 `json:"cooldown_seconds,omitempty"`
	// GraceSeconds is how long a queued withdrawal may wait before its
	// pool's workers are stopped to pay it.
	GraceSeconds   uint64 `json:"grace_seconds,omitempty"`
	MaxPoolWorkers uint64 `json:"max_pool_workers,omitempty"`
	// HeartbeatBlocks is the number of heartbeat buckets: a computing
	// worker is challenged about once per HeartbeatBlocks blocks (1800:
	// twice an hour at one block a second). Fixed at genesis.
	HeartbeatBlocks uint64 `json:"heartbeat_blocks,omitempty"`
	// HeartbeatWindow is how many blocks a challenged worker has to
	// answer.
	HeartbeatWindow uint64 `json:"heartbeat_window,omitempty"`
	// The compute rewards (rewards.go): the COVE minted per block for
	// computing workers, and Phala's V parameters in 18-decimal fixed
	// point (10^18 is 1): rho (V's growth per block), slash_rate (its
	// decay per block while unresponsive), re, rig_k, v_max; and the
	// treasury's percent of each reward (default 20; 0 may be set).
	BudgetPerBlock  string  `json:"budget_per_block,omitempty"`
	Rho             string  `json:"rho,omitempty"`
	SlashRate       string  `json:"slash_rate,omitempty"`
	Re              string  `json:"re,omitempty"`
	RigK            string  `json:"rig_k,omitempty"`
	VMax            string  `json:"v_max,omitempty"`
	TreasuryPercent *uint64 `json:"treasury_percent,omitempty"`
}

// DefaultStaking are the defaults: 0.01 COVE minimum contribution, a
// minimum stake of 100 COVE·√P with P 50 until benchmarked (707 COVE), 7
// days of cooldown and of grace, 200 workers per pool.
func DefaultStaking() StakingParams {
	return StakingParams{
		MinContribution: "10000000000000000",
		StakeK:          "100000000000000000000",
		InitialP:        50,
		CooldownSeconds: 7 * 24 * 3600,
		GraceSeconds:    7 * 24 * 3600,
		MaxPoolWorkers:  200,
		HeartbeatBlocks: 1800,
		HeartbeatWindow: 10,
		BudgetPerBlock:  "1000000000000000000",
		Rho:             "1000000666600231000",
		SlashRate:       "3330000000000",
		Re:              "1300000000000000000",
		RigK:            "300000000000000000",
		VMax:            "30000000000000000000000",
		TreasuryPercent: ptrU64(20),
	}
}

func ptrU64(v uint64) *uint64 { return &v }

// IsZero reports whether s sets nothing (all defaults).
func (s StakingParams) IsZero() bool { return s == StakingParams{} }

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// effective fills s's zero fields with the defaults.
func (s StakingParams) effective() StakingParams {
	d := DefaultStaking()
	if s.MinContribution == "" {
		s.MinContribution = d.MinContribution
	}
	if s.StakeK == "" {
		s.StakeK = d.StakeK
	}
	if s.InitialP == 0 {
		s.InitialP = d.InitialP
	}
	if s.CooldownSeconds == 0 {
		s.CooldownSeconds = d.CooldownSeconds
	}
	if s.GraceSeconds == 0 {
		s.GraceSeconds = d.GraceSeconds
	}
	if s.MaxPoolWorkers == 0 {
		s.MaxPoolWorkers = d.MaxPoolWorkers
	}
	if s.HeartbeatBlocks == 0 {
		s.HeartbeatBlocks = d.HeartbeatBlocks
	}
	if s.HeartbeatWindow == 0 {
		s.HeartbeatWindow = d.HeartbeatWindow
	}
	s.BudgetPerBlock, s.Rho, s.SlashRate = orDefault(s.BudgetPerBlock, d.BudgetPerBlock), orDefault(s.Rho, d.Rho), orDefault(s.SlashRate, d.SlashRate)
	s.Re, s.RigK, s.VMax = orDefault(s.Re, d.Re), orDefault(s.RigK, d.RigK), orDefault(s.VMax, d.VMax)
	if s.TreasuryPercent == nil {
		s.TreasuryPercent = d.TreasuryPercent
	}
	return s
}

// Validate checks the staking parameters.
func (s StakingParams) Validate() error {
	for _, f := range []struct{ name, v string }{{"min_contribution", s.MinContribution}, {"stake_k", s.StakeK}} {
		if f.v == "" {
			continue
		}
		v, err := parseAmount(f.v)
		if err != nil {
			return fmt.Errorf("staking: %s: %v", f.name, err)
		}
		if v.Cmp(maxFeeParam) > 0 || v.Sign() == 0 {
			return fmt.Errorf("staking: %s %s: want 1 to 10^36", f.name, f.v)
		}
	}
	const maxSeconds = 10 * 365 * 24 * 3600
	if s.CooldownSeconds > maxSeconds || s.GraceSeconds > maxSeconds {
		return fmt.Errorf("staking: cooldown_seconds and grace_seconds at most %d (10 years)", maxSeconds)
	}
	if s.InitialP > 1<<32 || s.MaxPoolWorkers > 10_000 {
		return fmt.Errorf("staking: initial_p at most 2^32, max_pool_workers at most 10000")
	}
	if s.HeartbeatBlocks > 1<<24 || s.HeartbeatWindow > 10_000 {
		return fmt.Errorf("staking: heartbeat_blocks at most 2^24, heartbeat_window at most 10000")
	}
	return s.validateRewards()
}

// MinStake returns the minimum stake of a worker of benchmark score p.
func (s StakingParams) MinStake(p uint64) *big.Int {
	s = s.effective()
	if p == 0 {
		p = s.InitialP
	}
	k, _ := new(big.Int).SetString(s.StakeK, 10)
	// floor(k·√p) = floor(√(k²·p)).
	k2p := new(big.Int).Mul(k, k)
	k2p.Mul(k2p, new(big.Int).SetUint64(p))
	return k2p.Sqrt(k2p)
}

// MaxP returns the largest benchmark score a stake backs, the inverse of
// MinStake: floor(stake²/stake_k²) (no bound when stake_k is 0). Rewards
// never use a higher P, so a worker that starts on a small stake and then
// measures a fast benchmark earns as the stake allows.
func (s StakingParams) MaxP(stake *big.Int) uint64 {
	s = s.effective()
	k, _ := new(big.Int).SetString(s.StakeK, 10)
	if k == nil || k.Sign() == 0 {
		return math.MaxUint64
	}
	p := new(big.Int).Mul(stake, stake)
	p.Quo(p, k.Mul(k, k))
	if !p.IsUint64() {
		return math.MaxUint64
	}
	return p.Uint64()
}

// PoolRecord is a stake pool.
type PoolRecord struct {
	ID    uint64       `json:"id"`
	Owner cove.Address `json:"owner"`
	// Commission is the owner's part of the pool's rewards, in parts per
	// million.
	Commission uint64 `json:"commission"`
	// Cap bounds Value after a contribution (0: none).
	Cap    Amount `json:"cap"`
	Shares Amount `json:"shares"`
	// Value is what the shares are worth: Free plus the stake of its
	// computing and cooling workers.
	Value Amount `json:"value"`
	Free  Amount `json:"free"`
	// Workers are the pool's workers, sorted.
	Workers []cove.Hash `json:"workers"`
	// Queue is the withdrawal queue, oldest first.
	Queue   []Withdrawal `json:"queue"`
	Created int64        `json:"created"`
	// Allowed counts the pool's allowlist: while it is not 0, only the
	// accounts on it (pallow/ records) and the owner may contribute.
	Allowed uint64 `json:"allowed,omitempty"`
}

// PoolAllow is an account on a pool's allowlist.
type PoolAllow struct {
	Pool    uint64       `json:"pool"`
	Account cove.Address `json:"account"`
}

// Withdrawal is a queued withdrawal request.
type Withdrawal struct {
	Account cove.Address `json:"account"`
	Shares  Amount       `json:"shares"`
	Since   time.Time    `json:"since"`
}

// StakeRecord is an account's shares of a pool.
type StakeRecord struct {
	Pool    uint64       `json:"pool"`
	Account cove.Address `json:"account"`
	Shares  Amount       `json:"shares"`
	// LockedUntil is the first height at which the account may withdraw
	// again: a contribution locks its shares for heartbeat_blocks +
	// heartbeat_window blocks, about the time every computing worker
	// takes to settle once, so that COVE put in just before a reward
	// settles cannot take the reward of blocks it was not in for and
	// leave at once.
	LockedUntil int64 `json:"lockedUntil,omitempty"`
}

// PoolWorker is a worker's place in a pool.
type PoolWorker struct {
	Worker cove.Hash `json:"worker"`
	Pool   uint64    `json:"pool"`
	State  string    `json:"state"` // idle, computing or cooling
	// Stake is locked while computing and cooling.
	Stake Amount `json:"stake"`
	// Since is the height of the last state change.
	Since int64 `json:"since"`
	// CoolUntil is when a cooling worker's stake is released.
	CoolUntil time.Time `json:"coolUntil,omitzero"`
	// Challenge is the height of the heartbeat challenge the worker has
	// not answered yet (0: none). LastHeartbeat and LastTime are the
	// height and time of its last Heartbeat, Iterations its benchmark
	// count then, P its benchmark score (iterations per second between
	// its last two heartbeats; 0 until then).
	Challenge     int64     `json:"challenge,omitempty"`
	ChallengeSeed cove.Hash `json:"challengeSeed,omitzero"`
	LastHeartbeat int64     `json:"lastHeartbeat,omitempty"`
	LastTime      time.Time `json:"lastTime,omitzero"`
	Iterations    uint64    `json:"iterations,omitempty"`
	P             uint64    `json:"p,omitempty"`
	// V and Share are its rewards state (rewards.go; fixed point, 10^18
	// is 1), Settled the height it was last settled at.
	V       Amount `json:"v,omitzero"`
	Share   Amount `json:"share,omitzero"`
	Settled int64  `json:"settled,omitempty"`
	// Acc is the rewards index's acc at its last settlement.
	Acc Amount `json:"acc,omitzero"`
	// Earned is the sum of its settled rewards (minted: pool, commission
	// and treasury parts), over every session.
	Earned Amount `json:"earned,omitzero"`
}

func poolKey(id uint64) string { return prefixPool + string(binary.BigEndian.AppendUint64(nil, id)) }

func stakeKey(acct cove.Address, pool uint64) string {
	return prefixStake + string(acct[:]) + string(binary.BigEndian.AppendUint64(nil, pool))
}

func poolWorkerKey(w cove.Hash) string { return prefixPoolWorker + string(w[:]) }

func poolAllowKey(pool uint64, acct cove.Address) string {
	return prefixPoolAllow + string(binary.BigEndian.AppendUint64(nil, pool)) + string(acct[:])
}

// checkPoolRecord returns the record type of a pool state key, or nil.
func checkPoolRecord(key string) any {
	switch {
	case key == keyNextPool:
		return new(uint64)
	case key == keyShares:
		return new(RewardIndex)
	case len(key) == len(prefixPool)+8 && key[:len(prefixPool)] == prefixPool:
		return new(PoolRecord)
	case len(key) == len(prefixStake)+28 && key[:len(prefixStake)] == prefixStake:
		return new(StakeRecord)
	case len(key) == len(prefixPoolWorker)+32 && key[:len(prefixPoolWorker)] == prefixPoolWorker:
		return new(PoolWorker)
	case len(key) == len(prefixPoolAllow)+28 && key[:len(prefixPoolAllow)] == prefixPoolAllow:
		return new(PoolAllow)
	}
	if v := checkVaultRecord(key); v != nil {
		return v
	}
	return checkHeartbeatRecord(key)
}

func getPool(r reader, id uint64) (PoolRecord, *failure) {
	var p PoolRecord
	if !getJSON(r, poolKey(id), &p) {
		return p, fail(CodeNotFound, "pool %d does not exist (GET /v1/chain/pools lists them)", id)
	}
	return p, nil
}

func getStake(r reader, acct cove.Address, pool uint64) StakeRecord {
	s := StakeRecord{Pool: pool, Account: acct}
	getJSON(r, stakeKey(acct, pool), &s)
	return s
}

func putStake(o *overlay, s StakeRecord) {
	if s.Shares.Big().Sign() == 0 {
		if _, ok := o.get(stakeKey(s.Account, s.Pool)); ok {
			o.set(stakeKey(s.Account, s.Pool), nil)
		}
		return
	}
	putJSON(o, stakeKey(s.Account, s.Pool), s)
}

func staking(r reader) StakingParams { return getParams(r).Staking.effective() }

func u64s(v uint64) string { return strconv.FormatUint(v, 10) }

// u64key is v as 8 bytes big-endian, for state keys.
func u64key(v uint64) string { return string(binary.BigEndian.AppendUint64(nil, v)) }

// CreatePool creates a stake pool owned by the sender.
type CreatePool struct {
	// Commission is the owner's part of rewards, parts per million.
	Commission uint64 `eip712:"commission"`
	// Cap bounds the pool's value (0: none).
	Cap    *big.Int `eip712:"cap"`
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

// AddPoolWorker adds a worker to a pool: the sender must own the pool and
// operate the worker.
type AddPoolWorker struct {
	Pool   uint64    `eip712:"pool"`
	Worker cove.Hash `eip712:"worker"`
	MaxFee *big.Int  `eip712:"maxFee,,optional"`
	Nonce  uint64    `eip712:"nonce"`
}

// RemovePoolWorker takes an idle worker out of its pool (the owner).
type RemovePoolWorker struct {
	Pool   uint64    `eip712:"pool"`
	Worker cove.Hash `eip712:"worker"`
	MaxFee *big.Int  `eip712:"maxFee,,optional"`
	Nonce  uint64    `eip712:"nonce"`
}

// Contribute puts Amount of the sender's COVE in a pool for shares.
type Contribute struct {
	Pool   uint64   `eip712:"pool"`
	Amount *big.Int `eip712:"amount"`
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

// Withdraw asks for Shares of the sender's shares of a pool back in COVE:
// paid from free stake now, the rest queued (replacing an earlier request
// of the sender).
type Withdraw struct {
	Pool   uint64   `eip712:"pool"`
	Shares *big.Int `eip712:"shares"`
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

// StartComputing locks Stake of the worker's pool's free stake on the
// worker (the pool's owner).
type StartComputing struct {
	Worker cove.Hash `eip712:"worker"`
	Stake  *big.Int  `eip712:"stake"`
	MaxFee *big.Int  `eip712:"maxFee,,optional"`
	Nonce  uint64    `eip712:"nonce"`
}

// StopComputing stops a computing worker: its stake cools down (the
// pool's owner).
type StopComputing struct {
	Worker cove.Hash `eip712:"worker"`
	MaxFee *big.Int  `eip712:"maxFee,,optional"`
	Nonce  uint64    `eip712:"nonce"`
}

// AllowContributor puts Account on a pool's allowlist (the pool's owner):
// while the list is not empty, only the accounts on it and the owner may
// contribute.
type AllowContributor struct {
	Pool    uint64       `eip712:"pool"`
	Account cove.Address `eip712:"account"`
	MaxFee  *big.Int     `eip712:"maxFee,,optional"`
	Nonce   uint64       `eip712:"nonce"`
}

// DisallowContributor takes Account off a pool's allowlist (the pool's
// owner); its shares stay. An empty list lets anyone contribute again.
type DisallowContributor struct {
	Pool    uint64       `eip712:"pool"`
	Account cove.Address `eip712:"account"`
	MaxFee  *big.Int     `eip712:"maxFee,,optional"`
	Nonce   uint64       `eip712:"nonce"`
}

func (AllowContributor) Type() string    { return "AllowContributor" }
func (DisallowContributor) Type() string { return "DisallowContributor" }

func (m AllowContributor) MarshalJSON() ([]byte, error)    { return marshalMsg(m) }
func (m DisallowContributor) MarshalJSON() ([]byte, error) { return marshalMsg(m) }

func (m *AllowContributor) UnmarshalJSON(b []byte) error    { return unmarshalMsg(b, m) }
func (m *DisallowContributor) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }

func (AllowContributor) isMsg()    {}
func (DisallowContributor) isMsg() {}

func execAllowContributor(o *overlay, sender cove.Address, m AllowContributor, ctx execContext) ([]Event, *failure) {
	p, f := ownedPool(o, sender, m.Pool, "change its allowlist")
	if f != nil {
		return nil, f
	}
	if _, ok := o.get(poolAllowKey(p.ID, m.Account)); ok {
		return nil, fail(CodeExists, "%s is on pool %d's allowlist already", m.Account, p.ID)
	}
	if p.Allowed >= MaxPoolAllowed {
		return nil, fail(CodeInvalidArgument, "pool %d's allowlist holds %d accounts, the most it may", p.ID, p.Allowed)
	}
	putJSON(o, poolAllowKey(p.ID, m.Account), PoolAllow{Pool: p.ID, Account: m.Account})
	p.Allowed++
	putJSON(o, poolKey(p.ID), p)
	return []Event{{Type: EventContributorAllowed, Attrs: []Attr{{"pool", u64s(p.ID)}, {"account", m.Account.String()}}}}, nil
}

func execDisallowContributor(o *overlay, sender cove.Address, m DisallowContributor, ctx execContext) ([]Event, *failure) {
	p, f := ownedPool(o, sender, m.Pool, "change its allowlist")
	if f != nil {
		return nil, f
	}
	if _, ok := o.get(poolAllowKey(p.ID, m.Account)); !ok {
		return nil, fail(CodeNotFound, "%s is not on pool %d's allowlist", m.Account, p.ID)
	}
	o.set(poolAllowKey(p.ID, m.Account), nil)
	p.Allowed--
	putJSON(o, poolKey(p.ID), p)
	return []Event{{Type: EventContributorDisallowed, Attrs: []Attr{{"pool", u64s(p.ID)}, {"account", m.Account.String()}}}}, nil
}

// MaxPoolAllowed bounds a pool's allowlist.
const MaxPoolAllowed = 10_000

// RefreshPool releases a pool's cooled stake, pays its withdrawal queue
// and applies the grace rule (anyone may send it; every pool transaction
// does it first).
type RefreshPool struct {
	Pool   uint64   `eip712:"pool"`
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

func (CreatePool) Type() string       { return "CreatePool" }
func (AddPoolWorker) Type() string    { return "AddPoolWorker" }
func (RemovePoolWorker) Type() string { return "RemovePoolWorker" }
func (Contribute) Type() string       { return "Contribute" }
func (Withdraw) Type() string         { return "Withdraw" }
func (StartComputing) Type() string   { return "StartComputing" }
func (StopComputing) Type() string    { return "StopComputing" }
func (RefreshPool) Type() string      { return "RefreshPool" }

func (m CreatePool) MarshalJSON() ([]byte, error)       { return marshalMsg(m) }
func (m AddPoolWorker) MarshalJSON() ([]byte, error)    { return marshalMsg(m) }
func (m RemovePoolWorker) MarshalJSON() ([]byte, error) { return marshalMsg(m) }
func (m Contribute) MarshalJSON() ([]byte, error)       { return marshalMsg(m) }
func (m Withdraw) MarshalJSON() ([]byte, error)         { return marshalMsg(m) }
func (m StartComputing) MarshalJSON() ([]byte, error)   { return marshalMsg(m) }
func (m StopComputing) MarshalJSON() ([]byte, error)    { return marshalMsg(m) }
func (m RefreshPool) MarshalJSON() ([]byte, error)      { return marshalMsg(m) }

func (m *CreatePool) UnmarshalJSON(b []byte) error       { return unmarshalMsg(b, m) }
func (m *AddPoolWorker) UnmarshalJSON(b []byte) error    { return unmarshalMsg(b, m) }
func (m *RemovePoolWorker) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (m *Contribute) UnmarshalJSON(b []byte) error       { return unmarshalMsg(b, m) }
func (m *Withdraw) UnmarshalJSON(b []byte) error         { return unmarshalMsg(b, m) }
func (m *StartComputing) UnmarshalJSON(b []byte) error   { return unmarshalMsg(b, m) }
func (m *StopComputing) UnmarshalJSON(b []byte) error    { return unmarshalMsg(b, m) }
func (m *RefreshPool) UnmarshalJSON(b []byte) error      { return unmarshalMsg(b, m) }

func (CreatePool) isMsg()       {}
func (AddPoolWorker) isMsg()    {}
func (RemovePoolWorker) isMsg() {}
func (Contribute) isMsg()       {}
func (Withdraw) isMsg()         {}
func (StartComputing) isMsg()   {}
func (StopComputing) isMsg()    {}
func (RefreshPool) isMsg()      {}

// keepsSupply refuses pool messages on a chain without a supply record:
// pools hold COVE outside accounts, which only the supply accounts for.
func keepsSupply(o *overlay) *failure {
	if _, ok := o.get(keySupply); !ok {
		return fail(CodeInvalidArgument, "this chain keeps no supply record (its genesis predates economics): it has no stake pools")
	}
	return nil
}

func execCreatePool(o *overlay, sender cove.Address, m CreatePool, ctx execContext) ([]Event, *failure) {
	if f := keepsSupply(o); f != nil {
		return nil, f
	}
	if m.Commission > MaxCommission {
		return nil, fail(CodeInvalidArgument, "commission %d: want parts per million, 0 to %d", m.Commission, MaxCommission)
	}
	var id uint64 = 1
	getJSON(o, keyNextPool, &id)
	putJSON(o, keyNextPool, id+1)
	p := PoolRecord{ID: id, Owner: sender, Commission: m.Commission, Cap: AmountOf(m.Cap), Workers: []cove.Hash{}, Queue: []Withdrawal{}, Created: ctx.height}
	putJSON(o, poolKey(id), p)
	return []Event{{Type: EventPoolCreated, Attrs: []Attr{{"pool", u64s(id)}, {"owner", sender.String()}, {"commission", u64s(m.Commission)}}}}, nil
}

// ownedPool reads pool id and refuses a sender that does not own it.
func ownedPool(o *overlay, sender cove.Address, id uint64, what string) (PoolRecord, *failure) {
	p, f := getPool(o, id)
	if f != nil {
		return p, f
	}
	if p.Owner != sender {
		return p, fail(CodeUnauthorized, "only pool %d's owner %s may %s", id, p.Owner, what)
	}
	return p, nil
}

func execAddPoolWorker(o *overlay, sender cove.Address, m AddPoolWorker, ctx execContext) ([]Event, *failure) {
	p, f := ownedPool(o, sender, m.Pool, "add workers")
	if f != nil {
		return nil, f
	}
	var w WorkerRecord
	if !getJSON(o, workerKey(m.Worker), &w) {
		return nil, fail(CodeNotFound, "worker %s is not registered", m.Worker)
	}
	if w.Operator != sender {
		return nil, fail(CodeUnauthorized, "worker %s is operated by %s: its operator must add it to a pool it owns", m.Worker, w.Operator)
	}
	var pw PoolWorker
	if getJSON(o, poolWorkerKey(m.Worker), &pw) {
		return nil, fail(CodeExists, "worker %s is in pool %d already", m.Worker, pw.Pool)
	}
	if uint64(len(p.Workers)) >= staking(o).MaxPoolWorkers {
		return nil, fail(CodeInvalidArgument, "pool %d has %d workers, the most it may", p.ID, len(p.Workers))
	}
	p.Workers = append(p.Workers, m.Worker)
	slices.SortFunc(p.Workers, func(a, b cove.Hash) int { return compareHash(a, b) })
	putJSON(o, poolKey(p.ID), p)
	putJSON(o, poolWorkerKey(m.Worker), PoolWorker{Worker: m.Worker, Pool: p.ID, State: PoolWorkerIdle, Stake: AmountOf(new(big.Int)), Since: ctx.height})
	return []Event{{Type: EventPoolWorkerAdded, Attrs: []Attr{{"pool", u64s(p.ID)}, {"worker", m.Worker.String()}}}}, nil
}

// compareHash orders worker ids (the sorted lists of pools and buckets).
func compareHash(a, b cove.Hash) int { return bytes.Compare(a[:], b[:]) }

func execRemovePoolWorker(o *overlay, sender cove.Address, m RemovePoolWorker, ctx execContext) ([]Event, *failure) {
	p, f := ownedPool(o, sender, m.Pool, "remove workers")
	if f != nil {
		return nil, f
	}
	var evs []Event
	p, evs = refreshPool(o, p, ctx)
	var pw PoolWorker
	if !getJSON(o, poolWorkerKey(m.Worker), &pw) || pw.Pool != p.ID {
		return nil, fail(CodeNotFound, "worker %s is not in pool %d", m.Worker, p.ID)
	}
	if pw.State != PoolWorkerIdle {
		return nil, fail(CodeInvalidArgument, "worker %s is %s: stop it and let it cool down first", m.Worker, pw.State)
	}
	p.Workers = slices.DeleteFunc(p.Workers, func(h cove.Hash) bool { return h == m.Worker })
	putJSON(o, poolKey(p.ID), p)
	o.set(poolWorkerKey(m.Worker), nil)
	return append(evs, Event{Type: EventPoolWorkerRemoved, Attrs: []Attr{{"pool", u64s(p.ID)}, {"worker", m.Worker.String()}}}), nil
}

func execContribute(o *overlay, sender cove.Address, m Contribute, ctx execContext) ([]Event, *failure) {
	if f := keepsSupply(o); f != nil {
		return nil, f
	}
	p, f := getPool(o, m.Pool)
	if f != nil {
		return nil, f
	}
	sp := staking(o)
	min, _ := new(big.Int).SetString(sp.MinContribution, 10)
	if m.Amount.Cmp(min) < 0 {
		return nil, fail(CodeInvalidArgument, "contribution %s is under the minimum %s", m.Amount, min)
	}
	if _, listed := o.get(poolAllowKey(p.ID, sender)); p.Allowed > 0 && sender != p.Owner && !listed {
		return nil, fail(CodeUnauthorized, "pool %d takes contributions from the %d accounts on its allowlist only; ask its owner %s", p.ID, p.Allowed, p.Owner)
	}
	var evs []Event
	p, evs = refreshPool(o, p, ctx)
	shares, value := p.Shares.Big(), p.Value.Big()
	if shares.Sign() > 0 && value.Sign() == 0 {
		return nil, fail(CodeInvalidArgument, "pool %d is bankrupt (its shares are worth nothing): it takes no contributions", p.ID)
	}
	newValue := new(big.Int).Add(value, m.Amount)
	if c := p.Cap.Big(); c.Sign() > 0 && newValue.Cmp(c) > 0 {
		return nil, fail(CodeInvalidArgument, "pool %d's cap is %s; it holds %s", p.ID, c, value)
	}
	from := getAccount(o, sender)
	if from.Balance.Cmp(m.Amount) < 0 {
		return nil, fail(CodeInsufficientFunds, "%s has %s after the fee, the contribution is %s", sender, from.Balance, m.Amount)
	}
	minted := sharesFor(m.Amount, shares, value)
	if minted.Sign() == 0 {
		return nil, fail(CodeInvalidArgument, "contribution %s buys no share at the pool's price (%s per share)", m.Amount, new(big.Int).Quo(value, shares))
	}
	from.Balance.Sub(from.Balance, m.Amount)
	putAccount(o, from)
	p.Shares = AmountOf(shares.Add(shares, minted))
	p.Value = AmountOf(newValue)
	p.Free = AmountOf(new(big.Int).Add(p.Free.Big(), m.Amount))
	st := getStake(o, sender, p.ID)
	st.Shares = AmountOf(new(big.Int).Add(st.Shares.Big(), minted))
	st.LockedUntil = ctx.height + int64(sp.HeartbeatBlocks+sp.HeartbeatWindow)
	putStake(o, st)
	evs = append(evs, Event{Type: EventContributed, Attrs: []Attr{{"pool", u64s(p.ID)}, {"account", sender.String()}, {"amount", m.Amount.String()}, {"shares", minted.String()}}})
	// New free stake pays the queue.
	p, more := payQueue(o, p, sp)
	putJSON(o, poolKey(p.ID), p)
	return append(evs, more...), nil
}

func execWithdraw(o *overlay, sender cove.Address, m Withdraw, ctx execContext) ([]Event, *failure) {
	p, f := getPool(o, m.Pool)
	if f != nil {
		return nil, f
	}
	st := getStake(o, sender, p.ID)
	if m.Shares.Sign() == 0 || m.Shares.Cmp(st.Shares.Big()) > 0 {
		return nil, fail(CodeInsufficientFunds, "%s holds %s shares of pool %d, asked to withdraw %s", sender, st.Shares, p.ID, m.Shares)
	}
	if ctx.height < st.LockedUntil {
		return nil, fail(CodeInvalidArgument, "%s's shares of pool %d are locked until block %d by its last contribution (heartbeat_blocks + heartbeat_window blocks): withdraw then", sender, p.ID, st.LockedUntil)
	}
	// A request worth less than the minimum contribution must be the
	// whole holding: dust requests would fill the queue, or stop a pool's
	// workers by the grace rule for a few base units.
	sp := staking(o)
	min, _ := new(big.Int).SetString(sp.MinContribution, 10)
	if m.Shares.Cmp(st.Shares.Big()) != 0 && SharesValue(p, m.Shares).Cmp(min) < 0 {
		return nil, fail(CodeInvalidArgument, "%s shares of pool %d are worth %s, under the minimum %s: withdraw more, or all %s", m.Shares, p.ID, SharesValue(p, m.Shares), min, st.Shares)
	}
	// The queue is paid first; the new request replaces the sender's
	// queued one, at the back.
	p, evs := refreshPool(o, p, ctx)
	p.Queue = slices.DeleteFunc(p.Queue, func(w Withdrawal) bool { return w.Account == sender })
	if len(p.Queue) >= MaxPoolQueue {
		return nil, fail(CodeInvalidArgument, "pool %d's withdrawal queue is full (%d requests)", p.ID, MaxPoolQueue)
	}
	p.Queue = append(p.Queue, Withdrawal{Account: sender, Shares: AmountOf(m.Shares), Since: ctx.time})
	p, paid := payQueue(o, p, sp)
	evs = append(evs, paid...)
	for _, w := range p.Queue {
		if w.Account == sender {
			evs = append(evs, Event{Type: EventWithdrawQueued, Attrs: []Attr{{"pool", u64s(p.ID)}, {"account", sender.String()}, {"shares", w.Shares.String()}}})
		}
	}
	putJSON(o, poolKey(p.ID), p)
	return evs, nil
}

func execStartComputing(o *overlay, sender cove.Address, m StartComputing, ctx execContext) ([]Event, *failure) {
	var pw PoolWorker
	if !getJSON(o, poolWorkerKey(m.Worker), &pw) {
		return nil, fail(CodeNotFound, "worker %s is in no pool (AddPoolWorker first)", m.Worker)
	}
	p, f := ownedPool(o, sender, pw.Pool, "start its workers")
	if f != nil {
		return nil, f
	}
	var evs []Event
	p, evs = refreshPool(o, p, ctx)
	getJSON(o, poolWorkerKey(m.Worker), &pw)
	if pw.State != PoolWorkerIdle {
		return nil, fail(CodeInvalidArgument, "worker %s is %s", m.Worker, pw.State)
	}
	var w WorkerRecord
	if !getJSON(o, workerKey(m.Worker), &w) || w.Status != WorkerStatusActive {
		return nil, fail(CodeInvalidArgument, "worker %s is not an active registered worker", m.Worker)
	}
	// P is the worker's benchmark score as its heartbeats last measured
	// it (kept across its sessions in this pool), initial_p before any;
	// rewards never use more P than the stake backs (MaxP), so starting
	// again on initial_p after leaving the pool gains nothing.
	if sp := staking(o); m.Stake.Cmp(sp.MinStake(pw.P)) < 0 {
		return nil, fail(CodeInvalidArgument, "stake %s is under the minimum %s (stake_k·√P, P %d)", m.Stake, sp.MinStake(pw.P), sp.scoreOf(&pw))
	}
	free := p.Free.Big()
	if m.Stake.Cmp(free) > 0 {
		return nil, fail(CodeInsufficientFunds, "pool %d has %s free, the stake is %s", p.ID, free, m.Stake)
	}
	p.Free = AmountOf(free.Sub(free, m.Stake))
	pw.State, pw.Stake, pw.Since, pw.CoolUntil = PoolWorkerComputing, AmountOf(m.Stake), ctx.height, time.Time{}
	// A new session: P is measured afresh from its next two heartbeats.
	pw.LastTime, pw.Iterations = time.Time{}, 0
	joinRewards(o, &pw, ctx)
	putJSON(o, poolWorkerKey(m.Worker), pw)
	listAdd(o, hbBucketKey(HeartbeatBucket(m.Worker, staking(o).HeartbeatBlocks)), m.Worker)
	putJSON(o, poolKey(p.ID), p)
	return append(evs, Event{Type: EventComputingStarted, Attrs: []Attr{{"pool", u64s(p.ID)}, {"worker", m.Worker.String()}, {"stake", m.Stake.String()}}}), nil
}

func execStopComputing(o *overlay, sender cove.Address, m StopComputing, ctx execContext) ([]Event, *failure) {
	var pw PoolWorker
	if !getJSON(o, poolWorkerKey(m.Worker), &pw) {
		return nil, fail(CodeNotFound, "worker %s is in no pool", m.Worker)
	}
	p, f := ownedPool(o, sender, pw.Pool, "stop its workers")
	if f != nil {
		return nil, f
	}
	getJSON(o, poolWorkerKey(m.Worker), &pw)
	if pw.State != PoolWorkerComputing && pw.State != PoolWorkerUnresponsive {
		return nil, fail(CodeInvalidArgument, "worker %s is %s, not computing", m.Worker, pw.State)
	}
	ev := stopWorker(o, pw, ctx, false)
	p, evs := refreshPool(o, p, ctx)
	putJSON(o, poolKey(p.ID), p)
	return append([]Event{ev}, evs...), nil
}

// stopWorker moves a computing (or unresponsive) worker to cooling: out
// of its heartbeat bucket, its pending challenge dropped.
func stopWorker(o *overlay, pw PoolWorker, ctx execContext, forced bool) Event {
	listRemove(o, hbBucketKey(HeartbeatBucket(pw.Worker, staking(o).HeartbeatBlocks)), pw.Worker)
	if pw.State == PoolWorkerComputing {
		leaveRewards(o, &pw, ctx)
	}
	pw.State, pw.Since, pw.Challenge, pw.ChallengeSeed = PoolWorkerCooling, ctx.height, 0, cove.Hash{}
	pw.CoolUntil = ctx.time.Add(time.Duration(staking(o).CooldownSeconds) * time.Second)
	putJSON(o, poolWorkerKey(pw.Worker), pw)
	return Event{Type: EventComputingStopped, Attrs: []Attr{{"pool", u64s(pw.Pool)}, {"worker", pw.Worker.String()}, {"coolUntil", pw.CoolUntil.Format(time.RFC3339)}, {"forced", fmt.Sprint(forced)}}}
}

func execRefreshPool(o *overlay, sender cove.Address, m RefreshPool, ctx execContext) ([]Event, *failure) {
	p, f := getPool(o, m.Pool)
	if f != nil {
		return nil, f
	}
	p, evs := refreshPool(o, p, ctx)
	putJSON(o, poolKey(p.ID), p)
	return evs, nil
}

// refreshPool releases the stake of p's workers whose cooldown ended,
// pays the queue from free stake, and, if the oldest unpaid request is
// older than the grace period and the free and cooling stake cannot
// cover it, stops every computing worker (their stake starts cooling).
// The caller stores p.
func refreshPool(o *overlay, p PoolRecord, ctx execContext) (PoolRecord, []Event) {
	var evs []Event
	cooling := new(big.Int)
	for _, id := range p.Workers {
		var pw PoolWorker
		getJSON(o, poolWorkerKey(id), &pw)
		if pw.State != PoolWorkerCooling {
			continue
		}
		if ctx.time.Before(pw.CoolUntil) {
			cooling.Add(cooling, pw.Stake.Big())
			continue
		}
		p.Free = AmountOf(new(big.Int).Add(p.Free.Big(), pw.Stake.Big()))
		evs = append(evs, Event{Type: EventStakeReleased, Attrs: []Attr{{"pool", u64s(p.ID)}, {"worker", id.String()}, {"stake", pw.Stake.String()}}})
		pw.State, pw.Stake, pw.Since, pw.CoolUntil = PoolWorkerIdle, AmountOf(new(big.Int)), ctx.height, time.Time{}
		putJSON(o, poolWorkerKey(id), pw)
	}
	sp := staking(o)
	p, paid := payQueue(o, p, sp)
	evs = append(evs, paid...)
	if len(p.Queue) > 0 && ctx.time.Sub(p.Queue[0].Since) > time.Duration(sp.GraceSeconds)*time.Second {
		owed := new(big.Int).Mul(p.Queue[0].Shares.Big(), p.Value.Big())
		owed.Quo(owed, p.Shares.Big())
		if new(big.Int).Add(p.Free.Big(), cooling).Cmp(owed) < 0 {
			for _, id := range p.Workers {
				var pw PoolWorker
				getJSON(o, poolWorkerKey(id), &pw)
				if pw.State == PoolWorkerComputing || pw.State == PoolWorkerUnresponsive {
					evs = append(evs, stopWorker(o, pw, ctx, true))
				}
			}
		}
	}
	return p, evs
}

// payQueue pays p's withdrawal queue in order from its free stake, each
// request in full or, when the free stake runs out, in part. A request
// left worth less than the minimum contribution is closed (its shares stay
// with the account).
func payQueue(o *overlay, p PoolRecord, sp StakingParams) (PoolRecord, []Event) {
	var evs []Event
	dust, _ := new(big.Int).SetString(sp.MinContribution, 10)
	for len(p.Queue) > 0 {
		free, shares, value := p.Free.Big(), p.Shares.Big(), p.Value.Big()
		if free.Sign() == 0 || shares.Sign() == 0 {
			break
		}
		w := p.Queue[0]
		st := getStake(o, w.Account, p.ID)
		want := w.Shares.Big()
		if held := st.Shares.Big(); want.Cmp(held) > 0 {
			want = held // shares moved since: pay what is held
		}
		now := sharesFor(free, shares, value) // what the free stake pays for
		if now.Cmp(want) > 0 {
			now.Set(want)
		}
		amount := Worth(now, shares, value)
		if now.Sign() > 0 {
			p.Shares = AmountOf(shares.Sub(shares, now))
			p.Value = AmountOf(value.Sub(value, amount))
			p.Free = AmountOf(free.Sub(free, amount))
			st.Shares = AmountOf(new(big.Int).Sub(st.Shares.Big(), now))
			putStake(o, st)
			acct := getAccount(o, w.Account)
			acct.Balance.Add(acct.Balance, amount)
			putAccount(o, acct)
			evs = append(evs, Event{Type: EventWithdrawn, Attrs: []Attr{{"pool", u64s(p.ID)}, {"account", w.Account.String()}, {"shares", now.String()}, {"amount", amount.String()}}})
		}
		left := new(big.Int).Sub(want, now)
		if left.Sign() > 0 && SharesValue(p, left).Cmp(dust) >= 0 {
			p.Queue[0].Shares = AmountOf(left)
			break // the free stake is spent
		}
		p.Queue = p.Queue[1:]
	}
	if p.Queue == nil {
		p.Queue = []Withdrawal{}
	}
	return p, evs
}

// SharePrice returns p's value per share as a decimal with up to 18
// fractional digits ("1" for a pool without shares).
func SharePrice(p PoolRecord) string { return PriceString(p.Value.Big(), p.Shares.Big()) }

// PriceString returns value/shares as a decimal with up to 18 fractional
// digits ("1" without shares): the share price of a pool or a vault.
func PriceString(value, shares *big.Int) string {
	if shares.Sign() == 0 {
		return "1"
	}
	s := new(big.Rat).SetFrac(value, shares).FloatString(18)
	if strings.Contains(s, ".") {
		s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// SharesValue returns what n shares of p are worth now, rounded down.
func SharesValue(p PoolRecord, n *big.Int) *big.Int { return Worth(n, p.Shares.Big(), p.Value.Big()) }

// Worth returns what n of shares worth value in all are worth:
// floor(n·value/shares), 0 without shares. Pools and vaults price their
// shares with it (rounding always in the holder of the COVE's favour).
func Worth(n, shares, value *big.Int) *big.Int {
	if shares.Sign() == 0 {
		return new(big.Int)
	}
	v := new(big.Int).Mul(n, value)
	return v.Quo(v, shares)
}

// sharesFor returns the shares amount buys from shares worth value in
// all: floor(amount·shares/value), or amount itself for the first shares.
func sharesFor(amount, shares, value *big.Int) *big.Int {
	if shares.Sign() == 0 {
		return new(big.Int).Set(amount)
	}
	n := new(big.Int).Mul(amount, shares)
	return n.Quo(n, value)
}
