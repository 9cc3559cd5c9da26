// Package gatekeeper is Cove's key manager (KMS). A gatekeeper holds the
// master key of every key epoch inside its TEE and hands out only what a
// role needs, through the chain and sealed to the role's attested identity:
//
//   - the first (bootstrap) gatekeeper makes the epoch-0 master key in its
//     TEE and publishes the epoch's cluster public key (PublishEpoch);
//   - every registered worker gets the cluster key of every epoch, sealed
//     with HPKE (ML-KEM-768+X25519) to its attested identity key
//     (ProvisionKey);
//   - every other registered gatekeeper gets the master-key history sealed
//     to its identity, so it can take over when the first one stops;
//   - every agent gets its attestor address published (SetAttestor),
//     derived from the cluster key of the agent's key epoch;
//   - on a rotation (RotateKeys) a gatekeeper makes the next epoch's master
//     key and publishes it; the others receive it as history.
//
// A gatekeeper follows the chain's events and reconciles from state on a
// timer, so a restart or a missed event heals: whatever the chain lacks and
// this gatekeeper can give, it sends. Two gatekeepers may race to send the
// same thing; the chain accepts the first and refuses the other (exists).
//
// Security: the master keys exist in plaintext only in this process (the
// TEE); on disk they are sealed by the TEE, on the chain sealed to attested
// identity keys.
package gatekeeper

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/atomicfile"
	"github.com/cove-network/cove/keys"
	"github.com/cove-network/cove/tee"
	"github.com/cove-network/cove/tee/identity"
	"github.com/cove-network/cove/tee/identity/idkey"
)

// Files in the gatekeeper's directory, and the seal labels that bind them
// to their purpose.
const (
	IdentityFile = "identity.sealed"
	HistoryFile  = "history.sealed"
	// legacyMasterFile is the sealed master key of releases before key
	// epochs; a bootstrap gatekeeper adopts it as epoch 0 so that secrets
	// sealed on an old dev chain still open.
	legacyMasterFile = "master.sealed"

	identityLabel = "gatekeeper/identity/v1"
	historyLabel  = "gatekeeper/history/v1"
	legacyLabel   = "gatekeeper/master/v1"
)

// Config tunes a gatekeeper.
type Config struct {
	// Bootstrap lets this gatekeeper make the epoch-0 master key when the
	// chain has no key epoch. Exactly one gatekeeper of a new network
	// should have it (`cove dev`, node0 of a testnet).
	Bootstrap bool `toml:"bootstrap"`
	// Cluster is the cluster whose keys workers receive.
	Cluster keys.ClusterID `toml:"cluster"`
	// Reconcile is how often the gatekeeper re-reads the chain besides
	// following its events.
	Reconcile time.Duration `toml:"reconcile"`
}

// DefaultConfig returns the defaults of `cove dev`.
func DefaultConfig() Config {
	return Config{Bootstrap: true, Cluster: keys.DefaultCluster, Reconcile: 2 * time.Second}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Cluster == "" {
		return errors.New("gatekeeper: cluster is empty")
	}
	if c.Reconcile <= 0 {
		return fmt.Errorf("gatekeeper: reconcile %s must be positive", c.Reconcile)
	}
	return nil
}

// Platform is the TEE the gatekeeper runs in: it seals to disk and quotes
// the identity key (tee/sim, tee/tdx).
type Platform interface {
	identity.Sealer
	Name() string
	Quote(reportData [64]byte) ([]byte, error)
}

// Chain is the ledger as the gatekeeper uses it. The node implements it
// with its validator and operator key.
type Chain interface {
	// View reads the committed state.
	View() chain.View
	// Subscribe delivers committed transactions' events until ctx ends.
	Subscribe(ctx context.Context) <-chan chain.Event
	// Send signs the message build makes for the operator's next nonce,
	// broadcasts it and waits for its block. Sends are serialized.
	Send(ctx context.Context, build func(nonce uint64) chain.Msg) (chain.TxOutcome, error)
	// Operator returns the account Send signs with (the gatekeeper's quote
	// binds it, see chain.ReportData), or an error wrapping
	// txsend.ErrNoKey.
	Operator() (cove.Address, error)
}

