package chain

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove/tee/identity"
)

// TestRewardsSimulatedDay runs the default staking parameters
// (DefaultStaking: 1 COVE per block, heartbeat challenges twice an hour at
// one block a second, Phala's V constants) for a simulated day of 86,400
// one-second blocks with five workers, each in its own pool, and prints
// what each earned (the table in docs/PERFORMANCE.md "Rewards over a
// day"). It checks what the formulas promise: every block's budget is
// minted at most once (and, four workers computing all day, at least 90%
// of it), more stake and a faster benchmark earn more, a lower confidence
// and missed heartbeats earn less.
func TestRewardsSimulatedDay(t *testing.T) {
	if testing.Short() {
		t.Skip("86,400 blocks (about 10 s)")
	}
	a := newRewardsApp(t, FeeParams{}, StakingParams{})
	type profile struct {
		name   string
		stake  int64 // COVE
		p      uint64
		status string // "" sim; else a TDX TCB status
		answer float64
	}
	profiles := []profile{
		{"A: 2,000 COVE, P 100", 2000, 100, "", 1},
		{"B: 10,000 COVE, P 100", 10000, 100, "", 1},
		{"C: 2,000 COVE, P 400", 2000, 400, "", 1},
		{"D: as A, TDX out of date (conf 0.7)", 2000, 100, "OutOfDate", 1},
		{"E: as A, answers half its challenges", 2000, 100, "", 0.5},
	}
	type worker struct {
		id                   [32]byte
		key                  *identity.Identity
		asked                int64 // the challenge decided on
		answers              bool
		challenges, answered int
	}
	ws := make([]*worker, len(profiles))
	var txs [][]byte
	n := uint64(0)
	tx := func(m func(n uint64) Msg) []byte { n++; return bob.tx(t, m(n-1)) }
	for i, pr := range profiles {
		r, k := idWorker(bob, fmt.Sprintf("day%d", i), n)
		n++
		if pr.status != "" {
			r.TEE, r.Quote = "tdx", append(r.Quote, testTCBMark+pr.status...)
		}
		ws[i] = &worker{id: WorkerID(r.PublicKey), key: k}
		txs = append(txs, bob.tx(t, r))
	}
	for i, pr := range profiles {
		pool := uint64(i + 1)
		txs = append(txs,
			tx(func(n uint64) Msg { return CreatePool{Cap: big.NewInt(0), Nonce: n} }),
			tx(func(n uint64) Msg { return AddPoolWorker{Pool: pool, Worker: ws[i].id, Nonce: n} }),
			tx(func(n uint64) Msg { return Contribute{Pool: pool, Amount: e18(pr.stake), Nonce: n} }),
			tx(func(n uint64) Msg { return StartComputing{Worker: ws[i].id, Stake: e18(pr.stake), Nonce: n} }))
	}
	start := genesisTime.Add(time.Second)
	for i, r := range at(t, a, start, txs...).TxResults {
		if r.Code != CodeOK {
			t.Fatalf("setup tx %d: %s", i, r.Log)
		}
	}
	startHeight := a.Height()
	rng := rand.New(rand.NewPCG(1, 2))
	const day = 86_400
	began := time.Now()
	for s := int64(1); s <= day; s++ {
		tm := start.Add(time.Duration(s) * time.Second)
		var b [][]byte
		for i, w := range ws {
			pw, err := a.View().PoolWorker(w.id)
			if err != nil {
				t.Fatal(err)
			}
			if pw.Challenge == 0 || pw.Challenge == w.asked && !w.answers {
				continue
			}
			if pw.Challenge != w.asked {
				w.asked, w.answers = pw.Challenge, rng.Float64() < profiles[i].answer
				w.challenges++
				if !w.answers {
					continue
				}
			}
			w.answered++
			iter := profiles[i].p * IterationsPerP * uint64(s) // a benchmark at P
			m := signHB(w.key, Heartbeat{Worker: w.id, Challenge: uint64(pw.Challenge), Seed: pw.ChallengeSeed, Iterations: iter})
			b = append(b, tx(func(n uint64) Msg { m.Nonce = n; return m }))
		}
		res := at(t, a, tm, b...)
		for i, r := range res.TxResults {
			if r.Code != CodeOK {
				t.Fatalf("second %d tx %d: %s", s, i, r.Log)
			}
		}
	}
	elapsed := time.Since(began)
	blocks := a.Height() - startHeight
	sup, _, _ := a.View().Supply()
	budget := new(big.Int).Mul(e18(1), big.NewInt(blocks))
	var rows []string
	earned := make([]float64, len(ws))
	for i, w := range ws {
		pw, _ := a.View().PoolWorker(w.id)
		earned[i] = coves(pw.Earned.Big())
		rows = append(rows, fmt.Sprintf("| %s | %.1f | %d | %d/%d | %.2f | %.2f | %.2f |", profiles[i].name, coves(Confidence(mustWorker(t, a, w.id))),
			pw.P, w.answered, w.challenges, coves(pw.V.Big()), earned[i], earned[i]/float64(profiles[i].stake)*1000))
	}
	t.Logf("%d blocks in %s (%.1f µs a block); minted %.2f COVE of a %.0f COVE budget\n| worker | conf | P measured | heartbeats | V at the end | earned (COVE) | per 1,000 COVE staked |\n|---|---|---|---|---|---|---|\n%s",
		blocks, elapsed.Round(time.Millisecond), float64(elapsed.Microseconds())/float64(blocks), coves(sup.Minted), coves(budget), strings.Join(rows, "\n"))
	if sup.Minted.Cmp(budget) > 0 {
		t.Fatalf("minted %s, more than the budget %s", sup.Minted, budget)
	}
	// What is not minted: what E accrued before each challenge it missed
	// (forfeited: about a half-hour of its share each time) and the last
	// stretch since each worker's last heartbeat (not settled yet): a few
	// percent.
	if coves(sup.Minted) < 0.9*coves(budget) {
		t.Fatalf("minted %.2f of a %.2f budget with four workers computing all day", coves(sup.Minted), coves(budget))
	}
	switch {
	case earned[1] <= earned[0]:
		t.Errorf("more stake earned no more: %v", earned)
	case earned[2] <= earned[0]:
		t.Errorf("a faster benchmark earned no more: %v", earned)
	case earned[3] >= earned[0]:
		t.Errorf("confidence 0.7 earned no less: %v", earned)
	case earned[4] >= earned[0]:
		t.Errorf("missed heartbeats cost nothing: %v", earned)
	}
	checkPoolSupply(t, a, e18(2_000_000))
}

func coves(v *big.Int) float64 {
	f, _ := new(big.Float).Quo(new(big.Float).SetInt(v), new(big.Float).SetInt(fpOne)).Float64()
	return f
}

func mustWorker(t *testing.T, a *App, id [32]byte) WorkerRecord {
	t.Helper()
	w, err := a.View().Worker(id)
	if err != nil {
		t.Fatal(err)
	}
	return w
}
