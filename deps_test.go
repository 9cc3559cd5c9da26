package cove_test

// This file enforces the layering that docs/ARCHITECTURE.md describes
// ("`ls` shows the architecture": a deterministic core, roles that never
// import each other, one package per adapted dependency, one composition
// root) on the import graph that one `go list -deps -json ./...` computes,
// non-test imports only. A failure names the offending import and the chain
// of imports that brings it in.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// module is this module's path; rules name its packages relative to it
// ("chain", "tee/tdx/...").
const module = "github.com/cove-network/cove"

// deterministic are the packages that run inside block execution: every
// validator must compute the same result from the same blocks.
var deterministic = []string{
	"chain",  // the state machine
	"attest", // the quote verifier the validator installs in chain
}

// deterministicDeps are the third-party packages the deterministic code may
// link, each with why it is safe there. A new one needs a reason here: it
// runs inside block execution on every validator, so it must be pure
// computation (no I/O, clock, goroutines or randomness) and pinned.
var deterministicDeps = map[string]string{
	"github.com/ethereum/go-ethereum/...": "secp256k1 recovery and Keccak-256 behind ethsig: pure computation",
	"github.com/holiman/uint256":          "go-ethereum's 256-bit integers",
	"golang.org/x/crypto/sha3":            "Keccak-256 for EIP-712 digests and agent ids",
	"golang.org/x/sys/cpu":                "CPU feature detection for the hash functions",
	"github.com/google/go-tdx-guest/pcs":  "TDX collateral structures (attest): parsing only",
	"github.com/pokt-network/smt/...":     "the state's sparse Merkle tree (ADR 12): hashing over an in-memory node map the chain owns; no I/O",
}

// roles are the servers that node composes. A role meets the others
// through interfaces it owns or through the chain, never by importing them.
// bridge (the EVM watcher and relayer) is listed ahead of its package, so
// the rule holds for it from its first commit; a new role joins the list.
var roles = []string{"gateway", "worker", "gatekeeper", "validator", "bridge"}

// adapters maps a dependency (an import path pattern) to the only packages
// of this module that may import it: one package per adapted dependency, so
// its style and its upgrades stay behind one seam.
var adapters = []struct {
	deps []string // import path patterns of the dependency
	only []string // the packages that may import it
	// known are importers tolerated for now, each with the reason it is
	// still there; an entry that no longer imports the dependency fails.
	known map[string]string
}{
	// validator runs CometBFT; client/light verifies its headers for
	// clients (its light-client rules), so package client links none of it.
	{deps: []string{"github.com/cometbft/..."}, only: []string{"validator", "client/light"}},
	{deps: []string{"modernc.org/quickjs/...", "modernc.org/libquickjs/..."}, only: []string{"worker/sandbox"}},
	{deps: []string{"github.com/buke/quickjs-go/..."}, only: []string{"worker/sandbox"}},
	{deps: []string{"github.com/evanw/esbuild/..."}, only: []string{"bundle"}},
	// The Prometheus client: one node's metrics, which the roles record
	// through internal/metrics' own methods.
	{deps: []string{"github.com/prometheus/client_golang/..."}, only: []string{"internal/metrics"}},
	{deps: []string{"github.com/google/go-tdx-guest/..."}, only: []string{"tee/tdx/..."}},
	{deps: []string{"github.com/google/go-sev-guest/..."}, only: []string{"tee/sevsnp"}},
	{deps: []string{"github.com/ethereum/go-ethereum/accounts/keystore/..."}, only: []string{"account"}},
	// go-ethereum's node parts (contract bindings and ABI, RPC clients,
	// the node, the EVM, the simulated backend): bridge talks to EVM
	// chains and contracts holds the generated bindings. The rest of the
	// module uses only its crypto and types (ethsig, keys).
	{deps: []string{
		"github.com/ethereum/go-ethereum/accounts/abi/...",
		"github.com/ethereum/go-ethereum/ethclient/...",
		"github.com/ethereum/go-ethereum/rpc/...",
		"github.com/ethereum/go-ethereum/node/...",
		"github.com/ethereum/go-ethereum/eth/...",
		"github.com/ethereum/go-ethereum/core/vm/...",
		"github.com/ethereum/go-ethereum",
	}, only: []string{"bridge/...", "contracts/..."}},
}

