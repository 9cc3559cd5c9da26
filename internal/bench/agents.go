package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cove-network/cove/bundle"
	"github.com/cove-network/cove/receipt"
	"github.com/cove-network/cove/worker/ai"
)

// AgentFile is the agent `cove bench` deploys and loads, relative to the
// repository root; NodeScript is the same handler on plain Node.js.
const AgentFile = "examples/hello.ts"

const (
	agentPath = "/hello?name=Ada"
	agentWant = `{"greeting":"Hello Ada","agent":"hello"}`
)

// AgentOptions configures Agents.
type AgentOptions struct {
	// Duration is how long each target is measured, after Warmup of load
	// that is not counted.
	Duration time.Duration
	Warmup   time.Duration
	// Concurrency is the number of closed-loop workers, each with one
	// keep-alive connection.
	Concurrency int
	// Deploys is how many fresh deploys of AgentFile are timed from the
	// start of the deploy to the first response.
	Deploys int
	// CostTime is how long the sandbox and receipt signing are each
	// measured alone.
	CostTime time.Duration
	// Dir is the repository root, where AgentFile and NodeScript are; ""
	// is the current directory.
	Dir string
	// DataDir is the node's data directory; "" means a temporary one,
	// removed afterwards.
	DataDir string
	// CPUProfile, if not nil, receives a CPU profile (runtime/pprof) of the
	// measured cove phase.
	CPUProfile io.Writer
	// LoadGen is LoadGenBuiltin (Run, in this process) or LoadGenWrk (wrk,
	// a separate process); empty is wrk when it is installed and the
	// duration and warm-up are whole seconds it can measure, else builtin.
	LoadGen string
	// ReceiptBatch is the node's worker receipt_batch: 0 its default
	// (responses ready at once share a signature, ADR 18), 1 every
	// response signed alone.
	ReceiptBatch int
	// Rounds is how many times cove and Node are measured in turn (0 is
	// 1). The cove node is stopped while Node is measured (an idle node
	// still slows Node by ~10% on two cores) and started again from its
	// data for the next round. The report's rows are those of the round
	// whose cove/Node ratio is the median: one slow minute of either no
	// longer decides the ratio.
	Rounds int
}

// maxRounds bounds AgentOptions.Rounds.
const maxRounds = 25

// DefaultAgentOptions returns the defaults of `cove bench`.
func DefaultAgentOptions() AgentOptions {
	return AgentOptions{
		Duration:    10 * time.Second,
		Warmup:      2 * time.Second,
		Concurrency: 32,
		Deploys:     5,
		CostTime:    2 * time.Second,
	}
}

// Validate reports options Agents cannot run with.
func (o AgentOptions) Validate() error {
	switch {
	case o.Concurrency < 1:
		return fmt.Errorf("bench: concurrency %d: want at least 1", o.Concurrency)
	case o.Duration <= 0 || o.Warmup < 0:
		return errors.New("bench: the duration must be positive and the warm-up not negative")
	case o.Deploys < 1:
		return fmt.Errorf("bench: %d deploys: want at least 1", o.Deploys)
	case o.ReceiptBatch < 0:
		return fmt.Errorf("bench: receipt batch %d: want 0 (the worker's default) or more", o.ReceiptBatch)
	case o.Rounds < 0 || o.Rounds > maxRounds:
		return fmt.Errorf("bench: %d rounds: want 1 to %d", o.Rounds, maxRounds)
	case o.CostTime <= 0:
		return errors.New("bench: the cost measurement time must be positive")
	case o.LoadGen != "" && o.LoadGen != LoadGenBuiltin && o.LoadGen != LoadGenWrk:
		return fmt.Errorf("bench: load generator %q: want %s or %s", o.LoadGen, LoadGenBuiltin, LoadGenWrk)
	case o.LoadGen == LoadGenWrk && (o.Duration < time.Second || (o.Warmup > 0 && o.Warmup < time.Second)):
		return errors.New("bench: wrk measures whole seconds: use a duration (and a warm-up, if any) of at least 1s")
	}
	return nil
}

