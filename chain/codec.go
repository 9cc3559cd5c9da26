package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strings"

	"github.com/cove-network/cove"
)

// The codec of messages. A message's wire form is derived from its struct:
// every field, in declaration order, is one member of the EIP-712 type,
// named by the field's `eip712` tag and typed by its Go type (see
// fieldKinds), or by the tag's second part: `eip712:"agent,bytes32"`. From
// that one description come the EIP-712 type string and structHash, the
// canonical JSON, the strict decoder and, for an IdentityMsg, the
// IdentityDigest encoding. Reflection reads the struct once per type into
// a msgPlan; encoding and decoding then walk the plan's field list.
//
// A field added to a message after transactions of it were signed is
// tagged optional (`eip712:"isolation,,optional"`; a string, uint256,
// address or bytes32 of a non-gatekeeper message): it is a member of the
// type only when the message sets it (a non-empty string, a non-zero
// amount, address or bytes32). A message that leaves every optional field unset has the
// type, JSON and structHash it had before those fields existed, so old
// transactions still verify and replay; each optional field that is set
// is a member in its declared place, and the JSON must carry it set
// (never "", "0", the zero address or zero bytes32: leave it out instead).

// abiKind is the EIP-712 type of a message field.
type abiKind uint8

const (
	kindAddress abiKind = iota + 1 // address: cove.Address (a [20]byte)
	kindUint256                    // uint256: *big.Int, 0 to 2^256-1
	kindUint64                     // uint64
	kindString                     // string: UTF-8
	kindBytes                      // bytes: Bytes (a []byte)
	kindBytes32                    // bytes32: cove.Hash, cove.AgentID (a [32]byte)
)

var kindNames = map[abiKind]string{
	kindAddress: "address",
	kindUint256: "uint256",
	kindUint64:  "uint64",
	kindString:  "string",
	kindBytes:   "bytes",
	kindBytes32: "bytes32",
}

// fieldKinds infers a field's EIP-712 type from its Go type.
var fieldKinds = map[reflect.Type]abiKind{
	reflect.TypeFor[cove.Address](): kindAddress,
	reflect.TypeFor[*big.Int]():     kindUint256,
	reflect.TypeFor[uint64]():       kindUint64,
	reflect.TypeFor[string]():       kindString,
	reflect.TypeFor[Bytes]():        kindBytes,
	reflect.TypeFor[cove.Hash]():    kindBytes32,
	reflect.TypeFor[cove.AgentID](): kindBytes32,
}

// fits reports whether a Go type can hold values of kind k (for a field
// whose tag names its type).
func (k abiKind) fits(t reflect.Type) bool {
	byteArray := func(n int) bool {
		return t.Kind() == reflect.Array && t.Len() == n && t.Elem().Kind() == reflect.Uint8
	}
	switch k {
	case kindAddress:
		return byteArray(20)
	case kindUint256:
		return t == reflect.TypeFor[*big.Int]()
	case kindUint64:
		return t.Kind() == reflect.Uint64
	case kindString:
		return t.Kind() == reflect.String
	case kindBytes:
		return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8
	case kindBytes32:
		return byteArray(32)
	}
	return false
}

// Field names with a role of their own.
const (
	fieldNonce       = "nonce"       // every message's: the sender's account nonce
	fieldIdentitySig = "identitySig" // an IdentityMsg's: left out of IdentityDigest
	fieldMaxFee      = "maxFee"      // optional: the most the sender pays (Tx.MaxFee)
)

// msgField is one field of a message.
type msgField struct {
	name     string // JSON and EIP-712 member name
	kind     abiKind
	index    int  // in the struct
	optional bool // a member only when not empty (see above)
}

// msgPlan is what the codec knows of one message type.
type msgPlan struct {
	typ        reflect.Type // the struct
	name       string       // the type name, Type()
	typeString string       // EIP-712: Name(type1 name1,...)
	typeHash   cove.Hash    // keccak256(typeString)
	fields     []msgField
	names      []string // field names, in order
	nonce      int      // struct index of the nonce field
	sig        int      // struct index of the identitySig field, or -1
	maxFee     int      // struct index of the optional maxFee field, or -1
	// identity lists the fields IdentityDigest covers, for an IdentityMsg:
	// all but identitySig and nonce. Nil otherwise.
	identity []msgField
	// variants are the plans of the type with some optional fields
	// left out, indexed by a mask of the optional fields that are set
	// (bit i: the i-th optional field); nil when the type has none. The
	// full plan is variants[len-1].
	variants []*msgPlan
}

