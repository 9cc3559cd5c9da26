package tdx

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"time"
)

// Collateral is Intel's verification collateral for one platform (FMSPC),
// as Intel's Provisioning Certification Service (PCS, API v4, TCB info v3)
// serves it: the TDX TCB info and the TD quoting enclave identity, each a
// JSON document signed by the Intel SGX TCB Signing certificate, and the
// CRLs of the root CA and of the PCK CA. It is public data that anyone may
// fetch and relay, because Verify checks every signature; keep the file it
// was parsed from (ParseCollateral) to store or send it.
type Collateral struct {
	tcbInfoRaw   []byte // the signed TCB info JSON, byte for byte
	tcbInfoSig   []byte // ECDSA P-256 r‖s over tcbInfoRaw
	tcbInfoChain []*x509.Certificate
	qeRaw        []byte // the signed QE identity JSON, byte for byte
	qeSig        []byte
	qeChain      []*x509.Certificate
	pckCRL       *x509.RevocationList // of the PCK CA that issued the PCK certificate
	rootCRL      *x509.RevocationList // of the Intel SGX Root CA

	tcbInfo    tcbInfo
	qeIdentity enclaveIdentity
}

// collateralFile is the JSON layout of collateral files: Intel PCS's
// responses as Phala's dcap-qvl serialises them (QuoteCollateralV3).
type collateralFile struct {
	PCKCRLIssuerChain     string `json:"pck_crl_issuer_chain"`
	RootCACRL             string `json:"root_ca_crl"`
	PCKCRL                string `json:"pck_crl"`
	TCBInfoIssuerChain    string `json:"tcb_info_issuer_chain"`
	TCBInfo               string `json:"tcb_info"`
	TCBInfoSignature      string `json:"tcb_info_signature"`
	QEIdentityIssuerChain string `json:"qe_identity_issuer_chain"`
	QEIdentity            string `json:"qe_identity"`
	QEIdentitySignature   string `json:"qe_identity_signature"`
}

// ParseCollateral decodes a collateral file: a JSON object with the TCB
// info and QE identity as JSON strings, their signatures in hex (r‖s),
// their issuer chains in PEM, and the PCK and root CA CRLs in hex DER (or
// PEM); pck_crl_issuer_chain is not needed, because Verify checks the PCK
// CRL against the quote's own verified PCK CA. ParseCollateral checks the
// layout, not the signatures: Verify does that.
func ParseCollateral(b []byte) (*Collateral, error) {
	var f collateralFile
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: parse collateral: %v", ErrCollateral, err)
	}
	c := &Collateral{tcbInfoRaw: []byte(f.TCBInfo), qeRaw: []byte(f.QEIdentity)}
	var err error
	if c.tcbInfoSig, err = decodeSignature("tcb_info_signature", f.TCBInfoSignature); err != nil {
		return nil, err
	}
	if c.qeSig, err = decodeSignature("qe_identity_signature", f.QEIdentitySignature); err != nil {
		return nil, err
	}
	if c.tcbInfoChain, err = parseChain("tcb_info_issuer_chain", []byte(f.TCBInfoIssuerChain)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCollateral, err)
	}
	if c.qeChain, err = parseChain("qe_identity_issuer_chain", []byte(f.QEIdentityIssuerChain)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCollateral, err)
	}
	if c.pckCRL, err = parseCRL("pck_crl", f.PCKCRL); err != nil {
		return nil, err
	}
	if c.rootCRL, err = parseCRL("root_ca_crl", f.RootCACRL); err != nil {
		return nil, err
	}
	if err := c.parseDocuments(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseDocuments decodes the TCB info and QE identity JSON and checks the
// shapes the TCB evaluation relies on.
func (c *Collateral) parseDocuments() error {
	if err := json.Unmarshal(c.tcbInfoRaw, &c.tcbInfo); err != nil {
		return fmt.Errorf("%w: parse tcb_info: %v", ErrCollateral, err)
	}
	if err := json.Unmarshal(c.qeRaw, &c.qeIdentity); err != nil {
		return fmt.Errorf("%w: parse qe_identity: %v", ErrCollateral, err)
	}
	t := &c.tcbInfo
	if t.ID != "TDX" || t.Version != 3 {
		return fmt.Errorf("%w: tcb_info is %q version %d, want a TDX TCB info version 3", ErrCollateral, t.ID, t.Version)
	}
	if t.IssueDate.IsZero() || t.NextUpdate.IsZero() {
		return fmt.Errorf("%w: tcb_info has no issueDate or nextUpdate", ErrCollateral)
	}
	if len(t.TCBLevels) == 0 {
		return fmt.Errorf("%w: tcb_info has no tcbLevels", ErrCollateral)
	}
	for i, l := range t.TCBLevels {
		if len(l.TCB.SGXComponents) != 16 || len(l.TCB.TDXComponents) != 16 {
			return fmt.Errorf("%w: tcb_info tcbLevels[%d] has %d SGX and %d TDX components, want 16 each", ErrCollateral, i, len(l.TCB.SGXComponents), len(l.TCB.TDXComponents))
		}
	}
	if len(t.TDXModule.MRSIGNER) != 48 || len(t.TDXModule.Attributes) != 8 || len(t.TDXModule.AttributesMask) != 8 {
		return fmt.Errorf("%w: tcb_info tdxModule has malformed mrsigner or attributes", ErrCollateral)
	}
	for _, m := range t.TDXModuleIdentities {
		if len(m.MRSIGNER) != 48 || len(m.Attributes) != 8 || len(m.AttributesMask) != 8 {
			return fmt.Errorf("%w: tcb_info tdxModuleIdentities %q has malformed mrsigner or attributes", ErrCollateral, m.ID)
		}
	}
	e := &c.qeIdentity
	if e.ID != "TD_QE" || e.Version != 2 {
		return fmt.Errorf("%w: qe_identity is %q version %d, want TD_QE version 2", ErrCollateral, e.ID, e.Version)
	}
	if e.IssueDate.IsZero() || e.NextUpdate.IsZero() {
		return fmt.Errorf("%w: qe_identity has no issueDate or nextUpdate", ErrCollateral)
	}
	if len(e.MiscSelect) != 4 || len(e.MiscSelectMask) != 4 || len(e.Attributes) != 16 ||
		len(e.AttributesMask) != 16 || len(e.MRSIGNER) != 32 {
		return fmt.Errorf("%w: qe_identity has malformed miscselect, attributes or mrsigner", ErrCollateral)
	}
	if len(e.TCBLevels) == 0 {
		return fmt.Errorf("%w: qe_identity has no tcbLevels", ErrCollateral)
	}
	return nil
}

// TCBInfoWindow returns the validity window of the TCB info.
func (c *Collateral) TCBInfoWindow() (issued, nextUpdate time.Time) {
	return c.tcbInfo.IssueDate, c.tcbInfo.NextUpdate
}

// QEIdentityWindow returns the validity window of the QE identity.
func (c *Collateral) QEIdentityWindow() (issued, nextUpdate time.Time) {
	return c.qeIdentity.IssueDate, c.qeIdentity.NextUpdate
}

// FMSPC returns the platform family (FMSPC, upper-case hex) the TCB info
// is for.
func (c *Collateral) FMSPC() string { return strings.ToUpper(c.tcbInfo.FMSPC) }

func decodeSignature(name, s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil || len(b) != 64 {
		return nil, fmt.Errorf("%w: %s is not 64 bytes of hex (r‖s)", ErrCollateral, name)
	}
	return b, nil
}

// parseChain decodes the PEM certificates of a chain, in order. Bytes
// after the last block must be white space or NUL (quotes NUL-terminate
// their PCK chain).
func parseChain(name string, b []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := b
	for {
		block, r := pem.Decode(rest)
		if block == nil {
			break
		}
		rest = r
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%s: PEM block %q, want CERTIFICATE", name, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d: %v", name, len(certs), err)
		}
		certs = append(certs, c)
	}
	if len(bytes.Trim(rest, " \t\r\n\x00")) != 0 {
		return nil, fmt.Errorf("%s: %d bytes that are not a PEM certificate", name, len(rest))
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no certificate", name)
	}
	return certs, nil
}

