package chain

import (
	"github.com/cove-network/cove"
)

// EIP-712 type strings of the key-management messages.
const (
	RegisterGatekeeperType = "RegisterGatekeeper(string tee,bytes publicKey,string endpoint,bytes quote,uint64 nonce)"
	PublishEpochType       = "PublishEpoch(uint64 epoch,bytes clusterPublicKey,uint64 nonce)"
	ProvisionKeyType       = "ProvisionKey(bytes32 recipient,uint64 epoch,bytes sealed,uint64 nonce)"
	SetAttestorType        = "SetAttestor(bytes32 agent,address attestor,uint64 nonce)"
	RotateKeysType         = "RotateKeys(uint64 nonce)"
)

var (
	registerGatekeeperTypeHash = cove.Keccak256([]byte(RegisterGatekeeperType))
	publishEpochTypeHash       = cove.Keccak256([]byte(PublishEpochType))
	provisionKeyTypeHash       = cove.Keccak256([]byte(ProvisionKeyType))
	setAttestorTypeHash        = cove.Keccak256([]byte(SetAttestorType))
	rotateKeysTypeHash         = cove.Keccak256([]byte(RotateKeysType))
)

// RegisterGatekeeper records a gatekeeper whose TEE quote commits to
// PublicKey, with the same rules as RegisterWorker. The sender becomes the
// gatekeeper's operator: the account that sends its PublishEpoch,
// ProvisionKey and SetAttestor transactions.
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
// Only the operator of a registered gatekeeper may send it; epoch 0 only
// while no epoch exists, epoch N+1 only while a rotation is pending and N
// is the latest.
type PublishEpoch struct {
	Epoch uint64
	// ClusterPublicKey is the serialized HPKE public key (ML-KEM-768+X25519,
	// 1216 bytes).
	ClusterPublicKey Bytes
	Nonce            uint64
}

// Type returns "PublishEpoch".
func (PublishEpoch) Type() string    { return "PublishEpoch" }
func (m PublishEpoch) nonce() uint64 { return m.Nonce }

func (m PublishEpoch) structHash() cove.Hash {
	return cove.Keccak256(publishEpochTypeHash[:], word(m.Epoch), dyn(m.ClusterPublicKey), word(m.Nonce))
}

// MarshalJSON returns {"epoch","clusterPublicKey","nonce"}.
func (m PublishEpoch) MarshalJSON() ([]byte, error) {
	var w objectWriter
	w.u64("epoch", m.Epoch)
	w.str("clusterPublicKey", m.ClusterPublicKey.String())
	w.u64("nonce", m.Nonce)
	return w.bytes()
}

// UnmarshalJSON reads the message strictly (see Decode).
func (m *PublishEpoch) UnmarshalJSON(b []byte) error {
	f, err := object(b, "epoch", "clusterPublicKey", "nonce")
	if err != nil {
		return err
	}
	var v PublishEpoch
	v.Epoch = f.u64("epoch")
	v.ClusterPublicKey = f.bytes("clusterPublicKey")
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
// registered gatekeeper may send it, once per (recipient, epoch).
type ProvisionKey struct {
	// Recipient is a registered worker's or gatekeeper's id.
	Recipient cove.Hash
	Epoch     uint64
	// Sealed is HPKE-sealed to the recipient's identity key; at most
	// MaxSealedKeyBytes.
	Sealed Bytes
	Nonce  uint64
}

// Type returns "ProvisionKey".
func (ProvisionKey) Type() string    { return "ProvisionKey" }
func (m ProvisionKey) nonce() uint64 { return m.Nonce }

func (m ProvisionKey) structHash() cove.Hash {
	return cove.Keccak256(provisionKeyTypeHash[:], m.Recipient[:], word(m.Epoch), dyn(m.Sealed), word(m.Nonce))
}

// MarshalJSON returns {"recipient","epoch","sealed","nonce"}.
func (m ProvisionKey) MarshalJSON() ([]byte, error) {
	var w objectWriter
	w.str("recipient", m.Recipient.String())
	w.u64("epoch", m.Epoch)
	w.str("sealed", m.Sealed.String())
	w.u64("nonce", m.Nonce)
	return w.bytes()
}

// UnmarshalJSON reads the message strictly (see Decode).
func (m *ProvisionKey) UnmarshalJSON(b []byte) error {
	f, err := object(b, "recipient", "epoch", "sealed", "nonce")
	if err != nil {
		return err
	}
	var v ProvisionKey
	v.Recipient = f.hash("recipient")
	v.Epoch = f.u64("epoch")
	v.Sealed = f.bytes("sealed")
	v.Nonce = f.u64("nonce")
	if f.err != nil {
		return f.err
	}
	*m = v
	return nil
}

// SetAttestor publishes an agent's attestor address, derived by a
// gatekeeper from the cluster key of the agent's key epoch. Only the
// operator of a registered gatekeeper may send it, and only while the
// agent's attestor is zero.
type SetAttestor struct {
	Agent    cove.AgentID
	Attestor cove.Address
	Nonce    uint64
}

// Type returns "SetAttestor".
func (SetAttestor) Type() string    { return "SetAttestor" }
func (m SetAttestor) nonce() uint64 { return m.Nonce }

func (m SetAttestor) structHash() cove.Hash {
	return cove.Keccak256(setAttestorTypeHash[:], m.Agent[:], addressWord(m.Attestor), word(m.Nonce))
}

// MarshalJSON returns {"agent","attestor","nonce"}.
func (m SetAttestor) MarshalJSON() ([]byte, error) {
	var w objectWriter
	w.str("agent", m.Agent.String())
	w.str("attestor", m.Attestor.String())
	w.u64("nonce", m.Nonce)
	return w.bytes()
}

// UnmarshalJSON reads the message strictly (see Decode).
func (m *SetAttestor) UnmarshalJSON(b []byte) error {
	f, err := object(b, "agent", "attestor", "nonce")
	if err != nil {
		return err
	}
	var v SetAttestor
	v.Agent = cove.AgentID(f.hash("agent"))
	v.Attestor = f.address("attestor")
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
