package chain

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/ethereum/go-ethereum/crypto"
)

func TestTransfer(t *testing.T) {
	a := newApp(t)
	tx := alice.tx(t, transfer(bob, 100, 0))
	r := one(t, a, tx)
	wantCode(t, r, CodeOK)
	if r.Sender != alice.addr || r.TxHash != TxHash(tx) {
		t.Errorf("sender %s hash %s, want %s %s", r.Sender, r.TxHash, alice.addr, TxHash(tx))
	}
	want := []Event{{Type: "transfer", Attrs: []Attr{
		{"from", alice.addr.String()}, {"to", bob.addr.String()}, {"amount", "100"},
	}}}
	if !reflect.DeepEqual(r.Events, want) {
		t.Errorf("events %v, want %v", r.Events, want)
	}
	if balance(a, alice) != 900 || balance(a, bob) != 600 || nonce(a, alice) != 1 || nonce(a, bob) != 0 {
		t.Errorf("alice %d/%d bob %d/%d, want 900/1 600/0", balance(a, alice), nonce(a, alice), balance(a, bob), nonce(a, bob))
	}
}

func TestTransferCreatesAccount(t *testing.T) {
	a := newApp(t)
	wantCode(t, one(t, a, alice.tx(t, transfer(carol, 0, 0))), CodeOK)
	if _, ok := a.state[accountKey(carol.addr)]; ok {
		t.Fatal("a zero transfer stored an empty account")
	}
	wantCode(t, one(t, a, alice.tx(t, transfer(carol, 10, 1))), CodeOK)
	// carol now exists and can send.
	wantCode(t, one(t, a, carol.tx(t, transfer(bob, 4, 0))), CodeOK)
	if balance(a, carol) != 6 || nonce(a, carol) != 1 || balance(a, bob) != 504 {
		t.Errorf("carol %d/%d bob %d", balance(a, carol), nonce(a, carol), balance(a, bob))
	}
}

func TestTransferWholeBalance(t *testing.T) {
	a := newApp(t)
	wantCode(t, one(t, a, alice.tx(t, transfer(bob, 1000, 0))), CodeOK)
	if balance(a, alice) != 0 || nonce(a, alice) != 1 || balance(a, bob) != 1500 {
		t.Errorf("alice %d/%d bob %d, want 0/1 1500", balance(a, alice), nonce(a, alice), balance(a, bob))
	}
	wantCode(t, one(t, a, alice.tx(t, transfer(bob, 1, 1))), CodeInsufficientFunds)
}

func TestTransferToSelf(t *testing.T) {
	a := newApp(t)
	wantCode(t, one(t, a, alice.tx(t, transfer(alice, 1000, 0))), CodeOK)
	if balance(a, alice) != 1000 || nonce(a, alice) != 1 {
		t.Errorf("alice %d/%d, want 1000/1", balance(a, alice), nonce(a, alice))
	}
}

func TestTransferInsufficientFunds(t *testing.T) {
	a := newApp(t)
	r := one(t, a, alice.tx(t, transfer(bob, 1001, 0)))
	wantCode(t, r, CodeInsufficientFunds, "has 1000", "needs 1001")
	// The nonce is used, nothing else changes.
	if balance(a, alice) != 1000 || balance(a, bob) != 500 || nonce(a, alice) != 1 {
		t.Errorf("alice %d/%d bob %d", balance(a, alice), nonce(a, alice), balance(a, bob))
	}
}

func TestBadNonce(t *testing.T) {
	a := newApp(t)
	r := one(t, a, alice.tx(t, transfer(bob, 1, 5)))
	wantCode(t, r, CodeBadNonce, "nonce 0 expected, got 5", "/v1/chain/accounts/"+alice.addr.String())
	if nonce(a, alice) != 0 || balance(a, bob) != 500 {
		t.Errorf("a refused nonce changed state: alice nonce %d bob %d", nonce(a, alice), balance(a, bob))
	}
}

