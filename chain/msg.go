package chain

import (
	"crypto/ed25519"
	"math/big"

	"github.com/cove-network/cove"
)

// messages is the message table: one entry per transaction type, in the
// order of the documented type list. Decode, execution, the type list in
// doc.go and docs/PROTOCOL.md (checked by tests) and the errors that name
// the types all come from it. A message type is its struct below (each
// field tagged with its EIP-712 name; the codec in codec.go derives the
// type string, structHash, JSON and IdentityDigest from the fields), its
// methods, its entry here and its exec function.
var messages = newMsgTable(
	msgSpec[Transfer]{
		doc:  "moves amount base units (10^18 per COVE) from the sender to to",
		exec: execTransfer,
	},
	msgSpec[DeployAgent]{
		doc:  "deploys the agent DeriveAgentID(sender, codeHash, salt)",
		exec: execDeploy,
	},
	msgSpec[UpgradeAgent]{
		doc:  "points the sender's agent at new code, and new secrets unless empty",
		exec: execUpgrade,
	},
	msgSpec[RegisterWorker]{
		doc:   "records a worker whose TEE quote commits to publicKey, role, chain and sender",
		check: checkRegisterWorker,
		exec:  execRegisterWorker,
	},
	msgSpec[UpdateParams]{
		doc:  "the admin replaces the chain parameters",
		exec: execUpdateParams,
	},
	msgSpec[RegisterGatekeeper]{
		doc:   "records a gatekeeper whose TEE quote commits to its identity key, role, chain and sender",
		check: checkRegisterGatekeeper,
		exec:  execRegisterGatekeeper,
	},
	msgSpec[PublishEpoch]{
		doc:        "a gatekeeper publishes the cluster public key of key epoch epoch",
		gatekeeper: "publish a key epoch",
		exec:       execPublishEpoch,
	},
	msgSpec[ProvisionKey]{
		doc:        "a gatekeeper posts key material sealed to a worker or a gatekeeper",
		gatekeeper: "provision keys",
		exec:       execProvisionKey,
	},
	msgSpec[SetAttestor]{
		doc:        "a gatekeeper publishes an agent's attestor address",
		gatekeeper: "publish attestor addresses",
		exec:       execSetAttestor,
	},
	msgSpec[RotateKeys]{
		doc:  "the admin asks the gatekeepers for the next key epoch",
		exec: execRotateKeys,
	},
	msgSpec[PublishEpochSigner]{
		doc:        "a gatekeeper publishes the EVM signer address of key epoch epoch",
		gatekeeper: "publish epoch signers",
		exec:       execPublishEpochSigner,
	},
	msgSpec[GrantAttestor]{
		doc:        "a gatekeeper publishes the epoch signer's grant of an agent's attestor",
		gatekeeper: "publish attestor grants",
		exec:       execGrantAttestor,
	},
	msgSpec[AddValidator]{
		doc:  "the admin adds a validator with consensus key pubKey and voting power power",
		exec: execAddValidator,
	},
	msgSpec[RemoveValidator]{
		doc:  "the admin removes a validator",
		exec: execRemoveValidator,
	},
	msgSpec[SetValidatorPower]{
		doc:  "the admin changes a validator's voting power",
		exec: execSetValidatorPower,
	},
	msgSpec[CreatePool]{
		doc:  "creates a stake pool owned by the sender",
		exec: execCreatePool,
	},
	msgSpec[AddPoolWorker]{
		doc:  "a pool's owner adds a worker it operates to the pool",
		exec: execAddPoolWorker,
	},
	msgSpec[RemovePoolWorker]{
		doc:  "a pool's owner takes an idle worker out of the pool",
		exec: execRemovePoolWorker,
	},
	msgSpec[Contribute]{
		doc:  "puts amount of the sender's COVE in a pool for shares",
		exec: execContribute,
	},
	msgSpec[Withdraw]{
		doc:  "asks for shares of a pool back: paid from free stake, the rest queued",
		exec: execWithdraw,
	},
	msgSpec[StartComputing]{
		doc:  "a pool's owner locks stake of the pool's free stake on one of its workers",
		exec: execStartComputing,
	},
	msgSpec[StopComputing]{
		doc:  "a pool's owner stops a computing worker; its stake cools down",
		exec: execStopComputing,
	},
	msgSpec[RefreshPool]{
		doc:  "releases a pool's cooled stake, pays its withdrawal queue, applies the grace rule",
		exec: execRefreshPool,
	},
	msgSpec[Heartbeat]{
		doc:  "a computing worker answers its challenge, authorized by its TEE identity key",
		exec: execHeartbeat,
	},
	msgSpec[AllowContributor]{
		doc:  "a pool's owner puts an account on the pool's allowlist of contributors",
		exec: execAllowContributor,
	},
	msgSpec[DisallowContributor]{
		doc:  "a pool's owner takes an account off the pool's allowlist",
		exec: execDisallowContributor,
	},
	msgSpec[CreateVault]{
		doc:  "creates a vault (a pool of pools) owned by the sender",
		exec: execCreateVault,
	},
	msgSpec[ContributeVault]{
		doc:  "puts amount of the sender's COVE in a vault for vault shares",
		exec: execContributeVault,
	},
	msgSpec[WithdrawVault]{
		doc:  "asks for shares of a vault back: paid from its free COVE, the rest queued",
		exec: execWithdrawVault,
	},
	msgSpec[VaultInvest]{
		doc:  "a vault's owner contributes amount of the vault's free COVE to a pool",
		exec: execVaultInvest,
	},
	msgSpec[VaultDivest]{
		doc:  "a vault's owner withdraws shares of the vault's shares of a pool into the vault",
		exec: execVaultDivest,
	},
	msgSpec[RefreshVault]{
		doc:  "takes a vault's commission, pays its withdrawal queue, applies the grace rule",
		exec: execRefreshVault,
	},
	msgSpec[SetAgentPrice]{
		doc:  "an agent's owner sets the price of one call (0: free)",
		exec: execSetAgentPrice,
	},
	msgSpec[SetFreeTier]{
		doc:  "an agent's owner sets the calls per day callers make without paying",
		exec: execSetFreeTier,
	},
	msgSpec[OpenChannel]{
		doc:  "opens a payment channel from the sender to an agent holding deposit",
		exec: execOpenChannel,
	},
	msgSpec[Redeem]{
		doc:  "an agent's owner redeems a channel's voucher signed by its payer",
		exec: execRedeem,
	},
	msgSpec[CloseChannel]{
		doc:  "a channel's payer starts its challenge period",
		exec: execCloseChannel,
	},
	msgSpec[Settle]{
		doc:  "refunds a closed channel's unredeemed deposit to its payer after the challenge period",
		exec: execSettle,
	},
	msgSpec[SetSponsorPolicy]{
		doc:  "sets what the sender pays for as a sponsor of other accounts' transactions",
		exec: execSetSponsorPolicy,
	},
	msgSpec[SponsoredTx]{
		doc: "the sender pays for another account's signed transaction, under its sponsor policy",
		exec: func(o *overlay, sender cove.Address, m SponsoredTx, ctx execContext) ([]Event, *failure) {
			return sponsoredTx(o, sender, m, ctx) // execSponsoredTx, set at init (it runs the table's messages)
		},
	},
	msgSpec[LaunchAgentToken]{
		doc:   "an agent's owner launches the agent's token on a bonding curve",
		check: checkLaunchAgentToken,
		exec:  execLaunchAgentToken,
	},
	msgSpec[Buy]{
		doc:  "buys amount of an agent's token from its curve for at most maxCost",
		exec: execBuy,
	},
	msgSpec[Sell]{
		doc:  "sells amount of the sender's tokens back to the curve for at least minReturn",
		exec: execSell,
	},
	msgSpec[WithdrawTreasury]{
		doc:  "an agent's owner pays amount from the agent's treasury",
		exec: execWithdrawTreasury,
	},
	msgSpec[TransferAgentToDAO]{
		doc:   "an agent's owner hands the agent to its token's holders for good",
		check: checkTransferAgentToDAO,
		exec:  execTransferAgentToDAO,
	},
	msgSpec[Propose]{
		doc:  "a token holder proposes an action of an agent's DAO",
		exec: execPropose,
	},
	msgSpec[CastVote]{
		doc:  "votes yes or no with the tokens held at the proposal's snapshot",
		exec: execVote,
	},
	msgSpec[Execute]{
		doc:  "runs a passed proposal's action after its timelock",
		exec: execExecute,
	},
	msgSpec[TransferToken]{
		doc:  "moves amount of the sender's tokens of an agent to another account",
		exec: execTransferToken,
	},
	msgSpec[RedeemHashChain]{
		doc:  "an agent's owner redeems a word of a hash chain a channel's payer committed to",
		exec: execRedeemHashChain,
	},
)

