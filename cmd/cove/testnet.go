package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/node"
)

func newTestnetCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "Make local multi-validator networks",
	}
	var (
		n        int
		workers  int
		standby  int
		dir      string
		basePort int
		asJSON   bool
		fund     []string
	)
	initCmd := &cobra.Command{
		Use:   "init --validators N [--workers M] --dir DIR",
		Short: "Write N node homes (and M worker nodes) wired to each other on loopback ports",
		Long: `Write DIR/node0 ... DIR/nodeN-1, each a home for 'cove node --home', running every
role, with one shared genesis. Node i uses ports BASE+3i (p2p), BASE+3i+1 (CometBFT
RPC) and BASE+3i+2 (gateway). The "dev" key of $COVE_HOME is funded and is the
governance admin, with any --fund addresses.

With --workers M, DIR/worker0 ... DIR/workerM-1 follow the chain and run only a
worker, serving its link (HTTPS, pinned to its attested identity key) on its third
port; the N validators then run no worker of their own and their gateways route every
agent call to the worker nodes (routing.mode = "network"). This is the layout of a
network with remote workers (README, "Remote workers").

With --standby K, DIR/standby0 ... follow the chain with the validator role alone, their
consensus keys not in genesis: 'cove admin validator add' makes one a validator, so the
network grows without a new genesis.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return fmt.Errorf("--dir is required")
			}
			store, err := account.Open(account.KeysDir(account.Home()))
			if err != nil {
				return err
			}
			dev, err := store.Ensure("dev")
			if err != nil {
				return err
			}
			funded := []cove.Address{dev.Address}
			for _, f := range fund {
				a, err := cove.ParseAddress(f)
				if err != nil {
					return fmt.Errorf("--fund: %w", err)
				}
				funded = append(funded, a)
			}
			nodes, err := node.InitTestnet(dir, node.Layout{Validators: n, Workers: workers, Standby: standby}, basePort, funded)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), nodes)
			}
			out := cmd.OutOrStdout()
			for _, nd := range nodes {
				if nd.HTTP == "" && nd.Link == "" {
					fmt.Fprintf(out, "%s  standby (not a validator yet)  rpc http://%s  p2p %s\n", nd.Home, nd.RPC, nd.P2P)
					continue
				}
				if nd.Link != "" {
					fmt.Fprintf(out, "%s  worker link https://%s  rpc http://%s  p2p %s\n", nd.Home, nd.Link, nd.RPC, nd.P2P)
					continue
				}
				fmt.Fprintf(out, "%s  gateway http://%s  rpc http://%s  p2p %s\n", nd.Home, nd.HTTP, nd.RPC, nd.P2P)
			}
			fmt.Fprintf(out, "start each with: cove node --home %s/nodeI", dir)
			if workers > 0 {
				fmt.Fprintf(out, " and cove node --home %s/workerI", dir)
			}
			if standby > 0 {
				fmt.Fprintf(out, " and cove node --home %s/standbyI (then cove admin validator add)", dir)
			}
			fmt.Fprintln(out)
			return nil
		},
	}
	f := initCmd.Flags()
	f.IntVar(&n, "validators", 4, "number of validators")
	f.IntVar(&workers, "workers", 0, "number of worker nodes (their own machines in a real network)")
	f.IntVar(&standby, "standby", 0, "number of standby nodes: full nodes that AddValidator can make validators")
	f.StringVar(&dir, "dir", "", "directory for the node homes (must be new or empty)")
	f.IntVar(&basePort, "base-port", 27100, "first of the 3(N+M+K) loopback ports")
	f.BoolVar(&asJSON, "json", false, `print [{"home","http","link","rpc","p2p"}...]`)
	f.StringArrayVar(&fund, "fund", nil, "also fund this address (repeatable)")
	cmd.AddCommand(initCmd)
	return cmd
}
