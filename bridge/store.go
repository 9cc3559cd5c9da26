package bridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/internal/atomicfile"
	"github.com/ethereum/go-ethereum/common"
)

// Where a request is in the bridge's hands.
const (
	stageNew   = "new"   // seen; the agent has not answered yet (or must again)
	stageSent  = "sent"  // a fulfil transaction is out
	stageMined = "mined" // fulfilled on chain; kept until final, in case of a reorg
	stageStuck = "stuck" // not to be fulfilled by this bridge (attempts spent, an answer too large, too much callback gas): kept until the anchor settles it
)

// flight is one request the bridge has seen and not yet finished with.
type flight struct {
	ID        string       `json:"id"` // decimal
	Agent     cove.AgentID `json:"agent"`
	Path      string       `json:"path"`
	Body      []byte       `json:"body"`
	Hash      cove.Hash    `json:"requestHash"`
	Block     uint64       `json:"block"` // where the request was
	Stage     string       `json:"stage"`
	Attempts  int          `json:"attempts"`
	NextTry   time.Time    `json:"nextTry,omitzero"`
	LastError string       `json:"lastError,omitempty"`
	// Txs are the fulfil transactions sent for it, all with the same nonce
	// (each later one re-priced), as signed raw bytes so that a restart can
	// broadcast them again.
	Txs []sentTx `json:"txs,omitempty"`
	// Status is the agent's status in the fulfilment; Mined the block the
	// fulfilment is in.
	Status uint16 `json:"status,omitempty"`
	Mined  uint64 `json:"mined,omitempty"`
	// NonceUsed is the head at which the nonce of Txs was first seen used
	// with no receipt of them served (0: not seen so).
	NonceUsed uint64 `json:"nonceUsed,omitempty"`
	// Checked is the block at which a stuck request was last checked on
	// the anchor (it is dropped once settled).
	Checked uint64 `json:"checked,omitempty"`
	// SeenAt is when the bridge first saw the request (for latency).
	SeenAt time.Time `json:"seenAt"`
}

// sentTx is one signed transaction the bridge broadcast.
type sentTx struct {
	Hash   common.Hash `json:"hash"`
	Nonce  uint64      `json:"nonce"`
	Raw    []byte      `json:"raw"`
	SentAt time.Time   `json:"sentAt"`
}

// summary is what Status shows of f.
func (f *flight) summary() RequestStatus {
	return RequestStatus{ID: f.ID, Agent: f.Agent, Stage: f.Stage, Block: f.Block, Mined: f.Mined, Status: f.Status,
		Attempts: f.Attempts, LastError: f.LastError, SeenAt: f.SeenAt}
}

func (f *flight) id() *big.Int {
	n, _ := new(big.Int).SetString(f.ID, 10)
	return n
}

// blockRef is a scanned block: the reorg check compares its hash with the
// chain's.
type blockRef struct {
	Number uint64      `json:"number"`
	Hash   common.Hash `json:"hash"`
}

// relayState is what a chain's relay keeps in its file: the scan cursor,
// the hashes of the last scanned blocks, and the requests in flight.
type relayState struct {
	ChainID uint64         `json:"chainId"`
	Anchor  common.Address `json:"anchor"`
	// Next is the first block not yet scanned.
	Next      uint64             `json:"next"`
	Recent    []blockRef         `json:"recent"` // oldest first, at most keepRecent
	Flights   map[string]*flight `json:"flights"`
	Fulfilled uint64             `json:"fulfilled"` // requests this bridge fulfilled, all time
	// Registrations are attestor registrations sent and not yet mined,
	// by agent (0x-hex id): the transactions of one nonce, each later one
	// re-priced.
	Registrations map[string][]sentTx `json:"registrations,omitempty"`
}

// keepRecent is how many scanned blocks' hashes are kept for the reorg
// check: a reorg deeper than this (beyond any confirmation depth in use)
// is reported, not repaired.
const keepRecent = 128

// loadState reads path, or returns a fresh state for a chain and anchor.
// A file of another chain id or anchor is refused: its cursor means
// nothing for this one.
func loadState(path string, chainID uint64, anchor common.Address, start uint64) (*relayState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &relayState{ChainID: chainID, Anchor: anchor, Next: start, Flights: map[string]*flight{}, Registrations: map[string][]sentTx{}}, nil
	}
	if err != nil {
		return nil, err
	}
	var s relayState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("bridge state %s is damaged: %v (move it away to rescan from block %d)", path, err, start)
	}
	if s.ChainID != chainID || s.Anchor != anchor {
		return nil, fmt.Errorf("bridge state %s is for chain %d anchor %s, not chain %d anchor %s (move it away to start afresh)", path, s.ChainID, s.Anchor, chainID, anchor)
	}
	if s.Flights == nil {
		s.Flights = map[string]*flight{}
	}
	if s.Registrations == nil {
		s.Registrations = map[string][]sentTx{}
	}
	return &s, nil
}

// save writes s to path atomically (temp file, fsync, rename).
func (s *relayState) save(path string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b)
}
