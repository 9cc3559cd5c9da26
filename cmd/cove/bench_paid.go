package main

import (
	"github.com/spf13/cobra"

	"github.com/cove-network/cove/internal/bench"
)

func newBenchPaidCmd(g *globals) *cobra.Command {
	o := bench.DefaultPaidOptions()
	var (
		asJSON     bool
		cpuProfile string
	)
	cmd := &cobra.Command{
		Use:   "paid",
		Short: "Measure paid calls/s against free calls/s of the same agent",
		Long: `Start a node in this process as cove dev does, deploy examples/hello.ts twice, one
free and one priced at 0.001 COVE a call, and have --concurrency accounts each open a
payment channel to the priced one. Then alternate free and paid phases (--rounds):
--concurrency callers, each calling as soon as its last call answered, for --duration
after --warmup. Four paid phases: every call carries its channel's next voucher, signed
before the phase; or signed at the call (client.Payer.SignEach); or its next hash-chain
word (client.Payer, ADR 26); or its next word, made before the phase. The phases that
replay payments made before them measure what paying costs the node, as wrk replaying
requests would; the others add the callers' own work on the same cores. The worker
checks each payment before the agent runs. The best phase of each kind is reported, with
its CPU per call (this process's: node and callers), the ratios paid/free, the paired
ratios of words made before to free calls, of calls/s and of CPU per call (each round
runs those two phases A B B A, every other round B A A B, after the others; the geometric
mean of the rounds' ratios, and their range: how much the machine moved them; use an
even --rounds), and the chain transactions the paid calls took (an OpenChannel and a
redeem per channel); the owner's redeems must pay exactly the calls made.

Run it from the repository root on an otherwise idle machine.`,
		Example: `  go run ./cmd/cove bench paid
  go run ./cmd/cove bench paid --concurrency 16 --duration 10s --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needFiles("", bench.AgentFile); err != nil {
				return err
			}
			log, err := benchLogger(cmd, g)
			if err != nil {
				return err
			}
			return withProfile(cpuProfile, &o.CPUProfile, func() error {
				rep, err := bench.Paid(cmd.Context(), o, log, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				return printReport(cmd.OutOrStdout(), asJSON, rep)
			})
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "concurrent callers (each paid caller with its own channel)")
	f.DurationVar(&o.Duration, "duration", o.Duration, "how long each phase is measured")
	f.DurationVar(&o.Warmup, "warmup", o.Warmup, "load before measuring each phase, not counted")
	f.IntVar(&o.Rounds, "rounds", o.Rounds, "free and paid phases, alternated, this many times each")
	f.StringVar(&o.DataDir, "data-dir", "", "the node's data directory (default a temporary one, removed after)")
	f.BoolVar(&asJSON, "json", false, "print the results as JSON")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the first phase of client.Payer paying with hash-chain words (node and callers) to FILE")
	f.BoolVar(&o.ProfileFree, "profile-free", false, "with --cpuprofile: profile the first free phase instead, to compare")
	f.BoolVar(&o.Control, "control", false, "a control of the method: free calls in place of the paired words phase, so the paired ratios should be 1")
	return cmd
}
