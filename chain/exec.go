package chain

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/blob/cid"
	"github.com/cove-network/cove/secret"
)

// Limits of RegisterWorker fields.
const (
	MaxTEENameBytes   = 32
	MaxPublicKeyBytes = 4 << 10
	MaxEndpointBytes  = 2 << 10
	MaxQuoteBytes     = 64 << 10
	// MaxMeasurementBytes bounds what a QuoteVerifier may report.
	MaxMeasurementBytes = 256
)

// Event types of successful transactions, with their attributes.
const (
	EventTransfer         = "transfer"          // from, to, amount
	EventAgentDeployed    = "agent_deployed"    // id, owner, cid, codeHash, version
	EventAgentUpgraded    = "agent_upgraded"    // id, cid, codeHash, version
	EventWorkerRegistered = "worker_registered" // id, operator, tee, measurement, endpoint
	EventParamsUpdated    = "params_updated"    // admin, params (the new Params JSON)
)

// execContext is what a transaction or a block hook may depend on besides
// state.
type execContext struct {
	chainID uint64
	height  int64
	time    time.Time
	// check is true in CheckTx: a failing transaction then changes
	// nothing, not even the nonce.
	check bool
	// verifier checks registrations' quotes (nil: none can register).
	verifier QuoteVerifier
	// block is the block FinalizeBlock executes, with its proposer, last
	// commit and misbehaviour; nil in CheckTx.
	block *Block
	// start is the committed state the block starts from (CheckTx: the
	// next block's), for rules about what a whole block changes.
	start reader
	// feeTo is the account paid the proposer's share of fees (see
	// feeRecipient): the treasury in CheckTx.
	feeTo cove.Address
	// seed is the app hash the block starts from, which picks the
	// heartbeat bucket it challenges; nil in CheckTx.
	seed []byte
}

func accountKey(a cove.Address) string { return prefixAccount + string(a[:]) }
func agentKey(id cove.AgentID) string  { return prefixAgent + string(id[:]) }
func workerKey(id cove.Hash) string    { return prefixWorker + string(id[:]) }

func getAccount(r reader, addr cove.Address) Account {
	var a Account
	if !getJSON(r, accountKey(addr), &a) {
		return Account{Address: addr, Balance: new(big.Int)}
	}
	return a
}

// putAccount stores a. An account with zero balance and nonce is not
// stored (a sender's account can be empty in the middle of a transaction,
// before its nonce is used).
func putAccount(o *overlay, a Account) {
	key := accountKey(a.Address)
	if a.empty() {
		if _, ok := o.get(key); ok {
			o.set(key, nil)
		}
		return
	}
	putJSON(o, key, a)
}

func accountExists(r reader, addr cove.Address) bool {
	_, ok := r.get(accountKey(addr))
	return ok
}

func getParams(r reader) Params {
	var p Params
	getJSON(r, keyParams, &p)
	return p
}

// fees returns the fee parameters in o, decoding the params record only
// when its bytes changed since the last call (every transaction asks).
func (a *App) fees(o reader) FeeParams {
	raw, _ := o.get(keyParams)
	if a.feeCache.raw == nil || !bytes.Equal(raw, a.feeCache.raw) {
		a.feeCache.raw, a.feeCache.fees = raw, getParams(o).Fees
	}
	return a.feeCache.fees
}

// canonicalSize is the size a transaction pays for: the length of its
// canonical encoding, not of the bytes as posted, which anyone relaying
// it could pad with white space without touching the signature.
func canonicalSize(tx Tx, raw []byte, f FeeParams) int {
	if f.PerByte == "" || f.PerByte == "0" {
		return len(raw) // the size does not matter
	}
	b, err := tx.Encode()
	if err != nil {
		return len(raw) // Decode accepted it, so it encodes
	}
	return len(b)
}

// maxSenderCache bounds App.senders (transactions CheckTx accepted that no
// block has carried yet).
const maxSenderCache = 1 << 16

