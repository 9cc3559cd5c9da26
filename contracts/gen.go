// Package contracts holds Cove's Solidity contracts (src/), their compiled
// ABI and bytecode (build/) and their go-ethereum bindings: CoveAnchor, the
// anchor an EVM chain's consumers send requests to and the bridge fulfils
// with signed receipts, and three examples: PriceConsumer, which keeps an
// oracle's last answer, AIConsumer, which keeps an AI agent's text answer
// to each prompt, and ApprovalVault, whose withdrawals complete only when an
// agent approves them. The artifacts are generated and committed;
// `go generate ./contracts/` regenerates all of them (README.md), and
// TestArtifactsFresh fails when they differ from a fresh compile.
package contracts

//go:generate npm ci --no-audit --no-fund --loglevel=error
//go:generate node build.mjs
//go:generate go run github.com/ethereum/go-ethereum/cmd/abigen@v1.17.10 --abi build/CoveAnchor.abi --bin build/CoveAnchor.bin --pkg contracts --type CoveAnchor --out anchor.go
//go:generate go run github.com/ethereum/go-ethereum/cmd/abigen@v1.17.10 --abi build/PriceConsumer.abi --bin build/PriceConsumer.bin --pkg contracts --type PriceConsumer --out consumer.go
//go:generate go run github.com/ethereum/go-ethereum/cmd/abigen@v1.17.10 --abi build/AIConsumer.abi --bin build/AIConsumer.bin --pkg contracts --type AIConsumer --out aiconsumer.go
//go:generate go run github.com/ethereum/go-ethereum/cmd/abigen@v1.17.10 --abi build/ApprovalVault.abi --bin build/ApprovalVault.bin --pkg contracts --type ApprovalVault --out vault.go
