// Package sim is a software TEE for development and tests. It implements
// tee.Platform with a sealing key kept in a file, and it makes quotes (see
// [Platform.Quote]; the format is package tee/sim/simquote's) signed by a
// simulated vendor key, so that the chain's attestation path runs end to end
// without hardware.
//
// A data directory of the simulated TEE holds:
//
//	sealing.key  32 bytes: the AES-256-GCM sealing key
//	vendor.key   32 bytes: the Ed25519 seed of the simulated vendor key
//
// Security: INSECURE. Nothing here is protected by hardware: the sealing key
// sits on disk in plaintext next to what it seals, and anyone who can read
// the data directory can unseal everything. The vendor key sits there too,
// so anyone who can read it can forge a quote for any measurement and any
// report data: a chain that trusts a sim vendor key (Params.TEE.SimVendorKeys)
// trusts whoever holds that file. The measurement is only the hash of the
// executable file, as the host reports it. It exists so that the whole
// system runs on a laptop; every command that uses it says so.
package sim

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cove-network/cove/internal/atomicfile"
	"github.com/cove-network/cove/tee"
	"github.com/cove-network/cove/tee/sim/simquote"
)

// Warning is printed by everything that runs on the simulated TEE.
const Warning = "TEE: simulated (INSECURE: no hardware protection; for development only)"

// Files of a sim TEE directory.
const (
	keyFile = "sealing.key"
	// VendorKeyFile holds the simulated vendor key's 32-byte Ed25519 seed.
	//
	// Security: INSECURE. Whoever reads it can forge sim quotes.
	VendorKeyFile = "vendor.key"
)

// Platform is the simulated TEE.
type Platform struct {
	aead        cipher.AEAD
	vendor      ed25519.PrivateKey
	measurement [32]byte
	now         func() time.Time
}

var _ tee.Platform = (*Platform)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	vendor      ed25519.PrivateKey
	measurement *[32]byte
	now         func() time.Time
}

// WithVendorKey installs key as the directory's vendor key, so that every
// node of a test network signs quotes with the one key its genesis trusts.
// Open writes it to vendor.key when the directory has none, and fails if
// the directory holds another vendor key.
func WithVendorKey(key ed25519.PrivateKey) Option {
	return func(o *options) { o.vendor = key }
}

// WithMeasurement makes the platform report m as its measurement instead
// of the hash of the running executable (tests, and a node that wants to
// pose as another build).
func WithMeasurement(m [32]byte) Option {
	return func(o *options) { o.measurement = &m }
}

