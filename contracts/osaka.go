package contracts

import (
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/node"
)

// Osaka is an option of go-ethereum's simulated backend
// (ethclient/simulated.NewBackend) that runs the rules mainnet runs, up to
// Osaka: the backend's dev config also enables Bogota, a draft fork that
// reprices storage writes several times over, which would make gas
// measured on it (and the callback gas a consumer needs) meaningless for
// today's chains.
func Osaka(_ *node.Config, ec *ethconfig.Config) {
	cfg := *ec.Genesis.Config
	cfg.BogotaTime = nil
	ec.Genesis.Config = &cfg
}
