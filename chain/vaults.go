package chain

import (
	"encoding/binary"
	"math/big"
	"slices"
	"time"

	"github.com/cove-network/cove"
)

// Vaults (issue 10, ADR 22 point 6; Phala's vaults). A vault is a pool of
// pools: contributors put COVE in for vault shares, and the vault's owner
// invests the vault's free COVE in stake pools and takes it back. The
// vault's COVE lives in an account no key controls, VaultAddress(id): its
// balance is the vault's free COVE, and its stake records in pools are the
// vault's investments, so pools treat a vault like any contributor (it
// contributes, its withdrawals queue and are paid into its balance) and
// the supply needs no new term. Nothing else may credit a vault's address:
// a Transfer to it is refused, so is a validator operator at it, and COVE
// sent to it before the vault existed goes to the treasury at CreateVault
// (otherwise a donation would inflate the share price). A vault's value is its free COVE plus
// what its pool shares are worth (SharesValue) in the pools it lists
// (VaultRecord.Pools, at most MaxVaultPools).
//
// The owner's commission is paid by dilution: when the share price rises
// above the last checkpoint (a high-water mark, so a loss recovered earns
// nothing), the owner is minted vault shares worth commission × the
// profit, and the checkpoint becomes the price after. Every vault
// transaction first refreshes the vault (refreshVault): forgets pools it
// holds no shares of, takes the commission, pays the withdrawal queue
// from free COVE, and, if the oldest request is older than the grace
// period and free COVE cannot pay it, asks its pools for the rest (a
// withdrawal in each pool's queue, which the pool's grace rule then
// enforces on its workers). Pool withdrawals paid to the vault reach its
// queue at the next refresh (RefreshVault, by anyone).

const (
	keyNextVault     = "meta/next_vault" // uint64: the next vault's id
	prefixVault      = "vault/"          // ‖ 8-byte big-endian id: VaultRecord
	prefixVaultStake = "vstake/"         // ‖ 20-byte account ‖ 8-byte vault: VaultStake
	prefixVaultAddr  = "vaddr/"          // ‖ 20-byte address: uint64 vault id
)

// MaxVaultPools bounds the pools a vault invests in (a vault's value reads
// each of them).
const MaxVaultPools = 16

// Events of vaults (the vault's contributions to and withdrawals from
// pools are the pools' events, with the vault's address as the account).
const (
	EventVaultCreated        = "vault_created"         // vault, owner, commission, address
	EventVaultContributed    = "vault_contributed"     // vault, account, amount, shares
	EventVaultWithdrawQueued = "vault_withdraw_queued" // vault, account, shares (left in the queue)
	EventVaultWithdrawn      = "vault_withdrawn"       // vault, account, shares, amount (paid)
	EventVaultCommission     = "vault_commission"      // vault, owner, shares (minted), price (fp, after)
)

// VaultRecord is a vault.
type VaultRecord struct {
	ID    uint64       `json:"id"`
	Owner cove.Address `json:"owner"`
	// Commission is the owner's part of the vault's profit, in parts per
	// million.
	Commission uint64 `json:"commission"`
	// Address holds the vault's free COVE (its balance) and its shares of
	// pools: VaultAddress(ID).
	Address cove.Address `json:"address"`
	Shares  Amount       `json:"shares"`
	// Checkpoint is the share price (fixed point, 10^18 is 1) above which
	// the owner's commission is next taken.
	Checkpoint Amount `json:"checkpoint"`
	// Pools are the pools it holds shares of, sorted.
	Pools []uint64 `json:"pools"`
	// Queue is the withdrawal queue, oldest first.
	Queue   []Withdrawal `json:"queue"`
	Created int64        `json:"created"`
}

// VaultStake is an account's shares of a vault.
type VaultStake struct {
	Vault   uint64       `json:"vault"`
	Account cove.Address `json:"account"`
	Shares  Amount       `json:"shares"`
	// LockedUntil is the first height at which the account may withdraw
	// again (as StakeRecord's).
	LockedUntil int64 `json:"lockedUntil,omitempty"`
}

