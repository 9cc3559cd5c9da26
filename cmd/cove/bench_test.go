package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cove-network/cove/internal/bench"
)

// TestBenchCommands runs `cove bench` and `cove bench chain` through the
// root command with tiny parameters, so that their flag wiring and output
// cannot break silently. internal/bench's smoke tests check the reports in
// more detail.
func TestBenchCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node and measures it; skipped with -short (CI runs it)")
	}
	prof := filepath.Join(t.TempDir(), "cove.prof")
	t.Chdir("../..") // the benches read examples/ and testdata/ from the repository root

	t.Run("agents", func(t *testing.T) {
		// Under a second the load is cove bench's own even where wrk is
		// installed (wrk counts whole seconds; TestRunWrk smoke-runs it).
		out, err := runCove(t, "bench", "--duration", "300ms", "--warmup", "100ms", "--concurrency", "4", "--json", "--cpuprofile", prof)
		if err != nil {
			t.Fatalf("cove bench: %v\n%s", err, out)
		}
		var rep bench.AgentReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("cove bench --json: %v\n%s", err, out)
		}
		if rep.LoadGen != bench.LoadGenBuiltin {
			t.Errorf("load generator %q for a 300ms run, want %s", rep.LoadGen, bench.LoadGenBuiltin)
		}
		if rep.Concurrency != 4 || rep.DurationS != 0.3 || rep.WarmupS != 0.1 {
			t.Errorf("report says concurrency %d, duration %vs, warm-up %vs: want the flags 4, 0.3, 0.1", rep.Concurrency, rep.DurationS, rep.WarmupS)
		}
		if c := rep.Cove; c.Requests == 0 || c.Errors != 0 || c.Non2xx != 0 {
			t.Errorf("cove: %+v: want requests, and no errors nor non-2xx", c)
		}
		if len(rep.DeployMS) != 5 {
			t.Errorf("deploy-to-first-response %v: want the 5 deploys of cove bench", rep.DeployMS)
		}
		if rep.Node == nil && rep.NodeSkipped == "" {
			t.Errorf("the node baseline is neither measured nor reported as skipped")
		}
		if st, err := os.Stat(prof); err != nil || st.Size() == 0 {
			t.Errorf("--cpuprofile %s: %v, want a profile", prof, err)
		}
	})

	t.Run("chain", func(t *testing.T) {
		out, err := runCove(t, "bench", "chain", "--txs", "200", "--deploys", "10", "--accounts", "4", "--idle", "500ms", "--block-interval", "100ms")
		if err != nil {
			t.Fatalf("cove bench chain: %v\n%s", err, out)
		}
		for _, want := range []string{
			"block interval (timeout_commit) 100ms, 4 sender accounts",
			"| idle (empty blocks) | 0 |",
			"| transfers | 200 |",
			"| deploys | 10 |",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("cove bench chain output lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("ai", func(t *testing.T) {
		out, err := runCove(t, "bench", "ai", "--requests", "20", "--concurrency", "2", "--duration", "200ms", "--streams", "1", "--stream-tokens", "50", "--json")
		if err != nil {
			t.Fatalf("cove bench ai: %v\n%s", err, out)
		}
		var rep bench.AIReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("cove bench ai --json: %v\n%s", err, out)
		}
		if rep.DirectP50MS <= 0 || rep.CoveP50MS <= 0 || rep.DirectRPS <= 0 || rep.CoveRPS <= 0 || rep.CoveTokensPerS <= 0 || rep.Options.StreamTokens != 50 {
			t.Errorf("cove bench ai measured %+v", rep)
		}
	})

	t.Run("scale", func(t *testing.T) {
		out, err := runCove(t, "bench", "scale", "--agents", "20", "--senders", "4", "--concurrency", "2", "--duration", "300ms", "--json")
		if err != nil {
			t.Fatalf("cove bench scale: %v\n%s", err, out)
		}
		var rep bench.ScaleReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("cove bench scale --json: %v\n%s", err, out)
		}
		if rep.Options.Agents != 20 || rep.Calls == 0 || rep.Errors != 0 || rep.DistinctCalled == 0 || rep.DeploysPerS <= 0 {
			t.Errorf("cove bench scale measured %+v", rep)
		}
	})

	t.Run("route", func(t *testing.T) {
		out, err := runCove(t, "bench", "route", "--workers", "2", "--concurrency", "8", "--duration", "300ms", "--hop-requests", "20", "--json")
		if err != nil {
			t.Fatalf("cove bench route: %v\n%s", err, out)
		}
		var rep bench.RouteReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("cove bench route --json: %v\n%s", err, out)
		}
		if len(rep.Steps) != 2 || rep.Steps[0].RPS <= 0 || rep.Steps[1].Errors != 0 || len(rep.Steps[1].PerWorker) != 2 || rep.RemoteP50MS <= 0 || rep.LocalP50MS <= 0 {
			t.Errorf("cove bench route measured %+v", rep)
		}
	})

	t.Run("paid", func(t *testing.T) {
		out, err := runCove(t, "bench", "paid", "--duration", "300ms", "--warmup", "100ms", "--rounds", "1", "--concurrency", "2", "--json")
		if err != nil {
			t.Fatalf("cove bench paid: %v\n%s", err, out)
		}
		var rep bench.PaidReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("cove bench paid --json: %v\n%s", err, out)
		}
		// The bench itself checks that the redeems paid exactly the calls.
		if rep.Free.Calls == 0 || rep.Paid.Calls == 0 || rep.PaidSigning.Calls == 0 || rep.PaidWords.Calls == 0 || rep.PaidWordsBuilt.Calls == 0 || rep.RatioWordsPaired <= 0 || rep.CPURatioWordsPaired <= 0 || rep.PaidWords.CPUPerCallUS <= 0 || rep.Channels != 2 || rep.ChainTxs != 4 || rep.PaidCalls < rep.Paid.Calls+rep.PaidSigning.Calls+rep.PaidWords.Calls+rep.PaidWordsBuilt.Calls {
			t.Fatalf("report %+v", rep)
		}
	})
	t.Run("refuses bad flags", func(t *testing.T) {
		if _, err := runCove(t, "bench", "--concurrency", "0"); err == nil || !strings.Contains(err.Error(), "--concurrency") {
			t.Errorf("cove bench --concurrency 0: %v, want a refusal naming the flag", err)
		}
		if _, err := runCove(t, "bench", "chain", "--txs", "0"); err == nil || !strings.Contains(err.Error(), "--txs") {
			t.Errorf("cove bench chain --txs 0: %v, want a refusal naming the flag", err)
		}
		if _, err := runCove(t, "bench", "ai", "--streams", "0"); err == nil || !strings.Contains(err.Error(), "must be positive") {
			t.Errorf("cove bench ai --streams 0: %v, want a refusal", err)
		}
	})
}
