package registry

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/cove-network/cove"
)

func TestRegistry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agents.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a := cove.Agent{ID: cove.AgentID{1}, Name: "a", CID: "bafkrei...", Secrets: []byte{1, 2}, CreatedAt: time.Unix(10, 0).UTC()}
	b := cove.Agent{ID: cove.AgentID{2}, Name: "b", CreatedAt: time.Unix(5, 0).UTC()}
	if err := s.Put(a); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(b); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(a); !errors.Is(err, ErrExists) {
		t.Fatalf("second put: %v", err)
	}
	if _, err := s.Get(cove.AgentID{3}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	s.Close()

	// Reopened (a restart), everything is there.
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Get(a.ID)
	if err != nil || got.Name != "a" || string(got.Secrets) != "\x01\x02" || !got.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("get = %+v, %v", got, err)
	}
	list, err := s.List()
	if err != nil || len(list) != 2 || list[0].Name != "b" {
		t.Fatalf("list = %+v, %v", list, err)
	}
}
