// Package aimock is a MOCK OpenAI-compatible upstream: it stands in for an
// LLM provider (vLLM, Ollama, OpenAI), which is outside the project, in
// tests, benchmarks and `cove ai mock-upstream`. It runs no model: a chat
// completion answers "echo: " and the last user message, streamed word by
// word as server-sent events when asked; embeddings are a hash of the
// input. Its knobs make the faults an upstream can have: a slow head, a
// stream cut mid-way, an error status.
//
// Nothing in it is trusted or secure; never point a real deployment at it.
package aimock

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove/ethsig"
)

// Config sets the mock's behaviour; the zero value answers at once.
type Config struct {
	// Models are the model names /v1/models lists and requests may name;
	// empty means DefaultModels.
	Models []string
	// Key, when set, is the API key every request must carry as
	// "Authorization: Bearer KEY"; others get 401.
	Key string
	// HeadDelay is waited before the response head (a slow upstream).
	HeadDelay time.Duration
	// ChunkDelay is waited before each streamed chunk.
	ChunkDelay time.Duration
	// CutAfter, when positive, cuts a stream's connection after that many
	// chunks, without the final "[DONE]" (an upstream that died).
	CutAfter int
	// CutPartial is written just before a CutAfter cut: part of an event
	// ("data: {\"choi"), or an event without its blank line.
	CutPartial string
	// EndAfter, when positive, ends a stream cleanly after that many
	// chunks, without "[DONE]" (an upstream that stopped short).
	EndAfter int
	// Attest, when set, makes the mock an attested upstream in the
	// vllm-proxy format: /v1/attestation/report and /v1/signature/{id}.
	Attest *Attestor
	// ChatID, when set, is every chat completion's id (an upstream whose
	// ids are not unique).
	ChatID string
	// Status, when set, answers every completion with this status and an
	// OpenAI-style error body.
	Status int
}

// Attestor is what an attested mock signs and quotes with.
type Attestor struct {
	// Key signs each answer: EIP-191 over sha256(request):sha256(response).
	Key *ecdsa.PrivateKey
	// TEE names the quote's platform ("sim").
	TEE string
	// Quote makes a quote with the report data it is given.
	Quote func(reportData [64]byte) ([]byte, error)
	// Forge, when set, signs a text other than the exchange's (a
	// dishonest upstream).
	Forge bool
	// SignKey, when set, signs answers instead of Key, which the quote
	// still binds (a key outside the TEE).
	SignKey *ecdsa.PrivateKey
}

type signature struct{ text, sig string }

// DefaultModels is what the mock serves when Config.Models is empty.
var DefaultModels = []string{"mock-chat", "mock-embed"}

// Server is the mock upstream. It records the requests it got.
type Server struct {
	mu   sync.Mutex
	cfg  Config
	seen []Request
	sigs map[string]signature // by chat id, when attested
}

// Request is one request the mock received.
type Request struct {
	Method, Path, Authorization string
	Body                        []byte
}

// New returns a mock with cfg.
func New(cfg Config) *Server {
	if len(cfg.Models) == 0 {
		cfg.Models = DefaultModels
	}
	return &Server{cfg: cfg, sigs: map[string]signature{}}
}

// Set replaces the mock's behaviour for the requests that follow.
func (s *Server) Set(cfg Config) {
	if len(cfg.Models) == 0 {
		cfg.Models = DefaultModels
	}
	s.mu.Lock()
	s.cfg = cfg
	s.mu.Unlock()
}

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.seen...)
}

type message struct {
	Role    string `json:"role"`
	Content any    `json:"content"`
}

type request struct {
	Model    string            `json:"model"`
	Messages []message         `json:"messages"`
	Prompt   any               `json:"prompt"`
	Input    any               `json:"input"`
	Stream   bool              `json:"stream"`
	Encoding string            `json:"encoding_format"`
	Tools    []json.RawMessage `json:"tools"`
}

