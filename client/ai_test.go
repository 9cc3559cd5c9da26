package client_test

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/client"
)

// TestAIReportBinding: AIReport accepts a report whose report data binds
// the address it names and the nonce the client sent, and refuses one
// changed in one thing: another nonce, or another address.
func TestAIReportBinding(t *testing.T) {
	addr := cove.Address{0x42}
	var tamper func(*api.AIReport)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := hex.DecodeString(r.URL.Query().Get("nonce"))
		rd := api.AIReportData(addr, [32]byte(b))
		rep := api.AIReport{SigningAddress: addr.String(), SigningAlgo: "ecdsa", RequestNonce: hex.EncodeToString(b), ReportData: hex.EncodeToString(rd[:]), Quote: "00", TEE: "sim"}
		tamper(&rep)
		json.NewEncoder(w).Encode(rep)
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL)
	for _, tc := range []struct {
		name   string
		tamper func(*api.AIReport)
		ok     bool
	}{
		{"control", func(*api.AIReport) {}, true},
		{"report data of another nonce", func(r *api.AIReport) {
			rd := api.AIReportData(addr, [32]byte{1})
			r.ReportData = hex.EncodeToString(rd[:])
		}, false},
		{"another signing address named", func(r *api.AIReport) { r.SigningAddress = (cove.Address{0x43}).String() }, false},
	} {
		tamper = tc.tamper
		_, err := c.AIReport(t.Context())
		if tc.ok != (err == nil) || (err != nil && !strings.Contains(err.Error(), "does not bind")) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
