// Package gethdev runs a real `geth --dev` for tests (tests only: nothing
// outside _test.go files imports it): a single-node Ethereum chain that
// seals a block every second, reached over HTTP JSON-RPC on loopback,
// with a key the test holds funded from the dev account. The geth binary
// is built from the go-ethereum version this module's go.mod pins, once
// per machine (Binary), so what the tests talk to is the released node
// the bindings were generated for, not the simulated backend.
//
// The package itself speaks JSON-RPC with the standard library and uses
// only go-ethereum's crypto, so it sits below the layering rule that keeps
// go-ethereum's node parts (ethclient, rpc, bind) in bridge and contracts:
// the tests there dial URL with ethclient themselves.
package gethdev

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/cove-network/cove/internal/testport"
	"github.com/ethereum/go-ethereum/crypto"
)

// ChainID is the chain id of every geth --dev chain.
const ChainID = 1337

// Funds is what Start gives the test's key: 1000 ether, in wei.
var Funds = new(big.Int).Mul(big.NewInt(1000), big.NewInt(1e18))

// gasLimit is the dev chain's block gas limit: above go-ethereum's dev
// default (11.5M), so that a transaction storing kilobytes under the dev
// chain's newest (draft) fork rules fits in a block.
const gasLimit = 60_000_000

// startTimeout bounds how long geth may take to answer its first RPC.
const startTimeout = 60 * time.Second

// Geth is a running geth --dev process.
type Geth struct {
	// URL is the HTTP JSON-RPC endpoint (eth, net, web3), on 127.0.0.1.
	URL string
	// Key is a key only this test holds, funded with Funds at start.
	Key *ecdsa.PrivateKey
	// Dev is geth's own prefunded dev account, unlocked in the node; it
	// pays for Fund.
	Dev string

	stderr *syncbuf.Buffer
	http   *http.Client
}

// Start runs geth --dev in a fresh data directory, waits until its RPC
// answers with chain id 1337, funds a new key with Funds and returns. The
// process (and its process group) is killed when the test ends. Start
// fails the test with the tail of geth's log if any step fails.
func Start(t testing.TB) *Geth {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir() // removed after the process is gone (cleanups run last first)
	addr := testport.Addr(t)
	_, port, _ := strings.Cut(addr, ":")
	g := &Geth{URL: "http://" + addr, stderr: &syncbuf.Buffer{}, http: &http.Client{Timeout: 30 * time.Second}}

	cmd := exec.Command(bin,
		"--dev", "--dev.period", "1", fmt.Sprintf("--dev.gaslimit=%d", gasLimit),
		"--datadir", dir,
		"--http", "--http.addr", "127.0.0.1", "--http.port", port, "--http.api", "eth,net,web3",
		// No IPC socket, no peers, no listening P2P or engine-API port:
		// nothing that two geths (or another test) could collide on.
		"--ipcdisable", "--nodiscover", "--maxpeers", "0", "--port", "0", "--authrpc.port", "0", "--nat", "none",
		"--verbosity", "3",
	)
	cmd.Stdout, cmd.Stderr = g.stderr, g.stderr
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start geth: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		kill(cmd)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Errorf("geth (pid %d) did not exit 10s after SIGKILL", cmd.Process.Pid)
		}
		if t.Failed() {
			t.Logf("geth log (tail):\n%s", g.Log(4<<10))
		}
	})

	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	if err := g.waitReady(ctx, exited); err != nil {
		t.Fatalf("geth --dev: %v\ngeth log (tail):\n%s", err, g.Log(4<<10))
	}
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Fund(t.Context(), crypto.PubkeyToAddress(key.PublicKey), Funds); err != nil {
		t.Fatalf("fund the test's key: %v\ngeth log (tail):\n%s", err, g.Log(4<<10))
	}
	g.Key = key
	return g
}

// Log returns the last whole lines of geth's log (its stdout and stderr),
// at most n bytes.
func (g *Geth) Log(n int) string {
	s := g.stderr.Tail(n)
	if i := strings.IndexByte(s, '\n'); i >= 0 && len(s) == n {
		s = s[i+1:]
	}
	return s
}

// waitReady polls eth_chainId until it answers, geth exits, or ctx ends,
// then checks the chain id and learns the dev account.
func (g *Geth) waitReady(ctx context.Context, exited <-chan error) error {
	var id string
	for {
		err := g.Call(ctx, &id, "eth_chainId")
		if err == nil {
			break
		}
		select {
		case err := <-exited:
			return fmt.Errorf("geth exited before its RPC answered: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("RPC at %s did not answer within %s: %v", g.URL, startTimeout, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if want := fmt.Sprintf("0x%x", ChainID); id != want {
		return fmt.Errorf("eth_chainId = %s, want %s", id, want)
	}
	var accounts []string
	if err := g.Call(ctx, &accounts, "eth_accounts"); err != nil {
		return err
	}
	if len(accounts) == 0 {
		return errors.New("geth --dev has no dev account (eth_accounts is empty)")
	}
	g.Dev = accounts[0]
	return nil
}

// Fund sends wei to addr from the dev account (eth_sendTransaction, which
// geth signs with the dev account it keeps unlocked) and waits until the
// transfer is in a block.
func (g *Geth) Fund(ctx context.Context, addr [20]byte, wei *big.Int) error {
	tx := map[string]string{
		"from":  g.Dev,
		"to":    fmt.Sprintf("0x%x", addr),
		"value": fmt.Sprintf("0x%x", wei),
	}
	var hash string
	if err := g.Call(ctx, &hash, "eth_sendTransaction", tx); err != nil {
		return fmt.Errorf("send %s wei to 0x%x: %w", wei, addr, err)
	}
	return g.wait(ctx, hash)
}

// wait polls for the receipt of the transaction hash until it is mined
// (and succeeded) or ctx or a 30-second deadline ends.
func (g *Geth) wait(ctx context.Context, hash string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		var r *struct {
			Status string `json:"status"`
		}
		err := g.Call(ctx, &r, "eth_getTransactionReceipt", hash)
		if err != nil && !strings.Contains(err.Error(), "transaction indexing is in progress") {
			// (That one: geth, just started, indexes its chain first;
			// the receipt comes once it has.)
			return fmt.Errorf("receipt of %s: %w", hash, err)
		}
		if err == nil && r != nil {
			if r.Status != "0x1" {
				return fmt.Errorf("transaction %s failed (status %s)", hash, r.Status)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("transaction %s not mined: %w", hash, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Call makes one JSON-RPC call and decodes its result into result.
func (g *Geth) Call(ctx context.Context, result any, method string, params ...any) error {
	if params == nil {
		params = []any{}
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	defer resp.Body.Close()
	var out struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("%s: HTTP %s: %w", method, resp.Status, err)
	}
	if out.Error != nil {
		return fmt.Errorf("%s: %s (code %d)", method, out.Error.Message, out.Error.Code)
	}
	return json.Unmarshal(out.Result, result)
}
