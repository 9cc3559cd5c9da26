// Package evmcall is a consumer's side of the EVM anchor, for the CLI and
// tests: send a request through a consumer contract, wait for its
// fulfilment and read what came back (status, response, gas, blocks), or
// read a request's state. It speaks JSON-RPC to any EVM node.
package evmcall

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/contracts"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
)

// Client is an EVM node's JSON-RPC client (ethclient.Client, or go-ethereum's
// simulated backend client).
type Client interface {
	bind.ContractBackend
	bind.DeployBackend
	ChainID(ctx context.Context) (*big.Int, error)
	BlockNumber(ctx context.Context) (uint64, error)
	TransactionByHash(ctx context.Context, hash common.Hash) (*types.Transaction, bool, error)
}

// Dial connects to an EVM JSON-RPC endpoint.
func Dial(ctx context.Context, url string) (Client, error) {
	c, err := ethclient.DialContext(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("evm rpc %s: %w", url, err)
	}
	return c, nil
}

// Asked is a request sent through a consumer.
type Asked struct {
	ID       *big.Int
	Consumer common.Address
	Block    uint64 // the block holding the request
	Gas      uint64 // gas used by the request's transaction
	Tx       common.Hash
}

// Answer is a request's fulfilment, read from the chain.
type Answer struct {
	ID                *big.Int
	Status            uint16
	Response          []byte
	CodeHash          cove.Hash
	CallbackSucceeded bool
	Block             uint64 // the block holding the fulfilment
	Gas               uint64 // gas used by fulfil
	Tx                common.Hash
	Relayer           common.Address
}

// DeployConsumer deploys a PriceConsumer asking agent, owned by key (only
// its owner may ask it), and waits for it.
func DeployConsumer(ctx context.Context, c Client, key contracts.Signer, anchor common.Address, agent cove.AgentID) (common.Address, error) {
	opts, err := transactor(ctx, c, key)
	if err != nil {
		return common.Address{}, err
	}
	at, tx, _, err := contracts.DeployPriceConsumer(opts, c, anchor, agent)
	if err != nil {
		return common.Address{}, fmt.Errorf("deploy PriceConsumer: %w", err)
	}
	if _, err := bind.WaitDeployedHash(ctx, c, tx.Hash()); err != nil {
		return common.Address{}, fmt.Errorf("deploy PriceConsumer: %w", err)
	}
	return at, nil
}

// ConsumerAgent returns the agent a PriceConsumer (or AIConsumer) asks.
func ConsumerAgent(ctx context.Context, c Client, consumer common.Address) (cove.AgentID, error) {
	p, err := contracts.NewPriceConsumer(consumer, c)
	if err != nil {
		return cove.AgentID{}, err
	}
	a, err := p.Agent(&bind.CallOpts{Context: ctx})
	if err != nil {
		return cove.AgentID{}, fmt.Errorf("%s is not a consumer with an agent: %w", consumer, err)
	}
	return cove.AgentID(a), nil
}

// Ask sends ask(path, body, callbackGas) to a PriceConsumer with value fee
// from key and waits for the transaction.
func Ask(ctx context.Context, c Client, key contracts.Signer, consumer, anchor common.Address, path string, body []byte, callbackGas uint32, fee *big.Int) (Asked, error) {
	p, err := contracts.NewPriceConsumer(consumer, c)
	if err != nil {
		return Asked{}, err
	}
	opts, err := transactor(ctx, c, key)
	if err != nil {
		return Asked{}, err
	}
	opts.Value = fee
	tx, err := p.Ask(opts, path, body, callbackGas)
	if err != nil {
		_, desc := contracts.AnchorRevert(err)
		return Asked{}, fmt.Errorf("ask: %v %s", err, desc)
	}
	r, err := bind.WaitMinedHash(ctx, c, tx.Hash())
	if err != nil {
		return Asked{}, fmt.Errorf("ask: %w", err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return Asked{}, fmt.Errorf("ask: transaction %s reverted", tx.Hash())
	}
	a, err := contracts.NewCoveAnchorFilterer(anchor, c)
	if err != nil {
		return Asked{}, err
	}
	for _, l := range r.Logs {
		if ev, err := a.ParseCoveRequest(*l); err == nil && l.Address == anchor {
			return Asked{ID: ev.RequestId, Consumer: consumer, Block: r.BlockNumber.Uint64(), Gas: r.GasUsed, Tx: tx.Hash()}, nil
		}
	}
	return Asked{}, fmt.Errorf("ask: transaction %s made no CoveRequest on anchor %s (is the consumer bound to it?)", tx.Hash(), anchor)
}

// Wait polls until request id is fulfilled (and returns the answer), is
// cancelled, or ctx ends.
func Wait(ctx context.Context, c Client, anchor common.Address, id *big.Int, from uint64) (Answer, error) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		ans, st, err := Status(ctx, c, anchor, id, from)
		if err != nil {
			return Answer{}, err
		}
		switch st {
		case StateFulfilled:
			return ans, nil
		case StateCancelled:
			return Answer{}, fmt.Errorf("request %s was cancelled", id)
		case StateNone:
			return Answer{}, fmt.Errorf("request %s does not exist on anchor %s", id, anchor)
		}
		select {
		case <-ctx.Done():
			return Answer{}, fmt.Errorf("request %s: still pending: %w", id, ctx.Err())
		case <-t.C:
		}
	}
}