// newPlan reads the message struct t. A struct the codec cannot encode is
// a programming error, found when the package loads.
func newPlan(t reflect.Type, name string, gatekeeper bool) *msgPlan {
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("chain: message %s is a %s, not a struct", name, t.Kind()))
	}
	p := &msgPlan{typ: t, name: name, nonce: -1, sig: -1, maxFee: -1}
	seen := map[string]bool{}
	var members []string
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("eip712")
		if !sf.IsExported() {
			panic(fmt.Sprintf("chain: message %s field %s is unexported: every field of a message is signed", name, sf.Name))
		}
		if !ok {
			panic(fmt.Sprintf("chain: message %s field %s has no eip712 tag: every field of a message is signed", name, sf.Name))
		}
		fname, explicit, _ := strings.Cut(tag, ",")
		explicit, opt, _ := strings.Cut(explicit, ",")
		kind, ok := fieldKinds[sf.Type]
		if explicit != "" {
			kind = 0
			for k, n := range kindNames {
				if n == explicit && k.fits(sf.Type) {
					kind = k
				}
			}
			ok = kind != 0
		}
		if !ok || fname == "" || seen[fname] {
			panic(fmt.Sprintf("chain: message %s field %s: tag %q on a %s: want a new name and a type the codec knows", name, sf.Name, tag, sf.Type))
		}
		seen[fname] = true
		if opt != "" && (opt != "optional" || (kind != kindString && kind != kindUint256 && kind != kindAddress && kind != kindBytes32) || gatekeeper) {
			panic(fmt.Sprintf("chain: message %s field %s: tag %q: only a string, uint256, address or bytes32 field of a non-gatekeeper message may be optional", name, sf.Name, tag))
		}
		f := msgField{name: fname, kind: kind, index: i, optional: opt != ""}
		p.fields = append(p.fields, f)
		p.names = append(p.names, fname)
		members = append(members, kindNames[kind]+" "+fname)
		switch {
		case fname == fieldNonce && kind == kindUint64:
			p.nonce = i
		case fname == fieldIdentitySig && kind == kindBytes:
			p.sig = i
		case fname == fieldMaxFee && kind == kindUint256 && f.optional:
			p.maxFee = i
		case gatekeeper && kind != kindUint64 && kind != kindBytes32 && kind != kindAddress && kind != kindBytes:
			panic(fmt.Sprintf("chain: message %s field %s: IdentityDigest has no encoding of %s", name, fname, kindNames[kind]))
		default:
			p.identity = append(p.identity, f)
		}
	}
	if p.nonce < 0 {
		panic(fmt.Sprintf("chain: message %s has no uint64 field tagged %q", name, fieldNonce))
	}
	if gatekeeper && p.sig < 0 {
		panic(fmt.Sprintf("chain: gatekeeper message %s has no bytes field tagged %q", name, fieldIdentitySig))
	}
	if !gatekeeper {
		p.identity = nil
	}
	p.typeString = name + "(" + strings.Join(members, ",") + ")"
	p.typeHash = cove.Keccak256([]byte(p.typeString))
	var optional []int // indexes in p.fields
	for i, f := range p.fields {
		if f.optional {
			optional = append(optional, i)
		}
	}
	if len(optional) > 4 {
		panic(fmt.Sprintf("chain: message %s has %d optional fields, the codec plans at most 4", name, len(optional)))
	}
	if len(optional) > 0 {
		p.variants = make([]*msgPlan, 1<<len(optional))
		for mask := range p.variants {
			s := *p
			s.fields, s.names, members = nil, nil, nil
			bit := 0
			for _, f := range p.fields {
				if f.optional {
					set := mask&(1<<bit) != 0
					bit++
					if !set {
						continue
					}
				}
				s.fields = append(s.fields, f)
				s.names = append(s.names, f.name)
				members = append(members, kindNames[f.kind]+" "+f.name)
			}
			s.typeString = name + "(" + strings.Join(members, ",") + ")"
			s.typeHash = cove.Keccak256([]byte(s.typeString))
			s.variants = nil
			p.variants[mask] = &s
		}
	}
	return p
}

