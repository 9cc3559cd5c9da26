package bridge

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/contracts"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// anchorABI is CoveAnchor's ABI, parsed once.
var anchorABI = func() *abi.ABI {
	a, err := contracts.CoveAnchorMetaData.GetAbi()
	if err != nil {
		panic("bridge: CoveAnchor ABI: " + err.Error())
	}
	return a
}()

// coveRequestEvent is the topic of CoveRequest.
var coveRequestEvent = anchorABI.Events["CoveRequest"].ID

// Request is one CoveRequest of an anchor, decoded and checked.
type Request struct {
	ID       *big.Int
	Agent    cove.AgentID
	Consumer cove.Address
	Path     string
	Body     []byte
	// Hash is the requestHash the anchor stored; decodeRequest checks it is
	// contracts.RequestHash of the other fields.
	Hash cove.Hash
	// Block and BlockHash say where the log was; TxHash and Index which
	// log it was.
	Block     uint64
	BlockHash common.Hash
	TxHash    common.Hash
	Index     uint
}

// errNotRequest marks a log that is not a CoveRequest of the anchor.
var errNotRequest = errors.New("not a CoveRequest of the anchor")

// decodeRequest decodes l as a CoveRequest emitted by anchor on chainID.
// It refuses (with an error naming why) a log of another contract or event,
// wrong topics, data that is not the event's ABI encoding, and a
// requestHash that is not the one the anchor computes from the other
// fields: a request the bridge cannot answer with a receipt the anchor
// accepts.
func decodeRequest(l types.Log, chainID *big.Int, anchor common.Address) (Request, error) {
	if l.Address != anchor {
		return Request{}, fmt.Errorf("%w: emitted by %s", errNotRequest, l.Address)
	}
	if len(l.Topics) != 4 || l.Topics[0] != coveRequestEvent {
		return Request{}, fmt.Errorf("%w: %d topics", errNotRequest, len(l.Topics))
	}
	var data struct {
		Path        string
		Body        []byte
		RequestHash [32]byte
	}
	if err := anchorABI.UnpackIntoInterface(&data, "CoveRequest", l.Data); err != nil {
		return Request{}, fmt.Errorf("CoveRequest data: %w", err)
	}
	// A consumer topic is an address left-padded with zeros.
	if [12]byte(l.Topics[3][:12]) != [12]byte{} {
		return Request{}, fmt.Errorf("CoveRequest consumer topic %s is not an address", l.Topics[3])
	}
	r := Request{
		ID:        l.Topics[1].Big(),
		Agent:     cove.AgentID(l.Topics[2]),
		Consumer:  cove.Address(common.BytesToAddress(l.Topics[3][12:])),
		Path:      data.Path,
		Body:      data.Body,
		Hash:      cove.Hash(data.RequestHash),
		Block:     l.BlockNumber,
		BlockHash: l.BlockHash,
		TxHash:    l.TxHash,
		Index:     l.Index,
	}
	// Re-encoding must give the same bytes: the ABI decoder accepts
	// non-canonical encodings (offsets, padding) that the anchor never
	// emits.
	again, err := anchorABI.Events["CoveRequest"].Inputs.NonIndexed().Pack(r.Path, r.Body, data.RequestHash)
	if err != nil || string(again) != string(l.Data) {
		return Request{}, errors.New("CoveRequest data is not in canonical ABI form")
	}
	if want := contracts.RequestHash(chainID, cove.Address(anchor), r.Agent, r.Path, r.Body, r.ID); want != r.Hash {
		return Request{}, fmt.Errorf("request %s: requestHash %s, but the anchor's rule gives %s", r.ID, r.Hash, want)
	}
	return r, nil
}
