package testnet

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/cove-network/cove/internal/testport"
)

// TestMetrics (issue 12): a node's admin listener serves Prometheus
// metrics that follow what the node did: agent calls by agent and status
// with their latency, the compile cache, a sandbox limit hit, the chain's
// height, block interval and transactions by type and result, and the
// worker's queue. Each value is read before and after the action that
// moves it, so a metric that stood still fails.
func TestMetrics(t *testing.T) {
	opPath, opAddr := NewOperator(t)
	user := NewKey(t)
	admin := testport.Addr(t)
	logs := &syncbuf.Buffer{}
	d, err := StartDev(t.Context(), DevConfig{
		DataDir: t.TempDir(), Operator: opPath, Admin: user.Address(), Funded: []cove.Address{opAddr},
		P2PAddr: testport.Addr(t), BlockInterval: 50 * time.Millisecond, AdminAddr: admin,
		Log: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.Tail(8<<10))
	}
	defer d.Stop()
	scrape := func() string {
		resp, err := http.Get("http://" + admin + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("/metrics: %d %s", resp.StatusCode, b)
		}
		return string(b)
	}
	value := func(text, series string) float64 {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` ([0-9.e+-]+)$`).FindStringSubmatch(text)
		if m == nil {
			return 0
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	before := scrape()
	a, err := d.Client.Deploy(t.Context(), filepath.Join("..", "..", "examples", "hello.ts"), client.DeployOptions{Signer: user, Name: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if res, err := d.Client.Call(t.Context(), a.ID, http.MethodGet, "/hello?name=metrics", nil, nil); err != nil || res.Status != 200 {
			t.Fatalf("call: %v", err)
		}
	}
	greedy := filepath.Join(t.TempDir(), "greedy.js")
	os.WriteFile(greedy, []byte(`export default { async fetch() {
  const hoard = [];
  for (;;) hoard.push(new Array(1 << 20).fill(hoard.length));
} };`), 0o644)
	g, err := d.Client.Deploy(t.Context(), greedy, client.DeployOptions{Signer: user, Name: "greedy"})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := d.Client.Call(t.Context(), g.ID, http.MethodGet, "/", nil, nil); err != nil || res.Status == 200 {
		t.Fatalf("greedy agent: %v %+v", err, res)
	}
	after := scrape()
	for _, c := range []struct {
		series string
		grows  float64
	}{
		{`cove_agent_calls_total{agent="` + a.ID.String() + `",class="2xx"}`, 4},
		{`cove_agent_call_seconds_count{class="2xx"}`, 4},
		{`cove_compile_cache_total{result="hit"}`, 4},
		{`cove_sandbox_limit_errors_total{limit="memory"}`, 1},
		{`cove_chain_txs_total{result="ok",type="DeployAgent"}`, 2},
		{`cove_block_interval_seconds_count`, 1},
		// One at a time, each response is signed alone.
		{`cove_receipts_signed_total`, 4},
		{`cove_receipt_signatures_total`, 4},
	} {
		if got := value(after, c.series) - value(before, c.series); got < c.grows {
			t.Errorf("%s grew by %v, want at least %v", c.series, got, c.grows)
		}
	}
	// The warm-VM pool, exactly: hello's calls one after another, the
	// first starting a VM the next three find warm; greedy's one
	// call starting a VM its memory limit retires; hello's VM left idle.
	for _, c := range []struct {
		series string
		grows  float64
	}{
		{`cove_sandbox_warm_calls_total`, 3},
		{`cove_sandbox_cold_calls_total`, 2},
		{`cove_sandbox_vms_retired_total`, 1},
		{`cove_sandbox_vms_evicted_total`, 0},
		{`cove_sandbox_idle_vms`, 1},
	} {
		if got := value(after, c.series) - value(before, c.series); got != c.grows {
			t.Errorf("%s grew by %v, want %v", c.series, got, c.grows)
		}
	}
	// Read in process (cove bench does), a counter is what a scrape shows.
	for _, name := range []string{"cove_receipts_signed_total", "cove_receipt_signatures_total"} {
		if got, scraped := d.Metrics.Sum(name), value(after, name); got != scraped || got == 0 {
			t.Errorf("Metrics.Sum(%s) = %v, the scrape says %v", name, got, scraped)
		}
	}
	if h := value(after, "cove_chain_height"); h <= value(before, "cove_chain_height") {
		t.Errorf("cove_chain_height %v did not grow", h)
	}
	for _, want := range []string{"cove_worker_waiting_calls 0", "cove_worker_running_calls ", "go_goroutines "} {
		if !strings.Contains(after, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics after:\n%s", after)
	}
}
