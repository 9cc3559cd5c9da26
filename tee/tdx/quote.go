package tdx

import (
	"encoding/binary"
	"fmt"
)

// Quote format constants from Intel's TDX DCAP quote layout (quote versions
// 4 and 5, ECDSA-256 attestation key).
const (
	// TEETypeTDX is the header's TEE type for a TDX quote.
	TEETypeTDX = 0x81
	// AttestationKeyECDSAP256 is the header's attestation key type for
	// ECDSA-256 with the P-256 curve, the only one TDX quoting enclaves use.
	AttestationKeyECDSAP256 = 2

	// BodyTDReport10 is the v5 body type of a TD report 1.0 (TDX 1.0 modules).
	BodyTDReport10 = 2
	// BodyTDReport15 is the v5 body type of a TD report 1.5 (TDX 1.5 modules).
	BodyTDReport15 = 3

	headerSize       = 48
	tdReport10Size   = 584
	tdReport15Size   = 648
	descriptorSize   = 6 // v5: body type u16, body size u32
	qeReportSize     = 384
	sigSize          = 64
	keySize          = 64
	certDataHeadSize = 6 // certification data type u16, size u32

	certTypePCKChain = 5 // concatenated PCK certificate chain, PEM
	certTypeQEReport = 6 // QE report certification data

	// maxQuoteSize bounds what Parse accepts: real quotes are about 5 KB.
	maxQuoteSize = 1 << 20
)

// Header is the 48-byte quote header.
type Header struct {
	Version            uint16
	AttestationKeyType uint16
	TEEType            uint32
	Reserved           [4]byte
	QEVendorID         [16]byte
	UserData           [20]byte
}

// TDReport is the TD's report inside the quote: a TD report 1.0, or a TD
// report 1.5 (v5 body type 3) which adds TEETCBSVN2 and MRSERVICETD.
type TDReport struct {
	TEETCBSVN      [16]byte
	MRSEAM         [48]byte
	MRSIGNERSEAM   [48]byte
	SEAMAttributes [8]byte
	TDAttributes   [8]byte
	XFAM           [8]byte
	MRTD           [48]byte
	MRCONFIGID     [48]byte
	MROWNER        [48]byte
	MROWNERCONFIG  [48]byte
	RTMRs          [4][48]byte
	ReportData     [64]byte
	// TEETCBSVN2 and MRSERVICETD are zero in a TD report 1.0.
	TEETCBSVN2  [16]byte
	MRSERVICETD [48]byte
}

// Debug reports whether TDATTRIBUTES.DEBUG is set: the host can read and
// write a debug TD's memory, so it protects nothing.
func (t *TDReport) Debug() bool { return t.TDAttributes[0]&1 != 0 }

// EnclaveReport is an SGX enclave report: here the quoting enclave's (QE)
// report, signed by the PCK key.
type EnclaveReport struct {
	CPUSVN     [16]byte
	MiscSelect uint32
	Attributes [16]byte
	MRENCLAVE  [32]byte
	MRSIGNER   [32]byte
	ISVProdID  uint16
	ISVSVN     uint16
	ReportData [64]byte
}

// Quote is a parsed TDX quote, version 4 or 5. Parse only checks the
// layout; Verify checks what it claims.
type Quote struct {
	Header Header
	// BodyType is BodyTDReport10 or BodyTDReport15 (v4 quotes always carry
	// a TD report 1.0).
	BodyType uint16
	Body     TDReport

	// Signature is the attestation key's ECDSA signature (r‖s) over Signed.
	Signature [64]byte
	// AttestationKey is the raw P-256 public key (x‖y) the QE certified.
	AttestationKey [64]byte
	// QEReport is the quoting enclave's report; QEReportRaw its bytes.
	QEReport    EnclaveReport
	QEReportRaw [qeReportSize]byte
	// QEReportSignature is the PCK key's ECDSA signature (r‖s) over
	// QEReportRaw.
	QEReportSignature [64]byte
	// QEAuthData is hashed with the attestation key into the QE report's
	// report data.
	QEAuthData []byte
	// PCKChain is the PEM certificate chain of the PCK key (leaf,
	// intermediate CA, root CA), as carried in the quote.
	PCKChain []byte

	// Signed is the signed region: everything from the start of the quote
	// up to the signature data length field (header, v5 body descriptor,
	// body).
	Signed []byte
}

