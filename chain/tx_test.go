package chain

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/cove-network/cove"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

// sampleMsgs has one message of each type with every field set.
func sampleMsgs(t testing.TB) []Msg {
	h, cid := bundle("sample")
	id := cove.DeriveAgentID(alice.addr, h, cove.Hash{3})
	big1, _ := new(big.Int).SetString("115792089237316195423570985008687907853269984665640564039457584007913129639935", 10)
	return []Msg{
		Transfer{To: bob.addr, Amount: big1, Nonce: 1<<64 - 1},
		DeployAgent{Name: "n<&>é", CID: cid, CodeHash: h, Salt: cove.Hash{3}, Secrets: sealed(t, id, map[string]string{"K": "v"}), Nonce: 2},
		DeployAgent{Name: "iso", CID: cid, CodeHash: h, Salt: cove.Hash{4}, Isolation: cove.IsolationRequest, Nonce: 2},
		UpgradeAgent{Agent: id, CID: cid, CodeHash: h, Secrets: nil, Nonce: 3},
		RegisterWorker{TEE: "sim", PublicKey: []byte{1, 2, 3}, Endpoint: "https://w.example", Quote: []byte("q"), Nonce: 4},
		UpdateParams{Params: `{"admin":"` + alice.addr.String() + `","max_name_length":64,"max_secrets_bytes":131072}`, Nonce: 5},
		RegisterGatekeeper{TEE: "tdx", PublicKey: []byte{4, 5}, Endpoint: "http://g.example:1", Quote: []byte("gq"), Nonce: 6},
		PublishEpoch{Epoch: 1<<64 - 1, ClusterPublicKey: []byte{6, 7, 8}, IdentitySig: []byte{0xe1}, Nonce: 7},
		ProvisionKey{Recipient: cove.Hash{9, 9}, Epoch: 2, Sealed: []byte("sealed"), IdentitySig: []byte{0xe2, 0xe3}, Nonce: 8},
		SetAttestor{Agent: id, Attestor: bob.addr, IdentitySig: bytes.Repeat([]byte{0xe4}, 64), Nonce: 9},
		RotateKeys{Nonce: 10},
		Transfer{To: bob.addr, Amount: big.NewInt(5), MaxFee: big.NewInt(1e15), Nonce: 11},
		DeployAgent{Name: "both", CID: cid, CodeHash: h, Salt: cove.Hash{5}, Isolation: cove.IsolationRequest, MaxFee: big1, Nonce: 12},
		AddValidator{PubKey: valKey(1), Power: 3, Name: "v", Operator: bob.addr, Nonce: 13},
		AddValidator{PubKey: valKey(1), Power: 3, Name: "v", MaxFee: big.NewInt(7), Nonce: 14},
		RotateKeys{MaxFee: big.NewInt(1), Nonce: 15},
	}
}

// TestDigestMatchesGoEthereum checks the hand-written EIP-712 encoding of
// every message type against go-ethereum's generic implementation.
func TestDigestMatchesGoEthereum(t *testing.T) {
	domainTypes := []apitypes.Type{{Name: "name", Type: "string"}, {Name: "version", Type: "string"}, {Name: "chainId", Type: "uint256"}}
	for _, m := range sampleMsgs(t) {
		t.Run(m.Type(), func(t *testing.T) {
			fields, typ := eip712Fields(t, m)
			td := apitypes.TypedData{
				Types:       apitypes.Types{"EIP712Domain": domainTypes, m.Type(): typ},
				PrimaryType: m.Type(),
				Domain:      apitypes.TypedDataDomain{Name: "Cove", Version: "1", ChainId: (*math.HexOrDecimal256)(big.NewInt(testChainID))},
				Message:     fields,
			}
			want, _, err := apitypes.TypedDataAndHash(td)
			if err != nil {
				t.Fatal(err)
			}
			got := Tx{Msg: m}.Digest(testChainID)
			if !bytes.Equal(got[:], want) {
				t.Errorf("digest %s, go-ethereum %x", got, want)
			}
			// The type is the full one without the optional members the
			// message leaves out (DeployAgentShortType: none set).
			if ts, want := typeString(m.Type(), typ), planOf(m).of(value(m)).typeString; ts != want {
				t.Errorf("type string %q, the codec's %q", ts, want)
			}
			if d, ok := m.(DeployAgent); ok && d.Isolation == "" && d.MaxFee == nil {
				if ts := typeString(m.Type(), typ); ts != DeployAgentShortType {
					t.Errorf("type string %q, want %q", ts, DeployAgentShortType)
				}
			}
		})
	}
}

