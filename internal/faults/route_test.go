package faults_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testnet"
)

// TestWorkerKill9UnderLoad: `cove node` processes, one validator whose
// gateway has no worker and three worker nodes (`cove testnet init
// --workers 3`). Under a steady 200 calls/s for 20 s, one worker is killed
// with SIGKILL and later restarted on its home. Promised (docs/RELIABILITY.md,
// "Remote workers"): fewer than 1% of the calls fail, none hangs (each
// answers within 10 s), the gateway stops routing to the dead worker within
// 1 s, and the restarted worker rejoins the rotation with no step taken.
// The load goes on past 20 s until the restarted worker has answered a call,
// for at most rejoinWithin after its restart: it first catches up with the
// blocks it missed (CometBFT block sync, usually under a second), and until
// it has seen the agent's deploy it answers agent_not_found and the gateway
// sends the call elsewhere.
func TestWorkerKill9UnderLoad(t *testing.T) {
	slow(t, "builds cove, runs four nodes and kills a worker under load (about 45 s)")
	const (
		rate     = 200 // calls per second
		duration = 20 * time.Second
		killAt   = 5 * time.Second
		backAt   = 11 * time.Second
		hang     = 10 * time.Second
		// rejoinWithin bounds the wait for the restarted worker's first
		// answer.
		rejoinWithin = 40 * time.Second
	)
	bin := coveBin(t)
	ctx := ctxFor(t, 240*time.Second)
	owner := testnet.NewKey(t)
	homes := initLayout(t, bin, 1, 3, owner.Address())
	procs := make([]*proc, len(homes))
	for i, h := range homes {
		procs[i] = mustStart(t, bin, h)
	}
	gw := newClient(t, homes[0].HTTP)
	if err := procs[0].waitHealthy(ctx, gw, 1); err != nil {
		t.Fatal(err)
	}
	routes := func() (map[string]api.RoutedWorker, error) {
		info, err := gw.NodeInfo(ctx)
		if err != nil {
			return nil, err
		}
		out := map[string]api.RoutedWorker{}
		for _, r := range info.Routes {
			out[r.Endpoint] = r
		}
		return out, nil
	}
	// inRotation says whether the gateway routes to endpoint; known is
	// false when the gateway did not answer (nothing learnt).
	inRotation := func(endpoint string) (in, known bool) {
		rs, err := routes()
		if err != nil {
			return false, false
		}
		r, ok := rs[endpoint]
		return ok && r.Up && r.Ready, true
	}
	up := func(endpoint string) bool { in, _ := inRotation(endpoint); return in }
	for _, h := range homes[1:] {
		if err := waitFor(ctx, "worker "+h.Link+" in rotation", func() bool { return up("https://" + h.Link) }); err != nil {
			t.Fatal(err)
		}
	}
	a, err := gw.Deploy(ctx, helloAgent, client.DeployOptions{Signer: owner, Name: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := gw.Call(ctx, a.ID, http.MethodGet, "/hello", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a, err = gw.Agent(ctx, a.ID); err != nil || a.Attestor.IsZero() {
		t.Fatalf("agent %+v: %v", a, err)
	}
	// The victim is the worker that answered the first call. The gateway
	// prefers a worker that has answered the agent's calls (workerlink's
	// pick), and keeps that mark across the worker's restart on the same
	// endpoint: a worker that never has gets a call only while the others
	// are busy, which at this load may not happen for tens of seconds, so
	// killing and restarting such a worker would show nothing about
	// rejoining.
	victimID := first.Header.Get(api.HeaderWorker)
	rs, err := routes()
	if err != nil {
		t.Fatal(err)
	}
	vi := slices.IndexFunc(homes, func(h home) bool { return rs["https://"+h.Link].Worker == victimID })
	if vi < 1 {
		t.Fatalf("the first call was answered by worker %q, not one of the three worker nodes (routes %+v)", victimID, rs)
	}
	victim := homes[vi]
	victimEP := "https://" + victim.Link

	type result struct {
		at     time.Duration // since the load began
		worker string
		err    error
	}
	var (
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
	)
	start := time.Now()
	tick := time.NewTicker(time.Second / rate)
	var killed, restarted time.Duration
	var outAfter, firstBack time.Duration // firstBack: its first answer after the restart (under mu)
	loadOn := func(now time.Duration) bool {
		if now < duration {
			return true
		}
		mu.Lock()
		defer mu.Unlock()
		return firstBack == 0 && now < restarted+rejoinWithin
	}
	for now := time.Duration(0); loadOn(now); now = time.Since(start) {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := time.Since(start)
			cctx, cancel := context.WithTimeout(ctx, hang)
			defer cancel()
			r := result{at: at}
			resp, err := gw.Call(cctx, a.ID, http.MethodGet, "/hello?name=Ada", nil, nil)
			switch {
			case err != nil:
				r.err = err
			case resp.Status != http.StatusOK:
				r.err = fmt.Errorf("status %d: %s", resp.Status, resp.Body)
			default:
				if _, err := resp.Verify(a.Attestor); err != nil {
					r.err = err
				}
				r.worker = resp.Header.Get(api.HeaderWorker)
			}
			mu.Lock()
			results = append(results, r)
			if r.worker == victimID && restarted != 0 && r.at > restarted && firstBack == 0 {
				firstBack = r.at
			}
			mu.Unlock()
		}()
		if killed == 0 && now >= killAt {
			procs[vi].kill9()
			killed = time.Since(start)
			// Watch the rotation beside the load.
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					if in, known := inRotation(victimEP); known && !in {
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
				mu.Lock()
				outAfter = time.Since(start) - killed
				mu.Unlock()
			}()
		}
		if restarted == 0 && now >= backAt {
			procs[vi] = mustStart(t, bin, victim)
			mu.Lock()
			restarted = time.Since(start)
			mu.Unlock()
		}
	}
	tick.Stop()
	wg.Wait()

	var failed, hung, onVictimAfterKill, onVictimAfterBack int
	var lastOnVictim time.Duration
	for _, r := range results {
		if r.err != nil {
			failed++
			if errors.Is(r.err, context.DeadlineExceeded) {
				hung++
			}
			t.Logf("at %s: %v", r.at.Round(time.Millisecond), r.err)
			continue
		}
		if r.worker == victimID {
			if r.at > killed && r.at < restarted {
				onVictimAfterKill++
				lastOnVictim = max(lastOnVictim, r.at-killed)
			}
			if r.at > restarted {
				onVictimAfterBack++
			}
		}
	}
	rejoined := up(victimEP)
	rejoinedAfter := "never"
	if firstBack > 0 {
		rejoinedAfter = (firstBack - restarted).Round(time.Millisecond).String()
	}
	t.Logf("%d calls in %s at %d/s; killed worker %s at %s, out of rotation %s later; restarted at %s, its first answer %s later; failed %d (%.2f%%), hung %d; calls it answered after the kill: %d, after its restart: %d",
		len(results), time.Since(start).Round(time.Second), rate, victimID, killed.Round(time.Millisecond), outAfter.Round(time.Millisecond), restarted.Round(time.Millisecond),
		rejoinedAfter, failed, 100*float64(failed)/float64(len(results)), hung, onVictimAfterKill, onVictimAfterBack)
	if float64(failed) >= 0.01*float64(len(results)) {
		t.Errorf("%d of %d calls failed: 1%% or more", failed, len(results))
	}
	if hung > 0 {
		t.Errorf("%d calls hung past %s", hung, hang)
	}
	if outAfter > time.Second {
		t.Errorf("the gateway kept the dead worker in rotation %s after the kill", outAfter)
	}
	if onVictimAfterKill > 0 {
		t.Errorf("%d calls were answered by the killed worker after the kill (last %s after)", onVictimAfterKill, lastOnVictim)
	}
	if !rejoined || onVictimAfterBack == 0 {
		t.Errorf("the restarted worker did not rejoin within %s: in rotation %v, calls it answered after its restart %d", rejoinWithin, rejoined, onVictimAfterBack)
	}
}
