package validator

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/crypto/ed25519"
	sm "github.com/cometbft/cometbft/state"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/ethereum/go-ethereum/crypto"
	"go.etcd.io/bbolt"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/ethsig"
	"github.com/cove-network/cove/internal/filefault"
	"github.com/cove-network/cove/internal/testport"
)

// chainWithBlocks makes a one-validator chain, commits transfers to
// several accounts in several blocks, stops it, and returns its config,
// the head it stopped at and the recipients.
func chainWithBlocks(t *testing.T, transfers int) (Config, chain.Head, []cove.Address) {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	from := ethsig.Address(&key.PublicKey)
	home, _ := oneValidatorHome(t, "cove-state-test", from, 1_000_000)
	cfg := DefaultConfig()
	cfg.Home = home
	cfg.P2PAddr = testport.Addr(t)
	cfg.RPCAddr = ""
	cfg.BlockInterval = 20 * time.Millisecond
	v := start(t, cfg)
	waitHeight(t, v.s, 1)
	var to []cove.Address
	for i := range transfers {
		addr := cove.Address{0xee, byte(i)}
		to = append(to, addr)
		tx, err := chain.SignTx(testChainID, chain.Transfer{To: addr, Amount: big.NewInt(int64(100 + i)), Nonce: uint64(i)}, func(d cove.Hash) ([65]byte, error) { return ethsig.Sign(key, d) })
		if err != nil {
			t.Fatal(err)
		}
		out, err := v.s.Broadcast(t.Context(), tx)
		if err != nil || out.Code != 0 {
			t.Fatalf("transfer %d: %+v, %v", i, out, err)
		}
	}
	v.stop(t)
	return cfg, head(t, cfg), to
}

// head opens the validator at cfg (running nothing) and returns its head.
func head(t *testing.T, cfg Config) chain.Head {
	t.Helper()
	s, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return s.View().Head()
}

// copyHome copies a stopped validator's home and returns cfg pointing
// there.
func copyHome(t *testing.T, cfg Config) Config {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(cfg.Home)); err != nil {
		t.Fatal(err)
	}
	cfg.Home = dst
	return cfg
}

