package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
)

// Agent tokens and DAOs (issue 11, ADR 24).

// Token returns an agent's token with its price, reserve and treasury
// now, and holder's holding unless holder is zero.
func (c *Client) Token(ctx context.Context, agent cove.AgentID, holder cove.Address) (chain.TokenState, error) {
	path := "/v1/chain/agents/" + agent.String() + "/token"
	if !holder.IsZero() {
		path += "?holder=" + url.QueryEscape(holder.String())
	}
	var t chain.TokenState
	err := c.do(ctx, http.MethodGet, path, nil, "", &t)
	return t, err
}

// DAO returns an agent's DAO with its treasury and every proposal's
// state.
func (c *Client) DAO(ctx context.Context, agent cove.AgentID) (chain.DAOState, error) {
	var d chain.DAOState
	err := c.do(ctx, http.MethodGet, "/v1/chain/daos/"+agent.String(), nil, "", &d)
	return d, err
}

// Proposal returns a proposal and where it stands.
func (c *Client) Proposal(ctx context.Context, id uint64) (chain.ProposalState, error) {
	var p chain.ProposalState
	err := c.do(ctx, http.MethodGet, "/v1/chain/proposals/"+strconv.FormatUint(id, 10), nil, "", &p)
	return p, err
}

// ProposeMsg returns the Propose of action (an UpgradeAgent,
// SetAgentPrice, SetFreeTier or WithdrawTreasury of agent, its nonce
// unset) for the DAO of agent.
func ProposeMsg(agent cove.AgentID, action chain.Msg, description string) (func(nonce uint64) chain.Msg, error) {
	j, err := action.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return func(n uint64) chain.Msg {
		return chain.Propose{Agent: agent, ActionType: action.Type(), Action: string(j), Description: description, Nonce: n}
	}, nil
}
