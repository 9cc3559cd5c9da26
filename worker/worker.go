// Package worker runs agents. It loads an agent's bundle, compiles it once,
// opens its sealed secrets with the cluster key of their epoch (from its
// KeyRing, which gatekeepers provision through the chain), runs each call in a fresh
// sandbox (worker/sandbox) and signs the response with the agent's attestor
// key (a receipt, see package receipt). It keeps every invocation's console
// output, status and duration for `cove agent logs`.
//
// Security: the worker holds its cluster keys, which derive every agent key
// of the cluster; it must run inside an attested TEE, and receives them
// only sealed to its attested identity. It never logs secrets
// or keys, and agents' outbound requests go through the egress policy.
package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/blob"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/receipt"
	"github.com/cove-network/cove/secret"
	"github.com/cove-network/cove/worker/egress"
	"github.com/cove-network/cove/worker/sandbox"
)

// Config tunes a worker.
type Config struct {
	// Cluster is the cluster this worker serves.
	Cluster keys.ClusterID `toml:"cluster"`
	// Limits bound each invocation.
	Limits sandbox.Limits `toml:"limits"`
	// EgressAllow lists HOST:PORT addresses agents may reach although the
	// egress policy refuses them (loopback, private, ...), e.g. a local mock API.
	EgressAllow []string `toml:"egress_allow"`
	// MaxConcurrent bounds invocations running at once; more wait.
	MaxConcurrent int `toml:"max_concurrent"`
	// MaxRequestBytes bounds a request body.
	MaxRequestBytes int64 `toml:"max_request_bytes"`
	// LogDir keeps invocation logs; empty keeps them in memory only.
	LogDir string `toml:"log_dir"`
	// LogsPerAgent is how many invocations' logs are kept per agent.
	LogsPerAgent int `toml:"logs_per_agent"`
}

// DefaultConfig returns a worker configuration with DESIGN.md's limits.
func DefaultConfig() Config {
	return Config{
		Cluster:         keys.DefaultCluster,
		Limits:          sandbox.DefaultLimits(),
		MaxConcurrent:   8 * runtime.GOMAXPROCS(0),
		MaxRequestBytes: 5 << 20,
		LogsPerAgent:    1000,
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Cluster == "" {
		return errors.New("worker: cluster is empty")
	}
	if c.MaxConcurrent < 1 {
		return fmt.Errorf("worker: max_concurrent %d must be at least 1", c.MaxConcurrent)
	}
	if c.MaxRequestBytes < 1 {
		return fmt.Errorf("worker: max_request_bytes %d must be positive", c.MaxRequestBytes)
	}
	if c.LogsPerAgent < 1 {
		return fmt.Errorf("worker: logs_per_agent %d must be at least 1", c.LogsPerAgent)
	}
	if _, err := egress.New(c.EgressAllow); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	return nil
}

// Blobs is where the worker reads agent bundles.
type Blobs interface {
	Get(cid string) ([]byte, error)
}

// Server is a worker.
type Server struct {
	cfg    Config
	log    *slog.Logger
	keys   Keys
	blobs  Blobs
	engine *sandbox.Engine
	sem    chan struct{}
	logs   *logBook

	mu       sync.Mutex
	programs map[cove.Hash]*sandbox.Program // by code hash
	agents   map[cove.AgentID]*agentKeys
}

// agentKeys caches what the worker derives or opens once per agent.
type agentKeys struct {
	key      keys.Agent
	attestor *keys.Attestor
	sealed   string // the sealed secrets the set was opened from
	secrets  secret.Set
}

// New returns a worker that takes its cluster keys from ks (a KeyRing the
// gatekeepers provision through the chain). It starts nothing.
func New(cfg Config, log *slog.Logger, ks Keys, blobs Blobs) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	policy, err := egress.New(cfg.EgressAllow)
	if err != nil {
		return nil, err
	}
	client := &http.Client{
		Transport: policy.Transport(),
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		},
	}
	engine, err := sandbox.New(cfg.Limits, client)
	if err != nil {
		return nil, err
	}
	logs, err := openLogBook(cfg.LogDir, cfg.LogsPerAgent)
	if err != nil {
		return nil, err
	}
	return &Server{
		cfg:      cfg,
		log:      log,
		keys:     ks,
		blobs:    blobs,
		engine:   engine,
		sem:      make(chan struct{}, cfg.MaxConcurrent),
		logs:     logs,
		programs: map[cove.Hash]*sandbox.Program{},
		agents:   map[cove.AgentID]*agentKeys{},
	}, nil
}

