package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testchain"
	"github.com/cove-network/cove/worker/ai"
)

// ScaleOptions configures Scale.
type ScaleOptions struct {
	// Agents are deployed, each with code of its own (its own code hash,
	// so its own compiled program), by Senders accounts in parallel.
	Agents, Senders int
	// Concurrency callers call agents picked at random for Duration.
	Concurrency int
	Duration    time.Duration
	// DataDir is the node's directory; empty uses a temporary one.
	DataDir string
}

// DefaultScaleOptions are `cove bench scale`'s defaults: the issue's
// 10,000 agents.
func DefaultScaleOptions() ScaleOptions {
	return ScaleOptions{Agents: 10_000, Senders: 32, Concurrency: 16, Duration: 10 * time.Second}
}

// ScaleReport is what Scale measured.
type ScaleReport struct {
	Date    string       `json:"date"`
	Machine Machine      `json:"machine"`
	Options ScaleOptions `json:"options"`
	// DeployS is the time all deploys took; DeploysPerS their rate.
	DeployS     float64 `json:"deploySeconds"`
	DeploysPerS float64 `json:"deploysPerSecond"`
	// Calls at random over all agents.
	Calls          int     `json:"calls"`
	Errors         int     `json:"errors"`
	RPS            float64 `json:"rps"`
	P50MS          float64 `json:"p50Ms"`
	P99MS          float64 `json:"p99Ms"`
	MaxMS          float64 `json:"maxMs"`
	DistinctCalled int     `json:"distinctAgentsCalled"`
	// Memory of this process (the node, and the load generator): RSS and
	// the Go heap in use, before deploying, after deploying and after the
	// calls, MiB.
	RSSMiB  [3]float64 `json:"rssMiB"`
	HeapMiB [3]float64 `json:"heapMiB"`
}

// Scale deploys many agents to one cove dev node in this process and calls
// them at random, recording memory and latency (issue 12: bounded memory
// with many agents).
func Scale(ctx context.Context, o ScaleOptions, log *slog.Logger, progress io.Writer) (*ScaleReport, error) {
	if o.Agents < 1 || o.Senders < 1 || o.Concurrency < 1 || o.Duration <= 0 {
		return nil, errors.New("bench scale: agents, senders, concurrency and duration must be positive")
	}
	rep := &ScaleReport{Date: time.Now().UTC().Format(time.RFC3339), Machine: ThisMachine(), Options: o}
	node, err := startDevNode(ctx, o.DataDir, 0, ai.Config{}, log, 50*time.Millisecond)
	if err != nil {
		return nil, err
	}
	defer node.stop()
	rep.RSSMiB[0], rep.HeapMiB[0] = memory()

	// Senders, funded by the deployer, deploy in parallel.
	senders := make([]*testchain.Key, o.Senders)
	for i := range senders {
		if senders[i], err = testchain.GenerateKey(); err != nil {
			return nil, err
		}
		if _, err := node.c.Transfer(ctx, node.signer, senders[i].Address(), new(big.Int).Mul(big.NewInt(1000), big.NewInt(1e18))); err != nil {
			return nil, fmt.Errorf("fund a sender: %w", err)
		}
	}
	fmt.Fprintf(progress, "deploying %d agents from %d senders\n", o.Agents, o.Senders)
	ids := make([]cove.AgentID, o.Agents)
	var next, done atomic.Int64
	var firstErr error
	var mu sync.Mutex
	start := time.Now()
	var wg sync.WaitGroup
	for _, s := range senders {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= o.Agents || ctx.Err() != nil {
					return
				}
				code := fmt.Sprintf("var __cove_agent = { default: { fetch() { return new Response(%q); } } };", "agent "+strconv.Itoa(i))
				a, err := node.c.DeployCode(ctx, []byte(code), client.DeployOptions{Signer: s, Name: "scale-" + strconv.Itoa(i)})
				if err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, fmt.Errorf("deploy agent %d: %w", i, err))
					mu.Unlock()
					return
				}
				ids[i] = a.ID
				if n := done.Add(1); n%int64(max(1, o.Agents/10)) == 0 {
					fmt.Fprintf(progress, "  %d deployed (%.0f/s)\n", n, float64(n)/time.Since(start).Seconds())
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	rep.DeployS = time.Since(start).Seconds()
	rep.DeploysPerS = float64(o.Agents) / rep.DeployS
	runtime.GC()
	rep.RSSMiB[1], rep.HeapMiB[1] = memory()

	fmt.Fprintf(progress, "calling them at random: concurrency %d for %s\n", o.Concurrency, o.Duration)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * o.Concurrency}}
	base := node.c.Base()
	var (
		lat     []time.Duration
		errs    int
		called  = map[cove.AgentID]bool{}
		callsWG sync.WaitGroup
	)
	deadline := time.Now().Add(o.Duration)
	callStart := time.Now()
	for range o.Concurrency {
		callsWG.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				id := ids[rand.IntN(len(ids))]
				t0 := time.Now()
				resp, err := hc.Get(base + "/agents/" + id.String() + "/")
				ok := err == nil
				if err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					ok = resp.StatusCode == 200 && strings.HasPrefix(string(b), "agent ")
				}
				d := time.Since(t0)
				mu.Lock()
				if ok {
					lat = append(lat, d)
					called[id] = true
				} else {
					errs++
				}
				mu.Unlock()
			}
		})
	}
	callsWG.Wait()
	elapsed := time.Since(callStart)
	slices.Sort(lat)
	rep.Calls, rep.Errors, rep.DistinctCalled = len(lat), errs, len(called)
	rep.RPS = float64(len(lat)) / elapsed.Seconds()
	rep.P50MS, rep.P99MS = ms(Percentile(lat, 50)), ms(Percentile(lat, 99))
	if len(lat) > 0 {
		rep.MaxMS = ms(lat[len(lat)-1])
	}
	runtime.GC()
	rep.RSSMiB[2], rep.HeapMiB[2] = memory()
	return rep, nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// memory returns this process's resident set and Go heap in use, MiB
// (RSS 0 where /proc is not there).
func memory() (rss, heap float64) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	heap = float64(m.HeapInuse) / (1 << 20)
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				rss = kb / 1024
			}
		}
	}
	return rss, heap
}

// Print writes the report as a Markdown table.
func (r *ScaleReport) Print(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "cove bench scale, %s: %d CPUs (%s), GOMAXPROCS %d, load average %s\n", r.Date, m.CPUs, orUnknown(m.Model), m.GOMAXPROCS, orUnknown(m.LoadAvg))
	fmt.Fprintf(w, "%d agents (each its own code) deployed by %d senders, then called at random at concurrency %d for %s\n\n",
		r.Options.Agents, r.Options.Senders, r.Options.Concurrency, r.Options.Duration)
	fmt.Fprintln(w, "| phase | RSS MiB | Go heap MiB |")
	fmt.Fprintln(w, "|---|---:|---:|")
	for i, p := range []string{"node started", fmt.Sprintf("%d agents deployed", r.Options.Agents), "after the calls"} {
		fmt.Fprintf(w, "| %s | %.0f | %.0f |\n", p, r.RSSMiB[i], r.HeapMiB[i])
	}
	fmt.Fprintf(w, "\ndeploys: %.1f s, %.0f/s\n", r.DeployS, r.DeploysPerS)
	fmt.Fprintf(w, "calls: %d ok (%d errors) over %d distinct agents, %.0f/s; p50 %.2f ms, p99 %.2f ms, max %.1f ms\n",
		r.Calls, r.Errors, r.DistinctCalled, r.RPS, r.P50MS, r.P99MS, r.MaxMS)
}
