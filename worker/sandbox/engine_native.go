//go:build cgo && !cove_purego && (linux || darwin) && (amd64 || arm64)

package sandbox

/*
#include "quickjs_native.h"
*/
import "C"

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"runtime/cgo"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	// Links libquickjs.a, Bellard's QuickJS built by that module for
	// linux and darwin on amd64 and arm64. Only its C library is used,
	// through quickjs_native.h: see there why not its Go API.
	_ "github.com/buke/quickjs-go"
)

// The native engine (ADR 27): Bellard's QuickJS in C, called through cgo.
// Built by default where cgo is on; `-tags cove_purego` or CGO_ENABLED=0
// builds the modernc engine (engine_modernc.go) instead.
//
// A QuickJS runtime checks its stack against the top it recorded on the
// thread it last ran on, and a goroutine's calls into C may each run on
// another thread. So every outermost call into the engine locks the
// goroutine to its thread and records that thread's stack top first
// (enter); calls made from inside a host function are already on it.

// EngineName names the engine this build runs agents on: "quickjs-native"
// (QuickJS in C through cgo) or "quickjs-modernc" (QuickJS translated to
// Go).
const EngineName = "quickjs-native"

// nativeStackSize bounds the C stack a VM's JavaScript may use (its
// recursion): half the stack of the threads the Go runtime makes, at most
// 4 MiB. QuickJS's C frames take ~1.5 KiB for each call of JavaScript, so
// 4 MiB (on Linux, where threads have 8 MiB) is ~2,700 nested calls;
// darwin's threads have 512 KiB.
var nativeStackSize = sync.OnceValue(func() C.size_t {
	return min(C.cove_thread_stack_size()/2, 4<<20)
})

// drainCap bounds one ExecutePendingJobs (as modernc's engine does), so a
// job queue that feeds itself returns to the event loop.
const drainCap = 1 << 20

type nativeVM struct {
	rt     *C.JSRuntime
	heap   *C.cove_heap // rt's allocator (quickjs_native.h)
	ctx    *C.JSContext
	handle cgo.Handle // in the context's opaque value, for the host function
	host   func(args []any) (any, error)
	depth  int // calls into the engine in progress (nested through host functions)
	// panicked is what a host function panicked with: the engine throws
	// in its place, and the outermost call panics with it on return.
	panicked any

	deadline time.Time // what limits' deadline was last set to (SetEvalDeadline)

	mu     sync.Mutex     // guards limits against Close, for Interrupt
	limits *C.cove_limits // deadline and stop flag; C memory
}

// newVM makes a VM of the engine.
func newVM() (jsVM, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var key [8]byte
	rand.Read(key[:]) // never fails (crypto/rand)
	var heap *C.cove_heap
	rt := C.cove_new_runtime(&heap, C.uint64_t(binary.LittleEndian.Uint64(key[:])))
	if rt == nil {
		return nil, errors.New("new runtime: out of memory")
	}
	C.JS_SetMaxStackSize(rt, nativeStackSize())
	// Atomics.wait would block the thread, deaf to the interrupt handler
	// (off by default in QuickJS; said here so no build can differ).
	C.JS_SetCanBlock(rt, 0)
	ctx := C.JS_NewContext(rt)
	if ctx == nil {
		C.cove_free_runtime(rt, heap)
		return nil, errors.New("new context: out of memory")
	}
	limits := C.cove_new_limits()
	if limits == nil {
		C.JS_FreeContext(ctx)
		C.cove_free_runtime(rt, heap)
		return nil, errors.New("new vm: out of memory")
	}
	v := &nativeVM{rt: rt, heap: heap, ctx: ctx, limits: limits}
	v.handle = cgo.NewHandle(v)
	C.cove_set_handle(ctx, C.uintptr_t(v.handle))
	C.cove_set_interrupt(rt, limits)
	// The runtime's shortcut for a handler's promise already fulfilled
	// (quickjs_native.h, cove_settled); modernc's engine has none, and its
	// runtime always awaits the promise.
	if C.cove_register_settled(ctx) < 0 {
		v.Close()
		return nil, errors.New("new vm: out of memory")
	}
	return v, nil
}

