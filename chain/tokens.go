package chain

import (
	"errors"
	"math/big"
	"strconv"
	"strings"

	"github.com/cove-network/cove"
)

// Agent tokens on bonding curves (issue 11, ADR 24). An agent's owner
// launches one token per agent (LaunchAgentToken) on a curve fixed at
// launch; anyone buys tokens from the curve and sells them back to it
// (Buy, Sell) against COVE held in the curve's reserve. The reserve of a
// token at supply S is always exactly G(S) = ceil(∫₀^S price): a buy from
// S0 to S1 costs G(S1) − G(S0) and a sell back returns the same, so the
// reserve does not depend on the order of trades and selling the whole
// supply returns the whole reserve. Every reserve is held by one keyless
// account, TokenReserveAddress, that nothing else may credit: its balance
// is Σ G(supply) over tokens, and the supply of COVE needs no new term.
//
// A trading fee (feePPM of each trade's COVE) and revenuePPM of each
// Redeem of the agent's channels go to the agent's treasury, a keyless
// account per agent (AgentTreasury) that the owner spends from with
// WithdrawTreasury and that becomes the agent's owner when the agent
// moves to its DAO (dao.go).

const (
	prefixToken   = "token/" // ‖ 32-byte agent: TokenRecord
	prefixHolding = "tbal/"  // ‖ 32-byte agent ‖ 20-byte holder: TokenHolding
)

// The curves a token may use.
const (
	CurveLinear      = "linear"      // price = a + b·s
	CurveExponential = "exponential" // price = a at s = 0, doubling every b tokens, linear in between
)

// Bounds of a token's parameters.
const (
	// MaxTokenFeePPM bounds a token's trading fee: 10%.
	MaxTokenFeePPM = 100_000
	// maxCheckpoints is how many balance changes a holding remembers for
	// snapshot votes.
	maxCheckpoints = 64
	// maxDoublings bounds an exponential curve's supply: the price may
	// double at most this many times.
	maxDoublings = 128
)

var (
	// tokenUnit is one whole token in base units: tokens have 18
	// decimals, as COVE.
	tokenUnit = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	// maxCurveParam bounds a (the price at supply 0) and a linear b.
	maxCurveParam = new(big.Int).Lsh(big.NewInt(1), 128)
	// maxExpB bounds an exponential b, in whole tokens.
	maxExpB = new(big.Int).Lsh(big.NewInt(1), 64)
	// maxReserve bounds G(supply) and the supply: a buy that would take
	// either to it is refused, so that sums stay far below 2^256.
	maxReserve = new(big.Int).Lsh(big.NewInt(1), 200)
	ppm        = big.NewInt(1_000_000)
)

// TokenReserveAddress holds the reserves of every agent token's curve:
// keccak256("cove/token-reserve")'s last 20 bytes. No key controls it.
var TokenReserveAddress = func() (a cove.Address) {
	h := cove.Keccak256([]byte("cove/token-reserve"))
	copy(a[:], h[12:])
	return a
}()

// AgentTreasury is the agent's treasury account:
// keccak256("cove/agent-treasury" ‖ agent)'s last 20 bytes. No key
// controls it; its owner spends from it with WithdrawTreasury, and once
// the agent belongs to its DAO this address is the agent's owner, so only
// an executed proposal spends it.
func AgentTreasury(agent cove.AgentID) (a cove.Address) {
	h := cove.Keccak256([]byte("cove/agent-treasury"), agent[:])
	copy(a[:], h[12:])
	return a
}

// Events of agent tokens.
const (
	EventTokenLaunched     = "token_launched"     // agent, name, symbol, curve, a, b, feePPM, revenuePPM
	EventTokenBought       = "token_bought"       // agent, buyer, amount, cost, fee, supply
	EventTokenSold         = "token_sold"         // agent, seller, amount, return, fee, supply
	EventTreasuryWithdrawn = "treasury_withdrawn" // agent, to, amount
	EventTreasuryRevenue   = "treasury_revenue"   // agent, channel, amount
	EventTokenTransferred  = "token_transferred"  // agent, from, to, amount
)

// Checkpoint is an amount as of the end of a block.
type Checkpoint struct {
	Height int64  `json:"height"`
	Amount Amount `json:"amount"`
}

