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

// CoveAnchorRequest is an auto generated low-level Go binding around an user-defined struct.
type CoveAnchorRequest struct {
	Consumer         common.Address
	CallbackGasLimit uint32
	CreatedAt        uint64
	Status           uint8
	Agent            [32]byte
	RequestHash      [32]byte
	Paid             *big.Int
}

// Receipt is an auto generated low-level Go binding around an user-defined struct.
type Receipt struct {
	Agent        [32]byte
	CodeHash     [32]byte
	RequestHash  [32]byte
	Status       uint16
	ResponseHash [32]byte
	Timestamp    uint64
}

// CoveAnchorMetaData contains all meta data concerning the CoveAnchor contract.
var CoveAnchorMetaData = &bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"fee_\",\"type\":\"uint256\"},{\"internalType\":\"uint64\",\"name\":\"timeout_\",\"type\":\"uint64\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"want\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"got\",\"type\":\"bytes32\"}],\"name\":\"AgentMismatch\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"name\":\"AlreadyFulfilled\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"left\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"needed\",\"type\":\"uint256\"}],\"name\":\"CallbackGasTooLow\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"sent\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"fee\",\"type\":\"uint256\"}],\"name\":\"FeeTooLow\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"InvalidPath\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"MalformedSignature\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"agent\",\"type\":\"bytes32\"}],\"name\":\"NoAttestor\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"NotConsumer\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"NotOwner\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"}],\"name\":\"PaymentFailed\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"name\":\"RequestCancelled\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"want\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"got\",\"type\":\"bytes32\"}],\"name\":\"RequestHashMismatch\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"want\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"got\",\"type\":\"bytes32\"}],\"name\":\"ResponseHashMismatch\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"length\",\"type\":\"uint256\"}],\"name\":\"SignatureLength\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint64\",\"name\":\"epoch\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"current\",\"type\":\"uint64\"}],\"name\":\"StaleGrant\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"cancellableAt\",\"type\":\"uint256\"}],\"name\":\"TooEarly\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint64\",\"name\":\"epoch\",\"type\":\"uint64\"}],\"name\":\"UnknownEpoch\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"name\":\"UnknownRequest\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"want\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"got\",\"type\":\"address\"}],\"name\":\"WrongGrantSigner\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"want\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"got\",\"type\":\"address\"}],\"name\":\"WrongSigner\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"ZeroAttestor\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"agent\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"attestor\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint64\",\"name\":\"epoch\",\"type\":\"uint64\"}],\"name\":\"AttestorRegistered\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"name\":\"CoveCancelled\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"uint16\",\"name\":\"status\",\"type\":\"uint16\"},{\"indexed\":false,\"internalType\":\"bool\",\"name\":\"callbackSucceeded\",\"type\":\"bool\"}],\"name\":\"CoveFulfilled\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"agent\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"consumer\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"string\",\"name\":\"path\",\"type\":\"string\"},{\"indexed\":false,\"internalType\":\"bytes\",\"name\":\"body\",\"type\":\"bytes\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"requestHash\",\"type\":\"bytes32\"}],\"name\":\"CoveRequest\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint64\",\"name\":\"epoch\",\"type\":\"uint64\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"signer\",\"type\":\"address\"}],\"name\":\"EpochSignerSet\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"fee\",\"type\":\"uint256\"}],\"name\":\"FeeSet\",\"type\":\"event\"},{\"inputs\":[],\"name\":\"GRANT_TYPEHASH\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"agent\",\"type\":\"bytes32\"}],\"name\":\"attestorOf\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"name\":\"cancel\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint64\",\"name\":\"\",\"type\":\"uint64\"}],\"name\":\"epochSigner\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"fee\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"},{\"components\":[{\"internalType\":\"bytes32\",\"name\":\"agent\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"codeHash\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"requestHash\",\"type\":\"bytes32\"},{\"internalType\":\"uint16\",\"name\":\"status\",\"type\":\"uint16\"},{\"internalType\":\"bytes32\",\"name\":\"responseHash\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"timestamp\",\"type\":\"uint64\"}],\"internalType\":\"structReceipt\",\"name\":\"receipt\",\"type\":\"tuple\"},{\"internalType\":\"bytes\",\"name\":\"response\",\"type\":\"bytes\"},{\"internalType\":\"bytes\",\"name\":\"signature\",\"type\":\"bytes\"}],\"name\":\"fulfil\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"nextRequestId\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"owner\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"agent\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"attestor\",\"type\":\"address\"},{\"internalType\":\"uint64\",\"name\":\"epoch\",\"type\":\"uint64\"},{\"internalType\":\"bytes\",\"name\":\"signature\",\"type\":\"bytes\"}],\"name\":\"registerAttestor\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"agent\",\"type\":\"bytes32\"},{\"internalType\":\"string\",\"name\":\"path\",\"type\":\"string\"},{\"internalType\":\"bytes\",\"name\":\"body\",\"type\":\"bytes\"},{\"internalType\":\"uint32\",\"name\":\"callbackGasLimit\",\"type\":\"uint32\"}],\"name\":\"request\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"stateMutability\":\"payable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"agent\",\"type\":\"bytes32\"},{\"internalType\":\"string\",\"name\":\"path\",\"type\":\"string\"},{\"internalType\":\"bytes\",\"name\":\"body\",\"type\":\"bytes\"},{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"name\":\"requestHash\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"name\":\"requestOf\",\"outputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"consumer\",\"type\":\"address\"},{\"internalType\":\"uint32\",\"name\":\"callbackGasLimit\",\"type\":\"uint32\"},{\"internalType\":\"uint64\",\"name\":\"createdAt\",\"type\":\"uint64\"},{\"internalType\":\"enumCoveAnchor.Status\",\"name\":\"status\",\"type\":\"uint8\"},{\"internalType\":\"bytes32\",\"name\":\"agent\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"requestHash\",\"type\":\"bytes32\"},{\"internalType\":\"uint256\",\"name\":\"paid\",\"type\":\"uint256\"}],\"internalType\":\"structCoveAnchor.Request\",\"name\":\"\",\"type\":\"tuple\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint64\",\"name\":\"epoch\",\"type\":\"uint64\"},{\"internalType\":\"address\",\"name\":\"signer\",\"type\":\"address\"}],\"name\":\"setEpochSigner\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"fee_\",\"type\":\"uint256\"}],\"name\":\"setFee\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"agent\",\"type\":\"bytes32\"},{\"internalType\":\"string\",\"name\":\"path\",\"type\":\"string\"},{\"internalType\":\"uint256\",\"name\":\"requestId\",\"type\":\"uint256\"}],\"name\":\"target\",\"outputs\":[{\"internalType\":\"bytes\",\"name\":\"\",\"type\":\"bytes\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"timeout\",\"outputs\":[{\"internalType\":\"uint64\",\"name\":\"\",\"type\":\"uint64\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	Bin: "0x60a060405260016002553480156013575f5ffd5b506040516123c83803806123c88339810160408190526030916057565b5f80546001600160a01b031916331790556001919091556001600160401b0316608052608f565b5f5f604083850312156067575f5ffd5b825160208401519092506001600160401b03811681146084575f5ffd5b809150509250929050565b60805161231a6100ae5f395f818161027201526108da015261231a5ff3fe6080604052600436106100ef575f3560e01c806369fe0e2d11610087578063a81be81e11610057578063a81be81e146102ca578063ad663f28146102f6578063ddca3f4314610315578063ea5d9f021461032a575f5ffd5b806369fe0e2d1461022d5780636a84a9851461024c57806370dea79a146102615780638da5cb5b146102ac575f5ffd5b8063324e03be116100c2578063324e03be146101a45780633d588df4146101d057806340e58ee5146101ef5780634c02e64b1461020e575f5ffd5b8063073f5d9f146100f35780630be75ace14610139578063223453e11461014c57806323753a261461016d575b5f5ffd5b3480156100fe575f5ffd5b506101267ff8273d28648f30582c38956e70bb4a29e741a801b4130b2fbaf9aa5e8816bba681565b6040519081526020015b60405180910390f35b610126610147366004611be2565b61035e565b348015610157575f5ffd5b5061016b610166366004611c73565b610548565b005b348015610178575f5ffd5b5061018c610187366004611d07565b61067d565b6040516001600160a01b039091168152602001610130565b3480156101af575f5ffd5b506101c36101be366004611d07565b6106ff565b6040516101309190611d32565b3480156101db575f5ffd5b5061016b6101ea366004611de4565b6107e8565b3480156101fa575f5ffd5b5061016b610209366004611d07565b61087d565b348015610219575f5ffd5b5061016b610228366004611e15565b6109ea565b348015610238575f5ffd5b5061016b610247366004611d07565b610d23565b348015610257575f5ffd5b5061012660025481565b34801561026c575f5ffd5b506102947f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160401b039091168152602001610130565b3480156102b7575f5ffd5b505f5461018c906001600160a01b031681565b3480156102d5575f5ffd5b506102e96102e4366004611e7e565b610d88565b6040516101309190611ecc565b348015610301575f5ffd5b50610126610310366004611f01565b610e6d565b348015610320575f5ffd5b5061012660015481565b348015610335575f5ffd5b5061018c610344366004611f80565b60036020525f90815260409020546001600160a01b031681565b5f600154341015610394576001546040516378279ed960e11b815234600482015260248101919091526044015b60405180910390fd5b6103d286868080601f0160208091040260200160405190810160405280939291908181526020018383808284375f92019190915250610ef392505050565b60028054905f6103e183611fad565b9190505590505f6103f6888888888887610e6d565b6040805160e08101825233815263ffffffff861660208201526001600160401b03421691810191909152909150606081016001815260208082018b90526040808301859052346060938401525f868152600483528190208451815493860151928601516001600160401b0316600160c01b026001600160c01b0363ffffffff909416600160a01b026001600160c01b03199095166001600160a01b039092169190911793909317919091169190911781559082015160018083018054909160ff19909116908360038111156104cd576104cd611d1e565b02179055506080820151816002015560a0820151816003015560c08201518160040155905050336001600160a01b031688837e26cabedadda22bff372b90daebcd41ac6ce4454aff42d1acf7c8aaf83c87748a8a8a8a88604051610535959493929190611fed565b60405180910390a4509695505050505050565b5f86815260046020526040902060018101546105679060ff1688610fd7565b610575818787878787611075565b60018101805460ff191660021790556004810180545f91829055906105b1838a6105a560808c0160608d01612026565b8a8a8d60200135611207565b9050887fc323c0f8dd60c79fe961f28903d408b289ba0c751fdf8b1d576a9f6a1d4398186105e560808b0160608c01612026565b6040805161ffff909216825284151560208301520160405180910390a28115610672576040515f90339084908381818185875af1925050503d805f8114610647576040519150601f19603f3d011682016040523d82523d5f602084013e61064c565b606091505b5050905080610670576040516306d133c960e31b815233600482015260240161038b565b505b505050505050505050565b5f8181526005602090815260408083208151808301909252546001600160a01b038116808352600160a01b9091046001600160401b0316928201929092529015806106eb57506020808201516001600160401b03165f908152600390915260409020546001600160a01b0316155b156106f857505f92915050565b5192915050565b61073b6040805160e0810182525f8082526020820181905291810182905290606082019081526020015f81526020015f81526020015f81525090565b5f82815260046020908152604091829020825160e08101845281546001600160a01b0381168252600160a01b810463ffffffff1693820193909352600160c01b9092046001600160401b0316928201929092526001820154909190606083019060ff1660038111156107af576107af611d1e565b60038111156107c0576107c0611d1e565b8152600282015460208201526003820154604082015260049091015460609091015292915050565b5f546001600160a01b03163314610812576040516330cd747160e01b815260040160405180910390fd5b6001600160401b0382165f8181526003602090815260409182902080546001600160a01b0319166001600160a01b03861690811790915591519182527f82cda1e3343b52077f76812352b31f191c4b7171ee6d4f7978fb45d954ea3755910160405180910390a25050565b5f818152600460205260409020600181015461089c9060ff1683610fd7565b80546001600160a01b031633146108c8576040516316f28f7960e21b815233600482015260240161038b565b80545f90610909906001600160401b037f0000000000000000000000000000000000000000000000000000000000000000811691600160c01b900416612047565b90508042101561092f57604051630a8d68c960e21b81526004810182905260240161038b565b60018201805460ff191660031790556004820180545f91829055604051909185917f7e6adcf202df0d966ad1453d7839f99dfcd6fbed49fc6f458985d8d83dd30f449190a280156109e4576040515f90339083908381818185875af1925050503d805f81146109b9576040519150601f19603f3d011682016040523d82523d5f602084013e6109be565b606091505b50509050806109e2576040516306d133c960e31b815233600482015260240161038b565b505b50505050565b6001600160401b0383165f908152600360205260409020546001600160a01b031680610a3457604051632938879b60e21b81526001600160401b038516600482015260240161038b565b6001600160a01b038516610a5b57604051633f32aabd60e21b815260040160405180910390fd5b5f868152600560209081526040918290208251808401909352546001600160a01b038116808452600160a01b9091046001600160401b03169183019190915215801590610abd575080602001516001600160401b0316856001600160401b0316105b15610af45760208101516040516365e9ed9160e11b81526001600160401b038088166004830152909116602482015260440161038b565b60418314610b1857604051630feddbc160e01b81526004810184905260240161038b565b604080515f5160206122a55f395f51905f5260208201525f5160206122c55f395f51905f52918101919091527fc89efdaa54c0f20c7adf612882df0950f5a951637e0307cdcb4c672f298b8bc660608201525f9060800160408051601f1981840301815282825280516020918201207ff8273d28648f30582c38956e70bb4a29e741a801b4130b2fbaf9aa5e8816bba6918401919091529082018a90526001600160a01b03891660608301526001600160401b03881660808301529060a00160405160208183030381529060405280519060200120604051602001610bfe929190612060565b6040516020818303038152906040528051906020012090505f610c228287876112d9565b9050836001600160a01b0316816001600160a01b031614610c6957604051630e84146b60e11b81526001600160a01b0380861660048301528216602482015260440161038b565b6040805180820182526001600160a01b03808b1682526001600160401b03808b1660208085019182525f8f81526005909152859020935184549151909216600160a01b026001600160e01b031990911691909216171790555189907fb86c541a10bcea68337d9a05cdb712a3c4226aeeaccac2facfbfb639f01f1f9c90610d10908b908b906001600160a01b039290921682526001600160401b0316602082015260400190565b60405180910390a2505050505050505050565b5f546001600160a01b03163314610d4d576040516330cd747160e01b815260040160405180910390fd5b60018190556040518181527f20461e09b8e557b77e107939f9ce6544698123aad0fc964ac5cc59b7df2e608f9060200160405180910390a150565b60605f84848080601f0160208091040260200160405190810160405280939291908181526020018383808284375f920182905250939450603f60f81b93925050505b8251811015610e1257828181518110610de557610de561207b565b01602001516001600160f81b031916603f60f81b03610e0a57601360f91b9150610e12565b600101610dca565b50610e1e87602061141d565b8282610e294661156d565b610e3430601461141d565b610e3d8961156d565b604051602001610e52969594939291906120a6565b60405160208183030381529060405292505050949350505050565b5f6002610e7c88888886610d88565b8585604051602001610e9093929190612134565b60408051601f1981840301815290829052610eaa9161216d565b602060405180830381855afa158015610ec5573d5f5f3e3d5ffd5b5050506040513d601f19601f82011682018060405250810190610ee89190612178565b979650505050505050565b80511580610f265750805f81518110610f0e57610f0e61207b565b6020910101516001600160f81b031916602f60f81b14155b15610f44576040516320db826760e01b815260040160405180910390fd5b5f5b8151811015610fd3575f828281518110610f6257610f6261207b565b01602001516001600160f81b0319169050600160fd1b81111580610f945750607f60f81b6001600160f81b0319821610155b80610fac5750602360f81b6001600160f81b03198216145b15610fca576040516320db826760e01b815260040160405180910390fd5b50600101610f46565b5050565b5f826003811115610fea57610fea611d1e565b0361100b57604051631f79bbe760e01b81526004810182905260240161038b565b600282600381111561101f5761101f611d1e565b0361104057604051636eb563d360e11b81526004810182905260240161038b565b600382600381111561105457611054611d1e565b03610fd35760405163ee243f8760e01b81526004810182905260240161038b565b60028601548535146110aa5760028601546040516313a2978d60e31b815260048101919091528535602482015260440161038b565b85600301548560400135146110e457600386015460408051632adecf7160e01b81526004810192909252860135602482015260440161038b565b5f600285856040516110f792919061218f565b602060405180830381855afa158015611112573d5f5f3e3d5ffd5b5050506040513d601f19601f820116820180604052508101906111359190612178565b90508560800135811461116857604051632f827cc160e01b8152608087013560048201526024810182905260440161038b565b5f611173873561067d565b90506001600160a01b03811661119f5760405163134dfc0360e11b81528735600482015260240161038b565b5f6111c06111ae898787611665565b6111bb60415f888a61219e565b6112d9565b9050816001600160a01b0316816001600160a01b0316146106725760405163366d29f760e01b81526001600160a01b0380841660048301528216602482015260440161038b565b85546040515f916001600160a01b03811691600160a01b90910463ffffffff16908390611240908a908a908a908a908a906024016121c5565b60408051601f198184030181529190526020810180516001600160e01b031663e067ac7960e01b17905290505f61271061127b603f8561220e565b6112859085612047565b61128f9190612047565b9050805a10156112be575a604051630c99e82d60e21b815260048101919091526024810182905260440161038b565b5f5f8351602085015f8888f19b9a5050505050505050505050565b5f806112e8602082858761219e565b6112f191612221565b90505f61130260406020868861219e565b61130b91612221565b90505f858560408181106113215761132161207b565b919091013560f81c9150507f7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a082118061136d57508060ff16601b1415801561136d57508060ff16601c14155b1561138b57604051632ad0f0b760e11b815260040160405180910390fd5b604080515f808252602082018084528a905260ff841692820192909252606081018590526080810184905260019060a0016020604051602081039080840390855afa1580156113dc573d5f5f3e3d5ffd5b5050604051601f1901519150506001600160a01b03811661141057604051632ad0f0b760e11b815260040160405180910390fd5b93505050505b9392505050565b60606f181899199a1a9b1b9c1cb0b131b232b360811b61143e83600261223e565b611449906002612047565b6001600160401b0381111561146057611460612255565b6040519080825280601f01601f19166020018201604052801561148a576020820181803683370190505b509150600360fc1b825f815181106114a4576114a461207b565b60200101906001600160f81b03191690815f1a905350600f60fb1b826001815181106114d2576114d261207b565b60200101906001600160f81b03191690815f1a9053505f6114f484600261223e565b6114ff906001612047565b90505b6001811115611565578185600f16601081106115205761152061207b565b1a60f81b8382815181106115365761153661207b565b60200101906001600160f81b03191690815f1a90535060049490941c938061155d81612269565b915050611502565b505092915050565b606060015f61157d600a8561220e565b90505b80156115a6578161159081611fad565b925061159f9050600a8261220e565b9050611580565b50806001600160401b038111156115bf576115bf612255565b6040519080825280601f01601f1916602001820160405280156115e9576020820181803683370190505b509150805b801561165e576115ff600a8561227e565b61160a906030612047565b60f81b83611619600184612291565b815181106116295761162961207b565b60200101906001600160f81b03191690815f1a90535061164a600a8561220e565b93508061165681612269565b9150506115ee565b5050919050565b5f60418290036117b7575f7fb40e5a114560a164c8240e3927ee1bc560dcc526233a135579f2328d8564addf8535602087013560408801356116ad60808a0160608b01612026565b61ffff1660808a01356116c660c08c0160a08d01611f80565b6040805160208101989098528701959095526060860193909352608085019190915260a084015260c08301526001600160401b031660e08201526101000160408051601f1981840301815282825280516020918201205f5160206122a55f395f51905f52918401919091525f5160206122c55f395f51905f52918301919091527fc89efdaa54c0f20c7adf612882df0950f5a951637e0307cdcb4c672f298b8bc6606083015291506080016040516020818303038152906040528051906020012081604051602001611799929190612060565b60405160208183030381529060405280519060200120915050611416565b8160618114801590611809575060a18110806117e8575060206117db608183612291565b6117e5919061227e565b15155b806118095750600860206117fd608184612291565b611807919061220e565b115b1561182a57604051630feddbc160e01b81526004810182905260240161038b565b5f7f24de22dddd89c785a6f07a2a60397c5ea702ffb3dac532e66d0697b5d932c79786356020880135604089013561186860808b0160608c01612026565b61ffff1660808b013561188160c08d0160a08e01611f80565b6001600160401b0316611898606160418d8f61219e565b6118a191612221565b6040805160208101999099528801969096526060870194909452608086019290925260a085015260c084015260e0830152610100820152610120016040516020818303038152906040528051906020012090508160610361199857604080515f5160206122a55f395f51905f5260208201525f5160206122c55f395f51905f52918101919091527fad7c5bef027816a800da1736444fb58a807ef4c9603b7848673f7e3a68eb14a560608201526080016040516020818303038152906040528051906020012081604051602001611979929190612060565b6040516020818303038152906040528051906020012092505050611416565b7fa05c00b4491059211a7e6a1801ffaf3e0a26de3121d1124da4d99de944c6ea3d816119c860816061888a61219e565b6119d191612221565b604080516020810194909452830191909152606082015260800160408051601f198184030181529190528051602090910120905060815b82811015611aae575f868287611a1f826020612047565b92611a2c9392919061219e565b611a3591612221565b9050808310611a6d57604080516020810183905290810184905260600160405160208183030381529060405280519060200120611a98565b6040805160208101859052908101829052606001604051602081830303815290604052805190602001205b9250611aa79050602082612047565b9050611a08565b50604080515f5160206122a55f395f51905f5260208201525f5160206122c55f395f51905f52918101919091527f2a80e1ef1d7842f27f2e6be0972bb708b9a135c38860dbe73c27c3486c34f4de6060820152608001604051602081830303815290604052805190602001207fba95bf8437fe22e6d396eeb44d8a97da30ccfb7fa9ecdacb60169ff67397432482604051602001611b56929190918252602082015260400190565b60405160208183030381529060405280519060200120604051602001611b7d929190612060565b60405160208183030381529060405280519060200120925050509392505050565b5f5f83601f840112611bae575f5ffd5b5081356001600160401b03811115611bc4575f5ffd5b602083019150836020828501011115611bdb575f5ffd5b9250929050565b5f5f5f5f5f5f60808789031215611bf7575f5ffd5b8635955060208701356001600160401b03811115611c13575f5ffd5b611c1f89828a01611b9e565b90965094505060408701356001600160401b03811115611c3d575f5ffd5b611c4989828a01611b9e565b909450925050606087013563ffffffff81168114611c65575f5ffd5b809150509295509295509295565b5f5f5f5f5f5f868803610120811215611c8a575f5ffd5b8735965060c0601f1982011215611c9f575f5ffd5b5060208701945060e08701356001600160401b03811115611cbe575f5ffd5b611cca89828a01611b9e565b9095509350506101008701356001600160401b03811115611ce9575f5ffd5b611cf589828a01611b9e565b979a9699509497509295939492505050565b5f60208284031215611d17575f5ffd5b5035919050565b634e487b7160e01b5f52602160045260245ffd5b81516001600160a01b0316815260208083015163ffffffff16908201526040808301516001600160401b031690820152606082015160e082019060048110611d8857634e487b7160e01b5f52602160045260245ffd5b806060840152506080830151608083015260a083015160a083015260c083015160c083015292915050565b80356001600160401b0381168114611dc9575f5ffd5b919050565b80356001600160a01b0381168114611dc9575f5ffd5b5f5f60408385031215611df5575f5ffd5b611dfe83611db3565b9150611e0c60208401611dce565b90509250929050565b5f5f5f5f5f60808688031215611e29575f5ffd5b85359450611e3960208701611dce565b9350611e4760408701611db3565b925060608601356001600160401b03811115611e61575f5ffd5b611e6d88828901611b9e565b969995985093965092949392505050565b5f5f5f5f60608587031215611e91575f5ffd5b8435935060208501356001600160401b03811115611ead575f5ffd5b611eb987828801611b9e565b9598909750949560400135949350505050565b602081525f82518060208401528060208501604085015e5f604082850101526040601f19601f83011684010191505092915050565b5f5f5f5f5f5f60808789031215611f16575f5ffd5b8635955060208701356001600160401b03811115611f32575f5ffd5b611f3e89828a01611b9e565b90965094505060408701356001600160401b03811115611f5c575f5ffd5b611f6889828a01611b9e565b979a9699509497949695606090950135949350505050565b5f60208284031215611f90575f5ffd5b61141682611db3565b634e487b7160e01b5f52601160045260245ffd5b5f60018201611fbe57611fbe611f99565b5060010190565b81835281816020850137505f828201602090810191909152601f909101601f19169091010190565b606081525f612000606083018789611fc5565b8281036020840152612013818688611fc5565b9150508260408301529695505050505050565b5f60208284031215612036575f5ffd5b813561ffff81168114611416575f5ffd5b8082018082111561205a5761205a611f99565b92915050565b61190160f01b81526002810192909252602282015260420190565b634e487b7160e01b5f52603260045260245ffd5b5f81518060208401855e5f93019283525090919050565b672f6167656e74732f60c01b81525f6120cb6120c5600884018a61208f565b8861208f565b6001600160f81b0319871681526c636f76652d726571756573743d60981b60018201526120fb600e82018761208f565b9050602d60f81b8152612111600182018661208f565b9050602d60f81b8152612127600182018561208f565b9998505050505050505050565b642827a9aa0560d91b81525f61214d600583018661208f565b600560f91b8152838560018301375f930160010192835250909392505050565b5f611416828461208f565b5f60208284031215612188575f5ffd5b5051919050565b818382375f9101908152919050565b5f5f858511156121ac575f5ffd5b838611156121b8575f5ffd5b5050820193919092039150565b85815261ffff85166020820152608060408201525f6121e8608083018587611fc5565b90508260608301529695505050505050565b634e487b7160e01b5f52601260045260245ffd5b5f8261221c5761221c6121fa565b500490565b8035602083101561205a575f19602084900360031b1b1692915050565b808202811582820484141761205a5761205a611f99565b634e487b7160e01b5f52604160045260245ffd5b5f8161227757612277611f99565b505f190190565b5f8261228c5761228c6121fa565b500690565b8181038181111561205a5761205a611f9956feb03948446334eb9b2196d5eb166f69b9d49403eb4a12f36de8d3f9f3cb8e15c3c555adaf4bfefe9d2860be2ab28a840e7f7a3cf0b8f360f7f83a66180d917849a264697066735822122004e2e11f1ef1d1b7babbc33e175aa948a5d51a411acb5550178a5e0a34feb35764736f6c634300081c0033",
}

