package faults_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/contracts"
	"github.com/cove-network/cove/contracts/evmcall"
	"github.com/cove-network/cove/internal/gethdev"
	"github.com/cove-network/cove/internal/testchain"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
)

// evmChain is one real geth --dev chain with Cove's anchor and a consumer.
type evmChain struct {
	name     string
	geth     *gethdev.Geth
	evm      *ethclient.Client
	owner    contracts.Signer
	anchor   common.Address
	relayer  account.Info
	consumer common.Address
	mu       sync.Mutex
	asked    []evmcall.Asked
}

// newEVMChain starts geth --dev, deploys the anchor (owned by the test's
// funded key) and funds a relayer key written to keys.
func newEVMChain(t *testing.T, ctx context.Context, name string, keys *account.Store) *evmChain {
	t.Helper()
	g := gethdev.Start(t)
	evm, err := ethclient.DialContext(ctx, g.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(evm.Close)
	c := &evmChain{name: name, geth: g, evm: evm, owner: contracts.KeySigner(g.Key)}
	opts := contracts.Transactor(c.owner, big.NewInt(gethdev.ChainID))
	opts.Context = ctx
	at, tx, _, err := contracts.DeployCoveAnchor(opts, evm, big.NewInt(1e15), 300)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bind.WaitDeployedHash(ctx, evm, tx.Hash()); err != nil {
		t.Fatal(err)
	}
	c.anchor = at
	if c.relayer, err = keys.New("relayer-"+name, ""); err != nil {
		t.Fatal(err)
	}
	if err := g.Fund(ctx, c.relayer.Address, new(big.Int).Mul(big.NewInt(100), big.NewInt(1e18))); err != nil {
		t.Fatal(err)
	}
	return c
}

// toml is the chain's [[bridge.chains]] entry.
func (c *evmChain) toml(keysDir string) string {
	return fmt.Sprintf("\n[[bridge.chains]]\n  name = %q\n  rpc = %q\n  chain_id = %d\n  anchor = %q\n  relayer_key = %q\n  confirmations = 1\n  poll_interval = \"200ms\"\n  reprice_after = \"5s\"\n",
		c.name, c.geth.URL, gethdev.ChainID, c.anchor.Hex(), filepath.Join(keysDir, "relayer-"+c.name+".json"))
}

// trust makes the anchor trust every epoch signer the Cove chain shows.
func (c *evmChain) trust(t *testing.T, ctx context.Context, gateway string) {
	t.Helper()
	var keys struct {
		Epochs []struct {
			Epoch  uint64        `json:"epoch"`
			Signer *cove.Address `json:"signer"`
		} `json:"epochs"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := http.Get("http://" + gateway + "/v1/chain/keys")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(r.Body).Decode(&keys)
		r.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys.Epochs) > 0 && keys.Epochs[0].Signer != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no epoch signer on the Cove chain within 30 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	a, err := contracts.NewCoveAnchor(c.anchor, c.evm)
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range keys.Epochs {
		opts := contracts.Transactor(c.owner, big.NewInt(gethdev.ChainID))
		opts.Context = ctx
		tx, err := a.SetEpochSigner(opts, ep.Epoch, common.Address(*ep.Signer))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bind.WaitMinedHash(ctx, c.evm, tx.Hash()); err != nil {
			t.Fatal(err)
		}
	}
}

// ask sends one request through the consumer.
func (c *evmChain) ask(ctx context.Context, i int) error {
	a, err := evmcall.Ask(ctx, c.evm, c.owner, c.consumer, c.anchor, fmt.Sprintf("/hello?name=%s-%d", c.name, i), nil, 3_000_000, big.NewInt(1e15)) // geth --dev runs the draft Bogota fork: storage costs several times more
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.asked = append(c.asked, a)
	c.mu.Unlock()
	return nil
}

// fulfilled counts the requests asked so far that are fulfilled.
func (c *evmChain) fulfilled(ctx context.Context) (int, error) {
	c.mu.Lock()
	asked := append([]evmcall.Asked(nil), c.asked...)
	c.mu.Unlock()
	n := 0
	for _, a := range asked {
		_, st, err := evmcall.Status(ctx, c.evm, c.anchor, a.ID, a.Block)
		if err != nil {
			return 0, err
		}
		if st == evmcall.StateFulfilled {
			n++
		}
	}
	return n, nil
}

// TestBridgeKill9 (issue 8): one `cove node` bridges two real geth --dev
// chains at once while requests arrive on both; it is killed with SIGKILL
// after the first fulfilments and restarted on the same home; every
// request, sent before, during and after the kill, is then fulfilled, and
// each exactly once (one CoveFulfilled per request, answered by the agent).
func TestBridgeKill9(t *testing.T) {
	slow(t, "builds cove and geth, runs two geth --dev chains and kills the bridge (about 60 s)")
	const perChain = 10
	bin := coveBin(t)
	ctx := ctxFor(t, 300*time.Second)
	keys, err := account.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	chains := []*evmChain{newEVMChain(t, ctx, "geth-a", keys), newEVMChain(t, ctx, "geth-b", keys)}

	user := testchain.NewKey(t)
	h := initNet(t, bin, 1, user.Address())[0]
	cfgPath := filepath.Join(h.Home, "cove.toml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(cfg), "bridge = false", "bridge = true", 1)
	for _, c := range chains {
		text += c.toml(keys.Dir())
	}
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	p := mustStart(t, bin, h)
	c := newClient(t, h.HTTP)
	if err := p.waitHealthy(ctx, c, 1); err != nil {
		t.Fatal(err)
	}
	a, err := c.Deploy(ctx, filepath.Join("..", "..", "examples", "hello.ts"), client.DeployOptions{Signer: user, Name: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range chains {
		ch.trust(t, ctx, h.HTTP)
		if ch.consumer, err = evmcall.DeployConsumer(ctx, ch.evm, ch.owner, ch.anchor, a.ID); err != nil {
			t.Fatal(err)
		}
	}

	// Requests arrive on both chains all along: before, during and after
	// the kill.
	var wg sync.WaitGroup
	errs := make(chan error, len(chains))
	for _, ch := range chains {
		wg.Go(func() {
			for i := range perChain {
				if err := ch.ask(ctx, i); err != nil {
					errs <- fmt.Errorf("%s: ask %d: %w", ch.name, i, err)
					return
				}
				time.Sleep(300 * time.Millisecond)
			}
		})
	}
	if err := waitFor(ctx, "the first fulfilments", func() bool {
		n, err := chains[0].fulfilled(ctx)
		return err == nil && n >= 2
	}); err != nil {
		t.Fatal(err)
	}
	p.kill9()
	n0, _ := chains[0].fulfilled(ctx)
	t.Logf("killed the node with %d requests of %s fulfilled", n0, chains[0].name)
	time.Sleep(2 * time.Second) // requests land while the bridge is down
	p = mustStart(t, bin, h)
	if err := p.waitHealthy(ctx, c, 1); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, ch := range chains {
		if err := waitFor(ctx, ch.name+"'s requests fulfilled", func() bool {
			n, err := ch.fulfilled(ctx)
			return err == nil && n == perChain
		}); err != nil {
			t.Fatal(err)
		}
		an, err := contracts.NewCoveAnchor(ch.anchor, ch.evm)
		if err != nil {
			t.Fatal(err)
		}
		for _, asked := range ch.asked {
			it, err := an.FilterCoveFulfilled(&bind.FilterOpts{Start: asked.Block, Context: ctx}, []*big.Int{asked.ID})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for it.Next() {
				n++
				if it.Event.Status != 200 || !it.Event.CallbackSucceeded {
					t.Errorf("%s request %s: status %d, callback %v", ch.name, asked.ID, it.Event.Status, it.Event.CallbackSucceeded)
				}
			}
			if n != 1 {
				t.Errorf("%s request %s fulfilled %d times", ch.name, asked.ID, n)
			}
		}
	}
	// The bridge's own exactly-once (the anchor refuses a second fulfil
	// anyway): each relayer sent one registration and one fulfilment per
	// request, nothing more, across the kill.
	for _, ch := range chains {
		n, err := ch.evm.NonceAt(ctx, common.Address(ch.relayer.Address), nil)
		if err != nil {
			t.Fatal(err)
		}
		if n != perChain+1 {
			t.Errorf("%s's relayer sent %d transactions, want %d (a registration, one fulfilment per request)", ch.name, n, perChain+1)
		}
	}
	if !strings.Contains(p.out.String(), "bridge serving") {
		t.Error("the restarted node's bridge did not start")
	}
}