// isSet reports whether an optional field's value is set: a non-empty
// string, a non-zero amount, address or bytes32.
func isSet(f msgField, fv reflect.Value) bool {
	switch f.kind {
	case kindString:
		return fv.String() != ""
	case kindUint256:
		a := fv.Interface().(*big.Int)
		return a != nil && a.Sign() != 0
	case kindAddress:
		return !address(fv).IsZero()
	case kindBytes32:
		return !hash(fv).IsZero()
	}
	panic("chain: field " + f.name + " cannot be optional")
}

// of returns the plan that encodes v: the variant with exactly the
// optional fields v sets.
func (p *msgPlan) of(v reflect.Value) *msgPlan {
	if p.variants == nil {
		return p
	}
	mask, bit := 0, 0
	for _, f := range p.fields {
		if f.optional {
			if isSet(f, v.Field(f.index)) {
				mask |= 1 << bit
			}
			bit++
		}
	}
	return p.variants[mask]
}

// value returns the struct inside m (a message or a pointer to one).
func value(m Msg) reflect.Value {
	v := reflect.ValueOf(m)
	if v.Kind() == reflect.Pointer {
		return v.Elem()
	}
	return v
}

var (
	addressType = reflect.TypeFor[cove.Address]()
	hashType    = reflect.TypeFor[cove.Hash]()
)

// address and hash read an address or bytes32 field. From a message held
// in an interface (not addressable) they convert the field in place,
// which copies nothing to the heap; from an addressable one (a pointer's)
// they copy its bytes.
func address(fv reflect.Value) (a cove.Address) {
	if fv.CanAddr() {
		copy(a[:], fv.Bytes())
		return a
	}
	return fv.Convert(addressType).Interface().(cove.Address)
}

func hash(fv reflect.Value) (h cove.Hash) {
	if fv.CanAddr() {
		copy(h[:], fv.Bytes())
		return h
	}
	return fv.Convert(hashType).Interface().(cove.Hash)
}

// maxFeeOf returns m's maxFee, nil if unset or if the type has none.
func (p *msgPlan) maxFeeOf(m Msg) *big.Int {
	if p.maxFee < 0 {
		return nil
	}
	a := value(m).Field(p.maxFee).Interface().(*big.Int)
	if a == nil || a.Sign() == 0 {
		return nil
	}
	return a
}

// nonceOf returns m's nonce.
func (p *msgPlan) nonceOf(m Msg) uint64 {
	return value(m).Field(p.nonce).Uint()
}

// marshal returns the canonical JSON of m: the fields in type order, no
// white space; uint64 as a JSON number, uint256 as a decimal string, bytes
// and bytes32 as 0x-hex, an address EIP-55.
func (p *msgPlan) marshal(m Msg) ([]byte, error) {
	v := value(m)
	p = p.of(v)
	var w objectWriter
	for _, f := range p.fields {
		fv := v.Field(f.index)
		switch f.kind {
		case kindAddress:
			w.str(f.name, address(fv).String())
		case kindUint256:
			a := fv.Interface().(*big.Int)
			if err := checkAmount(a); err != nil {
				return nil, err
			}
			w.raw(f.name, amountJSON(a))
		case kindUint64:
			w.u64(f.name, fv.Uint())
		case kindString:
			w.str(f.name, fv.String())
		case kindBytes:
			w.str(f.name, Bytes(fv.Bytes()).String())
		case kindBytes32:
			w.str(f.name, hash(fv).String())
		}
	}
	return w.bytes()
}

// unmarshal reads the message object b strictly (see Decode) into v, an
// addressable value of the plan's struct.
func (p *msgPlan) unmarshal(b []byte, v reflect.Value) error {
	var optional []string
	for _, fd := range p.fields {
		if fd.optional {
			optional = append(optional, fd.name)
		}
	}
	f, err := objectOptional(b, optional, p.names...)
	if err != nil {
		return err
	}
	for _, fd := range p.fields {
		if fd.optional {
			if _, ok := f.m[fd.name]; !ok {
				continue
			}
		}
		fv := v.Field(fd.index)
		switch fd.kind {
		case kindAddress:
			a := f.address(fd.name)
			copy(fv.Bytes(), a[:])
		case kindUint256:
			if a := f.amount(fd.name); a != nil {
				fv.Set(reflect.ValueOf(a))
			}
		case kindUint64:
			fv.SetUint(f.u64(fd.name))
		case kindString:
			fv.SetString(f.str(fd.name))
		case kindBytes:
			if b := f.bytes(fd.name); b != nil {
				fv.SetBytes(b)
			}
		case kindBytes32:
			h := f.hash(fd.name)
			copy(fv.Bytes(), h[:])
		}
		if fd.optional && f.err == nil && !isSet(fd, fv) {
			f.fail(fd.name, errors.New("not set: leave the field out instead"))
		}
	}
	return f.err
}

