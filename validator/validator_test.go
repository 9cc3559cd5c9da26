package validator

import (
	"bytes"
	"context"
	"errors"
	"github.com/cove-network/cove/internal/syncbuf"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/ethsig"
	"github.com/cove-network/cove/internal/testport"
)

const testChainID = 7799

// running is a validator started by start.
type running struct {
	s      *Server
	cancel context.CancelFunc
	done   chan error
}

// start opens the validator at cfg and runs it until stop.
func start(t *testing.T, cfg Config) *running {
	t.Helper()
	s, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{s: s, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop stops the validator and waits for Run to return.
func (r *running) stop(t *testing.T) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the validator did not stop")
	}
}

// oneValidatorHome writes a home with validator v0's keys and a genesis
// of chain name that funds from with amount; it returns the home and the
// keys.
func oneValidatorHome(t *testing.T, name string, from cove.Address, amount int64) (string, Keys) {
	t.Helper()
	home := t.TempDir()
	keys, err := InitKeys(home, "v0")
	if err != nil {
		t.Fatal(err)
	}
	g := chain.DefaultGenesis(testChainID, from, map[cove.Address]*big.Int{from: big.NewInt(amount)})
	g.Time = time.Now().UTC().Truncate(time.Second)
	if err := WriteGenesis(home, name, []chain.Validator{keys.Validator}, g); err != nil {
		t.Fatal(err)
	}
	return home, keys
}

