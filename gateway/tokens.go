package gateway

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
)

// Agent tokens and DAOs (issue 11, ADR 24): read-only views of the
// chain's records, for `cove token show`, `cove dao show` and the
// explorer.

// handleChainAgentToken answers GET /v1/chain/agents/{id}/token
// [?holder=ADDRESS]: the agent's token, its price and reserve now, its
// treasury, and the holder's holding when asked for.
func (s *Server) handleChainAgentToken(w http.ResponseWriter, r *http.Request) {
	a, ok := s.agentFromPath(w, r)
	if !ok {
		return
	}
	var holder cove.Address
	if q := r.URL.Query().Get("holder"); q != "" {
		var err error
		if holder, err = cove.ParseAddress(q); err != nil {
			writeError(w, http.StatusBadRequest, "bad_address", "holder: "+err.Error())
			return
		}
	}
	t, err := s.chain.View().TokenState(a.ID, holder)
	if errors.Is(err, cove.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no_token", fmt.Sprintf("agent %s has no token (its owner launches one: `cove token launch`)", a.ID))
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// handleChainDAO answers GET /v1/chain/daos/{id}, id an agent's: the
// agent's DAO, its treasury and every proposal's state.
func (s *Server) handleChainDAO(w http.ResponseWriter, r *http.Request) {
	a, ok := s.agentFromPath(w, r)
	if !ok {
		return
	}
	d, err := s.chain.View().DAOState(a.ID)
	if err != nil {
		writeError(w, http.StatusNotFound, "no_dao", fmt.Sprintf("agent %s has no DAO (its owner hands it over: `cove dao transfer`)", a.ID))
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// handleChainProposal answers GET /v1/chain/proposals/{id}: the proposal
// and where it stands.
func (s *Server) handleChainProposal(w http.ResponseWriter, r *http.Request) {
	id, ok := numericID(w, r, "proposal")
	if !ok {
		return
	}
	p, err := s.chain.View().ProposalState(id)
	if err != nil {
		writeError(w, http.StatusNotFound, "proposal_not_found", fmt.Sprintf("proposal %d does not exist", id))
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// isDAOAgent reports whether the agent belongs to its DAO: its vouchers
// are then anyone's to redeem, to its treasury.
func isDAOAgent(a cove.Agent) bool { return a.Owner == chain.AgentTreasury(a.ID) }
