package bridge

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/contracts"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
)

const (
	// scanChunk is the most blocks one eth_getLogs asks for.
	scanChunk = 500
	// MaxResponse is the largest answer the bridge puts in a fulfil: EVM
	// nodes refuse transactions over 128 KiB (go-ethereum's txpool).
	MaxResponse = 120 << 10
	// maxAttempts is how often a request is retried (an agent call that
	// failed, a fulfilment that reverted) before it is left stuck.
	maxAttempts = 8
	// finalDepth is how many blocks past Confirmations a fulfilment is
	// watched for a reorg before the bridge forgets the request.
	finalDepth = 6
	// callOrigin is the origin of the URL an agent sees for a request from
	// an EVM chain (a reserved name: nothing answers there).
	callOrigin = "http://evm.invalid"
)

// Request states of CoveAnchor (its Status enum).
const (
	anchorNone      = 0
	anchorPending   = 1
	anchorFulfilled = 2
	anchorCancelled = 3
)

// relay serves one chain. Only its run goroutine touches its state; mu
// guards what Status reads.
type relay struct {
	cfg  ChainConfig
	cove Cove
	conc int
	path string
	log  *slog.Logger

	evm     EVM
	anchor  *contracts.CoveAnchor
	chainID *big.Int
	from    common.Address
	st      *relayState
	// nonce is the next nonce to use, valid while nonceOK.
	nonce   uint64
	nonceOK bool
	// rebroadcast is set at start: the first pass sends every fulfilment
	// in flight again (the node may have lost it).
	rebroadcast bool
	// registered are agents whose attestor the anchor has as the Cove
	// chain does (registrations sent are in st.Registrations).
	registered map[cove.AgentID]bool
	// filled are nonces fillGaps sent a filler at, and when.
	filled map[uint64]time.Time
	// cappedLogged: the fee cap was reported.
	cappedLogged bool
	// closeEVM closes a client the relay dialled.
	closeEVM func()

	mu      sync.Mutex
	head    uint64
	fee     *big.Int
	lastErr string
	// shown is what Status reports of st, copied after each pass (st
	// itself belongs to the run goroutine).
	shown struct {
		scanned, fulfilled uint64
		inFlight           int
		requests           []RequestStatus // in flight, by id
	}
	// done are the last requests fulfilled since the relay started,
	// newest last (at most maxDone).
	done []RequestStatus
}

// maxDone bounds the fulfilled requests Status lists.
const maxDone = 20

func (r *relay) run(ctx context.Context) error {
	st, err := loadState(r.path, r.cfg.ChainID, r.cfg.Anchor, r.cfg.StartBlock)
	if err != nil {
		// Not served; said where an operator looks (the log, GET /v1/evm).
		r.log.Error("not serving this chain", "err", err)
		r.setErr(err)
		return err
	}
	defer func() {
		if r.closeEVM != nil {
			r.closeEVM()
		}
	}()
	r.st = st
	r.publish()
	r.rebroadcast = true
	r.registered = map[cove.AgentID]bool{}
	r.filled = map[uint64]time.Time{}
	r.log.Info("bridge serving", "anchor", r.cfg.Anchor, "relayer", r.from, "from_block", st.Next, "in_flight", len(st.Flights), "confirmations", r.cfg.Confirmations)
	t := time.NewTicker(r.cfg.PollInterval)
	defer t.Stop()
	for {
		err := r.pass(ctx)
		if ctx.Err() != nil {
			return nil
		}
		r.publish()
		r.setErr(err)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// setErr records the outcome of a pass, logging an error when it changes.
func (r *relay) setErr(err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	r.mu.Lock()
	changed := msg != r.lastErr
	r.lastErr = msg
	r.mu.Unlock()
	if changed && err != nil {
		r.log.Warn("bridge pass failed; retrying", "err", err)
	} else if changed {
		r.log.Info("bridge pass succeeded again")
	}
}

// publish copies what Status reports of the state (run goroutine only).
func (r *relay) publish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shown.scanned, r.shown.inFlight, r.shown.fulfilled = r.st.Next, len(r.st.Flights), r.st.Fulfilled
	r.shown.requests = r.shown.requests[:0]
	for _, f := range r.st.Flights {
		r.shown.requests = append(r.shown.requests, f.summary())
	}
	slices.SortFunc(r.shown.requests, func(a, b RequestStatus) int { return cmp.Compare(a.Block, b.Block) })
}

func (r *relay) status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	// A fulfilled request stays in flight (mined) until final: listed
	// once, as fulfilled.
	reqs := slices.DeleteFunc(slices.Clone(r.shown.requests), func(q RequestStatus) bool {
		return slices.ContainsFunc(r.done, func(d RequestStatus) bool { return d.ID == q.ID && d.Block == q.Block })
	})
	inFlight := len(reqs)
	for i := len(r.done) - 1; i >= 0; i-- {
		reqs = append(reqs, r.done[i])
	}
	return Status{
		Name: r.cfg.Name, ChainID: r.cfg.ChainID, RPC: r.cfg.RPC, Anchor: r.cfg.Anchor, Relayer: r.from, Head: r.head, Fee: r.fee, LastError: r.lastErr,
		Scanned: r.shown.scanned, InFlight: inFlight, Fulfilled: r.shown.fulfilled, Requests: reqs,
	}
}

