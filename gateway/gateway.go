// Package gateway is Cove's public HTTP entry: it stores agent bundles,
// submits transactions (deployments are DeployAgent transactions), routes
// agent calls to a worker's Invoke and serves the chain's state, logs and
// key material for clients. One file per resource: agents.go, blobs.go,
// call.go, chain.go, keys.go; auth.go checks owners' Cove-Auth headers.
// call.go is the only place that turns HTTP into a cove.Call and a
// cove.Response back into HTTP.
//
// Every error a client sees is the one JSON envelope of package api,
// {"error": {"code", "message"}, "requestId"}, with a stable code and a
// message that says what to do, oversized requests (431, 413) included;
// internal detail goes to the log once.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/internal/metrics"
	"github.com/cove-network/cove/internal/payment"
)

// Config tunes the gateway.
type Config struct {
	// PublicURL is the base URL clients use to reach this gateway; agent
	// URLs in responses start with it. Empty uses the Host of each request.
	PublicURL string `toml:"public_url"`
	// MaxBundleBytes bounds an uploaded bundle.
	MaxBundleBytes int64 `toml:"max_bundle_bytes"`
	// MaxRequestBytes bounds the body of an agent call the gateway reads.
	// Zero means DefaultMaxRequestBytes, and on a node the bound of its
	// worker (worker.max_request_bytes), which checks it again.
	MaxRequestBytes int64 `toml:"max_request_bytes,omitempty"`
	// AuthAudiences are the hosts (HOST or HOST:PORT, as clients write them
	// in the gateway URL) a Cove-Auth header may name as its audience,
	// besides the host of PublicURL. With neither, the gateway accepts the
	// Host of each request, which the caller chooses: a header signed for
	// another gateway is then accepted here too. Behind a proxy, set them
	// to the public host(s); the request's Host is not consulted then.
	AuthAudiences []string `toml:"auth_audiences,omitempty"`
	// MaxHeaderBytes bounds a request's line and headers: a request over it
	// is answered 431 request_headers_too_large in the error envelope.
	// Zero means DefaultMaxHeaderBytes. (Past http.DefaultMaxHeaderBytes,
	// 1 MiB, or twice this bound if larger, Go's server cuts the
	// connection with its own plain-text 431 before the gateway sees it.)
	MaxHeaderBytes int `toml:"max_header_bytes,omitempty"`
	// MaxAuthNonces bounds the used Cove-Auth nonces the gateway keeps
	// (until each header expires); when full it refuses new headers for a
	// while. Zero means DefaultMaxAuthNonces.
	MaxAuthNonces int `toml:"max_auth_nonces,omitempty"`
	// VouchersFile keeps the vouchers of paid calls the gateway accepted
	// across restarts (payments.go); FreeCallsFile beside it keeps the
	// day's free calls across a clean restart. Empty keeps both in memory
	// only; a node sets it to gateway/vouchers.log in its data directory.
	VouchersFile string `toml:"vouchers_file,omitempty"`
}

// FreeCallsFile, in Config.VouchersFile's directory, keeps the day's free
// calls across a clean restart.
const FreeCallsFile = "free-calls.json"

// DefaultMaxRequestBytes bounds a call's body when nothing else does.
const DefaultMaxRequestBytes = 5 << 20

// DefaultMaxHeaderBytes bounds a request's line and headers when
// Config.MaxHeaderBytes is zero.
const DefaultMaxHeaderBytes = 64 << 10

// DefaultConfig returns the gateway defaults.
func DefaultConfig() Config {
	return Config{MaxBundleBytes: 16 << 20}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.MaxBundleBytes < 1 {
		return fmt.Errorf("gateway: max_bundle_bytes %d must be positive", c.MaxBundleBytes)
	}
	if c.MaxRequestBytes < 0 {
		return fmt.Errorf("gateway: max_request_bytes %d must not be negative", c.MaxRequestBytes)
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return fmt.Errorf("gateway: public_url %q must start with http:// or https://", c.PublicURL)
	}
	if c.MaxHeaderBytes < 0 {
		return fmt.Errorf("gateway: max_header_bytes %d must not be negative", c.MaxHeaderBytes)
	}
	if c.MaxAuthNonces < 0 {
		return fmt.Errorf("gateway: max_auth_nonces %d must not be negative", c.MaxAuthNonces)
	}
	for _, a := range c.AuthAudiences {
		if a == "" || strings.ContainsAny(a, "/?#@ ") {
			return fmt.Errorf("gateway: auth_audiences entry %q must be a HOST or HOST:PORT, without scheme or path", a)
		}
	}
	return nil
}

