package chain

import (
	"fmt"
	"math/big"

	"github.com/cove-network/cove"
)

// Compute rewards (issue 10, ADR 22 point 5), after Phala's formulas in
// 18-decimal fixed point (fp: 10^18 is 1.0; a COVE amount in base units is
// the same number of COVE in fp). A computing worker has V, initially
//
//	Ve = ((re − 1)·conf + 1) · (stake + rig_k·P), at most v_max,
//
// and a share √(V² + (2·P·conf)²). A rewards index (meta/shares) keeps
// Σshare, the sum over computing workers, and acc, the reward per unit of
// share accrued so far: every change of Σshare first adds
// budget_per_block · (blocks since the last change) / Σshare to acc. A
// worker is paid, at each Heartbeat, share · (acc − its acc at its last
// settlement), minted: each block's budget is split exactly by the
// shares of that block (rounded down), and a worker that leaves forfeits
// what it accrued since its last settlement. The payout
// (100 − treasury_percent)% goes to its pool (the owner's commission to
// the owner's account, the rest to the pool's value and free stake, which
// raises the share price) and the rest to the treasury. While computing, V
// grows as V·ρⁿ (capped at v_max) and the payout is taken back from that
// growth: V ← V·ρⁿ − min(V·ρⁿ − V, payout). An unresponsive worker leaves
// Σshare and earns nothing; its V decays by (1 − slash_rate)ⁿ over the n
// blocks until its next heartbeat. conf is the worker's Confidence, from
// the TCB status its quote had at registration. Phala's idle cost term
// (cost_k·P + cost_b, ~10⁻⁸ per block) is left out. Earned sums a worker's
// settled rewards.

const keyShares = "meta/shares" // RewardIndex

// RewardIndex is the rewards index: Σshare of computing workers (fp), the
// accrued reward per share Acc (base units per fp share, scaled by
// accScale) and the height it was brought to.
type RewardIndex struct {
	Shares Amount `json:"shares"`
	Acc    Amount `json:"acc"`
	Height int64  `json:"height"`
}

// accScale keeps the index's precision: reward per share is tiny.
var accScale = new(big.Int).Exp(big.NewInt(10), big.NewInt(36), nil)

// fpOne is 1.0 in 18-decimal fixed point.
var fpOne = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// EventReward is a worker's settled reward: worker, pool, amount (minted),
// pool (to the pool's value), commission (to its owner), treasury, v (fp).
const EventReward = "reward"

func fpMul(a, b *big.Int) *big.Int {
	r := new(big.Int).Mul(a, b)
	return r.Quo(r, fpOne)
}

// fpPow returns x^n in fixed point, by squaring (each product rounded
// down, so the same inputs always give the same result), saturating at
// ceiling: for x ≥ 1 every factor is at least 1, so a result at the
// ceiling means x^n is at least the ceiling; x ≤ 1 never reaches it.
func fpPow(x *big.Int, n uint64, ceiling *big.Int) *big.Int {
	sat := func(v *big.Int) *big.Int {
		if v.Cmp(ceiling) > 0 {
			return v.Set(ceiling)
		}
		return v
	}
	r := new(big.Int).Set(fpOne)
	b := sat(new(big.Int).Set(x))
	for n > 0 {
		if n&1 == 1 {
			r = sat(fpMul(r, b))
		}
		n >>= 1
		if n > 0 {
			b = sat(fpMul(b, b))
		}
	}
	return r
}

// rewardParams are the parsed reward parameters.
type rewardParams struct {
	budget, rho, slash, re, rigK, vMax *big.Int
	treasuryPercent                    uint64
}

func (s StakingParams) rewards() rewardParams {
	s = s.effective()
	p := func(v string) *big.Int { x, _ := new(big.Int).SetString(v, 10); return x }
	return rewardParams{budget: p(s.BudgetPerBlock), rho: p(s.Rho), slash: p(s.SlashRate), re: p(s.Re), rigK: p(s.RigK), vMax: p(s.VMax), treasuryPercent: *s.TreasuryPercent}
}

