// A price oracle. It answers an HTTP call and an EVM anchor's request the same way: the anchor
// sends a POST with the consumer's body (here a pair such as "ETH-USD", or {"pair": "ETH-USD"})
// and hands the signed answer to the consumer contract.
//   POST / with body "ETH-USD"  -> {"pair": "ETH-USD", "price": "3012.55", "source": "<PRICE_API's host>"}
//   GET  /?pair=BTC-USD         -> the same for BTC-USD
// The price comes from PRICE_API (a secret; default Coinbase's public spot-price API), which must
// answer GET {PRICE_API}/{pair}/spot with {"data": {"amount": "…"}}.
interface Env {
  PRICE_API?: string;
}

const DEFAULT_API = "https://api.coinbase.com/v2/prices";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    let pair = url.searchParams.get("pair") ?? "ETH-USD";
    if (request.method === "POST") {
      const text = (await request.text()).trim();
      if (text.startsWith("{")) {
        try {
          pair = String(JSON.parse(text).pair ?? pair);
        } catch {
          return Response.json({ error: "the body is not JSON" }, { status: 400 });
        }
      } else if (text) {
        pair = text;
      }
    }
    if (!/^[A-Z0-9]{2,10}-[A-Z]{2,10}$/.test(pair)) {
      return Response.json({ error: `bad pair ${JSON.stringify(pair)}: want e.g. ETH-USD` }, { status: 400 });
    }
    const api = (env.PRICE_API ?? DEFAULT_API).replace(/\/$/, "");
    let res: Response;
    try {
      res = await fetch(`${api}/${pair}/spot`);
    } catch (e) {
      return Response.json({ error: `price source unreachable: ${(e as Error).message}` }, { status: 502 });
    }
    if (!res.ok) {
      return Response.json({ error: `price source answered ${res.status}` }, { status: 502 });
    }
    const body = (await res.json()) as { data?: { amount?: string } };
    if (typeof body.data?.amount !== "string") {
      return Response.json({ error: "price source answered without data.amount" }, { status: 502 });
    }
    // The host only: PRICE_API is a secret (it may carry a key), and the
    // answer may end up on a public chain.
    return Response.json({ pair, price: body.data.amount, source: new URL(api).host });
  },
};
