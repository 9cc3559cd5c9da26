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

// PriceConsumerMetaData contains all meta data concerning the PriceConsumer contract.
var PriceConsumerMetaData = &bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"contractICoveAnchor\",\"name\":\"anchor_\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"agent_\",\"type\":\"bytes32\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"NotAnchor\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"NotOwner\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"uint16\",\"name\":\"status\",\"type\":\"uint16\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"length\",\"type\":\"uint256\"}],\"name\":\"Answered\",\"type\":\"event\"},{\"inputs\":[],\"name\":\"agent\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"anchor\",\"outputs\":[{\"internalType\":\"contractICoveAnchor\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"string\",\"name\":\"path\",\"type\":\"string\"},{\"internalType\":\"bytes\",\"name\":\"body\",\"type\":\"bytes\"},{\"internalType\":\"uint32\",\"name\":\"callbackGasLimit\",\"type\":\"uint32\"}],\"name\":\"ask\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"payable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"name\":\"cancel\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"lastCodeHash\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"lastRequestId\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"lastResponse\",\"outputs\":[{\"internalType\":\"bytes\",\"name\":\"\",\"type\":\"bytes\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"lastStatus\",\"outputs\":[{\"internalType\":\"uint16\",\"name\":\"\",\"type\":\"uint16\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"},{\"internalType\":\"uint16\",\"name\":\"status\",\"type\":\"uint16\"},{\"internalType\":\"bytes\",\"name\":\"response\",\"type\":\"bytes\"},{\"internalType\":\"bytes32\",\"name\":\"codeHash\",\"type\":\"bytes32\"}],\"name\":\"onCoveResponse\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"owner\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"stateMutability\":\"payable\",\"type\":\"receive\"}]",
	Bin: "0x60e060405234801561000f575f5ffd5b506040516109a83803806109a883398101604081905261002e91610048565b6001600160a01b0390911660805260a0523360c05261007f565b5f5f60408385031215610059575f5ffd5b82516001600160a01b038116811461006f575f5ffd5b6020939093015192949293505050565b60805160a05160c0516108d66100d25f395f818160f90152818161023a015261038f01525f81816101e4015261041501525f818161016501528181610295015281816103e6015261049d01526108d65ff3fe608060405260043610610092575f3560e01c8063d6d8671211610057578063d6d8671214610187578063e067ac79146101b4578063f5ff5c76146101d3578063f8a01f5e14610206578063fc2a88c31461021b575f5ffd5b806340e58ee51461009d57806362747e42146100be5780638da5cb5b146100e8578063b50148f414610133578063d3fb73b414610154575f5ffd5b3661009957005b5f5ffd5b3480156100a8575f5ffd5b506100bc6100b736600461054b565b61022f565b005b3480156100c9575f5ffd5b506100d26102f7565b6040516100df9190610562565b60405180910390f35b3480156100f3575f5ffd5b5061011b7f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b0390911681526020016100df565b6101466101413660046105dc565b610383565b6040519081526020016100df565b34801561015f575f5ffd5b5061011b7f000000000000000000000000000000000000000000000000000000000000000081565b348015610192575f5ffd5b506001546101a19061ffff1681565b60405161ffff90911681526020016100df565b3480156101bf575f5ffd5b506100bc6101ce366004610667565b610492565b3480156101de575f5ffd5b506101467f000000000000000000000000000000000000000000000000000000000000000081565b348015610211575f5ffd5b5061014660035481565b348015610226575f5ffd5b506101465f5481565b336001600160a01b037f0000000000000000000000000000000000000000000000000000000000000000161461027f5760405163245aecd360e01b81523360048201526024015b60405180910390fd5b6040516340e58ee560e01b8152600481018290527f00000000000000000000000000000000000000000000000000000000000000006001600160a01b0316906340e58ee5906024015f604051808303815f87803b1580156102de575f5ffd5b505af11580156102f0573d5f5f3e3d5ffd5b5050505050565b60028054610304906106cc565b80601f0160208091040260200160405190810160405280929190818152602001828054610330906106cc565b801561037b5780601f106103525761010080835404028352916020019161037b565b820191905f5260205f20905b81548152906001019060200180831161035e57829003601f168201915b505050505081565b5f336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146103cf5760405163245aecd360e01b8152336004820152602401610276565b6040516305f3ad6760e11b81526001600160a01b037f00000000000000000000000000000000000000000000000000000000000000001690630be75ace903490610447907f0000000000000000000000000000000000000000000000000000000000000000908b908b908b908b908b9060040161072c565b60206040518083038185885af1158015610463573d5f5f3e3d5ffd5b50505050506040513d601f19601f820116820180604052508101906104889190610772565b9695505050505050565b336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146104dd57604051635154299560e11b8152336004820152602401610276565b5f8590556001805461ffff191661ffff861617905560026104ff8385836107e6565b5060038190556040805161ffff861681526020810184905286917f1da00fdddac466e94d53d9647012cf402cfe935876259736f5dca72cc525cd96910160405180910390a25050505050565b5f6020828403121561055b575f5ffd5b5035919050565b602081525f82518060208401528060208501604085015e5f604082850101526040601f19601f83011684010191505092915050565b5f5f83601f8401126105a7575f5ffd5b50813567ffffffffffffffff8111156105be575f5ffd5b6020830191508360208285010111156105d5575f5ffd5b9250929050565b5f5f5f5f5f606086880312156105f0575f5ffd5b853567ffffffffffffffff811115610606575f5ffd5b61061288828901610597565b909650945050602086013567ffffffffffffffff811115610631575f5ffd5b61063d88828901610597565b909450925050604086013563ffffffff81168114610659575f5ffd5b809150509295509295909350565b5f5f5f5f5f6080868803121561067b575f5ffd5b85359450602086013561ffff81168114610693575f5ffd5b9350604086013567ffffffffffffffff8111156106ae575f5ffd5b6106ba88828901610597565b96999598509660600135949350505050565b600181811c908216806106e057607f821691505b6020821081036106fe57634e487b7160e01b5f52602260045260245ffd5b50919050565b81835281816020850137505f828201602090810191909152601f909101601f19169091010190565b868152608060208201525f610745608083018789610704565b8281036040840152610758818688610704565b91505063ffffffff83166060830152979650505050505050565b5f60208284031215610782575f5ffd5b5051919050565b634e487b7160e01b5f52604160045260245ffd5b601f8211156107e157805f5260205f20601f840160051c810160208510156107c25750805b601f840160051c820191505b818110156102f0575f81556001016107ce565b505050565b67ffffffffffffffff8311156107fe576107fe610789565b6108128361080c83546106cc565b8361079d565b5f601f841160018114610843575f851561082c5750838201355b5f19600387901b1c1916600186901b1783556102f0565b5f83815260208120601f198716915b828110156108725786850135825560209485019460019092019101610852565b508682101561088e575f1960f88860031b161c19848701351681555b505060018560011b018355505050505056fea2646970667358221220efa4822de7c6faa9f70b361dfbacd5ab5890f5a3a22f670a6bd9bfc2686b640b64736f6c634300081c0033",
}

