package tdx

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cove-network/cove/tee"
)

func TestSummaryJSON(t *testing.T) {
	q := parseVector(t, quoteV4)
	r, err := Verify(q, Options{Now: atV4})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(Summary(r))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := []string{"tee", "version", "mrtd", "rtmrs", "reportData", "signatureValid", "tcbStatus", "advisories"}
	if len(got) != len(want) {
		t.Fatalf("report has %d fields, want %d: %s", len(got), len(want), b)
	}
	for _, k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("report lacks %q: %s", k, b)
		}
	}
	if got["tee"] != "tdx" || got["version"] != 4.0 || got["tcbStatus"] != nil || got["signatureValid"] != true {
		t.Errorf("report %s", b)
	}
	if got["mrtd"] != "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7" {
		t.Errorf("mrtd %v", got["mrtd"])
	}
	if rtmrs := got["rtmrs"].([]any); len(rtmrs) != 4 || len(rtmrs[0].(string)) != 96 {
		t.Errorf("rtmrs %v", rtmrs)
	}
	if adv := got["advisories"].([]any); len(adv) != 0 {
		t.Errorf("advisories %v", adv)
	}

	r, err = Verify(q, Options{Collateral: readCollateral(t, collateralV4), Now: atV4})
	if err != nil {
		t.Fatal(err)
	}
	if s := Summary(r).TCBStatus; s == nil || *s != "UpToDate" {
		t.Errorf("tcbStatus %v with collateral", s)
	}
}

func TestReadQuoteFile(t *testing.T) {
	bin, err := os.ReadFile(filepath.Join(vectorsDir, quoteV4))
	if err != nil {
		t.Fatal(err)
	}
	hexFile, err := os.ReadFile(filepath.Join(vectorsDir, quoteWorker))
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{
		"binary":      bin,
		"0x hex":      hexFile,
		"bare hex":    hexFile[2:],
		"hex newline": append(append([]byte(nil), hexFile...), '\n'),
	} {
		q, err := ReadQuoteFile(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := Parse(q); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := ReadQuoteFile([]byte("0xzz")); !errors.Is(err, tee.ErrEvidenceEncoding) {
		t.Fatalf("bad hex: %v", err)
	}
}
