package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove/client/light"
)

func newChainCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "chain",
		Short: "Chain state and the trust root that checks it",
	}
	cmd.AddCommand(newChainTrustCmd(g))
	return cmd
}

func newChainTrustCmd(g *globals) *cobra.Command {
	var height int64
	cmd := &cobra.Command{
		Use:   "trust",
		Short: "Print a trust root (HEIGHT:0xHASH) read from the gateway, to pin with --trust-root",
		Long: `Print the height and header hash of a block as the gateway serves it, in the form
--trust-root and COVE_TRUST_ROOT take. With a trust root, the CLI checks the key it
seals secrets to and the attestor it verifies receipts against with Merkle proofs
against headers it verified itself (CometBFT's light client), so the gateway it talks
to is not trusted.

Reading the root from a gateway trusts that gateway, once: run this against a gateway
you trust (your own node), or compare the hash with another source (another node,
the network's published root). cove dev prints its own chain's root at start.`,
		Example: `  export COVE_TRUST_ROOT=$(cove chain trust --gateway http://my-node:8700)
  cove agent deploy examples/hello.ts --secret GREETING=Hi`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			h := height
			if h == 0 {
				st, err := c.ChainStatus(cmd.Context())
				if err != nil {
					return err
				}
				h = st.Height
			}
			root, err := light.RootAt(cmd.Context(), c, h)
			if err != nil {
				return fmt.Errorf("read the header at height %d: %w", h, err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), root)
			return nil
		},
	}
	cmd.Flags().Int64Var(&height, "height", 0, "the block whose header to pin (default: the latest)")
	return cmd
}
