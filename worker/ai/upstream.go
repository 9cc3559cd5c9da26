package ai

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cove-network/cove"
)

// complete forwards a completion or embedding request to its model's
// provider and signs the answer: buffered, or as a stream whose receipt
// is made when it ends.
func (s *Service) complete(ctx context.Context, c cove.Call, path string, agent *agentCaller) (*cove.Response, error) {
	w, refused := s.authorize(c, agent)
	if refused != nil {
		return refused, nil
	}
	var req struct {
		Model  string `json:"model"`
		Stream bool   `json:"stream"`
	}
	if err := json.Unmarshal(c.Body, &req); err != nil {
		return s.refuse(c, http.StatusBadRequest, "invalid_request_error", "invalid_json", "the request body is not the JSON object the OpenAI API takes: "+err.Error()), nil
	}
	if req.Model == "" {
		return s.refuse(c, http.StatusBadRequest, "invalid_request_error", "model_required", "the request names no model; GET /v1/models lists them"), nil
	}
	p, ok := s.providerFor(req.Model)
	if !ok {
		return s.refuse(c, http.StatusNotFound, "invalid_request_error", "model_not_found",
			fmt.Sprintf("no provider serves model %q; GET /v1/models lists them", truncate(req.Model, 100))), nil
	}
	if refused := s.withinQuota(c, w); refused != nil {
		return refused, nil
	}
	a := &answer{id: newReceiptID(), provider: p.Name, model: req.Model, complete: true}

	// The upstream request lives as long as the caller's (a stream past
	// Serve's return), and is cut when a piece takes longer than the
	// timeout.
	uctx, cancel := context.WithCancel(ctx)
	hreq, err := http.NewRequestWithContext(uctx, http.MethodPost, p.URL+strings.TrimPrefix(path, "/v1"), bytes.NewReader(c.Body))
	if err != nil {
		cancel()
		return s.refuseAs(c, p.Name, http.StatusBadGateway, "api_error", "upstream_unavailable", fmt.Sprintf("provider %s: %v", p.Name, err)), nil
	}
	hreq.Header.Set("Content-Type", "application/json")
	if req.Stream {
		hreq.Header.Set("Accept", "text/event-stream")
	}
	key, err := s.apiKey(p)
	if err != nil {
		cancel()
		if errors.Is(err, ErrKeyUnavailable) {
			return s.refuseAs(c, p.Name, http.StatusServiceUnavailable, "api_error", "provider_key_unavailable",
				fmt.Sprintf("provider %s's sealed API key cannot be opened yet (%v); retry shortly", p.Name, err)), nil
		}
		s.log.Error("ai: open a provider's sealed API key", "provider", p.Name, "err", err)
		return s.refuseAs(c, p.Name, http.StatusBadGateway, "api_error", "provider_key_unavailable",
			fmt.Sprintf("provider %s's sealed API key does not open on this worker; its operator must seal it again (cove ai seal-key)", p.Name)), nil
	}
	if key != "" {
		hreq.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := s.client.Do(hreq)
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			return nil, errGone
		}
		return s.upstreamFailed(c, p, err), nil
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		resp.Body.Close()
		cancel()
		s.log.Error("ai: the provider refused the operator's API key", "provider", p.Name, "status", resp.StatusCode)
		return s.refuseAs(c, p.Name, http.StatusBadGateway, "api_error", "upstream_auth",
			fmt.Sprintf("provider %s refused this network's API key for it (%d); its operator must fix the key", p.Name, resp.StatusCode)), nil
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, _ := mime.ParseMediaType(ct); mt == "text/event-stream" && resp.StatusCode == http.StatusOK {
		st := &stream{s: s, p: p, ctx: ctx, call: c, a: a, who: w, body: resp.Body, cancel: cancel, sum: sha256.New(),
			header: cove.Header{"Content-Type": {ct}, "Cache-Control": {"no-cache"}, HeaderReceiptID: {a.id}}}
		if p.Attestation != AttestationOff {
			st.usum = sha256.New()
		}
		st.idle = time.AfterFunc(s.timeout, st.stall)
		return &cove.Response{Status: http.StatusOK, Header: st.header, Stream: st, RequestID: a.id}, nil
	}
	defer cancel()
	defer resp.Body.Close()
	timer := time.AfterFunc(s.timeout, cancel)
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.cfg.MaxResponseBytes+1))
	timer.Stop()
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, errGone
	case err != nil:
		return s.upstreamFailed(c, p, err), nil
	case int64(len(body)) > s.cfg.MaxResponseBytes:
		return s.refuseAs(c, p.Name, http.StatusBadGateway, "api_error", "upstream_too_large",
			fmt.Sprintf("provider %s answered more than %d bytes", p.Name, s.cfg.MaxResponseBytes)), nil
	}
	var out struct {
		ID    string `json:"id"`
		Usage struct {
			Total int64 `json:"total_tokens"`
		} `json:"usage"`
	}
	json.Unmarshal(body, &out)
	a.chatID, a.tokens = out.ID, out.Usage.Total
	s.charge(w, a.tokens)
	if resp.StatusCode == http.StatusOK {
		verr := s.upstreamVerdict(ctx, p, a, c.Body, cove.SHA256(body))
		if verr != nil && p.Attestation == AttestationRequire {
			return s.refuseAs(c, p.Name, http.StatusBadGateway, "api_error", "upstream_unverified",
				fmt.Sprintf("provider %s's answer could not be verified as its attested TEE's: %v", p.Name, verr)), nil
		}
	}
	h := cove.Header{"Content-Type": {ct}}
	if ct == "" {
		h = jsonHeader()
	}
	return s.signed(c, p.Name, resp.StatusCode, h, body, a), nil
}