// AgentReport is everything Agents measured (`cove bench`, and its JSON).
type AgentReport struct {
	Date        string  `json:"date"`
	Machine     Machine `json:"machine"`
	LoadAvgEnd  string  `json:"loadavgAfter,omitempty"`
	Concurrency int     `json:"concurrency"`
	DurationS   float64 `json:"durationSeconds"`
	WarmupS     float64 `json:"warmupSeconds"`
	Path        string  `json:"path"`
	// LoadGen is the load generator that measured both targets:
	// LoadGenBuiltin or LoadGenWrk.
	LoadGen string `json:"loadGenerator"`
	// ReceiptBatch is the worker's receipt_batch during the run (0: its
	// default, receipt.DefaultBatch).
	ReceiptBatch int `json:"receiptBatch"`

	Cove        Target  `json:"cove"`
	Node        *Target `json:"node,omitempty"`
	NodeSkipped string  `json:"nodeSkipped,omitempty"`
	Ratio       float64 `json:"ratio,omitempty"` // cove / node requests per second
	// Rounds, with more than one, is each round's requests/s of both
	// targets, in order; Cove, Node and Ratio are then those of MedianRound
	// (0-based), the round whose ratio is the median (the lower middle one
	// for an even count).
	Rounds      []Round `json:"rounds,omitempty"`
	MedianRound int     `json:"medianRound,omitempty"`

	// DeployMS is deploy-to-first-response of each deploy, in order: the
	// deploy (bundle, upload, the DeployAgent transaction until its block)
	// is DeployOnlyMS and the rest the first call. The first deploy is the
	// coldest: later ones reuse the worker's compiled program (same code
	// hash).
	DeployMS     []float64 `json:"deployToFirstResponseMs"`
	DeployOnlyMS []float64 `json:"deployMs"`
	// SandboxMS and SigningMS are the per-request costs measured alone on
	// one goroutine (wall time), and the CPU fields the CPU time of the same:
	// the sandbox in a warm VM of the agent (isolation "agent", the
	// default) and, SandboxFresh*, in a fresh VM per call (isolation
	// "request").
	SandboxMS         float64 `json:"sandboxMs"`
	SandboxCPUMS      float64 `json:"sandboxCpuMs"`
	SandboxFreshMS    float64 `json:"sandboxFreshMs"`
	SandboxFreshCPUMS float64 `json:"sandboxFreshCpuMs"`
	SigningMS         float64 `json:"signingMs"`
	SigningCPUMS      float64 `json:"signingCpuMs"`
	// SigningBatchMS is signing's cost per response in a batch of
	// receipt.DefaultBatch under one signature (version 3, ADR 18).
	SigningBatchMS float64 `json:"signingBatchMs"`
	// ReceiptsPerSignature is the worker's mean batch while cove was
	// measured: receipts signed over signatures made (1: all alone).
	ReceiptsPerSignature float64 `json:"receiptsPerSignature,omitempty"`
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

// Round is one round of AgentReport: cove and Node measured in turn.
type Round struct {
	CoveRPS float64 `json:"coveRps"`
	NodeRPS float64 `json:"nodeRps"`
	Ratio   float64 `json:"ratio"`
}

// Target is what one target of AgentReport measured: one row of its table.
type Target struct {
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

func newTarget(r Result) Target {
	return Target{
		Requests: r.Requests, RPS: r.RPS,
		P50MS: millis(r.P50), P90MS: millis(r.P90), P99MS: millis(r.P99), MaxMS: millis(r.Max),
		Errors: r.Errors, Non2xx: r.Non2xx, FirstError: r.FirstError,
	}
}

// Agents measures agent calls through Cove against the same handler on
// plain Node.js (`cove bench`). It starts a node in this process as `cove
// dev` does (a single-validator chain, the simulated TEE, a worker
// registered by the node's operator key and provisioned by its gatekeeper,
// the gateway on 127.0.0.1), deploys AgentFile o.Deploys times, timing each
// deploy to its first response and checking the first response's receipt,
// then loads the last agent with o.Concurrency closed-loop workers. Then it
// runs NodeScript under the same load (skipped, and said so in the report,
// when node is not installed); with o.Rounds above 1, the two in turn that
// many times (measureRounds). Last it measures the sandbox and receipt
// signing alone. Progress lines go to progress, the node's logs to log.
func Agents(ctx context.Context, o AgentOptions, log *slog.Logger, progress io.Writer) (*AgentReport, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	say := func(format string, args ...any) { fmt.Fprintf(progress, "bench: "+format+"\n", args...) }
	rep := &AgentReport{
		Date:        time.Now().UTC().Format(time.RFC3339),
		Machine:     ThisMachine(),
		Concurrency: o.Concurrency,
		DurationS:   o.Duration.Seconds(),
		WarmupS:     o.Warmup.Seconds(),
		Path:        "/agents/{id}" + agentPath,
	}
	say("%d CPUs (%s), load average %s", rep.Machine.CPUs, rep.Machine.Model, rep.Machine.LoadAvg)
	rep.LoadGen, rep.ReceiptBatch = o.LoadGen, o.ReceiptBatch
	if rep.LoadGen == "" {
		rep.LoadGen = LoadGenBuiltin
		_, err := exec.LookPath("wrk")
		if err == nil && o.Duration >= time.Second && (o.Warmup == 0 || o.Warmup >= time.Second) {
			rep.LoadGen = LoadGenWrk
		}
	}
	say("load generator: %s", rep.LoadGen)
	load := func(url string, d time.Duration) (Result, error) {
		l := Load{URL: url, Concurrency: o.Concurrency, Duration: d}
		if rep.LoadGen == LoadGenWrk {
			return RunWrk(ctx, l)
		}
		return Run(ctx, l)
	}
	agentFile := filepath.Join(o.Dir, AgentFile)

	// Cove: a node in this process.
	cove, err := startDevNode(ctx, o.DataDir, o.ReceiptBatch, ai.Config{}, log)
	if err != nil {
		return nil, err
	}
	defer cove.stop()
	say("deploying %s %d times...", AgentFile, o.Deploys)
	url, err := cove.deploy(ctx, agentFile, o.Deploys, rep)
	if err != nil {
		return nil, err
	}
	if rounds := max(1, o.Rounds); rounds > 1 {
		if err := measureRounds(ctx, say, cove, url, o, rounds, load, rep); err != nil {
			return nil, err
		}
	} else if err := measureOnce(ctx, say, cove, url, o, load, rep); err != nil {
		return nil, err
	}

	// The worker's two big costs, alone on one goroutine.
	code, err := bundle.Build(agentFile)
	if err != nil {
		return nil, err
	}
	say("measuring the sandbox alone, in a warm VM and in fresh ones (%s each)...", o.CostTime)
	sb, err := SandboxCost(ctx, code.Code, "http://127.0.0.1"+agentPath, o.CostTime, true)
	if err != nil {
		return nil, fmt.Errorf("sandbox cost: %w", err)
	}
	sbFresh, err := SandboxCost(ctx, code.Code, "http://127.0.0.1"+agentPath, o.CostTime, false)
	if err != nil {
		return nil, fmt.Errorf("sandbox cost: %w", err)
	}
	rep.SandboxFreshMS, rep.SandboxFreshCPUMS = sbFresh.Millis(), sbFresh.CPUMillis()
	say("measuring receipt signing alone and in batches (%s each)...", o.CostTime)
	sg, err := SignCost(ctx, o.CostTime, 1)
	if err != nil {
		return nil, fmt.Errorf("signing cost: %w", err)
	}
	sgBatch, err := SignCost(ctx, o.CostTime, receipt.DefaultBatch)
	if err != nil {
		return nil, fmt.Errorf("batched signing cost: %w", err)
	}
	rep.SigningBatchMS = sgBatch.Millis()
	rep.SandboxMS, rep.SandboxCPUMS = sb.Millis(), sb.CPUMillis()
	rep.SigningMS, rep.SigningCPUMS = sg.Millis(), sg.CPUMillis()
	rep.LoadAvgEnd = LoadAvg()
	return rep, nil
}

// measureOnce measures cove, stops its node, then measures Node: one
// round, each target with the machine to itself.
func measureOnce(ctx context.Context, say func(string, ...any), cove *devNode, url string, o AgentOptions, load func(string, time.Duration) (Result, error), rep *AgentReport) error {
	stopProfile, err := startProfile(o.CPUProfile)
	if err != nil {
		return err
	}
	receipts, signatures := cove.signed()
	coveRes, cu, err := measure(say, "cove", url, o, load, nil)
	stopProfile()
	if err != nil {
		return err
	}
	if r, s := cove.signed(); s > signatures {
		rep.ReceiptsPerSignature = (r - receipts) / (s - signatures)
	}
	rep.Cove = newTarget(coveRes)
	rep.CoveCPUMS = perRequest(cu.self, cu.selfOK, coveRes.Requests)
	rep.OtherCoresCove = cu.otherCores(coveRes.Elapsed)
	cove.stop() // idle, but out of the way of the baseline

	// The same handler on plain Node.js.
	srv, err := StartNode(ctx, filepath.Join(o.Dir, NodeScript))
	switch {
	case errors.Is(err, ErrNoNode):
		rep.NodeSkipped = "skipped (node not found)"
		say("node not found: the baseline is skipped")
		return nil
	case err != nil:
		return err
	}
	res, nu, served, err := runNodeBaseline(ctx, srv, say, o, load)
	lifetime := srv.Stop()
	if err != nil {
		return err
	}
	t := newTarget(res)
	rep.Node = &t
	rep.Ratio = ratio(coveRes.RPS, res.RPS)
	rep.LoadGenCPUMS = perRequest(nu.self, nu.selfOK, res.Requests)
	if nu.machineOK {
		rep.NodeCPUMS = perRequest(nu.child, true, res.Requests)
	} else { // no /proc: its whole life, warm-up included
		rep.NodeCPUMS = perRequest(lifetime, true, served)
	}
	rep.OtherCoresNode = nu.otherCores(res.Elapsed)
	return nil
}

// measureRounds measures cove and Node in turn, rounds times: the cove
// node is stopped while Node is measured and started again from its data
// for the next round (Node's server, idle, stays up). It reports the round
// whose ratio is the median; the CPU per request, the receipts per
// signature and the other processes' cores are over all rounds. Without
// node it measures cove once.
func measureRounds(ctx context.Context, say func(string, ...any), cove *devNode, url string, o AgentOptions, rounds int, load func(string, time.Duration) (Result, error), rep *AgentReport) error {
	srv, err := StartNode(ctx, filepath.Join(o.Dir, NodeScript))
	switch {
	case errors.Is(err, ErrNoNode):
		rep.NodeSkipped = "skipped (node not found)"
		say("node not found: the baseline is skipped, and cove measured once")
		return measureOnce(ctx, say, cove, url, o, load, rep)
	case err != nil:
		return err
	}
	defer srv.Stop()
	stopProfile, err := startProfile(o.CPUProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	var (
		coveRuns, nodeRuns   []Result
		coveN, nodeN         int
		coveT, nodeT         time.Duration
		receipts, signatures float64
	)
	cu := phaseCPU{selfOK: true, machineOK: true} // sums of the rounds'
	nu := cu
	for i := range rounds {
		name := fmt.Sprintf("round %d/%d: ", i+1, rounds)
		sayRound := func(f string, a ...any) { say(name+f, a...) }
		if i > 0 {
			sayRound("restarting the cove node...")
			if err := cove.resume(ctx); err != nil {
				return err
			}
			url = cove.url()
		}
		r0, s0 := cove.signed()
		c, used, err := measure(sayRound, "cove", url, o, load, nil)
		if err != nil {
			return err
		}
		r1, s1 := cove.signed()
		receipts, signatures = receipts+r1-r0, signatures+s1-s0
		coveRuns, cu, coveN, coveT = append(coveRuns, c), cu.add(used), coveN+c.Requests, coveT+c.Elapsed
		cove.pause() // out of the way of the baseline
		n, used, _, err := runNodeBaseline(ctx, srv, sayRound, o, load)
		if err != nil {
			return err
		}
		nodeRuns, nu, nodeN, nodeT = append(nodeRuns, n), nu.add(used), nodeN+n.Requests, nodeT+n.Elapsed
		rep.Rounds = append(rep.Rounds, Round{CoveRPS: c.RPS, NodeRPS: n.RPS, Ratio: ratio(c.RPS, n.RPS)})
	}
	if signatures > 0 {
		rep.ReceiptsPerSignature = receipts / signatures
	}
	order := make([]int, rounds)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rep.Rounds[a].Ratio, rep.Rounds[b].Ratio) })
	m := order[(rounds-1)/2]
	rep.MedianRound, rep.Ratio = m, rep.Rounds[m].Ratio
	rep.Cove = newTarget(coveRuns[m])
	t := newTarget(nodeRuns[m])
	rep.Node = &t
	rep.CoveCPUMS = perRequest(cu.self, cu.selfOK, coveN)
	rep.OtherCoresCove = cu.otherCores(coveT)
	rep.LoadGenCPUMS = perRequest(nu.self, nu.selfOK, nodeN)
	if nu.machineOK {
		rep.NodeCPUMS = perRequest(nu.child, true, nodeN)
	}
	rep.OtherCoresNode = nu.otherCores(nodeT)
	return nil
}