// connect dials the chain once and checks it is the configured one.
func (r *relay) connect(ctx context.Context) error {
	if r.anchor != nil {
		return nil
	}
	evm := r.cfg.Client
	if evm == nil {
		c, err := ethclient.DialContext(ctx, r.cfg.RPC)
		if err != nil {
			return fmt.Errorf("evm rpc %s: %w", r.cfg.RPC, err)
		}
		r.closeEVM = c.Close
		evm = c
	}
	id, err := evm.ChainID(ctx)
	if err != nil {
		return fmt.Errorf("eth_chainId: %w", err)
	}
	if !id.IsUint64() || id.Uint64() != r.cfg.ChainID {
		return fmt.Errorf("the node at %s serves chain %s, not the configured %d", r.cfg.RPC, id, r.cfg.ChainID)
	}
	a, err := contracts.NewCoveAnchor(r.cfg.Anchor, evm)
	if err != nil {
		return err
	}
	r.evm, r.anchor, r.chainID = evm, a, id
	return nil
}

// pass does one round: reorg check, scan, then serve what is in flight.
func (r *relay) pass(ctx context.Context) error {
	if err := r.connect(ctx); err != nil {
		return err
	}
	head, err := r.evm.BlockNumber(ctx)
	if err != nil {
		return fmt.Errorf("eth_blockNumber: %w", err)
	}
	fee, err := r.anchor.Fee(&bind.CallOpts{Context: ctx})
	if err != nil {
		return fmt.Errorf("the anchor's fee(): %w", err)
	}
	r.mu.Lock()
	r.head, r.fee = head, fee
	r.mu.Unlock()
	if err := r.checkReorg(ctx); err != nil {
		return err
	}
	if err := r.scan(ctx, head); err != nil {
		return err
	}
	return r.serve(ctx, head)
}

// checkReorg compares the hashes of the last scanned blocks with the
// chain's; on a difference it rewinds the cursor to the newest block that
// still matches, so the blocks after it are scanned again.
func (r *relay) checkReorg(ctx context.Context) error {
	rec := r.st.Recent
	for i := len(rec) - 1; i >= 0; i-- {
		h, err := r.evm.HeaderByNumber(ctx, new(big.Int).SetUint64(rec[i].Number))
		if err != nil && !errors.Is(err, ethereum.NotFound) {
			return fmt.Errorf("reorg check: header %d: %w", rec[i].Number, err)
		}
		if err == nil && h.Hash() == rec[i].Hash {
			if i == len(rec)-1 {
				return nil
			}
			r.rewind(rec[i].Number+1, rec[:i+1])
			return r.st.save(r.path)
		}
	}
	if len(rec) == 0 {
		return nil
	}
	// None of the blocks it scanned is on the chain any more: a reorg
	// deeper than it remembers, or a chain reset under the same anchor
	// address. Requests are checked against the anchor before any gas is
	// paid, so scanning again from the start is safe.
	r.log.Error("the chain no longer has any block the bridge scanned: rescanning from the start block", "from", r.cfg.StartBlock, "was", r.st.Next)
	r.rewind(r.cfg.StartBlock, nil)
	return r.st.save(r.path)
}

// rewind resumes the scan at next: requests seen in the blocks dropped are
// forgotten unless a fulfilment is out for them (those are checked against
// the anchor as they settle).
func (r *relay) rewind(next uint64, keep []blockRef) {
	r.log.Warn("reorg: rescanning", "from", next, "was", r.st.Next)
	r.st.Next = next
	r.st.Recent = slices.Clone(keep)
	for k, f := range r.st.Flights {
		if f.Block >= next && f.Stage == stageNew {
			delete(r.st.Flights, k)
		}
	}
}

// scan reads the CoveRequests of the blocks from the cursor up to head
// less the confirmations.
func (r *relay) scan(ctx context.Context, head uint64) error {
	if head < r.cfg.Confirmations {
		return nil
	}
	safe := head - r.cfg.Confirmations
	for r.st.Next <= safe {
		from, to := r.st.Next, min(r.st.Next+scanChunk-1, safe)
		logs, err := r.evm.FilterLogs(ctx, ethereum.FilterQuery{
			FromBlock: new(big.Int).SetUint64(from), ToBlock: new(big.Int).SetUint64(to),
			Addresses: []common.Address{r.cfg.Anchor}, Topics: [][]common.Hash{{coveRequestEvent}},
		})
		if err != nil {
			return fmt.Errorf("eth_getLogs %d-%d: %w", from, to, err)
		}
		h, err := r.evm.HeaderByNumber(ctx, new(big.Int).SetUint64(to))
		if err != nil {
			return fmt.Errorf("header %d: %w", to, err)
		}
		for _, l := range logs {
			if l.Removed {
				continue
			}
			req, err := decodeRequest(l, r.chainID, r.cfg.Anchor)
			if err != nil {
				r.log.Warn("skipping a log the anchor's rules do not produce", "tx", l.TxHash, "index", l.Index, "err", err)
				continue
			}
			k := req.ID.String()
			if f, ok := r.st.Flights[k]; ok && f.Hash == req.Hash {
				continue
			}
			r.st.Flights[k] = &flight{ID: k, Agent: req.Agent, Path: req.Path, Body: req.Body, Hash: req.Hash, Block: req.Block, Stage: stageNew, SeenAt: time.Now()}
			r.log.Info("request seen", "request", k, "agent", req.Agent, "path", req.Path, "block", req.Block)
		}
		r.st.Next = to + 1
		r.st.Recent = append(r.st.Recent, blockRef{Number: to, Hash: h.Hash()})
		if n := len(r.st.Recent); n > keepRecent {
			r.st.Recent = slices.Clone(r.st.Recent[n-keepRecent:])
		}
		if err := r.st.save(r.path); err != nil {
			return err
		}
	}
	return nil
}

