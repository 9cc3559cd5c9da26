package faults_test

import (
	"math/big"
	"testing"
)

// TestAudit shows that the accounting the scenarios rely on fails when a
// write is lost, invented or applied twice: it is the check that makes
// "nothing lost" a claim that can fail.
func TestAudit(t *testing.T) {
	rs := []result{{outcome: committed, height: 3}, {outcome: unknown}, {outcome: refused}, {outcome: committed, height: 4}, {outcome: unknown}}
	tests := []struct {
		name     string
		balance  int64
		nonce    uint64
		problems int
		in, out  int
	}{
		{"all as reported, one unknown committed", 0b01011, 3, 0, 1, 1},
		{"all as reported, no unknown committed", 0b01001, 2, 0, 0, 2},
		{"a committed transfer lost", 0b00001, 1, 1, 0, 2},
		{"a refused transfer applied", 0b01101, 3, 1, 0, 2},
		{"a transfer nobody sent", 0b101001, 3, 1, 0, 2},
		{"a transfer applied twice", 0b01001 + 1, 3, 2, 1, 1}, // 2^0 twice carries into bit 1
		{"a nonce used without a transfer", 0b01001, 3, 1, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems, in, out := audit(rs, big.NewInt(tt.balance), tt.nonce)
			if len(problems) != tt.problems || in != tt.in || out != tt.out {
				t.Errorf("audit: problems %q, unknown in %d out %d; want %d problems, %d in, %d out", problems, in, out, tt.problems, tt.in, tt.out)
			}
		})
	}
}
