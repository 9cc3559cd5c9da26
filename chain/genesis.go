package chain

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/secret"
)

// Parameter defaults and bounds.
const (
	DefaultMaxNameLength   = 64
	DefaultMaxSecretsBytes = 128 << 10
	// maxNameLengthLimit bounds Params.MaxNameLength.
	maxNameLengthLimit = 256
	// maxSecretsLimit bounds Params.MaxSecretsBytes: the hex of the
	// secrets must fit in a transaction.
	maxSecretsLimit = MaxTxBytes / 2
)

// Params are the chain parameters that governance (the admin) may change
// with UpdateParams. New fields are added with JSON tags; the chain refuses
// unknown fields, so a new field is a coordinated upgrade.
type Params struct {
	// Admin may send UpdateParams (the dev key in `cove dev`). The zero
	// address disables UpdateParams.
	Admin cove.Address `json:"admin"`
	// MaxNameLength bounds an agent's name, in bytes (1 to 256).
	MaxNameLength int `json:"max_name_length"`
	// MaxSecretsBytes bounds an agent's sealed secrets, in bytes (the
	// envelope header size to 512 KiB).
	MaxSecretsBytes int `json:"max_secrets_bytes"`
	// TEE is the attestation policy RegisterWorker checks quotes against
	// (see TEEPolicy). It is absent from the JSON while empty, and empty
	// by default: no worker can register until governance fills it.
	TEE TEEPolicy `json:"tee,omitzero"`
	// Fees are what transactions pay (see FeeParams); absent, the
	// default, no fees.
	Fees FeeParams `json:"fees,omitzero"`
	// Staking are the stake pools' parameters; absent or zero fields take
	// DefaultStaking's.
	Staking StakingParams `json:"staking,omitzero"`
	// Channels are the payment channels' parameters (zero: the
	// defaults).
	Channels ChannelParams `json:"channels,omitzero"`
}

// DefaultParams returns the default parameters with the given admin.
func DefaultParams(admin cove.Address) Params {
	return Params{
		Admin:           admin,
		MaxNameLength:   DefaultMaxNameLength,
		MaxSecretsBytes: DefaultMaxSecretsBytes,
		TEE:             TEEPolicy{ChangeDelay: DefaultTEEChangeDelay},
	}
}

// Validate checks the parameters' bounds.
func (p Params) Validate() error {
	if p.MaxNameLength < 1 || p.MaxNameLength > maxNameLengthLimit {
		return fmt.Errorf("params: max_name_length %d, want 1 to %d", p.MaxNameLength, maxNameLengthLimit)
	}
	if p.MaxSecretsBytes < secret.HeaderSize || p.MaxSecretsBytes > maxSecretsLimit {
		return fmt.Errorf("params: max_secrets_bytes %d, want %d to %d", p.MaxSecretsBytes, secret.HeaderSize, maxSecretsLimit)
	}
	if err := p.TEE.Validate(); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	if err := p.Fees.Validate(); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	if err := p.Staking.Validate(); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	if err := p.Channels.Validate(); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	return nil
}

// ParseParams decodes Params JSON strictly (no unknown or repeated fields)
// and validates it.
func ParseParams(b []byte) (Params, error) {
	var p Params
	if err := strictUnmarshal(b, &p); err != nil {
		return Params{}, fmt.Errorf("params: %v", err)
	}
	if err := p.Validate(); err != nil {
		return Params{}, err
	}
	return p, nil
}

// Genesis is the initial state of a chain. Its JSON is CometBFT's
// app_state.
type Genesis struct {
	// ChainID is the numeric chain id, the chainId of the EIP-712 domain
	// that every transaction signs. It must not be 0.
	ChainID uint64 `json:"chain_id"`
	// Time is the genesis time.
	Time time.Time `json:"genesis_time"`
	// Accounts are funded at genesis.
	Accounts []GenesisAccount `json:"accounts"`
	Params   Params           `json:"params"`
	// Development marks a development or test chain: only such a chain may
	// allow the INSECURE simulated TEE or TDX without collateral, or a TEE
	// policy change delay under MinTEEChangeDelay (TEEPolicy.CheckForChain).
	// It is fixed at genesis: no transaction changes it.
	Development bool `json:"development,omitempty"`
	// ValidatorSet makes the chain keep its validator set in state from
	// genesis (Validators), which AddValidator, RemoveValidator and
	// SetValidatorPower change. A genesis of an older build lacks it:
	// that chain keeps no set (its genesis state, and so its app hashes,
	// stay as they were) and refuses those messages.
	ValidatorSet bool `json:"validator_set,omitempty"`
	// Economics makes the chain keep its supply record (Supply) from
	// genesis, the sum of the genesis balances. A genesis of an older
	// build lacks it: that chain keeps none (its app hashes stay as they
	// were) and answers supply queries with ErrNoSupply.
	Economics bool `json:"economics,omitempty"`
	// Validators is the validator set CometBFT starts with, from its
	// genesis (the validator package fills it in at InitChain; not part
	// of the app state's JSON).
	Validators []Validator `json:"-"`
}

