package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/cove-network/cove"
)

// Invocation is the log record of one call.
type Invocation = cove.Invocation

// logBook keeps the last invocations of each agent in memory and appends
// every one, sealed (logSeal), to dir/<agent>.sealed, so that logs survive
// a restart and only this worker's TEE reads them. A file is compacted to
// the kept tail when it grows past four times that.
//
// The files are written by one writer goroutine, in batches: a call adds
// its record in memory and goes on, and the writer seals and appends what
// was added meanwhile with one write per agent. So no call waits for a
// disk write, or for another agent's. close writes what is left; a crash
// (kill -9) loses the records added since the writer's last write (on a
// healthy disk, the last few milliseconds of calls), never a written one.
// While the disk is slower than the calls, at most maxLogQueue records
// wait; past that, records are kept in memory only and the worker's log
// says how many were not written.
type logBook struct {
	dir  string
	keep int
	seal *logSeal // nil: memory only
	log  *slog.Logger

	mu       sync.Mutex
	agents   map[cove.AgentID]*agentLog
	queue    []Invocation  // added, not yet written; dir != "" only
	dropped  int           // records not queued since the writer last said so
	closing  bool          // close was called: nothing more is queued
	wake     chan struct{} // (1) the writer has work or should stop
	done     chan struct{} // closed when the writer has stopped
	closeErr error         // the writer's, read after done

	wbuf []byte // the writer's buffer for sealed lines, reused round to round
}

type agentLog struct {
	loaded  bool
	entries ring // at most keep
	// file and lines are the writer's (and load's, which runs under mu
	// before any record of the agent is queued).
	file  *os.File
	lines int // lines in file
	subs  map[chan Invocation]struct{}
}

// openLogBook keeps logs in dir, sealed with seal; with dir empty or seal
// nil, in memory only.
func openLogBook(dir string, keep int, seal *logSeal, log *slog.Logger) (*logBook, error) {
	if seal == nil {
		dir = ""
	}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open logs: %w", err)
		}
		if old, _ := filepath.Glob(filepath.Join(dir, "*.jsonl")); len(old) > 0 {
			// Older releases wrote plaintext logs; they are not read back
			// (the host could have written them) nor deleted.
			log.Warn("plaintext invocation logs of an older release are not read; delete them", "dir", dir, "files", len(old))
		}
	}
	b := &logBook{dir: dir, keep: keep, seal: seal, log: log, agents: map[cove.AgentID]*agentLog{},
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	if dir == "" {
		close(b.done)
	} else {
		go b.writer()
	}
	return b, nil
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
		b.load(id, l)
	}
	return l
}

func (b *logBook) path(id cove.AgentID) string { return filepath.Join(b.dir, id.String()+".sealed") }

// load reads the agent's file into l. Records that do not open (a damaged
// file, or one sealed by another worker or for another agent) are left
// out: the file is moved aside to .unreadable, the worker's log says so,
// and the records that opened are written to a new file.
func (b *logBook) load(id cove.AgentID, l *agentLog) {
	path := b.path(id)
	entries, lines, bad, torn, err := b.readTail(id, path)
	l.entries, l.lines = ring{buf: entries}, lines
	if err == nil && bad == 0 {
		if torn {
			// Rewrite without the torn line, so the next record starts on
			// a line of its own.
			if werr := b.rewrite(id, l, entries, nil); werr != nil {
				b.log.Error("rewrite invocation log", "file", path, "err", werr)
			}
		}
		return
	}
	if err == nil {
		err = fmt.Errorf("%d of %d records do not open with this worker's log key: the file is damaged, or was sealed by another worker or for another agent", bad, lines)
	}
	aside := path + ".unreadable"
	b.log.Warn("invocation log unreadable; moved aside", "agent", id, "file", path, "moved_to", aside, "kept", len(entries), "err", err)
	if rerr := os.Rename(path, aside); rerr != nil {
		b.log.Error("move unreadable invocation log aside", "file", path, "err", rerr)
		return
	}
	if werr := b.rewrite(id, l, entries, nil); werr != nil {
		b.log.Error("rewrite invocation log", "file", path, "err", werr)
	}
}

// readTail returns the last keep records of the file at path that open,
// the number of lines and how many did not open. A last line without its
// newline (a crash while appending) is torn, not bad.
func (b *logBook) readTail(id cove.AgentID, path string) (out []Invocation, lines, bad int, torn bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, 0, false, nil
	}
	if err != nil {
		return nil, 0, 0, false, fmt.Errorf("read invocation log: %w", err)
	}
	for len(data) > 0 {
		line, rest, complete := bytes.Cut(data, []byte{'\n'})
		data = rest
		lines++
		if !complete {
			torn = true
			break
		}
		e, err := b.seal.open(id, line)
		if err != nil {
			bad++
			continue
		}
		out = append(out, e)
		if len(out) > b.keep {
			out = out[1:]
		}
	}
	return out, lines, bad, torn, nil
}

func (b *logBook) add(e Invocation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.get(e.Agent)
	l.entries.push(e, b.keep)
	for ch := range l.subs {
		select {
		case ch <- e:
		default: // a slow follower misses lines rather than blocking calls
		}
	}
	if b.dir == "" || b.closing {
		return
	}
	if len(b.queue) >= maxLogQueue {
		b.dropped++
		return
	}
	b.queue = append(b.queue, e)
	select {
	case b.wake <- struct{}{}:
	default: // already woken
	}
}

// maxLogQueue bounds the records waiting for the writer.
const maxLogQueue = 10_000

// maxLogBuffer bounds the writer's buffer kept between rounds.
const maxLogBuffer = 1 << 20

