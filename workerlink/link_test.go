package workerlink_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/internal/testchain"
	"github.com/cove-network/cove/receipt"
	"github.com/cove-network/cove/tee/identity"
	"github.com/cove-network/cove/workerlink"
)

var agent = cove.AgentID{0xa1}

// testWorker answers every call with its body echoed, signed by key (the
// agent's attestor in the tests, or another key), buffered or streamed in
// pieces; fail makes it refuse with that error instead.
type testWorker struct {
	key    *testchain.Key
	stream bool
	cut    bool // a stream that breaks off
	fail   error
	calls  chan cove.Call
	// forge changes the receipt before it is signed, reply the response
	// after: a worker that answers something its receipt does not cover.
	forge func(*cove.Receipt)
	reply func(*cove.Response)
}

func (w *testWorker) Health() workerlink.Health {
	return workerlink.Health{Worker: cove.Hash{1}, Ready: true, Epochs: []uint64{0}}
}

func (w *testWorker) Invoke(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error) {
	if w.calls != nil {
		w.calls <- c
	}
	if w.fail != nil {
		return nil, w.fail
	}
	body := append([]byte("echo:"), c.Body...)
	h := cove.Header{"Content-Type": {"text/plain"}, "X-Agent": {"yes"}}
	r := cove.Receipt{Version: cove.ReceiptV2, Agent: id, RequestHash: cove.RequestHash(c.Method, c.Path, c.Body),
		Status: 200, ResponseHash: cove.SHA256(body), HeadersHash: cove.HeadersHash(c.Host, h)}
	if w.forge != nil {
		w.forge(&r)
	}
	signed, err := receipt.Sign(w.key, r)
	if err != nil {
		return nil, err
	}
	resp := &cove.Response{Status: 200, Header: h, Body: body, Receipt: &signed, RequestID: "r1"}
	if w.stream {
		resp = &cove.Response{Status: 200, Header: h, RequestID: "r1", Stream: &pieces{rest: body, signed: signed, cut: w.cut}}
	}
	if w.reply != nil {
		w.reply(resp)
	}
	return resp, nil
}

// pieces streams rest a few bytes at a time.
type pieces struct {
	rest   []byte
	signed cove.SignedReceipt
	cut    bool
}

func (p *pieces) Read(b []byte) (int, error) {
	if len(p.rest) == 0 {
		if p.cut {
			return 0, errors.New("upstream gone")
		}
		return 0, io.EOF
	}
	n := copy(b[:min(len(b), 3)], p.rest)
	p.rest = p.rest[n:]
	return n, nil
}
func (p *pieces) Receipt() (cove.SignedReceipt, error) { return p.signed, nil }
func (p *pieces) Close() error                         { return nil }

