package chain

import (
	"fmt"
	"math/big"
)

// Compute rewards (issue 10, ADR 22 point 5), after Phala's formulas in
// 18-decimal fixed point (fp: 10^18 is 1.0; a COVE amount in base units is
// the same number of COVE in fp). A computing worker has V, initially
//
//	Ve = ((re − 1)·conf + 1) · (stake + rig_k·P), at most v_max,
//
// and a share √(V² + (2·P·conf)²). Σshare, the sum over computing
// workers, is kept in meta/shares. Rewards settle lazily, when the worker
// is touched: at each Heartbeat it is paid, for the n blocks since its
// last settlement, budget_per_block · n · share / Σshare (Σshare as of
// now: shares between touches count as of the touch, so a block's mint
// is budget_per_block on average, not exactly), minted. The payout
// (100 − treasury_percent)% goes to its pool (the owner's commission to
// the owner's account, the rest to the pool's value and free stake, which
// raises the share price) and the rest to the treasury. While computing, V
// grows as V·ρⁿ (capped at v_max) and the payout is taken back from that
// growth: V ← V·ρⁿ − min(V·ρⁿ − V, payout). An unresponsive worker leaves
// Σshare and earns nothing; its V decays by (1 − slash_rate)ⁿ over the n
// blocks until its next heartbeat. Confidence is 1 for every worker (the
// worker record does not carry its TCB status yet). Phala's idle cost
// term (cost_k·P + cost_b, ~10⁻⁸ per block) is left out.

const keyShares = "meta/shares" // Amount: Σshare of computing workers (fp)

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
// down, so the same inputs always give the same result).
func fpPow(x *big.Int, n uint64) *big.Int {
	r := new(big.Int).Set(fpOne)
	b := new(big.Int).Set(x)
	for n > 0 {
		if n&1 == 1 {
			r = fpMul(r, b)
		}
		n >>= 1
		if n > 0 {
			b = fpMul(b, b)
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

// initialV is Ve for a worker of stake and benchmark score p (conf 1).
func (r rewardParams) initialV(stake *big.Int, p uint64) *big.Int {
	reconf := new(big.Int).Sub(r.re, fpOne) // (re − 1)·conf + 1 with conf 1 = re
	reconf.Add(reconf, fpOne)
	base := new(big.Int).Mul(r.rigK, new(big.Int).SetUint64(p)) // rig_k·P, fp
	base.Add(base, stake)
	v := fpMul(reconf, base)
	if v.Cmp(r.vMax) > 0 {
		v.Set(r.vMax)
	}
	return v
}

// shareOf is √(V² + (2·P·conf)²) with conf 1, in fixed point.
func shareOf(v *big.Int, p uint64) *big.Int {
	t := new(big.Int).Mul(big.NewInt(2), new(big.Int).SetUint64(p))
	t.Mul(t, fpOne)
	s := new(big.Int).Mul(v, v)
	s.Add(s, t.Mul(t, t))
	return s.Sqrt(s)
}

func getShares(r reader) *big.Int {
	var a Amount
	getJSON(r, keyShares, &a)
	return a.Big()
}

func addShares(o *overlay, delta *big.Int) {
	s := getShares(o)
	s.Add(s, delta)
	if s.Sign() < 0 {
		s.SetInt64(0) // rounding cannot go below 0; never negative
	}
	putJSON(o, keyShares, AmountOf(s))
}

// joinRewards gives a worker that starts computing its V and share.
func joinRewards(o *overlay, pw *PoolWorker, ctx execContext) {
	r := staking(o).rewards()
	p := pw.P
	if p == 0 {
		p = staking(o).InitialP
	}
	v := r.initialV(pw.Stake.Big(), p)
	share := shareOf(v, p)
	pw.V, pw.Share, pw.Settled = AmountOf(v), AmountOf(share), ctx.height
	addShares(o, share)
}

// leaveRewards takes a worker out of Σshare (it stops, or is
// unresponsive): it earns nothing from then on.
func leaveRewards(o *overlay, pw *PoolWorker, ctx execContext) {
	addShares(o, new(big.Int).Neg(pw.Share.Big()))
	pw.Share, pw.Settled = AmountOf(new(big.Int)), ctx.height
}

// settle pays a computing worker for the blocks since its last
// settlement and updates its V and share; back from unresponsive, it
// decays V instead and rejoins Σshare. It returns the reward event, if any.
func settle(o *overlay, pw *PoolWorker, wasUnresponsive bool, ctx execContext) []Event {
	sp := staking(o)
	r := sp.rewards()
	n := uint64(max(ctx.height-pw.Settled, 0))
	v := pw.V.Big()
	p := pw.P
	if p == 0 {
		p = sp.InitialP
	}
	if wasUnresponsive {
		keep := new(big.Int).Sub(fpOne, r.slash)
		v = fpMul(v, fpPow(keep, min(n, 1<<20)))
		share := shareOf(v, p)
		pw.V, pw.Share, pw.Settled = AmountOf(v), AmountOf(share), ctx.height
		addShares(o, share)
		return nil
	}
	total := getShares(o)
	reward := new(big.Int)
	if total.Sign() > 0 && n > 0 {
		reward.Mul(r.budget, new(big.Int).SetUint64(n))
		reward.Mul(reward, pw.Share.Big())
		reward.Quo(reward, total)
	}
	// V grows while computing, and gives back what is paid.
	// (Past 2^20 blocks without a settlement, V is at v_max for any rho
	// over 1 the parameters allow; the bound keeps ρⁿ's size in check.)
	grown := new(big.Int).Set(r.vMax)
	if n <= 1<<20 || r.rho.Cmp(fpOne) == 0 {
		grown = fpMul(v, fpPow(r.rho, min(n, 1<<20)))
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
	oldShare := pw.Share.Big()
	share := shareOf(newV, p)
	addShares(o, new(big.Int).Sub(share, oldShare))
	pw.V, pw.Share, pw.Settled = AmountOf(newV), AmountOf(share), ctx.height
	if reward.Sign() == 0 {
		return nil
	}
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
	return []Event{{Type: EventReward, Attrs: []Attr{
		{"worker", pw.Worker.String()}, {"pool", u64s(pool.ID)}, {"amount", reward.String()},
		{"toPool", toPool.String()}, {"commission", commission.String()}, {"treasury", toTreasury.String()}, {"v", newV.String()},
	}}}
}
