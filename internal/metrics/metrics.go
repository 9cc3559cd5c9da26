// Package metrics is a node's Prometheus metrics: one Set per node (a
// process may run several, as tests do), which the roles record into
// and the node serves at /metrics on its admin listener. Every method is
// safe on a nil *Set (a role built without one records nothing).
//
// It is the only importer of the Prometheus client library.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Set is one node's metrics.
type Set struct {
	reg           *prometheus.Registry
	calls         *prometheus.CounterVec
	callSeconds   *prometheus.HistogramVec
	sandboxErrors *prometheus.CounterVec
	compileCache  *prometheus.CounterVec
	blockInterval prometheus.Histogram
	txs           *prometheus.CounterVec
	aiRequests    *prometheus.CounterVec
	aiTokens      *prometheus.CounterVec
	lastBlock     time.Time
}

// New returns an empty Set, with Go's runtime and process collectors.
func New() *Set {
	s := &Set{reg: prometheus.NewRegistry()}
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.calls = s.counter("cove_agent_calls_total", "Agent calls through the gateway, by agent and HTTP status class (2xx, 4xx, 5xx): the agent picks its status, so an exact one would let it multiply series.", "agent", "class")
	s.callSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "cove_agent_call_seconds",
		Help:    "Time from a call's arrival at the gateway to its answer's head (streams: to the start of the body), by status class.",
		Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"class"})
	s.reg.MustRegister(s.callSeconds)
	s.sandboxErrors = s.counter("cove_sandbox_limit_errors_total", "Invocations stopped by a sandbox limit, by limit.", "limit")
	s.compileCache = s.counter("cove_compile_cache_total", "Compiled-program look-ups of the worker, by result (hit, miss).", "result")
	s.blockInterval = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "cove_block_interval_seconds",
		Help:    "Time between consecutive blocks' header times, as this validator finalized them.",
		Buckets: []float64{.05, .1, .2, .3, .5, 1, 2, 5, 10, 30}})
	s.reg.MustRegister(s.blockInterval)
	s.txs = s.counter("cove_chain_txs_total", "Transactions in finalized blocks, by message type and result (ok, or the error code).", "type", "result")
	s.aiRequests = s.counter("cove_ai_requests_total", "Answers of the AI API to completions, by provider and HTTP status.", "provider", "status")
	s.aiTokens = s.counter("cove_ai_tokens_total", "Tokens metered by the AI API, by provider.", "provider")
	return s
}

func (s *Set) counter(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	s.reg.MustRegister(c)
	return c
}

// Handler serves the metrics in Prometheus' text format (nothing for a
// nil Set).
func (s *Set) Handler() http.Handler {
	if s == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg})
}

// GaugeFunc registers a gauge read from fn at each scrape (the chain's
// height, the worker's queue), with constant labels.
func (s *Set) GaugeFunc(name, help string, labels map[string]string, fn func() float64) {
	if s == nil {
		return
	}
	s.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels}, fn))
}

// CounterFunc registers a counter read from fn at each scrape.
func (s *Set) CounterFunc(name, help string, fn func() float64) {
	if s == nil {
		return
	}
	s.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, fn))
}

// Sum returns the sum of the values of every series of the counter or
// gauge called name (0 when there is none, or for a nil Set): what a
// scrape would show, read in process (cove bench).
func (s *Set) Sum(name string) float64 {
	if s == nil {
		return 0
	}
	mfs, err := s.reg.Gather()
	if err != nil {
		return 0
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			}
		}
	}
	return sum
}

// Call records an agent call's status and time.
func (s *Set) Call(agent string, status int, d time.Duration) {
	if s == nil {
		return
	}
	class := strconv.Itoa(status/100) + "xx"
	s.calls.WithLabelValues(agent, class).Inc()
	s.callSeconds.WithLabelValues(class).Observe(d.Seconds())
}

// SandboxLimit records an invocation stopped by limit.
func (s *Set) SandboxLimit(limit string) {
	if s == nil {
		return
	}
	s.sandboxErrors.WithLabelValues(limit).Inc()
}

// CompileCache records a compiled-program look-up.
func (s *Set) CompileCache(hit bool) {
	if s == nil {
		return
	}
	r := "miss"
	if hit {
		r = "hit"
	}
	s.compileCache.WithLabelValues(r).Inc()
}

// Block records a finalized block's time (the interval since the last
// one this node finalized) and its transactions' types and results
// (code 0 is "ok").
func (s *Set) Block(t time.Time, txTypes []string, codes []uint32) {
	if s == nil {
		return
	}
	if !s.lastBlock.IsZero() && t.After(s.lastBlock) {
		s.blockInterval.Observe(t.Sub(s.lastBlock).Seconds())
	}
	s.lastBlock = t
	for i, typ := range txTypes {
		r := "ok"
		if codes[i] != 0 {
			r = strconv.FormatUint(uint64(codes[i]), 10)
		}
		s.txs.WithLabelValues(typ, r).Inc()
	}
}

// AI records an answer of the AI API to a completion and its tokens.
func (s *Set) AI(provider string, status int, tokens int64) {
	if s == nil {
		return
	}
	s.aiRequests.WithLabelValues(provider, strconv.Itoa(status)).Inc()
	if tokens > 0 {
		s.aiTokens.WithLabelValues(provider).Add(float64(tokens))
	}
}
