package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// testPaidCalls walks paid calls as a new user would, on a real node:
// the owner prices an agent; a caller's call without --from is answered
// 402 with how to pay; the caller opens a channel, three calls with
// --from pay from it; `cove channel status` shows what was paid; the
// owner redeems the three calls in one transaction, and a second redeem
// finds nothing; the caller closes the channel, after which no call is
// paid from it.
func testPaidCalls(t *testing.T, base string) {
	agentFile, dep, run := deployAnswering(t, base, "paid.js", "paid ok")
	var (
		out string
		err error
	)
	run("agent", "price", dep.ID, "1000")
	payer := newKey(t, "payer")
	run("send", "--to", payer.String(), "--amount", "1"+strings.Repeat("0", 18))

	_, err = runCove(t, "--gateway", base, "agent", "call", dep.ID)
	if err == nil || !strings.Contains(err.Error(), "costs 1000 base units") || !strings.Contains(err.Error(), "--from KEY") {
		t.Fatalf("an unpaid call: %v", err)
	}
	_, err = runCove(t, "--gateway", base, "agent", "call", dep.ID, "--from", "payer")
	if err == nil || !strings.Contains(err.Error(), "cove channel open --agent "+dep.ID) {
		t.Fatalf("a call with no channel: %v", err)
	}
	// --worker names the worker to bind to: a malformed id, or one no
	// worker has, is refused.
	if _, err := runCove(t, "--gateway", base, "--from", "payer", "channel", "open", "--agent", dep.ID, "--deposit", "100000", "--worker", "0x12"); err == nil || !strings.Contains(err.Error(), "--worker") {
		t.Fatalf("channel open with a malformed --worker: %v", err)
	}
	if _, err := runCove(t, "--gateway", base, "--from", "payer", "channel", "open", "--agent", dep.ID, "--deposit", "100000", "--worker", "0x"+strings.Repeat("ab", 32)); err == nil || !strings.Contains(err.Error(), "is not a registered worker") {
		t.Fatalf("channel open bound to no worker: %v", err)
	}
	out = run("--from", "payer", "channel", "open", "--agent", dep.ID, "--deposit", "100000")
	// Bound to the worker the gateway offers: the dev node's own.
	m := regexp.MustCompile(`(?m)^  channel_opened channel=([0-9]+) payer=` + payer.String() + ` agent=` + dep.ID + ` deposit=100000 verifier=0x[0-9a-f]{64}$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("channel open printed %q", out)
	}
	ch := m[1]
	for i := range 3 {
		stdout, stderr, err := runCoveStderr(t, "--gateway", base, "agent", "call", dep.ID, "--from", "payer", "--verify")
		if err != nil || stdout != "paid ok" || !strings.Contains(stderr, "paid 1000 base units from channel "+ch) || !strings.Contains(stderr, "receipt verified") {
			t.Fatalf("paid call %d: %v %q %q", i, err, stdout, stderr)
		}
	}
	out = run("--from", "payer", "channel", "status")
	if !regexp.MustCompile(`(?m)^` + ch + `\s+` + dep.ID + `\s+0\.0000000000001 COVE\s+0\.000000000000003 COVE\s+0 COVE\s+0\.000000000000001 COVE\s+open$`).MatchString(out) {
		t.Fatalf("channel status printed %q", out)
	}
	out = run("agent", "redeem", dep.ID)
	if !regexp.MustCompile(`(?m)^  channel_redeemed channel=` + ch + ` payee=0x[0-9a-fA-F]{40} amount=3000 redeemed=3000 voucherNonce=3$`).MatchString(out) {
		t.Fatalf("redeem printed %q", out)
	}
	if out = run("agent", "redeem", dep.ID); !strings.HasPrefix(out, "nothing to redeem") {
		t.Fatalf("a second redeem printed %q", out)
	}
	if _, err := runCove(t, "--gateway", base, "--from", "payer", "agent", "redeem", dep.ID); err == nil || !strings.Contains(err.Error(), "only the agent's owner") {
		t.Fatalf("a redeem by the payer: %v", err)
	}
	out = run("--from", "payer", "channel", "close", ch)
	if !strings.Contains(out, "channel_closing channel="+ch) {
		t.Fatalf("close printed %q", out)
	}
	if _, err := runCove(t, "--gateway", base, "agent", "call", dep.ID, "--from", "payer"); err == nil || !strings.Contains(err.Error(), "no open payment channel") {
		t.Fatalf("a call after the close: %v", err)
	}

	// A free tier of 3 calls a day, 2 per caller: the payer, without a
	// channel now, calls twice as its account (Cove-Auth), then is
	// refused; an anonymous caller makes the third; then none is left.
	run("agent", "free-tier", dep.ID, "--calls-per-day", "3", "--per-caller", "2")
	for i := range 2 {
		stdout, stderr, err := runCoveStderr(t, "--gateway", base, "agent", "call", dep.ID, "--from", "payer")
		if err != nil || stdout != "paid ok" || !strings.Contains(stderr, "a free call") {
			t.Fatalf("free call %d: %v %q %q", i, err, stdout, stderr)
		}
	}
	if _, err := runCove(t, "--gateway", base, "agent", "call", dep.ID, "--from", "payer"); err == nil || !strings.Contains(err.Error(), "the 2 free calls a caller may make today") {
		t.Fatalf("a third free call of one account: %v", err)
	}
	if out := run("agent", "call", dep.ID); out != "paid ok" {
		t.Fatalf("an anonymous free call: %q", out)
	}
	if _, err := runCove(t, "--gateway", base, "agent", "call", dep.ID); err == nil || !strings.Contains(err.Error(), "calls of today are used up") {
		t.Fatalf("a fourth free call: %v", err)
	}

	// --open-deposit: the payer, whose only channel is closing, has a
	// channel opened for the call (bound to the worker the gateway
	// offers); the next call pays from it, opening none; once what is
	// left after the payments the gateway took pays no call (500 of
	// 2500 after two of 1000), the next opens another. A deposit below the
	// price, or no --from, is refused before anything is sent.
	if _, err := runCove(t, "--gateway", base, "agent", "call", dep.ID, "--open-deposit", "2500"); err == nil || !strings.Contains(err.Error(), "--open-deposit opens a channel of the --from key") {
		t.Fatalf("--open-deposit without --from: %v", err)
	}
	if _, err := runCove(t, "--gateway", base, "agent", "call", dep.ID, "--from", "payer", "--open-deposit", "999"); err == nil || !strings.Contains(err.Error(), "pays no call") {
		t.Fatalf("--open-deposit below the price: %v", err)
	}
	opened := regexp.MustCompile(`opened channel ([0-9]+) to agent ` + dep.ID + ` with a deposit of 0\.0000000000000025 COVE`)
	var firstOpened, secondOpened string
	for i, want := range []string{"opens", "reuses", "opens"} {
		stdout, stderr, err := runCoveStderr(t, "--gateway", base, "agent", "call", dep.ID, "--from", "payer", "--open-deposit", "2500")
		m := opened.FindStringSubmatch(stderr)
		if err != nil || stdout != "paid ok" || (m != nil) != (want == "opens") {
			t.Fatalf("call %d with --open-deposit (want it %s a channel): %v %q %q", i, want, err, stdout, stderr)
		}
		switch {
		case i == 0:
			firstOpened = m[1]
		case i == 1 && !strings.Contains(stderr, "from channel "+firstOpened+" ("):
			t.Fatalf("the second call did not pay from channel %s: %q", firstOpened, stderr)
		case i == 2 && m[1] == firstOpened:
			t.Fatalf("the third call opened channel %s again", m[1])
		case i == 2:
			secondOpened = m[1]
		}
	}
	// Without --open-deposit, of the two channels (2500 each on chain,
	// the first spent at the gateway) the call pays from the one the
	// gateway can take.
	if stdout, stderr, err := runCoveStderr(t, "--gateway", base, "agent", "call", dep.ID, "--from", "payer"); err != nil || stdout != "paid ok" || !strings.Contains(stderr, "from channel "+secondOpened+" (") {
		t.Fatalf("a call from two channels, one spent: %v %q %q (want it paid from channel %s)", err, stdout, stderr, secondOpened)
	}

	// A user with no COVE, sponsored by dev: its channel, signed with
	// --sign-only and sent by the sponsor (the deposit is the sponsor's);
	// a paid call from it; its own agent deployed with --sponsor.
	newbie := newKey(t, "newbie")
	if _, err := runCove(t, "--gateway", base, "sponsor", "policy", "--types", "DeployAgent,OpenChannel", "--max-deposit", "100000", "--txs", "2"); err == nil || !strings.Contains(err.Error(), "names the one agent") {
		t.Fatalf("a policy that pays deposits to any agent: %v", err)
	}
	run("sponsor", "policy", "--types", "DeployAgent,OpenChannel", "--agent", dep.ID, "--max-deposit", "100000", "--txs", "2")
	signed := run("--from", "newbie", "channel", "open", "--agent", dep.ID, "--deposit", "5000", "--sign-only")
	out = run("sponsor", "submit", writeFile(t, "inner.json", []byte(signed)), "--user", newbie.String())
	if !regexp.MustCompile(`(?m)^  sponsored sponsor=0x[0-9a-fA-F]{40} user=`+newbie.String()+` type=OpenChannel remaining=1$`).MatchString(out) ||
		!strings.Contains(out, "channel_opened channel=") || !strings.Contains(out, "deposit=5000 funder=") {
		t.Fatalf("sponsor submit printed %q", out)
	}
	if stdout, _, err := runCoveStderr(t, "--gateway", base, "agent", "call", dep.ID, "--from", "newbie"); err != nil || stdout != "paid ok" {
		t.Fatalf("the newbie's paid call: %v %q", err, stdout)
	}
	out = run("agent", "deploy", agentFile, "--from", "newbie", "--sponsor", "dev", "--json")
	var own struct{ ID, Owner string }
	if json.Unmarshal([]byte(out), &own) != nil || own.ID == "" {
		t.Fatalf("the newbie's sponsored deploy: %q", out)
	}
	if resp, err := http.Get(base + "/v1/agents/" + own.ID); err != nil || json.NewDecoder(resp.Body).Decode(&own) != nil || !strings.EqualFold(own.Owner, newbie.String()) {
		t.Fatalf("the newbie's agent: %+v %v", own, err)
	}
	if _, err := runCove(t, "--gateway", base, "sponsor", "show"); err == nil || !strings.Contains(err.Error(), "has no sponsor policy") {
		t.Fatalf("sponsor show after the policy's last transaction: %v", err)
	}
	var acct struct{ Balance string }
	if resp, err := http.Get(base + "/v1/chain/accounts/" + newbie.String()); err != nil || json.NewDecoder(resp.Body).Decode(&acct) != nil || acct.Balance != "0" {
		t.Fatalf("the newbie's balance: %+v %v", acct, err)
	}
}

// deployAnswering deploys an agent that answers text to every call, as
// the dev key, and returns its file, its id and a runner of cove
// commands against base that fails the test on an error.
func deployAnswering(t *testing.T, base, file, text string) (path string, dep struct{ ID string }, run func(args ...string) string) {
	t.Helper()
	path = writeFile(t, file, []byte(`export default { fetch() { return new Response("`+text+`") } }`))
	out, err := runCove(t, "--gateway", base, "agent", "deploy", path, "--json")
	if err != nil || json.Unmarshal([]byte(out), &dep) != nil || dep.ID == "" {
		t.Fatalf("deploy: %v %q", err, out)
	}
	run = func(args ...string) string {
		t.Helper()
		out, err := runCove(t, append([]string{"--gateway", base}, args...)...)
		if err != nil {
			t.Fatalf("cove %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	return path, dep, run
}
