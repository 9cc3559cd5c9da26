package api

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/ethsig"
)

// HeaderAuth carries a signed authorization for owner-only requests
// (GET /v1/agents/{id}/logs): the base64url encoding (no padding) of the
// JSON of an [Auth], whose signature is an EIP-712 signature a wallet's
// signTypedData makes (see [Auth.Digest] and docs/PROTOCOL.md).
const HeaderAuth = "Cove-Auth"

// MaxAuthLifetime bounds how far ahead of the gateway's clock a Cove-Auth
// may expire. It is short because the gateway's record of used nonces
// lives in memory: a restart forgets it, and only the expiry then stops a
// replay.
const MaxAuthLifetime = 5 * time.Minute

// AuthLifetime is how far ahead the Go client (and `cove agent logs`)
// lets the Cove-Auth it signs expire: under MaxAuthLifetime, so that a
// client clock up to three minutes fast is still accepted.
const AuthLifetime = 2 * time.Minute

// MaxAuthHeaderBytes bounds a Cove-Auth value; longer ones are refused
// before they are decoded.
const MaxAuthHeaderBytes = 4096

// AuthType is the EIP-712 type of a Cove-Auth. Its name is its own: no
// receipt (type Receipt, a domain without chainId) or chain transaction
// (types named after their message) hashes the same, so a Cove-Auth
// signature can never be read as either.
const AuthType = "CoveAuth(string audience,string method,string path,bytes32 nonce,uint64 expiry)"

// The EIP-712 domain of a Cove-Auth is the one chain transactions use:
// {name: "Cove", version: "1", chainId} (cove.ChainDomain).
var authTypeHash = cove.Keccak256([]byte(AuthType))

// Auth is one signed authorization of one request: the EIP-712 message
// CoveAuth{audience, method, path, nonce, expiry} in the domain
// {name: "Cove", version: "1", chainId}, and the signer's signature of its
// digest. The signer is not written: the gateway recovers it.
type Auth struct {
	// Audience is the gateway's host as the client addressed it
	// ("gateway.example.com", "127.0.0.1:8700"): the authorization is
	// good at that gateway only.
	Audience string `json:"audience"`
	// Method and Path are the request's method and path (escaped as sent,
	// without the query): the authorization is good for that one resource.
	Method string `json:"method"`
	Path   string `json:"path"`
	// Nonce is random; a gateway accepts each nonce of a signer once.
	Nonce cove.Hash `json:"nonce"`
	// Expiry is in Unix seconds, at most MaxAuthLifetime ahead.
	Expiry uint64 `json:"expiry"`
	// ChainID is the Cove chain's numeric id (the EIP-712 domain's
	// chainId; numeric_chain_id in GET /v1/chain/status).
	ChainID uint64 `json:"chainId"`
	// Signature is r‖s‖v (v 27 or 28, low s) over Digest().
	Signature [65]byte `json:"-"`
}

// authJSON is the header's JSON: Auth with the signature as 0x-hex.
type authJSON struct {
	Audience  *string    `json:"audience"`
	Method    *string    `json:"method"`
	Path      *string    `json:"path"`
	Nonce     *cove.Hash `json:"nonce"`
	Expiry    *uint64    `json:"expiry"`
	ChainID   *uint64    `json:"chainId"`
	Signature *string    `json:"signature"`
}

// Digest returns the EIP-712 digest the signer signs:
// keccak256("\x19\x01" ‖ domainSeparator(chainId) ‖ hashStruct(CoveAuth)),
// with hashStruct = keccak256(typeHash ‖ keccak256(audience) ‖
// keccak256(method) ‖ keccak256(path) ‖ nonce ‖ uint256(expiry)).
//
// Security: the digest binds the chain (domain chainId), the gateway
// (audience), the resource (method and path), a one-time nonce and a short
// expiry; a verifier must check each against the request it serves (the
// gateway's checkAuth), since the signature alone only proves who signed.
func (a Auth) Digest() cove.Hash {
	domain := cove.ChainDomain(a.ChainID)
	aud, m, p := cove.Keccak256([]byte(a.Audience)), cove.Keccak256([]byte(a.Method)), cove.Keccak256([]byte(a.Path))
	var exp [32]byte
	binary.BigEndian.PutUint64(exp[24:], a.Expiry)
	st := cove.Keccak256(authTypeHash[:], aud[:], m[:], p[:], a.Nonce[:], exp[:])
	return cove.Keccak256([]byte("\x19\x01"), domain[:], st[:])
}

