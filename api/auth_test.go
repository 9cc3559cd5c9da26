package api_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
)

func sample() api.Auth {
	a := api.Auth{Audience: "gw.example:8700", Method: "GET", Path: "/v1/agents/0x" + strings.Repeat("ab", 32) + "/logs",
		Nonce: cove.Hash{1, 2, 3}, Expiry: 1795300000, ChainID: 7731}
	a.Signature[64] = 27
	for i := range 64 {
		a.Signature[i] = byte(i + 1)
	}
	return a
}

// TestAuthDigestGeth: the digest is EIP-712 as go-ethereum's typed-data
// encoder (an implementation independent of ours) computes it, with the
// type and domain docs/PROTOCOL.md names. (testdata/js checks ethers and
// viem: gateway/js_test.go.)
func TestAuthDigestGeth(t *testing.T) {
	a := sample()
	td := apitypes.TypedData{
		Types: apitypes.Types{
			"EIP712Domain": {{Name: "name", Type: "string"}, {Name: "version", Type: "string"}, {Name: "chainId", Type: "uint256"}},
			"CoveAuth": {{Name: "audience", Type: "string"}, {Name: "method", Type: "string"}, {Name: "path", Type: "string"},
				{Name: "nonce", Type: "bytes32"}, {Name: "expiry", Type: "uint64"}},
		},
		PrimaryType: "CoveAuth",
		Domain:      apitypes.TypedDataDomain{Name: "Cove", Version: "1", ChainId: math.NewHexOrDecimal256(int64(a.ChainID))},
		Message: apitypes.TypedDataMessage{
			"audience": a.Audience, "method": a.Method, "path": a.Path,
			"nonce": hexutil.Encode(a.Nonce[:]), "expiry": math.NewHexOrDecimal256(int64(a.Expiry)),
		},
	}
	if got := string(td.EncodeType("CoveAuth")); got != api.AuthType {
		t.Fatalf("type %q, go-ethereum encodes %q", api.AuthType, got)
	}
	want, _, err := apitypes.TypedDataAndHash(td)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Digest(); string(got[:]) != string(want) {
		t.Fatalf("digest %s, go-ethereum %s", got, hexutil.Encode(want))
	}
	// Every field is covered: changing any one changes the digest.
	for name, f := range map[string]func(*api.Auth){
		"audience": func(a *api.Auth) { a.Audience += "x" }, "method": func(a *api.Auth) { a.Method = "POST" },
		"path": func(a *api.Auth) { a.Path += "x" }, "nonce": func(a *api.Auth) { a.Nonce[31] = 1 },
		"expiry": func(a *api.Auth) { a.Expiry++ }, "chainId": func(a *api.Auth) { a.ChainID++ },
	} {
		b := sample()
		f(&b)
		if b.Digest() == a.Digest() {
			t.Errorf("%s is not covered by the digest", name)
		}
	}
}

func TestAuthHeaderRoundTrip(t *testing.T) {
	a := sample()
	got, err := api.ParseAuth(a.Header())
	if err != nil {
		t.Fatal(err)
	}
	if got != a {
		t.Fatalf("round trip: %+v, want %+v", got, a)
	}
}

