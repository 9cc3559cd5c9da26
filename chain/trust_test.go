package chain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
)

// Tests of the security review's findings on the chain (issue 15): the
// admin alone cannot weaken the TEE policy, and a quote binds the role,
// chain and operator of its registration. Each reproduces the attack,
// shows it refused, and has a control that passes in the same state.

// policyVerifier is a deterministic QuoteVerifier for these tests that,
// unlike testVerifier, applies the chain's policy: the platform must be in
// allowed_tees and the quote's measurement in allowed_measurements. A quote
// is testQuote's format.
type policyVerifier struct{}

func (policyVerifier) VerifyQuote(tee string, quote []byte, reportData [64]byte, _ time.Time, p Params) (Attestation, error) {
	if !p.TEE.AllowsTEE(tee) {
		return Attestation{}, fmt.Errorf("%w: %q", ErrTEENotAllowed, tee)
	}
	rest, ok := bytes.CutPrefix(quote, []byte(testQuoteMagic))
	if !ok || len(rest) < 64 {
		return Attestation{}, errors.New("not a test quote")
	}
	if !bytes.Equal(rest[:64], reportData[:]) {
		return Attestation{}, fmt.Errorf("%w: report data does not match", ErrQuoteForOtherKeys)
	}
	if !p.TEE.AllowsMeasurement(rest[64:]) {
		return Attestation{}, fmt.Errorf("%w: %x", ErrMeasurementNotAllowed, rest[64:])
	}
	return Attestation{Measurement: rest[64:]}, nil
}

// prodPolicy is a policy a production chain may have: TDX with collateral
// (these tests' verifier does not parse it), one allowed measurement, a
// one-day change delay.
func prodPolicy() TEEPolicy {
	return TEEPolicy{
		AllowedTEEs:         []string{"tdx"},
		AllowedMeasurements: []Bytes{Bytes("measurement-w1")},
		TDXCollateral:       []byte(`{"collateral":"test"}`),
		ChangeDelay:         MinTEEChangeDelay,
	}
}

// prodApp returns an App on a genesis that is not a development chain.
func prodApp(t *testing.T) *App {
	t.Helper()
	g := testGenesis()
	g.Development = false
	g.Params.TEE = prodPolicy()
	a := New()
	if _, err := a.InitChain(g); err != nil {
		t.Fatal(err)
	}
	a.SetVerifier(policyVerifier{})
	return a
}

// devApp returns an App on a development chain with the same policy (a
// change delay of zero, as `cove dev` has).
func devApp(t *testing.T) *App {
	t.Helper()
	g := testGenesis()
	g.Params.TEE = prodPolicy()
	g.Params.TEE.ChangeDelay = 0
	a := New()
	if _, err := a.InitChain(g); err != nil {
		t.Fatal(err)
	}
	a.SetVerifier(policyVerifier{})
	return a
}

// blockAt executes txs as the next block at time at and commits it.
func blockAt(t *testing.T, a *App, at time.Time, txs ...[]byte) BlockResult {
	t.Helper()
	res := a.FinalizeBlock(Block{Height: a.Height() + 1, Time: at, Txs: txs})
	a.Commit()
	return res
}

// updateTEE returns UpdateParams of the App's params with the TEE policy
// changed by f.
func updateTEE(a *App, n uint64, f func(*TEEPolicy)) UpdateParams {
	p := a.View().Params()
	f(&p.TEE)
	b, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	return UpdateParams{Params: string(b), Nonce: n}
}

func withSim(p *TEEPolicy) {
	p.AllowedTEEs = append(p.AllowedTEEs, "sim")
	p.SimVendorKeys = append(p.SimVendorKeys, bytes.Repeat([]byte{9}, SimVendorKeySize))
}

