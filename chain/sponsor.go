package chain

import (
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/cove-network/cove"
)

// Sponsored transactions (issue 11): a sponsor pays for another
// account's transaction, so that a user without COVE can start. The user
// signs a transaction as usual (the inner one, for its own next nonce);
// the sponsor signs a SponsoredTx holding it and pays its fee. Both are
// EIP-712 signatures a wallet makes. What a sponsor pays for is bounded by
// its policy (SetSponsorPolicy): the inner transaction's types, the agent
// it may name, the deposit of a sponsored OpenChannel (paid by the
// sponsor: the channel's payer is the user, and what is left of the
// deposit goes back to the sponsor at Settle) and how many transactions.

const prefixSponsor = "sponsor/" // ‖ 20-byte sponsor: SponsorPolicy

// Events of sponsored transactions.
const (
	EventSponsorPolicySet = "sponsor_policy_set" // sponsor, types, agent, maxDeposit, remaining
	EventSponsored        = "sponsored"          // sponsor, user, type, remaining
)

// SponsorPolicy is what a sponsor pays for.
type SponsorPolicy struct {
	Sponsor cove.Address `json:"sponsor"`
	// Types are the inner transactions' types it pays for.
	Types []string `json:"types"`
	// Agent, when not zero, is the one agent an inner transaction that
	// names an agent (UpgradeAgent, SetAgentPrice, SetFreeTier, the
	// channel messages: the channel's agent, the token and DAO messages:
	// CastVote and Execute by the proposal's agent) may name. It must be set when
	// the policy pays channel deposits.
	Agent cove.AgentID `json:"agent,omitzero"`
	// MaxDeposit bounds the deposit of a sponsored OpenChannel, which the
	// sponsor pays.
	MaxDeposit Amount `json:"maxDeposit"`
	// Remaining is how many more transactions it pays for.
	Remaining uint64 `json:"remaining"`
}

func sponsorKey(a cove.Address) string { return prefixSponsor + string(a[:]) }

// checkSponsorRecord returns the record type of a sponsor state key, or
// nil.
func checkSponsorRecord(key string) any {
	if len(key) == len(prefixSponsor)+20 && key[:len(prefixSponsor)] == prefixSponsor {
		return new(SponsorPolicy)
	}
	return nil
}

// SetSponsorPolicy sets the sender's sponsor policy; Remaining 0 removes
// it.
type SetSponsorPolicy struct {
	// Types is a comma-separated list of message types ("DeployAgent,
	// OpenChannel").
	Types      string       `eip712:"types"`
	Agent      cove.AgentID `eip712:"agent"`
	MaxDeposit *big.Int     `eip712:"maxDeposit"`
	Remaining  uint64       `eip712:"remaining"`
	MaxFee     *big.Int     `eip712:"maxFee,,optional"`
	Nonce      uint64       `eip712:"nonce"`
}

// SponsoredTx has the sender (the sponsor) pay for Inner, a transaction
// another account (the user) signed for this chain at its next nonce:
// the sender pays this transaction's fee, and Inner runs as the user's
// (its own maxFee is not used), under the sender's policy.
type SponsoredTx struct {
	// Inner is the user's signed transaction, as JSON text.
	Inner string `eip712:"inner"`
	// User is the account the sponsor means to pay for: Inner must
	// recover to it (an inner signed for another chain recovers to an
	// address nobody holds, which must not become a channel's payer or
	// an agent's owner).
	User   cove.Address `eip712:"user"`
	MaxFee *big.Int     `eip712:"maxFee,,optional"`
	Nonce  uint64       `eip712:"nonce"`
}

func (SetSponsorPolicy) Type() string                    { return "SetSponsorPolicy" }
func (m SetSponsorPolicy) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *SetSponsorPolicy) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (SetSponsorPolicy) isMsg()                          {}

func (SponsoredTx) Type() string                    { return "SponsoredTx" }
func (m SponsoredTx) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *SponsoredTx) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (SponsoredTx) isMsg()                          {}

// unsponsorable are the types no policy may list: sponsoring itself, and
// the messages whose sender acts for a TEE (a worker's or gatekeeper's
// operator pays its own way).
var unsponsorable = []string{"SponsoredTx", "SetSponsorPolicy", "Heartbeat", "PublishEpoch", "ProvisionKey",
	"SetAttestor", "PublishEpochSigner", "GrantAttestor", "RegisterWorker", "RegisterGatekeeper"}

