package node

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cove-network/cove/blob"
	blobcid "github.com/cove-network/cove/blob/cid"
	"github.com/cove-network/cove/internal/filefault"
	"github.com/cove-network/cove/internal/syncbuf"
)

var bundle = []byte("var __cove_agent = { default: { fetch() { return new Response('hi'); } } };")

// peer is a blob peer's gateway: GET /v1/blobs/{cid} answers body for the
// CID it serves (or other bytes, for a lying peer) and 404 for the rest.
type peer struct {
	*httptest.Server
	hits atomic.Int32
}

func newPeer(t *testing.T, serves string, body []byte) *peer {
	p := &peer{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		if body == nil || r.URL.Path != "/v1/blobs/"+serves {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(p.Close)
	return p
}

// blobsWith returns a peerBlobs on a fresh store holding bundle, the path
// of its file and its log.
func blobsWith(t *testing.T, peers ...*peer) (peerBlobs, string, string, *syncbuf.Buffer) {
	t.Helper()
	dir := t.TempDir()
	st, err := blob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	id, err := st.Put(bundle)
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, p := range peers {
		urls = append(urls, p.URL)
	}
	logs := &syncbuf.Buffer{}
	pb := newPeerBlobs(st, urls, slog.New(slog.NewTextHandler(logs, nil)))
	return pb, id, filepath.Join(dir, id[len("bafkrei"):len("bafkrei")+2], id), logs
}

// damages are the ways a stored bundle's file gets damaged.
var damages = []struct {
	name   string
	damage func([]byte) []byte
}{
	{"flipped byte", func(b []byte) []byte { b = bytes.Clone(b); b[len(b)/2] ^= 0x20; return b }},
	{"truncated", func(b []byte) []byte { return b[:len(b)-5] }},
	{"emptied", func([]byte) []byte { return nil }},
	{"garbage appended", func(b []byte) []byte { return append(bytes.Clone(b), "\x00junk"...) }},
}

// wantFile checks that path holds exactly want and that no temporary file
// of a write is left beside it.
func wantFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("stored file: %q, %v; want %q", got, err, want)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".put-*"))
	if len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// TestBlobsUndamaged: a good stored bundle is read locally, without asking
// a peer or logging anything.
func TestBlobsUndamaged(t *testing.T) {
	p := newPeer(t, "", nil)
	pb, id, _, logs := blobsWith(t, p)
	for range 3 {
		if b, err := pb.Get(id); err != nil || !bytes.Equal(b, bundle) {
			t.Fatalf("get: %q, %v", b, err)
		}
	}
	if p.hits.Load() != 0 || logs.String() != "" {
		t.Fatalf("peer asked %d times, logs %q; want neither", p.hits.Load(), logs)
	}
}

// TestBlobsRepairFromPeer: a damaged stored bundle is replaced with a
// peer's copy, verified, and the call gets the right bytes; a peer that
// lacks it or lies is skipped, and what a liar sent is not stored.
func TestBlobsRepairFromPeer(t *testing.T) {
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			id := blobcid.Of(bundle)
			lie := []byte("var __cove_agent = { default: { fetch() { return new Response('evil'); } } };")
			without, liar, good := newPeer(t, id, nil), newPeer(t, id, lie), newPeer(t, id, bundle)
			pb, _, path, logs := blobsWith(t, without, liar, good)
			filefault.Rewrite(t, path, d.damage)
			b, err := pb.Get(id)
			if err != nil || !bytes.Equal(b, bundle) {
				t.Fatalf("get a damaged bundle a peer has: %q, %v", b, err)
			}
			wantFile(t, path, bundle)
			if without.hits.Load() != 1 || liar.hits.Load() != 1 || good.hits.Load() != 1 {
				t.Fatalf("peers asked %d, %d, %d times; want once each", without.hits.Load(), liar.hits.Load(), good.hits.Load())
			}
			if pb.local.Has(blobcid.Of(lie)) {
				t.Fatal("the liar's bytes were stored")
			}
			if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, good.URL) || strings.Contains(l, "level=ERROR") {
				t.Fatalf("logs %q; want one warning naming the peer", l)
			}
			// Repaired: the next read is local.
			if b, err := pb.Get(id); err != nil || !bytes.Equal(b, bundle) || good.hits.Load() != 1 {
				t.Fatalf("get after the repair: %q, %v, peer asked %d times", b, err, good.hits.Load())
			}
		})
	}
}

// TestBlobsDamagedNowhere: a damaged bundle no peer has is an error
// wrapping blob.ErrCorrupt, the damaged file is not replaced with anything
// unverified, the damage is logged at ERROR once however many calls meet
// it, and an upload of the bundle heals it (logged) so that a new damage is
// logged again.
func TestBlobsDamagedNowhere(t *testing.T) {
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			id := blobcid.Of(bundle)
			liar := newPeer(t, id, []byte("not it"))
			pb, _, path, logs := blobsWith(t, liar)
			filefault.Rewrite(t, path, d.damage)
			damaged, _ := os.ReadFile(path)
			for i := range 3 {
				b, err := pb.Get(id)
				if !errors.Is(err, blob.ErrCorrupt) || b != nil {
					t.Fatalf("get %d: %q, %v; want blob.ErrCorrupt", i, b, err)
				}
			}
			wantFile(t, path, damaged)
			if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
				t.Fatalf("%d errors logged over 3 calls, want 1: %s", n, logs)
			}
			if _, err := pb.local.Put(bundle); err != nil {
				t.Fatal(err)
			}
			if b, err := pb.Get(id); err != nil || !bytes.Equal(b, bundle) {
				t.Fatalf("get after an upload: %q, %v", b, err)
			}
			if !strings.Contains(logs.String(), "damaged bundle replaced") {
				t.Fatalf("the repair was not logged: %s", logs)
			}
			filefault.Rewrite(t, path, d.damage)
			pb.misses = &missCache{} // as after missTTL
			if _, err := pb.Get(id); !errors.Is(err, blob.ErrCorrupt) {
				t.Fatalf("get after a second damage: %v", err)
			}
			if n := strings.Count(logs.String(), "level=ERROR"); n != 2 {
				t.Fatalf("%d errors logged after a second damage, want 2: %s", n, logs)
			}
		})
	}
}

// TestBlobsNoPeers: without peers a damaged bundle is blob.ErrCorrupt and a
// missing one blob.ErrNotFound.
func TestBlobsNoPeers(t *testing.T) {
	pb, id, path, _ := blobsWith(t)
	filefault.Rewrite(t, path, damages[0].damage)
	if _, err := pb.Get(id); !errors.Is(err, blob.ErrCorrupt) {
		t.Fatalf("damaged: %v, want blob.ErrCorrupt", err)
	}
	if _, err := pb.Get(blobcid.Of([]byte("never stored"))); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("missing: %v, want blob.ErrNotFound", err)
	}
}
