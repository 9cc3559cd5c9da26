package node

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/backoff"
	"github.com/cove-network/cove/tee/sim"
	"github.com/cove-network/cove/txsend"
)

// admitDevBuild, on a development chain (genesis "development": true, the
// simulated TEE, the operator key is the chain's admin), adds this build's measurement, the sim
// platform and its vendor key to the chain's TEE policy when they are
// missing: a new genesis has them (DevTEEPolicy), but a rebuilt binary has
// a new measurement, and an old genesis may have no policy. The worker's
// and the gatekeeper's registrations, which retry, then go through. It
// returns when the policy admits the build, the operator is not the admin,
// or ctx ends.
//
// Security: this trusts whatever binary the admin runs, which is what a
// development chain wants and a real one must not: it happens only on the
// INSECURE simulated TEE with the admin's own key, and says so in the log.
func admitDevBuild(ctx context.Context, log *slog.Logger, p *sim.Platform, v chain.View, s *txsend.Sender) {
	backoff.Retry(ctx, 100*time.Millisecond, 30*time.Second, func() (bool, error) {
		return admitDevBuildOnce(ctx, log, p, v, s)
	}, func(err error, wait time.Duration) {
		log.Warn("dev chain: this build is not admitted yet; retrying", "err", err, "retry_in", wait)
	})
}

// admitDevBuildOnce makes one attempt. done means nothing is left to do;
// err, a failure to retry (the chain may refuse a nonce the CLI took).
func admitDevBuildOnce(ctx context.Context, log *slog.Logger, p *sim.Platform, v chain.View, s *txsend.Sender) (done bool, err error) {
	if v.Height() < 1 {
		return false, nil // the chain has not made its first block
	}
	params := v.Params()
	if params.Admin != s.Address() {
		return true, nil
	}
	if !v.Development() {
		log.Warn("not a development chain: this build's measurement is not admitted automatically; governance must add it to params tee.allowed_measurements")
		return true, nil
	}
	m := p.Measurement()
	vk := p.VendorPublicKey()
	pol := &params.TEE
	if pol.AllowsTEE("sim") && pol.AllowsMeasurement(m[:]) && pol.AllowsSimVendorKey(vk) {
		return true, nil
	}
	if !slices.Contains(pol.AllowedTEEs, "sim") {
		pol.AllowedTEEs = append(slices.Clone(pol.AllowedTEEs), "sim")
	}
	if !pol.AllowsMeasurement(m[:]) {
		pol.AllowedMeasurements = append(slices.Clone(pol.AllowedMeasurements), chain.Bytes(m[:]))
	}
	if !pol.AllowsSimVendorKey(vk) {
		pol.SimVendorKeys = append(slices.Clone(pol.SimVendorKeys), chain.Bytes(vk))
	}
	b, err := json.Marshal(params)
	if err != nil {
		return false, fmt.Errorf("encode params: %w", err)
	}
	log.Warn("dev chain: allowing this build's measurement and sim vendor key (INSECURE simulated TEE)", "measurement", chain.Bytes(m[:]), "vendor_key", chain.Bytes(vk))
	out, err := s.Send(ctx, func(n uint64) chain.Msg { return chain.UpdateParams{Params: string(b), Nonce: n} })
	if err != nil {
		return false, err
	}
	if out.Code != chain.CodeOK {
		return false, fmt.Errorf("UpdateParams refused: %s", out.Log)
	}
	return true, nil
}
