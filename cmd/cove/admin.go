package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/node"
)

func newAdminCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Governance transactions (signed by the chain's admin key)",
	}
	cmd.AddCommand(newRotateKeysCmd(g), newValidatorCmd(g))
	return cmd
}

func newRotateKeysCmd(g *globals) *cobra.Command {
	var from txFlags
	cmd := &cobra.Command{
		Use:   "rotate-keys",
		Short: "Start a new key epoch: gatekeepers make a new master key and provision workers with it",
		Long: `Send RotateKeys: a gatekeeper makes the next epoch's master key inside its TEE,
publishes the epoch's cluster public key, and provisions every worker and
gatekeeper with it. Secrets sealed under older epochs still open; agents keep
their attestor address; new secrets are sealed to the new epoch
(GET /v1/chain/keys lists the epochs).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			signer, c, ctx, cancel, err := from.open(cmd, g)
			if err != nil {
				return err
			}
			defer cancel()
			out, err := c.Send(ctx, signer, func(n uint64) chain.Msg { return chain.RotateKeys{Nonce: n} })
			if err != nil {
				return from.explain(ctx, err)
			}
			next := ""
			for _, ev := range out.Events {
				if ev.Type == chain.EventRotationRequested {
					for _, a := range ev.Attrs {
						if a.Key == "epoch" {
							next = a.Value
						}
					}
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rotation to key epoch %s requested in block %d (tx %s); gatekeepers publish it shortly\n", next, out.Height, out.Hash)
			return nil
		},
	}
	from.register(cmd.Flags())
	return cmd
}

func newValidatorCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validator",
		Short: "Change the validator set: add, remove, re-weight validators (the admin key)",
		Long: `The chain keeps its validator set (GET /v1/chain/validators) and the admin changes it
with AddValidator, RemoveValidator and SetValidatorPower; CometBFT applies a change at the
end of its block, and the validator votes (or stops) from the block after next. A new
validator is a node that follows the chain (a CometBFT full node from the same genesis,
e.g. 'cove testnet init --standby K' writes such homes); 'cove admin validator key
--home DIR' prints its consensus key. Validators not signing yet may not hold a third or more of
the power after a block's changes: add one with less than half the power of those
signing, and raise it in later blocks once it signs (ADR 21).`,
		Example: `  cove admin validator key --home ./net/node4
  cove admin validator add 0x… --power 10 --name node4 --from dev
  cove admin validator power 0x… 20 --from dev
  cove admin validator remove 0x… --from dev
  cove admin validator list`,
	}
	cmd.AddCommand(newValidatorKeyCmd(), newValidatorListCmd(g),
		newValidatorChangeCmd(g, "add PUBKEY", "Add a validator with Ed25519 consensus key PUBKEY (0x + 64 hex digits)", true, true),
		newValidatorChangeCmd(g, "power PUBKEY POWER", "Set a validator's voting power", false, true),
		newValidatorChangeCmd(g, "remove PUBKEY", "Remove a validator (not the last one)", false, false))
	return cmd
}

func newValidatorKeyCmd() *cobra.Command {
	var home string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "key --home DIR",
		Short: "Print the consensus key of the node whose home is DIR",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if home == "" {
				return fmt.Errorf("--home is required")
			}
			v, err := node.ValidatorKey(home)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), map[string]string{"pubKey": v.PubKey.String(), "address": v.Address().String(), "name": v.Name})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "pubKey   %s\naddress  %s\nname     %s\n", v.PubKey, v.Address(), v.Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "the node's home directory")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"pubKey","address","name"}`)
	return cmd
}

func newValidatorListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the validator set",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			vs, err := c.Validators(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), vs)
			}
			var total int64
			for _, v := range vs {
				total += v.Power
			}
			for _, v := range vs {
				fmt.Fprintf(cmd.OutOrStdout(), "%s  power %d (%.1f%%)  %s  since block %d  %s\n", v.Address, v.Power, 100*float64(v.Power)/float64(max(total, 1)), v.PubKey, v.Since, v.Name)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the set as JSON")
	return cmd
}

// newValidatorChangeCmd is add, power or remove: withName takes --name and
// --power (add), withPower a POWER argument (power).
func newValidatorChangeCmd(g *globals, use, short string, add, withPower bool) *cobra.Command {
	var (
		from     txFlags
		name     string
		power    uint64
		operator string
	)
	nargs := 1
	if withPower && !add {
		nargs = 2
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(nargs),
		RunE: func(cmd *cobra.Command, args []string) error {
			var pub chain.Bytes
			if err := pub.UnmarshalText([]byte(args[0])); err != nil || len(pub) != 32 {
				return fmt.Errorf("PUBKEY %q: want 0x and 64 hex digits, the Ed25519 consensus key (`cove admin validator key --home DIR`)", args[0])
			}
			var op cove.Address
			if operator != "" {
				a, err := cove.ParseAddress(operator)
				if err != nil {
					return fmt.Errorf("--operator: %w", err)
				}
				op = a
			}
			if nargs == 2 {
				n, err := strconv.ParseUint(args[1], 10, 64)
				if err != nil {
					return fmt.Errorf("POWER %q: want a whole number", args[1])
				}
				power = n
			}
			signer, c, ctx, cancel, err := from.open(cmd, g)
			if err != nil {
				return err
			}
			defer cancel()
			out, err := c.Send(ctx, signer, func(n uint64) chain.Msg {
				switch {
				case add:
					return chain.AddValidator{PubKey: pub, Power: power, Name: name, Operator: op, Nonce: n}
				case withPower:
					return chain.SetValidatorPower{PubKey: pub, Power: power, Nonce: n}
				}
				return chain.RemoveValidator{PubKey: pub, Nonce: n}
			})
			if err != nil {
				return from.explain(ctx, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s committed in block %d (tx %s); CometBFT applies it from block %d\n",
				strings.Fields(use)[0], out.Height, out.Hash, out.Height+2)
			return nil
		},
	}
	if add {
		cmd.Flags().Uint64Var(&power, "power", 1, "voting power (1 to 2^40; under half of what the signing validators hold)")
		cmd.Flags().StringVar(&name, "name", "", "a label for the validator")
		cmd.Flags().StringVar(&operator, "operator", "", "the account paid the validator's share of the fees of the blocks it proposes (default: none, the treasury takes it)")
	}
	from.register(cmd.Flags())
	return cmd
}