func TestReplayRefused(t *testing.T) {
	a := newApp(t)
	tx := alice.tx(t, transfer(bob, 100, 0))
	wantCode(t, one(t, a, tx), CodeOK)
	wantCode(t, one(t, a, tx), CodeBadNonce, "nonce 1 expected, got 0")
	// In one block too.
	tx2 := alice.tx(t, transfer(bob, 100, 1))
	res := block(t, a, tx2, tx2)
	wantCode(t, res.TxResults[0], CodeOK)
	wantCode(t, res.TxResults[1], CodeBadNonce)
	if balance(a, bob) != 700 {
		t.Errorf("bob %d, want 700", balance(a, bob))
	}
	// A failed-but-included tx cannot be replayed either.
	fail := alice.tx(t, transfer(bob, 5000, 2))
	wantCode(t, one(t, a, fail), CodeInsufficientFunds)
	wantCode(t, one(t, a, fail), CodeBadNonce)
}

func TestSignatureForAnotherChain(t *testing.T) {
	a := newApp(t)
	tx := alice.txFor(t, testChainID+1, transfer(bob, 1, 0))
	r := one(t, a, tx)
	wantCode(t, r, CodeUnknownAccount, "another chain", "chainId 7")
	if r.Sender == alice.addr || r.Sender.IsZero() {
		t.Errorf("sender %s: a signature for chain 8 must recover another address", r.Sender)
	}
	if nonce(a, alice) != 0 || balance(a, bob) != 500 {
		t.Error("state changed")
	}
}

func TestUnknownAccount(t *testing.T) {
	a := newApp(t)
	r := one(t, a, carol.tx(t, transfer(bob, 0, 0)))
	wantCode(t, r, CodeUnknownAccount, carol.addr.String(), "fund it first")
	if r.Sender != carol.addr {
		t.Errorf("sender %s, want %s", r.Sender, carol.addr)
	}
}

func TestBadSignature(t *testing.T) {
	a := newApp(t)
	good := alice.tx(t, transfer(bob, 1, 0))
	tx, err := Decode(good)
	if err != nil {
		t.Fatal(err)
	}
	n := new(big.Int).Sub(crypto.S256().Params().N, new(big.Int).SetBytes(tx.Signature[32:64]))
	cases := map[string]func(*[65]byte){
		"v 29":   func(s *[65]byte) { s[64] = 29 },
		"v 2":    func(s *[65]byte) { s[64] = 2 },
		"r zero": func(s *[65]byte) { clear(s[:32]) },
		"s zero": func(s *[65]byte) { clear(s[32:64]) },
		"high s": func(s *[65]byte) { n.FillBytes(s[32:64]); s[64] = 27 + 28 - s[64] },
		"r max":  func(s *[65]byte) { copy(s[:32], bytes.Repeat([]byte{0xff}, 32)) },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			bad := tx
			mutate(&bad.Signature)
			b, err := bad.Encode()
			if err != nil {
				t.Fatal(err)
			}
			r := a.CheckTx(b)
			wantCode(t, r, CodeBadSignature)
		})
	}
	// v = 0/1 is accepted like 27/28.
	low := tx
	low.Signature[64] -= 27
	b, _ := low.Encode()
	if r := a.CheckTx(b); r.Code != CodeOK || r.Sender != alice.addr {
		t.Errorf("v=%d: code %d sender %s", low.Signature[64], r.Code, r.Sender)
	}
}

func TestMalformed(t *testing.T) {
	a := newApp(t)
	cases := []string{
		``,
		`null`,
		`[]`,
		`{"type":"Transfer"}`,
		`{"type":"Mint","message":{},"signature":"0x00"}`,
		`not json`,
		string(bytes.Repeat([]byte{' '}, MaxTxBytes+1)),
	}
	for _, c := range cases {
		r := a.CheckTx([]byte(c))
		wantCode(t, r, CodeMalformed, "PROTOCOL.md")
		if !r.Sender.IsZero() {
			t.Errorf("malformed tx has sender %s", r.Sender)
		}
		if r := one(t, a, []byte(c)); r.Code != CodeMalformed {
			t.Errorf("%.40q in a block: code %d", c, r.Code)
		}
	}
	if nonce(a, alice) != 0 {
		t.Error("state changed")
	}
}