// CoveAnchorABI is the input ABI used to generate the binding from.
// Deprecated: Use CoveAnchorMetaData.ABI instead.
var CoveAnchorABI = CoveAnchorMetaData.ABI

// CoveAnchorBin is the compiled bytecode used for deploying new contracts.
// Deprecated: Use CoveAnchorMetaData.Bin instead.
var CoveAnchorBin = CoveAnchorMetaData.Bin

// DeployCoveAnchor deploys a new Ethereum contract, binding an instance of CoveAnchor to it.
func DeployCoveAnchor(auth *bind.TransactOpts, backend bind.ContractBackend, fee_ *big.Int, timeout_ uint64) (common.Address, *types.Transaction, *CoveAnchor, error) {
	parsed, err := CoveAnchorMetaData.GetAbi()
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	if parsed == nil {
		return common.Address{}, nil, nil, errors.New("GetABI returned nil")
	}

	address, tx, contract, err := bind.DeployContract(auth, *parsed, common.FromHex(CoveAnchorBin), backend, fee_, timeout_)
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	return address, tx, &CoveAnchor{CoveAnchorCaller: CoveAnchorCaller{contract: contract}, CoveAnchorTransactor: CoveAnchorTransactor{contract: contract}, CoveAnchorFilterer: CoveAnchorFilterer{contract: contract}}, nil
}