func execSetSponsorPolicy(o *overlay, sender cove.Address, m SetSponsorPolicy, _ execContext) ([]Event, *failure) {
	if m.Remaining == 0 {
		if _, ok := o.get(sponsorKey(sender)); !ok {
			return nil, fail(CodeNotFound, "%s has no sponsor policy to remove", sender)
		}
		o.set(sponsorKey(sender), nil)
		return []Event{{Type: EventSponsorPolicySet, Attrs: []Attr{{"sponsor", sender.String()}, {"remaining", "0"}}}}, nil
	}
	var types []string
	for t := range strings.SplitSeq(m.Types, ",") {
		t = strings.TrimSpace(t)
		if !isMsgType(t) {
			return nil, fail(CodeInvalidArgument, "types: unknown message type %s (want a comma-separated list of %s)", clip(fmt.Sprintf("%q", t)), msgTypeList())
		}
		if slices.Contains(unsponsorable, t) {
			return nil, fail(CodeInvalidArgument, "types: a %s cannot be sponsored", t)
		}
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	slices.Sort(types)
	if slices.Contains(types, "OpenChannel") && m.MaxDeposit.Sign() > 0 && m.Agent == (cove.AgentID{}) {
		return nil, fail(CodeInvalidArgument, "a policy that pays channel deposits names the one agent they pay for (agent): to any agent, a user and that agent's owner could split the deposit")
	}
	p := SponsorPolicy{Sponsor: sender, Types: types, Agent: m.Agent, MaxDeposit: AmountOf(m.MaxDeposit), Remaining: m.Remaining}
	putJSON(o, sponsorKey(sender), p)
	return []Event{{Type: EventSponsorPolicySet, Attrs: []Attr{
		{"sponsor", sender.String()}, {"types", strings.Join(types, ",")}, {"agent", m.Agent.String()},
		{"maxDeposit", m.MaxDeposit.String()}, {"remaining", u64s(m.Remaining)},
	}}}, nil
}

// namedAgent is the agent an inner message names, if its type names one
// (a channel's message names the channel's agent).
func namedAgent(r reader, m Msg) (cove.AgentID, bool) {
	channelAgent := func(id uint64) (cove.AgentID, bool) {
		var c ChannelRecord
		ok := getJSON(r, channelKey(id), &c)
		return c.Agent, ok
	}
	proposalAgent := func(id uint64) (cove.AgentID, bool) {
		var p ProposalRecord
		ok := getJSON(r, proposalKey(id), &p)
		return p.Agent, ok
	}
	switch m := m.(type) {
	case CloseChannel:
		return channelAgent(m.Channel)
	case Settle:
		return channelAgent(m.Channel)
	case Redeem:
		return channelAgent(m.Channel)
	case RedeemHashChain:
		return channelAgent(m.Channel)
	case UpgradeAgent:
		return m.Agent, true
	case SetAgentPrice:
		return m.Agent, true
	case SetFreeTier:
		return m.Agent, true
	case OpenChannel:
		return m.Agent, true
	case LaunchAgentToken:
		return m.Agent, true
	case Buy:
		return m.Agent, true
	case Sell:
		return m.Agent, true
	case TransferToken:
		return m.Agent, true
	case WithdrawTreasury:
		return m.Agent, true
	case TransferAgentToDAO:
		return m.Agent, true
	case Propose:
		return m.Agent, true
	case CastVote:
		return proposalAgent(m.Proposal)
	case Execute:
		return proposalAgent(m.Proposal)
	}
	return cove.AgentID{}, false
}

func execSponsoredTx(o *overlay, sponsor cove.Address, m SponsoredTx, ctx execContext) ([]Event, *failure) {
	var p SponsorPolicy
	if !getJSON(o, sponsorKey(sponsor), &p) {
		return nil, fail(CodeNotFound, "%s has no sponsor policy: set one first (SetSponsorPolicy, `cove sponsor policy`)", sponsor)
	}
	inner, err := Decode([]byte(m.Inner))
	if err != nil {
		return nil, fail(CodeMalformed, "inner: %v", err)
	}
	typ := inner.Type()
	if !slices.Contains(p.Types, typ) {
		return nil, fail(CodeUnauthorized, "%s's policy does not sponsor a %s (it sponsors %s)", sponsor, typ, strings.Join(p.Types, ", "))
	}
	if p.Agent != (cove.AgentID{}) {
		if agent, ok := namedAgent(o, inner.Msg); ok && agent != p.Agent {
			return nil, fail(CodeUnauthorized, "%s's policy sponsors transactions about agent %s only", sponsor, p.Agent)
		}
	}
	user, err := inner.Sender(ctx.chainID)
	if err != nil {
		return nil, fail(CodeBadSignature, "inner: %v", err)
	}
	if user != m.User {
		return nil, fail(CodeUnauthorized, "the inner transaction recovers to %s, not to the user %s the sponsor names (signed for another chain, or by another key)", user, m.User)
	}
	if user == sponsor {
		return nil, fail(CodeInvalidArgument, "the inner transaction is the sponsor's own: send it as it is")
	}
	acct := getAccount(o, user)
	if inner.Nonce() != acct.Nonce {
		return nil, fail(CodeBadNonce, "inner: nonce %d expected, got %d: the user signs for its next nonce (/v1/chain/accounts/%s)", acct.Nonce, inner.Nonce(), user)
	}
	var (
		evs []Event
		f   *failure
	)
	if oc, ok := inner.Msg.(OpenChannel); ok {
		if oc.Deposit.Cmp(p.MaxDeposit.Big()) > 0 {
			return nil, fail(CodeUnauthorized, "%s's policy pays deposits of at most %s, not %s", sponsor, p.MaxDeposit, oc.Deposit)
		}
		evs, f = openChannel(o, user, sponsor, oc, ctx)
	} else {
		evs, f = messages.entry(inner.Msg).run(o, user, inner.Msg, ctx)
	}
	if f != nil {
		return nil, fail(f.code, "inner %s: %s", typ, f.msg)
	}
	acct = getAccount(o, user)
	acct.Nonce++
	putAccount(o, acct)
	p.Remaining--
	if p.Remaining == 0 {
		o.set(sponsorKey(sponsor), nil)
	} else {
		putJSON(o, sponsorKey(sponsor), p)
	}
	return append([]Event{{Type: EventSponsored, Attrs: []Attr{
		{"sponsor", sponsor.String()}, {"user", user.String()}, {"type", typ}, {"remaining", u64s(p.Remaining)},
	}}}, evs...), nil
}
