package chain

import (
	"crypto/ed25519"
	"crypto/hpke"
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/ethsig"
	"github.com/cove-network/cove/tee/identity/idkey"
)

// MaxSealedKeyBytes bounds ProvisionKey.Sealed.
const MaxSealedKeyBytes = 64 << 10

// ClusterPublicKeySize is the size of a serialized ML-KEM-768+X25519 HPKE
// public key, as PublishEpoch carries it.
const ClusterPublicKeySize = 1216

// Event types of the key-management transactions, with their attributes.
const (
	EventGatekeeperRegistered = "gatekeeper_registered"  // id, operator, tee, measurement, endpoint
	EventEpochPublished       = "epoch_published"        // epoch, publishedBy
	EventKeyProvisioned       = "key_provisioned"        // recipient, kind (worker or gatekeeper), epoch
	EventAttestorPublished    = "attestor_published"     // agent, attestor, epoch
	EventRotationRequested    = "rotation_requested"     // epoch (the next one), admin
	EventEpochSignerPublished = "epoch_signer_published" // epoch, signer
	EventAttestorGranted      = "attestor_granted"       // agent, attestor, epoch, signer
)

// State keys of key management (see the package comment).
const (
	keyLatestEpoch     = "meta/key_epoch" // uint64: the latest published epoch (absent: none)
	keyRotation        = "meta/rotation"  // Rotation, while one is pending
	prefixGatekeeper   = "gatekeeper/"    // ‖ 32-byte id: GatekeeperRecord
	prefixGatekeeperOp = "gkop/"          // ‖ 20-byte operator: the id of its gatekeeper (JSON string)
	prefixEpoch        = "epoch/"         // ‖ 8-byte big-endian epoch: EpochRecord
	prefixProvision    = "provision/"     // ‖ kind ‖ "/" ‖ 32-byte recipient ‖ 8-byte big-endian epoch: ProvisionRecord
	// ProvisionKindWorker marks a worker's cluster key.
	ProvisionKindWorker = RoleWorker
	// ProvisionKindGatekeeper marks a gatekeeper's master-key history.
	ProvisionKindGatekeeper = RoleGatekeeper
)

func gatekeeperKey(id cove.Hash) string     { return prefixGatekeeper + string(id[:]) }
func gatekeeperOpKey(a cove.Address) string { return prefixGatekeeperOp + string(a[:]) }
func epochKey(e uint64) string              { return prefixEpoch + string(binary.BigEndian.AppendUint64(nil, e)) }

// provisionPrefix is where the provisions of kind to recipient are: the
// kind is part of the key, so that material sealed to a gatekeeper can
// never sit in a worker's slot (or the reverse).
func provisionPrefix(kind string, recipient cove.Hash) string {
	return prefixProvision + kind + "/" + string(recipient[:])
}

func provisionKey(kind string, recipient cove.Hash, e uint64) string {
	return provisionPrefix(kind, recipient) + string(binary.BigEndian.AppendUint64(nil, e))
}

// isProvisionKey reports whether key has the shape of a provision key.
func isProvisionKey(key string) bool {
	for _, kind := range []string{ProvisionKindWorker, ProvisionKindGatekeeper} {
		p := prefixProvision + kind + "/"
		if strings.HasPrefix(key, p) && len(key) == len(p)+32+8 {
			return true
		}
	}
	return false
}

// GatekeeperRecord is a registered gatekeeper.
type GatekeeperRecord struct {
	// ID is keccak256(PublicKey).
	ID           cove.Hash    `json:"id"`
	Operator     cove.Address `json:"operator"`
	TEE          string       `json:"tee"`
	Measurement  Bytes        `json:"measurement"`
	PublicKey    Bytes        `json:"publicKey"`
	Endpoint     string       `json:"endpoint"`
	RegisteredAt time.Time    `json:"registeredAt"`
	Height       int64        `json:"height"`
}

