// Package client is the Go client of a Cove gateway, used by the CLI, the
// tests and anyone embedding Cove. Deploy bundles an agent, seals its
// secrets to the cluster key and deploys it; Call invokes an agent and
// VerifyResponse checks the receipt that comes back.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/bundle"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/receipt"
	"github.com/cove-network/cove/secret"
)

// DefaultGateway is the gateway `cove dev` serves.
const DefaultGateway = "http://127.0.0.1:8700"

// Error is an error response from the gateway.
type Error struct {
	Status  int
	Code    string
	Message string
	// Payment is a 402 payment_required's terms: the price and, when the
	// call named one, the channel's state.
	Payment *api.PaymentTerms
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("gateway answered %d", e.Status)
	}
	return e.Message
}

// Client talks to one gateway.
type Client struct {
	base string
	http *http.Client
	// verifier checks headers for the chain state c relies on; nil: the
	// gateway is trusted (see SetVerifier).
	verifier HeaderVerifier

	mu      sync.Mutex
	chainID uint64   // the gateway's numeric chain id, once asked
	maxFee  *big.Int // the maxFee of every transaction Send signs; nil: none
	observe func(chain.TxOutcome)
}

// New returns a client of the gateway at base (e.g. http://127.0.0.1:8700).
func New(base string) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("gateway URL %q: want http://HOST:PORT", base)
	}
	// No transparent gzip: net/http would decompress an agent's gzipped
	// body and drop its Content-Encoding, and the receipt covers both as
	// the agent sent them.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableCompression = true
	return &Client{base: strings.TrimSuffix(base, "/"), http: &http.Client{Transport: tr, CheckRedirect: agentRedirect}}, nil
}

// Base returns the gateway URL.
func (c *Client) Base() string { return c.base }

func (c *Client) do(ctx context.Context, method, path string, body io.Reader, contentType string, out any) error {
	var h map[string]string
	if contentType != "" {
		h = map[string]string{"Content-Type": contentType}
	}
	return c.doWith(ctx, method, path, body, h, out)
}

// doWith is do with request headers: it sends the request, decodes a 2xx
// JSON answer into out (when not nil) and any other as an *Error.
func (c *Client) doWith(ctx context.Context, method, path string, body io.Reader, header map[string]string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("reach gateway %s: %w (is `cove dev` running? set --gateway or COVE_GATEWAY)", c.base, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read gateway response: %w", err)
	}
	if resp.StatusCode >= 300 {
		return decodeError(resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode gateway response: %w", err)
	}
	return nil
}

func decodeError(status int, b []byte) error {
	var eb api.ErrorBody
	if json.Unmarshal(b, &eb) == nil && eb.Error.Message != "" {
		return &Error{Status: status, Code: eb.Error.Code, Message: eb.Error.Message, Payment: eb.Payment}
	}
	return &Error{Status: status, Message: fmt.Sprintf("gateway answered %d: %s", status, strings.TrimSpace(string(b)))}
}

// Health returns nil when the gateway answers /healthz with 200.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/healthz", nil, "", nil)
}

// Keys returns the cluster key secrets are sealed to.
func (c *Client) Keys(ctx context.Context) (api.KeyInfo, error) {
	var k api.KeyInfo
	err := c.do(ctx, http.MethodGet, "/v1/keys", nil, "", &k)
	return k, err
}

// PutBlob uploads a bundle and returns its CID.
func (c *Client) PutBlob(ctx context.Context, b []byte) (string, error) {
	var out struct {
		CID string `json:"cid"`
	}
	err := c.do(ctx, http.MethodPut, "/v1/blobs", bytes.NewReader(b), "application/javascript", &out)
	return out.CID, err
}

// DeployOptions are the parts of a deployment besides the code.
type DeployOptions struct {
	// Signer is the owner's key; it signs the DeployAgent transaction.
	Signer  Signer
	Name    string
	Secrets map[string]string
	// Salt makes the agent id; zero picks a random one (a new agent each deploy).
	Salt cove.Hash
	// Isolation is cove.IsolationAgent (or empty: the default) or
	// cove.IsolationRequest; see chain.DeployAgent.
	Isolation string
	// Sponsor, if set, pays for the DeployAgent that Signer signs (a
	// SponsoredTx under its policy): Signer needs no COVE.
	Sponsor Signer
}

// Deploy bundles the agent at path (a file or a folder with package.json),
// uploads it, seals its secrets to the cluster key bound to the agent id it
// will have, and sends a DeployAgent transaction signed by opts.Signer.
//
// Security: secrets are sealed here, on the client; the gateway, the chain
// and every store only ever see ciphertext. The key they are sealed to is
// proven from chain state when c has a HeaderVerifier (SetVerifier);
// without one, the gateway is trusted to name it (SealingKey).
func (c *Client) Deploy(ctx context.Context, path string, opts DeployOptions) (api.AgentView, error) {
	bnd, err := bundle.Build(path)
	if err != nil {
		return api.AgentView{}, err
	}
	return c.DeployCode(ctx, bnd.Code, opts)
}

