// Package testchain is an in-memory Cove chain for tests: the real state
// machine of package chain (which has no I/O), one block per transaction,
// committed at once, with every committed event fanned out to subscribers.
// It stands in for the validator and CometBFT where a test is about a role's
// logic (a worker, a gatekeeper, the gateway, a sender), not about
// consensus; internal/testnet and the node tests run the real validator.
//
// A Ledger is what roles take as their chain: it has View, Name, Subscribe
// and Broadcast, and it is a txsend.Ledger (ChainID, Nonce, Submit).
package testchain

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/ethsig"
	"github.com/cove-network/cove/internal/fanout"
)

// Defaults of a Ledger.
const (
	ChainID = 9
	Name    = "cove-test"
)

// GenesisTime is the genesis time of every Ledger; block h is h seconds
// later.
var GenesisTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Key is a throwaway account key. It signs as account.Signer does (r ‖ s ‖
// v, v = 27 or 28, low s) and prints as its address.
type Key struct {
	priv *ecdsa.PrivateKey
	addr cove.Address
}

// NewKey makes a fresh random key for a test.
func NewKey(t testing.TB) *Key {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// GenerateKey makes a fresh random key (for tools such as the benchmarks).
func GenerateKey() (*Key, error) {
	priv, err := crypto.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return &Key{priv: priv, addr: ethsig.Address(&priv.PublicKey)}, nil
}

// KeyFromSeed returns the key derived from name, the same in every run, so
// that test vectors and fuzz seeds repeat.
func KeyFromSeed(name string) *Key {
	seed := sha256.Sum256([]byte("cove/testchain/key/" + name))
	priv, err := crypto.ToECDSA(seed[:])
	if err != nil {
		panic(err) // a SHA-256 output is a valid scalar but with probability 2^-128
	}
	return &Key{priv: priv, addr: ethsig.Address(&priv.PublicKey)}
}

// Address returns the key's address.
func (k *Key) Address() cove.Address { return k.addr }

// Sign signs a 32-byte digest (package ethsig's rule).
func (k *Key) Sign(digest cove.Hash) ([65]byte, error) { return ethsig.Sign(k.priv, digest) }

// String returns the key's address, never the key.
func (k *Key) String() string { return "key " + k.addr.String() }

// Tx signs msg for chain chainID, failing the test on error.
func (k *Key) Tx(t testing.TB, chainID uint64, msg chain.Msg) []byte {
	t.Helper()
	b, err := chain.SignTx(chainID, msg, k.Sign)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// AnyQuote is a quote verifier that accepts every quote, reporting the
// measurement "measurement": for tests of a role's logic, not of
// attestation (package attest and the node tests cover that).
type AnyQuote struct{}

// VerifyQuote implements chain.QuoteVerifier.
func (AnyQuote) VerifyQuote(string, []byte, [64]byte, time.Time, chain.Params) (chain.Attestation, error) {
	return chain.Attestation{Measurement: []byte("measurement")}, nil
}

// Option tunes New.
type Option func(*chain.Genesis, *chain.App)

// Fund funds the accounts in genesis with 10^24 base units each.
func Fund(addrs ...cove.Address) Option {
	return func(g *chain.Genesis, _ *chain.App) {
		for _, a := range addrs {
			g.Accounts = append(g.Accounts, chain.GenesisAccount{Address: a, Balance: new(big.Int).Exp(big.NewInt(10), big.NewInt(24), nil)})
		}
	}
}

// Verifier sets the chain's quote verifier (none by default: registrations
// are refused as attestation unavailable).
func Verifier(v chain.QuoteVerifier) Option {
	return func(_ *chain.Genesis, a *chain.App) { a.SetVerifier(v) }
}

// Genesis lets the test change the genesis before the chain starts.
func Genesis(f func(*chain.Genesis)) Option {
	return func(g *chain.Genesis, _ *chain.App) { f(g) }
}

// Ledger is a running in-memory chain.
type Ledger struct {
	t   testing.TB
	mu  sync.Mutex // one block at a time
	app *chain.App
	// txs are the committed transactions' outcomes and admitted are the
	// transactions Admit let into the "mempool", by hash (for Lookup).
	txs      map[cove.Hash]chain.TxOutcome
	admitted map[cove.Hash]bool

	events fanout.Feed
}

// New starts a chain whose admin is admin (funded), committed to height 1
// (an empty block: roles act from the first block on).
func New(t testing.TB, admin cove.Address, opts ...Option) *Ledger {
	t.Helper()
	app := chain.New()
	g := chain.DefaultGenesis(ChainID, admin, nil)
	// A development chain whose TEE policy changes apply at once, as in
	// `cove dev`: tests use the simulated TEE.
	g.Development = true
	g.Params.TEE.ChangeDelay = 0
	Fund(admin)(&g, app)
	for _, o := range opts {
		o(&g, app)
	}
	g.Time = GenesisTime
	if _, err := app.InitChain(g); err != nil {
		t.Fatalf("testchain: init: %v", err)
	}
	app.Commit()
	l := &Ledger{t: t, app: app, txs: map[cove.Hash]chain.TxOutcome{}, admitted: map[cove.Hash]bool{}}
	l.Block()
	return l
}

// View reads the committed state.
func (l *Ledger) View() chain.View { return l.app.View() }

// Name returns the network's name.
func (l *Ledger) Name() string { return Name }

// Block commits a block holding txs (none: an empty block) and returns
// their results.
func (l *Ledger) Block(txs ...[]byte) []chain.TxResult {
	l.mu.Lock()
	h := l.app.Height() + 1
	res := l.app.FinalizeBlock(chain.Block{Height: h, Time: GenesisTime.Add(time.Duration(h) * time.Second), Txs: txs})
	l.app.Commit()
	clear(l.admitted)
	for i, r := range res.TxResults {
		hash := chain.TxHash(txs[i])
		l.txs[hash] = chain.TxOutcome{Hash: hash.String(), Height: h, Code: r.Code, Log: r.Log, Events: r.Events}
	}
	l.mu.Unlock()
	var events []chain.Event
	for _, r := range res.TxResults {
		events = append(events, r.Events...)
	}
	l.events.Publish(events)
	return res.TxResults
}

// Admit runs CheckTx alone: tx waits in the "mempool" (the check state)
// until a Block carries it, and is forgotten if a block without it
// commits first, as CometBFT rechecks it against the new state.
func (l *Ledger) Admit(tx []byte) chain.TxResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.app.CheckTx(tx)
	if r.Code == chain.CodeOK {
		l.admitted[chain.TxHash(tx)] = true
	}
	return r
}

// Broadcast runs CheckTx, as the mempool does, then, if it passed, a block
// holding tx alone.
func (l *Ledger) Broadcast(ctx context.Context, tx []byte) (chain.TxOutcome, error) {
	out := chain.TxOutcome{Hash: chain.TxHash(tx).String()}
	l.mu.Lock()
	r := l.app.CheckTx(tx)
	l.mu.Unlock()
	if r.Code != chain.CodeOK {
		out.Code, out.Log = r.Code, r.Log
		return out, nil
	}
	res := l.Block(tx)[0]
	out.Height, out.Code, out.Log, out.Events = l.app.Height(), res.Code, res.Log, res.Events
	return out, nil
}

// Send signs the message build makes with key at its next nonce and
// broadcasts it, failing the test if it cannot be signed.
func (l *Ledger) Send(key *Key, build func(nonce uint64) chain.Msg) chain.TxOutcome {
	l.t.Helper()
	out, _ := l.Broadcast(context.Background(), key.Tx(l.t, ChainID, build(l.View().Account(key.Address()).Nonce)))
	return out
}

// MustSend is Send that fails the test unless the transaction ran.
func (l *Ledger) MustSend(key *Key, build func(nonce uint64) chain.Msg) chain.TxOutcome {
	l.t.Helper()
	out := l.Send(key, build)
	if out.Code != chain.CodeOK {
		l.t.Fatalf("testchain: %s", out.Log)
	}
	return out
}

// ChainID implements txsend.Ledger.
func (l *Ledger) ChainID(context.Context) (uint64, error) { return l.View().ChainID(), nil }

// Nonce implements txsend.Ledger.
func (l *Ledger) Nonce(_ context.Context, addr cove.Address) (uint64, error) {
	return l.View().Account(addr).Nonce, nil
}

// Submit implements txsend.Ledger.
func (l *Ledger) Submit(ctx context.Context, tx []byte) (chain.TxOutcome, error) {
	return l.Broadcast(ctx, tx)
}

// Lookup implements txsend.Ledger: committed in a block of this ledger,
// pending after Admit until the next block, or unknown.
func (l *Ledger) Lookup(_ context.Context, h cove.Hash) (chain.TxStatus, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if out, ok := l.txs[h]; ok {
		return chain.TxStatus{State: chain.TxCommitted, TxOutcome: out}, nil
	}
	st := chain.TxStatus{State: chain.TxUnknown, TxOutcome: chain.TxOutcome{Hash: h.String()}}
	if l.admitted[h] {
		st.State = chain.TxPending
	}
	return st, nil
}

// Subscribe delivers the events of every committed transaction until ctx
// ends; a slow reader misses events, as with the validator.
func (l *Ledger) Subscribe(ctx context.Context) <-chan chain.Event { return l.events.Subscribe(ctx) }
