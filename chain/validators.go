package chain

import (
	"bytes"
	"crypto/ed25519"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/cove-network/cove"
)

// The validator set in state (issue 10, "A validator set that can
// change"): the genesis validators, then what the admin's AddValidator,
// RemoveValidator and SetValidatorPower make of it. A change takes effect
// in CometBFT from the block after next (it reads the end-block hook's
// ValidatorUpdates); the state's set says what was decided.
const keyValidators = "validators" // ValidatorSet: the set, by address

// MaxValidatorPower bounds one validator's voting power and MaxValidators
// the set: together far under CometBFT's MaxTotalVotingPower
// (MaxInt64/8), which it refuses to exceed.
const (
	MaxValidatorPower = 1 << 40
	MaxValidators     = 150
	maxValidatorName  = 64
)

// Event types of the validator set.
const (
	EventValidatorAdded   = "validator_added"   // address, pubKey, power, name, operator (if set)
	EventValidatorRemoved = "validator_removed" // address
	EventValidatorPower   = "validator_power"   // address, power
)

// ValidatorRecord is one validator of the set.
type ValidatorRecord struct {
	Address string `json:"address"` // 0x + 40 hex: CometBFT's address of PubKey
	PubKey  Bytes  `json:"pubKey"`  // Ed25519, 32 bytes
	Power   int64  `json:"power"`
	Name    string `json:"name,omitempty"`
	// Since is the height of the block that added it (0: genesis).
	Since int64 `json:"since"`
	// Operator is paid the proposer's share of the fees of the blocks
	// it proposes (AddValidator's operator; unset: the treasury).
	Operator cove.Address `json:"operator,omitzero"`
}

// ValidatorSet is the set, sorted by address.
type ValidatorSet struct {
	Validators []ValidatorRecord `json:"validators"`
}

func (s ValidatorSet) find(pub []byte) int {
	return slices.IndexFunc(s.Validators, func(v ValidatorRecord) bool { return bytes.Equal(v.PubKey, pub) })
}

func validatorSet(r reader) ValidatorSet {
	var s ValidatorSet
	getJSON(r, keyValidators, &s)
	return s
}

// keptSet returns the set, refusing on a chain that keeps none (made by
// a build before the set was kept).
func keptSet(o *overlay) (ValidatorSet, *failure) {
	var s ValidatorSet
	if !getJSON(o, keyValidators, &s) {
		return s, fail(CodeInvalidArgument, "this chain keeps no validator set (its genesis was made by a build before it did): its validators cannot change by transaction")
	}
	return s, nil
}

// checkNewPower refuses a set in which validators that were not in the
// set the block started with (so not signing yet) hold a third or more of
// the power, whatever this block's changes were (adds, raises of new
// ones, removals and cuts of signing ones): if they do not run, blocks
// stop. Raises of validators already signing do not count.
func checkNewPower(ctx execContext, after ValidatorSet) *failure {
	start := validatorSet(ctx.start)
	var fresh, total int64
	for _, v := range after.Validators {
		total += v.Power
		if start.find(v.PubKey) < 0 {
			fresh += v.Power
		}
	}
	if 3*fresh >= total {
		signing := total - fresh
		return fail(CodeInvalidArgument, "validators not signing yet would hold %d of the %d voting power, a third or more: if they do not run, blocks stop. Keep a new validator's power under half of what the signing ones hold (%d now), raise it in later blocks once it signs, or raise the signing ones first", fresh, total, signing)
	}
	return nil
}

// genesisValidators is the set CometBFT starts with, as InitChain gives it.
func genesisValidators(vs []Validator) ValidatorSet {
	s := ValidatorSet{Validators: []ValidatorRecord{}}
	for _, v := range vs {
		s.Validators = append(s.Validators, ValidatorRecord{Address: v.Address().String(), PubKey: bytes.Clone(v.PubKey), Power: v.Power, Name: v.Name})
	}
	slices.SortFunc(s.Validators, func(a, b ValidatorRecord) int { return strings.Compare(a.Address, b.Address) })
	return s
}

