// Package account keeps the user's named Ethereum-style keys: the keys that
// sign the transactions a user sends to the Cove chain (`cove keys`, and
// `--from NAME` on every command that sends one).
//
// A [Store] is a directory (by default ~/.cove/keys, see [Home]) holding one
// file per key, NAME.json, in go-ethereum's encrypted keystore format
// (version 3: scrypt and AES-128-CTR), so geth, clef, Foundry's cast and
// ethers can read the files and Cove can import theirs. A key without a
// passphrase (the `dev` key that `cove dev` makes) is encrypted with the empty
// passphrase: it stays in the standard format and nothing else is recorded.
//
// The store hands out a [Signer], which signs digests and never exposes the
// private key; it prints as REDACTED.
package account

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/google/uuid"

	"github.com/cove-network/cove"
)

// Errors returned by the store; test them with errors.Is. ErrNotFound and
// ErrExists also match cove.ErrNotFound and cove.ErrExists.
var (
	ErrNotFound   = fmt.Errorf("key %w", cove.ErrNotFound)
	ErrExists     = fmt.Errorf("key %w", cove.ErrExists)
	ErrBadName    = errors.New("bad key name")
	ErrPassphrase = errors.New("wrong passphrase")
	ErrBadKeyFile = errors.New("bad key file")
)

// Info describes a stored key. It holds nothing secret.
type Info struct {
	Name    string       `json:"name"`
	Address cove.Address `json:"address"`
}

// Home returns the Cove home directory: $COVE_HOME if set, else ~/.cove.
// It returns "" when neither is known (no home directory).
func Home() string {
	if h := os.Getenv("COVE_HOME"); h != "" {
		return h
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, ".cove")
}

// KeysDir returns the keys directory of a Cove home: home/keys.
func KeysDir(home string) string { return filepath.Join(home, "keys") }

// Store is a directory of named keys. Its methods are safe for concurrent
// use, also by several processes: a name is claimed atomically.
type Store struct {
	dir string
	// scryptN and scryptP protect keys that have a passphrase; tests lower
	// them. Keys without a passphrase always use the light parameters.
	scryptN, scryptP int
}

// Open returns the store of keys in dir (typically KeysDir(Home())). The
// directory is created, with mode 0700, when the first key is written; Open
// fails only if dir exists and is not a directory.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("open key store: no directory (set COVE_HOME)")
	}
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return nil, fmt.Errorf("open key store: %s is not a directory", dir)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("open key store: %w", err)
	}
	return &Store{dir: dir, scryptN: keystore.StandardScryptN, scryptP: keystore.StandardScryptP}, nil
}

// Dir returns the directory of the store.
func (s *Store) Dir() string { return s.dir }

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// CanonicalName returns the stored form of a key name: names are
// case-insensitive and stored in lower case. A name is 1 to 32 characters
// a-z, 0-9, '_' and '-', starting with a letter or digit.
func CanonicalName(name string) (string, error) {
	n := strings.ToLower(name)
	if !nameRE.MatchString(n) {
		return "", fmt.Errorf("%w %q: use 1 to 32 characters a-z, 0-9, '_' and '-', starting with a letter or digit", ErrBadName, truncate(name, 40))
	}
	return n, nil
}

func (s *Store) path(name string) string { return filepath.Join(s.dir, name+".json") }

// New makes a random key called name, encrypted under passphrase, and
// returns its address. It fails with ErrExists if the name is taken.
//
// Security: an empty passphrase leaves the key readable by anyone who can
// read the file (it is encrypted with the empty passphrase and light scrypt
// parameters); use it only for development keys. A non-empty passphrase uses
// go-ethereum's standard scrypt parameters (256 MiB, about a second).
func (s *Store) New(name, passphrase string) (Info, error) {
	n, err := CanonicalName(name)
	if err != nil {
		return Info{}, err
	}
	priv, err := crypto.GenerateKey()
	if err != nil {
		return Info{}, fmt.Errorf("new key %s: %w", n, err)
	}
	return s.store(n, priv, passphrase)
}

// IsKeystore reports whether keyFile looks like a keystore JSON file rather
// than a raw hex private key, so that a caller knows whether [Store.Import]
// needs the file's passphrase.
func IsKeystore(keyFile []byte) bool {
	t := bytes.TrimSpace(keyFile)
	return len(t) > 0 && t[0] == '{'
}

// Import stores an existing private key under name, encrypted under
// newPassphrase. keyFile is either a go-ethereum keystore JSON file (from
// geth, clef, cast, ethers...), decrypted with passphrase, or a raw private
// key: 64 hex digits, optionally 0x-prefixed, surrounded by optional
// whitespace (passphrase is then unused). It fails with ErrPassphrase if
// passphrase does not decrypt the file, ErrBadKeyFile if the file is neither
// form, and ErrExists if the name is taken.
//
// Security: error messages never quote the file, so a mistyped raw key does
// not end up in a terminal or log. The caller should discard keyFile after
// the call; Import cannot erase the caller's copy.
func (s *Store) Import(name string, keyFile []byte, passphrase, newPassphrase string) (Info, error) {
	n, err := CanonicalName(name)
	if err != nil {
		return Info{}, err
	}
	// Check early so a taken name does not cost a scrypt run; store checks
	// again atomically.
	if _, err := os.Lstat(s.path(n)); err == nil {
		return Info{}, fmt.Errorf("import %s: %w", n, ErrExists)
	}
	var priv *ecdsa.PrivateKey
	if IsKeystore(keyFile) {
		k, err := keystore.DecryptKey(bytes.TrimSpace(keyFile), passphrase)
		switch {
		case errors.Is(err, keystore.ErrDecrypt):
			return Info{}, fmt.Errorf("import %s: %w for the key file", n, ErrPassphrase)
		case err != nil:
			return Info{}, fmt.Errorf("import %s: %w: not a readable keystore file: %v", n, ErrBadKeyFile, err)
		}
		priv = k.PrivateKey
	} else {
		priv, err = parseHexKey(keyFile)
		if err != nil {
			return Info{}, fmt.Errorf("import %s: %w", n, err)
		}
	}
	return s.store(n, priv, newPassphrase)
}

// CheckKeyFile reports whether keyFile has a form that [Store.Import] reads:
// a JSON object (the passphrase is checked only on import) or a valid raw
// private key. It fails with ErrBadKeyFile, so a caller can reject a wrong
// file before asking for passphrases.
func CheckKeyFile(keyFile []byte) error {
	if IsKeystore(keyFile) {
		if !json.Valid(bytes.TrimSpace(keyFile)) {
			return fmt.Errorf("%w: not valid JSON", ErrBadKeyFile)
		}
		return nil
	}
	_, err := parseHexKey(keyFile)
	return err
}

// parseHexKey parses a raw private key without ever quoting it.
func parseHexKey(keyFile []byte) (*ecdsa.PrivateKey, error) {
	t := bytes.TrimSpace(keyFile)
	if len(t) >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		t = t[2:]
	}
	if len(t) != 64 {
		return nil, fmt.Errorf("%w: want a keystore JSON file or a private key of 64 hex digits (0x optional), got %d characters", ErrBadKeyFile, len(t))
	}
	b := make([]byte, 32)
	defer clear(b)
	if _, err := hex.Decode(b, t); err != nil {
		return nil, fmt.Errorf("%w: the private key is not valid hex", ErrBadKeyFile)
	}
	priv, err := crypto.ToECDSA(b)
	if err != nil {
		return nil, fmt.Errorf("%w: not a valid secp256k1 private key", ErrBadKeyFile)
	}
	return priv, nil
}

// store encrypts priv and writes it as name.json, failing if it exists.
func (s *Store) store(name string, priv *ecdsa.PrivateKey, passphrase string) (Info, error) {
	id, err := uuid.NewRandom()
	if err != nil {
		return Info{}, fmt.Errorf("store key %s: %w", name, err)
	}
	key := &keystore.Key{Id: id, Address: crypto.PubkeyToAddress(priv.PublicKey), PrivateKey: priv}
	n, p := s.scryptN, s.scryptP
	if passphrase == "" {
		n, p = keystore.LightScryptN, keystore.LightScryptP
	}
	data, err := keystore.EncryptKey(key, passphrase, n, p)
	if err != nil {
		return Info{}, fmt.Errorf("encrypt key %s: %w", name, err)
	}
	if err := s.create(name, data); err != nil {
		return Info{}, err
	}
	return Info{Name: name, Address: cove.Address(key.Address)}, nil
}

