package sandbox

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// An isolate is one QuickJS VM with the Cove runtime loaded and, once it
// has served a call, one agent's bundle evaluated in it. A call with an
// Env.Isolate key takes a warm isolate of that key if one is idle, so the
// agent's top-level code runs once per VM and its module state persists
// between its calls; a call without a key gets a fresh VM that is closed
// after it (per-request isolation, ADR 17). Isolates never cross keys, and
// an isolate goes back to its pool only after a call that ended cleanly:
// any exception, limit, timeout, microtask flood, cancellation, timer or
// fetch left pending, or a built script (whose top-level code is the
// handler) closes it.
type isolate struct {
	key      string
	vm       jsVM
	dispatch jsValue // the runtime's entry points (prelude.js's value)
	// cur is the invocation using the isolate; the host function, bound
	// once per VM, serves it.
	cur *invocation
	// program is the bundle evaluated in the VM, nil before its first call.
	program    *Program
	lazyLoaded bool // prelude_lazy.js was evaluated
	// tainted is set when the agent's top-level code read scriptArgs: its
	// module state may hold that first call's request, so the VM serves
	// no other call.
	tainted   bool
	nextID    int // timer and fetch ids, unique over the VM's life
	jobs      int // promise jobs run over the VM's life (for tests)
	uses      int
	born      time.Time
	idleSince time.Time
}

// preludeTimeout bounds the runtime's own evaluation in a new VM.
const preludeTimeout = 10 * time.Second

// newIsolate creates a VM capped at memory bytes and evaluates the runtime
// in it.
func (e *Engine) newIsolate(key string) (*isolate, error) {
	vm, err := newVM()
	if err != nil {
		return nil, fmt.Errorf("new vm: %w", err)
	}
	iso := &isolate{key: key, vm: vm, born: time.Now()}
	// QuickJS counts each block with its allocator's overhead (the native
	// engine's heap: a 16-byte header and a size rounded up to 16 bytes,
	// quickjs_native.h; modernc's allocator rounds large blocks up, so a
	// 64 MiB string can count as far more), so the engine's cap leaves a
	// quarter on top of the configured limit for that overhead rather than
	// refusing what the agent actually holds.
	vm.SetMemoryLimit(uintptr(e.limits.Memory + e.limits.Memory/4))
	if err := vm.RegisterHostFunc("__cove_host", func(args []any) (any, error) {
		if iso.cur == nil {
			return nil, errors.New("host: no invocation")
		}
		return iso.cur.host(args)
	}); err != nil {
		vm.Close()
		return nil, fmt.Errorf("register host: %w", err)
	}
	vm.SetEvalDeadline(time.Now().Add(preludeTimeout))
	dispatch, err := vm.EvalBytecodeValue(e.prelude)
	if err != nil {
		vm.Close()
		return nil, fmt.Errorf("load runtime: %w", err)
	}
	iso.dispatch = dispatch
	return iso, nil
}

func (iso *isolate) close() {
	iso.dispatch.Free()
	iso.vm.Close()
}

// Isolates configures the warm VMs an engine keeps between calls. Zero
// fields take the defaults of DefaultIsolates.
type Isolates struct {
	// MaxIdlePerAgent bounds one key's (agent's) idle warm VMs; as many
	// as it runs calls at once are made, the rest are closed on release.
	MaxIdlePerAgent int `toml:"max_idle_per_agent"`
	// MaxIdle bounds idle warm VMs over all keys; past it the least
	// recently used is closed.
	MaxIdle int `toml:"max_idle"`
	// MaxUses recycles a VM after that many calls.
	MaxUses int `toml:"max_uses"`
	// MaxAge recycles a VM that old.
	MaxAge time.Duration `toml:"max_age"`
	// IdleTimeout closes a VM idle that long.
	IdleTimeout time.Duration `toml:"idle_timeout"`
}

// DefaultIsolates returns the default warm-VM bounds: 4 idle VMs per
// agent, 16 in all, each recycled after 10,000 calls or 10 minutes and
// closed after 2 idle minutes. An idle VM holds what its agent keeps in
// module state, up to the memory limit, so the bound on idle VMs is also
// one on memory: 16 x (128 MiB + a quarter) at worst with the default
// limits, the order of what max_concurrent calls may hold while running.
// A worker raises the first two to its bound on one agent's running calls
// (worker.Config.Isolates: 8 with the defaults on 2 cores, 32 on 8), so
// its bound is that many VMs, never more than max_concurrent.
func DefaultIsolates() Isolates {
	return Isolates{MaxIdlePerAgent: 4, MaxIdle: 16, MaxUses: 10000, MaxAge: 10 * time.Minute, IdleTimeout: 2 * time.Minute}
}

func (c Isolates) withDefaults() Isolates {
	d := DefaultIsolates()
	orDefault(&c.MaxIdlePerAgent, d.MaxIdlePerAgent)
	orDefault(&c.MaxIdle, d.MaxIdle)
	orDefault(&c.MaxUses, d.MaxUses)
	orDefault(&c.MaxAge, d.MaxAge)
	orDefault(&c.IdleTimeout, d.IdleTimeout)
	return c
}

// pool holds idle warm isolates by key.
type pool struct {
	mu     sync.Mutex
	cfg    Isolates
	idle   map[string][]*isolate // most recently released last
	n      int                   // idle isolates over all keys
	swept  time.Time
	timer  *time.Timer // sweeps idle isolates while there are any
	closed bool        // closeIdle was called: nothing is pooled again
	stats  PoolStats
}

