package tdx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gtverify "github.com/google/go-tdx-guest/verify"
)

// TestVerifySignatureChain verifies all four real quotes to Intel's root,
// without collateral.
func TestVerifySignatureChain(t *testing.T) {
	for _, tc := range []struct {
		file, fmspc string
		version     int
	}{
		{quoteV4, "B0C06F000000", 4},
		{quoteV5, "90C06F000000", 5},
		{quoteWorker, "B0C06F000000", 4},
		{quoteGoogle, "50806F000000", 4},
	} {
		t.Run(tc.file, func(t *testing.T) {
			q := parseVector(t, tc.file)
			r, err := Verify(q, Options{Now: atChain})
			if err != nil {
				t.Fatal(err)
			}
			if !r.SignatureValid || r.Version != tc.version || r.FMSPC != tc.fmspc {
				t.Errorf("result %+v", r)
			}
			if r.TCBStatus != "" || len(r.Advisories) != 0 {
				t.Errorf("TCB status %q %v without collateral", r.TCBStatus, r.Advisories)
			}
			if r.MRTD != q.Body.MRTD || r.ReportData != q.Body.ReportData || r.RTMRs != q.Body.RTMRs {
				t.Error("result measurements differ from the quote's")
			}
		})
	}
}

// TestVerifyAgreesWithGoTDXGuest checks that go-tdx-guest's verifier also
// accepts the v4 vectors at the same time, and rejects what Verify
// rejects for a flipped body byte.
func TestVerifyAgreesWithGoTDXGuest(t *testing.T) {
	for _, file := range []string{quoteV4, quoteWorker, quoteGoogle} {
		raw := readVector(t, file)
		opts := &gtverify.Options{Now: atChain, TrustedRoots: IntelRoots()}
		if err := gtverify.RawTdxQuote(raw, opts); err != nil {
			t.Errorf("%s: go-tdx-guest: %v", file, err)
		}
		bad := bytes.Clone(raw)
		bad[48+136] ^= 1
		if err := gtverify.RawTdxQuote(bad, &gtverify.Options{Now: atChain, TrustedRoots: IntelRoots()}); err == nil {
			t.Errorf("%s: go-tdx-guest accepts a flipped MRTD", file)
		}
		q, err := Parse(bad)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(q, Options{Now: atChain}); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: Verify of a flipped MRTD: %v", file, err)
		}
	}
}

func TestVerifyCollateralV4UpToDate(t *testing.T) {
	q := parseVector(t, quoteV4)
	r, err := Verify(q, Options{Collateral: readCollateral(t, collateralV4), Now: atV4})
	if err != nil {
		t.Fatal(err)
	}
	if r.TCBStatus != StatusUpToDate || len(r.Advisories) != 0 {
		t.Fatalf("TCB status %q advisories %v, want UpToDate and none", r.TCBStatus, r.Advisories)
	}
}