// Run serves until ctx ends. The worker has no background work of its own
// yet (the chain issue adds following deployments); Run closes the log files
// on the way out.
func (s *Server) Run(ctx context.Context) error {
	<-ctx.Done()
	return s.logs.close()
}

// Limits returns the effective per-invocation limits.
func (s *Server) Limits() sandbox.Limits { return s.engine.Limits() }

// Prepare loads and compiles an agent's code and opens its secrets, so that
// a deployment with broken code or secrets sealed to another key fails at
// deploy time and the first call is fast.
func (s *Server) Prepare(ctx context.Context, a cove.Agent) error {
	if _, err := s.program(a); err != nil {
		return err
	}
	_, err := s.keysFor(a)
	return err
}

// program returns the compiled bundle of a, compiling it on first use.
func (s *Server) program(a cove.Agent) (*sandbox.Program, error) {
	s.mu.Lock()
	p := s.programs[a.CodeHash]
	s.mu.Unlock()
	if p != nil {
		return p, nil
	}
	code, err := s.blobs.Get(a.CID)
	if err != nil {
		return nil, fmt.Errorf("load agent %s code %s: %w", a.ID, a.CID, err)
	}
	if cove.SHA256(code) != a.CodeHash {
		return nil, fmt.Errorf("load agent %s: code %s does not match code hash %s", a.ID, a.CID, a.CodeHash)
	}
	if _, err := blob.ParseCID(a.CID); err != nil {
		return nil, fmt.Errorf("load agent %s: %w", a.ID, err)
	}
	p, err = s.engine.Compile(code)
	if err != nil {
		return nil, fmt.Errorf("agent %s: %w", a.ID, err)
	}
	s.mu.Lock()
	if len(s.programs) >= 1024 { // a crude bound; compiled programs are cheap to redo
		clear(s.programs)
	}
	s.programs[a.CodeHash] = p
	s.mu.Unlock()
	return p, nil
}

// keysFor derives the agent's keys and opens its secrets, caching both.
func (s *Server) keysFor(a cove.Agent) (*agentKeys, error) {
	s.mu.Lock()
	k := s.agents[a.ID]
	s.mu.Unlock()
	if k != nil && k.sealed == string(a.Secrets) {
		return k, nil
	}
	// The agent's keys come from the cluster key of its key epoch, so a
	// rotation never changes its attestor; its secrets open with the key
	// of the epoch they were sealed to.
	cluster, ok := s.keys.Cluster(a.KeyEpoch)
	if !ok {
		return nil, fmt.Errorf("agent %s: key epoch %d: %w", a.ID, a.KeyEpoch, ErrNotProvisioned)
	}
	ak := cluster.Agent(a.ID)
	k = &agentKeys{key: ak, attestor: ak.Attestor(), sealed: string(a.Secrets), secrets: secret.Set{}}
	if len(a.Secrets) > 0 {
		e, err := secret.Epoch(a.Secrets)
		if err != nil {
			return nil, fmt.Errorf("agent %s: secrets: %w", a.ID, err)
		}
		sc, ok := s.keys.Cluster(uint64(e))
		if !ok {
			return nil, fmt.Errorf("agent %s: secrets of key epoch %d: %w", a.ID, e, ErrNotProvisioned)
		}
		priv, err := sc.HPKE()
		if err != nil {
			return nil, fmt.Errorf("agent %s: cluster key: %w", a.ID, err)
		}
		set, err := secret.Open(priv, a.ID, a.Secrets)
		if err != nil {
			return nil, fmt.Errorf("agent %s: open secrets: %w", a.ID, err)
		}
		k.secrets = set
	}
	s.mu.Lock()
	s.agents[a.ID] = k
	s.mu.Unlock()
	return k, nil
}

