package keys

import (
	"bytes"
	"crypto/hmac"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cove-network/cove"
	"github.com/ethereum/go-ethereum/crypto"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// hkdfByHand is RFC 5869 written out with HMAC, to check that KDF is exactly
// the documented formula.
func hkdfByHand(key []byte, info string) []byte {
	ext := hmac.New(sha256.New, make([]byte, sha256.Size)) // no salt: HashLen zeros
	ext.Write(key)
	prk := ext.Sum(nil)
	exp := hmac.New(sha256.New, prk)
	exp.Write([]byte(info))
	exp.Write([]byte{1})
	return exp.Sum(nil)
}

func TestKDFMatchesSpec(t *testing.T) {
	tests := []struct {
		name  string
		key   []byte
		label string
		data  []byte
	}{
		{"empty data", bytes.Repeat([]byte{7}, 32), "hpke", nil},
		{"agent id", bytes.Repeat([]byte{1}, 32), "agent", bytes.Repeat([]byte{0x11}, 32)},
		{"path", []byte("short key"), "derive", []byte("wallet/v1")},
		{"binary data", bytes.Repeat([]byte{9}, 32), "attestor", []byte{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := KDF(tt.key, tt.label, tt.data)
			want := hkdfByHand(tt.key, "cove/v1/"+tt.label+"\x00"+string(tt.data))
			if !bytes.Equal(got[:], want) {
				t.Fatalf("KDF = %x, want %x", got, want)
			}
		})
	}
}

func TestKDFDomainSeparation(t *testing.T) {
	k1 := bytes.Repeat([]byte{1}, 32)
	k2 := bytes.Repeat([]byte{2}, 32)
	inputs := []struct {
		key   []byte
		label string
		data  string
	}{
		{k1, "cluster", "default"},
		{k2, "cluster", "default"},
		{k1, "cluster", "other"},
		{k1, "agent", "default"},
		{k1, "derive", ""},
		{k1, "derive", "a"},
		{k1, "derivea", ""}, // the NUL separator keeps these apart
		{k1, "hpke", ""},
		{k1, "attestor", "\x00"},
		{k1, "attestor", "\x01"},
	}
	seen := map[[32]byte]int{}
	for i, in := range inputs {
		out := KDF(in.key, in.label, []byte(in.data))
		if j, ok := seen[out]; ok {
			t.Errorf("inputs %d and %d derive the same key", j, i)
		}
		seen[out] = i
	}
}

func TestKDFRejectsNULInLabel(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("KDF accepted a label with a NUL byte")
		}
	}()
	KDF(make([]byte, 32), "a\x00b", nil)
}

func TestFromBytes(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"nil", nil, false},
		{"short", make([]byte, 31), false},
		{"long", make([]byte, 33), false},
		{"exact", bytes.Repeat([]byte{5}, 32), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := MasterFromBytes(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("MasterFromBytes err = %v, want ok=%v", err, tt.ok)
			}
			c, err := ClusterFromBytes(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ClusterFromBytes err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && (!bytes.Equal(m.Bytes(), tt.in) || !bytes.Equal(c.Bytes(), tt.in)) {
				t.Fatal("Bytes does not return the input")
			}
		})
	}
}

func TestBytesReturnsCopy(t *testing.T) {
	m, _ := MasterFromBytes(bytes.Repeat([]byte{5}, 32))
	m.Bytes()[0] = 0
	if m.Bytes()[0] != 5 {
		t.Fatal("Bytes exposes the key's storage")
	}
}

