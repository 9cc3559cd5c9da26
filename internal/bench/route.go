package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testchain"
	"github.com/cove-network/cove/internal/testport"
	"github.com/cove-network/cove/node"
	"github.com/cove-network/cove/worker/ai"
)

// RouteOptions configures Route.
type RouteOptions struct {
	// Workers is the most worker nodes measured (1, 2, ... Workers).
	Workers int
	// WaitMS is how long the I/O agent waits (a timer) before it answers.
	WaitMS int
	// Concurrency callers call the I/O agent for Duration per step.
	Concurrency int
	Duration    time.Duration
	// HopRequests calls of the hello agent at concurrency 1 measure the
	// gateway→worker hop (through the remote workers, and through a cove
	// dev node's in-process worker).
	HopRequests int
}

// DefaultRouteOptions are `cove bench route`'s defaults.
func DefaultRouteOptions() RouteOptions {
	return RouteOptions{Workers: 3, WaitMS: 20, Concurrency: 64, Duration: 5 * time.Second, HopRequests: 2000}
}

// RouteStep is the load through the gateway with some workers.
type RouteStep struct {
	Workers int     `json:"workers"`
	RPS     float64 `json:"rps"`
	P50MS   float64 `json:"p50Ms"`
	P99MS   float64 `json:"p99Ms"`
	Errors  int     `json:"errors"`
	// PerWorker counts the calls each worker answered in a sample.
	PerWorker map[string]int `json:"perWorker"`
}

// RouteReport is what Route measured.
type RouteReport struct {
	Date    string       `json:"date"`
	Machine Machine      `json:"machine"`
	Options RouteOptions `json:"options"`
	Steps   []RouteStep  `json:"steps"`
	// The hello agent at concurrency 1: through the gateway to a remote
	// worker over its link, and through a cove dev node (worker in
	// process); the hop is the difference.
	RemoteP50MS, RemoteP99MS float64
	LocalP50MS, LocalP99MS   float64
}

// ioAgent waits on a timer, then answers: its calls are bound by the
// worker's slots, not by the CPU.
const ioAgent = `var __cove_agent = { default: { async fetch() { await new Promise(r => setTimeout(r, %d)); return new Response("waited"); } } };`

// helloCode answers at once.
const helloCode = `var __cove_agent = { default: { fetch() { return new Response("hello"); } } };`

