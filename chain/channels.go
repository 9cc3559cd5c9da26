package chain

import (
	"fmt"
	"math/big"
	"strconv"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/ethsig"
)

// Paid calls (issue 11, ADR 23). An agent's owner sets a price per call
// (SetAgentPrice); a caller opens a unidirectional payment channel to the
// agent with a deposit (OpenChannel) and pays each call with a voucher
// (cove.Voucher, the Cove-Payment header) that the gateway checks without
// a transaction. The agent's owner redeems the highest voucher
// (Redeem): the chain pays what it adds to the channel's redeemed total,
// never more than the deposit. The payer closes the channel
// (CloseChannel), and after the challenge period, in which the owner
// can still redeem, takes the rest back (Settle).
//
// Deposits are held by one account no key controls,
// ChannelEscrowAddress: its balance is the sum over channels of deposit
// minus redeemed, and nothing else may credit it (a Transfer to it is
// refused; a validator operator at it is paid nothing), so the supply
// needs no new term.

const (
	keyNextChannel      = "meta/next_channel" // uint64: the next channel's id
	prefixChannel       = "chan/"             // ‖ 8-byte big-endian id: ChannelRecord
	prefixPayerChannels = "pchan/"            // ‖ 20-byte payer ‖ 8-byte id: the channel's id (an index)
)

// DefaultChannelChallengeSeconds is the challenge period when
// Params.Channels sets none: an hour for the owner to redeem after the
// payer asks to close.
const DefaultChannelChallengeSeconds = 3600

// maxChannelChallengeSeconds bounds the challenge period (30 days).
const maxChannelChallengeSeconds = 30 * 24 * 3600

// ChannelEscrowAddress holds every channel's unredeemed deposit:
// keccak256("cove/channels")'s last 20 bytes. No key controls it.
var ChannelEscrowAddress = func() (a cove.Address) {
	h := cove.Keccak256([]byte("cove/channels"))
	copy(a[:], h[12:])
	return a
}()

// Events of paid calls.
const (
	EventAgentPriced     = "agent_priced"     // agent, price
	EventChannelOpened   = "channel_opened"   // channel, payer, agent, deposit, funder (a sponsor that paid the deposit)
	EventChannelRedeemed = "channel_redeemed" // channel, payee, amount (paid now), redeemed (in all), voucherNonce
	EventChannelClosing  = "channel_closing"  // channel, closesAt (Unix seconds)
	EventChannelSettled  = "channel_settled"  // channel, payer, refund, to (the payer, or the sponsor that funded it)
)

// ChannelParams are the payment channels' parameters (Params.Channels).
type ChannelParams struct {
	// ChallengeSeconds is how long after CloseChannel the agent's owner
	// may still redeem before the payer settles (0:
	// DefaultChannelChallengeSeconds).
	ChallengeSeconds uint64 `json:"challenge_seconds,omitempty"`
}

// Challenge returns the challenge period in seconds.
func (c ChannelParams) Challenge() uint64 {
	if c.ChallengeSeconds == 0 {
		return DefaultChannelChallengeSeconds
	}
	return c.ChallengeSeconds
}

// Validate checks the channel parameters.
func (c ChannelParams) Validate() error {
	if c.ChallengeSeconds > maxChannelChallengeSeconds {
		return fmt.Errorf("channels: challenge_seconds %d is above 30 days (%d)", c.ChallengeSeconds, maxChannelChallengeSeconds)
	}
	return nil
}

// ChannelRecord is a payment channel from Payer to Agent.
type ChannelRecord struct {
	ID    uint64       `json:"id"`
	Payer cove.Address `json:"payer"`
	Agent cove.AgentID `json:"agent"`
	// Deposit is what the payer put in; Redeemed what the agent's owner
	// has taken of it.
	Deposit  Amount `json:"deposit"`
	Redeemed Amount `json:"redeemed"`
	// VoucherNonce is the nonce of the last redeemed voucher (0: none).
	VoucherNonce uint64 `json:"voucherNonce"`
	// ClosesAt is when the payer may settle, in Unix seconds; 0 while the
	// channel is open.
	ClosesAt int64 `json:"closesAt,omitempty"`
	// Created is the height of its OpenChannel.
	Created int64 `json:"created"`
	// Funder paid the deposit, when another account than the payer did
	// (a sponsor): what is left of it goes back to the funder at Settle.
	Funder cove.Address `json:"funder,omitzero"`
	// Verifier is the worker whose ledger takes the channel's vouchers,
	// the only one that runs the calls they pay (ADR 25); zero: none, and
	// no gateway or worker takes them.
	Verifier cove.Hash `json:"verifier,omitzero"`
}

