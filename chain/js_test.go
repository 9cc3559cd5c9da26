package chain

import (
	"encoding/hex"
	"encoding/json"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/internal/jstest"
	"github.com/ethereum/go-ethereum/crypto"
)

// repoRoot is the module root as seen from this package's directory.
const repoRoot = ".."

// nodeOrSkip returns the node binary for testdata/js (see internal/jstest).
func nodeOrSkip(t *testing.T) string {
	t.Helper()
	return jstest.Node(t, filepath.Join(repoRoot, "testdata", "js"), "testdata/js")
}

type jsSigned struct {
	Address cove.Address    `json:"address"`
	Digest  cove.Hash       `json:"digest"`
	Ethers  json.RawMessage `json:"ethers"`
	Viem    json.RawMessage `json:"viem"`
}

// signWithJS has testdata/js/sign-tx.mjs sign msg with k's key.
func signWithJS(t *testing.T, node string, k testKey, msg Msg) jsSigned {
	t.Helper()
	m, err := msg.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(map[string]any{"type": msg.Type(), "message": json.RawMessage(m)})
	cmd := exec.CommandContext(t.Context(), node, filepath.Join("testdata", "js", "sign-tx.mjs"),
		"0x"+hex.EncodeToString(crypto.FromECDSA(k.priv)), "7", string(in))
	cmd.Dir = repoRoot
	cmd.WaitDelay = 5 * time.Second
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sign-tx.mjs: %v", err)
	}
	var s jsSigned
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("sign-tx.mjs output %q: %v", out, err)
	}
	return s
}

// TestJSDigests checks the EIP-712 digest of every message type of the
// table against ethers and viem (testdata/js/sign-tx.mjs has its own type
// list, written by hand from docs/PROTOCOL.md).
func TestJSDigests(t *testing.T) {
	node := nodeOrSkip(t)
	for _, g := range goldens() {
		if strings.Contains(g.json, "18446744073709551615") {
			continue // a uint64 beyond 2^53: not a JSON number JS reads exactly (sign-tx.mjs's usage)
		}
		s := signWithJS(t, node, alice, g.msg)
		if s.Digest.String() != g.digest {
			t.Errorf("%s: ethers and viem digest %s, golden %s", g.msg.Type(), s.Digest, g.digest)
		}
		// The optional members set (maxFee on every type that has it,
		// AddValidator's operator, OpenChannel's verifier): the libraries
		// add them to the type.
		v := reflect.New(reflect.TypeOf(g.msg)).Elem()
		v.Set(reflect.ValueOf(g.msg))
		f := v.FieldByName("MaxFee")
		if !f.IsValid() {
			continue
		}
		f.Set(reflect.ValueOf(big.NewInt(12345678901234567)))
		if op := v.FieldByName("Operator"); op.IsValid() {
			op.Set(reflect.ValueOf(cove.Address{0xab, 1}))
		}
		if vf := v.FieldByName("Verifier"); vf.IsValid() {
			vf.Set(reflect.ValueOf(cove.Hash{0xbe, 7})) // OpenChannel's, a bytes32
		}
		set := v.Interface().(Msg)
		want := (Tx{Msg: set}).Digest(testChainID)
		if want.String() == g.digest {
			t.Fatalf("%s: maxFee does not change the digest", g.msg.Type())
		}
		if s := signWithJS(t, node, alice, set); s.Digest != want {
			t.Errorf("%s with maxFee: ethers and viem digest %s, Go %s", g.msg.Type(), s.Digest, want)
		}
	}
}