// VaultAddress is the account of vault id: keccak256("cove/vault/" ‖
// 8-byte big-endian id)'s last 20 bytes. No key controls it.
func VaultAddress(id uint64) (a cove.Address) {
	h := cove.Keccak256(binary.BigEndian.AppendUint64([]byte("cove/vault/"), id))
	copy(a[:], h[12:])
	return a
}

func vaultKey(id uint64) string { return prefixVault + string(binary.BigEndian.AppendUint64(nil, id)) }

func vaultAddrKey(a cove.Address) string { return prefixVaultAddr + string(a[:]) }

// heldAddress names what holds a if it is an account no key controls
// whose balance is someone's books: a vault's address, or the channels'
// escrow (ChannelEscrowAddress). Nothing but the transactions that keep
// those books may credit it; "" for any other account.
func heldAddress(r reader, a cove.Address) string {
	if a == ChannelEscrowAddress {
		return "the payment channels' escrow"
	}
	if a == TokenReserveAddress {
		return "the agent tokens' reserve"
	}
	if _, ok := r.get(vaultAddrKey(a)); ok {
		return "a vault's address"
	}
	return ""
}

func vaultStakeKey(acct cove.Address, vault uint64) string {
	return prefixVaultStake + string(acct[:]) + string(binary.BigEndian.AppendUint64(nil, vault))
}

// checkVaultRecord returns the record type of a vault state key, or nil.
func checkVaultRecord(key string) any {
	switch {
	case key == keyNextVault:
		return new(uint64)
	case len(key) == len(prefixVault)+8 && key[:len(prefixVault)] == prefixVault:
		return new(VaultRecord)
	case len(key) == len(prefixVaultStake)+28 && key[:len(prefixVaultStake)] == prefixVaultStake:
		return new(VaultStake)
	case len(key) == len(prefixVaultAddr)+20 && key[:len(prefixVaultAddr)] == prefixVaultAddr:
		return new(uint64)
	}
	return nil
}

func getVault(r reader, id uint64) (VaultRecord, *failure) {
	var v VaultRecord
	if !getJSON(r, vaultKey(id), &v) {
		return v, fail(CodeNotFound, "vault %d does not exist (GET /v1/chain/vaults lists them)", id)
	}
	return v, nil
}

func getVaultStake(r reader, acct cove.Address, vault uint64) VaultStake {
	s := VaultStake{Vault: vault, Account: acct}
	getJSON(r, vaultStakeKey(acct, vault), &s)
	return s
}

func putVaultStake(o *overlay, s VaultStake) {
	if s.Shares.Big().Sign() == 0 {
		if _, ok := o.get(vaultStakeKey(s.Account, s.Vault)); ok {
			o.set(vaultStakeKey(s.Account, s.Vault), nil)
		}
		return
	}
	putJSON(o, vaultStakeKey(s.Account, s.Vault), s)
}

// vaultValue returns what vault v holds: its free COVE (the balance of its
// address) and its total value (free plus what its pool shares are worth).
func vaultValue(r reader, v VaultRecord) (free, value *big.Int) {
	free = getAccount(r, v.Address).Balance
	value = new(big.Int).Set(free)
	for _, id := range v.Pools {
		var p PoolRecord
		if getJSON(r, poolKey(id), &p) {
			value.Add(value, SharesValue(p, getStake(r, v.Address, id).Shares.Big()))
		}
	}
	return free, value
}

// vaultPrice is value/shares in fixed point (1 without shares).
func vaultPrice(value, shares *big.Int) *big.Int {
	if shares.Sign() == 0 {
		return new(big.Int).Set(fpOne)
	}
	p := new(big.Int).Mul(value, fpOne)
	return p.Quo(p, shares)
}

// CreateVault creates a vault owned by the sender.
type CreateVault struct {
	// Commission is the owner's part of the vault's profit, parts per
	// million.
	Commission uint64   `eip712:"commission"`
	MaxFee     *big.Int `eip712:"maxFee,,optional"`
	Nonce      uint64   `eip712:"nonce"`
}

