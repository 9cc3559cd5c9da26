package client_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testchain"
	"github.com/cove-network/cove/internal/testnet"
	"github.com/cove-network/cove/receipt"
)

// mirror answers what it saw (a fetch handler), an HTML page that sets a
// cookie, a redirect, and JSON with headers of its own.
const mirror = `export default { async fetch(req) {
  const u = new URL(req.url);
  if (u.pathname === "/page") return new Response("<script>document.cookie</script>", {headers: {"content-type": "text/html", "set-cookie": "session=agent; Path=/"}});
  if (u.pathname === "/go") return new Response(null, {status: 302, headers: {location: "/next"}});
  if (u.pathname === "/gz") return new Response(new Uint8Array(GZ), {headers: {"content-type": "text/plain", "content-encoding": "gzip"}});
  return Response.json({url: req.url, path: u.pathname, search: u.search}, {headers: {"cache-control": "no-store", "x-agent": "yes"}});
} }`

// mirrorMain is mirror's request-JSON twin: it answers its path and
// queries, with the status that ?status= names and a body and Content-Type
// whatever the status.
const mirrorMain = `export default async function main(request) {
  const r = JSON.parse(request);
  if (r.queries.status) return JSON.stringify({status: Number(r.queries.status[0]), headers: {"content-type": "text/plain"}, body: "a body"});
  return JSON.stringify({status: 200, body: {path: r.path, queries: r.queries}});
}`

