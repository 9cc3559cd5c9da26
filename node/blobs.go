package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/cove-network/cove/blob"
)

// peerBlobs reads bundles from the local store and, for one it lacks, from
// the gateways of peer nodes, keeping a verified copy: agents deployed
// through any node run on every node.
type peerBlobs struct {
	local  *blob.Store
	peers  []string // gateway base URLs
	client *http.Client
	misses *missCache
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

func (p peerBlobs) Get(cid string) ([]byte, error) {
	b, err := p.local.Get(cid)
	if err == nil || !errors.Is(err, blob.ErrNotFound) || len(p.peers) == 0 {
		return b, err
	}
	if p.misses != nil && p.misses.recent(cid) {
		return nil, fmt.Errorf("%w (none of %d peers had it moments ago)", err, len(p.peers))
	}
	for _, peer := range p.peers {
		b, ferr := p.fetch(peer, cid)
		if ferr != nil {
			continue
		}
		// Put recomputes the CID: a peer cannot hand us other bytes.
		got, perr := p.local.Put(b)
		if perr != nil || got != cid {
			continue
		}
		return b, nil
	}
	if p.misses != nil {
		p.misses.add(cid)
	}
	return nil, fmt.Errorf("%w (also not on any of %d peers)", err, len(p.peers))
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
