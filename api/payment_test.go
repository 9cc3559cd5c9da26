package api

import (
	"encoding/base64"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/cove-network/cove"
)

// TestParsePayment: a header round-trips, and each malformed form is
// refused beside the genuine one.
func TestParsePayment(t *testing.T) {
	p := Payment{Channel: 3, Agent: cove.AgentID{1}, Amount: big.NewInt(1234), Nonce: 7, ChainID: 9}
	p.Signature[64] = 27
	got, err := ParsePayment(p.Header())
	if err != nil || !samePaymentForTest(got, p) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	enc := func(j string) string { return b64(j) }
	good := `{"channel":3,"agent":"` + p.Agent.String() + `","amount":"1234","nonce":7,"chainId":9,"signature":"0x` + strings.Repeat("00", 64) + `1b"}`
	if _, err := ParsePayment(enc(good)); err != nil {
		t.Fatalf("genuine: %v", err)
	}
	for name, bad := range map[string]string{
		"amount a number": strings.Replace(good, `"1234"`, `1234`, 1),
		"leading zero":    strings.Replace(good, `"1234"`, `"01234"`, 1),
		"negative":        strings.Replace(good, `"1234"`, `"-1"`, 1),
		"above 2^256-1":   strings.Replace(good, `"1234"`, `"115792089237316195423570985008687907853269984665640564039457584007913129639936"`, 1),
		"v 0":             strings.Replace(good, `1b"}`, `00"}`, 1),
		"unknown field":   strings.Replace(good, `"nonce":7`, `"nonce":7,"x":1`, 1),
		"missing channel": strings.Replace(good, `"channel":3,`, ``, 1),
		"data after":      good + `{}`,
		"short signature": strings.Replace(good, `"0x00`, `"0x`, 1),
	} {
		if _, err := ParsePayment(enc(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if h := enc(good); len(h) > 20 {
		if _, err := ParsePayment(h[:10] + "\n" + h[10:]); err == nil {
			t.Error("a header with a line feed inside was accepted (Go's base64 decoder skips it)")
		}
	}
	if _, err := ParsePayment(strings.Repeat("A", MaxPaymentHeaderBytes+1)); err == nil {
		t.Error("an oversized header was accepted")
	}
}

func samePaymentForTest(a, b Payment) bool {
	same := a.Channel == b.Channel && a.Agent == b.Agent && a.Amount.Cmp(b.Amount) == 0 && a.Nonce == b.Nonce && a.ChainID == b.ChainID && a.Signature == b.Signature
	if a.Word == nil || b.Word == nil {
		return same && a.Word == nil && b.Word == nil
	}
	return same && a.SameCommitment(b) && a.Word.K == b.Word.K && a.Word.W == b.Word.W
}

// TestParseHashWord: a hash-chain word's header (ADR 26) round-trips
// with its amount base + k·unit, and each malformed form is refused:
// a field of either form missing, both forms mixed, a total past 2^256-1.
func TestParseHashWord(t *testing.T) {
	p := Payment{Channel: 3, Agent: cove.AgentID{1}, Nonce: 7, ChainID: 9,
		Word: &HashWord{Base: big.NewInt(100), Unit: big.NewInt(10), Count: 50, Root: cove.Hash{0xaa}, K: 4, W: cove.Hash{0xbb}}}
	p.Signature[64] = 28
	got, err := ParsePayment(p.Header())
	if err != nil || got.Word == nil || got.Amount.Int64() != 140 {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	p.Amount = big.NewInt(140)
	if !samePaymentForTest(got, p) {
		t.Fatalf("round trip: %+v", got)
	}
	if got.Digest() != p.Commitment().Digest() || got.Digest() == got.Voucher().Digest() {
		t.Fatal("a word's signature must sign its commitment")
	}
	sig := strings.Repeat("00", 64) + "1b"
	agent := strings.TrimPrefix(p.Agent.String(), "0x")
	root, word := strings.TrimPrefix(cove.Hash{0xaa}.String(), "0x"), strings.TrimPrefix(cove.Hash{0xbb}.String(), "0x")
	good := "hc1.9.3." + agent + ".7.100.10.50." + root + "." + sig + ".4." + word
	if got, err := ParsePayment(good); err != nil || got.Amount.Int64() != 140 || got.Word.K != 4 || got.Signature[64] != 27 {
		t.Fatalf("genuine: %+v %v", got, err)
	}
	max := "115792089237316195423570985008687907853269984665640564039457584007913129639935"
	for name, bad := range map[string]string{
		"a field short":     strings.Replace(good, ".4.", ".", 1),
		"a field more":      good + ".1",
		"k leading zero":    strings.Replace(good, ".4.", ".04.", 1),
		"k signed":          strings.Replace(good, ".4.", ".+4.", 1),
		"k empty":           strings.Replace(good, ".4.", "..", 1),
		"base leading zero": strings.Replace(good, ".100.", ".0100.", 1),
		"base negative":     strings.Replace(good, ".100.", ".-100.", 1),
		"upper hex":         strings.Replace(good, root, strings.ToUpper(root), 1),
		"0x hex":            strings.Replace(good, "."+word, ".0x"+word[2:], 1),
		"short root":        strings.Replace(good, root, root[2:], 1),
		"v 0":               strings.Replace(good, sig, strings.Repeat("00", 65), 1),
		"total too big":     strings.Replace(strings.Replace(good, ".100.", "."+max+".", 1), ".10.", ".1.", 1),
		"a line feed":       good + "\n",
		"count too big":     strings.Replace(good, ".50.", ".18446744073709551616.", 1),
	} {
		if _, err := ParsePayment(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzPaymentHeader: ParsePayment never panics, and what it accepts
// encodes back to a header that parses to the same payment.
func FuzzPaymentHeader(f *testing.F) {
	p := Payment{Channel: 1, Agent: cove.AgentID{2}, Amount: big.NewInt(10), Nonce: 1, ChainID: 7}
	p.Signature[64] = 28
	f.Add(p.Header())
	f.Add("")
	f.Add(b64(`{"channel":1}`))
	p.Word, p.Amount = &HashWord{Base: big.NewInt(5), Unit: big.NewInt(10), Count: 9, K: 2}, nil
	f.Add(p.Header())
	f.Fuzz(func(t *testing.T, h string) {
		got, err := ParsePayment(h)
		if err != nil {
			return
		}
		again, err := ParsePayment(got.Header())
		if err != nil || !samePaymentForTest(again, got) {
			t.Fatalf("%q parsed to %+v, which encodes to %+v (%v)", h, got, again, err)
		}
	})
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestSameCommitment: two words are of one commitment only when every
// signed field and the signature are the same (a verifier checks a word
// of the same commitment with a hash only); each difference beside the
// control.
func TestSameCommitment(t *testing.T) {
	w := func() Payment {
		p := Payment{Channel: 3, Agent: cove.AgentID{1}, Nonce: 7, ChainID: 9,
			Word: &HashWord{Base: big.NewInt(100), Unit: big.NewInt(10), Count: 50, Root: cove.Hash{0xaa}, K: 4, W: cove.Hash{0xbb}}}
		p.Signature[64] = 28
		return p
	}
	a := w()
	next := w()
	next.Word.K, next.Word.W = 5, cove.Hash{0xcc}
	if !a.SameCommitment(next) {
		t.Fatal("the next word of the same commitment")
	}
	for name, change := range map[string]func(p *Payment){
		"channel":   func(p *Payment) { p.Channel++ },
		"agent":     func(p *Payment) { p.Agent[0]++ },
		"nonce":     func(p *Payment) { p.Nonce++ },
		"chain":     func(p *Payment) { p.ChainID++ },
		"signature": func(p *Payment) { p.Signature[0]++ },
		"root":      func(p *Payment) { p.Word.Root[0]++ },
		"count":     func(p *Payment) { p.Word.Count++ },
		"base":      func(p *Payment) { p.Word.Base = big.NewInt(101) },
		"unit":      func(p *Payment) { p.Word.Unit = big.NewInt(11) },
		"voucher":   func(p *Payment) { p.Word = nil },
	} {
		b := w()
		change(&b)
		if a.SameCommitment(b) || b.SameCommitment(a) {
			t.Errorf("another %s: the same commitment", name)
		}
	}
}

// TestParseAmount: canonical decimal amounts from 0 to 2^256-1 parse to
// their value; anything else (a sign, a leading zero, a separator, a
// space, a non-ASCII digit, 2^256, more than 78 digits) is refused, each
// beside the genuine amount it differs from by one change.
func TestParseAmount(t *testing.T) {
	max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	for _, s := range []string{"0", "1", "10", "1000000000000000", "9999999999999999999", "10000000000000000000", "18446744073709551616", max.String()} {
		v, ok := ParseAmount(s)
		want, _ := new(big.Int).SetString(s, 10)
		if !ok || v.Cmp(want) != 0 {
			t.Errorf("ParseAmount(%q) = %v, %v; want %s", s, v, ok, want)
		}
	}
	over := new(big.Int).Add(max, big.NewInt(1)).String()
	for _, s := range []string{"", "+1", "-1", "-0", "01", "00", "1_000", " 1", "1 ", "1.0", "0x10", "١", "1e3", over, strings.Repeat("9", 79), "0" + max.String()} {
		if v, ok := ParseAmount(s); ok {
			t.Errorf("ParseAmount(%q) = %v, want a refusal", s, v)
		}
	}
}

// BenchmarkParseAmount: a price (16 digits) and a total past 2^64.
func BenchmarkParseAmount(b *testing.B) {
	for _, s := range []string{"1000000000000000", "123456789000000000000000"} {
		b.Run(strconv.Itoa(len(s)), func(b *testing.B) {
			for b.Loop() {
				if _, ok := ParseAmount(s); !ok {
					b.Fatal(s)
				}
			}
		})
	}
}

// TestWordPayment: the payment of word k of a commitment carries the
// commitment back (Commitment), pays base + k·unit, and goes through its
// header unchanged.
func TestWordPayment(t *testing.T) {
	hc := cove.HashChain{ChainID: 9, Channel: 3, Agent: cove.AgentID{1}, Base: big.NewInt(100), Unit: big.NewInt(10), Count: 50, Root: cove.Hash{0xaa}, Nonce: 7}
	var sig [65]byte
	sig[64] = 27
	p := WordPayment(hc, sig, 4, cove.Hash{0xbb})
	if got := p.Commitment(); got.Digest() != hc.Digest() {
		t.Fatalf("Commitment %+v, want %+v", got, hc)
	}
	if p.Amount.Int64() != 140 || p.Word.K != 4 || p.Word.W != (cove.Hash{0xbb}) || p.Signature != sig {
		t.Fatalf("word payment %+v %+v", p, p.Word)
	}
	back, err := ParsePayment(p.Header())
	if err != nil || !back.SameCommitment(p) || back.Amount.Cmp(p.Amount) != 0 || back.Word.K != 4 || back.Word.W != p.Word.W {
		t.Fatalf("through the header: %+v %v", back, err)
	}
}
