package egress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCheckRefused(t *testing.T) {
	p, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr   string
		reason string // substring of RefusedError.Reason
	}{
		// unspecified
		{"0.0.0.0:80", "unspecified address"},
		{"[::]:80", "unspecified address"},
		// loopback
		{"127.0.0.1:1", "loopback address"},
		{"127.255.255.254:80", "loopback address"},
		{"[::1]:80", "loopback address"},
		// private
		{"10.0.0.1:80", "private address"},
		{"10.255.255.255:80", "private address"},
		{"172.16.0.1:80", "private address"},
		{"172.31.255.255:80", "private address"},
		{"192.168.1.1:80", "private address"},
		{"[fc00::1]:80", "private address"},
		{"[fd12:3456::1]:80", "private address"},
		// link-local
		{"169.254.1.1:80", "link-local address"},
		{"[fe80::1]:80", "link-local address"},
		{"[fe80::1%eth0]:80", "link-local address"},
		{"[febf::1]:80", "link-local address"},
		// cloud metadata
		{"169.254.169.254:80", "metadata address"},
		{"[fd00:ec2::254]:80", "metadata address"},
		{"100.100.100.200:80", "metadata address"},
		// carrier-grade NAT
		{"100.64.0.1:80", "carrier-grade NAT address"},
		{"100.127.255.255:80", "carrier-grade NAT address"},
		// multicast
		{"224.0.0.1:80", "multicast address"},
		{"239.255.255.250:1900", "multicast address"},
		{"[ff02::1]:80", "multicast address"},
		{"[ff0e::1]:80", "multicast address"},
		// broadcast and reserved
		{"255.255.255.255:80", "broadcast address"},
		{"240.0.0.1:80", "reserved address"},
		{"255.255.255.254:80", "reserved address"},
		// this network
		{"0.1.2.3:80", "this-network address"},
		// IETF protocol assignments
		{"192.0.0.8:80", "IETF protocol assignment address"},
		// benchmarking
		{"198.18.0.1:80", "benchmarking address"},
		{"198.19.255.255:80", "benchmarking address"},
		{"[2001:2::1]:80", "benchmarking address"},
		// documentation
		{"192.0.2.1:80", "documentation address"},
		{"198.51.100.1:80", "documentation address"},
		{"203.0.113.1:80", "documentation address"},
		{"[2001:db8::1]:80", "documentation address"},
		{"[3fff::1]:80", "documentation address"},
		// other IPv6 special ranges
		{"[fec0::1]:80", "site-local address"},
		{"[100::1]:80", "discard-only address"},
		{"[64:ff9b:1::a00:1]:80", "local-use NAT64 address"},
		// IPv4-mapped forms
		{"[::ffff:127.0.0.1]:80", "loopback address 127.0.0.1 in IPv4-mapped IPv6 form"},
		{"[::ffff:10.0.0.1]:80", "private address 10.0.0.1 in IPv4-mapped"},
		{"[::ffff:169.254.169.254]:80", "metadata address 169.254.169.254 in IPv4-mapped"},
		{"[::ffff:100.100.100.200]:80", "metadata address"},
		{"[::ffff:0.0.0.0]:80", "unspecified address"},
		{"[::ffff:255.255.255.255]:80", "broadcast address"},
		{"[::ffff:100.64.0.1]:80", "carrier-grade NAT address"},
		{"[::ffff:7f00:1]:80", "loopback address"},
		// IPv4-compatible forms
		{"[::127.0.0.1]:80", "loopback address 127.0.0.1 in IPv4-compatible"},
		{"[::192.168.0.1]:80", "private address 192.168.0.1 in IPv4-compatible"},
		{"[::169.254.169.254]:80", "metadata address 169.254.169.254 in IPv4-compatible"},
		// IPv4-translated forms
		{"[::ffff:0:127.0.0.1]:80", "loopback address 127.0.0.1 in IPv4-translated"},
		// NAT64 forms
		{"[64:ff9b::127.0.0.1]:80", "loopback address 127.0.0.1 in NAT64"},
		{"[64:ff9b::10.1.2.3]:80", "private address 10.1.2.3 in NAT64"},
		{"[64:ff9b::a9fe:a9fe]:80", "metadata address 169.254.169.254 in NAT64"},
		// 6to4 forms
		{"[2002:7f00:1::1]:80", "loopback address 127.0.0.1 in 6to4"},
		{"[2002:c0a8:101::]:80", "private address 192.168.1.1 in 6to4"},
		{"[2002:a9fe:a9fe::1]:80", "metadata address 169.254.169.254 in 6to4"},
		// Teredo: client IPv4 inverted in the last 32 bits (~127.0.0.1).
		{"[2001:0:4136:e378:8000:63bf:80ff:fffe]:80", "loopback address 127.0.0.1 in Teredo"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			addr := netip.MustParseAddrPort(tt.addr)
			err := p.Check(addr)
			if err == nil {
				t.Fatalf("Check(%s) = nil, want refused (%s)", addr, tt.reason)
			}
			if !errors.Is(err, ErrRefused) {
				t.Errorf("errors.Is(%v, ErrRefused) = false", err)
			}
			var re *RefusedError
			if !errors.As(err, &re) {
				t.Fatalf("Check(%s) = %T, want *RefusedError", addr, err)
			}
			if re.Addr != addr {
				t.Errorf("RefusedError.Addr = %s, want %s", re.Addr, addr)
			}
			if !strings.Contains(re.Reason, tt.reason) {
				t.Errorf("Reason = %q, want it to contain %q", re.Reason, tt.reason)
			}
		})
	}
}

