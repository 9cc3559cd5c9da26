// Package attest is the chain's quote verifier: it decides, for every
// validator alike, whether a RegisterWorker quote is evidence the chain
// accepts. It implements chain.QuoteVerifier over the TEE quote verifiers
// (tee/sim/simquote, tee/tdx) and the policy in chain state
// (chain.TEEPolicy), and the validator installs it with
// chain.App.SetVerifier.
//
// A quote is accepted when, in this order:
//
//  1. its platform is one this package verifies ("sim", "tdx") and is in
//     the policy's allowed_tees (else ErrUnknownTEE);
//  2. it is genuine: for sim, signed by a vendor key in sim_vendor_keys;
//     for tdx, signed through the quoting enclave and the PCK chain to
//     Intel's root at the block time, with the policy's collateral if it
//     has one (else ErrSignature, or ErrFormat, ErrCollateral, ErrTCBStatus,
//     ErrDebug for the TDX details);
//  3. it is fresh: a sim quote's timestamp is at most max_quote_age before
//     the block time and at most MaxClockSkew after it (else ErrStale);
//     TDX quotes carry no time, and the binding below (role, chain, operator,
//     key) with the one-registration-per-key rule is what stops their replay;
//  4. its measurement (sim: the executable's SHA-256; tdx: MRTD) is in
//     allowed_measurements (else ErrMeasurement);
//  5. its report data is the one the chain expects for the registration:
//     its role, the chain id, the sending operator and the public key,
//     chain.ReportData (else ErrReportData).
//
// The errors that have their own chain result code are the chain's
// sentinels (ErrUnknownTEE is chain.ErrTEENotAllowed, and so on), so
// errors.Is matches either name.
//
// Security: everything here runs inside block execution, so it is
// deterministic: "now" is the block time, and the policy, vendor keys and
// collateral come from chain state, never from a clock, a file or the
// network; deps_test.go at the module root checks that this package links
// no I/O, clock or randomness. A chain that lists a sim vendor key accepts
// quotes that anyone holding that key's file can forge: sim is INSECURE,
// for development and tests only.
package attest

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/tee/sim/simquote"
	"github.com/cove-network/cove/tee/tdx"
)

// MaxClockSkew is how far after the block time a sim quote's timestamp may
// be: hosts' clocks and the chain's block time drift apart a little.
const MaxClockSkew = 60 * time.Second

// Refusals, tested with errors.Is. Each failure wraps one of them with the
// detail.
var (
	// ErrUnknownTEE: the platform is not one this package verifies, or the
	// chain's policy does not allow it.
	ErrUnknownTEE = chain.ErrTEENotAllowed
	// ErrMeasurement: the quote attests software the chain does not allow.
	ErrMeasurement = chain.ErrMeasurementNotAllowed
	// ErrReportData: the quote commits to other keys than those registered.
	ErrReportData = chain.ErrQuoteForOtherKeys
	// ErrStale: the quote's timestamp is too old or too far in the future.
	ErrStale = chain.ErrQuoteStale
	// ErrSignature: the quote is not signed by a trusted key (an unknown
	// sim vendor, a bad signature or certificate chain, a revoked
	// certificate).
	ErrSignature = errors.New("quote signature invalid")
	// ErrFormat: the quote is malformed.
	ErrFormat = errors.New("quote malformed")
	// ErrCollateral: the chain's TDX collateral does not parse, does not fit
	// the quote's platform or is outside its validity window at the block
	// time.
	ErrCollateral = errors.New("tdx collateral unusable")
	// ErrTCBStatus: the TDX platform's TCB status is worse than the
	// policy's tdx_min_status.
	ErrTCBStatus = errors.New("tdx TCB status not accepted")
	// ErrDebug: the TD runs in debug mode, so the host can read its memory.
	ErrDebug = errors.New("tdx debug TD")
)

// refusal is a failure of one kind (a sentinel above) whose message is the
// detail alone, so that the chain's log does not repeat the kind.
type refusal struct {
	kind, cause error
	msg         string
}

func refuse(kind, cause error, format string, args ...any) error {
	return &refusal{kind: kind, cause: cause, msg: fmt.Sprintf(format, args...)}
}

func (r *refusal) Error() string { return r.msg }

// Unwrap returns the kind and, for a platform package's failure, its error.
func (r *refusal) Unwrap() []error {
	if r.cause == nil {
		return []error{r.kind}
	}
	return []error{r.kind, r.cause}
}

