package tdx

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/google/go-tdx-guest/pcs"
)

// Options configures Verify.
type Options struct {
	// Collateral, if set, is checked and used to compute the TCB status.
	// Without it Verify checks signatures and certificates only.
	Collateral *Collateral
	// Now is the verification time for certificates, CRLs and collateral.
	// It is required: this package reads no clock, so that the chain's
	// verifier is deterministic (it passes the block time; `cove attest
	// verify` passes the current time or --at).
	Now time.Time
	// Roots are the trusted root CAs; nil means IntelSGXRootCA only.
	Roots *x509.CertPool
}

// Result is what a verified quote says.
type Result struct {
	// Version is the quote version, 4 or 5.
	Version int
	// TEEType is the header's TEE type (TEETypeTDX).
	TEEType uint32
	// BodyType is BodyTDReport10 or BodyTDReport15.
	BodyType uint16
	// TDReport holds the measurements (MRTD, RTMRs, ...) and report data.
	TDReport
	// FMSPC is the platform family from the PCK certificate (upper-case
	// hex): the key to fetch collateral with.
	FMSPC string
	// SignatureValid is true once the PCK chain, the QE report and the
	// quote signature all verified.
	SignatureValid bool
	// TCBStatus is the platform's TCB status from the collateral, or ""
	// without collateral.
	TCBStatus TCBStatus
	// Advisories are Intel's security advisory IDs (INTEL-SA-…) of the
	// matched TCB levels; empty when up to date or without collateral.
	Advisories []string
}

// Verify checks q: the PCK certificate chain to a trusted root at opts.Now,
// the QE report's signature with the PCK key, that the QE report binds the
// attestation key (its report data is SHA-256(attestation key ‖ QE auth
// data), zero-padded), and the quote signature over the header and body
// with the attestation key. With opts.Collateral it also checks the
// collateral's signatures, validity windows and CRLs, matches the QE
// identity and the TDX module, and computes the TCB status with Intel's
// algorithm (Intel's DCAP quote verification library, TCB level check).
//
// Every failure wraps one of this package's sentinel errors and returns no
// Result. A platform whose TCB status is Revoked fails with ErrRevoked, and
// one below every level Intel lists with ErrTCBNotSupported, as in Intel's
// library.
//
// Security: a nil error means the quote is genuine and, with collateral,
// that its TCB status is as reported. It does not mean the quote is
// acceptable: the caller must check the measurements, the report data,
// the TD attributes (a debug TD is readable by the host) and whether the
// TCB status is good enough.
func Verify(q *Quote, opts Options) (*Result, error) {
	if q == nil {
		return nil, fmt.Errorf("%w: no quote", ErrFormat)
	}
	now := opts.Now
	if now.IsZero() {
		return nil, fmt.Errorf("tdx verify: Options.Now is required (the verification time)")
	}
	roots := opts.Roots
	if roots == nil {
		roots = IntelRoots()
	}

	chain, err := verifyPCKChain(q.PCKChain, roots, now)
	if err != nil {
		return nil, err
	}
	pck := chain[0]
	ext, err := pcs.PckCertificateExtensions(pck)
	if err != nil {
		return nil, fmt.Errorf("%w: PCK certificate SGX extensions: %v", ErrCertChain, err)
	}

	pckKey, ok := pck.PublicKey.(*ecdsa.PublicKey)
	if !ok || pckKey.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: PCK certificate key is not ECDSA P-256", ErrCertChain)
	}
	if !verifyRS(pckKey, q.QEReportRaw[:], q.QEReportSignature[:]) {
		return nil, fmt.Errorf("%w: QE report signature does not verify with the PCK key", ErrSignature)
	}
	h := sha256.New()
	h.Write(q.AttestationKey[:])
	h.Write(q.QEAuthData)
	want := make([]byte, 64)
	copy(want, h.Sum(nil))
	if !bytes.Equal(want, q.QEReport.ReportData[:]) {
		return nil, fmt.Errorf("%w: QE report data is not SHA-256(attestation key ‖ QE auth data): the QE did not certify this attestation key", ErrSignature)
	}
	attKey, err := rawP256Key(q.AttestationKey[:])
	if err != nil {
		return nil, fmt.Errorf("%w: attestation key: %v", ErrFormat, err)
	}
	if !verifyRS(attKey, q.Signed, q.Signature[:]) {
		return nil, fmt.Errorf("%w: quote signature does not verify with the attestation key", ErrSignature)
	}

	res := &Result{
		Version:        int(q.Header.Version),
		TEEType:        q.Header.TEEType,
		BodyType:       q.BodyType,
		TDReport:       q.Body,
		FMSPC:          strings.ToUpper(ext.FMSPC),
		SignatureValid: true,
	}
	if opts.Collateral == nil {
		return res, nil
	}
	st, err := evaluate(q, chain, ext, opts.Collateral, roots, now)
	if err != nil {
		return nil, err
	}
	if st.status == StatusRevoked {
		return nil, fmt.Errorf("%w: the platform's TCB status is Revoked (advisories %s)", ErrRevoked, strings.Join(st.advisories, ", "))
	}
	res.TCBStatus, res.Advisories = st.status, st.advisories
	return res, nil
}

