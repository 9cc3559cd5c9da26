package chain

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/cove-network/cove"
)

// Agent DAOs (issue 11, ADR 24). An agent's owner hands the agent to the
// holders of its token (TransferAgentToDAO): the agent's owner becomes its
// treasury, AgentTreasury(agent), an address no key controls, so no
// account can send an owner-only message for it again (UpgradeAgent,
// SetAgentPrice, SetFreeTier, WithdrawTreasury) and the former owner keeps
// nothing but its tokens. The holders steer it with proposals: a holder
// proposes an action (one of those four messages, for this agent),
// holders vote yes or no with the tokens they held at the end of the
// block before the proposal (its snapshot), and once voting has ended, the
// proposal has met its quorum and threshold, and the timelock has passed,
// anyone has the chain execute it (Execute): the chain runs the action as
// the agent's owner. The channels of a DAO's agent are redeemed by anyone,
// to the treasury.

const (
	prefixDAO         = "dao/"           // ‖ 32-byte agent: DAORecord
	keyNextProposal   = "meta/next_prop" // uint64: the next proposal's id
	prefixProposal    = "prop/"          // ‖ 8-byte big-endian id: ProposalRecord
	prefixVote        = "vote/"          // ‖ 8-byte proposal ‖ 20-byte voter: "yes" or "no"
	prefixDAOProposal = "dprop/"         // ‖ 32-byte agent ‖ 8-byte id: the proposal's id (an index)
)

// Bounds of a DAO's parameters.
const (
	// maxDAOBlocks bounds the voting period and the timelock, in blocks.
	maxDAOBlocks = 1_000_000
	// minThresholdPPM: a proposal passes with at least half of its votes
	// for it, never with a minority.
	minThresholdPPM = 500_000
	// maxDescription bounds a proposal's description, in bytes.
	maxDescription = 1024
)

// proposalActions are the messages a proposal may run as the agent's
// owner.
// TransferAgentToDAO, run by the DAO itself, sets its own parameters.
var proposalActions = []string{"UpgradeAgent", "SetAgentPrice", "SetFreeTier", "WithdrawTreasury", "TransferAgentToDAO"}

// Events of agent DAOs.
const (
	EventAgentToDAO       = "agent_to_dao"      // agent, formerOwner, owner (the treasury)
	EventDAOParamsSet     = "dao_params_set"    // agent, quorumPPM, thresholdPPM, votingBlocks, timelockBlocks
	EventProposed         = "proposed"          // proposal, agent, proposer, action, snapshot, votingEnds, executableAt
	EventVoted            = "voted"             // proposal, voter, support, weight
	EventProposalExecuted = "proposal_executed" // proposal, agent, action
)

// DAORecord is the DAO that owns an agent.
type DAORecord struct {
	Agent       cove.AgentID `json:"agent"`
	FormerOwner cove.Address `json:"formerOwner"`
	// QuorumPPM of the snapshot's supply must vote; ThresholdPPM of the
	// votes must be yes.
	QuorumPPM    uint64 `json:"quorumPPM"`
	ThresholdPPM uint64 `json:"thresholdPPM"`
	// VotingBlocks is how many blocks after its own a proposal takes
	// votes; TimelockBlocks how many more before it may be executed.
	VotingBlocks   uint64 `json:"votingBlocks"`
	TimelockBlocks uint64 `json:"timelockBlocks"`
	Created        int64  `json:"created"`
	Proposals      uint64 `json:"proposals"`
}