// TestAdminCannotAdmitSimOutsideDevelopment: the attack was the admin
// adding sim and its own vendor key, then registering a gatekeeper with a
// quote it forged. Outside a development chain the policy change is
// refused; the control is the same transaction on a development chain.
func TestAdminCannotAdmitSimOutsideDevelopment(t *testing.T) {
	prod, dev := prodApp(t), devApp(t)
	before := prod.View().Params()
	wantCode(t, one(t, prod, alice.tx(t, updateTEE(prod, 0, withSim))), CodeInvalidArgument, "INSECURE", "development chain")
	if got := prod.View().Params(); !slices.Equal(got.TEE.AllowedTEEs, before.TEE.AllowedTEEs) || len(got.TEE.SimVendorKeys) != 0 {
		t.Fatalf("a refused policy took effect: %+v", got.TEE)
	}
	if _, ok := prod.View().PendingTEEPolicy(); ok {
		t.Fatal("a refused policy was scheduled")
	}
	// The vendor key alone (no "sim" platform) is refused too.
	wantCode(t, one(t, prod, alice.tx(t, updateTEE(prod, 1, func(p *TEEPolicy) {
		p.SimVendorKeys = []Bytes{bytes.Repeat([]byte{9}, SimVendorKeySize)}
	}))), CodeInvalidArgument, "INSECURE")

	// Control: the same update on a development chain applies.
	wantCode(t, one(t, dev, alice.tx(t, updateTEE(dev, 0, withSim))), CodeOK)
	if !dev.View().Params().TEE.AllowsTEE("sim") {
		t.Fatal("development chain: sim not allowed after UpdateParams")
	}
	// And an update of another parameter applies on the production chain.
	p := prod.View().Params()
	p.MaxNameLength = 10
	b, _ := json.Marshal(p)
	wantCode(t, one(t, prod, alice.tx(t, UpdateParams{Params: string(b), Nonce: 2})), CodeOK)
	if prod.View().Params().MaxNameLength != 10 {
		t.Fatal("max_name_length not updated")
	}
}

// TestGenesisPolicyRules: a genesis that is not a development chain may
// not allow sim, TDX without collateral, or a change delay under a day.
func TestGenesisPolicyRules(t *testing.T) {
	base := testGenesis()
	base.Development = false
	base.Params.TEE = prodPolicy()
	if err := base.Validate(); err != nil {
		t.Fatalf("control: production genesis: %v", err)
	}
	for _, c := range []struct {
		name   string
		mutate func(*TEEPolicy)
		want   string
	}{
		{"sim", func(p *TEEPolicy) { p.AllowedTEEs = append(p.AllowedTEEs, "sim") }, "INSECURE"},
		{"sim vendor key", func(p *TEEPolicy) { p.SimVendorKeys = []Bytes{bytes.Repeat([]byte{9}, 32)} }, "INSECURE"},
		{"tdx without collateral", func(p *TEEPolicy) { p.TDXCollateral = nil }, "needs tee.tdx_collateral"},
		{"short change delay", func(p *TEEPolicy) { p.ChangeDelay = MinTEEChangeDelay - 1 }, "change_delay"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := base
			g.Params.TEE = prodPolicy()
			c.mutate(&g.Params.TEE)
			if err := g.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("production genesis: %v, want %q", err, c.want)
			}
			g.Development = true
			if err := g.Validate(); err != nil {
				t.Fatalf("control: development genesis: %v", err)
			}
		})
	}
}

// TestTDXWithoutCollateralRefused (finding 4): a policy allowing tdx with
// signatures only is refused outside development; the control keeps the
// collateral and differs in nothing else.
func TestTDXWithoutCollateralRefused(t *testing.T) {
	prod := prodApp(t)
	wantCode(t, one(t, prod, alice.tx(t, updateTEE(prod, 0, func(p *TEEPolicy) {
		p.TDXCollateral = nil
		p.MaxQuoteAge = 300
	}))), CodeInvalidArgument, "needs tee.tdx_collateral")
	wantCode(t, one(t, prod, alice.tx(t, updateTEE(prod, 1, func(p *TEEPolicy) {
		p.MaxQuoteAge = 300
	}))), CodeOK)
	if prod.View().Params().TEE.MaxQuoteAge != 300 {
		t.Fatal("control: a narrowing change did not apply at once")
	}
	// On a development chain TDX without collateral is allowed.
	dev := devApp(t)
	wantCode(t, one(t, dev, alice.tx(t, updateTEE(dev, 0, func(p *TEEPolicy) { p.TDXCollateral = nil }))), CodeOK)
}