// EpochRecord is a published key epoch.
type EpochRecord struct {
	Epoch uint64 `json:"epoch"`
	// ClusterPublicKey is the HPKE public key of the default cluster's key
	// of this epoch.
	ClusterPublicKey Bytes        `json:"publicKey"`
	PublishedBy      cove.Address `json:"publishedBy"`
	Height           int64        `json:"height"`
	Time             time.Time    `json:"time"`
	// Signer is the epoch's EVM signer (PublishEpochSigner); nil until a
	// gatekeeper publishes it.
	Signer *cove.Address `json:"signer,omitempty"`
}

// ProvisionRecord is key material sealed to one recipient for one epoch.
type ProvisionRecord struct {
	Recipient cove.Hash `json:"recipient"`
	// Kind is ProvisionKindWorker (a cluster key) or ProvisionKindGatekeeper
	// (the master-key history up to Epoch).
	Kind   string       `json:"kind"`
	Epoch  uint64       `json:"epoch"`
	Sealed Bytes        `json:"sealed"`
	By     cove.Address `json:"by"`
	Height int64        `json:"height"`
}

// Rotation is a pending key rotation.
type Rotation struct {
	// Epoch is the epoch the rotation makes.
	Epoch       uint64       `json:"epoch"`
	RequestedBy cove.Address `json:"requestedBy"`
	Height      int64        `json:"height"`
}

// checkKeyRecord returns the record type of a key-management state key, or
// nil.
func checkKeyRecord(key string) any {
	switch {
	case key == keyLatestEpoch:
		return new(uint64)
	case key == keyRotation:
		return new(Rotation)
	case strings.HasPrefix(key, prefixGatekeeper) && len(key) == len(prefixGatekeeper)+32:
		return new(GatekeeperRecord)
	case strings.HasPrefix(key, prefixGatekeeperOp) && len(key) == len(prefixGatekeeperOp)+20:
		return new(cove.Hash)
	case strings.HasPrefix(key, prefixEpoch) && len(key) == len(prefixEpoch)+8:
		return new(EpochRecord)
	case isProvisionKey(key):
		return new(ProvisionRecord)
	}
	return nil
}

// latestEpoch returns the latest published epoch; ok is false while none
// exists.
func latestEpoch(r reader) (e uint64, ok bool) {
	ok = getJSON(r, keyLatestEpoch, &e)
	return e, ok
}

// gatekeeperAuthorized fails unless sender operates a registered gatekeeper
// and m carries that gatekeeper's identity-key signature (IdentitySig of
// IdentityDigest on this chain). The operator account is a key on the host,
// outside the TEE: it pays and orders, but only the attested identity key
// authorizes what gatekeepers publish.
func gatekeeperAuthorized(r reader, sender cove.Address, m GatekeeperMsg, chainID uint64, what string) *failure {
	var id cove.Hash
	if !getJSON(r, gatekeeperOpKey(sender), &id) {
		return fail(CodeUnauthorized, "only the operator of a registered gatekeeper may %s, and %s operates none", what, sender)
	}
	var rec GatekeeperRecord
	if !getJSON(r, gatekeeperKey(id), &rec) {
		return fail(CodeUnauthorized, "gatekeeper %s of operator %s is not registered", id, sender)
	}
	return identityAuthorized(rec.PublicKey, m, chainID, "gatekeeper "+id.String(), what)
}

// identityAuthorized fails unless m's IdentitySig is the signature of its
// IdentityDigest by the identity key pub (of who, a registered TEE).
func identityAuthorized(pub []byte, m IdentityMsg, chainID uint64, who, what string) *failure {
	k, err := idkey.Parse(pub)
	if err != nil {
		return fail(CodeUnauthorized, "%s cannot %s: its registered public key is not an identity key (%v)", who, what, err)
	}
	sig := m.identitySig()
	if len(sig) != IdentitySigSize {
		return fail(CodeUnauthorized, "identitySig is %d bytes, want a %d-byte Ed25519 signature by %s's identity key: its operator account alone may not %s", len(sig), IdentitySigSize, who, what)
	}
	d := m.IdentityDigest(chainID)
	if !ed25519.Verify(k.Signing, d[:], sig) {
		return fail(CodeUnauthorized, "identitySig is not %s's identity-key signature of this %s on chain %d: its operator account alone may not %s", who, m.Type(), chainID, what)
	}
	return nil
}

