package chain

import (
	"math/big"
	"testing"
	"time"
)

// checkVaults checks every vault's books: its shares are the sum of its
// stake records, its queue is in time order, and its free COVE buys at
// most one share while a request waits (what rounding down twice leaves).
func checkVaults(t testing.TB, a *App) {
	t.Helper()
	held := map[uint64]*big.Int{}
	for _, kv := range a.Snapshot() {
		if r, ok := checkVaultRecord(string(kv.Key)).(*VaultStake); ok {
			mustDecode(t, kv.Value, r)
			if held[r.Vault] == nil {
				held[r.Vault] = new(big.Int)
			}
			held[r.Vault].Add(held[r.Vault], r.Shares.Big())
		}
	}
	for _, v := range a.View().Vaults() {
		h := held[v.ID]
		if h == nil {
			h = new(big.Int)
		}
		if h.Cmp(v.Shares.Big()) != 0 {
			t.Fatalf("vault %d: stake records hold %s shares, the vault %s", v.ID, h, v.Shares)
		}
		for i := 1; i < len(v.Queue); i++ {
			if v.Queue[i].Since.Before(v.Queue[i-1].Since) {
				t.Fatalf("vault %d: queue out of order %+v", v.ID, v.Queue)
			}
		}
		free, value := a.View().VaultValue(v)
		if len(v.Queue) > 0 && v.Shares.Big().Sign() > 0 {
			if buys := new(big.Int).Mul(free, v.Shares.Big()); buys.Quo(buys, value).Cmp(big.NewInt(1)) > 0 {
				t.Fatalf("vault %d: %s free while a request waits: %+v", v.ID, free, v.Queue)
			}
		}
	}
}