// upstreamFailed answers an upstream that could not be reached (502) or
// took too long (504).
func (s *Service) upstreamFailed(c cove.Call, p *provider, err error) *cove.Response {
	var ne interface{ Timeout() bool }
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return s.refuseAs(c, p.Name, http.StatusGatewayTimeout, "api_error", "upstream_timeout",
			fmt.Sprintf("provider %s did not answer within %s", p.Name, s.timeout))
	}
	s.log.Warn("ai: upstream unavailable", "provider", p.Name, "err", err)
	return s.refuseAs(c, p.Name, http.StatusBadGateway, "api_error", "upstream_unavailable",
		fmt.Sprintf("provider %s could not be reached; retry later", p.Name))
}

// stream passes an upstream's server-sent events through as they come,
// hashing exactly the bytes handed out, and signs the receipt when the
// body ends. An upstream that stops without "data: [DONE]" (cut, or
// silent past the timeout) gets an error event appended: the stream ends
// with it, the receipt covers it and the record says incomplete, so no
// receipt vouches for a cut answer as whole.
//
// For a provider whose attestation is on, only whole events are handed
// out, and "data: [DONE]" is held back until the answer's signature has
// been checked: under "require" an answer that fails ends with an
// upstream_unverified error event in its place, so a client never sees
// it complete.
type stream struct {
	s      *Service
	p      *provider
	ctx    context.Context
	call   cove.Call
	a      *answer
	who    who
	header cove.Header
	body   io.ReadCloser
	cancel context.CancelFunc
	idle   *time.Timer

	mu      sync.Mutex // stalled, set by the idle timer
	stalled bool

	buf     []byte    // the read buffer
	sum     hash.Hash // of the bytes handed out: the receipt's
	usum    hash.Hash // of the upstream's bytes (attested providers): its signature's
	line    []byte    // the SSE line being scanned
	sawDone bool
	pieces  int64
	out     []byte  // ready to hand out
	held    []byte  // attested providers: bytes not released yet
	tail    [2]byte // the last two bytes queued to out
	queued  int64
	ended   bool // the upstream is done; out drains, then finish
	charged bool

	receipt  *cove.SignedReceipt
	finalErr error // set by finish: io.EOF, or why no receipt
	closed   bool
}

// maxLine bounds the SSE line kept for scanning; longer lines pass
// through unscanned.
const maxLine = 1 << 20

func (st *stream) stall() {
	st.mu.Lock()
	st.stalled = true
	st.mu.Unlock()
	st.cancel()
}

func (st *stream) Read(p []byte) (int, error) {
	for len(st.out) == 0 {
		if st.finalErr != nil {
			return 0, st.finalErr
		}
		if st.ended {
			st.finish()
			continue
		}
		st.pull()
	}
	n := copy(p, st.out)
	st.sum.Write(p[:n])
	st.out = st.out[n:]
	return n, nil
}

// queue adds b to what is handed out.
func (st *stream) queue(b []byte) {
	if len(b) == 0 {
		return
	}
	st.out = append(st.out, b...)
	st.queued += int64(len(b))
	if len(b) >= 2 {
		st.tail = [2]byte{b[len(b)-2], b[len(b)-1]}
	} else {
		st.tail = [2]byte{st.tail[1], b[0]}
	}
}

// pull reads the upstream once and queues what may go out.
func (st *stream) pull() {
	if st.buf == nil {
		st.buf = make([]byte, 32<<10)
	}
	n, err := st.body.Read(st.buf)
	if n > 0 {
		chunk := st.buf[:n]
		st.idle.Reset(st.s.timeout)
		st.scan(chunk)
		if st.usum == nil {
			st.queue(chunk)
		} else {
			st.usum.Write(chunk)
			st.held = append(st.held, chunk...)
			st.release()
		}
	}
	if err == nil {
		return
	}
	st.idle.Stop()
	st.ended = true
	if err == io.EOF && st.sawDone {
		if st.usum != nil {
			var h cove.Hash
			st.usum.Sum(h[:0])
			verr := st.s.upstreamVerdict(st.ctx, st.p, st.a, st.call.Body, h)
			if verr != nil && st.p.Attestation == AttestationRequire {
				st.held = nil
				st.fail("upstream_unverified", fmt.Sprintf("provider %s's answer could not be verified as its attested TEE's: %v", st.p.Name, verr))
				return
			}
			st.queue(st.held)
			st.held = nil
		}
		return
	}
	// Cut: what was held (an unfinished event) is dropped; the stream
	// ends with an error event.
	st.held = nil
	st.mu.Lock()
	stalled := st.stalled
	st.mu.Unlock()
	st.s.log.Warn("ai: upstream stream cut", "provider", st.a.provider, "receipt", st.a.id, "err", err, "stalled", stalled)
	if stalled {
		st.fail("upstream_timeout", fmt.Sprintf("provider %s sent nothing for %s; the stream was cut", st.a.provider, st.s.timeout))
		return
	}
	st.fail("upstream_cut", fmt.Sprintf("provider %s ended the stream before it was complete", st.a.provider))
}

// release queues the held events that are whole, up to a "[DONE]" event,
// which stays held. An upstream that sends more than MaxResponseBytes
// without ending an event is cut.
func (st *stream) release() {
	for {
		end := eventEnd(st.held)
		if end < 0 {
			if int64(len(st.held)) > st.s.cfg.MaxResponseBytes {
				st.held = nil
				st.ended = true
				st.idle.Stop()
				st.cancel()
				st.fail("upstream_too_large", fmt.Sprintf("provider %s sent more than %d bytes without ending an event", st.p.Name, st.s.cfg.MaxResponseBytes))
			}
			return
		}
		ev := st.held[:end]
		if string(bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(ev), []byte("data:")))) == "[DONE]" {
			return
		}
		st.queue(ev)
		st.held = st.held[end:]
	}
}

