package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/gateway"
)

// Signer signs transaction digests for one account (account.Signer is one).
type Signer interface {
	Address() cove.Address
	Sign(digest cove.Hash) ([65]byte, error)
}

// ChainStatus returns the chain's id, height and app hash.
func (c *Client) ChainStatus(ctx context.Context) (gateway.ChainStatus, error) {
	var s gateway.ChainStatus
	err := c.do(ctx, http.MethodGet, "/v1/chain/status", nil, "", &s)
	return s, err
}

// Account returns an account's balance and next nonce.
func (c *Client) Account(ctx context.Context, addr cove.Address) (chain.Account, error) {
	var a chain.Account
	err := c.do(ctx, http.MethodGet, "/v1/chain/accounts/"+addr.String(), nil, "", &a)
	return a, err
}

// TxError is a transaction the chain refused.
type TxError struct {
	Outcome gateway.TxOutcome
}

func (e *TxError) Error() string {
	return fmt.Sprintf("transaction refused (%s): %s", chain.CodeName(e.Outcome.Code), e.Outcome.Log)
}

// SubmitTx posts a signed transaction and waits for its block. A refused
// transaction is a *TxError.
func (c *Client) SubmitTx(ctx context.Context, tx []byte) (gateway.TxOutcome, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/chain/tx", bytes.NewReader(tx))
	if err != nil {
		return gateway.TxOutcome{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return gateway.TxOutcome{}, fmt.Errorf("reach gateway %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return gateway.TxOutcome{}, fmt.Errorf("read gateway response: %w", err)
	}
	var out gateway.TxOutcome
	if err := json.Unmarshal(b, &out); err != nil || out.Hash == "" {
		return out, decodeError(resp.StatusCode, b)
	}
	if out.Code != 0 {
		return out, &TxError{Outcome: out}
	}
	return out, nil
}

// Send signs msg with s (at its next nonce, which Send sets) and submits it.
// A refusal for a bad nonce (another sender with the same key, such as a
// `cove dev` node whose operator is the dev key, took the nonce) is retried
// with the new next nonce, a few times: a refused nonce changes nothing.
func (c *Client) Send(ctx context.Context, s Signer, msg func(nonce uint64) chain.Msg) (gateway.TxOutcome, error) {
	for attempt := 0; ; attempt++ {
		out, err := c.send(ctx, s, msg)
		var te *TxError
		if attempt < 3 && errors.As(err, &te) && te.Outcome.Code == chain.CodeBadNonce {
			continue
		}
		return out, err
	}
}

func (c *Client) send(ctx context.Context, s Signer, msg func(nonce uint64) chain.Msg) (gateway.TxOutcome, error) {
	st, err := c.ChainStatus(ctx)
	if err != nil {
		return gateway.TxOutcome{}, err
	}
	acct, err := c.Account(ctx, s.Address())
	if err != nil {
		return gateway.TxOutcome{}, err
	}
	tx, err := chain.SignTx(st.NumericChainID, msg(acct.Nonce), s.Sign)
	if err != nil {
		return gateway.TxOutcome{}, fmt.Errorf("sign transaction: %w", err)
	}
	return c.SubmitTx(ctx, tx)
}

// Transfer sends amount base units from s to to.
func (c *Client) Transfer(ctx context.Context, s Signer, to cove.Address, amount *big.Int) (gateway.TxOutcome, error) {
	return c.Send(ctx, s, func(nonce uint64) chain.Msg {
		return chain.Transfer{To: to, Amount: amount, Nonce: nonce}
	})
}