// TestVerifyCollateralV5NotUpToDate: the v5 platform's PCK certificate
// has SGX TCB component 8 (SEAMLDR ACM) at SVN 3 while every level of its
// TCB info (evaluation data number 18) requires 5, so by Intel's algorithm
// its TCB is not supported at all: no status, no advisories. (Phala's
// dcap-qvl rejects it too.)
func TestVerifyCollateralV5NotUpToDate(t *testing.T) {
	q := parseVector(t, quoteV5)
	r, err := Verify(q, Options{Collateral: readCollateral(t, collateralV5), Now: atV5})
	if !errors.Is(err, ErrTCBNotSupported) || r != nil {
		t.Fatalf("Verify = %+v, %v; want ErrTCBNotSupported", r, err)
	}
	for _, want := range []string{"CPUSVN components [3 3 2 2 4 1 0 3 0 0 0 0 0 0 0 0]", "PCESVN 13", "FMSPC 90C06F000000", "evaluation data number 18"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestVerifyCollateralWindow(t *testing.T) {
	q := parseVector(t, quoteV4)
	c := readCollateral(t, collateralV4)
	for _, tc := range []struct {
		at   string
		want string
	}{
		{"2025-06-01T00:00:00Z", "tcb_info is valid from 2025-06-19T10:16:03Z to 2025-07-19T10:16:03Z, not at 2025-06-01T00:00:00Z"},
		{"2025-08-01T00:00:00Z", "tcb_info is valid from 2025-06-19T10:16:03Z to 2025-07-19T10:16:03Z, not at 2025-08-01T00:00:00Z"},
		// After the TCB info was issued, before the QE identity was.
		{"2025-06-19T10:20:00Z", "qe_identity is valid from 2025-06-19T10:32:27Z to 2025-07-19T10:32:27Z"},
		// Inside both documents, after the PCK CRL's next update.
		{"2025-07-19T10:05:00Z", "pck_crl is valid from 2025-06-19T10:00:35Z to 2025-07-19T10:00:35Z"},
	} {
		_, err := Verify(q, Options{Collateral: c, Now: mustTime(tc.at)})
		if !errors.Is(err, ErrCollateralExpired) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("at %s: %v, want ErrCollateralExpired: %s", tc.at, err, tc.want)
		}
	}
	if got, _ := c.TCBInfoWindow(); !got.Equal(mustTime("2025-06-19T10:16:03Z")) {
		t.Errorf("TCBInfoWindow starts %v", got)
	}
}

func TestVerifyCollateralMismatch(t *testing.T) {
	// The v4 platform with the v5 platform's collateral (FMSPC 90C06F…).
	q := parseVector(t, quoteV4)
	_, err := Verify(q, Options{Collateral: readCollateral(t, collateralV5), Now: atV5})
	if !errors.Is(err, ErrCollateral) || !strings.Contains(err.Error(), "FMSPC 90C06F000000") {
		t.Fatalf("Verify = %v, want ErrCollateral naming the FMSPC", err)
	}
}

// TestVerifyTampered flips one byte in each part of a real quote.
func TestVerifyTampered(t *testing.T) {
	for _, file := range []string{quoteV4, quoteV5} {
		raw := readVector(t, file)
		q := parseVector(t, file)
		body := len(q.Signed) - tdReport10Size
		if q.BodyType == BodyTDReport15 {
			body = len(q.Signed) - tdReport15Size
		}
		sigData := len(q.Signed) + 4
		qeReport := sigData + 64 + 64 + 6
		auth := qeReport + 384 + 64 + 2
		chain := auth + len(q.QEAuthData) + 6
		leafBody := chain + len("-----BEGIN CERTIFICATE-----\n") + 200
		for _, tc := range []struct {
			name string
			off  int
			want error
		}{
			{"header user data", 40, ErrSignature},
			{"body MRTD", body + 136 + 5, ErrSignature},
			{"body RTMR3", body + 472, ErrSignature},
			{"body report data", body + 520 + 63, ErrSignature},
			{"quote signature", sigData + 10, ErrSignature},
			{"attestation key", sigData + 64 + 10, ErrSignature},
			{"QE report", qeReport + 100, ErrSignature},
			{"QE report data", qeReport + 384 - 64, ErrSignature},
			{"QE report signature", qeReport + 384 + 3, ErrSignature},
			{"QE auth data", auth + 1, ErrSignature},
			{"PCK leaf certificate", leafBody, ErrCertChain},
		} {
			t.Run(file+"/"+tc.name, func(t *testing.T) {
				b := bytes.Clone(raw)
				b[tc.off] = flipBase64(b[tc.off])
				bq, err := Parse(b)
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				r, err := Verify(bq, Options{Now: atChain})
				if !errors.Is(err, tc.want) || r != nil {
					t.Fatalf("Verify = %v, %v; want %v", r, err, tc.want)
				}
			})
		}
	}
}

// flipBase64 changes a byte, keeping base64 characters base64 so that a
// flipped certificate still decodes as PEM and fails on its content.
func flipBase64(c byte) byte {
	switch {
	case c == 'A':
		return 'B'
	case 'B' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		return c - 1
	}
	return c ^ 1
}

func TestVerifyUntrustedRoot(t *testing.T) {
	q := parseVector(t, quoteV4)
	p := newTestPKI(t, realPCK(t, q))
	if _, err := Verify(q, Options{Now: atChain, Roots: p.roots}); !errors.Is(err, ErrCertChain) {
		t.Fatalf("Verify under another root: %v, want ErrCertChain", err)
	}
	// A quote forged under a root Cove does not trust fails under Intel's.
	forged, err := Parse(p.forgeQuote(t, q, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(forged, Options{Now: atChain}); !errors.Is(err, ErrCertChain) {
		t.Fatalf("forged quote under Intel's root: %v, want ErrCertChain", err)
	}
	if _, err := Verify(forged, Options{Now: atChain, Roots: p.roots}); err != nil {
		t.Fatalf("forged quote under its own root: %v", err)
	}
	if _, err := Verify(q, Options{Now: mustTime("2040-01-01T00:00:00Z")}); !errors.Is(err, ErrCertChain) {
		t.Fatalf("Verify after the PCK certificate expired: %v, want ErrCertChain", err)
	}
}

func TestVerifyCollateralTampered(t *testing.T) {
	q := parseVector(t, quoteV4)
	raw, err := os.ReadFile(filepath.Join(vectorsDir, collateralV4))
	if err != nil {
		t.Fatal(err)
	}
	// An honest-looking edit of the signed TCB info: the signature breaks.
	edited := bytes.Replace(raw, []byte(`\"tcbEvaluationDataNumber\":17`), []byte(`\"tcbEvaluationDataNumber\":18`), 2)
	if bytes.Equal(edited, raw) {
		t.Fatal("edit did not apply")
	}
	c, err := ParseCollateral(edited)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(q, Options{Collateral: c, Now: atV4}); !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), "tcb_info") {
		t.Fatalf("Verify with an edited TCB info: %v, want ErrSignature for tcb_info", err)
	}
	for _, bad := range []string{`{`, `{"tcb_info":"{}"}`, `[]`} {
		if _, err := ParseCollateral([]byte(bad)); !errors.Is(err, ErrCollateral) {
			t.Errorf("ParseCollateral(%s) = %v, want ErrCollateral", bad, err)
		}
	}
}

// TestVerifyForged runs the collateral paths real vectors cannot reach,
// on real quotes re-signed under a test PKI.
func TestVerifyForged(t *testing.T) {
	v4, v5 := parseVector(t, quoteV4), parseVector(t, quoteV5)
	p4, p5 := newTestPKI(t, realPCK(t, v4)), newTestPKI(t, realPCK(t, v5))
	window := func(at time.Time) forgeOptions {
		return forgeOptions{crlFrom: at.Add(-24 * time.Hour), crlUntil: at.Add(24 * time.Hour)}
	}
	// Lower the SEAMLDR ACM requirement so the v5 platform reaches the top
	// level: then the TDX module (TEE_TCB_SVN[0] = 7) decides.
	reachableV5 := func(doc map[string]any) {
		for _, l := range tcbLevels(doc) {
			comps := l.(map[string]any)["tcb"].(map[string]any)["sgxtcbcomponents"].([]any)
			comps[7].(map[string]any)["svn"] = 3
		}
	}
	for _, tc := range []struct {
		name       string
		pki        *testPKI
		base       *Quote
		file       string
		at         time.Time
		edit       func(signed []byte)
		opts       func(o *forgeOptions)
		want       error
		status     TCBStatus
		advisories []string
	}{
		{name: "v4 as Intel signed it", pki: p4, base: v4, file: collateralV4, at: atV4, status: StatusUpToDate},
		{name: "PCK certificate revoked", pki: p4, base: v4, file: collateralV4, at: atV4,
			opts: func(o *forgeOptions) { o.revokedPCK = []*big.Int{big.NewInt(9), p4.pck.SerialNumber} }, want: ErrRevoked},
		{name: "PCK CA revoked", pki: p4, base: v4, file: collateralV4, at: atV4,
			opts: func(o *forgeOptions) { o.revokedRoot = []*big.Int{p4.ca.SerialNumber} }, want: ErrRevoked},
		{name: "TCB signing certificate revoked", pki: p4, base: v4, file: collateralV4, at: atV4,
			opts: func(o *forgeOptions) { o.revokedRoot = []*big.Int{p4.tcb.SerialNumber} }, want: ErrRevoked},
		{name: "CRL expired", pki: p4, base: v4, file: collateralV4, at: atV4,
			opts: func(o *forgeOptions) { o.crlUntil = atV4.Add(-time.Hour) }, want: ErrCollateralExpired},
		// Each CRL's window is checked on its own: the other one is current.
		{name: "PCK CRL alone expired", pki: p4, base: v4, file: collateralV4, at: atV4,
			opts: func(o *forgeOptions) { o.pckCRLUntil = atV4.Add(-time.Hour) }, want: ErrCollateralExpired},
		{name: "root CA CRL alone expired", pki: p4, base: v4, file: collateralV4, at: atV4,
			opts: func(o *forgeOptions) { o.rootCRLUntil = atV4.Add(-time.Hour) }, want: ErrCollateralExpired},
		{name: "TCB level SWHardeningNeeded", pki: p4, base: v4, file: collateralV4, at: atV4,
			opts: func(o *forgeOptions) {
				o.tcbInfo = func(doc map[string]any) {
					l := tcbLevels(doc)[0].(map[string]any)
					l["tcbStatus"] = "SWHardeningNeeded"
					l["advisoryIDs"] = []any{"INTEL-SA-00615"}
				}
			}, status: StatusSWHardeningNeeded, advisories: []string{"INTEL-SA-00615"}},
		{name: "TCB level Revoked", pki: p4, base: v4, file: collateralV4, at: atV4,
			opts: func(o *forgeOptions) {
				o.tcbInfo = func(doc map[string]any) { tcbLevels(doc)[0].(map[string]any)["tcbStatus"] = "Revoked" }
			}, want: ErrRevoked},
		{name: "TCB level with unknown status", pki: p4, base: v4, file: collateralV4, at: atV4,
			opts: func(o *forgeOptions) {
				o.tcbInfo = func(doc map[string]any) { tcbLevels(doc)[0].(map[string]any)["tcbStatus"] = "Fine" }
			}, want: ErrCollateral},
		{name: "QE out of date", pki: p4, base: v4, file: collateralV4, at: atV4,
			opts: func(o *forgeOptions) {
				o.qeIdentity = func(doc map[string]any) {
					doc["tcbLevels"] = []any{isvLevel(8, "UpToDate"), isvLevel(6, "OutOfDate", "INTEL-SA-00999")}
				}
			}, status: StatusOutOfDate, advisories: []string{"INTEL-SA-00999"}},
		{name: "QE below every level", pki: p4, base: v4, file: collateralV4, at: atV4,
			opts: func(o *forgeOptions) {
				o.qeIdentity = func(doc map[string]any) { doc["tcbLevels"] = []any{isvLevel(8, "UpToDate")} }
			}, want: ErrQEIdentity},
		{name: "QE MRSIGNER", pki: p4, base: v4, file: collateralV4, at: atV4,
			opts: func(o *forgeOptions) {
				o.qeIdentity = func(doc map[string]any) { doc["mrsigner"] = strings.Repeat("AB", 32) }
			}, want: ErrQEIdentity},
		{name: "QE ISVPRODID", pki: p4, base: v4, file: collateralV4, at: atV4,
			opts: func(o *forgeOptions) { o.qeIdentity = func(doc map[string]any) { doc["isvprodid"] = 1 } },
			want: ErrQEIdentity},
		{name: "QE attributes", pki: p4, base: v4, file: collateralV4, at: atV4,
			opts: func(o *forgeOptions) {
				o.qeIdentity = func(doc map[string]any) { doc["attributes"] = "13000000000000000000000000000000" }
			}, want: ErrQEIdentity},
		{name: "TDX module MRSIGNER", pki: p4, base: v4, file: collateralV4, at: atV4,
			opts: func(o *forgeOptions) {
				o.tcbInfo = func(doc map[string]any) {
					for _, m := range doc["tdxModuleIdentities"].([]any) {
						m.(map[string]any)["mrsigner"] = strings.Repeat("01", 48)
					}
				}
			}, want: ErrCollateral},
		{name: "v5 reachable, module up to date", pki: p5, base: v5, file: collateralV5, at: atV5,
			opts: func(o *forgeOptions) { o.tcbInfo = reachableV5 }, status: StatusUpToDate},
		{name: "v5 module out of date, running module current: relaunch", pki: p5, base: v5, file: collateralV5, at: atV5,
			opts: func(o *forgeOptions) {
				o.tcbInfo = func(doc map[string]any) {
					reachableV5(doc)
					setTDXModuleLevels(doc, "TDX_01", isvLevel(8, "UpToDate"), isvLevel(4, "OutOfDate", "INTEL-SA-01036", "INTEL-SA-01099"))
				}
			}, status: StatusTDRelaunchAdvised, advisories: []string{"INTEL-SA-01036", "INTEL-SA-01099"}},
		{name: "v5 module out of date, running module too", pki: p5, base: v5, file: collateralV5, at: atV5,
			opts: func(o *forgeOptions) {
				o.tcbInfo = func(doc map[string]any) {
					reachableV5(doc)
					setTDXModuleLevels(doc, "TDX_01", isvLevel(14, "UpToDate"), isvLevel(4, "OutOfDate", "INTEL-SA-01036"))
				}
			}, status: StatusOutOfDate, advisories: []string{"INTEL-SA-01036"}},
		{name: "v5 module version without identity", pki: p5, base: v5, file: collateralV5, at: atV5,
			edit: func(signed []byte) { signed[54+1] = 9 }, // TEE_TCB_SVN[1]: module major version 9
			opts: func(o *forgeOptions) { o.tcbInfo = reachableV5 }, want: ErrCollateral},
		{name: "v5 TDX level from TEE_TCB_SVN[2]", pki: p5, base: v5, file: collateralV5, at: atV5,
			edit: func(signed []byte) { signed[54+2] = 2 }, // late microcode SVN 2: second level
			opts: func(o *forgeOptions) { o.tcbInfo = reachableV5 }, status: StatusOutOfDate,
			advisories: []string{"INTEL-SA-01036", "INTEL-SA-01079", "INTEL-SA-01099", "INTEL-SA-01103", "INTEL-SA-01111"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := window(tc.at)
			if tc.opts != nil {
				tc.opts(&o)
			}
			q, err := Parse(tc.pki.forgeQuote(t, tc.base, tc.edit))
			if err != nil {
				t.Fatal(err)
			}
			c, err := ParseCollateral(tc.pki.forgeCollateral(t, tc.file, o))
			if err != nil {
				t.Fatal(err)
			}
			r, err := Verify(q, Options{Collateral: c, Now: tc.at, Roots: tc.pki.roots})
			if tc.want != nil {
				if !errors.Is(err, tc.want) || r != nil {
					t.Fatalf("Verify = %+v, %v; want %v", r, err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.TCBStatus != tc.status || !slices.Equal(r.Advisories, tc.advisories) {
				t.Fatalf("TCB status %q advisories %v, want %q %v", r.TCBStatus, r.Advisories, tc.status, tc.advisories)
			}
		})
	}
}

// TestVerifyForgedHarness makes sure the forging harness keeps quotes
// valid, so that the failures above come from what each case changes.
func TestVerifyForgedHarness(t *testing.T) {
	v5 := parseVector(t, quoteV5)
	p := newTestPKI(t, realPCK(t, v5))
	b := p.forgeQuote(t, v5, nil)
	q, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if q.Body != v5.Body || binary.LittleEndian.Uint16(b[48:]) != BodyTDReport15 {
		t.Fatal("forged quote changed the body")
	}
	if _, err := Verify(q, Options{Now: atV5, Roots: p.roots}); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyNeedsNow: Verify reads no clock; the control verifies the same
// quote with a time.
func TestVerifyNeedsNow(t *testing.T) {
	q := parseVector(t, quoteV4)
	if _, err := Verify(q, Options{Now: atChain}); err != nil {
		t.Fatalf("control: %v", err)
	}
	if _, err := Verify(q, Options{}); err == nil || !strings.Contains(err.Error(), "Now is required") {
		t.Fatalf("zero Now: %v", err)
	}
}