// PriceConsumerABI is the input ABI used to generate the binding from.
// Deprecated: Use PriceConsumerMetaData.ABI instead.
var PriceConsumerABI = PriceConsumerMetaData.ABI

// PriceConsumerBin is the compiled bytecode used for deploying new contracts.
// Deprecated: Use PriceConsumerMetaData.Bin instead.
var PriceConsumerBin = PriceConsumerMetaData.Bin

// DeployPriceConsumer deploys a new Ethereum contract, binding an instance of PriceConsumer to it.
func DeployPriceConsumer(auth *bind.TransactOpts, backend bind.ContractBackend, anchor_ common.Address, agent_ [32]byte) (common.Address, *types.Transaction, *PriceConsumer, error) {
	parsed, err := PriceConsumerMetaData.GetAbi()
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	if parsed == nil {
		return common.Address{}, nil, nil, errors.New("GetABI returned nil")
	}

	address, tx, contract, err := bind.DeployContract(auth, *parsed, common.FromHex(PriceConsumerBin), backend, anchor_, agent_)
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	return address, tx, &PriceConsumer{PriceConsumerCaller: PriceConsumerCaller{contract: contract}, PriceConsumerTransactor: PriceConsumerTransactor{contract: contract}, PriceConsumerFilterer: PriceConsumerFilterer{contract: contract}}, nil
}