func TestNewMaster(t *testing.T) {
	m1, err := NewMaster(bytes.NewReader(bytes.Repeat([]byte{3}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m1.Bytes(), bytes.Repeat([]byte{3}, 32)) {
		t.Fatal("NewMaster did not use the reader's bytes")
	}
	if _, err := NewMaster(bytes.NewReader(make([]byte, 31))); err == nil {
		t.Fatal("NewMaster accepted a short read")
	}
}

func testMaster(t *testing.T) Master {
	t.Helper()
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(i + 1)
	}
	m, err := MasterFromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDerivationIsDeterministicAndSeparated(t *testing.T) {
	m, again := testMaster(t), testMaster(t) // the same bytes, read twice
	idA := cove.AgentID{0x11}
	idB := cove.AgentID{0x12}

	if m.Cluster(DefaultCluster) != again.Cluster(DefaultCluster) {
		t.Fatal("cluster derivation is not deterministic")
	}
	if m.Cluster(DefaultCluster) == m.Cluster("other") {
		t.Fatal("two cluster ids give the same cluster key")
	}
	c, cAgain := m.Cluster(DefaultCluster), again.Cluster(DefaultCluster)
	if c.Agent(idA) != cAgain.Agent(idA) {
		t.Fatal("agent derivation is not deterministic")
	}
	if c.Agent(idA) == c.Agent(idB) {
		t.Fatal("two agent ids give the same agent key")
	}
	if c.Agent(idA) == m.Cluster("other").Agent(idA) {
		t.Fatal("one agent id gives the same key in two clusters")
	}
	a, aAgain := c.Agent(idA), cAgain.Agent(idA)
	if a.Derive("wallet/v1") != aAgain.Derive("wallet/v1") {
		t.Fatal("Derive is not deterministic")
	}
	if a.Derive("wallet/v1") == a.Derive("wallet/v2") {
		t.Fatal("two paths give the same derived key")
	}
	if a.Derive("x") == c.Agent(idB).Derive("x") {
		t.Fatal("two agents derive the same key for one path")
	}
	if a.Attestor().Address() != aAgain.Attestor().Address() {
		t.Fatal("attestor derivation is not deterministic")
	}
	if a.Attestor().Address() == c.Agent(idB).Attestor().Address() {
		t.Fatal("two agents have the same attestor")
	}
	// The labels separate the uses of one agent key.
	if a.Derive("") == KDF(a.b[:], labelAttestor, []byte{0}) {
		t.Fatal("Derive collides with the attestor scalar")
	}
}

func TestHPKE(t *testing.T) {
	m := testMaster(t)
	c := m.Cluster(DefaultCluster)
	pub1, err := c.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	pub2, err := m.Cluster(DefaultCluster).PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pub1, pub2) {
		t.Fatal("HPKE key derivation is not deterministic")
	}
	other, err := m.Cluster("other").PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(pub1, other) {
		t.Fatal("two clusters have the same HPKE key")
	}

	priv, err := c.HPKE()
	if err != nil {
		t.Fatal(err)
	}
	if priv.KEM().ID() != hpke.MLKEM768X25519().ID() {
		t.Fatalf("KEM id %#x, want ML-KEM-768+X25519", priv.KEM().ID())
	}
	pk, err := hpke.MLKEM768X25519().NewPublicKey(pub1)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := hpke.Seal(pk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), []byte("info"), []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := hpke.Open(priv, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), []byte("info"), ct)
	if err != nil || string(pt) != "hello" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
}

func TestAttestorSign(t *testing.T) {
	att := testMaster(t).Cluster(DefaultCluster).Agent(cove.AgentID{0x11}).Attestor()
	halfN := new(big.Int).Rsh(crypto.S256().Params().N, 1)
	for i := range 8 {
		digest := cove.SHA256([]byte{byte(i)})
		sig, err := att.Sign(digest)
		if err != nil {
			t.Fatal(err)
		}
		if v := sig[64]; v != 27 && v != 28 {
			t.Fatalf("v = %d, want 27 or 28", v)
		}
		if s := new(big.Int).SetBytes(sig[32:64]); s.Cmp(halfN) > 0 {
			t.Fatal("signature has a high s")
		}
		rsv := append([]byte(nil), sig[:]...)
		rsv[64] -= 27
		pub, err := crypto.SigToPub(digest[:], rsv)
		if err != nil {
			t.Fatal(err)
		}
		if got := cove.Address(crypto.PubkeyToAddress(*pub)); got != att.Address() {
			t.Fatalf("ecrecover = %s, want %s", got, att.Address())
		}
	}
}

func TestZeroAttestorCannotSign(t *testing.T) {
	var att *Attestor
	if _, err := att.Sign(cove.Hash{}); err == nil {
		t.Fatal("nil attestor signed")
	}
	if _, err := new(Attestor).Sign(cove.Hash{}); err == nil {
		t.Fatal("zero attestor signed")
	}
}

