package gethdev

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cove-network/cove/internal/syncbuf"
)

// module is the go-ethereum module whose version the binary is built from.
const module = "github.com/ethereum/go-ethereum"

// Version returns the version of go-ethereum this module's go.mod
// selects (`go list -m`; a test binary records no dependency versions).
func Version(ctx context.Context) (string, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("finding go-ethereum's version needs the go command: %w", err)
	}
	out, err := output(ctx, goCmd, "", "list", "-m", "-json", module)
	if err != nil {
		return "", err
	}
	var m struct {
		Version string
		Replace *struct{ Path, Version string }
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		return "", fmt.Errorf("go list -m %s: %w", module, err)
	}
	if m.Replace != nil {
		return "", fmt.Errorf("%s is replaced by %s %s: geth is built from a released version", module, m.Replace.Path, m.Replace.Version)
	}
	if m.Version == "" {
		return "", fmt.Errorf("go list -m %s gives no version", module)
	}
	return m.Version, nil
}

// Binary returns the path of a geth built from the go-ethereum version in
// go.mod, building it the first time on this machine (minutes; progress
// goes to the test log) into os.UserCacheDir()/cove/geth-VERSION/geth.
// Concurrent test processes build it once: the others wait on a lock.
//
// geth is built inside this module with a copy of its go.mod (go build
// -modfile), so go-ethereum and every dependency the two share are at the
// versions this module selects, and the packages `go test` already
// compiled for this module come from the build cache (geth's profile-guided
// optimisation is off for that): on a clean machine
// the build costs what cmd/geth adds, not all of go-ethereum again. What
// cmd/geth needs beyond this module's go.sum is added to the copy by `go
// get` (which may raise google.golang.org/genproto's modules to settle an
// import that this module's older genproto makes ambiguous); go-ethereum
// itself must stay at the pinned version, or the build fails. This
// module's go.mod and go.sum are never written. It needs the go command
// (go test puts its own first in PATH) and the module proxy, or a module
// cache that holds what geth needs.
func Binary(t testing.TB) string {
	t.Helper()
	built.Lock()
	defer built.Unlock()
	if built.path == "" {
		bin, err := binary(t)
		if err != nil {
			t.Fatalf("geth: %v", err)
		}
		built.path = bin
	}
	return built.path
}

// built is the binary this test process found or built, so that a test
// that starts two chains checks it once.
var built struct {
	sync.Mutex
	path string
}

func binary(t testing.TB) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	version, err := Version(ctx)
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "cove", "geth-"+version)
	bin := filepath.Join(dir, "geth")
	if ok, err := usable(bin, version); ok || err != nil {
		return bin, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	unlock, err := lock(t, filepath.Join(dir, "lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	// Another process may have built it while this one waited.
	if ok, err := usable(bin, version); ok || err != nil {
		return bin, err
	}
	if err := build(t, version, dir, bin); err != nil {
		return "", err
	}
	if ok, err := usable(bin, version); !ok {
		return "", fmt.Errorf("the geth just built is not usable: %v", err)
	}
	return bin, nil
}

// usable reports whether bin exists and `bin version` names version. A
// file that exists but is not the right geth is an error, not a reason to
// build over it silently.
func usable(bin, version string) (bool, error) {
	if _, err := os.Stat(bin); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "version").CombinedOutput()
	if err != nil {
		return false, fmt.Errorf("%s version: %v\n%s (delete the file to rebuild it)", bin, err, out)
	}
	// "Version: 1.17.10-stable": the version, then "-" or the line's end.
	if want := "Version: " + strings.TrimPrefix(version, "v"); !strings.Contains(string(out), want+"-") && !strings.Contains(string(out), want+"\n") {
		return false, fmt.Errorf("%s version does not say %q:\n%s (delete the file to rebuild it)", bin, want, out)
	}
	return true, nil
}

// lock takes an exclusive lock on path, waiting (and saying so) while
// another process holds it; the lock goes with the process if it dies.
func lock(t testing.TB, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		t.Logf("geth: another process is building it; waiting for %s", path)
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// build builds geth into a fresh directory next to bin and renames the
// result into place, so that bin is either absent or complete.
func build(t testing.TB, version, dir, bin string) error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("building geth needs the go command: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()

	// The module root, where go.mod and go.sum are.
	gomod, err := output(ctx, goCmd, "", "env", "GOMOD")
	if err != nil {
		return err
	}
	if gomod == "" || gomod == os.DevNull {
		return errors.New("go env GOMOD names no go.mod: run the test inside this module")
	}
	root := filepath.Dir(gomod)
	modfile := filepath.Join(tmp, "geth.mod")
	if err := copyFile(gomod, modfile); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(root, "go.sum"), filepath.Join(tmp, "geth.sum")); err != nil {
		return err
	}

	pkg := module + "/cmd/geth"
	t.Logf("geth: building %s %s into %s, once per machine (minutes on two cores)", pkg, version, bin)
	start := time.Now()
	if _, err := output(ctx, goCmd, root, "get", "-modfile="+modfile, pkg+"@"+version); err != nil {
		return err
	}
	if got, err := output(ctx, goCmd, root, "list", "-modfile="+modfile, "-m", "-f={{.Version}}", module); err != nil {
		return err
	} else if got != version {
		return fmt.Errorf("go get %s@%s moved %s to %s", pkg, version, module, got)
	}
	t.Logf("geth: dependencies resolved (%s), compiling", time.Since(start).Round(time.Second))

	// -pgo=off: cmd/geth ships a default.pgo, and a build with a profile
	// compiles every package (the standard library too) differently from
	// the test binaries, so nothing would come from the build cache. The
	// profile only tunes performance.
	cmd := exec.CommandContext(ctx, goCmd, "build", "-v", "-pgo=off", "-modfile="+modfile, "-o", filepath.Join(tmp, "geth"), pkg)
	cmd.Dir = root
	out := &syncbuf.Buffer{}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	// -v names each package as it is compiled: count them for the
	// progress lines and keep everything for the error.
	done := make(chan int)
	go func() {
		n := 0
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			fmt.Fprintln(out, sc.Text())
			n++
		}
		done <- n
	}()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait(); pw.Close() }()
	tick := time.NewTicker(20 * time.Second)
	defer tick.Stop()
wait:
	for {
		select {
		case <-tick.C:
			t.Logf("geth: still compiling (%s), last: %s", time.Since(start).Round(time.Second), lastLine(out.Tail(200)))
		case err = <-waited:
			break wait
		}
	}
	n := <-done
	if err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, out.Tail(8<<10))
	}
	if err := os.Rename(filepath.Join(tmp, "geth"), bin); err != nil {
		return err
	}
	t.Logf("geth: built %s %s in %s (%d packages compiled)", pkg, version, time.Since(start).Round(time.Second), n)
	return nil
}

// output runs the go command in dir and returns its trimmed stdout.
func output(ctx context.Context, goCmd, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out)), nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}
