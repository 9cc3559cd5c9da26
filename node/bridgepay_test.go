package node

import (
	"errors"
	"math/big"
	"net/http"
	"testing"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/blob/cid"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/testchain"
)

// TestBridgeRefusesPricedAgents: an EVM request carries no voucher, so
// the bridge's Invoke refuses a priced agent's call (402) before any
// worker runs it; the same agent free again is passed to the worker.
func TestBridgeRefusesPricedAgents(t *testing.T) {
	owner := testchain.NewKey(t)
	l := testchain.New(t, owner.Address()) // the admin is funded
	code := []byte("export default { fetch() { return new Response('x') } }")
	d := chain.DeployAgent{Name: "priced", CID: cid.Of(code), CodeHash: cove.SHA256(code)}
	l.MustSend(owner, func(n uint64) chain.Msg { d.Nonce = n; return d })
	id := cove.DeriveAgentID(owner.Address(), d.CodeHash, d.Salt)
	l.MustSend(owner, func(n uint64) chain.Msg { return chain.SetAgentPrice{Agent: id, Price: big.NewInt(5), Nonce: n} })
	c := coveForBridge{w: nil, v: l.View} // no worker: a call that reached it would panic
	var ce *cove.Error
	if _, err := c.Invoke(t.Context(), id, cove.Call{Method: "POST"}); !errors.As(err, &ce) || ce.Status != http.StatusPaymentRequired {
		t.Fatalf("a priced agent through the bridge: %v", err)
	}
	l.MustSend(owner, func(n uint64) chain.Msg { return chain.SetAgentPrice{Agent: id, Price: big.NewInt(0), Nonce: n} })
	defer func() {
		if recover() == nil {
			t.Fatal("a free agent's call did not reach the worker")
		}
	}()
	c.Invoke(t.Context(), id, cove.Call{Method: "POST"})
}
