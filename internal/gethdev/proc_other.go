//go:build !linux

package gethdev

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts geth in its own process group, which kill takes. (Only
// Linux can also tie its life to the test process's.)
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
