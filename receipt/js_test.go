package receipt

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
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
	file := filepath.Join(t.TempDir(), "receipt.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return runVerifyFile(t, node, file)
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
// receipts signed here, and reject a tampered one.
func TestJSLibrariesVerify(t *testing.T) {
	node := nodeOrSkip(t)
	s := newSigner(t)
	r := testExchange.receipt()
	r.Agent = cove.AgentID(cove.SHA256([]byte(t.Name())))
	r.Timestamp = uint64(time.Now().Unix())
	v := makeVector(t, s, r)

	t.Run("fresh receipt", func(t *testing.T) {
		out, err := runVerify(t, node, v)
		if err != nil {
			t.Fatalf("verify.mjs: %v\n%s", err, out)
		}
		for _, lib := range []string{"ethers: ok", "viem: ok"} {
			if !strings.Contains(out, lib) {
				t.Fatalf("verify.mjs output lacks %q:\n%s", lib, out)
			}
		}
		if !strings.Contains(out, s.Address().String()) {
			t.Fatalf("verify.mjs did not recover %s:\n%s", s.Address(), out)
		}
	})

	t.Run("golden vector", func(t *testing.T) {
		out, err := runVerifyFile(t, node, vectorPath)
		if err != nil {
			t.Fatalf("verify.mjs %s: %v\n%s", vectorPath, err, out)
		}
	})

	t.Run("tampered status", func(t *testing.T) {
		bad := v
		bad.Receipt.Status = 201
		bad.Digest = nil // leave only the signature to catch it
		out, err := runVerify(t, node, bad)
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("verify.mjs accepted a tampered receipt (err %v):\n%s", err, out)
		}
		if !strings.Contains(out, "ethers: FAIL") || !strings.Contains(out, "viem: FAIL") {
			t.Fatalf("want both libraries to reject:\n%s", out)
		}
	})
}