// enter starts a call into the engine; see the comment at the top.
func (v *nativeVM) enter() {
	if v.depth == 0 {
		runtime.LockOSThread()
		C.JS_UpdateStackTop(v.rt)
	}
	v.depth++
}

// leave ends it; the outermost call re-raises a host function's panic.
func (v *nativeVM) leave() {
	v.depth--
	if v.depth > 0 {
		return
	}
	runtime.UnlockOSThread()
	if p := v.panicked; p != nil {
		v.panicked = nil
		panic(p)
	}
}

func (v *nativeVM) SetMemoryLimit(limit uintptr) { C.JS_SetMemoryLimit(v.rt, C.size_t(limit)) }

// heapSelfTest runs the heap's own test (quickjs_native.h,
// cove_heap_selftest): 0, or the failing step (negative for an accounting
// error). For TestHeapSelfTest.
func heapSelfTest(seed uint64, steps int64, limit uintptr) int64 {
	return int64(C.cove_heap_selftest(C.uint64_t(seed), C.int64_t(steps), C.size_t(limit)))
}

// heapCorrupt runs cove_heap_corrupt(which), which aborts the process
// for which 1 to 3. For TestHeapCorruptionAborts.
func heapCorrupt(which int) int { return int(C.cove_heap_corrupt(C.int(which))) }

// heapFootprint is the bytes the VM's heap holds from the system: its
// chunks of small blocks, its large blocks and its loose ones
// (quickjs_native.h).
func (v *nativeVM) heapFootprint() uintptr { return uintptr(C.cove_heap_footprint(v.heap)) }

func (v *nativeVM) SetEvalDeadline(t time.Time) {
	if t.Equal(v.deadline) && !t.IsZero() {
		// Set already: an invocation enters the VM several times. (A
		// zero t, which the cache's start value would match, is a
		// deadline long past, set like any other.)
		return
	}
	v.deadline = t
	C.cove_set_timeout(v.limits, C.int64_t(time.Until(t)))
}

// Interrupt sets the stop flag the interrupt handler reads: the running
// or next call into JavaScript that polls it fails (QuickJS polls every
// few thousand operations), and so does every one after that polls.
func (v *nativeVM) Interrupt() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.limits != nil {
		C.cove_stop(v.limits)
	}
}

func (v *nativeVM) Close() {
	v.enter()
	C.JS_FreeContext(v.ctx)
	C.cove_free_runtime(v.rt, v.heap)
	v.leave()
	v.handle.Delete()
	v.mu.Lock()
	C.free(unsafe.Pointer(v.limits))
	v.limits = nil
	v.mu.Unlock()
}

// RegisterHostFunc defines the VM's one host function.
func (v *nativeVM) RegisterHostFunc(name string, fn func(args []any) (any, error)) error {
	if v.host != nil {
		return errors.New("native engine: one host function per VM")
	}
	v.host = fn
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	v.enter()
	defer v.leave()
	if C.cove_register_host(v.ctx, cname) < 0 {
		return v.exception()
	}
	return nil
}

func (v *nativeVM) EvalBytecode(bc []byte) error {
	val, err := v.EvalBytecodeValue(bc)
	if err == nil {
		val.Free()
	}
	return err
}

func (v *nativeVM) EvalBytecodeValue(bc []byte) (jsValue, error) {
	if len(bc) == 0 {
		return nil, errors.New("native engine: empty bytecode")
	}
	v.enter()
	defer v.leave()
	r := C.cove_eval_bytecode(v.ctx, (*C.uint8_t)(unsafe.Pointer(&bc[0])), C.size_t(len(bc)))
	if r.tag == C.COVE_TAG_EXCEPTION {
		return nil, v.exception()
	}
	if v.depth == 1 && v.panicked != nil {
		// leave panics: nothing will free r, and JS_FreeRuntime
		// aborts the process on a value left alive.
		C.cove_free(v.ctx, r)
		return nil, errors.New("native engine: a host function panicked")
	}
	return nativeValue{v, r}, nil
}