// deliver runs one transaction on o and returns its result. See the
// package comment for when the nonce is used.
func (a *App) deliver(o *overlay, raw []byte, ctx execContext) TxResult {
	res := TxResult{TxHash: TxHash(raw)}
	tx, err := Decode(raw)
	if err != nil {
		return res.fail(fail(CodeMalformed, "%v: see docs/PROTOCOL.md for the transaction format", err))
	}
	sender, ok := a.senders[res.TxHash]
	if !ok {
		sender, err = tx.Sender(ctx.chainID)
		if err != nil {
			return res.fail(fail(CodeBadSignature, "%v: sign the EIP-712 digest of the message with domain {name: \"Cove\", version: \"1\", chainId: %d}", err, ctx.chainID))
		}
		if ctx.check {
			if a.senders == nil || len(a.senders) >= maxSenderCache {
				a.senders = map[cove.Hash]cove.Address{}
			}
			a.senders[res.TxHash] = sender
		}
	}
	res.Sender = sender
	if !accountExists(o, sender) {
		return res.fail(fail(CodeUnknownAccount, "the signature recovers %s, which has no account on chain %d: fund it first, or if you signed for another chain, sign with chainId %d", sender, ctx.chainID, ctx.chainID))
	}
	acct := getAccount(o, sender)
	if tx.Nonce() != acct.Nonce {
		return res.fail(fail(CodeBadNonce, "nonce %d expected, got %d: query /v1/chain/accounts/%s for the next nonce", acct.Nonce, tx.Nonce(), sender))
	}
	if acct.Nonce == math.MaxUint64 {
		return res.fail(fail(CodeBadNonce, "account %s has used every nonce", sender))
	}
	fees := a.fees(o)
	size := canonicalSize(tx, raw, fees)
	fee := fees.Fee(tx.Type(), size)
	if ft := feeType(tx); ft != tx.Type() {
		fee = maxBig(fee, fees.Fee(ft, size))
	}
	if max := tx.MaxFee(); max != nil && fee.Cmp(max) > 0 {
		return res.fail(fail(CodeFeeAboveMax, "the fee is %s, above the transaction's maxFee %s: sign it again with a higher maxFee (the CLI's --fee; GET /v1/chain/fee estimates it)", fee, max))
	}
	if acct.Balance.Cmp(fee) < 0 {
		return res.fail(fail(CodeInsufficientFunds, "%s has %s, the fee of this %d-byte %s is %s: fund the account", sender, acct.Balance, size, tx.Type(), fee))
	}
	// The fee is taken first and kept if the message fails (in a block;
	// CheckTx keeps nothing of a refused transaction).
	fo := o
	var feeEvent *Event
	if fee.Sign() > 0 {
		fo = newOverlay(o)
		e := payFee(fo, sender, fee, fees, ctx.feeTo)
		feeEvent = &e
	}
	txo := newOverlay(fo)
	events, f := messages.entry(tx.Msg).run(txo, sender, tx.Msg, ctx)
	if f != nil && ctx.check {
		return res.fail(f)
	}
	if f == nil {
		txo.flush(fo)
		res.Events = events
	}
	if fo != o {
		fo.flush(o)
	}
	acct = getAccount(o, sender)
	acct.Nonce++
	putAccount(o, acct)
	if f != nil {
		res = res.fail(f)
	}
	if feeEvent != nil {
		res.Events = append(res.Events, *feeEvent)
	}
	return res
}

// feeType is the type a transaction's fee is priced by besides its own:
// for a SponsoredTx its inner transaction's, the higher of the two fees
// being paid (so that sponsoring does not get around a price governance
// set for a type, nor the price of SponsoredTx).
func feeType(tx Tx) string {
	if s, ok := tx.Msg.(SponsoredTx); ok {
		if inner, err := Decode([]byte(s.Inner)); err == nil {
			return inner.Type()
		}
	}
	return tx.Type()
}

