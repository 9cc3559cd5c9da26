package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/gateway"
	"github.com/cove-network/cove/receipt"
)

// invokerFunc is an Invoker made of a function.
type invokerFunc func(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error)

func (f invokerFunc) Invoke(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error) {
	return f(ctx, id, c)
}

func (invokerFunc) Ready() error { return nil }

// hostOf is the Host a client names for base ("http://127.0.0.1:1234").
func hostOf(base string) string { return strings.TrimPrefix(base, "http://") }

func serve(t *testing.T, inv gateway.Invoker) string {
	t.Helper()
	s, _ := newTestGateway(t, gateway.DefaultConfig(), inv)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv.URL
}

// checkReceipt verifies the receipt in rh (the header, or the trailer of a
// stream) against the exchange, which must be of version 2.
func checkReceipt(t *testing.T, rh http.Header, e receipt.Exchange) {
	t.Helper()
	s, err := receipt.FromHeaders(rh)
	if err != nil {
		t.Fatalf("receipt headers: %v", err)
	}
	if err := receipt.Check(s, e); err != nil || !s.Receipt.CoversHeaders() {
		t.Fatalf("receipt version %d: %v", s.Receipt.V(), err)
	}
	if s.Signer != testCluster.Agent(knownAgent).Attestor().Address() {
		t.Fatalf("signed by %s", s.Signer)
	}
}

// TestCallBuffered: the call reaches the invoker as a cove.Call (method,
// the request target for the receipt, the URL the agent sees, the body,
// no reserved headers) and its response goes out with the receipt in
// headers, the request id and the length; HEAD sends no body.
func TestCallBuffered(t *testing.T) {
	var got cove.Call
	base := serve(t, invokerFunc(func(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error) {
		got = c
		body := []byte("hello " + string(c.Body))
		if c.Method == http.MethodHead {
			body = nil
		}
		return signedResponse(id, c, http.StatusCreated, cove.Header{"X-Agent": {"yes"}}, body), nil
	}))
	target := "/agents/" + knownAgent.String() + "/greet/x?name=a%20b"
	req, _ := http.NewRequest(http.MethodPost, base+target, strings.NewReader("Ada"))
	req.Header.Set("X-Caller", "1")
	req.Header.Set("Cove-Signature", "0xforged")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || string(body) != "hello Ada" || resp.Header.Get("X-Agent") != "yes" ||
		resp.Header.Get(api.HeaderRequestID) != "req-1" || resp.ContentLength != int64(len(body)) {
		t.Fatalf("%d %q %v", resp.StatusCode, body, resp.Header)
	}
	checkReceipt(t, resp.Header, receipt.Exchange{Method: http.MethodPost, Target: target, Host: hostOf(base), RequestBody: []byte("Ada"),
		Status: http.StatusCreated, Header: resp.Header, Body: body})
	if got.Method != http.MethodPost || got.Path != target || got.URL != base+"/greet/x?name=a%20b" || string(got.Body) != "Ada" {
		t.Fatalf("call %+v", got)
	}
	if http.Header(got.Header).Get("X-Caller") != "1" || http.Header(got.Header).Get("Cove-Signature") != "" {
		t.Fatalf("call headers %v: want the caller's, without Cove's own", got.Header)
	}

	resp, err = http.Head(base + target)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || resp.Header.Get(receipt.HeaderReceipt) == "" {
		t.Fatalf("HEAD: %d %v", resp.StatusCode, resp.Header)
	}
	checkReceipt(t, resp.Header, receipt.Exchange{Method: http.MethodHead, Target: target, Host: hostOf(base), Status: http.StatusCreated, Header: resp.Header})
}

// testStream is a cove.Stream fed piece by piece by the test; like a
// worker's, it signs its receipt over exactly the bytes read, when the body
// ends, and makes none when the body is cut.
type testStream struct {
	id     cove.AgentID
	call   cove.Call
	header cove.Header   // the response's, which the receipt covers
	pieces chan []byte   // closed: the body ended
	cut    chan error    // a value: the body was cut
	stop   chan struct{} // closed when the test ends, so a failing test never hangs
	rest   []byte
	read   bytes.Buffer
	mu     sync.Mutex
	ended  bool
	err    error
}

func newTestStream(t *testing.T, id cove.AgentID, c cove.Call) *testStream {
	s := &testStream{id: id, call: c, pieces: make(chan []byte), cut: make(chan error, 1), stop: make(chan struct{})}
	t.Cleanup(func() { close(s.stop) }) // runs before the server's Close, registered earlier
	return s
}

func (s *testStream) Read(p []byte) (int, error) {
	for len(s.rest) == 0 {
		select {
		case b, ok := <-s.pieces:
			if !ok {
				s.mu.Lock()
				s.ended = true
				s.mu.Unlock()
				return 0, io.EOF
			}
			s.rest = b
		case err := <-s.cut:
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			return 0, err
		case <-s.stop:
			return 0, errors.New("the test ended")
		}
	}
	n := copy(p, s.rest)
	s.read.Write(p[:n])
	s.rest = s.rest[n:]
	return n, nil
}

