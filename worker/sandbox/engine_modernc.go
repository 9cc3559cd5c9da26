//go:build !cgo || cove_purego || !(linux || darwin) || !(amd64 || arm64)

package sandbox

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unsafe"

	"modernc.org/libc"
	lib "modernc.org/libquickjs"
	"modernc.org/quickjs"
)

// The modernc.org/quickjs engine: QuickJS's C translated to Go (no cgo).
// Built with CGO_ENABLED=0 or `-tags cove_purego`, and where the native
// engine (engine_native.go) has no library.

// EngineName names the engine this build runs agents on (see
// engine_native.go).
const EngineName = "quickjs-modernc"

// newVM makes a VM of the engine.
func newVM() (jsVM, error) {
	vm, err := quickjs.NewVM()
	if err != nil {
		return nil, err
	}
	return moderncVM{vm}, nil
}

type moderncVM struct{ vm *quickjs.VM }

func (m moderncVM) SetMemoryLimit(limit uintptr) { m.vm.SetMemoryLimit(limit) }
func (m moderncVM) Interrupt()                   { m.vm.Interrupt() }
func (m moderncVM) Close()                       { m.vm.Close() }

func (m moderncVM) SetEvalDeadline(t time.Time) { m.vm.SetEvalTimeout(moderncTimeout(time.Until(t))) }

// moderncTimeout is modernc's timeout for what is left of a deadline: none
// left is -1 ns (interrupted at once), never 0, which modernc takes as no
// timeout at all.
func moderncTimeout(left time.Duration) time.Duration {
	if left <= 0 {
		return -1
	}
	return left
}

func (m moderncVM) RegisterHostFunc(name string, fn func(args []any) (any, error)) error {
	return m.vm.RegisterHostFunc(name, func(args []any) (any, error) {
		for i, a := range args {
			if _, ok := a.(quickjs.Undefined); ok {
				args[i] = jsUndefined
			}
		}
		v, err := fn(args)
		if _, ok := v.(undefinedValue); ok {
			v = quickjs.Undefined{}
		}
		return v, err
	})
}

func (m moderncVM) EvalBytecode(bc []byte) error {
	_, err := m.vm.EvalBytecode(bc)
	return err
}

func (m moderncVM) EvalBytecodeValue(bc []byte) (jsValue, error) {
	v, err := m.vm.EvalBytecodeValue(bc)
	if err != nil {
		return nil, err
	}
	return moderncValue{v}, nil
}

func (m moderncVM) ExecutePendingJobs() (int, error) {
	n, err := m.vm.ExecutePendingJobs()
	if err != nil && strings.Contains(err.Error(), "aborted draining after") {
		err = errDrainCapped
	}
	return n, err
}

type moderncValue struct{ v quickjs.Value }

func (v moderncValue) Free() { v.v.Free() }

func (v moderncValue) Call(args ...any) (any, error) {
	cloned := false // the caller's slice stays as it was
	for i, a := range args {
		var w any
		switch a := a.(type) {
		case moderncValue:
			w = a.v
		case undefinedValue:
			w = quickjs.Undefined{}
		default:
			continue
		}
		if !cloned {
			args, cloned = slices.Clone(args), true
		}
		args[i] = w
	}
	r, err := v.v.Call(quickjs.UndefinedValue, args...)
	if _, ok := r.(quickjs.Undefined); ok {
		r = jsUndefined
	}
	return r, err
}

// compile turns a classic script into QuickJS bytecode with the function
// source text stripped: the bytecode is then a fraction of the size and
// loads several times faster in each fresh VM (Function.prototype.toString
// of agent functions loses its source, as in QuickJS's qjsc -s). Debug info
// stays, so stack traces keep line numbers.
//
// It drives the engine's C API directly because package quickjs does not
// expose JS_SetStripInfo; the bytecode format is the one package quickjs
// reads, since both use the same modernc.org/libquickjs.
func compile(name, src string) ([]byte, error) {
	if err := syntaxCheck(name, src); err != nil {
		return nil, err
	}
	tls := libc.NewTLS()
	defer tls.Close()
	rt := lib.XJS_NewRuntime(tls)
	if rt == 0 {
		return nil, errors.New("new runtime: out of memory")
	}
	defer lib.XJS_FreeRuntime(tls, rt)
	lib.XJS_SetStripInfo(tls, rt, lib.MJS_STRIP_SOURCE)
	ctx := lib.XJS_NewContext(tls, rt)
	if ctx == 0 {
		return nil, errors.New("new context: out of memory")
	}
	defer lib.XJS_FreeContext(tls, ctx)

	csrc, err := libc.CString(src)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(tls, csrc)
	cname, err := libc.CString(name)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(tls, cname)

	fn := lib.XJS_Eval(tls, ctx, csrc, libc.Tsize_t(len(src)), cname, lib.MJS_EVAL_TYPE_GLOBAL|lib.MJS_EVAL_FLAG_COMPILE_ONLY)
	if lib.XJS_HasException(tls, ctx) != 0 {
		lib.XFreeValue(tls, ctx, lib.XJS_GetException(tls, ctx))
		return nil, errors.New("syntax error") // syntaxCheck reports the details
	}
	defer lib.XFreeValue(tls, ctx, fn)

	usize := int(unsafe.Sizeof(libc.Tsize_t(0)))
	psize := tls.Alloc(usize)
	defer tls.Free(usize)
	p := lib.XJS_WriteObject(tls, ctx, psize, fn, lib.MJS_WRITE_OBJ_BYTECODE)
	if p == 0 {
		return nil, errors.New("write bytecode")
	}
	defer lib.Xjs_free(tls, ctx, p)
	var n int
	if raw := libc.GoBytes(psize, usize); usize == 8 {
		n = int(binary.NativeEndian.Uint64(raw))
	} else {
		n = int(binary.NativeEndian.Uint32(raw))
	}
	return bytes.Clone(libc.GoBytes(p, n)), nil
}

// syntaxCheck compiles src with package quickjs, only for its error
// message, which ends with where the error is ("at agent.js:3:7"), as the
// native engine's does.
func syntaxCheck(name, src string) error {
	vm, err := quickjs.NewVM()
	if err != nil {
		return fmt.Errorf("new vm: %w", err)
	}
	defer vm.Close()
	vm.SetEvalTimeout(10 * time.Second)
	_, err = vm.Compile(src, quickjs.EvalGlobal)
	var qe *quickjs.Error
	if errors.As(err, &qe) && qe.LineNumber > 0 {
		return fmt.Errorf("%s at %s:%d:%d", err, name, qe.LineNumber, qe.ColumnNumber)
	}
	return err
}
