package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/secret"
)

func newAgentCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Deploy, call and inspect agents",
	}
	cmd.AddCommand(newDeployCmd(g), newUpgradeCmd(g), newCallCmd(g), newListCmd(g), newLogsCmd(g), newRunCmd(), newInitCmd(), newAgentTestCmd(),
		newPriceCmd(g), newFreeTierCmd(g), newRedeemCmd(g))
	return cmd
}

func newDeployCmd(g *globals) *cobra.Command {
	var (
		name      string
		secrets   secretFlags
		asJSON    bool
		salt      string
		isolation string
		from      txFlags
	)
	cmd := &cobra.Command{
		Use:   "deploy PATH",
		Short: "Bundle an agent (a .ts/.js file or a folder with package.json) and deploy it",
		Long: `Bundle an agent with esbuild (TypeScript and npm imports allowed), upload the bundle,
seal its secrets to the cluster key (HPKE, ML-KEM-768+X25519) and send a DeployAgent
transaction signed by --from (default: the "dev" key cove dev made). Secrets are
sealed here: the gateway, the chain and every store only see ciphertext.

Secrets come from --secret NAME=VALUE (repeatable) and --secrets-file F, a
file of NAME=VALUE lines (# comments allowed) or a JSON object.

--isolation agent (the default) lets the agent's calls share warm VMs, one call
at a time: its top-level code runs once per VM and module state persists between
calls (like Cloudflare Workers); no other agent ever runs in them. --isolation
request runs every call in a fresh VM (slower: ~1 ms more per call). The choice
is recorded on chain and fixed for the agent's life.`,
		Example: `  cove agent deploy examples/hello.ts --secret GREETING=Hi
  cove agent deploy examples/hono-app --name hono --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := secrets.read()
			if err != nil {
				return err
			}
			signer, err := from.signer(cmd)
			if err != nil {
				return err
			}
			if isolation != cove.IsolationAgent && isolation != cove.IsolationRequest {
				return fmt.Errorf("--isolation %q: use %s (calls share warm VMs) or %s (a fresh VM per call)", truncate(isolation, 40), cove.IsolationAgent, cove.IsolationRequest)
			}
			sponsor, err := from.sponsorSigner(cmd)
			if err != nil {
				return err
			}
			opts := client.DeployOptions{Signer: signer, Name: name, Secrets: set, Isolation: isolation, Sponsor: sponsor}
			if salt != "" {
				h, err := cove.ParseHash(salt)
				if err != nil {
					return fmt.Errorf("--salt: %w", err)
				}
				opts.Salt = h
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := from.setup(cmd, c); err != nil {
				return err
			}
			start := time.Now()
			ctx, cancel := from.context(cmd)
			defer cancel()
			a, err := c.Deploy(ctx, args[0], opts)
			// A retry of a deploy that committed finds its agent: done.
			var exists *client.AgentExistsError
			existed := errors.As(err, &exists) && exists.SameCode
			if err != nil && !existed {
				return from.explain(ctx, err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), map[string]any{
					"id": a.ID.String(), "cid": a.CID, "codeHash": a.CodeHash.String(), "url": a.URL, "signer": a.Signer.String(), "isolation": a.Isolation, "existed": existed,
				})
			}
			out := cmd.OutOrStdout()
			if existed {
				fmt.Fprintf(out, "%s already exists with this code (version %d): a deploy with this key, code and salt committed before; nothing sent\n", displayName(a.Name, args[0]), a.Version)
			} else {
				fmt.Fprintf(out, "deployed %s in %s\n", displayName(a.Name, args[0]), time.Since(start).Round(time.Millisecond))
			}
			signerText := a.Signer.String()
			if a.Signer.IsZero() {
				// A gateway without a worker knows the attestor only once a
				// gatekeeper publishes it.
				signerText = "not on chain yet (a gatekeeper publishes it within a block or two: cove agent show " + a.ID.String() + ")"
			}
			fmt.Fprintf(out, "  id        %s\n  url       %s\n  signer    %s\n  cid       %s\n  codeHash  %s\n  isolation %s\n", a.ID, a.URL, signerText, a.CID, a.CodeHash, a.Isolation)
			if len(set) > 0 && !existed {
				fmt.Fprintf(out, "  secrets   %s (%s)\n", strings.Join(secret.Set(set).Names(), ", "), sealedTo(c))
			}
			if len(set) > 0 && existed {
				// The agent keeps the secrets of the deploy that committed.
				fmt.Fprintf(out, "  secrets   NOT applied: the agent keeps the secrets it was deployed with; to change them: cove agent upgrade %s %s --secret …\n", a.ID, args[0])
			}
			fmt.Fprintf(out, "call it:  cove agent call %s / --verify\n", a.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "a name for the agent")
	secrets.register(f)
	f.BoolVar(&asJSON, "json", false, `print {"id","cid","codeHash","url","signer","isolation","existed"}`)
	f.StringVar(&isolation, "isolation", cove.IsolationAgent, "agent: calls share warm VMs (module state persists); request: a fresh VM per call")
	f.StringVar(&salt, "salt", "", "0x + 64 hex digits: makes the agent id reproducible (default random)")
	from.register(f)
	from.registerSponsor(f)
	return cmd
}

func newUpgradeCmd(g *globals) *cobra.Command {
	var (
		secrets secretFlags
		asJSON  bool
		from    txFlags
	)
	cmd := &cobra.Command{
		Use:   "upgrade ID PATH",
		Short: "Replace an agent's code (owner only) with an UpgradeAgent transaction",
		Long: `Bundle PATH and send an UpgradeAgent transaction for agent ID, signed by --from,
which must be the agent's owner. Workers serve the new code once the block is
committed; receipts then carry the new code hash. The agent keeps its id, URL and
signer, and its secrets unless new ones are given.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := cove.ParseAgentID(args[0])
			if err != nil {
				return err
			}
			var set map[string]string // nil: the agent keeps its secrets
			if secrets.given() {
				if set, err = secrets.read(); err != nil {
					return err
				}
			}
			signer, c, ctx, cancel, err := from.open(cmd, g)
			if err != nil {
				return err
			}
			defer cancel()
			a, err := c.Upgrade(ctx, id, args[1], signer, set)
			if err != nil {
				return from.explain(ctx, err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), map[string]any{
					"id": a.ID.String(), "cid": a.CID, "codeHash": a.CodeHash.String(), "url": a.URL, "signer": a.Signer.String(), "version": a.Version,
				})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "upgraded %s to version %d\n  codeHash  %s\n  cid       %s\n", a.ID, a.Version, a.CodeHash, a.CID)
			if len(set) > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "  secrets   %s (%s)\n", strings.Join(secret.Set(set).Names(), ", "), sealedTo(c))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&secrets.secrets, "secret", nil, "replace the secrets: NAME=VALUE (repeatable)")
	f.StringVar(&secrets.file, "secrets-file", "", "replace the secrets from a file of NAME=VALUE lines or a JSON object")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	from.register(f)
	return cmd
}