// Verifier verifies quotes against the chain's TEE policy. The zero value
// is ready to use and holds no state.
type Verifier struct{}

var (
	_ chain.QuoteVerifier = Verifier{}
	_ chain.ParamsChecker = Verifier{}
)

// VerifyQuote checks quote as evidence from platform name (see the package
// comment for the order of checks) and returns its measurement and, for
// TDX with collateral in the params, the platform's TCB status.
//
// Security: deterministic; now must be the block time.
func (Verifier) VerifyQuote(name string, quote []byte, reportData [64]byte, now time.Time, p chain.Params) (chain.Attestation, error) {
	pol := p.TEE
	var (
		att chain.Attestation
		rd  [64]byte
		err error
	)
	switch name {
	case "sim":
		if !pol.AllowsTEE(name) {
			return att, notAllowed(name, pol)
		}
		att.Measurement, rd, err = verifySim(quote, now, pol)
	case "tdx":
		if !pol.AllowsTEE(name) {
			return att, notAllowed(name, pol)
		}
		att, rd, err = verifyTDX(quote, now, pol)
	default:
		return att, refuse(ErrUnknownTEE, nil, "this chain verifies sim and tdx quotes, not %q", name)
	}
	if err != nil {
		return chain.Attestation{}, err
	}
	if !pol.AllowsMeasurement(att.Measurement) {
		return chain.Attestation{}, refuse(ErrMeasurement, nil, "measurement %s is not allowed: add it with UpdateParams (params tee.allowed_measurements)", chain.Bytes(att.Measurement))
	}
	if rd != reportData {
		return chain.Attestation{}, refuse(ErrReportData, nil, "quote is for other keys: its report data is 0x%s, the registered public key needs 0x%s", hex.EncodeToString(rd[:]), hex.EncodeToString(reportData[:]))
	}
	return att, nil
}

func notAllowed(name string, pol chain.TEEPolicy) error {
	return refuse(ErrUnknownTEE, nil, "%q is not in params tee.allowed_tees %q", name, pol.AllowedTEEs)
}

// verifySim checks a sim quote's vendor signature and freshness.
func verifySim(quote []byte, now time.Time, pol chain.TEEPolicy) (meas []byte, rd [64]byte, err error) {
	q, err := simquote.Verify(quote, pol.VendorKeys())
	switch {
	case errors.Is(err, simquote.ErrFormat):
		return nil, rd, refuse(ErrFormat, err, "%v", err)
	case errors.Is(err, simquote.ErrUnknownVendor):
		return nil, rd, refuse(ErrSignature, err, "%v: add it to params tee.sim_vendor_keys (sim is INSECURE: development chains only)", err)
	case err != nil:
		return nil, rd, refuse(ErrSignature, err, "%v", err)
	}
	// Compare Unix seconds as integers, so that no hostile timestamp
	// overflows a time.Time. Block times are in years 1 to 9999, so the
	// bounds below cannot overflow either.
	at := now.Unix()
	maxAge := int64(pol.QuoteAge() / time.Second)
	skew := int64(MaxClockSkew / time.Second)
	if q.Timestamp > math.MaxInt64 || int64(q.Timestamp) > at+skew {
		return nil, rd, refuse(ErrStale, nil, "quoted at %s, after the block time %s by more than %d s: check the host clock",
			unix(q.Timestamp), now.UTC().Format(time.RFC3339), skew)
	}
	if t := int64(q.Timestamp); t < at-maxAge {
		return nil, rd, refuse(ErrStale, nil, "quoted at %s, %d s before the block time %s; the chain accepts quotes up to %d s old (params tee.max_quote_age)",
			unix(q.Timestamp), at-t, now.UTC().Format(time.RFC3339), maxAge)
	}
	return q.Measurement[:], q.ReportData, nil
}

func unix(t uint64) string {
	if t > 253402300799 { // after 9999-12-31
		return fmt.Sprintf("unix %d", t)
	}
	return time.Unix(int64(t), 0).UTC().Format(time.RFC3339)
}

