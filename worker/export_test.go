package worker

import (
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/receipt"
)

// Slots returns how many calls of agent id run and wait, for tests.
func (s *Server) Slots(id cove.AgentID) (running, waiting int) {
	s.slots.mu.Lock()
	defer s.slots.mu.Unlock()
	if a := s.slots.agents[id]; a != nil {
		return a.running, len(a.waiters)
	}
	return 0, 0
}

// SlowReceipts makes every receipt signature of agent id (whose keys the
// worker must hold: call it after a first call) take delay longer, so that
// responses made at the same time meet at its signer, for tests.
func (s *Server) SlowReceipts(id cove.AgentID, delay time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.agents[id]
	k.receipts = receipt.NewBatcher(slowSigner{k.attestor, delay}, s.cfg.ReceiptBatch)
}

type slowSigner struct {
	receipt.Signer
	delay time.Duration
}

func (s slowSigner) Sign(d cove.Hash) ([65]byte, error) {
	time.Sleep(s.delay)
	return s.Signer.Sign(d)
}
