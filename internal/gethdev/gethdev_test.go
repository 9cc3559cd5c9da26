package gethdev

import (
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
)

// TestStart: a started geth answers with chain id 1337, seals blocks, the
// test's key holds Funds while a fresh address holds nothing (the
// control), and once the test that started it ends, the RPC is gone.
func TestStart(t *testing.T) {
	var url string
	t.Run("running", func(t *testing.T) {
		start := time.Now()
		g := Start(t)
		t.Logf("geth --dev ready and the key funded in %s", time.Since(start).Round(time.Millisecond))
		url = g.URL
		var id string
		if err := g.Call(t.Context(), &id, "eth_chainId"); err != nil {
			t.Fatal(err)
		}
		if id != "0x539" {
			t.Fatalf("chain id %s, want 0x539 (1337)", id)
		}
		balance := func(addr [20]byte) *big.Int {
			var hex string
			if err := g.Call(t.Context(), &hex, "eth_getBalance", addrHex(addr), "latest"); err != nil {
				t.Fatal(err)
			}
			b, ok := new(big.Int).SetString(strings.TrimPrefix(hex, "0x"), 16)
			if !ok {
				t.Fatalf("balance %q", hex)
			}
			return b
		}
		if got := balance(crypto.PubkeyToAddress(g.Key.PublicKey)); got.Cmp(Funds) != 0 {
			t.Fatalf("the test's key holds %v wei, want %v", got, Funds)
		}
		other, _ := crypto.GenerateKey()
		if got := balance(crypto.PubkeyToAddress(other.PublicKey)); got.Sign() != 0 {
			t.Fatalf("a fresh address holds %v wei, want 0", got)
		}
		// Blocks keep coming (--dev.period 1) with no transaction sent.
		var first, later string
		if err := g.Call(t.Context(), &first, "eth_blockNumber"); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for later = first; later == first && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if err := g.Call(t.Context(), &later, "eth_blockNumber"); err != nil {
				t.Fatal(err)
			}
		}
		if later == first {
			t.Fatalf("no block after %s in 10s", first)
		}
	})
	if url == "" {
		return
	}
	// Start's cleanup waited for the process to exit; nothing answers.
	g := &Geth{URL: url, http: &http.Client{Timeout: 5 * time.Second}}
	var id string
	if err := g.Call(t.Context(), &id, "eth_chainId"); err == nil {
		t.Fatalf("geth at %s still answers after its test ended", url)
	}
}

func addrHex(a [20]byte) string { return fmt.Sprintf("0x%x", a) }