func TestLayering(t *testing.T) {
	g := loadGraph(t)

	// The deterministic code must give every validator the same result
	// from the same blocks, so it may not read a clock, a file, the network
	// or a random source, nor start goroutines. This module's packages in
	// its closure import no package that does I/O or randomness; third-party
	// packages there open no connections and run no processes. The standard
	// library is trusted (fmt imports os to implement Print), which is why
	// the rule is about the direct imports of this module's and third-party
	// packages, and why a source check complements it for calls through
	// packages that are allowed (time, fmt, log).
	t.Run("deterministic", func(t *testing.T) {
		t.Run("imports", func(t *testing.T) {
			own := []string{"os", "os/exec", "os/signal", "net/...", "io/fs", "io/ioutil", "path/filepath", "syscall", "crypto/rand", "math/rand", "math/rand/v2"}
			thirdParty := []string{"net/...", "os/exec", "syscall"}
			seen := map[string]bool{}
			for _, root := range deterministic {
				for _, p := range g.closure(t, rel(root)) {
					pk := g.pkgs[p]
					banned, whose := own, "this module's"
					switch {
					case pk.Standard:
						continue
					case !inModule(p):
						banned, whose = thirdParty, "a third-party"
					}
					for _, imp := range pk.Imports {
						if !matchAny(banned, imp) || seen[p+" "+imp] {
							continue
						}
						seen[p+" "+imp] = true
						t.Errorf("%s links %s, which %s package %s imports: the deterministic code does no I/O, clock or randomness\n\timport chain: %s",
							root, imp, whose, p, chainString(append(g.path(rel(root), p), imp)))
					}
				}
			}
		})
		// Third-party code in block execution is an explicit choice.
		t.Run("third party", func(t *testing.T) {
			patterns := slices.Collect(maps.Keys(deterministicDeps))
			seen := map[string]bool{}
			for _, root := range deterministic {
				for _, p := range g.closure(t, rel(root)) {
					if g.pkgs[p].Standard || inModule(p) || seen[p] || matchAny(patterns, p) {
						continue
					}
					seen[p] = true
					t.Errorf("%s links third-party package %s, which deterministicDeps in deps_test.go does not list: add it with the reason it is pure and safe in block execution\n\timport chain: %s",
						root, p, chainString(g.path(rel(root), p)))
				}
			}
		})
		// Every package of this module they link, not only their own:
		// a helper that reads the clock is as bad as a call in chain.
		t.Run("source", func(t *testing.T) {
			checked := map[string]bool{}
			for _, root := range deterministic {
				for _, p := range g.closure(t, rel(root)) {
					if !inModule(p) || checked[p] {
						continue
					}
					checked[p] = true
					for _, problem := range checkDeterministicSource(t, g.pkgs[p]) {
						t.Errorf("%s (linked by %s): %s", p, root, problem)
					}
				}
			}
		})
	})

	// One package per adapted dependency: a library's style, its
	// constructors and its upgrades stay behind one seam, and `ls` shows
	// which package owns it. Only direct imports count: linking the
	// dependency through its adapter is the point.
	t.Run("adapters", func(t *testing.T) {
		for _, a := range adapters {
			tolerated := map[string]bool{}
			for _, p := range g.modulePkgs() {
				if matchAny(relAll(a.only), p) {
					continue
				}
				for _, imp := range g.pkgs[p].Imports {
					if !matchAny(a.deps, imp) {
						continue
					}
					if why, ok := a.known[p]; ok {
						if !tolerated[p] {
							t.Logf("known offender %s imports %s (%s): allowed until that lands", p, imp, why)
						}
						tolerated[p] = true
						continue
					}
					t.Errorf("%s imports %s: only %s may import %s\n\timport chain: %s",
						p, imp, strings.Join(a.only, ", "), strings.Join(a.deps, ", "), chainString([]string{p, imp}))
				}
			}
			for p := range a.known {
				if !tolerated[p] {
					t.Errorf("%s does not import %s: delete its entry from the known offenders in deps_test.go", p, strings.Join(a.deps, ", "))
				}
			}
		}
	})

	// The sandbox reaches its JavaScript engines through its seam
	// (worker/sandbox/engine.go, ADR 27): only each engine's own file
	// imports that engine (or cgo), so no other file depends on which
	// one a build has. Files of both builds are checked.
	t.Run("the sandbox's engine seam", func(t *testing.T) {
		engines := []struct {
			file string
			deps []string
		}{
			{"engine_modernc.go", []string{"modernc.org/quickjs/...", "modernc.org/libquickjs/...", "modernc.org/libc/..."}},
			{"engine_native.go", []string{"github.com/buke/quickjs-go/...", "C"}},
		}
		p := g.pkgs[rel("worker/sandbox")]
		fset := token.NewFileSet()
		seen := map[string]bool{}
		for _, name := range slices.Concat(p.GoFiles, p.CgoFiles, p.IgnoredGoFiles) {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			seen[name] = true
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.ImportsOnly)
			if err != nil {
				t.Fatalf("parse %s: %v", name, err)
			}
			for _, is := range f.Imports {
				ip, _ := strconv.Unquote(is.Path.Value)
				for _, e := range engines {
					if matchAny(e.deps, ip) && name != e.file {
						t.Errorf("worker/sandbox/%s imports %s: only %s reaches that engine; use the seam (jsVM, jsValue in engine.go)", name, ip, e.file)
					}
				}
			}
		}
		for _, e := range engines {
			if !seen[e.file] {
				t.Errorf("worker/sandbox/%s is gone: update this test with the engines", e.file)
			}
		}
	})

	// HTTP ends at the gateway: gateway/call.go turns a request into a
	// cove.Call and a cove.Response back into HTTP (ADR 10). Below it, the
	// worker and the root package's call types use no HTTP server types, so
	// that the bridge, the AI API or a remote pool can invoke agents too.
	// (The sandbox makes outbound requests for agents: HTTP clients are
	// fine.)
	t.Run("http ends at the gateway", func(t *testing.T) {
		server := []string{"ResponseWriter", "Handler", "HandlerFunc", "ServeMux", "Server", "Flusher", "Hijacker", "MaxBytesReader", "ListenAndServe"}
		for _, p := range g.modulePkgs() {
			if p != module && p != rel("api") && p != rel("worker") && !strings.HasPrefix(p, rel("worker")+"/") {
				continue
			}
			for _, use := range uses(t, g.pkgs[p], "net/http", server) {
				t.Errorf("%s: %s: below the gateway nothing serves HTTP; take a cove.Call and return a cove.Response", p, use)
			}
		}
	})

	// The Go client is what users, the CLI and the tests link to talk to a
	// gateway: it speaks the wire types of package api and links no
	// server, so that it stays small and a server's internals cannot leak
	// into what clients depend on.
	t.Run("client", func(t *testing.T) {
		forbidden := []string{"gateway", "worker", "node", "validator", "gatekeeper", "bridge"}
		closure := g.closure(t, rel("client"))
		for _, f := range forbidden {
			if p, ok := first(closure, rel(f)+"/..."); ok {
				t.Errorf("client links %s: the client uses the wire types of package api, not the servers\n\timport chain: %s",
					p, chainString(g.path(rel("client"), p)))
			}
		}
		// Header verification, which needs CometBFT, is client/light's: a
		// client.HeaderVerifier the caller passes in.
		if p, ok := first(closure, "github.com/cometbft/..."); ok {
			t.Errorf("client links %s: CometBFT stays in client/light (client.SetVerifier takes its Verifier)\n\timport chain: %s",
				p, chainString(g.path(rel("client"), p)))
		}
	})

	// Roles never import each other: they meet through small interfaces
	// owned by the consumer, or through the chain, and node wires them. A
	// role linking another (directly or not) would couple their lifecycles
	// and let one reach into the other's state.
	t.Run("roles", func(t *testing.T) {
		for _, a := range roles {
			if g.pkgs[rel(a)] == nil {
				t.Logf("role %s has no package yet", a)
				continue
			}
			closure := g.closure(t, rel(a))
			for _, b := range roles {
				if b == a {
					continue
				}
				if p, ok := first(closure, rel(b)+"/..."); ok {
					t.Errorf("role %s links role %s (%s): roles meet through consumer-owned interfaces or the chain\n\timport chain: %s",
						a, b, p, chainString(g.path(rel(a), p)))
				}
			}
		}
	})

	// workerlink is the link between gateways and workers: both sides of
	// it, so it links no role (the worker serves it through an interface
	// the link owns; node hands the gateway its Pool as an Invoker).
	t.Run("workerlink", func(t *testing.T) {
		closure := g.closure(t, rel("workerlink"))
		for _, b := range append(slices.Clone(roles), "node") {
			if p, ok := first(closure, rel(b)+"/..."); ok {
				t.Errorf("workerlink links %s (%s): it serves both gateways and workers and must link neither\n\timport chain: %s",
					b, p, chainString(g.path(rel("workerlink"), p)))
			}
		}
	})

	// node is the composition root: the one package that imports every
	// role and wires them. Nothing imports it but the binary and the tools
	// that start whole nodes in-process (the test network and the
	// benchmarks behind `cove bench`); anything else importing it would make
	// the wiring a dependency instead of the top of the graph.
	t.Run("node", func(t *testing.T) {
		allowed := []string{"cmd/cove", "internal/testnet", "internal/bench"}
		for _, p := range g.modulePkgs() {
			if matchAny(relAll(allowed), p) || !slices.Contains(g.pkgs[p].Imports, rel("node")) {
				continue
			}
			t.Errorf("%s imports node: only %s may (node is the composition root)\n\timport chain: %s",
				p, strings.Join(allowed, ", "), chainString([]string{p, rel("node")}))
		}
	})
}

