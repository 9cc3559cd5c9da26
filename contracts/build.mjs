// Compiles src/*.sol with the solc pinned in package.json and writes, for
// each contract, build/NAME.abi (the ABI, JSON) and build/NAME.bin (the
// creation bytecode, hex). Run through `go generate ./contracts/` (gen.go),
// which then runs abigen on these files. The output depends only on the
// sources and the settings below, so a fresh run reproduces the committed
// files byte for byte (contracts_test.go checks it).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import solc from "solc";

const here = path.dirname(fileURLToPath(import.meta.url));
const srcDir = path.join(here, "src");
const outDir = path.join(process.argv[2] ?? path.join(here, "build"));

// The contracts compiled, in this order; each file holds one.
const contracts = ["CoveAnchor", "PriceConsumer", "AIConsumer", "ApprovalVault"];

const sources = {};
for (const name of fs.readdirSync(srcDir).filter((f) => f.endsWith(".sol")).sort()) {
  sources[`src/${name}`] = { content: fs.readFileSync(path.join(srcDir, name), "utf8") };
}

const input = {
  language: "Solidity",
  sources,
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    viaIR: false,
    metadata: { bytecodeHash: "ipfs" },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
  },
};

const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors ?? []).filter((e) => e.severity === "error");
for (const e of out.errors ?? []) console.error(e.formattedMessage);
if (errors.length > 0) {
  console.error(`solc ${solc.version()}: ${errors.length} error(s)`);
  process.exit(1);
}

fs.mkdirSync(outDir, { recursive: true });
for (const name of contracts) {
  const c = out.contracts?.[`src/${name}.sol`]?.[name];
  if (!c) {
    console.error(`solc output lacks ${name}`);
    process.exit(1);
  }
  fs.writeFileSync(path.join(outDir, `${name}.abi`), JSON.stringify(c.abi, null, 2) + "\n");
  fs.writeFileSync(path.join(outDir, `${name}.bin`), c.evm.bytecode.object + "\n");
}
console.log(`solc ${solc.version()}: wrote ${contracts.join(", ")} to ${path.relative(process.cwd(), outDir) || "."}`);
