package chain

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
)

// provedApp returns an App after two blocks (alice pays bob in each; the
// second also creates carol's account), with the app hash after each.
func provedApp(t *testing.T) (a *App, hash1, hash2 []byte, alice1 []byte) {
	t.Helper()
	a = newApp(t)
	hash1 = block(t, a, alice.tx(t, transfer(bob, 5, 0))).AppHash
	alice1 = a.state[accountKey(alice.addr)]
	hash2 = block(t, a, alice.tx(t, transfer(bob, 7, 1)), bob.tx(t, transfer(carol, 1, 0))).AppHash
	return a, hash1, hash2, alice1
}

func mustProve(t *testing.T, a *App, key string) StateProof {
	t.Helper()
	p, err := a.View().Prove([]byte(key))
	if err != nil {
		t.Fatalf("prove %q: %v", key, err)
	}
	return p
}

// TestProve proves state at the height below the committed one: the state
// a header at the committed height certifies.
func TestProve(t *testing.T) {
	a, hash1, hash2, alice1 := provedApp(t)

	p := mustProve(t, a, accountKey(alice.addr))
	if p.Height != 1 || !bytes.Equal(p.Value, alice1) {
		t.Fatalf("proof at height %d of value %s, want height 1 and %s", p.Height, p.Value, alice1)
	}
	if err := p.Verify(hash1); err != nil {
		t.Fatalf("verify alice at height 1: %v", err)
	}
	if err := p.Verify(hash2); !errors.Is(err, ErrBadProof) {
		t.Errorf("verified against the app hash of another height: %v", err)
	}

	// An untouched key: its committed value, proven at height 1.
	p = mustProve(t, a, keyParams)
	if !bytes.Equal(p.Value, a.state[keyParams]) || p.Verify(hash1) != nil {
		t.Errorf("params: value %s, verify %v", p.Value, p.Verify(hash1))
	}

	// Absent at height 1: carol's account (made at height 2) and a key
	// that never existed.
	for _, key := range []string{accountKey(carol.addr), "nothing/here"} {
		p := mustProve(t, a, key)
		if p.Value != nil {
			t.Errorf("%q: value %s at height 1, want none", key, p.Value)
		}
		if err := p.Verify(hash1); err != nil {
			t.Errorf("%q: verify absence: %v", key, err)
		}
	}

	// After the next block, height 2 is provable and carol exists.
	hash3 := block(t, a).AppHash
	p = mustProve(t, a, accountKey(carol.addr))
	if p.Height != 2 || p.Value == nil || p.Verify(hash2) != nil {
		t.Errorf("carol at height %d: value %s, verify %v", p.Height, p.Value, p.Verify(hash2))
	}
	if err := p.Verify(hash3); err == nil {
		t.Error("a height-2 proof verified against the height-3 app hash")
	}
}

