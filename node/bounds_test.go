package node_test

import (
	"bytes"
	"net/http"
	"path/filepath"
	"testing"
)

// TestRequestBoundFollowsWorker: on a node, the gateway reads as much of a
// call's body as its worker accepts (worker.max_request_bytes, set above
// the gateway's own default here), as it did before the gateway had a
// bound of its own; one byte more is refused.
func TestRequestBoundFollowsWorker(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	cfg.Worker.MaxRequestBytes = 6 << 20
	n := startNode(t, cfg, newSigner(t))
	a := n.deploy(t, filepath.Join(examples, "hello.ts"), nil)
	body := bytes.Repeat([]byte("x"), 6<<20)
	if resp := n.call(t, a, http.MethodPost, "/hello", body, nil); resp.Status != 200 {
		t.Fatalf("a 6 MiB body under a 6 MiB worker bound: %d %s", resp.Status, resp.Body)
	}
	jsonError(t, "POST", n.base+"/agents/"+a.ID.String()+"/hello", string(body)+"x", 413, "request_too_large")
}
