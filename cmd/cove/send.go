package main

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/chain"
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
	fee     string
	// sponsor is the key that pays for the transaction --from signs (a
	// SponsoredTx); signOnly prints --from's signed transaction instead
	// of sending it, for a sponsor elsewhere (cove sponsor submit).
	sponsor  string
	signOnly bool
}

// defaultTxTimeout is --timeout's default: a few block intervals on a
// healthy chain would do; this leaves room for a slow one.
const defaultTxTimeout = time.Minute

func (f *txFlags) register(fs *pflag.FlagSet) {
	f.fromFlags.register(fs)
	fs.DurationVar(&f.timeout, "timeout", defaultTxTimeout, "give up waiting for the transaction's block after this long, and say what is known of it (submitted? pending? committed?)")
	fs.StringVar(&f.fee, "fee", "", "the most the transaction may pay in fees, in base units (10^18 per COVE), signed with it: the chain refuses it rather than take more (default: the fee the chain asks; `cove chain fee` estimates it)")
}

// registerSponsor adds --sponsor (the commands that honour it: send's
// callers and agent deploy).
func (f *txFlags) registerSponsor(fs *pflag.FlagSet) {
	fs.StringVar(&f.sponsor, "sponsor", "", "a key that pays for the transaction --from signs, under its sponsor policy (`cove sponsor policy`): --from needs no COVE")
}

// registerSignOnly adds --sponsor and --sign-only (commands that send one
// message through send).
func (f *txFlags) registerSignOnly(fs *pflag.FlagSet) {
	f.registerSponsor(fs)
	fs.BoolVar(&f.signOnly, "sign-only", false, "print the transaction --from signs (its next nonce) instead of sending it: a sponsor sends it with `cove sponsor submit`")
}

// sponsorSigner opens the --sponsor key, or returns nil without one.
func (f *txFlags) sponsorSigner(cmd *cobra.Command) (client.Signer, error) {
	if f.sponsor == "" {
		return nil, nil
	}
	s, err := (&fromFlags{name: f.sponsor}).signer(cmd)
	if err != nil {
		return nil, fmt.Errorf("--sponsor: %w", err)
	}
	return s, nil
}

// setup applies --fee to c and has it print the fee of every transaction
// it gets into a block (on stderr, so --json output stays JSON; nothing on
// a chain without fees).
func (f *txFlags) setup(cmd *cobra.Command, c *client.Client) error {
	if f.fee != "" {
		v, ok := new(big.Int).SetString(f.fee, 10)
		if !ok || v.Sign() <= 0 {
			return fmt.Errorf("--fee %q: want a positive whole number of base units", f.fee)
		}
		c.SetMaxFee(v)
	}
	c.ObserveTxs(func(out chain.TxOutcome) {
		if fee := out.FeePaid(); fee.Sign() > 0 {
			fmt.Fprintf(cmd.ErrOrStderr(), "fee: %s base units (%s COVE), tx %s\n", fee, formatCOVE(fee), out.Hash)
		}
	})
	return nil
}

// open opens the --from key and a client of g's gateway set up for
// transactions (--fee, the fees printed), and returns the context that
// --timeout bounds; the caller defers cancel.
func (f *txFlags) open(cmd *cobra.Command, g *globals) (client.Signer, *client.Client, context.Context, context.CancelFunc, error) {
	signer, err := f.signer(cmd)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	c, err := g.client()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if err := f.setup(cmd, c); err != nil {
		return nil, nil, nil, nil, err
	}
	ctx, cancel := f.context(cmd)
	return signer, c, ctx, cancel, nil
}

// send signs the message build makes with --from, sends it through g's
// gateway (--fee, --timeout) and waits for its block.
func (f *txFlags) send(cmd *cobra.Command, g *globals, build func(nonce uint64) chain.Msg) (chain.TxOutcome, error) {
	signer, c, ctx, cancel, err := f.open(cmd, g)
	if err != nil {
		return chain.TxOutcome{}, err
	}
	defer cancel()
	if f.signOnly {
		tx, err := c.SignTx(ctx, signer, build)
		if err != nil {
			return chain.TxOutcome{}, err
		}
		fmt.Fprintln(cmd.OutOrStdout(), string(tx))
		return chain.TxOutcome{}, errSignedOnly
	}
	sponsor, err := f.sponsorSigner(cmd)
	if err != nil {
		return chain.TxOutcome{}, err
	}
	var out chain.TxOutcome
	if sponsor != nil {
		out, err = c.SendSponsored(ctx, signer, sponsor, build)
	} else {
		out, err = c.Send(ctx, signer, build)
	}
	if err != nil {
		return out, f.explain(ctx, err)
	}
	return out, nil
}

// errSignedOnly is send's answer under --sign-only: the transaction was
// printed, not sent.
var errSignedOnly = errors.New("signed, not sent")

// formatCOVE writes base units as COVE: 1500000000000000 is "0.0015".
func formatCOVE(v *big.Int) string {
	s := new(big.Int).Abs(v).String()
	for len(s) <= 18 {
		s = "0" + s
	}
	whole, frac := s[:len(s)-18], strings.TrimRight(s[len(s)-18:], "0")
	if v.Sign() < 0 {
		whole = "-" + whole
	}
	if frac == "" {
		return whole
	}
	return whole + "." + frac
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
			signer, c, ctx, cancel, err := from.open(cmd, g)
			if err != nil {
				return err
			}
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
