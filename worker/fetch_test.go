package worker_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/cove-network/cove/worker"
)

// TestFetchErrorHidesResolver: an agent's fetch of a name that does not
// resolve fails with a message that names the lookup, not the host's DNS
// resolver (whose address is the host's, not the agent's business).
func TestFetchErrorHidesResolver(t *testing.T) {
	e := newEnv(t, worker.DefaultConfig())
	e.provision(t, 0)
	id := e.deploy(t, `var __cove_agent = { default: { async fetch() {
		try { await fetch("http://api.example.invalid/"); return new Response("fetched?!") }
		catch (err) { return new Response(String(err && err.message)) }
	} } };`, nil)
	resp, err := e.w.Invoke(context.Background(), id, call(http.MethodGet, "/", ""))
	if err != nil || resp.Status != 200 {
		t.Fatalf("%+v, %v", resp, err)
	}
	msg := string(resp.Body)
	if !strings.Contains(msg, "lookup api.example.invalid") || regexp.MustCompile(`lookup \S+ on `).MatchString(msg) {
		t.Fatalf("the agent saw %q: want the lookup named without the resolver", msg)
	}
	t.Logf("the agent saw: %s", msg)
}