// TestProofForgeries changes one thing of an honest proof at a time; the
// honest proof (the control) verifies.
func TestProofForgeries(t *testing.T) {
	a, hash1, _, _ := provedApp(t)
	present := mustProve(t, a, accountKey(alice.addr))
	absent := mustProve(t, a, accountKey(carol.addr))
	bobs := mustProve(t, a, accountKey(bob.addr))
	// An absent key whose proof ends in an empty subtree, not at
	// another key's leaf.
	var noLeaf StateProof
	for i := 0; noLeaf.Key == nil; i++ {
		if p := mustProve(t, a, fmt.Sprintf("absent/%d", i)); p.Proof[len(p.Proof)-1] == 0 {
			noLeaf = p
		}
	}
	if absent.Proof[len(absent.Proof)-1] == 0 {
		t.Fatal("carol's proof of absence ends in an empty subtree: pick a key whose proof ends at another leaf")
	}
	for _, p := range []StateProof{present, absent, bobs, noLeaf} {
		if err := p.Verify(hash1); err != nil {
			t.Fatalf("control %q: %v", p.Key, err)
		}
	}
	flip := func(b []byte, i int) []byte {
		b = bytes.Clone(b)
		b[i] ^= 1
		return b
	}
	forged := map[string]StateProof{
		"another value":                  {Height: 1, Key: present.Key, Value: bytes.Replace(present.Value, []byte(`"995"`), []byte(`"999"`), 1), Proof: present.Proof},
		"absence of a present key":       {Height: 1, Key: present.Key, Proof: present.Proof},
		"absence with another's proof":   {Height: 1, Key: present.Key, Proof: absent.Proof},
		"a value for an absent key":      {Height: 1, Key: absent.Key, Value: present.Value, Proof: absent.Proof},
		"another key's proof":            {Height: 1, Key: bobs.Key, Value: present.Value, Proof: present.Proof},
		"a side node changed":            {Height: 1, Key: present.Key, Value: present.Value, Proof: flip(present.Proof, len(present.Proof)-2)},
		"a bit of the mask flipped":      {Height: 1, Key: present.Key, Value: present.Value, Proof: flip(present.Proof, 2)},
		"a byte appended":                {Height: 1, Key: present.Key, Value: present.Value, Proof: append(bytes.Clone(present.Proof), 0)},
		"truncated":                      {Height: 1, Key: present.Key, Value: present.Value, Proof: present.Proof[:len(present.Proof)-1]},
		"an empty value":                 {Height: 1, Key: absent.Key, Value: []byte{}, Proof: absent.Proof},
		"an empty value, no other leaf":  {Height: 1, Key: noLeaf.Key, Value: []byte{}, Proof: noLeaf.Proof},
		"a value proof with a leaf too":  {Height: 1, Key: present.Key, Value: present.Value, Proof: corruptLeaf(t, present.Proof)},
		"the other leaf is not a leaf":   {Height: 1, Key: absent.Key, Proof: append(bytes.Clone(absent.Proof[:len(absent.Proof)-leafDataLen]), append([]byte{1}, absent.Proof[len(absent.Proof)-leafDataLen+1:]...)...)},
		"no side nodes":                  {Height: 1, Key: present.Key, Value: present.Value, Proof: []byte{0, 0, 0}},
		"the absent key's leaf is wrong": {Height: 1, Key: absent.Key, Proof: corruptLeaf(t, absent.Proof)},
	}
	for name, p := range forged {
		if err := p.Verify(hash1); !errors.Is(err, ErrBadProof) {
			t.Errorf("%s: verify = %v, want ErrBadProof", name, err)
		}
	}
}

// corruptLeaf changes the other leaf of a proof of absence, or appends
// one to a proof that had none.
func corruptLeaf(t *testing.T, proof []byte) []byte {
	t.Helper()
	if proof[len(proof)-1] == 0 { // no leaf: claim one
		return append(proof[:len(proof)-1:len(proof)-1], append([]byte{leafDataLen, 0}, make([]byte, leafDataLen-1)...)...)
	}
	out := bytes.Clone(proof)
	out[len(out)-1] ^= 1
	return out
}

func TestProofEncoding(t *testing.T) {
	a, _, _, _ := provedApp(t)
	for _, key := range []string{accountKey(alice.addr), accountKey(carol.addr), keyBlock} {
		p := mustProve(t, a, key)
		d, err := decodeProof(p.Proof)
		if err != nil {
			t.Fatalf("%q: %v", key, err)
		}
		enc, err := encodeProof(d)
		if err != nil || !bytes.Equal(enc, p.Proof) {
			t.Errorf("%q: re-encoded %x, was %x (%v)", key, enc, p.Proof, err)
		}
	}
	for _, b := range [][]byte{nil, {0}, {1, 1}, {0, 1, 0x7f, 0}, {0, 1, 0x80, 1}, {0, 0, 2}} {
		if _, err := decodeProof(b); err == nil {
			t.Errorf("decoded %x", b)
		}
	}
}