// serve settles fulfilments that are out, then answers new requests.
func (r *relay) serve(ctx context.Context, head uint64) error {
	if err := r.settle(ctx, head); err != nil {
		return err
	}
	return r.answer(ctx, head)
}

// sorted returns the flights of one stage by request id (oldest first).
func (r *relay) sorted(stage string) []*flight {
	var out []*flight
	for _, f := range r.st.Flights {
		if f.Stage == stage {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b *flight) int { return a.id().Cmp(b.id()) })
	return out
}

// settle follows each fulfilment that is out: mined, reverted, replaced or
// still waiting (re-priced when it waited too long), and forgets requests
// whose fulfilment is final.
func (r *relay) settle(ctx context.Context, head uint64) error {
	changed := false
	defer func() {
		if changed {
			if err := r.st.save(r.path); err != nil {
				r.log.Error("saving bridge state", "err", err)
			}
		}
	}()
	if r.rebroadcast {
		r.resume(ctx)
		r.rebroadcast = false
	}
	if err := r.syncNonce(ctx); err != nil {
		return err
	}
	confirmed, err := r.evm.NonceAt(ctx, r.from, nil)
	if err != nil {
		return fmt.Errorf("relayer nonce: %w", err)
	}
	if err := r.fillGaps(ctx, confirmed); err != nil {
		return err
	}
	regChanged, err := r.settleRegistrations(ctx, confirmed)
	changed = changed || regChanged
	if err != nil {
		return err
	}
	for _, f := range r.sorted(stageSent) {
		rc, err := r.receipt(ctx, f)
		if err != nil {
			return err
		}
		last := f.Txs[len(f.Txs)-1]
		switch {
		case rc != nil && rc.BlockNumber == nil:
			continue // a receipt without its block: ask again next pass
		case rc != nil && rc.Status == types.ReceiptStatusSuccessful:
			f.Stage, f.Mined, f.LastError = stageMined, rc.BlockNumber.Uint64(), ""
			r.st.Fulfilled++
			done := f.summary()
			done.Stage, done.Tx = "fulfilled", rc.TxHash.Hex()
			r.mu.Lock()
			r.done = append(r.done, done)
			if len(r.done) > maxDone {
				r.done = r.done[len(r.done)-maxDone:]
			}
			r.mu.Unlock()
			r.log.Info("request fulfilled", "request", f.ID, "status", f.Status, "block", f.Mined, "blocks_waited", f.Mined-f.Block, "gas", rc.GasUsed, "tx", rc.TxHash, "after", time.Since(f.SeenAt).Round(time.Millisecond))
		case rc != nil:
			r.log.Warn("fulfilment reverted", "request", f.ID, "tx", rc.TxHash)
			r.retry(f, errors.New("fulfil reverted"))
		case last.Nonce < confirmed && f.NonceUsed == 0:
			// The nonce is used but the node serves no receipt of ours: it
			// may not have indexed the block yet (or a node behind a load
			// balancer lags another). Wait before taking the nonce as lost.
			f.NonceUsed = head
		case last.Nonce < confirmed && head < f.NonceUsed+finalDepth:
			continue
		case last.Nonce < confirmed:
			// Our nonce went to another transaction (the node lost ours and
			// the nonce was reused): answer again.
			r.retry(f, fmt.Errorf("nonce %d was used by another transaction", last.Nonce))
		case last.Nonce == confirmed && time.Since(last.SentAt) > r.cfg.RepriceAfter:
			// Only the lowest unmined nonce: a later one waits for it, and
			// a higher price would not help it.
			if err := r.reprice(ctx, f, last); err != nil {
				r.log.Warn("re-pricing a fulfilment", "request", f.ID, "err", err)
			}
		default:
			continue
		}
		changed = true
	}
	for _, f := range r.sorted(stageStuck) {
		// A stuck request stays in the file until its consumer cancels it
		// or someone else fulfils it; then it is followed to final like a
		// settled one.
		if head < f.Checked+finalDepth {
			continue
		}
		req, err := r.anchor.RequestOf(&bind.CallOpts{Context: ctx}, f.id())
		if err != nil {
			return fmt.Errorf("requestOf(%s): %w", f.ID, err)
		}
		if req.Status == anchorPending && cove.Hash(req.RequestHash) == f.Hash {
			f.Checked = head
		} else {
			settledElsewhere(f, head)
		}
		changed = true
	}
	for _, f := range r.sorted(stageMined) {
		if head < f.Mined+r.cfg.Confirmations+finalDepth {
			continue
		}
		req, err := r.anchor.RequestOf(&bind.CallOpts{Context: ctx}, f.id())
		if err != nil {
			return fmt.Errorf("requestOf(%s): %w", f.ID, err)
		}
		if req.Status == anchorPending {
			r.log.Warn("a fulfilment was reorged away: answering again", "request", f.ID)
			r.retry(f, errors.New("fulfilment reorged away"))
		} else {
			delete(r.st.Flights, f.ID)
		}
		changed = true
	}
	return nil
}

