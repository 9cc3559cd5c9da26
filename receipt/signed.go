package receipt

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/ethsig"
)

// Names of the headers that carry a signed receipt.
const (
	HeaderReceipt   = "Cove-Receipt"
	HeaderSignature = "Cove-Signature"
	HeaderSigner    = "Cove-Signer"
)

// maxReceiptHeader bounds the Cove-Receipt header before decoding; a real
// receipt takes about 500 characters.
const maxReceiptHeader = 4096

var (
	// ErrBadSignature means a signature is malformed or was not made by the
	// claimed signer over the receipt.
	ErrBadSignature = errors.New("bad receipt signature")
	// ErrMismatch means a validly signed receipt does not describe the
	// request and response it came with.
	ErrMismatch = errors.New("receipt does not match")
	// ErrMalformed means the receipt headers cannot be decoded.
	ErrMalformed = errors.New("malformed receipt")
)

// Signer signs receipt digests as an agent (keys.Attestor is one).
type Signer interface {
	// Address returns the Ethereum address the signatures recover to.
	Address() cove.Address
	// Sign returns r ‖ s ‖ v (v = 27 or 28) over the 32-byte digest.
	Sign(digest cove.Hash) ([65]byte, error)
}

// Sign signs r with s and checks the result before returning it, so a
// misbehaving Signer cannot put an unverifiable receipt on a response.
//
// Security: the signature vouches that the agent's code produced this
// response to this request; only the worker that ran the call may sign.
func Sign(s Signer, r Receipt) (Signed, error) {
	sig, err := s.Sign(r.Digest())
	if err != nil {
		return Signed{}, fmt.Errorf("sign receipt: %w", err)
	}
	out := Signed{Receipt: r, Signature: sig, Signer: s.Address()}
	if err := Verify(out); err != nil {
		return Signed{}, fmt.Errorf("sign receipt: signer output does not verify: %w", err)
	}
	return out, nil
}

// SetHeaders writes the receipt headers of s to h, replacing any present.
func SetHeaders(h http.Header, s Signed) {
	js, err := json.Marshal(s.Receipt)
	if err != nil {
		panic("receipt: marshal: " + err.Error()) // fixed-size fields cannot fail
	}
	h.Set(HeaderReceipt, base64.RawURLEncoding.EncodeToString(js))
	h.Set(HeaderSignature, "0x"+hex.EncodeToString(s.Signature[:]))
	h.Set(HeaderSigner, s.Signer.String())
}

// FromHeaders decodes the receipt headers of a response. It is strict: each
// header must appear exactly once, the receipt must be unpadded base64url of
// a JSON object with exactly the six receipt fields, the signature 0x + 130
// hex digits ending in v = 27 or 28, and the signer 0x + 40 hex digits (with
// a valid EIP-55 checksum if mixed case). Errors wrap [ErrMalformed].
// FromHeaders does not check the signature: call [Verify] or [Check].
func FromHeaders(h http.Header) (Signed, error) {
	rec, err := header(h, HeaderReceipt)
	if err != nil {
		return Signed{}, err
	}
	sigHex, err := header(h, HeaderSignature)
	if err != nil {
		return Signed{}, err
	}
	signer, err := header(h, HeaderSigner)
	if err != nil {
		return Signed{}, err
	}

	var s Signed
	if len(rec) > maxReceiptHeader {
		return Signed{}, fmt.Errorf("%w: %s header is %d bytes, limit is %d", ErrMalformed, HeaderReceipt, len(rec), maxReceiptHeader)
	}
	js, err := base64.RawURLEncoding.Strict().DecodeString(rec)
	if err != nil {
		return Signed{}, fmt.Errorf("%w: %s header is not unpadded base64url: %v", ErrMalformed, HeaderReceipt, err)
	}
	if s.Receipt, err = decodeReceipt(js); err != nil {
		return Signed{}, fmt.Errorf("%w: %s header: %v", ErrMalformed, HeaderReceipt, err)
	}

	if len(sigHex) != 2+2*65 || sigHex[:2] != "0x" {
		return Signed{}, fmt.Errorf("%w: %s header: want 0x followed by 130 hex digits (65 bytes r‖s‖v), got %d characters", ErrMalformed, HeaderSignature, len(sigHex))
	}
	if _, err := hex.Decode(s.Signature[:], []byte(sigHex[2:])); err != nil {
		return Signed{}, fmt.Errorf("%w: %s header: %v", ErrMalformed, HeaderSignature, err)
	}
	if v := s.Signature[64]; v != 27 && v != 28 {
		return Signed{}, fmt.Errorf("%w: %s header: v is %d, want 27 or 28", ErrMalformed, HeaderSignature, v)
	}

	if s.Signer, err = cove.ParseAddress(signer); err != nil {
		return Signed{}, fmt.Errorf("%w: %s header: %v", ErrMalformed, HeaderSigner, err)
	}
	return s, nil
}