// Parse decodes a TDX quote of version 4 or 5. It checks sizes, the
// version, the attestation key type, the TEE type and the nesting of the
// certification data; it verifies nothing. Bytes after the signature data
// are ignored (Google's SPR vector carries some). The returned Quote does
// not alias b.
func Parse(b []byte) (*Quote, error) {
	if len(b) > maxQuoteSize {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrFormat, len(b), maxQuoteSize)
	}
	b = append([]byte(nil), b...)
	r := reader{b: b}
	q := &Quote{}

	h := r.next(headerSize)
	if h == nil {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrFormat, len(b), headerSize)
	}
	q.Header.Version = binary.LittleEndian.Uint16(h[0:])
	q.Header.AttestationKeyType = binary.LittleEndian.Uint16(h[2:])
	q.Header.TEEType = binary.LittleEndian.Uint32(h[4:])
	copy(q.Header.Reserved[:], h[8:12])
	copy(q.Header.QEVendorID[:], h[12:28])
	copy(q.Header.UserData[:], h[28:48])
	if q.Header.Version != 4 && q.Header.Version != 5 {
		return nil, fmt.Errorf("%w: quote version %d (want 4 or 5)", ErrFormat, q.Header.Version)
	}
	if q.Header.TEEType != TEETypeTDX {
		return nil, fmt.Errorf("%w: TEE type %#x (want %#x, TDX)", ErrFormat, q.Header.TEEType, TEETypeTDX)
	}
	if q.Header.AttestationKeyType != AttestationKeyECDSAP256 {
		return nil, fmt.Errorf("%w: attestation key type %d (want %d, ECDSA-256 P-256)", ErrFormat, q.Header.AttestationKeyType, AttestationKeyECDSAP256)
	}

	q.BodyType = BodyTDReport10
	bodySize := tdReport10Size
	if q.Header.Version == 5 {
		d := r.next(descriptorSize)
		if d == nil {
			return nil, fmt.Errorf("%w: truncated in the body descriptor", ErrFormat)
		}
		q.BodyType = binary.LittleEndian.Uint16(d[0:])
		size := binary.LittleEndian.Uint32(d[2:])
		switch q.BodyType {
		case BodyTDReport10:
			bodySize = tdReport10Size
		case BodyTDReport15:
			bodySize = tdReport15Size
		default:
			return nil, fmt.Errorf("%w: body type %d (want %d or %d, a TD report)", ErrFormat, q.BodyType, BodyTDReport10, BodyTDReport15)
		}
		if size != uint32(bodySize) {
			return nil, fmt.Errorf("%w: body type %d with size %d (want %d)", ErrFormat, q.BodyType, size, bodySize)
		}
	}
	body := r.next(bodySize)
	if body == nil {
		return nil, fmt.Errorf("%w: truncated in the TD report", ErrFormat)
	}
	parseTDReport(&q.Body, body)
	q.Signed = b[:r.off]

	n, ok := r.u32()
	if !ok {
		return nil, fmt.Errorf("%w: truncated before the signature data length", ErrFormat)
	}
	if uint64(n) > uint64(r.left()) {
		return nil, fmt.Errorf("%w: signature data length %d, but %d bytes follow", ErrFormat, n, r.left())
	}
	if err := q.parseSignatureData(b[r.off : r.off+int(n)]); err != nil {
		return nil, err
	}
	// Bytes after the signature data are ignored, as Intel's and Google's
	// parsers do: some producers pad quotes to a buffer size, and nothing
	// there is signed or read.
	return q, nil
}

