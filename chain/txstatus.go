package chain

import "time"

// TxState is what a node knows of a transaction, looked up by its hash.
type TxState string

// The states of a transaction a node looks up.
const (
	// TxCommitted: the transaction is in a block (it ran, with its code).
	TxCommitted TxState = "committed"
	// TxPending: the transaction passed CheckTx and waits in the node's
	// mempool; it may still be committed or dropped.
	TxPending TxState = "pending"
	// TxUnknown: the node has the transaction neither in a block nor in
	// its mempool (never received, refused by CheckTx, or dropped).
	TxUnknown TxState = "unknown"
)

// TxStatus is a transaction looked up by hash: its state and, when
// committed, its outcome (height, code, log, events). It is the JSON of
// GET /v1/chain/tx/{hash}: {"state","hash","height","code","log","events"}.
type TxStatus struct {
	State TxState `json:"state"`
	TxOutcome
}

// StoredBlock is a committed block as a node's block store keeps it, for
// explorers: its header's height, time, hash and proposer, and its
// transactions (the raw bytes; Decode reads them). NumTxs is set even when
// Txs is not loaded.
type StoredBlock struct {
	Height   int64
	Time     time.Time
	Hash     string // 0x-hex of CometBFT's block hash
	Proposer string // 0x-hex of the proposer's validator address
	NumTxs   int
	Txs      [][]byte
}
