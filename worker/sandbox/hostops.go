package sandbox

import (
	"bytes"
	"container/heap"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

var b64 = base64.StdEncoding

// maxHostArg bounds what one host call may pass in, so a script cannot make
// the host parse an unbounded string (bodies are bounded separately).
const maxHostArg = 64 << 20

// host is the single function the runtime calls: host(op, arg), and
// host("respond", head, body). Each op
// validates its argument; an error becomes a JS exception. It runs on the
// invocation's goroutine, inside a JS call.
func (inv *invocation) host(args []any) (any, error) {
	if len(args) == 0 {
		return nil, errors.New("host: missing operation")
	}
	op, _ := args[0].(string)
	arg := ""
	if len(args) > 1 {
		s, ok := args[1].(string)
		if !ok {
			return nil, fmt.Errorf("host %s: argument must be a string", op)
		}
		arg = s
	}
	if op == "respond" {
		// Before the size check: the runtime has marked the answer
		// delivered by now, so an error thrown back would reach no one and
		// the call would end as "no response". respond bounds the head.
		body := ""
		if len(args) > 2 {
			body, _ = args[2].(string)
		}
		return jsUndefined, inv.respond(arg, body)
	}
	if len(arg) > maxHostArg {
		return nil, fmt.Errorf("host %s: argument too large", op)
	}
	switch op {
	case "log":
		inv.log(arg)
		return jsUndefined, nil
	case "fail":
		inv.fail(arg)
		return jsUndefined, nil
	case "lazy":
		if inv.iso.lazyLoaded {
			return nil, errors.New("host: runtime already loaded")
		}
		inv.iso.lazyLoaded = true
		factory, err := inv.iso.vm.EvalBytecodeValue(inv.engine.lazy)
		if err != nil {
			return nil, fmt.Errorf("load runtime: %v", err)
		}
		defer factory.Free()
		if _, err := inv.iso.dispatch.Call(opLazy, factory); err != nil {
			return nil, fmt.Errorf("load runtime: %v", err)
		}
		return jsUndefined, nil
	case "args":
		inv.argsRead = true
		return jsUndefined, nil
	case "fetch":
		return inv.fetch(arg)
	case "abort":
		id, _ := strconv.Atoi(arg)
		if cancel, ok := inv.fetches[id]; ok {
			cancel()
			delete(inv.fetches, id)
		}
		return jsUndefined, nil
	case "timer":
		ms, err := strconv.ParseFloat(arg, 64)
		if err != nil || ms < 0 {
			ms = 0
		}
		inv.iso.nextID++
		id := inv.iso.nextID
		heap.Push(&inv.timers, timer{at: time.Now().Add(time.Duration(ms * float64(time.Millisecond))), id: id})
		if inv.timerSet == nil {
			inv.timerSet = map[int]bool{}
		}
		inv.timerSet[id] = true
		return id, nil
	case "clearTimer":
		id, _ := strconv.Atoi(arg)
		delete(inv.timerSet, id)
		return jsUndefined, nil
	case "random":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 || n > 65536 {
			return nil, errors.New("crypto: random byte count must be 0 to 65536")
		}
		b := make([]byte, n)
		rand.Read(b)
		return b64.EncodeToString(b), nil
	case "digest":
		return digest(arg)
	case "url":
		inv.engine.urlOps.Add(1)
		return parseURLOp(arg), nil
	case "derive":
		return inv.derive(arg)
	case "now":
		return strconv.FormatFloat(float64(time.Since(inv.start).Microseconds())/1000, 'f', 3, 64), nil
	}
	return nil, fmt.Errorf("host: unknown operation %q", op)
}

func (inv *invocation) log(arg string) {
	level, msg, ok := strings.Cut(arg, "\x00")
	if !ok {
		level, msg = "log", arg
	}
	switch level {
	case "log", "info", "debug", "warn", "error":
	default:
		level = "log"
	}
	if inv.logBytes >= inv.limits.LogBytes {
		return
	}
	if room := inv.limits.LogBytes - inv.logBytes; len(msg) > room {
		msg = msg[:room] + " … (log output truncated: the per-invocation log limit is " + formatBytes(int64(inv.limits.LogBytes)) + ")"
	}
	inv.logBytes += len(msg)
	inv.result.Logs = append(inv.result.Logs, LogLine{Time: time.Now().UTC(), Level: level, Message: msg})
}

// respond takes the agent's answer as the runtime's deliver passes it: head
// is the status, the body's encoding and each header's name and value,
// separated by NUL (a JSON document cost more to make and to read than the
// rest of a small call's host side, issue 13).
func (inv *invocation) respond(head, rawBody string) error {
	if inv.done {
		return nil
	}
	inv.done = true
	if len(head) > maxHostArg {
		// Headers this large are over the response limit, whatever the
		// body (each value is dropped past 16 KiB anyway).
		inv.failure = &LimitError{Limit: LimitResponse, Max: formatBytes(inv.limits.ResponseBytes)}
		return nil
	}
	f := strings.Split(head, "\x00")
	if len(f) < 2 || len(f)%2 != 0 {
		inv.failure = &AgentError{Message: "malformed response: its head has " + strconv.Itoa(len(f)) + " fields"}
		return nil
	}
	status, err := strconv.Atoi(f[0])
	if err != nil || !decimal(f[0]) {
		inv.failure = &AgentError{Message: "malformed response: status " + strconv.Quote(f[0]) + " is not an integer"}
		return nil
	}
	if status < 200 || status > 599 {
		inv.failure = &StatusError{Status: status}
		return nil
	}
	// Checked before decoding: base64 is longer than what it encodes.
	if int64(len(rawBody)) > inv.limits.ResponseBytes*4/3+4 {
		inv.failure = &LimitError{Limit: LimitResponse, Max: formatBytes(inv.limits.ResponseBytes)}
		return nil
	}
	body, err := decodeBody(rawBody, f[1])
	if err != nil {
		inv.failure = &AgentError{Message: "malformed response body: " + err.Error()}
		return nil
	}
	if int64(len(body)) > inv.limits.ResponseBytes {
		inv.failure = &LimitError{Limit: LimitResponse, Max: formatBytes(inv.limits.ResponseBytes)}
		return nil
	}
	inv.result.Status = status
	inv.result.Header = headerPairs(f[2:])
	inv.result.Body = body
	return nil
}

// decimal reports whether s is an integer as JavaScript writes one: digits,
// perhaps after a minus sign (no plus sign, no leading zero but in "0").
func decimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (inv *invocation) fail(msg string) {
	if inv.done {
		return
	}
	inv.done = true
	if msg == "\x00limit:response" {
		inv.failure = &LimitError{Limit: LimitResponse, Max: formatBytes(inv.limits.ResponseBytes)}
		return
	}
	if msg == "\x00limit:memory" {
		inv.failure = &LimitError{Limit: LimitMemory, Max: formatBytes(inv.limits.Memory)}
		return
	}
	if msg == "\x00null" || msg == "null" {
		inv.failure = inv.threwNull()
		return
	}
	inv.failure = inv.classify(errors.New(msg))
}

type jsFetch struct {
	URL      string      `json:"url"`
	Method   string      `json:"method"`
	Headers  [][2]string `json:"headers"`
	Body     string      `json:"body"`
	Enc      string      `json:"enc"`
	Redirect string      `json:"redirect"`
}

type jsFetchResult struct {
	Status     int         `json:"status"`
	StatusText string      `json:"statusText"`
	Headers    [][2]string `json:"headers"`
	Body       string      `json:"body"`
	Enc        string      `json:"enc"`
	URL        string      `json:"url"`
	Redirected bool        `json:"redirected"`
}

// fetch starts an outbound request and returns its id; the loop hands the
// result to JS when it arrives.
//
// Security: the count limit is checked here, and the egress policy by the
// engine's HTTP client at dial time, on the resolved address.
func (inv *invocation) fetch(arg string) (any, error) {
	if inv.result.Fetches >= inv.limits.Requests {
		return nil, &LimitError{Limit: LimitRequests, Max: fmt.Sprintf("%d per invocation", inv.limits.Requests)}
	}
	var f jsFetch
	if err := json.Unmarshal([]byte(arg), &f); err != nil {
		return nil, fmt.Errorf("fetch: malformed request: %v", err)
	}
	if !strings.HasPrefix(f.URL, "http://") && !strings.HasPrefix(f.URL, "https://") {
		return nil, fmt.Errorf("fetch: only http: and https: URLs are supported, not %q", truncate(f.URL, 100))
	}
	body, err := decodeBody(f.Body, f.Enc)
	if err != nil {
		return nil, fmt.Errorf("fetch: %v", err)
	}
	ctx, cancel := context.WithDeadline(inv.ctx, inv.deadline)
	hreq, err := http.NewRequestWithContext(ctx, f.Method, f.URL, bytes.NewReader(body))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("fetch: %v", err)
	}
	hreq.Header = headerList(f.Headers)
	if hreq.Header.Get("User-Agent") == "" {
		hreq.Header.Set("User-Agent", "Cove-Agent/1")
	}
	inv.result.Fetches++
	inv.iso.nextID++
	id := inv.iso.nextID
	if inv.fetches == nil {
		inv.fetches = map[int]context.CancelFunc{}
		inv.events = make(chan fetchEvent, 8)
	}
	inv.fetches[id] = cancel
	client := inv.engine.client
	if f.Redirect == "manual" || f.Redirect == "error" {
		c := *client
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		client = &c
	}
	go inv.doFetch(ctx, cancel, client, hreq, id, f.Redirect == "error")
	return id, nil
}

