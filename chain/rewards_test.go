package chain

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// newRewardsApp returns an App of a chain with a supply record, the fees
// and staking parameters given, alice and bob funded with a million COVE
// each, and the test quote verifier.
func newRewardsApp(t testing.TB, fees FeeParams, sp StakingParams) *App {
	t.Helper()
	g := testGenesis()
	g.Accounts = []GenesisAccount{{Address: alice.addr, Balance: e18(1_000_000)}, {Address: bob.addr, Balance: e18(1_000_000)}}
	g.Economics = true
	g.Params.Fees, g.Params.Staking = fees, sp
	a := New()
	if _, err := a.InitChain(g); err != nil {
		t.Fatal(err)
	}
	a.SetVerifier(&testVerifier{})
	return a
}

func e18(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), fpOne) }

func attrInt(t *testing.T, e Event, k string) *big.Int {
	t.Helper()
	v, ok := new(big.Int).SetString(e.Attr(k), 10)
	if !ok {
		t.Fatalf("event %s has no %s: %+v", e.Type, k, e)
	}
	return v
}

// TestRewards: two computing workers share each block's budget by their
// shares (√(V² + (2P)²), V = 1.3·stake), checked against float64
// arithmetic; the payout's split (80% pool with a 10% commission, 20%
// treasury) and the mint are exact; V grows by rho per block up to v_max
// and gives back the payout; an unresponsive worker leaves the split (the
// other gets the whole budget) and its V decays by (1 − slash_rate) per
// block until it answers again. The supply stays the sum of balances and
// pools at every step.
func TestRewards(t *testing.T) {
	a := newRewardsApp(t, FeeParams{}, StakingParams{MinContribution: "10", StakeK: "10", InitialP: 1, HeartbeatBlocks: 1, HeartbeatWindow: 3,
		BudgetPerBlock: "1000000", Rho: "2000000000000000000", SlashRate: "500000000000000000", RigK: "0", VMax: e18(1000).String()})
	r1, k1 := idWorker(bob, "r1", 0)
	r2, k2 := idWorker(bob, "r2", 1)
	w1, w2 := WorkerID(r1.PublicKey), WorkerID(r2.PublicKey)
	n := uint64(2)
	tx := func(m func(n uint64) Msg) []byte { n++; return bob.tx(t, m(n-1)) }
	tm := genesisTime
	step := func(txs ...[]byte) BlockResult {
		t.Helper()
		tm = tm.Add(time.Second)
		res := at(t, a, tm, txs...)
		for i, r := range res.TxResults {
			if r.Code != CodeOK {
				t.Fatalf("height %d tx %d: %s", a.Height(), i, r.Log)
			}
		}
		checkPoolSupply(t, a, e18(2_000_000))
		return res
	}
	step(bob.tx(t, r1), bob.tx(t, r2),
		tx(func(n uint64) Msg { return CreatePool{Commission: 100_000, Cap: big.NewInt(0), Nonce: n} }),
		tx(func(n uint64) Msg { return AddPoolWorker{Pool: 1, Worker: w1, Nonce: n} }),
		tx(func(n uint64) Msg { return AddPoolWorker{Pool: 1, Worker: w2, Nonce: n} }),
		tx(func(n uint64) Msg { return Contribute{Pool: 1, Amount: e18(1000), Nonce: n} }),
		tx(func(n uint64) Msg { return StartComputing{Worker: w1, Stake: e18(300), Nonce: n} }),
		tx(func(n uint64) Msg { return StartComputing{Worker: w2, Stake: e18(100), Nonce: n} }))
	start := a.Height()
	pw := func(w [32]byte) PoolWorker {
		p, err := a.View().PoolWorker(w)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if v := pw(w1).V.Big(); v.Cmp(e18(390)) != 0 {
		t.Fatalf("w1's initial V %s, want 1.3·300", v)
	}
	step() // challenges both
	hb := func(w [32]byte, k interface{ Sign([]byte) []byte }, ch int64, iter uint64) []byte {
		seed := pw(w).ChallengeSeed
		return tx(func(n uint64) Msg {
			m := Heartbeat{Worker: w, Challenge: uint64(ch), Seed: seed, Iterations: iter, Nonce: n}
			d := m.IdentityDigest(testChainID)
			return m.WithIdentitySig(k.Sign(d[:]))
		})
	}
	ch := pw(w1).Challenge
	res := step(hb(w1, k1, ch, 10), hb(w2, k2, ch, 10))
	blocks := a.Height() - start
	var rewards []Event
	for _, r := range res.TxResults {
		for _, e := range r.Events {
			if e.Type == EventReward {
				rewards = append(rewards, e)
			}
		}
	}
	if len(rewards) != 2 {
		t.Fatalf("rewards %+v", rewards)
	}
	// The split, against float64: share = √(V² + (2·P)²), P = 1.
	share := func(stake float64) float64 { v := 1.3 * stake; return math.Sqrt(v*v + 4) }
	s1, s2 := share(300), share(100)
	total := float64(1_000_000 * blocks)
	minted := new(big.Int)
	// Both are paid for the same blocks against the same sum, whichever
	// settles first (the index accrues before a share changes).
	for i, e := range rewards {
		amount := attrInt(t, e, "amount")
		want := total * []float64{s1, s2}[i] / (s1 + s2)
		if got, _ := new(big.Float).SetInt(amount).Float64(); math.Abs(got-want) > 2 {
			t.Errorf("worker %d: reward %s, float64 says %.1f", i+1, amount, want)
		}
		payout := new(big.Int).Quo(new(big.Int).Mul(amount, big.NewInt(80)), big.NewInt(100))
		commission := new(big.Int).Quo(new(big.Int).Mul(payout, big.NewInt(100_000)), big.NewInt(1_000_000))
		if attrInt(t, e, "treasury").Cmp(new(big.Int).Sub(amount, payout)) != 0 || attrInt(t, e, "commission").Cmp(commission) != 0 ||
			attrInt(t, e, "toPool").Cmp(new(big.Int).Sub(payout, commission)) != 0 {
			t.Errorf("worker %d: split %+v", i+1, e.Attrs)
		}
		minted.Add(minted, amount)
		if w := []([32]byte){w1, w2}[i]; pw(w).Earned.Big().Cmp(amount) != 0 {
			t.Errorf("worker %d: earned %s, rewarded %s", i+1, pw(w).Earned, amount)
		}
	}
	// V: 390 COVE doubled per block, capped at 1000, less the payout.
	wantV := new(big.Int).Sub(e18(1000), new(big.Int).Quo(new(big.Int).Mul(attrInt(t, rewards[0], "amount"), big.NewInt(80)), big.NewInt(100)))
	if v := attrInt(t, rewards[0], "v"); v.Cmp(wantV) != 0 {
		t.Errorf("w1's V %s, want %s", v, wantV)
	}
	if s, _, _ := a.View().Supply(); s.Minted.Cmp(minted) != 0 {
		t.Errorf("minted %s, the rewards %s", s.Minted, minted)
	}

	// w2 stops answering: unresponsive after the window, out of the
	// split: w1's next reward is the whole budget of its blocks.
	v2 := pw(w2).V.Big()
	step()
	for range 6 {
		if pw(w2).State == PoolWorkerUnresponsive {
			break
		}
		if c := pw(w1).Challenge; c != 0 {
			step(hb(w1, k1, c, 20))
		} else {
			step()
		}
	}
	if pw(w2).State != PoolWorkerUnresponsive || pw(w2).Share.Big().Sign() != 0 {
		t.Fatalf("w2 %+v", pw(w2))
	}
	down := a.Height()
	// w1 settles once after w2 left, then the blocks to its next
	// settlement are its alone: the whole budget (rounded down).
	for range 2 {
		for pw(w1).Challenge == 0 {
			step()
		}
		settled := pw(w1).Settled
		res = step(hb(w1, k1, pw(w1).Challenge, 30))
		var got *big.Int
		for _, e := range res.TxResults[0].Events {
			if e.Type == EventReward {
				got = attrInt(t, e, "amount")
			}
		}
		want := big.NewInt(1_000_000 * (a.Height() - settled))
		if settled >= down && (got == nil || new(big.Int).Sub(want, got).Cmp(big.NewInt(1)) > 0 || got.Cmp(want) > 0) {
			t.Errorf("w1 alone: reward %v, want the budget of %d blocks, %s", got, a.Height()-settled, want)
		}
	}
	// w2 comes back by answering its next challenge: V halved per block
	// since it went down.
	for pw(w2).Challenge == 0 {
		step()
	}
	res = step(hb(w2, k2, pw(w2).Challenge, 20))
	k := a.Height() - down
	want := new(big.Int).Rsh(v2, uint(k))
	if p := pw(w2); p.State != PoolWorkerComputing || p.V.Big().Cmp(want) != 0 || p.Share.Big().Sign() == 0 {
		t.Errorf("w2 back after %d blocks: %s V %s, want %s", k, p.State, p.V, want)
	}
}

// TestRewardsProperty: three workers of two pools answer their challenges
// or not at random while stakes come and go and workers stop and start;
// after every block the books hold (checkPoolSupply: the supply, with
// what was minted, is the sum of balances and pools; each pool's value is
// its free and locked stake; meta/shares is the computing workers'
// shares), and a replay gives the same app hashes.
func TestRewardsProperty(t *testing.T) {
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 11))
		newA := func() *App {
			return newRewardsApp(t, FeeParams{Base: "1000", PerByte: "1", ProposerPercent: 50},
				StakingParams{MinContribution: "10", StakeK: "10", HeartbeatBlocks: 2, HeartbeatWindow: 3, BudgetPerBlock: "1000000000", GraceSeconds: 300, CooldownSeconds: 60})
		}
		a := newA()
		var ws [][32]byte
		var keys []interface{ Sign([]byte) []byte }
		var setup [][]byte
		for i := range 3 {
			r, k := idWorker(bob, fmt.Sprint("p", i), uint64(i))
			ws, keys = append(ws, WorkerID(r.PublicKey)), append(keys, k)
			setup = append(setup, bob.tx(t, r))
		}
		n := uint64(3)
		btx := func(m func(n uint64) Msg) []byte { n++; return bob.tx(t, m(n-1)) }
		setup = append(setup,
			btx(func(n uint64) Msg { return CreatePool{Commission: 50_000, Cap: big.NewInt(0), Nonce: n} }),
			btx(func(n uint64) Msg { return CreatePool{Commission: 0, Cap: big.NewInt(0), Nonce: n} }),
			btx(func(n uint64) Msg { return AddPoolWorker{Pool: 1, Worker: ws[0], Nonce: n} }),
			btx(func(n uint64) Msg { return AddPoolWorker{Pool: 1, Worker: ws[1], Nonce: n} }),
			btx(func(n uint64) Msg { return AddPoolWorker{Pool: 2, Worker: ws[2], Nonce: n} }),
			btx(func(n uint64) Msg { return Contribute{Pool: 1, Amount: e18(5000), Nonce: n} }),
			btx(func(n uint64) Msg { return Contribute{Pool: 2, Amount: e18(5000), Nonce: n} }),
			alice.tx(t, CreateVault{Commission: 100_000, Nonce: 0}))
		tm := genesisTime.Add(time.Second)
		blocks := []Block{{Height: 1, Time: tm, Txs: setup}}
		var hashes [][]byte
		okTypes := map[string]int{}
		run := func(b Block) {
			res := a.FinalizeBlock(b)
			a.Commit()
			for i, r := range res.TxResults {
				if r.Code == CodeOK {
					if tx, err := Decode(b.Txs[i]); err == nil {
						okTypes[tx.Msg.Type()]++
					}
				}
			}
			hashes = append(hashes, res.AppHash)
			checkPoolSupply(t, a, e18(2_000_000))
			checkVaults(t, a)
		}
		run(blocks[0])
		an := nonce(a, alice)
		for h := int64(2); h <= 80; h++ {
			tm = tm.Add(time.Duration(1+rng.IntN(20)) * time.Second)
			b := Block{Height: h, Time: tm}
			for i, w := range ws {
				pw, err := a.View().PoolWorker(w)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case pw.Challenge != 0 && rng.IntN(10) < 7:
					m := Heartbeat{Worker: w, Challenge: uint64(pw.Challenge), Seed: pw.ChallengeSeed, Iterations: uint64(h) * 1000}
					d := m.IdentityDigest(testChainID)
					m = m.WithIdentitySig(keys[i].Sign(d[:]))
					b.Txs = append(b.Txs, btx(func(n uint64) Msg { m.Nonce = n; return m }))
				case pw.State == PoolWorkerIdle && rng.IntN(3) == 0:
					st := e18(100 + rng.Int64N(1000))
					b.Txs = append(b.Txs, btx(func(n uint64) Msg { return StartComputing{Worker: w, Stake: st, Nonce: n} }))
				case (pw.State == PoolWorkerComputing || pw.State == PoolWorkerUnresponsive) && rng.IntN(15) == 0:
					b.Txs = append(b.Txs, btx(func(n uint64) Msg { return StopComputing{Worker: w, Nonce: n} }))
				}
			}
			if rng.IntN(4) == 0 {
				amt, pool := e18(1+rng.Int64N(500)), uint64(1+rng.IntN(2))
				b.Txs = append(b.Txs, alice.tx(t, Contribute{Pool: pool, Amount: amt, Nonce: an}))
				an++
			}
			if rng.IntN(5) == 0 {
				pool := uint64(1 + rng.IntN(2))
				if held := a.View().Stake(alice.addr, pool).Shares.Big(); held.Sign() > 0 {
					sh := new(big.Int).Quo(held, big.NewInt(1+rng.Int64N(3)))
					b.Txs = append(b.Txs, alice.tx(t, Withdraw{Pool: pool, Shares: sh, Nonce: an}))
				}
			}
			// Vault 1: bob contributes and withdraws, alice (its owner)
			// invests, divests and refreshes.
			v, _ := a.View().Vault(1)
			free, _ := a.View().VaultValue(v)
			if rng.IntN(4) == 0 {
				amt := e18(1 + rng.Int64N(800))
				b.Txs = append(b.Txs, btx(func(n uint64) Msg { return ContributeVault{Vault: 1, Amount: amt, Nonce: n} }))
			}
			if st := a.View().VaultStakes(bob.addr); len(st) > 0 && rng.IntN(6) == 0 {
				sh := new(big.Int).Quo(st[0].Shares.Big(), big.NewInt(1+rng.Int64N(3)))
				b.Txs = append(b.Txs, btx(func(n uint64) Msg { return WithdrawVault{Vault: 1, Shares: sh, Nonce: n} }))
			}
			if free.Sign() > 0 && rng.IntN(4) == 0 {
				amt := new(big.Int).Quo(free, big.NewInt(1+rng.Int64N(3)))
				b.Txs = append(b.Txs, alice.tx(t, VaultInvest{Vault: 1, Pool: uint64(1 + rng.IntN(2)), Amount: amt, Nonce: an}))
				an++
			}
			if pool := uint64(1 + rng.IntN(2)); rng.IntN(6) == 0 {
				if held := a.View().Stake(v.Address, pool).Shares.Big(); held.Sign() > 0 {
					sh := new(big.Int).Quo(held, big.NewInt(1+rng.Int64N(3)))
					b.Txs = append(b.Txs, alice.tx(t, VaultDivest{Vault: 1, Pool: pool, Shares: sh, Nonce: an}))
					an++
				}
			}
			if rng.IntN(8) == 0 {
				b.Txs = append(b.Txs, alice.tx(t, RefreshVault{Vault: 1, Nonce: an})) // alice's last this block
			}
			blocks = append(blocks, b)
			run(b)
			n, an = nonce(a, bob), nonce(a, alice) // a refused one leaves no gap
		}
		r := newA()
		for i, b := range blocks {
			res := r.FinalizeBlock(b)
			r.Commit()
			if !bytes.Equal(res.AppHash, hashes[i]) {
				t.Fatalf("seed %d: replay of block %d differs", seed, b.Height)
			}
		}
		s, _, _ := a.View().Supply()
		v, _ := a.View().Vault(1)
		_, vv := a.View().VaultValue(v)
		t.Logf("seed %d: minted %s; vault 1: shares %s, value %s, pools %v, queue %d, checkpoint %s; accepted %v", seed, s.Minted, v.Shares, vv, v.Pools, len(v.Queue), v.Checkpoint, okTypes)
		for _, typ := range []string{"ContributeVault", "WithdrawVault", "VaultInvest", "VaultDivest", "RefreshVault", "Withdraw", "StopComputing"} {
			if okTypes[typ] == 0 {
				t.Errorf("seed %d: no %s was accepted: the sequence does not exercise it", seed, typ)
			}
		}
		if seed == 0 {
			p1, _ := a.View().Pool(1)
			t.Logf("seed 0: pool 1 price %s", SharePrice(p1))
		}
		if s.Minted.Sign() == 0 {
			t.Errorf("seed %d: nothing minted in 80 blocks", seed)
		}
	}
}

