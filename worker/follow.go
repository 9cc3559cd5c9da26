package worker

import (
	"context"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
)

// reprovisionEvery is how often the worker re-reads its provisions besides
// following events, so that a missed event heals.
const reprovisionEvery = time.Second

// follow opens the cluster keys gatekeepers provision to this worker, and
// prepares the code of every agent deployed or upgraded on the chain so
// that its first call does not pay for loading and compiling.
func (s *Server) follow(ctx context.Context, events <-chan chain.Event) {
	s.provision()
	t := time.NewTicker(reprovisionEvery)
	defer t.Stop()
	for {
		var ev chain.Event
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.provision()
			continue
		case e, ok := <-events:
			if !ok {
				return
			}
			ev = e
		}
		switch ev.Type {
		case chain.EventKeyProvisioned:
			s.provision()
		case chain.EventAgentDeployed, chain.EventAgentUpgraded:
			s.prepareFromEvent(ctx, ev)
		}
	}
}

func (s *Server) prepareFromEvent(ctx context.Context, ev chain.Event) {
	id, err := cove.ParseAgentID(ev.Attr("id"))
	if err != nil {
		return
	}
	rec, err := s.chain.View().Agent(id)
	if err != nil {
		return
	}
	// Preparing may fetch the bundle from peers: it must not hold up the
	// events behind it (their channel drops what overflows).
	a := rec.Agent()
	s.prepares.Go(func() {
		if err := s.Prepare(ctx, a); err != nil {
			s.log.Info("agent code not ready", "agent", a.ID, "err", err)
		}
	})
}

// provision opens every cluster key provisioned on chain to this worker
// that its key ring lacks.
func (s *Server) provision() {
	v := s.chain.View()
	recs, epochs := v.Provisions(chain.ProvisionKindWorker, s.myID), v.Epochs()
	published := map[uint64][]byte{}
	for _, e := range epochs {
		published[e.Epoch] = e.ClusterPublicKey
	}
	for _, p := range recs {
		if s.ring.Has(p.Epoch) {
			continue
		}
		if err := s.ring.Add(p.Epoch, p.Sealed, published[p.Epoch]); err != nil {
			s.log.Error("cannot open a provisioned cluster key", "worker", s.myID, "epoch", p.Epoch, "err", err)
			continue
		}
		s.log.Info("worker provisioned", "worker", s.myID, "epoch", p.Epoch, "height", p.Height)
	}
}
