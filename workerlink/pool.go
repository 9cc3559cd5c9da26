package workerlink

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
)

// PoolConfig tunes a gateway's routing to workers.
type PoolConfig struct {
	// HealthInterval is how often each worker's health is asked.
	HealthInterval time.Duration `toml:"health_interval"`
	// HealthTimeout bounds one health check; a worker that does not answer
	// in time is out of rotation until it does.
	HealthTimeout time.Duration `toml:"health_timeout"`
	// Attempts bounds the workers one call is sent to when it cannot reach
	// them (a refused connection): the call is never sent twice.
	Attempts int `toml:"attempts"`
	// MaxResponseBytes bounds a buffered response read from a worker.
	MaxResponseBytes int64 `toml:"max_response_bytes"`
}

// DefaultPoolConfig returns the routing defaults.
func DefaultPoolConfig() PoolConfig {
	return PoolConfig{HealthInterval: 250 * time.Millisecond, HealthTimeout: time.Second, Attempts: 3, MaxResponseBytes: 64 << 20}
}

// Validate reports a configuration that cannot work.
func (c PoolConfig) Validate() error {
	if c.HealthInterval <= 0 || c.HealthTimeout <= 0 {
		return errors.New("routing: health_interval and health_timeout must be positive")
	}
	if c.Attempts < 1 {
		return fmt.Errorf("routing: attempts %d must be at least 1", c.Attempts)
	}
	if c.MaxResponseBytes < 1 {
		return fmt.Errorf("routing: max_response_bytes %d must be positive", c.MaxResponseBytes)
	}
	return nil
}

// Codes of the errors a Pool answers itself.
const (
	CodeNoWorker        = "no_worker"
	CodeWorkerFailed    = "worker_failed"
	CodeBadReceipt      = "worker_bad_receipt"
	CodeAttestorPending = "attestor_pending"
)

// Pool routes calls to the chain's workers: each call goes to an active
// worker that says it holds the agent's key epoch, the one with the fewest
// calls outstanding from this gateway, preferring one it has sent the
// agent's code before (so likely compiled). Workers come from the chain
// (status active, an https:// endpoint); each is reached over a link pinned
// to its registered identity key and asked its health every
// HealthInterval. A call that cannot reach a worker goes to another one; a
// worker that fails during a call answers the caller 502 worker_failed and
// is out of rotation at once, until its health check passes again. The
// node's own worker, when it has one (local), is called in process.
type Pool struct {
	cfg   PoolConfig
	log   *slog.Logger
	view  func() chain.View
	self  cove.Hash
	local Worker

	mu      sync.Mutex
	members map[cove.Hash]*member
	// refused are workers not routable, by id, with the endpoint refused
	// (logged once each).
	refused map[cove.Hash]string
}

// member is one worker of the pool.
type member struct {
	id       cove.Hash
	endpoint string
	key      []byte
	remote   *Remote // nil: the local worker
	local    Worker

	outstanding atomic.Int64
	checking    atomic.Bool

	mu     sync.Mutex
	up     bool
	health Health
	codes  map[cove.Hash]struct{} // code hashes it answered for
}

// maxCodes bounds the code hashes remembered per worker.
const maxCodes = 4096

// NewPool returns a pool over the workers in view's state. local, if not
// nil, is this node's own worker, whose id is self.
func NewPool(cfg PoolConfig, log *slog.Logger, view func() chain.View, self cove.Hash, local Worker) (*Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Pool{cfg: cfg, log: log, view: view, self: self, local: local, members: map[cove.Hash]*member{}, refused: map[cove.Hash]string{}}, nil
}

// Run keeps the pool in step with the chain's workers and their health
// until ctx ends.
func (p *Pool) Run(ctx context.Context) error {
	t := time.NewTicker(p.cfg.HealthInterval)
	defer t.Stop()
	for {
		p.sync()
		p.checkAll(ctx)
		select {
		case <-ctx.Done():
			p.mu.Lock()
			for _, m := range p.members {
				if m.remote != nil {
					m.remote.Close()
				}
			}
			p.mu.Unlock()
			return nil
		case <-t.C:
		}
	}
}