// listed is what the test reads of `go list -json` for one package.
type listed struct {
	ImportPath     string
	Dir            string
	GoFiles        []string
	CgoFiles       []string
	IgnoredGoFiles []string // excluded by build constraints (the other engine)
	Imports        []string // non-test imports
	Standard       bool
	Error          *struct{ Err string }
}

// graph is the import graph of this module's packages and everything they
// link.
type graph struct {
	pkgs map[string]*listed
}

// loadGraph runs `go list -deps -json ./...` once.
func loadGraph(t *testing.T) *graph {
	t.Helper()
	readSourceDirs(t)
	// go test puts its own GOROOT/bin first in the test's PATH, so this is
	// the toolchain running the test.
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the layering test runs `go list`: %v", err)
	}
	cmd := exec.Command(goCmd, "list", "-deps", "-json=ImportPath,Dir,GoFiles,CgoFiles,IgnoredGoFiles,Imports,Standard,Error", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	g := &graph{pkgs: map[string]*listed{}}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		if p.Error != nil {
			t.Fatalf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		g.pkgs[p.ImportPath] = &p
	}
	if g.pkgs[module] == nil || g.pkgs[rel("chain")] == nil {
		t.Fatalf("go list did not list %s and its chain package: run the test from the module root", module)
	}
	return g
}

