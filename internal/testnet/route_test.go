package testnet_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testnet"
)

// TestRemoteWorkers: one validator with a gateway and no worker, three
// worker nodes. The gateway routes calls to the workers over their links,
// every answer verifies against the agent's attestor and names its worker;
// calls spread over the three; a stopped worker leaves the rotation
// (calls keep succeeding on the others) and rejoins when it restarts.
func TestRemoteWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four nodes (about 20 s)")
	}
	net := testnet.Start(t, 1, testnet.Workers(3))
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	c := net.Node(0).Client()

	info, err := c.NodeInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Routing != "network" || info.Worker != "" {
		t.Fatalf("the gateway node: %+v", info)
	}
	// Every worker node registers, is provisioned and joins the rotation.
	waitUp := func(want int) map[string]bool {
		t.Helper()
		var up map[string]bool
		err := waitFor(ctx, func() bool {
			info, err := c.NodeInfo(ctx)
			if err != nil {
				return false
			}
			up = map[string]bool{}
			for _, r := range info.Routes {
				if r.Up && r.Ready {
					up[r.Worker] = true
				}
			}
			return len(up) == want
		})
		if err != nil {
			t.Fatalf("waiting for %d workers in rotation: %v (have %v)", want, err, up)
		}
		return up
	}
	workers := waitUp(3)

	a, err := c.Deploy(ctx, helloAgent, client.DeployOptions{Signer: net.Admin, Name: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.Call(ctx, a.ID, http.MethodGet, "/hello?name=Ada", nil, nil)
	if err != nil || first.Status != 200 {
		t.Fatalf("first call: %v", err)
	}
	// Its attestor is on chain by the first answer (the gateway waits for
	// it: a remote worker's receipt is checked against it).
	if a, err = c.Agent(ctx, a.ID); err != nil || a.Attestor.IsZero() {
		t.Fatalf("agent %+v, %v", a, err)
	}
	if _, err := first.Verify(a.Attestor); err != nil {
		t.Fatal(err)
	}
	served := map[string]int{}
	callOnce := func() string {
		t.Helper()
		resp, err := c.Call(ctx, a.ID, http.MethodGet, "/hello?name=Ada", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != 200 {
			t.Fatalf("status %d: %s", resp.Status, resp.Body)
		}
		if _, err := resp.Verify(a.Attestor); err != nil {
			t.Fatalf("receipt: %v", err)
		}
		w := resp.Header.Get(api.HeaderWorker)
		if !workers[w] {
			t.Fatalf("served by %q, not one of the worker nodes %v", w, workers)
		}
		return w
	}
	// Concurrent calls spread over the workers (fewest outstanding first):
	// an agent that takes 200 ms, so 30 calls at once overlap on any
	// machine.
	slow, err := c.DeployCode(ctx, []byte(`var __cove_agent = { default: { async fetch() { await new Promise(r => setTimeout(r, 200)); return new Response("slow"); } } };`),
		client.DeployOptions{Signer: net.Admin, Name: "slow"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 30)
	for range 30 {
		go func() {
			resp, err := c.Call(ctx, slow.ID, http.MethodGet, "/", nil, nil)
			if err != nil || resp.Status != 200 {
				if err == nil {
					t.Logf("status %d: %s", resp.Status, resp.Body)
				} else {
					t.Log(err)
				}
				done <- ""
				return
			}
			done <- resp.Header.Get(api.HeaderWorker)
		}()
	}
	for range 30 {
		w := <-done
		if w == "" {
			t.Fatal("a concurrent call failed")
		}
		served[w]++
	}
	if len(served) < 2 {
		t.Fatalf("30 concurrent calls all went to one worker: %v", served)
	}
	t.Logf("30 concurrent calls by worker: %v", served)

	// A worker stops: calls go on through the others, and the gateway
	// takes it out of rotation.
	gone := net.Node(1)
	goneID := ""
	gone.Stop()
	stopped := time.Now()
	for range 20 {
		callOnce()
	}
	up := waitUp(2)
	t.Logf("out of rotation %s after the stop", time.Since(stopped).Round(time.Millisecond))
	for w := range workers {
		if !up[w] {
			goneID = w
		}
	}
	for range 10 {
		if w := callOnce(); w == goneID {
			t.Fatalf("a call went to the stopped worker %s", w)
		}
	}
	// It restarts on the same home: same identity, same endpoint; it
	// rejoins with no step taken.
	gone.Restart()
	if got := waitUp(3); !got[goneID] {
		t.Fatalf("worker %s did not rejoin: %v", goneID, got)
	}

	// Logs stay with the workers: a gateway without one says so.
	err = c.Logs(ctx, net.Admin, a.ID, 10, false, func(cove.Invocation) {})
	if err == nil || !strings.Contains(err.Error(), "logs_not_here") && !strings.Contains(err.Error(), "runs no worker") {
		t.Fatalf("logs from a gateway without a worker: %v", err)
	}
}

// waitFor polls cond every 50 ms until it is true or ctx ends.
func waitFor(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}
