package gateway

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
)

// Chain is the ledger as the gateway sees it: committed state and a way to
// submit transactions.
type Chain interface {
	// View reads the committed state.
	View() chain.View
	// Name returns the network's name (CometBFT's chain id, "cove-dev").
	Name() string
	// Broadcast submits a signed transaction and waits for its block.
	Broadcast(ctx context.Context, tx []byte) (chain.TxOutcome, error)
	// LightBlock returns the signed header and validator set of the block
	// at height, CometBFT's protobuf LightBlock; an error matching
	// cove.ErrNotFound for a height the chain has not reached.
	LightBlock(ctx context.Context, height int64) ([]byte, error)
	// Block returns the committed block at height with its transactions,
	// and BlockMeta the same without them (cheap: the explorer scans
	// back with it); an error matching cove.ErrNotFound for a height the
	// node does not hold.
	Block(height int64) (chain.StoredBlock, error)
	BlockMeta(height int64) (chain.StoredBlock, error)
	// Tx looks a transaction up by hash: committed (with its outcome),
	// pending in the node's mempool, or unknown to the node.
	Tx(hash cove.Hash) chain.TxStatus
}

func (s *Server) handleChainStatus(w http.ResponseWriter, r *http.Request) {
	v := s.chain.View()
	head := v.Head()
	writeJSON(w, http.StatusOK, api.ChainStatus{
		ChainID: s.chain.Name(), NumericChainID: v.ChainID(),
		Height: head.Height, AppHash: "0x" + hex.EncodeToString(head.AppHash),
	})
}

// chainParams is the answer of GET /v1/chain/params.
type chainParams struct {
	// Development is true on a development chain (its genesis says so):
	// its TEE policy may admit the INSECURE simulated TEE.
	Development bool         `json:"development"`
	Params      chain.Params `json:"params"`
	// PendingTEEPolicy is a TEE policy change waiting for its delay, so
	// that gatekeepers' operators and users can see it coming; null when
	// none is.
	PendingTEEPolicy *chain.PendingTEEPolicy `json:"pending_tee_policy"`
}

func (s *Server) handleChainParams(w http.ResponseWriter, r *http.Request) {
	v := s.chain.View()
	out := chainParams{Development: v.Development(), Params: v.Params()}
	if p, ok := v.PendingTEEPolicy(); ok {
		out.PendingTEEPolicy = &p
	}
	writeJSON(w, http.StatusOK, out)
}

// maxFeeBytes bounds GET /v1/chain/fee's bytes: the largest transaction.
const maxFeeBytes = chain.MaxTxBytes

// handleChainFee estimates a transaction's fee: GET
// /v1/chain/fee?type=Transfer&bytes=300.
func (s *Server) handleChainFee(w http.ResponseWriter, r *http.Request) {
	typ := r.URL.Query().Get("type")
	if !chain.IsMsgType(typ) {
		writeError(w, http.StatusBadRequest, "bad_type", fmt.Sprintf("type %q: want a transaction type (docs/PROTOCOL.md lists them)", typ))
		return
	}
	n := 0
	if b := r.URL.Query().Get("bytes"); b != "" {
		v, err := strconv.Atoi(b)
		if err != nil || v < 0 || v > maxFeeBytes {
			writeError(w, http.StatusBadRequest, "bad_bytes", fmt.Sprintf("bytes %q: want the transaction's size, 0 to %d", b, maxFeeBytes))
			return
		}
		n = v
	}
	writeJSON(w, http.StatusOK, api.FeeEstimate{Type: typ, Bytes: n, Fee: s.chain.View().Fee(typ, n).String()})
}

