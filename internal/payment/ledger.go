// Package payment checks how a call of a priced agent is paid (issue 11,
// ADR 23): a voucher of a payment channel, against the chain's channel
// and a Ledger of the vouchers accepted before, or the agent's free tier
// (FreeCounts). Gateways check every call; a worker's link checks the
// calls that reach it from outside the worker's node again, so that a
// priced agent is never run for free by calling a worker directly.
package payment

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/ethsig"
	"github.com/cove-network/cove/internal/atomicfile"
)

// A voucher here is either form of payment: a signed voucher, or a word
// of a hash chain with its signed commitment (ADR 26); the ledger keeps
// the highest of each channel, whichever its form.
//
// A ledger is its holder's; what makes a voucher pay one call on the
// network is that a channel is bound to one worker, whose ledger (shared
// by its link and its node's gateway) alone takes the channel's vouchers
// (ADR 25); a gateway's ledger only pre-checks those of channels bound
// to remote workers. It is kept in a file,
// appended to as vouchers are accepted and written to disk every
// SyncInterval, so a restart forgets at most that much: the vouchers of
// those calls could be replayed once, and the owner redeems the highest
// that survived. The chain's redeemed total is a floor no restart loses.

// SyncInterval is how often accepted vouchers are written to disk.
const SyncInterval = 200 * time.Millisecond

// writeBuffer is the ledger's write buffer: lines reach the file when it
// fills (a write under the ledger's lock) or at the next Sync.
const writeBuffer = 64 << 10

// CompactBytes is the log size past which the ledger rewrites it
// with the highest voucher of each channel only.
const CompactBytes = 16 << 20

// accepted is the highest voucher of a channel its ledger accepted.
type accepted struct {
	payment api.Payment
	payer   cove.Address
	// header is the Cove-Payment header value it came in (what the log
	// keeps: encoding it again would cost each call).
	header string
}

// Ledger holds the highest accepted voucher of each channel, and the log
// file that keeps them across restarts.
type Ledger struct {
	// syncMu orders Syncs and the last Run's close (the file's own
	// fsync runs outside mu, so that a call's voucher never waits for
	// the disk).
	syncMu sync.Mutex
	mu     sync.Mutex
	best   map[uint64]accepted
	// keys are the payers' public keys, by channel, recovered from a
	// voucher of the channel (a channel's payer never changes, and its
	// id is never reused).
	keys map[uint64][]byte
	// path is the log file ("" keeps vouchers in memory only); f and w
	// append to it; size is its length; dirty says w holds lines not yet
	// on disk.
	path  string
	f     *os.File
	w     *bufio.Writer
	size  int64
	dirty bool
	log   *slog.Logger
	// runners counts the Runs in progress.
	runners int
}

// Open loads the ledger kept at path (created if missing; "" for
// one in memory only) and compacts its log.
func Open(path string, log *slog.Logger) (*Ledger, error) {
	l := &Ledger{best: map[uint64]accepted{}, keys: map[uint64][]byte{}, path: path, log: log}
	if path == "" {
		return l, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("vouchers: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("vouchers: %w", err)
	}
	// Every voucher not undone is a candidate; the highest of each
	// channel wins.
	kept := map[uint64][]accepted{}
	bad := 0
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		first, header, ok := bytes.Cut(line, []byte(" "))
		p, perr := api.ParsePayment(string(header))
		if !ok || perr != nil {
			bad++ // a line cut short by a crash
			continue
		}
		if string(first) == undoMark {
			kept[p.Channel] = slices.DeleteFunc(kept[p.Channel], func(a accepted) bool { return samePayment(a.payment, p) })
			continue
		}
		addr, err := cove.ParseAddress(string(first))
		if err != nil {
			bad++
			continue
		}
		kept[p.Channel] = append(kept[p.Channel], accepted{payment: p, payer: addr, header: string(header)})
	}
	for id, as := range kept {
		for _, a := range as {
			if cur, ok := l.best[id]; !ok || a.payment.Amount.Cmp(cur.payment.Amount) > 0 {
				l.best[id] = a
			}
		}
	}
	if bad > 0 {
		log.Warn("vouchers: skipped unreadable lines of the ledger (a write cut short)", "lines", bad, "path", path)
	}
	if err := l.rewrite(); err != nil {
		return nil, err
	}
	return l, nil
}

