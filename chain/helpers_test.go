package chain

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/hpke"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/blob/cid"
	"github.com/cove-network/cove/ethsig"
	"github.com/cove-network/cove/secret"
	"github.com/ethereum/go-ethereum/crypto"
)

const testChainID = 7

var genesisTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// testKey is a secp256k1 key derived from a name, so tests are repeatable.
type testKey struct {
	name string
	priv *ecdsa.PrivateKey
	addr cove.Address
}

func newKey(name string) testKey {
	seed := sha256.Sum256([]byte("cove/chain/test/" + name))
	priv, err := crypto.ToECDSA(seed[:])
	if err != nil {
		panic(err)
	}
	return testKey{name: name, priv: priv, addr: cove.Address(crypto.PubkeyToAddress(priv.PublicKey))}
}

var (
	alice = newKey("alice") // funded, admin
	bob   = newKey("bob")   // funded
	carol = newKey("carol") // no account
)

func (k testKey) sign(d cove.Hash) ([65]byte, error) {
	return ethsig.Sign(k.priv, d)
}

// tx signs msg for the test chain.
func (k testKey) tx(t testing.TB, msg Msg) []byte {
	t.Helper()
	return k.txFor(t, testChainID, msg)
}

func (k testKey) txFor(t testing.TB, chainID uint64, msg Msg) []byte {
	t.Helper()
	b, err := SignTx(chainID, msg, k.sign)
	if err != nil {
		t.Fatalf("sign %s: %v", msg.Type(), err)
	}
	return b
}

func testGenesis() Genesis {
	g := DefaultGenesis(testChainID, alice.addr, map[cove.Address]*big.Int{
		alice.addr: big.NewInt(1000),
		bob.addr:   big.NewInt(500),
	})
	g.Time = genesisTime
	// A development chain whose TEE policy changes apply at once: most
	// tests register sim workers and change the policy freely. The
	// production rules are tested on prodGenesis.
	g.Development = true
	g.Params.TEE.ChangeDelay = 0
	// The genesis format of chains made before the validator set and the
	// supply were kept (the pinned hashes below are theirs);
	// newValidatorApp, newFeeApp and TestGenesisAppHashPinned cover the
	// flags.
	g.ValidatorSet = false
	g.Economics = false
	return g
}

// newApp returns an App after InitChain of testGenesis, with the genesis
// writes committed.
func newApp(t testing.TB) *App {
	t.Helper()
	a := New()
	if _, err := a.InitChain(testGenesis()); err != nil {
		t.Fatal(err)
	}
	return a
}

func blockTime(h int64) time.Time { return genesisTime.Add(time.Duration(h) * 5 * time.Second) }

// block executes txs as the next block and commits it.
func block(t testing.TB, a *App, txs ...[]byte) BlockResult {
	t.Helper()
	h := a.Height() + 1
	res := a.FinalizeBlock(Block{Height: h, Time: blockTime(h), Txs: txs})
	if len(res.TxResults) != len(txs) {
		t.Fatalf("block %d: %d results for %d txs", h, len(res.TxResults), len(txs))
	}
	_, ch, hash := a.Commit()
	if ch != h || !bytes.Equal(hash, res.AppHash) {
		t.Fatalf("commit: height %d hash %x, want %d %x", ch, hash, h, res.AppHash)
	}
	return res
}

// one executes a single tx in a block and returns its result.
func one(t testing.TB, a *App, tx []byte) TxResult {
	t.Helper()
	return block(t, a, tx).TxResults[0]
}

func wantCode(t testing.TB, r TxResult, code uint32, logHas ...string) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("code %d (%s) log %q, want %d (%s)", r.Code, CodeName(r.Code), r.Log, code, CodeName(code))
	}
	if code != CodeOK {
		if r.Codespace != Codespace {
			t.Errorf("codespace %q, want %q", r.Codespace, Codespace)
		}
		if len(r.Events) != 0 {
			t.Errorf("failed tx has events %v", r.Events)
		}
		if !strings.HasPrefix(r.Log, CodeName(code)+": ") {
			t.Errorf("log %q does not start with the code name", r.Log)
		}
	}
	for _, s := range logHas {
		if !strings.Contains(r.Log, s) {
			t.Errorf("log %q does not contain %q", r.Log, s)
		}
	}
}

func balance(a *App, k testKey) int64 { return a.View().Account(k.addr).Balance.Int64() }

func nonce(a *App, k testKey) uint64 { return a.View().Account(k.addr).Nonce }

func transfer(to testKey, amount int64, n uint64) Transfer {
	return Transfer{To: to.addr, Amount: big.NewInt(amount), Nonce: n}
}

