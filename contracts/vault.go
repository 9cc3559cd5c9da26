// Code generated - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package contracts

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"time"

	ethereum "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/event"
)

// Reference imports to suppress errors if they are not otherwise used.
var (
	_ = errors.New
	_ = big.NewInt
	_ = strings.NewReader
	_ = ethereum.NotFound
	_ = bind.Bind
	_ = common.Big1
	_ = types.BloomLookup
	_ = event.NewSubscription
	_ = abi.ConvertType
	_ = time.Tick
	_ = context.Background
)

// ApprovalVaultMetaData contains all meta data concerning the ApprovalVault contract.
var ApprovalVaultMetaData = &bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"contractICoveAnchor\",\"name\":\"anchor_\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"agent_\",\"type\":\"bytes32\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"balance\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"name\":\"InsufficientBalance\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"NotAnchor\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"NotWithdrawalOwner\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"}],\"name\":\"PaymentFailed\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"name\":\"UnknownWithdrawal\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"name\":\"Deposited\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"bool\",\"name\":\"approved\",\"type\":\"bool\"}],\"name\":\"WithdrawalDecided\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"name\":\"WithdrawalRequested\",\"type\":\"event\"},{\"inputs\":[],\"name\":\"agent\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"anchor\",\"outputs\":[{\"internalType\":\"contractICoveAnchor\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"balanceOf\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"name\":\"cancelWithdrawal\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"claim\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"claimable\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"deposit\",\"outputs\":[],\"stateMutability\":\"payable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"},{\"internalType\":\"uint16\",\"name\":\"status\",\"type\":\"uint16\"},{\"internalType\":\"bytes\",\"name\":\"response\",\"type\":\"bytes\"},{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"name\":\"onCoveResponse\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"name\":\"pending\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"internalType\":\"uint32\",\"name\":\"callbackGasLimit\",\"type\":\"uint32\"}],\"name\":\"requestWithdrawal\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"stateMutability\":\"payable\",\"type\":\"function\"},{\"stateMutability\":\"payable\",\"type\":\"receive\"}]",
	Bin: "0x60c060405234801561000f575f5ffd5b50604051610b49380380610b4983398101604081905261002e91610044565b6001600160a01b0390911660805260a05261007b565b5f5f60408385031215610055575f5ffd5b82516001600160a01b038116811461006b575f5ffd5b6020939093015192949293505050565b60805160a051610a916100b85f395f818161022e015261057301525f81816101c40152818161033e0152818161053c01526106c70152610a915ff3fe608060405260043610610092575f3560e01c8063af6e623811610057578063af6e62381461014e578063d0e30db0146101ab578063d3fb73b4146101b3578063e067ac79146101fe578063f5ff5c761461021d575f5ffd5b80633efcfda41461009d578063402914f5146100be5780634e71d92d146100fc57806370a08231146101105780638d2869d41461013b575f5ffd5b3661009957005b5f5ffd5b3480156100a8575f5ffd5b506100bc6100b7366004610881565b610250565b005b3480156100c9575f5ffd5b506100e96100d8366004610898565b60016020525f908152604090205481565b6040519081526020015b60405180910390f35b348015610107575f5ffd5b506100bc610438565b34801561011b575f5ffd5b506100e961012a366004610898565b5f6020819052908152604090205481565b6100e96101493660046108c5565b6104b7565b348015610159575f5ffd5b5061018c610168366004610881565b60026020525f9081526040902080546001909101546001600160a01b039091169082565b604080516001600160a01b0390931683526020830191909152016100f3565b6100bc610662565b3480156101be575f5ffd5b506101e67f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b0390911681526020016100f3565b348015610209575f5ffd5b506100bc6102183660046108fb565b6106bc565b348015610228575f5ffd5b506100e97f000000000000000000000000000000000000000000000000000000000000000081565b5f81815260026020908152604091829020825180840190935280546001600160a01b0316808452600190910154918301919091526102a957604051631e79cfdd60e21b8152600481018390526024015b60405180910390fd5b80516001600160a01b031633146102d5576040516339111b5f60e01b81523360048201526024016102a0565b5f82815260026020908152604080832080546001600160a01b03191681556001018390558382015184516001600160a01b031684529183905282208054919290916103219084906109a1565b90915550506040516340e58ee560e01b81526004810183905247907f00000000000000000000000000000000000000000000000000000000000000006001600160a01b0316906340e58ee5906024015f604051808303815f87803b158015610387575f5ffd5b505af1158015610399573d5f5f3e3d5ffd5b505050505f81476103aa91906109ba565b905080156104325782516040515f916001600160a01b03169083908381818185875af1925050503d805f81146103fb576040519150601f19603f3d011682016040523d82523d5f602084013e610400565b606091505b50509050806104305783516040516306d133c960e31b81526001600160a01b0390911660048201526024016102a0565b505b50505050565b335f81815260016020526040808220805490839055905190929083908381818185875af1925050503d805f811461048a576040519150601f19603f3d011682016040523d82523d5f602084013e61048f565b606091505b50509050806104b3576040516306d133c960e31b81523360048201526024016102a0565b5050565b335f90815260208190526040812054838110156104f15760405163cf47918160e01b815260048101829052602481018590526044016102a0565b6104fb84826109ba565b335f81815260208181526040918290209390935580519283019190915281810186905280518083038201815260608301918290526305f3ad6760e11b9091527f00000000000000000000000000000000000000000000000000000000000000006001600160a01b031691630be75ace91349161059d917f00000000000000000000000000000000000000000000000000000000000000009189906064016109cd565b60206040518083038185885af11580156105b9573d5f5f3e3d5ffd5b50505050506040513d601f19601f820116820180604052508101906105de9190610a35565b6040805180820182523380825260208083018981525f86815260028352859020935184546001600160a01b0319166001600160a01b03909116178455516001909301929092559151878152929450909184917f6620e1bb18901e7cc06eb4c152cbf61f7f069350e9cf118060d463c4e5430ba0910160405180910390a35092915050565b335f90815260208190526040812080543492906106809084906109a1565b909155505060405134815233907f2da466a7b24304f47e87fa2e1e5a81b9831ce54fec19055ce277ca2f39ba42c49060200160405180910390a2565b336001600160a01b037f0000000000000000000000000000000000000000000000000000000000000000161461070757604051635154299560e11b81523360048201526024016102a0565b5f85815260026020908152604091829020825180840190935280546001600160a01b03168084526001909101549183019190915261075b57604051631e79cfdd60e21b8152600481018790526024016102a0565b5f86815260026020526040812080546001600160a01b031916815560010181905560c861ffff87161480156107c657507f2b29265fc125740ae6bbc5035ae7af720b6932f4a3e44ba5ac02955c21ca9a0585856040516107bc929190610a4c565b6040518091039020145b905080156108085760208083015183516001600160a01b03165f9081526001909252604082208054919290916107fd9084906109a1565b9091555061083c9050565b60208083015183516001600160a01b03165f90815291829052604082208054919290916108369084906109a1565b90915550505b867f7cae23ca0cad423def40bb0b7ed191c6c38090c1a41f237bd1bd710452f30c6f82604051610870911515815260200190565b60405180910390a250505050505050565b5f60208284031215610891575f5ffd5b5035919050565b5f602082840312156108a8575f5ffd5b81356001600160a01b03811681146108be575f5ffd5b9392505050565b5f5f604083850312156108d6575f5ffd5b82359150602083013563ffffffff811681146108f0575f5ffd5b809150509250929050565b5f5f5f5f5f6080868803121561090f575f5ffd5b85359450602086013561ffff81168114610927575f5ffd5b9350604086013567ffffffffffffffff811115610942575f5ffd5b8601601f81018813610952575f5ffd5b803567ffffffffffffffff811115610968575f5ffd5b886020828401011115610979575f5ffd5b959894975060200195606001359392505050565b634e487b7160e01b5f52601160045260245ffd5b808201808211156109b4576109b461098d565b92915050565b818103818111156109b4576109b461098d565b8381526080602082015260086080820152672f617070726f766560c01b60a082015260c060408201525f83518060c0840152806020860160e085015e5f60e0828501015260e0601f19601f83011684010191505063ffffffff83166060830152949350505050565b5f60208284031215610a45575f5ffd5b5051919050565b818382375f910190815291905056fea26469706673582212204187d7e03e55d974e9d72513966be4bcd16a3bd0d696ceb5dbabaa989ae87ff064736f6c634300081c0033",
}