// validateRewards checks the reward parameters that are set.
func (s StakingParams) validateRewards() error {
	bounds := []struct {
		name, v  string
		min, max *big.Int
	}{
		{"budget_per_block", s.BudgetPerBlock, big.NewInt(0), maxFeeParam},
		{"rho", s.Rho, fpOne, new(big.Int).Mul(fpOne, big.NewInt(2))},
		{"slash_rate", s.SlashRate, big.NewInt(0), fpOne},
		{"re", s.Re, fpOne, new(big.Int).Mul(fpOne, big.NewInt(10))},
		{"rig_k", s.RigK, big.NewInt(0), new(big.Int).Mul(fpOne, big.NewInt(1000))},
		{"v_max", s.VMax, big.NewInt(1), maxFeeParam},
	}
	for _, b := range bounds {
		if b.v == "" {
			continue
		}
		v, err := parseAmount(b.v)
		if err != nil {
			return fmt.Errorf("staking: %s: %v", b.name, err)
		}
		if v.Cmp(b.min) < 0 || v.Cmp(b.max) > 0 {
			return fmt.Errorf("staking: %s %s: want %s to %s (18-decimal fixed point where 10^18 is 1)", b.name, b.v, b.min, b.max)
		}
	}
	if s.TreasuryPercent != nil && *s.TreasuryPercent > 100 {
		return fmt.Errorf("staking: treasury_percent %d is above 100", *s.TreasuryPercent)
	}
	return nil
}

// Confidence levels (fixed point), after Phala's attestation confidence
// 1-3, 4 and 5.
var (
	confFull      = new(big.Int).Set(fpOne)                                                  // 1
	confAdvisory  = new(big.Int).Quo(new(big.Int).Mul(fpOne, big.NewInt(8)), big.NewInt(10)) // 0.8
	confOutOfDate = new(big.Int).Quo(new(big.Int).Mul(fpOne, big.NewInt(7)), big.NewInt(10)) // 0.7
)

// Confidence is how much the chain trusts a worker's platform, as a fixed
// point number (10^18 is 1), from the TCB status its quote had at
// registration (after Phala's confidence levels):
//
//	UpToDate                                             1
//	SWHardeningNeeded, ConfigurationNeeded,
//	ConfigurationAndSWHardeningNeeded                    1, or 0.8 with advisories
//	anything else (OutOfDate, TDRelaunchAdvised, ...),
//	or no status (TDX without collateral in the params)  0.7
//	sim (development chains)                             1
//
// It scales a worker's initial V and the P term of its share.
func Confidence(w WorkerRecord) *big.Int {
	switch {
	case w.TEE == "sim" || w.TCBStatus == "UpToDate":
		return new(big.Int).Set(confFull)
	case w.TCBStatus == "SWHardeningNeeded" || w.TCBStatus == "ConfigurationNeeded" || w.TCBStatus == "ConfigurationAndSWHardeningNeeded":
		if len(w.Advisories) > 0 {
			return new(big.Int).Set(confAdvisory)
		}
		return new(big.Int).Set(confFull)
	}
	return new(big.Int).Set(confOutOfDate)
}

// workerConfidence is the Confidence of worker id's record.
func workerConfidence(r reader, id cove.Hash) *big.Int {
	var w WorkerRecord
	getJSON(r, workerKey(id), &w) // a pool worker is always registered
	return Confidence(w)
}

// initialV is Ve for a worker of stake, benchmark score p and confidence
// conf.
func (r rewardParams) initialV(stake *big.Int, p uint64, conf *big.Int) *big.Int {
	reconf := new(big.Int).Sub(r.re, fpOne) // (re − 1)·conf + 1
	reconf = fpMul(reconf, conf)
	reconf.Add(reconf, fpOne)
	base := new(big.Int).Mul(r.rigK, new(big.Int).SetUint64(p)) // rig_k·P, fp
	base.Add(base, stake)
	v := fpMul(reconf, base)
	if v.Cmp(r.vMax) > 0 {
		v.Set(r.vMax)
	}
	return v
}

