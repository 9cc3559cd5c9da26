package bench

import (
	"bytes"
	"context"
	"fmt"
	"github.com/cove-network/cove/internal/syncbuf"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The smoke tests run both benchmarks end to end with tiny parameters, so
// that a benchmark that breaks fails `go test ./...` (and CI). They assert
// that the reports are sane, never a timing.

// benchLog is a logger for the node under test; its lines are shown when
// the test fails.
func benchLog(t *testing.T) *slog.Logger {
	t.Helper()
	log, _ := benchLogBuf(t)
	return log
}

// benchLogBuf is benchLog and the buffer it writes to.
func benchLogBuf(t *testing.T) (*slog.Logger, *syncbuf.Buffer) {
	t.Helper()
	buf := &syncbuf.Buffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("node log:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelWarn})), buf
}

// smokeAgents runs Agents from the repository root with the built-in
// load generator (wrk measures whole seconds: TestRunWrk smoke-runs it)
// and the options set changes, and returns its report, progress and the
// node's log (warnings and errors).
func smokeAgents(t *testing.T, set func(*AgentOptions)) (*AgentReport, *bytes.Buffer, *syncbuf.Buffer) {
	t.Helper()
	o := DefaultAgentOptions()
	o.LoadGen, o.Dir = LoadGenBuiltin, "../.."
	set(&o)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	log, logBuf := benchLogBuf(t)
	rep, err := Agents(ctx, o, log, &progress)
	if err != nil {
		t.Fatalf("Agents: %v\nprogress:\n%s", err, progress.String())
	}
	return rep, &progress, logBuf
}

func TestAgentsSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node and measures it; skipped with -short (CI runs it)")
	}
	rep, progress, _ := smokeAgents(t, func(o *AgentOptions) {
		o.Duration, o.Warmup, o.Concurrency = 300*time.Millisecond, 100*time.Millisecond, 4
		o.Deploys, o.CostTime = 2, 50*time.Millisecond
	})

	if c := rep.Cove; c.Requests == 0 || c.RPS <= 0 || c.Errors != 0 || c.Non2xx != 0 {
		t.Errorf("cove: %+v: want requests, and no errors nor non-2xx", c)
	}
	if c := rep.Cove; !(c.P50MS > 0 && c.P50MS <= c.P99MS && c.P99MS <= c.MaxMS) {
		t.Errorf("cove latencies out of order: %+v", c)
	}
	if rep.Concurrency != 4 || rep.DurationS != 0.3 || rep.WarmupS != 0.1 {
		t.Errorf("report says concurrency %d, duration %vs, warm-up %vs: want the options 4, 0.3, 0.1", rep.Concurrency, rep.DurationS, rep.WarmupS)
	}
	// Agents checked the first response's receipt against the agent's
	// attestor; every deploy was timed to its first response.
	if len(rep.DeployMS) != 2 || len(rep.DeployOnlyMS) != 2 {
		t.Fatalf("deploy times %v, %v: want 2 of each", rep.DeployMS, rep.DeployOnlyMS)
	}
	for i := range rep.DeployMS {
		if !(rep.DeployOnlyMS[i] > 0 && rep.DeployOnlyMS[i] <= rep.DeployMS[i]) {
			t.Errorf("deploy %d: deploy %v ms, to first response %v ms: want 0 < deploy <= first response", i, rep.DeployOnlyMS[i], rep.DeployMS[i])
		}
	}
	if rep.SandboxMS <= 0 || rep.SigningMS <= 0 {
		t.Errorf("sandbox %v ms, signing %v ms: want both measured", rep.SandboxMS, rep.SigningMS)
	}
	if _, err := exec.LookPath("node"); err != nil {
		if rep.Node != nil || rep.NodeSkipped == "" {
			t.Errorf("without node: baseline %+v, skipped %q: want it reported as skipped", rep.Node, rep.NodeSkipped)
		}
	} else {
		if n := rep.Node; n == nil || n.Requests == 0 || n.Errors != 0 || n.Non2xx != 0 || rep.NodeSkipped != "" {
			t.Errorf("node baseline %+v (skipped %q): want requests, and no errors nor non-2xx", n, rep.NodeSkipped)
		}
		if rep.Ratio <= 0 {
			t.Errorf("ratio %v: want cove/node measured", rep.Ratio)
		}
	}

	var out bytes.Buffer
	rep.Print(&out)
	for _, want := range []string{
		"GET /agents/{id}/hello?name=Ada, cove bench's own load generator (in the cove process), 4 keep-alive connections, 100ms warm-up, 300ms measured per target",
		"| cove (gateway, warm isolate, signed receipt) |",
		"| node (node:http, same handler) |",
		"(2 fresh deploys, in order: ",
		"per-request cost (1 core): sandbox ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(progress.String(), "bench: measuring cove 300ms...") {
		t.Errorf("progress lacks the cove phase:\n%s", progress.String())
	}
}

