// Package registry keeps the records of deployed agents in a local bbolt
// database. It is the dev node's source of truth until the chain issue moves
// agent records into chain state, behind the same small interface the
// gateway and worker consume (Get, List, Put).
package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"go.etcd.io/bbolt"

	"github.com/cove-network/cove"
)

var (
	// ErrNotFound is returned for an agent id with no record.
	ErrNotFound = fmt.Errorf("agent %w", cove.ErrNotFound)
	// ErrExists is returned when deploying over an existing agent id.
	ErrExists = fmt.Errorf("agent %w", cove.ErrExists)
)

var bucketAgents = []byte("agents")

// Store is the agent registry. It is safe for concurrent use.
type Store struct {
	db *bbolt.DB
}

// Open opens (creating if needed) the registry database at path.
func Open(path string) (*Store, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bbolt.ErrTimeout) {
			return nil, fmt.Errorf("open registry %s: another cove process is using this data directory", path)
		}
		return nil, fmt.Errorf("open registry %s: %w", path, err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketAgents)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("open registry %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Put records a new agent. It fails with ErrExists if the id is taken; the
// write is durable (fsynced) when Put returns.
func (s *Store) Put(a cove.Agent) error {
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("put agent %s: %w", a.ID, err)
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		bk := tx.Bucket(bucketAgents)
		if bk.Get(a.ID[:]) != nil {
			return fmt.Errorf("put agent %s: %w", a.ID, ErrExists)
		}
		return bk.Put(a.ID[:], b)
	})
}

// Get returns the record of one agent.
func (s *Store) Get(id cove.AgentID) (cove.Agent, error) {
	var a cove.Agent
	err := s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketAgents).Get(id[:])
		if v == nil {
			return fmt.Errorf("agent %s: %w", id, ErrNotFound)
		}
		return json.Unmarshal(v, &a)
	})
	return a, err
}

// List returns every agent, oldest first.
func (s *Store) List() ([]cove.Agent, error) {
	var out []cove.Agent
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketAgents).ForEach(func(_, v []byte) error {
			var a cove.Agent
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}