// TestPolicyWideningWaits: a change that admits new software waits for the
// change delay, visible on chain as a pending policy; registrations it
// would admit are refused until then. A narrowing change applies at once.
func TestPolicyWideningWaits(t *testing.T) {
	a := prodApp(t)
	t0 := blockTime(1)
	wantCode(t, blockAt(t, a, t0, alice.tx(t, updateTEE(a, 0, func(p *TEEPolicy) {
		p.AllowedMeasurements = append(p.AllowedMeasurements, Bytes("measurement-w2"))
	}))).TxResults[0], CodeOK)
	pend, ok := a.View().PendingTEEPolicy()
	if !ok || !pend.EffectiveAt.Equal(t0.Add(MinTEEChangeDelay*time.Second)) || len(pend.Admits) != 1 ||
		!strings.Contains(pend.Admits[0], Bytes("measurement-w2").String()) || pend.Admin != alice.addr {
		t.Fatalf("pending %+v %v", pend, ok)
	}
	if a.View().Params().TEE.AllowsMeasurement([]byte("measurement-w2")) {
		t.Fatal("a widening change applied at once")
	}
	// The worker it would admit is refused before the delay; the control,
	// a worker whose measurement is allowed, registers in the same block.
	w1, w2 := workerBy(bob, "w1", 1), workerBy(bob, "w2", 0)
	w1.TEE, w2.TEE = "tdx", "tdx"
	r := blockAt(t, a, t0.Add(time.Hour), bob.tx(t, w2), bob.tx(t, w1))
	wantCode(t, r.TxResults[0], CodeMeasurementNotAllowed)
	wantCode(t, r.TxResults[1], CodeOK)
	// Sending the pending policy again keeps its schedule.
	wantCode(t, blockAt(t, a, t0.Add(2*time.Hour), alice.tx(t, UpdateParams{Params: string(mustJSON(func() Params {
		p := a.View().Params()
		p.TEE = pend.Policy
		return p
	}())), Nonce: 1})).TxResults[0], CodeOK)
	if again, _ := a.View().PendingTEEPolicy(); !again.EffectiveAt.Equal(pend.EffectiveAt) {
		t.Fatalf("resending the pending policy moved it to %v", again.EffectiveAt)
	}
	// One second before: not yet. At the time: applied, with an event.
	blockAt(t, a, pend.EffectiveAt.Add(-time.Second))
	if a.View().Params().TEE.AllowsMeasurement([]byte("measurement-w2")) {
		t.Fatal("applied before its time")
	}
	w2.Nonce = 2
	res := blockAt(t, a, pend.EffectiveAt, bob.tx(t, w2))
	wantCode(t, res.TxResults[0], CodeOK)
	if len(res.Events) == 0 || res.Events[0].Type != EventTEEPolicyApplied {
		t.Fatalf("block events %v", res.Events)
	}
	if _, ok := a.View().PendingTEEPolicy(); ok {
		t.Fatal("pending policy left after it applied")
	}
	// Narrowing (removing w2's measurement) applies at once.
	wantCode(t, one(t, a, alice.tx(t, updateTEE(a, 2, func(p *TEEPolicy) {
		p.AllowedMeasurements = p.AllowedMeasurements[:1]
	}))), CodeOK)
	if a.View().Params().TEE.AllowsMeasurement([]byte("measurement-w2")) {
		t.Fatal("a narrowing change did not apply at once")
	}
	// Shortening the delay is itself a widening.
	wantCode(t, one(t, a, alice.tx(t, updateTEE(a, 3, func(p *TEEPolicy) { p.ChangeDelay = MinTEEChangeDelay + 1 }))), CodeOK)
	if a.View().Params().TEE.ChangeDelay != MinTEEChangeDelay+1 {
		t.Fatal("lengthening the delay did not apply at once")
	}
	wantCode(t, one(t, a, alice.tx(t, updateTEE(a, 4, func(p *TEEPolicy) { p.ChangeDelay = MinTEEChangeDelay }))), CodeOK)
	if p, ok := a.View().PendingTEEPolicy(); !ok || p.Admits[0] != "change_delay 86400 s" {
		t.Fatalf("shortening the delay: pending %+v %v", p, ok)
	}
	// An update of another parameter (the current policy sent again, as
	// a tool building params from GET /v1/chain/params does) keeps the
	// pending change...
	pend, _ = a.View().PendingTEEPolicy()
	p := a.View().Params()
	p.MaxNameLength = 11
	r = BlockResult{TxResults: []TxResult{one(t, a, alice.tx(t, UpdateParams{Params: string(mustJSON(p)), Nonce: 5}))}}
	wantCode(t, r.TxResults[0], CodeOK)
	if again, ok := a.View().PendingTEEPolicy(); !ok || !again.EffectiveAt.Equal(pend.EffectiveAt) || a.View().Params().MaxNameLength != 11 {
		t.Fatalf("an unrelated update: pending %+v %v", again, ok)
	}
	// ...and a narrowing change cancels it, with an event.
	r = BlockResult{TxResults: []TxResult{one(t, a, alice.tx(t, updateTEE(a, 6, func(p *TEEPolicy) { p.MaxQuoteAge = 60 })))}}
	wantCode(t, r.TxResults[0], CodeOK)
	if _, ok := a.View().PendingTEEPolicy(); ok {
		t.Fatal("a narrowing change did not cancel the pending change")
	}
	if ev := r.TxResults[0].Events; len(ev) != 2 || ev[1].Type != EventTEEPolicyCancelled {
		t.Fatalf("events %v, want params_updated then %s", ev, EventTEEPolicyCancelled)
	}
}