// checkRegisterGatekeeper is RegisterGatekeeper's stateless check.
func checkRegisterGatekeeper(m RegisterGatekeeper) *failure {
	if f := checkRegistration(m.TEE, m.PublicKey, m.Quote, m.Endpoint); f != nil {
		return f
	}
	if _, err := idkey.Parse(m.PublicKey); err != nil {
		return fail(CodeInvalidArgument, "publicKey: %v: a gatekeeper registers its TEE identity key, which authorizes its PublishEpoch, ProvisionKey and SetAttestor", err)
	}
	return nil
}

func execRegisterGatekeeper(o *overlay, sender cove.Address, m RegisterGatekeeper, ctx execContext) ([]Event, *failure) {
	id := WorkerID(m.PublicKey)
	if _, ok := o.get(gatekeeperKey(id)); ok {
		return nil, fail(CodeExists, "gatekeeper %s is already registered with this public key: a gatekeeper registers once per identity key", id)
	}
	if _, ok := o.get(workerKey(id)); ok {
		return nil, fail(CodeExists, "%s is a worker's identity key: a key is registered in one role only", id)
	}
	if _, ok := o.get(gatekeeperOpKey(sender)); ok {
		return nil, fail(CodeExists, "%s already operates a gatekeeper: use one operator account per gatekeeper", sender)
	}
	att, f := attested(o, RoleGatekeeper, m.TEE, m.Quote, m.PublicKey, sender, ctx)
	if f != nil {
		return nil, f
	}
	rec := GatekeeperRecord{
		ID:           id,
		Operator:     sender,
		TEE:          m.TEE,
		Measurement:  Bytes(append([]byte(nil), att.Measurement...)),
		PublicKey:    m.PublicKey,
		Endpoint:     m.Endpoint,
		RegisteredAt: ctx.time,
		Height:       ctx.height,
	}
	putJSON(o, gatekeeperKey(id), rec)
	putJSON(o, gatekeeperOpKey(sender), id)
	return []Event{{Type: EventGatekeeperRegistered, Attrs: []Attr{
		{"id", id.String()},
		{"operator", sender.String()},
		{"tee", m.TEE},
		{"measurement", rec.Measurement.String()},
		{"endpoint", m.Endpoint},
	}}}, nil
}

func execPublishEpoch(o *overlay, sender cove.Address, m PublishEpoch, ctx execContext) ([]Event, *failure) {
	if len(m.ClusterPublicKey) != ClusterPublicKeySize {
		return nil, fail(CodeInvalidArgument, "clusterPublicKey is %d bytes, want %d (an ML-KEM-768+X25519 HPKE public key)", len(m.ClusterPublicKey), ClusterPublicKeySize)
	}
	if _, err := hpke.MLKEM768X25519().NewPublicKey(m.ClusterPublicKey); err != nil {
		return nil, fail(CodeInvalidArgument, "clusterPublicKey: %v", err)
	}
	latest, exists := latestEpoch(o)
	var rot Rotation
	pending := getJSON(o, keyRotation, &rot)
	switch {
	case !exists && m.Epoch != 0:
		return nil, fail(CodeInvalidArgument, "no epoch exists yet: the first epoch is 0, not %d", m.Epoch)
	case exists && m.Epoch <= latest:
		return nil, fail(CodeExists, "epoch %d is published (the latest is %d)", m.Epoch, latest)
	case exists && !pending:
		return nil, fail(CodeInvalidArgument, "no rotation is pending: epoch %d needs a RotateKeys from the admin first", m.Epoch)
	case exists && m.Epoch != rot.Epoch:
		return nil, fail(CodeInvalidArgument, "the pending rotation makes epoch %d, not %d", rot.Epoch, m.Epoch)
	}
	putJSON(o, epochKey(m.Epoch), EpochRecord{Epoch: m.Epoch, ClusterPublicKey: m.ClusterPublicKey, PublishedBy: sender, Height: ctx.height, Time: ctx.time})
	putJSON(o, keyLatestEpoch, m.Epoch)
	if pending {
		o.set(keyRotation, nil)
	}
	return []Event{{Type: EventEpochPublished, Attrs: []Attr{
		{"epoch", strconv.FormatUint(m.Epoch, 10)},
		{"publishedBy", sender.String()},
	}}}, nil
}

