package validator

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/libs/protoio"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/p2p/conn"
	tmp2p "github.com/cometbft/cometbft/proto/tendermint/p2p"
	"github.com/cometbft/cometbft/version"
	"github.com/cosmos/gogoproto/proto"
	gogotypes "github.com/cosmos/gogoproto/types"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/internal/testport"
)

// fakePeer is another node's side of one p2p connection to the validator,
// built from CometBFT's own secret connection and multiplexed connection:
// it completes the handshake as the node with key, answers the
// multiplexer's pings and reads everything, and sends liveness heartbeats
// only if beat is set.
type fakePeer struct {
	mc     *conn.MConnection
	closed chan struct{} // closed when the validator ends the connection
	once   sync.Once
	quit   chan struct{}
}

// dialFake connects to the validator at addr as the node with key on
// network, advertising the liveness channel if speaks is set. It returns
// an error when the validator refuses the connection during or right after
// the handshake.
func dialFake(t *testing.T, addr, network string, key ed25519.PrivKey, speaks, beat bool, every time.Duration) (*fakePeer, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	sc, err := conn.MakeSecretConnection(c, key)
	if err != nil {
		c.Close()
		return nil, err
	}
	ch := byte(0x30) // the mempool's: a channel in common, no heartbeat
	if speaks {
		ch = livenessChannel
	}
	info := p2p.DefaultNodeInfo{
		ProtocolVersion: p2p.NewProtocolVersion(version.P2PProtocol, version.BlockProtocol, 0),
		DefaultNodeID:   p2p.PubKeyToID(key.PubKey()),
		ListenAddr:      "127.0.0.1:1",
		Network:         network,
		Version:         version.TMCoreSemVer,
		Channels:        []byte{ch},
		Moniker:         "fake",
	}
	errc := make(chan error, 2)
	go func() { _, err := protoio.NewDelimitedWriter(sc).WriteMsg(info.ToProto()); errc <- err }()
	go func() {
		var theirs tmp2p.DefaultNodeInfo
		_, err := protoio.NewDelimitedReader(sc, p2p.MaxNodeInfoSize()).ReadMsg(&theirs)
		errc <- err
	}()
	for range 2 {
		if err := <-errc; err != nil {
			c.Close()
			return nil, err
		}
	}
	f := &fakePeer{closed: make(chan struct{}), quit: make(chan struct{})}
	desc := []*conn.ChannelDescriptor{{ID: ch, Priority: 1, SendQueueCapacity: 8, RecvBufferCapacity: 1 << 10, RecvMessageCapacity: 1 << 20, MessageType: &gogotypes.UInt64Value{}}}
	f.mc = conn.NewMConnectionWithConfig(sc, desc, func(byte, []byte) {}, func(any) { f.once.Do(func() { close(f.closed) }) }, conn.DefaultMConnConfig())
	f.mc.SetLogger(cmtlog.NewNopLogger()) // its channels have none until set
	if err := f.mc.Start(); err != nil {
		c.Close()
		return nil, err
	}
	t.Cleanup(f.stop)
	if beat {
		msg, _ := proto.Marshal(&gogotypes.UInt64Value{Value: 1})
		go func() {
			tick := time.NewTicker(every)
			defer tick.Stop()
			for {
				select {
				case <-f.quit:
					return
				case <-tick.C:
					f.mc.Send(livenessChannel, msg)
				}
			}
		}()
	}
	// A refused connection is closed right after the handshake.
	select {
	case <-f.closed:
		return nil, errors.New("the validator closed the connection after the handshake")
	case <-time.After(300 * time.Millisecond):
	}
	return f, nil
}

func (f *fakePeer) stop() {
	select {
	case <-f.quit:
	default:
		close(f.quit)
		f.mc.Stop()
	}
}

// isClosed reports whether the validator ended the connection.
func (f *fakePeer) isClosed() bool {
	select {
	case <-f.closed:
		return true
	default:
		return false
	}
}

// peerIDs lists the validator's peers.
func peerIDs(s *Server) map[p2p.ID]bool {
	ids := map[p2p.ID]bool{}
	for _, p := range s.node.Switch().Peers().List() {
		ids[p.ID()] = true
	}
	return ids
}

