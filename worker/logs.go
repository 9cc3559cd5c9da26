package worker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/cove-network/cove"
)

// Invocation is the log record of one call.
type Invocation = cove.Invocation

// logBook keeps the last invocations of each agent in memory and appends
// every one to dir/<agent>.jsonl, so that logs survive a restart. A file is
// compacted to the kept tail when it grows past four times that.
type logBook struct {
	dir  string
	keep int

	mu     sync.Mutex
	agents map[cove.AgentID]*agentLog
}

type agentLog struct {
	loaded  bool
	entries []Invocation // oldest first, at most keep
	file    *os.File
	lines   int // lines in file
	subs    map[chan Invocation]struct{}
}

func openLogBook(dir string, keep int) (*logBook, error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open logs: %w", err)
		}
	}
	return &logBook{dir: dir, keep: keep, agents: map[cove.AgentID]*agentLog{}}, nil
}

// get returns the agent's log, loading its file on first use. Callers hold mu.
func (b *logBook) get(id cove.AgentID) *agentLog {
	l := b.agents[id]
	if l == nil {
		l = &agentLog{subs: map[chan Invocation]struct{}{}}
		b.agents[id] = l
	}
	if !l.loaded && b.dir != "" {
		l.loaded = true
		l.entries, l.lines = readTail(b.path(id), b.keep)
	}
	return l
}

func (b *logBook) path(id cove.AgentID) string { return filepath.Join(b.dir, id.String()+".jsonl") }

func readTail(path string, keep int) ([]Invocation, int) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0
	}
	defer f.Close()
	var out []Invocation
	lines := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		lines++
		var e Invocation
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue // a torn last line after a crash
		}
		out = append(out, e)
		if len(out) > keep {
			out = out[1:]
		}
	}
	return out, lines
}

func (b *logBook) add(e Invocation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.get(e.Agent)
	l.entries = append(l.entries, e)
	if len(l.entries) > b.keep {
		l.entries = l.entries[len(l.entries)-b.keep:]
	}
	for ch := range l.subs {
		select {
		case ch <- e:
		default: // a slow follower misses lines rather than blocking calls
		}
	}
	if b.dir == "" {
		return
	}
	if err := b.appendFile(e.Agent, l, e); err != nil {
		// Logs are best effort: a full disk must not fail agent calls.
		return
	}
}

func (b *logBook) appendFile(id cove.AgentID, l *agentLog, e Invocation) error {
	if l.lines > 4*b.keep {
		if err := b.compact(id, l); err != nil {
			return err
		}
	}
	if l.file == nil {
		f, err := os.OpenFile(b.path(id), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		l.file = f
	}
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := l.file.Write(append(line, '\n')); err != nil {
		return err
	}
	l.lines++
	return nil
}

// compact rewrites the agent's file with only the kept entries.
func (b *logBook) compact(id cove.AgentID, l *agentLog) error {
	var buf bytes.Buffer
	for _, e := range l.entries[:max(0, len(l.entries)-1)] { // the newest is appended by the caller
		line, _ := json.Marshal(e)
		buf.Write(append(line, '\n'))
	}
	tmp := b.path(id) + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
		return err
	}
	if l.file != nil {
		l.file.Close()
		l.file = nil
	}
	if err := os.Rename(tmp, b.path(id)); err != nil {
		return err
	}
	l.lines = len(l.entries) - 1
	return nil
}

// Logs returns the last n invocations of an agent, oldest first.
func (s *Server) Logs(id cove.AgentID, n int) []Invocation {
	b := s.logs
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.get(id)
	if n <= 0 || n > len(l.entries) {
		n = len(l.entries)
	}
	return append([]Invocation(nil), l.entries[len(l.entries)-n:]...)
}

// Follow delivers the agent's new invocations until ctx ends; the channel is
// closed then.
func (s *Server) Follow(ctx context.Context, id cove.AgentID) <-chan Invocation {
	b := s.logs
	ch := make(chan Invocation, 64)
	b.mu.Lock()
	b.get(id).subs[ch] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.get(id).subs, ch)
		b.mu.Unlock()
		close(ch)
	}()
	return ch
}

func (b *logBook) close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []error
	for _, l := range b.agents {
		if l.file != nil {
			errs = append(errs, l.file.Close())
			l.file = nil
		}
	}
	return errors.Join(errs...)
}
