package api

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/cove-network/cove"
)

// HeaderPayment carries the voucher that pays one call of a priced agent
// (docs/PROTOCOL.md "Paid calls"): the base64url encoding (no padding) of
// the JSON of a [Payment], or a hash-chain word in its positional form
// ("hc1.", ADR 26). The gateway checks it before the agent runs; no
// transaction is made per call.
const HeaderPayment = "Cove-Payment"

// MaxPaymentHeaderBytes bounds a Cove-Payment value; longer ones are
// refused before they are decoded.
const MaxPaymentHeaderBytes = 1024

// CodePaymentRequired is the error code of a 402: the call carried no
// voucher, or one the gateway refused (the message says why).
const CodePaymentRequired = "payment_required"

// Payment is a signed voucher as a call carries it: channel's payer owes
// its agent Amount in all (cumulative, base units), for the calls up to
// the one with voucher nonce Nonce. It is one of two forms: a voucher
// (Word nil), or a word of a hash chain the payer committed to (ADR 26).
type Payment struct {
	Channel uint64       `json:"channel"`
	Agent   cove.AgentID `json:"agent"`
	// Amount is the voucher's; for a word, its commitment's Base + K·Unit.
	Amount *big.Int `json:"amount"`
	// Nonce is the voucher's, or the commitment's.
	Nonce uint64 `json:"nonce"`
	// ChainID is the Cove chain's numeric id (the EIP-712 domain's).
	ChainID uint64 `json:"chainId"`
	// Signature is r‖s‖v (v 27 or 28, low s) over Digest(): the
	// voucher's, or the commitment's.
	Signature [65]byte `json:"-"`
	// Word is set for a payment by a hash-chain word.
	Word *HashWord `json:"-"`
}

// HashWord is the hash-chain part of a payment by a word (ADR 26): the
// commitment's fields besides the channel, agent and nonce, the word's
// index K and the word W, which hashes back K times to Root.
type HashWord struct {
	Base, Unit *big.Int
	Count      uint64
	Root       cove.Hash
	K          uint64
	W          cove.Hash
}

// WordPayment returns the payment of word k of the commitment hc, whose
// payer signed hc with sig: the word w, paying hc.Amount(k) in all (ADR
// 26). Its Commitment is hc.
func WordPayment(hc cove.HashChain, sig [65]byte, k uint64, w cove.Hash) Payment {
	return Payment{Channel: hc.Channel, Agent: hc.Agent, Amount: hc.Amount(k), Nonce: hc.Nonce, ChainID: hc.ChainID, Signature: sig,
		Word: &HashWord{Base: hc.Base, Unit: hc.Unit, Count: hc.Count, Root: hc.Root, K: k, W: w}}
}

// Commitment returns the commitment a word's signature signs (p.Word
// must be set).
func (p Payment) Commitment() cove.HashChain {
	w := p.Word
	return cove.HashChain{ChainID: p.ChainID, Channel: p.Channel, Agent: p.Agent, Base: w.Base, Unit: w.Unit, Count: w.Count, Root: w.Root, Nonce: p.Nonce}
}

// Digest returns what p's signature signs: the voucher's or the
// commitment's EIP-712 digest.
func (p Payment) Digest() cove.Hash {
	if p.Word != nil {
		return p.Commitment().Digest()
	}
	return p.Voucher().Digest()
}

// SameCommitment reports whether p and q are words of one commitment
// (the same signed fields and signature).
func (p Payment) SameCommitment(q Payment) bool {
	a, b := p.Word, q.Word
	return a != nil && b != nil && p.Channel == q.Channel && p.Agent == q.Agent && p.Nonce == q.Nonce && p.ChainID == q.ChainID &&
		p.Signature == q.Signature && a.Root == b.Root && a.Count == b.Count && a.Base.Cmp(b.Base) == 0 && a.Unit.Cmp(b.Unit) == 0
}

// paymentJSON is a voucher header's JSON: amount a decimal string, the
// signature 0x-hex; every field required.
type paymentJSON struct {
	Channel   *uint64       `json:"channel"`
	Agent     *cove.AgentID `json:"agent"`
	Amount    *string       `json:"amount"`
	Nonce     *uint64       `json:"nonce"`
	ChainID   *uint64       `json:"chainId"`
	Signature *string       `json:"signature"`
}

// Voucher returns the EIP-712 voucher p's signature signs.
func (p Payment) Voucher() cove.Voucher {
	return cove.Voucher{ChainID: p.ChainID, Channel: p.Channel, Agent: p.Agent, Amount: p.Amount, Nonce: p.Nonce}
}

