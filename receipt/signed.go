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
	"strings"

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
// receipt takes about 500 characters, a version-3 one with a proof of 8
// hashes about 1,400.
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

// Sign signs r with s. It checks the signature's form (v 27 or 28, r and
// s in range, low s), not that it recovers to s.Address(): that costs an
// ecrecover per response (about as much as the signature itself), so a
// signer is checked once, before use, with CheckSigner (the worker does
// when it derives an agent's keys).
//
// Security: the signature vouches that the agent's code produced this
// response to this request; only the worker that ran the call may sign.
func Sign(s Signer, r Receipt) (Signed, error) {
	sig, err := s.Sign(r.Digest())
	if err != nil {
		return Signed{}, fmt.Errorf("sign receipt: %w", err)
	}
	if err := ethsig.CheckForm(sig); err != nil {
		return Signed{}, fmt.Errorf("sign receipt: signer output: %w", err)
	}
	return Signed{Receipt: r, Signature: sig, Signer: s.Address()}, nil
}

// signerProbe is the digest CheckSigner signs: one no receipt, transaction
// or grant can have (a hash of a fixed label).
var signerProbe = cove.Keccak256([]byte("cove/receipt/signer-check/v1"))

// CheckSigner checks that s signs as Sign needs: a signature of the form
// Sign checks that recovers to s.Address(). A deterministic signer (an
// attestor derived from its key) that passes once signs every receipt
// right, so a caller checks each signer once instead of every signature.
func CheckSigner(s Signer) error {
	sig, err := s.Sign(signerProbe)
	if err != nil {
		return fmt.Errorf("check signer: %w", err)
	}
	if err := ethsig.CheckForm(sig); err != nil {
		return fmt.Errorf("check signer %s: %w", s.Address(), err)
	}
	got, err := ethsig.Recover(signerProbe, sig)
	if err != nil {
		return fmt.Errorf("check signer %s: %w", s.Address(), err)
	}
	if got != s.Address() {
		return fmt.Errorf("check signer: it says it is %s but signs as %s", s.Address(), got)
	}
	return nil
}

// SetHeaders writes the receipt headers of s to h, replacing any present.
func SetHeaders(h http.Header, s Signed) {
	var buf [1536]byte // a version-3 receipt with a full proof fits
	js := s.Receipt.AppendJSON(buf[:0])
	// Encoded on the stack too, so that the header's string is the one
	// allocation.
	var enc [2048]byte
	n := base64.RawURLEncoding.EncodedLen(len(js))
	if n <= len(enc) {
		base64.RawURLEncoding.Encode(enc[:n], js)
		h[HeaderReceipt] = []string{string(enc[:n])}
	} else {
		h[HeaderReceipt] = []string{base64.RawURLEncoding.EncodeToString(js)}
	}
	var sig [2 + 2*len(s.Signature)]byte
	h[HeaderSignature] = []string{string(hex.AppendEncode(append(sig[:0], "0x"...), s.Signature[:]))}
	h[HeaderSigner] = []string{s.Signer.String()}
}

// FromHeaders decodes the receipt headers of a response. It is strict: each
// header must appear exactly once, the receipt must be unpadded base64url of
// a JSON object with exactly the fields of its version (version 1: the six
// fields, no "version"; version 2: "version": 2, the six and "headersHash";
// version 3: version 2's with "version": 3, then "salt" and "proof"),
// the signature 0x + 130
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