// handleChainSupply answers the supply record and the treasury's balance.
func (s *Server) handleChainSupply(w http.ResponseWriter, r *http.Request) {
	sup, treasury, err := s.chain.View().Supply()
	if err != nil {
		writeError(w, http.StatusNotFound, "no_supply_record", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, api.Supply{Total: sup.Total.String(), Minted: sup.Minted.String(), Burned: sup.Burned.String(), Treasury: treasury.String()})
}

func (s *Server) handleChainAccount(w http.ResponseWriter, r *http.Request) {
	addr, err := cove.ParseAddress(r.PathValue("addr"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_address", "address: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.chain.View().Account(addr))
}

func (s *Server) handleChainAgent(w http.ResponseWriter, r *http.Request) {
	a, ok := s.agentFromPath(w, r)
	if !ok {
		return
	}
	rec, err := s.chain.View().Agent(a.ID)
	if err != nil {
		writeError(w, http.StatusNotFound, api.CodeAgentNotFound, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) handleChainAgents(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"agents": s.chain.View().Agents()})
}

// poolView is a pool as the API shows it.
func poolView(v chain.View, p chain.PoolRecord) api.Pool {
	out := api.Pool{
		ID: p.ID, Owner: p.Owner.String(), Commission: p.Commission, Cap: p.Cap.String(),
		Shares: p.Shares.String(), Value: p.Value.String(), Free: p.Free.String(), Price: chain.SharePrice(p),
		Workers: []api.PoolWorker{}, Queue: []api.PoolWithdrawal{}, Created: p.Created, Allowed: p.Allowed,
	}
	for _, id := range p.Workers {
		pw, err := v.PoolWorker(id)
		if err != nil {
			continue
		}
		w := api.PoolWorker{Worker: id.String(), State: pw.State, Stake: pw.Stake.String(), Since: pw.Since}
		if !pw.CoolUntil.IsZero() {
			w.CoolUntil = pw.CoolUntil.UTC().Format(time.RFC3339)
		}
		out.Workers = append(out.Workers, w)
	}
	for _, q := range p.Queue {
		out.Queue = append(out.Queue, api.PoolWithdrawal{Account: q.Account.String(), Shares: q.Shares.String(), Since: q.Since.UTC().Format(time.RFC3339)})
	}
	return out
}

// Pages of GET /v1/chain/pools and /v1/chain/vaults.
const (
	defaultPageLimit = 100
	maxPageLimit     = 1000
)

// writePage answers a page of records sorted by id as {key: [view of
// each], "next": the id to pass as ?after= for the next page (absent on
// the last)}, reading ?after=ID&limit=N (see page).
func writePage[R, V any](w http.ResponseWriter, r *http.Request, key string, records []R, id func(R) uint64, view func(R) V) {
	after, limit, ok := page(w, r)
	if !ok {
		return
	}
	out := []V{}
	resp := map[string]any{}
	last := uint64(0)
	for _, rec := range records {
		if id(rec) <= after {
			continue
		}
		if len(out) == limit {
			resp["next"] = last
			break
		}
		out = append(out, view(rec))
		last = id(rec)
	}
	resp[key] = out
	writeJSON(w, http.StatusOK, resp)
}

// page reads ?after=ID&limit=N: the ids after which a page starts and
// its length (default defaultPageLimit, at most maxPageLimit).
func page(w http.ResponseWriter, r *http.Request) (after uint64, limit int, ok bool) {
	q := r.URL.Query()
	limit = defaultPageLimit
	if s := q.Get("after"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_page", "after: want the decimal id the last page ended with")
			return 0, 0, false
		}
		after = v
	}
	if s := q.Get("limit"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > maxPageLimit {
			writeError(w, http.StatusBadRequest, "bad_page", fmt.Sprintf("limit: want 1 to %d", maxPageLimit))
			return 0, 0, false
		}
		limit = v
	}
	return after, limit, true
}

// handleChainPools lists pools by id, a page at a time (writePage).
func (s *Server) handleChainPools(w http.ResponseWriter, r *http.Request) {
	v := s.chain.View()
	writePage(w, r, "pools", v.Pools(), func(p chain.PoolRecord) uint64 { return p.ID },
		func(p chain.PoolRecord) api.Pool { return poolView(v, p) })
}

// vaultView is a vault as the API shows it.
func vaultView(v chain.View, vr chain.VaultRecord) api.Vault {
	free, value := v.VaultValue(vr)
	fp := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	out := api.Vault{
		ID: vr.ID, Owner: vr.Owner.String(), Commission: vr.Commission, Address: vr.Address.String(),
		Shares: vr.Shares.String(), Value: value.String(), Free: free.String(), Price: chain.PriceString(value, vr.Shares.Big()),
		Checkpoint: chain.PriceString(vr.Checkpoint.Big(), fp), Pools: []api.VaultPool{}, Queue: []api.PoolWithdrawal{}, Created: vr.Created,
	}
	for _, id := range vr.Pools {
		p, err := v.Pool(id)
		if err != nil {
			continue
		}
		sh := v.Stake(vr.Address, id).Shares.Big()
		vp := api.VaultPool{Pool: id, Shares: sh.String(), Value: chain.SharesValue(p, sh).String(), Queued: "0"}
		for _, q := range p.Queue {
			if q.Account == vr.Address {
				vp.Queued = q.Shares.String()
			}
		}
		out.Pools = append(out.Pools, vp)
	}
	for _, q := range vr.Queue {
		out.Queue = append(out.Queue, api.PoolWithdrawal{Account: q.Account.String(), Shares: q.Shares.String(), Since: q.Since.UTC().Format(time.RFC3339)})
	}
	return out
}

// handleChainVaults lists vaults by id, a page at a time (writePage).
func (s *Server) handleChainVaults(w http.ResponseWriter, r *http.Request) {
	v := s.chain.View()
	writePage(w, r, "vaults", v.Vaults(), func(x chain.VaultRecord) uint64 { return x.ID },
		func(x chain.VaultRecord) api.Vault { return vaultView(v, x) })
}

func (s *Server) handleChainVault(w http.ResponseWriter, r *http.Request) {
	id, ok := numericID(w, r, "vault")
	if !ok {
		return
	}
	v := s.chain.View()
	vr, err := v.Vault(id)
	if err != nil {
		writeError(w, http.StatusNotFound, "vault_not_found", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, vaultView(v, vr))
}

func (s *Server) handleChainPool(w http.ResponseWriter, r *http.Request) {
	id, ok := numericID(w, r, "pool")
	if !ok {
		return
	}
	v := s.chain.View()
	p, err := v.Pool(id)
	if err != nil {
		writeError(w, http.StatusNotFound, "pool_not_found", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, poolView(v, p))
}

func (s *Server) handleChainStakes(w http.ResponseWriter, r *http.Request) {
	addr, err := cove.ParseAddress(r.PathValue("addr"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_address", "address: "+err.Error())
		return
	}
	v := s.chain.View()
	out := []api.Stake{}
	for _, st := range v.Stakes(addr) {
		worth := "0"
		if p, err := v.Pool(st.Pool); err == nil {
			worth = chain.SharesValue(p, st.Shares.Big()).String()
		}
		out = append(out, api.Stake{Pool: st.Pool, Shares: st.Shares.String(), Value: worth, LockedUntil: st.LockedUntil})
	}
	vaults := []api.VaultStake{}
	for _, st := range v.VaultStakes(addr) {
		worth := "0"
		if vr, err := v.Vault(st.Vault); err == nil {
			_, value := v.VaultValue(vr)
			worth = chain.Worth(st.Shares.Big(), vr.Shares.Big(), value).String()
		}
		vaults = append(vaults, api.VaultStake{Vault: st.Vault, Shares: st.Shares.String(), Value: worth, LockedUntil: st.LockedUntil})
	}
	writeJSON(w, http.StatusOK, map[string]any{"stakes": out, "vaults": vaults})
}

// handleChainWorker answers one worker's record with its place in a pool
// ("pool": null when in none).
func (s *Server) handleChainWorker(w http.ResponseWriter, r *http.Request) {
	id, err := cove.ParseHash(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_id", "id: "+err.Error())
		return
	}
	v := s.chain.View()
	rec, err := v.Worker(id)
	if err != nil {
		writeError(w, http.StatusNotFound, "worker_not_found", err.Error())
		return
	}
	out := map[string]any{"worker": rec, "pool": nil, "confidence": chain.Confidence(rec).String()}
	if pw, err := v.PoolWorker(id); err == nil {
		out["pool"] = pw
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleChainWorkers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"workers": s.chain.View().Workers()})
}

func (s *Server) handleChainValidators(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"validators": s.chain.View().Validators()})
}

func (s *Server) handleChainGatekeepers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"gatekeepers": s.chain.View().Gatekeepers()})
}