func parseCRL(name, s string) (*x509.RevocationList, error) {
	s = strings.TrimSpace(s)
	var der []byte
	if block, _ := pem.Decode([]byte(s)); block != nil {
		der = block.Bytes
	} else {
		var err error
		if der, err = hex.DecodeString(strings.TrimPrefix(s, "0x")); err != nil {
			return nil, fmt.Errorf("%w: %s is neither hex DER nor PEM", ErrCollateral, name)
		}
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCollateral, name, err)
	}
	return crl, nil
}

// hexBytes is a JSON hex string (either case).
type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// tcbInfo is Intel's TDX TCB info, version 3.
type tcbInfo struct {
	ID                      string              `json:"id"`
	Version                 int                 `json:"version"`
	IssueDate               time.Time           `json:"issueDate"`
	NextUpdate              time.Time           `json:"nextUpdate"`
	FMSPC                   string              `json:"fmspc"`
	PCEID                   string              `json:"pceId"`
	TCBType                 int                 `json:"tcbType"`
	TCBEvaluationDataNumber int                 `json:"tcbEvaluationDataNumber"`
	TDXModule               tdxModule           `json:"tdxModule"`
	TDXModuleIdentities     []tdxModuleIdentity `json:"tdxModuleIdentities"`
	TCBLevels               []tcbLevel          `json:"tcbLevels"`
}

type tdxModule struct {
	MRSIGNER       hexBytes `json:"mrsigner"`
	Attributes     hexBytes `json:"attributes"`
	AttributesMask hexBytes `json:"attributesMask"`
}

type tdxModuleIdentity struct {
	ID string `json:"id"`
	tdxModule
	TCBLevels []tcbLevel `json:"tcbLevels"`
}

// tcbLevel is one level of a TCB info (SGX and TDX components, PCE SVN),
// of a TDX module identity or of a QE identity (ISV SVN only).
type tcbLevel struct {
	TCB struct {
		SGXComponents []tcbComponent `json:"sgxtcbcomponents"`
		PCESVN        int            `json:"pcesvn"`
		TDXComponents []tcbComponent `json:"tdxtcbcomponents"`
		ISVSVN        int            `json:"isvsvn"`
	} `json:"tcb"`
	TCBDate     string   `json:"tcbDate"`
	TCBStatus   string   `json:"tcbStatus"`
	AdvisoryIDs []string `json:"advisoryIDs"`
}

type tcbComponent struct {
	SVN int `json:"svn"`
}

// enclaveIdentity is Intel's QE identity, version 2.
type enclaveIdentity struct {
	ID                      string     `json:"id"`
	Version                 int        `json:"version"`
	IssueDate               time.Time  `json:"issueDate"`
	NextUpdate              time.Time  `json:"nextUpdate"`
	TCBEvaluationDataNumber int        `json:"tcbEvaluationDataNumber"`
	MiscSelect              hexBytes   `json:"miscselect"`
	MiscSelectMask          hexBytes   `json:"miscselectMask"`
	Attributes              hexBytes   `json:"attributes"`
	AttributesMask          hexBytes   `json:"attributesMask"`
	MRSIGNER                hexBytes   `json:"mrsigner"`
	ISVProdID               int        `json:"isvprodid"`
	TCBLevels               []tcbLevel `json:"tcbLevels"`
}