// sync adds the chain's active workers with an https endpoint (and the
// local one) and drops the others.
func (p *Pool) sync() {
	seen := map[cove.Hash]bool{}
	v := p.view()
	for _, w := range v.Workers() {
		if w.Status != chain.WorkerStatusActive {
			continue
		}
		if pw, err := v.PoolWorker(w.ID); err == nil && pw.State == chain.PoolWorkerUnresponsive {
			continue // it missed a heartbeat: not routed until it answers again
		}
		isLocal := p.local != nil && w.ID == p.self
		if !isLocal && !strings.HasPrefix(w.Endpoint, "https://") {
			continue // registered without a link (an older node, or a gateway URL)
		}
		seen[w.ID] = true
		p.mu.Lock()
		m := p.members[w.ID]
		p.mu.Unlock()
		if m != nil && (isLocal || (m.endpoint == w.Endpoint && bytes.Equal(m.key, w.PublicKey))) {
			continue
		}
		nm := &member{id: w.ID, endpoint: w.Endpoint, key: w.PublicKey, codes: map[cove.Hash]struct{}{}}
		if isLocal {
			nm.local = p.local
		} else {
			r, err := NewRemote(w.Endpoint, w.PublicKey, p.cfg.MaxResponseBytes)
			if err != nil {
				p.mu.Lock()
				if p.refused[w.ID] != w.Endpoint {
					p.refused[w.ID] = w.Endpoint
					p.log.Warn("worker not routable", "worker", w.ID, "endpoint", w.Endpoint, "err", err)
				}
				if m != nil {
					// Never keep a member whose record changed.
					if m.remote != nil {
						m.remote.Close()
					}
					delete(p.members, w.ID)
				}
				p.mu.Unlock()
				continue
			}
			nm.remote = r
		}
		p.mu.Lock()
		if m != nil && m.remote != nil {
			m.remote.Close()
		}
		p.members[w.ID] = nm
		p.mu.Unlock()
		p.log.Info("worker joined the routing pool", "worker", w.ID, "endpoint", w.Endpoint, "local", isLocal)
	}
	p.mu.Lock()
	for id, m := range p.members {
		if !seen[id] {
			if m.remote != nil {
				m.remote.Close()
			}
			delete(p.members, id)
			p.log.Info("worker left the routing pool", "worker", id)
		}
	}
	p.mu.Unlock()
}

// checkAll asks every worker's health, each at most once at a time.
func (p *Pool) checkAll(ctx context.Context) {
	p.mu.Lock()
	ms := make([]*member, 0, len(p.members))
	for _, m := range p.members {
		ms = append(ms, m)
	}
	p.mu.Unlock()
	for _, m := range ms {
		if !m.checking.CompareAndSwap(false, true) {
			continue
		}
		go func() {
			defer m.checking.Store(false)
			p.check(ctx, m)
		}()
	}
}

func (p *Pool) check(ctx context.Context, m *member) {
	var h Health
	var err error
	if m.local != nil {
		h = m.local.Health()
	} else {
		cctx, cancel := context.WithTimeout(ctx, p.cfg.HealthTimeout)
		h, err = m.remote.Health(cctx)
		cancel()
		if err == nil && h.Worker != m.id {
			err = fmt.Errorf("it says it is worker %s", h.Worker)
		}
	}
	if ctx.Err() != nil {
		return
	}
	m.mu.Lock()
	was := m.up
	m.up = err == nil
	if err == nil {
		m.health = h
	}
	m.mu.Unlock()
	switch {
	case err != nil && was:
		p.log.Warn("worker out of rotation: health check failed", "worker", m.id, "endpoint", m.endpoint, "err", err)
	case err == nil && !was:
		p.log.Info("worker in rotation", "worker", m.id, "endpoint", m.endpoint, "ready", h.Ready, "epochs", h.Epochs)
	}
}

// markDown takes m out of rotation until its health check passes.
func (p *Pool) markDown(m *member, why error) {
	m.mu.Lock()
	was := m.up
	m.up = false
	m.mu.Unlock()
	if was {
		p.log.Warn("worker out of rotation", "worker", m.id, "endpoint", m.endpoint, "err", why)
	}
}

