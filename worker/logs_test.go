package worker

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/internal/syncbuf"
	"github.com/cove-network/cove/tee/sim"
)

// logTEE is one simulated TEE with a worker directory holding its log key.
type logTEE struct {
	platform *sim.Platform
	keyPath  string
}

func newLogTEE(t *testing.T) logTEE {
	t.Helper()
	dir := t.TempDir()
	p, err := sim.Open(filepath.Join(dir, "tee"), sim.WithMeasurement([32]byte{1}))
	if err != nil {
		t.Fatal(err)
	}
	return logTEE{platform: p, keyPath: filepath.Join(dir, "worker", LogKeyFile)}
}

// book opens a log book in dir with the TEE's log key (made on first use),
// logging to out.
func (tee logTEE) book(t *testing.T, dir string, out *syncbuf.Buffer) *logBook {
	t.Helper()
	seal, err := loadLogKey(tee.platform, tee.keyPath)
	if err != nil {
		t.Fatal(err)
	}
	b, err := openLogBook(dir, 10, seal, slog.New(slog.NewTextHandler(out, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.close() })
	return b
}

// seal returns e as one sealed line (without the newline), as the
// writer seals it.
func (s *logSeal) seal(id cove.AgentID, e Invocation) ([]byte, error) {
	var scratch []byte
	return s.appendSealed(nil, &scratch, logAD(id), e)
}

func logsOf(b *logBook, id cove.AgentID) []Invocation {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.get(id).entries.tail(0)
}

func invocation(id cove.AgentID, req, marker string) Invocation {
	return Invocation{RequestID: req, Agent: id, Time: time.Unix(1795300000, 0).UTC(), Method: "GET",
		Path: "/agents/" + id.String() + "/?q=" + marker, Status: 200,
		Logs: []cove.LogLine{{Level: "log", Message: "the agent says " + marker}}}
}

// wantNoMarker fails if a file under dir holds marker in plaintext, base64
// or hex, also inside a line that decodes as base64 (a record merely
// encoded, not sealed).
func wantNoMarker(t *testing.T, dir, marker string) {
	t.Helper()
	files := 0
	forms := []string{marker, base64.StdEncoding.EncodeToString([]byte(marker)), base64.RawURLEncoding.EncodeToString([]byte(marker)), hex.EncodeToString([]byte(marker))}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		files++
		views := [][]byte{b}
		for _, line := range bytes.Split(b, []byte{'\n'}) {
			for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
				if d, err := enc.DecodeString(string(line)); err == nil {
					views = append(views, d)
				}
			}
		}
		for _, v := range views {
			for _, form := range forms {
				if bytes.Contains(v, []byte(form)) {
					t.Errorf("%s holds the marker (%q)", path, form)
					return nil
				}
			}
		}
		return nil
	})
	if files == 0 {
		t.Fatalf("no files under %s: nothing was checked", dir)
	}
}

// TestLogsSealedAtRest: what an agent logged is not on disk in any form,
// while the same worker reads it back, also after a restart (a new log
// book, the log key unsealed again from its file).
func TestLogsSealedAtRest(t *testing.T) {
	tee := newLogTEE(t)
	dir := t.TempDir()
	id := cove.AgentID{1}
	const marker = "marker-7f3a9c1e-in-the-agent-log"
	var out syncbuf.Buffer
	b := tee.book(t, dir, &out)
	b.add(invocation(id, "r1", marker))
	b.add(invocation(id, "r2", marker))
	if got := logsOf(b, id); len(got) != 2 || !strings.Contains(got[0].Logs[0].Message, marker) {
		t.Fatalf("control: the book holds %+v", got)
	}
	b.close()
	wantNoMarker(t, dir, marker)
	if _, err := os.Stat(filepath.Join(dir, id.String()+".sealed")); err != nil {
		t.Fatalf("no sealed log file: %v", err)
	}

	again := tee.book(t, dir, &out)
	got := logsOf(again, id)
	if len(got) != 2 || got[0].RequestID != "r1" || got[1].RequestID != "r2" || got[1].Logs[0].Message != "the agent says "+marker || !strings.HasSuffix(got[1].Path, marker) {
		t.Fatalf("after a restart: %+v", got)
	}
	if out.String() != "" {
		t.Errorf("the worker logged: %s", out.String())
	}
}