// A request's state on the anchor.
const (
	StateNone      = "none"
	StatePending   = "pending"
	StateFulfilled = "fulfilled"
	StateCancelled = "cancelled"
)

// Status reads request id's state and, when fulfilled, its answer (looking
// for the fulfilment from block from on).
func Status(ctx context.Context, c Client, anchor common.Address, id *big.Int, from uint64) (Answer, string, error) {
	a, err := contracts.NewCoveAnchor(anchor, c)
	if err != nil {
		return Answer{}, "", err
	}
	req, err := a.RequestOf(&bind.CallOpts{Context: ctx}, id)
	if err != nil {
		return Answer{}, "", fmt.Errorf("requestOf(%s): %w", id, err)
	}
	st := [...]string{StateNone, StatePending, StateFulfilled, StateCancelled}[min(int(req.Status), 3)]
	if st != StateFulfilled {
		return Answer{}, st, nil
	}
	it, err := a.FilterCoveFulfilled(&bind.FilterOpts{Start: from, Context: ctx}, []*big.Int{id})
	if err != nil {
		return Answer{}, "", fmt.Errorf("CoveFulfilled logs: %w", err)
	}
	defer it.Close()
	if !it.Next() {
		if it.Error() != nil {
			return Answer{}, "", it.Error()
		}
		return Answer{}, "", fmt.Errorf("request %s is fulfilled but no CoveFulfilled event is at or after block %d", id, from)
	}
	ev := it.Event
	ans := Answer{ID: id, Status: ev.Status, CallbackSucceeded: ev.CallbackSucceeded, Block: ev.Raw.BlockNumber, Tx: ev.Raw.TxHash}
	tx, _, err := c.TransactionByHash(ctx, ev.Raw.TxHash)
	if err != nil {
		return Answer{}, "", fmt.Errorf("fulfilment %s: %w", ev.Raw.TxHash, err)
	}
	if err := decodeFulfil(tx.Data(), &ans); err != nil {
		return Answer{}, "", err
	}
	if r, err := c.TransactionReceipt(ctx, ev.Raw.TxHash); err == nil {
		ans.Gas = r.GasUsed
	}
	if from, err := types.Sender(types.LatestSignerForChainID(tx.ChainId()), tx); err == nil {
		ans.Relayer = from
	}
	return ans, StateFulfilled, nil
}

// decodeFulfil reads the response and code hash from fulfil's calldata.
func decodeFulfil(data []byte, ans *Answer) error {
	ab, err := contracts.CoveAnchorMetaData.GetAbi()
	if err != nil {
		return err
	}
	m, ok := ab.Methods["fulfil"]
	if !ok || len(data) < 4 || string(data[:4]) != string(m.ID) {
		return errors.New("the fulfilment transaction is not a call of fulfil")
	}
	args, err := m.Inputs.Unpack(data[4:])
	if err != nil {
		return fmt.Errorf("fulfil calldata: %w", err)
	}
	r, ok1 := args[1].(struct {
		Agent        [32]uint8 `json:"agent"`
		CodeHash     [32]uint8 `json:"codeHash"`
		RequestHash  [32]uint8 `json:"requestHash"`
		Status       uint16    `json:"status"`
		ResponseHash [32]uint8 `json:"responseHash"`
		Timestamp    uint64    `json:"timestamp"`
	})
	resp, ok2 := args[2].([]byte)
	if !ok1 || !ok2 {
		return errors.New("fulfil calldata: unexpected argument types")
	}
	ans.Response, ans.CodeHash = resp, cove.Hash(r.CodeHash)
	return nil
}

// transactor returns transaction options for key on c's chain.
func transactor(ctx context.Context, c Client, key contracts.Signer) (*bind.TransactOpts, error) {
	id, err := c.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("eth_chainId: %w", err)
	}
	opts := contracts.Transactor(key, id)
	opts.Context = ctx
	return opts, nil
}
