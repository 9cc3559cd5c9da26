package chain

import (
	"bytes"
	"testing"
)

func valKey(b byte) Bytes { return append(Bytes{b}, make(Bytes, 31)...) }

// newValidatorApp is newApp with two genesis validators, as CometBFT's
// InitChain gives them.
func newValidatorApp(t *testing.T) *App {
	t.Helper()
	g := testGenesis()
	g.Validators = []Validator{{PubKey: valKey(1), Power: 10}, {PubKey: valKey(2), Power: 10}}
	a := New()
	if _, err := a.InitChain(g); err != nil {
		t.Fatal(err)
	}
	return a
}

func powers(a *App) map[string]int64 {
	out := map[string]int64{}
	for _, v := range a.View().Validators() {
		out[v.PubKey.String()] = v.Power
	}
	return out
}

// TestValidatorSet: the admin adds, re-weights and removes validators; each
// change is in state at once and reaches CometBFT as an update at the end
// of its block; refusals (each beside the same message that passes) change
// nothing.
func TestValidatorSet(t *testing.T) {
	a := newValidatorApp(t)
	if got := powers(a); len(got) != 2 || got[valKey(1).String()] != 10 {
		t.Fatalf("genesis set %v", got)
	}

	// A stranger may not; the admin may (same message).
	add := AddValidator{PubKey: valKey(3), Power: 5, Name: "node3"}
	add.Nonce = nonce(a, bob)
	wantCode(t, one(t, a, bob.tx(t, add)), CodeUnauthorized, "only the admin")
	add.Nonce = nonce(a, alice)
	res := block(t, a, alice.tx(t, add))
	wantCode(t, res.TxResults[0], CodeOK)
	if len(res.ValidatorUpdates) != 1 || !bytes.Equal(res.ValidatorUpdates[0].PubKey, valKey(3)) || res.ValidatorUpdates[0].Power != 5 {
		t.Fatalf("updates %+v", res.ValidatorUpdates)
	}
	if got := powers(a); len(got) != 3 || got[valKey(3).String()] != 5 {
		t.Fatalf("set %v", got)
	}
	if v := a.View().Validators(); v[0].Address > v[1].Address || v[1].Address > v[2].Address {
		t.Errorf("not sorted by address: %+v", v)
	}
	// The next block carries no update.
	if res := block(t, a); len(res.ValidatorUpdates) != 0 {
		t.Errorf("an empty block repeats updates %+v", res.ValidatorUpdates)
	}

	// Refusals: each changes one thing of a message that passes.
	for _, tc := range []struct {
		name string
		msg  Msg
		code uint32
		log  string
	}{
		{"add again", AddValidator{PubKey: valKey(3), Power: 5}, CodeExists, "already"},
		{"add a short key", AddValidator{PubKey: valKey(4)[:31], Power: 5}, CodeInvalidArgument, "32-byte"},
		{"add with power 0", AddValidator{PubKey: valKey(4), Power: 0}, CodeInvalidArgument, "power 0"},
		{"add with too much power", AddValidator{PubKey: valKey(4), Power: MaxValidatorPower + 1}, CodeInvalidArgument, "power"},
		{"add with a control character in the name", AddValidator{PubKey: valKey(4), Power: 1, Name: "a\nb"}, CodeInvalidArgument, "name"},
		{"power of a stranger", SetValidatorPower{PubKey: valKey(9), Power: 1}, CodeNotFound, "not a validator"},
		{"power 0", SetValidatorPower{PubKey: valKey(3), Power: 0}, CodeInvalidArgument, "power 0"},
		{"remove a stranger", RemoveValidator{PubKey: valKey(9)}, CodeNotFound, "not a validator"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := powers(a)
			m := withNonce(tc.msg, nonce(a, alice))
			wantCode(t, one(t, a, alice.tx(t, m)), tc.code, tc.log)
			if got := powers(a); len(got) != len(before) {
				t.Fatalf("a refused change changed the set: %v", got)
			}
		})
	}

	// Two changes of one key in a block reach CometBFT as the last one.
	n := nonce(a, alice)
	res = block(t, a,
		alice.tx(t, SetValidatorPower{PubKey: valKey(3), Power: 7, Nonce: n}),
		alice.tx(t, SetValidatorPower{PubKey: valKey(3), Power: 8, Nonce: n + 1}))
	if len(res.ValidatorUpdates) != 1 || res.ValidatorUpdates[0].Power != 8 || powers(a)[valKey(3).String()] != 8 {
		t.Fatalf("updates %+v, set %v", res.ValidatorUpdates, powers(a))
	}

	// Removal: power 0 goes to CometBFT; the last validator cannot go.
	for _, k := range []Bytes{valKey(3), valKey(1)} {
		res = block(t, a, alice.tx(t, RemoveValidator{PubKey: k, Nonce: nonce(a, alice)}))
		wantCode(t, res.TxResults[0], CodeOK)
		if len(res.ValidatorUpdates) != 1 || res.ValidatorUpdates[0].Power != 0 {
			t.Fatalf("updates %+v", res.ValidatorUpdates)
		}
	}
	wantCode(t, one(t, a, alice.tx(t, RemoveValidator{PubKey: valKey(2), Nonce: nonce(a, alice)})), CodeInvalidArgument, "last validator")
	if got := powers(a); len(got) != 1 || got[valKey(2).String()] != 10 {
		t.Fatalf("set %v", got)
	}
}

// withNonce sets the nonce of a validator-set message.
func withNonce(m Msg, n uint64) Msg {
	switch m := m.(type) {
	case AddValidator:
		m.Nonce = n
		return m
	case RemoveValidator:
		m.Nonce = n
		return m
	case SetValidatorPower:
		m.Nonce = n
		return m
	}
	panic("withNonce: " + m.Type())
}