func TestRedaction(t *testing.T) {
	m := testMaster(t)
	c := m.Cluster(DefaultCluster)
	a := c.Agent(cove.AgentID{0x11})
	att := a.Attestor()
	secrets := map[string]any{
		"master": m, "*master": &m,
		"cluster": c, "agent": a,
		"attestor": att, "attestor value": *att,
	}
	leaks := []string{
		hex.EncodeToString(m.Bytes()), hex.EncodeToString(c.Bytes()),
		hex.EncodeToString(a.b[:]), hex.EncodeToString(crypto.FromECDSA(att.priv)),
		fmt.Sprint(m.b[:]), fmt.Sprint(a.b[:]),
	}
	for name, v := range secrets {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
			if got := fmt.Sprintf(verb, v); got != "REDACTED" {
				t.Errorf("%s with %s prints %q", name, verb, got)
			}
		}
		if s, ok := v.(fmt.Stringer); !ok || s.String() != "REDACTED" {
			t.Errorf("%s: String() is not REDACTED", name)
		}
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("key", "k", v, "wrapped", struct{ K any }{v})
		for _, leak := range leaks {
			if strings.Contains(buf.String(), leak) || strings.Contains(strings.ToLower(buf.String()), leak) {
				t.Errorf("%s: log line leaks key bytes: %s", name, buf.String())
			}
		}
		if !strings.Contains(buf.String(), `"k":"REDACTED"`) {
			t.Errorf("%s: log line %s", name, buf.String())
		}
	}
}

// vectors is the golden derivation of testdata/vectors.json, for other
// implementations of the key path to check themselves against.
type vectors struct {
	Comment             string         `json:"comment"`
	Master              string         `json:"master"`
	ClusterID           ClusterID      `json:"clusterID"`
	Cluster             string         `json:"cluster"`
	HPKEPublicKeySHA256 cove.Hash      `json:"hpkePublicKeySHA256"`
	AgentID             cove.AgentID   `json:"agentID"`
	Agent               string         `json:"agent"`
	AttestorAddress     cove.Address   `json:"attestorAddress"`
	EpochSigner         cove.Address   `json:"epochSigner"`
	Derive              []deriveVector `json:"derive"`
}

type deriveVector struct {
	Path string `json:"path"`
	Key  string `json:"key"`
}

func computeVectors(t *testing.T) vectors {
	m := testMaster(t)
	c := m.Cluster(DefaultCluster)
	var id cove.AgentID
	for i := range id {
		id[i] = 0x11
	}
	a := c.Agent(id)
	pub, err := c.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	v := vectors{
		Comment:             "derivation path of package keys: master, cluster \"default\" (and its epoch signer), agent, then attestor and Derive(path)",
		Master:              "0x" + hex.EncodeToString(m.Bytes()),
		ClusterID:           DefaultCluster,
		Cluster:             "0x" + hex.EncodeToString(c.Bytes()),
		HPKEPublicKeySHA256: cove.SHA256(pub),
		AgentID:             id,
		Agent:               "0x" + hex.EncodeToString(a.b[:]),
		AttestorAddress:     a.Attestor().Address(),
		EpochSigner:         c.EpochSigner().Address(),
	}
	for _, p := range []string{"wallet/v1", ""} {
		k := a.Derive(p)
		v.Derive = append(v.Derive, deriveVector{Path: p, Key: "0x" + hex.EncodeToString(k[:])})
	}
	return v
}

func TestGoldenVectors(t *testing.T) {
	path := filepath.Join("testdata", "vectors.json")
	got, err := json.MarshalIndent(computeVectors(t), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s is missing; run go test ./keys -run TestGoldenVectors -update", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("derivation changed (a wire format!):\ngot:\n%s\nwant:\n%s", got, want)
	}
}

func TestHistoryRoundTrip(t *testing.T) {
	m0, _ := MasterFromBytes(bytes.Repeat([]byte{1}, 32))
	m1, _ := MasterFromBytes(bytes.Repeat([]byte{2}, 32))
	h := History{m0, m1}
	b := h.Encode()
	if len(b) != 5+64 || b[0] != 1 || b[4] != 2 {
		t.Fatalf("encoding % x", b)
	}
	got, err := DecodeHistory(b)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := got.Cluster(1, DefaultCluster)
	if !ok || !bytes.Equal(c.Bytes(), m1.Cluster(DefaultCluster).Bytes()) {
		t.Error("epoch 1 cluster key differs after the round trip")
	}
	if _, ok := got.Cluster(2, DefaultCluster); ok {
		t.Error("epoch 2 exists")
	}
	for _, bad := range [][]byte{nil, {1, 0, 0, 0, 0}, b[:len(b)-1], append([]byte{2}, b[1:]...)} {
		if _, err := DecodeHistory(bad); err == nil {
			t.Errorf("DecodeHistory(% x) accepted", bad)
		}
	}
	if fmt.Sprint(h) != "REDACTED" {
		t.Errorf("history prints %v", h)
	}
}
