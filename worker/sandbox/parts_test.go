package sandbox

import "testing"

func BenchmarkVMOnly(b *testing.B) {
	for b.Loop() {
		vm, _ := newVM()
		vm.Close()
	}
}

func BenchmarkVMPrelude(b *testing.B) {
	e := newEngine(b, Limits{})
	b.Logf("prelude bytecode %d bytes", len(e.prelude))
	for b.Loop() {
		vm, _ := newVM()
		vm.RegisterHostFunc("__cove_host", func([]any) (any, error) { return nil, nil })
		if err := vm.EvalBytecode(e.prelude); err != nil {
			b.Fatal(err)
		}
		vm.Close()
	}
}
