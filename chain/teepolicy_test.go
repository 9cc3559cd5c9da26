package chain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func teePolicy() TEEPolicy {
	return TEEPolicy{
		AllowedTEEs:         []string{"sim", "tdx"},
		AllowedMeasurements: []Bytes{bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 48)},
		SimVendorKeys:       []Bytes{bytes.Repeat([]byte{3}, 32)},
		MaxQuoteAge:         300,
		TDXCollateral:       []byte(`{"tcb_info":"…"}`),
		TDXMinStatus:        "UpToDate",
	}
}

func TestTEEPolicyJSON(t *testing.T) {
	p := DefaultParams(alice.addr)
	p.TEE = teePolicy()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{`"tee":{`, `"allowed_tees":["sim","tdx"]`, `"allowed_measurements":["0x0101`, `"sim_vendor_keys":["0x0303`, `"max_quote_age":300`, `"tdx_collateral":"0x7b`, `"tdx_min_status":"UpToDate"`} {
		if !bytes.Contains(b, []byte(f)) {
			t.Errorf("params JSON %s has no %s", b, f)
		}
	}
	got, err := ParseParams(b)
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if err := checkRecord(keyParams, b); err != nil {
		t.Fatalf("params with a policy are not canonical: %v", err)
	}
	// An empty policy, however written, is left out: the state format of
	// chains without one does not change.
	for _, in := range []string{`{}`, `{"allowed_tees":[],"sim_vendor_keys":[]}`} {
		raw := fmt.Sprintf(`{"admin":%q,"max_name_length":64,"max_secrets_bytes":131072,"tee":%s}`, alice.addr, in)
		q, err := ParseParams([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if b := mustJSON(q); bytes.Contains(b, []byte("tee")) {
			t.Errorf("empty policy %s written as %s", in, b)
		}
	}
	// Unknown fields inside the policy are refused like anywhere else.
	raw := fmt.Sprintf(`{"admin":%q,"max_name_length":64,"max_secrets_bytes":131072,"tee":{"allowed_roots":[]}}`, alice.addr)
	if _, err := ParseParams([]byte(raw)); err == nil || !strings.Contains(err.Error(), "allowed_roots") {
		t.Errorf("unknown policy field: %v", err)
	}
}

func TestTEEPolicyValidate(t *testing.T) {
	if err := teePolicy().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		mutate func(*TEEPolicy)
		want   string
	}{
		{"tee name", func(p *TEEPolicy) { p.AllowedTEEs = []string{"TDX"} }, "allowed_tees[0]"},
		{"tee twice", func(p *TEEPolicy) { p.AllowedTEEs = []string{"sim", "sim"} }, "twice"},
		{"empty measurement", func(p *TEEPolicy) { p.AllowedMeasurements = []Bytes{nil} }, "allowed_measurements[0] is 0 bytes"},
		{"long measurement", func(p *TEEPolicy) { p.AllowedMeasurements = []Bytes{make([]byte, MaxMeasurementBytes+1)} }, "want 1 to"},
		{"measurement twice", func(p *TEEPolicy) { p.AllowedMeasurements = []Bytes{{1}, {1}} }, "twice"},
		{"vendor key size", func(p *TEEPolicy) { p.SimVendorKeys = []Bytes{make([]byte, 31)} }, "32-byte Ed25519"},
		{"vendor key twice", func(p *TEEPolicy) { p.SimVendorKeys = []Bytes{make([]byte, 32), make([]byte, 32)} }, "twice"},
		{"negative age", func(p *TEEPolicy) { p.MaxQuoteAge = -1 }, "max_quote_age"},
		{"age too long", func(p *TEEPolicy) { p.MaxQuoteAge = MaxQuoteAgeLimit + 1 }, "max_quote_age"},
		{"collateral size", func(p *TEEPolicy) { p.TDXCollateral = make([]byte, MaxCollateralBytes+1) }, "tdx_collateral"},
		{"status chars", func(p *TEEPolicy) { p.TDXMinStatus = "Up To Date" }, "tdx_min_status"},
		{"status without collateral", func(p *TEEPolicy) { p.TDXCollateral = nil }, "needs tee.tdx_collateral"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := teePolicy()
			c.mutate(&p)
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate: %v, want an error with %q", err, c.want)
			}
			params := DefaultParams(alice.addr)
			params.TEE = p
			if params.Validate() == nil {
				t.Fatal("Params.Validate accepts the bad policy")
			}
		})
	}
	p := TEEPolicy{}
	if !p.IsZero() || p.QuoteAge() != DefaultMaxQuoteAge*time.Second {
		t.Error("zero policy")
	}
	p = teePolicy()
	if p.IsZero() || p.QuoteAge() != 300*time.Second || !p.AllowsTEE("tdx") || p.AllowsTEE("nitro") ||
		!p.AllowsMeasurement(bytes.Repeat([]byte{2}, 48)) || p.AllowsMeasurement([]byte{2}) ||
		!p.AllowsSimVendorKey(bytes.Repeat([]byte{3}, 32)) || len(p.VendorKeys()) != 1 {
		t.Error("policy queries")
	}
}