// create writes data to name.json atomically (temporary file, fsync, link)
// with mode 0600, failing with ErrExists if the name is taken.
func (s *Store) create(name string, data []byte) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("store key %s: %w", name, err)
	}
	f, err := os.CreateTemp(s.dir, ".tmp-"+name+"-*") // mode 0600
	if err != nil {
		return fmt.Errorf("store key %s: %w", name, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store key %s: %w", name, err)
	}
	final := s.path(name)
	// A hard link never replaces an existing file, so two processes
	// creating the same name cannot overwrite each other's key.
	if err := os.Link(tmp, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("store key %s: %w", name, ErrExists)
		}
		// No hard links on this file system: check, then rename.
		if _, serr := os.Lstat(final); serr == nil {
			return fmt.Errorf("store key %s: %w", name, ErrExists)
		}
		if err := os.Rename(tmp, final); err != nil {
			return fmt.Errorf("store key %s: %w", name, err)
		}
	}
	if d, err := os.Open(s.dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Get returns the key called name. It fails with ErrNotFound if there is
// none.
func (s *Store) Get(name string) (Info, error) {
	n, err := CanonicalName(name)
	if err != nil {
		return Info{}, err
	}
	data, err := s.read(n)
	if err != nil {
		return Info{}, err
	}
	addr, err := fileAddress(data)
	if err != nil {
		return Info{}, fmt.Errorf("key %s (%s): %w", n, s.path(n), err)
	}
	return Info{Name: n, Address: addr}, nil
}

func (s *Store) read(name string) ([]byte, error) {
	data, err := os.ReadFile(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s; run 'cove keys list' to see the keys in %s", ErrNotFound, name, s.dir)
	}
	if err != nil {
		return nil, fmt.Errorf("read key %s: %w", name, err)
	}
	return data, nil
}

// fileAddress returns the address a keystore file records in the clear.
func fileAddress(data []byte) (cove.Address, error) {
	var f struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return cove.Address{}, fmt.Errorf("%w: not keystore JSON: %v", ErrBadKeyFile, err)
	}
	a, err := cove.ParseAddress("0x" + strings.TrimPrefix(strings.ToLower(f.Address), "0x"))
	if err != nil {
		return cove.Address{}, fmt.Errorf("%w: no valid address", ErrBadKeyFile)
	}
	return a, nil
}

// List returns every key in the store, sorted by name. Files whose names are
// not NAME.json for a valid name are ignored.
func (s *Store) List() ([]Info, error) {
	ents, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []Info{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	out := []Info{}
	for _, e := range ents {
		n, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !e.Type().IsRegular() || !nameRE.MatchString(n) {
			continue
		}
		info, err := s.Get(n)
		if errors.Is(err, ErrNotFound) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("list keys: %w", err)
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Ensure returns the key called name, first creating it without a
// passphrase if there is none. `cove dev` uses it for its `dev` key.
//
// Security: a key created here has no passphrase; see [Store.New].
func (s *Store) Ensure(name string) (Info, error) {
	info, err := s.Get(name)
	if !errors.Is(err, ErrNotFound) {
		return info, err
	}
	info, err = s.New(name, "")
	if errors.Is(err, ErrExists) { // another process made it meanwhile
		return s.Get(name)
	}
	return info, err
}

// Signer decrypts the key called name with passphrase and returns a Signer
// holding it. It fails with ErrNotFound or ErrPassphrase.
//
// Security: the decrypted key lives in the Signer's memory until the Signer
// is garbage collected; keep Signers no longer than needed.
func (s *Store) Signer(name, passphrase string) (*Signer, error) {
	n, err := CanonicalName(name)
	if err != nil {
		return nil, err
	}
	data, err := s.read(n)
	if err != nil {
		return nil, err
	}
	k, err := keystore.DecryptKey(data, passphrase)
	if errors.Is(err, keystore.ErrDecrypt) {
		if passphrase == "" {
			return nil, fmt.Errorf("key %s: %w: the key has a passphrase and none was given", n, ErrPassphrase)
		}
		return nil, fmt.Errorf("key %s: %w", n, ErrPassphrase)
	}
	if err != nil {
		return nil, fmt.Errorf("key %s (%s): %w: %v", n, s.path(n), ErrBadKeyFile, err)
	}
	return &Signer{name: n, priv: k.PrivateKey, addr: cove.Address(k.Address)}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
