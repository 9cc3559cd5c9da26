// Package chain is the Cove chain's state machine: accounts, agents, workers
// and parameters, changed only by signed transactions in blocks. The
// validator package runs it under CometBFT through ABCI; nothing here does
// I/O, reads a clock, starts a goroutine or draws randomness, so every
// validator that applies the same blocks to the same genesis reaches the
// same state and the same app hash. The layering test at the module root
// (deps_test.go) enforces it, for this package, package attest and what
// they link.
//
// # Transactions
//
// A transaction is JSON, at most [MaxTxBytes] bytes:
//
//	{"type":"Transfer","message":{"to":"0x…","amount":"5","nonce":0},"signature":"0x…"}
//
// The signature is 65 bytes r ‖ s ‖ v (v = 27/28 or 0/1, s in the lower
// half of the group order) over the EIP-712 digest of the message, with the
// domain
//
//	EIP712Domain(string name,string version,uint256 chainId) = {"Cove", "1", chain id}
//
// and the primary type named by "type", one of these (the message table in
// msg.go; a test keeps this list equal to it):
//
//	Transfer(address to,uint256 amount,uint256 maxFee,uint64 nonce)
//	    moves amount base units (10^18 per COVE) from the sender to to
//	DeployAgent(string name,string cid,bytes32 codeHash,bytes32 salt,bytes secrets,string isolation,uint256 maxFee,uint64 nonce)
//	    deploys the agent DeriveAgentID(sender, codeHash, salt)
//	UpgradeAgent(bytes32 agent,string cid,bytes32 codeHash,bytes secrets,uint256 maxFee,uint64 nonce)
//	    points the sender's agent at new code, and new secrets unless empty
//	RegisterWorker(string tee,bytes publicKey,string endpoint,bytes quote,uint256 maxFee,uint64 nonce)
//	    records a worker whose TEE quote commits to publicKey, role, chain and sender
//	UpdateParams(string params,uint256 maxFee,uint64 nonce)
//	    the admin replaces the chain parameters
//	RegisterGatekeeper(string tee,bytes publicKey,string endpoint,bytes quote,uint256 maxFee,uint64 nonce)
//	    records a gatekeeper whose TEE quote commits to its identity key, role, chain and sender
//	PublishEpoch(uint64 epoch,bytes clusterPublicKey,bytes identitySig,uint64 nonce)
//	    a gatekeeper publishes the cluster public key of key epoch epoch
//	ProvisionKey(bytes32 recipient,uint64 epoch,bytes sealed,bytes identitySig,uint64 nonce)
//	    a gatekeeper posts key material sealed to a worker or a gatekeeper
//	SetAttestor(bytes32 agent,address attestor,bytes identitySig,uint64 nonce)
//	    a gatekeeper publishes an agent's attestor address
//	RotateKeys(uint256 maxFee,uint64 nonce)
//	    the admin asks the gatekeepers for the next key epoch
//	PublishEpochSigner(uint64 epoch,address signer,bytes identitySig,uint64 nonce)
//	    a gatekeeper publishes the EVM signer address of key epoch epoch
//	GrantAttestor(bytes32 agent,bytes grant,bytes identitySig,uint64 nonce)
//	    a gatekeeper publishes the epoch signer's grant of an agent's attestor
//	AddValidator(bytes pubKey,uint64 power,string name,address operator,uint256 maxFee,uint64 nonce)
//	    the admin adds a validator with consensus key pubKey and voting power power
//	RemoveValidator(bytes pubKey,uint256 maxFee,uint64 nonce)
//	    the admin removes a validator
//	SetValidatorPower(bytes pubKey,uint64 power,uint256 maxFee,uint64 nonce)
//	    the admin changes a validator's voting power
//	CreatePool(uint64 commission,uint256 cap,uint256 maxFee,uint64 nonce)
//	    creates a stake pool owned by the sender
//	AddPoolWorker(uint64 pool,bytes32 worker,uint256 maxFee,uint64 nonce)
//	    a pool's owner adds a worker it operates to the pool
//	RemovePoolWorker(uint64 pool,bytes32 worker,uint256 maxFee,uint64 nonce)
//	    a pool's owner takes an idle worker out of the pool
//	Contribute(uint64 pool,uint256 amount,uint256 maxFee,uint64 nonce)
//	    puts amount of the sender's COVE in a pool for shares
//	Withdraw(uint64 pool,uint256 shares,uint256 maxFee,uint64 nonce)
//	    asks for shares of a pool back: paid from free stake, the rest queued
//	StartComputing(bytes32 worker,uint256 stake,uint256 maxFee,uint64 nonce)
//	    a pool's owner locks stake of the pool's free stake on one of its workers
//	StopComputing(bytes32 worker,uint256 maxFee,uint64 nonce)
//	    a pool's owner stops a computing worker; its stake cools down
//	RefreshPool(uint64 pool,uint256 maxFee,uint64 nonce)
//	    releases a pool's cooled stake, pays its withdrawal queue, applies the grace rule
//	Heartbeat(bytes32 worker,uint64 challenge,bytes32 seed,uint64 iterations,bytes identitySig,uint64 nonce)
//	    a computing worker answers its challenge, authorized by its TEE identity key
//	AllowContributor(uint64 pool,address account,uint256 maxFee,uint64 nonce)
//	    a pool's owner puts an account on the pool's allowlist of contributors
//	DisallowContributor(uint64 pool,address account,uint256 maxFee,uint64 nonce)
//	    a pool's owner takes an account off the pool's allowlist
//	CreateVault(uint64 commission,uint256 maxFee,uint64 nonce)
//	    creates a vault (a pool of pools) owned by the sender
//	ContributeVault(uint64 vault,uint256 amount,uint256 maxFee,uint64 nonce)
//	    puts amount of the sender's COVE in a vault for vault shares
//	WithdrawVault(uint64 vault,uint256 shares,uint256 maxFee,uint64 nonce)
//	    asks for shares of a vault back: paid from its free COVE, the rest queued
//	VaultInvest(uint64 vault,uint64 pool,uint256 amount,uint256 maxFee,uint64 nonce)
//	    a vault's owner contributes amount of the vault's free COVE to a pool
//	VaultDivest(uint64 vault,uint64 pool,uint256 shares,uint256 maxFee,uint64 nonce)
//	    a vault's owner withdraws shares of the vault's shares of a pool into the vault
//	RefreshVault(uint64 vault,uint256 maxFee,uint64 nonce)
//	    takes a vault's commission, pays its withdrawal queue, applies the grace rule
//	SetAgentPrice(bytes32 agent,uint256 price,uint256 maxFee,uint64 nonce)
//	    an agent's owner sets the price of one call (0: free)
//	SetFreeTier(bytes32 agent,uint64 callsPerDay,uint64 perCaller,uint256 maxFee,uint64 nonce)
//	    an agent's owner sets the calls per day callers make without paying
//	OpenChannel(bytes32 agent,uint256 deposit,bytes32 verifier,uint256 maxFee,uint64 nonce)
//	    opens a payment channel from the sender to an agent holding deposit
//	Redeem(uint64 channel,uint256 amount,uint64 voucherNonce,bytes signature,uint256 maxFee,uint64 nonce)
//	    an agent's owner redeems a channel's voucher signed by its payer
//	CloseChannel(uint64 channel,uint256 maxFee,uint64 nonce)
//	    a channel's payer starts its challenge period
//	Settle(uint64 channel,uint256 maxFee,uint64 nonce)
//	    refunds a closed channel's unredeemed deposit to its payer after the challenge period
//	SetSponsorPolicy(string types,bytes32 agent,uint256 maxDeposit,uint64 remaining,uint256 maxFee,uint64 nonce)
//	    sets what the sender pays for as a sponsor of other accounts' transactions
//	SponsoredTx(string inner,address user,uint256 maxFee,uint64 nonce)
//	    the sender pays for another account's signed transaction, under its sponsor policy
//	LaunchAgentToken(bytes32 agent,string name,string symbol,string curve,uint256 a,uint256 b,uint64 feePPM,uint64 revenuePPM,uint256 maxFee,uint64 nonce)
//	    an agent's owner launches the agent's token on a bonding curve
//	Buy(bytes32 agent,uint256 amount,uint256 maxCost,uint256 maxFee,uint64 nonce)
//	    buys amount of an agent's token from its curve for at most maxCost
//	Sell(bytes32 agent,uint256 amount,uint256 minReturn,uint256 maxFee,uint64 nonce)
//	    sells amount of the sender's tokens back to the curve for at least minReturn
//	WithdrawTreasury(bytes32 agent,address to,uint256 amount,uint256 maxFee,uint64 nonce)
//	    an agent's owner pays amount from the agent's treasury
//	TransferAgentToDAO(bytes32 agent,uint64 quorumPPM,uint64 thresholdPPM,uint64 votingBlocks,uint64 timelockBlocks,uint256 maxFee,uint64 nonce)
//	    an agent's owner hands the agent to its token's holders for good
//	Propose(bytes32 agent,string actionType,string action,string description,uint256 maxFee,uint64 nonce)
//	    a token holder proposes an action of an agent's DAO
//	CastVote(uint64 proposal,string support,uint256 maxFee,uint64 nonce)
//	    votes yes or no with the tokens held at the proposal's snapshot
//	Execute(uint64 proposal,uint256 maxFee,uint64 nonce)
//	    runs a passed proposal's action after its timelock
//	TransferToken(bytes32 agent,address to,uint256 amount,uint256 maxFee,uint64 nonce)
//	    moves amount of the sender's tokens of an agent to another account
//	RedeemHashChain(uint64 channel,uint256 base,uint256 unit,uint64 count,bytes32 root,uint64 voucherNonce,bytes signature,uint64 k,bytes32 word,uint256 maxFee,uint64 nonce)
//	    an agent's owner redeems a word of a hash chain a channel's payer committed to
//
// so ethers' signTypedData and viem's signTypedData sign Cove transactions
// (testdata/js/sign-tx.mjs does both). In the message, uint64 values are
// JSON numbers, uint256 values decimal strings, bytes and bytes32 0x-hex,
// addresses EIP-55 or single-case hex. Decoding is strict: every field must
// be present, unknown and duplicate fields are refused, hex lengths are
// exact and numbers must be in range. The sender is the address the
// signature recovers. The chain id is part of the signed domain, so a
// transaction signed for another chain recovers another, unfunded address
// and is refused with [CodeUnknownAccount].
//
// # Blocks
//
// FinalizeBlock runs the begin-block hooks, the block's transactions in
// order, then the end-block hooks (block.go); today the only hook is the
// end-block hook that writes meta/block. A Block also carries its
// proposer, the commit votes of the previous block and evidence of
// misbehaviour, which hooks read through their context; nothing records
// them yet. BlockResult.ValidatorUpdates carries the validator set's
// changes to CometBFT: the end-block hook "validator updates" hands over
// the difference between the set the block started with and the one it
// ends with (validators.go), one update per key.
//
// # Nonces and fees
//
// Each account has a nonce. A transaction's nonce must equal its sender's
// nonce exactly. A transaction that decodes, carries a valid signature from
// an existing account and has the right nonce consumes the nonce even when
// its execution then fails (like Ethereum), so the same bytes can never run
// twice; a transaction refused before that point changes nothing. Only
// accounts that exist (a balance or a used nonce) may send.
//
// Every transaction then pays Params.Fees.Fee(type, size) (fees.go): a
// sender that cannot pay it, or whose signed maxFee is under it, is refused
// before its nonce is used; otherwise the fee is taken before the message
// runs and kept when the message fails. Proposer percent goes to the
// operator of the block's proposer, the rest to TreasuryAddress. Fees are
// zero unless the parameters set them.
//
// # State and app hash
//
// State is a key-value map. Keys and values (canonical JSON of the record
// structs, which encoding/json writes deterministically):
//
//	meta/chain_id       the chain id, a JSON number
//	meta/genesis_time   the genesis time, a JSON string
//	meta/block          {"height","time"} of the last block (height 0: genesis)
//	params              Params
//	acct/ ‖ 20 bytes    Account (absent while balance and nonce are zero)
//	agent/ ‖ 32 bytes   AgentRecord
//	worker/ ‖ 32 bytes  WorkerRecord
//	meta/key_epoch      the latest published key epoch, a JSON number (absent: none)
//	meta/rotation       Rotation, while a rotation is pending
//	gatekeeper/ ‖ 32 bytes  GatekeeperRecord
//	gkop/ ‖ 20 bytes    the id of the gatekeeper the address operates
//	epoch/ ‖ 8 bytes    EpochRecord (big-endian epoch)
//	provision/ ‖ kind ‖ / ‖ 32 bytes ‖ 8 bytes  ProvisionRecord (kind "worker" or
//	                    "gatekeeper", recipient, big-endian epoch)
//	meta/development    true on a development chain (written at genesis only)
//	meta/tee_pending    PendingTEEPolicy, while a widening TEE policy change waits
//	validators          ValidatorSet: the validator set, by address (from
//	                    CometBFT's genesis when Genesis.ValidatorSet; absent on
//	                    a chain whose genesis predates it)
//	supply              Supply: the COVE in existence (from the genesis balances
//	                    when Genesis.Economics; absent on an older chain)
//
// # TEE policy governance
//
// The TEE policy (Params.TEE) decides which attested software may register,
// and so who can receive key material: the admin alone must not be able to
// weaken it. Only a development chain (Genesis.Development, fixed at
// genesis) may allow the simulated TEE, TDX without collateral or a change
// delay under MinTEEChangeDelay ([TEEPolicy.CheckForChain]). A change that
// widens the policy ([TEEPolicy.Widens]) waits TEEPolicy.ChangeDelay as a
// [PendingTEEPolicy] that a begin-block hook applies; a narrowing change
// applies at once. A registration's quote binds its role, the chain id and
// the sending operator ([ReportData]); a key is registered in one role only.
//
// # Key management
//
// Gatekeepers register like workers (RegisterGatekeeper). Their operators
// publish key epochs (epoch 0 once, epoch N+1 only after the admin's
// RotateKeys), post key material sealed to registered workers and
// gatekeepers (ProvisionKey, once per recipient and epoch) and publish
// agents' attestor addresses (SetAttestor, once), each epoch's EVM signer
// (PublishEpochSigner, once) and each agent's attestor grant by that
// signer (GrantAttestor, once; the chain checks the grant recovers to the
// signer), which EVM anchors register attestors with. The operator account
// is a key outside the TEE, so it only pays and orders: each of these
// messages also carries IdentitySig, the Ed25519 signature by the
// gatekeeper's registered identity key (in its TEE) of
// SHA-256("cove/gatekeeper-sig/v1" ‖ 0x00 ‖ type ‖ 0x00 ‖ chain id (8 bytes
// big-endian) ‖ the other fields but the nonce, canonically encoded; see
// [GatekeeperMsg]), and is refused with [CodeUnauthorized] without it. An
// agent records the
// latest epoch at deployment as its KeyEpoch: its keys come from that
// epoch's cluster key, so a rotation never changes its attestor.
//
// The app hash is the root of a sparse Merkle tree over the whole state
// (ADR 12; see [StateRoot]): a key's path is SHA-256(key) (256 bits, most
// significant first: 0 goes left), a subtree with no key is 32 zero bytes,
// a subtree with one key is its leaf SHA-256(0x00 ‖ path ‖ SHA-256(value)),
// and any other subtree SHA-256(0x01 ‖ left ‖ right). The root depends only
// on the set of keys and values, so Load rebuilds it from the stored state
// and refuses a state whose root is not the stored app hash. It carries no
// separate height or domain: meta/block (height, time) and meta/chain_id
// are state keys, so every root commits to them. The genesis app hash is
// the root of the genesis state.
//
// # State proofs
//
// [View.Prove] proves one key's value, or its absence, at the height below
// the committed one (CometBFT puts the app hash after block H in the header
// of block H+1, so a proof of state at H is checked against header H+1,
// which exists once H+1 is committed; the tree keeps that previous version).
// [StateProof.Verify] checks it against an app hash. A proof is:
//
//	uint16 big-endian n, the number of side nodes (at most 256), nearest the leaf first
//	ceil(n/8) bytes of bit mask: bit i (most significant bit of byte 0 first)
//	    is set if side node i is an empty subtree; unused bits are zero
//	each side node whose bit is clear, 32 bytes, in order
//	one byte m (0 or 65), then m bytes: for a proof of absence that ends
//	    at another key's leaf, that leaf's 0x00 ‖ path ‖ SHA-256(value)
//
// The verifier hashes up from the key's leaf (or, for absence, the empty
// subtree or the other leaf), taking side node i as the sibling at depth
// n-1-i, on the side that bit n-1-i of the key's path says, and compares
// the result with the app hash.
package chain
