package main

import (
	"errors"
	"fmt"
	"math/big"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
)

// Paid calls (issue 11): `cove agent price|redeem` and `cove channel ...`.

func newChannelCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "channel",
		Short: "Payment channels: a deposit that pays a priced agent's calls without a transaction per call",
		Long: `A payment channel holds a deposit of yours for one agent. Each call of the agent then
carries a payment: the next word of a hash chain you committed to once with a signature, or
a voucher you sign for the total paid so far (cove agent call --from KEY does it). The
channel's worker checks it without a transaction, and the agent's owner redeems the highest
on chain (cove agent redeem). To take back what is left, close the channel, wait out the
challenge period (the owner may still redeem), then settle.`,
	}
	var (
		agent   string
		deposit string
		worker  string
	)
	var open *cobra.Command
	open = newTxCmd(g, "open", "Open a channel to an agent with a deposit, bound to one worker", 0, func([]string) (func(uint64) chain.Msg, error) {
		id, err := cove.ParseAgentID(agent)
		if err != nil {
			return nil, fmt.Errorf("--agent: %w", err)
		}
		amt, err := parseUnits("--deposit", deposit)
		if err != nil {
			return nil, err
		}
		var verifier cove.Hash
		if worker != "" {
			if verifier, err = cove.ParseHash(worker); err != nil {
				return nil, fmt.Errorf("--worker: %w", err)
			}
		} else {
			c, err := g.client()
			if err != nil {
				return nil, err
			}
			if verifier, err = c.Verifier(open.Context(), id); err != nil {
				return nil, fmt.Errorf("%w (--worker names one)", err)
			}
		}
		fmt.Fprintf(open.ErrOrStderr(), "the channel is bound to worker %s: only it takes the channel's vouchers\n", verifier)
		return func(n uint64) chain.Msg {
			return chain.OpenChannel{Agent: id, Deposit: amt, Verifier: verifier, Nonce: n}
		}, nil
	})
	open.Long = `Open a payment channel to an agent with a deposit. The channel is bound to one worker,
its verifier: only that worker runs the calls its vouchers pay and keeps the ledger of
them, so a voucher pays one call on the whole network (ADR 25). By default it is the
worker the gateway offers first (GET /v1/agents/{id}/terms); every gateway routes the
channel's calls to it. If that worker leaves, close the channel and open another.`
	open.Example = "  cove channel open --agent 0x1234…cdef --deposit 1000000000000000000"
	open.Flags().StringVar(&agent, "agent", "", "the agent the channel pays (required)")
	open.Flags().StringVar(&deposit, "deposit", "", "the deposit, in base units (10^18 per COVE) (required)")
	open.Flags().StringVar(&worker, "worker", "", "the worker to bind the channel to (default: the first the gateway offers for the agent)")
	open.MarkFlagRequired("agent")
	open.MarkFlagRequired("deposit")
	cmd.AddCommand(
		open,
		newTxCmd(g, "close CHANNEL", "Start a channel's challenge period: it takes no new vouchers; settle it after", 1, func(args []string) (func(uint64) chain.Msg, error) {
			id, err := parseChannel(args[0])
			return func(n uint64) chain.Msg { return chain.CloseChannel{Channel: id, Nonce: n} }, err
		}),
		newTxCmd(g, "settle CHANNEL", "Refund a closed channel's unredeemed deposit to its payer, after the challenge period (anyone may)", 1, func(args []string) (func(uint64) chain.Msg, error) {
			id, err := parseChannel(args[0])
			return func(n uint64) chain.Msg { return chain.Settle{Channel: id, Nonce: n} }, err
		}),
		newChannelStatusCmd(g),
	)
	return cmd
}

func parseChannel(s string) (uint64, error) {
	var id uint64
	if _, err := fmt.Sscan(s, &id); err != nil || fmt.Sprint(id) != s {
		return 0, fmt.Errorf("CHANNEL %q: want a channel id, a decimal number (cove channel status lists yours)", s)
	}
	return id, nil
}

