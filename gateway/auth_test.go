package gateway_test

import (
	"crypto/rand"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/gateway"
)

// testHost is the Host of httptest.NewRequest: the audience a gateway
// without configured audiences accepts.
const testHost = "example.com"

func logsPath(id cove.AgentID) string { return "/v1/agents/" + id.String() + "/logs" }

// genuineAuth is the Cove-Auth the owner's client makes to read agent's
// logs at testHost: every test's control, which a forgery changes in one
// field.
func genuineAuth(agent cove.AgentID) api.Auth {
	a := api.Auth{Audience: testHost, Method: http.MethodGet, Path: logsPath(agent),
		Expiry: uint64(time.Now().Add(api.AuthLifetime).Unix()), ChainID: fuzzChainID}
	rand.Read(a.Nonce[:])
	return a
}

// signed returns a signed by key, as a header value.
func signed(t *testing.T, key fuzzKey, a api.Auth) string {
	t.Helper()
	var err error
	if a.Signature, err = key.sign(a.Digest()); err != nil {
		t.Fatal(err)
	}
	return a.Header()
}

// authClient sends GET requests with a Cove-Auth header to one gateway.
type authClient struct {
	t *testing.T
	s *gateway.Server
}

// get sends GET path with header h (none when empty) and Host host (testHost
// when empty) and returns the status and, for an error, its code.
func (c authClient) get(path, host, h string) (int, string) {
	c.t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if host != "" {
		req.Host = host
	}
	if h != "" {
		req.Header.Set(api.HeaderAuth, h)
	}
	c.s.ServeHTTP(rec, req)
	if rec.Code == http.StatusOK {
		return rec.Code, ""
	}
	return rec.Code, decodeErrorBody(c.t, rec.Body.Bytes()).Error.Code
}

// refusal is one forged or misused header: it must get status and code,
// where the genuine header (the control) in the same state gets 200.
type refusal struct {
	name   string
	header string // the forgery
	path   string // sent to (default: the known agent's logs)
	host   string // the request's Host (default testHost)
	status int
	code   string
}

// checkRefusals runs each refusal with its control just before it: the
// genuine header, fresh, sent the same way the forgery is (same gateway,
// path and Host) except for the one thing the forgery changes.
func checkRefusals(t *testing.T, c authClient, control func(r refusal) string, cases []refusal) {
	t.Helper()
	for _, r := range cases {
		if r.path == "" {
			r.path = logsPath(knownAgent)
		}
		if status, code := c.get(r.path, r.host, control(r)); status != http.StatusOK {
			t.Errorf("%s: control got %d %s, want 200", r.name, status, code)
		}
		if status, code := c.get(r.path, r.host, r.header); status != r.status || code != r.code {
			t.Errorf("%s: %d %s, want %d %s", r.name, status, code, r.status, r.code)
		}
	}
}

