package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/filefault"
	"github.com/cove-network/cove/internal/testnet"
	"github.com/cove-network/cove/internal/testport"
	"github.com/cove-network/cove/node"
)

func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadSecretsFile(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		want    map[string]string
		wantErr string // a substring of the error; empty means success
	}{
		{name: "dotenv", file: "A=1\nB=two words\n", want: map[string]string{"A": "1", "B": "two words"}},
		{name: "no final newline", file: "A=1", want: map[string]string{"A": "1"}},
		{name: "CRLF", file: "A=1\r\nB=2\r\n", want: map[string]string{"A": "1", "B": "2"}},
		{name: "comments and blank lines", file: "# a comment\n\n  # indented comment\nA=1\n\n", want: map[string]string{"A": "1"}},
		{name: "double quotes", file: `A="x y"`, want: map[string]string{"A": "x y"}},
		{name: "single quotes", file: `A='x "y"'`, want: map[string]string{"A": `x "y"`}},
		{name: "unbalanced quote kept", file: `A="x`, want: map[string]string{"A": `"x`}},
		{name: "mixed quotes kept", file: `A="x'`, want: map[string]string{"A": `"x'`}},
		{name: "lone quote kept", file: `A="`, want: map[string]string{"A": `"`}},
		{name: "empty quotes", file: `A=""`, want: map[string]string{"A": ""}},
		{name: "empty value", file: "A=", want: map[string]string{"A": ""}},
		{name: "export prefix", file: "export A=1\nexport B='2'\n", want: map[string]string{"A": "1", "B": "2"}},
		{name: "spaces around", file: "  A  =  1  \n", want: map[string]string{"A": "1"}},
		{name: "equals in value", file: "URL=https://x/?a=b&c=d\n", want: map[string]string{"URL": "https://x/?a=b&c=d"}},
		{name: "hash in value", file: "A=x#y\n", want: map[string]string{"A": "x#y"}},
		{name: "later wins", file: "A=1\nA=2\n", want: map[string]string{"A": "2"}},
		{name: "empty file", file: "", want: map[string]string{}},
		{name: "JSON object", file: `{"A":"1","B":"x\ny"}`, want: map[string]string{"A": "1", "B": "x\ny"}},
		{name: "JSON with space around", file: "\n  {\"A\": \"1\"}\n", want: map[string]string{"A": "1"}},
		{name: "empty JSON object", file: "{}", want: map[string]string{}},
		{name: "JSON number value", file: `{"A":1}`, wantErr: "a JSON file must be an object of string values"},
		{name: "JSON truncated", file: `{"A":"1"`, wantErr: "a JSON file must be an object of string values"},
		{name: "line without equals", file: "A=1\nB=2\nnot a pair\n", wantErr: ":3: want NAME=VALUE"},
		{name: "line numbers count comments", file: "# c\n\nA=1\nexport\n", wantErr: ":4: want NAME=VALUE"},
		// A long value (a key or certificate on one line) must either be
		// read or refused with an error that says which file and line.
		{name: "overlong line", file: "A=1\nB=" + strings.Repeat("x", 2<<20) + "\n", wantErr: "--secrets-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "secrets.env", []byte(tt.file))
			got := map[string]string{}
			err := readSecretsFile(path, got)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		err := readSecretsFile(filepath.Join(t.TempDir(), "nope"), map[string]string{})
		if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "--secrets-file") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("merges into the map", func(t *testing.T) {
		got := map[string]string{"KEEP": "k", "A": "old"}
		if err := readSecretsFile(writeFile(t, "s", []byte("A=new")), got); err != nil {
			t.Fatal(err)
		}
		if want := map[string]string{"KEEP": "k", "A": "new"}; !maps.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

// FuzzSecretsFile reads arbitrary files as secrets files: readSecretsFile
// never panics, and a dotenv file yields only trimmed, single-line names
// and values.
func FuzzSecretsFile(f *testing.F) {
	for _, s := range []string{
		"A=1\nB=2\n", "# c\nexport A='x'\n", `A="q"`, "A=\"\n", "noequals", "=v", "export =", "A==",
		`{"A":"1"}`, `{"A":1}`, `{`, " {\"\":\"\"} ", "\xff=\xfe", "A=1\r\n\r\nB=2", "\x00=\x00", "\u00a0A\u00a0=\u00a0v\u00a0",
	} {
		f.Add([]byte(s))
	}
	// One file, rewritten by each input: inputs run one at a time per process.
	path := filepath.Join(f.TempDir(), "secrets")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		if err := readSecretsFile(path, got); err != nil {
			if !strings.Contains(err.Error(), "--secrets-file") {
				t.Fatalf("error %q does not name the flag", err)
			}
			return
		}
		if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
			return // JSON: any string keys and values
		}
		for k, v := range got {
			if strings.ContainsAny(k, "\n=") || strings.ContainsAny(v, "\n") || strings.TrimSpace(k) != k {
				t.Fatalf("dotenv %q gave %q=%q", b, k, v)
			}
		}
	})
}

// freeAddr returns a loopback address for a listener configured before it
// starts (see internal/testport: outside the range ":0" listeners get).
func freeAddr(t *testing.T) string {
	t.Helper()
	return testport.Addr(t)
}

// startNode runs a real node on 127.0.0.1 for the CLI to talk to. It points
// $COVE_HOME at a new directory holding the "dev" key (the CLI's default
// --from), which the node's genesis funds, and returns the gateway URL and
// the dev address.
func startNode(t *testing.T) (string, cove.Address) {
	t.Helper()
	dev := devHome(t)
	// The node's operator key is "operator" in the same keystore, so a
	// test can act as its worker's operator (--from operator).
	store, err := account.Open(account.KeysDir(account.Home()))
	if err != nil {
		t.Fatal(err)
	}
	op, err := store.New("operator", "")
	if err != nil {
		t.Fatal(err)
	}
	return testnet.DevOperatedBy(t, filepath.Join(store.Dir(), "operator.json"), op.Address, dev), dev
}

// devHome points $COVE_HOME at a new directory holding the "dev" key and
// returns its address.
func devHome(t *testing.T) cove.Address {
	t.Helper()
	home := t.TempDir()
	t.Setenv("COVE_HOME", home)
	store, err := account.Open(account.KeysDir(home))
	if err != nil {
		t.Fatal(err)
	}
	dev, err := store.Ensure("dev")
	if err != nil {
		t.Fatal(err)
	}
	return dev.Address
}

