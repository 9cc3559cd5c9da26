package validator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/ethsig"
)

func addr(b byte) []byte { return bytes.Repeat([]byte{b}, 20) }

// TestBlockOf: a FinalizeBlock request's proposer, last commit and
// misbehaviour reach chain.Block.
func TestBlockOf(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	req := &abci.RequestFinalizeBlock{
		Height:          7,
		Time:            t0,
		Txs:             [][]byte{[]byte("tx")},
		ProposerAddress: addr(1),
		DecidedLastCommit: abci.CommitInfo{Votes: []abci.VoteInfo{
			{Validator: abci.Validator{Address: addr(1), Power: 10}, BlockIdFlag: cmtproto.BlockIDFlagCommit},
			{Validator: abci.Validator{Address: addr(2), Power: 20}, BlockIdFlag: cmtproto.BlockIDFlagNil},
			{Validator: abci.Validator{Address: addr(3), Power: 30}, BlockIdFlag: cmtproto.BlockIDFlagAbsent},
		}},
		Misbehavior: []abci.Misbehavior{
			{Type: abci.MisbehaviorType_DUPLICATE_VOTE, Validator: abci.Validator{Address: addr(2), Power: 20}, Height: 5, Time: t0.Add(-time.Minute), TotalVotingPower: 60},
			{Type: abci.MisbehaviorType_LIGHT_CLIENT_ATTACK, Validator: abci.Validator{Address: addr(3), Power: 30}, Height: 4, Time: t0.Add(-2 * time.Minute), TotalVotingPower: 50},
		},
	}
	b, err := blockOf(req)
	if err != nil {
		t.Fatal(err)
	}
	a := func(x byte) chain.ValidatorAddress { return chain.ValidatorAddress(addr(x)) }
	want := chain.Block{
		Height:   7,
		Time:     t0,
		Txs:      [][]byte{[]byte("tx")},
		Proposer: a(1),
		Votes: []chain.Vote{
			{Validator: a(1), Power: 10, Signed: true},
			{Validator: a(2), Power: 20, Signed: true}, // a precommit for nil is signed
			{Validator: a(3), Power: 30, Signed: false},
		},
		Misbehavior: []chain.Misbehavior{
			{Kind: chain.MisbehaviorDuplicateVote, Validator: a(2), Power: 20, Height: 5, Time: t0.Add(-time.Minute), TotalVotingPower: 60},
			{Kind: chain.MisbehaviorLightClientAttack, Validator: a(3), Power: 30, Height: 4, Time: t0.Add(-2 * time.Minute), TotalVotingPower: 50},
		},
	}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("block\n%+v\nwant\n%+v", b, want)
	}

	// An address that is not 20 bytes is a broken CometBFT: refused.
	for name, edit := range map[string]func(r *abci.RequestFinalizeBlock){
		"proposer":    func(r *abci.RequestFinalizeBlock) { r.ProposerAddress = nil },
		"vote":        func(r *abci.RequestFinalizeBlock) { r.DecidedLastCommit.Votes[1].Validator.Address = addr(2)[:19] },
		"misbehavior": func(r *abci.RequestFinalizeBlock) { r.Misbehavior[0].Validator.Address = append(addr(2), 0) },
	} {
		bad := *req
		bad.DecidedLastCommit.Votes = append([]abci.VoteInfo(nil), req.DecidedLastCommit.Votes...)
		bad.Misbehavior = append([]abci.Misbehavior(nil), req.Misbehavior...)
		edit(&bad)
		if _, err := blockOf(&bad); err == nil {
			t.Errorf("%s: a bad address was accepted", name)
		}
	}
}

