package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestNilSet: a role built without metrics records into a nil Set.
func TestNilSet(t *testing.T) {
	var s *Set
	s.Call("a", 200, time.Millisecond)
	s.SandboxLimit("memory")
	s.CompileCache(true)
	s.Block(time.Now(), []string{"Transfer"}, []uint32{0})
	s.AI("p", 200, 3)
	s.GaugeFunc("x", "x", nil, func() float64 { return 1 })
	s.CounterFunc("y", "y", func() float64 { return 1 })
	if s.Sum("y") != 0 {
		t.Fatal("a nil Set has a value")
	}
}

// TestExposition: what is recorded is served in Prometheus' text format.
func TestExposition(t *testing.T) {
	s := New()
	s.Call("0xabc", 200, 2*time.Millisecond)
	s.Call("0xabc", 429, time.Millisecond)
	t0 := time.Unix(1000, 0)
	s.Block(t0, nil, nil)
	s.Block(t0.Add(200*time.Millisecond), []string{"Transfer", "DeployAgent"}, []uint32{0, 4})
	s.GaugeFunc("cove_test_gauge", "a test gauge", map[string]string{"chain": "dev"}, func() float64 { return 7 })
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`cove_agent_calls_total{agent="0xabc",class="2xx"} 1`,
		`cove_agent_calls_total{agent="0xabc",class="4xx"} 1`,
		`cove_agent_call_seconds_count{class="2xx"} 1`,
		`cove_block_interval_seconds_sum 0.2`,
		`cove_chain_txs_total{result="ok",type="Transfer"} 1`,
		`cove_chain_txs_total{result="4",type="DeployAgent"} 1`,
		`cove_test_gauge{chain="dev"} 7`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

// BenchmarkCall is what recording one agent call costs the gateway.
func BenchmarkCall(b *testing.B) {
	s := New()
	for b.Loop() {
		s.Call("0x011e6cb7dd3302cf0c89382ca7a0e95adf0d4f2a8a3c18fd330bd232a8d787e0", 200, time.Millisecond)
	}
}
