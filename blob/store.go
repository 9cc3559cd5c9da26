// Package blob stores agent bundles by content. A bundle's id is its CID (see
// package blob/cid): a CIDv1 (multicodec raw, sha2-256, base32 "bafkrei...")
// that IPFS tools compute the same way, so the id names the bytes and anyone
// can check them.
//
// A Store is a directory of files named by CID, one level of sharding deep:
//
//	<dir>/<2 characters after "bafkrei">/<cid>
//
// Writes are atomic and durable (temporary file in the shard, fsync, rename,
// fsync of the directory), reads re-hash the content, and a Store is safe for
// concurrent use by many goroutines and by several processes sharing the
// directory. A crash can leave ".put-*" temporary files in a shard; they are
// never read, and CleanTemp removes them.
package blob

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/blob/cid"
)

// DefaultMaxSize is the default cap on the size of one blob: 16 MiB.
const DefaultMaxSize = 16 << 20

var (
	// ErrNotFound is returned by Get for a CID the store does not hold.
	ErrNotFound = errors.New("blob not found")
	// ErrCorrupt is returned by Get when the stored bytes no longer hash to
	// their CID (disk corruption or tampering).
	ErrCorrupt = errors.New("blob content does not match its cid")
	// ErrTooLarge is returned for a blob larger than the store's MaxSize.
	ErrTooLarge = errors.New("blob too large")
)

// Store is a content-addressed blob store in a directory.
type Store struct {
	dir     string
	maxSize int64

	mu     sync.Mutex
	shards map[string]bool // shard directories known to exist durably
}

// Option configures a Store.
type Option func(*Store)

// MaxSize caps the size of one blob at n bytes (DefaultMaxSize if unset).
func MaxSize(n int64) Option { return func(s *Store) { s.maxSize = n } }

// Open opens the store in dir, creating the directory if needed.
func Open(dir string, opts ...Option) (*Store, error) {
	s := &Store{dir: dir, maxSize: DefaultMaxSize, shards: make(map[string]bool)}
	for _, o := range opts {
		o(s)
	}
	if s.maxSize <= 0 {
		return nil, fmt.Errorf("open blob store %s: max size %d, want > 0", dir, s.maxSize)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open blob store: %w", err)
	}
	return s, nil
}

// path returns where the blob with a valid CID id lives.
func (s *Store) path(id string) string {
	shard := id[len(cid.Prefix) : len(cid.Prefix)+2]
	return filepath.Join(s.dir, shard, id)
}

// Put stores b and returns its CID. It is idempotent: putting bytes the store
// already holds writes nothing (and a corrupt copy is replaced).
func (s *Store) Put(b []byte) (id string, err error) {
	if int64(len(b)) > s.maxSize {
		return "", fmt.Errorf("put blob of %d bytes: %w (max %d)", len(b), ErrTooLarge, s.maxSize)
	}
	id = cid.Of(b)
	path := s.path(id)
	if s.holds(path, b) {
		return id, nil
	}
	if err := s.write(path, b); err != nil {
		return "", fmt.Errorf("put blob %s: %w", id, err)
	}
	return id, nil
}

// holds reports whether path already has exactly the bytes b.
func (s *Store) holds(path string, b []byte) bool {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != int64(len(b)) {
		return false
	}
	old, err := os.ReadFile(path)
	return err == nil && bytes.Equal(old, b)
}

// write puts b at path atomically: readers see the old file or the whole new
// one, and after write returns the file survives a crash.
func (s *Store) write(path string, b []byte) (err error) {
	shard := filepath.Dir(path)
	if err := s.ensureShard(shard); err != nil {
		return err
	}
	f, err := os.CreateTemp(shard, tempPattern)
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(shard)
}

// ensureShard creates the shard directory once per Store and makes its
// entry in the store directory durable.
func (s *Store) ensureShard(shard string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shards[shard] {
		return nil
	}
	if err := os.MkdirAll(shard, 0o755); err != nil {
		return err
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	s.shards[shard] = true
	return nil
}

// syncDir fsyncs a directory so that entries created or renamed in it
// survive a crash. Windows cannot sync directories and does not need to.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Get returns the blob whose CID is id. It re-hashes what it reads and
// returns ErrCorrupt rather than bytes that do not match the CID.
func (s *Store) Get(id string) ([]byte, error) {
	want, err := cid.Parse(id)
	if err != nil {
		return nil, fmt.Errorf("get blob: %w", err)
	}
	f, err := os.Open(s.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("get blob %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", id, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, s.maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", id, err)
	}
	if int64(len(b)) > s.maxSize {
		return nil, fmt.Errorf("get blob %s: stored file exceeds %d bytes: %w", id, s.maxSize, ErrTooLarge)
	}
	if cove.SHA256(b) != want {
		return nil, fmt.Errorf("get blob %s: %w", id, ErrCorrupt)
	}
	return b, nil
}

// Has reports whether the store holds the blob whose CID is id. It does not
// check the content; Get does.
func (s *Store) Has(id string) bool {
	if _, err := cid.Parse(id); err != nil {
		return false
	}
	fi, err := os.Stat(s.path(id))
	return err == nil && fi.Mode().IsRegular()
}

// tempPattern names the temporary files of Put (see write).
const tempPattern = ".put-*"

// CleanTemp removes the temporary files of writes a crash interrupted:
// regular ".put-*" files in the shards whose last change is older than
// olderThan, and returns their paths. The age keeps it from removing the
// file of a write another process sharing the directory has in progress
// (a write takes milliseconds). A file it cannot remove is an error; the
// others are still removed.
func (s *Store) CleanTemp(olderThan time.Duration, now time.Time) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(s.dir, "*", tempPattern))
	if err != nil {
		return nil, fmt.Errorf("clean blob store %s: %w", s.dir, err)
	}
	var removed []string
	var errs []error
	for _, p := range matches {
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() || now.Sub(fi.ModTime()) < olderThan {
			continue
		}
		if err := os.Remove(p); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, p)
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("clean blob store %s: %w", s.dir, errors.Join(errs...))
	}
	return removed, nil
}
