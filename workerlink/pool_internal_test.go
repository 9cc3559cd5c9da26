package workerlink

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/blob/cid"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/testchain"
	"github.com/cove-network/cove/tee/identity"
)

// answering is a worker in process that answers every call, or refuses
// with err.
type answering struct {
	err   error
	calls int
}

func (w *answering) Health() Health { return Health{Ready: true, Epochs: []uint64{0}} }

func (w *answering) Invoke(ctx context.Context, id cove.AgentID, c cove.Call) (*cove.Response, error) {
	w.calls++
	if w.err != nil {
		return nil, w.err
	}
	return &cove.Response{Status: 200, Body: []byte("ok")}, nil
}

func member0(id byte, outstanding int64, warm bool, epochs ...uint64) *member {
	m := &member{id: cove.Hash{id}, up: true, health: Health{Ready: true, Epochs: epochs}, codes: map[cove.Hash]struct{}{}}
	m.outstanding.Store(outstanding)
	if warm {
		m.codes[cove.Hash{0xc0}] = struct{}{}
	}
	return m
}

func testPool(ms ...*member) *Pool {
	p := &Pool{cfg: DefaultPoolConfig(), log: slog.New(slog.DiscardHandler), members: map[cove.Hash]*member{}, refused: map[cove.Hash]string{}}
	for _, m := range ms {
		p.members[m.id] = m
	}
	return p
}

// TestPick: the worker with the fewest outstanding calls, one point added
// for one that has not run the agent's code; never one down, without a
// key, without the agent's epoch, or already tried.
func TestPick(t *testing.T) {
	rec := chain.AgentRecord{CodeHash: cove.Hash{0xc0}, KeyEpoch: 0}
	for _, tc := range []struct {
		name    string
		members []*member
		tried   []byte
		want    byte // 0: none
	}{
		{"fewest outstanding", []*member{member0(1, 3, true, 0), member0(2, 1, true, 0)}, nil, 2},
		{"warm wins a tie of outstanding calls", []*member{member0(1, 0, false, 0), member0(2, 0, true, 0)}, nil, 2},
		{"a cold worker beats a warm one two calls busier", []*member{member0(1, 0, false, 0), member0(2, 2, true, 0)}, nil, 1},
		{"not one without the epoch", []*member{member0(1, 0, true, 1), member0(2, 5, false, 0)}, nil, 2},
		{"not one already tried", []*member{member0(1, 0, true, 0), member0(2, 5, false, 0)}, []byte{1}, 2},
		{"none left", []*member{member0(1, 0, true, 0)}, []byte{1}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testPool(tc.members...)
			tried := map[*member]bool{}
			for _, id := range tc.tried {
				tried[p.members[cove.Hash{id}]] = true
			}
			got := p.pick(rec, cove.Hash{}, tried)
			switch {
			case tc.want == 0 && got != nil:
				t.Fatalf("picked %x, want none", got.id[:1])
			case tc.want != 0 && (got == nil || got.id != cove.Hash{tc.want}):
				t.Fatalf("picked %v, want %x", got, tc.want)
			}
		})
	}
	// A call whose channel is bound to a worker goes there, busier or not;
	// the control, the same call unbound, goes to the least busy.
	idle, busy := member0(1, 0, true, 0), member0(2, 5, true, 0)
	if got := testPool(idle, busy).pick(rec, cove.Hash{}, nil); got != idle {
		t.Fatalf("control: picked %v, want the idle member", got)
	}
	if got := testPool(idle, busy).pick(rec, cove.Hash{2}, nil); got != busy {
		t.Fatalf("picked %v, want the channel's worker", got)
	}
	if got := testPool(idle, busy).pick(rec, cove.Hash{3}, nil); got != nil {
		t.Fatalf("picked %v for a worker not in the pool", got)
	}
	// Down or without a key: never (the control: the same member up and
	// ready is picked).
	for _, edit := range []func(*member){func(m *member) { m.up = false }, func(m *member) { m.health.Ready = false }} {
		m := member0(1, 0, true, 0)
		if testPool(m).pick(rec, cove.Hash{}, nil) != m {
			t.Fatal("control: the member is not picked")
		}
		edit(m)
		if got := testPool(m).pick(rec, cove.Hash{}, nil); got != nil {
			t.Fatal("picked a member down or without a key")
		}
	}
}

