package tdx

import (
	"encoding/hex"
	"fmt"

	"github.com/cove-network/cove/tee"
)

// Summary returns the summary of a verified quote that `cove attest
// verify` prints: hex without 0x, and a nil TCB status when the quote was
// verified without collateral.
func Summary(r *Result) tee.Report {
	rep := tee.Report{
		TEE:            "tdx",
		Version:        r.Version,
		MRTD:           hex.EncodeToString(r.MRTD[:]),
		RTMRs:          make([]string, len(r.RTMRs)),
		ReportData:     hex.EncodeToString(r.ReportData[:]),
		SignatureValid: r.SignatureValid,
		Advisories:     append([]string{}, r.Advisories...),
	}
	for i := range r.RTMRs {
		rep.RTMRs[i] = hex.EncodeToString(r.RTMRs[i][:])
	}
	if r.TCBStatus != "" {
		s := string(r.TCBStatus)
		rep.TCBStatus = &s
	}
	return rep
}

// ReadQuoteFile returns the quote in a file's contents: binary as is, or
// hex text with or without a 0x prefix.
func ReadQuoteFile(b []byte) ([]byte, error) {
	q, err := tee.DecodeEvidence(b)
	if err != nil {
		return nil, fmt.Errorf("read tdx quote: %w", err)
	}
	return q, nil
}