// ExecutePendingJobs runs queued jobs until none is left, the VM is
// interrupted (the jobs left stay queued) or drainCap ran. The first
// job's exception is returned; the other jobs still run. The jobs run in
// C (cove_drain), back in Go only for an exception.
func (v *nativeVM) ExecutePendingJobs() (n int, err error) {
	v.enter()
	defer v.leave()
	for {
		r := int64(C.cove_drain(v.rt, v.limits, C.int64_t(drainCap-n)))
		n += int(r / 4)
		switch r % 4 {
		case C.COVE_DRAIN_DONE:
			return n, err
		case C.COVE_DRAIN_THREW:
			if e := v.exception(); err == nil {
				err = e
			}
			if v.panicked != nil {
				return n, err
			}
			if C.cove_interrupt(v.rt, unsafe.Pointer(v.limits)) != 0 {
				if err == nil {
					err = errInterrupted
				}
				return n, err
			}
		case C.COVE_DRAIN_INTERRUPTED:
			if err == nil {
				err = errInterrupted
			}
			return n, err
		default: // COVE_DRAIN_CAPPED
			if err == nil {
				err = errDrainCapped
			}
			return n, err
		}
	}
}

// errInterrupted is the engine's own text for an interrupt, as a job
// stopped by one may not have thrown it (a promise took it).
var errInterrupted = &engineError{"InternalError: interrupted"}

// engineError is an exception of JavaScript, as its string form: what
// modernc's engine reports too (its Error's text), which classify reads.
type engineError struct{ msg string }

func (e *engineError) Error() string { return e.msg }

// exception takes the pending exception and returns it as an error.
func (v *nativeVM) exception() error {
	exc := C.JS_GetException(v.ctx)
	defer C.cove_free(v.ctx, exc)
	s, ok := jsString(v.ctx, exc)
	if !ok {
		// Its toString threw (or memory ran out): drop that one too.
		C.cove_free(v.ctx, C.JS_GetException(v.ctx))
		if C.cove_interrupt(v.rt, unsafe.Pointer(v.limits)) != 0 {
			return errInterrupted // what ended it, so classify sees it
		}
		s = "exception (its toString failed)"
	}
	return &engineError{s}
}

// jsString converts a value to a Go string as String(value) does. When
// that throws, it reports false with the exception still pending.
func jsString(ctx *C.JSContext, val C.JSValue) (string, bool) {
	var n C.size_t
	p := C.JS_ToCStringLen2(ctx, &n, val, 0)
	if p == nil {
		return "", false
	}
	s := C.GoStringN(p, C.int(n))
	C.JS_FreeCString(ctx, p)
	return wellFormed(s), true
}

// wellFormed replaces what QuickJS writes for a lone surrogate (its
// three-byte form, not valid UTF-8) with U+FFFD, one per surrogate, as
// modernc's engine does.
func wellFormed(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			if s[i] == 0xED && i+2 < len(s) && s[i+1] >= 0xA0 && s[i+1] <= 0xBF && s[i+2]&0xC0 == 0x80 {
				size = 3
			}
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// newString makes a JavaScript string of s, each byte of invalid UTF-8
// replaced by U+FFFD, as modernc's engine does.
func (v *nativeVM) newString(s string) C.JSValue {
	if !utf8.ValidString(s) {
		var b strings.Builder
		for _, r := range s { // a bad byte ranges as one U+FFFD
			b.WriteRune(r)
		}
		s = b.String()
	}
	if s == "" {
		return C.JS_NewStringLen(v.ctx, nil, 0)
	}
	return C.JS_NewStringLen(v.ctx, (*C.char)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s)))
}

