package worker_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/worker"
)

// TestFairness: an agent flooded with calls that each loop until the time
// limit holds only its share of the slots, so another agent's calls keep
// running at once: their p99 stays low while the busy agent is at full
// load. (Measured on 2 loaded cores; the bound asserted is generous, the
// numbers are logged and kept in docs/PERFORMANCE.md.)
func TestFairness(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the machine for a few seconds")
	}
	cfg := worker.DefaultConfig()
	cfg.MaxConcurrent = 8 // 4 per agent
	// Longer than the bound asserted below, so that waiting for one of the
	// busy agent's slots to free fails the test.
	cfg.Limits.Timeout = 2 * time.Second
	e := newEnv(t, cfg)
	e.provision(t, 0)
	busy := e.deploy(t, `var __cove_agent = { default: { fetch() { for (;;) {} } } };`, nil)
	hello := e.deploy(t, greeter, map[string]string{"GREETING": "Hello"})

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for range 20 {
		wg.Go(func() {
			for ctx.Err() == nil {
				e.w.Invoke(ctx, busy, call(http.MethodGet, "/", ""))
			}
		})
	}
	eventually(t, "the busy agent at full load", func() bool {
		running, waiting := e.w.Slots(busy)
		return running >= 4 && running+waiting == 20
	})
	var took []time.Duration
	for range 200 {
		start := time.Now()
		resp, err := e.w.Invoke(context.Background(), hello, call(http.MethodGet, "/?name=Ada", ""))
		took = append(took, time.Since(start))
		if err != nil || resp.Status != 201 {
			t.Fatalf("hello: %+v, %v", resp, err)
		}
	}
	if running, waiting := e.w.Slots(busy); running < 4 || waiting < 10 {
		t.Fatalf("the busy agent was not at full load throughout: %d running, %d waiting", running, waiting)
	}
	slices.Sort(took)
	p50, p99 := took[len(took)/2], took[len(took)*99/100]
	t.Logf("hello beside a busy agent (20 calls looping or waiting): p50 %v, p99 %v, max %v", p50, p99, took[len(took)-1])
	if p99 > time.Second {
		t.Errorf("hello's p99 %v beside a busy agent: it waits for the busy agent's slots", p99)
	}
}

// TestAgentBusy: a call to an agent whose queue is full is answered at
// once with a signed 429 agent_busy and Retry-After, without running; the
// same call with room in the queue runs (the control), and other agents are
// not affected.
func TestAgentBusy(t *testing.T) {
	cfg := worker.DefaultConfig()
	cfg.MaxConcurrent = 4
	cfg.MaxPerAgent = 1
	cfg.MaxQueuedPerAgent = 1
	e := newEnv(t, cfg)
	e.provision(t, 0)
	slow := e.deploy(t, `var __cove_agent = { default: { async fetch(req) {
		if (new URL(req.url).pathname === "/slow") await new Promise(r => setTimeout(r, 20000));
		return new Response("done");
	} } };`, nil)
	other := e.deploy(t, greeter, map[string]string{"GREETING": "Hello"})
	fast := call(http.MethodGet, "/fast", "")
	if resp, err := e.w.Invoke(context.Background(), slow, fast); err != nil || resp.Status != 200 {
		t.Fatalf("control, an idle agent: %+v, %v", resp, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { e.w.Invoke(ctx, slow, call(http.MethodGet, "/slow", "")) })
	eventually(t, "a slow call to run", func() bool { r, _ := e.w.Slots(slow); return r == 1 })
	queued := make(chan error, 1)
	go func() {
		resp, err := e.w.Invoke(context.Background(), slow, fast)
		if err == nil && resp.Status != 200 {
			t.Errorf("the queued call: %d %s", resp.Status, resp.Body)
		}
		queued <- err
	}()
	eventually(t, "a call to queue", func() bool { _, w := e.w.Slots(slow); return w == 1 })

	start := time.Now()
	resp, err := e.w.Invoke(context.Background(), slow, fast)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	var eb api.ErrorBody
	if json.Unmarshal(resp.Body, &eb) != nil || resp.Status != http.StatusTooManyRequests || eb.Error.Code != worker.CodeBusy || eb.RequestID != resp.RequestID {
		t.Fatalf("full queue: %d %s, want 429 %s", resp.Status, resp.Body, worker.CodeBusy)
	}
	if ra := http.Header(resp.Header).Get("Retry-After"); ra != "1" {
		t.Fatalf("Retry-After %q, want 1", ra)
	}
	if took > 2*time.Second {
		t.Fatalf("the refusal took %v: it waited", took)
	}
	check(t, fast, resp)
	// Another agent is not affected.
	if resp, err := e.w.Invoke(context.Background(), other, call(http.MethodGet, "/?name=Ada", "")); err != nil || resp.Status != 201 {
		t.Fatalf("another agent beside a full queue: %+v, %v", resp, err)
	}
	// The slow call ends: the queued call runs, and the queue has room
	// again for the same call, which succeeds (control).
	cancel()
	if err := <-queued; err != nil {
		t.Fatalf("the queued call: %v", err)
	}
	if resp, err := e.w.Invoke(context.Background(), slow, fast); err != nil || resp.Status != 200 {
		t.Fatalf("control, the queue has room: %+v, %v", resp, err)
	}
}