// ApprovalVaultABI is the input ABI used to generate the binding from.
// Deprecated: Use ApprovalVaultMetaData.ABI instead.
var ApprovalVaultABI = ApprovalVaultMetaData.ABI

// ApprovalVaultBin is the compiled bytecode used for deploying new contracts.
// Deprecated: Use ApprovalVaultMetaData.Bin instead.
var ApprovalVaultBin = ApprovalVaultMetaData.Bin

// DeployApprovalVault deploys a new Ethereum contract, binding an instance of ApprovalVault to it.
func DeployApprovalVault(auth *bind.TransactOpts, backend bind.ContractBackend, anchor_ common.Address, agent_ [32]byte) (common.Address, *types.Transaction, *ApprovalVault, error) {
	parsed, err := ApprovalVaultMetaData.GetAbi()
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	if parsed == nil {
		return common.Address{}, nil, nil, errors.New("GetABI returned nil")
	}

	address, tx, contract, err := bind.DeployContract(auth, *parsed, common.FromHex(ApprovalVaultBin), backend, anchor_, agent_)
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	return address, tx, &ApprovalVault{ApprovalVaultCaller: ApprovalVaultCaller{contract: contract}, ApprovalVaultTransactor: ApprovalVaultTransactor{contract: contract}, ApprovalVaultFilterer: ApprovalVaultFilterer{contract: contract}}, nil
}