// TokenRecord is an agent's token.
type TokenRecord struct {
	Agent  cove.AgentID `json:"agent"`
	Name   string       `json:"name"`
	Symbol string       `json:"symbol"`
	// Curve is CurveLinear or CurveExponential. A is the price at supply
	// 0, in COVE base units per whole token. B is, for a linear curve,
	// the price's rise per whole token supplied (base units per token per
	// token); for an exponential one, the whole tokens over which the
	// price doubles.
	Curve string `json:"curve"`
	A     Amount `json:"a"`
	B     Amount `json:"b"`
	// FeePPM of each trade's COVE, and RevenuePPM of each Redeem of the
	// agent's channels, go to the agent's treasury.
	FeePPM     uint64 `json:"feePPM"`
	RevenuePPM uint64 `json:"revenuePPM"`
	// Supply is the tokens held, in base units (10^18 per token).
	Supply Amount `json:"supply"`
	// SupplyBefore is the supply at the end of the block before
	// SupplyHeight, the height of the last change: what a proposal made
	// at SupplyHeight takes as its snapshot's supply.
	SupplyBefore Amount `json:"supplyBefore"`
	SupplyHeight int64  `json:"supplyHeight"`
	Launched     int64  `json:"launched"`
}

// TokenHolding is one account's balance of one agent's token.
type TokenHolding struct {
	Agent   cove.AgentID `json:"agent"`
	Holder  cove.Address `json:"holder"`
	Balance Amount       `json:"balance"`
	// History is the balance after each of the holding's last changes
	// (at most 64, one per block, oldest first), for the weight of votes
	// at a snapshot height. Trimmed says older changes were dropped.
	History []Checkpoint `json:"history"`
	Trimmed bool         `json:"trimmed,omitempty"`
	// Locked of the balance voted on a proposal still taking votes, and
	// may not be sold before the end of block LockedUntil (the latest
	// votingEnds of the proposals it voted on).
	Locked      Amount `json:"locked,omitzero"`
	LockedUntil int64  `json:"lockedUntil,omitempty"`
	// Incoming are tokens other accounts transferred to the holder that
	// it has not taken in yet: its own next Buy, Sell or TransferToken of
	// the token adds them to Balance, recorded in its history at that
	// block (a CastVote counts them as held now and writes nothing). So
	// only the holder's own trades write its history, and nobody can push
	// the balance of a snapshot out of it (64 entries) by sending it dust
	// in 64 blocks.
	Incoming Amount `json:"incoming,omitzero"`
}

// takeIncoming adds the tokens transferred to h to its balance (not yet
// to its history: the caller records the balance with setBalance).
func (h *TokenHolding) takeIncoming() {
	if in := h.Incoming.Big(); in.Sign() > 0 {
		h.Balance = AmountOf(new(big.Int).Add(h.Balance.Big(), in))
		h.Incoming = Amount{}
	}
}

// lockedAt returns the tokens of h locked at height.
func (h TokenHolding) lockedAt(height int64) *big.Int {
	if height > h.LockedUntil {
		return new(big.Int)
	}
	return h.Locked.Big()
}

// At returns the balance at the end of block height (the latest change at
// or before it), and false when the history no longer reaches back that
// far.
func (h TokenHolding) At(height int64) (*big.Int, bool) {
	for i := len(h.History) - 1; i >= 0; i-- {
		if h.History[i].Height <= height {
			return h.History[i].Amount.Big(), true
		}
	}
	return new(big.Int), !h.Trimmed
}

// supplyBeforeBlock returns the supply at the end of the block before
// height, for a proposal made at height (the current block).
func (t TokenRecord) supplyBeforeBlock(height int64) *big.Int {
	if t.SupplyHeight >= height {
		return t.SupplyBefore.Big()
	}
	return t.Supply.Big()
}

func tokenKey(agent cove.AgentID) string { return prefixToken + string(agent[:]) }

func holdingKey(agent cove.AgentID, holder cove.Address) string {
	return prefixHolding + string(agent[:]) + string(holder[:])
}