// Msg is the signed content of a transaction: one of the types of the
// message table (Transfer, DeployAgent, UpgradeAgent, RegisterWorker,
// UpdateParams, RegisterGatekeeper, PublishEpoch, ProvisionKey,
// SetAttestor, RotateKeys, PublishEpochSigner, GrantAttestor, AddValidator,
// RemoveValidator, SetValidatorPower, CreatePool, AddPoolWorker,
// RemovePoolWorker, Contribute, Withdraw, StartComputing, StopComputing,
// RefreshPool, Heartbeat, AllowContributor, DisallowContributor, CreateVault,
// ContributeVault, WithdrawVault, VaultInvest, VaultDivest, RefreshVault,
// SetAgentPrice, SetFreeTier, OpenChannel, Redeem, CloseChannel, Settle,
// SetSponsorPolicy, SponsoredTx, LaunchAgentToken, Buy, Sell,
// WithdrawTreasury, TransferAgentToDAO, Propose, CastVote, Execute,
// TransferToken, RedeemHashChain). Decode returns these value types; pointers to
// them are Msgs too. Only this package implements it.
type Msg interface {
	// Type returns the EIP-712 primary type name, which is also the
	// transaction's "type" field ("Transfer", ...).
	Type() string
	// MarshalJSON returns the message object in canonical form: fields in
	// type order, no white space.
	MarshalJSON() ([]byte, error)
	isMsg()
}

