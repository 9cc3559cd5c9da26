package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/client"
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

// startNode runs a real node on 127.0.0.1 for the CLI to talk to.
func startNode(t *testing.T) string {
	t.Helper()
	cfg := node.DefaultConfig()
	cfg.DataDir = t.TempDir()
	n, err := node.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node.Run: %v", err)
		}
	})
	base := "http://" + ln.Addr().String()
	c, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := c.WaitHealthy(wctx); err != nil {
		t.Fatal(err)
	}
	return base
}

// runCove runs the CLI with args and returns its standard output.
func runCove(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := root.ExecuteContext(ctx)
	if errOut.Len() > 0 {
		t.Logf("cove %s: stderr: %s", strings.Join(args, " "), errOut.String())
	}
	return out.String(), err
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

// TestDeployCallVerify drives the CLI end to end against a real node: deploy
// hello.ts with a secret, call it with --verify --save, then check the saved
// response offline with `cove verify`, and see tampering refused.
func TestDeployCallVerify(t *testing.T) {
	base := startNode(t)
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

	t.Run("valid", func(t *testing.T) {
		out, err := verify(saved)
		if err != nil || !strings.Contains(out, "receipt valid") || !strings.Contains(out, dep.Signer) || !strings.Contains(out, "request hash not checked") {
			t.Fatalf("verify: %v\n%s", err, out)
		}
		out, err = verify(saved, "--signer", dep.Signer, "--method", "GET", "--path", path, "--json")
		var res struct {
			Valid          bool         `json:"valid"`
			Signer         cove.Address `json:"signer"`
			RequestChecked bool         `json:"requestChecked"`
			Receipt        struct {
				Agent  cove.AgentID `json:"agent"`
				Status int          `json:"status"`
			} `json:"receipt"`
		}
		if err != nil || json.Unmarshal([]byte(out), &res) != nil || !res.Valid || !res.RequestChecked || res.Signer.String() != dep.Signer || res.Receipt.Agent != id || res.Receipt.Status != 200 {
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
