package attest_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/attest"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/ethsig"
	"github.com/cove-network/cove/tee/sim"
	"github.com/cove-network/cove/tee/tdx"
)

const chainID = 9

// key is a deterministic secp256k1 account key.
type key struct {
	priv *ecdsa.PrivateKey
	addr cove.Address
}

func newKey(name string) key {
	seed := sha256.Sum256([]byte("cove/attest/test/" + name))
	priv, err := crypto.ToECDSA(seed[:])
	if err != nil {
		panic(err)
	}
	return key{priv: priv, addr: cove.Address(crypto.PubkeyToAddress(priv.PublicKey))}
}

var (
	admin    = newKey("admin")
	operator = newKey("operator")
)

func (k key) tx(t testing.TB, msg chain.Msg) []byte {
	t.Helper()
	b, err := chain.SignTx(chainID, msg, func(d cove.Hash) ([65]byte, error) {
		return ethsig.Sign(k.priv, d)
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// world is a chain with the attest verifier and a sim platform whose
// measurement and vendor key the genesis policy allows.
type world struct {
	app      *chain.App
	platform *sim.Platform
	vendor   ed25519.PrivateKey // the platform's vendor key
	now      time.Time          // the next block's time, and the platform's clock
}

var (
	simGenesis    = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tdxGenesis    = time.Date(2025, 6, 20, 0, 0, 0, 0, time.UTC)
	tdxBlockTime  = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	allowedBuild  = sha256.Sum256([]byte("the allowed worker build"))
	rebuiltBinary = sha256.Sum256([]byte("a worker build nobody allowed"))
)

func newWorld(t *testing.T, genesisTime time.Time, policy func(w *world) chain.TEEPolicy) *world {
	t.Helper()
	w := &world{now: genesisTime.Add(5 * time.Second)}
	var err error
	_, w.vendor, _ = ed25519.GenerateKey(nil)
	w.platform, err = sim.Open(t.TempDir(), sim.WithVendorKey(w.vendor), sim.WithMeasurement(allowedBuild), sim.WithClock(func() time.Time { return w.now }))
	if err != nil {
		t.Fatal(err)
	}
	g := chain.DefaultGenesis(chainID, admin.addr, map[cove.Address]*big.Int{
		admin.addr:    big.NewInt(1000),
		operator.addr: big.NewInt(1000),
	})
	g.Time = genesisTime
	g.Development = true // the sim platform, TDX without collateral
	g.Params.TEE = policy(w)
	w.app = chain.New()
	w.app.SetVerifier(attest.Verifier{})
	if _, err := w.app.InitChain(g); err != nil {
		t.Fatal(err)
	}
	return w
}

func simPolicy(w *world) chain.TEEPolicy {
	return chain.TEEPolicy{
		AllowedTEEs:         []string{"sim", "tdx"},
		AllowedMeasurements: []chain.Bytes{allowedBuild[:]},
		SimVendorKeys:       []chain.Bytes{chain.Bytes(w.platform.VendorPublicKey())},
	}
}

// block runs txs in the next block at w.now, commits, and moves the clock.
func (w *world) block(t *testing.T, txs ...[]byte) []chain.TxResult {
	t.Helper()
	h := w.app.Height() + 1
	res := w.app.FinalizeBlock(chain.Block{Height: h, Time: w.now, Txs: txs})
	w.app.Commit()
	w.now = w.now.Add(5 * time.Second)
	return res.TxResults
}

func (w *world) one(t *testing.T, k key, msg chain.Msg) chain.TxResult {
	t.Helper()
	return w.block(t, k.tx(t, msg))[0]
}

func (w *world) nonce(k key) uint64 { return w.app.View().Account(k.addr).Nonce }

// register returns a RegisterWorker of publicKey with a sim quote of
// reportData made now by p.
func register(t *testing.T, p *sim.Platform, publicKey []byte, reportData [64]byte, nonce uint64) chain.RegisterWorker {
	t.Helper()
	q, err := p.Quote(reportData)
	if err != nil {
		t.Fatal(err)
	}
	return chain.RegisterWorker{TEE: "sim", PublicKey: publicKey, Endpoint: "http://127.0.0.1:8700", Quote: q, Nonce: nonce}
}

func pubKey(name string) []byte { return []byte("worker identity " + name) }

func wantCode(t *testing.T, r chain.TxResult, code uint32, logHas ...string) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("code %d (%s) log %q, want %d (%s)", r.Code, chain.CodeName(r.Code), r.Log, code, chain.CodeName(code))
	}
	for _, s := range logHas {
		if !strings.Contains(r.Log, s) {
			t.Errorf("log %q does not contain %q", r.Log, s)
		}
	}
}

func TestRegisterSimWorker(t *testing.T) {
	w := newWorld(t, simGenesis, simPolicy)
	pk := pubKey("a")
	r := w.one(t, operator, register(t, w.platform, pk, workerRD(pk), 0))
	wantCode(t, r, chain.CodeOK)
	rec, err := w.app.View().Worker(chain.WorkerID(pk))
	if err != nil {
		t.Fatal(err)
	}
	if rec.TEE != "sim" || !bytes.Equal(rec.Measurement, allowedBuild[:]) || rec.Status != chain.WorkerStatusActive || rec.Operator != operator.addr {
		t.Fatalf("record %+v", rec)
	}
	// The record's JSON has the fields GET /v1/chain/workers lists.
	b, _ := json.Marshal(rec)
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, f := range []string{"id", "tee", "measurement", "status", "operator", "publicKey", "endpoint"} {
		if _, ok := m[f]; !ok {
			t.Errorf("worker JSON %s has no %q", b, f)
		}
	}
}

// TestRegisterRefusals runs each refusal through a block and checks that
// it has its own code and message and changes nothing but the nonce.
func TestRegisterRefusals(t *testing.T) {
	w := newWorld(t, simGenesis, simPolicy)
	otherVendor, err := sim.Open(t.TempDir(), sim.WithMeasurement(allowedBuild), sim.WithClock(func() time.Time { return w.now }))
	if err != nil {
		t.Fatal(err)
	}
	rebuilt, err := sim.Open(t.TempDir(), sim.WithVendorKey(w.vendor), sim.WithMeasurement(rebuiltBinary), sim.WithClock(func() time.Time { return w.now }))
	if err != nil {
		t.Fatal(err)
	}

	// One good registration first, to replay.
	pk := pubKey("registered")
	good := register(t, w.platform, pk, workerRD(pk), w.nonce(operator))
	wantCode(t, w.one(t, operator, good), chain.CodeOK)

	cases := []struct {
		name string
		msg  func(n uint64) chain.RegisterWorker
		code uint32
		log  []string
	}{
		{"wrong measurement", func(n uint64) chain.RegisterWorker {
			pk := pubKey("rebuilt")
			return register(t, rebuilt, pk, workerRD(pk), n)
		}, chain.CodeMeasurementNotAllowed, []string{"measurement " + chain.Bytes(rebuiltBinary[:]).String() + " is not allowed: add it with UpdateParams"}},
		{"bad signature", func(n uint64) chain.RegisterWorker {
			pk := pubKey("flipped")
			m := register(t, w.platform, pk, workerRD(pk), n)
			m.Quote[len(m.Quote)-1] ^= 1
			return m
		}, chain.CodeAttestationFailed, []string{"sim quote signature invalid", "does not verify"}},
		{"measurement changed after signing", func(n uint64) chain.RegisterWorker {
			pk := pubKey("tampered")
			m := register(t, rebuilt, pk, workerRD(pk), n)
			copy(m.Quote[9:41], allowedBuild[:])
			return m
		}, chain.CodeAttestationFailed, []string{"sim quote signature invalid"}},
		{"quote for other keys", func(n uint64) chain.RegisterWorker {
			return register(t, w.platform, pubKey("mine"), workerRD(pubKey("someone else's")), n)
		}, chain.CodeQuoteForOtherKeys, []string{"quote is for other keys"}},
		{"a registered worker's quote under another key", func(n uint64) chain.RegisterWorker {
			m := good
			m.PublicKey, m.Nonce = pubKey("thief"), n
			return m
		}, chain.CodeQuoteForOtherKeys, []string{"quote is for other keys"}},
		{"replayed quote", func(n uint64) chain.RegisterWorker {
			m := good
			m.Nonce = n
			return m
		}, chain.CodeExists, []string{"already registered", "replayed"}},
		{"re-registration with a fresh quote", func(n uint64) chain.RegisterWorker {
			return register(t, w.platform, pk, workerRD(pk), n)
		}, chain.CodeExists, []string{"already registered"}},
		{"unknown vendor key", func(n uint64) chain.RegisterWorker {
			pk := pubKey("other vendor")
			return register(t, otherVendor, pk, workerRD(pk), n)
		}, chain.CodeAttestationFailed, []string{"vendor key", "not trusted", "sim_vendor_keys"}},
		{"unknown tee", func(n uint64) chain.RegisterWorker {
			pk := pubKey("snp")
			m := register(t, w.platform, pk, workerRD(pk), n)
			m.TEE = "sev-snp"
			return m
		}, chain.CodeTEENotAllowed, []string{"not \"sev-snp\""}},
		{"malformed quote", func(n uint64) chain.RegisterWorker {
			pk := pubKey("garbage")
			m := register(t, w.platform, pk, workerRD(pk), n)
			m.Quote = []byte("not a quote")
			return m
		}, chain.CodeAttestationFailed, []string{"sim quote format"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := w.nonce(operator)
			before := w.app.View().Workers()
			wantCode(t, w.one(t, operator, c.msg(n)), c.code, c.log...)
			if len(w.app.View().Workers()) != len(before) || w.nonce(operator) != n+1 {
				t.Errorf("refusal changed the workers or did not use the nonce")
			}
		})
	}
}

func TestStaleSimQuote(t *testing.T) {
	w := newWorld(t, simGenesis, simPolicy)
	pk := pubKey("late")
	m := register(t, w.platform, pk, workerRD(pk), 0)
	// The default max age is 600 s: a quote sent 601 s after it was made
	// is stale.
	w.now = w.now.Add(601 * time.Second)
	wantCode(t, w.one(t, operator, m), chain.CodeQuoteStale, "601 s before the block time", "up to 600 s")

	// Exactly at the limit is accepted.
	m = register(t, w.platform, pk, workerRD(pk), 1)
	w.now = w.now.Add(600 * time.Second)
	wantCode(t, w.one(t, operator, m), chain.CodeOK)

	// A quote from the future (a host clock ahead by over a minute) too.
	pk = pubKey("early")
	w.now = w.now.Add(61 * time.Second)
	m = register(t, w.platform, pk, workerRD(pk), 2)
	w.now = w.now.Add(-61 * time.Second)
	wantCode(t, w.one(t, operator, m), chain.CodeQuoteStale, "after the block time")

	// Governance may widen the window.
	p := w.app.View().Params()
	p.TEE.MaxQuoteAge = 3600
	pj, _ := json.Marshal(p)
	wantCode(t, w.one(t, admin, chain.UpdateParams{Params: string(pj), Nonce: 0}), chain.CodeOK)
	m = register(t, w.platform, pk, workerRD(pk), 3)
	w.now = w.now.Add(3000 * time.Second)
	wantCode(t, w.one(t, operator, m), chain.CodeOK)
}

// TestGovernance: a measurement, a platform and a vendor key become
// acceptable when the admin adds them with UpdateParams, and only then.
func TestGovernance(t *testing.T) {
	w := newWorld(t, simGenesis, func(*world) chain.TEEPolicy { return chain.TEEPolicy{} })
	pk := pubKey("a")
	wantCode(t, w.one(t, operator, register(t, w.platform, pk, workerRD(pk), 0)), chain.CodeTEENotAllowed, "allowed_tees")

	p := w.app.View().Params()
	p.TEE.AllowedTEEs = []string{"sim"}
	pj, _ := json.Marshal(p)
	wantCode(t, w.one(t, operator, chain.UpdateParams{Params: string(pj), Nonce: 1}), chain.CodeUnauthorized)
	wantCode(t, w.one(t, admin, chain.UpdateParams{Params: string(pj), Nonce: 0}), chain.CodeOK)
	wantCode(t, w.one(t, operator, register(t, w.platform, pk, workerRD(pk), 2)), chain.CodeAttestationFailed, "not trusted")

	p.TEE.SimVendorKeys = []chain.Bytes{chain.Bytes(w.platform.VendorPublicKey())}
	pj, _ = json.Marshal(p)
	wantCode(t, w.one(t, admin, chain.UpdateParams{Params: string(pj), Nonce: 1}), chain.CodeOK)
	wantCode(t, w.one(t, operator, register(t, w.platform, pk, workerRD(pk), 3)), chain.CodeMeasurementNotAllowed)

	m := w.platform.Measurement()
	p.TEE.AllowedMeasurements = []chain.Bytes{m[:]}
	pj, _ = json.Marshal(p)
	wantCode(t, w.one(t, admin, chain.UpdateParams{Params: string(pj), Nonce: 2}), chain.CodeOK)
	wantCode(t, w.one(t, operator, register(t, w.platform, pk, workerRD(pk), 4)), chain.CodeOK)

	// The verifier refuses policies that cannot work.
	for _, bad := range []func(*chain.Params){
		func(p *chain.Params) { p.TEE.TDXCollateral = []byte("{not collateral"); p.TEE.TDXMinStatus = "" },
		func(p *chain.Params) {
			p.TEE.TDXCollateral = readFile(t, "phala-tdx-quote-collateral.json")
			p.TEE.TDXMinStatus = "Great"
		},
		func(p *chain.Params) { p.TEE.AllowedTEEs = []string{"sim", "nitro"} },
	} {
		q := w.app.View().Params()
		bad(&q)
		pj, _ := json.Marshal(q)
		wantCode(t, w.one(t, admin, chain.UpdateParams{Params: string(pj), Nonce: w.nonce(admin)}), chain.CodeInvalidArgument, "params: tee.")
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "tdx", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func phalaMRTD(t *testing.T) []byte {
	t.Helper()
	q, err := tdx.Parse(readFile(t, "phala-tdx-quote.bin"))
	if err != nil {
		t.Fatal(err)
	}
	return attest.TDXMeasurement(&q.Body)
}

// TestTDXQuote registers a real TDX quote (Phala's, with Intel's collateral
// of 2025-06-19 to 2025-07-19) at a block time inside the collateral's
// window. Its report data commits to someone else's keys, so the best it
// can get is the report-data refusal: reaching it proves that the
// signature chain, the collateral, the TCB status and the measurement all
// passed.
func TestTDXQuote(t *testing.T) {
	quote := readFile(t, "phala-tdx-quote.bin")
	collateral := readFile(t, "phala-tdx-quote-collateral.json")
	policy := func(*world) chain.TEEPolicy {
		return chain.TEEPolicy{
			AllowedTEEs:         []string{"tdx"},
			AllowedMeasurements: []chain.Bytes{phalaMRTD(t)},
			TDXCollateral:       collateral,
			TDXMinStatus:        "UpToDate",
		}
	}
	pk := pubKey("tdx")
	msg := func(n uint64) chain.RegisterWorker {
		return chain.RegisterWorker{TEE: "tdx", PublicKey: pk, Endpoint: "https://w.example", Quote: quote, Nonce: n}
	}

	w := newWorld(t, tdxGenesis, policy)
	w.now = tdxBlockTime
	wantCode(t, w.one(t, operator, msg(0)), chain.CodeQuoteForOtherKeys, "tdx quote: quote is for other keys")
	if len(w.app.View().Workers()) != 0 {
		t.Fatal("a quote for other keys registered a worker")
	}

	// With its own report data the verifier accepts it and reports the
	// platform's TCB status from the collateral (a worker's confidence in
	// rewards); without collateral there is no status.
	pq, err := tdx.Parse(quote)
	if err != nil {
		t.Fatal(err)
	}
	p := w.app.View().Params()
	att, err := attest.Verifier{}.VerifyQuote("tdx", quote, pq.Body.ReportData, tdxBlockTime, p)
	if err != nil || att.TCBStatus != "UpToDate" || !bytes.Equal(att.Measurement, phalaMRTD(t)) {
		t.Fatalf("VerifyQuote with collateral = %q %q, %v", att.TCBStatus, att.Advisories, err)
	}
	noCollateral := p
	noCollateral.TEE.TDXCollateral, noCollateral.TEE.TDXMinStatus = nil, ""
	if att, err := (attest.Verifier{}).VerifyQuote("tdx", quote, pq.Body.ReportData, tdxBlockTime, noCollateral); err != nil || att.TCBStatus != "" {
		t.Fatalf("VerifyQuote without collateral = %q, %v", att.TCBStatus, err)
	}

	// The same quote with its MRTD not allowed: the measurement refusal.
	p.TEE.AllowedMeasurements = []chain.Bytes{allowedBuild[:]}
	pj, _ := json.Marshal(p)
	wantCode(t, w.one(t, admin, chain.UpdateParams{Params: string(pj), Nonce: 0}), chain.CodeOK)
	wantCode(t, w.one(t, operator, msg(1)), chain.CodeMeasurementNotAllowed, "is not allowed: add it with UpdateParams")

	// After the collateral's window: refused for the collateral.
	w.now = time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)
	wantCode(t, w.one(t, operator, msg(2)), chain.CodeAttestationFailed, "outside its validity window", "update params tee.tdx_collateral")

	// A flipped byte in the TD report breaks the quote signature.
	w.now = tdxBlockTime.Add(time.Hour)
	bad := msg(3)
	bad.Quote = bytes.Clone(quote)
	bad.Quote[48+136] ^= 1 // MRTD
	wantCode(t, w.one(t, operator, bad), chain.CodeAttestationFailed, "tdx signature invalid")
}

// TestVerifierErrors checks the sentinels directly, without a chain.
func TestVerifierErrors(t *testing.T) {
	dir := t.TempDir()
	now := simGenesis
	p, err := sim.Open(dir, sim.WithMeasurement(allowedBuild), sim.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	params := chain.DefaultParams(admin.addr)
	params.TEE = chain.TEEPolicy{AllowedTEEs: []string{"sim"}, AllowedMeasurements: []chain.Bytes{allowedBuild[:]}, SimVendorKeys: []chain.Bytes{chain.Bytes(p.VendorPublicKey())}}
	rd := workerRD(pubKey("x"))
	q, _ := p.Quote(rd)
	var v attest.Verifier
	att, err := v.VerifyQuote("sim", q, rd, now, params)
	m := att.Measurement
	if err != nil || !bytes.Equal(m, allowedBuild[:]) || att.TCBStatus != "" || att.Advisories != nil {
		t.Fatalf("VerifyQuote = %x, %v", m, err)
	}
	flipped := bytes.Clone(q)
	flipped[150] ^= 1
	for _, c := range []struct {
		name  string
		tee   string
		quote []byte
		rd    [64]byte
		now   time.Time
		p     func(*chain.Params)
		want  error
	}{
		{"unknown tee", "nitro", q, rd, now, nil, attest.ErrUnknownTEE},
		{"tee not allowed", "tdx", q, rd, now, nil, attest.ErrUnknownTEE},
		{"signature", "sim", flipped, rd, now, nil, attest.ErrSignature},
		{"vendor", "sim", q, rd, now, func(p *chain.Params) { p.TEE.SimVendorKeys = nil }, attest.ErrSignature},
		{"format", "sim", q[:100], rd, now, nil, attest.ErrFormat},
		{"tdx format", "tdx", q, rd, now, func(p *chain.Params) { p.TEE.AllowedTEEs = []string{"tdx"} }, attest.ErrFormat},
		{"measurement", "sim", q, rd, now, func(p *chain.Params) { p.TEE.AllowedMeasurements = []chain.Bytes{{1}} }, attest.ErrMeasurement},
		{"report data", "sim", q, workerRD(pubKey("y")), now, nil, attest.ErrReportData},
		{"stale", "sim", q, rd, now.Add(11 * time.Minute), nil, attest.ErrStale},
		{"future", "sim", q, rd, now.Add(-2 * time.Minute), nil, attest.ErrStale},
	} {
		t.Run(c.name, func(t *testing.T) {
			pp := params
			pp.TEE.AllowedTEEs = append([]string(nil), params.TEE.AllowedTEEs...)
			if c.p != nil {
				c.p(&pp)
			}
			_, err := v.VerifyQuote(c.tee, c.quote, c.rd, c.now, pp)
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
	if !errors.Is(attest.ErrReportData, chain.ErrQuoteForOtherKeys) || attest.ErrReportData.Error() != "quote is for other keys" {
		t.Fatal("attest.ErrReportData is not the chain's sentinel")
	}
}

// workerRD is the report data of a RegisterWorker of publicKey sent by
// operator on the test chain.
func workerRD(publicKey []byte) [64]byte {
	return chain.ReportData(chain.RoleWorker, chainID, operator.addr, publicKey)
}
