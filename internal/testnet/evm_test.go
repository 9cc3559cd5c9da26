package testnet

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"math/big"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/contracts"
	"github.com/cove-network/cove/contracts/devevm"
	"github.com/cove-network/cove/contracts/evmcall"
	"github.com/cove-network/cove/internal/jstest"
	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/cove-network/cove/internal/testport"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
)

// devEVMNode runs a cove dev node with its EVM for a test and returns its
// client and the EVM chain it reports.
func devEVMNode(t *testing.T) (*client.Client, api.EVMChain, *Key, *syncbuf.Buffer) {
	t.Helper()
	opPath, opAddr := NewOperator(t)
	user := NewKey(t)
	logs := &syncbuf.Buffer{}
	d, err := StartDev(t.Context(), DevConfig{
		DataDir: t.TempDir(), Operator: opPath,
		Admin: user.Address(), Funded: []cove.Address{opAddr},
		P2PAddr: testport.Addr(t), BlockInterval: 50 * time.Millisecond,
		Log:     slog.New(slog.NewTextHandler(logs, nil)),
		EVMAddr: testport.Addr(t), EVMBlockTime: 250 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("start a dev node: %v\n%s", err, logs.Tail(16<<10))
	}
	t.Cleanup(func() {
		d.Stop()
		if t.Failed() {
			t.Logf("node log (tail):\n%s", logs.Tail(24<<10))
		}
	})
	chains, err := d.Client.EVM(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(chains) != 1 || chains[0].Name != "dev" || chains[0].ChainID != 31337 || chains[0].RPC == "" || len(chains[0].Examples) != 3 {
		t.Fatalf("GET /v1/evm: %+v", chains)
	}
	return d.Client, chains[0], user, logs
}

// TestDevEVMViem (issue 8): on cove dev's EVM, unmodified viem sends a
// request through a consumer to an agent a user deployed; the node's bridge
// runs it on the node's worker and fulfils it with the agent's receipt,
// which the anchor checks against the attestor the Cove chain granted; viem
// reads the answer from the consumer.
func TestDevEVMViem(t *testing.T) {
	node := jstest.Node(t, filepath.Join("..", "..", "testdata", "js"), "testdata/js")
	c, ch, user, logs := devEVMNode(t)
	ctx := t.Context()
	a, err := c.Deploy(ctx, filepath.Join("..", "..", "examples", "hello.ts"), client.DeployOptions{Signer: user, Name: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	evm, err := evmcall.Dial(ctx, ch.RPC)
	if err != nil {
		t.Fatal(err)
	}
	accts, err := devevm.DevAccounts()
	if err != nil {
		t.Fatal(err)
	}
	consumer, err := evmcall.DeployConsumer(ctx, evm, contracts.KeySigner(accts[0].Key), common.Address(ch.Anchor), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "js", "evm-request.mjs"),
		ch.RPC, consumer.Hex(), ch.Anchor.String(), "/hello?name=viem", "")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("evm-request.mjs: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	var got struct {
		RequestID, Agent, Answer string
		Status                   uint16
		AnsweredEvents           int
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("evm-request.mjs output: %v\n%s", err, stdout.String())
	}
	t.Logf("viem: %s", strings.TrimSpace(stdout.String()))
	if got.Status != 200 || !strings.Contains(got.Answer, `"greeting":"Hello viem"`) || got.AnsweredEvents != 1 || got.Agent != a.ID.String() {
		t.Fatalf("answer %+v", got)
	}
	// The fulfilment on chain: status, the agent's code hash, and the
	// relayer is the bridge's.
	id, _ := new(big.Int).SetString(got.RequestID, 10)
	ans, state, err := evmcall.Status(ctx, evm, common.Address(ch.Anchor), id, 0)
	if err != nil || state != evmcall.StateFulfilled {
		t.Fatalf("status %s, %v", state, err)
	}
	if ans.CodeHash != a.CodeHash || cove.Address(ans.Relayer) != ch.Relayer || !ans.CallbackSucceeded {
		t.Errorf("fulfilment %+v, want code hash %s from relayer %s", ans, a.CodeHash, ch.Relayer)
	}
	// The bridge records the fulfilment when it sees its transaction
	// mined, which may be a moment after viem saw the Answered event: both
	// checks below wait for it, for at most 10 s.
	var (
		listed *api.EVMRequest
		times  int
		all    []api.EVMRequest
	)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		chains, err := c.EVM(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// GET /v1/evm lists it among the requests fulfilled (the explorer
		// shows them).
		all, listed, times = chains[0].Bridge.Requests, nil, 0
		for i, q := range all {
			if q.ID == got.RequestID {
				listed = &all[i]
				times++
			}
		}
		if listed != nil && listed.Stage == "fulfilled" && strings.Contains(logs.String(), "request fulfilled") || time.Now().After(deadline) {
			break
		}
	}
	if !strings.Contains(logs.String(), "request fulfilled") {
		t.Error("the bridge logged no fulfilment")
	}
	if times != 1 || listed == nil || listed.Stage != "fulfilled" || listed.Agent != a.ID || listed.Status != 200 || listed.Tx == "" || listed.Mined == 0 {
		t.Errorf("GET /v1/evm requests: %+v, want request %s fulfilled", all, got.RequestID)
	}
}

// TestDevEVMReachableByAgents: an agent reaches cove dev's EVM JSON-RPC
// (a loopback address the egress policy refuses otherwise) without
// --egress-allow; the control is another loopback port, refused.
func TestDevEVMReachableByAgents(t *testing.T) {
	c, ch, user, _ := devEVMNode(t)
	ctx := t.Context()
	src := filepath.Join(t.TempDir(), "rpc.js")
	code := `export default { async fetch(req) {
  const rpc = new URL(req.url).searchParams.get("rpc");
  try {
    const r = await fetch(rpc, { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }) });
    return new Response((await r.json()).result);
  } catch (e) { return new Response("refused: " + e.message, { status: 502 }); }
} };`
	if err := os.WriteFile(src, []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := c.Deploy(ctx, src, client.DeployOptions{Signer: user})
	if err != nil {
		t.Fatal(err)
	}
	call := func(rpc string) (int, string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := c.Call(ctx, a.ID, "GET", "/?rpc="+url.QueryEscape(rpc), nil, nil)
			if err == nil && resp.Status != 503 {
				return resp.Status, string(resp.Body)
			}
			if time.Now().After(deadline) {
				t.Fatalf("call: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if st, body := call(ch.RPC); st != 200 || body != "0x7a69" {
		t.Errorf("the agent reading the dev EVM: %d %q, want 200 0x7a69 (31337)", st, body)
	}
	if st, body := call("http://" + testport.Addr(t)); st != 502 || !strings.Contains(body, "refused") {
		t.Errorf("the agent reaching another loopback port: %d %q, want it refused", st, body)
	}
}

// TestDevEVMVault (issue 8): the smart-contract extension example: a vault
// withdrawal completes only when cove dev's approver agent approves it in
// the callback (at most 1 ether), and is returned to the balance when it
// does not; both through the real bridge and worker.
func TestDevEVMVault(t *testing.T) {
	_, ch, _, _ := devEVMNode(t)
	ctx := t.Context()
	evm, err := evmcall.Dial(ctx, ch.RPC)
	if err != nil {
		t.Fatal(err)
	}
	vault, err := contracts.NewApprovalVault(common.Address(ch.Examples[devevm.ExampleVault]), evm)
	if err != nil {
		t.Fatal(err)
	}
	accts, _ := devevm.DevAccounts()
	me := accts[1]
	opts := func(value *big.Int) *bind.TransactOpts {
		o := contracts.Transactor(contracts.KeySigner(me.Key), big.NewInt(31337))
		o.Context, o.Value = ctx, value
		return o
	}
	ether := func(tenths int64) *big.Int { return new(big.Int).Mul(big.NewInt(tenths), big.NewInt(1e17)) }
	mined := func(what string, tx interface{ Hash() common.Hash }, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		r, err := bind.WaitMinedHash(ctx, evm, tx.Hash())
		if err != nil || r.Status != 1 {
			t.Fatalf("%s: receipt %+v, %v", what, r, err)
		}
	}
	fee, _ := new(big.Int).SetString(ch.Fee, 10)
	tx, err := vault.Deposit(opts(ether(20)))
	mined("deposit", tx, err)
	tx, err = vault.RequestWithdrawal(opts(fee), ether(5), 300_000)
	mined("withdraw 0.5", tx, err)
	tx, err = vault.RequestWithdrawal(opts(fee), ether(15), 300_000)
	mined("withdraw 1.5", tx, err)
	deadline := time.Now().Add(30 * time.Second)
	for {
		claimable, err := vault.Claimable(nil, me.Address)
		if err != nil {
			t.Fatal(err)
		}
		bal, err := vault.BalanceOf(nil, me.Address)
		if err != nil {
			t.Fatal(err)
		}
		// Approved 0.5 is claimable; denied 1.5 is back in the balance.
		if claimable.Cmp(ether(5)) == 0 && bal.Cmp(ether(15)) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("claimable %s, balance %s; want 0.5 and 1.5 ether", claimable, bal)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