// receipt returns the receipt of whichever of f's transactions was mined.
func (r *relay) receipt(ctx context.Context, f *flight) (*types.Receipt, error) {
	for i := len(f.Txs) - 1; i >= 0; i-- {
		rc, err := r.evm.TransactionReceipt(ctx, f.Txs[i].Hash)
		if errors.Is(err, ethereum.NotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("receipt of %s: %w", f.Txs[i].Hash, err)
		}
		return rc, nil
	}
	return nil, nil
}

// retry puts f back to be answered again, after a back-off, or leaves it
// stuck after maxAttempts.
func (r *relay) retry(f *flight, cause error) {
	// A fulfilment undone (a reorg) is no longer listed as fulfilled.
	r.mu.Lock()
	r.done = slices.DeleteFunc(r.done, func(d RequestStatus) bool { return d.ID == f.ID })
	r.mu.Unlock()
	f.Attempts++
	f.LastError = cause.Error()
	f.Txs, f.NonceUsed = nil, 0
	if f.Attempts >= maxAttempts {
		f.Stage = stageStuck
		r.log.Error("giving up on a request (its consumer may cancel it)", "request", f.ID, "agent", f.Agent, "attempts", f.Attempts, "err", cause)
		return
	}
	f.Stage = stageNew
	f.NextTry = time.Now().Add(time.Duration(1<<min(f.Attempts, 6)) * time.Second)
}

// syncNonce learns the next nonce when it is not known: the node's pending
// nonce, or past the fulfilments this bridge has out, whichever is higher.
func (r *relay) syncNonce(ctx context.Context) error {
	if r.nonceOK {
		return nil
	}
	n, err := r.evm.PendingNonceAt(ctx, r.from)
	if err != nil {
		return fmt.Errorf("relayer pending nonce: %w", err)
	}
	for _, f := range r.st.Flights {
		if f.Stage == stageSent && len(f.Txs) > 0 {
			n = max(n, f.Txs[len(f.Txs)-1].Nonce+1)
		}
	}
	for _, txs := range r.st.Registrations {
		n = max(n, txs[len(txs)-1].Nonce+1)
	}
	r.nonce, r.nonceOK = n, true
	return nil
}

// resume, at start, sends every recorded transaction in flight again (the
// node may have lost them, or never got one a crash cut off); fillGaps then
// fills any nonce below them that nothing recorded holds.
func (r *relay) resume(ctx context.Context) {
	for agent, txs := range r.st.Registrations {
		if err := r.broadcast(ctx, txs[len(txs)-1]); err != nil {
			r.log.Warn("re-broadcasting an attestor registration", "agent", agent, "err", err)
		}
	}
	sent := r.sorted(stageSent)
	for _, f := range sent {
		if err := r.broadcast(ctx, f.Txs[len(f.Txs)-1]); err != nil {
			r.log.Warn("re-broadcasting a fulfilment", "request", f.ID, "err", err)
		}
	}
	if len(sent) > 0 {
		r.log.Info("fulfilments in flight sent again after a restart", "count", len(sent))
	}
	r.nonceOK = false // syncNonce takes the larger of the node's and ours
}

// broadcast sends a recorded transaction's signed bytes again.
func (r *relay) broadcast(ctx context.Context, st sentTx) error {
	var t types.Transaction
	if err := t.UnmarshalBinary(st.Raw); err != nil {
		return fmt.Errorf("stored transaction: %v", err)
	}
	if err := r.evm.SendTransaction(ctx, &t); err != nil && !known(err) {
		return err
	}
	return nil
}

// fillGaps sends an empty transfer to itself at every nonce from the
// confirmed one up to the highest recorded that no recorded transaction
// holds (a registration a crash lost unrecorded, a batch cut short), so
// that no recorded transaction waits behind a gap. A nonce filled is not
// filled again within RepriceAfter.
func (r *relay) fillGaps(ctx context.Context, confirmed uint64) error {
	used := map[uint64]bool{}
	var top uint64
	hold := func(n uint64) { used[n], top = true, max(top, n+1) }
	for _, txs := range r.st.Registrations {
		hold(txs[len(txs)-1].Nonce)
	}
	for _, f := range r.st.Flights {
		if f.Stage == stageSent && len(f.Txs) > 0 {
			hold(f.Txs[len(f.Txs)-1].Nonce)
		}
	}
	for n := range r.filled {
		if n < confirmed {
			delete(r.filled, n)
		}
	}
	for n := confirmed; n < top; n++ {
		if used[n] || time.Since(r.filled[n]) < r.cfg.RepriceAfter {
			continue
		}
		if err := r.fill(ctx, n); err != nil {
			return err
		}
		r.filled[n] = time.Now()
	}
	return nil
}

