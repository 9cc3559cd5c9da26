package gateway

import (
	"testing"
	"time"

	"github.com/cove-network/cove"
)

// TestFreeCountsDays: the counts start again at midnight UTC, not before.
func TestFreeCountsDays(t *testing.T) {
	var f freeCounts
	tier := cove.FreeTier{CallsPerDay: 2, PerCaller: 1}
	agent := cove.AgentID{1}
	day := time.Date(2026, 12, 3, 23, 59, 58, 0, time.UTC)
	if ok, _ := f.take(agent, tier, "a", day); !ok {
		t.Fatal("first call refused")
	}
	if ok, _ := f.take(agent, tier, "a", day.Add(time.Second)); ok {
		t.Fatal("a second call by one caller passed the same day")
	}
	if ok, _ := f.take(agent, tier, "b", day.Add(time.Second)); !ok {
		t.Fatal("another caller refused")
	}
	if ok, _ := f.take(agent, tier, "c", day.Add(time.Second)); ok {
		t.Fatal("a third call passed a tier of 2 a day")
	}
	if ok, _ := f.take(agent, tier, "a", day.Add(2*time.Second)); !ok {
		t.Fatal("the next day's first call refused")
	}
}
