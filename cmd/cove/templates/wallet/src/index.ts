// An agent-controlled wallet. Its private key is derived inside the TEE from the agent's own key
// (cove.deriveKey): stable for this agent, known to no one, not even its owner.
//   GET  /address                -> {"address": "0x…"}
//   POST /sign  {"message": "…"} -> {"address", "message", "signature"} (EIP-191, viem's signMessage)
import { privateKeyToAccount } from "viem/accounts";
import { keccak256, toHex } from "viem";

// Cove's runtime global (the worker backs it with the agent's key).
declare global {
  // eslint-disable-next-line no-var
  var cove: { deriveKey(path: string): Promise<Uint8Array> };
}

async function account() {
  const seed = await cove.deriveKey("wallet/v1");
  return privateKeyToAccount(keccak256(toHex(seed)));
}

export default {
  async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (request.method === "GET" && pathname === "/address") {
      return Response.json({ address: (await account()).address });
    }
    if (request.method === "POST" && pathname === "/sign") {
      let message: unknown;
      try {
        message = ((await request.json()) as { message?: unknown }).message;
      } catch {
        return Response.json({ error: "the body is not JSON" }, { status: 400 });
      }
      if (typeof message !== "string" || message === "") {
        return Response.json({ error: 'want {"message": "<text to sign>"}' }, { status: 400 });
      }
      const a = await account();
      return Response.json({ address: a.address, message, signature: await a.signMessage({ message }) });
    }
    return Response.json({ error: "GET /address or POST /sign" }, { status: 404 });
  },
};
