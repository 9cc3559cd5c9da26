package chain

import (
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/ethsig"
)

// checkChannels checks the channels' books: the escrow holds exactly the
// sum of every channel's unredeemed deposit, no channel has redeemed more
// than its deposit, and each channel is in its payer's index (and the
// index names no other).
func checkChannels(t testing.TB, a *App) {
	t.Helper()
	sum := new(big.Int)
	records, indexed := 0, 0
	for _, kv := range a.Snapshot() {
		switch r := checkChannelRecord(string(kv.Key)).(type) {
		case *ChannelRecord:
			mustDecode(t, kv.Value, r)
			if r.Left().Sign() < 0 {
				t.Fatalf("channel %d redeemed %s of %s", r.ID, r.Redeemed, r.Deposit)
			}
			if _, ok := a.state[payerChannelKey(r.Payer, r.ID)]; !ok {
				t.Fatalf("channel %d is not in its payer's index", r.ID)
			}
			sum.Add(sum, r.Left())
			records++
		case *uint64:
			if string(kv.Key) != keyNextChannel {
				indexed++
			}
		}
	}
	if indexed != records {
		t.Fatalf("%d channels, %d index entries", records, indexed)
	}
	if got := a.View().Account(ChannelEscrowAddress).Balance; got.Cmp(sum) != 0 {
		t.Fatalf("the escrow holds %s, the channels %s", got, sum)
	}
}

// channelSteps returns the steps of a scenario on a (newFeeApp's, its
// time *tm): step runs a block one second on whose transactions must all
// pass; refused a refusal beside its control (refusalBeside). Both check
// the supply and the channels' books after the block.
func channelSteps(t testing.TB, a *App, tm *time.Time) (step func(txs ...[]byte) BlockResult, refused func(code uint32, why string, bad, control []byte) BlockResult) {
	step = func(txs ...[]byte) BlockResult {
		t.Helper()
		*tm = tm.Add(time.Second)
		res := at(t, a, *tm, txs...)
		for i, r := range res.TxResults {
			if r.Code != CodeOK {
				t.Fatalf("height %d tx %d: %s", a.Height(), i, r.Log)
			}
		}
		checkSupply(t, a, 2_000_000)
		checkChannels(t, a)
		return res
	}
	refused = func(code uint32, why string, bad, control []byte) BlockResult {
		t.Helper()
		res := refusalBeside(t, a, tm, code, why, bad, control)
		checkSupply(t, a, 2_000_000)
		checkChannels(t, a)
		return res
	}
	return step, refused
}

// signVoucher returns k's signature of the voucher.
func signVoucher(t testing.TB, k testKey, v cove.Voucher) Bytes {
	return signDigest(t, k, v.Digest())
}

// signDigest returns k's signature of d, r ‖ s ‖ v.
func signDigest(t testing.TB, k testKey, d cove.Hash) Bytes {
	t.Helper()
	sig, err := ethsig.Sign(k.priv, d)
	if err != nil {
		t.Fatal(err)
	}
	return sig[:]
}

// TestChannels: an agent's owner prices it, a caller opens a channel,
// the owner redeems the payer's vouchers (only the owner, only vouchers
// the payer signed for this channel, agent and chain, never above the
// deposit, never twice), the payer closes and, after the challenge period
// in which the owner can still redeem, settles and takes the rest back.
// Each refusal beside a control that passes in the same state; the
// supply and the channels' books after every block.
func TestChannels(t *testing.T) {
	a := newFeeApp(t)
	tm := genesisTime
	tx := nextNonceSigner(t, map[testKey]uint64{})
	step, refused := channelSteps(t, a, &tm)
	h, c := bundle("paid")
	agent := cove.DeriveAgentID(bob.addr, h, cove.Hash{1})
	h2, _ := bundle("other")
	other := cove.DeriveAgentID(bob.addr, h2, cove.Hash{2})
	step(tx(bob, func(n uint64) Msg {
		return DeployAgent{Name: "paid", CID: c, CodeHash: h, Salt: cove.Hash{1}, Nonce: n}
	}),
		tx(bob, func(n uint64) Msg { d := deploy("other", 2, n); return d }))

	// Only the owner prices the agent.
	refused(CodeUnauthorized, "only its owner may set its price",
		tx(alice, func(n uint64) Msg { return SetAgentPrice{Agent: agent, Price: big.NewInt(10), Nonce: n} }),
		tx(bob, func(n uint64) Msg { return SetAgentPrice{Agent: agent, Price: big.NewInt(10), Nonce: n} }))
	if rec, _ := a.View().Agent(agent); rec.Price.Big().Int64() != 10 {
		t.Fatalf("price %s", rec.Price)
	}

	// Alice opens a channel of 10,000; not more than she has, not to an
	// agent that does not exist, not empty.
	refused(CodeInsufficientFunds, "the deposit is",
		tx(alice, func(n uint64) Msg { return OpenChannel{Agent: agent, Deposit: big.NewInt(2_000_000), Nonce: n} }),
		tx(alice, func(n uint64) Msg { return OpenChannel{Agent: agent, Deposit: big.NewInt(10_000), Nonce: n} }))
	refused(CodeNotFound, "does not exist",
		tx(alice, func(n uint64) Msg { return OpenChannel{Agent: cove.AgentID{9}, Deposit: big.NewInt(5), Nonce: n} }),
		tx(alice, func(n uint64) Msg { return OpenChannel{Agent: other, Deposit: big.NewInt(5), Nonce: n} }))
	refused(CodeInvalidArgument, "deposit is 0",
		tx(alice, func(n uint64) Msg { return OpenChannel{Agent: agent, Deposit: big.NewInt(0), Nonce: n} }),
		tx(alice, func(n uint64) Msg { return OpenChannel{Agent: agent, Deposit: big.NewInt(1), Nonce: n} }))
	ch, err := a.View().Channel(1)
	if err != nil || ch.Payer != alice.addr || ch.Agent != agent || ch.Deposit.Big().Int64() != 10_000 || !ch.Open() {
		t.Fatalf("channel 1: %+v %v", ch, err)
	}
	if got := a.View().Channels(alice.addr); len(got) != 3 || got[0].ID != 1 || got[1].Agent != other || got[2].ID != 3 {
		t.Fatalf("alice's channels %+v", got)
	}
	// Nobody credits the escrow but a channel.
	refused(CodeInvalidArgument, "payment channels' escrow",
		tx(alice, func(n uint64) Msg { return Transfer{To: ChannelEscrowAddress, Amount: big.NewInt(1), Nonce: n} }),
		tx(alice, func(n uint64) Msg { return Transfer{To: carol.addr, Amount: big.NewInt(1), Nonce: n} }))

	v := func(amount int64, nonce uint64) cove.Voucher {
		return cove.Voucher{ChainID: testChainID, Channel: 1, Agent: agent, Amount: big.NewInt(amount), Nonce: nonce}
	}
	redeem := func(k testKey, vo cove.Voucher, signer testKey) []byte {
		return tx(k, func(n uint64) Msg {
			return Redeem{Channel: 1, Amount: vo.Amount, VoucherNonce: vo.Nonce, Signature: signVoucher(t, signer, vo), Nonce: n}
		})
	}
	paid := func(res BlockResult, i int) string {
		for _, e := range res.TxResults[i].Events {
			if e.Type == EventChannelRedeemed {
				return e.Attr("amount")
			}
		}
		return ""
	}
	// Only the owner redeems, only the payer's signature, only this
	// channel's agent and chain, never above the deposit: each forgery
	// changes one thing of the genuine voucher beside it.
	res := refused(CodeUnauthorized, "only its owner may redeem", redeem(alice, v(100, 1), alice), redeem(bob, v(100, 1), alice))
	if paid(res, 1) != "100" {
		t.Fatalf("redeemed %q, want 100", paid(res, 1))
	}
	refused(CodeUnauthorized, "not signed by channel 1's payer", redeem(bob, v(200, 2), carol), redeem(bob, v(200, 2), alice))
	wrongAgent := v(300, 3)
	wrongAgent.Agent = other
	refused(CodeUnauthorized, "not signed by channel 1's payer",
		tx(bob, func(n uint64) Msg {
			return Redeem{Channel: 1, Amount: big.NewInt(300), VoucherNonce: 3, Signature: signVoucher(t, alice, wrongAgent), Nonce: n}
		}), redeem(bob, v(300, 3), alice))
	wrongChain := v(400, 4)
	wrongChain.ChainID = testChainID + 1
	refused(CodeUnauthorized, "not signed by channel 1's payer",
		tx(bob, func(n uint64) Msg {
			return Redeem{Channel: 1, Amount: big.NewInt(400), VoucherNonce: 4, Signature: signVoucher(t, alice, wrongChain), Nonce: n}
		}), redeem(bob, v(400, 4), alice))
	refused(CodeUnauthorized, "above channel 1's deposit", redeem(bob, v(10_001, 5), alice), redeem(bob, v(10_000-1, 5), alice))
	// A replayed voucher, or a lower one, adds nothing.
	refused(CodeInvalidArgument, "adds nothing", redeem(bob, v(10_000-1, 5), alice), redeem(bob, v(10_000, 6), alice))
	refused(CodeInvalidArgument, "adds nothing", redeem(bob, v(500, 7), alice), tx(alice, func(n uint64) Msg { return CloseChannel{Channel: 2, Nonce: n} }))
	if ch, _ = a.View().Channel(1); ch.Redeemed.Big().Int64() != 10_000 || ch.VoucherNonce != 6 {
		t.Fatalf("channel 1 after redeems: %+v", ch)
	}

	// Channel 3 (deposit 1): alice closes it; only she may, once; the
	// owner still redeems in the challenge period; settling waits for
	// its end and refunds the rest.
	refused(CodeUnauthorized, "only its payer (or the sponsor that funded it)",
		tx(bob, func(n uint64) Msg { return CloseChannel{Channel: 3, Nonce: n} }),
		tx(alice, func(n uint64) Msg { return CloseChannel{Channel: 3, Nonce: n} }))
	v2 := cove.Voucher{ChainID: testChainID, Channel: 2, Agent: other, Amount: big.NewInt(2), Nonce: 1}
	refused(CodeExists, "closing already",
		tx(alice, func(n uint64) Msg { return CloseChannel{Channel: 2, Nonce: n} }),
		tx(bob, func(n uint64) Msg {
			return Redeem{Channel: 2, Amount: v2.Amount, VoucherNonce: 1, Signature: signVoucher(t, alice, v2), Nonce: n}
		}))
	ch2, _ := a.View().Channel(2)
	if ch2.Open() || ch2.Redeemed.Big().Int64() != 2 {
		t.Fatalf("channel 2: %+v", ch2)
	}
	refused(CodeInvalidArgument, "challenge period ends at",
		tx(alice, func(n uint64) Msg { return Settle{Channel: 2, Nonce: n} }),
		tx(alice, func(n uint64) Msg { return Transfer{To: carol.addr, Amount: big.NewInt(1), Nonce: n} }))
	refused(CodeInvalidArgument, "is open",
		tx(bob, func(n uint64) Msg { return Settle{Channel: 1, Nonce: n} }),
		tx(alice, func(n uint64) Msg { return Transfer{To: carol.addr, Amount: big.NewInt(1), Nonce: n} }))
	// At closesAt, anyone settles: the payer gets the 3 left, the records
	// go.
	tm = time.Unix(ch2.ClosesAt, 0).Add(-time.Second)
	res = step(tx(bob, func(n uint64) Msg { return Settle{Channel: 2, Nonce: n} }))
	var settled Event
	for _, e := range res.TxResults[0].Events {
		if e.Type == EventChannelSettled {
			settled = e
		}
	}
	if settled.Attr("refund") != "3" || settled.Attr("payer") != alice.addr.String() {
		t.Fatalf("settled %+v", settled)
	}
	if _, err := a.View().Channel(2); err == nil {
		t.Fatal("channel 2 is still there")
	}
	if got := a.View().Channels(alice.addr); len(got) != 2 {
		t.Fatalf("alice's channels after settling 2: %+v", got)
	}
	// 0 makes the agent free again.
	step(tx(bob, func(n uint64) Msg { return SetAgentPrice{Agent: agent, Price: big.NewInt(0), Nonce: n} }))
	if rec, _ := a.View().Agent(agent); rec.Price.Big().Sign() != 0 {
		t.Fatalf("price after 0: %s", rec.Price)
	}

	// The free tier: only the owner sets it; no more per caller than in
	// all; 0 calls a day removes it.
	refused(CodeUnauthorized, "only its owner may set its free tier",
		tx(alice, func(n uint64) Msg { return SetFreeTier{Agent: agent, CallsPerDay: 100, PerCaller: 5, Nonce: n} }),
		tx(bob, func(n uint64) Msg { return SetFreeTier{Agent: agent, CallsPerDay: 100, PerCaller: 5, Nonce: n} }))
	if rec, _ := a.View().Agent(agent); rec.FreeTier == nil || *rec.FreeTier != (cove.FreeTier{CallsPerDay: 100, PerCaller: 5}) || rec.Agent().FreeTier.PerCaller != 5 {
		t.Fatalf("free tier %+v", rec.FreeTier)
	}
	refused(CodeInvalidArgument, "perCaller 101 is above callsPerDay 100",
		tx(bob, func(n uint64) Msg { return SetFreeTier{Agent: agent, CallsPerDay: 100, PerCaller: 101, Nonce: n} }),
		tx(bob, func(n uint64) Msg { return SetFreeTier{Agent: agent, CallsPerDay: 100, PerCaller: 100, Nonce: n} }))
	step(tx(bob, func(n uint64) Msg { return SetFreeTier{Agent: agent, CallsPerDay: 0, PerCaller: 0, Nonce: n} }))
	if rec, _ := a.View().Agent(agent); rec.FreeTier != nil {
		t.Fatalf("free tier after 0 calls a day: %+v", rec.FreeTier)
	}
}

// TestChannelsProperty: random opens, redeems (of vouchers, higher and
// lower, by owners and others), closes and settles by three payers to
// two agents of two owners: no COVE is created or lost (the supply and
// the escrow's books after every block), no channel pays more than its
// deposit, and in the end what the owners were paid is exactly what the
// channels redeemed.
func TestChannelsProperty(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		a := newFeeApp(t)
		rng := rand.New(rand.NewPCG(seed, 7))
		tm := genesisTime
		tx := nextNonceSigner(t, map[testKey]uint64{})
		fund := func(k testKey) []byte {
			return tx(alice, func(n uint64) Msg { return Transfer{To: k.addr, Amount: big.NewInt(100_000), Nonce: n} })
		}
		payers := []testKey{alice, bob, newKey("dave")}
		owners := []testKey{bob, carol}
		var agents []cove.AgentID
		for i, o := range owners {
			h, c := bundle(o.name)
			agents = append(agents, cove.DeriveAgentID(o.addr, h, cove.Hash{byte(i)}))
			_ = c
		}
		tm = tm.Add(time.Second)
		at(t, a, tm, fund(carol), fund(payers[2]))
		tm = tm.Add(time.Second)
		var deploys [][]byte
		for i, o := range owners {
			deploys = append(deploys, tx(o, func(n uint64) Msg { return deploy(o.name, byte(i), n) }))
		}
		for i, r := range at(t, a, tm, deploys...).TxResults {
			if r.Code != CodeOK {
				t.Fatalf("deploy %d: %s", i, r.Log)
			}
		}
		paidOut := new(big.Int)
		total := map[uint64]*big.Int{} // channel: redeemed in all, from the events
		var lastID uint64
		for range 150 {
			var txs [][]byte
			for range 1 + rng.IntN(4) {
				p := payers[rng.IntN(len(payers))]
				switch op := rng.IntN(10); {
				case op < 3:
					txs = append(txs, tx(p, func(n uint64) Msg {
						return OpenChannel{Agent: agents[rng.IntN(2)], Deposit: big.NewInt(rng.Int64N(3000)), Nonce: n}
					}))
				case op < 7 && lastID > 0:
					id := 1 + rng.Uint64N(lastID)
					c, err := a.View().Channel(id)
					if err != nil {
						continue
					}
					payer, owner := testKey{}, owners[0]
					for _, k := range payers {
						if k.addr == c.Payer {
							payer = k
						}
					}
					if c.Agent == agents[1] {
						owner = owners[1]
					}
					if rng.IntN(5) == 0 {
						owner = p // often not the owner
					}
					amount := big.NewInt(rng.Int64N(c.Deposit.Big().Int64() + 200))
					vo := cove.Voucher{ChainID: testChainID, Channel: id, Agent: c.Agent, Amount: amount, Nonce: rng.Uint64N(50)}
					txs = append(txs, tx(owner, func(n uint64) Msg {
						return Redeem{Channel: id, Amount: amount, VoucherNonce: vo.Nonce, Signature: signVoucher(t, payer, vo), Nonce: n}
					}))
				case op < 9 && lastID > 0:
					id := 1 + rng.Uint64N(lastID)
					txs = append(txs, tx(p, func(n uint64) Msg { return CloseChannel{Channel: id, Nonce: n} }))
				case lastID > 0:
					id := 1 + rng.Uint64N(lastID)
					txs = append(txs, tx(p, func(n uint64) Msg { return Settle{Channel: id, Nonce: n} }))
				}
			}
			tm = tm.Add(time.Duration(1+rng.IntN(900)) * time.Second)
			res := at(t, a, tm, txs...)
			for _, r := range res.TxResults {
				for _, e := range r.Events {
					switch e.Type {
					case EventChannelOpened:
						lastID, _ = strconv.ParseUint(e.Attr("channel"), 10, 64)
					case EventChannelRedeemed:
						amt, _ := new(big.Int).SetString(e.Attr("amount"), 10)
						paidOut.Add(paidOut, amt)
						id, _ := strconv.ParseUint(e.Attr("channel"), 10, 64)
						total[id], _ = new(big.Int).SetString(e.Attr("redeemed"), 10)
					}
				}
			}
			checkSupply(t, a, 2_000_000)
			checkChannels(t, a)
		}
		sum := new(big.Int)
		for _, v := range total {
			sum.Add(sum, v)
		}
		if sum.Cmp(paidOut) != 0 {
			t.Fatalf("seed %d: owners were paid %s, the channels redeemed %s", seed, paidOut, sum)
		}
		for _, c := range channelsOf(a) {
			if want := total[c.ID]; want == nil && c.Redeemed.Big().Sign() != 0 || want != nil && want.Cmp(c.Redeemed.Big()) != 0 {
				t.Fatalf("seed %d: channel %d redeemed %s, its events say %v", seed, c.ID, c.Redeemed, want)
			}
		}
		if paidOut.Sign() == 0 || lastID < 10 {
			t.Fatalf("seed %d: a run that paid nothing (%s) or opened few channels (%d) tests little", seed, paidOut, lastID)
		}
	}
}

// channelsOf returns every committed channel.
func channelsOf(a *App) []ChannelRecord { return list[ChannelRecord](a, prefixChannel) }

// TestChannelVerifier: a channel names its verifier, the worker whose
// ledger alone takes its vouchers (ADR 25): a registered worker, not an
// id no worker has; the record and the event carry it, and a channel
// left without one (as before the field) has none.
func TestChannelVerifier(t *testing.T) {
	a := newFeeApp(t)
	a.SetVerifier(&testVerifier{})
	tm := genesisTime
	tx := nextNonceSigner(t, map[testKey]uint64{})
	step, refused := channelSteps(t, a, &tm)
	h, c := bundle("paid")
	agent := cove.DeriveAgentID(bob.addr, h, cove.Hash{1})
	reg := workerBy(bob, "verifier", 0)
	worker := WorkerID(reg.PublicKey)
	step(tx(bob, func(n uint64) Msg {
		return DeployAgent{Name: "paid", CID: c, CodeHash: h, Salt: cove.Hash{1}, Nonce: n}
	}), tx(bob, func(n uint64) Msg { r := reg; r.Nonce = n; return r }))
	if _, err := a.View().Worker(worker); err != nil {
		t.Fatalf("the worker did not register: %v", err)
	}
	notWorker := worker
	notWorker[31] ^= 1
	res := refused(CodeNotFound, "is not a registered worker",
		tx(alice, func(n uint64) Msg {
			return OpenChannel{Agent: agent, Deposit: big.NewInt(50), Verifier: notWorker, Nonce: n}
		}),
		tx(alice, func(n uint64) Msg {
			return OpenChannel{Agent: agent, Deposit: big.NewInt(50), Verifier: worker, Nonce: n}
		}))
	named := false
	for _, e := range res.TxResults[1].Events {
		named = named || e.Type == EventChannelOpened && e.Attr("verifier") == worker.String()
	}
	if !named {
		t.Fatalf("events %+v, want channel_opened naming verifier %s", res.TxResults[1].Events, worker)
	}
	step(tx(alice, func(n uint64) Msg { return OpenChannel{Agent: agent, Deposit: big.NewInt(50), Nonce: n} }))
	bound, err := a.View().Channel(1)
	if err != nil || bound.Verifier != worker {
		t.Fatalf("channel 1: %+v %v, want verifier %s", bound, err, worker)
	}
	if unbound, err := a.View().Channel(2); err != nil || !unbound.Verifier.IsZero() {
		t.Fatalf("channel 2: %+v %v, want no verifier", unbound, err)
	}
	// A verifier is left out when zero, never sent as zero: one encoding
	// per message (the control, the same JSON with the worker's id,
	// decodes).
	j := `{"agent":"` + agent.String() + `","deposit":"50","verifier":"%s","nonce":1}`
	var m OpenChannel
	if err := json.Unmarshal(fmt.Appendf(nil, j, worker), &m); err != nil || m.Verifier != worker {
		t.Fatalf("control: %+v %v", m, err)
	}
	if err := json.Unmarshal(fmt.Appendf(nil, j, cove.Hash{}), &m); err == nil || !strings.Contains(err.Error(), `"verifier": not set`) {
		t.Fatalf("a zero verifier decoded: %v", err)
	}
	b, err := Load(a.Snapshot(), a.Height(), a.AppHash())
	if err != nil {
		t.Fatal(err)
	}
	if c, err := b.View().Channel(1); err != nil || c.Verifier != worker {
		t.Fatalf("channel 1 after a restart: %+v %v", c, err)
	}
}
