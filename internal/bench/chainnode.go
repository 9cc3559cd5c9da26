package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testchain"
	"github.com/cove-network/cove/internal/testnet/cometrpc"
	"github.com/cove-network/cove/internal/testport"
	"github.com/cove-network/cove/node"
)

// chainNode is the validator under test, running in this process.
type chainNode struct {
	c       *client.Client
	rpc     *cometrpc.Client
	cancel  context.CancelFunc
	done    chan error
	tempDir string
	once    sync.Once
}

func startChainNode(ctx context.Context, o ChainOptions, funded []cove.Address, log *slog.Logger) (*chainNode, error) {
	v := &chainNode{}
	dir := o.DataDir
	if dir == "" {
		d, err := os.MkdirTemp("", "cove-bench-chain-")
		if err != nil {
			return nil, fmt.Errorf("bench data dir: %w", err)
		}
		dir, v.tempDir = d, d
	}
	base, err := testport.Consecutive(3)
	if err != nil {
		v.removeTemp()
		return nil, err
	}
	homes, err := node.InitTestnet(filepath.Join(dir, "net"), node.Layout{Validators: 1}, base, funded)
	if err != nil {
		v.removeTemp()
		return nil, err
	}
	cfg, err := node.LoadConfig(homes[0].Home)
	if err != nil {
		v.removeTemp()
		return nil, err
	}
	cfg.Validator.BlockInterval = o.BlockInterval
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		v.removeTemp()
		return nil, fmt.Errorf("listen: %w", err)
	}
	n, err := node.New(cfg, log)
	if err != nil {
		ln.Close()
		v.removeTemp()
		return nil, err
	}
	nctx, cancel := context.WithCancel(context.Background())
	v.cancel, v.done = cancel, make(chan error, 1)
	go func() { v.done <- n.Run(nctx, ln) }()
	v.rpc = cometrpc.New(homes[0].RPC)
	v.c, err = client.New("http://" + homes[0].HTTP)
	if err == nil {
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		err = v.waitHeight(wctx, 2)
		wcancel()
	}
	if err != nil {
		v.stop()
		return nil, err
	}
	return v, nil
}

