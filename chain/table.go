package chain

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/cove-network/cove"
)

// msgSpec is an entry of the message table (messages, in msg.go): what
// the chain does with messages of type M.
type msgSpec[M Msg] struct {
	// doc says in one line what the message does; it is the message's
	// line in the documented type list (doc.go).
	doc string
	// check applies the message's rules that need no state; nil if none.
	// It runs after the nonce check, as the first step of execution, so a
	// message it refuses uses its nonce like any failed transaction.
	check func(m M) *failure
	// gatekeeper is, for a GatekeeperMsg, what the message does in the
	// words of a refusal ("publish a key epoch"): execution first checks
	// that the sender operates a registered gatekeeper whose identity key
	// signed the message (gatekeeperAuthorized). It must be empty for
	// other messages and set for a GatekeeperMsg.
	gatekeeper string
	// exec applies the message to o, which the caller discards on failure.
	exec func(o *overlay, sender cove.Address, m M, ctx execContext) ([]Event, *failure)
}

// msgEntry is a table entry with its type's codec plan, as the
// transaction path uses it.
type msgEntry struct {
	name   string
	doc    string
	plan   *msgPlan
	decode func(raw []byte) (Msg, error)
	run    func(o *overlay, sender cove.Address, m Msg, ctx execContext) ([]Event, *failure)
}

// tableEntry is implemented by every msgSpec.
type tableEntry interface{ entry() *msgEntry }

func (s msgSpec[M]) entry() *msgEntry {
	var zero M
	_, isGatekeeper := any(zero).(GatekeeperMsg)
	_, isIdentity := any(zero).(IdentityMsg)
	name := zero.Type()
	if s.exec == nil || s.doc == "" || isGatekeeper != (s.gatekeeper != "") {
		panic(fmt.Sprintf("chain: message table entry %s: want exec, doc, and a gatekeeper phrase exactly for a GatekeeperMsg", name))
	}
	plan := newPlan(reflect.TypeFor[M](), name, isIdentity)
	return &msgEntry{
		name: name,
		doc:  s.doc,
		plan: plan,
		decode: func(raw []byte) (Msg, error) {
			var m M
			if err := plan.unmarshal(raw, reflect.ValueOf(&m).Elem()); err != nil {
				return nil, err
			}
			return m, nil
		},
		run: func(o *overlay, sender cove.Address, msg Msg, ctx execContext) ([]Event, *failure) {
			m, ok := msg.(M)
			if !ok {
				m = *any(msg).(*M) // a pointer to an M: the entry lookup found M
			}
			if s.check != nil {
				if f := s.check(m); f != nil {
					return nil, f
				}
			}
			if s.gatekeeper != "" {
				if f := gatekeeperAuthorized(o, sender, any(m).(GatekeeperMsg), ctx.chainID, s.gatekeeper); f != nil {
					return nil, f
				}
			}
			return s.exec(o, sender, m, ctx)
		},
	}
}

// msgTable is the message table with its indexes.
type msgTable struct {
	list   []*msgEntry // in table order
	byName map[string]*msgEntry
	byType map[reflect.Type]*msgEntry
	// want lists the type names for Decode's refusal of an unknown type.
	want string
}

func newMsgTable(specs ...tableEntry) *msgTable {
	t := &msgTable{byName: map[string]*msgEntry{}, byType: map[reflect.Type]*msgEntry{}}
	var names []string
	for _, s := range specs {
		e := s.entry()
		if t.byName[e.name] != nil || t.byType[e.plan.typ] != nil {
			panic("chain: message " + e.name + " is in the table twice")
		}
		t.list = append(t.list, e)
		t.byName[e.name] = e
		t.byType[e.plan.typ] = e
		names = append(names, e.name)
	}
	t.want = strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	return t
}

// entry returns the entry of m's type (m a message or a pointer to one),
// or nil.
func (t *msgTable) entry(m Msg) *msgEntry {
	typ := reflect.TypeOf(m)
	if typ != nil && typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	return t.byType[typ]
}

// MsgType describes one transaction type, as the message table lists it.
type MsgType struct {
	// Name is the type's name: the transaction's "type" and the EIP-712
	// primary type ("Transfer").
	Name string
	// Schema is the EIP-712 type string
	// ("Transfer(address to,uint256 amount,uint64 nonce)").
	Schema string
	// Doc says in one line what the message does.
	Doc string
}

// MsgTypes returns every transaction type, in the order of the message
// table.
func MsgTypes() []MsgType {
	out := make([]MsgType, len(messages.list))
	for i, e := range messages.list {
		out[i] = MsgType{Name: e.name, Schema: e.plan.typeString, Doc: e.doc}
	}
	return out
}

// IsMsgType reports whether name is a transaction type of the table.
func IsMsgType(name string) bool { return messages.byName[name] != nil }
