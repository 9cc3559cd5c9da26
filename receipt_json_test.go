package cove

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// The receipt JSON as encoding/json writes it for structs restating the
// fields (the encoding before AppendJSON): the oracle AppendJSON must match
// byte for byte.
type oracleV1 struct {
	Agent        AgentID `json:"agent"`
	CodeHash     Hash    `json:"codeHash"`
	RequestHash  Hash    `json:"requestHash"`
	Status       uint16  `json:"status"`
	ResponseHash Hash    `json:"responseHash"`
	Timestamp    uint64  `json:"timestamp"`
}

type oracleV2 struct {
	Version uint8 `json:"version"`
	oracleV1
	HeadersHash Hash `json:"headersHash"`
}

type oracleV3 struct {
	oracleV2
	Salt  Hash   `json:"salt"`
	Proof []Hash `json:"proof"`
}

func oracleJSON(r Receipt) ([]byte, error) {
	v1 := oracleV1{r.Agent, r.CodeHash, r.RequestHash, r.Status, r.ResponseHash, r.Timestamp}
	v2 := oracleV2{Version: r.Version, oracleV1: v1, HeadersHash: r.HeadersHash}
	switch r.V() {
	case ReceiptV1:
		return json.Marshal(v1)
	case ReceiptV3:
		proof := r.Proof
		if proof == nil {
			proof = []Hash{}
		}
		return json.Marshal(oracleV3{oracleV2: v2, Salt: r.Salt, Proof: proof})
	}
	return json.Marshal(v2)
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	hash := func() (h Hash) {
		for i := range h {
			h[i] = byte(rng.Uint32())
		}
		return h
	}
	for i := range 2000 {
		r := Receipt{
			// Version 4: one this build does not know, written as before.
			Version: uint8(i % 5), Agent: AgentID(hash()), CodeHash: hash(), RequestHash: hash(),
			Status: uint16(rng.Uint32()), ResponseHash: hash(), Timestamp: rng.Uint64() >> (i % 64),
			HeadersHash: hash(),
		}
		if r.V() == ReceiptV3 {
			r.Salt = hash()
			for range i % 9 {
				r.Proof = append(r.Proof, hash())
			}
		}
		if i%50 == 0 {
			r.Status, r.Timestamp = 0, 0
		}
		want, err := oracleJSON(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) || !bytes.Equal(r.AppendJSON(nil), want) {
			t.Fatalf("receipt %d (version %d):\n got %s\nwant %s", i, r.V(), got, want)
		}
	}
}

func BenchmarkReceiptJSON(b *testing.B) {
	r := Receipt{Version: ReceiptV3, Proof: make([]Hash, 4)}
	b.Run("AppendJSON", func(b *testing.B) {
		buf := make([]byte, 0, 1024)
		for b.Loop() {
			buf = r.AppendJSON(buf[:0])
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			if _, err := oracleJSON(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
