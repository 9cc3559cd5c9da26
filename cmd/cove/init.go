package main

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// agentTemplates are the projects `cove agent init` writes: one folder
// each, with package.json (its "name" is cove-template-NAME, replaced by
// the new folder's name), package-lock.json, src/index.ts, a test that
// `npm test` runs in Node and a README; templates/_common holds the files
// every project gets (test/cove.ts, which `cove agent test` relies on).
//
//go:embed all:templates
var agentTemplates embed.FS

// commonTemplate is the folder of files every template gets.
const commonTemplate = "_common"

// templateInfo describes each template in --help and errors.
var templateInfo = map[string]string{
	"hono":      "an HTTP API with Hono (routes, JSON, secrets as c.env)",
	"oracle":    "a price oracle answering HTTP calls and EVM anchor requests",
	"wallet":    "an agent-controlled wallet: viem + cove.deriveKey, key only in the TEE",
	"ai-chat":   "LLM chat with the openai package against any OpenAI-compatible provider",
	"ai-oracle": "an EVM contract's question answered by an LLM, as text the contract stores",
	"ad-label":  "labels an ad's text with an LLM (JSON, checked) for an on-chain ad market",
}

// templateTry is a first `cove agent run` of each template (after DIR's
// npm install), printed by init; TestAgentInit wants one per template and
// makes such a call (against mock APIs).
var templateTry = map[string]string{
	"hono":      "cove agent run . /items/7",
	"oracle":    "cove agent run . / -d ETH-USD    # fetches Coinbase's public API",
	"wallet":    "cove agent run . /address",
	"ai-chat":   `cove agent run . / -d '{"message":"hi"}' --secret OPENAI_API_KEY=sk-…`,
	"ai-oracle": `cove agent run . / -d 'What is the capital of France?' --secret OPENAI_API_KEY=sk-…`,
	"ad-label":  `cove agent run . / -d '{"text":"Fresh bread, 2 for 1"}' --secret OPENAI_API_KEY=sk-…`,
}

func templateList() string {
	var b strings.Builder
	for _, n := range sortedKeys(templateInfo) {
		fmt.Fprintf(&b, "  %-10s %s\n", n, templateInfo[n])
	}
	return b.String()
}

// npmNameBad matches what an npm package name may not hold: a folder's
// name is lower-cased and such runs replaced by "-".
var npmNameBad = regexp.MustCompile(`[^a-z0-9._-]+`)

func newInitCmd() *cobra.Command {
	var tmpl string
	cmd := &cobra.Command{
		Use:   "init DIR --template NAME",
		Short: "Start an agent project from a template (package.json, src/index.ts, a test, a README)",
		Long: `Write a new agent project into DIR (created; it must not exist or be empty) from one of
the templates:

` + templateList() + `
Each has package.json and package-lock.json, src/index.ts (the agent), a test that
'npm test' runs in Node right after 'npm install', and a README with the commands
to run it in Cove's sandbox (cove agent run), deploy it and call it.`,
		Example: `  cove agent init my-api --template hono
  cd my-api && npm install && npm test && cove agent run . /items/7`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, ok := templateInfo[tmpl]; !ok {
				return fmt.Errorf("--template %q: choose one of\n%s", truncate(tmpl, 40), templateList())
			}
			dir := args[0]
			if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
				return fmt.Errorf("%s exists and is not empty: init writes a new project; choose another folder", dir)
			} else if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			abs, err := filepath.Abs(dir)
			if err != nil {
				return err
			}
			name := strings.Trim(npmNameBad.ReplaceAllString(strings.ToLower(filepath.Base(abs)), "-"), "-._")
			if name == "" {
				name = "cove-agent"
			}
			var written []string
			// The template's own files, then those every template shares
			// (templates/_common: the test helper of `cove agent test`).
			for _, root := range []string{path.Join("templates", tmpl), path.Join("templates", commonTemplate)} {
				err = fs.WalkDir(agentTemplates, root, func(p string, d fs.DirEntry, err error) error {
					if err != nil {
						return err
					}
					rel := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
					target := filepath.Join(dir, filepath.FromSlash(rel))
					if d.IsDir() {
						if d.Name() == "node_modules" {
							return fs.SkipDir // a template's own install, never part of it
						}
						return os.MkdirAll(target, 0o755)
					}
					b, err := agentTemplates.ReadFile(p)
					if err != nil {
						return err
					}
					if rel == "package.json" || rel == "package-lock.json" {
						b = bytes.ReplaceAll(b, []byte(`"name": "cove-template-`+tmpl+`"`), []byte(`"name": "`+name+`"`))
					}
					if err := os.WriteFile(target, b, 0o644); err != nil {
						return err
					}
					written = append(written, rel)
					return nil
				})
				if err != nil {
					return fmt.Errorf("write the %s template: %w", tmpl, err)
				}
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "wrote %s (template %s: %s):\n", dir, tmpl, templateInfo[tmpl])
			for _, f := range written {
				fmt.Fprintf(out, "  %s\n", f)
			}
			fmt.Fprintf(out, "next (see README.md):\n  cd %s\n  npm install\n  npm test\n  %s\n", shellQuote(dir), templateTry[tmpl])
			return nil
		},
	}
	cmd.Flags().StringVar(&tmpl, "template", "", "the template: "+strings.Join(sortedKeys(templateInfo), ", "))
	return cmd
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9/._-]+$`)

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and /._-.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