// fill sends a zero-value transfer to the relayer itself with nonce n.
func (r *relay) fill(ctx context.Context, n uint64) error {
	opts, err := r.opts(ctx)
	if err != nil {
		return err
	}
	tx, err := r.sign(&types.DynamicFeeTx{
		ChainID: r.chainID, Nonce: n, GasTipCap: opts.GasTipCap, GasFeeCap: opts.GasFeeCap, Gas: 21_000, To: &r.from,
	})
	if err != nil {
		return err
	}
	r.log.Warn("filling a nonce gap", "nonce", n, "tx", tx.Hash())
	if err := r.evm.SendTransaction(ctx, tx); err != nil && !known(err) && !strings.Contains(strings.ToLower(err.Error()), "replacement transaction underpriced") {
		// (underpriced: the node holds another transaction at n, which
		// fills it as well.)
		return fmt.Errorf("filling nonce %d: %w", n, err)
	}
	return nil
}

// reprice replaces tx with the same one at 5/4 of its fees.
func (r *relay) reprice(ctx context.Context, f *flight, last sentTx) error {
	tx, st, err := r.bumped(last)
	if errors.Is(err, errFeeCap) {
		r.capped(err)
		return nil
	}
	if err != nil {
		r.retry(f, err)
		return nil
	}
	f.Txs = append(f.Txs, st)
	if err := r.st.save(r.path); err != nil {
		return err
	}
	r.log.Info("fulfilment re-priced", "request", f.ID, "nonce", tx.Nonce(), "fee_cap", tx.GasFeeCap(), "tx", tx.Hash())
	if err := r.evm.SendTransaction(ctx, tx); err != nil && !known(err) {
		return err
	}
	return nil
}

// errFeeCap is a re-pricing that would exceed ChainConfig.MaxFeeCap.
var errFeeCap = errors.New("fee cap reached")

// capped logs (once per chain) that re-pricing stopped at the fee cap.
func (r *relay) capped(err error) {
	if !r.cappedLogged {
		r.cappedLogged = true
		r.log.Error("not re-pricing past the fee cap: the transaction waits", "err", err)
	}
}

// bumped signs last's transaction again, same nonce, at 5/4 of its fees.
func (r *relay) bumped(last sentTx) (*types.Transaction, sentTx, error) {
	var old types.Transaction
	if err := old.UnmarshalBinary(last.Raw); err != nil {
		return nil, sentTx{}, fmt.Errorf("stored transaction: %v", err)
	}
	bump := func(x *big.Int) *big.Int {
		return new(big.Int).Add(new(big.Int).Div(new(big.Int).Mul(x, big.NewInt(5)), big.NewInt(4)), big.NewInt(1))
	}
	feeCap, tip := bump(old.GasFeeCap()), bump(old.GasTipCap())
	if feeCap.Cmp(r.cfg.MaxFeeCap) > 0 {
		return nil, sentTx{}, fmt.Errorf("%w: re-pricing nonce %d would pay %s wei per gas, over max_fee_cap %s", errFeeCap, old.Nonce(), feeCap, r.cfg.MaxFeeCap)
	}
	tx, err := r.sign(&types.DynamicFeeTx{
		ChainID: r.chainID, Nonce: old.Nonce(), GasTipCap: tip, GasFeeCap: feeCap,
		Gas: old.Gas(), To: old.To(), Value: old.Value(), Data: old.Data(),
	})
	if err != nil {
		return nil, sentTx{}, err
	}
	raw, err := tx.MarshalBinary()
	if err != nil {
		return nil, sentTx{}, err
	}
	return tx, sentTx{Hash: tx.Hash(), Nonce: tx.Nonce(), Raw: raw, SentAt: time.Now()}, nil
}

// settleRegistrations forgets registrations that were mined (ensureAttestor
// checks the anchor again) or whose nonce went to another transaction, and
// re-prices one that waited too long, so that no fulfilment waits behind
// its nonce.
func (r *relay) settleRegistrations(ctx context.Context, confirmed uint64) (changed bool, err error) {
	for agent, txs := range r.st.Registrations {
		mined := false
		for _, tx := range txs {
			_, err := r.evm.TransactionReceipt(ctx, tx.Hash)
			if err == nil {
				mined = true
				break
			}
			if !errors.Is(err, ethereum.NotFound) {
				return changed, fmt.Errorf("receipt of %s: %w", tx.Hash, err)
			}
		}
		last := txs[len(txs)-1]
		switch {
		case mined, last.Nonce < confirmed:
			delete(r.st.Registrations, agent)
			changed = true
		case last.Nonce == confirmed && time.Since(last.SentAt) > r.cfg.RepriceAfter:
			tx, st, err := r.bumped(last)
			if errors.Is(err, errFeeCap) {
				r.capped(err)
				continue
			}
			if err != nil {
				delete(r.st.Registrations, agent)
				changed = true
				continue
			}
			r.st.Registrations[agent] = append(txs, st)
			if err := r.st.save(r.path); err != nil {
				return changed, err
			}
			r.log.Info("attestor registration re-priced", "agent", agent, "nonce", tx.Nonce(), "fee_cap", tx.GasFeeCap(), "tx", tx.Hash())
			if err := r.evm.SendTransaction(ctx, tx); err != nil && !known(err) {
				r.log.Warn("sending a re-priced registration", "agent", agent, "err", err)
			}
		}
	}
	return changed, nil
}

