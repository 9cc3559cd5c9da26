package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
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
}

func (p peerBlobs) Get(cid string) ([]byte, error) {
	b, err := p.local.Get(cid)
	if err == nil || !errors.Is(err, blob.ErrNotFound) || len(p.peers) == 0 {
		return b, err
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
	return nil, fmt.Errorf("%w (also not on any of %d peers)", err, len(p.peers))
}

func (p peerBlobs) fetch(peer, cid string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
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
