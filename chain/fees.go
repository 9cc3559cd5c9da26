package chain

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"reflect"
	"slices"
	"strconv"

	"github.com/cove-network/cove"
)

// Fees and the supply (issue 10, ADR 22). Every transaction pays
// Params.Fees.Fee(type, size) from its sender before its message runs,
// and keeps paying when the message then fails: spam costs what it asks
// of the chain. A sender who cannot pay, or whose signed maxFee is under
// the fee, is refused before anything happens (the nonce is not used).
// Proposer percent of a fee goes to the operator of the validator that
// proposed the block (AddValidator's operator; the treasury for a
// validator without one, and in CheckTx) and the rest to the treasury.
// Fees move COVE between accounts: they never create or destroy it, so
// the supply record stays the sum of every balance.

// TreasuryAddress is the treasury's account: keccak256("cove/treasury")'s
// last 20 bytes. No key controls it.
var TreasuryAddress = func() (a cove.Address) {
	h := cove.Keccak256([]byte("cove/treasury"))
	copy(a[:], h[12:])
	return a
}()

// maxFeeParam bounds each fee parameter, in base units (10^18 COVE), so
// that no fee of a transaction of at most MaxTxBytes passes 2^256-1.
var maxFeeParam = new(big.Int).Exp(big.NewInt(10), big.NewInt(36), nil)

// EventFee is the fee a transaction paid (also on a failed one): payer,
// amount, proposer (the account paid the proposer's share; absent when
// the treasury took it all), proposerAmount, treasuryAmount.
const EventFee = "fee"

// FeeParams are the fee parameters (Params.Fees). All zero, the default,
// is a chain without fees. Amounts are decimal strings of base units.
type FeeParams struct {
	// Base is the fee of one transaction of a type PerType does not list.
	Base string `json:"base"`
	// PerType replaces Base for the message types it names.
	PerType map[string]string `json:"per_type,omitempty"`
	// PerByte is paid for each byte of the transaction as sent.
	PerByte string `json:"per_byte"`
	// ProposerPercent of each fee (0 to 100) goes to the proposer's
	// operator, the rest to the treasury.
	ProposerPercent uint64 `json:"proposer_percent"`
}

// IsZero reports whether f is the default: no fees.
func (f FeeParams) IsZero() bool {
	return f.Base == "" && len(f.PerType) == 0 && f.PerByte == "" && f.ProposerPercent == 0
}

// Validate checks the fee parameters: amounts in canonical decimal up to
// 10^36, known message types, a percent up to 100.
func (f FeeParams) Validate() error {
	if f.IsZero() {
		return nil
	}
	check := func(name, s string) error {
		v, err := parseAmount(s)
		if err != nil {
			return fmt.Errorf("fees: %s: %v", name, err)
		}
		if v.Cmp(maxFeeParam) > 0 {
			return fmt.Errorf("fees: %s %s is above 10^36", name, s)
		}
		return nil
	}
	if err := check("base", f.Base); err != nil {
		return err
	}
	if err := check("per_byte", f.PerByte); err != nil {
		return err
	}
	for _, typ := range slices.Sorted(maps.Keys(f.PerType)) {
		if !isMsgType(typ) {
			return fmt.Errorf("fees: per_type: unknown message type %s (want %s)", clip(strconv.Quote(typ)), msgTypeList())
		}
		if err := check("per_type "+typ, f.PerType[typ]); err != nil {
			return err
		}
	}
	if f.ProposerPercent > 100 {
		return fmt.Errorf("fees: proposer_percent %d is above 100", f.ProposerPercent)
	}
	return nil
}

// isMsgType and msgTypeList read the message table, which refers to
// FeeParams.Validate (through UpdateParams) and SetSponsorPolicy's exec:
// set at init to break the initialization cycle.
var (
	isMsgType   func(string) bool
	msgTypeList func() string
	// sponsoredTx is execSponsoredTx, which decodes and runs messages of
	// the table (its inner one): the table's entry calls it through this.
	sponsoredTx func(o *overlay, sender cove.Address, m SponsoredTx, ctx execContext) ([]Event, *failure)
)

func init() {
	isMsgType = func(name string) bool { return messages.byName[name] != nil }
	msgTypeList = func() string { return messages.want }
	sponsoredTx = execSponsoredTx
}

// Fee returns the fee of a transaction of type typ and size bytes:
// PerType[typ] (or Base) + PerByte·size. f must be valid.
func (f FeeParams) Fee(typ string, size int) *big.Int {
	if f.IsZero() {
		return new(big.Int)
	}
	base := f.Base
	if s, ok := f.PerType[typ]; ok {
		base = s
	}
	fee, _ := new(big.Int).SetString(base, 10)
	perByte, _ := new(big.Int).SetString(f.PerByte, 10)
	return fee.Add(fee, perByte.Mul(perByte, big.NewInt(int64(size))))
}

