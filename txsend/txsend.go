// Package txsend sends one account's transactions: it reads the account's
// next nonce, has the account's key sign the message for it, submits the
// transaction, waits for its block and, when another holder of the same key
// took the nonce first, signs again with the next one. A submission whose
// answer is lost (a dropped connection, a timeout) is settled by looking the
// transaction up by hash: it may have committed. Every part of Cove
// that sends transactions goes through it: the gatekeeper and the worker
// (with the node's operator key, through the local validator) and the Go
// client and the CLI (with a user's key, through a gateway).
package txsend

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
)

// Ledger is the chain a Sender submits to: the local validator, or a
// gateway's /v1/chain API.
type Ledger interface {
	// ChainID returns the numeric chain id transactions are signed for.
	ChainID(ctx context.Context) (uint64, error)
	// Nonce returns the next nonce of addr in the committed state.
	Nonce(ctx context.Context, addr cove.Address) (uint64, error)
	// Submit submits a signed transaction and waits for the block that
	// holds it. A refusal, by CheckTx or in the block, is an outcome with
	// its code, not an error; an error means the outcome is not known (the
	// transaction may still be committed), unless it matches
	// ErrNotSubmitted.
	Submit(ctx context.Context, tx []byte) (chain.TxOutcome, error)
	// Lookup returns what the ledger knows of a transaction by its hash:
	// committed (with its outcome), pending in the mempool, or unknown.
	Lookup(ctx context.Context, hash cove.Hash) (chain.TxStatus, error)
}

// ErrNoKey is what a Sender without a signing key returns, and what a role
// gets from a node that has no operator key to send with.
var ErrNoKey = errors.New("no key to sign transactions with")

// ErrNotSubmitted marks a Submit error after which the transaction
// certainly went nowhere (the ledger refused the request that carried it):
// Send returns it without looking the transaction up.
var ErrNotSubmitted = errors.New("transaction not submitted")

// Signer signs transaction digests for one account (account.Signer is one).
type Signer interface {
	Address() cove.Address
	Sign(digest cove.Hash) ([65]byte, error)
}

// Defaults of a Sender.
const (
	// DefaultRetries is how many times a send refused for its nonce is
	// signed again with the next one.
	DefaultRetries = 6
	// DefaultTimeout bounds one attempt: reading the nonce, submitting and
	// waiting for the block.
	DefaultTimeout = 30 * time.Second
	// LookupTimeout bounds the look-up by hash that settles a submission
	// whose answer was lost; it runs even when the send's ctx has ended,
	// so that a timed-out send still says what became of its transaction.
	LookupTimeout = 5 * time.Second
	// UnknownGrace is how long settle keeps looking up a transaction the
	// node reports unknown before it says so: right after a dropped
	// answer the transaction may still be on its way into the mempool
	// (CheckTx), or in another validator's.
	UnknownGrace = 2 * time.Second
)

// UnsettledError is a transaction whose submission ended without an answer
// (a dropped connection, a timeout) and that a look-up by hash did not find
// committed. A submission that ended so but whose transaction is found
// committed is not an error: Send returns its outcome.
type UnsettledError struct {
	// Hash is the transaction's hash (chain.TxHash).
	Hash cove.Hash
	// State is what the look-up found: chain.TxPending (it may still
	// commit) or chain.TxUnknown (the node knew it neither pending nor
	// committed for UnknownGrace: most likely never received or dropped,
	// but see Error); empty when the look-up failed too.
	State chain.TxState
	// Err is why the submission ended without an answer.
	Err error
	// LookupErr is why the look-up failed, when it did.
	LookupErr error
}

func (e *UnsettledError) Error() string {
	switch e.State {
	case chain.TxPending:
		return fmt.Sprintf("transaction %s was submitted and is pending in the mempool, not committed yet (it may still commit: look it up with cove chain tx %s): %v", e.Hash, e.Hash, e.Err)
	case chain.TxUnknown:
		return fmt.Sprintf("transaction %s was not seen by the node, neither in a block nor in its mempool, for %s: most likely it was never received or was dropped (a node killed between a block's commit and its indexing can miss one; cove chain tx %s looks again): %v", e.Hash, UnknownGrace, e.Hash, e.Err)
	}
	return fmt.Sprintf("transaction %s: outcome unknown (look it up with cove chain tx %s): %v; look-up: %v", e.Hash, e.Hash, e.Err, e.LookupErr)
}

func (e *UnsettledError) Unwrap() error { return e.Err }

// Sender sends transactions signed by one account. Sends through one Sender
// run one at a time, so the roles that share it never race each other for a
// nonce.
type Sender struct {
	ledger  Ledger
	signer  Signer
	retries int
	timeout time.Duration
	// poll is how often a send refused for its nonce re-reads the
	// committed nonce while the transaction that took it is pending.
	poll time.Duration

	turn chan struct{} // one send at a time; a channel so a waiting send can give up
}