// PriceConsumer is an auto generated Go binding around an Ethereum contract.
type PriceConsumer struct {
	PriceConsumerCaller     // Read-only binding to the contract
	PriceConsumerTransactor // Write-only binding to the contract
	PriceConsumerFilterer   // Log filterer for contract events
}

// PriceConsumerCaller is an auto generated read-only Go binding around an Ethereum contract.
type PriceConsumerCaller struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// PriceConsumerTransactor is an auto generated write-only Go binding around an Ethereum contract.
type PriceConsumerTransactor struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// PriceConsumerFilterer is an auto generated log filtering Go binding around an Ethereum contract events.
type PriceConsumerFilterer struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// PriceConsumerSession is an auto generated Go binding around an Ethereum contract,
// with pre-set call and transact options.
type PriceConsumerSession struct {
	Contract     *PriceConsumer    // Generic contract binding to set the session for
	CallOpts     bind.CallOpts     // Call options to use throughout this session
	TransactOpts bind.TransactOpts // Transaction auth options to use throughout this session
}

// PriceConsumerCallerSession is an auto generated read-only Go binding around an Ethereum contract,
// with pre-set call options.
type PriceConsumerCallerSession struct {
	Contract *PriceConsumerCaller // Generic contract caller binding to set the session for
	CallOpts bind.CallOpts        // Call options to use throughout this session
}

// PriceConsumerTransactorSession is an auto generated write-only Go binding around an Ethereum contract,
// with pre-set transact options.
type PriceConsumerTransactorSession struct {
	Contract     *PriceConsumerTransactor // Generic contract transactor binding to set the session for
	TransactOpts bind.TransactOpts        // Transaction auth options to use throughout this session
}

// PriceConsumerRaw is an auto generated low-level Go binding around an Ethereum contract.
type PriceConsumerRaw struct {
	Contract *PriceConsumer // Generic contract binding to access the raw methods on
}

// PriceConsumerCallerRaw is an auto generated low-level read-only Go binding around an Ethereum contract.
type PriceConsumerCallerRaw struct {
	Contract *PriceConsumerCaller // Generic read-only contract binding to access the raw methods on
}

// PriceConsumerTransactorRaw is an auto generated low-level write-only Go binding around an Ethereum contract.
type PriceConsumerTransactorRaw struct {
	Contract *PriceConsumerTransactor // Generic write-only contract binding to access the raw methods on
}

// NewPriceConsumer creates a new instance of PriceConsumer, bound to a specific deployed contract.
func NewPriceConsumer(address common.Address, backend bind.ContractBackend) (*PriceConsumer, error) {
	contract, err := bindPriceConsumer(address, backend, backend, backend)
	if err != nil {
		return nil, err
	}
	return &PriceConsumer{PriceConsumerCaller: PriceConsumerCaller{contract: contract}, PriceConsumerTransactor: PriceConsumerTransactor{contract: contract}, PriceConsumerFilterer: PriceConsumerFilterer{contract: contract}}, nil
}

// NewPriceConsumerCaller creates a new read-only instance of PriceConsumer, bound to a specific deployed contract.
func NewPriceConsumerCaller(address common.Address, caller bind.ContractCaller) (*PriceConsumerCaller, error) {
	contract, err := bindPriceConsumer(address, caller, nil, nil)
	if err != nil {
		return nil, err
	}
	return &PriceConsumerCaller{contract: contract}, nil
}

// NewPriceConsumerTransactor creates a new write-only instance of PriceConsumer, bound to a specific deployed contract.
func NewPriceConsumerTransactor(address common.Address, transactor bind.ContractTransactor) (*PriceConsumerTransactor, error) {
	contract, err := bindPriceConsumer(address, nil, transactor, nil)
	if err != nil {
		return nil, err
	}
	return &PriceConsumerTransactor{contract: contract}, nil
}

// NewPriceConsumerFilterer creates a new log filterer instance of PriceConsumer, bound to a specific deployed contract.
func NewPriceConsumerFilterer(address common.Address, filterer bind.ContractFilterer) (*PriceConsumerFilterer, error) {
	contract, err := bindPriceConsumer(address, nil, nil, filterer)
	if err != nil {
		return nil, err
	}
	return &PriceConsumerFilterer{contract: contract}, nil
}

