// Package bench holds Cove's benchmarks, which `cove bench` and `cove bench
// chain` only parse flags for, call and print:
//
//   - Agents measures agent calls through a node started in this process
//     against the same handler on plain Node.js (StartNode), with the
//     deploy-to-first-response time and the per-request cost of the
//     worker's two big parts measured alone (SandboxCost, SignCost).
//   - Chain measures the transactions one validator commits per second and
//     its block interval.
//
// Both return a report that prints as a Markdown table (Print) or encodes
// as JSON. Run is the closed-loop load generator they share.
//
// Nothing here asserts a timing: the numbers are printed for people.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Load describes one closed-loop load: Concurrency workers, each sending its
// next request as soon as the previous one is answered, over keep-alive
// connections. It stops after Duration or after Requests requests, whichever
// comes first; at least one of them must be set.
type Load struct {
	// URL is requested with GET.
	URL string
	// Concurrency is the number of workers (and at most of connections).
	Concurrency int
	// Duration bounds the time during which new requests start; requests in
	// flight when it ends are awaited and counted.
	Duration time.Duration
	// Requests bounds the number of requests; zero means no bound.
	Requests int
	// Timeout bounds each request; zero means 10 s.
	Timeout time.Duration
}

// Result is what a load measured. Latencies are of requests that got an
// HTTP response (any status); transport failures only count in Errors.
type Result struct {
	Requests int           // requests completed, with or without a response
	OK       int           // 2xx responses
	Non2xx   int           // responses with another status
	Errors   int           // requests that got no response (dial, reset, timeout)
	Elapsed  time.Duration // from the first request to the last answer
	RPS      float64       // OK / Elapsed
	P50      time.Duration
	P90      time.Duration
	P99      time.Duration
	Max      time.Duration
	// FirstError is the first transport error or non-2xx status seen, to
	// say why Errors or Non2xx is not zero.
	FirstError string
}

// Run generates the load l and returns what it measured. It stops by itself
// (see Load) or when ctx ends, and returns ctx's error in that case.
func Run(ctx context.Context, l Load) (Result, error) {
	if l.Concurrency < 1 {
		return Result{}, fmt.Errorf("bench: concurrency %d must be at least 1", l.Concurrency)
	}
	if l.Duration <= 0 && l.Requests <= 0 {
		return Result{}, errors.New("bench: set a duration or a request count")
	}
	if l.Requests < 0 {
		return Result{}, fmt.Errorf("bench: request count %d is negative", l.Requests)
	}
	if l.Timeout <= 0 {
		l.Timeout = 10 * time.Second
	}
	req, err := http.NewRequest(http.MethodGet, l.URL, nil)
	if err != nil {
		return Result{}, fmt.Errorf("bench: %w", err)
	}
	// One transport for all workers, able to keep one idle connection per
	// worker: with the default of 2 idle connections per host, every other
	// request would dial a new connection and we would measure TCP setup.
	tr := &http.Transport{
		MaxIdleConns:        l.Concurrency,
		MaxIdleConnsPerHost: l.Concurrency,
		MaxConnsPerHost:     l.Concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: l.Timeout}

	var (
		started  atomic.Int64 // requests claimed, for l.Requests
		mu       sync.Mutex
		total    Result
		lat      []time.Duration
		firstErr string
	)
	start := time.Now()
	var deadline time.Time
	if l.Duration > 0 {
		deadline = start.Add(l.Duration)
	}
	var wg sync.WaitGroup
	for range l.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r Result
			var mine []time.Duration
			var why string
			for ctx.Err() == nil {
				if !deadline.IsZero() && !time.Now().Before(deadline) {
					break
				}
				if l.Requests > 0 && started.Add(1) > int64(l.Requests) {
					break
				}
				t0 := time.Now()
				status, err := get(ctx, client, req)
				d := time.Since(t0)
				if err != nil && ctx.Err() != nil {
					break // cancelled, not a failure of the target
				}
				r.Requests++
				switch {
				case err != nil:
					r.Errors++
					if why == "" {
						why = err.Error()
					}
					continue
				case status >= 200 && status < 300:
					r.OK++
				default:
					r.Non2xx++
					if why == "" {
						why = fmt.Sprintf("status %d", status)
					}
				}
				mine = append(mine, d)
			}
			mu.Lock()
			total.Requests += r.Requests
			total.OK += r.OK
			total.Non2xx += r.Non2xx
			total.Errors += r.Errors
			lat = append(lat, mine...)
			if firstErr == "" {
				firstErr = why
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	total.Elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return total, err
	}
	total.FirstError = firstErr
	if total.Elapsed > 0 {
		total.RPS = float64(total.OK) / total.Elapsed.Seconds()
	}
	slices.Sort(lat)
	total.P50 = Percentile(lat, 50)
	total.P90 = Percentile(lat, 90)
	total.P99 = Percentile(lat, 99)
	if len(lat) > 0 {
		total.Max = lat[len(lat)-1]
	}
	return total, nil
}

// get sends one request and reads the whole body, so that the connection
// goes back to the pool for the next request.
func get(ctx context.Context, c *http.Client, proto *http.Request) (int, error) {
	resp, err := c.Do(proto.Clone(ctx))
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value that at least p% of the values
// are less than or equal to. It returns 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(len(sorted)) / 100)) // p*n first: exact for whole p
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}