// refundTo is the account Settle pays what is left of the deposit to.
func (c ChannelRecord) refundTo() cove.Address {
	if c.Funder.IsZero() {
		return c.Payer
	}
	return c.Funder
}

// Open reports whether the channel takes vouchers for new calls: the
// payer has not asked to close it.
func (c ChannelRecord) Open() bool { return c.ClosesAt == 0 }

// Left returns the deposit not yet redeemed.
func (c ChannelRecord) Left() *big.Int { return new(big.Int).Sub(c.Deposit.Big(), c.Redeemed.Big()) }

func channelKey(id uint64) string {
	return prefixChannel + u64key(id)
}

func payerChannelKey(payer cove.Address, id uint64) string {
	return prefixPayerChannels + string(payer[:]) + u64key(id)
}

// checkChannelRecord returns the record type of a channel state key, or
// nil.
func checkChannelRecord(key string) any {
	switch {
	case key == keyNextChannel:
		return new(uint64)
	case len(key) == len(prefixChannel)+8 && key[:len(prefixChannel)] == prefixChannel:
		return new(ChannelRecord)
	case len(key) == len(prefixPayerChannels)+28 && key[:len(prefixPayerChannels)] == prefixPayerChannels:
		return new(uint64)
	}
	return nil
}

func getChannel(r reader, id uint64) (ChannelRecord, *failure) {
	var c ChannelRecord
	if !getJSON(r, channelKey(id), &c) {
		return c, fail(CodeNotFound, "channel %d does not exist (settled, or never opened: `cove channel status` lists yours)", id)
	}
	return c, nil
}

// SetAgentPrice sets the price of one call of the sender's agent: 0 makes
// calls free (the default), above 0 every call pays with a voucher.
type SetAgentPrice struct {
	Agent  cove.AgentID `eip712:"agent"`
	Price  *big.Int     `eip712:"price"`
	MaxFee *big.Int     `eip712:"maxFee,,optional"`
	Nonce  uint64       `eip712:"nonce"`
}

// OpenChannel opens a payment channel from the sender to Agent holding
// Deposit of the sender's COVE, bound to the worker Verifier (ADR 25):
// only that worker runs the calls its vouchers pay, so a voucher pays
// one call network-wide. A channel without a verifier (zero, the field
// left out: channels opened before it existed) is valid on chain, and no
// gateway or worker takes its vouchers.
type OpenChannel struct {
	Agent    cove.AgentID `eip712:"agent"`
	Deposit  *big.Int     `eip712:"deposit"`
	Verifier cove.Hash    `eip712:"verifier,,optional"`
	MaxFee   *big.Int     `eip712:"maxFee,,optional"`
	Nonce    uint64       `eip712:"nonce"`
}

// Redeem pays the agent's owner (the sender) what the voucher
// {Channel, the channel's agent, Amount, VoucherNonce}, signed by the
// channel's payer, adds to the channel's redeemed total.
type Redeem struct {
	Channel      uint64   `eip712:"channel"`
	Amount       *big.Int `eip712:"amount"`
	VoucherNonce uint64   `eip712:"voucherNonce"`
	// Signature is the payer's 65 bytes r ‖ s ‖ v over the voucher's
	// EIP-712 digest (cove.Voucher.Digest).
	Signature Bytes    `eip712:"signature"`
	MaxFee    *big.Int `eip712:"maxFee,,optional"`
	Nonce     uint64   `eip712:"nonce"`
}

// CloseChannel starts the sender's channel's challenge period: it takes no
// new vouchers, and the payer may Settle once the period is over.
type CloseChannel struct {
	Channel uint64   `eip712:"channel"`
	MaxFee  *big.Int `eip712:"maxFee,,optional"`
	Nonce   uint64   `eip712:"nonce"`
}

// Settle ends a closed channel whose challenge period is over: the
// unredeemed deposit goes back to the payer and the channel is deleted.
// Anyone may send it.
type Settle struct {
	Channel uint64   `eip712:"channel"`
	MaxFee  *big.Int `eip712:"maxFee,,optional"`
	Nonce   uint64   `eip712:"nonce"`
}

// SetFreeTier sets the free calls of the sender's agent: CallsPerDay in
// all each day, PerCaller of them by one caller (0: no bound per caller).
// CallsPerDay 0 removes the free tier.
type SetFreeTier struct {
	Agent       cove.AgentID `eip712:"agent"`
	CallsPerDay uint64       `eip712:"callsPerDay"`
	PerCaller   uint64       `eip712:"perCaller"`
	MaxFee      *big.Int     `eip712:"maxFee,,optional"`
	Nonce       uint64       `eip712:"nonce"`
}

