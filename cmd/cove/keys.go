package main

import (
	"errors"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove/account"
)

func newKeysCmd(_ *globals) *cobra.Command {
	var home string
	open := func() (*account.Store, error) {
		if home == "" {
			return nil, errors.New("no home directory: set COVE_HOME or pass --home")
		}
		return account.Open(account.KeysDir(home))
	}
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, import and list the named keys that sign your transactions",
		Long: `Manage your named Ethereum-style keys. Commands that send transactions take
--from NAME; 'cove dev' creates a funded key called 'dev' and uses it by default.

Keys live in $COVE_HOME/keys (default ~/.cove/keys), one NAME.json file per key in
go-ethereum's encrypted keystore format (V3), so geth, clef, cast and ethers can
use them too. A passphrase comes from --password-file (its first line) or is
typed at a prompt. Names are 1 to 32 characters a-z, 0-9, '_' and '-',
case-insensitive.`,
		Example: `  cove keys new alice
  cove keys new ci --password-file ./pw.txt --json
  cove keys import bob ~/Downloads/UTC--2024-01-01T00-00-00Z--0123...
  cove keys list`,
	}
	cmd.PersistentFlags().StringVar(&home, "home", account.Home(), "Cove home directory; keys live in HOME/keys (env COVE_HOME)")
	cmd.AddCommand(newKeysNewCmd(open), newKeysListCmd(open), newKeysImportCmd(open), newKeysShowCmd(open))
	return cmd
}

// keyStoreOpener opens the store named by the keys command's --home.
type keyStoreOpener func() (*account.Store, error)

func newKeysNewCmd(open keyStoreOpener) *cobra.Command {
	var (
		passwordFile string
		noPassphrase bool
		asJSON       bool
	)
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Create a random key and print its address",
		Long: `Create a random secp256k1 key called NAME, encrypt it and print its address.

The passphrase is the first line of --password-file, or is typed twice at a
prompt. --no-passphrase stores the key unprotected: anyone who can read the
file can use it, so keep that for development keys.`,
		Example: `  cove keys new alice
  cove keys new ci --password-file ./pw.txt
  cove keys new scratch --no-passphrase --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := open()
			if err != nil {
				return err
			}
			pass := ""
			if !noPassphrase {
				pass, err = account.ReadNewPassphrase(passwordFile, stdinFile(cmd), cmd.ErrOrStderr())
				if errors.Is(err, account.ErrNoTerminal) {
					return fmt.Errorf("%w: pass --password-file F, or --no-passphrase for a key without one", err)
				}
				if err != nil {
					return err
				}
			}
			info, err := s.New(args[0], pass)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), info)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created key %s: %s\n", info.Name, info.Address)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&passwordFile, "password-file", "", "read the passphrase from the first line of this file")
	f.BoolVar(&noPassphrase, "no-passphrase", false, "store the key without a passphrase (development keys only)")
	f.BoolVar(&asJSON, "json", false, `print {"name","address"}`)
	cmd.MarkFlagsMutuallyExclusive("password-file", "no-passphrase")
	return cmd
}

func newKeysImportCmd(open keyStoreOpener) *cobra.Command {
	var (
		passwordFile string
		noPassphrase bool
		asJSON       bool
	)
	cmd := &cobra.Command{
		Use:   "import NAME FILE",
		Short: "Import a keystore JSON file or a raw hex private key",
		Long: `Import an existing key as NAME from FILE, which is either a keystore JSON file
(from geth, clef, cast, MetaMask's export, ethers...) or a raw private key of
64 hex digits (0x optional).

A keystore file is decrypted with its passphrase (--password-file, or typed at
a prompt) and stored under the same passphrase. A raw key is stored under a
new passphrase (--password-file, or typed twice at a prompt). --no-passphrase
stores the key unprotected. Delete FILE afterwards if it held a raw key.`,
		Example: `  cove keys import bob ./UTC--2024-01-01T00-00-00Z--0123...
  cove keys import anvil0 ./anvil0.hex --no-passphrase`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := open()
			if err != nil {
				return err
			}
			b, err := os.ReadFile(args[1])
			if err != nil {
				return err
			}
			if err := account.CheckKeyFile(b); err != nil {
				return fmt.Errorf("%s: %w", args[1], err)
			}
			in, prompts := stdinFile(cmd), cmd.ErrOrStderr()
			var pass, newPass string
			switch {
			case account.IsKeystore(b):
				if pass, err = account.ReadPassphrase(passwordFile, true, in, prompts); err != nil {
					return err
				}
				if !noPassphrase {
					newPass = pass
				}
			case !noPassphrase:
				newPass, err = account.ReadNewPassphrase(passwordFile, in, prompts)
				if errors.Is(err, account.ErrNoTerminal) {
					return fmt.Errorf("%w: pass --password-file F, or --no-passphrase to store the key without one", err)
				}
				if err != nil {
					return err
				}
			}
			info, err := s.Import(args[0], b, pass, newPass)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), info)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imported key %s: %s\n", info.Name, info.Address)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&passwordFile, "password-file", "", "read the passphrase from the first line of this file")
	f.BoolVar(&noPassphrase, "no-passphrase", false, "store the key without a passphrase (development keys only)")
	f.BoolVar(&asJSON, "json", false, `print {"name","address"}`)
	return cmd
}

func newKeysListCmd(open keyStoreOpener) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List your keys and their addresses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := open()
			if err != nil {
				return err
			}
			keys, err := s.List()
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), keys)
			}
			if len(keys) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "no keys in %s; create one with `cove keys new NAME`\n", s.Dir())
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tADDRESS")
			for _, k := range keys {
				fmt.Fprintf(tw, "%s\t%s\n", k.Name, k.Address)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print a JSON array of {"name","address"}`)
	return cmd
}

func newKeysShowCmd(open keyStoreOpener) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Print a key's address",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := open()
			if err != nil {
				return err
			}
			info, err := s.Get(args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), info)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "name     %s\naddress  %s\n", info.Name, info.Address)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"name","address"}`)
	return cmd
}

// stdinFile returns the command's stdin if it is a file (the terminal, when
// there is one), or nil.
func stdinFile(cmd *cobra.Command) *os.File {
	f, _ := cmd.InOrStdin().(*os.File)
	return f
}
