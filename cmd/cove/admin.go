package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove/chain"
)

func newAdminCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Governance transactions (signed by the chain's admin key)",
	}
	cmd.AddCommand(newRotateKeysCmd(g))
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
			signer, err := from.signer(cmd)
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ctx, cancel := from.context(cmd)
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