func (SetFreeTier) Type() string                    { return "SetFreeTier" }
func (m SetFreeTier) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *SetFreeTier) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (SetFreeTier) isMsg()                          {}

// EventFreeTierSet is SetFreeTier's event: agent, callsPerDay, perCaller.
const EventFreeTierSet = "free_tier_set"

func execSetFreeTier(o *overlay, sender cove.Address, m SetFreeTier, _ execContext) ([]Event, *failure) {
	rec, f := ownedAgent(o, sender, m.Agent, "set its free tier")
	if f != nil {
		return nil, f
	}
	if m.PerCaller > m.CallsPerDay {
		return nil, fail(CodeInvalidArgument, "perCaller %d is above callsPerDay %d: one caller cannot make more free calls than all of them", m.PerCaller, m.CallsPerDay)
	}
	rec.FreeTier = nil
	if m.CallsPerDay > 0 {
		rec.FreeTier = &cove.FreeTier{CallsPerDay: m.CallsPerDay, PerCaller: m.PerCaller}
	}
	putJSON(o, agentKey(m.Agent), rec)
	return []Event{{Type: EventFreeTierSet, Attrs: []Attr{{"agent", m.Agent.String()}, {"callsPerDay", u64s(m.CallsPerDay)}, {"perCaller", u64s(m.PerCaller)}}}}, nil
}

func (SetAgentPrice) Type() string                    { return "SetAgentPrice" }
func (m SetAgentPrice) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *SetAgentPrice) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (SetAgentPrice) isMsg()                          {}

func (OpenChannel) Type() string                    { return "OpenChannel" }
func (m OpenChannel) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *OpenChannel) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (OpenChannel) isMsg()                          {}

func (Redeem) Type() string                    { return "Redeem" }
func (m Redeem) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *Redeem) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (Redeem) isMsg()                          {}

func (CloseChannel) Type() string                    { return "CloseChannel" }
func (m CloseChannel) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *CloseChannel) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (CloseChannel) isMsg()                          {}

func (Settle) Type() string                    { return "Settle" }
func (m Settle) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *Settle) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (Settle) isMsg()                          {}

// ownedAgent reads agent id and refuses a sender that does not own it.
func ownedAgent(o *overlay, sender cove.Address, id cove.AgentID, what string) (AgentRecord, *failure) {
	var rec AgentRecord
	if !getJSON(o, agentKey(id), &rec) {
		return rec, fail(CodeNotFound, "agent %s does not exist: check the id (`cove agent list`)", id)
	}
	if f := ownerOnly(rec, sender, what); f != nil {
		return rec, f
	}
	return rec, nil
}

// ownerOnly refuses a sender that does not own the agent rec.
func ownerOnly(rec AgentRecord, sender cove.Address, what string) *failure {
	if rec.Owner == sender {
		return nil
	}
	if IsDAOAgent(rec) {
		return fail(CodeUnauthorized, "agent %s belongs to its DAO: only an executed proposal may %s (`cove dao propose`)", rec.ID, what)
	}
	return fail(CodeUnauthorized, "agent %s is owned by %s, not %s: only its owner may %s", rec.ID, rec.Owner, sender, what)
}

func execSetAgentPrice(o *overlay, sender cove.Address, m SetAgentPrice, _ execContext) ([]Event, *failure) {
	rec, f := ownedAgent(o, sender, m.Agent, "set its price")
	if f != nil {
		return nil, f
	}
	rec.Price = Amount{}
	if m.Price.Sign() > 0 {
		rec.Price = AmountOf(m.Price)
	}
	putJSON(o, agentKey(m.Agent), rec)
	return []Event{{Type: EventAgentPriced, Attrs: []Attr{{"agent", m.Agent.String()}, {"price", m.Price.String()}}}}, nil
}

// moveCOVE moves amount from one account's balance to another's; the
// caller has checked that from holds it.
func moveCOVE(o *overlay, from, to cove.Address, amount *big.Int) {
	a := getAccount(o, from)
	a.Balance.Sub(a.Balance, amount)
	putAccount(o, a)
	b := getAccount(o, to)
	b.Balance.Add(b.Balance, amount)
	putAccount(o, b)
}

func execOpenChannel(o *overlay, sender cove.Address, m OpenChannel, ctx execContext) ([]Event, *failure) {
	return openChannel(o, sender, sender, m, ctx)
}

