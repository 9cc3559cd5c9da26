package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cove-network/cove"
)

// mixedBlocks returns blocks of every transaction type, including failing,
// malformed and replayed ones.
func mixedBlocks(t testing.TB) []Block {
	t.Helper()
	bd := deploy("bobs-agent", 1, 0)
	bid := cove.DeriveAgentID(bob.addr, bd.CodeHash, bd.Salt)
	bd.Secrets = sealed(t, bid, map[string]string{"TOKEN": "t"})
	h2, cid2 := bundle("bobs-agent v2")
	p := DefaultParams(alice.addr)
	p.MaxNameLength = 8
	pj, _ := json.Marshal(p)
	first := alice.tx(t, transfer(bob, 10, 0))
	txs := [][][]byte{
		{
			first,
			bob.tx(t, bd),
			alice.tx(t, transfer(carol, 50, 1)),
			[]byte(`{"type":"Transfer"}`),
			carol.tx(t, transfer(bob, 1, 0)), // carol exists: alice funded her earlier in the block
		},
		{
			carol.tx(t, transfer(bob, 5, 1)),
			bob.tx(t, UpgradeAgent{Agent: bid, CID: cid2, CodeHash: h2, Nonce: 1}),
			alice.tx(t, UpgradeAgent{Agent: bid, CID: cid2, CodeHash: h2, Nonce: 2}), // unauthorized
			bob.tx(t, worker("w1", 2)),
			alice.tx(t, transfer(bob, 1_000_000, 3)), // insufficient funds
		},
		{
			alice.tx(t, UpdateParams{Params: string(pj), Nonce: 4}),
			alice.tx(t, deploy("too-long-name", 0, 5)), // invalid after the update
			alice.tx(t, deploy("short", 0, 6)),
			first,                                   // replay
			alice.txFor(t, 99, transfer(bob, 1, 7)), // another chain
		},
		{}, // empty block
	}
	var round [][]byte
	for i := range 12 {
		from, to := alice, bob
		n := uint64(7 + i/2)
		if i%2 == 1 {
			from, to = bob, alice
			n = uint64(3 + i/2)
		}
		round = append(round, from.tx(t, transfer(to, int64(i+1), n)))
	}
	txs = append(txs, round)
	// Key management: a gatekeeper, epoch 0, a provision, an attestor, a
	// rotation and epoch 1, with refusals.
	sd := deploy("short", 0, 6)
	short := cove.DeriveAgentID(alice.addr, sd.CodeHash, sd.Salt)
	txs = append(txs, [][]byte{
		bob.tx(t, gatekeeper("g1", 9)),
		bob.tx(t, gk("g1", PublishEpoch{Epoch: 0, ClusterPublicKey: clusterPub(t, 1), Nonce: 10})),
		bob.tx(t, gk("g1", ProvisionKey{Recipient: WorkerID(worker("w1", 0).PublicKey), Epoch: 0, Sealed: []byte("k"), Nonce: 11})),
		bob.tx(t, gk("g1", SetAttestor{Agent: short, Attestor: cove.Address{1}, Nonce: 12})),
		alice.tx(t, RotateKeys{Nonce: 13}),
		alice.tx(t, RotateKeys{Nonce: 14}), // pending already
		bob.tx(t, gk("g1", PublishEpoch{Epoch: 1, ClusterPublicKey: clusterPub(t, 2), Nonce: 13})),
		alice.tx(t, SetAttestor{Agent: short, Attestor: cove.Address{2}, Nonce: 15}), // not a gatekeeper
	})
	blocks := make([]Block, len(txs))
	for i, b := range txs {
		h := int64(i + 1)
		blocks[i] = Block{Height: h, Time: blockTime(h), Txs: b}
	}
	return blocks
}

type step struct {
	res    BlockResult
	writes []KV
	hash   []byte
}

func run(t testing.TB, blocks []Block) (*App, []byte, []step) {
	t.Helper()
	a := New()
	a.SetVerifier(&testVerifier{})
	genesis, err := a.InitChain(testGenesis())
	if err != nil {
		t.Fatal(err)
	}
	var steps []step
	for _, b := range blocks {
		res := a.FinalizeBlock(b)
		writes, h, hash := a.Commit()
		if h != b.Height || !bytes.Equal(hash, res.AppHash) {
			t.Fatalf("commit %d: height %d hash %x, want %x", b.Height, h, hash, res.AppHash)
		}
		steps = append(steps, step{res, writes, hash})
	}
	return a, genesis, steps
}

