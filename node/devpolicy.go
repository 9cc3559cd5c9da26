package node

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"time"

	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/tee/sim"
	"github.com/cove-network/cove/txsend"
)

// admitDevBuild, on a development chain (the simulated TEE, the operator
// key is the chain's admin), adds this build's measurement, the sim
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
	wait := 100 * time.Millisecond
	for {
		done := admitDevBuildOnce(ctx, log, p, v, s)
		if done {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if v.Height() >= 1 {
			wait = min(2*wait, 30*time.Second)
		}
	}
}

func admitDevBuildOnce(ctx context.Context, log *slog.Logger, p *sim.Platform, v chain.View, s *txsend.Sender) (done bool) {
	if v.Height() < 1 {
		return false // the chain has not made its first block
	}
	params := v.Params()
	if params.Admin != s.Address() {
		return true
	}
	m := p.Measurement()
	vk := p.VendorPublicKey()
	pol := &params.TEE
	if pol.AllowsTEE("sim") && pol.AllowsMeasurement(m[:]) && pol.AllowsSimVendorKey(vk) {
		return true
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
		log.Error("dev chain: encode params", "err", err)
		return true
	}
	log.Warn("dev chain: allowing this build's measurement and sim vendor key (INSECURE simulated TEE)", "measurement", chain.Bytes(m[:]), "vendor_key", chain.Bytes(vk))
	out, err := s.Send(ctx, func(n uint64) chain.Msg { return chain.UpdateParams{Params: string(b), Nonce: n} })
	if err != nil {
		log.Warn("dev chain: UpdateParams not sent; retrying", "err", err)
		return false
	}
	if out.Code != chain.CodeOK {
		log.Error("dev chain: UpdateParams refused", "log", out.Log)
		return true
	}
	return true
}
