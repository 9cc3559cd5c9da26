package node

import (
	"context"
	"crypto/ecdsa"
	"embed"
	"fmt"
	"log/slog"
	"maps"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/blob/cid"
	"github.com/cove-network/cove/bridge"
	agentbundle "github.com/cove-network/cove/bundle"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/contracts/devevm"
	"github.com/cove-network/cove/ethsig"
	"github.com/cove-network/cove/worker"
	"github.com/ethereum/go-ethereum/common"
)

// BridgeConfig is the bridge role's section of cove.toml: the EVM chains it
// serves.
type BridgeConfig struct {
	Chains []BridgeChain `toml:"chains"`
}

// BridgeChain is one EVM chain the bridge serves ([[bridge.chains]]).
type BridgeChain struct {
	Name    string `toml:"name"`
	RPC     string `toml:"rpc"`
	ChainID uint64 `toml:"chain_id"`
	Anchor  string `toml:"anchor"`
	// RelayerKey is the keystore file (NAME.json, no passphrase, as `cove
	// keys new` writes) of the account that pays for fulfilments.
	RelayerKey    string        `toml:"relayer_key"`
	Confirmations uint64        `toml:"confirmations"`
	PollInterval  time.Duration `toml:"poll_interval"`
	StartBlock    uint64        `toml:"start_block"`
	RepriceAfter  time.Duration `toml:"reprice_after"`
	// MaxFeeCapGwei bounds re-pricing (0: the bridge's default, 1000 gwei).
	MaxFeeCapGwei uint64 `toml:"max_fee_cap_gwei"`
	// MaxCallbackGas bounds the callback gas of requests this relayer
	// pays for (0: the bridge's default, 5,000,000).
	MaxCallbackGas uint32 `toml:"max_callback_gas"`
}

// DevEVMConfig is cove dev's in-process EVM ([dev_evm]): go-ethereum's
// simulated backend with Cove's anchor and the example consumers deployed,
// bridged to this node's worker.
type DevEVMConfig struct {
	Enabled bool `toml:"enabled"`
	// RPCAddr serves standard JSON-RPC (empty: in-process only).
	RPCAddr   string        `toml:"rpc_addr"`
	BlockTime time.Duration `toml:"block_time"`
}

// DefaultDevEVM is cove dev's EVM: Hardhat's and Anvil's address and chain
// id, a block a second.
func DefaultDevEVM() DevEVMConfig {
	d := devevm.DefaultConfig()
	return DevEVMConfig{Enabled: true, RPCAddr: d.RPCAddr, BlockTime: d.BlockTime}
}

// Development accounts beyond the ten that wallets show, derived from the
// same mnemonic: the dev anchor's owner and the dev bridge's relayer, so
// that neither shares a nonce with a user's account 0 to 9.
const (
	devOwnerIndex   = 10
	devRelayerIndex = 11
)

//go:embed devagents/*.js
var devAgents embed.FS

// devExampleAgents are the example consumers of the dev EVM and the
// embedded agent each asks.
var devExampleAgents = map[string]string{
	devevm.ExamplePrice: "devagents/price.js",
	devevm.ExampleAI:    "devagents/ai.js",
	devevm.ExampleVault: "devagents/approve.js",
}

// devAgent is an example agent cove dev deploys at start.
type devAgent struct {
	name string // the example's name: price, ai, vault
	code []byte
	id   cove.AgentID
}

// devEVM is cove dev's EVM and what goes with it: the example agents on the
// Cove chain and the anchor's trust in the Cove chain's epoch signers.
type devEVM struct {
	chain  *devevm.Chain
	owner  *ecdsa.PrivateKey
	agents []devAgent
	log    *slog.Logger
}

