// Package api holds the wire types of the gateway's HTTP API: the JSON a
// gateway writes and a client reads, the one error envelope, and the header
// rules of agent calls. It is a leaf: the gateway, the worker (whose signed
// error bodies use the envelope) and the client import it, and it imports
// no role. docs/PROTOCOL.md describes every type here.
package api

import (
	"net/http"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/receipt"
)

// ErrorBody is the one error envelope: every error a gateway answers and
// every error response a worker signs is this JSON,
//
//	{"error":{"code":"…","message":"…","limit":"…"},"requestId":"…"}
//
// with limit only for a limit a script hit. requestId names the agent
// invocation when one was started; a gateway gives its own errors a fresh
// one (also in Cove-Request-Id).
type ErrorBody struct {
	Error     ErrorDetail `json:"error"`
	RequestID string      `json:"requestId,omitempty"`
	// Payment is set on a 402 payment_required: the agent's price and how
	// to pay it.
	Payment *PaymentTerms `json:"payment,omitempty"`
}

// ErrorDetail is a stable code for programs, a message for people and,
// when a script hit a limit, the limit's name. The AI API's errors also
// carry OpenAI's error type ("invalid_request_error",
// "authentication_error", "insufficient_quota", "api_error"), so OpenAI
// clients read them as their own.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Type    string `json:"type,omitempty"`
	Limit   string `json:"limit,omitempty"`
}

// AgentView is an agent as GET /v1/agents and GET /v1/agents/{id} show it.
type AgentView struct {
	ID       cove.AgentID `json:"id"`
	Name     string       `json:"name,omitempty"`
	Owner    cove.Address `json:"owner"`
	CID      string       `json:"cid"`
	CodeHash cove.Hash    `json:"codeHash"`
	Attestor cove.Address `json:"attestor"`
	Signer   cove.Address `json:"signer"` // the same as attestor: the Cove-Signer of every receipt
	// KeyEpoch is the key epoch the agent's keys and attestor come from.
	KeyEpoch uint64 `json:"keyEpoch"`
	// AttestorGrant (0x-hex, 65 bytes) is the signature by KeyEpoch's EVM
	// signer of cove.AttestorGrantDigest(id, attestor, keyEpoch): what an
	// EVM anchor's registerAttestor takes. Absent until published.
	AttestorGrant string `json:"attestorGrant,omitempty"`
	Version       uint64 `json:"version"`
	URL           string `json:"url"`
	HasSecrets    bool   `json:"hasSecrets"`
	// Isolation is "agent" (its calls share warm VMs) or "request" (a
	// fresh VM per call), chosen at deployment.
	Isolation string `json:"isolation"`
	// Price is what one call costs in base units (10^18 per COVE), paid
	// with a voucher in the Cove-Payment header; absent: calls are free.
	Price string `json:"price,omitempty"`
	// FreeTier is a priced agent's free calls per day, absent when none.
	FreeTier  *cove.FreeTier `json:"freeTier,omitempty"`
	CreatedAt time.Time      `json:"createdAt"`
}

// KeyInfo is GET /v1/keys: what a client seals agent secrets to.
type KeyInfo struct {
	Cluster   string `json:"cluster"`
	Epoch     uint32 `json:"epoch"`
	KEM       string `json:"kem"`
	PublicKey string `json:"publicKey"` // 0x-hex HPKE public key
}

// ChainStatus is GET /v1/chain/status.
type ChainStatus struct {
	ChainID string `json:"chain_id"` // the network's name, CometBFT's chain id
	// NumericChainID is the EIP-712 domain chainId transactions are signed for.
	NumericChainID uint64 `json:"numeric_chain_id"`
	Height         int64  `json:"height"`
	AppHash        string `json:"app_hash"` // 0x-hex, the app hash after Height
}

// FeeEstimate is GET /v1/chain/fee?type=T&bytes=N: the fee a transaction
// of type T and N bytes pays under the committed parameters.
type FeeEstimate struct {
	Type  string `json:"type"`
	Bytes int    `json:"bytes"`
	Fee   string `json:"fee"` // base units (10^18 per COVE), decimal
}

