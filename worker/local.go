package worker

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/secret"
	"github.com/cove-network/cove/worker/sandbox"
)

// Local runs one agent's code as a worker runs it behind a gateway (the
// same sandbox, limits, egress policy and runtime, warm VMs included; the
// request headers only Cove may set removed; the same response shaping,
// error envelope and shared-origin header policy) but without a chain,
// keys from a gatekeeper or receipts: `cove agent run`, the local runner,
// like Chainlink Functions' simulateScript or wrangler dev.
//
// cove.deriveKey works, from a throwaway key made for this Local: the keys
// it derives are not the ones the agent gets once deployed.
type Local struct {
	cfg     Config
	engine  *sandbox.Engine
	program *sandbox.Program
	env     sandbox.Env
}

// LocalResult is what Local.Call returns.
type LocalResult struct {
	// Response is what a caller of the deployed agent gets, without a
	// receipt: the agent's answer or the worker's error envelope.
	Response *cove.Response
	// Logs are the agent's console output.
	Logs []cove.LogLine
	// Err is why the agent did not answer (nil when it did): the error
	// the envelope in Response is made from, with its detail.
	Err error
}

// NewLocal compiles code (a bundle, as `cove agent deploy` makes) for a
// worker configured by cfg, with the agent's secrets, which must pass what
// a deploy checks (secret.Validate). Broken code fails here, with the
// message a deploy would get.
func NewLocal(cfg Config, code []byte, secrets map[string]string) (*Local, error) {
	// A loopback IP with port * (a test's mock servers) is allowed here,
	// in the local runner, and nowhere on a node.
	check := cfg
	check.EgressAllow = slices.DeleteFunc(slices.Clone(cfg.EgressAllow), func(a string) bool { return strings.HasSuffix(strings.TrimSpace(a), ":*") })
	if err := check.Validate(); err != nil {
		return nil, err
	}
	if err := secret.Validate(secrets); err != nil {
		return nil, err
	}
	engine, err := NewSandbox(cfg)
	if err != nil {
		return nil, err
	}
	p, err := engine.Compile(code)
	if err != nil {
		engine.Close()
		return nil, err
	}
	m, err := keys.NewMaster(rand.Reader)
	if err != nil {
		engine.Close()
		return nil, err
	}
	// The agent is known by the SHA-256 of its code in its derived keys
	// and warm VMs.
	id := cove.AgentID(cove.SHA256(code))
	ak := m.Cluster(cfg.Cluster).Agent(id)
	return &Local{cfg: cfg, engine: engine, program: p, env: sandbox.Env{
		Secrets:   secrets,
		DeriveKey: func(path string) ([32]byte, error) { return ak.Derive(path), nil },
		Isolate:   "local/" + id.String(),
	}}, nil
}

// Call runs the agent for c (c.URL is what the agent sees as request.url)
// and returns the response a caller of the deployed agent would get
// (without a receipt) and what the agent logged. A failure of the agent is
// a response too, in the one error envelope (api.ErrorBody), with the same
// status and code a worker answers, and its cause in LocalResult.Err. The
// error is ctx's when ctx ended first, or a request body larger than the
// worker takes (Config.MaxRequestBytes: a gateway answers 413).
func (l *Local) Call(ctx context.Context, c cove.Call) (*LocalResult, error) {
	return l.call(ctx, c, l.env)
}

// CallWith is Call with secrets in place of the ones NewLocal got (a test
// harness's per-request secrets; `cove agent test`). Calls with the same
// secrets share warm VMs, as a deployed agent's calls do.
func (l *Local) CallWith(ctx context.Context, c cove.Call, secrets map[string]string) (*LocalResult, error) {
	if err := secret.Validate(secrets); err != nil {
		return nil, err
	}
	env := l.env
	env.Secrets = secrets
	b, _ := json.Marshal(secrets) // sorted keys: one isolate per set
	env.Isolate = l.env.Isolate + "/" + cove.SHA256(b).String()
	return l.call(ctx, c, env)
}

func (l *Local) call(ctx context.Context, c cove.Call, env sandbox.Env) (*LocalResult, error) {
	if c.URL == "" || !strings.Contains(c.URL, "://") {
		return nil, errors.New("local call: the URL the agent sees must be absolute")
	}
	if int64(len(c.Body)) > l.cfg.MaxRequestBytes {
		return nil, fmt.Errorf("local call: the request body is %d bytes, a worker takes at most %d (413 request_too_large)", len(c.Body), l.cfg.MaxRequestBytes)
	}
	h := http.Header(c.Header).Clone()
	if h == nil {
		h = http.Header{}
	}
	api.StripReserved(h) // as the gateway does
	res, runErr := l.engine.Run(ctx, l.program, sandbox.Request{Method: c.Method, URL: c.URL, Header: h, Body: c.Body}, env)
	if runErr != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	resp, runErr := shapeResponse(c, res, runErr, newRequestID())
	api.SandboxOrigin(http.Header(resp.Header)) // as the gateway does
	out := &LocalResult{Response: resp, Err: runErr}
	if res != nil {
		out.Logs = res.Logs
	}
	return out, nil
}

// Close closes the warm VMs.
func (l *Local) Close() { l.engine.Close() }