// openChannel opens a channel of payer's whose deposit funder pays (a
// sponsor, or the payer itself).
func openChannel(o *overlay, payer, funder cove.Address, m OpenChannel, ctx execContext) ([]Event, *failure) {
	if !getJSON(o, agentKey(m.Agent), new(AgentRecord)) {
		return nil, fail(CodeNotFound, "agent %s does not exist: check the id (`cove agent list`)", m.Agent)
	}
	if m.Deposit.Sign() == 0 {
		return nil, fail(CodeInvalidArgument, "deposit is 0: a channel pays calls from its deposit")
	}
	if _, ok := o.get(workerKey(m.Verifier)); !m.Verifier.IsZero() && !ok {
		return nil, fail(CodeNotFound, "verifier %s is not a registered worker: bind the channel to a worker that serves the agent (GET /v1/agents/{id}/terms lists a gateway's)", m.Verifier)
	}
	if bal := getAccount(o, funder).Balance; bal.Cmp(m.Deposit) < 0 {
		return nil, fail(CodeInsufficientFunds, "%s has %s, the deposit is %s: fund the account or deposit less", funder, bal, m.Deposit)
	}
	var id uint64 = 1
	getJSON(o, keyNextChannel, &id)
	putJSON(o, keyNextChannel, id+1)
	moveCOVE(o, funder, ChannelEscrowAddress, m.Deposit)
	c := ChannelRecord{ID: id, Payer: payer, Agent: m.Agent, Deposit: AmountOf(m.Deposit), Redeemed: AmountOf(new(big.Int)), Created: ctx.height}
	attrs := []Attr{{"channel", u64s(id)}, {"payer", payer.String()}, {"agent", m.Agent.String()}, {"deposit", m.Deposit.String()}}
	if funder != payer {
		c.Funder = funder
		attrs = append(attrs, Attr{"funder", funder.String()})
	}
	if !m.Verifier.IsZero() {
		c.Verifier = m.Verifier
		attrs = append(attrs, Attr{"verifier", m.Verifier.String()})
	}
	putJSON(o, channelKey(id), c)
	putJSON(o, payerChannelKey(payer, id), id)
	return []Event{{Type: EventChannelOpened, Attrs: attrs}}, nil
}

// CheckVoucher checks a voucher against its channel as the chain's Redeem
// does: amount is at most the deposit (CheckVoucherAmount), and the
// signature (65 bytes, v 27 or 28, low s) recovers to the channel's payer
// over cove.Voucher{chainID, c.ID, c.Agent, amount, nonce}. What it
// returns is the public reason of a refusal. (A gateway that knows the
// payer's key verifies the signature with it instead: ethsig.Verify.)
func CheckVoucher(chainID uint64, c ChannelRecord, amount *big.Int, nonce uint64, sig []byte) (reason string, ok bool) {
	if reason, ok := CheckVoucherAmount(c, amount); !ok {
		return reason, false
	}
	if len(sig) != ethsig.Size {
		return "the voucher's signature is " + strconv.Itoa(len(sig)) + " bytes, want 65 (r ‖ s ‖ v)", false
	}
	if v := sig[64]; v != 27 && v != 28 {
		return "the voucher's v is " + strconv.Itoa(int(v)) + ", want 27 or 28", false
	}
	got, err := ethsig.Recover(cove.Voucher{ChainID: chainID, Channel: c.ID, Agent: c.Agent, Amount: amount, Nonce: nonce}.Digest(), [ethsig.Size]byte(sig))
	if err != nil {
		return "the voucher's signature: " + ethsig.Reason(err), false
	}
	if got != c.Payer {
		return NotPayersVoucher(c), false
	}
	return "", true
}

// NotPayersVoucher is the reason a voucher that is not signed by c's payer
// is refused.
func NotPayersVoucher(c ChannelRecord) string {
	return "the voucher is not signed by channel " + u64s(c.ID) + "'s payer " + c.Payer.String() + " (or it names another agent, channel or chain)"
}

// CheckVoucherAmount checks a voucher's amount against its channel: an
// amount (0 to 2^256-1) no higher than the deposit. CheckVoucher applies
// it first.
func CheckVoucherAmount(c ChannelRecord, amount *big.Int) (reason string, ok bool) {
	if amount == nil || checkAmount(amount) != nil {
		return "the voucher's amount is not an amount (0 to 2^256-1)", false
	}
	if amount.Cmp(c.Deposit.Big()) > 0 {
		return "the voucher's amount " + amount.String() + " is above channel " + u64s(c.ID) + "'s deposit " + c.Deposit.String(), false
	}
	return "", true
}