func maxBig(a, b *big.Int) *big.Int {
	if a.Cmp(b) >= 0 {
		return a
	}
	return b
}

func (r TxResult) fail(f *failure) TxResult {
	r.Code = f.code
	r.Codespace = Codespace
	r.Log = f.msg
	r.Events = nil
	return r
}

func execTransfer(o *overlay, sender cove.Address, m Transfer, _ execContext) ([]Event, *failure) {
	switch held := heldAddress(o, m.To); held {
	case "":
	case "a vault's address":
		return nil, fail(CodeInvalidArgument, "%s is a vault's address: put COVE in a vault with ContributeVault (cove stake vault contribute), for shares", m.To)
	default:
		return nil, fail(CodeInvalidArgument, "%s is %s: open a channel with OpenChannel (cove channel open) instead", m.To, held)
	}
	from := getAccount(o, sender)
	if from.Balance.Cmp(m.Amount) < 0 {
		return nil, fail(CodeInsufficientFunds, "%s has %s, the transfer needs %s: fund the account or send less", sender, from.Balance, m.Amount)
	}
	from.Balance.Sub(from.Balance, m.Amount)
	putAccount(o, from)
	to := getAccount(o, m.To)
	to.Balance.Add(to.Balance, m.Amount) // cannot pass 2^256-1: genesis bounds the supply
	putAccount(o, to)
	return []Event{{Type: EventTransfer, Attrs: []Attr{
		{"from", sender.String()},
		{"to", m.To.String()},
		{"amount", m.Amount.String()},
	}}}, nil
}

func execDeploy(o *overlay, sender cove.Address, m DeployAgent, ctx execContext) ([]Event, *failure) {
	p := getParams(o)
	if f := checkName(m.Name, p.MaxNameLength); f != nil {
		return nil, f
	}
	if f := checkCode(m.CID, m.CodeHash); f != nil {
		return nil, f
	}
	if f := checkSecrets(m.Secrets, p.MaxSecretsBytes); f != nil {
		return nil, f
	}
	isolation, f := checkIsolation(m.Isolation)
	if f != nil {
		return nil, f
	}
	id := cove.DeriveAgentID(sender, m.CodeHash, m.Salt)
	if _, ok := o.get(agentKey(id)); ok {
		return nil, fail(CodeExists, "agent %s exists: deploy with another salt, or send UpgradeAgent to change its code", id)
	}
	epoch, _ := latestEpoch(o)
	rec := AgentRecord{
		ID:        id,
		KeyEpoch:  epoch,
		Owner:     sender,
		Name:      m.Name,
		CID:       m.CID,
		CodeHash:  m.CodeHash,
		Salt:      m.Salt,
		Version:   1,
		Secrets:   m.Secrets,
		Isolation: isolation,
		CreatedAt: ctx.time,
		UpdatedAt: ctx.time,
		History:   []AgentVersion{{Version: 1, CID: m.CID, CodeHash: m.CodeHash, Height: ctx.height, Time: ctx.time}},
	}
	putJSON(o, agentKey(id), rec)
	return []Event{{Type: EventAgentDeployed, Attrs: []Attr{
		{"id", id.String()},
		{"owner", sender.String()},
		{"cid", m.CID},
		{"codeHash", m.CodeHash.String()},
		{"version", "1"},
	}}}, nil
}

