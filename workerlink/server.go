package workerlink

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/internal/streamcopy"
	"github.com/cove-network/cove/receipt"
)

// Worker is what the link serves: a worker's Invoke and its health.
type Worker interface {
	Invoke(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error)
	Health() Health
}

// VoucherSource is what a worker that takes paid calls at its link also
// serves: the vouchers it accepted of an agent's channels, to the agent's
// owner, whose Cove-Auth a gateway passes on (auth; a worker checks it).
type VoucherSource interface {
	Vouchers(ctx context.Context, id cove.AgentID, auth string) ([]api.Redeemable, error)
}

// Handler serves w's Invoke and health on the link, and its vouchers when
// w is a VoucherSource. maxRequestBytes bounds
// a call's body (the worker's max_request_bytes).
func Handler(w Worker, maxRequestBytes int64, log *slog.Logger) http.Handler {
	s := &server{w: w, maxBody: maxRequestBytes, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+pathCall+"{id}", s.handleCall)
	mux.HandleFunc("GET "+pathHealth, s.handleHealth)
	if vs, ok := w.(VoucherSource); ok {
		mux.HandleFunc("GET "+pathVouchers+"{id}", func(rw http.ResponseWriter, r *http.Request) { s.handleVouchers(rw, r, vs) })
	}
	mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		writeError(rw, &cove.Error{Status: http.StatusNotFound, Code: "not_found", Message: "this is a Cove worker's link: gateways call agents at POST " + pathCall + "{id}"})
	})
	return mux
}

// Serve serves h over TLS 1.3 with the worker's certificate on ln until ctx
// ends.
func Serve(ctx context.Context, ln net.Listener, cert tls.Certificate, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		TLSConfig:         ServerTLS(cert),
		ReadHeaderTimeout: 10 * time.Second,
		// A call's body arrives at once from a gateway; a body that
		// trickles holds memory (the link serves anyone).
		ReadTimeout:    time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		// Calls one connection may hold at once, each up to a frame and
		// max_request_bytes.
		HTTP2:    &http.HTTP2Config{MaxConcurrentStreams: maxStreams},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	err := srv.ServeTLS(ln, "", "")
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

type server struct {
	w       Worker
	maxBody int64
	log     *slog.Logger
}

func (s *server) handleHealth(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Content-Type", "application/json")
	json.NewEncoder(rw).Encode(s.w.Health())
}

func (s *server) handleVouchers(rw http.ResponseWriter, r *http.Request, vs VoucherSource) {
	id, err := cove.ParseAgentID(r.PathValue("id"))
	if err != nil {
		writeError(rw, badRequest(err.Error()))
		return
	}
	out, err := vs.Vouchers(r.Context(), id, r.Header.Get(api.HeaderAuth))
	if err != nil {
		var e *cove.Error
		if !errors.As(err, &e) {
			s.log.Error("vouchers over the link", "agent", id, "err", err)
			e = &cove.Error{Status: http.StatusInternalServerError, Code: "internal", Message: "the worker could not read its vouchers"}
		}
		writeError(rw, e)
		return
	}
	rw.Header().Set("Content-Type", "application/json")
	json.NewEncoder(rw).Encode(out)
}

func (s *server) handleCall(rw http.ResponseWriter, r *http.Request) {
	id, err := cove.ParseAgentID(r.PathValue("id"))
	if err != nil {
		writeError(rw, badRequest(err.Error()))
		return
	}
	c, ce := s.readCall(rw, r, id)
	if ce != nil {
		writeError(rw, ce)
		return
	}
	resp, err := s.w.Invoke(r.Context(), id, c)
	if err != nil {
		var e *cove.Error
		if !errors.As(err, &e) {
			if r.Context().Err() == nil {
				s.log.Error("invoke over the link", "agent", id, "err", err)
			}
			e = &cove.Error{Status: http.StatusInternalServerError, Code: "internal", Message: "the worker could not run the agent"}
		}
		writeError(rw, e)
		return
	}
	s.writeResponse(rw, resp)
}

// readCall reads and checks a call as a gateway would have built it.
func (s *server) readCall(rw http.ResponseWriter, r *http.Request, id cove.AgentID) (cove.Call, *cove.Error) {
	br := bufio.NewReader(http.MaxBytesReader(rw, r.Body, s.maxBody+maxMeta+binaryLenMax))
	var m callMeta
	if err := readFrame(br, &m); err != nil {
		return cove.Call{}, badRequest("call: " + err.Error())
	}
	body, err := io.ReadAll(br)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return cove.Call{}, tooLarge(s.maxBody)
		}
		return cove.Call{}, badRequest("read the call's body: " + err.Error())
	}
	if int64(len(body)) > s.maxBody {
		return cove.Call{}, tooLarge(s.maxBody)
	}
	c := cove.Call{Method: m.Method, Path: m.Path, URL: m.URL, Host: m.Host, Header: m.Header, Body: body, Payment: m.Payment}
	if err := CheckCall(id, &c); err != nil {
		return cove.Call{}, badRequest(err.Error())
	}
	return c, nil
}