// readSourceDirs reads every directory `./...` covers. go test caches a
// passing result keyed by the files and directories the test itself opens,
// and it cannot see what the go list subprocess reads: opening the
// directories (whose listings, sizes and times go test hashes) makes an
// edit anywhere in the module run this test again instead of replaying a
// stale pass.
func readSourceDirs(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && path != "." && (name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read the module's directories: %v", err)
	}
}

// modulePkgs returns this module's packages, sorted.
func (g *graph) modulePkgs() []string {
	var ps []string
	for p := range g.pkgs {
		if inModule(p) {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	return ps
}

// closure returns root and every package it links, nearest first (breadth
// first, imports in order).
func (g *graph) closure(t *testing.T, root string) []string {
	t.Helper()
	if g.pkgs[root] == nil {
		t.Fatalf("no package %s", root)
	}
	seen := map[string]bool{root: true}
	order := []string{root}
	for i := 0; i < len(order); i++ {
		for _, imp := range g.pkgs[order[i]].Imports {
			if g.pkgs[imp] != nil && !seen[imp] { // "C" (cgo) is no package
				seen[imp] = true
				order = append(order, imp)
			}
		}
	}
	return order
}

// path returns a shortest chain of imports from one package to another,
// both included, or nil if from does not link to.
func (g *graph) path(from, to string) []string {
	parent := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			var chain []string
			for ; p != ""; p = parent[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			return chain
		}
		for _, imp := range g.pkgs[p].Imports {
			if _, ok := parent[imp]; !ok && g.pkgs[imp] != nil {
				parent[imp] = p
				queue = append(queue, imp)
			}
		}
	}
	return nil
}

// uses lists where the non-test files of p refer to any of names in the
// package importPath (as "file:line: pkg.Name").
func uses(t *testing.T, p *listed, importPath string, names []string) []string {
	t.Helper()
	var found []string
	fset := token.NewFileSet()
	for _, name := range slices.Concat(p.GoFiles, p.CgoFiles) {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		local := ""
		for _, is := range f.Imports {
			if ip, _ := strconv.Unquote(is.Path.Value); ip == importPath {
				local = ip[strings.LastIndex(ip, "/")+1:]
				if is.Name != nil {
					local = is.Name.Name
				}
			}
		}
		if local == "" {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if s, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := s.X.(*ast.Ident); ok && x.Name == local && slices.Contains(names, s.Sel.Name) {
					found = append(found, fmt.Sprintf("%s: %s.%s", fset.Position(s.Pos()), local, s.Sel.Name))
				}
			}
			return true
		})
	}
	return found
}