var typeStrings = map[string]string{
	"Transfer": TransferType, "DeployAgent": DeployAgentType, "UpgradeAgent": UpgradeAgentType,
	"RegisterWorker": RegisterWorkerType, "UpdateParams": UpdateParamsType,
	"RegisterGatekeeper": RegisterGatekeeperType, "PublishEpoch": PublishEpochType,
	"ProvisionKey": ProvisionKeyType, "SetAttestor": SetAttestorType, "RotateKeys": RotateKeysType,
	"AddValidator": AddValidatorType,
}

func typeString(name string, fields []apitypes.Type) string {
	var parts []string
	for _, f := range fields {
		parts = append(parts, f.Type+" "+f.Name)
	}
	return name + "(" + strings.Join(parts, ",") + ")"
}

// eip712Fields returns the message as go-ethereum's TypedDataMessage and
// the field types, read from the type string.
func eip712Fields(t *testing.T, m Msg) (apitypes.TypedDataMessage, []apitypes.Type) {
	t.Helper()
	b, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	ts := typeStrings[m.Type()]
	inner := ts[strings.IndexByte(ts, '(')+1 : len(ts)-1]
	var typ []apitypes.Type
	msg := apitypes.TypedDataMessage{}
	for _, f := range strings.Split(inner, ",") {
		kind, name, _ := strings.Cut(f, " ")
		v, ok := raw[name]
		if !ok && (name == "isolation" || name == "maxFee" || name == "operator") {
			continue // optional: not a member when absent
		}
		typ = append(typ, apitypes.Type{Name: name, Type: kind})
		if n, ok := v.(json.Number); ok {
			v = n.String()
		}
		msg[name] = v
	}
	return msg, typ
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, m := range sampleMsgs(t) {
		b := alice.tx(t, m)
		tx, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v\n%s", m.Type(), err, b)
		}
		if !reflect.DeepEqual(tx.Msg, m) {
			t.Errorf("%s: decoded %+v, want %+v", m.Type(), tx.Msg, m)
		}
		if s, err := tx.Sender(testChainID); err != nil || s != alice.addr {
			t.Errorf("%s: sender %s, %v", m.Type(), s, err)
		}
		again, err := tx.Encode()
		if err != nil || !bytes.Equal(again, b) {
			t.Errorf("%s: re-encoded\n%s\nwant\n%s", m.Type(), again, b)
		}
	}
	// Pointers are Msgs too and sign the same.
	m := transfer(bob, 1, 0)
	if !bytes.Equal(alice.tx(t, &m), alice.tx(t, m)) {
		t.Error("*Transfer and Transfer sign differently")
	}
}

func TestEncodeRefuses(t *testing.T) {
	for name, m := range map[string]Msg{
		"nil amount":      Transfer{To: bob.addr},
		"negative amount": Transfer{To: bob.addr, Amount: big.NewInt(-1)},
		"huge amount":     Transfer{To: bob.addr, Amount: new(big.Int).Lsh(big.NewInt(1), 256)},
		"bad utf-8":       DeployAgent{Name: "\xff"},
	} {
		if _, err := SignTx(testChainID, m, alice.sign); err == nil {
			t.Errorf("%s: SignTx accepted it", name)
		}
	}
	if _, err := (Tx{}).Encode(); err == nil {
		t.Error("Encode of an empty Tx succeeded")
	}
	boom := errors.New("boom")
	if _, err := SignTx(testChainID, transfer(bob, 1, 0), func(cove.Hash) ([65]byte, error) { return [65]byte{}, boom }); !errors.Is(err, boom) {
		t.Errorf("signer error not returned: %v", err)
	}
}

