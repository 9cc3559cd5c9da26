package client

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/receipt"
)

// HeaderVerifier gives the app hash after a block from a header it
// verified itself, from a trust root of its own: package client/light's
// Verifier, which checks CometBFT's signed headers.
type HeaderVerifier interface {
	// AppHash returns the app hash after block height, read from the
	// verified header of block height+1; an error if that header does not
	// verify or is too old to tell the current state.
	AppHash(ctx context.Context, height int64) ([]byte, error)
}

// ErrUntrusted means a client has no HeaderVerifier: what the gateway
// says cannot be checked.
var ErrUntrusted = errors.New("no trust root: the gateway's answers cannot be checked (pin one: cove chain trust)")

// SetVerifier makes c check the chain state it relies on (the key it seals
// secrets to, the agent records it verifies receipts against) with proofs
// against headers v verified. Without one, c trusts its gateway for them.
func (c *Client) SetVerifier(v HeaderVerifier) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.verifier = v
	c.chainID = 0 // asked of the gateway before: prove it now
}

// headerVerifier returns the HeaderVerifier SetVerifier set, or nil.
func (c *Client) headerVerifier() HeaderVerifier {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.verifier
}

// Verified reports whether c checks the state it relies on (SetVerifier).
func (c *Client) Verified() bool { return c.headerVerifier() != nil }

// Proof fetches the gateway's proof of a state key (GET
// /v1/chain/proof/{key}). It checks nothing: see ProveState.
func (c *Client) Proof(ctx context.Context, key []byte) (chain.StateProof, error) {
	var out api.StateProof
	if err := c.do(ctx, http.MethodGet, "/v1/chain/proof/"+url.PathEscape(string(key)), nil, "", &out); err != nil {
		return chain.StateProof{}, fmt.Errorf("get proof of %q: %w", key, err)
	}
	p := chain.StateProof{Height: out.Height}
	var err error
	if p.Key, err = unhex(out.Key); err == nil {
		p.Proof, err = unhex(out.Proof)
	}
	if err == nil && out.Value != nil {
		p.Value, err = unhex(*out.Value)
	}
	if err != nil {
		return chain.StateProof{}, fmt.Errorf("decode proof of %q: %w", key, err)
	}
	return p, nil
}

// LightBlock fetches the signed header and validator set of the block at
// height (GET /v1/chain/light/{height}), CometBFT's protobuf LightBlock.
// It checks nothing: package client/light does.
func (c *Client) LightBlock(ctx context.Context, height int64) ([]byte, error) {
	var out api.LightBlock
	if err := c.do(ctx, http.MethodGet, "/v1/chain/light/"+strconv.FormatInt(height, 10), nil, "", &out); err != nil {
		return nil, fmt.Errorf("get light block %d: %w", height, err)
	}
	if out.Height != height {
		return nil, fmt.Errorf("get light block %d: the gateway answered height %d", height, out.Height)
	}
	b, err := unhex(out.LightBlock)
	if err != nil {
		return nil, fmt.Errorf("decode light block %d: %w", height, err)
	}
	return b, nil
}

func unhex(s string) ([]byte, error) {
	if !strings.HasPrefix(s, "0x") {
		return nil, fmt.Errorf("%.20q is not 0x-hex", s)
	}
	return hex.DecodeString(s[2:])
}

// ProveState returns the value of a state key (nil if absent) at the
// height the gateway proves it at, checked against the app hash of a header
// c's HeaderVerifier verified. Without one it returns ErrUntrusted.
//
// Security: the value is as good as the trust root: the gateway chooses
// which height it proves (the verifier refuses headers older than its
// maximum age), but it cannot make up a value.
func (c *Client) ProveState(ctx context.Context, key []byte) (chain.StateProof, error) {
	v := c.headerVerifier()
	if v == nil {
		return chain.StateProof{}, ErrUntrusted
	}
	p, err := c.Proof(ctx, key)
	if err != nil {
		return chain.StateProof{}, err
	}
	if !bytes.Equal(p.Key, key) {
		return chain.StateProof{}, fmt.Errorf("prove %q: the gateway proved key %q instead", key, p.Key)
	}
	appHash, err := v.AppHash(ctx, p.Height)
	if err != nil {
		return chain.StateProof{}, fmt.Errorf("prove %q: %w", key, err)
	}
	if err := p.Verify(appHash); err != nil {
		return chain.StateProof{}, fmt.Errorf("prove %q at height %d: %w", key, p.Height, err)
	}
	return p, nil
}

// SealingKey is the key new secrets are sealed to: the chain's latest key
// epoch and its cluster public key.
type SealingKey struct {
	Epoch     uint32
	PublicKey []byte
	// Height is the height the chain state was proven at (0 when the
	// gateway was trusted instead).
	Height int64
}

