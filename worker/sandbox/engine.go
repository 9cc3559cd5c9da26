package sandbox

import (
	"errors"
	"time"
)

// The sandbox's JavaScript engine, behind a seam (ADR 27): all the sandbox
// asks of an engine. A build has one of two: QuickJS's C library through
// cgo (engine_native.go, the default) or modernc.org/quickjs
// (engine_modernc.go, under -tags cove_purego or without cgo). Each
// defines newVM, compile and EngineName. The native engine's VMs also
// have __cove_settled, a shortcut the runtime takes when it is there
// (quickjs_native.h, cove_settled): the answer that awaiting a handler's
// promise gives, one job sooner, taken only where no agent code could
// tell (but by a stack trace's frames). Bytecode is the engine's own:
// its compile makes it, and only its VMs evaluate it. engine_test.go
// holds both to the behaviour described here.

// jsVM is one JavaScript VM. A VM serves one invocation at a time; only
// Interrupt may be called from another goroutine.
type jsVM interface {
	// SetMemoryLimit caps what the VM may allocate, in bytes.
	SetMemoryLimit(limit uintptr)
	// SetEvalDeadline bounds the calls into JavaScript by t; a t already
	// past, the zero time included, stops the next call at once. The
	// native engine keeps one deadline (it crosses into C only when t
	// changes); modernc's takes a timeout it re-arms at each outermost
	// call, so the sandbox sets it before each (enter).
	SetEvalDeadline(t time.Time)
	// RegisterHostFunc defines a global function of JavaScript that
	// calls fn. Its arguments come as Go strings, numbers and booleans;
	// it may return jsUndefined, a string, an int or an error (thrown).
	RegisterHostFunc(name string, fn func(args []any) (any, error)) error
	// EvalBytecode evaluates bytecode of compile; EvalBytecodeValue
	// keeps its value, to call later.
	EvalBytecode(bc []byte) error
	EvalBytecodeValue(bc []byte) (jsValue, error)
	// ExecutePendingJobs runs queued promise jobs and says how many ran.
	ExecutePendingJobs() (int, error)
	// Interrupt makes the running or next call into JavaScript fail
	// (one that polls for it: engines poll every few thousand
	// operations). The sandbox closes a VM once interrupted.
	Interrupt()
	Close()
}

// jsValue is a JavaScript value held by the Go side: the runtime's
// dispatch function, or a factory the lazy runtime hands it.
type jsValue interface {
	// Call calls the value as a function with this undefined. Its
	// arguments are Go strings, numbers, booleans, or jsValues of the
	// same VM; what it returns is a Go string, number, boolean, nil or
	// jsUndefined.
	Call(args ...any) (any, error)
	Free()
}

// errDrainCapped is what ExecutePendingJobs returns when it stopped after
// its cap of jobs (2^20) with more queued: a job queue that feeds itself.
var errDrainCapped = errors.New("sandbox: promise jobs still queued after the drain's cap")

// undefinedValue is JavaScript's undefined as a host function returns it.
type undefinedValue struct{}

// jsUndefined is what a host operation with no result returns.
var jsUndefined = undefinedValue{}
