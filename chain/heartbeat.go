package chain

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/cove-network/cove"
)

// Heartbeats (issue 10, ADR 22 point 4). A computing worker sits in
// bucket b = uint64(keccak256(worker id)[:8]) mod B, B =
// StakingParams.HeartbeatBlocks, from StartComputing until it stops. Block h challenges bucket uint64(seed[:8]) mod B, the seed the
// app hash the block starts from (unknown before the block before it
// commits): each of its computing workers without a pending challenge
// gets challenge h and is listed as due at h + HeartbeatWindow. Its
// operator answers with a Heartbeat signed by the worker's TEE identity
// key, carrying the benchmark iterations it counted since it started
// process started; at the end of block h + window, each listed worker
// whose challenge h is still pending becomes unresponsive (gateways do not
// route to it) until it answers a later challenge. A block reads one
// bucket and one due list: O(workers / B), not O(workers). B and the
// window are fixed at genesis (a change of B would leave workers in
// buckets no seed picks, of the window challenges no due list checks).

const (
	prefixHBBucket = "hb/bucket/" // ‖ 4-byte big-endian bucket: HeartbeatList
	prefixHBDue    = "hb/due/"    // ‖ 8-byte big-endian height: HeartbeatList
)

// IterationsPerP scales the benchmark to P: P is thousands of iterations
// per second (a 5%-duty SHA-256 benchmark gives a few hundred), so that
// rig_k·P and the share's 2·P weigh like stakes of hundreds of COVE.
const IterationsPerP = 1000

// PoolWorkerUnresponsive is a computing worker that missed a heartbeat.
const PoolWorkerUnresponsive = "unresponsive"

// Events of heartbeats.
const (
	EventChallenged   = "heartbeat_challenge" // bucket, workers (the number challenged)
	EventHeartbeat    = "heartbeat"           // worker, challenge, iterations, p
	EventUnresponsive = "worker_unresponsive" // worker, challenge
)

// HeartbeatList is a bucket's computing workers, or the workers due at a
// height, sorted.
type HeartbeatList struct {
	Workers []cove.Hash `json:"workers"`
}

func hbBucketKey(b uint32) string {
	return prefixHBBucket + string(binary.BigEndian.AppendUint32(nil, b))
}

func hbDueKey(h int64) string {
	return prefixHBDue + string(binary.BigEndian.AppendUint64(nil, uint64(h)))
}

// HeartbeatBucket returns worker id's bucket among b buckets.
func HeartbeatBucket(id cove.Hash, b uint64) uint32 {
	h := cove.Keccak256(id[:])
	return uint32(binary.BigEndian.Uint64(h[:8]) % b)
}

// ChallengedBucket returns the bucket a block whose state starts at app
// hash seed challenges, among b buckets.
func ChallengedBucket(seed []byte, b uint64) uint32 {
	var s [8]byte
	copy(s[:], seed)
	return uint32(binary.BigEndian.Uint64(s[:]) % b)
}

func checkHeartbeatRecord(key string) any {
	switch {
	case len(key) == len(prefixHBBucket)+4 && key[:len(prefixHBBucket)] == prefixHBBucket,
		len(key) == len(prefixHBDue)+8 && key[:len(prefixHBDue)] == prefixHBDue:
		return new(HeartbeatList)
	}
	return nil
}

// listAdd and listRemove change the list at key (absent when empty).
func listAdd(o *overlay, key string, id cove.Hash) {
	var l HeartbeatList
	getJSON(o, key, &l)
	i, found := slices.BinarySearchFunc(l.Workers, id, compareHash)
	if found {
		return
	}
	l.Workers = slices.Insert(l.Workers, i, id)
	putJSON(o, key, l)
}

func listRemove(o *overlay, key string, id cove.Hash) {
	var l HeartbeatList
	if !getJSON(o, key, &l) {
		return
	}
	i, found := slices.BinarySearchFunc(l.Workers, id, compareHash)
	if !found {
		return
	}
	l.Workers = slices.Delete(l.Workers, i, i+1)
	if len(l.Workers) == 0 {
		o.set(key, nil)
		return
	}
	putJSON(o, key, l)
}

// challengeHook is the begin-block hook: it challenges the block's bucket.
func challengeHook(o *overlay, ctx execContext) ([]Event, []ValidatorUpdate) {
	if ctx.seed == nil {
		return nil, nil
	}
	sp := staking(o)
	b := ChallengedBucket(ctx.seed, sp.HeartbeatBlocks)
	var l HeartbeatList
	if !getJSON(o, hbBucketKey(b), &l) {
		return nil, nil
	}
	var due HeartbeatList
	dueKey := hbDueKey(ctx.height + int64(sp.HeartbeatWindow))
	getJSON(o, dueKey, &due)
	n := 0
	for _, id := range l.Workers {
		var pw PoolWorker
		if !getJSON(o, poolWorkerKey(id), &pw) || pw.Challenge != 0 || (pw.State != PoolWorkerComputing && pw.State != PoolWorkerUnresponsive) {
			continue
		}
		pw.Challenge = ctx.height
		copy(pw.ChallengeSeed[:], ctx.seed)
		putJSON(o, poolWorkerKey(id), pw)
		due.Workers = append(due.Workers, id) // the bucket is sorted, and a due list has one bucket
		n++
	}
	if n == 0 {
		return nil, nil
	}
	putJSON(o, dueKey, due)
	return []Event{{Type: EventChallenged, Attrs: []Attr{{"bucket", fmt.Sprint(b)}, {"workers", fmt.Sprint(n)}}}}, nil
}

