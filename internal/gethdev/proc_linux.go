package gethdev

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts geth in its own process group (kill takes the group)
// and has the kernel kill it if the test process dies first, so that a
// test killed by its timeout leaves no geth behind.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
