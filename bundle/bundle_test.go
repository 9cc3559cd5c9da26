package bundle

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/cove-network/cove/internal/jstest"
)

const examples = "../examples"

// needModules skips (fails under CI) a test whose example folder has no
// node_modules.
func needModules(tb testing.TB, dir string) {
	tb.Helper()
	jstest.Modules(tb, dir, filepath.ToSlash(filepath.Join("examples", filepath.Base(dir))))
}

// exampleAgents lists every agent under examples/: each .ts/.js file and
// each folder with a package.json.
func exampleAgents(t *testing.T) []string {
	t.Helper()
	var agents []string
	err := filepath.WalkDir(examples, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			if fileExists(filepath.Join(path, "package.json")) {
				agents = append(agents, path)
				return filepath.SkipDir
			}
			return nil
		}
		if sourceExts[filepath.Ext(path)] {
			agents = append(agents, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(agents) < 10 {
		t.Fatalf("found %d example agents in %s, want at least 10: %v", len(agents), examples, agents)
	}
	return agents
}

func TestBuildExamples(t *testing.T) {
	for _, path := range exampleAgents(t) {
		name, _ := filepath.Rel(examples, path)
		t.Run(name, func(t *testing.T) {
			if fileExists(filepath.Join(path, "package.json")) {
				needModules(t, path)
			}
			b, err := Build(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b.Code, []byte("var "+GlobalName+"=(()=>{")) {
				t.Errorf("code does not start with the IIFE assignment to %s: %.80q", GlobalName, b.Code)
			}
			if !filepath.IsAbs(b.Entry) || !fileExists(b.Entry) {
				t.Errorf("Entry = %q, want an absolute path to an existing file", b.Entry)
			}
			t.Logf("%d bytes, %d warnings %q", len(b.Code), len(b.Warnings), b.Warnings)
		})
	}
}

func TestBuildHelloNamesGlobal(t *testing.T) {
	b, err := Build(filepath.Join(examples, "hello.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Code, []byte("__cove_agent")) {
		t.Fatalf("bundle of hello.ts does not mention __cove_agent:\n%s", b.Code)
	}
	// TypeScript is gone, identifiers are kept, whitespace is not.
	for _, bad := range []string{"interface Env", "Promise<Response>", "\n  "} {
		if bytes.Contains(b.Code, []byte(bad)) {
			t.Errorf("bundle contains %q", bad)
		}
	}
	if !bytes.Contains(b.Code, []byte("greeting")) {
		t.Errorf("bundle lost the identifier greeting (identifiers must not be minified)")
	}
	want, _ := filepath.Abs(filepath.Join(examples, "hello.ts"))
	if b.Entry != want {
		t.Errorf("Entry = %q, want %q", b.Entry, want)
	}
}

// TestContract evaluates bundles as classic scripts in a fresh node:vm
// context and checks what the sandbox relies on: globalThis.__cove_agent.default
// is the default export, and top-level code of export-less scripts runs.
func TestContract(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; the output contract is checked with node:vm")
	}
	const harness = `
const vm = require("vm");
const code = require("fs").readFileSync(0, "utf8");
const [mode, arg, env] = process.argv.slice(1);
const ctx = vm.createContext({ URL, Request, Response, Headers, TextEncoder, TextDecoder, console, scriptArgs: [arg] });
new vm.Script(code).runInContext(ctx);
(async () => {
  const agent = ctx.__cove_agent;
  let out;
  if (mode === "fetch") {
    const res = await agent.default.fetch(new Request(arg), JSON.parse(env));
    out = res.status + " " + (await res.text());
  } else if (mode === "main") {
    out = typeof agent.default + " " + (await agent.default(arg));
  } else {
    await new Promise((r) => setTimeout(r, 10));
    out = typeof agent + " " + ctx.scriptOutput;
  }
  process.stdout.write(out);
})().catch((e) => { process.stdout.write("ERROR " + e); });
`
	reqJSON := `{"method":"GET","path":"/agents/0x1/anything","queries":{"x":["1"],"chatQuery":["hi"]},"headers":{}}`
	tests := []struct {
		agent, mode, arg, env string
		modules               bool
		want                  string
	}{
		{"hello.ts", "fetch", "https://gw.example/agents/0x1/hello?name=Ada", `{"GREETING":"Hi"}`, false,
			`200 {"greeting":"Hi Ada","agent":"hello"}`},
		{"hello.ts", "fetch", "https://gw.example/agents/0x1/nope", `{}`, false, `404 not found`},
		{"request-json.js", "main", reqJSON, "", false,
			`function {"status":200,"headers":{"Content-Type":"application/json"},"body":"{\"reply\":\"you said: hi\",\"method\":\"GET\",\"hasKey\":false}"}`},
		{"built-request-json.js", "script", reqJSON, "", false,
			`undefined {"status":200,"headers":{"Content-Type":"text/plain"},"body":"GET /anything x=1"}`},
		{"hono-app", "fetch", "https://gw.example/users/42", `{"TIER":"gold"}`, true, `200 {"id":"42","tier":"gold"}`},
		{"hono-app", "fetch", "https://gw.example/health", `{}`, true, `200 ok`},
	}
	for _, tt := range tests {
		t.Run(tt.agent+"/"+tt.mode, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(examples, tt.agent)
			if tt.modules {
				needModules(t, path)
			}
			b, err := Build(path)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(node, "-e", harness, tt.mode, tt.arg, tt.env)
			cmd.Stdin = bytes.NewReader(b.Code)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("node: %v\n%s", err, out)
			}
			if string(out) != tt.want {
				t.Errorf("got  %s\nwant %s", out, tt.want)
			}
		})
	}
}