// stateKVs reads every state KV of the bbolt file at path.
func stateKVs(t *testing.T, path string) map[string]string {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kvs := map[string]string{}
	err = db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketState).ForEach(func(k, v []byte) error {
			kvs[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return kvs
}

// flipUniqueValue flips a byte of a state value that occurs once in the
// file: bbolt checksums only its meta pages, so the file stays consistent.
func flipUniqueValue(t *testing.T, b []byte, kvs map[string]string) {
	t.Helper()
	for _, v := range kvs {
		if len(v) >= 8 && bytes.Count(b, []byte(v)) == 1 {
			b[bytes.Index(b, []byte(v))+len(v)/2] ^= 0x01
			return
		}
	}
	t.Fatal("no state value occurs once in the file")
}

// TestDamagedState: a state file damaged in several ways stops New with a
// *DamagedStateError that names the file and --rebuild-state, never a
// panic; New with RebuildState keeps the damaged file aside and rebuilds
// the state from the block store to the same height, app hash and KVs as
// the undamaged file (the control).
func TestDamagedState(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a chain and rebuilds it (-short)")
	}
	cfg, want, to := chainWithBlocks(t, 12)
	if want.Height < 5 {
		t.Fatalf("the chain stopped at height %d, want several blocks", want.Height)
	}
	statePath := func(cfg Config) string { return filepath.Join(cfg.Home, "data", StateFile) }
	wantKVs := stateKVs(t, statePath(cfg))

	for _, tc := range []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"truncated", func(b []byte) []byte { return b[:len(b)/3] }},
		{"truncated to one page", func(b []byte) []byte { return b[:4096] }},
		{"garbage meta pages", func(b []byte) []byte {
			for i := 16; i < 2*4096; i++ { // both meta pages, past the page headers
				b[i] = byte(i * 7)
			}
			return b
		}},
		{"garbage data pages", filefault.GarbageAfter(filefault.BboltMetaBytes)},
		{"bad root page", func(b []byte) []byte {
			// The root page of both meta pages gets an unknown page type:
			// bbolt opens the file and panics on the first read.
			for _, meta := range []int{0, 4096} {
				root := binary.LittleEndian.Uint64(b[meta+16+16:])
				binary.LittleEndian.PutUint16(b[int(root)*4096+8:], 0x20)
			}
			return b
		}},
		{"used page listed free", func(b []byte) []byte {
			// Every freelist page lists the page of the current root as
			// free: the file opens and reads, and only Tx.Check sees it.
			var m0, m1 = binary.LittleEndian.Uint64(b[16+48:]), binary.LittleEndian.Uint64(b[4096+16+48:])
			meta := 0
			if m1 > m0 {
				meta = 4096
			}
			root := binary.LittleEndian.Uint64(b[meta+16+16:])
			n := 0
			for off := 2 * 4096; off+4096 <= len(b); off += 4096 {
				if binary.LittleEndian.Uint16(b[off+8:]) != 0x10 {
					continue
				}
				if count := binary.LittleEndian.Uint16(b[off+10:]); count > 0 && count < 0xffff {
					binary.LittleEndian.PutUint64(b[off+16:], root)
					n++
				}
			}
			if n == 0 {
				t.Fatal("no freelist page with free pages")
			}
			return b
		}},
		{"flipped value byte", func(b []byte) []byte { flipUniqueValue(t, b, wantKVs); return b }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := copyHome(t, cfg)
			cfg.P2PAddr = testport.Addr(t)
			path := statePath(cfg)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			damaged := tc.damage(b)
			if err := os.WriteFile(path, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			var de *DamagedStateError
			if !errors.As(err, &de) || de.Path != path || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "--rebuild-state") {
				t.Fatalf("New on a damaged state: %v; want a DamagedStateError naming %s and --rebuild-state", err, path)
			}
			t.Logf("error: %v", err)
			// The failed open released the file: this process opens it again.
			if _, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); !errors.As(err, &de) {
				t.Fatalf("second New on the damaged state: %v; want the same DamagedStateError", err)
			}

			cfg.RebuildState = true
			begin := time.Now()
			s, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatalf("rebuild: %v", err)
			}
			took := time.Since(begin)
			got := s.View().Head()
			for _, addr := range to {
				if bal := s.View().Account(addr).Balance; bal.Sign() <= 0 {
					t.Errorf("account %s: balance %v after the rebuild", addr, bal)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if got.Height != want.Height || !bytes.Equal(got.AppHash, want.AppHash) {
				t.Fatalf("rebuilt head %d %X, want %d %X", got.Height, got.AppHash, want.Height, want.AppHash)
			}
			if gotKVs := stateKVs(t, path); fmt.Sprint(gotKVs) != fmt.Sprint(wantKVs) {
				t.Fatalf("rebuilt state has %d KVs, differing from the control's %d", len(gotKVs), len(wantKVs))
			}
			t.Logf("rebuilt %d blocks in %s", got.Height, took.Round(time.Millisecond))
			asides, _ := filepath.Glob(path + ".damaged-*")
			if len(asides) != 1 {
				t.Fatalf("files kept aside: %q, want one", asides)
			}
			if kept, err := os.ReadFile(asides[0]); err != nil || !bytes.Equal(kept, damaged) {
				t.Fatalf("the damaged file was not kept as it was: %v", err)
			}
		})
	}
}

// TestRebuildDamagedBlockStore: a rebuild from a block store that lost its
// blocks or holds garbage is an error that says the block store is
// damaged, not a panic nor a state at another height; the state file is
// kept aside.
func TestRebuildDamagedBlockStore(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a chain (-short)")
	}
	base, _, _ := chainWithBlocks(t, 3)
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, dir string)
	}{
		{"removed", func(t *testing.T, dir string) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
		}},
		{"garbage files", func(t *testing.T, dir string) {
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range entries {
				if name := e.Name(); strings.HasSuffix(name, ".ldb") || strings.HasSuffix(name, ".log") {
					filefault.Rewrite(t, filepath.Join(dir, name), filefault.GarbageAfter(0))
					n++
				}
			}
			if n == 0 {
				t.Fatalf("no table or log files in %s", dir)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := copyHome(t, base)
			cfg.RebuildState = true
			state := filepath.Join(cfg.Home, "data", StateFile)
			before, err := os.ReadFile(state)
			if err != nil {
				t.Fatal(err)
			}
			tc.damage(t, filepath.Join(cfg.Home, "data", "blockstore.db"))
			_, err = New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err == nil || !strings.Contains(err.Error(), "block store") || !strings.Contains(err.Error(), "damaged") {
				t.Fatalf("rebuild from a damaged block store: %v; want an error saying the block store is damaged", err)
			}
			t.Logf("error: %v", err)
			// The failed rebuild is undone: the state file is back as the
			// operator left it, the partial rebuild kept aside.
			if after, err := os.ReadFile(state); err != nil || !bytes.Equal(after, before) {
				t.Fatalf("the state file after a failed rebuild: %d bytes, %v; want it back as it was", len(after), err)
			}
			if asides, _ := filepath.Glob(state + ".damaged-*"); len(asides) != 0 {
				t.Fatalf("files left aside: %q, want none (moved back)", asides)
			}
			if failed, _ := filepath.Glob(state + ".rebuild-failed-*"); len(failed) != 1 || !strings.Contains(err.Error(), "back as it was") {
				t.Fatalf("partial rebuilds kept: %q; error %v", failed, err)
			}
		})
	}
	// Control: the same rebuild from an undamaged copy of the home works.
	cfg := copyHome(t, base)
	cfg.RebuildState = true
	s, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("control: rebuild from an undamaged block store: %v", err)
	}
	s.Close()
}