func TestDeployAgent(t *testing.T) {
	a := newApp(t)
	m := deploy("hello.world_1-x", 1, 0)
	id := cove.DeriveAgentID(alice.addr, m.CodeHash, m.Salt)
	m.Secrets = sealed(t, id, map[string]string{"API_KEY": "k"})
	r := one(t, a, alice.tx(t, m))
	wantCode(t, r, CodeOK)
	wantEvents := []Event{{Type: "agent_deployed", Attrs: []Attr{
		{"id", id.String()}, {"owner", alice.addr.String()}, {"cid", m.CID},
		{"codeHash", m.CodeHash.String()}, {"version", "1"},
	}}}
	if !reflect.DeepEqual(r.Events, wantEvents) {
		t.Errorf("events %v, want %v", r.Events, wantEvents)
	}
	rec, err := a.View().Agent(id)
	if err != nil {
		t.Fatal(err)
	}
	want := AgentRecord{
		ID: id, Owner: alice.addr, Name: m.Name, CID: m.CID, CodeHash: m.CodeHash, Salt: m.Salt,
		Version: 1, Secrets: m.Secrets, CreatedAt: blockTime(1), UpdatedAt: blockTime(1),
		History: []AgentVersion{{Version: 1, CID: m.CID, CodeHash: m.CodeHash, Height: 1, Time: blockTime(1)}},
	}
	if !reflect.DeepEqual(rec, want) {
		t.Errorf("record\n%+v\nwant\n%+v", rec, want)
	}
	ag := rec.Agent()
	if ag.ID != id || ag.Owner != alice.addr || !ag.Attestor.IsZero() || !bytes.Equal(ag.Secrets, m.Secrets) || !ag.CreatedAt.Equal(blockTime(1)) {
		t.Errorf("Agent() = %+v", ag)
	}
	if all := a.View().Agents(); len(all) != 1 || all[0].ID != id {
		t.Errorf("Agents() = %v", all)
	}
	if _, err := a.View().Agent(cove.AgentID{1}); !errors.Is(err, cove.ErrNotFound) {
		t.Errorf("missing agent: %v, want ErrNotFound", err)
	}
	// Deploying again (same owner, code and salt) is refused; the nonce is used.
	m.Nonce = 1
	wantCode(t, one(t, a, alice.tx(t, m)), CodeExists, id.String())
	if nonce(a, alice) != 2 {
		t.Errorf("nonce %d, want 2", nonce(a, alice))
	}
	// Another salt, or another owner, gives another agent.
	m2 := deploy("hello.world_1-x", 2, 2)
	wantCode(t, one(t, a, alice.tx(t, m2)), CodeOK)
	wantCode(t, one(t, a, bob.tx(t, deploy("hello.world_1-x", 1, 0))), CodeOK)
	all := a.View().Agents()
	if len(all) != 3 {
		t.Fatalf("%d agents, want 3", len(all))
	}
	for i := 1; i < len(all); i++ {
		if bytes.Compare(all[i-1].ID[:], all[i].ID[:]) >= 0 {
			t.Errorf("Agents() not sorted by id")
		}
	}
}

