package worker_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/worker"
	"github.com/cove-network/cove/worker/sandbox"
)

// TestLocal: the local runner answers a call exactly as a worker's Invoke
// does (status, headers without the reserved ones, body, the error
// envelope), without a receipt; module state persists in its warm VM;
// cove.deriveKey works; broken code and bad secret names fail at once.
func TestLocal(t *testing.T) {
	e := newEnv(t, worker.DefaultConfig())
	e.provision(t, 0)
	id := e.deploy(t, greeter, map[string]string{"GREETING": "Hello"})
	l, err := worker.NewLocal(worker.DefaultConfig(), []byte(greeter), map[string]string{"GREETING": "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, c := range []string{"/hi?name=Ada", "/"} {
		cl := call(http.MethodPost, c, "ping")
		want, err := e.w.Invoke(context.Background(), id, cl)
		if err != nil {
			t.Fatal(err)
		}
		res, err := l.Call(context.Background(), cl)
		if err != nil || res.Err != nil {
			t.Fatal(err, res.Err)
		}
		got := res.Response
		// The gateway applies the shared-origin policy to what Invoke
		// returns; Local applies it itself.
		wantHeader := http.Header(want.Header).Clone()
		api.SandboxOrigin(wantHeader)
		if got.Receipt != nil || got.Status != want.Status || !reflect.DeepEqual(http.Header(got.Header), wantHeader) || string(got.Body) != string(want.Body) {
			t.Fatalf("%s: local %d %v %s, worker %d %v %s", c, got.Status, got.Header, got.Body, want.Status, want.Header, want.Body)
		}
	}

	stateful := `var n = 0; var __cove_agent = { default: { async fetch(req) {
		n++;
		console.log("call", n);
		const k = await cove.deriveKey("wallet");
		return new Response(n + " " + k.length);
	} } };`
	s, err := worker.NewLocal(worker.DefaultConfig(), []byte(stateful), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, want := range []string{"1 32", "2 32"} {
		res, err := s.Call(context.Background(), call(http.MethodGet, "/", ""))
		if err != nil || string(res.Response.Body) != want || len(res.Logs) != 1 || res.Logs[0].Message != "call "+want[:1] {
			t.Fatalf("call %d: %v %+v, want %q", i, err, res, want)
		}
	}

	// What only Cove sets is removed from the request, as a gateway does;
	// an origin-wide response header is dropped and the CSP added.
	headers, err := worker.NewLocal(worker.DefaultConfig(), []byte(`var __cove_agent = { default: { fetch(req) {
		return new Response(req.headers.get("cove-request-id") + " " + req.headers.get("x-caller"), {headers: {"set-cookie": "a=b", "x-mine": "1"}});
	} } };`), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer headers.Close()
	c := call(http.MethodGet, "/", "")
	c.Header["Cove-Request-Id"] = []string{"spoofed"}
	res, err := headers.Call(context.Background(), c)
	if h := http.Header(res.Response.Header); err != nil || string(res.Response.Body) != "null ada" || h.Get("Set-Cookie") != "" ||
		h.Get("X-Mine") != "1" || h.Get("Content-Security-Policy") != api.AgentCSP {
		t.Fatalf("headers: %v %d %s %v", err, res.Response.Status, res.Response.Body, res.Response.Header)
	}
	big := call(http.MethodPost, "/", strings.Repeat("x", 5<<20+1))
	if _, err := headers.Call(context.Background(), big); err == nil || !strings.Contains(err.Error(), "413") {
		t.Fatalf("a body over max_request_bytes: %v", err)
	}

	// A thrown error is the worker's envelope, status 500 agent_error.
	bad, err := worker.NewLocal(worker.DefaultConfig(), []byte(`var __cove_agent = { default: { fetch() { throw new Error("boom") } } };`), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	res, err = bad.Call(context.Background(), call(http.MethodGet, "/", ""))
	if err != nil || res.Response.Status != 500 || !strings.Contains(string(res.Response.Body), `"code":"agent_error"`) ||
		!strings.Contains(string(res.Response.Body), "boom") || res.Err == nil || !strings.Contains(res.Err.Error(), "boom") {
		t.Fatalf("a throwing agent: %v %+v", err, res)
	}

	_, err = worker.NewLocal(worker.DefaultConfig(), []byte("var x = ;"), nil)
	if ce := new(sandbox.CompileError); !errors.As(err, &ce) {
		t.Fatalf("broken code: %v, want a CompileError", err)
	}
	for _, bad := range []map[string]string{{"not a name": "x"}, {"BIG": strings.Repeat("x", 70<<10)}, {"BIN": "\xff"}} {
		if _, err := worker.NewLocal(worker.DefaultConfig(), []byte(greeter), bad); err == nil {
			t.Fatalf("secrets a deploy refuses were accepted: %.40q", bad)
		}
	}
	if _, err := worker.NewLocal(worker.DefaultConfig(), []byte(greeter), map[string]string{"GREETING": "Hello"}); err != nil {
		t.Fatalf("control, a valid secret: %v", err)
	}
}

// TestLocalCallWith: per-call secrets replace NewLocal's for that call
// only; the next plain Call sees NewLocal's again.
func TestLocalCallWith(t *testing.T) {
	l, err := worker.NewLocal(worker.DefaultConfig(), []byte(greeter), map[string]string{"GREETING": "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, tc := range []struct {
		secrets map[string]string
		want    string
	}{{map[string]string{"GREETING": "Ahoy"}, "Ahoy Ada"}, {nil, "Hello Ada"}, {map[string]string{"GREETING": "Hej"}, "Hej Ada"}} {
		var res *worker.LocalResult
		if tc.secrets == nil {
			res, err = l.Call(context.Background(), call(http.MethodGet, "/?name=Ada", ""))
		} else {
			res, err = l.CallWith(context.Background(), call(http.MethodGet, "/?name=Ada", ""), tc.secrets)
		}
		if err != nil || !strings.Contains(string(res.Response.Body), tc.want) {
			t.Fatalf("%v: %v %s", tc.secrets, err, res.Response.Body)
		}
	}
	if _, err := l.CallWith(context.Background(), call(http.MethodGet, "/", ""), map[string]string{"bad name": "x"}); err == nil {
		t.Fatal("a secret name a deploy refuses was accepted")
	}
}

// TestEgressWildcardLocalOnly: a loopback port * is refused in a node's
// worker configuration and accepted by the local runner; the control is
// the same address with a port, accepted by both.
func TestEgressWildcardLocalOnly(t *testing.T) {
	cfg := worker.DefaultConfig()
	cfg.EgressAllow = []string{"127.0.0.1:9000"}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("control: %v", err)
	}
	cfg.EgressAllow = []string{"127.0.0.1:*"}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "cove agent test") {
		t.Fatalf("a node's worker with 127.0.0.1:*: %v", err)
	}
	l, err := worker.NewLocal(cfg, []byte(greeter), nil)
	if err != nil {
		t.Fatalf("the local runner with 127.0.0.1:*: %v", err)
	}
	l.Close()
}
