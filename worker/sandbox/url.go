package sandbox

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// urlParts are the WHATWG URL components the runtime's URL class exposes.
type urlParts struct {
	Href     string `json:"href"`
	Protocol string `json:"protocol"`
	Username string `json:"username"`
	Password string `json:"password"`
	Host     string `json:"host"`
	Hostname string `json:"hostname"`
	Port     string `json:"port"`
	Pathname string `json:"pathname"`
	Search   string `json:"search"`
	Hash     string `json:"hash"`
	Origin   string `json:"origin"`
	Error    string `json:"error,omitempty"`
	// Authority is set for a URL of a non-special scheme with an empty
	// host ("a:////p"), which serialises with "//" where one with no host
	// at all does not ("a:/.//p").
	Authority bool `json:"authority,omitempty"`
}

type urlOp struct {
	Input string    `json:"input"`
	Base  *string   `json:"base"`
	Parts *urlParts `json:"parts"`
}

var defaultPorts = map[string]string{"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21"}

// parseURLOp backs the URL class: {input, base} parses, {parts} rebuilds a
// URL after a setter changed one component. It returns JSON; a bad URL is
// {"error": ...}, which the runtime throws as a TypeError.
func parseURLOp(arg string) string {
	var op urlOp
	if err := json.Unmarshal([]byte(arg), &op); err != nil {
		return errJSON("malformed URL operation")
	}
	if op.Parts != nil {
		op.Input = buildHref(op.Parts)
		op.Base = nil
	}
	u, err := parseWHATWG(op.Input, op.Base)
	if err != nil {
		return errJSON(err.Error())
	}
	p := partsOf(u)
	if _, special := defaultPorts[u.Scheme]; !special && u.Host == "" && u.Opaque == "" {
		// An empty host, not none: from the input, or kept by a setter.
		if op.Parts != nil {
			p.Authority = op.Parts.Authority
		} else if op.Base == nil {
			p.Authority = hasAuthority(stripTabsNewlines.Replace(strings.Trim(op.Input, "\x00\t\n\f\r ")))
		}
		if !p.Authority && strings.HasPrefix(p.Pathname, "/.//") {
			// The "/." buildHref writes before such a path is not part
			// of it (dot segments are otherwise kept: see parseWHATWG).
			p.Pathname = p.Pathname[2:]
		}
		p.Href = buildHref(&p)
	}
	b, _ := json.Marshal(p)
	return string(b)
}

func errJSON(msg string) string {
	b, _ := json.Marshal(urlParts{Error: msg})
	return string(b)
}

type urlError string

func (e urlError) Error() string { return string(e) }

// stripTabsNewlines removes what WHATWG's parser removes from anywhere in
// the input.
var stripTabsNewlines = strings.NewReplacer("\t", "", "\n", "", "\r", "")

func parseWHATWG(input string, base *string) (*url.URL, error) {
	input = strings.Trim(input, "\x00\t\n\f\r ")
	input = stripTabsNewlines.Replace(input)
	var u *url.URL
	if base != nil {
		b, err := parseWHATWG(*base, nil)
		if err != nil {
			return nil, urlError("invalid base URL " + quoteShort(*base))
		}
		if _, special := defaultPorts[b.Scheme]; !special && b.Host == "" && !strings.HasPrefix(b.Path, "/") && !strings.HasPrefix(input, "#") {
			// A non-special base with an opaque path ("a:", "mailto:x")
			// resolves nothing but a fragment (WHATWG, as Node).
			return nil, urlError(quoteShort(input) + " cannot be resolved against " + quoteShort(*base))
		}
		ref, err := url.Parse(input)
		if err != nil {
			return nil, urlError(quoteShort(input))
		}
		u = b.ResolveReference(ref)
	} else {
		p, err := url.Parse(input)
		if err != nil || p.Scheme == "" {
			return nil, urlError(quoteShort(input))
		}
		u = p
	}
	u.Scheme = strings.ToLower(u.Scheme)
	// Dot segments stay: unlike WHATWG (and Node), "/a/../b" and
	// "/x/%2e%2e/y" are not resolved, so that the path an agent routes on
	// is the target its receipt covers (TestRawTarget).
	if _, special := defaultPorts[u.Scheme]; special {
		if u.Host == "" {
			return nil, urlError(quoteShort(input) + " has no host")
		}
		host := strings.ToLower(u.Hostname())
		if host == "" {
			return nil, urlError(quoteShort(input) + " has no host")
		}
		if strings.Contains(host, "%") {
			return nil, urlError(quoteShort(input) + ": zone identifiers are not allowed in URLs")
		}
		if strings.ContainsAny(host, "[]") {
			// A bracket outside an IPv6 literal (Hostname strips those).
			return nil, urlError(quoteShort(input) + ": invalid host " + quoteShort(host))
		}
		if !strings.Contains(host, ":") && endsInNumber(host) {
			ip, ok := parseIPv4Host(host)
			if !ok {
				return nil, urlError(quoteShort(input) + ": invalid IPv4 address " + quoteShort(host))
			}
			host = ip
		}
		port := u.Port()
		if port == defaultPorts[u.Scheme] {
			port = ""
		}
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		if port != "" {
			u.Host = net.JoinHostPort(strings.Trim(host, "[]"), port)
		} else {
			u.Host = host
		}
		if u.Path == "" {
			u.Path = "/"
		}
	} else if u.Host != "" {
		u.Host = opaqueHost(u.Host)
	}
	return u, nil
}