// ProposalRecord is a proposal of an agent's DAO.
type ProposalRecord struct {
	ID       uint64       `json:"id"`
	Agent    cove.AgentID `json:"agent"`
	Proposer cove.Address `json:"proposer"`
	// ActionType is the action's message type; Action its canonical JSON.
	ActionType  string `json:"actionType"`
	Action      string `json:"action"`
	Description string `json:"description"`
	// Snapshot is the height whose end-of-block token balances weigh the
	// votes (the block before the proposal's), SnapshotSupply the
	// token's supply then.
	Snapshot       int64  `json:"snapshot"`
	SnapshotSupply Amount `json:"snapshotSupply"`
	Yes            Amount `json:"yes"`
	No             Amount `json:"no"`
	// Votes are taken up to VotingEnds; Execute may run it from
	// ExecutableAt to Expires (as long again as the voting period).
	Created      int64 `json:"created"`
	VotingEnds   int64 `json:"votingEnds"`
	ExecutableAt int64 `json:"executableAt"`
	Expires      int64 `json:"expires"`
	// Executed is the height it was executed at, 0 until then.
	Executed int64 `json:"executed,omitempty"`
	// QuorumPPM and ThresholdPPM are the DAO's when it was proposed: a
	// later change of the DAO's parameters does not change what an open
	// proposal needs (0: proposed before they were kept here; the DAO's
	// apply).
	QuorumPPM    uint64 `json:"quorumPPM,omitempty"`
	ThresholdPPM uint64 `json:"thresholdPPM,omitempty"`
}

// Passed reports whether the votes meet the proposal's quorum and
// threshold (the DAO's, d, for a proposal that does not keep its own),
// with the reason when they do not.
func (p ProposalRecord) Passed(d DAORecord) (bool, string) {
	if p.QuorumPPM != 0 {
		d.QuorumPPM, d.ThresholdPPM = p.QuorumPPM, p.ThresholdPPM
	}
	votes := new(big.Int).Add(p.Yes.Big(), p.No.Big())
	// votes·10^6 ≥ quorumPPM·supply
	lhs := new(big.Int).Mul(votes, ppm)
	need := new(big.Int).Mul(p.SnapshotSupply.Big(), new(big.Int).SetUint64(d.QuorumPPM))
	if lhs.Cmp(need) < 0 || votes.Sign() == 0 {
		return false, fmt.Sprintf("%s of the %s tokens at the snapshot voted: the quorum is %d ppm", votes, p.SnapshotSupply, d.QuorumPPM)
	}
	// yes·10^6 ≥ thresholdPPM·votes
	yes := new(big.Int).Mul(p.Yes.Big(), ppm)
	if yes.Cmp(new(big.Int).Mul(votes, new(big.Int).SetUint64(d.ThresholdPPM))) < 0 {
		return false, fmt.Sprintf("%s of %s votes are yes: the threshold is %d ppm", p.Yes, votes, d.ThresholdPPM)
	}
	return true, ""
}

func daoKey(agent cove.AgentID) string { return prefixDAO + string(agent[:]) }
func proposalKey(id uint64) string     { return prefixProposal + u64key(id) }
func voteKey(id uint64, voter cove.Address) string {
	return prefixVote + u64key(id) + string(voter[:])
}

// TransferAgentToDAO hands the sender's agent, which has a token, to its
// token holders for good. Run by an executed proposal of an agent already
// in its DAO, it sets the DAO's parameters for later proposals.
type TransferAgentToDAO struct {
	Agent          cove.AgentID `eip712:"agent"`
	QuorumPPM      uint64       `eip712:"quorumPPM"`
	ThresholdPPM   uint64       `eip712:"thresholdPPM"`
	VotingBlocks   uint64       `eip712:"votingBlocks"`
	TimelockBlocks uint64       `eip712:"timelockBlocks"`
	MaxFee         *big.Int     `eip712:"maxFee,,optional"`
	Nonce          uint64       `eip712:"nonce"`
}

// Propose proposes that an agent's DAO run Action, a message of type
// ActionType (UpgradeAgent, SetAgentPrice, SetFreeTier, WithdrawTreasury
// or TransferAgentToDAO, the DAO's own parameters) for that agent, as
// JSON with no nonce or a nonce of 0.
// The sender must have held the agent's token at the end of the block
// before.
type Propose struct {
	Agent       cove.AgentID `eip712:"agent"`
	ActionType  string       `eip712:"actionType"`
	Action      string       `eip712:"action"`
	Description string       `eip712:"description"`
	MaxFee      *big.Int     `eip712:"maxFee,,optional"`
	Nonce       uint64       `eip712:"nonce"`
}

