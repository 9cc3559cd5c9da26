package chain

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Bounds of TEEPolicy.
const (
	// DefaultMaxQuoteAge is the quote age, in seconds, that a zero
	// TEEPolicy.MaxQuoteAge stands for.
	DefaultMaxQuoteAge = 600
	// MaxQuoteAgeLimit bounds TEEPolicy.MaxQuoteAge (one week).
	MaxQuoteAgeLimit = 7 * 24 * 3600
	// MaxCollateralBytes bounds TEEPolicy.TDXCollateral: its hex must fit in
	// an UpdateParams transaction.
	MaxCollateralBytes = 256 << 10
	// SimVendorKeySize is the size of a sim vendor key (Ed25519).
	SimVendorKeySize = 32

	maxPolicyTEEs         = 16
	maxPolicyMeasurements = 1024
	maxPolicyVendorKeys   = 64
	maxStatusBytes        = 64
)

// TEEPolicy is what the chain accepts as attestation evidence. Validators
// read it from state at each RegisterWorker, so governance (UpdateParams by
// the admin) changes it for every validator at the same height.
//
// Its JSON is an object with these keys, each omitted while empty:
//
//	{"allowed_tees":["sim","tdx"],
//	 "allowed_measurements":["0x…"],
//	 "sim_vendor_keys":["0x…"],
//	 "max_quote_age":600,
//	 "tdx_collateral":"0x…",
//	 "tdx_min_status":"UpToDate",
//	 "change_delay":172800}
type TEEPolicy struct {
	// AllowedTEEs names the platforms workers may register with ("sim",
	// "tdx"). A platform not listed is refused.
	AllowedTEEs []string `json:"allowed_tees,omitempty"`
	// AllowedMeasurements are the measurements of software the chain
	// trusts: for sim the 32-byte SHA-256 of the executable, for tdx the
	// 240 bytes MRTD ‖ RTMR0 ‖ RTMR1 ‖ RTMR2 ‖ RTMR3 (see attest.TDXMeasurement).
	AllowedMeasurements []Bytes `json:"allowed_measurements,omitempty"`
	// SimVendorKeys are the Ed25519 public keys whose sim quotes the chain
	// accepts.
	//
	// Security: a sim vendor key is a file on a developer's disk; a chain
	// that lists one trusts whoever can read that file. Only development
	// and test chains should.
	SimVendorKeys []Bytes `json:"sim_vendor_keys,omitempty"`
	// MaxQuoteAge is how old, in seconds before the block time, a quote
	// that carries a timestamp (sim) may be; 0 means DefaultMaxQuoteAge.
	MaxQuoteAge int64 `json:"max_quote_age,omitempty"`
	// TDXCollateral is Intel's collateral file for the TDX platforms the
	// chain accepts (see tee/tdx.ParseCollateral), or empty to check quote
	// signatures only.
	TDXCollateral Bytes `json:"tdx_collateral,omitempty"`
	// TDXMinStatus is the worst TDX TCB status accepted ("UpToDate",
	// "SWHardeningNeeded", ..., "OutOfDate"), or empty to accept any. It
	// needs TDXCollateral.
	TDXMinStatus string `json:"tdx_min_status,omitempty"`
	// ChangeDelay is how long, in seconds, a change that widens the policy
	// (see Widens) waits after its UpdateParams before it takes effect; a
	// change that only narrows it applies at once. Outside a development
	// chain it is at least MinTEEChangeDelay (see CheckForChain).
	//
	// Security: the delay is what lets gatekeepers' operators and users see
	// that the admin is about to trust new software or hardware, and react
	// (stop provisioning, stop using the network) before it can register.
	ChangeDelay int64 `json:"change_delay,omitempty"`
}

// IsZero reports whether the policy is empty; an empty policy is left out
// of the Params JSON, so chains that never set one keep their state format.
func (t TEEPolicy) IsZero() bool {
	return len(t.AllowedTEEs) == 0 && len(t.AllowedMeasurements) == 0 && len(t.SimVendorKeys) == 0 &&
		t.MaxQuoteAge == 0 && len(t.TDXCollateral) == 0 && t.TDXMinStatus == "" && t.ChangeDelay == 0
}