func (s *testStream) Receipt() (cove.SignedReceipt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return cove.SignedReceipt{}, s.err
	}
	if !s.ended {
		return cove.SignedReceipt{}, cove.ErrStreamOpen
	}
	return receipt.Sign(testCluster.Agent(s.id).Attestor(), receiptFor(s.id, s.call, http.StatusOK, s.header, s.read.Bytes()))
}

func (s *testStream) Close() error { return nil }

// TestCallStream: a streamed body reaches the caller piece by piece as it
// is made (each piece is flushed), and its receipt, made when it ended,
// comes as HTTP trailers over exactly the bytes sent.
func TestCallStream(t *testing.T) {
	streams := make(chan *testStream, 1)
	base := serve(t, invokerFunc(func(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error) {
		s := newTestStream(t, id, c)
		streams <- s
		// Whatever an invoker sets, Cove's own headers come from the
		// gateway alone: a forged one must not hide the real trailer.
		h := cove.Header{"Content-Type": {"text/event-stream"}, "Cove-Receipt": {"forged"}, "Cove-Signer": {"0xforged"}, "Connection": {"close"}}
		s.header = h
		return &cove.Response{Status: http.StatusOK, Header: h, Stream: s, RequestID: "req-s"}, nil
	}))
	target := "/agents/" + knownAgent.String() + "/events"
	resp, err := http.Get(base + target)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	s := <-streams
	if resp.Header.Get(receipt.HeaderReceipt) != "" || resp.Header.Get(receipt.HeaderSigner) != "" || resp.Close || resp.Header.Get(api.HeaderRequestID) != "req-s" {
		t.Fatalf("stream head %v: want no receipt before the body", resp.Header)
	}
	var got []byte
	for _, piece := range []string{"data: one\n\n", "data: two\n\n"} {
		s.pieces <- []byte(piece)
		// The piece arrives while the stream is still open: it was flushed.
		buf := make([]byte, len(piece))
		if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != piece {
			t.Fatalf("piece %q: got %q, %v", piece, buf, err)
		}
		got = append(got, buf...)
	}
	close(s.pieces)
	rest, err := io.ReadAll(resp.Body)
	if err != nil || len(rest) != 0 {
		t.Fatalf("after the end: %q, %v", rest, err)
	}
	checkReceipt(t, http.Header(resp.Trailer), receipt.Exchange{Method: http.MethodGet, Target: target, Host: hostOf(base), Status: http.StatusOK, Header: resp.Header, Body: got})
}

// TestCallStreamCut: a body cut short is not passed off as complete: the
// response is aborted and carries no receipt.
func TestCallStreamCut(t *testing.T) {
	streams := make(chan *testStream, 1)
	base := serve(t, invokerFunc(func(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error) {
		s := newTestStream(t, id, c)
		streams <- s
		return &cove.Response{Status: http.StatusOK, Stream: s}, nil
	}))
	resp, err := http.Get(base + "/agents/" + knownAgent.String() + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	s := <-streams
	s.pieces <- []byte("data: one\n\n")
	buf := make([]byte, 11)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	s.cut <- errors.New("upstream went away")
	if rest, err := io.ReadAll(resp.Body); err == nil {
		t.Fatalf("a cut body read to a clean end (%q)", rest)
	}
	if resp.Trailer.Get(receipt.HeaderReceipt) != "" {
		t.Fatal("a cut body came with a receipt")
	}
}

// TestCallRefusals: what Invoke refuses without a signed response is
// answered in the error envelope with the refusal's status and code (and
// Retry-After when it says when to retry); any other failure is a 500 that
// names nothing internal; a response without a receipt never goes out.
func TestCallRefusals(t *testing.T) {
	cases := []struct {
		name   string
		resp   *cove.Response
		err    error
		status int
		code   string
		retry  string
	}{
		{"not provisioned", nil, &cove.Error{Status: 503, Code: "worker_not_provisioned", Message: "retry shortly", RetryAfter: 1500 * time.Millisecond}, 503, "worker_not_provisioned", "2"},
		{"too large", nil, &cove.Error{Status: 413, Code: "request_too_large", Message: "too large"}, 413, "request_too_large", ""},
		{"wrapped", nil, errors.Join(errors.New("ctx"), &cove.Error{Status: 404, Code: "agent_not_found", Message: "no agent"}), 404, "agent_not_found", ""},
		{"internal", nil, errors.New("disk on fire at /secret/path"), 500, "internal", ""},
		// A worker's signed refusal of a call to an agent whose queue is
		// full: its Retry-After goes out with it.
		{"agent busy", signedResponse(knownAgent, cove.Call{}, 429, cove.Header{"Content-Type": {"application/json"}, "Retry-After": {"1"}},
			[]byte(`{"error":{"code":"agent_busy","message":"retry after 1 s"},"requestId":"req-1"}`)), nil, 429, "agent_busy", "1"},
		{"no receipt", &cove.Response{Status: 200, Body: []byte("unsigned")}, nil, 500, "internal", ""},
		// A worker never answers these (it refuses them from agents); a
		// 1xx would go out as 200, with a receipt saying 101.
		{"status 101", signedResponse(knownAgent, cove.Call{}, 101, nil, []byte("unsigned")), nil, 500, "internal", ""},
		{"status 0", signedResponse(knownAgent, cove.Call{}, 0, nil, []byte("unsigned")), nil, 500, "internal", ""},
		{"status 600", signedResponse(knownAgent, cove.Call{}, 600, nil, []byte("unsigned")), nil, 500, "internal", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := serve(t, invokerFunc(func(context.Context, cove.AgentID, cove.Call) (*cove.Response, error) { return c.resp, c.err }))
			resp, err := http.Get(base + "/agents/" + knownAgent.String() + "/x")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			eb := decodeErrorBody(t, body)
			if resp.StatusCode != c.status || eb.Error.Code != c.code || resp.Header.Get("Retry-After") != c.retry {
				t.Fatalf("%d %s (Retry-After %q), want %d %s (%q)", resp.StatusCode, body, resp.Header.Get("Retry-After"), c.status, c.code, c.retry)
			}
			if strings.Contains(string(body), "/secret/path") || strings.Contains(string(body), "unsigned") {
				t.Fatalf("the answer shows internal detail: %s", body)
			}
		})
	}
}