// line is the log line of a: the payer's address (lowercase hex: the
// EIP-55 checksum costs a keccak per call), a space, the voucher's
// Cove-Payment header value.
func (a accepted) line() string {
	return "0x" + hex.EncodeToString(a.payer[:]) + " " + a.header + "\n"
}

// samePayment reports whether a and b are the same voucher.
func samePayment(a, b api.Payment) bool {
	return a.Channel == b.Channel && a.Nonce == b.Nonce && a.Signature == b.Signature && a.Amount.Cmp(b.Amount) == 0
}

// undoMark opens the log line of an undone voucher (undo).
const undoMark = "undo"

// rewrite replaces the log with the highest voucher of each channel and
// reopens it for appending. Called with l.mu held, or before l is shared.
func (l *Ledger) rewrite() error {
	if l.f != nil {
		l.w.Flush()
		l.f.Close()
	}
	var buf bytes.Buffer
	for _, id := range slices.Sorted(maps.Keys(l.best)) {
		buf.WriteString(l.best[id].line())
	}
	if err := atomicfile.Write(l.path, buf.Bytes()); err != nil {
		return fmt.Errorf("vouchers: %w", err)
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("vouchers: %w", err)
	}
	l.f, l.w, l.size = f, bufio.NewWriterSize(f, writeBuffer), int64(buf.Len())
	return nil
}

// reopen opens the log for appending again after a failed rewrite,
// writing every best voucher once more (a line twice is harmless).
func (l *Ledger) reopen() {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		l.log.Error("vouchers: reopen the ledger: accepted vouchers are kept in memory only", "err", err)
		l.f, l.w = nil, nil
		return
	}
	l.f, l.w = f, bufio.NewWriterSize(f, writeBuffer)
	for _, a := range l.best {
		l.append(a.line())
	}
}

// payersVoucher reports whether p, a payment of channel c, is signed by
// c's payer: a voucher, or a word's commitment (not the word).
func (l *Ledger) payersVoucher(c chain.ChannelRecord, p api.Payment) bool {
	_, ok := l.signedByPayer(c, p.Digest(), p.Signature)
	return ok
}

// acceptedHeader returns the Cove-Payment value of channel id's highest
// accepted voucher, or "".
func (l *Ledger) acceptedHeader(id uint64) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.best[id].header
}