// bindPriceConsumer binds a generic wrapper to an already deployed contract.
func bindPriceConsumer(address common.Address, caller bind.ContractCaller, transactor bind.ContractTransactor, filterer bind.ContractFilterer) (*bind.BoundContract, error) {
	parsed, err := PriceConsumerMetaData.GetAbi()
	if err != nil {
		return nil, err
	}
	return bind.NewBoundContract(address, *parsed, caller, transactor, filterer), nil
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_PriceConsumer *PriceConsumerRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _PriceConsumer.Contract.PriceConsumerCaller.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_PriceConsumer *PriceConsumerRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _PriceConsumer.Contract.PriceConsumerTransactor.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_PriceConsumer *PriceConsumerRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _PriceConsumer.Contract.PriceConsumerTransactor.contract.Transact(opts, method, params...)
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_PriceConsumer *PriceConsumerCallerRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _PriceConsumer.Contract.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_PriceConsumer *PriceConsumerTransactorRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _PriceConsumer.Contract.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_PriceConsumer *PriceConsumerTransactorRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _PriceConsumer.Contract.contract.Transact(opts, method, params...)
}

// Agent is a free data retrieval call binding the contract method 0xf5ff5c76.
//
// Solidity: function agent() view returns(bytes32)
func (_PriceConsumer *PriceConsumerCaller) Agent(opts *bind.CallOpts) ([32]byte, error) {
	var out []interface{}
	err := _PriceConsumer.contract.Call(opts, &out, "agent")

	if err != nil {
		return *new([32]byte), err
	}

	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)

	return out0, err

}

// Agent is a free data retrieval call binding the contract method 0xf5ff5c76.
//
// Solidity: function agent() view returns(bytes32)
func (_PriceConsumer *PriceConsumerSession) Agent() ([32]byte, error) {
	return _PriceConsumer.Contract.Agent(&_PriceConsumer.CallOpts)
}

// Agent is a free data retrieval call binding the contract method 0xf5ff5c76.
//
// Solidity: function agent() view returns(bytes32)
func (_PriceConsumer *PriceConsumerCallerSession) Agent() ([32]byte, error) {
	return _PriceConsumer.Contract.Agent(&_PriceConsumer.CallOpts)
}

// Anchor is a free data retrieval call binding the contract method 0xd3fb73b4.
//
// Solidity: function anchor() view returns(address)
func (_PriceConsumer *PriceConsumerCaller) Anchor(opts *bind.CallOpts) (common.Address, error) {
	var out []interface{}
	err := _PriceConsumer.contract.Call(opts, &out, "anchor")

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// Anchor is a free data retrieval call binding the contract method 0xd3fb73b4.
//
// Solidity: function anchor() view returns(address)
func (_PriceConsumer *PriceConsumerSession) Anchor() (common.Address, error) {
	return _PriceConsumer.Contract.Anchor(&_PriceConsumer.CallOpts)
}

// Anchor is a free data retrieval call binding the contract method 0xd3fb73b4.
//
// Solidity: function anchor() view returns(address)
func (_PriceConsumer *PriceConsumerCallerSession) Anchor() (common.Address, error) {
	return _PriceConsumer.Contract.Anchor(&_PriceConsumer.CallOpts)
}

// LastCodeHash is a free data retrieval call binding the contract method 0xf8a01f5e.
//
// Solidity: function lastCodeHash() view returns(bytes32)
func (_PriceConsumer *PriceConsumerCaller) LastCodeHash(opts *bind.CallOpts) ([32]byte, error) {
	var out []interface{}
	err := _PriceConsumer.contract.Call(opts, &out, "lastCodeHash")

	if err != nil {
		return *new([32]byte), err
	}

	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)

	return out0, err

}

// LastCodeHash is a free data retrieval call binding the contract method 0xf8a01f5e.
//
// Solidity: function lastCodeHash() view returns(bytes32)
func (_PriceConsumer *PriceConsumerSession) LastCodeHash() ([32]byte, error) {
	return _PriceConsumer.Contract.LastCodeHash(&_PriceConsumer.CallOpts)
}

// LastCodeHash is a free data retrieval call binding the contract method 0xf8a01f5e.
//
// Solidity: function lastCodeHash() view returns(bytes32)
func (_PriceConsumer *PriceConsumerCallerSession) LastCodeHash() ([32]byte, error) {
	return _PriceConsumer.Contract.LastCodeHash(&_PriceConsumer.CallOpts)
}

