package chain

import (
	"encoding/binary"
	"time"

	"github.com/cove-network/cove"
)

// QuoteVerifier checks TEE attestation evidence for RegisterWorker. The
// attestation issue provides the real one (tee/tdx, ...); until an App has
// one, RegisterWorker fails with CodeAttestationUnavailable.
//
// Security: VerifyQuote runs inside block execution, so it must be
// deterministic: its result may depend only on its arguments (now is the
// block time, and collateral, allowed measurements and roots come from p),
// never on a clock, the network, files or randomness. Otherwise validators
// disagree and the chain halts.
type QuoteVerifier interface {
	// VerifyQuote checks that quote is valid evidence from the TEE
	// platform tee and that its report data equals reportData, and returns
	// the measurement of the attested software and the platform's TCB
	// status.
	VerifyQuote(tee string, quote []byte, reportData [64]byte, now time.Time, p Params) (Attestation, error)
}

// Attestation is what a QuoteVerifier found in a valid quote.
type Attestation struct {
	// Measurement is the attested software's measurement.
	Measurement []byte
	// TCBStatus is the platform's TCB status from the vendor's collateral
	// (TDX: "UpToDate", "SWHardeningNeeded", "OutOfDate", ...), or "" when
	// the platform has none (sim) or the chain's params give no
	// collateral. Rewards weigh a worker by it (Confidence).
	TCBStatus string
	// Advisories are the vendor's security advisory ids for that status.
	Advisories []string
}

// Registration roles: what a quote's report data binds a public key to
// (see ReportData). A key is registered in one role only.
const (
	RoleWorker     = "worker"
	RoleGatekeeper = "gatekeeper"
)

// reportDataDomain starts every report data preimage.
const reportDataDomain = "cove/register/v2"

// ReportData returns the report data a registration's quote must carry:
//
//	keccak256("cove/register/v2" ‖ 0x00 ‖ role ‖ 0x00 ‖ uint64 big-endian chainID ‖ operator ‖ publicKey)
//
// in the first 32 bytes and zeros after, where role is RoleWorker or
// RoleGatekeeper and operator is the account that sends the registration.
//
// Security: the quote is evidence that a TEE running allowed software
// holds publicKey and asked to be registered in this role, on this chain,
// by this operator. Binding only the key (as version 1 did) let anyone
// replay a gatekeeper's quote to register its key as a worker (squatting
// the id its provisions are keyed by), front-run a RegisterWorker with
// another operator and endpoint, or replay a quote on another chain; TDX
// quotes carry no time, so such a replay would work forever.
func ReportData(role string, chainID uint64, operator cove.Address, publicKey []byte) [64]byte {
	b := make([]byte, 0, len(reportDataDomain)+len(role)+2+8+len(operator)+len(publicKey))
	b = append(b, reportDataDomain...)
	b = append(b, 0)
	b = append(b, role...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, chainID)
	b = append(b, operator[:]...)
	b = append(b, publicKey...)
	var rd [64]byte
	h := cove.Keccak256(b)
	copy(rd[:], h[:])
	return rd
}

// WorkerID returns the id of the worker with the given public key:
// keccak256(publicKey).
func WorkerID(publicKey []byte) cove.Hash { return cove.Keccak256(publicKey) }
