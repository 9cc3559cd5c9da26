package cove_test

import (
	"testing"

	"github.com/cove-network/cove"
)

func TestAgentTarget(t *testing.T) {
	const id = "0x01"
	for _, tc := range []struct {
		target, want string
		ok           bool
	}{
		{"/agents/" + id, "/", true},
		{"/agents/" + id + "/", "/", true},
		{"/agents/" + id + "/hello?name=Ada", "/hello?name=Ada", true},
		{"/agents/" + id + "?q=1", "/?q=1", true},
		{"/agents/" + id + "/admin%3Fdebug=1", "/admin%3Fdebug=1", true},
		{"/agents/" + id + "/a?b=/c", "/a?b=/c", true},
		{"/agents/" + id + "?b=/c", "/?b=/c", true},
		{"/other/" + id, "", false},
		{"/agentsx/" + id, "", false},
	} {
		got, ok := cove.AgentTarget(tc.target)
		if got != tc.want || ok != tc.ok {
			t.Errorf("AgentTarget(%q) = %q, %v; want %q, %v", tc.target, got, ok, tc.want, tc.ok)
		}
	}
}
