package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove/internal/bench"
)

func newBenchChainCmd(g *globals) *cobra.Command {
	o := bench.DefaultChainOptions()
	var (
		asJSON     bool
		cpuProfile string
	)
	cmd := &cobra.Command{
		Use:   "chain",
		Short: "Measure committed transactions/s and the block interval of one validator",
		Long: `Start one validator in this process (every role, as cove dev, with the block
interval of cove dev) whose genesis funds --accounts accounts. First watch the idle
chain for --idle to measure the block interval of empty blocks. Then pre-sign
--txs Transfer transactions spread over the accounts and submit them all, each
account in nonce order, concurrently across accounts, through CometBFT's RPC
broadcast_tx_sync (the gateway's POST /v1/chain/tx waits for each block); count
the transactions in the blocks until all are committed. Then the same with
--deploys DeployAgent transactions of examples/hello.ts (uploaded once, a new salt
each).

For each phase it prints committed transactions/s (from the first submission to
the block holding the last one, by the wall clock and by block time), the blocks
and their interval (median, p99 and max of the deltas of the block header
times). Run it from the repository root on an otherwise idle machine.`,
		Example: `  go run ./cmd/cove bench chain
  go run ./cmd/cove bench chain --txs 20000 --accounts 64 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Txs < 1 || o.Deploys < 0 || o.Accounts < 1 || o.Idle < 0 || o.BlockInterval <= 0 {
				return errors.New("--txs and --accounts must be positive, --deploys and --idle not negative, --block-interval positive")
			}
			if o.Deploys > 0 {
				if err := needFiles(" (or --deploys 0)", bench.AgentFile); err != nil {
					return err
				}
			}
			log, err := benchLogger(cmd, g)
			if err != nil {
				return err
			}
			return withProfile(cpuProfile, &o.CPUProfile, func() error {
				rep, err := bench.Chain(cmd.Context(), o, log, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				return printReport(cmd.OutOrStdout(), asJSON, rep)
			})
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Txs, "txs", o.Txs, "Transfer transactions to commit")
	f.IntVar(&o.Deploys, "deploys", o.Deploys, "DeployAgent transactions to commit (0 skips the phase)")
	f.IntVar(&o.Accounts, "accounts", o.Accounts, "funded sender accounts, each submitting its share in nonce order")
	f.DurationVar(&o.Idle, "idle", o.Idle, "how long to watch the idle chain for the empty-block interval")
	f.DurationVar(&o.BlockInterval, "block-interval", o.BlockInterval, "the validator's block interval (CometBFT timeout_commit)")
	f.StringVar(&o.DataDir, "data-dir", "", "the node's directory (default a temporary one, removed after; must be new or empty)")
	f.BoolVar(&asJSON, "json", false, "print the results as JSON")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the transfer and deploy phases to this file (go tool pprof)")
	return cmd
}
