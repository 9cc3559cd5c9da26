package receipt

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/ethsig"
)

// DefaultBatch is how many receipts a Batcher signs at most with one
// signature when no size is given.
const DefaultBatch = 16

// SignBatch signs the receipts rs with one signature (ADR 18). One receipt
// is signed alone as version 2, as Sign does; two or more are signed as
// version 3: each gets a random Salt (unless the caller set one), the
// signature is over the Merkle root of their leaves
// (cove.ReceiptMerkleTree) and each receipt carries its proof. The
// receipts' Version fields are ignored: each must describe a response as
// a version-2 receipt would (HeadersHash set by the caller). At most
// 1 << cove.MaxReceiptProof receipts.
func SignBatch(s Signer, rs []Receipt) ([]Signed, error) {
	switch n := len(rs); {
	case n == 0:
		return nil, errors.New("sign receipts: empty batch")
	case n > 1<<cove.MaxReceiptProof:
		return nil, fmt.Errorf("sign receipts: a batch of %d, at most %d", n, 1<<cove.MaxReceiptProof)
	case n == 1:
		r := rs[0]
		r.Version, r.Salt, r.Proof = cove.ReceiptV2, cove.Hash{}, nil
		signed, err := Sign(s, r)
		if err != nil {
			return nil, err
		}
		return []Signed{signed}, nil
	}
	rs = slices.Clone(rs)
	leaves := make([]cove.Hash, len(rs))
	for i := range rs {
		if rs[i].Salt.IsZero() {
			if _, err := rand.Read(rs[i].Salt[:]); err != nil {
				return nil, fmt.Errorf("sign receipts: salt: %w", err)
			}
		}
		leaves[i] = rs[i].Leaf()
	}
	root, proofs := cove.ReceiptMerkleTree(leaves)
	sig, err := s.Sign(cove.ReceiptBatchDigest(root))
	if err != nil {
		return nil, fmt.Errorf("sign receipts: %w", err)
	}
	if err := ethsig.CheckForm(sig); err != nil {
		return nil, fmt.Errorf("sign receipts: signer output: %w", err)
	}
	out := make([]Signed, len(rs))
	addr := s.Address()
	for i, r := range rs {
		r.Version, r.Proof = cove.ReceiptV3, proofs[i]
		out[i] = Signed{Receipt: r, Signature: sig, Signer: addr}
	}
	return out, nil
}

// Batcher signs the receipts of one signer as they come, in batches under
// load (ADR 18): a receipt that arrives while no signature is being made
// is signed at once, alone, as version 2, so at low load nothing waits;
// receipts that arrive while a signature is being made wait for it and are
// then signed together, up to max at a time, as one version-3 batch, in
// arrival order. A receipt waits for the signature in progress, the
// batches of the receipts that arrived before it (one while fewer than max
// wait) and its own; a batch forms when receipts arrive faster than one
// signer signs them one by one.
//
// With a linger (SetLinger), a receipt that would be signed at once waits
// first, at most the linger, for the receipts of calls already begun
// (Begin) to join it, up to max in all; it waits only while such calls
// are running, so at low load nothing waits still. Without Begin, or
// with no linger, no timer is involved.
//
// A Batcher is safe for concurrent use.
type Batcher struct {
	s   Signer
	max int

	linger  time.Duration
	running atomic.Int64  // calls begun whose receipts are still to come
	arrived chan struct{} // nudges a lingering signer: a receipt joined, or a call ended

	mu      sync.Mutex
	busy    bool         // a signature is being made (or a signer lingers)
	waiting []*batchWait // in arrival order
}

// batchWait is one receipt waiting in a Batcher.
type batchWait struct {
	r    Receipt
	done chan struct{} // closed when res/err are set or lead is
	lead []*batchWait  // non-nil: this waiter signs this batch (itself first)
	res  Signed
	err  error
}

// NewBatcher returns a Batcher that signs with s, at most max receipts per
// signature (DefaultBatch when max is 0; 1 signs each receipt alone, as
// version 2).
func NewBatcher(s Signer, max int) *Batcher {
	if max <= 0 {
		max = DefaultBatch
	}
	return &Batcher{s: s, max: min(max, 1<<cove.MaxReceiptProof), arrived: make(chan struct{}, 1)}
}

// SetLinger sets how long at most a receipt that would be signed alone
// waits for the receipts of calls begun before it (Begin); zero, the
// default, never waits. Set it before the Batcher is used.
func (b *Batcher) SetLinger(d time.Duration) { b.linger = d }