// hasAuthority reports whether an absolute URL's input has an authority:
// "//" right after its scheme.
func hasAuthority(input string) bool {
	_, rest, ok := strings.Cut(input, ":")
	return ok && strings.HasPrefix(rest, "//")
}

// opaqueHost percent-encodes again what net/url decoded in a non-special
// URL's host ("%25", non-ASCII bytes): WHATWG keeps an opaque host encoded
// (new URL("a://%25").host is "%25"), and the href must parse back to
// itself.
func opaqueHost(h string) string {
	var b strings.Builder
	for i := 0; i < len(h); i++ {
		if c := h[i]; c == '%' || c >= 0x80 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func partsOf(u *url.URL) urlParts {
	p := urlParts{
		Protocol: u.Scheme + ":",
		Host:     u.Host,
		Hostname: u.Hostname(),
		Port:     u.Port(),
		Pathname: u.EscapedPath(),
	}
	if strings.Contains(p.Hostname, ":") {
		p.Hostname = "[" + p.Hostname + "]"
	}
	if u.User != nil {
		p.Username = u.User.Username()
		p.Password, _ = u.User.Password()
	}
	if u.Opaque != "" {
		p.Pathname = u.Opaque
	}
	if u.RawQuery != "" {
		p.Search = "?" + u.RawQuery
	}
	if f := u.EscapedFragment(); f != "" {
		p.Hash = "#" + f
	}
	if _, special := defaultPorts[u.Scheme]; special {
		p.Origin = u.Scheme + "://" + u.Host
	} else {
		p.Origin = "null"
	}
	p.Href = buildHref(&p)
	return p
}

func buildHref(p *urlParts) string {
	var b strings.Builder
	proto := strings.TrimSuffix(p.Protocol, ":")
	b.WriteString(proto)
	b.WriteString(":")
	if p.Host != "" || p.Hostname != "" || p.Authority {
		b.WriteString("//")
		if p.Username != "" || p.Password != "" {
			// A ':' in the username would end it: escaped (as
			// url.Userinfo and the URL standard do).
			b.WriteString(strings.ReplaceAll(url.PathEscape(p.Username), ":", "%3A"))
			if p.Password != "" {
				b.WriteString(":" + url.PathEscape(p.Password))
			}
			b.WriteString("@")
		}
		host := p.Host
		if host == "" {
			host = p.Hostname
		}
		b.WriteString(host)
		if p.Pathname != "" && !strings.HasPrefix(p.Pathname, "/") {
			b.WriteString("/")
		}
	} else if strings.HasPrefix(p.Pathname, "//") {
		// No host and a path whose first segment is empty: "/." keeps the
		// path from reading as a host (WHATWG's URL serializer).
		b.WriteString("/.")
	}
	b.WriteString(p.Pathname)
	if p.Search != "" && p.Search != "?" {
		if !strings.HasPrefix(p.Search, "?") {
			b.WriteString("?")
		}
		b.WriteString(p.Search)
	}
	if p.Hash != "" && p.Hash != "#" {
		if !strings.HasPrefix(p.Hash, "#") {
			b.WriteString("#")
		}
		b.WriteString(p.Hash)
	}
	return b.String()
}

func quoteShort(s string) string {
	b, _ := json.Marshal(truncate(s, 100))
	return string(b)
}

// endsInNumber is the WHATWG URL standard's "ends in a number" test: a host
// whose last label (ignoring one trailing dot) is a number is an IPv4
// address, in any of the forms parseIPv4Host reads.
func endsInNumber(host string) bool {
	parts := strings.Split(host, ".")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	last := parts[len(parts)-1]
	if last != "" && strings.Trim(last, "0123456789") == "" {
		return true
	}
	_, ok := ipv4Number(last)
	return ok
}

// parseIPv4Host is the WHATWG IPv4 parser: one to four parts, each decimal,
// hex (0x) or octal (leading 0); the last part fills the remaining bytes
// ("0x7f.1" and "2130706433" are 127.0.0.1). It returns the dotted-decimal
// form, as Node and browsers serialise it.
func parseIPv4Host(host string) (string, bool) {
	parts := strings.Split(host, ".")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > 4 {
		return "", false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		n, ok := ipv4Number(p)
		if !ok {
			return "", false
		}
		if i < len(parts)-1 && n > 255 {
			return "", false
		}
		nums[i] = n
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return "", false
	}
	ip := last
	for i, n := range nums[:len(nums)-1] {
		ip += n << (8 * (3 - i))
	}
	return fmt.Sprintf("%d.%d.%d.%d", ip>>24, ip>>16&255, ip>>8&255, ip&255), true
}

// ipv4Number parses one part of an IPv4 host: decimal, hex after 0x (empty
// is 0) or octal after a leading 0. Values beyond 2^32 fail.
func ipv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := 10
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
		if s == "" {
			return 0, true
		}
	case len(s) >= 2 && s[0] == '0':
		s, base = s[1:], 8
	}
	n, err := strconv.ParseUint(s, base, 64)
	if err != nil || n > 1<<32 || strings.ContainsAny(s, "+-_") {
		return 0, false
	}
	return n, true
}

