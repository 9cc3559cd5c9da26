package cove

import (
	"math/big"
	"time"
)

// Agent is a deployed agent as the roles use it: the chain's record
// (chain.AgentRecord) without its version history.
type Agent struct {
	ID       AgentID `json:"id"`
	Owner    Address `json:"owner"`
	Name     string  `json:"name,omitempty"`
	CID      string  `json:"cid"`      // CIDv1 (raw, sha2-256) of the bundle
	CodeHash Hash    `json:"codeHash"` // SHA-256 of the bundle
	Salt     Hash    `json:"salt"`
	Attestor Address `json:"attestor"` // signs the agent's receipts
	// KeyEpoch is the key epoch the agent's keys and attestor come from.
	KeyEpoch uint64 `json:"keyEpoch,omitempty"`
	// AttestorGrant is the EVM signer of KeyEpoch's signature of
	// AttestorGrantDigest(ID, Attestor, KeyEpoch), which EVM anchors
	// register the attestor with; empty until a gatekeeper publishes it.
	AttestorGrant []byte `json:"attestorGrant,omitempty"`
	Version       uint64 `json:"version"`
	// Secrets is the HPKE-sealed secret set (see package secret): opaque
	// ciphertext that only a holder of the cluster key opens. From a chain
	// View, it shares its bytes with the view's cache: never write into it.
	Secrets []byte `json:"secrets,omitempty"`
	// Isolation is IsolationAgent or IsolationRequest, chosen at
	// deployment.
	Isolation string `json:"isolation"`
	// Price is what one call costs in base units (10^18 per COVE), paid
	// with a voucher of a payment channel to the agent; nil: calls are
	// free.
	Price *big.Int `json:"price,omitempty"`
	// FreeTier is the calls of a priced agent callers make without
	// paying; nil: none.
	FreeTier  *FreeTier `json:"freeTier,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// FreeTier is an agent's free calls (issue 11): at most CallsPerDay in
// all each day (UTC) through a gateway, and at most PerCaller of them by
// one caller (0: no bound per caller), a caller being the account that
// signs a Cove-Auth for the call, or else the caller's IP address.
type FreeTier struct {
	CallsPerDay uint64 `json:"callsPerDay"`
	PerCaller   uint64 `json:"perCaller,omitempty"`
}

// An agent's isolation: how its calls are isolated from each other (ADR
// 17).
const (
	// IsolationAgent lets the agent's calls share warm VMs, one call at a
	// time: its module state persists between them, another agent's never
	// reaches them. The default.
	IsolationAgent = "agent"
	// IsolationRequest runs every call in a fresh VM.
	IsolationRequest = "request"
)

// LogLine is one line of an agent's console output.
type LogLine struct {
	Time    time.Time `json:"time"`
	Level   string    `json:"level"` // log, info, debug, warn, error
	Message string    `json:"message"`
}

// Invocation is the log record of one agent call, as `cove agent logs`
// shows it.
type Invocation struct {
	RequestID  string    `json:"requestId"`
	Agent      AgentID   `json:"agent"`
	Time       time.Time `json:"time"`
	Method     string    `json:"method"`
	Path       string    `json:"path"`
	Status     int       `json:"status"`
	DurationMS float64   `json:"durationMs"`
	Fetches    int       `json:"fetches,omitempty"`
	Logs       []LogLine `json:"logs,omitempty"`
	Error      string    `json:"error,omitempty"`
}