// Route measures calls through one gateway as worker nodes are added (1,
// 2, ... o.Workers), all in this process: a validator whose gateway has no
// worker, and worker nodes serving their links (`cove testnet init
// --workers` layout). The agent waits on I/O, so the workers' invocation
// slots, not the two cores, bound each step. Then the latency the link
// adds: the hello agent at concurrency 1 through a remote worker and
// through a cove dev node's own worker.
func Route(ctx context.Context, o RouteOptions, log *slog.Logger, progress io.Writer) (*RouteReport, error) {
	if o.Workers < 1 || o.Concurrency < 1 || o.Duration <= 0 || o.HopRequests < 1 || o.WaitMS < 0 {
		return nil, errors.New("bench route: workers, concurrency, duration and hop requests must be positive")
	}
	rep := &RouteReport{Date: time.Now().UTC().Format(time.RFC3339), Machine: ThisMachine(), Options: o}
	dir, err := os.MkdirTemp("", "cove-bench-route-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	deployer, err := testchain.GenerateKey()
	if err != nil {
		return nil, err
	}
	base, err := testport.Consecutive(3 * (1 + o.Workers))
	if err != nil {
		return nil, err
	}
	homes, err := node.InitTestnet(filepath.Join(dir, "net"), node.Layout{Validators: 1, Workers: o.Workers}, base, []cove.Address{deployer.Address()})
	if err != nil {
		return nil, err
	}
	var nodes []*homeNode
	defer func() {
		for _, n := range nodes {
			n.stop()
		}
	}()
	gw, err := startHome(homes[0], log.With("node", "gateway"))
	if err != nil {
		return nil, err
	}
	nodes = append(nodes, gw)
	c, err := client.New("http://" + homes[0].HTTP)
	if err != nil {
		return nil, err
	}
	var ioURL, helloURL string
	for k := 1; k <= o.Workers; k++ {
		w, err := startHome(homes[k], log.With("node", fmt.Sprint("worker", k-1)))
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, w)
		fmt.Fprintf(progress, "worker %d: waiting for it to join the rotation\n", k)
		if err := waitRoutes(ctx, c, k); err != nil {
			return nil, err
		}
		if k == 1 {
			if ioURL, err = deployAndCall(ctx, c, deployer, fmt.Sprintf(ioAgent, o.WaitMS), "bench-io"); err != nil {
				return nil, err
			}
			if helloURL, err = deployAndCall(ctx, c, deployer, helloCode, "bench-hello"); err != nil {
				return nil, err
			}
			fmt.Fprintf(progress, "hop: %d hello calls at concurrency 1 through a remote worker\n", o.HopRequests)
			res, err := Run(ctx, Load{URL: helloURL, Concurrency: 1, Requests: o.HopRequests})
			if err != nil {
				return nil, err
			}
			rep.RemoteP50MS, rep.RemoteP99MS = millis(res.P50), millis(res.P99)
		}
		fmt.Fprintf(progress, "%d worker(s): %s of calls at concurrency %d to an agent waiting %d ms\n", k, o.Duration, o.Concurrency, o.WaitMS)
		res, err := Run(ctx, Load{URL: ioURL, Concurrency: o.Concurrency, Duration: o.Duration})
		if err != nil {
			return nil, err
		}
		step := RouteStep{Workers: k, RPS: res.RPS, P50MS: millis(res.P50), P99MS: millis(res.P99), Errors: res.Errors + res.Non2xx, PerWorker: map[string]int{}}
		if res.FirstError != "" && step.Errors > 0 {
			fmt.Fprintf(progress, "  errors: %d (first: %s)\n", step.Errors, res.FirstError)
		}
		// Which workers answer: a sample of concurrent calls.
		if step.PerWorker, err = sampleWorkers(ctx, ioURL, 4*o.Concurrency, o.Concurrency); err != nil {
			return nil, err
		}
		rep.Steps = append(rep.Steps, step)
	}
	for _, n := range nodes {
		n.stop()
	}
	nodes = nil

	fmt.Fprintf(progress, "hop: %d hello calls at concurrency 1 through a cove dev node (worker in process)\n", o.HopRequests)
	dev, err := startDevNode(ctx, "", 0, ai.Config{}, log.With("node", "dev"))
	if err != nil {
		return nil, err
	}
	defer dev.stop()
	localURL, err := deployAndCall(ctx, dev.c, dev.signer, helloCode, "bench-hello")
	if err != nil {
		return nil, err
	}
	res, err := Run(ctx, Load{URL: localURL, Concurrency: 1, Requests: o.HopRequests})
	if err != nil {
		return nil, err
	}
	rep.LocalP50MS, rep.LocalP99MS = millis(res.P50), millis(res.P99)
	return rep, nil
}