// CastVote votes "yes" or "no" on a proposal with the tokens the sender held
// at its snapshot; once per proposal.
type CastVote struct {
	Proposal uint64   `eip712:"proposal"`
	Support  string   `eip712:"support"`
	MaxFee   *big.Int `eip712:"maxFee,,optional"`
	Nonce    uint64   `eip712:"nonce"`
}

// Execute runs a passed proposal's action once its timelock is over. Anyone
// may send it.
type Execute struct {
	Proposal uint64   `eip712:"proposal"`
	MaxFee   *big.Int `eip712:"maxFee,,optional"`
	Nonce    uint64   `eip712:"nonce"`
}

func (TransferAgentToDAO) Type() string                    { return "TransferAgentToDAO" }
func (m TransferAgentToDAO) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *TransferAgentToDAO) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (TransferAgentToDAO) isMsg()                          {}

func (Propose) Type() string                    { return "Propose" }
func (m Propose) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *Propose) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (Propose) isMsg()                          {}

func (CastVote) Type() string                    { return "CastVote" }
func (m CastVote) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *CastVote) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (CastVote) isMsg()                          {}

func (Execute) Type() string                    { return "Execute" }
func (m Execute) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *Execute) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (Execute) isMsg()                          {}

func checkTransferAgentToDAO(m TransferAgentToDAO) *failure {
	if m.QuorumPPM == 0 || m.QuorumPPM > 1_000_000 {
		return fail(CodeInvalidArgument, "quorumPPM %d: want 1 to 1000000 (of the supply at a proposal's snapshot)", m.QuorumPPM)
	}
	if m.ThresholdPPM < minThresholdPPM || m.ThresholdPPM > 1_000_000 {
		return fail(CodeInvalidArgument, "thresholdPPM %d: want %d to 1000000 (a proposal never passes with a minority of its votes)", m.ThresholdPPM, minThresholdPPM)
	}
	if m.VotingBlocks == 0 || m.VotingBlocks > maxDAOBlocks {
		return fail(CodeInvalidArgument, "votingBlocks %d: want 1 to %d", m.VotingBlocks, maxDAOBlocks)
	}
	if m.TimelockBlocks > maxDAOBlocks {
		return fail(CodeInvalidArgument, "timelockBlocks %d: want 0 to %d", m.TimelockBlocks, maxDAOBlocks)
	}
	return nil
}

// IsDAOAgent reports whether an agent record belongs to its DAO.
func IsDAOAgent(rec AgentRecord) bool { return rec.Owner == AgentTreasury(rec.ID) }

func execTransferAgentToDAO(o *overlay, sender cove.Address, m TransferAgentToDAO, ctx execContext) ([]Event, *failure) {
	rec, f := ownedAgent(o, sender, m.Agent, "hand it to a DAO")
	if f != nil {
		return nil, f
	}
	if _, f := getToken(o, m.Agent); f != nil {
		return nil, fail(f.code, "%s: a DAO's members are its token's holders", f.msg)
	}
	if IsDAOAgent(rec) {
		// Its DAO runs it (an executed proposal, as the treasury): new
		// parameters for the proposals made from now on.
		d, f := getDAO(o, m.Agent)
		if f != nil {
			return nil, f
		}
		d.QuorumPPM, d.ThresholdPPM, d.VotingBlocks, d.TimelockBlocks = m.QuorumPPM, m.ThresholdPPM, m.VotingBlocks, m.TimelockBlocks
		putJSON(o, daoKey(m.Agent), d)
		return []Event{{Type: EventDAOParamsSet, Attrs: []Attr{{"agent", m.Agent.String()}, {"quorumPPM", u64s(m.QuorumPPM)},
			{"thresholdPPM", u64s(m.ThresholdPPM)}, {"votingBlocks", u64s(m.VotingBlocks)}, {"timelockBlocks", u64s(m.TimelockBlocks)}}}}, nil
	}
	rec.Owner = AgentTreasury(m.Agent)
	putJSON(o, agentKey(m.Agent), rec)
	putJSON(o, daoKey(m.Agent), DAORecord{
		Agent: m.Agent, FormerOwner: sender, QuorumPPM: m.QuorumPPM, ThresholdPPM: m.ThresholdPPM,
		VotingBlocks: m.VotingBlocks, TimelockBlocks: m.TimelockBlocks, Created: ctx.height,
	})
	return []Event{{Type: EventAgentToDAO, Attrs: []Attr{{"agent", m.Agent.String()}, {"formerOwner", sender.String()}, {"owner", rec.Owner.String()}}}}, nil
}

