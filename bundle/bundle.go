// Package bundle turns an agent's source (a TypeScript or JavaScript file, or
// a folder with a package.json and npm dependencies) into one self-contained
// script for the worker's sandbox. It is the only importer of esbuild.
//
// # Output contract
//
// The sandbox depends on this shape, so it changes only with the sandbox:
//
//   - The bundle is a single ES2022 script in esbuild's IIFE format with the
//     global name __cove_agent: `var __cove_agent = (() => { ... })();`.
//     Evaluate it as a classic script at global scope (not as a module and not
//     inside a function), so that the var becomes a property of globalThis.
//   - After evaluation, globalThis.__cove_agent.default is the agent's default
//     export: a fetch-handler object (`{ fetch(request, env, ctx) }`, which
//     includes a Hono app) or a request-JSON `main(request)` function. With
//     no default export, globalThis.__cove_agent.main may be a named main;
//     a CommonJS entry makes globalThis.__cove_agent its module.exports.
//   - A script without exports (such as a "built" request-JSON script that
//     reads globalThis.scriptArgs and sets globalThis.scriptOutput itself) still
//     runs all of its top-level code during evaluation; globalThis.__cove_agent
//     is then undefined or has no default property.
//   - Every import is bundled: npm packages come from node_modules (resolved
//     with the conditions worker, browser, import, default and the main fields
//     browser, module, main), nothing is external, and Node built-ins are
//     refused at build time because the sandbox has none.
//   - Whitespace and syntax are minified but identifiers are kept, so stack
//     traces stay readable; there are no legal comments and no source map;
//     the text is UTF-8.
//   - process.env.NODE_ENV is replaced by "production", since npm packages
//     test it and the sandbox's process.env holds only the agent's secrets.
//
// IIFE output cannot hold a top-level await; an agent that uses one gets an
// ErrSyntax error naming the line. An agent in no style the sandbox runs (no
// default export, no main export, and no mention of scriptOutput) gets an
// ErrNoHandler error naming the styles (Styles), rather than deploying and
// failing every call.
//
// Security: Build reads every file the agent imports, including relative
// paths outside its folder and anything under node_modules. Run it on the
// developer's own machine (the CLI's deploy command), not on untrusted input
// inside a server.
package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// GlobalName is the global variable the bundle assigns its exports to.
const GlobalName = "__cove_agent"

// Bundle is a built agent, ready to store and to run.
type Bundle struct {
	// Code is the bundled script (see the package comment for its shape).
	Code []byte
	// Entry is the absolute path of the entry file that was bundled.
	Entry string
	// Warnings are esbuild's warnings and notes about the entry choice, each
	// formatted as "file:line:col: text" when it has a location.
	Warnings []string
}

// Build bundles the agent at path, which is a .ts, .tsx, .js, .jsx, .mts or .mjs file, or
// a folder. In a folder the entry is the file named by package.json "module",
// then "main", then the first of index.ts, index.tsx, index.js, src/index.ts,
// src/index.tsx and src/index.js that exists. JSX follows the agent's
// tsconfig.json, else Hono's JSX when it depends on hono (see jsxSource).
//
// Errors from esbuild come back as *Error, which matches ErrMissingPackage,
// ErrUnsupportedImport or ErrSyntax with errors.Is.
func Build(path string) (Bundle, error) {
	ent, err := findEntry(path)
	if err != nil {
		return Bundle{}, fmt.Errorf("bundle %s: %w", path, err)
	}
	res := api.Build(options(ent))
	warnings := append(ent.warnings, formatMessages(res.Warnings)...)
	if len(res.Errors) > 0 {
		return Bundle{}, newError(ent, res.Errors)
	}
	if len(res.OutputFiles) != 1 {
		return Bundle{}, fmt.Errorf("bundle %s: esbuild produced %d output files, want 1 (does the agent import CSS or other assets?)", ent.file, len(res.OutputFiles))
	}
	code := res.OutputFiles[0].Contents
	if err := checkHandler(ent, code); err != nil {
		return Bundle{}, err
	}
	return Bundle{Code: code, Entry: ent.file, Warnings: warnings}, nil
}

