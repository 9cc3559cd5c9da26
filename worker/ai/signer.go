package ai

import (
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/ethsig"
	"github.com/cove-network/cove/internal/atomicfile"
	"github.com/cove-network/cove/receipt"
)

// signerSealLabel binds the sealed signing key to its purpose.
const signerSealLabel = "worker/ai-signer/v1"

// signer is the worker's AI signing key: secp256k1, made in the TEE at
// first start and kept on disk only sealed by it.
//
// Security: it signs every AI answer this worker serves; it is this
// worker's own (not derived from a cluster key, which every worker holds),
// so a receipt names the TEE that served it and a quote can bind it
// (GET /v1/attestation/report).
type signer struct {
	priv *ecdsa.PrivateKey
	addr cove.Address
}

func (s *signer) Address() cove.Address { return s.addr }

func (s *signer) Sign(digest cove.Hash) ([65]byte, error) { return ethsig.Sign(s.priv, digest) }

// loadSigner unseals the key at path, or makes one and stores it sealed.
func loadSigner(p Platform, path string) (*signer, error) {
	raw, err := atomicfile.LoadOrSeal(p, signerSealLabel, path, func() ([]byte, error) {
		priv, err := crypto.GenerateKey()
		if err != nil {
			return nil, fmt.Errorf("make the AI signing key: %w", err)
		}
		return crypto.FromECDSA(priv), nil
	})
	if err != nil {
		return nil, fmt.Errorf("the AI signing key: %w", err)
	}
	defer clear(raw)
	priv, err := crypto.ToECDSA(raw)
	if err != nil {
		return nil, fmt.Errorf("load the AI signing key %s: %w", path, err)
	}
	return &signer{priv: priv, addr: cove.Address(crypto.PubkeyToAddress(priv.PublicKey))}, nil
}

// record is what the service keeps of one answer for GET
// /v1/ai/receipts/{id} and GET /v1/signature/{chat_id}.
type record struct {
	ID       string `json:"id"`
	ChatID   string `json:"chatId,omitempty"`
	Provider string `json:"provider,omitempty"`
	Model    string `json:"model,omitempty"`
	Endpoint string `json:"endpoint"`
	Status   int    `json:"status"`
	// Complete is false for a stream the upstream cut (it ended with an
	// error event, which the receipt covers).
	Complete bool `json:"complete"`
	// Upstream is "verified" when the provider's attestation is checked
	// and its quote and this answer's signature passed, else "unverified"
	// (attested.go).
	Upstream string `json:"upstream,omitempty"`
	// UpstreamMeasurement is the verified upstream's measurement (hex).
	UpstreamMeasurement string    `json:"upstreamMeasurement,omitempty"`
	Tokens              int64     `json:"tokens"`
	Served              time.Time `json:"servedAt"`
	// Receipt holds the Cove-Receipt, Cove-Signature and Cove-Signer
	// values, as the response's headers (or trailers) carried them.
	Receipt map[string]string `json:"receipt"`
	// Text and TextSignature are the vllm-proxy format: EIP-191 by the
	// same key over SignatureText.
	Text          string `json:"text"`
	TextSignature string `json:"textSignature"`
	Signer        string `json:"signingAddress"`
}

// maxRecords bounds the answers kept in memory; the oldest go first.
const maxRecords = 10_000

// records keeps the last max answers of providers by receipt id, and by
// chat id, which the upstream chooses and need not be unique (Ollama's
// are three digits): a chat id held by more than one kept answer names
// none of them (chatCount).
type records struct {
	mu        sync.Mutex
	byID      map[string]*record
	byChat    map[string]*record
	chatCount map[string]int
	order     []string
	next      int
	max       int
}

func newRecords(max int) *records {
	return &records{byID: map[string]*record{}, byChat: map[string]*record{}, chatCount: map[string]int{}, order: make([]string, max), max: max}
}

func (rs *records) put(r *record) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if old := rs.order[rs.next]; old != "" {
		if o := rs.byID[old]; o != nil && o.ChatID != "" {
			if rs.chatCount[o.ChatID]--; rs.chatCount[o.ChatID] <= 0 {
				delete(rs.chatCount, o.ChatID)
				delete(rs.byChat, o.ChatID)
			}
		}
		delete(rs.byID, old)
	}
	rs.order[rs.next] = r.ID
	rs.next = (rs.next + 1) % rs.max
	rs.byID[r.ID] = r
	if r.ChatID != "" {
		rs.byChat[r.ChatID] = r
		rs.chatCount[r.ChatID]++
	}
}

