// Package worker runs agents. A worker has an identity made and sealed in
// its TEE, registers it on the chain with a quote (register.go), follows the
// chain to open the cluster keys gatekeepers provision to that identity and
// to prepare newly deployed code (follow.go), and answers calls: Invoke
// loads an agent's bundle, compiles it once, opens its sealed secrets with
// the cluster key of their epoch, runs the call in a warm sandbox of the
// agent, or a fresh one for an agent deployed with isolation "request"
// (worker/sandbox) and signs the response with the agent's attestor key (a
// receipt, see package receipt). It keeps every invocation's console output,
// status and duration for `cove agent logs`, sealed at rest under a log key
// its TEE seals (logseal.go).
//
// The worker knows nothing of HTTP servers: a gateway (or the EVM bridge,
// or a test) calls Invoke with a cove.Call and gets a cove.Response.
//
// Security: the worker holds its cluster keys, which derive every agent key
// of the cluster; it must run inside an attested TEE, and receives them
// only sealed to its attested identity. It never logs secrets or keys, and
// agents' outbound requests go through the egress policy.
package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/attest"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/metrics"
	"github.com/cove-network/cove/internal/payment"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/receipt"
	"github.com/cove-network/cove/secret"
	"github.com/cove-network/cove/worker/ai"
	"github.com/cove-network/cove/worker/egress"
	"github.com/cove-network/cove/worker/sandbox"
)

// EngineName names the JavaScript engine this build's workers run agents
// on (sandbox.EngineName: "quickjs-native", or "quickjs-modernc" under
// -tags cove_purego or without cgo).
const EngineName = sandbox.EngineName

// Config tunes a worker.
type Config struct {
	// Cluster is the cluster this worker serves.
	Cluster keys.ClusterID `toml:"cluster"`
	// Limits bound each invocation.
	Limits sandbox.Limits `toml:"limits"`
	// Isolates bounds the warm VMs kept for agents deployed with
	// isolation "agent" (the default). Unset, max_idle_per_agent and
	// max_idle are both the agent's bound on running calls
	// (MaxPerAgent), each at least its sandbox.DefaultIsolates value (4
	// and 16), so an agent busy at its bound keeps its VMs warm instead of
	// closing and remaking them as calls end and start.
	Isolates sandbox.Isolates `toml:"isolates"`
	// EgressAllow lists HOST:PORT addresses agents may reach although the
	// egress policy refuses them (loopback, private, ...), e.g. a local mock API.
	EgressAllow []string `toml:"egress_allow"`
	// MaxConcurrent bounds invocations running at once; more wait, each
	// agent's in its own queue (see MaxPerAgent).
	MaxConcurrent int `toml:"max_concurrent"`
	// MaxPerAgent bounds one agent's invocations running at once, so that
	// an agent flooded with calls leaves slots to the others; zero means
	// half of MaxConcurrent (at least 1). A freed slot goes to the agents
	// with waiting calls in turn (round-robin), not to the oldest call.
	MaxPerAgent int `toml:"max_per_agent"`
	// MaxQueuedPerAgent bounds one agent's calls waiting for a slot; a
	// call beyond it is answered at once with a signed 429 agent_busy and
	// Retry-After; zero means DefaultMaxQueuedPerAgent.
	MaxQueuedPerAgent int `toml:"max_queued_per_agent"`
	// MaxRequestBytes bounds a call's body.
	MaxRequestBytes int64 `toml:"max_request_bytes"`
	// LogDir keeps invocation logs, sealed to the worker's TEE (a key in
	// the worker's directory, LogKeyFile); empty keeps them in memory only.
	LogDir string `toml:"log_dir"`
	// ReceiptBatch bounds how many responses of one agent share one
	// receipt signature under load (version-3 receipts, ADR 18); a
	// response signed while no other is being signed is signed alone
	// (version 2). 1 signs every response alone; 0 means
	// receipt.DefaultBatch (16).
	ReceiptBatch int `toml:"receipt_batch"`
	// LogsPerAgent is how many invocations' logs are kept per agent.
	LogsPerAgent int `toml:"logs_per_agent"`
	// CompiledCacheBytes bounds the compiled agent programs kept (bytes of
	// bytecode; least recently used out first); zero means
	// DefaultCompiledCacheBytes. A program dropped is compiled again on its
	// agent's next call.
	CompiledCacheBytes int `toml:"compiled_cache_bytes,omitempty"`
	// AI configures the worker's confidential AI service (package
	// worker/ai); the node fills it from cove.toml's [ai] section.
	AI ai.Config `toml:"-"`
}

