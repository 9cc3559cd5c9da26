package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/blob"
	"github.com/cove-network/cove/receipt"
	"github.com/cove-network/cove/secret"
	"github.com/cove-network/cove/worker/ai"
	"github.com/cove-network/cove/worker/sandbox"
)

// ErrNotProvisioned is wrapped by Invoke's error for an agent whose key
// epoch the worker holds no cluster key of yet: no gatekeeper has
// provisioned it.
var ErrNotProvisioned = errors.New("worker not provisioned")

// busyRetryAfter is the Retry-After, in seconds, of an agent_busy refusal.
const busyRetryAfter = 1

// Error codes of what the worker answers, stable for clients. The
// worker_not_provisioned, agent_not_found and request_too_large refusals are
// *cove.Error values (unsigned: no agent ran); the others are signed error
// responses in the api.ErrorBody envelope.
const (
	CodeNotProvisioned = api.CodeWorkerNotProvisioned
	CodeAgentNotFound  = api.CodeAgentNotFound
	CodeTooLarge       = "request_too_large"
	CodeLimit          = "limit_exceeded"
	CodeAgentError     = "agent_error"
	CodeNoResponse     = "no_response"
	CodeCompile        = "agent_code_error"
	CodeNoBundle       = "bundle_unavailable"
	CodeInternal       = "internal"
	CodeBadStatus      = "agent_bad_status"
	CodeBusy           = "agent_busy"
)