// checkTokenRecord returns the record type of a token or DAO state key,
// or nil.
func checkTokenRecord(key string) any {
	switch {
	case len(key) == len(prefixToken)+32 && strings.HasPrefix(key, prefixToken):
		return new(TokenRecord)
	case len(key) == len(prefixHolding)+52 && strings.HasPrefix(key, prefixHolding):
		return new(TokenHolding)
	case len(key) == len(prefixDAO)+32 && strings.HasPrefix(key, prefixDAO):
		return new(DAORecord)
	case key == keyNextProposal:
		return new(uint64)
	case len(key) == len(prefixProposal)+8 && strings.HasPrefix(key, prefixProposal):
		return new(ProposalRecord)
	case len(key) == len(prefixVote)+28 && strings.HasPrefix(key, prefixVote):
		return new(string)
	case len(key) == len(prefixDAOProposal)+40 && strings.HasPrefix(key, prefixDAOProposal):
		return new(uint64)
	}
	return nil
}

// reserveAt returns G(supply): the COVE base units the curve's reserve holds
// at that supply of base units, ceil(∫₀^supply price). It is exact and
// never falls as the supply grows. It fails for a supply the curve does
// not reach (an exponential curve past 128 doublings).
func (t TokenRecord) reserveAt(supply *big.Int) (*big.Int, *failure) {
	a, b := t.A.Big(), t.B.Big()
	var num, den big.Int
	switch t.Curve {
	case CurveLinear:
		// ∫₀^x (a + b·s) ds with x = S/U tokens: (2·a·S·U + b·S²) / (2·U²).
		num.Mul(a, supply)
		num.Mul(&num, tokenUnit)
		num.Lsh(&num, 1)
		var sq big.Int
		sq.Mul(supply, supply)
		sq.Mul(&sq, b)
		num.Add(&num, &sq)
		den.Mul(tokenUnit, tokenUnit)
		den.Lsh(&den, 1)
	case CurveExponential:
		// With B = b·U base units per doubling, S = k·B + r: the k whole
		// segments' trapezoids, 3·a·B·(2^k − 1) / (2·U), and the part of
		// segment k, a·2^k·(2·r·B + r²) / (2·U·B); over 2·U·B.
		bu := new(big.Int).Mul(b, tokenUnit)
		var k, r big.Int
		k.QuoRem(supply, bu, &r)
		if !k.IsUint64() || k.Uint64() > maxDoublings {
			return nil, fail(CodeInvalidArgument, "a supply of %s is past the curve's %d doublings of its price", supply, maxDoublings)
		}
		pow := new(big.Int).Lsh(big.NewInt(1), uint(k.Uint64()))
		full := new(big.Int).Sub(pow, big.NewInt(1))
		full.Mul(full, a)
		full.Mul(full, bu)
		full.Mul(full, bu)
		full.Mul(full, big.NewInt(3))
		var part big.Int
		part.Mul(&r, bu)
		part.Lsh(&part, 1)
		var rr big.Int
		rr.Mul(&r, &r)
		part.Add(&part, &rr)
		part.Mul(&part, a)
		part.Mul(&part, pow)
		num.Add(full, &part)
		den.Mul(tokenUnit, bu)
		den.Lsh(&den, 1)
	default:
		panic("chain: token with curve " + t.Curve) // launch checked it
	}
	// ceil(num/den)
	num.Add(&num, &den)
	num.Sub(&num, big.NewInt(1))
	return num.Quo(&num, &den), nil
}

// priceAt returns the curve's spot price at a supply: COVE base units per
// whole token, rounded down (for display: trades pay reserveAt's
// differences).
func (t TokenRecord) priceAt(supply *big.Int) *big.Int {
	a, b := t.A.Big(), t.B.Big()
	p := new(big.Int)
	switch t.Curve {
	case CurveLinear:
		p.Mul(b, supply)
		p.Quo(p, tokenUnit)
		return p.Add(p, a)
	case CurveExponential:
		bu := new(big.Int).Mul(b, tokenUnit)
		var k, r big.Int
		k.QuoRem(supply, bu, &r)
		if !k.IsUint64() || k.Uint64() > maxDoublings {
			return p
		}
		// a·2^k·(1 + r/B)
		p.Add(bu, &r)
		p.Mul(p, a)
		p.Lsh(p, uint(k.Uint64()))
		return p.Quo(p, bu)
	}
	return p
}

