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

// AIConsumerAnswer is an auto generated low-level Go binding around an user-defined struct.
type AIConsumerAnswer struct {
	Asker    common.Address
	State    uint8
	Status   uint16
	CodeHash [32]byte
	Text     []byte
}

// AIConsumerMetaData contains all meta data concerning the AIConsumer contract.
var AIConsumerMetaData = &bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"contractICoveAnchor\",\"name\":\"anchor_\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"agent_\",\"type\":\"bytes32\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"NotAnchor\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"NotAsker\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"name\":\"NotPending\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"}],\"name\":\"PaymentFailed\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"name\":\"UnknownRequest\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"uint16\",\"name\":\"status\",\"type\":\"uint16\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"length\",\"type\":\"uint256\"}],\"name\":\"Answered\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"asker\",\"type\":\"address\"}],\"name\":\"Asked\",\"type\":\"event\"},{\"inputs\":[],\"name\":\"agent\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"anchor\",\"outputs\":[{\"internalType\":\"contractICoveAnchor\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"name\":\"answerOf\",\"outputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"asker\",\"type\":\"address\"},{\"internalType\":\"enumAIConsumer.State\",\"name\":\"state\",\"type\":\"uint8\"},{\"internalType\":\"uint16\",\"name\":\"status\",\"type\":\"uint16\"},{\"internalType\":\"bytes32\",\"name\":\"codeHash\",\"type\":\"bytes32\"},{\"internalType\":\"bytes\",\"name\":\"text\",\"type\":\"bytes\"}],\"internalType\":\"structAIConsumer.Answer\",\"name\":\"\",\"type\":\"tuple\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"string\",\"name\":\"path\",\"type\":\"string\"},{\"internalType\":\"bytes\",\"name\":\"prompt\",\"type\":\"bytes\"},{\"internalType\":\"uint32\",\"name\":\"callbackGasLimit\",\"type\":\"uint32\"}],\"name\":\"ask\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"stateMutability\":\"payable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"name\":\"cancel\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"},{\"internalType\":\"uint16\",\"name\":\"status\",\"type\":\"uint16\"},{\"internalType\":\"bytes\",\"name\":\"response\",\"type\":\"bytes\"},{\"internalType\":\"bytes32\",\"name\":\"codeHash\",\"type\":\"bytes32\"}],\"name\":\"onCoveResponse\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"stateMutability\":\"payable\",\"type\":\"receive\"}]",
	Bin: "0x60c060405234801561000f575f5ffd5b50604051610b61380380610b6183398101604081905261002e91610044565b6001600160a01b0390911660805260a05261007b565b5f5f60408385031215610055575f5ffd5b82516001600160a01b038116811461006b575f5ffd5b6020939093015192949293505050565b60805160a051610aaa6100b75f395f8181610154015261047601525f818160ea0152818161036701528181610446015261056d0152610aaa5ff3fe608060405260043610610057575f3560e01c806311d6434a1461006257806340e58ee514610097578063b50148f4146100b8578063d3fb73b4146100d9578063e067ac7914610124578063f5ff5c7614610143575f5ffd5b3661005e57005b5f5ffd5b34801561006d575f5ffd5b5061008161007c366004610679565b610176565b60405161008e91906106d2565b60405180910390f35b3480156100a2575f5ffd5b506100b66100b1366004610679565b6102b6565b005b6100cb6100c636600461078b565b610443565b60405190815260200161008e565b3480156100e4575f5ffd5b5061010c7f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b03909116815260200161008e565b34801561012f575f5ffd5b506100b661013e366004610816565b610562565b34801561014e575f5ffd5b506100cb7f000000000000000000000000000000000000000000000000000000000000000081565b6101a56040805160a081019091525f808252602082019081525f60208201819052604082015260609081015290565b5f8281526020818152604091829020825160a0810190935280546001600160a01b03811684529091830190600160a01b900460ff1660038111156101eb576101eb610690565b60038111156101fc576101fc610690565b81528154600160a81b900461ffff1660208201526001820154604082015260028201805460609092019161022f9061087b565b80601f016020809104026020016040519081016040528092919081815260200182805461025b9061087b565b80156102a65780601f1061027d576101008083540402835291602001916102a6565b820191905f5260205f20905b81548152906001019060200180831161028957829003601f168201915b5050505050815250509050919050565b5f81815260208190526040902060018154600160a01b900460ff1660038111156102e2576102e2610690565b14610308576040516312be5ae960e21b8152600481018390526024015b60405180910390fd5b80546001600160a01b0316331461033457604051630d05eb9d60e11b81523360048201526024016102ff565b8054600360a01b60ff60a01b199091161781556040516340e58ee560e01b81526004810183905247906001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016906340e58ee5906024015f604051808303815f87803b1580156103a8575f5ffd5b505af11580156103ba573d5f5f3e3d5ffd5b505050505f81476103cb91906108b3565b9050801561043d576040515f90339083908381818185875af1925050503d805f8114610412576040519150601f19603f3d011682016040523d82523d5f602084013e610417565b606091505b505090508061043b576040516306d133c960e31b81523360048201526024016102ff565b505b50505050565b5f7f00000000000000000000000000000000000000000000000000000000000000006001600160a01b0316630be75ace347f000000000000000000000000000000000000000000000000000000000000000089898989896040518863ffffffff1660e01b81526004016104bb96959493929190610900565b60206040518083038185885af11580156104d7573d5f5f3e3d5ffd5b50505050506040513d601f19601f820116820180604052508101906104fc9190610946565b5f8181526020819052604080822080543360ff60a01b1981166001600160a81b031990921691909117600160a01b1790915590519293509183917f4f9899ad56476d199e6204d4faf4a2008fd7f70bea931012bce8cd069c27c61a91a395945050505050565b336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146105ad57604051635154299560e11b81523360048201526024016102ff565b5f85815260208190526040902060018154600160a01b900460ff1660038111156105d9576105d9610690565b146105fa57604051631f79bbe760e01b8152600481018790526024016102ff565b805461ffff8616600160a81b0262ffffff60a01b1990911617600160a11b17815560018101829055600281016106318486836109ba565b506040805161ffff871681526020810185905287917f1da00fdddac466e94d53d9647012cf402cfe935876259736f5dca72cc525cd96910160405180910390a2505050505050565b5f60208284031215610689575f5ffd5b5035919050565b634e487b7160e01b5f52602160045260245ffd5b5f81518084528060208401602086015e5f602082860101526020601f19601f83011685010191505092915050565b602080825282516001600160a01b0316828201528201515f906004811061070757634e487b7160e01b5f52602160045260245ffd5b8060408401525061ffff604084015116606083015260608301516080830152608083015160a08084015261073e60c08401826106a4565b949350505050565b5f5f83601f840112610756575f5ffd5b50813567ffffffffffffffff81111561076d575f5ffd5b602083019150836020828501011115610784575f5ffd5b9250929050565b5f5f5f5f5f6060868803121561079f575f5ffd5b853567ffffffffffffffff8111156107b5575f5ffd5b6107c188828901610746565b909650945050602086013567ffffffffffffffff8111156107e0575f5ffd5b6107ec88828901610746565b909450925050604086013563ffffffff81168114610808575f5ffd5b809150509295509295909350565b5f5f5f5f5f6080868803121561082a575f5ffd5b85359450602086013561ffff81168114610842575f5ffd5b9350604086013567ffffffffffffffff81111561085d575f5ffd5b61086988828901610746565b96999598509660600135949350505050565b600181811c9082168061088f57607f821691505b6020821081036108ad57634e487b7160e01b5f52602260045260245ffd5b50919050565b818103818111156108d257634e487b7160e01b5f52601160045260245ffd5b92915050565b81835281816020850137505f828201602090810191909152601f909101601f19169091010190565b868152608060208201525f6109196080830187896108d8565b828103604084015261092c8186886108d8565b91505063ffffffff83166060830152979650505050505050565b5f60208284031215610956575f5ffd5b5051919050565b634e487b7160e01b5f52604160045260245ffd5b601f8211156109b557805f5260205f20601f840160051c810160208510156109965750805b601f840160051c820191505b8181101561043b575f81556001016109a2565b505050565b67ffffffffffffffff8311156109d2576109d261095d565b6109e6836109e0835461087b565b83610971565b5f601f841160018114610a17575f8515610a005750838201355b5f19600387901b1c1916600186901b17835561043b565b5f83815260208120601f198716915b82811015610a465786850135825560209485019460019092019101610a26565b5086821015610a62575f1960f88860031b161c19848701351681555b505060018560011b018355505050505056fea2646970667358221220789a6a9457e9f1e2801f0dfbb7ff179ae0ec7c4e104f1c67589491d048e4ca8864736f6c634300081c0033",
}

