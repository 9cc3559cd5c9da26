package bridge

import (
	"bytes"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/contracts"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// otherAddress is an address that is not the anchor's.
var otherAddress = common.HexToAddress("0x00000000000000000000000000000000000000aa")

// requestLogs makes real CoveRequest logs on a simulated chain: requests
// through the consumer with assorted paths and bodies, and one made
// directly by an account. It returns the chain and the logs.
func requestLogs(t testing.TB) (*chainEnv, []types.Log) {
	t.Helper()
	e := newChainEnv(t)
	e.ask(3, "hello")
	opts := *e.owner
	opts.Value = big.NewInt(testFee)
	for _, r := range []struct{ path, body string }{
		{"/p?q=1", ""},
		{"/" + string(bytes.Repeat([]byte("a"), 70)), string(bytes.Repeat([]byte{0, 0xff}, 50))},
	} {
		opts.Nonce = new(big.Int).SetUint64(e.ownerNonce())
		tx, err := e.anchor.Request(&opts, e.agent, r.path, []byte(r.body), 100_000)
		e.mine(tx, err)
	}
	logs, err := e.sim.Client().FilterLogs(t.Context(), ethereum.FilterQuery{
		FromBlock: big.NewInt(0), Addresses: []common.Address{e.anchorAt}, Topics: [][]common.Hash{{coveRequestEvent}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(logs) != 5 {
		t.Fatalf("%d CoveRequest logs, want 5", len(logs))
	}
	return e, logs
}

// packTopics concatenates topics, as the fuzzer's input holds them.
func packTopics(topics []common.Hash) []byte {
	var b []byte
	for _, h := range topics {
		b = append(b, h[:]...)
	}
	return b
}

// checkDecode decodes a log of the anchor (or of another address, if
// other) with topics (32-byte chunks of topicBytes, a short tail dropped)
// and data, and checks what decodeRequest promises of the result.
func checkDecode(t *testing.T, chainID *big.Int, anchor common.Address, other bool, topicBytes, data []byte) (Request, error) {
	t.Helper()
	l := types.Log{Address: anchor, Data: data, BlockNumber: 7}
	if other {
		l.Address = otherAddress
	}
	for i := 0; i+32 <= len(topicBytes); i += 32 {
		l.Topics = append(l.Topics, common.BytesToHash(topicBytes[i:i+32]))
	}
	r, err := decodeRequest(l, chainID, anchor)
	if err != nil {
		return r, err
	}
	if other {
		t.Fatalf("a log of %s accepted as the anchor's", l.Address)
	}
	if len(l.Topics) != 4 || l.Topics[0] != coveRequestEvent {
		t.Fatalf("accepted with topics %v", l.Topics)
	}
	again, err := anchorABI.Events["CoveRequest"].Inputs.NonIndexed().Pack(r.Path, r.Body, [32]byte(r.Hash))
	if err != nil || !bytes.Equal(again, data) {
		t.Fatalf("accepted data does not re-encode to itself (%v)", err)
	}
	if want := contracts.RequestHash(chainID, cove.Address(anchor), r.Agent, r.Path, r.Body, r.ID); r.Hash != want {
		t.Fatalf("accepted requestHash %s, the anchor's rule gives %s", r.Hash, want)
	}
	if r.ID.Cmp(l.Topics[1].Big()) != 0 || r.Agent != cove.AgentID(l.Topics[2]) || common.Address(r.Consumer) != common.BytesToAddress(l.Topics[3][:]) || r.Block != 7 {
		t.Fatalf("accepted fields %+v do not match the log", r)
	}
	// The same log from another address, or under another event, is refused.
	l.Address = otherAddress
	if _, err := decodeRequest(l, chainID, anchor); err == nil {
		t.Fatal("the same log from another address accepted")
	}
	l.Address = anchor
	l.Topics = append([]common.Hash{anchorABI.Events["CoveFulfilled"].ID}, l.Topics[1:]...)
	if _, err := decodeRequest(l, chainID, anchor); err == nil {
		t.Fatal("the same log under another topic0 accepted")
	}
	return r, nil
}

// TestDecodeRequest: real CoveRequest logs decode to their fields; a log
// of another contract or event, a non-canonical encoding, a requestHash
// that is not the anchor's rule's or a consumer topic that is no address
// is refused.
func TestDecodeRequest(t *testing.T) {
	e, logs := requestLogs(t)
	for _, l := range logs {
		r, err := decodeRequest(l, e.chainID, e.anchorAt)
		if err != nil {
			t.Fatalf("real log refused: %v", err)
		}
		ev, err := e.anchor.ParseCoveRequest(l)
		if err != nil {
			t.Fatal(err)
		}
		if r.ID.Cmp(ev.RequestId) != 0 || r.Path != ev.Path || !bytes.Equal(r.Body, ev.Body) || r.Hash != cove.Hash(ev.RequestHash) ||
			common.Address(r.Consumer) != ev.Consumer || r.Agent != cove.AgentID(ev.Agent) || r.Block != l.BlockNumber || r.TxHash != l.TxHash {
			t.Errorf("decoded %+v, the binding says %+v", r, ev)
		}
	}
	l := logs[0]
	pack := func(path string, body []byte, hash cove.Hash) []byte {
		b, err := anchorABI.Events["CoveRequest"].Inputs.NonIndexed().Pack(path, body, [32]byte(hash))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ev, _ := e.anchor.ParseCoveRequest(l)
	for _, c := range []struct {
		name string
		edit func(l *types.Log)
	}{
		{"another address", func(l *types.Log) { l.Address = otherAddress }},
		{"another event", func(l *types.Log) { l.Topics[0] = anchorABI.Events["CoveFulfilled"].ID }},
		{"three topics", func(l *types.Log) { l.Topics = l.Topics[:3] }},
		{"consumer not an address", func(l *types.Log) { l.Topics[3][0] = 1 }},
		{"truncated data", func(l *types.Log) { l.Data = l.Data[:len(l.Data)-1] }},
		{"trailing data", func(l *types.Log) { l.Data = append(l.Data, make([]byte, 32)...) }},
		{"requestHash of another request", func(l *types.Log) {
			l.Data = pack(ev.Path, ev.Body, contracts.RequestHash(e.chainID, cove.Address(e.anchorAt), e.agent, ev.Path, ev.Body, big.NewInt(99)))
		}},
		{"requestHash of another chain", func(l *types.Log) {
			l.Data = pack(ev.Path, ev.Body, contracts.RequestHash(big.NewInt(1), cove.Address(e.anchorAt), e.agent, ev.Path, ev.Body, ev.RequestId))
		}},
		{"another id under the same data", func(l *types.Log) { l.Topics[1] = common.BigToHash(big.NewInt(99)) }},
		{"another body under the same hash", func(l *types.Log) { l.Data = pack(ev.Path, []byte("other"), cove.Hash(ev.RequestHash)) }},
	} {
		m := l
		m.Topics = append([]common.Hash(nil), l.Topics...)
		m.Data = bytes.Clone(l.Data)
		c.edit(&m)
		if _, err := decodeRequest(m, e.chainID, e.anchorAt); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	// The control: the untouched copy is accepted.
	if _, err := decodeRequest(l, e.chainID, e.anchorAt); err != nil {
		t.Fatal(err)
	}
}

// decodeSeeds are the fuzzer's seeds: real logs, each also from another
// address, and each with a requestHash of the wrong request.
func decodeSeeds(t testing.TB) (*chainEnv, [][]byte) {
	e, logs := requestLogs(t)
	var seeds [][]byte
	for _, l := range logs {
		ev, err := e.anchor.ParseCoveRequest(l)
		if err != nil {
			t.Fatal(err)
		}
		wrong, err := anchorABI.Events["CoveRequest"].Inputs.NonIndexed().Pack(ev.Path, ev.Body, [32]byte(cove.SHA256(l.Data)))
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, packTopics(l.Topics), l.Data, packTopics(l.Topics), wrong)
	}
	return e, seeds
}

// FuzzDecodeRequest: decodeRequest never panics on any topics and data, and
// what it accepts is the anchor's canonical encoding with the requestHash
// the anchor's rule gives, and only from the anchor under CoveRequest's
// topic.
func FuzzDecodeRequest(f *testing.F) {
	e, seeds := decodeSeeds(f)
	for i := 0; i < len(seeds); i += 2 {
		f.Add(false, seeds[i], seeds[i+1])
		f.Add(true, seeds[i], seeds[i+1])
	}
	f.Add(false, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, other bool, topics, data []byte) {
		checkDecode(t, e.chainID, e.anchorAt, other, topics, data)
	})
}

// TestDecodeRequestSmoke runs the fuzzer's checks on random mutations of
// the seeds (a few thousand, fixed seed) in every go test run; the seeds
// themselves must be accepted (real logs) or refused (a wrong requestHash).
func TestDecodeRequestSmoke(t *testing.T) {
	e, seeds := decodeSeeds(t)
	for i := 0; i < len(seeds); i += 4 {
		if _, err := checkDecode(t, e.chainID, e.anchorAt, false, seeds[i], seeds[i+1]); err != nil {
			t.Fatalf("real log refused: %v", err)
		}
		if _, err := checkDecode(t, e.chainID, e.anchorAt, false, seeds[i+2], seeds[i+3]); err == nil {
			t.Fatal("a log with another request's hash accepted")
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	accepted := 0
	for range 5000 {
		s := rng.IntN(len(seeds)/2) * 2
		topics, data := bytes.Clone(seeds[s]), bytes.Clone(seeds[s+1])
		for range 1 + rng.IntN(3) {
			b := &data
			if rng.IntN(2) == 0 {
				b = &topics
			}
			switch {
			case len(*b) == 0:
				*b = append(*b, byte(rng.Uint32()))
			case rng.IntN(8) == 0:
				*b = (*b)[:rng.IntN(len(*b))]
			case rng.IntN(8) == 0:
				*b = append(*b, byte(rng.Uint32()))
			default:
				(*b)[rng.IntN(len(*b))] ^= byte(1 << rng.IntN(8))
			}
		}
		if _, err := checkDecode(t, e.chainID, e.anchorAt, rng.IntN(8) == 0, topics, data); err == nil {
			accepted++
		}
	}
	t.Logf("%d of 5000 mutations accepted", accepted)
}