// waitHeight polls CometBFT until it has committed height h.
func (v *chainNode) waitHeight(ctx context.Context, h int64) error {
	for {
		got, err := v.rpc.LatestHeight(ctx)
		if err == nil && got >= h {
			return nil
		}
		select {
		case err := <-v.done:
			v.done <- err
			return fmt.Errorf("the node stopped: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("the validator did not reach height %d (at %d, %v): %w", h, got, err, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// nonceSum returns the sum of the accounts' nonces: how many of their
// transactions are committed.
func (v *chainNode) nonceSum(ctx context.Context, keys []*testchain.Key) (uint64, error) {
	var n uint64
	for _, k := range keys {
		a, err := v.c.Account(ctx, k.Address())
		if err != nil {
			return 0, err
		}
		n += a.Nonce
	}
	return n, nil
}

// waitApp polls the gateway until the app has committed height h.
func (v *chainNode) waitApp(ctx context.Context, h int64) error {
	for {
		st, err := v.c.ChainStatus(ctx)
		if err == nil && st.Height >= h {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the app did not commit height %d (at %d, %v): %w", h, st.Height, err, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (v *chainNode) stop() {
	v.once.Do(func() {
		if v.cancel != nil {
			v.cancel()
			<-v.done
		}
		v.removeTemp()
	})
}

func (v *chainNode) removeTemp() {
	if v.tempDir != "" {
		os.RemoveAll(v.tempDir)
	}
}

// idle measures the block interval of empty blocks for d.
func (v *chainNode) idle(ctx context.Context, d time.Duration) (ChainPhase, error) {
	h0, err := v.rpc.LatestHeight(ctx)
	if err != nil {
		return ChainPhase{}, err
	}
	// The window is the measurement, not a synchronisation.
	select {
	case <-ctx.Done():
		return ChainPhase{}, ctx.Err()
	case <-time.After(d):
	}
	h1, err := v.rpc.LatestHeight(ctx)
	if err != nil {
		return ChainPhase{}, err
	}
	hs, err := v.rpc.Headers(ctx, h0, h1)
	if err != nil {
		return ChainPhase{}, err
	}
	p := ChainPhase{Name: "idle"}
	blockStats(&p, hs)
	return p, nil
}

// load submits every key's transactions in order, the keys concurrently,
// and waits until the blocks hold all that CheckTx accepted.
func (v *chainNode) load(ctx context.Context, name string, keys []*testchain.Key, txs [][][]byte) (ChainPhase, error) {
	p := ChainPhase{Name: name}
	for _, l := range txs {
		p.Txs += len(l)
	}
	nonces0, err := v.nonceSum(ctx, keys)
	if err != nil {
		return p, err
	}
	h0, err := v.rpc.LatestHeight(ctx)
	if err != nil {
		return p, err
	}
	start := time.Now()
	cpu0, ok0 := ProcessCPU()
	busy0, okb0 := MachineBusy()
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		refused int
		first   string
		fatal   error
	)
	for _, l := range txs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, tx := range l {
				res, err := v.rpc.BroadcastSync(ctx, tx)
				for errors.Is(err, cometrpc.ErrMempoolFull) && ctx.Err() == nil {
					time.Sleep(10 * time.Millisecond) // back-pressure, not synchronisation
					res, err = v.rpc.BroadcastSync(ctx, tx)
				}
				if err == nil && res.Code == 0 {
					continue
				}
				mu.Lock()
				if err != nil && fatal == nil {
					fatal = err
				}
				// The account's later nonces cannot pass CheckTx now.
				refused += len(l) - i
				if first == "" && err == nil {
					first = fmt.Sprintf("%s (code %d)", res.Log, res.Code)
				}
				mu.Unlock()
				return
			}
		}()
	}
	wg.Wait()
	p.SubmitS = time.Since(start).Seconds()
	if fatal != nil {
		return p, fmt.Errorf("%s: broadcast: %w", name, fatal)
	}
	p.Refused, p.FirstRefusal = refused, first
	want := p.Txs - p.Refused

	// Count the transactions of the new blocks; once they could hold all of
	// ours, check the senders' nonces (the node sends transactions of its
	// own too, which the blocks also hold).
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var (
		hs      []cometrpc.Header
		inBlock int
		next    = h0 + 1
	)
	for {
		top, err := v.rpc.LatestHeight(wctx)
		if err != nil {
			return p, fmt.Errorf("%s: %w", name, err)
		}
		if top >= next {
			more, err := v.rpc.Headers(wctx, next, top)
			if err != nil {
				return p, err
			}
			hs = append(hs, more...)
			for _, h := range more {
				inBlock += h.NumTxs
			}
			next = top + 1
			if inBlock >= want {
				// CometBFT stores a block before the app commits it.
				if err := v.waitApp(wctx, top); err != nil {
					return p, err
				}
				n, err := v.nonceSum(wctx, keys)
				if err != nil {
					return p, err
				}
				if n-nonces0 == uint64(want) {
					break
				}
			}
			continue
		}
		select {
		case <-wctx.Done():
			return p, fmt.Errorf("%s: %d transactions in blocks, %d of ours accepted: %w", name, inBlock, want, wctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	p.CommitS = time.Since(start).Seconds()
	cpu1, ok1 := ProcessCPU()
	busy1, okb1 := MachineBusy()
	p.Committed, p.Others = want, inBlock-want
	p.OtherCores = -1
	if ok0 && ok1 {
		p.CPUPerTxMS = millis(cpu1-cpu0) / float64(max(p.Committed, 1))
		if okb0 && okb1 {
			p.OtherCores = max(0, ((busy1-busy0)-(cpu1-cpu0)).Seconds()/p.CommitS)
		}
	}
	p.TPS = float64(p.Committed) / p.CommitS
	before, err := v.rpc.Header(ctx, h0)
	if err != nil {
		return p, err
	}
	if len(hs) > 0 {
		if d := hs[len(hs)-1].Time.Sub(before.Time).Seconds(); d > 0 {
			p.BlockTPS = float64(p.Committed) / d
		}
	}
	blockStats(&p, append([]cometrpc.Header{before}, hs...))
	return p, nil
}
