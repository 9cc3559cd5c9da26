// Package ai is the worker's confidential AI service: an OpenAI-compatible
// API (chat completions with streams, completions, embeddings, models) in
// front of the LLM providers the operator configures, served from inside
// the worker's TEE, with every response signed (ADR 19).
//
// The gateway hands it requests as cove.Calls (Serve); agents reach it at
// http://ai.cove.internal/v1 through the worker's sandbox transport
// (Transport), metered to the agent's owner. Requests, answers and the
// providers' API keys exist in plaintext only here.
//
// Every answer is signed three ways, by the worker's AI signing key
// (secp256k1, made in the TEE and kept sealed by it, signer.go): Cove's
// receipt (version 2; agent = api.AIAgentID(provider), code hash = the worker's
// measurement) in the Cove-Receipt headers, or as trailers after a stream;
// the same receipt at GET /v1/ai/receipts/{id}, named by x-receipt-id on
// every response; and vllm-proxy's EIP-191 signature over
// sha256(request):sha256(response) at GET /v1/signature/{chat_id}.
// GET /v1/attestation/report binds the signing address and a caller's
// nonce into a fresh quote of the TEE.
//
// Access (access.go): API keys made for a chain account (NewKey), tokens
// metered per account (its keys and its agents together) per UTC day
// against a free-tier quota; 401 and 429 in OpenAI's error shape. An upstream that is down
// answers 502, one that is slow 504, a stream cut mid-way ends with an
// error event: never a hang, never a receipt over bytes not sent.
package ai

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/internal/metrics"
	"github.com/cove-network/cove/receipt"
)

// Config is the [ai] section of cove.toml.
type Config struct {
	// Providers are the OpenAI-compatible upstreams, tried in order for a
	// model: the first that lists it, else the first that lists none
	// (a provider without models takes any).
	Providers []Provider `toml:"providers"`
	// Open serves completions without an API key (a private node, a
	// test); by default every completion needs one (`cove ai key new`).
	Open bool `toml:"open,omitempty"`
	// FreeTokensPerDay is each account's quota of tokens per UTC day (its
	// API keys and its agents together); zero means DefaultFreeTokensPerDay, negative
	// means no quota.
	FreeTokensPerDay int64 `toml:"free_tokens_per_day,omitempty"`
	// TimeoutSeconds bounds the wait for an upstream's response head and,
	// in a stream, between two pieces; zero means DefaultTimeout.
	TimeoutSeconds int `toml:"timeout_seconds,omitempty"`
	// MaxResponseBytes bounds a buffered upstream answer; zero means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64 `toml:"max_response_bytes,omitempty"`
}

// Provider is one OpenAI-compatible upstream (vLLM, Ollama, llama.cpp's
// server, OpenAI, a dstack vllm-proxy).
type Provider struct {
	// Name names it in receipts (api.AIAgentID) and logs: letters, digits, '-',
	// '_' and '.'.
	Name string `toml:"name"`
	// URL is its base URL, as an OpenAI client takes it
	// ("http://127.0.0.1:11434/v1"); routes are appended.
	URL string `toml:"url"`
	// Models it serves; empty takes any model no other provider lists.
	Models []string `toml:"models,omitempty"`
	// KeyFile holds its API key (sent as Authorization: Bearer) in
	// plaintext, read once at start: for development, where the operator
	// may see it.
	KeyFile string `toml:"key_file,omitempty"`
	// SealedKeyFile holds its API key sealed to the cluster key for this
	// provider (`cove ai seal-key`: the HPKE envelope of agent secrets,
	// bound to api.AIAgentID(Name), holding the key and the URL it is for),
	// opened only inside the worker, with the cluster key of its epoch, at
	// first use, and sent only to that URL, over https unless it is a
	// loopback address. The operator never sees the key.
	SealedKeyFile string `toml:"sealed_key_file,omitempty"`
	// Attestation is "" (its answers are recorded "unverified"), "check"
	// or "require": see AttestationCheck and AttestationRequire.
	Attestation string `toml:"attestation,omitempty"`
	// Measurements are the upstream software this operator trusts (hex;
	// for TDX the 240 bytes MRTD ‖ RTMR0-3): an attested upstream's quote
	// must show one. Not the chain's list, which admits Cove's own builds
	// (a Cove worker as upstream would vouch only that it relayed an
	// answer). Required with Attestation.
	Measurements []string `toml:"measurements,omitempty"`
}

