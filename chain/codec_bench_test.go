package chain

import "testing"

// The codec benchmarks run over one message of every type (sampleMsgs), so
// an op is ten messages.

// BenchmarkDecode decodes a signed transaction of every type.
func BenchmarkDecode(b *testing.B) {
	var txs [][]byte
	for _, m := range sampleMsgs(b) {
		txs = append(txs, alice.tx(b, m))
	}
	for b.Loop() {
		for _, tx := range txs {
			if _, err := Decode(tx); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkEncode encodes a signed transaction of every type.
func BenchmarkEncode(b *testing.B) {
	var txs []Tx
	for _, m := range sampleMsgs(b) {
		tx, err := Decode(alice.tx(b, m))
		if err != nil {
			b.Fatal(err)
		}
		txs = append(txs, tx)
	}
	for b.Loop() {
		for _, tx := range txs {
			if _, err := tx.Encode(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkDigest computes the EIP-712 digest of a message of every type.
func BenchmarkDigest(b *testing.B) {
	msgs := sampleMsgs(b)
	for b.Loop() {
		for _, m := range msgs {
			_ = Tx{Msg: m}.Digest(testChainID)
		}
	}
}
