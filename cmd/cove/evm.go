package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/contracts"
	"github.com/cove-network/cove/contracts/devevm"
	"github.com/cove-network/cove/contracts/evmcall"
	"github.com/ethereum/go-ethereum/common"
)

func newEVMCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evm",
		Short: "Ask agents from EVM contracts through the anchor, and follow requests",
		Long: `The EVM chains the gateway's node bridges (GET /v1/evm): a contract calls
CoveAnchor.request, the node's bridge runs the agent and sends fulfil with the
agent's signed receipt, and the anchor checks it before calling the contract back.
cove dev runs one such chain in-process (JSON-RPC on 127.0.0.1:8545, chain 31337).`,
	}
	cmd.AddCommand(newEVMRequestCmd(g), newEVMStatusCmd(g), newEVMChainsCmd(g))
	return cmd
}

// evmFlags are the flags every evm command shares.
type evmFlags struct {
	chain string
}

func (f *evmFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.chain, "chain", "", "the EVM chain's name in GET /v1/evm (default: the only one, or \"dev\")")
}

// pick returns the chain named f.chain among those the gateway bridges.
func (f *evmFlags) pick(ctx context.Context, g *globals) (api.EVMChain, error) {
	c, err := g.client()
	if err != nil {
		return api.EVMChain{}, err
	}
	chains, err := c.EVM(ctx)
	if err != nil {
		return api.EVMChain{}, err
	}
	if len(chains) == 0 {
		return api.EVMChain{}, fmt.Errorf("the node at %s bridges no EVM chain (cove dev runs one unless --no-evm)", g.gateway)
	}
	names := make([]string, 0, len(chains))
	for _, ch := range chains {
		if ch.Name == f.chain || (f.chain == "" && (len(chains) == 1 || ch.Name == "dev")) {
			if ch.RPC == "" {
				return api.EVMChain{}, fmt.Errorf("EVM chain %q has no JSON-RPC URL the CLI can reach", ch.Name)
			}
			return ch, nil
		}
		names = append(names, ch.Name)
	}
	return api.EVMChain{}, fmt.Errorf("no EVM chain %q: the node bridges %s (use --chain)", f.chain, strings.Join(names, ", "))
}

func newEVMChainsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "chains",
		Short: "List the EVM chains the node bridges (GET /v1/evm)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			chains, err := c.EVM(cmd.Context())
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), map[string]any{"chains": chains})
		},
	}
}

