package gethdev

import (
	"os/exec"
	"syscall"
)

// kill sends SIGKILL to geth's process group: geth and anything it
// started. The data directory is a test's temporary one, so there is
// nothing to shut down cleanly.
func kill(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
