package chain

import (
	"math/big"
	"testing"
	"time"

	"github.com/cove-network/cove"
)

// TestSponsored: carol, who has no account, deploys an agent and opens a
// channel that alice, her sponsor, pays for (the fees, and the channel's
// deposit, which comes back to alice at Settle); alice's policy bounds
// the types, the agent, the deposit and the number of transactions. Each
// refusal beside a control that passes in the same state; the supply and
// the channels' books after every block.
func TestSponsored(t *testing.T) {
	a := newFeeApp(t)
	tm := genesisTime
	tx := nextNonceSigner(t, map[testKey]uint64{})
	inner := func(k testKey, nonce uint64, m func(n uint64) Msg) string { return string(k.tx(t, m(nonce))) }
	sponsoredBy := func(user testKey, in string) []byte {
		return tx(alice, func(n uint64) Msg { return SponsoredTx{Inner: in, User: user.addr, Nonce: n} })
	}
	sponsored := func(in string) []byte { return sponsoredBy(carol, in) }
	step, refused := channelSteps(t, a, &tm)
	if a.View().Account(carol.addr).Balance.Sign() != 0 {
		t.Fatal("carol has COVE")
	}
	h, c := bundle("carol's")
	carolsAgent := cove.DeriveAgentID(carol.addr, h, cove.Hash{3})
	deployCarols := inner(carol, 0, func(n uint64) Msg {
		return DeployAgent{Name: "carols", CID: c, CodeHash: h, Salt: cove.Hash{3}, Nonce: n}
	})
	policy := func(types string, agent cove.AgentID, maxDeposit int64, remaining uint64) []byte {
		return tx(alice, func(n uint64) Msg {
			return SetSponsorPolicy{Types: types, Agent: agent, MaxDeposit: big.NewInt(maxDeposit), Remaining: remaining, Nonce: n}
		})
	}
	// No policy, no sponsoring; a policy may not list SponsoredTx itself.
	refused(CodeNotFound, "has no sponsor policy", sponsored(deployCarols), policy("DeployAgent,OpenChannel,CloseChannel", carolsAgent, 500, 10))
	refused(CodeInvalidArgument, "a SponsoredTx cannot be sponsored", policy("SponsoredTx", cove.AgentID{}, 0, 1), tx(bob, func(n uint64) Msg { return transfer(carol, 0, n) }))
	// Carol's deploy, paid by alice: carol's account appears, with
	// nonce 1 and nothing spent.
	before := a.View().Account(alice.addr).Balance.Int64()
	res := step(sponsored(deployCarols))
	if rec, err := a.View().Agent(carolsAgent); err != nil || rec.Owner != carol.addr {
		t.Fatalf("carol's agent: %+v %v", rec, err)
	}
	if acct := a.View().Account(carol.addr); acct.Nonce != 1 || acct.Balance.Sign() != 0 {
		t.Fatalf("carol's account %+v", acct)
	}
	if fe := feeEvent(t, res.TxResults[0]); fe.Attr("payer") != alice.addr.String() || a.View().Account(alice.addr).Balance.Int64() != before-mustInt(t, fe.Attr("amount")) {
		t.Fatalf("fee %+v; alice %d → %d", fe, before, a.View().Account(alice.addr).Balance.Int64())
	}

	// Carol's channel to her own agent: a type the policy lists, a
	// deposit under its bound, her next nonce, her signature.
	open := func(deposit int64, nonce uint64) string {
		return inner(carol, nonce, func(n uint64) Msg { return OpenChannel{Agent: carolsAgent, Deposit: big.NewInt(deposit), Nonce: n} })
	}
	refused(CodeUnauthorized, "does not sponsor a Transfer", sponsored(inner(carol, 1, func(n uint64) Msg { return transfer(bob, 0, n) })), sponsored(open(400, 1)))
	refused(CodeUnauthorized, "pays deposits of at most 500", sponsored(open(501, 2)), sponsored(open(500, 2)))
	refused(CodeBadNonce, "inner: nonce 3 expected, got 2", sponsored(open(5, 2)), sponsored(open(5, 3)))
	forged := []byte(open(5, 4))
	copy(forged[len(forged)-4:], `ff"}`) // v 255
	refused(CodeBadSignature, "inner", sponsored(string(forged)), tx(bob, func(n uint64) Msg { return transfer(carol, 0, n) }))
	// An inner signed for another chain recovers to an address nobody
	// holds, not to the user the sponsor names.
	refused(CodeUnauthorized, "not to the user", sponsored(string(carol.txFor(t, testChainID+1, OpenChannel{Agent: carolsAgent, Deposit: big.NewInt(5), Nonce: 4}))),
		tx(bob, func(n uint64) Msg { return transfer(carol, 0, n) }))
	refused(CodeInvalidArgument, "the sponsor's own", sponsoredBy(alice, inner(alice, a.View().Account(alice.addr).Nonce+1, func(n uint64) Msg {
		return OpenChannel{Agent: carolsAgent, Deposit: big.NewInt(1), Nonce: n}
	})), sponsored(open(5, 4)))
	ch, err := a.View().Channel(1)
	if err != nil || ch.Payer != carol.addr || ch.Funder != alice.addr || ch.Deposit.Big().Int64() != 400 {
		t.Fatalf("channel 1: %+v %v", ch, err)
	}
	// The policy's count: 10, less the deploy and four channels.
	if p, err := a.View().SponsorPolicy(alice.addr); err != nil || p.Remaining != 5 {
		t.Fatalf("policy %+v %v", p, err)
	}
	step(sponsored(inner(carol, 5, func(n uint64) Msg { return CloseChannel{Channel: 1, Nonce: n} })), sponsored(open(1, 6)), sponsored(open(1, 7)))
	if p, err := a.View().SponsorPolicy(alice.addr); err != nil || p.Remaining != 2 {
		t.Fatalf("policy %+v %v", p, err)
	}
	// A policy that pays deposits names its agent; one for carol's agent,
	// once: a channel to another agent is not sponsored; the one to
	// carol's agent uses the policy up.
	refused(CodeInvalidArgument, "names the one agent", policy("OpenChannel", cove.AgentID{}, 10, 1), policy("OpenChannel", carolsAgent, 10, 1))
	refused(CodeUnauthorized, "about agent", sponsored(inner(carol, 8, func(n uint64) Msg { return OpenChannel{Agent: cove.AgentID{9}, Deposit: big.NewInt(1), Nonce: n} })), sponsored(open(1, 8)))
	if _, err := a.View().SponsorPolicy(alice.addr); err == nil {
		t.Fatal("the policy outlived its count")
	}
	refused(CodeNotFound, "has no sponsor policy", sponsored(open(1, 9)), tx(bob, func(n uint64) Msg { return transfer(carol, 0, n) }))
	// The sponsor that funded a channel may close it too (its user may
	// never); anyone else may not.
	refused(CodeUnauthorized, "only its payer (or the sponsor that funded it)", tx(bob, func(n uint64) Msg { return CloseChannel{Channel: 2, Nonce: n} }),
		tx(alice, func(n uint64) Msg { return CloseChannel{Channel: 2, Nonce: n} }))
	// At Settle, channel 1's deposit goes back to alice, who paid it.
	ch, _ = a.View().Channel(1)
	tm = time.Unix(ch.ClosesAt, 0)
	before = a.View().Account(alice.addr).Balance.Int64()
	res = step(tx(bob, func(n uint64) Msg { return Settle{Channel: 1, Nonce: n} }))
	if got := a.View().Account(alice.addr).Balance.Int64(); got != before+400 {
		t.Fatalf("alice after the settle: %d, want %d", got, before+400)
	}
	if a.View().Account(carol.addr).Balance.Sign() != 0 {
		t.Fatal("carol was paid the sponsor's deposit")
	}
}

