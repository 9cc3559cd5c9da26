// Package egress is the outbound-network policy for agents' fetch calls. Agents
// run untrusted code on a worker that sits next to things an agent must never
// reach: the node's own APIs on loopback, the operator's private network, and
// the cloud metadata service that hands out the machine's credentials. The
// policy refuses every address that is not public unicast (loopback, private,
// link-local, metadata, carrier-grade NAT, multicast, broadcast, reserved,
// benchmarking and documentation ranges) unless the operator allowed that exact
// ip:port, and Transport gives the http.Transport the sandbox's fetch must use.
//
// Security: the check runs on the address the kernel is about to connect to,
// inside the dialer's Control hook, after name resolution and after every
// redirect. Checking a URL's host name before the request proves nothing: a
// name can resolve to a public address when checked and to 127.0.0.1 when
// dialed (DNS rebinding), a redirect can point anywhere, and a name can have
// several addresses tried in turn. IPv6 forms that embed an IPv4 address
// (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, IPv4-translated,
// NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo) are unpacked and the embedded
// IPv4 address is checked too: the kernel or a translator on the path delivers
// them to that IPv4 address, so [::ffff:169.254.169.254]:80 is the metadata
// service, whatever the IPv6 predicates say about it. Transport's dial errors
// never name the host's DNS resolver (hideResolver): agents and their callers
// read them.
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrRefused matches, with errors.Is, every error the policy returns for a
// refused destination.
var ErrRefused = errors.New("egress refused")

// RefusedError reports a destination the policy refused and why.
type RefusedError struct {
	Addr   netip.AddrPort
	Reason string // e.g. "loopback address"
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("egress policy refused %s: %s (allow it with --egress-allow %s)",
		e.Addr, e.Reason, normalize(e.Addr))
}

// Is reports whether target is ErrRefused.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Policy decides which destinations agents may connect to. The zero value and
// a nil *Policy allow only public unicast addresses.
type Policy struct {
	allow map[netip.AddrPort]struct{} // normalized: unmapped, no zone
	// anyPort are loopback addresses allowed on every port ("127.0.0.1:*").
	anyPort map[netip.Addr]struct{}
}

// resolveTimeout bounds the name resolution of one allow entry in New.
const resolveTimeout = 5 * time.Second

// New returns a policy that also allows the given entries. Each entry is
// HOST:PORT, such as "127.0.0.1:9000", "localhost:8545" or "[::1]:80"; the port
// is a number from 1 to 65535. A host name is resolved now, with
// net.DefaultResolver, and every address it resolves to is allowed on that
// port. A loopback address written as an IP may have the port "*"
// ("127.0.0.1:*", "[::1]:*"): every port of it is allowed (a test's mock
// servers on ports the kernel picks; `cove agent test`).
//
// Security: an allowed name is pinned to the addresses it has at New, so a
// later change to its DNS records cannot widen the policy.
func New(allow []string) (*Policy, error) {
	return newPolicy(allow, func(ctx context.Context, host string) ([]netip.Addr, error) {
		return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	})
}

// lookupFunc resolves a host name to its addresses; tests replace it so they
// never ask a DNS server.
type lookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

func newPolicy(allow []string, lookup lookupFunc) (*Policy, error) {
	p := &Policy{allow: make(map[netip.AddrPort]struct{}), anyPort: make(map[netip.Addr]struct{})}
	for _, entry := range allow {
		if host, port, err := net.SplitHostPort(strings.TrimSpace(entry)); err == nil && port == "*" {
			ip, err := netip.ParseAddr(host)
			if err != nil || !ip.Unmap().IsLoopback() || ip.Zone() != "" {
				return nil, fmt.Errorf("egress allow entry %q: the port * is for a loopback IP only (127.0.0.1:* or [::1]:*)", entry)
			}
			p.anyPort[ip.Unmap()] = struct{}{}
			continue
		}
		addrs, err := parseEntry(entry, lookup)
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			p.allow[normalize(a)] = struct{}{}
		}
	}
	return p, nil
}

const entryForm = "want HOST:PORT with a port from 1 to 65535, e.g. 127.0.0.1:9000, localhost:8545 or [::1]:80"