func displayName(name, path string) string {
	if name != "" {
		return name
	}
	return path
}

func readSecretsFile(path string, into map[string]string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--secrets-file: %w", err)
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		var m map[string]string
		if err := json.Unmarshal(t, &m); err != nil {
			return fmt.Errorf("--secrets-file %s: a JSON file must be an object of string values: %w", path, err)
		}
		for k, v := range m {
			into[k] = v
		}
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	line := 0
	for line = 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(s, "export "), "=")
		if !ok {
			return fmt.Errorf("--secrets-file %s:%d: want NAME=VALUE", path, line)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		into[strings.TrimSpace(k)] = v
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("--secrets-file %s:%d: %w", path, line, err)
	}
	return nil
}

func newCallCmd(g *globals) *cobra.Command {
	var (
		req     requestFlags
		verify  bool
		include bool
		save    string
		from    fromFlags
		open    string
	)
	cmd := &cobra.Command{
		Use:   "call ID [PATH]",
		Short: "Call an agent and print its response body",
		Long: `Call an agent at /agents/ID/PATH (PATH may carry a query string) and print the body.
With --verify, check the signed receipt (signature by the agent's attestor, request
and response hashes, status) and say so on stderr. --save writes the response
(status, headers, body) to a file that 'cove verify' checks offline.
A priced agent's call is paid from your channel to it when --from names your key
(open one with 'cove channel open', or pass --open-deposit to open one when you have
none the gateway can take: none, or only ones whose worker left or that are spent);
without --from it is answered 402.
The exit code is 0 for a 2xx response, 1 otherwise.`,
		Example: `  cove agent call 0x1234…cdef /hello?name=Ada --verify
  cove agent call 0x1234…cdef /echo -X POST -d 'hi' -H 'content-type: text/plain'
  cove agent call 0x1234…cdef / --from alice --open-deposit 1000000000000000000`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := cove.ParseAgentID(args[0])
			if err != nil {
				return err
			}
			path := "/"
			if len(args) > 1 {
				path = args[1]
			}
			method, h, body, err := req.build()
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			var deposit *big.Int
			if open != "" {
				if from.name == "" {
					return errors.New("--open-deposit opens a channel of the --from key: name one")
				}
				if deposit, err = parseUnits("--open-deposit", open); err != nil {
					return err
				}
			}
			resp, err := payingCall(cmd, c, from, deposit, id, method, path, body, h)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			writeResponse(out, include, resp.Status, resp.Header, resp.Body)
			if save != "" {
				if err := saveResponse(save, resp); err != nil {
					return err
				}
			}
			if verify {
				s, err := c.VerifyReceipt(cmd.Context(), id, resp)
				if err != nil {
					return &exitError{code: 2, err: fmt.Errorf("receipt NOT verified: %w", err)}
				}
				covered := "the Host and the response headers " + strings.Join(cove.ReceiptHeaders[:], ", ") + " covered"
				if !s.Receipt.CoversHeaders() {
					covered = "version 1: the Host and response headers are NOT covered"
				}
				source := "the attestor proven from the chain against --trust-root"
				if !c.Verified() {
					source = "the attestor as the gateway names it: no --trust-root, so the gateway is trusted"
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "receipt verified: signed by %s (agent %s, code %s, status %d, at %s by the worker host's clock; %s; %s)\n",
					s.Signer, s.Receipt.Agent, s.Receipt.CodeHash, s.Receipt.Status, time.Unix(int64(s.Receipt.Timestamp), 0).UTC().Format(time.RFC3339), covered, source)
			}
			if resp.Status >= 300 {
				return &exitError{code: 1, err: fmt.Errorf("agent answered %d", resp.Status)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	req.register(f)
	f.BoolVar(&verify, "verify", false, "verify the signed receipt")
	f.BoolVarP(&include, "include", "i", false, "print the status line and headers too")
	f.StringVar(&save, "save", "", "save the response (status, headers, body) to FILE for 'cove verify'")
	f.StringVar(&from.name, "from", "", "pay a priced agent's call from this key's channel to it (see `cove keys list`)")
	f.StringVar(&from.passwordFile, "password-file", "", "read the --from key's passphrase from this file")
	f.StringVar(&open, "open-deposit", "", "with --from: if the key has no channel to the agent the gateway can take, open one with this deposit (base units) first")
	return cmd
}

// writeResponse prints a response's body, after its status line and
// headers when include is set, with a final newline on a terminal.
func writeResponse(out io.Writer, include bool, status int, h http.Header, body []byte) {
	if include {
		writeHTTPHead(out, status, h)
	}
	out.Write(body)
	if len(body) > 0 && body[len(body)-1] != '\n' && isTerminal(out) {
		fmt.Fprintln(out)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List deployed agents",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			agents, err := c.Agents(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), agents)
			}
			if len(agents) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no agents deployed; deploy one with `cove agent deploy PATH`")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSIGNER\tCREATED")
			for _, a := range agents {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.ID, orDash(a.Name), a.Signer, a.CreatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newLogsCmd(g *globals) *cobra.Command {
	var (
		follow bool
		limit  int
		asJSON bool
		from   fromFlags
	)
	cmd := &cobra.Command{
		Use:   "logs ID",
		Short: "Show an agent's invocations: console output, status, duration, request id (owner only: --from)",
		Long: `Show an agent's invocations: console output, method and path (with its query),
status, duration, request id and error. Only the agent's owner may read them: the
request carries a Cove-Auth header signed by --from (EIP-712 typed data naming this
gateway's host, the request's method and path, a one-time nonce and an expiry two
minutes ahead), which the gateway accepts once.

The worker keeps logs sealed to its TEE (worker/logs.key.sealed); the host operator
sees how many there are, not what they say. On the simulated TEE (cove dev, cove
testnet) the sealing key is a file in the data directory, so there the host can read
them. Logs reach you over the gateway's transport (plain HTTP unless it serves HTTPS):
keep secrets out of console output anyway.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := cove.ParseAgentID(args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			enc := json.NewEncoder(out)
			signer, err := from.signer(cmd)
			if err != nil {
				return err
			}
			err = c.Logs(cmd.Context(), signer, id, limit, follow, func(e cove.Invocation) {
				if asJSON {
					enc.Encode(e)
					return
				}
				fmt.Fprintf(out, "%s  %s %s  %d  %.1fms  req %s\n", e.Time.Local().Format("2006-01-02 15:04:05.000"), e.Method, e.Path, e.Status, e.DurationMS, e.RequestID)
				for _, l := range e.Logs {
					fmt.Fprintf(out, "    [%s] %s\n", l.Level, strings.ReplaceAll(l.Message, "\n", "\n    "))
				}
				if e.Error != "" {
					fmt.Fprintf(out, "    error: %s\n", e.Error)
				}
			})
			if errors.Is(err, cmd.Context().Err()) {
				return nil
			}
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&follow, "follow", "f", false, "keep printing new invocations")
	f.IntVarP(&limit, "limit", "n", 20, "how many past invocations to show")
	f.BoolVar(&asJSON, "json", false, "print one JSON object per invocation")
	from.register(f)
	return cmd
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// sealedTo says which key secrets were sealed to: proven from the chain, or
// named by a gateway the CLI had to trust.
func sealedTo(c *client.Client) string {
	if c.Verified() {
		return "sealed to the key proven from the chain against --trust-root"
	}
	return "sealed to the key the gateway named: no --trust-root, so the gateway is trusted"
}

// requestFlags are the request flags of `cove agent call` and `cove agent
// run`: -X, -d and -H, as curl's.
type requestFlags struct {
	method, data string
	headers      []string
}

func (r *requestFlags) register(f *pflag.FlagSet) {
	f.StringVarP(&r.method, "request", "X", "", "HTTP method (default GET, or POST with -d)")
	f.StringVarP(&r.data, "data", "d", "", "request body, or @FILE")
	f.StringArrayVarP(&r.headers, "header", "H", nil, "request header 'Name: value' (repeatable)")
}

// build returns the request's method (upper case), header and body.
func (r *requestFlags) build() (method string, h http.Header, body []byte, err error) {
	h = http.Header{}
	for _, kv := range r.headers {
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			return "", nil, nil, fmt.Errorf("-H %q: want 'Name: value'", kv)
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	method = r.method
	if r.data != "" {
		if strings.HasPrefix(r.data, "@") {
			if body, err = os.ReadFile(r.data[1:]); err != nil {
				return "", nil, nil, fmt.Errorf("-d: %w", err)
			}
		} else {
			body = []byte(r.data)
		}
		if method == "" {
			method = http.MethodPost
		}
	}
	if method == "" {
		method = http.MethodGet
	}
	return strings.ToUpper(method), h, body, nil
}

// secretFlags are the secret flags of `cove agent deploy` and `cove agent
// run`.
type secretFlags struct {
	secrets []string
	file    string
}

func (s *secretFlags) register(f *pflag.FlagSet) {
	f.StringArrayVar(&s.secrets, "secret", nil, "a secret NAME=VALUE (repeatable)")
	f.StringVar(&s.file, "secrets-file", "", "a file of NAME=VALUE lines or a JSON object")
}

// given reports whether any secret flag was given.
func (s *secretFlags) given() bool { return s.file != "" || len(s.secrets) > 0 }

// read returns the secrets: the file's, then each --secret (which wins).
func (s *secretFlags) read() (map[string]string, error) {
	set := map[string]string{}
	if s.file != "" {
		if err := readSecretsFile(s.file, set); err != nil {
			return nil, err
		}
	}
	for _, kv := range s.secrets {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("--secret %q: want NAME=VALUE", truncate(kv, 40))
		}
		set[k] = v
	}
	for k := range set {
		if err := secret.ValidName(k); err != nil {
			return nil, fmt.Errorf("secret %q: %w", k, err)
		}
	}
	return set, nil
}