// decodeReceipt decodes a JSON object that has each receipt field of its
// version exactly once, with exact (case-sensitive) names, nothing else and
// nothing after it. Version 1 has no "version" field; version 2 has
// "version": 2 and "headersHash"; version 3 has "version": 3,
// "headersHash", "salt" and "proof" (1 to cove.MaxReceiptProof hashes).
func decodeReceipt(js []byte) (Receipt, error) {
	var r Receipt
	fields := map[string]any{
		"version":      &r.Version,
		"agent":        &r.Agent,
		"codeHash":     &r.CodeHash,
		"requestHash":  &r.RequestHash,
		"status":       &r.Status,
		"responseHash": &r.ResponseHash,
		"timestamp":    &r.Timestamp,
		"headersHash":  &r.HeadersHash,
		"salt":         &r.Salt,
		"proof":        &r.Proof,
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
	want := []string{"agent", "codeHash", "requestHash", "status", "responseHash", "timestamp"}
	switch {
	case !seen["version"]:
		// Version 1: the six fields, nothing more.
		if seen["headersHash"] || seen["salt"] || seen["proof"] {
			return Receipt{}, errors.New(`field "headersHash", "salt" or "proof" without "version": 2 or 3`)
		}
	case r.Version == cove.ReceiptV2:
		want = append(want, "headersHash")
		if seen["salt"] || seen["proof"] {
			return Receipt{}, errors.New(`field "salt" or "proof" in a version-2 receipt (only version 3 has them)`)
		}
	case r.Version == cove.ReceiptV3:
		want = append(want, "headersHash", "salt", "proof")
		if n := len(r.Proof); seen["proof"] && (n < 1 || n > cove.MaxReceiptProof) {
			return Receipt{}, fmt.Errorf(`field "proof" has %d hashes, want 1 to %d`, n, cove.MaxReceiptProof)
		}
	default:
		// Version 1 is written without the field; 4 and up are not known here.
		return Receipt{}, fmt.Errorf("unknown version %d (this build knows 1, written without the field, 2 and 3)", r.Version)
	}
	for _, name := range want {
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
// or 28 as the header format requires, for a receipt of a known version
// (1, with no HeadersHash; 2, with no Proof; 3, with a Proof of 1 to
// cove.MaxReceiptProof hashes). For version 3 the digest is over the root
// the receipt's proof leads to: the signature then vouches for every
// receipt of the batch, this one among them. Errors wrap [ErrBadSignature].
// Verify says nothing about whether the receipt matches a response: see
// [Check], and compare Receipt.Agent and Receipt.CodeHash with what you
// expect.
func Verify(s Signed) error {
	switch r := s.Receipt; r.V() {
	case cove.ReceiptV1:
		if !r.HeadersHash.IsZero() {
			// Version 1 does not sign it: a value here would look covered.
			return fmt.Errorf("%w: a version-1 receipt has no headersHash", ErrBadSignature)
		}
		if len(r.Proof) != 0 || !r.Salt.IsZero() {
			return fmt.Errorf("%w: a version-1 receipt has no salt or proof", ErrBadSignature)
		}
	case cove.ReceiptV2:
		if len(r.Proof) != 0 || !r.Salt.IsZero() {
			// Version 2 does not sign them either.
			return fmt.Errorf("%w: a version-2 receipt has no salt or proof", ErrBadSignature)
		}
	case cove.ReceiptV3:
		if n := len(r.Proof); n < 1 || n > cove.MaxReceiptProof {
			return fmt.Errorf("%w: a version-3 receipt's proof has %d hashes, want 1 to %d", ErrBadSignature, n, cove.MaxReceiptProof)
		}
	default:
		return fmt.Errorf("%w: unknown receipt version %d", ErrBadSignature, r.Version)
	}
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

// Exchange is one call as its caller made it and its response as it
// arrived: what [Check] compares a receipt with.
type Exchange struct {
	Method string
	// Target is the request target sent to the gateway: the path with the
	// raw query ("/agents/0x…/hello?name=Ada").
	Target string
	// Host is the Host the request named (the authority it was sent to,
	// "gateway.example:8700"); version-2 and -3 receipts cover it.
	Host string
	// RequestBody is the request's body.
	RequestBody []byte
	// Status is the response's HTTP status.
	Status int
	// Header is the response's header as received (net/http's, canonical
	// keys); version-2 and -3 receipts cover the fields in
	// cove.ReceiptHeaders.
	Header http.Header
	// Body is the response's body.
	Body []byte
}

// Check verifies s (as [Verify]) and that it describes e: the request hash
// of its method, target and request body, the SHA-256 of its response body,
// its status and, for a version-2 or -3 receipt, the headers hash of its Host and
// response headers ([CheckHeaders]). A version-1 receipt does not cover the
// Host or response headers: Check cannot check them, and the caller must
// not rely on them (Receipt.CoversHeaders says which it got). A mismatch
// wraps [ErrMismatch]. The caller still decides whether it trusts s.Signer
// for s.Receipt.Agent.
func Check(s Signed, e Exchange) error {
	if err := Verify(s); err != nil {
		return err
	}
	r := s.Receipt
	if err := CheckRequest(r, e.Method, e.Target, e.RequestBody); err != nil {
		return err
	}
	if err := CheckResponse(r, e.Status, e.Body); err != nil {
		return err
	}
	if err := CheckHeaders(r, e.Host, e.Header); err != nil && !errors.Is(err, ErrNotCovered) {
		return err
	}
	return nil
}

// CheckRequest checks that r's request hash covers this method, request
// target (path with raw query, as sent to the gateway) and request body. It
// does not verify the signature (see [Verify]). A mismatch wraps
// [ErrMismatch].
func CheckRequest(r Receipt, method, target string, body []byte) error {
	if got := cove.RequestHash(method, target, body); got != r.RequestHash {
		return fmt.Errorf("%w: request hash is %s, receipt says %s (method, path with raw query or body differ)", ErrMismatch, got, r.RequestHash)
	}
	return nil
}

// CheckResponse checks that r describes a response with this status and
// body. It does not verify the signature (see [Verify]). A mismatch wraps
// [ErrMismatch].
func CheckResponse(r Receipt, status int, body []byte) error {
	if got := cove.SHA256(body); got != r.ResponseHash {
		return fmt.Errorf("%w: response body hash is %s, receipt says %s", ErrMismatch, got, r.ResponseHash)
	}
	if status != int(r.Status) {
		return fmt.Errorf("%w: response status is %d, receipt says %d", ErrMismatch, status, r.Status)
	}
	return nil
}

// ErrNotCovered is what [CheckHeaders] returns for a version-1 receipt,
// which does not cover the request's Host or the response headers.
var ErrNotCovered = errors.New("a version-1 receipt does not cover the Host or response headers")

// CheckHeaders checks that a version-2 or -3 receipt r covers this request Host
// and these response headers (cove.HeadersHash of host and the fields in
// cove.ReceiptHeaders). For a version-1 receipt it returns [ErrNotCovered].
// It does not verify the signature (see [Verify]). A mismatch wraps
// [ErrMismatch] and names the fields, so a changed Content-Type or
// Location shows.
//
// Security: a gateway or proxy between the worker and the caller can change
// any header; only the covered ones, checked here, are the agent's word.
func CheckHeaders(r Receipt, host string, h http.Header) error {
	if !r.CoversHeaders() {
		return ErrNotCovered
	}
	if got := cove.HeadersHash(host, cove.Header(h)); got != r.HeadersHash {
		var seen []string
		for _, name := range cove.ReceiptHeaders {
			if vs := h.Values(name); len(vs) > 0 {
				seen = append(seen, name+": "+truncate(strings.Join(vs, ", "), 60))
			}
		}
		return fmt.Errorf("%w: headers hash is %s, receipt says %s (the Host %q or the response headers [%s] differ from what the agent answered)",
			ErrMismatch, got, r.HeadersHash, truncate(host, 80), strings.Join(seen, "; "))
	}
	return nil
}
