package attest_test

import (
	"testing"
	"time"

	"github.com/cove-network/cove/attest"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/tee/sim"
)

// FuzzVerifyQuote feeds arbitrary quotes to both platforms' paths: the
// verifier runs inside block execution, so it must refuse, never panic,
// and accept nothing but a quote the trusted vendor signed.
func FuzzVerifyQuote(f *testing.F) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p, err := sim.Open(f.TempDir(), sim.WithClock(func() time.Time { return now }))
	if err != nil {
		f.Fatal(err)
	}
	m := p.Measurement()
	params := chain.DefaultParams(admin.addr)
	params.TEE = chain.TEEPolicy{
		AllowedTEEs:         []string{"sim", "tdx"},
		AllowedMeasurements: []chain.Bytes{m[:]},
		SimVendorKeys:       []chain.Bytes{chain.Bytes(p.VendorPublicKey())},
	}
	rd := workerRD([]byte("k"))
	good, _ := p.Quote(rd)
	f.Add(good, int64(0))
	f.Add(good[:20], int64(5))
	f.Add([]byte{4, 0, 2, 0, 0x81}, int64(0))
	f.Fuzz(func(t *testing.T, q []byte, dt int64) {
		at := now.Add(time.Duration(dt%1e6) * time.Second)
		for _, tee := range []string{"sim", "tdx"} {
			att, err := attest.Verifier{}.VerifyQuote(tee, q, rd, at, params)
			if err == nil && (tee != "sim" || string(q) != string(good) || string(att.Measurement) != string(m[:])) {
				t.Fatalf("%s: accepted a quote nobody trusted made", tee)
			}
		}
	})
}