// TestRewardsNoOvermint: however workers settle and leave within a
// block, the COVE minted for a stretch of blocks is at most the budget of
// those blocks. Two equal workers settle together; five blocks later one
// settles, is stopped, and the other settles, all in one block (each
// paid against the shares of the blocks it was paid for, the mint is the
// budget of the five blocks, not one and a half times it).
func TestRewardsNoOvermint(t *testing.T) {
	a := newRewardsApp(t, FeeParams{}, StakingParams{MinContribution: "10", StakeK: "10", HeartbeatBlocks: 1, HeartbeatWindow: 20, BudgetPerBlock: "1000000"})
	r1, k1 := idWorker(bob, "o1", 0)
	r2, k2 := idWorker(bob, "o2", 1)
	w1, w2 := WorkerID(r1.PublicKey), WorkerID(r2.PublicKey)
	n := uint64(2)
	tx := func(m func(n uint64) Msg) []byte { n++; return bob.tx(t, m(n-1)) }
	tm := genesisTime
	step := func(txs ...[]byte) {
		t.Helper()
		tm = tm.Add(time.Second)
		for i, r := range at(t, a, tm, txs...).TxResults {
			if r.Code != CodeOK {
				t.Fatalf("height %d tx %d: %s", a.Height(), i, r.Log)
			}
		}
		checkPoolSupply(t, a, e18(2_000_000))
	}
	step(bob.tx(t, r1), bob.tx(t, r2),
		tx(func(n uint64) Msg { return CreatePool{Cap: big.NewInt(0), Nonce: n} }),
		tx(func(n uint64) Msg { return AddPoolWorker{Pool: 1, Worker: w1, Nonce: n} }),
		tx(func(n uint64) Msg { return AddPoolWorker{Pool: 1, Worker: w2, Nonce: n} }),
		tx(func(n uint64) Msg { return Contribute{Pool: 1, Amount: e18(1000), Nonce: n} }),
		tx(func(n uint64) Msg { return StartComputing{Worker: w1, Stake: e18(300), Nonce: n} }),
		tx(func(n uint64) Msg { return StartComputing{Worker: w2, Stake: e18(300), Nonce: n} }))
	step()
	hb := func(w [32]byte, k interface{ Sign([]byte) []byte }) []byte {
		pw, err := a.View().PoolWorker(w)
		if err != nil || pw.Challenge == 0 {
			t.Fatalf("no challenge: %+v %v", pw, err)
		}
		return tx(func(n uint64) Msg {
			m := Heartbeat{Worker: w, Challenge: uint64(pw.Challenge), Seed: pw.ChallengeSeed, Iterations: 1, Nonce: n}
			d := m.IdentityDigest(testChainID)
			return m.WithIdentitySig(k.Sign(d[:]))
		})
	}
	step(hb(w1, k1), hb(w2, k2))
	settled := a.Height()
	minted := func() *big.Int { s, _, _ := a.View().Supply(); return s.Minted }
	before := minted()
	for range 4 {
		step()
	}
	step(hb(w2, k2), tx(func(n uint64) Msg { return StopComputing{Worker: w2, Nonce: n} }), hb(w1, k1))
	got := new(big.Int).Sub(minted(), before)
	budget := big.NewInt(1_000_000 * (a.Height() - settled))
	if got.Cmp(budget) > 0 || new(big.Int).Sub(budget, got).Cmp(big.NewInt(2)) > 0 {
		t.Fatalf("minted %s for %d blocks, the budget is %s", got, a.Height()-settled, budget)
	}
}

