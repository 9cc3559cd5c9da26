package chain

import (
	"bytes"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
)

// newPoolApp returns an App of a chain with a supply record, no fees and
// small staking parameters: minimum contribution 10, minimum stake
// floor(10·√50) = 70, 60 s of cooldown, 120 s of grace, two workers a pool.
// bob operates workers w1, w2 and w4, alice w3.
func newPoolApp(t testing.TB) (*App, map[string]cove.Hash) {
	t.Helper()
	g := testGenesis()
	g.Accounts = []GenesisAccount{{Address: alice.addr, Balance: big.NewInt(1_000_000)}, {Address: bob.addr, Balance: big.NewInt(1_000_000)}}
	g.Economics = true
	// (One heartbeat bucket and a window of 2: a contribution locks for 3
	// blocks; nobody answers, so computing workers turn unresponsive.)
	g.Params.Staking = StakingParams{MinContribution: "10", StakeK: "10", InitialP: 50, CooldownSeconds: 60, GraceSeconds: 120, MaxPoolWorkers: 2, HeartbeatBlocks: 1, HeartbeatWindow: 2}
	a := New()
	if _, err := a.InitChain(g); err != nil {
		t.Fatal(err)
	}
	a.SetVerifier(&testVerifier{})
	ws := map[string]cove.Hash{}
	var txs [][]byte
	for i, name := range []string{"w1", "w2", "w4"} {
		m := worker(name, uint64(i))
		ws[name] = WorkerID(m.PublicKey)
		txs = append(txs, bob.tx(t, m))
	}
	m := workerBy(alice, "w3", 0)
	ws["w3"] = WorkerID(m.PublicKey)
	txs = append(txs, alice.tx(t, m))
	for i, r := range block(t, a, txs...).TxResults {
		if r.Code != CodeOK {
			t.Fatalf("register %d: %s", i, r.Log)
		}
	}
	return a, ws
}

// at executes txs in the next block at time tm and commits it.
func at(t testing.TB, a *App, tm time.Time, txs ...[]byte) BlockResult {
	t.Helper()
	res := a.FinalizeBlock(Block{Height: a.Height() + 1, Time: tm, Txs: txs})
	a.Commit()
	return res
}

