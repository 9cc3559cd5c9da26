package payment

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/internal/atomicfile"
)

// Bounds of the counts' memory: past them a new caller (or agent) of the
// day gets no free call until the next day.
const (
	maxFreeCallersPerAgent = 100_000
	maxFreeAgents          = 10_000
)

// FreeCounts counts the free calls of the day, per agent and caller, in
// memory (they start again each day, UTC). Save and Load keep them across
// a restart; Keep saves them every FreeSaveInterval while they change, so
// a crash forgets at most that much of the day's counts.
type FreeCounts struct {
	mu     sync.Mutex
	day    int64 // Unix days of the counts
	agents map[cove.AgentID]*agentFreeCount
	// changes counts the calls taken and given back, which Keep compares
	// with saved, the changes its last Save wrote.
	changes, saved uint64
}

// FreeSaveInterval is how often Keep writes the counts while they change.
const FreeSaveInterval = 5 * time.Second

// Keep saves the counts to path every interval (FreeSaveInterval when 0)
// when they changed since the last save, until ctx ends; a failed save is
// logged and tried again at the next tick. The holder still Saves once
// when it stops.
func (f *FreeCounts) Keep(ctx context.Context, path string, interval time.Duration, log *slog.Logger) {
	if path == "" {
		return
	}
	t := time.NewTicker(cmp.Or(interval, FreeSaveInterval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		f.mu.Lock()
		changed := f.changes != f.saved
		f.mu.Unlock()
		if changed {
			if err := f.Save(path); err != nil {
				log.Error("save the day's free calls; a crash now would forget them", "err", err)
			}
		}
	}
}

type agentFreeCount struct {
	total   uint64
	callers map[string]uint64
}

// Take counts a free call of agent by caller at now if tier allows it
// and use (nil: none) accepts: the call's Cove-Auth nonce is used up only
// then. Otherwise it says why the tier does not cover the call, or
// returns use's refusal.
func (f *FreeCounts) Take(agent cove.AgentID, tier cove.FreeTier, caller string, now time.Time, use func() error) (why string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if day := now.UTC().Unix() / 86400; day != f.day || f.agents == nil {
		f.day, f.agents = day, map[cove.AgentID]*agentFreeCount{}
	}
	a := f.agents[agent]
	if a == nil {
		if len(f.agents) >= maxFreeAgents {
			return "the free calls of too many agents are counted here today", nil
		}
		a = &agentFreeCount{callers: map[string]uint64{}}
		f.agents[agent] = a
	}
	if a.total >= tier.CallsPerDay {
		return "the free tier's " + strconv.FormatUint(tier.CallsPerDay, 10) + " calls of today are used up", nil
	}
	n, known := a.callers[caller]
	if tier.PerCaller > 0 && n >= tier.PerCaller {
		return "you have made the " + strconv.FormatUint(tier.PerCaller, 10) + " free calls a caller may make today", nil
	}
	if !known && len(a.callers) >= maxFreeCallersPerAgent {
		return "too many callers of this agent are counted here today", nil
	}
	if use != nil {
		if err := use(); err != nil {
			return "", err
		}
	}
	a.total++
	a.callers[caller] = n + 1
	f.changes++
	return "", nil
}

// Return gives back a free call Take counted at taken for a call no
// agent ran (no worker held the keys, the queue was full), so it does
// not use up the caller's or the day's calls. A call taken on another
// day than today's counts is not given back: those counts are gone.
func (f *FreeCounts) Return(agent cove.AgentID, caller string, taken time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if taken.UTC().Unix()/86400 != f.day {
		return
	}
	a := f.agents[agent]
	if a == nil || a.total == 0 || a.callers[caller] == 0 {
		return
	}
	a.total--
	a.callers[caller]--
	f.changes++
}

// freeFile is FreeCounts as Save writes it.
type freeFile struct {
	Day    int64                               `json:"day"`
	Agents map[cove.AgentID]freeFileAgentCount `json:"agents"`
}

type freeFileAgentCount struct {
	Total   uint64            `json:"total"`
	Callers map[string]uint64 `json:"callers"`
}

// Save writes the day's counts to path, atomically (an empty path: none).
func (f *FreeCounts) Save(path string) error {
	if path == "" {
		return nil
	}
	// Copied under the lock, encoded outside it: Take waits for the copy
	// only.
	f.mu.Lock()
	out := freeFile{Day: f.day, Agents: make(map[cove.AgentID]freeFileAgentCount, len(f.agents))}
	for id, a := range f.agents {
		out.Agents[id] = freeFileAgentCount{Total: a.total, Callers: maps.Clone(a.callers)}
	}
	changes := f.changes
	f.mu.Unlock()
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("free calls: %w", err)
	}
	if err := atomicfile.Write(path, b); err != nil {
		return fmt.Errorf("free calls: %w", err)
	}
	f.mu.Lock()
	f.saved = max(f.saved, changes)
	f.mu.Unlock()
	return nil
}

// Load reads the counts Save wrote to path, if they are of now's day
// (UTC); counts of another day, or no file, leave f empty. A file that
// does not decode, or breaks the counts' bounds, is an error and leaves
// f empty.
func (f *FreeCounts) Load(path string, now time.Time) error {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("free calls: %w", err)
	}
	var in freeFile
	if err := json.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("free calls: %s: %w", path, err)
	}
	if in.Day != now.UTC().Unix()/86400 {
		return nil // another day's: nothing to keep (Take would start again anyway)
	}
	if len(in.Agents) > maxFreeAgents {
		return fmt.Errorf("free calls: %s counts %d agents, above %d", path, len(in.Agents), maxFreeAgents)
	}
	agents := make(map[cove.AgentID]*agentFreeCount, len(in.Agents))
	for id, a := range in.Agents {
		if len(a.Callers) > maxFreeCallersPerAgent {
			return fmt.Errorf("free calls: %s counts %d callers of agent %s, above %d", path, len(a.Callers), id, maxFreeCallersPerAgent)
		}
		if a.Callers == nil {
			a.Callers = map[string]uint64{}
		}
		agents[id] = &agentFreeCount{total: a.Total, callers: a.Callers}
	}
	f.mu.Lock()
	f.day, f.agents = in.Day, agents
	f.mu.Unlock()
	return nil
}
