package receipt

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"github.com/cove-network/cove"
)

// vectorPathV3 is the golden version-3 receipt: the first of a batch of 3.
const vectorPathV3 = "testdata/receipt_vector_v3.json"

// batchOf returns n version-2 receipts of distinct exchanges (testExchangeV2
// with the response body numbered) and the exchanges.
func batchOf(n int) ([]Receipt, []exchange) {
	rs, es := make([]Receipt, n), make([]exchange, n)
	for i := range n {
		e := testExchangeV2
		e.Resp = fmt.Sprintf("hello cove %d", i)
		es[i], rs[i] = e, e.receiptV2()
	}
	return rs, es
}

// referenceMerkleTree is ReceiptMerkleTree as first written (each node
// carrying the list of its leaves up the tree): the tree's shape, which
// TestReceiptMerkleTree holds the faster one to.
func referenceMerkleTree(leaves []cove.Hash) (root cove.Hash, proofs [][]cove.Hash) {
	proofs = make([][]cove.Hash, len(leaves))
	level := append([]cove.Hash(nil), leaves...)
	members := make([][]int, len(leaves))
	for i := range leaves {
		members[i] = []int{i}
	}
	for len(level) > 1 {
		var next []cove.Hash
		var nextMembers [][]int
		for i := 0; i < len(level); i += 2 {
			if i+1 == len(level) {
				next, nextMembers = append(next, level[i]), append(nextMembers, members[i])
				continue
			}
			for _, m := range members[i] {
				proofs[m] = append(proofs[m], level[i+1])
			}
			for _, m := range members[i+1] {
				proofs[m] = append(proofs[m], level[i])
			}
			next = append(next, cove.MerkleParent(level[i], level[i+1]))
			nextMembers = append(nextMembers, slices.Concat(members[i], members[i+1]))
		}
		level, members = next, nextMembers
	}
	return level[0], proofs
}

func TestReceiptMerkleTree(t *testing.T) {
	for n := 1; n <= 1<<cove.MaxReceiptProof; n++ {
		leaves := make([]cove.Hash, n)
		for i := range leaves {
			leaves[i] = cove.Keccak256([]byte{byte(i), byte(n)})
		}
		kept := slices.Clone(leaves)
		root, proofs := cove.ReceiptMerkleTree(leaves)
		if !slices.Equal(leaves, kept) {
			t.Fatalf("n=%d: the leaves were changed", n)
		}
		if wantRoot, wantProofs := referenceMerkleTree(leaves); root != wantRoot || !slices.EqualFunc(proofs, wantProofs, slices.Equal) {
			t.Fatalf("n=%d: root %s, proofs %v; the tree as first written gives %s, %v", n, root, proofs, wantRoot, wantProofs)
		}
		depth := 0
		for 1<<depth < n {
			depth++
		}
		for i, leaf := range leaves {
			h := leaf
			for _, sib := range proofs[i] {
				h = cove.MerkleParent(h, sib)
			}
			if h != root {
				t.Fatalf("n=%d: leaf %d's proof leads to %s, root is %s", n, i, h, root)
			}
			if len(proofs[i]) > depth {
				t.Fatalf("n=%d: leaf %d's proof has %d hashes, the tree is %d deep", n, i, len(proofs[i]), depth)
			}
		}
		if n == 1 && (root != leaves[0] || len(proofs[0]) != 0) {
			t.Fatalf("one leaf: root %s, proof %v; want the leaf, no proof", root, proofs[0])
		}
		if n > 1 {
			// Another leaf's proof does not lead from this leaf to the root.
			r := leaves[0]
			for _, sib := range proofs[n-1] {
				r = cove.MerkleParent(r, sib)
			}
			if r == root {
				t.Fatalf("n=%d: leaf 0 reaches the root with leaf %d's proof", n, n-1)
			}
		}
	}
	// The pair is sorted: the parent does not depend on the order.
	a, b := cove.Hash{1}, cove.Hash{2}
	if cove.MerkleParent(a, b) != cove.MerkleParent(b, a) || cove.MerkleParent(a, b) != cove.Keccak256(a[:], b[:]) {
		t.Fatal("MerkleParent is not keccak256 of the sorted pair")
	}
}

