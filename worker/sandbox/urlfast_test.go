package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"testing"
)

// TestURLFastPath: the runtime parses simple absolute http(s) URLs itself
// (prelude.js, parseSimpleURL) and leaves the rest to the host's parser.
// For every URL of a corpus built around the fast path's edges, new URL in
// the runtime must give exactly what the host's parser gives; and the
// plain ones must not have reached the host (else the fast path is dead).
func TestURLFastPath(t *testing.T) {
	corpus := urlCorpus()
	e := newEngine(t, Limits{})
	in, _ := json.Marshal(corpus)
	code := agent(`{ fetch() {
		const out = [];
		for (const s of ` + string(in) + `) {
			try { const u = new URL(s); out.push({ href: u.href, protocol: u.protocol, username: u.username, password: u.password, host: u.host, hostname: u.hostname, port: u.port, pathname: u.pathname, search: u.search, hash: u.hash, origin: u.origin }); }
			catch (e) { out.push({ error: String(e.message) }); }
		}
		return Response.json(out);
	} }`)
	before := e.urlOps.Load()
	res, err := run(t, e, code, Request{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	hostParsed := int(e.urlOps.Load() - before)
	var got []urlParts
	if err := json.Unmarshal(res.Body, &got); err != nil || len(got) != len(corpus) {
		t.Fatalf("%d results for %d URLs: %v", len(got), len(corpus), err)
	}
	canonical := 0
	for i, s := range corpus {
		arg, _ := json.Marshal(map[string]any{"input": s, "base": nil})
		var want urlParts
		if err := json.Unmarshal([]byte(parseURLOp(string(arg))), &want); err != nil {
			t.Fatal(err)
		}
		// canonicalURL (the Go scan that spares the received request's
		// URL a parse) accepts only URLs that parse to themselves.
		if canonicalURL(s) {
			canonical++
			if want.Error != "" || want.Href != s {
				t.Errorf("canonicalURL(%q) but it parses to %q (%s)", s, want.Href, want.Error)
			}
		}
		g := got[i]
		if want.Error != "" {
			if g.Error == "" {
				t.Errorf("%q: the runtime parsed %+v, the host refuses it (%s)", s, g, want.Error)
			}
			continue
		}
		if fmt.Sprintf("%+v", g) != fmt.Sprintf("%+v", want) {
			t.Errorf("%q:\n runtime %+v\n host    %+v", s, g, want)
		}
	}
	fast := len(corpus) - hostParsed
	t.Logf("%d URLs: %d parsed by the runtime's fast path, %d by the host", len(corpus), fast, hostParsed)
	if canonical < 100 {
		t.Errorf("canonicalURL accepted %d of %d URLs: the corpus no longer tests it", canonical, len(corpus))
	}
	if fast < 100 || hostParsed < 100 {
		t.Errorf("fast path took %d of %d URLs: the corpus no longer tests both paths", fast, len(corpus))
	}
}

// TestURLEmptyPathSegment: a URL of a non-special scheme without a host
// whose path starts with an empty segment serialises with "/." in front of
// the path, and one with an empty host with "//", so that the href parses
// back to the same URL, as WHATWG (and Node 20, whose values these are)
// does: before, "a:////p" became "a://p", a URL with host "p". Dot segments
// stay unresolved (TestRawTarget).
func TestURLEmptyPathSegment(t *testing.T) {
	e := newEngine(t, Limits{})
	code := agent(`{ fetch() {
		const out = [];
		const show = (u) => [u.href, u.pathname, u.host, new URL(u.href).href];
		out.push(show(new URL("a:////p")));
		out.push(show(new URL("a://h//p")));
		const set = new URL("a:/x"); set.pathname = "//p"; out.push(show(set));
		const keep = new URL("a:////p"); keep.pathname = "/q"; out.push(show(keep));
		out.push(show(new URL("http://a.test/x/../y")));
		return Response.json(out);
	} }`)
	res, err := run(t, e, code, Request{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	want := `[["a:////p","//p","","a:////p"],["a://h//p","//p","h","a://h//p"],["a:/.//p","//p","","a:/.//p"],["a:///q","/q","","a:///q"],["http://a.test/x/../y","/x/../y","a.test","http://a.test/x/../y"]]`
	if string(res.Body) != want {
		t.Fatalf("got  %s\nwant %s", res.Body, want)
	}
}

// urlCorpus is URLs built around the runtime's fast paths' edges: hosts,
// ports, paths and queries that are and are not canonical.
func urlCorpus() []string {
	hosts := []string{"a.test", "A.test", "localhost", "x-y.example.com", "-a.test", "a-.test", "1.2.3.4", "127.1", "0x7f.1", "a.1", "a.1a", "xn--nxasmq6b.test", "a.xn--p1ai", "a..test", "a.test.", "ab--c.test", "a_b.test", "é.test", "127.0.0.1", "10.0.0.255", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1.02.3.4", "0x1.2.3.4"}
	ports := []string{"", ":80", ":443", ":8080", ":0", ":080", ":65535", ":65536", ":99999", ":"}
	paths := []string{"", "/", "/a/b", "/a/./b", "/a/../b", "/.", "/..", "/a/.", "/%2e/", "/a%20b", "/a b", "/'q'", "/a\"b", "/a|b", "/a^b", "/~user/", "/a@b:c", "//x"}
	queries := []string{"", "?", "?a=1&b=2", "?a='1'", "?a=%41", "?a b", "?a=1?b", "?q=\"x\"", "?x=<y>", "?a=+b"}
	var corpus []string
	for _, scheme := range []string{"http", "https", "HTTP", "ftp"} {
		for _, h := range hosts {
			for _, p := range ports {
				corpus = append(corpus, scheme+"://"+h+p+"/x")
			}
			for _, p := range paths {
				corpus = append(corpus, scheme+"://"+h+p)
			}
			for _, q := range queries {
				corpus = append(corpus, scheme+"://"+h+"/p"+q)
			}
		}
	}
	corpus = append(corpus, "http://u:p@a.test/", "http://a.test/#f", " http://a.test/", "http://a.test/\t", "https://a.test:443", "http://a.test:80/?")
	return corpus
}

// TestRequestURLSplit: new URL(request.url) on the URL of the request
// being served is split without the parser when the host found that URL
// canonical (prelude.js, splitRequestURL); every field must be what the
// host's parser gives, for each URL of the corpus as a request's URL, and
// for the ones the host re-serialised first (not canonical) too; and a
// canonical one must run no regular expression (an agent-visible count,
// with a control URL that does). At least 100 URLs take the split.
func TestRequestURLSplit(t *testing.T) {
	e := newEngine(t, Limits{})
	// The agent counts the runtime's regular-expression matches (through
	// RegExp.prototype.exec, which the fast path's exec and test call):
	// none for a split URL; the control, another simple URL, has some.
	p, err := e.Compile([]byte(agent(`{ fetch(request) {
		const exec = RegExp.prototype.exec;
		let calls = 0;
		RegExp.prototype.exec = function (s) { calls++; return exec.call(this, s); };
		let u, splitCalls, controlCalls, kept;
		try {
			u = new URL(request.url);
			// Read first, these come from the kept string (prelude.js,
			// HREF_FIELDS); the rest below split it.
			const parts = Object.getOwnPropertySymbols(u).find((s) => String(s) === "Symbol(parts)");
			kept = { pathname: u.pathname, search: u.search, href: u.href };
			kept.unsplit = u[parts] === null;
			splitCalls = calls;
			new URL("http://control.test/x");
			controlCalls = calls - splitCalls;
		} finally { RegExp.prototype.exec = exec; }
		return Response.json({ href: u.href, protocol: u.protocol, username: u.username, password: u.password, host: u.host, hostname: u.hostname, port: u.port, pathname: u.pathname, search: u.search, hash: u.hash, origin: u.origin, splitCalls, controlCalls, kept });
	} }`)))
	if err != nil {
		t.Fatal(err)
	}
	split := 0
	for _, s := range urlCorpus() {
		url, simple := requestURL(s)
		if simple {
			split++
		}
		arg, _ := json.Marshal(map[string]any{"input": url, "base": nil})
		var want urlParts
		if err := json.Unmarshal([]byte(parseURLOp(string(arg))), &want); err != nil {
			t.Fatal(err)
		}
		if want.Error != "" {
			continue // the gateway never sends such a URL
		}
		res, err := e.Run(context.Background(), p, Request{Method: "GET", URL: s}, Env{Isolate: "split"})
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		var got urlParts
		var calls struct {
			SplitCalls, ControlCalls int
			Kept                     struct {
				Pathname, Search, Href string
				Unsplit                bool
			}
		}
		if err := json.Unmarshal(res.Body, &got); err != nil {
			t.Fatalf("%q: %s", s, res.Body)
		}
		json.Unmarshal(res.Body, &calls)
		if k := calls.Kept; k.Pathname != want.Pathname || k.Search != want.Search || k.Href != want.Href {
			t.Errorf("%q: read first, pathname %q search %q href %q; the host's are %q %q %q", s, k.Pathname, k.Search, k.Href, want.Pathname, want.Search, want.Href)
		}
		if calls.ControlCalls == 0 {
			t.Fatalf("%q: the control URL ran no regular expression: the count no longer tells", s)
		}
		if calls.Kept.Unsplit != simple {
			t.Errorf("%q (canonical %v): after pathname, search and href, the URL kept its string unsplit: %v", s, simple, calls.Kept.Unsplit)
		}
		if simple && calls.SplitCalls != 0 {
			t.Errorf("%q is canonical, but new URL(request.url) ran %d regular expressions", s, calls.SplitCalls)
		}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("%q (canonical %v):\n runtime %+v\n host    %+v", s, simple, got, want)
		}
	}
	if split < 100 {
		t.Errorf("only %d URLs were canonical: the corpus no longer tests the split", split)
	}
}

// TestHeadersJSON: the request headers' JSON is encoding/json's, to the
// byte, for any byte in a name or value.
func TestHeadersJSON(t *testing.T) {
	for _, v := range []string{"", "plain value; q=0.9", "<&>", `a "quoted" value`, `back\slash`, "tab\there", "\x7f", "é", "\xff\xfe", "\u2028"} {
		want, _ := json.Marshal([][2]string{{"X-V", v}})
		if got := headersJSON(http.Header{"X-V": {v}}); got != string(want) {
			t.Errorf("%q: %s, want %s", v, got, want)
		}
	}
	// Several names and values: the same pairs in map order.
	h := http.Header{"Accept": {"*/*", "text/html"}, "X-A": {"1"}}
	got := headersJSON(h)
	var g [][2]string
	if err := json.Unmarshal([]byte(got), &g); err != nil || len(g) != 3 {
		t.Fatalf("%s: %v", got, err)
	}
	sort.Slice(g, func(i, j int) bool { return g[i][0]+g[i][1] < g[j][0]+g[j][1] })
	if fmt.Sprint(g) != "[[Accept */*] [Accept text/html] [X-A 1]]" {
		t.Errorf("%s", got)
	}
}

// TestQueryGet holds URLSearchParams.get on a query string not yet split
// (queryGet, for a query without '%' or '+') to get on its pairs
// (_pairs, which reading size makes first): 3000 random queries of names,
// '=', '&', '?' and empty parts, each with nine names. Then get after the
// URL's search, href and the params themselves change.
func TestQueryGet(t *testing.T) {
	e := newEngine(t, Limits{})
	code := agent(`{ fetch() {
		let seed = 7;
		const rnd = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
		const atoms = ["a", "b", "ab", "=", "&", "&&", "?", "x=1", "", "\u00e9", "a=", "=a", "a=b=c"];
		const names = ["", "a", "b", "ab", "a=", "?a", "x", "\u00e9", "=a"];
		let n = 0, found = 0;
		const bad = [];
		for (let c = 0; c < 3000; c++) {
			let q = "";
			for (let i = rnd(9); i > 0; i--) q += atoms[rnd(atoms.length)];
			for (const k of names) {
				const lazy = new URLSearchParams(q).get(k);
				const p = new URLSearchParams(q);
				p.size;
				const listed = p.get(k);
				n++;
				if (listed !== null) found++;
				if (lazy !== listed) bad.push([q, k, lazy, listed]);
			}
		}
		const u = new URL("http://a.test/p?a=1&b");
		const sp = u.searchParams;
		const seen = [sp.get("a"), sp.get("b"), sp.get("c")];
		u.search = "?a=2";
		seen.push(sp.get("a"), sp.get("b"));
		sp.append("c", "3 4");
		seen.push(u.search, sp.get("c"));
		u.href = "http://a.test/?z=9";
		seen.push(sp.get("z"), sp.get("a"), new URLSearchParams("a=%20x+y&a=2").get("a"), new URLSearchParams(7).get("7"));
		return Response.json({ n, found, bad: bad.slice(0, 5), seen });
	} }`)
	res, err := run(t, e, code, Request{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		N, Found int
		Bad      [][]any
		Seen     []any
	}
	if err := json.Unmarshal(res.Body, &got); err != nil {
		t.Fatalf("%v: %s", err, res.Body)
	}
	if got.N != 27000 || got.Found < 1000 || len(got.Bad) > 0 {
		t.Fatalf("%d gets, %d found: the query string and its pairs disagree on %v", got.N, got.Found, got.Bad)
	}
	want := []any{"1", "", nil, "2", nil, "?a=2&c=3+4", "3 4", "9", nil, " x y", ""}
	if !reflect.DeepEqual(got.Seen, want) {
		t.Fatalf("get after changes: %v, want %v", got.Seen, want)
	}
}

// TestKeptRequestURL: a URL made from the request's own URL keeps the
// string (prelude.js, URL) and must act as one parsed: its setters, its
// searchParams writing back, toString and toJSON, and a copy kept in
// module state read in a later call of the same warm VM, made for another
// URL. Each call reports whether its URL was kept (the runtime's parts
// field, reached through its symbol, still null after the kept fields are
// read), so the test sees the kept path taken.
func TestKeptRequestURL(t *testing.T) {
	e := newEngine(t, Limits{})
	p, err := e.Compile([]byte(agent(`(() => { let first = null; return { fetch(request) {
		const u = new URL(request.url);
		const parts = Object.getOwnPropertySymbols(u).find((s) => String(s) === "Symbol(parts)");
		const read = [u.href, u.pathname, u.search, String(u), JSON.stringify(u)];
		const kept = u[parts] === null;
		const q = u.searchParams.get("q");
		u.searchParams.set("q", "2");
		const afterParams = u.href;
		const v = new URL(request.url);
		v.pathname = "/set";
		const w = new URL(request.url);
		w.host = "other.test:8080";
		const x = new URL(request.url);
		x.search = "?z=1";
		const out = { kept, read, q, afterParams, pathname: v.href, host: w.href, origin: w.origin, search: [x.href, x.searchParams.get("z")], earlier: first && [first.href, first.pathname, first.host] };
		if (first === null) first = new URL(request.url);
		let threw = false;
		try { URL.prototype.toString.call({ href: "fake" }); } catch (e) { threw = e instanceof TypeError; }
		out.threw = threw;
		return Response.json(out);
	} }; })()`)))
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct{ url, want string }{
		{"http://a.test/p?q=1", `{"kept":true,"read":["http://a.test/p?q=1","/p","?q=1","http://a.test/p?q=1","\"http://a.test/p?q=1\""],"q":"1","afterParams":"http://a.test/p?q=2",` +
			`"pathname":"http://a.test/set?q=1","host":"http://other.test:8080/p?q=1","origin":"http://other.test:8080","search":["http://a.test/p?z=1","1"],"earlier":null,"threw":true}`},
		{"https://b.test:8443/x/y", `{"kept":true,"read":["https://b.test:8443/x/y","/x/y","","https://b.test:8443/x/y","\"https://b.test:8443/x/y\""],"q":null,"afterParams":"https://b.test:8443/x/y?q=2",` +
			`"pathname":"https://b.test:8443/set","host":"https://other.test:8080/x/y","origin":"https://other.test:8080","search":["https://b.test:8443/x/y?z=1","1"],"earlier":["http://a.test/p?q=1","/p","a.test"],"threw":true}`},
	} {
		res, err := e.Run(context.Background(), p, Request{Method: "GET", URL: c.url}, Env{Isolate: "kept"})
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && !res.Warm {
			t.Fatalf("call %d ran in a new VM: the kept URL is not read in a later call", i)
		}
		if string(res.Body) != c.want {
			t.Errorf("%s:\n got  %s\n want %s", c.url, res.Body, c.want)
		}
	}
}

// TestRequestURLAllocs: the scan of a canonical request URL, run on every
// call, allocates nothing (canonicalURL, canonicalHost).
func TestRequestURLAllocs(t *testing.T) {
	for _, s := range []string{"http://a.test/p?q=1", "http://127.0.0.1:8080/x", "https://a-b.c.example/x/y?z"} {
		if _, simple := requestURL(s); !simple {
			t.Fatalf("%q is not canonical: the test would measure the parser", s)
		}
		if n := testing.AllocsPerRun(100, func() { requestURL(s) }); n != 0 {
			t.Errorf("requestURL(%q): %v allocations, want 0", s, n)
		}
	}
}

// TestURLSearchParamsOwnQuery: a URL's searchParams are made from its own
// query, kept or split, not from a search getter the agent put on
// URL.prototype (as in Node).
func TestURLSearchParamsOwnQuery(t *testing.T) {
	e := newEngine(t, Limits{})
	res, err := run(t, e, agent(`{ fetch(request) {
		Object.defineProperty(URL.prototype, "search", { get() { return "?q=evil"; } });
		return Response.json([new URL(request.url).searchParams.get("q"), new URL("http://x.test/?q=2").searchParams.get("q")]);
	} }`), Request{URL: "http://a.test/p?q=1"}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Body) != `["1","2"]` {
		t.Errorf("got %s, want [\"1\",\"2\"]", res.Body)
	}
}
