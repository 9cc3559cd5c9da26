// The approver behind cove dev's ApprovalVault example (issue 8).
// POST /approve with body abi.encode(address owner, uint256 amount) (64
// bytes). Answers "approved" (status 200) for at most the limit, 1 ether by
// default or the LIMIT_WEI secret; otherwise "denied: ..." (status 403),
// which returns the amount to the owner's balance in the vault.
export default {
  async fetch(request, env) {
    const body = new Uint8Array(await request.arrayBuffer());
    if (body.length !== 64) {
      return new Response(`denied: the body is ${body.length} bytes, want abi.encode(owner, amount)`, { status: 400 });
    }
    const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    const owner = "0x" + hex(body.subarray(12, 32));
    const amount = BigInt("0x" + hex(body.subarray(32, 64)));
    const limit = BigInt(env.LIMIT_WEI || "1000000000000000000");
    if (amount > limit) {
      return new Response(`denied: ${amount} wei for ${owner} is over the limit of ${limit} wei`, { status: 403 });
    }
    return new Response("approved");
  },
};