func parseEntry(entry string, lookup lookupFunc) ([]netip.AddrPort, error) {
	bad := func(why string) error {
		return fmt.Errorf("egress allow entry %q: %s (%s)", entry, why, entryForm)
	}
	s := strings.TrimSpace(entry)
	if s == "" {
		return nil, bad("empty entry")
	}
	host, portStr, err := net.SplitHostPort(s)
	if err != nil {
		return nil, bad("not HOST:PORT")
	}
	if host == "" {
		return nil, bad("missing host")
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return nil, bad(fmt.Sprintf("bad port %q", portStr))
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if strings.HasPrefix(s, "[") != ip.Is6() {
			return nil, bad(fmt.Sprintf("bad host %q: brackets go around IPv6 addresses only", host))
		}
		return []netip.AddrPort{netip.AddrPortFrom(ip, uint16(port))}, nil
	}
	if strings.HasPrefix(s, "[") {
		return nil, bad(fmt.Sprintf("bad host %q: brackets go around IPv6 addresses only", host))
	}
	if strings.ContainsAny(host, ":%[] ") {
		return nil, bad(fmt.Sprintf("bad host %q", host))
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	ips, err := lookup(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("egress allow entry %q: resolve %s: %w", entry, host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("egress allow entry %q: %s resolves to no address", entry, host)
	}
	out := make([]netip.AddrPort, 0, len(ips))
	for _, ip := range ips {
		if ip.IsValid() {
			out = append(out, netip.AddrPortFrom(ip, uint16(port)))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("egress allow entry %q: %s resolves to no valid address", entry, host)
	}
	return out, nil
}

// normalize returns the form allow entries are kept and matched in: an
// IPv4-mapped address as plain IPv4 (the kernel dials both the same way) and
// no IPv6 zone.
func normalize(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap().WithZone(""), a.Port())
}

// Check returns nil if agents may connect to addr: a public unicast address,
// or an address the policy allows exactly (ip and port). Otherwise it returns
// a *RefusedError, which matches ErrRefused.
//
// Security: call it on the resolved address at dial time (Dialer does), never
// on a host name before resolution.
func (p *Policy) Check(addr netip.AddrPort) error {
	if p != nil {
		if _, ok := p.allow[normalize(addr)]; ok {
			return nil
		}
		if _, ok := p.anyPort[normalize(addr).Addr()]; ok {
			return nil
		}
	}
	if reason := refusal(addr.Addr()); reason != "" {
		return &RefusedError{Addr: addr, Reason: reason}
	}
	return nil
}

// Dialer returns a dialer with the given connect timeout that calls Check on
// every address it is about to connect to and fails the dial if it is refused.
//
// Security: the hook runs after name resolution, once per address tried, so it
// sees what the kernel connects to; DNS rebinding and multi-address names
// cannot slip past it. Only dials through this dialer are checked.
func (p *Policy) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{
		Timeout:   timeout,
		KeepAlive: 30 * time.Second,
		Control:   p.control,
	}
}

func (p *Policy) control(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
	default:
		return fmt.Errorf("egress policy refused %s dial to %q: %w", network, address, ErrRefused)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("egress policy refused dial to %q: not an ip:port: %w", address, ErrRefused)
	}
	return p.Check(ap)
}

// Transport returns the http.Transport agents' fetch calls must use: it dials
// through Dialer, never uses a proxy (environment proxy settings would move
// the dial, and so the check, elsewhere), and bounds each phase of a request.
func (p *Policy) Transport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           hideResolver(p.Dialer(10 * time.Second).DialContext),
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
		IdleConnTimeout:       30 * time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
	}
}

// hideResolver wraps dial so that its errors never name the host's DNS
// resolver: "lookup api.example on 10.0.0.53:53: no such host" becomes
// "lookup api.example: no such host". A dial error reaches the agent, and
// through it its callers; the resolver's address is the host's network
// layout, none of theirs. A resolver failure whose message holds the
// resolver's address (a socket error talking to it) is named by its kind.
func hideResolver(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			err = withoutResolver(err)
		}
		return c, err
	}
}

// withoutResolver returns err with any *net.DNSError in it (the dialer's
// shape: a *net.OpError around one) replaced by a copy without the
// resolver's address. It copies rather than edits: the resolver shares one
// error among concurrent lookups of a name.
func withoutResolver(err error) error {
	switch e := err.(type) {
	case *net.OpError:
		if inner := withoutResolver(e.Err); inner != e.Err {
			c := *e
			c.Err = inner
			return &c
		}
	case *net.DNSError:
		if e.Server == "" {
			return err
		}
		c := *e
		if host, _, splitErr := net.SplitHostPort(c.Server); splitErr == nil && strings.Contains(c.Err, host) || strings.Contains(c.Err, c.Server) {
			switch {
			case c.IsTimeout:
				c.Err = "i/o timeout"
			case c.IsNotFound:
				c.Err = "no such host"
			default:
				c.Err = "the name server could not be reached"
			}
		}
		c.Server = ""
		return &c
	}
	return err
}

