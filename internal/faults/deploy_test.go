package faults_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
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
	homes, procs, clients := startNet(t, ctx, bin, 1, owner.Address())
	h, p, c := homes[0], procs[0], clients[0]
	rpc := cometrpc.New(h.RPC)
	t.Cleanup(rpc.Close)
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
		{"with the DeployAgent request written to the gateway", func(t *testing.T, salt cove.Hash) {
			// The client talks through a proxy that says when the
			// transaction's request has been written to the node; the node
			// dies then, with the request in its socket or in its hands.
			wrote := make(chan struct{})
			cp := newClient(t, strings.TrimPrefix(watchTx(t, h.HTTP, wrote), "http://"))
			done := make(chan error, 1)
			go func() {
				_, err := cp.DeployCode(ctx, code, client.DeployOptions{Signer: owner, Name: "hello", Salt: salt})
				done <- err
			}()
			select {
			case <-wrote:
			case err := <-done:
				t.Fatalf("the deploy ended before its transaction was written: %v", err)
			case <-ctx.Done():
				t.Fatal(ctx.Err())
			}
			p.kill9()
			if err := <-done; err == nil {
				t.Logf("the deploy was reported committed before the kill")
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

// watchTx starts a reverse proxy in front of the gateway at addr that
// closes wrote once it has written a POST /v1/chain/tx request to the
// gateway, and returns the proxy's URL. It stops with t.
func watchTx(t *testing.T, addr string, wrote chan struct{}) string {
	u, err := url.Parse("http://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	p := httputil.NewSingleHostReverseProxy(u)
	p.Transport = roundTripper(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/chain/tx" {
			trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(func() { close(wrote) }) }}
			r = r.WithContext(httptrace.WithClientTrace(r.Context(), trace))
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

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
