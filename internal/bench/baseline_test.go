package bench

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/cove-network/cove/bundle"
	"github.com/cove-network/cove/worker/sandbox"
)

// TestNodeBaselineMatchesAgent checks that the Node baseline is the same
// handler as examples/hello.ts: both answer /hello?name=Ada and an unknown
// path with the same status, content type and body.
func TestNodeBaselineMatchesAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node; skipped with -short")
	}
	ctx := context.Background()
	srv, err := StartNode(ctx, "../../"+NodeScript)
	if errors.Is(err, ErrNoNode) {
		t.Skip("node is not installed; the baseline is skipped")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	b, err := bundle.Build("../../examples/hello.ts")
	if err != nil {
		t.Fatal(err)
	}
	e, err := sandbox.New(sandbox.Limits{}, http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Compile(b.Code)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/hello?name=Ada", "/hello", "/nope"} {
		res, err := e.Run(ctx, p, sandbox.Request{Method: http.MethodGet, URL: "http://127.0.0.1" + path, Header: http.Header{}}, sandbox.Env{})
		if err != nil {
			t.Fatalf("agent %s: %v", path, err)
		}
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != res.Status || string(body) != string(res.Body) {
			t.Errorf("%s: node answered %d %q, the agent %d %q", path, resp.StatusCode, body, res.Status, res.Body)
		}
		if got, want := resp.Header.Get("Content-Type"), res.Header.Get("Content-Type"); got != want {
			t.Errorf("%s: node content type %q, the agent's %q", path, got, want)
		}
	}
	if string(mustGet(t, srv.URL+"/hello?name=Ada")) != `{"greeting":"Hello Ada","agent":"hello"}` {
		t.Errorf("baseline greeting changed")
	}

	cpu := srv.Stop()
	if _, err := http.Get(srv.URL + "/hello"); err == nil {
		t.Errorf("baseline still answers after Stop")
	}
	if cpu <= 0 {
		t.Logf("no CPU time reported for the baseline (platform without rusage?)")
	}
}

func mustGet(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func TestStartNodeReportsBadScript(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node; skipped with -short")
	}
	_, err := StartNode(context.Background(), "testdata-does-not-exist.mjs")
	if errors.Is(err, ErrNoNode) {
		t.Skip("node is not installed")
	}
	if err == nil {
		t.Fatal("StartNode of a missing script succeeded")
	}
}

func TestCosts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the JS engine; skipped with -short")
	}
	ctx := context.Background()
	b, err := bundle.Build("../../examples/hello.ts")
	if err != nil {
		t.Fatal(err)
	}
	for _, warm := range []bool{true, false} {
		c, err := SandboxCost(ctx, b.Code, "http://127.0.0.1/hello?name=Ada", 10*time.Millisecond, warm)
		if err != nil || c.N < 3 || c.Each <= 0 {
			t.Errorf("SandboxCost (warm %v) = %+v, %v: want at least 3 runs answering 200", warm, c, err)
		}
		// A path the agent answers 404 is an error: the loop checks every run.
		if _, err := SandboxCost(ctx, b.Code, "http://127.0.0.1/nope", time.Millisecond, warm); err == nil {
			t.Errorf("SandboxCost (warm %v) of a 404 path succeeded", warm)
		}
	}
	for _, batch := range []int{1, 16} {
		s, err := SignCost(ctx, 10*time.Millisecond, batch)
		if err != nil || s.N < 3*batch || s.Each <= 0 {
			t.Errorf("SignCost (batch %d) = %+v, %v", batch, s, err)
		}
	}
}
