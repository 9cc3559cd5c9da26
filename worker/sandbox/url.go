package sandbox

import (
	"encoding/json"
	"net"
	"net/url"
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
	b, _ := json.Marshal(partsOf(u))
	return string(b)
}

func errJSON(msg string) string {
	b, _ := json.Marshal(urlParts{Error: msg})
	return string(b)
}

type urlError string

func (e urlError) Error() string { return string(e) }

func parseWHATWG(input string, base *string) (*url.URL, error) {
	input = strings.Trim(input, "\x00\t\n\f\r ")
	input = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(input)
	var u *url.URL
	if base != nil {
		b, err := parseWHATWG(*base, nil)
		if err != nil {
			return nil, urlError("invalid base URL " + quoteShort(*base))
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
	}
	return u, nil
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
	if p.Host != "" || p.Hostname != "" {
		b.WriteString("//")
		if p.Username != "" || p.Password != "" {
			b.WriteString(url.PathEscape(p.Username))
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
