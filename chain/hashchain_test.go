package chain

import (
	"math/big"
	"strings"
	"testing"

	"github.com/cove-network/cove"
)

// signHashChain returns k's signature of the commitment.
func signHashChain(t testing.TB, k testKey, hc cove.HashChain) Bytes {
	return signDigest(t, k, hc.Digest())
}

// TestRedeemHashChain: the agent's owner redeems words of a hash chain
// the channel's payer committed to (ADR 26): only the owner, only a word
// that hashes back to the root the payer signed for this channel, agent
// and chain, only k within the count, never above the deposit, never
// twice; vouchers and commitments mix, the highest total paid once. Each
// refusal beside a control that passes in the same state and differs in
// the one thing refused; the supply and the channels' books after every
// block.
func TestRedeemHashChain(t *testing.T) {
	a := newFeeApp(t)
	tm := genesisTime
	tx := nextNonceSigner(t, map[testKey]uint64{})
	step, refused := channelSteps(t, a, &tm)
	h, c := bundle("paid")
	agent := cove.DeriveAgentID(bob.addr, h, cove.Hash{1})
	step(tx(bob, func(n uint64) Msg {
		return DeployAgent{Name: "paid", CID: c, CodeHash: h, Salt: cove.Hash{1}, Nonce: n}
	}))
	step(tx(bob, func(n uint64) Msg { return SetAgentPrice{Agent: agent, Price: big.NewInt(10), Nonce: n} }),
		tx(alice, func(n uint64) Msg { return OpenChannel{Agent: agent, Deposit: big.NewInt(10_000), Nonce: n} }))

	root, words := cove.NewHashChain(cove.Hash{0x5e, 0xed}, 100)
	hc := cove.HashChain{ChainID: testChainID, Channel: 1, Agent: agent, Base: big.NewInt(0), Unit: big.NewInt(10), Count: 100, Root: root, Nonce: 1}
	// redeemSigned sends k's redeem of word w (the i-th) of commitment
	// sent, with signer's signature of commitment signed; redeem signs
	// the commitment it sends.
	redeemSigned := func(k testKey, sent, signed cove.HashChain, signer testKey, i uint64, w cove.Hash) []byte {
		return tx(k, func(n uint64) Msg {
			return RedeemHashChain{Channel: 1, Base: sent.Base, Unit: sent.Unit, Count: sent.Count, Root: sent.Root, VoucherNonce: sent.Nonce,
				Signature: signHashChain(t, signer, signed), K: i, Word: w, Nonce: n}
		})
	}
	redeem := func(k testKey, c cove.HashChain, signer testKey, i uint64, w cove.Hash) []byte {
		return redeemSigned(k, c, c, signer, i, w)
	}
	word := func(i uint64) cove.Hash { return words[i-1] }
	redeemed := func(want int64, nonce uint64) {
		t.Helper()
		if ch, _ := a.View().Channel(1); ch.Redeemed.Big().Int64() != want || ch.VoucherNonce != nonce {
			t.Fatalf("channel 1: redeemed %s nonce %d, want %d and %d", ch.Redeemed, ch.VoucherNonce, want, nonce)
		}
	}

	refused(CodeUnauthorized, "only its owner may redeem", redeem(alice, hc, alice, 5, word(5)), redeem(bob, hc, alice, 5, word(5)))
	redeemed(50, 1)
	// A word that is not the k-th: the one before it, named as the k-th.
	refused(CodeUnauthorized, "does not hash back", redeem(bob, hc, alice, 8, word(7)), redeem(bob, hc, alice, 7, word(7)))
	redeemed(70, 1)
	refused(CodeUnauthorized, "not signed by channel 1's payer", redeem(bob, hc, carol, 8, word(8)), redeem(bob, hc, alice, 8, word(8)))
	otherChain := hc
	otherChain.ChainID++
	refused(CodeUnauthorized, "not signed by channel 1's payer", redeemSigned(bob, hc, otherChain, alice, 9, word(9)), redeem(bob, hc, alice, 9, word(9)))
	// A root the payer did not sign, to which a made-up word hashes back.
	made := cove.Hash{0xba, 0xd}
	forged := hc
	forged.Root = cove.HashBack(made, 10)
	refused(CodeUnauthorized, "not signed by channel 1's payer", redeemSigned(bob, forged, hc, alice, 10, made), redeem(bob, hc, alice, 10, word(10)))
	redeemed(100, 1)
	// Every field of the commitment is signed: a higher unit is another
	// commitment.
	dearer := hc
	dearer.Unit = big.NewInt(11)
	refused(CodeUnauthorized, "not signed by channel 1's payer", redeemSigned(bob, dearer, hc, alice, 11, word(11)), redeem(bob, hc, alice, 11, word(11)))
	redeemed(110, 1)
	// Replayed or lower words add nothing; k beyond the count is none.
	refused(CodeInvalidArgument, "adds nothing", redeem(bob, hc, alice, 11, word(11)), redeem(bob, hc, alice, 12, word(12)))
	refused(CodeInvalidArgument, "adds nothing", redeem(bob, hc, alice, 3, word(3)), redeem(bob, hc, alice, 13, word(13)))
	refused(CodeUnauthorized, "is not of the commitment", redeem(bob, hc, alice, 0, root), redeem(bob, hc, alice, 14, word(14)))
	refused(CodeUnauthorized, "is not of the commitment", redeem(bob, hc, alice, 101, word(100)), redeem(bob, hc, alice, 100, word(100)))
	redeemed(1000, 1)

	// A voucher then takes the channel on, and a commitment from there.
	vo := cove.Voucher{ChainID: testChainID, Channel: 1, Agent: agent, Amount: big.NewInt(1200), Nonce: 2}
	step(tx(bob, func(n uint64) Msg {
		return Redeem{Channel: 1, Amount: vo.Amount, VoucherNonce: vo.Nonce, Signature: signVoucher(t, alice, vo), Nonce: n}
	}))
	redeemed(1200, 2)
	root2, words2 := cove.NewHashChain(cove.Hash{0x5e, 0xed, 2}, 10)
	near := cove.HashChain{ChainID: testChainID, Channel: 1, Agent: agent, Base: big.NewInt(9_970), Unit: big.NewInt(10), Count: 10, Root: root2, Nonce: 3}
	refused(CodeUnauthorized, "above channel 1's deposit", redeem(bob, near, alice, 4, words2[3]), redeem(bob, near, alice, 3, words2[2]))
	redeemed(10_000, 3)
	// The count is bounded: the chain hashes k times.
	big1 := cove.HashChain{ChainID: testChainID, Channel: 1, Agent: agent, Base: big.NewInt(0), Unit: big.NewInt(0), Count: cove.MaxHashChainCount + 1, Root: root, Nonce: 4}
	refused(CodeUnauthorized, "count is 10001", redeem(bob, big1, alice, 1, word(1)),
		tx(alice, func(n uint64) Msg { return CloseChannel{Channel: 1, Nonce: n} }))
}

