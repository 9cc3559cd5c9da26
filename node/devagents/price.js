// The price oracle behind cove dev's PriceConsumer example (issue 8).
// POST body: a pair such as "ETH-USD" (or {"pair":"ETH-USD"}; empty: ETH-USD).
// Answers {"pair","price","source"} from Coinbase's public spot-price API,
// or a JSON error with status 400 (a bad pair) or 502 (the source is
// unreachable, as on a machine without internet): the EVM consumer gets the
// status either way.
export default {
  async fetch(request) {
    const text = (await request.text()).trim();
    let pair = text || "ETH-USD";
    if (text.startsWith("{")) {
      try {
        pair = String(JSON.parse(text).pair || "ETH-USD");
      } catch {
        return Response.json({ error: "the body is not JSON" }, { status: 400 });
      }
    }
    if (!/^[A-Z0-9]{2,10}-[A-Z]{2,10}$/.test(pair)) {
      return Response.json({ error: `bad pair ${JSON.stringify(pair)}: want e.g. ETH-USD` }, { status: 400 });
    }
    let res;
    try {
      res = await fetch(`https://api.coinbase.com/v2/prices/${pair}/spot`);
    } catch (e) {
      return Response.json({ error: `price source unreachable: ${e.message}` }, { status: 502 });
    }
    if (!res.ok) {
      return Response.json({ error: `price source answered ${res.status}` }, { status: 502 });
    }
    const body = await res.json();
    return Response.json({ pair, price: body.data.amount, source: "coinbase" });
  },
};