// writeAgent creates files (name -> content) in a new temp folder.
func writeAgent(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func buildError(t *testing.T, path string, kind error) *Error {
	t.Helper()
	_, err := Build(path)
	if err == nil {
		t.Fatalf("Build(%s) succeeded, want %v", path, kind)
	}
	t.Logf("error: %v", err)
	if !errors.Is(err, kind) {
		t.Fatalf("Build(%s) error %q does not match %v", path, err, kind)
	}
	var be *Error
	if !errors.As(err, &be) {
		t.Fatalf("Build(%s) error %T is not *Error", path, err)
	}
	return be
}

func TestMissingPackage(t *testing.T) {
	dir := writeAgent(t, map[string]string{
		"package.json": `{"dependencies": {"cove-test-not-installed": "^1.0.0"}}`,
		"index.ts":     "import { x } from \"cove-test-not-installed/sub\";\nexport default { fetch() { return new Response(x) } };\n",
	})
	be := buildError(t, dir, ErrMissingPackage)
	msg := be.Error()
	for _, want := range []string{"npm install`", `"cove-test-not-installed"`, dir, "index.ts:1:19"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if errors.Is(be, ErrSyntax) || errors.Is(be, ErrUnsupportedImport) {
		t.Errorf("error %q matches a kind it is not", msg)
	}
}

func TestMissingPackageNotListed(t *testing.T) {
	dir := writeAgent(t, map[string]string{
		"package.json": `{"name": "a"}`,
		"index.ts":     "import { Hono } from \"@cove-test/web\";\nexport default new Hono();\n",
	})
	be := buildError(t, dir, ErrMissingPackage)
	if want := "npm install @cove-test/web`"; !strings.Contains(be.Error(), want) {
		t.Errorf("error %q does not contain %q", be, want)
	}
}

func TestUnsupportedImport(t *testing.T) {
	for _, spec := range []string{"node:fs", "fs", "child_process", "node:net", "fs/promises"} {
		t.Run(spec, func(t *testing.T) {
			dir := writeAgent(t, map[string]string{
				"agent.js": "import * as m from \"" + spec + "\";\nexport default { fetch() { return new Response(String(m)) } };\n",
			})
			be := buildError(t, filepath.Join(dir, "agent.js"), ErrUnsupportedImport)
			msg := be.Error()
			for _, want := range []string{`"` + spec + `"`, "not available in agents", "fetch", "crypto.subtle"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
			if errors.Is(be, ErrMissingPackage) {
				t.Errorf("error %q also matches ErrMissingPackage", msg)
			}
		})
	}
}

// A package that asks for an npm polyfill with a built-in's name needs npm
// install, not a lecture about Node built-ins.
func TestListedPolyfillIsMissingPackage(t *testing.T) {
	dir := writeAgent(t, map[string]string{
		"package.json": `{"dependencies": {"buffer": "^6.0.3"}}`,
		"index.js":     "import { Buffer } from \"buffer\";\nexport default { fetch() { return new Response(Buffer.from('a')) } };\n",
	})
	buildError(t, dir, ErrMissingPackage)
}

// Libraries probe for Node built-ins inside try/catch; that must still bundle.
// In the sandbox, require is undefined, so the probe throws and is caught.
func TestTryRequireBuiltinBundles(t *testing.T) {
	dir := writeAgent(t, map[string]string{
		"index.js": "let c; try { c = require(\"crypto\") } catch {}\nexport default { fetch() { return new Response(String(!!c)) } };\n",
	})
	b, err := Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	// esbuild leaves the call for run time, where the catch handles it.
	if !bytes.Contains(b.Code, []byte(`require("crypto")`)) {
		t.Errorf("bundle does not keep the guarded require:\n%s", b.Code)
	}
}

func TestSyntaxError(t *testing.T) {
	dir := writeAgent(t, map[string]string{
		"bad.ts": "export default {\n  async fetch(request: Request): Promise<Response> {\n    return new Response(\"a\" +);\n  },\n};\n",
	})
	be := buildError(t, filepath.Join(dir, "bad.ts"), ErrSyntax)
	if len(be.Messages) == 0 || be.Messages[0].Line != 3 || be.Messages[0].File != "bad.ts" {
		t.Fatalf("messages %+v, want the first at bad.ts line 3", be.Messages)
	}
	if !strings.Contains(be.Error(), "bad.ts:3:") {
		t.Errorf("error %q does not name bad.ts:3:col", be)
	}
}

func TestTopLevelAwaitIsSyntaxError(t *testing.T) {
	dir := writeAgent(t, map[string]string{
		"index.ts": "const v = await Promise.resolve(1);\nexport default { fetch() { return new Response(String(v)) } };\n",
	})
	be := buildError(t, dir, ErrSyntax)
	if be.Messages[0].Line != 1 {
		t.Errorf("line = %d, want 1", be.Messages[0].Line)
	}
}

func TestSeveralErrors(t *testing.T) {
	dir := writeAgent(t, map[string]string{
		"index.ts": "import fs from \"node:fs\";\nimport { a } from \"cove-test-absent\";\nimport { b } from \"./nope\";\nexport default { fetch() { return new Response(a + b + fs) } };\n",
	})
	be := buildError(t, dir, ErrUnsupportedImport)
	if !errors.Is(be, ErrMissingPackage) {
		t.Errorf("error %q does not also match ErrMissingPackage", be)
	}
	if len(be.Messages) != 3 {
		t.Fatalf("got %d messages, want 3: %+v", len(be.Messages), be.Messages)
	}
	if k := be.Messages[2].Kind; k != nil {
		t.Errorf("unresolved relative import has kind %v, want nil", k)
	}
	if !strings.Contains(be.Error(), "3 errors:") {
		t.Errorf("error %q does not count its errors", be)
	}
}

func TestEntry(t *testing.T) {
	const agent = "export default { fetch() { return new Response('x') } };\n"
	tests := []struct {
		name        string
		files       map[string]string
		want        string // entry relative to the folder; "" means an error
		wantWarning bool
	}{
		{"module first", map[string]string{"package.json": `{"module":"m.ts","main":"main.js"}`, "m.ts": agent, "main.js": agent, "index.ts": agent}, "m.ts", false},
		{"main", map[string]string{"package.json": `{"main":"lib/agent.mjs"}`, "lib/agent.mjs": agent, "index.ts": agent}, "lib/agent.mjs", false},
		{"index.ts before index.js", map[string]string{"package.json": `{}`, "index.ts": agent, "index.js": agent}, "index.ts", false},
		{"src/index.ts", map[string]string{"package.json": `{}`, "src/index.ts": agent, "src/index.js": agent}, "src/index.ts", false},
		{"src/index.js", map[string]string{"package.json": `{}`, "src/index.js": agent}, "src/index.js", false},
		{"no package.json", map[string]string{"index.js": agent}, "index.js", false},
		{"unbuilt main falls back", map[string]string{"package.json": `{"main":"dist/index.js"}`, "src/index.ts": agent}, "src/index.ts", true},
		{"nothing", map[string]string{"package.json": `{"main":"dist/index.js"}`, "README.md": "hi"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeAgent(t, tt.files)
			b, err := Build(dir)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("Build succeeded with entry %s, want an error", b.Entry)
				}
				for _, s := range []string{"dist/index.js", "index.ts", "index.js", "src/index.ts", "src/index.js"} {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not list %s", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, filepath.FromSlash(tt.want)); b.Entry != want {
				t.Errorf("Entry = %s, want %s", b.Entry, want)
			}
			if got := len(b.Warnings) > 0; got != tt.wantWarning {
				t.Errorf("warnings %q, want some: %v", b.Warnings, tt.wantWarning)
			}
		})
	}
}

func TestBadPath(t *testing.T) {
	dir := writeAgent(t, map[string]string{"agent.py": "print(1)", "agent.ts": "export default 1;"})
	if _, err := Build(filepath.Join(dir, "agent.py")); err == nil || !strings.Contains(err.Error(), ".ts, .tsx, .js, .jsx, .mts or .mjs") {
		t.Errorf("Build(agent.py) error = %v, want one naming the allowed file types", err)
	}
	if _, err := Build(filepath.Join(dir, "absent.ts")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Build(absent.ts) error = %v, want fs.ErrNotExist", err)
	}
}

func TestErrorUnwrap(t *testing.T) {
	e := &Error{Entry: "/a.ts", Messages: []Message{{Kind: ErrSyntax}, {Kind: nil}, {Kind: ErrSyntax}, {Kind: ErrMissingPackage}}}
	if got := e.Unwrap(); !slices.Equal(got, []error{ErrSyntax, ErrMissingPackage}) {
		t.Errorf("Unwrap = %v", got)
	}
}

func TestPackageName(t *testing.T) {
	for spec, want := range map[string]string{
		"viem": "viem", "viem/accounts": "viem", "@noble/curves": "@noble/curves",
		"@noble/curves/secp256k1": "@noble/curves", "fs/promises": "fs",
	} {
		if got := packageName(spec); got != want {
			t.Errorf("packageName(%q) = %q, want %q", spec, got, want)
		}
	}
}

// The esbuild options are part of the contract with the sandbox; pin the ones
// it depends on.
func TestOptionsPinned(t *testing.T) {
	o := options(entry{file: "/x/a.ts", dir: "/x"})
	if o.Format != api.FormatIIFE || o.GlobalName != "__cove_agent" || o.Platform != api.PlatformNeutral ||
		o.Target != api.ES2022 || !o.Bundle || o.Write || o.External != nil || o.Packages != api.PackagesDefault ||
		o.MinifyIdentifiers || !o.MinifySyntax || !o.MinifyWhitespace || o.Sourcemap != api.SourceMapNone ||
		o.LegalComments != api.LegalCommentsNone || o.Charset != api.CharsetUTF8 {
		t.Errorf("contract options changed: %+v", o)
	}
	if !slices.Equal(o.MainFields, []string{"browser", "module", "main"}) ||
		!slices.Equal(o.Conditions, []string{"worker", "browser", "import", "default"}) {
		t.Errorf("resolution changed: main fields %q, conditions %q", o.MainFields, o.Conditions)
	}
}

func BenchmarkBuildHello(b *testing.B) {
	path := filepath.Join(examples, "hello.ts")
	for b.Loop() {
		if _, err := Build(path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildHono(b *testing.B) {
	path := filepath.Join(examples, "hono-app")
	needModules(b, path)
	for b.Loop() {
		if _, err := Build(path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildViem(b *testing.B) {
	path := filepath.Join(examples, "viem-wallet")
	needModules(b, path)
	for b.Loop() {
		if _, err := Build(path); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNoHandler: an agent in no style the sandbox runs is refused at build
// time with a message naming the styles; each accepted style builds.
func TestNoHandler(t *testing.T) {
	// export * never re-exports a default (star.ts).
	refused := []string{"named.ts", "none.js", "reexp.ts", "typeonly.ts", "star.ts"}
	accepted := []string{"default.ts", "main.js", "cjs.js", "built.js", "redefault.ts"}
	dir := writeAgent(t, map[string]string{
		"named.ts":     "export const x = 1;\nexport function handler() { return 1 }\n",
		"none.js":      "console.log('hello');\n",
		"reexp.ts":     "export { x } from \"./lib\";\n",
		"typeonly.ts":  "export type T = string;\n",
		"lib.ts":       "export const x = 1;\nexport default { fetch() { return new Response('x') } };\n",
		"default.ts":   "export default { fetch() { return new Response('x') } };\n",
		"main.js":      "export async function main(req) { return req; }\n",
		"cjs.js":       "module.exports = { fetch() { return new Response('x') } };\n",
		"built.js":     "Promise.resolve(globalThis.scriptArgs[0]).then((r) => { globalThis.scriptOutput = r; });\n",
		"star.ts":      "export * from \"./lib\";\n",
		"redefault.ts": "export { default } from \"./lib\";\n",
	})
	for _, name := range refused {
		t.Run(name, func(t *testing.T) {
			be := buildError(t, filepath.Join(dir, name), ErrNoHandler)
			if msg := be.Error(); !strings.Contains(msg, "fetch(request, env, ctx)") || !strings.Contains(msg, "main(request)") || !strings.Contains(msg, "scriptOutput") {
				t.Errorf("message does not name the styles: %s", msg)
			}
		})
	}
	for _, name := range accepted {
		t.Run(name, func(t *testing.T) {
			if _, err := Build(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestJSX: .tsx and .jsx build; JSX follows the agent's tsconfig.json, else
// Hono's JSX when the agent depends on hono, else esbuild's default.
func TestJSX(t *testing.T) {
	const view = "export default { fetch() { return new Response(String(<p>hi</p>)) } };\n"
	t.Run("tsconfig decides", func(t *testing.T) {
		dir := writeAgent(t, map[string]string{
			"package.json":  `{"dependencies": {"hono": "^4.6.0"}}`,
			"tsconfig.json": `{"compilerOptions": {"jsx": "react", "jsxFactory": "h"}}`,
			"index.tsx":     "const h = (t: string, p: unknown, ...c: unknown[]) => `<${t}>${c.join(\"\")}</${t}>`;\n" + view,
		})
		b, err := Build(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b.Code, []byte(`h("p",null,"hi")`)) {
			t.Errorf("tsconfig's jsxFactory not used:\n%s", b.Code)
		}
	})
	t.Run("hono dependency", func(t *testing.T) {
		// hono is not installed here, and the source imports nothing: the
		// import the JSX compiles to (hono/jsx/jsx-runtime) is what the build
		// then misses.
		dir := writeAgent(t, map[string]string{
			"package.json": `{"dependencies": {"hono": "^4.6.0"}}`,
			"index.tsx":    view,
		})
		be := buildError(t, dir, ErrMissingPackage)
		if !strings.Contains(be.Error(), `package "hono"`) {
			t.Errorf("error does not name hono: %v", be)
		}
	})
	t.Run("default", func(t *testing.T) {
		dir := writeAgent(t, map[string]string{"agent.jsx": view})
		b, err := Build(filepath.Join(dir, "agent.jsx"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b.Code, []byte(`React.createElement("p",null,"hi")`)) {
			t.Errorf("esbuild's default JSX not used:\n%s", b.Code)
		}
	})
}
