package main

import (
	"fmt"
	"math/big"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client/light"
)

func newChainCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "chain",
		Short: "Chain state and the trust root that checks it",
	}
	cmd.AddCommand(newChainTrustCmd(g), newChainTxCmd(g), newChainFeeCmd(g), newChainSupplyCmd(g))
	return cmd
}

func newChainFeeCmd(g *globals) *cobra.Command {
	var (
		size   int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "fee TYPE",
		Short: "Estimate the fee of a transaction of a type and size under the chain's current fees",
		Long: `Print what a transaction of TYPE (Transfer, DeployAgent, ...) of --bytes bytes pays
under the chain's committed parameters (GET /v1/chain/fee): its type's price plus a
price per byte. Transaction commands print the fee each transaction paid, and take
--fee to set the most it may pay.`,
		Example: `  cove chain fee Transfer --bytes 300`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			fee, err := c.Fee(cmd.Context(), args[0], size)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), map[string]any{"type": args[0], "bytes": size, "fee": fee.String()})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "a %d-byte %s pays %s base units (%s COVE)\n", size, args[0], fee, formatCOVE(fee))
			return nil
		},
	}
	cmd.Flags().IntVar(&size, "bytes", 300, "the transaction's size in bytes (a Transfer is about 300)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"type","bytes","fee"}`)
	return cmd
}

func newChainSupplyCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "supply",
		Short: "Print the COVE in existence: total, minted, burned, and the treasury's balance",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			s, err := c.Supply(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), s)
			}
			w := cmd.OutOrStdout()
			for _, f := range []struct{ name, v string }{{"total", s.Total}, {"minted", s.Minted}, {"burned", s.Burned}, {"treasury", s.Treasury}} {
				v, _ := new(big.Int).SetString(f.v, 10)
				if v == nil {
					return fmt.Errorf("supply: gateway answered %s %q", f.name, f.v)
				}
				fmt.Fprintf(w, "%-9s %s COVE (%s base units)\n", f.name, formatCOVE(v), f.v)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"total","minted","burned","treasury"}`)
	return cmd
}

func newChainTxCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "tx HASH",
		Short: "Say what became of a transaction: committed (block, result), pending or unknown",
		Long: `Look a transaction up by its hash (GET /v1/chain/tx/HASH): committed in a block,
with its result code and log; pending in the node's mempool (it may still commit);
or unknown to the node (most likely never received, refused, or dropped; a node killed
between a block's commit and its indexing can miss a committed one).
Transaction commands print the hash when their answer was lost or timed out.
The answer is the gateway's word, even with a trust root.`,
		Example: `  cove chain tx 0x3f…`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := cove.ParseHash(args[0])
			if err != nil {
				return fmt.Errorf("hash: %w", err)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			st, err := c.TxStatus(cmd.Context(), h)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), st)
			}
			fmt.Fprintln(cmd.OutOrStdout(), describeTx(st))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"state","hash","height","code","log","events"}`)
	return cmd
}

// describeTx says in one line what a look-up found.
func describeTx(st chain.TxStatus) string {
	switch st.State {
	case chain.TxCommitted:
		if st.Code != chain.CodeOK {
			return fmt.Sprintf("tx %s committed at height %d, refused (%s): %s", st.Hash, st.Height, chain.CodeName(st.Code), st.Log)
		}
		return fmt.Sprintf("tx %s committed at height %d (ok)", st.Hash, st.Height)
	case chain.TxPending:
		return fmt.Sprintf("tx %s pending in the mempool: not committed yet, it may still be", st.Hash)
	}
	return fmt.Sprintf("tx %s not seen by this node, neither in a block nor in its mempool: most likely never received, refused or dropped (a node killed between a block's commit and its indexing can miss a committed one)", st.Hash)
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
