package egress

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

// FuzzNew feeds arbitrary allow entries to New. Host names resolve through a
// fake that never asks a DNS server. New must not panic, and a policy it
// returns holds only valid addresses with a non-zero port.
func FuzzNew(f *testing.F) {
	for _, s := range []string{
		"127.0.0.1:9000", "localhost:8545", "[::1]:80", "[fe80::1%eth0]:1", "[::ffff:1.2.3.4]:65535",
		"", ":", "[]:1", "[::1", "1.2.3.4:0", "1.2.3.4:65536", "host:99999999999999999999", "a:b:c",
		"[%]:1", "[fe80::1%]:1", "example.com:443", " x:1 ",
	} {
		f.Add(s)
	}
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		switch len(host) % 3 {
		case 0:
			return []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("::1")}, nil
		case 1:
			return nil, errors.New("no such host")
		default:
			return []netip.Addr{{}}, nil
		}
	}
	f.Fuzz(func(t *testing.T, entry string) {
		p, err := newPolicy([]string{entry}, lookup)
		if err != nil {
			if p != nil {
				t.Fatalf("newPolicy(%q) returned a policy and an error", entry)
			}
			return
		}
		if len(p.allow) == 0 {
			t.Fatalf("newPolicy(%q) accepted the entry but allows nothing", entry)
		}
		for ap := range p.allow {
			if !ap.Addr().IsValid() || ap.Port() == 0 || ap.Addr().Zone() != "" || ap.Addr().Is4In6() {
				t.Fatalf("newPolicy(%q) allows %s, not a normalized ip:port", entry, ap)
			}
			if err := p.Check(ap); err != nil {
				t.Fatalf("newPolicy(%q): allowed %s refused: %v", entry, ap, err)
			}
		}
	})
}

// FuzzCheck turns 18 bytes into an address and port and checks that the
// default policy never allows what the stdlib calls loopback, private,
// link-local, multicast or unspecified, in any IPv4-mapped form either.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "::1", "::ffff:10.0.0.1", "1.1.1.1", "2606:4700::1111", "fe80::1", "64:ff9b::7f00:1"} {
		b := netip.MustParseAddr(s).As16()
		f.Add(append(b[:], 0, 80))
	}
	var p Policy
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 18 {
			return
		}
		a := netip.AddrFrom16([16]byte(data[:16]))
		if data[0]&1 == 1 { // also exercise the 4-byte form
			a = a.Unmap()
		}
		ap := netip.AddrPortFrom(a, uint16(data[16])<<8|uint16(data[17]))
		err := p.Check(ap)
		if err != nil {
			var re *RefusedError
			if !errors.As(err, &re) || !errors.Is(err, ErrRefused) || re.Addr != ap || re.Reason == "" {
				t.Fatalf("Check(%s) = %v, want a *RefusedError with a reason", ap, err)
			}
			return
		}
		for _, x := range []netip.Addr{a, a.Unmap()} {
			if x.IsLoopback() || x.IsPrivate() || x.IsLinkLocalUnicast() || x.IsLinkLocalMulticast() ||
				x.IsInterfaceLocalMulticast() || x.IsMulticast() || x.IsUnspecified() || !x.IsGlobalUnicast() {
				t.Fatalf("Check(%s) = nil for a non-public address", ap)
			}
		}
	})
}