// verifyTDX checks a TDX quote to Intel's root at now, with the policy's
// collateral and minimum TCB status.
func verifyTDX(quote []byte, now time.Time, pol chain.TEEPolicy) (att chain.Attestation, rd [64]byte, err error) {
	q, err := tdx.Parse(quote)
	if err != nil {
		return att, rd, refuse(ErrFormat, err, "%v", err)
	}
	opts := tdx.Options{Now: now}
	if len(pol.TDXCollateral) > 0 {
		c, err := tdx.ParseCollateral(pol.TDXCollateral)
		if err != nil {
			return att, rd, refuse(ErrCollateral, err, "params tee.tdx_collateral: %v", err)
		}
		opts.Collateral = c
	}
	res, err := tdx.Verify(q, opts)
	switch {
	case errors.Is(err, tdx.ErrFormat):
		return att, rd, refuse(ErrFormat, err, "%v", err)
	case errors.Is(err, tdx.ErrCollateral), errors.Is(err, tdx.ErrCollateralExpired):
		return att, rd, refuse(ErrCollateral, err, "%v: update params tee.tdx_collateral", err)
	case errors.Is(err, tdx.ErrTCBNotSupported):
		return att, rd, refuse(ErrTCBStatus, err, "%v", err)
	case err != nil: // signatures, certificate chains, revocation, QE identity
		return att, rd, refuse(ErrSignature, err, "%v", err)
	}
	if pol.TDXMinStatus != "" {
		min, ok := statusRank(tdx.TCBStatus(pol.TDXMinStatus))
		got, known := statusRank(res.TCBStatus)
		if !ok || !known || got > min {
			return att, rd, refuse(ErrTCBStatus, nil, "the platform's TCB status is %q (advisories %q), the chain accepts %q or better", res.TCBStatus, res.Advisories, pol.TDXMinStatus)
		}
	}
	if res.Debug() {
		return att, rd, refuse(ErrDebug, nil, "the TD is a debug TD (TDATTRIBUTES.DEBUG): the host can read and change its memory")
	}
	att = chain.Attestation{Measurement: TDXMeasurement(&res.TDReport), TCBStatus: string(res.TCBStatus), Advisories: res.Advisories}
	return att, res.ReportData, nil
}

// TDXMeasurement is what the chain's allowed measurements list for a TD:
// MRTD ‖ RTMR0 ‖ RTMR1 ‖ RTMR2 ‖ RTMR3 (240 bytes). MRTD alone covers only
// the TD firmware; the kernel, its command line and the workload (the
// cove binary) are measured into the RTMRs, so a TD running other
// software on approved firmware does not match.
func TDXMeasurement(r *tdx.TDReport) []byte {
	m := make([]byte, 0, 48*5)
	m = append(m, r.MRTD[:]...)
	for i := range r.RTMRs {
		m = append(m, r.RTMRs[i][:]...)
	}
	return m
}

// statuses ranks TDX TCB statuses from best to worst. A status a TD can
// fix by relaunching ranks with the out-of-date status it stands for: the
// TD itself measured an out-of-date module.
var statuses = [][]tdx.TCBStatus{
	{tdx.StatusUpToDate},
	{tdx.StatusSWHardeningNeeded},
	{tdx.StatusConfigurationNeeded},
	{tdx.StatusConfigurationAndSWHardeningNeeded},
	{tdx.StatusOutOfDate, tdx.StatusTDRelaunchAdvised},
	{tdx.StatusOutOfDateConfigurationNeeded, tdx.StatusTDRelaunchAdvisedConfigurationNeeded},
}

func statusRank(s tdx.TCBStatus) (int, bool) {
	for i, group := range statuses {
		if slices.Contains(group, s) {
			return i, true
		}
	}
	return 0, false
}

// CheckParams refuses a policy that cannot work: collateral that does not
// parse, or a minimum TCB status this package does not know. UpdateParams
// calls it (chain.ParamsChecker).
func (Verifier) CheckParams(p chain.Params) error {
	pol := p.TEE
	if len(pol.TDXCollateral) > 0 {
		if _, err := tdx.ParseCollateral(pol.TDXCollateral); err != nil {
			return fmt.Errorf("tee.tdx_collateral: %w", err)
		}
	}
	if pol.TDXMinStatus != "" {
		if _, ok := statusRank(tdx.TCBStatus(pol.TDXMinStatus)); !ok {
			return fmt.Errorf("tee.tdx_min_status %q: want one of UpToDate, SWHardeningNeeded, ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded, TDRelaunchAdvised, TDRelaunchAdvisedConfigurationNeeded", pol.TDXMinStatus)
		}
	}
	for _, name := range pol.AllowedTEEs {
		if name != "sim" && name != "tdx" {
			return fmt.Errorf("tee.allowed_tees: %q is not a platform this chain verifies (sim, tdx)", name)
		}
	}
	return nil
}