// SealingKey returns the key to seal secrets to. With a HeaderVerifier it
// comes from the chain: the latest epoch (state key meta/key_epoch) and
// that epoch's record, each proven against a verified header; the
// gateway's GET /v1/keys is not used. Without one, it is what GET /v1/keys
// says: the gateway is trusted.
//
// The two proofs may be of consecutive heights (a block may land between
// the requests); an epoch's record never changes once published, so the
// key is the one of the epoch that was latest at the first height.
//
// Security: a gateway that lies about the key could read every secret
// sealed to it; with a verifier, a lie is an error, not a key.
func (c *Client) SealingKey(ctx context.Context) (SealingKey, error) {
	if !c.Verified() {
		k, err := c.Keys(ctx)
		if err != nil {
			return SealingKey{}, fmt.Errorf("get cluster key: %w", err)
		}
		pub, err := unhex(k.PublicKey)
		if err != nil {
			return SealingKey{}, fmt.Errorf("cluster key: %w", err)
		}
		return SealingKey{Epoch: k.Epoch, PublicKey: pub}, nil
	}
	latest, err := c.ProveState(ctx, chain.LatestEpochKey())
	if err != nil {
		return SealingKey{}, fmt.Errorf("latest key epoch: %w", err)
	}
	if latest.Value == nil {
		return SealingKey{}, fmt.Errorf("latest key epoch: the chain has none at height %d (no gatekeeper has published one yet)", latest.Height)
	}
	var epoch uint64
	if err := json.Unmarshal(latest.Value, &epoch); err != nil || epoch > 1<<32-1 {
		return SealingKey{}, fmt.Errorf("latest key epoch: proven value %q is not an epoch", latest.Value)
	}
	rec, err := c.ProveState(ctx, chain.EpochKey(epoch))
	if err != nil {
		return SealingKey{}, fmt.Errorf("key epoch %d: %w", epoch, err)
	}
	var er chain.EpochRecord
	if rec.Value == nil {
		return SealingKey{}, fmt.Errorf("key epoch %d: no record at height %d", epoch, rec.Height)
	}
	if err := json.Unmarshal(rec.Value, &er); err != nil || er.Epoch != epoch || len(er.ClusterPublicKey) != chain.ClusterPublicKeySize {
		return SealingKey{}, fmt.Errorf("key epoch %d: proven record is not the epoch's key", epoch)
	}
	return SealingKey{Epoch: uint32(epoch), PublicKey: er.ClusterPublicKey, Height: rec.Height}, nil
}

// ProvenAgent returns an agent's record as the chain holds it, proven
// against a verified header (ErrUntrusted without a HeaderVerifier; an
// error matching cove.ErrNotFound if the chain proves it has no such
// agent).
func (c *Client) ProvenAgent(ctx context.Context, id cove.AgentID) (chain.AgentRecord, error) {
	p, err := c.ProveState(ctx, chain.AgentKey(id))
	if err != nil {
		return chain.AgentRecord{}, fmt.Errorf("agent %s: %w", id, err)
	}
	if p.Value == nil {
		return chain.AgentRecord{}, fmt.Errorf("agent %s at height %d: %w", id, p.Height, cove.ErrNotFound)
	}
	var rec chain.AgentRecord
	if err := json.Unmarshal(p.Value, &rec); err != nil || rec.ID != id {
		return chain.AgentRecord{}, fmt.Errorf("agent %s: the proven record does not decode as this agent's", id)
	}
	return rec, nil
}

// AgentProofWait bounds how long ProvenAgent waits for a new agent or its
// attestor to appear in the proven state, which trails the committed state
// by a block, and the attestor by the gatekeeper's SetAttestor.
const AgentProofWait = 10 * time.Second

// provenAgentReady is ProvenAgent, waiting up to AgentProofWait while the
// chain proves no such agent, or the agent has no attestor yet.
func (c *Client) provenAgentReady(ctx context.Context, id cove.AgentID) (chain.AgentRecord, error) {
	deadline := time.Now().Add(AgentProofWait)
	for {
		rec, err := c.ProvenAgent(ctx, id)
		if (err == nil && !rec.Attestor.IsZero()) || (err != nil && !errors.Is(err, cove.ErrNotFound)) || time.Now().After(deadline) {
			return rec, err
		}
		select {
		case <-ctx.Done():
			return rec, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// VerifyReceipt checks the receipt of a call to agent id (Response.Verify)
// against the agent as the chain records it: signed by its attestor, for
// this agent, by code it has run (its current or an earlier code hash).
// With a HeaderVerifier the record is proven from chain state; without
// one, the attestor is what the gateway's GET /v1/agents/{id} says and the
// gateway is trusted for it. With a HeaderVerifier it also refuses a
// version-1 receipt, which covers no header (receipt.ErrNotCovered).
//
// Security: a gateway that could name the attestor could sign receipts for
// responses it made up; with a verifier, only the chain names it.
func (c *Client) VerifyReceipt(ctx context.Context, id cove.AgentID, resp *Response) (receipt.Signed, error) {
	var (
		attestor cove.Address
		codes    []cove.Hash
	)
	verified := c.Verified()
	if verified {
		rec, err := c.provenAgentReady(ctx, id)
		if err != nil {
			return receipt.Signed{}, err
		}
		attestor = rec.Attestor
		codes = append(codes, rec.CodeHash)
		for _, v := range rec.History {
			codes = append(codes, v.CodeHash)
		}
	} else {
		a, err := c.Agent(ctx, id)
		if err != nil {
			return receipt.Signed{}, fmt.Errorf("look up the agent's attestor: %w", err)
		}
		attestor = a.Attestor
		codes = append(codes, a.CodeHash)
	}
	if attestor.IsZero() {
		return receipt.Signed{}, errors.New("the agent's attestor address is not known yet (no gatekeeper has published it); retry shortly")
	}
	s, err := resp.Verify(attestor)
	if err != nil {
		return s, err
	}
	if s.Receipt.Agent != id {
		return s, fmt.Errorf("%w: the receipt is for agent %s, not %s", receipt.ErrMismatch, s.Receipt.Agent, id)
	}
	if verified && !slices.Contains(codes, s.Receipt.CodeHash) {
		return s, fmt.Errorf("%w: the receipt is for code %s, which agent %s never ran", receipt.ErrMismatch, s.Receipt.CodeHash, id)
	}
	if verified && !s.Receipt.CoversHeaders() {
		// Security: a version-1 receipt covers no header, so a gateway
		// replaying one for an identical exchange could change its
		// Content-Type or Location; workers of this release sign
		// version 2 (or 3, in batches).
		return s, fmt.Errorf("%w: a verifying client wants version 2 or 3", receipt.ErrNotCovered)
	}
	return s, nil
}