// Learn takes h, a voucher of channel c that its verifier says it
// accepted (cove.Error.Accepted), as accepted here too when it is the
// payer's for this chain and channel, within the deposit, and higher than
// what this ledger holds: a gateway whose pre-check is behind the worker
// then asks the payer for the voucher after it. Nothing unsigned moves
// the floor: the payer signed that amount. It reports why h is not taken.
func (l *Ledger) Learn(v chain.View, c chain.ChannelRecord, h string) error {
	p, err := api.ParsePayment(h)
	if err != nil {
		return err
	}
	if p.Channel != c.ID || p.Agent != c.Agent || p.ChainID != v.ChainID() {
		return fmt.Errorf("the voucher is not of channel %d on this chain", c.ID)
	}
	l.mu.Lock()
	cur, ok := l.best[c.ID]
	l.mu.Unlock()
	if ok && cur.payment.Amount.Cmp(p.Amount) >= 0 {
		return nil // no news: not worth a recovery
	}
	if reason, ok := checkAsChain(p, c); !ok {
		return errors.New(reason)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur, ok := l.best[c.ID]; ok && cur.payment.Amount.Cmp(p.Amount) >= 0 {
		return nil // no news
	}
	a := accepted{payment: p, payer: c.Payer, header: h}
	l.best[c.ID] = a
	l.append(a.line())
	return nil
}

// Floor returns the least amount above which, and the nonce above which,
// the next voucher of c must be: the highest accepted (or learnt from the
// channel's verifier, Learn), or the chain's redeemed total if higher.
func (l *Ledger) Floor(c chain.ChannelRecord) (*big.Int, uint64) {
	amount, nonce := c.Redeemed.Big(), c.VoucherNonce
	l.mu.Lock()
	a, ok := l.best[c.ID]
	l.mu.Unlock()
	if ok && a.payment.Amount.Cmp(amount) > 0 {
		amount = a.payment.Amount
	}
	if ok && a.payment.Nonce > nonce {
		nonce = a.payment.Nonce
	}
	return new(big.Int).Set(amount), nonce
}

// checkAsChain checks p, a payment of channel c, as the chain's Redeem or
// RedeemHashChain would: a voucher (chain.CheckVoucher), or a word of a
// commitment (chain.CheckHashChainWord: up to count hashes).
func checkAsChain(p api.Payment, c chain.ChannelRecord) (reason string, ok bool) {
	if p.Word != nil {
		_, reason, ok = chain.CheckHashChainWord(c, p.Commitment(), p.Signature[:], p.Word.K, p.Word.W)
		return reason, ok
	}
	return chain.CheckVoucher(p.ChainID, c, p.Amount, p.Nonce, p.Signature[:])
}

// signedByPayer checks that sig over d is channel c's payer's: the
// chain's rule (chain.CheckVoucher) recovers the signer; once this ledger
// has recovered the payer's key from one signature of the channel, it
// verifies the next ones with it, which costs less. A signature that
// passes with the other v is still the payer's: the owner's list fixes v
// (Redeemable).
func (l *Ledger) signedByPayer(c chain.ChannelRecord, d cove.Hash, sig [ethsig.Size]byte) (reason string, ok bool) {
	if pub := l.payerKey(c.ID); pub != nil {
		if err := ethsig.Verify(pub, d, sig); err != nil {
			return chain.NotPayersVoucher(c), false
		}
		return "", true
	}
	pub, addr, err := ethsig.RecoverPublicKey(d, sig)
	if err != nil {
		return "the voucher's signature: " + ethsig.Reason(err), false
	}
	if addr != c.Payer {
		return chain.NotPayersVoucher(c), false
	}
	l.learnPayerKey(c.ID, pub)
	return "", true
}

// MaxWordGap is how many words past the last one it accepted of a
// commitment a verifier takes (a payer's calls may arrive out of order;
// the words skipped are paid for): each costs one hash.
const MaxWordGap = 64

// checkWord checks the signature and the word of p, a payment by a word
// of a hash chain (ADR 26) that passed the amount checks: the next word
// of the commitment this ledger last accepted a word of for channel c is
// checked with one hash per word since (at most MaxWordGap); the first
// word of a commitment (at most its MaxWordGap-th, with a unit of at
// least the price) with its signature (recovered) and k hashes back to
// the root.
func (l *Ledger) checkWord(c chain.ChannelRecord, p api.Payment, price *big.Int) (reason string, ok bool) {
	w, hc := p.Word, p.Commitment()
	if _, reason, ok := chain.CheckHashChainIndex(c, hc, w.K); !ok {
		return reason, false
	}
	l.mu.Lock()
	prev, had := l.best[c.ID]
	l.mu.Unlock()
	if had && prev.payment.SameCommitment(p) {
		last := prev.payment.Word.K
		if w.K <= last || w.K-last > MaxWordGap {
			return fmt.Sprintf("word %d is not after word %d, the last of its commitment this verifier took, by 1 to %d", w.K, last, MaxWordGap), false
		}
		if cove.HashBack(w.W, w.K-last) != prev.payment.Word.W {
			return fmt.Sprintf("word %d does not hash back to word %d of its commitment: it is not the payer's", w.K, last), false
		}
		return "", true
	}
	// A commitment this ledger has not taken a word of: its first word
	// here is at most the MaxWordGap-th (a payer starts at word 1, and
	// one that moved on from another gateway commits again), and its unit
	// pays the price, so that a refused commitment, which is not kept,
	// costs a recovery and at most MaxWordGap hashes however often it is
	// sent.
	if w.K > MaxWordGap {
		return fmt.Sprintf("word %d is the first of its commitment this verifier sees: a commitment's first word here must be at most its %dth (commit again from where the channel stands)", w.K, MaxWordGap), false
	}
	if hc.Unit.Cmp(price) < 0 {
		return fmt.Sprintf("the commitment's unit %s is below the agent's price %s", hc.Unit, price), false
	}
	pub, reason, ok := chain.CheckHashChainCommitment(c, hc, p.Signature[:])
	if !ok {
		return reason, false
	}
	if cove.HashBack(w.W, w.K) != hc.Root {
		return fmt.Sprintf("word %d does not hash back to the commitment's root: it is not the payer's", w.K), false
	}
	l.learnPayerKey(c.ID, pub)
	return "", true
}

// payerKey returns the public key of channel id's payer, if known.
func (l *Ledger) payerKey(id uint64) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.keys[id]
}

