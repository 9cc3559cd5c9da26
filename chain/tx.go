package chain

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"unicode/utf8"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/ethsig"
)

// MaxTxBytes is the largest transaction Decode accepts.
const MaxTxBytes = 1 << 20

// ErrMalformed is wrapped by every Decode error.
var ErrMalformed = errors.New("malformed transaction")

// ErrBadSignature is wrapped by Tx.Sender when no address can be
// recovered (it is ethsig.ErrBadSignature).
var ErrBadSignature = ethsig.ErrBadSignature

// Tx is a decoded transaction: a message and its signature.
type Tx struct {
	Msg Msg
	// Signature is r ‖ s ‖ v as sent (v = 0, 1, 27 or 28).
	Signature [65]byte
}

// Type returns the message type name.
func (t Tx) Type() string { return t.Msg.Type() }

// Nonce returns the message nonce.
func (t Tx) Nonce() uint64 { return planOf(t.Msg).nonceOf(t.Msg) }

// MaxFee returns the most the sender agreed to pay for t (its message's
// maxFee), or nil when it set none or its type has none (a gatekeeper
// message: its operator pays what the chain asks).
func (t Tx) MaxFee() *big.Int { return planOf(t.Msg).maxFeeOf(t.Msg) }

// Digest returns the EIP-712 digest that the sender signs on the chain
// chainID: keccak256("\x19\x01" ‖ domainSeparator(chainID) ‖ hashStruct(msg)).
func (t Tx) Digest(chainID uint64) cove.Hash { return digest(chainID, t.Msg) }

// Sender recovers the address that signed t for the chain chainID, under
// package ethsig's rule (v 27, 28, 0 or 1; low s). The error wraps
// ErrBadSignature. A signature for another chain id recovers
// another address without error: the caller learns it from the account.
func (t Tx) Sender(chainID uint64) (cove.Address, error) {
	return ethsig.Recover(t.Digest(chainID), t.Signature)
}

// Encode returns the canonical JSON of t:
// {"type":…,"message":{…},"signature":"0x…"}.
func (t Tx) Encode() ([]byte, error) {
	if t.Msg == nil {
		return nil, errors.New("encode tx: no message")
	}
	msg, err := t.Msg.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", t.Msg.Type(), err)
	}
	var w objectWriter
	w.str("type", t.Msg.Type())
	w.raw("message", msg)
	w.str("signature", "0x"+hex.EncodeToString(t.Signature[:]))
	return w.bytes()
}

// Decode parses a transaction. It is strict: valid UTF-8 JSON of at most
// MaxTxBytes, exactly the fields of the type (none unknown, missing,
// repeated or null), exact hex lengths, numbers in range. It does not check
// the signature or any rule that depends on state. Errors wrap ErrMalformed.
func Decode(b []byte) (Tx, error) {
	tx, err := decode(b)
	if err != nil {
		return Tx{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return tx, nil
}

func decode(b []byte) (Tx, error) {
	if len(b) > MaxTxBytes {
		return Tx{}, fmt.Errorf("%d bytes, the limit is %d", len(b), MaxTxBytes)
	}
	if !utf8.Valid(b) {
		return Tx{}, errors.New("not UTF-8")
	}
	f, err := object(b, "type", "message", "signature")
	if err != nil {
		return Tx{}, err
	}
	typ := f.str("type")
	sig := f.str("signature")
	if f.err != nil {
		return Tx{}, f.err
	}
	e := messages.byName[typ]
	if e == nil {
		return Tx{}, fmt.Errorf("unknown type %s (want %s)", clip(fmt.Sprintf("%q", typ)), messages.want)
	}
	msg, err := e.decode(f.raw("message"))
	if err != nil {
		return Tx{}, fmt.Errorf("%s message: %v", typ, err)
	}
	var tx Tx
	tx.Msg = msg
	if len(sig) != 2+2*65 {
		return Tx{}, fmt.Errorf("signature: want 0x followed by 130 hex digits (65 bytes r ‖ s ‖ v), got %d characters", len(sig))
	}
	s, err := parseHexBytes(sig)
	if err != nil {
		return Tx{}, fmt.Errorf("signature: %v", err)
	}
	copy(tx.Signature[:], s)
	return tx, nil
}

// SignTx builds the transaction of msg for the chain chainID: it computes
// the EIP-712 digest, has sign sign it (65 bytes r ‖ s ‖ v, as
// keys.Attestor.Sign and go-ethereum's crypto.Sign return) and encodes the
// result.
//
// Security: sign is handed a digest that commits to the chain id, the
// message type and every field, so it cannot be replayed on another chain
// or as another message.
func SignTx(chainID uint64, msg Msg, sign func(digest cove.Hash) ([65]byte, error)) ([]byte, error) {
	if msg == nil {
		return nil, errors.New("sign tx: no message")
	}
	if _, err := msg.MarshalJSON(); err != nil {
		return nil, fmt.Errorf("sign %s: %w", msg.Type(), err)
	}
	sig, err := sign(digest(chainID, msg))
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", msg.Type(), err)
	}
	return Tx{Msg: msg, Signature: sig}.Encode()
}

// TxHash returns the SHA-256 of the transaction bytes, as CometBFT names
// transactions.
func TxHash(tx []byte) cove.Hash { return cove.SHA256(tx) }

// EIP-712 encoding.

// DomainSeparator returns hashStruct(EIP712Domain{name: "Cove", version:
// "1", chainId: chainID}).
func DomainSeparator(chainID uint64) cove.Hash {
	return cove.ChainDomain(chainID)
}

func digest(chainID uint64, m Msg) cove.Hash {
	sep := DomainSeparator(chainID)
	sh := planOf(m).structHash(m)
	return cove.Keccak256([]byte("\x19\x01"), sep[:], sh[:])
}

// KnownType reports whether name is a message type of the table (the
// "type" of a transaction's JSON).
func KnownType(name string) bool { return messages.byName[name] != nil }