// AIConsumerABI is the input ABI used to generate the binding from.
// Deprecated: Use AIConsumerMetaData.ABI instead.
var AIConsumerABI = AIConsumerMetaData.ABI

// AIConsumerBin is the compiled bytecode used for deploying new contracts.
// Deprecated: Use AIConsumerMetaData.Bin instead.
var AIConsumerBin = AIConsumerMetaData.Bin

// DeployAIConsumer deploys a new Ethereum contract, binding an instance of AIConsumer to it.
func DeployAIConsumer(auth *bind.TransactOpts, backend bind.ContractBackend, anchor_ common.Address, agent_ [32]byte) (common.Address, *types.Transaction, *AIConsumer, error) {
	parsed, err := AIConsumerMetaData.GetAbi()
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	if parsed == nil {
		return common.Address{}, nil, nil, errors.New("GetABI returned nil")
	}

	address, tx, contract, err := bind.DeployContract(auth, *parsed, common.FromHex(AIConsumerBin), backend, anchor_, agent_)
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	return address, tx, &AIConsumer{AIConsumerCaller: AIConsumerCaller{contract: contract}, AIConsumerTransactor: AIConsumerTransactor{contract: contract}, AIConsumerFilterer: AIConsumerFilterer{contract: contract}}, nil
}

