package cid

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
)

// The expected CIDs were computed outside this package, two ways: with the
// reference JavaScript implementation (npm multiformats 13:
// CID.create(1, raw.code, await sha256.digest(bytes)).toString()) and with
// Python's hashlib and base64.b32encode over 0x01 0x55 0x12 0x20 ‖ sha256,
// lowercased, padding stripped, prefixed with 'b'. The empty one is also the
// well-known IPFS CID of an empty raw block.
var cidVectors = []struct{ content, cid, sha256 string }{
	{"", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
		"0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"hello world\n", "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4",
		"0xa948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"},
}

func TestVectors(t *testing.T) {
	for _, v := range cidVectors {
		if got := Of([]byte(v.content)); got != v.cid {
			t.Errorf("Of(%q) = %s, want %s", v.content, got, v.cid)
		}
		h, err := Parse(v.cid)
		if err != nil {
			t.Fatalf("Parse(%s): %v", v.cid, err)
		}
		if h.String() != v.sha256 {
			t.Errorf("Parse(%s) = %s, want %s", v.cid, h, v.sha256)
		}
	}
}

func TestShape(t *testing.T) {
	for _, s := range []string{"", "a", "agent code", strings.Repeat("x", 1<<16)} {
		c := Of([]byte(s))
		if len(c) != cidLen || !strings.HasPrefix(c, Prefix) || strings.ToLower(c) != c {
			t.Errorf("Of(%.10q...) = %s, want %d lowercase characters starting with %s", s, c, cidLen, Prefix)
		}
		h, err := Parse(c)
		if err != nil || h != sha256.Sum256([]byte(s)) {
			t.Errorf("Parse(Of(%.10q...)) = %s, %v; want its sha256", s, h, err)
		}
	}
}

// encode builds a base32 multibase string from raw CID bytes, for CIDs this
// package must reject.
func encode(parts ...[]byte) string {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return "b" + b32.EncodeToString(b)
}

func TestParseErrors(t *testing.T) {
	d32 := make([]byte, 32)
	d64 := make([]byte, 64)
	good := cidVectors[0].cid
	last := good[len(good)-1] // carries 3 digest bits and 2 zero padding bits
	tests := []struct{ name, in, want string }{
		{"empty", "", "empty"},
		{"too long", "b" + strings.Repeat("a", 1000), "1001 characters"},
		{"CIDv0", "QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR", "CIDv0"},
		{"base58 CIDv1", "zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA", "multibase prefix 'z'"},
		{"upper base32 multibase", strings.ToUpper(good), "multibase prefix 'B'"},
		{"upper letter", good[:10] + "Q" + good[11:], "character 'Q' at offset 10"},
		{"padding", good + "======", "character '='"},
		{"hex", "f01551220" + strings.Repeat("00", 32), "multibase prefix 'f'"},
		{"version 0", encode([]byte{0x00, 0x55, 0x12, 0x20}, d32), "CID version 0"},
		{"version 2", encode([]byte{0x02, 0x55, 0x12, 0x20}, d32), "CID version 2"},
		{"dag-pb", encode([]byte{0x01, 0x70, 0x12, 0x20}, d32), "codec 0x70 (dag-pb), want raw"},
		{"dag-cbor", encode([]byte{0x01, 0x71, 0x12, 0x20}, d32), "codec 0x71 (dag-cbor)"},
		{"dag-json (2-byte varint)", encode([]byte{0x01, 0xa9, 0x02, 0x12, 0x20}, d32), "codec 0x129 (dag-json)"},
		{"sha2-512", encode([]byte{0x01, 0x55, 0x13, 0x40}, d64), "hash function 0x13, want sha2-256"},
		{"identity hash", encode([]byte{0x01, 0x55, 0x00, 0x03}, []byte("abc")), "hash function 0x0"},
		{"short digest length", encode([]byte{0x01, 0x55, 0x12, 0x1f}, d32[:31]), "digest length 31"},
		{"truncated digest", encode([]byte{0x01, 0x55, 0x12, 0x20}, d32[:31]), "digest is 31 bytes"},
		{"trailing byte", encode([]byte{0x01, 0x55, 0x12, 0x20}, d32, []byte{0}), "digest is 33 bytes"},
		{"truncated header", encode([]byte{0x01, 0x55}), "truncated before the hash function"},
		{"only prefix", "b", "truncated before the version"},
		{"overlong varint", encode([]byte{0x01, 0x55, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}), "overflows"},
		{"non-minimal varint", encode([]byte{0x81, 0x00, 0x55, 0x12, 0x20}, d32), "canonical"},
		{"non-zero padding bits", good[:len(good)-1] + string(last+1), ""},
		{"line break", good[:20] + "\n" + good[20:], `character '\n' at offset 20`},
		{"dangling character", good + "a", "59 base32 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want an error", tt.in, h)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if !h.IsZero() {
				t.Errorf("Parse returned a hash with its error: %s", h)
			}
			if len(err.Error()) > 300 {
				t.Errorf("error is %d bytes long, want it short", len(err.Error()))
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, v := range cidVectors {
		f.Add(v.cid)
	}
	f.Add("")
	f.Add("b")
	f.Add("QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR")
	f.Add(encode([]byte{0x01, 0x70, 0x12, 0x20}, make([]byte, 32)))
	f.Add(encode([]byte{0x81, 0x00, 0x55, 0x12, 0x20}, make([]byte, 32)))
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrInvalid", s, err)
			}
			return
		}
		if got := FromHash(h); got != s {
			t.Fatalf("Parse(%q) accepted a CID that re-encodes as %q", s, got)
		}
	})
}
