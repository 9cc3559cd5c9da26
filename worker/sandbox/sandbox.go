// Package sandbox runs agent invocations in QuickJS VMs with hard limits on
// time, memory, outbound requests and response size. It is the only
// importer of the JS engine: QuickJS's C library through cgo by default
// (engine_native.go), or modernc.org/quickjs, pure Go, under -tags
// cove_purego or without cgo (engine_modernc.go); see engine.go and ADR 27.
//
// A VM holds the Cove runtime (prelude.js: fetch, Request, Response, URL,
// TextEncoder, crypto, timers, cove.deriveKey, ...) and one agent's compiled
// bundle. A call with an isolate key (Env.Isolate) may run in a warm VM of
// that key, where the agent's module state persists between its calls; a
// call without one gets a fresh VM (isolate.go, ADR 17). The VM talks to Go
// through a single host function whose every operation is validated here,
// so a hostile script can only hurt itself.
//
// Security: the sandbox is the boundary between agent code and the worker.
// Limits are enforced in Go (the JS runtime's checks are for good error
// messages only), outbound requests go through the caller's HTTP client (which
// must carry the egress policy), VMs never cross isolate keys, and a VM is
// closed after any call that did not end cleanly.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"github.com/cove-network/cove"
	"net/http"
	"sync/atomic"
	"time"

	_ "embed"
)

//go:embed prelude.js
var preludeSource string

// preludeLazySource holds the web APIs most agents never use; the runtime
// loads it on first use (host operation "lazy").
//
//go:embed prelude_lazy.js
var preludeLazySource string

// Limits bound one invocation. Zero fields take the defaults.
type Limits struct {
	// Timeout is the wall-clock budget of the whole invocation.
	Timeout time.Duration `toml:"timeout"`
	// Memory caps the JS heap, in bytes.
	Memory int64 `toml:"memory"`
	// Requests caps outbound fetch calls.
	Requests int `toml:"requests"`
	// ResponseBytes caps the agent's response body.
	ResponseBytes int64 `toml:"response_bytes"`
	// FetchResponseBytes caps each fetched response body.
	FetchResponseBytes int64 `toml:"fetch_response_bytes"`
	// LogBytes caps the console output kept per invocation.
	LogBytes int `toml:"log_bytes"`
}

// DefaultLimits returns Cove's default limits per invocation (the ones
// README promises agents): 30 s, 128 MiB, 32 outbound requests,
// 5 MiB response.
func DefaultLimits() Limits {
	return Limits{
		Timeout:            30 * time.Second,
		Memory:             128 << 20,
		Requests:           32,
		ResponseBytes:      5 << 20,
		FetchResponseBytes: 8 << 20,
		LogBytes:           64 << 10,
	}
}

// withDefaults fills zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	orDefault(&l.Timeout, d.Timeout)
	orDefault(&l.Memory, d.Memory)
	orDefault(&l.Requests, d.Requests)
	orDefault(&l.ResponseBytes, d.ResponseBytes)
	orDefault(&l.FetchResponseBytes, d.FetchResponseBytes)
	orDefault(&l.LogBytes, d.LogBytes)
	return l
}

