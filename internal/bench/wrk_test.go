package bench

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A report of wrk 4.1.0 with --latency.
const wrkReport = `Running 2s test @ http://127.0.0.1:34567/hello?name=Ada
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.05ms    1.10ms  21.37ms   80.10%
    Req/Sec     7.93k   512.33     8.80k    70.00%
  Latency Distribution
     50%    1.85ms
     75%    2.40ms
     90%    3.20ms
     99%  812.00us
  31580 requests in 2.00s, 5.03MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:  15789.12
Transfer/sec:      2.51MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkReport)
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Requests: 31580, OK: 31573, Non2xx: 7, Errors: 3, Elapsed: 2 * time.Second,
		P50: 1850 * time.Microsecond, P90: 3200 * time.Microsecond, P99: 812 * time.Microsecond, Max: 21370 * time.Microsecond,
		RPS: 31573 / 2.0, FirstError: "connect 0, read 2, write 0, timeout 1"}
	if r != want {
		t.Fatalf("parsed\n%+v\nwant\n%+v", r, want)
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n"); err == nil {
		t.Fatal("a report without numbers parsed")
	}
}

// TestRunWrk smoke-runs wrk against a local server when wrk is installed.
func TestRunWrk(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	r, err := RunWrk(context.Background(), Load{URL: srv.URL, Concurrency: 4, Duration: time.Second})
	if errors.Is(err, ErrNoWrk) {
		t.Skip("wrk is not installed: cove bench uses its own load generator")
	}
	if err != nil || r.OK == 0 || r.RPS <= 0 || r.P50 <= 0 || r.Errors != 0 || r.Non2xx != 0 {
		t.Fatalf("wrk: %+v, %v", r, err)
	}
	t.Logf("wrk against httptest: %.0f requests/s, p50 %s", r.RPS, r.P50)
}
