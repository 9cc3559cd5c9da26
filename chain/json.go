package chain

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cove-network/cove"
)

// Bytes is a byte string written in JSON as 0x-prefixed hex ("0x" when
// empty). It decodes "0x" to nil.
type Bytes []byte

// String returns b as 0x + lowercase hex.
func (b Bytes) String() string { return "0x" + hex.EncodeToString(b) }

// MarshalText implements encoding.TextMarshaler.
func (b Bytes) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: 0x (or 0X) and an even
// number of hex digits.
func (b *Bytes) UnmarshalText(text []byte) error {
	v, err := parseHexBytes(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

func parseHexBytes(s string) ([]byte, error) {
	if len(s) < 2 || (s[:2] != "0x" && s[:2] != "0X") {
		return nil, fmt.Errorf("%w: want 0x followed by hex digits, got %s", cove.ErrBadHex, clip(s))
	}
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("%w: odd number of hex digits", cove.ErrBadHex)
	}
	if len(s) == 2 {
		return nil, nil
	}
	v, err := hex.DecodeString(s[2:])
	if err != nil {
		return nil, fmt.Errorf("%w: %s", cove.ErrBadHex, clip(s))
	}
	return v, nil
}

// maxUint256 is 2^256 - 1, the largest amount or balance.
var maxUint256 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// parseAmount parses a uint256 written as a decimal string without sign,
// leading zeros, spaces or exponent.
func parseAmount(s string) (*big.Int, error) {
	if s == "" || len(s) > 78 {
		return nil, fmt.Errorf("amount %s: want a decimal string from 0 to 2^256-1", clip(strconv.Quote(s)))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' || (i == 0 && s[0] == '0' && len(s) > 1) {
			return nil, fmt.Errorf("amount %s: want decimal digits without sign or leading zeros", clip(strconv.Quote(s)))
		}
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok || v.Cmp(maxUint256) > 0 {
		return nil, fmt.Errorf("amount %s: larger than 2^256-1", clip(s))
	}
	return v, nil
}

// checkAmount reports whether v can be written as a uint256.
func checkAmount(v *big.Int) error {
	switch {
	case v == nil:
		return errors.New("amount is missing")
	case v.Sign() < 0:
		return fmt.Errorf("amount %s is negative", v)
	case v.Cmp(maxUint256) > 0:
		return fmt.Errorf("amount %s is larger than 2^256-1", v)
	}
	return nil
}

func clip(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:80] + "…"
}

// object reads a JSON object whose keys are exactly names, each once and
// none null, and returns its fields.
func object(raw []byte, names ...string) (*fields, error) {
	return objectOptional(raw, nil, names...)
}

// objectOptional is object where the names in optional may be absent.
func objectOptional(raw []byte, optional []string, names ...string) (*fields, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("want a JSON object")
	}
	m := make(map[string]json.RawMessage, len(names))
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("bad JSON: %v", err)
		}
		key := t.(string) // dec.More inside an object guarantees a key
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("field %s: bad JSON: %v", clip(strconv.Quote(key)), err)
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("field %q appears twice", key)
		}
		if !known(names, key) {
			return nil, fmt.Errorf("unknown field %s (want %s)", clip(strconv.Quote(key)), strings.Join(names, ", "))
		}
		if string(v) == "null" {
			return nil, fmt.Errorf("field %q is null", key)
		}
		m[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("bad JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	for _, n := range names {
		if _, ok := m[n]; !ok && !known(optional, n) {
			return nil, fmt.Errorf("field %q is missing", n)
		}
	}
	return &fields{m: m}, nil
}

func known(names []string, key string) bool {
	for _, n := range names {
		if n == key {
			return true
		}
	}
	return false
}

// fields reads typed values out of an object; the first error sticks and
// names the field.
type fields struct {
	m   map[string]json.RawMessage
	err error
}

func (f *fields) fail(name string, err error) {
	if f.err == nil {
		f.err = fmt.Errorf("field %q: %v", name, err)
	}
}

func (f *fields) str(name string) string {
	raw := f.m[name]
	var s string
	if len(raw) == 0 || raw[0] != '"' {
		f.fail(name, errors.New("want a string"))
		return ""
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		f.fail(name, err)
	}
	return s
}