func pool(t testing.TB, a *App, id uint64) PoolRecord {
	t.Helper()
	p, err := a.View().Pool(id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func shares(a *App, k testKey, pool uint64) int64 {
	return a.View().Stake(k.addr, pool).Shares.Big().Int64()
}

func wantPool(t testing.TB, a *App, id uint64, sh, value, free int64, queue ...int64) {
	t.Helper()
	p := pool(t, a, id)
	var q []int64
	for _, w := range p.Queue {
		q = append(q, w.Shares.Big().Int64())
	}
	if p.Shares.Big().Int64() != sh || p.Value.Big().Int64() != value || p.Free.Big().Int64() != free || !slicesEqual(q, queue) {
		t.Fatalf("pool %d: shares %s value %s free %s queue %v; want %d %d %d %v", id, p.Shares, p.Value, p.Free, q, sh, value, free, queue)
	}
}

func slicesEqual(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func hasEvent(r TxResult, typ, key, value string) bool {
	for _, e := range r.Events {
		if e.Type == typ && (key == "" || e.Attr(key) == value) {
			return true
		}
	}
	return false
}

// TestPools walks a pool through its life: workers in, contributions,
// computing, a withdrawal paid in part and queued, filled by a later
// contribution and by released stake, the grace rule stopping the
// workers, and each refusal beside the message that passes.
func TestPools(t *testing.T) {
	a, w := newPoolApp(t)
	t0 := blockTime(a.Height())
	tm := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	bn, an := nonce(a, bob), nonce(a, alice)
	next := func(k testKey) uint64 {
		if k == bob {
			bn++
			return bn - 1
		}
		an++
		return an - 1
	}
	run := func(s int, k testKey, m func(n uint64) Msg) TxResult {
		t.Helper()
		return at(t, a, tm(s), k.tx(t, m(next(k)))).TxResults[0]
	}
	ok := func(r TxResult) TxResult {
		t.Helper()
		wantCode(t, r, CodeOK)
		return r
	}
	refused := func(r TxResult, code uint32, log string, k testKey) {
		t.Helper()
		wantCode(t, r, code, log)
	}

	refused(run(1, bob, func(n uint64) Msg { return CreatePool{Commission: MaxCommission + 1, Cap: big.NewInt(0), Nonce: n} }), CodeInvalidArgument, "parts per million", bob)
	r := ok(run(1, bob, func(n uint64) Msg { return CreatePool{Commission: MaxCommission, Cap: big.NewInt(0), Nonce: n} }))
	if !hasEvent(r, EventPoolCreated, "pool", "1") || pool(t, a, 1).Owner != bob.addr {
		t.Fatalf("pool 1: %+v", r.Events)
	}

	// Workers: the owner adds workers it operates, two at most.
	add := func(id cove.Hash) func(uint64) Msg {
		return func(n uint64) Msg { return AddPoolWorker{Pool: 1, Worker: id, Nonce: n} }
	}
	refused(run(2, alice, add(w["w1"])), CodeUnauthorized, "only pool 1's owner", alice)
	refused(run(2, bob, add(w["w3"])), CodeUnauthorized, "is operated by", bob) // alice operates w3
	ok(run(2, bob, add(w["w1"])))
	refused(run(2, bob, add(w["w1"])), CodeExists, "in pool 1 already", bob)
	refused(run(2, bob, func(n uint64) Msg { return AddPoolWorker{Pool: 9, Worker: w["w2"], Nonce: n} }), CodeNotFound, "pool 9", bob)
	ok(run(2, bob, add(w["w2"])))
	refused(run(2, bob, add(w["w4"])), CodeInvalidArgument, "the most it may", bob)

	// Contributions: shares at the price (1 while value = shares).
	contribute := func(k testKey, pool uint64, amount int64) TxResult {
		return run(3, k, func(n uint64) Msg { return Contribute{Pool: pool, Amount: big.NewInt(amount), Nonce: n} })
	}
	refused(contribute(alice, 1, 9), CodeInvalidArgument, "under the minimum 10", alice)
	ok(contribute(alice, 1, 1000))
	// A contribution locks the contributor's shares for heartbeat_blocks
	// + heartbeat_window = 3 blocks; the control is alice's withdrawal
	// below, blocks later.
	refused(run(3, alice, func(n uint64) Msg { return Withdraw{Pool: 1, Shares: big.NewInt(1000), Nonce: n} }), CodeInvalidArgument, "locked until block", alice)
	ok(contribute(bob, 1, 500))
	refused(contribute(bob, 1, 2_000_000), CodeInsufficientFunds, "the contribution is", bob)
	wantPool(t, a, 1, 1500, 1500, 1500)
	if balance(a, alice) != 999_000 || shares(a, alice, 1) != 1000 || shares(a, bob, 1) != 500 {
		t.Fatalf("alice %d shares %d, bob shares %d", balance(a, alice), shares(a, alice, 1), shares(a, bob, 1))
	}

	// Computing: the minimum stake is floor(10·√50) = 70; the stake comes
	// out of free stake.
	start := func(s int, id cove.Hash, stake int64) TxResult {
		return run(s, bob, func(n uint64) Msg { return StartComputing{Worker: id, Stake: big.NewInt(stake), Nonce: n} })
	}
	refused(start(4, w["w1"], 69), CodeInvalidArgument, "under the minimum 70", bob)
	refused(start(4, w["w1"], 1501), CodeInsufficientFunds, "1500 free", bob)
	refused(run(4, alice, func(n uint64) Msg { return StartComputing{Worker: w["w1"], Stake: big.NewInt(700), Nonce: n} }), CodeUnauthorized, "owner", alice)
	ok(start(4, w["w1"], 700))
	refused(start(4, w["w1"], 70), CodeInvalidArgument, "is computing", bob)
	wantPool(t, a, 1, 1500, 1500, 800)
	refused(run(4, bob, func(n uint64) Msg { return RemovePoolWorker{Pool: 1, Worker: w["w1"], Nonce: n} }), CodeInvalidArgument, "is computing", bob)

	// alice withdraws everything: 800 paid now, 200 shares queued.
	withdraw := func(s int, k testKey, sh int64) TxResult {
		return run(s, k, func(n uint64) Msg { return Withdraw{Pool: 1, Shares: big.NewInt(sh), Nonce: n} })
	}
	refused(withdraw(5, alice, 1001), CodeInsufficientFunds, "holds 1000 shares", alice)

	refused(withdraw(5, alice, 9), CodeInvalidArgument, "under the minimum 10", alice) // dust, not the whole holding
	r = ok(withdraw(5, alice, 1000))
	if !hasEvent(r, EventWithdrawn, "amount", "800") || !hasEvent(r, EventWithdrawQueued, "shares", "200") {
		t.Fatalf("withdraw events %+v", r.Events)
	}
	wantPool(t, a, 1, 700, 700, 0, 200)
	if balance(a, alice) != 999_800 || shares(a, alice, 1) != 200 {
		t.Fatalf("alice %d, shares %d", balance(a, alice), shares(a, alice, 1))
	}
	// A contribution's free stake pays the queue first.
	ok(contribute(bob, 1, 100))
	wantPool(t, a, 1, 700, 700, 0, 100)
	if balance(a, alice) != 999_900 {
		t.Fatalf("alice %d", balance(a, alice))
	}

	// Stopping: the stake cools for 60 s, then pays the rest of the queue.
	stop := func(s int, id cove.Hash) TxResult {
		return run(s, bob, func(n uint64) Msg { return StopComputing{Worker: id, Nonce: n} })
	}
	refused(stop(6, w["w2"]), CodeInvalidArgument, "is idle", bob)
	r = ok(stop(6, w["w1"]))
	if !hasEvent(r, EventComputingStopped, "forced", "false") {
		t.Fatalf("stop events %+v", r.Events)
	}
	refresh := func(s int) TxResult {
		return run(s, alice, func(n uint64) Msg { return RefreshPool{Pool: 1, Nonce: n} })
	}
	ok(refresh(65)) // 59 s after the stop: still cooling
	wantPool(t, a, 1, 700, 700, 0, 100)
	r = ok(refresh(66))
	if !hasEvent(r, EventStakeReleased, "stake", "700") || !hasEvent(r, EventWithdrawn, "amount", "100") {
		t.Fatalf("refresh events %+v", r.Events)
	}
	wantPool(t, a, 1, 600, 600, 600)
	if balance(a, alice) != 1_000_000 || shares(a, alice, 1) != 0 || shares(a, bob, 1) != 600 {
		t.Fatalf("alice %d shares %d, bob shares %d", balance(a, alice), shares(a, alice, 1), shares(a, bob, 1))
	}

	// The grace rule: bob's request waits on stake locked in w1; 120 s
	// after it, a refresh stops w1; 60 s later the stake pays bob.
	ok(start(70, w["w1"], 600))
	ok(withdraw(71, bob, 600))
	wantPool(t, a, 1, 600, 600, 0, 600)
	ok(refresh(191)) // 120 s: not past the grace period yet (the control)
	if p, _ := a.View().PoolWorker(w["w1"]); p.State == PoolWorkerCooling {
		t.Fatalf("w1 %s before the grace period ended", p.State)
	}
	r = ok(refresh(192))
	if !hasEvent(r, EventComputingStopped, "forced", "true") {
		t.Fatalf("grace refresh events %+v", r.Events)
	}
	ok(refresh(252))
	wantPool(t, a, 1, 0, 0, 0)
	if balance(a, bob) != 1_000_000 || shares(a, bob, 1) != 0 {
		t.Fatalf("bob %d shares %d", balance(a, bob), shares(a, bob, 1))
	}
	ok(run(253, bob, func(n uint64) Msg { return RemovePoolWorker{Pool: 1, Worker: w["w1"], Nonce: n} }))
	if p := pool(t, a, 1); len(p.Workers) != 1 || p.Workers[0] != w["w2"] {
		t.Fatalf("workers %v", p.Workers)
	}

	// A cap bounds a pool's value.
	ok(run(254, alice, func(n uint64) Msg { return CreatePool{Commission: 0, Cap: big.NewInt(100), Nonce: n} }))
	refused(contribute(bob, 2, 101), CodeInvalidArgument, "cap is 100", bob)
	ok(contribute(bob, 2, 100))
	checkPoolSupply(t, a, big.NewInt(2_000_000))
}

// checkPoolSupply checks the supply (balances and pools' values sum to
// it) and each pool's books: value = free + the stake of its computing
// and cooling workers, shares = the sum of its stake records, a queue in
// time order that the free stake cannot pay further.
func checkPoolSupply(t testing.TB, a *App, genesis *big.Int) {
	t.Helper()
	s, _, err := a.View().Supply()
	if err != nil {
		t.Fatal(err)
	}
	sum := new(big.Int)
	held := map[uint64]*big.Int{}
	for _, kv := range a.Snapshot() {
		k := string(kv.Key)
		switch {
		case strings.HasPrefix(k, prefixAccount):
			var acct Account
			mustDecode(t, kv.Value, &acct)
			sum.Add(sum, acct.Balance)
		case checkPoolRecord(k) != nil && strings.HasPrefix(k, prefixStake):
			var st StakeRecord
			mustDecode(t, kv.Value, &st)
			if held[st.Pool] == nil {
				held[st.Pool] = new(big.Int)
			}
			held[st.Pool].Add(held[st.Pool], st.Shares.Big())
		}
	}
	shares := new(big.Int) // Σshare of computing workers, to check meta/shares
	for _, p := range a.View().Pools() {
		sum.Add(sum, p.Value.Big())
		locked := new(big.Int)
		for _, id := range p.Workers {
			pw, err := a.View().PoolWorker(id)
			if err != nil || pw.Pool != p.ID {
				t.Fatalf("pool %d worker %s: %+v %v", p.ID, id, pw, err)
			}
			locked.Add(locked, pw.Stake.Big())
			if pw.State == PoolWorkerComputing {
				shares.Add(shares, pw.Share.Big())
			} else if pw.Share.Big().Sign() != 0 {
				t.Fatalf("pool %d worker %s is %s with share %s", p.ID, id, pw.State, pw.Share)
			}
		}
		if new(big.Int).Add(p.Free.Big(), locked).Cmp(p.Value.Big()) != 0 {
			t.Fatalf("pool %d: free %s + locked %s != value %s", p.ID, p.Free, locked, p.Value)
		}
		h := held[p.ID]
		if h == nil {
			h = new(big.Int)
		}
		if h.Cmp(p.Shares.Big()) != 0 {
			t.Fatalf("pool %d: stake records hold %s shares, the pool %s", p.ID, h, p.Shares)
		}
		for i := 1; i < len(p.Queue); i++ {
			if p.Queue[i].Since.Before(p.Queue[i-1].Since) {
				t.Fatalf("pool %d: queue out of order %+v", p.ID, p.Queue)
			}
		}
		if len(p.Queue) > 0 && p.Shares.Big().Sign() > 0 {
			// The free stake buys less than one share of the head.
			if buys := new(big.Int).Mul(p.Free.Big(), p.Shares.Big()); buys.Quo(buys, p.Value.Big()).Sign() > 0 {
				t.Fatalf("pool %d: %s free while a request waits: %+v", p.ID, p.Free, p.Queue)
			}
		}
	}
	a.mu.RLock()
	kept := getIndex(a.state).Shares.Big()
	a.mu.RUnlock()
	if kept.Cmp(shares) != 0 {
		t.Fatalf("height %d: meta/shares %s, the computing workers' shares sum to %s", a.Height(), kept, shares)
	}
	want := new(big.Int).Add(genesis, s.Minted)
	want.Sub(want, s.Burned)
	if sum.Cmp(s.Total) != 0 || s.Total.Cmp(want) != 0 {
		t.Fatalf("height %d: balances and pools sum to %s, supply %+v", a.Height(), sum, s)
	}
}

func mustDecode(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := strictUnmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// TestPoolsProperty runs random pool transactions by three accounts with
// random time steps and checks the books (checkPoolSupply) after every
// block, then replays the blocks for the same app hashes.
func TestPoolsProperty(t *testing.T) {
	for seed := range uint64(8) {
		rng := rand.New(rand.NewPCG(seed, 7))
		a, w := newPoolApp(t)
		genesisApp, _ := newPoolApp(t)
		keys := []testKey{alice, bob}
		nonces := map[cove.Address]uint64{}
		for _, k := range keys {
			nonces[k.addr] = nonce(a, k)
		}
		tm := blockTime(a.Height())
		var blocks []Block
		var hashes [][]byte
		send := func(b *Block, k testKey, m func(n uint64) Msg) {
			b.Txs = append(b.Txs, k.tx(t, m(nonces[k.addr])))
			nonces[k.addr]++
		}
		first := Block{Height: a.Height() + 1, Time: tm}
		send(&first, bob, func(n uint64) Msg { return CreatePool{Commission: 1000, Cap: big.NewInt(0), Nonce: n} })
		send(&first, bob, func(n uint64) Msg { return AddPoolWorker{Pool: 1, Worker: w["w1"], Nonce: n} })
		send(&first, bob, func(n uint64) Msg { return AddPoolWorker{Pool: 1, Worker: w["w2"], Nonce: n} })
		blocks = append(blocks, first)
		res := a.FinalizeBlock(first)
		a.Commit()
		hashes = append(hashes, res.AppHash)
		for range 60 {
			tm = tm.Add(time.Duration(1+rng.IntN(50)) * time.Second)
			b := Block{Height: a.Height() + 1, Time: tm}
			for range 1 + rng.IntN(4) {
				k := keys[rng.IntN(2)]
				worker := w[[]string{"w1", "w2"}[rng.IntN(2)]]
				switch rng.IntN(6) {
				case 0, 1:
					amt := big.NewInt(5 + rng.Int64N(3000))
					send(&b, k, func(n uint64) Msg { return Contribute{Pool: 1, Amount: amt, Nonce: n} })
				case 2:
					sh := big.NewInt(1 + rng.Int64N(2000))
					send(&b, k, func(n uint64) Msg { return Withdraw{Pool: 1, Shares: sh, Nonce: n} })
				case 3:
					st := big.NewInt(60 + rng.Int64N(1500))
					send(&b, bob, func(n uint64) Msg { return StartComputing{Worker: worker, Stake: st, Nonce: n} })
				case 4:
					send(&b, bob, func(n uint64) Msg { return StopComputing{Worker: worker, Nonce: n} })
				default:
					send(&b, k, func(n uint64) Msg { return RefreshPool{Pool: 1, Nonce: n} })
				}
			}
			blocks = append(blocks, b)
			res := a.FinalizeBlock(b)
			a.Commit()
			hashes = append(hashes, res.AppHash)
			checkPoolSupply(t, a, big.NewInt(2_000_000))
		}
		for i, b := range blocks {
			res := genesisApp.FinalizeBlock(b)
			genesisApp.Commit()
			if !bytes.Equal(res.AppHash, hashes[i]) {
				t.Fatalf("seed %d: replay of block %d differs", seed, b.Height)
			}
		}
		if seed == 0 {
			p := pool(t, a, 1)
			t.Logf("seed 0 after 60 blocks: shares %s value %s free %s queue %d", p.Shares, p.Value, p.Free, len(p.Queue))
		}
	}
}

// TestPoolAllowlist: a pool with an allowlist takes contributions from the
// accounts on it and its owner only; the list is the owner's to change;
// an empty list opens the pool again. Each refusal beside a control that
// passes in the same block.
func TestPoolAllowlist(t *testing.T) {
	a := newRewardsApp(t, FeeParams{}, StakingParams{MinContribution: "10"})
	tx := nextNonceSigner(t, map[testKey]uint64{})
	tm := genesisTime
	pair := func(code uint32, bad, control []byte) {
		t.Helper()
		refusalBeside(t, a, &tm, code, "", bad, control)
	}
	contribute := func(k testKey) []byte {
		return tx(k, func(n uint64) Msg { return Contribute{Pool: 1, Amount: big.NewInt(100), Nonce: n} })
	}
	allow := func(k, who testKey) []byte {
		return tx(k, func(n uint64) Msg { return AllowContributor{Pool: 1, Account: who.addr, Nonce: n} })
	}
	disallow := func(k, who testKey) []byte {
		return tx(k, func(n uint64) Msg { return DisallowContributor{Pool: 1, Account: who.addr, Nonce: n} })
	}
	tm = tm.Add(time.Second)
	for i, r := range at(t, a, tm, tx(bob, func(n uint64) Msg { return CreatePool{Cap: big.NewInt(0), Nonce: n} }),
		tx(alice, func(n uint64) Msg { return Transfer{To: dave.addr, Amount: big.NewInt(10_000), Nonce: n} }),
		tx(alice, func(n uint64) Msg { return Transfer{To: carol.addr, Amount: big.NewInt(10_000), Nonce: n} }),
		contribute(alice)).TxResults {
		if r.Code != CodeOK {
			t.Fatalf("setup tx %d: %s", i, r.Log)
		}
	}
	// Only the owner lists; then dave is the only one listed.
	pair(CodeUnauthorized, allow(alice, dave), allow(bob, dave))
	if p := pool(t, a, 1); p.Allowed != 1 {
		t.Fatalf("allowed %d", p.Allowed)
	}
	pair(CodeUnauthorized, contribute(alice), contribute(dave))
	pair(CodeUnauthorized, contribute(alice), contribute(bob)) // the owner may
	pair(CodeExists, allow(bob, dave), allow(bob, alice))
	pair(CodeUnauthorized, contribute(carol), contribute(alice))
	pair(CodeNotFound, disallow(bob, carol), disallow(bob, dave))
	pair(CodeUnauthorized, contribute(dave), contribute(alice))
	// The last one off: open to anyone again.
	pair(CodeUnauthorized, disallow(dave, alice), disallow(bob, alice))
	if p := pool(t, a, 1); p.Allowed != 0 {
		t.Fatalf("allowed %d after the last was taken off", p.Allowed)
	}
	tm = tm.Add(time.Second)
	if r := at(t, a, tm, contribute(carol)).TxResults[0]; r.Code != CodeOK {
		t.Fatalf("carol, never listed, contributes to the opened pool: %s", r.Log)
	}
	checkPoolSupply(t, a, e18(2_000_000))
}
