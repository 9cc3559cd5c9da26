package sandbox

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/cove-network/cove/internal/jsonw"
)

// invocation is the state of one Run: its VM, its event loop and what the
// host functions gathered. Only the goroutine that called Run touches the VM;
// fetch goroutines report through events.
type invocation struct {
	ctx      context.Context // the caller's
	engine   *Engine
	limits   Limits
	req      Request
	env      Env
	start    time.Time
	deadline time.Time

	iso      *isolate // the VM; see isolate.go
	reusable bool     // the call ended so that iso may serve another
	result   Result

	done    bool  // respond or fail was called
	failure error // set by fail

	// Made on first use: most calls start no fetch and set no timer.
	fetches  map[int]context.CancelFunc // in flight, each with its own context
	events   chan fetchEvent
	timers   timerHeap
	timerSet map[int]bool // live timer ids
	logBytes int

	argsRead bool // the agent read scriptArgs
	flood    bool // the last drain of promise jobs ran at least floodJobs

	fetched atomic.Int64 // bytes of fetched bodies, shared by fetch goroutines
}

type fetchEvent struct {
	id      int
	ok      bool
	payload string
}

func newInvocation(ctx context.Context, e *Engine, req Request, env Env) *invocation {
	now := time.Now()
	inv := &invocation{
		ctx:      ctx,
		engine:   e,
		limits:   e.limits,
		req:      req,
		env:      env,
		start:    now,
		deadline: now.Add(e.limits.Timeout),
	}
	if d, ok := ctx.Deadline(); ok && d.Before(inv.deadline) {
		inv.deadline = d
	}
	return inv
}

// close ends the invocation: fetches still in flight stop, and its
// isolate goes back to the pool if the call ended cleanly, else is closed.
func (inv *invocation) close() {
	for _, cancel := range inv.fetches { // stops fetches still in flight
		cancel()
	}
	iso := inv.iso
	if iso == nil {
		return
	}
	iso.cur = nil
	if inv.reusable {
		inv.engine.pool.put(iso)
	} else {
		// Failed, or a VM of its own (no key: --isolation request).
		inv.engine.pool.retire(iso)
	}
}

func (inv *invocation) run(p *Program) error {
	key := inv.env.Isolate
	var iso *isolate
	if key != "" {
		iso = inv.engine.pool.get(key, p)
	} else {
		inv.engine.pool.fresh()
	}
	if iso == nil {
		var err error
		if iso, err = inv.engine.newIsolate(key); err != nil {
			return inv.classify(err)
		}
	} else {
		inv.result.Warm = true
	}
	inv.iso = iso
	iso.cur = inv
	iso.uses++
	stop := context.AfterFunc(inv.ctx, iso.vm.Interrupt)
	err := inv.serve(p)
	// An interrupt that fired (the caller went away) may still be pending
	// in the VM: never reuse it then.
	interrupted := !stop()
	inv.reusable = err == nil && key != "" && !interrupted && !inv.flood && !iso.tainted &&
		inv.result.Mode != "script" && len(inv.fetches) == 0 && len(inv.timerSet) == 0
	return err
}

// serve runs the call on inv.iso: the request first, then the agent's
// bundle if the VM has not evaluated it yet, then its handler and the
// event loop.
func (inv *invocation) serve(p *Program) error {
	args, err := inv.prepareArgs()
	if err != nil {
		return err
	}
	if err := inv.call(opPrepare, args...); err != nil {
		return err
	}
	if inv.iso.program == nil {
		if err := inv.enter(); err != nil {
			return err
		}
		inv.iso.program = p
		err := inv.iso.vm.EvalBytecode(p.bytecode)
		inv.iso.tainted = inv.argsRead
		if err != nil {
			inv.drain()
			return inv.classify(err)
		}
	}
	mode, err := inv.callValue(opRun)
	if err != nil {
		return err
	}
	if s, ok := mode.(string); ok {
		inv.result.Mode = s
	}
	return inv.loop()
}

// enter prepares a call into JS: the engine's eval deadline is the
// invocation's (SetEvalDeadline: modernc's engine re-arms a timeout at
// each call).
func (inv *invocation) enter() error {
	if err := inv.ctx.Err(); err != nil {
		return fmt.Errorf("invocation stopped: %w", err)
	}
	if !time.Now().Before(inv.deadline) {
		return &LimitError{Limit: LimitTime, Max: inv.limits.Timeout.String()}
	}
	inv.iso.vm.SetEvalDeadline(inv.deadline)
	return nil
}

