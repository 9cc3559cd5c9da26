package gateway_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/jstest"
)

// TestJSAuth: a Cove-Auth signed by ethers' and by viem's signTypedData, as
// a wallet signs it, opens the owner's logs at a real gateway over HTTP;
// the same made for another path is refused (the control that the
// gateway checks what the wallet signed).
func TestJSAuth(t *testing.T) {
	node := jstest.Node(t, filepath.Join("..", "testdata", "js"), "testdata/js")
	s, _ := newFuzzGateway(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	path := logsPath(knownAgent)
	for _, lib := range []string{"ethers", "viem"} {
		t.Run(lib, func(t *testing.T) {
			a := api.Auth{Audience: u.Host, Method: http.MethodGet, Path: path,
				Expiry: uint64(time.Now().Add(api.AuthLifetime).Unix()), ChainID: fuzzChainID}
			rand.Read(a.Nonce[:])
			h := signWithJS(t, node, lib, a)
			if code := getWithAuth(t, srv.URL+path, h); code != http.StatusOK {
				t.Fatalf("the %s-signed Cove-Auth got %d, want 200", lib, code)
			}
			if code := getWithAuth(t, srv.URL+path, h); code != http.StatusUnauthorized {
				t.Fatalf("the %s-signed Cove-Auth used twice got %d, want 401", lib, code)
			}
			b := a
			rand.Read(b.Nonce[:])
			b.Path = logsPath(cove.AgentID{9})
			if code := getWithAuth(t, srv.URL+path, signWithJS(t, node, lib, b)); code != http.StatusUnauthorized {
				t.Fatalf("a %s-signed Cove-Auth for another path got %d, want 401", lib, code)
			}
		})
	}
}

// signWithJS has testdata/js/sign-auth.mjs sign a with the owner's key
// using lib, checks the digest against Go's and returns the header.
func signWithJS(t *testing.T, node, lib string, a api.Auth) string {
	t.Helper()
	in, _ := json.Marshal(map[string]any{"audience": a.Audience, "method": a.Method, "path": a.Path,
		"nonce": a.Nonce.String(), "expiry": a.Expiry, "chainId": a.ChainID})
	cmd := exec.CommandContext(t.Context(), node, filepath.Join("testdata", "js", "sign-auth.mjs"),
		"0x"+hex.EncodeToString(crypto.FromECDSA(owner.priv)), lib, string(in))
	cmd.Dir = ".."
	cmd.WaitDelay = 5 * time.Second
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sign-auth.mjs: %v", err)
	}
	var res struct {
		Header  string       `json:"header"`
		Digest  cove.Hash    `json:"digest"`
		Address cove.Address `json:"address"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("sign-auth.mjs output %q: %v", out, err)
	}
	if res.Digest != a.Digest() || res.Address != owner.addr {
		t.Fatalf("%s signed digest %s as %s; Go's digest is %s, the owner %s", lib, res.Digest, res.Address, a.Digest(), owner.addr)
	}
	return res.Header
}

func getWithAuth(t *testing.T, u, h string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	req.Header.Set(api.HeaderAuth, h)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestJSPayment: vouchers, and hash-chain commitments with the header of
// a word built in JavaScript (ADR 26), signed by ethers' and by viem's
// signTypedData, as a wallet signs them, pay calls of a priced agent at a
// real gateway over HTTP; the same voucher or word sent again is refused
// with 402 (the control that the gateway checks what the wallet signed).
func TestJSPayment(t *testing.T) {
	node := jstest.Node(t, filepath.Join("..", "testdata", "js"), "testdata/js")
	s, c := newFuzzGateway(t)
	mustTx(t, c, owner, chain.SetAgentPrice{Agent: knownAgent, Price: big.NewInt(10), Nonce: 1})
	mustTx(t, c, stranger, chain.OpenChannel{Agent: knownAgent, Deposit: big.NewInt(100), Verifier: testWorker, Nonce: 0})
	srv := httptest.NewServer(s)
	defer srv.Close()
	type signing struct {
		lib  string
		in   map[string]any
		want cove.Hash // the digest Go computes
	}
	var cases []signing
	for i, lib := range []string{"ethers", "viem"} {
		n := uint64(i + 1)
		cases = append(cases, signing{lib, map[string]any{"channel": 1, "agent": knownAgent.String(), "amount": strconv.FormatUint(10*n, 10), "nonce": n, "chainId": fuzzChainID},
			cove.Voucher{ChainID: fuzzChainID, Channel: 1, Agent: knownAgent, Amount: new(big.Int).SetUint64(10 * n), Nonce: n}.Digest()})
	}
	// Then a commitment each, from where the channel stands (20, then 40),
	// paying with its second word (a skip of one is paid for).
	for i, lib := range []string{"ethers", "viem"} {
		n := uint64(i + 3)
		base := int64(20 + 20*i)
		root, words := cove.NewHashChain(cove.Hash{byte(n)}, 5)
		hc := cove.HashChain{ChainID: fuzzChainID, Channel: 1, Agent: knownAgent, Base: big.NewInt(base), Unit: big.NewInt(10), Count: 5, Root: root, Nonce: n}
		cases = append(cases, signing{lib + " hash chain", map[string]any{"channel": 1, "agent": knownAgent.String(), "base": strconv.FormatInt(base, 10), "unit": "10",
			"count": 5, "root": root.String(), "nonce": n, "chainId": fuzzChainID, "k": 2, "word": words[1].String()}, hc.Digest()})
	}
	for _, tc := range cases {
		lib := strings.Fields(tc.lib)[0]
		t.Run(tc.lib, func(t *testing.T) {
			in, _ := json.Marshal(tc.in)
			cmd := exec.CommandContext(t.Context(), node, filepath.Join("testdata", "js", "sign-payment.mjs"),
				"0x"+hex.EncodeToString(crypto.FromECDSA(stranger.priv)), lib, string(in))
			cmd.Dir = ".."
			cmd.WaitDelay = 5 * time.Second
			cmd.Stderr = os.Stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("sign-payment.mjs: %v", err)
			}
			var res struct {
				Header  string       `json:"header"`
				Digest  cove.Hash    `json:"digest"`
				Address cove.Address `json:"address"`
			}
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("sign-payment.mjs output %q: %v", out, err)
			}
			if res.Digest != tc.want || res.Address != stranger.addr {
				t.Fatalf("%s signed digest %s as %s; Go's digest is %s, the payer %s", lib, res.Digest, res.Address, tc.want, stranger.addr)
			}
			for try, wantStatus := range []int{http.StatusOK, http.StatusPaymentRequired} {
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/agents/"+knownAgent.String()+"/", nil)
				req.Header.Set(api.HeaderPayment, res.Header)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != wantStatus {
					t.Fatalf("the %s-signed payment, sent %d times: %d, want %d", tc.lib, try+1, resp.StatusCode, wantStatus)
				}
			}
		})
	}
}