func TestReplay(t *testing.T) {
	blocks := mixedBlocks(t)
	a, ga, sa := run(t, blocks)
	b, gb, sb := run(t, blocks)
	if !bytes.Equal(ga, gb) {
		t.Fatalf("genesis hashes differ: %x %x", ga, gb)
	}
	codes := map[uint32]int{}
	for i := range sa {
		if !bytes.Equal(sa[i].hash, sb[i].hash) {
			t.Errorf("height %d: app hash %x vs %x", i+1, sa[i].hash, sb[i].hash)
		}
		if !reflect.DeepEqual(sa[i].writes, sb[i].writes) {
			t.Errorf("height %d: write-sets differ", i+1)
		}
		if !reflect.DeepEqual(sa[i].res, sb[i].res) {
			t.Errorf("height %d: results differ", i+1)
		}
		for _, r := range sa[i].res.TxResults {
			codes[r.Code]++
		}
	}
	// The blocks exercise success and failure.
	for _, c := range []uint32{CodeOK, CodeMalformed, CodeUnknownAccount, CodeBadNonce, CodeInsufficientFunds, CodeUnauthorized, CodeInvalidArgument, CodeExists} {
		if codes[c] == 0 {
			t.Errorf("no tx ended with %s; codes %v", CodeName(c), codes)
		}
	}
	if !reflect.DeepEqual(a.Snapshot(), b.Snapshot()) {
		t.Error("final states differ")
	}
	if len(a.View().Agents()) != 2 || len(a.View().Workers()) != 1 || a.View().Params().MaxNameLength != 8 || len(a.View().Gatekeepers()) != 1 || len(a.View().Epochs()) != 2 {
		t.Errorf("agents %d workers %d params %+v", len(a.View().Agents()), len(a.View().Workers()), a.View().Params())
	}

	// The app hash is the documented Merkle root of the whole state.
	if got, want := a.AppHash(), rootByHand(a.Snapshot()); !bytes.Equal(got, want) {
		t.Errorf("final app hash %x, the formula gives %x", got, want)
	}
}

// rootByHand is the documented app hash, written out again without the
// library: the root of the binary tree over the keys' paths SHA-256(key)
// where a subtree with one leaf is that leaf, SHA-256(0x00 ‖ path ‖
// SHA-256(value)), an empty one is 32 zero bytes, and any other
// SHA-256(0x01 ‖ left ‖ right).
func rootByHand(kvs []KV) []byte {
	type leaf struct{ path, hash []byte }
	var leaves []leaf
	for _, kv := range kvs {
		p, v := sha256.Sum256(kv.Key), sha256.Sum256(kv.Value)
		h := sha256.Sum256(slices.Concat([]byte{0}, p[:], v[:]))
		leaves = append(leaves, leaf{p[:], h[:]})
	}
	var node func(ls []leaf, depth int) []byte
	node = func(ls []leaf, depth int) []byte {
		switch len(ls) {
		case 0:
			return make([]byte, 32)
		case 1:
			return ls[0].hash
		}
		var left, right []leaf
		for _, l := range ls {
			if l.path[depth/8]&(0x80>>(depth%8)) == 0 {
				left = append(left, l)
			} else {
				right = append(right, l)
			}
		}
		h := sha256.Sum256(slices.Concat([]byte{1}, node(left, depth+1), node(right, depth+1)))
		return h[:]
	}
	return node(leaves, 0)
}

func TestAppHashFormat(t *testing.T) {
	kvs := []KV{{Key: []byte("b"), Value: []byte("2")}, {Key: []byte("a"), Value: []byte("1")}, {Key: []byte("c"), Value: []byte("3")}}
	if got, want := StateRoot(kvs), rootByHand(kvs); !bytes.Equal(got, want) {
		t.Errorf("StateRoot = %x, want %x", got, want)
	}
	// History independence: the root is a function of the key/values,
	// whatever the order of writes and whatever was written and deleted.
	tr := newStateTree()
	tr.apply([]KV{{Key: []byte("c"), Value: []byte("old")}, {Key: []byte("z"), Value: []byte("gone")}})
	tr.commit()
	if got := tr.apply([]KV{{Key: []byte("z")}, {Key: []byte("c"), Value: []byte("3")}, {Key: []byte("a"), Value: []byte("1")}, {Key: []byte("b"), Value: []byte("2")}}); !bytes.Equal(got, StateRoot(kvs)) {
		t.Errorf("root after a different history %x, want %x", got, StateRoot(kvs))
	}
	if bytes.Equal(StateRoot(kvs), StateRoot(kvs[:2])) {
		t.Error("a key's absence does not change the root")
	}
	changed := slices.Clone(kvs)
	changed[0].Value = []byte("x")
	if bytes.Equal(StateRoot(kvs), StateRoot(changed)) {
		t.Error("a value does not change the root")
	}
	// Genesis: the root of the genesis state.
	a := newApp(t)
	if got, want := a.AppHash(), rootByHand(a.Snapshot()); !bytes.Equal(got, want) {
		t.Errorf("genesis app hash %x, want %x", got, want)
	}
}

