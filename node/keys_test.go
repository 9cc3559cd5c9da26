package node_test

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/secret"
)

type epochView struct {
	Epoch     uint64 `json:"epoch"`
	PublicKey string `json:"publicKey"`
}

func (n *testNode) epochs(t *testing.T) []epochView {
	t.Helper()
	var v struct {
		Epochs []epochView `json:"epochs"`
	}
	getJSON(t, n.base+"/v1/chain/keys", &v)
	return v.Epochs
}

// TestKeysProvisionedThroughChain: a dev node's gatekeeper registers,
// makes epoch 0 and provisions the node's worker through the chain (the
// node turns healthy only then); /v1/keys is the chain's epoch key; a
// deployed agent's attestor is published on chain and signs its receipts.
func TestKeysProvisionedThroughChain(t *testing.T) {
	t.Parallel()
	dev := newSigner(t)
	n := startNode(t, newConfig(t), dev)

	var gks struct {
		Gatekeepers []chain.GatekeeperRecord `json:"gatekeepers"`
	}
	getJSON(t, n.base+"/v1/chain/gatekeepers", &gks)
	if len(gks.Gatekeepers) != 1 || gks.Gatekeepers[0].TEE != "sim" {
		t.Fatalf("gatekeepers %+v", gks.Gatekeepers)
	}
	eps := n.epochs(t)
	var keys api.KeyInfo
	getJSON(t, n.base+"/v1/keys", &keys)
	if len(eps) != 1 || eps[0].Epoch != 0 || keys.Epoch != 0 || keys.PublicKey != eps[0].PublicKey {
		t.Fatalf("epochs %+v, /v1/keys %+v", eps, keys)
	}
	wid := ownWorkerID(t, n.cfg)
	var prov struct {
		Provisions []chain.ProvisionRecord `json:"provisions"`
	}
	getJSON(t, n.base+"/v1/chain/provisions/"+wid.String(), &prov)
	if len(prov.Provisions) != 1 || prov.Provisions[0].Kind != "worker" || prov.Provisions[0].Epoch != 0 {
		t.Fatalf("provisions of the worker %+v", prov.Provisions)
	}
	// The sealed key is not the cluster key in the clear: the worker's
	// identity opens it, nobody else.
	if bytes.Contains(prov.Provisions[0].Sealed, []byte(keys.PublicKey)) || len(prov.Provisions[0].Sealed) < 1120 {
		t.Fatalf("sealed provision of %d bytes", len(prov.Provisions[0].Sealed))
	}

	a := n.deploy(t, filepath.Join(examples, "hello.ts"), map[string]string{"GREETING": "Yo"})
	eventually(t, 20*time.Second, "the attestor published on chain", func() bool {
		rec, _ := n.chainAgent(t, a.ID)
		return !rec.Attestor.IsZero()
	})
	if rec, _ := n.chainAgent(t, a.ID); rec.Attestor != a.Attestor || rec.KeyEpoch != 0 {
		t.Fatalf("chain attestor %s epoch %d, the gateway said %s before", rec.Attestor, rec.KeyEpoch, a.Attestor)
	}
	wantResponse(t, n.get(t, a, "/hello?name=Ada"), 200, `{"greeting":"Yo Ada","agent":"hello"}`)
}