func getDAO(r reader, agent cove.AgentID) (DAORecord, *failure) {
	var d DAORecord
	if !getJSON(r, daoKey(agent), &d) {
		return d, fail(CodeNotFound, "agent %s has no DAO (its owner hands it over with TransferAgentToDAO)", agent)
	}
	return d, nil
}

// decodeAction decodes a proposal's action for agent: a message of one of
// proposalActions, naming agent, with no nonce or maxFee of its own.
func decodeAction(agent cove.AgentID, typ, action string) (Msg, *failure) {
	if !slices.Contains(proposalActions, typ) {
		return nil, fail(CodeInvalidArgument, "actionType %s: want one of %s", clip(fmt.Sprintf("%q", typ)), strings.Join(proposalActions, ", "))
	}
	// The action's nonce is not used: fill in 0 when it is left out.
	raw := []byte(action)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil { // "null" decodes to no map
		return nil, fail(CodeMalformed, "action: want the %s message as a JSON object", typ)
	}
	if n, ok := obj["nonce"]; (ok && string(n) != "0") || obj["maxFee"] != nil {
		return nil, fail(CodeInvalidArgument, "action: an action has no nonce or maxFee of its own (the Execute transaction pays): leave them out")
	}
	if _, ok := obj["nonce"]; !ok {
		obj["nonce"] = json.RawMessage("0")
		raw, _ = json.Marshal(obj)
	}
	msg, err := decodeMsg(typ, raw)
	if err != nil {
		return nil, fail(CodeMalformed, "action: %s message: %v", typ, err)
	}
	if named, _ := namedAgent(nil, msg); named != agent {
		return nil, fail(CodeInvalidArgument, "action: the %s names agent %s, not the DAO's agent %s", typ, named, agent)
	}
	return msg, nil
}

// runAction and decodeMsg are the message table's run and decode of a
// proposal's action, set at init (the table refers to Propose and
// Execute).
var (
	runAction func(o *overlay, sender cove.Address, m Msg, ctx execContext) ([]Event, *failure)
	decodeMsg func(typ string, raw []byte) (Msg, error)
)

func init() {
	runAction = func(o *overlay, sender cove.Address, m Msg, ctx execContext) ([]Event, *failure) {
		return messages.entry(m).run(o, sender, m, ctx)
	}
	decodeMsg = func(typ string, raw []byte) (Msg, error) { return messages.byName[typ].decode(raw) }
}

