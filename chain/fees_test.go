package chain

import (
	"bytes"
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cove-network/cove"
)

var (
	dave = newKey("dave") // funded by the tests that need it
	erin = newKey("erin") // a validator operator
)

// testFees are the fees of newFeeApp: 100 per transaction, 50 for a
// Transfer, 1 per byte, 40% to the proposer's operator.
func testFees() FeeParams {
	return FeeParams{Base: "100", PerType: map[string]string{"Transfer": "50"}, PerByte: "1", ProposerPercent: 40}
}

// newFeeApp returns an App of a chain with fees, its supply record and a
// validator set of two genesis validators (no operator).
func newFeeApp(t testing.TB) *App {
	t.Helper()
	g := testGenesis()
	g.Accounts = []GenesisAccount{{Address: alice.addr, Balance: big.NewInt(1_000_000)}, {Address: bob.addr, Balance: big.NewInt(1_000_000)}}
	g.ValidatorSet = true
	g.Economics = true
	g.Validators = []Validator{{PubKey: valKey(1), Power: 10}, {PubKey: valKey(2), Power: 10}}
	g.Params.Fees = testFees()
	a := New()
	if _, err := a.InitChain(g); err != nil {
		t.Fatal(err)
	}
	return a
}

// blockBy executes txs as the next block proposed by the validator with
// consensus key pub, and commits it.
func blockBy(t testing.TB, a *App, pub []byte, txs ...[]byte) BlockResult {
	t.Helper()
	h := a.Height() + 1
	res := a.FinalizeBlock(Block{Height: h, Time: blockTime(h), Txs: txs, Proposer: ValidatorAddressOf(pub)})
	a.Commit()
	return res
}

func bal(a *App, addr cove.Address) int64 { return a.View().Account(addr).Balance.Int64() }

// checkSupply checks that the supply record's total is the sum of every
// balance and that total = genesis + minted - burned.
func checkSupply(t testing.TB, a *App, genesis int64) {
	t.Helper()
	s, _, err := a.View().Supply()
	if err != nil {
		t.Fatal(err)
	}
	sum := new(big.Int)
	for _, kv := range a.Snapshot() {
		if strings.HasPrefix(string(kv.Key), prefixAccount) {
			var acct Account
			if err := strictUnmarshal(kv.Value, &acct); err != nil {
				t.Fatal(err)
			}
			if acct.Balance.Sign() < 0 {
				t.Fatalf("negative balance %s", acct.Address)
			}
			sum.Add(sum, acct.Balance)
		}
	}
	want := new(big.Int).Add(big.NewInt(genesis), s.Minted)
	want.Sub(want, s.Burned)
	if sum.Cmp(s.Total) != 0 || s.Total.Cmp(want) != 0 {
		t.Fatalf("height %d: balances sum to %s, supply %+v, genesis + minted - burned %s", a.Height(), sum, s, want)
	}
}

func feeEvent(t testing.TB, r TxResult) Event {
	t.Helper()
	for _, e := range r.Events {
		if e.Type == EventFee {
			return e
		}
	}
	t.Fatalf("no fee event in %+v", r)
	return Event{}
}

