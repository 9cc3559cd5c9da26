package worker

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/internal/atomicfile"
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

// seal returns e as one sealed line (without the newline).
func (s *logSeal) seal(id cove.AgentID, e Invocation) ([]byte, error) {
	plain, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("seal log record: %w", err)
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	rand.Read(nonce)
	ct := s.aead.Seal(nonce, nonce, plain, logAD(id))
	out := make([]byte, base64.RawURLEncoding.EncodedLen(len(ct)))
	base64.RawURLEncoding.Encode(out, ct)
	return out, nil
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
