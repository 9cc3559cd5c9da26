package devevm

import (
	"math/big"
	"testing"

	"github.com/cove-network/cove/contracts"
	"github.com/ethereum/go-ethereum"
)

// TestOsakaGas: a first storage write costs what it costs on today's
// chains (Osaka: 20,000 + 2,100 for the cold slot), not the draft Bogota
// fork's price, which go-ethereum's dev config also enables: a vault
// deposit, one fresh slot and one log, is estimated under 50,000 gas.
func TestOsakaGas(t *testing.T) {
	h := start(t)
	at, _ := h.chain.Example(ExampleVault)
	parsed, err := contracts.ApprovalVaultMetaData.GetAbi()
	if err != nil {
		t.Fatal(err)
	}
	data, err := parsed.Pack("deposit")
	if err != nil {
		t.Fatal(err)
	}
	from := h.chain.Accounts()[5].Address
	gas, err := h.chain.Client().EstimateGas(t.Context(), ethereum.CallMsg{From: from, To: &at, Value: big.NewInt(1), Data: data})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("deposit: %d gas", gas)
	if gas > 50_000 {
		t.Fatalf("a deposit is estimated at %d gas, over 50,000: storage is not priced as on Osaka", gas)
	}
}
