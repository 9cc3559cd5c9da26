package api

import (
	"encoding/hex"

	"github.com/cove-network/cove"
)

// The AI API's wire types and the rules a verifier of its answers needs
// (the service is package worker/ai; ADR 19, docs/PROTOCOL.md "AI API").

// AIKey is POST /v1/ai/keys's answer: a new API key of the AI API, shown
// only this once, and the account it is metered to.
type AIKey struct {
	Key     string       `json:"key"`
	Account cove.Address `json:"account"`
}

// AIUsage is GET /v1/ai/usage's answer for the API key of the request.
type AIUsage struct {
	Account     cove.Address `json:"account"`
	Day         string       `json:"day"` // UTC, 2006-01-02
	TokensToday int64        `json:"tokens_today"`
	// QuotaPerDay is the free tier per UTC day; -1 means none.
	QuotaPerDay int64 `json:"quota_per_day"`
	TokensTotal int64 `json:"tokens_total"`
	Requests    int64 `json:"requests"`
}

// AIReport is GET /v1/attestation/report's answer (vllm-proxy's fields,
// and Cove's): a fresh quote of the worker's TEE whose report data is
// AIReportData(signing address, the caller's nonce).
type AIReport struct {
	SigningAddress string `json:"signing_address"`
	SigningAlgo    string `json:"signing_algo"` // "ecdsa"
	RequestNonce   string `json:"request_nonce"`
	ReportData     string `json:"report_data"` // hex, 64 bytes
	Quote          string `json:"quote"`       // hex
	// IntelQuote repeats Quote on TDX, where vllm-proxy's verifiers look.
	IntelQuote string `json:"intel_quote,omitempty"`
	TEE        string `json:"tee"` // "sim", "tdx"
	// Measurement is the worker's, which AI receipts name as their code
	// hash (hex).
	Measurement string `json:"measurement"`
}

// AISignature is GET /v1/signature/{chat_id}'s answer (vllm-proxy's
// format): Signature is EIP-191 (personal_sign) of Text by
// SigningAddress, Text = AISignatureText(request body, SHA-256 of the
// response bytes).
type AISignature struct {
	Text           string `json:"text"`
	Signature      string `json:"signature"`
	SigningAddress string `json:"signing_address"`
	SigningAlgo    string `json:"signing_algo"`
}

// AIAgentID is the agent id an AI answer's receipt names for a provider:
// SHA-256 of "cove/ai/v1\x00" and the provider's name (the empty name for
// answers no provider made: models, reports, refusals). No deployed agent
// has such an id (those are Keccak-256 of an owner, a code hash and a
// salt).
func AIAgentID(provider string) cove.AgentID {
	return cove.AgentID(cove.SHA256([]byte("cove/ai/v1\x00" + provider)))
}

// AIReportData is the report data an attestation report's quote binds:
// the signing address right-padded with zeros to 32 bytes, then the
// nonce (vllm-proxy's layout).
func AIReportData(addr cove.Address, nonce [32]byte) [64]byte {
	var rd [64]byte
	copy(rd[:20], addr[:])
	copy(rd[32:], nonce[:])
	return rd
}

// AISignatureText is what the vllm-proxy signature signs:
// sha256_hex(request body) ":" sha256_hex(response bytes), the response
// given by its SHA-256 (of the whole SSE stream for a stream).
func AISignatureText(request []byte, response cove.Hash) string {
	rq := cove.SHA256(request)
	return hex.EncodeToString(rq[:]) + ":" + hex.EncodeToString(response[:])
}