// shareOf is √(V² + (2·P·conf)²), in fixed point.
func shareOf(v *big.Int, p uint64, conf *big.Int) *big.Int {
	t := new(big.Int).Mul(big.NewInt(2), new(big.Int).SetUint64(p))
	t.Mul(t, conf)
	s := new(big.Int).Mul(v, v)
	s.Add(s, t.Mul(t, t))
	return s.Sqrt(s)
}

func getIndex(r reader) RewardIndex {
	var x RewardIndex
	getJSON(r, keyShares, &x)
	return x
}

// accrue brings the index to the block: acc += budget · blocks / Σshare.
func accrue(o *overlay, ctx execContext) RewardIndex {
	x := getIndex(o)
	if n := ctx.height - x.Height; n > 0 && x.Shares.Big().Sign() > 0 {
		inc := new(big.Int).Mul(staking(o).rewards().budget, big.NewInt(n))
		inc.Mul(inc, accScale)
		inc.Quo(inc, x.Shares.Big())
		x.Acc = AmountOf(inc.Add(inc, x.Acc.Big()))
	}
	x.Height = ctx.height
	return x
}

// addShares changes Σshare by delta, accruing first.
func addShares(o *overlay, delta *big.Int, ctx execContext) RewardIndex {
	x := accrue(o, ctx)
	sh := x.Shares.Big()
	sh.Add(sh, delta)
	if sh.Sign() < 0 {
		panic("chain: the sum of shares went negative") // every share removed was added
	}
	x.Shares = AmountOf(sh)
	if x.Acc.i == nil {
		x.Acc = AmountOf(new(big.Int))
	}
	putJSON(o, keyShares, x)
	return x
}

// effectiveP is a worker's P for its rewards: measured, or initial_p
// before that, at most what its stake backs (MaxP).
func effectiveP(o *overlay, pw *PoolWorker) uint64 {
	sp := staking(o)
	return min(sp.scoreOf(pw), sp.MaxP(pw.Stake.Big()))
}

// scoreOf is a worker's benchmark score: measured, or initial_p before
// that (s effective).
func (s StakingParams) scoreOf(pw *PoolWorker) uint64 {
	if pw.P != 0 {
		return pw.P
	}
	return s.InitialP
}

// joinRewards gives a worker that starts computing its V and share.
func joinRewards(o *overlay, pw *PoolWorker, ctx execContext) {
	r := staking(o).rewards()
	p := effectiveP(o, pw)
	conf := workerConfidence(o, pw.Worker)
	v := r.initialV(pw.Stake.Big(), p, conf)
	share := shareOf(v, p, conf)
	x := addShares(o, share, ctx)
	pw.V, pw.Share, pw.Settled, pw.Acc = AmountOf(v), AmountOf(share), ctx.height, AmountOf(x.Acc.Big())
}

// leaveRewards takes a worker out of Σshare (it stops, or is
// unresponsive): it forfeits what it accrued since its last settlement
// and earns nothing from then on.
func leaveRewards(o *overlay, pw *PoolWorker, ctx execContext) {
	addShares(o, new(big.Int).Neg(pw.Share.Big()), ctx)
	pw.Share, pw.Settled, pw.Acc = AmountOf(new(big.Int)), ctx.height, Amount{}
}