// TestLogsCompactSealed: a compacted file is sealed too and holds the kept
// tail.
func TestLogsCompactSealed(t *testing.T) {
	tee := newLogTEE(t)
	dir := t.TempDir()
	id := cove.AgentID{2}
	var out syncbuf.Buffer
	b := tee.book(t, dir, &out)
	for i := range 45 { // past 4 × keep (10): one compaction
		b.add(invocation(id, "r"+strings.Repeat("x", i), "compact-marker"))
	}
	b.close()
	wantNoMarker(t, dir, "compact-marker")
	file, err := os.ReadFile(filepath.Join(dir, id.String()+".sealed"))
	if n := bytes.Count(file, []byte{'\n'}); err != nil || n > 40 {
		t.Fatalf("the file has %d lines after 45 records (%v): it was not compacted to the kept 10", n, err)
	}
	got := logsOf(tee.book(t, dir, &out), id)
	if len(got) != 10 || got[9].RequestID != "r"+strings.Repeat("x", 44) {
		t.Fatalf("after compaction and restart: %d entries, last %+v", len(got), got[len(got)-1])
	}
}

// TestLogsUnreadable: a file this worker cannot open (sealed by another
// worker's TEE, moved from another agent, or damaged) does not stop the
// worker: the records that open are kept, the file is moved aside, the
// worker's log says so, and new records are written and read back. A torn
// last line (a crash while appending) is not damage.
func TestLogsUnreadable(t *testing.T) {
	mine, other := newLogTEE(t), newLogTEE(t)
	id, otherAgent := cove.AgentID{3}, cove.AgentID{4}
	// write returns a directory holding agent's log of n records, written
	// by tee's log book.
	write := func(tee logTEE, agent cove.AgentID, n int) string {
		dir := t.TempDir()
		var out syncbuf.Buffer
		b := tee.book(t, dir, &out)
		for i := range n {
			b.add(invocation(agent, "old"+string(rune('a'+i)), "x"))
		}
		b.close()
		return dir
	}
	cases := []struct {
		name string
		dir  func() string
		kept int  // records of the old file that open
		warn bool // the file is unreadable
	}{
		{"control: this worker's own file", func() string { return write(mine, id, 3) }, 3, false},
		{"sealed by another worker's TEE", func() string { return write(other, id, 3) }, 0, true},
		{"another agent's file under this agent's name", func() string {
			dir := write(mine, otherAgent, 3)
			os.Rename(filepath.Join(dir, otherAgent.String()+".sealed"), filepath.Join(dir, id.String()+".sealed"))
			return dir
		}, 0, true},
		{"one record damaged", func() string {
			dir := write(mine, id, 3)
			p := filepath.Join(dir, id.String()+".sealed")
			b, _ := os.ReadFile(p)
			i := bytes.IndexByte(b, '\n') + 5 // inside the second record
			b[i] ^= 'A' ^ 'B'
			os.WriteFile(p, b, 0o600)
			return dir
		}, 2, true},
		{"garbage", func() string {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, id.String()+".sealed"), []byte("{\"requestId\":\"planted\"}\nnot a record\n"), 0o600)
			return dir
		}, 0, true},
		{"torn last line", func() string {
			dir := write(mine, id, 3)
			p := filepath.Join(dir, id.String()+".sealed")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-20], 0o600) // the third record cut short, no newline
			return dir
		}, 2, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := c.dir()
			var out syncbuf.Buffer
			b := mine.book(t, dir, &out)
			got := logsOf(b, id)
			if len(got) != c.kept {
				t.Fatalf("%d records read, want %d: %+v", len(got), c.kept, got)
			}
			for _, e := range got {
				if e.Agent != id || !strings.HasPrefix(e.RequestID, "old") {
					t.Fatalf("read %+v", e)
				}
			}
			_, asideErr := os.Stat(filepath.Join(dir, id.String()+".sealed.unreadable"))
			if warned := strings.Contains(out.String(), "invocation log unreadable"); warned != c.warn || (asideErr == nil) != c.warn {
				t.Fatalf("warned %v, moved aside %v; want %v\n%s", warned, asideErr == nil, c.warn, out.String())
			}
			b.add(invocation(id, "new", "x"))
			b.close()
			got = logsOf(mine.book(t, dir, &out), id)
			if len(got) != c.kept+1 || got[len(got)-1].RequestID != "new" {
				t.Fatalf("after a new record and a restart: %+v", got)
			}
		})
	}
}

