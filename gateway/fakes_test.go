package gateway_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/blob"
	"github.com/cove-network/cove/blob/cid"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/ethsig"
	"github.com/cove-network/cove/gateway"
	"github.com/cove-network/cove/internal/testchain"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/receipt"
)

// The fakes below stand in for the gateway's collaborators so that fuzzing
// exercises only the gateway's decoding and routing. fakeChain keeps the
// real state machine (package chain has no I/O) in place of the validator
// and CometBFT: one transaction per block, committed at once.

const fuzzChainID = 7731

var fuzzGenesisTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fuzzKey is a funded account with a fixed key, so seeds are repeatable.
type fuzzKey struct {
	priv *ecdsa.PrivateKey
	addr cove.Address
}

func newFuzzKey(name string) fuzzKey {
	seed := sha256.Sum256([]byte("cove/gateway/fuzz/" + name))
	priv, err := crypto.ToECDSA(seed[:])
	if err != nil {
		panic(err)
	}
	return fuzzKey{priv: priv, addr: cove.Address(crypto.PubkeyToAddress(priv.PublicKey))}
}

func (k fuzzKey) sign(d cove.Hash) ([65]byte, error) {
	return ethsig.Sign(k.priv, d)
}

// tx signs msg for the fuzz chain.
func (k fuzzKey) tx(t testing.TB, chainID uint64, msg chain.Msg) []byte {
	t.Helper()
	b, err := chain.SignTx(chainID, msg, k.sign)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	owner    = newFuzzKey("owner")     // funded; owns the known agent; nonce 1
	stranger = newFuzzKey("stranger")  // funded; nonce 0
	nobody   = newFuzzKey("nobody")    // no account
	operator = newFuzzKey("operator")  // funded; operates testWorker; nonce 1
	bigPayer = newFuzzKey("big-payer") // funded with 2^60 for BenchmarkCall's paid calls; nonce 0
)

// testWorker is the worker registered in block 1, which the tests' paid
// channels are bound to (ADR 25).
var (
	testWorkerKey = []byte("gateway-test-worker")
	testWorker    = chain.WorkerID(testWorkerKey)
)

// A deployed agent and a stored bundle every fuzz gateway starts with.
var (
	knownCode  = []byte("var __cove_agent = { default: { fetch() { return new Response('hi'); } } };")
	knownCID   = cid.Of(knownCode)
	knownSalt  = cove.Hash{1}
	knownAgent = cove.DeriveAgentID(owner.addr, cove.SHA256(knownCode), knownSalt)
	otherCode  = []byte("var __cove_agent = { default: { fetch() { return new Response('v2'); } } };")
	otherCID   = cid.Of(otherCode)
)

// fuzzState is the committed state every fakeChain starts from: genesis
// funding owner, stranger, operator and bigPayer, then block 1 deploying the known agent.
var fuzzState = sync.OnceValues(func() (*chain.App, error) {
	app := chain.New()
	g := chain.DefaultGenesis(fuzzChainID, owner.addr, map[cove.Address]*big.Int{owner.addr: big.NewInt(1000), stranger.addr: big.NewInt(1000), operator.addr: big.NewInt(1000), bigPayer.addr: big.NewInt(1 << 60)})
	g.Time = fuzzGenesisTime
	if _, err := app.InitChain(g); err != nil {
		return nil, err
	}
	app.Commit()
	deploy, err := chain.SignTx(fuzzChainID, chain.DeployAgent{Name: "known", CID: knownCID, CodeHash: cove.SHA256(knownCode), Salt: knownSalt}, owner.sign)
	if err != nil {
		return nil, err
	}
	// A worker to bind channels to; its quote is not checked here (a
	// chain loaded from this state takes no registration).
	app.SetVerifier(testchain.AnyQuote{})
	register, err := chain.SignTx(fuzzChainID, chain.RegisterWorker{TEE: "sim", PublicKey: testWorkerKey, Endpoint: "https://worker.example:8443", Quote: []byte("quote")}, operator.sign)
	if err != nil {
		return nil, err
	}
	res := app.FinalizeBlock(chain.Block{Height: 1, Time: fuzzGenesisTime.Add(time.Second), Txs: [][]byte{deploy, register}})
	for _, r := range res.TxResults {
		if r.Code != 0 {
			return nil, &txRefused{r}
		}
	}
	app.Commit()
	return app, nil
})

type txRefused struct{ r chain.TxResult }

func (e *txRefused) Error() string { return "fuzz state: " + e.r.Log }

type fakeChain struct {
	mu  sync.Mutex // one block at a time
	app *chain.App
}

// newFakeChain returns a chain holding a fresh copy of fuzzState.
func newFakeChain(t testing.TB) *fakeChain {
	t.Helper()
	base, err := fuzzState()
	if err != nil {
		t.Fatal(err)
	}
	app, err := chain.Load(base.Snapshot(), base.Height(), base.AppHash())
	if err != nil {
		t.Fatal(err)
	}
	return &fakeChain{app: app}
}

// status is GET /v1/chain/status of c, computed from its state.
func (c *fakeChain) status() api.ChainStatus {
	h := c.app.View().Head()
	return api.ChainStatus{ChainID: c.Name(), NumericChainID: c.app.ChainID(), Height: h.Height, AppHash: "0x" + hex.EncodeToString(h.AppHash)}
}

func (c *fakeChain) View() chain.View { return c.app.View() }

func (c *fakeChain) Name() string { return "cove-fuzz" }