// Header returns the Cove-Payment header value of a signed p.
func (p Payment) Header() string {
	if p.Word != nil {
		return p.wordHeader()
	}
	sig := "0x" + hex.EncodeToString(p.Signature[:])
	amount := p.Amount.String()
	b, _ := json.Marshal(paymentJSON{ // numbers, strings and an id: it cannot fail
		Channel: &p.Channel, Agent: &p.Agent, Amount: &amount, Nonce: &p.Nonce, ChainID: &p.ChainID, Signature: &sig,
	})
	return base64.RawURLEncoding.EncodeToString(b)
}

// ErrBadPayment is returned by ParsePayment for a Cove-Payment that is not
// one.
var ErrBadPayment = errors.New("malformed " + HeaderPayment)

// maxUint256 is 2^256-1, the largest amount.
var maxUint256 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// ParsePayment decodes a Cove-Payment header value strictly. A voucher
// is base64url without padding of a JSON object with exactly the fields
// channel, agent (0x + 64 hex digits), amount (a canonical decimal string
// up to 2^256-1), nonce, chainId (numbers) and signature (0x + 130 hex
// digits, v 27 or 28); a hash-chain word is the positional form after
// wordPrefix. It checks the form only; the gateway checks what it says.
func ParsePayment(h string) (Payment, error) {
	if len(h) > MaxPaymentHeaderBytes {
		return Payment{}, fmt.Errorf("%w: longer than %d bytes", ErrBadPayment, MaxPaymentHeaderBytes)
	}
	if strings.HasPrefix(h, wordPrefix) {
		return parseWord(h)
	}
	// Only the base64url alphabet: Go's decoder skips CR and LF, which
	// must not pass (a gateway writes the value to its ledger, a line per
	// voucher).
	for i := 0; i < len(h); i++ {
		if c := h[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return Payment{}, fmt.Errorf("%w: not base64url without padding", ErrBadPayment)
		}
	}
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return Payment{}, fmt.Errorf("%w: not base64url without padding", ErrBadPayment)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j paymentJSON
	if err := dec.Decode(&j); err != nil {
		return Payment{}, fmt.Errorf("%w: %v", ErrBadPayment, err)
	}
	if dec.More() {
		return Payment{}, fmt.Errorf("%w: data after the JSON object", ErrBadPayment)
	}
	if j.Channel == nil || j.Agent == nil || j.Amount == nil || j.Nonce == nil || j.ChainID == nil || j.Signature == nil {
		return Payment{}, fmt.Errorf("%w: want the fields channel, agent, amount, nonce, chainId and signature", ErrBadPayment)
	}
	amount, err := parseUint256(*j.Amount, "amount")
	if err != nil {
		return Payment{}, err
	}
	s := *j.Signature
	sig, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if !strings.HasPrefix(s, "0x") || err != nil || len(sig) != 65 || (sig[64] != 27 && sig[64] != 28) {
		return Payment{}, fmt.Errorf("%w: signature must be 0x + 65 bytes r‖s‖v with v 27 or 28", ErrBadPayment)
	}
	return Payment{Channel: *j.Channel, Agent: *j.Agent, Amount: amount, Nonce: *j.Nonce, ChainID: *j.ChainID, Signature: [65]byte(sig)}, nil
}

// The word form of Cove-Payment (ADR 26) is parsed on every call of a
// channel paid by hash chain, so it is positional text rather than JSON
// (whose decoding cost ~20 µs a call here): wordPrefix, then fields
// separated by ".": chainId, channel, agent, nonce, base, unit, count,
// root, signature, k, word; numbers in canonical decimal, the agent, root,
// signature (r‖s‖v) and word in lowercase hex without 0x.
const wordPrefix = "hc1."

// wordFields is how many fields follow wordPrefix.
const wordFields = 11

// wordHeader returns the word form of p (p.Word set).
func (p Payment) wordHeader() string {
	w := p.Word
	b := make([]byte, 0, 420)
	b = append(b, wordPrefix...)
	b = strconv.AppendUint(b, p.ChainID, 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, p.Channel, 10)
	b = append(b, '.')
	b = hex.AppendEncode(b, p.Agent[:])
	b = append(b, '.')
	b = strconv.AppendUint(b, p.Nonce, 10)
	b = append(b, '.')
	b = w.Base.Append(b, 10)
	b = append(b, '.')
	b = w.Unit.Append(b, 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, w.Count, 10)
	b = append(b, '.')
	b = hex.AppendEncode(b, w.Root[:])
	b = append(b, '.')
	b = hex.AppendEncode(b, p.Signature[:])
	b = append(b, '.')
	b = strconv.AppendUint(b, w.K, 10)
	b = append(b, '.')
	b = hex.AppendEncode(b, w.W[:])
	return string(b)
}

