// Package keys derives every Cove key from the master key: the derivation
// path of the design's trust model.
//
//	master  (32 random bytes, made inside a gatekeeper TEE)
//	└─ cluster = KDF(master, "cluster", clusterID)
//	   ├─ HPKE key pair (ML-KEM-768+X25519) from KDF(cluster, "hpke", "")
//	   └─ agent = KDF(cluster, "agent", agentID)
//	      ├─ attestor: secp256k1 key that signs receipts (see [Agent.Attestor])
//	      └─ derived secrets: KDF(agent, "derive", path) (cove.deriveKey in JS)
//
// The derivation is a wire and state format: sealed data on the chain and
// attestor addresses pinned by contracts depend on it, so every step is
// specified exactly and checked against testdata/vectors.json.
//
// The secret types ([Master], [Cluster], [Agent], [Attestor]) never print
// their bytes: String, fmt verbs and slog all give "REDACTED".
package keys

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Size is the length in bytes of master, cluster and agent keys and of every
// KDF output.
const Size = 32

// kdfPrefix starts the HKDF info of every derivation; the version lets a
// future derivation change without colliding with this one.
const kdfPrefix = "cove/v1/"

// Labels of the derivation steps. A label never contains a NUL byte.
const (
	labelCluster     = "cluster"
	labelAgent       = "agent"
	labelHPKE        = "hpke"
	labelDerive      = "derive"
	labelAttestor    = "attestor"
	labelEpochSigner = "epoch-signer"
)

// redacted is what every secret type prints instead of its bytes.
const redacted = "REDACTED"

// KDF derives 32 bytes from key for one labelled purpose:
//
//	HKDF-SHA256(IKM = key, salt = none, info = "cove/v1/" ‖ label ‖ 0x00 ‖ data, L = 32)
//
// as in RFC 5869, where "salt = none" means RFC 5869's default salt of 32
// zero bytes, label is ASCII and data is raw bytes (possibly empty). The NUL
// byte ends the label, so distinct (label, data) pairs always give distinct
// info strings; KDF panics if label contains a NUL byte, which is a
// programming error.
//
// Security: this is a wire and state format. Other implementations must
// reproduce it bit for bit; changing it changes every cluster, agent and
// attestor key.
func KDF(key []byte, label string, data []byte) [32]byte {
	if strings.IndexByte(label, 0) >= 0 {
		panic("keys: KDF label contains a NUL byte")
	}
	info := kdfPrefix + label + "\x00" + string(data)
	out, err := hkdf.Key(sha256.New, key, nil, info, Size)
	if err != nil {
		// hkdf.Key only fails for oversized outputs or, in FIPS 140-only
		// mode, keys shorter than 112 bits; callers pass 32-byte keys.
		panic("keys: hkdf: " + err.Error())
	}
	return [32]byte(out)
}

// ClusterID names a cluster of workers that share a cluster key.
type ClusterID string

// DefaultCluster is the cluster of a development network.
const DefaultCluster ClusterID = "default"

// Master is the root key of a Cove network: 32 random bytes made inside the
// first gatekeeper's TEE. The zero Master is not a usable key.
type Master struct{ b [32]byte }

// NewMaster reads a fresh master key from rand (crypto/rand.Reader in
// production).
//
// Security: rand must be a cryptographically secure source; the master key
// protects every cluster, agent and sealed secret of the network.
func NewMaster(rand io.Reader) (Master, error) {
	var m Master
	if _, err := io.ReadFull(rand, m.b[:]); err != nil {
		return Master{}, fmt.Errorf("read master key: %w", err)
	}
	return m, nil
}

// MasterFromBytes restores a master key from exactly 32 bytes, as returned
// by [Master.Bytes].
func MasterFromBytes(b []byte) (Master, error) {
	if len(b) != Size {
		return Master{}, fmt.Errorf("master key: got %d bytes, want %d", len(b), Size)
	}
	return Master{b: [32]byte(b)}, nil
}

// Bytes returns a copy of the raw master key.
//
// Security: only for sealing the key to a TEE (its sealing key or an attested
// peer gatekeeper). The master key must never leave a TEE in plaintext, be
// logged or be written to disk unsealed.
func (m Master) Bytes() []byte { return append([]byte(nil), m.b[:]...) }

// Cluster derives the key of cluster id: KDF(master, "cluster", id).
func (m Master) Cluster(id ClusterID) Cluster {
	return Cluster{b: KDF(m.b[:], labelCluster, []byte(id))}
}

// String returns "REDACTED"; the key is never printed.
func (Master) String() string { return redacted }

// LogValue implements slog.LogValuer; the key is never logged.
func (Master) LogValue() slog.Value { return slog.StringValue(redacted) }

// Format implements fmt.Formatter so that no verb (%x, %d, %#v...) prints
// the key.
func (Master) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }
