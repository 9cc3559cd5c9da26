package gateway

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/payment"
)

// Paid calls (issue 11, ADR 23). A call to an agent with a price must
// carry a voucher (the Cove-Payment header) of a payment channel to the
// agent whose cumulative amount is at least the price above the highest
// voucher of the channel this gateway accepted before, with a higher
// nonce. The gateway checks it here, before the agent runs, with no
// transaction: the chain's channel record (open, this agent, the
// deposit), the payer's signature (the rule Redeem applies) and its
// ledger of accepted vouchers (payment.Ledger, in Config.VouchersFile). The agent's owner reads
// the highest of them (GET /v1/agents/{id}/vouchers) and redeems them on
// chain.
//
// The check and the ledger are package payment's (a worker's link checks
// the calls that reach it the same way); this file holds the gateway's
// side: the 402, the free tier's callers (freetier.go) and the endpoints.

// paymentError is a refused payment: the message, and the channel the
// voucher named when it exists. status and code are 402
// payment_required unless set (a free call's refused Cove-Auth).
type paymentError struct {
	status  int
	code    string
	msg     string
	channel *chain.ChannelRecord
}

// paidCall is how a call that passed checkPayment is paid: giveBack,
// when not nil, undoes the payment or the free call's count, for a call
// no agent ran (notRun); a paid call's worker is the one it must run on,
// its channel's verifier (ADR 25), and channel that channel.
type paidCall struct {
	giveBack func()
	worker   cove.Hash
	channel  uint64
}

// checkPayment lets a call of agent a through when a is free, when it
// carries a voucher the gateway accepts and records (payment.Pay), or
// when its free tier covers it; otherwise it says why not.
func (s *Server) checkPayment(r *http.Request, a cove.Agent) (paidCall, *paymentError) {
	if a.Price == nil {
		return paidCall{}, nil
	}
	h := r.Header.Get(api.HeaderPayment)
	if h == "" {
		giveBack, pe := s.freeCall(r, a)
		return paidCall{giveBack: giveBack}, pe
	}
	pd, ref := payment.Pay(s.chain.View(), a, h, cove.Hash{}, s.ledgerOf)
	if ref != nil {
		return paidCall{}, &paymentError{msg: ref.Msg, channel: ref.Channel}
	}
	return paidCall{giveBack: pd.Refund, worker: pd.Verifier(), channel: pd.Channel()}, nil
}

// workerRefused answers a paid call the worker refused with its 402
// (another gateway or a direct call took a voucher this one had not
// seen): the worker's highest voucher of the channel, once checked as the
// payer's (payment.Ledger.Learn: nothing unsigned moves a floor), is
// taken here too, so the terms, and GET /v1/channels/{id}, ask the payer
// for the voucher after it.
func (s *Server) workerRefused(w http.ResponseWriter, a cove.Agent, pc paidCall, ce *cove.Error) {
	pe := &paymentError{msg: ce.Message}
	v := s.chain.View()
	if c, err := v.Channel(pc.channel); err == nil && pc.channel != 0 {
		if ce.Accepted != "" {
			if err := s.ledgerOf(c).Learn(v, c, ce.Accepted); err != nil {
				s.log.Warn("paid call: the worker's voucher does not check; ignored", "channel", c.ID, "worker", pc.worker, "err", err)
			}
		}
		pe.channel = &c
	}
	s.writePaymentRequired(w, a, pe)
}

// ledgerOf returns the ledger that takes channel c's vouchers here: the
// node's own worker's when c is bound to it, so that its link and this
// gateway check them against one ledger (ADR 25); else the gateway's
// (the worker c is bound to checks them again at its link).
func (s *Server) ledgerOf(c chain.ChannelRecord) *payment.Ledger {
	if s.workerLedger != nil && c.Verifier == s.workerID {
		return s.workerLedger
	}
	return s.ledger
}

// SetWorkerLedger has the gateway keep the vouchers of channels bound to
// the node's own worker id in that worker's ledger l, which its link
// takes vouchers into too (ADR 25: one ledger per verifier). Call it
// before Run.
func (s *Server) SetWorkerLedger(id cove.Hash, l *payment.Ledger) {
	s.workerID, s.workerLedger = id, l
}

// WorkerLister is an Invoker that can say which workers run an agent
// now (the routing pool, or the node's own worker): the verifiers a
// payer may bind a channel to.
type WorkerLister interface {
	WorkersFor(id cove.AgentID) []cove.Hash
}

