package chain

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/cove-network/cove"
)

// benchApp returns an App whose genesis funds n senders.
func benchApp(b *testing.B, n int) (*App, []testKey) {
	b.Helper()
	keys := make([]testKey, n)
	funded := map[cove.Address]*big.Int{}
	for i := range keys {
		keys[i] = newKey(fmt.Sprintf("bench-%d", i))
		funded[keys[i].addr] = big.NewInt(1 << 40)
	}
	g := DefaultGenesis(testChainID, alice.addr, funded)
	g.Time = genesisTime
	a := New()
	if _, err := a.InitChain(g); err != nil {
		b.Fatal(err)
	}
	return a, keys
}

// BenchmarkFinalizeTransfers executes a block of 1000 transfers from 100
// senders (signature recovery included).
func BenchmarkFinalizeTransfers(b *testing.B) {
	const senders, perSender = 100, 10
	a, keys := benchApp(b, senders)
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
