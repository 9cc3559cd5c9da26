package faults_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/cove-network/cove/internal/testport"
)

// The cove binary, built once per test run by the first test that needs it.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// coveBin returns the path of a cove binary built from this tree.
func coveBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		start := time.Now()
		buildDir, buildErr = os.MkdirTemp("", "cove-faults-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "cove")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/cove-network/cove/cmd/cove").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/cove: %v\n%s", err, out)
			return
		}
		t.Logf("built cove in %s", time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// home is one node home written by `cove testnet init`.
type home struct {
	Home string `json:"home"`
	HTTP string `json:"http"`
	Link string `json:"link"` // a worker node's link
	RPC  string `json:"rpc"`
	P2P  string `json:"p2p"`
}

// initNet writes n node homes with `cove testnet init`, funding funded:
// the binary's own measurement is then the one the genesis TEE policy
// allows.
func initNet(t *testing.T, bin string, n int, funded ...cove.Address) []home {
	t.Helper()
	return initLayout(t, bin, n, 0, funded...)
}

// initLayout is initNet with worker nodes after the validators (`cove
// testnet init --workers`).
func initLayout(t *testing.T, bin string, n, workers int, funded ...cove.Address) []home {
	t.Helper()
	base, err := testport.Consecutive(3 * (n + workers))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"testnet", "init", "--validators", fmt.Sprint(n), "--workers", fmt.Sprint(workers), "--dir", filepath.Join(t.TempDir(), "net"), "--base-port", fmt.Sprint(base), "--json"}
	for _, a := range funded {
		args = append(args, "--fund", a.String())
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "COVE_HOME="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cove testnet init: %v (%s)", err, exitOutput(err))
	}
	var homes []home
	if err := json.Unmarshal(out, &homes); err != nil {
		t.Fatalf("cove testnet init: %v: %s", err, out)
	}
	return homes
}

func exitOutput(err error) string {
	var e *exec.ExitError
	if errors.As(err, &e) {
		return string(e.Stderr)
	}
	return ""
}

// proc is one `cove node` process.
type proc struct {
	cmd    *exec.Cmd
	out    *syncbuf.Buffer
	exited chan struct{} // closed when the process ended, after err is set
	err    error
}

// startNode runs `cove node --home h`; the cleanup of owner (the test
// that owns the process, which may outlive the subtest that starts it)
// kills it if it still runs and, when the test failed, shows the tail of
// its output.
func startNode(owner testing.TB, bin string, h home, flags ...string) (*proc, error) {
	p := &proc{out: &syncbuf.Buffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"node", "--home", h.Home}, flags...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start cove node: %w", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	owner.Cleanup(func() {
		p.kill9()
		if owner.Failed() {
			owner.Logf("cove node %s (pid %d) output (tail):\n%s", h.Home, p.cmd.Process.Pid, p.out.Tail(16<<10))
		}
	})
	return p, nil
}

// startNet writes n node homes (initNet), starts a `cove node` on each and
// waits until every one is healthy. Another process may take a probed port
// before a node binds it: then it starts again on other ports.
func startNet(t *testing.T, ctx context.Context, bin string, n int, funded ...cove.Address) ([]home, []*proc, []*client.Client) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		homes := initNet(t, bin, n, funded...)
		procs := make([]*proc, n)
		clients := make([]*client.Client, n)
		for i, h := range homes {
			procs[i] = mustStart(t, bin, h)
			clients[i] = newClient(t, h.HTTP)
		}
		var err error
		for i := range homes {
			if err = procs[i].waitHealthy(ctx, clients[i], 1); err != nil {
				err = fmt.Errorf("node %d: %w\n%s", i, err, procs[i].out.Tail(4<<10))
				break
			}
		}
		if err == nil {
			return homes, procs, clients
		}
		for _, p := range procs {
			p.kill9()
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
		t.Logf("attempt %d: a port was taken; again on other ports", attempt)
	}
}

// mustStart is startNode for the test's own goroutine.
func mustStart(t *testing.T, bin string, h home, flags ...string) *proc {
	t.Helper()
	p, err := startNode(t, bin, h, flags...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// kill9 sends SIGKILL and waits for the process to end.
func (p *proc) kill9() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// waitExit waits for the process to end on its own and returns its output.
func (p *proc) waitExit(ctx context.Context) (string, error) {
	select {
	case <-p.exited:
		return p.out.String(), p.err
	case <-ctx.Done():
		return p.out.String(), fmt.Errorf("cove node still runs: %w", ctx.Err())
	}
}

// waitHealthy polls the gateway until it reports healthy (its worker holds
// a key) and its chain is at height ≥ h, failing if the process exits.
func (p *proc) waitHealthy(ctx context.Context, c *client.Client, h int64) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last int64
	for {
		select {
		case <-p.exited:
			return fmt.Errorf("cove node exited: %v", p.err)
		default:
		}
		if c.Health(ctx) == nil {
			st, err := c.ChainStatus(ctx)
			if err == nil {
				last = st.Height
				if st.Height >= h {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cove node not healthy at height %d (last seen %d): %w", h, last, ctx.Err())
		case <-tick.C:
		}
	}
}

// restart starts a node on h, owned by owner, and returns it with the time
// from the start of the process to a healthy gateway at height ≥ atLeast;
// failures are t's.
func restart(owner testing.TB, t *testing.T, ctx context.Context, bin string, h home, c *client.Client, atLeast int64) (*proc, time.Duration) {
	t.Helper()
	start := time.Now()
	p, err := startNode(owner, bin, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.waitHealthy(ctx, c, atLeast); err != nil {
		t.Fatalf("restart on %s: %v", h.Home, err)
	}
	return p, time.Since(start)
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// newClient returns a client of the gateway at addr (host:port).
func newClient(t *testing.T, addr string) *client.Client {
	t.Helper()
	c, err := client.New("http://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func slow(t *testing.T, what string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("%s; skipped with -short", what)
	}
}
