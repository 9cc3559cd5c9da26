package gateway_test

import (
	"encoding/hex"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
)

// authHeader is a Cove-Auth value: key's signature of agent's logs digest
// with expiry.
func authHeader(t *testing.T, key fuzzKey, agent cove.AgentID, expiry time.Time) (string, [65]byte) {
	t.Helper()
	exp := uint64(expiry.Unix())
	sig, err := key.sign(cove.LogsAuthDigest(agent, exp))
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatUint(exp, 10) + " 0x" + hex.EncodeToString(sig[:]), sig
}

// TestLogsAuth: only the agent's owner reads its logs, with a signature
// that names this agent and has not expired. Each refusal changes one thing
// of the accepted header (the control), so it can only be refused for that.
func TestLogsAuth(t *testing.T) {
	s, _ := newFuzzGateway(t)
	get := func(h string) (int, string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/v1/agents/"+knownAgent.String()+"/logs", nil)
		if h != "" {
			req.Header.Set(api.HeaderAuth, h)
		}
		s.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			return rec.Code, ""
		}
		return rec.Code, decodeErrorBody(t, rec.Body.Bytes()).Error.Code
	}
	soon := time.Now().Add(10 * time.Minute)
	good, sig := authHeader(t, owner, knownAgent, soon)
	if code, _ := get(good); code != http.StatusOK {
		t.Fatalf("control: the owner's fresh signature got %d", code)
	}
	exp := strconv.FormatInt(soon.Unix(), 10)
	expired, _ := authHeader(t, owner, knownAgent, time.Now().Add(-time.Second))
	tooLong, _ := authHeader(t, owner, knownAgent, time.Now().Add(api.MaxAuthLifetime+time.Minute))
	otherAgent, _ := authHeader(t, owner, cove.AgentID{9}, soon)
	byStranger, _ := authHeader(t, stranger, knownAgent, soon)
	// The same signature with s' = n - s (and v flipped) recovers the
	// owner too; only the low-s rule refuses it.
	hi := sig
	sv := new(big.Int).SetBytes(hi[32:64])
	sv.Sub(crypto.S256().Params().N, sv).FillBytes(hi[32:64])
	hi[64] = 27 + 28 - hi[64]
	v01 := sig
	v01[64] -= 27
	cases := []struct {
		name, header string
		status       int
		code         string
	}{
		{"none", "", 401, "auth_required"},
		{"expired", expired, 401, "bad_auth"},
		{"expires too far ahead", tooLong, 401, "bad_auth"},
		{"signed for another agent", otherAgent, 403, "not_owner"},
		{"signed by a stranger", byStranger, 403, "not_owner"},
		{"other expiry than signed", strconv.FormatInt(soon.Unix()+1, 10) + " 0x" + hex.EncodeToString(sig[:]), 403, "not_owner"},
		{"high s", exp + " 0x" + hex.EncodeToString(hi[:]), 401, "bad_auth"},
		{"v 0 or 1", exp + " 0x" + hex.EncodeToString(v01[:]), 401, "bad_auth"},
		{"no expiry", "0x" + hex.EncodeToString(sig[:]), 401, "bad_auth"},
	}
	for _, c := range cases {
		if status, code := get(c.header); status != c.status || code != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, status, code, c.status, c.code)
		}
	}
}
