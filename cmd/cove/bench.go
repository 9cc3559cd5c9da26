package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/bundle"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/bench"
	"github.com/cove-network/cove/node"
)

const (
	benchAgent   = "examples/hello.ts"
	benchPath    = "/hello?name=Ada"
	benchWant    = `{"greeting":"Hello Ada","agent":"hello"}`
	benchDeploys = 5
)

type benchOptions struct {
	duration    time.Duration
	warmup      time.Duration
	concurrency int
	dataDir     string
	asJSON      bool
	cpuProfile  string
}

func newBenchCmd(g *globals) *cobra.Command {
	o := benchOptions{duration: 10 * time.Second, warmup: 2 * time.Second, concurrency: 32}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure requests/s and latency of an agent against the same handler on plain Node.js",
		Long: `Start a node in this process as cove dev does (a single-validator chain, the
simulated TEE, the gateway on 127.0.0.1), deploy examples/hello.ts, check that
its responses carry a valid signed receipt, and load
GET /agents/{id}/hello?name=Ada with --concurrency keep-alive workers for
--duration after --warmup. Then run the same handler on plain node:http
(testdata/bench/hello-node.mjs) with the same load, and print both side by
side, the deploy-to-first-response time (median and max of 5 fresh deploys)
and the cost per request of the sandbox and of receipt signing measured alone.

Run it from the repository root on an otherwise idle machine: the load
generator, the node and the baseline share this machine's cores.`,
		Example: `  go run ./cmd/cove bench
  go run ./cmd/cove bench --duration 30s --concurrency 64 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.concurrency < 1 {
				return fmt.Errorf("--concurrency %d: want at least 1", o.concurrency)
			}
			if o.duration <= 0 || o.warmup < 0 {
				return errors.New("--duration must be positive and --warmup not negative")
			}
			for _, f := range []string{benchAgent, bench.NodeScript} {
				if _, err := os.Stat(f); err != nil {
					wd, _ := os.Getwd()
					return fmt.Errorf("%s not found in %s: run from the repository root", f, wd)
				}
			}
			log, err := benchLogger(cmd, g)
			if err != nil {
				return err
			}
			rep, err := runBench(cmd.Context(), o, log, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if o.asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			rep.print(cmd.OutOrStdout())
			return nil
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.duration, "duration", o.duration, "how long each target is measured")
	f.DurationVar(&o.warmup, "warmup", o.warmup, "load before measuring each target, not counted")
	f.IntVar(&o.concurrency, "concurrency", o.concurrency, "concurrent workers, each with one keep-alive connection")
	f.StringVar(&o.dataDir, "data-dir", "", "the node's data directory (default a temporary one, removed after)")
	f.BoolVar(&o.asJSON, "json", false, "print the results as JSON")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured cove phase to this file (go tool pprof)")
	cmd.AddCommand(newBenchChainCmd(g))
	return cmd
}

// benchLogger is the global logger, at warn unless --log-level was given:
// the node's info lines would drown the progress lines.
func benchLogger(cmd *cobra.Command, g *globals) (*slog.Logger, error) {
	if fl := cmd.Flag("log-level"); fl != nil && !fl.Changed {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), nil
	}
	return g.logger()
}

// benchReport is everything `cove bench` measured.
type benchReport struct {
	Date        string        `json:"date"`
	Machine     bench.Machine `json:"machine"`
	LoadAvgEnd  string        `json:"loadavgAfter,omitempty"`
	Concurrency int           `json:"concurrency"`
	DurationS   float64       `json:"durationSeconds"`
	WarmupS     float64       `json:"warmupSeconds"`
	Path        string        `json:"path"`

	Cove        benchTarget  `json:"cove"`
	Node        *benchTarget `json:"node,omitempty"`
	NodeSkipped string       `json:"nodeSkipped,omitempty"`
	Ratio       float64      `json:"ratio,omitempty"` // cove / node requests per second

	// DeployMS is deploy-to-first-response of each deploy, in order: the
	// deploy (bundle, upload, the DeployAgent transaction until its block)
	// is DeployOnlyMS and the rest the first call. The first deploy is the
	// coldest: later ones reuse the worker's compiled program (same code
	// hash).
	DeployMS     []float64 `json:"deployToFirstResponseMs"`
	DeployOnlyMS []float64 `json:"deployMs"`
	// SandboxMS and SigningMS are the per-request costs measured alone on
	// one goroutine (wall time), and the CPU fields the CPU time of the same.
	SandboxMS    float64 `json:"sandboxMs"`
	SandboxCPUMS float64 `json:"sandboxCpuMs"`
	SigningMS    float64 `json:"signingMs"`
	SigningCPUMS float64 `json:"signingCpuMs"`
	// CPU per request in ms, from the process CPU clocks (0 where unknown):
	// CoveCPUMS is this process (gateway, worker and load generator) while
	// measuring cove; LoadGenCPUMS this process while measuring node (the
	// load generator alone); NodeCPUMS the node child while measuring it
	// (over its whole life where /proc is missing).
	CoveCPUMS    float64 `json:"coveCpuMsPerRequest,omitempty"`
	LoadGenCPUMS float64 `json:"loadGeneratorCpuMsPerRequest,omitempty"`
	NodeCPUMS    float64 `json:"nodeCpuMsPerRequest,omitempty"`
	// OtherCoresCove and OtherCoresNode are the cores other processes kept
	// busy on average while each target was measured (from /proc/stat; -1
	// where unknown): what disturbed the run.
	OtherCoresCove float64 `json:"otherProcessesCoresDuringCove"`
	OtherCoresNode float64 `json:"otherProcessesCoresDuringNode"`
}

// benchTarget is one row of the table.
type benchTarget struct {
	Requests   int     `json:"requests"`
	RPS        float64 `json:"rps"`
	P50MS      float64 `json:"p50Ms"`
	P90MS      float64 `json:"p90Ms"`
	P99MS      float64 `json:"p99Ms"`
	MaxMS      float64 `json:"maxMs"`
	Errors     int     `json:"errors"`
	Non2xx     int     `json:"non2xx"`
	FirstError string  `json:"firstError,omitempty"`
}

func newBenchTarget(r bench.Result) benchTarget {
	return benchTarget{
		Requests: r.Requests, RPS: r.RPS,
		P50MS: ms(r.P50), P90MS: ms(r.P90), P99MS: ms(r.P99), MaxMS: ms(r.Max),
		Errors: r.Errors, Non2xx: r.Non2xx, FirstError: r.FirstError,
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func runBench(ctx context.Context, o benchOptions, log *slog.Logger, progress io.Writer) (*benchReport, error) {
	say := func(format string, args ...any) { fmt.Fprintf(progress, "bench: "+format+"\n", args...) }
	rep := &benchReport{
		Date:        time.Now().UTC().Format(time.RFC3339),
		Machine:     bench.ThisMachine(),
		Concurrency: o.concurrency,
		DurationS:   o.duration.Seconds(),
		WarmupS:     o.warmup.Seconds(),
		Path:        "/agents/{id}" + benchPath,
	}
	say("%d CPUs (%s), load average %s", rep.Machine.CPUs, rep.Machine.Model, rep.Machine.LoadAvg)
	load := func(url string, d time.Duration) (bench.Result, error) {
		return bench.Run(ctx, bench.Load{URL: url, Concurrency: o.concurrency, Duration: d})
	}

	// Cove: a node in this process.
	cove, err := startBenchNode(ctx, o.dataDir, log)
	if err != nil {
		return nil, err
	}
	defer cove.stop()
	say("deploying %s %d times...", benchAgent, benchDeploys)
	url, err := cove.deploy(ctx, rep)
	if err != nil {
		return nil, err
	}
	stopProfile, err := startBenchProfile(o.cpuProfile)
	if err != nil {
		return nil, err
	}
	coveRes, cu, err := measure(say, "cove", url, o, load, nil)
	stopProfile()
	if err != nil {
		return nil, err
	}
	rep.Cove = newBenchTarget(coveRes)
	rep.CoveCPUMS = perRequest(cu.self, cu.selfOK, coveRes.Requests)
	rep.OtherCoresCove = cu.otherCores(coveRes.Elapsed)
	cove.stop() // idle, but out of the way of the baseline

	// The same handler on plain Node.js.
	srv, err := bench.StartNode(ctx, bench.NodeScript)
	switch {
	case errors.Is(err, bench.ErrNoNode):
		rep.NodeSkipped = "skipped (node not found)"
		say("node not found: the baseline is skipped")
	case err != nil:
		return nil, err
	default:
		res, nu, served, err := runNodeBaseline(ctx, srv, say, o, load)
		lifetime := srv.Stop()
		if err != nil {
			return nil, err
		}
		t := newBenchTarget(res)
		rep.Node = &t
		if res.RPS > 0 {
			rep.Ratio = coveRes.RPS / res.RPS
		}
		rep.LoadGenCPUMS = perRequest(nu.self, nu.selfOK, res.Requests)
		if nu.machineOK {
			rep.NodeCPUMS = perRequest(nu.child, true, res.Requests)
		} else { // no /proc: its whole life, warm-up included
			rep.NodeCPUMS = perRequest(lifetime, true, served)
		}
		rep.OtherCoresNode = nu.otherCores(res.Elapsed)
	}

	// The worker's two big costs, alone on one goroutine.
	code, err := bundle.Build(benchAgent)
	if err != nil {
		return nil, err
	}
	say("measuring the sandbox alone (2s)...")
	sb, err := bench.SandboxCost(ctx, code.Code, "http://127.0.0.1"+benchPath, 2*time.Second)
	if err != nil {
		return nil, fmt.Errorf("sandbox cost: %w", err)
	}
	say("measuring receipt signing alone (2s)...")
	sg, err := bench.SignCost(ctx, 2*time.Second)
	if err != nil {
		return nil, fmt.Errorf("signing cost: %w", err)
	}
	rep.SandboxMS, rep.SandboxCPUMS = sb.Millis(), sb.CPUMillis()
	rep.SigningMS, rep.SigningCPUMS = sg.Millis(), sg.CPUMillis()
	rep.LoadAvgEnd = bench.LoadAvg()
	return rep, nil
}

// phaseCPU is the CPU time used while one target was measured: by this
// process (selfOK where known), and, where /proc tells (machineOK), by the
// server child process and by the whole machine.
type phaseCPU struct {
	self, child, machine time.Duration
	selfOK, machineOK    bool
}

func takeCPU(child func() (time.Duration, bool)) phaseCPU {
	var p phaseCPU
	p.self, p.selfOK = bench.ProcessCPU()
	var childOK = true
	if child != nil {
		p.child, childOK = child()
	}
	p.machine, p.machineOK = bench.MachineBusy()
	p.machineOK = p.machineOK && childOK && p.selfOK
	return p
}

func (p phaseCPU) sub(q phaseCPU) phaseCPU {
	return phaseCPU{
		self: p.self - q.self, child: p.child - q.child, machine: p.machine - q.machine,
		selfOK: p.selfOK && q.selfOK, machineOK: p.machineOK && q.machineOK,
	}
}

// otherCores is how many cores other processes kept busy on average over
// elapsed; -1 where unknown.
func (p phaseCPU) otherCores(elapsed time.Duration) float64 {
	if !p.machineOK || elapsed <= 0 {
		return -1
	}
	return max(0, (p.machine-p.self-p.child).Seconds()/elapsed.Seconds())
}

// measure warms a target up, then measures it, and returns what the load
// measured and the CPU time used meanwhile. child, if not nil, reads the
// server process's CPU time.
func measure(say func(string, ...any), name, url string, o benchOptions, load func(string, time.Duration) (bench.Result, error), child func() (time.Duration, bool)) (bench.Result, phaseCPU, error) {
	if o.warmup > 0 {
		say("warming up %s %s...", name, o.warmup)
		if _, err := load(url, o.warmup); err != nil {
			return bench.Result{}, phaseCPU{}, err
		}
	}
	say("measuring %s %s...", name, o.duration)
	before := takeCPU(child)
	res, err := load(url, o.duration)
	if err != nil {
		return res, phaseCPU{}, err
	}
	used := takeCPU(child).sub(before)
	if res.OK == 0 {
		return res, used, fmt.Errorf("%s: no successful response in %d requests (%s)", name, res.Requests, res.FirstError)
	}
	return res, used, nil
}

// runNodeBaseline checks that the baseline answers what the agent answers,
// then loads it like the agent. served counts every request it answered,
// warm-up included, to divide its lifetime CPU by where /proc is missing.
func runNodeBaseline(ctx context.Context, srv *bench.NodeServer, say func(string, ...any), o benchOptions, load func(string, time.Duration) (bench.Result, error)) (res bench.Result, used phaseCPU, served int, err error) {
	url := srv.URL + benchPath
	body, status, err := benchGet(ctx, url)
	if err != nil {
		return res, used, 0, fmt.Errorf("baseline: %w", err)
	}
	if status != http.StatusOK || body != benchWant {
		return res, used, 0, fmt.Errorf("baseline answered %d %q, want 200 %s", status, body, benchWant)
	}
	served = 1
	if o.warmup > 0 {
		say("warming up node %s...", o.warmup)
		w, err := load(url, o.warmup)
		if err != nil {
			return res, used, 0, err
		}
		served += w.Requests
		o.warmup = 0
	}
	res, used, err = measure(say, "node", url, o, load, srv.CPU)
	return res, used, served + res.Requests, err
}

func benchGet(ctx context.Context, url string) (string, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return string(b), resp.StatusCode, err
}

func perRequest(cpu time.Duration, ok bool, n int) float64 {
	if !ok || cpu <= 0 || n <= 0 {
		return 0
	}
	return ms(cpu) / float64(n)
}

// benchNode is a node running in this process for the benchmark.
type benchNode struct {
	c       *client.Client
	signer  *account.Signer // owns the deployed agents
	cancel  context.CancelFunc
	done    chan error
	tempDir string // removed by stop; "" when --data-dir was given
	stopped bool
}

func startBenchNode(ctx context.Context, dataDir string, log *slog.Logger) (*benchNode, error) {
	b := &benchNode{}
	if dataDir == "" {
		d, err := os.MkdirTemp("", "cove-bench-")
		if err != nil {
			return nil, fmt.Errorf("bench data dir: %w", err)
		}
		dataDir, b.tempDir = d, d
	}
	fail := func(err error) (*benchNode, error) {
		b.removeTemp()
		return nil, err
	}
	// The node of `cove dev`: a single-validator chain whose genesis funds
	// the deployer key, kept in the data dir, not in ~/.cove. The worker is
	// not registered on the chain (no operator key): it serves its local
	// gateway all the same, and a registration would race the deploys for
	// the key's nonces.
	store, err := account.Open(filepath.Join(dataDir, "keys"))
	if err != nil {
		return fail(err)
	}
	key, err := store.Ensure("deployer")
	if err != nil {
		return fail(fmt.Errorf("bench deployer key: %w", err))
	}
	if b.signer, err = store.Signer(key.Name, ""); err != nil {
		return fail(fmt.Errorf("bench deployer key: %w", err))
	}
	cfg := node.DefaultConfig()
	cfg.DataDir = filepath.Join(dataDir, "node")
	cfg.Validator.Home = filepath.Join(cfg.DataDir, "chain")
	cfg.Validator.RPCAddr = "" // not needed: the client goes through the gateway
	cfg.Validator.P2PAddr = "127.0.0.1:0"
	if _, err := node.InitDev(cfg, key.Address); err != nil {
		return fail(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(fmt.Errorf("listen: %w", err))
	}
	cfg.HTTPAddr = ln.Addr().String()
	n, err := node.New(cfg, log)
	if err != nil {
		ln.Close()
		return fail(err)
	}
	nctx, cancel := context.WithCancel(context.Background())
	b.cancel, b.done = cancel, make(chan error, 1)
	go func() { b.done <- n.Run(nctx, ln) }()
	b.c, err = client.New("http://" + ln.Addr().String())
	if err == nil {
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		err = b.c.WaitHealthy(wctx)
		wcancel()
	}
	if err != nil {
		b.stop()
		return nil, err
	}
	return b, nil
}

// deploy deploys the agent benchDeploys times, each a new agent, timing each
// from the start of the deploy to the first 200, checks the first response's
// receipt and returns the URL of the last agent's /hello.
func (b *benchNode) deploy(ctx context.Context, rep *benchReport) (string, error) {
	var last api.AgentView
	for i := range benchDeploys {
		start := time.Now()
		a, err := b.c.Deploy(ctx, benchAgent, client.DeployOptions{Signer: b.signer, Name: "bench-hello"})
		if err != nil {
			return "", fmt.Errorf("deploy %s: %w", benchAgent, err)
		}
		deployed := time.Since(start)
		resp, err := b.firstOK(ctx, a)
		if err != nil {
			return "", err
		}
		rep.DeployMS = append(rep.DeployMS, ms(time.Since(start)))
		rep.DeployOnlyMS = append(rep.DeployOnlyMS, ms(deployed))
		if i == 0 {
			// Receipts are on: the response is signed by the agent's attestor
			// and covers this request and body.
			if _, err := resp.Verify(a.Attestor); err != nil {
				return "", fmt.Errorf("the agent's receipt does not verify: %w", err)
			}
			if string(resp.Body) != benchWant {
				return "", fmt.Errorf("agent answered %q, want %s", resp.Body, benchWant)
			}
		}
		last = a
	}
	return b.c.Base() + "/agents/" + last.ID.String() + benchPath, nil
}

// firstOK calls the agent until it answers 200, for up to 30 s.
func (b *benchNode) firstOK(ctx context.Context, a api.AgentView) (*client.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		resp, err := b.c.Call(ctx, a.ID, http.MethodGet, benchPath, nil, nil)
		if err == nil && resp.Status == http.StatusOK {
			return resp, nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("status %d: %s", resp.Status, truncateBench(string(resp.Body), 200))
			}
			return nil, fmt.Errorf("agent %s never answered 200: %w", a.ID, err)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// stop stops the node, waits for it and removes a temporary data dir. It is
// safe to call more than once.
func (b *benchNode) stop() {
	if b.stopped {
		return
	}
	b.stopped = true
	b.cancel()
	<-b.done
	b.removeTemp()
}

func (b *benchNode) removeTemp() {
	if b.tempDir != "" {
		os.RemoveAll(b.tempDir)
	}
}

func truncateBench(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// print writes the report as a Markdown table and a few lines.
func (r *benchReport) print(w io.Writer) {
	m := r.Machine
	model := m.Model
	if model == "" {
		model = "CPU model unknown"
	}
	fmt.Fprintf(w, "cove bench, %s: %d CPUs (%s), GOMAXPROCS %d, load average %s before, %s after\n",
		r.Date, m.CPUs, model, m.GOMAXPROCS, orUnknown(m.LoadAvg), orUnknown(r.LoadAvgEnd))
	fmt.Fprintf(w, "GET %s, %d workers with keep-alive, %s warm-up, %s measured per target\n\n",
		r.Path, r.Concurrency, time.Duration(r.WarmupS*float64(time.Second)), time.Duration(r.DurationS*float64(time.Second)))
	fmt.Fprintln(w, "| target | requests/s | p50 ms | p99 ms | errors |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	row := func(name string, t benchTarget) {
		fmt.Fprintf(w, "| %s | %.0f | %.2f | %.2f | %d |\n", name, t.RPS, t.P50MS, t.P99MS, t.Errors+t.Non2xx)
	}
	row("cove (gateway, fresh sandbox, signed receipt)", r.Cove)
	if r.Node != nil {
		row("node (node:http, same handler)", *r.Node)
	} else {
		fmt.Fprintf(w, "| node (node:http, same handler) | %s | | | |\n", r.NodeSkipped)
	}
	fmt.Fprintln(w)
	if r.Node != nil {
		verdict := "reached"
		if r.Ratio < 0.5 {
			verdict = "not reached"
		}
		fmt.Fprintf(w, "cove/node throughput: %.3f (target 0.5: %s)\n", r.Ratio, verdict)
	}
	if len(r.DeployMS) > 0 {
		s := slices.Clone(r.DeployMS)
		slices.Sort(s)
		all := make([]string, len(r.DeployMS))
		for i, v := range r.DeployMS {
			all[i] = fmt.Sprintf("%.1f", v)
		}
		fmt.Fprintf(w, "deploy-to-first-response: median %.1f ms, max %.1f ms (%d fresh deploys, in order: %s ms)\n",
			s[len(s)/2], s[len(s)-1], len(s), strings.Join(all, ", "))
	}
	if len(r.DeployOnlyMS) > 0 {
		s := slices.Clone(r.DeployOnlyMS)
		slices.Sort(s)
		fmt.Fprintf(w, "  of which the deploy (bundle, upload, DeployAgent committed in a block): median %.1f ms, max %.1f ms\n", s[len(s)/2], s[len(s)-1])
	}
	fmt.Fprintf(w, "per-request cost (1 core): sandbox %.3f ms, signing %.3f ms (CPU time: %.3f ms, %.3f ms)\n",
		r.SandboxMS, r.SigningMS, r.SandboxCPUMS, r.SigningCPUMS)
	if r.CoveCPUMS > 0 {
		line := fmt.Sprintf("CPU per request (all cores): cove process %.3f ms (gateway, worker and load generator)", r.CoveCPUMS)
		if r.NodeCPUMS > 0 && r.LoadGenCPUMS > 0 {
			line += fmt.Sprintf("; load generator alone %.3f ms; node server %.3f ms", r.LoadGenCPUMS, r.NodeCPUMS)
		}
		fmt.Fprintln(w, line)
		if srv := r.CoveCPUMS - r.LoadGenCPUMS; r.NodeCPUMS > 0 && r.LoadGenCPUMS > 0 && srv > 0 {
			// CPU per request changes less than requests/s when other
			// processes take the cores. Node runs its JS on one thread, so
			// its requests/s is bounded by one core; cove's by all of them.
			fmt.Fprintf(w, "server CPU per request: cove %.3f ms (cove process minus load generator), node %.3f ms (one thread)\n",
				srv, r.NodeCPUMS)
		}
	}
	if r.OtherCoresCove >= 0 {
		line := fmt.Sprintf("other processes kept %.2f of %d cores busy while cove was measured", r.OtherCoresCove, m.CPUs)
		if r.Node != nil && r.OtherCoresNode >= 0 {
			line += fmt.Sprintf(", %.2f while node was", r.OtherCoresNode)
		}
		fmt.Fprintln(w, line)
	}
}

// startBenchProfile starts a CPU profile to path ("" does nothing) and
// returns the function that stops it.
func startBenchProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
