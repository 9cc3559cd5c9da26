package worker

import (
	"context"
	"crypto/sha256"
	"sync/atomic"
	"time"

	"github.com/cove-network/cove/chain"
)

// Heartbeats (issue 10): while the worker computes for a stake pool, it
// runs a CPU benchmark and answers each heartbeat challenge the chain
// gives it with a Heartbeat signed by its TEE identity key, sent by its
// operator account. A worker that misses one is unresponsive (gateways
// stop routing to it) until it answers again.

const (
	// heartbeatPoll is how often the worker reads its pool record for a
	// challenge: well inside the answer window of ten blocks.
	heartbeatPoll = 100 * time.Millisecond
	// benchSlice of every benchPeriod is spent on the benchmark while the
	// worker computes (5% of one core).
	benchSlice  = 5 * time.Millisecond
	benchPeriod = 100 * time.Millisecond
)

// benchmark counts SHA-256 hashes of a chained 32-byte value, run in
// short slices; P on chain is its count per second of wall time (so 5% of
// one core's hashing speed).
type benchmark struct {
	iterations atomic.Uint64
	running    atomic.Bool
}

// run spends benchSlice of each benchPeriod hashing while running is set,
// until ctx ends.
func (b *benchmark) run(ctx context.Context) {
	t := time.NewTicker(benchPeriod)
	defer t.Stop()
	var h [32]byte
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !b.running.Load() {
			continue
		}
		end := time.Now().Add(benchSlice)
		var n uint64
		for time.Now().Before(end) {
			for range 64 {
				h = sha256.Sum256(h[:])
				n++
			}
		}
		b.iterations.Add(n)
		benchSink.Store(uint32(h[0]))
	}
}

// benchSink keeps the benchmark's result alive.
var benchSink atomic.Uint32

// heartbeats answers the worker's challenges until ctx ends.
func (s *Server) heartbeats(ctx context.Context) {
	var b benchmark
	go b.run(ctx)
	t := time.NewTicker(heartbeatPoll)
	defer t.Stop()
	var answered int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v := s.chain.View()
		pw, err := v.PoolWorker(s.myID)
		computing := err == nil && (pw.State == chain.PoolWorkerComputing || pw.State == chain.PoolWorkerUnresponsive)
		b.running.Store(computing)
		if !computing {
			continue
		}
		challenge := pw.Challenge
		if challenge == 0 || challenge == answered {
			continue
		}
		m := chain.Heartbeat{Worker: s.myID, Challenge: uint64(challenge), Seed: pw.ChallengeSeed, Iterations: b.iterations.Load()}
		d := m.IdentityDigest(v.ChainID())
		m = m.WithIdentitySig(s.id.Sign(d[:]))
		out, err := s.chain.Send(ctx, func(n uint64) chain.Msg { m.Nonce = n; return m })
		switch {
		case err != nil:
			s.log.Warn("heartbeat not sent; retrying", "challenge", challenge, "err", err)
			continue
		case out.Code == chain.CodeInvalidArgument:
			// The challenge is no longer pending (answered, or gone):
			// asking again cannot help.
			s.log.Warn("heartbeat refused", "challenge", challenge, "code", chain.CodeName(out.Code), "log", out.Log)
		case out.Code != chain.CodeOK:
			// A nonce taken by another of the operator's transactions, a
			// balance short of the fee: try again at the next poll.
			s.log.Warn("heartbeat refused; retrying", "challenge", challenge, "code", chain.CodeName(out.Code), "log", out.Log)
			continue
		default:
			s.log.Debug("heartbeat", "challenge", challenge, "height", out.Height, "iterations", m.Iterations)
		}
		answered = challenge
	}
}
