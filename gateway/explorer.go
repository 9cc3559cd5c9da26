package gateway

import (
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
)

// The explorer: a page served at /explorer/ (each thing at its own URL,
// /explorer/agents/{id}, /explorer/blocks/{height}, /explorer/tx/{hash},
// /explorer/workers/{id}, /explorer/accounts/{addr}, /explorer/pools/{id},
// /explorer/vaults/{id}), its assets embedded
// in the binary, reading the gateway's JSON API; and the parts of that API
// it needs that nothing else serves: recent blocks with transactions, a
// block with its transactions decoded, and an agent's recent calls through
// this gateway.

//go:embed explorer
var explorerFiles embed.FS

// explorerAssets is the explorer folder as the file system it serves.
var explorerAssets = func() fs.FS {
	sub, err := fs.Sub(explorerFiles, "explorer")
	if err != nil {
		panic(err) // the folder is embedded at build time
	}
	return sub
}()

// handleExplorer serves the explorer's page for every /explorer/ path (the
// page reads its URL) and its assets under /explorer/assets/.
func (s *Server) handleExplorer(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// The page loads only its own assets and talks only to this gateway.
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	if name, ok := strings.CutPrefix(r.URL.Path, "/explorer/assets/"); ok {
		http.ServeFileFS(w, r, explorerAssets, "assets/"+name)
		return
	}
	b, err := fs.ReadFile(explorerAssets, "index.html")
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "the explorer page is missing from this build")
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.Write(b)
}

// handleRoot sends browsers to the explorer and programs to the API's
// index.
func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		http.Redirect(w, r, "/explorer/", http.StatusFound)
		return
	}
	s.handleIndex(w, r)
}

// blockJSON is a block in the explorer's API.
type blockJSON struct {
	Height   int64       `json:"height"`
	Time     time.Time   `json:"time"`
	Hash     string      `json:"hash"`
	Proposer string      `json:"proposer"`
	NumTxs   int         `json:"numTxs"`
	Txs      []blockTxJS `json:"txs,omitempty"`
}

// blockTxJS is a transaction of a block, decoded.
type blockTxJS struct {
	Hash    string          `json:"hash"`
	Type    string          `json:"type,omitempty"`
	From    string          `json:"from,omitempty"`
	Nonce   uint64          `json:"nonce"`
	Code    uint32          `json:"code"`
	Log     string          `json:"log,omitempty"`
	Message json.RawMessage `json:"message,omitempty"`
	// Events are the transaction's events when it succeeded and this node
	// still knows them.
	Events []chain.Event `json:"events,omitempty"`
	// Error says why the bytes do not decode (never in a committed block
	// of a sound chain).
	Error string `json:"error,omitempty"`
}

// maxRecentBlocks bounds the recent blocks with transactions kept, and
// maxBlockScan the block metas read back per request when looking for them.
const (
	maxRecentBlocks = 50
	maxBlockScan    = 5000
)

// recentBlocks remembers the last blocks that hold transactions, scanning
// only the heights it has not seen.
type recentBlocks struct {
	mu      sync.Mutex
	scanned int64 // highest height scanned
	blocks  []chain.StoredBlock
}

// handleBlocks answers the latest blocks that hold transactions, newest
// first: {"height", "blocks":[…]}.
func (s *Server) handleBlocks(w http.ResponseWriter, r *http.Request) {
	limit := 20
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRecentBlocks {
			writeError(w, http.StatusBadRequest, "bad_limit", "limit must be a number from 1 to "+strconv.Itoa(maxRecentBlocks))
			return
		}
		limit = n
	}
	tip := s.chain.View().Height()
	rb := &s.recent
	rb.mu.Lock()
	from := max(rb.scanned+1, tip-maxBlockScan+1, 1)
	var found []chain.StoredBlock
	scannedTo, read := tip, false
	for h := tip; h >= from; h-- {
		m, err := s.chain.BlockMeta(h)
		if err != nil && !read {
			// The top is not in the store yet: scan it next time.
			scannedTo = h - 1
			continue
		}
		if err != nil {
			break // below what the store keeps
		}
		read = true
		if m.NumTxs > 0 {
			found = append(found, m)
			if len(found) >= maxRecentBlocks {
				break
			}
		}
	}
	rb.blocks = append(found, rb.blocks...)
	if len(rb.blocks) > maxRecentBlocks {
		rb.blocks = rb.blocks[:maxRecentBlocks]
	}
	rb.scanned = max(rb.scanned, scannedTo)
	out := make([]blockJSON, 0, limit)
	for _, b := range rb.blocks[:min(limit, len(rb.blocks))] {
		out = append(out, blockJSON{Height: b.Height, Time: b.Time, Hash: b.Hash, Proposer: b.Proposer, NumTxs: b.NumTxs})
	}
	rb.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"height": tip, "blocks": out})
}