// TestTEEPolicyWidens lists what a change admits.
func TestTEEPolicyWidens(t *testing.T) {
	cur := prodPolicy()
	cur.TDXMinStatus = "UpToDate"
	for _, c := range []struct {
		name   string
		mutate func(*TEEPolicy)
		want   string // "" for narrowing
	}{
		{"same", func(*TEEPolicy) {}, ""},
		{"fewer measurements", func(p *TEEPolicy) { p.AllowedMeasurements = nil }, ""},
		{"shorter quote age", func(p *TEEPolicy) { p.MaxQuoteAge = 60 }, ""},
		{"longer delay", func(p *TEEPolicy) { p.ChangeDelay++ }, ""},
		{"platform", func(p *TEEPolicy) { p.AllowedTEEs = append(p.AllowedTEEs, "sev-snp") }, "platform sev-snp"},
		{"measurement", func(p *TEEPolicy) { p.AllowedMeasurements = append(p.AllowedMeasurements, Bytes("m")) }, "measurement 0x6d"},
		{"vendor key", func(p *TEEPolicy) { p.SimVendorKeys = []Bytes{{1}} }, "sim vendor key 0x01"},
		{"longer quote age", func(p *TEEPolicy) { p.MaxQuoteAge = DefaultMaxQuoteAge + 1 }, "max_quote_age 601 s"},
		{"other collateral", func(p *TEEPolicy) { p.TDXCollateral = []byte("x") }, "other tdx_collateral"},
		{"other status", func(p *TEEPolicy) { p.TDXMinStatus = "OutOfDate" }, `tdx_min_status "OutOfDate"`},
		{"no status", func(p *TEEPolicy) { p.TDXMinStatus = "" }, `tdx_min_status ""`},
		{"shorter delay", func(p *TEEPolicy) { p.ChangeDelay-- }, "change_delay 86399 s"},
	} {
		next := prodPolicy()
		next.TDXMinStatus = "UpToDate"
		c.mutate(&next)
		got := strings.Join(next.Widens(cur), "; ")
		if got != c.want {
			t.Errorf("%s: widens %q, want %q", c.name, got, c.want)
		}
	}
	// A status where there was none narrows.
	if w := cur.Widens(prodPolicy()); len(w) != 0 {
		t.Errorf("adding a minimum status widens: %q", w)
	}
}

// TestQuoteBindsRole (finding 2): a gatekeeper's genuine quote, replayed
// by someone else in a RegisterWorker to squat its id, is refused; the
// control is that quote in the gatekeeper's own registration.
func TestQuoteBindsRole(t *testing.T) {
	a := devApp(t)
	a.SetVerifier(&testVerifier{})
	genuine := gatekeeper("g1", 1) // quoted for bob as a gatekeeper
	squat := RegisterWorker{TEE: genuine.TEE, PublicKey: genuine.PublicKey, Endpoint: genuine.Endpoint, Quote: genuine.Quote}
	// The attacker replays it from its own account...
	wantCode(t, one(t, a, alice.tx(t, squat)), CodeQuoteForOtherKeys, "a worker quote binds its role")
	// ...and even from the gatekeeper's operator (only the role differs
	// from the control below) it is refused.
	wantCode(t, one(t, a, bob.tx(t, squat)), CodeQuoteForOtherKeys, "a worker quote binds its role")
	if _, err := a.View().Worker(WorkerID(genuine.PublicKey)); err == nil {
		t.Fatal("the gatekeeper's key was registered as a worker")
	}
	wantCode(t, one(t, a, bob.tx(t, genuine)), CodeOK)
}