func TestDeployAgentInvalid(t *testing.T) {
	h, cid := bundle("x")
	other, _ := bundle("y")
	long := strings.Repeat("n", DefaultMaxNameLength+1)
	cases := []struct {
		name   string
		mutate func(*DeployAgent)
		log    string
	}{
		{"bad cid", func(m *DeployAgent) { m.CID = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG" }, "CIDv0"},
		{"not a cid", func(m *DeployAgent) { m.CID = "hello" }, "invalid cid"},
		{"empty cid", func(m *DeployAgent) { m.CID = "" }, "invalid cid"},
		{"cid of other code", func(m *DeployAgent) { m.CodeHash = other }, "names code hash"},
		{"name starts with dot", func(m *DeployAgent) { m.Name = ".x" }, "name"},
		{"name with space", func(m *DeployAgent) { m.Name = "a b" }, "name"},
		{"name too long", func(m *DeployAgent) { m.Name = long }, "limit is 64"},
		{"secrets not sealed", func(m *DeployAgent) { m.Secrets = []byte("API_KEY=plaintext") }, "sealed secrets"},
		{"secrets wrong version", func(m *DeployAgent) { m.Secrets = []byte("COVS\x02\x00\x00\x00\x01rest") }, "version 2"},
		{"secrets too large", func(m *DeployAgent) {
			m.Secrets = append([]byte("COVS\x01\x00\x00\x00\x01"), make([]byte, DefaultMaxSecretsBytes)...)
		}, "limit is 131072"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newApp(t)
			m := DeployAgent{Name: "ok", CID: cid, CodeHash: h, Nonce: 0}
			c.mutate(&m)
			r := one(t, a, alice.tx(t, m))
			wantCode(t, r, CodeInvalidArgument, c.log)
			if len(a.View().Agents()) != 0 || nonce(a, alice) != 1 {
				t.Errorf("agents %d nonce %d, want 0 and 1", len(a.View().Agents()), nonce(a, alice))
			}
		})
	}
	// Names at the limit and an empty name are fine.
	a := newApp(t)
	m := DeployAgent{Name: long[1:], CID: cid, CodeHash: h}
	wantCode(t, one(t, a, alice.tx(t, m)), CodeOK)
	m = DeployAgent{CID: cid, CodeHash: h, Salt: cove.Hash{1}, Nonce: 1}
	wantCode(t, one(t, a, alice.tx(t, m)), CodeOK)
}

func TestUpgradeAgent(t *testing.T) {
	a := newApp(t)
	m := deploy("app", 0, 0)
	id := cove.DeriveAgentID(alice.addr, m.CodeHash, m.Salt)
	m.Secrets = sealed(t, id, map[string]string{"A": "1"})
	wantCode(t, one(t, a, alice.tx(t, m)), CodeOK)

	h2, cid2 := bundle("app v2")
	r := one(t, a, alice.tx(t, UpgradeAgent{Agent: id, CID: cid2, CodeHash: h2, Nonce: 1}))
	wantCode(t, r, CodeOK)
	wantEvents := []Event{{Type: "agent_upgraded", Attrs: []Attr{
		{"id", id.String()}, {"cid", cid2}, {"codeHash", h2.String()}, {"version", "2"},
	}}}
	if !reflect.DeepEqual(r.Events, wantEvents) {
		t.Errorf("events %v, want %v", r.Events, wantEvents)
	}
	rec, err := a.View().Agent(id)
	if err != nil {
		t.Fatal(err)
	}
	wantHistory := []AgentVersion{
		{Version: 1, CID: m.CID, CodeHash: m.CodeHash, Height: 1, Time: blockTime(1)},
		{Version: 2, CID: cid2, CodeHash: h2, Height: 2, Time: blockTime(2)},
	}
	if rec.Version != 2 || rec.CID != cid2 || rec.CodeHash != h2 || !reflect.DeepEqual(rec.History, wantHistory) {
		t.Errorf("record %+v", rec)
	}
	if !bytes.Equal(rec.Secrets, m.Secrets) {
		t.Error("empty secrets in an upgrade did not keep the old ones")
	}
	if !rec.CreatedAt.Equal(blockTime(1)) || !rec.UpdatedAt.Equal(blockTime(2)) || rec.Owner != alice.addr || rec.Name != "app" {
		t.Errorf("record %+v", rec)
	}
	// New secrets replace the old ones.
	s2 := sealed(t, id, map[string]string{"B": "2"})
	h3, cid3 := bundle("app v3")
	wantCode(t, one(t, a, alice.tx(t, UpgradeAgent{Agent: id, CID: cid3, CodeHash: h3, Secrets: s2, Nonce: 2})), CodeOK)
	rec, _ = a.View().Agent(id)
	if rec.Version != 3 || !bytes.Equal(rec.Secrets, s2) || len(rec.History) != 3 {
		t.Errorf("v3 record %+v", rec)
	}
}

func TestUpgradeAgentRefused(t *testing.T) {
	a := newApp(t)
	m := deploy("app", 0, 0)
	id := cove.DeriveAgentID(alice.addr, m.CodeHash, m.Salt)
	wantCode(t, one(t, a, alice.tx(t, m)), CodeOK)
	before, _ := a.View().Agent(id)
	h2, cid2 := bundle("evil")

	r := one(t, a, bob.tx(t, UpgradeAgent{Agent: id, CID: cid2, CodeHash: h2, Nonce: 0}))
	wantCode(t, r, CodeUnauthorized, "owned by "+alice.addr.String(), "owner's key")
	wantCode(t, one(t, a, alice.tx(t, UpgradeAgent{Agent: cove.AgentID{9}, CID: cid2, CodeHash: h2, Nonce: 1})), CodeNotFound)
	wantCode(t, one(t, a, alice.tx(t, UpgradeAgent{Agent: id, CID: cid2, CodeHash: m.CodeHash, Nonce: 2})), CodeInvalidArgument, "names code hash")
	wantCode(t, one(t, a, alice.tx(t, UpgradeAgent{Agent: id, CID: cid2, CodeHash: h2, Secrets: []byte{1}, Nonce: 3})), CodeInvalidArgument, "secrets")

	after, _ := a.View().Agent(id)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("refused upgrades changed the agent:\n%+v\n%+v", before, after)
	}
	if nonce(a, bob) != 1 || nonce(a, alice) != 4 {
		t.Errorf("nonces bob %d alice %d, want 1 and 4", nonce(a, bob), nonce(a, alice))
	}
}