// requestURL is the URL the agent's request carries: s as new URL
// serialises it (the host in lower case, no default port, ...; the path
// and query as received, which the receipt covers). Most URLs already
// are (canonicalURL), and are not parsed; simple says s is one, which
// lets the runtime split it without a regular expression (prelude.js,
// splitRequestURL).
func requestURL(s string) (u string, simple bool) {
	if canonicalURL(s) {
		return s, true
	}
	if p, err := parseWHATWG(s, nil); err == nil {
		return partsOf(p).Href, false
	}
	return s, false
}

// canonicalURL reports, by a scan, an absolute http(s) URL that the URL
// parser returns unchanged: a path, a lower-case host of letters, digits, '-' and
// '.' whose last label starts with a letter or '-' and no label with
// "xn--", or a dotted-decimal IPv4 address without leading zeros; a port
// without leading zeros that is not the scheme's default; a path of
// characters kept as they are, without "." or ".." segments; a non-empty
// query without "'" (which the parser encodes); no userinfo, no fragment.
// It is the JS runtime's SIMPLE_URL (prelude.js) in Go; TestURLFastPath
// checks that every URL it accepts parses to itself.
func canonicalURL(s string) bool {
	var rest string
	var defPort string
	switch {
	case strings.HasPrefix(s, "http://"):
		rest, defPort = s[len("http://"):], "80"
	case strings.HasPrefix(s, "https://"):
		rest, defPort = s[len("https://"):], "443"
	default:
		return false
	}
	end := strings.IndexAny(rest, ":/?")
	if end < 0 {
		end = len(rest)
	}
	if !canonicalHost(rest[:end]) {
		return false
	}
	rest = rest[end:]
	if strings.HasPrefix(rest, ":") {
		end = strings.IndexAny(rest, "/?")
		if end < 0 {
			end = len(rest)
		}
		port := rest[1:end]
		if port == "" || port[0] == '0' || len(port) > 5 || port == defPort || strings.Trim(port, "0123456789") != "" {
			return false
		}
		if n, _ := strconv.Atoi(port); n > 65535 {
			return false
		}
		rest = rest[end:]
	}
	path, query, hasQuery := strings.Cut(rest, "?")
	if path == "" || path[0] != '/' { // no path serialises as "/"
		return false
	}
	for i := 0; i < len(path); i++ {
		if !pathByte(path[i]) {
			return false
		}
	}
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	if hasQuery {
		if query == "" {
			return false
		}
		for i := 0; i < len(query); i++ {
			if c := query[i]; c == '\'' || (!pathByte(c) && c != '?') {
				return false
			}
		}
	}
	return true
}

func canonicalHost(h string) bool {
	if h == "" {
		return false
	}
	// Without allocating: it runs on every call an agent serves.
	if strings.Count(h, ".") == 3 && strings.Trim(h, "0123456789.") == "" {
		for p := range strings.SplitSeq(h, ".") {
			if p == "" || len(p) > 3 || (len(p) > 1 && p[0] == '0') {
				return false
			}
			if n, _ := strconv.Atoi(p); n > 255 {
				return false
			}
		}
		return true
	}
	var last string
	for l := range strings.SplitSeq(h, ".") {
		if l == "" || strings.HasPrefix(l, "xn--") {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
		last = l
	}
	c := last[0]
	return c >= 'a' && c <= 'z' || c == '-'
}

// pathByte reports a byte WHATWG's path state keeps as it is.
func pathByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0
}