// Supply is GET /v1/chain/supply: the COVE in existence (base units,
// decimal strings). Total = genesis + Minted − Burned; Treasury is the
// treasury account's balance.
type Supply struct {
	Total    string `json:"total"`
	Minted   string `json:"minted"`
	Burned   string `json:"burned"`
	Treasury string `json:"treasury"`
}

// Pool is GET /v1/chain/pools/{id} (and each of GET /v1/chain/pools): a
// stake pool with its price and its workers' states. Amounts are base
// units as decimal strings; Price is value per share, a decimal.
type Pool struct {
	ID         uint64           `json:"id"`
	Owner      string           `json:"owner"`
	Commission uint64           `json:"commission"` // parts per million
	Cap        string           `json:"cap"`        // 0: none
	Shares     string           `json:"shares"`
	Value      string           `json:"value"`
	Free       string           `json:"free"`
	Price      string           `json:"price"`
	Workers    []PoolWorker     `json:"workers"`
	Queue      []PoolWithdrawal `json:"queue"`
	Created    int64            `json:"created"`
	// Allowed is the number of accounts on its allowlist (0: anyone may
	// contribute).
	Allowed uint64 `json:"allowed,omitempty"`
}

// PoolWorker is a pool's worker: idle, computing or cooling, with its
// locked stake.
type PoolWorker struct {
	Worker    string `json:"worker"`
	State     string `json:"state"`
	Stake     string `json:"stake"`
	Since     int64  `json:"since"`
	CoolUntil string `json:"coolUntil,omitempty"`
}

// PoolWithdrawal is a queued withdrawal.
type PoolWithdrawal struct {
	Account string `json:"account"`
	Shares  string `json:"shares"`
	Since   string `json:"since"`
}

// Stake is one of GET /v1/chain/accounts/{addr}/stakes: an account's
// shares of a pool and what they are worth now.
type Stake struct {
	Pool   uint64 `json:"pool"`
	Shares string `json:"shares"`
	Value  string `json:"value"`
	// LockedUntil is the first block at which the account may withdraw
	// (its last contribution locks its shares); 0: none.
	LockedUntil int64 `json:"lockedUntil,omitempty"`
}

// Vault is GET /v1/chain/vaults/{id} (and each of GET /v1/chain/vaults):
// a vault, what it holds and its price. Amounts are base units as decimal
// strings; Price and Checkpoint are value per share, decimals.
type Vault struct {
	ID         uint64 `json:"id"`
	Owner      string `json:"owner"`
	Commission uint64 `json:"commission"` // parts per million of the profit
	// Address holds the vault's free COVE and its pool shares.
	Address string `json:"address"`
	Shares  string `json:"shares"`
	Value   string `json:"value"`
	Free    string `json:"free"`
	Price   string `json:"price"`
	// Checkpoint is the price above which the owner's commission is next
	// taken.
	Checkpoint string           `json:"checkpoint"`
	Pools      []VaultPool      `json:"pools"`
	Queue      []PoolWithdrawal `json:"queue"`
	Created    int64            `json:"created"`
}

// VaultPool is a vault's investment in a pool: its shares, what they are
// worth now, and the shares it asked back and waits for (0: none).
type VaultPool struct {
	Pool   uint64 `json:"pool"`
	Shares string `json:"shares"`
	Value  string `json:"value"`
	Queued string `json:"queued"`
}

// VaultStake is one of GET /v1/chain/accounts/{addr}/stakes' "vaults": an
// account's shares of a vault and what they are worth now.
type VaultStake struct {
	Vault       uint64 `json:"vault"`
	Shares      string `json:"shares"`
	Value       string `json:"value"`
	LockedUntil int64  `json:"lockedUntil,omitempty"`
}

