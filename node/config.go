package node

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"
)

// ConfigFile is the name of a node's configuration file inside its home.
const ConfigFile = "cove.toml"

// Roles says which roles a node runs.
type Roles struct {
	// Validator runs the chain. Every node of this release runs it: the
	// other roles read chain state from the local validator.
	Validator  bool `toml:"validator"`
	Gatekeeper bool `toml:"gatekeeper"`
	Worker     bool `toml:"worker"`
	Gateway    bool `toml:"gateway"`
	// Bridge relays requests of the EVM chains in [bridge] to this node's
	// worker (issue 8).
	Bridge bool `toml:"bridge"`
}

// LoadConfig reads home/cove.toml. Relative paths in it are relative to
// home.
func LoadConfig(home string) (Config, error) {
	cfg := DefaultConfig()
	path := filepath.Join(home, ConfigFile)
	md, err := toml.DecodeFile(path, &cfg)
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, fmt.Errorf("no %s in %s: create a network with `cove testnet init` or write one", ConfigFile, home)
	}
	if err != nil {
		return Config{}, fmt.Errorf("read %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return Config{}, fmt.Errorf("read %s: unknown setting %q", path, und[0].String())
	}
	cfg.DataDir = resolve(home, cfg.DataDir)
	cfg.Validator.Home = resolve(home, cfg.Validator.Home)
	cfg.Operator = resolve(home, cfg.Operator)
	if cfg.Worker.LogDir != "" {
		cfg.Worker.LogDir = resolve(home, cfg.Worker.LogDir)
	}
	return cfg, cfg.Validate()
}

// SaveConfig writes cfg to home/cove.toml.
func SaveConfig(home string, cfg Config) error {
	var buf bytes.Buffer
	buf.WriteString("# Cove node configuration. Relative paths are relative to this file's folder.\n")
	if err := toml.NewEncoder(&buf).Encode(cfg); err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(home, ConfigFile), buf.Bytes(), 0o600)
}

func resolve(home, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(home, p)
}
