package gateway

import (
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
)

// Free tiers (issue 11). A priced agent's owner may let callers make some
// calls without paying (SetFreeTier: calls per day in all, and per
// caller). A call without a voucher to an agent with a free tier is
// counted here instead of paid: a caller that signs a Cove-Auth for the
// call (this gateway, its method and path) is counted as its account, any
// other caller as its IP address (the connection's: behind a proxy every
// caller shares the proxy's). A call with a voucher is paid and does not
// count, nor does a free call no agent ran (given back, as a voucher
// is). The counts are this gateway's, start again each day (UTC), and are
// kept across a clean restart (FreeCallsFile), not a crash.

// freeCall lets a call of agent a without a voucher through when its free
// tier allows it, counting it. It returns what gives the call back (for a
// call no agent ran) when the call may run, or a paymentError saying why
// the free tier does not cover it (or that its Cove-Auth is refused).
func (s *Server) freeCall(r *http.Request, a cove.Agent) (giveBack func(), _ *paymentError) {
	if a.FreeTier == nil {
		return nil, &paymentError{msg: "agent " + a.ID.String() + " costs " + a.Price.String() + " base units per call: send a voucher of a payment channel to it in the " + api.HeaderPayment + " header"}
	}
	now := time.Now()
	caller := ""
	var useNonce func() *authError
	if r.Header.Get(api.HeaderAuth) != "" {
		signer, auth, aerr := s.checkAuth(r, now)
		if aerr != nil {
			return nil, &paymentError{status: aerr.status, code: aerr.code, msg: aerr.message}
		}
		caller = "account " + signer.String()
		// The nonce is used up only for a call the tier lets through, so
		// refused callers fill none of the gateway's memory of nonces.
		useNonce = func() *authError { return s.useNonce(signer, auth, now) }
	} else {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		caller = "address " + host
	}
	var refused *authError
	var use func() error
	if useNonce != nil {
		use = func() error {
			if refused = useNonce(); refused != nil {
				return errors.New(refused.message)
			}
			return nil
		}
	}
	why, err := s.free.Take(a.ID, *a.FreeTier, caller, now, use)
	if err != nil {
		if refused == nil { // Take fails only through use, which sets it
			return nil, &paymentError{status: http.StatusInternalServerError, code: "internal", msg: err.Error()}
		}
		return nil, &paymentError{status: refused.status, code: refused.code, msg: refused.message}
	}
	if why != "" {
		return nil, &paymentError{msg: why + " (" + caller + "): pay with a voucher of a payment channel to agent " + a.ID.String() + " in the " + api.HeaderPayment + " header, or come back tomorrow (UTC)"}
	}
	return func() { s.free.Return(a.ID, caller, now) }, nil
}