// TestValidatorUpdates: the chain's validator updates become CometBFT's.
func TestValidatorUpdates(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	got, err := validatorUpdates([]chain.ValidatorUpdate{{PubKey: k1, Power: 7}, {PubKey: k2, Power: 0}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !bytes.Equal(got[0].PubKey.GetEd25519(), k1) || got[0].Power != 7 ||
		!bytes.Equal(got[1].PubKey.GetEd25519(), k2) || got[1].Power != 0 {
		t.Errorf("updates %v", got)
	}
	if got, err := validatorUpdates(nil); err != nil || len(got) != 0 {
		t.Errorf("no updates: %v, %v", got, err)
	}
	if _, err := validatorUpdates([]chain.ValidatorUpdate{{PubKey: k1[:31], Power: 1}}); err == nil {
		t.Error("a 31-byte key was accepted")
	}
}

// TestResponse: the chain's block result, validator updates included,
// reaches CometBFT's response.
func TestResponse(t *testing.T) {
	key := bytes.Repeat([]byte{5}, 32)
	res := chain.BlockResult{
		TxResults: []chain.TxResult{
			{Code: chain.CodeOK, Events: []chain.Event{{Type: "transfer", Attrs: []chain.Attr{{Key: "amount", Value: "5"}}}}},
			{Code: chain.CodeBadNonce, Codespace: chain.Codespace, Log: "bad nonce: …"},
		},
		AppHash:          bytes.Repeat([]byte{1}, 32),
		Events:           []chain.Event{{Type: "slash", Attrs: []chain.Attr{{Key: "validator", Value: "0x01"}}}},
		ValidatorUpdates: []chain.ValidatorUpdate{{PubKey: key, Power: 4}},
	}
	out, err := response(res)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.AppHash, res.AppHash) || len(out.TxResults) != 2 ||
		out.TxResults[0].Code != 0 || out.TxResults[0].Events[0].Attributes[0].Value != "5" ||
		out.TxResults[1].Code != chain.CodeBadNonce || out.TxResults[1].Codespace != "cove" || out.TxResults[1].Log != "bad nonce: …" ||
		len(out.Events) != 1 || out.Events[0].Type != "slash" {
		t.Errorf("response %+v", out)
	}
	if len(out.ValidatorUpdates) != 1 || !bytes.Equal(out.ValidatorUpdates[0].PubKey.GetEd25519(), key) || out.ValidatorUpdates[0].Power != 4 {
		t.Errorf("validator updates %v", out.ValidatorUpdates)
	}
	res.ValidatorUpdates[0].PubKey = key[:16]
	if _, err := response(res); err == nil {
		t.Error("a 16-byte validator key was accepted")
	}
}

// TestFinalizeBlockABCI runs a block through the ABCI app with a proposer,
// votes and misbehaviour: the transaction runs, the app hash is that of
// the same block without them (the chain records none yet), and the
// response carries no validator updates.
func TestFinalizeBlockABCI(t *testing.T) {
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	from := ethsig.Address(&key.PublicKey)
	g := chain.DefaultGenesis(77, from, map[cove.Address]*big.Int{from: big.NewInt(100)})
	g.Time = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	state, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := chain.SignTx(77, chain.Transfer{To: cove.Address{9}, Amount: big.NewInt(5)}, func(d cove.Hash) ([65]byte, error) { return ethsig.Sign(key, d) })
	if err != nil {
		t.Fatal(err)
	}
	finalize := func(req *abci.RequestFinalizeBlock) *abci.ResponseFinalizeBlock {
		t.Helper()
		a, err := openApp(filepath.Join(t.TempDir(), "state.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.close() })
		ctx := context.Background()
		if _, err := a.InitChain(ctx, &abci.RequestInitChain{AppStateBytes: state}); err != nil {
			t.Fatal(err)
		}
		res, err := a.FinalizeBlock(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	plain := &abci.RequestFinalizeBlock{Height: 1, Time: g.Time.Add(time.Second), Txs: [][]byte{tx}, ProposerAddress: addr(1)}
	full := *plain
	full.DecidedLastCommit = abci.CommitInfo{Votes: []abci.VoteInfo{{Validator: abci.Validator{Address: addr(1), Power: 10}, BlockIdFlag: cmtproto.BlockIDFlagCommit}}}
	full.Misbehavior = []abci.Misbehavior{{Type: abci.MisbehaviorType_DUPLICATE_VOTE, Validator: abci.Validator{Address: addr(2), Power: 1}, Height: 1, Time: g.Time, TotalVotingPower: 11}}
	a, b := finalize(plain), finalize(&full)
	if len(b.TxResults) != 1 || b.TxResults[0].Code != chain.CodeOK {
		t.Fatalf("tx results %v", b.TxResults)
	}
	if !bytes.Equal(a.AppHash, b.AppHash) {
		t.Errorf("app hash %x with consensus information, %x without", b.AppHash, a.AppHash)
	}
	if len(b.ValidatorUpdates) != 0 {
		t.Errorf("validator updates %v", b.ValidatorUpdates)
	}
	bad := full
	bad.ProposerAddress = addr(1)[:5]
	a2, err := openApp(filepath.Join(t.TempDir(), "state.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a2.close()
	if _, err := a2.FinalizeBlock(context.Background(), &bad); err == nil {
		t.Error("FinalizeBlock accepted a 5-byte proposer address")
	}
}
