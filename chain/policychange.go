package chain

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cove-network/cove"
)

// Bounds and defaults of TEEPolicy.ChangeDelay.
const (
	// DefaultTEEChangeDelay is the change delay of DefaultParams: two days.
	DefaultTEEChangeDelay = 2 * 24 * 3600
	// MinTEEChangeDelay is the least change delay a chain that is not a
	// development chain may have: one day, so that gatekeepers' operators
	// and users can see a widened policy coming and react.
	MinTEEChangeDelay = 24 * 3600
	// MaxTEEChangeDelay bounds TEEPolicy.ChangeDelay (90 days).
	MaxTEEChangeDelay = 90 * 24 * 3600
)

// State keys of the TEE policy's governance (see the package comment).
const (
	// keyDevelopment holds true on a development chain (Genesis.Development).
	// It is written once, at genesis: no transaction changes it.
	keyDevelopment = "meta/development"
	// keyPendingTEE holds the PendingTEEPolicy while a widening change waits.
	keyPendingTEE = "meta/tee_pending"
)

// Events of the TEE policy's governance.
const (
	// EventTEEPolicyScheduled: an UpdateParams widened the TEE policy; the
	// new policy takes effect at effectiveAt. Attributes: effectiveAt (RFC
	// 3339), admits (what it admits that the current one does not, "; "
	// separated), policy (its JSON).
	EventTEEPolicyScheduled = "tee_policy_scheduled"
	// EventTEEPolicyApplied: a scheduled policy took effect at the start of
	// a block. Attributes: scheduledAt (the height it was scheduled at),
	// policy (its JSON).
	EventTEEPolicyApplied = "tee_policy_applied"
	// EventTEEPolicyCancelled: an UpdateParams that narrowed the policy
	// cancelled a pending change. Attributes: scheduledAt, policy (the
	// cancelled policy's JSON).
	EventTEEPolicyCancelled = "tee_policy_cancelled"
)

// PendingTEEPolicy is a TEE policy that UpdateParams scheduled because it
// admits something the current policy does not; it replaces the current
// one at the first block whose time is at or after EffectiveAt.
type PendingTEEPolicy struct {
	Policy      TEEPolicy `json:"policy"`
	EffectiveAt time.Time `json:"effectiveAt"`
	// Admits lists what Policy admits that the policy current when it was
	// scheduled did not (see TEEPolicy.Widens).
	Admits []string     `json:"admits"`
	Admin  cove.Address `json:"admin"`
	Height int64        `json:"height"`
}

// Widens returns what t admits that from does not, one entry per item:
// a platform, a measurement or a sim vendor key that from does not list,
// a longer quote age, other (or no) TDX collateral, a changed or removed
// minimum TCB status, a shorter change delay. An empty result means t
// admits nothing from refuses: it may apply at once.
func (t TEEPolicy) Widens(from TEEPolicy) []string {
	var out []string
	for _, name := range t.AllowedTEEs {
		if !from.AllowsTEE(name) {
			out = append(out, "platform "+name)
		}
	}
	for _, m := range t.AllowedMeasurements {
		if !from.AllowsMeasurement(m) {
			out = append(out, "measurement "+m.String())
		}
	}
	for _, k := range t.SimVendorKeys {
		if !from.AllowsSimVendorKey(k) {
			out = append(out, "sim vendor key "+k.String())
		}
	}
	if t.QuoteAge() > from.QuoteAge() {
		out = append(out, "max_quote_age "+strconv.FormatInt(int64(t.QuoteAge()/time.Second), 10)+" s")
	}
	if !bytes.Equal(t.TDXCollateral, from.TDXCollateral) {
		out = append(out, "other tdx_collateral")
	}
	if t.TDXMinStatus != from.TDXMinStatus && !(from.TDXMinStatus == "" && t.TDXMinStatus != "") {
		out = append(out, fmt.Sprintf("tdx_min_status %q", t.TDXMinStatus))
	}
	if t.ChangeDelay < from.ChangeDelay {
		out = append(out, "change_delay "+strconv.FormatInt(t.ChangeDelay, 10)+" s")
	}
	return out
}