// ApprovalVault is an auto generated Go binding around an Ethereum contract.
type ApprovalVault struct {
	ApprovalVaultCaller     // Read-only binding to the contract
	ApprovalVaultTransactor // Write-only binding to the contract
	ApprovalVaultFilterer   // Log filterer for contract events
}

// ApprovalVaultCaller is an auto generated read-only Go binding around an Ethereum contract.
type ApprovalVaultCaller struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// ApprovalVaultTransactor is an auto generated write-only Go binding around an Ethereum contract.
type ApprovalVaultTransactor struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// ApprovalVaultFilterer is an auto generated log filtering Go binding around an Ethereum contract events.
type ApprovalVaultFilterer struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// ApprovalVaultSession is an auto generated Go binding around an Ethereum contract,
// with pre-set call and transact options.
type ApprovalVaultSession struct {
	Contract     *ApprovalVault    // Generic contract binding to set the session for
	CallOpts     bind.CallOpts     // Call options to use throughout this session
	TransactOpts bind.TransactOpts // Transaction auth options to use throughout this session
}

// ApprovalVaultCallerSession is an auto generated read-only Go binding around an Ethereum contract,
// with pre-set call options.
type ApprovalVaultCallerSession struct {
	Contract *ApprovalVaultCaller // Generic contract caller binding to set the session for
	CallOpts bind.CallOpts        // Call options to use throughout this session
}

// ApprovalVaultTransactorSession is an auto generated write-only Go binding around an Ethereum contract,
// with pre-set transact options.
type ApprovalVaultTransactorSession struct {
	Contract     *ApprovalVaultTransactor // Generic contract transactor binding to set the session for
	TransactOpts bind.TransactOpts        // Transaction auth options to use throughout this session
}

// ApprovalVaultRaw is an auto generated low-level Go binding around an Ethereum contract.
type ApprovalVaultRaw struct {
	Contract *ApprovalVault // Generic contract binding to access the raw methods on
}

// ApprovalVaultCallerRaw is an auto generated low-level read-only Go binding around an Ethereum contract.
type ApprovalVaultCallerRaw struct {
	Contract *ApprovalVaultCaller // Generic read-only contract binding to access the raw methods on
}

// ApprovalVaultTransactorRaw is an auto generated low-level write-only Go binding around an Ethereum contract.
type ApprovalVaultTransactorRaw struct {
	Contract *ApprovalVaultTransactor // Generic write-only contract binding to access the raw methods on
}

// NewApprovalVault creates a new instance of ApprovalVault, bound to a specific deployed contract.
func NewApprovalVault(address common.Address, backend bind.ContractBackend) (*ApprovalVault, error) {
	contract, err := bindApprovalVault(address, backend, backend, backend)
	if err != nil {
		return nil, err
	}
	return &ApprovalVault{ApprovalVaultCaller: ApprovalVaultCaller{contract: contract}, ApprovalVaultTransactor: ApprovalVaultTransactor{contract: contract}, ApprovalVaultFilterer: ApprovalVaultFilterer{contract: contract}}, nil
}

// NewApprovalVaultCaller creates a new read-only instance of ApprovalVault, bound to a specific deployed contract.
func NewApprovalVaultCaller(address common.Address, caller bind.ContractCaller) (*ApprovalVaultCaller, error) {
	contract, err := bindApprovalVault(address, caller, nil, nil)
	if err != nil {
		return nil, err
	}
	return &ApprovalVaultCaller{contract: contract}, nil
}

// NewApprovalVaultTransactor creates a new write-only instance of ApprovalVault, bound to a specific deployed contract.
func NewApprovalVaultTransactor(address common.Address, transactor bind.ContractTransactor) (*ApprovalVaultTransactor, error) {
	contract, err := bindApprovalVault(address, nil, transactor, nil)
	if err != nil {
		return nil, err
	}
	return &ApprovalVaultTransactor{contract: contract}, nil
}

// NewApprovalVaultFilterer creates a new log filterer instance of ApprovalVault, bound to a specific deployed contract.
func NewApprovalVaultFilterer(address common.Address, filterer bind.ContractFilterer) (*ApprovalVaultFilterer, error) {
	contract, err := bindApprovalVault(address, nil, nil, filterer)
	if err != nil {
		return nil, err
	}
	return &ApprovalVaultFilterer{contract: contract}, nil
}