// sentinelVerifier refuses every quote with its error.
type sentinelVerifier struct{ err error }

func (v sentinelVerifier) VerifyQuote(string, []byte, [64]byte, time.Time, Params) (Attestation, error) {
	return Attestation{}, v.err
}

// TestRegisterWorkerRefusalCodes: each sentinel a verifier wraps has its own
// code, and the verifier's detail reaches the log.
func TestRegisterWorkerRefusalCodes(t *testing.T) {
	a := newApp(t)
	for _, c := range []struct {
		err  error
		code uint32
	}{
		{fmt.Errorf("%w: nitro", ErrTEENotAllowed), CodeTEENotAllowed},
		{fmt.Errorf("%w: 0x01", ErrMeasurementNotAllowed), CodeMeasurementNotAllowed},
		{fmt.Errorf("%w: detail", ErrQuoteForOtherKeys), CodeQuoteForOtherKeys},
		{fmt.Errorf("%w: 700 s old", ErrQuoteStale), CodeQuoteStale},
		{fmt.Errorf("bad signature"), CodeAttestationFailed},
	} {
		a.SetVerifier(sentinelVerifier{c.err})
		r := one(t, a, bob.tx(t, worker("w", nonce(a, bob))))
		wantCode(t, r, c.code, c.err.Error())
	}
	if len(a.View().Workers()) != 0 {
		t.Error("a refused registration registered")
	}
}

// TestNewCodes pins the numbers of the attestation codes.
func TestNewCodes(t *testing.T) {
	for c, want := range map[uint32]uint32{CodeTEENotAllowed: 12, CodeMeasurementNotAllowed: 13, CodeQuoteForOtherKeys: 14, CodeQuoteStale: 15} {
		if c != want || strings.HasPrefix(CodeName(c), "code ") {
			t.Errorf("%s = %d, want %d", CodeName(c), c, want)
		}
	}
}

// TestUpdateParamsChecked: a verifier that checks params refuses a policy
// before it takes effect.
func TestUpdateParamsChecked(t *testing.T) {
	a := newApp(t)
	a.SetVerifier(checkingVerifier{})
	p := DefaultParams(alice.addr)
	p.TEE = teePolicy()
	b, _ := json.Marshal(p)
	wantCode(t, one(t, a, alice.tx(t, UpdateParams{Params: string(b), Nonce: 0})), CodeInvalidArgument, "params: collateral refused")
	if !a.View().Params().TEE.IsZero() {
		t.Fatal("a refused policy took effect")
	}
}

type checkingVerifier struct{ sentinelVerifier }

func (checkingVerifier) CheckParams(p Params) error {
	if len(p.TEE.TDXCollateral) > 0 {
		return fmt.Errorf("collateral refused")
	}
	return nil
}
