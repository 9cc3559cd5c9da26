package secret

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hpke"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/cove-network/cove"
)

func testKey(t testing.TB, seed byte) hpke.PrivateKey {
	t.Helper()
	k, err := hpke.MLKEM768X25519().DeriveKeyPair(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var agentA = cove.AgentID{0xaa}

func TestSuiteConstants(t *testing.T) {
	if KEMID != hpke.MLKEM768X25519().ID() || KDFID != hpke.HKDFSHA256().ID() || AEADID != hpke.ChaCha20Poly1305().ID() {
		t.Fatal("suite constants do not match crypto/hpke")
	}
}

func TestRoundTrip(t *testing.T) {
	many := map[string]string{}
	for i := range MaxSecrets {
		many["S"+strconv.Itoa(i)] = strings.Repeat("v", 100)
	}
	tests := []struct {
		name    string
		secrets map[string]string
	}{
		{"nil", nil},
		{"empty", map[string]string{}},
		{"one", map[string]string{"GREETING": "hello"}},
		{"unicode and html", map[string]string{"_x": "<é ✓ \"quoted\"\n>", "Y2": ""}},
		{"most secrets", many},
		{"largest", map[string]string{"BIG": strings.Repeat("x", MaxTotalSize-3)}},
	}
	priv := testKey(t, 1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed, err := Seal(priv.PublicKey().Bytes(), 7, agentA, tt.secrets)
			if err != nil {
				t.Fatal(err)
			}
			if e, err := Epoch(sealed); err != nil || e != 7 {
				t.Fatalf("Epoch = %d, %v", e, err)
			}
			set, err := Open(priv, agentA, sealed)
			if err != nil {
				t.Fatal(err)
			}
			if len(set) != len(tt.secrets) {
				t.Fatalf("opened %d secrets, sealed %d", len(set), len(tt.secrets))
			}
			for k, v := range tt.secrets {
				if set[k] != v {
					t.Fatalf("secret %s changed", k)
				}
			}
		})
	}
}

// TestEnvelopeLayout pins the documented byte layout: header fields, the
// HPKE info, and the canonical JSON plaintext.
func TestEnvelopeLayout(t *testing.T) {
	priv := testKey(t, 1)
	secrets := map[string]string{"B": "2", "A": "1"}
	sealed, err := Seal(priv.PublicKey().Bytes(), 0x01020304, agentA, secrets)
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := []byte{'C', 'O', 'V', 'S', 0x01, 0x01, 0x02, 0x03, 0x04}
	if !bytes.Equal(sealed[:HeaderSize], wantHeader) {
		t.Fatalf("header %x, want %x", sealed[:HeaderSize], wantHeader)
	}
	plainWant := `{"A":"1","B":"2"}`
	if got, want := len(sealed), 9+1120+len(plainWant)+16; got != want {
		t.Fatalf("envelope is %d bytes, want %d", got, want)
	}
	info := append([]byte("cove/secrets/v1\x00"), agentA[:]...)
	info = binary.BigEndian.AppendUint32(info, 0x01020304)
	plain, err := hpke.Open(priv, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info, sealed[9:])
	if err != nil {
		t.Fatalf("documented info does not open the envelope: %v", err)
	}
	if string(plain) != plainWant {
		t.Fatalf("plaintext %s, want %s", plain, plainWant)
	}
}

func TestOpenFails(t *testing.T) {
	priv := testKey(t, 1)
	sealed, err := Seal(priv.PublicKey().Bytes(), 3, agentA, map[string]string{"GREETING": "hello"})
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	x25519, err := hpke.DHKEM(ecdh.X25519()).GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		priv    hpke.PrivateKey
		agent   cove.AgentID
		sealed  []byte
		wantErr error // nil: any error
	}{
		{"wrong agent", priv, cove.AgentID{0xab}, sealed, ErrOpen},
		{"wrong key", testKey(t, 2), agentA, sealed, ErrOpen},
		{"wrong KEM", x25519, agentA, sealed, nil},
		{"nil key", nil, agentA, sealed, nil},
		{"magic", priv, agentA, flip(0), ErrMalformed},
		{"version", priv, agentA, flip(4), ErrMalformed},
		{"epoch field", priv, agentA, flip(8), ErrOpen},
		{"epoch field high byte", priv, agentA, flip(5), ErrOpen},
		{"ML-KEM ciphertext", priv, agentA, flip(9), ErrOpen},
		{"X25519 share", priv, agentA, flip(9 + 1100), ErrOpen},
		{"ciphertext", priv, agentA, flip(9 + 1120), ErrOpen},
		{"tag", priv, agentA, flip(len(sealed) - 1), ErrOpen},
		{"truncated", priv, agentA, sealed[:len(sealed)-1], ErrOpen},
		{"header only", priv, agentA, sealed[:HeaderSize], ErrOpen},
		{"short header", priv, agentA, sealed[:HeaderSize-1], ErrMalformed},
		{"empty", priv, agentA, nil, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := Open(tt.priv, tt.agent, tt.sealed)
			if err == nil {
				t.Fatalf("Open succeeded: %v", set)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Open = %v, want %v", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hello") {
				t.Fatalf("error leaks a value: %v", err)
			}
		})
	}
}