// runCove runs the CLI with args and returns its standard output.
func runCove(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, errOut, err := runCoveStderr(t, args...)
	if errOut != "" {
		t.Logf("cove %s: stderr: %s", strings.Join(args, " "), errOut)
	}
	return out, err
}

// runCoveStderr runs the CLI in this process and returns what it wrote to
// stdout and stderr.
func runCoveStderr(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err = root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

// verify runs `cove verify` (newVerifyCmd) with args.
func verify(args ...string) (string, error) {
	cmd := newVerifyCmd(&globals{})
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), err
}

func wantExit(t *testing.T, what string, err error, code int) {
	t.Helper()
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != code {
		t.Fatalf("%s: err = %v, want exit code %d", what, err, code)
	}
}

// TestCLI drives the CLI end to end against one real node.
func TestCLI(t *testing.T) {
	base, dev := startNode(t)
	t.Run("deploy call verify", func(t *testing.T) { testDeployCallVerify(t, base, dev) })
	t.Run("upgrade", func(t *testing.T) { testUpgrade(t, base, dev) })
	t.Run("send", func(t *testing.T) { testSend(t, base, dev) })
	t.Run("stake", func(t *testing.T) { testStake(t, base, dev) })
	t.Run("paid calls", func(t *testing.T) { testPaidCalls(t, base) })
	t.Run("tokens and dao", func(t *testing.T) { testTokensAndDAO(t, base) })
	t.Run("lost answers", func(t *testing.T) { testLostAnswers(t, base) })
	t.Run("trust root", func(t *testing.T) { testTrustRoot(t, base) })
	t.Run("rotate keys", func(t *testing.T) { testRotateKeys(t, base) })
}

// testRotateKeys: `cove admin rotate-keys` (the dev key is the admin)
// starts epoch 1, which the node's gatekeeper publishes; a second request
// while one is pending, or from a non-admin key, is refused.
func testRotateKeys(t *testing.T, base string) {
	out, err := runCove(t, "--gateway", base, "admin", "rotate-keys")
	if err != nil {
		t.Fatalf("rotate-keys: %v", err)
	}
	if want := regexp.MustCompile(`^rotation to key epoch 1 requested in block [1-9][0-9]* \(tx 0x[0-9a-f]{64}\)`); !want.MatchString(out) {
		t.Fatalf("rotate-keys printed %q; want %s", out, want)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var keys struct {
			Epochs []struct {
				Epoch uint64 `json:"epoch"`
			} `json:"epochs"`
		}
		resp, err := http.Get(base + "/v1/chain/keys")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&keys)
		resp.Body.Close()
		if err == nil && len(keys.Epochs) == 2 && keys.Epochs[1].Epoch == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("epoch 1 not published within 20s: %+v %v", keys, err)
		}
		<-time.After(50 * time.Millisecond)
	}
	newKey(t, "erin")
	_, err = runCove(t, "--gateway", base, "admin", "rotate-keys", "--from", "erin")
	if err == nil {
		t.Fatal("a key without an account rotated the keys")
	}
}

