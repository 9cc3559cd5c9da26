package main

import (
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
)

// Stake pools and computing workers (issue 10): `cove stake pool ...`,
// `cove stake list` and `cove worker start|stop`.

func newStakeCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stake",
		Short: "Stake pools and vaults: create one, add workers, contribute, withdraw, see stakes",
		Long: `A stake pool holds COVE that contributors put in for shares. Its owner adds workers it
operates and locks part of the pool's free stake on each one that computes (cove worker
start). A withdrawal is paid from free stake, or queued and paid first in, first out as
stake frees up; a request that waits past the grace period stops the pool's workers.
A vault (cove stake vault) is a pool of pools: its owner invests its contributors' COVE in
stake pools.`,
	}
	pool := &cobra.Command{Use: "pool", Short: "Create, manage and inspect stake pools"}
	pool.AddCommand(
		newPoolCreateCmd(g),
		newTxCmd(g, "add-worker POOL WORKER", "Add a worker you operate to a pool you own", 2, func(args []string) (func(uint64) chain.Msg, error) {
			p, w, err := poolAndWorker(args)
			return func(n uint64) chain.Msg { return chain.AddPoolWorker{Pool: p, Worker: w, Nonce: n} }, err
		}),
		newTxCmd(g, "remove-worker POOL WORKER", "Take an idle worker out of a pool you own", 2, func(args []string) (func(uint64) chain.Msg, error) {
			p, w, err := poolAndWorker(args)
			return func(n uint64) chain.Msg { return chain.RemovePoolWorker{Pool: p, Worker: w, Nonce: n} }, err
		}),
		newTxCmd(g, "contribute POOL AMOUNT", "Put AMOUNT base units (10^18 per COVE) in a pool for shares", 2, func(args []string) (func(uint64) chain.Msg, error) {
			p, err := parsePool(args[0])
			amt, aerr := parseUnits("AMOUNT", args[1])
			return func(n uint64) chain.Msg { return chain.Contribute{Pool: p, Amount: amt, Nonce: n} }, firstErr(err, aerr)
		}),
		newTxCmd(g, "withdraw POOL SHARES", "Ask for SHARES of your shares back: paid from free stake, the rest queued", 2, func(args []string) (func(uint64) chain.Msg, error) {
			p, err := parsePool(args[0])
			sh, serr := parseUnits("SHARES", args[1])
			return func(n uint64) chain.Msg { return chain.Withdraw{Pool: p, Shares: sh, Nonce: n} }, firstErr(err, serr)
		}),
		newTxCmd(g, "refresh POOL", "Release cooled stake, pay the withdrawal queue and apply the grace rule (anyone may)", 1, func(args []string) (func(uint64) chain.Msg, error) {
			p, err := parsePool(args[0])
			return func(n uint64) chain.Msg { return chain.RefreshPool{Pool: p, Nonce: n} }, err
		}),
		newTxCmd(g, "allow POOL ACCOUNT", "Put ACCOUNT on a pool's allowlist: while it is not empty, only the accounts on it (and you) may contribute", 2, func(args []string) (func(uint64) chain.Msg, error) {
			p, a, err := poolAndAccount(args)
			return func(n uint64) chain.Msg { return chain.AllowContributor{Pool: p, Account: a, Nonce: n} }, err
		}),
		newTxCmd(g, "disallow POOL ACCOUNT", "Take ACCOUNT off a pool's allowlist (its shares stay; an empty list lets anyone contribute)", 2, func(args []string) (func(uint64) chain.Msg, error) {
			p, a, err := poolAndAccount(args)
			return func(n uint64) chain.Msg { return chain.DisallowContributor{Pool: p, Account: a, Nonce: n} }, err
		}),
		newPoolShowCmd(g),
		newPoolListCmd(g),
	)
	cmd.AddCommand(pool, newVaultCmd(g), newStakeListCmd(g))
	return cmd
}

func newWorkerCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "worker", Short: "Start and stop a pool's worker computing"}
	var stake string
	start := newTxCmd(g, "start WORKER --stake AMOUNT", "Lock AMOUNT of the worker's pool's free stake on it and start it computing (the pool's owner)", 1, func(args []string) (func(uint64) chain.Msg, error) {
		w, err := cove.ParseHash(args[0])
		if err != nil {
			return nil, fmt.Errorf("WORKER: %w", err)
		}
		s, err := parseUnits("--stake", stake)
		return func(n uint64) chain.Msg { return chain.StartComputing{Worker: w, Stake: s, Nonce: n} }, err
	})
	start.Flags().StringVar(&stake, "stake", "", "the stake to lock, base units (at least stake_k·√P: GET /v1/chain/params)")
	stop := newTxCmd(g, "stop WORKER", "Stop a computing worker: its stake cools down, then is free again (the pool's owner)", 1, func(args []string) (func(uint64) chain.Msg, error) {
		w, err := cove.ParseHash(args[0])
		return func(n uint64) chain.Msg { return chain.StopComputing{Worker: w, Nonce: n} }, err
	})
	cmd.AddCommand(start, stop)
	return cmd
}

// newTxCmd is a command that sends one transaction built from its
// arguments and prints its outcome (--json: the outcome's JSON).
func newTxCmd(g *globals, use, short string, nargs int, build func(args []string) (func(uint64) chain.Msg, error)) *cobra.Command {
	var (
		from   txFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(nargs),
		RunE: func(cmd *cobra.Command, args []string) error {
			msg, err := build(args)
			if err != nil {
				return err
			}
			out, err := from.send(cmd, g, msg)
			if errors.Is(err, errSignedOnly) {
				return nil
			}
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			printOutcome(cmd.OutOrStdout(), out)
			return nil
		},
	}
	from.register(cmd.Flags())
	from.registerSignOnly(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, `print the outcome {"hash","height","code","log","events"}`)
	return cmd
}

// printOutcome writes a committed transaction and its events, one line
// each.
func printOutcome(w io.Writer, out chain.TxOutcome) {
	fmt.Fprintf(w, "committed in block %d (tx %s)\n", out.Height, out.Hash)
	for _, e := range out.Events {
		if e.Type == chain.EventFee {
			continue // printed on stderr by txFlags
		}
		var kv []string
		for _, a := range e.Attrs {
			kv = append(kv, a.Key+"="+a.Value)
		}
		fmt.Fprintf(w, "  %s %s\n", e.Type, strings.Join(kv, " "))
	}
}

func newPoolCreateCmd(g *globals) *cobra.Command {
	var commission uint64
	var capAmount string
	cmd := newTxCmd(g, "create", "Create a stake pool you own", 0, func([]string) (func(uint64) chain.Msg, error) {
		c := new(big.Int)
		if capAmount != "" {
			v, err := parseUnits("--cap", capAmount)
			if err != nil {
				return nil, err
			}
			c = v
		}
		if commission > chain.MaxCommission {
			return nil, fmt.Errorf("--commission %d: parts per million, 0 to %d", commission, chain.MaxCommission)
		}
		return func(n uint64) chain.Msg { return chain.CreatePool{Commission: commission, Cap: c, Nonce: n} }, nil
	})
	cmd.Flags().Uint64Var(&commission, "commission", 0, "your part of the pool's rewards, parts per million (100000 = 10%)")
	cmd.Flags().StringVar(&capAmount, "cap", "", "the most the pool may hold, base units (default: no cap)")
	return cmd
}

func newPoolShowCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show POOL",
		Short: "Show a pool: shares, value, free stake, price, workers, withdrawal queue",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parsePool(args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			p, err := c.Pool(cmd.Context(), id)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), p)
			}
			printPool(cmd.OutOrStdout(), p)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the pool as JSON")
	return cmd
}

