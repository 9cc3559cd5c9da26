package sevsnp

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-sev-guest/verify/trust"
)

// testdata/sevsnp holds go-sev-guest's real Milan report, its chip's VCEK
// and AMD's Milan ASK/ARK bundle (see its README).
const dir = "../../testdata/sevsnp"

// at is inside the VCEK's validity (2022-09-24 to 2029-09-24).
var at = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyMilanReport(t *testing.T) {
	r, err := Parse(read(t, "milan-attestation.bin"))
	if err != nil {
		t.Fatal(err)
	}
	vcek := read(t, "milan-vcek.der")
	for name, opts := range map[string]Options{
		"embedded AMD roots": {VCEK: vcek, Now: at},
		"ASK/ARK from file":  {VCEK: vcek, CertChain: read(t, "milan-ask-ark.pem"), Now: at},
		"VCEK in PEM":        {VCEK: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: vcek}), Now: at},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := Verify(r, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !res.SignatureValid || res.Version != 2 {
				t.Errorf("result %+v", res)
			}
			// The report go-sev-guest's tests request: report data 1,2,3,4,5.
			if !bytes.Equal(res.ReportData[:5], []byte{1, 2, 3, 4, 5}) || !bytes.Equal(res.ReportData[5:], make([]byte, 59)) {
				t.Errorf("report data %x", res.ReportData)
			}
			if res.Measurement == [48]byte{} {
				t.Error("zero measurement")
			}
			// Policy 0xb0000: SMT, reserved bit 17 and DEBUG.
			if res.Policy != 0xb0000 || !res.Debug {
				t.Errorf("policy %#x debug %v", res.Policy, res.Debug)
			}
			sum := Summary(res)
			b, _ := json.Marshal(sum)
			if sum.TEE != "sev-snp" || sum.TCBStatus != nil || sum.MRTD != hex.EncodeToString(res.Measurement[:]) {
				t.Errorf("summary %s", b)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	raw := read(t, "milan-attestation.bin")
	vcek := read(t, "milan-vcek.der")
	for _, tc := range []struct {
		name string
		off  int
	}{
		{"report data", 0x50},
		{"measurement", 0x90 + 7},
		{"chip id", 0x1A0},
		{"signature r", 0x2A0 + 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(raw)
			b[tc.off] ^= 1
			r, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Verify(r, Options{VCEK: vcek, Now: at}); !errors.Is(err, ErrSignature) {
				t.Fatalf("Verify = %v, want ErrSignature", err)
			}
		})
	}
	r, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(r, Options{Now: at}); !errors.Is(err, ErrNoVCEK) {
		t.Errorf("without VCEK: %v", err)
	}
	badVCEK := bytes.Clone(vcek)
	badVCEK[len(badVCEK)-10] ^= 1 // the certificate's own signature
	if _, err := Verify(r, Options{VCEK: badVCEK, Now: at}); !errors.Is(err, ErrSignature) {
		t.Errorf("tampered VCEK: %v", err)
	}
	if _, err := Verify(r, Options{VCEK: vcek, CertChain: trust.AskArkGenoaVcekBytes, Now: at}); !errors.Is(err, ErrSignature) {
		t.Errorf("with Genoa's ASK/ARK as roots: %v", err)
	}
	if _, err := Verify(r, Options{VCEK: vcek, Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}); !errors.Is(err, ErrSignature) {
		t.Errorf("after the VCEK expired: %v", err)
	}
	for name, b := range map[string][]byte{
		"short":          raw[:100],
		"long":           append(bytes.Clone(raw), 0),
		"reserved field": func() []byte { b := bytes.Clone(raw); b[0x4C] = 1; return b }(),
	} {
		if _, err := Parse(b); !errors.Is(err, ErrFormat) {
			t.Errorf("Parse(%s) = %v, want ErrFormat", name, err)
		}
	}
}

func TestReadReportFile(t *testing.T) {
	raw := read(t, "milan-attestation.bin")
	for _, in := range [][]byte{raw, []byte("0x" + hex.EncodeToString(raw) + "\n")} {
		b, err := ReadReportFile(in)
		if err != nil || !bytes.Equal(b, raw) {
			t.Fatalf("ReadReportFile = %d bytes, %v", len(b), err)
		}
	}
}

func FuzzParse(f *testing.F) {
	raw := read(f, "milan-attestation.bin")
	vcek := read(f, "milan-vcek.der")
	f.Add(raw)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		if err != nil {
			return
		}
		res, err := Verify(r, Options{VCEK: vcek, Now: at})
		if err == nil && !bytes.Equal(b, raw) {
			t.Fatalf("a changed report verified: %x", b)
		}
		_ = res
	})
}

func BenchmarkVerify(b *testing.B) {
	raw := read(b, "milan-attestation.bin")
	vcek := read(b, "milan-vcek.der")
	for b.Loop() {
		r, err := Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Verify(r, Options{VCEK: vcek, Now: at}); err != nil {
			b.Fatal(err)
		}
	}
}
