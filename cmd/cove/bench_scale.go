package main

import (
	"github.com/spf13/cobra"

	"github.com/cove-network/cove/internal/bench"
)

func newBenchScaleCmd(g *globals) *cobra.Command {
	o := bench.DefaultScaleOptions()
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "scale",
		Short: "Deploy many agents to one node, call them at random, and record memory and latency",
		Long: `Start a cove dev node in this process (blocks every 50 ms), deploy --agents agents, each
with code of its own (so each is compiled apart), from --senders funded accounts in
parallel, then call them at random at --concurrency for --duration. Prints the
process's resident memory and Go heap when the node started, once all are deployed and
after the calls, the deploy rate, and the calls' rate, p50, p99 and max. The worker
keeps compiled programs within worker.compiled_cache_bytes (64 MiB by default) and warm
sandboxes within its isolates bounds, so memory should not grow with the number of
agents called.`,
		Example: `  go run ./cmd/cove bench scale
  go run ./cmd/cove bench scale --agents 1000 --duration 5s --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := benchLogger(cmd, g)
			if err != nil {
				return err
			}
			rep, err := bench.Scale(cmd.Context(), o, log, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return printReport(cmd.OutOrStdout(), asJSON, rep)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Agents, "agents", o.Agents, "agents to deploy, each with its own code")
	f.IntVar(&o.Senders, "senders", o.Senders, "funded accounts deploying in parallel")
	f.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "concurrent callers")
	f.DurationVar(&o.Duration, "duration", o.Duration, "how long to call")
	f.StringVar(&o.DataDir, "data-dir", "", "the node's directory (default a temporary one, removed after)")
	f.BoolVar(&asJSON, "json", false, "print the results as JSON")
	return cmd
}
