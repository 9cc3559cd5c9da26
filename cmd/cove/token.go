package main

import (
	"context"
	"fmt"
	"math/big"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
)

// Agent tokens and DAOs (issue 11, ADR 24): `cove token ...` and `cove
// dao ...`.

func newTokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Agent tokens: one token per agent on a bonding curve, bought from and sold to the curve",
		Long: `An agent's owner launches the agent's token on a bonding curve whose parameters are fixed
for good. Anyone buys tokens from the curve and sells them back to it for COVE: the price is a
function of the supply, and the curve's reserve always holds exactly what selling the whole
supply returns. A trading fee and a share of the agent's call income go to the agent's
treasury. Token amounts are in base units, 10^18 per token, as COVE's.`,
	}
	cmd.AddCommand(newTokenLaunchCmd(g), newTokenBuyCmd(g), newTokenSellCmd(g), newTokenTransferCmd(g), newTokenShowCmd(g), newTokenWithdrawCmd(g))
	return cmd
}

func newTokenLaunchCmd(g *globals) *cobra.Command {
	var (
		name, symbol, curve, a, b string
		feePPM, revenuePPM        uint64
	)
	cmd := newTxCmd(g, "launch AGENT", "Launch your agent's token on a bonding curve", 1, func(args []string) (func(uint64) chain.Msg, error) {
		id, err := cove.ParseAgentID(args[0])
		if err != nil {
			return nil, err
		}
		av, ok := new(big.Int).SetString(a, 10)
		bv, ok2 := new(big.Int).SetString(b, 10)
		if !ok || !ok2 || av.Sign() < 0 || bv.Sign() < 0 {
			return nil, fmt.Errorf("--a %q and --b %q: want whole numbers", a, b)
		}
		return func(n uint64) chain.Msg {
			return chain.LaunchAgentToken{Agent: id, Name: name, Symbol: symbol, Curve: curve, A: av, B: bv, FeePPM: feePPM, RevenuePPM: revenuePPM, Nonce: n}
		}, nil
	})
	cmd.Long = `Launch your agent's token. The curve is fixed for good:

  linear       the price of one token is a + b·s base units of COVE when s tokens are held
  exponential  the price is a at supply 0 and doubles every b tokens, linear in between

--fee-ppm of each trade's COVE (at most 100000, 10%) and --revenue-ppm of each redeem of the
agent's payment channels go to the agent's treasury (cove token withdraw spends it; once the
agent belongs to its DAO, only a proposal does).`
	cmd.Example = "  cove token launch 0x1234…cdef --name 'Weather Agent' --symbol WTHR --curve linear --a 1000000000000000 --b 1000000000000 --fee-ppm 10000 --revenue-ppm 200000"
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "the token's name (required)")
	f.StringVar(&symbol, "symbol", "", "the token's symbol: 1 to 11 of A-Z and 0-9 (required)")
	f.StringVar(&curve, "curve", chain.CurveLinear, "linear or exponential")
	f.StringVar(&a, "a", "", "the price of one token at supply 0, in COVE base units (required)")
	f.StringVar(&b, "b", "0", "linear: the price's rise per token held (base units); exponential: the tokens over which the price doubles")
	f.Uint64Var(&feePPM, "fee-ppm", 0, "the trading fee to the treasury, in millionths of each trade's COVE")
	f.Uint64Var(&revenuePPM, "revenue-ppm", 0, "the share of each redeem of the agent's channels that goes to the treasury, in millionths")
	cmd.MarkFlagRequired("name")
	cmd.MarkFlagRequired("symbol")
	cmd.MarkFlagRequired("a")
	return cmd
}

