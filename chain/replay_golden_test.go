package chain

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/replay.golden.json from the current code")

// goldenChain is testdata/replay.golden.json: the blocks of mixedBlocks as
// the code before the message table signed them, with its results and app
// hashes.
type goldenChain struct {
	GenesisAppHash Bytes         `json:"genesisAppHash"`
	Blocks         []goldenBlock `json:"blocks"`
}

// goldenBlock is one recorded block: its transactions as signed, and the
// results and app hash they gave.
type goldenBlock struct {
	Height  int64      `json:"height"`
	Time    time.Time  `json:"time"`
	Txs     []string   `json:"txs"`
	Results []TxResult `json:"results"`
	AppHash Bytes      `json:"appHash"`
}

// TestReplayGolden replays blocks of every transaction type, with failures,
// recorded before the message table and the block hooks, and checks that
// every result and app hash is unchanged; then again with a proposer, votes
// and misbehaviour in every block, which must change nothing either.
func TestReplayGolden(t *testing.T) {
	path := filepath.Join("testdata", "replay.golden.json")
	if *update {
		// The recorded transactions stay (sealed secrets are random, so
		// signing them again would change them); results and app hashes
		// are recomputed. Without a file, mixedBlocks makes the blocks.
		blocks := goldenBlocks(t, path)
		_, genesis, steps := run(t, blocks)
		g := goldenChain{GenesisAppHash: genesis}
		g.Blocks = make([]goldenBlock, len(blocks))
		for i, b := range blocks {
			gb := &g.Blocks[i]
			gb.Height, gb.Time, gb.Results, gb.AppHash = b.Height, b.Time, steps[i].res.TxResults, steps[i].hash
			gb.Txs = []string{}
			for _, tx := range b.Txs {
				gb.Txs = append(gb.Txs, string(tx))
			}
		}
		j, err := json.MarshalIndent(g, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(j, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	g, err := readGolden(path)
	if err != nil {
		t.Fatal(err)
	}
	blocks := g.blocks()
	check := func(t *testing.T, blocks []Block) {
		_, genesis, steps := run(t, blocks)
		if !bytes.Equal(genesis, g.GenesisAppHash) {
			t.Fatalf("genesis app hash %x, golden %s", genesis, g.GenesisAppHash)
		}
		for i, s := range steps {
			gb := g.Blocks[i]
			for j, r := range s.res.TxResults {
				if !reflect.DeepEqual(r, gb.Results[j]) {
					t.Errorf("height %d tx %d: result\n%+v\ngolden\n%+v", gb.Height, j, r, gb.Results[j])
				}
			}
			if !bytes.Equal(s.hash, gb.AppHash) {
				t.Errorf("height %d: app hash %x, golden %s", gb.Height, s.hash, gb.AppHash)
			}
			if len(s.res.Events) != 0 || len(s.res.ValidatorUpdates) != 0 {
				t.Errorf("height %d: block events %v, validator updates %v", gb.Height, s.res.Events, s.res.ValidatorUpdates)
			}
		}
	}
	t.Run("plain", func(t *testing.T) { check(t, blocks) })
	t.Run("with consensus info", func(t *testing.T) {
		withInfo := slices.Clone(blocks)
		for i := range withInfo {
			b := &withInfo[i]
			b.Proposer = ValidatorAddress{byte(i + 1)}
			b.Votes = []Vote{{Validator: ValidatorAddress{1}, Power: 10, Signed: true}, {Validator: ValidatorAddress{2}, Power: 5}}
			b.Misbehavior = []Misbehavior{{Kind: MisbehaviorDuplicateVote, Validator: ValidatorAddress{2}, Power: 5, Height: b.Height - 1, Time: b.Time, TotalVotingPower: 15}}
		}
		check(t, withInfo)
	})
}

// goldenBlocks returns the blocks recorded at path, or mixedBlocks if there
// is no file.
func goldenBlocks(t *testing.T, path string) []Block {
	g, err := readGolden(path)
	if os.IsNotExist(err) {
		return mixedBlocks(t)
	} else if err != nil {
		t.Fatal(err)
	}
	return g.blocks()
}

// readGolden reads the golden file at path.
func readGolden(path string) (goldenChain, error) {
	var g goldenChain
	b, err := os.ReadFile(path)
	if err != nil {
		return g, err
	}
	return g, json.Unmarshal(b, &g)
}

// blocks returns the recorded blocks, to execute again.
func (g goldenChain) blocks() []Block {
	var blocks []Block
	for _, gb := range g.Blocks {
		var txs [][]byte
		for _, tx := range gb.Txs {
			txs = append(txs, []byte(tx))
		}
		blocks = append(blocks, Block{Height: gb.Height, Time: gb.Time, Txs: txs})
	}
	return blocks
}