// learnPayerKey keeps pub, recovered from a voucher of channel id that
// names its payer.
func (l *Ledger) learnPayerKey(id uint64, pub []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys[id] = pub
}

// errStale is a voucher at or below the channel's floor.
var errStale = errors.New("stale voucher")

// accept records p, a voucher of c whose signature was checked, if it is
// at least price above the channel's floor with a higher nonce;
// errStale otherwise. The check and the record are one step, so two
// calls with the same voucher cannot both pass. It returns the voucher p
// replaced, for undo.
func (l *Ledger) accept(c chain.ChannelRecord, p api.Payment, header string, price *big.Int) (prev accepted, had bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	prev, had = l.best[c.ID]
	amount, nonce := c.Redeemed.Big(), c.VoucherNonce
	if had {
		if prev.payment.Amount.Cmp(amount) > 0 {
			amount.Set(prev.payment.Amount)
		}
		nonce = max(nonce, prev.payment.Nonce)
	}
	if staleNonce(p, nonce) || p.Amount.Cmp(amount.Add(amount, price)) < 0 {
		return prev, had, errStale
	}
	a := accepted{payment: p, payer: c.Payer, header: header}
	l.best[c.ID] = a
	l.append(a.line())
	return prev, had, nil
}

// staleNonce reports whether p's nonce is too low for a channel whose
// highest nonce is nonce: a voucher's must be above it; the words of a
// commitment share its nonce, so a word's may equal it (its amount must
// still rise, and only the payer signs commitments).
func staleNonce(p api.Payment, nonce uint64) bool {
	if p.Word != nil {
		return p.Nonce < nonce
	}
	return p.Nonce <= nonce
}

// undo takes back p, accepted for a call that did not run (no worker
// could take it), if no later voucher of its channel replaced it: the
// channel's floor goes back to prev, so the payer's next voucher pays for
// its next call, not for this one.
func (l *Ledger) undo(p api.Payment, prev accepted, had bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur, ok := l.best[p.Channel]; !ok || !samePayment(cur.payment, p) {
		return
	}
	l.append(undoMark + " " + p.Header() + "\n") // rare: encoded again
	if had {
		l.best[p.Channel] = prev
		// Again after the undo: a compaction since prev was accepted may
		// have left p the only line of its channel.
		l.append(prev.line())
	} else {
		delete(l.best, p.Channel)
	}
}

// append adds a line to the log (written to disk at the next sync).
// Called with l.mu held.
func (l *Ledger) append(line string) {
	if l.w == nil {
		return
	}
	n, err := l.w.WriteString(line)
	if err != nil {
		l.log.Error("vouchers: write the ledger", "err", err)
	}
	l.size += int64(n)
	l.dirty = true
}

// Sync writes the lines appended since the last sync to disk, and
// compacts a log past CompactBytes. The lines are handed to the file
// under the ledger's lock; the fsync runs after it, so calls being paid
// do not wait for the disk.
func (l *Ledger) Sync() {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	if l.w == nil || !l.dirty {
		l.mu.Unlock()
		return
	}
	l.dirty = false
	if l.size > CompactBytes {
		if err := l.rewrite(); err != nil {
			// rewrite closed the log: keep appending to it rather than
			// to nothing, and try to compact again at the next sync.
			l.log.Error("vouchers: compact the ledger", "err", err)
			l.reopen()
		}
		l.mu.Unlock()
		return
	}
	err := l.w.Flush()
	f := l.f
	l.mu.Unlock()
	if err != nil {
		l.log.Error("vouchers: write the ledger", "err", err)
		return
	}
	// Only a Sync (holding syncMu) or the last Run's close, which takes
	// syncMu too, closes or replaces f.
	if err := f.Sync(); err != nil {
		l.log.Error("vouchers: sync the ledger", "err", err)
	}
}

