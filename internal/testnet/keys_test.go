package testnet_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testnet"
	"github.com/cove-network/cove/node"
	"github.com/cove-network/cove/worker"
)

// chainGet decodes GET path on node nd's gateway into v.
func chainGet(t *testing.T, nd *testnet.Node, path string, v any) {
	t.Helper()
	resp, err := http.Get("http://" + nd.HTTPAddr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func poll(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		<-time.After(20 * time.Millisecond)
	}
}

// TestGatekeeperFailover: every node of a four-node network runs a
// gatekeeper; node0 bootstraps the master key and hands the history to the
// others sealed to their attested keys. With node0's gatekeeper gone, a
// worker with a new identity registers, another gatekeeper provisions it,
// and it serves an agent deployed before.
func TestGatekeeperFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four validators and restarts one; skipped with -short")
	}
	ctx := ctxFor(t, 120*time.Second)
	start := time.Now()
	net := testnet.Start(t, 4)
	t.Logf("4 nodes up and provisioned in %s", time.Since(start).Round(time.Millisecond))
	n1 := net.Node(1)

	// Every gatekeeper registered, and each but the bootstrap one received
	// the master-key history.
	var gks struct {
		Gatekeepers []chain.GatekeeperRecord `json:"gatekeepers"`
	}
	poll(t, 15*time.Second, "four gatekeepers, three holding the history", func() bool {
		chainGet(t, n1, "/v1/chain/gatekeepers", &gks)
		if len(gks.Gatekeepers) != 4 {
			return false
		}
		with := 0
		for _, g := range gks.Gatekeepers {
			var p struct {
				Provisions []chain.ProvisionRecord `json:"provisions"`
			}
			chainGet(t, n1, "/v1/chain/provisions/"+g.ID.String(), &p)
			if len(p.Provisions) > 0 && p.Provisions[0].Kind == chain.ProvisionKindGatekeeper {
				with++
			}
		}
		return with >= 3
	})
	t.Logf("gatekeepers hold the history after %s", time.Since(start).Round(time.Millisecond))
	var keys struct {
		Epochs []chain.EpochRecord `json:"epochs"`
	}
	chainGet(t, n1, "/v1/chain/keys", &keys)
	if len(keys.Epochs) != 1 {
		t.Fatalf("epochs %+v", keys.Epochs)
	}

	c1 := n1.Client()
	a, err := c1.Deploy(ctx, helloAgent, client.DeployOptions{Signer: net.Admin, Secrets: map[string]string{"GREETING": "Hi"}})
	if err != nil {
		t.Fatal(err)
	}

	// The first gatekeeper goes away: node0 comes back as a validator,
	// worker and gateway without the gatekeeper role (so that the chain
	// keeps three of four validators while node2 restarts below).
	n0 := net.Node(0)
	cfg0, err := node.LoadConfig(n0.Home)
	if err != nil {
		t.Fatal(err)
	}
	cfg0.Roles.Gatekeeper = false
	if err := node.SaveConfig(n0.Home, cfg0); err != nil {
		t.Fatal(err)
	}
	n0.Restart()

	// node2 comes back with a new worker identity: a new worker to attest
	// and provision.
	var before struct {
		Workers []chain.WorkerRecord `json:"workers"`
	}
	chainGet(t, n1, "/v1/chain/workers", &before)
	n2 := net.Node(2)
	n2.Stop()
	if err := os.Remove(filepath.Join(n2.Home, "data", "worker", worker.IdentityFile)); err != nil {
		t.Fatal(err)
	}
	restart := time.Now()
	n2.Restart() // waits until node2 is healthy: provisioned
	t.Logf("node2 restarted with a new worker identity and provisioned in %s", time.Since(restart).Round(time.Millisecond))
	known := map[cove.Hash]bool{}
	for _, w := range before.Workers {
		known[w.ID] = true
	}
	var fresh chain.WorkerRecord
	var ws struct {
		Workers []chain.WorkerRecord `json:"workers"`
	}
	chainGet(t, n1, "/v1/chain/workers", &ws)
	for _, w := range ws.Workers {
		if !known[w.ID] {
			fresh = w
		}
	}
	if fresh.ID.IsZero() {
		t.Fatalf("no new worker among %d", len(ws.Workers))
	}
	var prov struct {
		Provisions []chain.ProvisionRecord `json:"provisions"`
	}
	// node2 is healthy once its own copy of the chain holds the provision;
	// node1 may commit that block a moment later.
	poll(t, 10*time.Second, "node1 to see the new worker's provision", func() bool {
		chainGet(t, n1, "/v1/chain/provisions/"+fresh.ID.String(), &prov)
		return len(prov.Provisions) > 0
	})
	if len(prov.Provisions) != 1 {
		t.Fatalf("provisions of the new worker %+v", prov.Provisions)
	}
	var opNode0 cove.Address
	for _, g := range gks.Gatekeepers {
		if g.Endpoint == "http://"+net.Node(0).HTTPAddr {
			opNode0 = g.Operator
		}
	}
	if prov.Provisions[0].By == opNode0 || opNode0.IsZero() {
		t.Fatalf("provisioned by %s; node0's gatekeeper operator is %s and it is off", prov.Provisions[0].By, opNode0)
	}
	// Time to provision: from the RegisterWorker block to the ProvisionKey
	// block.
	var st struct {
		Height int64 `json:"height"`
	}
	chainGet(t, n1, "/v1/chain/status", &st)
	blocks := prov.Provisions[0].Height - fresh.Height
	t.Logf("new worker registered at height %d, provisioned at height %d (%d blocks of ~%s) by %s",
		fresh.Height, prov.Provisions[0].Height, blocks, testnet.DefaultBlockInterval, prov.Provisions[0].By)

	resp, err := n2.Client().Call(ctx, a.ID, http.MethodGet, "/hello?name=Ada", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := resp.Verify(a.Attestor); err != nil || resp.Status != 200 || string(resp.Body) != `{"greeting":"Hi Ada","agent":"hello"}` {
		t.Fatalf("call on the new worker: %d %s %v", resp.Status, resp.Body, err)
	}
}