// Invoke runs one call of agent id and returns its response with a signed
// receipt (see docs/adr/0010-invoke.md):
//
//   - every failure of the agent (a limit, an exception, broken code, code
//     no node holds) is a response too: a signed JSON error in the
//     api.ErrorBody envelope;
//   - Invoke returns an error only when no signed response can be made: a
//     *cove.Error for an unknown agent (404 agent_not_found), a body larger
//     than max_request_bytes (413 request_too_large) or keys the worker
//     does not hold yet (503 worker_not_provisioned, wrapping
//     ErrNotProvisioned); ctx's error when ctx ended first; anything else is
//     an internal failure.
//
// The receipt covers c.Method, c.Path and c.Body, the status,
// the exact body returned and c.Host with the response headers in
// cove.ReceiptHeaders. What it covers is what HTTP sends: no body for HEAD,
// 204 and 304, no Content-Type for 304 (Go's server drops them). A status
// outside 200-599 from the agent (a 1xx would be sent as 200) becomes a
// signed 502 agent_bad_status error. It is version 2, or version 3 when
// it was signed in a batch with other responses of the agent made at the
// same time (Config.ReceiptBatch, ADR 18).
//
// A call waits for a slot in its agent's own queue (Config.MaxPerAgent,
// slots); when that queue is full it is answered at once with a signed 429
// agent_busy error with a Retry-After header, without running the agent.
// The timestamp is the host's clock (see
// cove.Receipt).
func (s *Server) Invoke(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error) {
	start := time.Now()
	if !c.Worker.IsZero() && c.Worker != s.myID {
		// Unsigned, as a refused payment is: no agent ran.
		return nil, &cove.Error{Status: http.StatusPaymentRequired, Code: api.CodePaymentRequired,
			Message: fmt.Sprintf("the call's payment channel is bound to worker %s, and only that worker runs the calls it pays; this gateway runs calls on worker %s: open a channel bound to it (GET /v1/agents/%s/terms), or call a gateway that routes to %s", c.Worker, s.myID, id, c.Worker)}
	}
	if int64(len(c.Body)) > s.cfg.MaxRequestBytes {
		return nil, &cove.Error{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge,
			Message: "the request body is larger than " + strconv.FormatInt(s.cfg.MaxRequestBytes, 10) + " bytes"}
	}
	rec, err := s.chain.View().Agent(id)
	if errors.Is(err, cove.ErrNotFound) {
		return nil, &cove.Error{Status: http.StatusNotFound, Code: CodeAgentNotFound, Err: err,
			Message: fmt.Sprintf("no agent %s is deployed on this network; deploy one with `cove agent deploy` or list them with `cove agent list`", id)}
	}
	if err != nil {
		return nil, fmt.Errorf("invoke agent %s: %w", id, err)
	}
	a := rec.Agent()
	reqID := newRequestID()
	k, err := s.keysFor(a)
	if errors.Is(err, ErrNotProvisioned) {
		// Unsigned: the worker holds no key that could sign for the agent.
		return nil, &cove.Error{Status: http.StatusServiceUnavailable, Code: CodeNotProvisioned, RetryAfter: time.Second, Err: err,
			Message: "this worker has not been provisioned with the agent's keys yet by a gatekeeper; retry shortly"}
	}
	if err != nil {
		return nil, err
	}
	// The code is loaded (perhaps from a peer) before taking a slot, so
	// agents whose code is slow or impossible to get cannot hold every slot.
	var res *sandbox.Result
	p, runErr := s.program(a)
	if runErr == nil {
		switch err := s.slots.acquire(ctx, a.ID); {
		case errors.Is(err, errAgentBusy):
			// Refused at once, not queued: a signed answer, since the
			// worker holds the agent's keys.
			runErr = err
		case err != nil:
			return nil, fmt.Errorf("invoke agent %s: %w", a.ID, err)
		default:
			res, runErr = s.run(ctx, a, p, k, c)
			s.slots.release(a.ID)
		}
	}
	if runErr != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("invoke agent %s: %w", a.ID, ctx.Err())
	}
	var le *sandbox.LimitError
	if errors.As(runErr, &le) {
		s.metrics.SandboxLimit(le.Limit)
	}

	var resp *cove.Response
	resp, runErr = shapeResponse(c, res, runErr, reqID)
	signed, err := k.receipts.Sign(cove.Receipt{
		Agent:        a.ID,
		CodeHash:     a.CodeHash,
		RequestHash:  cove.RequestHash(c.Method, c.Path, c.Body),
		Status:       uint16(resp.Status),
		ResponseHash: cove.SHA256(resp.Body),
		Timestamp:    uint64(time.Now().Unix()),
		HeadersHash:  cove.HeadersHash(c.Host, resp.Header),
	})
	if err != nil {
		return nil, fmt.Errorf("sign receipt for agent %s: %w", a.ID, err)
	}
	resp.Receipt = &signed

	entry := Invocation{
		RequestID: reqID, Agent: a.ID, Time: start.UTC(), Method: c.Method, Path: c.Path,
		Status: resp.Status, DurationMS: float64(time.Since(start).Microseconds()) / 1000,
	}
	if res != nil {
		entry.Logs, entry.Fetches = res.Logs, res.Fetches
	}
	if runErr != nil {
		entry.Error = runErr.Error()
		// The host's log gets the kind of failure only: the message may
		// hold what the agent put in it (its secrets, its callers' data),
		// and the owner reads it in the sealed invocation log.
		// An internal failure is the worker's own: its detail is logged.
		if code := errorCode(runErr); code == CodeBusy {
			// Refusals come in floods; one line each would be a flood too.
			s.log.Debug("agent call refused", "agent", a.ID, "request", reqID, "code", code)
		} else if code == CodeInternal {
			s.log.Error("agent call failed", "agent", a.ID, "request", reqID, "code", code, "err", runErr)
		} else {
			s.log.Info("agent call failed", "agent", a.ID, "request", reqID, "code", code)
		}
	}
	s.logs.add(entry)
	return resp, nil
}

// Prepare loads and compiles an agent's code and opens its secrets, so that
// a deployment with broken code or secrets sealed to another key fails at
// deploy time and the first call is fast.
func (s *Server) Prepare(ctx context.Context, a cove.Agent) error {
	if _, err := s.program(a); err != nil {
		return err
	}
	_, err := s.keysFor(a)
	return err
}