// DefaultMaxQueuedPerAgent is how many calls of one agent wait for a slot
// when Config.MaxQueuedPerAgent is zero: enough for `cove bench
// --concurrency 64` and more against one agent.
const DefaultMaxQueuedPerAgent = 256

// perAgent returns the effective MaxPerAgent and MaxQueuedPerAgent.
func (c Config) perAgent() (running, queued int) {
	running, queued = c.MaxPerAgent, c.MaxQueuedPerAgent
	if running == 0 {
		running = max(1, c.MaxConcurrent/2)
	}
	if queued == 0 {
		queued = DefaultMaxQueuedPerAgent
	}
	return min(running, c.MaxConcurrent), queued
}

// isolates returns Isolates with the defaults that depend on the worker's
// concurrency filled in (see Config.Isolates).
func (c Config) isolates() sandbox.Isolates {
	iso, d := c.Isolates, sandbox.DefaultIsolates()
	running, _ := c.perAgent()
	if iso.MaxIdlePerAgent == 0 {
		iso.MaxIdlePerAgent = max(running, d.MaxIdlePerAgent)
	}
	if iso.MaxIdle == 0 {
		iso.MaxIdle = max(running, d.MaxIdle)
	}
	return iso
}

// DefaultConfig returns a worker configuration with the default limits
// (sandbox.DefaultLimits).
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
	if c.MaxPerAgent < 0 {
		return fmt.Errorf("worker: max_per_agent %d must not be negative (0 means half of max_concurrent)", c.MaxPerAgent)
	}
	if c.MaxQueuedPerAgent < 0 {
		return fmt.Errorf("worker: max_queued_per_agent %d must not be negative (0 means %d)", c.MaxQueuedPerAgent, DefaultMaxQueuedPerAgent)
	}
	if c.MaxRequestBytes < 1 {
		return fmt.Errorf("worker: max_request_bytes %d must be positive", c.MaxRequestBytes)
	}
	if c.ReceiptBatch < 0 || c.ReceiptBatch > 1<<cove.MaxReceiptProof {
		return fmt.Errorf("worker: receipt_batch %d must be 1 to %d (0 means %d)", c.ReceiptBatch, 1<<cove.MaxReceiptProof, receipt.DefaultBatch)
	}
	if c.CompiledCacheBytes < 0 {
		return fmt.Errorf("worker: compiled_cache_bytes %d must not be negative (0 means %d)", c.CompiledCacheBytes, DefaultCompiledCacheBytes)
	}
	if c.LogsPerAgent < 1 {
		return fmt.Errorf("worker: logs_per_agent %d must be at least 1", c.LogsPerAgent)
	}
	for _, a := range c.EgressAllow {
		if strings.HasSuffix(strings.TrimSpace(a), ":*") {
			return fmt.Errorf("worker: egress_allow %q: a port * is for `cove agent test`'s local harness only; name the port", a)
		}
	}
	if _, err := egress.New(c.EgressAllow); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	return c.AI.Validate()
}

// Platform is the TEE the worker runs in: it seals the identity to disk and
// quotes the identity key for registration (tee/sim, a TDX guest).
type Platform interface {
	Sealer
	// Name names the platform in RegisterWorker ("sim", "tdx").
	Name() string
	// Quote returns attestation evidence whose report data is reportData.
	Quote(reportData [64]byte) ([]byte, error)
}

// Chain is the ledger as the worker uses it. The node implements it with
// its validator and operator key.
type Chain interface {
	// View reads the committed state: agents, provisions, epochs.
	View() chain.View
	// Subscribe delivers committed transactions' events until ctx ends;
	// a slow reader may miss some (the worker also re-reads on a timer).
	Subscribe(ctx context.Context) <-chan chain.Event
	// Send signs the message build makes for the operator's next nonce,
	// broadcasts it and waits for its block. It fails with an error
	// wrapping txsend.ErrNoKey on a node without an operator key.
	Send(ctx context.Context, build func(nonce uint64) chain.Msg) (chain.TxOutcome, error)
	// Operator returns the account Send signs with (the worker's quote
	// binds it, see chain.ReportData), or an error wrapping
	// txsend.ErrNoKey.
	Operator() (cove.Address, error)
}

