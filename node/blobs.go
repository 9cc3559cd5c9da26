package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/cove-network/cove/blob"
	blobcid "github.com/cove-network/cove/blob/cid"
)

// peerBlobs reads bundles from the local store and, for one it lacks or
// whose stored copy is damaged, from the gateways of peer nodes, keeping a
// verified copy: agents deployed through any node run on every node, and a
// damaged bundle heals itself when a peer holds it.
type peerBlobs struct {
	local   *blob.Store
	peers   []string // gateway base URLs
	client  *http.Client
	log     *slog.Logger
	misses  *missCache
	damaged *damageLog
}

func newPeerBlobs(local *blob.Store, peers []string, log *slog.Logger) peerBlobs {
	return peerBlobs{local: local, peers: peers, client: &http.Client{}, log: log,
		misses: &missCache{}, damaged: &damageLog{}}
}

// missCache remembers bundles no peer had for a while, so calls to an agent
// whose code is nowhere do not each wait on every peer.
type missCache struct {
	mu sync.Mutex
	at map[string]time.Time
}

const missTTL = 10 * time.Second

func (m *missCache) recent(cid string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.at[cid]
	return ok && time.Since(t) < missTTL
}

func (m *missCache) add(cid string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.at == nil || len(m.at) > 4096 {
		m.at = map[string]time.Time{}
	}
	m.at[cid] = time.Now()
}

// damageLog is the set of bundles whose stored copy is damaged and that no
// peer could replace: the damage is logged at ERROR when it is found, not
// again on every call that meets it, and once more (at INFO) when a good
// copy is back.
type damageLog struct {
	mu  sync.Mutex
	set map[string]bool
}

// add records cid as damaged and reports whether it was not already.
func (d *damageLog) add(cid string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.set[cid] {
		return false
	}
	if d.set == nil || len(d.set) > 4096 {
		d.set = map[string]bool{}
	}
	d.set[cid] = true
	return true
}

// remove forgets cid and reports whether it was recorded as damaged.
func (d *damageLog) remove(cid string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.set[cid] {
		return false
	}
	delete(d.set, cid)
	return true
}

// Get returns the bundle whose CID is cid. A bundle missing from the local
// store, or whose stored bytes no longer match cid (blob.ErrCorrupt), is
// fetched from the peers; the first copy that hashes to cid replaces the
// local file atomically (blob.Store.Put), and nothing unverified is kept or
// returned. Without a good copy the error wraps blob.ErrNotFound or
// blob.ErrCorrupt.
func (p peerBlobs) Get(cid string) ([]byte, error) {
	b, err := p.local.Get(cid)
	if err == nil {
		if p.damaged.remove(cid) {
			p.log.Info("damaged bundle replaced", "cid", cid)
		}
		return b, nil
	}
	corrupt := errors.Is(err, blob.ErrCorrupt)
	if !corrupt && !errors.Is(err, blob.ErrNotFound) {
		return nil, err
	}
	b, peer, ferr := p.fromPeers(cid)
	if ferr == nil {
		if corrupt {
			p.damaged.remove(cid)
			p.log.Warn("damaged bundle replaced with a verified copy from a peer", "cid", cid, "peer", peer)
		}
		return b, nil
	}
	if corrupt && p.damaged.add(cid) {
		// Once per damage: every call to the agent meets it until a good
		// copy is uploaded or a peer gets one.
		p.log.Error("stored bundle is damaged and no peer has a good copy; its agents cannot run here until it is uploaded again",
			"cid", cid, "err", err, "peers", ferr)
	}
	return nil, fmt.Errorf("%w (%w)", err, ferr)
}

// errNoPeer is why fromPeers found no copy.
var errNoPeer = errors.New("no peer had it")

// fromPeers fetches cid from the first peer that has it, stores it and
// returns it with that peer.
func (p peerBlobs) fromPeers(cid string) ([]byte, string, error) {
	if len(p.peers) == 0 {
		return nil, "", fmt.Errorf("%w: this node has no blob peers", errNoPeer)
	}
	if p.misses.recent(cid) {
		return nil, "", fmt.Errorf("%w: none of %d peers had it moments ago", errNoPeer, len(p.peers))
	}
	for _, peer := range p.peers {
		b, ferr := p.fetch(peer, cid)
		if ferr != nil {
			continue
		}
		// Only bytes that hash to cid are stored: a lying peer can neither
		// hand us other code nor fill the store with other blobs.
		if blobcid.Of(b) != cid {
			continue
		}
		if _, err := p.local.Put(b); err != nil {
			continue
		}
		return b, peer, nil
	}
	p.misses.add(cid)
	return nil, "", fmt.Errorf("%w: not on any of %d peers", errNoPeer, len(p.peers))
}

func (p peerBlobs) fetch(peer, cid string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, peer+"/v1/blobs/"+cid, nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("peer %s: %s", peer, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 64<<20))
}