// tokenQuote reads the agent's token through g's gateway, for a default
// slippage limit.
func tokenQuote(g *globals, id cove.AgentID) (chain.TokenState, error) {
	c, err := g.client()
	if err != nil {
		return chain.TokenState{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.Token(ctx, id, cove.Address{})
}

// withSlippage returns v moved by ppm millionths: up for a most, down for
// a least (ppm at most 10^6).
func withSlippage(v *big.Int, ppm uint64, up bool) *big.Int {
	d := new(big.Int).Mul(v, new(big.Int).SetUint64(ppm))
	d.Quo(d, big.NewInt(1_000_000))
	if up {
		return d.Add(v, d)
	}
	return d.Sub(v, d)
}

// agentAmount parses the AGENT and AMOUNT arguments of buy and sell.
func agentAmount(args []string) (cove.AgentID, *big.Int, error) {
	id, err := cove.ParseAgentID(args[0])
	if err != nil {
		return id, nil, err
	}
	amount, err := parseUnits("AMOUNT", args[1])
	return id, amount, err
}

func newTokenBuyCmd(g *globals) *cobra.Command {
	var (
		maxCost  string
		slippage uint64
	)
	cmd := newTxCmd(g, "buy AGENT AMOUNT", "Buy AMOUNT base units of an agent's token from its curve", 2, func(args []string) (func(uint64) chain.Msg, error) {
		id, amount, err := agentAmount(args)
		if err != nil {
			return nil, err
		}
		limit := new(big.Int)
		if maxCost == "" && slippage > 1_000_000 {
			return nil, fmt.Errorf("--slippage-ppm %d: want at most 1000000 (twice the cost)", slippage)
		}
		if maxCost != "" {
			if limit, err = parseUnits("--max-cost", maxCost); err != nil {
				return nil, err
			}
		} else {
			t, err := tokenQuote(g, id)
			if err != nil {
				return nil, err
			}
			cost, fee, err := t.BuyCost(amount)
			if err != nil {
				return nil, err
			}
			limit = withSlippage(cost.Add(cost, fee), slippage, true)
		}
		return func(n uint64) chain.Msg { return chain.Buy{Agent: id, Amount: amount, MaxCost: limit, Nonce: n} }, nil
	})
	cmd.Long = `Buy AMOUNT base units (10^18 per token) of an agent's token. The chain refuses the buy if it
would cost more than --max-cost COVE base units (the curve's cost plus the fee); by default
that is today's cost plus --slippage-ppm.`
	cmd.Example = "  cove token buy 0x1234…cdef 5000000000000000000 --from alice   # 5 tokens"
	cmd.Flags().StringVar(&maxCost, "max-cost", "", "the most to pay, in COVE base units (default: the cost now plus --slippage-ppm)")
	cmd.Flags().Uint64Var(&slippage, "slippage-ppm", 10_000, "without --max-cost: how far above the cost now the price may move, in millionths")
	return cmd
}

func newTokenSellCmd(g *globals) *cobra.Command {
	var (
		minReturn string
		slippage  uint64
	)
	cmd := newTxCmd(g, "sell AGENT AMOUNT", "Sell AMOUNT base units of your tokens of an agent back to its curve", 2, func(args []string) (func(uint64) chain.Msg, error) {
		id, amount, err := agentAmount(args)
		if err != nil {
			return nil, err
		}
		var limit *big.Int
		if minReturn == "" && slippage > 1_000_000 {
			return nil, fmt.Errorf("--slippage-ppm %d: want at most 1000000 (all of the return)", slippage)
		}
		if minReturn != "" {
			v, ok := new(big.Int).SetString(minReturn, 10)
			if !ok || v.Sign() < 0 {
				return nil, fmt.Errorf("--min-return %q: want a whole number of COVE base units", minReturn)
			}
			limit = v
		} else {
			t, err := tokenQuote(g, id)
			if err != nil {
				return nil, err
			}
			ret, fee, err := t.SellReturn(amount)
			if err != nil {
				return nil, err
			}
			limit = withSlippage(ret.Sub(ret, fee), slippage, false)
		}
		return func(n uint64) chain.Msg { return chain.Sell{Agent: id, Amount: amount, MinReturn: limit, Nonce: n} }, nil
	})
	cmd.Long = `Sell AMOUNT base units (10^18 per token) of your tokens of an agent back to its curve. The chain
refuses the sale if it would return less than --min-return COVE base units (after the fee); by
default that is today's return less --slippage-ppm.`
	cmd.Flags().StringVar(&minReturn, "min-return", "", "the least to be paid, in COVE base units (default: the return now less --slippage-ppm)")
	cmd.Flags().Uint64Var(&slippage, "slippage-ppm", 10_000, "without --min-return: how far below the return now the price may move, in millionths")
	return cmd
}

func newTokenTransferCmd(g *globals) *cobra.Command {
	var to string
	cmd := newTxCmd(g, "transfer AGENT AMOUNT", "Give AMOUNT base units of your tokens of an agent to another account", 2, func(args []string) (func(uint64) chain.Msg, error) {
		id, amount, err := agentAmount(args)
		if err != nil {
			return nil, err
		}
		addr, err := cove.ParseAddress(to)
		if err != nil {
			return nil, fmt.Errorf("--to: %w", err)
		}
		return func(n uint64) chain.Msg { return chain.TransferToken{Agent: id, To: addr, Amount: amount, Nonce: n} }, nil
	})
	cmd.Long = `Give AMOUNT base units (10^18 per token) of your tokens of an agent to another account. The
supply and the curve do not move. The recipient takes them in with its own next buy, sell
or transfer of the token (until then token show lists them as sent to it): nobody but the
holder writes the balances its votes are weighed by. Tokens you voted with on a proposal still
taking votes stay yours until its voting ends; a vote weighs what an account held at the
proposal's snapshot, so tokens given after it vote with neither account, and tokens given
before it vote only once the recipient has taken them in before the snapshot.`
	cmd.Example = "  cove token transfer 0x1234…cdef 5000000000000000000 --to 0xabcd…0123 --from alice"
	cmd.Flags().StringVar(&to, "to", "", "the account to give the tokens to (required)")
	cmd.MarkFlagRequired("to")
	return cmd
}

func newTokenWithdrawCmd(g *globals) *cobra.Command {
	var to, amount string
	cmd := newTxCmd(g, "withdraw AGENT", "Pay from your agent's treasury (its trading fees and revenue share)", 1, func(args []string) (func(uint64) chain.Msg, error) {
		id, err := cove.ParseAgentID(args[0])
		if err != nil {
			return nil, err
		}
		addr, err := cove.ParseAddress(to)
		if err != nil {
			return nil, fmt.Errorf("--to: %w", err)
		}
		amt, err := parseUnits("--amount", amount)
		if err != nil {
			return nil, err
		}
		return func(n uint64) chain.Msg { return chain.WithdrawTreasury{Agent: id, To: addr, Amount: amt, Nonce: n} }, nil
	})
	cmd.Flags().StringVar(&to, "to", "", "the account to pay (required)")
	cmd.Flags().StringVar(&amount, "amount", "", "the amount, in base units (required)")
	cmd.MarkFlagRequired("to")
	cmd.MarkFlagRequired("amount")
	return cmd
}

func newTokenShowCmd(g *globals) *cobra.Command {
	var (
		holder string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "show AGENT",
		Short: "Show an agent's token: curve, supply, price, reserve, treasury, and a holder's balance",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := cove.ParseAgentID(args[0])
			if err != nil {
				return err
			}
			var h cove.Address
			if holder != "" {
				if h, err = cove.ParseAddress(holder); err != nil {
					return fmt.Errorf("--holder: %w", err)
				}
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			t, err := c.Token(cmd.Context(), id, h)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), t)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "token\t%s (%s) of agent %s\n", t.Name, t.Symbol, t.Agent)
			fmt.Fprintf(tw, "curve\t%s, a=%s b=%s, fee %d ppm, revenue share %d ppm\n", t.Curve, t.A, t.B, t.FeePPM, t.RevenuePPM)
			fmt.Fprintf(tw, "supply\t%s tokens\n", formatCOVE(t.Supply.Big()))
			fmt.Fprintf(tw, "price\t%s COVE per token\n", formatCOVE(t.Price.Big()))
			fmt.Fprintf(tw, "reserve\t%s COVE\n", formatCOVE(t.Reserve.Big()))
			owner := t.Owner.String()
			if t.DAO {
				owner = "its DAO (cove dao show " + t.Agent.String() + ")"
			}
			fmt.Fprintf(tw, "owner\t%s\n", owner)
			fmt.Fprintf(tw, "treasury\t%s, %s COVE\n", t.Treasury, formatCOVE(t.TreasuryBalance.Big()))
			if t.Holding != nil {
				fmt.Fprintf(tw, "holder\t%s holds %s tokens\n", t.Holding.Holder, formatCOVE(t.Holding.Balance.Big()))
				if in := t.Holding.Incoming.Big(); in.Sign() > 0 {
					fmt.Fprintf(tw, "\tand was sent %s tokens, taken in by its next buy, sell or transfer (a vote counts them as held now)\n", formatCOVE(in))
				}
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&holder, "holder", "", "also show this account's balance")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newDAOCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dao",
		Short: "Agent DAOs: an agent owned by its token's holders, steered by proposals",
		Long: `An agent's owner hands the agent to the holders of its token for good (cove dao transfer): no
account may upgrade it, price it or spend its treasury again. A holder proposes one of those
actions (cove dao propose); holders vote with the tokens they held at the end of the block
before the proposal; once voting ends, a proposal that met its quorum and threshold waits
out the timelock, then anyone executes it (cove dao execute) and the chain runs it.`,
	}
	cmd.AddCommand(newDAOTransferCmd(g), newDAOProposeCmd(g), newDAOVoteCmd(g),
		newTxCmd(g, "execute PROPOSAL", "Run a passed proposal's action, after its timelock (anyone may)", 1, func(args []string) (func(uint64) chain.Msg, error) {
			id, err := parseProposal(args[0])
			return func(n uint64) chain.Msg { return chain.Execute{Proposal: id, Nonce: n} }, err
		}),
		newDAOShowCmd(g))
	return cmd
}