func (inv *invocation) doFetch(ctx context.Context, cancel context.CancelFunc, client *http.Client, req *http.Request, id int, redirectError bool) {
	defer cancel()
	ev := fetchEvent{id: id}
	payload, err := inv.roundTrip(client, req, redirectError)
	if err != nil {
		ev.payload = err.Error()
	} else {
		ev.ok, ev.payload = true, payload
	}
	select {
	case inv.events <- ev:
	case <-ctx.Done():
	}
}

func (inv *invocation) roundTrip(client *http.Client, req *http.Request, redirectError bool) (string, error) {
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("fetch %s: %s", publicURL(req.URL), unwrapURLError(err))
	}
	defer resp.Body.Close()
	if redirectError && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return "", fmt.Errorf("fetch %s: redirect refused (redirect: \"error\")", publicURL(req.URL))
	}
	max := inv.limits.FetchResponseBytes
	// Every fetched body of the invocation counts against its memory limit
	// before it is read: the bodies sit in Go memory (and are copied into
	// the VM) before the engine's own cap applies.
	budget := inv.limits.Memory - inv.fetched.Load()
	body, err := io.ReadAll(io.LimitReader(resp.Body, min(max, budget)+1))
	if err != nil {
		return "", fmt.Errorf("fetch %s: read body: %v", publicURL(req.URL), err)
	}
	if int64(len(body)) > max {
		return "", fmt.Errorf("fetch %s: response body exceeds the fetch response limit (%s)", publicURL(req.URL), formatBytes(max))
	}
	if inv.fetched.Add(int64(len(body))) > inv.limits.Memory {
		return "", fmt.Errorf("fetch %s: the invocation's fetched bodies exceed its memory limit (%s)", publicURL(req.URL), formatBytes(inv.limits.Memory))
	}
	out := jsFetchResult{
		Status:     resp.StatusCode,
		StatusText: strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode))),
		URL:        resp.Request.URL.String(),
		Redirected: resp.Request.URL.String() != req.URL.String(),
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			out.Headers = append(out.Headers, [2]string{k, v})
		}
	}
	out.Body, out.Enc = encodeBody(body)
	b, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("fetch: encode response: %v", err)
	}
	return string(b), nil
}