func printPool(w io.Writer, p api.Pool) {
	fmt.Fprintf(w, "pool %d  owner %s  commission %d ppm  cap %s", p.ID, p.Owner, p.Commission, p.Cap)
	if p.Allowed > 0 {
		fmt.Fprintf(w, "  allowlist of %d", p.Allowed)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  shares %s  value %s  free %s  price %s\n", p.Shares, p.Value, p.Free, p.Price)
	for _, wk := range p.Workers {
		fmt.Fprintf(w, "  worker %s  %s  stake %s", wk.Worker, wk.State, wk.Stake)
		if wk.CoolUntil != "" {
			fmt.Fprintf(w, "  cooling until %s", wk.CoolUntil)
		}
		fmt.Fprintln(w)
	}
	for _, q := range p.Queue {
		fmt.Fprintf(w, "  queued %s shares for %s since %s\n", q.Shares, q.Account, q.Since)
	}
}

func newPoolListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List every stake pool",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ps, err := c.Pools(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), ps)
			}
			for _, p := range ps {
				printPool(cmd.OutOrStdout(), p)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the pools as JSON")
	return cmd
}

func newStakeListCmd(g *globals) *cobra.Command {
	var (
		asJSON bool
		from   fromFlags
	)
	cmd := &cobra.Command{
		Use:   "list [ADDRESS]",
		Short: "List an account's shares of every pool and vault and what they are worth (default: --from's)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var addr cove.Address
			if len(args) == 1 {
				a, err := cove.ParseAddress(args[0])
				if err != nil {
					return fmt.Errorf("ADDRESS: %w", err)
				}
				addr = a
			} else {
				s, err := from.signer(cmd)
				if err != nil {
					return err
				}
				addr = s.Address()
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			st, err := c.Stakes(cmd.Context(), addr)
			if err != nil {
				return err
			}
			vs, err := c.VaultStakes(cmd.Context(), addr)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), map[string]any{"stakes": st, "vaults": vs})
			}
			height := int64(0) // locks end at a height: only a later one is news
			if status, err := c.ChainStatus(cmd.Context()); err == nil {
				height = status.Height
			}
			if len(st) == 0 && len(vs) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "%s holds no pool or vault shares\n", addr)
			}
			for _, s := range st {
				locked := ""
				if s.LockedUntil > height {
					locked = fmt.Sprintf("  (a contribution locks them until block %d)", s.LockedUntil)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "pool %d  shares %s  worth %s%s\n", s.Pool, s.Shares, s.Value, locked)
			}
			for _, s := range vs {
				locked := ""
				if s.LockedUntil > height {
					locked = fmt.Sprintf("  (a contribution locks them until block %d)", s.LockedUntil)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "vault %d  shares %s  worth %s%s\n", s.Vault, s.Shares, s.Value, locked)
			}
			return nil
		},
	}
	from.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"stakes": pool stakes, "vaults": vault stakes} as JSON`)
	return cmd
}

func parsePool(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("POOL %q: want a pool id (1, 2, ...; cove stake pool list)", s)
	}
	return id, nil
}

func poolAndWorker(args []string) (uint64, cove.Hash, error) {
	p, err := parsePool(args[0])
	if err != nil {
		return 0, cove.Hash{}, err
	}
	w, err := cove.ParseHash(args[1])
	if err != nil {
		return 0, cove.Hash{}, fmt.Errorf("WORKER: %w", err)
	}
	return p, w, nil
}

func poolAndAccount(args []string) (uint64, cove.Address, error) {
	p, err := parsePool(args[0])
	if err != nil {
		return 0, cove.Address{}, err
	}
	a, err := cove.ParseAddress(args[1])
	if err != nil {
		return 0, cove.Address{}, fmt.Errorf("ACCOUNT: %w", err)
	}
	return p, a, nil
}

// parseUnits parses a positive whole number of base units.
func parseUnits(name, s string) (*big.Int, error) {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok || v.Sign() <= 0 {
		return nil, fmt.Errorf("%s %q: want a positive whole number of base units (10^18 per COVE)", name, s)
	}
	return v, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