func execPropose(o *overlay, sender cove.Address, m Propose, ctx execContext) ([]Event, *failure) {
	d, f := getDAO(o, m.Agent)
	if f != nil {
		return nil, f
	}
	t, f := getToken(o, m.Agent)
	if f != nil {
		return nil, f
	}
	if len(m.Description) > maxDescription {
		return nil, fail(CodeInvalidArgument, "description is %d bytes, the limit is %d", len(m.Description), maxDescription)
	}
	msg, f := decodeAction(m.Agent, m.ActionType, m.Action)
	if f != nil {
		return nil, f
	}
	snapshot := ctx.height - 1
	if w, _ := getHolding(o, m.Agent, sender).At(snapshot); w.Sign() == 0 {
		return nil, fail(CodeUnauthorized, "%s held no %s at the end of block %d: a proposer holds the agent's token before it proposes", sender, t.Symbol, snapshot)
	}
	// Try the action now, on a copy: a proposal that could not run today
	// is refused with the action's own reason.
	if _, f := runAction(newOverlay(o), AgentTreasury(m.Agent), msg, ctx); f != nil {
		return nil, fail(f.code, "action %s: %s", m.ActionType, f.msg)
	}
	canon, err := msg.MarshalJSON()
	if err != nil {
		return nil, fail(CodeInvalidArgument, "action: %v", err)
	}
	var id uint64 = 1
	getJSON(o, keyNextProposal, &id)
	putJSON(o, keyNextProposal, id+1)
	p := ProposalRecord{
		ID: id, Agent: m.Agent, Proposer: sender, ActionType: m.ActionType, Action: string(canon), Description: m.Description,
		Snapshot: snapshot, SnapshotSupply: AmountOf(t.supplyBeforeBlock(ctx.height)), Yes: AmountOf(new(big.Int)), No: AmountOf(new(big.Int)),
		Created: ctx.height, VotingEnds: ctx.height + int64(d.VotingBlocks),
		QuorumPPM: d.QuorumPPM, ThresholdPPM: d.ThresholdPPM,
	}
	p.ExecutableAt = p.VotingEnds + int64(d.TimelockBlocks) + 1
	p.Expires = p.ExecutableAt + int64(d.VotingBlocks)
	putJSON(o, proposalKey(id), p)
	putJSON(o, proposalIndexKey(m.Agent, id), id)
	d.Proposals++
	putJSON(o, daoKey(m.Agent), d)
	return []Event{{Type: EventProposed, Attrs: []Attr{
		{"proposal", u64s(id)}, {"agent", m.Agent.String()}, {"proposer", sender.String()}, {"action", m.ActionType},
		{"snapshot", strconv.FormatInt(snapshot, 10)}, {"votingEnds", strconv.FormatInt(p.VotingEnds, 10)}, {"executableAt", strconv.FormatInt(p.ExecutableAt, 10)},
	}}}, nil
}

func getProposal(r reader, id uint64) (ProposalRecord, *failure) {
	var p ProposalRecord
	if !getJSON(r, proposalKey(id), &p) {
		return p, fail(CodeNotFound, "proposal %d does not exist", id)
	}
	return p, nil
}

func execVote(o *overlay, sender cove.Address, m CastVote, ctx execContext) ([]Event, *failure) {
	if m.Support != "yes" && m.Support != "no" {
		return nil, fail(CodeInvalidArgument, "support %s: want yes or no", clip(fmt.Sprintf("%q", m.Support)))
	}
	p, f := getProposal(o, m.Proposal)
	if f != nil {
		return nil, f
	}
	if ctx.height > p.VotingEnds {
		return nil, fail(CodeInvalidArgument, "proposal %d's voting ended at block %d", p.ID, p.VotingEnds)
	}
	var voted string
	if getJSON(o, voteKey(p.ID, sender), &voted) {
		return nil, fail(CodeExists, "%s has voted %s on proposal %d already", sender, voted, p.ID)
	}
	h := getHolding(o, p.Agent, sender)
	w, known := h.At(p.Snapshot)
	if !known {
		return nil, fail(CodeUnauthorized, "%s's token balance at block %d is no longer recorded (it changed more than %d times since): it cannot vote on proposal %d", sender, p.Snapshot, maxCheckpoints, p.ID)
	}
	if w.Sign() == 0 {
		return nil, fail(CodeUnauthorized, "%s held none of agent %s's token at block %d, proposal %d's snapshot: tokens bought after it do not vote", sender, p.Agent, p.Snapshot, p.ID)
	}
	// Tokens sold since the snapshot do not vote either, and those that
	// vote are locked until voting ends: a majority bought for a block and
	// sold back at the same price cannot vote.
	// A vote writes no history (it would push the oldest entry out, which
	// may be another open proposal's snapshot); what the voter holds now
	// counts the tokens sent to it, which its Sell or TransferToken takes
	// in before the lock is checked.
	if bal := new(big.Int).Add(h.Balance.Big(), h.Incoming.Big()); bal.Cmp(w) < 0 {
		if bal.Sign() == 0 {
			return nil, fail(CodeUnauthorized, "%s held %s at proposal %d's snapshot and holds none now: tokens sold since do not vote", sender, w, p.ID)
		}
		w = bal
	}
	locked := h.lockedAt(ctx.height)
	if w.Cmp(locked) > 0 {
		h.Locked = AmountOf(w)
	} else {
		h.Locked = AmountOf(locked)
	}
	h.LockedUntil = max(h.LockedUntil, p.VotingEnds)
	putJSON(o, holdingKey(p.Agent, sender), h)
	if m.Support == "yes" {
		p.Yes = AmountOf(new(big.Int).Add(p.Yes.Big(), w))
	} else {
		p.No = AmountOf(new(big.Int).Add(p.No.Big(), w))
	}
	putJSON(o, proposalKey(p.ID), p)
	putJSON(o, voteKey(p.ID, sender), m.Support)
	return []Event{{Type: EventVoted, Attrs: []Attr{{"proposal", u64s(p.ID)}, {"voter", sender.String()}, {"support", m.Support}, {"weight", w.String()}}}}, nil
}

