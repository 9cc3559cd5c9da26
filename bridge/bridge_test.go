package bridge

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/contracts"
	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/receipt"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"log/slog"
)

const testFee = 1_000_000_000_000_000

// signingCove is a test double of the Cove network for the bridge's own
// logic: it answers each call with the request body reversed and a real
// receipt signed by the agent's attestor derived from a cluster key, and
// serves the agent record with the epoch signer's real grant. The whole
// path through a real worker and chain runs in internal/testnet's EVM test.
type signingCove struct {
	cluster keys.Cluster
	epoch   uint64
	calls   atomic.Int64
	mu      sync.Mutex
	fail    map[cove.AgentID]error // Invoke errors by agent
	status  int
}

func (c *signingCove) Agent(id cove.AgentID) (cove.Agent, error) {
	att := c.cluster.Agent(id).Attestor().Address()
	g, err := c.cluster.EpochSigner().Sign(cove.AttestorGrantDigest(id, att, c.epoch))
	if err != nil {
		return cove.Agent{}, err
	}
	return cove.Agent{ID: id, Attestor: att, KeyEpoch: c.epoch, AttestorGrant: g[:]}, nil
}

func (c *signingCove) Invoke(_ context.Context, id cove.AgentID, call cove.Call) (*cove.Response, error) {
	c.calls.Add(1)
	c.mu.Lock()
	err, status := c.fail[id], c.status
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if status == 0 {
		status = 200
	}
	body := bytes.Clone(call.Body)
	for i, j := 0, len(body)-1; i < j; i, j = i+1, j-1 {
		body[i], body[j] = body[j], body[i]
	}
	r := cove.Receipt{
		Version: cove.ReceiptV2, Agent: id, CodeHash: cove.SHA256([]byte("code")),
		RequestHash: cove.RequestHash(call.Method, call.Path, call.Body), Status: uint16(status),
		ResponseHash: cove.SHA256(body), Timestamp: uint64(time.Now().Unix()),
		HeadersHash: cove.HeadersHash(call.Host, cove.Header{}),
	}
	s, err := receipt.Sign(c.cluster.Agent(id).Attestor(), r)
	if err != nil {
		return nil, err
	}
	sr := cove.SignedReceipt(s)
	return &cove.Response{Status: status, Header: cove.Header{}, Body: body, Receipt: &sr}, nil
}

// chainEnv is a simulated chain with the anchor and a PriceConsumer, the
// epoch's signer trusted.
type chainEnv struct {
	t        testing.TB
	sim      *simulated.Backend
	chainID  *big.Int
	owner    *bind.TransactOpts
	relayKey *ecdsa.PrivateKey
	anchorAt common.Address
	anchor   *contracts.CoveAnchor
	consAt   common.Address
	consumer *contracts.PriceConsumer
	agent    cove.AgentID
	cove     *signingCove
}

func newChainEnv(t testing.TB) *chainEnv {
	t.Helper()
	ownerKey, _ := crypto.GenerateKey()
	relayKey, _ := crypto.GenerateKey()
	rich := new(big.Int).Mul(big.NewInt(1000), big.NewInt(1e18))
	sim := simulated.NewBackend(types.GenesisAlloc{
		crypto.PubkeyToAddress(ownerKey.PublicKey): {Balance: rich},
		crypto.PubkeyToAddress(relayKey.PublicKey): {Balance: rich},
	}, contracts.Osaka)
	t.Cleanup(func() { sim.Close() })
	chainID, err := sim.Client().ChainID(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	e := &chainEnv{t: t, sim: sim, chainID: chainID, relayKey: relayKey}
	e.owner, _ = bind.NewKeyedTransactorWithChainID(ownerKey, chainID)
	master, _ := keys.MasterFromBytes(bytes.Repeat([]byte{0x42}, 32))
	e.cove = &signingCove{cluster: master.Cluster(keys.DefaultCluster), epoch: 3, fail: map[cove.AgentID]error{}}
	e.agent = cove.AgentID(cove.SHA256([]byte("reverser")))
	var tx *types.Transaction
	e.anchorAt, tx, e.anchor, err = contracts.DeployCoveAnchor(e.owner, sim.Client(), big.NewInt(testFee), 300)
	e.mine(tx, err)
	e.consAt, tx, e.consumer, err = contracts.DeployPriceConsumer(e.owner, sim.Client(), e.anchorAt, e.agent)
	e.mine(tx, err)
	tx, err = e.anchor.SetEpochSigner(e.owner, e.cove.epoch, common.Address(e.cove.cluster.EpochSigner().Address()))
	e.mine(tx, err)
	return e
}

func (e *chainEnv) mine(tx *types.Transaction, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("send: %v", err)
	}
	e.sim.Commit()
	if r := e.receipt(tx.Hash()); r.Status != types.ReceiptStatusSuccessful {
		e.t.Fatalf("transaction %s failed", tx.Hash())
	}
}