// testDeployCallVerify deploys hello.ts with a secret (signed by the dev
// key), calls it with --verify --save, then checks the saved response
// offline with `cove verify`, and sees tampering refused.
func testDeployCallVerify(t *testing.T, base string, dev cove.Address) {
	secrets := writeFile(t, "secrets.env", []byte("# greeting\nexport GREETING='Ahoy'\n"))
	out, err := runCove(t, "--gateway", base, "agent", "deploy", filepath.Join("..", "..", "examples", "hello.ts"), "--secrets-file", secrets, "--json")
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	var dep struct{ ID, URL, Signer string }
	if err := json.Unmarshal([]byte(out), &dep); err != nil || dep.ID == "" || dep.Signer == "" {
		t.Fatalf("deploy --json printed %q: %v", out, err)
	}
	id, err := cove.ParseAgentID(dep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a := agent(t, base, id); a.Owner != dev || a.Version != 1 || !a.HasSecrets || a.Signer.String() != dep.Signer {
		t.Fatalf("deployed agent %+v; want owner %s (the --from default, dev), version 1, secrets", a, dev)
	}

	saved := filepath.Join(t.TempDir(), "resp.http")
	out, err = runCove(t, "--gateway", base, "agent", "call", dep.ID, "/hello?name=Ada", "--verify", "--save", saved)
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	if want := `{"greeting":"Ahoy Ada","agent":"hello"}`; out != want {
		t.Fatalf("call printed %q, want %q", out, want)
	}
	raw, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	path := "/agents/" + id.String() + "/hello?name=Ada"
	host := strings.TrimPrefix(base, "http://")

	t.Run("valid", func(t *testing.T) {
		out, err := verify(saved)
		if err != nil || !strings.Contains(out, "receipt valid") || !strings.Contains(out, dep.Signer) || !strings.Contains(out, "request hash not checked") ||
			!strings.Contains(out, "version       2") || !strings.Contains(out, "headers       not checked: pass --host") || !strings.Contains(out, "not attested") {
			t.Fatalf("verify: %v\n%s", err, out)
		}
		out, err = verify(saved, "--host", host)
		if err != nil || !strings.Contains(out, "headers       checked (Host and Content-Type") {
			t.Fatalf("verify --host: %v\n%s", err, out)
		}
		out, err = verify(saved, "--signer", dep.Signer, "--method", "GET", "--path", path, "--host", host, "--json")
		var res struct {
			Valid          bool         `json:"valid"`
			Signer         cove.Address `json:"signer"`
			RequestChecked bool         `json:"requestChecked"`
			HeadersChecked bool         `json:"headersChecked"`
			Version        int          `json:"version"`
			Receipt        struct {
				Agent  cove.AgentID `json:"agent"`
				Status int          `json:"status"`
			} `json:"receipt"`
		}
		if err != nil || json.Unmarshal([]byte(out), &res) != nil || !res.Valid || !res.RequestChecked || !res.HeadersChecked || res.Version != 2 ||
			res.Signer.String() != dep.Signer || res.Receipt.Agent != id || res.Receipt.Status != 200 {
			t.Fatalf("verify --json: %v\n%s", err, out)
		}
		// Lower-case signer addresses are accepted too.
		if _, err := verify(saved, "--signer", strings.ToLower(dep.Signer)); err != nil {
			t.Fatalf("verify with a lower-case signer: %v", err)
		}
		// stdin
		stdin := os.Stdin
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		go func() { w.Write(raw); w.Close() }()
		os.Stdin = r
		out, err = verify("-")
		os.Stdin = stdin
		if err != nil || !strings.Contains(out, "receipt valid") {
			t.Fatalf("verify -: %v\n%s", err, out)
		}
	})

	refused := []struct {
		name string
		file []byte
		args []string
	}{
		{name: "tampered body", file: bytes.Replace(raw, []byte("Ahoy Ada"), []byte("Ahoy Bob"), 1)},
		{name: "tampered status", file: bytes.Replace(raw, []byte("HTTP/1.1 200 OK"), []byte("HTTP/1.1 201 Created"), 1)},
		{name: "tampered signature", file: tamperHeader(t, raw, "Cove-Signature")},
		{name: "other signer", args: []string{"--signer", "0x000000000000000000000000000000000000dEaD"}},
		{name: "other path", args: []string{"--path", "/agents/" + id.String() + "/hello?name=Bob"}},
		{name: "other method", args: []string{"--method", "POST", "--path", path}},
		{name: "other request body", args: []string{"--path", path, "--data", "x"}},
		{name: "tampered content type", file: regexp.MustCompile(`(?m)^Content-Type: .*\r$`).ReplaceAll(raw, []byte("Content-Type: text/html\r")), args: []string{"--host", host}},
		{name: "other host", args: []string{"--host", "evil.example:8700"}},
		{name: "no receipt", file: []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			file := saved
			if tt.file != nil {
				if bytes.Equal(tt.file, raw) {
					t.Fatal("the tampering changed nothing")
				}
				file = writeFile(t, "resp.http", tt.file)
			}
			out, err := verify(append([]string{file}, tt.args...)...)
			wantExit(t, "verify", err, 2)
			if !strings.Contains(err.Error(), "receipt NOT valid") || strings.Contains(out, "receipt valid") {
				t.Fatalf("err %v, output %q", err, out)
			}
		})
	}

	// The golden vectors of versions 1 and 3 as saved responses.
	golden := func(t *testing.T, file string) (saved string, path, body, host, signer string) {
		var v struct {
			Exchange struct {
				Path, Body, ResponseBody, Host string
				ResponseHeaders                http.Header
			}
			Headers map[string]string
			Signer  string
		}
		b, err := os.ReadFile(filepath.Join("..", "..", "receipt", "testdata", file))
		if err != nil || json.Unmarshal(b, &v) != nil {
			t.Fatalf("golden vector: %v", err)
		}
		h := http.Header{"Content-Type": {"text/html"}}
		if v.Exchange.ResponseHeaders != nil {
			h = v.Exchange.ResponseHeaders.Clone()
		}
		for k, val := range v.Headers {
			h.Set(k, val)
		}
		var buf bytes.Buffer
		h.Set("Content-Length", strconv.Itoa(len(v.Exchange.ResponseBody)))
		writeHTTPHead(&buf, 200, h)
		buf.WriteString(v.Exchange.ResponseBody)
		return writeFile(t, "golden.http", buf.Bytes()), v.Exchange.Path, v.Exchange.Body, v.Exchange.Host, v.Signer
	}

	// A version-1 receipt (the golden vector, from before version 2)
	// verifies and says it covers no header, even with --host.
	t.Run("version 1", func(t *testing.T) {
		saved, path, body, _, signer := golden(t, "receipt_vector.json")
		out, err := verify(saved, "--signer", signer, "--method", "POST", "--path", path, "--data", body, "--host", "any.example")
		if err != nil || !strings.Contains(out, "version       1") || !strings.Contains(out, "headers       NOT covered") {
			t.Fatalf("verify a version-1 receipt: %v\n%s", err, out)
		}
	})

	// A version-3 receipt (signed in a batch) verifies with its headers;
	// another Host is refused.
	t.Run("version 3", func(t *testing.T) {
		saved, path, body, host, signer := golden(t, "receipt_vector_v3.json")
		out, err := verify(saved, "--signer", signer, "--method", "POST", "--path", path, "--data", body, "--host", host)
		if err != nil || !strings.Contains(out, "version       3") || !strings.Contains(out, "headers       checked") || !strings.Contains(out, "proof: 2 hashes") {
			t.Fatalf("verify a version-3 receipt: %v\n%s", err, out)
		}
		_, err = verify(saved, "--signer", signer, "--method", "POST", "--path", path, "--data", body, "--host", "evil.example")
		wantExit(t, "verify", err, 2)
	})

	t.Run("not a response", func(t *testing.T) {
		_, err := verify(writeFile(t, "x", []byte("hello")))
		if err == nil || !strings.Contains(err.Error(), "not an HTTP response") {
			t.Fatalf("err = %v", err)
		}
		_, err = verify(filepath.Join(t.TempDir(), "missing"))
		if err == nil {
			t.Fatal("verify of a missing file succeeded")
		}
		_, err = verify(saved, "--signer", "0x12")
		if err == nil || !strings.Contains(err.Error(), "--signer") {
			t.Fatalf("bad --signer: err = %v", err)
		}
	})

	t.Run("agent error status", func(t *testing.T) {
		saved404 := filepath.Join(t.TempDir(), "404.http")
		_, err := runCove(t, "--gateway", base, "agent", "call", dep.ID, "/nope", "--verify", "--save", saved404)
		wantExit(t, "call /nope", err, 1) // the agent's 404, with a receipt that verifies
		out, err := verify(saved404, "--signer", dep.Signer, "--path", "/agents/"+id.String()+"/nope")
		if err != nil || !strings.Contains(out, "status        404") {
			t.Fatalf("verify 404: %v\n%s", err, out)
		}
	})
}

// tamperHeader flips one hex digit of the named header in a saved response.
func tamperHeader(t *testing.T, raw []byte, name string) []byte {
	t.Helper()
	i := bytes.Index(raw, []byte(name+": 0x"))
	if i < 0 {
		t.Fatalf("no %s header in %q", name, raw)
	}
	out := bytes.Clone(raw)
	j := i + len(name) + 4 + 10
	if out[j] == 'a' {
		out[j] = 'b'
	} else {
		out[j] = 'a'
	}
	return out
}

