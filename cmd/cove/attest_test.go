package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/cove-network/cove/tee"
)

func runAttest(args ...string) (string, error) {
	cmd := newAttestCmd(&globals{})
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append([]string{"verify"}, args...))
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), err
}

func TestAttestVerify(t *testing.T) {
	td := filepath.Join("..", "..", "testdata", "tdx")
	out, err := runAttest(filepath.Join(td, "phala-tdx-quote.bin"), "--collateral", filepath.Join(td, "phala-tdx-quote-collateral.json"), "--at", "2025-07-01T00:00:00Z", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep tee.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.TEE != "tdx" || rep.Version != 4 || rep.MRTD[:16] != "91eb2b44d141d4ec" || rep.ReportData[:16] != "9a9d48e7f6799642" ||
		!rep.SignatureValid || rep.TCBStatus == nil || *rep.TCBStatus != "UpToDate" || len(rep.Advisories) != 0 || len(rep.RTMRs) != 4 {
		t.Fatalf("report %+v", rep)
	}

	// Without collateral, tcbStatus is null; a v5 quote and hex input parse.
	out, err = runAttest(filepath.Join(td, "phala-tdx-quote-outdated.bin"), "--json")
	if err != nil || !bytes.Contains([]byte(out), []byte(`"tcbStatus": null`)) || !bytes.Contains([]byte(out), []byte(`"version": 5`)) {
		t.Fatalf("v5: %v\n%s", err, out)
	}
	if _, err := runAttest(filepath.Join(td, "phala-worker-quote.hex")); err != nil {
		t.Fatalf("hex quote: %v", err)
	}

	// Collateral outside its window, a tampered quote and junk all fail with exit code 2.
	_, err = runAttest(filepath.Join(td, "phala-tdx-quote.bin"), "--collateral", filepath.Join(td, "phala-tdx-quote-collateral.json"), "--at", "2026-01-01T00:00:00Z")
	wantExit(t, "expired collateral", err, 2)
	q, _ := os.ReadFile(filepath.Join(td, "phala-tdx-quote.bin"))
	q[200] ^= 1
	bad := filepath.Join(t.TempDir(), "bad.bin")
	os.WriteFile(bad, q, 0o600)
	_, err = runAttest(bad)
	wantExit(t, "tampered quote", err, 2)

	// SEV-SNP with its VCEK.
	sd := filepath.Join("..", "..", "testdata", "sevsnp")
	out, err = runAttest(filepath.Join(sd, "milan-attestation.bin"), "--tee", "sev-snp", "--collateral", filepath.Join(sd, "milan-vcek.der"), "--json")
	if err != nil || !bytes.Contains([]byte(out), []byte(`"tee": "sev-snp"`)) {
		t.Fatalf("sev-snp: %v\n%s", err, out)
	}
}
