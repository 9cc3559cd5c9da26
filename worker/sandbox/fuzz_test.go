package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// noNetwork is the HTTP transport of fuzzed engines: agents' fetch calls
// fail without touching any network.
type noNetwork struct{}

func (noNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in fuzz tests")
}

func newFuzzEngine(t testing.TB, l Limits) *Engine {
	t.Helper()
	e, err := New(l, &http.Client{Transport: noNetwork{}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// FuzzURLOp feeds arbitrary operations to the URL host op: it never panics
// and always answers JSON, either an error or parts whose href parses again
// to the same URL.
func FuzzURLOp(f *testing.F) {
	for _, s := range []string{
		`{"input":"https://Example.com:443/p/q?x=1#h"}`,
		`{"input":"/p/q?x=1#h","base":"https://example.com/base"}`,
		`{"input":"../a","base":"http://h/b/c/d"}`,
		`{"input":"http://[::1]:8080/"}`,
		`{"input":"http://user:pa%20ss@host/"}`,
		`{"input":"mailto:someone@example.com"}`,
		`{"input":"data:text/plain,hi"}`,
		`{"input":"http://"}`,
		`{"input":"no scheme"}`,
		`{"input":" \t http://a/\n "}`,
		`{"input":"x","base":"not a base"}`,
		`{"input":"http://a/","base":null}`,
		`{"parts":{"protocol":"https:","hostname":"a.b","port":"8443","pathname":"/x","search":"?q","hash":"#f"}}`,
		`{"parts":{"protocol":"http:","host":"[::1]:1","pathname":"p"}}`,
		`{"parts":{"protocol":":","host":"@@","username":"u:v","password":"p@"}}`,
		`{"parts":null}`,
		`{"input":"http://us%40er:p%3Ass@h/"}`,
		`{"input":"http://a:080/"}`,
		`{"input":"http://a:65536/"}`,
		`{"input":"http://[::ffff:1.2.3.4]/"}`,
		`{"input":"HTTP://A.B/C"}`,
		`{"input":"http://a/b?c#d#e"}`,
		`{"input":"http://a/ b?c d#e f"}`,
		`{"input":"?x","base":"http://a/p?q#h"}`,
		`{"input":"//other/p","base":"https://a/"}`,
		`{"input":"http://a/é?é#é"}`,
		`{"input":1}`, `[]`, `null`, ``, `{`, "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		out := parseURLOp(arg)
		var p urlParts
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatalf("parseURLOp(%q) = %q, not JSON: %v", arg, out, err)
		}
		if p.Error != "" {
			if p.Href != "" {
				t.Fatalf("parseURLOp(%q) = %s: an error with parts", arg, out)
			}
			return
		}
		if p.Href == "" || !strings.HasSuffix(p.Protocol, ":") || !strings.HasPrefix(p.Href, p.Protocol) {
			t.Fatalf("parseURLOp(%q) = %s", arg, out)
		}
		if p.Search != "" && !strings.HasPrefix(p.Search, "?") || p.Hash != "" && !strings.HasPrefix(p.Hash, "#") {
			t.Fatalf("parseURLOp(%q) = %s: search or hash without its prefix", arg, out)
		}
		// href is what URL.toString() gives agents; parsing it again must
		// give the same URL (new URL(String(u)) is a common idiom).
		again, _ := json.Marshal(map[string]string{"input": p.Href})
		var q urlParts
		if err := json.Unmarshal([]byte(parseURLOp(string(again))), &q); err != nil || q.Error != "" || q.Href != p.Href {
			t.Fatalf("parseURLOp(%q) = %s, but its href parses to %+v", arg, out, q)
		}
	})
}

// FuzzHostOps calls the host function of an invocation directly with
// arbitrary operations and arguments of any JS type: it must never panic,
// and each operation keeps its invariants whatever it is given.
func FuzzHostOps(f *testing.F) {
	type seed struct {
		kind          uint8
		op, arg, body string
	}
	for _, s := range []seed{
		{0, "log", "warn\x00hello", ""},
		{0, "log", "bogus\x00x", ""},
		{0, "log", strings.Repeat("x", 300), ""},
		{0, "respond", "200\x00text\x00a\x00b", "hi"},
		{0, "respond", "201\x00base64\x00bad name\x00b\x00x\x00a\r\nb", "aGk="},
		{0, "respond", "99\x00none", ""},
		{0, "respond", "200\x00base64", "!!"},
		{0, "respond", "200\x00weird", ""},
		{0, "respond", "200\x00text", strings.Repeat("y", 2000)},
		{0, "respond", "200\x00text\x00odd", "hi"},
		{0, "respond", "2e2\x00text", "hi"},
		{0, "respond", `{"status":200,"headers":[["a","b"]],"enc":"text"}`, "hi"},
		{0, "fail", "Error: boom\n at x", ""},
		{0, "fail", "\x00limit:response", ""},
		{0, "fail", "null", ""},
		{0, "fail", "InternalError: out of memory", ""},
		{0, "mode", "fetch", ""},
		{0, "fetch", `{"url":"http://example.invalid/","method":"POST","headers":[["a","b"]],"body":"aGk=","enc":"base64","redirect":"manual"}`, ""},
		{0, "fetch", `{"url":"ftp://x/"}`, ""},
		{0, "fetch", `{"url":"http://x/","method":"BAD METHOD"}`, ""},
		{0, "fetch", `{"url":"http://x/","enc":"zz"}`, ""},
		{0, "abort", "1", ""},
		{0, "timer", "10", ""},
		{0, "timer", "-5", ""},
		{0, "timer", "1e308", ""},
		{0, "timer", "NaN", ""},
		{0, "clearTimer", "1", ""},
		{0, "random", "16", ""},
		{0, "random", "65537", ""},
		{0, "random", "-1", ""},
		{0, "digest", "SHA-256\x00YWJj", ""},
		{0, "digest", "MD5\x00YWJj", ""},
		{0, "digest", "SHA-1\x00!!", ""},
		{0, "url", `{"input":"http://a/"}`, ""},
		{0, "derive", "wallet/v1", ""},
		{0, "derive", "", ""},
		{0, "derive", strings.Repeat("p", 257), ""},
		{0, "now", "", ""},
		{0, "nope", "", ""},
		{1, "log", "", ""},
		{2, "timer", "", ""},
		{3, "respond", "", ""},
		{4, "fetch", "", ""},
		{5, "now", "", ""},
		{6, "", "", ""},
	} {
		f.Add(s.kind, s.op, s.arg, s.body)
	}
	e := newFuzzEngine(f, Limits{Requests: 2, ResponseBytes: 1024, LogBytes: 256})
	env := Env{DeriveKey: func(path string) ([32]byte, error) {
		var k [32]byte
		copy(k[:], path)
		return k, nil
	}}
	f.Fuzz(func(t *testing.T, kind uint8, op, arg, body string) {
		inv := newInvocation(context.Background(), e, Request{Method: "GET", URL: "http://agent.test/"}, env)
		defer inv.close()
		iso, err := e.newIsolate("")
		if err != nil {
			t.Fatal(err)
		}
		inv.iso, iso.cur = iso, inv
		args := []any{op}
		switch kind % 7 {
		case 0:
			args = append(args, arg, body)
		case 1:
			args = append(args, arg)
		case 2:
			args = append(args, int64(len(arg)))
		case 3:
			args = append(args, nil, body)
		case 4:
			args = append(args, len(arg)%2 == 0)
		case 5:
			args = append(args, float64(len(arg))/3)
		case 6:
			args = nil // no operation at all
		}
		// Twice: a second call of the same operation must be as safe as the first.
		for range 2 {
			v, err := inv.host(args)
			if err != nil {
				if v != nil {
					t.Fatalf("host(%q): value %v with error %v", args, v, err)
				}
				continue
			}
			switch v.(type) {
			case string, int, undefinedValue:
			default:
				t.Fatalf("host(%q) = %T %v, want a string, an int or undefined", args, v, v)
			}
			if op == "url" {
				if !json.Valid([]byte(v.(string))) {
					t.Fatalf("host url(%q) = %q, not JSON", arg, v)
				}
			}
		}
		if inv.result.Fetches > inv.limits.Requests {
			t.Fatalf("%d fetches started, the limit is %d", inv.result.Fetches, inv.limits.Requests)
		}
		if inv.done && inv.failure == nil {
			r := inv.result
			if r.Status < 100 || r.Status > 599 || int64(len(r.Body)) > inv.limits.ResponseBytes {
				t.Fatalf("accepted response: status %d, %d bytes", r.Status, len(r.Body))
			}
			for k, vs := range r.Header {
				for _, v := range vs {
					if !validHeaderName(k) || !validHeaderValue(v) {
						t.Fatalf("accepted response header %q: %q", k, v)
					}
				}
			}
		}
		var logged int
		for _, l := range inv.result.Logs {
			logged += len(l.Message)
			switch l.Level {
			case "log", "info", "debug", "warn", "error":
			default:
				t.Fatalf("log level %q", l.Level)
			}
		}
		if logged > inv.limits.LogBytes+200 {
			t.Fatalf("%d bytes of logs kept, the limit is %d", logged, inv.limits.LogBytes)
		}
	})
}

// echoAgent answers with the request body read through arrayBuffer() and,
// in headers, its length, its text form's length and one request header.
var echoAgent = agent(`{ async fetch(req) {
	let h = null;
	try { h = req.headers.get(req.headers.get("x-fuzz-name")); } catch (e) {}
	const b = await req.arrayBuffer();
	return new Response(b, { headers: { "x-len": String(b.byteLength), "x-h": JSON.stringify(h) } });
} }`)

// textAgent answers with the request body read through text().
var textAgent = agent(`{ async fetch(req) { return new Response(await req.text()); } }`)

// FuzzRequestBody runs a fetch-handler agent with arbitrary request bodies
// and one arbitrary header: the sandbox must not panic, a valid request must
// be answered, and the body must round-trip through request.arrayBuffer()
// byte for byte (and through request.text() when it is UTF-8).
func FuzzRequestBody(f *testing.F) {
	for _, s := range []struct {
		method, name, value string
		body                []byte
	}{
		{"POST", "content-type", "text/plain", []byte("hello")},
		{"POST", "x-a", "b", []byte("héllo wörld €𝄞")},
		{"PUT", "x-bin", "1", []byte{0, 1, 2, 0xff, 0xfe, 0x80}},
		{"POST", "x-nul", "a\x00b", []byte("a\x00b")},
		{"POST", "bad name", "v", []byte("x")},
		{"POST", "x-crlf", "a\r\nb", nil},
		{"PATCH", "x-latin1", "\xe9t\xe9", []byte("\xed\xa0\x80")}, // a UTF-16 surrogate in "UTF-8"
		{"POST", "x-bom", "1", []byte("\xef\xbb\xbfbom")},
		{"POST", "x-space", "  padded  ", []byte(" ")},
		{"DELETE", "x-u2028", "\u2028", []byte("\u2028\u2029\"\\<>&")},
		{"POST", "x-big", "1", bytes.Repeat([]byte{0xc3}, 5000)},
		{"GET", "x-get", "1", []byte("ignored for GET")},
	} {
		f.Add(s.method, s.name, s.value, s.body)
	}
	e := newFuzzEngine(f, Limits{})
	echo, err := e.Compile([]byte(echoAgent))
	if err != nil {
		f.Fatal(err)
	}
	text, err := e.Compile([]byte(textAgent))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, name, value string, body []byte) {
		switch strings.ToUpper(method) {
		case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
			method = strings.ToUpper(method)
		default:
			method = "POST"
		}
		h := http.Header{"X-Fuzz-Name": {name}}
		h[name] = append(h[name], value)
		req := Request{Method: method, URL: "http://agent.test/echo", Header: h, Body: body}
		res, err := e.Run(context.Background(), echo, req, Env{})
		// What Go's HTTP server would pass on: valid names and values.
		valid := validHeaderName(name) && validHeaderValue(value) && !strings.ContainsFunc(value, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f })
		if err != nil {
			if valid {
				t.Fatalf("%s with header %q: %q and a %d-byte body: %v", method, name, value, len(body), err)
			}
			return
		}
		want := body
		if method == "GET" || method == "HEAD" {
			want = nil
		}
		if res.Status != 200 || !bytes.Equal(res.Body, want) || res.Header.Get("X-Len") != strconv.Itoa(len(want)) {
			t.Fatalf("%s body %q: answered %d %q (x-len %s)", method, want, res.Status, res.Body, res.Header.Get("X-Len"))
		}
		if valid && utf8.ValidString(value) && !strings.EqualFold(name, "x-fuzz-name") {
			// JS trims the value's surrounding whitespace, as fetch does.
			want := strings.Trim(value, " \t\r\n")
			var got *string
			if err := json.Unmarshal([]byte(res.Header.Get("X-H")), &got); err != nil || got == nil || *got != want {
				t.Fatalf("header %q: %q reached the agent as %s, want %q", name, value, res.Header.Get("X-H"), want)
			}
		}
		if utf8.Valid(want) {
			res, err := e.Run(context.Background(), text, req, Env{})
			if err != nil || res.Status != 200 || !bytes.Equal(res.Body, want) {
				t.Fatalf("text round trip of %q: %v %q", want, err, res.Body)
			}
		}
	})
}