// TestAttempt: a call that could not reach a worker goes to the next and
// takes the first out of rotation; a worker that has not seen the agent
// sends the call to another, and when all have not, attempt says so
// (Invoke then asks again); other refusals are the answer.
func TestAttempt(t *testing.T) {
	rec := chain.AgentRecord{ID: cove.AgentID{0xa1}, CodeHash: cove.Hash{0xc0}, Attestor: cove.Address{1}}
	call := cove.Call{Method: "GET", Path: "/agents/x", Host: "h"}

	// A remote worker whose endpoint refuses connections (nothing
	// listens) beside a worker in process.
	id, err := identity.New(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ep := "https://" + ln.Addr().String()
	ln.Close()
	r, err := NewRemote(ep, id.PublicKey(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	gone := member0(1, 0, true, 0) // warm and idle: picked first
	gone.remote = r
	local := &answering{}
	there := member0(2, 0, false, 0)
	there.local = local
	p := testPool(gone, there)
	want := Expect{Agent: rec.ID, Attestor: rec.Attestor}
	waited := false
	resp, behind, err := p.attempt(context.Background(), rec.ID, call, rec, &want, &waited)
	if err != nil || behind || resp.Status != 200 || local.calls != 1 {
		t.Fatalf("resp %+v, behind %v, err %v, calls %d", resp, behind, err, local.calls)
	}
	if gone.up {
		t.Error("the worker that could not be reached is still in rotation")
	}

	// Every worker behind: attempt says so; one that has the agent
	// answers (the control).
	notFound := &cove.Error{Status: http.StatusNotFound, Code: "agent_not_found"}
	a, b := member0(3, 0, true, 0), member0(4, 0, false, 0)
	a.local, b.local = &answering{err: notFound}, &answering{err: notFound}
	_, behind, err = testPool(a, b).attempt(context.Background(), rec.ID, call, rec, &want, &waited)
	var ce *cove.Error
	if !behind || !errors.As(err, &ce) || ce.Code != "agent_not_found" {
		t.Fatalf("all behind: behind %v, err %v", behind, err)
	}
	b.local = &answering{}
	if resp, behind, err := testPool(a, b).attempt(context.Background(), rec.ID, call, rec, &want, &waited); err != nil || behind || resp.Status != 200 {
		t.Fatalf("one has it: %v, %v", behind, err)
	}

	// Any other refusal is the answer, not sent on.
	busy := &cove.Error{Status: http.StatusTooManyRequests, Code: "agent_busy"}
	c, d := member0(5, 0, true, 0), member0(6, 0, false, 0)
	cl, dl := &answering{err: busy}, &answering{}
	c.local, d.local = cl, dl
	if _, behind, err := testPool(c, d).attempt(context.Background(), rec.ID, call, rec, &want, &waited); behind || !errors.As(err, &ce) || ce.Code != "agent_busy" || dl.calls != 0 {
		t.Fatalf("a refusal: behind %v, err %v, the other worker got %d calls", behind, err, dl.calls)
	}
}

// TestSyncSkipsUnresponsive: a computing worker that missed a heartbeat
// (unresponsive on chain) leaves the pool's members at the next sync and
// comes back once a heartbeat brings it back; the control is the same
// worker while it computes.
func TestSyncSkipsUnresponsive(t *testing.T) {
	op := testchain.NewKey(t)
	l := testchain.New(t, op.Address(), testchain.Verifier(testchain.AnyQuote{}), testchain.Genesis(func(g *chain.Genesis) {
		g.Params.Staking = chain.StakingParams{MinContribution: "1", StakeK: "1", HeartbeatBlocks: 1, HeartbeatWindow: 2}
	}))
	id, err := identity.New(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub := id.PublicKey()
	w := chain.WorkerID(pub)
	for _, m := range []func(n uint64) chain.Msg{
		func(n uint64) chain.Msg {
			return chain.RegisterWorker{TEE: "sim", PublicKey: pub, Endpoint: "https://127.0.0.1:1", Quote: []byte("q"), Nonce: n}
		},
		func(n uint64) chain.Msg { return chain.CreatePool{Cap: new(big.Int), Nonce: n} },
		func(n uint64) chain.Msg { return chain.AddPoolWorker{Pool: 1, Worker: w, Nonce: n} },
		func(n uint64) chain.Msg { return chain.Contribute{Pool: 1, Amount: big.NewInt(100), Nonce: n} },
		func(n uint64) chain.Msg { return chain.StartComputing{Worker: w, Stake: big.NewInt(50), Nonce: n} },
	} {
		l.MustSend(op, m)
	}
	p := &Pool{cfg: DefaultPoolConfig(), log: slog.New(slog.DiscardHandler), members: map[cove.Hash]*member{}, refused: map[cove.Hash]string{}, view: l.View}
	state := func() string {
		pw, err := l.View().PoolWorker(w)
		if err != nil {
			t.Fatal(err)
		}
		return pw.State
	}
	p.sync()
	if state() != chain.PoolWorkerComputing || p.members[w] == nil {
		t.Fatalf("a computing worker (%s) is not a member", state())
	}
	for range 10 {
		if state() == chain.PoolWorkerUnresponsive {
			break
		}
		l.Block()
	}
	p.sync()
	if state() != chain.PoolWorkerUnresponsive || p.members[w] != nil {
		t.Fatalf("an unresponsive worker (%s) is still a member", state())
	}
	for range 5 {
		if pw, _ := l.View().PoolWorker(w); pw.Challenge != 0 {
			break
		}
		l.Block()
	}
	pw, _ := l.View().PoolWorker(w)
	hb := chain.Heartbeat{Worker: w, Challenge: uint64(pw.Challenge), Seed: pw.ChallengeSeed, Iterations: 1}
	d := hb.IdentityDigest(l.View().ChainID())
	hb = hb.WithIdentitySig(id.Sign(d[:]))
	l.MustSend(op, func(n uint64) chain.Msg { hb.Nonce = n; return hb })
	p.sync()
	if state() != chain.PoolWorkerComputing || p.members[w] == nil {
		t.Fatalf("after a heartbeat (%s) the worker is not a member again", state())
	}
}

// vouchering is a worker that takes paid calls at its link: it lists the
// vouchers it accepted, to the Cove-Auth it expects.
type vouchering struct {
	answering
	list []api.Redeemable
}

func (w *vouchering) Vouchers(_ context.Context, _ cove.AgentID, auth string) ([]api.Redeemable, error) {
	if auth != "AUTH" {
		return nil, &cove.Error{Status: http.StatusForbidden, Code: "not_owner", Message: "not the owner's"}
	}
	return w.list, nil
}

// serveLink serves w on a link at 127.0.0.1 until the test ends and
// returns a Remote pinned to it.
func serveLink(t *testing.T, w Worker) *Remote {
	t.Helper()
	id, err := identity.New(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := Certificate(id.TLSSigner())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := slog.New(slog.DiscardHandler)
	go func() { done <- Serve(ctx, ln, cert, Handler(w, 1<<20, log), log) }()
	r, err := NewRemote("https://"+ln.Addr().String(), id.PublicKey(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); cancel(); <-done })
	return r
}

// TestPoolVouchers: a gateway's pool asks its own worker in process and
// every remote worker over the link for the vouchers they accepted,
// passing the owner's Cove-Auth on; a worker that refuses it, that takes
// no paid calls, or that is unreachable is an error beside the others'
// lists.
func TestPoolVouchers(t *testing.T) {
	v := func(ch uint64, amount string) api.Redeemable { return api.Redeemable{Channel: ch, Amount: amount} }
	local := &vouchering{list: []api.Redeemable{v(1, "10")}}
	m1 := member0(1, 0, false, 0)
	m1.remote = serveLink(t, &vouchering{list: []api.Redeemable{v(1, "30"), v(2, "5")}})
	m2 := member0(2, 0, false, 0)
	m2.remote = serveLink(t, &answering{}) // no vouchers: 404
	m3 := member0(3, 0, false, 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := "https://" + ln.Addr().String()
	ln.Close()
	idGone, err := identity.New(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if m3.remote, err = NewRemote(gone, idGone.PublicKey(), 1<<20); err != nil {
		t.Fatal(err)
	}
	p := testPool(m1, m2, m3)
	p.local = local
	lists, errs := p.Vouchers(t.Context(), cove.AgentID{1}, "AUTH")
	merged := api.MergeRedeemables(lists...)
	if len(lists) != 2 || len(merged) != 2 || merged[0].Amount != "30" || merged[1].Amount != "5" || len(errs) != 2 {
		t.Fatalf("lists %+v, merged %+v, errs %v", lists, merged, errs)
	}
	// The owner's Cove-Auth is what the workers check.
	if lists, errs := p.Vouchers(t.Context(), cove.AgentID{1}, "NOT THE OWNER'S"); len(lists) != 0 || len(errs) != 4 {
		t.Fatalf("with another Cove-Auth: %+v %v", lists, errs)
	}
}

// TestInvokeBoundWorker: a call whose payment channel is bound to a worker
// (cove.Call.Worker) runs on that worker even when another is idler; one
// bound to a worker the pool does not route to is refused with 402, and
// nothing runs (the control: the same call bound to a member runs); the
// workers offered to bind to are those in rotation, the idlest first.
func TestInvokeBoundWorker(t *testing.T) {
	op := testchain.NewKey(t)
	l := testchain.New(t, op.Address(), testchain.Verifier(testchain.AnyQuote{}))
	gonePub := []byte("a registered worker out of rotation")
	l.MustSend(op, func(n uint64) chain.Msg {
		return chain.RegisterWorker{TEE: "sim", PublicKey: gonePub, Endpoint: "https://127.0.0.1:1", Quote: []byte("q"), Nonce: n}
	})
	code := []byte("agent")
	l.MustSend(op, func(n uint64) chain.Msg {
		return chain.DeployAgent{Name: "a", CID: cid.Of(code), CodeHash: cove.SHA256(code), Salt: cove.Hash{1}, Nonce: n}
	})
	id := cove.DeriveAgentID(op.Address(), cove.SHA256(code), cove.Hash{1})
	idle, busy := member0(1, 0, true, 0), member0(2, 3, true, 0)
	il, bl := &answering{}, &answering{}
	idle.local, busy.local = il, bl
	// Never offered: one down, one not ready, one without the agent's
	// key epoch (0).
	down, unready, noEpoch := member0(3, 0, true, 0), member0(4, 0, true, 0), member0(5, 0, true, 1)
	down.up, unready.health.Ready = false, false
	p := testPool(idle, busy, down, unready, noEpoch)
	p.view = l.View
	if got := p.WorkersFor(id); len(got) != 2 || got[0] != idle.id || got[1] != busy.id {
		t.Fatalf("workers to bind to: %v", got)
	}
	call := cove.Call{Method: "GET", Path: "/agents/x", Host: "h", Worker: busy.id}
	if resp, err := p.Invoke(t.Context(), id, call); err != nil || resp.Status != 200 || bl.calls != 1 || il.calls != 0 {
		t.Fatalf("bound to the busy worker: %+v %v; calls %d and %d", resp, err, il.calls, bl.calls)
	}
	call.Worker = cove.Hash{9}
	var ce *cove.Error
	if _, err := p.Invoke(t.Context(), id, call); !errors.As(err, &ce) || ce.Status != http.StatusPaymentRequired || !strings.Contains(ce.Message, "no such worker is registered") || il.calls+bl.calls != 1 {
		t.Fatalf("bound to a worker that does not exist: %v", err)
	}
	// A registered worker out of the pool for now: 503, retry.
	call.Worker = chain.WorkerID(gonePub)
	if _, err := p.Invoke(t.Context(), id, call); !errors.As(err, &ce) || ce.Status != http.StatusServiceUnavailable || ce.Code != CodeNoWorker || ce.RetryAfter == 0 || il.calls+bl.calls != 1 {
		t.Fatalf("bound to a registered worker out of rotation: %v", err)
	}
}
