// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice A Cove receipt: what an agent's attestor signs about one call
/// (docs/PROTOCOL.md, "Receipts").
struct Receipt {
    bytes32 agent;
    bytes32 codeHash;
    bytes32 requestHash;
    uint16 status;
    bytes32 responseHash;
    uint64 timestamp;
}

/// @notice The anchor's fixed interface (issue 8): a contract asks, an agent
/// answers, the anchor checks the receipt.
interface ICoveAnchor {
    event CoveRequest(uint256 indexed requestId, bytes32 indexed agent, address indexed consumer, string path, bytes body, bytes32 requestHash);
    event CoveFulfilled(uint256 indexed requestId, uint16 status, bool callbackSucceeded);
    function request(bytes32 agent, string calldata path, bytes calldata body, uint32 callbackGasLimit) external payable returns (uint256 requestId);
    function fulfil(uint256 requestId, Receipt calldata receipt, bytes calldata response, bytes calldata signature) external;
    function cancel(uint256 requestId) external;            // the consumer, after a timeout: refund
    function fee() external view returns (uint256);          // minimum msg.value of request()
    function attestorOf(bytes32 agent) external view returns (address);
}

/// @notice What a consumer implements; the anchor calls it with the
/// request's callbackGasLimit.
interface ICoveConsumer {   // called by the anchor, with callbackGasLimit gas
    function onCoveResponse(uint256 requestId, uint16 status, bytes calldata response, bytes32 codeHash) external;
}