// TestGenesisAppHashPinned pins the genesis app hash of the test genesis:
// a change means the state format changed, which forks every chain.
func TestGenesisAppHashPinned(t *testing.T) {
	const want = "6ca78bbf3a0bfb319ef2f4395903443765c202b14b27cc4c9866bdb9c05ac61b"
	got := hex.EncodeToString(newApp(t).AppHash())
	if got != want {
		t.Errorf("genesis app hash %s, pinned %s: if the state format changed on purpose, record it in an ADR and update the pin", got, want)
	}
	// A genesis that keeps the validator set (Genesis.ValidatorSet, ADR
	// 21): the test genesis plus the set.
	g := testGenesis()
	g.ValidatorSet = true
	g.Validators = []Validator{{PubKey: valKey(1), Power: 10}}
	a := New()
	hash, err := a.InitChain(g)
	if err != nil {
		t.Fatal(err)
	}
	const wantSet = "b9f1d2d9cab22e75c70892d0bea183c00a2e5f7dc1297cfedfef46c637c8be3b"
	if got := hex.EncodeToString(hash); got != wantSet {
		t.Errorf("genesis app hash with the validator set %s, pinned %s: if the state format changed on purpose, record it in an ADR and update the pin", got, wantSet)
	}
	// And the supply record (Genesis.Economics, ADR 22), as DefaultGenesis
	// makes it.
	g.Economics = true
	a = New()
	if hash, err = a.InitChain(g); err != nil {
		t.Fatal(err)
	}
	const wantEconomics = "b8475091389806e97f9413f89004cfbe9a33dc269e4ca8117a80d02594acb7ce"
	if got := hex.EncodeToString(hash); got != wantEconomics {
		t.Errorf("genesis app hash with the supply %s, pinned %s: if the state format changed on purpose, record it in an ADR and update the pin", got, wantEconomics)
	}
	if s, _, err := a.View().Supply(); err != nil || s.Total.Int64() != 1500 || s.Minted.Sign() != 0 || s.Burned.Sign() != 0 {
		t.Errorf("genesis supply %+v, %v; want 1500 (the genesis balances)", s, err)
	}
	if _, _, err := newApp(t).View().Supply(); !errors.Is(err, ErrNoSupply) {
		t.Errorf("an older genesis: supply error %v, want ErrNoSupply", err)
	}
}

func TestGenesisState(t *testing.T) {
	a := New()
	hash, err := a.InitChain(testGenesis())
	if err != nil {
		t.Fatal(err)
	}
	if a.Height() != 0 || a.ChainID() != testChainID || !bytes.Equal(hash, a.AppHash()) || !a.View().Time().Equal(genesisTime) {
		t.Errorf("height %d chain %d time %v", a.Height(), a.ChainID(), a.View().Time())
	}
	want := map[string]string{
		keyChainID:             `7`,
		keyGenesisTime:         `"2026-01-02T03:04:05Z"`,
		keyBlock:               `{"height":0,"time":"2026-01-02T03:04:05Z"}`,
		keyParams:              `{"admin":"` + alice.addr.String() + `","max_name_length":64,"max_secrets_bytes":131072}`,
		keyDevelopment:         `true`,
		accountKey(alice.addr): `{"address":"` + alice.addr.String() + `","balance":"1000","nonce":0}`,
		accountKey(bob.addr):   `{"address":"` + bob.addr.String() + `","balance":"500","nonce":0}`,
	}
	got := map[string]string{}
	for _, kv := range a.Snapshot() {
		got[string(kv.Key)] = string(kv.Value)
	}
	if !maps.Equal(got, want) {
		t.Errorf("genesis state\n%v\nwant\n%v", got, want)
	}
	// Commit right after InitChain returns the genesis writes at height 0,
	// then nothing.
	writes, h, ch := a.Commit()
	if h != 0 || !bytes.Equal(ch, hash) || !reflect.DeepEqual(writes, a.Snapshot()) {
		t.Errorf("first commit: %d writes at %d", len(writes), h)
	}
	if writes, _, _ := a.Commit(); len(writes) != 0 {
		t.Errorf("second commit returned %d writes", len(writes))
	}
}