// TestDecodeStrict lists inputs Decode must refuse, each a small edit of a
// valid transaction.
func TestDecodeStrict(t *testing.T) {
	good := string(alice.tx(t, transfer(bob, 100, 3)))
	msg := `{"to":"` + bob.addr.String() + `","amount":"100","nonce":3}`
	sig := good[strings.Index(good, `"signature":`)+len(`"signature":`) : len(good)-1]
	tx := func(typ, message string) string {
		return `{"type":"` + typ + `","message":` + message + `,"signature":` + sig + `}`
	}
	if _, err := Decode([]byte(tx("Transfer", msg))); err != nil {
		t.Fatalf("the base case fails: %v", err)
	}
	lower := strings.ToLower(bob.addr.String())
	badSum := "0x" + strings.ToUpper(lower[2:3]) + lower[3:]
	if badSum == bob.addr.String() || strings.ToLower(badSum) == badSum {
		t.Fatal("test setup: need a bad checksum")
	}
	cases := map[string]string{
		"unknown envelope field": `{"type":"Transfer","message":` + msg + `,"signature":` + sig + `,"x":1}`,
		"missing signature":      `{"type":"Transfer","message":` + msg + `}`,
		"duplicate type":         `{"type":"Transfer","type":"Transfer","message":` + msg + `,"signature":` + sig + `}`,
		"null message":           `{"type":"Transfer","message":null,"signature":` + sig + `}`,
		"trailing data":          tx("Transfer", msg) + `{}`,
		"trailing garbage":       tx("Transfer", msg) + `x`,
		"type not string":        `{"type":1,"message":` + msg + `,"signature":` + sig + `}`,
		"lowercase type":         tx("transfer", msg),
		"unknown type":           tx("Mint", msg),
		"short signature":        `{"type":"Transfer","message":` + msg + `,"signature":"0x00"}`,
		"signature not hex":      `{"type":"Transfer","message":` + msg + `,"signature":"0x` + strings.Repeat("zz", 65) + `"}`,
		"signature no 0x":        `{"type":"Transfer","message":` + msg + `,"signature":"` + strings.Repeat("00", 66) + `"}`,
		"unknown message field":  tx("Transfer", `{"to":"`+lower+`","amount":"100","nonce":3,"memo":"x"}`),
		"missing nonce":          tx("Transfer", `{"to":"`+lower+`","amount":"100"}`),
		"duplicate nonce":        tx("Transfer", `{"to":"`+lower+`","amount":"100","nonce":3,"nonce":4}`),
		"nonce string":           tx("Transfer", `{"to":"`+lower+`","amount":"100","nonce":"3"}`),
		"nonce negative":         tx("Transfer", `{"to":"`+lower+`","amount":"100","nonce":-1}`),
		"nonce fraction":         tx("Transfer", `{"to":"`+lower+`","amount":"100","nonce":3.0}`),
		"nonce exponent":         tx("Transfer", `{"to":"`+lower+`","amount":"100","nonce":3e0}`),
		"nonce overflow":         tx("Transfer", `{"to":"`+lower+`","amount":"100","nonce":18446744073709551616}`),
		"nonce null":             tx("Transfer", `{"to":"`+lower+`","amount":"100","nonce":null}`),
		"amount number":          tx("Transfer", `{"to":"`+lower+`","amount":100,"nonce":3}`),
		"amount leading zero":    tx("Transfer", `{"to":"`+lower+`","amount":"0100","nonce":3}`),
		"amount negative":        tx("Transfer", `{"to":"`+lower+`","amount":"-1","nonce":3}`),
		"amount hex":             tx("Transfer", `{"to":"`+lower+`","amount":"0x64","nonce":3}`),
		"amount empty":           tx("Transfer", `{"to":"`+lower+`","amount":"","nonce":3}`),
		"amount 2^256":           tx("Transfer", `{"to":"`+lower+`","amount":"115792089237316195423570985008687907853269984665640564039457584007913129639936","nonce":3}`),
		"amount spaces":          tx("Transfer", `{"to":"`+lower+`","amount":" 100","nonce":3}`),
		"address short":          tx("Transfer", `{"to":"`+lower[:40]+`","amount":"100","nonce":3}`),
		"address bad checksum":   tx("Transfer", `{"to":"`+badSum+`","amount":"100","nonce":3}`),
		"address no 0x":          tx("Transfer", `{"to":"`+lower[2:]+`","amount":"100","nonce":3}`),
		"message array":          tx("Transfer", `[]`),
		"bytes32 short":          tx("UpgradeAgent", `{"agent":"0x00","cid":"","codeHash":"`+cove.Hash{}.String()+`","secrets":"0x","nonce":0}`),
		"bytes odd":              tx("UpgradeAgent", `{"agent":"`+cove.Hash{}.String()+`","cid":"","codeHash":"`+cove.Hash{}.String()+`","secrets":"0x0","nonce":0}`),
		"bytes no 0x":            tx("UpgradeAgent", `{"agent":"`+cove.Hash{}.String()+`","cid":"","codeHash":"`+cove.Hash{}.String()+`","secrets":"","nonce":0}`),
		"string as number":       tx("UpdateParams", `{"params":1,"nonce":0}`),
		"not utf-8":              tx("UpdateParams", "{\"params\":\"\xff\",\"nonce\":0}"),
		"too large":              tx("UpdateParams", `{"params":"`+strings.Repeat("a", MaxTxBytes)+`","nonce":0}`),
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Decode([]byte(c))
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("Decode(%.120s) = %v, want ErrMalformed", c, err)
			}
		})
	}
	// Accepted spellings: lowercase address, white space, any key order,
	// v = 0/1.
	for name, c := range map[string]string{
		"lowercase address": tx("Transfer", `{"to":"`+lower+`","amount":"100","nonce":3}`),
		"white space":       " \n" + strings.ReplaceAll(tx("Transfer", msg), ",", " ,\t") + "\n",
		"key order":         `{"signature":` + sig + `,"message":{"nonce":3,"amount":"100","to":"` + lower + `"},"type":"Transfer"}`,
	} {
		got, err := Decode([]byte(c))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if s, _ := got.Sender(testChainID); s != alice.addr {
			t.Errorf("%s: sender %s", name, s)
		}
	}
}

func TestTxHash(t *testing.T) {
	b := []byte(`{"x":1}`)
	if TxHash(b) != cove.SHA256(b) {
		t.Error("TxHash is not SHA-256 of the bytes")
	}
}

func TestCodeNames(t *testing.T) {
	seen := map[string]bool{}
	for c := CodeOK; c <= CodeAttestationFailed; c++ {
		n := CodeName(c)
		if n == "" || seen[n] || strings.HasPrefix(n, "code ") {
			t.Errorf("code %d: name %q", c, n)
		}
		seen[n] = true
	}
	if CodeName(99) != "code 99" {
		t.Errorf("CodeName(99) = %q", CodeName(99))
	}
	// The numbers are a public contract.
	for c, want := range map[uint32]uint32{CodeMalformed: 1, CodeBadSignature: 2, CodeUnknownAccount: 3, CodeBadNonce: 4,
		CodeInsufficientFunds: 5, CodeNotFound: 6, CodeExists: 7, CodeUnauthorized: 8, CodeInvalidArgument: 9,
		CodeAttestationUnavailable: 10, CodeAttestationFailed: 11} {
		if c != want {
			t.Errorf("%s = %d, want %d", CodeName(c), c, want)
		}
	}
}