func execUpgrade(o *overlay, sender cove.Address, m UpgradeAgent, ctx execContext) ([]Event, *failure) {
	var rec AgentRecord
	if !getJSON(o, agentKey(m.Agent), &rec) {
		return nil, fail(CodeNotFound, "agent %s does not exist: check the id, or send DeployAgent first", m.Agent)
	}
	if rec.Owner != sender {
		if IsDAOAgent(rec) {
			return nil, ownerOnly(rec, sender, "upgrade it")
		}
		return nil, fail(CodeUnauthorized, "agent %s is owned by %s, not %s: sign with the owner's key", m.Agent, rec.Owner, sender)
	}
	p := getParams(o)
	if f := checkCode(m.CID, m.CodeHash); f != nil {
		return nil, f
	}
	if f := checkSecrets(m.Secrets, p.MaxSecretsBytes); f != nil {
		return nil, f
	}
	rec.Version++
	rec.CID = m.CID
	rec.CodeHash = m.CodeHash
	if len(m.Secrets) > 0 {
		rec.Secrets = m.Secrets
	}
	rec.UpdatedAt = ctx.time
	rec.History = append(rec.History, AgentVersion{Version: rec.Version, CID: m.CID, CodeHash: m.CodeHash, Height: ctx.height, Time: ctx.time})
	putJSON(o, agentKey(m.Agent), rec)
	return []Event{{Type: EventAgentUpgraded, Attrs: []Attr{
		{"id", m.Agent.String()},
		{"cid", m.CID},
		{"codeHash", m.CodeHash.String()},
		{"version", strconv.FormatUint(rec.Version, 10)},
	}}}, nil
}

// checkRegisterWorker is RegisterWorker's stateless check.
func checkRegisterWorker(m RegisterWorker) *failure {
	return checkRegistration(m.TEE, m.PublicKey, m.Quote, m.Endpoint)
}

func execRegisterWorker(o *overlay, sender cove.Address, m RegisterWorker, ctx execContext) ([]Event, *failure) {
	id := WorkerID(m.PublicKey)
	if _, ok := o.get(workerKey(id)); ok {
		return nil, fail(CodeExists, "worker %s is already registered with this public key (a replayed quote, or a second registration): a worker registers once per identity key", id)
	}
	if _, ok := o.get(gatekeeperKey(id)); ok {
		return nil, fail(CodeExists, "%s is a gatekeeper's identity key: a key is registered in one role only", id)
	}
	att, f := attested(o, RoleWorker, m.TEE, m.Quote, m.PublicKey, sender, ctx)
	if f != nil {
		return nil, f
	}
	rec := WorkerRecord{
		ID:           id,
		Operator:     sender,
		TEE:          m.TEE,
		Measurement:  Bytes(append([]byte(nil), att.Measurement...)),
		TCBStatus:    att.TCBStatus,
		Advisories:   att.Advisories,
		PublicKey:    m.PublicKey,
		Endpoint:     m.Endpoint,
		Status:       WorkerStatusActive,
		RegisteredAt: ctx.time,
		Height:       ctx.height,
	}
	putJSON(o, workerKey(id), rec)
	return []Event{{Type: EventWorkerRegistered, Attrs: []Attr{
		{"id", id.String()},
		{"operator", sender.String()},
		{"tee", m.TEE},
		{"measurement", rec.Measurement.String()},
		{"endpoint", m.Endpoint},
	}}}, nil
}

// checkRegistration checks the fields RegisterWorker and RegisterGatekeeper
// share.
func checkRegistration(tee string, publicKey, quote []byte, endpoint string) *failure {
	if f := checkTEEName(tee); f != nil {
		return f
	}
	switch {
	case len(publicKey) == 0 || len(publicKey) > MaxPublicKeyBytes:
		return fail(CodeInvalidArgument, "publicKey is %d bytes, want 1 to %d", len(publicKey), MaxPublicKeyBytes)
	case len(quote) == 0 || len(quote) > MaxQuoteBytes:
		return fail(CodeInvalidArgument, "quote is %d bytes, want 1 to %d", len(quote), MaxQuoteBytes)
	}
	return checkEndpoint(endpoint)
}

