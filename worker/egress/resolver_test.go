package egress

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"
	"testing"
)

// resolverNamed matches a lookup error that names the resolver it asked.
var resolverNamed = regexp.MustCompile(`lookup \S+ on \S+:`)

// TestDialHidesResolver: a name that does not resolve (.invalid, RFC 6761)
// fails through Transport's dialer without the host's resolver address in
// the message; the plain dialer's message names it (the control, where the
// host's resolver answers with its address at all).
func TestDialHidesResolver(t *testing.T) {
	const name = "api.example.invalid"
	_, plain := (&net.Dialer{}).DialContext(context.Background(), "tcp", name+":80")
	if plain == nil {
		t.Skip("the host resolves " + name)
	}
	if !resolverNamed.MatchString(plain.Error()) {
		t.Logf("control: this host's resolver does not name itself (%v); the check below still runs", plain)
	}
	p, _ := New(nil)
	_, err := p.Transport().DialContext(context.Background(), "tcp", name+":80")
	if err == nil {
		t.Fatal("dialed a .invalid name")
	}
	if resolverNamed.MatchString(err.Error()) || !strings.Contains(err.Error(), "lookup "+name) {
		t.Fatalf("%q: want the lookup named without the resolver", err)
	}
	var de *net.DNSError
	if !errors.As(err, &de) || de.Name != name {
		t.Fatalf("%#v: want a *net.DNSError still", err)
	}
	t.Logf("plain dialer: %v; egress dialer: %v", plain, err)
}

// TestWithoutResolver: the resolver's address leaves every form of a
// lookup error, the kind of failure stays, and the original (which the
// resolver may share among lookups) is not changed.
func TestWithoutResolver(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   *net.DNSError
		want string
	}{
		{"not found", &net.DNSError{Err: "no such host", Name: "a.invalid", Server: "10.255.255.53:53", IsNotFound: true}, "lookup a.invalid: no such host"},
		{"socket error", &net.DNSError{Err: "read udp 172.17.0.2:40000->10.255.255.53:53: i/o timeout", Name: "a.test", Server: "10.255.255.53:53", IsTimeout: true}, "lookup a.test: i/o timeout"},
		{"refused", &net.DNSError{Err: "dial udp [fd00::53]:53: connect: connection refused", Name: "a.test", Server: "[fd00::53]:53"}, "lookup a.test: the name server could not be reached"},
		{"no server", &net.DNSError{Err: "no such host", Name: "a.test", IsNotFound: true}, "lookup a.test: no such host"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			orig := *tt.in
			in := &net.OpError{Op: "dial", Net: "tcp", Err: tt.in}
			got := withoutResolver(in)
			if got.Error() != "dial tcp: "+tt.want {
				t.Fatalf("%q, want %q", got, "dial tcp: "+tt.want)
			}
			var de *net.DNSError
			if !errors.As(got, &de) || de.IsNotFound != orig.IsNotFound || de.IsTimeout != orig.IsTimeout {
				t.Fatalf("%#v: the kind of failure is lost", got)
			}
			if *tt.in != orig || in.Err != tt.in {
				t.Fatal("the original error was changed")
			}
		})
	}
	other := errors.New("connection refused")
	if got := withoutResolver(other); got != other {
		t.Fatalf("an error without a lookup changed: %v", got)
	}
}
