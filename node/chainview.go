package node

import (
	"context"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/gateway"
	"github.com/cove-network/cove/validator"
)

// chainView adapts the local validator to the gateway's Chain.
type chainView struct{ v *validator.Server }

func (c chainView) Status() gateway.ChainStatus {
	st := c.v.Status()
	out := gateway.ChainStatus{ChainID: st.ChainID, Height: st.Height, AppHash: st.AppHash}
	c.v.State(func(a *chain.App) { out.NumericChainID = a.ChainID() })
	return out
}

func (c chainView) Account(addr cove.Address) (acct chain.Account) {
	c.v.State(func(a *chain.App) { acct = a.Account(addr) })
	return acct
}

func (c chainView) Agent(id cove.AgentID) (rec chain.AgentRecord, err error) {
	c.v.State(func(a *chain.App) { rec, err = a.Agent(id) })
	return rec, err
}

func (c chainView) Agents() (recs []chain.AgentRecord) {
	c.v.State(func(a *chain.App) { recs = a.Agents() })
	return recs
}

func (c chainView) Workers() (recs []chain.WorkerRecord) {
	c.v.State(func(a *chain.App) { recs = a.Workers() })
	return recs
}

func (c chainView) Gatekeepers() (recs []chain.GatekeeperRecord) {
	c.v.State(func(a *chain.App) { recs = a.Gatekeepers() })
	return recs
}

func (c chainView) Epochs() (recs []chain.EpochRecord) {
	c.v.State(func(a *chain.App) { recs = a.Epochs() })
	return recs
}

func (c chainView) Provisions(id cove.Hash) (recs []chain.ProvisionRecord) {
	c.v.State(func(a *chain.App) { recs = a.Provisions(id) })
	return recs
}

func (c chainView) Broadcast(ctx context.Context, tx []byte) (gateway.TxOutcome, error) {
	out, err := c.v.Broadcast(ctx, tx)
	return gateway.TxOutcome(out), err
}