// GenesisAccount is an account funded at genesis. Its JSON is
// {"address":"0x…","balance":"decimal"}.
type GenesisAccount struct {
	Address cove.Address
	Balance *big.Int
}

// MarshalJSON writes the balance as a decimal string.
func (g GenesisAccount) MarshalJSON() ([]byte, error) {
	if err := checkAmount(g.Balance); err != nil {
		return nil, fmt.Errorf("genesis account %s: %w", g.Address, err)
	}
	var w objectWriter
	w.str("address", g.Address.String())
	w.raw("balance", amountJSON(g.Balance))
	return w.bytes()
}

// UnmarshalJSON reads {"address","balance"} strictly.
func (g *GenesisAccount) UnmarshalJSON(b []byte) error {
	f, err := object(b, "address", "balance")
	if err != nil {
		return err
	}
	var v GenesisAccount
	v.Address = f.address("address")
	v.Balance = f.amount("balance")
	if f.err != nil {
		return f.err
	}
	*g = v
	return nil
}

// DefaultGenesis returns a genesis for chainID with default parameters
// administered by admin, funding each address in funded with its balance
// (accounts sorted by address). Time is left zero for the caller to set:
// the chain reads no clock, and Validate refuses a zero time.
func DefaultGenesis(chainID uint64, admin cove.Address, funded map[cove.Address]*big.Int) Genesis {
	accts := make([]GenesisAccount, 0, len(funded))
	for _, addr := range slices.SortedFunc(maps.Keys(funded), func(a, b cove.Address) int { return bytes.Compare(a[:], b[:]) }) {
		accts = append(accts, GenesisAccount{Address: addr, Balance: funded[addr]})
	}
	return Genesis{
		ChainID:      chainID,
		Accounts:     accts,
		Params:       DefaultParams(admin),
		ValidatorSet: true,
		Economics:    true,
	}
}

// ParseGenesis decodes genesis JSON strictly and validates it.
func ParseGenesis(b []byte) (Genesis, error) {
	var g Genesis
	if err := strictUnmarshal(b, &g); err != nil {
		return Genesis{}, fmt.Errorf("genesis: %v", err)
	}
	if err := g.Validate(); err != nil {
		return Genesis{}, err
	}
	return g, nil
}

// Validate checks the genesis: a non-zero chain id, a time in years 1 to
// 9999, accounts with distinct non-zero addresses and positive balances
// whose total fits in a uint256, and valid parameters.
func (g Genesis) Validate() error {
	if g.ChainID == 0 {
		return errors.New("genesis: chain_id must not be 0")
	}
	if err := checkTime(g.Time); err != nil {
		return fmt.Errorf("genesis: genesis_time: %w", err)
	}
	seen := make(map[cove.Address]bool, len(g.Accounts))
	total := new(big.Int)
	for i, a := range g.Accounts {
		if a.Address.IsZero() {
			return fmt.Errorf("genesis: account %d: zero address", i)
		}
		if seen[a.Address] {
			return fmt.Errorf("genesis: account %s appears twice", a.Address)
		}
		seen[a.Address] = true
		if err := checkAmount(a.Balance); err != nil {
			return fmt.Errorf("genesis: account %s: %w", a.Address, err)
		}
		if a.Balance.Sign() == 0 {
			return fmt.Errorf("genesis: account %s: balance must be positive", a.Address)
		}
		total.Add(total, a.Balance)
	}
	if total.Cmp(maxUint256) > 0 {
		return errors.New("genesis: total balance exceeds 2^256-1")
	}
	if err := g.Params.Validate(); err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	if err := g.Params.TEE.CheckForChain(g.Development); err != nil {
		return fmt.Errorf("genesis: params: %w", err)
	}
	return nil
}

// checkTime refuses times that JSON cannot hold.
func checkTime(t time.Time) error {
	if t.IsZero() {
		return errors.New("time is not set")
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return fmt.Errorf("year %d is outside 1 to 9999", y)
	}
	return nil
}