// TestProveBeforeABlock: a fresh or loaded App cannot prove until its
// next block (the previous version is not rebuilt), then can.
func TestProveBeforeABlock(t *testing.T) {
	a := newApp(t)
	if _, err := a.View().Prove([]byte(keyParams)); !errors.Is(err, ErrNoProof) {
		t.Fatalf("prove after InitChain: %v, want ErrNoProof", err)
	}
	genesis := a.AppHash()
	block(t, a)
	if err := mustProve(t, a, keyParams).Verify(genesis); err != nil {
		t.Fatalf("genesis state after block 1: %v", err)
	}
	loaded, err := Load(a.Snapshot(), a.Height(), a.AppHash())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loaded.View().Prove([]byte(keyParams)); !errors.Is(err, ErrNoProof) {
		t.Fatalf("prove after Load: %v, want ErrNoProof", err)
	}
	h1 := loaded.AppHash()
	block(t, loaded)
	if err := mustProve(t, loaded, keyParams).Verify(h1); err != nil {
		t.Fatalf("after a block on the loaded App: %v", err)
	}
}

// TestLoadChecksRoot: a state whose Merkle root is not the stored app
// hash is refused at Load; the same state with its hash loads (control).
func TestLoadChecksRoot(t *testing.T) {
	a, _, _, _ := provedApp(t)
	snap := a.Snapshot()
	if _, err := Load(snap, a.Height(), a.AppHash()); err != nil {
		t.Fatalf("control: %v", err)
	}
	i := slices.IndexFunc(snap, func(kv KV) bool { return string(kv.Key) == accountKey(bob.addr) })
	corrupt := slices.Clone(snap)
	corrupt[i].Value = bytes.Replace(corrupt[i].Value, []byte(`"balance":"`), []byte(`"balance":"1`), 1)
	if err := checkRecord(string(corrupt[i].Key), corrupt[i].Value); err != nil {
		t.Fatalf("the corruption must be a valid record to test the root: %v", err)
	}
	if _, err := Load(corrupt, a.Height(), a.AppHash()); err == nil {
		t.Error("loaded a state whose root is not the app hash")
	}
	if _, err := Load(slices.Delete(slices.Clone(snap), i, i+1), a.Height(), a.AppHash()); err == nil {
		t.Error("loaded a state missing a record")
	}
}

// TestRefinalizeKeepsCommittedProofs: a FinalizeBlock that replaces an
// uncommitted one gives the hash the first would have, and proofs made
// while a block is pending prove the committed state.
func TestRefinalizeKeepsCommittedProofs(t *testing.T) {
	a, b := newApp(t), newApp(t)
	block(t, a)
	block(t, b)
	committed := a.AppHash()
	blk := Block{Height: 2, Time: blockTime(2), Txs: [][]byte{alice.tx(t, transfer(bob, 5, 0))}}
	// other writes a key blk does not (carol's new account): its write
	// must not survive into blk's root.
	other := Block{Height: 2, Time: blockTime(2), Txs: [][]byte{bob.tx(t, transfer(carol, 9, 0))}}
	a.FinalizeBlock(other)
	p := mustProve(t, a, accountKey(bob.addr))
	want := a.FinalizeBlock(blk).AppHash
	if got := b.FinalizeBlock(blk).AppHash; !bytes.Equal(got, want) {
		t.Fatalf("refinalized app hash %x, fresh %x", want, got)
	}
	if p.Height != 0 {
		t.Fatalf("proof while pending at height %d, want 0", p.Height)
	}
	_, _, h := a.Commit()
	if !bytes.Equal(h, want) {
		t.Fatalf("committed %x, finalized %x", h, want)
	}
	if err := mustProve(t, a, accountKey(bob.addr)).Verify(committed); err != nil {
		t.Errorf("after commit, height 1: %v", err)
	}
}