// NodeInfo is GET /v1/node: what the node behind a gateway runs.
type NodeInfo struct {
	// Roles are the node's roles: validator, gatekeeper, worker, gateway,
	// bridge.
	Roles []string `json:"roles"`
	// Peers is how many validator peers it is connected to.
	Peers int `json:"peers"`
	// Worker is its worker's id on chain (empty without the role).
	Worker string `json:"worker,omitempty"`
	// AISigner and AIProviders are its AI API's signing address and
	// providers (empty without a worker).
	AISigner    string   `json:"aiSigner,omitempty"`
	AIProviders []string `json:"aiProviders,omitempty"`
	// Engine is the JavaScript engine its worker runs agents on:
	// "quickjs-native" or "quickjs-modernc" (ADR 27; empty without a
	// worker).
	Engine string `json:"engine,omitempty"`
	// Routing is how its gateway routes agent calls: "local" (its own
	// worker) or "network" (the chain's workers, in Routes).
	Routing string `json:"routing,omitempty"`
	// Routes are the workers a "network" gateway routes to.
	Routes []RoutedWorker `json:"routes,omitempty"`
}

// RoutedWorker is one worker a gateway routes calls to.
type RoutedWorker struct {
	Worker   string `json:"worker"`
	Endpoint string `json:"endpoint"`
	// Local is the gateway's own node's worker, called in process.
	Local bool `json:"local,omitempty"`
	// Up is true while it answers its health checks and calls.
	Up bool `json:"up"`
	// Ready is true once it holds a cluster key.
	Ready bool `json:"ready"`
	// Outstanding counts this gateway's calls it is running.
	Outstanding int64 `json:"outstanding"`
}

// StateProof is GET /v1/chain/proof/{key}: the value of one state key at
// Height, or its absence (Value null), with the Merkle proof (encoding in
// docs/PROTOCOL.md) that binds it to the app hash after block Height, which
// the header of block Height+1 carries (GET /v1/chain/light/{Height+1}).
// Bytes are 0x-hex.
type StateProof struct {
	Height int64   `json:"height"`
	Key    string  `json:"key"`
	Value  *string `json:"value"`
	Proof  string  `json:"proof"`
}

// LightBlock is GET /v1/chain/light/{height}: the signed header and
// validator set of a block, CometBFT's protobuf tendermint.types.LightBlock,
// 0x-hex. A light client verifies it from a trust root; the gateway is not
// trusted for it.
type LightBlock struct {
	Height     int64  `json:"height"`
	LightBlock string `json:"lightBlock"`
}

// HeaderRequestID names an agent invocation in every agent response (and in
// `cove agent logs`).
const HeaderRequestID = "Cove-Request-Id"

// Error codes more than one party acts on: a worker answers them, and a
// gateway routing calls (workerlink) sends such a call to another worker.
const (
	// CodeAgentNotFound: no such agent in the answerer's chain state (a
	// worker may be a block behind the gateway).
	CodeAgentNotFound = "agent_not_found"
	// CodeWorkerNotProvisioned: the worker holds no key of the agent's
	// epoch yet.
	CodeWorkerNotProvisioned = "worker_not_provisioned"
)

// HeaderWorker names the worker that ran a call a gateway routed to one of
// the network's workers (informational: receipts do not cover it).
const HeaderWorker = "Cove-Worker"

// reservedHeaders are the headers that do not pass between a caller and an
// agent: hop-by-hop headers, the length (the gateway sets it) and Cove's
// own, which only Cove writes.
var reservedHeaders = []string{
	"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer",
	"Transfer-Encoding", "Upgrade", "Content-Length",
	receipt.HeaderReceipt, receipt.HeaderSignature, receipt.HeaderSigner, HeaderRequestID, HeaderWorker,
	HeaderPayment, // the gateway checks it; the agent is paid by the chain, not by the header
}

// StripReserved deletes the reserved headers from h: a caller's request
// header before an agent sees it, and an agent's response header before Cove
// adds its receipt.
func StripReserved(h http.Header) {
	for _, k := range reservedHeaders {
		// The names are canonical (TestStripReserved holds them to it),
		// so no Del, which canonicalizes each again: every call strips
		// two or three headers.
		delete(h, k)
	}
}

