// Package jstest finds what tests that talk to a JavaScript library or run
// in a browser need: the node binary, a folder's installed npm packages,
// Chromium. Missing, the test
// is skipped with the command that installs them, except under CI (the
// CI variable set), where it fails: .ci/run installs them first.
package jstest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Node returns the node binary for a test that needs dir/node_modules
// (dir relative to the test's working directory; display is the folder's
// path from the repository root, for the message).
func Node(t testing.TB, dir, display string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		skip(t, "node is not on PATH; install Node.js and run `npm ci --prefix "+display+"` from the repository root")
		return ""
	}
	Modules(t, dir, display)
	return node
}

// NPM returns the npm binary for a test that installs packages itself;
// missing, the test is skipped (fails under CI).
func NPM(t testing.TB) string {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		skip(t, "npm is not on PATH; install Node.js")
	}
	return npm
}

// Modules skips (fails under CI) a test that needs dir/node_modules when
// the folder's npm packages are not installed.
func Modules(t testing.TB, dir, display string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		skip(t, display+"/node_modules is missing; run `npm ci --prefix "+display+"` from the repository root")
	}
}

func skip(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Chromium returns the path of a Chromium (Debian's chromium package, or
// chromium-browser, google-chrome) for a test driven in a real browser;
// missing, the test is skipped with the command that installs it (fails
// under CI, where .ci/run installs it).
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	skip(t, "no Chromium on PATH; install it (Debian: `apt-get install chromium`)")
	return ""
}
