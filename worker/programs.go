package worker

import (
	"container/list"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/worker/sandbox"
)

// DefaultCompiledCacheBytes is Config.CompiledCacheBytes when zero.
const DefaultCompiledCacheBytes = 64 << 20

// programCache keeps compiled programs by code hash, least recently used
// first out, within a budget of bytecode bytes: with many agents, memory
// is bounded by the budget, not by how many were ever called. A program
// larger than the budget is kept alone. The caller holds the worker's mu.
type programCache struct {
	budget int
	size   int
	order  *list.List // of *cachedProgram, most recent at the front
	byHash map[cove.Hash]*list.Element
}

type cachedProgram struct {
	hash cove.Hash
	p    *sandbox.Program
}

func newProgramCache(budget int) *programCache {
	return &programCache{budget: budget, order: list.New(), byHash: map[cove.Hash]*list.Element{}}
}

// get returns the program of hash, marking it used.
func (c *programCache) get(hash cove.Hash) *sandbox.Program {
	e := c.byHash[hash]
	if e == nil {
		return nil
	}
	c.order.MoveToFront(e)
	return e.Value.(*cachedProgram).p
}

// put keeps p as hash's program and drops the least recently used ones
// over the budget.
func (c *programCache) put(hash cove.Hash, p *sandbox.Program) {
	if e := c.byHash[hash]; e != nil {
		c.size -= e.Value.(*cachedProgram).p.Size()
		c.order.Remove(e)
	}
	c.byHash[hash] = c.order.PushFront(&cachedProgram{hash, p})
	c.size += p.Size()
	for c.size > c.budget && c.order.Len() > 1 {
		last := c.order.Back()
		cp := last.Value.(*cachedProgram)
		c.order.Remove(last)
		delete(c.byHash, cp.hash)
		c.size -= cp.p.Size()
	}
}

// len and bytes say what the cache holds (metrics, tests).
func (c *programCache) len() int   { return c.order.Len() }
func (c *programCache) bytes() int { return c.size }