// maxStreams bounds the calls one gateway connection carries at once.
const maxStreams = 64

// binaryLenMax is the most bytes a frame's uvarint length takes.
const binaryLenMax = 10

// CheckCall checks a call that arrived from outside the worker's process as
// a gateway builds one (gateway/call.go), and makes its header canonical
// without the reserved fields: a method that is an HTTP token; a Path under
// /agents/ whose first segment is id; a Host; a URL that is http:// or
// https://, the Host, then exactly the part of Path the agent sees
// (cove.AgentTarget); header names that are tokens and values without
// control characters.
//
// Security: the receipt covers Method, Path, Host and the body, not URL; a
// call whose URL says something else would have the agent answer a
// request its receipt does not describe.
func CheckCall(id cove.AgentID, c *cove.Call) error {
	if !isToken(c.Method) {
		return fmt.Errorf("method %q is not an HTTP method", clip(c.Method))
	}
	if err := checkTarget(c.Path); err != nil {
		return err
	}
	at, ok := cove.AgentTarget(c.Path)
	if !ok {
		return fmt.Errorf("path %q is not under /agents/", clip(c.Path))
	}
	seg := strings.TrimPrefix(c.Path, "/agents/")
	if i := strings.IndexAny(seg, "/?"); i >= 0 {
		seg = seg[:i]
	}
	if pid, err := cove.ParseAgentID(seg); err != nil || pid != id {
		return fmt.Errorf("path %q does not name agent %s", clip(c.Path), id)
	}
	if err := checkHost(c.Host); err != nil {
		return err
	}
	if c.URL != "http://"+c.Host+at && c.URL != "https://"+c.Host+at {
		return fmt.Errorf("url %q is not the host followed by the agent's part of the path (%q)", clip(c.URL), clip(at))
	}
	h := make(cove.Header, len(c.Header))
	for k, vs := range c.Header {
		if !isToken(k) {
			return fmt.Errorf("header name %q is not a token", clip(k))
		}
		for _, v := range vs {
			if strings.ContainsFunc(v, func(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f }) {
				return fmt.Errorf("header %s holds a control character", k)
			}
		}
		ck := http.CanonicalHeaderKey(k)
		h[ck] = append(h[ck], vs...)
	}
	api.StripReserved(http.Header(h))
	c.Header = h
	return nil
}

// checkTarget refuses a request target a gateway would never pass on: one
// Go's server would not parse back to the same bytes, with a byte outside
// visible ASCII, a fragment or a backslash, or a dot segment (which
// Go's ServeMux redirects away). An agent's URL parser would read such a
// target otherwise than the receipt's bytes say.
func checkTarget(p string) error {
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c >= 0x7f || c == '#' || c == '\\' {
			return fmt.Errorf("path %q holds a byte a request target cannot (%q)", clip(p), c)
		}
	}
	u, err := url.ParseRequestURI(p)
	if err != nil || u.RequestURI() != p {
		return fmt.Errorf("path %q is not a request target as a gateway receives one", clip(p))
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("path %q holds a dot segment", clip(p))
		}
	}
	return nil
}

