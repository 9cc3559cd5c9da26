// Package syncbuf is a byte buffer that goroutines may write and read at
// once: the sink tests give a logger, read while the code under test is
// still writing.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer guarded by a mutex. The zero value is ready.
type Buffer struct {
	// Max, when positive, bounds what is kept: once the buffer holds Max
	// bytes, later writes are dropped (reported written), keeping the
	// start, where a child process's error usually is.
	Max int

	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p (or drops it, see Max).
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.Max > 0 && b.b.Len() > b.Max {
		return len(p), nil
	}
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Tail returns at most the last n bytes written.
func (b *Buffer) Tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.b.Bytes()
	if len(p) > n {
		p = p[len(p)-n:]
	}
	return string(p)
}