// LastRequestId is a free data retrieval call binding the contract method 0xfc2a88c3.
//
// Solidity: function lastRequestId() view returns(uint256)
func (_PriceConsumer *PriceConsumerCaller) LastRequestId(opts *bind.CallOpts) (*big.Int, error) {
	var out []interface{}
	err := _PriceConsumer.contract.Call(opts, &out, "lastRequestId")

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// LastRequestId is a free data retrieval call binding the contract method 0xfc2a88c3.
//
// Solidity: function lastRequestId() view returns(uint256)
func (_PriceConsumer *PriceConsumerSession) LastRequestId() (*big.Int, error) {
	return _PriceConsumer.Contract.LastRequestId(&_PriceConsumer.CallOpts)
}

// LastRequestId is a free data retrieval call binding the contract method 0xfc2a88c3.
//
// Solidity: function lastRequestId() view returns(uint256)
func (_PriceConsumer *PriceConsumerCallerSession) LastRequestId() (*big.Int, error) {
	return _PriceConsumer.Contract.LastRequestId(&_PriceConsumer.CallOpts)
}

// LastResponse is a free data retrieval call binding the contract method 0x62747e42.
//
// Solidity: function lastResponse() view returns(bytes)
func (_PriceConsumer *PriceConsumerCaller) LastResponse(opts *bind.CallOpts) ([]byte, error) {
	var out []interface{}
	err := _PriceConsumer.contract.Call(opts, &out, "lastResponse")

	if err != nil {
		return *new([]byte), err
	}

	out0 := *abi.ConvertType(out[0], new([]byte)).(*[]byte)

	return out0, err

}

// LastResponse is a free data retrieval call binding the contract method 0x62747e42.
//
// Solidity: function lastResponse() view returns(bytes)
func (_PriceConsumer *PriceConsumerSession) LastResponse() ([]byte, error) {
	return _PriceConsumer.Contract.LastResponse(&_PriceConsumer.CallOpts)
}

// LastResponse is a free data retrieval call binding the contract method 0x62747e42.
//
// Solidity: function lastResponse() view returns(bytes)
func (_PriceConsumer *PriceConsumerCallerSession) LastResponse() ([]byte, error) {
	return _PriceConsumer.Contract.LastResponse(&_PriceConsumer.CallOpts)
}

// LastStatus is a free data retrieval call binding the contract method 0xd6d86712.
//
// Solidity: function lastStatus() view returns(uint16)
func (_PriceConsumer *PriceConsumerCaller) LastStatus(opts *bind.CallOpts) (uint16, error) {
	var out []interface{}
	err := _PriceConsumer.contract.Call(opts, &out, "lastStatus")

	if err != nil {
		return *new(uint16), err
	}

	out0 := *abi.ConvertType(out[0], new(uint16)).(*uint16)

	return out0, err

}

// LastStatus is a free data retrieval call binding the contract method 0xd6d86712.
//
// Solidity: function lastStatus() view returns(uint16)
func (_PriceConsumer *PriceConsumerSession) LastStatus() (uint16, error) {
	return _PriceConsumer.Contract.LastStatus(&_PriceConsumer.CallOpts)
}

// LastStatus is a free data retrieval call binding the contract method 0xd6d86712.
//
// Solidity: function lastStatus() view returns(uint16)
func (_PriceConsumer *PriceConsumerCallerSession) LastStatus() (uint16, error) {
	return _PriceConsumer.Contract.LastStatus(&_PriceConsumer.CallOpts)
}

// Owner is a free data retrieval call binding the contract method 0x8da5cb5b.
//
// Solidity: function owner() view returns(address)
func (_PriceConsumer *PriceConsumerCaller) Owner(opts *bind.CallOpts) (common.Address, error) {
	var out []interface{}
	err := _PriceConsumer.contract.Call(opts, &out, "owner")

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// Owner is a free data retrieval call binding the contract method 0x8da5cb5b.
//
// Solidity: function owner() view returns(address)
func (_PriceConsumer *PriceConsumerSession) Owner() (common.Address, error) {
	return _PriceConsumer.Contract.Owner(&_PriceConsumer.CallOpts)
}

// Owner is a free data retrieval call binding the contract method 0x8da5cb5b.
//
// Solidity: function owner() view returns(address)
func (_PriceConsumer *PriceConsumerCallerSession) Owner() (common.Address, error) {
	return _PriceConsumer.Contract.Owner(&_PriceConsumer.CallOpts)
}

// Ask is a paid mutator transaction binding the contract method 0xb50148f4.
//
// Solidity: function ask(string path, bytes body, uint32 callbackGasLimit) payable returns(uint256)
func (_PriceConsumer *PriceConsumerTransactor) Ask(opts *bind.TransactOpts, path string, body []byte, callbackGasLimit uint32) (*types.Transaction, error) {
	return _PriceConsumer.contract.Transact(opts, "ask", path, body, callbackGasLimit)
}

// Ask is a paid mutator transaction binding the contract method 0xb50148f4.
//
// Solidity: function ask(string path, bytes body, uint32 callbackGasLimit) payable returns(uint256)
func (_PriceConsumer *PriceConsumerSession) Ask(path string, body []byte, callbackGasLimit uint32) (*types.Transaction, error) {
	return _PriceConsumer.Contract.Ask(&_PriceConsumer.TransactOpts, path, body, callbackGasLimit)
}

// Ask is a paid mutator transaction binding the contract method 0xb50148f4.
//
// Solidity: function ask(string path, bytes body, uint32 callbackGasLimit) payable returns(uint256)
func (_PriceConsumer *PriceConsumerTransactorSession) Ask(path string, body []byte, callbackGasLimit uint32) (*types.Transaction, error) {
	return _PriceConsumer.Contract.Ask(&_PriceConsumer.TransactOpts, path, body, callbackGasLimit)
}

// Cancel is a paid mutator transaction binding the contract method 0x40e58ee5.
//
// Solidity: function cancel(uint256 requestId) returns()
func (_PriceConsumer *PriceConsumerTransactor) Cancel(opts *bind.TransactOpts, requestId *big.Int) (*types.Transaction, error) {
	return _PriceConsumer.contract.Transact(opts, "cancel", requestId)
}

// Cancel is a paid mutator transaction binding the contract method 0x40e58ee5.
//
// Solidity: function cancel(uint256 requestId) returns()
func (_PriceConsumer *PriceConsumerSession) Cancel(requestId *big.Int) (*types.Transaction, error) {
	return _PriceConsumer.Contract.Cancel(&_PriceConsumer.TransactOpts, requestId)
}

// Cancel is a paid mutator transaction binding the contract method 0x40e58ee5.
//
// Solidity: function cancel(uint256 requestId) returns()
func (_PriceConsumer *PriceConsumerTransactorSession) Cancel(requestId *big.Int) (*types.Transaction, error) {
	return _PriceConsumer.Contract.Cancel(&_PriceConsumer.TransactOpts, requestId)
}

// OnCoveResponse is a paid mutator transaction binding the contract method 0xe067ac79.
//
// Solidity: function onCoveResponse(uint256 requestId, uint16 status, bytes response, bytes32 codeHash) returns()
func (_PriceConsumer *PriceConsumerTransactor) OnCoveResponse(opts *bind.TransactOpts, requestId *big.Int, status uint16, response []byte, codeHash [32]byte) (*types.Transaction, error) {
	return _PriceConsumer.contract.Transact(opts, "onCoveResponse", requestId, status, response, codeHash)
}

// OnCoveResponse is a paid mutator transaction binding the contract method 0xe067ac79.
//
// Solidity: function onCoveResponse(uint256 requestId, uint16 status, bytes response, bytes32 codeHash) returns()
func (_PriceConsumer *PriceConsumerSession) OnCoveResponse(requestId *big.Int, status uint16, response []byte, codeHash [32]byte) (*types.Transaction, error) {
	return _PriceConsumer.Contract.OnCoveResponse(&_PriceConsumer.TransactOpts, requestId, status, response, codeHash)
}

// OnCoveResponse is a paid mutator transaction binding the contract method 0xe067ac79.
//
// Solidity: function onCoveResponse(uint256 requestId, uint16 status, bytes response, bytes32 codeHash) returns()
func (_PriceConsumer *PriceConsumerTransactorSession) OnCoveResponse(requestId *big.Int, status uint16, response []byte, codeHash [32]byte) (*types.Transaction, error) {
	return _PriceConsumer.Contract.OnCoveResponse(&_PriceConsumer.TransactOpts, requestId, status, response, codeHash)
}

// Receive is a paid mutator transaction binding the contract receive function.
//
// Solidity: receive() payable returns()
func (_PriceConsumer *PriceConsumerTransactor) Receive(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _PriceConsumer.contract.RawTransact(opts, nil) // calldata is disallowed for receive function
}

// Receive is a paid mutator transaction binding the contract receive function.
//
// Solidity: receive() payable returns()
func (_PriceConsumer *PriceConsumerSession) Receive() (*types.Transaction, error) {
	return _PriceConsumer.Contract.Receive(&_PriceConsumer.TransactOpts)
}

// Receive is a paid mutator transaction binding the contract receive function.
//
// Solidity: receive() payable returns()
func (_PriceConsumer *PriceConsumerTransactorSession) Receive() (*types.Transaction, error) {
	return _PriceConsumer.Contract.Receive(&_PriceConsumer.TransactOpts)
}

// PriceConsumerAnsweredIterator is returned from FilterAnswered and is used to iterate over the raw logs and unpacked data for Answered events raised by the PriceConsumer contract.
type PriceConsumerAnsweredIterator struct {
	Event *PriceConsumerAnswered // Event containing the contract specifics and raw log

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
func (it *PriceConsumerAnsweredIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(PriceConsumerAnswered)
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
		it.Event = new(PriceConsumerAnswered)
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
func (it *PriceConsumerAnsweredIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *PriceConsumerAnsweredIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// PriceConsumerAnswered represents a Answered event raised by the PriceConsumer contract.
type PriceConsumerAnswered struct {
	RequestId *big.Int
	Status    uint16
	Length    *big.Int
	Raw       types.Log // Blockchain specific contextual infos
}

// FilterAnswered is a free log retrieval operation binding the contract event 0x1da00fdddac466e94d53d9647012cf402cfe935876259736f5dca72cc525cd96.
//
// Solidity: event Answered(uint256 indexed requestId, uint16 status, uint256 length)
func (_PriceConsumer *PriceConsumerFilterer) FilterAnswered(opts *bind.FilterOpts, requestId []*big.Int) (*PriceConsumerAnsweredIterator, error) {

	var requestIdRule []interface{}
	for _, requestIdItem := range requestId {
		requestIdRule = append(requestIdRule, requestIdItem)
	}

	logs, sub, err := _PriceConsumer.contract.FilterLogs(opts, "Answered", requestIdRule)
	if err != nil {
		return nil, err
	}
	return &PriceConsumerAnsweredIterator{contract: _PriceConsumer.contract, event: "Answered", logs: logs, sub: sub}, nil
}

// WatchAnswered is a free log subscription operation binding the contract event 0x1da00fdddac466e94d53d9647012cf402cfe935876259736f5dca72cc525cd96.
//
// Solidity: event Answered(uint256 indexed requestId, uint16 status, uint256 length)
func (_PriceConsumer *PriceConsumerFilterer) WatchAnswered(opts *bind.WatchOpts, sink chan<- *PriceConsumerAnswered, requestId []*big.Int) (event.Subscription, error) {

	var requestIdRule []interface{}
	for _, requestIdItem := range requestId {
		requestIdRule = append(requestIdRule, requestIdItem)
	}

	logs, sub, err := _PriceConsumer.contract.WatchLogs(opts, "Answered", requestIdRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(PriceConsumerAnswered)
				if err := _PriceConsumer.contract.UnpackLog(event, "Answered", log); err != nil {
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

// ParseAnswered is a log parse operation binding the contract event 0x1da00fdddac466e94d53d9647012cf402cfe935876259736f5dca72cc525cd96.
//
// Solidity: event Answered(uint256 indexed requestId, uint16 status, uint256 length)
func (_PriceConsumer *PriceConsumerFilterer) ParseAnswered(log types.Log) (*PriceConsumerAnswered, error) {
	event := new(PriceConsumerAnswered)
	if err := _PriceConsumer.contract.UnpackLog(event, "Answered", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}