func parseProposal(s string) (uint64, error) {
	var id uint64
	if _, err := fmt.Sscan(s, &id); err != nil || fmt.Sprint(id) != s {
		return 0, fmt.Errorf("PROPOSAL %q: want a proposal id, a decimal number (cove dao show AGENT lists them)", s)
	}
	return id, nil
}

func newDAOTransferCmd(g *globals) *cobra.Command {
	var quorum, threshold, voting, timelock uint64
	cmd := newTxCmd(g, "transfer AGENT", "Hand your agent to its token's holders, for good", 1, func(args []string) (func(uint64) chain.Msg, error) {
		id, err := cove.ParseAgentID(args[0])
		if err != nil {
			return nil, err
		}
		return func(n uint64) chain.Msg {
			return chain.TransferAgentToDAO{Agent: id, QuorumPPM: quorum, ThresholdPPM: threshold, VotingBlocks: voting, TimelockBlocks: timelock, Nonce: n}
		}, nil
	})
	cmd.Long = `Hand your agent to the holders of its token. This cannot be undone: the agent's owner becomes
its treasury, an address no key controls, and from then on only an executed proposal upgrades
the agent, prices it, sets its free tier or spends its treasury. You keep your tokens.`
	f := cmd.Flags()
	f.Uint64Var(&quorum, "quorum-ppm", 200_000, "the share of the supply (at a proposal's snapshot) that must vote, in millionths")
	f.Uint64Var(&threshold, "threshold-ppm", 500_000, "the share of the votes that must be yes, in millionths (at least 500000)")
	f.Uint64Var(&voting, "voting-blocks", 100, "how many blocks a proposal takes votes")
	f.Uint64Var(&timelock, "timelock-blocks", 50, "how many blocks a passed proposal waits before it may be executed")
	return cmd
}