// publicURL names a fetched URL in errors: scheme, host and path only. The
// query and user info often carry the agent's secrets (API keys), and
// errors reach the caller, the node's log and the agent's invocation log.
func publicURL(u *url.URL) string {
	return truncate(u.Scheme+"://"+u.Host+u.EscapedPath(), 200)
}

// unwrapURLError drops the "Get \"url\":" prefix net/http adds, which the
// caller already names.
func unwrapURLError(err error) string {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return err.Error()
}

func digest(arg string) (any, error) {
	alg, data, _ := strings.Cut(arg, "\x00")
	var h hash.Hash
	switch alg {
	case "SHA-1":
		h = sha1.New()
	case "SHA-256":
		h = sha256.New()
	case "SHA-384":
		h = sha512.New384()
	case "SHA-512":
		h = sha512.New()
	default:
		return nil, fmt.Errorf("crypto.subtle.digest: unsupported algorithm %q (use SHA-1, SHA-256, SHA-384 or SHA-512)", alg)
	}
	b, err := b64.DecodeString(data)
	if err != nil {
		return nil, fmt.Errorf("crypto.subtle.digest: %v", err)
	}
	h.Write(b)
	return b64.EncodeToString(h.Sum(nil)), nil
}

func (inv *invocation) derive(path string) (any, error) {
	if inv.env.DeriveKey == nil {
		return nil, errNoDerive
	}
	if path == "" || len(path) > 256 {
		return nil, errors.New("cove.deriveKey: path must be 1 to 256 bytes")
	}
	k, err := inv.env.DeriveKey(path)
	if err != nil {
		return nil, fmt.Errorf("cove.deriveKey: %v", err)
	}
	return b64.EncodeToString(k[:]), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
