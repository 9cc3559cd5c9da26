package bench

import (
	"fmt"
	"io"
	"runtime/pprof"
)

// startProfile starts a CPU profile written to w (nil does nothing) and
// returns the function that stops it.
func startProfile(w io.Writer) (func(), error) {
	if w == nil {
		return func() {}, nil
	}
	if err := pprof.StartCPUProfile(w); err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return pprof.StopCPUProfile, nil
}
