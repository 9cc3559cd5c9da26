// Package tdx parses and verifies Intel TDX quotes (versions 4 and 5) down
// to Intel's SGX root CA, with Intel's collateral (TCB info, QE identity,
// CRLs) for the platform's TCB status. It does no I/O: the chain's verifier
// runs it inside block execution. Making quotes inside a TD is package
// tee/tdx/guest.
//
// The quote parser is written here from Intel's DCAP quote layout, because
// go-tdx-guest refuses version 5 quotes, which TDX 1.5 modules produce.
// go-tdx-guest still parses the PCK certificate's SGX extensions, and the
// tests cross-check the v4 path against its parser and verifier.
//
// Security: a quote proves that an Intel TDX module measured a TD with the
// given MRTD and RTMRs and that the TD chose the report data, as long as
// the Intel root CA is trusted and the platform's TCB is not compromised.
// The TCB status says how far to believe the second part; without
// collateral Verify checks signatures only, so the status is unknown.
// What to accept (measurements, statuses, debug TDs) is the caller's policy.
package tdx

import "errors"

// Errors, tested with errors.Is. Each failure wraps one of them with the
// detail.
var (
	// ErrFormat: the quote is malformed, truncated, or of an unsupported
	// version, TEE type, key type or certification data type.
	ErrFormat = errors.New("tdx quote format")
	// ErrSignature: a signature does not verify; the message says which.
	ErrSignature = errors.New("tdx signature invalid")
	// ErrCertChain: a certificate chain does not lead to a trusted root,
	// is expired, or names the wrong certificates.
	ErrCertChain = errors.New("tdx certificate chain invalid")
	// ErrRevoked: a certificate in the chain is revoked by a CRL, or the
	// platform's TCB status is Revoked.
	ErrRevoked = errors.New("tdx revoked")
	// ErrCollateralExpired: the verification time is outside the window of
	// the TCB info, the QE identity or a CRL.
	ErrCollateralExpired = errors.New("tdx collateral outside its validity window")
	// ErrQEIdentity: the quoting enclave does not match Intel's QE identity,
	// or its SVN is below every level Intel lists.
	ErrQEIdentity = errors.New("tdx quoting enclave identity mismatch")
	// ErrCollateral: the collateral is malformed or does not fit the quote
	// (another FMSPC or PCE ID, an unknown TDX module).
	ErrCollateral = errors.New("tdx collateral invalid")
	// ErrTCBNotSupported: the platform's TCB is below every level of Intel's
	// TCB info (Intel's "TCB not supported"): too old to have a status.
	ErrTCBNotSupported = errors.New("tdx TCB not supported")
)