// The runtime's entry points, as prelude.js's dispatch numbers them (a
// number passes to the engine without making a string).
const (
	opPrepare = iota
	opRun
	opComplete
	opTimer
	opLazy
)

// call runs one of the runtime's entry points through its dispatch
// function, which agent code cannot reach.
func (inv *invocation) call(op int, args ...any) error {
	_, err := inv.callValue(op, args...)
	return err
}

// callValue is call that returns what the entry point returned.
func (inv *invocation) callValue(op int, args ...any) (any, error) {
	if err := inv.enter(); err != nil {
		return nil, err
	}
	v, err := inv.iso.dispatch.Call(append([]any{op}, args...)...)
	if err != nil {
		return nil, inv.classify(err)
	}
	return v, nil
}

// drain runs queued promise jobs, ignoring their errors: used after a failure
// so that pending console output still reaches the logs.
func (inv *invocation) drain() {
	if inv.enter() == nil {
		inv.iso.vm.ExecutePendingJobs()
	}
}

// loop is the event loop: run promise jobs, then wait for the next fetch
// completion or timer, until the agent answers or fails.
func (inv *invocation) loop() error {
	err := inv.turns()
	var le *LimitError
	if inv.flood && errors.As(err, &le) && le.Limit == LimitTime {
		le.Detail = microtaskFlood
	}
	return err
}

func (inv *invocation) turns() error {
	// The deadline's timer is made when the loop first waits: most calls
	// answer in their first turn.
	var deadline *time.Timer
	deadlineC := func() <-chan time.Time {
		if deadline == nil {
			deadline = time.NewTimer(time.Until(inv.deadline))
		}
		return deadline.C
	}
	defer func() {
		if deadline != nil {
			deadline.Stop()
		}
	}()
	for {
		if err := inv.enter(); err != nil {
			return err
		}
		n, err := inv.iso.vm.ExecutePendingJobs()
		inv.flood = n >= floodJobs
		inv.iso.jobs += n
		if err != nil {
			if errors.Is(err, errDrainCapped) {
				// The engine stops a drain after 2^20 jobs. An agent
				// that has answered is done; otherwise only the time
				// limit ends a microtask loop, so drain on.
				if inv.done {
					return inv.failure
				}
				continue
			}
			return inv.classify(err)
		}
		if inv.done {
			return inv.failure
		}
		if len(inv.timers) > 0 {
			wait := time.Until(inv.timers[0].at)
			if wait <= 0 {
				t := heap.Pop(&inv.timers).(timer)
				if !inv.timerSet[t.id] {
					continue
				}
				delete(inv.timerSet, t.id)
				if err := inv.call(opTimer, t.id); err != nil {
					return err
				}
				continue
			}
			tm := time.NewTimer(wait)
			err := inv.wait(tm.C, deadlineC())
			tm.Stop()
			if err != nil {
				return err
			}
			continue
		} else if len(inv.fetches) == 0 {
			if inv.result.Mode == "script" && !inv.argsRead {
				// No handler, and not the built request-JSON form either.
				return &AgentError{Message: ErrNoHandler.Error() + ": " + styles, Err: ErrNoHandler}
			}
			return ErrNoResponse
		}
		if err := inv.wait(nil, deadlineC()); err != nil {
			return err
		}
	}
}

// wait blocks until a fetch completes (and hands it to JS), timerC fires,
// the deadline passes or ctx ends.
func (inv *invocation) wait(timerC, deadline <-chan time.Time) error {
	select {
	case ev := <-inv.events:
		if _, live := inv.fetches[ev.id]; !live {
			return nil // aborted by the agent
		}
		delete(inv.fetches, ev.id)
		return inv.call(opComplete, ev.id, ev.ok, ev.payload)
	case <-timerC:
		return nil
	case <-deadline:
		return &LimitError{Limit: LimitTime, Max: inv.limits.Timeout.String()}
	case <-inv.ctx.Done():
		return fmt.Errorf("invocation stopped: %w", inv.ctx.Err())
	}
}

