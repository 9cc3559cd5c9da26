// Package cometrpc is a small client of CometBFT's JSON-RPC over HTTP, the
// few methods the test harness and the chain benchmark need: block headers
// (height, time, app hash, transaction count) and broadcast_tx_sync. It
// speaks the wire format and does not import CometBFT, which stays behind
// package validator.
package cometrpc

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Client talks to one node's RPC address.
type Client struct {
	base string
	http *http.Client
}

// New returns a client of the RPC server at addr ("127.0.0.1:26657" or
// "http://127.0.0.1:26657").
func New(addr string) *Client {
	if !strings.HasPrefix(addr, "http://") && !strings.HasPrefix(addr, "https://") {
		addr = "http://" + addr
	}
	// Many concurrent broadcasts: keep enough idle connections that they
	// are reused instead of piling up in TIME_WAIT.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 256
	return &Client{base: strings.TrimSuffix(addr, "/"), http: &http.Client{Transport: tr}}
}

// Base returns the RPC URL.
func (c *Client) Base() string { return c.base }

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Header is the part of a block header the harness reads.
type Header struct {
	Height int64
	Time   time.Time
	// AppHash is the app hash after the block at Height-1, 0x-hex in lower
	// case (as the gateway's /v1/chain/status writes it).
	AppHash string
	// NumTxs is the number of transactions in the block; only Headers
	// fills it.
	NumTxs int
	// Round is the consensus round that committed the block (0 unless a
	// round timed out or failed); only Header fills it.
	Round int
}

type wireHeader struct {
	Height  string    `json:"height"`
	Time    time.Time `json:"time"`
	AppHash string    `json:"app_hash"`
}

func (w wireHeader) header() (Header, error) {
	h, err := strconv.ParseInt(w.Height, 10, 64)
	if err != nil {
		return Header{}, fmt.Errorf("header height %q: %w", w.Height, err)
	}
	return Header{Height: h, Time: w.Time, AppHash: "0x" + strings.ToLower(w.AppHash)}, nil
}

// Error is an error the RPC server answered.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    string `json:"data"`
}

func (e *Error) Error() string {
	if e.Data != "" {
		return fmt.Sprintf("cometbft rpc: %s: %s", e.Message, e.Data)
	}
	return "cometbft rpc: " + e.Message
}