func TestCheckAllowedPublic(t *testing.T) {
	p, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"1.1.1.1:443",
		"8.8.8.8:53",
		"93.184.215.14:80",
		"172.15.255.255:80",   // just below 172.16/12
		"172.32.0.0:80",       // just above
		"100.63.255.255:80",   // just below 100.64/10
		"100.128.0.0:80",      // just above
		"169.253.255.255:80",  // just below link-local
		"223.255.255.255:443", // just below multicast
		"[2606:4700::1111]:443",
		"[2001:4860:4860::8888]:443",
		"[::ffff:1.1.1.1]:443",                      // mapped public
		"[64:ff9b::1.1.1.1]:443",                    // NAT64 of public
		"[2002:101:101::1]:443",                     // 6to4 of public
		"[::8.8.8.8]:53",                            // IPv4-compatible of public
		"[2001:0:4136:e378:8000:63bf:fefe:fefe]:80", // Teredo of public 1.1.1.1
	} {
		if err := p.Check(netip.MustParseAddrPort(s)); err != nil {
			t.Errorf("Check(%s) = %v, want nil", s, err)
		}
	}
}

func TestRefusedErrorMessage(t *testing.T) {
	err := (*Policy)(nil).Check(netip.MustParseAddrPort("127.0.0.1:1"))
	want := "egress policy refused 127.0.0.1:1: loopback address (allow it with --egress-allow 127.0.0.1:1)"
	if err == nil || err.Error() != want {
		t.Fatalf("Check error = %v, want %q", err, want)
	}
	// The hint names the form the allow list matches: the mapped form is
	// allowed by its plain IPv4 entry.
	err = (*Policy)(nil).Check(netip.MustParseAddrPort("[::ffff:127.0.0.1]:1"))
	if err == nil || !strings.HasSuffix(err.Error(), "(allow it with --egress-allow 127.0.0.1:1)") {
		t.Fatalf("mapped Check error = %v, want hint 127.0.0.1:1", err)
	}
}