// TestParseAuthStrict: the header is exactly one JSON object of the seven
// fields, base64url without padding; anything else is ErrBadAuth.
func TestParseAuthStrict(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	good := `"audience":"h","method":"GET","path":"/","nonce":"0x` + strings.Repeat("00", 32) + `","expiry":1,"chainId":7731`
	sig := `"signature":"0x` + strings.Repeat("11", 64) + `1b"`
	if _, err := api.ParseAuth(enc("{" + good + "," + sig + "}")); err != nil {
		t.Fatalf("control: %v", err)
	}
	for name, h := range map[string]string{
		"padded":           padded("{" + good + "," + sig + "}"),
		"std alphabet":     strings.NewReplacer("-", "+", "_", "/").Replace(enc("{"+good+","+sig+"}")) + "+/",
		"no signature":     enc("{" + good + "}"),
		"unknown field":    enc("{" + good + "," + sig + `,"signer":"0x00"}`),
		"trailing data":    enc("{" + good + "," + sig + "}{}"),
		"short signature":  enc("{" + good + `,"signature":"0x` + strings.Repeat("11", 64) + `"}`),
		"v 0":              enc("{" + good + `,"signature":"0x` + strings.Repeat("11", 64) + `00"}`),
		"signature no 0x":  enc("{" + good + `,"signature":"` + strings.Repeat("11", 64) + `1b"}`),
		"negative expiry":  enc(`{"audience":"h","method":"GET","path":"/","nonce":"0x` + strings.Repeat("00", 32) + `","expiry":-1,"chainId":7731,` + sig + "}"),
		"short nonce":      enc(`{"audience":"h","method":"GET","path":"/","nonce":"0x00","expiry":1,"chainId":7731,` + sig + "}"),
		"too long":         strings.Repeat("A", api.MaxAuthHeaderBytes+1),
		"the old form":     "1795300000 0x" + strings.Repeat("11", 65),
		"array":            enc("[]"),
		"string chain id":  enc(`{"audience":"h","method":"GET","path":"/","nonce":"0x` + strings.Repeat("00", 32) + `","expiry":1,"chainId":"7731",` + sig + "}"),
		"null audience":    enc(`{"audience":null,"method":"GET","path":"/","nonce":"0x` + strings.Repeat("00", 32) + `","expiry":1,"chainId":7731,` + sig + "}"),
		"empty (no JSON)":  "",
		"whitespace only":  enc("  "),
		"nonce not hex":    enc(`{"audience":"h","method":"GET","path":"/","nonce":"0x` + strings.Repeat("zz", 32) + `","expiry":1,"chainId":7731,` + sig + "}"),
		"expiry fraction":  enc(`{"audience":"h","method":"GET","path":"/","nonce":"0x` + strings.Repeat("00", 32) + `","expiry":1.5,"chainId":7731,` + sig + "}"),
		"chain id too big": enc(`{"audience":"h","method":"GET","path":"/","nonce":"0x` + strings.Repeat("00", 32) + `","expiry":1,"chainId":18446744073709551616,` + sig + "}"),
	} {
		if _, err := api.ParseAuth(h); !errors.Is(err, api.ErrBadAuth) {
			t.Errorf("%s: %v, want ErrBadAuth", name, err)
		}
	}
}

// padded is base64url of s with padding, s extended with spaces (which
// JSON allows) until padding is needed.
func padded(s string) string {
	for len(s)%3 == 0 {
		s += " "
	}
	return base64.URLEncoding.EncodeToString([]byte(s))
}

// FuzzParseAuth: any value either fails with ErrBadAuth or round-trips.
func FuzzParseAuth(f *testing.F) {
	f.Add(sample().Header())
	f.Add("")
	f.Add("e30")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := api.ParseAuth(h)
		if err != nil {
			if !errors.Is(err, api.ErrBadAuth) {
				t.Fatalf("error not ErrBadAuth: %v", err)
			}
			return
		}
		b, err := api.ParseAuth(a.Header())
		if err != nil || b != a {
			t.Fatalf("re-encoded %+v: %+v, %v", a, b, err)
		}
	})
}

// TestAuthCheck: a genuine Cove-Auth passes and names its signer; each
// forgery changes one thing of it and is refused with its code: another
// chain, method, path, an expiry past or too far ahead, a signature that
// recovers no key. (The audience and the nonce are the receiver's.)
func TestAuthCheck(t *testing.T) {
	priv, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1795300000, 0)
	sign := func(mut func(*api.Auth)) api.Auth {
		a := sample()
		a.Expiry = uint64(now.Add(time.Minute).Unix())
		if mut != nil {
			mut(&a)
		}
		d := a.Digest()
		sig, err := crypto.Sign(d[:], priv)
		if err != nil {
			t.Fatal(err)
		}
		sig[64] += 27
		a.Signature = [65]byte(sig)
		return a
	}
	a := sample()
	if signer, ref := sign(nil).Check(a.ChainID, a.Method, a.Path, now); ref != nil || signer != cove.Address(crypto.PubkeyToAddress(priv.PublicKey)) {
		t.Fatalf("the genuine header: %v %+v", signer, ref)
	}
	for _, c := range []struct {
		code string
		a    api.Auth
	}{
		{"auth_wrong_chain", sign(func(x *api.Auth) { x.ChainID++ })},
		{"auth_wrong_resource", sign(func(x *api.Auth) { x.Method = "POST" })},
		{"auth_wrong_resource", sign(func(x *api.Auth) { x.Path += "x" })},
		{"auth_expired", sign(func(x *api.Auth) { x.Expiry = uint64(now.Unix()) })},
		{"auth_expired", sign(func(x *api.Auth) { x.Expiry = uint64(now.Add(api.MaxAuthLifetime + time.Second).Unix()) })},
	} {
		if _, ref := c.a.Check(a.ChainID, a.Method, a.Path, now); ref == nil || ref.Code != c.code {
			t.Errorf("want %s, got %+v", c.code, ref)
		}
	}
	bad := sign(nil)
	bad.Signature[64] = 29
	if _, ref := bad.Check(a.ChainID, a.Method, a.Path, now); ref == nil || ref.Code != "bad_auth" {
		t.Errorf("a signature with v 29: %+v", ref)
	}
}