// orDefault sets *v to d when it is zero or negative (not set).
func orDefault[T int | int64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Engine compiles agents and runs invocations. It is safe for concurrent
// use; a VM serves one Run at a time (isolate.go).
type Engine struct {
	limits  Limits
	pool    *pool
	urlOps  atomic.Int64 // URLs the host parsed (the runtime parses simple ones itself)
	client  *http.Client
	prelude []byte // bytecode of prelude.js
	lazy    []byte // bytecode of prelude_lazy.js
}

// New returns an engine. client performs the agents' fetch calls and must
// enforce the node's egress policy (see worker/egress); it must not follow
// redirects to refused addresses, which a dial-time check guarantees.
func New(limits Limits, client *http.Client) (*Engine, error) {
	if client == nil {
		return nil, errors.New("sandbox: nil HTTP client")
	}
	bc, err := compile("prelude.js", preludeSource)
	if err != nil {
		return nil, fmt.Errorf("compile prelude: %w", err)
	}
	lazy, err := compile("prelude_lazy.js", preludeLazySource)
	if err != nil {
		return nil, fmt.Errorf("compile lazy prelude: %w", err)
	}
	return &Engine{limits: limits.withDefaults(), pool: newPool(Isolates{}), client: client, prelude: bc, lazy: lazy}, nil
}

// SetIsolates sets the warm-VM bounds; call it before the first Run.
func (e *Engine) SetIsolates(c Isolates) { e.pool = newPool(c) }

// Isolates returns the effective warm-VM bounds.
func (e *Engine) Isolates() Isolates { return e.pool.cfg }

// PoolStats returns what the warm-VM pool has done so far.
func (e *Engine) PoolStats() PoolStats { return e.pool.snapshot() }

// Close closes the idle warm VMs; runs still going finish, and their VMs
// are closed then. The engine keeps running calls after Close, in fresh
// VMs.
func (e *Engine) Close() { e.pool.closeIdle() }

// Limits returns the engine's effective limits.
func (e *Engine) Limits() Limits { return e.limits }

// Program is an agent bundle compiled to QuickJS bytecode. Bytecode is only
// ever produced by Compile in this process: QuickJS does not verify it, so it
// is never read from disk or the network.
type Program struct {
	bytecode []byte
}

// Size returns the bytecode size in bytes.
func (p *Program) Size() int { return len(p.bytecode) }

// Compile compiles an agent bundle (the output of package bundle: a classic
// script that sets globalThis.__cove_agent) to a Program. A syntax error is
// returned as a *CompileError.
func (e *Engine) Compile(code []byte) (*Program, error) {
	bc, err := compile("agent.js", string(code))
	if err != nil {
		return nil, &CompileError{Message: err.Error()}
	}
	return &Program{bytecode: bc}, nil
}

// Request is what the agent receives.
type Request struct {
	Method string
	// URL is the absolute URL the agent sees: the gateway's origin and the
	// path after /agents/{id}, with the raw query. Its path and query reach
	// the agent unchanged (request.url; request-JSON path is the escaped
	// path, queries are parsed from the raw query).
	URL    string
	Header http.Header
	Body   []byte
}

// Env is what the host gives one invocation besides the request.
type Env struct {
	// Secrets are the agent's opened secrets: env in a fetch handler,
	// request.secret in a request-JSON main.
	Secrets map[string]string
	// DeriveKey backs cove.deriveKey(path): 32 bytes stable per agent and
	// path. Nil makes cove.deriveKey fail with a clear error.
	DeriveKey func(path string) ([32]byte, error)
	// Isolate names the warm VMs this call may use: calls with the same
	// non-empty Isolate share VMs, one call at a time, so an agent's
	// module state persists between its calls (ADR 17). The caller makes
	// it unique per agent and code version: agents never share a VM.
	// Empty runs the call in a fresh VM closed after it (per-request
	// isolation).
	Isolate string
}

// LogLine is one line of console output.
type LogLine = cove.LogLine

// Result is the outcome of an invocation. Run returns it also on error, with
// the logs and counters gathered until the failure.
type Result struct {
	Status  int
	Header  http.Header
	Body    []byte
	Logs    []LogLine
	Mode    string // "fetch", "main" or "script": the agent style detected
	Fetches int    // outbound requests made
	Warm    bool   // a warm VM served it (its agent's code had run there before)
}

// Run executes one invocation of p, in a warm VM of env.Isolate or a fresh
// one (see isolate.go), and returns the agent's
// response. The error is a *LimitError when a limit stopped the agent, an
// *AgentError when the agent threw or answered malformed output, ErrNoResponse
// when it finished without answering, or ctx's error when ctx ended first.
func (e *Engine) Run(ctx context.Context, p *Program, req Request, env Env) (*Result, error) {
	inv := newInvocation(ctx, e, req, env)
	defer inv.close()
	err := inv.run(p)
	return &inv.result, err
}