// TestConfidence: a worker's confidence comes from the TCB status its
// quote had at registration (Phala's levels), and scales its initial V
// and the P term of its share. Three TDX workers with the same stake and
// P, registered in the same block, differ only in their status.
func TestConfidence(t *testing.T) {
	for _, c := range []struct {
		rec  WorkerRecord
		want string
	}{
		{WorkerRecord{TEE: "sim"}, "1"},
		{WorkerRecord{TEE: "sim", TCBStatus: "OutOfDate"}, "1"},
		{WorkerRecord{TEE: "tdx", TCBStatus: "UpToDate"}, "1"},
		{WorkerRecord{TEE: "tdx", TCBStatus: "SWHardeningNeeded"}, "1"},
		{WorkerRecord{TEE: "tdx", TCBStatus: "ConfigurationNeeded"}, "1"},
		{WorkerRecord{TEE: "tdx", TCBStatus: "ConfigurationAndSWHardeningNeeded"}, "1"},
		{WorkerRecord{TEE: "tdx", TCBStatus: "SWHardeningNeeded", Advisories: []string{"INTEL-SA-00837"}}, "0.8"},
		{WorkerRecord{TEE: "tdx", TCBStatus: "ConfigurationNeeded", Advisories: []string{"INTEL-SA-00837"}}, "0.8"},
		{WorkerRecord{TEE: "tdx", TCBStatus: "OutOfDate", Advisories: []string{"INTEL-SA-00837"}}, "0.7"},
		{WorkerRecord{TEE: "tdx", TCBStatus: "TDRelaunchAdvised"}, "0.7"},
		{WorkerRecord{TEE: "tdx"}, "0.7"}, // no collateral, no status
	} {
		want, _ := new(big.Float).SetString(c.want)
		w, _ := new(big.Float).Mul(want, new(big.Float).SetInt(fpOne)).Int(nil)
		if got := Confidence(c.rec); got.Cmp(w) != 0 {
			t.Errorf("Confidence(%s %q %q) = %s, want %s", c.rec.TEE, c.rec.TCBStatus, c.rec.Advisories, got, w)
		}
	}

	a := newRewardsApp(t, FeeParams{}, StakingParams{MinContribution: "10", StakeK: "10", InitialP: 1000, HeartbeatBlocks: 1, HeartbeatWindow: 3,
		BudgetPerBlock: "1000000", RigK: "0", VMax: e18(1000).String()})
	statuses := []string{"UpToDate", "OutOfDate", "SWHardeningNeeded,INTEL-SA-00837"}
	confs := []float64{1, 0.7, 0.8}
	var txs [][]byte
	var ids [][32]byte
	for i, st := range statuses {
		r, _ := idWorker(bob, fmt.Sprintf("c%d", i), uint64(i))
		r.TEE = "tdx"
		r.Quote = append(r.Quote, testTCBMark+st...)
		txs = append(txs, bob.tx(t, r))
		ids = append(ids, WorkerID(r.PublicKey))
	}
	n := uint64(len(statuses))
	tx := func(m Msg) []byte { n++; return bob.tx(t, m) }
	txs = append(txs, tx(CreatePool{Commission: 0, Cap: big.NewInt(0), Nonce: n}))
	for _, w := range ids {
		txs = append(txs, tx(AddPoolWorker{Pool: 1, Worker: w, Nonce: n}))
	}
	txs = append(txs, tx(Contribute{Pool: 1, Amount: e18(1000), Nonce: n}))
	for _, w := range ids {
		txs = append(txs, tx(StartComputing{Worker: w, Stake: e18(100), Nonce: n}))
	}
	for i, r := range at(t, a, genesisTime.Add(time.Second), txs...).TxResults {
		if r.Code != CodeOK {
			t.Fatalf("tx %d: %s", i, r.Log)
		}
	}
	for i, w := range ids {
		rec, err := a.View().Worker(w)
		if err != nil {
			t.Fatal(err)
		}
		if want, _, _ := strings.Cut(statuses[i], ","); rec.TCBStatus != want {
			t.Errorf("worker %d's record says TCB status %q, want %q", i, rec.TCBStatus, want)
		}
		pw, err := a.View().PoolWorker(w)
		if err != nil {
			t.Fatal(err)
		}
		// Ve = ((re − 1)·conf + 1)·stake, re 1.3; share = √(V² + (2·P·conf)²).
		v := (0.3*confs[i] + 1) * 100
		share := math.Sqrt(v*v + math.Pow(2*1000*confs[i], 2))
		gotV, _ := new(big.Float).Quo(new(big.Float).SetInt(pw.V.Big()), new(big.Float).SetInt(fpOne)).Float64()
		gotShare, _ := new(big.Float).Quo(new(big.Float).SetInt(pw.Share.Big()), new(big.Float).SetInt(fpOne)).Float64()
		if math.Abs(gotV-v) > 1e-9*v || math.Abs(gotShare-share) > 1e-9*share {
			t.Errorf("worker %d (%s): V %v share %v, want %v and %v", i, statuses[i], gotV, gotShare, v, share)
		}
	}
}

