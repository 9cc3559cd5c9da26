package gateway

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
)

// Chain is the ledger as the gateway sees it: committed state and a way to
// submit transactions.
type Chain interface {
	// View reads the committed state.
	View() chain.View
	// Name returns the network's name (CometBFT's chain id, "cove-dev").
	Name() string
	// Broadcast submits a signed transaction and waits for its block.
	Broadcast(ctx context.Context, tx []byte) (chain.TxOutcome, error)
}

func (s *Server) handleChainStatus(w http.ResponseWriter, r *http.Request) {
	v := s.chain.View()
	head := v.Head()
	writeJSON(w, http.StatusOK, api.ChainStatus{
		ChainID: s.chain.Name(), NumericChainID: v.ChainID(),
		Height: head.Height, AppHash: "0x" + hex.EncodeToString(head.AppHash),
	})
}

// chainParams is the answer of GET /v1/chain/params.
type chainParams struct {
	// Development is true on a development chain (its genesis says so):
	// its TEE policy may admit the INSECURE simulated TEE.
	Development bool         `json:"development"`
	Params      chain.Params `json:"params"`
	// PendingTEEPolicy is a TEE policy change waiting for its delay, so
	// that gatekeepers' operators and users can see it coming; null when
	// none is.
	PendingTEEPolicy *chain.PendingTEEPolicy `json:"pending_tee_policy"`
}

func (s *Server) handleChainParams(w http.ResponseWriter, r *http.Request) {
	v := s.chain.View()
	out := chainParams{Development: v.Development(), Params: v.Params()}
	if p, ok := v.PendingTEEPolicy(); ok {
		out.PendingTEEPolicy = &p
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleChainAccount(w http.ResponseWriter, r *http.Request) {
	addr, err := cove.ParseAddress(r.PathValue("addr"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_address", "address: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.chain.View().Account(addr))
}

func (s *Server) handleChainAgent(w http.ResponseWriter, r *http.Request) {
	a, ok := s.agentFromPath(w, r)
	if !ok {
		return
	}
	rec, err := s.chain.View().Agent(a.ID)
	if err != nil {
		writeError(w, http.StatusNotFound, "agent_not_found", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) handleChainAgents(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"agents": s.chain.View().Agents()})
}

func (s *Server) handleChainWorkers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"workers": s.chain.View().Workers()})
}

func (s *Server) handleChainGatekeepers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"gatekeepers": s.chain.View().Gatekeepers()})
}

// handleChainKeys lists the key epochs: {"epochs":[{"epoch","publicKey",
// "publishedBy","height","time"}]}, oldest first; the last is what new
// secrets are sealed to.
func (s *Server) handleChainKeys(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"epochs": s.chain.View().Epochs()})
}

// handleChainProvisions lists what gatekeepers sealed to one worker or
// gatekeeper id (ciphertext only).
func (s *Server) handleChainProvisions(w http.ResponseWriter, r *http.Request) {
	id, err := cove.ParseHash(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_id", "id: "+err.Error())
		return
	}
	// An id is registered in one role only, so at most one list is not
	// empty.
	v := s.chain.View()
	ps := append(v.Provisions(chain.ProvisionKindWorker, id), v.Provisions(chain.ProvisionKindGatekeeper, id)...)
	if ps == nil {
		ps = []chain.ProvisionRecord{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"provisions": ps})
}

// handleChainTx submits a signed transaction (the JSON of package chain) and
// answers once it is in a block. A refused transaction is 400 with its code.
func (s *Server) handleChainTx(w http.ResponseWriter, r *http.Request) {
	tx, err := io.ReadAll(io.LimitReader(r.Body, chain.MaxTxBytes+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "read transaction: "+err.Error())
		return
	}
	if len(tx) > chain.MaxTxBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "tx_too_large", fmt.Sprintf("a transaction is at most %d bytes", chain.MaxTxBytes))
		return
	}
	if _, err := chain.Decode(tx); err != nil {
		writeError(w, http.StatusBadRequest, "malformed_tx", err.Error())
		return
	}
	out, err := s.chain.Broadcast(r.Context(), tx)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		s.log.Error("broadcast tx", "err", err)
		writeError(w, http.StatusServiceUnavailable, "broadcast_failed", "the transaction could not be submitted: "+err.Error())
		return
	}
	status := http.StatusOK
	if out.Code != 0 {
		status = http.StatusBadRequest
	}
	b, _ := json.Marshal(out)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