// PoolStats counts what the warm pool did.
type PoolStats struct {
	Warm    int64 // calls served by a warm VM
	Cold    int64 // calls that made a VM (every call without a key)
	Retired int64 // VMs closed after a call: failed, pending work, a built script, recycled, or without a key
	Evicted int64 // idle VMs closed: idle too long, too many, or the engine closed
	Idle    int   // idle VMs now
}

func newPool(cfg Isolates) *pool {
	return &pool{cfg: cfg.withDefaults(), idle: map[string][]*isolate{}}
}

// get takes an idle isolate of key that has evaluated p, if there is one.
// Isolates of key with another program (the agent was upgraded) are closed.
func (pl *pool) get(key string, p *Program) *isolate {
	var stale []*isolate
	defer func() { closeAll(stale) }()
	pl.mu.Lock()
	defer pl.mu.Unlock()
	now := time.Now()
	stale = pl.sweepLocked(now)
	list := pl.idle[key]
	for len(list) > 0 {
		iso := list[len(list)-1]
		list = list[:len(list)-1]
		pl.n--
		if iso.program == p && now.Sub(iso.born) < pl.cfg.MaxAge {
			pl.setLocked(key, list)
			pl.stats.Warm++
			return iso
		}
		stale = append(stale, iso)
		pl.stats.Evicted++
	}
	pl.setLocked(key, list)
	pl.stats.Cold++
	return nil
}

// put returns an isolate that ended a call cleanly, or closes it when its
// key has enough idle ones or it is due for recycling.
func (pl *pool) put(iso *isolate) {
	now := time.Now()
	var closing []*isolate
	defer func() { closeAll(closing) }()
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.closed || iso.uses >= pl.cfg.MaxUses || now.Sub(iso.born) >= pl.cfg.MaxAge || len(pl.idle[iso.key]) >= pl.cfg.MaxIdlePerAgent {
		pl.stats.Retired++
		closing = append(closing, iso)
		return
	}
	iso.idleSince = now
	pl.idle[iso.key] = append(pl.idle[iso.key], iso)
	pl.n++
	closing = pl.sweepLocked(now)
	for pl.n > pl.cfg.MaxIdle {
		closing = append(closing, pl.takeOldestLocked())
		pl.stats.Evicted++
	}
	if pl.timer == nil {
		// Idle isolates are closed on time even if no call comes.
		pl.timer = time.AfterFunc(pl.cfg.IdleTimeout, pl.sweepLater)
	}
}

// sweepLater closes the isolates idle too long, and runs again while
// some stay idle.
func (pl *pool) sweepLater() {
	pl.mu.Lock()
	pl.swept = time.Time{}
	stale := pl.sweepLocked(time.Now())
	pl.timer = nil
	if pl.n > 0 && !pl.closed {
		pl.timer = time.AfterFunc(pl.cfg.IdleTimeout/2, pl.sweepLater)
	}
	pl.mu.Unlock()
	closeAll(stale)
}

// fresh counts a call that makes a VM of its own (no key), which get
// counts for a call with a key it has no warm VM for.
func (pl *pool) fresh() {
	pl.mu.Lock()
	pl.stats.Cold++
	pl.mu.Unlock()
}

// retire counts an isolate closed after a call instead of returned.
func (pl *pool) retire(iso *isolate) {
	pl.mu.Lock()
	pl.stats.Retired++
	pl.mu.Unlock()
	iso.close()
}

// sweepLocked removes isolates idle longer than IdleTimeout, at most once
// a second, and returns them to close.
func (pl *pool) sweepLocked(now time.Time) []*isolate {
	if now.Sub(pl.swept) < time.Second {
		return nil
	}
	pl.swept = now
	var out []*isolate
	for key, list := range pl.idle {
		keep := list[:0]
		for _, iso := range list {
			if now.Sub(iso.idleSince) >= pl.cfg.IdleTimeout {
				out = append(out, iso)
				pl.n--
				pl.stats.Evicted++
			} else {
				keep = append(keep, iso)
			}
		}
		pl.setLocked(key, keep)
	}
	return out
}

// takeOldestLocked removes the least recently released idle isolate.
func (pl *pool) takeOldestLocked() *isolate {
	var key string
	var at time.Time
	for k, list := range pl.idle {
		if len(list) > 0 && (key == "" || list[0].idleSince.Before(at)) {
			key, at = k, list[0].idleSince
		}
	}
	list := pl.idle[key]
	iso := list[0]
	pl.setLocked(key, list[1:])
	pl.n--
	return iso
}

func (pl *pool) setLocked(key string, list []*isolate) {
	if len(list) == 0 {
		delete(pl.idle, key)
		return
	}
	pl.idle[key] = list
}

// closeIdle closes every idle isolate; from then on, isolates released by
// calls still running are closed too.
func (pl *pool) closeIdle() {
	pl.mu.Lock()
	pl.closed = true
	if pl.timer != nil {
		pl.timer.Stop()
		pl.timer = nil
	}
	var all []*isolate
	for _, list := range pl.idle {
		all = append(all, list...)
	}
	pl.stats.Evicted += int64(len(all))
	pl.idle, pl.n = map[string][]*isolate{}, 0
	pl.mu.Unlock()
	closeAll(all)
}

func (pl *pool) snapshot() PoolStats {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	s := pl.stats
	s.Idle = pl.n
	return s
}

func closeAll(list []*isolate) {
	for _, iso := range list {
		iso.close()
	}
}
