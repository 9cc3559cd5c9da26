package chain

import (
	"bytes"
	"maps"
	"testing"
)

func valKey(b byte) Bytes { return append(Bytes{b}, make(Bytes, 31)...) }

// newValidatorApp is newApp with two genesis validators, as CometBFT's
// InitChain gives them.
func newValidatorApp(t *testing.T) *App {
	t.Helper()
	g := testGenesis()
	g.ValidatorSet = true
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

	// Refusals: each changes one thing of a message that passes (the
	// control, last, on the same key), and leaves the set and CometBFT's
	// updates as they were.
	for _, tc := range []struct {
		name string
		from testKey
		msg  Msg
		code uint32
		log  string
	}{
		{"add again", alice, AddValidator{PubKey: valKey(3), Power: 5}, CodeExists, "already"},
		{"add a short key", alice, AddValidator{PubKey: valKey(4)[:31], Power: 5}, CodeInvalidArgument, "32-byte"},
		{"add with power 0", alice, AddValidator{PubKey: valKey(4), Power: 0}, CodeInvalidArgument, "power 0"},
		{"add with too much power", alice, AddValidator{PubKey: valKey(4), Power: MaxValidatorPower + 1}, CodeInvalidArgument, "power"},
		{"add a third of the power", alice, AddValidator{PubKey: valKey(4), Power: 13}, CodeInvalidArgument, "a third or more"},
		{"add with a control character in the name", alice, AddValidator{PubKey: valKey(4), Power: 1, Name: "a\nb"}, CodeInvalidArgument, "name"},
		{"add with a 65-byte name", alice, AddValidator{PubKey: valKey(4), Power: 1, Name: string(make([]byte, 65))}, CodeInvalidArgument, "name"},
		{"power of a stranger", alice, SetValidatorPower{PubKey: valKey(9), Power: 1}, CodeNotFound, "not a validator"},
		{"power 0", alice, SetValidatorPower{PubKey: valKey(3), Power: 0}, CodeInvalidArgument, "power 0"},
		{"power by a stranger", bob, SetValidatorPower{PubKey: valKey(3), Power: 6}, CodeUnauthorized, "only the admin"},
		{"remove a stranger", alice, RemoveValidator{PubKey: valKey(9)}, CodeNotFound, "not a validator"},
		{"remove by a stranger", bob, RemoveValidator{PubKey: valKey(3)}, CodeUnauthorized, "only the admin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := powers(a)
			res := block(t, a, tc.from.tx(t, withNonce(tc.msg, nonce(a, tc.from))))
			wantCode(t, res.TxResults[0], tc.code, tc.log)
			if got := powers(a); !maps.Equal(got, before) || len(res.ValidatorUpdates) != 0 {
				t.Fatalf("a refused change changed the set to %v, updates %+v", got, res.ValidatorUpdates)
			}
		})
	}
	// The controls: a name of 64 bytes and power 12 (new power under a
	// third: 36 < 37) pass on key 4; a validator already signing (key 3)
	// may be raised by more than a third.
	wantCode(t, one(t, a, alice.tx(t, AddValidator{PubKey: valKey(4), Power: 12, Name: string(bytes.Repeat([]byte("n"), 64)), Nonce: nonce(a, alice)})), CodeOK)
	wantCode(t, one(t, a, alice.tx(t, SetValidatorPower{PubKey: valKey(3), Power: 5 + 40, Nonce: nonce(a, alice)})), CodeOK)
	wantCode(t, one(t, a, alice.tx(t, SetValidatorPower{PubKey: valKey(3), Power: 5, Nonce: nonce(a, alice)})), CodeOK)
	wantCode(t, one(t, a, alice.tx(t, RemoveValidator{PubKey: valKey(4), Nonce: nonce(a, alice)})), CodeOK)

	// The rule is over the whole block, against the set it started with
	// (10+10+5 = 25 signing): two adds of 9 (18 new of 43), an add then a
	// raise of the new one, an add then the removal of a signing one
	// (8 new of 23) are refused at their second transaction; the first
	// passes alone.
	for _, tc := range []struct {
		name   string
		second Msg
	}{
		{"two adds", AddValidator{PubKey: valKey(7), Power: 9}},
		{"raise the new one", SetValidatorPower{PubKey: valKey(6), Power: 30}},
		{"remove a signing one", RemoveValidator{PubKey: valKey(1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := Msg(AddValidator{PubKey: valKey(6), Power: 9})
			if tc.name == "remove a signing one" {
				first = AddValidator{PubKey: valKey(6), Power: 8}
			}
			before := powers(a)
			n := nonce(a, alice)
			res := block(t, a, alice.tx(t, withNonce(first, n)), alice.tx(t, withNonce(tc.second, n+1)))
			wantCode(t, res.TxResults[0], CodeOK)
			wantCode(t, res.TxResults[1], CodeInvalidArgument, "not signing yet")
			if len(res.ValidatorUpdates) != 1 || !bytes.Equal(res.ValidatorUpdates[0].PubKey, valKey(6)) {
				t.Fatalf("updates %+v", res.ValidatorUpdates)
			}
			// Undo the first for the next case.
			wantCode(t, one(t, a, alice.tx(t, RemoveValidator{PubKey: valKey(6), Nonce: nonce(a, alice)})), CodeOK)
			if got := powers(a); !maps.Equal(got, before) {
				t.Fatalf("set %v, want %v", got, before)
			}
		})
	}

	// A key added and removed in one block makes no update (CometBFT
	// would refuse to remove a key it does not have, and halt).
	n0 := nonce(a, alice)
	res = block(t, a,
		alice.tx(t, AddValidator{PubKey: valKey(5), Power: 1, Nonce: n0}),
		alice.tx(t, RemoveValidator{PubKey: valKey(5), Nonce: n0 + 1}))
	wantCode(t, res.TxResults[1], CodeOK)
	if len(res.ValidatorUpdates) != 0 || len(powers(a)) != 3 {
		t.Fatalf("add and remove in one block: updates %+v, set %v", res.ValidatorUpdates, powers(a))
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

// TestNoValidatorSet: a chain whose genesis predates the kept set (no
// Genesis.ValidatorSet) has no set in state, the same genesis state as
// before, and refuses the validator messages; with the flag (the
// control) the same message passes.
func TestNoValidatorSet(t *testing.T) {
	g := testGenesis()
	g.ValidatorSet = false
	g.Validators = []Validator{{PubKey: valKey(1), Power: 10}}
	a := New()
	if _, err := a.InitChain(g); err != nil {
		t.Fatal(err)
	}
	if len(a.View().Validators()) != 0 {
		t.Fatalf("set %v", a.View().Validators())
	}
	old := testGenesis()
	old.ValidatorSet = false
	if !bytes.Equal(StateRoot(genesisWrites(g)), StateRoot(genesisWrites(old))) {
		t.Error("the genesis state of a chain without the flag changed with its validators")
	}
	wantCode(t, one(t, a, alice.tx(t, AddValidator{PubKey: valKey(2), Power: 1, Nonce: 0})), CodeInvalidArgument, "keeps no validator set")
	b := newValidatorApp(t)
	wantCode(t, one(t, b, alice.tx(t, AddValidator{PubKey: valKey(3), Power: 1, Nonce: 0})), CodeOK)
}
