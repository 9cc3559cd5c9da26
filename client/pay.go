package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
)

// Paid calls (docs/PROTOCOL.md "Paid calls"): a Payer pays each call
// from one payment channel, with the next word of a hash chain it
// committed to (ADR 26) or a voucher it signs.

// ChannelState returns a channel as the gateway sees it: its chain record
// and the highest voucher the gateway accepted, so what the next voucher
// must carry.
func (c *Client) ChannelState(ctx context.Context, id uint64) (api.ChannelState, error) {
	var st api.ChannelState
	err := c.do(ctx, http.MethodGet, "/v1/channels/"+strconv.FormatUint(id, 10), nil, "", &st)
	return st, err
}

// Terms returns how the gateway takes payment for agent id's calls: the
// price and free tier, and the workers it runs the agent on, to bind a
// channel to (OpenChannel's Verifier, ADR 25), the least busy first.
func (c *Client) Terms(ctx context.Context, id cove.AgentID) (api.PaymentTerms, error) {
	var t api.PaymentTerms
	err := c.do(ctx, http.MethodGet, "/v1/agents/"+id.String()+"/terms", nil, "", &t)
	return t, err
}

// Verifier returns the worker to bind a new channel to agent id to: the
// first the gateway offers (Terms), or an error that says none can run
// the agent now.
func (c *Client) Verifier(ctx context.Context, id cove.AgentID) (cove.Hash, error) {
	t, err := c.Terms(ctx, id)
	if err != nil {
		return cove.Hash{}, fmt.Errorf("the workers of agent %s: %w", id, err)
	}
	if len(t.Workers) == 0 {
		return cove.Hash{}, fmt.Errorf("no worker of this gateway can run agent %s now to bind a channel to (its workers may not hold the agent's keys yet): retry shortly, or name one", id)
	}
	return t.Workers[0], nil
}

// Channels returns the channels payer opened that are not settled.
func (c *Client) Channels(ctx context.Context, payer cove.Address) ([]chain.ChannelRecord, error) {
	var out []chain.ChannelRecord
	err := c.do(ctx, http.MethodGet, "/v1/chain/accounts/"+payer.String()+"/channels", nil, "", &out)
	return out, err
}

// Vouchers returns, for the agent's owner, the highest voucher the
// gateway accepted of each channel to the agent that adds to what the
// chain has redeemed.
func (c *Client) Vouchers(ctx context.Context, owner Signer, agent cove.AgentID) ([]api.Redeemable, error) {
	path := "/v1/agents/" + agent.String() + "/vouchers"
	auth, err := c.Authorize(ctx, owner, http.MethodGet, path)
	if err != nil {
		return nil, err
	}
	var out []api.Redeemable
	err = c.doWith(ctx, http.MethodGet, path, nil, map[string]string{api.HeaderAuth: auth}, &out)
	return out, err
}

// Redeem sends one Redeem (or RedeemHashChain, for a word) per voucher
// of Vouchers: the owner is paid what
// each adds to its channel's redeemed total. It returns the outcomes of
// those that ran, and the first error.
func (c *Client) Redeem(ctx context.Context, owner Signer, agent cove.AgentID) ([]chain.TxOutcome, error) {
	vs, err := c.Vouchers(ctx, owner, agent)
	if err != nil {
		return nil, err
	}
	var outs []chain.TxOutcome
	for _, v := range vs {
		amount, ok := api.ParseAmount(v.Amount)
		sig, err := parseHexBytes(v.Signature)
		if !ok || err != nil {
			return outs, fmt.Errorf("redeem channel %d: the gateway's voucher is malformed", v.Channel)
		}
		msg := func(n uint64) chain.Msg {
			return chain.Redeem{Channel: v.Channel, Amount: amount, VoucherNonce: v.Nonce, Signature: sig, Nonce: n}
		}
		if w := v.HashChain; w != nil {
			base, ok1 := api.ParseAmount(w.Base)
			unit, ok2 := api.ParseAmount(w.Unit)
			if !ok1 || !ok2 {
				return outs, fmt.Errorf("redeem channel %d: the gateway's word is malformed", v.Channel)
			}
			msg = func(n uint64) chain.Msg {
				return chain.RedeemHashChain{Channel: v.Channel, Base: base, Unit: unit, Count: w.Count, Root: w.Root,
					VoucherNonce: v.Nonce, Signature: sig, K: w.K, Word: w.Word, Nonce: n}
			}
		}
		out, err := c.Send(ctx, owner, msg)
		if err != nil {
			return outs, fmt.Errorf("redeem channel %d: %w", v.Channel, err)
		}
		outs = append(outs, out)
	}
	return outs, nil
}

// ErrNoChannel is returned by Client.Payer when the signer has no open
// channel to the agent.
var ErrNoChannel = errors.New("no open payment channel")

// Payer pays the calls of one agent from one channel: each call carries
// the next word of a hash chain the Payer committed to (ADR 26: one
// signature per commitment, of 16 words at first and twice as many each
// time after, up to cove.MaxHashChainCount), or, after SignEach, a
// voucher for the total so far plus the agent's price. The hash chain's
// words are kept in memory only: a Payer started again commits anew
// from where the gateway says the channel stands. It learns where
// the channel stands from the gateway (GET /v1/channels/{id}) before its
// first call and after any call that may not have been paid, so a payer
// started again, or on another machine, carries on. Calls through one
// Payer run one at a time, as vouchers must reach the gateway in order;
// open a channel per concurrent caller.
type Payer struct {
	c       *Client
	signer  Signer
	channel uint64
	agent   cove.AgentID

	mu       sync.Mutex
	synced   bool
	chainID  uint64
	amount   *big.Int // the channel's last accepted total
	nonce    uint64
	price    *big.Int
	signEach bool
	words    *payerWords
}

// payerWords is a Payer's hash chain: the commitment, its signature, the
// words (words[k-1] is word k) and the last word paid.
type payerWords struct {
	hc    cove.HashChain
	sig   [65]byte
	words []cove.Hash
	k     uint64
}

// SignEach makes p sign a voucher for each call (the first form of
// Cove-Payment) instead of paying with hash-chain words; call it before
// the first call. It returns p.
func (p *Payer) SignEach() *Payer {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.signEach = true
	return p
}

// Payer returns a Payer of the signer's open channel to agent with the
// most deposit left, of those bound to a worker (ADR 25: no one takes the
// vouchers of the others). When it has several, it prefers one the
// gateway can take now (as OpenPayer chooses: bound to a worker the
// gateway runs the agent on, with a call's price left after the payments
// the gateway took), then one bound to such a worker. ErrNoChannel,
// wrapped, if it has none.
func (c *Client) Payer(ctx context.Context, s Signer, agent cove.AgentID) (*Payer, error) {
	chs, err := c.Channels(ctx, s.Address())
	if err != nil {
		return nil, fmt.Errorf("find a channel: %w", err)
	}
	ranked := rankChannels(chs, agent, nil)
	if len(ranked) == 0 {
		return nil, fmt.Errorf("%w from %s to agent %s bound to a worker: open one with `cove channel open --agent %s --deposit AMOUNT`", ErrNoChannel, s.Address(), agent, agent)
	}
	if len(ranked) > 1 {
		if t, err := c.Terms(ctx, agent); err == nil {
			ranked = rankChannels(chs, agent, t.Workers)
			if id, found, _, err := c.takeable(ctx, chs, agent, t); err == nil && found {
				return c.PayerOf(s, id, agent), nil
			}
		}
	}
	return c.PayerOf(s, ranked[0].ID, agent), nil
}

// OpenPayer returns a Payer of the signer's channel to agent that the
// gateway can take now: open, bound to a worker the gateway runs the
// agent on (Terms), and with a call's price left after the payments the
// gateway knows of; of those, the one with the most deposit left on
// chain. When the signer has none (no channel, or only channels whose
// worker left, or spent ones), it opens one with deposit, bound to the
// first worker the gateway offers, and also returns that OpenChannel's
// outcome (nil when it opened none). A channel left behind keeps its
// deposit until its payer closes and settles it (cove channel close).
func (c *Client) OpenPayer(ctx context.Context, s Signer, agent cove.AgentID, deposit *big.Int) (*Payer, *chain.TxOutcome, error) {
	chs, err := c.Channels(ctx, s.Address())
	if err != nil {
		return nil, nil, fmt.Errorf("find a channel: %w", err)
	}
	t, err := c.Terms(ctx, agent)
	if err != nil {
		return nil, nil, fmt.Errorf("the terms of agent %s: %w", agent, err)
	}
	id, found, price, err := c.takeable(ctx, chs, agent, t)
	if err != nil {
		return nil, nil, err
	}
	if found {
		return c.PayerOf(s, id, agent), nil, nil
	}
	if len(t.Workers) == 0 {
		return nil, nil, fmt.Errorf("no worker of this gateway can run agent %s now to bind a channel to (its workers may not hold the agent's keys yet): retry shortly", agent)
	}
	if deposit.Cmp(price) < 0 {
		return nil, nil, fmt.Errorf("a deposit of %s base units pays no call of agent %s (%s a call)", deposit, agent, price)
	}
	out, err := c.Send(ctx, s, func(n uint64) chain.Msg {
		return chain.OpenChannel{Agent: agent, Deposit: deposit, Verifier: t.Workers[0], Nonce: n}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("open a channel to agent %s: %w", agent, err)
	}
	if id, err = OpenedChannel(out); err != nil {
		return nil, &out, err
	}
	return c.PayerOf(s, id, agent), &out, nil
}

// takeable returns the first of the channels chs to agent that the
// gateway can take now under its terms t (rankChannels, then
// payableChannel against the gateway's state of each), and t's price.
func (c *Client) takeable(ctx context.Context, chs []chain.ChannelRecord, agent cove.AgentID, t api.PaymentTerms) (id uint64, found bool, price *big.Int, err error) {
	price, ok := api.ParseAmount(t.Price)
	if !ok {
		return 0, false, nil, fmt.Errorf("the terms of agent %s: the price %q is not an amount", agent, t.Price)
	}
	id, found, err = payableChannel(rankChannels(chs, agent, t.Workers), t.Workers, price, func(id uint64) (api.ChannelState, error) {
		return c.ChannelState(ctx, id)
	})
	return id, found, price, err
}

// payableChannel returns the first of ranked (rankChannels) bound to a
// worker of offered that, as state says the gateway sees it, is open and
// has price left after the payments it took. A state it cannot read ends
// the search with the error, rather than have OpenPayer open (and pay
// the deposit of) a channel because a gateway did not answer.
func payableChannel(ranked []chain.ChannelRecord, offered []cove.Hash, price *big.Int, state func(id uint64) (api.ChannelState, error)) (uint64, bool, error) {
	for _, ch := range ranked {
		if !slices.Contains(offered, ch.Verifier) {
			break // ranked after every offered one
		}
		st, err := state(ch.ID)
		if err != nil {
			return 0, false, fmt.Errorf("channel %d: %w", ch.ID, err)
		}
		dep, ok1 := api.ParseAmount(st.Deposit)
		acc, ok2 := api.ParseAmount(st.Accepted)
		if ok1 && ok2 && st.Open && new(big.Int).Sub(dep, acc).Cmp(price) >= 0 {
			return ch.ID, true, nil
		}
	}
	return 0, false, nil
}

// OpenedChannel returns the id of the channel an OpenChannel's outcome
// says it opened.
func OpenedChannel(out chain.TxOutcome) (uint64, error) {
	for _, e := range out.Events {
		if e.Type == chain.EventChannelOpened {
			if id, err := strconv.ParseUint(e.Attr("channel"), 10, 64); err == nil {
				return id, nil
			}
		}
	}
	return 0, fmt.Errorf("the OpenChannel's outcome names no channel: %+v", out.Events)
}

// rankChannels returns chs's channels a payer of agent may pay from
// (open, to agent, bound to a worker: no one takes the vouchers of the
// others), those bound to a worker of offered first, then the most
// deposit left on chain first.
func rankChannels(chs []chain.ChannelRecord, agent cove.AgentID, offered []cove.Hash) []chain.ChannelRecord {
	var out []chain.ChannelRecord
	for _, ch := range chs {
		if ch.Agent == agent && ch.Open() && !ch.Verifier.IsZero() {
			out = append(out, ch)
		}
	}
	slices.SortStableFunc(out, func(a, b chain.ChannelRecord) int {
		inA, inB := slices.Contains(offered, a.Verifier), slices.Contains(offered, b.Verifier)
		if inA != inB {
			if inA {
				return -1
			}
			return 1
		}
		return b.Left().Cmp(a.Left())
	})
	return out
}

// PayerOf returns a Payer of channel id, which s opened to agent.
func (c *Client) PayerOf(s Signer, id uint64, agent cove.AgentID) *Payer {
	return &Payer{c: c, signer: s, channel: id, agent: agent}
}

// Channel returns the channel the Payer pays from.
func (p *Payer) Channel() uint64 { return p.channel }

// sync reads where the channel stands. Called with p.mu held.
func (p *Payer) sync(ctx context.Context) error {
	st, err := p.c.ChannelState(ctx, p.channel)
	if err != nil {
		return fmt.Errorf("channel %d: %w", p.channel, err)
	}
	return p.apply(ctx, st)
}

func (p *Payer) apply(ctx context.Context, st api.ChannelState) error {
	if st.Agent != p.agent {
		return fmt.Errorf("channel %d pays agent %s, not %s", p.channel, st.Agent, p.agent)
	}
	amount, ok1 := new(big.Int).SetString(st.Accepted, 10)
	price, ok2 := new(big.Int).SetString(st.Price, 10)
	if !ok1 || !ok2 {
		return fmt.Errorf("channel %d: the gateway's state is malformed", p.channel)
	}
	id, err := p.c.NumericChainID(ctx)
	if err != nil {
		return err
	}
	p.chainID, p.amount, p.nonce, p.price, p.synced = id, amount, st.AcceptedNonce, price, true
	return nil
}

// Call calls the agent like Client.Call, paying with the channel's next
// word or voucher. A 402 (the gateway's view of the channel changed, or the price
// did) is retried once after reading the channel again; a second 402 is
// returned as an *Error with its Payment terms.
func (p *Payer) Call(ctx context.Context, method, path string, body []byte, header http.Header) (*Response, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for try := 0; ; try++ {
		if !p.synced {
			if err := p.sync(ctx); err != nil {
				return nil, err
			}
		}
		v, err := p.next()
		if err != nil {
			return nil, err
		}
		h := header.Clone()
		if h == nil {
			h = http.Header{}
		}
		h.Set(api.HeaderPayment, v.Header())
		resp, err := p.c.Call(ctx, p.agent, method, path, body, h)
		var ge *Error
		refused := errors.As(err, &ge) && ge.Status == http.StatusPaymentRequired
		if refused && v.Word != nil {
			// A word refused: the verifier's view of the channel may not
			// be where this commitment continues (a gateway's pre-check
			// ran ahead of it, or this is another gateway). Commit again
			// from where the channel stands: a commitment's first word
			// every verifier checks in full.
			p.words = nil
		}
		if refused && try == 0 {
			p.synced = false
			continue
		}
		if err != nil || resp.Status == http.StatusTooManyRequests {
			// Perhaps not paid (the gateway gives back the voucher of a
			// call no worker took): ask before the next call.
			p.synced = false
			return resp, err
		}
		p.amount, p.nonce = v.Amount, v.Nonce
		if v.Word != nil {
			p.words.k = v.Word.K
		}
		return resp, nil
	}
}

// next returns the payment of the next call: the next word of the
// Payer's commitment (a new commitment when it has none that continues
// from where the channel stands, or it is used up), or a voucher. Called
// with p.mu held.
func (p *Payer) next() (api.Payment, error) {
	amount := new(big.Int).Add(p.amount, p.price)
	if p.signEach || p.price.Sign() == 0 {
		v := api.Payment{Channel: p.channel, Agent: p.agent, Amount: amount, Nonce: p.nonce + 1, ChainID: p.chainID}
		sig, err := p.signer.Sign(v.Voucher().Digest())
		if err != nil {
			return api.Payment{}, fmt.Errorf("sign voucher: %w", err)
		}
		v.Signature = sig
		return v, nil
	}
	w := p.words
	if w == nil || !w.continues(p.amount, p.nonce, p.price) {
		count := uint64(16)
		if w != nil {
			count = min(2*w.hc.Count, cove.MaxHashChainCount)
		}
		var seed cove.Hash
		if _, err := rand.Read(seed[:]); err != nil {
			return api.Payment{}, fmt.Errorf("hash chain seed: %w", err)
		}
		root, words := cove.NewHashChain(seed, count)
		hc := cove.HashChain{ChainID: p.chainID, Channel: p.channel, Agent: p.agent, Base: new(big.Int).Set(p.amount),
			Unit: new(big.Int).Set(p.price), Count: count, Root: root, Nonce: p.nonce + 1}
		sig, err := p.signer.Sign(hc.Digest())
		if err != nil {
			return api.Payment{}, fmt.Errorf("sign hash-chain commitment: %w", err)
		}
		w = &payerWords{hc: hc, sig: sig, words: words}
		p.words = w
	}
	k := w.k + 1
	return api.WordPayment(w.hc, w.sig, k, w.words[k-1]), nil
}

// continues reports whether w's next word pays the next call of a
// channel that stands at amount and nonce, with price: the channel
// stands at one of w's words (or at its base, before its first), w has a
// word left, and its unit is the price. It sets w.k to that word.
func (w *payerWords) continues(amount *big.Int, nonce uint64, price *big.Int) bool {
	hc := w.hc
	if hc.Unit.Cmp(price) != 0 || amount.Cmp(hc.Base) < 0 {
		return false
	}
	var k uint64
	switch {
	case nonce == hc.Nonce:
		q, r := new(big.Int).QuoRem(new(big.Int).Sub(amount, hc.Base), hc.Unit, new(big.Int))
		if r.Sign() != 0 || !q.IsUint64() {
			return false
		}
		k = q.Uint64()
	case nonce < hc.Nonce && amount.Cmp(hc.Base) == 0:
		k = 0 // nothing of w taken yet
	default:
		return false
	}
	if k >= hc.Count {
		return false
	}
	w.k = k
	return true
}

// Spent returns what the channel has paid in all so far, as the Payer
// last knew it.
func (p *Payer) Spent() *big.Int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.amount == nil {
		return new(big.Int)
	}
	return new(big.Int).Set(p.amount)
}

// parseHexBytes decodes 0x-hex.
func parseHexBytes(s string) ([]byte, error) {
	if len(s) < 2 || s[:2] != "0x" {
		return nil, errors.New("want 0x-hex")
	}
	return hex.DecodeString(s[2:])
}

// CallAs calls an agent like Call with a Cove-Auth signed by s for the
// call: the gateway counts a priced agent's free calls (its free tier) by
// s's account rather than by the caller's address.
func (c *Client) CallAs(ctx context.Context, s Signer, id cove.AgentID, method, path string, body []byte, header http.Header) (*Response, error) {
	path = "/" + strings.TrimPrefix(path, "/")
	target := "/agents/" + id.String() + path
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("call agent: %w", err)
	}
	auth, err := c.Authorize(ctx, s, method, u.EscapedPath())
	if err != nil {
		return nil, err
	}
	h := header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set(api.HeaderAuth, auth)
	return c.Call(ctx, id, method, path, body, h)
}