func TestSignBatch(t *testing.T) {
	s := newSigner(t)
	for _, n := range []int{1, 2, 3, 5, 16, 17} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			rs, es := batchOf(n)
			out, err := SignBatch(s, rs)
			if err != nil {
				t.Fatal(err)
			}
			for i, signed := range out {
				wantV := uint8(cove.ReceiptV3)
				if n == 1 {
					wantV = cove.ReceiptV2 // alone: a plain version-2 receipt
				}
				if signed.Receipt.V() != wantV || signed.Signer != s.Address() {
					t.Fatalf("receipt %d: version %d signer %s, want %d %s", i, signed.Receipt.V(), signed.Signer, wantV, s.Address())
				}
				if n > 1 && signed.Signature != out[0].Signature {
					t.Fatalf("receipt %d has its own signature: a batch has one", i)
				}
				if err := Check(signed, es[i].of()); err != nil {
					t.Fatalf("receipt %d: %v", i, err)
				}
				// Through the headers and back, as a client gets it.
				h := http.Header{}
				SetHeaders(h, signed)
				got, err := FromHeaders(h)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, signed) {
					t.Fatalf("FromHeaders = %+v, want %+v", got, signed)
				}
				if n > 1 {
					// A batch-mate's exchange is not this receipt's.
					if err := Check(signed, es[(i+1)%n].of()); !errors.Is(err, ErrMismatch) {
						t.Fatalf("receipt %d checked against receipt %d's exchange: %v, want ErrMismatch", i, (i+1)%n, err)
					}
				}
			}
		})
	}
	if _, err := SignBatch(s, nil); err == nil {
		t.Fatal("an empty batch was signed")
	}
	big, _ := batchOf(1<<cove.MaxReceiptProof + 1)
	if _, err := SignBatch(s, big); err == nil {
		t.Fatal("a batch larger than a proof can cover was signed")
	}
}

// TestVerifyBatchRefusals changes one thing of a genuine version-3 receipt
// (the control, which verifies) at a time.
func TestVerifyBatchRefusals(t *testing.T) {
	s := newSigner(t)
	rs, es := batchOf(5)
	out, err := SignBatch(s, rs)
	if err != nil {
		t.Fatal(err)
	}
	signed := out[2]
	if err := Check(signed, es[2].of()); err != nil {
		t.Fatalf("control: %v", err)
	}
	clone := func() Signed {
		c := signed
		c.Receipt.Proof = append([]cove.Hash(nil), signed.Receipt.Proof...)
		return c
	}
	tests := []struct {
		name   string
		tamper func(*Signed)
		reason string
	}{
		{"a proof hash changed", func(s *Signed) { s.Receipt.Proof[0][4] ^= 1 }, "signed by"},
		{"a proof hash dropped", func(s *Signed) { s.Receipt.Proof = s.Receipt.Proof[1:] }, "signed by"},
		{"a proof hash added", func(s *Signed) { s.Receipt.Proof = append(s.Receipt.Proof, cove.Hash{9}) }, "signed by"},
		{"another receipt's proof", func(s *Signed) { s.Receipt.Proof = out[0].Receipt.Proof }, "signed by"},
		{"the status", func(s *Signed) { s.Receipt.Status = 500 }, "signed by"},
		{"the headersHash", func(s *Signed) { s.Receipt.HeadersHash[1] ^= 1 }, "signed by"},
		{"the salt", func(s *Signed) { s.Receipt.Salt[0] ^= 1 }, "signed by"},
		{"no proof", func(s *Signed) { s.Receipt.Proof = nil }, "proof has 0 hashes"},
		{"as version 2", func(s *Signed) { s.Receipt.Version = cove.ReceiptV2 }, "version-2 receipt has no salt or proof"},
		{"as version 2 without its salt and proof", func(s *Signed) {
			s.Receipt.Version, s.Receipt.Salt, s.Receipt.Proof = cove.ReceiptV2, cove.Hash{}, nil
		}, "signed by"},
		{"as version 1", func(s *Signed) { s.Receipt.Version = cove.ReceiptV1 }, "version-1 receipt has no headersHash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := clone()
			tt.tamper(&bad)
			err := Verify(bad)
			if !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("Verify = %v, want ErrBadSignature saying %q", err, tt.reason)
			}
		})
	}

	// The proof's bound: a genuine signature over a tree 9 levels deep is
	// refused for its proof's length alone; the same over 8 levels passes.
	for _, depth := range []int{cove.MaxReceiptProof, cove.MaxReceiptProof + 1} {
		leaves := make([]cove.Hash, 1<<depth)
		r := rs[0]
		r.Salt = cove.Hash{7}
		leaves[0] = r.Leaf()
		for i := 1; i < len(leaves); i++ {
			leaves[i] = cove.Keccak256([]byte(fmt.Sprint(i)))
		}
		root, proofs := cove.ReceiptMerkleTree(leaves)
		sig, err := s.Sign(cove.ReceiptBatchDigest(root))
		if err != nil {
			t.Fatal(err)
		}
		r.Version, r.Proof = cove.ReceiptV3, proofs[0]
		err = Verify(Signed{Receipt: r, Signature: sig, Signer: s.Address()})
		if depth <= cove.MaxReceiptProof && err != nil {
			t.Fatalf("a proof of %d hashes (the control): %v", depth, err)
		}
		if depth > cove.MaxReceiptProof && (!errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "want 1 to 8")) {
			t.Fatalf("a proof of %d hashes: %v, want refused for its length", depth, err)
		}
	}
}