func execExecute(o *overlay, _ cove.Address, m Execute, ctx execContext) ([]Event, *failure) {
	p, f := getProposal(o, m.Proposal)
	if f != nil {
		return nil, f
	}
	if p.Executed != 0 {
		return nil, fail(CodeExists, "proposal %d was executed at block %d", p.ID, p.Executed)
	}
	if ctx.height < p.ExecutableAt {
		return nil, fail(CodeInvalidArgument, "proposal %d may be executed from block %d (voting ends at %d, then the timelock), not at %d", p.ID, p.ExecutableAt, p.VotingEnds, ctx.height)
	}
	if ctx.height > p.Expires {
		return nil, fail(CodeInvalidArgument, "proposal %d expired at block %d unexecuted", p.ID, p.Expires)
	}
	d, f := getDAO(o, p.Agent)
	if f != nil {
		return nil, f
	}
	if ok, why := p.Passed(d); !ok {
		return nil, fail(CodeUnauthorized, "proposal %d did not pass: %s", p.ID, why)
	}
	msg, f := decodeAction(p.Agent, p.ActionType, p.Action)
	if f != nil {
		return nil, f
	}
	evs, f := runAction(o, AgentTreasury(p.Agent), msg, ctx)
	if f != nil {
		return nil, fail(f.code, "proposal %d's action %s: %s", p.ID, p.ActionType, f.msg)
	}
	p.Executed = ctx.height
	putJSON(o, proposalKey(p.ID), p)
	return append([]Event{{Type: EventProposalExecuted, Attrs: []Attr{{"proposal", u64s(p.ID)}, {"agent", p.Agent.String()}, {"action", p.ActionType}}}}, evs...), nil
}

// proposalIndexKey indexes an agent's proposals: ‖ 32-byte agent ‖ 8-byte
// id.
func proposalIndexKey(agent cove.AgentID, id uint64) string {
	return prefixDAOProposal + string(agent[:]) + u64key(id)
}

// The states of a proposal (ProposalState.Status).
const (
	ProposalVoting     = "voting"     // taking votes
	ProposalTimelocked = "timelocked" // passed, waiting for its timelock
	ProposalExecutable = "executable" // passed, may be executed now
	ProposalFailed     = "failed"     // voting ended without quorum or threshold
	ProposalExecuted   = "executed"
	ProposalExpired    = "expired" // passed, not executed in its window
)

// ProposalState is a proposal with where it stands at a height.
type ProposalState struct {
	ProposalRecord
	Status string `json:"status"`
	// Why is the reason a failed proposal failed.
	Why string `json:"why,omitempty"`
}

// stateAt returns p's state at the end of block height.
func (p ProposalRecord) stateAt(d DAORecord, height int64) ProposalState {
	s := ProposalState{ProposalRecord: p}
	passed, why := p.Passed(d)
	switch {
	case p.Executed != 0:
		s.Status = ProposalExecuted
	case height < p.VotingEnds:
		s.Status = ProposalVoting
	case !passed:
		s.Status, s.Why = ProposalFailed, why
	case height+1 < p.ExecutableAt:
		s.Status = ProposalTimelocked
	case height+1 > p.Expires:
		s.Status = ProposalExpired
	default:
		s.Status = ProposalExecutable
	}
	return s
}

// DAOState is an agent's DAO with its treasury and proposals.
type DAOState struct {
	DAORecord
	Treasury        cove.Address    `json:"treasury"`
	TreasuryBalance Amount          `json:"treasuryBalance"`
	Proposals       []ProposalState `json:"proposals"`
}
