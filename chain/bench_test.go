package chain

import (
	"fmt"
	"math/big"
	"slices"
	"testing"

	"github.com/cove-network/cove"
)

// benchApp returns an App whose genesis funds n senders.
func benchApp(b *testing.B, n int) (*App, []testKey) { return benchAppFees(b, n, FeeParams{}) }

// benchAppFees is benchApp with fees.
func benchAppFees(b *testing.B, n int, fees FeeParams) (*App, []testKey) {
	b.Helper()
	keys := make([]testKey, n)
	funded := map[cove.Address]*big.Int{}
	for i := range keys {
		keys[i] = newKey(fmt.Sprintf("bench-%d", i))
		funded[keys[i].addr] = big.NewInt(1 << 40)
	}
	g := DefaultGenesis(testChainID, alice.addr, funded)
	g.Time = genesisTime
	g.Params.Fees = fees
	a := New()
	if _, err := a.InitChain(g); err != nil {
		b.Fatal(err)
	}
	return a, keys
}

// BenchmarkFinalizeTransfers executes a block of 1000 transfers from 100
// senders (signature recovery included), without fees and with fees
// (a price and a price per byte, half to the proposer's operator: here
// the treasury, the block having no proposer).
func BenchmarkFinalizeTransfers(b *testing.B) {
	b.Run("fees=none", func(b *testing.B) { benchFinalizeTransfers(b, FeeParams{}) })
	b.Run("fees=dev", func(b *testing.B) {
		benchFinalizeTransfers(b, FeeParams{Base: "1000", PerByte: "1", ProposerPercent: 50})
	})
}

func benchFinalizeTransfers(b *testing.B, fees FeeParams) {
	const senders, perSender = 100, 10
	a, keys := benchAppFees(b, senders, fees)
	var txs [][]byte
	for n := range perSender {
		for i, k := range keys {
			txs = append(txs, k.tx(b, transfer(keys[(i+1)%senders], 1, uint64(n))))
		}
	}
	blk := Block{Height: 1, Time: blockTime(1), Txs: txs}
	if r := a.FinalizeBlock(blk); r.TxResults[len(txs)-1].Code != CodeOK {
		b.Fatalf("last tx: %+v", r.TxResults[len(txs)-1])
	}
	b.ResetTimer()
	for b.Loop() {
		a.FinalizeBlock(blk)
	}
	b.ReportMetric(float64(len(txs))*float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}

// BenchmarkCheckTx checks transfers queued by one sender.
func BenchmarkCheckTx(b *testing.B) {
	a, keys := benchApp(b, 1)
	txs := make([][]byte, b.N)
	for i := range txs {
		txs[i] = keys[0].tx(b, transfer(bob, 1, uint64(i)))
	}
	b.ResetTimer()
	for i := range b.N {
		if r := a.CheckTx(txs[i]); r.Code != CodeOK {
			b.Fatalf("tx %d: %s", i, r.Log)
		}
	}
}

// appHashState returns n account-like records and a block's write-set of
// w of them with new values (and meta/block), for the app hash benchmarks.
func appHashState(n, w, round int) (state, writes []KV) {
	rec := func(i, v int) KV {
		var addr [20]byte
		copy(addr[:], fmt.Sprintf("%020d", i))
		return KV{Key: []byte(prefixAccount + string(addr[:])), Value: fmt.Appendf(nil, `{"address":"0x%040x","balance":"%d","nonce":%d}`, i, 1000000+v, v)}
	}
	for i := range n {
		state = append(state, rec(i, 0))
	}
	for i := range w {
		writes = append(writes, rec((i*97+round*w)%n, round+1))
	}
	writes = append(writes, KV{Key: []byte(keyBlock), Value: fmt.Appendf(nil, `{"height":%d,"time":"2026-01-01T00:00:00Z"}`, round+1)})
	return state, writes
}

// BenchmarkAppHash is the app hash of one block over a state of 10 000
// accounts, the block writing 100 of them and meta/block: the tree update
// and root (FinalizeBlock) and the tree commit (Commit).
func BenchmarkAppHash(b *testing.B) {
	state, _ := appHashState(10000, 0, 0)
	tr := newStateTree()
	tr.apply(state)
	tr.commit()
	blocks := make([][]KV, 64)
	for i := range blocks {
		_, blocks[i] = appHashState(10000, 100, i)
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		tr.apply(blocks[i%len(blocks)])
		tr.commit()
		i++
	}
}

// BenchmarkProve proves one key of a state of 10 000 accounts and reports
// the proof's size.
func BenchmarkProve(b *testing.B) {
	state, _ := appHashState(10000, 0, 0)
	tr := newStateTree()
	root := tr.apply(state)
	tr.commit()
	var size int
	i := 0
	for b.Loop() {
		p, err := tr.prove(root, state[i%len(state)].Key)
		if err != nil {
			b.Fatal(err)
		}
		size += len(p)
		i++
	}
	b.ReportMetric(float64(size)/float64(i), "proof-bytes")
}

// BenchmarkHeartbeatBlock is the per-block cost of heartbeats with n
// computing workers (heartbeat_blocks 1800, window 10): FinalizeBlock and
// Commit of an empty block, which challenges one bucket (n/1800 workers)
// and marks the workers due then unresponsive (none answers: the most
// work a block does). 0 workers is the baseline of an empty block.
func BenchmarkHeartbeatBlock(b *testing.B) {
	for _, n := range []int{0, 10_000, 100_000} {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			a := heartbeatApp(b, n)
			h := a.Height()
			blockOf := func() Block {
				h++
				return Block{Height: h, Time: blockTime(h)}
			}
			// Warm up past the window, so that due lists are processed too.
			for range 12 {
				a.FinalizeBlock(blockOf())
				a.Commit()
			}
			b.ResetTimer()
			for range b.N {
				a.FinalizeBlock(blockOf())
				a.Commit()
			}
		})
	}
}