// Blobs stores bundles by CID.
type Blobs interface {
	Put(b []byte) (cid string, err error)
	Get(cid string) ([]byte, error)
	Has(cid string) bool
}

// Invoker runs agents: the node's worker (a pool of remote workers is the
// next implementation).
type Invoker interface {
	// Invoke runs one call of agent id and returns its signed response, or
	// an error when no signed response could be made: a *cove.Error is
	// answered as it says, anything else as 500 internal.
	Invoke(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error)
	// Ready is nil when calls can be served; /healthz answers 503 until it is.
	Ready() error
}

// LogBook holds agents' invocation logs.
type LogBook interface {
	// Logs returns the last n invocations of an agent, oldest first.
	Logs(id cove.AgentID, n int) []cove.Invocation
	// Follow streams new invocations until ctx ends.
	Follow(ctx context.Context, id cove.AgentID) <-chan cove.Invocation
}

// Keys is the key service clients seal secrets to.
type Keys interface {
	// ClusterKey returns the cluster's id, key epoch and HPKE public key.
	ClusterKey() (cluster string, epoch uint32, publicKey []byte, err error)
	// Attestor returns the address that signs an agent's receipts.
	Attestor(id cove.AgentID) cove.Address
}

// Server is the gateway.
type Server struct {
	cfg     Config
	log     *slog.Logger
	chain   Chain
	blobs   Blobs
	invoker Invoker
	logs    LogBook
	keys    Keys
	handler http.Handler
	// audience is what a Cove-Auth may name (configuredAudiences); empty,
	// the request's Host.
	audience []string
	nonces   *nonceCache
	// ledger holds the vouchers of paid calls accepted here whose channel
	// is bound to a remote worker (a pre-check: that worker's link checks
	// them again) or to none known here; free the free calls of the day
	// (freetier.go).
	ledger *payment.Ledger
	// workerLedger, when not nil, is the ledger of the node's own worker
	// workerID, which takes the vouchers of channels bound to it instead
	// of ledger (SetWorkerLedger, ADR 25).
	workerID     cove.Hash
	workerLedger *payment.Ledger
	// linkVouchers are the workers whose accepted vouchers the owner's
	// GET /v1/agents/{id}/vouchers offers too (SetLinkVouchers); nil: none.
	linkVouchers LinkVouchers
	linkCache    linkCache
	free         payment.FreeCounts
	// freeFile keeps free's counts across a clean restart (FreeCallsFile
	// beside the vouchers; empty: in memory only).
	freeFile string
	// evm is the node's EVM bridge, if it runs one (SetEVM).
	evm EVM
	// ai is the confidential AI service, if the node serves one (SetAI).
	ai AI
	// metrics records agent calls (SetMetrics; nil: none kept).
	metrics *metrics.Set
	// nodeInfo says what the node runs (SetNodeInfo; nil: the gateway
	// alone).
	nodeInfo func() api.NodeInfo
	// recent and calls feed the explorer (explorer.go).
	recent     recentBlocks
	calls      recentCalls
	blockCache blockCache
}

// SetNodeInfo makes GET /v1/node answer what info returns; call it before
// Run.
func (s *Server) SetNodeInfo(info func() api.NodeInfo) { s.nodeInfo = info }

func (s *Server) handleNode(w http.ResponseWriter, r *http.Request) {
	info := api.NodeInfo{Roles: []string{"gateway"}}
	if s.nodeInfo != nil {
		info = s.nodeInfo()
	}
	writeJSON(w, http.StatusOK, info)
}

// SetMetrics makes the gateway record agent calls (status, time) into m;
// call it before Run.
func (s *Server) SetMetrics(m *metrics.Set) { s.metrics = m }

// EVM is what GET /v1/evm shows: the EVM chains the node's bridge serves.
type EVM interface {
	EVMChains(ctx context.Context) []api.EVMChain
}

// SetEVM makes GET /v1/evm show e's chains; call it before Run.
func (s *Server) SetEVM(e EVM) { s.evm = e }

