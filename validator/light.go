package validator

import (
	"context"
	"fmt"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cove-network/cove"
)

// LightBlock returns what a light client needs to verify the header of the
// block at height: its signed header (the header and the commit that +2/3
// of the validators signed) and the validator set of that height, as
// CometBFT's protobuf encoding of tendermint.types.LightBlock. The header
// of block H carries the app hash after block H-1. A height the block store
// does not have yet is an error matching cove.ErrNotFound.
//
// Security: nothing here is trusted by the reader: a client checks the
// signatures from a trust root of its own (package client/light).
func (s *Server) LightBlock(ctx context.Context, height int64) ([]byte, error) {
	if latest := s.node.BlockStore().Height(); height < 1 || height > latest {
		return nil, fmt.Errorf("light block %d: the chain is at height %d: %w", height, latest, cove.ErrNotFound)
	}
	c, err := s.rpc.Commit(ctx, &height)
	if err != nil {
		return nil, fmt.Errorf("light block %d: commit: %w", height, err)
	}
	var vals []*cmttypes.Validator
	for page, perPage := 1, 100; ; page++ {
		r, err := s.rpc.Validators(ctx, &height, &page, &perPage)
		if err != nil {
			return nil, fmt.Errorf("light block %d: validators: %w", height, err)
		}
		vals = append(vals, r.Validators...)
		if len(vals) >= r.Total || len(r.Validators) == 0 {
			break
		}
	}
	lb := &cmttypes.LightBlock{SignedHeader: &c.SignedHeader, ValidatorSet: cmttypes.NewValidatorSet(vals)}
	if err := lb.ValidateBasic(c.ChainID); err != nil {
		return nil, fmt.Errorf("light block %d: %w", height, err)
	}
	pb, err := lb.ToProto()
	if err != nil {
		return nil, fmt.Errorf("light block %d: %w", height, err)
	}
	b, err := pb.Marshal()
	if err != nil {
		return nil, fmt.Errorf("light block %d: encode: %w", height, err)
	}
	return b, nil
}
