package testnet_test

import (
	"context"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testnet"
	"github.com/cove-network/cove/node"
)

// TestTwoPoolsOneSilent (issue 10): a validator whose gateway routes to
// two worker nodes, each computing for its operator's stake pool with a
// contributor in each. Worker 1 goes silent (its node stops): the chain
// makes it unresponsive at the end of its heartbeat window, the gateway
// stops routing to it (every call is answered by worker 2), it earns
// nothing while out, and when it comes back (restarted, it answers its
// next challenge) its V has decayed by the slash rate. Worker 2 earns all
// along, and its pool's contributor withdraws more COVE than it put in.
func TestTwoPoolsOneSilent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nodes and waits for heartbeats (about 40 s)")
	}
	alice, bob := testnet.NewKey(t), testnet.NewKey(t)
	net := testnet.Start(t, 1, testnet.Workers(2), testnet.Fund(alice.Address(), bob.Address()))
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	c := net.Node(0).Client()
	defer func() {
		if t.Failed() {
			for i := range net.Len() {
				t.Logf("node %d log:\n%s", i, tail(net.Node(i).Logs(), 6<<10))
			}
		}
	}()

	t0 := time.Now()
	// Each worker node's id, by its operator.
	type side struct {
		node   *testnet.Node
		op     *account.Signer
		worker cove.Hash
		pool   uint64
	}
	var sides [2]side
	for i := range sides {
		nd := net.Node(1 + i)
		st, err := account.Open(nd.Home)
		if err != nil {
			t.Fatal(err)
		}
		op, err := st.Signer("operator", "")
		if err != nil {
			t.Fatal(err)
		}
		sides[i] = side{node: nd, op: op, pool: uint64(i + 1)}
	}
	if err := waitFor(ctx, func() bool {
		ws, err := c.Workers(ctx)
		if err != nil {
			return false
		}
		for _, w := range ws {
			for i := range sides {
				if w.Operator == sides[i].op.Address() {
					sides[i].worker = w.ID
				}
			}
		}
		return !sides[0].worker.IsZero() && !sides[1].worker.IsZero()
	}); err != nil {
		t.Fatalf("the worker nodes did not register: %v", err)
	}
	cove1 := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	coves := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), cove1) }
	send := func(s client.Signer, m func(n uint64) chain.Msg) chain.TxOutcome {
		t.Helper()
		out, err := c.Send(ctx, s, m)
		if err != nil {
			t.Fatalf("%T: %v", m(0), err)
		}
		return out
	}
	contributors := []*testnet.Key{alice, bob}
	for i, s := range sides {
		send(s.op, func(n uint64) chain.Msg { return chain.CreatePool{Commission: 100_000, Cap: new(big.Int), Nonce: n} })
		send(s.op, func(n uint64) chain.Msg { return chain.AddPoolWorker{Pool: s.pool, Worker: s.worker, Nonce: n} })
		send(s.op, func(n uint64) chain.Msg { return chain.Contribute{Pool: s.pool, Amount: coves(1000), Nonce: n} })
		send(contributors[i], func(n uint64) chain.Msg { return chain.Contribute{Pool: s.pool, Amount: coves(100), Nonce: n} })
		send(s.op, func(n uint64) chain.Msg { return chain.StartComputing{Worker: s.worker, Stake: coves(800), Nonce: n} })
	}
	bobBefore, err := c.Account(ctx, bob.Address())
	if err != nil {
		t.Fatal(err)
	}
	state := func(w cove.Hash) chain.PoolWorker {
		t.Helper()
		ws, err := c.Worker(ctx, w)
		if err != nil || ws.Pool == nil {
			t.Fatalf("worker %s: %+v, %v", w, ws, err)
		}
		return *ws.Pool
	}
	earned := func(w cove.Hash) *big.Int { return state(w).Earned.Big() }
	// Both earn: each answers a challenge and settles a reward.
	if err := waitFor(ctx, func() bool { return earned(sides[0].worker).Sign() > 0 && earned(sides[1].worker).Sign() > 0 }); err != nil {
		t.Fatalf("both workers earning: %v (%+v, %+v)", err, state(sides[0].worker), state(sides[1].worker))
	}

	t.Logf("%s: both earning", time.Since(t0).Round(time.Millisecond))
	a, err := c.Deploy(ctx, helloAgent, client.DeployOptions{Signer: net.Admin, Name: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	call := func() string {
		t.Helper()
		resp, err := c.Call(ctx, a.ID, http.MethodGet, "/hello?name=Ada", nil, nil)
		if err != nil || resp.Status != http.StatusOK {
			t.Fatalf("call: %v %+v", err, resp)
		}
		return resp.Header.Get(api.HeaderWorker)
	}
	call()

	// Worker 1 goes silent.
	silent, healthy := sides[0], sides[1]
	before := state(silent.worker)
	silent.node.Stop()
	stoppedAt := time.Now()
	if err := waitFor(ctx, func() bool { return state(silent.worker).State == chain.PoolWorkerUnresponsive }); err != nil {
		t.Fatalf("the silent worker is not unresponsive: %v (%+v)", err, state(silent.worker))
	}
	out := state(silent.worker)
	t.Logf("%s: worker 1 unresponsive %s after it stopped (heartbeat at %d, now challenge %d), V %s", time.Since(t0).Round(time.Millisecond), time.Since(stoppedAt).Round(time.Millisecond), before.LastHeartbeat, out.Challenge, out.V)
	if out.Share.Big().Sign() != 0 {
		t.Errorf("an unresponsive worker keeps share %s", out.Share)
	}
	// The gateway leaves it out: every call goes to worker 2.
	if err := waitFor(ctx, func() bool {
		info, err := c.NodeInfo(ctx)
		if err != nil {
			return false
		}
		for _, r := range info.Routes {
			if r.Worker == silent.worker.String() {
				return false
			}
		}
		return true
	}); err != nil {
		t.Fatalf("the gateway still lists the silent worker: %v", err)
	}
	for range 20 {
		if w := call(); w != healthy.worker.String() {
			t.Fatalf("a call was answered by %s, not the healthy worker %s", w, healthy.worker)
		}
	}
	// Worker 2 earns on, worker 1 earns nothing while out.
	earnedOut := earned(silent.worker)
	healthyEarned := earned(healthy.worker)
	if err := waitFor(ctx, func() bool { return earned(healthy.worker).Cmp(healthyEarned) > 0 }); err != nil {
		t.Fatalf("the healthy worker stopped earning: %v", err)
	}
	if e := earned(silent.worker); e.Cmp(earnedOut) != 0 {
		t.Errorf("the silent worker earned %s → %s while unresponsive", earnedOut, e)
	}

	t.Logf("%s: worker 2 earns on", time.Since(t0).Round(time.Millisecond))
	// Bob, worker 2's pool's contributor, withdraws everything: more than
	// the 100 COVE he put in (fees included).
	var stake api.Stake
	if err := waitFor(ctx, func() bool {
		ss, err := c.Stakes(ctx, bob.Address())
		if err != nil || len(ss) != 1 {
			return false
		}
		stake = ss[0]
		h, err := net.MaxHeight(ctx)
		return err == nil && h >= stake.LockedUntil
	}); err != nil {
		t.Fatalf("bob's stake: %v (%+v)", err, stake)
	}
	shares, _ := new(big.Int).SetString(stake.Shares, 10)
	wd := send(bob, func(n uint64) chain.Msg { return chain.Withdraw{Pool: healthy.pool, Shares: shares, Nonce: n} })
	var paid *big.Int
	for _, e := range wd.Events {
		if e.Type == chain.EventWithdrawn {
			paid, _ = new(big.Int).SetString(e.Attr("amount"), 10)
		}
	}
	bobAfter, err := c.Account(ctx, bob.Address())
	if err != nil {
		t.Fatal(err)
	}
	gain := new(big.Int).Sub(bobAfter.Balance, bobBefore.Balance)
	if paid == nil || paid.Cmp(coves(100)) <= 0 || gain.Cmp(coves(0)) <= 0 {
		t.Fatalf("bob put in 100 COVE and was paid %v (balance %s → %s); events %+v", paid, bobBefore.Balance, bobAfter.Balance, wd.Events)
	}
	t.Logf("bob put in 100 COVE and withdrew %s base units (balance +%s after fees)", paid, gain)

	// Worker 1 comes back: it answers its next challenge, rejoins with V
	// decayed by (1 − slash_rate) per block it was out, and is routed
	// again.
	silent.node.Restart()
	t.Logf("%s: worker 1 restarted", time.Since(t0).Round(time.Millisecond))
	if err := waitFor(ctx, func() bool { return state(silent.worker).State == chain.PoolWorkerComputing }); err != nil {
		t.Fatalf("the restarted worker did not come back: %v (%+v)", err, state(silent.worker))
	}
	back := state(silent.worker)
	n := back.Settled - out.Settled
	sp := node.DevStaking()
	slash, _ := new(big.Float).SetString(sp.SlashRate)
	slash.Quo(slash, new(big.Float).SetInt(cove1))
	rate, _ := slash.Float64()
	keep := 1.0
	for range n {
		keep *= 1 - rate
	}
	vOut, _ := new(big.Float).SetInt(out.V.Big()).Float64()
	vBack, _ := new(big.Float).SetInt(back.V.Big()).Float64()
	if vBack >= vOut || vBack < vOut*keep*(1-1e-9) || vBack > vOut*keep*(1+1e-9) {
		t.Fatalf("V %.0f when it went out, %.0f after %d blocks out; want ×%.9f", vOut, vBack, n, keep)
	}
	t.Logf("worker 1 back after %d blocks out: V %.6g → %.6g (slashed ×%.9f)", n, vOut, vBack, keep)
	// Routed again: in bursts of concurrent calls (the gateway prefers a
	// worker that has answered for the agent's code while it has calls
	// outstanding, so sequential calls would stay on worker 2).
	if err := waitFor(ctx, func() bool {
		got := make(chan string, 16)
		for range cap(got) {
			go func() {
				resp, err := c.Call(ctx, a.ID, http.MethodGet, "/hello?name=Ada", nil, nil)
				if err != nil || resp.Status != http.StatusOK {
					got <- ""
					return
				}
				got <- resp.Header.Get(api.HeaderWorker)
			}()
		}
		back := false
		for range cap(got) {
			back = <-got == silent.worker.String() || back
		}
		return back
	}); err != nil {
		t.Fatalf("the worker that came back is not routed calls: %v", err)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
