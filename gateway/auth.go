package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
)

// DefaultMaxAuthNonces bounds the used Cove-Auth nonces a gateway
// remembers when Config.MaxAuthNonces is zero.
const DefaultMaxAuthNonces = 1 << 16

// authError is a refused Cove-Auth: the status, stable code and public
// message the gateway answers.
type authError struct {
	status  int
	code    string
	message string
}

func refuse(status int, code, format string, args ...any) *authError {
	return &authError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// audiences returns the hosts a Cove-Auth sent in r may name: the
// configured audiences and the host of the public URL, or, when neither is
// configured, the Host of r itself.
func (s *Server) audiences(r *http.Request) []string {
	if len(s.audience) > 0 {
		return s.audience
	}
	return []string{strings.ToLower(r.Host)}
}

// configuredAudiences are cfg's auth audiences and its public URL's host,
// lowercase.
func configuredAudiences(cfg Config) []string {
	var out []string
	for _, a := range cfg.AuthAudiences {
		out = append(out, strings.ToLower(a))
	}
	if cfg.PublicURL != "" {
		if u, err := url.Parse(cfg.PublicURL); err == nil && u.Host != "" {
			out = append(out, strings.ToLower(u.Host))
		}
	}
	return out
}

// checkAuth returns the signer of the Cove-Auth of r, or why it is refused.
// The header must parse; name this chain, one of this gateway's audiences,
// r's method and path; expire after now and at most api.MaxAuthLifetime
// after it; and carry a valid signature. Its nonce is not yet marked used:
// the caller does that (useNonce) once the signer is authorized, so that
// refused headers fill no memory.
//
// Security: the signature alone proves only who signed. Each check here
// closes a replay: the chain id one from another Cove network, the audience
// one from another gateway (a header sent to a malicious gateway is no good
// at an honest one), the method and path one on another resource (another
// agent's logs), the expiry and the nonce a second use here. The Host header
// is the caller's to choose, so only configured audiences (public_url,
// auth_audiences) stop the cross-gateway replay; without them the gateway
// accepts its request's Host.
func (s *Server) checkAuth(r *http.Request, now time.Time) (cove.Address, api.Auth, *authError) {
	h := r.Header.Get(api.HeaderAuth)
	if h == "" {
		return cove.Address{}, api.Auth{}, refuse(http.StatusUnauthorized, "auth_required",
			"this request needs the owner's %s header (EIP-712 typed data, docs/PROTOCOL.md); `cove agent logs ID --from OWNER` signs it", api.HeaderAuth)
	}
	a, err := api.ParseAuth(h)
	if err != nil {
		return cove.Address{}, a, refuse(http.StatusUnauthorized, "bad_auth", "%v", err)
	}
	auds := s.audiences(r)
	if !slices.Contains(auds, strings.ToLower(a.Audience)) {
		return cove.Address{}, a, refuse(http.StatusUnauthorized, "auth_wrong_audience",
			"the %s is signed for gateway %q; this gateway is %s", api.HeaderAuth, truncate(a.Audience, 100), strings.Join(auds, ", "))
	}
	signer, ref := a.Check(s.chain.View().ChainID(), r.Method, r.URL.EscapedPath(), now)
	if ref != nil {
		return cove.Address{}, a, refuse(http.StatusUnauthorized, ref.Code, "%s", ref.Message)
	}
	return signer, a, nil
}

// useNonce marks a's nonce used by signer, or refuses a nonce already used.
func (s *Server) useNonce(signer cove.Address, a api.Auth, now time.Time) *authError {
	switch err := s.nonces.use(signer, a.Nonce, time.Unix(int64(a.Expiry), 0), now); {
	case errors.Is(err, errNonceUsed):
		return refuse(http.StatusUnauthorized, "auth_replayed",
			"this %s was used already: sign a new one (with a fresh nonce) for each request", api.HeaderAuth)
	case errors.Is(err, errSignerBusy):
		return refuse(http.StatusTooManyRequests, "auth_busy",
			"%s signed more than %d %s headers this gateway accepted in the last %s; retry shortly", signer, s.nonces.perSigner, api.HeaderAuth, api.MaxAuthLifetime)
	case errors.Is(err, errNoncesFull):
		return refuse(http.StatusServiceUnavailable, "auth_busy",
			"the gateway has accepted too many %s headers in the last %s; retry shortly", api.HeaderAuth, api.MaxAuthLifetime)
	}
	return nil
}

var (
	errNonceUsed  = errors.New("nonce used")
	errNoncesFull = errors.New("too many unexpired nonces")
	errSignerBusy = errors.New("too many unexpired nonces of one signer")
)

type nonceKey struct {
	signer cove.Address
	nonce  cove.Hash
}

// nonceCache remembers the nonces of accepted Cove-Auth headers until they
// expire, at most max at once and perSigner of one signer.
//
// Security: it lives in memory, so a restarted gateway accepts a header
// used before the restart again until it expires (api.MaxAuthLifetime at
// most), and each gateway behind one public host keeps its own. When full
// of unexpired nonces it refuses new ones (errNoncesFull) rather than
// forget one that could then be replayed. The quota per signer
// (errSignerBusy) keeps one agent owner from filling it and locking every
// other owner out.
type nonceCache struct {
	mu        sync.Mutex
	max       int
	perSigner int
	seen      map[nonceKey]time.Time // the header's expiry
	bySigner  map[cove.Address]int   // unswept entries of seen per signer
	// sweepAt is the earliest expiry left by the last sweep: sweeping
	// before it frees nothing.
	sweepAt time.Time
}

// minNoncesPerSigner is the least per-signer quota of a nonceCache.
const minNoncesPerSigner = 16

func newNonceCache(limit int) *nonceCache {
	return &nonceCache{max: limit, perSigner: max(limit/64, minNoncesPerSigner),
		seen: map[nonceKey]time.Time{}, bySigner: map[cove.Address]int{}}
}

// use marks (signer, nonce) used until expiry, or fails if it is in use.
func (c *nonceCache) use(signer cove.Address, nonce cove.Hash, expiry, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := nonceKey{signer, nonce}
	if exp, ok := c.seen[k]; ok && now.Before(exp) {
		return errNonceUsed
	}
	if _, ok := c.seen[k]; ok { // expired: this use renews it
		c.seen[k] = expiry
		return nil
	}
	if (len(c.seen) >= c.max || c.bySigner[signer] >= c.perSigner) && !now.Before(c.sweepAt) {
		c.sweepAt = time.Time{}
		for k, exp := range c.seen {
			if !now.Before(exp) {
				delete(c.seen, k)
				if c.bySigner[k.signer]--; c.bySigner[k.signer] == 0 {
					delete(c.bySigner, k.signer)
				}
			} else if c.sweepAt.IsZero() || exp.Before(c.sweepAt) {
				c.sweepAt = exp
			}
		}
	}
	if c.bySigner[signer] >= c.perSigner {
		return errSignerBusy
	}
	if len(c.seen) >= c.max {
		return errNoncesFull
	}
	c.seen[k] = expiry
	c.bySigner[signer]++
	return nil
}
