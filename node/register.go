package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/tee/sim"
)

// Registration retries: the first attempts wait for the chain to make its
// first block; later ones back off up to maxRetry (a refusal such as a
// measurement not yet allowed may be fixed by governance at any time).
const (
	firstRetry = 100 * time.Millisecond
	maxRetry   = 30 * time.Second
	// broadcastTimeout bounds one transaction's wait for its block.
	broadcastTimeout = 30 * time.Second
)

// quoter is a TEE platform that makes quotes (tee/sim, tee/tdx).
type quoter interface {
	Name() string
	Quote(reportData [64]byte) ([]byte, error)
}

// registerWorker registers this node's worker on the chain, unless it is
// registered already: it quotes the identity's public key on the TEE and
// sends RegisterWorker signed by the operator key. It retries until the
// chain accepts it or ctx ends, and logs the outcome. It never fails the
// node: a worker that is not registered still serves its local gateway.
func (n *Node) registerWorker(ctx context.Context, endpoint string) {
	pub := n.identity.PublicKey()
	id := chain.WorkerID(pub)
	log := n.log.With("role", "worker", "worker", id)
	q, ok := n.platform.(quoter)
	if !ok {
		log.Error("worker not registered: the TEE platform cannot make quotes", "tee", n.platform.Name())
		return
	}
	if n.op.signer == nil {
		log.Warn("worker not registered: " + errNoOperator.Error())
		return
	}
	r := registration{n: n, log: log, quoter: q, signer: n.op.signer, pub: pub, id: id, endpoint: endpoint}
	wait := firstRetry
	for {
		done, err := r.attempt(ctx)
		if done || ctx.Err() != nil {
			return
		}
		if err != nil {
			log.Warn("worker registration refused; retrying", "err", err, "retry_in", wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err != nil {
			wait = min(2*wait, maxRetry)
		}
	}
}

// openOperator returns the signer of a keystore file NAME.json without
// passphrase.
func openOperator(path string) (*account.Signer, error) {
	name, ok := strings.CutSuffix(filepath.Base(path), ".json")
	if !ok {
		return nil, fmt.Errorf("operator %s: want a keystore file named NAME.json", path)
	}
	st, err := account.Open(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("operator %s: %w", path, err)
	}
	s, err := st.Signer(name, "")
	if err != nil {
		return nil, fmt.Errorf("operator %s: %w", path, err)
	}
	return s, nil
}

// registration is one worker's registration in progress.
type registration struct {
	n        *Node
	log      *slog.Logger
	quoter   quoter
	signer   *account.Signer
	pub      []byte
	id       cove.Hash
	endpoint string
}

// attempt makes one registration attempt. done means nothing is left to do
// (registered now or before); err, a refusal worth logging. Neither means
// the chain is not up yet.
func (r *registration) attempt(ctx context.Context) (done bool, err error) {
	var (
		height  int64
		chainID uint64
		rec     chain.WorkerRecord
		recErr  error
		params  chain.Params
	)
	r.n.validator.State(func(a *chain.App) {
		height, chainID = a.Height(), a.ChainID()
		rec, recErr = a.Worker(r.id)
		params = a.Params()
	})
	if height < 1 {
		return false, nil // the chain has not made its first block
	}
	if recErr == nil {
		r.log.Info("worker already registered", "tee", rec.TEE, "measurement", rec.Measurement, "operator", rec.Operator, "height", rec.Height)
		return true, nil
	}
	if !errors.Is(recErr, cove.ErrNotFound) {
		return false, recErr
	}
	if p, ok := r.n.platform.(*sim.Platform); ok && params.Admin == r.signer.Address() {
		if _, err := r.allowSelf(ctx, p, params, chainID); err != nil {
			return false, err
		}
	}
	quote, err := r.quoter.Quote(chain.ReportData(r.pub))
	if err != nil {
		return false, fmt.Errorf("quote: %w", err)
	}
	msg := chain.RegisterWorker{TEE: r.quoter.Name(), PublicKey: r.pub, Endpoint: r.endpoint, Quote: quote}
	out, err := r.n.op.send(ctx, func(n uint64) chain.Msg { msg.Nonce = n; return msg })
	if err != nil {
		return false, err
	}
	switch out.Code {
	case chain.CodeOK:
		r.log.Info("worker registered", "tee", msg.TEE, "operator", r.signer.Address(), "endpoint", r.endpoint, "height", out.Height, "tx", out.Hash)
		if r.quoter.Name() == "sim" {
			r.log.Warn("the worker's attestation is simulated: " + sim.Warning)
		}
		return true, nil
	case chain.CodeExists:
		r.log.Info("worker already registered", "tx", out.Hash)
		return true, nil
	}
	return false, fmt.Errorf("RegisterWorker: %s", out.Log)
}

// allowSelf, on a dev chain (simulated TEE, operator key = admin key), adds
// this build's measurement, the sim platform and its vendor key to the
// chain's TEE policy when they are missing: a new genesis has them, but a
// rebuilt binary has a new measurement. It reports whether it sent a
// transaction.
//
// Security: this trusts whatever binary the admin runs, which is what a
// development chain wants and a real one must not: it happens only on the
// INSECURE simulated TEE with the admin's own key.
func (r *registration) allowSelf(ctx context.Context, p *sim.Platform, params chain.Params, chainID uint64) (bool, error) {
	m := p.Measurement()
	vk := p.VendorPublicKey()
	pol := &params.TEE
	if pol.AllowsTEE("sim") && pol.AllowsMeasurement(m[:]) && pol.AllowsSimVendorKey(vk) {
		return false, nil
	}
	pol.AllowedTEEs = appendNew(pol.AllowedTEEs, "sim")
	if !pol.AllowsMeasurement(m[:]) {
		pol.AllowedMeasurements = append(slices.Clone(pol.AllowedMeasurements), chain.Bytes(m[:]))
	}
	if !pol.AllowsSimVendorKey(vk) {
		pol.SimVendorKeys = append(slices.Clone(pol.SimVendorKeys), chain.Bytes(vk))
	}
	b, err := json.Marshal(params)
	if err != nil {
		return false, err
	}
	r.log.Warn("dev chain: allowing this build's measurement and sim vendor key (INSECURE simulated TEE)", "measurement", chain.Bytes(m[:]), "vendor_key", chain.Bytes(vk))
	out, err := r.n.op.send(ctx, func(n uint64) chain.Msg { return chain.UpdateParams{Params: string(b), Nonce: n} })
	if err != nil {
		return false, err
	}
	if out.Code != chain.CodeOK {
		return false, fmt.Errorf("UpdateParams: %s", out.Log)
	}
	return true, nil
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(slices.Clone(list), s)
}
