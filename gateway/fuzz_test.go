package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/blob"
	"github.com/cove-network/cove/gateway"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/secret"
)

// The fakes below are in-memory test doubles of the gateway's own
// interfaces, so that fuzzing exercises only the gateway's decoding and
// routing.

type fakeRegistry struct {
	mu     sync.Mutex
	agents map[cove.AgentID]cove.Agent
}

func (r *fakeRegistry) Get(id cove.AgentID) (cove.Agent, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.agents[id]
	if !ok {
		return cove.Agent{}, cove.ErrNotFound
	}
	return a, nil
}

func (r *fakeRegistry) List() ([]cove.Agent, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]cove.Agent, 0, len(r.agents))
	for _, a := range r.agents {
		out = append(out, a)
	}
	return out, nil
}

func (r *fakeRegistry) Put(a cove.Agent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.agents[a.ID]; ok {
		return cove.ErrExists
	}
	r.agents[a.ID] = a
	return nil
}

type fakeBlobs struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (b *fakeBlobs) Put(p []byte) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cid := blob.CID(p)
	b.m[cid] = bytes.Clone(p)
	return cid, nil
}

func (b *fakeBlobs) Get(cid string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, ok := b.m[cid]
	if !ok {
		return nil, blob.ErrNotFound
	}
	return p, nil
}

func (b *fakeBlobs) Has(cid string) bool {
	_, err := b.Get(cid)
	return err == nil
}

// fakeWorkers refuses bundles that contain "syntax error" and answers every
// call with JSON naming the subpath.
type fakeWorkers struct{ blobs *fakeBlobs }

func (w fakeWorkers) Prepare(_ context.Context, a cove.Agent) error {
	code, err := w.blobs.Get(a.CID)
	if err != nil {
		return err
	}
	if bytes.Contains(code, []byte("syntax error")) {
		return errors.New("compile agent: syntax error")
	}
	return nil
}

func (fakeWorkers) ServeAgent(w http.ResponseWriter, r *http.Request, a cove.Agent, subpath string) {
	io.Copy(io.Discard, r.Body)
	// The subpath travels as hex: it may hold any bytes.
	b, _ := json.Marshal(map[string]string{"agent": a.ID.String(), "subpath": hex.EncodeToString([]byte(subpath))})
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func (fakeWorkers) Logs(id cove.AgentID, n int) []cove.Invocation {
	return []cove.Invocation{{RequestID: "r1", Agent: id, Method: "GET", Path: "/", Status: 200}}
}

func (fakeWorkers) Follow(ctx context.Context, id cove.AgentID) <-chan cove.Invocation {
	ch := make(chan cove.Invocation)
	close(ch) // the stream ends at once, so follow requests finish
	return ch
}

type fakeKeys struct{}

func (fakeKeys) ClusterKey() (string, uint32, []byte, error) { return "test", 0, make([]byte, 32), nil }
func (fakeKeys) Attestor(id cove.AgentID) cove.Address {
	var a cove.Address
	copy(a[:], id[:])
	return a
}

// A deployed agent and a stored bundle every fuzz gateway starts with.
var (
	knownCode  = []byte("var __cove_agent = { default: { fetch() { return new Response('hi'); } } };")
	knownCID   = blob.CID(knownCode)
	brokenCode = []byte("syntax error {")
	brokenCID  = blob.CID(brokenCode)
	knownAgent = func() cove.Agent {
		id := cove.DeriveAgentID(cove.Address{}, cove.SHA256(knownCode), cove.Hash{1})
		return cove.Agent{ID: id, CID: knownCID, CodeHash: cove.SHA256(knownCode), Salt: cove.Hash{1}, Attestor: fakeKeys{}.Attestor(id), Version: 1}
	}()
)

func newFuzzGateway(t testing.TB) *gateway.Server {
	blobs := &fakeBlobs{m: map[string][]byte{knownCID: knownCode, brokenCID: brokenCode}}
	reg := &fakeRegistry{agents: map[cove.AgentID]cove.Agent{knownAgent.ID: knownAgent}}
	s, err := gateway.New(gateway.DefaultConfig(), slog.New(slog.DiscardHandler), reg, blobs, fakeWorkers{blobs}, fakeKeys{})
	if err != nil {
		t.Fatal(err)
	}
	s.SetReady(true)
	return s
}

// checkJSONAnswer fails unless the gateway answered below 500 with a JSON
// body (an error body for statuses of 400 and up). A 3xx from the router
// cleaning a path is allowed and must say where to go.
func checkJSONAnswer(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%s: status %d: %s", what, rec.Code, rec.Body)
	}
	if rec.Code >= 300 && rec.Code < 400 {
		if rec.Header().Get("Location") == "" {
			t.Fatalf("%s: redirect %d without Location", what, rec.Code)
		}
		return
	}
	ct := rec.Header().Get("Content-Type")
	if ct != "application/json" && ct != "application/x-ndjson" {
		t.Fatalf("%s: status %d content type %q: %s", what, rec.Code, ct, rec.Body)
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	for {
		var v any
		err := dec.Decode(&v)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: status %d: body is not JSON (%v): %q", what, rec.Code, err, rec.Body)
		}
	}
	if rec.Code >= 400 {
		var eb gateway.ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
			t.Fatalf("%s: status %d: not an error body {error: {code, message}}: %s", what, rec.Code, rec.Body)
		}
	}
}

