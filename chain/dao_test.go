package chain

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
)

// TestDAO: an agent moves to its token's holders; its former owner loses
// every owner's right (UpgradeAgent, SetAgentPrice, WithdrawTreasury);
// only holders at the snapshot propose and vote, once; a proposal runs
// only with its quorum and threshold, only after voting and the
// timelock, once, before it expires; an executed upgrade changes the
// agent's code; anyone redeems the agent's channels, to its treasury.
// Each refusal beside a control that passes in the same state; the
// supply, channel and token books after every block.
func TestDAO(t *testing.T) {
	a := newFeeApp(t)
	tm := genesisTime
	tx := nextNonceSigner(t, map[testKey]uint64{})
	step, refused := tokenSteps(t, a, &tm)
	dave := newKey("dave")
	agent, deployIt := bobsAgent("daoagent", 1)
	step(tx(bob, deployIt),
		tx(alice, func(n uint64) Msg { return transfer(carol, 100_000, n) }),
		tx(alice, func(n uint64) Msg { return transfer(dave, 100_000, n) }))
	step(tx(bob, func(n uint64) Msg {
		return LaunchAgentToken{Agent: agent, Name: "DAO Agent", Symbol: "DAO", Curve: CurveLinear, A: big.NewInt(1000), B: big.NewInt(0), Nonce: n}
	}))
	buy := func(k testKey, whole int64) []byte {
		return tx(k, func(n uint64) Msg { return Buy{Agent: agent, Amount: tok(whole), MaxCost: maxUint256, Nonce: n} })
	}
	step(buy(alice, 60), buy(bob, 30), buy(carol, 10))

	h2, c2 := bundle("dao-agent v2")
	h3, c3 := bundle("dao-agent v3")
	upgrade := func(k testKey, cid string, hash cove.Hash) []byte {
		return tx(k, func(n uint64) Msg { return UpgradeAgent{Agent: agent, CID: cid, CodeHash: hash, Nonce: n} })
	}
	toDAO := func(k testKey, quorum uint64) []byte {
		return tx(k, func(n uint64) Msg {
			return TransferAgentToDAO{Agent: agent, QuorumPPM: quorum, ThresholdPPM: 500_000, VotingBlocks: 8, TimelockBlocks: 2, Nonce: n}
		})
	}
	// While bob owns the agent, his upgrade runs; only he hands it over,
	// with parameters in bounds.
	step(upgrade(bob, c2, h2))
	refused(CodeUnauthorized, "only its owner may hand it to a DAO", toDAO(alice, 400_000), tx(bob, func(n uint64) Msg { return transfer(carol, 1, n) }))
	refused(CodeInvalidArgument, "quorumPPM", toDAO(bob, 0), toDAO(bob, 400_000))
	rec, _ := a.View().Agent(agent)
	if rec.Owner != AgentTreasury(agent) || !IsDAOAgent(rec) {
		t.Fatalf("owner %s after the transfer, want the treasury %s", rec.Owner, AgentTreasury(agent))
	}
	if d, err := a.View().DAOState(agent); err != nil || d.FormerOwner != bob.addr || d.QuorumPPM != 400_000 {
		t.Fatalf("DAO %+v %v", d, err)
	}
	// The former owner's upgrade, price and treasury spend are refused now.
	refused(CodeUnauthorized, "belongs to its DAO", upgrade(bob, c3, h3), tx(bob, func(n uint64) Msg { return transfer(carol, 1, n) }))
	refused(CodeUnauthorized, "belongs to its DAO",
		tx(bob, func(n uint64) Msg { return SetAgentPrice{Agent: agent, Price: big.NewInt(1), Nonce: n} }),
		tx(bob, func(n uint64) Msg { return transfer(carol, 1, n) }))
	step(tx(alice, func(n uint64) Msg { return Transfer{To: AgentTreasury(agent), Amount: big.NewInt(5000), Nonce: n} }))
	refused(CodeUnauthorized, "belongs to its DAO",
		tx(bob, func(n uint64) Msg {
			return WithdrawTreasury{Agent: agent, To: bob.addr, Amount: big.NewInt(1), Nonce: n}
		}),
		tx(bob, func(n uint64) Msg { return transfer(carol, 1, n) }))

	action := func(m Msg) string {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]json.RawMessage
		json.Unmarshal(b, &obj)
		delete(obj, "nonce")
		b, _ = json.Marshal(obj)
		return string(b)
	}
	propose := func(k testKey, typ string, m Msg) []byte {
		return tx(k, func(n uint64) Msg {
			return Propose{Agent: agent, ActionType: typ, Action: action(m), Description: "d", Nonce: n}
		})
	}
	upgradeAction := UpgradeAgent{Agent: agent, CID: c3, CodeHash: h3}
	// Dave buys in the block he proposes in: the snapshot (the block
	// before) has him hold nothing. Alice, who held, proposes beside him.
	res := at(t, a, tm.Add(1e9), buy(dave, 5), propose(dave, "UpgradeAgent", upgradeAction), propose(alice, "UpgradeAgent", upgradeAction))
	tm = tm.Add(1e9)
	if r := res.TxResults[1]; r.Code != CodeUnauthorized || !strings.Contains(r.Log, "held no DAO at the end of block") {
		t.Fatalf("dave's proposal: %d %s", r.Code, r.Log)
	}
	if res.TxResults[0].Code != CodeOK || res.TxResults[2].Code != CodeOK {
		t.Fatalf("controls: %s / %s", res.TxResults[0].Log, res.TxResults[2].Log)
	}
	p1, err := a.View().ProposalState(1)
	if err != nil || p1.Proposer != alice.addr || p1.SnapshotSupply.Big().Cmp(tok(100)) != 0 || p1.Snapshot != a.Height()-1 {
		t.Fatalf("proposal 1 %+v %v (height %d)", p1, err, a.Height())
	}
	// What a proposal may run: one of the action types, for this agent, without
	// a nonce of its own; each forgery beside the genuine proposal.
	price := SetAgentPrice{Agent: agent, Price: big.NewInt(7)}
	refused(CodeInvalidArgument, "actionType", propose(alice, "Transfer", price), propose(alice, "SetAgentPrice", price)) // proposal 2
	other := WithdrawTreasury{Agent: cove.AgentID{5}, To: carol.addr, Amount: big.NewInt(1000)}
	spend := WithdrawTreasury{Agent: agent, To: carol.addr, Amount: big.NewInt(1000)}
	refused(CodeInvalidArgument, "names agent", propose(alice, "WithdrawTreasury", other), propose(alice, "WithdrawTreasury", spend)) // proposal 3
	refused(CodeInvalidArgument, "no nonce or maxFee",
		tx(alice, func(n uint64) Msg {
			return Propose{Agent: agent, ActionType: "SetAgentPrice", Action: `{"agent":"` + agent.String() + `","price":"9","nonce":3}`, Nonce: n}
		}),
		tx(alice, func(n uint64) Msg {
			return Propose{Agent: agent, ActionType: "SetAgentPrice", Action: `{"agent":"` + agent.String() + `","price":"9","nonce":0}`, Nonce: n}
		})) // proposal 4
	// An action that is not a JSON object ("null" decodes to no map) is
	// malformed, from anyone, before the holding is looked at.
	bads := []string{"null", "[]", "7", `"x"`, "{"}
	var txs [][]byte
	for _, bad := range bads {
		txs = append(txs, tx(carol, func(n uint64) Msg { return Propose{Agent: agent, ActionType: "SetAgentPrice", Action: bad, Nonce: n} }))
	}
	txs = append(txs, tx(carol, func(n uint64) Msg { return transfer(alice, 1, n) })) // the control
	tm = tm.Add(time.Second)
	res = at(t, a, tm, txs...)
	for i, r := range res.TxResults[:len(bads)] {
		if r.Code != CodeMalformed || !strings.Contains(r.Log, "as a JSON object") {
			t.Fatalf("action %s: %d %s", bads[i], r.Code, r.Log)
		}
	}
	if r := res.TxResults[len(bads)]; r.Code != CodeOK {
		t.Fatalf("the control: %s", r.Log)
	}
	// An action the chain would refuse now is refused as a proposal.
	refused(CodeInsufficientFunds, "treasury",
		propose(alice, "WithdrawTreasury", WithdrawTreasury{Agent: agent, To: carol.addr, Amount: big.NewInt(1e9)}),
		propose(alice, "SetFreeTier", SetFreeTier{Agent: agent, CallsPerDay: 5})) // proposal 5

	vote := func(k testKey, p uint64, support string) []byte {
		return tx(k, func(n uint64) Msg { return CastVote{Proposal: p, Support: support, Nonce: n} })
	}
	// Dave's tokens came after proposal 1's snapshot: they do not vote.
	refused(CodeUnauthorized, "tokens bought after it do not vote", vote(dave, 1, "yes"), vote(carol, 1, "yes"))
	refused(CodeExists, "has voted yes on proposal 1 already", vote(carol, 1, "no"), vote(alice, 1, "yes"))
	refused(CodeInvalidArgument, "want yes or no", vote(bob, 1, "maybe"), vote(bob, 1, "no"))
	p1, _ = a.View().ProposalState(1)
	if p1.Yes.Big().Cmp(tok(70)) != 0 || p1.No.Big().Cmp(tok(30)) != 0 {
		t.Fatalf("proposal 1: yes %s no %s", p1.Yes, p1.No)
	}
	// Proposal 2 (price): only carol votes: 10% is under the 40% quorum.
	// Proposal 3 (spend): alice's 60 against carol's 10: under half.
	step(vote(carol, 2, "yes"), vote(alice, 3, "no"), vote(carol, 3, "yes"))

	execute := func(k testKey, p uint64) []byte {
		return tx(k, func(n uint64) Msg { return Execute{Proposal: p, Nonce: n} })
	}
	// Before its timelock is over, proposal 1 waits.
	for a.Height()+1 < p1.ExecutableAt {
		refused(CodeInvalidArgument, "may be executed from block", execute(dave, 1), tx(dave, func(n uint64) Msg { return transfer(carol, 1, n) }))
	}
	if a.Height() <= p1.VotingEnds {
		t.Fatalf("height %d: voting ends at %d", a.Height(), p1.VotingEnds)
	}
	refused(CodeInvalidArgument, "voting ended", vote(dave, 2, "yes"), execute(dave, 1))
	rec, _ = a.View().Agent(agent)
	if rec.CodeHash != h3 || rec.Version != 3 {
		t.Fatalf("after proposal 1: code %s version %d, want %s 3", rec.CodeHash, rec.Version, h3)
	}
	refused(CodeExists, "was executed at block", execute(dave, 1), tx(dave, func(n uint64) Msg { return transfer(carol, 1, n) }))
	// Proposals 2 and 3 did not pass.
	p3, _ := a.View().ProposalState(3)
	for a.Height()+1 < p3.ExecutableAt {
		step()
	}
	refused(CodeUnauthorized, "the quorum is 400000 ppm", execute(dave, 2), tx(dave, func(n uint64) Msg { return transfer(carol, 1, n) }))
	refused(CodeUnauthorized, "the threshold is 500000 ppm", execute(dave, 3), tx(dave, func(n uint64) Msg { return transfer(carol, 1, n) }))

	// Anyone redeems a DAO agent's channels, to the treasury.
	step(tx(alice, func(n uint64) Msg { return OpenChannel{Agent: agent, Deposit: big.NewInt(1000), Nonce: n} }))
	before := a.View().Account(AgentTreasury(agent)).Balance
	sig := signVoucher(t, alice, cove.Voucher{ChainID: testChainID, Channel: 1, Agent: agent, Amount: big.NewInt(300), Nonce: 1})
	step(tx(dave, func(n uint64) Msg {
		return Redeem{Channel: 1, Amount: big.NewInt(300), VoucherNonce: 1, Signature: sig, Nonce: n}
	}))
	if got := new(big.Int).Sub(a.View().Account(AgentTreasury(agent)).Balance, before); got.Int64() != 300 {
		t.Fatalf("the treasury got %s of a 300 redeem", got)
	}

	// A second round: the spend passes and pays; after its window a passed
	// proposal expires.
	step(propose(carol, "WithdrawTreasury", spend), propose(carol, "SetAgentPrice", price))
	p6, _ := a.View().ProposalState(6)
	step(vote(alice, 6, "yes"), vote(alice, 7, "yes"))
	for a.Height()+1 < p6.ExecutableAt {
		step()
	}
	carolBefore := a.View().Account(carol.addr).Balance
	step(execute(dave, 6))
	if got := new(big.Int).Sub(a.View().Account(carol.addr).Balance, carolBefore); got.Int64() != 1000 {
		t.Fatalf("the spend paid carol %s", got)
	}
	p7, _ := a.View().ProposalState(7)
	for a.Height() < p7.Expires {
		step()
	}
	refused(CodeInvalidArgument, "expired", execute(dave, 7), tx(dave, func(n uint64) Msg { return transfer(carol, 1, n) }))

	// Where each proposal stands, as readers see it.
	ds, err := a.View().DAOState(agent)
	if err != nil || len(ds.Proposals) != 7 {
		t.Fatalf("DAO state %+v %v", ds, err)
	}
	for i, want := range []string{ProposalExecuted, ProposalFailed, ProposalFailed, ProposalFailed, ProposalFailed, ProposalExecuted, ProposalExpired} {
		if got := ds.Proposals[i]; got.ID != uint64(i+1) || got.Status != want {
			t.Errorf("proposal %d: %s (%s), want %s", got.ID, got.Status, got.Why, want)
		}
	}
	step(propose(alice, "SetAgentPrice", price))
	if ps, _ := a.View().ProposalState(8); ps.Status != ProposalVoting {
		t.Errorf("a new proposal is %s", ps.Status)
	}
	// Every token and DAO record is one a restarting node loads.
	if _, err := Load(a.Snapshot(), a.Height(), a.AppHash()); err != nil {
		t.Fatalf("load the state: %v", err)
	}
	ts, err := a.View().TokenState(agent, alice.addr)
	if err != nil || !ts.DAO || ts.Owner != AgentTreasury(agent) || ts.Holding.Balance.Big().Cmp(tok(60)) != 0 || ts.Reserve.Big().Int64() != 105_000 {
		t.Errorf("token state %+v %v", ts, err)
	}
}

