package gateway

import (
	"encoding/hex"
	"net/http"

	"github.com/cove-network/cove/api"
)

func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request) {
	cluster, epoch, pub, err := s.keys.ClusterKey()
	if err != nil {
		s.log.Error("cluster key", "err", err)
		writeError(w, http.StatusServiceUnavailable, "keys_unavailable", "the cluster key is not available yet; retry shortly")
		return
	}
	writeJSON(w, http.StatusOK, api.KeyInfo{Cluster: cluster, Epoch: epoch, KEM: "ML-KEM-768+X25519", PublicKey: "0x" + hex.EncodeToString(pub)})
}
