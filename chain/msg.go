package chain

import (
	"math/big"

	"github.com/cove-network/cove"
)

// EIP-712 type strings of the messages.
const (
	TransferType       = "Transfer(address to,uint256 amount,uint64 nonce)"
	DeployAgentType    = "DeployAgent(string name,string cid,bytes32 codeHash,bytes32 salt,bytes secrets,uint64 nonce)"
	UpgradeAgentType   = "UpgradeAgent(bytes32 agent,string cid,bytes32 codeHash,bytes secrets,uint64 nonce)"
	RegisterWorkerType = "RegisterWorker(string tee,bytes publicKey,string endpoint,bytes quote,uint64 nonce)"
	UpdateParamsType   = "UpdateParams(string params,uint64 nonce)"
)

var (
	transferTypeHash       = cove.Keccak256([]byte(TransferType))
	deployAgentTypeHash    = cove.Keccak256([]byte(DeployAgentType))
	upgradeAgentTypeHash   = cove.Keccak256([]byte(UpgradeAgentType))
	registerWorkerTypeHash = cove.Keccak256([]byte(RegisterWorkerType))
	updateParamsTypeHash   = cove.Keccak256([]byte(UpdateParamsType))
)

// Transfer moves Amount from the sender's balance to To.
type Transfer struct {
	To     cove.Address
	Amount *big.Int // 0 ≤ Amount < 2^256
	Nonce  uint64
}

// Type returns "Transfer".
func (Transfer) Type() string    { return "Transfer" }
func (m Transfer) nonce() uint64 { return m.Nonce }

func (m Transfer) structHash() cove.Hash {
	return cove.Keccak256(transferTypeHash[:], addressWord(m.To), bigWord(m.Amount), word(m.Nonce))
}

// MarshalJSON returns {"to","amount","nonce"} with the amount as a decimal
// string.
func (m Transfer) MarshalJSON() ([]byte, error) {
	if err := checkAmount(m.Amount); err != nil {
		return nil, err
	}
	var w objectWriter
	w.str("to", m.To.String())
	w.raw("amount", amountJSON(m.Amount))
	w.u64("nonce", m.Nonce)
	return w.bytes()
}

// UnmarshalJSON reads the message strictly (see Decode).
func (m *Transfer) UnmarshalJSON(b []byte) error {
	f, err := object(b, "to", "amount", "nonce")
	if err != nil {
		return err
	}
	var v Transfer
	v.To = f.address("to")
	v.Amount = f.amount("amount")
	v.Nonce = f.u64("nonce")
	if f.err != nil {
		return f.err
	}
	*m = v
	return nil
}

// DeployAgent deploys the agent whose bundle has the SHA-256 CodeHash and
// the CID CID. The agent id is cove.DeriveAgentID(sender, CodeHash, Salt),
// so it is known before the transaction lands.
type DeployAgent struct {
	// Name is an optional label: empty, or a letter or digit then letters,
	// digits, '.', '_' or '-', at most Params.MaxNameLength bytes.
	Name string
	// CID is the CIDv1 (raw, sha2-256) of the bundle; it must name CodeHash.
	CID      string
	CodeHash cove.Hash
	Salt     cove.Hash
	// Secrets is empty or a sealed envelope of package secret, at most
	// Params.MaxSecretsBytes.
	Secrets Bytes
	Nonce   uint64
}

// Type returns "DeployAgent".
func (DeployAgent) Type() string    { return "DeployAgent" }
func (m DeployAgent) nonce() uint64 { return m.Nonce }

func (m DeployAgent) structHash() cove.Hash {
	return cove.Keccak256(deployAgentTypeHash[:], dyn([]byte(m.Name)), dyn([]byte(m.CID)),
		m.CodeHash[:], m.Salt[:], dyn(m.Secrets), word(m.Nonce))
}

// MarshalJSON returns {"name","cid","codeHash","salt","secrets","nonce"}.
func (m DeployAgent) MarshalJSON() ([]byte, error) {
	var w objectWriter
	w.str("name", m.Name)
	w.str("cid", m.CID)
	w.str("codeHash", m.CodeHash.String())
	w.str("salt", m.Salt.String())
	w.str("secrets", m.Secrets.String())
	w.u64("nonce", m.Nonce)
	return w.bytes()
}

// UnmarshalJSON reads the message strictly (see Decode).
func (m *DeployAgent) UnmarshalJSON(b []byte) error {
	f, err := object(b, "name", "cid", "codeHash", "salt", "secrets", "nonce")
	if err != nil {
		return err
	}
	var v DeployAgent
	v.Name = f.str("name")
	v.CID = f.str("cid")
	v.CodeHash = f.hash("codeHash")
	v.Salt = f.hash("salt")
	v.Secrets = f.bytes("secrets")
	v.Nonce = f.u64("nonce")
	if f.err != nil {
		return f.err
	}
	*m = v
	return nil
}

// UpgradeAgent points the agent at new code (and, unless Secrets is empty,
// new secrets). Only the agent's owner may send it.
type UpgradeAgent struct {
	Agent    cove.AgentID
	CID      string
	CodeHash cove.Hash
	// Secrets replaces the agent's secrets; empty keeps them.
	Secrets Bytes
	Nonce   uint64
}

