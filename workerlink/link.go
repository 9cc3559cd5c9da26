// Package workerlink is the link between gateways and remote workers: a
// worker serves its Invoke over HTTPS (HTTP/2) with a certificate of its
// attested identity key, and a gateway's Pool routes each call to one of
// the chain's active workers over a TLS connection pinned to the key that
// worker registered on chain, checking every receipt against the agent's
// attestor before it passes a response on (ADR 20).
//
// The wire format (docs/PROTOCOL.md, "Worker link"):
//
//	POST /v1/link/agents/{id}          a call; body: frame(call meta) ‖ call body
//	  200: frame(response meta) ‖ response body; the receipt in the
//	       Cove-Receipt, Cove-Signature and Cove-Signer headers, or, for a
//	       stream, in trailers (Cove-Link-Error instead when it was cut)
//	  other: a *cove.Error as JSON {"code","message","retryAfterMs","accepted"}, marked
//	       by the header Cove-Link-Error
//	GET  /v1/link/health                the worker's Health as JSON
//
// frame(x) is the uvarint length of x followed by x, JSON. The agent's
// response headers travel in the response meta, never as the link's own
// headers, so no header an agent sets can read as the link's.
//
// Security: the TLS certificate's key is the worker's Ed25519 identity key,
// made and sealed in its TEE; a gateway accepts a connection only when the
// key it proves is the one registered on chain for the worker it chose, so
// calls and their secrets-bearing headers are readable only there. The
// link serves anyone who reaches it (as a gateway does): the worker checks
// each call as it would a gateway's (its URL is its Host and the target
// the receipt covers; reserved headers are dropped).
package workerlink

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
)

// Paths and headers of the link.
const (
	pathCall   = "/v1/link/agents/"
	pathHealth = "/v1/link/health"
	// pathVouchers + an agent id: the vouchers of the agent's channels
	// the worker accepted at its link (VoucherSource).
	pathVouchers = "/v1/link/vouchers/"
	// HeaderError marks a link answer that is a *cove.Error (a header) or a
	// stream the worker cut (a trailer).
	HeaderError = "Cove-Link-Error"
	// contentType names the framed bodies.
	contentCall     = "application/vnd.cove.link.call"
	contentResponse = "application/vnd.cove.link.response"
)

// maxMeta bounds a frame's JSON (the call's or the response's headers).
const maxMeta = 1 << 20

// callMeta is the call's fields but its body.
type callMeta struct {
	Method string      `json:"method"`
	Path   string      `json:"path"`
	URL    string      `json:"url"`
	Host   string      `json:"host"`
	Header cove.Header `json:"header"`
	// Payment is cove.Call.Payment.
	Payment string `json:"payment,omitempty"`
}

// responseMeta is the response's fields but its body and receipt.
type responseMeta struct {
	Status    int         `json:"status"`
	Header    cove.Header `json:"header"`
	RequestID string      `json:"requestId"`
	Stream    bool        `json:"stream,omitempty"`
}

// errorBody is a *cove.Error on the link.
type errorBody struct {
	Code         string `json:"code"`
	Message      string `json:"message"`
	RetryAfterMS int64  `json:"retryAfterMs,omitempty"`
	// Accepted is cove.Error.Accepted: the highest voucher of the call's
	// channel this worker accepted, signed by the payer.
	Accepted string `json:"accepted,omitempty"`
}

// maxAcceptedBytes bounds an error's voucher, a Cove-Payment value.
const maxAcceptedBytes = api.MaxPaymentHeaderBytes

// Health is what a worker says of itself at GET /v1/link/health.
type Health struct {
	// Worker is the worker's id on chain.
	Worker cove.Hash `json:"worker"`
	// Ready is true once the worker holds a cluster key.
	Ready bool `json:"ready"`
	// Epochs are the key epochs whose cluster keys it holds: it can sign
	// for agents of these epochs only.
	Epochs []uint64 `json:"epochs"`
	// Running and Waiting count its invocations.
	Running int `json:"running"`
	Waiting int `json:"waiting"`
}

// appendFrame appends frame(v) to b.
func appendFrame(b []byte, v any) ([]byte, error) {
	js, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	b = binary.AppendUvarint(b, uint64(len(js)))
	return append(b, js...), nil
}

// readFrame reads one frame from r into v, strictly: at most maxMeta
// bytes, known fields only, nothing after the JSON value.
func readFrame(r *bufio.Reader, v any) error {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return fmt.Errorf("frame length: %w", noEOF(err))
	}
	if n > maxMeta {
		return fmt.Errorf("frame of %d bytes, more than %d", n, maxMeta)
	}
	// Read, not allocated up front: memory grows with the bytes that
	// arrive, not with the length a sender claims.
	js, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return fmt.Errorf("frame: %w", err)
	}
	if uint64(len(js)) != n {
		return fmt.Errorf("frame: %w", io.ErrUnexpectedEOF)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("frame: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("frame: data after the JSON value")
	}
	return nil
}

// noEOF turns a clean end where data was due into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