// parseSignatureData decodes the ECDSA-256 signature data: quote signature,
// attestation key, and type-6 certification data (QE report, its
// signature, QE auth data and a type-5 PCK certificate chain).
func (q *Quote) parseSignatureData(b []byte) error {
	r := reader{b: b}
	sig, key := r.next(sigSize), r.next(keySize)
	if key == nil {
		return fmt.Errorf("%w: signature data of %d bytes, shorter than signature and key", ErrFormat, len(b))
	}
	copy(q.Signature[:], sig)
	copy(q.AttestationKey[:], key)

	typ, data, err := r.certData()
	if err != nil {
		return err
	}
	if typ != certTypeQEReport {
		return fmt.Errorf("%w: certification data type %d (want %d, QE report)", ErrFormat, typ, certTypeQEReport)
	}
	if r.left() != 0 {
		return fmt.Errorf("%w: %d bytes after the certification data", ErrFormat, r.left())
	}

	r = reader{b: data}
	rep, repSig := r.next(qeReportSize), r.next(sigSize)
	if repSig == nil {
		return fmt.Errorf("%w: QE report certification data of %d bytes, too short", ErrFormat, len(data))
	}
	copy(q.QEReportRaw[:], rep)
	parseEnclaveReport(&q.QEReport, rep)
	copy(q.QEReportSignature[:], repSig)
	authLen, ok := r.u16()
	if !ok {
		return fmt.Errorf("%w: truncated before the QE auth data size", ErrFormat)
	}
	q.QEAuthData = r.next(int(authLen))
	if q.QEAuthData == nil {
		return fmt.Errorf("%w: QE auth data of %d bytes, but %d follow", ErrFormat, authLen, r.left())
	}
	typ, chain, err := r.certData()
	if err != nil {
		return err
	}
	if typ != certTypePCKChain {
		return fmt.Errorf("%w: nested certification data type %d (want %d, PCK certificate chain)", ErrFormat, typ, certTypePCKChain)
	}
	if r.left() != 0 {
		return fmt.Errorf("%w: %d bytes after the PCK certificate chain", ErrFormat, r.left())
	}
	q.PCKChain = chain
	return nil
}

func parseTDReport(t *TDReport, b []byte) {
	r := reader{b: b}
	copy(t.TEETCBSVN[:], r.next(16))
	copy(t.MRSEAM[:], r.next(48))
	copy(t.MRSIGNERSEAM[:], r.next(48))
	copy(t.SEAMAttributes[:], r.next(8))
	copy(t.TDAttributes[:], r.next(8))
	copy(t.XFAM[:], r.next(8))
	copy(t.MRTD[:], r.next(48))
	copy(t.MRCONFIGID[:], r.next(48))
	copy(t.MROWNER[:], r.next(48))
	copy(t.MROWNERCONFIG[:], r.next(48))
	for i := range t.RTMRs {
		copy(t.RTMRs[i][:], r.next(48))
	}
	copy(t.ReportData[:], r.next(64))
	if len(b) == tdReport15Size {
		copy(t.TEETCBSVN2[:], r.next(16))
		copy(t.MRSERVICETD[:], r.next(48))
	}
}

func parseEnclaveReport(e *EnclaveReport, b []byte) {
	r := reader{b: b}
	copy(e.CPUSVN[:], r.next(16))
	e.MiscSelect, _ = r.u32()
	r.next(28) // reserved
	copy(e.Attributes[:], r.next(16))
	copy(e.MRENCLAVE[:], r.next(32))
	r.next(32) // reserved
	copy(e.MRSIGNER[:], r.next(32))
	r.next(96) // reserved
	e.ISVProdID, _ = r.u16()
	e.ISVSVN, _ = r.u16()
	r.next(60) // reserved
	copy(e.ReportData[:], r.next(64))
}

// reader walks a byte slice; next returns nil when fewer than n bytes are
// left (and then consumes nothing).
type reader struct {
	b   []byte
	off int
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) next(n int) []byte {
	if n < 0 || n > r.left() {
		return nil
	}
	s := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return s
}

func (r *reader) u16() (uint16, bool) {
	s := r.next(2)
	if s == nil {
		return 0, false
	}
	return binary.LittleEndian.Uint16(s), true
}

func (r *reader) u32() (uint32, bool) {
	s := r.next(4)
	if s == nil {
		return 0, false
	}
	return binary.LittleEndian.Uint32(s), true
}

// certData reads a certification data element: type u16, size u32, data.
func (r *reader) certData() (uint16, []byte, error) {
	typ, ok1 := r.u16()
	size, ok2 := r.u32()
	if !ok1 || !ok2 {
		return 0, nil, fmt.Errorf("%w: truncated in a certification data header", ErrFormat)
	}
	if uint64(size) > uint64(r.left()) {
		return 0, nil, fmt.Errorf("%w: certification data type %d of %d bytes, but %d follow", ErrFormat, typ, size, r.left())
	}
	return typ, r.next(int(size)), nil
}
