package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"

	"github.com/cove-network/cove"
)

// EIP-712 type strings of the key-management messages.
const (
	RegisterGatekeeperType = "RegisterGatekeeper(string tee,bytes publicKey,string endpoint,bytes quote,uint64 nonce)"
	PublishEpochType       = "PublishEpoch(uint64 epoch,bytes clusterPublicKey,bytes identitySig,uint64 nonce)"
	ProvisionKeyType       = "ProvisionKey(bytes32 recipient,uint64 epoch,bytes sealed,bytes identitySig,uint64 nonce)"
	SetAttestorType        = "SetAttestor(bytes32 agent,address attestor,bytes identitySig,uint64 nonce)"
	RotateKeysType         = "RotateKeys(uint64 nonce)"
)

var (
	registerGatekeeperTypeHash = cove.Keccak256([]byte(RegisterGatekeeperType))
	publishEpochTypeHash       = cove.Keccak256([]byte(PublishEpochType))
	provisionKeyTypeHash       = cove.Keccak256([]byte(ProvisionKeyType))
	setAttestorTypeHash        = cove.Keccak256([]byte(SetAttestorType))
	rotateKeysTypeHash         = cove.Keccak256([]byte(RotateKeysType))
)

// GatekeeperSigDomain opens the digest a gatekeeper's identity key signs
// to authorize a PublishEpoch, ProvisionKey or SetAttestor (IdentitySig).
const GatekeeperSigDomain = "cove/gatekeeper-sig/v1"

// IdentitySigSize is the size of an IdentitySig: an Ed25519 signature.
const IdentitySigSize = ed25519.SignatureSize

// GatekeeperMsg is a message only a registered gatekeeper may send
// (PublishEpoch, ProvisionKey, SetAttestor). Its operator account signs
// the transaction and pays its nonce; the gatekeeper's attested identity
// key, which never leaves its TEE, authorizes it with IdentitySig over
// IdentityDigest.
type GatekeeperMsg interface {
	Msg
	// IdentityDigest returns the digest the gatekeeper's identity key
	// signs: SHA-256 of
	//
	//	"cove/gatekeeper-sig/v1" ‖ 0x00 ‖ type ‖ 0x00 ‖ chainID (8 bytes big-endian) ‖ fields
	//
	// where type is the message type's name ("PublishEpoch") and fields
	// are the message's fields other than identitySig and nonce, in schema
	// order: a uint64 as 8 bytes big-endian, a bytes32 as its 32 bytes, an
	// address as its 20 bytes, and bytes as a 4-byte big-endian length
	// followed by the bytes.
	IdentityDigest(chainID uint64) [32]byte
	// WithIdentitySig returns the message with IdentitySig set to sig.
	WithIdentitySig(sig []byte) GatekeeperMsg
	identitySig() Bytes
}

// gatekeeperDigest hashes the domain, type and chain id, then fields as
// they are (each already in its canonical form).
func gatekeeperDigest(typ string, chainID uint64, fields ...[]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(GatekeeperSigDomain))
	h.Write([]byte{0})
	h.Write([]byte(typ))
	h.Write([]byte{0})
	h.Write(binary.BigEndian.AppendUint64(nil, chainID))
	for _, f := range fields {
		h.Write(f)
	}
	var d [32]byte
	h.Sum(d[:0])
	return d
}

