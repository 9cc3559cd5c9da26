package workerlink

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/receipt"
)

// Remote is one worker reached over the link.
type Remote struct {
	endpoint string
	client   *http.Client
	maxResp  int64
}

// NewRemote returns a link to the worker at endpoint (https://HOST:PORT,
// as registered on chain) whose registered identity public key is
// identityKey. maxResponseBytes bounds a buffered response it reads.
func NewRemote(endpoint string, identityKey []byte, maxResponseBytes int64) (*Remote, error) {
	if err := CheckEndpoint(endpoint); err != nil {
		return nil, err
	}
	cfg, err := ClientTLS(identityKey)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		TLSClientConfig:     cfg,
		ForceAttemptHTTP2:   true,
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 15 * time.Second}).DialContext,
		TLSHandshakeTimeout: 2 * time.Second,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		// A worker whose machine vanished without resetting the
		// connection: a connection silent for 2 s is pinged, and closed
		// (its calls failing as worker_failed) if the ping is not
		// answered within 2 s more, so no call waits forever on it.
		HTTP2: &http.HTTP2Config{SendPingTimeout: 2 * time.Second, PingTimeout: 2 * time.Second},
	}
	hc := &http.Client{Transport: tr,
		// A worker answers; it never sends the call elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Remote{endpoint: endpoint, client: hc, maxResp: maxResponseBytes}, nil
}

// CheckEndpoint accepts a link endpoint a gateway can dial: https://, then
// HOST:PORT (a name or an address, IPv6 in brackets; a numeric port), and
// nothing else: no user, path, query or fragment.
func CheckEndpoint(e string) error {
	hp, ok := strings.CutPrefix(e, "https://")
	if !ok {
		return fmt.Errorf("workerlink: endpoint %q: want https://HOST:PORT", clip(e))
	}
	host, port, err := net.SplitHostPort(hp)
	if err != nil || host == "" || port == "" {
		return fmt.Errorf("workerlink: endpoint %q: want https://HOST:PORT", clip(e))
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return fmt.Errorf("workerlink: endpoint %q: %s is not an address a gateway can dial", clip(e), host)
	}
	if err := checkHost(hp); err != nil {
		return fmt.Errorf("workerlink: endpoint %q: %w", clip(e), err)
	}
	return nil
}

// Endpoint returns the worker's URL.
func (r *Remote) Endpoint() string { return r.endpoint }

// Close drops the link's idle connections.
func (r *Remote) Close() { r.client.CloseIdleConnections() }

// Expect is what a response must be signed as: by the agent's attestor,
// for the agent.
type Expect struct {
	Agent    cove.AgentID
	Attestor cove.Address
}

// NotSentError is a call that never reached the worker (a refused
// connection, a failed handshake, a pinned key that did not match): it is
// safe to send to another worker.
type NotSentError struct{ Err error }

func (e *NotSentError) Error() string { return "the call did not reach the worker: " + e.Err.Error() }
func (e *NotSentError) Unwrap() error { return e.Err }

// FailedError is a call the worker took and then failed to answer over the
// link (it died, the connection broke, it answered something that is not
// the link's).
type FailedError struct{ Err error }

func (e *FailedError) Error() string { return "the worker failed during the call: " + e.Err.Error() }
func (e *FailedError) Unwrap() error { return e.Err }

// ErrBadReceipt is a response whose receipt is not the agent's attestor's
// signature over this exchange.
var ErrBadReceipt = errors.New("the worker's receipt does not check")

// Invoke sends one call of agent id to the worker and returns its signed
// response, checked: the receipt's signature recovers to want.Attestor, it
// is for want.Agent, and it covers this request and the response as
// received (for a stream: checked when it ends; a stream that fails the
// check is cut). Errors: a *cove.Error the worker answered; a
// *NotSentError; a *FailedError; ErrBadReceipt.
func (r *Remote) Invoke(ctx context.Context, id cove.AgentID, c cove.Call, want Expect) (*cove.Response, error) {
	meta, err := appendFrame(nil, callMeta{Method: c.Method, Path: c.Path, URL: c.URL, Host: c.Host, Header: c.Header, Payment: c.Payment})
	if err != nil {
		return nil, fmt.Errorf("workerlink: encode call: %w", err)
	}
	body := append(meta, c.Body...)
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: func() { wrote.Store(true) }})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.endpoint+pathCall+id.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("workerlink: %w", err)
	}
	req.Header.Set("Content-Type", contentCall)
	resp, err := r.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !wrote.Load() {
			return nil, &NotSentError{Err: err}
		}
		return nil, &FailedError{Err: err}
	}
	if resp.Header.Get(HeaderError) != "" && resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, readError(resp)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != contentResponse {
		resp.Body.Close()
		return nil, &FailedError{Err: fmt.Errorf("answered %s, %q, not a link response", resp.Status, resp.Header.Get("Content-Type"))}
	}
	br := bufio.NewReader(resp.Body)
	var m responseMeta
	if err := readFrame(br, &m); err != nil {
		resp.Body.Close()
		return nil, &FailedError{Err: fmt.Errorf("response: %w", err)}
	}
	out := &cove.Response{Status: m.Status, Header: m.Header, RequestID: m.RequestID}
	if out.Header == nil {
		out.Header = cove.Header{}
	}
	if m.Stream {
		out.Stream = &stream{body: resp.Body, r: br, sum: sha256.New(), resp: resp, call: c, meta: m, want: want}
		return out, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(br, r.maxResp+1))
	if err != nil {
		return nil, &FailedError{Err: fmt.Errorf("read the response body: %w", err)}
	}
	if int64(len(b)) > r.maxResp {
		return nil, &FailedError{Err: fmt.Errorf("a response body over %d bytes", r.maxResp)}
	}
	out.Body = b
	signed, err := receipt.FromHeaders(resp.Header)
	if err == nil {
		err = checkSigned(signed, want, c, m)
		if err == nil {
			err = receipt.CheckResponse(signed.Receipt, m.Status, b)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadReceipt, err)
	}
	out.Receipt = &signed
	return out, nil
}