// TestMinStakeFromMeasuredP: a worker's minimum stake is stake_k·√P with
// P its measured benchmark score once its heartbeats measured one
// (initial_p before). A worker that measured P = 10,000 and stopped is
// refused a restart with the stake that sufficed for initial_p 1; the
// same start with stake_k·√10,000 passes (the control, in the same
// state).
func TestMinStakeFromMeasuredP(t *testing.T) {
	a := newRewardsApp(t, FeeParams{}, StakingParams{MinContribution: "10", StakeK: e18(1).String(), InitialP: 1, HeartbeatBlocks: 1, HeartbeatWindow: 3,
		CooldownSeconds: 1, BudgetPerBlock: "1000", RigK: "0", VMax: e18(100000).String()})
	r, k := idWorker(bob, "m1", 0)
	w := WorkerID(r.PublicKey)
	n := uint64(1)
	tx := func(m func(n uint64) Msg) []byte { n++; return bob.tx(t, m(n-1)) }
	tm := genesisTime
	step := func(txs ...[]byte) BlockResult {
		t.Helper()
		tm = tm.Add(time.Second)
		return at(t, a, tm, txs...)
	}
	ok := func(res BlockResult) {
		t.Helper()
		for i, r := range res.TxResults {
			if r.Code != CodeOK {
				t.Fatalf("height %d tx %d: %s", a.Height(), i, r.Log)
			}
		}
	}
	ok(step(bob.tx(t, r),
		tx(func(n uint64) Msg { return CreatePool{Cap: big.NewInt(0), Nonce: n} }),
		tx(func(n uint64) Msg { return AddPoolWorker{Pool: 1, Worker: w, Nonce: n} }),
		tx(func(n uint64) Msg { return Contribute{Pool: 1, Amount: e18(1000), Nonce: n} }),
		tx(func(n uint64) Msg { return StartComputing{Worker: w, Stake: e18(1), Nonce: n} })))
	// Two heartbeats two blocks (seconds) apart, 2·10^7 iterations between:
	// P 10,000.
	for _, iter := range []uint64{1, 20_000_001} {
		pw, _ := a.View().PoolWorker(w)
		if pw.Challenge == 0 {
			step()
			pw, _ = a.View().PoolWorker(w)
		}
		ok(step(tx(func(n uint64) Msg {
			return signHB(k, Heartbeat{Worker: w, Challenge: uint64(pw.Challenge), Seed: pw.ChallengeSeed, Iterations: iter, Nonce: n})
		})))
	}
	// Its rewards use the P its stake of 1 COVE backs (MaxP: (1/1)² = 1),
	// not the 10,000 it measured.
	pw, _ := a.View().PoolWorker(w)
	if pw.P != 10_000 {
		t.Fatalf("P %d, want 10000", pw.P)
	}
	if want := shareOf(pw.V.Big(), 1, fpOne); pw.Share.Big().Cmp(want) != 0 {
		t.Fatalf("share %s, want %s (P capped at 1 by the stake)", pw.Share, want)
	}
	ok(step(tx(func(n uint64) Msg { return StopComputing{Worker: w, Nonce: n} })))
	tm = tm.Add(2 * time.Second)
	ok(step(tx(func(n uint64) Msg { return RefreshPool{Pool: 1, Nonce: n} })))
	res := step(tx(func(n uint64) Msg { return StartComputing{Worker: w, Stake: e18(1), Nonce: n} }),
		tx(func(n uint64) Msg { return StartComputing{Worker: w, Stake: e18(100), Nonce: n} }))
	if r := res.TxResults[0]; r.Code != CodeInvalidArgument || !strings.Contains(r.Log, "P 10000") {
		t.Fatalf("a start with initial_p's minimum after P 10000 was measured: %d %s", r.Code, r.Log)
	}
	if r := res.TxResults[1]; r.Code != CodeOK {
		t.Fatalf("the start with stake_k·√P: %d %s", r.Code, r.Log)
	}
}
