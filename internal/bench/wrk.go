package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Load generators `cove bench` can drive: its own (Run, in this process)
// and wrk (https://github.com/wg/wrk, a separate process), the standard
// HTTP load generator the Node.js numbers are usually quoted with.
const (
	LoadGenBuiltin = "builtin"
	LoadGenWrk     = "wrk"
)

// ErrNoWrk is RunWrk's error when wrk is not installed.
var ErrNoWrk = errors.New("wrk not found on PATH (install it, e.g. apt-get install wrk)")

// WrkThreads is how many threads wrk runs; its connections are spread over
// them.
const WrkThreads = 2

// RunWrk generates l with wrk (GET, l.Concurrency keep-alive connections
// over WrkThreads threads, for l.Duration) and returns what wrk measured.
// Latencies are wrk's percentiles (its Max is its maximum); Requests are
// the responses wrk counted, OK those less the non-2xx/3xx ones, and
// Errors its socket errors (connect, read, write, timeout), which are not
// among the responses.
func RunWrk(ctx context.Context, l Load) (Result, error) {
	path, err := exec.LookPath("wrk")
	if err != nil {
		return Result{}, ErrNoWrk
	}
	if l.Concurrency < 1 || l.Duration < time.Second {
		return Result{}, fmt.Errorf("bench: wrk needs at least 1 connection and 1 s (got %d, %s)", l.Concurrency, l.Duration)
	}
	threads := min(WrkThreads, l.Concurrency)
	secs := strconv.Itoa(int(l.Duration.Round(time.Second) / time.Second))
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	timeout = max(time.Second, timeout.Round(time.Second)) // wrk takes whole seconds
	cmd := exec.CommandContext(ctx, path, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(l.Concurrency), "-d", secs+"s",
		"--timeout", strconv.Itoa(int(timeout/time.Second))+"s", "--latency", l.URL)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}
	if err != nil {
		return Result{}, fmt.Errorf("wrk: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return parseWrk(string(out))
}

// parseWrk reads wrk's report (with --latency).
func parseWrk(s string) (Result, error) {
	var r Result
	var haveRPS, haveCount bool
	var socketErrors int
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && (f[0] == "50%" || f[0] == "90%" || f[0] == "99%"):
			d, err := wrkDuration(f[1])
			if err != nil {
				return r, err
			}
			switch f[0] {
			case "50%":
				r.P50 = d
			case "90%":
				r.P90 = d
			case "99%":
				r.P99 = d
			}
		case len(f) >= 4 && f[0] == "Latency" && r.Max == 0:
			// Thread Stats: Latency AVG STDEV MAX +/-STDEV
			if d, err := wrkDuration(f[3]); err == nil {
				r.Max = d
			}
		case len(f) >= 5 && f[1] == "requests" && f[2] == "in":
			n, err := strconv.Atoi(f[0])
			if err != nil {
				return r, fmt.Errorf("wrk: request count %q", f[0])
			}
			d, err := wrkDuration(strings.TrimSuffix(f[3], ","))
			if err != nil {
				return r, err
			}
			r.Requests, r.Elapsed, haveCount = n, d, true
		case len(f) == 2 && f[0] == "Requests/sec:":
			if _, err := strconv.ParseFloat(f[1], 64); err != nil {
				return r, fmt.Errorf("wrk: requests/sec %q", f[1])
			}
			haveRPS = true
		case strings.HasPrefix(sc.Text(), "  Non-2xx or 3xx responses:"):
			r.Non2xx, _ = strconv.Atoi(f[len(f)-1])
		case len(f) > 2 && f[0] == "Socket" && f[1] == "errors:":
			// Socket errors: connect 0, read 0, write 0, timeout 0
			for i := 2; i+1 < len(f); i += 2 {
				n, _ := strconv.Atoi(strings.TrimSuffix(f[i+1], ","))
				socketErrors += n
			}
			if socketErrors > 0 {
				r.FirstError = strings.Join(f[2:], " ")
			}
		}
	}
	if !haveRPS || !haveCount || r.P50 == 0 {
		return r, fmt.Errorf("wrk: unexpected report:\n%s", s)
	}
	r.Errors = socketErrors
	r.OK = max(0, r.Requests-r.Non2xx)
	if r.Non2xx > 0 && r.FirstError == "" {
		r.FirstError = fmt.Sprintf("%d non-2xx/3xx responses", r.Non2xx)
	}
	if r.Elapsed > 0 {
		r.RPS = float64(r.OK) / r.Elapsed.Seconds()
	}
	return r, nil
}

// wrkDuration reads wrk's durations: 812.00us, 1.23ms, 2.00s, 1.5m.
func wrkDuration(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				break
			}
			return time.Duration(f * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("wrk: duration %q", s)
}
