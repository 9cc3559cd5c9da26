package ai

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/internal/atomicfile"
)

// keysSealLabel binds the sealed key file to its purpose.
const keysSealLabel = "worker/ai-keys/v1"

// KeyPrefix starts every API key.
const KeyPrefix = "sk-cove-"

// meter is one account's tokens: its API keys' and its agents' calls.
type meter struct {
	Day      string `json:"day"` // UTC, 2006-01-02
	Today    int64  `json:"today"`
	Total    int64  `json:"total"`
	Requests int64  `json:"requests"`
}

// apiKey is an API key's entry: the account it is metered to.
type apiKey struct {
	Account cove.Address `json:"account"`
	Created time.Time    `json:"created"`
}

// MaxKeysPerAccount bounds the API keys one account may have.
const MaxKeysPerAccount = 16

// access holds API keys (by the hex SHA-256 of the key: the keys
// themselves are shown once, at creation, and never stored) and the
// tokens each account used, through its keys and its agents, sealed by
// the TEE on disk. The quota is per account, so more keys buy no more.
//
// Usage is written at most once a second (and on Close): a crash loses
// at most the last second's metering, never a key (docs/RELIABILITY.md).
type access struct {
	mu       sync.Mutex
	path     string
	sealer   Platform
	quota    int64
	Keys     map[string]*apiKey      `json:"keys"`
	Accounts map[cove.Address]*meter `json:"accounts"`
	dirty    bool
	lastSave time.Time
}

func openAccess(p Platform, path string, quota int64) (*access, error) {
	a := &access{path: path, sealer: p, quota: quota, Keys: map[string]*apiKey{}, Accounts: map[cove.Address]*meter{}}
	sealed, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return a, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load API keys: %w", err)
	}
	plain, err := p.Unseal(keysSealLabel, sealed)
	if err != nil {
		return nil, fmt.Errorf("load API keys %s: %w", path, err)
	}
	if err := json.Unmarshal(plain, a); err != nil {
		return nil, fmt.Errorf("load API keys %s: %w", path, err)
	}
	if a.Keys == nil {
		a.Keys = map[string]*apiKey{}
	}
	if a.Accounts == nil {
		a.Accounts = map[cove.Address]*meter{}
	}
	return a, nil
}

// save writes the keys and usage, sealed, if anything changed.
func (a *access) save() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.saveLocked()
}

func (a *access) saveLocked() error {
	if !a.dirty {
		return nil
	}
	plain, err := json.Marshal(a)
	if err != nil {
		return err
	}
	sealed, err := a.sealer.Seal(keysSealLabel, plain)
	if err != nil {
		return fmt.Errorf("seal API keys: %w", err)
	}
	if err := atomicfile.Write(a.path, sealed); err != nil {
		return fmt.Errorf("store API keys: %w", err)
	}
	a.dirty, a.lastSave = false, time.Now()
	return nil
}

func keyHash(key string) string {
	h := cove.SHA256([]byte(key))
	return hex.EncodeToString(h[:])
}

// ErrTooManyKeys is NewKey's refusal of an account with
// MaxKeysPerAccount keys.
var ErrTooManyKeys = errors.New("too many API keys")

// NewKey makes an API key for account and returns it; only its hash is
// kept, so it is shown once. The gateway calls it for a request whose
// Cove-Auth account signed.
func (s *Service) NewKey(account cove.Address) (string, error) {
	var b [24]byte
	rand.Read(b[:])
	key := KeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	a := s.access
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, k := range a.Keys {
		if k.Account == account {
			n++
		}
	}
	if n >= MaxKeysPerAccount {
		return "", &cove.Error{Status: http.StatusForbidden, Code: "too_many_keys", Err: ErrTooManyKeys,
			Message: fmt.Sprintf("account %s has %d API keys, the most one account may have; use one of them", account, n)}
	}
	a.Keys[keyHash(key)] = &apiKey{Account: account, Created: time.Now().UTC()}
	a.dirty = true
	if err := a.saveLocked(); err != nil {
		delete(a.Keys, keyHash(key))
		return "", err
	}
	return key, nil
}

