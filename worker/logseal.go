package worker

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/internal/atomicfile"
	"github.com/cove-network/cove/internal/jsonw"
)

// LogKeyFile is the worker's invocation-log key, sealed by its TEE, in the
// directory New gets (next to IdentityFile).
const LogKeyFile = "logs.key.sealed"

// logKeySealLabel binds the sealed log key to its purpose.
const logKeySealLabel = "worker/logs-key/v1"

// logRecordAD is the start of every log record's associated data; the
// agent id follows.
const logRecordAD = "cove/worker-logs/v1\x00"

// logSeal seals invocation-log records with the worker's log key:
// XChaCha20-Poly1305, a random 24-byte nonce per record, the associated
// data binding the record to its agent. A record on disk is one line:
// base64url (no padding) of nonce ‖ ciphertext of the Invocation JSON.
//
// Security: the log key is 32 random bytes made in the worker's TEE and
// kept on disk only sealed by it (LogKeyFile), like the identity, so only
// this worker's TEE reads its logs; the host operator sees how many
// records there are, their sizes and times, not their content. The key is
// its own: not derived from the identity keys (which sign and open
// provisions and never leave the identity) nor from a cluster key (which
// every worker of the cluster holds, and which derives agents' keys). The
// host can still delete, truncate or roll back a file, or replay an old
// record of the same agent: logs are confidential, not complete.
type logSeal struct {
	aead cipher.AEAD
}

// loadLogKey unseals the log key at path with s, or, when there is none,
// makes one and stores it sealed there.
func loadLogKey(s Sealer, path string) (*logSeal, error) {
	key, err := atomicfile.LoadOrSeal(s, logKeySealLabel, path, func() ([]byte, error) {
		k := make([]byte, chacha20poly1305.KeySize)
		rand.Read(k)
		return k, nil
	})
	if err != nil {
		return nil, fmt.Errorf("load log key: %w", err)
	}
	if len(key) != chacha20poly1305.KeySize {
		return nil, fmt.Errorf("load log key %s: %d bytes, want %d", path, len(key), chacha20poly1305.KeySize)
	}
	defer clear(key)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("load log key: %w", err)
	}
	return &logSeal{aead: aead}, nil
}

func logAD(id cove.AgentID) []byte { return append([]byte(logRecordAD), id[:]...) }

// appendSealed appends e, sealed, to dst as one line (without the
// newline), with ad (logAD of its agent) as associated data. *scratch is
// the buffer the record is sealed in, kept for the caller's next record.
func (s *logSeal) appendSealed(dst []byte, scratch *[]byte, ad []byte, e Invocation) ([]byte, error) {
	// The nonce first, then the record's JSON, sealed in place after it.
	ns := s.aead.NonceSize()
	buf := append((*scratch)[:0], make([]byte, ns)...)
	buf, err := appendInvocationJSON(buf, e)
	if err != nil {
		return dst, fmt.Errorf("seal log record: %w", err)
	}
	nonce, plain := buf[:ns], buf[ns:]
	rand.Read(nonce)
	sealed := s.aead.Seal(buf[:ns], nonce, plain, ad)
	*scratch = sealed
	n := base64.RawURLEncoding.EncodedLen(len(sealed))
	dst = slices.Grow(dst, n)
	base64.RawURLEncoding.Encode(dst[len(dst):len(dst)+n], sealed)
	return dst[:len(dst)+n], nil
}

// appendInvocationJSON appends e as encoding/json.Marshal writes it, to
// the byte, without reflection: the log writer's hot path (the tests hold
// it to Marshal). A value Marshal would write otherwise than here, or
// refuse (a duration in exponent form, NaN, a time outside years 0-9999
// or with a zone 24 hours or more off UTC), goes through Marshal.
func appendInvocationJSON(b []byte, e Invocation) ([]byte, error) {
	start := len(b)
	slow := func() ([]byte, error) {
		j, err := json.Marshal(e)
		return append(b[:start], j...), err
	}
	b = append(b, `{"requestId":`...)
	b = jsonw.AppendString(b, e.RequestID)
	b = append(b, `,"agent":"`...)
	b, _ = e.Agent.AppendText(b)
	b = append(b, `","time":`...)
	var ok bool
	if b, ok = appendJSONTime(b, e.Time); !ok {
		return slow()
	}
	b = append(b, `,"method":`...)
	b = jsonw.AppendString(b, e.Method)
	b = append(b, `,"path":`...)
	b = jsonw.AppendString(b, e.Path)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = append(b, `,"durationMs":`...)
	if b, ok = jsonw.AppendFloat(b, e.DurationMS); !ok {
		return slow()
	}
	if e.Fetches != 0 {
		b = append(b, `,"fetches":`...)
		b = strconv.AppendInt(b, int64(e.Fetches), 10)
	}
	if len(e.Logs) > 0 {
		b = append(b, `,"logs":[`...)
		for i, l := range e.Logs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"time":`...)
			if b, ok = appendJSONTime(b, l.Time); !ok {
				return slow()
			}
			b = append(b, `,"level":`...)
			b = jsonw.AppendString(b, l.Level)
			b = append(b, `,"message":`...)
			b = jsonw.AppendString(b, l.Message)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if e.Error != "" {
		b = append(b, `,"error":`...)
		b = jsonw.AppendString(b, e.Error)
	}
	return append(b, '}'), nil
}

// appendJSONTime appends t as time.Time's MarshalJSON writes it, and
// reports false, writing nothing, where MarshalJSON refuses t: a year
// outside 0-9999, or a zone offset of 24 hours or more (which
// AppendFormat would write, and no parser would read back).
func appendJSONTime(b []byte, t time.Time) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return b, false
	}
	if _, off := t.Zone(); off <= -24*60*60 || off >= 24*60*60 {
		return b, false
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), true
}

// errLogRecord is a log line that does not open.
var errLogRecord = errors.New("log record does not open")

// open opens one sealed line of agent id's log.
func (s *logSeal) open(id cove.AgentID, line []byte) (Invocation, error) {
	ct := make([]byte, base64.RawURLEncoding.DecodedLen(len(line)))
	n, err := base64.RawURLEncoding.Decode(ct, line)
	if err != nil || n < s.aead.NonceSize()+s.aead.Overhead() {
		return Invocation{}, errLogRecord
	}
	ct = ct[:n]
	plain, err := s.aead.Open(nil, ct[:s.aead.NonceSize()], ct[s.aead.NonceSize():], logAD(id))
	if err != nil {
		return Invocation{}, errLogRecord
	}
	var e Invocation
	if err := json.Unmarshal(plain, &e); err != nil || e.Agent != id {
		return Invocation{}, errLogRecord
	}
	return e, nil
}