// TestKeyInOneRoleOnly: a key registered as a gatekeeper is refused as a
// worker even with a worker quote for it, and the reverse; the control is
// the same registration of a fresh key.
func TestKeyInOneRoleOnly(t *testing.T) {
	a := devApp(t)
	a.SetVerifier(&testVerifier{})
	g := gatekeeper("g1", 0)
	wantCode(t, one(t, a, bob.tx(t, g)), CodeOK)
	asWorker := RegisterWorker{TEE: "sim", PublicKey: g.PublicKey, Endpoint: "https://w.example",
		Quote: testQuote(RoleWorker, bob.addr, g.PublicKey, []byte("m")), Nonce: 1}
	wantCode(t, one(t, a, bob.tx(t, asWorker)), CodeExists, "one role only")
	fresh := gkIdentity("g2").PublicKey()
	asWorker.PublicKey, asWorker.Quote, asWorker.Nonce = fresh, testQuote(RoleWorker, bob.addr, fresh, []byte("m")), 2
	wantCode(t, one(t, a, bob.tx(t, asWorker)), CodeOK)
	// The reverse: g2's key is now a worker's; as a gatekeeper (of another
	// operator, who operates none) it is refused.
	asGK := gatekeeperBy(alice, "g2", 0)
	wantCode(t, one(t, a, alice.tx(t, asGK)), CodeExists, "one role only")
	wantCode(t, one(t, a, alice.tx(t, gatekeeperBy(alice, "g3", 1))), CodeOK)
	// Provisions are keyed by kind: the worker's slot holds nothing of the
	// gatekeeper's.
	if ps := a.View().Provisions(ProvisionKindWorker, WorkerID(g.PublicKey)); len(ps) != 0 {
		t.Fatalf("worker provisions of a gatekeeper id: %v", ps)
	}
}

// TestQuoteBindsOperator: a RegisterWorker copied from the mempool and
// sent by another account (front-running, with its own endpoint) is
// refused; the control is the genuine operator sending the same message.
func TestQuoteBindsOperator(t *testing.T) {
	a := devApp(t)
	a.SetVerifier(&testVerifier{})
	m := workerBy(bob, "w1", 0)
	stolen := m
	stolen.Endpoint = "https://thief.example"
	wantCode(t, one(t, a, alice.tx(t, stolen)), CodeQuoteForOtherKeys, alice.addr.String())
	stolen.Endpoint = m.Endpoint
	stolen.Nonce = 1
	wantCode(t, one(t, a, alice.tx(t, stolen)), CodeQuoteForOtherKeys)
	wantCode(t, one(t, a, bob.tx(t, m)), CodeOK)
	if w, err := a.View().Worker(WorkerID(m.PublicKey)); err != nil || w.Operator != bob.addr || w.Endpoint != m.Endpoint {
		t.Fatalf("worker %+v %v", w, err)
	}
}

// TestQuoteBindsChain: a quote made for another chain is refused; the
// control is the same quote made for this chain.
func TestQuoteBindsChain(t *testing.T) {
	a := devApp(t)
	a.SetVerifier(&testVerifier{})
	m := workerBy(bob, "w1", 0)
	rd := ReportData(RoleWorker, testChainID+1, bob.addr, m.PublicKey)
	other := m
	other.Quote = slices.Concat([]byte(testQuoteMagic), rd[:], []byte("measurement-w1"))
	wantCode(t, one(t, a, bob.tx(t, other)), CodeQuoteForOtherKeys)
	wantCode(t, one(t, a, bob.tx(t, workerBy(bob, "w1", 1))), CodeOK)
}

// TestReportDataFormat pins chain.ReportData: the format is what TEEs
// quote, so a change must be coordinated with every worker and gatekeeper.
func TestReportDataFormat(t *testing.T) {
	op := cove.Address{0xAA}
	pub := []byte{1, 2, 3}
	want := cove.Keccak256([]byte("cove/register/v2\x00worker\x00"), []byte{0, 0, 0, 0, 0, 0, 0, 7}, op[:], pub)
	rd := ReportData(RoleWorker, 7, op, pub)
	if !bytes.Equal(rd[:32], want[:]) || !bytes.Equal(rd[32:], make([]byte, 32)) {
		t.Fatalf("report data %x, want %x ‖ zeros", rd, want)
	}
	for _, other := range [][64]byte{
		ReportData(RoleGatekeeper, 7, op, pub),
		ReportData(RoleWorker, 8, op, pub),
		ReportData(RoleWorker, 7, cove.Address{0xAB}, pub),
		ReportData(RoleWorker, 7, op, []byte{1, 2, 4}),
	} {
		if other == rd {
			t.Error("report data does not depend on every input")
		}
	}
}