// AIConsumer is an auto generated Go binding around an Ethereum contract.
type AIConsumer struct {
	AIConsumerCaller     // Read-only binding to the contract
	AIConsumerTransactor // Write-only binding to the contract
	AIConsumerFilterer   // Log filterer for contract events
}

// AIConsumerCaller is an auto generated read-only Go binding around an Ethereum contract.
type AIConsumerCaller struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// AIConsumerTransactor is an auto generated write-only Go binding around an Ethereum contract.
type AIConsumerTransactor struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// AIConsumerFilterer is an auto generated log filtering Go binding around an Ethereum contract events.
type AIConsumerFilterer struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// AIConsumerSession is an auto generated Go binding around an Ethereum contract,
// with pre-set call and transact options.
type AIConsumerSession struct {
	Contract     *AIConsumer       // Generic contract binding to set the session for
	CallOpts     bind.CallOpts     // Call options to use throughout this session
	TransactOpts bind.TransactOpts // Transaction auth options to use throughout this session
}

// AIConsumerCallerSession is an auto generated read-only Go binding around an Ethereum contract,
// with pre-set call options.
type AIConsumerCallerSession struct {
	Contract *AIConsumerCaller // Generic contract caller binding to set the session for
	CallOpts bind.CallOpts     // Call options to use throughout this session
}

// AIConsumerTransactorSession is an auto generated write-only Go binding around an Ethereum contract,
// with pre-set transact options.
type AIConsumerTransactorSession struct {
	Contract     *AIConsumerTransactor // Generic contract transactor binding to set the session for
	TransactOpts bind.TransactOpts     // Transaction auth options to use throughout this session
}

// AIConsumerRaw is an auto generated low-level Go binding around an Ethereum contract.
type AIConsumerRaw struct {
	Contract *AIConsumer // Generic contract binding to access the raw methods on
}

// AIConsumerCallerRaw is an auto generated low-level read-only Go binding around an Ethereum contract.
type AIConsumerCallerRaw struct {
	Contract *AIConsumerCaller // Generic read-only contract binding to access the raw methods on
}

// AIConsumerTransactorRaw is an auto generated low-level write-only Go binding around an Ethereum contract.
type AIConsumerTransactorRaw struct {
	Contract *AIConsumerTransactor // Generic write-only contract binding to access the raw methods on
}

// NewAIConsumer creates a new instance of AIConsumer, bound to a specific deployed contract.
func NewAIConsumer(address common.Address, backend bind.ContractBackend) (*AIConsumer, error) {
	contract, err := bindAIConsumer(address, backend, backend, backend)
	if err != nil {
		return nil, err
	}
	return &AIConsumer{AIConsumerCaller: AIConsumerCaller{contract: contract}, AIConsumerTransactor: AIConsumerTransactor{contract: contract}, AIConsumerFilterer: AIConsumerFilterer{contract: contract}}, nil
}