// TestVoteWeightHistory: a holding remembers its balance at the end of
// each of its last 64 blocks of change; the weight at a height is the
// latest of those at or before it, 0 before the first, and unknown (no
// vote) once the changes since that height have pushed it out.
func TestVoteWeightHistory(t *testing.T) {
	o := newOverlay(committed{})
	agent := cove.AgentID{1}
	for h := int64(10); h < 10+maxCheckpoints; h++ {
		setBalance(o, getHolding(o, agent, alice.addr), big.NewInt(h), h)
		setBalance(o, getHolding(o, agent, alice.addr), big.NewInt(h*100), h) // a second change in one block: one entry
	}
	hold := getHolding(o, agent, alice.addr)
	if len(hold.History) != maxCheckpoints || hold.Trimmed {
		t.Fatalf("%d entries, trimmed %v", len(hold.History), hold.Trimmed)
	}
	for _, c := range []struct {
		height int64
		want   int64
		known  bool
	}{{9, 0, true}, {10, 1000, true}, {40, 4000, true}, {10_000, (10 + maxCheckpoints - 1) * 100, true}} {
		if w, ok := hold.At(c.height); w.Int64() != c.want || ok != c.known {
			t.Errorf("at %d: %s %v, want %d %v", c.height, w, ok, c.want, c.known)
		}
	}
	// One more block of change drops block 10's entry: heights before 11
	// are no longer known; 11 on still are.
	setBalance(o, hold, big.NewInt(5), 10+maxCheckpoints)
	hold = getHolding(o, agent, alice.addr)
	if !hold.Trimmed || len(hold.History) != maxCheckpoints {
		t.Fatalf("after one more change: %d entries, trimmed %v", len(hold.History), hold.Trimmed)
	}
	if _, ok := hold.At(10); ok {
		t.Errorf("block 10's balance is still known")
	}
	if w, ok := hold.At(11); !ok || w.Int64() != 1100 {
		t.Errorf("at 11: %s %v", w, ok)
	}
}