// Type returns "UpgradeAgent".
func (UpgradeAgent) Type() string    { return "UpgradeAgent" }
func (m UpgradeAgent) nonce() uint64 { return m.Nonce }

func (m UpgradeAgent) structHash() cove.Hash {
	return cove.Keccak256(upgradeAgentTypeHash[:], m.Agent[:], dyn([]byte(m.CID)), m.CodeHash[:],
		dyn(m.Secrets), word(m.Nonce))
}

// MarshalJSON returns {"agent","cid","codeHash","secrets","nonce"}.
func (m UpgradeAgent) MarshalJSON() ([]byte, error) {
	var w objectWriter
	w.str("agent", m.Agent.String())
	w.str("cid", m.CID)
	w.str("codeHash", m.CodeHash.String())
	w.str("secrets", m.Secrets.String())
	w.u64("nonce", m.Nonce)
	return w.bytes()
}

// UnmarshalJSON reads the message strictly (see Decode).
func (m *UpgradeAgent) UnmarshalJSON(b []byte) error {
	f, err := object(b, "agent", "cid", "codeHash", "secrets", "nonce")
	if err != nil {
		return err
	}
	var v UpgradeAgent
	v.Agent = cove.AgentID(f.hash("agent"))
	v.CID = f.str("cid")
	v.CodeHash = f.hash("codeHash")
	v.Secrets = f.bytes("secrets")
	v.Nonce = f.u64("nonce")
	if f.err != nil {
		return f.err
	}
	*m = v
	return nil
}

// RegisterWorker records a worker whose TEE quote commits to PublicKey:
// the quote's report data must be ReportData(PublicKey). The sender becomes
// the worker's operator.
type RegisterWorker struct {
	// TEE names the platform ("sim", "tdx", "sev-snp"): lowercase letters,
	// digits and '-', at most 32 bytes.
	TEE string
	// PublicKey is the worker's identity public key material, as the quote
	// commits to it; at most MaxPublicKeyBytes.
	PublicKey Bytes
	// Endpoint is the worker's http or https URL.
	Endpoint string
	// Quote is the attestation evidence; at most MaxQuoteBytes.
	Quote Bytes
	Nonce uint64
}

// Type returns "RegisterWorker".
func (RegisterWorker) Type() string    { return "RegisterWorker" }
func (m RegisterWorker) nonce() uint64 { return m.Nonce }

func (m RegisterWorker) structHash() cove.Hash {
	return cove.Keccak256(registerWorkerTypeHash[:], dyn([]byte(m.TEE)), dyn(m.PublicKey),
		dyn([]byte(m.Endpoint)), dyn(m.Quote), word(m.Nonce))
}

// MarshalJSON returns {"tee","publicKey","endpoint","quote","nonce"}.
func (m RegisterWorker) MarshalJSON() ([]byte, error) {
	var w objectWriter
	w.str("tee", m.TEE)
	w.str("publicKey", m.PublicKey.String())
	w.str("endpoint", m.Endpoint)
	w.str("quote", m.Quote.String())
	w.u64("nonce", m.Nonce)
	return w.bytes()
}

// UnmarshalJSON reads the message strictly (see Decode).
func (m *RegisterWorker) UnmarshalJSON(b []byte) error {
	f, err := object(b, "tee", "publicKey", "endpoint", "quote", "nonce")
	if err != nil {
		return err
	}
	var v RegisterWorker
	v.TEE = f.str("tee")
	v.PublicKey = f.bytes("publicKey")
	v.Endpoint = f.str("endpoint")
	v.Quote = f.bytes("quote")
	v.Nonce = f.u64("nonce")
	if f.err != nil {
		return f.err
	}
	*m = v
	return nil
}

// UpdateParams replaces the chain parameters. Only Params.Admin may send
// it.
type UpdateParams struct {
	// Params is the complete new Params as JSON (json.Marshal of a Params).
	Params string
	Nonce  uint64
}

// Type returns "UpdateParams".
func (UpdateParams) Type() string    { return "UpdateParams" }
func (m UpdateParams) nonce() uint64 { return m.Nonce }

func (m UpdateParams) structHash() cove.Hash {
	return cove.Keccak256(updateParamsTypeHash[:], dyn([]byte(m.Params)), word(m.Nonce))
}

// MarshalJSON returns {"params","nonce"}.
func (m UpdateParams) MarshalJSON() ([]byte, error) {
	var w objectWriter
	w.str("params", m.Params)
	w.u64("nonce", m.Nonce)
	return w.bytes()
}

// UnmarshalJSON reads the message strictly (see Decode).
func (m *UpdateParams) UnmarshalJSON(b []byte) error {
	f, err := object(b, "params", "nonce")
	if err != nil {
		return err
	}
	var v UpdateParams
	v.Params = f.str("params")
	v.Nonce = f.u64("nonce")
	if f.err != nil {
		return f.err
	}
	*m = v
	return nil
}