func sigU64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func sigBytes(b []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

// RegisterGatekeeper records a gatekeeper whose TEE quote commits to
// PublicKey, with the same rules as RegisterWorker, and PublicKey must be
// an identity public key (tee/identity: 0x01 ‖ Ed25519 ‖ HPKE). The sender
// becomes the gatekeeper's operator: the account that sends (and pays for)
// its PublishEpoch, ProvisionKey and SetAttestor transactions, which the
// gatekeeper's identity key authorizes (GatekeeperMsg).
type RegisterGatekeeper struct {
	TEE       string
	PublicKey Bytes
	Endpoint  string
	Quote     Bytes
	Nonce     uint64
}

// Type returns "RegisterGatekeeper".
func (RegisterGatekeeper) Type() string    { return "RegisterGatekeeper" }
func (m RegisterGatekeeper) nonce() uint64 { return m.Nonce }

func (m RegisterGatekeeper) structHash() cove.Hash {
	return cove.Keccak256(registerGatekeeperTypeHash[:], dyn([]byte(m.TEE)), dyn(m.PublicKey),
		dyn([]byte(m.Endpoint)), dyn(m.Quote), word(m.Nonce))
}

// MarshalJSON returns {"tee","publicKey","endpoint","quote","nonce"}.
func (m RegisterGatekeeper) MarshalJSON() ([]byte, error) {
	return RegisterWorker(m).MarshalJSON()
}

// UnmarshalJSON reads the message strictly (see Decode).
func (m *RegisterGatekeeper) UnmarshalJSON(b []byte) error {
	var v RegisterWorker
	if err := v.UnmarshalJSON(b); err != nil {
		return err
	}
	*m = RegisterGatekeeper(v)
	return nil
}

// PublishEpoch publishes key epoch Epoch: the HPKE public key of the
// default cluster's key of that epoch, which new secrets are sealed to.
// Only the operator of a registered gatekeeper may send it, with
// IdentitySig by that gatekeeper's identity key; epoch 0 only
// while no epoch exists, epoch N+1 only while a rotation is pending and N
// is the latest.
type PublishEpoch struct {
	Epoch uint64
	// ClusterPublicKey is the serialized HPKE public key (ML-KEM-768+X25519,
	// 1216 bytes).
	ClusterPublicKey Bytes
	// IdentitySig is the gatekeeper identity key's Ed25519 signature of
	// IdentityDigest.
	IdentitySig Bytes
	Nonce       uint64
}

// Type returns "PublishEpoch".
func (PublishEpoch) Type() string    { return "PublishEpoch" }
func (m PublishEpoch) nonce() uint64 { return m.Nonce }

func (m PublishEpoch) structHash() cove.Hash {
	return cove.Keccak256(publishEpochTypeHash[:], word(m.Epoch), dyn(m.ClusterPublicKey), dyn(m.IdentitySig), word(m.Nonce))
}

// IdentityDigest returns the digest IdentitySig signs (see GatekeeperMsg):
// fields are epoch ‖ len ‖ clusterPublicKey.
func (m PublishEpoch) IdentityDigest(chainID uint64) [32]byte {
	return gatekeeperDigest(m.Type(), chainID, sigU64(m.Epoch), sigBytes(m.ClusterPublicKey))
}

// WithIdentitySig returns m with IdentitySig set to sig.
func (m PublishEpoch) WithIdentitySig(sig []byte) GatekeeperMsg {
	m.IdentitySig = sig
	return m
}

func (m PublishEpoch) identitySig() Bytes { return m.IdentitySig }

// MarshalJSON returns {"epoch","clusterPublicKey","identitySig","nonce"}.
func (m PublishEpoch) MarshalJSON() ([]byte, error) {
	var w objectWriter
	w.u64("epoch", m.Epoch)
	w.str("clusterPublicKey", m.ClusterPublicKey.String())
	w.str("identitySig", m.IdentitySig.String())
	w.u64("nonce", m.Nonce)
	return w.bytes()
}

// UnmarshalJSON reads the message strictly (see Decode).
func (m *PublishEpoch) UnmarshalJSON(b []byte) error {
	f, err := object(b, "epoch", "clusterPublicKey", "identitySig", "nonce")
	if err != nil {
		return err
	}
	var v PublishEpoch
	v.Epoch = f.u64("epoch")
	v.ClusterPublicKey = f.bytes("clusterPublicKey")
	v.IdentitySig = f.bytes("identitySig")
	v.Nonce = f.u64("nonce")
	if f.err != nil {
		return f.err
	}
	*m = v
	return nil
}

// ProvisionKey posts key material sealed to a recipient's attested identity
// key: for a worker, its cluster key of epoch Epoch; for a gatekeeper, the
// master-key history of epochs 0 to Epoch. Only the operator of a
// registered gatekeeper may send it, with IdentitySig by that gatekeeper's
// identity key, once per (recipient, epoch).
type ProvisionKey struct {
	// Recipient is a registered worker's or gatekeeper's id.
	Recipient cove.Hash
	Epoch     uint64
	// Sealed is HPKE-sealed to the recipient's identity key; at most
	// MaxSealedKeyBytes.
	Sealed Bytes
	// IdentitySig is the gatekeeper identity key's Ed25519 signature of
	// IdentityDigest.
	IdentitySig Bytes
	Nonce       uint64
}

// Type returns "ProvisionKey".
func (ProvisionKey) Type() string    { return "ProvisionKey" }
func (m ProvisionKey) nonce() uint64 { return m.Nonce }

func (m ProvisionKey) structHash() cove.Hash {
	return cove.Keccak256(provisionKeyTypeHash[:], m.Recipient[:], word(m.Epoch), dyn(m.Sealed), dyn(m.IdentitySig), word(m.Nonce))
}

// IdentityDigest returns the digest IdentitySig signs (see GatekeeperMsg):
// fields are recipient ‖ epoch ‖ len ‖ sealed.
func (m ProvisionKey) IdentityDigest(chainID uint64) [32]byte {
	return gatekeeperDigest(m.Type(), chainID, m.Recipient[:], sigU64(m.Epoch), sigBytes(m.Sealed))
}

// WithIdentitySig returns m with IdentitySig set to sig.
func (m ProvisionKey) WithIdentitySig(sig []byte) GatekeeperMsg {
	m.IdentitySig = sig
	return m
}

func (m ProvisionKey) identitySig() Bytes { return m.IdentitySig }

// MarshalJSON returns {"recipient","epoch","sealed","identitySig","nonce"}.
func (m ProvisionKey) MarshalJSON() ([]byte, error) {
	var w objectWriter
	w.str("recipient", m.Recipient.String())
	w.u64("epoch", m.Epoch)
	w.str("sealed", m.Sealed.String())
	w.str("identitySig", m.IdentitySig.String())
	w.u64("nonce", m.Nonce)
	return w.bytes()
}

// UnmarshalJSON reads the message strictly (see Decode).
func (m *ProvisionKey) UnmarshalJSON(b []byte) error {
	f, err := object(b, "recipient", "epoch", "sealed", "identitySig", "nonce")
	if err != nil {
		return err
	}
	var v ProvisionKey
	v.Recipient = f.hash("recipient")
	v.Epoch = f.u64("epoch")
	v.Sealed = f.bytes("sealed")
	v.IdentitySig = f.bytes("identitySig")
	v.Nonce = f.u64("nonce")
	if f.err != nil {
		return f.err
	}
	*m = v
	return nil
}

// SetAttestor publishes an agent's attestor address, derived by a
// gatekeeper from the cluster key of the agent's key epoch. Only the
// operator of a registered gatekeeper may send it, with IdentitySig by that
// gatekeeper's identity key, and only while the agent's attestor is zero.
type SetAttestor struct {
	Agent    cove.AgentID
	Attestor cove.Address
	// IdentitySig is the gatekeeper identity key's Ed25519 signature of
	// IdentityDigest.
	IdentitySig Bytes
	Nonce       uint64
}

// Type returns "SetAttestor".
func (SetAttestor) Type() string    { return "SetAttestor" }
func (m SetAttestor) nonce() uint64 { return m.Nonce }

func (m SetAttestor) structHash() cove.Hash {
	return cove.Keccak256(setAttestorTypeHash[:], m.Agent[:], addressWord(m.Attestor), dyn(m.IdentitySig), word(m.Nonce))
}

// IdentityDigest returns the digest IdentitySig signs (see GatekeeperMsg):
// fields are agent (32 bytes) ‖ attestor (20 bytes).
func (m SetAttestor) IdentityDigest(chainID uint64) [32]byte {
	return gatekeeperDigest(m.Type(), chainID, m.Agent[:], m.Attestor[:])
}

// WithIdentitySig returns m with IdentitySig set to sig.
func (m SetAttestor) WithIdentitySig(sig []byte) GatekeeperMsg {
	m.IdentitySig = sig
	return m
}

func (m SetAttestor) identitySig() Bytes { return m.IdentitySig }

// MarshalJSON returns {"agent","attestor","identitySig","nonce"}.
func (m SetAttestor) MarshalJSON() ([]byte, error) {
	var w objectWriter
	w.str("agent", m.Agent.String())
	w.str("attestor", m.Attestor.String())
	w.str("identitySig", m.IdentitySig.String())
	w.u64("nonce", m.Nonce)
	return w.bytes()
}

// UnmarshalJSON reads the message strictly (see Decode).
func (m *SetAttestor) UnmarshalJSON(b []byte) error {
	f, err := object(b, "agent", "attestor", "identitySig", "nonce")
	if err != nil {
		return err
	}
	var v SetAttestor
	v.Agent = cove.AgentID(f.hash("agent"))
	v.Attestor = f.address("attestor")
	v.IdentitySig = f.bytes("identitySig")
	v.Nonce = f.u64("nonce")
	if f.err != nil {
		return f.err
	}
	*m = v
	return nil
}

// RotateKeys asks the gatekeepers for a new key epoch (the latest plus
// one). Only Params.Admin may send it, and only while no rotation is
// pending and an epoch exists.
type RotateKeys struct {
	Nonce uint64
}

// Type returns "RotateKeys".
func (RotateKeys) Type() string    { return "RotateKeys" }
func (m RotateKeys) nonce() uint64 { return m.Nonce }

func (m RotateKeys) structHash() cove.Hash {
	return cove.Keccak256(rotateKeysTypeHash[:], word(m.Nonce))
}

// MarshalJSON returns {"nonce"}.
func (m RotateKeys) MarshalJSON() ([]byte, error) {
	var w objectWriter
	w.u64("nonce", m.Nonce)
	return w.bytes()
}

// UnmarshalJSON reads the message strictly (see Decode).
func (m *RotateKeys) UnmarshalJSON(b []byte) error {
	f, err := object(b, "nonce")
	if err != nil {
		return err
	}
	var v RotateKeys
	v.Nonce = f.u64("nonce")
	if f.err != nil {
		return f.err
	}
	*m = v
	return nil
}