// handleChainKeys lists the key epochs: {"epochs":[{"epoch","publicKey",
// "publishedBy","height","time"}]}, oldest first; the last is what new
// secrets are sealed to.
func (s *Server) handleChainKeys(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"epochs": s.chain.View().Epochs()})
}

// handleChainProvisions lists what gatekeepers sealed to one worker or
// gatekeeper id (ciphertext only).
func (s *Server) handleChainProvisions(w http.ResponseWriter, r *http.Request) {
	id, err := cove.ParseHash(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_id", "id: "+err.Error())
		return
	}
	// An id is registered in one role only, so at most one list is not
	// empty.
	v := s.chain.View()
	ps := append(v.Provisions(chain.ProvisionKindWorker, id), v.Provisions(chain.ProvisionKindGatekeeper, id)...)
	if ps == nil {
		ps = []chain.ProvisionRecord{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"provisions": ps})
}

// handleChainTx submits a signed transaction (the JSON of package chain) and
// answers once it is in a block. A refused transaction is 400 with its code.
func (s *Server) handleChainTx(w http.ResponseWriter, r *http.Request) {
	tx, err := io.ReadAll(io.LimitReader(r.Body, chain.MaxTxBytes+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "read transaction: "+err.Error())
		return
	}
	if len(tx) > chain.MaxTxBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "tx_too_large", fmt.Sprintf("a transaction is at most %d bytes", chain.MaxTxBytes))
		return
	}
	if _, err := chain.Decode(tx); err != nil {
		writeError(w, http.StatusBadRequest, "malformed_tx", err.Error())
		return
	}
	out, err := s.chain.Broadcast(r.Context(), tx)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		s.log.Error("broadcast tx", "err", err)
		writeError(w, http.StatusServiceUnavailable, "broadcast_failed", "the transaction could not be submitted: "+err.Error())
		return
	}
	status := http.StatusOK
	if out.Code != 0 {
		status = http.StatusBadRequest
	}
	b, _ := json.Marshal(out)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// handleChainTxStatus answers what the node knows of a transaction by its