// TestFees: a transaction pays its type's price plus its size, before its
// message runs; the proposer's operator gets its percent and the treasury
// the rest; a failed message still pays in a block, and nothing in CheckTx.
func TestFees(t *testing.T) {
	a := newFeeApp(t)
	tx := alice.tx(t, transfer(bob, 7, 0))
	fee := int64(50 + len(tx))
	if got := a.View().Fee("Transfer", len(tx)); got.Int64() != fee {
		t.Fatalf("View.Fee %s, want %d", got, fee)
	}
	if r := a.CheckTx(tx); r.Code != CodeOK {
		t.Fatalf("CheckTx: %d %s", r.Code, r.Log)
	}
	// A block whose proposer has no operator: the treasury takes it all.
	r := blockBy(t, a, valKey(1), tx).TxResults[0]
	if r.Code != CodeOK {
		t.Fatalf("transfer: %d %s", r.Code, r.Log)
	}
	if bal(a, alice.addr) != 1_000_000-7-fee || bal(a, bob.addr) != 1_000_007 || bal(a, TreasuryAddress) != fee {
		t.Fatalf("alice %d bob %d treasury %d, fee %d", bal(a, alice.addr), bal(a, bob.addr), bal(a, TreasuryAddress), fee)
	}
	if e := feeEvent(t, r); e.Attr("amount") != itoa(fee) || e.Attr("payer") != alice.addr.String() || e.Attr("treasuryAmount") != itoa(fee) || e.Attr("proposer") != "" {
		t.Errorf("fee event %+v", e)
	}
	checkSupply(t, a, 2_000_000)

	// A validator with an operator: erin gets 40% of the fees of its
	// blocks (rounded down), the treasury the rest.
	add := AddValidator{PubKey: valKey(3), Power: 1, Name: "erin's", Operator: erin.addr, Nonce: 1}
	r = blockBy(t, a, valKey(1), alice.tx(t, add)).TxResults[0]
	if r.Code != CodeOK {
		t.Fatalf("AddValidator: %d %s", r.Code, r.Log)
	}
	treasury := bal(a, TreasuryAddress)
	tx = alice.tx(t, transfer(bob, 1, 2))
	fee = int64(50 + len(tx))
	r = blockBy(t, a, valKey(3), tx).TxResults[0]
	if r.Code != CodeOK || bal(a, erin.addr) != fee*40/100 || bal(a, TreasuryAddress) != treasury+fee-fee*40/100 {
		t.Fatalf("code %d: erin %d treasury +%d, fee %d", r.Code, bal(a, erin.addr), bal(a, TreasuryAddress)-treasury, fee)
	}
	if e := feeEvent(t, r); e.Attr("proposer") != erin.addr.String() || e.Attr("proposerAmount") != itoa(fee*40/100) {
		t.Errorf("fee event %+v", e)
	}
	checkSupply(t, a, 2_000_000)

	// A message that fails after the fee: CheckTx refuses it and keeps
	// nothing; in a block the fee is paid, the nonce used, and the only
	// event is the fee.
	before := bal(a, alice.addr)
	tx = alice.tx(t, transfer(bob, before, 3)) // the balance, but not the fee too
	if r := a.CheckTx(tx); r.Code != CodeInsufficientFunds || len(r.Events) != 0 {
		t.Fatalf("CheckTx: %d %s %v", r.Code, r.Log, r.Events)
	}
	// CheckTx kept nothing: the nonce is free, and a transfer of all but
	// the fee of the same size from it passes.
	rest := alice.tx(t, transfer(bob, before-int64(50+len(tx)), 3))
	if r := a.CheckTx(rest); r.Code != CodeOK || len(rest) != len(tx) {
		t.Fatalf("CheckTx after the refusal: %d %s (sizes %d, %d)", r.Code, r.Log, len(rest), len(tx))
	}
	r = blockBy(t, a, valKey(1), tx).TxResults[0]
	fee = int64(50 + len(tx))
	if r.Code != CodeInsufficientFunds || len(r.Events) != 1 || r.Events[0].Type != EventFee {
		t.Fatalf("code %d events %v", r.Code, r.Events)
	}
	if bal(a, alice.addr) != before-fee || nonce(a, alice) != 4 {
		t.Fatalf("alice %d nonce %d, want %d and 4", bal(a, alice.addr), nonce(a, alice), before-fee)
	}
	checkSupply(t, a, 2_000_000)

	// Other types pay Base.
	tx = alice.tx(t, RotateKeys{Nonce: 4})
	before = bal(a, alice.addr)
	blockBy(t, a, valKey(1), tx)
	if bal(a, alice.addr) != before-100-int64(len(tx)) {
		t.Fatalf("RotateKeys paid %d, want %d", before-bal(a, alice.addr), 100+len(tx))
	}
}

