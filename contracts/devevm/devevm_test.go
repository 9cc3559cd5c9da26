package devevm

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/contracts"
	"github.com/cove-network/cove/ethsig"
	"github.com/cove-network/cove/internal/testport"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/receipt"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

const (
	testFee     = 1_000_000_000_000_000 // 0.001 ether
	testEpoch   = 3
	callbackGas = 4_000_000
	blockTime   = 200 * time.Millisecond
)

// harness is a running dev chain whose anchor trusts a test epoch signer
// that registered the price agent's attestor.
type harness struct {
	t        *testing.T
	chain    *Chain
	owner    *ecdsa.PrivateKey
	extra    common.Address // funded through Config.Fund
	agents   map[string]cove.AgentID
	attestor *keys.Attestor // the price agent's
	anchor   *contracts.CoveAnchor
	relayer  *bind.TransactOpts // development account 1, in-process
}

func start(t *testing.T) *harness {
	t.Helper()
	owner, _ := crypto.GenerateKey()
	extra, _ := crypto.GenerateKey()
	master, err := keys.MasterFromBytes(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, owner: owner, extra: crypto.PubkeyToAddress(extra.PublicKey), agents: map[string]cove.AgentID{
		ExamplePrice: cove.AgentID(cove.SHA256([]byte("price-oracle"))),
		ExampleAI:    cove.AgentID(cove.SHA256([]byte("ai"))),
		ExampleVault: cove.AgentID(cove.SHA256([]byte("approver"))),
	}}
	h.attestor = master.Cluster(keys.DefaultCluster).Agent(h.agents[ExamplePrice]).Attestor()

	cfg := DefaultConfig()
	cfg.RPCAddr = testport.Addr(t)
	cfg.BlockTime = blockTime
	cfg.Owner = owner
	cfg.Fund = []common.Address{h.extra}
	cfg.Fee = big.NewInt(testFee)
	cfg.Agents = h.agents
	began := time.Now()
	h.chain, err = Start(t.Context(), cfg)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Logf("devevm started in %s", time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := h.chain.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if h.anchor, err = contracts.NewCoveAnchor(h.chain.Anchor(), h.chain.Client()); err != nil {
		t.Fatal(err)
	}
	if h.relayer, err = bind.NewKeyedTransactorWithChainID(h.chain.Accounts()[1].Key, h.chain.ChainID()); err != nil {
		t.Fatal(err)
	}
	ownerOpts, err := bind.NewKeyedTransactorWithChainID(owner, h.chain.ChainID())
	if err != nil {
		t.Fatal(err)
	}

	// The anchor trusts a test epoch signer, whose grant registers the
	// price agent's attestor.
	epochKey, _ := crypto.GenerateKey()
	tx, err := h.anchor.SetEpochSigner(ownerOpts, testEpoch, crypto.PubkeyToAddress(epochKey.PublicKey))
	h.mined(h.chain.Client(), tx, err)
	agent := h.agents[ExamplePrice]
	tx, err = h.anchor.RegisterAttestor(h.relayer, agent, common.Address(h.attestor.Address()), testEpoch, grant(t, epochKey, agent, h.attestor.Address(), testEpoch))
	h.mined(h.chain.Client(), tx, err)
	return h
}

// grant signs AttestorGrant(agent, attestor, epoch) with key (EIP-712,
// domain {name: "Cove", version: "1"}; docs/PROTOCOL.md, "EVM anchor").
func grant(t *testing.T, key *ecdsa.PrivateKey, agent cove.AgentID, attestor cove.Address, epoch uint64) []byte {
	t.Helper()
	domain := cove.Keccak256(
		crypto.Keccak256([]byte("EIP712Domain(string name,string version)")),
		crypto.Keccak256([]byte("Cove")), crypto.Keccak256([]byte("1")))
	var addr, ep [32]byte
	copy(addr[12:], attestor[:])
	new(big.Int).SetUint64(epoch).FillBytes(ep[:])
	structHash := cove.Keccak256(crypto.Keccak256([]byte("AttestorGrant(bytes32 agent,address attestor,uint64 epoch)")), agent[:], addr[:], ep[:])
	sig, err := ethsig.Sign(key, cove.Keccak256([]byte("\x19\x01"), domain[:], structHash[:]))
	if err != nil {
		t.Fatal(err)
	}
	return sig[:]
}

// mined waits (through client) for tx, sent with error err, to be sealed
// by the chain's own block loop, and fails the test unless it succeeded.
func (h *harness) mined(client ethereum.TransactionReader, tx *types.Transaction, err error) *types.Receipt {
	h.t.Helper()
	if err != nil {
		h.t.Fatalf("send transaction: %v", err)
	}
	ctx, cancel := context.WithTimeout(h.t.Context(), 20*time.Second)
	defer cancel()
	for {
		r, err := client.TransactionReceipt(ctx, tx.Hash())
		if err == nil {
			if r.Status != types.ReceiptStatusSuccessful {
				h.t.Fatalf("transaction %s reverted", tx.Hash())
			}
			return r
		}
		if !errors.Is(err, ethereum.NotFound) {
			h.t.Fatalf("receipt of %s: %v", tx.Hash(), err)
		}
		select {
		case <-ctx.Done():
			h.t.Fatalf("transaction %s not sealed: %v", tx.Hash(), ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// fulfil answers request id of the price consumer (path, body) with
// response, in a version-1 receipt of the agent's attestor, sent by the
// relayer; it returns the transaction's receipt.
func (h *harness) fulfil(id *big.Int, path string, body, response []byte) *types.Receipt {
	h.t.Helper()
	agent := h.agents[ExamplePrice]
	r := cove.Receipt{
		Version:      cove.ReceiptV1,
		Agent:        agent,
		CodeHash:     cove.SHA256([]byte("price bundle")),
		RequestHash:  contracts.RequestHash(h.chain.ChainID(), cove.Address(h.chain.Anchor()), agent, path, body, id),
		Status:       200,
		ResponseHash: cove.SHA256(response),
		Timestamp:    uint64(time.Now().Unix()),
	}
	signed, err := receipt.Sign(h.attestor, r)
	if err != nil {
		h.t.Fatal(err)
	}
	tx, err := h.anchor.Fulfil(h.relayer, id, contracts.Receipt{
		Agent: r.Agent, CodeHash: r.CodeHash, RequestHash: r.RequestHash, Status: r.Status,
		ResponseHash: r.ResponseHash, Timestamp: r.Timestamp,
	}, response, signed.Signature[:])
	rc := h.mined(h.chain.Client(), tx, err)
	for _, l := range rc.Logs {
		if ev, err := h.anchor.ParseCoveFulfilled(*l); err == nil {
			if !ev.CallbackSucceeded || ev.RequestId.Cmp(id) != 0 {
				h.t.Fatalf("CoveFulfilled(%v, %d, callbackSucceeded %v), want request %v's callback to succeed", ev.RequestId, ev.Status, ev.CallbackSucceeded, id)
			}
			return rc
		}
	}
	h.t.Fatal("no CoveFulfilled event")
	return nil
}

// TestChain drives the chain over its HTTP JSON-RPC: chain and network
// id, blocks every BlockTime, funded accounts, the deployed anchor and
// examples, and a request from development account 0 through
// PriceConsumer, fulfilled with a signed receipt and read back.
func TestChain(t *testing.T) {
	h := start(t)
	ctx := t.Context()
	rc, err := rpc.DialContext(ctx, h.chain.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rc.Close)
	client := ethclient.NewClient(rc)

	if id, err := client.ChainID(ctx); err != nil || id.Uint64() != 31337 {
		t.Fatalf("eth_chainId = %v, %v; want 31337", id, err)
	}
	var netVersion string
	if err := rc.CallContext(ctx, &netVersion, "net_version"); err != nil || netVersion != "31337" {
		t.Fatalf("net_version = %q, %v; want 31337", netVersion, err)
	}

	t.Run("blocks", func(t *testing.T) {
		first, err := client.HeaderByNumber(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		want := first.Number.Uint64() + 3
		deadline := time.Now().Add(20 * blockTime)
		var head *types.Header
		for {
			if head, err = client.HeaderByNumber(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if head.Number.Uint64() >= want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("head at %d after %s, want %d (a block every %s)", head.Number, 20*blockTime, want, blockTime)
			}
			time.Sleep(blockTime / 4)
		}
		// Three blocks need at least two intervals between seals: blocks
		// come no faster than BlockTime.
		if n, elapsed := head.Number.Uint64()-first.Number.Uint64(), time.Since(began); elapsed < time.Duration(n-1)*blockTime {
			t.Fatalf("%d blocks in %s, faster than one every %s", n, elapsed, blockTime)
		}
		if head.Time <= first.Time {
			t.Fatalf("block time %d not after %d", head.Time, first.Time)
		}
	})

	t.Run("accounts", func(t *testing.T) {
		accts := h.chain.Accounts()
		if len(accts) != NumAccounts {
			t.Fatalf("%d accounts, want %d", len(accts), NumAccounts)
		}
		// Accounts 2-9 and the extra one have sent nothing; account 0
		// deployed the examples, account 1 registered the attestor and
		// the owner deployed the anchor.
		untouched := []common.Address{h.extra}
		for _, a := range accts[2:] {
			untouched = append(untouched, a.Address)
		}
		for _, a := range untouched {
			bal, err := client.BalanceAt(ctx, a, nil)
			if err != nil {
				t.Fatal(err)
			}
			if bal.Cmp(Balance) != 0 {
				t.Errorf("balance of %s = %v, want %v", a, bal, Balance)
			}
		}
		for _, a := range []common.Address{accts[0].Address, accts[1].Address, crypto.PubkeyToAddress(h.owner.PublicKey)} {
			bal, err := client.BalanceAt(ctx, a, nil)
			if err != nil {
				t.Fatal(err)
			}
			if spent := new(big.Int).Sub(Balance, bal); spent.Sign() <= 0 || spent.Cmp(big.NewInt(1e17)) > 0 {
				t.Errorf("%s spent %v wei of its %v, want some gas", a, spent, Balance)
			}
		}
	})

	t.Run("deployed", func(t *testing.T) {
		anchor, err := contracts.NewCoveAnchor(h.chain.Anchor(), client)
		if err != nil {
			t.Fatal(err)
		}
		if fee, err := anchor.Fee(&bind.CallOpts{Context: ctx}); err != nil || fee.Cmp(big.NewInt(testFee)) != 0 {
			t.Fatalf("anchor fee() = %v, %v; want %d", fee, err, testFee)
		}
		if owner, err := anchor.Owner(&bind.CallOpts{Context: ctx}); err != nil || owner != crypto.PubkeyToAddress(h.owner.PublicKey) {
			t.Fatalf("anchor owner() = %s, %v; want the configured owner", owner, err)
		}
		for _, name := range Examples {
			at, ok := h.chain.Example(name)
			if !ok {
				t.Fatalf("example %q not deployed", name)
			}
			var got [32]byte
			switch name {
			case ExamplePrice:
				c, _ := contracts.NewPriceConsumer(at, client)
				got, err = c.Agent(&bind.CallOpts{Context: ctx})
				if owner, _ := c.Owner(&bind.CallOpts{Context: ctx}); owner != h.chain.Accounts()[0].Address {
					t.Errorf("PriceConsumer owner %s, want account 0", owner)
				}
			case ExampleAI:
				c, _ := contracts.NewAIConsumer(at, client)
				got, err = c.Agent(&bind.CallOpts{Context: ctx})
			case ExampleVault:
				c, _ := contracts.NewApprovalVault(at, client)
				got, err = c.Agent(&bind.CallOpts{Context: ctx})
			}
			if err != nil || got != h.agents[name] {
				t.Errorf("example %q asks agent %x (%v), want %s", name, got, err, h.agents[name])
			}
		}
		if _, ok := h.chain.Example("nope"); ok {
			t.Fatal(`Example("nope") found`)
		}
	})

	t.Run("request", func(t *testing.T) {
		at, _ := h.chain.Example(ExamplePrice)
		consumer, err := contracts.NewPriceConsumer(at, client) // over HTTP
		if err != nil {
			t.Fatal(err)
		}
		if tip, err := client.SuggestGasTipCap(ctx); err != nil || tip.Sign() <= 0 {
			t.Fatalf("eth_maxPriorityFeePerGas = %v, %v", tip, err)
		}
		if fh, err := client.FeeHistory(ctx, 4, nil, []float64{50}); err != nil || len(fh.BaseFee) == 0 {
			t.Fatalf("eth_feeHistory = %+v, %v", fh, err)
		}
		from, err := bind.NewKeyedTransactorWithChainID(h.chain.Accounts()[0].Key, h.chain.ChainID())
		if err != nil {
			t.Fatal(err)
		}
		from.Value = big.NewInt(testFee)
		from.Context = ctx
		body := []byte(`{"pair":"ETH-USD"}`)
		// eth_estimateGas, eth_getTransactionCount, eth_sendRawTransaction.
		tx, err := consumer.Ask(from, "/price", body, callbackGas)
		r := h.mined(client, tx, err) // eth_getTransactionReceipt
		var id *big.Int
		for _, l := range r.Logs {
			if ev, err := h.anchor.ParseCoveRequest(*l); err == nil {
				id = ev.RequestId
			}
		}
		if id == nil {
			t.Fatal("no CoveRequest in the receipt")
		}
		// eth_getLogs.
		httpAnchor, _ := contracts.NewCoveAnchor(h.chain.Anchor(), client)
		it, err := httpAnchor.FilterCoveRequest(&bind.FilterOpts{Start: 0, Context: ctx}, nil, nil, []common.Address{at})
		if err != nil {
			t.Fatal(err)
		}
		var logged int
		for it.Next() {
			logged++
			if it.Event.RequestId.Cmp(id) != 0 || it.Event.Path != "/price" || !bytes.Equal(it.Event.Body, body) {
				t.Fatalf("eth_getLogs gave request %v %q %q, want %v /price %s", it.Event.RequestId, it.Event.Path, it.Event.Body, id, body)
			}
		}
		if it.Error() != nil || logged != 1 {
			t.Fatalf("eth_getLogs: %d CoveRequest events (%v), want 1", logged, it.Error())
		}

		answer := []byte(`{"pair":"ETH-USD","price":"3141.59"}`)
		h.fulfil(id, "/price", body, answer)
		opts := &bind.CallOpts{Context: ctx}
		if got, err := consumer.LastResponse(opts); err != nil || !bytes.Equal(got, answer) {
			t.Fatalf("consumer's answer %q (%v), want %q", got, err, answer)
		}
		if last, err := consumer.LastRequestId(opts); err != nil || last.Cmp(id) != 0 {
			t.Fatalf("consumer's last request %v (%v), want %v", last, err, id)
		}
	})
}

// TestDeployExample deploys a second AIConsumer, for another agent, while
// blocks are being sealed; Example then names it.
func TestDeployExample(t *testing.T) {
	h := start(t)
	before, _ := h.chain.Example(ExampleAI)
	other := cove.AgentID(cove.SHA256([]byte("another model")))
	at, err := h.chain.DeployExample(t.Context(), ExampleAI, other)
	if err != nil {
		t.Fatal(err)
	}
	if at == before {
		t.Fatal("DeployExample returned the first AIConsumer's address")
	}
	if got, _ := h.chain.Example(ExampleAI); got != at {
		t.Fatalf("Example(ai) = %s, want the new %s", got, at)
	}
	c, _ := contracts.NewAIConsumer(at, h.chain.Client())
	if got, err := c.Agent(nil); err != nil || got != other {
		t.Fatalf("new AIConsumer asks %x (%v), want %s", got, err, other)
	}
	if _, err := h.chain.DeployExample(t.Context(), "nope", other); err == nil || !strings.Contains(err.Error(), "unknown example") {
		t.Fatalf("DeployExample(nope): %v, want unknown example", err)
	}
}

// TestConfigRefused checks that Start refuses what it cannot run, with
// the reason, and an RPC address in use.
func TestConfigRefused(t *testing.T) {
	key, _ := crypto.GenerateKey()
	good := DefaultConfig()
	good.Owner = key
	good.RPCAddr = ""
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no owner", func(c *Config) { c.Owner = nil }, "no owner key"},
		{"chain id 0", func(c *Config) { c.ChainID = 0 }, "chain id is 0"},
		{"port 0", func(c *Config) { c.RPCAddr = "127.0.0.1:0" }, "port must be"},
		{"no port", func(c *Config) { c.RPCAddr = "127.0.0.1" }, "rpc address"},
		{"zero block time", func(c *Config) { c.BlockTime = 0 }, "block time"},
		{"unknown example", func(c *Config) { c.Agents = map[string]cove.AgentID{"nope": {}} }, "unknown example"},
		{"no fee", func(c *Config) { c.Fee = nil }, "fee"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			c, err := Start(t.Context(), cfg)
			if err == nil {
				c.Close()
				t.Fatalf("started, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want %q", err, tc.want)
			}
		})
	}
	// The control: the same config starts, in-process only.
	c, err := Start(t.Context(), good)
	if err != nil {
		t.Fatalf("control: %v", err)
	}
	if c.URL() != "" {
		t.Errorf("URL %q with no RPC address", c.URL())
	}
	if n, err := c.Client().BlockNumber(t.Context()); err != nil || n == 0 {
		t.Errorf("in-process block number %d (%v), want the anchor's block", n, err)
	}
	c.Close()

	// An address in use is an error, not a panic.
	first := good
	first.RPCAddr = testport.Addr(t)
	a, err := Start(t.Context(), first)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Start(t.Context(), first)
	if err == nil {
		b.Close()
		t.Fatalf("a second chain started on %s", first.RPCAddr)
	}
	t.Logf("second chain on %s: %v", first.RPCAddr, err)
}