// paymentTerms are the terms of calling the priced agent a: the price,
// the free tier, what a voucher signs and the workers this gateway runs
// a on, to bind a channel to.
func (s *Server) paymentTerms(v chain.View, a cove.Agent) *api.PaymentTerms {
	price := "0"
	if a.Price != nil {
		price = a.Price.String()
	}
	terms := &api.PaymentTerms{
		Agent: a.ID, Price: price, ChainID: v.ChainID(), VoucherType: cove.VoucherType, HashChainType: cove.HashChainType, FreeTier: a.FreeTier,
		HowToPay: "open a channel to the agent bound to one of the workers listed (OpenChannel{agent, deposit, verifier}: `cove channel open --agent " + a.ID.String() + " --deposit AMOUNT` binds the first), then sign a " + cove.VoucherType + " voucher (EIP-712, domain {name: \"Cove\", version: \"1\", chainId}) per call, its amount the total paid so far, and send it in the " + api.HeaderPayment + " header, or sign one " + cove.HashChainType + " commitment to a hash chain and send its next word per call (docs/PROTOCOL.md \"Paid calls\"); `cove agent call --from KEY` and the Go client do this for you",
	}
	if wl, ok := s.invoker.(WorkerLister); ok {
		terms.Workers = wl.WorkersFor(a.ID)
	}
	return terms
}

// handleTerms answers GET /v1/agents/{id}/terms: how to pay for the
// agent's calls here (its price, 0 for a free agent), and the workers to
// bind a channel to.
func (s *Server) handleTerms(w http.ResponseWriter, r *http.Request) {
	a, ok := s.agentFromPath(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.paymentTerms(s.chain.View(), a))
}

// writePaymentRequired answers 402 payment_required: why, the price and
// how to pay.
func (s *Server) writePaymentRequired(w http.ResponseWriter, a cove.Agent, pe *paymentError) {
	if pe.status != 0 {
		writeError(w, pe.status, pe.code, pe.msg)
		return
	}
	v := s.chain.View()
	terms := s.paymentTerms(v, a)
	if pe.channel != nil {
		st := s.channelState(v, *pe.channel, a.Price)
		terms.Channel = &st
	}
	writeErrorBody(w, http.StatusPaymentRequired, api.ErrorBody{
		Error: api.ErrorDetail{Code: api.CodePaymentRequired, Message: pe.msg}, Payment: terms,
	})
}

// channelState is c as this gateway sees it, for an agent priced price
// (nil: free).
func (s *Server) channelState(v chain.View, c chain.ChannelRecord, price *big.Int) api.ChannelState {
	floor, nonce := s.ledgerOf(c).Floor(c)
	if price == nil {
		price = new(big.Int)
	}
	return api.ChannelState{
		ID: c.ID, Payer: c.Payer, Agent: c.Agent, Deposit: c.Deposit.String(), Redeemed: c.Redeemed.String(),
		Open: c.Open(), ClosesAt: c.ClosesAt, Verifier: c.Verifier, Accepted: floor.String(), AcceptedNonce: nonce,
		Price: price.String(), NextAmount: new(big.Int).Add(floor, price).String(), NextNonce: nonce + 1,
	}
}

// handleChannel answers GET /v1/channels/{id}: the channel as this
// gateway sees it, what the payer's next voucher must carry.
func (s *Server) handleChannel(w http.ResponseWriter, r *http.Request) {
	id, ok := numericID(w, r, "channel")
	if !ok {
		return
	}
	v := s.chain.View()
	c, err := v.Channel(id)
	if err != nil {
		writeError(w, http.StatusNotFound, "channel_not_found", fmt.Sprintf("channel %d does not exist (settled, or never opened)", id))
		return
	}
	var price *big.Int
	if rec, err := v.Agent(c.Agent); err == nil {
		price = rec.Agent().Price
	}
	writeJSON(w, http.StatusOK, s.channelState(v, c, price))
}

// handleChainChannel answers GET /v1/chain/channels/{id}: the chain's
// record.
func (s *Server) handleChainChannel(w http.ResponseWriter, r *http.Request) {
	id, ok := numericID(w, r, "channel")
	if !ok {
		return
	}
	c, err := s.chain.View().Channel(id)
	if err != nil {
		writeError(w, http.StatusNotFound, "channel_not_found", fmt.Sprintf("channel %d does not exist (settled, or never opened)", id))
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// handleChainChannels answers GET /v1/chain/accounts/{addr}/channels: the
// account's channels as a payer.
func (s *Server) handleChainChannels(w http.ResponseWriter, r *http.Request) {
	addr, err := cove.ParseAddress(r.PathValue("addr"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_address", "address: "+err.Error())
		return
	}
	out := s.chain.View().Channels(addr)
	if out == nil {
		out = []chain.ChannelRecord{}
	}
	writeJSON(w, http.StatusOK, out)
}

// handleVouchers answers GET /v1/agents/{id}/vouchers, for the agent's
// owner (a Cove-Auth; anyone, for a DAO's agent): the highest voucher this gateway accepted of each
// channel to the agent that adds to what the chain redeemed, which its
// owner redeems (`cove agent redeem`).
func (s *Server) handleVouchers(w http.ResponseWriter, r *http.Request) {
	a, ok := s.agentFromPath(w, r)
	if !ok {
		return
	}
	// A DAO's agent has no owner to sign: anyone redeems its vouchers,
	// to its treasury.
	if !isDAOAgent(a) {
		if err := s.checkOwner(r, a, time.Now(), "read its vouchers"); err != nil {
			writeError(w, err.status, err.code, err.message)
			return
		}
	}
	v := s.chain.View()
	own := s.ledger.Redeemable(v, a.ID)
	if s.workerLedger != nil {
		// The node's own worker's channels, read here rather than asked
		// for through the link sources.
		own = api.MergeRedeemables(own, s.workerLedger.Redeemable(v, a.ID))
	}
	lists := [][]api.Redeemable{own}
	if s.linkVouchers != nil {
		lists = append(lists, s.workersVouchers(r, v, a, own))
	}
	writeJSON(w, http.StatusOK, api.MergeRedeemables(lists...))
}

// maxLinkVouchers bounds the vouchers the gateway reads of one worker for
// one agent.
const maxLinkVouchers = 10_000

// linkVouchersTTL is how long the workers' vouchers of an agent that
// belongs to its DAO (which anyone may ask for) are reused before the
// workers are asked again; linkPartialTTL how long when a worker did not
// answer (soon asked again, still not on every request).
const (
	linkVouchersTTL = 10 * time.Second
	linkPartialTTL  = 2 * time.Second
)

// workersTimeout bounds the gathering of the workers' vouchers, whatever
// the request's own context does (a caller that hangs up must not leave a
// partial answer behind, least of all a cached one).
const workersTimeout = 15 * time.Second

// workersVouchers asks the workers' links for the vouchers of agent a
// they accepted, passing the owner's Cove-Auth on, and returns those that
// beat the gateway's own (own) and each other, each checked against the
// chain and rebuilt from it (a worker may send anything). A DAO agent's,
// which anyone may ask for, are gathered by one request at a time and
// then reused, checked, for linkVouchersTTL (linkPartialTTL when a worker
// did not answer).
func (s *Server) workersVouchers(r *http.Request, v chain.View, a cove.Agent, own []api.Redeemable) []api.Redeemable {
	if !isDAOAgent(a) {
		theirs, _ := s.askWorkers(r, a)
		return s.checkWorkers(v, a, theirs, bestOf(own))
	}
	good := s.linkCache.fetch(a.ID, time.Now(), func() ([]api.Redeemable, bool) {
		theirs, ok := s.askWorkers(r, a)
		return s.checkWorkers(v, a, theirs, map[uint64]*big.Int{}), ok
	})
	// Checked when gathered; one redeemed since adds nothing now.
	var out []api.Redeemable
	for _, rd := range good {
		c, err := v.Channel(rd.Channel)
		if amount, ok := new(big.Int).SetString(rd.Amount, 10); err == nil && ok && amount.Cmp(c.Redeemed.Big()) > 0 {
			rd.Redeemed = c.Redeemed.String()
			out = append(out, rd)
		}
	}
	return out
}

// askWorkers asks the workers for a's vouchers, and reports whether every
// worker answered.
func (s *Server) askWorkers(r *http.Request, a cove.Agent) ([][]api.Redeemable, bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), workersTimeout)
	defer cancel()
	theirs, errs := s.linkVouchers.Vouchers(ctx, a.ID, r.Header.Get(api.HeaderAuth))
	for _, err := range errs {
		s.log.Warn("vouchers: a worker did not give its vouchers; redeem again later for them", "agent", a.ID, "err", err)
	}
	return theirs, len(errs) == 0
}

// bestOf returns the amount of each channel's voucher in l.
func bestOf(l []api.Redeemable) map[uint64]*big.Int {
	best := map[uint64]*big.Int{}
	for _, rd := range l {
		best[rd.Channel], _ = new(big.Int).SetString(rd.Amount, 10)
	}
	return best
}

// checkWorkers returns the vouchers of the workers' lists that beat best
// (updated as they do), each checked against the chain and rebuilt from
// it; at most maxLinkVouchers of each worker are read, and of each
// channel only the first a worker lists (a worker lists its highest
// voucher of each channel once: more are not worth a check, which for a
// hash-chain word may cost up to 10,000 hashes).
func (s *Server) checkWorkers(v chain.View, a cove.Agent, theirs [][]api.Redeemable, best map[uint64]*big.Int) []api.Redeemable {
	var good []api.Redeemable
	for _, l := range theirs {
		if len(l) > maxLinkVouchers {
			s.log.Warn("vouchers: a worker gave too many; reading the first", "agent", a.ID, "count", len(l), "read", maxLinkVouchers)
			l = l[:maxLinkVouchers]
		}
		seen := map[uint64]bool{}
		for _, rd := range l {
			if seen[rd.Channel] {
				continue
			}
			seen[rd.Channel] = true
			amount, ok := api.ParseAmount(rd.Amount)
			if b := best[rd.Channel]; !ok || b != nil && amount.Cmp(b) <= 0 {
				continue // not a number, or no better than one already checked: not worth a recovery
			}
			checked, why, ok := payment.CheckRedeemable(v, a.ID, rd)
			if !ok {
				s.log.Warn("vouchers: a worker's voucher does not redeem", "agent", a.ID, "channel", rd.Channel, "why", why)
				continue
			}
			good = append(good, checked)
			best[rd.Channel] = amount
		}
	}
	// Of each channel only the highest is worth keeping: the last checked.
	last := map[uint64]int{}
	for i, rd := range good {
		last[rd.Channel] = i
	}
	kept := good[:0]
	for i, rd := range good {
		if last[rd.Channel] == i {
			kept = append(kept, rd)
		}
	}
	return kept
}

// linkCache holds the checked vouchers the workers gave of DAO agents
// for linkVouchersTTL, and lets one request at a time gather them.
type linkCache struct {
	mu      sync.Mutex
	m       map[cove.AgentID]linkCacheEntry
	flights map[cove.AgentID]*linkFlight
}

type linkCacheEntry struct {
	fresh time.Time // until when it is reused
	good  []api.Redeemable
}

// linkFlight is a gathering in progress; done is closed when good is set.
type linkFlight struct {
	done chan struct{}
	good []api.Redeemable
}

// maxLinkCache bounds the agents linkCache holds.
const maxLinkCache = 1024

// fetch returns the cached vouchers of agent id if they are fresh at
// now (gathered less than linkVouchersTTL before, or linkPartialTTL for a
// gathering a worker missed); else it waits for a gathering in progress,
// or runs gather and caches what it returns.
func (c *linkCache) fetch(id cove.AgentID, now time.Time, gather func() ([]api.Redeemable, bool)) []api.Redeemable {
	c.mu.Lock()
	if e, ok := c.m[id]; ok && now.Before(e.fresh) {
		c.mu.Unlock()
		return e.good
	}
	if fl := c.flights[id]; fl != nil {
		c.mu.Unlock()
		<-fl.done
		return fl.good
	}
	fl := &linkFlight{done: make(chan struct{})}
	if c.flights == nil {
		c.flights = map[cove.AgentID]*linkFlight{}
	}
	c.flights[id] = fl
	c.mu.Unlock()

	complete := false
	// Deferred: a gather that panics (net/http recovers the request)
	// must not leave the next requests waiting for it.
	defer func() {
		ttl := linkPartialTTL
		if complete {
			ttl = linkVouchersTTL
		}
		c.mu.Lock()
		delete(c.flights, id)
		if _, known := c.m[id]; !known && (c.m == nil || len(c.m) >= maxLinkCache) {
			c.m = map[cove.AgentID]linkCacheEntry{}
		}
		c.m[id] = linkCacheEntry{fresh: now.Add(ttl), good: fl.good}
		c.mu.Unlock()
		close(fl.done)
	}()
	fl.good, complete = gather()
	return fl.good
}

// LinkVouchers are the workers whose links take paid calls (the node's
// routing pool, or its own worker): the vouchers they accepted, which
// GET /v1/agents/{id}/vouchers offers the owner with the gateway's own.
type LinkVouchers interface {
	// Vouchers returns each worker's vouchers of agent id's channels,
	// asked with the owner's Cove-Auth auth, and the errors of workers
	// that did not answer.
	Vouchers(ctx context.Context, id cove.AgentID, auth string) ([][]api.Redeemable, []error)
}

// SetLinkVouchers has GET /v1/agents/{id}/vouchers offer the vouchers
// the workers of lv accepted too. Call it before Run.
func (s *Server) SetLinkVouchers(lv LinkVouchers) { s.linkVouchers = lv }

// handleChainSponsor answers GET /v1/chain/sponsors/{addr}: the account's
// sponsor policy.
func (s *Server) handleChainSponsor(w http.ResponseWriter, r *http.Request) {
	addr, err := cove.ParseAddress(r.PathValue("addr"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_address", "address: "+err.Error())
		return
	}
	p, err := s.chain.View().SponsorPolicy(addr)
	if err != nil {
		writeError(w, http.StatusNotFound, "no_sponsor_policy", fmt.Sprintf("%s has no sponsor policy (SetSponsorPolicy, `cove sponsor policy`)", addr))
		return
	}
	writeJSON(w, http.StatusOK, p)
}