// TestDAORefusals: what the DAO messages refuse that TestDAO does not
// reach, each beside a control that passes in the same state.
func TestDAORefusals(t *testing.T) {
	a := newFeeApp(t)
	tm := genesisTime
	tx := nextNonceSigner(t, map[testKey]uint64{})
	step, refused := tokenSteps(t, a, &tm)
	agent, deployIt := bobsAgent("refusals", 1)
	step(tx(bob, deployIt))
	toDAO := func(mut func(*TransferAgentToDAO)) func(n uint64) Msg {
		return func(n uint64) Msg {
			m := TransferAgentToDAO{Agent: agent, QuorumPPM: 100_000, ThresholdPPM: 500_000, VotingBlocks: 100, TimelockBlocks: 1, Nonce: n}
			if mut != nil {
				mut(&m)
			}
			return m
		}
	}
	launch := func(n uint64) Msg {
		return LaunchAgentToken{Agent: agent, Name: "R", Symbol: "R", Curve: CurveLinear, A: big.NewInt(10), B: big.NewInt(0), FeePPM: 50_000, Nonce: n}
	}
	// No token, no DAO: the launch beside it is what it lacks.
	refused(CodeNotFound, "a DAO's members are its token's holders", tx(bob, toDAO(nil)), tx(bob, launch))
	for _, bad := range []struct {
		why string
		mut func(*TransferAgentToDAO)
	}{
		{"thresholdPPM", func(m *TransferAgentToDAO) { m.ThresholdPPM = 499_999 }},
		{"votingBlocks", func(m *TransferAgentToDAO) { m.VotingBlocks = 0 }},
		{"timelockBlocks", func(m *TransferAgentToDAO) { m.TimelockBlocks = maxDAOBlocks + 1 }},
		{"quorumPPM", func(m *TransferAgentToDAO) { m.QuorumPPM = 1_000_001 }},
	} {
		tm = tm.Add(time.Second)
		res := at(t, a, tm, tx(bob, toDAO(bad.mut)))
		if r := res.TxResults[0]; r.Code != CodeInvalidArgument || !strings.Contains(r.Log, bad.why) {
			t.Fatalf("bad %s: %d %s", bad.why, r.Code, r.Log)
		}
	}
	step(tx(alice, func(n uint64) Msg { return Buy{Agent: agent, Amount: tok(100), MaxCost: maxUint256, Nonce: n} }))
	// The treasury (the 5% fee of alice's buy: 50) pays no escrow or
	// reserve, and nothing for 0.
	withdraw := func(to cove.Address, amount int64) func(n uint64) Msg {
		return func(n uint64) Msg {
			return WithdrawTreasury{Agent: agent, To: to, Amount: big.NewInt(amount), Nonce: n}
		}
	}
	refused(CodeInvalidArgument, "the agent tokens' reserve", tx(bob, withdraw(TokenReserveAddress, 10)), tx(bob, withdraw(carol.addr, 10)))
	refused(CodeInvalidArgument, "amount is 0", tx(bob, withdraw(carol.addr, 0)), tx(bob, withdraw(carol.addr, 1)))
	propose := func(k testKey, description string) func(n uint64) Msg {
		return func(n uint64) Msg {
			return Propose{Agent: agent, ActionType: "SetAgentPrice", Action: `{"agent":"` + agent.String() + `","price":"3"}`, Description: description, Nonce: n}
		}
	}
	// No DAO yet: no proposals; the transfer beside it is what it lacks.
	refused(CodeNotFound, "has no DAO", tx(alice, propose(alice, "")), tx(bob, toDAO(nil)))
	refused(CodeInvalidArgument, "description is 1025 bytes", tx(alice, propose(alice, strings.Repeat("x", maxDescription+1))), tx(alice, propose(alice, strings.Repeat("x", maxDescription))))
	// Bob holds too. Alice proposes, then changes her holding in 64
	// blocks: her balance at the snapshot is no longer recorded, and she
	// cannot vote; bob, who held still, can.
	step(tx(bob, func(n uint64) Msg { return Buy{Agent: agent, Amount: tok(1), MaxCost: maxUint256, Nonce: n} }))
	step(tx(alice, propose(alice, ""))) // proposal 2
	for range maxCheckpoints {
		step(tx(alice, func(n uint64) Msg {
			return Sell{Agent: agent, Amount: big.NewInt(1), MinReturn: big.NewInt(0), Nonce: n}
		}))
	}
	refused(CodeUnauthorized, "is no longer recorded",
		tx(alice, func(n uint64) Msg { return CastVote{Proposal: 2, Support: "yes", Nonce: n} }),
		tx(bob, func(n uint64) Msg { return CastVote{Proposal: 2, Support: "yes", Nonce: n} }))
	if h := a.View().Holding(agent, alice.addr); !h.Trimmed {
		t.Fatal("alice's history is not trimmed")
	}
	if _, err := Load(a.Snapshot(), a.Height(), a.AppHash()); err != nil {
		t.Fatalf("load the state: %v", err)
	}
}