// TestVaults: a vault takes contributions for shares, its owner invests
// its free COVE in a pool and takes it back; the pool's rewards raise the
// vault's price and the owner's commission is minted as shares worth
// commission × the profit above the checkpoint (and nothing for a price
// that only comes back to it); withdrawals are paid from free COVE, queued
// otherwise, and paid by what the pool pays the vault; a request older
// than the grace period makes the vault ask its pool for the rest, once.
// Each refusal beside a control that passes in the same state; the supply
// and every pool's and vault's books after every block.
func TestVaults(t *testing.T) {
	a := newRewardsApp(t, FeeParams{}, StakingParams{MinContribution: "10", StakeK: "10", InitialP: 1, HeartbeatBlocks: 1, HeartbeatWindow: 3,
		GraceSeconds: 60, CooldownSeconds: 5, BudgetPerBlock: e18(10).String(), RigK: "0", VMax: e18(100000).String()})
	r1, k1 := idWorker(bob, "v1", 0)
	w1 := WorkerID(r1.PublicKey)
	tx := nextNonceSigner(t, map[testKey]uint64{bob: 1})
	tm := genesisTime
	step := func(txs ...[]byte) BlockResult {
		t.Helper()
		tm = tm.Add(time.Second)
		res := at(t, a, tm, txs...)
		checkPoolSupply(t, a, e18(2_000_000))
		checkVaults(t, a)
		return res
	}
	ok := func(res BlockResult) BlockResult {
		t.Helper()
		for i, r := range res.TxResults {
			if r.Code != CodeOK {
				t.Fatalf("height %d tx %d: %s", a.Height(), i, r.Log)
			}
		}
		return res
	}
	// refused sends a refusal and the control after it in one block: the
	// refusal must fail with code, the control pass.
	refused := func(code uint32, bad, control []byte) {
		t.Helper()
		refusalBeside(t, a, &tm, code, "", bad, control)
		checkPoolSupply(t, a, e18(2_000_000))
		checkVaults(t, a)
	}
	vault := func() VaultRecord {
		v, err := a.View().Vault(1)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	balance := func(k testKey) *big.Int { return a.View().Account(k.addr).Balance }

	// Bob runs a pool with a computing worker; Alice a vault (20%).
	ok(step(bob.tx(t, r1),
		tx(bob, func(n uint64) Msg { return CreatePool{Commission: 0, Cap: big.NewInt(0), Nonce: n} }),
		tx(bob, func(n uint64) Msg { return AddPoolWorker{Pool: 1, Worker: w1, Nonce: n} }),
		tx(bob, func(n uint64) Msg { return Contribute{Pool: 1, Amount: e18(1000), Nonce: n} }),
		tx(alice, func(n uint64) Msg { return CreateVault{Commission: 200_000, Nonce: n} })))
	v := vault()
	if v.Owner != alice.addr || v.Address != VaultAddress(1) || v.Checkpoint.Big().Cmp(fpOne) != 0 {
		t.Fatalf("vault %+v", v)
	}
	// Bob puts 1000 COVE in: 1000 vault shares, held by the vault's address.
	ok(step(tx(bob, func(n uint64) Msg { return ContributeVault{Vault: 1, Amount: e18(1000), Nonce: n} })))
	if v = vault(); v.Shares.Big().Cmp(e18(1000)) != 0 {
		t.Fatalf("vault shares %s", v.Shares)
	}
	if free, value := a.View().VaultValue(v); free.Cmp(e18(1000)) != 0 || value.Cmp(e18(1000)) != 0 {
		t.Fatalf("vault free %s value %s", free, value)
	}

	// Only the owner invests; not more than the vault holds; then 800 in
	// pool 1.
	refused(CodeUnauthorized, tx(bob, func(n uint64) Msg { return VaultInvest{Vault: 1, Pool: 1, Amount: e18(100), Nonce: n} }),
		tx(alice, func(n uint64) Msg { return VaultInvest{Vault: 1, Pool: 1, Amount: e18(100), Nonce: n} }))
	refused(CodeInsufficientFunds, tx(alice, func(n uint64) Msg { return VaultInvest{Vault: 1, Pool: 1, Amount: e18(1000), Nonce: n} }),
		tx(alice, func(n uint64) Msg { return VaultInvest{Vault: 1, Pool: 1, Amount: e18(700), Nonce: n} }))
	refused(CodeNotFound, tx(alice, func(n uint64) Msg { return VaultInvest{Vault: 1, Pool: 9, Amount: e18(10), Nonce: n} }),
		tx(alice, func(n uint64) Msg { return RefreshVault{Vault: 1, Nonce: n} }))
	v = vault()
	if len(v.Pools) != 1 || v.Pools[0] != 1 || a.View().Stake(v.Address, 1).Shares.Big().Cmp(e18(800)) != 0 {
		t.Fatalf("vault %+v, its stake in pool 1 %+v", v, a.View().Stake(v.Address, 1))
	}
	if free, value := a.View().VaultValue(v); free.Cmp(e18(200)) != 0 || value.Cmp(e18(1000)) != 0 {
		t.Fatalf("after investing: vault free %s value %s", free, value)
	}

	// Bob stakes most of pool 1 on his worker (free 100).
	ok(step(tx(bob, func(n uint64) Msg { return StartComputing{Worker: w1, Stake: e18(1700), Nonce: n} })))
	// The worker answers challenges: rewards raise pool 1's price, and so
	// the vault's.
	for range 3 {
		pw, _ := a.View().PoolWorker(w1)
		if pw.Challenge == 0 {
			step()
			pw, _ = a.View().PoolWorker(w1)
		}
		ok(step(tx(bob, func(n uint64) Msg {
			return signHB(k1, Heartbeat{Worker: w1, Challenge: uint64(pw.Challenge), Seed: pw.ChallengeSeed, Iterations: 10, Nonce: n})
		})))
	}
	_, before := a.View().VaultValue(vault())
	if before.Cmp(e18(1000)) <= 0 {
		t.Fatalf("no profit: vault value %s", before)
	}
	// The commission: shares worth 20% of the profit, minted to Alice.
	res := ok(step(tx(bob, func(n uint64) Msg { return RefreshVault{Vault: 1, Nonce: n} })))
	v = vault()
	profit := new(big.Int).Sub(before, e18(1000)) // the price was 1 at 1000 shares
	fee := new(big.Int).Quo(new(big.Int).Mul(profit, big.NewInt(200_000)), big.NewInt(MaxCommission))
	_, value := a.View().VaultValue(v)
	ownerShares := a.View().VaultStakes(alice.addr)
	if len(ownerShares) != 1 || ownerShares[0].Shares.Big().Sign() == 0 {
		t.Fatalf("alice's vault stakes %+v; events %+v", ownerShares, res.TxResults[0].Events)
	}
	worth := Worth(ownerShares[0].Shares.Big(), v.Shares.Big(), value)
	if d := new(big.Int).Sub(fee, worth); d.Sign() < 0 || d.Cmp(big.NewInt(2000)) > 0 {
		t.Fatalf("commission shares worth %s, want 20%% of the profit %s = %s", worth, profit, fee)
	}
	if v.Checkpoint.Big().Cmp(vaultPrice(value, v.Shares.Big())) != 0 {
		t.Fatalf("checkpoint %s, price %s", v.Checkpoint, vaultPrice(value, v.Shares.Big()))
	}
	// At the checkpoint again: no commission.
	res = ok(step(tx(bob, func(n uint64) Msg { return RefreshVault{Vault: 1, Nonce: n} })))
	for _, e := range res.TxResults[0].Events {
		if e.Type == EventVaultCommission {
			t.Fatalf("a second commission at the same price: %+v", e)
		}
	}

	// Bob withdraws everything: the free 200 now, the rest queued.
	bobShares := a.View().VaultStakes(bob.addr)[0].Shares.Big()
	bobBefore := balance(bob)
	refused(CodeInsufficientFunds, tx(bob, func(n uint64) Msg {
		return WithdrawVault{Vault: 1, Shares: new(big.Int).Add(bobShares, big.NewInt(1)), Nonce: n}
	}), tx(bob, func(n uint64) Msg { return WithdrawVault{Vault: 1, Shares: bobShares, Nonce: n} }))
	v = vault()
	if len(v.Queue) != 1 || v.Queue[0].Account != bob.addr {
		t.Fatalf("queue %+v", v.Queue)
	}
	if got := new(big.Int).Sub(balance(bob), bobBefore); got.Cmp(e18(200)) > 0 || got.Cmp(e18(199)) < 0 {
		t.Fatalf("bob was paid %s from the vault's free 200 COVE", got)
	}
	// Alice cannot invest while the vault owes; she divests, and what
	// pool 1 pays the vault pays Bob.
	refused(CodeInvalidArgument, tx(alice, func(n uint64) Msg { return VaultInvest{Vault: 1, Pool: 1, Amount: e18(1), Nonce: n} }),
		tx(alice, func(n uint64) Msg { return RefreshVault{Vault: 1, Nonce: n} }))
	refused(CodeUnauthorized, tx(bob, func(n uint64) Msg { return VaultDivest{Vault: 1, Pool: 1, Shares: e18(100), Nonce: n} }),
		tx(alice, func(n uint64) Msg { return VaultDivest{Vault: 1, Pool: 1, Shares: e18(100), Nonce: n} }))
	v = vault()
	if got := new(big.Int).Sub(balance(bob), bobBefore); got.Cmp(e18(300)) <= 0 || len(v.Queue) != 1 {
		t.Fatalf("after the divest bob has +%s, queue %+v", got, v.Queue)
	}

	// Nobody divests more: past the grace period, a refresh by anyone
	// asks pool 1 for the rest, once (a second refresh leaves the pool's
	// request where it is).
	tm = tm.Add(61 * time.Second)
	ok(step(tx(bob, func(n uint64) Msg { return RefreshVault{Vault: 1, Nonce: n} })))
	p := pool(t, a, 1)
	var asked *Withdrawal
	for i, w := range p.Queue {
		if w.Account == v.Address {
			asked = &p.Queue[i]
		}
	}
	if asked == nil {
		t.Fatalf("the vault asked pool 1 for nothing: pool queue %+v, vault %+v", p.Queue, vault())
	}
	since := asked.Since
	// The owner cannot replace that request with a small one (which would
	// restart the pool's grace period).
	refused(CodeInvalidArgument, tx(alice, func(n uint64) Msg { return VaultDivest{Vault: 1, Pool: 1, Shares: e18(1), Nonce: n} }),
		tx(bob, func(n uint64) Msg { return RefreshVault{Vault: 1, Nonce: n} }))
	for _, w := range pool(t, a, 1).Queue {
		if w.Account == v.Address && !w.Since.Equal(since) {
			t.Fatalf("a second refresh moved the vault's request in pool 1: %s → %s", since, w.Since)
		}
	}
	// Pool 1's own grace rule then stops its worker; once the stake has
	// cooled, the pool pays the vault and the vault pays Bob in full.
	tm = tm.Add(61 * time.Second)
	ok(step(tx(bob, func(n uint64) Msg { return RefreshPool{Pool: 1, Nonce: n} })))
	if pw, _ := a.View().PoolWorker(w1); pw.State != PoolWorkerCooling {
		t.Fatalf("pool 1's worker is %s after the grace period", pw.State)
	}
	tm = tm.Add(6 * time.Second)
	ok(step(tx(bob, func(n uint64) Msg { return RefreshPool{Pool: 1, Nonce: n} }), tx(bob, func(n uint64) Msg { return RefreshVault{Vault: 1, Nonce: n} })))
	v = vault()
	if len(v.Queue) != 0 || len(a.View().VaultStakes(bob.addr)) != 0 {
		t.Fatalf("bob still waits: queue %+v, stakes %+v", v.Queue, a.View().VaultStakes(bob.addr))
	}
	got := new(big.Int).Sub(balance(bob), bobBefore)
	if got.Cmp(e18(1000)) <= 0 {
		t.Fatalf("bob put 1000 COVE in the vault and got %s back", got)
	}
	t.Logf("bob put in 1000 COVE and got %s back; alice's commission shares %s", got, ownerShares[0].Shares)
}

// TestVaultBankrupt: a vault whose shares are worth nothing takes no
// contribution; one with value does (the control).
func TestVaultBankrupt(t *testing.T) {
	a := newRewardsApp(t, FeeParams{}, StakingParams{MinContribution: "10"})
	wantCode(t, one(t, a, alice.tx(t, CreateVault{Commission: 0, Nonce: 0})), CodeOK)
	wantCode(t, one(t, a, bob.tx(t, ContributeVault{Vault: 1, Amount: big.NewInt(100), Nonce: 0})), CodeOK)
	// Take the vault's COVE away behind its back (no transaction can: its
	// address has no key): shares 100, value 0.
	o := newOverlay(a.state)
	acct := getAccount(o, VaultAddress(1))
	lost := new(big.Int).Set(acct.Balance)
	acct.Balance.SetInt64(0)
	putAccount(o, acct)
	two := getAccount(o, alice.addr)
	two.Balance.Add(two.Balance, lost)
	putAccount(o, two)
	apply := func(o *overlay) {
		for k, v := range o.writes {
			if v == nil {
				delete(a.state, k)
			} else {
				a.state[k] = v
			}
		}
	}
	apply(o)
	wantCode(t, one(t, a, bob.tx(t, ContributeVault{Vault: 1, Amount: big.NewInt(100), Nonce: 1})), CodeInvalidArgument, "bankrupt")
	// The control: give it back; the same contribution passes.
	o = newOverlay(a.state)
	acct = getAccount(o, VaultAddress(1))
	acct.Balance.Set(lost)
	putAccount(o, acct)
	apply(o)
	wantCode(t, one(t, a, bob.tx(t, ContributeVault{Vault: 1, Amount: big.NewInt(100), Nonce: 2})), CodeOK)
}

// TestVaultRefusals: each vault refusal beside a control that passes in
// the same state: a commission above 100%, a contribution under the
// minimum, an unknown vault, a withdrawal under the contribution's lock, a
// partial withdrawal worth less than the minimum.
func TestVaultRefusals(t *testing.T) {
	a := newRewardsApp(t, FeeParams{}, StakingParams{MinContribution: "1000", HeartbeatBlocks: 2, HeartbeatWindow: 1})
	tx := nextNonceSigner(t, map[testKey]uint64{})
	tm := genesisTime
	pair := func(code uint32, why string, bad, control []byte) {
		t.Helper()
		refusalBeside(t, a, &tm, code, why, bad, control)
		checkPoolSupply(t, a, e18(2_000_000))
		checkVaults(t, a)
	}
	pair(CodeInvalidArgument, "parts per million", tx(alice, func(n uint64) Msg { return CreateVault{Commission: MaxCommission + 1, Nonce: n} }),
		tx(alice, func(n uint64) Msg { return CreateVault{Commission: MaxCommission, Nonce: n} }))
	pair(CodeInvalidArgument, "under the minimum", tx(bob, func(n uint64) Msg { return ContributeVault{Vault: 1, Amount: big.NewInt(999), Nonce: n} }),
		tx(bob, func(n uint64) Msg { return ContributeVault{Vault: 1, Amount: big.NewInt(1000), Nonce: n} }))
	pair(CodeNotFound, "vault 2 does not exist", tx(bob, func(n uint64) Msg { return ContributeVault{Vault: 2, Amount: big.NewInt(5000), Nonce: n} }),
		tx(bob, func(n uint64) Msg { return ContributeVault{Vault: 1, Amount: big.NewInt(5000), Nonce: n} }))
	// Bob's shares are locked for heartbeat_blocks + window (3) blocks
	// from his last contribution; alice's (from before) are not.
	pair(CodeInvalidArgument, "locked until", tx(bob, func(n uint64) Msg { return WithdrawVault{Vault: 1, Shares: big.NewInt(1000), Nonce: n} }),
		tx(alice, func(n uint64) Msg { return ContributeVault{Vault: 1, Amount: big.NewInt(2000), Nonce: n} }))
	tm = tm.Add(time.Second)
	at(t, a, tm)
	tm = tm.Add(time.Second)
	at(t, a, tm)
	// 999 of bob's 6000 shares (worth 999 < 1000) must be all of them.
	pair(CodeInvalidArgument, "withdraw more, or all", tx(bob, func(n uint64) Msg { return WithdrawVault{Vault: 1, Shares: big.NewInt(999), Nonce: n} }),
		tx(bob, func(n uint64) Msg { return WithdrawVault{Vault: 1, Shares: big.NewInt(1000), Nonce: n} }))
	if st := a.View().VaultStakes(bob.addr); len(st) != 1 || st[0].Shares.Big().Cmp(big.NewInt(5000)) != 0 {
		t.Fatalf("bob's vault stakes %+v", st)
	}
	// Nothing but its pools credits a vault: a Transfer to its address is
	// refused (the same transfer elsewhere passes), and COVE sent to the
	// address of a vault not created yet (the next, 2) goes to the treasury
	// when it is.
	pair(CodeInvalidArgument, "a vault's address", tx(bob, func(n uint64) Msg { return Transfer{To: VaultAddress(1), Amount: big.NewInt(7), Nonce: n} }),
		tx(bob, func(n uint64) Msg { return Transfer{To: VaultAddress(2), Amount: big.NewInt(7), Nonce: n} }))
	treasury := a.View().Account(TreasuryAddress).Balance
	tm = tm.Add(time.Second)
	res := at(t, a, tm, tx(alice, func(n uint64) Msg { return CreateVault{Nonce: n} }))
	if r := res.TxResults[0]; r.Code != CodeOK {
		t.Fatal(r.Log)
	}
	v3, err := a.View().Vault(2)
	if err != nil {
		t.Fatal(err)
	}
	if free, _ := a.View().VaultValue(v3); free.Sign() != 0 || new(big.Int).Sub(a.View().Account(TreasuryAddress).Balance, treasury).Cmp(big.NewInt(7)) != 0 {
		t.Fatalf("vault 2 starts with %s free; the treasury got %s", free, new(big.Int).Sub(a.View().Account(TreasuryAddress).Balance, treasury))
	}
	checkPoolSupply(t, a, e18(2_000_000))
}
