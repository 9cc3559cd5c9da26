package cove

import (
	"errors"
	"io"
	"strings"
	"time"
)

// Header is a set of HTTP header fields with canonical keys, as net/http's
// Header (convert with http.Header(h)): the root package stays free of
// net/http.
type Header map[string][]string

// Call is one request to an agent, as the worker's Invoke takes it: plain
// data, so a gateway, the EVM bridge or a test can make one and a call can
// travel to a worker on another machine.
type Call struct {
	Method string
	// Path is the request target exactly as the caller sent it to the
	// gateway, path and raw query ("/agents/0x…/hello?name=Ada"). The
	// receipt's requestHash covers it with Method and Body.
	Path string
	// URL is the absolute URL the agent sees: the gateway's origin, then
	// the part of Path after /agents/{id}, byte for byte (escaped path and
	// raw query, never decoded: "/admin%3Fx" stays a path), so the agent
	// sees exactly the target the receipt covers
	// ("http://127.0.0.1:8700/hello?name=Ada").
	URL string
	// Host is the Host the caller named (its Host header, or the authority
	// of its request target) as the gateway received it; version-2
	// receipts cover it. Empty when the call did not come over HTTP.
	Host   string
	Header Header
	Body   []byte
	// Payment is the voucher that pays a priced agent's call (the
	// caller's Cove-Payment header value; empty for none): the gateway
	// checks it, and a worker's link checks it again. The agent never
	// sees it.
	Payment string
	// Worker, when not zero, is the one worker that may run the call:
	// the verifier of the payment channel its voucher is of (ADR 25). A
	// routing pool sends it there or nowhere; another worker refuses it.
	// It does not travel over a worker link (the link checks the voucher
	// against its own worker).
	Worker Hash
}

// Response is an agent's answer to a Call, signed. Exactly one of Body and
// Stream holds the body.
type Response struct {
	Status int
	Header Header
	// Body is the whole body of a buffered response, with Receipt over it.
	Body []byte
	// Stream, when not nil, delivers the body as it is made; its receipt
	// exists only once the body has ended (Stream.Receipt), and Receipt is
	// nil.
	Stream Stream
	// Receipt is the signed receipt of a buffered response.
	Receipt *SignedReceipt
	// RequestID names the invocation in the agent's logs.
	RequestID string
	// Worker is the worker that ran the call, when a gateway routed it
	// to one of the network's workers (zero otherwise); gateways name it
	// in the Cove-Worker header. Receipts do not cover it.
	Worker Hash
}

// Stream is a response body delivered as it is made (server-sent events,
// a long generation). The worker hashes the bytes as they pass and signs the
// receipt when the body ends, so the receipt covers exactly the bytes read.
type Stream interface {
	// Read reads the body; io.EOF means it ended completely. Any other
	// error means it was cut short: no receipt is made then.
	io.Reader
	// Receipt returns the receipt over the whole body. It is valid only
	// after Read returned io.EOF; before, or after a cut, it returns an
	// error wrapping ErrStreamOpen or the cause of the cut.
	Receipt() (SignedReceipt, error)
	// Close ends the stream early (the caller went away) and releases it.
	Close() error
}

// ErrStreamOpen is what Stream.Receipt returns before the body has ended.
var ErrStreamOpen = errors.New("the response body has not ended: no receipt yet")

// Error is a refusal that Cove makes itself rather than the agent (an
// unknown agent, a worker without keys, a request too large), with a
// stable code and a message for people. It is not signed: no agent ran.
// Gateways answer it as the JSON error envelope with Status.
type Error struct {
	Status  int    // the HTTP status
	Code    string // stable, for programs: "agent_not_found", ...
	Message string // for people: what went wrong and what to do
	// RetryAfter, when positive, says when trying again may succeed.
	RetryAfter time.Duration
	// Accepted, on a payment_required refusal of a voucher that was a
	// replay or too low, is the highest voucher of the channel its
	// verifier (the worker it is bound to) accepted: a Cove-Payment value
	// the payer signed, so that a gateway whose own view is behind checks
	// it and tells the payer what the next voucher must carry.
	Accepted string
	// Err is the cause, for errors.Is; it is not shown to clients.
	Err error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// AgentTarget returns the part of a call's request target (Call.Path, path
// and raw query as the gateway received them, "/agents/{id}/rest?q") that
// the agent sees: what follows the /agents/{id} segment, byte for byte, "/"
// when nothing does and "/?q" for "/agents/{id}?q". ok is false for a target
// not under /agents/. Call.URL is the gateway's origin followed by it.
//
// Security: the receipt covers Path; the agent must see exactly this part
// of it, or the receipt covers a request the agent never saw.
func AgentTarget(target string) (agentTarget string, ok bool) {
	rest, ok := strings.CutPrefix(target, "/agents/")
	if !ok {
		return "", false
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		return "/", true
	}
	if rest[end] == '/' {
		return rest[end:], true
	}
	return "/" + rest[end:], true
}