// receipt returns the receipt of a transaction sent before the last
// Commit. The simulated chain now and then seals a block without a
// transaction just sent (its pool had not promoted it yet), and indexes
// transactions in the background: so this commits another block while the
// transaction is still in the pool, and polls (with a deadline) while it is
// indexed.
func (e *chainEnv) receipt(h common.Hash) *types.Receipt {
	e.t.Helper()
	ctx := e.t.Context()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, err := e.sim.Client().TransactionReceipt(ctx, h)
		if err == nil {
			return r
		}
		if !errors.Is(err, ethereum.NotFound) || time.Now().After(deadline) {
			e.t.Fatalf("receipt of %s: %v", h, err)
		}
		if _, pending, err := e.sim.Client().TransactionByHash(ctx, h); err == nil && pending {
			e.sim.Commit()
			continue
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ownerNonce is the owner's next nonce when none of its transactions is
// pending. (The pool's pending nonce can lag right after a Commit, while the
// pool resets to the new head: asking it gave "replacement transaction
// underpriced" now and then.)
func (e *chainEnv) ownerNonce() uint64 {
	e.t.Helper()
	n, err := e.sim.Client().NonceAt(e.t.Context(), e.owner.From, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// ask sends n requests through the consumer in one block and returns
// their ids.
func (e *chainEnv) ask(n int, body string) []*big.Int {
	e.t.Helper()
	return e.askGas(n, body, 300_000)
}

// askGas is ask with callbackGas for each request's callback.
func (e *chainEnv) askGas(n int, body string, callbackGas uint32) []*big.Int {
	e.t.Helper()
	var txs []*types.Transaction
	nonce := e.ownerNonce()
	for i := range n {
		opts := *e.owner
		opts.Nonce = new(big.Int).SetUint64(nonce + uint64(i))
		opts.Value = big.NewInt(testFee)
		opts.GasLimit = 400_000
		tx, err := e.consumer.Ask(&opts, "/price", []byte(body+strings.Repeat("!", i%3)), callbackGas)
		if err != nil {
			e.t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	e.sim.Commit()
	var ids []*big.Int
	for _, tx := range txs {
		r := e.receipt(tx.Hash())
		if r.Status != types.ReceiptStatusSuccessful {
			e.t.Fatalf("ask %s reverted", tx.Hash())
		}
		for _, l := range r.Logs {
			if ev, err := e.anchor.ParseCoveRequest(*l); err == nil {
				ids = append(ids, ev.RequestId)
			}
		}
	}
	return ids
}

func (e *chainEnv) config(dir string) Config {
	return Config{Dir: dir, Chains: []ChainConfig{{
		Name: "sim", Client: e.sim.Client(), ChainID: e.chainID.Uint64(), Anchor: e.anchorAt,
		Key: KeySigner(e.relayKey), PollInterval: 20 * time.Millisecond, RepriceAfter: time.Hour,
	}}}
}

// start runs a bridge over dir until the returned stop is called.
func (e *chainEnv) start(dir string, logs *syncbuf.Buffer) (*Bridge, func()) {
	e.t.Helper()
	return e.run(e.config(dir), logs)
}

// run runs a bridge with cfg, logging to logs, until the returned stop is
// called.
// runWith runs the bridge over the faulty client d, re-pricing after
// repriceAfter (0: the default), and returns its logs.
func (e *chainEnv) runWith(d *faultyEVM, repriceAfter time.Duration) (*Bridge, *syncbuf.Buffer, func()) {
	e.t.Helper()
	cfg := e.config(e.t.TempDir())
	cfg.Chains[0].Client = d
	if repriceAfter > 0 {
		cfg.Chains[0].RepriceAfter = repriceAfter
	}
	logs := &syncbuf.Buffer{}
	b, stop := e.run(cfg, logs)
	return b, logs, stop
}

func (e *chainEnv) run(cfg Config, logs *syncbuf.Buffer) (*Bridge, func()) {
	e.t.Helper()
	cfg.Log = slog.New(slog.NewTextHandler(logs, nil))
	b, err := New(cfg, e.cove)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	return b, func() {
		cancel()
		if err := <-done; err != nil {
			e.t.Errorf("bridge Run: %v", err)
		}
	}
}

// fulfilled reports whether every request of ids is fulfilled.
func (e *chainEnv) fulfilled(ids []*big.Int) bool {
	e.t.Helper()
	for _, id := range ids {
		if e.status(id) != anchorFulfilled {
			return false
		}
	}
	return true
}

// fulfilByHand fulfils request id (made with path and body) from the
// owner's account, as another relayer would: it registers the agent's
// attestor if the anchor has none and sends fulfil with a receipt signed as
// signingCove signs them. It returns the fulfilment's receipt.
func (e *chainEnv) fulfilByHand(id *big.Int, path string, body []byte) *types.Receipt {
	e.t.Helper()
	ctx := e.t.Context()
	if att, err := e.anchor.AttestorOf(nil, e.agent); err != nil || att == (common.Address{}) {
		rec, err := e.cove.Agent(e.agent)
		if err != nil {
			e.t.Fatal(err)
		}
		tx, err := e.anchor.RegisterAttestor(e.owner, e.agent, common.Address(rec.Attestor), rec.KeyEpoch, rec.AttestorGrant)
		e.mine(tx, err)
	}
	target := contracts.RequestTarget(e.chainID, cove.Address(e.anchorAt), e.agent, path, id)
	resp, err := e.cove.Invoke(ctx, e.agent, cove.Call{Method: "POST", Path: target, Header: cove.Header{}, Body: body})
	if err != nil {
		e.t.Fatal(err)
	}
	rc, sig := contracts.Fulfilment(*resp.Receipt)
	tx, err := e.anchor.Fulfil(e.owner, id, rc, resp.Body, sig)
	e.mine(tx, err)
	return e.receipt(tx.Hash())
}

// status is the anchor's state of request id.
func (e *chainEnv) status(id *big.Int) uint8 {
	e.t.Helper()
	r, err := e.anchor.RequestOf(nil, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r.Status
}

// mineUntil commits blocks until cond holds (or fails after 10 s).
func (e *chainEnv) mineUntil(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(30 * time.Millisecond)
		e.sim.Commit()
	}
}

// fulfilments counts the CoveFulfilled events of request id.
func (e *chainEnv) fulfilments(id *big.Int) int {
	e.t.Helper()
	it, err := e.anchor.FilterCoveFulfilled(&bind.FilterOpts{Start: 0}, []*big.Int{id})
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for it.Next() {
		n++
	}
	return n
}

// TestRelayFlow: requests through a consumer are answered by the agent and
// fulfilled, the attestor registered on the first one with the grant.
func TestRelayFlow(t *testing.T) {
	e := newChainEnv(t)
	var logs syncbuf.Buffer
	b, stop := e.start(t.TempDir(), &logs)
	defer stop()
	ids := e.ask(3, "hello")
	e.mineUntil("three fulfilments", func() bool {
		for _, id := range ids {
			if e.status(id) != anchorFulfilled {
				return false
			}
		}
		return true
	})
	for _, id := range ids {
		if n := e.fulfilments(id); n != 1 {
			t.Errorf("request %s fulfilled %d times", id, n)
		}
	}
	last, err := e.consumer.LastResponse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "!!olleh"; string(last) != want {
		t.Errorf("consumer's answer %q, want %q", last, want)
	}
	if att, _ := e.anchor.AttestorOf(nil, e.agent); cove.Address(att) != e.cove.cluster.Agent(e.agent).Attestor().Address() {
		t.Errorf("attestor on the anchor %s", att)
	}
	e.mineUntil("the bridge to see its fulfilments mined", func() bool { return b.Status()[0].Fulfilled == 3 })
	if s := b.Status()[0]; s.LastError != "" {
		t.Errorf("status %+v\n%s", s, logs.String())
	}
}

// faultyEVM is the chain's client with the faults a test switches on:
// every transaction lost while drop is set (what a crash between recording
// a fulfilment and broadcasting it leaves), the next fulfil transaction
// lost while dropFulfil is set (a node that forgot it), and every call
// refused while down is set (a node that is down).
type faultyEVM struct {
	EVM
	drop    atomic.Bool
	dropped atomic.Int64
	// dropFulfil loses the next fulfil transaction and clears itself; lost
	// receives it.
	dropFulfil atomic.Bool
	lost       chan *types.Transaction
	down       atomic.Bool
	refused    atomic.Int64
	// beforeRequestOf, when set, runs (once) before the next call of the
	// anchor's requestOf.
	beforeRequestOf atomic.Pointer[func()]
	// receiptLag, when set, hides a transaction's receipt for that long
	// after it is first asked for (a node that has the block but has not
	// indexed it yet, or a load balancer in front of nodes that differ).
	receiptLag time.Duration
	askedMu    sync.Mutex
	asked      map[common.Hash]time.Time
	// failFulfilAt, when set, makes the n-th fulfil sent (counting from 1)
	// fail with a connection error without reaching the node.
	failFulfilAt atomic.Int64
	fulfilSends  atomic.Int64
	// dropRegister loses the next registerAttestor transaction and clears
	// itself.
	dropRegister atomic.Bool
}

var errRefused = errors.New("dial tcp 127.0.0.1:8545: connect: connection refused")

// refuse reports (and counts) a call made while the node is down.
func (d *faultyEVM) refuse() error {
	if d.down.Load() {
		d.refused.Add(1)
		return errRefused
	}
	return nil
}

func (d *faultyEVM) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	if err := d.refuse(); err != nil {
		return err
	}
	if d.drop.Load() {
		d.dropped.Add(1)
		return nil
	}
	if bytes.HasPrefix(tx.Data(), anchorABI.Methods["registerAttestor"].ID) && d.dropRegister.CompareAndSwap(true, false) {
		d.dropped.Add(1)
		return nil
	}
	if bytes.HasPrefix(tx.Data(), anchorABI.Methods["fulfil"].ID) {
		if n := d.fulfilSends.Add(1); n == d.failFulfilAt.Load() {
			return errors.New("write tcp 127.0.0.1:50000->127.0.0.1:8545: connection reset by peer")
		}
	}
	if bytes.HasPrefix(tx.Data(), anchorABI.Methods["fulfil"].ID) && d.dropFulfil.CompareAndSwap(true, false) {
		d.dropped.Add(1)
		if d.lost != nil {
			d.lost <- tx
		}
		return nil
	}
	return d.EVM.SendTransaction(ctx, tx)
}

func (d *faultyEVM) ChainID(ctx context.Context) (*big.Int, error) {
	if err := d.refuse(); err != nil {
		return nil, err
	}
	return d.EVM.ChainID(ctx)
}

func (d *faultyEVM) BlockNumber(ctx context.Context) (uint64, error) {
	if err := d.refuse(); err != nil {
		return 0, err
	}
	return d.EVM.BlockNumber(ctx)
}

func (d *faultyEVM) TransactionReceipt(ctx context.Context, h common.Hash) (*types.Receipt, error) {
	if err := d.refuse(); err != nil {
		return nil, err
	}
	if d.receiptLag > 0 {
		d.askedMu.Lock()
		if d.asked == nil {
			d.asked = map[common.Hash]time.Time{}
		}
		first, ok := d.asked[h]
		if !ok {
			first = time.Now()
			d.asked[h] = first
		}
		d.askedMu.Unlock()
		if time.Since(first) < d.receiptLag {
			return nil, ethereum.NotFound
		}
	}
	return d.EVM.TransactionReceipt(ctx, h)
}

func (d *faultyEVM) NonceAt(ctx context.Context, a common.Address, n *big.Int) (uint64, error) {
	if err := d.refuse(); err != nil {
		return 0, err
	}
	return d.EVM.NonceAt(ctx, a, n)
}

func (d *faultyEVM) PendingNonceAt(ctx context.Context, a common.Address) (uint64, error) {
	if err := d.refuse(); err != nil {
		return 0, err
	}
	return d.EVM.PendingNonceAt(ctx, a)
}

func (d *faultyEVM) BalanceAt(ctx context.Context, a common.Address, n *big.Int) (*big.Int, error) {
	if err := d.refuse(); err != nil {
		return nil, err
	}
	return d.EVM.BalanceAt(ctx, a, n)
}

func (d *faultyEVM) CodeAt(ctx context.Context, a common.Address, n *big.Int) ([]byte, error) {
	if err := d.refuse(); err != nil {
		return nil, err
	}
	return d.EVM.CodeAt(ctx, a, n)
}

func (d *faultyEVM) PendingCodeAt(ctx context.Context, a common.Address) ([]byte, error) {
	if err := d.refuse(); err != nil {
		return nil, err
	}
	return d.EVM.PendingCodeAt(ctx, a)
}

func (d *faultyEVM) CallContract(ctx context.Context, call ethereum.CallMsg, n *big.Int) ([]byte, error) {
	if err := d.refuse(); err != nil {
		return nil, err
	}
	if bytes.HasPrefix(call.Data, anchorABI.Methods["requestOf"].ID) {
		if f := d.beforeRequestOf.Swap(nil); f != nil {
			(*f)()
		}
	}
	return d.EVM.CallContract(ctx, call, n)
}

func (d *faultyEVM) EstimateGas(ctx context.Context, call ethereum.CallMsg) (uint64, error) {
	if err := d.refuse(); err != nil {
		return 0, err
	}
	return d.EVM.EstimateGas(ctx, call)
}

func (d *faultyEVM) HeaderByNumber(ctx context.Context, n *big.Int) (*types.Header, error) {
	if err := d.refuse(); err != nil {
		return nil, err
	}
	return d.EVM.HeaderByNumber(ctx, n)
}

func (d *faultyEVM) SuggestGasPrice(ctx context.Context) (*big.Int, error) {
	if err := d.refuse(); err != nil {
		return nil, err
	}
	return d.EVM.SuggestGasPrice(ctx)
}

func (d *faultyEVM) SuggestGasTipCap(ctx context.Context) (*big.Int, error) {
	if err := d.refuse(); err != nil {
		return nil, err
	}
	return d.EVM.SuggestGasTipCap(ctx)
}

func (d *faultyEVM) FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	if err := d.refuse(); err != nil {
		return nil, err
	}
	return d.EVM.FilterLogs(ctx, q)
}

// loseSends runs a bridge over dir whose transactions are all lost, asks
// n requests, and stops the bridge once it has recorded and "sent" the
// attestor registration and n fulfilments: what a crash right after
// recording them leaves. It returns the requests' ids.
func (e *chainEnv) loseSends(dir string, n int, logs *syncbuf.Buffer) []*big.Int {
	e.t.Helper()
	d := &faultyEVM{EVM: e.sim.Client()}
	d.drop.Store(true)
	cfg := e.config(dir)
	cfg.Chains[0].Client = d
	_, stop := e.run(cfg, logs)
	ids := e.ask(n, "x")
	deadline := time.Now().Add(10 * time.Second)
	for d.dropped.Load() < int64(n)+1 { // the registration and n fulfilments
		if time.Now().After(deadline) {
			e.t.Fatalf("the bridge sent %d transactions\n%s", d.dropped.Load(), logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	for _, id := range ids {
		if e.status(id) != anchorPending {
			e.t.Fatalf("request %s is not pending after the lost sends", id)
		}
	}
	return ids
}

// TestRestartExactlyOnce: a bridge that recorded its attestor registration
// and its fulfilments but whose transactions never left stops; a new bridge
// over the same directory sends them again and every request is fulfilled
// exactly once, with no transaction beyond those six.
func TestRestartExactlyOnce(t *testing.T) {
	e := newChainEnv(t)
	dir := t.TempDir()
	var logs syncbuf.Buffer
	ids := e.loseSends(dir, 5, &logs)
	relayer := crypto.PubkeyToAddress(e.relayKey.PublicKey)
	before, _ := e.sim.Client().NonceAt(t.Context(), relayer, nil)

	b2, stop := e.start(dir, &logs)
	defer stop()
	e.mineUntil("every request fulfilled after the restart", func() bool {
		for _, id := range ids {
			if e.status(id) != anchorFulfilled {
				return false
			}
		}
		return b2.Status()[0].Fulfilled == 5
	})
	for _, id := range ids {
		if n := e.fulfilments(id); n != 1 {
			t.Errorf("request %s fulfilled %d times", id, n)
		}
	}
	after, _ := e.sim.Client().NonceAt(t.Context(), relayer, nil)
	if after-before != 6 {
		t.Errorf("the relayer sent %d transactions after the restart, want 6 (a registration, five fulfilments)\n%s", after-before, logs.String())
	}
	if strings.Contains(logs.String(), "reverted") {
		t.Errorf("a fulfilment reverted\n%s", logs.String())
	}
}