// ratio is a/b, 0 when b is not positive.
func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
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
	p.self, p.selfOK = ProcessCPU()
	var childOK = true
	if child != nil {
		p.child, childOK = child()
	}
	p.machine, p.machineOK = MachineBusy()
	p.machineOK = p.machineOK && childOK && p.selfOK
	return p
}

// add is p and q together: two phases' CPU time.
func (p phaseCPU) add(q phaseCPU) phaseCPU {
	return phaseCPU{
		self: p.self + q.self, child: p.child + q.child, machine: p.machine + q.machine,
		selfOK: p.selfOK && q.selfOK, machineOK: p.machineOK && q.machineOK,
	}
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
func measure(say func(string, ...any), name, url string, o AgentOptions, load func(string, time.Duration) (Result, error), child func() (time.Duration, bool)) (Result, phaseCPU, error) {
	if o.Warmup > 0 {
		say("warming up %s %s...", name, o.Warmup)
		if _, err := load(url, o.Warmup); err != nil {
			return Result{}, phaseCPU{}, err
		}
	}
	say("measuring %s %s...", name, o.Duration)
	before := takeCPU(child)
	res, err := load(url, o.Duration)
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
func runNodeBaseline(ctx context.Context, srv *NodeServer, say func(string, ...any), o AgentOptions, load func(string, time.Duration) (Result, error)) (res Result, used phaseCPU, served int, err error) {
	url := srv.URL + agentPath
	body, status, err := httpGet(ctx, url)
	if err != nil {
		return res, used, 0, fmt.Errorf("baseline: %w", err)
	}
	if status != http.StatusOK || body != agentWant {
		return res, used, 0, fmt.Errorf("baseline answered %d %q, want 200 %s", status, body, agentWant)
	}
	served = 1
	if o.Warmup > 0 {
		say("warming up node %s...", o.Warmup)
		w, err := load(url, o.Warmup)
		if err != nil {
			return res, used, 0, err
		}
		served += w.Requests
		o.Warmup = 0
	}
	res, used, err = measure(say, "node", url, o, load, srv.CPU)
	return res, used, served + res.Requests, err
}

func httpGet(ctx context.Context, url string) (string, int, error) {
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
	return millis(cpu) / float64(n)
}

// Print writes the report as a Markdown table and a few lines.
func (r *AgentReport) Print(w io.Writer) {
	m := r.Machine
	model := m.Model
	if model == "" {
		model = "CPU model unknown"
	}
	fmt.Fprintf(w, "cove bench, %s: %d CPUs (%s), GOMAXPROCS %d, load average %s before, %s after\n",
		r.Date, m.CPUs, model, m.GOMAXPROCS, orUnknown(m.LoadAvg), orUnknown(r.LoadAvgEnd))
	gen := r.LoadGen
	switch gen {
	case LoadGenWrk:
		gen = fmt.Sprintf("wrk, %d threads,", WrkThreads)
	case LoadGenBuiltin, "":
		gen = "cove bench's own load generator (in the cove process),"
	}
	fmt.Fprintf(w, "GET %s, %s %d keep-alive connections, %s warm-up, %s measured per target\n\n",
		r.Path, gen, r.Concurrency, time.Duration(r.WarmupS*float64(time.Second)), time.Duration(r.DurationS*float64(time.Second)))
	fmt.Fprintln(w, "| target | requests/s | p50 ms | p99 ms | errors |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	row := func(name string, t Target) {
		fmt.Fprintf(w, "| %s | %.0f | %.2f | %.2f | %d |\n", name, t.RPS, t.P50MS, t.P99MS, t.Errors+t.Non2xx)
	}
	signed := "signed receipt"
	if r.ReceiptBatch == 1 {
		signed = "each receipt signed alone"
	}
	row("cove (gateway, warm isolate, "+signed+")", r.Cove)
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
		if len(r.Rounds) > 1 {
			fmt.Fprintf(w, "cove/node throughput: %.3f, the median of %d rounds (target 0.5: %s)\n", r.Ratio, len(r.Rounds), verdict)
			each := make([]string, len(r.Rounds))
			for i, rd := range r.Rounds {
				each[i] = fmt.Sprintf("%.3f (%.0f/%.0f)", rd.Ratio, rd.CoveRPS, rd.NodeRPS)
			}
			fmt.Fprintf(w, "rounds, cove/node (requests/s), in order: %s; the table is round %d\n", strings.Join(each, ", "), r.MedianRound+1)
		} else {
			fmt.Fprintf(w, "cove/node throughput: %.3f (target 0.5: %s)\n", r.Ratio, verdict)
		}
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
	fmt.Fprintf(w, "per-request cost (1 core): sandbox %.3f ms in a warm VM, %.3f ms in a fresh one (--isolation request); signing %.3f ms alone, %.4f ms each in a batch of %d (CPU time: %.3f, %.3f, %.3f ms)\n",
		r.SandboxMS, r.SandboxFreshMS, r.SigningMS, r.SigningBatchMS, receipt.DefaultBatch, r.SandboxCPUMS, r.SandboxFreshCPUMS, r.SigningCPUMS)
	if r.ReceiptsPerSignature > 0 {
		fmt.Fprintf(w, "receipts per signature under load: %.2f (the worker's mean batch while cove was measured; ADR 18)\n", r.ReceiptsPerSignature)
	}
	if r.CoveCPUMS > 0 && r.LoadGen == LoadGenWrk {
		line := fmt.Sprintf("CPU per request (all cores): cove process %.3f ms (gateway and worker; wrk runs apart)", r.CoveCPUMS)
		if r.NodeCPUMS > 0 {
			line += fmt.Sprintf("; node server %.3f ms (one thread)", r.NodeCPUMS)
		}
		fmt.Fprintln(w, line)
	} else if r.CoveCPUMS > 0 {
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
		what := "other processes"
		if r.LoadGen == LoadGenWrk {
			what = "other processes (wrk among them)"
		}
		line := fmt.Sprintf("%s kept %.2f of %d cores busy while cove was measured", what, r.OtherCoresCove, m.CPUs)
		if r.Node != nil && r.OtherCoresNode >= 0 {
			line += fmt.Sprintf(", %.2f while node was", r.OtherCoresNode)
		}
		fmt.Fprintln(w, line)
	}
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
