package bench

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	ten := ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"p50 of 10", ten, 50, 5 * time.Millisecond},
		{"p90 of 10", ten, 90, 9 * time.Millisecond},
		{"p99 of 10 is the max", ten, 99, 10 * time.Millisecond},
		{"p100", ten, 100, 10 * time.Millisecond},
		{"p1 of 10 is the min", ten, 1, 1 * time.Millisecond},
		{"p99 of 100", hundred, 99, 99 * time.Millisecond},
		{"p50 of 100", hundred, 50, 50 * time.Millisecond},
		{"p50 of 2", ms(1, 2), 50, 1 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := Percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("%s: Percentile(p%v) = %v, want %v", tt.name, tt.p, got, tt.want)
		}
	}
}

// TestRunCounts sends a fixed number of requests to a server that answers
// every 10th with 500 and delays every 20th, and checks that every request
// is counted once, that statuses are told apart, that the slow tail shows in
// p99 and max, and that workers reuse their connections.
func TestRunCounts(t *testing.T) {
	const (
		total = 200
		conc  = 8
		slow  = 30 * time.Millisecond
	)
	var hits, fails, conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		if n%20 == 0 {
			time.Sleep(slow)
		}
		if n%10 == 5 {
			fails.Add(1)
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	res, err := Run(context.Background(), Load{URL: srv.URL + "/x", Concurrency: conc, Requests: total})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != total || hits.Load() != total {
		t.Errorf("Requests = %d, server saw %d, want %d", res.Requests, hits.Load(), total)
	}
	if res.Non2xx != int(fails.Load()) || res.Non2xx != total/10 {
		t.Errorf("Non2xx = %d, server failed %d, want %d", res.Non2xx, fails.Load(), total/10)
	}
	if res.OK != total-total/10 || res.Errors != 0 {
		t.Errorf("OK = %d, Errors = %d, want %d and 0", res.OK, res.Errors, total-total/10)
	}
	if res.FirstError != "status 500" {
		t.Errorf("FirstError = %q, want status 500", res.FirstError)
	}
	if !(res.P50 > 0 && res.P50 <= res.P90 && res.P90 <= res.P99 && res.P99 <= res.Max) {
		t.Errorf("percentiles out of order: p50 %v p90 %v p99 %v max %v", res.P50, res.P90, res.P99, res.Max)
	}
	// 10 of 200 responses (5%) took at least slow, so p99 and max did too.
	if res.P99 < slow || res.Max < slow {
		t.Errorf("p99 %v, max %v: want both >= %v", res.P99, res.Max, slow)
	}
	if want := float64(res.OK) / res.Elapsed.Seconds(); res.RPS != want {
		t.Errorf("RPS = %v, want OK/Elapsed = %v", res.RPS, want)
	}
	if n := conns.Load(); n < 1 || n > conc {
		t.Errorf("server saw %d connections for %d workers: keep-alive is not working", n, conc)
	}
}

func TestRunDuration(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		time.Sleep(time.Millisecond)
	}))
	defer srv.Close()

	const d = 300 * time.Millisecond
	res, err := Run(context.Background(), Load{URL: srv.URL, Concurrency: 4, Duration: d})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || int64(res.Requests) != hits.Load() || res.OK != res.Requests {
		t.Errorf("Requests = %d, OK = %d, server saw %d: want all equal and > 0", res.Requests, res.OK, hits.Load())
	}
	if res.Elapsed < d {
		t.Errorf("Elapsed = %v, want at least the duration %v", res.Elapsed, d)
	}
}

func TestRunTransportErrors(t *testing.T) {
	// A server that accepts and closes every connection without answering.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	res, err := Run(context.Background(), Load{URL: "http://" + ln.Addr().String() + "/", Concurrency: 2, Requests: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 10 || res.Errors != 10 || res.OK != 0 || res.RPS != 0 {
		t.Errorf("Requests %d, Errors %d, OK %d, RPS %v: want 10, 10, 0, 0", res.Requests, res.Errors, res.OK, res.RPS)
	}
	if res.FirstError == "" || res.P50 != 0 {
		t.Errorf("FirstError %q, p50 %v: want a reason and no latencies", res.FirstError, res.P50)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(50 * time.Millisecond):
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Run(ctx, Load{URL: srv.URL, Concurrency: 4, Duration: time.Hour})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v, want the context's error", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("Run took %v after its context ended", time.Since(start))
	}
}

func TestRunRejects(t *testing.T) {
	for _, l := range []Load{
		{URL: "http://127.0.0.1:1/", Concurrency: 0, Requests: 1},
		{URL: "http://127.0.0.1:1/", Concurrency: 1},
		{URL: "http://127.0.0.1:1/", Concurrency: 1, Requests: -1, Duration: time.Second},
		{URL: "://bad", Concurrency: 1, Requests: 1},
	} {
		if _, err := Run(context.Background(), l); err == nil {
			t.Errorf("Run(%+v) = nil error, want a refusal", l)
		}
	}
}
