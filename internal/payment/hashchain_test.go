package payment

import (
	"encoding/hex"
	"log/slog"
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/blob/cid"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/testchain"
)

// paidChannel sets up a chain with a worker, an agent priced 10 and
// channel 1 from payer to it holding deposit, bound to the worker.
func paidChannel(t testing.TB, deposit int64) (l *testchain.Ledger, owner, payer *testchain.Key, a cove.Agent, worker cove.Hash) {
	owner, payer = testchain.NewKey(t), testchain.NewKey(t)
	l = testchain.New(t, owner.Address(), testchain.Fund(payer.Address()), testchain.Verifier(testchain.AnyQuote{}))
	workerKey := []byte("the channel's worker")
	worker = chain.WorkerID(workerKey)
	l.MustSend(owner, func(n uint64) chain.Msg {
		return chain.RegisterWorker{TEE: "sim", PublicKey: workerKey, Endpoint: "https://127.0.0.1:1", Quote: []byte("q"), Nonce: n}
	})
	code := []byte("paid agent")
	l.MustSend(owner, func(n uint64) chain.Msg {
		return chain.DeployAgent{Name: "paid", CID: cid.Of(code), CodeHash: cove.SHA256(code), Salt: cove.Hash{1}, Nonce: n}
	})
	id := cove.DeriveAgentID(owner.Address(), cove.SHA256(code), cove.Hash{1})
	l.MustSend(owner, func(n uint64) chain.Msg { return chain.SetAgentPrice{Agent: id, Price: big.NewInt(10), Nonce: n} })
	l.MustSend(payer, func(n uint64) chain.Msg {
		return chain.OpenChannel{Agent: id, Deposit: big.NewInt(deposit), Verifier: worker, Nonce: n}
	})
	return l, owner, payer, cove.Agent{ID: id, Price: big.NewInt(10)}, worker
}

// commitment is a payer's hash chain: its signed commitment and words.
type commitment struct {
	hc    cove.HashChain
	sig   [65]byte
	words []cove.Hash
}

func commit(t testing.TB, k *testchain.Key, chainID uint64, agent cove.AgentID, base int64, count, nonce uint64, seed byte) commitment {
	root, words := cove.NewHashChain(cove.Hash{seed}, count)
	hc := cove.HashChain{ChainID: chainID, Channel: 1, Agent: agent, Base: big.NewInt(base), Unit: big.NewInt(10), Count: count, Root: root, Nonce: nonce}
	sig, err := k.Sign(hc.Digest())
	if err != nil {
		t.Fatal(err)
	}
	return commitment{hc, sig, words}
}

// header is the Cove-Payment value of word k of c, the word w.
func (c commitment) header(k uint64, w cove.Hash) string {
	return api.WordPayment(c.hc, c.sig, k, w).Header()
}

// word is the Cove-Payment value of c's genuine word k.
func (c commitment) word(k uint64) string { return c.header(k, c.words[k-1]) }

