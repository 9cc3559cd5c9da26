// Package receipt makes and checks the signed receipt that comes with every
// agent response, so that a caller, a contract or `cove verify` can tell which
// agent code answered which request with which response.
//
// A receipt travels in three HTTP headers (HTTP trailers after a streamed
// body, whose receipt exists only once the body has ended; see ADR 10):
//
//	Cove-Receipt:   base64url (no padding) of the receipt JSON
//	Cove-Signature: 0x + 65 bytes r ‖ s ‖ v (v = 27 or 28) over Receipt.Digest
//	Cove-Signer:    the agent's attestor address, EIP-55 checksummed
//
// The receipt JSON has a version (docs/PROTOCOL.md, ADR 13). Version 2,
// which workers sign, covers the request's Host and a fixed set of
// response headers (cove.ReceiptHeaders: Content-Type, Location, …) in
// headersHash, besides what version 1 covers (the request's method, target
// and body, the status, the response body). The digest is EIP-712 with the
// domain {name: "Cove", version: "2"} (no chainId, no verifyingContract)
// and the type
//
//	Receipt(bytes32 agent,bytes32 codeHash,bytes32 requestHash,uint16 status,bytes32 responseHash,uint64 timestamp,bytes32 headersHash)
//
// Version 1 receipts (domain version "1", the type without headersHash)
// still verify; they do not cover headers ([ErrNotCovered]). Version 3 is
// version 2 signed in a batch (ADR 18, batch.go): the signature is over
// the Merkle root of several responses' salted receipts, each receipt
// carrying its salt and proof; a response signed alone stays version 2.
// ethers' and viem's verifyTypedData and the EVM anchor accept all three
// (testdata/js and contracts check them).
package receipt

import "github.com/cove-network/cove"

// Receipt is a receipt (cove.Receipt): what an attestor signs.
type Receipt = cove.Receipt

// Signed is a receipt with its signature and signer (cove.SignedReceipt).
type Signed = cove.SignedReceipt
