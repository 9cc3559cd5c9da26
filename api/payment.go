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
	"strings"

	"github.com/cove-network/cove"
)

// HeaderPayment carries the voucher that pays one call of a priced agent
// (docs/PROTOCOL.md "Paid calls"): the base64url encoding (no padding) of
// the JSON of a [Payment]. The gateway checks it before the agent runs; no
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
// the one with voucher nonce Nonce.
type Payment struct {
	Channel uint64       `json:"channel"`
	Agent   cove.AgentID `json:"agent"`
	Amount  *big.Int     `json:"amount"`
	Nonce   uint64       `json:"nonce"`
	// ChainID is the Cove chain's numeric id (the EIP-712 domain's).
	ChainID uint64 `json:"chainId"`
	// Signature is r‖s‖v (v 27 or 28, low s) over Voucher().Digest().
	Signature [65]byte `json:"-"`
}

// paymentJSON is the header's JSON: amount a decimal string, the
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

// ParsePayment decodes a Cove-Payment header value strictly: base64url
// without padding of a JSON object with exactly the fields channel,
// agent (0x + 64 hex digits), amount (a canonical decimal string up to
// 2^256-1), nonce, chainId (numbers) and signature (0x + 130 hex digits,
// v 27 or 28). It checks the form only; the gateway checks what it says.
func ParsePayment(h string) (Payment, error) {
	if len(h) > MaxPaymentHeaderBytes {
		return Payment{}, fmt.Errorf("%w: longer than %d bytes", ErrBadPayment, MaxPaymentHeaderBytes)
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
	amount, ok := new(big.Int).SetString(*j.Amount, 10)
	if !ok || amount.Sign() < 0 || amount.Cmp(maxUint256) > 0 || amount.String() != *j.Amount {
		return Payment{}, fmt.Errorf("%w: amount must be a decimal string of base units, 0 to 2^256-1, without leading zeros", ErrBadPayment)
	}
	s := *j.Signature
	sig, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if !strings.HasPrefix(s, "0x") || err != nil || len(sig) != 65 || (sig[64] != 27 && sig[64] != 28) {
		return Payment{}, fmt.Errorf("%w: signature must be 0x + 65 bytes r‖s‖v with v 27 or 28", ErrBadPayment)
	}
	return Payment{Channel: *j.Channel, Agent: *j.Agent, Amount: amount, Nonce: *j.Nonce, ChainID: *j.ChainID, Signature: [65]byte(sig)}, nil
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
// what a Redeem transaction takes.
type Redeemable struct {
	Channel uint64       `json:"channel"`
	Payer   cove.Address `json:"payer"`
	Amount  string       `json:"amount"`
	Nonce   uint64       `json:"nonce"`
	// Signature is the payer's, 0x-hex.
	Signature string `json:"signature"`
	// Redeemed is what the chain has redeemed of the channel so far.
	Redeemed string `json:"redeemed"`
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