func TestDecodeVersion3(t *testing.T) {
	s := newSigner(t)
	rs, _ := batchOf(3)
	out, err := SignBatch(s, rs)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	SetHeaders(h, out[1])
	js := mustDecodeReceiptHeader(t, h)
	if _, err := decodeReceipt(js); err != nil {
		t.Fatalf("control: %v", err)
	}
	salt := `"salt":"` + out[1].Receipt.Salt.String() + `"`
	proof := `"proof":["` + out[1].Receipt.Proof[0].String() + `","` + out[1].Receipt.Proof[1].String() + `"]`
	if !strings.HasSuffix(string(js), `,`+salt+`,`+proof+`}`) || !strings.HasPrefix(string(js), `{"version":3,`) {
		t.Fatalf("version-3 JSON %s: want version first, the salt and the proof last", js)
	}
	headers := `,"headersHash":"` + out[1].Receipt.HeadersHash.String() + `"`
	nine := `"proof":[` + strings.Repeat(`"`+out[1].Receipt.Proof[0].String()+`",`, 8) + `"` + out[1].Receipt.Proof[0].String() + `"]`
	for _, tt := range []struct{ name, from, to, want string }{
		{"no proof", `,` + proof, ``, `missing field "proof"`},
		{"no salt", salt + `,`, ``, `missing field "salt"`},
		{"empty proof", proof, `"proof":[]`, `has 0 hashes`},
		{"nine proof hashes", proof, nine, `has 9 hashes`},
		{"null proof", proof, `"proof":null`, `is null`},
		{"version 2 with a salt and proof", `"version":3`, `"version":2`, `"salt" or "proof" in a version-2 receipt`},
		{"version 1 with a salt and proof", `"version":3,`, ``, `without "version"`},
		{"version 4", `"version":3`, `"version":4`, `unknown version 4`},
		{"a short hash", out[1].Receipt.Proof[1].String(), "0x12", `field "proof"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad := strings.Replace(string(js), tt.from, tt.to, 1)
			if tt.name == "version 1 with a salt and proof" {
				bad = strings.Replace(bad, headers, "", 1) // only the salt and proof are extra
			}
			if bad == string(js) {
				t.Fatalf("%q not in %s", tt.from, js)
			}
			if _, err := decodeReceipt([]byte(bad)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("decode %s: %v, want %q", bad, err, tt.want)
			}
		})
	}
}

func mustDecodeReceiptHeader(t *testing.T, h http.Header) []byte {
	t.Helper()
	s, err := FromHeaders(h)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(s.Receipt)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// TestBatchDigestMatchesGoEthereum checks the version-3 digest against
// go-ethereum's EIP-712 encoder, and the leaf against the version-2 struct
// hash it is.
func TestBatchDigestMatchesGoEthereum(t *testing.T) {
	root := cove.Hash{0: 0xab, 31: 0xcd}
	td := apitypes.TypedData{
		Types: apitypes.Types{
			"EIP712Domain": {{Name: "name", Type: "string"}, {Name: "version", Type: "string"}},
			"ReceiptBatch": {{Name: "root", Type: "bytes32"}},
		},
		PrimaryType: "ReceiptBatch",
		Domain:      apitypes.TypedDataDomain{Name: "Cove", Version: "3"},
		Message:     apitypes.TypedDataMessage{"root": root.String()},
	}
	want, _, err := apitypes.TypedDataAndHash(td)
	if err != nil {
		t.Fatal(err)
	}
	if got := cove.ReceiptBatchDigest(root); !bytes.Equal(got[:], want) {
		t.Fatalf("ReceiptBatchDigest = %s, go-ethereum says 0x%x", got, want)
	}
	// A receipt alone in its "batch" has no version-3 form that verifies
	// as version 2: the domains differ.
	r := testExchangeV2.receiptV2()
	if cove.ReceiptBatchDigest(r.Leaf()) == r.Digest() || cove.ReceiptBatchDigest(r.StructHashV2()) == r.Digest() {
		t.Fatal("a version-3 digest of one leaf equals the version-2 digest")
	}
	// The leaf is EIP-712's hashStruct of ReceiptLeaf{receipt, salt}.
	r.Salt = cove.Hash{0: 0x5a, 31: 0x17}
	leafTD := apitypes.TypedData{
		Types: apitypes.Types{
			"EIP712Domain": {{Name: "name", Type: "string"}, {Name: "version", Type: "string"}},
			"ReceiptLeaf":  {{Name: "receipt", Type: "Receipt"}, {Name: "salt", Type: "bytes32"}},
			"Receipt": {{Name: "agent", Type: "bytes32"}, {Name: "codeHash", Type: "bytes32"}, {Name: "requestHash", Type: "bytes32"},
				{Name: "status", Type: "uint16"}, {Name: "responseHash", Type: "bytes32"}, {Name: "timestamp", Type: "uint64"}, {Name: "headersHash", Type: "bytes32"}},
		},
		PrimaryType: "ReceiptLeaf",
		Domain:      apitypes.TypedDataDomain{Name: "Cove", Version: "3"},
		Message: apitypes.TypedDataMessage{"salt": r.Salt.String(), "receipt": map[string]any{
			"agent": r.Agent.String(), "codeHash": r.CodeHash.String(), "requestHash": r.RequestHash.String(),
			"status": fmt.Sprint(r.Status), "responseHash": r.ResponseHash.String(), "timestamp": fmt.Sprint(r.Timestamp),
			"headersHash": r.HeadersHash.String()}},
	}
	leaf, err := leafTD.HashStruct("ReceiptLeaf", leafTD.Message)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Leaf(); !bytes.Equal(got[:], leaf) {
		t.Fatalf("Leaf = %s, go-ethereum's hashStruct says 0x%x", got, []byte(leaf))
	}
}

// slowSigner signs after a delay, so that receipts pile up behind it.
type slowSigner struct {
	keySigner
	delay time.Duration
	mu    sync.Mutex
	n     int
}

func (s *slowSigner) Sign(d cove.Hash) ([65]byte, error) {
	time.Sleep(s.delay)
	s.mu.Lock()
	s.n++
	s.mu.Unlock()
	return s.keySigner.Sign(d)
}

// failingSigner is a slowSigner that fails every signature.
type failingSigner struct{ *slowSigner }

func (f *failingSigner) Sign(d cove.Hash) ([65]byte, error) {
	f.slowSigner.Sign(d)
	return [65]byte{}, errors.New("hsm offline")
}

// panicSigner panics until ok is set.
type panicSigner struct {
	keySigner
	ok bool
}

func (p *panicSigner) Sign(d cove.Hash) ([65]byte, error) {
	if !p.ok {
		panic("signer bug")
	}
	return p.keySigner.Sign(d)
}

func TestBatcher(t *testing.T) {
	t.Run("one at a time: version 2", func(t *testing.T) {
		s := &slowSigner{keySigner: newSigner(t)}
		b := NewBatcher(s, 0)
		rs, es := batchOf(5)
		for i, r := range rs {
			signed, err := b.Sign(r)
			if err != nil {
				t.Fatal(err)
			}
			if signed.Receipt.V() != cove.ReceiptV2 {
				t.Fatalf("a receipt signed with no other waiting is version %d, want 2", signed.Receipt.V())
			}
			if err := Check(signed, es[i].of()); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("calls ready to run join the batch of one about to sign alone", func(t *testing.T) {
		// On one P, goroutines started together run one after the other:
		// the first to reach Sign yields before signing, so the others
		// reach Sign meanwhile and all go under one signature. Signed at
		// once, it would always make two: its own, then the others'. The
		// scheduler takes from its global queue first on one round in 61,
		// which may run the yielder early: hence a few attempts.
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		rs, es := batchOf(4)
		var sigs []int
		for range 5 {
			s := &slowSigner{keySigner: newSigner(t)}
			b := NewBatcher(s, 0)
			b.Count = &BatchCount{}
			out := make([]Signed, len(rs))
			errs := make([]error, len(rs))
			var wg sync.WaitGroup
			for i := range rs {
				wg.Go(func() { out[i], errs[i] = b.Sign(rs[i]) })
			}
			wg.Wait()
			for i := range rs {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
				if err := Check(out[i], es[i].of()); err != nil {
					t.Fatalf("receipt %d: %v", i, err)
				}
			}
			if got := b.Count.Signatures.Load(); got != uint64(s.n) || b.Count.Receipts.Load() != uint64(len(rs)) {
				t.Fatalf("counted %d signatures over %d receipts; %d made over %d", got, b.Count.Receipts.Load(), s.n, len(rs))
			}
			sigs = append(sigs, s.n)
			if s.n == 1 {
				// The control: one at a time, each is signed alone.
				for i := range rs {
					if _, err := b.Sign(rs[i]); err != nil {
						t.Fatal(err)
					}
				}
				if got := b.Count.Signatures.Load(); got != 1+uint64(len(rs)) {
					t.Fatalf("%d receipts one at a time after the batch: %d signatures in all, want %d", len(rs), got, 1+len(rs))
				}
				return
			}
		}
		t.Fatalf("%d receipts ready together took %v signatures in %d attempts, never 1", len(rs), sigs, len(sigs))
	})
	for _, size := range []int{1, 4, 16} {
		t.Run(fmt.Sprintf("concurrent, batches of %d", size), func(t *testing.T) {
			s := &slowSigner{keySigner: newSigner(t), delay: 5 * time.Millisecond}
			b := NewBatcher(s, size)
			const n = 40
			rs, es := batchOf(n)
			out := make([]Signed, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { out[i], errs[i] = b.Sign(rs[i]) })
			}
			wg.Wait()
			bySig := map[[65]byte]int{}
			for i := range n {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
				if err := Check(out[i], es[i].of()); err != nil {
					t.Fatalf("receipt %d (version %d): %v", i, out[i].Receipt.V(), err)
				}
				bySig[out[i].Signature]++
			}
			largest := 0
			for _, c := range bySig {
				largest = max(largest, c)
			}
			if largest > size {
				t.Fatalf("a signature covers %d receipts, the bound is %d", largest, size)
			}
			if s.n != len(bySig) {
				t.Fatalf("%d signatures made, %d distinct ones returned", s.n, len(bySig))
			}
			if size > 1 && s.n >= n/2 {
				t.Fatalf("%d receipts arriving at once took %d signatures: batching did not happen", n, s.n)
			}
			if size == 1 && s.n != n {
				t.Fatalf("batches of 1: %d signatures for %d receipts", s.n, n)
			}
		})
	}
	t.Run("a failing signer fails the whole batch", func(t *testing.T) {
		s := badSigner{addr: cove.Address{1}, fails: true}
		b := NewBatcher(s, 0)
		b.Count = &BatchCount{}
		rs, _ := batchOf(1)
		if _, err := b.Sign(rs[0]); err == nil || !strings.Contains(err.Error(), "hsm offline") {
			t.Fatalf("Sign with a failing signer: %v", err)
		}
		// And the batcher is not stuck: the next one is tried too.
		if _, err := b.Sign(rs[0]); err == nil {
			t.Fatal("second Sign succeeded with a failing signer")
		}
		if r, n := b.Count.Receipts.Load(), b.Count.Signatures.Load(); r != 0 || n != 0 {
			t.Fatalf("failed signatures counted as signed: %d receipts, %d signatures", r, n)
		}
	})
	t.Run("every waiter of a failed batch gets the error", func(t *testing.T) {
		s := &slowSigner{keySigner: newSigner(t), delay: 5 * time.Millisecond}
		fail := &failingSigner{slowSigner: s}
		b := NewBatcher(fail, 0)
		rs, _ := batchOf(10)
		errs := make([]error, len(rs))
		var wg sync.WaitGroup
		for i := range rs {
			wg.Go(func() { _, errs[i] = b.Sign(rs[i]) })
		}
		wg.Wait()
		for i, err := range errs {
			if err == nil || !strings.Contains(err.Error(), "hsm offline") {
				t.Fatalf("receipt %d: %v, want the signer's error", i, err)
			}
		}
		if s.n >= len(rs) {
			t.Fatalf("%d signatures tried for %d receipts arriving at once: no batch formed", s.n, len(rs))
		}
	})
	t.Run("a panicking signer does not stop the batcher", func(t *testing.T) {
		p := &panicSigner{keySigner: newSigner(t)}
		b := NewBatcher(p, 0)
		rs, es := batchOf(2)
		if _, err := b.Sign(rs[0]); err == nil || !strings.Contains(err.Error(), "panicked") {
			t.Fatalf("Sign with a panicking signer: %v", err)
		}
		p.ok = true
		done := make(chan error, 1)
		go func() {
			s, err := b.Sign(rs[1])
			if err == nil {
				err = Check(s, es[1].of())
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the batcher is stuck after a panic")
		}
	})
}

func TestGoldenVectorV3(t *testing.T) {
	priv, err := crypto.ToECDSA(bytes.Repeat([]byte{0x42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	rs, es := batchOf(3)
	for i := range rs {
		rs[i].Salt = cove.Keccak256([]byte(fmt.Sprint("fixed test salt ", i))) // random in the worker
	}
	out, err := SignBatch(keySigner{priv}, rs)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	SetHeaders(h, out[0])
	d := out[0].Receipt.Digest()
	v := vector{
		Comment:    "the first receipt of a batch of 3 (version 3), signed by a fixed test key (never use it for anything else); see package receipt",
		PrivateKey: "0x" + strings.Repeat("42", 32),
		Exchange:   &es[0],
		Receipt:    out[0].Receipt,
		Digest:     &d,
		Signature:  "0x" + hex.EncodeToString(out[0].Signature[:]),
		Signer:     out[0].Signer,
		Headers:    map[string]string{HeaderReceipt: h.Get(HeaderReceipt), HeaderSignature: h.Get(HeaderSignature), HeaderSigner: h.Get(HeaderSigner)},
	}
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(filepath.FromSlash(vectorPathV3), got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(filepath.FromSlash(vectorPathV3))
	if err != nil {
		t.Fatalf("%v (run go test ./receipt -run TestGoldenVectorV3 -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("version-3 receipt encoding changed (a wire format!):\ngot:\n%s\nwant:\n%s", got, want)
	}
	s, err := FromHeaders(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(s, es[0].of()); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkSignBatch(b *testing.B) {
	s := newSigner(b)
	for _, n := range []int{1, 4, 16} {
		rs, _ := batchOf(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := SignBatch(s, rs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1000, "µs/receipt")
		})
	}
}

// TestSetHeadersLongReceipt: a receipt longer than the buffers SetHeaders
// encodes into on the stack (a proof longer than any batch makes) is
// still written whole.
func TestSetHeadersLongReceipt(t *testing.T) {
	rs, _ := batchOf(2)
	for _, proof := range []int{1, cove.MaxReceiptProof, 40} {
		r := rs[0]
		r.Version, r.Proof = cove.ReceiptV3, make([]cove.Hash, proof)
		h := http.Header{}
		SetHeaders(h, Signed{Receipt: r})
		want := base64.RawURLEncoding.EncodeToString(r.AppendJSON(nil))
		if got := h.Get(HeaderReceipt); got != want {
			t.Fatalf("a proof of %d: the header is %d bytes, want %d", proof, len(got), len(want))
		}
	}
}