// Blobs is where the worker reads agent bundles.
type Blobs interface {
	Get(cid string) ([]byte, error)
}

// Server is a worker.
type Server struct {
	cfg      Config
	log      *slog.Logger
	platform Platform
	chain    Chain
	blobs    Blobs
	id       *Identity
	myID     cove.Hash
	ring     *KeyRing
	engine   *sandbox.Engine
	slots    *slots
	logs     *logBook
	// prepares are code preparations the chain follower started; Run
	// waits for them.
	prepares sync.WaitGroup
	ai       *ai.Service
	// linkLedger is the ledger of the channels bound to this worker (ADR
	// 25): the vouchers its link accepted and those its node's gateway
	// took for calls it ran in process (LinkVouchersFile); linkFree the
	// day's free calls at the link.
	linkLedger *payment.Ledger
	linkFree   payment.FreeCounts
	// linkFreeFile keeps linkFree across a clean restart (empty: none).
	linkFreeFile string
	metrics      *metrics.Set // nil: none kept

	mu       sync.Mutex
	programs *programCache // by code hash, within CompiledCacheBytes
	agents   map[cove.AgentID]*agentKeys
	signed   receipt.BatchCount // by every agent's Batcher
}

// agentKeys caches what the worker derives or opens once per agent.
type agentKeys struct {
	key      keys.Agent
	attestor *keys.Attestor
	receipts *receipt.Batcher // signs as attestor, in batches under load
	sealed   string           // the sealed secrets the set was opened from
	secrets  secret.Set
}

// NewSandbox returns the sandbox a worker with cfg runs agents in: cfg's
// limits and warm-VM bounds, and an HTTP client for the agents' fetch that
// keeps to the egress policy (cfg.EgressAllow) and follows at most 10
// redirects.
func NewSandbox(cfg Config) (*sandbox.Engine, error) {
	return newSandbox(cfg, nil)
}

// newSandbox is NewSandbox with the AI service answering
// http://ai.cove.internal/ in process (when svc is not nil).
func newSandbox(cfg Config, svc *ai.Service) (*sandbox.Engine, error) {
	policy, err := egress.New(cfg.EgressAllow)
	if err != nil {
		return nil, err
	}
	var transport http.RoundTripper = policy.Transport()
	if svc != nil {
		transport = svc.Transport(transport)
	}
	client := &http.Client{
		Transport: transport,
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
	engine.SetIsolates(cfg.isolates())
	return engine, nil
}

// LinkVouchersFile, in the worker's data dir, keeps the vouchers it
// accepted at its link (payment.Ledger's log), until the owner redeems
// them through a gateway.
const LinkVouchersFile = "link-vouchers.log"

// LinkFreeCallsFile, in the worker's data dir, keeps the day's free calls
// at its link across a clean restart.
const LinkFreeCallsFile = "link-free-calls.json"

// New loads (or makes, in the TEE) the worker's sealed identity in dir and
// returns a worker that takes its cluster keys only from the chain, sealed
// to that identity. It starts nothing: Run registers and follows the chain.
func New(cfg Config, log *slog.Logger, platform Platform, c Chain, blobs Blobs, dir string) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	path := filepath.Join(dir, IdentityFile)
	id, created, err := LoadIdentity(platform, path)
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	myID := chain.WorkerID(id.PublicKey())
	log.Info("worker identity", "worker", myID, "created", created, "sealed_in", path)
	var measurement cove.Hash
	if m, ok := platform.(interface{ Measurement() [32]byte }); ok {
		measurement = m.Measurement()
	}
	aiService, err := ai.New(cfg.AI, log, platform, dir, measurement)
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	log.Info("worker AI service", "signing_address", aiService.SigningAddress(), "providers", aiService.Providers())
	engine, err := newSandbox(cfg, aiService)
	if err != nil {
		return nil, err
	}
	var seal *logSeal
	if cfg.LogDir != "" {
		// Invocation logs are sealed to this TEE. A log key that does not
		// open keeps them in memory only: logs are not worth refusing to
		// serve for, and a key left in place may open again.
		keyPath := filepath.Join(dir, LogKeyFile)
		if seal, err = loadLogKey(platform, keyPath); err != nil {
			log.Error("invocation logs kept in memory only: the sealed log key does not open; remove it to start new logs", "file", keyPath, "err", err)
		}
	}
	logs, err := openLogBook(cfg.LogDir, cfg.LogsPerAgent, seal, log)
	if err != nil {
		return nil, err
	}
	perAgent, queued := cfg.perAgent()
	var vouchers string // in memory without a data dir
	if dir != "" {
		vouchers = filepath.Join(dir, LinkVouchersFile)
	}
	linkLedger, err := payment.Open(vouchers, log)
	if err != nil {
		return nil, err
	}
	srv := &Server{
		cfg:      cfg,
		log:      log,
		platform: platform,
		chain:    c,
		blobs:    blobs,
		id:       id,
		myID:     myID,
		ring:     NewKeyRing(id),
		engine:   engine,
		slots:    newSlots(cfg.MaxConcurrent, perAgent, queued),
		logs:     logs,
		ai:       aiService,
		programs: newProgramCache(cmp.Or(cfg.CompiledCacheBytes, DefaultCompiledCacheBytes)),
		agents:   map[cove.AgentID]*agentKeys{},

		linkLedger: linkLedger,
	}
	if dir != "" {
		srv.linkFreeFile = filepath.Join(dir, LinkFreeCallsFile)
		if err := srv.linkFree.Load(srv.linkFreeFile, time.Now()); err != nil {
			log.Warn("the day's free calls at the link start again from none", "err", err)
		}
	}
	// Upstreams that are TEEs themselves: their platform is checked
	// against this network's TEE policy, as workers' are (the host's clock
	// as now), their measurement against the provider's own list.
	aiService.SetQuoteVerifier(func(tee string, quote []byte, reportData [64]byte, measurements [][]byte) ([]byte, error) {
		params := c.View().Params()
		params.TEE.AllowedMeasurements = nil
		for _, m := range measurements {
			params.TEE.AllowedMeasurements = append(params.TEE.AllowedMeasurements, chain.Bytes(m))
		}
		att, err := attest.Verifier{}.VerifyQuote(tee, quote, reportData, time.Now(), params)
		return att.Measurement, err
	})
	aiService.SetOpener(func(id cove.AgentID, sealed []byte) (map[string]string, error) {
		set, err := srv.openSecrets(id, sealed)
		if errors.Is(err, ErrNotProvisioned) {
			return nil, fmt.Errorf("%w: %w", ai.ErrKeyUnavailable, err)
		}
		return set, err
	})
	return srv, nil
}