func header(h http.Header, name string) (string, error) {
	switch v := h.Values(name); len(v) {
	case 0:
		return "", fmt.Errorf("%w: missing %s header", ErrMalformed, name)
	case 1:
		return v[0], nil
	default:
		return "", fmt.Errorf("%w: %s header appears %d times, want once", ErrMalformed, name, len(v))
	}
}

// decodeReceipt decodes a JSON object that has each receipt field exactly
// once, with exact (case-sensitive) names, nothing else and nothing after it.
func decodeReceipt(js []byte) (Receipt, error) {
	var r Receipt
	fields := map[string]any{
		"agent":        &r.Agent,
		"codeHash":     &r.CodeHash,
		"requestHash":  &r.RequestHash,
		"status":       &r.Status,
		"responseHash": &r.ResponseHash,
		"timestamp":    &r.Timestamp,
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return Receipt{}, errors.New("not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return Receipt{}, fmt.Errorf("bad JSON: %v", err)
		}
		name, _ := tok.(string)
		dst, ok := fields[name]
		if !ok {
			return Receipt{}, fmt.Errorf("unknown field %q", truncate(name, 40))
		}
		if seen[name] {
			return Receipt{}, fmt.Errorf("duplicate field %q", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return Receipt{}, fmt.Errorf("field %q: %v", name, err)
		}
		if string(raw) == "null" {
			return Receipt{}, fmt.Errorf("field %q is null", name)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return Receipt{}, fmt.Errorf("field %q: %v", name, err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return Receipt{}, fmt.Errorf("bad JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Receipt{}, errors.New("data after the JSON object")
	}
	for _, name := range []string{"agent", "codeHash", "requestHash", "status", "responseHash", "timestamp"} {
		if !seen[name] {
			return Receipt{}, fmt.Errorf("missing field %q", name)
		}
	}
	return r, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Verify checks that Signature is a signature over Receipt.Digest() that
// recovers to Signer under the rule of package ethsig (low s), with v = 27
// or 28 as the header format requires. Errors wrap [ErrBadSignature].
// Verify says nothing about whether the receipt matches a response: see
// [Check], and compare Receipt.Agent and Receipt.CodeHash with what you
// expect.
func Verify(s Signed) error {
	if v := s.Signature[64]; v != 27 && v != 28 {
		return fmt.Errorf("%w: v is %d, want 27 or 28", ErrBadSignature, v)
	}
	got, err := ethsig.Recover(s.Receipt.Digest(), s.Signature)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBadSignature, ethsig.Reason(err))
	}
	if got != s.Signer {
		return fmt.Errorf("%w: signed by %s, not by the claimed signer %s", ErrBadSignature, got, s.Signer)
	}
	return nil
}

// Check verifies s (as [Verify]) and that it describes this exchange:
// the request hash of method, pathWithRawQuery and reqBody, the SHA-256 of
// respBody and the HTTP status. A mismatch wraps [ErrMismatch]. The caller
// still decides whether it trusts s.Signer for s.Receipt.Agent.
func Check(s Signed, method, pathWithRawQuery string, reqBody, respBody []byte, status int) error {
	if err := Verify(s); err != nil {
		return err
	}
	r := s.Receipt
	if got := cove.RequestHash(method, pathWithRawQuery, reqBody); got != r.RequestHash {
		return fmt.Errorf("%w: request hash is %s, receipt says %s (method, path with raw query or body differ)", ErrMismatch, got, r.RequestHash)
	}
	if got := cove.SHA256(respBody); got != r.ResponseHash {
		return fmt.Errorf("%w: response body hash is %s, receipt says %s", ErrMismatch, got, r.ResponseHash)
	}
	if status != int(r.Status) {
		return fmt.Errorf("%w: response status is %d, receipt says %d", ErrMismatch, status, r.Status)
	}
	return nil
}
