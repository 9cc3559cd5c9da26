package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cove-network/cove/internal/aimock"
	"github.com/cove-network/cove/worker/ai"
)

// AIOptions configures AI.
type AIOptions struct {
	// Requests is how many chat completions measure latency one after
	// another (concurrency 1), per target.
	Requests int
	// Concurrency and Duration measure completions per second under
	// closed-loop load, per target.
	Concurrency int
	Duration    time.Duration
	// Streams streamed completions of StreamTokens pieces each measure
	// tokens per second, per target.
	Streams      int
	StreamTokens int
	// DataDir is the node's directory; empty uses a temporary one.
	DataDir string
}

// DefaultAIOptions are `cove bench ai`'s defaults.
func DefaultAIOptions() AIOptions {
	return AIOptions{Requests: 300, Concurrency: 8, Duration: 3 * time.Second, Streams: 5, StreamTokens: 2000}
}

// AIReport is what AI measured (`cove bench ai`, and its JSON). Direct is
// the MOCK upstream called directly; Cove is the same request through the
// gateway's AI API (the worker signs each answer).
type AIReport struct {
	Date    string  `json:"date"`
	Machine Machine `json:"machine"`
	Options AIOptions
	// Latency at concurrency 1, ms.
	DirectP50MS, DirectP99MS, CoveP50MS, CoveP99MS float64
	// OverheadP50MS and OverheadP99MS are Cove's minus Direct's.
	OverheadP50MS, OverheadP99MS float64
	// Completions per second at Options.Concurrency.
	DirectRPS, CoveRPS float64
	// Streams: tokens (SSE pieces) per second of one stream, median of
	// Options.Streams, and time to the first piece, median, ms.
	DirectTokensPerS, CoveTokensPerS float64
	DirectFirstMS, CoveFirstMS       float64
}

// AI measures the AI API's overhead: a MOCK OpenAI-compatible upstream
// (no model: it echoes at once) called directly and through a cove dev
// node in this process, one after the other in the same run.
func AI(ctx context.Context, o AIOptions, log *slog.Logger, progress io.Writer) (*AIReport, error) {
	if o.Requests < 1 || o.Concurrency < 1 || o.Duration <= 0 || o.Streams < 1 || o.StreamTokens < 1 {
		return nil, errors.New("bench ai: requests, concurrency, duration, streams and stream tokens must be positive")
	}
	rep := &AIReport{Date: time.Now().UTC().Format(time.RFC3339), Machine: ThisMachine(), Options: o}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	up := &http.Server{Handler: aimock.New(aimock.Config{}), ReadHeaderTimeout: 10 * time.Second}
	go up.Serve(ln)
	defer up.Close()
	direct := "http://" + ln.Addr().String() + "/v1"

	fmt.Fprintln(progress, "starting a dev node with the MOCK upstream as provider \"mock\"")
	node, err := startDevNode(ctx, o.DataDir, 0, ai.Config{Providers: []ai.Provider{{Name: "mock", URL: direct}}, FreeTokensPerDay: -1}, log)
	if err != nil {
		return nil, err
	}
	defer node.stop()
	key, err := node.c.NewAIKey(ctx, node.signer)
	if err != nil {
		return nil, err
	}
	cove := node.c.Base() + "/v1"
	auth := map[string]string{"Authorization": "Bearer " + key.Key}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4 * o.Concurrency, DisableCompression: true}}
	chat := []byte(`{"model":"mock-chat","messages":[{"role":"user","content":"what is the weather like today"}]}`)

	for _, t := range []struct {
		name, base string
		p50, p99   *float64
	}{{"direct", direct, &rep.DirectP50MS, &rep.DirectP99MS}, {"cove", cove, &rep.CoveP50MS, &rep.CoveP99MS}} {
		fmt.Fprintf(progress, "chat completions one at a time: %s (%d)\n", t.name, o.Requests)
		var lat []time.Duration
		for range o.Requests {
			start := time.Now()
			if _, err := post(ctx, client, t.base+"/chat/completions", auth, chat); err != nil {
				return nil, fmt.Errorf("%s: %w", t.name, err)
			}
			lat = append(lat, time.Since(start))
		}
		slices.Sort(lat)
		*t.p50, *t.p99 = ms(Percentile(lat, 50)), ms(Percentile(lat, 99))
	}
	rep.OverheadP50MS, rep.OverheadP99MS = rep.CoveP50MS-rep.DirectP50MS, rep.CoveP99MS-rep.DirectP99MS

	for _, t := range []struct {
		name, base string
		rps        *float64
	}{{"direct", direct, &rep.DirectRPS}, {"cove", cove, &rep.CoveRPS}} {
		fmt.Fprintf(progress, "chat completions at concurrency %d for %s: %s\n", o.Concurrency, o.Duration, t.name)
		n, elapsed, err := closedLoop(ctx, o.Concurrency, o.Duration, func(ctx context.Context) error {
			_, err := post(ctx, client, t.base+"/chat/completions", auth, chat)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name, err)
		}
		*t.rps = float64(n) / elapsed.Seconds()
	}

	streamBody, _ := json.Marshal(map[string]any{"model": "mock-chat", "stream": true,
		"messages": []map[string]string{{"role": "user", "content": strings.TrimSpace(strings.Repeat("token ", o.StreamTokens-1))}}})
	for _, t := range []struct {
		name, base  string
		rate, first *float64
	}{{"direct", direct, &rep.DirectTokensPerS, &rep.DirectFirstMS}, {"cove", cove, &rep.CoveTokensPerS, &rep.CoveFirstMS}} {
		fmt.Fprintf(progress, "%d streams of %d pieces: %s\n", o.Streams, o.StreamTokens, t.name)
		var rates, firsts []float64
		for range o.Streams {
			pieces, first, total, err := stream(ctx, client, t.base+"/chat/completions", auth, streamBody)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", t.name, err)
			}
			rates = append(rates, float64(pieces)/total.Seconds())
			firsts = append(firsts, ms(first))
		}
		slices.Sort(rates)
		slices.Sort(firsts)
		*t.rate, *t.first = rates[len(rates)/2], firsts[len(firsts)/2]
	}
	return rep, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// post sends one JSON request and reads the answer; a status other than