// LightBlock: the fake chain has no consensus and no headers.
func (c *fakeChain) LightBlock(ctx context.Context, height int64) ([]byte, error) {
	return nil, fmt.Errorf("fake chain has no light blocks: %w", cove.ErrNotFound)
}

// Block, BlockMeta: the fake chain keeps no block store.
func (c *fakeChain) Block(height int64) (chain.StoredBlock, error) {
	return chain.StoredBlock{}, fmt.Errorf("fake chain has no block store: %w", cove.ErrNotFound)
}

func (c *fakeChain) BlockMeta(height int64) (chain.StoredBlock, error) {
	return c.Block(height)
}

// Tx: the fake chain keeps no index of transactions.
func (c *fakeChain) Tx(h cove.Hash) chain.TxStatus {
	return chain.TxStatus{State: chain.TxUnknown, TxOutcome: chain.TxOutcome{Hash: h.String()}}
}

// Broadcast runs CheckTx, as the mempool does, then a block holding tx.
func (c *fakeChain) Broadcast(ctx context.Context, tx []byte) (chain.TxOutcome, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := chain.TxOutcome{Hash: chain.TxHash(tx).String()}
	if r := c.app.CheckTx(tx); r.Code != 0 {
		out.Code, out.Log = r.Code, r.Log
		return out, nil
	}
	h := c.app.Height() + 1
	res := c.app.FinalizeBlock(chain.Block{Height: h, Time: fuzzGenesisTime.Add(time.Duration(h) * time.Second), Txs: [][]byte{tx}})
	c.app.Commit()
	r := res.TxResults[0]
	out.Height, out.Code, out.Log, out.Events = h, r.Code, r.Log, r.Events
	return out, nil
}

type fakeBlobs struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (b *fakeBlobs) Put(p []byte) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := cid.Of(p)
	b.m[id] = bytes.Clone(p)
	return id, nil
}

func (b *fakeBlobs) Get(cid string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, ok := b.m[cid]
	if !ok {
		return nil, blob.ErrNotFound
	}
	return p, nil
}

func (b *fakeBlobs) Has(cid string) bool {
	_, err := b.Get(cid)
	return err == nil
}

// fakeInvoker answers every call with JSON naming the agent, the URL the
// agent would see and the path the receipt covers, signed by a real
// attestor of a fixed test cluster.
type fakeInvoker struct{ notReady error }

// testCluster is the cluster key fakeInvoker signs with.
var testCluster = func() keys.Cluster {
	c, err := keys.ClusterFromBytes(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		panic(err)
	}
	return c
}()

func (f fakeInvoker) Invoke(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error) {
	// The URL travels as hex: it may hold any bytes.
	b, _ := json.Marshal(map[string]string{"agent": id.String(), "url": hex.EncodeToString([]byte(c.URL)), "path": c.Path})
	return signedResponse(id, c, http.StatusOK, cove.Header{"Content-Type": {"application/json"}}, b), nil
}

func (f fakeInvoker) Ready() error { return f.notReady }

// signedResponse is a buffered response with a real receipt for c.
func signedResponse(id cove.AgentID, c cove.Call, status int, h cove.Header, body []byte) *cove.Response {
	s, err := receipt.Sign(testCluster.Agent(id).Attestor(), receiptFor(id, c, status, h, body))
	if err != nil {
		panic(err)
	}
	return &cove.Response{Status: status, Header: h, Body: body, Receipt: &s, RequestID: "req-1"}
}

// receiptFor is the version-2 receipt a worker makes for c answered with
// status, header h and body.
func receiptFor(id cove.AgentID, c cove.Call, status int, h cove.Header, body []byte) cove.Receipt {
	return cove.Receipt{Version: cove.ReceiptV2, Agent: id, CodeHash: cove.SHA256(knownCode), RequestHash: cove.RequestHash(c.Method, c.Path, c.Body),
		Status: uint16(status), ResponseHash: cove.SHA256(body), Timestamp: uint64(fuzzGenesisTime.Unix()), HeadersHash: cove.HeadersHash(c.Host, h)}
}

type fakeLogs struct{}

func (fakeLogs) Logs(id cove.AgentID, n int) []cove.Invocation {
	return []cove.Invocation{{RequestID: "r1", Agent: id, Method: "GET", Path: "/", Status: 200}}
}

func (fakeLogs) Follow(ctx context.Context, id cove.AgentID) <-chan cove.Invocation {
	ch := make(chan cove.Invocation)
	close(ch) // the stream ends at once, so follow requests finish
	return ch
}

type fakeKeys struct{}

func (fakeKeys) ClusterKey() (string, uint32, []byte, error) { return "test", 0, make([]byte, 32), nil }
func (fakeKeys) Attestor(id cove.AgentID) cove.Address {
	var a cove.Address
	copy(a[:], id[:])
	return a
}

// newFuzzGateway returns a ready gateway over a fresh fakeChain.
func newFuzzGateway(t testing.TB) (*gateway.Server, *fakeChain) {
	t.Helper()
	return newTestGateway(t, gateway.DefaultConfig(), fakeInvoker{})
}

// newTestGateway returns a gateway with cfg and inv over a fresh fakeChain.
func newTestGateway(t testing.TB, cfg gateway.Config, inv gateway.Invoker) (*gateway.Server, *fakeChain) {
	t.Helper()
	c := newFakeChain(t)
	blobs := &fakeBlobs{m: map[string][]byte{knownCID: knownCode, otherCID: otherCode}}
	s, err := gateway.New(cfg, slog.New(slog.DiscardHandler), c, blobs, inv, fakeLogs{}, fakeKeys{})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}
