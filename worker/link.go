package worker

import (
	"context"
	"net"

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
	return workerlink.Serve(ctx, ln, cert, workerlink.Handler(s, s.cfg.MaxRequestBytes, log), log)
}