func TestSealRejects(t *testing.T) {
	pub := testKey(t, 1).PublicKey().Bytes()
	tooMany := map[string]string{}
	for i := range MaxSecrets + 1 {
		tooMany["S"+strconv.Itoa(i)] = "v"
	}
	tests := []struct {
		name     string
		pub      []byte
		secrets  map[string]string
		wantText string
	}{
		{"empty name", pub, map[string]string{"": "v"}, "empty secret name"},
		{"digit first", pub, map[string]string{"1ABC": "v"}, "not starting with a digit"},
		{"dash", pub, map[string]string{"MY-KEY": "v"}, `"MY-KEY"`},
		{"space", pub, map[string]string{"MY KEY": "v"}, "letters, digits and _"},
		{"non-ASCII", pub, map[string]string{"CLÉ": "v"}, "letters, digits and _"},
		{"long name", pub, map[string]string{strings.Repeat("A", 65): "v"}, "at most 64"},
		{"too many", pub, tooMany, "65 secrets, at most 64"},
		{"too big", pub, map[string]string{"A": strings.Repeat("x", MaxTotalSize)}, "at most 65536"},
		{"binary value", pub, map[string]string{"KEY": "\xff\xfe"}, "base64-encode"},
		{"bad public key", pub[:100], map[string]string{"A": "v"}, "cluster public key"},
		{"X25519 public key", make([]byte, 32), map[string]string{"A": "v"}, "cluster public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Seal(tt.pub, 1, agentA, tt.secrets)
			if err == nil || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("Seal = %v, want an error mentioning %q", err, tt.wantText)
			}
		})
	}
}

func TestValidName(t *testing.T) {
	for _, ok := range []string{"A", "_", "a1", "MY_API_KEY", "_9", strings.Repeat("Z", 64)} {
		if err := ValidName(ok); err != nil {
			t.Errorf("ValidName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "9", "a.b", "a\x00", strings.Repeat("Z", 65), "ä"} {
		if err := ValidName(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidName(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

// sealRaw seals an arbitrary plaintext in a valid envelope, as a buggy or
// hostile sealer could.
func sealRaw(t testing.TB, priv hpke.PrivateKey, agent cove.AgentID, plain string) []byte {
	info := append([]byte(InfoLabel+"\x00"), agent[:]...)
	info = binary.BigEndian.AppendUint32(info, 1)
	ct, err := hpke.Seal(priv.PublicKey(), hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info, []byte(plain))
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte{'C', 'O', 'V', 'S', 1, 0, 0, 0, 1}, ct...)
}

func TestOpenChecksPlaintext(t *testing.T) {
	priv := testKey(t, 1)
	tests := []struct {
		name    string
		plain   string
		wantErr error
	}{
		{"array", `["a"]`, ErrMalformed},
		{"null", `null`, ErrMalformed},
		{"number value", `{"A":1}`, ErrMalformed},
		{"trailing data", `{"A":"1"} {}`, ErrMalformed},
		{"not json", `hello`, ErrMalformed},
		{"bad name", `{"A-B":"1"}`, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(priv, agentA, sealRaw(t, priv, agentA, tt.plain))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Open = %v, want %v", err, tt.wantErr)
			}
		})
	}
	// A non-canonical but valid object still opens.
	set, err := Open(priv, agentA, sealRaw(t, priv, agentA, ` { "B" : "2", "A":"1" } `))
	if err != nil || set["A"] != "1" || set["B"] != "2" {
		t.Fatalf("Open = %v, %v", set, err)
	}
}

func TestSetRedaction(t *testing.T) {
	s := Set{"GREETING": "hello-value", "API_KEY": "sk-secret-value"}
	if got, want := s.String(), "{API_KEY=REDACTED, GREETING=REDACTED}"; got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
	if got := (Set{"GREETING": "x"}).String(); got != "{GREETING=REDACTED}" {
		t.Fatalf("String = %q", got)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q", "%d"} {
		for _, v := range []any{s, &s} {
			if got := fmt.Sprintf(verb, v); strings.Contains(got, "value") || !strings.Contains(got, "REDACTED") {
				t.Errorf("%s prints %q", verb, got)
			}
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("secrets", "set", s)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("secrets", "set", s)
	if strings.Contains(buf.String(), "value") || !strings.Contains(buf.String(), "GREETING=REDACTED") {
		t.Fatalf("log: %s", buf.String())
	}
}

func FuzzEpoch(f *testing.F) {
	sealed, err := Seal(testKey(f, 1).PublicKey().Bytes(), 9, agentA, map[string]string{"A": "b"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed[:HeaderSize])
	f.Add([]byte("COVS"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Epoch(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if e != binary.BigEndian.Uint32(b[5:9]) {
			t.Fatalf("Epoch = %d, header says %x", e, b[5:9])
		}
	})
}

func FuzzOpen(f *testing.F) {
	priv := testKey(f, 1)
	sealed, err := Seal(priv.PublicKey().Bytes(), 9, agentA, map[string]string{"A": "b"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed)
	f.Add(sealed[:HeaderSize+1120])
	f.Add([]byte("COVS\x01\x00\x00\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		set, err := Open(priv, agentA, b)
		if err != nil {
			return
		}
		// Whatever opens is a valid set that seals again.
		if _, err := Seal(priv.PublicKey().Bytes(), 9, agentA, set); err != nil {
			t.Fatalf("opened set does not seal again: %v", err)
		}
	})
}