// FuzzDeployRequest posts arbitrary bodies to POST /v1/agents: malformed
// input must get a 4xx JSON error, never a 5xx or a panic.
func FuzzDeployRequest(f *testing.F) {
	sealed, err := secret.Seal(clusterPublicKey(f), 0, cove.AgentID{}, map[string]string{"A": "b"})
	if err != nil {
		f.Fatal(err)
	}
	sealedJSON, _ := json.Marshal(sealed)
	for _, s := range []string{
		`{"cid":"` + knownCID + `"}`,
		`{"cid":"` + knownCID + `","name":"hello","salt":"0x0100000000000000000000000000000000000000000000000000000000000000","owner":"0x0000000000000000000000000000000000000000"}`,
		`{"cid":"` + knownCID + `","salt":"0x0100000000000000000000000000000000000000000000000000000000000000"}`, // the deployed agent: an idempotent retry
		`{"cid":"` + knownCID + `","salt":"0x0100000000000000000000000000000000000000000000000000000000000000","name":"other"}`,
		`{"cid":"` + knownCID + `","secrets":` + string(sealedJSON) + `}`,
		`{"cid":"` + knownCID + `","secrets":"AAAA"}`,
		`{"cid":"` + knownCID + `","secrets":"!!"}`,
		`{"cid":"` + brokenCID + `"}`,
		`{"cid":"` + blob.CID([]byte("missing")) + `"}`,
		`{"cid":"bafkreiabc"}`,
		`{"cid":""}`,
		`{"cid":"` + knownCID + `","name":"bad name"}`,
		`{"cid":"` + knownCID + `","name":"` + strings.Repeat("n", 65) + `"}`,
		`{"cid":"` + knownCID + `","owner":"0xAbC0000000000000000000000000000000000000"}`,
		`{"cid":"` + knownCID + `","salt":"0x12"}`,
		`{"cid":"` + knownCID + `","unknown":1}`,
		`{"cid":1}`,
		`{"cid":"` + knownCID + `"} trailing`,
		`[]`, `null`, `""`, `{`, "", "\x00\xff", `{"cid":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s := newFuzzGateway(t)
		req := httptest.NewRequest(http.MethodPost, "/v1/agents", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		checkJSONAnswer(t, "deploy", rec)
		if rec.Code == http.StatusCreated || rec.Code == http.StatusOK {
			var v gateway.AgentView
			if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.CID == "" || v.Attestor.IsZero() || !strings.HasSuffix(v.URL, "/agents/"+v.ID.String()) {
				t.Fatalf("deploy answered %d with %s", rec.Code, rec.Body)
			}
		}
	})
}

// clusterPublicKey is the HPKE public key of a fixed test cluster, for
// sealing seed secrets.
func clusterPublicKey(t testing.TB) []byte {
	t.Helper()
	c, err := keys.ClusterFromBytes(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := c.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// FuzzAgentPath sends arbitrary methods and paths under /agents/ (and the
// API's agent routes) through the gateway's router: every answer is JSON
// below 500, and a call of the deployed agent reaches the worker with the
// subpath the gateway received.
func FuzzAgentPath(f *testing.F) {
	id := knownAgent.ID.String()
	for _, s := range [][2]string{
		{"GET", "/agents/" + id + "/hello?name=Ada"},
		{"POST", "/agents/" + id + "/"},
		{"DELETE", "/agents/" + id},
		{"PATCH", "/agents/" + id + "/a/b/c%2Fd?x=%zz"},
		{"GET", "/agents/" + strings.ToUpper(id) + "/x"},
		{"GET", "/agents/0x" + strings.Repeat("0", 64) + "/x"},
		{"GET", "/agents/0x1234/x"},
		{"GET", "/agents/%30x" + id[2:] + "/x"},
		{"GET", "/agents//x"},
		{"GET", "/agents/" + id + "/../../v1/keys"},
		{"GET", "/agents/" + id + "/./x"},
		{"OPTIONS", "*"},
		{"GET", "/v1/agents/" + id},
		{"GET", "/v1/agents/" + id + "/logs?limit=5&follow=1"},
		{"GET", "/v1/agents/" + id + "/logs?limit=abc"},
		{"GET", "/v1/agents/" + id + "/logs?limit=100000"},
		{"GET", "/v1/agents/zz/logs"},
		{"PUT", "/v1/agents/" + id},
		{"GET", "/v1/blobs/" + knownCID},
		{"GET", "/v1/blobs/nope"},
		{"BREW", "/agents/" + id + "/coffee"},
		{"GET", "/agents/" + id + "/\u00e9?\u00e9=1"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, method, target string) {
		// Parse the request as the HTTP server would: what it refuses
		// never reaches the gateway.
		raw := method + " " + target + " HTTP/1.1\r\nHost: gw.test\r\n\r\n"
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil || req.RequestURI == "*" {
			return // net/http.Server answers "OPTIONS *" itself
		}
		s := newFuzzGateway(t)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK && strings.HasPrefix(req.URL.Path, "/v1/blobs/") {
			if !bytes.Equal(rec.Body.Bytes(), knownCode) {
				t.Fatalf("%s %s: blob %q", method, target, rec.Body)
			}
			return // a bundle, not JSON
		}
		checkJSONAnswer(t, method+" "+target, rec)
		if rec.Code == http.StatusOK && strings.HasPrefix(req.URL.Path, "/agents/") {
			var out map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatalf("%s %s: %s", method, target, rec.Body)
			}
			if out["agent"] != knownAgent.ID.String() {
				t.Fatalf("%s %s reached agent %s", method, target, out["agent"])
			}
			sub, err := hex.DecodeString(out["subpath"])
			if err != nil || !bytes.HasPrefix(sub, []byte("/")) || !strings.HasSuffix(req.URL.Path, string(sub[1:])) {
				t.Fatalf("%s %s: the worker got subpath %q for path %q", method, target, sub, req.URL.Path)
			}
		}
	})
}
