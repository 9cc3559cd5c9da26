package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cove-network/cove/internal/testnet"
)

// TestCLIEVM (issue 8): on a dev node with its EVM, `cove evm request`
// asks a freshly deployed agent from the EVM (deploying a consumer for it),
// waits for the bridge, and prints the status, the answer, the blocks
// waited and the gas; `cove evm status` reads the request back; a consumer
// that asks another agent is refused (the control is the first request,
// through the consumer made for this agent).
func TestCLIEVM(t *testing.T) {
	base := testnet.DevEVM(t, devHome(t))
	deploy := func(name string) string {
		t.Helper()
		out, err := runCove(t, "--gateway", base, "agent", "deploy", filepath.Join("..", "..", "examples", "hello.ts"), "--name", name, "--json")
		if err != nil {
			t.Fatalf("deploy: %v", err)
		}
		var dep struct{ ID string }
		if err := json.Unmarshal([]byte(out), &dep); err != nil {
			t.Fatal(err)
		}
		return dep.ID
	}
	id, other := deploy("hello"), deploy("other")

	out, err := runCove(t, "--gateway", base, "evm", "request", "--agent", id, "--path", "/hello?name=cli", "--json")
	if err != nil {
		t.Fatalf("evm request: %v", err)
	}
	var ans struct {
		RequestID, Response, Consumer string
		Status                        uint16
		BlocksWaited, FulfilGas       uint64
		CallbackSucceeded             bool
	}
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		t.Fatalf("evm request --json printed %q: %v", out, err)
	}
	if ans.Status != 200 || !strings.Contains(ans.Response, `"greeting":"Hello cli"`) || ans.BlocksWaited < 1 || ans.FulfilGas == 0 || !ans.CallbackSucceeded {
		t.Fatalf("evm request: %+v", ans)
	}
	st, err := runCove(t, "--gateway", base, "evm", "status", ans.RequestID)
	if err != nil || !strings.Contains(st, "request "+ans.RequestID+": fulfilled") || !strings.Contains(st, "Hello cli") {
		t.Fatalf("evm status: %q, %v", st, err)
	}
	if _, err := runCove(t, "--gateway", base, "evm", "request", "--agent", other, "--consumer", ans.Consumer); err == nil || !strings.Contains(err.Error(), "asks agent") {
		t.Fatalf("a consumer of another agent: %v; want it refused", err)
	}
	if st, err := runCove(t, "--gateway", base, "evm", "status", "999"); err != nil || !strings.Contains(st, "request 999: none") {
		t.Fatalf("evm status of an unknown request: %q, %v", st, err)
	}
}
