package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/bundle"
	"github.com/cove-network/cove/worker"
)

// runOrigin is the origin a local run's agent sees in request.url.
const runOrigin = "http://localhost:8700"

func newRunCmd() *cobra.Command {
	var (
		req         requestFlags
		secrets     secretFlags
		egressAllow []string
		include     bool
		asJSON      bool
		timeout     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "run FILE [PATH]",
		Short: "Run an agent once, locally, in the worker's sandbox: no chain, no deploy",
		Long: `Bundle FILE (a .ts/.js file or a folder with package.json, as deploy does), run it
once for a request to PATH (default /; it may carry a query) in the sandbox a worker
uses (the same runtime, egress policy and default limits), and print the response
body; what the agent logs goes to stderr. No chain, node or gateway is needed: this is
Cove's simulateScript / wrangler dev. The response is what a caller of the deployed
agent gets through a gateway (the error envelope, the headers only Cove sets removed
from the request, the shared-origin policy's response headers), but without a
receipt. The agent sees request.url ` + runOrigin + `PATH.

Secrets come from --secret NAME=VALUE and --secrets-file, as for deploy, and stay on
this machine. cove.deriveKey works with a throwaway key: the keys it gives are not
the deployed agent's. Agents may fetch public addresses only, as on a worker;
--egress-allow HOST:PORT lets them reach a local one (a mock API).

The exit code is 0 for a 2xx response, 1 for another status, 2 when the agent could
not be bundled or compiled, or its secrets are ones a deploy refuses (too many, too
large, not UTF-8).`,
		Example: `  cove agent run examples/hello.ts /hello?name=Ada --secret GREETING=Hi
  cove agent run examples/hello.ts /echo -d 'hi' -H 'content-type: text/plain' -i
  cove agent run my-agent/ /price --egress-allow 127.0.0.1:9000 --json`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/"
			if len(args) > 1 {
				path = args[1]
			}
			if !strings.HasPrefix(path, "/") {
				return fmt.Errorf("PATH %q: want a path starting with / (a query may follow)", truncate(path, 60))
			}
			method, h, body, err := req.build()
			if err != nil {
				return err
			}
			set, err := secrets.read()
			if err != nil {
				return err
			}
			cfg := worker.DefaultConfig()
			cfg.EgressAllow = egressAllow
			b, err := bundle.Build(args[0])
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			local, err := worker.NewLocal(cfg, b.Code, set)
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("%s: %w", args[0], err)}
			}
			defer local.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			host := strings.TrimPrefix(runOrigin, "http://")
			res, err := local.Call(ctx, cove.Call{Method: method, Path: path, URL: runOrigin + path, Host: host,
				Header: cove.Header(h), Body: body})
			if err != nil {
				return err
			}
			resp := res.Response
			if asJSON {
				out := map[string]any{"status": resp.Status, "headers": resp.Header, "body": string(resp.Body), "logs": res.Logs}
				if res.Err != nil {
					out["error"] = res.Err.Error()
				}
				if err := printJSON(cmd.OutOrStdout(), out); err != nil {
					return err
				}
			} else {
				errOut := cmd.ErrOrStderr()
				for _, l := range res.Logs {
					fmt.Fprintf(errOut, "[%s] %s\n", l.Level, l.Message)
				}
				if res.Err != nil {
					// On the user's own machine the whole cause is shown,
					// not only the envelope's message.
					fmt.Fprintf(errOut, "cove: the agent did not answer: %v\n", res.Err)
				}
				writeResponse(cmd.OutOrStdout(), include, resp.Status, http.Header(resp.Header), resp.Body)
			}
			if resp.Status >= 300 {
				return &exitError{code: 1, err: fmt.Errorf("agent answered %d", resp.Status)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	req.register(f)
	secrets.register(f)
	f.StringArrayVar(&egressAllow, "egress-allow", nil, "HOST:PORT the agent may fetch although it is not public (repeatable), e.g. a local mock API")
	f.BoolVarP(&include, "include", "i", false, "print the status line and headers too")
	f.BoolVar(&asJSON, "json", false, `print {"status","headers","body","logs"}`)
	f.DurationVar(&timeout, "timeout", time.Minute, "give up after this long (the sandbox's own time limit applies first)")
	return cmd
}