// prepareArgs are the arguments of the runtime's prepare: the request's
// method, URL, whether that URL is canonical (requestURL), headers (a JSON
// array of [name, value] pairs, which JS parses only if the agent reads
// them), body and its encoding, each passed as it is rather than in one
// JSON document (issue 13: the document cost a json.Marshal of a map here
// and a JSON.parse in JS on every call, and escaped the body twice). A
// VM's first call adds a seventh, its agent's secrets and limits, the
// same for every call it serves (one agent version).
func (inv *invocation) prepareArgs() ([]any, error) {
	hj := headersJSON(inv.req.Header)
	body, enc := encodeBody(inv.req.Body)
	url, simple := requestURL(inv.req.URL)
	args := []any{requestMethod(inv.req.Method), url, simple, hj, body, enc}
	if inv.iso.program == nil {
		secrets := inv.env.Secrets
		if secrets == nil {
			secrets = map[string]string{}
		}
		first, err := json.Marshal(vmFirst{Env: secrets, Limits: vmLimits{ResponseBytes: inv.limits.ResponseBytes}})
		if err != nil {
			return nil, fmt.Errorf("encode the agent's environment: %w", err)
		}
		args = append(args, string(first))
	}
	return args, nil
}

// headersJSON is h as a JSON array of [name, value] pairs, byte for byte
// what encoding/json writes for them, without its reflection.
func headersJSON(h http.Header) string {
	n := 2
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 8
		}
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for k, vs := range h {
		for _, v := range vs {
			if len(b) > 1 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = jsonw.AppendString(b, k)
			b = append(b, ',')
			b = jsonw.AppendString(b, v)
			b = append(b, ']')
		}
	}
	return string(append(b, ']'))
}

// vmFirst is prepare's seventh argument, in a VM's first call.
type vmFirst struct {
	Env    map[string]string `json:"env"`
	Limits vmLimits          `json:"limits"`
}

type vmLimits struct {
	ResponseBytes int64 `json:"responseBytes"`
}

// encodeBody passes bytes to JS as text when they are valid UTF-8 (the
// common case, and cheap) and as base64 otherwise.
func encodeBody(b []byte) (string, string) {
	switch {
	case len(b) == 0:
		return "", "none"
	case utf8.Valid(b) && !hasControl(b):
		return string(b), "text"
	default:
		return b64.EncodeToString(b), "base64"
	}
}

// hasControl reports control bytes other than tab, newline and carriage
// return: JSON escapes each as six bytes, so such bodies travel as base64
// where they cross inside JSON (a fetch's completion). The request body
// crosses as an argument of its own and shares the rule, so one decoder
// (the runtime's decodeBody) serves both.
func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return true
		}
	}
	return false
}

// decodeBody is the inverse of encodeBody for what JS sends.
func decodeBody(body, enc string) ([]byte, error) {
	switch enc {
	case "none":
		return nil, nil
	case "text":
		return []byte(body), nil
	case "base64":
		return b64.DecodeString(body)
	}
	return nil, fmt.Errorf("unknown body encoding %q", enc)
}

// headerPairs is headerList of names and values in turn (nv has an even
// length): the agent's answer's headers (respond).
func headerPairs(nv []string) http.Header {
	h := make(http.Header, len(nv)/2)
	for i := 0; i+1 < len(nv); i += 2 {
		addValid(h, nv[i], nv[i+1])
	}
	return h
}

// headerList converts [[name, value], ...] from JS to an http.Header,
// dropping pairs that are not valid header fields: a fetch's request.
func headerList(pairs [][2]string) http.Header {
	h := make(http.Header, len(pairs))
	for _, p := range pairs {
		addValid(h, p[0], p[1])
	}
	return h
}

// addValid adds the field name: value to h if it is a valid one.
func addValid(h http.Header, name, value string) {
	if validHeaderName(name) && validHeaderValue(value) {
		h.Add(name, value)
	}
}

func validHeaderName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == ':' || c == '(' || c == ')' || c == ',' || c == '/' || c == ';' || c == '<' || c == '=' || c == '>' || c == '?' || c == '@' || c == '[' || c == '\\' || c == ']' || c == '{' || c == '}' || c == '"' {
			return false
		}
	}
	return true
}

func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\r' || c == '\n' || c == 0 {
			return false
		}
	}
	return len(s) <= 16<<10
}

var errNoDerive = errors.New("cove.deriveKey is not available on this node")

// timer is a pending setTimeout.
type timer struct {
	at time.Time
	id int
}

type timerHeap []timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].id < h[j].id
	}
	return h[i].at.Before(h[j].at)
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// requestMethod is the method as new Request makes it: a known one in
// upper case.
func requestMethod(m string) string {
	switch u := strings.ToUpper(m); u {
	case "DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH":
		return u
	}
	return m
}