// TestHashChainWords: a verifier takes a payer's hash-chain words (ADR
// 26): the first word of a commitment checked with the payer's signature
// and the hashes back to the root, the next ones with a hash each; a
// replayed or lower word, one that does not hash back, one too far ahead,
// one beyond the count, a commitment another key signed or one whose
// fields differ from what the payer signed are refused, each beside the
// genuine word in the same state. The words survive a restart, the owner
// redeems the last on chain, and a gateway learns a word only when it is
// the payer's.
func TestHashChainWords(t *testing.T) {
	l, owner, payer, a, worker := paidChannel(t, 10_000)
	other := testchain.NewKey(t)
	v := l.View()
	c, _ := v.Channel(1)
	path := filepath.Join(t.TempDir(), "vouchers.log")
	log := slog.New(slog.DiscardHandler)
	w, err := Open(path, log)
	if err != nil {
		t.Fatal(err)
	}
	pay := func(h string) *Refusal { _, ref := w.Pay(v, a, h, worker); return ref }
	ok := func(h string) {
		t.Helper()
		if ref := pay(h); ref != nil {
			t.Fatalf("genuine word refused: %s", ref.Msg)
		}
	}
	refused := func(why, bad, control string) {
		t.Helper()
		if ref := pay(bad); ref == nil || !strings.Contains(ref.Msg, why) {
			t.Fatalf("want a refusal naming %q, got %+v", why, ref)
		}
		ok(control)
	}
	floor := func(l *Ledger) int64 { f, _ := l.Floor(c); return f.Int64() }

	c1 := commit(t, payer, v.ChainID(), a.ID, 0, 100, 1, 1)
	// The first word: signed by the payer, hashing back to the root.
	refused("not signed by channel 1's payer", commit(t, other, v.ChainID(), a.ID, 0, 100, 1, 1).word(1), c1.word(1))
	refused("replay or too low", c1.word(1), c1.word(2))
	refused("does not hash back to word 2", c1.header(3, c1.words[3]), c1.word(3))
	// A skip is paid for: word 5 after 3.
	ok(c1.word(5))
	refused("replay or too low", c1.word(4), c1.word(6))
	refused("by 1 to 64", c1.word(6+65), c1.word(6+64))
	if floor(w) != 700 {
		t.Fatalf("floor %d after word 70, want 700", floor(w))
	}
	ok(c1.word(71))

	// A new commitment from the floor (710): its first word is checked
	// in full.
	c2 := commit(t, payer, v.ChainID(), a.ID, 710, 8, 2, 2)
	refused("does not hash back to the commitment's root", c2.header(1, c1.words[0]), c2.word(1))
	// A commitment's fields are what the payer signed: the same words
	// and signature under another unit are refused.
	dearer := c2
	dearer.hc.Unit = big.NewInt(11)
	refused("not signed by channel 1's payer", dearer.word(2), c2.word(2))
	refused("is not of the commitment", c2.header(9, c2.words[7]), c2.word(8))
	if floor(w) != 790 {
		t.Fatalf("floor %d, want 790", floor(w))
	}
	// A payment by voucher after words: its nonce is above the commitment's.
	vo := api.Payment{Channel: 1, Agent: a.ID, Amount: big.NewInt(800), Nonce: 2, ChainID: v.ChainID()}
	vo.Signature, _ = payer.Sign(vo.Voucher().Digest())
	vo3 := vo
	vo3.Nonce = 3
	vo3.Signature, _ = payer.Sign(vo3.Voucher().Digest())
	refused("replay or too low", vo.Header(), vo3.Header())
	c3 := commit(t, payer, v.ChainID(), a.ID, 800, 50, 4, 3)
	ok(c3.word(1))
	ok(c3.word(2))

	// The words survive a restart, and the next word is checked against
	// the last one from the log.
	w.Sync()
	w2, err := Open(path, log)
	if err != nil {
		t.Fatal(err)
	}
	if floor(w2) != 820 {
		t.Fatalf("floor %d after a restart, want 820", floor(w2))
	}
	w = w2
	refused("does not hash back to word 2", c3.header(3, c3.words[3]), c3.word(3))
	// A word of an older commitment (nonce 1, below the channel's 4) is
	// refused, however high.
	refused("replay or too low", c1.word(95), c3.word(4))
	// The next word under a commitment altered in transit (its root, or
	// its signature), which the chain would not redeem: refused, not
	// taken as the next word of the commitment the ledger holds.
	otherRoot := c3
	otherRoot.hc.Root[0] ^= 1
	refused("not signed by channel 1's payer", otherRoot.word(5), c3.word(5))
	otherSig := c3
	otherSig.sig, _ = other.Sign(c3.hc.Digest())
	refused("not signed by channel 1's payer", otherSig.word(6), c3.word(6))

	// The owner's list holds the last word; the chain redeems it.
	rs := w.Redeemable(v, a.ID)
	if len(rs) != 1 || rs[0].HashChain == nil || rs[0].HashChain.K != 6 || rs[0].Amount != "860" {
		t.Fatalf("redeemable %+v", rs)
	}
	r, reason, good := CheckRedeemable(v, a.ID, rs[0])
	if !good {
		t.Fatalf("CheckRedeemable: %s", reason)
	}
	forged := r
	fw := *r.HashChain
	fw.Word[0] ^= 1
	forged.HashChain = &fw
	if _, reason, good := CheckRedeemable(v, a.ID, forged); good || !strings.Contains(reason, "does not hash back") {
		t.Fatalf("a forged word: %v %s", good, reason)
	}
	inflated := r
	inflated.Amount = "10000"
	if _, reason, good := CheckRedeemable(v, a.ID, inflated); good || !strings.Contains(reason, "not the word's total") {
		t.Fatalf("a word listed with another amount: %v %s", good, reason)
	}
	base, _ := new(big.Int).SetString(r.HashChain.Base, 10)
	unit, _ := new(big.Int).SetString(r.HashChain.Unit, 10)
	sig, err := hex.DecodeString(strings.TrimPrefix(r.Signature, "0x"))
	if err != nil {
		t.Fatal(err)
	}
	l.MustSend(owner, func(n uint64) chain.Msg {
		return chain.RedeemHashChain{Channel: 1, Base: base, Unit: unit, Count: r.HashChain.Count, Root: r.HashChain.Root,
			VoucherNonce: r.Nonce, Signature: sig, K: r.HashChain.K, Word: r.HashChain.Word, Nonce: n}
	})
	v = l.View()
	if c, _ = v.Channel(1); c.Redeemed.Big().Int64() != 860 {
		t.Fatalf("redeemed %s, want 860", c.Redeemed)
	}
	// After the redeem (the chain's nonce is the commitment's), the next
	// word still passes.
	if _, ref := w.Pay(v, a, c3.word(7), worker); ref != nil {
		t.Fatalf("the word after a redeem: %s", ref.Msg)
	}

	// A gateway learns a word only when it is the payer's.
	g, _ := Open("", log)
	if err := g.Learn(v, c, c3.header(8, c3.words[6])); err == nil || floor(g) != 860 {
		t.Fatalf("learnt a forged word: %v, floor %d", err, floor(g))
	}
	if err := g.Learn(v, c, c3.word(8)); err != nil || floor(g) != 880 {
		t.Fatalf("the payer's word: %v, floor %d", err, floor(g))
	}

	// A commitment's first word at a verifier is at most its 64th, and
	// its unit pays the price: a refused commitment is not kept, so each
	// sending of it costs a recovery and at most 64 hashes.
	f, _ := Open("", log)
	payF := func(h string) *Refusal { _, ref := f.Pay(v, a, h, worker); return ref }
	c4 := commit(t, payer, v.ChainID(), a.ID, 860, 100, 5, 4)
	if ref := payF(c4.word(65)); ref == nil || !strings.Contains(ref.Msg, "must be at most its 64th") {
		t.Fatalf("a first word past the 64th: %+v", ref)
	}
	if ref := payF(c4.word(64)); ref != nil {
		t.Fatalf("control: the 64th word first: %s", ref.Msg)
	}
	f, _ = Open("", log)
	cheap := c4
	cheap.hc.Unit = big.NewInt(9)
	cheap.sig, _ = payer.Sign(cheap.hc.Digest())
	if ref := payF(cheap.word(2)); ref == nil || !strings.Contains(ref.Msg, "below the agent's price") {
		t.Fatalf("a unit below the price: %+v", ref)
	}
	if ref := payF(c4.word(2)); ref != nil {
		t.Fatalf("control: the unit at the price: %s", ref.Msg)
	}
}

// BenchmarkPayWord measures what the verifier's check of a paid call
// costs the node (Pay: parse the header, read the channel, check and
// record the word), next to what a free call's check costs (none): the
// words of commitments of 10,000, each one's first word checked in full
// (the payer's signature, one hash), the headers built before the loop as
// a caller would send them.
func BenchmarkPayWord(b *testing.B) {
	l, _, payer, a, worker := paidChannel(b, 1<<60)
	v := l.View()
	w, err := Open(filepath.Join(b.TempDir(), "vouchers.log"), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	var (
		c     commitment
		k     uint64
		hs    = make([]string, 0, b.N)
		nonce uint64
	)
	for range b.N {
		if k == c.hc.Count {
			nonce++
			c = commit(b, payer, v.ChainID(), a.ID, int64(10*len(hs)), cove.MaxHashChainCount, nonce, byte(nonce))
			k = 0
		}
		k++
		hs = append(hs, c.word(k))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for _, h := range hs {
		if _, ref := w.Pay(v, a, h, worker); ref != nil {
			b.Fatal(ref.Msg)
		}
	}
}