func newDAOProposeCmd(g *globals) *cobra.Command {
	var (
		from                txFlags
		upgrade, price      string
		freeTier, perCaller uint64
		setFreeTier         bool
		spend, to, describe string
		secrets             secretFlags
		asJSON              bool
		params              bool
		quorum, threshold   uint64
		voting, timelock    uint64
	)
	cmd := &cobra.Command{
		Use:   "propose AGENT (--upgrade PATH | --price AMOUNT | --free-tier N | --spend AMOUNT --to ADDRESS | --params [--quorum-ppm N] [--threshold-ppm N] [--voting-blocks N] [--timelock-blocks N])",
		Short: "Propose an action of an agent's DAO: upgrade its code, price it, set its free tier, spend its treasury, or change the DAO's own parameters",
		Long: `Propose one action of an agent's DAO; you must have held the agent's token at the end of the
block before. The chain tries the action at once and refuses a proposal it would refuse to run
now. The event "proposed" gives the proposal's id, when voting ends and when it may be
executed. --params proposes new quorum, threshold, voting period and timelock for the
proposals made after it runs (those left out take the DAO's values when you propose, so a
parameter change executed in between is undone for them); a proposal keeps the quorum and
threshold it was made with.`,
		Example: `  cove dao propose 0x1234…cdef --upgrade ./agent-v2.ts --description "v2: faster" --from alice
  cove dao propose 0x1234…cdef --spend 1000000000000000000 --to 0xabcd… --from alice
  cove dao propose 0x1234…cdef --params --quorum-ppm 200000 --voting-blocks 100 --from alice`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := cove.ParseAgentID(args[0])
			if err != nil {
				return err
			}
			setFreeTier = cmd.Flags().Changed("free-tier")
			n := 0
			for _, set := range []bool{upgrade != "", price != "", setFreeTier, spend != "", params} {
				if set {
					n++
				}
			}
			if n != 1 {
				return fmt.Errorf("give exactly one action: --upgrade PATH, --price AMOUNT, --free-tier N, --spend AMOUNT --to ADDRESS or --params")
			}
			for _, name := range []string{"quorum-ppm", "threshold-ppm", "voting-blocks", "timelock-blocks"} {
				if cmd.Flags().Changed(name) && !params {
					return fmt.Errorf("--%s goes with --params", name)
				}
			}
			signer, c, ctx, cancel, err := from.open(cmd, g)
			if err != nil {
				return err
			}
			defer cancel()
			var action chain.Msg
			switch {
			case upgrade != "":
				var set map[string]string
				if secrets.given() {
					if set, err = secrets.read(); err != nil {
						return err
					}
				}
				m, err := c.UpgradeMsg(ctx, id, upgrade, set)
				if err != nil {
					return err
				}
				action = m
			case price != "":
				p, ok := new(big.Int).SetString(price, 10)
				if !ok || p.Sign() < 0 {
					return fmt.Errorf("--price %q: want a whole number of base units, 0 for free calls", price)
				}
				action = chain.SetAgentPrice{Agent: id, Price: p}
			case setFreeTier:
				action = chain.SetFreeTier{Agent: id, CallsPerDay: freeTier, PerCaller: perCaller}
			case params:
				d, err := c.DAO(ctx, id)
				if err != nil {
					return err
				}
				m := chain.TransferAgentToDAO{Agent: id, QuorumPPM: d.QuorumPPM, ThresholdPPM: d.ThresholdPPM, VotingBlocks: d.VotingBlocks, TimelockBlocks: d.TimelockBlocks}
				changed := cmd.Flags().Changed
				if changed("quorum-ppm") {
					m.QuorumPPM = quorum
				}
				if changed("threshold-ppm") {
					m.ThresholdPPM = threshold
				}
				if changed("voting-blocks") {
					m.VotingBlocks = voting
				}
				if changed("timelock-blocks") {
					m.TimelockBlocks = timelock
				}
				action = m
			default:
				amt, err := parseUnits("--spend", spend)
				if err != nil {
					return err
				}
				addr, err := cove.ParseAddress(to)
				if err != nil {
					return fmt.Errorf("--to: %w", err)
				}
				action = chain.WithdrawTreasury{Agent: id, To: addr, Amount: amt}
			}
			msg, err := client.ProposeMsg(id, action, describe)
			if err != nil {
				return err
			}
			out, err := c.Send(ctx, signer, msg)
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
	f := cmd.Flags()
	f.StringVar(&upgrade, "upgrade", "", "propose the agent's code at PATH (built and uploaded now)")
	f.StringArrayVar(&secrets.secrets, "secret", nil, "with --upgrade: replace the secrets, NAME=VALUE (repeatable)")
	f.StringVar(&secrets.file, "secrets-file", "", "with --upgrade: replace the secrets from a file")
	f.StringVar(&price, "price", "", "propose this price per call, in base units (0: free)")
	f.Uint64Var(&freeTier, "free-tier", 0, "propose this many free calls a day (0 removes the free tier)")
	f.Uint64Var(&perCaller, "per-caller", 0, "with --free-tier: at most this many by one caller")
	f.StringVar(&spend, "spend", "", "propose paying this many base units from the treasury")
	f.StringVar(&to, "to", "", "with --spend: the account paid")
	f.BoolVar(&params, "params", false, "propose new parameters of the DAO itself (the four flags below; those left out keep their value)")
	f.Uint64Var(&quorum, "quorum-ppm", 0, "with --params: the quorum, in millionths of the snapshot's supply")
	f.Uint64Var(&threshold, "threshold-ppm", 0, "with --params: the yes votes needed, in millionths of the votes (at least 500000)")
	f.Uint64Var(&voting, "voting-blocks", 0, "with --params: the blocks a proposal takes votes")
	f.Uint64Var(&timelock, "timelock-blocks", 0, "with --params: the blocks between the end of voting and execution")
	f.StringVar(&describe, "description", "", "what the proposal is for (at most 1024 bytes)")
	f.BoolVar(&asJSON, "json", false, "print the outcome as JSON")
	return cmd
}

func newDAOVoteCmd(g *globals) *cobra.Command {
	return newTxCmd(g, "vote PROPOSAL yes|no", "Vote on a proposal with the tokens you held at its snapshot", 2, func(args []string) (func(uint64) chain.Msg, error) {
		id, err := parseProposal(args[0])
		if err != nil {
			return nil, err
		}
		if args[1] != "yes" && args[1] != "no" {
			return nil, fmt.Errorf("vote %q: want yes or no", args[1])
		}
		return func(n uint64) chain.Msg { return chain.CastVote{Proposal: id, Support: args[1], Nonce: n} }, nil
	})
}

func newDAOShowCmd(g *globals) *cobra.Command {
	var (
		proposal uint64
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "show [AGENT]",
		Short: "Show an agent's DAO and its proposals, or one proposal (--proposal N)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if cmd.Flags().Changed("proposal") {
				p, err := c.Proposal(cmd.Context(), proposal)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(out, p)
				}
				printProposal(out, p)
				return nil
			}
			if len(args) != 1 {
				return fmt.Errorf("give an AGENT, or --proposal N")
			}
			id, err := cove.ParseAgentID(args[0])
			if err != nil {
				return err
			}
			d, err := c.DAO(cmd.Context(), id)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(out, d)
			}
			fmt.Fprintf(out, "DAO of agent %s (formerly %s's, since block %d)\n", d.Agent, d.FormerOwner, d.Created)
			fmt.Fprintf(out, "  quorum %d ppm, threshold %d ppm, voting %d blocks, timelock %d blocks\n", d.QuorumPPM, d.ThresholdPPM, d.VotingBlocks, d.TimelockBlocks)
			fmt.Fprintf(out, "  treasury %s: %s COVE\n", d.Treasury, formatCOVE(d.TreasuryBalance.Big()))
			if len(d.Proposals) == 0 {
				fmt.Fprintf(out, "  no proposals yet: cove dao propose %s …\n", d.Agent)
			}
			for _, p := range d.Proposals {
				printProposal(out, p)
			}
			return nil
		},
	}
	cmd.Flags().Uint64Var(&proposal, "proposal", 0, "show this proposal")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printProposal(w interface{ Write([]byte) (int, error) }, p chain.ProposalState) {
	fmt.Fprintf(w, "proposal %d: %s, %s\n", p.ID, p.ActionType, p.Status)
	if p.Why != "" {
		fmt.Fprintf(w, "  why       %s\n", p.Why)
	}
	if p.Description != "" {
		fmt.Fprintf(w, "  about     %s\n", p.Description)
	}
	fmt.Fprintf(w, "  action    %s\n", p.Action)
	fmt.Fprintf(w, "  votes     yes %s, no %s of %s tokens at block %d\n", formatCOVE(p.Yes.Big()), formatCOVE(p.No.Big()), formatCOVE(p.SnapshotSupply.Big()), p.Snapshot)
	fmt.Fprintf(w, "  blocks    voting to %d, executable %d to %d\n", p.VotingEnds, p.ExecutableAt, p.Expires)
}