// Special-purpose ranges the stdlib predicates do not name.
var (
	metadataAddrs = []netip.Addr{
		netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, most others
		netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
		netip.MustParseAddr("fd00:ec2::254"),   // AWS IPv6
	}

	v4Ranges = []struct {
		prefix netip.Prefix
		reason string
	}{
		{netip.MustParsePrefix("0.0.0.0/8"), "this-network address"},
		{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT address"},
		{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment address"},
		{netip.MustParsePrefix("192.0.2.0/24"), "documentation address"},
		{netip.MustParsePrefix("198.51.100.0/24"), "documentation address"},
		{netip.MustParsePrefix("203.0.113.0/24"), "documentation address"},
		{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking address"},
		{netip.MustParsePrefix("240.0.0.0/4"), "reserved address"},
	}

	v6Ranges = []struct {
		prefix netip.Prefix
		reason string
	}{
		{netip.MustParsePrefix("fec0::/10"), "site-local address"},
		{netip.MustParsePrefix("100::/64"), "discard-only address"},
		{netip.MustParsePrefix("2001:db8::/32"), "documentation address"},
		{netip.MustParsePrefix("3fff::/20"), "documentation address"},
		{netip.MustParsePrefix("2001:2::/48"), "benchmarking address"},
		// Local-use NAT64 (RFC 8215): the embedding depends on the local
		// prefix length, so the IPv4 destination cannot be read back.
		{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64 address"},
	}

	// IPv6 forms whose last 32 bits are an IPv4 destination. IPv4-mapped
	// (::ffff:0:0/96) is handled by Unmap.
	compatPrefix    = netip.MustParsePrefix("::/96")           // IPv4-compatible, deprecated
	translatePrefix = netip.MustParsePrefix("::ffff:0:0:0/96") // IPv4-translated (SIIT)
	nat64Prefix     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFourPrefix = netip.MustParsePrefix("2002::/16")      // IPv4 in bits 16-47
	teredoPrefix    = netip.MustParsePrefix("2001:0000::/32") // client IPv4 inverted in the last 32 bits
)

// refusal returns why a is refused, or "" if it is public unicast.
func refusal(a netip.Addr) string {
	if !a.IsValid() {
		return "invalid address"
	}
	a = a.WithZone("")
	if a.Is4In6() {
		return embedded(a.Unmap(), "IPv4-mapped")
	}
	if a.Is4() {
		return refusal4(a)
	}
	return refusal6(a)
}

// embedded names the refusal of an IPv4 address found inside an IPv6 one.
func embedded(v4 netip.Addr, form string) string {
	if r := refusal4(v4); r != "" {
		return fmt.Sprintf("%s %s in %s IPv6 form", r, v4, form)
	}
	return ""
}

// refusalCommon names the classes both address families share.
func refusalCommon(a netip.Addr) string {
	for _, m := range metadataAddrs {
		if a == m {
			return "metadata address"
		}
	}
	switch {
	case a.IsUnspecified():
		return "unspecified address"
	case a.IsLoopback():
		return "loopback address"
	case a.IsPrivate():
		return "private address"
	case a.IsLinkLocalUnicast():
		return "link-local address"
	case a.IsMulticast():
		return "multicast address"
	}
	return ""
}

func refusal4(a netip.Addr) string {
	if r := refusalCommon(a); r != "" {
		return r
	}
	if a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return "broadcast address"
	}
	for _, r := range v4Ranges {
		if r.prefix.Contains(a) {
			return r.reason
		}
	}
	if !a.IsGlobalUnicast() {
		return "non-unicast address"
	}
	return ""
}

func refusal6(a netip.Addr) string {
	if r := refusalCommon(a); r != "" {
		return r
	}
	for _, r := range v6Ranges {
		if r.prefix.Contains(a) {
			return r.reason
		}
	}
	b := a.As16()
	switch {
	case compatPrefix.Contains(a):
		return embedded(netip.AddrFrom4([4]byte(b[12:16])), "IPv4-compatible")
	case translatePrefix.Contains(a):
		return embedded(netip.AddrFrom4([4]byte(b[12:16])), "IPv4-translated")
	case nat64Prefix.Contains(a):
		return embedded(netip.AddrFrom4([4]byte(b[12:16])), "NAT64")
	case sixToFourPrefix.Contains(a):
		return embedded(netip.AddrFrom4([4]byte(b[2:6])), "6to4")
	case teredoPrefix.Contains(a):
		return embedded(netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}), "Teredo")
	}
	if !a.IsGlobalUnicast() {
		return "non-unicast address"
	}
	return ""
}