// checkSigned checks a receipt's signer, agent, signature, request and
// headers (the body is the caller's to check).
func checkSigned(s receipt.Signed, want Expect, c cove.Call, m responseMeta) error {
	if s.Receipt.Agent != want.Agent {
		return fmt.Errorf("the receipt is for agent %s, not %s", s.Receipt.Agent, want.Agent)
	}
	if want.Attestor.IsZero() || s.Signer != want.Attestor {
		return fmt.Errorf("the receipt is signed by %s, not by the agent's attestor %s", s.Signer, want.Attestor)
	}
	if err := receipt.Verify(s); err != nil {
		return err
	}
	if err := receipt.CheckRequest(s.Receipt, c.Method, c.Path, c.Body); err != nil {
		return err
	}
	if err := receipt.CheckHeaders(s.Receipt, c.Host, http.Header(m.Header)); err != nil {
		return err
	}
	return nil
}

// readError decodes a *cove.Error the worker answered.
func readError(resp *http.Response) error {
	var e errorBody
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&e); err != nil || e.Code == "" {
		return &FailedError{Err: fmt.Errorf("answered %s with an unreadable error", resp.Status)}
	}
	if len(e.Accepted) > maxAcceptedBytes {
		e.Accepted = "" // not a voucher
	}
	return &cove.Error{Status: resp.StatusCode, Code: e.Code, Message: e.Message, RetryAfter: time.Duration(e.RetryAfterMS) * time.Millisecond, Accepted: e.Accepted}
}

// maxVouchersBytes bounds a worker's answer of vouchers.
const maxVouchersBytes = 16 << 20

// Vouchers asks the worker for the vouchers of agent id's channels it
// accepted, with the owner's Cove-Auth auth (VoucherSource).
func (r *Remote) Vouchers(ctx context.Context, id cove.AgentID, auth string) ([]api.Redeemable, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.endpoint+pathVouchers+id.String(), nil)
	if err != nil {
		return nil, err
	}
	if auth != "" {
		req.Header.Set(api.HeaderAuth, auth)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, readError(resp)
	}
	var out []api.Redeemable
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxVouchersBytes)).Decode(&out); err != nil {
		return nil, fmt.Errorf("vouchers: %w", err)
	}
	return out, nil
}

// Health asks the worker how it is.
func (r *Remote) Health(ctx context.Context) (Health, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.endpoint+pathHealth, nil)
	if err != nil {
		return Health{}, err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return Health{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Health{}, fmt.Errorf("health: %s", resp.Status)
	}
	var h Health
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&h); err != nil {
		return Health{}, fmt.Errorf("health: %w", err)
	}
	return h, nil
}

// stream is a streamed response read over the link; its receipt comes in
// the trailers and is checked when the body ends.
type stream struct {
	body   io.ReadCloser
	r      *bufio.Reader
	sum    hash.Hash
	resp   *http.Response
	call   cove.Call
	meta   responseMeta
	want   Expect
	done   bool
	err    error
	signed receipt.Signed
}

func (s *stream) Read(p []byte) (int, error) {
	if s.done {
		return 0, s.errOrEOF()
	}
	n, err := s.r.Read(p)
	s.sum.Write(p[:n])
	if err == io.EOF {
		s.done = true
		s.err = s.check()
		return n, s.errOrEOF()
	}
	if err != nil {
		s.done = true
		s.err = &FailedError{Err: fmt.Errorf("the stream was cut: %w", err)}
		return n, s.err
	}
	return n, nil
}

func (s *stream) errOrEOF() error {
	if s.err != nil {
		return s.err
	}
	return io.EOF
}

// check checks the trailers' receipt against the body read.
func (s *stream) check() error {
	if e := s.resp.Trailer.Get(HeaderError); e != "" {
		return &FailedError{Err: errors.New(e)}
	}
	signed, err := receipt.FromHeaders(s.resp.Trailer)
	if err == nil {
		err = checkSigned(signed, s.want, s.call, s.meta)
	}
	if err == nil {
		if got := cove.Hash(s.sum.Sum(nil)); got != signed.Receipt.ResponseHash || int(signed.Receipt.Status) != s.meta.Status {
			err = fmt.Errorf("%w: the receipt does not cover the status and body received", receipt.ErrMismatch)
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadReceipt, err)
	}
	s.signed = signed
	return nil
}

func (s *stream) Receipt() (cove.SignedReceipt, error) {
	if !s.done {
		return cove.SignedReceipt{}, cove.ErrStreamOpen
	}
	if s.err != nil {
		return cove.SignedReceipt{}, s.err
	}
	return s.signed, nil
}

func (s *stream) Close() error { return s.body.Close() }