// CoveAnchor is an auto generated Go binding around an Ethereum contract.
type CoveAnchor struct {
	CoveAnchorCaller     // Read-only binding to the contract
	CoveAnchorTransactor // Write-only binding to the contract
	CoveAnchorFilterer   // Log filterer for contract events
}

// CoveAnchorCaller is an auto generated read-only Go binding around an Ethereum contract.
type CoveAnchorCaller struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// CoveAnchorTransactor is an auto generated write-only Go binding around an Ethereum contract.
type CoveAnchorTransactor struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// CoveAnchorFilterer is an auto generated log filtering Go binding around an Ethereum contract events.
type CoveAnchorFilterer struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// CoveAnchorSession is an auto generated Go binding around an Ethereum contract,
// with pre-set call and transact options.
type CoveAnchorSession struct {
	Contract     *CoveAnchor       // Generic contract binding to set the session for
	CallOpts     bind.CallOpts     // Call options to use throughout this session
	TransactOpts bind.TransactOpts // Transaction auth options to use throughout this session
}

// CoveAnchorCallerSession is an auto generated read-only Go binding around an Ethereum contract,
// with pre-set call options.
type CoveAnchorCallerSession struct {
	Contract *CoveAnchorCaller // Generic contract caller binding to set the session for
	CallOpts bind.CallOpts     // Call options to use throughout this session
}

