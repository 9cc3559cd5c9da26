// verify.mjs checks a Cove receipt with ethers and viem, the way a dapp would.
//
// Usage: node verify.mjs FILE
//
// FILE is JSON shaped like receipt/testdata/receipt_vector.json (version 1),
// receipt_vector_v2.json (version 2) or receipt_vector_v3.json (version 3):
//   { "receipt": {version?, agent, codeHash, requestHash, status, responseHash, timestamp, headersHash?, proof?},
//     "signature": "0x" + 130 hex digits, "signer": "0x…", "digest": "0x…" (optional),
//     "exchange": {host, responseHeaders, …} (optional) }
// A receipt without "version" is version 1 (EIP-712 domain version "1", six
// fields); "version": 2 uses domain version "2" and appends headersHash. For
// a version-2 or -3 receipt with an exchange, it also recomputes headersHash
// from the exchange's host and response headers (docs/PROTOCOL.md).
// "version": 3 is a receipt signed in a batch (ADR 18): its leaf is the
// EIP-712 struct hash of ReceiptLeaf{receipt (as version 2), salt} (each
// library's hashStruct), the proof's hashes are folded in as keccak256 of
// the sorted pair, and the signature is checked as EIP-712
// ReceiptBatch{root} under domain version "3".
// It prints one line per check and exits non-zero if either library
// rejects the signature, recovers another address, or computes another digest.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { TypedDataEncoder, verifyTypedData as ethersVerify, getAddress, keccak256 as ethersKeccak, concat as ethersConcat } from "ethers";
import { hashStruct, hashTypedData, keccak256 as viemKeccak, concat as viemConcat, recoverTypedDataAddress, verifyTypedData as viemVerify } from "viem";

const fieldsV1 = [
  { name: "agent", type: "bytes32" },
  { name: "codeHash", type: "bytes32" },
  { name: "requestHash", type: "bytes32" },
  { name: "status", type: "uint16" },
  { name: "responseHash", type: "bytes32" },
  { name: "timestamp", type: "uint64" },
];

const path = process.argv[2];
if (!path) {
  console.error("usage: node verify.mjs FILE");
  process.exit(2);
}
const v = JSON.parse(readFileSync(path, "utf8"));
const r = v.receipt;
const version = r.version === undefined ? 1 : r.version;
if (version !== 1 && version !== 2 && version !== 3) {
  console.error(`unknown receipt version ${r.version}`);
  process.exit(2);
}
const isHash = (x) => typeof x === "string" && /^0x[0-9a-fA-F]{64}$/.test(x);
if (version === 3 ? !isHash(r.salt) || !Array.isArray(r.proof) || r.proof.length < 1 || r.proof.length > 8 || !r.proof.every(isHash)
  : r.salt !== undefined || r.proof !== undefined) {
  console.error(`a version-${version} receipt ${version === 3 ? "needs a salt and a proof of 1 to 8 hashes" : "has no salt or proof"}`);
  process.exit(2);
}
const receiptTypes = { Receipt: version >= 2 ? [...fieldsV1, { name: "headersHash", type: "bytes32" }] : fieldsV1 };
const leafTypes = { ReceiptLeaf: [{ name: "receipt", type: "Receipt" }, { name: "salt", type: "bytes32" }], Receipt: receiptTypes.Receipt };
const receiptMessage = {
  agent: r.agent,
  codeHash: r.codeHash,
  requestHash: r.requestHash,
  status: r.status,
  responseHash: r.responseHash,
  timestamp: r.timestamp,
};
if (version >= 2) receiptMessage.headersHash = r.headersHash;
const signer = getAddress(v.signer);

// What each library verifies: the receipt itself (versions 1 and 2), or
// the root its proof leads to (version 3), computed by that library.
function batchRoot(leaf, keccak, concat) {
  let h = leaf.toLowerCase();
  for (const sib of r.proof) {
    const s = sib.toLowerCase();
    h = BigInt(h) <= BigInt(s) ? keccak(concat([h, s])) : keccak(concat([s, h]));
  }
  return h;
}
const batchTypes = { ReceiptBatch: [{ name: "root", type: "bytes32" }] };
function typed(lib) {
  const domain = { name: "Cove", version: String(version) };
  if (version !== 3) return { domain, types: receiptTypes, primaryType: "Receipt", message: receiptMessage };
  const leaf = { receipt: receiptMessage, salt: r.salt };
  const root = lib === "ethers"
    ? batchRoot(TypedDataEncoder.hashStruct("ReceiptLeaf", leafTypes, leaf), ethersKeccak, ethersConcat)
    : batchRoot(hashStruct({ data: leaf, primaryType: "ReceiptLeaf", types: leafTypes }), viemKeccak, viemConcat);
  return { domain, types: batchTypes, primaryType: "ReceiptBatch", message: { root } };
}
let failed = false;

function report(lib, ok, detail) {
  console.log(`${lib}: ${ok ? "ok" : "FAIL"} ${detail}`);
  if (!ok) failed = true;
}

// headersHash as docs/PROTOCOL.md defines it: lp(x) = uint32 BE len ‖ x.
const covered = ["content-type", "content-encoding", "content-disposition", "content-language", "content-range", "location"];
function headersHash(host, headers) {
  const lower = {};
  for (const [k, vs] of Object.entries(headers || {})) lower[k.toLowerCase()] = vs;
  const parts = [];
  const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
  const lp = (s) => { const b = Buffer.from(s, "utf8"); parts.push(u32(b.length), b); };
  lp("cove/receipt-headers/v2");
  lp(host);
  for (const name of covered) {
    const vs = lower[name] || [];
    lp(name);
    parts.push(u32(vs.length));
    for (const val of vs) lp(val.replace(/^[ \t]+|[ \t]+$/g, ""));
  }
  return "0x" + createHash("sha256").update(Buffer.concat(parts)).digest("hex");
}
if (version >= 2 && v.exchange && v.exchange.host !== undefined) {
  const got = headersHash(v.exchange.host, v.exchange.responseHeaders);
  report("headersHash", got === r.headersHash.toLowerCase(), got);
}

// ethers
try {
  const { domain, types, message } = typed("ethers");
  const recovered = ethersVerify(domain, types, message, v.signature);
  const digest = TypedDataEncoder.hash(domain, types, message);
  const problems = [];
  if (recovered !== signer) problems.push(`recovered ${recovered}, want ${signer}`);
  if (v.digest && digest !== v.digest.toLowerCase()) problems.push(`digest ${digest}, want ${v.digest}`);
  report("ethers", problems.length === 0, problems.join("; ") || `recovered ${recovered} (version ${version})`);
} catch (e) {
  report("ethers", false, `error: ${e.shortMessage ?? e.message}`);
}

// viem
try {
  const args = { ...typed("viem"), signature: v.signature };
  const valid = await viemVerify({ ...args, address: signer });
  const recovered = await recoverTypedDataAddress(args);
  const digest = hashTypedData(args);
  const problems = [];
  if (!valid) problems.push("verifyTypedData returned false");
  if (recovered !== signer) problems.push(`recovered ${recovered}, want ${signer}`);
  if (v.digest && digest !== v.digest.toLowerCase()) problems.push(`digest ${digest}, want ${v.digest}`);
  report("viem", problems.length === 0, problems.join("; ") || `recovered ${recovered} (version ${version})`);
} catch (e) {
  report("viem", false, `error: ${e.shortMessage ?? e.message}`);
}

process.exit(failed ? 1 : 0);