// waitHeight polls until the validator has committed height h.
func waitHeight(t *testing.T, s *Server, h int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.View().Height() < h {
		if time.Now().After(deadline) {
			t.Fatalf("height %d after 10 s, want %d", s.View().Height(), h)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestValidator runs one validator in-process: a signed transfer commits,
// shows in the view and cannot be replayed; the validator stops, reopens
// from its home at the same height and app hash, and goes on.
func TestValidator(t *testing.T) {
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	from, to := ethsig.Address(&key.PublicKey), cove.Address{0xee}
	home, keys := oneValidatorHome(t, "cove-validator-test", from, 1000)
	// The chain computes validator addresses as CometBFT does.
	doc, err := cmttypes.GenesisDocFromFile(GenesisFile(home))
	if err != nil {
		t.Fatal(err)
	}
	va := keys.Validator.Address()
	if len(doc.Validators) != 1 || !bytes.Equal(doc.Validators[0].Address, va[:]) || doc.Validators[0].Power != 10 || doc.Validators[0].Name != "v0" {
		t.Fatalf("genesis validators %+v, keys %+v", doc.Validators, keys.Validator)
	}

	cfg := DefaultConfig()
	cfg.Home = home
	cfg.P2PAddr = testport.Addr(t)
	cfg.RPCAddr = ""
	cfg.BlockInterval = 50 * time.Millisecond
	v := start(t, cfg)
	waitHeight(t, v.s, 1)

	tx, err := chain.SignTx(testChainID, chain.Transfer{To: to, Amount: big.NewInt(5), Nonce: 0}, func(d cove.Hash) ([65]byte, error) { return ethsig.Sign(key, d) })
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	out, err := v.s.Broadcast(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	if out.Code != chain.CodeOK || out.Height < 1 || out.Hash != chain.TxHash(tx).String() ||
		len(out.Events) != 1 || out.Events[0].Type != chain.EventTransfer || out.Events[0].Attr("amount") != "5" {
		t.Fatalf("outcome %+v", out)
	}
	view := v.s.View()
	if got := view.Account(to).Balance; got.Cmp(big.NewInt(5)) != 0 {
		t.Errorf("recipient balance %s, want 5", got)
	}
	if acct := view.Account(from); acct.Nonce != 1 || acct.Balance.Cmp(big.NewInt(995)) != 0 {
		t.Errorf("sender %+v, want nonce 1 and 995", acct)
	}
	if view.Height() < out.Height {
		t.Errorf("view at height %d, before the tx's block %d", view.Height(), out.Height)
	}

	checkProof(t, v.s, chain.LatestEpochKey())
	if _, err := v.s.LightBlock(ctx, v.s.View().Height()+100); !errors.Is(err, cove.ErrNotFound) {
		t.Errorf("light block of a height not reached: %v, want ErrNotFound", err)
	}

	replay, err := v.s.Broadcast(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	// The same bytes again are the same transaction: its outcome, not a
	// second transfer, and not "bad nonce … sign a new one" (its retry
	// after a lost answer would sign a second transfer).
	if replay.Code != chain.CodeOK || replay.Height != out.Height || replay.Hash != out.Hash {
		t.Errorf("replay: %+v, want the committed outcome %+v", replay, out)
	}
	if got := v.s.View().Account(to).Balance; got.Cmp(big.NewInt(5)) != 0 {
		t.Errorf("recipient balance after the replay %s, want 5", got)
	}
	if st := v.s.Tx(chain.TxHash(tx)); st.State != chain.TxCommitted || st.Height != out.Height || len(st.Events) != 1 {
		t.Errorf("look-up: %+v, want committed at %d", st, out.Height)
	}
	if st := v.s.Tx(cove.Hash{1}); st.State != chain.TxUnknown {
		t.Errorf("look-up of an unknown hash: %+v", st)
	}

	v.stop(t)
	head := v.s.View().Head()

	again, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if h := again.View().Head(); h.Height != head.Height || !bytes.Equal(h.AppHash, head.AppHash) {
		again.Close()
		t.Fatalf("reopened at height %d app hash %x, stopped at %d %x", h.Height, h.AppHash, head.Height, head.AppHash)
	}
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
	v2 := start(t, cfg)
	waitHeight(t, v2.s, head.Height+2)
	if got := v2.s.View().Account(to).Balance; got.Cmp(big.NewInt(5)) != 0 {
		t.Errorf("recipient balance %s after restart, want 5", got)
	}
	checkProof(t, v2.s, []byte("acct/"+string(to[:])))
}

// checkProof proves key from the validator's view and checks it against
// the app hash in the header of the next block, which the validator's
// LightBlock serves signed by its validator set.
func checkProof(t *testing.T, s *Server, key []byte) {
	t.Helper()
	p, err := s.View().Prove(key)
	if err != nil {
		t.Fatalf("prove %q: %v", key, err)
	}
	b, err := s.LightBlock(t.Context(), p.Height+1)
	if err != nil {
		t.Fatalf("light block %d: %v", p.Height+1, err)
	}
	var pb cmtproto.LightBlock
	if err := pb.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	lb, err := cmttypes.LightBlockFromProto(&pb)
	if err != nil {
		t.Fatal(err)
	}
	if err := lb.ValidateBasic(s.Name()); err != nil || lb.Height != p.Height+1 {
		t.Fatalf("light block %d: height %d, %v", p.Height+1, lb.Height, err)
	}
	if err := lb.ValidatorSet.VerifyCommitLight(s.Name(), lb.Commit.BlockID, lb.Height, lb.Commit); err != nil {
		t.Fatalf("light block %d: commit: %v", lb.Height, err)
	}
	if err := p.Verify(lb.AppHash); err != nil {
		t.Fatalf("proof of %q at height %d against header %d: %v", key, p.Height, lb.Height, err)
	}
}

// TestWriteGenesisRefusesKey: a genesis validator's key must be a 32-byte
// Ed25519 key.
func TestWriteGenesisRefusesKey(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o700); err != nil {
		t.Fatal(err)
	}
	g := chain.DefaultGenesis(testChainID, cove.Address{1}, map[cove.Address]*big.Int{{1}: big.NewInt(1)})
	g.Time = time.Now().UTC().Truncate(time.Second)
	err := WriteGenesis(home, "x", []chain.Validator{{Name: "v", PubKey: make([]byte, 33), Power: 1}}, g)
	if err == nil {
		t.Fatal("WriteGenesis accepted a 33-byte key")
	}
	if err := WriteGenesis(home, "x", []chain.Validator{{Name: "v", PubKey: make([]byte, 32), Power: 1}}, g); err != nil {
		t.Fatal(err)
	}
}

// TestQuietStop: stopping a validator on purpose logs no warning: CometBFT's
// errors about the listeners and peers it is closing ("use of closed
// network connection") are debug once the stop has begun. The control: the
// same logger shows CometBFT's errors as warnings while it runs (the
// adapter's rule, checked directly).
func TestQuietStop(t *testing.T) {
	home, _ := oneValidatorHome(t, "cove-validator-test", cove.Address{1}, 1)
	cfg := DefaultConfig()
	cfg.Home = home
	cfg.P2PAddr = testport.Addr(t)
	cfg.RPCAddr = testport.Addr(t) // its listener is one that complains when closed
	cfg.BlockInterval = 50 * time.Millisecond
	var logs syncbuf.Buffer
	s, err := New(cfg, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitHeight(t, s, 2)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "level=WARN") || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("stopping logged warnings:\n%s", logs.String())
	}

	var running atomic.Bool
	var direct syncbuf.Buffer
	l := newCometLogger(slog.New(slog.NewTextHandler(&direct, nil)), &running)
	l.Error("accept failed")
	if !strings.Contains(direct.String(), "level=WARN") {
		t.Errorf("a CometBFT error while running is not a warning: %q", direct.String())
	}
}