// Ready is nil when some worker is in rotation and holds a key.
func (p *Pool) Ready() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.members {
		m.mu.Lock()
		ok := m.up && m.health.Ready
		m.mu.Unlock()
		if ok {
			return nil
		}
	}
	return &cove.Error{Status: http.StatusServiceUnavailable, Code: CodeNoWorker, RetryAfter: time.Second,
		Message: "no worker holding a cluster key is reachable from this gateway yet; retry shortly"}
}

// MemberState is one worker as the pool sees it.
type MemberState struct {
	Worker      cove.Hash
	Endpoint    string
	Local       bool
	Up          bool
	Ready       bool
	Outstanding int64
}

// Members returns the pool's workers, sorted by id.
func (p *Pool) Members() []MemberState {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]MemberState, 0, len(p.members))
	for _, m := range p.members {
		m.mu.Lock()
		out = append(out, MemberState{Worker: m.id, Endpoint: m.endpoint, Local: m.local != nil, Up: m.up, Ready: m.health.Ready, Outstanding: m.outstanding.Load()})
		m.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b MemberState) int { return bytes.Compare(a.Worker[:], b.Worker[:]) })
	return out
}

// vouchersTimeout bounds one worker's answer of vouchers: a worker with
// many channels of an agent checks each against its chain view.
const vouchersTimeout = 10 * time.Second

// Vouchers asks every worker of the pool (the local one in process) for
// the vouchers of agent id's channels it accepted at its link, passing on
// the owner's Cove-Auth auth, each within vouchersTimeout. It returns what
// they gave, unchecked (a worker may lie: the caller checks each against
// the chain), and the errors of those that did not answer.
func (p *Pool) Vouchers(ctx context.Context, id cove.AgentID, auth string) ([][]api.Redeemable, []error) {
	p.mu.Lock()
	members := slices.Collect(maps.Values(p.members))
	p.mu.Unlock()
	var (
		mu   sync.Mutex
		out  [][]api.Redeemable
		errs []error
		wg   sync.WaitGroup
	)
	add := func(w string, l []api.Redeemable, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, fmt.Errorf("worker %s: %w", w, err))
			return
		}
		out = append(out, l)
	}
	if vs, ok := p.local.(VoucherSource); ok {
		l, err := vs.Vouchers(ctx, id, auth)
		add("local", l, err)
	}
	for _, m := range members {
		if m.remote == nil {
			continue
		}
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, vouchersTimeout)
			defer cancel()
			l, err := m.remote.Vouchers(cctx, id, auth)
			add(m.endpoint, l, err)
		})
	}
	wg.Wait()
	return out, errs
}

// pick returns the member to send a call of rec to, or nil: when only is
// not zero, that member alone (the worker a call's payment channel is
// bound to); in rotation, holding rec's key epoch, not in tried; fewest outstanding calls, one
// point more for a worker that has not answered for rec's code; ties at
// random.
func (p *Pool) pick(rec chain.AgentRecord, only cove.Hash, tried map[*member]bool) *member {
	p.mu.Lock()
	ms := make([]*member, 0, len(p.members))
	for _, m := range p.members {
		ms = append(ms, m)
	}
	p.mu.Unlock()
	var best *member
	bestScore, ties := int64(0), 0
	for _, m := range ms {
		if tried[m] || !only.IsZero() && m.id != only {
			continue
		}
		m.mu.Lock()
		ok := m.up && m.health.Ready && slices.Contains(m.health.Epochs, rec.KeyEpoch)
		_, warm := m.codes[rec.CodeHash]
		m.mu.Unlock()
		if !ok {
			continue
		}
		score := m.outstanding.Load()
		if !warm {
			score++
		}
		switch {
		case best == nil || score < bestScore:
			best, bestScore, ties = m, score, 1
		case score == bestScore:
			ties++
			if rand.IntN(ties) == 0 {
				best = m
			}
		}
	}
	return best
}

// routesTo reports whether worker id is a member of the pool, in
// rotation or not.
func (p *Pool) routesTo(id cove.Hash) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.members[id]
	return ok
}

// maxOffered bounds the workers WorkersFor offers.
const maxOffered = 8