// Run syncs the ledger every SyncInterval until ctx ends, then once
// more, and closes its file when no other Run is left: every holder that
// takes vouchers into the ledger runs it (a worker, its link and its
// node's gateway share one, ADR 25), and the last to stop closes it.
func (l *Ledger) Run(ctx context.Context) {
	l.mu.Lock()
	l.runners++
	if l.f == nil && l.path != "" {
		// Another holder's Run ended before this one began and closed
		// the file: open it again (writing the best vouchers once more).
		l.reopen()
	}
	l.mu.Unlock()
	t := time.NewTicker(SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			l.Sync()
		case <-ctx.Done():
			l.Sync()
			l.syncMu.Lock()
			l.mu.Lock()
			l.runners--
			if l.runners == 0 && l.f != nil {
				// Lines appended since the Sync above, then the file.
				if err := l.w.Flush(); err != nil {
					l.log.Error("vouchers: write the ledger", "err", err)
				}
				l.f.Sync()
				l.f.Close()
				l.f, l.w = nil, nil
			}
			l.mu.Unlock()
			l.syncMu.Unlock()
			return
		}
	}
}

// Redeemable returns the accepted vouchers of agent's channels that add
// to what the chain has redeemed, by channel.
func (l *Ledger) Redeemable(v chain.View, agent cove.AgentID) []api.Redeemable {
	l.mu.Lock()
	var mine []accepted
	for _, a := range l.best {
		if a.payment.Agent == agent {
			mine = append(mine, a)
		}
	}
	l.mu.Unlock()
	slices.SortFunc(mine, func(a, b accepted) int { return cmp.Compare(a.payment.Channel, b.payment.Channel) })
	out := []api.Redeemable{}
	for _, a := range mine {
		c, err := v.Channel(a.payment.Channel)
		if err != nil || c.Agent != agent || a.payment.Amount.Cmp(c.Redeemed.Big()) <= 0 {
			continue // settled, or nothing to add
		}
		// Verified against the payer's key, v may name the other key:
		// the chain recovers, so it gets the v that recovers to the payer.
		sig, err := ethsig.FixV(a.payment.Digest(), a.payment.Signature, c.Payer)
		if err != nil {
			l.log.Error("vouchers: an accepted voucher is not the payer's", "channel", c.ID, "err", err)
			continue
		}
		out = append(out, api.Redeemable{
			Channel: c.ID, Payer: c.Payer, Amount: a.payment.Amount.String(), Nonce: a.payment.Nonce,
			Signature: "0x" + hex.EncodeToString(sig[:]), Redeemed: c.Redeemed.String(), HashChain: redeemableWord(a.payment.Word),
		})
	}
	return out
}

// redeemableWord returns w as a Redeemable's HashChain (nil for a
// voucher).
func redeemableWord(w *api.HashWord) *api.RedeemableWord {
	if w == nil {
		return nil
	}
	return &api.RedeemableWord{Base: w.Base.String(), Unit: w.Unit.String(), Count: w.Count, Root: w.Root, K: w.K, Word: w.W}
}

// Refusal is a refused payment: the message, and the channel the
// voucher named when it exists.
type Refusal struct {
	Msg     string
	Channel *chain.ChannelRecord
	// Accepted is the highest voucher (or word) of the channel this
	// ledger accepted (its Cove-Payment value), for a replay or a payment
	// too low that the payer signed (for a word: whose commitment the
	// payer signed; cove.Error.Accepted); empty otherwise, or when this
	// ledger holds none.
	Accepted string
}

// Paid is a call's accepted voucher, which Refund gives back when the
// call does not run.
type Paid struct {
	l        *Ledger
	p        api.Payment
	prev     accepted
	had      bool
	verifier cove.Hash
}

// Channel is the paid call's channel.
func (pd *Paid) Channel() uint64 { return pd.p.Channel }

// Verifier is the worker the paid call must run on: its channel's.
func (pd *Paid) Verifier() cove.Hash { return pd.verifier }

