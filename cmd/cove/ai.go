package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/attest"
	"github.com/cove-network/cove/internal/aimock"
	"github.com/cove-network/cove/secret"
	"github.com/cove-network/cove/worker/ai"
)

// aiProviderFlag is --ai-provider: each use adds a provider to cfg.
type aiProviderFlag struct{ cfg *ai.Config }

func (f aiProviderFlag) String() string {
	if f.cfg == nil {
		return ""
	}
	names := make([]string, len(f.cfg.Providers))
	for i, p := range f.cfg.Providers {
		names[i] = p.Name + "=" + p.URL
	}
	return strings.Join(names, " ")
}

func (f aiProviderFlag) Set(s string) error {
	p, err := ai.ParseProviderFlag(s)
	if err != nil {
		return err
	}
	f.cfg.Providers = append(f.cfg.Providers, p)
	return f.cfg.Validate()
}

func (aiProviderFlag) Type() string { return "NAME=URL" }

func newAICmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ai",
		Short: "The confidential AI API: API keys, usage, the attestation report, a mock upstream",
		Long: `The gateway serves an OpenAI-compatible API at /v1 (chat completions with
streams, completions, embeddings, models) in front of the LLM providers its node's
operator configures (cove dev --ai-provider NAME=URL, or [ai] in cove.toml). Every
answer is signed inside the worker's TEE: Cove receipt headers (trailers after a
stream), x-receipt-id naming its record at /v1/ai/receipts/{id}, and vllm-proxy's
signature at /v1/signature/{chat_id}. Point any OpenAI client at it:

  base URL  http://127.0.0.1:8700/v1
  API key   cove ai key new --from dev

Agents reach the same API at http://ai.cove.internal/v1, metered to their owner.`,
	}
	cmd.AddCommand(newAIKeyCmd(g), newAIUsageCmd(g), newAIReportCmd(g), newAISealKeyCmd(g), newAIMockCmd())
	return cmd
}

func newAIKeyCmd(g *globals) *cobra.Command {
	key := &cobra.Command{Use: "key", Short: "Make API keys of the AI API"}
	var from fromFlags
	newCmd := &cobra.Command{
		Use:   "new --from ACCOUNT",
		Short: "Make an API key metered to ACCOUNT (shown once)",
		Long: `Ask the gateway's AI API for a new API key, metered to the account --from names
(the request is signed with it: a Cove-Auth header; no transaction, no fee). The
key is printed once and only its hash is kept, sealed in the worker. Use it as
"Authorization: Bearer KEY" (OPENAI_API_KEY for OpenAI clients).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			s, err := from.signer(cmd)
			if err != nil {
				return err
			}
			k, err := c.NewAIKey(cmd.Context(), s)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), k.Key)
			fmt.Fprintf(cmd.ErrOrStderr(), "an API key metered to %s; it is shown only now. Try:\n  curl %s/v1/models -H 'Authorization: Bearer %s'\n", k.Account, c.Base(), k.Key)
			return nil
		},
	}
	from.register(newCmd.Flags())
	key.AddCommand(newCmd)
	return key
}

func newAIUsageCmd(g *globals) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:   "usage --key KEY",
		Short: "Show the tokens an API key used today and in all, and its quota",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if key == "" {
				key = os.Getenv("COVE_AI_KEY")
			}
			if key == "" {
				return errors.New("name the key: --key KEY or COVE_AI_KEY")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			u, err := c.AIUsage(cmd.Context(), key)
			if err != nil {
				return err
			}
			quota := "none"
			if u.QuotaPerDay >= 0 {
				quota = fmt.Sprint(u.QuotaPerDay)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "account   %s\nday (UTC) %s\ntoday     %d tokens (quota %s)\ntotal     %d tokens in %d requests\n",
				u.Account, u.Day, u.TokensToday, quota, u.TokensTotal, u.Requests)
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "the API key (default $COVE_AI_KEY)")
	return cmd
}

func newAIReportCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "report",
		Short: "Fetch the AI API's attestation report for a fresh nonce and verify its quote",
		Long: `Ask GET /v1/attestation/report with a fresh random nonce, check that the quote's
report data binds the signing address the report names and that nonce, and verify
the quote against the chain's TEE policy (the platform, its vendor key or Intel's
chain and collateral, an allowed measurement), as validators verify a worker's. Then
every receipt and vllm-proxy signature by that address comes from a TEE running
software the chain admits. Prints the report as JSON; exits non-zero when any check
fails.

With --trust-root (or COVE_TRUST_ROOT) the TEE policy is proven from the chain;
without, the gateway is trusted for it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			r, err := c.AIReport(cmd.Context())
			if err != nil {
				return err
			}
			params, height, err := c.Params(cmd.Context())
			if err != nil {
				return err
			}
			quote, err := hex.DecodeString(r.Quote)
			if err != nil {
				return fmt.Errorf("attestation report: quote: %w", err)
			}
			rd, _ := hex.DecodeString(r.ReportData)
			att, err := attest.Verifier{}.VerifyQuote(r.TEE, quote, [64]byte(rd), time.Now(), params)
			meas := att.Measurement
			if err != nil {
				return fmt.Errorf("the AI API's quote does not verify against the chain's TEE policy: %w", err)
			}
			// The report's own field (32 bytes on sim; the worker knows no
			// TDX measurement of its own) must agree when it can.
			if len(r.Measurement) == 2*len(meas) && hex.EncodeToString(meas) != r.Measurement {
				return fmt.Errorf("the report says measurement %s, its quote %x", r.Measurement, meas)
			}
			policy := "the gateway's word"
			if height > 0 {
				policy = fmt.Sprintf("proven from the chain at height %d", height)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "signing address %s: its quote binds it and this request's nonce, and verifies against the chain's TEE policy (%s): TEE %s, measurement %x\n",
				r.SigningAddress, policy, r.TEE, meas)
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(r)
		},
	}
}

