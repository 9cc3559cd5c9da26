package chain

import (
	"bytes"
	"reflect"
	"testing"
)

// fuzzSeeds are valid transactions of every type plus near misses.
func fuzzSeeds(f *testing.F) {
	for _, m := range sampleMsgs(f) {
		b := alice.tx(f, m)
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add(bob.tx(f, worker("w", 0)))
	f.Add(alice.tx(f, transfer(bob, 1, 0)))
	f.Add([]byte(`{"type":"Transfer","message":{"to":"0x0000000000000000000000000000000000000000","amount":"0","nonce":0},"signature":"0x` +
		string(bytes.Repeat([]byte("00"), 65)) + `"}`))
	f.Add([]byte(`{"type":"UpdateParams","message":{"params":"{}","nonce":0},"signature":"0x00"}`))
	f.Add([]byte(`{}`))
}

// FuzzDecode: Decode never panics, and whatever it accepts re-encodes to a
// transaction that decodes to the same value, in a canonical form that is a
// fixed point of Encode.
func FuzzDecode(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := Decode(b)
		if err != nil {
			return
		}
		enc, err := tx.Encode()
		if err != nil {
			t.Fatalf("accepted %q but cannot encode it: %v", b, err)
		}
		tx2, err := Decode(enc)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not decode: %v", enc, b, err)
		}
		if !reflect.DeepEqual(tx, tx2) {
			t.Fatalf("%q decodes to %+v, its canonical form to %+v", b, tx, tx2)
		}
		if tx.Digest(testChainID) != tx2.Digest(testChainID) {
			t.Fatal("digest changed through re-encoding")
		}
		enc2, err := tx2.Encode()
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("canonical form is not stable: %q then %q", enc, enc2)
		}
	})
}

// FuzzCheckTx: CheckTx never panics and never changes the committed state.
func FuzzCheckTx(f *testing.F) {
	fuzzSeeds(f)
	a := newApp(f)
	a.SetVerifier(&testVerifier{})
	snap, hash := a.Snapshot(), a.AppHash()
	f.Fuzz(func(t *testing.T, b []byte) {
		r := a.CheckTx(b)
		if r.TxHash != TxHash(b) {
			t.Fatalf("result hash %s, want %s", r.TxHash, TxHash(b))
		}
		if r.Code != CodeOK && (r.Log == "" || len(r.Events) != 0) {
			t.Fatalf("refusal %d without a log or with events: %+v", r.Code, r)
		}
		if !bytes.Equal(a.AppHash(), hash) || !reflect.DeepEqual(a.Snapshot(), snap) {
			t.Fatalf("CheckTx(%q) changed the committed state", b)
		}
	})
}