const (
	// DefaultFreeTokensPerDay is the quota when Config.FreeTokensPerDay is
	// zero.
	DefaultFreeTokensPerDay = 1_000_000
	// DefaultTimeout is Config.TimeoutSeconds when zero.
	DefaultTimeout = 60 * time.Second
	// DefaultMaxResponseBytes is Config.MaxResponseBytes when zero.
	DefaultMaxResponseBytes = 16 << 20
	// InternalHost is where agents reach the service from their sandbox.
	InternalHost = "ai.cove.internal"
)

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	seen := map[string]bool{}
	for i, p := range c.Providers {
		if err := validName(p.Name); err != nil {
			return fmt.Errorf("ai: provider %d: %w", i+1, err)
		}
		if seen[p.Name] {
			return fmt.Errorf("ai: provider %q is configured twice", p.Name)
		}
		seen[p.Name] = true
		if p.Attestation != AttestationOff && p.Attestation != AttestationCheck && p.Attestation != AttestationRequire {
			return fmt.Errorf("ai: provider %q: attestation %q must be empty, %q or %q", p.Name, p.Attestation, AttestationCheck, AttestationRequire)
		}
		if p.Attestation != AttestationOff && len(p.Measurements) == 0 {
			return fmt.Errorf("ai: provider %q: attestation %q needs measurements: the upstream software (hex) you trust", p.Name, p.Attestation)
		}
		for _, m := range p.Measurements {
			if b, err := hex.DecodeString(strings.TrimPrefix(m, "0x")); err != nil || len(b) < 32 {
				return fmt.Errorf("ai: provider %q: measurement %q is not hex of at least 32 bytes", p.Name, truncate(m, 80))
			}
		}
		if p.SealedKeyFile != "" && strings.HasPrefix(p.URL, "http://") && !loopbackURL(p.URL) {
			return fmt.Errorf("ai: provider %q: a sealed key goes over https only (or to a loopback address), not to %s", p.Name, p.URL)
		}
		if p.KeyFile != "" && p.SealedKeyFile != "" {
			return fmt.Errorf("ai: provider %q: give key_file or sealed_key_file, not both", p.Name)
		}
		if !strings.HasPrefix(p.URL, "http://") && !strings.HasPrefix(p.URL, "https://") {
			return fmt.Errorf("ai: provider %q: url %q must start with http:// or https:// (the base URL an OpenAI client takes, e.g. http://127.0.0.1:11434/v1)", p.Name, p.URL)
		}
	}
	if c.TimeoutSeconds < 0 {
		return fmt.Errorf("ai: timeout_seconds %d must not be negative", c.TimeoutSeconds)
	}
	if c.MaxResponseBytes < 0 {
		return fmt.Errorf("ai: max_response_bytes %d must not be negative", c.MaxResponseBytes)
	}
	return nil
}

func validName(n string) error {
	if n == "" || len(n) > 64 {
		return fmt.Errorf("name %q must be 1 to 64 characters", n)
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("name %q may hold only letters, digits, '-', '_' and '.'", n)
		}
	}
	return nil
}

// ParseProviderFlag parses `cove dev --ai-provider
// NAME=URL[,key-file=F|,sealed-key-file=F][,models=A|B][,attestation=check|require,measurements=HEX|HEX]`.
func ParseProviderFlag(s string) (Provider, error) {
	name, rest, ok := strings.Cut(s, "=")
	if !ok {
		return Provider{}, fmt.Errorf("--ai-provider %q: want NAME=URL[,key-file=FILE|,sealed-key-file=FILE][,models=A|B]", s)
	}
	parts := strings.Split(rest, ",")
	p := Provider{Name: name, URL: parts[0]}
	for _, kv := range parts[1:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "key-file":
			p.KeyFile = v
		case "sealed-key-file":
			p.SealedKeyFile = v
		case "attestation":
			p.Attestation = v
		case "measurements":
			p.Measurements = strings.Split(v, "|")
		case "models":
			p.Models = strings.Split(v, "|")
		default:
			return Provider{}, fmt.Errorf("--ai-provider %q: unknown option %q (key-file=FILE, sealed-key-file=FILE, models=A|B, attestation=check|require, measurements=HEX|HEX)", s, k)
		}
	}
	return p, (Config{Providers: []Provider{p}}).Validate()
}