func TestAllowExactIPPort(t *testing.T) {
	p, err := New([]string{"127.0.0.1:9000", "[::1]:80", " 10.0.0.5:8545 ", "[fe80::1%eth0]:443"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr    string
		allowed bool
	}{
		{"127.0.0.1:9000", true},
		{"[::ffff:127.0.0.1]:9000", true}, // same destination as 127.0.0.1:9000
		{"127.0.0.1:9001", false},
		{"127.0.0.2:9000", false},
		{"[::1]:80", true},
		{"[::1]:81", false},
		{"127.0.0.1:80", false},
		{"10.0.0.5:8545", true},
		{"10.0.0.5:8546", false},
		{"10.0.0.6:8545", false},
		{"[fe80::1]:443", true},
		{"[fe80::1%eth1]:443", true},
		{"[fe80::2]:443", false},
		{"1.1.1.1:443", true}, // public stays allowed
	}
	for _, tt := range tests {
		err := p.Check(netip.MustParseAddrPort(tt.addr))
		if tt.allowed && err != nil {
			t.Errorf("Check(%s) = %v, want nil", tt.addr, err)
		}
		if !tt.allowed && !errors.Is(err, ErrRefused) {
			t.Errorf("Check(%s) = %v, want refused", tt.addr, err)
		}
	}
}

// TestAllowLoopbackAnyPort: "127.0.0.1:*" opens every port of that one
// loopback address, nothing else; the port * is refused for any other
// host. The control for each refusal is the same address without the
// wildcard entry.
func TestAllowLoopbackAnyPort(t *testing.T) {
	p, err := New([]string{"127.0.0.1:*", "[::1]:*"})
	if err != nil {
		t.Fatal(err)
	}
	without, _ := New(nil)
	for _, tt := range []struct {
		addr    string
		allowed bool
	}{
		{"127.0.0.1:1", true},
		{"127.0.0.1:65535", true},
		{"[::ffff:127.0.0.1]:4000", true},
		{"[::1]:4000", true},
		{"127.0.0.2:4000", false},
		{"10.0.0.1:4000", false},
		{"169.254.169.254:80", false},
	} {
		err := p.Check(netip.MustParseAddrPort(tt.addr))
		if tt.allowed != (err == nil) {
			t.Errorf("Check(%s) = %v, want allowed %v", tt.addr, err, tt.allowed)
		}
		if err := without.Check(netip.MustParseAddrPort(tt.addr)); err == nil {
			t.Errorf("Check(%s) without the entry: allowed", tt.addr)
		}
	}
	for _, bad := range []string{"10.0.0.1:*", "localhost:*", "0.0.0.0:*", "169.254.169.254:*", "[fe80::1%eth0]:*"} {
		if _, err := New([]string{bad}); err == nil || !strings.Contains(err.Error(), "loopback IP only") {
			t.Errorf("New(%q) = %v, want a refusal", bad, err)
		}
	}
}

func TestAllowHostName(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resolved, err := net.DefaultResolver.LookupNetIP(ctx, "ip", "localhost")
	if err != nil || len(resolved) == 0 {
		t.Skipf("localhost does not resolve here: %v", err)
	}
	for i, a := range resolved {
		resolved[i] = a.Unmap()
	}
	p, err := New([]string{"localhost:8545"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ip := range []string{"127.0.0.1", "::1"} {
		a := netip.MustParseAddr(ip)
		want := slices.Contains(resolved, a)
		err := p.Check(netip.AddrPortFrom(a, 8545))
		if got := err == nil; got != want {
			t.Errorf("localhost resolves to %v; Check(%s:8545) = %v, want allowed=%v", resolved, ip, err, want)
		}
		if err := p.Check(netip.AddrPortFrom(a, 8546)); !errors.Is(err, ErrRefused) {
			t.Errorf("Check(%s:8546) = %v, want refused", ip, err)
		}
	}
}

func TestNewPinsResolvedAddresses(t *testing.T) {
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		if host != "rpc.internal" {
			return nil, fmt.Errorf("no such host %s", host)
		}
		return []netip.Addr{netip.MustParseAddr("10.1.1.1"), netip.MustParseAddr("fd00::7")}, nil
	}
	p, err := newPolicy([]string{"rpc.internal:8545"}, lookup)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"10.1.1.1:8545", "[fd00::7]:8545"} {
		if err := p.Check(netip.MustParseAddrPort(s)); err != nil {
			t.Errorf("Check(%s) = %v, want nil", s, err)
		}
	}
	if err := p.Check(netip.MustParseAddrPort("10.1.1.2:8545")); !errors.Is(err, ErrRefused) {
		t.Errorf("Check(10.1.1.2:8545) = %v, want refused", err)
	}
	if _, err := newPolicy([]string{"other.internal:1"}, lookup); err == nil || !strings.Contains(err.Error(), `"other.internal:1"`) {
		t.Errorf("unresolvable entry: err = %v, want an error naming the entry", err)
	}
	empty := func(context.Context, string) ([]netip.Addr, error) { return nil, nil }
	if _, err := newPolicy([]string{"void.internal:1"}, empty); err == nil {
		t.Error("entry resolving to no address: err = nil")
	}
}

func TestNewBadEntries(t *testing.T) {
	for _, entry := range []string{
		"",
		"   ",
		"127.0.0.1",
		"127.0.0.1:",
		":80",
		"127.0.0.1:0",
		"127.0.0.1:65536",
		"127.0.0.1:-1",
		"127.0.0.1:http",
		"127.0.0.1:80x",
		"::1:80",
		"[::1]",
		"[::1]80",
		"[1.2.3.4.5]:80",
		"http://127.0.0.1:80",
		"a b:80",
		"[localhost]:80",
		"[127.0.0.1]:80",
		"[fe80::1%]:80",
	} {
		t.Run(entry, func(t *testing.T) {
			lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
				t.Errorf("New(%q) resolved %q", entry, host)
				return nil, errors.New("no lookups here")
			}
			_, err := newPolicy([]string{"127.0.0.1:1", entry}, lookup)
			if err == nil {
				t.Fatalf("New(%q) = nil error", entry)
			}
			msg := err.Error()
			if !strings.Contains(msg, fmt.Sprintf("%q", entry)) || !strings.Contains(msg, "HOST:PORT") {
				t.Errorf("New(%q) error %q: want it to name the entry and the form HOST:PORT", entry, msg)
			}
		})
	}
}

