package testnet_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/blob/cid"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/filefault"
	"github.com/cove-network/cove/internal/testnet"
	"github.com/cove-network/cove/node"
	"github.com/cove-network/cove/worker"
)

// bundlePath is where nd stores the bundle with this CID (see package blob).
func bundlePath(t *testing.T, nd *testnet.Node, id string) string {
	t.Helper()
	cfg, err := node.LoadConfig(nd.Home)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(cfg.DataDir, "blobs", id[len(cid.Prefix):len(cid.Prefix)+2], id)
}

func flipByte(b []byte) []byte { b = bytes.Clone(b); b[len(b)/2] ^= 0x01; return b }

func truncate(b []byte) []byte { return b[:len(b)/2] }

// TestDamagedBundle damages the stored bundle of a deployed agent on a node
// of a two-node network and restarts the node (so that its worker reads the
// file again rather than its compiled program): with a good copy on the
// peer, the call succeeds and the file is repaired; with none, the call
// answers a signed 503 bundle_unavailable and the node logs the damage at
// ERROR once; an upload heals it.
func TestDamagedBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two validators and restarts one twice (about 20 s); skipped with -short")
	}
	ctx := ctxFor(t, 120*time.Second)
	net := testnet.Start(t, 2)
	if err := net.WaitHeight(ctx, 2); err != nil {
		t.Fatal(err)
	}
	a, err := net.Node(0).Client().Deploy(ctx, helloAgent, client.DeployOptions{Signer: net.Admin, Name: "hello"})
	if err != nil {
		t.Fatalf("deploy through node 0: %v", err)
	}
	n0, n1 := net.Node(0), net.Node(1)
	waitChainAgent(t, ctx, n1, a.ID)
	// Control: node 1 runs the agent from its fetched, undamaged copy.
	callHello(t, ctx, n1, a.ID)
	p0, p1 := bundlePath(t, n0, a.CID), bundlePath(t, n1, a.CID)
	good, err := os.ReadFile(p1)
	if err != nil || cid.Of(good) != a.CID {
		t.Fatalf("node 1's stored bundle: %v, cid %s, want %s", err, cid.Of(good), a.CID)
	}
	wantStored := func(what string) {
		t.Helper()
		if b, err := os.ReadFile(p1); err != nil || !bytes.Equal(b, good) {
			t.Fatalf("%s: node 1's bundle file %d bytes (%v), want the %d good ones", what, len(b), err, len(good))
		}
	}

	// A flipped byte, with the peer holding a good copy: repaired.
	n1.Stop()
	filefault.Rewrite(t, p1, flipByte)
	n1.Restart()
	callHello(t, ctx, n1, a.ID)
	wantStored("after a flipped byte")
	if !strings.Contains(n1.Logs(), "damaged bundle replaced with a verified copy from a peer") {
		t.Fatalf("node 1 did not log the repair:\n%s", n1.Logs())
	}

	// Truncated, and the peer's copy damaged too: no good copy anywhere.
	// (Node 0 keeps running its compiled program; its gateway no longer
	// serves the file.)
	n1.Stop()
	filefault.Rewrite(t, p1, truncate)
	filefault.Rewrite(t, p0, flipByte)
	n1.Restart()
	view, err := n1.Client().Agent(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		resp, err := n1.Client().Call(ctx, a.ID, http.MethodGet, "/hello?name=Ada", nil, nil)
		if err != nil {
			t.Fatalf("call %d with no good copy: %v", i, err)
		}
		var eb api.ErrorBody
		if resp.Status != http.StatusServiceUnavailable || json.Unmarshal(resp.Body, &eb) != nil || eb.Error.Code != worker.CodeNoBundle {
			t.Fatalf("call %d with no good copy: %d %s, want 503 %s", i, resp.Status, resp.Body, worker.CodeNoBundle)
		}
		if _, err := resp.Verify(view.Attestor); err != nil {
			t.Fatalf("call %d with no good copy: the error is not signed by the agent: %v", i, err)
		}
	}
	if n := strings.Count(n1.Logs(), "level=ERROR msg=\"stored bundle is damaged"); n != 1 {
		t.Fatalf("node 1 logged the damage at ERROR %d times over 3 calls, want 1:\n%s", n, n1.Logs())
	}
	if b, _ := os.ReadFile(p1); len(b) != len(good)/2 {
		t.Fatalf("node 1's damaged file was replaced by %d bytes with no good copy anywhere", len(b))
	}

	// The owner uploads the bundle again: node 1 heals.
	if got, err := n1.Client().PutBlob(ctx, good); err != nil || got != a.CID {
		t.Fatalf("upload: %s, %v", got, err)
	}
	callHello(t, ctx, n1, a.ID)
	wantStored("after the upload")
}
