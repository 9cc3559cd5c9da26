package chain

import "fmt"

// Result codes of a transaction (TxResult.Code). They are stable: a code's
// number and meaning never change, new codes get new numbers.
const (
	// CodeOK: the transaction ran.
	CodeOK uint32 = 0
	// CodeMalformed: the bytes are not a transaction (see Decode).
	CodeMalformed uint32 = 1
	// CodeBadSignature: no sender could be recovered from the signature.
	CodeBadSignature uint32 = 2
	// CodeUnknownAccount: the recovered sender has no account. A signature
	// made for another chain id recovers a different, unfunded address, so
	// this is also what a transaction for another chain gets.
	CodeUnknownAccount uint32 = 3
	// CodeBadNonce: the nonce is not the sender's next nonce.
	CodeBadNonce uint32 = 4
	// CodeInsufficientFunds: the sender's balance is below the amount.
	CodeInsufficientFunds uint32 = 5
	// CodeNotFound: the transaction names a record that does not exist.
	CodeNotFound uint32 = 6
	// CodeExists: the record the transaction would create exists.
	CodeExists uint32 = 7
	// CodeUnauthorized: the sender may not do this (not the owner, not the
	// admin).
	CodeUnauthorized uint32 = 8
	// CodeInvalidArgument: a field breaks a rule (name, CID, secrets,
	// endpoint, params...).
	CodeInvalidArgument uint32 = 9
	// CodeAttestationUnavailable: this validator cannot verify quotes.
	CodeAttestationUnavailable uint32 = 10
	// CodeAttestationFailed: the quote did not verify (malformed, a bad
	// signature or certificate chain, an untrusted vendor, collateral that
	// does not fit).
	CodeAttestationFailed uint32 = 11
	// CodeTEENotAllowed: the chain does not accept quotes of this platform
	// (ErrTEENotAllowed).
	CodeTEENotAllowed uint32 = 12
	// CodeMeasurementNotAllowed: the quote is genuine but attests software
	// the chain does not allow (ErrMeasurementNotAllowed).
	CodeMeasurementNotAllowed uint32 = 13
	// CodeQuoteForOtherKeys: the quote's report data commits to other keys
	// than the transaction's (ErrQuoteForOtherKeys).
	CodeQuoteForOtherKeys uint32 = 14
	// CodeQuoteStale: the quote is too old, or from the future, at the
	// block time (ErrQuoteStale).
	CodeQuoteStale uint32 = 15
	// CodeFeeAboveMax: the transaction's fee is above the maxFee it
	// signed (the chain's fees rose, or the sender underestimated).
	CodeFeeAboveMax uint32 = 16
)

// Codespace is the TxResult.Codespace of every non-zero code.
const Codespace = "cove"

var codeNames = [...]string{
	CodeOK:                     "ok",
	CodeMalformed:              "malformed",
	CodeBadSignature:           "bad signature",
	CodeUnknownAccount:         "unknown account",
	CodeBadNonce:               "bad nonce",
	CodeInsufficientFunds:      "insufficient funds",
	CodeNotFound:               "not found",
	CodeExists:                 "exists",
	CodeUnauthorized:           "unauthorized",
	CodeInvalidArgument:        "invalid argument",
	CodeAttestationUnavailable: "attestation unavailable",
	CodeAttestationFailed:      "attestation failed",
	CodeTEENotAllowed:          "tee not allowed",
	CodeMeasurementNotAllowed:  "measurement not allowed",
	CodeQuoteForOtherKeys:      "quote for other keys",
	CodeQuoteStale:             "stale quote",
	CodeFeeAboveMax:            "fee above max",
}

// CodeName returns the short name of a result code ("bad nonce"), or
// "code N" for a code this build does not know.
func CodeName(code uint32) string {
	if int(code) < len(codeNames) {
		return codeNames[code]
	}
	return fmt.Sprintf("code %d", code)
}

// failure is a transaction's non-zero result: a code and a message for the
// client that says what to do.
type failure struct {
	code uint32
	msg  string
}

func fail(code uint32, format string, args ...any) *failure {
	return &failure{code: code, msg: CodeName(code) + ": " + fmt.Sprintf(format, args...)}
}
