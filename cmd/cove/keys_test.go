package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
)

// runKeys runs the cove command line with args and a stdin that is not a
// terminal, and returns what it printed on stdout.
func runKeys(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(""))
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func mustRunKeys(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runKeys(t, args...)
	if err != nil {
		t.Fatalf("cove %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// keysHome points COVE_HOME at a fresh directory and returns it.
func keysHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("COVE_HOME", home)
	return home
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKeysNewListShow(t *testing.T) {
	home := keysHome(t)
	if out := mustRunKeys(t, "keys", "list"); !strings.Contains(out, "no keys in") || !strings.Contains(out, "cove keys new") {
		t.Errorf("keys list on an empty store printed %q", out)
	}
	if out := mustRunKeys(t, "keys", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("keys list --json on an empty store printed %q; want []", out)
	}

	out := mustRunKeys(t, "keys", "new", "bob", "--no-passphrase")
	bobAddr, ok := strings.CutPrefix(strings.TrimSpace(out), "created key bob: ")
	if !ok {
		t.Fatalf("keys new printed %q; want 'created key bob: 0x…'", out)
	}
	bob, err := cove.ParseAddress(bobAddr)
	if err != nil {
		t.Fatalf("keys new printed a bad address: %v", err)
	}

	var alice account.Info
	out = mustRunKeys(t, "keys", "new", "Alice", "--no-passphrase", "--json")
	if err := json.Unmarshal([]byte(out), &alice); err != nil || alice.Name != "alice" || alice.Address.IsZero() {
		t.Fatalf("keys new --json printed %q (%v); want {\"name\":\"alice\",\"address\":…}", out, err)
	}
	var fields map[string]any
	json.Unmarshal([]byte(out), &fields)
	if len(fields) != 2 {
		t.Errorf("keys new --json printed fields %v; want name and address", fields)
	}
	if _, err := os.Stat(filepath.Join(home, "keys", "alice.json")); err != nil {
		t.Errorf("the key is not in $COVE_HOME/keys: %v", err)
	}

	out = mustRunKeys(t, "keys", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || strings.Fields(lines[0])[0] != "NAME" || strings.Fields(lines[0])[1] != "ADDRESS" ||
		strings.Join(strings.Fields(lines[1]), " ") != "alice "+alice.Address.String() ||
		strings.Join(strings.Fields(lines[2]), " ") != "bob "+bob.String() {
		t.Errorf("keys list printed\n%s\nwant a NAME ADDRESS table of alice and bob", out)
	}
	var list []account.Info
	out = mustRunKeys(t, "keys", "list", "--json")
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if want := []account.Info{alice, {Name: "bob", Address: bob}}; len(list) != 2 || list[0] != want[0] || list[1] != want[1] {
		t.Errorf("keys list --json = %v; want %v", list, want)
	}

	var shown account.Info
	out = mustRunKeys(t, "keys", "show", "ALICE", "--json")
	if err := json.Unmarshal([]byte(out), &shown); err != nil || shown != alice {
		t.Errorf("keys show --json = %q (%v); want %v", out, err, alice)
	}
	if out := mustRunKeys(t, "keys", "show", "bob"); !strings.Contains(out, bob.String()) {
		t.Errorf("keys show bob printed %q; want its address %s", out, bob)
	}

	// Made without a passphrase: it opens with the empty one.
	s, err := account.Open(filepath.Join(home, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	if sg, err := s.Signer("bob", ""); err != nil || sg.Address() != bob {
		t.Errorf("Signer(bob) = %v, %v", sg, err)
	}
}

func TestKeysNewPasswordFile(t *testing.T) {
	home := keysHome(t)
	pw := writeTemp(t, "pw", "correct horse\n")
	var info account.Info
	out := mustRunKeys(t, "keys", "new", "carol", "--password-file", pw, "--json")
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	s, err := account.Open(filepath.Join(home, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Signer("carol", ""); !errors.Is(err, account.ErrPassphrase) {
		t.Errorf("the key opens without its passphrase: %v", err)
	}
	if sg, err := s.Signer("carol", "correct horse"); err != nil || sg.Address() != info.Address {
		t.Errorf("Signer(carol, passphrase) = %v, %v", sg, err)
	}
}

func TestKeysImport(t *testing.T) {
	home := keysHome(t)
	const (
		hardhat0Key  = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
		hardhat0Addr = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
		gethAddr     = "0xf466859eAD1932D743d622CB74FC058882E8648A"
	)
	hexFile := writeTemp(t, "key.hex", hardhat0Key+"\n")
	out := mustRunKeys(t, "keys", "import", "anvil0", hexFile, "--no-passphrase")
	if strings.TrimSpace(out) != "imported key anvil0: "+hardhat0Addr {
		t.Errorf("keys import printed %q; want 'imported key anvil0: %s'", out, hardhat0Addr)
	}

	// A keystore file from go-ethereum, passphrase "foobar".
	gethFile, err := filepath.Abs("../../account/testdata/geth-aaa.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runKeys(t, "keys", "import", "geth", gethFile, "--password-file", writeTemp(t, "bad", "nope\n")); !errors.Is(err, account.ErrPassphrase) {
		t.Errorf("keys import with a wrong passphrase: %v; want ErrPassphrase", err)
	}
	var info account.Info
	out = mustRunKeys(t, "keys", "import", "geth", gethFile, "--password-file", writeTemp(t, "pw", "foobar\n"), "--json")
	if err := json.Unmarshal([]byte(out), &info); err != nil || info.Name != "geth" || info.Address.String() != gethAddr {
		t.Errorf("keys import --json = %q (%v); want geth %s", out, err, gethAddr)
	}
	s, err := account.Open(filepath.Join(home, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	if sg, err := s.Signer("geth", "foobar"); err != nil || sg.Address().String() != gethAddr {
		t.Errorf("the imported keystore key does not open with its passphrase: %v, %v", sg, err)
	}

	// A raw key with neither a password file nor a terminal is refused.
	_, err = runKeys(t, "keys", "import", "raw", hexFile)
	if !errors.Is(err, account.ErrNoTerminal) || !strings.Contains(err.Error(), "--no-passphrase") {
		t.Errorf("keys import of a raw key without a terminal: %v; want advice on --password-file/--no-passphrase", err)
	}
	if _, err := runKeys(t, "keys", "import", "junk", writeTemp(t, "junk", "not a key")); !errors.Is(err, account.ErrBadKeyFile) {
		t.Errorf("keys import of junk: %v; want ErrBadKeyFile", err)
	}
}

func TestKeysErrors(t *testing.T) {
	keysHome(t)
	mustRunKeys(t, "keys", "new", "alice", "--no-passphrase")
	cases := []struct {
		args []string
		is   error
		says string
	}{
		{[]string{"keys", "new", "bob"}, account.ErrNoTerminal, "--password-file"},
		{[]string{"keys", "new", "alice", "--no-passphrase"}, account.ErrExists, "alice"},
		{[]string{"keys", "new", "ALICE", "--no-passphrase"}, account.ErrExists, "alice"},
		{[]string{"keys", "new", "no/slash", "--no-passphrase"}, account.ErrBadName, "a-z, 0-9"},
		{[]string{"keys", "show", "carol"}, account.ErrNotFound, "cove keys list"},
		{[]string{"keys", "new", "x", "--no-passphrase", "--password-file", "f"}, nil, "no-passphrase"},
		{[]string{"keys", "new"}, nil, "accepts 1 arg"},
	}
	for _, c := range cases {
		_, err := runKeys(t, c.args...)
		if err == nil || (c.is != nil && !errors.Is(err, c.is)) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("cove %s: error %v; want %v saying %q", strings.Join(c.args, " "), err, c.is, c.says)
		}
	}
}

func TestKeysHomeFlag(t *testing.T) {
	env := keysHome(t)
	other := t.TempDir()
	mustRunKeys(t, "keys", "--home", other, "new", "x", "--no-passphrase")
	if _, err := os.Stat(filepath.Join(other, "keys", "x.json")); err != nil {
		t.Errorf("--home ignored: %v", err)
	}
	if _, err := os.Stat(filepath.Join(env, "keys")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--home given, yet $COVE_HOME/keys was written: %v", err)
	}
	if out := mustRunKeys(t, "keys", "list", "--home", other); !strings.Contains(out, "x ") {
		t.Errorf("keys list --home printed %q; want key x", out)
	}
}
