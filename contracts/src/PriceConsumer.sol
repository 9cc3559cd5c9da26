// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ICoveAnchor, ICoveConsumer} from "./CoveAnchor.sol";

/// @title PriceConsumer
/// @notice An example consumer: its owner asks a Cove agent (a price
/// oracle) through the anchor, and it keeps the last answer.
contract PriceConsumer is ICoveConsumer {
    /// @notice The anchor this consumer trusts to call it back.
    ICoveAnchor public immutable anchor;
    /// @notice The agent it asks.
    bytes32 public immutable agent;
    /// @notice Who may ask and cancel.
    address public immutable owner;

    /// @notice The last answer: its request, HTTP status, body and code hash.
    uint256 public lastRequestId;
    uint16 public lastStatus;
    bytes public lastResponse;
    bytes32 public lastCodeHash;

    event Answered(uint256 indexed requestId, uint16 status, uint256 length);

    error NotAnchor(address caller);
    error NotOwner(address caller);

    constructor(ICoveAnchor anchor_, bytes32 agent_) {
        anchor = anchor_;
        agent = agent_;
        owner = msg.sender;
    }

    /// @notice Asks the agent: POST body to path; msg.value pays the fee.
    function ask(string calldata path, bytes calldata body, uint32 callbackGasLimit)
        external
        payable
        returns (uint256)
    {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        return anchor.request{value: msg.value}(agent, path, body, callbackGasLimit);
    }

    /// @notice Cancels a request after the anchor's timeout; the refund
    /// comes to this contract.
    function cancel(uint256 requestId) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        anchor.cancel(requestId);
    }

    /// @inheritdoc ICoveConsumer
    function onCoveResponse(uint256 requestId, uint16 status, bytes calldata response, bytes32 codeHash) external {
        if (msg.sender != address(anchor)) revert NotAnchor(msg.sender);
        lastRequestId = requestId;
        lastStatus = status;
        lastResponse = response;
        lastCodeHash = codeHash;
        emit Answered(requestId, status, response.length);
    }

    /// @notice Takes refunds from the anchor.
    receive() external payable {}
}