// dueHook is an end-block hook: the workers due at this height that did
// not answer their challenge become unresponsive.
func dueHook(o *overlay, ctx execContext) ([]Event, []ValidatorUpdate) {
	key := hbDueKey(ctx.height)
	var due HeartbeatList
	if !getJSON(o, key, &due) {
		return nil, nil
	}
	o.set(key, nil)
	window := int64(staking(o).HeartbeatWindow)
	var evs []Event
	for _, id := range due.Workers {
		var pw PoolWorker
		if !getJSON(o, poolWorkerKey(id), &pw) || pw.Challenge != ctx.height-window {
			continue // answered, or stopped since
		}
		evs = append(evs, Event{Type: EventUnresponsive, Attrs: []Attr{{"worker", id.String()}, {"challenge", fmt.Sprint(pw.Challenge)}}})
		pw.Challenge, pw.ChallengeSeed = 0, cove.Hash{}
		if pw.State == PoolWorkerComputing {
			leaveRewards(o, &pw, ctx)
			pw.State, pw.Since = PoolWorkerUnresponsive, ctx.height
		}
		putJSON(o, poolWorkerKey(id), pw)
	}
	return evs, nil
}

// Heartbeat answers a worker's challenge: sent by the worker's operator,
// authorized by the worker's TEE identity key (IdentitySig over
// IdentityDigest). Challenge is the height of the challenge and Seed the
// app hash that block started from (unknown before the block before it
// committed, so a signature over it proves the TEE was running after
// that). Iterations are the benchmark iterations the worker counted since
// its process started (a lower count than before starts a new count).
type Heartbeat struct {
	Worker      cove.Hash `eip712:"worker"`
	Challenge   uint64    `eip712:"challenge"`
	Seed        cove.Hash `eip712:"seed"`
	Iterations  uint64    `eip712:"iterations"`
	IdentitySig Bytes     `eip712:"identitySig"`
	Nonce       uint64    `eip712:"nonce"`
}

func (Heartbeat) Type() string                             { return "Heartbeat" }
func (m Heartbeat) MarshalJSON() ([]byte, error)           { return marshalMsg(m) }
func (m *Heartbeat) UnmarshalJSON(b []byte) error          { return unmarshalMsg(b, m) }
func (Heartbeat) isMsg()                                   {}
func (m Heartbeat) IdentityDigest(chainID uint64) [32]byte { return identityDigest(m, chainID) }
func (m Heartbeat) identitySig() Bytes                     { return m.IdentitySig }

// WithIdentitySig returns m with IdentitySig set.
func (m Heartbeat) WithIdentitySig(sig []byte) Heartbeat {
	m.IdentitySig = sig
	return m
}

func execHeartbeat(o *overlay, sender cove.Address, m Heartbeat, ctx execContext) ([]Event, *failure) {
	var w WorkerRecord
	if !getJSON(o, workerKey(m.Worker), &w) {
		return nil, fail(CodeNotFound, "worker %s is not registered", m.Worker)
	}
	if w.Operator != sender {
		return nil, fail(CodeUnauthorized, "worker %s is operated by %s: only its operator sends its heartbeats", m.Worker, w.Operator)
	}
	if f := identityAuthorized(w.PublicKey, m, ctx.chainID, "worker "+m.Worker.String(), "send its heartbeats"); f != nil {
		return nil, f
	}
	var pw PoolWorker
	if !getJSON(o, poolWorkerKey(m.Worker), &pw) || (pw.State != PoolWorkerComputing && pw.State != PoolWorkerUnresponsive) {
		return nil, fail(CodeInvalidArgument, "worker %s is not computing: it has no challenge to answer", m.Worker)
	}
	// Only the pending challenge is answered, by its height and seed (an
	// unresponsive worker stays challenged and comes back by answering).
	if pw.Challenge == 0 || m.Challenge != uint64(pw.Challenge) || m.Seed != pw.ChallengeSeed {
		return nil, fail(CodeInvalidArgument, "worker %s has no pending challenge at height %d with seed %s (pending: %d)", m.Worker, m.Challenge, m.Seed, pw.Challenge)
	}
	// P: iterations per whole second since the last heartbeat (integers
	// only). A lower count than before is a restarted worker: a new
	// baseline, no P this time.
	if secs := int64(ctx.time.Sub(pw.LastTime) / time.Second); !pw.LastTime.IsZero() && secs >= 1 && m.Iterations >= pw.Iterations {
		pw.P = (m.Iterations - pw.Iterations) / uint64(secs) / IterationsPerP
	}
	pw.Iterations, pw.LastHeartbeat, pw.LastTime, pw.Challenge, pw.ChallengeSeed = m.Iterations, ctx.height, ctx.time, 0, cove.Hash{}
	back := pw.State == PoolWorkerUnresponsive
	if back {
		pw.State, pw.Since = PoolWorkerComputing, ctx.height
	}
	rewards := settle(o, &pw, back, ctx)
	putJSON(o, poolWorkerKey(m.Worker), pw)
	return append([]Event{{Type: EventHeartbeat, Attrs: []Attr{{"worker", m.Worker.String()}, {"challenge", fmt.Sprint(m.Challenge)}, {"iterations", fmt.Sprint(m.Iterations)}, {"p", fmt.Sprint(pw.P)}}}}, rewards...), nil
}
