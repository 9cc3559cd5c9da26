package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
)

// AI is the confidential AI service the gateway serves under /v1 (the
// worker's, package worker/ai; ADR 19): OpenAI-compatible routes whose
// answers are signed inside the worker.
type AI interface {
	// Serve answers one request (Path starting /v1/), signed; an error
	// only when the caller went away.
	Serve(ctx context.Context, c cove.Call) (*cove.Response, error)
	// NewKey makes an API key for account, shown once.
	NewKey(account cove.Address) (string, error)
}

// SetAI serves a's API under /v1; call it before Run. Without it those
// routes answer 404 ai_not_served.
func (s *Server) SetAI(a AI) { s.ai = a }

// aiRoutes are the AI API's routes (without methods: the service answers
// a wrong method in OpenAI's error shape).
var aiRoutes = []string{
	"/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/models",
	"/v1/signature/{chat_id}", "/v1/attestation/report", "/v1/ai/receipts/{id}", "/v1/ai/usage",
}

// handleAI passes a request to the AI service as a cove.Call, as
// serveCall does for agents: the body and Authorization (the API key)
// are read only inside the worker.
func (s *Server) handleAI(w http.ResponseWriter, r *http.Request) {
	if s.ai == nil {
		writeAIError(w, http.StatusNotFound, "ai_not_served", "this node serves no AI API")
		return
	}
	body, status, berr := s.readBody(w, r)
	if berr != nil {
		writeAIError(w, status, berr.code, berr.msg)
		return
	}
	header := r.Header.Clone()
	api.StripReserved(header)
	target := r.URL.RequestURI()
	resp, err := s.ai.Serve(r.Context(), cove.Call{
		Method: r.Method, Path: target, URL: origin(r) + target, Host: r.Host, Header: cove.Header(header), Body: body,
	})
	if err != nil {
		if r.Context().Err() == nil {
			s.log.Error("ai", "err", err)
			writeAIError(w, http.StatusInternalServerError, "internal", "the AI service failed")
		}
		return
	}
	s.writeSigned(w, r, resp, "ai")
}

// handleAIKey makes an API key for the account whose Cove-Auth signs the
// request (`cove ai key new --from ACCOUNT`).
func (s *Server) handleAIKey(w http.ResponseWriter, r *http.Request) {
	if s.ai == nil {
		writeAIError(w, http.StatusNotFound, "ai_not_served", "this node serves no AI API")
		return
	}
	now := time.Now()
	signer, auth, aerr := s.checkAuth(r, now)
	if aerr == nil {
		aerr = s.useNonce(signer, auth, now)
	}
	if aerr != nil {
		writeAIError(w, aerr.status, aerr.code, aerr.message)
		return
	}
	// A key is for an account with standing on this chain (a balance, or
	// a transaction sent): fresh addresses cost nothing to make, and each
	// account has its own free tier.
	if acct := s.chain.View().Account(signer); acct.Balance.Sign() == 0 && acct.Nonce == 0 {
		writeAIError(w, http.StatusForbidden, "account_unfunded",
			fmt.Sprintf("account %s has no balance and has sent no transaction on this chain; API keys are for accounts with standing: fund it first", signer))
		return
	}
	key, err := s.ai.NewKey(signer)
	var ce *cove.Error
	if errors.As(err, &ce) {
		writeAIError(w, ce.Status, ce.Code, ce.Message)
		return
	}
	if err != nil {
		s.log.Error("ai: make an API key", "err", err)
		writeAIError(w, http.StatusInternalServerError, "internal", "could not store the new key")
		return
	}
	writeJSON(w, http.StatusCreated, api.AIKey{Key: key, Account: signer})
}

// writeAIError is writeError with OpenAI's error type, so OpenAI clients
// read the gateway's own refusals too.
func writeAIError(w http.ResponseWriter, status int, code, msg string) {
	typ := "invalid_request_error"
	switch {
	case status == http.StatusUnauthorized:
		typ = "authentication_error"
	case status >= 500:
		typ = "api_error"
	}
	writeErrorTyped(w, status, code, msg, typ)
}
