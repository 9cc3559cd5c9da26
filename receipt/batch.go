package receipt

import (
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

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
// load (ADR 18). A receipt that arrives while no signature is being made
// takes the signer, lets the goroutines that are ready to run go first
// (runtime.Gosched: under load, other calls, which may reach Sign
// meanwhile) and signs itself with those that did, up to max: alone, as
// version 2, when none did, as at low load, where the yield returns at
// once. Receipts that arrive while a signature is being made wait for it
// and are then signed together, up to max at a time, as one version-3
// batch, in arrival order. No timer is involved: a receipt waits only for
// goroutines ready to run (of any agent), never for a call that is not
// running; for the batches of the receipts that arrived before it (one
// while fewer than max wait); and for its own.
//
// A Batcher is safe for concurrent use.
type Batcher struct {
	s   Signer
	max int

	mu      sync.Mutex
	busy    bool         // a signature is being made
	waiting []*batchWait // in arrival order

	// Count, when set (before the first Sign), counts what b signs.
	Count *BatchCount
}

// BatchCount counts the receipts and the signatures of one or more
// Batchers (signed ones: a failed signature counts in neither):
// Receipts/Signatures is their mean batch size.
type BatchCount struct {
	Receipts, Signatures atomic.Uint64
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
	return &Batcher{s: s, max: min(max, 1<<cove.MaxReceiptProof)}
}

// Sign signs r, alone (version 2) or in a batch with other receipts
// arriving at the same time (version 3), and returns r signed.
func (b *Batcher) Sign(r Receipt) (Signed, error) {
	me := &batchWait{r: r}
	b.mu.Lock()
	if b.busy {
		me.done = make(chan struct{})
		b.waiting = append(b.waiting, me)
		b.mu.Unlock()
		<-me.done
		if me.lead == nil {
			return me.res, me.err
		}
		// This waiter was the first of the next batch: it signs for all of it.
		return b.lead(me.lead)
	}
	b.busy = true
	b.mu.Unlock()
	// Before signing alone, let the goroutines that are ready to run go
	// first (ADR 18): under load they are other calls, and those of this
	// signer's agent that reach Sign meanwhile join this batch. With none
	// ready, as at low load, Gosched returns at once. No timer: nothing
	// waits for a call that is not running. With batches of one, no one
	// could join.
	if b.max > 1 {
		runtime.Gosched()
	}
	b.mu.Lock()
	n := min(b.max-1, len(b.waiting))
	batch := make([]*batchWait, 0, n+1)
	batch = append(append(batch, me), b.waiting[:n]...)
	b.waiting = append(b.waiting[:0:0], b.waiting[n:]...)
	b.mu.Unlock()
	return b.lead(batch)
}

// lead signs batch, its own receipt first, hands the signer on and
// delivers the others' results.
func (b *Batcher) lead(batch []*batchWait) (Signed, error) {
	rs := make([]Receipt, len(batch))
	for i, bw := range batch {
		rs[i] = bw.r
	}
	out, err := b.signBatch(rs)
	if b.Count != nil && err == nil {
		b.Count.Signatures.Add(1)
		b.Count.Receipts.Add(uint64(len(rs)))
	}
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
