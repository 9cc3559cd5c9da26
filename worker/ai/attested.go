package ai

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/ethsig"
)

// Attestation modes of a provider (Provider.Attestation).
const (
	// AttestationOff: the upstream is not checked; its answers are
	// recorded as "unverified".
	AttestationOff = ""
	// AttestationCheck: the upstream is a TEE that serves vllm-proxy's
	// /v1/attestation/report and /v1/signature/{chat_id} (a dstack
	// vllm-proxy); its quote (platform by the chain's TEE policy,
	// measurement by Provider.Measurements) and each answer's signature
	// are checked and the result recorded as "verified" or "unverified".
	AttestationCheck = "check"
	// AttestationRequire is AttestationCheck that refuses an answer it
	// cannot verify (502 upstream_unverified; a stream ends with that
	// error event instead of completing).
	AttestationRequire = "require"
)

// QuoteVerifier checks a quote of TEE platform tee whose report data must
// be reportData and whose measurement must be one of measurements: the
// platform against the network's TEE policy (the vendor's keys or chain
// and collateral, the TCB status), the measurement against the
// provider's list (the worker's: attest.Verifier with the chain's params,
// their allowed measurements replaced by the list). It returns the
// measurement.
type QuoteVerifier func(tee string, quote []byte, reportData [64]byte, measurements [][]byte) (measurement []byte, err error)

// SetQuoteVerifier sets how upstreams' quotes are checked; until it is
// set, no upstream can be verified.
func (s *Service) SetQuoteVerifier(v QuoteVerifier) { s.quotes.Store(&v) }

// upstreamReattest is how long a verified upstream signing address is
// trusted before its quote is asked for again.
const upstreamReattest = 10 * time.Minute

// attested is an upstream's signing address whose quote was verified.
type attested struct {
	addr        cove.Address
	measurement []byte
	at          time.Time
}

// upstreamSigner returns p's verified signing address: cached, or from a
// fresh attestation report for a nonce of ours whose quote the network's
// TEE policy accepts and whose report data binds the address and nonce.
func (s *Service) upstreamSigner(ctx context.Context, p *provider) (cove.Address, error) {
	if a := p.attested.Load(); a != nil && time.Since(a.at) < upstreamReattest {
		return a.addr, nil
	}
	v := s.quotes.Load()
	if v == nil {
		return cove.Address{}, errors.New("this worker has no quote verifier")
	}
	var nonce [32]byte
	rand.Read(nonce[:])
	var rep struct {
		SigningAddress string `json:"signing_address"`
		Nonce          string `json:"request_nonce"`
		IntelQuote     string `json:"intel_quote"`
		Quote          string `json:"quote"`
		TEE            string `json:"tee"`
	}
	if err := s.upstreamJSON(ctx, p, "/attestation/report?signing_algo=ecdsa&nonce="+hex.EncodeToString(nonce[:]), &rep); err != nil {
		return cove.Address{}, fmt.Errorf("attestation report: %w", err)
	}
	addr, err := cove.ParseAddress(rep.SigningAddress)
	if err != nil {
		return cove.Address{}, fmt.Errorf("attestation report: signing_address: %w", err)
	}
	tee, q := rep.TEE, rep.Quote
	if rep.IntelQuote != "" {
		tee, q = "tdx", rep.IntelQuote // vllm-proxy's field
	}
	quote, err := hex.DecodeString(strings.TrimPrefix(q, "0x"))
	if err != nil || len(quote) == 0 {
		return cove.Address{}, errors.New("attestation report: no quote in hex")
	}
	meas, err := (*v)(tee, quote, api.AIReportData(addr, nonce), p.measurements())
	if err != nil {
		return cove.Address{}, fmt.Errorf("attestation report: %w", err)
	}
	p.attested.Store(&attested{addr: addr, measurement: meas, at: time.Now()})
	s.log.Info("ai: upstream attested", "provider", p.Name, "signing_address", addr, "tee", tee, "measurement", hex.EncodeToString(meas))
	return addr, nil
}

// measurements returns p's trusted measurements as bytes (checked by
// Validate).
func (p *provider) measurements() [][]byte {
	out := make([][]byte, 0, len(p.Measurements))
	for _, m := range p.Measurements {
		b, _ := hex.DecodeString(strings.TrimPrefix(m, "0x"))
		out = append(out, b)
	}
	return out
}

// verifyUpstream checks an answer of p: its signing address is attested
// (upstreamSigner) and its vllm-proxy signature for chatID is that
// address's EIP-191 signature over sha256(request):sha256(response), the
// exact bytes this worker sent and received.
func (s *Service) verifyUpstream(ctx context.Context, p *provider, chatID string, request []byte, response cove.Hash) error {
	if chatID == "" {
		return errors.New("the answer has no id to ask its signature by")
	}
	addr, err := s.upstreamSigner(ctx, p)
	if err != nil {
		return err
	}
	var sig api.AISignature
	if err := s.upstreamJSON(ctx, p, "/signature/"+url.PathEscape(chatID)+"?signing_algo=ecdsa", &sig); err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	if want := api.AISignatureText(request, response); sig.Text != want {
		return fmt.Errorf("signature: it signs %q, not this exchange's %q", truncate(sig.Text, 140), want)
	}
	raw, err := hex.DecodeString(strings.TrimPrefix(sig.Signature, "0x"))
	if err != nil || len(raw) != ethsig.Size {
		return errors.New("signature: not 65 bytes of hex")
	}
	got, err := ethsig.Recover(ethsig.TextDigest(sig.Text), [ethsig.Size]byte(raw))
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	if got != addr {
		// A new key (a restarted upstream): attest it again once.
		p.attested.Store(nil)
		if addr, err = s.upstreamSigner(ctx, p); err != nil {
			return err
		}
		if got != addr {
			return fmt.Errorf("signature: by %s, not the attested %s", got, addr)
		}
	}
	return nil
}

// upstreamJSON GETs path under p's base URL into out.
func (s *Service) upstreamJSON(ctx context.Context, p *provider, path string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+path, nil)
	if err != nil {
		return err
	}
	if key, err := s.apiKey(p); err == nil && key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d", path, resp.StatusCode)
	}
	return json.Unmarshal(b, out)
}

// upstreamVerdict checks answer a of p when its attestation is on and
// sets what its record says: "verified" (with the upstream's measurement)
// or "unverified"; the error says why not verified.
func (s *Service) upstreamVerdict(ctx context.Context, p *provider, a *answer, request []byte, response cove.Hash) error {
	a.upstream = "unverified"
	if p.Attestation == AttestationOff {
		return nil
	}
	if err := s.verifyUpstream(ctx, p, a.chatID, request, response); err != nil {
		s.log.Warn("ai: an upstream answer is not verified", "provider", p.Name, "chat", a.chatID, "err", err)
		return err
	}
	a.upstream = "verified"
	if at := p.attested.Load(); at != nil {
		a.upstreamMeasurement = hex.EncodeToString(at.measurement)
	}
	return nil
}
