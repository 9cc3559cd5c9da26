package contracts

import (
	"math/big"
	"strings"

	"github.com/cove-network/cove"
)

// RequestTarget returns the request target CoveAnchor binds into a
// request's hash (CoveAnchor.target): the agent is called with an HTTP POST
// of the request's body to
//
//	"/agents/" ‖ agent ‖ path ‖ ("&" if path has a "?", else "?") ‖
//	"cove-request=" ‖ chainID ‖ "-" ‖ anchor ‖ "-" ‖ requestID
//
// with the agent as 0x + 64 lowercase hex digits, chainID and requestID in
// decimal and anchor as 0x + 40 lowercase hex digits, so that a receipt
// answers one request of one anchor on one chain (docs/PROTOCOL.md, "EVM
// anchor").
func RequestTarget(chainID *big.Int, anchor cove.Address, agent cove.AgentID, path string, requestID *big.Int) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return "/agents/" + agent.String() + path + sep + "cove-request=" + chainID.String() + "-" +
		strings.ToLower(anchor.String()) + "-" + requestID.String()
}

// RequestHash returns the requestHash CoveAnchor stores for a request and a
// receipt must carry: cove.RequestHash("POST", RequestTarget(…), body).
func RequestHash(chainID *big.Int, anchor cove.Address, agent cove.AgentID, path string, body []byte, requestID *big.Int) cove.Hash {
	return cove.RequestHash("POST", RequestTarget(chainID, anchor, agent, path, requestID), body)
}

// Fulfilment returns what CoveAnchor.fulfil takes for a signed receipt: the
// six-field Receipt and the signature bytes, 65 (r ‖ s ‖ v) for a version-1
// receipt, 97 (the 65, then headersHash) for a version-2 one (ADR 13), and
// 129 + 32 per proof hash (the 97, the salt, then the Merkle proof) for a
// version-3 one, signed in a batch (ADR 18).
func Fulfilment(s cove.SignedReceipt) (Receipt, []byte) {
	r := s.Receipt
	sig := append([]byte(nil), s.Signature[:]...)
	if r.V() >= cove.ReceiptV2 {
		sig = append(sig, r.HeadersHash[:]...)
	}
	if r.V() == cove.ReceiptV3 {
		sig = append(sig, r.Salt[:]...)
		for _, h := range r.Proof {
			sig = append(sig, h[:]...)
		}
	}
	return Receipt{
		Agent: r.Agent, CodeHash: r.CodeHash, RequestHash: r.RequestHash, Status: r.Status,
		ResponseHash: r.ResponseHash, Timestamp: r.Timestamp,
	}, sig
}