// deploy deploys src as an agent of dev.
func deploy(t *testing.T, c *client.Client, dev *testchain.Key, name, src string) cove.AgentID {
	t.Helper()
	file := filepath.Join(t.TempDir(), name+".js")
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := c.Deploy(ctxFor(t, 30*time.Second), file, client.DeployOptions{Signer: dev, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// TestTrustThroughNode runs issue 15's items 5, 6 and 9 through a real
// node (gateway, worker, chain), each refusal beside its control:
//   - the agent sees the request target the receipt covers, in both agent
//     styles (an escaped "?" is no query, escaped slashes no parent path);
//   - on the gateway's shared origin an HTML agent cannot set cookies and is
//     sandboxed, while JSON responses keep their headers;
//   - receipts are version 2: a proxy that changes Content-Type or Location
//     or the Host makes verification fail; an honest proxy verifies.
func TestTrustThroughNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node; skipped with -short")
	}
	dev := testchain.NewKey(t)
	base := testnet.Dev(t, dev.Address())
	c, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxFor(t, 90*time.Second)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("hello, compressed"))
	zw.Close()
	gzJS := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(gz.Bytes())), ","), "[]")
	fetchID := deploy(t, c, dev, "mirror", "const GZ = ["+gzJS+"];\n"+mirror)
	mainID := deploy(t, c, dev, "mirror-main", mirrorMain)
	call := func(c *client.Client, id cove.AgentID, path string) (*client.Response, receipt.Signed, error) {
		t.Helper()
		resp, err := c.Call(ctx, id, http.MethodGet, path, nil, nil)
		if err != nil {
			t.Fatalf("call %s: %v", path, err)
		}
		a, err := c.Agent(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		s, err := resp.Verify(a.Attestor)
		return resp, s, err
	}

	t.Run("the agent sees the covered target", func(t *testing.T) {
		for _, tt := range []struct{ path, agentPath, search, queries string }{
			{"/admin?debug=1", "/admin", "?debug=1", `{"debug":["1"]}`}, // the control
			{"/admin%3Fdebug=1", "/admin%3Fdebug=1", "", `{}`},
			{"/%2F..%2Fadmin", "/%2F..%2Fadmin", "", `{}`},
		} {
			resp, s, err := call(c, fetchID, tt.path)
			if err != nil || !s.Receipt.CoversHeaders() {
				t.Fatalf("%s: verify (version %d): %v", tt.path, s.Receipt.V(), err)
			}
			var saw struct{ URL, Path, Search string }
			if err := json.Unmarshal(resp.Body, &saw); err != nil {
				t.Fatalf("%s: %s", tt.path, resp.Body)
			}
			if saw.URL != base+tt.path || saw.Path != tt.agentPath || saw.Search != tt.search {
				t.Fatalf("%s: the fetch handler saw %+v (receipt covers %s)", tt.path, saw, resp.RequestURI)
			}
			resp, _, err = call(c, mainID, tt.path)
			if want := `{"path":"` + tt.agentPath + `","queries":` + tt.queries + `}`; err != nil || string(resp.Body) != want {
				t.Fatalf("%s: main saw %s, want %s (verify: %v)", tt.path, resp.Body, want, err)
			}
		}
	})

	// The receipt covers what HTTP sends for statuses without a body, and
	// a 1xx is refused, signed.
	t.Run("statuses", func(t *testing.T) {
		for _, tt := range []struct {
			status, want int
			body         string
		}{
			{200, 200, "a body"}, {204, 204, ""}, {304, 304, ""}, {101, 502, ""},
		} {
			resp, s, err := call(c, mainID, "/?status="+strconv.Itoa(tt.status))
			if err != nil || resp.Status != tt.want || s.Receipt.Status != uint16(tt.want) || (tt.body != "" && string(resp.Body) != tt.body) {
				t.Fatalf("status %d: got %d %q, receipt %d: %v", tt.status, resp.Status, resp.Body, s.Receipt.Status, err)
			}
			if tt.want == 502 && !strings.Contains(string(resp.Body), `"agent_bad_status"`) {
				t.Fatalf("status %d: %s", tt.status, resp.Body)
			}
		}
	})

	t.Run("shared origin", func(t *testing.T) {
		resp, _, err := call(c, fetchID, "/json") // the control
		if err != nil || resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Agent") != "yes" {
			t.Fatalf("json: %v %v", resp.Header, err)
		}
		// A gzipped body arrives as the agent sent it, and verifies.
		resp, _, err = call(c, fetchID, "/gz")
		if err != nil || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("gzip: %v %v", resp.Header, err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(resp.Body))
		if err != nil {
			t.Fatal(err)
		}
		if b, err := io.ReadAll(zr); err != nil || string(b) != "hello, compressed" {
			t.Fatalf("gzip body %q: %v", b, err)
		}
		resp, _, err = call(c, fetchID, "/page")
		if err != nil {
			t.Fatalf("page: %v", err)
		}
		if resp.Header.Get("Set-Cookie") != "" || resp.Header.Get("Content-Type") != "text/html" ||
			resp.Header.Get("Content-Security-Policy") != api.AgentCSP || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("page headers %v: want no cookie, the sandbox CSP and nosniff", resp.Header)
		}
	})

	t.Run("headers covered", func(t *testing.T) {
		target, _ := url.Parse(base)
		proxy := func(edit func(*http.Response)) *client.Client {
			rp := httputil.NewSingleHostReverseProxy(target)
			rp.ModifyResponse = func(r *http.Response) error { edit(r); return nil }
			srv := httptest.NewServer(rp)
			t.Cleanup(srv.Close)
			pc, err := client.New(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			return pc
		}
		honest := proxy(func(*http.Response) {})
		if _, s, err := call(honest, fetchID, "/json"); err != nil || !s.Receipt.CoversHeaders() {
			t.Fatalf("through an honest proxy (the control): %v", err)
		}
		if resp, _, err := call(honest, fetchID, "/go"); err != nil || resp.Status != 302 || resp.Header.Get("Location") != "/next" {
			t.Fatalf("redirect through an honest proxy (the control): %v", err)
		}
		ct := proxy(func(r *http.Response) { r.Header.Set("Content-Type", "text/html") })
		if _, _, err := call(ct, fetchID, "/json"); !errors.Is(err, receipt.ErrMismatch) || !strings.Contains(err.Error(), "headers hash") {
			t.Fatalf("a proxy changed Content-Type: %v, want ErrMismatch", err)
		}
		loc := proxy(func(r *http.Response) {
			if r.Header.Get("Location") != "" {
				r.Header.Set("Location", "https://evil.example/")
			}
		})
		if _, _, err := call(loc, fetchID, "/json"); err != nil {
			t.Fatalf("the Location proxy leaves /json alone (a control): %v", err)
		}
		if _, _, err := call(loc, fetchID, "/go"); !errors.Is(err, receipt.ErrMismatch) {
			t.Fatalf("a proxy changed Location: %v, want ErrMismatch", err)
		}
		// A proxy that sends the gateway another Host than the caller's.
		host := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target) }})
		t.Cleanup(host.Close)
		hc, err := client.New(host.URL)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := call(hc, fetchID, "/json"); !errors.Is(err, receipt.ErrMismatch) {
			t.Fatalf("a proxy changed the Host: %v, want ErrMismatch", err)
		}
	})
}
