package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
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
	return workerlink.Serve(ctx, ln, cert, workerlink.Handler(paidLink{s}, s.cfg.MaxRequestBytes, log), log)
}

// paidLink is the worker as its link serves it: a call of a priced agent
// must be paid here too (issue 11, ADR 23). The link serves anyone who
// reads the worker's endpoint and key from the chain, not only honest
// gateways, so the worker checks the call's voucher itself
// (payment.Ledger.Pay against its own chain view and a ledger of the
// vouchers it accepted, in memory), or counts the call against the
// agent's free tier, calls per day in all at this worker. A voucher is
// then good once per worker, not only once per gateway.
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
			if why, _ = s.linkFree.Take(id, tier, "link", time.Now(), nil); why == "" {
				return s.Invoke(ctx, id, c)
			}
		}
		return nil, &cove.Error{Status: http.StatusPaymentRequired, Code: api.CodePaymentRequired, Message: why}
	}
	paid, ref := s.linkLedger.Pay(v, a, c.Payment)
	if ref != nil {
		return nil, &cove.Error{Status: http.StatusPaymentRequired, Code: api.CodePaymentRequired, Message: ref.Msg}
	}
	c.Payment = ""
	resp, err := s.Invoke(ctx, id, c)
	var ce *cove.Error
	busy := err == nil && resp.Status == http.StatusTooManyRequests && http.Header(resp.Header).Get("Retry-After") != ""
	if (errors.As(err, &ce) || busy) && ctx.Err() == nil {
		// No agent ran: an unsigned refusal (no keys yet, a body too
		// large), or the agent's queue was full (as the gateway does).
		paid.Refund()
	}
	return resp, err
}