// buyCost returns what buying amount base units costs at the token's
// supply: the curve's G(supply+amount) − G(supply), and the fee on it.
func (t TokenRecord) buyCost(amount *big.Int) (cost, fee *big.Int, f *failure) {
	s0 := t.Supply.Big()
	s1 := new(big.Int).Add(s0, amount)
	if s1.Cmp(maxReserve) >= 0 {
		return nil, nil, fail(CodeInvalidArgument, "buying %s would take %s's supply to %s, above the 2^200 base units a token may have", amount, t.Symbol, s1)
	}
	g0, f := t.reserveAt(s0)
	if f != nil {
		return nil, nil, f
	}
	g1, f := t.reserveAt(s1)
	if f != nil {
		return nil, nil, f
	}
	if g1.Cmp(maxReserve) >= 0 {
		return nil, nil, fail(CodeInvalidArgument, "buying %s would take %s's reserve to %s, above the 2^200 the chain counts", amount, t.Symbol, g1)
	}
	cost = g1.Sub(g1, g0)
	return cost, feeOf(cost, t.FeePPM), nil
}

// sellReturn returns what selling amount base units (at most the supply)
// returns before the fee: G(supply) − G(supply−amount), and the fee on it.
func (t TokenRecord) sellReturn(amount *big.Int) (ret, fee *big.Int, f *failure) {
	s1 := t.Supply.Big()
	if amount.Cmp(s1) > 0 {
		return nil, nil, fail(CodeInsufficientFunds, "the supply of %s is %s, not %s", t.Symbol, s1, amount)
	}
	g1, f := t.reserveAt(s1)
	if f != nil {
		return nil, nil, f
	}
	g0, f := t.reserveAt(new(big.Int).Sub(s1, amount))
	if f != nil {
		return nil, nil, f
	}
	ret = g1.Sub(g1, g0)
	return ret, feeOf(ret, t.FeePPM), nil
}

// BuyCost returns the COVE base units a Buy of amount pays now: the
// curve's cost and the fee to the treasury (the transaction's maxCost
// must cover their sum).
func (t TokenRecord) BuyCost(amount *big.Int) (cost, fee *big.Int, err error) {
	cost, fee, f := t.buyCost(amount)
	if f != nil {
		return nil, nil, errors.New(f.msg)
	}
	return cost, fee, nil
}

// SellReturn returns what a Sell of amount pays now: the curve's return
// and the fee taken from it (the seller gets return − fee, which the
// transaction's minReturn must not exceed).
func (t TokenRecord) SellReturn(amount *big.Int) (ret, fee *big.Int, err error) {
	ret, fee, f := t.sellReturn(amount)
	if f != nil {
		return nil, nil, errors.New(f.msg)
	}
	return ret, fee, nil
}

// LaunchAgentToken launches the sender's agent's token on a bonding curve
// whose parameters are fixed for good.
type LaunchAgentToken struct {
	Agent  cove.AgentID `eip712:"agent"`
	Name   string       `eip712:"name"`
	Symbol string       `eip712:"symbol"`
	// Curve is "linear" or "exponential"; A and B as in TokenRecord.
	Curve      string   `eip712:"curve"`
	A          *big.Int `eip712:"a"`
	B          *big.Int `eip712:"b"`
	FeePPM     uint64   `eip712:"feePPM"`
	RevenuePPM uint64   `eip712:"revenuePPM"`
	MaxFee     *big.Int `eip712:"maxFee,,optional"`
	Nonce      uint64   `eip712:"nonce"`
}

// Buy buys Amount base units of an agent's token from its curve, paying
// at most MaxCost COVE base units (the curve's cost plus the fee).
type Buy struct {
	Agent   cove.AgentID `eip712:"agent"`
	Amount  *big.Int     `eip712:"amount"`
	MaxCost *big.Int     `eip712:"maxCost"`
	MaxFee  *big.Int     `eip712:"maxFee,,optional"`
	Nonce   uint64       `eip712:"nonce"`
}

// Sell sells Amount base units of the sender's tokens of an agent back to
// its curve, for at least MinReturn COVE base units (after the fee).
type Sell struct {
	Agent     cove.AgentID `eip712:"agent"`
	Amount    *big.Int     `eip712:"amount"`
	MinReturn *big.Int     `eip712:"minReturn"`
	MaxFee    *big.Int     `eip712:"maxFee,,optional"`
	Nonce     uint64       `eip712:"nonce"`
}

