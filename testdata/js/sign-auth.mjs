// sign-auth.mjs signs a Cove-Auth (EIP-712 typed data, docs/PROTOCOL.md) the
// way a wallet or dapp would, with ethers' or viem's signTypedData (run by
// gateway/js_test.go).
//
// Usage: node sign-auth.mjs PRIVATE_KEY ethers|viem AUTH_JSON
//
// AUTH_JSON is {"audience","method","path","nonce","expiry","chainId"}
// (nonce 0x-hex, numbers as JSON numbers). It prints the Cove-Auth header
// value (base64url of the JSON with "signature" added) and the digest:
//   {"header": "...", "digest": "0x...", "address": "0x..."}
// and exits non-zero if ethers and viem disagree on the digest.
import { Wallet, TypedDataEncoder } from "ethers";
import { hashTypedData } from "viem";
import { privateKeyToAccount } from "viem/accounts";

const [key, lib, authArg] = process.argv.slice(2);
if (!key || !["ethers", "viem"].includes(lib) || !authArg) {
  console.error("usage: node sign-auth.mjs PRIVATE_KEY ethers|viem AUTH_JSON");
  process.exit(2);
}
const auth = JSON.parse(authArg);
const domain = { name: "Cove", version: "1", chainId: BigInt(auth.chainId) };
const types = {
  CoveAuth: [
    { name: "audience", type: "string" },
    { name: "method", type: "string" },
    { name: "path", type: "string" },
    { name: "nonce", type: "bytes32" },
    { name: "expiry", type: "uint64" },
  ],
};
const message = {
  audience: auth.audience,
  method: auth.method,
  path: auth.path,
  nonce: auth.nonce,
  expiry: BigInt(auth.expiry),
};
const pk = key.startsWith("0x") ? key : "0x" + key;

const ethersDigest = TypedDataEncoder.hash(domain, types, message);
const viemDigest = hashTypedData({ domain, types, primaryType: "CoveAuth", message });
if (ethersDigest !== viemDigest) {
  console.error(`ethers digest ${ethersDigest} != viem digest ${viemDigest}`);
  process.exit(1);
}

let signature, address;
if (lib === "ethers") {
  const wallet = new Wallet(pk);
  signature = await wallet.signTypedData(domain, types, message);
  address = wallet.address;
} else {
  const account = privateKeyToAccount(pk);
  signature = await account.signTypedData({ domain, types, primaryType: "CoveAuth", message });
  address = account.address;
}
const header = Buffer.from(JSON.stringify({ ...auth, signature })).toString("base64url");
console.log(JSON.stringify({ header, digest: viemDigest, address }));
