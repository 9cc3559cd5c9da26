package chain

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/pokt-network/smt"
)

// The app hash is the root of a sparse Merkle tree over the state
// (github.com/pokt-network/smt, ADR 12): a key's path is SHA-256(key), its
// leaf holds SHA-256(value), a leaf node hashes as
// SHA-256(0x00 ‖ path ‖ SHA-256(value)) and an inner node as
// SHA-256(0x01 ‖ left ‖ right), an empty subtree is 32 zero bytes. The
// root depends only on the set of key/values, not on the order they were
// written in, so Load rebuilds it from the stored state and checks it.

// stateTree is the sparse Merkle tree of the committed state, with the
// working copy of the block being finalized.
//
// Its nodes live in nodes; the tree object (trie) is the working copy:
// FinalizeBlock applies the block's writes to it, Commit persists them to
// nodes, and a FinalizeBlock that replaces an uncommitted one starts over
// from the committed root. Proofs are made from nodes at a committed root,
// never from the working copy, so they cannot see an uncommitted block.
// nodes keeps the version before the last Commit too (see nodeStore), so
// the state at the previous height stays provable.
type stateTree struct {
	nodes *nodeStore
	trie  *smt.SMT
}

func newStateTree() *stateTree {
	nodes := newNodeStore()
	return &stateTree{nodes: nodes, trie: smt.NewSparseMerkleTrie(nodes, sha256.New())}
}

// apply writes kvs into the working tree (nil Value: delete) and returns
// its root. An error is a broken invariant (nodes lost a node).
func (t *stateTree) apply(kvs []KV) []byte {
	for _, kv := range kvs {
		var err error
		if kv.Value == nil {
			// A key created and deleted within one block was never in
			// the tree.
			if err = t.trie.Delete(kv.Key); errors.Is(err, smt.ErrKeyNotFound) {
				err = nil
			}
		} else {
			err = t.trie.Update(kv.Key, kv.Value)
		}
		if err != nil {
			panic(fmt.Sprintf("chain: state tree: write %q: %v", kv.Key, err))
		}
	}
	return t.trie.Root()
}

// commit persists the working tree: its root becomes the committed one.
// Nodes only the version before the previous commit used are dropped.
func (t *stateTree) commit() {
	if err := t.trie.Commit(); err != nil {
		panic(fmt.Sprintf("chain: state tree: commit: %v", err))
	}
	t.nodes.retire()
}

// reset discards the working tree's uncommitted writes: it starts again
// from the committed root.
func (t *stateTree) reset(root []byte) {
	t.trie = smt.ImportSparseMerkleTrie(t.nodes, sha256.New(), root)
}

// prove proves key (or its absence) in the committed version with the
// given root, which must be the last or the one before. It only reads
// nodes, so it may run concurrently with other provers and with apply
// (but not with commit).
func (t *stateTree) prove(root, key []byte) ([]byte, error) {
	p, err := smt.ImportSparseMerkleTrie(t.nodes, sha256.New(), root).Prove(key)
	if err != nil {
		return nil, err
	}
	return encodeProof(p)
}

// StateRoot returns the app hash of a whole state: the root of the sparse
// Merkle tree holding kvs (each key once, no nil values).
func StateRoot(kvs []KV) []byte {
	return newStateTree().apply(kvs)
}

// nodeStore holds the tree's nodes by digest. The tree deletes the nodes a
// commit replaces (orphans); the store holds those deletions back for one
// more commit, so the previous version stays whole and provable: the state
// at height H-1 is what a CometBFT header at height H certifies.
type nodeStore struct {
	m map[string][]byte
	// pending are the orphans of the commit in progress, retiring those of
	// the last commit (the previous version's nodes). A node written again
	// is alive and leaves both.
	pending, retiring map[string]bool
}

func newNodeStore() *nodeStore {
	return &nodeStore{m: map[string][]byte{}, pending: map[string]bool{}, retiring: map[string]bool{}}
}

// retire runs after a commit: it deletes the nodes the commit before
// orphaned (only the version before that used them) and holds back the
// ones this commit orphaned.
func (s *nodeStore) retire() {
	for k := range s.retiring {
		delete(s.m, k)
	}
	s.retiring, s.pending = s.pending, s.retiring
	clear(s.pending)
}

var errNoNode = errors.New("no such node")

func (s *nodeStore) Get(key []byte) ([]byte, error) {
	v, ok := s.m[string(key)]
	if !ok {
		return nil, fmt.Errorf("state tree node %x: %w", key, errNoNode)
	}
	return v, nil
}

func (s *nodeStore) Set(key, value []byte) error {
	k := string(key)
	s.m[k] = bytes.Clone(value)
	delete(s.pending, k)
	delete(s.retiring, k)
	return nil
}

// Delete marks an orphan; retire deletes it a commit later.
func (s *nodeStore) Delete(key []byte) error {
	s.pending[string(key)] = true
	return nil
}

func (s *nodeStore) Len() (int, error) { return len(s.m), nil }

func (s *nodeStore) ClearAll() error {
	clear(s.m)
	clear(s.pending)
	clear(s.retiring)
	return nil
}