// TestRotationUnderLoad: `cove admin rotate-keys` (RotateKeys) while a
// client calls an agent every few milliseconds: no call fails, the agent
// keeps its attestor, its secrets sealed to epoch 0 still open, and a new
// deployment's secrets are sealed to epoch 1.
func TestRotationUnderLoad(t *testing.T) {
	t.Parallel()
	dev := newSigner(t)
	n := startNode(t, newConfig(t), dev)
	hello := filepath.Join(examples, "hello.ts")
	a := n.deploy(t, hello, map[string]string{"GREETING": "Yo"})
	wantResponse(t, n.get(t, a, "/hello?name=Ada"), 200, `{"greeting":"Yo Ada","agent":"hello"}`)
	eventually(t, 20*time.Second, "the attestor published on chain", func() bool {
		rec, _ := n.chainAgent(t, a.ID)
		return !rec.Attestor.IsZero()
	})

	var (
		calls, failures atomic.Int64
		firstErr        atomic.Value
		stop            = make(chan struct{})
		wg              sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			resp, err := n.c.Call(ctx, a.ID, http.MethodGet, "/hello?name=Ada", nil, nil)
			cancel()
			calls.Add(1)
			if err == nil {
				_, err = resp.Verify(a.Attestor)
			}
			if err == nil && (resp.Status != 200 || string(resp.Body) != `{"greeting":"Yo Ada","agent":"hello"}`) {
				err = errStatus(resp.Status, resp.Body)
			}
			if err != nil {
				failures.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		}
	}()
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()

	start := time.Now()
	dev.mu.Lock()
	out, err := n.c.Send(ctxFor(t, 30*time.Second), dev, func(nonce uint64) chain.Msg { return chain.RotateKeys{Nonce: nonce} })
	dev.mu.Unlock()
	if err != nil {
		t.Fatalf("RotateKeys: %v", err)
	}
	wid := ownWorkerID(t, n.cfg)
	eventually(t, 30*time.Second, "epoch 1 provisioned to the worker", func() bool {
		var prov struct {
			Provisions []chain.ProvisionRecord `json:"provisions"`
		}
		getJSON(t, n.base+"/v1/chain/provisions/"+wid.String(), &prov)
		return len(prov.Provisions) == 2
	})
	t.Logf("rotation: RotateKeys in block %d, epoch 1 provisioned to the worker %s later", out.Height, time.Since(start).Round(time.Millisecond))

	// A new deployment seals to epoch 1 and runs once the worker opened it.
	var keys api.KeyInfo
	getJSON(t, n.base+"/v1/keys", &keys)
	eps := n.epochs(t)
	if keys.Epoch != 1 || len(eps) != 2 || keys.PublicKey != eps[1].PublicKey || eps[0].PublicKey == eps[1].PublicKey {
		t.Fatalf("/v1/keys %d, epochs %+v", keys.Epoch, eps)
	}
	b := n.deploy(t, hello, map[string]string{"GREETING": "Hej"})
	rb, _ := n.chainAgent(t, b.ID)
	if e, err := secret.Epoch(rb.Secrets); err != nil || e != 1 || rb.KeyEpoch != 1 {
		t.Fatalf("new deployment: secrets epoch %d (%v), key epoch %d; want 1, 1", e, err, rb.KeyEpoch)
	}
	// The worker opens its epoch-1 key on the provision's event (or its
	// next re-read); until then the new agent answers 503 not provisioned.
	eventually(t, 10*time.Second, "the new agent to answer", func() bool {
		resp, err := n.c.Call(ctxFor(t, 10*time.Second), b.ID, http.MethodGet, "/hello?name=Bo", nil, nil)
		return err == nil && resp.Status == 200
	})
	wantResponse(t, n.get(t, b, "/hello?name=Bo"), 200, `{"greeting":"Hej Bo","agent":"hello"}`)

	// Keep calling a little past the switch, then stop.
	target := calls.Load() + 20
	eventually(t, 10*time.Second, "more calls", func() bool { return calls.Load() >= target })
	close(stop)
	wg.Wait()
	if f := failures.Load(); f != 0 {
		t.Fatalf("%d of %d calls failed during the rotation; first: %v", f, calls.Load(), firstErr.Load())
	}
	t.Logf("%d calls during the rotation, none failed", calls.Load())

	// The old agent keeps its attestor and its epoch-0 secrets.
	ra, _ := n.chainAgent(t, a.ID)
	if ra.Attestor != a.Attestor || ra.KeyEpoch != 0 {
		t.Fatalf("agent after rotation: attestor %s epoch %d, want %s 0", ra.Attestor, ra.KeyEpoch, a.Attestor)
	}
	if e, _ := secret.Epoch(ra.Secrets); e != 0 {
		t.Fatalf("old secrets epoch %d", e)
	}
	wantResponse(t, n.get(t, a, "/hello?name=Ada"), 200, `{"greeting":"Yo Ada","agent":"hello"}`)
	eventually(t, 20*time.Second, "the new agent's attestor on chain", func() bool {
		rec, _ := n.chainAgent(t, b.ID)
		return rec.Attestor == b.Attestor
	})
}

type statusError struct {
	status int
	body   string
}

func (e statusError) Error() string { return "status " + http.StatusText(e.status) + ": " + e.body }

func errStatus(status int, body []byte) error {
	if len(body) > 200 {
		body = body[:200]
	}
	return statusError{status, string(body)}
}
