package chain

import (
	"bytes"
	"crypto/hpke"
	"crypto/sha256"
	"reflect"
	"testing"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/ethsig"
	"github.com/cove-network/cove/tee/identity"
)

// clusterPub returns a real HPKE public key for epoch tests.
func clusterPub(t testing.TB, seed byte) []byte {
	t.Helper()
	k, err := hpke.MLKEM768X25519().DeriveKeyPair(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey().Bytes()
}

// gkIdentity returns the identity of test gatekeeper name, derived from
// the name so that tests are repeatable.
func gkIdentity(name string) *identity.Identity {
	seed := sha256.Sum256([]byte("cove/chain/test/gatekeeper/" + name))
	id, err := identity.New(bytes.NewReader(append(seed[:], seed[:]...)))
	if err != nil {
		panic(err)
	}
	return id
}

// gatekeeper registers test gatekeeper name with its identity key, quoted
// for bob as its operator.
func gatekeeper(name string, n uint64) RegisterGatekeeper { return gatekeeperBy(bob, name, n) }

// gatekeeperBy registers test gatekeeper name, quoted for operator op.
func gatekeeperBy(op testKey, name string, n uint64) RegisterGatekeeper {
	pk := gkIdentity(name).PublicKey()
	return RegisterGatekeeper{
		TEE:       "sim",
		PublicKey: pk,
		Endpoint:  "https://gk-" + name + ".example:8443",
		Quote:     testQuote(RoleGatekeeper, op.addr, pk, []byte("measurement-gk-"+name)),
		Nonce:     n,
	}
}

// gk returns m authorized by test gatekeeper name's identity key on the
// test chain.
func gk[M GatekeeperMsg](name string, m M) M {
	d := m.IdentityDigest(testChainID)
	return m.WithIdentitySig(gkIdentity(name).Sign(d[:])).(M)
}

// keyApp returns an app with bob's gatekeeper and a worker (both bob's)
// registered: bob's next nonce is 2.
func keyApp(t *testing.T) *App {
	t.Helper()
	a := newApp(t)
	a.SetVerifier(&testVerifier{})
	r := one(t, a, bob.tx(t, gatekeeper("g1", 0)))
	wantCode(t, r, CodeOK)
	id := WorkerID(gatekeeper("g1", 0).PublicKey)
	want := []Event{{Type: EventGatekeeperRegistered, Attrs: []Attr{
		{"id", id.String()}, {"operator", bob.addr.String()}, {"tee", "sim"},
		{"measurement", Bytes("measurement-gk-g1").String()}, {"endpoint", "https://gk-g1.example:8443"},
	}}}
	if !reflect.DeepEqual(r.Events, want) {
		t.Errorf("events %v, want %v", r.Events, want)
	}
	wantCode(t, one(t, a, bob.tx(t, worker("w1", 1))), CodeOK)
	return a
}

func TestRegisterGatekeeper(t *testing.T) {
	a := keyApp(t)
	gks := a.View().Gatekeepers()
	if len(gks) != 1 || gks[0].Operator != bob.addr || gks[0].TEE != "sim" || gks[0].Height != 1 {
		t.Fatalf("gatekeepers %+v", gks)
	}
	if _, err := a.View().Gatekeeper(gks[0].ID); err != nil {
		t.Fatal(err)
	}
	// The same key again, another operator's second gatekeeper, a bad quote.
	wantCode(t, one(t, a, alice.tx(t, gatekeeper("g1", 0))), CodeExists, "already registered")
	wantCode(t, one(t, a, bob.tx(t, gatekeeper("g2", 2))), CodeExists, "already operates")
	bad := gatekeeper("g3", 1)
	bad.Quote = testQuote(RoleGatekeeper, alice.addr, []byte("other key"), []byte("m"))
	wantCode(t, one(t, a, alice.tx(t, bad)), CodeQuoteForOtherKeys)
	bad = gatekeeper("g3", 2)
	bad.Endpoint = "ftp://x"
	wantCode(t, one(t, a, alice.tx(t, bad)), CodeInvalidArgument, "endpoint")
	// A gatekeeper registers a TEE identity key: it authorizes the
	// gatekeeper's transactions.
	bad = RegisterGatekeeper(worker("gk-g3", 3))
	wantCode(t, one(t, a, alice.tx(t, bad)), CodeInvalidArgument, "identity key")
	// Without a verifier, no gatekeeper registers.
	b := newApp(t)
	wantCode(t, one(t, b, bob.tx(t, gatekeeper("g1", 0))), CodeAttestationUnavailable)
}

func TestPublishEpochAndRotate(t *testing.T) {
	a := keyApp(t)
	pub0, pub1 := clusterPub(t, 1), clusterPub(t, 2)
	// Only a gatekeeper operator publishes; the first epoch is 0; the key
	// must be an HPKE key.
	wantCode(t, one(t, a, alice.tx(t, PublishEpoch{Epoch: 0, ClusterPublicKey: pub0, Nonce: 0})), CodeUnauthorized, "operator of a registered gatekeeper")
	wantCode(t, one(t, a, bob.tx(t, gk("g1", PublishEpoch{Epoch: 1, ClusterPublicKey: pub0, Nonce: 2}))), CodeInvalidArgument, "the first epoch is 0")
	wantCode(t, one(t, a, bob.tx(t, gk("g1", PublishEpoch{Epoch: 0, ClusterPublicKey: pub0[:100], Nonce: 3}))), CodeInvalidArgument, "clusterPublicKey")
	// RotateKeys needs an epoch.
	wantCode(t, one(t, a, alice.tx(t, RotateKeys{Nonce: 1})), CodeNotFound, "no key epoch")

	r := one(t, a, bob.tx(t, gk("g1", PublishEpoch{Epoch: 0, ClusterPublicKey: pub0, Nonce: 4})))
	wantCode(t, r, CodeOK)
	if want := []Event{{Type: EventEpochPublished, Attrs: []Attr{{"epoch", "0"}, {"publishedBy", bob.addr.String()}}}}; !reflect.DeepEqual(r.Events, want) {
		t.Errorf("events %v, want %v", r.Events, want)
	}
	wantCode(t, one(t, a, bob.tx(t, gk("g1", PublishEpoch{Epoch: 0, ClusterPublicKey: pub1, Nonce: 5}))), CodeExists)
	wantCode(t, one(t, a, bob.tx(t, gk("g1", PublishEpoch{Epoch: 1, ClusterPublicKey: pub1, Nonce: 6}))), CodeInvalidArgument, "no rotation is pending")

	// Rotation: admin only, one at a time.
	wantCode(t, one(t, a, bob.tx(t, RotateKeys{Nonce: 7})), CodeUnauthorized, "only the admin")
	r = one(t, a, alice.tx(t, RotateKeys{Nonce: 2}))
	wantCode(t, r, CodeOK)
	if want := []Event{{Type: EventRotationRequested, Attrs: []Attr{{"epoch", "1"}, {"admin", alice.addr.String()}}}}; !reflect.DeepEqual(r.Events, want) {
		t.Errorf("events %v, want %v", r.Events, want)
	}
	if rot, ok := a.View().PendingRotation(); !ok || rot.Epoch != 1 {
		t.Fatalf("pending %+v %v", rot, ok)
	}
	wantCode(t, one(t, a, alice.tx(t, RotateKeys{Nonce: 3})), CodeExists, "pending")
	wantCode(t, one(t, a, bob.tx(t, gk("g1", PublishEpoch{Epoch: 2, ClusterPublicKey: pub1, Nonce: 8}))), CodeInvalidArgument, "makes epoch 1")
	wantCode(t, one(t, a, bob.tx(t, gk("g1", PublishEpoch{Epoch: 1, ClusterPublicKey: pub1, Nonce: 9}))), CodeOK)
	if _, ok := a.View().PendingRotation(); ok {
		t.Error("rotation still pending after publishing")
	}
	eps := a.View().Epochs()
	if len(eps) != 2 || eps[0].Epoch != 0 || !bytes.Equal(eps[1].ClusterPublicKey, pub1) || eps[1].PublishedBy != bob.addr {
		t.Fatalf("epochs %+v", eps)
	}
	if l, ok := a.View().LatestEpoch(); !ok || l.Epoch != 1 {
		t.Errorf("latest %+v %v", l, ok)
	}
	// A second publisher of the same epoch (two gatekeepers racing) is refused.
	wantCode(t, one(t, a, bob.tx(t, gk("g1", PublishEpoch{Epoch: 1, ClusterPublicKey: pub1, Nonce: 10}))), CodeExists)
}

func TestProvisionKey(t *testing.T) {
	a := keyApp(t)
	w := WorkerID(worker("w1", 0).PublicKey)
	g := WorkerID(gatekeeper("g1", 0).PublicKey)
	sealedKey := []byte("sealed-cluster-key")
	wantCode(t, one(t, a, bob.tx(t, gk("g1", ProvisionKey{Recipient: w, Epoch: 0, Sealed: sealedKey, Nonce: 2}))), CodeNotFound, "epoch 0 is not published")
	wantCode(t, one(t, a, bob.tx(t, gk("g1", PublishEpoch{Epoch: 0, ClusterPublicKey: clusterPub(t, 1), Nonce: 3}))), CodeOK)
	wantCode(t, one(t, a, alice.tx(t, ProvisionKey{Recipient: w, Epoch: 0, Sealed: sealedKey, Nonce: 0})), CodeUnauthorized)
	wantCode(t, one(t, a, bob.tx(t, gk("g1", ProvisionKey{Recipient: cove.Hash{9}, Epoch: 0, Sealed: sealedKey, Nonce: 4}))), CodeNotFound, "neither")
	wantCode(t, one(t, a, bob.tx(t, gk("g1", ProvisionKey{Recipient: w, Epoch: 0, Sealed: nil, Nonce: 5}))), CodeInvalidArgument, "sealed")
	r := one(t, a, bob.tx(t, gk("g1", ProvisionKey{Recipient: w, Epoch: 0, Sealed: sealedKey, Nonce: 6})))
	wantCode(t, r, CodeOK)
	if want := []Event{{Type: EventKeyProvisioned, Attrs: []Attr{{"recipient", w.String()}, {"kind", "worker"}, {"epoch", "0"}}}}; !reflect.DeepEqual(r.Events, want) {
		t.Errorf("events %v, want %v", r.Events, want)
	}
	wantCode(t, one(t, a, bob.tx(t, gk("g1", ProvisionKey{Recipient: w, Epoch: 0, Sealed: sealedKey, Nonce: 7}))), CodeExists, "provisioned")
	wantCode(t, one(t, a, bob.tx(t, gk("g1", ProvisionKey{Recipient: g, Epoch: 0, Sealed: []byte("history"), Nonce: 8}))), CodeOK)
	ps := a.View().Provisions(ProvisionKindWorker, w)
	if len(ps) != 1 || ps[0].Kind != ProvisionKindWorker || !bytes.Equal(ps[0].Sealed, sealedKey) || ps[0].By != bob.addr {
		t.Fatalf("provisions %+v", ps)
	}
	if ps := a.View().Provisions(ProvisionKindGatekeeper, g); len(ps) != 1 || ps[0].Kind != ProvisionKindGatekeeper {
		t.Fatalf("gatekeeper provisions %+v", ps)
	}
}

func TestSetAttestorAndKeyEpoch(t *testing.T) {
	a := keyApp(t)
	d := deploy("early", 1, 0)
	early := cove.DeriveAgentID(alice.addr, d.CodeHash, d.Salt)
	wantCode(t, one(t, a, alice.tx(t, d)), CodeOK)
	wantCode(t, one(t, a, bob.tx(t, gk("g1", PublishEpoch{Epoch: 0, ClusterPublicKey: clusterPub(t, 1), Nonce: 2}))), CodeOK)
	wantCode(t, one(t, a, alice.tx(t, RotateKeys{Nonce: 1})), CodeOK)
	wantCode(t, one(t, a, bob.tx(t, gk("g1", PublishEpoch{Epoch: 1, ClusterPublicKey: clusterPub(t, 2), Nonce: 3}))), CodeOK)
	d2 := deploy("late", 2, 2)
	late := cove.DeriveAgentID(alice.addr, d2.CodeHash, d2.Salt)
	wantCode(t, one(t, a, alice.tx(t, d2)), CodeOK)
	if r, _ := a.View().Agent(early); r.KeyEpoch != 0 {
		t.Errorf("early agent epoch %d, want 0", r.KeyEpoch)
	}
	if r, _ := a.View().Agent(late); r.KeyEpoch != 1 || r.Agent().KeyEpoch != 1 {
		t.Errorf("late agent epoch %d, want 1", r.KeyEpoch)
	}

	att := cove.Address{0xaa}
	wantCode(t, one(t, a, alice.tx(t, SetAttestor{Agent: late, Attestor: att, Nonce: 3})), CodeUnauthorized)
	wantCode(t, one(t, a, bob.tx(t, gk("g1", SetAttestor{Agent: cove.AgentID{1}, Attestor: att, Nonce: 4}))), CodeNotFound)
	wantCode(t, one(t, a, bob.tx(t, gk("g1", SetAttestor{Agent: late, Attestor: cove.Address{}, Nonce: 5}))), CodeInvalidArgument, "zero")
	r := one(t, a, bob.tx(t, gk("g1", SetAttestor{Agent: late, Attestor: att, Nonce: 6})))
	wantCode(t, r, CodeOK)
	if want := []Event{{Type: EventAttestorPublished, Attrs: []Attr{{"agent", late.String()}, {"attestor", att.String()}, {"epoch", "1"}}}}; !reflect.DeepEqual(r.Events, want) {
		t.Errorf("events %v, want %v", r.Events, want)
	}
	if rec, _ := a.View().Agent(late); rec.Attestor != att {
		t.Errorf("attestor %s, want %s", rec.Attestor, att)
	}
	wantCode(t, one(t, a, bob.tx(t, gk("g1", SetAttestor{Agent: late, Attestor: cove.Address{0xbb}, Nonce: 7}))), CodeExists, "has attestor")
}

func TestKeyMessagesRoundTrip(t *testing.T) {
	for _, m := range []Msg{
		gatekeeper("g", 1),
		gk("g", PublishEpoch{Epoch: 3, ClusterPublicKey: []byte{1, 2}, Nonce: 4}),
		gk("g", ProvisionKey{Recipient: cove.Hash{5}, Epoch: 6, Sealed: []byte{7}, Nonce: 8}),
		gk("g", SetAttestor{Agent: cove.AgentID{9}, Attestor: cove.Address{10}, Nonce: 11}),
		RotateKeys{Nonce: 12},
	} {
		b := alice.tx(t, m)
		tx, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", m.Type(), err)
		}
		if !reflect.DeepEqual(tx.Msg, m) {
			t.Errorf("%s: decoded %#v, want %#v", m.Type(), tx.Msg, m)
		}
		if s, err := tx.Sender(testChainID); err != nil || s != alice.addr {
			t.Errorf("%s: sender %s %v", m.Type(), s, err)
		}
	}
}