// Refund undoes the payment (nil: nothing was paid).
func (pd *Paid) Refund() {
	if pd != nil {
		pd.l.undo(pd.p, pd.prev, pd.had)
	}
}

// Pay checks the voucher h (a Cove-Payment header value) of a call of
// the priced agent a against the committed chain state v and the ledger,
// and records it: the form, the chain id, the agent, the channel (it
// exists, pays a, is open, names a verifier: at, when at is not zero),
// the amount against the channel's floor (the highest voucher accepted,
// or the chain's redeemed total) plus the price, the deposit, and the
// payer's signature (recovered for the first voucher of a channel, then
// verified with the payer's key), or for a hash-chain word (ADR 26) the
// word against the last of its commitment (checkWord). It returns the
// payment, which Refund gives back, or why it is refused.
//
// at is the worker that runs the call, when the caller is that worker (a
// link); a gateway, which routes the call to the channel's verifier
// (Paid.Verifier), passes zero.
func (l *Ledger) Pay(v chain.View, a cove.Agent, h string, at cove.Hash) (*Paid, *Refusal) {
	return Pay(v, a, h, at, func(chain.ChannelRecord) *Ledger { return l })
}

// Pay is Ledger.Pay with the ledger chosen by the voucher's channel: a
// gateway keeps the vouchers of channels bound to its node's own worker
// in that worker's ledger, which its link shares (ADR 25).
func Pay(v chain.View, a cove.Agent, h string, at cove.Hash, ledgerOf func(chain.ChannelRecord) *Ledger) (*Paid, *Refusal) {
	p, err := api.ParsePayment(h)
	if err != nil {
		return nil, &Refusal{Msg: err.Error()}
	}
	if p.ChainID != v.ChainID() {
		return nil, &Refusal{Msg: fmt.Sprintf("the voucher is for chain %d, this network is chain %d", p.ChainID, v.ChainID())}
	}
	if p.Agent != a.ID {
		return nil, &Refusal{Msg: fmt.Sprintf("the voucher pays agent %s, this call is to agent %s", p.Agent, a.ID)}
	}
	c, err := v.Channel(p.Channel)
	if err != nil {
		return nil, &Refusal{Msg: fmt.Sprintf("channel %d does not exist (settled, or not opened yet: wait for its OpenChannel's block)", p.Channel)}
	}
	if c.Agent != a.ID {
		return nil, &Refusal{Msg: fmt.Sprintf("channel %d pays agent %s, not %s", c.ID, c.Agent, a.ID), Channel: &c}
	}
	if !c.Open() {
		return nil, &Refusal{Msg: fmt.Sprintf("channel %d is closing: it takes no new vouchers; open another", c.ID), Channel: &c}
	}
	// One verifier per channel, or a voucher would pay once at each.
	if c.Verifier.IsZero() {
		return nil, &Refusal{Msg: fmt.Sprintf("channel %d names no verifier, so no gateway or worker takes its vouchers (a voucher would pay once at each): open a channel bound to a worker that serves the agent (`cove channel open` binds one; GET /v1/agents/%s/terms lists them), and close this one", c.ID, a.ID), Channel: &c}
	}
	if !at.IsZero() && c.Verifier != at {
		return nil, &Refusal{Msg: fmt.Sprintf("channel %d is bound to worker %s, and only that worker takes its vouchers; this is worker %s: call through a gateway (it routes the call to %s)", c.ID, c.Verifier, at, c.Verifier), Channel: &c}
	}
	l := ledgerOf(c)
	// The cheap check first: a replayed or lower voucher is refused
	// before its signature costs a recovery.
	if floor, nonce := l.Floor(c); staleNonce(p, nonce) || p.Amount.Cmp(new(big.Int).Add(floor, a.Price)) < 0 {
		ref := &Refusal{Msg: fmt.Sprintf("the voucher (amount %s, nonce %d) is a replay or too low: the next voucher of channel %d must carry an amount of at least %s and a nonce above %d", p.Amount, p.Nonce, c.ID, new(big.Int).Add(floor, a.Price), nonce), Channel: &c}
		// The payer's latest voucher goes back only to a caller that
		// showed one the payer signed (a gateway whose view is behind):
		// not to anyone who names the channel.
		if l.payersVoucher(c, p) {
			ref.Accepted = l.acceptedHeader(c.ID)
		}
		return nil, ref
	}
	if reason, ok := chain.CheckVoucherAmount(c, p.Amount); !ok {
		return nil, &Refusal{Msg: reason, Channel: &c}
	}
	// The payer's signature (a voucher's), or the word (ADR 26).
	if p.Word != nil {
		if reason, ok := l.checkWord(c, p, a.Price); !ok {
			return nil, &Refusal{Msg: reason, Channel: &c}
		}
	} else if reason, ok := l.signedByPayer(c, p.Voucher().Digest(), p.Signature); !ok {
		return nil, &Refusal{Msg: reason, Channel: &c}
	}
	prev, had, err := l.accept(c, p, h, a.Price)
	if err != nil {
		return nil, &Refusal{Msg: fmt.Sprintf("the voucher (amount %s, nonce %d) was just used by another call: sign the next one", p.Amount, p.Nonce), Channel: &c}
	}
	return &Paid{l: l, p: p, prev: prev, had: had, verifier: c.Verifier}, nil
}