// TestVoteLocks: a majority bought for a block and sold back at the same
// price cannot take a DAO (the review's flash attack): tokens sold since
// the snapshot do not vote, and tokens that voted cannot be sold until
// voting ends. Each refusal beside a control in the same state.
func TestVoteLocks(t *testing.T) {
	a := newFeeApp(t)
	tm := genesisTime
	tx := nextNonceSigner(t, map[testKey]uint64{})
	step, refused := tokenSteps(t, a, &tm)
	agent, deployIt := bobsAgent("locks", 1)
	step(tx(bob, deployIt),
		tx(alice, func(n uint64) Msg { return transfer(carol, 200_000, n) }))
	step(tx(bob, func(n uint64) Msg {
		return LaunchAgentToken{Agent: agent, Name: "L", Symbol: "L", Curve: CurveLinear, A: big.NewInt(10), B: big.NewInt(0), Nonce: n}
	}))
	buy := func(k testKey, whole int64) []byte {
		return tx(k, func(n uint64) Msg { return Buy{Agent: agent, Amount: tok(whole), MaxCost: maxUint256, Nonce: n} })
	}
	sell := func(k testKey, amount *big.Int) []byte {
		return tx(k, func(n uint64) Msg { return Sell{Agent: agent, Amount: amount, MinReturn: big.NewInt(0), Nonce: n} })
	}
	step(buy(alice, 100))
	step(tx(bob, func(n uint64) Msg {
		return TransferAgentToDAO{Agent: agent, QuorumPPM: 100_000, ThresholdPPM: 500_000, VotingBlocks: 5, TimelockBlocks: 1, Nonce: n}
	}))
	step(tx(alice, func(n uint64) Msg { return Transfer{To: AgentTreasury(agent), Amount: big.NewInt(5000), Nonce: n} }))
	spend := func(n uint64) Msg {
		return Propose{Agent: agent, ActionType: "WithdrawTreasury", Action: `{"agent":"` + agent.String() + `","to":"` + carol.addr.String() + `","amount":"5000"}`, Nonce: n}
	}
	vote := func(k testKey, p uint64, support string) []byte {
		return tx(k, func(n uint64) Msg { return CastVote{Proposal: p, Support: support, Nonce: n} })
	}
	// Carol buys a majority for one block, sells it back and votes: her
	// tokens are gone, her vote weighs nothing; alice's counts.
	step(buy(carol, 102))
	step(sell(carol, tok(102)), tx(carol, spend)) // proposal 1: she held at its snapshot
	refused(CodeUnauthorized, "tokens sold since do not vote", vote(carol, 1, "yes"), vote(alice, 1, "no"))
	// Now she buys, votes, and tries to sell in the same block: what
	// voted is locked; the one token that did not is hers to sell.
	step(buy(carol, 102))
	step(tx(carol, spend), buy(carol, 1)) // proposal 2; her snapshot: 102
	step(vote(carol, 2, "yes"))
	if h := a.View().Holding(agent, carol.addr); h.Locked.Big().Cmp(tok(102)) != 0 {
		t.Fatalf("carol's lock %s until %d", h.Locked, h.LockedUntil)
	}
	refused(CodeInvalidArgument, "voted on a proposal and are locked", sell(carol, tok(2)), sell(carol, tok(1)))
	// Nor are they given away while locked (they would vote again, or be
	// sold, from another account); the one token more is hers to give.
	step(buy(carol, 1))
	refused(CodeInvalidArgument, "voted on a proposal and are locked",
		tx(carol, func(n uint64) Msg { return TransferToken{Agent: agent, To: alice.addr, Amount: tok(2), Nonce: n} }),
		tx(carol, func(n uint64) Msg { return TransferToken{Agent: agent, To: alice.addr, Amount: tok(1), Nonce: n} }))
	p2, _ := a.View().ProposalState(2)
	for a.Height() < p2.VotingEnds {
		step()
	}
	step(sell(carol, tok(102))) // voting over: free to sell

	// The DAO's view lists its latest proposals only.
	var txs [][]byte
	for range MaxDAOStateProposals + 1 {
		txs = append(txs, tx(alice, func(n uint64) Msg {
			return Propose{Agent: agent, ActionType: "SetAgentPrice", Action: `{"agent":"` + agent.String() + `","price":"1"}`, Nonce: n}
		}))
	}
	step(txs...)
	ds, err := a.View().DAOState(agent)
	if err != nil || len(ds.Proposals) != MaxDAOStateProposals || ds.Proposals[len(ds.Proposals)-1].ID != ds.Proposals[0].ID+MaxDAOStateProposals-1 || ds.DAORecord.Proposals != MaxDAOStateProposals+3 {
		t.Fatalf("DAO state: %d proposals listed, %d made, %v", len(ds.Proposals), ds.DAORecord.Proposals, err)
	}
}