// WithdrawTreasury pays Amount from the agent's treasury to To. Only the
// agent's owner may send it: once the agent belongs to its DAO, only an
// executed proposal.
type WithdrawTreasury struct {
	Agent  cove.AgentID `eip712:"agent"`
	To     cove.Address `eip712:"to"`
	Amount *big.Int     `eip712:"amount"`
	MaxFee *big.Int     `eip712:"maxFee,,optional"`
	Nonce  uint64       `eip712:"nonce"`
}

func (LaunchAgentToken) Type() string                    { return "LaunchAgentToken" }
func (m LaunchAgentToken) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *LaunchAgentToken) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (LaunchAgentToken) isMsg()                          {}

func (Buy) Type() string                    { return "Buy" }
func (m Buy) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *Buy) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (Buy) isMsg()                          {}

func (Sell) Type() string                    { return "Sell" }
func (m Sell) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *Sell) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (Sell) isMsg()                          {}

// TransferToken moves Amount base units of the sender's tokens of an
// agent to To, as To's incoming tokens (TokenHolding.Incoming). Tokens
// voted on a proposal still taking votes stay (as for Sell); the supply
// and the reserve do not change.
type TransferToken struct {
	Agent  cove.AgentID `eip712:"agent"`
	To     cove.Address `eip712:"to"`
	Amount *big.Int     `eip712:"amount"`
	MaxFee *big.Int     `eip712:"maxFee,,optional"`
	Nonce  uint64       `eip712:"nonce"`
}

func (TransferToken) Type() string                    { return "TransferToken" }
func (m TransferToken) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *TransferToken) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (TransferToken) isMsg()                          {}

func (WithdrawTreasury) Type() string                    { return "WithdrawTreasury" }
func (m WithdrawTreasury) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *WithdrawTreasury) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (WithdrawTreasury) isMsg()                          {}

// checkTokenSymbol: 1 to 11 of A-Z and 0-9, starting with a letter.
func checkTokenSymbol(s string) *failure {
	if len(s) == 0 || len(s) > 11 || s[0] < 'A' || s[0] > 'Z' {
		return fail(CodeInvalidArgument, "symbol %s: want 1 to 11 capital letters and digits, starting with a letter", clip(strconv.Quote(s)))
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < 'A' || s[i] > 'Z') && (s[i] < '0' || s[i] > '9') {
			return fail(CodeInvalidArgument, "symbol %s: want 1 to 11 capital letters and digits, starting with a letter", clip(strconv.Quote(s)))
		}
	}
	return nil
}

// checkTokenName: 1 to 64 printable ASCII characters, no leading or
// trailing space.
func checkTokenName(s string) *failure {
	if len(s) == 0 || len(s) > 64 || strings.TrimSpace(s) != s {
		return fail(CodeInvalidArgument, "name %s: want 1 to 64 printable ASCII characters without leading or trailing spaces", clip(strconv.Quote(s)))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return fail(CodeInvalidArgument, "name %s: want 1 to 64 printable ASCII characters without leading or trailing spaces", clip(strconv.Quote(s)))
		}
	}
	return nil
}

func checkLaunchAgentToken(m LaunchAgentToken) *failure {
	if f := checkTokenName(m.Name); f != nil {
		return f
	}
	if f := checkTokenSymbol(m.Symbol); f != nil {
		return f
	}
	if m.A.Sign() == 0 || m.A.Cmp(maxCurveParam) > 0 {
		return fail(CodeInvalidArgument, "a (the price at supply 0) is %s: want 1 to 2^128 base units per token", m.A)
	}
	switch m.Curve {
	case CurveLinear:
		if m.B.Cmp(maxCurveParam) > 0 {
			return fail(CodeInvalidArgument, "b (the linear curve's slope) is %s: want 0 to 2^128", m.B)
		}
	case CurveExponential:
		if m.B.Sign() == 0 || m.B.Cmp(maxExpB) > 0 {
			return fail(CodeInvalidArgument, "b (the tokens over which the exponential curve's price doubles) is %s: want 1 to 2^64 whole tokens", m.B)
		}
	default:
		return fail(CodeInvalidArgument, "curve %s: want %s or %s", clip(strconv.Quote(m.Curve)), CurveLinear, CurveExponential)
	}
	if m.FeePPM > MaxTokenFeePPM {
		return fail(CodeInvalidArgument, "feePPM %d is above %d (10%%)", m.FeePPM, MaxTokenFeePPM)
	}
	if m.RevenuePPM > 1_000_000 {
		return fail(CodeInvalidArgument, "revenuePPM %d is above 1000000 (all of it)", m.RevenuePPM)
	}
	return nil
}

