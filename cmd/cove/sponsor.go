package main

import (
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
)

// Sponsored transactions (issue 11): `cove sponsor ...`.

func newSponsorCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sponsor",
		Short: "Sponsor: pay for other accounts' transactions, so that a user without COVE can start",
		Long: `A sponsor pays the fees of transactions other accounts sign (and the deposit of a channel
they open), within its policy: which transaction types, which agent, how large a deposit,
how many transactions. The user signs as usual; the sponsor wraps and sends it.

On one machine, pass --sponsor KEY to any transaction command (cove agent deploy, cove
channel open, ...). Across machines, the user prints its signed transaction with
--sign-only and the sponsor sends it with cove sponsor submit.`,
	}
	var (
		types, agent, maxDeposit string
		txs                      uint64
	)
	policy := newTxCmd(g, "policy", "Set what you pay for as a sponsor", 0, func([]string) (func(uint64) chain.Msg, error) {
		var id cove.AgentID
		if agent != "" {
			var err error
			if id, err = cove.ParseAgentID(agent); err != nil {
				return nil, fmt.Errorf("--agent: %w", err)
			}
		}
		dep, ok := new(big.Int).SetString(maxDeposit, 10)
		if !ok || dep.Sign() < 0 {
			return nil, fmt.Errorf("--max-deposit %q: want a whole number of base units", maxDeposit)
		}
		return func(n uint64) chain.Msg {
			return chain.SetSponsorPolicy{Types: types, Agent: id, MaxDeposit: dep, Remaining: txs, Nonce: n}
		}, nil
	})
	policy.Long = `Set your sponsor policy (it replaces the last): the transaction types you pay for
(--types, comma-separated), the one agent they may name (--agent; none: any), the largest
channel deposit you pay (--max-deposit) and how many transactions (--txs; 0 removes the
policy).`
	policy.Example = "  cove sponsor policy --types DeployAgent,OpenChannel --max-deposit 100000000000000000 --txs 100"
	policy.Flags().StringVar(&types, "types", "", "message types you pay for, comma-separated (DeployAgent,OpenChannel)")
	policy.Flags().StringVar(&agent, "agent", "", "the one agent sponsored transactions may name (required when --max-deposit is not 0; default: any)")
	policy.Flags().StringVar(&maxDeposit, "max-deposit", "0", "the largest deposit of a sponsored OpenChannel you pay, base units")
	policy.Flags().Uint64Var(&txs, "txs", 0, "how many transactions you pay for (0 removes the policy)")
	cmd.AddCommand(policy, newSponsorShowCmd(g), newSponsorSubmitCmd(g))
	return cmd
}

func newSponsorShowCmd(g *globals) *cobra.Command {
	var from fromFlags
	cmd := &cobra.Command{
		Use:   "show [ADDRESS]",
		Short: "Show a sponsor's policy (default: --from's)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var addr cove.Address
			var err error
			if len(args) == 1 {
				addr, err = cove.ParseAddress(args[0])
			} else {
				addr, err = fromAddress(cmd, from)
			}
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			p, err := c.SponsorPolicy(cmd.Context(), addr)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), p)
		},
	}
	from.register(cmd.Flags())
	return cmd
}

func newSponsorSubmitCmd(g *globals) *cobra.Command {
	var (
		from   txFlags
		asJSON bool
		user   string
	)
	cmd := &cobra.Command{
		Use:   "submit FILE --user ADDRESS",
		Short: "Send another account's signed transaction (from --sign-only; - reads stdin), paying for it",
		Long: `Send the transaction the user ADDRESS signed (cove ... --sign-only prints it) in a
SponsoredTx signed by --from, which pays for it under its policy. The chain refuses it unless it
recovers to ADDRESS: name the user you mean to pay for.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			who, err := cove.ParseAddress(user)
			if err != nil {
				return fmt.Errorf("--user: %w", err)
			}
			var inner []byte
			if args[0] == "-" {
				inner, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), chain.MaxTxBytes+1))
			} else {
				inner, err = os.ReadFile(args[0])
			}
			if err != nil {
				return err
			}
			inner = []byte(strings.TrimSpace(string(inner)))
			sponsor, c, ctx, cancel, err := from.open(cmd, g)
			if err != nil {
				return err
			}
			defer cancel()
			out, err := c.Sponsor(ctx, sponsor, who, inner)
			var te *client.TxError
			if err != nil && !errors.As(err, &te) {
				return from.explain(ctx, err)
			}
			if asJSON {
				if err := printJSON(cmd.OutOrStdout(), out); err != nil {
					return err
				}
				return err
			}
			if err != nil {
				return err
			}
			printOutcome(cmd.OutOrStdout(), out)
			return nil
		},
	}
	from.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, `print the outcome {"hash","height","code","log","events"}`)
	cmd.Flags().StringVar(&user, "user", "", "the address of the user whose transaction this is (required)")
	cmd.MarkFlagRequired("user")
	return cmd
}