// Platform is the TEE the service signs in: it seals the signing key and
// quotes it (worker.Platform is one).
type Platform interface {
	Seal(label string, plaintext []byte) ([]byte, error)
	Unseal(label string, sealed []byte) ([]byte, error)
	Name() string
	Quote(reportData [64]byte) ([]byte, error)
}

// Service is the AI API of one worker.
type Service struct {
	metrics     *metrics.Set
	opener      atomic.Pointer[Opener]
	quotes      atomic.Pointer[QuoteVerifier]
	cfg         Config
	log         *slog.Logger
	platform    Platform
	measurement cove.Hash
	providers   []*provider
	signer      *signer
	access      *access
	records     *records
	client      *http.Client
	timeout     time.Duration
}

type provider struct {
	Provider
	// key is the API key: read from KeyFile, or opened from sealed at
	// first use (apiKey).
	key    string
	sealed []byte
	mu     sync.Mutex
	opened bool
	// attested is the upstream's verified signing address (attested.go).
	attested atomic.Pointer[attested]
	// listed is what the upstream's /models said last (a provider
	// without models), asked at most once a minute.
	listed atomic.Pointer[listedModels]
}

type listedModels struct {
	names []string
	at    time.Time
}

// Opener opens an envelope sealed for id with the worker's cluster key of
// its epoch; an error wrapping ErrKeyUnavailable means the worker holds no
// key of that epoch yet.
type Opener func(id cove.AgentID, sealed []byte) (map[string]string, error)

// ErrKeyUnavailable means a sealed provider key cannot be opened yet (the
// worker is not provisioned with its epoch's cluster key).
var ErrKeyUnavailable = errors.New("the worker holds no cluster key to open it with yet")

// SetOpener sets how sealed provider keys are opened (the worker's key
// ring); until it is set they cannot be.
func (s *Service) SetOpener(o Opener) { s.opener.Store(&o) }

// SetMetrics makes the service record its answers to completions into m;
// call it before serving.
func (s *Service) SetMetrics(m *metrics.Set) { s.metrics = m }

// SealedKeyName is the secret name the API key has in a sealed key file,
// SealedURLName that of the provider URL it may be sent to.
const (
	SealedKeyName = "api_key"
	SealedURLName = "url"
)

// apiKey returns p's API key, opening a sealed one at first use.
func (s *Service) apiKey(p *provider) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sealed == nil || p.opened {
		return p.key, nil
	}
	o := s.opener.Load()
	if o == nil {
		return "", ErrKeyUnavailable
	}
	set, err := (*o)(api.AIAgentID(p.Name), p.sealed)
	if err != nil {
		return "", err
	}
	k, ok := set[SealedKeyName]
	if !ok {
		return "", fmt.Errorf("the sealed key file of provider %s holds no %q", p.Name, SealedKeyName)
	}
	// The key goes only to the URL it was sealed for: an operator who
	// points the provider elsewhere gets no key to read.
	if u := set[SealedURLName]; u != p.URL {
		return "", fmt.Errorf("provider %s's key was sealed for %q, not for its url %q: seal it again for this url (cove ai seal-key --url)", p.Name, u, p.URL)
	}
	p.key, p.opened = k, true
	return k, nil
}

// SignerFile is the service's signing key, sealed by the TEE, in the
// directory New gets.
const SignerFile = "ai-signer.key.sealed"

// KeysFile holds the API keys' hashes and usage, sealed by the TEE.
const KeysFile = "ai-keys.sealed"