// Server is a gatekeeper.
type Server struct {
	cfg      Config
	log      *slog.Logger
	platform Platform
	chain    Chain
	dir      string
	endpoint string
	id       *identity.Identity
	myID     cove.Hash

	mu   sync.Mutex
	hist keys.History // index = epoch; may hold one unpublished candidate at the end
	last string       // the last reconcile error logged
	// refused are peers attested by a weaker TEE than this one's, logged
	// once each.
	refused map[cove.Hash]bool
	// noGrant are agents whose attestor on chain is not the one this
	// gatekeeper derives: they get no grant (logged once).
	noGrant map[cove.AgentID]bool
	// logged are the keys once has logged.
	logged map[string]bool
}

// New loads (or makes) the gatekeeper's sealed identity and master-key
// history in dir. endpoint is the URL it registers with. It starts nothing.
func New(cfg Config, log *slog.Logger, platform Platform, c Chain, dir, endpoint string) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("gatekeeper: %w", err)
	}
	id, created, err := identity.Load(platform, identityLabel, filepath.Join(dir, IdentityFile))
	if err != nil {
		return nil, fmt.Errorf("gatekeeper: %w", err)
	}
	s := &Server{cfg: cfg, log: log, platform: platform, chain: c, dir: dir, endpoint: endpoint, id: id, myID: chain.WorkerID(id.PublicKey()), refused: map[cove.Hash]bool{}, noGrant: map[cove.AgentID]bool{}, logged: map[string]bool{}}
	// A damaged history is an error that names its file, for the operator
	// to restore it (docs/RELIABILITY.md).
	histPath := filepath.Join(dir, HistoryFile)
	sealed, err := os.ReadFile(histPath)
	switch {
	case err == nil:
		b, err := platform.Unseal(historyLabel, sealed)
		if err != nil {
			return nil, fmt.Errorf("gatekeeper: master-key history %s: %w", histPath, err)
		}
		s.hist, err = keys.DecodeHistory(b)
		clear(b)
		if err != nil {
			return nil, fmt.Errorf("gatekeeper: master-key history %s: %w", histPath, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("gatekeeper: %w", err)
	}
	log.Info("gatekeeper identity", "gatekeeper", s.myID, "created", created, "epochs_held", len(s.hist), "bootstrap", cfg.Bootstrap)
	return s, nil
}

// ID returns the gatekeeper's id (keccak256 of its identity public key).
func (s *Server) ID() cove.Hash { return s.myID }

// Epochs returns how many epochs' master keys the gatekeeper holds
// (including a candidate not yet published).
func (s *Server) Epochs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.hist)
}

// Run follows the chain until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	events := s.chain.Subscribe(ctx)
	t := time.NewTicker(s.cfg.Reconcile)
	defer t.Stop()
	for {
		for {
			progress, err := s.reconcile(ctx)
			if ctx.Err() != nil {
				return nil
			}
			s.report(err)
			if !progress || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case _, ok := <-events:
			if !ok {
				events = nil
			}
			// Take the rest of a block's events in one reconcile.
			for drained := false; !drained && events != nil; {
				select {
				case _, ok := <-events:
					if !ok {
						events = nil
					}
				default:
					drained = true
				}
			}
		}
	}
}

// report logs a reconcile error once until it changes.
func (s *Server) report(err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if msg == s.last {
		return
	}
	s.last = msg
	if err != nil {
		s.log.Warn("gatekeeper waiting", "err", err)
	}
}

// view is the part of the chain state one reconcile reads.
type view struct {
	height     int64
	registered bool
	epochs     []chain.EpochRecord
	rotation   chain.Rotation
	pending    bool
	gatekeeper []chain.GatekeeperRecord
	workers    []chain.WorkerRecord
	agents     []chain.AgentRecord
	// have[recipient][epoch] is a provision's sealed bytes on chain.
	have map[cove.Hash]map[uint64][]byte
}

// read takes the view from one committed block: the reads are separate
// calls, so it reads again (a few times) when a block committed meanwhile.
// A view that still straddles blocks is harmless: the chain refuses what is
// already done ("exists") and the next reconcile sees the rest.
func (s *Server) read() view {
	var v view
	for range 3 {
		v = s.readOnce()
		if s.chain.View().Height() == v.height {
			break
		}
	}
	return v
}

