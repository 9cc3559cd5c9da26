package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/internal/testnet"
)

// forgingGateway is a proxy in front of base that rewrites the proof of
// every epoch record so that it names another cluster public key (the
// value only; the proof is the real one).
func forgingGateway(t *testing.T, base string) string {
	t.Helper()
	return testnet.LyingGateway(t, base, func(r *http.Response, body []byte) []byte {
		if !strings.HasPrefix(r.Request.URL.Path, "/v1/chain/proof/epoch/") || r.StatusCode != 200 {
			return nil
		}
		var sp api.StateProof
		if json.Unmarshal(body, &sp) != nil || sp.Value == nil {
			return nil
		}
		v, _ := hex.DecodeString(strings.TrimPrefix(*sp.Value, "0x"))
		v = regexp.MustCompile(`"publicKey":"0x[0-9a-f]{8}`).ReplaceAll(v, []byte(`"publicKey":"0xdeadbeef`))
		forged := "0x" + hex.EncodeToString(v)
		sp.Value = &forged
		out, _ := json.Marshal(sp)
		return out
	})
}

// testTrustRoot: `cove chain trust` prints a root; with it, `cove agent
// deploy` through a gateway that forges the epoch record refuses to seal,
// and the same deploy through the honest gateway (the control) seals to
// the proven key and says so. Without a root it says the gateway is
// trusted.
func testTrustRoot(t *testing.T, base string) {
	out, err := runCove(t, "--gateway", base, "chain", "trust", "--height", "1")
	if err != nil {
		t.Fatalf("chain trust: %v", err)
	}
	root := strings.TrimSpace(out)
	if !regexp.MustCompile(`^1:0x[0-9a-f]{64}$`).MatchString(root) {
		t.Fatalf("chain trust printed %q", out)
	}
	// cove dev prints the root of its latest block (a root must be younger
	// than the trusting period), the one chain trust reads at that height.
	var dev bytes.Buffer
	printTrustRoot(t.Context(), &dev, base)
	m := regexp.MustCompile(`trust root  (([0-9]+):0x[0-9a-f]{64})  \(export COVE_TRUST_ROOT=`).FindStringSubmatch(dev.String())
	if m == nil || m[2] == "1" {
		t.Fatalf("cove dev printed %q, want the root of its latest block", dev.String())
	}
	if at, err := runCove(t, "--gateway", base, "chain", "trust", "--height", m[2]); err != nil || strings.TrimSpace(at) != m[1] {
		t.Fatalf("cove dev printed root %s; chain trust --height %s says %q (%v)", m[1], m[2], at, err)
	}
	src := writeFile(t, "hello.ts", []byte(`export default { fetch(req, env) { return new Response("hi " + env.NAME); } }`))
	forger := forgingGateway(t, base)

	_, err = runCove(t, "--gateway", forger, "--trust-root", root, "agent", "deploy", src, "--secret", "NAME=x")
	if err == nil || !strings.Contains(err.Error(), "bad state proof") {
		t.Fatalf("deploy through a gateway forging the key: %v, want a refusal (bad state proof)", err)
	}
	out, err = runCove(t, "--gateway", base, "--trust-root", root, "agent", "deploy", src, "--secret", "NAME=x")
	if err != nil || !strings.Contains(out, "sealed to the key proven from the chain") {
		t.Fatalf("control: deploy through the honest gateway: %q, %v", out, err)
	}
	id := regexp.MustCompile(`id\s+(0x[0-9a-f]{64})`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no agent id in %q", out)
	}
	// The forger does not touch calls: --verify with the root checks the
	// proven attestor.
	if _, err := runCove(t, "--gateway", forger, "--trust-root", root, "agent", "call", id[1], "/", "--verify"); err != nil {
		t.Fatalf("call --verify with a trust root: %v", err)
	}
	out, err = runCove(t, "--gateway", base, "agent", "deploy", src, "--secret", "NAME=x")
	if err != nil || !strings.Contains(out, "no --trust-root, so the gateway is trusted") {
		t.Fatalf("deploy without a root: %q, %v", out, err)
	}
	if _, err := runCove(t, "--gateway", base, "--trust-root", "1:0x12", "agent", "deploy", src); err == nil || !strings.Contains(err.Error(), "--trust-root") {
		t.Fatalf("a malformed root: %v", err)
	}
}