// Pending is a call whose receipt a Batcher will sign: Begin counts it, so
// that a lingering signature waits for it; Sign or Cancel ends it.
type Pending struct {
	b    *Batcher
	done atomic.Bool
}

// Begin counts a call whose receipt is to come. The caller must end it
// with Sign, or with Cancel when the call ends without a receipt (a
// deferred Cancel after Sign does nothing).
func (b *Batcher) Begin() *Pending {
	b.running.Add(1)
	return &Pending{b: b}
}

// end stops counting p's call, once, and nudges a lingering signer.
func (p *Pending) end() {
	if p.done.CompareAndSwap(false, true) {
		p.b.running.Add(-1)
		p.b.nudge()
	}
}

// Running is how many calls begun (Begin) have not ended, for tests and
// metrics.
func (b *Batcher) Running() int64 { return b.running.Load() }

// Cancel ends p without a receipt.
func (p *Pending) Cancel() { p.end() }

// Sign ends p and signs r, as Batcher.Sign does.
func (p *Pending) Sign(r Receipt) (Signed, error) {
	p.end()
	return p.b.Sign(r)
}

func (b *Batcher) nudge() {
	select {
	case b.arrived <- struct{}{}:
	default:
	}
}

// lingerFor waits, at most b.linger, while calls begun are still running
// and fewer than max-1 receipts wait to join the caller's.
func (b *Batcher) lingerFor() {
	t := time.NewTimer(b.linger)
	defer t.Stop()
	for {
		b.mu.Lock()
		full := len(b.waiting) >= b.max-1
		b.mu.Unlock()
		if full || b.running.Load() <= 0 {
			return
		}
		select {
		case <-b.arrived:
		case <-t.C:
			return
		}
	}
}

// Sign signs r, alone (version 2) or in a batch with other receipts
// arriving at the same time (version 3), and returns r signed.
func (b *Batcher) Sign(r Receipt) (Signed, error) {
	b.mu.Lock()
	if !b.busy {
		b.busy = true
		if b.linger <= 0 || b.max == 1 || b.running.Load() <= 0 {
			b.mu.Unlock()
			out, err := b.signBatch([]Receipt{r})
			b.next()
			if err != nil {
				return Signed{}, err
			}
			return out[0], nil
		}
		// Calls begun are still running: wait a little for their
		// receipts, which queue behind this one meanwhile.
		b.mu.Unlock()
		b.lingerFor()
		b.mu.Lock()
		n := min(b.max-1, len(b.waiting))
		batch := append([]*batchWait{{r: r}}, b.waiting[:n]...)
		b.waiting = append([]*batchWait(nil), b.waiting[n:]...)
		b.mu.Unlock()
		return b.signFor(batch)
	}
	w := &batchWait{r: r, done: make(chan struct{})}
	b.waiting = append(b.waiting, w)
	b.mu.Unlock()
	b.nudge()

	<-w.done
	if w.lead == nil {
		return w.res, w.err
	}
	// This waiter was the first of the next batch: it signs for all of it.
	return b.signFor(w.lead)
}

// signFor signs batch, whose first receipt is the caller's, hands the
// signer on, and answers the others.
func (b *Batcher) signFor(batch []*batchWait) (Signed, error) {
	rs := make([]Receipt, len(batch))
	for i, bw := range batch {
		rs[i] = bw.r
	}
	out, err := b.signBatch(rs)
	b.next()
	for i, bw := range batch[1:] {
		if err != nil {
			bw.err = err
		} else {
			bw.res = out[i+1]
		}
		close(bw.done)
	}
	if err != nil {
		return Signed{}, err
	}
	return out[0], nil
}

// signBatch is SignBatch with b's signer, a panic in it returned as an
// error: the signer must be handed on (next) whatever happens, or every
// later receipt of the agent would wait forever.
func (b *Batcher) signBatch(rs []Receipt) (out []Signed, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("sign receipts: the signer panicked: %v", p)
		}
	}()
	return SignBatch(b.s, rs)
}

// next hands the signer on after a signature: to the first waiter, with
// up to max waiters as its batch, or to no one.
func (b *Batcher) next() {
	b.mu.Lock()
	if len(b.waiting) == 0 {
		b.busy = false
		b.mu.Unlock()
		return
	}
	n := min(b.max, len(b.waiting))
	batch := b.waiting[:n:n]
	b.waiting = append([]*batchWait(nil), b.waiting[n:]...)
	b.mu.Unlock()
	batch[0].lead = batch
	close(batch[0].done)
}
