package light_test

import (
	"bytes"
	"context"
	"crypto/hpke"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/client/light"
	"github.com/cove-network/cove/internal/testchain"
	"github.com/cove-network/cove/internal/testnet"
	"github.com/cove-network/cove/receipt"
	"github.com/cove-network/cove/secret"
)

// lie rewrites one response of the gateway (see testnet.LyingGateway).
type lie = testnet.Rewrite

// lyingGateway is a reverse proxy in front of the real gateway at base
// that tells the lie on the responses it picks; everything else passes
// unchanged.
func lyingGateway(t *testing.T, base string, tell lie) string {
	return testnet.LyingGateway(t, base, tell)
}

func newClient(t *testing.T, base string, root *light.Root, cfg light.Config) *client.Client {
	t.Helper()
	c, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	if root != nil {
		c.SetVerifier(light.New(c, *root, cfg))
	}
	return c
}

// rewriteProof changes the proof answer for keys with prefix.
func rewriteProof(prefix string, change func(p *api.StateProof)) lie {
	return func(r *http.Response, body []byte) []byte {
		if !strings.HasPrefix(r.Request.URL.Path, "/v1/chain/proof/"+prefix) || r.StatusCode != 200 {
			return nil
		}
		var p api.StateProof
		if err := json.Unmarshal(body, &p); err != nil {
			return nil
		}
		change(&p)
		out, _ := json.Marshal(p)
		return out
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const greeter = `export default { async fetch(req, env) { return new Response("hello " + env.GREETING); } }`

// TestLyingGateway runs a real dev node and talks to it through gateways
// that lie, each about one thing; the same request through the honest
// gateway in the same state is the control. With a trust root the client
// refuses every lie it relies on (or does not use what the lie is about);
// without one, the attacks the issue describes work.
func TestLyingGateway(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node; skipped with -short")
	}
	dev := testchain.NewKey(t)
	base := testnet.Dev(t, dev.Address())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	honestPlain := newClient(t, base, nil, light.Config{})
	root, err := light.RootAt(ctx, honestPlain, 1)
	if err != nil {
		t.Fatal(err)
	}
	honest := newClient(t, base, &root, light.Config{})

	// The control: the proven key is the chain's latest epoch's, and the
	// honest gateway's /v1/keys names the same.
	want, err := honest.SealingKey(ctx)
	if err != nil {
		t.Fatalf("control: sealing key through the honest gateway: %v", err)
	}
	if said, err := honestPlain.SealingKey(ctx); err != nil || !bytes.Equal(said.PublicKey, want.PublicKey) || said.Epoch != want.Epoch || want.Height == 0 {
		t.Fatalf("control: proven key epoch %d at height %d, the gateway says epoch %d (%v)", want.Epoch, want.Height, said.Epoch, err)
	}

	attacker, err := hpke.MLKEM768X25519().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	attackerPub := attacker.PublicKey().Bytes()
	honestPubHex := hex.EncodeToString(want.PublicKey)

	t.Run("keys endpoint names the attacker's key", func(t *testing.T) {
		liar := lyingGateway(t, base, func(r *http.Response, body []byte) []byte {
			if r.Request.URL.Path != "/v1/keys" {
				return nil
			}
			return bytes.Replace(body, []byte(honestPubHex), []byte(hex.EncodeToString(attackerPub)), 1)
		})
		src := filepath.Join(t.TempDir(), "greeter.ts")
		if err := os.WriteFile(src, []byte(greeter), 0o600); err != nil {
			t.Fatal(err)
		}
		// Without a trust root the attack works: the secrets are sealed
		// to the attacker, who opens them from the chain.
		plain := newClient(t, liar, nil, light.Config{})
		if k, err := plain.SealingKey(ctx); err != nil || !bytes.Equal(k.PublicKey, attackerPub) {
			t.Fatalf("the lie did not reach the untrusting client: %v", err)
		}
		a, err := plain.Deploy(ctx, src, client.DeployOptions{Signer: dev, Secrets: map[string]string{"GREETING": "secret-1"}})
		if err != nil {
			t.Fatal(err)
		}
		if set, err := secret.Open(attacker, a.ID, agentSecrets(t, ctx, honest, a.ID)); err != nil || set["GREETING"] != "secret-1" {
			t.Fatalf("attack without a trust root: the attacker could not open the secrets (%v): the test does not show the attack", err)
		}
		// With one, the client seals to the proven key: the attacker
		// cannot open them and the agent can.
		verified := newClient(t, liar, &root, light.Config{})
		if k, err := verified.SealingKey(ctx); err != nil || !bytes.Equal(k.PublicKey, want.PublicKey) {
			t.Fatalf("verified client through the liar: key %x, %v", k.PublicKey, err)
		}
		a, err = verified.Deploy(ctx, src, client.DeployOptions{Signer: dev, Secrets: map[string]string{"GREETING": "secret-2"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := secret.Open(attacker, a.ID, agentSecrets(t, ctx, honest, a.ID)); !errors.Is(err, secret.ErrOpen) {
			t.Fatalf("the attacker opened secrets sealed with a trust root: %v", err)
		}
		resp, err := honest.Call(ctx, a.ID, http.MethodGet, "/", nil, nil)
		if err != nil || string(resp.Body) != "hello secret-2" {
			t.Fatalf("the agent could not read its secret: %+v, %v", resp, err)
		}
	})

	t.Run("status names another chain id", func(t *testing.T) {
		real, err := honestPlain.NumericChainID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		liar := lyingGateway(t, base, func(r *http.Response, body []byte) []byte {
			if r.Request.URL.Path != "/v1/chain/status" {
				return nil
			}
			return bytes.Replace(body, []byte(`"numeric_chain_id":`+strconv.FormatUint(real, 10)), []byte(`"numeric_chain_id":424242`), 1)
		})
		// Without a trust root the caller would sign transactions and
		// Cove-Auth headers for the chain the gateway names (where it
		// could replay them); with one, for the proven chain.
		if id, err := newClient(t, liar, nil, light.Config{}).NumericChainID(ctx); err != nil || id != 424242 {
			t.Fatalf("the lie did not reach the untrusting client: %d, %v", id, err)
		}
		verified := newClient(t, liar, &root, light.Config{})
		if id, err := verified.NumericChainID(ctx); err != nil || id != real {
			t.Fatalf("verified client through the liar: chain id %d, %v; want %d", id, err, real)
		}
		out, err := verified.Transfer(ctx, dev, testchain.NewKey(t).Address(), big.NewInt(1))
		if err != nil || out.Code != chain.CodeOK {
			t.Fatalf("a transfer signed for the proven chain through the liar: %+v, %v", out, err)
		}
	})

	t.Run("proof of the epoch record carries the attacker's key", func(t *testing.T) {
		liar := lyingGateway(t, base, rewriteProof("epoch/", func(p *api.StateProof) {
			if p.Value != nil {
				v := hex.EncodeToString(bytes.Replace(mustHex(t, *p.Value), []byte("0x"+honestPubHex), []byte("0x"+hex.EncodeToString(attackerPub)), 1))
				v = "0x" + v
				p.Value = &v
			}
		}))
		_, err := newClient(t, liar, &root, light.Config{}).SealingKey(ctx)
		if !errors.Is(err, chain.ErrBadProof) {
			t.Fatalf("sealing key from a forged epoch record: %v, want ErrBadProof", err)
		}
		// The lie changed the value only: without verification the client
		// would take the attacker's key from it.
		p, err := newClient(t, liar, nil, light.Config{}).Proof(ctx, chain.EpochKey(uint64(want.Epoch)))
		if err != nil || !bytes.Contains(p.Value, []byte(hex.EncodeToString(attackerPub))) {
			t.Fatalf("the forged proof does not carry the attacker's key: %v", err)
		}
	})

	t.Run("proof bytes changed", func(t *testing.T) {
		liar := lyingGateway(t, base, rewriteProof("meta/key_epoch", func(p *api.StateProof) {
			b := mustHex(t, p.Proof)
			b[len(b)-2] ^= 1
			p.Proof = "0x" + hex.EncodeToString(b)
		}))
		if _, err := newClient(t, liar, &root, light.Config{}).SealingKey(ctx); !errors.Is(err, chain.ErrBadProof) {
			t.Fatalf("changed proof: %v, want ErrBadProof", err)
		}
	})

	t.Run("latest epoch claimed absent", func(t *testing.T) {
		liar := lyingGateway(t, base, rewriteProof("meta/key_epoch", func(p *api.StateProof) { p.Value = nil }))
		if _, err := newClient(t, liar, &root, light.Config{}).SealingKey(ctx); !errors.Is(err, chain.ErrBadProof) {
			t.Fatalf("absence of a present key: %v, want ErrBadProof", err)
		}
	})

	t.Run("header with another app hash", func(t *testing.T) {
		liar := lyingGateway(t, base, func(r *http.Response, body []byte) []byte {
			if !strings.HasPrefix(r.Request.URL.Path, "/v1/chain/light/") || r.Request.URL.Path == "/v1/chain/light/1" || r.StatusCode != 200 {
				return nil
			}
			var lb api.LightBlock
			if err := json.Unmarshal(body, &lb); err != nil {
				return nil
			}
			var pb cmtproto.LightBlock
			if err := pb.Unmarshal(mustHex(t, lb.LightBlock)); err != nil {
				t.Errorf("decode light block: %v", err)
				return nil
			}
			pb.SignedHeader.Header.AppHash[0] ^= 1
			b, _ := pb.Marshal()
			lb.LightBlock = "0x" + hex.EncodeToString(b)
			out, _ := json.Marshal(lb)
			return out
		})
		_, err := newClient(t, liar, &root, light.Config{}).SealingKey(ctx)
		if err == nil || !strings.Contains(err.Error(), "verify header") {
			t.Fatalf("forged header: %v, want a header verification error", err)
		}
	})

	// rewriteLight rewrites light blocks the client asks for, but the
	// root's unless root is set.
	rewriteLight := func(root bool, change func(lb *cmttypes.LightBlock) *cmttypes.LightBlock) lie {
		return func(r *http.Response, body []byte) []byte {
			p := r.Request.URL.Path
			if !strings.HasPrefix(p, "/v1/chain/light/") || (p == "/v1/chain/light/1") != root || r.StatusCode != 200 {
				return nil
			}
			var out api.LightBlock
			if err := json.Unmarshal(body, &out); err != nil {
				return nil
			}
			var pb cmtproto.LightBlock
			if err := pb.Unmarshal(mustHex(t, out.LightBlock)); err != nil {
				t.Errorf("decode light block: %v", err)
				return nil
			}
			lb, err := cmttypes.LightBlockFromProto(&pb)
			if err != nil {
				t.Errorf("light block: %v", err)
				return nil
			}
			fp, err := change(lb).ToProto()
			if err != nil {
				t.Errorf("encode light block: %v", err)
				return nil
			}
			b, _ := fp.Marshal()
			out.LightBlock = "0x" + hex.EncodeToString(b)
			j, _ := json.Marshal(out)
			return j
		}
	}
	impostor := cmttypes.NewMockPV()
	impostors := cmttypes.NewValidatorSet([]*cmttypes.Validator{impostor.ExtractIntoValidator(10)})

	t.Run("headers signed by other validators", func(t *testing.T) {
		// Well-formed headers with another app hash, signed by a validator
		// set of the liar's: only the signature check can tell.
		liar := lyingGateway(t, base, rewriteLight(false, func(real *cmttypes.LightBlock) *cmttypes.LightBlock {
			h := *real.Header
			h.AppHash = bytes.Repeat([]byte{0xee}, 32)
			h.ValidatorsHash, h.NextValidatorsHash = impostors.Hash(), impostors.Hash()
			h.ProposerAddress = impostors.Validators[0].Address
			id := cmttypes.BlockID{Hash: h.Hash(), PartSetHeader: real.Commit.BlockID.PartSetHeader}
			votes := cmttypes.NewVoteSet(h.ChainID, h.Height, 0, cmtproto.PrecommitType, impostors)
			ext, err := cmttypes.MakeExtCommit(id, h.Height, 0, votes, []cmttypes.PrivValidator{impostor}, h.Time.Add(time.Millisecond), false)
			if err != nil {
				t.Fatal(err)
			}
			return &cmttypes.LightBlock{SignedHeader: &cmttypes.SignedHeader{Header: &h, Commit: ext.ToCommit()}, ValidatorSet: impostors}
		}))
		_, err := newClient(t, liar, &root, light.Config{}).SealingKey(ctx)
		if err == nil || errors.Is(err, chain.ErrBadProof) || !strings.Contains(err.Error(), "verify header") {
			t.Fatalf("headers of other validators: %v, want a header verification error", err)
		}
	})

	t.Run("root with another validator set", func(t *testing.T) {
		// The root's header is the pinned one; its validator set is not
		// the one the header names.
		liar := lyingGateway(t, base, rewriteLight(true, func(real *cmttypes.LightBlock) *cmttypes.LightBlock {
			return &cmttypes.LightBlock{SignedHeader: real.SignedHeader, ValidatorSet: impostors}
		}))
		if _, err := newClient(t, liar, &root, light.Config{}).SealingKey(ctx); err == nil || !strings.Contains(err.Error(), "trust root") {
			t.Fatalf("root with another validator set: %v, want a trust root error", err)
		}
	})

	t.Run("proof of another key", func(t *testing.T) {
		// Asked for meta/key_epoch, the liar proves meta/chain_id: a true
		// statement about another key.
		other, err := honestPlain.Proof(ctx, []byte("meta/chain_id"))
		if err != nil {
			t.Fatal(err)
		}
		liar := lyingGateway(t, base, rewriteProof("meta/key_epoch", func(p *api.StateProof) {
			v := "0x" + hex.EncodeToString(other.Value)
			p.Height, p.Key, p.Value, p.Proof = other.Height, "0x"+hex.EncodeToString(other.Key), &v, "0x"+hex.EncodeToString(other.Proof)
		}))
		if _, err := newClient(t, liar, &root, light.Config{}).SealingKey(ctx); err == nil || !strings.Contains(err.Error(), "proved key") {
			t.Fatalf("proof of another key: %v", err)
		}
	})

	t.Run("header of another height", func(t *testing.T) {
		// Asked for block N, the liar serves the real block N-1.
		liar := lyingGateway(t, base, func(r *http.Response, body []byte) []byte {
			p := r.Request.URL.Path
			n, err := strconv.ParseInt(strings.TrimPrefix(p, "/v1/chain/light/"), 10, 64)
			if !strings.HasPrefix(p, "/v1/chain/light/") || err != nil || n <= 2 {
				return nil
			}
			b, err := honestPlain.LightBlock(ctx, n-1)
			if err != nil {
				t.Errorf("light block %d: %v", n-1, err)
				return nil
			}
			out, _ := json.Marshal(api.LightBlock{Height: n, LightBlock: "0x" + hex.EncodeToString(b)})
			return out
		})
		if _, err := newClient(t, liar, &root, light.Config{}).SealingKey(ctx); err == nil || !strings.Contains(err.Error(), "sent height") {
			t.Fatalf("header of another height: %v", err)
		}
	})

	t.Run("root older than the trusting period", func(t *testing.T) {
		if _, err := newClient(t, base, &root, light.Config{TrustingPeriod: time.Nanosecond}).SealingKey(ctx); err == nil || !strings.Contains(err.Error(), "pin a newer root") {
			t.Fatalf("expired root: %v", err)
		}
	})

	t.Run("another trust root", func(t *testing.T) {
		other := light.Root{Height: root.Height, Hash: bytes.Clone(root.Hash)}
		other.Hash[0] ^= 1
		if _, err := newClient(t, base, &other, light.Config{}).SealingKey(ctx); err == nil || !strings.Contains(err.Error(), "not the pinned chain") {
			t.Fatalf("root that is not this chain's: %v", err)
		}
	})

	t.Run("stale state", func(t *testing.T) {
		later := func() time.Time { return time.Now().Add(light.DefaultMaxAge + time.Minute) }
		if _, err := newClient(t, base, &root, light.Config{Now: later}).SealingKey(ctx); !errors.Is(err, light.ErrStale) {
			t.Fatalf("a header older than MaxAge: %v, want ErrStale", err)
		}
	})

	t.Run("receipts signed by the attacker", func(t *testing.T) {
		src := filepath.Join(t.TempDir(), "greeter.ts")
		if err := os.WriteFile(src, []byte(greeter), 0o600); err != nil {
			t.Fatal(err)
		}
		a, err := honest.Deploy(ctx, src, client.DeployOptions{Signer: dev, Secrets: map[string]string{"GREETING": "world"}})
		if err != nil {
			t.Fatal(err)
		}
		signer := testchain.NewKey(t) // the attacker's receipt key
		// The liar answers calls with its own body and a receipt it signs,
		// and names its key as the agent's attestor.
		liar := lyingGateway(t, base, func(r *http.Response, body []byte) []byte {
			switch p := r.Request.URL.Path; {
			case strings.HasPrefix(p, "/agents/"):
				s, err := receipt.FromHeaders(r.Header)
				if err != nil {
					t.Errorf("the honest answer has no receipt: %v", err)
					return nil
				}
				forged := []byte("hello from the gateway")
				s.Receipt.ResponseHash = cove.SHA256(forged)
				if s, err = receipt.Sign(signer, s.Receipt); err != nil {
					t.Fatal(err)
				}
				receipt.SetHeaders(r.Header, s)
				return forged
			case p == "/v1/agents/"+a.ID.String():
				var v api.AgentView
				if err := json.Unmarshal(body, &v); err != nil {
					return nil
				}
				v.Attestor, v.Signer = signer.Address(), signer.Address()
				out, _ := json.Marshal(v)
				return out
			}
			return nil
		})
		call := func(c *client.Client) (*client.Response, error) {
			resp, err := c.Call(ctx, a.ID, http.MethodGet, "/", nil, nil)
			if err != nil {
				return nil, err
			}
			_, err = c.VerifyReceipt(ctx, a.ID, resp)
			return resp, err
		}
		// Control: the honest gateway's receipt verifies against the
		// proven attestor.
		if resp, err := call(honest); err != nil || string(resp.Body) != "hello world" {
			t.Fatalf("control: %v", err)
		}
		// Without a trust root the forged response passes as verified.
		if resp, err := call(newClient(t, liar, nil, light.Config{})); err != nil || string(resp.Body) != "hello from the gateway" {
			t.Fatalf("attack without a trust root did not work (%v): the test does not show it", err)
		}
		// With one, the attestor comes from the chain: refused.
		if _, err := call(newClient(t, liar, &root, light.Config{})); !errors.Is(err, receipt.ErrBadSignature) {
			t.Fatalf("forged receipt with a trust root: %v, want ErrBadSignature", err)
		}
		// A proof of the agent record naming the attacker is refused too.
		rec, err := honest.ProvenAgent(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		prover := lyingGateway(t, base, rewriteProof("agent/", func(p *api.StateProof) {
			if p.Value != nil {
				v := "0x" + hex.EncodeToString(bytes.Replace(mustHex(t, *p.Value), []byte(rec.Attestor.String()), []byte(signer.Address().String()), 1))
				p.Value = &v
			}
		}))
		if _, err := newClient(t, prover, &root, light.Config{}).ProvenAgent(ctx, a.ID); !errors.Is(err, chain.ErrBadProof) {
			t.Fatalf("forged agent record: %v, want ErrBadProof", err)
		}
	})
}

// agentSecrets returns the sealed secrets in an agent's chain record.
func agentSecrets(t *testing.T, ctx context.Context, c *client.Client, id cove.AgentID) []byte {
	t.Helper()
	// The proven state trails the committed one by a block.
	deadline := time.Now().Add(10 * time.Second)
	for {
		rec, err := c.ProvenAgent(ctx, id)
		if err == nil {
			return rec.Secrets
		}
		if !errors.Is(err, cove.ErrNotFound) || time.Now().After(deadline) {
			t.Fatalf("agent record: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
