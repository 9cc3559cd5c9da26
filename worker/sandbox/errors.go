package sandbox

import (
	"errors"
	"fmt"
	"strings"
)

// ErrLimit matches every *LimitError.
var ErrLimit = errors.New("agent limit exceeded")

// ErrNoResponse is returned when the agent's code finished, with nothing left
// to wait for, without producing a response.
var ErrNoResponse = errors.New("agent finished without a response: its handler's promise never settled")

// Limit names.
const (
	LimitTime     = "time"
	LimitMemory   = "memory"
	LimitRequests = "outbound request"
	LimitResponse = "response size"
	LimitStack    = "stack depth"
)

// LimitError says which limit stopped the agent.
type LimitError struct {
	Limit  string // one of the Limit* names
	Max    string // the limit, human-readable ("30s", "128 MiB")
	Detail string // what the agent was doing, when known
}

func (e *LimitError) Error() string {
	if e.Limit == LimitStack {
		return "agent exceeded the stack depth limit: stack overflow (unbounded recursion?)"
	}
	msg := fmt.Sprintf("agent exceeded the %s limit (%s)", e.Limit, e.Max)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// microtaskFlood is the Detail of a time limit hit while promise jobs kept
// queueing more without the event loop ever turning.
const microtaskFlood = "its promise jobs kept queueing more and never let the event loop turn (a microtask loop such as `for (;;) await null`?)"

// floodJobs is how many promise jobs one drain may run before a time limit
// hit during it counts as a microtask flood; a CPU loop inside one job runs
// only a few.
const floodJobs = 10000

// threwNull words a thrown null: the agent's own `throw null`, or QuickJS
// failing to allocate even an error object (it then throws null).
func (inv *invocation) threwNull() error {
	return &AgentError{Message: fmt.Sprintf("the agent threw null (its code throws null, or the engine could not allocate an error object: the memory limit is %s)", formatBytes(inv.limits.Memory))}
}

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// ErrNoHandler matches the *AgentError of an agent in no style the sandbox
// runs: no default export, no main, and no use of scriptArgs.
var ErrNoHandler = errors.New("the agent has no handler")

// styles names the agent styles (as package bundle's Styles does).
const styles = "export default an object with a fetch(request, env, ctx) method (a Hono app is one), " +
	"export default (or export) a function main(request) that takes and returns request JSON, " +
	"or, as a built script, read globalThis.scriptArgs[0] and set globalThis.scriptOutput"

// AgentError is an exception thrown by the agent, or output it produced that
// is not a valid response.
type AgentError struct {
	Message string // "TypeError: x is not a function", with the JS stack after a newline
	Err     error  // a sentinel it matches (ErrNoHandler), or nil
}

// Unwrap returns Err.
func (e *AgentError) Unwrap() error { return e.Err }

func (e *AgentError) Error() string {
	first, _, _ := strings.Cut(e.Message, "\n")
	return "agent error: " + first
}

// StatusError is an agent's response with a status that HTTP cannot carry
// as a final response: below 200 (1xx are interim responses; Go's server
// would send 200 instead) or above 599.
type StatusError struct {
	Status int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("the agent answered with status %d; an agent's response status must be 200 to 599", e.Status)
}

// CompileError is a syntax error in an agent bundle.
type CompileError struct {
	Message string
}

func (e *CompileError) Error() string { return "compile agent: " + e.Message }

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// classify maps an engine error to a limit where the engine's message names
// one; deadlinePassed says whether the invocation's time budget is spent.
func (inv *invocation) classify(err error) error {
	if err == nil {
		return nil
	}
	var le *LimitError
	if errors.As(err, &le) {
		return err
	}
	msg := err.Error()
	switch {
	case msg == "null":
		return inv.threwNull()
	case strings.Contains(msg, "out of memory"):
		return &LimitError{Limit: LimitMemory, Max: formatBytes(inv.limits.Memory)}
	case strings.Contains(msg, "stack overflow"):
		return &LimitError{Limit: LimitStack}
	case strings.Contains(msg, "interrupted"):
		if cerr := inv.ctx.Err(); cerr != nil {
			return fmt.Errorf("invocation stopped: %w", cerr)
		}
		return &LimitError{Limit: LimitTime, Max: inv.limits.Timeout.String()}
	}
	return &AgentError{Message: msg}
}