// New loads (or makes, in the TEE) the signing key in dir and returns the
// service. measurement is the worker's, which receipts name as the code
// that ran. It reads providers' key files now: a missing one is an error.
func New(cfg Config, log *slog.Logger, platform Platform, dir string, measurement cove.Hash) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.FreeTokensPerDay == 0 {
		cfg.FreeTokensPerDay = DefaultFreeTokensPerDay
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	timeout := DefaultTimeout
	if cfg.TimeoutSeconds > 0 {
		timeout = time.Duration(cfg.TimeoutSeconds) * time.Second
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ai: %w", err)
	}
	sg, err := loadSigner(platform, filepath.Join(dir, SignerFile))
	if err != nil {
		return nil, fmt.Errorf("ai: %w", err)
	}
	if err := receipt.CheckSigner(sg); err != nil {
		return nil, fmt.Errorf("ai: %w", err)
	}
	acc, err := openAccess(platform, filepath.Join(dir, KeysFile), cfg.FreeTokensPerDay)
	if err != nil {
		return nil, fmt.Errorf("ai: %w", err)
	}
	s := &Service{cfg: cfg, log: log, platform: platform, measurement: measurement, signer: sg, access: acc,
		records: newRecords(maxRecords), timeout: timeout}
	for _, p := range cfg.Providers {
		pv := &provider{Provider: p}
		if p.KeyFile != "" {
			b, err := os.ReadFile(p.KeyFile)
			if err != nil {
				return nil, fmt.Errorf("ai: provider %q: read its key file: %w", p.Name, err)
			}
			pv.key = strings.TrimSpace(string(b))
		}
		if p.SealedKeyFile != "" {
			b, err := os.ReadFile(p.SealedKeyFile)
			if err != nil {
				return nil, fmt.Errorf("ai: provider %q: read its sealed key file: %w", p.Name, err)
			}
			if pv.sealed, err = DecodeSealedKey(b); err != nil {
				return nil, fmt.Errorf("ai: provider %q: sealed key file %s: %w", p.Name, p.SealedKeyFile, err)
			}
		}
		pv.URL = strings.TrimSuffix(p.URL, "/")
		s.providers = append(s.providers, pv)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = timeout
	tr.MaxIdleConnsPerHost = 64
	s.client = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return s, nil
}

// SigningAddress is the address every AI response's signatures recover to.
func (s *Service) SigningAddress() cove.Address { return s.signer.Address() }

// Providers returns the configured providers' names, in order.
func (s *Service) Providers() []string {
	out := make([]string, len(s.providers))
	for i, p := range s.providers {
		out[i] = p.Name
	}
	return out
}

// Close writes the metered usage to disk.
func (s *Service) Close() error { return s.access.save() }

// callerKey is the context key of an agent's call (WithAgent).
type callerKey struct{}

type agentCaller struct {
	agent cove.AgentID
	owner cove.Address
}

// WithAgent marks ctx as an agent's invocation: requests it makes to
// ai.cove.internal are metered to owner, with no API key.
func WithAgent(ctx context.Context, agent cove.AgentID, owner cove.Address) context.Context {
	return context.WithValue(ctx, callerKey{}, agentCaller{agent, owner})
}

// Serve answers one request to the AI API, a cove.Call whose Path starts
// with /v1/, signed. It returns an error only when the caller went away.
func (s *Service) Serve(ctx context.Context, c cove.Call) (*cove.Response, error) {
	return s.serve(ctx, c, nil)
}

// serve answers c; agent, when set, is the agent that asked from its
// sandbox.
func (s *Service) serve(ctx context.Context, c cove.Call, agent *agentCaller) (*cove.Response, error) {
	path, query, _ := strings.Cut(c.Path, "?")
	switch {
	case path == "/v1/chat/completions" || path == "/v1/completions" || path == "/v1/embeddings":
		if c.Method != http.MethodPost {
			return s.refuse(c, http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed", path+" takes POST"), nil
		}
		return s.complete(ctx, c, path, agent)
	case path == "/v1/models" && c.Method == http.MethodGet:
		return s.models(ctx, c), nil
	case strings.HasPrefix(path, "/v1/signature/") && c.Method == http.MethodGet:
		return s.signature(c, strings.TrimPrefix(path, "/v1/signature/"), query), nil
	case path == "/v1/attestation/report" && c.Method == http.MethodGet:
		return s.report(c, query), nil
	case strings.HasPrefix(path, "/v1/ai/receipts/") && c.Method == http.MethodGet:
		return s.receiptRecord(c, strings.TrimPrefix(path, "/v1/ai/receipts/")), nil
	case path == "/v1/ai/usage" && c.Method == http.MethodGet:
		return s.usage(c), nil
	}
	return s.refuse(c, http.StatusNotFound, "invalid_request_error", "not_found",
		fmt.Sprintf("no AI route %s %s: POST /v1/chat/completions, /v1/completions, /v1/embeddings; GET /v1/models, /v1/signature/{chat_id}, /v1/attestation/report, /v1/ai/receipts/{id}, /v1/ai/usage", c.Method, truncate(path, 100))), nil
}

// models lists the models the providers serve: those configured, and
// what a provider without a list says it has.
func (s *Service) models(ctx context.Context, c cove.Call) *cove.Response {
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	data := []model{}
	for _, p := range s.providers {
		names := p.Models
		if len(names) == 0 {
			names = s.upstreamModels(ctx, p)
		}
		for _, m := range names {
			data = append(data, model{ID: m, Object: "model", OwnedBy: p.Name})
		}
	}
	b, _ := json.Marshal(map[string]any{"object": "list", "data": data})
	return s.signed(c, "", http.StatusOK, jsonHeader(), b, nil)
}

// upstreamModels returns what p says its models are, asked at most once a
// minute (anyone may ask GET /v1/models).
func (s *Service) upstreamModels(ctx context.Context, p *provider) []string {
	if l := p.listed.Load(); l != nil && time.Since(l.at) < time.Minute {
		return l.names
	}
	names := s.askModels(ctx, p)
	p.listed.Store(&listedModels{names: names, at: time.Now()})
	return names
}

// askModels asks p's /models (best effort: none on failure).
func (s *Service) askModels(ctx context.Context, p *provider) []string {
	key, err := s.apiKey(p)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, min(s.timeout, 5*time.Second))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/models", nil)
	if err != nil {
		return nil
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.log.Warn("ai: list an upstream's models", "provider", p.Name, "err", err)
		return nil
	}
	defer resp.Body.Close()
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&list); err != nil || resp.StatusCode != http.StatusOK {
		return nil
	}
	var out []string
	for _, d := range list.Data {
		out = append(out, d.ID)
	}
	return out
}

