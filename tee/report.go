package tee

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
)

// Report is the summary of a verified attestation that `cove attest verify`
// prints as JSON, the same for every TEE platform. Byte strings are
// lower-case hex without 0x.
type Report struct {
	// TEE names the platform: "tdx" or "sev-snp".
	TEE string `json:"tee"`
	// Version is the quote or report format version.
	Version int `json:"version"`
	// MRTD is the launch measurement: TDX MRTD, SEV-SNP MEASUREMENT.
	MRTD string `json:"mrtd"`
	// RTMRs are the TDX runtime measurement registers (empty elsewhere).
	RTMRs []string `json:"rtmrs"`
	// ReportData is the 64 bytes the guest bound into the quote.
	ReportData string `json:"reportData"`
	// SignatureValid is true when the signatures verified to the vendor's
	// root.
	SignatureValid bool `json:"signatureValid"`
	// TCBStatus is the platform's TCB status from the vendor's collateral,
	// or nil when none was given.
	TCBStatus *string `json:"tcbStatus"`
	// Advisories are the vendor's security advisory IDs for that status.
	Advisories []string `json:"advisories"`
}

// ErrEvidenceEncoding is returned by DecodeEvidence for text that is
// neither binary evidence nor hex.
var ErrEvidenceEncoding = errors.New("evidence is neither binary nor hex")

// DecodeEvidence returns attestation evidence (a quote or report) read
// from a file: binary as is, or hex text with or without a 0x prefix and
// surrounding white space.
func DecodeEvidence(b []byte) ([]byte, error) {
	t := bytes.TrimSpace(b)
	hasPrefix := bytes.HasPrefix(t, []byte("0x")) || bytes.HasPrefix(t, []byte("0X"))
	if hasPrefix {
		t = t[2:]
	}
	if len(t) == 0 {
		return nil, fmt.Errorf("decode evidence: empty")
	}
	if !hasPrefix && !isHexText(t) {
		return b, nil
	}
	out := make([]byte, hex.DecodedLen(len(t)))
	if _, err := hex.Decode(out, t); err != nil {
		return nil, fmt.Errorf("decode evidence: %w: %v", ErrEvidenceEncoding, err)
	}
	return out, nil
}

func isHexText(b []byte) bool {
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}