// Call is one request to an agent.
type Call struct {
	Method string
	// RequestURI is the path with raw query exactly as the gateway received
	// it (e.g. /agents/0x…/hello?name=Ada): the receipt's requestHash covers it.
	RequestURI string
	// URL is the absolute URL the agent sees (the part after /agents/{id}).
	URL    string
	Header http.Header
	Body   []byte
}

// Response is an agent's answer with its signed receipt in Header.
type Response struct {
	Status    int
	Header    http.Header
	Body      []byte
	RequestID string
	// Err is why the agent did not answer itself (a limit, an exception);
	// Status, Header and Body then hold the worker's signed error response.
	Err error
}

// Invoke runs one call of agent a and signs the response. It fails only when
// no signed response can be made (the agent's keys cannot be derived, or ctx
// ended); every agent failure is a signed error response.
func (s *Server) Invoke(ctx context.Context, a cove.Agent, c Call) (*Response, error) {
	start := time.Now()
	reqID := newRequestID()
	k, err := s.keysFor(a)
	if err != nil {
		return nil, err
	}
	// The code is loaded (perhaps from a peer) before taking a slot, so
	// agents whose code is slow or impossible to get cannot hold every slot.
	var res *sandbox.Result
	p, runErr := s.program(a)
	if runErr == nil {
		select {
		case s.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("invoke agent %s: %w", a.ID, ctx.Err())
		}
		res, runErr = s.run(ctx, p, k, c)
		<-s.sem
	}
	if runErr != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("invoke agent %s: %w", a.ID, ctx.Err())
	}

	resp := &Response{RequestID: reqID, Err: runErr}
	if runErr != nil {
		resp.Status, resp.Body = errorResponse(runErr, reqID)
		resp.Header = http.Header{"Content-Type": {"application/json"}}
	} else {
		resp.Status, resp.Header, resp.Body = res.Status, sanitize(res.Header), res.Body
	}
	if c.Method == http.MethodHead {
		resp.Body = nil // HTTP sends no body for HEAD; the receipt covers what is sent
	}
	rc := receipt.Receipt{
		Agent:        a.ID,
		CodeHash:     a.CodeHash,
		RequestHash:  receipt.RequestHash(c.Method, c.RequestURI, c.Body),
		Status:       uint16(resp.Status),
		ResponseHash: cove.SHA256(resp.Body),
		Timestamp:    uint64(time.Now().Unix()),
	}
	signed, err := receipt.Sign(k.attestor, rc)
	if err != nil {
		return nil, fmt.Errorf("sign receipt for agent %s: %w", a.ID, err)
	}
	signed.SetHeaders(resp.Header)
	resp.Header.Set("Cove-Request-Id", reqID)

	entry := Invocation{
		RequestID: reqID, Agent: a.ID, Time: start.UTC(), Method: c.Method, Path: c.RequestURI,
		Status: resp.Status, DurationMS: float64(time.Since(start).Microseconds()) / 1000,
	}
	if res != nil {
		entry.Logs, entry.Fetches = res.Logs, res.Fetches
	}
	if runErr != nil {
		entry.Error = runErr.Error()
		s.log.Info("agent call failed", "agent", a.ID, "request", reqID, "err", runErr)
	}
	s.logs.add(entry)
	return resp, nil
}

func (s *Server) run(ctx context.Context, p *sandbox.Program, k *agentKeys, c Call) (*sandbox.Result, error) {
	env := sandbox.Env{
		Secrets: k.secrets,
		DeriveKey: func(path string) ([32]byte, error) {
			return k.key.Derive(path), nil
		},
	}
	return s.engine.Run(ctx, p, sandbox.Request{Method: c.Method, URL: c.URL, Header: c.Header, Body: c.Body}, env)
}

// reservedHeaders are headers an agent may not set: hop-by-hop headers, the
// length (the gateway sets it) and Cove's own.
var reservedHeaders = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length", "Cove-Receipt", "Cove-Signature", "Cove-Signer", "Cove-Request-Id"}

func sanitize(h http.Header) http.Header {
	if h == nil {
		return http.Header{}
	}
	for _, k := range reservedHeaders {
		h.Del(k)
	}
	return h
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