// parseWord parses the word form strictly: wordPrefix and wordFields
// canonical fields (see wordPrefix), a total Base + K·Unit up to 2^256-1.
func parseWord(h string) (Payment, error) {
	var f [wordFields]string
	rest := h[len(wordPrefix):]
	for i := range f {
		if i == wordFields-1 {
			f[i] = rest
			break
		}
		var ok bool
		if f[i], rest, ok = strings.Cut(rest, "."); !ok {
			return Payment{}, fmt.Errorf("%w: a hash-chain word has %d fields after %q, separated by \".\": chainId.channel.agent.nonce.base.unit.count.root.signature.k.word", ErrBadPayment, wordFields, wordPrefix)
		}
	}
	var (
		p   Payment
		w   HashWord
		err error
	)
	num := func(s, name string, v *uint64) {
		if err == nil {
			*v, err = parseCanonicalUint(s, name)
		}
	}
	hexTo := func(s, name string, dst []byte) {
		if err == nil && (len(s) != 2*len(dst) || !lowerHex(s)) {
			err = fmt.Errorf("%w: %s must be %d lowercase hex digits", ErrBadPayment, name, 2*len(dst))
		}
		if err == nil {
			hex.Decode(dst, []byte(s))
		}
	}
	num(f[0], "chainId", &p.ChainID)
	num(f[1], "channel", &p.Channel)
	hexTo(f[2], "agent", p.Agent[:])
	num(f[3], "nonce", &p.Nonce)
	if err == nil {
		w.Base, err = parseUint256(f[4], "base")
	}
	if err == nil {
		w.Unit, err = parseUint256(f[5], "unit")
	}
	num(f[6], "count", &w.Count)
	hexTo(f[7], "root", w.Root[:])
	hexTo(f[8], "signature", p.Signature[:])
	num(f[9], "k", &w.K)
	hexTo(f[10], "word", w.W[:])
	if err != nil {
		return Payment{}, err
	}
	if v := p.Signature[64]; v != 27 && v != 28 {
		return Payment{}, fmt.Errorf("%w: signature must be 65 bytes r‖s‖v with v 27 or 28", ErrBadPayment)
	}
	p.Word = &w
	if p.Amount = p.Commitment().Amount(w.K); p.Amount.Cmp(maxUint256) > 0 {
		return Payment{}, fmt.Errorf("%w: base + k·unit is above 2^256-1", ErrBadPayment)
	}
	return p, nil
}

// parseCanonicalUint parses a uint64 in canonical decimal (no sign, no
// leading zeros).
func parseCanonicalUint(s, name string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("%w: %s must be a decimal number up to 2^64-1 without leading zeros", ErrBadPayment, name)
	}
	return v, nil
}

// lowerHex reports whether s is lowercase hex digits only.
func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// parseUint256 parses a header's amount (ParseAmount).
func parseUint256(s, name string) (*big.Int, error) {
	v, ok := ParseAmount(s)
	if !ok {
		return nil, fmt.Errorf("%w: %s must be a decimal string of base units, 0 to 2^256-1, without leading zeros", ErrBadPayment, name)
	}
	return v, nil
}

// maxAmountDigits is the length of 2^256-1 in decimal.
const maxAmountDigits = 78

// ParseAmount parses an amount of base units as Cove's APIs write them:
// canonical decimal (no sign, no leading zeros), 0 to 2^256-1. A string
// longer than 2^256-1's 78 digits is refused before it is parsed
// (decimal parsing grows with the square of the digits).
func ParseAmount(s string) (*big.Int, bool) {
	if len(s) == 0 || len(s) > maxAmountDigits || s[0] == '0' && len(s) > 1 {
		return nil, false
	}
	// Digits only, checked here rather than by printing the value again:
	// a paid call parses two amounts, and this is on its path.
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return nil, false
		}
	}
	if len(s) <= 19 { // below 10^19 < 2^64
		n, _ := strconv.ParseUint(s, 10, 64)
		return new(big.Int).SetUint64(n), true
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok || v.Cmp(maxUint256) > 0 {
		return nil, false
	}
	return v, true
}

