package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
)

// Vaults (issue 10): `cove stake vault ...`.

func newVaultCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vault",
		Short: "Vaults: pools of pools whose owner invests contributors' COVE in stake pools",
		Long: `A vault takes contributions for vault shares; its owner invests the vault's free COVE in
stake pools (invest) and takes it back (divest). The owner's commission is paid in new vault
shares when the share price rises above its last checkpoint. A withdrawal is paid from the
vault's free COVE, or queued; one that waits past the grace period makes the vault ask its
pools for the rest (cove stake vault refresh, by anyone).`,
	}
	var commission uint64
	create := newTxCmd(g, "create", "Create a vault you own", 0, func([]string) (func(uint64) chain.Msg, error) {
		if commission > chain.MaxCommission {
			return nil, fmt.Errorf("--commission %d: parts per million, 0 to %d", commission, chain.MaxCommission)
		}
		return func(n uint64) chain.Msg { return chain.CreateVault{Commission: commission, Nonce: n} }, nil
	})
	create.Flags().Uint64Var(&commission, "commission", 0, "your part of the vault's profit, parts per million (200000 = 20%)")
	cmd.AddCommand(
		create,
		newTxCmd(g, "contribute VAULT AMOUNT", "Put AMOUNT base units (10^18 per COVE) in a vault for vault shares", 2, func(args []string) (func(uint64) chain.Msg, error) {
			v, err := parseVault(args[0])
			amt, aerr := parseUnits("AMOUNT", args[1])
			return func(n uint64) chain.Msg { return chain.ContributeVault{Vault: v, Amount: amt, Nonce: n} }, firstErr(err, aerr)
		}),
		newTxCmd(g, "withdraw VAULT SHARES", "Ask for SHARES of your vault shares back: paid from its free COVE, the rest queued", 2, func(args []string) (func(uint64) chain.Msg, error) {
			v, err := parseVault(args[0])
			sh, serr := parseUnits("SHARES", args[1])
			return func(n uint64) chain.Msg { return chain.WithdrawVault{Vault: v, Shares: sh, Nonce: n} }, firstErr(err, serr)
		}),
		newTxCmd(g, "invest VAULT POOL AMOUNT", "Contribute AMOUNT of a vault's free COVE to a stake pool (the vault's owner)", 3, func(args []string) (func(uint64) chain.Msg, error) {
			v, err := parseVault(args[0])
			p, perr := parsePool(args[1])
			amt, aerr := parseUnits("AMOUNT", args[2])
			return func(n uint64) chain.Msg { return chain.VaultInvest{Vault: v, Pool: p, Amount: amt, Nonce: n} }, firstErr(err, perr, aerr)
		}),
		newTxCmd(g, "divest VAULT POOL SHARES", "Withdraw SHARES of a vault's shares of a pool back into the vault (the vault's owner)", 3, func(args []string) (func(uint64) chain.Msg, error) {
			v, err := parseVault(args[0])
			p, perr := parsePool(args[1])
			sh, serr := parseUnits("SHARES", args[2])
			return func(n uint64) chain.Msg { return chain.VaultDivest{Vault: v, Pool: p, Shares: sh, Nonce: n} }, firstErr(err, perr, serr)
		}),
		newTxCmd(g, "refresh VAULT", "Take the owner's commission, pay the withdrawal queue and apply the grace rule (anyone may)", 1, func(args []string) (func(uint64) chain.Msg, error) {
			v, err := parseVault(args[0])
			return func(n uint64) chain.Msg { return chain.RefreshVault{Vault: v, Nonce: n} }, err
		}),
		newVaultShowCmd(g),
		newVaultListCmd(g),
	)
	return cmd
}

func newVaultShowCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show VAULT",
		Short: "Show a vault: shares, value, free COVE, price, checkpoint, investments, withdrawal queue",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseVault(args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			v, err := c.Vault(cmd.Context(), id)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), v)
			}
			printVault(cmd.OutOrStdout(), v)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the vault as JSON")
	return cmd
}

func printVault(w io.Writer, v api.Vault) {
	fmt.Fprintf(w, "vault %d  owner %s  commission %d ppm  address %s\n", v.ID, v.Owner, v.Commission, v.Address)
	fmt.Fprintf(w, "  shares %s  value %s  free %s  price %s  checkpoint %s\n", v.Shares, v.Value, v.Free, v.Price, v.Checkpoint)
	for _, p := range v.Pools {
		fmt.Fprintf(w, "  pool %d  shares %s  worth %s", p.Pool, p.Shares, p.Value)
		if p.Queued != "0" {
			fmt.Fprintf(w, "  asked back %s", p.Queued)
		}
		fmt.Fprintln(w)
	}
	for _, q := range v.Queue {
		fmt.Fprintf(w, "  queued %s shares for %s since %s\n", q.Shares, q.Account, q.Since)
	}
}

func newVaultListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List every vault",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			vs, err := c.Vaults(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), vs)
			}
			if len(vs) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no vaults yet: cove stake vault create")
			}
			for _, v := range vs {
				printVault(cmd.OutOrStdout(), v)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the vaults as JSON")
	return cmd
}

func parseVault(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("VAULT %q: want a vault id (1, 2, ...; cove stake vault list)", s)
	}
	return id, nil
}