// AddValidator adds a validator with Ed25519 consensus key PubKey and
// voting power Power (the admin only).
type AddValidator struct {
	PubKey Bytes  `eip712:"pubKey"`
	Power  uint64 `eip712:"power"`
	Name   string `eip712:"name"`
	// Operator is the account paid the validator's share of the fees of
	// the blocks it proposes (optional: unset, the treasury is).
	Operator cove.Address `eip712:"operator,,optional"`
	// MaxFee is the most the sender pays for the transaction (optional:
	// unset, any fee the chain asks; see Params.Fees).
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

// RemoveValidator removes the validator with consensus key PubKey (the
// admin only); the last one cannot go.
type RemoveValidator struct {
	PubKey Bytes `eip712:"pubKey"`
	// MaxFee is the most the sender pays for the transaction (optional:
	// unset, any fee the chain asks; see Params.Fees).
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

// SetValidatorPower changes a validator's voting power (the admin only).
type SetValidatorPower struct {
	PubKey Bytes  `eip712:"pubKey"`
	Power  uint64 `eip712:"power"`
	// MaxFee is the most the sender pays for the transaction (optional:
	// unset, any fee the chain asks; see Params.Fees).
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

// adminOnly refuses a sender that is not the chain's admin.
func adminOnly(o *overlay, sender cove.Address, what string) *failure {
	p := getParams(o)
	if p.Admin.IsZero() {
		return fail(CodeUnauthorized, "this chain has no admin: nobody may %s", what)
	}
	if sender != p.Admin {
		return fail(CodeUnauthorized, "only the admin %s may %s, not %s", p.Admin, what, sender)
	}
	return nil
}

func checkValidatorKey(pub []byte) *failure {
	if len(pub) != ed25519.PublicKeySize {
		return fail(CodeInvalidArgument, "pubKey is %d bytes: want a 32-byte Ed25519 consensus key (`cove admin validator key --home DIR` prints a node's)", len(pub))
	}
	return nil
}

func checkPower(p uint64) *failure {
	if p < 1 || p > MaxValidatorPower {
		return fail(CodeInvalidArgument, "power %d: want 1 to %d (remove a validator with RemoveValidator)", p, uint64(MaxValidatorPower))
	}
	return nil
}

// validatorChange is what every change of the set checks first: the
// admin sends it, the key is an Ed25519 key, and the chain keeps a set.
func validatorChange(o *overlay, sender cove.Address, what string, pub []byte) (ValidatorSet, *failure) {
	if f := adminOnly(o, sender, what); f != nil {
		return ValidatorSet{}, f
	}
	if f := checkValidatorKey(pub); f != nil {
		return ValidatorSet{}, f
	}
	return keptSet(o)
}

func execAddValidator(o *overlay, sender cove.Address, m AddValidator, ctx execContext) ([]Event, *failure) {
	s, f := validatorChange(o, sender, "add validators", m.PubKey)
	if f != nil {
		return nil, f
	}
	if f := checkPower(m.Power); f != nil {
		return nil, f
	}
	if len(m.Name) > maxValidatorName || strings.ContainsFunc(m.Name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, fail(CodeInvalidArgument, "name: at most %d bytes, no control characters", maxValidatorName)
	}
	if s.find(m.PubKey) >= 0 {
		return nil, fail(CodeExists, "%s is a validator already (change its power with SetValidatorPower)", ValidatorAddressOf(m.PubKey))
	}
	if len(s.Validators) >= MaxValidators {
		return nil, fail(CodeInvalidArgument, "the set has %d validators, the most it may", len(s.Validators))
	}
	addr := ValidatorAddressOf(m.PubKey).String()
	s.Validators = append(s.Validators, ValidatorRecord{Address: addr, PubKey: bytes.Clone(m.PubKey), Power: int64(m.Power), Name: m.Name, Since: ctx.height, Operator: m.Operator})
	slices.SortFunc(s.Validators, func(a, b ValidatorRecord) int { return strings.Compare(a.Address, b.Address) })
	if f := checkNewPower(ctx, s); f != nil {
		return nil, f
	}
	putJSON(o, keyValidators, s)
	attrs := []Attr{{"address", addr}, {"pubKey", Bytes(m.PubKey).String()}, {"power", itoa(int64(m.Power))}, {"name", m.Name}}
	if !m.Operator.IsZero() {
		attrs = append(attrs, Attr{"operator", m.Operator.String()})
	}
	return []Event{{Type: EventValidatorAdded, Attrs: attrs}}, nil
}

func execRemoveValidator(o *overlay, sender cove.Address, m RemoveValidator, ctx execContext) ([]Event, *failure) {
	s, f := validatorChange(o, sender, "remove validators", m.PubKey)
	if f != nil {
		return nil, f
	}
	i := s.find(m.PubKey)
	if i < 0 {
		return nil, fail(CodeNotFound, "%s is not a validator", ValidatorAddressOf(m.PubKey))
	}
	if len(s.Validators) == 1 {
		return nil, fail(CodeInvalidArgument, "%s is the last validator: the chain would stop", s.Validators[i].Address)
	}
	addr := s.Validators[i].Address
	s.Validators = slices.Delete(s.Validators, i, i+1)
	if f := checkNewPower(ctx, s); f != nil {
		return nil, f
	}
	putJSON(o, keyValidators, s)
	return []Event{{Type: EventValidatorRemoved, Attrs: []Attr{{"address", addr}}}}, nil
}

func execSetValidatorPower(o *overlay, sender cove.Address, m SetValidatorPower, ctx execContext) ([]Event, *failure) {
	s, f := validatorChange(o, sender, "change validators' power", m.PubKey)
	if f != nil {
		return nil, f
	}
	if f := checkPower(m.Power); f != nil {
		return nil, f
	}
	i := s.find(m.PubKey)
	if i < 0 {
		return nil, fail(CodeNotFound, "%s is not a validator (add it with AddValidator)", ValidatorAddressOf(m.PubKey))
	}
	s.Validators[i].Power = int64(m.Power)
	if f := checkNewPower(ctx, s); f != nil {
		return nil, f
	}
	putJSON(o, keyValidators, s)
	return []Event{{Type: EventValidatorPower, Attrs: []Attr{{"address", s.Validators[i].Address}, {"power", itoa(int64(m.Power))}}}}, nil
}

// applyValidatorUpdates hands the block's validator changes to CometBFT
// (end-block hook): the difference between the set the block started
// with and the set it ends with, by address, so a key added and removed
// in one block makes no update and a key changed twice makes one.
func applyValidatorUpdates(o *overlay, ctx execContext) ([]Event, []ValidatorUpdate) {
	before, after := validatorSet(o.parent), validatorSet(o)
	var out []ValidatorUpdate
	for _, v := range after.Validators {
		if i := before.find(v.PubKey); i < 0 || before.Validators[i].Power != v.Power {
			out = append(out, ValidatorUpdate{PubKey: bytes.Clone(v.PubKey), Power: v.Power})
		}
	}
	for _, v := range before.Validators {
		if after.find(v.PubKey) < 0 {
			out = append(out, ValidatorUpdate{PubKey: bytes.Clone(v.PubKey), Power: 0})
		}
	}
	return nil, out
}

// Validators returns the committed validator set, sorted by address
// (empty, not nil, on a chain that keeps none).
func (v View) Validators() []ValidatorRecord {
	a := v.a
	a.mu.RLock()
	defer a.mu.RUnlock()
	if s := validatorSet(a.state).Validators; s != nil {
		return s
	}
	return []ValidatorRecord{}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