func TestRegisterWorkerWithoutVerifier(t *testing.T) {
	a := newApp(t)
	r := one(t, a, bob.tx(t, worker("w1", 0)))
	wantCode(t, r, CodeAttestationUnavailable, "cannot verify sim quotes")
	if len(a.View().Workers()) != 0 || nonce(a, bob) != 1 {
		t.Error("refused registration changed state")
	}
}

func TestRegisterWorker(t *testing.T) {
	a := newApp(t)
	v := &testVerifier{}
	a.SetVerifier(v)
	m := worker("w1", 0)
	id := WorkerID(m.PublicKey)
	if id != cove.Keccak256(m.PublicKey) {
		t.Fatal("worker id is not keccak256(publicKey)")
	}
	r := one(t, a, bob.tx(t, m))
	wantCode(t, r, CodeOK)
	wantEvents := []Event{{Type: "worker_registered", Attrs: []Attr{
		{"id", id.String()}, {"operator", bob.addr.String()}, {"tee", "sim"},
		{"measurement", Bytes("measurement-w1").String()}, {"endpoint", m.Endpoint},
	}}}
	if !reflect.DeepEqual(r.Events, wantEvents) {
		t.Errorf("events %v, want %v", r.Events, wantEvents)
	}
	want := WorkerRecord{
		ID: id, Operator: bob.addr, TEE: "sim", Measurement: Bytes("measurement-w1"), PublicKey: m.PublicKey,
		Endpoint: m.Endpoint, Status: WorkerStatusActive, RegisteredAt: blockTime(1), Height: 1,
	}
	got, err := a.View().Worker(id)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Worker = %+v, %v; want %+v", got, err, want)
	}
	if all := a.View().Workers(); len(all) != 1 || !reflect.DeepEqual(all[0], want) {
		t.Errorf("Workers() = %v", all)
	}
	if len(v.calls) != 1 || !v.calls[0].Equal(blockTime(1)) {
		t.Errorf("verifier calls %v, want one at the block time %v", v.calls, blockTime(1))
	}
	if _, err := a.View().Worker(cove.Hash{1}); !errors.Is(err, cove.ErrNotFound) {
		t.Errorf("missing worker: %v", err)
	}

	// Again with the same key: exists.
	m.Nonce = 1
	wantCode(t, one(t, a, bob.tx(t, m)), CodeExists)

	// A quote for another key, or of another platform: attestation failed.
	bad := worker("w2", 2)
	bad.Quote = testQuote(RoleWorker, bob.addr, []byte("some other key"), []byte("m"))
	wantCode(t, one(t, a, bob.tx(t, bad)), CodeQuoteForOtherKeys, "report data")
	bad = worker("w2", 3)
	bad.TEE = "tdx"
	wantCode(t, one(t, a, bob.tx(t, bad)), CodeAttestationFailed, "not supported")
	bad = worker("w2", 4)
	bad.Quote = testQuote(RoleWorker, bob.addr, bad.PublicKey, nil) // no measurement
	wantCode(t, one(t, a, bob.tx(t, bad)), CodeAttestationFailed, "measurement")

	// Invalid fields.
	for _, c := range []struct {
		name   string
		mutate func(*RegisterWorker)
	}{
		{"tee upper case", func(m *RegisterWorker) { m.TEE = "TDX" }},
		{"tee empty", func(m *RegisterWorker) { m.TEE = "" }},
		{"no public key", func(m *RegisterWorker) { m.PublicKey = nil }},
		{"no quote", func(m *RegisterWorker) { m.Quote = nil }},
		{"endpoint scheme", func(m *RegisterWorker) { m.Endpoint = "ftp://x" }},
		{"endpoint no host", func(m *RegisterWorker) { m.Endpoint = "https://" }},
		{"endpoint space", func(m *RegisterWorker) { m.Endpoint = "https://a b" }},
	} {
		n := nonce(a, bob)
		m := worker("w3", n)
		c.mutate(&m)
		wantCode(t, one(t, a, bob.tx(t, m)), CodeInvalidArgument)
	}
	if len(a.View().Workers()) != 1 {
		t.Errorf("%d workers, want 1", len(a.View().Workers()))
	}
}

