package sevsnp

import (
	"encoding/hex"
	"fmt"

	"github.com/cove-network/cove/tee"
)

// Summary returns the summary of a verified report that `cove attest
// verify` prints: the launch measurement in "mrtd", no RTMRs, and a nil
// TCB status (SEV-SNP has no vendor TCB status to evaluate offline).
func Summary(r *Result) tee.Report {
	return tee.Report{
		TEE:            "sev-snp",
		Version:        r.Version,
		MRTD:           hex.EncodeToString(r.Measurement[:]),
		RTMRs:          []string{},
		ReportData:     hex.EncodeToString(r.ReportData[:]),
		SignatureValid: r.SignatureValid,
		Advisories:     []string{},
	}
}

// ReadReportFile returns the report in a file's contents: binary as is,
// or hex text with or without a 0x prefix.
func ReadReportFile(b []byte) ([]byte, error) {
	r, err := tee.DecodeEvidence(b)
	if err != nil {
		return nil, fmt.Errorf("read sev-snp report: %w", err)
	}
	return r, nil
}
