package account

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
)

// hardhat0 is Hardhat's and Anvil's well-known first development account.
const (
	hardhat0Key  = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
	hardhat0Addr = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
	gethAddr     = "0xf466859ead1932d743d622cb74fc058882e8648a" // testdata/geth-*.json, passphrase "foobar"
)

// newStore returns a store in a temporary directory whose passphrase keys
// use light scrypt parameters, so the tests stay fast.
// TestStandardScryptForPassphrase checks the real parameters.
func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	s.scryptN, s.scryptP = keystore.LightScryptN, keystore.LightScryptP
	return s
}

func mustAddr(t *testing.T, s string) cove.Address {
	t.Helper()
	a, err := cove.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestNewListGet(t *testing.T) {
	s := newStore(t)
	if l, err := s.List(); err != nil || len(l) != 0 {
		t.Fatalf("List of a new store = %v, %v; want empty", l, err)
	}
	bob, err := s.New("bob", "")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := s.New("Alice", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if alice.Name != "alice" || bob.Name != "bob" {
		t.Errorf("names %q, %q; want alice, bob", alice.Name, bob.Name)
	}
	if alice.Address.IsZero() || alice.Address == bob.Address {
		t.Errorf("addresses %s, %s: want two distinct non-zero addresses", alice.Address, bob.Address)
	}
	got, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	want := []Info{alice, bob}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("List = %v; want %v", got, want)
	}
	for _, name := range []string{"alice", "ALICE"} {
		if g, err := s.Get(name); err != nil || g != alice {
			t.Errorf("Get(%q) = %v, %v; want %v", name, g, err, alice)
		}
	}
	_, err = s.Get("carol")
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, cove.ErrNotFound) {
		t.Errorf("Get(carol) = %v; want ErrNotFound", err)
	}
	if err == nil || !strings.Contains(err.Error(), "cove keys list") {
		t.Errorf("Get(carol) error %q does not name 'cove keys list'", err)
	}
	// Foreign files in the directory are ignored.
	for _, f := range []string{"README", "Upper.json", ".tmp-x-1", "x.json~"} {
		if err := os.WriteFile(filepath.Join(s.Dir(), f), []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.List(); err != nil || len(got) != 2 {
		t.Errorf("List with foreign files = %v, %v; want alice and bob", got, err)
	}
}

func TestSignRecover(t *testing.T) {
	s := newStore(t)
	info, err := s.New("alice", "pw")
	if err != nil {
		t.Fatal(err)
	}
	sg, err := s.Signer("alice", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if sg.Address() != info.Address || sg.Name() != "alice" {
		t.Fatalf("signer %s %s; want alice %s", sg.Name(), sg.Address(), info.Address)
	}
	halfN := new(big.Int).Rsh(crypto.S256().Params().N, 1)
	for i := range 20 {
		digest := cove.Keccak256([]byte(fmt.Sprint("message ", i)))
		sig, err := sg.Sign(digest)
		if err != nil {
			t.Fatal(err)
		}
		if v := sig[64]; v != 27 && v != 28 {
			t.Fatalf("v = %d; want 27 or 28", v)
		}
		if new(big.Int).SetBytes(sig[32:64]).Cmp(halfN) > 0 {
			t.Fatalf("s is in the upper half of the group order")
		}
		rsv := sig
		rsv[64] -= 27
		pub, err := crypto.SigToPub(digest[:], rsv[:])
		if err != nil {
			t.Fatal(err)
		}
		if got := cove.Address(crypto.PubkeyToAddress(*pub)); got != info.Address {
			t.Fatalf("recovered %s; want %s", got, info.Address)
		}
	}
	var zero *Signer
	if _, err := zero.Sign(cove.Hash{}); err == nil {
		t.Error("a nil Signer signed")
	}
}

func TestImportHex(t *testing.T) {
	for _, file := range []string{
		hardhat0Key,
		"0x" + hardhat0Key + "\n",
		"  0X" + strings.ToUpper(hardhat0Key) + "\r\n",
	} {
		s := newStore(t)
		info, err := s.Import("hh", []byte(file), "ignored", "new")
		if err != nil {
			t.Fatalf("Import(%q): %v", file, err)
		}
		if want := mustAddr(t, hardhat0Addr); info.Address != want {
			t.Errorf("Import(%q) address %s; want %s", file, info.Address, want)
		}
		sg, err := s.Signer("hh", "new")
		if err != nil || sg.Address() != info.Address {
			t.Errorf("Signer after import: %v, %v", sg, err)
		}
	}
}

func TestImportBadFile(t *testing.T) {
	s := newStore(t)
	bad := map[string]string{
		"short":   hardhat0Key[:62],
		"long":    hardhat0Key + "00",
		"not hex": "zz" + hardhat0Key[2:],
		"zero":    strings.Repeat("0", 64),
		"order":   "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", // the group order N
		"json":    `{"version":3}`,
		"empty":   "",
	}
	for name, file := range bad {
		_, err := s.Import("k", []byte(file), "", "")
		if !errors.Is(err, ErrBadKeyFile) {
			t.Errorf("%s: Import = %v; want ErrBadKeyFile", name, err)
			continue
		}
		if len(file) > 8 && strings.Contains(err.Error(), file[2:10]) {
			t.Errorf("%s: the error %q quotes the key file", name, err)
		}
	}
	if l, _ := s.List(); len(l) != 0 {
		t.Errorf("failed imports left keys: %v", l)
	}
}

func TestImportKeystore(t *testing.T) {
	want := mustAddr(t, gethAddr)
	for _, fixture := range []string{"geth-aaa.json", "geth-no-address.json"} {
		file, err := os.ReadFile(filepath.Join("testdata", fixture))
		if err != nil {
			t.Fatal(err)
		}
		if !IsKeystore(file) {
			t.Fatalf("IsKeystore(%s) = false", fixture)
		}
		s := newStore(t)
		if _, err := s.Import("g", file, "wrong", "new"); !errors.Is(err, ErrPassphrase) {
			t.Errorf("%s: Import with a wrong passphrase = %v; want ErrPassphrase", fixture, err)
		}
		info, err := s.Import("g", file, "foobar", "new")
		if err != nil {
			t.Fatalf("%s: %v", fixture, err)
		}
		if info.Address != want {
			t.Errorf("%s: address %s; want %s", fixture, info.Address, want)
		}
		if g, err := s.Get("g"); err != nil || g.Address != want {
			t.Errorf("%s: Get = %v, %v", fixture, g, err)
		}
		// Re-encrypted under the new passphrase, not the old one.
		if _, err := s.Signer("g", "foobar"); !errors.Is(err, ErrPassphrase) {
			t.Errorf("%s: the old passphrase still opens the key: %v", fixture, err)
		}
		if sg, err := s.Signer("g", "new"); err != nil || sg.Address() != want {
			t.Errorf("%s: Signer with the new passphrase: %v, %v", fixture, sg, err)
		}
	}
	if IsKeystore([]byte(hardhat0Key)) {
		t.Error("IsKeystore(hex key) = true")
	}
}

func TestWrongPassphrase(t *testing.T) {
	s := newStore(t)
	if _, err := s.New("alice", "right"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"wrong", "Right", ""} {
		sg, err := s.Signer("alice", p)
		if !errors.Is(err, ErrPassphrase) || sg != nil {
			t.Errorf("Signer(alice, %q) = %v, %v; want ErrPassphrase", p, sg, err)
		}
	}
	if _, err := s.Signer("alice", ""); err == nil || !strings.Contains(err.Error(), "none was given") {
		t.Errorf("Signer without a passphrase: error %q should say that none was given", err)
	}
	if _, err := s.Signer("nobody", "right"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Signer(nobody) = %v; want ErrNotFound", err)
	}
}

func TestDuplicateName(t *testing.T) {
	s := newStore(t)
	first, err := s.New("alice", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "ALICE", "Alice"} {
		if _, err := s.New(name, ""); !errors.Is(err, ErrExists) || !errors.Is(err, cove.ErrExists) {
			t.Errorf("New(%q) again = %v; want ErrExists", name, err)
		}
		if _, err := s.Import(name, []byte(hardhat0Key), "", ""); !errors.Is(err, ErrExists) {
			t.Errorf("Import(%q) over an existing key = %v; want ErrExists", name, err)
		}
	}
	if got, err := s.Get("alice"); err != nil || got != first {
		t.Errorf("the first key changed: %v, %v; want %v", got, err, first)
	}
}

func TestNames(t *testing.T) {
	good := map[string]string{
		"a": "a", "dev": "dev", "Alice": "alice", "my-key_1": "my-key_1", "0x": "0x",
		strings.Repeat("k", 32): strings.Repeat("k", 32),
	}
	for in, want := range good {
		got, err := CanonicalName(in)
		if err != nil || got != want {
			t.Errorf("CanonicalName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	s := newStore(t)
	bad := []string{"", "-a", "_a", "a b", "a/b", "../x", "a.json", "ä", "a\x00", strings.Repeat("k", 33)}
	for _, name := range bad {
		if _, err := CanonicalName(name); !errors.Is(err, ErrBadName) {
			t.Errorf("CanonicalName(%q) = %v; want ErrBadName", name, err)
		}
		if _, err := s.New(name, ""); !errors.Is(err, ErrBadName) || !strings.Contains(err.Error(), "a-z, 0-9") {
			t.Errorf("New(%q) = %v; want ErrBadName saying which names are allowed", name, err)
		}
		if _, err := s.Get(name); !errors.Is(err, ErrBadName) {
			t.Errorf("Get(%q) = %v; want ErrBadName", name, err)
		}
	}
	if _, err := os.Stat(s.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("bad names wrote to the store: %v", err)
	}
}

func TestEnsure(t *testing.T) {
	s := newStore(t)
	first, err := s.Ensure("dev")
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Ensure("dev")
	if err != nil || again != first {
		t.Fatalf("Ensure again = %v, %v; want %v", again, err, first)
	}
	if sg, err := s.Signer("dev", ""); err != nil || sg.Address() != first.Address {
		t.Errorf("Signer(dev, \"\") = %v, %v", sg, err)
	}
	// An existing key is returned as is, passphrase and all.
	alice, err := s.New("alice", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Ensure("alice"); err != nil || got != alice {
		t.Errorf("Ensure(alice) = %v, %v; want %v", got, err, alice)
	}
	if _, err := s.Ensure("Bad Name"); !errors.Is(err, ErrBadName) {
		t.Errorf("Ensure(bad name) = %v; want ErrBadName", err)
	}
}

// TestKeystoreFiles checks that the files are plain go-ethereum V3 keystore
// files, private to their owner, holding nothing but the key.
func TestKeystoreFiles(t *testing.T) {
	s := newStore(t)
	dev, err := s.New("dev", "")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := s.New("alice", "pw")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		info Info
		pass string
	}{{dev, ""}, {alice, "pw"}} {
		path := filepath.Join(s.Dir(), c.info.Name+".json")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var f struct {
			Address string `json:"address"`
			ID      string `json:"id"`
			Version int    `json:"version"`
			Crypto  struct {
				Cipher string `json:"cipher"`
				KDF    string `json:"kdf"`
			} `json:"crypto"`
		}
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		var fields map[string]any
		json.Unmarshal(data, &fields)
		if len(fields) != 4 {
			t.Errorf("%s: fields %v; want exactly address, crypto, id, version", path, fields)
		}
		if f.Version != 3 || f.Crypto.Cipher != "aes-128-ctr" || f.Crypto.KDF != "scrypt" || f.ID == "" {
			t.Errorf("%s: not a V3 scrypt keystore file: %s", path, data)
		}
		if "0x"+f.Address != strings.ToLower(c.info.Address.String()) {
			t.Errorf("%s: address %s; want %s", path, f.Address, c.info.Address)
		}
		k, err := keystore.DecryptKey(data, c.pass)
		if err != nil {
			t.Fatalf("%s: keystore.DecryptKey: %v", path, err)
		}
		if cove.Address(k.Address) != c.info.Address {
			t.Errorf("%s: decrypts to %s; want %s", path, k.Address, c.info.Address)
		}
		if bytes.Contains(data, []byte(hex.EncodeToString(crypto.FromECDSA(k.PrivateKey)))) {
			t.Errorf("%s holds the private key in the clear", path)
		}
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v; want 0600", path, st.Mode().Perm())
		}
	}
	if st, _ := os.Stat(s.Dir()); st.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode %v; want 0700", st.Mode().Perm())
	}
	ents, _ := os.ReadDir(s.Dir())
	if len(ents) != 2 {
		t.Errorf("key directory holds %d files; want 2 (no temporary files left)", len(ents))
	}
}

func scryptN(t *testing.T, path string) float64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Crypto struct {
			KDFParams map[string]any `json:"kdfparams"`
		} `json:"crypto"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	n, _ := f.Crypto.KDFParams["n"].(float64)
	return n
}

func TestStandardScryptForPassphrase(t *testing.T) {
	if testing.Short() {
		t.Skip("standard scrypt takes 256 MiB and about a second")
	}
	s, err := Open(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.New("strong", "pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ensure("dev"); err != nil {
		t.Fatal(err)
	}
	if n := scryptN(t, filepath.Join(s.Dir(), "strong.json")); n != keystore.StandardScryptN {
		t.Errorf("a key with a passphrase uses scrypt n=%v; want %d", n, keystore.StandardScryptN)
	}
	if n := scryptN(t, filepath.Join(s.Dir(), "dev.json")); n != keystore.LightScryptN {
		t.Errorf("a key without a passphrase uses scrypt n=%v; want %d", n, keystore.LightScryptN)
	}
}

func TestSignerRedacted(t *testing.T) {
	s := newStore(t)
	if _, err := s.Import("hh", []byte(hardhat0Key), "", ""); err != nil {
		t.Fatal(err)
	}
	sg, err := s.Signer("hh", "")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := new(big.Int).SetString(hardhat0Key, 16)
	secrets := []string{hardhat0Key, strings.ToUpper(hardhat0Key), d.String(), hardhat0Key[:16]}
	var outs []string
	for _, v := range []any{sg, *sg} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %[1]v"} {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
		outs = append(outs, fmt.Sprintf("%+v", struct{ S any }{v}), fmt.Sprint(v), fmt.Sprintln(v))
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("signer", "s", v, "wrapped", struct{ S any }{v})
		slog.New(slog.NewTextHandler(&buf, nil)).Info("signer", "s", v)
		outs = append(outs, buf.String())
	}
	if sg.String() != "REDACTED" {
		t.Errorf("String() = %q; want REDACTED", sg.String())
	}
	if got := fmt.Sprintf("%v", sg); got != "REDACTED" {
		t.Errorf("%%v = %q; want REDACTED", got)
	}
	for _, out := range outs {
		for _, sec := range secrets {
			if strings.Contains(out, sec) {
				t.Errorf("output %q leaks the private key", out)
			}
		}
		if !strings.Contains(out, "REDACTED") {
			t.Errorf("output %q does not say REDACTED", out)
		}
	}
}

func TestCheckKeyFile(t *testing.T) {
	good := []string{hardhat0Key, "0x" + hardhat0Key + "\n", `{"version":3}`}
	for _, f := range good {
		if err := CheckKeyFile([]byte(f)); err != nil {
			t.Errorf("CheckKeyFile(%q) = %v; want nil", f, err)
		}
	}
	bad := []string{"", "not a key", hardhat0Key[:60], `{"version":`, strings.Repeat("0", 64)}
	for _, f := range bad {
		if err := CheckKeyFile([]byte(f)); !errors.Is(err, ErrBadKeyFile) {
			t.Errorf("CheckKeyFile(%q) = %v; want ErrBadKeyFile", f, err)
		}
	}
}