// heartbeatApp returns an App whose state holds n computing workers of one
// pool in their heartbeat buckets (written directly, as many blocks of
// StartComputing would leave them).
func heartbeatApp(b *testing.B, n int) *App {
	b.Helper()
	g := DefaultGenesis(testChainID, alice.addr, map[cove.Address]*big.Int{alice.addr: big.NewInt(1)})
	g.Time = genesisTime
	sp := DefaultStaking()
	g.Params.Staking = sp
	o := newOverlay(committed{})
	for _, kv := range genesisWrites(g) {
		o.set(string(kv.Key), kv.Value)
	}
	buckets := map[uint32][]cove.Hash{}
	p := PoolRecord{ID: 1, Owner: alice.addr, Cap: AmountOf(new(big.Int)), Shares: AmountOf(big.NewInt(int64(n))), Value: AmountOf(big.NewInt(int64(n))), Free: AmountOf(new(big.Int)), Queue: []Withdrawal{}}
	for i := range n {
		var id cove.Hash
		copy(id[:], fmt.Sprintf("worker-%d", i))
		p.Workers = append(p.Workers, id)
		putJSON(o, poolWorkerKey(id), PoolWorker{Worker: id, Pool: 1, State: PoolWorkerComputing, Stake: AmountOf(big.NewInt(1))})
		bk := HeartbeatBucket(id, sp.HeartbeatBlocks)
		buckets[bk] = append(buckets[bk], id)
	}
	for bk, ws := range buckets {
		slices.SortFunc(ws, compareHash)
		putJSON(o, hbBucketKey(bk), HeartbeatList{Workers: ws})
	}
	if p.Workers == nil {
		p.Workers = []cove.Hash{}
	}
	putJSON(o, poolKey(1), p)
	putJSON(o, keySupply, Supply{Total: big.NewInt(int64(n) + 1), Minted: new(big.Int), Burned: new(big.Int)})
	kvs := o.writeSet()
	a, err := Load(kvs, 0, StateRoot(kvs))
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// BenchmarkFinalizeTrades executes a block of 1000 token trades (100
// holders, each buying 5 times and selling 5 times) of an exponential
// curve well up its doublings, beside the same block of transfers
// (BenchmarkFinalizeTransfers/fees=none) as the baseline: what a trade's
// big-integer curve costs over a transfer.
func BenchmarkFinalizeTrades(b *testing.B) {
	const holders, pairs = 100, 5
	a, keys := benchApp(b, holders)
	h, c := bundle("bench-token")
	agent := cove.DeriveAgentID(keys[0].addr, h, cove.Hash{1})
	setup := [][]byte{
		keys[0].tx(b, DeployAgent{Name: "bench", CID: c, CodeHash: h, Salt: cove.Hash{1}, Nonce: 0}),
		keys[0].tx(b, LaunchAgentToken{Agent: agent, Name: "Bench", Symbol: "B", Curve: CurveExponential, A: big.NewInt(1), B: big.NewInt(1), FeePPM: 10_000, Nonce: 1}),
		keys[1].tx(b, Buy{Agent: agent, Amount: tok(20), MaxCost: maxUint256, Nonce: 0}), // 20 doublings up
	}
	if r := a.FinalizeBlock(Block{Height: 1, Time: blockTime(1), Txs: setup}); r.TxResults[2].Code != CodeOK {
		b.Fatalf("setup: %+v", r.TxResults)
	}
	a.Commit()
	var txs [][]byte
	sent := map[int]uint64{0: 2, 1: 1} // the setup's transactions
	for i, k := range keys {
		n := sent[i]
		for range pairs {
			txs = append(txs, k.tx(b, Buy{Agent: agent, Amount: big.NewInt(1e15), MaxCost: maxUint256, Nonce: n}))
			txs = append(txs, k.tx(b, Sell{Agent: agent, Amount: big.NewInt(1e15), MinReturn: big.NewInt(0), Nonce: n + 1}))
			n += 2
		}
	}
	blk := Block{Height: 2, Time: blockTime(2), Txs: txs}
	if r := a.FinalizeBlock(blk); r.TxResults[len(txs)-1].Code != CodeOK {
		b.Fatalf("last tx: %+v", r.TxResults[len(txs)-1])
	}
	b.ResetTimer()
	for b.Loop() {
		a.FinalizeBlock(blk)
	}
	b.ReportMetric(float64(len(txs))*float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}
