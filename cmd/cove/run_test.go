package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// examplesDir holds the agents `cove agent run` is tried on.
var examplesDir = filepath.Join("..", "..", "examples")

// TestAgentRun: `cove agent run` runs an agent once in the worker's
// sandbox, without a node: the response a caller would get (the agent's,
// or the worker's error envelope), its logs on stderr, its secrets, and
// the worker's egress policy, which --egress-allow opens for one address.
func TestAgentRun(t *testing.T) {
	hello := filepath.Join(examplesDir, "hello.ts")
	t.Run("hello", func(t *testing.T) {
		out, err := runCove(t, "agent", "run", hello, "/hello?name=Ada", "--secret", "GREETING=Ahoy", "-i")
		if err != nil || !strings.HasPrefix(out, "HTTP/1.1 200 OK\r\n") || !strings.Contains(out, "Content-Type: application/json") ||
			!strings.HasSuffix(out, `{"greeting":"Ahoy Ada","agent":"hello"}`) {
			t.Fatalf("run: %v\n%s", err, out)
		}
		out, err = runCove(t, "agent", "run", hello, "/echo", "-d", "ping", "-H", "content-type: text/x-ping", "--json")
		var res struct {
			Status  int
			Headers map[string][]string
			Body    string
		}
		if err != nil || json.Unmarshal([]byte(out), &res) != nil || res.Status != 201 || res.Body != "ping" || res.Headers["Content-Type"][0] != "text/x-ping" {
			t.Fatalf("run --json: %v\n%s", err, out)
		}
		_, err = runCove(t, "agent", "run", hello, "/nope")
		wantExit(t, "a 404", err, 1)
	})

	t.Run("logs and limits", func(t *testing.T) {
		code := writeFile(t, "logs.js", []byte(`export default { async fetch(req) {
			console.log("seen", new URL(req.url).pathname);
			console.warn("careful");
			if (new URL(req.url).pathname === "/deep") { const f = (n) => f(n + 1) + 1; f(0); }
			return new Response("ok");
		} };`))
		out, errOut, err := runCoveStderr(t, "agent", "run", code, "/a/b")
		if err != nil || out != "ok" || !strings.Contains(errOut, "[log] seen /a/b\n") || !strings.Contains(errOut, "[warn] careful\n") {
			t.Fatalf("run: %v\nstdout %q\nstderr %q", err, out, errOut)
		}
		out, _, err = runCoveStderr(t, "agent", "run", code, "/deep")
		wantExit(t, "a limit", err, 1)
		if !strings.Contains(out, `"code":"limit_exceeded"`) || !strings.Contains(out, `"limit":"stack depth"`) {
			t.Fatalf("a stack overflow: %s", out)
		}
	})

	t.Run("code that does not build", func(t *testing.T) {
		for _, tt := range []struct{ name, src, want string }{
			{"syntax.ts", "export default { fetch( { return 1 } };", `Expected "}"`},
			{"no-handler.js", "const x = 1;", "the agent has no exports"},
		} {
			_, err := runCove(t, "agent", "run", writeFile(t, tt.name, []byte(tt.src)))
			wantExit(t, tt.name, err, 2)
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("%s: %v, want it to say %q", tt.name, err, tt.want)
			}
		}
	})

	t.Run("egress", func(t *testing.T) {
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Echo", r.Header.Get("X-From-Agent"))
			w.Write([]byte("from the mock API"))
		}))
		defer api.Close()
		addr := strings.TrimPrefix(api.URL, "http://")
		upstream := filepath.Join(examplesDir, "upstream.ts")
		target := "/?url=" + api.URL + "/"
		// The control: the same call with the address allowed.
		out, err := runCove(t, "agent", "run", upstream, target, "--egress-allow", addr)
		if err != nil || !strings.Contains(out, `"body":"from the mock API"`) || !strings.Contains(out, `"echoHeader":"cove"`) {
			t.Fatalf("with --egress-allow %s: %v\n%s", addr, err, out)
		}
		out, err = runCove(t, "agent", "run", upstream, target)
		wantExit(t, "a loopback fetch", err, 1)
		if !strings.Contains(out, "egress policy refused") || !strings.Contains(out, "--egress-allow "+addr) {
			t.Fatalf("without --egress-allow: %s", out)
		}
	})

	t.Run("bad flags", func(t *testing.T) {
		for _, args := range [][]string{
			{hello, "hello"},                    // not a path
			{hello, "/", "--secret", "novalue"}, // not NAME=VALUE
			{hello, "/", "-H", "no colon"},
		} {
			if _, err := runCove(t, append([]string{"agent", "run"}, args...)...); err == nil {
				t.Fatalf("cove agent run %v succeeded", args)
			}
		}
	})
}
