package gateway

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
)

func (s *Server) view(r *http.Request, a cove.Agent) api.AgentView {
	if a.Attestor.IsZero() {
		// Until a gatekeeper publishes it on chain, the local key service
		// derives it.
		a.Attestor = s.keys.Attestor(a.ID)
	}
	v := api.AgentView{
		ID: a.ID, Name: a.Name, Owner: a.Owner, CID: a.CID, CodeHash: a.CodeHash,
		Attestor: a.Attestor, Signer: a.Attestor, KeyEpoch: a.KeyEpoch, Version: a.Version,
		URL:        s.baseURL(r) + "/agents/" + a.ID.String(),
		HasSecrets: len(a.Secrets) > 0, Isolation: a.Isolation, CreatedAt: a.CreatedAt,
	}
	if a.Price != nil {
		v.Price = a.Price.String()
	}
	v.FreeTier = a.FreeTier
	if len(a.AttestorGrant) > 0 {
		v.AttestorGrant = "0x" + hex.EncodeToString(a.AttestorGrant)
	}
	return v
}

func (s *Server) handleListAgents(w http.ResponseWriter, r *http.Request) {
	recs := s.chain.View().Agents()
	out := make([]api.AgentView, 0, len(recs))
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
	if s.logs == nil {
		writeError(w, http.StatusNotImplemented, "logs_not_here",
			"this gateway runs no worker: an agent's logs are kept, sealed, by the workers that ran its calls; read them through a gateway on a node with a worker")
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
	if err := s.checkOwner(r, a, time.Now(), "read its logs"); err != nil {
		writeError(w, err.status, err.code, err.message)
		return
	}
	follow := r.URL.Query().Get("follow") == "1" || r.URL.Query().Get("follow") == "true"
	var live <-chan cove.Invocation
	if follow { // subscribe before reading the backlog so nothing falls between
		live = s.logs.Follow(r.Context(), a.ID)
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	seen := map[string]bool{}
	if limit > 0 {
		for _, e := range s.logs.Logs(a.ID, limit) {
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

// checkOwner allows a request authorized by the agent's owner (a Cove-Auth
// header, see checkAuth) to do what: invocation logs hold the agent's
// console output and its callers' paths, which may carry secrets;
// vouchers are the owner's to redeem. It returns nil when allowed, having
// used up the header's nonce.
func (s *Server) checkOwner(r *http.Request, a cove.Agent, now time.Time, what string) *authError {
	signer, auth, aerr := s.checkAuth(r, now)
	if aerr != nil {
		return aerr
	}
	if signer != a.Owner {
		return refuse(http.StatusForbidden, "not_owner", "only the agent's owner %s may %s; the %s is signed by %s", a.Owner, what, api.HeaderAuth, signer)
	}
	return s.useNonce(signer, auth, now)
}