// attested verifies a registration's quote at block time: the quote must
// bind publicKey in role (RoleWorker, RoleGatekeeper) on this chain for
// sender (see ReportData). It returns what the quote attests.
func attested(o *overlay, role, tee string, quote, publicKey []byte, sender cove.Address, ctx execContext) (Attestation, *failure) {
	if ctx.verifier == nil {
		return Attestation{}, fail(CodeAttestationUnavailable, "this chain's validators cannot verify %s quotes yet, so %ss cannot register: retry when attestation is enabled", tee, role)
	}
	att, err := ctx.verifier.VerifyQuote(tee, quote, ReportData(role, ctx.chainID, sender, publicKey), ctx.time, getParams(o))
	if err == nil && (len(att.Measurement) == 0 || len(att.Measurement) > MaxMeasurementBytes) {
		err = errors.New("the verifier reported no usable measurement")
	}
	if err == nil && !usableStatus(att) {
		err = errors.New("the verifier reported an unusable TCB status or advisory list")
	}
	if err != nil {
		return Attestation{}, quoteFailure(tee, role, sender, ctx.chainID, err)
	}
	return att, nil
}

// Bounds on what a QuoteVerifier may report of a TCB status (Intel's
// collateral lists a handful of advisories per level).
const (
	maxTCBStatusBytes = 64
	maxAdvisories     = 64
	maxAdvisoryBytes  = 64
)

func usableStatus(a Attestation) bool {
	if len(a.TCBStatus) > maxTCBStatusBytes || len(a.Advisories) > maxAdvisories {
		return false
	}
	for _, s := range a.Advisories {
		if len(s) == 0 || len(s) > maxAdvisoryBytes {
			return false
		}
	}
	return true
}

// quoteFailure turns a verifier's error into the refusal of its kind.
func quoteFailure(tee, role string, sender cove.Address, chainID uint64, err error) *failure {
	switch {
	case errors.Is(err, ErrTEENotAllowed):
		return fail(CodeTEENotAllowed, "%s quote: %v: governance must add the platform to params tee.allowed_tees (UpdateParams)", tee, err)
	case errors.Is(err, ErrMeasurementNotAllowed):
		return fail(CodeMeasurementNotAllowed, "%s quote: %v", tee, err)
	case errors.Is(err, ErrQuoteForOtherKeys):
		return fail(CodeQuoteForOtherKeys, "%s quote: %v: a %s quote binds its role, the chain id %d, the sending operator %s and the public key (chain.ReportData, docs/PROTOCOL.md); quote again for this registration and send it from the operator it names", tee, err, role, chainID, sender)
	case errors.Is(err, ErrQuoteStale):
		return fail(CodeQuoteStale, "%s quote: %v: make a fresh quote and send it at once", tee, err)
	}
	return fail(CodeAttestationFailed, "%s quote: %v", tee, err)
}

func execUpdateParams(o *overlay, sender cove.Address, m UpdateParams, ctx execContext) ([]Event, *failure) {
	old := getParams(o)
	if old.Admin.IsZero() {
		return nil, fail(CodeUnauthorized, "this chain has no admin: its params cannot change")
	}
	if sender != old.Admin {
		return nil, fail(CodeUnauthorized, "only the admin %s may update params, not %s", old.Admin, sender)
	}
	p, err := ParseParams([]byte(m.Params))
	if err != nil {
		return nil, fail(CodeInvalidArgument, "%v: send the complete params as JSON", err)
	}
	if err := p.TEE.CheckForChain(isDevelopment(o)); err != nil {
		return nil, fail(CodeInvalidArgument, "params: %v", err)
	}
	if was, now := old.Staking.effective().HeartbeatBlocks, p.Staking.effective().HeartbeatBlocks; was != now {
		return nil, fail(CodeInvalidArgument, "params: staking.heartbeat_blocks is fixed at genesis (%d, not %d): computing workers sit in its buckets", was, now)
	}
	if was, now := old.Staking.effective().HeartbeatWindow, p.Staking.effective().HeartbeatWindow; was != now {
		return nil, fail(CodeInvalidArgument, "params: staking.heartbeat_window is fixed at genesis (%d, not %d): pending challenges are due by it", was, now)
	}
	if c, ok := ctx.verifier.(ParamsChecker); ok {
		if err := c.CheckParams(p); err != nil {
			return nil, fail(CodeInvalidArgument, "params: %v", err)
		}
	}
	var events []Event
	p.TEE, events = setTEEPolicy(o, sender, old.TEE, p.TEE, ctx)
	b := mustJSON(p)
	o.set(keyParams, b)
	return append([]Event{{Type: EventParamsUpdated, Attrs: []Attr{
		{"admin", p.Admin.String()},
		{"params", string(b)},
	}}}, events...), nil
}