func TestNewGoodEntries(t *testing.T) {
	p, err := New([]string{"127.0.0.1:1", "127.0.0.1:65535", "[::1]:80", "[::ffff:10.0.0.1]:80"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.allow) != 4 {
		t.Errorf("allow has %d entries, want 4: %v", len(p.allow), p.allow)
	}
	if err := p.Check(netip.MustParseAddrPort("10.0.0.1:80")); err != nil {
		t.Errorf("mapped allow entry does not allow its IPv4 form: %v", err)
	}
}

func TestDialer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := ln.Addr().String()

	refused, _ := New(nil)
	_, err = refused.Dialer(time.Second).Dial("tcp", addr)
	var re *RefusedError
	if !errors.As(err, &re) || re.Addr != netip.MustParseAddrPort(addr) {
		t.Fatalf("Dial(%s) without allow entry = %v, want *RefusedError for it", addr, err)
	}

	allowed, err := New([]string{addr})
	if err != nil {
		t.Fatal(err)
	}
	c, err := allowed.Dialer(time.Second).Dial("tcp", addr)
	if err != nil {
		t.Fatalf("Dial(%s) with allow entry = %v", addr, err)
	}
	c.Close()

	if _, err := allowed.Dialer(time.Second).Dial("unix", "/tmp/egress-test.sock"); !errors.Is(err, ErrRefused) {
		t.Errorf("unix dial = %v, want refused", err)
	}
}

func TestTransport(t *testing.T) {
	tr := (&Policy{}).Transport()
	if tr.Proxy != nil {
		t.Error("Transport uses a proxy")
	}
	if tr.DialContext == nil || !tr.ForceAttemptHTTP2 {
		t.Error("Transport: no DialContext or HTTP/2 not forced")
	}
	if tr.TLSHandshakeTimeout != 10*time.Second || tr.ResponseHeaderTimeout != 30*time.Second ||
		tr.IdleConnTimeout != 30*time.Second || tr.MaxIdleConnsPerHost != 16 {
		t.Errorf("Transport timeouts = %v %v %v %d", tr.TLSHandshakeTimeout, tr.ResponseHeaderTimeout,
			tr.IdleConnTimeout, tr.MaxIdleConnsPerHost)
	}
}

func TestHTTPEndToEnd(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "hello")
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	hostPort := u.Host // 127.0.0.1:PORT
	_, port, _ := net.SplitHostPort(hostPort)
	// Environment proxies must not apply: a proxy would move the dial.
	t.Setenv("HTTP_PROXY", "http://192.0.2.1:3128")
	t.Setenv("http_proxy", "http://192.0.2.1:3128")
	t.Setenv("NO_PROXY", "")

	get := func(p *Policy, rawURL string) (string, error) {
		tr := p.Transport()
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		resp, err := client.Get(rawURL)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}

	none, _ := New(nil)
	t.Run("refused", func(t *testing.T) {
		_, err := get(none, srv.URL)
		var ue *url.Error
		if !errors.As(err, &ue) {
			t.Fatalf("Get = %v (%T), want *url.Error", err, err)
		}
		if !errors.Is(err, ErrRefused) {
			t.Fatalf("Get = %v, want errors.Is ErrRefused", err)
		}
		var re *RefusedError
		if !errors.As(err, &re) || re.Addr.String() != hostPort || re.Reason != "loopback address" {
			t.Errorf("RefusedError = %+v, want loopback %s", re, hostPort)
		}
	})
	t.Run("localhost name refused", func(t *testing.T) {
		_, err := get(none, "http://localhost:"+port+"/")
		if !errors.Is(err, ErrRefused) {
			t.Fatalf("Get localhost = %v, want errors.Is ErrRefused", err)
		}
	})
	t.Run("allowed", func(t *testing.T) {
		p, err := New([]string{hostPort})
		if err != nil {
			t.Fatal(err)
		}
		body, err := get(p, srv.URL)
		if err != nil || body != "hello" {
			t.Fatalf("Get with %s allowed = %q, %v; want hello", hostPort, body, err)
		}
	})
	t.Run("redirect to refused", func(t *testing.T) {
		// A public-looking first hop cannot be served from here, so check the
		// other direction: an allowed server redirecting to a port that is not.
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "secret")
		}))
		defer other.Close()
		redir := httptest.NewServer(http.RedirectHandler(other.URL, http.StatusFound))
		defer redir.Close()
		p, err := New([]string{strings.TrimPrefix(redir.URL, "http://")})
		if err != nil {
			t.Fatal(err)
		}
		body, err := get(p, redir.URL)
		if !errors.Is(err, ErrRefused) {
			t.Fatalf("redirect to %s = %q, %v; want refused", other.URL, body, err)
		}
	})
}
