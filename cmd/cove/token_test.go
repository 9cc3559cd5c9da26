package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
)

// testTokensAndDAO drives `cove token` and `cove dao` on a real node: the
// owner launches a token, a holder buys at the quoted price, the owner
// hands the agent to its DAO and can no longer upgrade it, the holder
// proposes a price, votes, waits out voting and the timelock and
// executes; then anyone redeems the DAO agent's paid calls, to its
// treasury.
func testTokensAndDAO(t *testing.T, base string) {
	agentFile, dep, run := deployAnswering(t, base, "dao.js", "dao ok")
	var out string
	if _, err := runCove(t, "--gateway", base, "token", "show", dep.ID); err == nil || !strings.Contains(err.Error(), "has no token") {
		t.Fatalf("token show before the launch: %v", err)
	}
	if _, err := runCove(t, "--gateway", base, "dao", "show", dep.ID); err == nil || !strings.Contains(err.Error(), "has no DAO") {
		t.Fatalf("dao show before the transfer: %v", err)
	}
	if _, err := runCove(t, "--gateway", base, "dao", "show", "--proposal", "999"); err == nil || !strings.Contains(err.Error(), "proposal 999 does not exist") {
		t.Fatalf("dao show of no proposal: %v", err)
	}
	out = run("token", "launch", dep.ID, "--name", "CLI Agent", "--symbol", "CLI", "--curve", "linear", "--a", "1000000", "--b", "2000", "--fee-ppm", "10000", "--revenue-ppm", "500000")
	if !strings.Contains(out, "token_launched agent="+dep.ID+" name=CLI Agent symbol=CLI curve=linear a=1000000 b=2000 feePPM=10000 revenuePPM=500000") {
		t.Fatalf("launch printed %q", out)
	}
	holder := newKey(t, "hodler")
	run("send", "--to", holder.String(), "--amount", "1"+strings.Repeat("0", 18))
	// 10 tokens: 1000000·10 + 2000·100/2 = 10,100,000, and 1% fee.
	out = run("--from", "hodler", "token", "buy", dep.ID, "10"+strings.Repeat("0", 18))
	if !strings.Contains(out, "token_bought agent="+dep.ID+" buyer="+holder.String()+" amount=10000000000000000000 cost=10100000 fee=101000 supply=10000000000000000000") {
		t.Fatalf("buy printed %q", out)
	}
	if _, err := runCove(t, "--gateway", base, "--from", "hodler", "token", "buy", dep.ID, "1"+strings.Repeat("0", 18), "--max-cost", "5"); err == nil || !strings.Contains(err.Error(), "above maxCost 5") {
		t.Fatalf("a buy under its cost: %v", err)
	}
	out = run("token", "show", dep.ID, "--holder", holder.String())
	for _, want := range []string{"CLI Agent (CLI)", "supply    10 tokens", "reserve   0.0000000000101 COVE", "holds 10 tokens"} {
		if !strings.Contains(out, want) {
			t.Fatalf("token show printed %q, want %q", out, want)
		}
	}
	// A token given to a friend, and given back: the supply stays.
	friend := newKey(t, "friend")
	run("send", "--to", friend.String(), "--amount", "1"+strings.Repeat("0", 17))
	out = run("--from", "hodler", "token", "transfer", dep.ID, "1"+strings.Repeat("0", 18), "--to", friend.String())
	if !strings.Contains(out, "token_transferred agent="+dep.ID+" from="+holder.String()+" to="+friend.String()+" amount=1000000000000000000") {
		t.Fatalf("transfer printed %q", out)
	}
	if out = run("token", "show", dep.ID, "--holder", friend.String()); !strings.Contains(out, "holds 0 tokens") || !strings.Contains(out, "was sent 1 tokens") || !strings.Contains(out, "supply    10 tokens") {
		t.Fatalf("token show of the friend printed %q", out)
	}
	if _, err := runCove(t, "--gateway", base, "--from", "friend", "token", "transfer", dep.ID, "2"+strings.Repeat("0", 18), "--to", holder.String()); err == nil || !strings.Contains(err.Error(), "holds 1000000000000000000 CLI, not 2000000000000000000") {
		t.Fatalf("a transfer of more than held: %v", err)
	}
	run("--from", "friend", "token", "transfer", dep.ID, "1"+strings.Repeat("0", 18), "--to", holder.String())

	out = run("dao", "transfer", dep.ID, "--quorum-ppm", "300000", "--voting-blocks", "10", "--timelock-blocks", "1") // a window of 10 blocks to execute in
	if !strings.Contains(out, "agent_to_dao agent="+dep.ID) {
		t.Fatalf("dao transfer printed %q", out)
	}
	if _, err := runCove(t, "--gateway", base, "agent", "upgrade", dep.ID, agentFile); err == nil || !strings.Contains(err.Error(), "belongs to its DAO") {
		t.Fatalf("the former owner's upgrade: %v", err)
	}
	if _, err := runCove(t, "--gateway", base, "dao", "propose", dep.ID, "--price", "7"); err == nil || !strings.Contains(err.Error(), "held no CLI") {
		t.Fatalf("a proposal by an account that holds none: %v", err)
	}
	out = run("--from", "hodler", "dao", "propose", dep.ID, "--price", "700", "--description", "charge for calls")
	m := regexp.MustCompile(`proposed proposal=([0-9]+) agent=` + dep.ID).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("propose printed %q", out)
	}
	prop := m[1]
	// The token given back waits as the hodler's incoming until its own
	// next transaction (this vote): at the snapshot it held 9.
	if out = run("--from", "hodler", "dao", "vote", prop, "yes"); !strings.Contains(out, "voted proposal="+prop+" voter="+holder.String()+" support=yes weight=9000000000000000000") {
		t.Fatalf("vote printed %q", out)
	}
	waitExecutable := func(prop string) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			var p chain.ProposalState
			if err := json.Unmarshal([]byte(run("dao", "show", "--proposal", prop, "--json")), &p); err != nil {
				t.Fatal(err)
			}
			if p.Status == chain.ProposalExecutable {
				return
			}
			if p.Status != chain.ProposalVoting && p.Status != chain.ProposalTimelocked || time.Now().After(deadline) {
				t.Fatalf("proposal %s: %+v", prop, p)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitExecutable(prop)
	if out = run("dao", "execute", prop); !strings.Contains(out, "proposal_executed proposal="+prop) || !strings.Contains(out, "agent_priced agent="+dep.ID+" price=700") {
		t.Fatalf("execute printed %q", out)
	}
	// The DAO changes its own quorum; the rest keep their values.
	out = run("--from", "hodler", "dao", "propose", dep.ID, "--params", "--quorum-ppm", "400000")
	m = regexp.MustCompile(`proposed proposal=([0-9]+) agent=` + dep.ID + ` proposer=0x[0-9a-fA-F]{40} action=TransferAgentToDAO`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("propose --params printed %q", out)
	}
	run("--from", "hodler", "dao", "vote", m[1], "yes")
	waitExecutable(m[1])
	if out = run("dao", "execute", m[1]); !strings.Contains(out, "dao_params_set agent="+dep.ID+" quorumPPM=400000 thresholdPPM=500000 votingBlocks=10 timelockBlocks=1") {
		t.Fatalf("execute --params printed %q", out)
	}
	if out = run("dao", "show", dep.ID); !strings.Contains(out, "proposal "+prop+": SetAgentPrice, executed") {
		t.Fatalf("dao show printed %q", out)
	}

	// A paid call of the DAO's agent; the holder, not its owner, redeems
	// it, to the treasury; half of it is the revenue share the treasury
	// would take from an owner anyway.
	run("--from", "hodler", "channel", "open", "--agent", dep.ID, "--deposit", "100000")
	if stdout, _, err := runCoveStderr(t, "--gateway", base, "agent", "call", dep.ID, "--from", "hodler"); err != nil || stdout != "dao ok" {
		t.Fatalf("a paid call: %v %q", err, stdout)
	}
	out = run("--from", "hodler", "agent", "redeem", dep.ID)
	if !regexp.MustCompile(`channel_redeemed channel=[0-9]+ payee=` + chain.AgentTreasury(mustAgentID(t, dep.ID)).String() + ` amount=700 `).MatchString(out) {
		t.Fatalf("redeem printed %q", out)
	}
}

func mustAgentID(t *testing.T, s string) cove.AgentID {
	t.Helper()
	id, err := cove.ParseAgentID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