// handleEVM lists the EVM chains this node bridges ({"chains":[]} when
// none).
func (s *Server) handleEVM(w http.ResponseWriter, r *http.Request) {
	chains := []api.EVMChain{}
	if s.evm != nil {
		chains = s.evm.EVMChains(r.Context())
	}
	writeJSON(w, http.StatusOK, map[string]any{"chains": chains})
}

// New returns a gateway. It starts nothing. logs may be nil (a gateway
// without a worker: logs stay with the workers that ran each call).
func New(cfg Config, log *slog.Logger, chain Chain, blobs Blobs, invoker Invoker, logs LogBook, keys Keys) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if chain == nil || blobs == nil || invoker == nil || keys == nil {
		return nil, errors.New("gateway: a chain, a blob store, an invoker and a key service are all required")
	}
	if cfg.MaxRequestBytes == 0 {
		cfg.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if cfg.MaxAuthNonces == 0 {
		cfg.MaxAuthNonces = DefaultMaxAuthNonces
	}
	if cfg.MaxHeaderBytes == 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	l, err := payment.Open(cfg.VouchersFile, log)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	s := &Server{cfg: cfg, log: log, chain: chain, blobs: blobs, invoker: invoker, logs: logs, keys: keys,
		audience: configuredAudiences(cfg), nonces: newNonceCache(cfg.MaxAuthNonces), ledger: l}
	if cfg.VouchersFile != "" {
		// The day's free calls survive a clean restart, beside the vouchers.
		s.freeFile = filepath.Join(filepath.Dir(cfg.VouchersFile), FreeCallsFile)
		if err := s.free.Load(s.freeFile, time.Now()); err != nil {
			log.Warn("the day's free calls start again from none", "err", err)
		}
	}
	if len(s.audience) == 0 {
		log.Warn("cove-auth audience not configured: accepting each request's host; set gateway.public_url or gateway.auth_audiences on a public gateway")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /v1/keys", s.handleKeys)
	mux.HandleFunc("PUT /v1/blobs", s.handlePutBlob)
	mux.HandleFunc("POST /v1/blobs", s.handlePutBlob)
	mux.HandleFunc("GET /v1/blobs/{cid}", s.handleGetBlob)
	mux.HandleFunc("GET /v1/chain/status", s.handleChainStatus)
	mux.HandleFunc("GET /v1/chain/params", s.handleChainParams)
	mux.HandleFunc("GET /v1/chain/fee", s.handleChainFee)
	mux.HandleFunc("GET /v1/chain/supply", s.handleChainSupply)
	mux.HandleFunc("GET /v1/chain/pools", s.handleChainPools)
	mux.HandleFunc("GET /v1/chain/pools/{id}", s.handleChainPool)
	mux.HandleFunc("GET /v1/chain/vaults", s.handleChainVaults)
	mux.HandleFunc("GET /v1/chain/vaults/{id}", s.handleChainVault)
	mux.HandleFunc("GET /v1/chain/accounts/{addr}/stakes", s.handleChainStakes)
	mux.HandleFunc("GET /v1/chain/workers/{id}", s.handleChainWorker)
	mux.HandleFunc("GET /v1/chain/channels/{id}", s.handleChainChannel)
	mux.HandleFunc("GET /v1/chain/accounts/{addr}/channels", s.handleChainChannels)
	mux.HandleFunc("GET /v1/channels/{id}", s.handleChannel)
	mux.HandleFunc("GET /v1/chain/sponsors/{addr}", s.handleChainSponsor)
	mux.HandleFunc("GET /v1/chain/agents/{id}/token", s.handleChainAgentToken)
	mux.HandleFunc("GET /v1/chain/daos/{id}", s.handleChainDAO)
	mux.HandleFunc("GET /v1/chain/proposals/{id}", s.handleChainProposal)
	mux.HandleFunc("GET /v1/chain/accounts/{addr}", s.handleChainAccount)
	mux.HandleFunc("GET /v1/chain/agents", s.handleChainAgents)
	mux.HandleFunc("GET /v1/chain/agents/{id}", s.handleChainAgent)
	mux.HandleFunc("GET /v1/chain/workers", s.handleChainWorkers)
	mux.HandleFunc("GET /v1/chain/gatekeepers", s.handleChainGatekeepers)
	mux.HandleFunc("GET /v1/chain/validators", s.handleChainValidators)
	mux.HandleFunc("GET /v1/chain/keys", s.handleChainKeys)
	mux.HandleFunc("GET /v1/chain/provisions/{id}", s.handleChainProvisions)
	mux.HandleFunc("POST /v1/chain/tx", s.handleChainTx)
	mux.HandleFunc("GET /v1/chain/tx/{hash}", s.handleChainTxStatus)
	mux.HandleFunc("GET /v1/chain/proof/{key}", s.handleChainProof)
	mux.HandleFunc("GET /v1/chain/light/{height}", s.handleChainLight)
	mux.HandleFunc("GET /v1/evm", s.handleEVM)
	mux.HandleFunc("GET /v1/node", s.handleNode)
	mux.HandleFunc("GET /v1/agents", s.handleListAgents)
	mux.HandleFunc("GET /v1/agents/{id}", s.handleGetAgent)
	mux.HandleFunc("GET /v1/agents/{id}/logs", s.handleLogs)
	mux.HandleFunc("GET /v1/agents/{id}/vouchers", s.handleVouchers)
	mux.HandleFunc("GET /v1/agents/{id}/terms", s.handleTerms)
	for _, route := range aiRoutes {
		mux.HandleFunc(route, s.handleAI)
	}
	mux.HandleFunc("POST /v1/ai/keys", s.handleAIKey)
	for _, route := range callRoutes {
		mux.HandleFunc(route, s.handleCall)
	}
	mux.HandleFunc("GET /v1/chain/blocks", s.handleBlocks)
	mux.HandleFunc("GET /v1/chain/blocks/{height}", s.handleBlock)
	mux.HandleFunc("GET /v1/agents/{id}/calls", s.handleAgentCalls)
	mux.HandleFunc("GET /explorer/", s.handleExplorer)
	mux.HandleFunc("GET /explorer", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/explorer/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /v1", s.handleIndex)
	mux.HandleFunc("GET /{$}", s.handleRoot)
	mux.HandleFunc("/", s.handleNotFound)
	s.handler = mux
	return s, nil
}

// ServeHTTP serves the gateway's API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if n := headerBytes(r); n > s.cfg.MaxHeaderBytes {
		// Go's server answers past its own bound in plain text; this
		// bound, below it, keeps the answer in the envelope.
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusRequestHeaderFieldsTooLarge, "request_headers_too_large",
			fmt.Sprintf("the request line and headers are %d bytes, more than %d; send smaller headers (cookies, tokens) or put the data in the body", n, s.cfg.MaxHeaderBytes))
		return
	}
	if id, ok := callTarget(r); ok {
		s.serveCall(w, r, id)
		return
	}
	s.handler.ServeHTTP(w, r)
}