func (f *fields) u64(name string) uint64 {
	raw := f.m[name]
	var v uint64
	if len(raw) == 0 || raw[0] < '0' || raw[0] > '9' {
		f.fail(name, errors.New("want a JSON number from 0 to 2^64-1"))
		return 0
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		f.fail(name, errors.New("want an integer from 0 to 2^64-1 without fraction or exponent"))
	}
	return v
}

func (f *fields) amount(name string) *big.Int {
	s := f.str(name)
	if f.err != nil {
		return nil
	}
	v, err := parseAmount(s)
	if err != nil {
		f.fail(name, err)
	}
	return v
}

func (f *fields) address(name string) cove.Address {
	s := f.str(name)
	if f.err != nil {
		return cove.Address{}
	}
	a, err := cove.ParseAddress(s)
	if err != nil {
		f.fail(name, err)
	}
	return a
}

func (f *fields) hash(name string) cove.Hash {
	s := f.str(name)
	if f.err != nil {
		return cove.Hash{}
	}
	h, err := cove.ParseHash(s)
	if err != nil {
		f.fail(name, err)
	}
	return h
}

func (f *fields) bytes(name string) Bytes {
	s := f.str(name)
	if f.err != nil {
		return nil
	}
	b, err := parseHexBytes(s)
	if err != nil {
		f.fail(name, err)
	}
	return b
}

func (f *fields) raw(name string) json.RawMessage { return f.m[name] }

// objectWriter writes a JSON object with fields in the order given.
type objectWriter struct {
	b   []byte
	err error
}

func (w *objectWriter) key(name string) {
	if len(w.b) == 0 {
		w.b = append(w.b, '{')
	} else {
		w.b = append(w.b, ',')
	}
	w.b = strconv.AppendQuote(w.b, name)
	w.b = append(w.b, ':')
}

func (w *objectWriter) str(name, v string) {
	if !utf8.ValidString(v) && w.err == nil {
		// encoding/json would replace the bad bytes, and the signature
		// would cover other text than the one sent.
		w.err = fmt.Errorf("field %q is not valid UTF-8", name)
	}
	w.key(name)
	b, _ := json.Marshal(v) // a string always marshals
	w.b = append(w.b, b...)
}

func (w *objectWriter) u64(name string, v uint64) {
	w.key(name)
	w.b = strconv.AppendUint(w.b, v, 10)
}

func (w *objectWriter) raw(name string, v []byte) {
	w.key(name)
	w.b = append(w.b, v...)
}

func (w *objectWriter) bytes() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	if len(w.b) == 0 {
		return []byte("{}"), nil
	}
	return append(w.b, '}'), nil
}

// amountJSON marshals an amount as a decimal JSON string (nil as "0").
func amountJSON(v *big.Int) []byte {
	if v == nil {
		return []byte(`"0"`)
	}
	return []byte(`"` + v.String() + `"`)
}

// strictUnmarshal decodes one JSON value into v, refusing unknown fields,
// repeated keys at any depth and data after the value.
func strictUnmarshal(b []byte, v any) error {
	if err := checkDuplicateKeys(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// checkDuplicateKeys walks a JSON value and refuses an object that repeats
// a key (encoding/json would keep the last silently).
func checkDuplicateKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	type frame struct {
		keys    map[string]bool // nil for an array
		wantKey bool
	}
	var stack []frame
	// valueDone notes that a value ended: its object wants the next key.
	valueDone := func() {
		if n := len(stack) - 1; n >= 0 && stack[n].keys != nil {
			stack[n].wantKey = true
		}
	}
	for {
		t, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if top := len(stack) - 1; top >= 0 && stack[top].wantKey {
			if t == json.Delim('}') {
				stack = stack[:top]
				valueDone()
				continue
			}
			k := t.(string) // Token returns a key here or an error
			if stack[top].keys[k] {
				return fmt.Errorf("key %s appears twice", clip(strconv.Quote(k)))
			}
			stack[top].keys[k] = true
			stack[top].wantKey = false
			continue
		}
		switch t {
		case json.Delim('{'):
			stack = append(stack, frame{keys: map[string]bool{}, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		valueDone()
	}
}
