// sign-tx.mjs signs a Cove transaction with ethers and with viem, the way a
// wallet or dapp would (run by chain/js_test.go).
//
// Usage: node sign-tx.mjs PRIVATE_KEY CHAIN_ID [TX_JSON]
//
// TX_JSON (or standard input when absent) is {"type": "Transfer", "message": {...}}
// with the message in Cove's wire form (uint64 as JSON numbers below 2^53,
// uint256 as decimal strings, bytes as 0x-hex). It prints one JSON object:
//   {"address": signer, "digest": EIP-712 digest,
//    "ethers": tx signed with ethers' signTypedData,
//    "viem": tx signed with viem's signTypedData}
// and exits non-zero if the libraries disagree on the digest.
import { readFileSync } from "node:fs";
import { Wallet, TypedDataEncoder } from "ethers";
import { hashTypedData } from "viem";
import { privateKeyToAccount } from "viem/accounts";

// The Cove transaction types (chain/msg.go).
const TYPES = {
  Transfer: [
    { name: "to", type: "address" },
    { name: "amount", type: "uint256" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  DeployAgent: [
    { name: "name", type: "string" },
    { name: "cid", type: "string" },
    { name: "codeHash", type: "bytes32" },
    { name: "salt", type: "bytes32" },
    { name: "secrets", type: "bytes" },
    // optional: a member only when the message carries it (chain/codec.go)
    { name: "isolation", type: "string", optional: true },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  UpgradeAgent: [
    { name: "agent", type: "bytes32" },
    { name: "cid", type: "string" },
    { name: "codeHash", type: "bytes32" },
    { name: "secrets", type: "bytes" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  RegisterWorker: [
    { name: "tee", type: "string" },
    { name: "publicKey", type: "bytes" },
    { name: "endpoint", type: "string" },
    { name: "quote", type: "bytes" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  UpdateParams: [
    { name: "params", type: "string" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  RegisterGatekeeper: [
    { name: "tee", type: "string" },
    { name: "publicKey", type: "bytes" },
    { name: "endpoint", type: "string" },
    { name: "quote", type: "bytes" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  PublishEpoch: [
    { name: "epoch", type: "uint64" },
    { name: "clusterPublicKey", type: "bytes" },
    { name: "identitySig", type: "bytes" },
    { name: "nonce", type: "uint64" },
  ],
  ProvisionKey: [
    { name: "recipient", type: "bytes32" },
    { name: "epoch", type: "uint64" },
    { name: "sealed", type: "bytes" },
    { name: "identitySig", type: "bytes" },
    { name: "nonce", type: "uint64" },
  ],
  SetAttestor: [
    { name: "agent", type: "bytes32" },
    { name: "attestor", type: "address" },
    { name: "identitySig", type: "bytes" },
    { name: "nonce", type: "uint64" },
  ],
  RotateKeys: [
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  PublishEpochSigner: [
    { name: "epoch", type: "uint64" },
    { name: "signer", type: "address" },
    { name: "identitySig", type: "bytes" },
    { name: "nonce", type: "uint64" },
  ],
  GrantAttestor: [
    { name: "agent", type: "bytes32" },
    { name: "grant", type: "bytes" },
    { name: "identitySig", type: "bytes" },
    { name: "nonce", type: "uint64" },
  ],
  AddValidator: [
    { name: "pubKey", type: "bytes" },
    { name: "power", type: "uint64" },
    { name: "name", type: "string" },
    { name: "operator", type: "address", optional: true },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  RemoveValidator: [
    { name: "pubKey", type: "bytes" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  SetValidatorPower: [
    { name: "pubKey", type: "bytes" },
    { name: "power", type: "uint64" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  CreatePool: [
    { name: "commission", type: "uint64" },
    { name: "cap", type: "uint256" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  AddPoolWorker: [
    { name: "pool", type: "uint64" },
    { name: "worker", type: "bytes32" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  RemovePoolWorker: [
    { name: "pool", type: "uint64" },
    { name: "worker", type: "bytes32" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  Contribute: [
    { name: "pool", type: "uint64" },
    { name: "amount", type: "uint256" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  Withdraw: [
    { name: "pool", type: "uint64" },
    { name: "shares", type: "uint256" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  StartComputing: [
    { name: "worker", type: "bytes32" },
    { name: "stake", type: "uint256" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  StopComputing: [
    { name: "worker", type: "bytes32" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  RefreshPool: [
    { name: "pool", type: "uint64" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  AllowContributor: [
    { name: "pool", type: "uint64" },
    { name: "account", type: "address" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  DisallowContributor: [
    { name: "pool", type: "uint64" },
    { name: "account", type: "address" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  CreateVault: [
    { name: "commission", type: "uint64" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  ContributeVault: [
    { name: "vault", type: "uint64" },
    { name: "amount", type: "uint256" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  WithdrawVault: [
    { name: "vault", type: "uint64" },
    { name: "shares", type: "uint256" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  VaultInvest: [
    { name: "vault", type: "uint64" },
    { name: "pool", type: "uint64" },
    { name: "amount", type: "uint256" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  VaultDivest: [
    { name: "vault", type: "uint64" },
    { name: "pool", type: "uint64" },
    { name: "shares", type: "uint256" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  RefreshVault: [
    { name: "vault", type: "uint64" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  SetAgentPrice: [
    { name: "agent", type: "bytes32" },
    { name: "price", type: "uint256" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  SetFreeTier: [
    { name: "agent", type: "bytes32" },
    { name: "callsPerDay", type: "uint64" },
    { name: "perCaller", type: "uint64" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  OpenChannel: [
    { name: "agent", type: "bytes32" },
    { name: "deposit", type: "uint256" },
    { name: "verifier", type: "bytes32", optional: true },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  Redeem: [
    { name: "channel", type: "uint64" },
    { name: "amount", type: "uint256" },
    { name: "voucherNonce", type: "uint64" },
    { name: "signature", type: "bytes" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  CloseChannel: [
    { name: "channel", type: "uint64" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  Settle: [
    { name: "channel", type: "uint64" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  SetSponsorPolicy: [
    { name: "types", type: "string" },
    { name: "agent", type: "bytes32" },
    { name: "maxDeposit", type: "uint256" },
    { name: "remaining", type: "uint64" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  SponsoredTx: [
    { name: "inner", type: "string" },
    { name: "user", type: "address" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  LaunchAgentToken: [
    { name: "agent", type: "bytes32" },
    { name: "name", type: "string" },
    { name: "symbol", type: "string" },
    { name: "curve", type: "string" },
    { name: "a", type: "uint256" },
    { name: "b", type: "uint256" },
    { name: "feePPM", type: "uint64" },
    { name: "revenuePPM", type: "uint64" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  Buy: [
    { name: "agent", type: "bytes32" },
    { name: "amount", type: "uint256" },
    { name: "maxCost", type: "uint256" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  Sell: [
    { name: "agent", type: "bytes32" },
    { name: "amount", type: "uint256" },
    { name: "minReturn", type: "uint256" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  WithdrawTreasury: [
    { name: "agent", type: "bytes32" },
    { name: "to", type: "address" },
    { name: "amount", type: "uint256" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  TransferAgentToDAO: [
    { name: "agent", type: "bytes32" },
    { name: "quorumPPM", type: "uint64" },
    { name: "thresholdPPM", type: "uint64" },
    { name: "votingBlocks", type: "uint64" },
    { name: "timelockBlocks", type: "uint64" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  Propose: [
    { name: "agent", type: "bytes32" },
    { name: "actionType", type: "string" },
    { name: "action", type: "string" },
    { name: "description", type: "string" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  CastVote: [
    { name: "proposal", type: "uint64" },
    { name: "support", type: "string" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  Execute: [
    { name: "proposal", type: "uint64" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  TransferToken: [
    { name: "agent", type: "bytes32" },
    { name: "to", type: "address" },
    { name: "amount", type: "uint256" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  RedeemHashChain: [
    { name: "channel", type: "uint64" },
    { name: "base", type: "uint256" },
    { name: "unit", type: "uint256" },
    { name: "count", type: "uint64" },
    { name: "root", type: "bytes32" },
    { name: "voucherNonce", type: "uint64" },
    { name: "signature", type: "bytes" },
    { name: "k", type: "uint64" },
    { name: "word", type: "bytes32" },
    { name: "maxFee", type: "uint256", optional: true },
    { name: "nonce", type: "uint64" },
  ],
  Heartbeat: [
    { name: "worker", type: "bytes32" },
    { name: "challenge", type: "uint64" },
    { name: "seed", type: "bytes32" },
    { name: "iterations", type: "uint64" },
    { name: "identitySig", type: "bytes" },
    { name: "nonce", type: "uint64" },
  ],
};

const [key, chainIdArg, txArg] = process.argv.slice(2);
if (!key || !chainIdArg) {
  console.error("usage: node sign-tx.mjs PRIVATE_KEY CHAIN_ID [TX_JSON]");
  process.exit(2);
}
const input = JSON.parse(txArg ?? readFileSync(0, "utf8"));
const primaryType = input.type;
if (!TYPES[primaryType]) {
  console.error(`unknown type ${primaryType}`);
  process.exit(2);
}
// An optional member the message leaves out is not part of the type.
const members = TYPES[primaryType]
  .filter((f) => !f.optional || input.message[f.name] !== undefined)
  .map(({ name, type }) => ({ name, type }));
const types = { [primaryType]: members };
const domain = { name: "Cove", version: "1", chainId: BigInt(chainIdArg) };
// Integers go to the libraries as BigInt; everything else as written.
const message = {};
for (const { name, type } of members) {
  const v = input.message[name];
  message[name] = type.startsWith("uint") ? BigInt(v) : v;
}
const pk = key.startsWith("0x") ? key : "0x" + key;
const tx = (signature) => ({ type: primaryType, message: input.message, signature });

const wallet = new Wallet(pk);
const ethersSig = await wallet.signTypedData(domain, types, message);
const ethersDigest = TypedDataEncoder.hash(domain, types, message);

const account = privateKeyToAccount(pk);
const viemSig = await account.signTypedData({ domain, types, primaryType, message });
const viemDigest = hashTypedData({ domain, types, primaryType, message });

if (ethersDigest !== viemDigest) {
  console.error(`ethers digest ${ethersDigest} != viem digest ${viemDigest}`);
  process.exit(1);
}
console.log(JSON.stringify({
  address: account.address,
  digest: viemDigest,
  ethers: tx(ethersSig),
  viem: tx(viemSig),
}));