// TestJSSigners checks that transactions signed by ethers' and viem's
// signTypedData are accepted, with the right sender, by CheckTx and
// FinalizeBlock.
func TestJSSigners(t *testing.T) {
	node := nodeOrSkip(t)
	m := deploy("js-agent", 4, 1)
	id := cove.DeriveAgentID(alice.addr, m.CodeHash, m.Salt)
	m.Secrets = sealed(t, id, map[string]string{"KEY": "v"})
	msgs := []Msg{transfer(bob, 123, 0), m}
	signed := make([]jsSigned, len(msgs))
	for i, msg := range msgs {
		signed[i] = signWithJS(t, node, alice, msg)
		if signed[i].Address != alice.addr {
			t.Fatalf("JS signer is %s, want %s", signed[i].Address, alice.addr)
		}
		if want := (Tx{Msg: msg}).Digest(testChainID); signed[i].Digest != want {
			t.Errorf("%s: JS digest %s, Go digest %s", msg.Type(), signed[i].Digest, want)
		}
	}
	for _, lib := range []string{"ethers", "viem"} {
		t.Run(lib, func(t *testing.T) {
			a := newApp(t)
			var txs [][]byte
			for i, s := range signed {
				tx := []byte(s.Ethers)
				if lib == "viem" {
					tx = []byte(s.Viem)
				}
				r := a.CheckTx(tx)
				if r.Code != CodeOK || r.Sender != alice.addr {
					t.Fatalf("%s tx %d: CheckTx code %d (%s) sender %s, want ok from %s\n%s", lib, i, r.Code, r.Log, r.Sender, alice.addr, tx)
				}
				txs = append(txs, tx)
			}
			res := block(t, a, txs...)
			for i, r := range res.TxResults {
				if r.Code != CodeOK || r.Sender != alice.addr {
					t.Errorf("%s tx %d: FinalizeBlock code %d (%s) sender %s", lib, i, r.Code, r.Log, r.Sender)
				}
			}
			if balance(a, bob) != 623 {
				t.Errorf("bob has %d, want 623", balance(a, bob))
			}
			rec, err := a.View().Agent(id)
			if err != nil || rec.Owner != alice.addr || rec.Name != "js-agent" {
				t.Errorf("agent %+v, %v", rec, err)
			}
		})
	}
}

// TestJSDigestsEveryType checks that ethers and viem sign every transaction
// type exactly as Go hashes it: the digest matches and both signatures
// decode and recover the signer.
func TestJSDigestsEveryType(t *testing.T) {
	node := nodeOrSkip(t)
	msgs := []Msg{
		Transfer{To: bob.addr, Amount: big.NewInt(5), Nonce: 1},
		UpgradeAgent{Agent: cove.AgentID{1}, CID: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", CodeHash: cove.Hash{2}, Secrets: Bytes{1, 2, 3}, Nonce: 2},
		RegisterWorker{TEE: "sim", PublicKey: Bytes{4, 5}, Endpoint: "http://127.0.0.1:1", Quote: Bytes{6}, Nonce: 3},
		UpdateParams{Params: `{"admin":"0x0000000000000000000000000000000000000001"}`, Nonce: 4},
		RegisterGatekeeper{TEE: "sim", PublicKey: Bytes{7}, Endpoint: "http://127.0.0.1:2", Quote: Bytes{8, 9}, Nonce: 5},
		PublishEpoch{Epoch: 1, ClusterPublicKey: Bytes{10, 11}, IdentitySig: Bytes{13, 14}, Nonce: 6},
		ProvisionKey{Recipient: cove.Hash{3}, Epoch: 1, Sealed: Bytes{12}, IdentitySig: Bytes{15}, Nonce: 7},
		SetAttestor{Agent: cove.AgentID{4}, Attestor: bob.addr, IdentitySig: Bytes{16, 17, 18}, Nonce: 8},
		RotateKeys{Nonce: 9},
	}
	for _, msg := range msgs {
		t.Run(msg.Type(), func(t *testing.T) {
			s := signWithJS(t, node, alice, msg)
			if want := (Tx{Msg: msg}).Digest(testChainID); s.Digest != want {
				t.Fatalf("JS digest %s, Go digest %s", s.Digest, want)
			}
			for lib, raw := range map[string]json.RawMessage{"ethers": s.Ethers, "viem": s.Viem} {
				tx, err := Decode(raw)
				if err != nil {
					t.Fatalf("%s: decode: %v\n%s", lib, err, raw)
				}
				if from, err := tx.Sender(testChainID); err != nil || from != alice.addr {
					t.Fatalf("%s: sender %s, %v; want %s", lib, from, err, alice.addr)
				}
			}
		})
	}
}