// providerFor picks the provider of model.
func (s *Service) providerFor(model string) (*provider, bool) {
	for _, p := range s.providers {
		if slices.Contains(p.Models, model) {
			return p, true
		}
	}
	for _, p := range s.providers {
		if len(p.Models) == 0 {
			return p, true
		}
	}
	return nil, false
}

// refuse answers an error in OpenAI's shape (api.ErrorBody with type),
// signed like every answer.
func (s *Service) refuse(c cove.Call, status int, typ, code, msg string) *cove.Response {
	return s.refuseAs(c, "", status, typ, code, msg)
}

func (s *Service) refuseAs(c cove.Call, providerName string, status int, typ, code, msg string) *cove.Response {
	b, _ := json.Marshal(api.ErrorBody{Error: api.ErrorDetail{Code: code, Message: msg, Type: typ}})
	return s.signed(c, providerName, status, jsonHeader(), b, nil)
}

func jsonHeader() cove.Header {
	return cove.Header{"Content-Type": {"application/json"}}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// errGone is what Serve returns when its caller went away.
var errGone = errors.New("ai: the caller went away")

// sealedKeyPrefix starts a sealed key file: the envelope follows in
// base64.
const sealedKeyPrefix = "cove-sealed-ai-key:v1:"

// EncodeSealedKey is the text of a sealed key file for an envelope.
func EncodeSealedKey(envelope []byte) []byte {
	return []byte(sealedKeyPrefix + base64.StdEncoding.EncodeToString(envelope) + "\n")
}

// DecodeSealedKey returns the envelope of a sealed key file.
func DecodeSealedKey(b []byte) ([]byte, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(string(b)), sealedKeyPrefix)
	if !ok {
		return nil, fmt.Errorf("not a sealed key file (it starts with %q: make one with `cove ai seal-key`)", sealedKeyPrefix)
	}
	env, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("not a sealed key file: %w", err)
	}
	return env, nil
}

// loopbackURL reports whether u's host is a loopback IP or localhost.
func loopbackURL(u string) bool {
	parsed, err := url.Parse(u)
	if err != nil {
		return false
	}
	h := parsed.Hostname()
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}
