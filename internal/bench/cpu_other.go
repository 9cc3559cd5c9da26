//go:build !unix

package bench

import "time"

// ProcessCPU returns the CPU time (user and system) this process has used so
// far, and false where the platform cannot tell.
func ProcessCPU() (time.Duration, bool) { return 0, false }