var zeroWord [32]byte

// structHash returns the EIP-712 hashStruct of m: keccak256(typeHash ‖
// each field as a 32-byte word), where an address is left-padded, uint256
// and uint64 are big-endian, bytes32 is itself and string and bytes are
// their keccak256.
func (p *msgPlan) structHash(m Msg) cove.Hash {
	v := value(m)
	p = p.of(v)
	var buf [32 * 8]byte // room for the words of every message so far, on the stack
	enc := append(buf[:0], p.typeHash[:]...)
	for _, f := range p.fields {
		fv := v.Field(f.index)
		switch f.kind {
		case kindAddress:
			a := address(fv)
			enc = append(enc, zeroWord[:12]...)
			enc = append(enc, a[:]...)
		case kindUint256:
			n := len(enc)
			enc = append(enc, zeroWord[:]...)
			if a := fv.Interface().(*big.Int); a != nil && a.Sign() >= 0 && a.BitLen() <= 256 {
				a.FillBytes(enc[n:]) // out of range: zero, as bigWord
			}
		case kindUint64:
			enc = append(enc, zeroWord[:24]...)
			enc = binary.BigEndian.AppendUint64(enc, fv.Uint())
		case kindString:
			h := cove.Keccak256([]byte(fv.String()))
			enc = append(enc, h[:]...)
		case kindBytes:
			h := cove.Keccak256(fv.Bytes())
			enc = append(enc, h[:]...)
		case kindBytes32:
			h := hash(fv)
			enc = append(enc, h[:]...)
		}
	}
	return cove.Keccak256(enc)
}

// identityDigest returns the digest a gatekeeper's identity key signs for
// m (see GatekeeperMsg.IdentityDigest): SHA-256 of the domain, the type
// name and the chain id, then every field but identitySig and nonce in
// schema order, a uint64 as 8 bytes big-endian, a bytes32 as its 32 bytes,
// an address as its 20 bytes and bytes as a 4-byte big-endian length and
// the bytes.
func (p *msgPlan) identityDigest(m Msg, chainID uint64) [32]byte {
	if p.identity == nil {
		panic("chain: " + p.name + " is not a gatekeeper message")
	}
	v := value(m)
	h := sha256.New()
	h.Write([]byte(GatekeeperSigDomain))
	h.Write([]byte{0})
	h.Write([]byte(p.name))
	h.Write([]byte{0})
	h.Write(binary.BigEndian.AppendUint64(nil, chainID))
	for _, f := range p.identity {
		fv := v.Field(f.index)
		switch f.kind {
		case kindUint64:
			h.Write(binary.BigEndian.AppendUint64(nil, fv.Uint()))
		case kindBytes32:
			b := hash(fv)
			h.Write(b[:])
		case kindAddress:
			a := address(fv)
			h.Write(a[:])
		case kindBytes:
			b := fv.Bytes()
			h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b))))
			h.Write(b)
		}
	}
	var d [32]byte
	h.Sum(d[:0])
	return d
}

// planOf returns the plan of m's type; m is one of the table's messages or
// a pointer to one.
func planOf(m Msg) *msgPlan {
	e := messages.entry(m)
	if e == nil {
		panic(fmt.Sprintf("chain: %T is not in the message table", m))
	}
	return e.plan
}

// marshalMsg is MarshalJSON of every message.
func marshalMsg(m Msg) ([]byte, error) { return planOf(m).marshal(m) }

// unmarshalMsg is UnmarshalJSON of every message: m is a pointer to one.
// On error *m is unchanged.
func unmarshalMsg(b []byte, m Msg) error {
	p := planOf(m)
	v := reflect.New(p.typ).Elem()
	if err := p.unmarshal(b, v); err != nil {
		return err
	}
	reflect.ValueOf(m).Elem().Set(v)
	return nil
}

// identityDigest is IdentityDigest of every gatekeeper message.
func identityDigest(m IdentityMsg, chainID uint64) [32]byte {
	return planOf(m).identityDigest(m, chainID)
}