// TestCallRequestBound: a body over the gateway's max_request_bytes is
// refused with 413 before any worker sees it; one at the bound passes.
func TestCallRequestBound(t *testing.T) {
	cfg := gateway.DefaultConfig()
	cfg.MaxRequestBytes = 10
	var calls int
	s, _ := newTestGateway(t, cfg, invokerFunc(func(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error) {
		calls++
		return signedResponse(id, c, 200, nil, []byte("ok")), nil
	}))
	for _, n := range []int{10, 11} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/agents/"+knownAgent.String()+"/", bytes.NewReader(make([]byte, n))))
		want := http.StatusOK
		if n > 10 {
			want = http.StatusRequestEntityTooLarge
		}
		if rec.Code != want || (n > 10 && decodeErrorBody(t, rec.Body.Bytes()).Error.Code != "request_too_large") {
			t.Fatalf("%d bytes: %d %s", n, rec.Code, rec.Body)
		}
	}
	if calls != 1 {
		t.Fatalf("the invoker ran %d times, want once (the oversized body never reaches it)", calls)
	}
}

// TestHealthFollowsInvoker: /healthz is 503 while the invoker cannot serve.
func TestHealthFollowsInvoker(t *testing.T) {
	for _, c := range []struct {
		inv  fakeInvoker
		want int
	}{{fakeInvoker{notReady: errors.New("no keys yet")}, 503}, {fakeInvoker{}, 200}} {
		s, _ := newTestGateway(t, gateway.DefaultConfig(), c.inv)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		if rec.Code != c.want {
			t.Fatalf("ready error %v: /healthz %d, want %d", c.inv.notReady, rec.Code, c.want)
		}
	}
}

func decodeErrorBody(t *testing.T, b []byte) api.ErrorBody {
	t.Helper()
	var eb api.ErrorBody
	if err := json.Unmarshal(b, &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
		t.Fatalf("not the error envelope: %s", b)
	}
	return eb
}