// TestLogKey: the log key is made once and sealed; the same TEE unseals
// it, another TEE cannot, and a worker whose key does not open still
// starts, keeping logs in memory.
func TestLogKey(t *testing.T) {
	mine, other := newLogTEE(t), newLogTEE(t)
	s1, err := loadLogKey(mine.platform, mine.keyPath)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := os.ReadFile(mine.keyPath)
	if err != nil || len(sealed) <= 32 {
		t.Fatalf("sealed key file: %d bytes, %v", len(sealed), err)
	}
	s2, err := loadLogKey(mine.platform, mine.keyPath)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := s1.seal(cove.AgentID{5}, invocation(cove.AgentID{5}, "r", "x"))
	if e, err := s2.open(cove.AgentID{5}, line); err != nil || e.RequestID != "r" {
		t.Fatalf("the reloaded key does not open a record: %+v %v", e, err)
	}
	if _, err := loadLogKey(other.platform, mine.keyPath); err == nil {
		t.Fatal("another TEE unsealed the log key")
	}

	// A worker whose sealed log key does not open starts, logs in memory.
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "worker"), 0o700)
	os.WriteFile(filepath.Join(dir, "worker", LogKeyFile), sealed, 0o600) // sealed by mine, not other
	var out syncbuf.Buffer
	cfg := DefaultConfig()
	cfg.LogDir = filepath.Join(dir, "logs")
	w, err := New(cfg, slog.New(slog.NewTextHandler(&out, nil)), other.platform, nil, nil, filepath.Join(dir, "worker"))
	if err != nil {
		t.Fatalf("a worker with a foreign log key: %v", err)
	}
	if !strings.Contains(out.String(), "memory only") || w.logs.dir != "" {
		t.Fatalf("want logs in memory only and a log line saying so:\n%s", out.String())
	}
	w.logs.add(invocation(cove.AgentID{6}, "r", "x"))
	if got := w.Logs(cove.AgentID{6}, 10); len(got) != 1 {
		t.Fatalf("memory logs: %+v", got)
	}
}

// TestLogsWrittenInBatches: records added at once by many calls of several
// agents are all on disk, in order per agent, once the book is closed (the
// writer writes them in batches, apart from the calls); a record added
// after close stays in memory and does not block.
func TestLogsWrittenInBatches(t *testing.T) {
	tee := newLogTEE(t)
	dir := t.TempDir()
	var out syncbuf.Buffer
	b := tee.book(t, dir, &out)
	agents := []cove.AgentID{{5}, {6}, {7}}
	var wg sync.WaitGroup
	for _, id := range agents {
		wg.Go(func() {
			for i := range 8 {
				b.add(invocation(id, fmt.Sprint("r", i), "batch"))
			}
		})
	}
	wg.Wait()
	if err := b.close(); err != nil {
		t.Fatal(err)
	}
	b.add(invocation(agents[0], "after close", "batch"))
	if got := logsOf(b, agents[0]); got[len(got)-1].RequestID != "after close" {
		t.Fatalf("a record added after close is not kept in memory: %+v", got[len(got)-1])
	}
	again := tee.book(t, dir, &out)
	for _, id := range agents {
		got := logsOf(again, id)
		if len(got) != 8 {
			t.Fatalf("agent %s: %d records on disk, want 8", id, len(got))
		}
		for i, e := range got {
			if e.RequestID != fmt.Sprint("r", i) {
				t.Fatalf("agent %s: record %d is %s, want r%d", id, i, e.RequestID, i)
			}
		}
	}
}

