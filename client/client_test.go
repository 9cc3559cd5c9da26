package client_test

import (
	"context"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testchain"
	"github.com/cove-network/cove/internal/testnet"
	"github.com/cove-network/cove/internal/testport"
	"github.com/cove-network/cove/receipt"
)

// startNode runs a real dev node (validator, gatekeeper, worker, gateway)
// administered by dev and returns a client of its gateway.
func startNode(t *testing.T, dev *testchain.Key) *client.Client {
	t.Helper()
	c, err := client.New(testnet.Dev(t, dev.Address()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

const greeter = `export default { async fetch(req, env) {
  const u = new URL(req.url);
  console.log("called", u.pathname);
  return new Response(env.GREETING + " " + u.searchParams.get("name") + " " + (await req.text()));
} }`

// TestClient: the client deploys with sealed secrets, calls and verifies
// receipts, sends transactions (a refusal is a *TxError with the chain's
// code), reads the owner's logs, and turns gateway errors into *Error with
// the stable code.
func TestClient(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node; skipped with -short")
	}
	dev, stranger := testchain.NewKey(t), testchain.NewKey(t)
	c := startNode(t, dev)
	ctx := ctxFor(t, 60*time.Second)

	src := filepath.Join(t.TempDir(), "greeter.ts")
	if err := os.WriteFile(src, []byte(greeter), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := c.Deploy(ctx, src, client.DeployOptions{Signer: dev, Name: "greeter", Secrets: map[string]string{"GREETING": "Hello"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Owner != dev.Address() || a.Name != "greeter" || !a.HasSecrets || a.Attestor.IsZero() || a.Signer != a.Attestor {
		t.Fatalf("deployed %+v", a)
	}
	if got, err := c.Agent(ctx, a.ID); err != nil || got.ID != a.ID {
		t.Fatalf("Agent: %+v, %v", got, err)
	}
	if all, err := c.Agents(ctx); err != nil || len(all) != 1 || all[0].ID != a.ID {
		t.Fatalf("Agents: %+v, %v", all, err)
	}

	resp, err := c.Call(ctx, a.ID, http.MethodPost, "/hi?name=Ada", []byte("!"), nil)
	if err != nil || resp.Status != 200 || string(resp.Body) != "Hello Ada !" {
		t.Fatalf("call: %+v, %v", resp, err)
	}
	s, err := resp.Verify(a.Attestor)
	if err != nil || s.Receipt.Agent != a.ID || s.Receipt.CodeHash != a.CodeHash || !s.Receipt.CoversHeaders() {
		t.Fatalf("verify: %+v, %v", s, err)
	}
	// The receipt binds this response: another body, status or signer fails.
	tampered := *resp
	tampered.Body = []byte("Hello Eve !")
	if _, err := tampered.Verify(a.Attestor); !errors.Is(err, receipt.ErrMismatch) {
		t.Fatalf("tampered body: %v", err)
	}
	if _, err := resp.Verify(stranger.Address()); !errors.Is(err, receipt.ErrBadSignature) {
		t.Fatalf("other signer: %v", err)
	}

	// Transactions: a transfer lands; an overdraft is a *TxError.
	out, err := c.Transfer(ctx, dev, stranger.Address(), big.NewInt(42))
	if err != nil || out.Height == 0 {
		t.Fatalf("transfer: %+v, %v", out, err)
	}
	if acct, err := c.Account(ctx, stranger.Address()); err != nil || acct.Balance.Cmp(big.NewInt(42)) != 0 {
		t.Fatalf("account: %+v, %v", acct, err)
	}
	_, err = c.Transfer(ctx, stranger, dev.Address(), big.NewInt(43))
	var te *client.TxError
	if !errors.As(err, &te) || te.Outcome.Code != chain.CodeInsufficientFunds {
		t.Fatalf("overdraft: %v", err)
	}

	// Logs: the owner reads them; anyone else is refused with a code.
	var logs []cove.Invocation
	if err := c.Logs(ctx, dev, a.ID, 10, false, func(e cove.Invocation) { logs = append(logs, e) }); err != nil {
		t.Fatal(err)
	}
	if len(logs) != 1 || len(logs[0].Logs) != 1 || logs[0].Logs[0].Message != "called /hi" {
		t.Fatalf("logs %+v", logs)
	}
	var ce *client.Error
	if err := c.Logs(ctx, stranger, a.ID, 10, false, func(cove.Invocation) {}); !errors.As(err, &ce) || ce.Status != 403 || ce.Code != "not_owner" {
		t.Fatalf("stranger's logs: %v", err)
	}
	if _, err := c.Call(ctx, cove.AgentID{1}, http.MethodGet, "/", nil, nil); !errors.As(err, &ce) || ce.Status != 404 || ce.Code != "agent_not_found" {
		t.Fatalf("unknown agent: %v", err)
	}
	if k, err := c.Keys(ctx); err != nil || k.KEM != "ML-KEM-768+X25519" || !strings.HasPrefix(k.PublicKey, "0x") {
		t.Fatalf("keys: %+v, %v", k, err)
	}
}

// TestCallStreamedReceipt: a streamed body's receipt arrives as HTTP
// trailers; Call makes it verifiable like a buffered one's.
func TestCallStreamedReceipt(t *testing.T) {
	att := testchain.KeyFromSeed("attestor")
	id := cove.AgentID{7}
	body := "data: one\n\ndata: two\n\n"
	var uri string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uri = r.URL.RequestURI()
		w.Header().Set("Trailer", "Cove-Receipt, Cove-Signature, Cove-Signer")
		w.WriteHeader(200)
		io.WriteString(w, body)
		s, err := receipt.Sign(att, cove.Receipt{Agent: id, RequestHash: cove.RequestHash(r.Method, r.URL.RequestURI(), nil), Status: 200, ResponseHash: cove.SHA256([]byte(body))})
		if err != nil {
			t.Error(err)
			return
		}
		receipt.SetHeaders(w.Header(), s)
	}))
	defer srv.Close()
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Call(ctxFor(t, 10*time.Second), id, http.MethodGet, "/events", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A version-1 receipt (from a worker older than version 2) still
	// verifies, and says that it covers no header.
	if s, err := resp.Verify(att.Address()); err != nil || s.Receipt.CoversHeaders() {
		t.Fatalf("streamed version-1 receipt (request %s): covers headers %v, %v", uri, s.Receipt.CoversHeaders(), err)
	}
}

// TestUnreachable: a gateway that does not answer gives an error that says
// where the client looked.
func TestUnreachable(t *testing.T) {
	c, err := client.New("http://" + testport.Addr(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Health(ctxFor(t, 5*time.Second)); err == nil || !strings.Contains(err.Error(), c.Base()) {
		t.Fatalf("health of nothing: %v", err)
	}
	if _, err := client.New("ftp://x"); err == nil {
		t.Fatal("a non-http gateway URL was accepted")
	}
}