// DeployCode is Deploy for code already bundled.
func (c *Client) DeployCode(ctx context.Context, code []byte, opts DeployOptions) (api.AgentView, error) {
	if opts.Signer == nil {
		return api.AgentView{}, errors.New("deploy: no signer (pass --from NAME)")
	}
	salt := opts.Salt
	if salt.IsZero() {
		rand.Read(salt[:])
	}
	cid, err := c.PutBlob(ctx, code)
	if err != nil {
		return api.AgentView{}, fmt.Errorf("upload bundle: %w", err)
	}
	codeHash := cove.SHA256(code)
	id := cove.DeriveAgentID(opts.Signer.Address(), codeHash, salt)
	sealed, err := c.seal(ctx, id, opts.Secrets)
	if err != nil {
		return api.AgentView{}, err
	}
	deploy := func(nonce uint64) chain.Msg {
		return chain.DeployAgent{Name: opts.Name, CID: cid, CodeHash: codeHash, Salt: salt, Secrets: sealed, Isolation: opts.Isolation, Nonce: nonce}
	}
	var out chain.TxOutcome
	if opts.Sponsor != nil {
		out, err = c.SendSponsored(ctx, opts.Signer, opts.Sponsor, deploy)
	} else {
		out, err = c.Send(ctx, opts.Signer, deploy)
	}
	var te *TxError
	if errors.As(err, &te) && te.Outcome.Code == chain.CodeExists {
		// The id (owner, code hash, salt) is taken: most often by this
		// same deploy, committed by an earlier try whose answer was lost.
		a, aerr := c.Agent(ctx, id)
		if aerr != nil {
			return api.AgentView{}, err
		}
		return a, &AgentExistsError{Agent: a, SameCode: a.CodeHash == codeHash && a.CID == cid, Err: te}
	}
	if err != nil {
		return api.AgentView{}, err
	}
	a, err := c.Agent(ctx, id)
	if err != nil {
		return api.AgentView{ID: id}, fmt.Errorf("deploy committed in block %d (tx %s) as agent %s; read it back: %w", out.Height, out.Hash, id, err)
	}
	return a, nil
}

// AgentExistsError is a deploy the chain refused because its agent id
// (owner, code hash and salt) is taken, with the agent that holds it: the
// retry of a deploy that committed finds its agent with SameCode (secrets
// are not compared, being sealed anew each time); without SameCode the
// agent was upgraded to other code since. It wraps the chain's refusal
// (a *TxError with chain.CodeExists).
type AgentExistsError struct {
	Agent    api.AgentView
	SameCode bool
	Err      *TxError
}

func (e *AgentExistsError) Unwrap() error { return e.Err }

func (e *AgentExistsError) Error() string {
	if e.SameCode {
		return fmt.Sprintf("agent %s already exists with this code (code hash %s, version %d): this deploy committed before", e.Agent.ID, e.Agent.CodeHash, e.Agent.Version)
	}
	return fmt.Sprintf("agent %s exists with other code (code hash %s, version %d, upgraded since): deploy with another salt, or upgrade it", e.Agent.ID, e.Agent.CodeHash, e.Agent.Version)
}

// Upgrade replaces an agent's code (and, if secrets is not nil, its
// secrets) with an UpgradeAgent transaction; only the owner may.
func (c *Client) Upgrade(ctx context.Context, id cove.AgentID, path string, s Signer, secrets map[string]string) (api.AgentView, error) {
	m, err := c.UpgradeMsg(ctx, id, path, secrets)
	if err != nil {
		return api.AgentView{}, err
	}
	out, err := c.Send(ctx, s, func(nonce uint64) chain.Msg {
		m.Nonce = nonce
		return m
	})
	if err != nil {
		return api.AgentView{}, err
	}
	a, err := c.Agent(ctx, id)
	if err != nil {
		return api.AgentView{ID: id}, fmt.Errorf("upgrade committed in block %d (tx %s); read agent %s back: %w", out.Height, out.Hash, id, err)
	}
	return a, nil
}

// UpgradeMsg builds the agent at path, uploads the bundle, seals secrets
// (none: the agent keeps its own) and returns the UpgradeAgent that
// points agent id at it, unsigned (an agent DAO proposes it: Propose).
func (c *Client) UpgradeMsg(ctx context.Context, id cove.AgentID, path string, secrets map[string]string) (chain.UpgradeAgent, error) {
	bnd, err := bundle.Build(path)
	if err != nil {
		return chain.UpgradeAgent{}, err
	}
	cid, err := c.PutBlob(ctx, bnd.Code)
	if err != nil {
		return chain.UpgradeAgent{}, fmt.Errorf("upload bundle: %w", err)
	}
	sealed, err := c.seal(ctx, id, secrets)
	if err != nil {
		return chain.UpgradeAgent{}, err
	}
	return chain.UpgradeAgent{Agent: id, CID: cid, CodeHash: cove.SHA256(bnd.Code), Secrets: sealed}, nil
}