func execLaunchAgentToken(o *overlay, sender cove.Address, m LaunchAgentToken, ctx execContext) ([]Event, *failure) {
	if _, f := ownedAgent(o, sender, m.Agent, "launch its token"); f != nil {
		return nil, f
	}
	if _, ok := o.get(tokenKey(m.Agent)); ok {
		return nil, fail(CodeExists, "agent %s has a token already: an agent has one token, its curve fixed at launch", m.Agent)
	}
	t := TokenRecord{
		Agent: m.Agent, Name: m.Name, Symbol: m.Symbol, Curve: m.Curve, A: AmountOf(m.A), B: AmountOf(m.B),
		FeePPM: m.FeePPM, RevenuePPM: m.RevenuePPM, Supply: AmountOf(new(big.Int)), SupplyBefore: AmountOf(new(big.Int)),
		SupplyHeight: ctx.height, Launched: ctx.height,
	}
	putJSON(o, tokenKey(m.Agent), t)
	return []Event{{Type: EventTokenLaunched, Attrs: []Attr{
		{"agent", m.Agent.String()}, {"name", m.Name}, {"symbol", m.Symbol}, {"curve", m.Curve},
		{"a", m.A.String()}, {"b", m.B.String()}, {"feePPM", u64s(m.FeePPM)}, {"revenuePPM", u64s(m.RevenuePPM)},
	}}}, nil
}

func getToken(r reader, agent cove.AgentID) (TokenRecord, *failure) {
	var t TokenRecord
	if !getJSON(r, tokenKey(agent), &t) {
		return t, fail(CodeNotFound, "agent %s has no token: its owner launches one first (LaunchAgentToken, `cove token launch`)", agent)
	}
	return t, nil
}

func getHolding(r reader, agent cove.AgentID, holder cove.Address) TokenHolding {
	h := TokenHolding{Agent: agent, Holder: holder, Balance: AmountOf(new(big.Int)), History: []Checkpoint{}}
	getJSON(r, holdingKey(agent, holder), &h)
	return h
}

// setBalance sets a holding's balance at height and remembers it for
// snapshot votes. A holding that falls to 0 is kept with its history: a
// vote at a snapshot before the sale weighs what it held then.
func setBalance(o *overlay, h TokenHolding, bal *big.Int, height int64) TokenHolding {
	h.Balance = AmountOf(bal)
	cp := Checkpoint{Height: height, Amount: AmountOf(bal)}
	if n := len(h.History); n > 0 && h.History[n-1].Height == height {
		h.History[n-1] = cp
	} else {
		h.History = append(h.History, cp)
	}
	if len(h.History) > maxCheckpoints {
		h.History = append([]Checkpoint(nil), h.History[len(h.History)-maxCheckpoints:]...)
		h.Trimmed = true
	}
	putJSON(o, holdingKey(h.Agent, h.Holder), h)
	return h
}

// setSupply sets a token's supply at height, keeping the supply at the
// end of the block before.
func (t *TokenRecord) setSupply(s *big.Int, height int64) {
	if t.SupplyHeight != height {
		t.SupplyBefore = t.Supply
		t.SupplyHeight = height
	}
	t.Supply = AmountOf(s)
}

// feeOf returns ppm millionths of v, rounded down.
func feeOf(v *big.Int, ppmv uint64) *big.Int {
	f := new(big.Int).Mul(v, new(big.Int).SetUint64(ppmv))
	return f.Quo(f, ppm)
}

