package worker

import (
	"context"
	"errors"
	"sync"

	"github.com/cove-network/cove"
)

// errAgentBusy is acquire's answer when the agent's queue is full.
var errAgentBusy = errors.New("the agent's queue is full")

// slots hands out the worker's max_concurrent invocation slots fairly
// across agents. Each agent runs at most perAgent invocations at once and
// queues at most queue more; its waiters queue apart from other agents',
// and a freed slot goes to the next agent with a waiter in round-robin
// order, not to the oldest waiter of all. So an agent flooded with calls
// holds at most perAgent slots and cannot make the others' calls wait for
// its own: a call of another agent either runs at once or waits behind at
// most one call per other waiting agent.
type slots struct {
	perAgent, queue int

	mu     sync.Mutex
	free   int
	agents map[cove.AgentID]*agentSlots
	ring   []*agentSlots // agents with waiters, in round-robin order
	next   int           // the index in ring the next freed slot starts at
}

// agentSlots is one agent's share: its running invocations and its waiters.
type agentSlots struct {
	id      cove.AgentID
	running int
	waiters []chan struct{} // FIFO; each is buffered (1) and gets one grant
}

func newSlots(total, perAgent, queue int) *slots {
	return &slots{perAgent: perAgent, queue: queue, free: total, agents: map[cove.AgentID]*agentSlots{}}
}

// waiting returns how many calls wait for a slot.
func (s *slots) waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, a := range s.agents {
		n += len(a.waiters)
	}
	return n
}

// running returns how many slots are taken.
func (s *slots) running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, a := range s.agents {
		n += a.running
	}
	return n
}

// acquire takes a slot for agent id, waiting for one in the agent's queue.
// It returns errAgentBusy at once when the agent's queue is full, and ctx's
// error when ctx ends before a slot is free. Every nil return must be
// followed by release(id).
func (s *slots) acquire(ctx context.Context, id cove.AgentID) error {
	s.mu.Lock()
	a := s.agents[id]
	if a == nil {
		a = &agentSlots{id: id}
		s.agents[id] = a
	}
	if s.free > 0 && a.running < s.perAgent && len(a.waiters) == 0 {
		s.free--
		a.running++
		s.mu.Unlock()
		return nil
	}
	if len(a.waiters) >= s.queue {
		s.forget(a)
		s.mu.Unlock()
		return errAgentBusy
	}
	ch := make(chan struct{}, 1)
	a.waiters = append(a.waiters, ch)
	if len(a.waiters) == 1 {
		s.ring = append(s.ring, a)
	}
	s.mu.Unlock()

	select {
	case <-ch:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, w := range a.waiters {
		if w == ch {
			a.waiters = append(a.waiters[:i], a.waiters[i+1:]...)
			if len(a.waiters) == 0 {
				s.leaveRing(a)
			}
			s.forget(a)
			return ctx.Err()
		}
	}
	// Granted as ctx ended: hand the slot on.
	a.running--
	s.free++
	s.dispatch()
	s.forget(a)
	return ctx.Err()
}

// release returns agent id's slot and grants it to the next waiter.
func (s *slots) release(id cove.AgentID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.agents[id]
	a.running--
	s.free++
	s.dispatch()
	s.forget(a)
}

// dispatch grants free slots to waiters, one agent at a time in ring
// order, skipping agents at their perAgent bound. Called with mu held.
func (s *slots) dispatch() {
	for s.free > 0 && len(s.ring) > 0 {
		granted := false
		for range len(s.ring) {
			if s.next >= len(s.ring) {
				s.next = 0
			}
			a := s.ring[s.next]
			if a.running >= s.perAgent {
				s.next++
				continue
			}
			ch := a.waiters[0]
			a.waiters = a.waiters[1:]
			a.running++
			s.free--
			ch <- struct{}{}
			granted = true
			if len(a.waiters) == 0 {
				s.leaveRing(a) // the agent after it is now at s.next
			} else {
				s.next++
			}
			break
		}
		if !granted {
			return // every waiting agent is at its bound
		}
	}
}

// leaveRing takes a out of the ring, keeping the round-robin position.
// Called with mu held.
func (s *slots) leaveRing(a *agentSlots) {
	for i, r := range s.ring {
		if r == a {
			s.ring = append(s.ring[:i], s.ring[i+1:]...)
			if i < s.next {
				s.next--
			}
			return
		}
	}
}

// forget drops an idle agent's entry, so the map holds only agents with
// calls. Called with mu held.
func (s *slots) forget(a *agentSlots) {
	if a.running == 0 && len(a.waiters) == 0 {
		delete(s.agents, a.id)
	}
}