// call runs method with params and decodes the result into out.
func (c *Client) call(ctx context.Context, method string, params map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cometbft rpc %s: %w", method, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("cometbft rpc %s: read: %w", method, err)
	}
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  *Error          `json:"error"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return fmt.Errorf("cometbft rpc %s: %s: %w", method, resp.Status, err)
	}
	if env.Error != nil {
		return fmt.Errorf("%s: %w", method, env.Error)
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		return fmt.Errorf("cometbft rpc %s: decode result: %w", method, err)
	}
	return nil
}

// AppHeight returns the height of the last block the node's application
// committed (method abci_info). It can trail LatestHeight: CometBFT saves
// a block to its store before the application runs and commits it, so
// state the block changes is readable at AppHeight, not yet at
// LatestHeight.
func (c *Client) AppHeight(ctx context.Context) (int64, error) {
	var res struct {
		Response struct {
			LastBlockHeight string `json:"last_block_height"`
		} `json:"response"`
	}
	if err := c.call(ctx, "abci_info", map[string]any{}, &res); err != nil {
		return 0, err
	}
	if res.Response.LastBlockHeight == "" {
		return 0, nil // nothing committed yet (CometBFT omits a zero)
	}
	return strconv.ParseInt(res.Response.LastBlockHeight, 10, 64)
}

// LatestHeight returns the height of the node's last block.
func (c *Client) LatestHeight(ctx context.Context) (int64, error) {
	var res struct {
		SyncInfo struct {
			LatestBlockHeight string `json:"latest_block_height"`
		} `json:"sync_info"`
	}
	if err := c.call(ctx, "status", map[string]any{}, &res); err != nil {
		return 0, err
	}
	return strconv.ParseInt(res.SyncInfo.LatestBlockHeight, 10, 64)
}

// Header returns the header of the block at height h (method commit).
func (c *Client) Header(ctx context.Context, h int64) (Header, error) {
	var res struct {
		SignedHeader struct {
			Header wireHeader `json:"header"`
			Commit struct {
				Round int `json:"round"`
			} `json:"commit"`
		} `json:"signed_header"`
	}
	if err := c.call(ctx, "commit", map[string]any{"height": strconv.FormatInt(h, 10)}, &res); err != nil {
		return Header{}, err
	}
	hd, err := res.SignedHeader.Header.header()
	hd.Round = res.SignedHeader.Commit.Round
	return hd, err
}

// AppHashAfter returns the app hash of the state after the block at height
// h, which the header of block h+1 carries: it fails until that block exists.
func (c *Client) AppHashAfter(ctx context.Context, h int64) (string, error) {
	hd, err := c.Header(ctx, h+1)
	if err != nil {
		return "", err
	}
	return hd.AppHash, nil
}

// Headers returns the headers of blocks from to to in ascending order
// (method blockchain, which answers at most 20 per call; Headers pages).
func (c *Client) Headers(ctx context.Context, from, to int64) ([]Header, error) {
	var out []Header
	for lo := from; lo <= to; lo += 20 {
		hi := min(lo+19, to)
		var res struct {
			BlockMetas []struct {
				Header wireHeader `json:"header"`
				NumTxs string     `json:"num_txs"`
			} `json:"block_metas"`
		}
		params := map[string]any{"minHeight": strconv.FormatInt(lo, 10), "maxHeight": strconv.FormatInt(hi, 10)}
		if err := c.call(ctx, "blockchain", params, &res); err != nil {
			return nil, err
		}
		if int64(len(res.BlockMetas)) != hi-lo+1 {
			return nil, fmt.Errorf("cometbft rpc blockchain %d..%d: %d blocks", lo, hi, len(res.BlockMetas))
		}
		// The server answers newest first.
		for i := len(res.BlockMetas) - 1; i >= 0; i-- {
			m := res.BlockMetas[i]
			h, err := m.Header.header()
			if err != nil {
				return nil, err
			}
			if h.NumTxs, err = strconv.Atoi(m.NumTxs); err != nil {
				return nil, fmt.Errorf("block %d num_txs %q: %w", h.Height, m.NumTxs, err)
			}
			out = append(out, h)
		}
	}
	return out, nil
}

// CheckResult is what broadcast_tx_sync answers: the result of CheckTx.
type CheckResult struct {
	Code uint32
	Log  string
	Hash string // 0x-hex, lower case
}

// ErrMempoolFull matches the error of a broadcast the mempool had no room
// for; the caller may retry it later.
var ErrMempoolFull = errors.New("mempool is full")

// BroadcastSync submits tx and returns once CheckTx has answered (method
// broadcast_tx_sync): the transaction is in the mempool when Code is 0, not
// yet in a block.
func (c *Client) BroadcastSync(ctx context.Context, tx []byte) (CheckResult, error) {
	var res struct {
		Code uint32 `json:"code"`
		Log  string `json:"log"`
		Hash string `json:"hash"`
	}
	err := c.call(ctx, "broadcast_tx_sync", map[string]any{"tx": base64.StdEncoding.EncodeToString(tx)}, &res)
	if err != nil {
		if e := (*Error)(nil); errors.As(err, &e) && strings.Contains(e.Data, "mempool is full") {
			return CheckResult{}, fmt.Errorf("%w: %w", ErrMempoolFull, err)
		}
		return CheckResult{}, err
	}
	if _, err := hex.DecodeString(res.Hash); err != nil {
		return CheckResult{}, fmt.Errorf("broadcast_tx_sync: hash %q: %w", res.Hash, err)
	}
	return CheckResult{Code: res.Code, Log: res.Log, Hash: "0x" + strings.ToLower(res.Hash)}, nil
}

// Validators returns the addresses (upper-case hex, as CometBFT writes
// them) of the validator set at height h with their voting power (method
// validators, first 100).
func (c *Client) Validators(ctx context.Context, h int64) (map[string]int64, error) {
	var res struct {
		Validators []struct {
			Address     string `json:"address"`
			VotingPower string `json:"voting_power"`
		} `json:"validators"`
	}
	if err := c.call(ctx, "validators", map[string]any{"height": strconv.FormatInt(h, 10), "per_page": "100"}, &res); err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, v := range res.Validators {
		p, err := strconv.ParseInt(v.VotingPower, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("validators: power %q: %w", v.VotingPower, err)
		}
		out[v.Address] = p
	}
	return out, nil
}

// CommitSigners returns the addresses of the validators whose precommits
// are in the commit of the block at height h (method commit).
func (c *Client) CommitSigners(ctx context.Context, h int64) ([]string, error) {
	var res struct {
		SignedHeader struct {
			Commit struct {
				Signatures []struct {
					BlockIDFlag      int    `json:"block_id_flag"`
					ValidatorAddress string `json:"validator_address"`
				} `json:"signatures"`
			} `json:"commit"`
		} `json:"signed_header"`
	}
	if err := c.call(ctx, "commit", map[string]any{"height": strconv.FormatInt(h, 10)}, &res); err != nil {
		return nil, err
	}
	var out []string
	for _, s := range res.SignedHeader.Commit.Signatures {
		if s.BlockIDFlag == 2 { // BlockIDFlagCommit: signed for the block
			out = append(out, s.ValidatorAddress)
		}
	}
	return out, nil
}