func execRedeem(o *overlay, sender cove.Address, m Redeem, ctx execContext) ([]Event, *failure) {
	c, payee, f := redeemer(o, sender, m.Channel)
	if f != nil {
		return nil, f
	}
	if reason, ok := CheckVoucher(ctx.chainID, c, m.Amount, m.VoucherNonce, m.Signature); !ok {
		return nil, fail(CodeUnauthorized, "%s", reason)
	}
	return redeemTo(o, c, payee, m.Amount, m.VoucherNonce)
}

// redeemer returns channel id and who a redeem of it pays, when sender
// may send one: the agent's owner redeems, and is paid; the channels of a
// DAO's agent anyone redeems, to its treasury (the owner).
func redeemer(o *overlay, sender cove.Address, id uint64) (ChannelRecord, cove.Address, *failure) {
	c, f := getChannel(o, id)
	if f != nil {
		return c, cove.Address{}, f
	}
	var rec AgentRecord
	if !getJSON(o, agentKey(c.Agent), &rec) {
		return c, cove.Address{}, fail(CodeNotFound, "agent %s does not exist", c.Agent)
	}
	if !IsDAOAgent(rec) {
		if f := ownerOnly(rec, sender, "redeem its vouchers"); f != nil {
			return c, cove.Address{}, f
		}
	}
	return c, rec.Owner, nil
}

// redeemTo pays payee what amount, a total the channel's payer signed for
// (a voucher's, or a hash-chain word's), adds to c's redeemed total.
func redeemTo(o *overlay, c ChannelRecord, payee cove.Address, amount *big.Int, voucherNonce uint64) ([]Event, *failure) {
	redeemed := c.Redeemed.Big()
	if amount.Cmp(redeemed) <= 0 {
		return nil, fail(CodeInvalidArgument, "channel %d has redeemed %s already: this voucher (%s) adds nothing; redeem a higher one", c.ID, redeemed, amount)
	}
	pay := new(big.Int).Sub(amount, redeemed)
	moveCOVE(o, ChannelEscrowAddress, payee, pay)
	c.Redeemed = AmountOf(amount)
	c.VoucherNonce = voucherNonce
	putJSON(o, channelKey(c.ID), c)
	return append([]Event{{Type: EventChannelRedeemed, Attrs: []Attr{
		{"channel", u64s(c.ID)}, {"payee", payee.String()}, {"amount", pay.String()},
		{"redeemed", amount.String()}, {"voucherNonce", u64s(voucherNonce)},
	}}}, revenueShare(o, c.Agent, c.ID, payee, pay)...), nil
}

func execCloseChannel(o *overlay, sender cove.Address, m CloseChannel, ctx execContext) ([]Event, *failure) {
	c, f := getChannel(o, m.Channel)
	if f != nil {
		return nil, f
	}
	if c.Payer != sender && c.Funder != sender {
		return nil, fail(CodeUnauthorized, "channel %d is %s's: only its payer (or the sponsor that funded it) may close it", c.ID, c.Payer)
	}
	if !c.Open() {
		return nil, fail(CodeExists, "channel %d is closing already: settle it at %d (Unix seconds)", c.ID, c.ClosesAt)
	}
	c.ClosesAt = ctx.time.Unix() + int64(getParams(o).Channels.Challenge())
	putJSON(o, channelKey(c.ID), c)
	return []Event{{Type: EventChannelClosing, Attrs: []Attr{{"channel", u64s(c.ID)}, {"closesAt", strconv.FormatInt(c.ClosesAt, 10)}}}}, nil
}

func execSettle(o *overlay, _ cove.Address, m Settle, ctx execContext) ([]Event, *failure) {
	c, f := getChannel(o, m.Channel)
	if f != nil {
		return nil, f
	}
	if c.Open() {
		return nil, fail(CodeInvalidArgument, "channel %d is open: its payer closes it first (CloseChannel), then settles after the challenge period", c.ID)
	}
	if now := ctx.time.Unix(); now < c.ClosesAt {
		return nil, fail(CodeInvalidArgument, "channel %d's challenge period ends at %d, %d s from now: the agent's owner may still redeem until then", c.ID, c.ClosesAt, c.ClosesAt-now)
	}
	refund := c.Left()
	moveCOVE(o, ChannelEscrowAddress, c.refundTo(), refund)
	o.set(channelKey(c.ID), nil)
	o.set(payerChannelKey(c.Payer, c.ID), nil)
	return []Event{{Type: EventChannelSettled, Attrs: []Attr{{"channel", u64s(c.ID)}, {"payer", c.Payer.String()}, {"refund", refund.String()}, {"to", c.refundTo().String()}}}}, nil
}
