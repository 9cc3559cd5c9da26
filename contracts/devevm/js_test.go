package devevm

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/contracts"
	"github.com/cove-network/cove/internal/jstest"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
)

// repoRoot is the module root as seen from this package's directory.
const repoRoot = "../.."

// TestViem: unmodified viem, as development account 0 from the mnemonic,
// asks PriceConsumer over the chain's JSON-RPC (testdata/js/evm-request.mjs,
// with the ABIs of contracts/build), the test sees the request on chain and
// fulfils it with a signed receipt, and the script reads the answer back.
func TestViem(t *testing.T) {
	node := jstest.Node(t, filepath.Join(repoRoot, "testdata", "js"), "testdata/js")
	h := start(t)
	consumer, _ := h.chain.Example(ExamplePrice)

	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(t.Context(), node, filepath.Join("testdata", "js", "evm-request.mjs"),
		h.chain.URL(), consumer.Hex(), h.chain.Anchor().Hex())
	cmd.Dir = repoRoot
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// Watch the anchor for the script's request (eth_getLogs in-process).
	deadline := time.After(60 * time.Second)
	var req *contracts.CoveAnchorCoveRequest
	for req == nil {
		select {
		case err := <-exited:
			t.Fatalf("evm-request.mjs exited before its request was seen: %v\n%s%s", err, stdout.String(), stderr.String())
		case <-deadline:
			t.Fatal("no CoveRequest from evm-request.mjs within 60 s")
		case <-time.After(100 * time.Millisecond):
		}
		it, err := h.anchor.FilterCoveRequest(&bind.FilterOpts{Context: t.Context()}, nil, nil, []common.Address{consumer})
		if err != nil {
			t.Fatal(err)
		}
		for it.Next() {
			req = it.Event
		}
		if it.Error() != nil {
			t.Fatal(it.Error())
		}
	}
	answer := `{"pair":"ETH-USD","price":"2718.28","source":"viem test ✓"}`
	h.fulfil(req.RequestId, req.Path, req.Body, []byte(answer))

	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("evm-request.mjs: %v\n%s%s", err, stdout.String(), stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("evm-request.mjs did not finish within 60 s of the fulfilment\n%s", stderr.String())
	}
	var got struct {
		From, Tx, RequestID, Agent, Consumer, Path, Body, Answer, RequestHash string
		ChainID                                                               uint64
		Status                                                                uint16
		AnsweredEvents                                                        int
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("evm-request.mjs output: %v\n%s", err, stdout.String())
	}
	t.Logf("viem: %s", strings.TrimSpace(stdout.String()))
	want := h.chain.Accounts()[0].Address.Hex()
	switch {
	case got.From != want:
		t.Errorf("viem sent from %s, want account 0 %s", got.From, want)
	case got.ChainID != 31337:
		t.Errorf("viem saw chain %d, want 31337", got.ChainID)
	case got.RequestID != req.RequestId.String():
		t.Errorf("viem's request %s, the chain's %v", got.RequestID, req.RequestId)
	case !strings.EqualFold(got.Consumer, consumer.Hex()) || got.Agent != h.agents[ExamplePrice].String():
		t.Errorf("viem's CoveRequest from %s for agent %s, want %s and %s", got.Consumer, got.Agent, consumer, h.agents[ExamplePrice])
	case got.Path != "/price" || got.Body != `{"pair":"ETH-USD"}`:
		t.Errorf("viem asked %s %s", got.Path, got.Body)
	case got.RequestHash != contracts.RequestHash(h.chain.ChainID(), cove.Address(h.chain.Anchor()), h.agents[ExamplePrice], got.Path, []byte(got.Body), req.RequestId).String():
		t.Errorf("viem's event has requestHash %s, not contracts.RequestHash of its request", got.RequestHash)
	case got.Status != 200 || got.Answer != answer:
		t.Errorf("viem read status %d answer %q, want 200 %q", got.Status, got.Answer, answer)
	case got.AnsweredEvents != 1:
		t.Errorf("viem found %d Answered events for its request, want 1", got.AnsweredEvents)
	}
}
