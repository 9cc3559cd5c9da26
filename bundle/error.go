package bundle

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

var (
	// ErrMissingPackage means the agent imports an npm package that is not
	// installed; running `npm install` in the agent's folder fixes it.
	ErrMissingPackage = errors.New("npm package not installed")
	// ErrUnsupportedImport means the agent imports a Node built-in module
	// (node:fs, net, child_process, ...), which agents do not have.
	ErrUnsupportedImport = errors.New("import not available in agents")
	// ErrSyntax means the agent's source does not compile: a TypeScript or
	// JavaScript syntax error, a missing export, or a construct the output
	// format cannot hold (such as a top-level await).
	ErrSyntax = errors.New("agent source does not compile")
	// ErrNoHandler means the agent is in none of the styles the sandbox
	// runs: it has no default export, no main export, and does not set
	// globalThis.scriptOutput.
	ErrNoHandler = errors.New("agent has no handler")
)

// Styles names the agent styles the sandbox runs, for error messages.
const Styles = "export default an object with a fetch(request, env, ctx) method (a Hono app is one), " +
	"export default (or export) a function main(request) that takes and returns request JSON, " +
	"or, as a built script, read globalThis.scriptArgs[0] and set globalThis.scriptOutput"

// agentGlobals is what an agent has instead of Node's built-ins.
const agentGlobals = "fetch, Request, Response, Headers, URL, URLSearchParams, TextEncoder, TextDecoder, " +
	"atob, btoa, crypto.getRandomValues, crypto.randomUUID, crypto.subtle.digest, console, setTimeout, " +
	"AbortController, ReadableStream, structuredClone, a basic Intl, process.env (the agent's secrets), and the cove object for host services"

// Message is one error from a build.
type Message struct {
	// File is the file the message is about, relative to the agent's folder
	// when it is inside it; empty when the message has no location.
	File string
	// Line and Column are 1-based; 0 when unknown.
	Line, Column int
	// Text says what is wrong and, for import errors, what to do.
	Text string
	// Notes are esbuild's extra explanations, each as "file:line:col: text"
	// or plain text.
	Notes []string
	// Kind is ErrMissingPackage, ErrUnsupportedImport or ErrSyntax, or nil
	// for an error of no known kind (such as an unresolved relative path).
	Kind error
}

// String formats m as "file:line:col: text".
func (m Message) String() string {
	return position(m.File, m.Line, m.Column) + m.Text
}

func position(file string, line, col int) string {
	switch {
	case file == "":
		return ""
	case line == 0:
		return file + ": "
	default:
		return fmt.Sprintf("%s:%d:%d: ", file, line, col)
	}
}

// Error is a build that esbuild rejected. It carries every message, and
// errors.Is matches it against the Kind of each.
type Error struct {
	// Entry is the absolute path of the entry file.
	Entry string
	// Messages are all the errors, in esbuild's order.
	Messages []Message
}

// Error lists the messages, one per line after the first.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bundle %s: ", e.Entry)
	if len(e.Messages) == 1 {
		b.WriteString(e.Messages[0].String())
		return b.String()
	}
	fmt.Fprintf(&b, "%d errors:", len(e.Messages))
	for _, m := range e.Messages {
		b.WriteString("\n\t")
		b.WriteString(m.String())
	}
	return b.String()
}

// Unwrap returns the distinct kinds of the messages, for errors.Is.
func (e *Error) Unwrap() []error {
	var kinds []error
	for _, m := range e.Messages {
		if m.Kind != nil && !containsErr(kinds, m.Kind) {
			kinds = append(kinds, m.Kind)
		}
	}
	return kinds
}

func containsErr(errs []error, target error) bool {
	for _, e := range errs {
		if e == target {
			return true
		}
	}
	return false
}

// newError converts esbuild's errors, rewriting import errors into what the
// agent's author should do about them.
func newError(ent entry, msgs []api.Message) *Error {
	e := &Error{Entry: ent.file}
	for _, am := range msgs {
		m := Message{Text: am.Text, Notes: formatNotes(am.Notes), Kind: ErrSyntax}
		if l := am.Location; l != nil {
			m.File, m.Line, m.Column = l.File, l.Line, l.Column+1
		}
		if spec, ok := unresolvedImport(am.Text); ok {
			m.Kind = nil
			if text, kind := classifyImport(ent, spec); kind != nil {
				m.Kind, m.Text = kind, text
				m.Notes = nil // esbuild's hints (mark it external, use platform node) do not apply
			}
		} else if am.Location == nil {
			m.Kind = nil
		}
		e.Messages = append(e.Messages, m)
	}
	return e
}

