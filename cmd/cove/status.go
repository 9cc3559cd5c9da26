package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newStatusCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show a node's health, roles, peers, chain height, workers, keys and AI API on one screen",
		Long: `Ask the gateway (--gateway) for its node's health (GET /healthz), roles and peers
(GET /v1/node), the chain's status, the registered workers and the key epochs, and
print them on one screen. Everything here is the gateway's word (no trust root is
used); the exit code is 1 when the node is not healthy.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			health := "healthy"
			healthErr := c.Health(ctx)
			if healthErr != nil {
				health = "NOT healthy: " + healthErr.Error()
			}
			fmt.Fprintf(out, "node      %s  %s\n", c.Base(), health)
			if info, err := c.NodeInfo(ctx); err == nil {
				fmt.Fprintf(out, "roles     %s\n", strings.Join(info.Roles, ", "))
				fmt.Fprintf(out, "peers     %d validator peer(s)\n", info.Peers)
				if info.Worker != "" {
					providers := strings.Join(info.AIProviders, ", ")
					if providers == "" {
						providers = "none configured"
					}
					fmt.Fprintf(out, "worker    %s\n", info.Worker)
					if info.Engine != "" {
						fmt.Fprintf(out, "engine    %s (runs the agents' JavaScript)\n", info.Engine)
					}
					fmt.Fprintf(out, "ai        signing address %s, providers: %s\n", info.AISigner, providers)
				}
				switch {
				case info.Routing == "local":
					fmt.Fprintln(out, "routing   agent calls run on this node's worker")
				case info.Routing != "":
					fmt.Fprintf(out, "routing   agent calls go to the network's workers, %d known:\n", len(info.Routes))
					for _, r := range info.Routes {
						state := "down"
						switch {
						case r.Up && r.Ready:
							state = "up"
						case r.Up:
							state = "up, no key yet"
						}
						where := r.Endpoint
						if r.Local {
							where = "this node"
						}
						fmt.Fprintf(out, "          %s  %s  %s  %d running\n", r.Worker, where, state, r.Outstanding)
					}
				}
			} else {
				fmt.Fprintf(out, "roles     unknown: %v\n", err)
			}
			st, err := c.ChainStatus(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "chain     %s (id %d), height %d, app hash %s\n", st.ChainID, st.NumericChainID, st.Height, st.AppHash)
			workers, err := c.Workers(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "workers   %d registered\n", len(workers))
			for _, w := range workers {
				fmt.Fprintf(out, "          %s  %s  %s  %s\n", w.ID, w.TEE, w.Status, w.Endpoint)
			}
			epochs, err := c.Epochs(ctx)
			if err != nil {
				return err
			}
			if len(epochs) == 0 {
				fmt.Fprintln(out, "keys      no key epoch published yet")
			} else {
				e := epochs[len(epochs)-1]
				fmt.Fprintf(out, "keys      %d epoch(s); the latest, %d, published at height %d by %s\n", len(epochs), e.Epoch, e.Height, e.PublishedBy)
			}
			if healthErr != nil {
				return &exitError{code: 1, err: fmt.Errorf("the node is not healthy")}
			}
			return nil
		},
	}
}