// NewAIConsumerCaller creates a new read-only instance of AIConsumer, bound to a specific deployed contract.
func NewAIConsumerCaller(address common.Address, caller bind.ContractCaller) (*AIConsumerCaller, error) {
	contract, err := bindAIConsumer(address, caller, nil, nil)
	if err != nil {
		return nil, err
	}
	return &AIConsumerCaller{contract: contract}, nil
}

// NewAIConsumerTransactor creates a new write-only instance of AIConsumer, bound to a specific deployed contract.
func NewAIConsumerTransactor(address common.Address, transactor bind.ContractTransactor) (*AIConsumerTransactor, error) {
	contract, err := bindAIConsumer(address, nil, transactor, nil)
	if err != nil {
		return nil, err
	}
	return &AIConsumerTransactor{contract: contract}, nil
}

// NewAIConsumerFilterer creates a new log filterer instance of AIConsumer, bound to a specific deployed contract.
func NewAIConsumerFilterer(address common.Address, filterer bind.ContractFilterer) (*AIConsumerFilterer, error) {
	contract, err := bindAIConsumer(address, nil, nil, filterer)
	if err != nil {
		return nil, err
	}
	return &AIConsumerFilterer{contract: contract}, nil
}

// bindAIConsumer binds a generic wrapper to an already deployed contract.
func bindAIConsumer(address common.Address, caller bind.ContractCaller, transactor bind.ContractTransactor, filterer bind.ContractFilterer) (*bind.BoundContract, error) {
	parsed, err := AIConsumerMetaData.GetAbi()
	if err != nil {
		return nil, err
	}
	return bind.NewBoundContract(address, *parsed, caller, transactor, filterer), nil
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_AIConsumer *AIConsumerRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _AIConsumer.Contract.AIConsumerCaller.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_AIConsumer *AIConsumerRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _AIConsumer.Contract.AIConsumerTransactor.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_AIConsumer *AIConsumerRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _AIConsumer.Contract.AIConsumerTransactor.contract.Transact(opts, method, params...)
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_AIConsumer *AIConsumerCallerRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _AIConsumer.Contract.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_AIConsumer *AIConsumerTransactorRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _AIConsumer.Contract.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_AIConsumer *AIConsumerTransactorRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _AIConsumer.Contract.contract.Transact(opts, method, params...)
}

// Agent is a free data retrieval call binding the contract method 0xf5ff5c76.
//
// Solidity: function agent() view returns(bytes32)
func (_AIConsumer *AIConsumerCaller) Agent(opts *bind.CallOpts) ([32]byte, error) {
	var out []interface{}
	err := _AIConsumer.contract.Call(opts, &out, "agent")

	if err != nil {
		return *new([32]byte), err
	}

	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)

	return out0, err

}

// Agent is a free data retrieval call binding the contract method 0xf5ff5c76.
//
// Solidity: function agent() view returns(bytes32)
func (_AIConsumer *AIConsumerSession) Agent() ([32]byte, error) {
	return _AIConsumer.Contract.Agent(&_AIConsumer.CallOpts)
}

// Agent is a free data retrieval call binding the contract method 0xf5ff5c76.
//
// Solidity: function agent() view returns(bytes32)
func (_AIConsumer *AIConsumerCallerSession) Agent() ([32]byte, error) {
	return _AIConsumer.Contract.Agent(&_AIConsumer.CallOpts)
}

