package main

import (
	"bytes"
	"context"
	"github.com/cove-network/cove/worker"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove/internal/testnet"
	"github.com/cove-network/cove/worker/ai"
)

// TestAICommands drives `cove ai` against a real node: a key made with
// --from, its usage, the attestation report's binding, a wrong key
// refused, and the MOCK upstream command serving models.
func TestAICommands(t *testing.T) {
	dev := devHome(t)
	base := testnet.Dev(t, dev)
	key, err := runCove(t, "--gateway", base, "ai", "key", "new", "--from", "dev")
	key = strings.TrimSpace(key)
	if err != nil || !strings.HasPrefix(key, "sk-cove-") {
		t.Fatalf("cove ai key new: %q %v", key, err)
	}
	out, err := runCove(t, "--gateway", base, "ai", "usage", "--key", key)
	if err != nil || !strings.Contains(out, "account   "+dev.String()) || !strings.Contains(out, "today     0 tokens (quota 1000000)") {
		t.Fatalf("cove ai usage: %v\n%s", err, out)
	}
	if _, err := runCove(t, "--gateway", base, "ai", "usage", "--key", key+"x"); err == nil || !strings.Contains(err.Error(), "not one this network made") {
		t.Fatalf("cove ai usage with a wrong key: %v", err)
	}
	out, errOut, err := runCoveStderr(t, "--gateway", base, "ai", "report")
	if err != nil || !strings.Contains(errOut, "verifies against the chain's TEE policy (the gateway's word): TEE sim") || !strings.Contains(out, `"tee": "sim"`) {
		t.Fatalf("cove ai report: %v\n%s%s", err, out, errOut)
	}

	// With a trust root, the TEE policy the quote is checked against is
	// proven from the chain.
	root, err := runCove(t, "--gateway", base, "chain", "trust", "--height", "1")
	if err != nil {
		t.Fatal(err)
	}
	_, errOut, err = runCoveStderr(t, "--gateway", base, "--trust-root", strings.TrimSpace(root), "ai", "report")
	if err != nil || !strings.Contains(errOut, "verifies against the chain's TEE policy (proven from the chain at height ") {
		t.Fatalf("cove ai report with a trust root: %v\n%s", err, errOut)
	}

	keyFile := writeFile(t, "provider.key", []byte("sk-provider\n"))
	sealed := filepath.Join(t.TempDir(), "p.key.sealed")
	_, errOut, err = runCoveStderr(t, "--gateway", base, "ai", "seal-key", "--provider", "local-llm", "--url", "http://127.0.0.1:11434/v1", "--key-file", keyFile, "-o", sealed)
	if err != nil || !strings.Contains(errOut, "to key epoch 0 (the gateway's word)") {
		t.Fatalf("cove ai seal-key: %v\n%s", err, errOut)
	}
	if b, _ := os.ReadFile(sealed); !strings.HasPrefix(string(b), "cove-sealed-ai-key:v1:") {
		t.Fatalf("sealed key file: %q", b)
	} else if env, err := ai.DecodeSealedKey(b); err != nil || bytes.Contains(env, []byte("sk-provider")) {
		t.Fatalf("sealed key file: %v", err)
	}
	if _, err := runCove(t, "--gateway", base, "ai", "seal-key", "--provider", "bad name", "--url", "http://127.0.0.1:11434/v1", "--key-file", keyFile); err == nil || !strings.Contains(err.Error(), "--provider") {
		t.Fatalf("a bad provider name: %v", err)
	}

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		root := newRoot()
		root.SetOut(io.Discard)
		root.SetArgs([]string{"ai", "mock-upstream", "--addr", addr})
		done <- root.ExecuteContext(ctx)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("mock-upstream: %v", err)
		}
	}()
	var resp *http.Response
	for i := 0; i < 50; i++ {
		if resp, err = http.Get("http://" + addr + "/v1/models"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"mock-chat"`) {
		t.Fatalf("mock-upstream models: %s", b)
	}
}

// TestStatus: `cove status` shows a node's health, roles, chain, workers,
// keys and AI API on one screen; against a gateway that is not there it
// fails.
func TestStatus(t *testing.T) {
	dev := devHome(t)
	base := testnet.Dev(t, dev)
	out, err := runCove(t, "--gateway", base, "status")
	if err != nil {
		t.Fatalf("cove status: %v\n%s", err, out)
	}
	for _, want := range []string{"healthy", "roles     validator, gatekeeper, worker, gateway", "peers     0 validator peer(s)",
		"chain     cove-dev", "workers   1 registered", " sim  active  http://", "keys      1 epoch(s); the latest, 0,", "ai        signing address 0x", "routing   agent calls run on this node's worker",
		"engine    " + worker.EngineName + " (runs the agents' JavaScript)"} {
		if !strings.Contains(out, want) {
			t.Errorf("cove status lacks %q:\n%s", want, out)
		}
	}
	if _, err := runCove(t, "--gateway", "http://"+freeAddr(t), "status"); err == nil {
		t.Error("cove status against no gateway succeeded")
	}
}