func execBuy(o *overlay, sender cove.Address, m Buy, ctx execContext) ([]Event, *failure) {
	t, f := getToken(o, m.Agent)
	if f != nil {
		return nil, f
	}
	if m.Amount.Sign() == 0 {
		return nil, fail(CodeInvalidArgument, "amount is 0: buy at least one base unit of the token")
	}
	cost, fee, f := t.buyCost(m.Amount)
	if f != nil {
		return nil, f
	}
	total := new(big.Int).Add(cost, fee)
	s1 := new(big.Int).Add(t.Supply.Big(), m.Amount)
	if total.Cmp(m.MaxCost) > 0 {
		return nil, fail(CodeInvalidArgument, "buying %s %s costs %s (curve %s + fee %s), above maxCost %s: the price moved, or raise maxCost", m.Amount, t.Symbol, total, cost, fee, m.MaxCost)
	}
	if bal := getAccount(o, sender).Balance; bal.Cmp(total) < 0 {
		return nil, fail(CodeInsufficientFunds, "%s has %s, buying %s %s costs %s", sender, bal, m.Amount, t.Symbol, total)
	}
	moveCOVE(o, sender, TokenReserveAddress, cost)
	if fee.Sign() > 0 {
		moveCOVE(o, sender, AgentTreasury(m.Agent), fee)
	}
	h := getHolding(o, m.Agent, sender)
	h.takeIncoming()
	setBalance(o, h, new(big.Int).Add(h.Balance.Big(), m.Amount), ctx.height)
	t.setSupply(s1, ctx.height)
	putJSON(o, tokenKey(m.Agent), t)
	return []Event{{Type: EventTokenBought, Attrs: []Attr{
		{"agent", m.Agent.String()}, {"buyer", sender.String()}, {"amount", m.Amount.String()},
		{"cost", cost.String()}, {"fee", fee.String()}, {"supply", s1.String()},
	}}}, nil
}

func execSell(o *overlay, sender cove.Address, m Sell, ctx execContext) ([]Event, *failure) {
	t, f := getToken(o, m.Agent)
	if f != nil {
		return nil, f
	}
	if m.Amount.Sign() == 0 {
		return nil, fail(CodeInvalidArgument, "amount is 0: sell at least one base unit of the token")
	}
	h := getHolding(o, m.Agent, sender)
	h.takeIncoming()
	held := h.Balance.Big()
	if held.Cmp(m.Amount) < 0 {
		return nil, fail(CodeInsufficientFunds, "%s holds %s %s, not %s", sender, held, t.Symbol, m.Amount)
	}
	if locked := h.lockedAt(ctx.height); new(big.Int).Sub(held, m.Amount).Cmp(locked) < 0 {
		return nil, fail(CodeInvalidArgument, "%s of %s's %s %s voted on a proposal and are locked until the end of block %d: sell at most %s before then",
			locked, sender, held, t.Symbol, h.LockedUntil, new(big.Int).Sub(held, locked))
	}
	ret, fee, f := t.sellReturn(m.Amount)
	if f != nil {
		return nil, f
	}
	out := new(big.Int).Sub(ret, fee)
	s0 := new(big.Int).Sub(t.Supply.Big(), m.Amount)
	if out.Cmp(m.MinReturn) < 0 {
		return nil, fail(CodeInvalidArgument, "selling %s %s returns %s (curve %s − fee %s), below minReturn %s: the price moved, or lower minReturn", m.Amount, t.Symbol, out, ret, fee, m.MinReturn)
	}
	moveCOVE(o, TokenReserveAddress, sender, out)
	if fee.Sign() > 0 {
		moveCOVE(o, TokenReserveAddress, AgentTreasury(m.Agent), fee)
	}
	setBalance(o, h, held.Sub(held, m.Amount), ctx.height)
	t.setSupply(s0, ctx.height)
	putJSON(o, tokenKey(m.Agent), t)
	return []Event{{Type: EventTokenSold, Attrs: []Attr{
		{"agent", m.Agent.String()}, {"seller", sender.String()}, {"amount", m.Amount.String()},
		{"return", out.String()}, {"fee", fee.String()}, {"supply", s0.String()},
	}}}, nil
}