// Anchor is a free data retrieval call binding the contract method 0xd3fb73b4.
//
// Solidity: function anchor() view returns(address)
func (_AIConsumer *AIConsumerCaller) Anchor(opts *bind.CallOpts) (common.Address, error) {
	var out []interface{}
	err := _AIConsumer.contract.Call(opts, &out, "anchor")

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// Anchor is a free data retrieval call binding the contract method 0xd3fb73b4.
//
// Solidity: function anchor() view returns(address)
func (_AIConsumer *AIConsumerSession) Anchor() (common.Address, error) {
	return _AIConsumer.Contract.Anchor(&_AIConsumer.CallOpts)
}

// Anchor is a free data retrieval call binding the contract method 0xd3fb73b4.
//
// Solidity: function anchor() view returns(address)
func (_AIConsumer *AIConsumerCallerSession) Anchor() (common.Address, error) {
	return _AIConsumer.Contract.Anchor(&_AIConsumer.CallOpts)
}

// AnswerOf is a free data retrieval call binding the contract method 0x11d6434a.
//
// Solidity: function answerOf(uint256 requestId) view returns((address,uint8,uint16,bytes32,bytes))
func (_AIConsumer *AIConsumerCaller) AnswerOf(opts *bind.CallOpts, requestId *big.Int) (AIConsumerAnswer, error) {
	var out []interface{}
	err := _AIConsumer.contract.Call(opts, &out, "answerOf", requestId)

	if err != nil {
		return *new(AIConsumerAnswer), err
	}

	out0 := *abi.ConvertType(out[0], new(AIConsumerAnswer)).(*AIConsumerAnswer)

	return out0, err

}

// AnswerOf is a free data retrieval call binding the contract method 0x11d6434a.
//
// Solidity: function answerOf(uint256 requestId) view returns((address,uint8,uint16,bytes32,bytes))
func (_AIConsumer *AIConsumerSession) AnswerOf(requestId *big.Int) (AIConsumerAnswer, error) {
	return _AIConsumer.Contract.AnswerOf(&_AIConsumer.CallOpts, requestId)
}

// AnswerOf is a free data retrieval call binding the contract method 0x11d6434a.
//
// Solidity: function answerOf(uint256 requestId) view returns((address,uint8,uint16,bytes32,bytes))
func (_AIConsumer *AIConsumerCallerSession) AnswerOf(requestId *big.Int) (AIConsumerAnswer, error) {
	return _AIConsumer.Contract.AnswerOf(&_AIConsumer.CallOpts, requestId)
}

// Ask is a paid mutator transaction binding the contract method 0xb50148f4.
//
// Solidity: function ask(string path, bytes prompt, uint32 callbackGasLimit) payable returns(uint256 requestId)
func (_AIConsumer *AIConsumerTransactor) Ask(opts *bind.TransactOpts, path string, prompt []byte, callbackGasLimit uint32) (*types.Transaction, error) {
	return _AIConsumer.contract.Transact(opts, "ask", path, prompt, callbackGasLimit)
}

// Ask is a paid mutator transaction binding the contract method 0xb50148f4.
//
// Solidity: function ask(string path, bytes prompt, uint32 callbackGasLimit) payable returns(uint256 requestId)
func (_AIConsumer *AIConsumerSession) Ask(path string, prompt []byte, callbackGasLimit uint32) (*types.Transaction, error) {
	return _AIConsumer.Contract.Ask(&_AIConsumer.TransactOpts, path, prompt, callbackGasLimit)
}

// Ask is a paid mutator transaction binding the contract method 0xb50148f4.
//
// Solidity: function ask(string path, bytes prompt, uint32 callbackGasLimit) payable returns(uint256 requestId)
func (_AIConsumer *AIConsumerTransactorSession) Ask(path string, prompt []byte, callbackGasLimit uint32) (*types.Transaction, error) {
	return _AIConsumer.Contract.Ask(&_AIConsumer.TransactOpts, path, prompt, callbackGasLimit)
}

// Cancel is a paid mutator transaction binding the contract method 0x40e58ee5.
//
// Solidity: function cancel(uint256 requestId) returns()
func (_AIConsumer *AIConsumerTransactor) Cancel(opts *bind.TransactOpts, requestId *big.Int) (*types.Transaction, error) {
	return _AIConsumer.contract.Transact(opts, "cancel", requestId)
}

// Cancel is a paid mutator transaction binding the contract method 0x40e58ee5.
//
// Solidity: function cancel(uint256 requestId) returns()
func (_AIConsumer *AIConsumerSession) Cancel(requestId *big.Int) (*types.Transaction, error) {
	return _AIConsumer.Contract.Cancel(&_AIConsumer.TransactOpts, requestId)
}

// Cancel is a paid mutator transaction binding the contract method 0x40e58ee5.
//
// Solidity: function cancel(uint256 requestId) returns()
func (_AIConsumer *AIConsumerTransactorSession) Cancel(requestId *big.Int) (*types.Transaction, error) {
	return _AIConsumer.Contract.Cancel(&_AIConsumer.TransactOpts, requestId)
}

// OnCoveResponse is a paid mutator transaction binding the contract method 0xe067ac79.
//
// Solidity: function onCoveResponse(uint256 requestId, uint16 status, bytes response, bytes32 codeHash) returns()
func (_AIConsumer *AIConsumerTransactor) OnCoveResponse(opts *bind.TransactOpts, requestId *big.Int, status uint16, response []byte, codeHash [32]byte) (*types.Transaction, error) {
	return _AIConsumer.contract.Transact(opts, "onCoveResponse", requestId, status, response, codeHash)
}

// OnCoveResponse is a paid mutator transaction binding the contract method 0xe067ac79.
//
// Solidity: function onCoveResponse(uint256 requestId, uint16 status, bytes response, bytes32 codeHash) returns()
func (_AIConsumer *AIConsumerSession) OnCoveResponse(requestId *big.Int, status uint16, response []byte, codeHash [32]byte) (*types.Transaction, error) {
	return _AIConsumer.Contract.OnCoveResponse(&_AIConsumer.TransactOpts, requestId, status, response, codeHash)
}

// OnCoveResponse is a paid mutator transaction binding the contract method 0xe067ac79.
//
// Solidity: function onCoveResponse(uint256 requestId, uint16 status, bytes response, bytes32 codeHash) returns()
func (_AIConsumer *AIConsumerTransactorSession) OnCoveResponse(requestId *big.Int, status uint16, response []byte, codeHash [32]byte) (*types.Transaction, error) {
	return _AIConsumer.Contract.OnCoveResponse(&_AIConsumer.TransactOpts, requestId, status, response, codeHash)
}

// Receive is a paid mutator transaction binding the contract receive function.
//
// Solidity: receive() payable returns()
func (_AIConsumer *AIConsumerTransactor) Receive(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _AIConsumer.contract.RawTransact(opts, nil) // calldata is disallowed for receive function
}

// Receive is a paid mutator transaction binding the contract receive function.
//
// Solidity: receive() payable returns()
func (_AIConsumer *AIConsumerSession) Receive() (*types.Transaction, error) {
	return _AIConsumer.Contract.Receive(&_AIConsumer.TransactOpts)
}

// Receive is a paid mutator transaction binding the contract receive function.
//
// Solidity: receive() payable returns()
func (_AIConsumer *AIConsumerTransactorSession) Receive() (*types.Transaction, error) {
	return _AIConsumer.Contract.Receive(&_AIConsumer.TransactOpts)
}

// AIConsumerAnsweredIterator is returned from FilterAnswered and is used to iterate over the raw logs and unpacked data for Answered events raised by the AIConsumer contract.
type AIConsumerAnsweredIterator struct {
	Event *AIConsumerAnswered // Event containing the contract specifics and raw log

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
func (it *AIConsumerAnsweredIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(AIConsumerAnswered)
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
		it.Event = new(AIConsumerAnswered)
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
func (it *AIConsumerAnsweredIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *AIConsumerAnsweredIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// AIConsumerAnswered represents a Answered event raised by the AIConsumer contract.
type AIConsumerAnswered struct {
	RequestId *big.Int
	Status    uint16
	Length    *big.Int
	Raw       types.Log // Blockchain specific contextual infos
}

// FilterAnswered is a free log retrieval operation binding the contract event 0x1da00fdddac466e94d53d9647012cf402cfe935876259736f5dca72cc525cd96.
//
// Solidity: event Answered(uint256 indexed requestId, uint16 status, uint256 length)
func (_AIConsumer *AIConsumerFilterer) FilterAnswered(opts *bind.FilterOpts, requestId []*big.Int) (*AIConsumerAnsweredIterator, error) {

	var requestIdRule []interface{}
	for _, requestIdItem := range requestId {
		requestIdRule = append(requestIdRule, requestIdItem)
	}

	logs, sub, err := _AIConsumer.contract.FilterLogs(opts, "Answered", requestIdRule)
	if err != nil {
		return nil, err
	}
	return &AIConsumerAnsweredIterator{contract: _AIConsumer.contract, event: "Answered", logs: logs, sub: sub}, nil
}

// WatchAnswered is a free log subscription operation binding the contract event 0x1da00fdddac466e94d53d9647012cf402cfe935876259736f5dca72cc525cd96.
//
// Solidity: event Answered(uint256 indexed requestId, uint16 status, uint256 length)
func (_AIConsumer *AIConsumerFilterer) WatchAnswered(opts *bind.WatchOpts, sink chan<- *AIConsumerAnswered, requestId []*big.Int) (event.Subscription, error) {

	var requestIdRule []interface{}
	for _, requestIdItem := range requestId {
		requestIdRule = append(requestIdRule, requestIdItem)
	}

	logs, sub, err := _AIConsumer.contract.WatchLogs(opts, "Answered", requestIdRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(AIConsumerAnswered)
				if err := _AIConsumer.contract.UnpackLog(event, "Answered", log); err != nil {
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
func (_AIConsumer *AIConsumerFilterer) ParseAnswered(log types.Log) (*AIConsumerAnswered, error) {
	event := new(AIConsumerAnswered)
	if err := _AIConsumer.contract.UnpackLog(event, "Answered", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// AIConsumerAskedIterator is returned from FilterAsked and is used to iterate over the raw logs and unpacked data for Asked events raised by the AIConsumer contract.
type AIConsumerAskedIterator struct {
	Event *AIConsumerAsked // Event containing the contract specifics and raw log

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
func (it *AIConsumerAskedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(AIConsumerAsked)
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
		it.Event = new(AIConsumerAsked)
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
func (it *AIConsumerAskedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *AIConsumerAskedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// AIConsumerAsked represents a Asked event raised by the AIConsumer contract.
type AIConsumerAsked struct {
	RequestId *big.Int
	Asker     common.Address
	Raw       types.Log // Blockchain specific contextual infos
}

// FilterAsked is a free log retrieval operation binding the contract event 0x4f9899ad56476d199e6204d4faf4a2008fd7f70bea931012bce8cd069c27c61a.
//
// Solidity: event Asked(uint256 indexed requestId, address indexed asker)
func (_AIConsumer *AIConsumerFilterer) FilterAsked(opts *bind.FilterOpts, requestId []*big.Int, asker []common.Address) (*AIConsumerAskedIterator, error) {

	var requestIdRule []interface{}
	for _, requestIdItem := range requestId {
		requestIdRule = append(requestIdRule, requestIdItem)
	}
	var askerRule []interface{}
	for _, askerItem := range asker {
		askerRule = append(askerRule, askerItem)
	}

	logs, sub, err := _AIConsumer.contract.FilterLogs(opts, "Asked", requestIdRule, askerRule)
	if err != nil {
		return nil, err
	}
	return &AIConsumerAskedIterator{contract: _AIConsumer.contract, event: "Asked", logs: logs, sub: sub}, nil
}

// WatchAsked is a free log subscription operation binding the contract event 0x4f9899ad56476d199e6204d4faf4a2008fd7f70bea931012bce8cd069c27c61a.
//
// Solidity: event Asked(uint256 indexed requestId, address indexed asker)
func (_AIConsumer *AIConsumerFilterer) WatchAsked(opts *bind.WatchOpts, sink chan<- *AIConsumerAsked, requestId []*big.Int, asker []common.Address) (event.Subscription, error) {

	var requestIdRule []interface{}
	for _, requestIdItem := range requestId {
		requestIdRule = append(requestIdRule, requestIdItem)
	}
	var askerRule []interface{}
	for _, askerItem := range asker {
		askerRule = append(askerRule, askerItem)
	}

	logs, sub, err := _AIConsumer.contract.WatchLogs(opts, "Asked", requestIdRule, askerRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(AIConsumerAsked)
				if err := _AIConsumer.contract.UnpackLog(event, "Asked", log); err != nil {
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

// ParseAsked is a log parse operation binding the contract event 0x4f9899ad56476d199e6204d4faf4a2008fd7f70bea931012bce8cd069c27c61a.
//
// Solidity: event Asked(uint256 indexed requestId, address indexed asker)
func (_AIConsumer *AIConsumerFilterer) ParseAsked(log types.Log) (*AIConsumerAsked, error) {
	event := new(AIConsumerAsked)
	if err := _AIConsumer.contract.UnpackLog(event, "Asked", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}