// checkDeterministicSource checks the non-test files of a deterministic
// package for what its imports cannot show: goroutines, clock reads and
// timers, printing and logging.
func checkDeterministicSource(t *testing.T, p *listed) []string {
	t.Helper()
	clock := map[string]bool{"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true, "Tick": true,
		"NewTimer": true, "NewTicker": true, "AfterFunc": true}
	prints := map[string]bool{"Print": true, "Printf": true, "Println": true}
	fprints := map[string]bool{"Fprint": true, "Fprintf": true, "Fprintln": true}
	slogOutput := map[string]bool{"Debug": true, "DebugContext": true, "Info": true, "InfoContext": true, "Warn": true,
		"WarnContext": true, "Error": true, "ErrorContext": true, "Log": true, "LogAttrs": true, "Default": true, "SetDefault": true}
	watched := map[string]bool{"time": true, "fmt": true, "log": true, "log/slog": true, "os": true}

	var problems []string
	fset := token.NewFileSet()
	for _, name := range slices.Concat(p.GoFiles, p.CgoFiles) {
		path := filepath.Join(p.Dir, name)
		if wd, err := os.Getwd(); err == nil { // name files from the module root
			if r, err := filepath.Rel(wd, path); err == nil {
				path = r
			}
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		// The package each import name refers to in this file.
		pkgOf := map[string]string{}
		for _, is := range f.Imports {
			ip, _ := strconv.Unquote(is.Path.Value)
			local := ip[strings.LastIndex(ip, "/")+1:]
			if is.Name != nil {
				local = is.Name.Name
			}
			if local == "." && watched[ip] {
				problems = append(problems, fmt.Sprintf("%s: dot import of %s hides its calls from this check", fset.Position(is.Pos()), ip))
			}
			pkgOf[local] = ip
		}
		// sel returns the package path and name of a qualified identifier
		// such as time.Now. Without type information a local variable that
		// shadows an imported package's name reads as the package: rename
		// the variable.
		sel := func(e ast.Expr) (string, string) {
			s, ok := e.(*ast.SelectorExpr)
			if !ok {
				return "", ""
			}
			x, ok := s.X.(*ast.Ident)
			if !ok {
				return "", ""
			}
			return pkgOf[x.Name], s.Sel.Name
		}
		report := func(n ast.Node, format string, args ...any) {
			problems = append(problems, fmt.Sprintf("%s: %s", fset.Position(n.Pos()), fmt.Sprintf(format, args...)))
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				report(n, "go statement: block execution starts no goroutines")
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && (id.Name == "print" || id.Name == "println") {
					report(n, "builtin %s writes to stderr", id.Name)
				}
				if pkg, name := sel(n.Fun); pkg == "fmt" && fprints[name] && len(n.Args) > 0 {
					if out, stream := sel(n.Args[0]); out == "os" && (stream == "Stdout" || stream == "Stderr") {
						report(n, "fmt.%s to os.%s: block execution prints nothing", name, stream)
					}
				}
			case *ast.SelectorExpr:
				switch pkg, name := sel(n); {
				case pkg == "time" && clock[name]:
					report(n, "time.%s: block execution reads no clock and sets no timer (use the block time)", name)
				case pkg == "fmt" && prints[name]:
					report(n, "fmt.%s prints to stdout: block execution prints nothing", name)
				case pkg == "log":
					report(n, "log.%s: block execution logs nothing", name)
				case pkg == "log/slog" && slogOutput[name]:
					report(n, "slog.%s: block execution logs nothing", name)
				}
			}
			return true
		})
	}
	return problems
}

func inModule(p string) bool { return p == module || strings.HasPrefix(p, module+"/") }

// rel returns the import path of this module's package name ("chain").
func rel(name string) string { return module + "/" + name }

func relAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = rel(n)
	}
	return out
}

// match reports whether path matches pattern: the path itself, or with a
// "/..." suffix, the path and every path under it (as `go list` reads
// patterns).
func match(pattern, path string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pattern
}

func matchAny(patterns []string, path string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, path) })
}

// first returns the first package of ps that matches pattern.
func first(ps []string, pattern string) (string, bool) {
	for _, p := range ps {
		if match(pattern, p) {
			return p, true
		}
	}
	return "", false
}

func chainString(chain []string) string { return strings.Join(chain, " → ") }
