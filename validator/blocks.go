package validator

import (
	"encoding/hex"
	"fmt"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
)

// Block returns the committed block at height with its transactions, from
// the block store; an error matching cove.ErrNotFound for a height the
// store does not hold (not reached yet).
func (s *Server) Block(height int64) (chain.StoredBlock, error) {
	bs := s.node.BlockStore()
	if height < 1 || height > bs.Height() {
		return chain.StoredBlock{}, fmt.Errorf("block %d: the chain is at height %d: %w", height, bs.Height(), cove.ErrNotFound)
	}
	b := bs.LoadBlock(height)
	if b == nil {
		return chain.StoredBlock{}, fmt.Errorf("block %d: not in this node's block store: %w", height, cove.ErrNotFound)
	}
	out := chain.StoredBlock{Height: b.Height, Time: b.Time, Hash: hexOf(b.Hash()), Proposer: hexOf(b.ProposerAddress), NumTxs: len(b.Txs)}
	for _, tx := range b.Txs {
		out.Txs = append(out.Txs, []byte(tx))
	}
	return out, nil
}

// BlockMeta returns the block at height without its transactions (NumTxs
// counts them): cheap enough to scan many.
func (s *Server) BlockMeta(height int64) (chain.StoredBlock, error) {
	bs := s.node.BlockStore()
	if height < 1 || height > bs.Height() {
		return chain.StoredBlock{}, fmt.Errorf("block %d: the chain is at height %d: %w", height, bs.Height(), cove.ErrNotFound)
	}
	m := bs.LoadBlockMeta(height)
	if m == nil {
		return chain.StoredBlock{}, fmt.Errorf("block %d: not in this node's block store: %w", height, cove.ErrNotFound)
	}
	return chain.StoredBlock{Height: m.Header.Height, Time: m.Header.Time, Hash: hexOf(m.BlockID.Hash),
		Proposer: hexOf(m.Header.ProposerAddress), NumTxs: m.NumTxs}, nil
}

// hexOf is b as 0x and lowercase hex digits.
func hexOf(b []byte) string { return "0x" + hex.EncodeToString(b) }