func (rs *records) get(id string) *record {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.byID[id]
}

// chat returns the one kept answer with chat id id; ambiguous when more
// than one has it.
func (rs *records) chat(id string) (rec *record, ambiguous bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.chatCount[id] > 1 {
		return nil, true
	}
	return rs.byChat[id], false
}

// newReceiptID names one answer ("rcpt-" and 24 hex digits).
func newReceiptID() string {
	var b [12]byte
	rand.Read(b[:])
	return "rcpt-" + hex.EncodeToString(b[:])
}

// HeaderReceiptID names the answer's record on every AI response.
const HeaderReceiptID = "X-Receipt-Id"

// answer is one signed answer in the making.
type answer struct {
	id       string
	provider string
	model    string
	chatID   string
	tokens   int64
	complete bool
	// upstream is "verified" or "unverified" (attested.go); empty for
	// answers no provider made.
	upstream            string
	upstreamMeasurement string
}

// sign signs the receipt over an answer with body (or its hash, for a
// stream) and keeps its record.
func (s *Service) sign(c cove.Call, a answer, status int, header cove.Header, responseHash cove.Hash) (cove.SignedReceipt, error) {
	text := api.AISignatureText(c.Body, responseHash)
	path, _, _ := strings.Cut(c.Path, "?")
	signed, err := receipt.Sign(s.signer, cove.Receipt{
		Version:      cove.ReceiptV2,
		Agent:        api.AIAgentID(a.provider),
		CodeHash:     s.measurement,
		RequestHash:  cove.RequestHash(c.Method, c.Path, c.Body),
		Status:       uint16(status),
		ResponseHash: responseHash,
		Timestamp:    uint64(time.Now().Unix()),
		HeadersHash:  cove.HeadersHash(c.Host, header),
	})
	if err != nil {
		return cove.SignedReceipt{}, err
	}
	tsig, err := s.signer.Sign(ethsig.TextDigest(text))
	if err != nil {
		return cove.SignedReceipt{}, err
	}
	h := http.Header{}
	receipt.SetHeaders(h, signed)
	rec := &record{
		ID: a.id, ChatID: a.chatID, Provider: a.provider, Model: a.model, Endpoint: path, Status: status,
		Complete: a.complete, Tokens: a.tokens, Served: time.Now().UTC(),
		Receipt: map[string]string{
			receipt.HeaderReceipt: h.Get(receipt.HeaderReceipt), receipt.HeaderSignature: h.Get(receipt.HeaderSignature), receipt.HeaderSigner: h.Get(receipt.HeaderSigner),
		},
		Text: text, TextSignature: "0x" + hex.EncodeToString(tsig[:]), Signer: s.signer.Address().String(),
	}
	// Only providers' answers are kept: answers anyone may ask for
	// (models, reports, refusals, these look-ups) would push them out.
	if a.provider != "" {
		rec.Upstream, rec.UpstreamMeasurement = a.upstream, a.upstreamMeasurement
		if rec.Upstream == "" {
			rec.Upstream = "unverified"
		}
		s.records.put(rec)
	}
	return signed, nil
}

// signed returns a buffered answer, signed, with its record kept.
func (s *Service) signed(c cove.Call, providerName string, status int, header cove.Header, body []byte, a *answer) *cove.Response {
	if a == nil {
		a = &answer{provider: providerName, complete: true}
	}
	if a.provider != "" {
		s.metrics.AI(a.provider, status, a.tokens)
	}
	if a.id == "" {
		a.id = newReceiptID()
	}
	header[HeaderReceiptID] = []string{a.id}
	signed, err := s.sign(c, *a, status, header, cove.SHA256(body))
	if err != nil {
		// The key is in memory and checked at start: this does not happen;
		// if it does, an unsigned 500 says so rather than an unsigned answer.
		s.log.Error("ai: sign an answer", "err", err)
		b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": "internal", "type": "api_error", "message": "the worker could not sign the answer"}})
		return &cove.Response{Status: http.StatusInternalServerError, Header: jsonHeader(), Body: b, RequestID: a.id}
	}
	return &cove.Response{Status: status, Header: header, Body: body, Receipt: &signed, RequestID: a.id}
}