// seal seals secrets to the cluster key (SealingKey: proven with a
// verifier, the gateway's word without) for agent id; no secrets, no bytes.
func (c *Client) seal(ctx context.Context, id cove.AgentID, secrets map[string]string) ([]byte, error) {
	if len(secrets) == 0 {
		return nil, nil
	}
	k, err := c.SealingKey(ctx)
	if err != nil {
		return nil, err
	}
	sealed, err := secret.Seal(k.PublicKey, k.Epoch, id, secrets)
	if err != nil {
		return nil, fmt.Errorf("seal secrets: %w", err)
	}
	return sealed, nil
}

// agentRedirect stops at an agent's redirect: Call returns the agent's own
// response, the one its receipt covers (as curl does without -L), not
// whatever the Location names. Other requests follow redirects as usual.
func agentRedirect(req *http.Request, via []*http.Request) error {
	if strings.HasPrefix(via[0].URL.Path, "/agents/") {
		return http.ErrUseLastResponse
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}

// Agents lists the deployed agents.
func (c *Client) Agents(ctx context.Context) ([]api.AgentView, error) {
	var out struct {
		Agents []api.AgentView `json:"agents"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/agents", nil, "", &out)
	return out.Agents, err
}

// Agent returns one agent.
func (c *Client) Agent(ctx context.Context, id cove.AgentID) (api.AgentView, error) {
	var a api.AgentView
	err := c.do(ctx, http.MethodGet, "/v1/agents/"+id.String(), nil, "", &a)
	return a, err
}

// Response is an agent's HTTP response as received. The receipt headers of
// a streamed body, which arrive as HTTP trailers, are in Header too.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Method, RequestURI, Host and RequestBody are what was sent, for
	// Verify.
	Method      string
	RequestURI  string
	Host        string
	RequestBody []byte
}

// Call invokes an agent: method on /agents/{id}/{path} (path may hold a
// query). Agent error statuses are not Go errors: check Response.Status. An
// agent's redirect is returned, not followed: its receipt covers it.
func (c *Client) Call(ctx context.Context, id cove.AgentID, method, path string, body []byte, header http.Header) (*Response, error) {
	path = "/" + strings.TrimPrefix(path, "/")
	uri := "/agents/" + id.String() + path
	if path == "/" {
		uri = "/agents/" + id.String() + "/"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+uri, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("call agent: %w", err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach gateway %s: %w (is `cove dev` running?)", c.base, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read agent response: %w", err)
	}
	if resp.Header.Get(receipt.HeaderReceipt) == "" && resp.Trailer.Get(receipt.HeaderReceipt) != "" {
		// A streamed body: its receipt came as trailers, once the body
		// had ended. Verify reads it from Header like a buffered one's.
		for _, k := range []string{receipt.HeaderReceipt, receipt.HeaderSignature, receipt.HeaderSigner} {
			resp.Header[k] = resp.Trailer.Values(k)
		}
	}
	if resp.Header.Get(receipt.HeaderReceipt) == "" && resp.StatusCode >= 400 {
		// The gateway refused the call before any worker ran it.
		return nil, decodeError(resp.StatusCode, b)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b, Method: method, RequestURI: req.URL.RequestURI(), Host: requestHost(req), RequestBody: body}, nil
}

// requestHost is the Host a request names: what net/http sends.
func requestHost(req *http.Request) string {
	if req.Host != "" {
		return req.Host
	}
	return req.URL.Host
}

// Verify checks r's receipt: the signature, that it was signed by signer
// (unless signer is zero), and that it covers exactly this request,
// response body and status and, for a version-2 or -3 receipt, the Host
// the request named and the response headers in cove.ReceiptHeaders (a
// proxy that changed Content-Type or Location fails it). A version-3
// receipt was signed in a batch (ADR 18): its Merkle proof is checked
// against the signature too.
//
// A version-1 receipt (from a worker older than version 2) verifies
// without covering the Host or any header: the returned receipt's
// CoversHeaders says which the caller got.
func (r *Response) Verify(signer cove.Address) (receipt.Signed, error) {
	s, err := VerifyResponse(r.Header, r.Body, r.Status, signer)
	if err != nil {
		return s, err
	}
	err = receipt.Check(s, receipt.Exchange{Method: r.Method, Target: r.RequestURI, Host: r.Host, RequestBody: r.RequestBody,
		Status: r.Status, Header: r.Header, Body: r.Body})
	if err != nil {
		return s, err
	}
	return s, nil
}

// VerifyResponse checks a response's receipt offline without the request:
// the signature, the signer (unless zero), the response hash and status.
// It cannot check the request hash or a version-2 or -3 receipt's headers hash,
// which covers the request's Host: see receipt.Check and
// receipt.CheckHeaders.
func VerifyResponse(h http.Header, body []byte, status int, signer cove.Address) (receipt.Signed, error) {
	s, err := receipt.FromHeaders(h)
	if err != nil {
		return s, err
	}
	if err := receipt.Verify(s); err != nil {
		return s, err
	}
	if !signer.IsZero() && s.Signer != signer {
		return s, fmt.Errorf("%w: signed by %s, expected the agent's attestor %s", receipt.ErrBadSignature, s.Signer, signer)
	}
	if status == 0 { // unknown: check the body only
		status = int(s.Receipt.Status)
	}
	if err := receipt.CheckResponse(s.Receipt, status, body); err != nil {
		return s, err
	}
	return s, nil
}

// Logs writes an agent's invocation log to fn: the last limit entries, then
// with follow new ones until ctx ends.
//
// Only the agent's owner may read its logs: owner signs a short-lived
// authorization (see api.HeaderAuth).
func (c *Client) Logs(ctx context.Context, owner Signer, id cove.AgentID, limit int, follow bool, fn func(cove.Invocation)) error {
	q := "?limit=" + strconv.Itoa(limit)
	if follow {
		q += "&follow=1"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/agents/"+id.String()+"/logs"+q, nil)
	if err != nil {
		return err
	}
	auth, err := c.Authorize(ctx, owner, http.MethodGet, req.URL.EscapedPath())
	if err != nil {
		return fmt.Errorf("sign logs request: %w", err)
	}
	req.Header.Set(api.HeaderAuth, auth)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("reach gateway %s: %w", c.base, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return decodeError(resp.StatusCode, b)
	}
	dec := json.NewDecoder(resp.Body)
	for {
		var e cove.Invocation
		if err := dec.Decode(&e); err != nil {
			if err == io.EOF || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("read logs: %w", err)
		}
		fn(e)
	}
}

// Authorize returns a Cove-Auth header value (see api.Auth) by which
// signer authorizes one request, method on path (as sent, escaped, without
// the query), at this gateway: the audience is the host of the gateway URL,
// the chain id the gateway's (asked once), the nonce random, and it expires
// api.AuthLifetime from now. Each request needs its own.
//
// Security: the header is good only at a gateway that answers to this
// URL's host, for this method and path, once, for a few minutes.
func (c *Client) Authorize(ctx context.Context, signer Signer, method, path string) (string, error) {
	u, err := url.Parse(c.base)
	if err != nil {
		return "", fmt.Errorf("authorize: gateway URL: %w", err)
	}
	chainID, err := c.NumericChainID(ctx)
	if err != nil {
		return "", fmt.Errorf("authorize: %w", err)
	}
	a := api.Auth{
		Audience: strings.ToLower(u.Host), Method: method, Path: path,
		Expiry: uint64(time.Now().Add(api.AuthLifetime).Unix()), ChainID: chainID,
	}
	rand.Read(a.Nonce[:])
	if a.Signature, err = signer.Sign(a.Digest()); err != nil {
		return "", fmt.Errorf("authorize: %w", err)
	}
	return a.Header(), nil
}

// NumericChainID returns the numeric chain id that transactions and
// Cove-Auth headers are signed for, asking once: with a HeaderVerifier
// (SetVerifier) it is proven from chain state, else the gateway's word.
//
// Security: a gateway that lied about the chain id would have the caller
// sign for another Cove chain, where it could replay the signature (a
// transfer, say). With a trust root, the id comes from the trusted chain.
func (c *Client) NumericChainID(ctx context.Context) (uint64, error) {
	c.mu.Lock()
	id := c.chainID
	c.mu.Unlock()
	if id != 0 {
		return id, nil
	}
	if c.Verified() {
		p, err := c.ProveState(ctx, chain.ChainIDKey())
		if err != nil {
			return 0, fmt.Errorf("chain id: %w", err)
		}
		if p.Value == nil || json.Unmarshal(p.Value, &id) != nil || id == 0 {
			return 0, fmt.Errorf("chain id: the proven value %q is not a chain id", p.Value)
		}
	} else {
		st, err := c.ChainStatus(ctx)
		if err != nil {
			return 0, fmt.Errorf("get chain id: %w", err)
		}
		id = st.NumericChainID
	}
	c.mu.Lock()
	c.chainID = id
	c.mu.Unlock()
	return id, nil
}

// WaitHealthy polls /healthz until it answers 200 or ctx ends.
func (c *Client) WaitHealthy(ctx context.Context) error {
	for {
		if err := c.Health(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gateway %s not healthy: %w", c.base, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
