package contracts

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove/internal/jstest"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
)

// artifacts are the contracts whose ABI and bytecode build.mjs writes, with
// the bindings abigen made from them.
var artifacts = map[string]*bind.MetaData{
	"CoveAnchor":    CoveAnchorMetaData,
	"PriceConsumer": PriceConsumerMetaData,
	"AIConsumer":    AIConsumerMetaData,
	"ApprovalVault": ApprovalVaultMetaData,
}

// TestArtifactsFresh recompiles the sources with the pinned solc and fails
// if the committed ABI or bytecode differ: run `go generate ./contracts/`
// after changing a contract.
func TestArtifactsFresh(t *testing.T) {
	node := jstest.Node(t, ".", "contracts")
	out := t.TempDir()
	cmd := exec.CommandContext(t.Context(), node, "build.mjs", out)
	cmd.WaitDelay = 5 * time.Second
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node build.mjs: %v\n%s", err, b)
	}
	for name := range artifacts {
		for _, ext := range []string{".abi", ".bin"} {
			committed, err := os.ReadFile(filepath.Join("build", name+ext))
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := os.ReadFile(filepath.Join(out, name+ext))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(committed, fresh) {
				t.Errorf("build/%s%s differs from a fresh compile of src/: run `go generate ./contracts/` and commit the result", name, ext)
			}
		}
	}
}

// TestBindingsMatchArtifacts checks that the Go bindings embed the
// committed ABI and bytecode, so that abigen was run on what build/ holds.
func TestBindingsMatchArtifacts(t *testing.T) {
	for name, md := range artifacts {
		bin, err := os.ReadFile(filepath.Join("build", name+".bin"))
		if err != nil {
			t.Fatal(err)
		}
		if md.Bin != "0x"+strings.TrimSpace(string(bin)) {
			t.Errorf("%s binding's bytecode differs from build/%s.bin: run `go generate ./contracts/`", name, name)
		}
		abiJSON, err := os.ReadFile(filepath.Join("build", name+".abi"))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := abi.JSON(bytes.NewReader(abiJSON))
		if err != nil {
			t.Fatalf("build/%s.abi: %v", name, err)
		}
		bound, err := md.GetAbi()
		if err != nil {
			t.Fatalf("%s binding's ABI: %v", name, err)
		}
		// abigen stores the ABI in its own form (internalType dropped):
		// compare what a caller sees, every signature and selector.
		if a, b := abiSignatures(committed), abiSignatures(*bound); a != b {
			t.Errorf("%s binding's ABI differs from build/%s.abi: run `go generate ./contracts/`\ncommitted:\n%s\nbinding:\n%s", name, name, a, b)
		}
	}
}

// abiSignatures lists the constructor, methods (with outputs), events and
// errors of a, sorted, one a line.
func abiSignatures(a abi.ABI) string {
	var lines []string
	lines = append(lines, "constructor"+a.Constructor.String())
	for _, m := range a.Methods {
		lines = append(lines, m.String())
	}
	for _, e := range a.Events {
		lines = append(lines, e.String())
	}
	for _, e := range a.Errors {
		lines = append(lines, e.String())
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
