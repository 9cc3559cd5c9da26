package tdx

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-tdx-guest/pcs"
)

// testPKI is a stand-in for Intel's PKI: a root CA, a PCK CA, a PCK leaf
// carrying a real PCK certificate's SGX extension, and a TCB signing
// certificate. It re-signs real quotes and collateral so that tests can
// reach the states real vectors do not (revoked certificates, other TCB
// levels) through the same code paths.
type testPKI struct {
	root, ca, pck, tcb             *x509.Certificate
	rootKey, caKey, pckKey, tcbKey *ecdsa.PrivateKey
	roots                          *x509.CertPool
}

func newTestPKI(t testing.TB, realPCK *x509.Certificate) *testPKI {
	t.Helper()
	p := &testPKI{}
	p.rootKey, p.caKey, p.pckKey, p.tcbKey = newKey(t), newKey(t), newKey(t), newKey(t)
	notBefore, notAfter := mustTime("2020-01-01T00:00:00Z"), mustTime("2040-01-01T00:00:00Z")
	ca := func(serial int64, cn string) *x509.Certificate {
		return &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn, Organization: []string{"Cove test"}},
			NotBefore: notBefore, NotAfter: notAfter, IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		}
	}
	p.root = createCert(t, ca(1, "Test SGX Root CA"), nil, p.rootKey, nil)
	p.ca = createCert(t, ca(2, "Test SGX PCK Platform CA"), p.root, p.caKey, p.rootKey)
	var sgx []pkix.Extension
	for _, e := range realPCK.Extensions {
		if e.Id.Equal(pcs.OidSgxExtension) {
			sgx = append(sgx, e)
		}
	}
	p.pck = createCert(t, &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "Intel SGX PCK Certificate"},
		NotBefore: notBefore, NotAfter: notAfter, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature, SubjectKeyId: []byte{3},
		CRLDistributionPoints: []string{"https://example.invalid/crl"}, ExtraExtensions: sgx,
	}, p.ca, p.pckKey, p.caKey)
	p.tcb = createCert(t, &x509.Certificate{
		SerialNumber: big.NewInt(4), Subject: pkix.Name{CommonName: "Intel SGX TCB Signing"},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
	}, p.root, p.tcbKey, p.rootKey)
	p.roots = x509.NewCertPool()
	p.roots.AddCert(p.root)
	return p
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func createCert(t testing.TB, tmpl, parent *x509.Certificate, key, parentKey *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pemOf(certs ...*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.Bytes()
}

// signRS signs SHA-256(msg) and returns r‖s.
func signRS(t testing.TB, k *ecdsa.PrivateKey, msg []byte) []byte {
	t.Helper()
	d := sha256.Sum256(msg)
	r, s, err := ecdsa.Sign(rand.Reader, k, d[:])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out
}

// realPCK returns the PCK leaf of a real quote.
func realPCK(t testing.TB, q *Quote) *x509.Certificate {
	t.Helper()
	certs, err := parseChain("pck", q.PCKChain)
	if err != nil {
		t.Fatal(err)
	}
	return certs[0]
}

// forgeQuote re-signs a real quote under p: edit may change the signed
// region (header, descriptor, body) first. The QE report is re-signed by
// p's PCK key and certifies a fresh attestation key.
func (p *testPKI) forgeQuote(t testing.TB, base *Quote, edit func(signed []byte)) []byte {
	t.Helper()
	signed := bytes.Clone(base.Signed)
	if edit != nil {
		edit(signed)
	}
	att := newKey(t)
	pub, err := att.PublicKey.Bytes() // 0x04 ‖ X ‖ Y
	if err != nil {
		t.Fatal(err)
	}
	attKey := pub[1:]
	qeReport := bytes.Clone(base.QEReportRaw[:])
	h := sha256.Sum256(append(bytes.Clone(attKey), base.QEAuthData...))
	copy(qeReport[384-64:], make([]byte, 64))
	copy(qeReport[384-64:], h[:])

	chain := append(pemOf(p.pck, p.ca, p.root), 0)
	var inner bytes.Buffer
	inner.Write(qeReport)
	inner.Write(signRS(t, p.pckKey, qeReport))
	binary.Write(&inner, binary.LittleEndian, uint16(len(base.QEAuthData)))
	inner.Write(base.QEAuthData)
	binary.Write(&inner, binary.LittleEndian, uint16(certTypePCKChain))
	binary.Write(&inner, binary.LittleEndian, uint32(len(chain)))
	inner.Write(chain)

	var sig bytes.Buffer
	sig.Write(signRS(t, att, signed))
	sig.Write(attKey)
	binary.Write(&sig, binary.LittleEndian, uint16(certTypeQEReport))
	binary.Write(&sig, binary.LittleEndian, uint32(inner.Len()))
	sig.Write(inner.Bytes())

	out := bytes.Clone(signed)
	out = binary.LittleEndian.AppendUint32(out, uint32(sig.Len()))
	return append(out, sig.Bytes()...)
}

// forgeOptions shape forged collateral.
type forgeOptions struct {
	tcbInfo, qeIdentity func(doc map[string]any) // edit the documents before signing
	revokedPCK          []*big.Int               // serials on the PCK CRL
	revokedRoot         []*big.Int               // serials on the root CA CRL
	crlFrom, crlUntil   time.Time                // CRL window
	// pckCRLUntil and rootCRLUntil, when set, end one CRL's window alone.
	pckCRLUntil, rootCRLUntil time.Time
}

// forgeCollateral re-signs a real collateral file's TCB info and QE
// identity under p, with new CRLs, and returns the collateral file.
func (p *testPKI) forgeCollateral(t testing.TB, file string, o forgeOptions) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(vectorsDir, file))
	if err != nil {
		t.Fatal(err)
	}
	var f collateralFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	resign := func(doc string, edit func(map[string]any)) (string, string) {
		if edit != nil {
			var m map[string]any
			if err := json.Unmarshal([]byte(doc), &m); err != nil {
				t.Fatal(err)
			}
			edit(m)
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			doc = string(b)
		}
		return doc, hex.EncodeToString(signRS(t, p.tcbKey, []byte(doc)))
	}
	f.TCBInfo, f.TCBInfoSignature = resign(f.TCBInfo, o.tcbInfo)
	f.QEIdentity, f.QEIdentitySignature = resign(f.QEIdentity, o.qeIdentity)
	f.TCBInfoIssuerChain = string(pemOf(p.tcb, p.root))
	f.QEIdentityIssuerChain = string(pemOf(p.tcb, p.root))
	f.PCKCRLIssuerChain = string(pemOf(p.ca, p.root))
	crl := func(issuer *x509.Certificate, key *ecdsa.PrivateKey, serials []*big.Int, until time.Time) string {
		if until.IsZero() {
			until = o.crlUntil
		}
		var entries []x509.RevocationListEntry
		for _, s := range serials {
			entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: o.crlFrom})
		}
		der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
			Number: big.NewInt(1), ThisUpdate: o.crlFrom, NextUpdate: until,
			RevokedCertificateEntries: entries,
		}, issuer, key)
		if err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(der)
	}
	f.PCKCRL = crl(p.ca, p.caKey, o.revokedPCK, o.pckCRLUntil)
	f.RootCACRL = crl(p.root, p.rootKey, o.revokedRoot, o.rootCRLUntil)
	out, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tcbLevels returns the tcbLevels array of a TCB info document.
func tcbLevels(doc map[string]any) []any { return doc["tcbLevels"].([]any) }

// setTDXModuleLevels replaces the TCB levels of a TDX module identity.
func setTDXModuleLevels(doc map[string]any, id string, levels ...map[string]any) {
	for _, m := range doc["tdxModuleIdentities"].([]any) {
		m := m.(map[string]any)
		if m["id"] == id {
			var ls []any
			for _, l := range levels {
				ls = append(ls, l)
			}
			m["tcbLevels"] = ls
		}
	}
}

// isvLevel is a QE identity or TDX module TCB level.
func isvLevel(isvsvn int, status string, advisories ...string) map[string]any {
	l := map[string]any{"tcb": map[string]any{"isvsvn": isvsvn}, "tcbDate": "2024-01-01T00:00:00Z", "tcbStatus": status}
	if len(advisories) > 0 {
		l["advisoryIDs"] = advisories
	}
	return l
}