func execProvisionKey(o *overlay, sender cove.Address, m ProvisionKey, ctx execContext) ([]Event, *failure) {
	if len(m.Sealed) == 0 || len(m.Sealed) > MaxSealedKeyBytes {
		return nil, fail(CodeInvalidArgument, "sealed is %d bytes, want 1 to %d", len(m.Sealed), MaxSealedKeyBytes)
	}
	kind := ""
	if _, ok := o.get(workerKey(m.Recipient)); ok {
		kind = ProvisionKindWorker
	} else if _, ok := o.get(gatekeeperKey(m.Recipient)); ok {
		kind = ProvisionKindGatekeeper
	} else {
		return nil, fail(CodeNotFound, "recipient %s is neither a registered worker nor a registered gatekeeper", m.Recipient)
	}
	if _, ok := o.get(epochKey(m.Epoch)); !ok {
		return nil, fail(CodeNotFound, "epoch %d is not published", m.Epoch)
	}
	key := provisionKey(kind, m.Recipient, m.Epoch)
	if _, ok := o.get(key); ok {
		return nil, fail(CodeExists, "%s %s is provisioned for epoch %d already", kind, m.Recipient, m.Epoch)
	}
	putJSON(o, key, ProvisionRecord{Recipient: m.Recipient, Kind: kind, Epoch: m.Epoch, Sealed: m.Sealed, By: sender, Height: ctx.height})
	return []Event{{Type: EventKeyProvisioned, Attrs: []Attr{
		{"recipient", m.Recipient.String()},
		{"kind", kind},
		{"epoch", strconv.FormatUint(m.Epoch, 10)},
	}}}, nil
}

func execSetAttestor(o *overlay, sender cove.Address, m SetAttestor, ctx execContext) ([]Event, *failure) {
	var rec AgentRecord
	if !getJSON(o, agentKey(m.Agent), &rec) {
		return nil, fail(CodeNotFound, "agent %s does not exist", m.Agent)
	}
	if m.Attestor.IsZero() {
		return nil, fail(CodeInvalidArgument, "the attestor address is zero")
	}
	if !rec.Attestor.IsZero() {
		return nil, fail(CodeExists, "agent %s has attestor %s already", m.Agent, rec.Attestor)
	}
	rec.Attestor = m.Attestor
	putJSON(o, agentKey(m.Agent), rec)
	return []Event{{Type: EventAttestorPublished, Attrs: []Attr{
		{"agent", m.Agent.String()},
		{"attestor", m.Attestor.String()},
		{"epoch", strconv.FormatUint(rec.KeyEpoch, 10)},
	}}}, nil
}

