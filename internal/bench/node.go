package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"github.com/cove-network/cove/internal/syncbuf"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// ErrNoNode means the node executable is not on PATH.
var ErrNoNode = errors.New("node not found")

// NodeScript is the baseline server, relative to the repository root: the
// handler of examples/hello.ts on plain node:http.
const NodeScript = "testdata/bench/hello-node.mjs"

// NodeServer is a running baseline server (a node child process).
type NodeServer struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string

	cmd    *exec.Cmd
	stderr *syncbuf.Buffer
	done   chan struct{}
	err    error // from Wait, set before done closes
}

// StartNode starts `node script` and waits until it prints the port it
// listens on (127.0.0.1, a port picked by the system). It returns an error
// matching ErrNoNode when node is not installed. Stop ends it.
func StartNode(ctx context.Context, script string) (*NodeServer, error) {
	bin, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("start baseline: %w", ErrNoNode)
	}
	cmd := exec.Command(bin, script)
	// An os.Pipe rather than StdoutPipe: Wait must not close the end we
	// read, which is drained until the child exits.
	stdout, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start baseline: %w", err)
	}
	s := &NodeServer{cmd: cmd, stderr: &syncbuf.Buffer{Max: 64 << 10}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = w, s.stderr
	err = cmd.Start()
	w.Close() // the child holds its own copy
	if err != nil {
		stdout.Close()
		return nil, fmt.Errorf("start baseline: %w", err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()

	portc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			portc <- strings.TrimSpace(sc.Text())
		}
		io.Copy(io.Discard, stdout) // keep the pipe drained
		stdout.Close()
		close(portc)
	}()
	timer := time.NewTimer(15 * time.Second)
	defer timer.Stop()
	fail := func(format string, args ...any) (*NodeServer, error) {
		s.Stop()
		msg := fmt.Sprintf(format, args...)
		if e := strings.TrimSpace(s.stderr.String()); e != "" {
			msg += ": " + truncate(e, 500)
		}
		return nil, fmt.Errorf("start baseline %s: %s", script, msg)
	}
	select {
	case line, ok := <-portc:
		port, err := strconv.Atoi(line)
		if !ok || err != nil || port <= 0 || port > 65535 {
			return fail("want a port number on the first line of stdout, got %q", truncate(line, 80))
		}
		s.URL = "http://127.0.0.1:" + strconv.Itoa(port)
		return s, nil
	case <-timer.C:
		return fail("no port printed after 15 s")
	case <-ctx.Done():
		return fail("%v", ctx.Err())
	}
}

// CPU returns the CPU time the server has used so far, and false where the
// platform does not say (it reads /proc).
func (s *NodeServer) CPU() (time.Duration, bool) { return processCPUOf(s.cmd.Process.Pid) }

// Stop kills the server, waits for it to exit and returns the CPU time
// (user and system) it used over its life.
func (s *NodeServer) Stop() time.Duration {
	select {
	case <-s.done:
	default:
		s.cmd.Process.Kill()
		<-s.done
	}
	if st := s.cmd.ProcessState; st != nil {
		return st.UserTime() + st.SystemTime()
	}
	return 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
