// Package faults is Cove's fault-injection suite: tests that hurt real
// nodes the way operators' machines do and check what Cove promises
// afterwards (docs/RELIABILITY.md). Nodes are real: `cove node`
// subprocesses built once per test run, killed with SIGKILL, and
// in-process networks of internal/testnet whose validators stop and
// restart. Each scenario logs its figures (counts, heights, restart
// times); -short skips the slow ones.
//
// The package holds only tests; this file is its comment.
package faults