// logWrite is the writer's work for one agent in one round: the records
// to append or, when the file is due for compaction, the entries to
// rewrite it with (those records among them).
type logWrite struct {
	id      cove.AgentID
	l       *agentLog
	records []Invocation
	rewrite []Invocation // non-nil: compact the file to these instead
}

// writer writes queued records until close, then closes the files; the
// errors of closing them are closeErr.
func (b *logBook) writer() {
	defer close(b.done)
	for range b.wake {
		b.mu.Lock()
		queue, closing, dropped := b.queue, b.closing, b.dropped
		b.queue, b.dropped = nil, 0
		var work []*logWrite
		byAgent := map[cove.AgentID]*logWrite{}
		for _, e := range queue {
			w := byAgent[e.Agent]
			if w == nil {
				w = &logWrite{id: e.Agent, l: b.agents[e.Agent]}
				byAgent[e.Agent] = w
				work = append(work, w)
			}
			w.records = append(w.records, e)
		}
		for _, w := range work {
			if w.l.lines+len(w.records) > 4*b.keep {
				// entries is the agent's kept tail, newest last, as of
				// now: the file is rewritten with it, these records
				// among them unless newer ones pushed them out.
				w.rewrite = w.l.entries.tail(b.keep)
			}
		}
		b.mu.Unlock()
		if dropped > 0 {
			b.log.Warn("invocation log records kept in memory only: the disk is slower than the calls", "records", dropped)
		}

		for _, w := range work {
			if err := b.write(w); err != nil {
				// Logs are best effort: a full disk must not fail agent
				// calls, nor stop the writer.
				b.log.Debug("write invocation log", "agent", w.id, "err", err)
			}
		}
		if closing {
			b.mu.Lock()
			defer b.mu.Unlock()
			var errs []error
			for _, l := range b.agents {
				if l.file != nil {
					errs = append(errs, l.file.Close())
					l.file = nil
				}
			}
			b.closeErr = errors.Join(errs...)
			return
		}
	}
}

// write appends w's records to the agent's file with one write, or
// compacts the file to w.rewrite.
func (b *logBook) write(w *logWrite) error {
	if w.rewrite != nil {
		return b.rewrite(w.id, w.l, w.rewrite, &b.wbuf)
	}
	l := w.l
	if l.file == nil {
		f, err := os.OpenFile(b.path(w.id), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		l.file = f
	}
	buf, err := b.sealLines(&b.wbuf, w.id, w.records)
	if err != nil {
		return err
	}
	if _, err := l.file.Write(buf); err != nil {
		return err
	}
	l.lines += len(w.records)
	return nil
}

// sealLines returns records sealed, one line each, written into *dst
// (kept there for the next use) when dst is not nil.
func (b *logBook) sealLines(dst *[]byte, id cove.AgentID, records []Invocation) ([]byte, error) {
	var buf, scratch []byte
	if dst != nil {
		buf = (*dst)[:0]
		defer func() {
			if cap(buf) <= maxLogBuffer {
				*dst = buf
			}
		}()
	}
	ad := logAD(id)
	for _, e := range records {
		var err error
		if buf, err = b.seal.appendSealed(buf, &scratch, ad, e); err != nil {
			return nil, err
		}
		buf = append(buf, '\n')
	}
	return buf, nil
}

// rewrite replaces the agent's file with entries, sealed (into *dst, as
// sealLines does).
func (b *logBook) rewrite(id cove.AgentID, l *agentLog, entries []Invocation, dst *[]byte) error {
	buf, err := b.sealLines(dst, id, entries)
	if err != nil {
		return err
	}
	tmp := b.path(id) + ".tmp"
	if err := os.WriteFile(tmp, buf, 0o600); err != nil {
		return err
	}
	if l.file != nil {
		l.file.Close()
		l.file = nil
	}
	if err := os.Rename(tmp, b.path(id)); err != nil {
		return err
	}
	l.lines = len(entries)
	return nil
}

// Logs returns the last n invocations of an agent, oldest first.
func (s *Server) Logs(id cove.AgentID, n int) []Invocation {
	b := s.logs
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.get(id).entries.tail(n)
}

// ring holds an agent's last invocations: once full, a new one takes the
// oldest one's place, so keeping them allocates nothing per call.
type ring struct {
	buf   []Invocation
	start int // buf[start] is the oldest once len(buf) is keep
}

// push adds e, the newest, to a ring of at most keep (the same keep on
// every call; load fills it with at most keep).
func (r *ring) push(e Invocation, keep int) {
	if len(r.buf) < keep {
		r.buf = append(r.buf, e)
		return
	}
	r.buf[r.start] = e
	r.start = (r.start + 1) % len(r.buf)
}

// tail returns a copy of the newest n (all of them for n <= 0 or more
// than there are), oldest first.
func (r *ring) tail(n int) []Invocation {
	if n <= 0 || n > len(r.buf) {
		n = len(r.buf)
	}
	out := make([]Invocation, 0, n)
	for i := len(r.buf) - n; i < len(r.buf); i++ {
		out = append(out, r.buf[(r.start+i)%len(r.buf)])
	}
	return out
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

// close writes the records not written yet, closes the files, waits for
// the writer to stop and returns the errors of closing the files. Records
// added later are kept in memory only.
func (b *logBook) close() error {
	b.mu.Lock()
	if b.dir != "" && !b.closing {
		b.closing = true
		select {
		case b.wake <- struct{}{}:
		default: // a round is due: it takes the queue and sees closing
		}
	}
	b.mu.Unlock()
	<-b.done
	return b.closeErr
}
