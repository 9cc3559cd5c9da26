// Package sim is a software TEE for development and tests. It implements
// tee.Platform with a sealing key kept in a file.
//
// Security: INSECURE. Nothing here is protected by hardware: the sealing key
// sits on disk in plaintext next to what it seals, and anyone who can read
// the data directory can unseal everything. It exists so that the whole
// system runs on a laptop; every command that uses it says so.
package sim

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cove-network/cove/tee"
)

// Warning is printed by everything that runs on the simulated TEE.
const Warning = "TEE: simulated (INSECURE: no hardware protection; for development only)"

const keyFile = "sealing.key"

// Platform is the simulated TEE.
type Platform struct {
	aead cipher.AEAD
}

var _ tee.Platform = (*Platform)(nil)

// Open loads the sealing key from dir, creating dir and the key on first
// use.
func Open(dir string) (*Platform, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open sim tee: %w", err)
	}
	path := filepath.Join(dir, keyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key = make([]byte, 32)
		rand.Read(key)
		if err := writeFileSync(path, key); err != nil {
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
	return &Platform{aead: aead}, nil
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

// writeFileSync writes b to path atomically: temp file, fsync, rename.
func writeFileSync(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
