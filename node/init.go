package node

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/tee/sim"
	"github.com/cove-network/cove/validator"
)

// Chain ids of networks made here: the CometBFT chain id and the numeric id
// that EIP-712 transaction signatures commit to.
const (
	DevChainID            = "cove-dev"
	DevNumericChainID     = 7731
	TestnetChainID        = "cove-testnet"
	TestnetNumericChainID = 7732
)

// DevFunds is what genesis gives each funded account: 1,000,000 COVE of
// 10^18 base units.
var DevFunds = new(big.Int).Mul(big.NewInt(1_000_000), new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil))

// DevFees are the fees of development chains and testnets (cove dev,
// cove testnet init): 0.001 COVE per transaction plus 0.000001 COVE per
// byte (a Transfer of ~300 bytes pays 0.0013 COVE), half to the proposer's
// operator. Node operators and the dev key are funded with DevFunds, which
// pays for about 700 million such transactions.
func DevFees() chain.FeeParams {
	return chain.FeeParams{Base: "1000000000000000", PerByte: "1000000000000", ProposerPercent: 50}
}

// DevStaking are the stake pools' parameters of development chains and
// testnets: DefaultStaking's amounts with minutes instead of days (a
// stopped worker's stake cools for 60 s, a queued withdrawal waits 120 s
// before the grace rule stops its pool's workers) and a heartbeat
// challenge about every 20 blocks (4 s at cove dev's 200 ms) instead of
// every 1800.
func DevStaking() chain.StakingParams {
	s := chain.DefaultStaking()
	s.CooldownSeconds, s.GraceSeconds = 60, 120
	s.HeartbeatBlocks = 20
	return s
}

// InitDev prepares a single-validator chain in cfg.Validator.Home unless it
// exists: validator keys and a genesis that funds dev (and others, such as
// a separate operator key) and makes dev the governance admin. The genesis TEE policy accepts this node's simulated
// TEE: it creates the sim vendor key in cfg.DataDir/tee-sim and allows it
// with the measurement of the running executable (see DevTEEPolicy). It
// returns whether it created the chain.
func InitDev(cfg Config, dev cove.Address, others ...cove.Address) (bool, error) {
	if _, err := os.Stat(validator.GenesisFile(cfg.Validator.Home)); err == nil {
		return false, nil
	}
	p, err := sim.Open(filepath.Join(cfg.DataDir, "tee-sim"))
	if err != nil {
		return false, err
	}
	keys, err := validator.InitKeys(cfg.Validator.Home, cfg.Validator.Moniker)
	if err != nil {
		return false, err
	}
	funds := map[cove.Address]*big.Int{dev: DevFunds}
	for _, a := range others {
		funds[a] = DevFunds
	}
	g := chain.DefaultGenesis(DevNumericChainID, dev, funds)
	g.Development = true
	g.Params.TEE = DevTEEPolicy(p)
	g.Params.Fees = DevFees()
	g.Params.Staking = DevStaking()
	g.Time = time.Now().UTC().Truncate(time.Second)
	if err := validator.WriteGenesis(cfg.Validator.Home, DevChainID, []chain.Validator{keys.Validator}, g); err != nil {
		return false, err
	}
	return true, nil
}

// DevTEEPolicy is the TEE policy of development and test chains: the
// simulated TEE, with p's vendor key and measurement, quotes up to the
// default age.
//
// Security: INSECURE. A chain with this policy accepts workers whose
// "attestation" anyone holding the vendor key file can forge.
func DevTEEPolicy(p *sim.Platform) chain.TEEPolicy {
	m := p.Measurement()
	return chain.TEEPolicy{
		AllowedTEEs:         []string{"sim"},
		AllowedMeasurements: []chain.Bytes{m[:]},
		SimVendorKeys:       []chain.Bytes{chain.Bytes(p.VendorPublicKey())},
		MaxQuoteAge:         chain.DefaultMaxQuoteAge,
	}
}

// OperatorFile is the operator key InitTestnet writes in each node home:
// a keystore file without passphrase, funded in genesis.
const OperatorFile = "operator.json"

// Layout is what InitTestnet writes: validators (every role), worker
// nodes and standby nodes.
type Layout struct {
	Validators, Workers, Standby int
}

// TestnetNode describes one node home made by InitTestnet.
type TestnetNode struct {
	Home string `json:"home"`
	HTTP string `json:"http,omitempty"` // the gateway's address (none on a worker node)
	// Link is a worker node's link listener (worker_addr).
	Link string `json:"link,omitempty"`
	RPC  string `json:"rpc"` // CometBFT's RPC address
	P2P  string `json:"p2p"`
	// Operator is the address of the node's operator key (home/operator.json),
	// which signs its worker registration.
	Operator cove.Address `json:"operator"`
}