// agent reads an agent through the Go client.
func agent(t *testing.T, base string, id cove.AgentID) api.AgentView {
	t.Helper()
	c, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := c.Agent(ctx, id)
	if err != nil {
		t.Fatalf("agent %s: %v", id, err)
	}
	return a
}

// chainAccount reads an account's balance and nonce through the Go client.
func chainAccount(t *testing.T, base string, addr cove.Address) (balance string, nonce uint64) {
	t.Helper()
	c, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := c.Account(ctx, addr)
	if err != nil {
		t.Fatalf("account %s: %v", addr, err)
	}
	return a.Balance.String(), a.Nonce
}

// newKey makes a key without passphrase in $COVE_HOME and returns its address.
func newKey(t *testing.T, name string) cove.Address {
	t.Helper()
	out, err := runCove(t, "keys", "new", name, "--no-passphrase", "--json")
	var info account.Info
	if err != nil || json.Unmarshal([]byte(out), &info) != nil || info.Address.IsZero() {
		t.Fatalf("keys new %s: %v %q", name, err, out)
	}
	return info.Address
}

func wantTxError(t *testing.T, what string, err error, code uint32) {
	t.Helper()
	var te *client.TxError
	if !errors.As(err, &te) || te.Outcome.Code != code || !strings.Contains(err.Error(), chain.CodeName(code)) {
		t.Fatalf("%s: err = %v; want a refused transaction with code %d (%s)", what, err, code, chain.CodeName(code))
	}
}

// testUpgrade replaces an agent's code with `cove agent upgrade`, signed by
// the owner, then by another funded key, which the chain refuses.
func testUpgrade(t *testing.T, base string, dev cove.Address) {
	out, err := runCove(t, "--gateway", base, "agent", "deploy", filepath.Join("..", "..", "examples", "hello.ts"), "--secret", "GREETING=Hey", "--json")
	var dep struct{ ID, CodeHash, Signer, URL string }
	if err != nil || json.Unmarshal([]byte(out), &dep) != nil {
		t.Fatalf("deploy: %v %q", err, out)
	}
	id, err := cove.ParseAgentID(dep.ID)
	if err != nil {
		t.Fatal(err)
	}
	v2 := writeFile(t, "v2.js", []byte(`export default { fetch(req, env) {
  const name = new URL(req.url).searchParams.get("name") ?? "world";
  return Response.json({ greeting: (env.GREETING ?? "Hello") + " " + name, version: 2 });
} };`))

	out, err = runCove(t, "--gateway", base, "agent", "upgrade", dep.ID, v2, "--json")
	var up struct {
		ID, CID, CodeHash, URL, Signer string
		Version                        uint64
	}
	if err != nil || json.Unmarshal([]byte(out), &up) != nil {
		t.Fatalf("upgrade: %v %q", err, out)
	}
	a := agent(t, base, id)
	if up.ID != dep.ID || up.Version != 2 || up.CodeHash == dep.CodeHash || up.CodeHash != a.CodeHash.String() || up.CID != a.CID ||
		up.Signer != dep.Signer || up.URL != dep.URL || a.Version != 2 || a.Owner != dev || !a.HasSecrets {
		t.Fatalf("upgrade --json printed %+v; the agent is %+v; deployed as %+v", up, a, dep)
	}
	// The new code serves, with the old secret, and its receipts carry the
	// new code hash.
	saved := filepath.Join(t.TempDir(), "v2.http")
	out, err = runCove(t, "--gateway", base, "agent", "call", dep.ID, "/?name=Ada", "--verify", "--save", saved)
	if want := `{"greeting":"Hey Ada","version":2}`; err != nil || out != want {
		t.Fatalf("call after upgrade: %v, printed %q, want %q", err, out, want)
	}
	out, err = verify(saved, "--signer", dep.Signer, "--json")
	var res struct {
		Receipt struct {
			CodeHash string `json:"codeHash"`
		} `json:"receipt"`
	}
	if err != nil || json.Unmarshal([]byte(out), &res) != nil || res.Receipt.CodeHash != up.CodeHash {
		t.Fatalf("verify after upgrade: %v %s; want the receipt's code hash %s", err, out, up.CodeHash)
	}

	// New secrets come with an upgrade too; the text output names the version.
	out, err = runCove(t, "--gateway", base, "agent", "upgrade", dep.ID, v2, "--secret", "GREETING=Yo")
	if err != nil || !strings.Contains(out, "upgraded "+dep.ID+" to version 3") {
		t.Fatalf("upgrade --secret: %v %q", err, out)
	}
	if out, err := runCove(t, "--gateway", base, "agent", "call", dep.ID, "/?name=Ada"); err != nil || out != `{"greeting":"Yo Ada","version":2}` {
		t.Fatalf("call after the second upgrade: %v %q", err, out)
	}

	// Another funded key may not upgrade it.
	mallory := newKey(t, "mallory")
	if _, err := runCove(t, "--gateway", base, "send", "--to", mallory.String(), "--amount", oneCOVE); err != nil {
		t.Fatalf("fund mallory: %v", err)
	}
	_, err = runCove(t, "--gateway", base, "agent", "upgrade", dep.ID, filepath.Join("..", "..", "examples", "hello.ts"), "--from", "mallory")
	wantTxError(t, "upgrade by another key", err, chain.CodeUnauthorized)
	if b := agent(t, base, id); b.Version != 3 || b.CodeHash.String() != up.CodeHash {
		t.Fatalf("after the refused upgrade: %+v", b)
	}

	// Unknown keys, ids and agents.
	if _, err := runCove(t, "--gateway", base, "agent", "upgrade", dep.ID, v2, "--from", "nobody"); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("upgrade --from a missing key: %v", err)
	}
	if _, err := runCove(t, "--gateway", base, "agent", "upgrade", "0x12", v2); err == nil {
		t.Error("upgrade of a malformed id succeeded")
	}
	_, err = runCove(t, "--gateway", base, "agent", "upgrade", "0x"+strings.Repeat("ab", 32), v2)
	wantTxError(t, "upgrade of an unknown agent", err, chain.CodeNotFound)
}