// TestLogsAuth: only the agent's owner reads its logs, with a Cove-Auth
// signed for this chain, this gateway, this request's method and path,
// not expired, expiring within api.MaxAuthLifetime, used once. Each
// refusal changes one thing of the genuine header, whose control passes
// in the same state, so it can only be refused for that.
func TestLogsAuth(t *testing.T) {
	s, fc := newFuzzGateway(t)
	// A second agent of the same owner: a header for one agent's logs must
	// not open the other's.
	second := cove.DeriveAgentID(owner.addr, cove.SHA256(otherCode), cove.Hash{2})
	if out, err := fc.Broadcast(t.Context(), owner.tx(t, fuzzChainID, chain.DeployAgent{Name: "second", CID: otherCID, CodeHash: cove.SHA256(otherCode), Salt: cove.Hash{2}, Nonce: 1})); err != nil || out.Code != 0 {
		t.Fatalf("deploy the second agent: %+v %v", out, err)
	}
	c := authClient{t, s}
	now := time.Now()
	with := func(key fuzzKey, f func(*api.Auth)) string {
		a := genuineAuth(knownAgent)
		f(&a)
		return signed(t, key, a)
	}
	forged := func(f func(*api.Auth)) string { return with(owner, f) }
	// The genuine signature of one header, under another field's value
	// than signed: it recovers another address.
	resigned := func(f func(*api.Auth)) string {
		a := genuineAuth(knownAgent)
		var err error
		if a.Signature, err = owner.sign(a.Digest()); err != nil {
			t.Fatal(err)
		}
		f(&a)
		return a.Header()
	}
	genuine := genuineAuth(knownAgent)
	sig, _ := owner.sign(genuine.Digest())
	hi, v01 := sig, sig // high s (the same signature's twin), and v 0/1
	sv := new(big.Int).SetBytes(hi[32:64])
	sv.Sub(crypto.S256().Params().N, sv).FillBytes(hi[32:64])
	hi[64] = 27 + 28 - hi[64]
	v01[64] -= 27
	withSig := func(s [65]byte) string { a := genuine; a.Signature = s; return a.Header() }

	cases := []refusal{
		{name: "no header", header: "", status: 401, code: "auth_required"},
		{name: "not base64url", header: "!!", status: 401, code: "bad_auth"},
		{name: "the old EXPIRY 0xSIG form", header: "1795300000 0x" + strings.Repeat("11", 65), status: 401, code: "bad_auth"},
		{name: "high s", header: withSig(hi), status: 401, code: "bad_auth"},
		{name: "v 0 or 1", header: withSig(v01), status: 401, code: "bad_auth"},
		// Chain id: signed for another Cove network.
		{name: "signed for another chain", header: forged(func(a *api.Auth) { a.ChainID = 1 }), status: 401, code: "auth_wrong_chain"},
		{name: "signed for another chain, labelled this one", header: resignedChain(t, 1), status: 403, code: "not_owner"},
		// Audience: signed for another gateway.
		{name: "signed for another gateway", header: forged(func(a *api.Auth) { a.Audience = "evil.example" }), status: 401, code: "auth_wrong_audience"},
		// Resource: another agent, another path, another method.
		{name: "signed for the owner's other agent", header: forged(func(a *api.Auth) { a.Path = logsPath(second) }), status: 401, code: "auth_wrong_resource"},
		{name: "signed for one agent, sent to the other", header: forged(func(*api.Auth) {}), path: logsPath(second), status: 401, code: "auth_wrong_resource"},
		{name: "signed for another path", header: forged(func(a *api.Auth) { a.Path = "/v1/agents/" + knownAgent.String() }), status: 401, code: "auth_wrong_resource"},
		{name: "path with its query", header: forged(func(a *api.Auth) { a.Path += "?limit=5" }), status: 401, code: "auth_wrong_resource"},
		{name: "signed for another method", header: forged(func(a *api.Auth) { a.Method = http.MethodPost }), status: 401, code: "auth_wrong_resource"},
		// Expiry.
		{name: "expired", header: forged(func(a *api.Auth) { a.Expiry = uint64(now.Unix() - 1) }), status: 401, code: "auth_expired"},
		{name: "expired long ago", header: forged(func(a *api.Auth) { a.Expiry = 1 }), status: 401, code: "auth_expired"},
		{name: "expires too far ahead", header: forged(func(a *api.Auth) { a.Expiry = uint64(now.Add(api.MaxAuthLifetime + time.Minute).Unix()) }), status: 401, code: "auth_expired"},
		// What the signature covers.
		{name: "other expiry than signed", header: resigned(func(a *api.Auth) { a.Expiry++ }), status: 403, code: "not_owner"},
		{name: "other nonce than signed", header: resigned(func(a *api.Auth) { a.Nonce[0] ^= 1 }), status: 403, code: "not_owner"},
		{name: "signed by a stranger", header: with(stranger, func(*api.Auth) {}), status: 403, code: "not_owner"},
	}
	checkRefusals(t, c, func(r refusal) string {
		a := genuineAuth(knownAgent)
		if r.path != "" {
			a.Path = r.path
		}
		return signed(t, owner, a)
	}, cases)
}

// resignedChain is the owner's genuine header whose signature was made over
// the domain of chain id chainID, while the header says this chain.
func resignedChain(t *testing.T, chainID uint64) string {
	a := genuineAuth(knownAgent)
	b := a
	b.ChainID = chainID
	var err error
	if a.Signature, err = owner.sign(b.Digest()); err != nil {
		t.Fatal(err)
	}
	return a.Header()
}

// TestLogsAuthLifetimeBound: a header expiring just inside
// api.MaxAuthLifetime is accepted, so the "too far ahead" refusal above
// is about the bound, not about any expiry ahead.
func TestLogsAuthLifetimeBound(t *testing.T) {
	s, _ := newFuzzGateway(t)
	c := authClient{t, s}
	a := genuineAuth(knownAgent)
	a.Expiry = uint64(time.Now().Add(api.MaxAuthLifetime - 5*time.Second).Unix())
	if status, code := c.get(logsPath(knownAgent), "", signed(t, owner, a)); status != http.StatusOK {
		t.Fatalf("a header expiring in %s: %d %s", api.MaxAuthLifetime-5*time.Second, status, code)
	}
}

// TestLogsAuthReplay: a header is good once; its second use, while it is
// unexpired, is refused. A stranger's header refused as not the owner's
// uses up nothing: the owner's header with the same nonce is accepted.
func TestLogsAuthReplay(t *testing.T) {
	s, _ := newFuzzGateway(t)
	c := authClient{t, s}
	path := logsPath(knownAgent)
	a := genuineAuth(knownAgent)
	if status, code := c.get(path, "", signed(t, stranger, a)); status != 403 || code != "not_owner" {
		t.Fatalf("stranger: %d %s, want 403 not_owner", status, code)
	}
	h := signed(t, owner, a)
	if status, code := c.get(path, "", h); status != http.StatusOK {
		t.Fatalf("control: the first use got %d %s", status, code)
	}
	if status, code := c.get(path, "", h); status != 401 || code != "auth_replayed" {
		t.Fatalf("replay: %d %s, want 401 auth_replayed", status, code)
	}
	// A new nonce, all else equal, is a new header.
	b := a
	rand.Read(b.Nonce[:])
	if status, code := c.get(path, "", signed(t, owner, b)); status != http.StatusOK {
		t.Fatalf("a fresh nonce after the replay: %d %s", status, code)
	}
}

