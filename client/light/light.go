// Package light verifies Cove's CometBFT headers for clients, from a trust
// root the user pinned, with CometBFT's light-client verification
// (github.com/cometbft/cometbft/light: VerifyAdjacent, VerifyNonAdjacent
// and bisection between them). It is the client side's one importer of
// CometBFT, so package client stays free of it: client.SetVerifier takes a
// *Verifier as its HeaderVerifier.
//
// A proof of chain state at height H (GET /v1/chain/proof/{key}) is
// checked against the app hash in the header of block H+1, which the
// Verifier gets from a Source (the gateway's GET /v1/chain/light/{height})
// and verifies: signed by the validators it trusts, linked to the root.
// Nothing the gateway says is taken on its word.
package light

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	cmtlight "github.com/cometbft/cometbft/light"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
)

// Root is a trust root: the height and hash of a block header the user
// trusts (obtained out of band: `cove dev` prints its chain's; `cove chain
// trust` reads one from a gateway, which is trusting that gateway once).
type Root struct {
	Height int64
	Hash   []byte // 32 bytes, CometBFT's header hash
}

// ParseRoot parses "HEIGHT:0xHASH" (Root.String).
func ParseRoot(s string) (Root, error) {
	hs, xs, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return Root{}, fmt.Errorf("trust root %q: want HEIGHT:0xHASH", s)
	}
	h, err := strconv.ParseInt(hs, 10, 64)
	if err != nil || h < 1 {
		return Root{}, fmt.Errorf("trust root %q: height must be a number, 1 or more", s)
	}
	hash, err := hex.DecodeString(strings.TrimPrefix(xs, "0x"))
	if err != nil || len(hash) != 32 || !strings.HasPrefix(xs, "0x") {
		return Root{}, fmt.Errorf("trust root %q: hash must be 0x and 64 hex digits", s)
	}
	return Root{Height: h, Hash: hash}, nil
}

// String returns "HEIGHT:0xHASH".
func (r Root) String() string { return fmt.Sprintf("%d:0x%x", r.Height, r.Hash) }

// Source fetches light blocks: CometBFT's protobuf LightBlock (signed
// header and validator set) of a height. *client.Client is one.
type Source interface {
	LightBlock(ctx context.Context, height int64) ([]byte, error)
}