// TestGatekeeperIdentitySig checks that the operator account alone cannot
// publish an epoch, provision a key or set an attestor: each needs the
// signature of its gatekeeper's identity key (the key in the TEE) over the
// message's meaning on this chain.
func TestGatekeeperIdentitySig(t *testing.T) {
	a := keyApp(t)
	// alice operates a second gatekeeper, g2.
	wantCode(t, one(t, a, alice.tx(t, gatekeeperBy(alice, "g2", 0))), CodeOK)
	d := deploy("agent", 1, 1)
	agent := cove.DeriveAgentID(alice.addr, d.CodeHash, d.Salt)
	wantCode(t, one(t, a, alice.tx(t, d)), CodeOK)
	w := WorkerID(worker("w1", 0).PublicKey)
	nonce, aliceNonce := uint64(2), uint64(2)

	// refusals sends m from bob unsigned, with a sig of other content or
	// another chain, and signed by g2 (alice's gatekeeper): all refused.
	refusals := func(m, other GatekeeperMsg) {
		t.Helper()
		wrongChain := m.IdentityDigest(testChainID + 1)
		otherDigest := other.IdentityDigest(testChainID)
		for _, c := range []struct {
			name string
			sig  []byte
			log  string
		}{
			{"missing", nil, "identitySig is 0 bytes"},
			{"short", []byte{1, 2, 3}, "identitySig is 3 bytes"},
			{"other content", gkIdentity("g1").Sign(otherDigest[:]), "not gatekeeper"},
			{"other chain", gkIdentity("g1").Sign(wrongChain[:]), "not gatekeeper"},
			{"other gatekeeper", gk("g2", m).identitySig(), "not gatekeeper"},
		} {
			r := one(t, a, bob.tx(t, setNonce(m.WithIdentitySig(c.sig), nonce)))
			if r.Code != CodeUnauthorized {
				t.Fatalf("%s %s: code %d (%s), want unauthorized", m.Type(), c.name, r.Code, r.Log)
			}
			wantCode(t, r, CodeUnauthorized, c.log, "operator account alone")
			nonce++ // a refused transaction still uses its nonce
		}
		// The other gatekeeper's own operator may not use g1's signature
		// either: the signature must be by the sender's gatekeeper.
		wantCode(t, one(t, a, alice.tx(t, setNonce(gk("g1", m), aliceNonce))), CodeUnauthorized, "not gatekeeper")
		aliceNonce++
		wantCode(t, one(t, a, bob.tx(t, setNonce(gk("g1", m), nonce))), CodeOK)
		nonce++
	}

	pe := PublishEpoch{Epoch: 0, ClusterPublicKey: clusterPub(t, 1)}
	refusals(pe, PublishEpoch{Epoch: 0, ClusterPublicKey: clusterPub(t, 2)})
	if eps := a.View().Epochs(); len(eps) != 1 || !bytes.Equal(eps[0].ClusterPublicKey, pe.ClusterPublicKey) {
		t.Fatalf("epochs %+v", eps)
	}
	pk := ProvisionKey{Recipient: w, Epoch: 0, Sealed: []byte("sealed")}
	refusals(pk, ProvisionKey{Recipient: w, Epoch: 0, Sealed: []byte("garbage")})
	if ps := a.View().Provisions(ProvisionKindWorker, w); len(ps) != 1 || !bytes.Equal(ps[0].Sealed, pk.Sealed) {
		t.Fatalf("provisions %+v", ps)
	}
	sa := SetAttestor{Agent: agent, Attestor: cove.Address{0xaa}}
	refusals(sa, SetAttestor{Agent: agent, Attestor: cove.Address{0xbb}})
	if rec, _ := a.View().Agent(agent); rec.Attestor != sa.Attestor {
		t.Fatalf("attestor %s, want %s", rec.Attestor, sa.Attestor)
	}
}