// blockCache keeps decoded blocks (a committed block never changes) once
// every transaction's result is known.
type blockCache struct {
	mu     sync.Mutex
	blocks map[int64][]byte // the JSON answer
	order  []int64
}

// Bounds of the block cache: entries, and the size of one (a larger block
// is decoded per request).
const (
	blockCacheSize = 64
	maxCachedBlock = 1 << 20
)

func (c *blockCache) get(h int64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.blocks[h]
	return b, ok
}

func (c *blockCache) put(h int64, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.blocks == nil {
		c.blocks = map[int64][]byte{}
	}
	if _, ok := c.blocks[h]; ok {
		return
	}
	if len(c.order) >= blockCacheSize {
		delete(c.blocks, c.order[0])
		c.order = c.order[1:]
	}
	c.blocks[h] = b
	c.order = append(c.order, h)
}

// handleBlock answers one block with its transactions decoded (type,
// sender, nonce, message) and their results.
func (s *Server) handleBlock(w http.ResponseWriter, r *http.Request) {
	h, err := strconv.ParseInt(r.PathValue("height"), 10, 64)
	if err != nil || h < 1 {
		writeError(w, http.StatusBadRequest, "bad_height", "height must be a positive number")
		return
	}
	if b, ok := s.blockCache.get(h); ok {
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
		return
	}
	b, err := s.chain.Block(h)
	if errors.Is(err, cove.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no_such_height", err.Error())
		return
	}
	if err != nil {
		s.log.Error("read block", "height", h, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not read the block")
		return
	}
	chainID := s.chain.View().ChainID()
	out := blockJSON{Height: b.Height, Time: b.Time, Hash: b.Hash, Proposer: b.Proposer, NumTxs: b.NumTxs, Txs: []blockTxJS{}}
	complete := true
	for _, raw := range b.Txs {
		hash := chain.TxHash(raw)
		tj := blockTxJS{Hash: hash.String()}
		// The result of this block's copy of the transaction: the same
		// bytes in another block (a proposer's mistake) answer another
		// height.
		if st := s.chain.Tx(hash); st.State == chain.TxCommitted && st.Height == h {
			tj.Code, tj.Log, tj.Events = st.Code, st.Log, st.Events
		} else {
			complete = false
		}
		tx, err := chain.Decode(raw)
		if err != nil {
			tj.Error = err.Error()
			out.Txs = append(out.Txs, tj)
			continue
		}
		tj.Type, tj.Nonce = tx.Type(), tx.Nonce()
		if from, err := tx.Sender(chainID); err == nil {
			tj.From = from.String()
		}
		if m, err := tx.Msg.MarshalJSON(); err == nil {
			tj.Message = m
		}
		out.Txs = append(out.Txs, tj)
	}
	js, err := json.Marshal(out)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "encode the block")
		return
	}
	if complete && len(js) <= maxCachedBlock {
		s.blockCache.put(h, js)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(js)
}

// callRecord is one call through this gateway, as the explorer shows it:
// no content, only when, how it ended and where it ran.
type callRecord struct {
	Time       time.Time `json:"time"`
	Method     string    `json:"method"`
	Status     int       `json:"status"`
	DurationMS float64   `json:"durationMs"`
	RequestID  string    `json:"requestId,omitempty"`
	Worker     string    `json:"worker,omitempty"`
}

// recentCalls keeps the last calls of the agents called most recently.
type recentCalls struct {
	mu    sync.Mutex
	calls map[cove.AgentID][]callRecord
	order []cove.AgentID // least recently called first
}

// Bounds of the recent calls kept: per agent, and agents.
const (
	recentCallsPerAgent = 20
	recentCallAgents    = 1000
)

func (rc *recentCalls) add(id cove.AgentID, c callRecord) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.calls == nil {
		rc.calls = map[cove.AgentID][]callRecord{}
	}
	list, ok := rc.calls[id]
	if ok {
		for i, o := range rc.order {
			if o == id {
				rc.order = append(rc.order[:i], rc.order[i+1:]...)
				break
			}
		}
	} else if len(rc.order) >= recentCallAgents {
		delete(rc.calls, rc.order[0])
		rc.order = rc.order[1:]
	}
	rc.order = append(rc.order, id)
	list = append(list, c)
	if len(list) > recentCallsPerAgent {
		list = list[len(list)-recentCallsPerAgent:]
	}
	rc.calls[id] = list
}

func (rc *recentCalls) get(id cove.AgentID) []callRecord {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	list := rc.calls[id]
	out := make([]callRecord, len(list))
	for i, c := range list {
		out[len(list)-1-i] = c // newest first
	}
	return out
}

// handleAgentCalls answers an agent's recent calls through this gateway,
// newest first: {"calls":[{"time","method","status","durationMs","requestId","worker"}]}.
func (s *Server) handleAgentCalls(w http.ResponseWriter, r *http.Request) {
	a, ok := s.agentFromPath(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": s.calls.get(a.ID)})
}
