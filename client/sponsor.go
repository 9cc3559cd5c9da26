package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
)

// Sponsored transactions (docs/PROTOCOL.md, SponsoredTx): a user signs a
// transaction, a sponsor pays for it.

// SignTx signs the message msg builds for s's next nonce (0 for an
// account the chain does not know yet) without sending it: the inner
// transaction a sponsor sends (Sponsor).
func (c *Client) SignTx(ctx context.Context, s Signer, msg func(nonce uint64) chain.Msg) ([]byte, error) {
	chainID, err := c.NumericChainID(ctx)
	if err != nil {
		return nil, err
	}
	acct, err := c.Account(ctx, s.Address())
	if err != nil {
		return nil, fmt.Errorf("sign: the next nonce of %s: %w", s.Address(), err)
	}
	return chain.SignTx(chainID, msg(acct.Nonce), s.Sign)
}

// Sponsor sends inner, user's signed transaction, in a SponsoredTx signed
// by sponsor, which pays its fee under its policy. The user is named by
// the sponsor, not read from inner: the chain refuses an inner that does
// not recover to it (one signed for another chain, say).
func (c *Client) Sponsor(ctx context.Context, sponsor Signer, user cove.Address, inner []byte) (chain.TxOutcome, error) {
	if _, err := chain.Decode(inner); err != nil {
		return chain.TxOutcome{}, fmt.Errorf("sponsor: %w", err)
	}
	return c.Send(ctx, sponsor, func(n uint64) chain.Msg { return chain.SponsoredTx{Inner: string(inner), User: user, Nonce: n} })
}

// SendSponsored signs the message msg builds with user (SignTx) and sends
// it with sponsor paying (Sponsor).
func (c *Client) SendSponsored(ctx context.Context, user, sponsor Signer, msg func(nonce uint64) chain.Msg) (chain.TxOutcome, error) {
	inner, err := c.SignTx(ctx, user, msg)
	if err != nil {
		return chain.TxOutcome{}, err
	}
	return c.Sponsor(ctx, sponsor, user.Address(), inner)
}

// SponsorPolicy returns an account's sponsor policy (an *Error with status
// 404 when it has none).
func (c *Client) SponsorPolicy(ctx context.Context, sponsor cove.Address) (chain.SponsorPolicy, error) {
	var p chain.SponsorPolicy
	err := c.do(ctx, http.MethodGet, "/v1/chain/sponsors/"+sponsor.String(), nil, "", &p)
	return p, err
}
