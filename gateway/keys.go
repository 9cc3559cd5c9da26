package gateway

import (
	"encoding/hex"
	"net/http"
)

// KeyInfo is GET /v1/keys: what a client seals agent secrets to.
type KeyInfo struct {
	Cluster   string `json:"cluster"`
	Epoch     uint32 `json:"epoch"`
	KEM       string `json:"kem"`
	PublicKey string `json:"publicKey"` // 0x-hex HPKE public key
}

func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request) {
	cluster, epoch, pub, err := s.keys.ClusterKey()
	if err != nil {
		s.log.Error("cluster key", "err", err)
		writeError(w, http.StatusServiceUnavailable, "keys_unavailable", "the cluster key is not available yet; retry shortly")
		return
	}
	writeJSON(w, http.StatusOK, KeyInfo{Cluster: cluster, Epoch: epoch, KEM: "ML-KEM-768+X25519", PublicKey: "0x" + hex.EncodeToString(pub)})
}