// TestAgentsRoundsSmoke runs `cove bench --rounds 3` with tiny
// parameters: three rounds in order, the cove node restarted from its data
// for each after the first, the table's rows and the ratio those of the
// round with the median ratio.
func TestAgentsRoundsSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node and measures it; skipped with -short (CI runs it)")
	}
	rep, progress, log := smokeAgents(t, func(o *AgentOptions) {
		o.Duration, o.Warmup, o.Concurrency, o.Rounds = 200*time.Millisecond, 50*time.Millisecond, 2, 3
		o.Deploys, o.CostTime = 1, 20*time.Millisecond
	})
	if _, err := exec.LookPath("node"); err != nil {
		if len(rep.Rounds) != 0 || rep.NodeSkipped == "" || rep.Cove.Requests == 0 {
			t.Errorf("without node: rounds %v, skipped %q, cove %+v: want cove measured once and the baseline skipped", rep.Rounds, rep.NodeSkipped, rep.Cove)
		}
		return
	}
	if len(rep.Rounds) != 3 || rep.Node == nil {
		t.Fatalf("rounds %v, node %v: want 3 rounds and the baseline", rep.Rounds, rep.Node)
	}
	m := rep.MedianRound
	below, above := 0, 0
	for i, r := range rep.Rounds {
		if r.CoveRPS <= 0 || r.NodeRPS <= 0 || r.Ratio != r.CoveRPS/r.NodeRPS {
			t.Errorf("round %d: %+v: want both measured and their ratio", i, r)
		}
		if i != m && r.Ratio < rep.Rounds[m].Ratio {
			below++
		}
		if i != m && r.Ratio > rep.Rounds[m].Ratio {
			above++
		}
	}
	if below > 1 || above > 1 || rep.Ratio != rep.Rounds[m].Ratio || rep.Cove.RPS != rep.Rounds[m].CoveRPS || rep.Node.RPS != rep.Rounds[m].NodeRPS {
		t.Errorf("reported round %d (ratio %v, cove %v, node %v) of %+v: want the median round's", m, rep.Ratio, rep.Cove.RPS, rep.Node.RPS, rep.Rounds)
	}
	// Restarted where it listened, the worker serves the endpoint it
	// registered (devNode.resume).
	if w := "registered endpoint is not the one it serves now"; strings.Contains(log.String(), w) {
		t.Errorf("the restarted node's worker warned %q:\n%s", w, log.String())
	}
	for _, want := range []string{"bench: round 1/3: measuring cove 200ms...", "bench: round 2/3: restarting the cove node...", "bench: round 3/3: measuring node 200ms..."} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}
	var out bytes.Buffer
	rep.Print(&out)
	if want := "the median of 3 rounds"; !strings.Contains(out.String(), want) || !strings.Contains(out.String(), fmt.Sprintf("the table is round %d\n", m+1)) {
		t.Errorf("report lacks the rounds:\n%s", out.String())
	}
}

func TestAgentReportPrintSkippedNode(t *testing.T) {
	rep := &AgentReport{Concurrency: 1, DurationS: 1, NodeSkipped: "skipped (node not found)", OtherCoresCove: -1}
	var out bytes.Buffer
	rep.Print(&out)
	if want := "| node (node:http, same handler) | skipped (node not found) | | | |\n"; !strings.Contains(out.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, out.String())
	}
	if strings.Contains(out.String(), "cove/node throughput") {
		t.Errorf("report gives a ratio without a baseline:\n%s", out.String())
	}
}

func TestChainSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node and measures it; skipped with -short (CI runs it)")
	}
	o := DefaultChainOptions()
	o.Txs, o.Deploys, o.Accounts, o.Idle = 300, 20, 8, time.Second
	o.Dir = "../.."
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	rep, err := Chain(ctx, o, benchLog(t), &progress)
	if err != nil {
		t.Fatalf("Chain: %v\nprogress:\n%s", err, progress.String())
	}
	if rep.Accounts != 8 || rep.BlockIntervalMS != 200 {
		t.Errorf("report says %d accounts, block interval %v ms: want the options 8, 200", rep.Accounts, rep.BlockIntervalMS)
	}
	var names []string
	for _, p := range rep.Phases {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "idle transfers deploys" {
		t.Fatalf("phases %q, want idle transfers deploys", got)
	}
	// 1 s at a 200 ms block interval: about 5 blocks; at least one however
	// busy the machine.
	if idle := rep.Phases[0]; idle.Blocks < 1 || idle.IntervalP50MS <= 0 {
		t.Errorf("idle: %d blocks, interval p50 %v ms: want blocks", idle.Blocks, idle.IntervalP50MS)
	}
	for i, want := range []int{o.Txs, o.Deploys} {
		p := rep.Phases[i+1]
		if p.Txs != want || p.Refused != 0 || p.Committed != p.Txs {
			t.Errorf("%s: %d submitted, %d refused (%s), %d committed: want all %d committed", p.Name, p.Txs, p.Refused, p.FirstRefusal, p.Committed, want)
		}
		if p.TPS <= 0 || p.Blocks < 1 || p.MaxTxsPerBlock < 1 || !(p.SubmitS > 0 && p.SubmitS <= p.CommitS) {
			t.Errorf("%s: %+v: want a rate, blocks, and the submission within the commit time", p.Name, p)
		}
	}

	var out bytes.Buffer
	rep.Print(&out)
	for _, want := range []string{
		"block interval (timeout_commit) 200ms, 8 sender accounts",
		"| idle (empty blocks) | 0 |",
		"| transfers | 300 |",
		"| deploys | 20 |",
		"transfers: 300 submitted in ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