// GatekeeperSigDomain opens the digest a gatekeeper's identity key signs
// to authorize a gatekeeper message (IdentitySig).
const GatekeeperSigDomain = "cove/gatekeeper-sig/v1"

// IdentitySigSize is the size of an IdentitySig: an Ed25519 signature.
const IdentitySigSize = ed25519.SignatureSize

// GatekeeperMsg is a message only a registered gatekeeper may send
// (PublishEpoch, ProvisionKey, SetAttestor, PublishEpochSigner,
// GrantAttestor). Its operator account signs
// the transaction and pays its nonce; the gatekeeper's attested identity
// key, which never leaves its TEE, authorizes it with IdentitySig over
// IdentityDigest.
type GatekeeperMsg interface {
	IdentityMsg
	// WithIdentitySig returns the message with IdentitySig set to sig.
	WithIdentitySig(sig []byte) GatekeeperMsg
}

// IdentityMsg is a message a TEE identity key authorizes: the gatekeeper
// messages (GatekeeperMsg) and a worker's Heartbeat. The sender is the
// TEE's operator account; IdentitySig is the identity key's signature of
// IdentityDigest.
type IdentityMsg interface {
	Msg
	// IdentityDigest returns the digest the identity key signs: SHA-256
	// of
	//
	//	"cove/gatekeeper-sig/v1" ‖ 0x00 ‖ type ‖ 0x00 ‖ chainID (8 bytes big-endian) ‖ fields
	//
	// where type is the message type's name ("PublishEpoch") and fields
	// are the message's fields other than identitySig and nonce, in schema
	// order: a uint64 as 8 bytes big-endian, a bytes32 as its 32 bytes, an
	// address as its 20 bytes, and bytes as a 4-byte big-endian length
	// followed by the bytes.
	//
	// (the domain names gatekeepers, which signed first; every identity
	// message uses it, and the type name in the digest keeps them apart).
	IdentityDigest(chainID uint64) [32]byte
	identitySig() Bytes
}

