// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ICoveAnchor, ICoveConsumer} from "./CoveAnchor.sol";

/// @title ApprovalVault
/// @notice An example of a contract extended by an agent: a vault whose
/// withdrawals complete only when a Cove agent approves them. A withdrawal
/// asks the agent (POST /approve with body abi.encode(owner, amount)); the
/// agent's answer "approved" with status 200 makes the amount claimable,
/// any other answer returns it to the owner's balance.
contract ApprovalVault is ICoveConsumer {
    /// @notice The anchor this vault trusts to call it back.
    ICoveAnchor public immutable anchor;
    /// @notice The agent that approves withdrawals.
    bytes32 public immutable agent;

    /// @notice Deposited funds not in a pending withdrawal.
    mapping(address => uint256) public balanceOf;
    /// @notice Approved withdrawals, ready to claim.
    mapping(address => uint256) public claimable;

    /// @notice A withdrawal waiting for the agent.
    struct Withdrawal {
        address owner;
        uint256 amount;
    }

    /// @notice Pending withdrawals by anchor request id.
    mapping(uint256 => Withdrawal) public pending;

    event Deposited(address indexed owner, uint256 amount);
    event WithdrawalRequested(uint256 indexed requestId, address indexed owner, uint256 amount);
    event WithdrawalDecided(uint256 indexed requestId, bool approved);

    error NotAnchor(address caller);
    error InsufficientBalance(uint256 balance, uint256 amount);
    error UnknownWithdrawal(uint256 requestId);
    error NotWithdrawalOwner(address caller);
    error PaymentFailed(address to);

    constructor(ICoveAnchor anchor_, bytes32 agent_) {
        anchor = anchor_;
        agent = agent_;
    }

    /// @notice Adds msg.value to the sender's balance.
    function deposit() external payable {
        balanceOf[msg.sender] += msg.value;
        emit Deposited(msg.sender, msg.value);
    }

    /// @notice Asks the agent to approve withdrawing amount; msg.value pays
    /// the anchor's fee. The amount leaves the balance until the answer.
    function requestWithdrawal(uint256 amount, uint32 callbackGasLimit) external payable returns (uint256 requestId) {
        uint256 bal = balanceOf[msg.sender];
        if (bal < amount) revert InsufficientBalance(bal, amount);
        balanceOf[msg.sender] = bal - amount;
        requestId = anchor.request{value: msg.value}(agent, "/approve", abi.encode(msg.sender, amount), callbackGasLimit);
        pending[requestId] = Withdrawal(msg.sender, amount);
        emit WithdrawalRequested(requestId, msg.sender, amount);
    }

    /// @inheritdoc ICoveConsumer
    function onCoveResponse(uint256 requestId, uint16 status, bytes calldata response, bytes32) external {
        if (msg.sender != address(anchor)) revert NotAnchor(msg.sender);
        Withdrawal memory w = pending[requestId];
        if (w.owner == address(0)) revert UnknownWithdrawal(requestId);
        delete pending[requestId];
        bool approved = status == 200 && keccak256(response) == keccak256("approved");
        if (approved) {
            claimable[w.owner] += w.amount;
        } else {
            balanceOf[w.owner] += w.amount;
        }
        emit WithdrawalDecided(requestId, approved);
    }

    /// @notice Cancels a withdrawal the agent did not answer within the
    /// anchor's timeout: the amount returns to the balance and the fee
    /// refund goes to the owner.
    function cancelWithdrawal(uint256 requestId) external {
        Withdrawal memory w = pending[requestId];
        if (w.owner == address(0)) revert UnknownWithdrawal(requestId);
        if (msg.sender != w.owner) revert NotWithdrawalOwner(msg.sender);
        delete pending[requestId];
        balanceOf[w.owner] += w.amount;
        uint256 before = address(this).balance;
        anchor.cancel(requestId);
        uint256 refund = address(this).balance - before;
        if (refund > 0) {
            (bool sent,) = w.owner.call{value: refund}("");
            if (!sent) revert PaymentFailed(w.owner);
        }
    }

    /// @notice Pays the sender its approved withdrawals.
    function claim() external {
        uint256 amount = claimable[msg.sender];
        claimable[msg.sender] = 0;
        (bool sent,) = msg.sender.call{value: amount}("");
        if (!sent) revert PaymentFailed(msg.sender);
    }

    /// @notice Takes fee refunds from the anchor.
    receive() external payable {}
}
