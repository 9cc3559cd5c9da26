package testnet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testnet"
)

var helloAgent = filepath.Join("..", "..", "examples", "hello.ts")

const helloWant = `{"greeting":"Hello Ada","agent":"hello"}`

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestFourValidators runs four validators of equal power, kills one (three
// of four is more than two thirds, so blocks continue), sends transactions
// while it is down, restarts it and checks that it catches up to the same
// state.
func TestFourValidators(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four validators (about 20 s); skipped with -short")
	}
	start := time.Now()
	ctx := ctxFor(t, 90*time.Second)
	net := testnet.Start(t, 4)
	t.Logf("4 nodes up in %s", time.Since(start).Round(time.Millisecond))
	if err := net.WaitHeight(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := net.CheckAppHash(ctx); err != nil {
		t.Fatal(err)
	}
	checkSameHeaders(t, ctx, net, 2)

	// A transfer and a deploy through node 0.
	c0 := net.Node(0).Client()
	alice := testnet.NewKey(t).Address()
	amount := big.NewInt(1_000)
	out, err := c0.Transfer(ctx, net.Admin, alice, amount)
	if err != nil {
		t.Fatalf("transfer through node 0: %v", err)
	}
	t.Logf("transfer committed at height %d", out.Height)
	a, err := c0.Deploy(ctx, helloAgent, client.DeployOptions{Signer: net.Admin, Name: "hello"})
	if err != nil {
		t.Fatalf("deploy through node 0: %v", err)
	}

	// Node 2 sees the agent on the chain; node 3 runs it, fetching the
	// bundle from a peer.
	rec := waitChainAgent(t, ctx, net.Node(2), a.ID)
	if rec.Owner != net.Admin.Address() || rec.CodeHash != a.CodeHash || rec.CID != a.CID {
		t.Fatalf("node 2 has agent %+v, node 0 deployed %+v", rec, a)
	}
	waitChainAgent(t, ctx, net.Node(3), a.ID)
	callHello(t, ctx, net.Node(3), a.ID)

	// Node 3 goes down: the other three keep making blocks.
	t.Logf("%s: agent called on node 3; stopping it", time.Since(start).Round(time.Millisecond))
	net.Node(3).Stop()
	t.Logf("%s: node 3 stopped", time.Since(start).Round(time.Millisecond))
	h, err := net.MaxHeight(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bob := testnet.NewKey(t).Address()
	last := out.Height
	for i := range 3 {
		// Send reads the nonce from the node it submits through: let that
		// node commit the previous transfer first.
		if err := net.Node(i).WaitHeight(ctx, last); err != nil {
			t.Fatal(err)
		}
		o, err := net.Node(i).Client().Transfer(ctx, net.Admin, bob, amount)
		if err != nil {
			t.Fatalf("transfer through node %d while node 3 is down: %v", i, err)
		}
		last = o.Height
	}
	if err := net.WaitHeight(ctx, h+3); err != nil {
		t.Fatalf("blocks stopped with 3 of 4 validators: %v", err)
	}
	t.Logf("%s: blocks continue without node 3, transfers sent", time.Since(start).Round(time.Millisecond))
	down, err := net.MaxHeight(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Node 3 comes back and catches up.
	restart := time.Now()
	n3 := net.Node(3)
	n3.Restart()
	if err := n3.WaitHeight(ctx, down+1); err != nil {
		t.Fatalf("node 3 did not catch up: %v", err)
	}
	t.Logf("node 3 caught up from a height below %d to %d in %s", h+1, down+1, time.Since(restart).Round(time.Millisecond))
	if err := net.CheckAppHash(ctx); err != nil {
		t.Fatal(err)
	}
	checkSameHeaders(t, ctx, net, down)
	c3 := n3.Client()
	wantBalance(t, ctx, c3, bob, new(big.Int).Mul(amount, big.NewInt(3)))
	wantBalance(t, ctx, c3, alice, amount)
	admin, err := c3.Account(ctx, net.Admin.Address())
	if err != nil {
		t.Fatal(err)
	}
	if admin.Nonce != 5 { // a transfer, a deploy, three transfers
		t.Errorf("node 3: admin nonce %d, want 5", admin.Nonce)
	}
	callHello(t, ctx, n3, a.ID)
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}

// TestSingleValidatorRestart stops and restarts a one-validator network: the
// chain resumes at the same height or higher with the same history and the
// agent intact.
func TestSingleValidatorRestart(t *testing.T) {
	ctx := ctxFor(t, 60*time.Second)
	net := testnet.Start(t, 1)
	nd := net.Node(0)
	c := nd.Client()
	a, err := c.Deploy(ctx, helloAgent, client.DeployOptions{Signer: net.Admin, Name: "hello"})
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	callHello(t, ctx, nd, a.ID)
	if err := net.CheckAppHash(ctx); err != nil {
		t.Fatal(err)
	}
	// The application's committed height (what a worker node's Status
	// reports) trails or equals the gateway's, which trails or equals the
	// block store's: read in that order, each is at least the one before.
	app, err := nd.RPC().AppHeight(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before, err := nd.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := nd.RPC().LatestHeight(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if app < 1 || app > before.Height || before.Height > latest {
		t.Fatalf("heights read in turn: application %d, gateway %d, block store %d", app, before.Height, latest)
	}
	// The header of the next block carries the app hash after this one.
	if err := nd.WaitHeight(ctx, before.Height+1); err != nil {
		t.Fatal(err)
	}
	hashBefore, err := nd.RPC().AppHashAfter(ctx, before.Height)
	if err != nil {
		t.Fatal(err)
	}
	if hashBefore != before.AppHash {
		t.Fatalf("gateway app hash %s at height %d, CometBFT's block %d says %s", before.AppHash, before.Height, before.Height+1, hashBefore)
	}

	nd.Stop()
	nd.Restart()
	after, err := nd.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Height < before.Height+1 {
		t.Fatalf("restarted at height %d, was at %d", after.Height, before.Height+1)
	}
	if err := nd.WaitHeight(ctx, after.Height+2); err != nil {
		t.Fatalf("no blocks after restart: %v", err)
	}
	hashAfter, err := nd.RPC().AppHashAfter(ctx, before.Height)
	if err != nil {
		t.Fatal(err)
	}
	if hashAfter != before.AppHash {
		t.Fatalf("app hash after block %d was %s, after the restart %s", before.Height, before.AppHash, hashAfter)
	}
	if err := net.CheckAppHash(ctx); err != nil {
		t.Fatal(err)
	}
	rec := waitChainAgent(t, ctx, nd, a.ID)
	if rec.CodeHash != a.CodeHash || rec.Owner != net.Admin.Address() {
		t.Fatalf("after restart the chain has agent %+v, deployed %+v", rec, a)
	}
	again, err := c.Agent(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.Attestor != a.Attestor {
		t.Fatalf("attestor changed across the restart: %s, was %s", again.Attestor, a.Attestor)
	}
	callHello(t, ctx, nd, a.ID)
}

// checkSameHeaders checks that every running node stored the same header at
// height h, app hash included.
func checkSameHeaders(t *testing.T, ctx context.Context, net *testnet.Net, h int64) {
	t.Helper()
	var first string
	for _, nd := range net.Running() {
		hd, err := nd.RPC().Header(ctx, h)
		if err != nil {
			t.Fatalf("node %d: header %d: %v", nd.Index, h, err)
		}
		got := fmt.Sprintf("time %s app hash %s", hd.Time.Format(time.RFC3339Nano), hd.AppHash)
		if first == "" {
			first = got
		} else if got != first {
			t.Fatalf("node %d: header %d has %s, node 0 %s", nd.Index, h, got, first)
		}
	}
}

// waitChainAgent polls the node's GET /v1/chain/agents/{id} until the agent
// is there.
func waitChainAgent(t *testing.T, ctx context.Context, nd *testnet.Node, id cove.AgentID) chain.AgentRecord {
	t.Helper()
	url := "http://" + nd.HTTPAddr + "/v1/chain/agents/" + id.String()
	for {
		rec, status, err := getJSON[chain.AgentRecord](ctx, url)
		if err == nil && status == http.StatusOK {
			return rec
		}
		select {
		case <-ctx.Done():
			t.Fatalf("node %d: agent %s never appeared on %s (last: %d %v)", nd.Index, id, url, status, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func getJSON[T any](ctx context.Context, url string) (T, int, error) {
	var v T
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return v, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return v, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return v, resp.StatusCode, err
	}
	if resp.StatusCode != http.StatusOK {
		return v, resp.StatusCode, fmt.Errorf("%s", b)
	}
	return v, resp.StatusCode, json.Unmarshal(b, &v)
}

// callHello calls the hello agent on nd and checks the answer and that its
// receipt is signed by the attestor nd reports for the agent.
func callHello(t *testing.T, ctx context.Context, nd *testnet.Node, id cove.AgentID) {
	t.Helper()
	c := nd.Client()
	view, err := c.Agent(ctx, id)
	if err != nil {
		t.Fatalf("node %d: agent %s: %v", nd.Index, id, err)
	}
	resp, err := c.Call(ctx, id, http.MethodGet, "/hello?name=Ada", nil, nil)
	if err != nil {
		t.Fatalf("node %d: call %s: %v", nd.Index, id, err)
	}
	if resp.Status != http.StatusOK || string(resp.Body) != helloWant {
		t.Fatalf("node %d: call %s: %d %s, want 200 %s", nd.Index, id, resp.Status, resp.Body, helloWant)
	}
	s, err := resp.Verify(view.Attestor)
	if err != nil {
		t.Fatalf("node %d: receipt: %v", nd.Index, err)
	}
	if s.Receipt.Agent != id || s.Receipt.CodeHash != view.CodeHash {
		t.Fatalf("node %d: receipt for agent %s code %s, want %s %s", nd.Index, s.Receipt.Agent, s.Receipt.CodeHash, id, view.CodeHash)
	}
}

func wantBalance(t *testing.T, ctx context.Context, c *client.Client, addr cove.Address, want *big.Int) {
	t.Helper()
	acct, err := c.Account(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if acct.Balance.Cmp(want) != 0 {
		t.Errorf("%s: balance %s on %s, want %s", addr, acct.Balance, c.Base(), want)
	}
}