// verifyPCKChain parses the quote's PEM chain and verifies the PCK leaf
// through the quote's intermediates to roots (the quote's own root is
// never trusted). It returns the verified chain: leaf, CA, root.
func verifyPCKChain(pemChain []byte, roots *x509.CertPool, now time.Time) ([]*x509.Certificate, error) {
	certs, err := parseChain("PCK certificate chain", pemChain)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCertChain, err)
	}
	leaf := certs[0]
	if leaf.Subject.CommonName != "Intel SGX PCK Certificate" {
		return nil, fmt.Errorf("%w: PCK leaf is %q, want \"Intel SGX PCK Certificate\"", ErrCertChain, leaf.Subject.CommonName)
	}
	chains, err := verifyCert(leaf, certs[1:], roots, now)
	if err != nil {
		return nil, fmt.Errorf("%w: PCK certificate: %v", ErrCertChain, err)
	}
	if len(chains[0]) != 3 {
		return nil, fmt.Errorf("%w: PCK chain has %d certificates, want leaf, PCK CA and root", ErrCertChain, len(chains[0]))
	}
	return chains[0], nil
}

func verifyCert(leaf *x509.Certificate, intermediates []*x509.Certificate, roots *x509.CertPool, now time.Time) ([][]*x509.Certificate, error) {
	pool := x509.NewCertPool()
	for _, c := range intermediates {
		pool.AddCert(c)
	}
	return leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: pool,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
}

// verifyRS checks an ECDSA P-256 signature in raw r‖s form over
// SHA-256(msg).
func verifyRS(key *ecdsa.PublicKey, msg, sig []byte) bool {
	if len(sig) != 64 {
		return false
	}
	d := sha256.Sum256(msg)
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	return ecdsa.Verify(key, d[:], r, s)
}

// rawP256Key decodes an uncompressed P-256 point without the 0x04 prefix.
func rawP256Key(b []byte) (*ecdsa.PublicKey, error) {
	k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append([]byte{4}, b...))
	if err != nil {
		return nil, fmt.Errorf("not a P-256 point: %v", err)
	}
	return k, nil
}

// verifySigned checks a collateral document: its signing certificate
// chains to roots at now and is not revoked by the root CA CRL, and the
// signature over the exact document bytes verifies.
func verifySigned(name string, doc, sig []byte, chain []*x509.Certificate, rootCRL *x509.RevocationList, roots *x509.CertPool, now time.Time) error {
	signer := chain[0]
	if signer.Subject.CommonName != "Intel SGX TCB Signing" {
		return fmt.Errorf("%w: %s signer is %q, want \"Intel SGX TCB Signing\"", ErrCertChain, name, signer.Subject.CommonName)
	}
	if _, err := verifyCert(signer, chain[1:], roots, now); err != nil {
		return fmt.Errorf("%w: %s signing certificate: %v", ErrCertChain, name, err)
	}
	if revoked(rootCRL, signer) {
		return fmt.Errorf("%w: %s signing certificate %x is on the root CA CRL", ErrRevoked, name, signer.SerialNumber)
	}
	key, ok := signer.PublicKey.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		return fmt.Errorf("%w: %s signing key is not ECDSA P-256", ErrCertChain, name)
	}
	if !verifyRS(key, doc, sig) {
		return fmt.Errorf("%w: %s signature does not verify with the TCB signing key", ErrSignature, name)
	}
	return nil
}

