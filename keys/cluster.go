package keys

import (
	"crypto/hpke"
	"fmt"
	"io"
	"log/slog"

	"github.com/cove-network/cove"
)

// Cluster is the key shared by the gatekeepers and the attested workers of
// one cluster. Secrets are sealed to its HPKE public key and every agent key
// of the cluster derives from it.
type Cluster struct{ b [32]byte }

// ClusterFromBytes restores a cluster key from exactly 32 bytes, as returned
// by [Cluster.Bytes].
func ClusterFromBytes(b []byte) (Cluster, error) {
	if len(b) != Size {
		return Cluster{}, fmt.Errorf("cluster key: got %d bytes, want %d", len(b), Size)
	}
	return Cluster{b: [32]byte(b)}, nil
}

// Bytes returns a copy of the raw cluster key.
//
// Security: only for sealing the key to an attested worker or to the TEE's
// sealing key. Anyone holding it can open every secret sealed to the cluster
// and sign as every agent of the cluster.
func (c Cluster) Bytes() []byte { return append([]byte(nil), c.b[:]...) }

// Agent derives the key of agent id: KDF(cluster, "agent", id) where id is
// the 32 raw bytes of the agent id.
func (c Cluster) Agent(id cove.AgentID) Agent {
	return Agent{b: KDF(c.b[:], labelAgent, id[:])}
}

// EpochSigner returns the EVM signer of this cluster key's epoch: the
// secp256k1 key, signerFrom(cluster, "epoch-signer"), whose address a
// gatekeeper publishes on chain (PublishEpochSigner) and whose EIP-712
// AttestorGrant signatures (cove.AttestorGrantDigest) register agents'
// attestors with EVM anchors that trust the epoch.
//
// Security: it vouches for every attestor of the epoch; keep it inside the
// TEE and sign only grants of attestors derived from this cluster key.
func (c Cluster) EpochSigner() *Signer { return signerFrom(c.b[:], labelEpochSigner) }

// HPKE returns the cluster's HPKE key pair, deterministically derived as
// hpke.MLKEM768X25519().DeriveKeyPair(KDF(cluster, "hpke", "")).
//
// Security: the private key opens every secret sealed to the cluster; keep it
// inside the TEE.
func (c Cluster) HPKE() (hpke.PrivateKey, error) {
	ikm := KDF(c.b[:], labelHPKE, nil)
	k, err := hpke.MLKEM768X25519().DeriveKeyPair(ikm[:])
	if err != nil {
		return nil, fmt.Errorf("derive cluster hpke key: %w", err)
	}
	return k, nil
}

// PublicKey returns the serialized HPKE public key of the cluster (RFC 9180
// SerializePublicKey of ML-KEM-768+X25519, 1216 bytes): what secrets are
// sealed to.
func (c Cluster) PublicKey() ([]byte, error) {
	k, err := c.HPKE()
	if err != nil {
		return nil, err
	}
	return k.PublicKey().Bytes(), nil
}

// String returns "REDACTED"; the key is never printed.
func (Cluster) String() string { return redacted }

// LogValue implements slog.LogValuer; the key is never logged.
func (Cluster) LogValue() slog.Value { return slog.StringValue(redacted) }

// Format implements fmt.Formatter so that no verb prints the key.
func (Cluster) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }
