package chain

import (
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
)

// tok is n whole tokens in base units.
func tok(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), tokenUnit) }

// reserveByRat is G(S) computed another way, to check Reserve: the exact
// rational integral summed one linear piece at a time (each piece's
// trapezoid), then rounded up.
func reserveByRat(t TokenRecord, s *big.Int) *big.Int {
	a := new(big.Rat).SetInt(t.A.Big())
	x := new(big.Rat).SetFrac(s, tokenUnit) // whole tokens
	area := new(big.Rat)
	switch t.Curve {
	case CurveLinear:
		// a·x + b·x²/2
		b := new(big.Rat).SetInt(t.B.Big())
		area.Mul(a, x)
		sq := new(big.Rat).Mul(x, x)
		sq.Mul(sq, b)
		sq.Quo(sq, big.NewRat(2, 1))
		area.Add(area, sq)
	case CurveExponential:
		b := new(big.Rat).SetInt(t.B.Big())
		price := new(big.Rat).Set(a) // at the start of the piece
		left := new(big.Rat).Set(x)
		for left.Sign() > 0 {
			w := new(big.Rat).Set(b)
			if left.Cmp(b) < 0 {
				w.Set(left)
			}
			// the price at the piece's end: price·(1 + w/b)
			end := new(big.Rat).Quo(w, b)
			end.Add(end, big.NewRat(1, 1))
			end.Mul(end, price)
			tr := new(big.Rat).Add(price, end)
			tr.Mul(tr, w)
			tr.Quo(tr, big.NewRat(2, 1))
			area.Add(area, tr)
			left.Sub(left, w)
			price.Mul(price, big.NewRat(2, 1))
		}
	}
	q, r := new(big.Int).QuoRem(area.Num(), area.Denom(), new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

// TestCurveReserve: G by hand at known points, G against the rational
// integral summed piece by piece for random curves and supplies, and G
// never falling as the supply grows (so no sequence of trades can take
// more out of a reserve than was put in).
func TestCurveReserve(t *testing.T) {
	lin := TokenRecord{Curve: CurveLinear, A: AmountOf(big.NewInt(1000)), B: AmountOf(big.NewInt(2))}
	exp := TokenRecord{Curve: CurveExponential, A: AmountOf(big.NewInt(1000)), B: AmountOf(big.NewInt(1))}
	half := new(big.Int).Quo(tokenUnit, big.NewInt(2))
	for _, c := range []struct {
		t    TokenRecord
		s    *big.Int
		want int64
	}{
		{lin, big.NewInt(0), 0},
		{lin, tok(1), 1001},     // 1000·1 + 2·1/2
		{lin, tok(10), 10_100},  // 1000·10 + 2·100/2
		{lin, big.NewInt(1), 1}, // a dust amount costs 1, never 0
		{exp, tok(1), 1500},     // 1000 → 2000 over one token
		{exp, tok(2), 4500},     // + 2000 → 4000
		{exp, half, 625},        // 1000 → 1500 over half a token
		{exp, tok(3), 10_500},   // + 4000 → 8000
		{exp, big.NewInt(1), 1}, // a dust amount costs 1
		{exp, big.NewInt(0), 0},
	} {
		got, f := c.t.reserveAt(c.s)
		if f != nil || got.Int64() != c.want {
			t.Errorf("%s G(%s) = %v %v, want %d", c.t.Curve, c.s, got, f, c.want)
		}
	}
	if p := exp.priceAt(tok(2)); p.Int64() != 4000 {
		t.Errorf("exponential price at 2 tokens %s, want 4000", p)
	}
	if p := lin.priceAt(tok(10)); p.Int64() != 1020 {
		t.Errorf("linear price at 10 tokens %s, want 1020", p)
	}
	if _, f := exp.reserveAt(tok(129)); f == nil {
		t.Errorf("an exponential supply past 128 doublings has a reserve")
	}
	if _, f := exp.reserveAt(tok(128)); f != nil {
		t.Errorf("128 doublings: %v", f.msg)
	}

	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 400 {
		c := TokenRecord{Curve: CurveLinear, A: AmountOf(big.NewInt(1 + rng.Int64N(1e12))), B: AmountOf(big.NewInt(rng.Int64N(1e9)))}
		if i%2 == 1 {
			c.Curve = CurveExponential
			c.B = AmountOf(big.NewInt(1 + rng.Int64N(1000)))
		}
		s := new(big.Int).Mul(big.NewInt(rng.Int64N(5000)), tokenUnit)
		if c.Curve == CurveExponential {
			s.Mul(big.NewInt(rng.Int64N(100*c.B.Big().Int64())), tokenUnit) // within 100 doublings
		}
		s.Add(s, big.NewInt(rng.Int64N(1e18)))
		got, f := c.reserveAt(s)
		if f != nil {
			t.Fatal(f.msg)
		}
		if want := reserveByRat(c, s); got.Cmp(want) != 0 {
			t.Fatalf("%s a=%s b=%s G(%s) = %s, the rational integral %s", c.Curve, c.A, c.B, s, got, want)
		}
		more := new(big.Int).Add(s, big.NewInt(1+rng.Int64N(1e17)))
		if g2, _ := c.reserveAt(more); g2.Cmp(got) < 0 {
			t.Fatalf("%s G(%s) = %s < G(%s) = %s", c.Curve, more, g2, s, got)
		}
	}
}

// checkTokens checks the tokens' books: the reserve holds exactly the sum
// of every token's G(supply), and each token's holdings sum to its
// supply.
func checkTokens(t testing.TB, a *App) {
	t.Helper()
	want := new(big.Int)
	held := map[cove.AgentID]*big.Int{}
	supply := map[cove.AgentID]*big.Int{}
	for _, kv := range a.Snapshot() {
		switch r := checkTokenRecord(string(kv.Key)).(type) {
		case *TokenRecord:
			mustDecode(t, kv.Value, r)
			g, f := r.reserveAt(r.Supply.Big())
			if f != nil {
				t.Fatal(f.msg)
			}
			want.Add(want, g)
			supply[r.Agent] = r.Supply.Big()
		case *TokenHolding:
			mustDecode(t, kv.Value, r)
			if held[r.Agent] == nil {
				held[r.Agent] = new(big.Int)
			}
			held[r.Agent].Add(held[r.Agent], r.Balance.Big())
			held[r.Agent].Add(held[r.Agent], r.Incoming.Big())
		}
	}
	for agent, s := range supply {
		h := held[agent]
		if h == nil {
			h = new(big.Int)
		}
		if h.Cmp(s) != 0 {
			t.Fatalf("agent %s's token: holdings sum to %s, supply %s", agent, h, s)
		}
	}
	if got := a.View().Account(TokenReserveAddress).Balance; got.Cmp(want) != 0 {
		t.Fatalf("height %d: the reserve holds %s, Σ G(supply) is %s", a.Height(), got, want)
	}
}

// tokenSteps is channelSteps with the tokens' books checked too.
func tokenSteps(t testing.TB, a *App, tm *time.Time) (step func(txs ...[]byte) BlockResult, refused func(code uint32, why string, bad, control []byte) BlockResult) {
	step0, refused0 := channelSteps(t, a, tm)
	step = func(txs ...[]byte) BlockResult {
		t.Helper()
		r := step0(txs...)
		checkTokens(t, a)
		return r
	}
	refused = func(code uint32, why string, bad, control []byte) BlockResult {
		t.Helper()
		r := refused0(code, why, bad, control)
		checkTokens(t, a)
		return r
	}
	return step, refused
}

func eventAttr(t testing.TB, r TxResult, typ, key string) string {
	t.Helper()
	for _, e := range r.Events {
		if e.Type == typ {
			for _, at := range e.Attrs {
				if at.Key == key {
					return at.Value
				}
			}
		}
	}
	t.Fatalf("no %s.%s in %+v", typ, key, r.Events)
	return ""
}

// TestTokens: only the owner launches, once, with parameters in bounds;
// buys and sells pay the curve's differences and the fee to the
// treasury, within the slippage limits; nothing credits the reserve but
// a buy; the treasury takes its revenue share of redeems and pays out
// only to the owner's order. Each refusal beside a control that passes
// in the same state; the supply, channel and token books after every
// block.
func TestTokens(t *testing.T) {
	a := newFeeApp(t)
	tm := genesisTime
	tx := nextNonceSigner(t, map[testKey]uint64{})
	step, refused := tokenSteps(t, a, &tm)
	agent, deployIt := bobsAgent("tokened", 1)
	step(tx(bob, deployIt))
	launch := func(mut func(*LaunchAgentToken)) func(n uint64) Msg {
		return func(n uint64) Msg {
			m := LaunchAgentToken{Agent: agent, Name: "Tokened Agent", Symbol: "TOK", Curve: CurveLinear, A: big.NewInt(1000), B: big.NewInt(100), FeePPM: 10_000, RevenuePPM: 250_000, Nonce: n}
			if mut != nil {
				mut(&m)
			}
			return m
		}
	}
	// The stateless bounds, each beside the owner's good launch... which
	// can only happen once: the controls are the bad launch's fields put
	// right one at a time, in blocks where the good one is refused as a
	// duplicate afterwards.
	for _, bad := range []struct {
		why string
		mut func(*LaunchAgentToken)
	}{
		{"symbol", func(m *LaunchAgentToken) { m.Symbol = "tok" }},
		{"name", func(m *LaunchAgentToken) { m.Name = " padded" }},
		{"a (the price at supply 0)", func(m *LaunchAgentToken) { m.A = big.NewInt(0) }},
		{"curve", func(m *LaunchAgentToken) { m.Curve = "sigmoid" }},
		{"feePPM", func(m *LaunchAgentToken) { m.FeePPM = MaxTokenFeePPM + 1 }},
		{"revenuePPM", func(m *LaunchAgentToken) { m.RevenuePPM = 1_000_001 }},
		{"b (the tokens over which", func(m *LaunchAgentToken) { m.Curve = CurveExponential; m.B = big.NewInt(0) }},
		{"b (the linear curve's slope)", func(m *LaunchAgentToken) { m.B = new(big.Int).Lsh(big.NewInt(1), 129) }},
	} {
		res := at(t, a, tm.Add(time.Second), tx(bob, launch(bad.mut)))
		tm = tm.Add(time.Second)
		if r := res.TxResults[0]; r.Code != CodeInvalidArgument || !strings.Contains(r.Log, bad.why) {
			t.Fatalf("launch with bad %s: %d %s", bad.why, r.Code, r.Log)
		}
	}
	refused(CodeUnauthorized, "only its owner may launch its token", tx(alice, launch(nil)), tx(bob, launch(nil)))
	refused(CodeExists, "has a token already", tx(bob, launch(nil)), tx(bob, func(n uint64) Msg { return transfer(carol, 10, n) }))

	buy := func(amount, maxCost *big.Int) func(n uint64) Msg {
		return func(n uint64) Msg { return Buy{Agent: agent, Amount: amount, MaxCost: maxCost, Nonce: n} }
	}
	sell := func(amount, minReturn *big.Int) func(n uint64) Msg {
		return func(n uint64) Msg { return Sell{Agent: agent, Amount: amount, MinReturn: minReturn, Nonce: n} }
	}
	// 10 tokens cost G(10) = 1000·10 + 100·100/2 = 15,000, plus 1%: 15,150.
	res := refused(CodeInvalidArgument, "above maxCost", tx(alice, buy(tok(10), big.NewInt(15_149))), tx(alice, buy(tok(10), big.NewInt(15_150))))
	if got := eventAttr(t, res.TxResults[1], EventTokenBought, "cost"); got != "15000" {
		t.Fatalf("cost %s", got)
	}
	treasury := AgentTreasury(agent)
	if got := a.View().Account(treasury).Balance; got.Int64() != 150 {
		t.Fatalf("treasury %s after a buy, want the 1%% fee 150", got)
	}
	if got := a.View().Holding(agent, alice.addr).Balance.Big(); got.Cmp(tok(10)) != 0 {
		t.Fatalf("alice holds %s", got)
	}
	refused(CodeInvalidArgument, "amount is 0", tx(alice, buy(big.NewInt(0), big.NewInt(1))), tx(alice, buy(big.NewInt(1), big.NewInt(2))))
	refused(CodeNotFound, "has no token", tx(alice, func(n uint64) Msg {
		return Buy{Agent: cove.AgentID{7}, Amount: tok(1), MaxCost: big.NewInt(1e6), Nonce: n}
	}), tx(alice, buy(tok(1), big.NewInt(1e6))))
	refused(CodeInsufficientFunds, "costs", tx(alice, buy(tok(2000), maxUint256)), tx(alice, buy(tok(1), maxUint256)))
	// Bob buys 5; alice sells 5: she gets G(supply) − G(supply − 5) less
	// the fee, at least minReturn.
	step(tx(bob, buy(tok(5), maxUint256)))
	ts, _ := a.View().TokenState(agent, cove.Address{})
	tr := ts.TokenRecord
	g1, _ := tr.reserveAt(tr.Supply.Big())
	g0, _ := tr.reserveAt(new(big.Int).Sub(tr.Supply.Big(), tok(5)))
	ret := new(big.Int).Sub(g1, g0)
	out := new(big.Int).Sub(ret, feeOf(ret, 10_000))
	refused(CodeInvalidArgument, "below minReturn", tx(alice, sell(tok(5), new(big.Int).Add(out, big.NewInt(1)))), tx(alice, sell(tok(5), out)))
	aliceHeld := a.View().Holding(agent, alice.addr).Balance.Big()
	refused(CodeInsufficientFunds, "holds", tx(alice, sell(new(big.Int).Add(aliceHeld, big.NewInt(1)), big.NewInt(0))), tx(alice, sell(aliceHeld, big.NewInt(0))))
	// Nothing credits the reserve but a buy.
	refused(CodeInvalidArgument, "the agent tokens' reserve",
		tx(alice, func(n uint64) Msg { return Transfer{To: TokenReserveAddress, Amount: big.NewInt(1), Nonce: n} }),
		tx(alice, func(n uint64) Msg { return Transfer{To: treasury, Amount: big.NewInt(1), Nonce: n} }))

	// Revenue: a quarter of each redeem goes to the treasury.
	step(tx(bob, func(n uint64) Msg { return SetAgentPrice{Agent: agent, Price: big.NewInt(10), Nonce: n} }),
		tx(alice, func(n uint64) Msg { return OpenChannel{Agent: agent, Deposit: big.NewInt(1000), Nonce: n} }))
	before := a.View().Account(treasury).Balance
	bobBefore := a.View().Account(bob.addr).Balance
	sig := signVoucher(t, alice, cove.Voucher{ChainID: testChainID, Channel: 1, Agent: agent, Amount: big.NewInt(400), Nonce: 1})
	res = step(tx(bob, func(n uint64) Msg {
		return Redeem{Channel: 1, Amount: big.NewInt(400), VoucherNonce: 1, Signature: sig, Nonce: n}
	}))
	if got := eventAttr(t, res.TxResults[0], EventTreasuryRevenue, "amount"); got != "100" {
		t.Fatalf("revenue %s, want 100", got)
	}
	if got := new(big.Int).Sub(a.View().Account(treasury).Balance, before); got.Int64() != 100 {
		t.Fatalf("treasury +%s", got)
	}
	fee, _ := new(big.Int).SetString(eventAttr(t, res.TxResults[0], EventFee, "amount"), 10)
	if got := new(big.Int).Sub(a.View().Account(bob.addr).Balance, bobBefore); got.Cmp(new(big.Int).Sub(big.NewInt(300), fee)) != 0 {
		t.Fatalf("bob +%s, want 300 less the fee %s", got, fee)
	}

	// The owner spends the treasury; nobody else does, nor beyond it.
	withdraw := func(amount int64) func(n uint64) Msg {
		return func(n uint64) Msg {
			return WithdrawTreasury{Agent: agent, To: carol.addr, Amount: big.NewInt(amount), Nonce: n}
		}
	}
	refused(CodeUnauthorized, "only its owner may spend from its treasury", tx(alice, withdraw(50)), tx(bob, withdraw(50)))
	left := a.View().Account(treasury).Balance.Int64()
	refused(CodeInsufficientFunds, "treasury", tx(bob, withdraw(left+1)), tx(bob, withdraw(left)))
	if got := a.View().Account(carol.addr).Balance.Int64(); got != 10+50+left {
		t.Fatalf("carol has %d", got)
	}
	// Everyone sells everything: the reserve is empty to the base unit.
	var sells [][]byte
	for _, k := range []testKey{alice, bob} {
		if b := a.View().Holding(agent, k.addr).Balance.Big(); b.Sign() > 0 {
			sells = append(sells, tx(k, sell(b, big.NewInt(0))))
		}
	}
	step(sells...)
	if got := a.View().Account(TokenReserveAddress).Balance; got.Sign() != 0 {
		t.Fatalf("the reserve holds %s with no tokens left", got)
	}

	// A steep curve (b = 2^128): a buy that would take its reserve to
	// 2^200 is refused, whatever the buyer holds; one base unit is not.
	steep, deploySteep := bobsAgent("steep", 2)
	step(tx(bob, deploySteep))
	step(tx(bob, func(n uint64) Msg {
		return LaunchAgentToken{Agent: steep, Name: "Steep", Symbol: "STEEP", Curve: CurveLinear, A: big.NewInt(1), B: new(big.Int).Lsh(big.NewInt(1), 128), Nonce: n}
	}))
	huge, _ := new(big.Int).SetString("100000000000000000000000000000", 10) // 10^29
	// A flat curve (b = 0, a = 1 base unit a token): its reserve stays
	// far under 2^200, but the supply may not reach 2^200 base units.
	flat, deployFlat := bobsAgent("flat", 3)
	step(tx(bob, deployFlat))
	step(tx(bob, func(n uint64) Msg {
		return LaunchAgentToken{Agent: flat, Name: "Flat", Symbol: "FLAT", Curve: CurveLinear, A: big.NewInt(1), B: big.NewInt(0), Nonce: n}
	}))
	refused(CodeInvalidArgument, "above the 2^200 base units a token may have",
		tx(alice, func(n uint64) Msg { return Buy{Agent: flat, Amount: maxReserve, MaxCost: maxUint256, Nonce: n} }),
		tx(alice, func(n uint64) Msg { return Buy{Agent: flat, Amount: big.NewInt(1), MaxCost: maxUint256, Nonce: n} })) // (without the bound: 5, no balance pays 2^200/10^18)
	refused(CodeInvalidArgument, "above the 2^200 the chain counts",
		tx(alice, func(n uint64) Msg { return Buy{Agent: steep, Amount: huge, MaxCost: maxUint256, Nonce: n} }),
		tx(alice, func(n uint64) Msg { return Buy{Agent: steep, Amount: big.NewInt(1), MaxCost: maxUint256, Nonce: n} }))
}

// TestTokensProperty: random buys, sells and transfers by three accounts on a
// linear and an exponential token: after
// every block the reserve is exactly Σ G(supply), holdings sum to the
// supply and no COVE is made or lost; at the end everyone sells
// everything and the reserve is exactly 0.
func TestTokensProperty(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 11))
			a := newFeeApp(t)
			tm := genesisTime
			tx := nextNonceSigner(t, map[testKey]uint64{})
			step, _ := tokenSteps(t, a, &tm)
			step(tx(alice, func(n uint64) Msg { return transfer(carol, 300_000, n) }))
			var agents []cove.AgentID
			for i, curve := range []string{CurveLinear, CurveExponential} {
				d := deploy("t"+strconv.Itoa(i), byte(10+i), 0)
				agents = append(agents, cove.DeriveAgentID(bob.addr, d.CodeHash, d.Salt))
				b := big.NewInt(10 + rng.Int64N(50))
				step(tx(bob, func(n uint64) Msg { d.Nonce = n; return d }))
				step(tx(bob, func(n uint64) Msg {
					return LaunchAgentToken{Agent: agents[i], Name: "T", Symbol: "T" + strconv.Itoa(i), Curve: curve, A: big.NewInt(1 + rng.Int64N(500)), B: b, FeePPM: uint64(rng.IntN(MaxTokenFeePPM + 1)), Nonce: n}
				}))
			}
			keys := []testKey{alice, bob, carol}
			ran := map[string]int{}
			for range 150 {
				var txs [][]byte
				for range 1 + rng.IntN(4) {
					k := keys[rng.IntN(len(keys))]
					agent := agents[rng.IntN(len(agents))]
					amount := big.NewInt(1 + rng.Int64N(3e18)) // up to 3 tokens
					if h := a.View().Holding(agent, k.addr); h.Balance.Big().Sign()+h.Incoming.Big().Sign() > 0 && rng.IntN(2) == 0 {
						held := new(big.Int).Add(h.Balance.Big(), h.Incoming.Big())
						if amount.Cmp(held) > 0 {
							amount = held
						}
						if to := keys[rng.IntN(len(keys))]; to != k && rng.IntN(3) == 0 {
							txs = append(txs, tx(k, func(n uint64) Msg { return TransferToken{Agent: agent, To: to.addr, Amount: amount, Nonce: n} }))
						} else {
							txs = append(txs, tx(k, func(n uint64) Msg { return Sell{Agent: agent, Amount: amount, MinReturn: big.NewInt(0), Nonce: n} }))
						}
						break // one sell or transfer of an account per block: its next may find less held
					}
					txs = append(txs, tx(k, func(n uint64) Msg { return Buy{Agent: agent, Amount: amount, MaxCost: maxUint256, Nonce: n} }))
				}
				tm = tm.Add(time.Second)
				res := at(t, a, tm, txs...) // some buys may be short of COVE: refused, books unchanged
				for _, r := range res.TxResults {
					for _, e := range r.Events {
						ran[e.Type]++
					}
				}
				checkSupply(t, a, 2_000_000)
				checkTokens(t, a)
			}
			if ran[EventTokenBought] < 100 || ran[EventTokenSold] < 50 || ran[EventTokenTransferred] < 10 {
				t.Fatalf("only %d buys, %d sells and %d transfers ran", ran[EventTokenBought], ran[EventTokenSold], ran[EventTokenTransferred])
			}
			t.Logf("%d buys, %d sells, %d transfers", ran[EventTokenBought], ran[EventTokenSold], ran[EventTokenTransferred])
			var sells [][]byte
			for _, agent := range agents {
				for _, k := range keys {
					h := a.View().Holding(agent, k.addr)
					if held := new(big.Int).Add(h.Balance.Big(), h.Incoming.Big()); held.Sign() > 0 {
						sells = append(sells, tx(k, func(n uint64) Msg { return Sell{Agent: agent, Amount: held, MinReturn: big.NewInt(0), Nonce: n} }))
					}
				}
			}
			step(sells...)
			if got := a.View().Account(TokenReserveAddress).Balance; got.Sign() != 0 {
				t.Fatalf("the reserve holds %s with no tokens left", got)
			}
		})
	}
}

// bobsAgent returns bob's agent name (its bundle built from the name,
// salt salt) and the DeployAgent that deploys it.
func bobsAgent(name string, salt byte) (cove.AgentID, func(n uint64) Msg) {
	h, c := bundle(name)
	return cove.DeriveAgentID(bob.addr, h, cove.Hash{salt}), func(n uint64) Msg {
		return DeployAgent{Name: name, CID: c, CodeHash: h, Salt: cove.Hash{salt}, Nonce: n}
	}
}

// TestTokenTransfer: a holder moves tokens to another account: not 0, not
// to itself or a keyless address the chain holds, not more than it holds,
// not of an agent without a token; each refusal beside a control in the
// same state. The supply and the reserve do not move (checkTokens after
// every block); the sender's history records the block, the recipient's
// is untouched until its own transaction takes the tokens in.
func TestTokenTransfer(t *testing.T) {
	a := newFeeApp(t)
	tm := genesisTime
	tx := nextNonceSigner(t, map[testKey]uint64{})
	step, refused := tokenSteps(t, a, &tm)
	agent, deployIt := bobsAgent("moved", 1)
	bare, deployBare := bobsAgent("bare", 2)
	step(tx(bob, deployIt), tx(bob, deployBare), tx(alice, func(n uint64) Msg { return transfer(carol, 100_000, n) }))
	step(tx(bob, func(n uint64) Msg {
		return LaunchAgentToken{Agent: agent, Name: "Moved", Symbol: "MOV", Curve: CurveLinear, A: big.NewInt(10), B: big.NewInt(1), Nonce: n}
	}))
	step(tx(alice, func(n uint64) Msg { return Buy{Agent: agent, Amount: tok(10), MaxCost: maxUint256, Nonce: n} }))
	bought := a.Height()
	supply := func() *big.Int { ts, _ := a.View().TokenState(agent, cove.Address{}); return ts.Supply.Big() }
	before := supply()
	xfer := func(k testKey, id cove.AgentID, to cove.Address, amount *big.Int) []byte {
		return tx(k, func(n uint64) Msg { return TransferToken{Agent: id, To: to, Amount: amount, Nonce: n} })
	}
	refused(CodeInvalidArgument, "amount is 0", xfer(alice, agent, carol.addr, big.NewInt(0)), xfer(alice, agent, carol.addr, tok(1)))
	refused(CodeInvalidArgument, "to is the sender", xfer(alice, agent, alice.addr, tok(1)), xfer(alice, agent, carol.addr, tok(1)))
	refused(CodeInvalidArgument, "the agent tokens' reserve", xfer(alice, agent, TokenReserveAddress, tok(1)), xfer(alice, agent, carol.addr, tok(1)))
	refused(CodeInvalidArgument, "which no key spends from", xfer(alice, agent, AgentTreasury(agent), tok(1)), xfer(alice, agent, carol.addr, tok(1)))
	refused(CodeInvalidArgument, "which no key spends from", xfer(alice, agent, cove.Address{}, tok(1)), xfer(alice, agent, carol.addr, tok(1)))
	refused(CodeNotFound, "has no token", xfer(alice, bare, carol.addr, tok(1)), xfer(alice, agent, carol.addr, tok(1)))
	// Alice holds 4 now: 5 is more, 4 is all.
	refused(CodeInsufficientFunds, "holds", xfer(alice, agent, carol.addr, tok(5)), xfer(alice, agent, carol.addr, tok(4)))
	moved := a.Height()
	if got := supply(); got.Cmp(before) != 0 {
		t.Fatalf("the supply moved from %s to %s", before, got)
	}
	al, ca := a.View().Holding(agent, alice.addr), a.View().Holding(agent, carol.addr)
	if al.Balance.Big().Sign() != 0 || ca.Balance.Big().Sign() != 0 || ca.Incoming.Big().Cmp(tok(10)) != 0 {
		t.Fatalf("alice holds %s, carol %s and %s incoming; want 0, 0 and 10 tokens", al.Balance, ca.Balance, ca.Incoming)
	}
	// The histories: alice held 10 at the end of the buy's block and 0
	// after the transfers; carol's is untouched (only her own
	// transactions write it).
	if b, ok := al.At(bought); !ok || b.Cmp(tok(10)) != 0 {
		t.Fatalf("alice at height %d: %s %v", bought, b, ok)
	}
	if b, ok := al.At(moved); !ok || b.Sign() != 0 {
		t.Fatalf("alice at height %d: %s %v", moved, b, ok)
	}
	if len(ca.History) != 0 {
		t.Fatalf("a transfer wrote carol's history: %+v", ca.History)
	}
	// Each of the holder's own transactions takes its incoming tokens in:
	// carol passes what she was given on to bob (her transfer takes it
	// in), bob buys one more (his buy takes his in), then sells all, and
	// the curve pays him.
	step(xfer(carol, agent, bob.addr, tok(10)))
	if ca = a.View().Holding(agent, carol.addr); ca.Incoming.Big().Sign() != 0 || ca.Balance.Big().Sign() != 0 || len(ca.History) != 1 {
		t.Fatalf("carol after passing hers on: %+v", ca)
	}
	step(tx(bob, func(n uint64) Msg { return Buy{Agent: agent, Amount: tok(1), MaxCost: maxUint256, Nonce: n} }))
	if bh := a.View().Holding(agent, bob.addr); bh.Incoming.Big().Sign() != 0 || bh.Balance.Big().Cmp(tok(11)) != 0 {
		t.Fatalf("bob after his buy: %+v", bh)
	}
	res := step(tx(bob, func(n uint64) Msg { return Sell{Agent: agent, Amount: tok(11), MinReturn: big.NewInt(1), Nonce: n} }))
	if eventAttr(t, res.TxResults[0], EventTokenSold, "amount") != tok(11).String() {
		t.Fatalf("bob's sell: %+v", res.TxResults[0].Events)
	}
}
