// Package guest makes Intel TDX quotes from inside a TD through the Linux
// kernel's configfs-tsm interface. It is the quoting side of TDX, kept apart
// from package tee/tdx (parsing and verification) so that verifiers, which
// run inside block execution, link no file I/O.
package guest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DefaultTSMDir is where Linux (6.7 and later) exposes configfs-tsm
// attestation reports.
const DefaultTSMDir = "/sys/kernel/config/tsm/report"

// ErrNoConfigfsTSM is returned when the configfs-tsm report directory does
// not exist: not a TDX guest, a kernel before 6.7, or configfs not mounted.
var ErrNoConfigfsTSM = errors.New("configfs-tsm not available")

// Platform produces TDX quotes inside a TD through the kernel's
// configfs-tsm interface. Quote generation goes from the TDX module to the
// host's quoting enclave and back; the guest only sees the result.
type Platform struct {
	dir string
}

// Open returns the platform for the configfs-tsm report directory dir
// (DefaultTSMDir on a real guest). It fails with ErrNoConfigfsTSM when dir
// does not exist.
func Open(dir string) (*Platform, error) {
	if err := checkTSM(dir); err != nil {
		return nil, fmt.Errorf("open tdx platform: %w", err)
	}
	return &Platform{dir: dir}, nil
}

func checkTSM(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s does not exist (not a TDX guest, Linux older than 6.7, or configfs not mounted)", ErrNoConfigfsTSM, dir)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoConfigfsTSM, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrNoConfigfsTSM, dir)
	}
	return nil
}

// Name returns "tdx".
func (p *Platform) Name() string { return "tdx" }

// Insecure returns false: quotes come from the TDX module.
func (p *Platform) Insecure() bool { return false }

// Quote asks the TDX module for a quote of this TD whose REPORTDATA is
// reportData: it creates a configfs-tsm report entry, writes inblob, reads
// outblob and removes the entry. The quote is a v4 or v5 TDX quote, as
// tdx.Parse reads it.
//
// Security: reportData is the only thing the TD chooses in its quote; bind
// what the verifier must trust to this TD (public keys, a nonce) into it,
// usually as a hash.
func (p *Platform) Quote(reportData [64]byte) ([]byte, error) {
	if err := checkTSM(p.dir); err != nil {
		return nil, fmt.Errorf("tdx quote: %w", err)
	}
	var id [8]byte
	rand.Read(id[:])
	entry := filepath.Join(p.dir, "cove-"+hex.EncodeToString(id[:]))
	if err := os.Mkdir(entry, 0o700); err != nil {
		return nil, fmt.Errorf("tdx quote: create report entry: %w", err)
	}
	// On configfs rmdir removes the entry with its attributes; RemoveAll
	// starts with that, and also cleans up a directory that is not configfs.
	defer os.RemoveAll(entry)

	if provider, err := os.ReadFile(filepath.Join(entry, "provider")); err == nil {
		if p := string(bytes.TrimSpace(provider)); p != "tdx_guest" {
			return nil, fmt.Errorf("tdx quote: configfs-tsm provider is %q, not tdx_guest", p)
		}
	}
	if err := os.WriteFile(filepath.Join(entry, "inblob"), reportData[:], 0o600); err != nil {
		return nil, fmt.Errorf("tdx quote: write inblob: %w", err)
	}
	gen, err := os.ReadFile(filepath.Join(entry, "generation"))
	if err != nil {
		return nil, fmt.Errorf("tdx quote: read generation: %w", err)
	}
	quote, err := os.ReadFile(filepath.Join(entry, "outblob"))
	if err != nil {
		return nil, fmt.Errorf("tdx quote: read outblob: %w", err)
	}
	// Another writer to the same entry would change the generation: the
	// quote might then carry its report data, not ours.
	gen2, err := os.ReadFile(filepath.Join(entry, "generation"))
	if err != nil {
		return nil, fmt.Errorf("tdx quote: read generation: %w", err)
	}
	if !bytes.Equal(gen, gen2) {
		return nil, fmt.Errorf("tdx quote: report entry changed while reading (generation %s to %s)", bytes.TrimSpace(gen), bytes.TrimSpace(gen2))
	}
	if len(quote) == 0 {
		return nil, fmt.Errorf("tdx quote: empty outblob")
	}
	return quote, nil
}
