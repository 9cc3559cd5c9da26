package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/client/light"
	"github.com/cove-network/cove/node"
	"github.com/cove-network/cove/tee/sim"
)

func newDevCmd(g *globals) *cobra.Command {
	cfg := node.DefaultConfig()
	cfg.DevEVM = node.DefaultDevEVM()
	httpAddr := cfg.HTTPAddr
	rpcAddr := cfg.Validator.RPCAddr
	noEVM := false
	p2pAddr := cfg.Validator.P2PAddr
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a whole Cove network in this process on embedded defaults",
		Long: `Run every role in one process: a validator (the Cove chain under CometBFT, one
block every ~200 ms), a gatekeeper (the key manager: it makes the master key in the
simulated TEE and provisions the worker through the chain, sealed to the worker's
attested key), a worker, and the gateway. Everything is kept in --data-dir, so a restart
resumes the chain at the same height with every agent at the same id and URL with
its secrets.

It prints "ready" once every role is up (the gateway answers, its worker holds a
key, and the EVM examples' agents are deployed with their attestor grants). A listen address in use, or a data dir another cove runs on, stops it before
that, naming the flag to change. A second cove dev needs only --http: with a port
other than 8700 its data dir defaults to .cove/dev-PORT and its CometBFT RPC, P2P and
EVM RPC ports to PORT+1, PORT+2 and PORT+3 and its admin listener to PORT+4 (flags
given explicitly are kept), so keep the --http ports of two cove devs at least 5 apart.

The admin listener (--admin, default 127.0.0.1:8701) serves Prometheus metrics at
/metrics and Go's pprof at /debug/pprof/; it is for the operator, never public.

It creates a funded key named "dev" in $COVE_HOME/keys (default ~/.cove) without a
passphrase; commands that send transactions use it unless --from says otherwise.

Recovery: a damaged chain state (DATA-DIR/chain/data/cove-state.db) stops the start
with an error naming the file; --rebuild-state renames it aside
(cove-state.db.damaged-TIME) and rebuilds the state by replaying the block store from
genesis, starting only at the height and app hash the block store records.

The simulated TEE gives NO hardware protection: use it for development only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			store, err := account.Open(account.KeysDir(account.Home()))
			if err != nil {
				return err
			}
			dev, err := store.Ensure("dev")
			if err != nil {
				return fmt.Errorf("dev key: %w", err)
			}
			if err := deriveFromHTTP(cmd.Flags(), httpAddr, &cfg.DataDir, &rpcAddr, &p2pAddr, &cfg.DevEVM.RPCAddr, &cfg.AdminAddr); err != nil {
				return err
			}
			cfg.Operator = filepath.Join(store.Dir(), dev.Name+".json") // registers the worker; the admin, so it allows its own build
			cfg.Validator.Home = filepath.Join(cfg.DataDir, "chain")
			cfg.Validator.RPCAddr = rpcAddr
			cfg.Validator.P2PAddr = p2pAddr
			cfg.DevEVM.Enabled = !noEVM
			// The ports first: a second cove dev on the same ports must
			// fail before it touches the chain in the data dir.
			ln, err := net.Listen("tcp", httpAddr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w (is another cove dev running? use --http)", httpAddr, err)
			}
			defer ln.Close()
			ports := []struct{ addr, flag string }{{rpcAddr, "--rpc"}, {p2pAddr, "--p2p"}}
			if cfg.DevEVM.Enabled {
				ports = append(ports, struct{ addr, flag string }{cfg.DevEVM.RPCAddr, "--evm-rpc"})
			}
			ports = append(ports, struct{ addr, flag string }{cfg.AdminAddr, "--admin"})
			for _, p := range ports {
				if err := portFree(p.addr, p.flag); err != nil {
					return err
				}
			}
			unlock, err := node.LockDataDir(cfg.DataDir)
			if err != nil {
				return err
			}
			defer unlock()
			created, err := node.InitDev(cfg, dev.Address)
			if err != nil {
				return err
			}
			n, err := node.New(cfg, log)
			if err != nil {
				return err
			}
			url := "http://" + ln.Addr().String()
			abs, _ := filepath.Abs(cfg.DataDir)
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "cove dev: %s\n", sim.Warning)
			fmt.Fprintf(out, "  gateway     %s\n", url)
			fmt.Fprintf(out, "  health      %s/healthz\n", url)
			fmt.Fprintf(out, "  explorer    %s/explorer/ (open it in a browser)\n", url)
			fmt.Fprintf(out, "  agents      %s/agents/{id}/...\n", url)
			rpc := "CometBFT RPC disabled"
			if rpcAddr != "" {
				rpc = "CometBFT RPC http://" + rpcAddr
			}
			fmt.Fprintf(out, "  chain       %s (validator in-process, %s)\n", node.DevChainID, rpc)
			fmt.Fprintf(out, "  dev key     %s (funded; the default --from)\n", dev.Address)
			fmt.Fprintf(out, "  worker      in-process (cluster %s; limits %s, %d MiB, %d requests)\n", cfg.Worker.Cluster, cfg.Worker.Limits.Timeout, cfg.Worker.Limits.Memory>>20, cfg.Worker.Limits.Requests)
			fmt.Fprintf(out, "  gatekeeper  in-process (master keys sealed in %s; provisions workers through the chain)\n", filepath.Join(abs, "gatekeeper"))
			fmt.Fprintf(out, "  data        %s\n", abs)
			if cfg.AdminAddr != "" {
				fmt.Fprintf(out, "  admin       http://%s/metrics (Prometheus), /debug/pprof/ (operator only)\n", cfg.AdminAddr)
			}
			if ev := n.EVM(); ev != nil {
				rpcURL := ev.RPC
				if rpcURL == "" {
					rpcURL = "in-process only (--evm-rpc is empty)"
				}
				fmt.Fprintf(out, "  evm         %s (chain %d, a block every %s; %s/v1/evm)\n", rpcURL, ev.ChainID, cfg.DevEVM.BlockTime, url)
				fmt.Fprintf(out, "  anchor      %s (bridged to this worker)\n", ev.Anchor)
				for _, name := range slices.Sorted(maps.Keys(ev.Examples)) {
					fmt.Fprintf(out, "  example     %-5s %s asks agent %s\n", name, ev.Examples[name], ev.ExampleAgents[name])
				}
				fmt.Fprintf(out, "  evm keys    the Hardhat/Anvil accounts of \"test test ... junk\", and the dev key, hold 10000 ETH each\n")
				if ev.RPC != "" {
					fmt.Fprintf(out, "  egress      agents may reach the EVM at %s\n", ev.RPC)
				}
			}
			for _, a := range cfg.Worker.EgressAllow {
				fmt.Fprintf(out, "  egress      agents may reach %s\n", a)
			}
			if created {
				fmt.Fprintln(out, "  (new chain: genesis written)")
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			printed := make(chan struct{})
			go func() {
				defer close(printed)
				// "ready" only once every role is: the gateway answers
				// and its worker holds a key (/healthz), and the dev
				// EVM's example agents are deployed and granted (the
				// node sends those with the dev key: done before the
				// user's first command, they never race it for a nonce).
				if printTrustRoot(ctx, out, url) && n.WaitDevEVM(ctx) == nil {
					fmt.Fprintln(out, "ready; press Ctrl-C to stop")
				}
			}()
			err = n.Run(ctx, ln)
			cancel()
			<-printed
			fmt.Fprintln(out, "cove dev: stopped")
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory for sealed keys, bundles, the chain and logs")
	f.BoolVar(&cfg.Validator.RebuildState, "rebuild-state", false, "move the chain state aside and rebuild it from the block store (see Recovery)")
	f.StringVar(&httpAddr, "http", httpAddr, "gateway listen address")
	f.StringVar(&rpcAddr, "rpc", rpcAddr, "CometBFT RPC listen address (empty disables it)")
	f.StringVar(&p2pAddr, "p2p", p2pAddr, "CometBFT peer-to-peer listen address")
	f.StringVar(&cfg.AdminAddr, "admin", devAdminAddr, "the admin listener: Prometheus metrics at /metrics, Go's pprof at /debug/pprof/ (empty: none); keep it private")
	f.StringVar(&cfg.DevEVM.RPCAddr, "evm-rpc", cfg.DevEVM.RPCAddr, "the dev EVM's JSON-RPC listen address (chain 31337; empty: in-process only)")
	f.DurationVar(&cfg.DevEVM.BlockTime, "evm-block-time", cfg.DevEVM.BlockTime, "time between the dev EVM's blocks")
	f.BoolVar(&noEVM, "no-evm", false, "run without the dev EVM and its bridge")
	f.StringArrayVar(&cfg.Worker.EgressAllow, "egress-allow", nil, "let agents reach HOST:PORT although the egress policy refuses it (repeatable; e.g. a local mock API)")
	f.Var(aiProviderFlag{&cfg.AI}, "ai-provider", "serve an OpenAI-compatible LLM upstream through the AI API at /v1: NAME=URL[,key-file=FILE][,models=A|B] (repeatable; URL is the base an OpenAI client takes, e.g. http://127.0.0.1:11434/v1)")
	f.BoolVar(&cfg.AI.Open, "ai-open", false, "serve the AI API without API keys (a private node)")
	f.DurationVar(&cfg.Worker.Limits.Timeout, "limit-time", cfg.Worker.Limits.Timeout, "wall-time limit per invocation")
	f.Int64Var(&cfg.Worker.Limits.Memory, "limit-memory", cfg.Worker.Limits.Memory, "memory limit per invocation, bytes")
	f.IntVar(&cfg.Worker.Limits.Requests, "limit-requests", cfg.Worker.Limits.Requests, "outbound requests per invocation")
	f.Int64Var(&cfg.Worker.Limits.ResponseBytes, "limit-response", cfg.Worker.Limits.ResponseBytes, "response size limit per invocation, bytes")
	return cmd
}

// printTrustRoot prints a trust root for the chain, the header of its
// latest block, once the node is healthy: this process runs the chain, so
// its own gateway is the one source it need not doubt. A root must be
// younger than the light client's trusting period (14 days), so it is the
// latest block, printed anew at every start, not block 1 of a chain that
// may be older.
//
// It reports whether the node became healthy.
func printTrustRoot(ctx context.Context, out io.Writer, url string) bool {
	c, err := client.New(url)
	if err != nil {
		return false
	}
	if err := c.WaitHealthy(ctx); err != nil {
		return false
	}
	h := int64(1)
	if st, err := c.ChainStatus(ctx); err == nil && st.Height > h {
		h = st.Height
	}
	root, err := light.RootAt(ctx, c, h)
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		fmt.Fprintf(out, "  trust root  unavailable: %v\n", err)
		return true
	}
	fmt.Fprintf(out, "  trust root  %s  (export COVE_TRUST_ROOT=%s: deploy and call --verify then check the chain, not the gateway)\n", root, root)
	return true
}

// portFree reports a listen address that is taken, naming the flag that
// changes it, before anything starts.
func portFree(addr, flag string) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another cove dev running? change it with %s, or give this one another --http alone)", addr, err, flag)
	}
	return ln.Close()
}

// devHTTPPort is the port of cove dev's default --http, devAdminAddr its
// default --admin.
const (
	devHTTPPort  = 8700
	devAdminAddr = "127.0.0.1:8701"
)

// deriveFromHTTP gives a cove dev whose --http port is not the default
// its own defaults for what --http alone does not set: the data dir
// (.cove/dev-PORT), the CometBFT RPC and P2P ports (PORT+1, PORT+2), the
// dev EVM's RPC port (PORT+3) and the admin listener (PORT+4), on --http's
// host. So a second cove dev needs only --http (its ports 5 apart from the
// first's). A flag given explicitly is kept.
func deriveFromHTTP(f *pflag.FlagSet, httpAddr string, dataDir, rpc, p2p, evmRPC, admin *string) error {
	if !f.Changed("http") {
		return nil
	}
	host, portStr, err := net.SplitHostPort(httpAddr)
	if err != nil {
		return fmt.Errorf("--http %q: %w", httpAddr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535-4 {
		return fmt.Errorf("--http %q: want HOST:PORT with a port below %d", httpAddr, 65535-4)
	}
	if port == devHTTPPort || port == 0 {
		return nil
	}
	set := func(flag string, p *string, v string) {
		if !f.Changed(flag) && *p != "" {
			*p = v
		}
	}
	set("data-dir", dataDir, filepath.Join(filepath.Dir(*dataDir), "dev-"+portStr))
	set("rpc", rpc, net.JoinHostPort(host, strconv.Itoa(port+1)))
	set("p2p", p2p, net.JoinHostPort(host, strconv.Itoa(port+2)))
	set("evm-rpc", evmRPC, net.JoinHostPort(host, strconv.Itoa(port+3)))
	// The admin listener stays on loopback whatever --http's host: it
	// serves pprof and metrics to the operator only.
	set("admin", admin, net.JoinHostPort("127.0.0.1", strconv.Itoa(port+4)))
	return nil
}