// unresolvedImport reports whether text is esbuild's "Could not resolve" error
// and returns the import specifier it names.
func unresolvedImport(text string) (string, bool) {
	rest, ok := strings.CutPrefix(text, "Could not resolve ")
	if !ok {
		return "", false
	}
	quoted, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return "", false
	}
	spec, err := strconv.Unquote(quoted)
	return spec, err == nil
}

// classifyImport explains an import that did not resolve: the text and the
// kind of error. It returns a nil kind for a relative or absolute path,
// whose esbuild message is clear as is.
func classifyImport(ent entry, spec string) (text string, kind error) {
	if strings.HasPrefix(spec, "node:") {
		return unsupportedText(spec), ErrUnsupportedImport
	}
	if !isBare(spec) {
		return "", nil
	}
	name := packageName(spec)
	pkg, _, err := readPackageJSON(ent.dir)
	listed := err == nil && (pkg.Dependencies[name] != "" || pkg.DevDependencies[name] != "")
	// A built-in name is an npm polyfill only if package.json asks for one.
	if nodeBuiltins[name] && !listed {
		return unsupportedText(spec), ErrUnsupportedImport
	}
	install := "npm install"
	if !listed {
		install = "npm install " + name
	}
	return fmt.Sprintf("package %q is not installed: run `%s` in %s", name, install, ent.dir), ErrMissingPackage
}

func unsupportedText(spec string) string {
	return fmt.Sprintf("cannot import %q: Node built-in modules are not available in agents; use the globals agents have: %s", spec, agentGlobals)
}

// isBare reports whether spec names a package rather than a file.
func isBare(spec string) bool {
	return spec != "" && !strings.HasPrefix(spec, ".") && !strings.HasPrefix(spec, "/") &&
		!strings.Contains(spec, ":") && !strings.HasPrefix(spec, `\`)
}

// packageName returns the npm package a bare specifier imports from:
// "viem/accounts" -> "viem", "@noble/curves/secp256k1" -> "@noble/curves".
func packageName(spec string) string {
	parts := strings.SplitN(spec, "/", 3)
	if strings.HasPrefix(spec, "@") && len(parts) >= 2 {
		return parts[0] + "/" + parts[1]
	}
	return parts[0]
}

// nodeBuiltins is Node's module.builtinModules (top-level names).
var nodeBuiltins = map[string]bool{
	"assert": true, "async_hooks": true, "buffer": true, "child_process": true, "cluster": true,
	"console": true, "constants": true, "crypto": true, "dgram": true, "diagnostics_channel": true,
	"dns": true, "domain": true, "events": true, "fs": true, "http": true, "http2": true, "https": true,
	"inspector": true, "module": true, "net": true, "os": true, "path": true, "perf_hooks": true,
	"process": true, "punycode": true, "querystring": true, "readline": true, "repl": true,
	"stream": true, "string_decoder": true, "sys": true, "timers": true, "tls": true,
	"trace_events": true, "tty": true, "url": true, "util": true, "v8": true, "vm": true, "wasi": true,
	"worker_threads": true, "zlib": true,
	"_http_agent": true, "_http_client": true, "_http_common": true, "_http_incoming": true,
	"_http_outgoing": true, "_http_server": true, "_stream_duplex": true, "_stream_passthrough": true,
	"_stream_readable": true, "_stream_transform": true, "_stream_wrap": true, "_stream_writable": true,
	"_tls_common": true, "_tls_wrap": true,
}

func formatNotes(notes []api.Note) []string {
	var out []string
	for _, n := range notes {
		if n.Text == "" {
			continue
		}
		s := n.Text
		if l := n.Location; l != nil {
			s = position(l.File, l.Line, l.Column+1) + s
		}
		out = append(out, s)
	}
	return out
}

// formatMessages formats esbuild warnings as "file:line:col: text".
func formatMessages(msgs []api.Message) []string {
	var out []string
	for _, m := range msgs {
		s := m.Text
		if l := m.Location; l != nil {
			s = position(l.File, l.Line, l.Column+1) + s
		}
		out = append(out, s)
	}
	return out
}