// Header returns the Cove-Auth header value of a signed a.
func (a Auth) Header() string {
	sig := "0x" + hex.EncodeToString(a.Signature[:])
	b, _ := json.Marshal(authJSON{ // strings, a hash and numbers: it cannot fail
		Audience: &a.Audience, Method: &a.Method, Path: &a.Path, Nonce: &a.Nonce,
		Expiry: &a.Expiry, ChainID: &a.ChainID, Signature: &sig,
	})
	return base64.RawURLEncoding.EncodeToString(b)
}

// ErrBadAuth is returned by ParseAuth for a Cove-Auth that is not one.
var ErrBadAuth = errors.New("malformed " + HeaderAuth)

// ParseAuth decodes a Cove-Auth header value strictly: base64url without
// padding of a JSON object with exactly the fields audience, method, path,
// nonce (0x + 64 hex digits), expiry, chainId (numbers) and signature
// (0x + 130 hex digits, v 27 or 28). It checks the form only; the gateway
// checks what it says.
func ParseAuth(h string) (Auth, error) {
	if len(h) > MaxAuthHeaderBytes {
		return Auth{}, fmt.Errorf("%w: longer than %d bytes", ErrBadAuth, MaxAuthHeaderBytes)
	}
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return Auth{}, fmt.Errorf("%w: not base64url without padding", ErrBadAuth)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j authJSON
	if err := dec.Decode(&j); err != nil {
		return Auth{}, fmt.Errorf("%w: %v", ErrBadAuth, err)
	}
	if dec.More() {
		return Auth{}, fmt.Errorf("%w: data after the JSON object", ErrBadAuth)
	}
	if j.Audience == nil || j.Method == nil || j.Path == nil || j.Nonce == nil || j.Expiry == nil || j.ChainID == nil || j.Signature == nil {
		return Auth{}, fmt.Errorf("%w: want the fields audience, method, path, nonce, expiry, chainId and signature", ErrBadAuth)
	}
	s := *j.Signature
	sig, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if !strings.HasPrefix(s, "0x") || err != nil || len(sig) != 65 || (sig[64] != 27 && sig[64] != 28) {
		return Auth{}, fmt.Errorf("%w: signature must be 0x + 65 bytes r‖s‖v with v 27 or 28", ErrBadAuth)
	}
	return Auth{
		Audience: *j.Audience, Method: *j.Method, Path: *j.Path, Nonce: *j.Nonce,
		Expiry: *j.Expiry, ChainID: *j.ChainID, Signature: [65]byte(sig),
	}, nil
}

// AuthRefusal says why a Cove-Auth is refused: a stable error code and a
// message for the caller.
type AuthRefusal struct {
	Code    string
	Message string
}

// Check checks a for chain chainID and the request's method and escaped
// path (without the query) at now: the chain id, the resource, an expiry
// after now and at most MaxAuthLifetime ahead, and a signature that
// recovers a key, which it returns. The audience and the nonce are the
// receiver's to check: a gateway checks both (a worker that reads an
// owner's Cove-Auth passed on by a gateway checks neither).
func (a Auth) Check(chainID uint64, method, path string, now time.Time) (cove.Address, *AuthRefusal) {
	refuse := func(code, format string, args ...any) (cove.Address, *AuthRefusal) {
		return cove.Address{}, &AuthRefusal{Code: code, Message: fmt.Sprintf(format, args...)}
	}
	if a.ChainID != chainID {
		return refuse("auth_wrong_chain", "the %s is signed for chain id %d; this network is chain id %d", HeaderAuth, a.ChainID, chainID)
	}
	if a.Method != method || a.Path != path {
		return refuse("auth_wrong_resource", "the %s is signed for %s %s, not this request's %s %s", HeaderAuth, clip(a.Method, 20), clip(a.Path, 200), method, path)
	}
	if a.Expiry > uint64(now.Add(MaxAuthLifetime).Unix()) {
		return refuse("auth_expired", "the %s expires more than %s ahead (or the client's clock is fast); sign one that expires sooner", HeaderAuth, MaxAuthLifetime)
	}
	if a.Expiry <= uint64(now.Unix()) {
		return refuse("auth_expired", "the %s has expired (or the client's clock is slow); sign a fresh one", HeaderAuth)
	}
	signer, err := ethsig.Recover(a.Digest(), a.Signature)
	if err != nil {
		return refuse("bad_auth", "the %s signature does not recover a key: %s", HeaderAuth, ethsig.Reason(err))
	}
	return signer, nil
}

// clip cuts s to n bytes, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
