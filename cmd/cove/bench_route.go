package main

import (
	"github.com/spf13/cobra"

	"github.com/cove-network/cove/internal/bench"
)

func newBenchRouteCmd(g *globals) *cobra.Command {
	o := bench.DefaultRouteOptions()
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "route",
		Short: "Calls through one gateway with 1, 2, 3 remote workers, and the latency the link adds",
		Long: `Start, in this process, a validator whose gateway runs no worker and --workers worker
nodes serving their links ('cove testnet init --workers' layout), adding the workers one
at a time. At each step, --concurrency callers call an agent that waits --wait-ms on a
timer for --duration: I/O, not the CPU, bounds it, so calls/s grow with the workers'
invocation slots. Then the hello agent at concurrency 1 through a remote worker and
through a cove dev node's own worker: the difference is what the gateway→worker hop
(TLS link, framing, the receipt checked against the attestor) adds.`,
		Example: `  go run ./cmd/cove bench route
  go run ./cmd/cove bench route --workers 2 --duration 2s --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := benchLogger(cmd, g)
			if err != nil {
				return err
			}
			rep, err := bench.Route(cmd.Context(), o, log, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return printReport(cmd.OutOrStdout(), asJSON, rep)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Workers, "workers", o.Workers, "worker nodes, added one at a time")
	f.IntVar(&o.WaitMS, "wait-ms", o.WaitMS, "how long the agent waits before it answers")
	f.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "concurrent callers")
	f.DurationVar(&o.Duration, "duration", o.Duration, "how long each step calls")
	f.IntVar(&o.HopRequests, "hop-requests", o.HopRequests, "hello calls at concurrency 1 for the hop's latency")
	f.BoolVar(&asJSON, "json", false, "print the results as JSON")
	return cmd
}