// hash (chain.TxStatus): a client whose POST /v1/chain/tx died before its
// answer asks here whether the transaction committed.
func (s *Server) handleChainTxStatus(w http.ResponseWriter, r *http.Request) {
	h, err := cove.ParseHash(r.PathValue("hash"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_hash", "hash: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.chain.Tx(h))
}

// handleChainProof proves one state key (URL-escaped raw key bytes, as in
// the state: "meta/key_epoch", "agent/" + 32 bytes) at the latest height a
// header certifies: api.StateProof, checked against the header of block
// height+1 (GET /v1/chain/light/{height+1}).
func (s *Server) handleChainProof(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if key == "" || len(key) > maxStateKeyBytes {
		writeError(w, http.StatusBadRequest, "bad_key", fmt.Sprintf("key: want the URL-escaped state key, 1 to %d bytes", maxStateKeyBytes))
		return
	}
	p, err := s.chain.View().Prove([]byte(key))
	if errors.Is(err, chain.ErrNoProof) {
		writeError(w, http.StatusServiceUnavailable, "no_proof_yet", "the node has not committed a block since it started; retry in a moment")
		return
	}
	if err != nil {
		s.log.Error("prove state", "key", fmt.Sprintf("%q", key), "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the proof could not be made")
		return
	}
	out := api.StateProof{Height: p.Height, Key: "0x" + hex.EncodeToString(p.Key), Proof: "0x" + hex.EncodeToString(p.Proof)}
	if p.Value != nil {
		v := "0x" + hex.EncodeToString(p.Value)
		out.Value = &v
	}
	writeJSON(w, http.StatusOK, out)
}

// maxStateKeyBytes bounds a proved key (the longest state key is a
// provision's, 50 bytes).
const maxStateKeyBytes = 256

// handleChainLight serves the light block at a height (api.LightBlock) for
// clients that verify headers themselves.
func (s *Server) handleChainLight(w http.ResponseWriter, r *http.Request) {
	h, err := strconv.ParseInt(r.PathValue("height"), 10, 64)
	if err != nil || h < 1 {
		writeError(w, http.StatusBadRequest, "bad_height", "height: want a block height, 1 or more")
		return
	}
	b, err := s.chain.LightBlock(r.Context(), h)
	if errors.Is(err, cove.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no_such_height", fmt.Sprintf("no block %d yet", h))
		return
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		s.log.Error("light block", "height", h, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the light block could not be read")
		return
	}
	writeJSON(w, http.StatusOK, api.LightBlock{Height: h, LightBlock: "0x" + hex.EncodeToString(b)})
}

// numericID parses the {id} of a path naming a pool, vault or channel (what),
// answering 400 bad_WHAT_id itself when it is not a decimal number.
func numericID(w http.ResponseWriter, r *http.Request, what string) (uint64, bool) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_"+what+"_id", what+" id: want a decimal number")
		return 0, false
	}
	return id, true
}