func TestUpdateParams(t *testing.T) {
	a := newApp(t)
	p := a.View().Params()
	if !reflect.DeepEqual(p, testGenesis().Params) {
		t.Fatalf("genesis params %+v", p)
	}
	p.MaxNameLength = 4
	b, _ := json.Marshal(p)

	// Not the admin.
	wantCode(t, one(t, a, bob.tx(t, UpdateParams{Params: string(b), Nonce: 0})), CodeUnauthorized, "only the admin")
	if a.View().Params().MaxNameLength != DefaultMaxNameLength {
		t.Fatal("non-admin changed params")
	}
	// Invalid params.
	for _, bad := range []string{
		`{"admin":"` + alice.addr.String() + `","max_name_length":0,"max_secrets_bytes":1000}`,
		`{"admin":"` + alice.addr.String() + `","max_name_length":5,"max_secrets_bytes":1000,"extra":1}`,
		`{"admin":"` + alice.addr.String() + `","max_name_length":5,"max_name_length":6,"max_secrets_bytes":1000}`,
		`{"admin":"` + alice.addr.String() + `","max_name_length":5,"max_secrets_bytes":1000} {}`,
		`not json`,
	} {
		n := nonce(a, alice)
		wantCode(t, one(t, a, alice.tx(t, UpdateParams{Params: bad, Nonce: n})), CodeInvalidArgument, "params")
	}
	// The admin.
	r := one(t, a, alice.tx(t, UpdateParams{Params: string(b), Nonce: nonce(a, alice)}))
	wantCode(t, r, CodeOK)
	if len(r.Events) != 1 || r.Events[0].Type != "params_updated" || r.Events[0].Attrs[1].Value != string(b) {
		t.Errorf("events %v", r.Events)
	}
	if !reflect.DeepEqual(a.View().Params(), p) {
		t.Errorf("params %+v, want %+v", a.View().Params(), p)
	}
	// The new limit applies.
	wantCode(t, one(t, a, alice.tx(t, deploy("toolong", 0, nonce(a, alice)))), CodeInvalidArgument, "limit is 4")
	// Handing admin to bob.
	p.Admin = bob.addr
	b, _ = json.Marshal(p)
	wantCode(t, one(t, a, alice.tx(t, UpdateParams{Params: string(b), Nonce: nonce(a, alice)})), CodeOK)
	p.MaxNameLength = 10
	b, _ = json.Marshal(p)
	wantCode(t, one(t, a, alice.tx(t, UpdateParams{Params: string(b), Nonce: nonce(a, alice)})), CodeUnauthorized)
	wantCode(t, one(t, a, bob.tx(t, UpdateParams{Params: string(b), Nonce: nonce(a, bob)})), CodeOK)
}