// TestSilentPeerDropped: a connection that outlived its node (here a peer
// that answers pings but sends no heartbeat) holds the node's place in the
// validator's peer set, so the node's new connection is refused as a
// duplicate; the validator drops the silent one after the silence bound
// and the node's next connection is accepted and kept, because it sends
// heartbeats (the control: same key, same validator, only the heartbeat
// differs). A peer that does not advertise the liveness channel (other
// software) is left to CometBFT's own ping.
func TestSilentPeerDropped(t *testing.T) {
	home, _ := oneValidatorHome(t, "cove-liveness-test", cove.Address{1}, 1)
	cfg := DefaultConfig()
	cfg.Home = home
	cfg.P2PAddr = testport.Addr(t)
	cfg.RPCAddr = ""
	cfg.heartbeat, cfg.silence = 100*time.Millisecond, 1500*time.Millisecond
	r := start(t, cfg)
	waitHeight(t, r.s, 1)
	network := r.s.Name()

	key := ed25519.GenPrivKey()
	id := p2p.PubKeyToID(key.PubKey())
	old, err := dialFake(t, cfg.P2PAddr, network, key, true, false, 0)
	if err != nil {
		t.Fatalf("the first connection: %v", err)
	}
	if !peerIDs(r.s)[id] {
		t.Fatal("the validator did not add the first connection as a peer")
	}
	// While the silent connection holds the place, the node cannot rejoin.
	if _, err := dialFake(t, cfg.P2PAddr, network, key, true, true, cfg.heartbeat); err == nil {
		t.Fatal("a second connection from the same node was accepted while the first was a peer: the test cannot show the duplicate refusal")
	}
	began := time.Now()
	for !old.isClosed() {
		if time.Since(began) > 5*cfg.silence {
			t.Fatalf("the silent peer was still connected %s after its last heartbeat (bound %s)", time.Since(began).Round(time.Millisecond), cfg.silence)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("the silent peer was dropped %s after it connected (bound %s)", time.Since(began).Round(time.Millisecond), cfg.silence)

	var live *fakePeer
	for deadline := time.Now().Add(5 * time.Second); ; {
		if live, err = dialFake(t, cfg.P2PAddr, network, key, true, true, cfg.heartbeat); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node's new connection after the silent one was dropped: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(3 * cfg.silence)
	if live.isClosed() || !peerIDs(r.s)[id] {
		t.Fatalf("a peer that sends heartbeats was dropped within %s", 3*cfg.silence)
	}

	// Other software, without the channel: never dropped for silence.
	other := ed25519.GenPrivKey()
	foreign, err := dialFake(t, cfg.P2PAddr, network, other, false, false, 0)
	if err != nil {
		t.Fatalf("a peer without the liveness channel: %v", err)
	}
	time.Sleep(3 * cfg.silence)
	if foreign.isClosed() || !peerIDs(r.s)[p2p.PubKeyToID(other.PubKey())] {
		t.Fatal("a peer that does not speak the heartbeat was dropped for silence")
	}
}

// stubPeer is a p2p.Peer for the reactor's own logic: an id, node info
// with or without the liveness channel, and TrySend counted.
type stubPeer struct {
	p2p.Peer
	id   p2p.ID
	sent int
}

func (p *stubPeer) ID() p2p.ID { return p.id }
func (p *stubPeer) NodeInfo() p2p.NodeInfo {
	return p2p.DefaultNodeInfo{DefaultNodeID: p.id, Channels: []byte{livenessChannel}}
}
func (p *stubPeer) TrySend(p2p.Envelope) bool { p.sent++; return true }

// TestLivenessStallGuard: one silent peer among heard ones is dropped;
// when every peer of two or more is silent at once (this node stalled),
// none is, and each gets its full silence again; a lone silent peer is
// dropped (a two-validator network's case).
func TestLivenessStallGuard(t *testing.T) {
	now := time.Unix(1000, 0)
	newReactor := func() (*livenessReactor, *[]p2p.ID) {
		r := newLivenessReactor(time.Second, 10*time.Second)
		r.now = func() time.Time { return now }
		var dropped []p2p.ID
		r.drop = func(p p2p.Peer, _ any) { dropped = append(dropped, p.ID()) }
		return r, &dropped
	}
	a, b, c := &stubPeer{id: "a"}, &stubPeer{id: "b"}, &stubPeer{id: "c"}

	r, dropped := newReactor()
	r.AddPeer(a)
	r.AddPeer(b)
	now = now.Add(11 * time.Second)
	r.Receive(p2p.Envelope{ChannelID: livenessChannel, Src: a})
	r.beat()
	if len(*dropped) != 1 || (*dropped)[0] != "b" {
		t.Fatalf("one silent peer beside a heard one: dropped %v, want [b]", *dropped)
	}

	r, dropped = newReactor()
	r.AddPeer(a)
	r.AddPeer(c)
	now = now.Add(11 * time.Second)
	r.beat()
	if len(*dropped) != 0 {
		t.Fatalf("every peer silent at once: dropped %v, want none", *dropped)
	}
	now = now.Add(9 * time.Second)
	r.beat()
	if len(*dropped) != 0 {
		t.Fatalf("9 s after the stall ended: dropped %v, want none (the silence counts again)", *dropped)
	}

	r, dropped = newReactor()
	r.AddPeer(a)
	now = now.Add(11 * time.Second)
	r.beat()
	if len(*dropped) != 1 {
		t.Fatalf("a lone silent peer: dropped %v, want it", *dropped)
	}
}