// TestNodeStoreBounded: the tree keeps two versions, not every version:
// after many blocks the store holds about as many nodes as after a few,
// and the previous version stays provable.
func TestNodeStoreBounded(t *testing.T) {
	a := newApp(t)
	var hashes [][]byte
	for i := range 60 {
		hashes = append(hashes, block(t, a, alice.tx(t, transfer(bob, 1, uint64(i)))).AppHash)
		if i == 9 {
			n, _ := a.tree.nodes.Len()
			t.Logf("nodes after 10 blocks: %d", n)
		}
	}
	n, _ := a.tree.nodes.Len()
	// The state has 5 keys (two accounts, meta, params): a version is
	// under 2×5 nodes, and so are the changes of a block.
	if n > 40 {
		t.Errorf("%d nodes after 60 blocks: old versions are kept", n)
	}
	for _, key := range []string{accountKey(alice.addr), accountKey(bob.addr), keyBlock, keyParams, keyChainID, keyGenesisTime} {
		if err := mustProve(t, a, key).Verify(hashes[len(hashes)-2]); err != nil {
			t.Errorf("%q at the previous height: %v", key, err)
		}
	}
}

// FuzzStateProof: Verify never panics on any proof bytes, and a proof it
// accepts for the fuzzed key re-encodes to the same bytes.
func FuzzStateProof(f *testing.F) {
	a := newApp(f)
	block(f, a, alice.tx(f, transfer(bob, 5, 0)))
	root := bytes.Clone(a.prev.appHash)
	for _, key := range []string{accountKey(alice.addr), accountKey(carol.addr), keyParams} {
		p, err := a.View().Prove([]byte(key))
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(key), p.Value, p.Proof)
	}
	f.Fuzz(func(t *testing.T, key, value, proof []byte) {
		if len(value) == 0 {
			value = nil
		}
		p := StateProof{Key: key, Value: value, Proof: proof}
		if p.Verify(root) != nil {
			return
		}
		d, err := decodeProof(proof)
		if err != nil {
			t.Fatalf("verified a proof that does not decode: %v", err)
		}
		if enc, _ := encodeProof(d); !bytes.Equal(enc, proof) {
			t.Fatalf("accepted a non-canonical encoding %x (canonical %x)", proof, enc)
		}
	})
}

// TestTreeRevisitedNodes: a node a commit orphans and a later commit (or
// the same one) makes again is alive: the store must not drop it when the
// orphan retires.
func TestTreeRevisitedNodes(t *testing.T) {
	kv := func(k, v string) KV { return KV{Key: []byte(k), Value: []byte(v)} }
	prove := func(t *testing.T, tr *stateTree, root []byte, key, value string) {
		t.Helper()
		b, err := tr.prove(root, []byte(key))
		if err != nil {
			t.Fatalf("prove %s: %v", key, err)
		}
		if err := (StateProof{Key: []byte(key), Value: []byte(value), Proof: b}).Verify(root); err != nil {
			t.Fatalf("verify %s: %v", key, err)
		}
	}
	t.Run("in a later commit", func(t *testing.T) {
		tr := newStateTree()
		r1 := tr.apply([]KV{kv("a", "1"), kv("b", "1")})
		tr.commit()
		tr.apply([]KV{kv("a", "2")})
		tr.commit()
		if r3 := tr.apply([]KV{kv("a", "1")}); !bytes.Equal(r3, r1) {
			t.Fatal("not history independent")
		}
		tr.commit()
		prove(t, tr, r1, "a", "1")
		r4 := tr.apply([]KV{kv("b", "2")})
		tr.commit()
		prove(t, tr, r1, "a", "1")
		prove(t, tr, r4, "a", "1")
	})
	t.Run("in the same commit", func(t *testing.T) {
		tr := newStateTree()
		tr.apply([]KV{kv("a", "1"), kv("b", "1")})
		tr.commit()
		tr.apply([]KV{kv("a", "2")})
		tr.apply([]KV{kv("a", "1")})
		tr.commit()
		var root []byte
		for i := range 3 {
			root = tr.apply([]KV{kv("b", fmt.Sprint(i+2))})
			tr.commit()
		}
		prove(t, tr, root, "a", "1")
	})
}
