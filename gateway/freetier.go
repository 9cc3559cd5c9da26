package gateway

import (
	"net"
	"net/http"
	"strconv"
	"sync"
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
// count. The counts are this gateway's, in memory, and start again each
// day (UTC) and when the gateway restarts.

// Bounds of the counts' memory: past them a new caller (or agent) of the
// day gets no free call until the next day.
const (
	maxFreeCallersPerAgent = 100_000
	maxFreeAgents          = 10_000
)

// freeCounts counts the free calls of the day.
type freeCounts struct {
	mu     sync.Mutex
	day    int64 // Unix days of the counts
	agents map[cove.AgentID]*agentFreeCount
}

type agentFreeCount struct {
	total   uint64
	callers map[string]uint64
}

// take counts a free call of agent by caller at now if tier allows it
// and use (nil: none) accepts: the call's Cove-Auth nonce is used up only
// then. Otherwise it says why the tier does not cover the call, or
// returns use's refusal.
func (f *freeCounts) take(agent cove.AgentID, tier cove.FreeTier, caller string, now time.Time, use func() *authError) (why string, aerr *authError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if day := now.UTC().Unix() / 86400; day != f.day || f.agents == nil {
		f.day, f.agents = day, map[cove.AgentID]*agentFreeCount{}
	}
	a := f.agents[agent]
	if a == nil {
		if len(f.agents) >= maxFreeAgents {
			return "this gateway counts the free calls of too many agents today", nil
		}
		a = &agentFreeCount{callers: map[string]uint64{}}
		f.agents[agent] = a
	}
	if a.total >= tier.CallsPerDay {
		return "the free tier's " + strconv.FormatUint(tier.CallsPerDay, 10) + " calls of today are used up", nil
	}
	n, known := a.callers[caller]
	if tier.PerCaller > 0 && n >= tier.PerCaller {
		return "you have made the " + strconv.FormatUint(tier.PerCaller, 10) + " free calls a caller may make today", nil
	}
	if !known && len(a.callers) >= maxFreeCallersPerAgent {
		return "this gateway counts too many callers of this agent today", nil
	}
	if use != nil {
		if aerr := use(); aerr != nil {
			return "", aerr
		}
	}
	a.total++
	a.callers[caller] = n + 1
	return "", nil
}

// freeCall lets a call of agent a without a voucher through when its free
// tier allows it, counting it. It returns nil when the call may run, an
// *authError for a Cove-Auth that is refused, or a paymentError saying
// why the free tier does not cover it.
func (s *Server) freeCall(r *http.Request, a cove.Agent) *paymentError {
	if a.FreeTier == nil {
		return &paymentError{msg: "agent " + a.ID.String() + " costs " + a.Price.String() + " base units per call: send a voucher of a payment channel to it in the " + api.HeaderPayment + " header"}
	}
	now := time.Now()
	caller := ""
	var useNonce func() *authError
	if r.Header.Get(api.HeaderAuth) != "" {
		signer, auth, aerr := s.checkAuth(r, now)
		if aerr != nil {
			return &paymentError{status: aerr.status, code: aerr.code, msg: aerr.message}
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
	why, aerr := s.free.take(a.ID, *a.FreeTier, caller, now, useNonce)
	if aerr != nil {
		return &paymentError{status: aerr.status, code: aerr.code, msg: aerr.message}
	}
	if why != "" {
		return &paymentError{msg: why + " (" + caller + "): pay with a voucher of a payment channel to agent " + a.ID.String() + " in the " + api.HeaderPayment + " header, or come back tomorrow (UTC)"}
	}
	return nil
}