// split returns the proposer's and the treasury's parts of fee.
func (f FeeParams) split(fee *big.Int) (proposer, treasury *big.Int) {
	proposer = new(big.Int).Mul(fee, new(big.Int).SetUint64(f.ProposerPercent))
	proposer.Quo(proposer, big.NewInt(100))
	return proposer, new(big.Int).Sub(fee, proposer)
}

// WithMaxFee returns m with its maxFee set to max (nil or 0: unset). A
// type without maxFee (a gatekeeper message) is an error.
func WithMaxFee(m Msg, max *big.Int) (Msg, error) {
	p := planOf(m)
	if p.maxFee < 0 {
		return nil, fmt.Errorf("a %s has no maxFee: its sender pays the fee the chain asks", m.Type())
	}
	if max != nil {
		if err := checkAmount(max); err != nil {
			return nil, fmt.Errorf("maxFee: %w", err)
		}
	}
	v := reflect.New(p.typ).Elem()
	v.Set(value(m))
	v.Field(p.maxFee).Set(reflect.ValueOf(max))
	return v.Interface().(Msg), nil
}

// FeePaid returns the fee the transaction paid (its fee event), 0 if none.
func (o TxOutcome) FeePaid() *big.Int {
	for _, e := range o.Events {
		if e.Type == EventFee {
			if v, ok := new(big.Int).SetString(e.Attr("amount"), 10); ok {
				return v
			}
		}
	}
	return new(big.Int)
}

// feeRecipient returns the account paid the proposer's share of the
// fees of block b: the operator of its proposer in the set the block
// starts with, or the treasury (also for an operator that is a vault's
// address or the channels' escrow: see heldAddress).
func feeRecipient(start reader, b *Block) cove.Address {
	if b == nil {
		return TreasuryAddress
	}
	s := validatorSet(start)
	addr := b.Proposer.String()
	for _, v := range s.Validators {
		if v.Address == addr && !v.Operator.IsZero() && heldAddress(start, v.Operator) == "" {
			return v.Operator
		}
	}
	return TreasuryAddress
}

// payFee takes fee from sender and pays it out; it returns the fee event.
// The caller checked the balance.
func payFee(o *overlay, sender cove.Address, fee *big.Int, p FeeParams, to cove.Address) Event {
	from := getAccount(o, sender)
	from.Balance.Sub(from.Balance, fee)
	putAccount(o, from)
	proposer, treasury := p.split(fee)
	if to == TreasuryAddress {
		proposer, treasury = new(big.Int), fee
	}
	credit := func(addr cove.Address, v *big.Int) {
		if v.Sign() > 0 {
			a := getAccount(o, addr)
			a.Balance.Add(a.Balance, v)
			putAccount(o, a)
		}
	}
	credit(to, proposer)
	credit(TreasuryAddress, treasury)
	attrs := []Attr{{"payer", sender.String()}, {"amount", fee.String()}}
	if proposer.Sign() > 0 {
		attrs = append(attrs, Attr{"proposer", to.String()}, Attr{"proposerAmount", proposer.String()})
	}
	attrs = append(attrs, Attr{"treasuryAmount", treasury.String()})
	return Event{Type: EventFee, Attrs: attrs}
}

// The supply record: the COVE in existence, kept by a chain whose
// genesis says "economics": true. Fees leave it unchanged; the code that
// mints (rewards) or burns changes it, so Total = genesis + Minted −
// Burned, and Total is the sum of every balance.
const keySupply = "supply"

// Supply is the supply record. Its JSON is
// {"total":"…","minted":"…","burned":"…"} in base units.
type Supply struct {
	Total, Minted, Burned *big.Int
}

// MarshalJSON writes the amounts as decimal strings.
func (s Supply) MarshalJSON() ([]byte, error) {
	var w objectWriter
	for _, f := range []struct {
		name string
		v    *big.Int
	}{{"total", s.Total}, {"minted", s.Minted}, {"burned", s.Burned}} {
		if err := checkAmount(f.v); err != nil {
			return nil, fmt.Errorf("supply: %s: %w", f.name, err)
		}
		w.raw(f.name, amountJSON(f.v))
	}
	return w.bytes()
}

// UnmarshalJSON reads {"total","minted","burned"} strictly.
func (s *Supply) UnmarshalJSON(b []byte) error {
	f, err := object(b, "total", "minted", "burned")
	if err != nil {
		return err
	}
	v := Supply{Total: f.amount("total"), Minted: f.amount("minted"), Burned: f.amount("burned")}
	if f.err != nil {
		return f.err
	}
	*s = v
	return nil
}

// ErrNoSupply is returned by View.Supply on a chain that keeps no supply
// record (its genesis predates it).
var ErrNoSupply = errors.New("this chain keeps no supply record (its genesis was made by a build before it did)")