// WorkersFor returns the workers of the pool that can run agent id now
// (in rotation, holding its key epoch), the least busy first (ties at
// random), at most maxOffered: the verifiers a payer may bind a channel
// to (ADR 25).
func (p *Pool) WorkersFor(id cove.AgentID) []cove.Hash {
	rec, err := p.view().Agent(id)
	if err != nil {
		return nil
	}
	p.mu.Lock()
	ms := slices.Collect(maps.Values(p.members))
	p.mu.Unlock()
	type load struct {
		id   cove.Hash
		busy int64
	}
	var ls []load
	for _, m := range ms {
		m.mu.Lock()
		ok := m.up && m.health.Ready && slices.Contains(m.health.Epochs, rec.KeyEpoch)
		m.mu.Unlock()
		if ok {
			ls = append(ls, load{m.id, m.outstanding.Load()})
		}
	}
	// Ties at random: channels last, and the idle workers would
	// otherwise all be offered in the same order.
	rand.Shuffle(len(ls), func(i, j int) { ls[i], ls[j] = ls[j], ls[i] })
	slices.SortStableFunc(ls, func(a, b load) int { return cmp.Compare(a.busy, b.busy) })
	if len(ls) > maxOffered {
		ls = ls[:maxOffered]
	}
	out := make([]cove.Hash, len(ls))
	for i, l := range ls {
		out[i] = l.id
	}
	return out
}