// PaymentTerms is what a 402 payment_required says besides the error
// (ErrorBody.Payment): the agent's price and how to pay it.
type PaymentTerms struct {
	Agent cove.AgentID `json:"agent"`
	// Price is what one call costs, in base units (10^18 per COVE).
	Price string `json:"price"`
	// ChainID and VoucherType say what a voucher signs (the EIP-712
	// domain {name: "Cove", version: "1", chainId} and type).
	ChainID     uint64 `json:"chainId"`
	VoucherType string `json:"voucherType"`
	// HashChainType is the EIP-712 type of a hash-chain commitment, the
	// other way to pay (ADR 26): one signature for up to
	// cove.MaxHashChainCount calls, each carrying the next word.
	HashChainType string `json:"hashChainType"`
	// Channel is the channel the refused voucher named, as this gateway
	// holds it, when it exists: the next voucher must carry at least
	// its NextAmount and NextNonce.
	Channel *ChannelState `json:"channel,omitempty"`
	// FreeTier is the agent's free calls, when it has some: a call
	// without a voucher is counted against them (per caller: the account
	// of a Cove-Auth signed for the call, or else the IP address).
	FreeTier *cove.FreeTier `json:"freeTier,omitempty"`
	// Workers are the workers this gateway runs the agent on now, the
	// least busy first: a channel is bound to one of them (its verifier,
	// ADR 25), the only worker that takes its vouchers.
	Workers []cove.Hash `json:"workers,omitempty"`
	// HowToPay says how to open a channel and pay, for people.
	HowToPay string `json:"howToPay"`
}

// ChannelState is a payment channel as a gateway sees it (GET
// /v1/channels/{id}): its chain record and the highest voucher this
// gateway accepted.
type ChannelState struct {
	ID    uint64       `json:"id"`
	Payer cove.Address `json:"payer"`
	Agent cove.AgentID `json:"agent"`
	// Deposit and Redeemed are the chain's, in base units.
	Deposit  string `json:"deposit"`
	Redeemed string `json:"redeemed"`
	// Open is false once the payer asked to close it: vouchers are
	// refused then. ClosesAt (Unix seconds) is when the payer may settle.
	Open     bool  `json:"open"`
	ClosesAt int64 `json:"closesAt,omitempty"`
	// Verifier is the worker the channel is bound to, the only one that
	// takes its vouchers (ADR 25); zero: none, and nobody takes them.
	Verifier cove.Hash `json:"verifier,omitzero"`
	// Accepted and AcceptedNonce are the highest voucher the gateway
	// knows of (its own worker's ledger for a channel bound to it; else
	// its pre-check and what the channel's worker last reported), or the
	// chain's redeemed total if higher.
	Accepted      string `json:"accepted"`
	AcceptedNonce uint64 `json:"acceptedNonce"`
	// Price is the agent's price now; NextAmount (Accepted + Price) and
	// NextNonce the least the next voucher may carry.
	Price      string `json:"price"`
	NextAmount string `json:"nextAmount"`
	NextNonce  uint64 `json:"nextNonce"`
}

// Redeemable is a voucher a gateway accepted that adds to its channel's
// redeemed total (GET /v1/agents/{id}/vouchers, for the agent's owner):
// what a Redeem transaction takes, or with HashChain set, a word of a
// hash chain and its commitment: what a RedeemHashChain takes.
type Redeemable struct {
	Channel uint64       `json:"channel"`
	Payer   cove.Address `json:"payer"`
	Amount  string       `json:"amount"`
	// Nonce is the voucher's, or the commitment's.
	Nonce uint64 `json:"nonce"`
	// Signature is the payer's, 0x-hex: of the voucher, or of the
	// commitment.
	Signature string `json:"signature"`
	// Redeemed is what the chain has redeemed of the channel so far.
	Redeemed string `json:"redeemed"`
	// HashChain is set for a word (ADR 26); Amount is then Base + K·Unit.
	HashChain *RedeemableWord `json:"hashChain,omitempty"`
}

// RedeemableWord is a redeemable word of a hash chain: the commitment's
// fields besides channel, agent and nonce, the index K and the word.
type RedeemableWord struct {
	Base  string    `json:"base"`
	Unit  string    `json:"unit"`
	Count uint64    `json:"count"`
	Root  cove.Hash `json:"root"`
	K     uint64    `json:"k"`
	Word  cove.Hash `json:"word"`
}

// MergeRedeemables merges the redeemable vouchers of several gateways and
// workers: of each channel, the one with the highest amount (a channel's
// vouchers are cumulative, so the highest pays for every lower one), by
// channel.
func MergeRedeemables(lists ...[]Redeemable) []Redeemable {
	best := map[uint64]Redeemable{}
	amount := func(r Redeemable) *big.Int {
		v, ok := new(big.Int).SetString(r.Amount, 10)
		if !ok {
			return new(big.Int)
		}
		return v
	}
	for _, l := range lists {
		for _, r := range l {
			if b, ok := best[r.Channel]; !ok || amount(r).Cmp(amount(b)) > 0 {
				best[r.Channel] = r
			}
		}
	}
	out := make([]Redeemable, 0, len(best))
	for _, r := range best {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Redeemable) int { return cmp.Compare(a.Channel, b.Channel) })
	return out
}