// eventEnd returns the length of the first whole SSE event in b (up to and
// with the blank line that ends it: lines end with CRLF, LF or CR), or -1.
func eventEnd(b []byte) int {
	lineStart := 0
	for i := 0; i < len(b); i++ {
		if b[i] != '\n' && b[i] != '\r' {
			continue
		}
		end := i + 1
		if b[i] == '\r' {
			if i+1 == len(b) {
				return -1 // a CR that may be a CRLF's first half
			}
			if b[i+1] == '\n' {
				end++
			}
		}
		if i == lineStart { // an empty line: the event ends here
			return end
		}
		lineStart = end
		i = end - 1
	}
	return -1
}

// fail queues an error event as the stream's last, first closing an
// event the upstream left unfinished, and marks the answer incomplete.
func (st *stream) fail(code, msg string) {
	switch {
	case st.queued == 0 || st.tail == [2]byte{'\n', '\n'}:
	case st.tail[1] == '\n':
		st.queue([]byte("\n"))
	default:
		st.queue([]byte("\n\n"))
	}
	ev, _ := json.Marshal(map[string]any{"error": map[string]string{"message": msg, "type": "api_error", "code": code}})
	st.queue(append(append([]byte("data: "), ev...), "\n\n"...))
	st.a.complete = false
}

// scan follows the SSE lines for the chat id (the first event's "id"),
// usage (an event with "usage") and the final [DONE].
func (st *stream) scan(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if len(st.line)+len(b) <= maxLine {
				st.line = append(st.line, b...)
			}
			return
		}
		if len(st.line)+i <= maxLine {
			st.line = append(st.line, b[:i]...)
			st.event(bytes.TrimRight(st.line, "\r"))
		}
		st.line, b = st.line[:0], b[i+1:]
	}
}

func (st *stream) event(line []byte) {
	data, ok := bytes.CutPrefix(line, []byte("data:"))
	if !ok {
		return
	}
	data = bytes.TrimSpace(data)
	if string(data) == "[DONE]" {
		st.sawDone = true
		return
	}
	st.pieces++
	if st.a.chatID != "" && !bytes.Contains(data, []byte(`"usage"`)) {
		return
	}
	var ev struct {
		ID    string `json:"id"`
		Usage *struct {
			Total int64 `json:"total_tokens"`
		} `json:"usage"`
	}
	if json.Unmarshal(data, &ev) != nil {
		return
	}
	if st.a.chatID == "" {
		st.a.chatID = ev.ID
	}
	if ev.Usage != nil {
		st.a.tokens = ev.Usage.Total
	}
}

// charge meters the tokens once: those the upstream reported, else one a
// piece seen.
func (st *stream) charge() {
	if st.charged {
		return
	}
	st.charged = true
	if st.a.tokens == 0 {
		st.a.tokens = st.pieces
	}
	st.s.charge(st.who, st.a.tokens)
	st.s.metrics.AI(st.p.Name, http.StatusOK, st.a.tokens)
}

// finish signs the receipt over the bytes handed out and meters the
// tokens.
func (st *stream) finish() {
	st.finalErr = io.EOF
	st.charge()
	var h cove.Hash
	st.sum.Sum(h[:0])
	signed, err := st.s.sign(st.call, *st.a, http.StatusOK, st.header, h)
	if err != nil {
		st.finalErr = fmt.Errorf("sign the stream's receipt: %w", err)
		return
	}
	st.receipt = &signed
}

func (st *stream) Receipt() (cove.SignedReceipt, error) {
	if st.receipt == nil {
		if st.finalErr != nil && st.finalErr != io.EOF {
			return cove.SignedReceipt{}, st.finalErr
		}
		return cove.SignedReceipt{}, cove.ErrStreamOpen
	}
	return *st.receipt, nil
}

// Close ends the stream; one closed before its end (the caller went away)
// is charged for what it got, and has no receipt.
func (st *stream) Close() error {
	if st.closed {
		return nil
	}
	st.closed = true
	st.idle.Stop()
	st.cancel()
	st.charge()
	return st.body.Close()
}