// ID returns the worker's id on chain: keccak256 of its identity public key.
func (s *Server) ID() cove.Hash { return s.myID }

// Run does the worker's background work until ctx ends: it registers the
// worker on the chain (unless it is registered) with endpoint, the URL
// where gateways reach it, and follows the chain to open provisioned
// cluster keys and prepare deployed code. It closes the invocation logs on
// the way out. Invoke works while Run runs and before: without keys it
// refuses with worker_not_provisioned.
func (s *Server) Run(ctx context.Context, endpoint string) error {
	var wg sync.WaitGroup
	events := s.chain.Subscribe(ctx)
	wg.Go(func() { s.follow(ctx, events) })
	// Registration runs beside the rest: a worker that is not registered yet
	// still serves calls for agents of epochs it holds keys of.
	wg.Go(func() { s.register(ctx, endpoint) })
	wg.Go(func() { s.heartbeats(ctx) })
	// The ledger syncs while the worker runs, with or without a link:
	// its node's gateway takes vouchers into it too.
	wg.Go(func() { s.linkLedger.Run(ctx) })
	wg.Wait()
	s.prepares.Wait()
	s.engine.Close()
	return errors.Join(s.ai.Close(), s.logs.close())
}

// SetMetrics makes the worker (and its AI service) record into m: the
// compiled-program cache, sandbox limits, the AI API's answers, and the
// calls waiting for a slot. Call it before Run.
func (s *Server) SetMetrics(m *metrics.Set) {
	s.metrics = m
	s.ai.SetMetrics(m)
	m.GaugeFunc("cove_worker_waiting_calls", "Calls waiting for an invocation slot on this worker.", nil, func() float64 { return float64(s.slots.waiting()) })
	m.GaugeFunc("cove_worker_running_calls", "Invocations running on this worker.", nil, func() float64 { return float64(s.slots.running()) })
	m.CounterFunc("cove_receipts_signed_total", "Receipts this worker signed, alone or in batches (ADR 18).", func() float64 { return float64(s.signed.Receipts.Load()) })
	m.CounterFunc("cove_receipt_signatures_total", "Signatures this worker made over receipts: one per receipt signed alone, one per batch. cove_receipts_signed_total over this is the mean batch size.", func() float64 { return float64(s.signed.Signatures.Load()) })
	// The warm-VM pool (ADR 17): how often a call found a warm VM of its
	// agent, and why VMs went away.
	pool := func(f func(sandbox.PoolStats) int64) func() float64 {
		return func() float64 { return float64(f(s.engine.PoolStats())) }
	}
	m.CounterFunc("cove_sandbox_warm_calls_total", "Calls served by a warm VM of their agent.", pool(func(p sandbox.PoolStats) int64 { return p.Warm }))
	m.CounterFunc("cove_sandbox_cold_calls_total", "Calls that started a new VM: the agent's first, one after an upgrade or a recycled VM, one while all its warm VMs were busy, or any call of an agent deployed with --isolation request.", pool(func(p sandbox.PoolStats) int64 { return p.Cold }))
	m.CounterFunc("cove_sandbox_vms_retired_total", "VMs closed at the end of a call: it failed or hit a limit, left work pending, or was due for recycling (max_uses, max_age), its agent had enough idle VMs, or its agent was deployed with --isolation request (a VM per call).", pool(func(p sandbox.PoolStats) int64 { return p.Retired }))
	m.CounterFunc("cove_sandbox_vms_evicted_total", "Idle VMs closed: idle too long, over max_idle, too old when a call came (max_age), of an upgraded agent, or when the worker stopped.", pool(func(p sandbox.PoolStats) int64 { return p.Evicted }))
	m.GaugeFunc("cove_sandbox_idle_vms", "Warm VMs idle now, over all agents.", nil, pool(func(p sandbox.PoolStats) int64 { return int64(p.Idle) }))
	m.GaugeFunc("cove_compile_cache_bytes", "Bytecode bytes of the compiled programs this worker keeps.", nil, func() float64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		return float64(s.programs.bytes())
	})
}

