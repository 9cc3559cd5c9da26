package gateway

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/blob"
	"github.com/cove-network/cove/secret"
)

// DeployRequest is the body of POST /v1/agents.
//
// In this release deployment is not authenticated: the owner is whatever the
// client says (the zero address by default). The chain issue replaces this
// endpoint's effect with a DeployAgent transaction signed by the owner.
type DeployRequest struct {
	CID   string       `json:"cid"`
	Name  string       `json:"name,omitempty"`
	Salt  cove.Hash    `json:"salt"`
	Owner cove.Address `json:"owner"`
	// Secrets is a sealed secret envelope (package secret), base64 in JSON.
	Secrets []byte `json:"secrets,omitempty"`
}

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
	return AgentView{
		ID: a.ID, Name: a.Name, Owner: a.Owner, CID: a.CID, CodeHash: a.CodeHash,
		Attestor: a.Attestor, Signer: a.Attestor, Version: a.Version,
		URL:        s.baseURL(r) + "/agents/" + a.ID.String(),
		HasSecrets: len(a.Secrets) > 0, CreatedAt: a.CreatedAt,
	}
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func (s *Server) handleDeploy(w http.ResponseWriter, r *http.Request) {
	var req DeployRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "the deploy request is not valid JSON {cid, name, salt, owner, secrets}: "+err.Error())
		return
	}
	if req.Name != "" && !validName.MatchString(req.Name) {
		writeError(w, http.StatusBadRequest, "bad_name", fmt.Sprintf("agent name %q: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", truncate(req.Name, 80)))
		return
	}
	codeHash, err := blob.ParseCID(req.CID)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_cid", "cid: "+err.Error())
		return
	}
	if !s.blobs.Has(req.CID) {
		writeError(w, http.StatusNotFound, "bundle_not_found", fmt.Sprintf("no bundle %s is stored; upload it first with PUT /v1/blobs (`cove agent deploy` does both)", req.CID))
		return
	}
	if len(req.Secrets) > 0 {
		if _, err := secret.Epoch(req.Secrets); err != nil {
			writeError(w, http.StatusBadRequest, "bad_secrets", "secrets must be a sealed envelope made with the cluster key from GET /v1/keys: "+err.Error())
			return
		}
	}
	id := cove.DeriveAgentID(req.Owner, codeHash, req.Salt)
	a := cove.Agent{
		ID: id, Owner: req.Owner, Name: req.Name, CID: req.CID, CodeHash: codeHash, Salt: req.Salt,
		Attestor: s.keys.Attestor(id), Version: 1, Secrets: req.Secrets, CreatedAt: time.Now().UTC().Truncate(time.Second),
	}
	if existing, err := s.registry.Get(id); err == nil {
		if string(existing.Secrets) == string(a.Secrets) && existing.Name == a.Name {
			writeJSON(w, http.StatusOK, s.view(r, existing)) // an idempotent retry
			return
		}
		writeError(w, http.StatusConflict, "agent_exists", fmt.Sprintf("agent %s (this owner, code and salt) is already deployed with other settings; deploy with another salt", id))
		return
	}
	if err := s.workers.Prepare(r.Context(), a); err != nil {
		s.log.Info("deploy refused", "agent", id, "err", err)
		writeError(w, http.StatusUnprocessableEntity, "agent_invalid", "the agent cannot run: "+err.Error())
		return
	}
	if err := s.registry.Put(a); err != nil {
		if errors.Is(err, cove.ErrExists) {
			writeError(w, http.StatusConflict, "agent_exists", fmt.Sprintf("agent %s was deployed concurrently; deploy with another salt", id))
			return
		}
		s.log.Error("record agent", "agent", id, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not record the deployment")
		return
	}
	s.log.Info("agent deployed", "agent", id, "name", a.Name, "cid", a.CID)
	writeJSON(w, http.StatusCreated, s.view(r, a))
}

func (s *Server) handleListAgents(w http.ResponseWriter, r *http.Request) {
	agents, err := s.registry.List()
	if err != nil {
		s.log.Error("list agents", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not read the agent registry")
		return
	}
	out := make([]AgentView, 0, len(agents))
	for _, a := range agents {
		out = append(out, s.view(r, a))
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
