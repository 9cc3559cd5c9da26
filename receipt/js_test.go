package receipt

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/internal/jstest"
)

// repoRoot is the module root as seen from this package's directory, where
// go test runs.
const repoRoot = ".."

// nodeOrSkip returns the node binary for testdata/js (see internal/jstest).
func nodeOrSkip(t *testing.T) string {
	t.Helper()
	return jstest.Node(t, filepath.Join(repoRoot, "testdata", "js"), "testdata/js")
}

// runVerify writes v to a file and runs testdata/js/verify.mjs on it.
func runVerify(t *testing.T, node string, v vector) (string, error) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return runVerifyFile(t, node, writeTemp(t, b))
}

func runVerifyFile(t *testing.T, node, file string) (string, error) {
	t.Helper()
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), node, filepath.Join("testdata", "js", "verify.mjs"), abs)
	cmd.Dir = repoRoot
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestJSLibrariesVerify checks that ethers' and viem's verifyTypedData accept
// receipts of both versions signed here, and reject tampered ones; for
// version 2 it also recomputes headersHash in JS.
func TestJSLibrariesVerify(t *testing.T) {
	node := nodeOrSkip(t)
	s := newSigner(t)
	for _, ver := range versions {
		r := ver.r()
		r.Agent = cove.AgentID(cove.SHA256([]byte(t.Name())))
		r.Timestamp = uint64(time.Now().Unix())
		v := makeVector(t, s, r)
		e := ver.e
		v.Exchange = &e

		t.Run(ver.name+"/fresh receipt", func(t *testing.T) {
			out, err := runVerify(t, node, v)
			if err != nil {
				t.Fatalf("verify.mjs: %v\n%s", err, out)
			}
			want := []string{"ethers: ok", "viem: ok", fmt.Sprintf("(version %d)", r.V())}
			if r.CoversHeaders() {
				want = append(want, "headersHash: ok "+r.HeadersHash.String())
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Fatalf("verify.mjs output lacks %q:\n%s", w, out)
				}
			}
			if !strings.Contains(out, s.Address().String()) {
				t.Fatalf("verify.mjs did not recover %s:\n%s", s.Address(), out)
			}
		})

		t.Run(ver.name+"/tampered status", func(t *testing.T) {
			bad := v
			bad.Receipt.Status = 201
			bad.Digest = nil // leave only the signature to catch it
			wantBothFail(t, node, bad)
		})
	}

	t.Run("golden vectors", func(t *testing.T) {
		for _, path := range []string{vectorPath, vectorPathV2, vectorPathV3} {
			out, err := runVerifyFile(t, node, path)
			if err != nil {
				t.Fatalf("verify.mjs %s: %v\n%s", path, err, out)
			}
		}
	})

	t.Run("salt or proof outside version 3", func(t *testing.T) {
		rs, _ := batchOf(2)
		out, err := SignBatch(s, rs)
		if err != nil {
			t.Fatal(err)
		}
		d := out[0].Receipt.Digest()
		b, err := json.Marshal(vector{Receipt: out[0].Receipt, Digest: &d, Signature: "0x" + hex.EncodeToString(out[0].Signature[:]), Signer: out[0].Signer})
		if err != nil {
			t.Fatal(err)
		}
		if res, err := runVerifyFile(t, node, writeTemp(t, b)); err != nil {
			t.Fatalf("control, the version-3 receipt: %v\n%s", err, res)
		}
		bad := strings.Replace(string(b), `"version":3`, `"version":2`, 1)
		res, err := runVerifyFile(t, node, writeTemp(t, []byte(bad)))
		if err == nil || !strings.Contains(res, "has no salt or proof") {
			t.Fatalf("verify.mjs took a version-2 receipt with a salt and proof (err %v):\n%s", err, res)
		}
	})

	t.Run("v3", func(t *testing.T) {
		rs, es := batchOf(3)
		out, err := SignBatch(s, rs)
		if err != nil {
			t.Fatal(err)
		}
		for i, signed := range out {
			d := signed.Receipt.Digest()
			v := vector{Receipt: signed.Receipt, Digest: &d, Signature: "0x" + hex.EncodeToString(signed.Signature[:]), Signer: signed.Signer, Exchange: &es[i]}
			res, err := runVerify(t, node, v)
			if err != nil {
				t.Fatalf("receipt %d of a batch: verify.mjs: %v\n%s", i, err, res)
			}
			for _, w := range []string{"ethers: ok", "viem: ok", "(version 3)", "headersHash: ok"} {
				if !strings.Contains(res, w) {
					t.Fatalf("verify.mjs output lacks %q:\n%s", w, res)
				}
			}
			if i > 0 {
				continue
			}
			for name, tamper := range map[string]func(*vector){
				"tampered proof":   func(v *vector) { v.Receipt.Proof = []cove.Hash{v.Receipt.Proof[0], {1}} },
				"tampered salt":    func(v *vector) { v.Receipt.Salt[5] ^= 1 },
				"another's proof":  func(v *vector) { v.Receipt.Proof = out[2].Receipt.Proof },
				"tampered status":  func(v *vector) { v.Receipt.Status = 201 },
				"signed as one v2": func(v *vector) { v.Receipt.Version, v.Receipt.Proof = cove.ReceiptV2, nil },
			} {
				t.Run(name, func(t *testing.T) {
					bad := v
					bad.Receipt.Proof = append([]cove.Hash(nil), v.Receipt.Proof...)
					bad.Digest = nil
					bad.Exchange = nil
					tamper(&bad)
					wantBothFail(t, node, bad)
				})
			}
		}
	})

	r := testExchangeV2.receiptV2()
	v := makeVector(t, s, r)
	t.Run("v2/tampered headersHash", func(t *testing.T) {
		bad := v
		bad.Receipt.HeadersHash[0] ^= 1
		bad.Digest = nil
		wantBothFail(t, node, bad)
	})
	t.Run("v2 signature as version 1", func(t *testing.T) {
		bad := v
		bad.Receipt.Version, bad.Receipt.HeadersHash = 0, cove.Hash{}
		bad.Digest = nil
		wantBothFail(t, node, bad)
	})
	t.Run("v2/headers of another host", func(t *testing.T) {
		good, bad := testExchangeV2, testExchangeV2
		bad.Host = "evil.example:8700"
		v.Exchange = &good
		if out, err := runVerify(t, node, v); err != nil || !strings.Contains(out, "headersHash: ok") {
			t.Fatalf("control: %v\n%s", err, out)
		}
		v.Exchange = &bad
		out, err := runVerify(t, node, v)
		if err == nil || !strings.Contains(out, "headersHash: FAIL") {
			t.Fatalf("verify.mjs accepted headers of another host (err %v):\n%s", err, out)
		}
	})
}

// wantBothFail runs verify.mjs on v and wants ethers and viem to reject it
// for recovering another signer (not for an exception).
func wantBothFail(t *testing.T, node string, v vector) {
	t.Helper()
	out, err := runVerify(t, node, v)
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("verify.mjs accepted a tampered receipt (err %v):\n%s", err, out)
	}
	for _, lib := range []string{"ethers", "viem"} {
		if !regexp.MustCompile(`(?m)^` + lib + `: FAIL .*recovered 0x[0-9a-fA-F]{40}, want 0x`).MatchString(out) {
			t.Fatalf("want %s to recover another signer:\n%s", lib, out)
		}
	}
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "receipt.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}