// New returns a Sender of signer's transactions to l.
func New(l Ledger, signer Signer) *Sender {
	return &Sender{ledger: l, signer: signer, retries: DefaultRetries, timeout: DefaultTimeout,
		poll: 50 * time.Millisecond, turn: make(chan struct{}, 1)}
}

// Address returns the sending account.
func (s *Sender) Address() cove.Address { return s.signer.Address() }

// Send signs the message build makes for the account's next nonce, submits
// it and waits for its block. A refusal for a bad nonce means another
// holder of the key (such as the CLI of `cove dev`, whose dev key is also
// the node's operator) took the nonce: Send waits until that transaction
// is committed (the committed nonce moves, within the attempt's timeout)
// and signs again with the next nonce, up to DefaultRetries times; a
// refused nonce changes nothing. Any other refusal is returned as the
// outcome's code with a nil error. A Send waiting for its turn, or for a
// nonce, gives up when ctx ends. A submission that ends without an answer
// is looked up by hash (see settle): committed is its outcome, anything
// else an *UnsettledError that says pending or not committed.
func (s *Sender) Send(ctx context.Context, build func(nonce uint64) chain.Msg) (chain.TxOutcome, error) {
	if s == nil || s.signer == nil {
		return chain.TxOutcome{}, fmt.Errorf("send transaction: %w", ErrNoKey)
	}
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return chain.TxOutcome{}, fmt.Errorf("send transaction: %w", ctx.Err())
	}
	defer func() { <-s.turn }()
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return chain.TxOutcome{}, fmt.Errorf("send transaction: %w", err)
		}
		out, nonce, err := s.sendOnce(ctx, build)
		if err != nil || out.Code != chain.CodeBadNonce || attempt >= s.retries {
			return out, err
		}
		s.awaitNonceAfter(ctx, nonce)
	}
}

// awaitNonceAfter waits until the committed nonce is past used (the
// transaction that took it committed), the attempt's timeout passes or ctx
// ends; the next attempt then reads whatever the nonce is.
func (s *Sender) awaitNonceAfter(ctx context.Context, used uint64) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	t := time.NewTicker(s.poll)
	defer t.Stop()
	for {
		if n, err := s.ledger.Nonce(ctx, s.signer.Address()); err == nil && n > used {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sendOnce makes one attempt and returns its outcome and the nonce it used.
func (s *Sender) sendOnce(ctx context.Context, build func(nonce uint64) chain.Msg) (chain.TxOutcome, uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	// The ledger's errors say what failed (a gateway's name where to
	// look), so they go out as they are.
	chainID, err := s.ledger.ChainID(ctx)
	if err != nil {
		return chain.TxOutcome{}, 0, err
	}
	nonce, err := s.ledger.Nonce(ctx, s.signer.Address())
	if err != nil {
		return chain.TxOutcome{}, 0, err
	}
	msg := build(nonce)
	tx, err := chain.SignTx(chainID, msg, s.signer.Sign)
	if err != nil {
		return chain.TxOutcome{}, nonce, fmt.Errorf("sign transaction: %w", err)
	}
	out, err := s.ledger.Submit(ctx, tx)
	if err != nil && !errors.Is(err, ErrNotSubmitted) {
		out, err = s.settle(ctx, chain.TxHash(tx), err)
	}
	if err != nil {
		return out, nonce, fmt.Errorf("%s: %w", msg.Type(), err)
	}
	return out, nonce, nil
}

// settle finds out what became of a transaction whose submission ended
// with err instead of an answer: it looks the transaction up by hash and,
// while it is pending and ctx lasts, waits for its block. A committed
// transaction's outcome is returned as if the submission had answered;
// anything else is an *UnsettledError.
func (s *Sender) settle(ctx context.Context, hash cove.Hash, err error) (chain.TxOutcome, error) {
	t := time.NewTicker(s.poll)
	defer t.Stop()
	unknownUntil := time.Now().Add(UnknownGrace)
	for {
		// The look-up outlives ctx by LookupTimeout: a send that timed out
		// still says whether its transaction is in the mempool or not.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), LookupTimeout)
		st, lerr := s.ledger.Lookup(lctx, hash)
		cancel()
		switch {
		case lerr != nil:
			return chain.TxOutcome{Hash: hash.String()}, &UnsettledError{Hash: hash, Err: err, LookupErr: lerr}
		case st.State == chain.TxCommitted:
			return st.TxOutcome, nil
		case st.State != chain.TxPending && (ctx.Err() != nil || !time.Now().Before(unknownUntil)):
			return chain.TxOutcome{Hash: hash.String()}, &UnsettledError{Hash: hash, State: chain.TxUnknown, Err: err}
		}
		select {
		case <-ctx.Done():
			return chain.TxOutcome{Hash: hash.String()}, &UnsettledError{Hash: hash, State: st.State, Err: err}
		case <-t.C:
		}
	}
}