// Transfer moves Amount from the sender's balance to To.
type Transfer struct {
	To     cove.Address `eip712:"to"`
	Amount *big.Int     `eip712:"amount"` // 0 ≤ Amount < 2^256
	// MaxFee is the most the sender pays for the transaction (optional:
	// unset, any fee the chain asks; see Params.Fees).
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

// DeployAgent deploys the agent whose bundle has the SHA-256 CodeHash and
// the CID CID. The agent id is cove.DeriveAgentID(sender, CodeHash, Salt),
// so it is known before the transaction lands.
type DeployAgent struct {
	// Name is an optional label: empty, or a letter or digit then letters,
	// digits, '.', '_' or '-', at most Params.MaxNameLength bytes.
	Name string `eip712:"name"`
	// CID is the CIDv1 (raw, sha2-256) of the bundle; it must name CodeHash.
	CID      string    `eip712:"cid"`
	CodeHash cove.Hash `eip712:"codeHash"`
	Salt     cove.Hash `eip712:"salt"`
	// Secrets is empty or a sealed envelope of package secret, at most
	// Params.MaxSecretsBytes.
	Secrets Bytes `eip712:"secrets"`
	// Isolation is how the agent's calls are isolated from each other:
	// "agent" (or empty: the default) lets its calls share warm VMs, so its
	// module state persists between them; "request" runs every call in a
	// fresh VM (ADR 17). Fixed for the agent's life.
	// Optional (see codec.go): a DeployAgent without it is the one signed
	// before it existed.
	Isolation string `eip712:"isolation,,optional"`
	// MaxFee is the most the sender pays for the transaction (optional:
	// unset, any fee the chain asks; see Params.Fees).
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

// UpgradeAgent points the agent at new code (and, unless Secrets is empty,
// new secrets). Only the agent's owner may send it.
type UpgradeAgent struct {
	Agent    cove.AgentID `eip712:"agent"`
	CID      string       `eip712:"cid"`
	CodeHash cove.Hash    `eip712:"codeHash"`
	// Secrets replaces the agent's secrets; empty keeps them.
	Secrets Bytes `eip712:"secrets"`
	// MaxFee is the most the sender pays for the transaction (optional:
	// unset, any fee the chain asks; see Params.Fees).
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

// RegisterWorker records a worker whose TEE quote commits to PublicKey:
// the quote's report data must be ReportData(PublicKey). The sender becomes
// the worker's operator.
type RegisterWorker struct {
	// TEE names the platform ("sim", "tdx", "sev-snp"): lowercase letters,
	// digits and '-', at most 32 bytes.
	TEE string `eip712:"tee"`
	// PublicKey is the worker's identity public key material, as the quote
	// commits to it; at most MaxPublicKeyBytes.
	PublicKey Bytes `eip712:"publicKey"`
	// Endpoint is the worker's http or https URL.
	Endpoint string `eip712:"endpoint"`
	// Quote is the attestation evidence; at most MaxQuoteBytes.
	Quote Bytes `eip712:"quote"`
	// MaxFee is the most the sender pays for the transaction (optional:
	// unset, any fee the chain asks; see Params.Fees).
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

// UpdateParams replaces the chain parameters. Only Params.Admin may send
// it.
type UpdateParams struct {
	// Params is the complete new Params as JSON (json.Marshal of a Params).
	Params string `eip712:"params"`
	// MaxFee is the most the sender pays for the transaction (optional:
	// unset, any fee the chain asks; see Params.Fees).
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

// RegisterGatekeeper records a gatekeeper whose TEE quote commits to
// PublicKey, with the same rules as RegisterWorker, and PublicKey must be
// an identity public key (tee/identity: 0x01 ‖ Ed25519 ‖ HPKE). The sender
// becomes the gatekeeper's operator: the account that sends (and pays for)
// its PublishEpoch, ProvisionKey and SetAttestor transactions, which the
// gatekeeper's identity key authorizes (GatekeeperMsg).
type RegisterGatekeeper struct {
	TEE       string `eip712:"tee"`
	PublicKey Bytes  `eip712:"publicKey"`
	Endpoint  string `eip712:"endpoint"`
	Quote     Bytes  `eip712:"quote"`
	// MaxFee is the most the sender pays for the transaction (optional:
	// unset, any fee the chain asks; see Params.Fees).
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

// PublishEpoch publishes key epoch Epoch: the HPKE public key of the
// default cluster's key of that epoch, which new secrets are sealed to.
// Only the operator of a registered gatekeeper may send it, with
// IdentitySig by that gatekeeper's identity key; epoch 0 only
// while no epoch exists, epoch N+1 only while a rotation is pending and N
// is the latest.
type PublishEpoch struct {
	Epoch uint64 `eip712:"epoch"`
	// ClusterPublicKey is the serialized HPKE public key (ML-KEM-768+X25519,
	// 1216 bytes).
	ClusterPublicKey Bytes `eip712:"clusterPublicKey"`
	// IdentitySig is the gatekeeper identity key's Ed25519 signature of
	// IdentityDigest.
	IdentitySig Bytes  `eip712:"identitySig"`
	Nonce       uint64 `eip712:"nonce"`
}

// ProvisionKey posts key material sealed to a recipient's attested identity
// key: for a worker, its cluster key of epoch Epoch; for a gatekeeper, the
// master-key history of epochs 0 to Epoch. Only the operator of a
// registered gatekeeper may send it, with IdentitySig by that gatekeeper's
// identity key, once per (recipient, epoch).
type ProvisionKey struct {
	// Recipient is a registered worker's or gatekeeper's id.
	Recipient cove.Hash `eip712:"recipient"`
	Epoch     uint64    `eip712:"epoch"`
	// Sealed is HPKE-sealed to the recipient's identity key; at most
	// MaxSealedKeyBytes.
	Sealed Bytes `eip712:"sealed"`
	// IdentitySig is the gatekeeper identity key's Ed25519 signature of
	// IdentityDigest.
	IdentitySig Bytes  `eip712:"identitySig"`
	Nonce       uint64 `eip712:"nonce"`
}

// SetAttestor publishes an agent's attestor address, derived by a
// gatekeeper from the cluster key of the agent's key epoch. Only the
// operator of a registered gatekeeper may send it, with IdentitySig by that
// gatekeeper's identity key, and only while the agent's attestor is zero.
type SetAttestor struct {
	Agent    cove.AgentID `eip712:"agent"`
	Attestor cove.Address `eip712:"attestor"`
	// IdentitySig is the gatekeeper identity key's Ed25519 signature of
	// IdentityDigest.
	IdentitySig Bytes  `eip712:"identitySig"`
	Nonce       uint64 `eip712:"nonce"`
}

// RotateKeys asks the gatekeepers for a new key epoch (the latest plus
// one). Only Params.Admin may send it, and only while no rotation is
// pending and an epoch exists.
type RotateKeys struct {
	// MaxFee is the most the sender pays for the transaction (optional:
	// unset, any fee the chain asks; see Params.Fees).
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

// PublishEpochSigner publishes the EVM signer of key epoch Epoch: the
// address of keys.Cluster.EpochSigner of the epoch's default cluster key,
// whose AttestorGrant signatures EVM anchors trusting the epoch accept.
// Only the operator of a registered gatekeeper may send it, with
// IdentitySig by that gatekeeper's identity key, once per published epoch.
type PublishEpochSigner struct {
	Epoch  uint64       `eip712:"epoch"`
	Signer cove.Address `eip712:"signer"`
	// IdentitySig is the gatekeeper identity key's Ed25519 signature of
	// IdentityDigest.
	IdentitySig Bytes  `eip712:"identitySig"`
	Nonce       uint64 `eip712:"nonce"`
}

// GrantAttestor publishes Grant, the signature by the EVM signer of the
// agent's key epoch of cove.AttestorGrantDigest(agent, its attestor, its
// key epoch): what an EVM anchor's registerAttestor takes. The chain checks
// that it recovers to the epoch's published signer. Only the operator of a
// registered gatekeeper may send it, with IdentitySig by that gatekeeper's
// identity key, once per agent, after its attestor and its epoch's signer
// are published.
type GrantAttestor struct {
	Agent cove.AgentID `eip712:"agent"`
	// Grant is 65 bytes r ‖ s ‖ v (v 27 or 28, low s).
	Grant Bytes `eip712:"grant"`
	// IdentitySig is the gatekeeper identity key's Ed25519 signature of
	// IdentityDigest.
	IdentitySig Bytes  `eip712:"identitySig"`
	Nonce       uint64 `eip712:"nonce"`
}

// The methods every message has: Type returns its name; MarshalJSON and
// UnmarshalJSON are the canonical JSON and the strict decoder of the
// codec (see Decode).

func (Transfer) Type() string                    { return "Transfer" }
func (m Transfer) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *Transfer) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (Transfer) isMsg()                          {}

func (DeployAgent) Type() string                    { return "DeployAgent" }
func (m DeployAgent) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *DeployAgent) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (DeployAgent) isMsg()                          {}

func (UpgradeAgent) Type() string                    { return "UpgradeAgent" }
func (m UpgradeAgent) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *UpgradeAgent) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (UpgradeAgent) isMsg()                          {}

func (RegisterWorker) Type() string                    { return "RegisterWorker" }
func (m RegisterWorker) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *RegisterWorker) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (RegisterWorker) isMsg()                          {}

func (UpdateParams) Type() string                    { return "UpdateParams" }
func (m UpdateParams) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *UpdateParams) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (UpdateParams) isMsg()                          {}

func (RegisterGatekeeper) Type() string                    { return "RegisterGatekeeper" }
func (m RegisterGatekeeper) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *RegisterGatekeeper) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (RegisterGatekeeper) isMsg()                          {}

func (PublishEpoch) Type() string                    { return "PublishEpoch" }
func (m PublishEpoch) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *PublishEpoch) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (PublishEpoch) isMsg()                          {}