// TestInvocationJSON: the log writer's hand-written JSON is what
// encoding/json writes, to the byte, and opens to the same record.
func TestInvocationJSON(t *testing.T) {
	at := time.Date(2026, 12, 4, 3, 25, 30, 123456789, time.UTC)
	full := Invocation{
		RequestID: "e44f1642370478d9467824f9", Agent: cove.AgentID{0xab, 1}, Time: at,
		Method: "POST", Path: "/hello?name=<Ada>&x=\"1\"", Status: 201, DurationMS: 0.231,
		Fetches: 3, Error: "agent threw: \x00 \xff \u2028 ✓",
		Logs: []cove.LogLine{
			{Time: at.Add(time.Millisecond), Level: "log", Message: "hi\n\ttab"},
			{Time: at.In(time.FixedZone("x", 3600)), Level: "error", Message: "🌊 \\ \"q\""},
		},
	}
	for name, e := range map[string]Invocation{
		"full":               full,
		"empty":              {},
		"minimal":            {RequestID: "r", Agent: cove.AgentID{1}, Time: at, Method: "GET", Path: "/", Status: 200, DurationMS: 12},
		"exponent duration":  {Time: at, DurationMS: 1e-9},
		"year 10000":         {Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"log in year -1":     {Logs: []cove.LogLine{{Time: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}}},
		"NaN duration":       {DurationMS: math.NaN()},
		"zone +25:00":        {Time: at.In(time.FixedZone("far", 25*3600))},
		"log in zone -24:00": {Logs: []cove.LogLine{{Time: at.In(time.FixedZone("far", -24*3600))}}},
	} {
		want, wantErr := json.Marshal(e)
		got, err := appendInvocationJSON([]byte("x"), e)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%s: error %v, encoding/json's %v", name, err, wantErr)
		}
		if err == nil && string(got) != "x"+string(want) {
			t.Fatalf("%s:\n got %s\nwant %s", name, got[1:], want)
		}
	}
	// Sealed and opened: the same record, but for invalid UTF-8, which
	// JSON replaces (as encoding/json always did here).
	tee := newLogTEE(t)
	s, err := loadLogKey(tee.platform, tee.keyPath)
	if err != nil {
		t.Fatal(err)
	}
	line, err := s.seal(full.Agent, full)
	if err != nil {
		t.Fatal(err)
	}
	back, err := s.open(full.Agent, line)
	if err != nil {
		t.Fatal(err)
	}
	want := full
	want.Error = strings.ToValidUTF8(full.Error, "\uFFFD")
	wantJSON, _ := json.Marshal(want)
	if backJSON, _ := json.Marshal(back); string(backJSON) != string(wantJSON) {
		t.Fatalf("opened %s\nsealed %s", backJSON, wantJSON)
	}
}

// TestLogRing: an agent's kept invocations are its newest, oldest first,
// however far the ring has turned.
func TestLogRing(t *testing.T) {
	var r ring
	ids := func(l []Invocation) string {
		var s []string
		for _, e := range l {
			s = append(s, e.RequestID)
		}
		return strings.Join(s, ",")
	}
	for i := 1; i <= 8; i++ {
		r.push(Invocation{RequestID: fmt.Sprint(i)}, 3)
		want := map[int]string{1: "1", 2: "1,2", 3: "1,2,3", 4: "2,3,4", 5: "3,4,5", 6: "4,5,6", 7: "5,6,7", 8: "6,7,8"}[i]
		if got := ids(r.tail(0)); got != want {
			t.Fatalf("after %d: %s, want %s", i, got, want)
		}
	}
	for n, want := range map[int]string{1: "8", 2: "7,8", 3: "6,7,8", 4: "6,7,8", -1: "6,7,8"} {
		if got := ids(r.tail(n)); got != want {
			t.Errorf("tail(%d) = %s, want %s", n, got, want)
		}
	}
	if cap(r.buf) > 4 {
		t.Errorf("the ring grew to %d for 3 kept", cap(r.buf))
	}
}