// CheckRedeemable checks r, a voucher another gateway or a worker says it
// accepted for agent, as the chain would redeem it now: a channel of
// agent, signed by its payer for this chain, within the deposit, adding
// to what was redeemed. It returns the voucher rebuilt from the chain's
// channel and r's checked fields (the channel's payer and redeemed total,
// the signature in canonical 0x-hex), so nothing else of r reaches the
// owner; or the reason r does not redeem.
func CheckRedeemable(v chain.View, agent cove.AgentID, r api.Redeemable) (api.Redeemable, string, bool) {
	c, err := v.Channel(r.Channel)
	if err != nil {
		return api.Redeemable{}, "channel " + strconv.FormatUint(r.Channel, 10) + " does not exist", false
	}
	if c.Agent != agent {
		return api.Redeemable{}, "channel " + strconv.FormatUint(r.Channel, 10) + " pays another agent", false
	}
	amount, ok := api.ParseAmount(r.Amount)
	if !ok {
		return api.Redeemable{}, "the amount is not an amount (canonical decimal, 0 to 2^256-1)", false
	}
	if !strings.HasPrefix(r.Signature, "0x") {
		return api.Redeemable{}, "the signature is not 0x-hex", false
	}
	sig, err := hex.DecodeString(r.Signature[2:])
	if err != nil {
		return api.Redeemable{}, "the signature is not 0x-hex", false
	}
	if len(sig) != ethsig.Size {
		return api.Redeemable{}, "the signature is " + strconv.Itoa(len(sig)) + " bytes, want 65 (r ‖ s ‖ v)", false
	}
	p := api.Payment{Channel: c.ID, Agent: c.Agent, Amount: amount, Nonce: r.Nonce, ChainID: v.ChainID(), Signature: [ethsig.Size]byte(sig)}
	if w := r.HashChain; w != nil {
		base, ok1 := api.ParseAmount(w.Base)
		unit, ok2 := api.ParseAmount(w.Unit)
		if !ok1 || !ok2 {
			return api.Redeemable{}, "the commitment's base or unit is not an amount (canonical decimal, 0 to 2^256-1)", false
		}
		p.Word = &api.HashWord{Base: base, Unit: unit, Count: w.Count, Root: w.Root, K: w.K, W: w.Word}
		if p.Commitment().Amount(w.K).Cmp(amount) != 0 {
			return api.Redeemable{}, "the amount is not the word's total, base + k·unit", false
		}
	}
	if reason, ok := checkAsChain(p, c); !ok {
		return api.Redeemable{}, reason, false
	}
	if amount.Cmp(c.Redeemed.Big()) <= 0 {
		return api.Redeemable{}, "it adds nothing to what the channel redeemed", false
	}
	return api.Redeemable{Channel: c.ID, Payer: c.Payer, Amount: amount.String(), Nonce: r.Nonce,
		Signature: "0x" + hex.EncodeToString(sig), Redeemed: c.Redeemed.String(), HashChain: redeemableWord(p.Word)}, "", true
}