// bundle returns a fake agent bundle's code hash and CID.
func bundle(name string) (cove.Hash, string) {
	code := []byte("export default { fetch() { return new Response(" + fmt.Sprintf("%q", name) + ") } }")
	return cove.SHA256(code), cid.Of(code)
}

func deploy(name string, salt byte, n uint64) DeployAgent {
	h, cid := bundle(name)
	return DeployAgent{Name: name, CID: cid, CodeHash: h, Salt: cove.Hash{salt}, Nonce: n}
}

// sealed returns a real sealed secret set for agent.
func sealed(t testing.TB, agent cove.AgentID, secrets map[string]string) []byte {
	t.Helper()
	k, err := hpke.MLKEM768X25519().DeriveKeyPair(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	pub := k.PublicKey().Bytes()
	s, err := secret.Seal(pub, 1, agent, secrets)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testVerifier is a deterministic QuoteVerifier for tests: a quote is
// "TESTQUOTE" ‖ 64 bytes report data ‖ measurement, optionally followed by
// testTCBMark ‖ TCB status ‖ ("," advisory)*.
type testVerifier struct {
	calls []time.Time
}

const (
	testQuoteMagic = "TESTQUOTE"
	testTCBMark    = "\x00tcb:"
)

// testQuote is a test quote binding publicKey in role for operator on the
// test chain.
func testQuote(role string, operator cove.Address, publicKey, measurement []byte) []byte {
	rd := ReportData(role, testChainID, operator, publicKey)
	return slices.Concat([]byte(testQuoteMagic), rd[:], measurement)
}

func (v *testVerifier) VerifyQuote(tee string, quote []byte, reportData [64]byte, now time.Time, p Params) (Attestation, error) {
	v.calls = append(v.calls, now)
	if tee != "sim" && (tee != "tdx" || !bytes.Contains(quote, []byte(testTCBMark))) {
		return Attestation{}, fmt.Errorf("tee %q is not supported", tee) // tdx only with a TCB status
	}
	rest, ok := bytes.CutPrefix(quote, []byte(testQuoteMagic))
	if !ok || len(rest) < 64 {
		return Attestation{}, errors.New("not a test quote")
	}
	if !bytes.Equal(rest[:64], reportData[:]) {
		return Attestation{}, fmt.Errorf("%w: report data does not match", ErrQuoteForOtherKeys)
	}
	if p.Admin != alice.addr {
		return Attestation{}, errors.New("params not passed")
	}
	meas, status, _ := bytes.Cut(rest[64:], []byte(testTCBMark))
	att := Attestation{Measurement: meas}
	if len(status) > 0 {
		parts := strings.Split(string(status), ",")
		att.TCBStatus, att.Advisories = parts[0], parts[1:]
		if len(att.Advisories) == 0 {
			att.Advisories = nil
		}
	}
	return att, nil
}

// worker registers test worker name, quoted for bob as its operator.
func worker(name string, n uint64) RegisterWorker { return workerBy(bob, name, n) }

// workerBy registers test worker name, quoted for operator op.
func workerBy(op testKey, name string, n uint64) RegisterWorker {
	pk := []byte("worker-public-key-" + name)
	return RegisterWorker{
		TEE:       "sim",
		PublicKey: pk,
		Endpoint:  "https://" + name + ".example:8443",
		Quote:     testQuote(RoleWorker, op.addr, pk, []byte("measurement-"+name)),
		Nonce:     n,
	}
}

// refusalBeside runs a block one second after *tm (which it advances)
// holding bad and then control: bad must fail with code, its log naming
// why, and control, in the same state, must pass.
func refusalBeside(t testing.TB, a *App, tm *time.Time, code uint32, why string, bad, control []byte) BlockResult {
	t.Helper()
	*tm = tm.Add(time.Second)
	res := at(t, a, *tm, bad, control)
	if r := res.TxResults[0]; r.Code != code || !strings.Contains(r.Log, why) || res.TxResults[1].Code != CodeOK {
		t.Fatalf("refusal %d (%s), control %d (%s); want %d naming %q, and ok", r.Code, r.Log, res.TxResults[1].Code, res.TxResults[1].Log, code, why)
	}
	return res
}

// nextNonceSigner returns a function that signs a message for a key at that key's
// next nonce, counting from next (0 for a key not in it).
func nextNonceSigner(t testing.TB, next map[testKey]uint64) func(k testKey, m func(n uint64) Msg) []byte {
	return func(k testKey, m func(n uint64) Msg) []byte {
		n := next[k]
		next[k]++
		return k.tx(t, m(n))
	}
}
