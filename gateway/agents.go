package gateway

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/ethsig"
)

func (s *Server) view(r *http.Request, a cove.Agent) api.AgentView {
	if a.Attestor.IsZero() {
		// Until a gatekeeper publishes it on chain, the local key service
		// derives it.
		a.Attestor = s.keys.Attestor(a.ID)
	}
	return api.AgentView{
		ID: a.ID, Name: a.Name, Owner: a.Owner, CID: a.CID, CodeHash: a.CodeHash,
		Attestor: a.Attestor, Signer: a.Attestor, Version: a.Version,
		URL:        s.baseURL(r) + "/agents/" + a.ID.String(),
		HasSecrets: len(a.Secrets) > 0, CreatedAt: a.CreatedAt,
	}
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
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10000 {
			writeError(w, http.StatusBadRequest, "bad_limit", "limit must be a number from 0 to 10000")
			return
		}
		limit = n
	}
	if status, code, msg := checkOwner(r, a, time.Now()); status != 0 {
		writeError(w, status, code, msg)
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

// checkOwner allows a request signed by the agent's owner: invocation logs
// hold the agent's console output and its callers' paths, which may carry
// secrets. It returns a zero status when allowed.
func checkOwner(r *http.Request, a cove.Agent, now time.Time) (int, string, string) {
	h := r.Header.Get(api.HeaderAuth)
	if h == "" {
		return http.StatusUnauthorized, "auth_required", "only the agent's owner may read its logs: use `cove agent logs ID --from OWNER`, or send a " + api.HeaderAuth + " header (docs/PROTOCOL.md)"
	}
	expStr, sigStr, ok := strings.Cut(h, " ")
	exp, err := strconv.ParseUint(expStr, 10, 64)
	if !ok || err != nil || exp > uint64(math.MaxInt64) {
		return http.StatusUnauthorized, "bad_auth", api.HeaderAuth + " must be \"EXPIRY 0xSIGNATURE\""
	}
	if t := time.Unix(int64(exp), 0); !t.After(now) || t.After(now.Add(api.MaxAuthLifetime)) {
		return http.StatusUnauthorized, "bad_auth", "the " + api.HeaderAuth + " signature has expired or expires more than an hour ahead; sign a fresh one"
	}
	sig, err := hex.DecodeString(strings.TrimPrefix(sigStr, "0x"))
	if err != nil || len(sig) != 65 || (sig[64] != 27 && sig[64] != 28) {
		return http.StatusUnauthorized, "bad_auth", api.HeaderAuth + " signature must be 0x + 65 bytes r‖s‖v with v 27 or 28"
	}
	signer, err := ethsig.Recover(cove.LogsAuthDigest(a.ID, exp), [65]byte(sig))
	if err != nil {
		return http.StatusUnauthorized, "bad_auth", "the " + api.HeaderAuth + " signature does not recover a key: " + ethsig.Reason(err)
	}
	if signer != a.Owner {
		return http.StatusForbidden, "not_owner", fmt.Sprintf("only the agent's owner %s may read its logs", a.Owner)
	}
	return 0, "", ""
}
