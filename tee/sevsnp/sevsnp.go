// Package sevsnp verifies AMD SEV-SNP attestation reports offline with
// Google's go-sev-guest: the report's signature with the chip's VCEK
// certificate, and the VCEK through AMD's ASK to AMD's ARK root.
//
// Security: a verified report proves that an AMD SEV-SNP processor
// launched a guest with the given measurement and policy and that the
// guest chose the report data, as long as AMD's root is trusted. The
// report's TCB (firmware versions) is reported, not judged, and AMD's CRL
// is not consulted offline. What to accept (measurements, a debuggable
// policy, TCB versions) is the caller's policy.
package sevsnp

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/google/go-sev-guest/abi"
	"github.com/google/go-sev-guest/kds"
	spb "github.com/google/go-sev-guest/proto/sevsnp"
	"github.com/google/go-sev-guest/verify"
	"github.com/google/go-sev-guest/verify/trust"
)

// Errors, tested with errors.Is.
var (
	// ErrFormat: the report is not an SEV-SNP attestation report.
	ErrFormat = errors.New("sev-snp report format")
	// ErrSignature: the report's signature, or its VCEK certificate chain
	// to AMD's root, does not verify.
	ErrSignature = errors.New("sev-snp signature invalid")
	// ErrNoVCEK: no VCEK certificate was given; it comes from AMD's Key
	// Distribution Service for the report's chip ID and reported TCB.
	ErrNoVCEK = errors.New("sev-snp VCEK certificate missing")
)

// Report is a parsed SEV-SNP attestation report (1184 bytes).
type Report struct {
	raw   []byte
	proto *spb.Report
}

// Parse decodes an SEV-SNP attestation report. It checks the layout and
// reserved fields, not the signature.
func Parse(b []byte) (*Report, error) {
	if len(b) != abi.ReportSize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrFormat, len(b), abi.ReportSize)
	}
	p, err := abi.ReportToProto(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if _, err := abi.ParseSignerInfo(p.GetSignerInfo()); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return &Report{raw: bytes.Clone(b), proto: p}, nil
}

// Version is the report format version.
func (r *Report) Version() int { return int(r.proto.GetVersion()) }

// Options configures Verify.
type Options struct {
	// VCEK is the certificate (DER or PEM) of the chip's versioned
	// endorsement key at the report's reported TCB, from AMD's Key
	// Distribution Service.
	VCEK []byte
	// CertChain, if set, is the ASK and ARK PEM bundle (KDS's
	// "cert_chain") to trust instead of the AMD roots go-sev-guest embeds.
	//
	// Security: CertChain replaces AMD's root of trust; pass only AMD's
	// published bundle.
	CertChain []byte
	// Now is the verification time for the certificates; zero means
	// time.Now().
	Now time.Time
}

// Result is what a verified report says.
type Result struct {
	// Version is the report format version.
	Version int
	// Measurement is the launch measurement of the guest.
	Measurement [48]byte
	// ReportData is the 64 bytes the guest chose.
	ReportData [64]byte
	// HostData is the 32 bytes the host set at launch.
	HostData [32]byte
	// ChipID identifies the processor.
	ChipID [64]byte
	// Policy is the guest policy; Debug is its DEBUG bit: the host may
	// read and write a debuggable guest's memory.
	Policy uint64
	Debug  bool
	// VMPL is the privilege level that asked for the report.
	VMPL uint32
	// ReportedTCB is the TCB version the VCEK was derived for.
	ReportedTCB uint64
	// SignatureValid is true once the VCEK chain and the report signature
	// verified.
	SignatureValid bool
}

// Verify checks the report's signature with opts.VCEK and the VCEK's
// chain to AMD's root, offline.
//
// Security: a nil error means the report is genuine; the caller must
// still check the measurement, the report data, the policy (Debug) and
// the TCB.
func Verify(r *Report, opts Options) (*Result, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: no report", ErrFormat)
	}
	if len(opts.VCEK) == 0 {
		return nil, fmt.Errorf("%w: fetch it from AMD KDS for chip %x at TCB %#x", ErrNoVCEK, r.proto.GetChipId(), r.proto.GetReportedTcb())
	}
	der := opts.VCEK
	if block, _ := pem.Decode(der); block != nil {
		der = block.Bytes
	}
	vcek, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: VCEK certificate: %v", ErrSignature, err)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	vopts := &verify.Options{DisableCertFetching: true, Now: now}
	if len(opts.CertChain) > 0 {
		roots := new(trust.AMDRootCerts)
		if err := roots.FromKDSCertBytes(opts.CertChain); err != nil {
			return nil, fmt.Errorf("%w: ASK/ARK bundle: %v", ErrSignature, err)
		}
		// go-sev-guest picks roots by the product line the report (v3) or
		// the VCEK (v2) names.
		line := kds.ProductLineFromFms(r.proto.GetCpuid1EaxFms())
		if r.proto.GetCpuid1EaxFms() == 0 {
			exts, err := kds.VcekCertificateExtensions(vcek)
			if err != nil {
				return nil, fmt.Errorf("%w: VCEK certificate: %v", ErrSignature, err)
			}
			line = kds.ProductLineOfProductName(exts.ProductName)
		}
		roots.ProductLine = line
		vopts.TrustedRoots = map[string][]*trust.AMDRootCerts{line: {roots}}
	}
	// SnpAttestation checks the signature over the report re-encoded from
	// its fields: make sure that is the report as received.
	if enc, err := abi.ReportToAbiBytes(r.proto); err != nil || !bytes.Equal(enc, r.raw) {
		return nil, fmt.Errorf("%w: the report does not re-encode to the bytes received", ErrFormat)
	}
	att := &spb.Attestation{
		Report:           r.proto,
		CertificateChain: &spb.CertificateChain{VcekCert: der},
	}
	if err := verify.SnpAttestation(att, vopts); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}

	p := r.proto
	res := &Result{
		Version:        int(p.GetVersion()),
		Policy:         p.GetPolicy(),
		VMPL:           p.GetVmpl(),
		ReportedTCB:    p.GetReportedTcb(),
		SignatureValid: true,
	}
	copy(res.Measurement[:], p.GetMeasurement())
	copy(res.ReportData[:], p.GetReportData())
	copy(res.HostData[:], p.GetHostData())
	copy(res.ChipID[:], p.GetChipId())
	if pol, err := abi.ParseSnpPolicy(p.GetPolicy()); err == nil {
		res.Debug = pol.Debug
	}
	return res, nil
}