func newChannelStatusCmd(g *globals) *cobra.Command {
	var (
		from   fromFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "status [CHANNEL]",
		Short: "Show a channel as the gateway sees it, or list the channels of --from",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			var ids []uint64
			if len(args) == 1 {
				id, err := parseChannel(args[0])
				if err != nil {
					return err
				}
				ids = []uint64{id}
			} else {
				addr, err := fromAddress(cmd, from)
				if err != nil {
					return err
				}
				chs, err := c.Channels(cmd.Context(), addr)
				if err != nil {
					return err
				}
				if len(chs) == 0 && !asJSON {
					fmt.Fprintf(cmd.OutOrStdout(), "%s has no channels; open one with `cove channel open --agent ID --deposit AMOUNT`\n", addr)
					return nil
				}
				for _, ch := range chs {
					ids = append(ids, ch.ID)
				}
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			if !asJSON {
				fmt.Fprintln(tw, "CHANNEL\tAGENT\tDEPOSIT\tPAID\tREDEEMED\tPRICE\tSTATE")
			}
			var all []any
			for _, id := range ids {
				st, err := c.ChannelState(cmd.Context(), id)
				if err != nil {
					return err
				}
				if asJSON {
					all = append(all, st)
					continue
				}
				state := "open"
				if !st.Open {
					state = "closing: settle from " + time.Unix(st.ClosesAt, 0).UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", st.ID, st.Agent, cove2(st.Deposit), cove2(st.Accepted), cove2(st.Redeemed), cove2(st.Price), state)
			}
			if asJSON {
				if len(args) == 1 {
					return printJSON(cmd.OutOrStdout(), all[0])
				}
				return printJSON(cmd.OutOrStdout(), all)
			}
			return tw.Flush()
		},
	}
	from.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// cove2 writes a decimal string of base units as COVE.
func cove2(s string) string {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return s
	}
	return formatCOVE(v) + " COVE"
}

// fromAddress is the address of the --from key (no passphrase needed).
func fromAddress(cmd *cobra.Command, f fromFlags) (cove.Address, error) {
	s, err := f.signer(cmd)
	if err != nil {
		return cove.Address{}, err
	}
	return s.Address(), nil
}

func newPriceCmd(g *globals) *cobra.Command {
	cmd := newTxCmd(g, "price ID AMOUNT", "Set the price of one call of your agent, in base units (0: free)", 2, func(args []string) (func(uint64) chain.Msg, error) {
		id, err := cove.ParseAgentID(args[0])
		if err != nil {
			return nil, err
		}
		price, ok := new(big.Int).SetString(args[1], 10)
		if !ok || price.Sign() < 0 {
			return nil, fmt.Errorf("AMOUNT %q: want a whole number of base units (10^18 per COVE), 0 for free calls", args[1])
		}
		return func(n uint64) chain.Msg { return chain.SetAgentPrice{Agent: id, Price: price, Nonce: n} }, nil
	})
	cmd.Long = `Set what one call of your agent costs, in base units (10^18 per COVE). Callers then pay
each call with a voucher of a payment channel to the agent (cove channel open; cove agent
call --from KEY pays); a call without one is answered 402. 0 makes calls free again.`
	cmd.Example = "  cove agent price 0x1234…cdef 1000000000000000   # 0.001 COVE a call"
	return cmd
}

func newFreeTierCmd(g *globals) *cobra.Command {
	var calls, perCaller uint64
	cmd := newTxCmd(g, "free-tier ID", "Let callers make some calls of your priced agent without paying", 1, func(args []string) (func(uint64) chain.Msg, error) {
		id, err := cove.ParseAgentID(args[0])
		if err != nil {
			return nil, err
		}
		if perCaller > calls {
			return nil, fmt.Errorf("--per-caller %d is above --calls-per-day %d", perCaller, calls)
		}
		return func(n uint64) chain.Msg {
			return chain.SetFreeTier{Agent: id, CallsPerDay: calls, PerCaller: perCaller, Nonce: n}
		}, nil
	})
	cmd.Long = `Let callers of your priced agent make --calls-per-day calls in all each day (UTC) without a
voucher, at most --per-caller of them each (0: no bound per caller). A caller is the account that
signs a Cove-Auth for the call (cove agent call --from KEY without a channel does), or else its
IP address. Each gateway counts its own calls. --calls-per-day 0 removes the free tier.`
	cmd.Example = "  cove agent free-tier 0x1234…cdef --calls-per-day 1000 --per-caller 10"
	cmd.Flags().Uint64Var(&calls, "calls-per-day", 0, "free calls a day in all (0 removes the free tier)")
	cmd.Flags().Uint64Var(&perCaller, "per-caller", 0, "free calls a day per caller (0: no bound per caller)")
	cmd.MarkFlagRequired("calls-per-day")
	return cmd
}

func newRedeemCmd(g *globals) *cobra.Command {
	var (
		from   txFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "redeem ID",
		Short: "Redeem the vouchers your agent's callers paid with at this gateway",
		Long: `Read from the gateway the highest voucher (or hash-chain word) of each channel to your
agent that adds to what the chain has redeemed, and send a Redeem (RedeemHashChain for a
word) for each: you are paid the difference. One transaction per channel, however many
calls it paid.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := cove.ParseAgentID(args[0])
			if err != nil {
				return err
			}
			signer, c, ctx, cancel, err := from.open(cmd, g)
			if err != nil {
				return err
			}
			defer cancel()
			outs, err := c.Redeem(ctx, signer, id)
			if asJSON {
				if err != nil {
					return from.explain(ctx, err)
				}
				if outs == nil {
					outs = []chain.TxOutcome{}
				}
				return printJSON(cmd.OutOrStdout(), outs)
			}
			for _, out := range outs {
				printOutcome(cmd.OutOrStdout(), out)
			}
			if err != nil {
				return from.explain(ctx, err)
			}
			if len(outs) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "nothing to redeem: no voucher at this gateway adds to what agent %s's channels have redeemed\n", id)
			}
			return nil
		},
	}
	from.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the outcomes as JSON")
	return cmd
}

// payingCall calls agent id, paying from --from's channel when the agent
// has a price and --from is set.
func payingCall(cmd *cobra.Command, c *client.Client, from fromFlags, deposit *big.Int, id cove.AgentID, method, path string, body []byte, h map[string][]string) (*client.Response, error) {
	if from.name == "" {
		resp, err := c.Call(cmd.Context(), id, method, path, body, h)
		var ge *client.Error
		if errors.As(err, &ge) && ge.Payment != nil {
			return nil, fmt.Errorf("%w\n(agent %s costs %s base units a call: pass --from KEY to pay from KEY's channel to it; open one with `cove channel open --agent %s --deposit AMOUNT`, or add --open-deposit AMOUNT)", err, id, ge.Payment.Price, id)
		}
		return resp, err
	}
	a, err := c.Agent(cmd.Context(), id)
	if err != nil {
		return nil, err
	}
	if a.Price == "" {
		return c.Call(cmd.Context(), id, method, path, body, h)
	}
	signer, err := from.signer(cmd)
	if err != nil {
		return nil, err
	}
	var p *client.Payer
	if deposit != nil {
		var opened *chain.TxOutcome
		if p, opened, err = c.OpenPayer(cmd.Context(), signer, id, deposit); err != nil {
			return nil, err
		}
		if opened != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "opened channel %d to agent %s with a deposit of %s COVE (transaction %s, block %d, fee %s COVE)\n", p.Channel(), id, formatCOVE(deposit), opened.Hash, opened.Height, formatCOVE(opened.FeePaid()))
		}
	} else {
		p, err = c.Payer(cmd.Context(), signer, id)
		if errors.Is(err, client.ErrNoChannel) && a.FreeTier != nil {
			// No channel: a free call, counted as --from's.
			fmt.Fprintf(cmd.ErrOrStderr(), "no channel of yours to agent %s: a free call (its free tier: %d calls a day, %d per caller)\n", id, a.FreeTier.CallsPerDay, a.FreeTier.PerCaller)
			return c.CallAs(cmd.Context(), signer, id, method, path, body, h)
		}
		if errors.Is(err, client.ErrNoChannel) {
			return nil, fmt.Errorf("%w, or add --open-deposit AMOUNT to this call", err)
		}
		if err != nil {
			return nil, err
		}
	}
	resp, err := p.Call(cmd.Context(), method, path, body, h)
	if err == nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "paid %s base units from channel %d (%s COVE in all)\n", a.Price, p.Channel(), formatCOVE(p.Spent()))
	}
	return resp, err
}