// TestCallRawTarget: the agent's URL holds the path and query after
// /agents/{id} byte for byte as received, exactly what the receipt covers:
// an escaped "?" is not a query and escaped slashes are not a parent path.
// A query holding "#" is refused; the same target without it is the control.
func TestCallRawTarget(t *testing.T) {
	var got cove.Call
	base := serve(t, invokerFunc(func(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error) {
		got = c
		return signedResponse(id, c, http.StatusOK, nil, []byte("ok")), nil
	}))
	prefix := "/agents/" + knownAgent.String()
	tests := []struct {
		name, target, agentTarget string
	}{
		{"plain (control)", prefix + "/admin?debug=1", "/admin?debug=1"},
		{"escaped question mark", prefix + "/admin%3Fdebug=1", "/admin%3Fdebug=1"},
		{"escaped parent path", prefix + "/%2F..%2Fadmin", "/%2F..%2Fadmin"},
		{"escaped dots", prefix + "/x/%2e%2e/admin", "/x/%2e%2e/admin"},
		{"escapes kept", prefix + "/a%41%2fb?q=%41&q=a%20b", "/a%41%2fb?q=%41&q=a%20b"},
		{"no path", prefix + "?q=1", "/?q=1"},
		{"escaped id", "/agents/%30" + knownAgent.String()[1:] + "/x?y", "/x?y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = cove.Call{}
			resp := rawGet(t, base, tt.target)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", tt.target, resp.StatusCode)
			}
			if got.Path != tt.target || got.URL != base+tt.agentTarget {
				t.Fatalf("call path %q url %q, want %q and %q", got.Path, got.URL, tt.target, base+tt.agentTarget)
			}
			checkReceipt(t, resp.Header, receipt.Exchange{Method: http.MethodGet, Target: tt.target, Host: hostOf(base), Status: http.StatusOK, Header: resp.Header, Body: []byte("ok")})
		})
	}
	t.Run("fragment refused", func(t *testing.T) {
		got = cove.Call{}
		if resp := rawGet(t, base, prefix+"/a?x=1#f"); resp.StatusCode != http.StatusBadRequest || got.Method != "" {
			t.Fatalf("%d, call %+v: want 400 and no call", resp.StatusCode, got)
		}
		if resp := rawGet(t, base, prefix+"/a?x=1%23f"); resp.StatusCode != http.StatusOK || got.URL != base+"/a?x=1%23f" {
			t.Fatalf("escaped: %d, call %+v", resp.StatusCode, got)
		}
	})
}

// rawGet sends GET with target as the request target, unchanged.
func rawGet(t *testing.T, base, target string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Opaque = target
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestCallSharedOrigin: every agent shares the gateway's origin, so an
// agent's response loses the headers that act on the whole origin
// (Set-Cookie, Clear-Site-Data, Service-Worker-Allowed) and gains a sandbox
// CSP (its own policy kept beside it) and nosniff; what the receipt covers
// (Content-Type, Location) passes unchanged, so it still verifies. The JSON
// response with the agent's other headers is the control; a response
// without Content-Type gets none guessed for it.
func TestCallSharedOrigin(t *testing.T) {
	answers := map[string]cove.Header{
		"/page": {"Content-Type": {"text/html"}, "Set-Cookie": {"session=1; Path=/"}, "Set-Cookie2": {"a=1"},
			"Clear-Site-Data": {`"cookies"`}, "Service-Worker-Allowed": {"/"}, "Content-Security-Policy": {"default-src 'self'"}, "Location": {"/next"}},
		"/json":  {"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}, "X-Agent": {"yes"}},
		"/plain": {},
	}
	base := serve(t, invokerFunc(func(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error) {
		path := strings.TrimPrefix(c.URL, "http://"+c.Host)
		return signedResponse(id, c, http.StatusOK, answers[path], []byte("<p>hi</p>")), nil
	}))
	get := func(path string) *http.Response {
		t.Helper()
		target := "/agents/" + knownAgent.String() + path
		resp, err := http.Get(base + target)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		checkReceipt(t, resp.Header, receipt.Exchange{Method: http.MethodGet, Target: target, Host: hostOf(base), Status: resp.StatusCode, Header: resp.Header, Body: body})
		if got := resp.Header.Values("Content-Security-Policy"); len(got) == 0 || got[len(got)-1] != api.AgentCSP || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: CSP %q, X-Content-Type-Options %q: want the sandbox policy last and nosniff", path, got, resp.Header.Get("X-Content-Type-Options"))
		}
		return resp
	}

	resp := get("/json") // the control
	if resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Agent") != "yes" {
		t.Fatalf("json: %v", resp.Header)
	}
	resp = get("/page")
	for _, k := range []string{"Set-Cookie", "Set-Cookie2", "Clear-Site-Data", "Service-Worker-Allowed"} {
		if v := resp.Header.Values(k); len(v) > 0 {
			t.Errorf("page: %s %q reached the caller", k, v)
		}
	}
	if csp := resp.Header.Values("Content-Security-Policy"); len(csp) != 2 || csp[0] != "default-src 'self'" {
		t.Errorf("page: CSP %q, want the agent's and the sandbox", csp)
	}
	if resp.Header.Get("Content-Type") != "text/html" || resp.Header.Get("Location") != "/next" {
		t.Errorf("page: %v: covered headers changed", resp.Header)
	}
	resp = get("/plain")
	if v, ok := resp.Header["Content-Type"]; ok {
		t.Errorf("plain: Content-Type %q was added", v)
	}
	// What the gateway removes or adds is never what a receipt covers.
	for _, k := range append([]string{"Content-Security-Policy", "X-Content-Type-Options"}, "Set-Cookie", "Set-Cookie2", "Clear-Site-Data", "Service-Worker-Allowed") {
		for _, c := range cove.ReceiptHeaders {
			if c == k {
				t.Errorf("the gateway changes %s, which receipts cover", k)
			}
		}
	}
}
