package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/receipt"
)

func newVerifyCmd(g *globals) *cobra.Command {
	var (
		signer string
		method string
		path   string
		host   string
		data   string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "verify FILE",
		Short: "Check a saved agent response's receipt offline",
		Long: `Check the Cove-Receipt, Cove-Signature and Cove-Signer headers of a saved response:
the EIP-712 signature, the response body hash and the status. FILE is an HTTP
response as 'curl -i' prints it or 'cove agent call --save' writes it ('-' reads
stdin). No network is used.

--signer pins the expected attestor address (otherwise any valid signer is
reported). --method and --path (the path with query as sent to the gateway,
e.g. /agents/0x…/hello?name=Ada) and --data also check the request hash.
--host (the Host the request was sent to, e.g. 127.0.0.1:8700) also checks a
version-2 or -3 receipt's headers hash: the Host and the response headers
Content-Type, Content-Encoding, Content-Disposition, Content-Language,
Content-Range and Location. A version-1 receipt covers no header: the output
says so. A version-3 receipt was signed in a batch with other responses (one
signature over a Merkle root; its proof is checked, and the output names the
root). The timestamp is the worker host's clock, not attested.`,
		Example: `  cove agent call 0x1234… /hello --save resp.http
  cove verify resp.http --signer 0xAbC… --method GET --path '/agents/0x1234…/hello' --host 127.0.0.1:8700`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := readInput(args[0])
			if err != nil {
				return err
			}
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
			if err != nil {
				return fmt.Errorf("read %s: not an HTTP response (save one with 'cove agent call --save' or 'curl -i'): %w", args[0], err)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				return fmt.Errorf("read %s body: %w", args[0], err)
			}
			var want cove.Address
			if signer != "" {
				if want, err = cove.ParseAddress(signer); err != nil {
					return fmt.Errorf("--signer: %w", err)
				}
			}
			s, err := client.VerifyResponse(resp.Header, body, resp.StatusCode, want)
			if err == nil && path != "" {
				if method == "" {
					method = http.MethodGet
				}
				err = receipt.CheckRequest(s.Receipt, method, path, []byte(data))
			}
			headers := "not checked: pass --host with the Host the request was sent to"
			if err == nil && host != "" {
				err = receipt.CheckHeaders(s.Receipt, host, resp.Header)
				headers = "checked (Host and " + strings.Join(cove.ReceiptHeaders[:], ", ") + ")"
			}
			if errors.Is(err, receipt.ErrNotCovered) || (err == nil && !s.Receipt.CoversHeaders()) {
				err, headers = nil, "NOT covered: a version-1 receipt does not cover the Host or any response header"
			}
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("receipt NOT valid: %w", err)}
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), map[string]any{"valid": true, "signer": s.Signer, "receipt": s.Receipt,
					"version": s.Receipt.V(), "requestChecked": path != "", "headersChecked": host != "" && s.Receipt.CoversHeaders()})
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "receipt valid\n  version       %d\n  signer        %s\n  agent         %s\n  codeHash      %s\n  status        %d\n  responseHash  %s\n  requestHash   %s\n",
				s.Receipt.V(), s.Signer, s.Receipt.Agent, s.Receipt.CodeHash, s.Receipt.Status, s.Receipt.ResponseHash, s.Receipt.RequestHash)
			if s.Receipt.CoversHeaders() {
				fmt.Fprintf(out, "  headersHash   %s\n", s.Receipt.HeadersHash)
			}
			if s.Receipt.V() == cove.ReceiptV3 {
				fmt.Fprintf(out, "  batch         signed with other responses in one signature over the Merkle root %s\n                (this receipt's proof: %d hashes)\n",
					s.Receipt.BatchRoot(), len(s.Receipt.Proof))
			}
			fmt.Fprintf(out, "  timestamp     %s (the worker host's clock, not attested)\n  headers       %s\n",
				time.Unix(int64(s.Receipt.Timestamp), 0).UTC().Format(time.RFC3339), headers)
			if path == "" {
				fmt.Fprintln(out, "  (request hash not checked: pass --method, --path and --data to check it)")
			}
			if signer == "" {
				fmt.Fprintln(out, "  (signer not pinned: pass --signer with the agent's attestor address to require it)")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&signer, "signer", "", "required signer: the agent's attestor address")
	f.StringVar(&method, "method", "", "request method, to check the request hash (default GET)")
	f.StringVar(&path, "path", "", "request path with query as sent to the gateway, to check the request hash")
	f.StringVar(&data, "data", "", "request body, to check the request hash")
	f.StringVar(&host, "host", "", "the Host the request was sent to, to check a version-2 or -3 receipt's headers hash")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	return b, nil
}

// saveResponse writes resp as an HTTP/1.1 response, the format 'cove verify'
// and 'curl -i' share.
func saveResponse(path string, resp *client.Response) error {
	var buf bytes.Buffer
	h := resp.Header.Clone()
	h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	writeHTTPHead(&buf, resp.Status, h)
	buf.Write(resp.Body)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("--save: %w", err)
	}
	return nil
}

func writeHTTPHead(w io.Writer, status int, h http.Header) {
	fmt.Fprintf(w, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s: %s\r\n", k, v)
		}
	}
	fmt.Fprint(w, "\r\n")
}