func mustInt(t testing.TB, s string) int64 {
	t.Helper()
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("not a number: %q", s)
	}
	return v.Int64()
}

// TestSponsoredFeeType: a SponsoredTx pays the fee of its inner
// transaction's type (a price governance set for DeployAgent holds for a
// sponsored deploy too).
func TestSponsoredFeeType(t *testing.T) {
	h, c := bundle("x")
	in := string(carol.tx(t, DeployAgent{Name: "x", CID: c, CodeHash: h, Nonce: 0}))
	if got := feeType(Tx{Msg: SponsoredTx{Inner: in, User: carol.addr}}); got != "DeployAgent" {
		t.Fatalf("fee type %s", got)
	}
	if got := feeType(Tx{Msg: SponsoredTx{Inner: "not a tx", User: carol.addr}}); got != "SponsoredTx" {
		t.Fatalf("fee type of a malformed inner: %s", got)
	}
}

// TestSponsoredFee: a SponsoredTx pays the higher of its own type's fee
// and its inner type's: a price set for DeployAgent holds for a sponsored
// deploy, and one set for SponsoredTx for any sponsored transaction.
func TestSponsoredFee(t *testing.T) {
	for _, perType := range []map[string]string{{"DeployAgent": "100000"}, {"SponsoredTx": "100000"}} {
		g := testGenesis()
		g.Accounts = []GenesisAccount{{Address: alice.addr, Balance: big.NewInt(1_000_000)}, {Address: bob.addr, Balance: big.NewInt(1_000_000)}}
		g.ValidatorSet, g.Economics = true, true
		g.Validators = []Validator{{PubKey: valKey(1), Power: 10}}
		g.Params.Fees = FeeParams{Base: "100", PerType: perType, PerByte: "1"}
		a := New()
		if _, err := a.InitChain(g); err != nil {
			t.Fatal(err)
		}
		h, c := bundle("fee")
		in := string(carol.tx(t, DeployAgent{Name: "fee", CID: c, CodeHash: h, Nonce: 0}))
		tm := genesisTime.Add(time.Second)
		res := at(t, a, tm,
			alice.tx(t, SetSponsorPolicy{Types: "DeployAgent", MaxDeposit: big.NewInt(0), Remaining: 1, Nonce: 0}),
			alice.tx(t, SponsoredTx{Inner: in, User: carol.addr, Nonce: 1}))
		r := res.TxResults[1]
		if r.Code != CodeOK {
			t.Fatalf("%v: %s", perType, r.Log)
		}
		if fee := mustInt(t, feeEvent(t, r).Attr("amount")); fee < 100000 {
			t.Fatalf("fees %v: a sponsored deploy paid %d", perType, fee)
		}
	}
}