// Ledger returns the ledger of the vouchers this worker takes, of the
// channels bound to it (ADR 25): its link's, and its node's gateway's for
// those channels. Run and ServeLink sync it; a gateway that takes
// vouchers into it runs it too (payment.Ledger.Run).
func (s *Server) Ledger() *payment.Ledger { return s.linkLedger }

// WorkersFor returns this worker, once it can sign (Ready): the one
// verifier a gateway that runs calls only here offers payers to bind a
// channel to (gateway.WorkerLister).
func (s *Server) WorkersFor(cove.AgentID) []cove.Hash {
	if s.Ready() != nil {
		return nil
	}
	return []cove.Hash{s.myID}
}

// AI returns the worker's confidential AI service, which the gateway
// serves under /v1 (ADR 19).
func (s *Server) AI() *ai.Service { return s.ai }

// Ready returns nil once the worker holds a cluster key, so it can sign for
// agents; before, an error that says why not.
func (s *Server) Ready() error {
	if s.ring.Len() == 0 {
		return &cove.Error{Status: http.StatusServiceUnavailable, Code: CodeNotProvisioned,
			Message: "the worker has not been provisioned with a cluster key by a gatekeeper yet; retry shortly"}
	}
	return nil
}

// Limits returns the effective per-invocation limits.
func (s *Server) Limits() sandbox.Limits { return s.engine.Limits() }

// Attestor returns the address that signs agent id's receipts: the one
// published on chain, or, until a gatekeeper publishes it, the one this
// worker derives from its cluster key (zero when it holds none of the
// agent's epoch, or the agent does not exist).
func (s *Server) Attestor(id cove.AgentID) cove.Address {
	rec, err := s.chain.View().Agent(id)
	if err != nil {
		return cove.Address{}
	}
	if !rec.Attestor.IsZero() {
		return rec.Attestor
	}
	c, ok := s.ring.Cluster(rec.KeyEpoch)
	if !ok {
		return cove.Address{}
	}
	return c.Agent(id).Attestor().Address()
}

// ClusterKey returns the cluster's id, the latest key epoch and its HPKE
// public key: what clients seal new secrets to. It fails while no epoch is
// published.
func (s *Server) ClusterKey() (cluster string, epoch uint32, publicKey []byte, err error) {
	rec, ok := s.chain.View().LatestEpoch()
	if !ok {
		return "", 0, nil, errors.New("no key epoch published yet")
	}
	return string(s.cfg.Cluster), uint32(rec.Epoch), rec.ClusterPublicKey, nil
}
