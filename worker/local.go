package worker

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/secret"
	"github.com/cove-network/cove/worker/sandbox"
)

// Local runs one agent's code as a worker runs it (the same sandbox,
// limits, egress policy and runtime, warm VMs included, and the same
// response shaping and error envelope) but without a chain, keys from a
// gatekeeper or receipts: `cove agent run`, the local runner, like
// Chainlink Functions' simulateScript or wrangler dev.
//
// cove.deriveKey works, from a throwaway key made for this Local: the keys
// it derives are not the ones the agent gets once deployed.
type Local struct {
	engine  *sandbox.Engine
	program *sandbox.Program
	env     sandbox.Env
}

// LocalAgent is the id a Local's agent is known by in its derived keys and
// warm VMs: the SHA-256 of its code.
func LocalAgent(code []byte) cove.AgentID { return cove.AgentID(cove.SHA256(code)) }

// NewLocal compiles code (a bundle, as `cove agent deploy` makes) for a
// worker configured by cfg, with the agent's secrets (names as
// secret.ValidName wants). Broken code fails here, with the message a
// deploy would get.
func NewLocal(cfg Config, code []byte, secrets map[string]string) (*Local, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for name := range secrets {
		if err := secret.ValidName(name); err != nil {
			return nil, fmt.Errorf("secret %q: %w", name, err)
		}
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
	id := LocalAgent(code)
	ak := m.Cluster(cfg.Cluster).Agent(id)
	return &Local{engine: engine, program: p, env: sandbox.Env{
		Secrets:   secrets,
		DeriveKey: func(path string) ([32]byte, error) { return ak.Derive(path), nil },
		Isolate:   "local/" + id.String(),
	}}, nil
}

// Call runs the agent for c (c.URL is what the agent sees as request.url)
// and returns the response a caller of the deployed agent would get
// (without a receipt) and what the agent logged. A failure of the agent is
// a response too, in the one error envelope (api.ErrorBody), with the same
// status and code a worker answers; the error is ctx's when ctx ended
// first.
func (l *Local) Call(ctx context.Context, c cove.Call) (*cove.Response, []cove.LogLine, error) {
	if c.URL == "" || !strings.Contains(c.URL, "://") {
		return nil, nil, errors.New("local call: the URL the agent sees must be absolute")
	}
	res, runErr := l.engine.Run(ctx, l.program, sandbox.Request{Method: c.Method, URL: c.URL, Header: http.Header(c.Header).Clone(), Body: c.Body}, l.env)
	if runErr != nil && ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	resp, _ := shapeResponse(c, res, runErr, newRequestID())
	var logs []cove.LogLine
	if res != nil {
		logs = res.Logs
	}
	return resp, logs, nil
}

// Close closes the warm VMs.
func (l *Local) Close() { l.engine.Close() }
