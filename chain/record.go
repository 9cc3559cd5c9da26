package chain

import (
	"cmp"
	"fmt"
	"math/big"
	"time"

	"github.com/cove-network/cove"
)

// Account is an account's state. Its JSON is
// {"address":"0x…","balance":"decimal","nonce":n}.
type Account struct {
	Address cove.Address
	// Balance is never nil in values this package returns.
	Balance *big.Int
	// Nonce is the nonce the account's next transaction must carry.
	Nonce uint64
}

// MarshalJSON writes the balance as a decimal string.
func (a Account) MarshalJSON() ([]byte, error) {
	if err := checkAmount(a.Balance); err != nil {
		return nil, fmt.Errorf("account %s: %w", a.Address, err)
	}
	var w objectWriter
	w.str("address", a.Address.String())
	w.raw("balance", amountJSON(a.Balance))
	w.u64("nonce", a.Nonce)
	return w.bytes()
}

// UnmarshalJSON reads {"address","balance","nonce"} strictly.
func (a *Account) UnmarshalJSON(b []byte) error {
	f, err := object(b, "address", "balance", "nonce")
	if err != nil {
		return err
	}
	var v Account
	v.Address = f.address("address")
	v.Balance = f.amount("balance")
	v.Nonce = f.u64("nonce")
	if f.err != nil {
		return f.err
	}
	*a = v
	return nil
}

func (a Account) empty() bool { return a.Nonce == 0 && a.Balance.Sign() == 0 }

// AgentRecord is a deployed agent as the chain holds it.
type AgentRecord struct {
	ID    cove.AgentID `json:"id"`
	Owner cove.Address `json:"owner"`
	Name  string       `json:"name"`
	// CID is the CIDv1 (raw, sha2-256) of the current bundle.
	CID string `json:"cid"`
	// CodeHash is the SHA-256 of the current bundle.
	CodeHash cove.Hash `json:"codeHash"`
	Salt     cove.Hash `json:"salt"`
	// Attestor signs the agent's receipts; zero until a gatekeeper
	// publishes it (SetAttestor).
	Attestor cove.Address `json:"attestor"`
	// AttestorGrant is the signature by the EVM signer of the agent's key
	// epoch of cove.AttestorGrantDigest(ID, Attestor, KeyEpoch), what EVM
	// anchors register the attestor with; empty until a gatekeeper
	// publishes it (GrantAttestor).
	AttestorGrant Bytes `json:"attestorGrant,omitempty"`
	// KeyEpoch is the key epoch the agent's keys come from: the latest at
	// deployment (0 if none existed). Its attestor and derived keys are
	// those of the cluster key of this epoch, so a rotation never changes
	// its attestor address; re-keying an agent is future work.
	KeyEpoch uint64 `json:"keyEpoch,omitempty"`
	// Version is 1 at deployment and grows by one with each upgrade.
	Version uint64 `json:"version"`
	// Secrets is the current sealed secret set (package secret), or empty.
	Secrets Bytes `json:"secrets"`
	// Isolation is "request" for an agent deployed with a fresh VM per
	// call, empty for the default (cove.IsolationAgent).
	Isolation string `json:"isolation,omitempty"`
	// Price is what one call costs, in base units, paid with a voucher
	// of a channel to the agent (SetAgentPrice); absent: calls are free.
	Price Amount `json:"price,omitzero"`
	// FreeTier is the calls of a priced agent its owner lets callers
	// make without paying (SetFreeTier); absent: none.
	FreeTier  *cove.FreeTier `json:"freeTier,omitempty"`
	CreatedAt time.Time      `json:"createdAt"`
	UpdatedAt time.Time      `json:"updatedAt"`
	// History lists every version, the current one last.
	History []AgentVersion `json:"history"`
}

// AgentVersion is one version of an agent's code.
type AgentVersion struct {
	Version  uint64    `json:"version"`
	CID      string    `json:"cid"`
	CodeHash cove.Hash `json:"codeHash"`
	// Height and Time are those of the block that made the version.
	Height int64     `json:"height"`
	Time   time.Time `json:"time"`
}

// Agent returns the record as the shared cove.Agent.
func (r AgentRecord) Agent() cove.Agent {
	return cove.Agent{
		ID:            r.ID,
		Owner:         r.Owner,
		Name:          r.Name,
		CID:           r.CID,
		CodeHash:      r.CodeHash,
		Salt:          r.Salt,
		Attestor:      r.Attestor,
		KeyEpoch:      r.KeyEpoch,
		AttestorGrant: []byte(r.AttestorGrant),
		Version:       r.Version,
		Secrets:       []byte(r.Secrets),
		Isolation:     cmp.Or(r.Isolation, cove.IsolationAgent),
		Price:         r.price(),
		FreeTier:      r.FreeTier,
		CreatedAt:     r.CreatedAt,
	}
}

// price is the agent's price, nil when calls are free.
func (r AgentRecord) price() *big.Int {
	if p := r.Price.Big(); p.Sign() > 0 {
		return p
	}
	return nil
}

// WorkerStatusActive is the status of a registered worker.
const WorkerStatusActive = "active"

// WorkerRecord is a registered worker.
type WorkerRecord struct {
	// ID is keccak256(PublicKey).
	ID       cove.Hash    `json:"id"`
	Operator cove.Address `json:"operator"`
	TEE      string       `json:"tee"`
	// Measurement is what the quote verifier reported for the quote.
	Measurement Bytes `json:"measurement"`
	// TCBStatus and Advisories are the platform's TCB status and the
	// vendor's advisories as the verifier found them at registration
	// (Attestation); none for sim, or TDX without collateral in the
	// params. They set the worker's confidence in rewards (Confidence).
	TCBStatus    string    `json:"tcbStatus,omitempty"`
	Advisories   []string  `json:"advisories,omitempty"`
	PublicKey    Bytes     `json:"publicKey"`
	Endpoint     string    `json:"endpoint"`
	Status       string    `json:"status"`
	RegisteredAt time.Time `json:"registeredAt"`
	Height       int64     `json:"height"`
}

// blockMeta is the value at meta/block.
type blockMeta struct {
	Height int64     `json:"height"`
	Time   time.Time `json:"time"`
}