func (s *Server) readOnce() view {
	c := s.chain.View()
	var v view
	v.height = c.Height()
	_, err := c.Gatekeeper(s.myID)
	v.registered = err == nil
	v.epochs = c.Epochs()
	v.rotation, v.pending = c.PendingRotation()
	v.gatekeeper = c.Gatekeepers()
	v.workers = c.Workers()
	v.agents = c.Agents()
	v.have = map[cove.Hash]map[uint64][]byte{}
	load := func(kind string, id cove.Hash) {
		m := map[uint64][]byte{}
		for _, p := range c.Provisions(kind, id) {
			m[p.Epoch] = p.Sealed
		}
		v.have[id] = m
	}
	load(chain.ProvisionKindGatekeeper, s.myID)
	for _, w := range v.workers {
		load(chain.ProvisionKindWorker, w.ID)
	}
	for _, g := range v.gatekeeper {
		load(chain.ProvisionKindGatekeeper, g.ID)
	}
	return v
}

// reconcile does the next thing the chain lacks. progress means it sent a
// transaction that succeeded (or learned keys), so another pass may find
// more to do.
func (s *Server) reconcile(ctx context.Context) (progress bool, err error) {
	v := s.read()
	if v.height < 1 {
		return false, nil
	}
	if !v.registered {
		return s.register(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, err := s.syncHistory(ctx, v); p || err != nil {
		return p, err
	}
	n := uint64(len(v.epochs))
	if n == 0 || uint64(len(s.hist)) < n {
		return false, nil // waiting for the bootstrap gatekeeper, or for our history
	}
	if v.pending && v.rotation.Epoch == n {
		return s.rotate(ctx, v)
	}
	latest := n - 1
	// Workers first: calls wait for them.
	for _, w := range v.workers {
		if s.weaker(w.ID, "worker", w.TEE) {
			continue
		}
		for e := uint64(0); e <= latest; e++ {
			if v.have[w.ID][e] != nil {
				continue
			}
			b := s.hist[e].Cluster(s.cfg.Cluster).Bytes()
			ok, err := s.provision(ctx, w.ID, w.PublicKey, "worker", e, b)
			clear(b)
			if err != nil || ok {
				return ok, err
			}
		}
	}
	for _, a := range v.agents {
		if !a.Attestor.IsZero() || a.KeyEpoch > latest {
			continue
		}
		att := s.hist[a.KeyEpoch].Cluster(s.cfg.Cluster).Agent(a.ID).Attestor().Address()
		m := chain.SetAttestor{Agent: a.ID, Attestor: att}
		m.IdentitySig = s.authorize(m)
		out, err := s.chain.Send(ctx, func(n uint64) chain.Msg { m.Nonce = n; return m })
		if err != nil {
			return false, err
		}
		if out.Code == chain.CodeOK {
			s.log.Info("attestor published", "agent", a.ID, "attestor", att, "epoch", a.KeyEpoch, "height", out.Height)
			return true, nil
		}
		if out.Code != chain.CodeExists {
			return false, fmt.Errorf("SetAttestor %s: %s", a.ID, out.Log)
		}
	}
	for _, g := range v.gatekeeper {
		// The publisher of the latest epoch holds the history.
		if g.ID == s.myID || v.have[g.ID][latest] != nil || g.Operator == v.epochs[latest].PublishedBy || s.weaker(g.ID, "gatekeeper", g.TEE) {
			continue
		}
		b := s.hist[:n].Encode()
		ok, err := s.provision(ctx, g.ID, g.PublicKey, "gatekeeper", latest, b)
		clear(b)
		if err != nil || ok {
			return ok, err
		}
	}
	// Last, as they hold up nothing else: each epoch's EVM signer, which
	// EVM anchors trust, and each agent's attestor grant (issue 8). A
	// refusal of one of them is reported once and does not stop the rest.
	for _, ep := range v.epochs {
		if ep.Epoch > latest || s.logged[fmt.Sprintf("signer/%d", ep.Epoch)] {
			continue
		}
		signer := s.hist[ep.Epoch].Cluster(s.cfg.Cluster).EpochSigner().Address()
		if ep.Signer != nil {
			if *ep.Signer != signer {
				s.once(fmt.Sprintf("signer/%d", ep.Epoch), "the epoch signer on chain is not the one this gatekeeper derives: no grant of this epoch will verify against it", "epoch", ep.Epoch, "on_chain", *ep.Signer, "derived", signer)
			}
			continue
		}
		m := chain.PublishEpochSigner{Epoch: ep.Epoch, Signer: signer}
		m.IdentitySig = s.authorize(m)
		ok, err := s.sendOnce(ctx, m.Type(), func(n uint64) chain.Msg { m.Nonce = n; return m })
		if ok {
			s.log.Info("epoch signer published", "epoch", ep.Epoch, "signer", signer)
			return true, nil
		}
		if err != nil && !s.refusal(err, fmt.Sprintf("signer/%d", ep.Epoch)) {
			return false, err
		}
	}
	for _, a := range v.agents {
		if a.Attestor.IsZero() || len(a.AttestorGrant) != 0 || a.KeyEpoch > latest || v.epochs[a.KeyEpoch].Signer == nil || s.logged["grant/"+a.ID.String()] {
			continue
		}
		ok, err := s.grant(ctx, a)
		if ok {
			return true, nil
		}
		if err != nil && !s.refusal(err, "grant/"+a.ID.String()) {
			return false, err
		}
	}
	return false, nil
}

// grant signs the attestor grant of agent a with the EVM signer of its key
// epoch and publishes it (GrantAttestor). It signs only the attestor this
// gatekeeper derives itself: an attestor on chain that differs (which no
// honest gatekeeper published) gets no grant, and the gatekeeper says so
// once. s.mu is held.
func (s *Server) grant(ctx context.Context, a chain.AgentRecord) (bool, error) {
	cl := s.hist[a.KeyEpoch].Cluster(s.cfg.Cluster)
	att := cl.Agent(a.ID).Attestor().Address()
	if att != a.Attestor {
		if !s.noGrant[a.ID] {
			s.noGrant[a.ID] = true
			s.log.Error("not granting an attestor this gatekeeper did not derive", "agent", a.ID, "on_chain", a.Attestor, "derived", att, "epoch", a.KeyEpoch)
		}
		return false, nil
	}
	sig, err := cl.EpochSigner().Sign(cove.AttestorGrantDigest(a.ID, att, a.KeyEpoch))
	if err != nil {
		return false, err
	}
	m := chain.GrantAttestor{Agent: a.ID, Grant: sig[:]}
	m.IdentitySig = s.authorize(m)
	ok, err := s.sendOnce(ctx, m.Type(), func(n uint64) chain.Msg { m.Nonce = n; return m })
	if ok {
		s.log.Info("attestor grant published", "agent", a.ID, "attestor", att, "epoch", a.KeyEpoch)
	}
	return ok, err
}

// sendOnce sends the message build makes (authorized already): ok when it
// took effect, false (no error) when the chain has it already (another
// gatekeeper was first). s.mu is held.
func (s *Server) sendOnce(ctx context.Context, typ string, build func(nonce uint64) chain.Msg) (bool, error) {
	out, err := s.chain.Send(ctx, build)
	if err != nil {
		return false, err
	}
	switch out.Code {
	case chain.CodeOK:
		return true, nil
	case chain.CodeExists:
		return false, nil
	}
	return false, &refusedError{fmt.Errorf("%s refused: %s", typ, out.Log)}
}

// refusedError is the chain refusing a message (not a transport failure).
type refusedError struct{ error }

func (e *refusedError) Unwrap() error { return e.error }

// refusal reports whether err is the chain's refusal, logging it once per
// key; other errors (the chain unreachable) are for the caller.
func (s *Server) refusal(err error, key string) bool {
	var re *refusedError
	if !errors.As(err, &re) {
		return false
	}
	s.once(key, "the chain refused a message; not sending it again until restart", "err", err)
	return true
}

// once logs msg at ERROR the first time key is seen.
func (s *Server) once(key, msg string, args ...any) {
	if s.logged[key] {
		return
	}
	s.logged[key] = true
	s.log.Error(msg, args...)
}

// weaker reports whether peer id, registered with platform teeName, is
// attested by a weaker platform than this gatekeeper's own (tee.Weaker):
// such a peer gets no key material, whatever the chain's policy admits. It
// logs each such peer once. s.mu is held.
func (s *Server) weaker(id cove.Hash, kind, teeName string) bool {
	if !tee.Weaker(teeName, s.platform.Name()) {
		return false
	}
	if !s.refused[id] {
		s.refused[id] = true
		s.log.Warn("not provisioning a peer attested by a weaker TEE than this gatekeeper's", "peer", id, "kind", kind, "peer_tee", teeName, "own_tee", s.platform.Name())
	}
	return true
}

// register sends RegisterGatekeeper with a fresh quote of the identity key.
func (s *Server) register(ctx context.Context) (bool, error) {
	op, err := s.chain.Operator()
	if err != nil {
		return false, err
	}
	pub := s.id.PublicKey()
	quote, err := s.platform.Quote(chain.ReportData(chain.RoleGatekeeper, s.chain.View().ChainID(), op, pub))
	if err != nil {
		return false, fmt.Errorf("quote: %w", err)
	}
	out, err := s.chain.Send(ctx, func(n uint64) chain.Msg {
		return chain.RegisterGatekeeper{TEE: s.platform.Name(), PublicKey: pub, Endpoint: s.endpoint, Quote: quote, Nonce: n}
	})
	if err != nil {
		return false, err
	}
	switch out.Code {
	case chain.CodeOK, chain.CodeExists:
		s.log.Info("gatekeeper registered", "gatekeeper", s.myID, "height", out.Height)
		return true, nil
	}
	return false, fmt.Errorf("RegisterGatekeeper: %s", out.Log)
}

// syncHistory brings the local history in line with the chain: it drops
// a candidate that lost a race, bootstraps epoch 0, or opens the history
// another gatekeeper provisioned to this one. s.mu is held.
func (s *Server) syncHistory(ctx context.Context, v view) (bool, error) {
	for e := range min(len(s.hist), len(v.epochs)) {
		if !bytes.Equal(s.pub(uint64(e)), v.epochs[e].ClusterPublicKey) {
			s.log.Warn("local master key of an epoch differs from the chain's; dropping it", "epoch", e)
			s.hist = s.hist[:e]
			if err := s.save(); err != nil {
				return false, err
			}
			break
		}
	}
	if len(v.epochs) == 0 {
		if !s.cfg.Bootstrap {
			return false, nil
		}
		if len(s.hist) == 0 {
			m, legacy, err := s.firstMaster()
			if err != nil {
				return false, err
			}
			s.hist = keys.History{m}
			if err := s.save(); err != nil {
				return false, err
			}
			s.log.Info("epoch 0 master key made in the TEE", "adopted_legacy_key", legacy)
		}
		return s.publish(ctx, 0)
	}
	if len(s.hist) >= len(v.epochs) {
		return false, nil
	}
	// Take the newest history provisioned to us.
	var best uint64
	var sealed []byte
	for e, b := range v.have[s.myID] {
		if sealed == nil || e > best {
			best, sealed = e, b
		}
	}
	if sealed == nil || best+1 <= uint64(len(s.hist)) {
		return false, nil
	}
	b, err := s.id.Open(keys.ProvisionInfo("gatekeeper", s.myID, best), sealed)
	if err != nil {
		return false, fmt.Errorf("open master-key history: %w", err)
	}
	h, err := keys.DecodeHistory(b)
	clear(b)
	if err != nil {
		return false, err
	}
	if uint64(len(h)) != best+1 {
		return false, fmt.Errorf("provisioned history holds %d epochs, want %d", len(h), best+1)
	}
	old := s.hist
	s.hist = h
	for e := range min(len(h), len(v.epochs)) {
		if !bytes.Equal(s.pub(uint64(e)), v.epochs[e].ClusterPublicKey) {
			s.hist = old
			return false, fmt.Errorf("provisioned history: epoch %d does not match the chain's public key", e)
		}
	}
	if err := s.save(); err != nil {
		return false, err
	}
	s.log.Info("master-key history received", "epochs", len(h))
	return true, nil
}

// firstMaster returns the legacy sealed master key if the directory has
// one, else a new key from the TEE's randomness.
func (s *Server) firstMaster() (keys.Master, bool, error) {
	sealed, err := os.ReadFile(filepath.Join(s.dir, legacyMasterFile))
	if err == nil {
		b, err := s.platform.Unseal(legacyLabel, sealed)
		if err != nil {
			return keys.Master{}, false, fmt.Errorf("legacy master key: %w", err)
		}
		m, err := keys.MasterFromBytes(b)
		clear(b)
		return m, true, err
	}
	m, err := keys.NewMaster(rand.Reader)
	return m, false, err
}

// rotate makes (or reuses a saved candidate of) the next epoch's master key
// and publishes it. s.mu is held.
func (s *Server) rotate(ctx context.Context, v view) (bool, error) {
	e := v.rotation.Epoch
	if uint64(len(s.hist)) == e {
		m, err := keys.NewMaster(rand.Reader)
		if err != nil {
			return false, err
		}
		// Saved before publishing: a crash after the chain accepts it must
		// not lose the key.
		s.hist = append(s.hist, m)
		if err := s.save(); err != nil {
			return false, err
		}
		s.log.Info("next master key made in the TEE", "epoch", e)
	}
	return s.publish(ctx, e)
}

// publish sends PublishEpoch for s.hist[e]. s.mu is held.
func (s *Server) publish(ctx context.Context, e uint64) (bool, error) {
	m := chain.PublishEpoch{Epoch: e, ClusterPublicKey: s.pub(e)}
	m.IdentitySig = s.authorize(m)
	out, err := s.chain.Send(ctx, func(n uint64) chain.Msg { m.Nonce = n; return m })
	if err != nil {
		return false, err
	}
	switch out.Code {
	case chain.CodeOK:
		s.log.Info("key epoch published", "epoch", e, "height", out.Height)
		return true, nil
	case chain.CodeExists:
		// Another gatekeeper won; syncHistory drops our candidate when it
		// sees the chain's key differ.
		return true, nil
	}
	return false, fmt.Errorf("PublishEpoch %d: %s", e, out.Log)
}

// provision seals plaintext to a recipient's identity key and sends it.
func (s *Server) provision(ctx context.Context, to cove.Hash, pubKey []byte, kind string, e uint64, plaintext []byte) (bool, error) {
	k, err := idkey.Parse(pubKey)
	if err != nil {
		return false, nil // not an identity key of this release: nothing to seal to
	}
	sealed, err := k.Seal(keys.ProvisionInfo(kind, to, e), plaintext)
	if err != nil {
		return false, fmt.Errorf("seal to %s: %w", to, err)
	}
	m := chain.ProvisionKey{Recipient: to, Epoch: e, Sealed: sealed}
	m.IdentitySig = s.authorize(m)
	out, err := s.chain.Send(ctx, func(n uint64) chain.Msg { m.Nonce = n; return m })
	if err != nil {
		return false, err
	}
	switch out.Code {
	case chain.CodeOK:
		s.log.Info("key provisioned", "recipient", to, "kind", kind, "epoch", e, "height", out.Height)
		return true, nil
	case chain.CodeExists:
		return true, nil
	}
	return false, fmt.Errorf("ProvisionKey %s epoch %d: %s", to, e, out.Log)
}

// authorize returns the gatekeeper identity key's signature of m for this
// chain (chain.GatekeeperMsg.IdentityDigest): the chain accepts m from the
// operator account only with it. The key stays in the identity (the TEE).
func (s *Server) authorize(m chain.GatekeeperMsg) []byte {
	d := m.IdentityDigest(s.chain.View().ChainID())
	return s.id.Sign(d[:])
}

// pub returns the cluster HPKE public key of epoch e.
func (s *Server) pub(e uint64) []byte {
	p, err := s.hist[e].Cluster(s.cfg.Cluster).PublicKey()
	if err != nil {
		panic("gatekeeper: derive cluster public key: " + err.Error()) // cannot fail for a 32-byte key
	}
	return p
}

// save seals the history to disk. s.mu is held.
func (s *Server) save() error {
	if len(s.hist) == 0 {
		err := os.Remove(filepath.Join(s.dir, HistoryFile))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	b := s.hist.Encode()
	defer clear(b)
	sealed, err := s.platform.Seal(historyLabel, b)
	if err != nil {
		return fmt.Errorf("seal master-key history: %w", err)
	}
	return atomicfile.Write(filepath.Join(s.dir, HistoryFile), sealed)
}
