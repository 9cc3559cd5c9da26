package gateway

import (
	"bufio"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// callRouter is the gateway's mux as far as calls go: callRoutes, routes
// of the API beside them, and a catch-all; its handler records the route
// and the {id} it was given.
func callRouter() (*http.ServeMux, *string, *string) {
	var route, id string
	mux := http.NewServeMux()
	for _, p := range append(slices.Clone(callRoutes), "GET /v1/agents/{id}", "GET /{$}", "/") {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { route, id = r.Pattern, r.PathValue("id") })
	}
	return mux, &route, &id
}

// checkCallTarget parses method and target as the HTTP server would and
// holds callTarget to the mux: a request it takes is one the mux routes
// to a call with the same {id}.
func checkCallTarget(t *testing.T, method, target string) (taken bool) {
	t.Helper()
	raw := method + " " + target + " HTTP/1.1\r\nHost: gw.test\r\n\r\n"
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		return false
	}
	id, ok := callTarget(r)
	if !ok {
		return false
	}
	mux, route, muxID := callRouter()
	mux.ServeHTTP(discard{}, r)
	if !slices.Contains(callRoutes, *route) || *muxID != id {
		t.Fatalf("%s %s: callTarget takes it with id %q; the mux routes it to %q with id %q", method, target, id, *route, *muxID)
	}
	return true
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// TestCallTarget: the calls a client makes go straight to serveCall; a
// path the mux would clean (redirect), CONNECT, an escaped slash in the
// id and an empty id are left to the mux.
func TestCallTarget(t *testing.T) {
	id := "0x" + strings.Repeat("ab", 32)
	for _, c := range []struct {
		method, target string
		taken          bool
	}{
		{"GET", "/agents/" + id + "/hello?name=Ada", true},
		{"POST", "/agents/" + id, true},
		{"PUT", "/agents/" + id + "/", true},
		{"GET", "/agents/" + id + "/a/b/", true},
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
		if got := checkCallTarget(t, c.method, c.target); got != c.taken {
			t.Errorf("%s %s: taken %v, want %v", c.method, c.target, got, c.taken)
		}
	}
}

// FuzzCallTarget: whatever callTarget takes, the mux routes the same way.
func FuzzCallTarget(f *testing.F) {
	id := "0x" + strings.Repeat("cd", 32)
	for _, s := range []string{"/agents/" + id + "/x?y", "/agents/" + id + "/../x", "/agents/%30x/x", "/agents/a%2Fb/c", "/agents/" + id + "/./", "/agents/./x", "/agents/../v1"} {
		f.Add("GET", s)
	}
	f.Fuzz(func(t *testing.T, method, target string) { checkCallTarget(t, method, target) })
}