func (ProvisionKey) Type() string                    { return "ProvisionKey" }
func (m ProvisionKey) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *ProvisionKey) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (ProvisionKey) isMsg()                          {}

func (SetAttestor) Type() string                    { return "SetAttestor" }
func (m SetAttestor) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *SetAttestor) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (SetAttestor) isMsg()                          {}

func (RotateKeys) Type() string                    { return "RotateKeys" }
func (m RotateKeys) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *RotateKeys) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (RotateKeys) isMsg()                          {}

func (PublishEpochSigner) Type() string                    { return "PublishEpochSigner" }
func (m PublishEpochSigner) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *PublishEpochSigner) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (PublishEpochSigner) isMsg()                          {}

func (GrantAttestor) Type() string                    { return "GrantAttestor" }
func (m GrantAttestor) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *GrantAttestor) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (GrantAttestor) isMsg()                          {}

func (AddValidator) Type() string                    { return "AddValidator" }
func (m AddValidator) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *AddValidator) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (AddValidator) isMsg()                          {}

func (RemoveValidator) Type() string                    { return "RemoveValidator" }
func (m RemoveValidator) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *RemoveValidator) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (RemoveValidator) isMsg()                          {}

func (SetValidatorPower) Type() string                    { return "SetValidatorPower" }
func (m SetValidatorPower) MarshalJSON() ([]byte, error)  { return marshalMsg(m) }
func (m *SetValidatorPower) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (SetValidatorPower) isMsg()                          {}

