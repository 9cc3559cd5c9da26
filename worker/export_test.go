package worker

import "github.com/cove-network/cove"

// Slots returns how many calls of agent id run and wait, for tests.
func (s *Server) Slots(id cove.AgentID) (running, waiting int) {
	s.slots.mu.Lock()
	defer s.slots.mu.Unlock()
	if a := s.slots.agents[id]; a != nil {
		return a.running, len(a.waiters)
	}
	return 0, 0
}