// program returns the compiled bundle of a, compiling it on first use.
func (s *Server) program(a cove.Agent) (*sandbox.Program, error) {
	s.mu.Lock()
	p := s.programs.get(a.CodeHash)
	s.mu.Unlock()
	s.metrics.CompileCache(p != nil)
	if p != nil {
		return p, nil
	}
	code, err := s.blobs.Get(a.CID)
	if err != nil {
		return nil, fmt.Errorf("load agent %s code %s: %w", a.ID, a.CID, err)
	}
	if cove.SHA256(code) != a.CodeHash {
		return nil, fmt.Errorf("load agent %s: code %s does not match code hash %s", a.ID, a.CID, a.CodeHash)
	}
	p, err = s.engine.Compile(code)
	if err != nil {
		return nil, fmt.Errorf("agent %s: %w", a.ID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Another call (or the chain follower preparing the code) may have
	// compiled it meanwhile: keep the first, since warm VMs are matched to
	// the Program they ran.
	if q := s.programs.get(a.CodeHash); q != nil {
		return q, nil
	}
	s.programs.put(a.CodeHash, p)
	return p, nil
}

// keysFor derives the agent's keys and opens its secrets, caching both.
func (s *Server) keysFor(a cove.Agent) (*agentKeys, error) {
	s.mu.Lock()
	k := s.agents[a.ID]
	s.mu.Unlock()
	if k != nil && k.sealed == string(a.Secrets) {
		return k, nil
	}
	// The agent's keys come from the cluster key of its key epoch, so a
	// rotation never changes its attestor; its secrets open with the key
	// of the epoch they were sealed to.
	cluster, ok := s.ring.Cluster(a.KeyEpoch)
	if !ok {
		return nil, fmt.Errorf("agent %s: key epoch %d: %w", a.ID, a.KeyEpoch, ErrNotProvisioned)
	}
	ak := cluster.Agent(a.ID)
	k = &agentKeys{key: ak, attestor: ak.Attestor(), sealed: string(a.Secrets), secrets: secret.Set{}}
	k.receipts = receipt.NewBatcher(k.attestor, s.cfg.ReceiptBatch)
	k.receipts.Count = &s.signed
	// Once per agent key, not per response: receipt.Sign checks only the
	// signature's form.
	if err := receipt.CheckSigner(k.attestor); err != nil {
		return nil, fmt.Errorf("agent %s: attestor: %w", a.ID, err)
	}
	if len(a.Secrets) > 0 {
		set, err := s.openSecrets(a.ID, a.Secrets)
		if err != nil {
			return nil, fmt.Errorf("agent %s: %w", a.ID, err)
		}
		k.secrets = set
	}
	s.mu.Lock()
	s.agents[a.ID] = k
	s.mu.Unlock()
	return k, nil
}

// openSecrets opens an envelope sealed for id with the cluster key of the
// envelope's epoch (an error wrapping ErrNotProvisioned while the worker
// holds none): agents' secrets, and the AI providers' sealed API keys.
func (s *Server) openSecrets(id cove.AgentID, sealed []byte) (secret.Set, error) {
	e, err := secret.Epoch(sealed)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	sc, ok := s.ring.Cluster(uint64(e))
	if !ok {
		return nil, fmt.Errorf("secrets of key epoch %d: %w", e, ErrNotProvisioned)
	}
	priv, err := sc.HPKE()
	if err != nil {
		return nil, fmt.Errorf("cluster key: %w", err)
	}
	set, err := secret.Open(priv, id, sealed)
	if err != nil {
		return nil, fmt.Errorf("open secrets: %w", err)
	}
	return set, nil
}

func (s *Server) run(ctx context.Context, a cove.Agent, p *sandbox.Program, k *agentKeys, c cove.Call) (*sandbox.Result, error) {
	env := sandbox.Env{
		Secrets: k.secrets,
		DeriveKey: func(path string) ([32]byte, error) {
			return k.key.Derive(path), nil
		},
	}
	if a.Isolation != cove.IsolationRequest {
		// One agent's calls share its warm VMs; a new version (new
		// code or secrets) starts new ones.
		env.Isolate = isolateKey(a)
	}
	// Its calls to ai.cove.internal are metered to its owner.
	ctx = ai.WithAgent(ctx, a.ID, a.Owner)
	return s.engine.Run(ctx, p, sandbox.Request{Method: c.Method, URL: c.URL, Header: http.Header(c.Header), Body: c.Body}, env)
}

// isolateKey is the warm-VM key of a's version, "<id>/<version>": built
// for every call, so without fmt (whose formatting was 2% of a call's CPU).
func isolateKey(a cove.Agent) string {
	var buf [2 + 64 + 1 + 20]byte
	b, _ := a.ID.AppendText(buf[:0])
	return string(strconv.AppendUint(append(b, '/'), a.Version, 10))
}

// shapeResponse turns what the sandbox returned for call c into the
// response a caller gets: the agent's (status, canonical headers without
// the reserved ones, body) or, for runErr, a JSON error in the one
// envelope; a status outside 200-599 becomes a 502 agent_bad_status error
// (returned as the new runErr). It is what HTTP sends: no body for HEAD,
// 204 and 304, no Content-Type for 304 (Go's server drops them), so a
// receipt over it covers what the caller receives.
func shapeResponse(c cove.Call, res *sandbox.Result, runErr error, reqID string) (*cove.Response, error) {
	if runErr == nil && (res.Status < 200 || res.Status > 599) {
		// The sandbox refuses these already; whatever the engine, a status
		// the caller would never get is not signed.
		runErr = &sandbox.StatusError{Status: res.Status}
	}
	resp := &cove.Response{RequestID: reqID}
	if runErr != nil {
		resp.Status, resp.Body = errorResponse(runErr, reqID)
		resp.Header = cove.Header{"Content-Type": {"application/json"}}
		if errors.Is(runErr, errAgentBusy) {
			resp.Header["Retry-After"] = []string{strconv.Itoa(busyRetryAfter)}
		}
	} else {
		resp.Status, resp.Header, resp.Body = res.Status, responseHeader(res.Header), res.Body
	}
	if c.Method == http.MethodHead || resp.Status == http.StatusNoContent || resp.Status == http.StatusNotModified {
		resp.Body = nil
	}
	if resp.Status == http.StatusNotModified {
		delete(resp.Header, "Content-Type")
	}
	return resp, runErr
}

// responseHeader is the agent's header as it will be sent: canonical keys
// (a key in another case is merged into its canonical one, in sorted order,
// so the receipt's headers hash and what the gateway writes agree), without
// the reserved headers.
func responseHeader(in http.Header) cove.Header {
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := make(http.Header, len(in))
	for _, k := range keys {
		for _, v := range in[k] {
			h.Add(k, v)
		}
	}
	api.StripReserved(h)
	return cove.Header(h)
}

// errorResponse maps why an agent did not answer to a status and a JSON body
// in the one error envelope. A hit time limit is 504, code that no node
// holds (or only damaged) 503; every other agent failure is 500.
func errorResponse(err error, reqID string) (int, []byte) {
	body := api.ErrorBody{RequestID: reqID}
	body.Error.Message = err.Error()
	status := http.StatusInternalServerError
	var le *sandbox.LimitError
	var ae *sandbox.AgentError
	var ce *sandbox.CompileError
	switch {
	case errors.As(err, &le):
		body.Error.Code, body.Error.Limit = CodeLimit, le.Limit
		if le.Limit == sandbox.LimitTime {
			status = http.StatusGatewayTimeout
		}
	case errors.Is(err, errAgentBusy):
		status = http.StatusTooManyRequests
		body.Error.Code = CodeBusy
		body.Error.Message = "the agent has as many calls running and waiting on this worker as it may; retry after " + strconv.Itoa(busyRetryAfter) + " s"
	case errors.As(err, &ae):
		body.Error.Code = CodeAgentError
	case errors.As(err, &ce):
		body.Error.Code = CodeCompile
	case errors.As(err, new(*sandbox.StatusError)):
		// The agent answered, but with nothing a gateway can pass on.
		status = http.StatusBadGateway
		body.Error.Code = CodeBadStatus
	case errors.Is(err, sandbox.ErrNoResponse):
		body.Error.Code = CodeNoResponse
	case errors.Is(err, blob.ErrNotFound):
		// The chain names code that neither this node nor its peers hold.
		status = http.StatusServiceUnavailable
		body.Error.Code = CodeNoBundle
		body.Error.Message = "the agent's code is not available on this node or its peers; upload the bundle (PUT /v1/blobs) to a gateway of this network"
	case errors.Is(err, blob.ErrCorrupt):
		// This node's copy no longer matches its CID and no peer gave a
		// good one: the code is unavailable here, as if it were missing
		// (the node logs the damage; the caller needs no more of it).
		status = http.StatusServiceUnavailable
		body.Error.Code = CodeNoBundle
		body.Error.Message = "this node's copy of the agent's code is damaged and no peer had a good one; upload the bundle (PUT /v1/blobs) again or call another node"
	default:
		body.Error.Code = CodeInternal
		body.Error.Message = "the worker could not run the agent (request " + reqID + ")"
	}
	b, _ := json.Marshal(body)
	return status, b
}

// errorCode is the error envelope's code errorResponse gives err.
func errorCode(err error) string {
	_, b := errorResponse(err, "")
	var body api.ErrorBody
	json.Unmarshal(b, &body)
	return body.Error.Code
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	var text [2 * len(b)]byte
	hex.Encode(text[:], b[:])
	return string(text[:])
}