// WithClock sets the clock whose time quotes carry (time.Now by default).
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// Open loads the sealing key and the vendor key from dir, creating dir and
// the keys on first use (see [WithVendorKey]). Unless [WithMeasurement] is
// given, it measures the running executable: SHA-256 of the file
// os.Executable names, read once per process.
func Open(dir string, opts ...Option) (*Platform, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open sim tee: %w", err)
	}
	vendor, err := openVendorKey(filepath.Join(dir, VendorKeyFile), o.vendor)
	if err != nil {
		return nil, fmt.Errorf("open sim tee: %w", err)
	}
	var m [32]byte
	if o.measurement != nil {
		m = *o.measurement
	} else if m, err = ExecutableMeasurement(); err != nil {
		return nil, fmt.Errorf("open sim tee: %w", err)
	}
	if o.now == nil {
		o.now = time.Now
	}
	path := filepath.Join(dir, keyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key = make([]byte, 32)
		rand.Read(key)
		if err := atomicfile.Write(path, key); err != nil {
			return nil, fmt.Errorf("open sim tee: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("open sim tee: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("open sim tee: %s holds %d bytes, want 32", path, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Platform{aead: aead, vendor: vendor, measurement: m, now: o.now}, nil
}

// openVendorKey reads the vendor key at path, or writes want (or a new key)
// there when there is none.
func openVendorKey(path string, want ed25519.PrivateKey) (ed25519.PrivateKey, error) {
	if want != nil && len(want) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("vendor key is %d bytes, want %d", len(want), ed25519.PrivateKeySize)
	}
	seed, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if want == nil {
			_, want, _ = ed25519.GenerateKey(rand.Reader)
		}
		if err := atomicfile.Write(path, want.Seed()); err != nil {
			return nil, err
		}
		return want, nil
	case err != nil:
		return nil, err
	case len(seed) != ed25519.SeedSize:
		return nil, fmt.Errorf("%s holds %d bytes, want a %d-byte Ed25519 seed", path, len(seed), ed25519.SeedSize)
	}
	key := ed25519.NewKeyFromSeed(seed)
	if want != nil && !bytes.Equal(key, want) {
		return nil, fmt.Errorf("%s holds another vendor key than the one given: remove it to install the network's key", path)
	}
	return key, nil
}

// ReadVendorKey returns the vendor key kept in the sim TEE directory dir.
//
// Security: INSECURE by design; the key forges quotes. It exists so that a
// network's tooling can copy one vendor key to every node.
func ReadVendorKey(dir string) (ed25519.PrivateKey, error) {
	path := filepath.Join(dir, VendorKeyFile)
	seed, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read sim vendor key: %w", err)
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("read sim vendor key: %s holds %d bytes, want %d", path, len(seed), ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// executable memoizes the measurement of this process's executable: the
// file does not change meaning while the process runs, and hashing a large
// binary on every Open would slow every start.
var executable = sync.OnceValues(func() ([32]byte, error) {
	path, err := os.Executable()
	if err != nil {
		return [32]byte{}, fmt.Errorf("measure executable: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return [32]byte{}, fmt.Errorf("measure executable: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return [32]byte{}, fmt.Errorf("measure executable %s: %w", path, err)
	}
	var m [32]byte
	h.Sum(m[:0])
	return m, nil
})

// ExecutableMeasurement returns the measurement a sim platform reports by
// default: SHA-256 of the running executable's file.
func ExecutableMeasurement() ([32]byte, error) { return executable() }

// Measurement returns what the platform attests that it runs: the SHA-256
// of the executable, or the value given with [WithMeasurement].
func (p *Platform) Measurement() [32]byte { return p.measurement }

// VendorPublicKey returns the public half of the platform's vendor key, the
// key a chain lists in Params.TEE.SimVendorKeys to accept its quotes.
func (p *Platform) VendorPublicKey() ed25519.PublicKey {
	return p.vendor.Public().(ed25519.PublicKey)
}

// Quote returns a sim quote (see package simquote for the format) of this
// platform's measurement and reportData, stamped with the platform clock
// and signed by the vendor key.
//
// Security: INSECURE. The "vendor" is this process: the quote proves only
// that someone holding vendor.key made it.
func (p *Platform) Quote(reportData [64]byte) ([]byte, error) {
	t := p.now().Unix()
	if t < 0 {
		return nil, fmt.Errorf("sim quote: clock is before 1970")
	}
	return simquote.Sign(p.vendor, p.measurement, reportData, uint64(t)), nil
}

// Name returns "sim".
func (p *Platform) Name() string { return "sim" }

// Insecure returns true: the simulated TEE protects nothing.
func (p *Platform) Insecure() bool { return true }

// Seal encrypts plaintext with AES-256-GCM under the sealing key, with the
// label as associated data: nonce ‖ ciphertext.
func (p *Platform) Seal(label string, plaintext []byte) ([]byte, error) {
	nonce := make([]byte, p.aead.NonceSize())
	rand.Read(nonce)
	return p.aead.Seal(nonce, nonce, plaintext, []byte("cove/sim-seal/"+label)), nil
}

// Unseal opens what Seal produced for the same label.
func (p *Platform) Unseal(label string, sealed []byte) ([]byte, error) {
	n := p.aead.NonceSize()
	if len(sealed) < n+p.aead.Overhead() {
		return nil, tee.ErrUnseal
	}
	out, err := p.aead.Open(nil, sealed[:n], sealed[n:], []byte("cove/sim-seal/"+label))
	if err != nil {
		return nil, tee.ErrUnseal
	}
	return out, nil
}
