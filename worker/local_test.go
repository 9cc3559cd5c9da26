package worker_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

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
		got, _, err := l.Call(context.Background(), cl)
		if err != nil {
			t.Fatal(err)
		}
		if got.Receipt != nil || got.Status != want.Status || !reflect.DeepEqual(got.Header, want.Header) || string(got.Body) != string(want.Body) {
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
		resp, logs, err := s.Call(context.Background(), call(http.MethodGet, "/", ""))
		if err != nil || string(resp.Body) != want || len(logs) != 1 || logs[0].Message != "call "+want[:1] {
			t.Fatalf("call %d: %v %+v %v, want %q", i, err, resp, logs, want)
		}
	}

	// A thrown error is the worker's envelope, status 500 agent_error.
	bad, err := worker.NewLocal(worker.DefaultConfig(), []byte(`var __cove_agent = { default: { fetch() { throw new Error("boom") } } };`), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	resp, _, err := bad.Call(context.Background(), call(http.MethodGet, "/", ""))
	if err != nil || resp.Status != 500 || !strings.Contains(string(resp.Body), `"code":"agent_error"`) || !strings.Contains(string(resp.Body), "boom") {
		t.Fatalf("a throwing agent: %v %+v", err, resp)
	}

	_, err = worker.NewLocal(worker.DefaultConfig(), []byte("var x = ;"), nil)
	if ce := new(sandbox.CompileError); !errors.As(err, &ce) {
		t.Fatalf("broken code: %v, want a CompileError", err)
	}
	if _, err := worker.NewLocal(worker.DefaultConfig(), []byte(greeter), map[string]string{"not a name": "x"}); err == nil {
		t.Fatal("a secret with a bad name was accepted")
	}
}
