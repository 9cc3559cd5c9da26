package main

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

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

// txFlags are the flags of every command that sends a transaction: the
// signing key and how long to wait for the transaction's block.
type txFlags struct {
	fromFlags
	timeout time.Duration
}

// defaultTxTimeout is --timeout's default: a few block intervals on a
// healthy chain would do; this leaves room for a slow one.
const defaultTxTimeout = time.Minute

func (f *txFlags) register(fs *pflag.FlagSet) {
	f.fromFlags.register(fs)
	fs.DurationVar(&f.timeout, "timeout", defaultTxTimeout, "give up waiting for the transaction's block after this long, and say what is known of it (submitted? pending? committed?)")
}

// context bounds the command by --timeout.
func (f *txFlags) context(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	return context.WithTimeout(cmd.Context(), f.timeout)
}

// explain says that --timeout fired, when it did (ctx is the one context
// returned); what became of the transaction is in err (an UnsettledError
// says pending or not committed).
func (f *txFlags) explain(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("gave up after --timeout %s: %w", f.timeout, err)
	}
	return err
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
		from   txFlags
	)
	cmd := &cobra.Command{
		Use:   "send --to ADDR --amount N",
		Short: "Transfer native tokens (N in base units, 10^18 per COVE)",
		Long: `Send a Transfer signed by --from and wait for its block (at most --timeout).

When the gateway's answer is lost (a dropped connection, a timeout), the
transaction is looked up by its hash and the command says what became of it:
committed (in block N, with its result), pending in the mempool (it may still
commit: cove chain tx HASH looks again) or not committed.`,
		Args: cobra.NoArgs,
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
			ctx, cancel := from.context(cmd)
			defer cancel()
			out, err := c.Transfer(ctx, signer, dst, n)
			if err != nil {
				return from.explain(ctx, err)
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
