package validator

import (
	"context"
	"log/slog"
	"sync/atomic"

	cmtlog "github.com/cometbft/cometbft/libs/log"
)

// cometLogger sends CometBFT's logs to slog. CometBFT is chatty at info
// level (every block), so its info becomes debug here. Once stopping is
// set (the node is being stopped on purpose), its errors become debug too:
// closing its listeners and peers logs errors ("use of closed network
// connection") that mean nothing then.
type cometLogger struct {
	l        *slog.Logger
	stopping *atomic.Bool
}

func newCometLogger(l *slog.Logger, stopping *atomic.Bool) cmtlog.Logger {
	return cometLogger{l, stopping}
}

func (c cometLogger) Debug(msg string, kv ...any) {
	c.l.Log(context.Background(), slog.LevelDebug-4, msg, kv...)
}
func (c cometLogger) Info(msg string, kv ...any) { c.l.Debug(msg, kv...) }
func (c cometLogger) Error(msg string, kv ...any) {
	if c.stopping.Load() {
		c.l.Debug(msg, kv...)
		return
	}
	c.l.Warn(msg, kv...)
}
func (c cometLogger) With(kv ...any) cmtlog.Logger {
	return cometLogger{c.l.With(kv...), c.stopping}
}