func newEVMRequestCmd(g *globals) *cobra.Command {
	var (
		f           evmFlags
		agentFlag   string
		path, body  string
		consumerHex string
		from        string
		callbackGas uint32
		timeout     time.Duration
		asJSON      bool
	)
	cmd := &cobra.Command{
		Use:   "request --agent ID --path P [--body B]",
		Short: "Send a request through an example consumer contract and wait for the answer",
		Long: `Send a request to an agent from the EVM: through the consumer contract that asks
the agent (cove dev's example, a --consumer you name, or, for any other agent, a
PriceConsumer this command deploys first), with the anchor's fee as value. Then wait
until the bridge fulfils it and print the status, the response, the blocks waited
and the gas of the request and of the fulfilment.

On cove dev's chain (31337) it sends from development account 0 of the "test test
... junk" mnemonic unless --from names a key of the keystore; on other chains --from
is required.`,
		Example: `  cove evm request --agent 0x… --path /price --body ETH-USD
  cove evm request --agent 0x… --path /approve --consumer 0x… --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			agent, err := cove.ParseAgentID(agentFlag)
			if err != nil {
				return fmt.Errorf("--agent: %w", err)
			}
			ch, err := f.pick(ctx, g)
			if err != nil {
				return err
			}
			key, err := evmKey(from, ch.ChainID)
			if err != nil {
				return err
			}
			evm, err := evmcall.Dial(ctx, ch.RPC)
			if err != nil {
				return err
			}
			progress := cmd.ErrOrStderr()
			consumer, err := chooseConsumer(ctx, evm, key, ch, agent, consumerHex, progress)
			if err != nil {
				return err
			}
			fee, ok := new(big.Int).SetString(ch.Fee, 10)
			if !ok {
				return fmt.Errorf("the node reports no fee for chain %q yet; retry in a moment", ch.Name)
			}
			asked, err := evmcall.Ask(ctx, evm, key, consumer, common.Address(ch.Anchor), path, []byte(body), callbackGas, fee)
			if err != nil {
				return err
			}
			fmt.Fprintf(progress, "request %s sent in block %d (tx %s); waiting for the bridge…\n", asked.ID, asked.Block, asked.Tx)
			wctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			ans, err := evmcall.Wait(wctx, evm, common.Address(ch.Anchor), asked.ID, asked.Block)
			if err != nil {
				return fmt.Errorf("%w (see `cove evm status %s`)", err, asked.ID)
			}
			return printAnswer(cmd.OutOrStdout(), asJSON, asked, ans)
		},
	}
	fl := cmd.Flags()
	f.add(cmd)
	fl.StringVar(&agentFlag, "agent", "", "the agent's id (0x + 64 hex digits)")
	fl.StringVar(&path, "path", "/", "the path the agent is called with (POST)")
	fl.StringVar(&body, "body", "", "the request's body")
	fl.StringVar(&consumerHex, "consumer", "", "a consumer contract (PriceConsumer-style: ask(path, body, gas)) to send through")
	fl.StringVar(&from, "from", "", "the keystore key that sends the request (default on chain 31337: development account 0)")
	fl.Uint32Var(&callbackGas, "callback-gas", 3_000_000, "gas for the consumer's callback (storing a 4 KB answer takes ~3M)")
	fl.DurationVar(&timeout, "timeout", 2*time.Minute, "how long to wait for the fulfilment")
	fl.BoolVar(&asJSON, "json", false, "print the answer as JSON")
	_ = cmd.MarkFlagRequired("agent")
	return cmd
}

// chooseConsumer returns the consumer to send through: the one named, the
// chain's example that asks agent, or a PriceConsumer deployed for it.
func chooseConsumer(ctx context.Context, evm evmcall.Client, key contracts.Signer, ch api.EVMChain, agent cove.AgentID, named string, progress io.Writer) (common.Address, error) {
	if named != "" {
		if !common.IsHexAddress(named) {
			return common.Address{}, fmt.Errorf("--consumer %q is not an address", named)
		}
		at := common.HexToAddress(named)
		asks, err := evmcall.ConsumerAgent(ctx, evm, at)
		if err != nil {
			return common.Address{}, err
		}
		if asks != agent {
			return common.Address{}, fmt.Errorf("consumer %s asks agent %s, not %s", at, asks, agent)
		}
		return at, nil
	}
	// An example consumer that asks this agent (each has ask(path, body,
	// gas), as PriceConsumer).
	for _, name := range devevm.Examples {
		if name != devevm.ExampleVault && ch.ExampleAgents[name] == agent {
			return common.Address(ch.Examples[name]), nil
		}
	}
	fmt.Fprintf(progress, "deploying a PriceConsumer for agent %s…\n", agent)
	at, err := evmcall.DeployConsumer(ctx, evm, key, common.Address(ch.Anchor), agent)
	if err != nil {
		return common.Address{}, err
	}
	fmt.Fprintf(progress, "consumer %s (reuse it with --consumer %s)\n", at, at)
	return at, nil
}

// evmKey is the key that sends EVM transactions: a keystore key, or on the
// dev chain development account 0.
func evmKey(from string, chainID uint64) (contracts.Signer, error) {
	if from != "" {
		st, err := account.Open(account.KeysDir(account.Home()))
		if err != nil {
			return nil, err
		}
		return st.Signer(from, "")
	}
	if chainID != devevm.DefaultConfig().ChainID {
		return nil, fmt.Errorf("chain %d is not cove dev's: name the sending key with --from", chainID)
	}
	accts, err := devevm.DevAccounts()
	if err != nil {
		return nil, err
	}
	return contracts.KeySigner(accts[0].Key), nil
}

// printAnswer prints a fulfilment.
func printAnswer(out io.Writer, asJSON bool, asked evmcall.Asked, ans evmcall.Answer) error {
	text := utf8.Valid(ans.Response)
	if asJSON {
		resp := map[string]any{
			"requestId": asked.ID.String(), "status": ans.Status, "callbackSucceeded": ans.CallbackSucceeded,
			"requestBlock": asked.Block, "fulfilBlock": ans.Block, "blocksWaited": ans.Block - asked.Block,
			"requestGas": asked.Gas, "fulfilGas": ans.Gas, "fulfilTx": ans.Tx.Hex(), "relayer": ans.Relayer.Hex(),
			"codeHash": ans.CodeHash, "consumer": asked.Consumer.Hex(),
		}
		if text {
			resp["response"] = string(ans.Response)
		} else {
			resp["responseHex"] = "0x" + hex.EncodeToString(ans.Response)
		}
		return printJSON(out, resp)
	}
	fmt.Fprintf(out, "request    %s (consumer %s)\n", asked.ID, asked.Consumer)
	fmt.Fprintf(out, "status     %d (callback %s)\n", ans.Status, map[bool]string{true: "succeeded", false: "failed"}[ans.CallbackSucceeded])
	if text {
		fmt.Fprintf(out, "response   %s\n", ans.Response)
	} else {
		fmt.Fprintf(out, "response   0x%x\n", ans.Response)
	}
	fmt.Fprintf(out, "blocks     %d waited (requested in %d, fulfilled in %d)\n", ans.Block-asked.Block, asked.Block, ans.Block)
	fmt.Fprintf(out, "gas        request %d, fulfil %d (tx %s by %s)\n", asked.Gas, ans.Gas, ans.Tx, ans.Relayer)
	return nil
}

func newEVMStatusCmd(g *globals) *cobra.Command {
	var (
		f         evmFlags
		asJSON    bool
		fromBlock uint64
	)
	cmd := &cobra.Command{
		Use:   "status REQUEST_ID",
		Short: "Say where a request is on the anchor: pending, fulfilled (with the answer) or cancelled",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id, ok := new(big.Int).SetString(args[0], 10)
			if !ok || id.Sign() <= 0 {
				return fmt.Errorf("request id %q: want a positive decimal number", args[0])
			}
			ch, err := f.pick(ctx, g)
			if err != nil {
				return err
			}
			evm, err := evmcall.Dial(ctx, ch.RPC)
			if err != nil {
				return err
			}
			ans, state, err := evmcall.Status(ctx, evm, common.Address(ch.Anchor), id, fromBlock)
			if err != nil {
				return err
			}
			if state != evmcall.StateFulfilled {
				if asJSON {
					return printJSON(cmd.OutOrStdout(), map[string]any{"requestId": id.String(), "state": state})
				}
				fmt.Fprintf(cmd.OutOrStdout(), "request %s: %s\n", id, state)
				return nil
			}
			if asJSON {
				out := map[string]any{
					"requestId": id.String(), "state": state, "status": ans.Status, "callbackSucceeded": ans.CallbackSucceeded,
					"fulfilBlock": ans.Block, "fulfilGas": ans.Gas, "fulfilTx": ans.Tx.Hex(),
				}
				if utf8.Valid(ans.Response) {
					out["response"] = string(ans.Response)
				} else {
					out["responseHex"] = "0x" + hex.EncodeToString(ans.Response)
				}
				return printJSON(cmd.OutOrStdout(), out)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "request %s: fulfilled in block %d with status %d (callback %s, gas %d, tx %s)\n",
				id, ans.Block, ans.Status, map[bool]string{true: "succeeded", false: "failed"}[ans.CallbackSucceeded], ans.Gas, ans.Tx)
			if utf8.Valid(ans.Response) {
				fmt.Fprintf(cmd.OutOrStdout(), "response %s\n", ans.Response)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "response 0x%x\n", ans.Response)
			}
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().Uint64Var(&fromBlock, "from-block", 0, "look for the fulfilment from this block on (public RPC providers limit how many blocks a log query spans)")
	return cmd
}