// The methods of the gatekeeper messages (GatekeeperMsg): IdentityDigest
// comes from the codec, over every field but IdentitySig and Nonce.

func (m PublishEpoch) IdentityDigest(chainID uint64) [32]byte { return identityDigest(m, chainID) }
func (m PublishEpoch) WithIdentitySig(sig []byte) GatekeeperMsg {
	m.IdentitySig = sig
	return m
}
func (m PublishEpoch) identitySig() Bytes { return m.IdentitySig }

func (m ProvisionKey) IdentityDigest(chainID uint64) [32]byte { return identityDigest(m, chainID) }
func (m ProvisionKey) WithIdentitySig(sig []byte) GatekeeperMsg {
	m.IdentitySig = sig
	return m
}
func (m ProvisionKey) identitySig() Bytes { return m.IdentitySig }

func (m SetAttestor) IdentityDigest(chainID uint64) [32]byte { return identityDigest(m, chainID) }
func (m SetAttestor) WithIdentitySig(sig []byte) GatekeeperMsg {
	m.IdentitySig = sig
	return m
}
func (m SetAttestor) identitySig() Bytes { return m.IdentitySig }

func (m PublishEpochSigner) IdentityDigest(chainID uint64) [32]byte {
	return identityDigest(m, chainID)
}
func (m PublishEpochSigner) WithIdentitySig(sig []byte) GatekeeperMsg {
	m.IdentitySig = sig
	return m
}
func (m PublishEpochSigner) identitySig() Bytes { return m.IdentitySig }

func (m GrantAttestor) IdentityDigest(chainID uint64) [32]byte { return identityDigest(m, chainID) }
func (m GrantAttestor) WithIdentitySig(sig []byte) GatekeeperMsg {
	m.IdentitySig = sig
	return m
}
func (m GrantAttestor) identitySig() Bytes { return m.IdentitySig }