// originWideHeaders are response headers whose effect reaches past the
// agent that sent them to the whole origin, which every agent on this
// gateway shares: cookies, clearing the origin's storage, widening a
// service worker's scope.
var originWideHeaders = []string{"Set-Cookie", "Set-Cookie2", "Clear-Site-Data", "Service-Worker-Allowed"}

// AgentCSP is the Content-Security-Policy a gateway adds to every agent
// response. "sandbox" makes a document an opaque origin: its scripts (which
// allow-scripts lets run, so HTML agents with JavaScript work) cannot read
// the gateway's origin's cookies, storage or other agents' responses (requests to
// them are cross-origin), and cannot act as the gateway's origin.
const AgentCSP = "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads"

// SandboxOrigin applies the shared-origin policy to an agent's response
// header: every agent is served from its gateway's one origin
// (/agents/{id}/…), so one agent's page must not act as that origin. It
// removes originWideHeaders, adds Content-Security-Policy AgentCSP (after
// any policy of the agent's own: a browser enforces every policy it gets)
// and sets X-Content-Type-Options: nosniff, so a body is never taken for
// HTML or script against its declared type.
//
// None of these headers is one a receipt covers (cove.ReceiptHeaders), so
// the receipt the worker signed still matches what the caller receives.
//
// Security: without it an HTML agent could read every other agent's
// responses and set or clear cookies and storage for all of them.
func SandboxOrigin(h http.Header) {
	// Map operations, not Del/Add/Set: the names are canonical
	// (TestSandboxOrigin), and this runs for every response.
	for _, k := range originWideHeaders {
		delete(h, k)
	}
	h["Content-Security-Policy"] = append(h["Content-Security-Policy"], AgentCSP)
	h["X-Content-Type-Options"] = []string{"nosniff"}
}

// EVMChain is one EVM chain a node's bridge serves, as GET /v1/evm shows
// it: {"chains":[EVMChain...]}.
type EVMChain struct {
	Name    string `json:"name"`
	ChainID uint64 `json:"chainId"`
	// RPC is the chain's JSON-RPC URL ("" for an in-process chain without
	// a server).
	RPC    string       `json:"rpc"`
	Anchor cove.Address `json:"anchor"`
	// Examples are example consumer contracts by name ("price", "ai",
	// "vault") and ExampleAgents the agent each asks; on cove dev's chain
	// only.
	Examples      map[string]cove.Address `json:"examples,omitempty"`
	ExampleAgents map[string]cove.AgentID `json:"exampleAgents,omitempty"`
	Relayer       cove.Address            `json:"relayer"`
	// Fee is the anchor's fee (the minimum value of a request) in wei, as
	// a decimal string.
	Fee    string       `json:"fee"`
	Bridge BridgeStatus `json:"bridge"`
}

// BridgeStatus is what the bridge reports of one chain.
type BridgeStatus struct {
	Head      uint64 `json:"head"`    // the latest block it saw
	Scanned   uint64 `json:"scanned"` // blocks before this one are scanned
	InFlight  int    `json:"inFlight"`
	Fulfilled uint64 `json:"fulfilled"`
	LastError string `json:"lastError,omitempty"`
	// Requests are the anchor's requests in flight (oldest first), then
	// the last ones fulfilled since the bridge started (newest first).
	Requests []EVMRequest `json:"requests"`
}

// EVMRequest is one request of an anchor as the bridge handles it.
type EVMRequest struct {
	ID    string       `json:"id"` // the anchor's request id, decimal
	Agent cove.AgentID `json:"agent"`
	// Stage: "new", "sent", "mined", "stuck" (in flight) or "fulfilled".
	Stage     string    `json:"stage"`
	Block     uint64    `json:"block"`           // the EVM block of the request
	Mined     uint64    `json:"mined,omitempty"` // the block of its fulfilment
	Status    uint16    `json:"status,omitempty"`
	Tx        string    `json:"tx,omitempty"` // the fulfil transaction
	Attempts  int       `json:"attempts,omitempty"`
	LastError string    `json:"lastError,omitempty"`
	SeenAt    time.Time `json:"seenAt"`
}
