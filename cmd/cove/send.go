package main

import (
	"fmt"
	"math/big"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/client"
)

// fromFlags are the flags of every command that signs a transaction.
type fromFlags struct {
	name         string
	passwordFile string
}

func (f *fromFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.name, "from", "dev", "the key (see `cove keys list`) that signs the transaction")
	fs.StringVar(&f.passwordFile, "password-file", "", "read the key's passphrase from this file (otherwise prompted on a terminal)")
}

// signer opens the --from key, asking for its passphrase if it has one.
func (f *fromFlags) signer(cmd *cobra.Command) (client.Signer, error) {
	store, err := account.Open(account.KeysDir(account.Home()))
	if err != nil {
		return nil, err
	}
	if s, err := store.Signer(f.name, ""); err == nil {
		return s, nil // a key without passphrase, like cove dev's
	}
	pass, err := account.ReadPassphrase(f.passwordFile, true, os.Stdin, cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	return store.Signer(f.name, pass)
}

func newSendCmd(g *globals) *cobra.Command {
	var (
		to     string
		amount string
		from   fromFlags
	)
	cmd := &cobra.Command{
		Use:   "send --to ADDR --amount N",
		Short: "Transfer native tokens (N in base units, 10^18 per COVE)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dst, err := cove.ParseAddress(to)
			if err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			n, ok := new(big.Int).SetString(amount, 10)
			if !ok || n.Sign() <= 0 {
				return fmt.Errorf("--amount %q: want a positive whole number of base units", amount)
			}
			signer, err := from.signer(cmd)
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			out, err := c.Transfer(cmd.Context(), signer, dst, n)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "sent %s from %s to %s in block %d (tx %s)\n", n, signer.Address(), dst, out.Height, out.Hash)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&to, "to", "", "recipient address")
	f.StringVar(&amount, "amount", "", "amount in base units")
	from.register(f)
	return cmd
}