// TestTransfersCannotPushOutAVote: another account sends a voter one base
// unit of the token in more blocks than a holding's history remembers,
// between the proposal's snapshot and the vote, while the voter's own 63
// changes fill its history up to the snapshot's entry; the transfers never
// write the voter's history (they wait as incoming tokens), nor does the
// vote, so its vote still weighs its balance at the snapshot. A voter
// whose token went away and came back (incoming now) votes with it; the
// voter's sell takes its incoming in and is held to the lock.
func TestTransfersCannotPushOutAVote(t *testing.T) {
	a := newFeeApp(t)
	tm := genesisTime
	tx := nextNonceSigner(t, map[testKey]uint64{})
	step, refused := tokenSteps(t, a, &tm)
	agent, deployIt := bobsAgent("dust", 1)
	dave := newKey("dave")
	step(tx(bob, deployIt), tx(alice, func(n uint64) Msg { return transfer(carol, 200_000, n) }),
		tx(alice, func(n uint64) Msg { return transfer(dave, 100_000, n) }))
	step(tx(bob, func(n uint64) Msg {
		return LaunchAgentToken{Agent: agent, Name: "D", Symbol: "D", Curve: CurveLinear, A: big.NewInt(10), B: big.NewInt(0), Nonce: n}
	}))
	step(tx(alice, func(n uint64) Msg { return Buy{Agent: agent, Amount: tok(10), MaxCost: maxUint256, Nonce: n} }),
		tx(carol, func(n uint64) Msg { return Buy{Agent: agent, Amount: tok(1), MaxCost: maxUint256, Nonce: n} }),
		tx(dave, func(n uint64) Msg { return Buy{Agent: agent, Amount: tok(1), MaxCost: maxUint256, Nonce: n} }))
	bought := a.Height()
	step(tx(bob, func(n uint64) Msg {
		return TransferAgentToDAO{Agent: agent, QuorumPPM: 100_000, ThresholdPPM: 500_000, VotingBlocks: 4 * maxCheckpoints, TimelockBlocks: 1, Nonce: n}
	}))
	step(tx(alice, func(n uint64) Msg {
		return Propose{Agent: agent, ActionType: "SetAgentPrice", Action: `{"agent":"` + agent.String() + `","price":"1"}`, Nonce: n}
	}))
	for i := range maxCheckpoints + 2 {
		txs := [][]byte{tx(carol, func(n uint64) Msg {
			return TransferToken{Agent: agent, To: alice.addr, Amount: big.NewInt(1), Nonce: n}
		})}
		if i < maxCheckpoints-1 {
			txs = append(txs, tx(alice, func(n uint64) Msg { return Buy{Agent: agent, Amount: big.NewInt(1), MaxCost: maxUint256, Nonce: n} }))
		}
		step(txs...)
	}
	h := a.View().Holding(agent, alice.addr)
	if len(h.History) != maxCheckpoints || h.History[0].Height != bought || h.Incoming.Big().Int64() != 3 { // the last 3 blocks' dust: her buys took the rest in
		t.Fatalf("alice's holding after the dust: %d history entries from %d, %s incoming", len(h.History), h.History[0].Height, h.Incoming)
	}
	// Dave gives bob his token and bob gives it back: it waits in dave's
	// incoming, and his vote counts it as held now (with his token at the
	// snapshot, it weighs 1).
	step(tx(dave, func(n uint64) Msg { return TransferToken{Agent: agent, To: bob.addr, Amount: tok(1), Nonce: n} }))
	step(tx(bob, func(n uint64) Msg { return TransferToken{Agent: agent, To: dave.addr, Amount: tok(1), Nonce: n} }))
	res := step(tx(dave, func(n uint64) Msg { return CastVote{Proposal: 1, Support: "no", Nonce: n} }))
	if w := eventAttr(t, res.TxResults[0], EventVoted, "weight"); w != tok(1).String() {
		t.Fatalf("dave's vote weighs %s, want 1 token", w)
	}
	res = step(tx(alice, func(n uint64) Msg { return CastVote{Proposal: 1, Support: "yes", Nonce: n} }))
	if w := eventAttr(t, res.TxResults[0], EventVoted, "weight"); w != tok(10).String() {
		t.Fatalf("alice's vote weighs %s, want her 10 tokens at the snapshot", w)
	}
	if h2 := a.View().Holding(agent, alice.addr); len(h2.History) != maxCheckpoints || h2.History[0].Height != bought || h2.Trimmed {
		t.Fatalf("the vote wrote alice's history: %d entries from %d, trimmed %v", len(h2.History), h2.History[0].Height, h2.Trimmed)
	}
	// Her 10 voting tokens are locked; her sell takes the 3 incoming units
	// in first, so all but the 10 tokens (the 63 units she bought and the
	// 66 she was sent) is hers to sell, one unit more is not.
	sell := func(units int64) []byte {
		return tx(alice, func(n uint64) Msg {
			return Sell{Agent: agent, Amount: big.NewInt(units), MinReturn: big.NewInt(0), Nonce: n}
		})
	}
	free := int64(maxCheckpoints-1) + maxCheckpoints + 2
	refused(CodeInvalidArgument, "voted on a proposal and are locked", sell(free+1), sell(free))
}