// headerBytes is about what the request line and headers took on the
// wire, counted as Go's server bounds them.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	if r.Host != "" && r.Header.Get("Host") == "" {
		n += len("Host: \r\n") + len(r.Host) // Go moves Host out of Header
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4 // "k: v\r\n"
		}
	}
	return n + 2
}

// Run serves on ln until ctx ends, then shuts down, giving calls in flight
// up to 10 s to finish.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		// Above ServeHTTP's own bound, so that it answers first, in the
		// envelope.
		MaxHeaderBytes: max(http.DefaultMaxHeaderBytes, 2*s.cfg.MaxHeaderBytes),
		IdleTimeout:    120 * time.Second,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	lctx, stopLedger := context.WithCancel(context.Background())
	ledgerDone := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		wg.Go(func() { s.ledger.Run(lctx) })
		// The day's free calls, written while they change: a crash
		// forgets at most payment.FreeSaveInterval of them.
		wg.Go(func() { s.free.Keep(lctx, s.freeFile, 0, s.log) })
		if s.workerLedger != nil {
			wg.Go(func() { s.workerLedger.Run(lctx) })
		}
		wg.Wait()
		close(ledgerDone)
	}()
	// The ledger stops after the server: calls in flight during the
	// shutdown still record their vouchers, and the last sync keeps them.
	// The day's free calls are saved then too.
	defer func() {
		stopLedger()
		<-ledgerDone
		if err := s.free.Save(s.freeFile); err != nil {
			s.log.Error("save the day's free calls", "err", err)
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("gateway: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-errc
	return err
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if err := s.invoker.Ready(); err != nil {
		writeError(w, http.StatusServiceUnavailable, "starting", "the node is starting; retry shortly")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"name": "Cove gateway",
		"endpoints": []string{
			"GET /healthz", "GET /v1/keys", "PUT /v1/blobs", "GET /v1/blobs/{cid}",
			"GET /v1/agents", "GET /v1/agents/{id}", "GET /v1/agents/{id}/logs",
			"ANY /agents/{id}/{path...}",
			"GET /v1/chain/status", "GET /v1/chain/params", "GET /v1/chain/fee", "GET /v1/chain/supply", "GET /v1/chain/pools", "GET /v1/chain/pools/{id}", "GET /v1/chain/vaults", "GET /v1/chain/vaults/{id}", "GET /v1/chain/accounts/{addr}/stakes", "GET /v1/chain/workers/{id}", "GET /v1/chain/accounts/{addr}", "GET /v1/chain/agents/{id}", "GET /v1/chain/workers", "GET /v1/chain/validators", "POST /v1/chain/tx",
			"GET /v1/chain/tx/{hash}",
			"GET /v1/chain/channels/{id}", "GET /v1/chain/accounts/{addr}/channels", "GET /v1/channels/{id}", "GET /v1/chain/sponsors/{addr}", "GET /v1/agents/{id}/vouchers",
			"GET /v1/chain/agents/{id}/token", "GET /v1/chain/daos/{id}", "GET /v1/chain/proposals/{id}",
			"GET /v1/chain/proof/{key}", "GET /v1/chain/light/{height}",
			"GET /v1/evm", "GET /v1/node",
			"GET /v1/chain/blocks", "GET /v1/chain/blocks/{height}", "GET /v1/agents/{id}/calls", "GET /explorer/",
			"POST /v1/chat/completions", "POST /v1/completions", "POST /v1/embeddings", "GET /v1/models",
			"GET /v1/signature/{chat_id}", "GET /v1/attestation/report", "GET /v1/ai/receipts/{id}", "GET /v1/ai/usage", "POST /v1/ai/keys",
		},
	})
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no route %s %s; GET / lists the API", r.Method, r.URL.Path))
}

// baseURL is the URL clients reach this gateway at.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimSuffix(s.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// writeError answers the error envelope with a request id, also in
// Cove-Request-Id: the one already set on w (an invocation's), or a new one.
// Errors the gateway makes are unsigned: no agent ran.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeErrorTyped(w, status, code, msg, "")
}

