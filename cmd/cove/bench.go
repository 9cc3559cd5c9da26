package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove/internal/bench"
)

func newBenchCmd(g *globals) *cobra.Command {
	o := bench.DefaultAgentOptions()
	var (
		asJSON     bool
		cpuProfile string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure requests/s and latency of an agent against the same handler on plain Node.js",
		Long: `Start a node in this process as cove dev does (a single-validator chain, the
simulated TEE, the gateway on 127.0.0.1), deploy examples/hello.ts, check that
its responses carry a valid signed receipt, and load
GET /agents/{id}/hello?name=Ada with --concurrency keep-alive connections for
--duration after --warmup. Then run the same handler on plain node:http
(testdata/bench/hello-node.mjs) with the same load, and print both side by
side, the deploy-to-first-response time (median and max of 5 fresh deploys)
and the cost per request of the sandbox (in a warm VM, the default isolation,
and in a fresh one) and of receipt signing, measured alone.

The load comes from wrk when it is installed (apt-get install wrk), else from
cove bench's own generator, which runs inside the cove process; --loadgen
chooses. wrk counts whole seconds.

Run it from the repository root on an otherwise idle machine: the load
generator, the node and the baseline share this machine's cores. On a
shared or noisy machine, --rounds 5 measures the two in turn five times and
reports the round whose ratio is the median (the cove node is stopped while
node is measured and restarted from its data for the next round).`,
		Example: `  go run ./cmd/cove bench
  go run ./cmd/cove bench --loadgen builtin --duration 30s --concurrency 64 --json
  go run ./cmd/cove bench --rounds 5 --duration 8s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Concurrency < 1 {
				return fmt.Errorf("--concurrency %d: want at least 1", o.Concurrency)
			}
			if o.Duration <= 0 || o.Warmup < 0 {
				return errors.New("--duration must be positive and --warmup not negative")
			}
			if o.LoadGen == "auto" {
				o.LoadGen = ""
			}
			if err := o.Validate(); err != nil {
				return fmt.Errorf("%w (flags --loadgen, --duration, --warmup, --rounds)", err)
			}
			if err := needFiles("", bench.AgentFile, bench.NodeScript); err != nil {
				return err
			}
			log, err := benchLogger(cmd, g)
			if err != nil {
				return err
			}
			return withProfile(cpuProfile, &o.CPUProfile, func() error {
				rep, err := bench.Agents(cmd.Context(), o, log, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				return printReport(cmd.OutOrStdout(), asJSON, rep)
			})
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.Duration, "duration", o.Duration, "how long each target is measured")
	f.DurationVar(&o.Warmup, "warmup", o.Warmup, "load before measuring each target, not counted")
	f.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "concurrent keep-alive connections")
	f.StringVar(&o.LoadGen, "loadgen", "auto", "load generator: wrk, builtin, or auto (wrk when installed)")
	f.IntVar(&o.ReceiptBatch, "receipt-batch", 0, "the worker's receipt_batch: 0 its default (responses ready at once share one signature), 1 every response signed alone")
	f.IntVar(&o.Rounds, "rounds", 1, "measure cove and node in turn this many times (the cove node stopped while node is measured) and report the round with the median ratio: one slow minute of either no longer decides it")
	f.StringVar(&o.DataDir, "data-dir", "", "the node's data directory (default a temporary one, removed after)")
	f.BoolVar(&asJSON, "json", false, "print the results as JSON")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the measured cove phase to this file (go tool pprof; with --rounds, of all rounds, node's phases included)")
	cmd.AddCommand(newBenchChainCmd(g), newBenchAICmd(g), newBenchScaleCmd(g), newBenchRouteCmd(g), newBenchPaidCmd(g))
	return cmd
}

// benchLogger is the global logger, at warn unless --log-level was given:
// the node's info lines would drown the progress lines.
func benchLogger(cmd *cobra.Command, g *globals) (*slog.Logger, error) {
	if fl := cmd.Flag("log-level"); fl != nil && !fl.Changed {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), nil
	}
	return g.logger()
}

// needFiles checks that the bench's input files are where it runs.
func needFiles(hint string, files ...string) error {
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			wd, _ := os.Getwd()
			return fmt.Errorf("%s not found in %s: run from the repository root%s", f, wd, hint)
		}
	}
	return nil
}

// withProfile runs f with *w set to the file path (--cpuprofile), when path
// is not empty, and closes the file after. A file left empty by a failed
// run is removed.
func withProfile(path string, w *io.Writer, f func() error) error {
	if path == "" {
		return f()
	}
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	*w = file
	err = f()
	if cerr := file.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("--cpuprofile: %w", cerr)
	}
	if err != nil {
		if st, serr := os.Stat(path); serr == nil && st.Size() == 0 {
			os.Remove(path)
		}
	}
	return err
}

// printReport prints a bench report as indented JSON or as its table.
func printReport(w io.Writer, asJSON bool, rep interface{ Print(io.Writer) }) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.Print(w)
	return nil
}