// TestCheckHashChainCommitment: a commitment the payer signed for another
// of its channels, or another agent, does not pass for this channel's
// (verifiers build the commitment from the header, not from the channel),
// beside the genuine commitment.
func TestCheckHashChainCommitment(t *testing.T) {
	c := ChannelRecord{ID: 1, Payer: alice.addr, Agent: cove.AgentID{7}, Deposit: AmountOf(big.NewInt(100))}
	hc := cove.HashChain{ChainID: testChainID, Channel: 1, Agent: c.Agent, Base: big.NewInt(0), Unit: big.NewInt(1), Count: 5, Root: cove.Hash{1}, Nonce: 1}
	if _, reason, ok := CheckHashChainCommitment(c, hc, signHashChain(t, alice, hc)); !ok {
		t.Fatalf("the genuine commitment: %s", reason)
	}
	otherChannel, otherAgent := hc, hc
	otherChannel.Channel = 2
	otherAgent.Agent = cove.AgentID{8}
	for _, bad := range []cove.HashChain{otherChannel, otherAgent} {
		if _, reason, ok := CheckHashChainCommitment(c, bad, signHashChain(t, alice, bad)); ok || !strings.Contains(reason, "not of channel 1") {
			t.Errorf("a commitment of channel %d, agent %s passed for channel 1: %v %s", bad.Channel, bad.Agent, ok, reason)
		}
	}
}