// openDevEVM builds the example agents (their ids follow from the
// operator's address and their code, salt zero) and starts the dev EVM
// with the examples asking them.
func openDevEVM(cfg DevEVMConfig, dir string, operator cove.Address, log *slog.Logger) (*devEVM, error) {
	d := &devEVM{log: log}
	ids := map[string]cove.AgentID{}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("dev evm: %w", err)
	}
	for _, name := range slices.Sorted(maps.Keys(devExampleAgents)) {
		src, err := devAgents.ReadFile(devExampleAgents[name])
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, "evm-"+name+".js")
		if err := os.WriteFile(path, src, 0o600); err != nil {
			return nil, fmt.Errorf("dev evm: %w", err)
		}
		b, err := agentbundle.Build(path)
		if err != nil {
			return nil, fmt.Errorf("dev evm: example agent %s: %w", name, err)
		}
		id := cove.DeriveAgentID(operator, cove.SHA256(b.Code), cove.Hash{})
		d.agents = append(d.agents, devAgent{name: name, code: b.Code, id: id})
		ids[name] = id
	}
	var err error
	if d.owner, err = devevm.DeriveKey(devevm.Mnemonic, "", devOwnerIndex); err != nil {
		return nil, err
	}
	relayer, err := devevm.DeriveKey(devevm.Mnemonic, "", devRelayerIndex)
	if err != nil {
		return nil, err
	}
	ec := devevm.DefaultConfig()
	ec.RPCAddr, ec.BlockTime, ec.Owner, ec.Agents = cfg.RPCAddr, cfg.BlockTime, d.owner, ids
	ec.Fund = []common.Address{common.Address(operator), common.Address(ethsig.Address(&relayer.PublicKey))}
	if d.chain, err = devevm.Start(context.Background(), ec); err != nil {
		return nil, fmt.Errorf("dev evm: %w", err)
	}
	return d, nil
}

// bridgeChain is the bridge's view of the dev EVM: in-process, no
// confirmations, polled often so that a request is answered in the block
// after its own.
func (d *devEVM) bridgeChain() (bridge.ChainConfig, error) {
	relayer, err := devevm.DeriveKey(devevm.Mnemonic, "", devRelayerIndex)
	if err != nil {
		return bridge.ChainConfig{}, err
	}
	return bridge.ChainConfig{
		Name: "dev", RPC: d.chain.URL(), Client: d.chain.Client(), ChainID: d.chain.ChainID().Uint64(),
		Anchor: d.chain.Anchor(), Key: bridge.KeySigner(relayer), PollInterval: 50 * time.Millisecond,
	}, nil
}

// deployAgents deploys the example agents on the Cove chain (once: a
// restarted dev node finds them there), storing their bundles first.
func (d *devEVM) deployAgents(ctx context.Context, n *Node) error {
	for _, a := range d.agents {
		if _, err := n.validator.View().Agent(a.id); err == nil {
			continue
		}
		c, err := n.blobs.Put(a.code)
		if err != nil {
			return err
		}
		m := chain.DeployAgent{Name: "evm-" + a.name, CID: c, CodeHash: cove.SHA256(a.code)}
		if c != cid.Of(a.code) {
			return fmt.Errorf("blob store named %s %s, want %s", a.name, c, cid.Of(a.code))
		}
		out, err := n.sender.Send(ctx, func(nonce uint64) chain.Msg { m.Nonce = nonce; return m })
		if err != nil {
			return fmt.Errorf("deploying example agent %s: %w", a.name, err)
		}
		if out.Code != chain.CodeOK && out.Code != chain.CodeExists {
			return fmt.Errorf("deploying example agent %s: %s", a.name, out.Log)
		}
		d.log.Info("example agent deployed", "example", a.name, "agent", a.id)
	}
	return nil
}

