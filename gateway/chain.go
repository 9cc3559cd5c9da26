package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
)

// Chain is the ledger as the gateway sees it: committed state and a way to
// submit transactions.
type Chain interface {
	// Status returns the chain's ids, height and app hash.
	Status() ChainStatus
	Account(addr cove.Address) chain.Account
	// Agent returns an error matching cove.ErrNotFound for an unknown id.
	Agent(id cove.AgentID) (chain.AgentRecord, error)
	Agents() []chain.AgentRecord
	Workers() []chain.WorkerRecord
	Gatekeepers() []chain.GatekeeperRecord
	// Epochs returns the published key epochs, oldest first.
	Epochs() []chain.EpochRecord
	// Provisions returns the sealed key material provisioned to a worker or
	// gatekeeper id, oldest epoch first.
	Provisions(recipient cove.Hash) []chain.ProvisionRecord
	// Broadcast submits a signed transaction and waits for its block.
	Broadcast(ctx context.Context, tx []byte) (TxOutcome, error)
}

// TxOutcome is the answer to POST /v1/chain/tx.
type TxOutcome struct {
	Hash   string        `json:"hash"`
	Height int64         `json:"height"`
	Code   uint32        `json:"code"`
	Log    string        `json:"log"`
	Events []chain.Event `json:"events,omitempty"`
}

// ChainStatus is GET /v1/chain/status.
type ChainStatus struct {
	ChainID string `json:"chain_id"` // CometBFT's chain id
	// NumericChainID is the EIP-712 domain chainId transactions are signed for.
	NumericChainID uint64 `json:"numeric_chain_id"`
	Height         int64  `json:"height"`
	AppHash        string `json:"app_hash"` // 0x-hex
}

func (s *Server) handleChainStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.chain.Status())
}

func (s *Server) handleChainAccount(w http.ResponseWriter, r *http.Request) {
	addr, err := cove.ParseAddress(r.PathValue("addr"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_address", "address: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.chain.Account(addr))
}

func (s *Server) handleChainAgent(w http.ResponseWriter, r *http.Request) {
	a, ok := s.agentFromPath(w, r)
	if !ok {
		return
	}
	rec, err := s.chain.Agent(a.ID)
	if err != nil {
		writeError(w, http.StatusNotFound, "agent_not_found", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) handleChainAgents(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"agents": s.chain.Agents()})
}

func (s *Server) handleChainWorkers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"workers": s.chain.Workers()})
}

func (s *Server) handleChainGatekeepers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"gatekeepers": s.chain.Gatekeepers()})
}

// handleChainKeys lists the key epochs: {"epochs":[{"epoch","publicKey",
// "publishedBy","height","time"}]}, oldest first; the last is what new
// secrets are sealed to.
func (s *Server) handleChainKeys(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"epochs": s.chain.Epochs()})
}

// handleChainProvisions lists what gatekeepers sealed to one worker or
// gatekeeper id (ciphertext only).
func (s *Server) handleChainProvisions(w http.ResponseWriter, r *http.Request) {
	id, err := cove.ParseHash(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_id", "id: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"provisions": s.chain.Provisions(id)})
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