// TestFeeRefusals: a sender who cannot pay the fee, or whose maxFee is
// under it, is refused before anything happens (CheckTx and a block), and
// the same transaction passes with one unit more (the controls).
func TestFeeRefusals(t *testing.T) {
	a := newFeeApp(t)
	tx := dave.tx(t, transfer(bob, 0, 0))
	fee := int64(50 + len(tx))
	// dave gets one unit less than the fee.
	blockBy(t, a, valKey(1), alice.tx(t, transfer(dave, fee-1, 0)))
	for _, where := range []string{"CheckTx", "block"} {
		var r TxResult
		if where == "CheckTx" {
			r = a.CheckTx(tx)
		} else {
			r = blockBy(t, a, valKey(1), tx).TxResults[0]
		}
		wantCode(t, r, CodeInsufficientFunds, "the fee of this", itoa(fee))
		if bal(a, dave.addr) != fee-1 || nonce(a, dave) != 0 {
			t.Fatalf("%s: dave %d nonce %d", where, bal(a, dave.addr), nonce(a, dave))
		}
	}
	// The control: one more unit, the same transaction passes.
	blockBy(t, a, valKey(1), alice.tx(t, transfer(dave, 1, 1)))
	if r := blockBy(t, a, valKey(1), tx).TxResults[0]; r.Code != CodeOK || bal(a, dave.addr) != 0 || nonce(a, dave) != 1 {
		t.Fatalf("control: code %d (%s) dave %d nonce %d", r.Code, r.Log, bal(a, dave.addr), nonce(a, dave))
	}

	// maxFee: three-digit values keep the transaction's size, so the fee
	// is the same for both.
	signed := func(max int64) ([]byte, int64) {
		m := transfer(bob, 1, nonce(a, alice))
		m.MaxFee = big.NewInt(max)
		tx := alice.tx(t, m)
		return tx, int64(50 + len(tx))
	}
	_, fee = signed(100)
	under, f1 := signed(fee - 1)
	exact, f2 := signed(fee)
	if f1 != fee || f2 != fee {
		t.Fatalf("fees %d %d %d differ", fee, f1, f2)
	}
	before := bal(a, alice.addr)
	if r := a.CheckTx(under); r.Code != CodeFeeAboveMax {
		t.Fatalf("CheckTx: %d %s", r.Code, r.Log)
	}
	r := blockBy(t, a, valKey(1), under).TxResults[0]
	wantCode(t, r, CodeFeeAboveMax, "maxFee "+itoa(fee-1))
	if bal(a, alice.addr) != before {
		t.Fatal("a refused maxFee paid")
	}
	if r := blockBy(t, a, valKey(1), exact).TxResults[0]; r.Code != CodeOK || bal(a, alice.addr) != before-1-fee {
		t.Fatalf("control: %d %s, paid %d", r.Code, r.Log, before-bal(a, alice.addr))
	}
	checkSupply(t, a, 2_000_000)
}

// TestFeeParams: UpdateParams sets and clears fees; invalid fee
// parameters are refused, each beside the valid ones.
func TestFeeParams(t *testing.T) {
	good := testFees()
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		edit func(*FeeParams)
		want string
	}{
		{"leading zero", func(f *FeeParams) { f.Base = "0100" }, "leading zeros"},
		{"no base", func(f *FeeParams) { f.Base = "" }, "base"},
		{"negative per byte", func(f *FeeParams) { f.PerByte = "-1" }, "per_byte"},
		{"above 10^36", func(f *FeeParams) { f.PerByte = "1" + strings.Repeat("0", 36) + "1" }, "above 10^36"},
		{"unknown type", func(f *FeeParams) { f.PerType = map[string]string{"Transfers": "1"} }, "unknown message type"},
		{"bad type price", func(f *FeeParams) { f.PerType = map[string]string{"Transfer": "x"} }, "per_type Transfer"},
		{"percent", func(f *FeeParams) { f.ProposerPercent = 101 }, "above 100"},
	} {
		f := testFees()
		f.PerType = map[string]string{"Transfer": "50"}
		c.edit(&f)
		if err := f.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// 10^36 itself is allowed.
	edge := testFees()
	edge.PerByte = "1" + strings.Repeat("0", 36)
	if err := edge.Validate(); err != nil {
		t.Errorf("10^36: %v", err)
	}

	// A chain without fees gets them by UpdateParams, from the next
	// transaction on; the JSON of params without fees has no "fees".
	a := newApp(t)
	p := a.View().Params()
	if j, _ := json.Marshal(p); bytes.Contains(j, []byte("fees")) {
		t.Fatalf("params without fees: %s", j)
	}
	p.Fees = FeeParams{Base: "3", PerByte: "0", ProposerPercent: 0}
	j, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, one(t, a, alice.tx(t, UpdateParams{Params: string(j), Nonce: 0})), CodeOK)
	before := balance(a, alice)
	r := one(t, a, alice.tx(t, transfer(bob, 1, 1)))
	if r.Code != CodeOK || balance(a, alice) != before-1-3 {
		t.Fatalf("code %d, paid %d", r.Code, before-balance(a, alice))
	}
}