// Print writes the report as Markdown tables.
func (r *RouteReport) Print(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "cove bench route, %s: %d CPUs (%s), GOMAXPROCS %d, load average %s\n\n", r.Date, m.CPUs, orUnknown(m.Model), m.GOMAXPROCS, orUnknown(m.LoadAvg))
	fmt.Fprintf(w, "One gateway, worker nodes over their links; an agent waiting %d ms, %d callers, %s per step:\n\n", r.Options.WaitMS, r.Options.Concurrency, r.Options.Duration)
	fmt.Fprintln(w, "| workers | calls/s | p50 ms | p99 ms | errors | calls per worker (sample) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, s := range r.Steps {
		fmt.Fprintf(w, "| %d | %.0f | %.1f | %.1f | %d | %v |\n", s.Workers, s.RPS, s.P50MS, s.P99MS, s.Errors, sortedCounts(s.PerWorker))
	}
	fmt.Fprintf(w, "\nThe hop (hello agent, concurrency 1, %d calls):\n\n", r.Options.HopRequests)
	fmt.Fprintln(w, "| path | p50 ms | p99 ms |")
	fmt.Fprintln(w, "|---|---|---|")
	fmt.Fprintf(w, "| gateway → remote worker (TLS link, receipt checked) | %.3f | %.3f |\n", r.RemoteP50MS, r.RemoteP99MS)
	fmt.Fprintf(w, "| gateway → worker in process (cove dev) | %.3f | %.3f |\n", r.LocalP50MS, r.LocalP99MS)
	fmt.Fprintf(w, "| added by the hop | %.3f | %.3f |\n", r.RemoteP50MS-r.LocalP50MS, r.RemoteP99MS-r.LocalP99MS)
}

// sortedCounts lists a sample's counts, largest first, without the ids.
func sortedCounts(m map[string]int) []int {
	out := slices.Sorted(maps.Values(m))
	slices.Reverse(out)
	return out
}

// homeNode is one node of a testnet layout running in this process.
type homeNode struct {
	cancel context.CancelFunc
	done   chan error
}

func startHome(h node.TestnetNode, log *slog.Logger) (*homeNode, error) {
	cfg, err := node.LoadConfig(h.Home)
	if err != nil {
		return nil, err
	}
	cfg.Validator.BlockInterval = 50 * time.Millisecond
	var ln net.Listener
	if cfg.Roles.Gateway {
		if ln, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return nil, err
		}
	}
	n, err := node.New(cfg, log)
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	hn := &homeNode{cancel: cancel, done: make(chan error, 1)}
	go func() { hn.done <- n.Run(ctx, ln) }()
	return hn, nil
}

func (h *homeNode) stop() {
	h.cancel()
	<-h.done
}

// waitRoutes waits until the gateway has k workers in rotation, holding a
// key.
func waitRoutes(ctx context.Context, c *client.Client, k int) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		info, err := c.NodeInfo(ctx)
		up := 0
		if err == nil {
			for _, r := range info.Routes {
				if r.Up && r.Ready {
					up++
				}
			}
		}
		if up >= k {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d workers in the gateway's rotation (have %d): %w", k, up, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// deployAndCall deploys code and calls it until it answers 200; it returns
// the URL to load.
func deployAndCall(ctx context.Context, c *client.Client, signer client.Signer, code, name string) (string, error) {
	a, err := c.DeployCode(ctx, []byte(code), client.DeployOptions{Signer: signer, Name: name})
	if err != nil {
		return "", fmt.Errorf("deploy %s: %w", name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		resp, err := c.Call(ctx, a.ID, http.MethodGet, "/", nil, nil)
		if err == nil && resp.Status == http.StatusOK {
			return c.Base() + "/agents/" + a.ID.String() + "/", nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("agent %s never answered 200 (%v)", name, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// sampleWorkers makes n calls, concurrency at a time, and counts the
// workers that answered (the Cove-Worker header).
func sampleWorkers(ctx context.Context, url string, n, concurrency int) (map[string]int, error) {
	out := map[string]int{}
	type answer struct {
		worker string
		err    error
	}
	ch := make(chan answer, n)
	sem := make(chan struct{}, concurrency)
	hc := &http.Client{Timeout: 10 * time.Second}
	for range n {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			resp, err := hc.Do(req)
			if err != nil {
				ch <- answer{err: err}
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			ch <- answer{worker: resp.Header.Get(api.HeaderWorker)}
		}()
	}
	for range n {
		a := <-ch
		if a.err != nil {
			return nil, a.err
		}
		out[a.worker]++
	}
	return out, nil
}
