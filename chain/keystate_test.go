package chain

import (
	"bytes"
	"crypto/hpke"
	"reflect"
	"testing"

	"github.com/cove-network/cove"
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

func gatekeeper(name string, n uint64) RegisterGatekeeper {
	return RegisterGatekeeper(worker("gk-"+name, n))
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
	gks := a.Gatekeepers()
	if len(gks) != 1 || gks[0].Operator != bob.addr || gks[0].TEE != "sim" || gks[0].Height != 1 {
		t.Fatalf("gatekeepers %+v", gks)
	}
	if _, err := a.Gatekeeper(gks[0].ID); err != nil {
		t.Fatal(err)
	}
	// The same key again, another operator's second gatekeeper, a bad quote.
	wantCode(t, one(t, a, alice.tx(t, gatekeeper("g1", 0))), CodeExists, "already registered")
	wantCode(t, one(t, a, bob.tx(t, gatekeeper("g2", 2))), CodeExists, "already operates")
	bad := gatekeeper("g3", 1)
	bad.Quote = testQuote([]byte("other key"), []byte("m"))
	wantCode(t, one(t, a, alice.tx(t, bad)), CodeAttestationFailed)
	bad = gatekeeper("g3", 2)
	bad.Endpoint = "ftp://x"
	wantCode(t, one(t, a, alice.tx(t, bad)), CodeInvalidArgument, "endpoint")
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
	wantCode(t, one(t, a, bob.tx(t, PublishEpoch{Epoch: 1, ClusterPublicKey: pub0, Nonce: 2})), CodeInvalidArgument, "the first epoch is 0")
	wantCode(t, one(t, a, bob.tx(t, PublishEpoch{Epoch: 0, ClusterPublicKey: pub0[:100], Nonce: 3})), CodeInvalidArgument, "clusterPublicKey")
	// RotateKeys needs an epoch.
	wantCode(t, one(t, a, alice.tx(t, RotateKeys{Nonce: 1})), CodeNotFound, "no key epoch")

	r := one(t, a, bob.tx(t, PublishEpoch{Epoch: 0, ClusterPublicKey: pub0, Nonce: 4}))
	wantCode(t, r, CodeOK)
	if want := []Event{{Type: EventEpochPublished, Attrs: []Attr{{"epoch", "0"}, {"publishedBy", bob.addr.String()}}}}; !reflect.DeepEqual(r.Events, want) {
		t.Errorf("events %v, want %v", r.Events, want)
	}
	wantCode(t, one(t, a, bob.tx(t, PublishEpoch{Epoch: 0, ClusterPublicKey: pub1, Nonce: 5})), CodeExists)
	wantCode(t, one(t, a, bob.tx(t, PublishEpoch{Epoch: 1, ClusterPublicKey: pub1, Nonce: 6})), CodeInvalidArgument, "no rotation is pending")

	// Rotation: admin only, one at a time.
	wantCode(t, one(t, a, bob.tx(t, RotateKeys{Nonce: 7})), CodeUnauthorized, "only the admin")
	r = one(t, a, alice.tx(t, RotateKeys{Nonce: 2}))
	wantCode(t, r, CodeOK)
	if want := []Event{{Type: EventRotationRequested, Attrs: []Attr{{"epoch", "1"}, {"admin", alice.addr.String()}}}}; !reflect.DeepEqual(r.Events, want) {
		t.Errorf("events %v, want %v", r.Events, want)
	}
	if rot, ok := a.PendingRotation(); !ok || rot.Epoch != 1 {
		t.Fatalf("pending %+v %v", rot, ok)
	}
	wantCode(t, one(t, a, alice.tx(t, RotateKeys{Nonce: 3})), CodeExists, "pending")
	wantCode(t, one(t, a, bob.tx(t, PublishEpoch{Epoch: 2, ClusterPublicKey: pub1, Nonce: 8})), CodeInvalidArgument, "makes epoch 1")
	wantCode(t, one(t, a, bob.tx(t, PublishEpoch{Epoch: 1, ClusterPublicKey: pub1, Nonce: 9})), CodeOK)
	if _, ok := a.PendingRotation(); ok {
		t.Error("rotation still pending after publishing")
	}
	eps := a.Epochs()
	if len(eps) != 2 || eps[0].Epoch != 0 || !bytes.Equal(eps[1].ClusterPublicKey, pub1) || eps[1].PublishedBy != bob.addr {
		t.Fatalf("epochs %+v", eps)
	}
	if l, ok := a.LatestEpoch(); !ok || l.Epoch != 1 {
		t.Errorf("latest %+v %v", l, ok)
	}
	// A second publisher of the same epoch (two gatekeepers racing) is refused.
	wantCode(t, one(t, a, bob.tx(t, PublishEpoch{Epoch: 1, ClusterPublicKey: pub1, Nonce: 10})), CodeExists)
}

func TestProvisionKey(t *testing.T) {
	a := keyApp(t)
	w := WorkerID(worker("w1", 0).PublicKey)
	g := WorkerID(gatekeeper("g1", 0).PublicKey)
	sealedKey := []byte("sealed-cluster-key")
	wantCode(t, one(t, a, bob.tx(t, ProvisionKey{Recipient: w, Epoch: 0, Sealed: sealedKey, Nonce: 2})), CodeNotFound, "epoch 0 is not published")
	wantCode(t, one(t, a, bob.tx(t, PublishEpoch{Epoch: 0, ClusterPublicKey: clusterPub(t, 1), Nonce: 3})), CodeOK)
	wantCode(t, one(t, a, alice.tx(t, ProvisionKey{Recipient: w, Epoch: 0, Sealed: sealedKey, Nonce: 0})), CodeUnauthorized)
	wantCode(t, one(t, a, bob.tx(t, ProvisionKey{Recipient: cove.Hash{9}, Epoch: 0, Sealed: sealedKey, Nonce: 4})), CodeNotFound, "neither")
	wantCode(t, one(t, a, bob.tx(t, ProvisionKey{Recipient: w, Epoch: 0, Sealed: nil, Nonce: 5})), CodeInvalidArgument, "sealed")
	r := one(t, a, bob.tx(t, ProvisionKey{Recipient: w, Epoch: 0, Sealed: sealedKey, Nonce: 6}))
	wantCode(t, r, CodeOK)
	if want := []Event{{Type: EventKeyProvisioned, Attrs: []Attr{{"recipient", w.String()}, {"kind", "worker"}, {"epoch", "0"}}}}; !reflect.DeepEqual(r.Events, want) {
		t.Errorf("events %v, want %v", r.Events, want)
	}
	wantCode(t, one(t, a, bob.tx(t, ProvisionKey{Recipient: w, Epoch: 0, Sealed: sealedKey, Nonce: 7})), CodeExists, "provisioned")
	wantCode(t, one(t, a, bob.tx(t, ProvisionKey{Recipient: g, Epoch: 0, Sealed: []byte("history"), Nonce: 8})), CodeOK)
	ps := a.Provisions(w)
	if len(ps) != 1 || ps[0].Kind != ProvisionKindWorker || !bytes.Equal(ps[0].Sealed, sealedKey) || ps[0].By != bob.addr {
		t.Fatalf("provisions %+v", ps)
	}
	if ps := a.Provisions(g); len(ps) != 1 || ps[0].Kind != ProvisionKindGatekeeper {
		t.Fatalf("gatekeeper provisions %+v", ps)
	}
}

func TestSetAttestorAndKeyEpoch(t *testing.T) {
	a := keyApp(t)
	d := deploy("early", 1, 0)
	early := cove.DeriveAgentID(alice.addr, d.CodeHash, d.Salt)
	wantCode(t, one(t, a, alice.tx(t, d)), CodeOK)
	wantCode(t, one(t, a, bob.tx(t, PublishEpoch{Epoch: 0, ClusterPublicKey: clusterPub(t, 1), Nonce: 2})), CodeOK)
	wantCode(t, one(t, a, alice.tx(t, RotateKeys{Nonce: 1})), CodeOK)
	wantCode(t, one(t, a, bob.tx(t, PublishEpoch{Epoch: 1, ClusterPublicKey: clusterPub(t, 2), Nonce: 3})), CodeOK)
	d2 := deploy("late", 2, 2)
	late := cove.DeriveAgentID(alice.addr, d2.CodeHash, d2.Salt)
	wantCode(t, one(t, a, alice.tx(t, d2)), CodeOK)
	if r, _ := a.Agent(early); r.KeyEpoch != 0 {
		t.Errorf("early agent epoch %d, want 0", r.KeyEpoch)
	}
	if r, _ := a.Agent(late); r.KeyEpoch != 1 || r.Agent().KeyEpoch != 1 {
		t.Errorf("late agent epoch %d, want 1", r.KeyEpoch)
	}

	att := cove.Address{0xaa}
	wantCode(t, one(t, a, alice.tx(t, SetAttestor{Agent: late, Attestor: att, Nonce: 3})), CodeUnauthorized)
	wantCode(t, one(t, a, bob.tx(t, SetAttestor{Agent: cove.AgentID{1}, Attestor: att, Nonce: 4})), CodeNotFound)
	wantCode(t, one(t, a, bob.tx(t, SetAttestor{Agent: late, Attestor: cove.Address{}, Nonce: 5})), CodeInvalidArgument, "zero")
	r := one(t, a, bob.tx(t, SetAttestor{Agent: late, Attestor: att, Nonce: 6}))
	wantCode(t, r, CodeOK)
	if want := []Event{{Type: EventAttestorPublished, Attrs: []Attr{{"agent", late.String()}, {"attestor", att.String()}, {"epoch", "1"}}}}; !reflect.DeepEqual(r.Events, want) {
		t.Errorf("events %v, want %v", r.Events, want)
	}
	if rec, _ := a.Agent(late); rec.Attestor != att {
		t.Errorf("attestor %s, want %s", rec.Attestor, att)
	}
	wantCode(t, one(t, a, bob.tx(t, SetAttestor{Agent: late, Attestor: cove.Address{0xbb}, Nonce: 7})), CodeExists, "has attestor")
}

func TestKeyMessagesRoundTrip(t *testing.T) {
	for _, m := range []Msg{
		gatekeeper("g", 1),
		PublishEpoch{Epoch: 3, ClusterPublicKey: []byte{1, 2}, Nonce: 4},
		ProvisionKey{Recipient: cove.Hash{5}, Epoch: 6, Sealed: []byte{7}, Nonce: 8},
		SetAttestor{Agent: cove.AgentID{9}, Attestor: cove.Address{10}, Nonce: 11},
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
