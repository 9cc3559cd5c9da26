package contracts

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/internal/gethdev"
	"github.com/cove-network/cove/keys"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

// TestGethDev runs the anchor on a real geth --dev (built from the pinned
// go-ethereum, internal/gethdev) over JSON-RPC, as a relayer will: deploy
// CoveAnchor and a PriceConsumer, set an epoch signer, register the
// agent's attestor with the signer's grant, ask through the consumer,
// and fulfil with a version-2 receipt (97-byte signature) from the key
// path cluster → agent → attestor. A response altered by one byte is
// refused first (ResponseHashMismatch, read from the node's revert data);
// the unaltered one, with the same receipt and signature, is the control
// and is stored by the consumer.
func TestGethDev(t *testing.T) {
	start := time.Now()
	g := gethdev.Start(t)
	t.Logf("geth --dev up in %s", time.Since(start).Round(time.Millisecond))
	ctx := t.Context()
	client, err := ethclient.DialContext(ctx, g.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	chainID, err := client.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if chainID.Int64() != gethdev.ChainID {
		t.Fatalf("chain id %v, want %d", chainID, gethdev.ChainID)
	}
	anchorABI, err := CoveAnchorMetaData.GetAbi()
	if err != nil {
		t.Fatal(err)
	}
	// mine waits for tx's block and fails the test unless it succeeded.
	mine := func(tx *types.Transaction, err error) *types.Receipt {
		t.Helper()
		if err != nil {
			t.Fatalf("send transaction: %v (%s)\ngeth log (tail):\n%s", err, revertName(*anchorABI, err), g.Log(2<<10))
		}
		r, err := waitMined(ctx, client, tx.Hash())
		if err != nil {
			t.Fatalf("%v\ngeth log (tail):\n%s", err, g.Log(2<<10))
		}
		if r.Status != types.ReceiptStatusSuccessful {
			t.Fatalf("transaction %s reverted (gas used %d of %d)", tx.Hash(), r.GasUsed, tx.Gas())
		}
		return r
	}

	owner, err := bind.NewKeyedTransactorWithChainID(g.Key, chainID)
	if err != nil {
		t.Fatal(err)
	}
	relayerKey, _ := crypto.GenerateKey()
	if err := g.Fund(ctx, crypto.PubkeyToAddress(relayerKey.PublicKey), big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	relayer, err := bind.NewKeyedTransactorWithChainID(relayerKey, chainID)
	if err != nil {
		t.Fatal(err)
	}

	anchorAt, tx, anchor, err := DeployCoveAnchor(owner, client, big.NewInt(testFee), testTimeout)
	mine(tx, err)
	master, err := keys.MasterFromBytes(bytes.Repeat([]byte{0x42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	agent := cove.AgentID(cove.SHA256([]byte("price-oracle")))
	attestor := master.Cluster(keys.DefaultCluster).Agent(agent).Attestor()
	_, tx, consumer, err := DeployPriceConsumer(owner, client, anchorAt, agent)
	mine(tx, err)
	epochKey, _ := crypto.GenerateKey()
	mine(anchor.SetEpochSigner(owner, testEpoch, crypto.PubkeyToAddress(epochKey.PublicKey)))
	mine(anchor.RegisterAttestor(relayer, agent, common.Address(attestor.Address()), testEpoch,
		grant(t, epochKey, agent, attestor.Address(), testEpoch)))
	if got, err := anchor.AttestorOf(&bind.CallOpts{Context: ctx}, agent); err != nil || got != common.Address(attestor.Address()) {
		t.Fatalf("attestor of the agent: %v, %v; want %v", got, err, attestor.Address())
	}

	path, body := "/price", []byte(`{"pair":"ETH-USD"}`)
	ask := *owner
	ask.Value = big.NewInt(testFee)
	rc := mine(consumer.Ask(&ask, path, body, callbackGas))
	var id *big.Int
	for _, l := range rc.Logs {
		if ev, err := anchor.ParseCoveRequest(*l); err == nil {
			id = ev.RequestId
		}
	}
	if id == nil {
		t.Fatal("no CoveRequest event")
	}

	resp := answer(1024)
	r, sig := signFor(t, attestor, chainID, anchorAt, agent, id, path, body, resp, cove.ReceiptV2)
	if len(sig) != 97 {
		t.Fatalf("v2 signature is %d bytes, want 97", len(sig))
	}

	// Refused: the response differs from the one the receipt signs.
	altered := bytes.Clone(resp)
	altered[100] ^= 1
	_, err = anchor.Fulfil(relayer, id, r, altered, sig)
	if err == nil {
		t.Fatal("fulfil with an altered response was accepted")
	}
	if got := revertName(*anchorABI, err); got != "ResponseHashMismatch" {
		t.Fatalf("fulfil with an altered response: %v (%q), want ResponseHashMismatch", err, got)
	}

	// The control: the response the receipt signs.
	rc = mine(anchor.Fulfil(relayer, id, r, resp, sig))
	t.Logf("fulfil gas on geth --dev, v2 receipt, %d-byte response: %d", len(resp), rc.GasUsed)
	fulfilled := false
	for _, l := range rc.Logs {
		if ev, err := anchor.ParseCoveFulfilled(*l); err == nil {
			fulfilled = ev.RequestId.Cmp(id) == 0 && ev.CallbackSucceeded && ev.Status == 200
		}
	}
	if !fulfilled {
		t.Fatal("no CoveFulfilled with callbackSucceeded for the request")
	}
	call := &bind.CallOpts{Context: ctx}
	if got, err := consumer.LastResponse(call); err != nil || !bytes.Equal(got, resp) {
		t.Fatalf("consumer stored %d bytes (%v), want the %d-byte answer", len(got), err, len(resp))
	}
	if last, err := consumer.LastRequestId(call); err != nil || last.Cmp(id) != 0 {
		t.Fatalf("consumer's last request %v (%v), want %v", last, err, id)
	}
	t.Logf("whole flow on geth --dev in %s", time.Since(start).Round(time.Millisecond))
}

// waitMined polls for the receipt of hash (geth --dev seals a block a
// second) for up to 30 seconds.
func waitMined(ctx context.Context, client *ethclient.Client, hash common.Hash) (*types.Receipt, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		r, err := client.TransactionReceipt(ctx, hash)
		if err == nil {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("transaction %s not mined: %v (last: %v)", hash, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
