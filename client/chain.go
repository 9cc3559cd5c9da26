package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strconv"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/txsend"
)

// Signer signs transaction digests for one account (account.Signer is one).
type Signer = txsend.Signer

// UnsettledError is a transaction whose submission ended without an
// answer and that a look-up by hash did not find committed: its State says
// whether it is pending (it may still commit) or unknown to the node.
type UnsettledError = txsend.UnsettledError

// ChainStatus returns the chain's id, height and app hash.
func (c *Client) ChainStatus(ctx context.Context) (api.ChainStatus, error) {
	var s api.ChainStatus
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
	Outcome chain.TxOutcome
}

func (e *TxError) Error() string {
	if e.Outcome.Height > 0 {
		// Refused in the block: committed, its nonce spent.
		return fmt.Sprintf("transaction %s committed at height %d, refused (%s): %s", e.Outcome.Hash, e.Outcome.Height, chain.CodeName(e.Outcome.Code), e.Outcome.Log)
	}
	return fmt.Sprintf("transaction refused (%s): %s", chain.CodeName(e.Outcome.Code), e.Outcome.Log)
}

// SubmitTx posts a signed transaction and waits for its block. A refused
// transaction is a *TxError.
func (c *Client) SubmitTx(ctx context.Context, tx []byte) (chain.TxOutcome, error) {
	out, err := c.submit(ctx, tx)
	if err == nil && out.Code != chain.CodeOK {
		return out, &TxError{Outcome: out}
	}
	return out, err
}