func revoked(crl *x509.RevocationList, c *x509.Certificate) bool {
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(c.SerialNumber) == 0 {
			return true
		}
	}
	return false
}

// inWindow reports an ErrCollateralExpired error naming the window when
// now is outside from..until.
func inWindow(name string, from, until, now time.Time) error {
	if now.Before(from) || now.After(until) {
		return fmt.Errorf("%w: %s is valid from %s to %s, not at %s", ErrCollateralExpired, name,
			from.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkCollateral verifies the collateral itself and against the quote's
// verified PCK chain (leaf, PCK CA, root).
func checkCollateral(c *Collateral, chain []*x509.Certificate, roots *x509.CertPool, now time.Time) error {
	if err := inWindow("tcb_info", c.tcbInfo.IssueDate, c.tcbInfo.NextUpdate, now); err != nil {
		return err
	}
	if err := inWindow("qe_identity", c.qeIdentity.IssueDate, c.qeIdentity.NextUpdate, now); err != nil {
		return err
	}
	if err := inWindow("pck_crl", c.pckCRL.ThisUpdate, c.pckCRL.NextUpdate, now); err != nil {
		return err
	}
	if err := inWindow("root_ca_crl", c.rootCRL.ThisUpdate, c.rootCRL.NextUpdate, now); err != nil {
		return err
	}

	pck, ca, root := chain[0], chain[1], chain[2]
	if err := c.rootCRL.CheckSignatureFrom(root); err != nil {
		return fmt.Errorf("%w: root_ca_crl is not signed by the root CA: %v", ErrSignature, err)
	}
	if !bytes.Equal(c.pckCRL.RawIssuer, ca.RawSubject) {
		return fmt.Errorf("%w: pck_crl is issued by %q, the PCK certificate by %q", ErrCollateral, c.pckCRL.Issuer.CommonName, ca.Subject.CommonName)
	}
	if err := c.pckCRL.CheckSignatureFrom(ca); err != nil {
		return fmt.Errorf("%w: pck_crl is not signed by the PCK CA: %v", ErrSignature, err)
	}
	if revoked(c.rootCRL, ca) {
		return fmt.Errorf("%w: PCK CA certificate %x is on the root CA CRL", ErrRevoked, ca.SerialNumber)
	}
	if revoked(c.pckCRL, pck) {
		return fmt.Errorf("%w: PCK certificate %x is on the PCK CRL", ErrRevoked, pck.SerialNumber)
	}

	if err := verifySigned("tcb_info", c.tcbInfoRaw, c.tcbInfoSig, c.tcbInfoChain, c.rootCRL, roots, now); err != nil {
		return err
	}
	return verifySigned("qe_identity", c.qeRaw, c.qeSig, c.qeChain, c.rootCRL, roots, now)
}

// evaluate checks the collateral, matches it to the quote and computes the
// TCB status.
func evaluate(q *Quote, chain []*x509.Certificate, ext *pcs.PckExtensions, c *Collateral, roots *x509.CertPool, now time.Time) (tcbResult, error) {
	if err := checkCollateral(c, chain, roots, now); err != nil {
		return tcbResult{}, err
	}
	if !strings.EqualFold(ext.FMSPC, c.tcbInfo.FMSPC) {
		return tcbResult{}, fmt.Errorf("%w: tcb_info is for FMSPC %s, the PCK certificate for %s", ErrCollateral, strings.ToUpper(c.tcbInfo.FMSPC), strings.ToUpper(ext.FMSPC))
	}
	if !strings.EqualFold(ext.PCEID, c.tcbInfo.PCEID) {
		return tcbResult{}, fmt.Errorf("%w: tcb_info is for PCE ID %s, the PCK certificate for %s", ErrCollateral, c.tcbInfo.PCEID, ext.PCEID)
	}
	qe, err := matchQEIdentity(&q.QEReport, &c.qeIdentity)
	if err != nil {
		return tcbResult{}, err
	}
	return tcbStatus(q, &c.tcbInfo, ext.TCB.CPUSvnComponents, ext.TCB.PCESvn, qe)
}

// hexUpper formats b as upper-case hex, as Intel's documents do.
func hexUpper(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }
