package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/payment"
	"github.com/cove-network/cove/workerlink"
)

// Health says how the worker is, for gateways routing to it over the link.
func (s *Server) Health() workerlink.Health {
	return workerlink.Health{Worker: s.myID, Ready: s.ring.Len() > 0, Epochs: s.ring.Epochs(),
		Running: s.slots.running(), Waiting: s.slots.waiting()}
}

// ServeLink serves the worker's Invoke to gateways on ln until ctx ends:
// HTTPS with a certificate of its identity key, which gateways pin to the
// key registered on chain (package workerlink). Register the endpoint
// gateways reach ln at with Run.
func (s *Server) ServeLink(ctx context.Context, ln net.Listener) error {
	cert, err := workerlink.Certificate(s.id.TLSSigner())
	if err != nil {
		return err
	}
	log := s.log.With("link", ln.Addr().String())
	lctx, cancel := context.WithCancel(context.Background())
	ledgerDone := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		wg.Go(func() { s.linkLedger.Run(lctx) })
		wg.Go(func() { s.linkFree.Keep(lctx, s.linkFreeFile, 0, s.log) })
		wg.Wait()
		close(ledgerDone)
	}()
	defer func() {
		cancel()
		<-ledgerDone // after the last call: its voucher is synced
		if err := s.linkFree.Save(s.linkFreeFile); err != nil {
			s.log.Error("save the day's free calls at the link", "err", err)
		}
	}()
	return workerlink.Serve(ctx, ln, cert, workerlink.Handler(paidLink{s}, s.cfg.MaxRequestBytes, log), log)
}

// paidLink is the worker as its link serves it: a call of a priced agent
// must be paid here too (issue 11, ADR 23). The link serves anyone who
// reads the worker's endpoint and key from the chain, not only honest
// gateways, so the worker checks the call's voucher itself
// (payment.Ledger.Pay against its own chain view and the ledger of the
// vouchers it accepted, kept in link-vouchers.log in its data dir), or
// counts the call against the agent's free tier, calls per day in all at
// this worker. It takes only the vouchers of channels bound to it (ADR
// 25), and its node's gateway keeps those it takes for it in the same
// ledger (Ledger): every call a voucher pays runs on the channel's one
// worker, checked against the one ledger, so a voucher pays one call
// network-wide. The vouchers it accepted are offered to the agent's owner
// through the gateways (Vouchers).
type paidLink struct{ s *Server }

func (p paidLink) Health() workerlink.Health { return p.s.Health() }

func (p paidLink) Invoke(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error) {
	s := p.s
	v := s.chain.View()
	rec, err := v.Agent(id)
	if errors.Is(err, cove.ErrNotFound) || err == nil && rec.Agent().Price == nil {
		c.Payment = ""
		return s.Invoke(ctx, id, c) // unknown agents are Invoke's to answer
	}
	if err != nil {
		return nil, fmt.Errorf("invoke agent %s: %w", id, err)
	}
	a := rec.Agent()
	var paid *payment.Paid
	if c.Payment == "" {
		why := "agent " + id.String() + " costs " + a.Price.String() + " base units per call: the call carries no voucher"
		if a.FreeTier != nil {
			tier := *a.FreeTier
			tier.PerCaller = 0 // the link does not know the callers: the day's calls in all
			now := time.Now()
			if why, _ = s.linkFree.Take(id, tier, "link", now, nil); why == "" {
				resp, err := s.Invoke(ctx, id, c)
				if linkNotRun(ctx, resp, err) {
					s.linkFree.Return(id, "link", now)
				}
				return resp, err
			}
		}
		return nil, &cove.Error{Status: http.StatusPaymentRequired, Code: api.CodePaymentRequired, Message: why}
	}
	paid, ref := s.linkLedger.Pay(v, a, c.Payment, s.myID)
	if ref != nil {
		return nil, &cove.Error{Status: http.StatusPaymentRequired, Code: api.CodePaymentRequired, Message: ref.Msg, Accepted: ref.Accepted}
	}
	c.Payment = ""
	resp, err := s.Invoke(ctx, id, c)
	if linkNotRun(ctx, resp, err) {
		paid.Refund()
	}
	return resp, err
}

// linkNotRun reports whether a call over the link got an answer that says
// no agent ran it: an unsigned refusal (no keys yet, a body too large), or
// the agent's queue was full (its signed 429 with Retry-After), as the
// gateway's notRun; not when the caller went away. Its payment or free
// call is given back.
func linkNotRun(ctx context.Context, resp *cove.Response, err error) bool {
	var ce *cove.Error
	busy := err == nil && resp.Status == http.StatusTooManyRequests && http.Header(resp.Header).Get("Retry-After") != ""
	return (errors.As(err, &ce) || busy) && ctx.Err() == nil
}

func (p paidLink) Vouchers(ctx context.Context, id cove.AgentID, auth string) ([]api.Redeemable, error) {
	return p.s.Vouchers(ctx, id, auth)
}

// Vouchers returns the vouchers of agent id's channels this worker
// accepted at its link that add to what the chain redeemed, for the
// agent's owner: auth is the owner's Cove-Auth for GET
// /v1/agents/{id}/vouchers, which a gateway passes on when the owner
// asks it (its audience is that gateway and its nonce that gateway's to
// spend, so neither is checked here; the chain, the resource, the expiry
// and the signer are). The vouchers of an agent that belongs to its DAO
// are anyone's, as at the gateway.
func (s *Server) Vouchers(_ context.Context, id cove.AgentID, auth string) ([]api.Redeemable, error) {
	v := s.chain.View()
	rec, err := v.Agent(id)
	if errors.Is(err, cove.ErrNotFound) {
		return nil, &cove.Error{Status: http.StatusNotFound, Code: api.CodeAgentNotFound, Message: "no agent " + id.String()}
	}
	if err != nil {
		return nil, fmt.Errorf("vouchers of agent %s: %w", id, err)
	}
	if !chain.IsDAOAgent(rec) {
		if why := checkOwnerAuth(auth, v.ChainID(), id, rec.Owner, time.Now()); why != "" {
			return nil, &cove.Error{Status: http.StatusForbidden, Code: "not_owner", Message: why}
		}
	}
	return s.linkLedger.Redeemable(v, id), nil
}

// checkOwnerAuth checks a Cove-Auth passed on by a gateway for GET
// /v1/agents/{id}/vouchers: the chain, the resource, the expiry and that
// owner signed it. What it returns is the reason it is refused.
func checkOwnerAuth(header string, chainID uint64, id cove.AgentID, owner cove.Address, now time.Time) string {
	if header == "" {
		return "the vouchers of agent " + id.String() + " are its owner's: send its " + api.HeaderAuth
	}
	a, err := api.ParseAuth(header)
	if err != nil {
		return err.Error()
	}
	signer, ref := a.Check(chainID, http.MethodGet, "/v1/agents/"+id.String()+"/vouchers", now)
	if ref != nil {
		return ref.Message
	}
	if signer != owner {
		return "only the agent's owner " + owner.String() + " may read its vouchers"
	}
	return ""
}
