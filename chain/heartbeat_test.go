package chain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/tee/identity"
)

// idWorker registers test worker name with a TEE identity key (so it can
// sign heartbeats), quoted for operator op.
func idWorker(op testKey, name string, n uint64) (RegisterWorker, *identity.Identity) {
	id := gkIdentity("worker/" + name)
	pk := id.PublicKey()
	return RegisterWorker{TEE: "sim", PublicKey: pk, Endpoint: "https://" + name + ".example:8443",
		Quote: testQuote(RoleWorker, op.addr, pk, []byte("measurement-"+name)), Nonce: n}, id
}

func signHB(id *identity.Identity, m Heartbeat) Heartbeat {
	d := m.IdentityDigest(testChainID)
	return m.WithIdentitySig(id.Sign(d[:]))
}

// TestHeartbeats: with one bucket every computing worker is challenged
// in each block it has no challenge pending; an answer signed by the
// worker's identity key clears it; no answer within the window makes the
// worker unresponsive, a later answer brings it back; a stopped worker is
// no longer challenged. Each refusal beside the answer that passes.
func TestHeartbeats(t *testing.T) {
	g := testGenesis()
	g.Accounts = []GenesisAccount{{Address: alice.addr, Balance: big.NewInt(1_000_000)}, {Address: bob.addr, Balance: big.NewInt(1_000_000)}}
	g.Economics = true
	g.Params.Staking = StakingParams{MinContribution: "10", StakeK: "10", HeartbeatBlocks: 1, HeartbeatWindow: 5}
	a := New()
	if _, err := a.InitChain(g); err != nil {
		t.Fatal(err)
	}
	a.SetVerifier(&testVerifier{})
	reg, key := idWorker(bob, "h1", 0)
	w := WorkerID(reg.PublicKey)
	tm := genesisTime
	step := func(s int, txs ...[]byte) BlockResult {
		t.Helper()
		tm = tm.Add(time.Duration(s) * time.Second)
		return at(t, a, tm, txs...)
	}
	for i, r := range step(1,
		bob.tx(t, reg),
		bob.tx(t, CreatePool{Cap: big.NewInt(0), Nonce: 1}),
		bob.tx(t, AddPoolWorker{Pool: 1, Worker: w, Nonce: 2}),
		bob.tx(t, Contribute{Pool: 1, Amount: big.NewInt(1000), Nonce: 3}),
		bob.tx(t, StartComputing{Worker: w, Stake: big.NewInt(500), Nonce: 4}),
	).TxResults {
		if r.Code != CodeOK {
			t.Fatalf("setup tx %d: %s", i, r.Log)
		}
	}
	pw := func() PoolWorker {
		p, err := a.View().PoolWorker(w)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The next block challenges it.
	res := step(1)
	ch := pw().Challenge
	if ch != a.Height() || len(res.Events) == 0 || res.Events[0].Type != EventChallenged {
		t.Fatalf("challenge %d at height %d, events %+v", ch, a.Height(), res.Events)
	}
	nonceB := uint64(5)
	hb := func(s int, from testKey, m Heartbeat) TxResult {
		t.Helper()
		if from == bob {
			m.Nonce = nonceB
			nonceB++
		} else {
			m.Nonce = nonce(a, from)
		}
		return step(s, from.tx(t, m)).TxResults[0]
	}
	seed := pw().ChallengeSeed
	if seed.IsZero() {
		t.Fatal("the challenge has no seed")
	}
	good := Heartbeat{Worker: w, Challenge: uint64(ch), Seed: seed, Iterations: 1_000_000}
	wantCode(t, hb(1, bob, signHB(key, Heartbeat{Worker: w, Challenge: uint64(ch) + 1, Seed: seed, Iterations: 1_000_000})), CodeInvalidArgument, "no pending challenge")
	wantCode(t, hb(0, bob, signHB(key, Heartbeat{Worker: w, Challenge: uint64(ch), Seed: cove.Hash{1}, Iterations: 1_000_000})), CodeInvalidArgument, "no pending challenge")
	wantCode(t, hb(0, bob, signHB(gkIdentity("another"), good)), CodeUnauthorized, "identity-key signature")
	wantCode(t, hb(0, alice, signHB(key, good)), CodeUnauthorized, "only its operator")
	if pw().Challenge != ch {
		t.Fatal("a refused heartbeat cleared the challenge")
	}
	r := hb(0, bob, signHB(key, good))
	wantCode(t, r, CodeOK)
	if p := pw(); p.Challenge != 0 || p.LastHeartbeat != a.Height() || p.Iterations != 1_000_000 || p.State != PoolWorkerComputing {
		t.Fatalf("after the heartbeat %+v", p)
	}
	// The next block challenges again; 10 s later it answers with 1.5
	// million more iterations: P = 150 (thousands per second).
	step(1)
	ch = pw().Challenge
	if ch != a.Height() {
		t.Fatalf("challenge %d at %d", ch, a.Height())
	}
	wantCode(t, hb(9, bob, signHB(key, Heartbeat{Worker: w, Challenge: uint64(ch), Seed: pw().ChallengeSeed, Iterations: 2_500_000})), CodeOK)
	if p := pw(); p.P != 150 {
		t.Fatalf("P %d, want 150 (1.5 million iterations in 10 s)", p.P)
	}
	// A restarted worker counts from 0 again: a new baseline, P kept.
	step(1)
	wantCode(t, hb(5, bob, signHB(key, Heartbeat{Worker: w, Challenge: uint64(pw().Challenge), Seed: pw().ChallengeSeed, Iterations: 40})), CodeOK)
	if p := pw(); p.P != 150 || p.Iterations != 40 {
		t.Fatalf("after a restart: P %d iterations %d", p.P, p.Iterations)
	}

	// No answer: at the end of block challenge+5 it is unresponsive.
	step(1)
	ch = pw().Challenge
	for range 4 {
		step(1)
	}
	if pw().State != PoolWorkerComputing {
		t.Fatal("unresponsive before its window ended")
	}
	res = step(1)
	if p := pw(); p.State != PoolWorkerUnresponsive || !hasBlockEvent(res, EventUnresponsive, "challenge", fmt.Sprint(ch)) {
		t.Fatalf("after the window %+v, events %+v", p, res.Events)
	}
	// The missed challenge can no longer be answered; it comes back by
	// answering the next one.
	wantCode(t, hb(0, bob, signHB(key, Heartbeat{Worker: w, Challenge: uint64(ch), Seed: seed, Iterations: 3000})), CodeInvalidArgument, "no pending challenge")
	if pw().Challenge == 0 {
		step(1)
	}
	if pw().State != PoolWorkerUnresponsive || pw().Challenge == 0 {
		t.Fatalf("an unresponsive worker is not challenged again: %+v", pw())
	}
	wantCode(t, hb(1, bob, signHB(key, Heartbeat{Worker: w, Challenge: uint64(pw().Challenge), Seed: pw().ChallengeSeed, Iterations: 3000})), CodeOK)
	if pw().State != PoolWorkerComputing {
		t.Fatalf("after answering: %s", pw().State)
	}

	// Stopped: out of its bucket, no more challenges.
	wantCode(t, one(t, a, bob.tx(t, StopComputing{Worker: w, Nonce: nonceB})), CodeOK)
	nonceB++
	for range 5 {
		if res := step(1); hasBlockEvent(res, EventChallenged, "", "") || hasBlockEvent(res, EventUnresponsive, "", "") {
			t.Fatalf("a stopped worker challenged: %+v", res.Events)
		}
	}
	if _, ok := a.state[hbBucketKey(0)]; ok {
		t.Fatal("the bucket still lists the stopped worker")
	}
	checkPoolSupply(t, a, big.NewInt(2_000_000))
}

func hasBlockEvent(r BlockResult, typ, key, value string) bool {
	for _, e := range r.Events {
		if e.Type == typ && (key == "" || e.Attr(key) == value) {
			return true
		}
	}
	return false
}

// TestHeartbeatBuckets: workers spread over the buckets; the bucket a seed
// picks is its first 8 bytes mod B (TestHeartbeats runs the blocks).
func TestHeartbeatBuckets(t *testing.T) {
	const b = 50
	counts := map[uint32]int{}
	for i := range 5000 {
		counts[HeartbeatBucket(cove.Hash{byte(i), byte(i >> 8), 1}, b)]++
	}
	for k := uint32(0); k < b; k++ {
		if counts[k] < 50 || counts[k] > 170 {
			t.Errorf("bucket %d holds %d of 5000 workers, want about 100", k, counts[k])
		}
	}
	seed := bytes.Repeat([]byte{0xab}, 32)
	if got, want := ChallengedBucket(seed, b), uint32(0xabababababababab%b); got != want {
		t.Errorf("bucket %d, want %d", got, want)
	}
}

// TestHeartbeatBlocksFixed: UpdateParams may change the staking
// parameters but not heartbeat_blocks or heartbeat_window (the control
// changes cooldown).
func TestHeartbeatBlocksFixed(t *testing.T) {
	a, _ := newPoolApp(t)
	update := func(f func(*StakingParams)) TxResult {
		p := a.View().Params()
		f(&p.Staking)
		j, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		return one(t, a, alice.tx(t, UpdateParams{Params: string(j), Nonce: nonce(a, alice)}))
	}
	wantCode(t, update(func(s *StakingParams) { s.HeartbeatBlocks = 7 }), CodeInvalidArgument, "fixed at genesis")
	wantCode(t, update(func(s *StakingParams) { s.HeartbeatWindow = 7 }), CodeInvalidArgument, "fixed at genesis")
	wantCode(t, update(func(s *StakingParams) { s.CooldownSeconds = 7 }), CodeOK)
	if a.View().Params().Staking.CooldownSeconds != 7 {
		t.Fatal("the control did not apply")
	}
}
