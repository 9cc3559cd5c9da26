package validator

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/p2p/conn"
	gogotypes "github.com/cosmos/gogoproto/types"
)

// Peer liveness. CometBFT finds a dead connection only by its own ping,
// sent after 60 s of silence and answered within 45 s, neither of them
// configurable in v0.38. Until then the peer stays in its peer set and a
// new connection from the same node is refused as a duplicate: a
// validator whose old connection outlived it (a half-open TCP connection
// after a power cut, or a connection CometBFT completed just after its
// switch stopped and so never closed) could not rejoin for ~105 s. Every
// Cove validator therefore sends each peer a heartbeat on its own channel
// every heartbeatInterval and drops a peer it has heard no heartbeat from
// for peerSilence; a persistent peer is then redialled as usual. Peers
// that do not advertise the channel (other software) are left to
// CometBFT's ping.

const (
	// livenessChannel is the heartbeat's p2p channel; CometBFT's own
	// reactors use 0x00-0x61.
	livenessChannel = byte(0xC0)
	// heartbeatInterval is how often a heartbeat goes to each peer.
	heartbeatInterval = time.Second
	// peerSilence is how long without a heartbeat drops a peer: fifteen
	// heartbeats, so a busy or briefly stalled peer is not dropped.
	peerSilence = 15 * time.Second
)

// errPeerSilent is why a silent peer was dropped.
var errPeerSilent = errors.New("no liveness heartbeat")

// livenessReactor sends and watches the heartbeats.
type livenessReactor struct {
	p2p.BaseReactor
	interval, silence time.Duration
	now               func() time.Time
	// drop disconnects a peer; the switch's StopPeerForError unless a
	// test replaces it.
	drop func(p2p.Peer, any)

	mu    sync.Mutex
	peers map[p2p.ID]*watchedPeer
	seq   uint64
	quit  chan struct{}
	done  chan struct{}
}

type watchedPeer struct {
	peer  p2p.Peer
	heard time.Time // the last heartbeat, or when the peer was added
}

func newLivenessReactor(interval, silence time.Duration) *livenessReactor {
	r := &livenessReactor{
		interval: interval,
		silence:  silence,
		now:      time.Now,
		peers:    make(map[p2p.ID]*watchedPeer),
	}
	r.BaseReactor = *p2p.NewBaseReactor("CoveLiveness", r)
	r.drop = func(p p2p.Peer, reason any) { r.Switch.StopPeerForError(p, reason) }
	return r
}

// GetChannels implements p2p.Reactor.
func (r *livenessReactor) GetChannels() []*conn.ChannelDescriptor {
	return []*conn.ChannelDescriptor{{
		ID:                  livenessChannel,
		Priority:            5,
		SendQueueCapacity:   2,
		RecvBufferCapacity:  64,
		RecvMessageCapacity: 64,
		MessageType:         &gogotypes.UInt64Value{},
	}}
}

// OnStart implements service.Service.
func (r *livenessReactor) OnStart() error {
	r.quit, r.done = make(chan struct{}), make(chan struct{})
	go r.loop(r.quit, r.done)
	return nil
}

// OnStop implements service.Service.
func (r *livenessReactor) OnStop() {
	close(r.quit)
	<-r.done
}

// AddPeer implements p2p.Reactor: a peer that speaks the heartbeat is
// watched from now on.
func (r *livenessReactor) AddPeer(p p2p.Peer) {
	if !hasChannel(p, livenessChannel) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.peers[p.ID()] = &watchedPeer{peer: p, heard: r.now()}
}

// RemovePeer implements p2p.Reactor.
func (r *livenessReactor) RemovePeer(p p2p.Peer, _ any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w, ok := r.peers[p.ID()]; ok && w.peer == p {
		delete(r.peers, p.ID())
	}
}

// Receive implements p2p.Reactor: any heartbeat from a watched peer counts.
func (r *livenessReactor) Receive(e p2p.Envelope) {
	if e.ChannelID != livenessChannel || e.Src == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if w, ok := r.peers[e.Src.ID()]; ok && w.peer == e.Src {
		w.heard = r.now()
	}
}

func (r *livenessReactor) loop(quit <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	for {
		select {
		case <-quit:
			return
		case <-tick.C:
			r.beat()
		}
	}
}

// beat sends every watched peer a heartbeat and drops those silent for
// longer than r.silence. When two or more are silent and none is heard,
// this node is the likely cause (CometBFT reads a connection's messages on
// one goroutine, and a consensus or mempool handler that blocks, behind a
// slow block commit say, stops the heartbeats' delivery too): none is
// dropped, and their silence counts again from now.
func (r *livenessReactor) beat() {
	r.mu.Lock()
	r.seq++
	now := r.now()
	var send []p2p.Peer
	var silent []*watchedPeer
	for _, w := range r.peers {
		if now.Sub(w.heard) > r.silence {
			silent = append(silent, w)
		} else {
			send = append(send, w.peer)
		}
	}
	if len(silent) >= 2 && len(send) == 0 {
		for _, w := range silent {
			w.heard = now
			send = append(send, w.peer)
		}
		silent = nil
	}
	seq := r.seq
	r.mu.Unlock()
	for _, p := range send {
		p.TrySend(p2p.Envelope{ChannelID: livenessChannel, Message: &gogotypes.UInt64Value{Value: seq}})
	}
	for _, w := range silent {
		r.drop(w.peer, fmt.Errorf("%w for %s", errPeerSilent, now.Sub(w.heard).Round(time.Second)))
	}
}

// hasChannel reports whether the peer advertised the channel.
func hasChannel(p p2p.Peer, ch byte) bool {
	ni, ok := p.NodeInfo().(p2p.DefaultNodeInfo)
	return ok && ni.HasChannel(ch)
}