// checkHandler refuses an agent in no style the sandbox runs (see Styles):
// such an agent would deploy and then fail every call. The entry's exports
// come from a second build in ESM format, whose metafile lists them (an IIFE
// build's does not); a CommonJS entry exports "default" there. A script
// without exports is the built request-JSON form only if it names
// scriptOutput.
func checkHandler(ent entry, code []byte) error {
	o := options(ent)
	o.Format, o.GlobalName, o.Metafile, o.Outfile = api.FormatESModule, "", true, filepath.Join(ent.dir, "cove-exports.js")
	o.MinifyWhitespace, o.MinifySyntax = false, false
	res := api.Build(o)
	if len(res.Errors) > 0 {
		return newError(ent, res.Errors) // the IIFE build succeeded, so this is unexpected
	}
	var meta struct {
		Outputs map[string]struct {
			EntryPoint string   `json:"entryPoint"`
			Exports    []string `json:"exports"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(res.Metafile), &meta); err != nil {
		return fmt.Errorf("bundle %s: read esbuild metafile: %w", ent.file, err)
	}
	var exports []string
	for _, out := range meta.Outputs {
		if out.EntryPoint != "" {
			exports = append(exports, out.Exports...)
		}
	}
	if slices.Contains(exports, "default") || slices.Contains(exports, "main") {
		return nil
	}
	if len(exports) == 0 && bytes.Contains(code, []byte("scriptOutput")) {
		return nil
	}
	what := "no exports"
	if len(exports) > 0 {
		what = "exports " + strings.Join(exports, ", ") + " but no default or main"
	}
	return &Error{Entry: ent.file, Messages: []Message{{
		File: filepath.Base(ent.file),
		Text: fmt.Sprintf("the agent has %s, so no call could reach it: %s", what, Styles),
		Kind: ErrNoHandler,
	}}}
}

// options returns the esbuild options that implement the output contract.
func options(ent entry) api.BuildOptions {
	o := api.BuildOptions{
		EntryPoints:       []string{ent.file},
		AbsWorkingDir:     ent.dir,
		Bundle:            true,
		Write:             false,
		Format:            api.FormatIIFE,
		GlobalName:        GlobalName,
		Platform:          api.PlatformNeutral,
		MainFields:        []string{"browser", "module", "main"},
		Conditions:        []string{"worker", "browser", "import", "default"},
		Target:            api.ES2022,
		MinifyWhitespace:  true,
		MinifySyntax:      true,
		MinifyIdentifiers: false,
		LegalComments:     api.LegalCommentsNone,
		Charset:           api.CharsetUTF8,
		Sourcemap:         api.SourceMapNone,
		Define:            map[string]string{"process.env.NODE_ENV": `"production"`},
		LogLevel:          api.LogLevelSilent,
	}
	if ent.jsxImportSource != "" {
		o.JSX, o.JSXImportSource = api.JSXAutomatic, ent.jsxImportSource
	}
	return o
}

// entry is where a build starts.
type entry struct {
	file     string   // absolute path of the entry file
	dir      string   // the agent's folder: where its package.json is, else the entry's folder
	warnings []string // notes about how the entry was chosen
	// jsxImportSource, when set, compiles JSX with the automatic runtime
	// from that package (see jsxSource).
	jsxImportSource string
}

// sourceExts are the file types an agent entry may have.
var sourceExts = map[string]bool{".ts": true, ".tsx": true, ".js": true, ".jsx": true, ".mts": true, ".mjs": true}

// extList names sourceExts for messages.
const extList = ".ts, .tsx, .js, .jsx, .mts or .mjs"

// jsxSource picks how JSX compiles for an agent in folder dir: a
// tsconfig.json there that sets any jsx option decides (esbuild reads it);
// otherwise an agent that depends on hono gets Hono's JSX (the automatic
// runtime from "hono/jsx", as Hono's templates configure it); otherwise
// esbuild's default (React.createElement) stays.
func jsxSource(dir string) string {
	if b, err := os.ReadFile(filepath.Join(dir, "tsconfig.json")); err == nil && bytes.Contains(b, []byte(`"jsx`)) {
		return ""
	}
	pkg, ok, err := readPackageJSON(dir)
	if err != nil || !ok {
		return ""
	}
	if _, dep := pkg.Dependencies["hono"]; dep {
		return "hono/jsx"
	}
	if _, dep := pkg.DevDependencies["hono"]; dep {
		return "hono/jsx"
	}
	return ""
}

// findEntry resolves path to the agent's entry file and folder.
func findEntry(path string) (entry, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return entry{}, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return entry{}, err
	}
	var ent entry
	if !fi.IsDir() {
		if !sourceExts[filepath.Ext(abs)] {
			return entry{}, fmt.Errorf("unsupported file type %q: an agent is a %s file, or a folder with a package.json", filepath.Ext(abs), extList)
		}
		ent = entry{file: abs, dir: packageDir(filepath.Dir(abs))}
	} else if ent, err = folderEntry(abs); err != nil {
		return entry{}, err
	}
	ent.jsxImportSource = jsxSource(ent.dir)
	return ent, nil
}

// packageDir returns the nearest folder at or above dir that holds a
// package.json (where `npm install` belongs), or dir itself if there is none.
func packageDir(dir string) string {
	for d := dir; ; {
		if fileExists(filepath.Join(d, "package.json")) {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}

func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
