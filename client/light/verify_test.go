package light_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/client/light"
)

// signers is a validator set with the private keys of its members, in
// the set's order.
type signers struct {
	set *cmttypes.ValidatorSet
	pvs []cmttypes.PrivValidator
}

func newSigners(n int) signers {
	byAddr := map[string]cmttypes.PrivValidator{}
	var vals []*cmttypes.Validator
	for range n {
		pv := cmttypes.NewMockPV()
		v := pv.ExtractIntoValidator(10)
		byAddr[string(v.Address)] = pv
		vals = append(vals, v)
	}
	s := signers{set: cmttypes.NewValidatorSet(vals)}
	for _, v := range s.set.Validators {
		s.pvs = append(s.pvs, byAddr[string(v.Address)])
	}
	return s
}

const synthChainID = "cove-synthetic"

// synthChain makes the light blocks of heights 1..n of a chain whose
// validators at height h are at(h), one block a second from start.
func synthChain(t testing.TB, n int64, start time.Time, at func(h int64) signers) map[int64]*cmttypes.LightBlock {
	t.Helper()
	blocks := map[int64]*cmttypes.LightBlock{}
	var last cmttypes.BlockID
	for h := int64(1); h <= n; h++ {
		vals, next := at(h), at(h+1)
		app := sha256.Sum256(fmt.Appendf(nil, "app hash %d", h))
		hdr := cmttypes.Header{
			Version: cmtversion.Consensus{Block: version.BlockProtocol, App: 1},
			ChainID: synthChainID, Height: h, Time: start.Add(time.Duration(h) * time.Second),
			LastBlockID: last, ValidatorsHash: vals.set.Hash(), NextValidatorsHash: next.set.Hash(),
			AppHash: app[:], ProposerAddress: vals.set.Validators[0].Address,
		}
		parts := sha256.Sum256(hdr.Hash())
		id := cmttypes.BlockID{Hash: hdr.Hash(), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: parts[:]}}
		votes := cmttypes.NewVoteSet(synthChainID, h, 0, cmtproto.PrecommitType, vals.set)
		ext, err := cmttypes.MakeExtCommit(id, h, 0, votes, vals.pvs, hdr.Time.Add(time.Millisecond), false)
		if err != nil {
			t.Fatal(err)
		}
		blocks[h] = &cmttypes.LightBlock{SignedHeader: &cmttypes.SignedHeader{Header: &hdr, Commit: ext.ToCommit()}, ValidatorSet: vals.set}
		last = id
	}
	return blocks
}

// blockSource serves light blocks from a map, with overrides, and records
// which heights were asked for.
type blockSource struct {
	mu       sync.Mutex
	blocks   map[int64]*cmttypes.LightBlock
	override map[int64][]byte
	asked    []int64
}

func (s *blockSource) LightBlock(_ context.Context, h int64) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, h)
	if b, ok := s.override[h]; ok {
		return b, nil
	}
	lb, ok := s.blocks[h]
	if !ok {
		return nil, fmt.Errorf("no block %d: %w", h, cove.ErrNotFound)
	}
	pb, err := lb.ToProto()
	if err != nil {
		return nil, err
	}
	return pb.Marshal()
}

func encodeBlock(t testing.TB, lb *cmttypes.LightBlock) []byte {
	t.Helper()
	pb, err := lb.ToProto()
	if err != nil {
		t.Fatal(err)
	}
	b, err := pb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBisection: the validators change completely at height 5, so no
// header after it can be trusted straight from the root: the verifier
// bisects down to the adjacent step 4→5 and goes on from there. A header
// signed by validators no verified header announced is refused (the honest
// chain is the control).
func TestBisection(t *testing.T) {
	a, b, c := newSigners(2), newSigners(3), newSigners(1)
	start := time.Now().Add(-time.Minute)
	at := func(h int64) signers {
		if h < 5 {
			return a
		}
		return b
	}
	chain := synthChain(t, 10, start, at)
	root := light.Root{Height: 1, Hash: chain[1].Hash()}
	src := &blockSource{blocks: chain}
	v := light.New(src, root, light.Config{})
	sh, err := v.Header(context.Background(), 10)
	if err != nil {
		t.Fatalf("header 10 across a validator change: %v", err)
	}
	if !bytes.Equal(sh.Hash(), chain[10].Hash()) {
		t.Fatal("verified another header 10")
	}
	if !containsAll(src.asked, 4, 5) {
		t.Errorf("asked for heights %v: no bisection down to 4 and 5", src.asked)
	}
	later := light.New(src, light.Root{Height: 5, Hash: chain[5].Hash()}, light.Config{})
	if _, err := later.Header(context.Background(), 3); err == nil || !strings.Contains(err.Error(), "below the trust root") {
		t.Errorf("header below the root: %v", err)
	}

	// The same chain, but from height 7 on signed by c, which no header
	// announced.
	forged := synthChain(t, 10, start, func(h int64) signers {
		if h >= 7 {
			return c
		}
		return at(h)
	})
	fsrc := &blockSource{blocks: chain, override: map[int64][]byte{}}
	for h := int64(7); h <= 10; h++ {
		fsrc.override[h] = encodeBlock(t, forged[h])
	}
	if _, err := light.New(fsrc, root, light.Config{}).Header(context.Background(), 10); err == nil {
		t.Fatal("verified a header of validators no verified header announced")
	}
}

func containsAll(hs []int64, want ...int64) bool {
	for _, w := range want {
		found := false
		for _, h := range hs {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

// FuzzLightBlock: whatever bytes a source serves for a header, the
// verifier does not panic, and it accepts only the header the trusted
// validators signed.
func FuzzLightBlock(f *testing.F) {
	a := newSigners(2)
	start := time.Now().Add(-time.Minute)
	chain := synthChain(f, 4, start, func(int64) signers { return a })
	f.Add(encodeBlock(f, chain[3]))
	f.Add(encodeBlock(f, chain[2]))
	f.Add(encodeBlock(f, chain[4]))
	f.Add([]byte{})
	f.Add([]byte("\x0a\x02\x0a\x00"))
	root := light.Root{Height: 1, Hash: chain[1].Hash()}
	f.Fuzz(func(t *testing.T, b []byte) {
		src := &blockSource{blocks: chain, override: map[int64][]byte{3: b}}
		sh, err := light.New(src, root, light.Config{}).Header(context.Background(), 3)
		if err != nil {
			if errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "verify header 3") {
				t.Fatalf("error %v does not name the header", err)
			}
			return
		}
		if !bytes.Equal(sh.Hash(), chain[3].Hash()) {
			t.Fatalf("accepted a header 3 the validators did not sign: %x", sh.Hash())
		}
	})
}

// TestRemembersBoundedHeaders: a long-lived verifier keeps verifying after
// more headers than it remembers, from the root or a remembered header.
func TestRemembersBoundedHeaders(t *testing.T) {
	a := newSigners(1)
	chain := synthChain(t, 200, time.Now().Add(-time.Hour), func(int64) signers { return a })
	v := light.New(&blockSource{blocks: chain}, light.Root{Height: 1, Hash: chain[1].Hash()}, light.Config{})
	for _, h := range []int64{150, 3, 199, 2, 100} {
		for i := range int64(80) {
			if hh := (h+i)%199 + 2; hh <= 200 {
				if _, err := v.Header(context.Background(), hh); err != nil {
					t.Fatalf("header %d: %v", hh, err)
				}
			}
		}
	}
}