// Invoke runs one call of agent id on a worker of the pool (see Pool).
// A call with a Worker runs there or nowhere.
func (p *Pool) Invoke(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error) {
	rec, err := p.view().Agent(id)
	if errors.Is(err, cove.ErrNotFound) {
		return nil, &cove.Error{Status: http.StatusNotFound, Code: api.CodeAgentNotFound, Err: err,
			Message: fmt.Sprintf("no agent %s is deployed on this network; deploy one with `cove agent deploy` or list them with `cove agent list`", id)}
	}
	if err != nil {
		return nil, fmt.Errorf("route agent %s: %w", id, err)
	}
	if !c.Worker.IsZero() && !p.routesTo(c.Worker) {
		if _, err := p.view().Worker(c.Worker); err == nil {
			// Registered, but out of rotation for now (unresponsive on
			// chain, or its endpoint not reachable): perhaps back soon.
			return nil, &cove.Error{Status: http.StatusServiceUnavailable, Code: CodeNoWorker, RetryAfter: time.Second,
				Message: fmt.Sprintf("the call's payment channel is bound to worker %s, which is not in this gateway's rotation now; retry shortly, or close the channel and open one bound to a worker this gateway offers (GET /v1/agents/%s/terms)", c.Worker, id)}
		}
		// Unsigned, as a refused payment is: no agent ran.
		return nil, &cove.Error{Status: http.StatusPaymentRequired, Code: api.CodePaymentRequired,
			Message: fmt.Sprintf("the call's payment channel is bound to worker %s, and only that worker runs the calls it pays; no such worker is registered now: close the channel and open one bound to a worker this gateway offers (GET /v1/agents/%s/terms)", c.Worker, id)}
	}
	want := Expect{Agent: id, Attestor: rec.Attestor}
	waited := false
	// Workers follow the chain a block or so behind this gateway: one
	// that has not seen the agent's deploy says agent_not_found, and the
	// call is tried again (it did not run) until catchUpWait.
	catchUp := time.Now().Add(catchUpWait)
	for {
		resp, behind, err := p.attempt(ctx, id, c, rec, &want, &waited)
		if !behind || time.Now().After(catchUp) {
			return resp, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// catchUpWait bounds how long a call waits for workers to see its agent.
const catchUpWait = 5 * time.Second

// attempt sends the call to at most Attempts workers (see Pool); behind
// reports that every worker that answered had not seen the agent yet.
func (p *Pool) attempt(ctx context.Context, id cove.AgentID, c cove.Call, rec chain.AgentRecord, want *Expect, waited *bool) (_ *cove.Response, behind bool, _ error) {
	tried := map[*member]bool{}
	var lastRefusal error
	for range p.cfg.Attempts {
		m := p.pick(rec, c.Worker, tried)
		if m == nil {
			break
		}
		tried[m] = true
		if m.remote != nil && want.Attestor.IsZero() && !*waited {
			*waited = true
			// Deployed moments ago: a gatekeeper publishes the attestor
			// within a block or two, and a remote worker's receipt
			// cannot be checked without it.
			want.Attestor = p.awaitAttestor(ctx, rec).Attestor
		}
		if m.remote != nil && want.Attestor.IsZero() {
			lastRefusal = &cove.Error{Status: http.StatusServiceUnavailable, Code: CodeAttestorPending, RetryAfter: time.Second,
				Message: fmt.Sprintf("agent %s was deployed moments ago and its attestor is not on chain yet; retry shortly", id)}
			continue
		}
		resp, err := m.invoke(ctx, id, c, *want)
		var ce *cove.Error
		var notSent *NotSentError
		var failed *FailedError
		switch {
		case err == nil:
			m.mu.Lock()
			if len(m.codes) >= maxCodes {
				clear(m.codes)
			}
			m.codes[rec.CodeHash] = struct{}{}
			m.mu.Unlock()
			resp.Worker = m.id
			return resp, false, nil
		case ctx.Err() != nil:
			return nil, false, err
		case errors.As(err, &ce):
			if ce.Code == api.CodeWorkerNotProvisioned || ce.Code == api.CodeAgentNotFound {
				// That worker lacks the keys, or has not seen the
				// deploy's block yet: another may serve it.
				lastRefusal = err
				continue
			}
			return nil, false, err
		case errors.As(err, &notSent):
			p.markDown(m, err)
			continue
		case errors.As(err, &failed):
			p.markDown(m, err)
			return nil, false, &cove.Error{Status: http.StatusBadGateway, Code: CodeWorkerFailed, Err: err,
				Message: "the worker running the call failed before it answered; the call may or may not have run: retry if it is safe to"}
		case errors.Is(err, ErrBadReceipt):
			p.markDown(m, err)
			p.log.Error("a worker's receipt does not check: out of rotation", "worker", m.id, "agent", id, "err", err)
			return nil, false, &cove.Error{Status: http.StatusBadGateway, Code: CodeBadReceipt, Err: err,
				Message: "the worker's answer was not signed by the agent's attestor; retry (another worker will be used)"}
		default:
			return nil, false, fmt.Errorf("route agent %s to worker %s: %w", id, m.id, err)
		}
	}
	if lastRefusal != nil {
		var ce *cove.Error
		return nil, errors.As(lastRefusal, &ce) && ce.Code == api.CodeAgentNotFound, lastRefusal
	}
	return nil, false, &cove.Error{Status: http.StatusServiceUnavailable, Code: CodeNoWorker, RetryAfter: time.Second,
		Message: fmt.Sprintf("no worker holding the keys of agent %s (key epoch %d) is reachable from this gateway; retry shortly", id, rec.KeyEpoch)}
}

// attestorWait bounds how long a call waits for a new agent's attestor.
const attestorWait = 5 * time.Second

// awaitAttestor returns rec as the chain has it once its attestor is
// published, or as it is after attestorWait or when ctx ends.
func (p *Pool) awaitAttestor(ctx context.Context, rec chain.AgentRecord) chain.AgentRecord {
	deadline := time.NewTimer(attestorWait)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return rec
		case <-deadline.C:
			return rec
		case <-tick.C:
		}
		if r, err := p.view().Agent(rec.ID); err == nil && !r.Attestor.IsZero() {
			return r
		}
	}
}

// invoke runs a call on m, counted as outstanding until its response has
// ended: for a stream, until it is read to its end or closed.
func (m *member) invoke(ctx context.Context, id cove.AgentID, c cove.Call, want Expect) (*cove.Response, error) {
	m.outstanding.Add(1)
	var resp *cove.Response
	var err error
	if m.local != nil {
		resp, err = m.local.Invoke(ctx, id, c)
	} else {
		resp, err = m.remote.Invoke(ctx, id, c, want)
	}
	if err != nil || resp.Stream == nil {
		m.outstanding.Add(-1)
		return resp, err
	}
	resp.Stream = &countedStream{Stream: resp.Stream, done: func() { m.outstanding.Add(-1) }}
	return resp, nil
}

// countedStream calls done once, when the stream ends or is closed.
type countedStream struct {
	cove.Stream
	once sync.Once
	done func()
}

func (s *countedStream) Read(p []byte) (int, error) {
	n, err := s.Stream.Read(p)
	if err != nil {
		s.once.Do(s.done)
	}
	return n, err
}

func (s *countedStream) Close() error {
	s.once.Do(s.done)
	return s.Stream.Close()
}