// writeErrorTyped is writeError with an error type (the AI API's).
func writeErrorTyped(w http.ResponseWriter, status int, code, msg, typ string) {
	writeErrorBody(w, status, api.ErrorBody{Error: api.ErrorDetail{Code: code, Message: msg, Type: typ}})
}

// writeErrorBody writes an error envelope, with the request id (made here
// unless w has one).
func writeErrorBody(w http.ResponseWriter, status int, body api.ErrorBody) {
	id := w.Header().Get(api.HeaderRequestID)
	if id == "" {
		var b [12]byte
		rand.Read(b[:])
		id = hex.EncodeToString(b[:])
		w.Header().Set(api.HeaderRequestID, id)
	}
	body.RequestID = id
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"encode response"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// agentFromPath parses {id} and loads the agent, writing the error response
// itself when that fails.
func (s *Server) agentFromPath(w http.ResponseWriter, r *http.Request) (cove.Agent, bool) {
	return s.agentByID(w, r.PathValue("id"))
}

// agentByID is agentFromPath for an id already taken from the path.
func (s *Server) agentByID(w http.ResponseWriter, raw string) (cove.Agent, bool) {
	id, err := cove.ParseAgentID(raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_agent_id", fmt.Sprintf("agent id %q is malformed: want 0x followed by 64 hex digits (see `cove agent list`)", truncate(raw, 80)))
		return cove.Agent{}, false
	}
	rec, err := s.chain.View().Agent(id)
	a := rec.Agent()
	if errors.Is(err, cove.ErrNotFound) {
		writeError(w, http.StatusNotFound, api.CodeAgentNotFound, fmt.Sprintf("no agent %s is deployed on this network; deploy one with `cove agent deploy` or list them with `cove agent list`", id))
		return cove.Agent{}, false
	}
	if err != nil {
		s.log.Error("get agent", "agent", id, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not read the chain state")
		return cove.Agent{}, false
	}
	return a, true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
