package contracts

import (
	"bytes"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/ethsig"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/receipt"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
)

const (
	testFee     = 1_000_000_000_000_000 // 0.001 ether
	testTimeout = 300                   // seconds before cancel
	testEpoch   = 7
	// callbackGas lets PriceConsumer store a 4.5 KB answer.
	callbackGas = 4_000_000
)

// env is a simulated chain with the anchor and a PriceConsumer deployed
// and the agent's attestor registered through an epoch signer's grant.
type env struct {
	t        *testing.T
	sim      *simulated.Backend
	chainID  *big.Int
	owner    *bind.TransactOpts // deploys, owns the anchor and the consumer
	relayer  *bind.TransactOpts // sends fulfil
	anchor   *CoveAnchor
	anchorAt common.Address
	consumer *PriceConsumer
	consAt   common.Address
	epochKey *ecdsa.PrivateKey
	cluster  keys.Cluster
	agent    cove.AgentID
	attestor *keys.Attestor
	anchorAB abi.ABI
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ownerKey, _ := crypto.GenerateKey()
	relayerKey, _ := crypto.GenerateKey()
	epochKey, _ := crypto.GenerateKey()
	rich := new(big.Int).Mul(big.NewInt(1000), big.NewInt(1e18))
	sim := simulated.NewBackend(types.GenesisAlloc{
		crypto.PubkeyToAddress(ownerKey.PublicKey):   {Balance: rich},
		crypto.PubkeyToAddress(relayerKey.PublicKey): {Balance: rich},
	}, Osaka)
	t.Cleanup(func() { sim.Close() })
	chainID, err := sim.Client().ChainID(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, sim: sim, chainID: chainID, epochKey: epochKey}
	if e.owner, err = bind.NewKeyedTransactorWithChainID(ownerKey, chainID); err != nil {
		t.Fatal(err)
	}
	if e.relayer, err = bind.NewKeyedTransactorWithChainID(relayerKey, chainID); err != nil {
		t.Fatal(err)
	}
	parsed, err := CoveAnchorMetaData.GetAbi()
	if err != nil {
		t.Fatal(err)
	}
	e.anchorAB = *parsed

	var tx *types.Transaction
	e.anchorAt, tx, e.anchor, err = DeployCoveAnchor(e.owner, sim.Client(), big.NewInt(testFee), testTimeout)
	e.mine(tx, err)
	master, err := keys.MasterFromBytes(bytes.Repeat([]byte{0x42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e.cluster = master.Cluster(keys.DefaultCluster)
	e.agent = cove.AgentID(cove.SHA256([]byte("price-oracle")))
	e.attestor = e.cluster.Agent(e.agent).Attestor()
	e.consAt, tx, e.consumer, err = DeployPriceConsumer(e.owner, sim.Client(), e.anchorAt, e.agent)
	e.mine(tx, err)

	tx, err = e.anchor.SetEpochSigner(e.owner, testEpoch, crypto.PubkeyToAddress(epochKey.PublicKey))
	e.mine(tx, err)
	e.register(e.agent, e.attestor.Address())
	return e
}

// mine commits the block holding tx and fails the test unless it succeeded.
func (e *env) mine(tx *types.Transaction, err error) *types.Receipt {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("send transaction: %v (%s)", err, revertName(e.anchorAB, err))
	}
	e.sim.Commit()
	r, err := e.sim.Client().TransactionReceipt(e.t.Context(), tx.Hash())
	if err != nil {
		e.t.Fatalf("transaction receipt: %v", err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		e.t.Fatalf("transaction %s reverted", tx.Hash())
	}
	return r
}

// grant signs AttestorGrant(agent, attestor, epoch) with key
// (cove.AttestorGrantDigest).
func grant(t *testing.T, key *ecdsa.PrivateKey, agent cove.AgentID, attestor cove.Address, epoch uint64) []byte {
	t.Helper()
	sig, err := ethsig.Sign(key, cove.AttestorGrantDigest(agent, attestor, epoch))
	if err != nil {
		t.Fatal(err)
	}
	return sig[:]
}

// register registers attestor as agent's with a grant of testEpoch's signer.
func (e *env) register(agent cove.AgentID, attestor cove.Address) {
	e.t.Helper()
	tx, err := e.anchor.RegisterAttestor(e.relayer, agent, common.Address(attestor), testEpoch, grant(e.t, e.epochKey, agent, attestor, testEpoch))
	e.mine(tx, err)
}

// ask sends a request through the consumer and returns its id.
func (e *env) ask(path string, body []byte, gas uint32) *big.Int {
	e.t.Helper()
	opts := *e.owner
	opts.Value = big.NewInt(testFee)
	tx, err := e.consumer.Ask(&opts, path, body, gas)
	r := e.mine(tx, err)
	for _, l := range r.Logs {
		if ev, err := e.anchor.ParseCoveRequest(*l); err == nil {
			return ev.RequestId
		}
	}
	e.t.Fatal("no CoveRequest event")
	return nil
}

// sign makes the receipt the agent's attestor (or s) gives for request id
// answered with response, of version ver (1, 2, or 3: signed in a batch of
// three, the receipt second), and returns it with the signature bytes
// fulfil takes.
func (e *env) sign(s receipt.Signer, agent cove.AgentID, id *big.Int, path string, body, response []byte, ver uint8) (Receipt, []byte) {
	e.t.Helper()
	return signFor(e.t, s, e.chainID, e.anchorAt, agent, id, path, body, response, ver)
}

// signFor is sign for the anchor at anchorAt on chain chainID.
func signFor(t *testing.T, s receipt.Signer, chainID *big.Int, anchorAt common.Address, agent cove.AgentID, id *big.Int, path string, body, response []byte, ver uint8) (Receipt, []byte) {
	t.Helper()
	r := cove.Receipt{
		Version:      ver,
		Agent:        agent,
		CodeHash:     cove.SHA256([]byte("bundle")),
		RequestHash:  RequestHash(chainID, cove.Address(anchorAt), agent, path, body, id),
		Status:       200,
		ResponseHash: cove.SHA256(response),
		Timestamp:    uint64(time.Now().Unix()),
	}
	if ver >= cove.ReceiptV2 {
		r.HeadersHash = cove.HeadersHash("gateway.example", cove.Header{"Content-Type": {"application/json"}})
	}
	if ver == cove.ReceiptV3 {
		return signInBatch(t, s, r, 3, 1)
	}
	signed, err := receipt.Sign(s, r)
	if err != nil {
		t.Fatal(err)
	}
	return Fulfilment(signed)
}

// signInBatch signs r as receipt i of a batch of n (the others answer
// other requests) and returns its fulfil arguments.
func signInBatch(t *testing.T, s receipt.Signer, r cove.Receipt, n, i int) (Receipt, []byte) {
	t.Helper()
	rs := make([]cove.Receipt, n)
	for j := range rs {
		rs[j] = r
		rs[j].RequestHash = cove.SHA256([]byte(fmt.Sprint("another request ", j)))
	}
	rs[i] = r
	out, err := receipt.SignBatch(s, rs)
	if err != nil {
		t.Fatal(err)
	}
	if got := out[i].Receipt.V(); got != cove.ReceiptV3 {
		t.Fatalf("a batch of %d signed version %d", n, got)
	}
	return Fulfilment(out[i])
}

// fulfil sends fulfil as the relayer and mines it.
func (e *env) fulfil(id *big.Int, r Receipt, response, sig []byte) (*types.Receipt, error) {
	e.t.Helper()
	tx, err := e.anchor.Fulfil(e.relayer, id, r, response, sig)
	if err != nil {
		return nil, err
	}
	return e.mine(tx, nil), nil
}

// revertName returns the name of the anchor's custom error that err carries
// (from gas estimation), or "" if none.
func revertName(a abi.ABI, err error) string {
	name, _ := Revert(&a, err)
	return name
}

// wantRevert fails unless err is the anchor's custom error name.
func (e *env) wantRevert(err error, name string) {
	e.t.Helper()
	if err == nil {
		e.t.Fatalf("fulfil succeeded, want %s", name)
	}
	if got := revertName(e.anchorAB, err); got != name {
		e.t.Fatalf("got %v (%q), want %s", err, got, name)
	}
}

// answer is a response of n bytes (JSON-ish, not all one byte).
func answer(n int) []byte {
	b := []byte(`{"price":"1234.56","pad":"`)
	for len(b) < n-2 {
		b = append(b, byte('a'+len(b)%26))
	}
	return append(b, `"}`...)
}

// TestRequestHashMatchesGo checks that the anchor's requestHash is
// cove.RequestHash of RequestTarget, for a path with and without a query.
func TestRequestHashMatchesGo(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/price", "/price?pair=ETH-USD"} {
		body := []byte(`{"pair":"ETH-USD"}`)
		id := e.ask(path, body, callbackGas)
		req, err := e.anchor.RequestOf(nil, id)
		if err != nil {
			t.Fatal(err)
		}
		want := RequestHash(e.chainID, cove.Address(e.anchorAt), e.agent, path, body, id)
		if cove.Hash(req.RequestHash) != want {
			t.Errorf("path %q: anchor requestHash %x, Go %s (target %s)", path, req.RequestHash, want,
				RequestTarget(e.chainID, cove.Address(e.anchorAt), e.agent, path, id))
		}
		tgt, err := e.anchor.Target(nil, e.agent, path, id)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(tgt), RequestTarget(e.chainID, cove.Address(e.anchorAt), e.agent, path, id); got != want {
			t.Errorf("anchor target %q, Go %q", got, want)
		}
		if !strings.Contains(string(tgt), "cove-request="+e.chainID.String()+"-0x") {
			t.Errorf("target %q does not name the chain", tgt)
		}
	}
}

// TestFulfil runs the whole flow for receipts of both versions with a
// 4.5 KB answer: request, fulfil with a receipt from receipt.Sign, the
// consumer's callback stores the answer, the relayer is paid. Each version
// gets a fresh chain, so that the gas logged for each is that of a first
// answer (the consumer's storage slots written from zero).
func TestFulfil(t *testing.T) {
	for _, ver := range []uint8{cove.ReceiptV1, cove.ReceiptV2, cove.ReceiptV3} {
		t.Run(fmt.Sprintf("v%d", ver), func(t *testing.T) {
			e := newEnv(t)
			body := []byte(`{"pair":"ETH-USD"}`)
			resp := answer(4608)
			id := e.ask("/price", body, callbackGas)
			r, sig := e.sign(e.attestor, e.agent, id, "/price", body, resp, ver)
			before, _ := e.sim.Client().BalanceAt(t.Context(), e.relayer.From, nil)
			rc, err := e.fulfil(id, r, resp, sig)
			if err != nil {
				t.Fatalf("fulfil: %v (%s)", err, revertName(e.anchorAB, err))
			}
			t.Logf("fulfil gas, v%d receipt, %d-byte response (stored by the consumer in fresh slots): %d", ver, len(resp), rc.GasUsed)
			var ok bool
			for _, l := range rc.Logs {
				if ev, err := e.anchor.ParseCoveFulfilled(*l); err == nil {
					ok = ev.CallbackSucceeded && ev.RequestId.Cmp(id) == 0 && ev.Status == 200
				}
			}
			if !ok {
				t.Fatal("no CoveFulfilled with callbackSucceeded for the request")
			}
			got, err := e.consumer.LastResponse(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, resp) {
				t.Fatalf("consumer stored %d bytes, want the %d-byte answer", len(got), len(resp))
			}
			if last, _ := e.consumer.LastRequestId(nil); last.Cmp(id) != 0 {
				t.Fatalf("consumer's last request %v, want %v", last, id)
			}
			after, _ := e.sim.Client().BalanceAt(t.Context(), e.relayer.From, nil)
			cost := new(big.Int).Mul(new(big.Int).SetUint64(rc.GasUsed), rc.EffectiveGasPrice)
			if paid := new(big.Int).Sub(new(big.Int).Add(after, cost), before); paid.Cmp(big.NewInt(testFee)) != 0 {
				t.Fatalf("relayer got %v, want the fee %d", paid, testFee)
			}

			// A 32-byte answer on a fresh chain, for the gas of a short one.
			small, e := answer(32), newEnv(t)
			id = e.ask("/price", body, callbackGas)
			r, sig = e.sign(e.attestor, e.agent, id, "/price", body, small, ver)
			if rc, err = e.fulfil(id, r, small, sig); err != nil {
				t.Fatalf("fulfil: %v (%s)", err, revertName(e.anchorAB, err))
			}
			if got, _ := e.consumer.LastResponse(nil); !bytes.Equal(got, small) {
				t.Fatalf("consumer stored %q, want %q", got, small)
			}
			t.Logf("fulfil gas, v%d receipt, 32-byte response (fresh slots): %d", ver, rc.GasUsed)
		})
	}
}

// TestCallbackFailureDoesNotRevert: a callback that runs out of its gas
// leaves the request fulfilled with callbackSucceeded=false.
func TestCallbackFailureDoesNotRevert(t *testing.T) {
	e := newEnv(t)
	resp := answer(4608)
	id := e.ask("/price", nil, 30_000) // too little to store 4.5 KB
	r, sig := e.sign(e.attestor, e.agent, id, "/price", nil, resp, cove.ReceiptV2)
	rc, err := e.fulfil(id, r, resp, sig)
	if err != nil {
		t.Fatalf("fulfil: %v (%s)", err, revertName(e.anchorAB, err))
	}
	found := false
	for _, l := range rc.Logs {
		if ev, err := e.anchor.ParseCoveFulfilled(*l); err == nil {
			found = true
			if ev.CallbackSucceeded {
				t.Fatal("callbackSucceeded = true for a callback out of gas")
			}
		}
	}
	if !found {
		t.Fatal("no CoveFulfilled event")
	}
	if last, _ := e.consumer.LastRequestId(nil); last.Sign() != 0 {
		t.Fatalf("consumer recorded request %v", last)
	}
	_, err = e.fulfil(id, r, resp, sig)
	e.wantRevert(err, "AlreadyFulfilled")
}

// TestFulfilRefusals checks each refusal of fulfil against a control in
// the same state that differs in the one thing refused.
func TestFulfilRefusals(t *testing.T) {
	e := newEnv(t)
	path, body := "/price", []byte(`{"pair":"BTC-USD"}`)
	resp := answer(4096)

	// Another agent, with its own attestor registered.
	other := cove.AgentID(cove.SHA256([]byte("other agent")))
	otherAttestor := e.cluster.Agent(other).Attestor()
	e.register(other, otherAttestor.Address())

	cases := []struct {
		name string
		want string
		// bad returns what is sent instead of the control's receipt,
		// response and signature for request id.
		bad func(id *big.Int, r Receipt, resp, sig []byte) (Receipt, []byte, []byte)
	}{
		{"wrong signer", "WrongSigner", func(id *big.Int, _ Receipt, resp, _ []byte) (Receipt, []byte, []byte) {
			r, sig := e.sign(otherAttestor, e.agent, id, path, body, resp, cove.ReceiptV1)
			return r, resp, sig
		}},
		{"tampered response", "ResponseHashMismatch", func(_ *big.Int, r Receipt, resp, sig []byte) (Receipt, []byte, []byte) {
			bad := bytes.Clone(resp)
			bad[100] ^= 1
			return r, bad, sig
		}},
		{"other request's hash", "RequestHashMismatch", func(id *big.Int, _ Receipt, resp, _ []byte) (Receipt, []byte, []byte) {
			r, sig := e.sign(e.attestor, e.agent, new(big.Int).Add(id, big.NewInt(1)), path, body, resp, cove.ReceiptV1)
			return r, resp, sig
		}},
		{"other chain's request", "RequestHashMismatch", func(id *big.Int, _ Receipt, resp, _ []byte) (Receipt, []byte, []byte) {
			saved := e.chainID
			e.chainID = big.NewInt(1)
			defer func() { e.chainID = saved }()
			r, sig := e.sign(e.attestor, e.agent, id, path, body, resp, cove.ReceiptV1)
			return r, resp, sig
		}},
		{"other anchor's request", "RequestHashMismatch", func(id *big.Int, _ Receipt, resp, _ []byte) (Receipt, []byte, []byte) {
			saved := e.anchorAt
			e.anchorAt = e.consAt
			defer func() { e.anchorAt = saved }()
			r, sig := e.sign(e.attestor, e.agent, id, path, body, resp, cove.ReceiptV1)
			return r, resp, sig
		}},
		{"agent mismatch", "AgentMismatch", func(id *big.Int, _ Receipt, resp, _ []byte) (Receipt, []byte, []byte) {
			r, sig := e.sign(otherAttestor, other, id, path, body, resp, cove.ReceiptV1)
			return r, resp, sig
		}},
		{"v2 tampered headersHash", "WrongSigner", func(id *big.Int, _ Receipt, resp, _ []byte) (Receipt, []byte, []byte) {
			r, sig := e.sign(e.attestor, e.agent, id, path, body, resp, cove.ReceiptV2)
			sig[70] ^= 1
			return r, resp, sig
		}},
		{"v2 signature sent as v1", "WrongSigner", func(id *big.Int, _ Receipt, resp, _ []byte) (Receipt, []byte, []byte) {
			r, sig := e.sign(e.attestor, e.agent, id, path, body, resp, cove.ReceiptV2)
			return r, resp, sig[:65]
		}},
		{"signature of another length", "SignatureLength", func(_ *big.Int, r Receipt, resp, sig []byte) (Receipt, []byte, []byte) {
			return r, resp, append(bytes.Clone(sig), 0)
		}},
		{"v3 tampered proof", "WrongSigner", func(_ *big.Int, r Receipt, resp, sig []byte) (Receipt, []byte, []byte) {
			bad := bytes.Clone(sig)
			bad[129+5] ^= 1
			return r, resp, bad
		}},
		{"v3 sent without its salt and proof, as v2", "WrongSigner", func(_ *big.Int, r Receipt, resp, sig []byte) (Receipt, []byte, []byte) {
			return r, resp, sig[:97]
		}},
		{"v3 tampered salt", "WrongSigner", func(_ *big.Int, r Receipt, resp, sig []byte) (Receipt, []byte, []byte) {
			bad := bytes.Clone(sig)
			bad[97+3] ^= 1
			return r, resp, bad
		}},
		{"v3 without its proof", "SignatureLength", func(_ *big.Int, r Receipt, resp, sig []byte) (Receipt, []byte, []byte) {
			return r, resp, sig[:129]
		}},
		{"v3 length between whole hashes", "SignatureLength", func(_ *big.Int, r Receipt, resp, sig []byte) (Receipt, []byte, []byte) {
			return r, resp, sig[:len(sig)-1]
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			id := e.ask(path, body, callbackGas)
			ver := uint8(cove.ReceiptV1)
			if strings.HasPrefix(c.name, "v2") {
				ver = cove.ReceiptV2
			}
			if strings.HasPrefix(c.name, "v3") {
				ver = cove.ReceiptV3
			}
			r, sig := e.sign(e.attestor, e.agent, id, path, body, resp, ver)
			br, bresp, bsig := c.bad(id, r, resp, sig)
			_, err := e.fulfil(id, br, bresp, bsig)
			e.wantRevert(err, c.want)
			if _, err := e.fulfil(id, r, resp, sig); err != nil {
				t.Fatalf("control: %v (%s)", err, revertName(e.anchorAB, err))
			}
		})
	}

	// The proof's bound: a genuine signature over a tree 9 levels deep is
	// refused for the proof's length; 8 levels (the control) pass.
	t.Run("v3 proof deeper than 8", func(t *testing.T) {
		e.t = t
		id := e.ask(path, body, callbackGas)
		deep := func(depth int) (Receipt, []byte) {
			r, _ := e.sign(e.attestor, e.agent, id, path, body, resp, cove.ReceiptV2)
			cr := cove.Receipt{Version: cove.ReceiptV2, Agent: r.Agent, CodeHash: r.CodeHash, RequestHash: r.RequestHash,
				Status: r.Status, ResponseHash: r.ResponseHash, Timestamp: r.Timestamp,
				HeadersHash: cove.HeadersHash("gateway.example", cove.Header{"Content-Type": {"application/json"}})}
			cr.Salt = cove.Hash{1}
			leaves := make([]cove.Hash, 1<<depth)
			leaves[0] = cr.Leaf()
			for i := 1; i < len(leaves); i++ {
				leaves[i] = cove.Keccak256([]byte(fmt.Sprint(i)))
			}
			root, proofs := cove.ReceiptMerkleTree(leaves)
			sig, err := e.attestor.Sign(cove.ReceiptBatchDigest(root))
			if err != nil {
				t.Fatal(err)
			}
			cr.Version, cr.Proof = cove.ReceiptV3, proofs[0]
			return Fulfilment(cove.SignedReceipt{Receipt: cr, Signature: sig, Signer: e.attestor.Address()})
		}
		r, sig := deep(cove.MaxReceiptProof + 1)
		_, err := e.fulfil(id, r, resp, sig)
		e.wantRevert(err, "SignatureLength")
		r, sig = deep(cove.MaxReceiptProof)
		if _, err := e.fulfil(id, r, resp, sig); err != nil {
			t.Fatalf("control, a proof of 8: %v (%s)", err, revertName(e.anchorAB, err))
		}
	})

	t.Run("double fulfil", func(t *testing.T) {
		e.t = t
		id := e.ask(path, body, callbackGas)
		r, sig := e.sign(e.attestor, e.agent, id, path, body, resp, cove.ReceiptV1)
		if _, err := e.fulfil(id, r, resp, sig); err != nil {
			t.Fatalf("control: %v (%s)", err, revertName(e.anchorAB, err))
		}
		_, err := e.fulfil(id, r, resp, sig)
		e.wantRevert(err, "AlreadyFulfilled")
	})

	t.Run("unknown request", func(t *testing.T) {
		e.t = t
		next, _ := e.anchor.NextRequestId(nil)
		r, sig := e.sign(e.attestor, e.agent, next, path, body, resp, cove.ReceiptV1)
		_, err := e.fulfil(next, r, resp, sig)
		e.wantRevert(err, "UnknownRequest")
		if id := e.ask(path, body, callbackGas); id.Cmp(next) != 0 {
			t.Fatalf("request got id %v, want %v", id, next)
		}
		if _, err := e.fulfil(next, r, resp, sig); err != nil {
			t.Fatalf("control: %v (%s)", err, revertName(e.anchorAB, err))
		}
	})
}

// TestCancel: the consumer may cancel only after the timeout, gets the fee
// back, and a cancelled request cannot be fulfilled; a request of the same
// age that was not cancelled still can be.
func TestCancel(t *testing.T) {
	e := newEnv(t)
	resp := answer(64)
	cancelled := e.ask("/price", nil, callbackGas)
	kept := e.ask("/price", nil, callbackGas)

	if _, err := e.consumer.Cancel(e.owner, cancelled); revertName(e.anchorAB, err) != "TooEarly" {
		t.Fatalf("cancel before the timeout: %v (%s), want TooEarly", err, revertName(e.anchorAB, err))
	}
	if err := e.sim.AdjustTime(testTimeout * time.Second); err != nil {
		t.Fatal(err)
	}
	e.sim.Commit()
	if _, err := e.anchor.Cancel(e.relayer, cancelled); revertName(e.anchorAB, err) != "NotConsumer" {
		t.Fatalf("cancel by another account: %v (%s), want NotConsumer", err, revertName(e.anchorAB, err))
	}
	before, _ := e.sim.Client().BalanceAt(t.Context(), e.consAt, nil)
	tx, err := e.consumer.Cancel(e.owner, cancelled)
	e.mine(tx, err)
	after, _ := e.sim.Client().BalanceAt(t.Context(), e.consAt, nil)
	if refund := new(big.Int).Sub(after, before); refund.Cmp(big.NewInt(testFee)) != 0 {
		t.Fatalf("refund %v, want the fee %d", refund, testFee)
	}

	r, sig := e.sign(e.attestor, e.agent, cancelled, "/price", nil, resp, cove.ReceiptV1)
	_, err = e.fulfil(cancelled, r, resp, sig)
	e.wantRevert(err, "RequestCancelled")
	r, sig = e.sign(e.attestor, e.agent, kept, "/price", nil, resp, cove.ReceiptV1)
	if _, err := e.fulfil(kept, r, resp, sig); err != nil {
		t.Fatalf("control: %v (%s)", err, revertName(e.anchorAB, err))
	}
}

// TestAttestorGrant: only a grant signed by a trusted epoch signer
// registers an attestor; revoking the epoch unregisters it.
func TestAttestorGrant(t *testing.T) {
	e := newEnv(t)
	agent := cove.AgentID(cove.SHA256([]byte("granted")))
	att := e.cluster.Agent(agent).Attestor().Address()
	forger, _ := crypto.GenerateKey()

	_, err := e.anchor.RegisterAttestor(e.relayer, agent, common.Address(att), testEpoch, grant(t, forger, agent, att, testEpoch))
	e.wantRevert(err, "WrongGrantSigner")
	_, err = e.anchor.RegisterAttestor(e.relayer, agent, common.Address(att), testEpoch+1, grant(t, e.epochKey, agent, att, testEpoch+1))
	e.wantRevert(err, "UnknownEpoch")
	if a, _ := e.anchor.AttestorOf(nil, agent); a != (common.Address{}) {
		t.Fatalf("attestor %s registered by a refused grant", a)
	}
	e.register(agent, att)
	if a, _ := e.anchor.AttestorOf(nil, agent); a != common.Address(att) {
		t.Fatalf("attestorOf = %s, want %s", a, att)
	}
	if _, err := e.anchor.SetEpochSigner(e.relayer, testEpoch, e.relayer.From); revertName(e.anchorAB, err) != "NotOwner" {
		t.Fatalf("setEpochSigner by another account: %v, want NotOwner", err)
	}
	tx, err := e.anchor.SetEpochSigner(e.owner, testEpoch, common.Address{})
	e.mine(tx, err)
	if a, _ := e.anchor.AttestorOf(nil, agent); a != (common.Address{}) {
		t.Fatalf("attestorOf = %s after its epoch was revoked", a)
	}
}

// TestNoAttestor: a request to an agent with no registered attestor cannot
// be fulfilled until a grant registers it, nor after its epoch is revoked.
func TestNoAttestor(t *testing.T) {
	e := newEnv(t)
	fresh := cove.AgentID(cove.SHA256([]byte("unregistered")))
	att := e.cluster.Agent(fresh).Attestor()
	tx, err := e.anchor.Request(withValue(e.owner, testFee), fresh, "/x", nil, callbackGas)
	e.mine(tx, err)
	id := new(big.Int).Sub(mustNext(t, e), big.NewInt(1))
	resp := answer(32)
	r, sig := e.sign(att, fresh, id, "/x", nil, resp, cove.ReceiptV1)
	_, err = e.fulfil(id, r, resp, sig)
	e.wantRevert(err, "NoAttestor")

	e.register(fresh, att.Address())
	tx, err = e.anchor.SetEpochSigner(e.owner, testEpoch, common.Address{})
	e.mine(tx, err)
	_, err = e.fulfil(id, r, resp, sig)
	e.wantRevert(err, "NoAttestor")

	tx, err = e.anchor.SetEpochSigner(e.owner, testEpoch, crypto.PubkeyToAddress(e.epochKey.PublicKey))
	e.mine(tx, err)
	if _, err := e.fulfil(id, r, resp, sig); err != nil {
		t.Fatalf("control: %v (%s)", err, revertName(e.anchorAB, err))
	}
}

func withValue(o *bind.TransactOpts, v int64) *bind.TransactOpts {
	c := *o
	c.Value = big.NewInt(v)
	return &c
}

func mustNext(t *testing.T, e *env) *big.Int {
	t.Helper()
	n, err := e.anchor.NextRequestId(nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRequestRefusals: a fee below fee() and paths an HTTP request target
// cannot carry are refused; the same request with the fee and a clean path
// is taken.
func TestRequestRefusals(t *testing.T) {
	e := newEnv(t)
	_, err := e.anchor.Request(withValue(e.owner, testFee-1), e.agent, "/price", nil, callbackGas)
	e.wantRevert(err, "FeeTooLow")
	for _, p := range []string{"", "price", "/a b", "/a#b", "/a\n", "/caf\u00e9"} {
		_, err := e.anchor.Request(withValue(e.owner, testFee), e.agent, p, nil, callbackGas)
		e.wantRevert(err, "InvalidPath")
	}
	tx, err := e.anchor.Request(withValue(e.owner, testFee), e.agent, "/price?pair=ETH%20USD", nil, callbackGas)
	rc := e.mine(tx, err)
	t.Logf("request gas (20-byte path, empty body): %d", rc.GasUsed)
}

// TestCallbackGasTooLow: a fulfilment sent with too little gas for the
// request's callbackGasLimit is refused rather than made to fail the
// callback; the same call with enough gas passes.
func TestCallbackGasTooLow(t *testing.T) {
	e := newEnv(t)
	resp := answer(64)
	id := e.ask("/price", nil, callbackGas)
	r, sig := e.sign(e.attestor, e.agent, id, "/price", nil, resp, cove.ReceiptV1)
	data, err := e.anchorAB.Pack("fulfil", id, r, resp, sig)
	if err != nil {
		t.Fatal(err)
	}
	call := func(gas uint64) error {
		_, err := e.sim.Client().CallContract(t.Context(), ethereum.CallMsg{From: e.relayer.From, To: &e.anchorAt, Gas: gas, Data: data}, nil)
		return err
	}
	if err := call(callbackGas / 2); revertName(e.anchorAB, err) != "CallbackGasTooLow" {
		t.Fatalf("fulfil with half the callback's gas: %v (%q), want CallbackGasTooLow", err, revertName(e.anchorAB, err))
	}
	if err := call(callbackGas + 500_000); err != nil {
		t.Fatalf("control: %v (%s)", err, revertName(e.anchorAB, err))
	}
}

// TestStaleGrant: a grant of an older epoch than the registered one is
// refused; a grant of a newer epoch replaces it.
func TestStaleGrant(t *testing.T) {
	e := newEnv(t)
	newKey, _ := crypto.GenerateKey()
	tx, err := e.anchor.SetEpochSigner(e.owner, testEpoch+1, crypto.PubkeyToAddress(newKey.PublicKey))
	e.mine(tx, err)
	rotated := e.cluster.Agent(cove.AgentID(cove.SHA256([]byte("rotated")))).Attestor().Address()
	tx, err = e.anchor.RegisterAttestor(e.relayer, e.agent, common.Address(rotated), testEpoch+1, grant(t, newKey, e.agent, rotated, testEpoch+1))
	e.mine(tx, err)
	if a, _ := e.anchor.AttestorOf(nil, e.agent); a != common.Address(rotated) {
		t.Fatalf("attestorOf = %s after a newer grant, want %s", a, rotated)
	}
	old := e.attestor.Address()
	_, err = e.anchor.RegisterAttestor(e.relayer, e.agent, common.Address(old), testEpoch, grant(t, e.epochKey, e.agent, old, testEpoch))
	e.wantRevert(err, "StaleGrant")
}

// TestApprovalVault: a withdrawal completes only when the agent answers
// "approved"; the same withdrawal answered "denied" returns the amount to
// the owner's balance and nothing becomes claimable.
func TestApprovalVault(t *testing.T) {
	e := newEnv(t)
	vaultAt, tx, vault, err := DeployApprovalVault(e.owner, e.sim.Client(), e.anchorAt, e.agent)
	e.mine(tx, err)
	ether := big.NewInt(1e18)
	tx, err = vault.Deposit(&bind.TransactOpts{From: e.owner.From, Signer: e.owner.Signer, Value: ether})
	e.mine(tx, err)

	amount := big.NewInt(4e17)
	uint256, _ := abi.NewType("uint256", "", nil)
	address, _ := abi.NewType("address", "", nil)
	body, err := abi.Arguments{{Type: address}, {Type: uint256}}.Pack(e.owner.From, amount)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		answer               string
		claimable, remaining *big.Int
	}{
		{"denied", big.NewInt(0), ether},
		{"approved", amount, new(big.Int).Sub(ether, amount)},
	} {
		t.Run(c.answer, func(t *testing.T) {
			e.t = t
			tx, err := vault.RequestWithdrawal(withValue(e.owner, testFee), amount, 200_000)
			rc := e.mine(tx, err)
			var id *big.Int
			for _, l := range rc.Logs {
				if ev, err := e.anchor.ParseCoveRequest(*l); err == nil {
					id = ev.RequestId
					if !bytes.Equal(ev.Body, body) || ev.Path != "/approve" {
						t.Fatalf("request path %q body %x, want /approve %x", ev.Path, ev.Body, body)
					}
				}
			}
			if id == nil {
				t.Fatal("no CoveRequest event")
			}
			if bal, _ := vault.BalanceOf(nil, e.owner.From); bal.Cmp(new(big.Int).Sub(ether, amount)) != 0 {
				t.Fatalf("balance while pending %v, want %v", bal, new(big.Int).Sub(ether, amount))
			}
			r, sig := e.sign(e.attestor, e.agent, id, "/approve", body, []byte(c.answer), cove.ReceiptV2)
			rc, err = e.fulfil(id, r, []byte(c.answer), sig)
			if err != nil {
				t.Fatalf("fulfil: %v (%s)", err, revertName(e.anchorAB, err))
			}
			for _, l := range rc.Logs {
				if ev, err := e.anchor.ParseCoveFulfilled(*l); err == nil && !ev.CallbackSucceeded {
					t.Fatal("the vault's callback failed")
				}
			}
			if got, _ := vault.Claimable(nil, e.owner.From); got.Cmp(c.claimable) != 0 {
				t.Fatalf("claimable %v, want %v", got, c.claimable)
			}
			if got, _ := vault.BalanceOf(nil, e.owner.From); got.Cmp(c.remaining) != 0 {
				t.Fatalf("balance %v, want %v", got, c.remaining)
			}
		})
	}
	e.t = t
	tx, err = vault.Claim(e.owner)
	e.mine(tx, err)
	if got, _ := e.sim.Client().BalanceAt(t.Context(), vaultAt, nil); got.Cmp(new(big.Int).Sub(ether, amount)) != 0 {
		t.Fatalf("vault holds %v after the claim, want %v", got, new(big.Int).Sub(ether, amount))
	}
}
