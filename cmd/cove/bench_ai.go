package main

import (
	"github.com/spf13/cobra"

	"github.com/cove-network/cove/internal/bench"
)

func newBenchAICmd(g *globals) *cobra.Command {
	o := bench.DefaultAIOptions()
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ai",
		Short: "Measure what the AI API adds to a chat completion and to a stream",
		Long: `Start a MOCK OpenAI-compatible upstream (no model: it echoes at once) and a
cove dev node in this process whose AI API fronts it. Then, for the upstream called
directly and for the same request through the gateway's /v1 (an API key, the worker
signing every answer), in the same run, one after the other:

  - --requests chat completions one at a time: p50 and p99 latency, and the
    difference, which is what Cove adds per completion;
  - chat completions/s at --concurrency for --duration;
  - --streams streamed completions of --stream-tokens pieces each: pieces per
    second and the time to the first piece.

The mock answers in microseconds, so the difference is Cove's whole cost; a real
model's seconds dwarf it. Nothing here is a real LLM.`,
		Example: `  go run ./cmd/cove bench ai
  go run ./cmd/cove bench ai --requests 1000 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := benchLogger(cmd, g)
			if err != nil {
				return err
			}
			rep, err := bench.AI(cmd.Context(), o, log, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return printReport(cmd.OutOrStdout(), asJSON, rep)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Requests, "requests", o.Requests, "chat completions one at a time, per target")
	f.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "concurrent requests for the throughput phase")
	f.DurationVar(&o.Duration, "duration", o.Duration, "length of the throughput phase, per target")
	f.IntVar(&o.Streams, "streams", o.Streams, "streamed completions, per target")
	f.IntVar(&o.StreamTokens, "stream-tokens", o.StreamTokens, "pieces (SSE events) per stream")
	f.StringVar(&o.DataDir, "data-dir", "", "the node's directory (default a temporary one, removed after)")
	f.BoolVar(&asJSON, "json", false, "print the results as JSON")
	return cmd
}