// TestCheckRebuilt: a rebuilt state that is not at the block store's
// height and app hash is refused.
func TestCheckRebuilt(t *testing.T) {
	app, err := openApp(filepath.Join(t.TempDir(), StateFile), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer app.close()
	h, hash := app.head()
	for _, tc := range []struct {
		name    string
		height  int64
		appHash []byte
		ok      bool
	}{
		{"same", h, hash, true},
		{"other height", h + 1, hash, false},
		{"other app hash", h, bytes.Repeat([]byte{1}, 32), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := dbm.NewMemDB()
			vals := cmttypes.NewValidatorSet([]*cmttypes.Validator{cmttypes.NewValidator(ed25519.GenPrivKey().PubKey(), 10)})
			st := sm.State{LastBlockHeight: tc.height, AppHash: tc.appHash, InitialHeight: 1, Validators: vals, NextValidators: vals, LastValidators: vals}
			if err := sm.NewStore(db, sm.StoreOptions{}).Save(st); err != nil {
				t.Fatal(err)
			}
			err := checkRebuilt(app, db, "aside")
			if (err == nil) != tc.ok {
				t.Fatalf("checkRebuilt: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestCheckLength: a bbolt file cut short of the length its meta pages
// record is refused before bbolt maps it; a whole file, a missing one and
// one with no valid meta page (left to bbolt) pass.
func TestCheckLength(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, StateFile)
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucket(bucketState)
		if err != nil {
			return err
		}
		for i := range 2000 {
			if err := b.Put(fmt.Appendf(nil, "key-%05d", i), bytes.Repeat([]byte{byte(i)}, 100)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var size int
	db.View(func(tx *bbolt.Tx) error { size = int(tx.Size()); return nil })
	db.Close()
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkLength(path); err != nil {
		t.Fatalf("whole file: %v", err)
	}
	if err := checkLength(filepath.Join(dir, "missing")); err != nil {
		t.Fatalf("missing file: %v", err)
	}
	if err := os.WriteFile(path, whole[:size], 0o600); err != nil {
		t.Fatal(err)
	}
	if err := checkLength(path); err != nil { // bbolt grows files ahead of use
		t.Fatalf("file cut to its used length %d: %v", size, err)
	}
	for _, n := range []int{size - 1, size - 4096, size / 2, 3 * 4096} {
		if err := os.WriteFile(path, whole[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		if err := checkLength(path); err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("cut to %d of %d bytes: %v, want truncated", n, len(whole), err)
		}
	}
	// Both meta pages name a page outside the file as the root or the
	// freelist, with their checksums made right again.
	for _, tc := range []struct {
		name   string
		offset int // in the meta
		value  uint64
		want   string
	}{
		{"root past the end", 16, uint64(size/4096) + 5, "root page"},
		{"root on a meta page", 16, 1, "root page"},
		{"freelist past the end", 32, uint64(size/4096) + 5, "freelist page"},
	} {
		b := bytes.Clone(whole[:size])
		for _, meta := range []int{16, 4096 + 16} {
			binary.LittleEndian.PutUint64(b[meta+tc.offset:], tc.value)
			h := fnv.New64a()
			h.Write(b[meta : meta+56])
			binary.LittleEndian.PutUint64(b[meta+56:], h.Sum64())
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := checkLength(path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about the %s", tc.name, err, tc.want)
		}
	}
	if err := os.WriteFile(path, bytes.Repeat([]byte{7}, 3*4096), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := checkLength(path); err != nil {
		t.Fatalf("no meta page: %v", err)
	}
}