// CoveAnchorTransactorSession is an auto generated write-only Go binding around an Ethereum contract,
// with pre-set transact options.
type CoveAnchorTransactorSession struct {
	Contract     *CoveAnchorTransactor // Generic contract transactor binding to set the session for
	TransactOpts bind.TransactOpts     // Transaction auth options to use throughout this session
}

// CoveAnchorRaw is an auto generated low-level Go binding around an Ethereum contract.
type CoveAnchorRaw struct {
	Contract *CoveAnchor // Generic contract binding to access the raw methods on
}

// CoveAnchorCallerRaw is an auto generated low-level read-only Go binding around an Ethereum contract.
type CoveAnchorCallerRaw struct {
	Contract *CoveAnchorCaller // Generic read-only contract binding to access the raw methods on
}

// CoveAnchorTransactorRaw is an auto generated low-level write-only Go binding around an Ethereum contract.
type CoveAnchorTransactorRaw struct {
	Contract *CoveAnchorTransactor // Generic write-only contract binding to access the raw methods on
}

// NewCoveAnchor creates a new instance of CoveAnchor, bound to a specific deployed contract.
func NewCoveAnchor(address common.Address, backend bind.ContractBackend) (*CoveAnchor, error) {
	contract, err := bindCoveAnchor(address, backend, backend, backend)
	if err != nil {
		return nil, err
	}
	return &CoveAnchor{CoveAnchorCaller: CoveAnchorCaller{contract: contract}, CoveAnchorTransactor: CoveAnchorTransactor{contract: contract}, CoveAnchorFilterer: CoveAnchorFilterer{contract: contract}}, nil
}

// NewCoveAnchorCaller creates a new read-only instance of CoveAnchor, bound to a specific deployed contract.
func NewCoveAnchorCaller(address common.Address, caller bind.ContractCaller) (*CoveAnchorCaller, error) {
	contract, err := bindCoveAnchor(address, caller, nil, nil)
	if err != nil {
		return nil, err
	}
	return &CoveAnchorCaller{contract: contract}, nil
}

// NewCoveAnchorTransactor creates a new write-only instance of CoveAnchor, bound to a specific deployed contract.
func NewCoveAnchorTransactor(address common.Address, transactor bind.ContractTransactor) (*CoveAnchorTransactor, error) {
	contract, err := bindCoveAnchor(address, nil, transactor, nil)
	if err != nil {
		return nil, err
	}
	return &CoveAnchorTransactor{contract: contract}, nil
}

// NewCoveAnchorFilterer creates a new log filterer instance of CoveAnchor, bound to a specific deployed contract.
func NewCoveAnchorFilterer(address common.Address, filterer bind.ContractFilterer) (*CoveAnchorFilterer, error) {
	contract, err := bindCoveAnchor(address, nil, nil, filterer)
	if err != nil {
		return nil, err
	}
	return &CoveAnchorFilterer{contract: contract}, nil
}

// bindCoveAnchor binds a generic wrapper to an already deployed contract.
func bindCoveAnchor(address common.Address, caller bind.ContractCaller, transactor bind.ContractTransactor, filterer bind.ContractFilterer) (*bind.BoundContract, error) {
	parsed, err := CoveAnchorMetaData.GetAbi()
	if err != nil {
		return nil, err
	}
	return bind.NewBoundContract(address, *parsed, caller, transactor, filterer), nil
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_CoveAnchor *CoveAnchorRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _CoveAnchor.Contract.CoveAnchorCaller.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_CoveAnchor *CoveAnchorRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _CoveAnchor.Contract.CoveAnchorTransactor.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_CoveAnchor *CoveAnchorRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _CoveAnchor.Contract.CoveAnchorTransactor.contract.Transact(opts, method, params...)
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_CoveAnchor *CoveAnchorCallerRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _CoveAnchor.Contract.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_CoveAnchor *CoveAnchorTransactorRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _CoveAnchor.Contract.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_CoveAnchor *CoveAnchorTransactorRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _CoveAnchor.Contract.contract.Transact(opts, method, params...)
}

// GRANTTYPEHASH is a free data retrieval call binding the contract method 0x073f5d9f.
//
// Solidity: function GRANT_TYPEHASH() view returns(bytes32)
func (_CoveAnchor *CoveAnchorCaller) GRANTTYPEHASH(opts *bind.CallOpts) ([32]byte, error) {
	var out []interface{}
	err := _CoveAnchor.contract.Call(opts, &out, "GRANT_TYPEHASH")

	if err != nil {
		return *new([32]byte), err
	}

	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)

	return out0, err

}

// GRANTTYPEHASH is a free data retrieval call binding the contract method 0x073f5d9f.
//
// Solidity: function GRANT_TYPEHASH() view returns(bytes32)
func (_CoveAnchor *CoveAnchorSession) GRANTTYPEHASH() ([32]byte, error) {
	return _CoveAnchor.Contract.GRANTTYPEHASH(&_CoveAnchor.CallOpts)
}

// GRANTTYPEHASH is a free data retrieval call binding the contract method 0x073f5d9f.
//
// Solidity: function GRANT_TYPEHASH() view returns(bytes32)
func (_CoveAnchor *CoveAnchorCallerSession) GRANTTYPEHASH() ([32]byte, error) {
	return _CoveAnchor.Contract.GRANTTYPEHASH(&_CoveAnchor.CallOpts)
}

