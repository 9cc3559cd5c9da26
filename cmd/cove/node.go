package main

import (
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove/node"
	"github.com/cove-network/cove/tee/sim"
)

func newNodeCmd(g *globals) *cobra.Command {
	var (
		home    string
		rebuild bool
		admin   string
	)
	cmd := &cobra.Command{
		Use:   "node --home DIR",
		Short: "Run one node with the roles its DIR/cove.toml enables",
		Long: `Run one node of a network: the roles (validator, gatekeeper, worker, gateway) and
addresses come from DIR/cove.toml, the chain's genesis and keys from DIR/chain.
'cove testnet init' writes such homes.

Recovery: a node whose chain state (DIR/chain/data/cove-state.db) is damaged does not
start and says so, naming the file. --rebuild-state renames that file aside
(cove-state.db.damaged-TIME; nothing is deleted) and rebuilds the state by replaying
this node's own block store from genesis; the node starts only if the result is at the
height and app hash its block store records. A damaged block store is reported as such:
copy a healthy node's data directory instead. Temp files of atomic writes a crash
interrupted are removed at every start (and logged).`,
		Example: `  cove testnet init --validators 4 --dir ./net
  cove node --home ./net/node0
  cove testnet init --validators 1 --workers 3 --dir ./net2
  cove node --home ./net2/worker0
  cove node --home ./net/node0 --rebuild-state`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if home == "" {
				return fmt.Errorf("--home is required")
			}
			log, err := g.logger()
			if err != nil {
				return err
			}
			cfg, err := node.LoadConfig(home)
			if err != nil {
				return err
			}
			cfg.Validator.RebuildState = rebuild
			if cmd.Flags().Changed("admin") {
				cfg.AdminAddr = admin
			}
			// The port first: a node that cannot serve must fail before it
			// touches its chain.
			var ln net.Listener
			if cfg.Roles.Gateway {
				ln, err = net.Listen("tcp", cfg.HTTPAddr)
				if err != nil {
					return fmt.Errorf("listen on %s: %w (is another node using it?)", cfg.HTTPAddr, err)
				}
				defer ln.Close()
			}
			if cfg.AdminAddr != "" {
				aln, err := net.Listen("tcp", cfg.AdminAddr)
				if err != nil {
					return fmt.Errorf("listen on %s: %w (admin_addr, or --admin: change it)", cfg.AdminAddr, err)
				}
				aln.Close() // checked free; the node listens on it when it runs
			}
			unlock, err := node.LockDataDir(cfg.DataDir)
			if err != nil {
				return err
			}
			defer unlock()
			n, err := node.New(cfg, log)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "cove node %s: %s\n", home, sim.Warning)
			fmt.Fprintf(out, "  validator   p2p %s, CometBFT RPC http://%s\n", cfg.Validator.P2PAddr, cfg.Validator.RPCAddr)
			if ln != nil {
				fmt.Fprintf(out, "  gateway     http://%s\n", ln.Addr())
			}
			if cfg.WorkerAddr != "" {
				fmt.Fprintf(out, "  worker link https://%s (gateways route calls here, pinned to this worker's identity key)\n", cfg.WorkerAddr)
			}
			if ln != nil && cfg.Routing.Mode == node.RouteNetwork || ln != nil && !cfg.Roles.Worker {
				fmt.Fprintln(out, "  routing     agent calls go to the network's workers (routing.mode = \"network\")")
			}
			if cfg.AdminAddr != "" {
				fmt.Fprintf(out, "  admin       http://%s/metrics (Prometheus), /debug/pprof/\n", cfg.AdminAddr)
			}
			fmt.Fprintln(out, "ready; press Ctrl-C to stop")
			return n.Run(cmd.Context(), ln)
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "the node's home directory")
	cmd.Flags().StringVar(&admin, "admin", "", "the admin listener (metrics at /metrics, pprof), overriding admin_addr in cove.toml; keep it private")
	cmd.Flags().BoolVar(&rebuild, "rebuild-state", false, "move the chain state aside and rebuild it from this node's block store (see Recovery)")
	return cmd
}