// checkIsolation accepts "agent", "request" or empty (the default,
// "agent") and returns what the record keeps: "request", or empty for the
// default.
func checkIsolation(s string) (string, *failure) {
	switch s {
	case "", cove.IsolationAgent:
		return "", nil
	case cove.IsolationRequest:
		return s, nil
	}
	return "", fail(CodeInvalidArgument, "isolation %q: use %q (calls share warm VMs, the default) or %q (a fresh VM per call)", clip(s), cove.IsolationAgent, cove.IsolationRequest)
}

// checkName enforces ^[A-Za-z0-9][A-Za-z0-9._-]*$ up to max bytes, or
// empty.
func checkName(name string, max int) *failure {
	if name == "" {
		return nil
	}
	if len(name) > max {
		return fail(CodeInvalidArgument, "name is %d bytes, the limit is %d", len(name), max)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return fail(CodeInvalidArgument, "name %q: use a letter or digit, then letters, digits, '.', '_' or '-'", clip(name))
		}
	}
	return nil
}

// checkCode checks that id is the CIDv1 (raw, sha2-256) of codeHash.
func checkCode(id string, codeHash cove.Hash) *failure {
	h, err := cid.Parse(id)
	if err != nil {
		return fail(CodeInvalidArgument, "%v", err)
	}
	if h != codeHash {
		return fail(CodeInvalidArgument, "cid %s names code hash %s, not %s: send the CID of the bundle whose SHA-256 is codeHash", id, h, codeHash)
	}
	return nil
}

// checkSecrets accepts empty secrets or a sealed envelope of a version this
// build reads, within max bytes.
func checkSecrets(s []byte, max int) *failure {
	if len(s) == 0 {
		return nil
	}
	if len(s) > max {
		return fail(CodeInvalidArgument, "secrets are %d bytes, the limit is %d", len(s), max)
	}
	if _, err := secret.Epoch(s); err != nil {
		return fail(CodeInvalidArgument, "secrets: %v: seal them with `cove secrets` (package secret) or send none", err)
	}
	return nil
}

// checkTEEName enforces ^[a-z0-9][a-z0-9-]*$ up to MaxTEENameBytes.
func checkTEEName(tee string) *failure {
	if tee == "" || len(tee) > MaxTEENameBytes {
		return fail(CodeInvalidArgument, "tee %q: want a platform name such as \"tdx\" (1 to %d bytes)", clip(tee), MaxTEENameBytes)
	}
	for i := 0; i < len(tee); i++ {
		c := tee[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && i > 0) {
			return fail(CodeInvalidArgument, "tee %q: use lowercase letters, digits and '-'", clip(tee))
		}
	}
	return nil
}

// checkEndpoint accepts http:// or https:// followed by printable ASCII
// that needs no escaping in a URL. It is a rule of its own, not net/url's
// parser, so that it cannot change with the Go release.
func checkEndpoint(e string) *failure {
	rest, ok := strings.CutPrefix(e, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(e, "http://")
	}
	if !ok || rest == "" || rest[0] == '/' || len(e) > MaxEndpointBytes {
		return fail(CodeInvalidArgument, "endpoint %q: want an http:// or https:// URL with a host, at most %d bytes", clip(e), MaxEndpointBytes)
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}' {
			return fail(CodeInvalidArgument, "endpoint %q: character %q is not allowed in a URL", clip(e), c)
		}
	}
	return nil
}
