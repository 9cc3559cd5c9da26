package chain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// KV is one entry of the state or of a write-set. A nil Value in a
// write-set deletes the key.
type KV struct {
	Key, Value []byte
}

// State keys (see the package comment).
const (
	keyChainID     = "meta/chain_id"
	keyGenesisTime = "meta/genesis_time"
	keyBlock       = "meta/block"
	keyParams      = "params"
	prefixAccount  = "acct/"
	prefixAgent    = "agent/"
	prefixWorker   = "worker/"
)

func compareKV(a, b KV) int { return bytes.Compare(a.Key, b.Key) }

// reader reads state; ok is false for an absent (or deleted) key.
type reader interface {
	get(key string) (value []byte, ok bool)
}

// committed is the committed state.
type committed map[string][]byte

func (c committed) get(key string) ([]byte, bool) {
	v, ok := c[key]
	return v, ok
}

// keys returns the committed keys with the prefix, sorted.
func (c committed) keys(prefix string) []string {
	var ks []string
	for k := range c {
		if strings.HasPrefix(k, prefix) {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// overlay holds writes over a parent state: a block's working state over
// the committed state, or one transaction's over its block's.
type overlay struct {
	parent reader
	writes map[string][]byte // nil value: deleted
}

func newOverlay(parent reader) *overlay {
	return &overlay{parent: parent, writes: make(map[string][]byte)}
}

func (o *overlay) get(key string) ([]byte, bool) {
	if v, ok := o.writes[key]; ok {
		return v, v != nil
	}
	return o.parent.get(key)
}

func (o *overlay) set(key string, value []byte) { o.writes[key] = value }

// flush moves o's writes into p (o must be over p).
func (o *overlay) flush(p *overlay) {
	for k, v := range o.writes {
		p.writes[k] = v
	}
	clear(o.writes)
}

// writeSet returns o's writes sorted by key.
func (o *overlay) writeSet() []KV {
	out := make([]KV, 0, len(o.writes))
	for k, v := range o.writes {
		out = append(out, KV{Key: []byte(k), Value: v})
	}
	slices.SortFunc(out, compareKV)
	return out
}

// getJSON decodes the record at key into v and reports whether it exists.
// Stored records were written by this package (and checked by Load), so a
// record that does not decode is a broken invariant.
func getJSON(r reader, key string, v any) bool {
	b, ok := r.get(key)
	if !ok {
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		panic(fmt.Sprintf("chain: corrupt state at %q: %v", key, err))
	}
	return true
}

// putJSON stores the canonical JSON of v at key.
func putJSON(o *overlay, key string, v any) {
	o.set(key, mustJSON(v))
}

// mustJSON marshals a record. Records hold only types that marshal (times
// are checked to be in years 1 to 9999 before they get here).
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("chain: encode %T: %v", v, err))
	}
	return b
}
