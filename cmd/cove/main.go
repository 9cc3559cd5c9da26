// Command cove is the one Cove binary: `cove dev` runs a whole network in one
// process; `cove agent ...` deploys, calls and inspects agents through a
// gateway; `cove verify` checks a saved response's receipt offline.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/client/light"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "cove:", err)
		var ce *exitError
		if errors.As(err, &ce) {
			os.Exit(ce.code)
		}
		os.Exit(1)
	}
}

// exitError sets the process exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// globals are the flags every command shares.
type globals struct {
	gateway   string
	logLevel  string
	logFormat string
	trustRoot string
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "cove",
		Short: "Cove: confidential off-chain compute for blockchains and AI agents",
		Long: `Cove runs TypeScript/JavaScript agents inside TEEs and signs every result.

Start a local network with 'cove dev', then deploy and call agents:

  cove dev &
  cove agent deploy examples/hello.ts --secret GREETING=Hi
  cove agent call 0x<id> /hello?name=Ada --verify`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	gw := os.Getenv("COVE_GATEWAY")
	if gw == "" {
		gw = client.DefaultGateway
	}
	root.PersistentFlags().StringVar(&g.gateway, "gateway", gw, "gateway URL (env COVE_GATEWAY)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format: text (key=value) or json (one object a line)")
	root.PersistentFlags().StringVar(&g.trustRoot, "trust-root", os.Getenv("COVE_TRUST_ROOT"), "HEIGHT:0xHASH of a chain header you trust: the key secrets are sealed to and the attestors receipts are checked against are then proven from the chain, not taken from the gateway (env COVE_TRUST_ROOT; cove dev prints its chain's; see cove chain trust)")
	root.AddCommand(newDevCmd(g), newNodeCmd(g), newTestnetCmd(g), newAgentCmd(g), newKeysCmd(g), newSendCmd(g), newAttestCmd(g), newVerifyCmd(g), newBenchCmd(g), newAdminCmd(g), newChainCmd(g), newEVMCmd(g), newAICmd(g), newStatusCmd(g), newStakeCmd(g), newWorkerCmd(g), newChannelCmd(g), newSponsorCmd(g), newTokenCmd(g), newDAOCmd(g))
	return root
}

// client returns a client of the gateway that, with a trust root, checks
// the chain state it relies on against headers it verified from the root.
func (g *globals) client() (*client.Client, error) {
	c, err := client.New(g.gateway)
	if err != nil {
		return nil, err
	}
	if g.trustRoot != "" {
		root, err := light.ParseRoot(g.trustRoot)
		if err != nil {
			return nil, fmt.Errorf("--trust-root: %w", err)
		}
		c.SetVerifier(light.New(c, root, light.Config{}))
	}
	return c, nil
}

func (g *globals) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", g.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch g.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", g.logFormat)
}