func TestUpdateParamsWithoutAdmin(t *testing.T) {
	a := New()
	g := testGenesis()
	g.Params.Admin = cove.Address{}
	if _, err := a.InitChain(g); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(DefaultParams(alice.addr))
	wantCode(t, one(t, a, alice.tx(t, UpdateParams{Params: string(b)})), CodeUnauthorized, "no admin")
}

func TestGenesisValidate(t *testing.T) {
	ok := testGenesis()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	max := new(big.Int).Set(maxUint256)
	cases := map[string]func(*Genesis){
		"chain id 0":      func(g *Genesis) { g.ChainID = 0 },
		"no time":         func(g *Genesis) { g.Time = time.Time{} },
		"year 10000":      func(g *Genesis) { g.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"duplicate":       func(g *Genesis) { g.Accounts = append(g.Accounts, g.Accounts[0]) },
		"zero address":    func(g *Genesis) { g.Accounts[0].Address = cove.Address{} },
		"zero balance":    func(g *Genesis) { g.Accounts[0].Balance = big.NewInt(0) },
		"nil balance":     func(g *Genesis) { g.Accounts[0].Balance = nil },
		"negative":        func(g *Genesis) { g.Accounts[0].Balance = big.NewInt(-1) },
		"supply overflow": func(g *Genesis) { g.Accounts[0].Balance = max; g.Accounts[1].Balance = max },
		"bad params":      func(g *Genesis) { g.Params.MaxSecretsBytes = 1 },
	}
	for name, mutate := range cases {
		g := testGenesis()
		mutate(&g)
		if err := g.Validate(); err == nil {
			t.Errorf("%s: Validate accepted it", name)
		}
		if _, err := New().InitChain(g); err == nil {
			t.Errorf("%s: InitChain accepted it", name)
		}
	}
	// JSON round trip, strict.
	b, err := json.Marshal(ok)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := ParseGenesis(b)
	if err != nil || !reflect.DeepEqual(g2.Accounts, ok.Accounts) || g2.ChainID != ok.ChainID || !g2.Time.Equal(ok.Time) {
		t.Errorf("ParseGenesis(%s) = %+v, %v", b, g2, err)
	}
	if !strings.Contains(string(b), `"balance":"1000"`) {
		t.Errorf("genesis JSON %s: balance is not a decimal string", b)
	}
	if _, err := ParseGenesis(append(b[:len(b)-1:len(b)-1], `,"x":1}`...)); err == nil {
		t.Error("ParseGenesis accepted an unknown field")
	}
	// InitChain twice: CometBFT replays it when it stopped after the app
	// committed genesis but before it saved its own state, so the same
	// genesis on an App still at genesis is accepted and changes nothing;
	// another genesis, or the same after a block, is refused.
	a := newApp(t)
	before := a.Snapshot()
	hash, err := a.InitChain(ok)
	if err != nil || !bytes.Equal(hash, a.AppHash()) || !reflect.DeepEqual(a.Snapshot(), before) {
		t.Errorf("InitChain again with the same genesis: %x, %v (state changed: %v)", hash, err, !reflect.DeepEqual(a.Snapshot(), before))
	}
	other := testGenesis()
	other.Time = other.Time.Add(time.Second)
	if _, err := a.InitChain(other); err == nil {
		t.Error("InitChain with another genesis accepted on a chain at genesis")
	}
	block(t, a)
	if _, err := a.InitChain(ok); err == nil {
		t.Error("InitChain accepted after a block")
	}
}

// TestDeployIsolation: isolation "request" is recorded and shown; the
// default (empty or "agent") records nothing and shows "agent"; anything
// else is refused, in the same state as the accepted ones.
func TestDeployIsolation(t *testing.T) {
	a := newApp(t)
	for i, c := range []struct{ in, record, shown string }{
		{"", "", cove.IsolationAgent},
		{cove.IsolationAgent, "", cove.IsolationAgent},
		{cove.IsolationRequest, cove.IsolationRequest, cove.IsolationRequest},
	} {
		m := deploy("iso", byte(i+1), nonce(a, alice))
		m.Isolation = c.in
		wantCode(t, one(t, a, alice.tx(t, m)), CodeOK)
		rec, err := a.View().Agent(cove.DeriveAgentID(alice.addr, m.CodeHash, m.Salt))
		if err != nil {
			t.Fatal(err)
		}
		if rec.Isolation != c.record || rec.Agent().Isolation != c.shown {
			t.Errorf("isolation %q: record %q, shown %q; want %q, %q", c.in, rec.Isolation, rec.Agent().Isolation, c.record, c.shown)
		}
	}
	m := deploy("iso", 9, nonce(a, alice))
	m.Isolation = "Request"
	wantCode(t, one(t, a, alice.tx(t, m)), CodeInvalidArgument, `isolation "Request"`)
}

// TestViewAgentCache: View.Agent serves a cached decode only while the
// committed record is unchanged (an upgrade is seen at once), and a caller
// changing what it got changes nothing for the next (appending to the
// shared Secrets included).
func TestViewAgentCache(t *testing.T) {
	a := newApp(t)
	m := deploy("cached", 1, 0)
	id := cove.DeriveAgentID(alice.addr, m.CodeHash, m.Salt)
	m.Secrets = sealed(t, id, map[string]string{"KEY": "value"})
	wantCode(t, one(t, a, alice.tx(t, m)), CodeOK)
	first, err := a.View().Agent(id)
	if err != nil {
		t.Fatal(err)
	}
	first.History[0].CID = "changed by a caller"
	n := len(first.Secrets)
	if cap(first.Secrets) != n {
		t.Fatalf("the shared secrets have room to append in place: length %d, capacity %d", n, cap(first.Secrets))
	}
	first.Secrets = append(first.Secrets[:n-1], 0xAA, 0xBB)
	again, _ := a.View().Agent(id)
	if again.History[0].CID != m.CID {
		t.Fatalf("a caller's change reached the cache: %q", again.History[0].CID)
	}
	if !bytes.Equal(again.Secrets, m.Secrets) {
		t.Fatalf("a caller's append reached the cache: secrets end %x, want %x", again.Secrets[n-2:], m.Secrets[n-2:])
	}
	h, cid := bundle("cached v2")
	wantCode(t, one(t, a, alice.tx(t, UpgradeAgent{Agent: id, CID: cid, CodeHash: h, Nonce: 1})), CodeOK)
	up, _ := a.View().Agent(id)
	if up.Version != 2 || up.CodeHash != h {
		t.Fatalf("after an upgrade View.Agent says version %d code %s: a stale cache", up.Version, up.CodeHash)
	}
}