func execPublishEpochSigner(o *overlay, sender cove.Address, m PublishEpochSigner, ctx execContext) ([]Event, *failure) {
	var rec EpochRecord
	if !getJSON(o, epochKey(m.Epoch), &rec) {
		return nil, fail(CodeNotFound, "epoch %d is not published", m.Epoch)
	}
	if m.Signer.IsZero() {
		return nil, fail(CodeInvalidArgument, "the signer address is zero")
	}
	if rec.Signer != nil {
		return nil, fail(CodeExists, "epoch %d has signer %s already", m.Epoch, *rec.Signer)
	}
	signer := m.Signer
	rec.Signer = &signer
	putJSON(o, epochKey(m.Epoch), rec)
	return []Event{{Type: EventEpochSignerPublished, Attrs: []Attr{
		{"epoch", strconv.FormatUint(m.Epoch, 10)},
		{"signer", m.Signer.String()},
	}}}, nil
}

func execGrantAttestor(o *overlay, sender cove.Address, m GrantAttestor, ctx execContext) ([]Event, *failure) {
	var rec AgentRecord
	if !getJSON(o, agentKey(m.Agent), &rec) {
		return nil, fail(CodeNotFound, "agent %s does not exist", m.Agent)
	}
	if rec.Attestor.IsZero() {
		return nil, fail(CodeNotFound, "agent %s has no attestor yet: SetAttestor comes first", m.Agent)
	}
	if len(rec.AttestorGrant) != 0 {
		return nil, fail(CodeExists, "agent %s has an attestor grant already", m.Agent)
	}
	var ep EpochRecord
	if !getJSON(o, epochKey(rec.KeyEpoch), &ep) || ep.Signer == nil {
		return nil, fail(CodeNotFound, "epoch %d has no published signer: PublishEpochSigner comes first", rec.KeyEpoch)
	}
	if len(m.Grant) != ethsig.Size {
		return nil, fail(CodeInvalidArgument, "grant is %d bytes, want %d (r ‖ s ‖ v)", len(m.Grant), ethsig.Size)
	}
	if v := m.Grant[64]; v != 27 && v != 28 {
		// EVM anchors (ecrecover) take only these: a grant they refuse
		// could never be replaced.
		return nil, fail(CodeInvalidArgument, "grant's v is %d, want 27 or 28", v)
	}
	got, err := ethsig.Recover(cove.AttestorGrantDigest(m.Agent, rec.Attestor, rec.KeyEpoch), [ethsig.Size]byte(m.Grant))
	if err != nil {
		return nil, fail(CodeInvalidArgument, "grant: %s", ethsig.Reason(err))
	}
	if got != *ep.Signer {
		return nil, fail(CodeUnauthorized, "grant is signed by %s, not by epoch %d's signer %s", got, rec.KeyEpoch, *ep.Signer)
	}
	rec.AttestorGrant = append(Bytes(nil), m.Grant...)
	putJSON(o, agentKey(m.Agent), rec)
	return []Event{{Type: EventAttestorGranted, Attrs: []Attr{
		{"agent", m.Agent.String()},
		{"attestor", rec.Attestor.String()},
		{"epoch", strconv.FormatUint(rec.KeyEpoch, 10)},
		{"signer", ep.Signer.String()},
	}}}, nil
}

func execRotateKeys(o *overlay, sender cove.Address, _ RotateKeys, ctx execContext) ([]Event, *failure) {
	p := getParams(o)
	if p.Admin.IsZero() || sender != p.Admin {
		return nil, fail(CodeUnauthorized, "only the admin %s may rotate keys, not %s", p.Admin, sender)
	}
	latest, ok := latestEpoch(o)
	if !ok {
		return nil, fail(CodeNotFound, "no key epoch exists yet: a gatekeeper publishes epoch 0 first")
	}
	var rot Rotation
	if getJSON(o, keyRotation, &rot) {
		return nil, fail(CodeExists, "a rotation to epoch %d is pending: wait for a gatekeeper to publish it", rot.Epoch)
	}
	rot = Rotation{Epoch: latest + 1, RequestedBy: sender, Height: ctx.height}
	putJSON(o, keyRotation, rot)
	return []Event{{Type: EventRotationRequested, Attrs: []Attr{
		{"epoch", strconv.FormatUint(rot.Epoch, 10)},
		{"admin", sender.String()},
	}}}, nil
}