// ServeHTTP answers the OpenAI-compatible routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	s.mu.Lock()
	s.seen = append(s.seen, Request{Method: r.Method, Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), Body: body})
	cfg := s.cfg
	s.mu.Unlock()
	if cfg.Key != "" && r.Header.Get("Authorization") != "Bearer "+cfg.Key {
		writeError(w, http.StatusUnauthorized, "invalid_api_key", "mock upstream: wrong or missing API key")
		return
	}
	if cfg.Attest != nil && r.Method == http.MethodGet && r.URL.Path == "/v1/attestation/report" {
		s.report(w, r, cfg.Attest)
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/v1/signature/"); ok && cfg.Attest != nil && r.Method == http.MethodGet {
		s.mu.Lock()
		sig, ok := s.sigs[id]
		s.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, "not_found", "mock upstream: no signature for "+id)
			return
		}
		writeJSON(w, map[string]string{"text": sig.text, "signature": sig.sig, "signing_address": crypto.PubkeyToAddress(cfg.Attest.Key.PublicKey).Hex(), "signing_algo": "ecdsa"})
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/v1/models" {
		data := []map[string]any{}
		for _, m := range cfg.Models {
			data = append(data, map[string]any{"id": m, "object": "model", "created": 0, "owned_by": "aimock"})
		}
		writeJSON(w, map[string]any{"object": "list", "data": data})
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusNotFound, "not_found", "mock upstream: no route "+r.Method+" "+r.URL.Path)
		return
	}
	var req request
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_json", "mock upstream: "+err.Error())
		return
	}
	known := false
	for _, m := range cfg.Models {
		known = known || m == req.Model
	}
	if !known {
		writeError(w, http.StatusNotFound, "model_not_found", "mock upstream: no model "+req.Model)
		return
	}
	if !sleep(r.Context(), cfg.HeadDelay) {
		return
	}
	if cfg.Status != 0 {
		writeError(w, cfg.Status, "mock_failure", "mock upstream: failing as configured")
		return
	}
	switch r.URL.Path {
	case "/v1/chat/completions":
		s.chat(w, r, cfg, req)
	case "/v1/completions":
		text := "echo: " + flatten(req.Prompt)
		if req.Stream {
			s.stream(w, r, cfg, req.Model, "text_completion", text, func(piece string) any {
				return []map[string]any{{"index": 0, "text": piece, "finish_reason": nil}}
			})
			return
		}
		writeJSON(w, map[string]any{
			"id": "cmpl-" + short(body), "object": "text_completion", "created": 0, "model": req.Model,
			"choices": []map[string]any{{"index": 0, "text": text, "finish_reason": "stop"}},
			"usage":   usage(flatten(req.Prompt), text),
		})
	case "/v1/embeddings":
		inputs := []string{}
		switch v := req.Input.(type) {
		case string:
			inputs = append(inputs, v)
		case []any:
			for _, x := range v {
				inputs = append(inputs, fmt.Sprint(x))
			}
		}
		data := []map[string]any{}
		for i, in := range inputs {
			sum := sha256.Sum256([]byte(in))
			vec := make([]float64, 8)
			for j := range vec {
				vec[j] = float64(sum[j])/255 - 0.5
			}
			var emb any = vec
			if req.Encoding == "base64" {
				// OpenAI's packed form: little-endian float32s, base64.
				b := make([]byte, 4*len(vec))
				for j, x := range vec {
					binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(float32(x)))
				}
				emb = base64.StdEncoding.EncodeToString(b)
			}
			data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": emb})
		}
		writeJSON(w, map[string]any{"object": "list", "data": data, "model": req.Model, "usage": usage(strings.Join(inputs, " "), "")})
	default:
		writeError(w, http.StatusNotFound, "not_found", "mock upstream: no route POST "+r.URL.Path)
	}
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request, cfg Config, req request) {
	// The last user message, else the last message of any role (a
	// template that puts its question in a system message).
	last, lastAny := "", ""
	for _, m := range req.Messages {
		if m.Role == "user" {
			last = flatten(m.Content)
		}
		lastAny = flatten(m.Content)
	}
	if last == "" {
		last = lastAny
	}
	text := "echo: " + last
	id := "chatcmpl-" + short([]byte(fmt.Sprint(time.Now().UnixNano(), last)))
	if cfg.ChatID != "" {
		id = cfg.ChatID
	}
	if len(req.Tools) > 0 {
		// A tool-using request: call the first tool, as a model would.
		var tool struct {
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		json.Unmarshal(req.Tools[0], &tool)
		writeJSON(w, map[string]any{
			"id": id, "object": "chat.completion", "created": 0, "model": req.Model,
			"choices": []map[string]any{{"index": 0, "finish_reason": "tool_calls", "message": map[string]any{
				"role": "assistant", "content": nil,
				"tool_calls": []map[string]any{{"id": "call_1", "type": "function", "function": map[string]any{"name": tool.Function.Name, "arguments": `{"query":` + quote(last) + `}`}}},
			}}},
			"usage": usage(last, tool.Function.Name),
		})
		return
	}
	if req.Stream {
		first := true
		hw := &hashWriter{ResponseWriter: w, h: sha256.New()}
		defer func() { s.sign(cfg, id, r, hw.sum()) }()
		w = hw
		s.streamWithID(w, r, cfg, id, req.Model, "chat.completion.chunk", text, func(piece string) any {
			delta := map[string]any{"content": piece}
			if first {
				delta["role"], first = "assistant", false
			}
			return []map[string]any{{"index": 0, "delta": delta, "finish_reason": nil}}
		}, usage(last, text))
		return
	}
	b, _ := json.Marshal(map[string]any{
		"id": id, "object": "chat.completion", "created": 0, "model": req.Model,
		"choices": []map[string]any{{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": text}}},
		"usage":   usage(last, text),
	})
	b = append(b, '\n')
	s.sign(cfg, id, r, sha256.Sum256(b))
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// hashWriter hashes what passes to the client.
type hashWriter struct {
	http.ResponseWriter
	h hash.Hash
}

func (hw *hashWriter) Write(b []byte) (int, error) {
	hw.h.Write(b)
	return hw.ResponseWriter.Write(b)
}

func (hw *hashWriter) Flush() {
	if f, ok := hw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (hw *hashWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(hw.ResponseWriter).Hijack()
}

func (hw *hashWriter) sum() [32]byte {
	var out [32]byte
	hw.h.Sum(out[:0])
	return out
}

// sign keeps the vllm-proxy signature of an answer, when attested.
func (s *Server) sign(cfg Config, chatID string, r *http.Request, response [32]byte) {
	if cfg.Attest == nil {
		return
	}
	s.mu.Lock()
	body := s.seen[len(s.seen)-1].Body
	s.mu.Unlock()
	rq := sha256.Sum256(body)
	text := hex.EncodeToString(rq[:]) + ":" + hex.EncodeToString(response[:])
	signed := text
	if cfg.Attest.Forge {
		signed = strings.Repeat("0", 64) + ":" + hex.EncodeToString(response[:])
	}
	key := cfg.Attest.Key
	if cfg.Attest.SignKey != nil {
		key = cfg.Attest.SignKey
	}
	sig, _ := ethsig.Sign(key, ethsig.TextDigest(signed))
	s.mu.Lock()
	s.sigs[chatID] = signature{text: signed, sig: "0x" + hex.EncodeToString(sig[:])}
	s.mu.Unlock()
}

// report answers /v1/attestation/report?nonce=HEX: a quote binding the
// signing address and the nonce (vllm-proxy's layout).
func (s *Server) report(w http.ResponseWriter, r *http.Request, a *Attestor) {
	nonce, err := hex.DecodeString(r.URL.Query().Get("nonce"))
	if err != nil || len(nonce) != 32 {
		writeError(w, http.StatusBadRequest, "bad_nonce", "mock upstream: nonce must be 64 hex digits")
		return
	}
	addr := crypto.PubkeyToAddress(a.Key.PublicKey)
	var rd [64]byte
	copy(rd[:20], addr[:])
	copy(rd[32:], nonce)
	q, err := a.Quote(rd)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "quote", err.Error())
		return
	}
	writeJSON(w, map[string]string{"signing_address": addr.Hex(), "signing_algo": "ecdsa", "request_nonce": hex.EncodeToString(nonce), "quote": hex.EncodeToString(q), "tee": a.TEE})
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, cfg Config, model, object, text string, choices func(string) any) {
	s.streamWithID(w, r, cfg, "cmpl-"+short([]byte(text)), model, object, text, choices, nil)
}

// streamWithID writes text as server-sent events, a word per event, then a
// last event with usage (when given) and "[DONE]"; CutAfter cuts it.
func (s *Server) streamWithID(w http.ResponseWriter, r *http.Request, cfg Config, id, model, object, text string, choices func(string) any, use any) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	words := strings.SplitAfter(text, " ")
	for i, word := range words {
		if cfg.CutAfter > 0 && i == cfg.CutAfter {
			io.WriteString(w, cfg.CutPartial)
			if hj, ok := w.(http.Hijacker); ok {
				if flusher != nil {
					flusher.Flush()
				}
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close() // the upstream dies mid-stream
				}
			}
			panic(http.ErrAbortHandler)
		}
		if cfg.EndAfter > 0 && i == cfg.EndAfter {
			return
		}
		if !sleep(r.Context(), cfg.ChunkDelay) {
			return
		}
		event(w, map[string]any{"id": id, "object": object, "created": 0, "model": model, "choices": choices(word)})
		if flusher != nil {
			flusher.Flush()
		}
	}
	if use != nil {
		event(w, map[string]any{"id": id, "object": object, "created": 0, "model": model, "choices": []any{}, "usage": use})
	}
	io.WriteString(w, "data: [DONE]\n\n")
}

// sleep waits d, or until ctx ends (false).
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func event(w io.Writer, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "data: %s\n\n", b)
}

// usage counts a token per word, roughly as a tokenizer would.
func usage(prompt, completion string) map[string]int {
	p, c := len(strings.Fields(prompt)), len(strings.Fields(completion))
	return map[string]int{"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
}

func flatten(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		parts := []string{}
		for _, x := range v {
			if m, ok := x.(map[string]any); ok {
				if t, ok := m["text"].(string); ok {
					parts = append(parts, t)
				}
				continue
			}
			parts = append(parts, fmt.Sprint(x))
		}
		return strings.Join(parts, " ")
	}
	return ""
}

func short(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%x", sum[:8])
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error", "code": code}})
}
