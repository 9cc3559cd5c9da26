package gateway_test

import (
	"bufio"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cove-network/cove/gateway"
)

// callIDs is a mux of the gateway's call routes alone, its handler
// recording the {id} it was given: the id the gateway's mux gives
// handleCall for a request it routes there.
func callIDs() (*http.ServeMux, *string) {
	var id string
	mux := http.NewServeMux()
	for _, p := range gateway.CallRoutes {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { id = r.PathValue("id") })
	}
	return mux, &id
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// checkCallTarget parses method and target as the HTTP server would and
// holds callTarget to the gateway's own mux: a request it takes is one the
// mux routes to a call route (no route added under /agents/ since), with
// the same {id}.
func checkCallTarget(t *testing.T, mux *http.ServeMux, method, target string) (taken bool) {
	t.Helper()
	raw := method + " " + target + " HTTP/1.1\r\nHost: gw.test\r\n\r\n"
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		return false
	}
	id, ok := gateway.CallTarget(r)
	if !ok {
		return false
	}
	if _, route := mux.Handler(r); !slices.Contains(gateway.CallRoutes, route) {
		t.Fatalf("%s %s: callTarget takes it; the gateway's mux routes it to %q", method, target, route)
	}
	ids, muxID := callIDs()
	ids.ServeHTTP(discard{}, r)
	if *muxID != id {
		t.Fatalf("%s %s: callTarget takes it with id %q; the mux gives %q", method, target, id, *muxID)
	}
	return true
}

// TestCallTarget: the calls a client makes go straight to serveCall; a
// path the mux would clean (redirect), CONNECT, an escaped slash and an
// empty id are left to the mux.
func TestCallTarget(t *testing.T) {
	s, _ := newFuzzGateway(t)
	id := knownAgent.String()
	for _, c := range []struct {
		method, target string
		taken          bool
	}{
		{"GET", "/agents/" + id + "/hello?name=Ada", true},
		{"POST", "/agents/" + id, true},
		{"PUT", "/agents/" + id + "/", true},
		{"HEAD", "/agents/" + id + "/a/b/", true},
		{"GET", "/agents/" + id + "/%C3%A9", true},
		{"GET", "/agents/not-an-id/x", true}, // refused by serveCall, as by the mux's route
		{"GET", "/agents/" + id + "/a%2Fb", false},
		{"GET", "/agents/" + id + "%2Fx", false},
		{"GET", "/agents/" + id + "//x", false},
		{"GET", "/agents/" + id + "/./x", false},
		{"GET", "/agents/" + id + "/x/..", false},
		{"GET", "/agents/" + id + "/x/.", false},
		{"GET", "/agents/", false},
		{"GET", "/agents//x", false},
		{"GET", "/agentsx/" + id, false},
		{"GET", "/v1/agents/" + id, false},
		{"CONNECT", "/agents/" + id, false},
	} {
		if got := checkCallTarget(t, s.Mux(), c.method, c.target); got != c.taken {
			t.Errorf("%s %s: taken %v, want %v", c.method, c.target, got, c.taken)
		}
	}
}

// FuzzCallTarget: whatever callTarget takes, the mux routes the same way.
func FuzzCallTarget(f *testing.F) {
	id := knownAgent.String()
	for _, s := range []string{"/agents/" + id + "/x?y", "/agents/" + id + "/../x", "/agents/%30x/x", "/agents/a%2Fb/c", "/agents/" + id + "/./", "/agents/./x", "/agents/../v1", "http://gw.test/agents/" + id + "/x"} {
		f.Add("GET", s)
	}
	s, _ := newFuzzGateway(f)
	f.Fuzz(func(t *testing.T, method, target string) { checkCallTarget(t, s.Mux(), method, target) })
}