// serve runs w's link on a loopback listener with a fresh identity and
// returns its endpoint and the identity's public key.
func serve(t testing.TB, w workerlink.Worker) (endpoint string, pub []byte, stop func()) {
	t.Helper()
	id, err := identity.New(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := workerlink.Certificate(id.TLSSigner())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := slog.New(slog.DiscardHandler)
	go func() { done <- workerlink.Serve(ctx, ln, cert, workerlink.Handler(w, 1<<20, log), log) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(func() {
		select {
		case <-ctx.Done():
		default:
			stop()
		}
	})
	return "https://" + ln.Addr().String(), id.PublicKey(), stop
}

// remote is a link to the worker at ep, closed (its connections first) at
// the test's end, so the server's shutdown has no connection to wait for.
func remote(t testing.TB, ep string, pub []byte) *workerlink.Remote {
	t.Helper()
	r, err := workerlink.NewRemote(ep, pub, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func call(body string) cove.Call {
	return cove.Call{Method: "POST", Path: "/agents/" + agent.String() + "/hi?x=1", URL: "http://gw.example/hi?x=1",
		Host: "gw.example", Header: cove.Header{"Accept": {"*/*"}}, Body: []byte(body)}
}

func TestInvokeOverLink(t *testing.T) {
	attestor := testchain.NewKey(t)
	w := &testWorker{key: attestor, calls: make(chan cove.Call, 1)}
	ep, pub, _ := serve(t, w)
	r, err := workerlink.NewRemote(ep, pub, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.Invoke(context.Background(), agent, call("ada"), workerlink.Expect{Agent: agent, Attestor: attestor.Address()})
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "echo:ada" || resp.Status != 200 || resp.Header["X-Agent"][0] != "yes" || resp.RequestID != "r1" || resp.Receipt == nil {
		t.Fatalf("response %+v", resp)
	}
	got := <-w.calls
	if got.URL != "http://gw.example/hi?x=1" || got.Host != "gw.example" || got.Header["Accept"][0] != "*/*" {
		t.Fatalf("the worker got %+v", got)
	}
	h, err := r.Health(context.Background())
	if err != nil || !h.Ready || h.Epochs[0] != 0 {
		t.Fatalf("health %+v, %v", h, err)
	}
}

// TestPinnedIdentity: a link to a worker whose TLS key is not the identity
// key the gateway expects is refused before the call is sent; the same
// worker with its own key (the control) answers.
func TestPinnedIdentity(t *testing.T) {
	attestor := testchain.NewKey(t)
	w := &testWorker{key: attestor, calls: make(chan cove.Call, 1)}
	ep, pub, _ := serve(t, w)
	other, err := identity.New(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	want := workerlink.Expect{Agent: agent, Attestor: attestor.Address()}
	for _, tc := range []struct {
		name string
		key  []byte
		ok   bool
	}{{"registered key", pub, true}, {"another worker's key", other.PublicKey(), false}} {
		r, err := workerlink.NewRemote(ep, tc.key, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Invoke(context.Background(), agent, call("x"), want)
		if tc.ok {
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			<-w.calls
			continue
		}
		var ns *workerlink.NotSentError
		if !errors.As(err, &ns) || !errors.Is(err, workerlink.ErrWrongWorker) {
			t.Fatalf("%s: got %v, want a NotSentError for the wrong worker", tc.name, err)
		}
		select {
		case c := <-w.calls:
			t.Fatalf("%s: the worker got the call %+v", tc.name, c)
		default:
		}
	}
}

// TestReceiptChecked: a response signed by a key other than the agent's
// attestor is refused; signed by the attestor (the control, same worker,
// same call) it passes.
func TestReceiptChecked(t *testing.T) {
	attestor, impostor := testchain.NewKey(t), testchain.NewKey(t)
	for _, stream := range []bool{false, true} {
		for _, tc := range []struct {
			name   string
			signer *testchain.Key
			ok     bool
		}{{"attestor", attestor, true}, {"another key", impostor, false}} {
			ep, pub, _ := serve(t, &testWorker{key: tc.signer, stream: stream})
			r := remote(t, ep, pub)
			resp, err := r.Invoke(context.Background(), agent, call("ada"), workerlink.Expect{Agent: agent, Attestor: attestor.Address()})
			if stream && err == nil {
				var body []byte
				body, err = io.ReadAll(resp.Stream)
				if err == nil && string(body) != "echo:ada" {
					t.Fatalf("stream body %q", body)
				}
				if err == nil {
					_, err = resp.Stream.Receipt()
				}
			}
			if tc.ok != (err == nil) || (!tc.ok && !errors.Is(err, workerlink.ErrBadReceipt)) {
				t.Fatalf("stream %v, signed by %s: err %v", stream, tc.name, err)
			}
		}
	}
	// A call the receipt does not cover (the worker signed another
	// request) is refused too.
	ep, pub, _ := serve(t, &lyingWorker{testWorker{key: attestor}})
	r := remote(t, ep, pub)
	if _, err := r.Invoke(context.Background(), agent, call("ada"), workerlink.Expect{Agent: agent, Attestor: attestor.Address()}); !errors.Is(err, receipt.ErrMismatch) {
		t.Fatalf("a receipt over another request: %v", err)
	}
}

// lyingWorker signs a receipt over another request body than the one it got.
type lyingWorker struct{ testWorker }

func (w *lyingWorker) Invoke(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error) {
	c.Body = []byte("something else")
	return w.testWorker.Invoke(ctx, id, c)
}

// TestReceiptCoversTheExchange: the attestor's own signature (the control)
// is refused when the receipt does not describe what arrived: another
// agent, another status, another body, another covered header, a stream
// whose bytes differ. Each row changes one thing.
func TestReceiptCoversTheExchange(t *testing.T) {
	attestor := testchain.NewKey(t)
	for _, tc := range []struct {
		name   string
		stream bool
		forge  func(*cove.Receipt)
		reply  func(*cove.Response)
		ok     bool
	}{
		{name: "control", ok: true},
		{name: "control, streamed", stream: true, ok: true},
		{name: "another agent", forge: func(r *cove.Receipt) { r.Agent = cove.AgentID{9} }},
		{name: "another status", forge: func(r *cove.Receipt) { r.Status = 201 }},
		{name: "another status, streamed", stream: true, forge: func(r *cove.Receipt) { r.Status = 201 }},
		{name: "another body", reply: func(resp *cove.Response) { resp.Body = []byte("echo:forged") }},
		{name: "another covered header", reply: func(resp *cove.Response) {
			resp.Header = cove.Header{"Content-Type": {"text/html"}, "X-Agent": {"yes"}}
		}},
		{name: "another body, streamed", stream: true, reply: func(resp *cove.Response) { resp.Stream.(*pieces).rest = []byte("echo:forged") }},
	} {
		ep, pub, _ := serve(t, &testWorker{key: attestor, stream: tc.stream, forge: tc.forge, reply: tc.reply})
		r := remote(t, ep, pub)
		resp, err := r.Invoke(context.Background(), agent, call("ada"), workerlink.Expect{Agent: agent, Attestor: attestor.Address()})
		if err == nil && tc.stream {
			_, err = io.ReadAll(resp.Stream)
		}
		if tc.ok != (err == nil) || (!tc.ok && !errors.Is(err, workerlink.ErrBadReceipt)) {
			t.Errorf("%s: err %v", tc.name, err)
		}
	}
}

func TestStreamCut(t *testing.T) {
	attestor := testchain.NewKey(t)
	ep, pub, _ := serve(t, &testWorker{key: attestor, stream: true, cut: true})
	r := remote(t, ep, pub)
	resp, err := r.Invoke(context.Background(), agent, call("ada"), workerlink.Expect{Agent: agent, Attestor: attestor.Address()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(resp.Stream)
	var fe *workerlink.FailedError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "upstream gone") {
		t.Fatalf("a cut stream read: %v", err)
	}
	if _, err := resp.Stream.Receipt(); err == nil {
		t.Fatal("a cut stream has a receipt")
	}
}

func TestErrorsPassThrough(t *testing.T) {
	attestor := testchain.NewKey(t)
	busy := &cove.Error{Status: 429, Code: "agent_busy", Message: "busy", RetryAfter: 2 * time.Second}
	ep, pub, _ := serve(t, &testWorker{key: attestor, fail: busy})
	r := remote(t, ep, pub)
	_, err := r.Invoke(context.Background(), agent, call("x"), workerlink.Expect{Agent: agent, Attestor: attestor.Address()})
	var ce *cove.Error
	if !errors.As(err, &ce) || ce.Status != 429 || ce.Code != "agent_busy" || ce.RetryAfter != 2*time.Second {
		t.Fatalf("got %v", err)
	}
}

// TestWorkerGone: a worker that is not listening is a NotSentError (safe
// to send elsewhere).
func TestWorkerGone(t *testing.T) {
	attestor := testchain.NewKey(t)
	ep, pub, stop := serve(t, &testWorker{key: attestor})
	stop()
	r := remote(t, ep, pub)
	_, err := r.Invoke(context.Background(), agent, call("x"), workerlink.Expect{Agent: agent, Attestor: attestor.Address()})
	var ns *workerlink.NotSentError
	if !errors.As(err, &ns) {
		t.Fatalf("got %v, want a NotSentError", err)
	}
}

// TestCheckCall: the worker refuses calls a gateway would never build; the
// genuine call (first row) passes.
func TestCheckCall(t *testing.T) {
	base := call("")
	for _, tc := range []struct {
		name string
		edit func(*cove.Call)
		ok   bool
	}{
		{"genuine", func(*cove.Call) {}, true},
		{"https origin", func(c *cove.Call) { c.URL = "https://gw.example/hi?x=1" }, true},
		{"bare agent path", func(c *cove.Call) { c.Path = "/agents/" + agent.String(); c.URL = "http://gw.example/" }, true},
		{"URL with another path", func(c *cove.Call) { c.URL = "http://gw.example/admin?x=1" }, false},
		{"URL with another query", func(c *cove.Call) { c.URL = "http://gw.example/hi?x=2" }, false},
		{"URL with another host", func(c *cove.Call) { c.URL = "http://evil.example/hi?x=1" }, false},
		{"path of another agent", func(c *cove.Call) { c.Path = "/agents/" + cove.AgentID{2}.String() + "/hi?x=1" }, false},
		{"path outside /agents/", func(c *cove.Call) { c.Path = "/hi?x=1" }, false},
		{"no host", func(c *cove.Call) { c.Host = ""; c.URL = "http:///hi?x=1" }, false},
		{"bad method", func(c *cove.Call) { c.Method = "GET /x" }, false},
		{"header with a newline", func(c *cove.Call) { c.Header = cove.Header{"X-A": {"a\r\nB: c"}} }, false},
		{"header name not a token", func(c *cove.Call) { c.Header = cove.Header{"X A": {"a"}} }, false},
		// Targets an agent's URL parser reads otherwise than their bytes.
		{"fragment in the path", func(c *cove.Call) {
			c.Path = "/agents/" + agent.String() + "/a#/../admin"
			c.URL = "http://gw.example/a#/../admin"
		}, false},
		{"fragment in the query", func(c *cove.Call) {
			c.Path = "/agents/" + agent.String() + "?q=a#f"
			c.URL = "http://gw.example/?q=a#f"
		}, false},
		{"newline in the path", func(c *cove.Call) {
			c.Path = "/agents/" + agent.String() + "/ad\nmin"
			c.URL = "http://gw.example/ad\nmin"
		}, false},
		{"space in the path", func(c *cove.Call) { c.Path = "/agents/" + agent.String() + "/a b"; c.URL = "http://gw.example/a b" }, false},
		{"dot segments", func(c *cove.Call) {
			c.Path = "/agents/" + agent.String() + "/../../x"
			c.URL = "http://gw.example/../../x"
		}, false},
		{"backslash", func(c *cove.Call) { c.Path = "/agents/" + agent.String() + "/a\\b"; c.URL = "http://gw.example/a\\b" }, false},
		{"escaped bytes stay as sent", func(c *cove.Call) {
			c.Path = "/agents/" + agent.String() + "/admin%3Fx=1"
			c.URL = "http://gw.example/admin%3Fx=1"
		}, true},
		{"host with a control byte", func(c *cove.Call) { c.Host = "h\x01evil"; c.URL = "http://h\x01evil/hi?x=1" }, false},
		{"host with a port out of range", func(c *cove.Call) { c.Host = "h:99999999"; c.URL = "http://h:99999999/hi?x=1" }, false},
		{"host with a port", func(c *cove.Call) { c.Host = "gw.example:8700"; c.URL = "http://gw.example:8700/hi?x=1" }, true},
		{"IPv6 host", func(c *cove.Call) { c.Host = "[::1]:8700"; c.URL = "http://[::1]:8700/hi?x=1" }, true},
	} {
		c := base
		c.Header = cove.Header{"Accept": {"*/*"}}
		tc.edit(&c)
		err := workerlink.CheckCall(agent, &c)
		if tc.ok != (err == nil) {
			t.Errorf("%s: err %v", tc.name, err)
		}
	}
	// Reserved headers are dropped, names made canonical.
	c := base
	c.Header = cove.Header{"cove-receipt": {"forged"}, "x-thing": {"1"}, "Connection": {"close"}}
	if err := workerlink.CheckCall(agent, &c); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Header["Cove-Receipt"]; ok || c.Header["X-Thing"][0] != "1" || c.Header["Connection"] != nil {
		t.Fatalf("header %v", c.Header)
	}
}

// TestLinkRefusesForgedURL: over the wire, a call whose URL is not its
// Host and target is refused before the worker runs it.
func TestLinkRefusesForgedURL(t *testing.T) {
	attestor := testchain.NewKey(t)
	w := &testWorker{key: attestor, calls: make(chan cove.Call, 1)}
	ep, pub, _ := serve(t, w)
	r := remote(t, ep, pub)
	c := call("x")
	c.URL = "http://gw.example/admin"
	_, err := r.Invoke(context.Background(), agent, c, workerlink.Expect{Agent: agent, Attestor: attestor.Address()})
	var ce *cove.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusBadRequest || !strings.Contains(ce.Message, "url") {
		t.Fatalf("got %v", err)
	}
	if len(w.calls) != 0 {
		t.Fatal("the worker ran it")
	}
}

// BenchmarkInvoke: one call at a time, the test worker called in process
// and over the link (loopback TLS 1.3, HTTP/2, framing, the receipt
// checked against the attestor): the difference is what the hop costs.
func BenchmarkInvoke(b *testing.B) {
	attestor, err := testchain.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	w := &testWorker{key: attestor}
	want := workerlink.Expect{Agent: agent, Attestor: attestor.Address()}
	b.Run("in-process", func(b *testing.B) {
		for b.Loop() {
			if _, err := w.Invoke(context.Background(), agent, call("ada")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("link", func(b *testing.B) {
		ep, pub, stop := serve(b, w)
		defer stop()
		r, err := workerlink.NewRemote(ep, pub, 1<<20)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		for b.Loop() {
			if _, err := r.Invoke(context.Background(), agent, call("ada"), want); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestVanishedWorker: a worker whose machine stops answering without
// closing the connection (a proxy that stops forwarding, as a frozen or
// unplugged machine) fails the call in flight within seconds (the HTTP/2
// ping), instead of leaving it waiting forever.
func TestVanishedWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the link's ping timeout (about 4 s)")
	}
	attestor := testchain.NewKey(t)
	release := make(chan struct{})
	defer close(release)
	w := &blockingWorker{testWorker: testWorker{key: attestor}, started: make(chan struct{}, 1), release: release}
	ep, pub, _ := serve(t, w)
	proxy := newFreezer(t, strings.TrimPrefix(ep, "https://"))
	r, _ := workerlink.NewRemote("https://"+proxy.addr, pub, 1<<20)
	errc := make(chan error, 1)
	go func() {
		_, err := r.Invoke(context.Background(), agent, call("x"), workerlink.Expect{Agent: agent, Attestor: attestor.Address()})
		errc <- err
	}()
	<-w.started
	proxy.freeze()
	start := time.Now()
	select {
	case err := <-errc:
		var fe *workerlink.FailedError
		if !errors.As(err, &fe) {
			t.Fatalf("got %v, want a FailedError", err)
		}
		t.Logf("the call failed %s after the worker vanished: %v", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(15 * time.Second):
		t.Fatal("the call still waits 15 s after the worker vanished")
	}
}

// blockingWorker holds each call until release.
type blockingWorker struct {
	testWorker
	started chan struct{}
	release chan struct{}
}

func (w *blockingWorker) Invoke(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error) {
	w.started <- struct{}{}
	select {
	case <-w.release:
	case <-ctx.Done():
	}
	return w.testWorker.Invoke(ctx, id, c)
}

// freezer forwards TCP to target until freeze, then forwards nothing more
// and closes nothing.
type freezer struct {
	addr   string
	frozen chan struct{}
}

func newFreezer(t *testing.T, target string) *freezer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f := &freezer{addr: ln.Addr().String(), frozen: make(chan struct{})}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			t.Cleanup(func() { c.Close(); u.Close() })
			go f.pipe(u, c)
			go f.pipe(c, u)
		}
	}()
	return f
}

func (f *freezer) freeze() { close(f.frozen) }

func (f *freezer) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-f.frozen:
			return // swallow it: the peer sees silence, not a close
		default:
		}
		if n > 0 {
			dst.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}