// setNonce returns m with its nonce set.
func setNonce(m GatekeeperMsg, n uint64) Msg {
	switch m := m.(type) {
	case PublishEpoch:
		m.Nonce = n
		return m
	case ProvisionKey:
		m.Nonce = n
		return m
	case SetAttestor:
		m.Nonce = n
		return m
	}
	panic("setNonce: " + m.Type())
}

func TestGatekeeperDigestBytes(t *testing.T) {
	// The digest by hand, as docs/PROTOCOL.md describes it.
	m := ProvisionKey{Recipient: cove.Hash{1}, Epoch: 2, Sealed: []byte("xyz"), IdentitySig: []byte("ignored"), Nonce: 9}
	pre := []byte("cove/gatekeeper-sig/v1\x00ProvisionKey\x00")
	pre = append(pre, 0, 0, 0, 0, 0, 0, 0, testChainID)
	pre = append(pre, m.Recipient[:]...)
	pre = append(pre, 0, 0, 0, 0, 0, 0, 0, 2)
	pre = append(pre, 0, 0, 0, 3, 'x', 'y', 'z')
	if got, want := m.IdentityDigest(testChainID), sha256.Sum256(pre); got != want {
		t.Errorf("digest %x, want %x", got, want)
	}
	m2 := m
	m2.Nonce, m2.IdentitySig = 10, nil
	if m.IdentityDigest(testChainID) != m2.IdentityDigest(testChainID) {
		t.Error("the nonce or identitySig is in the digest")
	}
}

