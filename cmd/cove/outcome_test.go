package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove/internal/testnet"
)

var sentRE = regexp.MustCompile(`^sent 7 from 0x[0-9a-fA-F]{40} to 0x[0-9a-fA-F]{40} in block [1-9][0-9]* \(tx (0x[0-9a-f]{64})\)\n$`)

// testLostAnswers: `cove send` whose answer a proxy drops after forwarding
// prints the block it committed in, as through the honest gateway (the
// control); dropped before forwarding it says the node has not seen it; with
// --timeout shorter than the held answer it still prints the block; `cove
// chain tx` reports the committed transaction; a deploy retried with the
// same salt says the agent already exists with this code and succeeds.
func testLostAnswers(t *testing.T, base string) {
	send := func(gw string, extra ...string) (string, error) {
		to := newKey(t, fmt.Sprintf("to%d", time.Now().UnixNano()))
		return runCove(t, append([]string{"--gateway", gw, "send", "--to", to.String(), "--amount", "7"}, extra...)...)
	}
	for _, c := range []struct {
		name string
		gw   string
		args []string
	}{
		{"honest", base, nil},
		{"dropped after forwarding", testnet.FaultyGateway(t, base, testnet.DropAfterForward), nil},
		{"held past --timeout", testnet.FaultyGateway(t, base, testnet.HoldAfterForward), []string{"--timeout", "1s"}},
	} {
		start := time.Now()
		out, err := send(c.gw, c.args...)
		if took := time.Since(start); took > 10*time.Second {
			t.Fatalf("%s: send took %s: the one --timeout 1s did not apply", c.name, took)
		}
		m := sentRE.FindStringSubmatch(out)
		if err != nil || m == nil {
			t.Fatalf("%s: send printed %q, %v; want the block it committed in", c.name, out, err)
		}
		look, err := runCove(t, "--gateway", base, "chain", "tx", m[1])
		if err != nil || !regexp.MustCompile(`^tx 0x[0-9a-f]{64} committed at height [1-9][0-9]* \(ok\)\n$`).MatchString(look) {
			t.Fatalf("%s: chain tx printed %q, %v", c.name, look, err)
		}
	}
	_, err := send(testnet.FaultyGateway(t, base, testnet.DropBeforeForward))
	if err == nil || !strings.Contains(err.Error(), "was not seen by the node") {
		t.Fatalf("send dropped before forwarding: %v; want it to say the node has not seen it", err)
	}

	hello := filepath.Join("..", "..", "examples", "hello.ts")
	salt := "0x" + strings.Repeat("ab", 32)
	first, err := runCove(t, "--gateway", testnet.FaultyGateway(t, base, testnet.DropAfterForward), "agent", "deploy", hello, "--salt", salt)
	if err != nil || !strings.HasPrefix(first, "deployed ") {
		t.Fatalf("deploy through a dropped answer: %q, %v; want deployed", first, err)
	}
	again, err := runCove(t, "--gateway", base, "agent", "deploy", hello, "--salt", salt)
	if err != nil || !strings.Contains(again, "already exists with this code") {
		t.Fatalf("deploy retried: %q, %v; want it to say the agent exists with this code", again, err)
	}
	if strings.Contains(again, "NOT applied") {
		t.Fatalf("deploy retried without secrets mentions secrets:\n%s", again)
	}
	// A retry that brings secrets says they were not applied (the agent
	// keeps those of the deploy that committed).
	withSecret, err := runCove(t, "--gateway", base, "agent", "deploy", hello, "--salt", salt, "--secret", "NAME=x")
	if err != nil || !strings.Contains(withSecret, "already exists with this code") || !strings.Contains(withSecret, "secrets   NOT applied") {
		t.Fatalf("deploy retried with a secret: %q, %v; want it to say the secrets were not applied", withSecret, err)
	}
	idRE := regexp.MustCompile(`id +(0x[0-9a-f]{64})`)
	if a, b := idRE.FindStringSubmatch(first), idRE.FindStringSubmatch(again); a == nil || b == nil || a[1] != b[1] {
		t.Fatalf("deploy and its retry name other agents:\n%s\n%s", first, again)
	}
}

// TestCLIHaltedChain: on a two-validator network with one validator down
// (no blocks), `cove send --timeout` gives up and says the transaction is
// pending in the mempool, and `cove chain tx` says pending; once the
// validator is back, the same transaction commits and `cove chain tx` says
// so: "pending" was true.
func TestCLIHaltedChain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nodes; skipped with -short")
	}
	net := testnet.Start(t, 2, testnet.Fund(devHome(t)))
	net.Node(1).Stop()
	base := net.Node(0).Client().Base()
	to := newKey(t, "erin")
	start := time.Now()
	_, err := runCove(t, "--gateway", base, "send", "--to", to.String(), "--amount", "7", "--timeout", "2s")
	m := regexp.MustCompile(`transaction (0x[0-9a-f]{64}) was submitted and is pending in the mempool`).FindStringSubmatch(fmt.Sprint(err))
	if m == nil || !strings.Contains(err.Error(), "--timeout 2s") {
		t.Fatalf("send on a halted chain: %v; want it to say the transaction is pending and the timeout fired", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("send on a halted chain took %s, with --timeout 2s", took)
	}
	if out, err := runCove(t, "--gateway", base, "chain", "tx", m[1]); err != nil || !strings.Contains(out, "pending in the mempool") {
		t.Fatalf("chain tx: %q, %v; want pending", out, err)
	}
	restarted := time.Now()
	net.Node(1).Restart()
	// The restarted validator usually rejoins in ~2 s. When the running
	// one still holds a connection the stopped one never closed, it drops
	// it after validator's peer-silence bound (15 s) and the two reconnect
	// within CometBFT's redial interval (5 s).
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := runCove(t, "--gateway", base, "chain", "tx", m[1])
		if err == nil && strings.Contains(out, "committed at height") {
			t.Logf("committed %s after the validator's restart", time.Since(restarted).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chain tx after the restart: %q, %v; want committed", out, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