// toJS converts a Go value (what a host function returns, or a call's
// argument) to JavaScript; owned says the caller must free the result.
func (v *nativeVM) toJS(x any) (val C.JSValue, owned bool, err error) {
	switch x := x.(type) {
	case undefinedValue:
		return mkval(C.COVE_TAG_UNDEFINED, 0), false, nil
	case nil:
		return mkval(C.COVE_TAG_NULL, 0), false, nil
	case string:
		r := v.newString(x)
		if r.tag == C.COVE_TAG_EXCEPTION {
			return r, false, v.exception()
		}
		return r, true, nil
	case bool:
		b := C.int32_t(0)
		if x {
			b = 1
		}
		return mkval(C.COVE_TAG_BOOL, b), false, nil
	case int:
		if int64(x) == int64(int32(x)) {
			return mkval(C.COVE_TAG_INT, C.int32_t(x)), false, nil
		}
		return mkfloat(float64(x)), false, nil
	case float64:
		return mkfloat(x), false, nil
	case nativeValue:
		// Borrowed: good as a call's argument only (a host function's
		// result is owned by the engine).
		if x.vm != v {
			return val, false, errors.New("native engine: a value of another VM")
		}
		return x.v, false, nil
	}
	return val, false, fmt.Errorf("native engine: cannot pass a %T to JavaScript", x)
}

// mkval is cove_mkval made in Go: a value without a heap part (undefined,
// null, a boolean, an int32), for no crossing into C.
func mkval(tag C.int64_t, v C.int32_t) C.JSValue {
	var r C.JSValue
	*(*int32)(unsafe.Pointer(&r.u)) = int32(v) // the rest of the union stays zero, as cove_mkval leaves it
	r.tag = tag
	return r
}

// mkfloat is cove_float made in Go.
func mkfloat(d float64) C.JSValue {
	var r C.JSValue
	*(*float64)(unsafe.Pointer(&r.u)) = d
	r.tag = C.COVE_TAG_FLOAT64
	return r
}

// toGo converts a JavaScript value to Go: a string, an int or float64, a
// bool, nil (null) or jsUndefined; any other kind is nil, as the host
// functions take no objects.
func (v *nativeVM) toGo(val C.JSValue) any {
	u := unsafe.Pointer(&val.u)
	switch int32(val.tag) {
	case C.COVE_TAG_STRING, C.COVE_TAG_STRING_ROPE:
		s, ok := jsString(v.ctx, val)
		if !ok { // out of memory: not a string the host can take
			C.cove_free(v.ctx, C.JS_GetException(v.ctx))
			return nil
		}
		return s
	case C.COVE_TAG_INT:
		return int(*(*int32)(u))
	case C.COVE_TAG_FLOAT64:
		return *(*float64)(u)
	case C.COVE_TAG_BOOL:
		return *(*int32)(u) != 0
	case C.COVE_TAG_UNDEFINED:
		return jsUndefined
	}
	return nil
}

//export coveNativeHost
func coveNativeHost(ctx *C.JSContext, argc C.int, argv *C.JSValue) (r C.JSValue) {
	v := cgo.Handle(C.cove_handle(ctx)).Value().(*nativeVM)
	if v.panicked != nil {
		// A host function panicked in this call into the engine: the
		// script gets no further, whatever it caught.
		return v.throw(true, "a host function panicked")
	}
	defer func() {
		if p := recover(); p != nil {
			// A panic must not unwind through the engine's C frames: the
			// engine throws an uncatchable error in its place (as modernc's
			// engine does), and the outermost call panics on (leave).
			v.panicked = p
			C.cove_stop(v.limits)
			r = v.throw(true, fmt.Sprintf("panic in host function: %v", p))
		}
	}()
	args := make([]any, int(argc))
	if argc > 0 {
		for i, a := range unsafe.Slice(argv, int(argc)) {
			args[i] = v.toGo(a)
		}
	}
	res, err := v.host(args)
	if err != nil {
		return v.throw(false, err.Error())
	}
	if _, ok := res.(nativeValue); ok {
		return v.throw(false, "native engine: a host function returned a borrowed value")
	}
	val, _, err := v.toJS(res)
	if err != nil {
		return v.throw(false, err.Error())
	}
	return val // owned by the caller, the engine
}

