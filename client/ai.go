package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
)

// NewAIKey asks the gateway's AI API for an API key metered to signer's
// account, authorized by a Cove-Auth header signer signs. The key is shown
// only in the answer.
func (c *Client) NewAIKey(ctx context.Context, signer Signer) (api.AIKey, error) {
	const path = "/v1/ai/keys"
	auth, err := c.Authorize(ctx, signer, http.MethodPost, path)
	if err != nil {
		return api.AIKey{}, fmt.Errorf("sign the key request: %w", err)
	}
	var k api.AIKey
	err = c.doWith(ctx, http.MethodPost, path, nil, map[string]string{api.HeaderAuth: auth}, &k)
	return k, err
}

// AIUsage returns the tokens the API key used.
func (c *Client) AIUsage(ctx context.Context, key string) (api.AIUsage, error) {
	var u api.AIUsage
	err := c.doWith(ctx, http.MethodGet, "/v1/ai/usage", nil, map[string]string{"Authorization": "Bearer " + key}, &u)
	return u, err
}

// AIReport asks for the AI API's attestation report with a fresh random
// nonce and checks that its report data binds the signing address it
// names and that nonce. It does not check the quote itself: `cove attest
// verify` (or the chain's TEE policy) does that.
func (c *Client) AIReport(ctx context.Context) (api.AIReport, error) {
	var nonce [32]byte
	rand.Read(nonce[:])
	var r api.AIReport
	if err := c.doWith(ctx, http.MethodGet, "/v1/attestation/report?nonce="+url.QueryEscape(hex.EncodeToString(nonce[:])), nil, nil, &r); err != nil {
		return r, err
	}
	addr, err := cove.ParseAddress(r.SigningAddress)
	if err != nil {
		return r, fmt.Errorf("attestation report: signing_address: %w", err)
	}
	want := api.AIReportData(addr, nonce)
	if r.ReportData != hex.EncodeToString(want[:]) || r.RequestNonce != hex.EncodeToString(nonce[:]) {
		return r, fmt.Errorf("attestation report: its report data does not bind %s and this request's nonce", addr)
	}
	return r, nil
}

// Params returns the chain's parameters (the TEE policy among them) and
// the height they were proven at: with a HeaderVerifier from chain state
// against a verified header, else what GET /v1/chain/params says (height
// 0: the gateway is trusted).
func (c *Client) Params(ctx context.Context) (chain.Params, int64, error) {
	if c.Verified() {
		p, err := c.ProveState(ctx, chain.ParamsKey())
		if err != nil {
			return chain.Params{}, 0, fmt.Errorf("chain params: %w", err)
		}
		var params chain.Params
		if p.Value == nil || json.Unmarshal(p.Value, &params) != nil {
			return chain.Params{}, 0, fmt.Errorf("chain params: the proven value at height %d is not params", p.Height)
		}
		return params, p.Height, nil
	}
	var out struct {
		Params chain.Params `json:"params"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/chain/params", nil, "", &out); err != nil {
		return chain.Params{}, 0, err
	}
	return out.Params, 0, nil
}
