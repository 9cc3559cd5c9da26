package gateway_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/gateway"
	"github.com/cove-network/cove/receipt"
)

// fakeAI answers every request signed and records what reached it.
type fakeAI struct {
	mu       sync.Mutex
	calls    []cove.Call
	accounts []cove.Address
}

func (f *fakeAI) Serve(ctx context.Context, c cove.Call) (*cove.Response, error) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	return signedResponse(api.AIAgentID("fake"), c, http.StatusOK, cove.Header{"Content-Type": {"application/json"}, "X-Receipt-Id": {"rcpt-1"}}, []byte(`{"ok":true}`)), nil
}

func (f *fakeAI) NewKey(account cove.Address) (string, error) {
	f.mu.Lock()
	f.accounts = append(f.accounts, account)
	f.mu.Unlock()
	return "sk-cove-test", nil
}

func TestAIRoutes(t *testing.T) {
	s, _ := newTestGateway(t, gateway.Config{MaxBundleBytes: 1 << 20, MaxRequestBytes: 1000}, fakeInvoker{})
	post := func(path, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer sk-cove-caller")
		req.Header.Set(receipt.HeaderReceipt, "forged")
		s.ServeHTTP(rec, req)
		return rec
	}
	// Without an AI service: OpenAI's error shape, 404.
	rec := post("/v1/chat/completions", `{}`)
	e := decodeErrorBody(t, rec.Body.Bytes())
	if rec.Code != 404 || e.Error.Code != "ai_not_served" || e.Error.Type != "invalid_request_error" {
		t.Fatalf("no AI: %d %s", rec.Code, rec.Body)
	}

	f := &fakeAI{}
	s.SetAI(f)
	for _, path := range []string{"/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/models", "/v1/signature/chatcmpl-1?signing_algo=ecdsa",
		"/v1/attestation/report?nonce=00", "/v1/ai/receipts/rcpt-1", "/v1/ai/usage"} {
		rec := post(path, `{"model":"m"}`)
		if rec.Code != 200 || rec.Header().Get(receipt.HeaderSignature) == "" || rec.Header().Get("X-Receipt-Id") != "rcpt-1" {
			t.Fatalf("%s: %d %v", path, rec.Code, rec.Header())
		}
		c := f.calls[len(f.calls)-1]
		// The API key reaches the service (only the worker reads it); Cove's
		// own headers do not.
		if c.Path != path || c.Host != testHost || string(c.Body) != `{"model":"m"}` ||
			http.Header(c.Header).Get("Authorization") != "Bearer sk-cove-caller" || http.Header(c.Header).Get(receipt.HeaderReceipt) != "" {
			t.Fatalf("%s: the service got %+v", path, c)
		}
	}
	// The body bound, with its control just under it.
	if rec := post("/v1/chat/completions", strings.Repeat("x", 1000)); rec.Code != 200 {
		t.Fatalf("control at the bound: %d", rec.Code)
	}
	rec = post("/v1/chat/completions", strings.Repeat("x", 1001))
	if e := decodeErrorBody(t, rec.Body.Bytes()); rec.Code != 413 || e.Error.Code != "request_too_large" {
		t.Fatalf("over the bound: %d %s", rec.Code, rec.Body)
	}
}

// TestAIKeyAuth: a key is made for the account whose Cove-Auth, signed for
// POST /v1/ai/keys at this gateway, comes with the request; each refusal
// changes one thing of the genuine header, whose control passes first.
func TestAIKeyAuth(t *testing.T) {
	s, _ := newFuzzGateway(t)
	f := &fakeAI{}
	s.SetAI(f)
	genuine := func() api.Auth {
		a := api.Auth{Audience: testHost, Method: http.MethodPost, Path: "/v1/ai/keys", Expiry: uint64(time.Now().Add(api.AuthLifetime).Unix()), ChainID: fuzzChainID}
		rand.Read(a.Nonce[:])
		return a
	}
	send := func(h string) (int, string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/v1/ai/keys", nil)
		if h != "" {
			req.Header.Set(api.HeaderAuth, h)
		}
		s.ServeHTTP(rec, req)
		if rec.Code == http.StatusCreated {
			var k api.AIKey
			json.Unmarshal(rec.Body.Bytes(), &k)
			if k.Key != "sk-cove-test" || k.Account != owner.addr {
				t.Fatalf("key answer %s", rec.Body)
			}
			return rec.Code, ""
		}
		return rec.Code, decodeErrorBody(t, rec.Body.Bytes()).Error.Code
	}
	replayed := signed(t, owner, genuine())
	for _, r := range []struct {
		name, header string
		code         string
	}{
		{"no header", "", "auth_required"},
		{"signed for GET", signed(t, owner, func() api.Auth { a := genuine(); a.Method = http.MethodGet; return a }()), "auth_wrong_resource"},
		{"signed for another path", signed(t, owner, func() api.Auth { a := genuine(); a.Path = "/v1/ai/usage"; return a }()), "auth_wrong_resource"},
		{"expired", signed(t, owner, func() api.Auth { a := genuine(); a.Expiry = uint64(time.Now().Add(-time.Second).Unix()); return a }()), "auth_expired"},
		{"signed for another gateway", signed(t, owner, func() api.Auth { a := genuine(); a.Audience = "evil.example"; return a }()), "auth_wrong_audience"},
	} {
		if status, code := send(signed(t, owner, genuine())); status != http.StatusCreated {
			t.Fatalf("%s: control got %d %s", r.name, status, code)
		}
		if status, code := send(r.header); status != http.StatusUnauthorized || code != r.code {
			t.Errorf("%s: %d %s, want 401 %s", r.name, status, code, r.code)
		}
	}
	// An account with no balance and no transaction gets no key; the
	// control (owner, funded in genesis) passes just above in each case.
	stranger := newFuzzKey("ai-stranger")
	if status, code := send(signed(t, stranger, genuine())); status != http.StatusForbidden || code != "account_unfunded" {
		t.Errorf("an unfunded account: %d %s", status, code)
	}
	if status, _ := send(replayed); status != http.StatusCreated {
		t.Fatal("the header's first use was refused")
	}
	if status, code := send(replayed); status != http.StatusUnauthorized || code != "auth_replayed" {
		t.Errorf("replay: %d %s", status, code)
	}
	for _, a := range f.accounts {
		if a != owner.addr {
			t.Fatalf("a key made for %s", a)
		}
	}
}