func newAISealKeyCmd(g *globals) *cobra.Command {
	var provider, providerURL, keyFile, out string
	cmd := &cobra.Command{
		Use:   "seal-key --provider NAME --url URL [--key-file FILE] [-o FILE]",
		Short: "Seal an LLM provider's API key to the cluster, for [ai] sealed_key_file",
		Long: `Seal a provider's API key (read from --key-file, or standard input) and the URL
it may be sent to, to the network's cluster key for that provider (the HPKE envelope
of agent secrets, bound to the provider's AI id), and write it to -o (default
NAME.key.sealed). Give the file to the node as sealed_key_file in [ai] (or
--ai-provider NAME=URL,sealed-key-file=F) with the same url: only a worker's TEE opens
it, and sends the key only to that URL (https, or a loopback address), so the
node's operator never sees the key.

With --trust-root (or COVE_TRUST_ROOT) the cluster key is proven from the chain;
without, the gateway is trusted for it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := (ai.Config{Providers: []ai.Provider{{Name: provider, URL: providerURL, SealedKeyFile: "-"}}}).Validate(); err != nil {
				return fmt.Errorf("--provider, --url: %w", err)
			}
			var raw []byte
			var err error
			if keyFile == "" || keyFile == "-" {
				raw, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 64<<10))
			} else {
				raw, err = os.ReadFile(keyFile)
			}
			if err != nil {
				return fmt.Errorf("read the key: %w", err)
			}
			key := strings.TrimSpace(string(raw))
			if key == "" {
				return errors.New("the key is empty: give --key-file FILE or pipe it in")
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			sk, err := c.SealingKey(cmd.Context())
			if err != nil {
				return err
			}
			env, err := secret.Seal(sk.PublicKey, sk.Epoch, api.AIAgentID(provider), map[string]string{ai.SealedKeyName: key, ai.SealedURLName: strings.TrimSuffix(providerURL, "/")})
			if err != nil {
				return err
			}
			if out == "" {
				out = provider + ".key.sealed"
			}
			if err := os.WriteFile(out, ai.EncodeSealedKey(env), 0o600); err != nil {
				return err
			}
			trust := "the gateway's word"
			if sk.Height > 0 {
				trust = fmt.Sprintf("proven from the chain at height %d", sk.Height)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "sealed provider %s's key for %s to key epoch %d (%s) in %s; use it as sealed_key_file (or --ai-provider %s=%s,sealed-key-file=%s)\n",
				provider, providerURL, sk.Epoch, trust, out, provider, providerURL, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&provider, "provider", "", "the provider's name, as in [ai] (required)")
	cmd.Flags().StringVar(&providerURL, "url", "", "the provider's base URL, as in [ai] (required): the key is sent nowhere else")
	cmd.MarkFlagRequired("url")
	cmd.Flags().StringVar(&keyFile, "key-file", "", "file holding the API key (default: standard input)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "where to write the sealed key (default NAME.key.sealed)")
	cmd.MarkFlagRequired("provider")
	return cmd
}

func newAIMockCmd() *cobra.Command {
	var (
		addr  string
		key   string
		delay time.Duration
	)
	cmd := &cobra.Command{
		Use:   "mock-upstream",
		Short: "Run a MOCK OpenAI-compatible upstream (no model: it echoes) for trying the AI API",
		Long: `Serve a MOCK OpenAI-compatible LLM upstream on --addr: it runs no model. A chat
completion answers "echo: " and the last user message (streamed word by word when
asked), embeddings are hashes of the input; models mock-chat and mock-embed. Use it
to try the AI API without a real provider:

  cove ai mock-upstream &
  cove dev --ai-provider mock=http://127.0.0.1:8790/v1

Never point a real deployment at it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on --addr %s: %w", addr, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "MOCK OpenAI-compatible upstream (no model: it echoes) at http://%s/v1, models %s\n", ln.Addr(), strings.Join(aimock.DefaultModels, ", "))
			srv := &http.Server{Handler: aimock.New(aimock.Config{Key: key, ChunkDelay: delay}), ReadHeaderTimeout: 10 * time.Second}
			go func() {
				<-cmd.Context().Done()
				srv.Close()
			}()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8790", "listen address")
	cmd.Flags().StringVar(&key, "key", "", "require this API key (Authorization: Bearer KEY)")
	cmd.Flags().DurationVar(&delay, "chunk-delay", 20*time.Millisecond, "wait before each streamed piece")
	return cmd
}