// testStake runs a stake pool from the CLI on a dev node as its worker's
// operator (--from operator; cove dev's operator is the dev key): create, add the worker, contribute, start
// it computing, withdraw more than is free (paid in part, the rest
// queued), stop it; each step's outcome printed, the pool and the stakes
// read back, and refusals named.
func testStake(t *testing.T, base string, dev cove.Address) {
	c, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	workers, err := c.Workers(t.Context())
	if err != nil || len(workers) == 0 {
		t.Fatalf("workers %v, %v", workers, err)
	}
	w, op := workers[0].ID.String(), workers[0].Operator
	// The dev key does not operate the worker: it may not add it to its
	// pool (the operator's consent).
	if _, err := runCove(t, "--gateway", base, "stake", "pool", "create"); err != nil {
		t.Fatal(err)
	}
	_, err = runCove(t, "--gateway", base, "stake", "pool", "add-worker", "1", w)
	wantTxError(t, "add a worker another account operates", err, chain.CodeUnauthorized)
	tx := func(args ...string) string {
		t.Helper()
		out, err := runCove(t, append([]string{"--gateway", base, "--from", "operator"}, args...)...)
		if err != nil {
			t.Fatalf("cove %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	out := tx("stake", "pool", "create", "--commission", "100000")
	m := regexp.MustCompile(`(?m)^  pool_created pool=([0-9]+) owner=` + op.String() + ` commission=100000$`).FindStringSubmatch(out)
	if m == nil || !strings.HasPrefix(out, "committed in block ") {
		t.Fatalf("pool create printed %q", out)
	}
	id := m[1]
	tx("stake", "pool", "add-worker", id, w)
	tx("stake", "pool", "contribute", id, "1000"+strings.Repeat("0", 18))
	// The minimum stake is 100 COVE·√50 (707.1 COVE): 700 is refused.
	_, err = runCove(t, "--gateway", base, "--from", "operator", "worker", "start", w, "--stake", "700"+strings.Repeat("0", 18))
	wantTxError(t, "a stake under the minimum", err, chain.CodeInvalidArgument)
	tx("worker", "start", w, "--stake", "800"+strings.Repeat("0", 18))
	// The contribution locks the operator's shares for heartbeat_blocks +
	// window blocks: a withdrawal now is refused, one after it passes.
	_, err = runCove(t, "--gateway", base, "--from", "operator", "stake", "pool", "withdraw", id, "500"+strings.Repeat("0", 18))
	wantTxError(t, "a withdrawal under the lock", err, chain.CodeInvalidArgument)
	stakes, err := c.Stakes(t.Context(), op)
	if err != nil || len(stakes) != 1 || stakes[0].LockedUntil == 0 {
		t.Fatalf("stakes %+v, %v", stakes, err)
	}
	for {
		st, err := c.ChainStatus(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.Height >= stakes[0].LockedUntil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// 200 COVE were free (plus the rewards the worker's heartbeats
	// settled meanwhile, at a price above 1): paid now, the rest queued.
	out = tx("stake", "pool", "withdraw", id, "500"+strings.Repeat("0", 18))
	m = regexp.MustCompile(`(?m)^  withdrawn pool=` + id + ` account=` + op.String() + ` shares=([0-9]+) amount=([0-9]+)$`).FindStringSubmatch(out)
	q := regexp.MustCompile(`(?m)^  withdraw_queued pool=` + id + ` account=` + op.String() + ` shares=([0-9]+)$`).FindStringSubmatch(out)
	if m == nil || q == nil {
		t.Fatalf("withdraw printed %q", out)
	}
	paid, _ := new(big.Int).SetString(m[1], 10)
	amount, _ := new(big.Int).SetString(m[2], 10)
	queued, _ := new(big.Int).SetString(q[1], 10)
	want500, _ := new(big.Int).SetString("500"+strings.Repeat("0", 18), 10)
	if new(big.Int).Add(paid, queued).Cmp(want500) != 0 || amount.Cmp(paid) < 0 {
		t.Fatalf("paid %s shares for %s, queued %s", paid, amount, queued)
	}
	out = tx("worker", "stop", w)
	if !strings.Contains(out, "computing_stopped pool="+id+" worker="+w) {
		t.Fatalf("stop printed %q", out)
	}
	n, _ := strconv.ParseUint(id, 10, 64)
	p, err := c.Pool(t.Context(), n)
	if err != nil {
		t.Fatal(err)
	}
	// The queue is paid as the pool's free COVE grows: the rewards of
	// heartbeats before the stop may pay some of it after the withdraw.
	// What is left is 500 shares and what is still queued, at most what
	// the withdraw queued.
	if len(p.Workers) != 1 || p.Workers[0].State != chain.PoolWorkerCooling || len(p.Queue) > 1 {
		t.Fatalf("pool %+v; want the worker cooling, at most one request queued", p)
	}
	queuedNow := new(big.Int)
	if len(p.Queue) == 1 {
		queuedNow.SetString(p.Queue[0].Shares, 10)
	}
	left := new(big.Int).Add(want500, queuedNow).String()
	if p.Shares != left || queuedNow.Cmp(queued) > 0 {
		t.Fatalf("pool %+v; want %s shares (500 and the %s still queued, of %s)", p, left, queuedNow, queued)
	}
	js, err := runCove(t, "--gateway", base, "stake", "pool", "show", id, "--json")
	if err != nil || !strings.Contains(js, `"state": "cooling"`) {
		t.Fatalf("pool show --json: %q, %v", js, err)
	}
	out = tx("stake", "list")
	if !regexp.MustCompile(`pool ` + id + `  shares [0-9]+  worth `).MatchString(out) { // (the queue may be paid meanwhile)
		t.Fatalf("stake list printed %q", out)
	}
	for _, bad := range [][]string{
		{"stake", "pool", "withdraw", id, "1", "--from", "dev"}, // holds none
		{"stake", "pool", "contribute", "0", "1"},
		{"stake", "pool", "contribute", id, "-1"},
		{"stake", "pool", "add-worker", id, "0x12"},
		{"stake", "pool", "create", "--commission", "1000001"},
		{"worker", "start", w},
	} {
		if _, err := runCove(t, append([]string{"--gateway", base}, bad...)...); err == nil {
			t.Errorf("cove %s: no error", strings.Join(bad, " "))
		}
	}
	if _, err := runCove(t, "--gateway", base, "stake", "pool", "show", "999"); err == nil || !strings.Contains(err.Error(), "pool 999") {
		t.Errorf("show of a missing pool: %v", err)
	}

	// A vault (the dev key's): contributions, an investment in the pool
	// (only by its owner), read back by show, list and stake list.
	dtx := func(args ...string) string {
		t.Helper()
		out, err := runCove(t, append([]string{"--gateway", base}, args...)...)
		if err != nil {
			t.Fatalf("cove %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	out = dtx("stake", "vault", "create", "--commission", "200000")
	m = regexp.MustCompile(`(?m)^  vault_created vault=([0-9]+) owner=` + dev.String() + ` commission=200000 address=(0x[0-9a-fA-F]{40})$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("vault create printed %q", out)
	}
	vid := m[1]
	dtx("stake", "vault", "contribute", vid, "300"+strings.Repeat("0", 18))
	_, err = runCove(t, "--gateway", base, "--from", "operator", "stake", "vault", "invest", vid, id, "100"+strings.Repeat("0", 18))
	wantTxError(t, "an investment by another than the vault's owner", err, chain.CodeUnauthorized)
	out = dtx("stake", "vault", "invest", vid, id, "100"+strings.Repeat("0", 18))
	if !strings.Contains(out, "contributed pool="+id+" account="+m[2]+" amount=100"+strings.Repeat("0", 18)) {
		t.Fatalf("vault invest printed %q", out)
	}
	js, err = runCove(t, "--gateway", base, "stake", "vault", "show", vid, "--json")
	var vault api.Vault
	if err != nil || json.Unmarshal([]byte(js), &vault) != nil || len(vault.Pools) != 1 || strconv.FormatUint(vault.Pools[0].Pool, 10) != id ||
		vault.Free != "200"+strings.Repeat("0", 18) || vault.Shares != "300"+strings.Repeat("0", 18) {
		t.Fatalf("vault show --json: %s, %v", js, err)
	}
	if out = dtx("stake", "vault", "list"); !strings.Contains(out, "vault "+vid+"  owner "+dev.String()) || !strings.Contains(out, "  pool "+id+"  shares ") {
		t.Fatalf("vault list printed %q", out)
	}
	if out = dtx("stake", "list"); !strings.Contains(out, "vault "+vid+"  shares 300"+strings.Repeat("0", 18)+"  worth ") {
		t.Fatalf("stake list printed %q", out)
	}
	if _, err := runCove(t, "--gateway", base, "stake", "vault", "show", "999"); err == nil || !strings.Contains(err.Error(), "vault 999") {
		t.Errorf("show of a missing vault: %v", err)
	}

	// The pool's owner lists the vault: the dev key may no longer
	// contribute, the vault may invest; taking it off opens the pool.
	if out = tx("stake", "pool", "allow", id, m[2]); !strings.Contains(out, "contributor_allowed pool="+id+" account="+m[2]) {
		t.Fatalf("allow printed %q", out)
	}
	if out = dtx("stake", "pool", "show", id); !strings.Contains(out, "allowlist of 1") {
		t.Fatalf("pool show printed %q", out)
	}
	_, err = runCove(t, "--gateway", base, "stake", "pool", "contribute", id, "50"+strings.Repeat("0", 18))
	wantTxError(t, "a contribution by an account off the allowlist", err, chain.CodeUnauthorized)
	dtx("stake", "vault", "invest", vid, id, "50"+strings.Repeat("0", 18))
	tx("stake", "pool", "disallow", id, m[2])
	dtx("stake", "pool", "contribute", id, "50"+strings.Repeat("0", 18))
}

// oneCOVE is 10^18 base units.
const oneCOVE = "1000000000000000000"

// testSend moves tokens with `cove send` from the dev key and from a new
// key, paying fees.
func testSend(t *testing.T, base string, dev cove.Address) {
	carol := newKey(t, "carol")
	out, err := runCove(t, "--gateway", base, "send", "--to", carol.String(), "--amount", "12345")
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	want := regexp.MustCompile(`^sent 12345 from ` + dev.String() + ` to ` + carol.String() + ` in block [1-9][0-9]* \(tx 0x[0-9a-f]{64}\)\n$`)
	if !want.MatchString(out) {
		t.Fatalf("send printed %q; want %s", out, want)
	}
	if bal, nonce := chainAccount(t, base, carol); bal != "12345" || nonce != 0 {
		t.Fatalf("carol after the transfer: balance %s nonce %d", bal, nonce)
	}

	// Carol's account exists now, but 12345 base units pay no fee
	// (node.DevFees): refused before anything happens.
	_, err = runCove(t, "--gateway", base, "send", "--to", dev.String(), "--amount", "345", "--from", "carol")
	wantTxError(t, "send without the fee", err, chain.CodeInsufficientFunds)
	if bal, nonce := chainAccount(t, base, carol); bal != "12345" || nonce != 0 {
		t.Fatalf("carol after a refused send: balance %s nonce %d", bal, nonce)
	}
	if _, err := runCove(t, "--gateway", base, "send", "--to", carol.String(), "--amount", oneCOVE); err != nil {
		t.Fatalf("send: %v", err)
	}
	funded := "1000000000000012345"
	// The estimate: the base price and 10^12 per byte.
	out, err = runCove(t, "--gateway", base, "chain", "fee", "Transfer", "--bytes", "253")
	if err != nil || out != "a 253-byte Transfer pays 1253000000000000 base units (0.001253 COVE)\n" {
		t.Fatalf("chain fee: %q, %v", out, err)
	}
	// --fee under the fee: refused, nothing paid; the same send with a
	// --fee that covers it (the control) goes through and says what it
	// paid.
	_, err = runCove(t, "--gateway", base, "send", "--to", dev.String(), "--amount", "345", "--from", "carol", "--fee", "1000000000000000")
	wantTxError(t, "send with a low --fee", err, chain.CodeFeeAboveMax)
	if bal, nonce := chainAccount(t, base, carol); bal != funded || nonce != 0 {
		t.Fatalf("carol after a refused --fee: balance %s nonce %d", bal, nonce)
	}
	_, stderr, err := runCoveStderr(t, "--gateway", base, "send", "--to", dev.String(), "--amount", "345", "--from", "carol", "--fee", "2000000000000000")
	if err != nil {
		t.Fatalf("send --from carol: %v", err)
	}
	m := regexp.MustCompile(`^fee: ([0-9]+) base units \(0\.00[0-9]+ COVE\), tx 0x[0-9a-f]{64}\n$`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("send printed on stderr %q; want the fee", stderr)
	}
	fee, _ := new(big.Int).SetString(m[1], 10)
	want12000 := new(big.Int).Sub(new(big.Int).SetUint64(1000000000000012000), fee).String()
	if bal, nonce := chainAccount(t, base, carol); bal != want12000 || nonce != 1 {
		t.Fatalf("carol after sending 345 (fee %s): balance %s nonce %d, want %s", fee, bal, nonce, want12000)
	}
	_, err = runCove(t, "--gateway", base, "send", "--to", dev.String(), "--amount", want12000, "--from", "carol")
	wantTxError(t, "send the balance without the fee", err, chain.CodeInsufficientFunds)
	if out, err := runCove(t, "--gateway", base, "chain", "supply"); err != nil || !strings.HasPrefix(out, "total     ") || !strings.Contains(out, "treasury  0.") {
		t.Fatalf("chain supply: %q, %v", out, err)
	}
	// A key the chain has never seen cannot send.
	newKey(t, "dave")
	_, err = runCove(t, "--gateway", base, "send", "--to", dev.String(), "--amount", "1", "--from", "dave")
	wantTxError(t, "send from an empty account", err, chain.CodeUnknownAccount)

	for _, tt := range []struct {
		args []string
		says string
	}{
		{[]string{"--to", carol.String(), "--amount", "0"}, "--amount"},
		{[]string{"--to", carol.String(), "--amount", "-5"}, "--amount"},
		{[]string{"--to", carol.String(), "--amount", "1.5"}, "--amount"},
		{[]string{"--to", carol.String()}, "--amount"},
		{[]string{"--to", "0x12", "--amount", "1"}, "--to"},
		{[]string{"--amount", "1"}, "--to"},
		{[]string{"--to", carol.String(), "--amount", "1", "--from", "nobody"}, "nobody"},
		{[]string{"--to", carol.String(), "--amount", "1", "--fee", "0"}, "--fee"},
		{[]string{"--to", carol.String(), "--amount", "1", "--fee", "1e18"}, "--fee"},
	} {
		if _, err := runCove(t, append([]string{"--gateway", base, "send"}, tt.args...)...); err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("send %s: %v; want an error naming %s", strings.Join(tt.args, " "), err, tt.says)
		}
	}
	if bal, nonce := chainAccount(t, base, carol); bal != want12000 || nonce != 1 {
		t.Errorf("carol after refused sends: balance %s nonce %d, want %s", bal, nonce, want12000)
	}
}

// TestTestnetInit writes a two-validator network and checks the homes
// without running them.
func TestTestnetInit(t *testing.T) {
	home := t.TempDir()
	t.Setenv("COVE_HOME", home)
	dir := filepath.Join(t.TempDir(), "net")
	extra := cove.Address{0xab, 0xcd}
	base, err := strconv.Atoi(strings.TrimPrefix(freeAddr(t), "127.0.0.1:"))
	if err != nil {
		t.Fatal(err)
	}
	base = min(base, 65535-6)
	out, err := runCove(t, "testnet", "init", "--validators", "2", "--dir", dir, "--base-port", strconv.Itoa(base), "--fund", extra.String(), "--json")
	if err != nil {
		t.Fatalf("testnet init: %v", err)
	}
	var nodes []struct {
		Home, HTTP, RPC, P2P string
		Operator             *cove.Address
	}
	var fields []map[string]any
	if err := json.Unmarshal([]byte(out), &nodes); err != nil || json.Unmarshal([]byte(out), &fields) != nil || len(nodes) != 2 {
		t.Fatalf("testnet init --json printed %q: %v", out, err)
	}
	store, err := account.Open(account.KeysDir(home))
	if err != nil {
		t.Fatal(err)
	}
	dev, err := store.Get("dev")
	if err != nil {
		t.Fatalf("testnet init made no dev key in $COVE_HOME: %v", err)
	}

	var genesis [][]byte
	for i, nd := range nodes {
		for _, k := range []string{"home", "http", "rpc", "p2p"} {
			if _, ok := fields[i][k]; !ok {
				t.Errorf("node %d: fields %v; want %s", i, fields[i], k)
			}
		}
		if want := filepath.Join(dir, fmt.Sprintf("node%d", i)); !filepath.IsAbs(nd.Home) || nd.Home != want {
			t.Errorf("node %d: home %q, want %q", i, nd.Home, want)
		}
		// Node i takes ports base+3i (p2p), +1 (rpc), +2 (gateway), and
		// nothing listens on them: init runs nothing.
		for j, a := range []string{nd.P2P, nd.RPC, nd.HTTP} {
			if want := "127.0.0.1:" + strconv.Itoa(base+3*i+j); a != want {
				t.Errorf("node %d: address %q, want %q", i, a, want)
			}
			if ln, err := net.Listen("tcp", a); err != nil {
				t.Errorf("node %d: %s is in use after init: %v", i, a, err)
			} else {
				ln.Close()
			}
		}
		if _, err := os.Stat(filepath.Join(nd.Home, "cove.toml")); err != nil {
			t.Errorf("node %d: %v", i, err)
		}
		g, err := os.ReadFile(filepath.Join(nd.Home, "chain", "config", "genesis.json"))
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		genesis = append(genesis, g)
		cfg, err := node.LoadConfig(nd.Home)
		if err != nil {
			t.Fatalf("node %d: load its cove.toml: %v", i, err)
		}
		other := nodes[1-i]
		if cfg.HTTPAddr != nd.HTTP || cfg.Validator.RPCAddr != nd.RPC || cfg.Validator.P2PAddr != nd.P2P ||
			cfg.Validator.Home != filepath.Join(nd.Home, "chain") || !strings.HasPrefix(cfg.DataDir, nd.Home+string(filepath.Separator)) ||
			len(cfg.Validator.Peers) != 1 || !strings.HasSuffix(cfg.Validator.Peers[0], "@"+other.P2P) ||
			len(cfg.BlobPeers) != 1 || cfg.BlobPeers[0] != "http://"+other.HTTP {
			t.Errorf("node %d: config %+v", i, cfg)
		}
	}
	if !bytes.Equal(genesis[0], genesis[1]) {
		t.Error("the nodes have different genesis files")
	}
	var doc struct {
		ChainID    string          `json:"chain_id"`
		Validators []any           `json:"validators"`
		AppState   json.RawMessage `json:"app_state"`
	}
	if err := json.Unmarshal(genesis[0], &doc); err != nil {
		t.Fatal(err)
	}
	g, err := chain.ParseGenesis(doc.AppState)
	if err != nil {
		t.Fatalf("genesis app state: %v", err)
	}
	funded := map[cove.Address]string{}
	for _, a := range g.Accounts {
		funded[a.Address] = a.Balance.String()
	}
	if doc.ChainID != node.TestnetChainID || g.ChainID != node.TestnetNumericChainID || len(doc.Validators) != 2 || g.Params.Admin != dev.Address ||
		funded[dev.Address] != node.DevFunds.String() || funded[extra] != node.DevFunds.String() {
		t.Errorf("genesis: chain %q (%d), %d validators, admin %s, funded %v; want %s (%d), 2, dev %s, dev and %s funded",
			doc.ChainID, g.ChainID, len(doc.Validators), g.Params.Admin, funded, node.TestnetChainID, node.TestnetNumericChainID, dev.Address, extra)
	}
	for i, nd := range nodes {
		if nd.Operator != nil && funded[*nd.Operator] == "" {
			t.Errorf("node %d: operator %s is not funded in genesis", i, nd.Operator)
		}
	}

	// The text form lists the same homes.
	out, err = runCove(t, "testnet", "init", "--validators", "1", "--dir", filepath.Join(t.TempDir(), "one"))
	if err != nil || !strings.Contains(out, "gateway http://127.0.0.1:") || !strings.Contains(out, "cove node --home") {
		t.Errorf("testnet init: %v, printed %q", err, out)
	}
	// An existing network is never overwritten; nonsense is refused.
	for _, args := range [][]string{
		{"--validators", "2", "--dir", dir},
		{"--validators", "0", "--dir", filepath.Join(t.TempDir(), "x")},
		{"--validators", "2"},
		{"--validators", "2", "--dir", filepath.Join(t.TempDir(), "x"), "--base-port", "80"},
		{"--validators", "2", "--dir", filepath.Join(t.TempDir(), "x"), "--fund", "0x12"},
	} {
		if _, err := runCove(t, append([]string{"testnet", "init"}, args...)...); err == nil {
			t.Errorf("testnet init %s succeeded", strings.Join(args, " "))
		}
	}
	if g2, err := os.ReadFile(filepath.Join(nodes[0].Home, "chain", "config", "genesis.json")); err != nil || !bytes.Equal(g2, genesis[0]) {
		t.Errorf("a refused init changed node0's genesis: %v", err)
	}
}

// TestRebuildStateFlag: `cove node` and `cove dev` take --rebuild-state and
// their help says how to recover a damaged chain state.
func TestRebuildStateFlag(t *testing.T) {
	for _, cmd := range []string{"node", "dev"} {
		out, err := runCove(t, cmd, "--help")
		if err != nil {
			t.Fatalf("cove %s --help: %v", cmd, err)
		}
		for _, want := range []string{"--rebuild-state", "Recovery:", "cove-state.db.damaged-TIME"} {
			if !strings.Contains(out, want) {
				t.Errorf("cove %s --help does not say %q:\n%s", cmd, want, out)
			}
		}
	}
}

// TestNodeRebuildState runs `cove node` on a home from `cove testnet init`,
// damages its chain state, and checks that `cove node` refuses to start
// naming the file and the flag, and that `cove node --rebuild-state` keeps
// the file aside and serves the chain from at least the height it had.
func TestNodeRebuildState(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node three times (-short)")
	}
	t.Setenv("COVE_HOME", t.TempDir())
	dir := filepath.Join(t.TempDir(), "net")
	base, err := strconv.Atoi(strings.TrimPrefix(freeAddr(t), "127.0.0.1:"))
	if err != nil {
		t.Fatal(err)
	}
	base = min(base, 65535-3)
	out, err := runCove(t, "testnet", "init", "--validators", "1", "--dir", dir, "--base-port", strconv.Itoa(base), "--json")
	if err != nil {
		t.Fatalf("testnet init: %v", err)
	}
	var nodes []struct{ Home, HTTP string }
	if err := json.Unmarshal([]byte(out), &nodes); err != nil || len(nodes) != 1 {
		t.Fatalf("testnet init --json printed %q: %v", out, err)
	}
	home := nodes[0].Home
	c, err := client.New("http://" + nodes[0].HTTP)
	if err != nil {
		t.Fatal(err)
	}
	// serve runs `cove node` with args until it is healthy and has a block
	// past min, and returns the height it reached.
	serve := func(min int64, args ...string) int64 {
		t.Helper()
		root := newRoot()
		root.SetOut(io.Discard)
		root.SetErr(io.Discard)
		root.SetArgs(append([]string{"node", "--home", home, "--log-level", "error"}, args...))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- root.ExecuteContext(ctx) }()
		defer func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("cove node %s: %v", strings.Join(args, " "), err)
			}
		}()
		wctx, wcancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer wcancel()
		for {
			st, err := c.ChainStatus(wctx)
			if err == nil && st.Height > min {
				return st.Height
			}
			select {
			case err := <-done:
				done <- err
				t.Fatalf("cove node exited: %v", err)
			case <-wctx.Done():
				t.Fatalf("no block past %d within 60 s: %v", min, err)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	h := serve(3)

	path := filepath.Join(home, "chain", "data", "cove-state.db")
	filefault.Rewrite(t, path, filefault.GarbageAfter(filefault.BboltMetaBytes))
	_, err = runCove(t, "node", "--home", home, "--log-level", "error")
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "--rebuild-state") {
		t.Fatalf("cove node on a damaged state: %v; want an error naming %s and --rebuild-state", err, path)
	}
	serve(h, "--rebuild-state")
	if asides, _ := filepath.Glob(path + ".damaged-*"); len(asides) != 1 {
		t.Fatalf("files kept aside: %q, want one", asides)
	}
}

// TestLogFormat: --log-format picks text or JSON; anything else is refused
// naming the choices.
func TestLogFormat(t *testing.T) {
	for _, f := range []string{"text", "json"} {
		if _, err := (&globals{logLevel: "info", logFormat: f}).logger(); err != nil {
			t.Errorf("--log-format %s: %v", f, err)
		}
	}
	if _, err := (&globals{logLevel: "info", logFormat: "xml"}).logger(); err == nil || !strings.Contains(err.Error(), "text or json") {
		t.Errorf("--log-format xml: %v", err)
	}
}
