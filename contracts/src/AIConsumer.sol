// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ICoveAnchor, ICoveConsumer} from "./CoveAnchor.sol";

/// @title AIConsumer
/// @notice An example consumer: anyone asks a Cove agent (an AI model)
/// through the anchor with a prompt as the body, and it keeps each
/// request's full text answer, of any length the callback's gas can store.
contract AIConsumer is ICoveConsumer {
    /// @notice The anchor this consumer trusts to call it back.
    ICoveAnchor public immutable anchor;
    /// @notice The agent it asks.
    bytes32 public immutable agent;

    /// @notice Where a question is in its life.
    enum State { None, Pending, Answered, Cancelled }

    /// @notice A question and, once answered, its answer: the agent's HTTP
    /// status, the text and the code hash of the agent that answered.
    struct Answer {
        address asker;
        State state;
        uint16 status;
        bytes32 codeHash;
        bytes text;
    }

    mapping(uint256 => Answer) private answers;

    event Asked(uint256 indexed requestId, address indexed asker);
    event Answered(uint256 indexed requestId, uint16 status, uint256 length);

    error NotAnchor(address caller);
    error NotAsker(address caller);
    error UnknownRequest(uint256 requestId);
    error NotPending(uint256 requestId);
    error PaymentFailed(address to);

    constructor(ICoveAnchor anchor_, bytes32 agent_) {
        anchor = anchor_;
        agent = agent_;
    }

    /// @notice Asks the agent: POST prompt to path; msg.value pays the fee.
    function ask(string calldata path, bytes calldata prompt, uint32 callbackGasLimit)
        external
        payable
        returns (uint256 requestId)
    {
        requestId = anchor.request{value: msg.value}(agent, path, prompt, callbackGasLimit);
        answers[requestId].asker = msg.sender;
        answers[requestId].state = State.Pending;
        emit Asked(requestId, msg.sender);
    }

    /// @notice The question of requestId and its answer, if any.
    function answerOf(uint256 requestId) external view returns (Answer memory) {
        return answers[requestId];
    }

    /// @notice Cancels an unanswered question after the anchor's timeout;
    /// the fee's refund goes to the asker.
    function cancel(uint256 requestId) external {
        Answer storage a = answers[requestId];
        if (a.state != State.Pending) revert NotPending(requestId);
        if (msg.sender != a.asker) revert NotAsker(msg.sender);
        a.state = State.Cancelled;
        uint256 before = address(this).balance;
        anchor.cancel(requestId);
        uint256 refund = address(this).balance - before;
        if (refund > 0) {
            (bool sent,) = msg.sender.call{value: refund}("");
            if (!sent) revert PaymentFailed(msg.sender);
        }
    }

    /// @inheritdoc ICoveConsumer
    function onCoveResponse(uint256 requestId, uint16 status, bytes calldata response, bytes32 codeHash) external {
        if (msg.sender != address(anchor)) revert NotAnchor(msg.sender);
        Answer storage a = answers[requestId];
        if (a.state != State.Pending) revert UnknownRequest(requestId);
        a.state = State.Answered;
        a.status = status;
        a.codeHash = codeHash;
        a.text = response;
        emit Answered(requestId, status, response.length);
    }

    /// @notice Takes refunds from the anchor.
    receive() external payable {}
}
