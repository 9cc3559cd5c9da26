// verify.mjs checks a Cove receipt with ethers and viem, the way a dapp would.
//
// Usage: node verify.mjs FILE
//
// FILE is JSON shaped like receipt/testdata/receipt_vector.json:
//   { "receipt": {agent, codeHash, requestHash, status, responseHash, timestamp},
//     "signature": "0x" + 130 hex digits, "signer": "0x…", "digest": "0x…" (optional) }
// It prints one line per library and exits non-zero if either library
// rejects the signature, recovers another address, or computes another digest.
import { readFileSync } from "node:fs";
import { TypedDataEncoder, verifyTypedData as ethersVerify, getAddress } from "ethers";
import { hashTypedData, recoverTypedDataAddress, verifyTypedData as viemVerify } from "viem";

const domain = { name: "Cove", version: "1" };
const types = {
  Receipt: [
    { name: "agent", type: "bytes32" },
    { name: "codeHash", type: "bytes32" },
    { name: "requestHash", type: "bytes32" },
    { name: "status", type: "uint16" },
    { name: "responseHash", type: "bytes32" },
    { name: "timestamp", type: "uint64" },
  ],
};

const path = process.argv[2];
if (!path) {
  console.error("usage: node verify.mjs FILE");
  process.exit(2);
}
const v = JSON.parse(readFileSync(path, "utf8"));
const r = v.receipt;
const message = {
  agent: r.agent,
  codeHash: r.codeHash,
  requestHash: r.requestHash,
  status: r.status,
  responseHash: r.responseHash,
  timestamp: r.timestamp,
};
const signer = getAddress(v.signer);
let failed = false;

function report(lib, ok, detail) {
  console.log(`${lib}: ${ok ? "ok" : "FAIL"} ${detail}`);
  if (!ok) failed = true;
}

// ethers
try {
  const recovered = ethersVerify(domain, types, message, v.signature);
  const digest = TypedDataEncoder.hash(domain, types, message);
  const problems = [];
  if (recovered !== signer) problems.push(`recovered ${recovered}, want ${signer}`);
  if (v.digest && digest !== v.digest.toLowerCase()) problems.push(`digest ${digest}, want ${v.digest}`);
  report("ethers", problems.length === 0, problems.join("; ") || `recovered ${recovered}`);
} catch (e) {
  report("ethers", false, `error: ${e.shortMessage ?? e.message}`);
}

// viem
try {
  const args = { domain, types, primaryType: "Receipt", message, signature: v.signature };
  const valid = await viemVerify({ ...args, address: signer });
  const recovered = await recoverTypedDataAddress(args);
  const digest = hashTypedData(args);
  const problems = [];
  if (!valid) problems.push("verifyTypedData returned false");
  if (recovered !== signer) problems.push(`recovered ${recovered}, want ${signer}`);
  if (v.digest && digest !== v.digest.toLowerCase()) problems.push(`digest ${digest}, want ${v.digest}`);
  report("viem", problems.length === 0, problems.join("; ") || `recovered ${recovered}`);
} catch (e) {
  report("viem", false, `error: ${e.shortMessage ?? e.message}`);
}

process.exit(failed ? 1 : 0);