/// @title CoveAnchor
/// @notice One per EVM chain. A consumer calls request(); the agent gets an
/// HTTP POST of body to "/agents/{agent}{path}" with a cove-request query
/// parameter naming this chain, this anchor and the request id
/// (docs/PROTOCOL.md, "EVM anchor"); anyone sends fulfil() with the agent's
/// signed receipt, which the anchor checks against the agent's attestor.
/// @dev Attestors come only from grants signed by an epoch signer the owner
/// trusts; no attestor is set by hand.
contract CoveAnchor is ICoveAnchor {
    /// @notice Where a request is in its life.
    enum Status { None, Pending, Fulfilled, Cancelled }

    /// @notice A request, as stored until it is fulfilled or cancelled.
    struct Request {
        address consumer;
        uint32 callbackGasLimit;
        uint64 createdAt;
        Status status;
        bytes32 agent;
        bytes32 requestHash;
        uint256 paid;
    }

    /// @notice An agent's attestor and the key epoch whose signer granted it.
    struct Attestor {
        address attestor;
        uint64 epoch;
    }

    // EIP-712 (docs/PROTOCOL.md): domain {name: "Cove", version: "1", "2"
    // or "3"}, no chainId, no verifyingContract, as off-chain receipts.
    bytes32 private constant DOMAIN_TYPEHASH = keccak256("EIP712Domain(string name,string version)");
    bytes32 private constant DOMAIN_V1 = keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("Cove"), keccak256("1")));
    bytes32 private constant DOMAIN_V2 = keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("Cove"), keccak256("2")));
    bytes32 private constant DOMAIN_V3 = keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("Cove"), keccak256("3")));
    /// @dev A version-3 (batched) receipt's signature is over the Merkle
    /// root of its batch (ADR 18); its leaf is ReceiptLeaf{receipt, salt};
    /// its proof has 1 to MAX_PROOF hashes.
    bytes32 private constant RECEIPT_LEAF_TYPEHASH = keccak256(
        "ReceiptLeaf(Receipt receipt,bytes32 salt)Receipt(bytes32 agent,bytes32 codeHash,bytes32 requestHash,uint16 status,bytes32 responseHash,uint64 timestamp,bytes32 headersHash)"
    );
    bytes32 private constant RECEIPT_BATCH_TYPEHASH = keccak256("ReceiptBatch(bytes32 root)");
    uint256 private constant MAX_PROOF = 8;
    bytes32 private constant RECEIPT_TYPEHASH = keccak256(
        "Receipt(bytes32 agent,bytes32 codeHash,bytes32 requestHash,uint16 status,bytes32 responseHash,uint64 timestamp)"
    );
    bytes32 private constant RECEIPT_TYPEHASH_V2 = keccak256(
        "Receipt(bytes32 agent,bytes32 codeHash,bytes32 requestHash,uint16 status,bytes32 responseHash,uint64 timestamp,bytes32 headersHash)"
    );
    /// @notice The EIP-712 type of an attestor grant, signed under the
    /// version-1 domain by the epoch's signer.
    bytes32 public constant GRANT_TYPEHASH = keccak256("AttestorGrant(bytes32 agent,address attestor,uint64 epoch)");

    /// @dev Half the secp256k1 group order: signatures with a higher s are
    /// refused, so a signature has one form only.
    uint256 private constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    /// @dev Gas the anchor keeps for itself after the callback returns.
    uint256 private constant CALLBACK_RESERVE = 10_000;

    /// @notice The owner: sets the fee and the trusted epoch signers.
    address public owner;
    /// @notice The minimum msg.value of request(), paid to whoever fulfils.
    uint256 public fee;
    /// @notice Seconds after a request before its consumer may cancel it.
    uint64 public immutable timeout;
    /// @notice The id the next request gets (ids start at 1).
    uint256 public nextRequestId = 1;
    /// @notice The trusted signer of each key epoch (zero: not trusted).
    mapping(uint64 => address) public epochSigner;

    mapping(uint256 => Request) private requests;
    mapping(bytes32 => Attestor) private attestors;

    event EpochSignerSet(uint64 indexed epoch, address signer);
    event AttestorRegistered(bytes32 indexed agent, address attestor, uint64 epoch);
    event CoveCancelled(uint256 indexed requestId);
    event FeeSet(uint256 fee);

    error NotOwner();
    error FeeTooLow(uint256 sent, uint256 fee);
    error InvalidPath();
    error UnknownRequest(uint256 requestId);
    error AlreadyFulfilled(uint256 requestId);
    error RequestCancelled(uint256 requestId);
    error AgentMismatch(bytes32 want, bytes32 got);
    error RequestHashMismatch(bytes32 want, bytes32 got);
    error ResponseHashMismatch(bytes32 want, bytes32 got);
    error NoAttestor(bytes32 agent);
    error SignatureLength(uint256 length);
    error MalformedSignature();
    error WrongSigner(address want, address got);
    error CallbackGasTooLow(uint256 left, uint256 needed);
    error PaymentFailed(address to);
    error NotConsumer(address caller);
    error TooEarly(uint256 cancellableAt);
    error UnknownEpoch(uint64 epoch);
    error ZeroAttestor();
    error WrongGrantSigner(address want, address got);
    error StaleGrant(uint64 epoch, uint64 current);

    /// @param fee_ the initial fee; @param timeout_ seconds before cancel.
    constructor(uint256 fee_, uint64 timeout_) {
        owner = msg.sender;
        fee = fee_;
        timeout = timeout_;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    /// @notice Sets the fee of future requests.
    function setFee(uint256 fee_) external onlyOwner {
        fee = fee_;
        emit FeeSet(fee_);
    }

    /// @notice Trusts signer as the signer of key epoch epoch (zero revokes
    /// it, and with it every attestor its grants registered).
    function setEpochSigner(uint64 epoch, address signer) external onlyOwner {
        epochSigner[epoch] = signer;
        emit EpochSignerSet(epoch, signer);
    }

    /// @notice Registers attestor as agent's attestor, on the strength of
    /// an AttestorGrant signed (EIP-712, domain version "1") by the signer
    /// of epoch. Anyone may send it. A grant of an older epoch than the one
    /// registered is refused.
    function registerAttestor(bytes32 agent, address attestor, uint64 epoch, bytes calldata signature) external {
        address signer = epochSigner[epoch];
        if (signer == address(0)) revert UnknownEpoch(epoch);
        if (attestor == address(0)) revert ZeroAttestor();
        Attestor memory cur = attestors[agent];
        if (cur.attestor != address(0) && epoch < cur.epoch) revert StaleGrant(epoch, cur.epoch);
        if (signature.length != 65) revert SignatureLength(signature.length);
        bytes32 digest = keccak256(
            abi.encodePacked("\x19\x01", DOMAIN_V1, keccak256(abi.encode(GRANT_TYPEHASH, agent, attestor, epoch)))
        );
        address got = _recover(digest, signature);
        if (got != signer) revert WrongGrantSigner(signer, got);
        attestors[agent] = Attestor(attestor, epoch);
        emit AttestorRegistered(agent, attestor, epoch);
    }

    /// @inheritdoc ICoveAnchor
    /// @dev Zero if none is registered or its epoch's signer was revoked.
    function attestorOf(bytes32 agent) public view returns (address) {
        Attestor memory a = attestors[agent];
        if (a.attestor == address(0) || epochSigner[a.epoch] == address(0)) return address(0);
        return a.attestor;
    }

    /// @notice The state of a request and what it committed to.
    function requestOf(uint256 requestId) external view returns (Request memory) {
        return requests[requestId];
    }

    /// @inheritdoc ICoveAnchor
    function request(bytes32 agent, string calldata path, bytes calldata body, uint32 callbackGasLimit)
        external
        payable
        returns (uint256 requestId)
    {
        if (msg.value < fee) revert FeeTooLow(msg.value, fee);
        _checkPath(bytes(path));
        requestId = nextRequestId++;
        bytes32 h = requestHash(agent, path, body, requestId);
        requests[requestId] = Request({
            consumer: msg.sender,
            callbackGasLimit: callbackGasLimit,
            createdAt: uint64(block.timestamp),
            status: Status.Pending,
            agent: agent,
            requestHash: h,
            paid: msg.value
        });
        emit CoveRequest(requestId, agent, msg.sender, path, body, h);
    }

    /// @dev Refuses a path an HTTP request target cannot carry byte for
    /// byte: empty, not starting with "/", or holding a control character,
    /// a space, "#" or a non-ASCII byte (percent-encode those).
    function _checkPath(bytes memory p) private pure {
        if (p.length == 0 || p[0] != "/") revert InvalidPath();
        for (uint256 i = 0; i < p.length; i++) {
            bytes1 c = p[i];
            if (c <= 0x20 || c >= 0x7f || c == "#") revert InvalidPath();
        }
    }

    /// @notice The requestHash a receipt for request requestId must carry:
    /// SHA-256("POST" ‖ "\n" ‖ target ‖ "\n" ‖ body) with target
    /// "/agents/" ‖ agent (0x + 64 lowercase hex) ‖ path ‖ ("&" if path has
    /// a "?", else "?") ‖ "cove-request=" ‖ chain id (decimal) ‖ "-" ‖ this
    /// anchor (0x + 40 lowercase hex) ‖ "-" ‖ requestId (decimal).
    function requestHash(bytes32 agent, string calldata path, bytes calldata body, uint256 requestId)
        public
        view
        returns (bytes32)
    {
        return sha256(abi.encodePacked("POST\n", target(agent, path, requestId), "\n", body));
    }

    /// @notice The request target the agent is called with (see requestHash).
    function target(bytes32 agent, string calldata path, uint256 requestId) public view returns (bytes memory) {
        bytes memory p = bytes(path);
        bytes1 sep = "?";
        for (uint256 i = 0; i < p.length; i++) {
            if (p[i] == "?") {
                sep = "&";
                break;
            }
        }
        return abi.encodePacked(
            "/agents/",
            _hex(uint256(agent), 32),
            p,
            sep,
            "cove-request=",
            _decimal(block.chainid),
            "-",
            _hex(uint256(uint160(address(this))), 20),
            "-",
            _decimal(requestId)
        );
    }

    /// @inheritdoc ICoveAnchor
    /// @dev signature is 65 bytes r ‖ s ‖ v for a version-1 receipt, or 97
    /// bytes (r ‖ s ‖ v ‖ headersHash) for a version-2 one (ADR 13).
    function fulfil(uint256 requestId, Receipt calldata receipt, bytes calldata response, bytes calldata signature)
        external
    {
        Request storage req = requests[requestId];
        _checkPending(req.status, requestId);
        _verify(req, receipt, response, signature);
        req.status = Status.Fulfilled;
        uint256 paid = req.paid;
        req.paid = 0;
        bool ok = _callback(req, requestId, receipt.status, response, receipt.codeHash);
        emit CoveFulfilled(requestId, receipt.status, ok);
        if (paid > 0) {
            (bool sent,) = msg.sender.call{value: paid}("");
            if (!sent) revert PaymentFailed(msg.sender);
        }
    }

    /// @dev Refuses a request that is not pending, naming why.
    function _checkPending(Status st, uint256 requestId) private pure {
        if (st == Status.None) revert UnknownRequest(requestId);
        if (st == Status.Fulfilled) revert AlreadyFulfilled(requestId);
        if (st == Status.Cancelled) revert RequestCancelled(requestId);
    }

    /// @dev Checks that receipt answers req, covers response and is signed
    /// by the agent's attestor.
    function _verify(Request storage req, Receipt calldata receipt, bytes calldata response, bytes calldata signature)
        private
        view
    {
        if (receipt.agent != req.agent) revert AgentMismatch(req.agent, receipt.agent);
        if (receipt.requestHash != req.requestHash) revert RequestHashMismatch(req.requestHash, receipt.requestHash);
        bytes32 rh = sha256(response);
        if (rh != receipt.responseHash) revert ResponseHashMismatch(receipt.responseHash, rh);
        address attestor = attestorOf(receipt.agent);
        if (attestor == address(0)) revert NoAttestor(receipt.agent);
        address got = _recover(_receiptDigest(receipt, signature), signature[:65]);
        if (got != attestor) revert WrongSigner(attestor, got);
    }

    /// @dev Calls the consumer with the request's gas limit; reports
    /// whether the call succeeded.
    function _callback(Request storage req, uint256 requestId, uint16 status, bytes calldata response, bytes32 codeHash)
        private
        returns (bool ok)
    {
        address consumer = req.consumer;
        uint256 gasLimit = req.callbackGasLimit;
        bytes memory data = abi.encodeCall(ICoveConsumer.onCoveResponse, (requestId, status, response, codeHash));
        // EIP-150 passes at most 63/64 of what is left: make sure the
        // callback gets all its gas, so a sender cannot starve it into a
        // failure on purpose.
        uint256 needed = gasLimit + gasLimit / 63 + CALLBACK_RESERVE;
        if (gasleft() < needed) revert CallbackGasTooLow(gasleft(), needed);
        assembly {
            // No return data is copied: a consumer cannot make fulfil pay
            // for a huge return value.
            ok := call(gasLimit, consumer, 0, add(data, 32), mload(data), 0, 0)
        }
    }

    /// @inheritdoc ICoveAnchor
    function cancel(uint256 requestId) external {
        Request storage req = requests[requestId];
        _checkPending(req.status, requestId);
        if (msg.sender != req.consumer) revert NotConsumer(msg.sender);
        uint256 at = uint256(req.createdAt) + timeout;
        if (block.timestamp < at) revert TooEarly(at);
        req.status = Status.Cancelled;
        uint256 paid = req.paid;
        req.paid = 0;
        emit CoveCancelled(requestId);
        if (paid > 0) {
            (bool sent,) = msg.sender.call{value: paid}("");
            if (!sent) revert PaymentFailed(msg.sender);
        }
    }

    /// @dev The EIP-712 digest of receipt: version 1 for a 65-byte
    /// signature; version 2 (headersHash from bytes 65..97) for 97 bytes;
    /// version 3 (a receipt signed in a batch, ADR 18) for 129 + 32k bytes,
    /// k = 1..MAX_PROOF: headersHash, the salt, then the k hashes of its
    /// Merkle proof, the digest being over the root they lead to from the
    /// leaf, hashStruct(ReceiptLeaf{receipt, salt}) (each step keccak256 of
    /// the sorted pair).
    function _receiptDigest(Receipt calldata r, bytes calldata signature) private pure returns (bytes32) {
        if (signature.length == 65) {
            bytes32 sh = keccak256(
                abi.encode(
                    RECEIPT_TYPEHASH, r.agent, r.codeHash, r.requestHash, uint256(r.status), r.responseHash, uint256(r.timestamp)
                )
            );
            return keccak256(abi.encodePacked("\x19\x01", DOMAIN_V1, sh));
        }
        uint256 n = signature.length;
        if (n != 97 && (n < 161 || (n - 129) % 32 != 0 || (n - 129) / 32 > MAX_PROOF)) revert SignatureLength(n);
        bytes32 h = keccak256(
            abi.encode(
                RECEIPT_TYPEHASH_V2,
                r.agent,
                r.codeHash,
                r.requestHash,
                uint256(r.status),
                r.responseHash,
                uint256(r.timestamp),
                bytes32(signature[65:97])
            )
        );
        if (n == 97) return keccak256(abi.encodePacked("\x19\x01", DOMAIN_V2, h));
        h = keccak256(abi.encode(RECEIPT_LEAF_TYPEHASH, h, bytes32(signature[97:129])));
        for (uint256 i = 129; i < n; i += 32) {
            bytes32 sib = bytes32(signature[i:i + 32]);
            h = h < sib ? keccak256(abi.encodePacked(h, sib)) : keccak256(abi.encodePacked(sib, h));
        }
        return keccak256(abi.encodePacked("\x19\x01", DOMAIN_V3, keccak256(abi.encode(RECEIPT_BATCH_TYPEHASH, h))));
    }

    /// @dev Recovers the signer of digest from 65 bytes r ‖ s ‖ v, refusing
    /// a high s, a v other than 27 or 28 and a signature recovering to zero.
    function _recover(bytes32 digest, bytes calldata sig) private pure returns (address) {
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (uint256(s) > HALF_N || (v != 27 && v != 28)) revert MalformedSignature();
        address a = ecrecover(digest, v, r, s);
        if (a == address(0)) revert MalformedSignature();
        return a;
    }

    /// @dev "0x" and the low n bytes of x in lowercase hex.
    function _hex(uint256 x, uint256 n) private pure returns (bytes memory out) {
        bytes16 digits = "0123456789abcdef";
        out = new bytes(2 + 2 * n);
        out[0] = "0";
        out[1] = "x";
        for (uint256 i = 2 * n + 1; i > 1; i--) {
            out[i] = digits[x & 0xf];
            x >>= 4;
        }
    }

    /// @dev x in decimal.
    function _decimal(uint256 x) private pure returns (bytes memory out) {
        uint256 n = 1;
        for (uint256 y = x / 10; y != 0; y /= 10) n++;
        out = new bytes(n);
        for (uint256 i = n; i > 0; i--) {
            out[i - 1] = bytes1(uint8(48 + x % 10));
            x /= 10;
        }
    }
}