// ContributeVault puts Amount of the sender's COVE in a vault for shares.
type ContributeVault struct {
	Vault  uint64   `eip712:"vault"`
	Amount *big.Int `eip712:"amount"`
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

// WithdrawVault asks for Shares of the sender's vault shares back in COVE:
// paid from the vault's free COVE now, the rest queued (replacing an
// earlier request of the sender).
type WithdrawVault struct {
	Vault  uint64   `eip712:"vault"`
	Shares *big.Int `eip712:"shares"`
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

// VaultInvest contributes Amount of a vault's free COVE to a pool (the
// vault's owner).
type VaultInvest struct {
	Vault  uint64   `eip712:"vault"`
	Pool   uint64   `eip712:"pool"`
	Amount *big.Int `eip712:"amount"`
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

// VaultDivest withdraws Shares of a vault's shares of a pool (the vault's
// owner): paid into the vault from the pool's free stake, the rest queued
// in the pool.
type VaultDivest struct {
	Vault  uint64   `eip712:"vault"`
	Pool   uint64   `eip712:"pool"`
	Shares *big.Int `eip712:"shares"`
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

// RefreshVault takes a vault's commission, pays its withdrawal queue and
// applies the grace rule (anyone may send it; every vault transaction
// does it first).
type RefreshVault struct {
	Vault  uint64   `eip712:"vault"`
	MaxFee *big.Int `eip712:"maxFee,,optional"`
	Nonce  uint64   `eip712:"nonce"`
}

func (CreateVault) Type() string     { return "CreateVault" }
func (ContributeVault) Type() string { return "ContributeVault" }
func (WithdrawVault) Type() string   { return "WithdrawVault" }
func (VaultInvest) Type() string     { return "VaultInvest" }
func (VaultDivest) Type() string     { return "VaultDivest" }
func (RefreshVault) Type() string    { return "RefreshVault" }

func (m CreateVault) MarshalJSON() ([]byte, error)     { return marshalMsg(m) }
func (m ContributeVault) MarshalJSON() ([]byte, error) { return marshalMsg(m) }
func (m WithdrawVault) MarshalJSON() ([]byte, error)   { return marshalMsg(m) }
func (m VaultInvest) MarshalJSON() ([]byte, error)     { return marshalMsg(m) }
func (m VaultDivest) MarshalJSON() ([]byte, error)     { return marshalMsg(m) }
func (m RefreshVault) MarshalJSON() ([]byte, error)    { return marshalMsg(m) }

func (m *CreateVault) UnmarshalJSON(b []byte) error     { return unmarshalMsg(b, m) }
func (m *ContributeVault) UnmarshalJSON(b []byte) error { return unmarshalMsg(b, m) }
func (m *WithdrawVault) UnmarshalJSON(b []byte) error   { return unmarshalMsg(b, m) }
func (m *VaultInvest) UnmarshalJSON(b []byte) error     { return unmarshalMsg(b, m) }
func (m *VaultDivest) UnmarshalJSON(b []byte) error     { return unmarshalMsg(b, m) }
func (m *RefreshVault) UnmarshalJSON(b []byte) error    { return unmarshalMsg(b, m) }

func (CreateVault) isMsg()     {}
func (ContributeVault) isMsg() {}
func (WithdrawVault) isMsg()   {}
func (VaultInvest) isMsg()     {}
func (VaultDivest) isMsg()     {}
func (RefreshVault) isMsg()    {}

func execCreateVault(o *overlay, sender cove.Address, m CreateVault, ctx execContext) ([]Event, *failure) {
	if f := keepsSupply(o); f != nil {
		return nil, f
	}
	if m.Commission > MaxCommission {
		return nil, fail(CodeInvalidArgument, "commission %d: want parts per million, 0 to %d", m.Commission, MaxCommission)
	}
	var id uint64 = 1
	getJSON(o, keyNextVault, &id)
	putJSON(o, keyNextVault, id+1)
	v := VaultRecord{ID: id, Owner: sender, Commission: m.Commission, Address: VaultAddress(id),
		Shares: AmountOf(new(big.Int)), Checkpoint: AmountOf(fpOne), Pools: []uint64{}, Queue: []Withdrawal{}, Created: ctx.height}
	putJSON(o, vaultKey(id), v)
	putJSON(o, vaultAddrKey(v.Address), id)
	evs := []Event{{Type: EventVaultCreated, Attrs: []Attr{{"vault", u64s(id)}, {"owner", sender.String()}, {"commission", u64s(m.Commission)}, {"address", v.Address.String()}}}}
	// The address is predictable before the vault exists: COVE sent to it
	// then is nobody's contribution and must not raise the first shares'
	// price (an inflation of the share price that rounds later
	// contributions down to nothing). It goes to the treasury.
	if stray := getAccount(o, v.Address); stray.Balance.Sign() > 0 {
		amount := new(big.Int).Set(stray.Balance)
		stray.Balance.SetInt64(0)
		putAccount(o, stray)
		tr := getAccount(o, TreasuryAddress)
		tr.Balance.Add(tr.Balance, amount)
		putAccount(o, tr)
		evs = append(evs, Event{Type: EventTransfer, Attrs: []Attr{{"from", v.Address.String()}, {"to", TreasuryAddress.String()}, {"amount", amount.String()}}})
	}
	return evs, nil
}

// ownedVault reads vault id, refreshed, and refuses a sender that does not
// own it.
func ownedVault(o *overlay, sender cove.Address, id uint64, what string, ctx execContext) (VaultRecord, []Event, *failure) {
	v, f := getVault(o, id)
	if f != nil {
		return v, nil, f
	}
	if v.Owner != sender {
		return v, nil, fail(CodeUnauthorized, "only vault %d's owner %s may %s", id, v.Owner, what)
	}
	v, evs := refreshVault(o, v, ctx)
	return v, evs, nil
}

func execContributeVault(o *overlay, sender cove.Address, m ContributeVault, ctx execContext) ([]Event, *failure) {
	v, f := getVault(o, m.Vault)
	if f != nil {
		return nil, f
	}
	sp := staking(o)
	min, _ := new(big.Int).SetString(sp.MinContribution, 10)
	if m.Amount.Cmp(min) < 0 {
		return nil, fail(CodeInvalidArgument, "contribution %s is under the minimum %s", m.Amount, min)
	}
	v, evs := refreshVault(o, v, ctx)
	_, value := vaultValue(o, v)
	shares := v.Shares.Big()
	if shares.Sign() > 0 && value.Sign() == 0 {
		return nil, fail(CodeInvalidArgument, "vault %d is bankrupt (its shares are worth nothing): it takes no contributions", v.ID)
	}
	from := getAccount(o, sender)
	if from.Balance.Cmp(m.Amount) < 0 {
		return nil, fail(CodeInsufficientFunds, "%s has %s after the fee, the contribution is %s", sender, from.Balance, m.Amount)
	}
	minted := sharesFor(m.Amount, shares, value)
	if minted.Sign() == 0 {
		return nil, fail(CodeInvalidArgument, "contribution %s buys no share at the vault's price (%s per share)", m.Amount, new(big.Int).Quo(value, shares))
	}
	from.Balance.Sub(from.Balance, m.Amount)
	putAccount(o, from)
	to := getAccount(o, v.Address)
	to.Balance.Add(to.Balance, m.Amount)
	putAccount(o, to)
	if shares.Sign() == 0 {
		// A new first share: the checkpoint starts at its price (COVE
		// the vault held without shares is no profit of the owner's).
		v.Checkpoint = AmountOf(vaultPrice(new(big.Int).Add(value, m.Amount), minted))
	}
	v.Shares = AmountOf(shares.Add(shares, minted))
	st := getVaultStake(o, sender, v.ID)
	st.Shares = AmountOf(new(big.Int).Add(st.Shares.Big(), minted))
	st.LockedUntil = ctx.height + int64(sp.HeartbeatBlocks+sp.HeartbeatWindow)
	putVaultStake(o, st)
	evs = append(evs, Event{Type: EventVaultContributed, Attrs: []Attr{{"vault", u64s(v.ID)}, {"account", sender.String()}, {"amount", m.Amount.String()}, {"shares", minted.String()}}})
	v, paid := payVaultQueue(o, v, sp)
	putJSON(o, vaultKey(v.ID), v)
	return append(evs, paid...), nil
}

func execWithdrawVault(o *overlay, sender cove.Address, m WithdrawVault, ctx execContext) ([]Event, *failure) {
	v, f := getVault(o, m.Vault)
	if f != nil {
		return nil, f
	}
	st := getVaultStake(o, sender, v.ID)
	if m.Shares.Sign() == 0 || m.Shares.Cmp(st.Shares.Big()) > 0 {
		return nil, fail(CodeInsufficientFunds, "%s holds %s shares of vault %d, asked to withdraw %s", sender, st.Shares, v.ID, m.Shares)
	}
	if ctx.height < st.LockedUntil {
		return nil, fail(CodeInvalidArgument, "%s's shares of vault %d are locked until block %d by its last contribution (heartbeat_blocks + heartbeat_window blocks): withdraw then", sender, v.ID, st.LockedUntil)
	}
	v, evs := refreshVault(o, v, ctx)
	st = getVaultStake(o, sender, v.ID) // the refresh may have minted the owner's commission
	sp := staking(o)
	min, _ := new(big.Int).SetString(sp.MinContribution, 10)
	if _, value := vaultValue(o, v); m.Shares.Cmp(st.Shares.Big()) != 0 && Worth(m.Shares, v.Shares.Big(), value).Cmp(min) < 0 {
		return nil, fail(CodeInvalidArgument, "%s shares of vault %d are worth %s, under the minimum %s: withdraw more, or all %s", m.Shares, v.ID, Worth(m.Shares, v.Shares.Big(), value), min, st.Shares)
	}
	v.Queue = slices.DeleteFunc(v.Queue, func(w Withdrawal) bool { return w.Account == sender })
	if len(v.Queue) >= MaxPoolQueue {
		return nil, fail(CodeInvalidArgument, "vault %d's withdrawal queue is full (%d requests)", v.ID, MaxPoolQueue)
	}
	v.Queue = append(v.Queue, Withdrawal{Account: sender, Shares: AmountOf(m.Shares), Since: ctx.time})
	v, paid := payVaultQueue(o, v, sp)
	evs = append(evs, paid...)
	for _, w := range v.Queue {
		if w.Account == sender {
			evs = append(evs, Event{Type: EventVaultWithdrawQueued, Attrs: []Attr{{"vault", u64s(v.ID)}, {"account", sender.String()}, {"shares", w.Shares.String()}}})
		}
	}
	putJSON(o, vaultKey(v.ID), v)
	return evs, nil
}

func execVaultInvest(o *overlay, sender cove.Address, m VaultInvest, ctx execContext) ([]Event, *failure) {
	v, evs, f := ownedVault(o, sender, m.Vault, "invest its COVE", ctx)
	if f != nil {
		return nil, f
	}
	if len(v.Queue) > 0 {
		return nil, fail(CodeInvalidArgument, "vault %d owes %d queued withdrawals: its free COVE pays them first", v.ID, len(v.Queue))
	}
	if !slices.Contains(v.Pools, m.Pool) && len(v.Pools) >= MaxVaultPools {
		return nil, fail(CodeInvalidArgument, "vault %d invests in %d pools, the most it may", v.ID, MaxVaultPools)
	}
	more, f := execContribute(o, v.Address, Contribute{Pool: m.Pool, Amount: m.Amount}, ctx)
	if f != nil {
		return nil, f
	}
	if !slices.Contains(v.Pools, m.Pool) {
		v.Pools = append(v.Pools, m.Pool)
		slices.Sort(v.Pools)
	}
	putJSON(o, vaultKey(v.ID), v)
	return append(evs, more...), nil
}

func execVaultDivest(o *overlay, sender cove.Address, m VaultDivest, ctx execContext) ([]Event, *failure) {
	v, evs, f := ownedVault(o, sender, m.Vault, "take its COVE out of pools", ctx)
	if f != nil {
		return nil, f
	}
	if !slices.Contains(v.Pools, m.Pool) {
		return nil, fail(CodeNotFound, "vault %d holds no shares of pool %d", v.ID, m.Pool)
	}
	// A second request would replace the vault's queued one at the back of
	// the pool's queue, restarting that pool's grace period: an owner could
	// keep the vault's contributors waiting forever by asking for a little,
	// again and again.
	if p, f := getPool(o, m.Pool); f == nil && slices.ContainsFunc(p.Queue, func(w Withdrawal) bool { return w.Account == v.Address }) {
		return nil, fail(CodeInvalidArgument, "vault %d's request waits in pool %d's queue: the pool pays it as its stake frees up (its grace period runs); divest from another pool", v.ID, m.Pool)
	}
	more, f := execWithdraw(o, v.Address, Withdraw{Pool: m.Pool, Shares: m.Shares}, ctx)
	if f != nil {
		return nil, f
	}
	evs = append(evs, more...)
	// What the pool paid is free COVE of the vault now: it pays the queue.
	v, paid := payVaultQueue(o, v, staking(o))
	putJSON(o, vaultKey(v.ID), v)
	return append(evs, paid...), nil
}

func execRefreshVault(o *overlay, sender cove.Address, m RefreshVault, ctx execContext) ([]Event, *failure) {
	v, f := getVault(o, m.Vault)
	if f != nil {
		return nil, f
	}
	v, evs := refreshVault(o, v, ctx)
	putJSON(o, vaultKey(v.ID), v)
	return evs, nil
}

// refreshVault forgets the pools v holds no shares of, takes the owner's
// commission, pays the queue, and applies the grace rule. The caller
// stores v.
func refreshVault(o *overlay, v VaultRecord, ctx execContext) (VaultRecord, []Event) {
	var evs []Event
	v.Pools = slices.DeleteFunc(v.Pools, func(id uint64) bool {
		return getStake(o, v.Address, id).Shares.Big().Sign() == 0
	})
	if v.Pools == nil {
		v.Pools = []uint64{}
	}
	if ev := takeCommission(o, &v); ev != nil {
		evs = append(evs, *ev)
	}
	sp := staking(o)
	v, paid := payVaultQueue(o, v, sp)
	evs = append(evs, paid...)
	if len(v.Queue) == 0 || ctx.time.Sub(v.Queue[0].Since) <= time.Duration(sp.GraceSeconds)*time.Second {
		return v, evs
	}
	// The oldest request waited past the grace period: ask the pools for
	// what free COVE cannot pay of it, in pool order, unless the vault's
	// request is in that pool's queue already (asking again would move it
	// to the back and restart the pool's grace period).
	free, value := vaultValue(o, v)
	owed := Worth(v.Queue[0].Shares.Big(), v.Shares.Big(), value)
	owed.Sub(owed, free)
	for _, id := range v.Pools {
		if owed.Sign() <= 0 {
			break
		}
		p, f := getPool(o, id)
		if f != nil {
			continue
		}
		held := getStake(o, v.Address, id).Shares.Big()
		if i := slices.IndexFunc(p.Queue, func(w Withdrawal) bool { return w.Account == v.Address }); i >= 0 {
			owed.Sub(owed, SharesValue(p, p.Queue[i].Shares.Big()))
			continue
		}
		// Shares worth the rest, rounded up, at most all it holds.
		want := new(big.Int).Mul(owed, p.Shares.Big())
		want.Add(want, new(big.Int).Sub(p.Value.Big(), big.NewInt(1)))
		if p.Value.Big().Sign() > 0 {
			want.Quo(want, p.Value.Big())
		}
		if want.Sign() == 0 || want.Cmp(held) > 0 {
			want = held
		}
		sub := newOverlay(o)
		more, f := execWithdraw(sub, v.Address, Withdraw{Pool: id, Shares: want}, ctx)
		if f != nil {
			continue // locked by a recent investment, or a full queue: the next refresh tries again
		}
		sub.flush(o)
		evs = append(evs, more...)
		owed.Sub(owed, SharesValue(p, want))
	}
	v, paid = payVaultQueue(o, v, sp)
	return v, append(evs, paid...)
}

// takeCommission mints the owner's commission shares when the share price
// is above the checkpoint, and moves the checkpoint up.
func takeCommission(o *overlay, v *VaultRecord) *Event {
	shares := v.Shares.Big()
	if shares.Sign() == 0 {
		return nil
	}
	_, value := vaultValue(o, *v)
	price, mark := vaultPrice(value, shares), v.Checkpoint.Big()
	if price.Cmp(mark) <= 0 {
		return nil
	}
	// fee = (price − checkpoint)·shares·commission, in COVE; the owner
	// gets shares worth fee after the dilution: fee·shares/(value − fee).
	fee := new(big.Int).Sub(price, mark)
	fee.Mul(fee, shares).Quo(fee, fpOne)
	fee.Mul(fee, new(big.Int).SetUint64(v.Commission)).Quo(fee, big.NewInt(MaxCommission))
	minted := new(big.Int)
	if rest := new(big.Int).Sub(value, fee); fee.Sign() > 0 && rest.Sign() > 0 {
		minted.Mul(fee, shares).Quo(minted, rest)
	}
	if minted.Sign() > 0 {
		shares.Add(shares, minted)
		v.Shares = AmountOf(shares)
		st := getVaultStake(o, v.Owner, v.ID)
		st.Shares = AmountOf(new(big.Int).Add(st.Shares.Big(), minted))
		putVaultStake(o, st)
	}
	v.Checkpoint = AmountOf(vaultPrice(value, shares))
	if minted.Sign() == 0 {
		return nil
	}
	return &Event{Type: EventVaultCommission, Attrs: []Attr{{"vault", u64s(v.ID)}, {"owner", v.Owner.String()}, {"shares", minted.String()}, {"price", v.Checkpoint.String()}}}
}

// payVaultQueue pays v's withdrawal queue in order from its free COVE, as
// payQueue does a pool's.
func payVaultQueue(o *overlay, v VaultRecord, sp StakingParams) (VaultRecord, []Event) {
	var evs []Event
	dust, _ := new(big.Int).SetString(sp.MinContribution, 10)
	free, value := vaultValue(o, v)
	for len(v.Queue) > 0 {
		shares := v.Shares.Big()
		if free.Sign() == 0 || shares.Sign() == 0 || value.Sign() == 0 {
			break
		}
		w := v.Queue[0]
		st := getVaultStake(o, w.Account, v.ID)
		want := w.Shares.Big()
		if held := st.Shares.Big(); want.Cmp(held) > 0 {
			want = held
		}
		now := sharesFor(free, shares, value) // what the free COVE pays for
		if now.Cmp(want) > 0 {
			now.Set(want)
		}
		amount := Worth(now, shares, value)
		if now.Sign() > 0 {
			v.Shares = AmountOf(new(big.Int).Sub(shares, now))
			st.Shares = AmountOf(new(big.Int).Sub(st.Shares.Big(), now))
			putVaultStake(o, st)
			from := getAccount(o, v.Address)
			from.Balance.Sub(from.Balance, amount)
			putAccount(o, from)
			free.Sub(free, amount)
			value.Sub(value, amount)
			to := getAccount(o, w.Account)
			to.Balance.Add(to.Balance, amount)
			putAccount(o, to)
			evs = append(evs, Event{Type: EventVaultWithdrawn, Attrs: []Attr{{"vault", u64s(v.ID)}, {"account", w.Account.String()}, {"shares", now.String()}, {"amount", amount.String()}}})
		}
		left := new(big.Int).Sub(want, now)
		if left.Sign() > 0 && Worth(left, v.Shares.Big(), value).Cmp(dust) >= 0 {
			v.Queue[0].Shares = AmountOf(left)
			break // the free COVE is spent
		}
		v.Queue = v.Queue[1:]
	}
	if v.Queue == nil {
		v.Queue = []Withdrawal{}
	}
	if v.Shares.Big().Sign() == 0 {
		v.Checkpoint = AmountOf(fpOne)
	}
	return v, evs
}
