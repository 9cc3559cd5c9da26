// sign-payment.mjs signs a paid call's voucher (EIP-712 CovePayment,
// docs/PROTOCOL.md "Paid calls"), or a hash-chain commitment (EIP-712
// CoveHashChain, ADR 26), the way a wallet or dapp would, with ethers' or
// viem's signTypedData (run by gateway/js_test.go).
//
// Usage: node sign-payment.mjs PRIVATE_KEY ethers|viem VOUCHER_JSON
//
// VOUCHER_JSON is {"channel","agent","amount","nonce","chainId"} (agent
// 0x-hex, amount a decimal string, the others JSON numbers), or for a
// commitment {"channel","agent","base","unit","count","root","nonce",
// "chainId","k","word"} (root and word 0x-hex): the word k to send. It
// prints the Cove-Payment header value (a voucher: base64url of the JSON
// with "signature" added; a word: the positional form
// hc1.chainId.channel.agent.nonce.base.unit.count.root.signature.k.word)
// and the digest:
//   {"header": "...", "digest": "0x...", "address": "0x..."}
// and exits non-zero if ethers and viem disagree on the digest.
import { Wallet, TypedDataEncoder } from "ethers";
import { hashTypedData } from "viem";
import { privateKeyToAccount } from "viem/accounts";

const [key, lib, voucherArg] = process.argv.slice(2);
if (!key || !["ethers", "viem"].includes(lib) || !voucherArg) {
  console.error("usage: node sign-payment.mjs PRIVATE_KEY ethers|viem VOUCHER_JSON");
  process.exit(2);
}
const v = JSON.parse(voucherArg);
const domain = { name: "Cove", version: "1", chainId: BigInt(v.chainId) };
const isWord = "count" in v;
const primaryType = isWord ? "CoveHashChain" : "CovePayment";
const types = isWord
  ? {
      CoveHashChain: [
        { name: "channel", type: "uint64" },
        { name: "agent", type: "bytes32" },
        { name: "base", type: "uint256" },
        { name: "unit", type: "uint256" },
        { name: "count", type: "uint64" },
        { name: "root", type: "bytes32" },
        { name: "nonce", type: "uint64" },
      ],
    }
  : {
      CovePayment: [
        { name: "channel", type: "uint64" },
        { name: "agent", type: "bytes32" },
        { name: "amount", type: "uint256" },
        { name: "nonce", type: "uint64" },
      ],
    };
const message = isWord
  ? {
      channel: BigInt(v.channel),
      agent: v.agent,
      base: BigInt(v.base),
      unit: BigInt(v.unit),
      count: BigInt(v.count),
      root: v.root,
      nonce: BigInt(v.nonce),
    }
  : {
      channel: BigInt(v.channel),
      agent: v.agent,
      amount: BigInt(v.amount),
      nonce: BigInt(v.nonce),
    };
const pk = key.startsWith("0x") ? key : "0x" + key;

const ethersDigest = TypedDataEncoder.hash(domain, types, message);
const viemDigest = hashTypedData({ domain, types, primaryType, message });
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
  signature = await account.signTypedData({ domain, types, primaryType, message });
  address = account.address;
}
const hex = (s) => s.replace(/^0x/, "").toLowerCase();
const header = isWord
  ? ["hc1", v.chainId, v.channel, hex(v.agent), v.nonce, v.base, v.unit, v.count, hex(v.root), hex(signature), v.k, hex(v.word)].join(".")
  : Buffer.from(JSON.stringify({ ...v, signature })).toString("base64url");
console.log(JSON.stringify({ header, digest: viemDigest, address }));