// InitTestnet writes n node homes under dir (dir/node0 ...), each running
// every role, wired to each other on loopback ports from basePort (each node
// takes three: p2p, rpc, http), with one genesis funding the given accounts;
// the first funded account is the governance admin. Each home also gets an
// operator key (operator.json, no passphrase, funded) and a sim TEE
// directory holding the one vendor key every node shares; the genesis TEE
// policy allows that key and the running executable's measurement.
//
// With workers > 0 it also writes that many worker nodes (dir/worker0 ...,
// after the validators in the result): each follows the chain (a CometBFT
// full node, not a validator) and runs only a worker, serving its link on
// its third port (worker_addr) and registering https:// to it; the
// validators then run no worker of their own and their gateways route
// every call to the worker nodes (routing.mode "network").
//
// With standby > 0 it writes that many more nodes after those
// (dir/standby0 ...) that follow the chain with the validator role alone,
// their consensus keys not in genesis: AddValidator (`cove admin validator
// add`) makes them validators.
func InitTestnet(dir string, l Layout, basePort int, funded []cove.Address) ([]TestnetNode, error) {
	n, workers, standby := l.Validators, l.Workers, l.Standby
	if n < 1 || n > 64 {
		return nil, fmt.Errorf("testnet: %d validators: want 1 to 64", n)
	}
	if workers < 0 || workers > 64 || standby < 0 || standby > 64 {
		return nil, fmt.Errorf("testnet: %d worker nodes, %d standby nodes: want 0 to 64 each", workers, standby)
	}
	total := n + workers + standby
	if basePort < 1024 || basePort+3*total > 65535 {
		return nil, fmt.Errorf("testnet: base port %d: want 1024 to %d", basePort, 65535-3*total)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("testnet: %s is not empty; pick a new --dir", dir)
	}
	nodes := make([]TestnetNode, total)
	ids := make([]string, total)
	var (
		vals    []chain.Validator
		policy  chain.TEEPolicy
		_, v, _ = ed25519.GenerateKey(rand.Reader)
	)
	for i := range nodes {
		name := "node" + strconv.Itoa(i)
		switch {
		case i >= n+workers:
			name = "standby" + strconv.Itoa(i-n-workers)
		case i >= n:
			name = "worker" + strconv.Itoa(i-n)
		}
		home, err := filepath.Abs(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		p := basePort + 3*i
		nodes[i] = TestnetNode{Home: home, P2P: addr(p), RPC: addr(p + 1), HTTP: addr(p + 2)}
		switch {
		case i >= n+workers:
			nodes[i].HTTP = ""
		case i >= n:
			nodes[i].HTTP, nodes[i].Link = "", addr(p+2)
		}
		keys, err := validator.InitKeys(filepath.Join(home, "chain"), name)
		if err != nil {
			return nil, err
		}
		ids[i] = keys.NodeID
		if i < n {
			vals = append(vals, keys.Validator)
		}
		tp, err := sim.Open(filepath.Join(home, "data", "tee-sim"), sim.WithVendorKey(v))
		if err != nil {
			return nil, err
		}
		policy = DevTEEPolicy(tp)
		st, err := account.Open(home)
		if err != nil {
			return nil, err
		}
		op, err := st.New(strings.TrimSuffix(OperatorFile, ".json"), "")
		if err != nil {
			return nil, fmt.Errorf("testnet: operator key: %w", err)
		}
		nodes[i].Operator = op.Address
	}
	if len(funded) == 0 {
		return nil, errors.New("testnet: fund at least one account (the admin)")
	}
	funds := map[cove.Address]*big.Int{}
	for _, a := range funded {
		funds[a] = DevFunds
	}
	for _, nd := range nodes {
		funds[nd.Operator] = DevFunds
	}
	g := chain.DefaultGenesis(TestnetNumericChainID, funded[0], funds)
	// Testnets run the simulated TEE: a development chain.
	g.Development = true
	g.Params.TEE = policy
	g.Params.Fees = DevFees()
	g.Params.Staking = DevStaking()
	g.Time = time.Now().UTC().Truncate(time.Second)
	for i, nd := range nodes {
		if err := validator.WriteGenesis(filepath.Join(nd.Home, "chain"), TestnetChainID, vals, g); err != nil {
			return nil, err
		}
		cfg := DefaultConfig()
		cfg.DataDir = "data"
		cfg.HTTPAddr = nd.HTTP
		// A Cove-Auth is good at the gateway it names: this one answers to
		// its listen address only, whatever Host a caller sends.
		cfg.Gateway.AuthAudiences = []string{nd.HTTP}
		cfg.Operator = OperatorFile
		// Every validator runs a gatekeeper; node0 makes the first master
		// key, the others receive the key history sealed to them.
		cfg.Gatekeeper.Bootstrap = i == 0
		cfg.Validator.Home = "chain"
		cfg.Validator.Moniker = filepath.Base(nd.Home)
		switch {
		case i >= n+workers:
			cfg.Roles = Roles{Validator: true}
			cfg.HTTPAddr, cfg.Gateway.AuthAudiences = "", nil
		case i >= n:
			cfg.Roles = Roles{Validator: true, Worker: true}
			cfg.HTTPAddr, cfg.Gateway.AuthAudiences = "", nil
			cfg.WorkerAddr = nd.Link
		case workers > 0:
			cfg.Roles.Worker = false
			cfg.Routing.Mode = RouteNetwork
		}
		cfg.Validator.P2PAddr = nd.P2P
		cfg.Validator.RPCAddr = nd.RPC
		cfg.Validator.Peers = nil
		for j, other := range nodes {
			if j != i {
				cfg.Validator.Peers = append(cfg.Validator.Peers, ids[j]+"@"+other.P2P)
				if other.HTTP != "" {
					cfg.BlobPeers = append(cfg.BlobPeers, "http://"+other.HTTP)
				}
			}
		}
		if err := SaveConfig(nd.Home, cfg); err != nil {
			return nil, err
		}
	}
	return nodes, nil
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// ValidatorKey returns the consensus key of the node whose home is home
// (its CometBFT priv_validator_key.json, under validator.home): what
// AddValidator names. It makes no key: a home without one is an error.
func ValidatorKey(home string) (chain.Validator, error) {
	cfg, err := LoadConfig(home)
	if err != nil {
		return chain.Validator{}, err
	}
	path := filepath.Join(cfg.Validator.Home, "config", "priv_validator_key.json")
	if _, err := os.Stat(path); err != nil {
		return chain.Validator{}, fmt.Errorf("no validator key at %s: %w", path, err)
	}
	keys, err := validator.InitKeys(cfg.Validator.Home, cfg.Validator.Moniker)
	if err != nil {
		return chain.Validator{}, err
	}
	return keys.Validator, nil
}