// throw throws a TypeError (as modernc's engine does for a host
// function's error), or an uncatchable InternalError.
func (v *nativeVM) throw(uncatchable bool, msg string) C.JSValue {
	cmsg := C.CString(msg)
	defer C.free(unsafe.Pointer(cmsg))
	if uncatchable {
		return C.cove_throw_uncatchable(v.ctx, cmsg)
	}
	return C.cove_throw_type_error(v.ctx, cmsg)
}

type nativeValue struct {
	vm *nativeVM
	v  C.JSValue
}

func (x nativeValue) Free() {
	x.vm.enter()
	C.cove_free(x.vm.ctx, x.v)
	x.vm.leave()
}

func (x nativeValue) Call(args ...any) (any, error) {
	v := x.vm
	v.enter()
	defer v.leave()
	var stack [8]C.JSValue // prepare takes the most: the operation and 7
	argv := stack[:]
	if len(args) > len(stack) {
		if len(args) > 32 {
			return nil, fmt.Errorf("native engine: a call with %d arguments, at most 32", len(args))
		}
		argv = make([]C.JSValue, len(args))
	}
	var owned uint32 // the arguments cove_call frees
	for i, a := range args {
		val, own, err := v.toJS(a)
		if err != nil {
			C.cove_free_args(v.ctx, C.int(i), &argv[0], C.uint32_t(owned))
			return nil, err
		}
		if own {
			owned |= 1 << i
		}
		argv[i] = val
	}
	r := C.cove_call(v.ctx, x.v, C.int(len(args)), &argv[0], C.uint32_t(owned))
	if r.tag == C.COVE_TAG_EXCEPTION {
		return nil, v.exception()
	}
	out := v.toGo(r)
	C.cove_free(v.ctx, r)
	return out, nil
}

// compile turns a classic script into QuickJS bytecode with the function
// source text stripped (as engine_modernc.go's compile does). A syntax
// error's message ends with where it is ("at agent.js:3:7").
func compile(name, src string) ([]byte, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rt := C.JS_NewRuntime()
	if rt == nil {
		return nil, errors.New("new runtime: out of memory")
	}
	defer C.JS_FreeRuntime(rt)
	C.JS_SetMaxStackSize(rt, nativeStackSize())
	C.JS_SetStripInfo(rt, C.COVE_STRIP_SOURCE)
	ctx := C.JS_NewContext(rt)
	if ctx == nil {
		return nil, errors.New("new context: out of memory")
	}
	defer C.JS_FreeContext(ctx)
	csrc := C.CString(src) // JS_Eval wants it NUL-terminated
	defer C.free(unsafe.Pointer(csrc))
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	fn := C.JS_Eval(ctx, csrc, C.size_t(len(src)), cname, C.COVE_EVAL_TYPE_GLOBAL|C.COVE_EVAL_FLAG_COMPILE_ONLY)
	if fn.tag == C.COVE_TAG_EXCEPTION {
		return nil, syntaxError(ctx)
	}
	defer C.cove_free(ctx, fn)
	var n C.size_t
	p := C.JS_WriteObject(ctx, &n, fn, C.COVE_WRITE_OBJ_BYTECODE)
	if p == nil {
		C.cove_free(ctx, C.JS_GetException(ctx))
		return nil, errors.New("write bytecode: out of memory")
	}
	defer C.js_free(ctx, unsafe.Pointer(p))
	return C.GoBytes(unsafe.Pointer(p), C.int(n)), nil
}

// syntaxError is compile's pending exception with its place in the source.
func syntaxError(ctx *C.JSContext) error {
	exc := C.JS_GetException(ctx)
	defer C.cove_free(ctx, exc)
	msg, _ := jsString(ctx, exc)
	if int32(exc.tag) == C.COVE_TAG_OBJECT {
		cprop := C.CString("stack")
		defer C.free(unsafe.Pointer(cprop))
		st := C.JS_GetPropertyStr(ctx, exc, cprop)
		if s, ok := jsString(ctx, st); ok {
			if at := strings.TrimSpace(s); strings.HasPrefix(at, "at ") {
				at, _, _ = strings.Cut(at, "\n")
				msg += " " + at
			}
		}
		C.cove_free(ctx, st)
	}
	return errors.New(msg)
}