// signature answers GET /v1/signature/{chat_id}: the vllm-proxy format.
func (s *Service) signature(c cove.Call, chatID, query string) *cove.Response {
	q, _ := url.ParseQuery(query)
	if algo := q.Get("signing_algo"); algo != "" && algo != "ecdsa" {
		return s.refuse(c, http.StatusBadRequest, "invalid_request_error", "unsupported_signing_algo",
			fmt.Sprintf("signing_algo %q is not served: this worker signs with ecdsa (secp256k1, EIP-191) only", truncate(algo, 40)))
	}
	id, err := url.PathUnescape(chatID)
	if err != nil {
		id = chatID
	}
	rec, ambiguous := s.records.chat(id)
	if ambiguous {
		return s.refuse(c, http.StatusConflict, "invalid_request_error", "chat_id_not_unique",
			fmt.Sprintf("more than one answer kept here has chat id %q (the provider's ids are not unique): ask GET /v1/ai/receipts/{id} with the answer's x-receipt-id", truncate(id, 100)))
	}
	if rec == nil {
		return s.refuse(c, http.StatusNotFound, "invalid_request_error", "signature_not_found",
			fmt.Sprintf("no answer with chat id %q is kept here (the last %d answers are)", truncate(id, 100), maxRecords))
	}
	b, _ := json.Marshal(api.AISignature{Text: rec.Text, Signature: rec.TextSignature, SigningAddress: rec.Signer, SigningAlgo: "ecdsa"})
	return s.signed(c, "", http.StatusOK, jsonHeader(), b, nil)
}

// receiptRecord answers GET /v1/ai/receipts/{id}.
func (s *Service) receiptRecord(c cove.Call, id string) *cove.Response {
	rec := s.records.get(id)
	if rec == nil {
		return s.refuse(c, http.StatusNotFound, "invalid_request_error", "receipt_not_found",
			fmt.Sprintf("no answer %q is kept here: a stream's record appears when it ends; the last %d answers are kept", truncate(id, 100), maxRecords))
	}
	b, _ := json.Marshal(rec)
	return s.signed(c, "", http.StatusOK, jsonHeader(), b, nil)
}

// report answers GET /v1/attestation/report?nonce=HEX&signing_address=ADDR.
func (s *Service) report(c cove.Call, query string) *cove.Response {
	q, _ := url.ParseQuery(query)
	var nonce [32]byte
	if n := q.Get("nonce"); n != "" {
		b, err := hex.DecodeString(strings.TrimPrefix(n, "0x"))
		if err != nil || len(b) != 32 {
			return s.refuse(c, http.StatusBadRequest, "invalid_request_error", "bad_nonce", "nonce must be 32 bytes as 64 hex digits")
		}
		copy(nonce[:], b)
	} else {
		rand.Read(nonce[:])
	}
	if a := q.Get("signing_address"); a != "" {
		addr, err := cove.ParseAddress(a)
		if err != nil {
			return s.refuse(c, http.StatusBadRequest, "invalid_request_error", "bad_signing_address", "signing_address: "+err.Error())
		}
		if addr != s.signer.Address() {
			return s.refuse(c, http.StatusNotFound, "invalid_request_error", "unknown_signing_address",
				fmt.Sprintf("this worker signs as %s, not %s", s.signer.Address(), addr))
		}
	}
	rd := api.AIReportData(s.signer.Address(), nonce)
	quote, err := s.platform.Quote(rd)
	if err != nil {
		s.log.Error("ai: quote the signing key", "err", err)
		return s.refuse(c, http.StatusServiceUnavailable, "api_error", "quote_failed", "the TEE could not make a quote; retry shortly")
	}
	r := api.AIReport{
		SigningAddress: s.signer.Address().String(), SigningAlgo: "ecdsa", RequestNonce: hex.EncodeToString(nonce[:]),
		ReportData: hex.EncodeToString(rd[:]), Quote: hex.EncodeToString(quote), TEE: s.platform.Name(),
		Measurement: hex.EncodeToString(s.measurement[:]),
	}
	if r.TEE == "tdx" {
		r.IntelQuote = r.Quote
	}
	b, _ := json.Marshal(r)
	return s.signed(c, "", http.StatusOK, jsonHeader(), b, nil)
}