// CheckForChain checks the rules a policy must follow on a chain that is
// (development) or is not a development chain. Outside development:
//
//   - no "sim" platform and no sim vendor key: the simulated TEE's quotes
//     are forged by anyone holding its vendor key file, such as the admin;
//   - "tdx" only with collateral: without it, QE identity, the TDX module
//     signer, revocation lists and TCB status go unchecked;
//   - a change delay of at least MinTEEChangeDelay.
//
// Security: this is what stops the admin key alone from admitting a TEE it
// can forge and then receiving the master keys from honest gatekeepers.
// Genesis decides whether a chain is a development chain; no transaction
// can change it.
func (t TEEPolicy) CheckForChain(development bool) error {
	if development {
		return nil
	}
	if t.AllowsTEE("sim") || len(t.SimVendorKeys) > 0 {
		return errors.New("tee: the simulated TEE (sim) is INSECURE and allowed only on a development chain (genesis \"development\": true); this chain is not one")
	}
	if t.AllowsTEE("tdx") && len(t.TDXCollateral) == 0 {
		return errors.New("tee: tdx needs tee.tdx_collateral outside a development chain: without it quotes are checked by signature only (no QE identity, TDX module signer, revocation lists or TCB status)")
	}
	if t.ChangeDelay < MinTEEChangeDelay {
		return fmt.Errorf("tee: change_delay %d s is below %d s: outside a development chain, a policy change that admits more waits at least a day", t.ChangeDelay, MinTEEChangeDelay)
	}
	return nil
}

// isDevelopment reports whether the chain's genesis made it a development
// chain.
func isDevelopment(r reader) bool {
	var dev bool
	return getJSON(r, keyDevelopment, &dev) && dev
}

// setTEEPolicy decides how UpdateParams changes the TEE policy from cur to
// next, and returns the policy in effect after the transaction with the
// events of the decision:
//
//   - next equal to cur (an update of other params): nothing changes, and
//     a pending change stays pending;
//   - next narrows cur (admits nothing cur refuses): it applies at once
//     and cancels a pending change, which would have been decided against
//     an older policy;
//   - next widens cur: with a zero change delay it applies at once (and
//     cancels a pending change); else it is scheduled for cur.ChangeDelay
//     after the block time, replacing a pending change, unless next is the
//     pending policy itself, whose schedule then stays.
func setTEEPolicy(o *overlay, sender cove.Address, cur, next TEEPolicy, ctx execContext) (TEEPolicy, []Event) {
	if bytes.Equal(mustJSON(next), mustJSON(cur)) {
		return cur, nil
	}
	var pend PendingTEEPolicy
	pending := getJSON(o, keyPendingTEE, &pend)
	widens := next.Widens(cur)
	if len(widens) == 0 || cur.ChangeDelay == 0 {
		if !pending {
			return next, nil
		}
		o.set(keyPendingTEE, nil)
		return next, []Event{{Type: EventTEEPolicyCancelled, Attrs: []Attr{
			{"scheduledAt", strconv.FormatInt(pend.Height, 10)},
			{"policy", string(mustJSON(pend.Policy))},
		}}}
	}
	if pending && bytes.Equal(mustJSON(pend.Policy), mustJSON(next)) {
		return cur, nil
	}
	pend = PendingTEEPolicy{
		Policy:      next,
		EffectiveAt: ctx.time.Add(time.Duration(cur.ChangeDelay) * time.Second),
		Admits:      widens,
		Admin:       sender,
		Height:      ctx.height,
	}
	putJSON(o, keyPendingTEE, pend)
	return cur, []Event{{Type: EventTEEPolicyScheduled, Attrs: []Attr{
		{"effectiveAt", pend.EffectiveAt.UTC().Format(time.RFC3339)},
		{"admits", joinAdmits(widens)},
		{"policy", string(mustJSON(next))},
	}}}
}

func joinAdmits(a []string) string {
	var b bytes.Buffer
	for i, s := range a {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// applyPendingTEEPolicy is the begin-block hook that puts a scheduled TEE
// policy into effect once the block time reaches its EffectiveAt.
func applyPendingTEEPolicy(o *overlay, ctx execContext) ([]Event, []ValidatorUpdate) {
	var pend PendingTEEPolicy
	if !getJSON(o, keyPendingTEE, &pend) || ctx.time.Before(pend.EffectiveAt) {
		return nil, nil
	}
	p := getParams(o)
	p.TEE = pend.Policy
	putJSON(o, keyParams, p)
	o.set(keyPendingTEE, nil)
	return []Event{{Type: EventTEEPolicyApplied, Attrs: []Attr{
		{"scheduledAt", strconv.FormatInt(pend.Height, 10)},
		{"policy", string(mustJSON(pend.Policy))},
	}}}, nil
}