// TestEpochSignerAndGrant: an epoch's EVM signer is published once, and an
// agent's attestor grant is accepted only when it recovers to the signer of
// the agent's own key epoch, over the agent's own attestor and epoch. Each
// refusal sits next to the grant that passes in the same state.
func TestEpochSignerAndGrant(t *testing.T) {
	a := keyApp(t)
	d := deploy("evm", 1, 0)
	agent := cove.DeriveAgentID(alice.addr, d.CodeHash, d.Salt)
	wantCode(t, one(t, a, alice.tx(t, d)), CodeOK)
	wantCode(t, one(t, a, bob.tx(t, gk("g1", PublishEpoch{Epoch: 0, ClusterPublicKey: clusterPub(t, 1), Nonce: 2}))), CodeOK)
	signer, other := newKey("epoch-signer"), newKey("other-signer")
	att := cove.Address{0xaa}
	grantBy := func(k testKey, agent cove.AgentID, att cove.Address, epoch uint64) Bytes {
		sig, err := ethsig.Sign(k.priv, cove.AttestorGrantDigest(agent, att, epoch))
		if err != nil {
			t.Fatal(err)
		}
		return sig[:]
	}
	good := grantBy(signer, agent, att, 0)
	nonce := uint64(3)
	send := func(m GatekeeperMsg) TxResult {
		t.Helper()
		switch v := m.(type) {
		case PublishEpochSigner:
			v.Nonce = nonce
			m = v
		case GrantAttestor:
			v.Nonce = nonce
			m = v
		case SetAttestor:
			v.Nonce = nonce
			m = v
		}
		nonce++
		return one(t, a, bob.tx(t, gk("g1", m)))
	}

	// Before the attestor and the signer exist, a grant has nothing to
	// check against.
	wantCode(t, send(GrantAttestor{Agent: agent, Grant: good}), CodeNotFound, "no attestor")
	wantCode(t, send(SetAttestor{Agent: agent, Attestor: att}), CodeOK)
	wantCode(t, send(GrantAttestor{Agent: agent, Grant: good}), CodeNotFound, "no published signer")

	// The signer: only a gatekeeper, for a published epoch, not zero, once.
	wantCode(t, one(t, a, alice.tx(t, PublishEpochSigner{Epoch: 0, Signer: signer.addr, Nonce: 1})), CodeUnauthorized)
	wantCode(t, send(PublishEpochSigner{Epoch: 1, Signer: signer.addr}), CodeNotFound, "not published")
	wantCode(t, send(PublishEpochSigner{Epoch: 0, Signer: cove.Address{}}), CodeInvalidArgument, "zero")
	r := send(PublishEpochSigner{Epoch: 0, Signer: signer.addr})
	wantCode(t, r, CodeOK)
	if want := []Event{{Type: EventEpochSignerPublished, Attrs: []Attr{{"epoch", "0"}, {"signer", signer.addr.String()}}}}; !reflect.DeepEqual(r.Events, want) {
		t.Errorf("events %v, want %v", r.Events, want)
	}
	wantCode(t, send(PublishEpochSigner{Epoch: 0, Signer: other.addr}), CodeExists, "has signer")
	if ep := a.View().Epochs()[0]; ep.Signer == nil || *ep.Signer != signer.addr {
		t.Fatalf("epoch 0 record %+v, want signer %s", ep, signer.addr)
	}

	// Forged grants, each differing from the good one in one thing.
	wantCode(t, send(GrantAttestor{Agent: agent, Grant: grantBy(other, agent, att, 0)}), CodeUnauthorized, "not by epoch 0's signer")
	wantCode(t, send(GrantAttestor{Agent: agent, Grant: grantBy(signer, agent, cove.Address{0xbb}, 0)}), CodeUnauthorized, "not by epoch 0's signer")
	wantCode(t, send(GrantAttestor{Agent: agent, Grant: grantBy(signer, agent, att, 1)}), CodeUnauthorized, "not by epoch 0's signer")
	wantCode(t, send(GrantAttestor{Agent: agent, Grant: grantBy(signer, cove.AgentID{1}, att, 0)}), CodeUnauthorized, "not by epoch 0's signer")
	wantCode(t, send(GrantAttestor{Agent: agent, Grant: good[:64]}), CodeInvalidArgument, "64 bytes")
	lowV := append(Bytes(nil), good...)
	lowV[64] -= 27 // the same signature in the 0/1 form ethsig.Recover also reads
	wantCode(t, send(GrantAttestor{Agent: agent, Grant: lowV}), CodeInvalidArgument, "want 27 or 28")
	if rec, _ := a.View().Agent(agent); len(rec.AttestorGrant) != 0 {
		t.Fatalf("a refused grant was stored: %x", rec.AttestorGrant)
	}
	// The control: the genuine grant, in the same state.
	r = send(GrantAttestor{Agent: agent, Grant: good})
	wantCode(t, r, CodeOK)
	if want := []Event{{Type: EventAttestorGranted, Attrs: []Attr{{"agent", agent.String()}, {"attestor", att.String()}, {"epoch", "0"}, {"signer", signer.addr.String()}}}}; !reflect.DeepEqual(r.Events, want) {
		t.Errorf("events %v, want %v", r.Events, want)
	}
	if rec, _ := a.View().Agent(agent); !bytes.Equal(rec.AttestorGrant, good) {
		t.Errorf("stored grant %x, want %x", rec.AttestorGrant, good)
	}
	wantCode(t, send(GrantAttestor{Agent: agent, Grant: good}), CodeExists, "has an attestor grant")
	// Another gatekeeper's identity signature does not authorize it.
	wantCode(t, one(t, a, bob.tx(t, gk("g2", GrantAttestor{Agent: agent, Grant: good, Nonce: nonce}))), CodeUnauthorized)
}
