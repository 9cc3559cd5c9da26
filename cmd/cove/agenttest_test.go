package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cove-network/cove/internal/jstest"
)

// TestAgentTestCommand: `cove agent test` serves the agent from the
// worker's sandbox (the agent sees process.platform "cove", which Node
// never says), with per-request secrets from Cove-Test-Env, and exits
// with the test command's code: 0 when the tests pass, 1 when one fails
// (the same project, one expectation changed), 2 when the agent does
// not bundle.
func TestAgentTestCommand(t *testing.T) {
	jstest.NPM(t) // node runs the tests
	project := func(expect string) string {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"t","private":true,"type":"module"}`), 0o644)
		os.MkdirAll(filepath.Join(dir, "src"), 0o755)
		os.WriteFile(filepath.Join(dir, "src", "index.js"), []byte(`export default { async fetch(req, env) {
  return Response.json({ platform: process.platform, greeting: env.GREETING ?? null, path: new URL(req.url).pathname });
} };`), 0o644)
		os.MkdirAll(filepath.Join(dir, "test"), 0o755)
		os.WriteFile(filepath.Join(dir, "test", "agent.test.mjs"), []byte(`import { test } from "node:test";
import assert from "node:assert/strict";
test("the agent answers from Cove's sandbox", async () => {
  const res = await fetch(process.env.COVE_AGENT_URL + "/hi", { headers: { "cove-test-env": JSON.stringify({ GREETING: "Ahoy" }) } });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { platform: "cove", greeting: `+expect+`, path: "/hi" });
  // Each request's env is its own, never merged into --secret's.
  const none = await fetch(process.env.COVE_AGENT_URL + "/", { headers: { "cove-test-env": "{}" } });
  assert.equal((await none.json()).greeting, null);
  const base = await fetch(process.env.COVE_AGENT_URL + "/");
  assert.equal((await base.json()).greeting, "Base");
});
`), 0o644)
		return dir
	}
	out, errOut, err := runCoveStderr(t, "agent", "test", project(`"Ahoy"`), "--secret", "GREETING=Base", "--command", "node --test test/")
	if err != nil || !strings.Contains(out, "# pass 1") || !strings.Contains(out, "# fail 0") {
		t.Fatalf("passing tests: %v\n%s\n%s", err, out, errOut)
	}
	out, errOut, err = runCoveStderr(t, "agent", "test", project(`"Hello"`), "--secret", "GREETING=Base", "--command", "node --test test/")
	wantExit(t, "a failing test", err, 1)
	if !strings.Contains(out, "# fail 1") {
		t.Fatalf("failing test: %s\n%s", out, errOut)
	}
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "index.js"), []byte("export default {"), 0o644)
	_, _, err = runCoveStderr(t, "agent", "test", broken, "--command", "true")
	wantExit(t, "an agent that does not bundle", err, 2)
}
