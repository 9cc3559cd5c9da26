package chain

import (
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
	// the measurement of the attested software.
	VerifyQuote(tee string, quote []byte, reportData [64]byte, now time.Time, p Params) (measurement []byte, err error)
}

// ReportData returns the report data a worker's quote must carry for its
// public key: keccak256(publicKey) in the first 32 bytes and zeros after.
func ReportData(publicKey []byte) [64]byte {
	var rd [64]byte
	h := cove.Keccak256(publicKey)
	copy(rd[:], h[:])
	return rd
}

// WorkerID returns the id of the worker with the given public key:
// keccak256(publicKey).
func WorkerID(publicKey []byte) cove.Hash { return cove.Keccak256(publicKey) }