// TestFeesProperty runs random blocks of transfers (some failing, some
// refused for the fee), fee changes and proposers, and checks at every
// height that the supply is the sum of the balances (no fee creates or
// loses a unit) and no balance is negative, and that a replay of the same
// blocks gives the same app hashes.
func TestFeesProperty(t *testing.T) {
	for seed := range uint64(5) {
		rng := rand.New(rand.NewPCG(seed, 42))
		keys := []testKey{alice, bob, carol, dave, erin}
		a := newFeeApp(t)
		add := AddValidator{PubKey: valKey(3), Power: 1, Operator: erin.addr, Nonce: 0}
		blocks := []Block{{Height: 1, Time: blockTime(1), Txs: [][]byte{alice.tx(t, add)}, Proposer: ValidatorAddressOf(valKey(1))}}
		nonces := map[cove.Address]uint64{alice.addr: 1}
		var hashes [][]byte
		run := func(b Block) {
			res := a.FinalizeBlock(b)
			a.Commit()
			hashes = append(hashes, res.AppHash)
			checkSupply(t, a, 2_000_000)
		}
		run(blocks[0])
		for h := int64(2); h <= 40; h++ {
			b := Block{Height: h, Time: blockTime(h), Proposer: ValidatorAddressOf(valKey(byte(1 + rng.IntN(3))))}
			for range rng.IntN(6) {
				from, to := keys[rng.IntN(len(keys))], keys[rng.IntN(len(keys))]
				m := Transfer{To: to.addr, Amount: big.NewInt(rng.Int64N(300_000)), Nonce: nonces[from.addr]}
				if rng.IntN(4) == 0 {
					m.MaxFee = big.NewInt(rng.Int64N(600))
				}
				b.Txs = append(b.Txs, from.tx(t, m))
				nonces[from.addr]++ // a refused one leaves a gap: later ones fail on the nonce
			}
			if rng.IntN(8) == 0 {
				p := a.View().Params()
				p.Fees.Base = itoa(rng.Int64N(1000))
				p.Fees.ProposerPercent = rng.Uint64N(101)
				j, _ := json.Marshal(p)
				b.Txs = append(b.Txs, alice.tx(t, UpdateParams{Params: string(j), Nonce: nonces[alice.addr]}))
				nonces[alice.addr]++
			}
			// Resynchronise the nonces with the chain after the block.
			blocks = append(blocks, b)
			run(b)
			for _, k := range keys {
				nonces[k.addr] = a.View().Account(k.addr).Nonce
			}
		}
		// Replay: a fresh App, the same blocks, the same hashes.
		r := newFeeApp(t)
		for i, b := range blocks {
			res := r.FinalizeBlock(b)
			r.Commit()
			if !bytes.Equal(res.AppHash, hashes[i]) {
				t.Fatalf("seed %d: replay of block %d: app hash %x, first run %x", seed, b.Height, res.AppHash, hashes[i])
			}
		}
	}
}

// TestFeeIgnoresPadding: the same signed transaction padded with white
// space (which the signature does not cover) pays what the canonical one
// does; the control is the canonical bytes.
func TestFeeIgnoresPadding(t *testing.T) {
	a := newFeeApp(t)
	tx := alice.tx(t, transfer(bob, 1, 0))
	padded := append([]byte("{"+strings.Repeat(" ", 50_000)), tx[1:]...)
	canonical := a.CheckTx(tx)
	if canonical.Code != CodeOK {
		t.Fatalf("control: %s", canonical.Log)
	}
	r := blockBy(t, a, valKey(1), padded).TxResults[0]
	if r.Code != CodeOK {
		t.Fatalf("padded: %s", r.Log)
	}
	if got, want := feeEvent(t, r).Attr("amount"), itoa(int64(50+len(tx))); got != want {
		t.Fatalf("the padded transaction paid %s, the canonical one pays %s", got, want)
	}
}

// TestFeesVaultOperator: a validator whose operator is a vault's address
// does not pay the vault (nothing but its pools may credit a vault: a
// payment would raise its share price behind its contributors' backs);
// the treasury takes the proposer's share instead. TestFees's erin is the
// control: the same block shape pays an ordinary operator.
func TestFeesVaultOperator(t *testing.T) {
	a := newFeeApp(t)
	add := AddValidator{PubKey: valKey(3), Power: 1, Operator: VaultAddress(1), Nonce: 0}
	for i, r := range blockBy(t, a, valKey(1), alice.tx(t, add), bob.tx(t, CreateVault{Nonce: 0})).TxResults {
		if r.Code != CodeOK {
			t.Fatalf("tx %d: %d %s", i, r.Code, r.Log)
		}
	}
	treasury := bal(a, TreasuryAddress)
	tx := alice.tx(t, transfer(bob, 1, 1))
	fee := int64(50 + len(tx))
	r := blockBy(t, a, valKey(3), tx).TxResults[0]
	if r.Code != CodeOK || bal(a, VaultAddress(1)) != 0 || bal(a, TreasuryAddress) != treasury+fee {
		t.Fatalf("code %d: the vault's address holds %d, the treasury got %d of the fee %d", r.Code, bal(a, VaultAddress(1)), bal(a, TreasuryAddress)-treasury, fee)
	}
	checkSupply(t, a, 2_000_000)
}
