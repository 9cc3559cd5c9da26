package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/bundle"
	"github.com/cove-network/cove/internal/jstest"
	"github.com/cove-network/cove/worker"
)

// TestAgentInit: each template, written by `cove agent init`, installs
// with `npm ci`, passes its own `npm test` in Node, and runs in Cove's
// sandbox (worker.Local, as `cove agent run`) answering a call, with a
// MOCK API where the agent needs one (a price source, an OpenAI-compatible
// provider).
func TestAgentInit(t *testing.T) {
	npm := jstest.NPM(t)
	mock := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/spot"): // a price API
			w.Write([]byte(`{"data":{"amount":"3012.55"}}`))
		case r.URL.Path == "/v1/chat/completions": // an LLM provider
			var req struct {
				Model          string
				Messages       []struct{ Content string }
				ResponseFormat *struct{ Type string } `json:"response_format"`
			}
			json.NewDecoder(r.Body).Decode(&req)
			answer := "mock answer to: " + req.Messages[len(req.Messages)-1].Content
			if req.ResponseFormat != nil && req.ResponseFormat.Type == "json_object" {
				answer = `{"label":"ok","reason":"mock"}`
			}
			json.NewEncoder(w).Encode(map[string]any{"id": "chatcmpl-mock", "object": "chat.completion", "created": 1, "model": req.Model,
				"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant",
					"content": answer}}},
				"usage": map[string]any{"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
		default:
			http.NotFound(w, r)
		}
	}))
	defer mock.Close()

	calls := map[string]struct {
		method, path, body string
		secrets            map[string]string
		want               string
	}{
		"hono":      {"GET", "/items/7", "", nil, `{"id":"7"}`},
		"oracle":    {"POST", "/", "ETH-USD", map[string]string{"PRICE_API": mock.URL}, `"price":"3012.55"`},
		"wallet":    {"POST", "/sign", `{"message":"hi"}`, nil, `"signature":"0x`},
		"ai-chat":   {"POST", "/", `{"message":"hi"}`, map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": mock.URL + "/v1"}, `"reply":"mock answer to: hi"`},
		"ai-oracle": {"POST", "/", "capital of France?", map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": mock.URL + "/v1"}, `mock answer to: capital of France?`},
		"ad-label":  {"POST", "/", `{"text":"bread"}`, map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": mock.URL + "/v1"}, `{"label":"ok","reason":"mock"}`},
	}
	for _, name := range sortedKeys(templateInfo) {
		t.Run(name, func(t *testing.T) {
			c, ok := calls[name]
			if !ok || templateTry[name] == "" {
				t.Fatalf("no call or first command for template %s: add them", name)
			}
			dir := filepath.Join(t.TempDir(), "My "+name)
			out, err := runCove(t, "agent", "init", dir, "--template", name)
			if err != nil || !strings.Contains(out, "src/index.ts") || !strings.Contains(out, "README.md") || !strings.Contains(out, ".gitignore") ||
				!strings.Contains(out, "cd '"+dir+"'") || !strings.Contains(out, templateTry[name]) {
				t.Fatalf("init: %v\n%s", err, out)
			}
			pkg, err := os.ReadFile(filepath.Join(dir, "package.json"))
			if err != nil || !strings.Contains(string(pkg), `"name": "my-`+name+`"`) {
				t.Fatalf("package.json: %v\n%s", err, pkg)
			}
			for _, args := range [][]string{{"ci", "--no-audit", "--no-fund", "--loglevel=error"}, {"test"}} {
				ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
				cmd := exec.CommandContext(ctx, npm, args...)
				cmd.Dir = dir
				cmd.WaitDelay = 5 * time.Second
				b, err := cmd.CombinedOutput()
				cancel()
				if err != nil {
					t.Fatalf("npm %s: %v\n%s", args[0], err, b)
				}
				if args[0] == "test" && (!strings.Contains(string(b), "# fail 0") || strings.Contains(string(b), "# pass 0")) {
					t.Fatalf("npm test:\n%s", b)
				}
			}
			// The same tests against the agent in Cove's sandbox.
			out, errOut, err := runCoveStderr(t, "agent", "test", dir)
			if err != nil || !strings.Contains(out, "# fail 0") || strings.Contains(out, "# pass 0") || !strings.Contains(errOut, "in the sandbox at http://127.0.0.1:") {
				t.Fatalf("cove agent test: %v\n%s\n%s", err, out, errOut)
			}
			// In Cove's sandbox.
			bnd, err := bundle.Build(dir)
			if err != nil {
				t.Fatal(err)
			}
			cfg := worker.DefaultConfig()
			cfg.EgressAllow = []string{strings.TrimPrefix(mock.URL, "http://")}
			l, err := worker.NewLocal(cfg, bnd.Code, c.secrets)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			res, err := l.Call(t.Context(), cove.Call{Method: c.method, Path: c.path, URL: "http://localhost:8700" + c.path,
				Host: "localhost:8700", Header: cove.Header{}, Body: []byte(c.body)})
			if err != nil || res.Response.Status != 200 || !strings.Contains(string(res.Response.Body), c.want) {
				t.Fatalf("in the sandbox: %v %+v, want %s", err, res, c.want)
			}
		})
	}
	t.Run("refusals", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("mine"), 0o644)
		if _, err := runCove(t, "agent", "init", dir, "--template", "hono"); err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Fatalf("init into a non-empty folder: %v", err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "keep.txt")); string(b) != "mine" {
			t.Fatal("init touched a file it found")
		}
		if _, err := runCove(t, "agent", "init", filepath.Join(t.TempDir(), "x"), "--template", "nope"); err == nil || !strings.Contains(err.Error(), "ai-chat") {
			t.Fatalf("an unknown template: %v", err)
		}
	})
}