// Config tunes a Verifier. Zero fields take the defaults.
type Config struct {
	// TrustingPeriod is how long a verified header may vouch for the
	// validators that follow it (CometBFT's trusting period; the root must
	// be younger). Default 14 days.
	TrustingPeriod time.Duration
	// MaxClockDrift is how far ahead of Now a header's time may be.
	// Default 10 s.
	MaxClockDrift time.Duration
	// MaxAge is how old the header certifying a state may be: a gateway
	// may answer with an old but authentic state, and this bounds how old.
	// Default 5 minutes (the dev chain makes a block every ~200 ms).
	MaxAge time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Default values of Config.
const (
	DefaultTrustingPeriod = 14 * 24 * time.Hour
	DefaultMaxClockDrift  = 10 * time.Second
	DefaultMaxAge         = 5 * time.Minute
)

// Verifier verifies headers from a Root and remembers the ones it
// verified. It is safe for concurrent use.
type Verifier struct {
	src  Source
	root Root
	cfg  Config

	mu       sync.Mutex
	verified map[int64]*cmttypes.LightBlock // every header verified so far, the root's first
}

// New returns a Verifier of the headers src serves, from root.
func New(src Source, root Root, cfg Config) *Verifier {
	if cfg.TrustingPeriod <= 0 {
		cfg.TrustingPeriod = DefaultTrustingPeriod
	}
	if cfg.MaxClockDrift <= 0 {
		cfg.MaxClockDrift = DefaultMaxClockDrift
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Verifier{src: src, root: root, cfg: cfg, verified: map[int64]*cmttypes.LightBlock{}}
}

// ErrStale means the header that certifies a state is older than
// Config.MaxAge: the gateway served an old state (or the chain stopped).
var ErrStale = errors.New("stale chain state")

// AppHash returns the app hash after block height: the one in the header
// of block height+1, verified (Header), no older than Config.MaxAge.
//
// Security: this is what client.ProveState checks state proofs against;
// it is the gateway-independent part of every check.
func (v *Verifier) AppHash(ctx context.Context, height int64) ([]byte, error) {
	sh, err := v.Header(ctx, height+1)
	if err != nil {
		return nil, err
	}
	if age := v.cfg.Now().Sub(sh.Time); age > v.cfg.MaxAge {
		return nil, fmt.Errorf("%w: the header of block %d is %s old (at most %s)", ErrStale, sh.Height, age.Round(time.Second), v.cfg.MaxAge)
	}
	return bytes.Clone(sh.AppHash), nil
}

// Header returns the signed header of the block at height, verified: the
// root's own header (fetched and checked to hash to the root), or a later
// header that validators trusted from an already verified header signed
// (CometBFT's light-client rules: adjacent headers chain by validator-set
// hash, others need signatures of at least 1/3 of the trusted power,
// bisecting when the validator set changed too much; +2/3 of the header's
// own validators always). Heights below the root are refused.
//
// Security: every header comes from the Source, which is not trusted; only
// the root and the signatures are.
func (v *Verifier) Header(ctx context.Context, height int64) (*cmttypes.SignedHeader, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if height < v.root.Height {
		return nil, fmt.Errorf("verify header %d: below the trust root at height %d", height, v.root.Height)
	}
	root, err := v.rootBlock(ctx)
	if err != nil {
		return nil, err
	}
	if lb, ok := v.verified[height]; ok {
		return lb.SignedHeader, nil
	}
	// Start from the highest verified header below height.
	from := root
	for h, lb := range v.verified {
		if h < height && h > from.Height {
			from = lb
		}
	}
	lb, err := v.verifyFrom(ctx, from, height, 0)
	if err != nil {
		return nil, fmt.Errorf("verify header %d: %w", height, err)
	}
	return lb.SignedHeader, nil
}

// rootBlock returns the root's light block, fetching and checking it the
// first time: it must hash to the root's hash. v.mu is held.
func (v *Verifier) rootBlock(ctx context.Context) (*cmttypes.LightBlock, error) {
	if lb, ok := v.verified[v.root.Height]; ok {
		return lb, nil
	}
	lb, err := v.fetch(ctx, v.root.Height, "")
	if err != nil {
		return nil, fmt.Errorf("trust root: %w", err)
	}
	if got := lb.Hash(); !bytes.Equal(got, v.root.Hash) {
		return nil, fmt.Errorf("trust root: the header at height %d hashes to 0x%x, not the pinned 0x%x: this is not the pinned chain", v.root.Height, got, v.root.Hash)
	}
	if cmtlight.HeaderExpired(lb.SignedHeader, v.cfg.TrustingPeriod, v.cfg.Now()) {
		return nil, fmt.Errorf("trust root: the header at height %d is from %s, older than the trusting period %s: pin a newer root (cove chain trust)", v.root.Height, lb.Time.UTC().Format(time.RFC3339), v.cfg.TrustingPeriod)
	}
	v.verified[v.root.Height] = lb
	return lb, nil
}

// maxBisection bounds the depth of bisection (2^32 heights).
const maxBisection = 32

// verifyFrom verifies the header at height from the trusted light block,
// bisecting when the validators changed too much to skip. v.mu is held.
func (v *Verifier) verifyFrom(ctx context.Context, trusted *cmttypes.LightBlock, height int64, depth int) (*cmttypes.LightBlock, error) {
	lb, err := v.fetch(ctx, height, trusted.ChainID)
	if err != nil {
		return nil, err
	}
	err = cmtlight.Verify(trusted.SignedHeader, trusted.ValidatorSet, lb.SignedHeader, lb.ValidatorSet,
		v.cfg.TrustingPeriod, v.cfg.Now(), v.cfg.MaxClockDrift, cmtlight.DefaultTrustLevel)
	var tooMuch cmtlight.ErrNewValSetCantBeTrusted
	if errors.As(err, &tooMuch) && height-trusted.Height > 1 && depth < maxBisection {
		mid, err := v.verifyFrom(ctx, trusted, trusted.Height+(height-trusted.Height)/2, depth+1)
		if err != nil {
			return nil, err
		}
		return v.verifyFrom(ctx, mid, height, depth+1)
	}
	if err != nil {
		return nil, fmt.Errorf("header %d from header %d: %w", height, trusted.Height, err)
	}
	v.remember(lb)
	return lb, nil
}

// maxRemembered bounds the verified headers a Verifier keeps (besides the
// root's): a long-lived client verifies a header per proof.
const maxRemembered = 64

// remember keeps a verified light block, dropping the lowest but the
// root's when there are too many. v.mu is held.
func (v *Verifier) remember(lb *cmttypes.LightBlock) {
	v.verified[lb.Height] = lb
	if len(v.verified) <= maxRemembered+1 {
		return
	}
	lowest := int64(-1)
	for h := range v.verified {
		if h != v.root.Height && (lowest < 0 || h < lowest) {
			lowest = h
		}
	}
	delete(v.verified, lowest)
}

// fetch gets and decodes the light block at height and checks it is well
// formed (for chainID, unless empty: the root's is read from it) and of
// that height. Its signatures are not checked here.
func (v *Verifier) fetch(ctx context.Context, height int64, chainID string) (*cmttypes.LightBlock, error) {
	b, err := v.src.LightBlock(ctx, height)
	if err != nil {
		return nil, err
	}
	var pb cmtproto.LightBlock
	if err := pb.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("light block %d: decode: %w", height, err)
	}
	lb, err := cmttypes.LightBlockFromProto(&pb)
	if err != nil {
		return nil, fmt.Errorf("light block %d: %w", height, err)
	}
	if chainID == "" && lb.SignedHeader != nil && lb.Header != nil {
		chainID = lb.ChainID
	}
	if err := lb.ValidateBasic(chainID); err != nil {
		return nil, fmt.Errorf("light block %d: %w", height, err)
	}
	if lb.Height != height {
		return nil, fmt.Errorf("light block %d: the source sent height %d", height, lb.Height)
	}
	return lb, nil
}

// RootAt reads the header at height from src and returns it as a Root,
// without verifying anything: it trusts src. It is how a user pins a root
// from a gateway they trust now (cove chain trust), or cove dev prints its
// own.
func RootAt(ctx context.Context, src Source, height int64) (Root, error) {
	v := New(src, Root{}, Config{})
	lb, err := v.fetch(ctx, height, "")
	if err != nil {
		return Root{}, err
	}
	return Root{Height: height, Hash: lb.Hash()}, nil
}