// who is the account a request is charged to, and its meter.
type who struct {
	account cove.Address
	m       *meter
}

// meterOf returns account's meter, made on first use. a.mu is held.
func (a *access) meterOf(account cove.Address) *meter {
	m := a.Accounts[account]
	if m == nil {
		m = &meter{}
		a.Accounts[account] = m
	}
	return m
}

// authorize finds the account c is charged to: the agent's owner for an
// agent's call, else the account of the API key in Authorization (none
// needed when Config.Open: then nothing is metered). A refusal is the
// answer to send.
func (s *Service) authorize(c cove.Call, agent *agentCaller) (who, *cove.Response) {
	a := s.access
	a.mu.Lock()
	defer a.mu.Unlock()
	if agent != nil {
		return who{agent.owner, a.meterOf(agent.owner)}, nil
	}
	auth := http.Header(c.Header).Get("Authorization")
	key, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || key == "" {
		if s.cfg.Open {
			return who{}, nil
		}
		return who{}, s.refuse(c, http.StatusUnauthorized, "authentication_error", "missing_api_key",
			"this API needs an API key as Authorization: Bearer KEY; make one with `cove ai key new --from ACCOUNT`")
	}
	k := a.Keys[keyHash(strings.TrimSpace(key))]
	if k == nil {
		return who{}, s.refuse(c, http.StatusUnauthorized, "authentication_error", "invalid_api_key",
			"the API key is not one this network made; make one with `cove ai key new --from ACCOUNT`")
	}
	return who{k.Account, a.meterOf(k.Account)}, nil
}

// withinQuota refuses a meter whose tokens today reached the quota.
func (s *Service) withinQuota(c cove.Call, w who) *cove.Response {
	if w.m == nil || s.access.quota < 0 {
		return nil
	}
	a := s.access
	a.mu.Lock()
	today := w.m.today(time.Now())
	a.mu.Unlock()
	if today >= a.quota {
		return s.refuse(c, http.StatusTooManyRequests, "insufficient_quota", "insufficient_quota",
			fmt.Sprintf("account %s's free tier of %d tokens a day is used up (%d used today, UTC, by its API keys and agents); it renews at midnight UTC", w.account, a.quota, today))
	}
	return nil
}

func (m *meter) today(now time.Time) int64 {
	if m.Day != now.UTC().Format(time.DateOnly) {
		return 0
	}
	return m.Today
}

// charge adds tokens to w's meter.
func (s *Service) charge(w who, tokens int64) {
	if w.m == nil {
		return
	}
	a := s.access
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	if day := now.UTC().Format(time.DateOnly); w.m.Day != day {
		w.m.Day, w.m.Today = day, 0
	}
	w.m.Today += tokens
	w.m.Total += tokens
	w.m.Requests++
	a.dirty = true
	if now.Sub(a.lastSave) >= time.Second {
		if err := a.saveLocked(); err != nil {
			s.log.Error("ai: store metered usage", "err", err)
		}
	}
}

// usage answers GET /v1/ai/usage: the tokens of the account of the API
// key in Authorization.
func (s *Service) usage(c cove.Call) *cove.Response {
	w, refused := s.authorize(c, nil)
	if refused != nil {
		return refused
	}
	if w.m == nil {
		return s.refuse(c, http.StatusUnauthorized, "authentication_error", "missing_api_key", "usage is per API key: send it as Authorization: Bearer KEY")
	}
	a := s.access
	a.mu.Lock()
	now := time.Now()
	u := api.AIUsage{Account: w.account, Day: now.UTC().Format(time.DateOnly), TokensToday: w.m.today(now), QuotaPerDay: max(a.quota, -1),
		TokensTotal: w.m.Total, Requests: w.m.Requests}
	a.mu.Unlock()
	b, _ := json.Marshal(u)
	return s.signed(c, "", http.StatusOK, jsonHeader(), b, nil)
}