// TestLogsAuthNonceBound: a gateway full of unexpired nonces refuses new
// headers (503 auth_busy) rather than forget a nonce that could then be
// replayed; the ones it holds stay refused.
func TestLogsAuthNonceBound(t *testing.T) {
	cfg := gateway.DefaultConfig()
	cfg.MaxAuthNonces = 2
	s, _ := newTestGateway(t, cfg, fakeInvoker{})
	c := authClient{t, s}
	path := logsPath(knownAgent)
	first := signed(t, owner, genuineAuth(knownAgent))
	for i, h := range []string{first, signed(t, owner, genuineAuth(knownAgent))} {
		if status, code := c.get(path, "", h); status != http.StatusOK {
			t.Fatalf("control %d: %d %s", i, status, code)
		}
	}
	if status, code := c.get(path, "", signed(t, owner, genuineAuth(knownAgent))); status != 503 || code != "auth_busy" {
		t.Fatalf("a third header with room for two: %d %s, want 503 auth_busy", status, code)
	}
	if status, code := c.get(path, "", first); status != 401 || code != "auth_replayed" {
		t.Fatalf("the first header again: %d %s, want 401 auth_replayed", status, code)
	}
}

// TestLogsAuthAudience: with configured audiences (public_url,
// auth_audiences) the gateway accepts those and ignores the request's Host,
// which the caller chooses; without, it accepts the request's Host.
func TestLogsAuthAudience(t *testing.T) {
	cfg := gateway.DefaultConfig()
	cfg.PublicURL = "https://gw.example"
	cfg.AuthAudiences = []string{"Cove.Internal:8700"}
	s, _ := newTestGateway(t, cfg, fakeInvoker{})
	c := authClient{t, s}
	audience := func(aud string) string {
		a := genuineAuth(knownAgent)
		a.Audience = aud
		return signed(t, owner, a)
	}
	path := logsPath(knownAgent)
	// Both configured audiences, whatever Host a proxy passes on.
	for _, aud := range []string{"gw.example", "cove.internal:8700", "GW.example"} {
		if status, code := c.get(path, "127.0.0.1:8700", audience(aud)); status != http.StatusOK {
			t.Errorf("configured audience %q: %d %s", aud, status, code)
		}
	}
	checkRefusals(t, c, func(r refusal) string { return audience("gw.example") }, []refusal{
		// A header signed for another gateway, replayed with that
		// gateway's name as Host: the Host is not consulted.
		{name: "another gateway, its Host", header: audience("evil.example"), host: "evil.example", status: 401, code: "auth_wrong_audience"},
		{name: "another port", header: audience("gw.example:8443"), status: 401, code: "auth_wrong_audience"},
		{name: "the request's Host, not configured", header: audience(testHost), status: 401, code: "auth_wrong_audience"},
	})

	// Unconfigured: the request's Host.
	s, _ = newFuzzGateway(t)
	c = authClient{t, s}
	checkRefusals(t, c, func(r refusal) string { return audience(cmpOr(r.host, testHost)) }, []refusal{
		{name: "unconfigured, another host than the request's", header: audience("other.example"), status: 401, code: "auth_wrong_audience"},
		{name: "unconfigured, Host other than signed", header: audience(testHost), host: "other.example", status: 401, code: "auth_wrong_audience"},
	})
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestAuthConfig: audiences must be hosts.
func TestAuthConfig(t *testing.T) {
	for _, bad := range []string{"", "https://gw.example", "gw.example/logs", "user@gw.example"} {
		cfg := gateway.DefaultConfig()
		cfg.AuthAudiences = []string{bad}
		if cfg.Validate() == nil {
			t.Errorf("audience %q accepted", bad)
		}
	}
	cfg := gateway.DefaultConfig()
	cfg.AuthAudiences = []string{"gw.example", "127.0.0.1:8700", "[::1]:8700"}
	if err := cfg.Validate(); err != nil {
		t.Errorf("valid audiences refused: %v", err)
	}
}

// FuzzAuthHeader: no Cove-Auth value crashes the gateway or opens the
// logs without the owner's signature.
func FuzzAuthHeader(f *testing.F) {
	a := genuineAuth(knownAgent)
	f.Add(a.Header())
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"audience":"example.com","method":"GET","path":"/","nonce":"0x` + strings.Repeat("00", 32) + `","expiry":1,"chainId":7731,"signature":"0x` + strings.Repeat("1b", 65) + `"}`)))
	f.Add("")
	s, _ := newFuzzGateway(f)
	f.Fuzz(func(t *testing.T, h string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, logsPath(knownAgent), nil)
		req.Header.Set(api.HeaderAuth, h)
		s.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			t.Fatalf("logs opened without the owner's signature: %q", h)
		}
	})
}