// 200 is an error.
func post(ctx context.Context, c *http.Client, url string, header map[string]string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("POST %s: %d %s", url, resp.StatusCode, b)
	}
	return b, err
}

// stream reads one streamed completion, counting its data events, and
// returns them, the time to the first and the whole time.
func stream(ctx context.Context, c *http.Client, url string, header map[string]string, body []byte) (int, time.Duration, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return 0, 0, 0, fmt.Errorf("POST %s: %d %s", url, resp.StatusCode, b)
	}
	var first time.Duration
	pieces := 0
	buf := make([]byte, 32<<10)
	var carry []byte
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			carry = append(carry, buf[:n]...)
			for {
				i := bytes.Index(carry, []byte("\n\n"))
				if i < 0 {
					break
				}
				if bytes.HasPrefix(carry, []byte("data: {")) {
					if pieces == 0 {
						first = time.Since(start)
					}
					pieces++
				}
				carry = carry[i+2:]
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, 0, 0, err
		}
	}
	return pieces, first, time.Since(start), nil
}

// closedLoop runs fn from concurrency goroutines, each again as soon as
// it returns, until d has passed; it returns how many calls completed and
// the time they took. A failed call stops it with the error.
func closedLoop(ctx context.Context, concurrency int, d time.Duration, fn func(context.Context) error) (int, time.Duration, error) {
	var (
		mu       sync.Mutex
		n        int
		firstErr error
		wg       sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for range concurrency {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				err := fn(ctx)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if err == nil {
					n++
				}
				stop := firstErr != nil
				mu.Unlock()
				if stop {
					return
				}
			}
		})
	}
	wg.Wait()
	return n, time.Since(start), firstErr
}

// Print writes the report as a Markdown table.
func (r *AIReport) Print(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "cove bench ai, %s: %d CPUs (%s), GOMAXPROCS %d, load average %s\n", r.Date, m.CPUs, orUnknown(m.Model), m.GOMAXPROCS, orUnknown(m.LoadAvg))
	fmt.Fprintln(w, "MOCK OpenAI-compatible upstream (no model: it answers at once) called directly, and through a cove dev node's AI API (API key, signed receipts)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| measure | direct | through Cove | Cove adds |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	fmt.Fprintf(w, "| chat completion p50, concurrency 1 (ms) | %.2f | %.2f | %.2f |\n", r.DirectP50MS, r.CoveP50MS, r.OverheadP50MS)
	fmt.Fprintf(w, "| chat completion p99, concurrency 1 (ms) | %.2f | %.2f | %.2f |\n", r.DirectP99MS, r.CoveP99MS, r.OverheadP99MS)
	fmt.Fprintf(w, "| chat completions/s, concurrency %d | %.0f | %.0f | |\n", r.Options.Concurrency, r.DirectRPS, r.CoveRPS)
	fmt.Fprintf(w, "| stream of %d pieces: pieces/s (median of %d) | %.0f | %.0f | |\n", r.Options.StreamTokens, r.Options.Streams, r.DirectTokensPerS, r.CoveTokensPerS)
	fmt.Fprintf(w, "| stream: first piece (ms, median) | %.2f | %.2f | %.2f |\n", r.DirectFirstMS, r.CoveFirstMS, r.CoveFirstMS-r.DirectFirstMS)
}
