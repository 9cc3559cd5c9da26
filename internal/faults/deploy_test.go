package faults_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/blob/cid"
	"github.com/cove-network/cove/bundle"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testnet"
	"github.com/cove-network/cove/internal/testnet/cometrpc"
)

var helloAgent = filepath.Join("..", "..", "examples", "hello.ts")

const helloWant = `{"greeting":"Hello Ada","agent":"hello"}`

// TestKillDuringDeploy kills a `cove node` with SIGKILL at points of a
// deployment and restarts it on the same home. Whatever the point, the
// deployment ends whole: the agent exists with its code and answers with
// a receipt its attestor signed, either because the deployment committed
// before the kill or because the same deployment (same salt, so the same
// agent id), retried after the restart, succeeds. Nothing half-deployed
// keeps the node from serving.
func TestKillDuringDeploy(t *testing.T) {
	slow(t, "builds cove and kills a node during deploys (about 20 s)")
	bin := coveBin(t)
	ctx := ctxFor(t, 150*time.Second)
	owner := testnet.NewKey(t)
	h := initNet(t, bin, 1, owner.Address())[0]
	c := newClient(t, h.HTTP)
	rpc := cometrpc.New(h.RPC)
	t.Cleanup(rpc.Close)
	p := mustStart(t, bin, h)
	if err := p.waitHealthy(ctx, c, 1); err != nil {
		t.Fatal(err)
	}
	bnd, err := bundle.Build(helloAgent)
	if err != nil {
		t.Fatal(err)
	}
	code := bnd.Code
	codeHash := cove.SHA256(code)

	// Each point runs the deployment up to where the node dies and
	// returns the salt it used.
	points := []struct {
		name string
		upTo func(t *testing.T, salt cove.Hash)
	}{
		{"after the upload", func(t *testing.T, _ cove.Hash) {
			if _, err := c.PutBlob(ctx, code); err != nil {
				t.Fatal(err)
			}
		}},
		{"after the transaction reached the mempool", func(t *testing.T, salt cove.Hash) {
			cid, err := c.PutBlob(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			chainID, err := c.NumericChainID(ctx)
			if err != nil {
				t.Fatal(err)
			}
			acct, err := c.Account(ctx, owner.Address())
			if err != nil {
				t.Fatal(err)
			}
			tx, err := chain.SignTx(chainID, chain.DeployAgent{Name: "hello", CID: cid, CodeHash: codeHash, Salt: salt, Nonce: acct.Nonce}, owner.Sign)
			if err != nil {
				t.Fatal(err)
			}
			res, err := rpc.BroadcastSync(ctx, tx)
			if err != nil || res.Code != 0 {
				t.Fatalf("broadcast_tx_sync: %v %+v", err, res)
			}
		}},
		{"during the submission", func(t *testing.T, salt cove.Hash) {
			// The deploy's request is in flight when the node dies.
			done := make(chan error, 1)
			go func() {
				_, err := c.DeployCode(ctx, code, client.DeployOptions{Signer: owner, Name: "hello", Salt: salt})
				done <- err
			}()
			id := cove.DeriveAgentID(owner.Address(), codeHash, salt)
			// Kill once the upload is stored and before the agent is known:
			// the bundle's arrival is the last thing the client waits for.
			err := waitFor(ctx, "the upload", func() bool {
				_, err := c.Agent(ctx, id)
				return blobStored(ctx, h.HTTP, code) || err == nil
			})
			if err != nil {
				t.Fatal(err)
			}
			p.kill9()
			if err := <-done; err == nil {
				t.Logf("the deploy returned before the kill")
			}
		}},
		{"right after the deploy committed", func(t *testing.T, salt cove.Hash) {
			if _, err := c.DeployCode(ctx, code, client.DeployOptions{Signer: owner, Name: "hello", Salt: salt}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	test := t // owns the restarted processes
	for _, pt := range points {
		t.Run(pt.name, func(t *testing.T) {
			var salt cove.Hash
			rand.Read(salt[:])
			id := cove.DeriveAgentID(owner.Address(), codeHash, salt)
			st, err := c.ChainStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pt.upTo(t, salt)
			p.kill9()
			var took time.Duration
			p, took = restart(test, t, ctx, bin, h, c, st.Height)
			// Every point killed the node after the gateway acknowledged
			// the upload: the bundle must have survived.
			if !blobStored(ctx, h.HTTP, code) {
				t.Errorf("the bundle %s, acknowledged before the kill, is gone after the restart", cid.Of(code))
			}
			how := "committed before the kill"
			if _, err := c.Agent(ctx, id); err != nil {
				var ce *client.Error
				if !errors.As(err, &ce) || ce.Status != http.StatusNotFound {
					t.Fatalf("agent %s after the restart: %v", id, err)
				}
				if _, err := c.DeployCode(ctx, code, client.DeployOptions{Signer: owner, Name: "hello", Salt: salt}); err != nil {
					t.Fatalf("the same deploy retried after the restart: %v", err)
				}
				how = "retried after the restart"
			}
			took2 := answers(t, ctx, c, id, codeHash)
			t.Logf("killed %s; restarted in %s; deploy %s; the agent answered with a valid receipt %s after that", pt.name, took.Round(time.Millisecond), how, took2.Round(time.Millisecond))
		})
	}
}

// blobStored reports whether the gateway at addr serves code's bundle.
func blobStored(ctx context.Context, addr string, code []byte) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/v1/blobs/%s", addr, cid.Of(code)), nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// answers waits until agent id has code codeHash, an attestor, and answers
// hello with a receipt its attestor signed over that code; it returns how
// long that took.
func answers(t *testing.T, ctx context.Context, c *client.Client, id cove.AgentID, codeHash cove.Hash) time.Duration {
	t.Helper()
	start := time.Now()
	var last string
	err := waitFor(ctx, "the agent to answer", func() bool {
		view, err := c.Agent(ctx, id)
		if err != nil {
			last = err.Error()
			return false
		}
		if view.CodeHash != codeHash {
			t.Fatalf("agent %s has code %s, deployed %s", id, view.CodeHash, codeHash)
		}
		if view.Attestor == (cove.Address{}) {
			last = "no attestor yet"
			return false
		}
		resp, err := c.Call(ctx, id, http.MethodGet, "/hello?name=Ada", nil, nil)
		if err != nil {
			last = err.Error()
			return false
		}
		if resp.Status != http.StatusOK || string(resp.Body) != helloWant {
			last = fmt.Sprintf("%d %s", resp.Status, resp.Body)
			return false
		}
		s, err := resp.Verify(view.Attestor)
		if err != nil {
			t.Fatalf("receipt: %v", err)
		}
		if s.Receipt.Agent != id || s.Receipt.CodeHash != codeHash {
			t.Fatalf("receipt for agent %s code %s, want %s %s", s.Receipt.Agent, s.Receipt.CodeHash, id, codeHash)
		}
		return true
	})
	if err != nil {
		t.Fatalf("%v (last: %s)", err, last)
	}
	return time.Since(start)
}