// known reports whether a send failed only because the node has the
// transaction (or its nonce is already mined, which settle sorts out).
func known(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "already known") || strings.Contains(s, "nonce too low")
}

// answered is an agent's answer to one flight, ready for fulfil.
type answered struct {
	f        *flight
	cbGas    uint32
	receipt  contracts.Receipt
	response []byte
	sig      []byte
	status   uint16
	err      error
	final    bool // err leaves the request stuck
}

// answer calls the agents of new requests (at most r.conc at once) and
// sends their fulfilments, in request order, with consecutive nonces.
func (r *relay) answer(ctx context.Context, head uint64) error {
	var todo []*flight
	now := time.Now()
	for _, f := range r.sorted(stageNew) {
		if !f.NextTry.After(now) {
			todo = append(todo, f)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	results := make([]answered, len(todo))
	sem := make(chan struct{}, r.conc)
	var wg sync.WaitGroup
	for i, f := range todo {
		results[i].f = f
		req, err := r.anchor.RequestOf(&bind.CallOpts{Context: ctx}, f.id())
		if err != nil {
			return fmt.Errorf("requestOf(%s): %w", f.ID, err)
		}
		switch {
		case req.Status == anchorPending && cove.Hash(req.RequestHash) == f.Hash:
		case req.Status == anchorFulfilled:
			r.log.Info("request fulfilled by someone else", "request", f.ID)
			results[i].f = nil
			settledElsewhere(f, head)
			continue
		case req.Status == anchorCancelled:
			r.log.Info("request cancelled by its consumer", "request", f.ID)
			results[i].f = nil
			settledElsewhere(f, head)
			continue
		default:
			// Not on chain (any more), or another request under this id: a
			// reorg; the rescan brings back what exists.
			r.log.Warn("request no longer on chain as seen", "request", f.ID)
			results[i].f = nil
			delete(r.st.Flights, f.ID)
			continue
		}
		if req.CallbackGasLimit > r.cfg.MaxCallbackGas {
			results[i].f = nil
			f.Stage, f.LastError = stageStuck, fmt.Sprintf("callback gas %d is over this relayer's max_callback_gas %d", req.CallbackGasLimit, r.cfg.MaxCallbackGas)
			r.log.Error("not answering a request (its consumer may cancel it)", "request", f.ID, "err", f.LastError)
			continue
		}
		results[i].cbGas = req.CallbackGasLimit
		wg.Add(1)
		sem <- struct{}{}
		go func(a *answered) {
			defer wg.Done()
			defer func() { <-sem }()
			r.call(ctx, a)
		}(&results[i])
	}
	wg.Wait()
	b := &sendBatch{r: r}
	for i := range results {
		a := &results[i]
		if a.f == nil {
			continue
		}
		if a.err != nil {
			if a.final {
				a.f.Stage, a.f.LastError = stageStuck, a.err.Error()
				r.log.Error("request cannot be answered (its consumer may cancel it)", "request", a.f.ID, "agent", a.f.Agent, "err", a.err)
			} else {
				r.log.Warn("agent call failed; will retry", "request", a.f.ID, "agent", a.f.Agent, "err", a.err)
				r.retry(a.f, a.err)
			}
			continue
		}
		tx, err := r.fulfil(ctx, a, head, b)
		var re *requestError
		if errors.As(err, &re) {
			// This request's own trouble (a revert in estimation, no grant
			// yet): the others go on.
			r.log.Warn("cannot fulfil yet; will retry", "request", a.f.ID, "err", err)
			r.retry(a.f, err)
			continue
		}
		if err != nil {
			ferr := b.flush(ctx)
			r.nonceOK = false
			r.retry(a.f, err)
			if err := r.st.save(r.path); err != nil {
				return err
			}
			return errors.Join(err, ferr)
		}
		if tx != nil {
			b.add(a.f, tx)
		}
	}
	if err := b.flush(ctx); err != nil {
		return err
	}
	return r.st.save(r.path)
}

// sendBatch holds transactions signed with consecutive nonces and
// recorded in the state, not yet broadcast: fulfilments and the attestor
// registrations they need. flush saves the state once, then sends them in
// nonce order. One save per pass rather than per transaction keeps the
// rate up with many requests pending; a crash after the save is a
// restart's rebroadcast, as for any recorded transaction.
type sendBatch struct {
	r     *relay
	items []batchItem
}

// batchItem is a fulfilment of f, or the registration of agent reg.
type batchItem struct {
	f   *flight
	reg string
	tx  *types.Transaction
}

func (b *sendBatch) add(f *flight, tx *types.Transaction) {
	b.items = append(b.items, batchItem{f: f, tx: tx})
}

func (b *sendBatch) addRegistration(agent string, tx *types.Transaction) {
	b.items = append(b.items, batchItem{reg: agent, tx: tx})
}

// flush records and sends the batch. When a send fails, what it and the
// transactions after it (which never left) were for is done again with
// fresh nonces: their records go, so no recorded nonce sits above a gap.
func (b *sendBatch) flush(ctx context.Context) error {
	r := b.r
	defer func() { b.items = nil }()
	if len(b.items) == 0 {
		return nil
	}
	if err := r.st.save(r.path); err != nil {
		return err
	}
	for i, it := range b.items {
		err := r.evm.SendTransaction(ctx, it.tx)
		if err == nil || known(err) {
			continue
		}
		r.nonceOK = false
		err = fmt.Errorf("sending %s: %w", it.what(), err)
		for j, later := range b.items[i:] {
			switch {
			case later.reg != "":
				delete(r.st.Registrations, later.reg)
			case j == 0:
				r.retry(later.f, err)
			default:
				later.f.Stage, later.f.Txs = stageNew, nil // not sent: no attempt spent
			}
		}
		return err
	}
	return nil
}

func (it batchItem) what() string {
	if it.reg != "" {
		return "registerAttestor(" + it.reg + ")"
	}
	return "fulfil(" + it.f.ID + ")"
}

// requestError is a failure of one request's fulfilment that says nothing
// of the chain or the node (a revert in gas estimation, an attestor grant
// not yet published): that request is retried and the pass goes on.
type requestError struct{ err error }

func (e *requestError) Error() string { return e.err.Error() }
func (e *requestError) Unwrap() error { return e.err }

// settledElsewhere marks f as fulfilled or cancelled by someone else by
// head: it is watched as a fulfilment of ours is, until final, because a
// reorg may take the settlement away and leave the request pending again
// (in a block the rescan does not reach).
func settledElsewhere(f *flight, head uint64) {
	f.Stage, f.Mined, f.Txs = stageMined, head, nil
}

// call runs the agent of a.f and fills in its answer.
func (r *relay) call(ctx context.Context, a *answered) {
	f := a.f
	target := contracts.RequestTarget(r.chainID, cove.Address(r.cfg.Anchor), f.Agent, f.Path, f.id())
	prefix := "/agents/" + f.Agent.String()
	resp, err := r.cove.Invoke(ctx, f.Agent, cove.Call{
		Method: "POST", Path: target, URL: callOrigin + strings.TrimPrefix(target, prefix),
		Header: cove.Header{}, Body: f.Body,
	})
	if err != nil {
		// Retried, with back-off, up to maxAttempts: even an unknown
		// agent (404) may be one deployed a block ago that this node's
		// view has not reached yet.
		a.err = err
		return
	}
	body, signed := resp.Body, resp.Receipt
	if resp.Stream != nil {
		body, err = io.ReadAll(io.LimitReader(resp.Stream, MaxResponse+1))
		if err == nil && len(body) <= MaxResponse {
			var s cove.SignedReceipt
			if s, err = resp.Stream.Receipt(); err == nil {
				signed = &s
			}
		}
		resp.Stream.Close()
		if err != nil {
			a.err = fmt.Errorf("reading the agent's streamed answer: %w", err)
			return
		}
	}
	if len(body) > MaxResponse {
		a.err, a.final = fmt.Errorf("the answer is over %d bytes, more than an EVM transaction carries", MaxResponse), true
		return
	}
	if signed == nil {
		a.err = errors.New("the answer has no receipt")
		return
	}
	if signed.Receipt.RequestHash != f.Hash || signed.Receipt.Agent != f.Agent || signed.Receipt.ResponseHash != cove.SHA256(body) {
		a.err = errors.New("the receipt does not match the request and answer (a worker bug)")
		return
	}
	a.receipt, a.sig = contracts.Fulfilment(*signed)
	a.response, a.status = body, signed.Receipt.Status
}

// fulfil makes sure the anchor knows the agent's attestor, then signs the
// fulfilment with the next nonce and records it in f (the caller saves the
// state before it is broadcast: after a crash it is sent again, never made
// twice). It returns nil when the request was settled by someone else.
func (r *relay) fulfil(ctx context.Context, a *answered, head uint64, b *sendBatch) (*types.Transaction, error) {
	if err := r.syncNonce(ctx); err != nil {
		return nil, err
	}
	pendingReg, err := r.ensureAttestor(ctx, a.f.Agent, b)
	if err != nil {
		return nil, err
	}
	opts, err := r.opts(ctx)
	if err != nil {
		return nil, err
	}
	if pendingReg {
		// The registration is not mined yet, so estimating would revert
		// (NoAttestor): a bound instead. Gas unused is not paid.
		opts.GasLimit = 250_000 + uint64(a.cbGas)*64/63 + 10_000 + 64*uint64(len(a.response))
	}
	tx, err := r.anchor.Fulfil(opts, a.f.id(), a.receipt, a.response, a.sig)
	if err != nil {
		if reason := revertName(err); reason == "AlreadyFulfilled" || reason == "RequestCancelled" {
			settledElsewhere(a.f, head)
			r.log.Info("request settled before our fulfilment", "request", a.f.ID, "reason", reason)
			return nil, nil
		}
		if revertName(err) != "" {
			return nil, &requestError{fmt.Errorf("fulfil(%s): %s", a.f.ID, describe(err))}
		}
		return nil, fmt.Errorf("fulfil(%s): %s", a.f.ID, describe(err))
	}
	raw, err := tx.MarshalBinary()
	if err != nil {
		return nil, err
	}
	a.f.Stage, a.f.Status, a.f.LastError = stageSent, a.status, ""
	a.f.Txs = []sentTx{{Hash: tx.Hash(), Nonce: tx.Nonce(), Raw: raw, SentAt: time.Now()}}
	r.nonce++
	return tx, nil
}

// ensureAttestor checks that the anchor has agent's attestor as the Cove
// chain has it and, if not, sends registerAttestor with the grant from the
// Cove chain. pending reports a registration not yet mined.
func (r *relay) ensureAttestor(ctx context.Context, agent cove.AgentID, b *sendBatch) (pending bool, err error) {
	if r.registered[agent] {
		return false, nil
	}
	rec, err := r.cove.Agent(agent)
	if err != nil {
		return false, err
	}
	if rec.Attestor.IsZero() || len(rec.AttestorGrant) == 0 {
		return false, &requestError{fmt.Errorf("agent %s has no attestor grant on the Cove chain yet", agent)}
	}
	have, err := r.anchor.AttestorOf(&bind.CallOpts{Context: ctx}, agent)
	if err != nil {
		return false, fmt.Errorf("attestorOf: %w", err)
	}
	if cove.Address(have) == rec.Attestor {
		r.registered[agent] = true
		if _, ok := r.st.Registrations[agent.String()]; ok {
			delete(r.st.Registrations, agent.String())
			if err := r.st.save(r.path); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	if _, ok := r.st.Registrations[agent.String()]; ok {
		return true, nil // settle re-prices it if it waits too long
	}
	opts, err := r.opts(ctx)
	if err != nil {
		return false, err
	}
	tx, err := r.anchor.RegisterAttestor(opts, agent, common.Address(rec.Attestor), rec.KeyEpoch, rec.AttestorGrant)
	if err != nil {
		werr := fmt.Errorf("registerAttestor(%s, epoch %d): %s", agent, rec.KeyEpoch, describe(err))
		if revertName(err) != "" {
			return false, &requestError{werr} // e.g. UnknownEpoch: the owner does not trust the epoch yet
		}
		return false, werr
	}
	raw, err := tx.MarshalBinary()
	if err != nil {
		return false, err
	}
	// Recorded now, sent with the batch (in nonce order).
	r.st.Registrations[agent.String()] = []sentTx{{Hash: tx.Hash(), Nonce: tx.Nonce(), Raw: raw, SentAt: time.Now()}}
	b.addRegistration(agent.String(), tx)
	r.nonce++
	r.log.Info("registering the agent's attestor with the anchor", "agent", agent, "attestor", rec.Attestor, "epoch", rec.KeyEpoch, "tx", tx.Hash())
	return true, nil
}

// opts returns transaction options for the next nonce, signed but not sent
// (the caller records the transaction first), with EIP-1559 fees: the
// node's suggested tip and twice the base fee.
func (r *relay) opts(ctx context.Context) (*bind.TransactOpts, error) {
	tip, err := r.evm.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, fmt.Errorf("gas tip: %w", err)
	}
	h, err := r.evm.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("latest header: %w", err)
	}
	if h.BaseFee == nil {
		return nil, errors.New("the chain's latest block has no base fee: the bridge needs an EIP-1559 chain")
	}
	feeCap := new(big.Int).Add(tip, new(big.Int).Mul(h.BaseFee, big.NewInt(2)))
	o := contracts.Transactor(r.cfg.Key, r.chainID)
	o.Context, o.Nonce, o.GasTipCap, o.GasFeeCap, o.NoSend = ctx, new(big.Int).SetUint64(r.nonce), tip, feeCap, true
	return o, nil
}

// sign signs a new transaction with the relayer's key for this chain.
func (r *relay) sign(data types.TxData) (*types.Transaction, error) {
	return contracts.SignTx(r.cfg.Key, r.chainID, types.NewTx(data))
}

// revertName is the anchor's custom error err carries, or "".
func revertName(err error) string {
	name, _ := contracts.AnchorRevert(err)
	return name
}

// describe is err with the anchor's custom error, when it carries one.
func describe(err error) string {
	if _, desc := contracts.AnchorRevert(err); desc != "" {
		return desc + ": " + err.Error()
	}
	return err.Error()
}
