// Asks PriceConsumer on a Cove dev EVM (contracts/devevm) with unmodified
// viem, as account 0 of the development mnemonic, over JSON-RPC, and prints
// the answer as JSON once the consumer has it (someone else, the Go test,
// fulfils the request meanwhile). The ABIs are read from contracts/build.
//
// Usage: node evm-request.mjs RPC_URL CONSUMER ANCHOR [PATH BODY]
// (PATH and BODY default to /price and {"pair":"ETH-USD"}).
// Run by contracts/devevm/js_test.go (the test fulfils) and
// internal/testnet/evm_test.go (cove dev's bridge and worker fulfil).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  hexToString,
  http,
  parseEventLogs,
  toHex,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";

const here = path.dirname(fileURLToPath(import.meta.url));
const build = path.join(here, "..", "..", "contracts", "build");
const abi = (name) => JSON.parse(fs.readFileSync(path.join(build, `${name}.abi`), "utf8"));

const [url, consumer, anchor, askPath = "/price", askBody = JSON.stringify({ pair: "ETH-USD" })] = process.argv.slice(2);
if (!url || !consumer || !anchor) {
  console.error("usage: node evm-request.mjs RPC_URL CONSUMER ANCHOR");
  process.exit(2);
}

const MNEMONIC = "test test test test test test test test test test test junk";
const account = mnemonicToAccount(MNEMONIC); // m/44'/60'/0'/0/0
const transport = http(url);
const chainId = await createPublicClient({ transport }).getChainId();
const chain = defineChain({
  id: chainId,
  name: "Cove dev",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [url] } },
});
const pub = createPublicClient({ chain, transport, pollingInterval: 100 });
const wallet = createWalletClient({ account, chain, transport, pollingInterval: 100 });
const consumerAbi = abi("PriceConsumer");
const anchorAbi = abi("CoveAnchor");

const fee = await pub.readContract({ address: anchor, abi: anchorAbi, functionName: "fee" });
const hash = await wallet.writeContract({
  address: consumer,
  abi: consumerAbi,
  functionName: "ask",
  args: [askPath, toHex(askBody), 4_000_000],
  value: fee,
});
const receipt = await pub.waitForTransactionReceipt({ hash, timeout: 30_000 });
if (receipt.status !== "success") throw new Error(`ask ${hash} reverted`);
const [request] = parseEventLogs({ abi: anchorAbi, logs: receipt.logs, eventName: "CoveRequest" });
if (!request) throw new Error(`no CoveRequest event in ${hash}`);
const id = request.args.requestId;

const deadline = Date.now() + 60_000;
const read = (functionName) => pub.readContract({ address: consumer, abi: consumerAbi, functionName });
while ((await read("lastRequestId")) !== id) {
  if (Date.now() > deadline) throw new Error(`no answer to request ${id} within 60 s`);
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const [status, response] = await Promise.all([read("lastStatus"), read("lastResponse")]);
const answered = await pub.getContractEvents({
  address: consumer,
  abi: consumerAbi,
  eventName: "Answered",
  args: { requestId: id },
  fromBlock: receipt.blockNumber,
});

console.log(
  JSON.stringify({
    from: account.address,
    chainId,
    fee: fee.toString(),
    tx: hash,
    requestId: id.toString(),
    agent: request.args.agent,
    consumer: request.args.consumer,
    path: request.args.path,
    body: hexToString(request.args.body),
    requestHash: request.args.requestHash,
    status,
    answer: hexToString(response),
    answeredEvents: answered.length,
  }),
);