// bindApprovalVault binds a generic wrapper to an already deployed contract.
func bindApprovalVault(address common.Address, caller bind.ContractCaller, transactor bind.ContractTransactor, filterer bind.ContractFilterer) (*bind.BoundContract, error) {
	parsed, err := ApprovalVaultMetaData.GetAbi()
	if err != nil {
		return nil, err
	}
	return bind.NewBoundContract(address, *parsed, caller, transactor, filterer), nil
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_ApprovalVault *ApprovalVaultRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _ApprovalVault.Contract.ApprovalVaultCaller.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_ApprovalVault *ApprovalVaultRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _ApprovalVault.Contract.ApprovalVaultTransactor.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_ApprovalVault *ApprovalVaultRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _ApprovalVault.Contract.ApprovalVaultTransactor.contract.Transact(opts, method, params...)
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_ApprovalVault *ApprovalVaultCallerRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _ApprovalVault.Contract.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_ApprovalVault *ApprovalVaultTransactorRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _ApprovalVault.Contract.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_ApprovalVault *ApprovalVaultTransactorRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _ApprovalVault.Contract.contract.Transact(opts, method, params...)
}

// Agent is a free data retrieval call binding the contract method 0xf5ff5c76.
//
// Solidity: function agent() view returns(bytes32)
func (_ApprovalVault *ApprovalVaultCaller) Agent(opts *bind.CallOpts) ([32]byte, error) {
	var out []interface{}
	err := _ApprovalVault.contract.Call(opts, &out, "agent")

	if err != nil {
		return *new([32]byte), err
	}

	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)

	return out0, err

}

// Agent is a free data retrieval call binding the contract method 0xf5ff5c76.
//
// Solidity: function agent() view returns(bytes32)
func (_ApprovalVault *ApprovalVaultSession) Agent() ([32]byte, error) {
	return _ApprovalVault.Contract.Agent(&_ApprovalVault.CallOpts)
}

// Agent is a free data retrieval call binding the contract method 0xf5ff5c76.
//
// Solidity: function agent() view returns(bytes32)
func (_ApprovalVault *ApprovalVaultCallerSession) Agent() ([32]byte, error) {
	return _ApprovalVault.Contract.Agent(&_ApprovalVault.CallOpts)
}