// Validate checks the policy's bounds: valid and distinct platform names,
// distinct measurements of 1 to MaxMeasurementBytes bytes, distinct 32-byte
// vendor keys, a quote age from 0 to MaxQuoteAgeLimit, collateral of at most
// MaxCollateralBytes and a status made of letters. It does not parse the
// collateral: the quote verifier does (see ParamsChecker).
func (t TEEPolicy) Validate() error {
	if len(t.AllowedTEEs) > maxPolicyTEEs {
		return fmt.Errorf("tee.allowed_tees has %d entries, at most %d", len(t.AllowedTEEs), maxPolicyTEEs)
	}
	for i, name := range t.AllowedTEEs {
		if f := checkTEEName(name); f != nil {
			return fmt.Errorf("tee.allowed_tees[%d]: %q is not a platform name (lowercase letters, digits, '-')", i, clip(name))
		}
		if slices.Index(t.AllowedTEEs, name) != i {
			return fmt.Errorf("tee.allowed_tees: %q appears twice", name)
		}
	}
	if len(t.AllowedMeasurements) > maxPolicyMeasurements {
		return fmt.Errorf("tee.allowed_measurements has %d entries, at most %d", len(t.AllowedMeasurements), maxPolicyMeasurements)
	}
	for i, m := range t.AllowedMeasurements {
		if len(m) == 0 || len(m) > MaxMeasurementBytes {
			return fmt.Errorf("tee.allowed_measurements[%d] is %d bytes, want 1 to %d (32 for sim, 240 for TDX: MRTD and RTMR0-3)", i, len(m), MaxMeasurementBytes)
		}
		if indexBytes(t.AllowedMeasurements, m) != i {
			return fmt.Errorf("tee.allowed_measurements: %s appears twice", m)
		}
	}
	if len(t.SimVendorKeys) > maxPolicyVendorKeys {
		return fmt.Errorf("tee.sim_vendor_keys has %d entries, at most %d", len(t.SimVendorKeys), maxPolicyVendorKeys)
	}
	for i, k := range t.SimVendorKeys {
		if len(k) != SimVendorKeySize {
			return fmt.Errorf("tee.sim_vendor_keys[%d] is %d bytes, want a %d-byte Ed25519 public key", i, len(k), SimVendorKeySize)
		}
		if indexBytes(t.SimVendorKeys, k) != i {
			return fmt.Errorf("tee.sim_vendor_keys: %s appears twice", k)
		}
	}
	if t.MaxQuoteAge < 0 || t.MaxQuoteAge > MaxQuoteAgeLimit {
		return fmt.Errorf("tee.max_quote_age %d, want 0 (the default, %d s) to %d seconds", t.MaxQuoteAge, DefaultMaxQuoteAge, MaxQuoteAgeLimit)
	}
	if len(t.TDXCollateral) > MaxCollateralBytes {
		return fmt.Errorf("tee.tdx_collateral is %d bytes, at most %d", len(t.TDXCollateral), MaxCollateralBytes)
	}
	if len(t.TDXMinStatus) > maxStatusBytes {
		return fmt.Errorf("tee.tdx_min_status is %d bytes, at most %d", len(t.TDXMinStatus), maxStatusBytes)
	}
	for i := 0; i < len(t.TDXMinStatus); i++ {
		if c := t.TDXMinStatus[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("tee.tdx_min_status %q: want a TCB status such as \"UpToDate\"", clip(t.TDXMinStatus))
		}
	}
	if t.ChangeDelay < 0 || t.ChangeDelay > MaxTEEChangeDelay {
		return fmt.Errorf("tee.change_delay %d, want 0 to %d seconds", t.ChangeDelay, MaxTEEChangeDelay)
	}
	if t.TDXMinStatus != "" && len(t.TDXCollateral) == 0 {
		return errors.New("tee.tdx_min_status needs tee.tdx_collateral: without collateral a TDX quote has no TCB status")
	}
	return nil
}

// AllowsTEE reports whether the platform name is in AllowedTEEs.
func (t TEEPolicy) AllowsTEE(name string) bool { return slices.Contains(t.AllowedTEEs, name) }

// AllowsMeasurement reports whether m is in AllowedMeasurements.
func (t TEEPolicy) AllowsMeasurement(m []byte) bool { return indexBytes(t.AllowedMeasurements, m) >= 0 }

// AllowsSimVendorKey reports whether k is in SimVendorKeys.
func (t TEEPolicy) AllowsSimVendorKey(k []byte) bool { return indexBytes(t.SimVendorKeys, k) >= 0 }

// QuoteAge returns the maximum quote age: MaxQuoteAge seconds, or
// DefaultMaxQuoteAge when it is 0.
func (t TEEPolicy) QuoteAge() time.Duration {
	if t.MaxQuoteAge == 0 {
		return DefaultMaxQuoteAge * time.Second
	}
	return time.Duration(t.MaxQuoteAge) * time.Second
}

// VendorKeys returns SimVendorKeys as plain byte slices.
func (t TEEPolicy) VendorKeys() [][]byte {
	out := make([][]byte, len(t.SimVendorKeys))
	for i, k := range t.SimVendorKeys {
		out[i] = k
	}
	return out
}

func indexBytes(list []Bytes, b []byte) int {
	return slices.IndexFunc(list, func(x Bytes) bool { return bytes.Equal(x, b) })
}

// Refusals a QuoteVerifier reports by wrapping one of these sentinels; each
// gives RegisterWorker its own result code and message. Any other error is
// CodeAttestationFailed.
var (
	// ErrTEENotAllowed: the platform is unknown to the verifier or not in
	// TEEPolicy.AllowedTEEs (CodeTEENotAllowed).
	ErrTEENotAllowed = errors.New("tee not allowed")
	// ErrMeasurementNotAllowed: the quote is genuine but its measurement is
	// not in TEEPolicy.AllowedMeasurements (CodeMeasurementNotAllowed).
	ErrMeasurementNotAllowed = errors.New("measurement not allowed")
	// ErrQuoteForOtherKeys: the quote's report data is not ReportData of
	// the transaction's public key (CodeQuoteForOtherKeys).
	ErrQuoteForOtherKeys = errors.New("quote is for other keys")
	// ErrQuoteStale: the quote is older than TEEPolicy.MaxQuoteAge before
	// the block time, or too far after it (CodeQuoteStale).
	ErrQuoteStale = errors.New("quote is stale")
)

// ParamsChecker is implemented by a QuoteVerifier that can check a policy
// before it takes effect (that the TDX collateral parses, that a status is
// one it knows). UpdateParams calls it when the App's verifier has it, so a
// policy that would refuse every quote is refused itself.
//
// Security: like VerifyQuote, CheckParams runs in block execution and must
// be deterministic.
type ParamsChecker interface {
	CheckParams(p Params) error
}
