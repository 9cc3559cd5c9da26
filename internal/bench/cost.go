package bench

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/receipt"
	"github.com/cove-network/cove/worker/sandbox"
)

// Cost is the mean cost of one operation repeated on one goroutine.
type Cost struct {
	N    int           // operations run
	Each time.Duration // mean wall time of one
	// CPU is the mean CPU time of this process per operation (0 where the
	// platform does not say). Unlike Each it does not grow when other
	// processes take the core, but it includes this process's other
	// goroutines, the garbage collector's among them.
	CPU time.Duration
}

// Millis returns Each in milliseconds.
func (c Cost) Millis() float64 { return float64(c.Each) / float64(time.Millisecond) }

// CPUMillis returns CPU in milliseconds.
func (c Cost) CPUMillis() float64 { return float64(c.CPU) / float64(time.Millisecond) }

// SandboxCost runs an agent bundle (the output of bundle.Build) in the
// worker's sandbox, as the worker does for each call: with warm, in a warm
// VM of the agent (isolation "agent", the default: the agent's handler and
// the response); without, in a fresh VM each time (isolation "request": a
// new VM, the runtime, the agent, the response). It runs in a loop on one
// goroutine for about d. It checks that every run answers 200 and returns the mean cost of one
// run. Compiling the bundle, done once per agent by the worker, is not
// counted.
func SandboxCost(ctx context.Context, code []byte, url string, d time.Duration, warm bool) (Cost, error) {
	e, err := sandbox.New(sandbox.Limits{}, http.DefaultClient)
	if err != nil {
		return Cost{}, err
	}
	p, err := e.Compile(code)
	if err != nil {
		return Cost{}, err
	}
	defer e.Close()
	req := sandbox.Request{Method: http.MethodGet, URL: url, Header: http.Header{"Accept": {"*/*"}}}
	env := sandbox.Env{}
	if warm {
		env.Isolate = "bench"
	}
	return loop(ctx, d, func() error {
		res, err := e.Run(ctx, p, req, env)
		if err != nil {
			return fmt.Errorf("run agent: %w", err)
		}
		if res.Status != http.StatusOK {
			return fmt.Errorf("run agent: status %d: %s", res.Status, truncate(string(res.Body), 200))
		}
		return nil
	})
}

// SignCost signs receipts as the worker does for a call signed alone (the
// headers hash of a version-2 receipt, then receipt.Sign: the EIP-712
// digest and a secp256k1 signature; the signer is checked once per agent,
// not here) in a loop on one goroutine for about d, with an attestor
// derived from a fixed master key the way the gatekeeper derives it. With
// batch > 1 each round signs batch receipts with one signature
// (receipt.SignBatch, version 3, as the worker does under load) and the
// cost returned is per receipt.
func SignCost(ctx context.Context, d time.Duration, batch int) (Cost, error) {
	var b [32]byte
	for i := range b {
		b[i] = byte(i + 1)
	}
	m, err := keys.MasterFromBytes(b[:])
	if err != nil {
		return Cost{}, err
	}
	id := cove.AgentID(cove.SHA256([]byte("bench agent")))
	att := m.Cluster(keys.DefaultCluster).Agent(id).Attestor()
	r := receipt.Receipt{
		Version:      cove.ReceiptV2,
		Agent:        id,
		CodeHash:     cove.SHA256([]byte("code")),
		RequestHash:  cove.RequestHash(http.MethodGet, "/agents/"+id.String()+"/hello?name=Ada", nil),
		Status:       http.StatusOK,
		ResponseHash: cove.SHA256([]byte(`{"greeting":"Hello Ada","agent":"hello"}`)),
	}
	batch = max(batch, 1)
	rs := make([]receipt.Receipt, batch)
	c, err := loop(ctx, d, func() error {
		for i := range rs {
			rs[i] = r
			rs[i].Timestamp = uint64(time.Now().Unix())
			rs[i].HeadersHash = cove.HeadersHash("127.0.0.1:8700", cove.Header{"Content-Type": {"application/json"}})
		}
		if batch == 1 {
			_, err := receipt.Sign(att, rs[0])
			return err
		}
		_, err := receipt.SignBatch(att, rs)
		return err
	})
	c.N *= batch
	c.Each /= time.Duration(batch)
	c.CPU /= time.Duration(batch)
	return c, err
}

// loop runs f until d has passed (at least 3 times) and returns its mean.
func loop(ctx context.Context, d time.Duration, f func() error) (Cost, error) {
	if err := f(); err != nil { // warm up, and fail fast
		return Cost{}, err
	}
	cpu0, ok0 := ProcessCPU()
	start := time.Now()
	n := 0
	for n < 3 || time.Since(start) < d {
		if err := ctx.Err(); err != nil {
			return Cost{}, err
		}
		if err := f(); err != nil {
			return Cost{}, err
		}
		n++
	}
	c := Cost{N: n, Each: time.Since(start) / time.Duration(n)}
	if cpu1, ok1 := ProcessCPU(); ok0 && ok1 {
		c.CPU = (cpu1 - cpu0) / time.Duration(n)
	}
	return c, nil
}