// checkHost accepts a HOST or HOST:PORT as Go's server accepts in a Host
// header: a name or an address (IPv6 in brackets), a numeric port.
func checkHost(h string) error {
	host, port := h, ""
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		host, port = h[:i], h[i+1:]
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || port == "" {
			return fmt.Errorf("host %q: the port is not a number from 0 to 65535", clip(h))
		}
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		if ip := net.ParseIP(host[1 : len(host)-1]); ip == nil {
			return fmt.Errorf("host %q: not an IPv6 address in brackets", clip(h))
		}
		return nil
	}
	if host == "" || len(host) > 253 {
		return fmt.Errorf("host %q is not a HOST or HOST:PORT", clip(h))
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return fmt.Errorf("host %q holds %q: not a HOST or HOST:PORT", clip(h), c)
		}
	}
	return nil
}

// isToken reports whether s is an RFC 9110 token (methods, header names).
func isToken(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// writeResponse writes a signed response on the link: the meta frame and
// the body, the receipt in headers, or for a stream in trailers once it
// ends (Cove-Link-Error if it is cut).
func (s *server) writeResponse(rw http.ResponseWriter, resp *cove.Response) {
	meta, err := appendFrame(nil, responseMeta{Status: resp.Status, Header: resp.Header, RequestID: resp.RequestID, Stream: resp.Stream != nil})
	if err != nil {
		if resp.Stream != nil {
			resp.Stream.Close()
		}
		s.log.Error("encode a response for the link", "request", resp.RequestID, "err", err)
		writeError(rw, &cove.Error{Status: http.StatusInternalServerError, Code: "internal", Message: "the worker could not encode the response"})
		return
	}
	h := rw.Header()
	h.Set("Content-Type", contentResponse)
	if resp.Stream == nil {
		if resp.Receipt == nil {
			s.log.Error("a buffered response without a receipt", "request", resp.RequestID)
			writeError(rw, &cove.Error{Status: http.StatusInternalServerError, Code: "internal", Message: "the worker answered without a receipt"})
			return
		}
		receipt.SetHeaders(h, *resp.Receipt)
		h.Set("Content-Length", strconv.Itoa(len(meta)+len(resp.Body)))
		rw.WriteHeader(http.StatusOK)
		rw.Write(meta)
		rw.Write(resp.Body)
		return
	}
	defer resp.Stream.Close()
	h.Set("Trailer", strings.Join([]string{receipt.HeaderReceipt, receipt.HeaderSignature, receipt.HeaderSigner, HeaderError}, ", "))
	rw.WriteHeader(http.StatusOK)
	rw.Write(meta)
	readErr, writeErr := streamcopy.Flushing(rw, resp.Stream, false)
	if writeErr != nil {
		return // the gateway went away
	}
	if readErr != nil {
		h.Set(HeaderError, "the stream was cut: "+clip(readErr.Error()))
		return
	}
	signed, err := resp.Stream.Receipt()
	if err != nil {
		h.Set(HeaderError, "the stream ended without a receipt: "+clip(err.Error()))
		return
	}
	receipt.SetHeaders(h, signed)
}

func badRequest(msg string) *cove.Error {
	return &cove.Error{Status: http.StatusBadRequest, Code: "bad_request", Message: msg}
}

func tooLarge(n int64) *cove.Error {
	return &cove.Error{Status: http.StatusRequestEntityTooLarge, Code: "request_too_large",
		Message: "the request body is larger than " + strconv.FormatInt(n, 10) + " bytes"}
}

// writeError answers e on the link.
func writeError(rw http.ResponseWriter, e *cove.Error) {
	h := rw.Header()
	h.Set("Content-Type", "application/json")
	h.Set(HeaderError, e.Code)
	rw.WriteHeader(e.Status)
	json.NewEncoder(rw).Encode(errorBody{Code: e.Code, Message: e.Message, RetryAfterMS: e.RetryAfter.Milliseconds(), Accepted: e.Accepted})
}