func execTransferToken(o *overlay, sender cove.Address, m TransferToken, ctx execContext) ([]Event, *failure) {
	t, f := getToken(o, m.Agent)
	if f != nil {
		return nil, f
	}
	if m.Amount.Sign() == 0 {
		return nil, fail(CodeInvalidArgument, "amount is 0: transfer at least one base unit of the token")
	}
	if m.To == sender {
		return nil, fail(CodeInvalidArgument, "to is the sender %s: transfer to another account", sender)
	}
	if held := heldAddress(o, m.To); held != "" {
		return nil, fail(CodeInvalidArgument, "%s is %s: transfer to an account instead", m.To, held)
	}
	// No key spends tokens there, and they would count in every later
	// snapshot's supply, raising the quorum out of reach.
	if m.To.IsZero() || m.To == AgentTreasury(m.Agent) {
		return nil, fail(CodeInvalidArgument, "%s is the zero address or the agent's treasury, which no key spends from: transfer to an account instead", m.To)
	}
	from := getHolding(o, m.Agent, sender)
	from.takeIncoming()
	held := from.Balance.Big()
	if held.Cmp(m.Amount) < 0 {
		return nil, fail(CodeInsufficientFunds, "%s holds %s %s, not %s", sender, held, t.Symbol, m.Amount)
	}
	if locked := from.lockedAt(ctx.height); new(big.Int).Sub(held, m.Amount).Cmp(locked) < 0 {
		return nil, fail(CodeInvalidArgument, "%s of %s's %s %s voted on a proposal and are locked until the end of block %d: transfer at most %s before then",
			locked, sender, held, t.Symbol, from.LockedUntil, new(big.Int).Sub(held, locked))
	}
	setBalance(o, from, held.Sub(held, m.Amount), ctx.height)
	// The recipient takes them in with its own next transaction of the
	// token: a transfer never writes another account's history.
	to := getHolding(o, m.Agent, m.To)
	to.Incoming = AmountOf(new(big.Int).Add(to.Incoming.Big(), m.Amount))
	putJSON(o, holdingKey(to.Agent, to.Holder), to)
	return []Event{{Type: EventTokenTransferred, Attrs: []Attr{
		{"agent", m.Agent.String()}, {"from", sender.String()}, {"to", m.To.String()}, {"amount", m.Amount.String()},
	}}}, nil
}

func execWithdrawTreasury(o *overlay, sender cove.Address, m WithdrawTreasury, _ execContext) ([]Event, *failure) {
	if _, f := ownedAgent(o, sender, m.Agent, "spend from its treasury"); f != nil {
		return nil, f
	}
	if m.Amount.Sign() == 0 {
		return nil, fail(CodeInvalidArgument, "amount is 0")
	}
	if held := heldAddress(o, m.To); held != "" {
		return nil, fail(CodeInvalidArgument, "%s is %s: pay an account instead", m.To, held)
	}
	treasury := AgentTreasury(m.Agent)
	if bal := getAccount(o, treasury).Balance; bal.Cmp(m.Amount) < 0 {
		return nil, fail(CodeInsufficientFunds, "agent %s's treasury %s has %s, not %s", m.Agent, treasury, bal, m.Amount)
	}
	moveCOVE(o, treasury, m.To, m.Amount)
	return []Event{{Type: EventTreasuryWithdrawn, Attrs: []Attr{{"agent", m.Agent.String()}, {"to", m.To.String()}, {"amount", m.Amount.String()}}}}, nil
}

// revenueShare moves the token's revenuePPM of pay, which a Redeem of the
// agent's channel has just paid to payee, to the agent's treasury.
func revenueShare(o *overlay, agent cove.AgentID, channel uint64, payee cove.Address, pay *big.Int) []Event {
	var t TokenRecord
	if !getJSON(o, tokenKey(agent), &t) || t.RevenuePPM == 0 {
		return nil
	}
	treasury := AgentTreasury(agent)
	share := feeOf(pay, t.RevenuePPM)
	if share.Sign() == 0 || payee == treasury {
		return nil
	}
	moveCOVE(o, payee, treasury, share)
	return []Event{{Type: EventTreasuryRevenue, Attrs: []Attr{{"agent", agent.String()}, {"channel", u64s(channel)}, {"amount", share.String()}}}}
}

// TokenState is an agent's token as a reader sees it: the record, the
// curve's price and reserve at its supply, the agent's owner and
// treasury, and (when asked for) one holder's holding.
type TokenState struct {
	TokenRecord
	Price           Amount        `json:"price"`
	Reserve         Amount        `json:"reserve"`
	Owner           cove.Address  `json:"owner"`
	DAO             bool          `json:"dao"`
	Treasury        cove.Address  `json:"treasury"`
	TreasuryBalance Amount        `json:"treasuryBalance"`
	Holding         *TokenHolding `json:"holding,omitempty"`
}
