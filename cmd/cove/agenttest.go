package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/bundle"
	"github.com/cove-network/cove/worker"
)

// HeaderTestEnv is the header by which a test run by `cove agent test`
// gives one request its own secrets (a JSON object), as the Node-side
// test passes env to the fetch handler; only the local harness reads it.
const HeaderTestEnv = "Cove-Test-Env"

func newAgentTestCmd() *cobra.Command {
	var (
		secrets     secretFlags
		egressAllow []string
		command     string
	)
	cmd := &cobra.Command{
		Use:   "test [DIR]",
		Short: "Run an agent project's tests against the agent in the worker's sandbox",
		Long: `Bundle the agent in DIR (default .; a folder with package.json, as deploy takes)
and serve it on a loopback address in the sandbox a worker uses (the same runtime,
limits and response shaping as cove agent run: no chain, no receipt), then run the
project's tests (npm test, or --command) in DIR with COVE_AGENT_URL set to that
address. A test that sees COVE_AGENT_URL sends its requests there instead of calling
the handler in Node, so the same test file checks the agent in Node (npm test) and in
Cove's sandbox (cove agent test). The templates of cove agent init do so through
test/cove.ts.

Secrets: --secret and --secrets-file, or per request a Cove-Test-Env header holding
a JSON object (test/cove.ts sends the env a test passes). The agent may fetch every
port of 127.0.0.1 and [::1] (the tests' own mock servers) besides public addresses;
--egress-allow adds more. What the agent logs goes to stderr.

The exit code is the test command's; 2 when the agent could not be bundled or
compiled.`,
		Example: `  cove agent init my-agent --template oracle && cd my-agent && npm install
  cove agent test
  cove agent test . --command "npx tsx --test test/agent.test.ts"`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			set, err := secrets.read()
			if err != nil {
				return err
			}
			cfg := worker.DefaultConfig()
			cfg.EgressAllow = append([]string{"127.0.0.1:*", "[::1]:*"}, egressAllow...)
			b, err := bundle.Build(dir)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			local, err := worker.NewLocal(cfg, b.Code, set)
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("%s: %w", dir, err)}
			}
			defer local.Close()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			base := "http://" + ln.Addr().String()
			srv := &http.Server{Handler: testHarness(local, set, base, cmd.ErrOrStderr()), ReadHeaderTimeout: 10 * time.Second}
			go srv.Serve(ln)
			defer srv.Close()

			fmt.Fprintf(cmd.ErrOrStderr(), "cove agent test: %s in the sandbox at %s; running %s\n", dir, base, command)
			run := exec.CommandContext(cmd.Context(), "sh", "-c", command)
			run.Dir = dir
			run.Env = append(os.Environ(), "COVE_AGENT_URL="+base)
			run.Stdout, run.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			run.WaitDelay = 5 * time.Second
			if err := run.Run(); err != nil {
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					return &exitError{code: max(1, ee.ExitCode()), err: fmt.Errorf("%s failed (exit %d)", command, ee.ExitCode())}
				}
				return fmt.Errorf("run %s: %w", command, err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	secrets.register(f)
	f.StringArrayVar(&egressAllow, "egress-allow", nil, "HOST:PORT the agent may fetch besides public addresses and loopback (repeatable)")
	f.StringVar(&command, "command", "npm test", "the test command, run by sh in DIR")
	return cmd
}

// testHarness serves each request by running the agent in its sandbox:
// the secrets of its Cove-Test-Env header, else set.
func testHarness(local *worker.Local, set map[string]string, base string, logs io.Writer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		secrets := set
		if raw := r.Header.Get(HeaderTestEnv); raw != "" {
			secrets = nil // this request's own, never merged into set
			if err := json.Unmarshal([]byte(raw), &secrets); err != nil {
				http.Error(w, "cove agent test: "+HeaderTestEnv+" is not a JSON object of strings: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		h := r.Header.Clone()
		h.Del(HeaderTestEnv)
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
		defer cancel()
		target := r.URL.RequestURI()
		res, err := local.CallWith(ctx, cove.Call{Method: r.Method, Path: target, URL: base + target, Host: r.Host, Header: cove.Header(h), Body: body}, secrets)
		if err != nil {
			http.Error(w, "cove agent test: "+err.Error(), http.StatusBadRequest)
			return
		}
		for _, l := range res.Logs {
			fmt.Fprintf(logs, "[agent %s] %s\n", l.Level, l.Message)
		}
		if res.Err != nil {
			fmt.Fprintf(logs, "[agent] did not answer %s %s: %v\n", r.Method, strings.SplitN(target, "?", 2)[0], res.Err)
		}
		for k, vs := range res.Response.Header {
			w.Header()[k] = vs
		}
		if _, ok := w.Header()["Content-Type"]; !ok {
			w.Header()["Content-Type"] = nil // as a gateway: no guessed type
		}
		w.WriteHeader(res.Response.Status)
		w.Write(res.Response.Body)
	})
}