// settle pays a computing worker what it accrued since its last
// settlement and updates its V and share; back from unresponsive, it
// decays V instead and rejoins Σshare. It returns the reward event, if any.
func settle(o *overlay, pw *PoolWorker, wasUnresponsive bool, ctx execContext) []Event {
	sp := staking(o)
	r := sp.rewards()
	n := uint64(max(ctx.height-pw.Settled, 0))
	v := pw.V.Big()
	p := effectiveP(o, pw)
	conf := workerConfidence(o, pw.Worker)
	if wasUnresponsive {
		keep := new(big.Int).Sub(fpOne, r.slash)
		v = fpMul(v, fpPow(keep, n, fpOne))
		share := shareOf(v, p, conf)
		x := addShares(o, share, ctx)
		pw.V, pw.Share, pw.Settled, pw.Acc = AmountOf(v), AmountOf(share), ctx.height, AmountOf(x.Acc.Big())
		return nil
	}
	x := accrue(o, ctx)
	reward := new(big.Int).Sub(x.Acc.Big(), pw.Acc.Big())
	reward.Mul(reward, pw.Share.Big())
	reward.Quo(reward, accScale)
	// V grows while computing (saturating at v_max), and gives back what
	// is paid.
	grown := new(big.Int).Set(r.vMax)
	if v.Sign() > 0 {
		ceiling := new(big.Int).Mul(r.vMax, fpOne)
		ceiling.Quo(ceiling, v).Add(ceiling, fpOne) // ρⁿ at or above this puts V at v_max
		grown = fpMul(v, fpPow(r.rho, n, ceiling))
	}
	if grown.Cmp(r.vMax) > 0 {
		grown.Set(r.vMax)
	}
	payout := new(big.Int).Mul(reward, new(big.Int).SetUint64(100-r.treasuryPercent))
	payout.Quo(payout, big.NewInt(100))
	toTreasury := new(big.Int).Sub(reward, payout)
	deduct := new(big.Int).Sub(grown, v)
	if deduct.Sign() < 0 {
		deduct.SetInt64(0)
	}
	if deduct.Cmp(payout) > 0 {
		deduct.Set(payout)
	}
	newV := new(big.Int).Sub(grown, deduct)
	share := shareOf(newV, p, conf)
	x = addShares(o, new(big.Int).Sub(share, pw.Share.Big()), ctx)
	pw.V, pw.Share, pw.Settled, pw.Acc = AmountOf(newV), AmountOf(share), ctx.height, AmountOf(x.Acc.Big())
	if reward.Sign() == 0 {
		return nil
	}
	pw.Earned = AmountOf(new(big.Int).Add(pw.Earned.Big(), reward))
	// Mint: the pool's part (commission to its owner), the treasury's.
	pool, f := getPool(o, pw.Pool)
	if f != nil {
		return nil // a computing worker is always in its pool
	}
	commission := new(big.Int).Mul(payout, new(big.Int).SetUint64(pool.Commission))
	commission.Quo(commission, big.NewInt(MaxCommission))
	toPool := new(big.Int).Sub(payout, commission)
	if pool.Shares.Big().Sign() == 0 {
		// No shares to raise the price of: it all goes to the owner.
		commission.Add(commission, toPool)
		toPool.SetInt64(0)
	}
	pool.Value = AmountOf(new(big.Int).Add(pool.Value.Big(), toPool))
	pool.Free = AmountOf(new(big.Int).Add(pool.Free.Big(), toPool))
	// New free stake pays the withdrawal queue.
	pool, paid := payQueue(o, pool, sp)
	putJSON(o, poolKey(pool.ID), pool)
	credit := func(addr [20]byte, amount *big.Int) {
		if amount.Sign() > 0 {
			a := getAccount(o, addr)
			a.Balance.Add(a.Balance, amount)
			putAccount(o, a)
		}
	}
	credit(pool.Owner, commission)
	credit(TreasuryAddress, toTreasury)
	var sup Supply
	getJSON(o, keySupply, &sup)
	sup.Total.Add(sup.Total, reward)
	sup.Minted.Add(sup.Minted, reward)
	putJSON(o, keySupply, sup)
	return append([]Event{{Type: EventReward, Attrs: []Attr{
		{"worker", pw.Worker.String()}, {"pool", u64s(pool.ID)}, {"amount", reward.String()},
		{"toPool", toPool.String()}, {"commission", commission.String()}, {"treasury", toTreasury.String()}, {"v", newV.String()},
	}}}, paid...)
}
