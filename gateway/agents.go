package gateway

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/cove-network/cove"
)

// AgentView is an agent as the API shows it.
type AgentView struct {
	ID         cove.AgentID `json:"id"`
	Name       string       `json:"name,omitempty"`
	Owner      cove.Address `json:"owner"`
	CID        string       `json:"cid"`
	CodeHash   cove.Hash    `json:"codeHash"`
	Attestor   cove.Address `json:"attestor"`
	Signer     cove.Address `json:"signer"` // the same as attestor: the Cove-Signer of every receipt
	Version    uint64       `json:"version"`
	URL        string       `json:"url"`
	HasSecrets bool         `json:"hasSecrets"`
	CreatedAt  time.Time    `json:"createdAt"`
}

func (s *Server) view(r *http.Request, a cove.Agent) AgentView {
	if a.Attestor.IsZero() {
		// Until a gatekeeper publishes it on chain, the local key service
		// derives it.
		a.Attestor = s.keys.Attestor(a.ID)
	}
	return AgentView{
		ID: a.ID, Name: a.Name, Owner: a.Owner, CID: a.CID, CodeHash: a.CodeHash,
		Attestor: a.Attestor, Signer: a.Attestor, Version: a.Version,
		URL:        s.baseURL(r) + "/agents/" + a.ID.String(),
		HasSecrets: len(a.Secrets) > 0, CreatedAt: a.CreatedAt,
	}
}

func (s *Server) handleListAgents(w http.ResponseWriter, r *http.Request) {
	recs := s.chain.Agents()
	out := make([]AgentView, 0, len(recs))
	for _, rec := range recs {
		out = append(out, s.view(r, rec.Agent()))
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": out})
}

func (s *Server) handleGetAgent(w http.ResponseWriter, r *http.Request) {
	a, ok := s.agentFromPath(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.view(r, a))
}

// handleLogs streams an agent's invocation log as NDJSON: the last `limit`
// invocations (default 100), then, with follow=1, new ones as they happen.
func (s *Server) handleLogs(w http.ResponseWriter, r *http.Request) {
	a, ok := s.agentFromPath(w, r)
	if !ok {
		return
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10000 {
			writeError(w, http.StatusBadRequest, "bad_limit", "limit must be a number from 0 to 10000")
			return
		}
		limit = n
	}
	follow := r.URL.Query().Get("follow") == "1" || r.URL.Query().Get("follow") == "true"
	var live <-chan cove.Invocation
	if follow { // subscribe before reading the backlog so nothing falls between
		live = s.workers.Follow(r.Context(), a.ID)
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	seen := map[string]bool{}
	if limit > 0 {
		for _, e := range s.workers.Logs(a.ID, limit) {
			seen[e.RequestID] = true
			enc.Encode(e)
		}
	}
	bw.Flush()
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	if !follow {
		return
	}
	for e := range live {
		if seen[e.RequestID] {
			continue
		}
		enc.Encode(e)
		bw.Flush()
		if flusher != nil {
			flusher.Flush()
		}
	}
}