// trustEpochs makes the anchor trust each Cove key epoch's EVM signer as
// the Cove chain publishes it (setEpochSigner by the anchor's owner): on a
// development chain the node owns the anchor; on a real one the owner
// decides.
func (d *devEVM) trustEpochs(ctx context.Context, v func() chain.View) error {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		for _, ep := range v().Epochs() {
			if ep.Signer == nil {
				continue
			}
			changed, err := d.chain.TrustEpochSigner(ctx, ep.Epoch, common.Address(*ep.Signer))
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			if changed {
				d.log.Info("dev anchor trusts the epoch's signer", "epoch", ep.Epoch, "signer", *ep.Signer)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// coveForBridge is the Cove network as the bridge sees it on a node: the
// node's worker and chain view.
type coveForBridge struct {
	w *worker.Server
	v func() chain.View
}

// Invoke runs a relayed request's call. A priced agent's calls are paid
// with a voucher (ADR 23), which an EVM request does not carry: the bridge
// refuses them (402) rather than run them unpaid, so the EVM contract is
// no way around an agent's price. (The relay retries, then leaves the
// request stuck for its consumer to cancel.)
func (c coveForBridge) Invoke(ctx context.Context, id cove.AgentID, call cove.Call) (*cove.Response, error) {
	if a, err := c.Agent(id); err == nil && a.Price != nil {
		return nil, &cove.Error{Status: http.StatusPaymentRequired, Code: api.CodePaymentRequired,
			Message: "agent " + id.String() + " costs " + a.Price.String() + " base units per call, and the EVM bridge does not pay for calls: its requests are not answered"}
	}
	return c.w.Invoke(ctx, id, call)
}

func (c coveForBridge) Agent(id cove.AgentID) (cove.Agent, error) {
	rec, err := c.v().Agent(id)
	if err != nil {
		return cove.Agent{}, err
	}
	return rec.Agent(), nil
}

// bridgeChains turns the [bridge] section into the bridge's configuration.
func bridgeChains(cfg BridgeConfig) ([]bridge.ChainConfig, error) {
	var out []bridge.ChainConfig
	for _, c := range cfg.Chains {
		if !common.IsHexAddress(c.Anchor) {
			return nil, fmt.Errorf("bridge chain %q: anchor %q is not an address", c.Name, c.Anchor)
		}
		key, err := openOperator(c.RelayerKey)
		if err != nil {
			return nil, fmt.Errorf("bridge chain %q: relayer_key: %w", c.Name, err)
		}
		cc := bridge.ChainConfig{
			Name: c.Name, RPC: c.RPC, ChainID: c.ChainID, Anchor: common.HexToAddress(c.Anchor), Key: key,
			Confirmations: c.Confirmations, PollInterval: c.PollInterval, StartBlock: c.StartBlock, RepriceAfter: c.RepriceAfter,
			MaxCallbackGas: c.MaxCallbackGas,
		}
		if c.MaxFeeCapGwei > 0 {
			cc.MaxFeeCap = new(big.Int).Mul(new(big.Int).SetUint64(c.MaxFeeCapGwei), big.NewInt(1e9))
		}
		out = append(out, cc)
	}
	return out, nil
}

// evmInfo is what GET /v1/evm shows of the node's bridge.
type evmInfo struct {
	b   *bridge.Bridge
	dev *devEVM
}

func (e evmInfo) EVMChains(ctx context.Context) []api.EVMChain {
	var out []api.EVMChain
	for _, s := range e.b.Status() {
		c := api.EVMChain{
			Name: s.Name, ChainID: s.ChainID, RPC: s.RPC, Anchor: cove.Address(s.Anchor), Relayer: cove.Address(s.Relayer),
			Fee:    fmtWei(s.Fee),
			Bridge: api.BridgeStatus{Head: s.Head, Scanned: s.Scanned, InFlight: s.InFlight, Fulfilled: s.Fulfilled, LastError: s.LastError, Requests: []api.EVMRequest{}},
		}
		for _, q := range s.Requests {
			c.Bridge.Requests = append(c.Bridge.Requests, api.EVMRequest{ID: q.ID, Agent: q.Agent, Stage: q.Stage, Block: q.Block, Mined: q.Mined,
				Status: q.Status, Tx: q.Tx, Attempts: q.Attempts, LastError: q.LastError, SeenAt: q.SeenAt})
		}
		if e.dev != nil && s.Name == "dev" {
			c.Examples, c.ExampleAgents = e.dev.examples()
		}
		out = append(out, c)
	}
	return out
}

// fmtWei is x in decimal, "" when unknown.
func fmtWei(x *big.Int) string {
	if x == nil {
		return ""
	}
	return x.String()
}

// EVM describes cove dev's EVM (nil when the node runs none): its RPC URL,
// chain id, anchor and examples, as GET /v1/evm shows them.
func (n *Node) EVM() *api.EVMChain {
	if n.dev == nil {
		return nil
	}
	c := api.EVMChain{Name: "dev", ChainID: n.dev.chain.ChainID().Uint64(), RPC: n.dev.chain.URL(), Anchor: cove.Address(n.dev.chain.Anchor())}
	c.Examples, c.ExampleAgents = n.dev.examples()
	return &c
}

// WaitDevEVM waits until cove dev's example agents are on the Cove chain
// with their attestor grants (what the bridge registers them with), or ctx
// ends. Without a dev EVM it returns at once.
func (n *Node) WaitDevEVM(ctx context.Context) error {
	if n.dev == nil {
		return nil
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		ready := true
		for _, a := range n.dev.agents {
			if rec, err := n.validator.View().Agent(a.id); err != nil || len(rec.AttestorGrant) == 0 {
				ready = false
				break
			}
		}
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// examples lists the dev EVM's example consumers and their agents.
func (d *devEVM) examples() (map[string]cove.Address, map[string]cove.AgentID) {
	at, agents := map[string]cove.Address{}, map[string]cove.AgentID{}
	for _, a := range d.agents {
		if addr, ok := d.chain.Example(a.name); ok {
			at[a.name], agents[a.name] = cove.Address(addr), a.id
		}
	}
	return at, agents
}