// submit posts a signed transaction and returns its outcome, refused or
// not; an error means the outcome is not known.
func (c *Client) submit(ctx context.Context, tx []byte) (chain.TxOutcome, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/chain/tx", bytes.NewReader(tx))
	if err != nil {
		return chain.TxOutcome{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return chain.TxOutcome{}, fmt.Errorf("reach gateway %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return chain.TxOutcome{}, fmt.Errorf("read gateway response: %w", err)
	}
	var out chain.TxOutcome
	if err := json.Unmarshal(b, &out); err != nil || out.Hash == "" {
		err := decodeError(resp.StatusCode, b)
		if resp.StatusCode >= 400 && resp.StatusCode < 500 {
			// The gateway refused the request itself (malformed, too
			// large): the transaction went nowhere.
			err = notSubmitted{err}
		}
		return out, err
	}
	return out, nil
}

// notSubmitted is a gateway's refusal of the request that carried a
// transaction: the transaction never reached the chain.
type notSubmitted struct{ error }

func (e notSubmitted) Is(target error) bool { return target == txsend.ErrNotSubmitted }

func (e notSubmitted) Unwrap() error { return e.error }

// TxStatus looks a transaction up by hash (GET /v1/chain/tx/{hash}):
// committed with its outcome, pending in the node's mempool, or unknown.
//
// Security: the answer is the gateway's word, as the answer of SubmitTx
// is; a verifying client does not prove it.
func (c *Client) TxStatus(ctx context.Context, hash cove.Hash) (chain.TxStatus, error) {
	var st chain.TxStatus
	err := c.do(ctx, http.MethodGet, "/v1/chain/tx/"+hash.String(), nil, "", &st)
	if err == nil && st.State != chain.TxCommitted && st.State != chain.TxPending && st.State != chain.TxUnknown {
		return st, fmt.Errorf("look up tx %s: gateway answered state %q", hash, st.State)
	}
	return st, err
}

// Send signs msg with s at its next nonce and submits it through
// package txsend: a refusal for a bad nonce (another sender with the same
// key, such as a `cove dev` node whose operator is the dev key, took the
// nonce) is retried with the new next nonce, a few times. Any other refusal
// is a *TxError.
func (c *Client) Send(ctx context.Context, s Signer, msg func(nonce uint64) chain.Msg) (chain.TxOutcome, error) {
	c.mu.Lock()
	max := c.maxFee
	c.mu.Unlock()
	if max != nil {
		if _, err := chain.WithMaxFee(msg(0), max); err != nil {
			return chain.TxOutcome{}, err
		}
		inner := msg
		msg = func(nonce uint64) chain.Msg {
			m, _ := chain.WithMaxFee(inner(nonce), max) // checked above for this type
			return m
		}
	}
	out, err := txsend.New(ledger{c}, s).Send(ctx, msg)
	c.mu.Lock()
	observe := c.observe
	c.mu.Unlock()
	if observe != nil && out.Height > 0 {
		observe(out)
	}
	if err == nil && out.Code != chain.CodeOK {
		return out, &TxError{Outcome: out}
	}
	return out, err
}

// SetMaxFee makes every transaction c signs from now on carry maxFee max
// (base units): the chain refuses it (chain.CodeFeeAboveMax) rather than
// take more. Nil removes the limit.
func (c *Client) SetMaxFee(max *big.Int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.maxFee = max
}

// ObserveTxs has f called with the outcome of every transaction Send
// gets into a block (succeeded or failed: a failed one paid its fee too).
func (c *Client) ObserveTxs(f func(chain.TxOutcome)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.observe = f
}

// Fee returns the fee a transaction of type typ and size bytes pays under
// the chain's committed parameters (GET /v1/chain/fee).
func (c *Client) Fee(ctx context.Context, typ string, size int) (*big.Int, error) {
	var e api.FeeEstimate
	q := url.Values{"type": {typ}, "bytes": {strconv.Itoa(size)}}
	if err := c.do(ctx, http.MethodGet, "/v1/chain/fee?"+q.Encode(), nil, "", &e); err != nil {
		return nil, err
	}
	v, ok := new(big.Int).SetString(e.Fee, 10)
	if !ok || v.Sign() < 0 {
		return nil, fmt.Errorf("fee: gateway answered %q", e.Fee)
	}
	return v, nil
}

// Supply returns the chain's supply record and treasury balance (GET
// /v1/chain/supply).
func (c *Client) Supply(ctx context.Context) (api.Supply, error) {
	var s api.Supply
	err := c.do(ctx, http.MethodGet, "/v1/chain/supply", nil, "", &s)
	return s, err
}

// ledger is the gateway's chain API as a txsend.Ledger.
type ledger struct{ c *Client }

func (l ledger) ChainID(ctx context.Context) (uint64, error) { return l.c.NumericChainID(ctx) }

func (l ledger) Nonce(ctx context.Context, addr cove.Address) (uint64, error) {
	a, err := l.c.Account(ctx, addr)
	return a.Nonce, err
}

func (l ledger) Submit(ctx context.Context, tx []byte) (chain.TxOutcome, error) {
	return l.c.submit(ctx, tx)
}

func (l ledger) Lookup(ctx context.Context, h cove.Hash) (chain.TxStatus, error) {
	return l.c.TxStatus(ctx, h)
}

// Transfer sends amount base units from s to to.
func (c *Client) Transfer(ctx context.Context, s Signer, to cove.Address, amount *big.Int) (chain.TxOutcome, error) {
	return c.Send(ctx, s, func(nonce uint64) chain.Msg {
		return chain.Transfer{To: to, Amount: amount, Nonce: nonce}
	})
}

// EVM returns the EVM chains the gateway's node bridges (GET /v1/evm).
func (c *Client) EVM(ctx context.Context) ([]api.EVMChain, error) {
	var out struct {
		Chains []api.EVMChain `json:"chains"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/evm", nil, "", &out)
	return out.Chains, err
}

// NodeInfo returns what the node behind the gateway runs (GET /v1/node).
func (c *Client) NodeInfo(ctx context.Context) (api.NodeInfo, error) {
	var info api.NodeInfo
	err := c.do(ctx, http.MethodGet, "/v1/node", nil, "", &info)
	return info, err
}

// Workers returns the workers registered on chain, as the gateway says.
func (c *Client) Workers(ctx context.Context) ([]chain.WorkerRecord, error) {
	var out struct {
		Workers []chain.WorkerRecord `json:"workers"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/chain/workers", nil, "", &out)
	return out.Workers, err
}

// Validators returns the chain's validator set, sorted by address, as the
// gateway says.
func (c *Client) Validators(ctx context.Context) ([]chain.ValidatorRecord, error) {
	var out struct {
		Validators []chain.ValidatorRecord `json:"validators"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/chain/validators", nil, "", &out)
	return out.Validators, err
}

// Epochs returns the key epochs published on chain, oldest first, as the
// gateway says.
func (c *Client) Epochs(ctx context.Context) ([]chain.EpochRecord, error) {
	var out struct {
		Epochs []chain.EpochRecord `json:"epochs"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/chain/keys", nil, "", &out)
	return out.Epochs, err
}

// Pools returns every stake pool (GET /v1/chain/pools, page by page).
func (c *Client) Pools(ctx context.Context) ([]api.Pool, error) {
	return allPages[api.Pool](ctx, c, "/v1/chain/pools", "pools")
}

// Vaults returns every vault (GET /v1/chain/vaults, page by page).
func (c *Client) Vaults(ctx context.Context) ([]api.Vault, error) {
	return allPages[api.Vault](ctx, c, "/v1/chain/vaults", "vaults")
}

// allPages reads a paged list ({key: [...], "next"}) to its end.
func allPages[T any](ctx context.Context, c *Client, path, key string) ([]T, error) {
	var all []T
	var after uint64
	for {
		var out map[string]json.RawMessage
		if err := c.do(ctx, http.MethodGet, path+"?after="+strconv.FormatUint(after, 10), nil, "", &out); err != nil {
			return nil, err
		}
		var items []T
		if err := json.Unmarshal(out[key], &items); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		all = append(all, items...)
		var next uint64
		if raw, ok := out["next"]; !ok || json.Unmarshal(raw, &next) != nil || next <= after {
			return all, nil
		}
		after = next
	}
}

// Vault returns one vault (GET /v1/chain/vaults/{id}).
func (c *Client) Vault(ctx context.Context, id uint64) (api.Vault, error) {
	var v api.Vault
	err := c.do(ctx, http.MethodGet, "/v1/chain/vaults/"+strconv.FormatUint(id, 10), nil, "", &v)
	return v, err
}

// VaultStakes returns an account's shares of every vault (the "vaults" of
// GET /v1/chain/accounts/{addr}/stakes).
func (c *Client) VaultStakes(ctx context.Context, addr cove.Address) ([]api.VaultStake, error) {
	var out struct {
		Vaults []api.VaultStake `json:"vaults"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/chain/accounts/"+addr.String()+"/stakes", nil, "", &out)
	return out.Vaults, err
}

// Pool returns one stake pool (GET /v1/chain/pools/{id}).
func (c *Client) Pool(ctx context.Context, id uint64) (api.Pool, error) {
	var p api.Pool
	err := c.do(ctx, http.MethodGet, "/v1/chain/pools/"+strconv.FormatUint(id, 10), nil, "", &p)
	return p, err
}

// Stakes returns an account's shares of every pool (GET
// /v1/chain/accounts/{addr}/stakes).
func (c *Client) Stakes(ctx context.Context, addr cove.Address) ([]api.Stake, error) {
	var out struct {
		Stakes []api.Stake `json:"stakes"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/chain/accounts/"+addr.String()+"/stakes", nil, "", &out)
	return out.Stakes, err
}

// WorkerState is a registered worker as GET /v1/chain/workers/{id} has it.
type WorkerState struct {
	Worker chain.WorkerRecord `json:"worker"`
	// Pool is its place in a stake pool (nil when in none).
	Pool *chain.PoolWorker `json:"pool"`
	// Confidence is chain.Confidence of the record, in fixed point
	// (10^18 is 1).
	Confidence string `json:"confidence"`
}

// Worker returns a registered worker, its place in a stake pool and its
// confidence in rewards: GET /v1/chain/workers/{id}.
func (c *Client) Worker(ctx context.Context, id cove.Hash) (WorkerState, error) {
	var out WorkerState
	err := c.do(ctx, http.MethodGet, "/v1/chain/workers/"+id.String(), nil, "", &out)
	return out, err
}