// AttestorOf is a free data retrieval call binding the contract method 0x23753a26.
//
// Solidity: function attestorOf(bytes32 agent) view returns(address)
func (_CoveAnchor *CoveAnchorCaller) AttestorOf(opts *bind.CallOpts, agent [32]byte) (common.Address, error) {
	var out []interface{}
	err := _CoveAnchor.contract.Call(opts, &out, "attestorOf", agent)

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// AttestorOf is a free data retrieval call binding the contract method 0x23753a26.
//
// Solidity: function attestorOf(bytes32 agent) view returns(address)
func (_CoveAnchor *CoveAnchorSession) AttestorOf(agent [32]byte) (common.Address, error) {
	return _CoveAnchor.Contract.AttestorOf(&_CoveAnchor.CallOpts, agent)
}

// AttestorOf is a free data retrieval call binding the contract method 0x23753a26.
//
// Solidity: function attestorOf(bytes32 agent) view returns(address)
func (_CoveAnchor *CoveAnchorCallerSession) AttestorOf(agent [32]byte) (common.Address, error) {
	return _CoveAnchor.Contract.AttestorOf(&_CoveAnchor.CallOpts, agent)
}

// EpochSigner is a free data retrieval call binding the contract method 0xea5d9f02.
//
// Solidity: function epochSigner(uint64 ) view returns(address)
func (_CoveAnchor *CoveAnchorCaller) EpochSigner(opts *bind.CallOpts, arg0 uint64) (common.Address, error) {
	var out []interface{}
	err := _CoveAnchor.contract.Call(opts, &out, "epochSigner", arg0)

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// EpochSigner is a free data retrieval call binding the contract method 0xea5d9f02.
//
// Solidity: function epochSigner(uint64 ) view returns(address)
func (_CoveAnchor *CoveAnchorSession) EpochSigner(arg0 uint64) (common.Address, error) {
	return _CoveAnchor.Contract.EpochSigner(&_CoveAnchor.CallOpts, arg0)
}

// EpochSigner is a free data retrieval call binding the contract method 0xea5d9f02.
//
// Solidity: function epochSigner(uint64 ) view returns(address)
func (_CoveAnchor *CoveAnchorCallerSession) EpochSigner(arg0 uint64) (common.Address, error) {
	return _CoveAnchor.Contract.EpochSigner(&_CoveAnchor.CallOpts, arg0)
}

// Fee is a free data retrieval call binding the contract method 0xddca3f43.
//
// Solidity: function fee() view returns(uint256)
func (_CoveAnchor *CoveAnchorCaller) Fee(opts *bind.CallOpts) (*big.Int, error) {
	var out []interface{}
	err := _CoveAnchor.contract.Call(opts, &out, "fee")

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// Fee is a free data retrieval call binding the contract method 0xddca3f43.
//
// Solidity: function fee() view returns(uint256)
func (_CoveAnchor *CoveAnchorSession) Fee() (*big.Int, error) {
	return _CoveAnchor.Contract.Fee(&_CoveAnchor.CallOpts)
}

// Fee is a free data retrieval call binding the contract method 0xddca3f43.
//
// Solidity: function fee() view returns(uint256)
func (_CoveAnchor *CoveAnchorCallerSession) Fee() (*big.Int, error) {
	return _CoveAnchor.Contract.Fee(&_CoveAnchor.CallOpts)
}

// NextRequestId is a free data retrieval call binding the contract method 0x6a84a985.
//
// Solidity: function nextRequestId() view returns(uint256)
func (_CoveAnchor *CoveAnchorCaller) NextRequestId(opts *bind.CallOpts) (*big.Int, error) {
	var out []interface{}
	err := _CoveAnchor.contract.Call(opts, &out, "nextRequestId")

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// NextRequestId is a free data retrieval call binding the contract method 0x6a84a985.
//
// Solidity: function nextRequestId() view returns(uint256)
func (_CoveAnchor *CoveAnchorSession) NextRequestId() (*big.Int, error) {
	return _CoveAnchor.Contract.NextRequestId(&_CoveAnchor.CallOpts)
}

// NextRequestId is a free data retrieval call binding the contract method 0x6a84a985.
//
// Solidity: function nextRequestId() view returns(uint256)
func (_CoveAnchor *CoveAnchorCallerSession) NextRequestId() (*big.Int, error) {
	return _CoveAnchor.Contract.NextRequestId(&_CoveAnchor.CallOpts)
}

// Owner is a free data retrieval call binding the contract method 0x8da5cb5b.
//
// Solidity: function owner() view returns(address)
func (_CoveAnchor *CoveAnchorCaller) Owner(opts *bind.CallOpts) (common.Address, error) {
	var out []interface{}
	err := _CoveAnchor.contract.Call(opts, &out, "owner")

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// Owner is a free data retrieval call binding the contract method 0x8da5cb5b.
//
// Solidity: function owner() view returns(address)
func (_CoveAnchor *CoveAnchorSession) Owner() (common.Address, error) {
	return _CoveAnchor.Contract.Owner(&_CoveAnchor.CallOpts)
}

// Owner is a free data retrieval call binding the contract method 0x8da5cb5b.
//
// Solidity: function owner() view returns(address)
func (_CoveAnchor *CoveAnchorCallerSession) Owner() (common.Address, error) {
	return _CoveAnchor.Contract.Owner(&_CoveAnchor.CallOpts)
}

// RequestHash is a free data retrieval call binding the contract method 0xad663f28.
//
// Solidity: function requestHash(bytes32 agent, string path, bytes body, uint256 requestId) view returns(bytes32)
func (_CoveAnchor *CoveAnchorCaller) RequestHash(opts *bind.CallOpts, agent [32]byte, path string, body []byte, requestId *big.Int) ([32]byte, error) {
	var out []interface{}
	err := _CoveAnchor.contract.Call(opts, &out, "requestHash", agent, path, body, requestId)

	if err != nil {
		return *new([32]byte), err
	}

	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)

	return out0, err

}

// RequestHash is a free data retrieval call binding the contract method 0xad663f28.
//
// Solidity: function requestHash(bytes32 agent, string path, bytes body, uint256 requestId) view returns(bytes32)
func (_CoveAnchor *CoveAnchorSession) RequestHash(agent [32]byte, path string, body []byte, requestId *big.Int) ([32]byte, error) {
	return _CoveAnchor.Contract.RequestHash(&_CoveAnchor.CallOpts, agent, path, body, requestId)
}

// RequestHash is a free data retrieval call binding the contract method 0xad663f28.
//
// Solidity: function requestHash(bytes32 agent, string path, bytes body, uint256 requestId) view returns(bytes32)
func (_CoveAnchor *CoveAnchorCallerSession) RequestHash(agent [32]byte, path string, body []byte, requestId *big.Int) ([32]byte, error) {
	return _CoveAnchor.Contract.RequestHash(&_CoveAnchor.CallOpts, agent, path, body, requestId)
}

// RequestOf is a free data retrieval call binding the contract method 0x324e03be.
//
// Solidity: function requestOf(uint256 requestId) view returns((address,uint32,uint64,uint8,bytes32,bytes32,uint256))
func (_CoveAnchor *CoveAnchorCaller) RequestOf(opts *bind.CallOpts, requestId *big.Int) (CoveAnchorRequest, error) {
	var out []interface{}
	err := _CoveAnchor.contract.Call(opts, &out, "requestOf", requestId)

	if err != nil {
		return *new(CoveAnchorRequest), err
	}

	out0 := *abi.ConvertType(out[0], new(CoveAnchorRequest)).(*CoveAnchorRequest)

	return out0, err

}

// RequestOf is a free data retrieval call binding the contract method 0x324e03be.
//
// Solidity: function requestOf(uint256 requestId) view returns((address,uint32,uint64,uint8,bytes32,bytes32,uint256))
func (_CoveAnchor *CoveAnchorSession) RequestOf(requestId *big.Int) (CoveAnchorRequest, error) {
	return _CoveAnchor.Contract.RequestOf(&_CoveAnchor.CallOpts, requestId)
}

// RequestOf is a free data retrieval call binding the contract method 0x324e03be.
//
// Solidity: function requestOf(uint256 requestId) view returns((address,uint32,uint64,uint8,bytes32,bytes32,uint256))
func (_CoveAnchor *CoveAnchorCallerSession) RequestOf(requestId *big.Int) (CoveAnchorRequest, error) {
	return _CoveAnchor.Contract.RequestOf(&_CoveAnchor.CallOpts, requestId)
}

// Target is a free data retrieval call binding the contract method 0xa81be81e.
//
// Solidity: function target(bytes32 agent, string path, uint256 requestId) view returns(bytes)
func (_CoveAnchor *CoveAnchorCaller) Target(opts *bind.CallOpts, agent [32]byte, path string, requestId *big.Int) ([]byte, error) {
	var out []interface{}
	err := _CoveAnchor.contract.Call(opts, &out, "target", agent, path, requestId)

	if err != nil {
		return *new([]byte), err
	}

	out0 := *abi.ConvertType(out[0], new([]byte)).(*[]byte)

	return out0, err

}

// Target is a free data retrieval call binding the contract method 0xa81be81e.
//
// Solidity: function target(bytes32 agent, string path, uint256 requestId) view returns(bytes)
func (_CoveAnchor *CoveAnchorSession) Target(agent [32]byte, path string, requestId *big.Int) ([]byte, error) {
	return _CoveAnchor.Contract.Target(&_CoveAnchor.CallOpts, agent, path, requestId)
}

// Target is a free data retrieval call binding the contract method 0xa81be81e.
//
// Solidity: function target(bytes32 agent, string path, uint256 requestId) view returns(bytes)
func (_CoveAnchor *CoveAnchorCallerSession) Target(agent [32]byte, path string, requestId *big.Int) ([]byte, error) {
	return _CoveAnchor.Contract.Target(&_CoveAnchor.CallOpts, agent, path, requestId)
}

// Timeout is a free data retrieval call binding the contract method 0x70dea79a.
//
// Solidity: function timeout() view returns(uint64)
func (_CoveAnchor *CoveAnchorCaller) Timeout(opts *bind.CallOpts) (uint64, error) {
	var out []interface{}
	err := _CoveAnchor.contract.Call(opts, &out, "timeout")

	if err != nil {
		return *new(uint64), err
	}

	out0 := *abi.ConvertType(out[0], new(uint64)).(*uint64)

	return out0, err

}

// Timeout is a free data retrieval call binding the contract method 0x70dea79a.
//
// Solidity: function timeout() view returns(uint64)
func (_CoveAnchor *CoveAnchorSession) Timeout() (uint64, error) {
	return _CoveAnchor.Contract.Timeout(&_CoveAnchor.CallOpts)
}

// Timeout is a free data retrieval call binding the contract method 0x70dea79a.
//
// Solidity: function timeout() view returns(uint64)
func (_CoveAnchor *CoveAnchorCallerSession) Timeout() (uint64, error) {
	return _CoveAnchor.Contract.Timeout(&_CoveAnchor.CallOpts)
}

// Cancel is a paid mutator transaction binding the contract method 0x40e58ee5.
//
// Solidity: function cancel(uint256 requestId) returns()
func (_CoveAnchor *CoveAnchorTransactor) Cancel(opts *bind.TransactOpts, requestId *big.Int) (*types.Transaction, error) {
	return _CoveAnchor.contract.Transact(opts, "cancel", requestId)
}

// Cancel is a paid mutator transaction binding the contract method 0x40e58ee5.
//
// Solidity: function cancel(uint256 requestId) returns()
func (_CoveAnchor *CoveAnchorSession) Cancel(requestId *big.Int) (*types.Transaction, error) {
	return _CoveAnchor.Contract.Cancel(&_CoveAnchor.TransactOpts, requestId)
}

// Cancel is a paid mutator transaction binding the contract method 0x40e58ee5.
//
// Solidity: function cancel(uint256 requestId) returns()
func (_CoveAnchor *CoveAnchorTransactorSession) Cancel(requestId *big.Int) (*types.Transaction, error) {
	return _CoveAnchor.Contract.Cancel(&_CoveAnchor.TransactOpts, requestId)
}

// Fulfil is a paid mutator transaction binding the contract method 0x223453e1.
//
// Solidity: function fulfil(uint256 requestId, (bytes32,bytes32,bytes32,uint16,bytes32,uint64) receipt, bytes response, bytes signature) returns()
func (_CoveAnchor *CoveAnchorTransactor) Fulfil(opts *bind.TransactOpts, requestId *big.Int, receipt Receipt, response []byte, signature []byte) (*types.Transaction, error) {
	return _CoveAnchor.contract.Transact(opts, "fulfil", requestId, receipt, response, signature)
}

// Fulfil is a paid mutator transaction binding the contract method 0x223453e1.
//
// Solidity: function fulfil(uint256 requestId, (bytes32,bytes32,bytes32,uint16,bytes32,uint64) receipt, bytes response, bytes signature) returns()
func (_CoveAnchor *CoveAnchorSession) Fulfil(requestId *big.Int, receipt Receipt, response []byte, signature []byte) (*types.Transaction, error) {
	return _CoveAnchor.Contract.Fulfil(&_CoveAnchor.TransactOpts, requestId, receipt, response, signature)
}

// Fulfil is a paid mutator transaction binding the contract method 0x223453e1.
//
// Solidity: function fulfil(uint256 requestId, (bytes32,bytes32,bytes32,uint16,bytes32,uint64) receipt, bytes response, bytes signature) returns()
func (_CoveAnchor *CoveAnchorTransactorSession) Fulfil(requestId *big.Int, receipt Receipt, response []byte, signature []byte) (*types.Transaction, error) {
	return _CoveAnchor.Contract.Fulfil(&_CoveAnchor.TransactOpts, requestId, receipt, response, signature)
}

// RegisterAttestor is a paid mutator transaction binding the contract method 0x4c02e64b.
//
// Solidity: function registerAttestor(bytes32 agent, address attestor, uint64 epoch, bytes signature) returns()
func (_CoveAnchor *CoveAnchorTransactor) RegisterAttestor(opts *bind.TransactOpts, agent [32]byte, attestor common.Address, epoch uint64, signature []byte) (*types.Transaction, error) {
	return _CoveAnchor.contract.Transact(opts, "registerAttestor", agent, attestor, epoch, signature)
}

// RegisterAttestor is a paid mutator transaction binding the contract method 0x4c02e64b.
//
// Solidity: function registerAttestor(bytes32 agent, address attestor, uint64 epoch, bytes signature) returns()
func (_CoveAnchor *CoveAnchorSession) RegisterAttestor(agent [32]byte, attestor common.Address, epoch uint64, signature []byte) (*types.Transaction, error) {
	return _CoveAnchor.Contract.RegisterAttestor(&_CoveAnchor.TransactOpts, agent, attestor, epoch, signature)
}

// RegisterAttestor is a paid mutator transaction binding the contract method 0x4c02e64b.
//
// Solidity: function registerAttestor(bytes32 agent, address attestor, uint64 epoch, bytes signature) returns()
func (_CoveAnchor *CoveAnchorTransactorSession) RegisterAttestor(agent [32]byte, attestor common.Address, epoch uint64, signature []byte) (*types.Transaction, error) {
	return _CoveAnchor.Contract.RegisterAttestor(&_CoveAnchor.TransactOpts, agent, attestor, epoch, signature)
}

// Request is a paid mutator transaction binding the contract method 0x0be75ace.
//
// Solidity: function request(bytes32 agent, string path, bytes body, uint32 callbackGasLimit) payable returns(uint256 requestId)
func (_CoveAnchor *CoveAnchorTransactor) Request(opts *bind.TransactOpts, agent [32]byte, path string, body []byte, callbackGasLimit uint32) (*types.Transaction, error) {
	return _CoveAnchor.contract.Transact(opts, "request", agent, path, body, callbackGasLimit)
}

// Request is a paid mutator transaction binding the contract method 0x0be75ace.
//
// Solidity: function request(bytes32 agent, string path, bytes body, uint32 callbackGasLimit) payable returns(uint256 requestId)
func (_CoveAnchor *CoveAnchorSession) Request(agent [32]byte, path string, body []byte, callbackGasLimit uint32) (*types.Transaction, error) {
	return _CoveAnchor.Contract.Request(&_CoveAnchor.TransactOpts, agent, path, body, callbackGasLimit)
}

// Request is a paid mutator transaction binding the contract method 0x0be75ace.
//
// Solidity: function request(bytes32 agent, string path, bytes body, uint32 callbackGasLimit) payable returns(uint256 requestId)
func (_CoveAnchor *CoveAnchorTransactorSession) Request(agent [32]byte, path string, body []byte, callbackGasLimit uint32) (*types.Transaction, error) {
	return _CoveAnchor.Contract.Request(&_CoveAnchor.TransactOpts, agent, path, body, callbackGasLimit)
}

// SetEpochSigner is a paid mutator transaction binding the contract method 0x3d588df4.
//
// Solidity: function setEpochSigner(uint64 epoch, address signer) returns()
func (_CoveAnchor *CoveAnchorTransactor) SetEpochSigner(opts *bind.TransactOpts, epoch uint64, signer common.Address) (*types.Transaction, error) {
	return _CoveAnchor.contract.Transact(opts, "setEpochSigner", epoch, signer)
}

// SetEpochSigner is a paid mutator transaction binding the contract method 0x3d588df4.
//
// Solidity: function setEpochSigner(uint64 epoch, address signer) returns()
func (_CoveAnchor *CoveAnchorSession) SetEpochSigner(epoch uint64, signer common.Address) (*types.Transaction, error) {
	return _CoveAnchor.Contract.SetEpochSigner(&_CoveAnchor.TransactOpts, epoch, signer)
}

// SetEpochSigner is a paid mutator transaction binding the contract method 0x3d588df4.
//
// Solidity: function setEpochSigner(uint64 epoch, address signer) returns()
func (_CoveAnchor *CoveAnchorTransactorSession) SetEpochSigner(epoch uint64, signer common.Address) (*types.Transaction, error) {
	return _CoveAnchor.Contract.SetEpochSigner(&_CoveAnchor.TransactOpts, epoch, signer)
}

// SetFee is a paid mutator transaction binding the contract method 0x69fe0e2d.
//
// Solidity: function setFee(uint256 fee_) returns()
func (_CoveAnchor *CoveAnchorTransactor) SetFee(opts *bind.TransactOpts, fee_ *big.Int) (*types.Transaction, error) {
	return _CoveAnchor.contract.Transact(opts, "setFee", fee_)
}

// SetFee is a paid mutator transaction binding the contract method 0x69fe0e2d.
//
// Solidity: function setFee(uint256 fee_) returns()
func (_CoveAnchor *CoveAnchorSession) SetFee(fee_ *big.Int) (*types.Transaction, error) {
	return _CoveAnchor.Contract.SetFee(&_CoveAnchor.TransactOpts, fee_)
}

// SetFee is a paid mutator transaction binding the contract method 0x69fe0e2d.
//
// Solidity: function setFee(uint256 fee_) returns()
func (_CoveAnchor *CoveAnchorTransactorSession) SetFee(fee_ *big.Int) (*types.Transaction, error) {
	return _CoveAnchor.Contract.SetFee(&_CoveAnchor.TransactOpts, fee_)
}

// CoveAnchorAttestorRegisteredIterator is returned from FilterAttestorRegistered and is used to iterate over the raw logs and unpacked data for AttestorRegistered events raised by the CoveAnchor contract.
type CoveAnchorAttestorRegisteredIterator struct {
	Event *CoveAnchorAttestorRegistered // Event containing the contract specifics and raw log

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
func (it *CoveAnchorAttestorRegisteredIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(CoveAnchorAttestorRegistered)
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
		it.Event = new(CoveAnchorAttestorRegistered)
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
func (it *CoveAnchorAttestorRegisteredIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *CoveAnchorAttestorRegisteredIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// CoveAnchorAttestorRegistered represents a AttestorRegistered event raised by the CoveAnchor contract.
type CoveAnchorAttestorRegistered struct {
	Agent    [32]byte
	Attestor common.Address
	Epoch    uint64
	Raw      types.Log // Blockchain specific contextual infos
}

// FilterAttestorRegistered is a free log retrieval operation binding the contract event 0xb86c541a10bcea68337d9a05cdb712a3c4226aeeaccac2facfbfb639f01f1f9c.
//
// Solidity: event AttestorRegistered(bytes32 indexed agent, address attestor, uint64 epoch)
func (_CoveAnchor *CoveAnchorFilterer) FilterAttestorRegistered(opts *bind.FilterOpts, agent [][32]byte) (*CoveAnchorAttestorRegisteredIterator, error) {

	var agentRule []interface{}
	for _, agentItem := range agent {
		agentRule = append(agentRule, agentItem)
	}

	logs, sub, err := _CoveAnchor.contract.FilterLogs(opts, "AttestorRegistered", agentRule)
	if err != nil {
		return nil, err
	}
	return &CoveAnchorAttestorRegisteredIterator{contract: _CoveAnchor.contract, event: "AttestorRegistered", logs: logs, sub: sub}, nil
}

// WatchAttestorRegistered is a free log subscription operation binding the contract event 0xb86c541a10bcea68337d9a05cdb712a3c4226aeeaccac2facfbfb639f01f1f9c.
//
// Solidity: event AttestorRegistered(bytes32 indexed agent, address attestor, uint64 epoch)
func (_CoveAnchor *CoveAnchorFilterer) WatchAttestorRegistered(opts *bind.WatchOpts, sink chan<- *CoveAnchorAttestorRegistered, agent [][32]byte) (event.Subscription, error) {

	var agentRule []interface{}
	for _, agentItem := range agent {
		agentRule = append(agentRule, agentItem)
	}

	logs, sub, err := _CoveAnchor.contract.WatchLogs(opts, "AttestorRegistered", agentRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(CoveAnchorAttestorRegistered)
				if err := _CoveAnchor.contract.UnpackLog(event, "AttestorRegistered", log); err != nil {
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

// ParseAttestorRegistered is a log parse operation binding the contract event 0xb86c541a10bcea68337d9a05cdb712a3c4226aeeaccac2facfbfb639f01f1f9c.
//
// Solidity: event AttestorRegistered(bytes32 indexed agent, address attestor, uint64 epoch)
func (_CoveAnchor *CoveAnchorFilterer) ParseAttestorRegistered(log types.Log) (*CoveAnchorAttestorRegistered, error) {
	event := new(CoveAnchorAttestorRegistered)
	if err := _CoveAnchor.contract.UnpackLog(event, "AttestorRegistered", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// CoveAnchorCoveCancelledIterator is returned from FilterCoveCancelled and is used to iterate over the raw logs and unpacked data for CoveCancelled events raised by the CoveAnchor contract.
type CoveAnchorCoveCancelledIterator struct {
	Event *CoveAnchorCoveCancelled // Event containing the contract specifics and raw log

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
func (it *CoveAnchorCoveCancelledIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(CoveAnchorCoveCancelled)
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
		it.Event = new(CoveAnchorCoveCancelled)
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
func (it *CoveAnchorCoveCancelledIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *CoveAnchorCoveCancelledIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// CoveAnchorCoveCancelled represents a CoveCancelled event raised by the CoveAnchor contract.
type CoveAnchorCoveCancelled struct {
	RequestId *big.Int
	Raw       types.Log // Blockchain specific contextual infos
}

// FilterCoveCancelled is a free log retrieval operation binding the contract event 0x7e6adcf202df0d966ad1453d7839f99dfcd6fbed49fc6f458985d8d83dd30f44.
//
// Solidity: event CoveCancelled(uint256 indexed requestId)
func (_CoveAnchor *CoveAnchorFilterer) FilterCoveCancelled(opts *bind.FilterOpts, requestId []*big.Int) (*CoveAnchorCoveCancelledIterator, error) {

	var requestIdRule []interface{}
	for _, requestIdItem := range requestId {
		requestIdRule = append(requestIdRule, requestIdItem)
	}

	logs, sub, err := _CoveAnchor.contract.FilterLogs(opts, "CoveCancelled", requestIdRule)
	if err != nil {
		return nil, err
	}
	return &CoveAnchorCoveCancelledIterator{contract: _CoveAnchor.contract, event: "CoveCancelled", logs: logs, sub: sub}, nil
}

// WatchCoveCancelled is a free log subscription operation binding the contract event 0x7e6adcf202df0d966ad1453d7839f99dfcd6fbed49fc6f458985d8d83dd30f44.
//
// Solidity: event CoveCancelled(uint256 indexed requestId)
func (_CoveAnchor *CoveAnchorFilterer) WatchCoveCancelled(opts *bind.WatchOpts, sink chan<- *CoveAnchorCoveCancelled, requestId []*big.Int) (event.Subscription, error) {

	var requestIdRule []interface{}
	for _, requestIdItem := range requestId {
		requestIdRule = append(requestIdRule, requestIdItem)
	}

	logs, sub, err := _CoveAnchor.contract.WatchLogs(opts, "CoveCancelled", requestIdRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(CoveAnchorCoveCancelled)
				if err := _CoveAnchor.contract.UnpackLog(event, "CoveCancelled", log); err != nil {
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

// ParseCoveCancelled is a log parse operation binding the contract event 0x7e6adcf202df0d966ad1453d7839f99dfcd6fbed49fc6f458985d8d83dd30f44.
//
// Solidity: event CoveCancelled(uint256 indexed requestId)
func (_CoveAnchor *CoveAnchorFilterer) ParseCoveCancelled(log types.Log) (*CoveAnchorCoveCancelled, error) {
	event := new(CoveAnchorCoveCancelled)
	if err := _CoveAnchor.contract.UnpackLog(event, "CoveCancelled", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// CoveAnchorCoveFulfilledIterator is returned from FilterCoveFulfilled and is used to iterate over the raw logs and unpacked data for CoveFulfilled events raised by the CoveAnchor contract.
type CoveAnchorCoveFulfilledIterator struct {
	Event *CoveAnchorCoveFulfilled // Event containing the contract specifics and raw log

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
func (it *CoveAnchorCoveFulfilledIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(CoveAnchorCoveFulfilled)
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
		it.Event = new(CoveAnchorCoveFulfilled)
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
func (it *CoveAnchorCoveFulfilledIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *CoveAnchorCoveFulfilledIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// CoveAnchorCoveFulfilled represents a CoveFulfilled event raised by the CoveAnchor contract.
type CoveAnchorCoveFulfilled struct {
	RequestId         *big.Int
	Status            uint16
	CallbackSucceeded bool
	Raw               types.Log // Blockchain specific contextual infos
}

// FilterCoveFulfilled is a free log retrieval operation binding the contract event 0xc323c0f8dd60c79fe961f28903d408b289ba0c751fdf8b1d576a9f6a1d439818.
//
// Solidity: event CoveFulfilled(uint256 indexed requestId, uint16 status, bool callbackSucceeded)
func (_CoveAnchor *CoveAnchorFilterer) FilterCoveFulfilled(opts *bind.FilterOpts, requestId []*big.Int) (*CoveAnchorCoveFulfilledIterator, error) {

	var requestIdRule []interface{}
	for _, requestIdItem := range requestId {
		requestIdRule = append(requestIdRule, requestIdItem)
	}

	logs, sub, err := _CoveAnchor.contract.FilterLogs(opts, "CoveFulfilled", requestIdRule)
	if err != nil {
		return nil, err
	}
	return &CoveAnchorCoveFulfilledIterator{contract: _CoveAnchor.contract, event: "CoveFulfilled", logs: logs, sub: sub}, nil
}

// WatchCoveFulfilled is a free log subscription operation binding the contract event 0xc323c0f8dd60c79fe961f28903d408b289ba0c751fdf8b1d576a9f6a1d439818.
//
// Solidity: event CoveFulfilled(uint256 indexed requestId, uint16 status, bool callbackSucceeded)
func (_CoveAnchor *CoveAnchorFilterer) WatchCoveFulfilled(opts *bind.WatchOpts, sink chan<- *CoveAnchorCoveFulfilled, requestId []*big.Int) (event.Subscription, error) {

	var requestIdRule []interface{}
	for _, requestIdItem := range requestId {
		requestIdRule = append(requestIdRule, requestIdItem)
	}

	logs, sub, err := _CoveAnchor.contract.WatchLogs(opts, "CoveFulfilled", requestIdRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(CoveAnchorCoveFulfilled)
				if err := _CoveAnchor.contract.UnpackLog(event, "CoveFulfilled", log); err != nil {
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

// ParseCoveFulfilled is a log parse operation binding the contract event 0xc323c0f8dd60c79fe961f28903d408b289ba0c751fdf8b1d576a9f6a1d439818.
//
// Solidity: event CoveFulfilled(uint256 indexed requestId, uint16 status, bool callbackSucceeded)
func (_CoveAnchor *CoveAnchorFilterer) ParseCoveFulfilled(log types.Log) (*CoveAnchorCoveFulfilled, error) {
	event := new(CoveAnchorCoveFulfilled)
	if err := _CoveAnchor.contract.UnpackLog(event, "CoveFulfilled", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// CoveAnchorCoveRequestIterator is returned from FilterCoveRequest and is used to iterate over the raw logs and unpacked data for CoveRequest events raised by the CoveAnchor contract.
type CoveAnchorCoveRequestIterator struct {
	Event *CoveAnchorCoveRequest // Event containing the contract specifics and raw log

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
func (it *CoveAnchorCoveRequestIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(CoveAnchorCoveRequest)
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
		it.Event = new(CoveAnchorCoveRequest)
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
func (it *CoveAnchorCoveRequestIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *CoveAnchorCoveRequestIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// CoveAnchorCoveRequest represents a CoveRequest event raised by the CoveAnchor contract.
type CoveAnchorCoveRequest struct {
	RequestId   *big.Int
	Agent       [32]byte
	Consumer    common.Address
	Path        string
	Body        []byte
	RequestHash [32]byte
	Raw         types.Log // Blockchain specific contextual infos
}

// FilterCoveRequest is a free log retrieval operation binding the contract event 0x0026cabedadda22bff372b90daebcd41ac6ce4454aff42d1acf7c8aaf83c8774.
//
// Solidity: event CoveRequest(uint256 indexed requestId, bytes32 indexed agent, address indexed consumer, string path, bytes body, bytes32 requestHash)
func (_CoveAnchor *CoveAnchorFilterer) FilterCoveRequest(opts *bind.FilterOpts, requestId []*big.Int, agent [][32]byte, consumer []common.Address) (*CoveAnchorCoveRequestIterator, error) {

	var requestIdRule []interface{}
	for _, requestIdItem := range requestId {
		requestIdRule = append(requestIdRule, requestIdItem)
	}
	var agentRule []interface{}
	for _, agentItem := range agent {
		agentRule = append(agentRule, agentItem)
	}
	var consumerRule []interface{}
	for _, consumerItem := range consumer {
		consumerRule = append(consumerRule, consumerItem)
	}

	logs, sub, err := _CoveAnchor.contract.FilterLogs(opts, "CoveRequest", requestIdRule, agentRule, consumerRule)
	if err != nil {
		return nil, err
	}
	return &CoveAnchorCoveRequestIterator{contract: _CoveAnchor.contract, event: "CoveRequest", logs: logs, sub: sub}, nil
}

// WatchCoveRequest is a free log subscription operation binding the contract event 0x0026cabedadda22bff372b90daebcd41ac6ce4454aff42d1acf7c8aaf83c8774.
//
// Solidity: event CoveRequest(uint256 indexed requestId, bytes32 indexed agent, address indexed consumer, string path, bytes body, bytes32 requestHash)
func (_CoveAnchor *CoveAnchorFilterer) WatchCoveRequest(opts *bind.WatchOpts, sink chan<- *CoveAnchorCoveRequest, requestId []*big.Int, agent [][32]byte, consumer []common.Address) (event.Subscription, error) {

	var requestIdRule []interface{}
	for _, requestIdItem := range requestId {
		requestIdRule = append(requestIdRule, requestIdItem)
	}
	var agentRule []interface{}
	for _, agentItem := range agent {
		agentRule = append(agentRule, agentItem)
	}
	var consumerRule []interface{}
	for _, consumerItem := range consumer {
		consumerRule = append(consumerRule, consumerItem)
	}

	logs, sub, err := _CoveAnchor.contract.WatchLogs(opts, "CoveRequest", requestIdRule, agentRule, consumerRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(CoveAnchorCoveRequest)
				if err := _CoveAnchor.contract.UnpackLog(event, "CoveRequest", log); err != nil {
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

// ParseCoveRequest is a log parse operation binding the contract event 0x0026cabedadda22bff372b90daebcd41ac6ce4454aff42d1acf7c8aaf83c8774.
//
// Solidity: event CoveRequest(uint256 indexed requestId, bytes32 indexed agent, address indexed consumer, string path, bytes body, bytes32 requestHash)
func (_CoveAnchor *CoveAnchorFilterer) ParseCoveRequest(log types.Log) (*CoveAnchorCoveRequest, error) {
	event := new(CoveAnchorCoveRequest)
	if err := _CoveAnchor.contract.UnpackLog(event, "CoveRequest", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// CoveAnchorEpochSignerSetIterator is returned from FilterEpochSignerSet and is used to iterate over the raw logs and unpacked data for EpochSignerSet events raised by the CoveAnchor contract.
type CoveAnchorEpochSignerSetIterator struct {
	Event *CoveAnchorEpochSignerSet // Event containing the contract specifics and raw log

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
func (it *CoveAnchorEpochSignerSetIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(CoveAnchorEpochSignerSet)
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
		it.Event = new(CoveAnchorEpochSignerSet)
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
func (it *CoveAnchorEpochSignerSetIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *CoveAnchorEpochSignerSetIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// CoveAnchorEpochSignerSet represents a EpochSignerSet event raised by the CoveAnchor contract.
type CoveAnchorEpochSignerSet struct {
	Epoch  uint64
	Signer common.Address
	Raw    types.Log // Blockchain specific contextual infos
}

// FilterEpochSignerSet is a free log retrieval operation binding the contract event 0x82cda1e3343b52077f76812352b31f191c4b7171ee6d4f7978fb45d954ea3755.
//
// Solidity: event EpochSignerSet(uint64 indexed epoch, address signer)
func (_CoveAnchor *CoveAnchorFilterer) FilterEpochSignerSet(opts *bind.FilterOpts, epoch []uint64) (*CoveAnchorEpochSignerSetIterator, error) {

	var epochRule []interface{}
	for _, epochItem := range epoch {
		epochRule = append(epochRule, epochItem)
	}

	logs, sub, err := _CoveAnchor.contract.FilterLogs(opts, "EpochSignerSet", epochRule)
	if err != nil {
		return nil, err
	}
	return &CoveAnchorEpochSignerSetIterator{contract: _CoveAnchor.contract, event: "EpochSignerSet", logs: logs, sub: sub}, nil
}

// WatchEpochSignerSet is a free log subscription operation binding the contract event 0x82cda1e3343b52077f76812352b31f191c4b7171ee6d4f7978fb45d954ea3755.
//
// Solidity: event EpochSignerSet(uint64 indexed epoch, address signer)
func (_CoveAnchor *CoveAnchorFilterer) WatchEpochSignerSet(opts *bind.WatchOpts, sink chan<- *CoveAnchorEpochSignerSet, epoch []uint64) (event.Subscription, error) {

	var epochRule []interface{}
	for _, epochItem := range epoch {
		epochRule = append(epochRule, epochItem)
	}

	logs, sub, err := _CoveAnchor.contract.WatchLogs(opts, "EpochSignerSet", epochRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(CoveAnchorEpochSignerSet)
				if err := _CoveAnchor.contract.UnpackLog(event, "EpochSignerSet", log); err != nil {
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

// ParseEpochSignerSet is a log parse operation binding the contract event 0x82cda1e3343b52077f76812352b31f191c4b7171ee6d4f7978fb45d954ea3755.
//
// Solidity: event EpochSignerSet(uint64 indexed epoch, address signer)
func (_CoveAnchor *CoveAnchorFilterer) ParseEpochSignerSet(log types.Log) (*CoveAnchorEpochSignerSet, error) {
	event := new(CoveAnchorEpochSignerSet)
	if err := _CoveAnchor.contract.UnpackLog(event, "EpochSignerSet", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// CoveAnchorFeeSetIterator is returned from FilterFeeSet and is used to iterate over the raw logs and unpacked data for FeeSet events raised by the CoveAnchor contract.
type CoveAnchorFeeSetIterator struct {
	Event *CoveAnchorFeeSet // Event containing the contract specifics and raw log

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
func (it *CoveAnchorFeeSetIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(CoveAnchorFeeSet)
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
		it.Event = new(CoveAnchorFeeSet)
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
func (it *CoveAnchorFeeSetIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *CoveAnchorFeeSetIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// CoveAnchorFeeSet represents a FeeSet event raised by the CoveAnchor contract.
type CoveAnchorFeeSet struct {
	Fee *big.Int
	Raw types.Log // Blockchain specific contextual infos
}

// FilterFeeSet is a free log retrieval operation binding the contract event 0x20461e09b8e557b77e107939f9ce6544698123aad0fc964ac5cc59b7df2e608f.
//
// Solidity: event FeeSet(uint256 fee)
func (_CoveAnchor *CoveAnchorFilterer) FilterFeeSet(opts *bind.FilterOpts) (*CoveAnchorFeeSetIterator, error) {

	logs, sub, err := _CoveAnchor.contract.FilterLogs(opts, "FeeSet")
	if err != nil {
		return nil, err
	}
	return &CoveAnchorFeeSetIterator{contract: _CoveAnchor.contract, event: "FeeSet", logs: logs, sub: sub}, nil
}

// WatchFeeSet is a free log subscription operation binding the contract event 0x20461e09b8e557b77e107939f9ce6544698123aad0fc964ac5cc59b7df2e608f.
//
// Solidity: event FeeSet(uint256 fee)
func (_CoveAnchor *CoveAnchorFilterer) WatchFeeSet(opts *bind.WatchOpts, sink chan<- *CoveAnchorFeeSet) (event.Subscription, error) {

	logs, sub, err := _CoveAnchor.contract.WatchLogs(opts, "FeeSet")
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(CoveAnchorFeeSet)
				if err := _CoveAnchor.contract.UnpackLog(event, "FeeSet", log); err != nil {
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

// ParseFeeSet is a log parse operation binding the contract event 0x20461e09b8e557b77e107939f9ce6544698123aad0fc964ac5cc59b7df2e608f.
//
// Solidity: event FeeSet(uint256 fee)
func (_CoveAnchor *CoveAnchorFilterer) ParseFeeSet(log types.Log) (*CoveAnchorFeeSet, error) {
	event := new(CoveAnchorFeeSet)
	if err := _CoveAnchor.contract.UnpackLog(event, "FeeSet", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}