// TestDAOSetsItsParams: a DAO changes its own parameters by a proposal
// whose action is TransferAgentToDAO; a proposal open when they change
// keeps the quorum it was made with (the control beside the refusal: the
// same votes on a proposal made after the change miss the new quorum).
func TestDAOSetsItsParams(t *testing.T) {
	a := newFeeApp(t)
	tm := genesisTime
	tx := nextNonceSigner(t, map[testKey]uint64{})
	step, refused := tokenSteps(t, a, &tm)
	agent, deployIt := bobsAgent("selfgov", 1)
	step(tx(bob, deployIt), tx(alice, func(n uint64) Msg { return transfer(carol, 100_000, n) }))
	step(tx(bob, func(n uint64) Msg {
		return LaunchAgentToken{Agent: agent, Name: "S", Symbol: "S", Curve: CurveLinear, A: big.NewInt(10), B: big.NewInt(0), Nonce: n}
	}))
	step(tx(alice, func(n uint64) Msg { return Buy{Agent: agent, Amount: tok(80), MaxCost: maxUint256, Nonce: n} }),
		tx(carol, func(n uint64) Msg { return Buy{Agent: agent, Amount: tok(20), MaxCost: maxUint256, Nonce: n} }))
	step(tx(bob, func(n uint64) Msg {
		return TransferAgentToDAO{Agent: agent, QuorumPPM: 100_000, ThresholdPPM: 500_000, VotingBlocks: 2, TimelockBlocks: 0, Nonce: n}
	}))
	propose := func(typ, action string) []byte {
		return tx(alice, func(n uint64) Msg { return Propose{Agent: agent, ActionType: typ, Action: action, Nonce: n} })
	}
	params := `{"agent":"` + agent.String() + `","quorumPPM":900000,"thresholdPPM":500000,"votingBlocks":3,"timelockBlocks":1}`
	price := `{"agent":"` + agent.String() + `","price":"5"}`
	// The former owner cannot set them itself; nor may a proposal set
	// them out of bounds (its action is tried at once). Each beside a
	// control in the same state.
	refused(CodeUnauthorized, "belongs to its DAO",
		tx(bob, func(n uint64) Msg {
			return TransferAgentToDAO{Agent: agent, QuorumPPM: 900_000, ThresholdPPM: 500_000, VotingBlocks: 3, TimelockBlocks: 1, Nonce: n}
		}),
		tx(bob, func(n uint64) Msg { return transfer(carol, 1, n) }))
	refused(CodeInvalidArgument, "thresholdPPM",
		propose("TransferAgentToDAO", strings.Replace(params, `"thresholdPPM":500000`, `"thresholdPPM":400000`, 1)),
		propose("TransferAgentToDAO", params)) // proposal 1
	step(propose("SetAgentPrice", price)) // proposal 2
	vote := func(p uint64) []byte {
		return tx(alice, func(n uint64) Msg { return CastVote{Proposal: p, Support: "yes", Nonce: n} })
	}
	step(vote(1), vote(2))
	execute := func(p uint64) []byte {
		return tx(carol, func(n uint64) Msg { return Execute{Proposal: p, Nonce: n} })
	}
	waitExecutable := func(id uint64) {
		p, _ := a.View().ProposalState(id)
		for a.Height() < p.ExecutableAt-1 {
			step()
		}
	}
	waitExecutable(1)
	res := step(execute(1))
	if eventAttr(t, res.TxResults[0], EventDAOParamsSet, "quorumPPM") != "900000" {
		t.Fatalf("executing the params change: %+v", res.TxResults[0].Events)
	}
	if d, _ := a.View().DAOState(agent); d.QuorumPPM != 900_000 || d.VotingBlocks != 3 || d.TimelockBlocks != 1 || d.FormerOwner != bob.addr {
		t.Fatalf("the DAO after its params change: %+v", d.DAORecord)
	}
	// Proposal 2, made under a quorum of 10%, passes with alice's 80%.
	step(execute(2))
	if rec, _ := a.View().Agent(agent); rec.Price.Big().Int64() != 5 {
		t.Fatalf("price %s after proposal 2", rec.Price)
	}
	// Proposals 3 and 4, made now, need 90%: alice's 80% is not enough
	// for 3; carol's yes too carries 4 (the control).
	step(propose("SetAgentPrice", `{"agent":"`+agent.String()+`","price":"6"}`), propose("SetAgentPrice", `{"agent":"`+agent.String()+`","price":"7"}`))
	step(vote(3), vote(4), tx(carol, func(n uint64) Msg { return CastVote{Proposal: 4, Support: "yes", Nonce: n} }))
	waitExecutable(3)
	refused(CodeUnauthorized, "the quorum is 900000 ppm", execute(3), execute(4))
	if rec, _ := a.View().Agent(agent); rec.Price.Big().Int64() != 7 {
		t.Fatalf("price %s after proposal 4", rec.Price)
	}
}