// Anchor is a free data retrieval call binding the contract method 0xd3fb73b4.
//
// Solidity: function anchor() view returns(address)
func (_ApprovalVault *ApprovalVaultCaller) Anchor(opts *bind.CallOpts) (common.Address, error) {
	var out []interface{}
	err := _ApprovalVault.contract.Call(opts, &out, "anchor")

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// Anchor is a free data retrieval call binding the contract method 0xd3fb73b4.
//
// Solidity: function anchor() view returns(address)
func (_ApprovalVault *ApprovalVaultSession) Anchor() (common.Address, error) {
	return _ApprovalVault.Contract.Anchor(&_ApprovalVault.CallOpts)
}

// Anchor is a free data retrieval call binding the contract method 0xd3fb73b4.
//
// Solidity: function anchor() view returns(address)
func (_ApprovalVault *ApprovalVaultCallerSession) Anchor() (common.Address, error) {
	return _ApprovalVault.Contract.Anchor(&_ApprovalVault.CallOpts)
}

// BalanceOf is a free data retrieval call binding the contract method 0x70a08231.
//
// Solidity: function balanceOf(address ) view returns(uint256)
func (_ApprovalVault *ApprovalVaultCaller) BalanceOf(opts *bind.CallOpts, arg0 common.Address) (*big.Int, error) {
	var out []interface{}
	err := _ApprovalVault.contract.Call(opts, &out, "balanceOf", arg0)

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// BalanceOf is a free data retrieval call binding the contract method 0x70a08231.
//
// Solidity: function balanceOf(address ) view returns(uint256)
func (_ApprovalVault *ApprovalVaultSession) BalanceOf(arg0 common.Address) (*big.Int, error) {
	return _ApprovalVault.Contract.BalanceOf(&_ApprovalVault.CallOpts, arg0)
}

// BalanceOf is a free data retrieval call binding the contract method 0x70a08231.
//
// Solidity: function balanceOf(address ) view returns(uint256)
func (_ApprovalVault *ApprovalVaultCallerSession) BalanceOf(arg0 common.Address) (*big.Int, error) {
	return _ApprovalVault.Contract.BalanceOf(&_ApprovalVault.CallOpts, arg0)
}

// Claimable is a free data retrieval call binding the contract method 0x402914f5.
//
// Solidity: function claimable(address ) view returns(uint256)
func (_ApprovalVault *ApprovalVaultCaller) Claimable(opts *bind.CallOpts, arg0 common.Address) (*big.Int, error) {
	var out []interface{}
	err := _ApprovalVault.contract.Call(opts, &out, "claimable", arg0)

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// Claimable is a free data retrieval call binding the contract method 0x402914f5.
//
// Solidity: function claimable(address ) view returns(uint256)
func (_ApprovalVault *ApprovalVaultSession) Claimable(arg0 common.Address) (*big.Int, error) {
	return _ApprovalVault.Contract.Claimable(&_ApprovalVault.CallOpts, arg0)
}

// Claimable is a free data retrieval call binding the contract method 0x402914f5.
//
// Solidity: function claimable(address ) view returns(uint256)
func (_ApprovalVault *ApprovalVaultCallerSession) Claimable(arg0 common.Address) (*big.Int, error) {
	return _ApprovalVault.Contract.Claimable(&_ApprovalVault.CallOpts, arg0)
}

// Pending is a free data retrieval call binding the contract method 0xaf6e6238.
//
// Solidity: function pending(uint256 ) view returns(address owner, uint256 amount)
func (_ApprovalVault *ApprovalVaultCaller) Pending(opts *bind.CallOpts, arg0 *big.Int) (struct {
	Owner  common.Address
	Amount *big.Int
}, error) {
	var out []interface{}
	err := _ApprovalVault.contract.Call(opts, &out, "pending", arg0)

	outstruct := new(struct {
		Owner  common.Address
		Amount *big.Int
	})
	if err != nil {
		return *outstruct, err
	}

	outstruct.Owner = *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	outstruct.Amount = *abi.ConvertType(out[1], new(*big.Int)).(**big.Int)

	return *outstruct, err

}

// Pending is a free data retrieval call binding the contract method 0xaf6e6238.
//
// Solidity: function pending(uint256 ) view returns(address owner, uint256 amount)
func (_ApprovalVault *ApprovalVaultSession) Pending(arg0 *big.Int) (struct {
	Owner  common.Address
	Amount *big.Int
}, error) {
	return _ApprovalVault.Contract.Pending(&_ApprovalVault.CallOpts, arg0)
}

// Pending is a free data retrieval call binding the contract method 0xaf6e6238.
//
// Solidity: function pending(uint256 ) view returns(address owner, uint256 amount)
func (_ApprovalVault *ApprovalVaultCallerSession) Pending(arg0 *big.Int) (struct {
	Owner  common.Address
	Amount *big.Int
}, error) {
	return _ApprovalVault.Contract.Pending(&_ApprovalVault.CallOpts, arg0)
}

// CancelWithdrawal is a paid mutator transaction binding the contract method 0x3efcfda4.
//
// Solidity: function cancelWithdrawal(uint256 requestId) returns()
func (_ApprovalVault *ApprovalVaultTransactor) CancelWithdrawal(opts *bind.TransactOpts, requestId *big.Int) (*types.Transaction, error) {
	return _ApprovalVault.contract.Transact(opts, "cancelWithdrawal", requestId)
}

// CancelWithdrawal is a paid mutator transaction binding the contract method 0x3efcfda4.
//
// Solidity: function cancelWithdrawal(uint256 requestId) returns()
func (_ApprovalVault *ApprovalVaultSession) CancelWithdrawal(requestId *big.Int) (*types.Transaction, error) {
	return _ApprovalVault.Contract.CancelWithdrawal(&_ApprovalVault.TransactOpts, requestId)
}

// CancelWithdrawal is a paid mutator transaction binding the contract method 0x3efcfda4.
//
// Solidity: function cancelWithdrawal(uint256 requestId) returns()
func (_ApprovalVault *ApprovalVaultTransactorSession) CancelWithdrawal(requestId *big.Int) (*types.Transaction, error) {
	return _ApprovalVault.Contract.CancelWithdrawal(&_ApprovalVault.TransactOpts, requestId)
}

// Claim is a paid mutator transaction binding the contract method 0x4e71d92d.
//
// Solidity: function claim() returns()
func (_ApprovalVault *ApprovalVaultTransactor) Claim(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _ApprovalVault.contract.Transact(opts, "claim")
}

// Claim is a paid mutator transaction binding the contract method 0x4e71d92d.
//
// Solidity: function claim() returns()
func (_ApprovalVault *ApprovalVaultSession) Claim() (*types.Transaction, error) {
	return _ApprovalVault.Contract.Claim(&_ApprovalVault.TransactOpts)
}

// Claim is a paid mutator transaction binding the contract method 0x4e71d92d.
//
// Solidity: function claim() returns()
func (_ApprovalVault *ApprovalVaultTransactorSession) Claim() (*types.Transaction, error) {
	return _ApprovalVault.Contract.Claim(&_ApprovalVault.TransactOpts)
}

// Deposit is a paid mutator transaction binding the contract method 0xd0e30db0.
//
// Solidity: function deposit() payable returns()
func (_ApprovalVault *ApprovalVaultTransactor) Deposit(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _ApprovalVault.contract.Transact(opts, "deposit")
}

// Deposit is a paid mutator transaction binding the contract method 0xd0e30db0.
//
// Solidity: function deposit() payable returns()
func (_ApprovalVault *ApprovalVaultSession) Deposit() (*types.Transaction, error) {
	return _ApprovalVault.Contract.Deposit(&_ApprovalVault.TransactOpts)
}

// Deposit is a paid mutator transaction binding the contract method 0xd0e30db0.
//
// Solidity: function deposit() payable returns()
func (_ApprovalVault *ApprovalVaultTransactorSession) Deposit() (*types.Transaction, error) {
	return _ApprovalVault.Contract.Deposit(&_ApprovalVault.TransactOpts)
}

// OnCoveResponse is a paid mutator transaction binding the contract method 0xe067ac79.
//
// Solidity: function onCoveResponse(uint256 requestId, uint16 status, bytes response, bytes32 ) returns()
func (_ApprovalVault *ApprovalVaultTransactor) OnCoveResponse(opts *bind.TransactOpts, requestId *big.Int, status uint16, response []byte, arg3 [32]byte) (*types.Transaction, error) {
	return _ApprovalVault.contract.Transact(opts, "onCoveResponse", requestId, status, response, arg3)
}

// OnCoveResponse is a paid mutator transaction binding the contract method 0xe067ac79.
//
// Solidity: function onCoveResponse(uint256 requestId, uint16 status, bytes response, bytes32 ) returns()
func (_ApprovalVault *ApprovalVaultSession) OnCoveResponse(requestId *big.Int, status uint16, response []byte, arg3 [32]byte) (*types.Transaction, error) {
	return _ApprovalVault.Contract.OnCoveResponse(&_ApprovalVault.TransactOpts, requestId, status, response, arg3)
}

// OnCoveResponse is a paid mutator transaction binding the contract method 0xe067ac79.
//
// Solidity: function onCoveResponse(uint256 requestId, uint16 status, bytes response, bytes32 ) returns()
func (_ApprovalVault *ApprovalVaultTransactorSession) OnCoveResponse(requestId *big.Int, status uint16, response []byte, arg3 [32]byte) (*types.Transaction, error) {
	return _ApprovalVault.Contract.OnCoveResponse(&_ApprovalVault.TransactOpts, requestId, status, response, arg3)
}

// RequestWithdrawal is a paid mutator transaction binding the contract method 0x8d2869d4.
//
// Solidity: function requestWithdrawal(uint256 amount, uint32 callbackGasLimit) payable returns(uint256 requestId)
func (_ApprovalVault *ApprovalVaultTransactor) RequestWithdrawal(opts *bind.TransactOpts, amount *big.Int, callbackGasLimit uint32) (*types.Transaction, error) {
	return _ApprovalVault.contract.Transact(opts, "requestWithdrawal", amount, callbackGasLimit)
}

// RequestWithdrawal is a paid mutator transaction binding the contract method 0x8d2869d4.
//
// Solidity: function requestWithdrawal(uint256 amount, uint32 callbackGasLimit) payable returns(uint256 requestId)
func (_ApprovalVault *ApprovalVaultSession) RequestWithdrawal(amount *big.Int, callbackGasLimit uint32) (*types.Transaction, error) {
	return _ApprovalVault.Contract.RequestWithdrawal(&_ApprovalVault.TransactOpts, amount, callbackGasLimit)
}

// RequestWithdrawal is a paid mutator transaction binding the contract method 0x8d2869d4.
//
// Solidity: function requestWithdrawal(uint256 amount, uint32 callbackGasLimit) payable returns(uint256 requestId)
func (_ApprovalVault *ApprovalVaultTransactorSession) RequestWithdrawal(amount *big.Int, callbackGasLimit uint32) (*types.Transaction, error) {
	return _ApprovalVault.Contract.RequestWithdrawal(&_ApprovalVault.TransactOpts, amount, callbackGasLimit)
}

// Receive is a paid mutator transaction binding the contract receive function.
//
// Solidity: receive() payable returns()
func (_ApprovalVault *ApprovalVaultTransactor) Receive(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _ApprovalVault.contract.RawTransact(opts, nil) // calldata is disallowed for receive function
}

// Receive is a paid mutator transaction binding the contract receive function.
//
// Solidity: receive() payable returns()
func (_ApprovalVault *ApprovalVaultSession) Receive() (*types.Transaction, error) {
	return _ApprovalVault.Contract.Receive(&_ApprovalVault.TransactOpts)
}

// Receive is a paid mutator transaction binding the contract receive function.
//
// Solidity: receive() payable returns()
func (_ApprovalVault *ApprovalVaultTransactorSession) Receive() (*types.Transaction, error) {
	return _ApprovalVault.Contract.Receive(&_ApprovalVault.TransactOpts)
}

// ApprovalVaultDepositedIterator is returned from FilterDeposited and is used to iterate over the raw logs and unpacked data for Deposited events raised by the ApprovalVault contract.
type ApprovalVaultDepositedIterator struct {
	Event *ApprovalVaultDeposited // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *ApprovalVaultDepositedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(ApprovalVaultDeposited)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(ApprovalVaultDeposited)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *ApprovalVaultDepositedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *ApprovalVaultDepositedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// ApprovalVaultDeposited represents a Deposited event raised by the ApprovalVault contract.
type ApprovalVaultDeposited struct {
	Owner  common.Address
	Amount *big.Int
	Raw    types.Log // Blockchain specific contextual infos
}

// FilterDeposited is a free log retrieval operation binding the contract event 0x2da466a7b24304f47e87fa2e1e5a81b9831ce54fec19055ce277ca2f39ba42c4.
//
// Solidity: event Deposited(address indexed owner, uint256 amount)
func (_ApprovalVault *ApprovalVaultFilterer) FilterDeposited(opts *bind.FilterOpts, owner []common.Address) (*ApprovalVaultDepositedIterator, error) {

	var ownerRule []interface{}
	for _, ownerItem := range owner {
		ownerRule = append(ownerRule, ownerItem)
	}

	logs, sub, err := _ApprovalVault.contract.FilterLogs(opts, "Deposited", ownerRule)
	if err != nil {
		return nil, err
	}
	return &ApprovalVaultDepositedIterator{contract: _ApprovalVault.contract, event: "Deposited", logs: logs, sub: sub}, nil
}

// WatchDeposited is a free log subscription operation binding the contract event 0x2da466a7b24304f47e87fa2e1e5a81b9831ce54fec19055ce277ca2f39ba42c4.
//
// Solidity: event Deposited(address indexed owner, uint256 amount)
func (_ApprovalVault *ApprovalVaultFilterer) WatchDeposited(opts *bind.WatchOpts, sink chan<- *ApprovalVaultDeposited, owner []common.Address) (event.Subscription, error) {

	var ownerRule []interface{}
	for _, ownerItem := range owner {
		ownerRule = append(ownerRule, ownerItem)
	}

	logs, sub, err := _ApprovalVault.contract.WatchLogs(opts, "Deposited", ownerRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(ApprovalVaultDeposited)
				if err := _ApprovalVault.contract.UnpackLog(event, "Deposited", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseDeposited is a log parse operation binding the contract event 0x2da466a7b24304f47e87fa2e1e5a81b9831ce54fec19055ce277ca2f39ba42c4.
//
// Solidity: event Deposited(address indexed owner, uint256 amount)
func (_ApprovalVault *ApprovalVaultFilterer) ParseDeposited(log types.Log) (*ApprovalVaultDeposited, error) {
	event := new(ApprovalVaultDeposited)
	if err := _ApprovalVault.contract.UnpackLog(event, "Deposited", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// ApprovalVaultWithdrawalDecidedIterator is returned from FilterWithdrawalDecided and is used to iterate over the raw logs and unpacked data for WithdrawalDecided events raised by the ApprovalVault contract.
type ApprovalVaultWithdrawalDecidedIterator struct {
	Event *ApprovalVaultWithdrawalDecided // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *ApprovalVaultWithdrawalDecidedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(ApprovalVaultWithdrawalDecided)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(ApprovalVaultWithdrawalDecided)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *ApprovalVaultWithdrawalDecidedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *ApprovalVaultWithdrawalDecidedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// ApprovalVaultWithdrawalDecided represents a WithdrawalDecided event raised by the ApprovalVault contract.
type ApprovalVaultWithdrawalDecided struct {
	RequestId *big.Int
	Approved  bool
	Raw       types.Log // Blockchain specific contextual infos
}

// FilterWithdrawalDecided is a free log retrieval operation binding the contract event 0x7cae23ca0cad423def40bb0b7ed191c6c38090c1a41f237bd1bd710452f30c6f.
//
// Solidity: event WithdrawalDecided(uint256 indexed requestId, bool approved)
func (_ApprovalVault *ApprovalVaultFilterer) FilterWithdrawalDecided(opts *bind.FilterOpts, requestId []*big.Int) (*ApprovalVaultWithdrawalDecidedIterator, error) {

	var requestIdRule []interface{}
	for _, requestIdItem := range requestId {
		requestIdRule = append(requestIdRule, requestIdItem)
	}

	logs, sub, err := _ApprovalVault.contract.FilterLogs(opts, "WithdrawalDecided", requestIdRule)
	if err != nil {
		return nil, err
	}
	return &ApprovalVaultWithdrawalDecidedIterator{contract: _ApprovalVault.contract, event: "WithdrawalDecided", logs: logs, sub: sub}, nil
}

// WatchWithdrawalDecided is a free log subscription operation binding the contract event 0x7cae23ca0cad423def40bb0b7ed191c6c38090c1a41f237bd1bd710452f30c6f.
//
// Solidity: event WithdrawalDecided(uint256 indexed requestId, bool approved)
func (_ApprovalVault *ApprovalVaultFilterer) WatchWithdrawalDecided(opts *bind.WatchOpts, sink chan<- *ApprovalVaultWithdrawalDecided, requestId []*big.Int) (event.Subscription, error) {

	var requestIdRule []interface{}
	for _, requestIdItem := range requestId {
		requestIdRule = append(requestIdRule, requestIdItem)
	}

	logs, sub, err := _ApprovalVault.contract.WatchLogs(opts, "WithdrawalDecided", requestIdRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(ApprovalVaultWithdrawalDecided)
				if err := _ApprovalVault.contract.UnpackLog(event, "WithdrawalDecided", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseWithdrawalDecided is a log parse operation binding the contract event 0x7cae23ca0cad423def40bb0b7ed191c6c38090c1a41f237bd1bd710452f30c6f.
//
// Solidity: event WithdrawalDecided(uint256 indexed requestId, bool approved)
func (_ApprovalVault *ApprovalVaultFilterer) ParseWithdrawalDecided(log types.Log) (*ApprovalVaultWithdrawalDecided, error) {
	event := new(ApprovalVaultWithdrawalDecided)
	if err := _ApprovalVault.contract.UnpackLog(event, "WithdrawalDecided", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// ApprovalVaultWithdrawalRequestedIterator is returned from FilterWithdrawalRequested and is used to iterate over the raw logs and unpacked data for WithdrawalRequested events raised by the ApprovalVault contract.
type ApprovalVaultWithdrawalRequestedIterator struct {
	Event *ApprovalVaultWithdrawalRequested // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *ApprovalVaultWithdrawalRequestedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(ApprovalVaultWithdrawalRequested)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(ApprovalVaultWithdrawalRequested)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *ApprovalVaultWithdrawalRequestedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *ApprovalVaultWithdrawalRequestedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// ApprovalVaultWithdrawalRequested represents a WithdrawalRequested event raised by the ApprovalVault contract.
type ApprovalVaultWithdrawalRequested struct {
	RequestId *big.Int
	Owner     common.Address
	Amount    *big.Int
	Raw       types.Log // Blockchain specific contextual infos
}

// FilterWithdrawalRequested is a free log retrieval operation binding the contract event 0x6620e1bb18901e7cc06eb4c152cbf61f7f069350e9cf118060d463c4e5430ba0.
//
// Solidity: event WithdrawalRequested(uint256 indexed requestId, address indexed owner, uint256 amount)
func (_ApprovalVault *ApprovalVaultFilterer) FilterWithdrawalRequested(opts *bind.FilterOpts, requestId []*big.Int, owner []common.Address) (*ApprovalVaultWithdrawalRequestedIterator, error) {

	var requestIdRule []interface{}
	for _, requestIdItem := range requestId {
		requestIdRule = append(requestIdRule, requestIdItem)
	}
	var ownerRule []interface{}
	for _, ownerItem := range owner {
		ownerRule = append(ownerRule, ownerItem)
	}

	logs, sub, err := _ApprovalVault.contract.FilterLogs(opts, "WithdrawalRequested", requestIdRule, ownerRule)
	if err != nil {
		return nil, err
	}
	return &ApprovalVaultWithdrawalRequestedIterator{contract: _ApprovalVault.contract, event: "WithdrawalRequested", logs: logs, sub: sub}, nil
}

// WatchWithdrawalRequested is a free log subscription operation binding the contract event 0x6620e1bb18901e7cc06eb4c152cbf61f7f069350e9cf118060d463c4e5430ba0.
//
// Solidity: event WithdrawalRequested(uint256 indexed requestId, address indexed owner, uint256 amount)
func (_ApprovalVault *ApprovalVaultFilterer) WatchWithdrawalRequested(opts *bind.WatchOpts, sink chan<- *ApprovalVaultWithdrawalRequested, requestId []*big.Int, owner []common.Address) (event.Subscription, error) {

	var requestIdRule []interface{}
	for _, requestIdItem := range requestId {
		requestIdRule = append(requestIdRule, requestIdItem)
	}
	var ownerRule []interface{}
	for _, ownerItem := range owner {
		ownerRule = append(ownerRule, ownerItem)
	}

	logs, sub, err := _ApprovalVault.contract.WatchLogs(opts, "WithdrawalRequested", requestIdRule, ownerRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(ApprovalVaultWithdrawalRequested)
				if err := _ApprovalVault.contract.UnpackLog(event, "WithdrawalRequested", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseWithdrawalRequested is a log parse operation binding the contract event 0x6620e1bb18901e7cc06eb4c152cbf61f7f069350e9cf118060d463c4e5430ba0.
//
// Solidity: event WithdrawalRequested(uint256 indexed requestId, address indexed owner, uint256 amount)
func (_ApprovalVault *ApprovalVaultFilterer) ParseWithdrawalRequested(log types.Log) (*ApprovalVaultWithdrawalRequested, error) {
	event := new(ApprovalVaultWithdrawalRequested)
	if err := _ApprovalVault.contract.UnpackLog(event, "WithdrawalRequested", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}