func TestLoad(t *testing.T) {
	blocks := mixedBlocks(t)
	a, _, steps := run(t, blocks)
	state := map[string][]byte{}
	for _, s := range steps {
		for _, kv := range s.writes {
			if kv.Value == nil {
				delete(state, string(kv.Key))
			} else {
				state[string(kv.Key)] = kv.Value
			}
		}
	}
	var kvs []KV
	for k, v := range state {
		kvs = append(kvs, KV{Key: []byte(k), Value: v})
	}
	b, err := Load(kvs, a.Height(), a.AppHash())
	if err != nil {
		t.Fatal(err)
	}
	b.SetVerifier(&testVerifier{})
	if !reflect.DeepEqual(a.Snapshot(), b.Snapshot()) || !reflect.DeepEqual(a.View().Agents(), b.View().Agents()) ||
		!reflect.DeepEqual(a.View().Workers(), b.View().Workers()) || !reflect.DeepEqual(a.View().Params(), b.View().Params()) || a.Height() != b.Height() ||
		a.ChainID() != b.ChainID() || !bytes.Equal(a.AppHash(), b.AppHash()) || !a.View().Time().Equal(b.View().Time()) {
		t.Fatal("the loaded app differs")
	}
	for _, k := range []testKey{alice, bob, carol} {
		if !reflect.DeepEqual(a.View().Account(k.addr), b.View().Account(k.addr)) {
			t.Errorf("%s: %+v vs %+v", k.name, a.View().Account(k.addr), b.View().Account(k.addr))
		}
	}
	// Both continue the same way.
	next := Block{Height: a.Height() + 1, Time: blockTime(a.Height() + 1), Txs: [][]byte{
		alice.tx(t, transfer(bob, 1, a.View().Account(alice.addr).Nonce)),
		bob.tx(t, worker("w2", b.View().Account(bob.addr).Nonce)),
	}}
	ra, rb := a.FinalizeBlock(next), b.FinalizeBlock(next)
	if !reflect.DeepEqual(ra, rb) || ra.TxResults[0].Code != CodeOK || ra.TxResults[1].Code != CodeOK {
		t.Errorf("next block: %+v vs %+v", ra, rb)
	}

	// Load refuses broken input.
	hash := a.AppHash()
	good := slices.Clone(kvs)
	for name, c := range map[string]struct {
		kvs    []KV
		height int64
		hash   []byte
	}{
		"wrong height":  {good, a.Height() + 1, hash},
		"short hash":    {good, a.Height(), hash[:31]},
		"nil value":     {append(slices.Clone(good), KV{Key: []byte("acct/xxxxxxxxxxxxxxxxxxxx")}), a.Height(), hash},
		"unknown key":   {append(slices.Clone(good), KV{Key: []byte("junk"), Value: []byte("1")}), a.Height(), hash},
		"duplicate key": {append(slices.Clone(good), good[0]), a.Height(), hash},
		"bad record":    {append(slices.Clone(good), KV{Key: []byte(accountKey(carol.addr) + ""), Value: []byte(`{"address":"x"}`)}), a.Height(), hash},
		"non-canonical": {replaceValue(good, keyChainID, []byte(" 7")), a.Height(), hash},
		"empty":         {nil, 0, hash},
	} {
		if _, err := Load(c.kvs, c.height, c.hash); err == nil {
			t.Errorf("%s: Load accepted it", name)
		}
	}
}

func replaceValue(kvs []KV, key string, v []byte) []KV {
	out := slices.Clone(kvs)
	for i := range out {
		if string(out[i].Key) == key {
			out[i].Value = v
		}
	}
	return out
}

// TestDeterminism runs the same blocks on two fresh apps and compares every
// result, event order included.
func TestDeterminism(t *testing.T) {
	blocks := mixedBlocks(t)
	for i := range 3 {
		_, _, sa := run(t, blocks)
		_, _, sb := run(t, blocks)
		if !reflect.DeepEqual(sa, sb) {
			t.Fatalf("run %d: results differ", i)
		}
	}
	// FinalizeBlock twice at the same height before Commit gives the same
	// result.
	a := newApp(t)
	b := blocks[0]
	r1, r2 := a.FinalizeBlock(b), a.FinalizeBlock(b)
	if !reflect.DeepEqual(r1, r2) {
		t.Error("FinalizeBlock is not repeatable")
	}
	// Block times in other zones are the same instant.
	c := newApp(t)
	b.Time = b.Time.In(time.FixedZone("X", 3600))
	if r3 := c.FinalizeBlock(b); !bytes.Equal(r3.AppHash, r1.AppHash) {
		t.Error("the block time's zone changed the app hash")
	}
}

func TestFinalizeBlockPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"before init": func() { New().FinalizeBlock(Block{Height: 1, Time: genesisTime}) },
		"skip height": func() { newApp(t).FinalizeBlock(Block{Height: 2, Time: genesisTime}) },
		"zero time":   func() { newApp(t).FinalizeBlock(Block{Height: 1}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
