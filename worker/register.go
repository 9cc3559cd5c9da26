package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/backoff"
	"github.com/cove-network/cove/txsend"
)

// Registration retries: the first attempts wait for the chain to make its
// first block; later ones back off up to maxRetry (a refusal such as a
// measurement not yet allowed may be fixed by governance at any time).
const (
	firstRetry = 100 * time.Millisecond
	maxRetry   = 30 * time.Second
)

// register registers this worker on the chain unless it is registered
// already: it quotes the identity's public key on the TEE and sends
// RegisterWorker with endpoint. It retries until the chain accepts it or ctx
// ends, and logs the outcome. A node without an operator key cannot send
// it: that is logged once.
func (s *Server) register(ctx context.Context, endpoint string) {
	backoff.Retry(ctx, firstRetry, maxRetry, func() (bool, error) {
		done, err := s.registerOnce(ctx, endpoint)
		if errors.Is(err, txsend.ErrNoKey) {
			s.log.Warn("worker not registered: no key to send its registration with", "worker", s.myID, "err", err)
			return true, nil
		}
		return done, err
	}, func(err error, wait time.Duration) {
		s.log.Warn("worker registration refused; retrying", "worker", s.myID, "err", err, "retry_in", wait)
	})
}

// registerOnce makes one registration attempt. done means nothing is left
// to do (registered now or before); err, a refusal worth logging. Neither
// means the chain has not made its first block yet.
func (s *Server) registerOnce(ctx context.Context, endpoint string) (done bool, err error) {
	v := s.chain.View()
	if v.Height() < 1 {
		return false, nil
	}
	rec, err := v.Worker(s.myID)
	if err == nil {
		s.log.Info("worker already registered", "worker", s.myID, "tee", rec.TEE, "measurement", rec.Measurement, "operator", rec.Operator, "endpoint", rec.Endpoint, "height", rec.Height)
		if rec.Endpoint != endpoint {
			// The chain keeps the endpoint of the registration: gateways
			// reach this worker there, not at the new one (ADR 20).
			s.log.Warn("the worker's registered endpoint is not the one it serves now: gateways route to the registered one; keep worker_addr/worker_endpoint as registered, or start a new worker (a new data dir)",
				"worker", s.myID, "registered", rec.Endpoint, "now", endpoint)
		}
		return true, nil
	}
	if !errors.Is(err, cove.ErrNotFound) {
		return false, err
	}
	op, err := s.chain.Operator()
	if err != nil {
		return false, err
	}
	pub := s.id.PublicKey()
	quote, err := s.platform.Quote(chain.ReportData(chain.RoleWorker, v.ChainID(), op, pub))
	if err != nil {
		return false, fmt.Errorf("quote: %w", err)
	}
	msg := chain.RegisterWorker{TEE: s.platform.Name(), PublicKey: pub, Endpoint: endpoint, Quote: quote}
	out, err := s.chain.Send(ctx, func(n uint64) chain.Msg { msg.Nonce = n; return msg })
	if err != nil {
		return false, err
	}
	switch out.Code {
	case chain.CodeOK:
		s.log.Info("worker registered", "worker", s.myID, "tee", msg.TEE, "endpoint", endpoint, "height", out.Height, "tx", out.Hash)
		return true, nil
	case chain.CodeExists:
		s.log.Info("worker already registered", "worker", s.myID, "tx", out.Hash)
		return true, nil
	}
	return false, fmt.Errorf("RegisterWorker: %s", out.Log)
}
