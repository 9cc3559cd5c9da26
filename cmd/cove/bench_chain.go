package main

import (
	"context"
	"crypto/ecdsa"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/big"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/spf13/cobra"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/bundle"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/ethsig"
	"github.com/cove-network/cove/internal/bench"
	"github.com/cove-network/cove/internal/testnet/cometrpc"
	"github.com/cove-network/cove/node"
)

type benchChainOptions struct {
	txs           int
	deploys       int
	accounts      int
	idle          time.Duration
	blockInterval time.Duration
	dataDir       string
	asJSON        bool
	cpuProfile    string
}

func newBenchChainCmd(g *globals) *cobra.Command {
	o := benchChainOptions{txs: 5000, deploys: 2000, accounts: 32, idle: 5 * time.Second, blockInterval: 200 * time.Millisecond}
	cmd := &cobra.Command{
		Use:   "chain",
		Short: "Measure committed transactions/s and the block interval of one validator",
		Long: `Start one validator in this process (every role, as cove dev, with the block
interval of cove dev) whose genesis funds --accounts accounts. First watch the idle
chain for --idle to measure the block interval of empty blocks. Then pre-sign
--txs Transfer transactions spread over the accounts and submit them all, each
account in nonce order, concurrently across accounts, through CometBFT's RPC
broadcast_tx_sync (the gateway's POST /v1/chain/tx waits for each block); count
the transactions in the blocks until all are committed. Then the same with
--deploys DeployAgent transactions of examples/hello.ts (uploaded once, a new salt
each).

For each phase it prints committed transactions/s (from the first submission to
the block holding the last one, by the wall clock and by block time), the blocks
and their interval (median, p99 and max of the deltas of the block header
times). Run it from the repository root on an otherwise idle machine.`,
		Example: `  go run ./cmd/cove bench chain
  go run ./cmd/cove bench chain --txs 20000 --accounts 64 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.txs < 1 || o.deploys < 0 || o.accounts < 1 || o.idle < 0 || o.blockInterval <= 0 {
				return errors.New("--txs and --accounts must be positive, --deploys and --idle not negative, --block-interval positive")
			}
			if o.deploys > 0 {
				if _, err := os.Stat(benchAgent); err != nil {
					wd, _ := os.Getwd()
					return fmt.Errorf("%s not found in %s: run from the repository root (or --deploys 0)", benchAgent, wd)
				}
			}
			log, err := benchLogger(cmd, g)
			if err != nil {
				return err
			}
			rep, err := runBenchChain(cmd.Context(), o, log, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if o.asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			rep.print(cmd.OutOrStdout())
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.txs, "txs", o.txs, "Transfer transactions to commit")
	f.IntVar(&o.deploys, "deploys", o.deploys, "DeployAgent transactions to commit (0 skips the phase)")
	f.IntVar(&o.accounts, "accounts", o.accounts, "funded sender accounts, each submitting its share in nonce order")
	f.DurationVar(&o.idle, "idle", o.idle, "how long to watch the idle chain for the empty-block interval")
	f.DurationVar(&o.blockInterval, "block-interval", o.blockInterval, "the validator's block interval (CometBFT timeout_commit)")
	f.StringVar(&o.dataDir, "data-dir", "", "the node's directory (default a temporary one, removed after; must be new or empty)")
	f.BoolVar(&o.asJSON, "json", false, "print the results as JSON")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the transfer and deploy phases to this file (go tool pprof)")
	return cmd
}

// benchChainReport is everything `cove bench chain` measured.
type benchChainReport struct {
	Date            string        `json:"date"`
	Machine         bench.Machine `json:"machine"`
	LoadAvgEnd      string        `json:"loadavgAfter,omitempty"`
	BlockIntervalMS float64       `json:"blockIntervalMs"` // the configured timeout_commit
	Accounts        int           `json:"accounts"`
	Phases          []chainPhase  `json:"phases"`
}

// chainPhase is one row of the table.
type chainPhase struct {
	Name string `json:"name"`
	// Txs were submitted; Refused of them CheckTx refused (FirstRefusal
	// says why); Committed were found in blocks.
	Txs          int    `json:"txs"`
	Refused      int    `json:"refused"`
	FirstRefusal string `json:"firstRefusal,omitempty"`
	Committed    int    `json:"committed"`
	// Others are transactions of other senders in the same blocks (the
	// node's own: worker registration, the gatekeeper's work).
	Others int `json:"otherTxsInBlocks"`
	// SubmitS is the time to submit every transaction (until the last
	// CheckTx answered); CommitS from the first submission until the block
	// holding the last transaction was seen.
	SubmitS float64 `json:"submitSeconds"`
	CommitS float64 `json:"commitSeconds"`
	// TPS is Committed/CommitS; BlockTPS is Committed divided by the block
	// time from the last block before the phase to the last block of it.
	TPS      float64 `json:"txPerSecond"`
	BlockTPS float64 `json:"txPerSecondByBlockTime"`
	// Blocks of the phase, the most transactions in one, and the interval
	// between consecutive block header times.
	Blocks         int     `json:"blocks"`
	MaxTxsPerBlock int     `json:"maxTxsPerBlock"`
	IntervalP50MS  float64 `json:"blockIntervalP50Ms"`
	IntervalP99MS  float64 `json:"blockIntervalP99Ms"`
	IntervalMaxMS  float64 `json:"blockIntervalMaxMs"`
	// CPUPerTxMS is this process's CPU time (validator, gateway, worker and
	// load generator) per committed transaction; OtherCores the cores other
	// processes kept busy on average meanwhile (-1 where unknown).
	CPUPerTxMS float64 `json:"cpuMsPerTx,omitempty"`
	OtherCores float64 `json:"otherProcessesCores"`
}

func runBenchChain(ctx context.Context, o benchChainOptions, log *slog.Logger, progress io.Writer) (*benchChainReport, error) {
	say := func(format string, args ...any) { fmt.Fprintf(progress, "bench chain: "+format+"\n", args...) }
	rep := &benchChainReport{
		Date:            time.Now().UTC().Format(time.RFC3339),
		Machine:         bench.ThisMachine(),
		BlockIntervalMS: ms(o.blockInterval),
		Accounts:        o.accounts,
	}
	say("%d CPUs (%s), load average %s", rep.Machine.CPUs, rep.Machine.Model, rep.Machine.LoadAvg)

	keys := make([]*benchKey, o.accounts)
	funded := make([]cove.Address, o.accounts)
	for i := range keys {
		k, err := newBenchKey()
		if err != nil {
			return nil, err
		}
		keys[i], funded[i] = k, k.addr
	}
	v, err := startChainBenchNode(ctx, o, funded, log)
	if err != nil {
		return nil, err
	}
	defer v.stop()
	st, err := v.c.ChainStatus(ctx)
	if err != nil {
		return nil, err
	}
	chainID := st.NumericChainID

	if o.idle > 0 {
		say("watching the idle chain for %s...", o.idle)
		p, err := v.idle(ctx, o.idle)
		if err != nil {
			return nil, err
		}
		rep.Phases = append(rep.Phases, p)
	}

	say("signing %d transfers from %d accounts...", o.txs, o.accounts)
	sink := keys[0].addr
	txs, err := signSpread(keys, o.txs, make([]uint64, len(keys)), func(k, j int, nonce uint64) chain.Msg {
		return chain.Transfer{To: sink, Amount: big.NewInt(1), Nonce: nonce}
	}, chainID)
	if err != nil {
		return nil, err
	}
	stopProfile, err := startBenchProfile(o.cpuProfile)
	if err != nil {
		return nil, err
	}
	defer stopProfile()
	say("committing %d transfers...", o.txs)
	p, err := v.load(ctx, "transfers", keys, txs)
	if err != nil {
		return nil, err
	}
	rep.Phases = append(rep.Phases, p)

	if o.deploys > 0 {
		code, err := bundle.Build(benchAgent)
		if err != nil {
			return nil, err
		}
		cid, err := v.c.PutBlob(ctx, code.Code)
		if err != nil {
			return nil, fmt.Errorf("upload %s: %w", benchAgent, err)
		}
		codeHash := cove.SHA256(code.Code)
		nonces := make([]uint64, len(keys))
		for i, k := range keys {
			a, err := v.c.Account(ctx, k.addr)
			if err != nil {
				return nil, err
			}
			nonces[i] = a.Nonce
		}
		say("signing %d deploys of %s (%d bytes)...", o.deploys, benchAgent, len(code.Code))
		txs, err := signSpread(keys, o.deploys, nonces, func(k, j int, nonce uint64) chain.Msg {
			var salt cove.Hash
			binary.BigEndian.PutUint64(salt[:8], uint64(k))
			binary.BigEndian.PutUint64(salt[8:16], uint64(j))
			return chain.DeployAgent{Name: "bench-hello", CID: cid, CodeHash: codeHash, Salt: salt, Nonce: nonce}
		}, chainID)
		if err != nil {
			return nil, err
		}
		say("committing %d deploys...", o.deploys)
		p, err := v.load(ctx, "deploys", keys, txs)
		if err != nil {
			return nil, err
		}
		rep.Phases = append(rep.Phases, p)
	}

	rep.LoadAvgEnd = bench.LoadAvg()
	return rep, nil
}

// signSpread signs n messages spread over the keys (key k gets every
// len(keys)-th), each key's in nonce order from nonces[k]. The result holds
// one list per key.
func signSpread(keys []*benchKey, n int, nonces []uint64, msg func(k, j int, nonce uint64) chain.Msg, chainID uint64) ([][][]byte, error) {
	out := make([][][]byte, len(keys))
	for i := range n {
		k := i % len(keys)
		j := len(out[k])
		tx, err := chain.SignTx(chainID, msg(k, j, nonces[k]+uint64(j)), keys[k].sign)
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		out[k] = append(out[k], tx)
	}
	return out, nil
}

// chainBenchNode is the validator under test, running in this process.
type chainBenchNode struct {
	c       *client.Client
	rpc     *cometrpc.Client
	cancel  context.CancelFunc
	done    chan error
	tempDir string
	once    sync.Once
}

func startChainBenchNode(ctx context.Context, o benchChainOptions, funded []cove.Address, log *slog.Logger) (*chainBenchNode, error) {
	v := &chainBenchNode{}
	dir := o.dataDir
	if dir == "" {
		d, err := os.MkdirTemp("", "cove-bench-chain-")
		if err != nil {
			return nil, fmt.Errorf("bench data dir: %w", err)
		}
		dir, v.tempDir = d, d
	}
	base, err := benchFreePorts(3)
	if err != nil {
		v.removeTemp()
		return nil, err
	}
	homes, err := node.InitTestnet(filepath.Join(dir, "net"), 1, base, funded)
	if err != nil {
		v.removeTemp()
		return nil, err
	}
	cfg, err := node.LoadConfig(homes[0].Home)
	if err != nil {
		v.removeTemp()
		return nil, err
	}
	cfg.Validator.BlockInterval = o.blockInterval
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
func (v *chainBenchNode) waitHeight(ctx context.Context, h int64) error {
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
func (v *chainBenchNode) nonceSum(ctx context.Context, keys []*benchKey) (uint64, error) {
	var n uint64
	for _, k := range keys {
		a, err := v.c.Account(ctx, k.addr)
		if err != nil {
			return 0, err
		}
		n += a.Nonce
	}
	return n, nil
}

// waitApp polls the gateway until the app has committed height h.
func (v *chainBenchNode) waitApp(ctx context.Context, h int64) error {
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

func (v *chainBenchNode) stop() {
	v.once.Do(func() {
		if v.cancel != nil {
			v.cancel()
			<-v.done
		}
		v.removeTemp()
	})
}

func (v *chainBenchNode) removeTemp() {
	if v.tempDir != "" {
		os.RemoveAll(v.tempDir)
	}
}

// idle measures the block interval of empty blocks for d.
func (v *chainBenchNode) idle(ctx context.Context, d time.Duration) (chainPhase, error) {
	h0, err := v.rpc.LatestHeight(ctx)
	if err != nil {
		return chainPhase{}, err
	}
	// The window is the measurement, not a synchronisation.
	select {
	case <-ctx.Done():
		return chainPhase{}, ctx.Err()
	case <-time.After(d):
	}
	h1, err := v.rpc.LatestHeight(ctx)
	if err != nil {
		return chainPhase{}, err
	}
	hs, err := v.rpc.Headers(ctx, h0, h1)
	if err != nil {
		return chainPhase{}, err
	}
	p := chainPhase{Name: "idle"}
	blockStats(&p, hs)
	return p, nil
}

// load submits every key's transactions in order, the keys concurrently,
// and waits until the blocks hold all that CheckTx accepted.
func (v *chainBenchNode) load(ctx context.Context, name string, keys []*benchKey, txs [][][]byte) (chainPhase, error) {
	p := chainPhase{Name: name}
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
	cpu0, ok0 := bench.ProcessCPU()
	busy0, okb0 := bench.MachineBusy()
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
	cpu1, ok1 := bench.ProcessCPU()
	busy1, okb1 := bench.MachineBusy()
	p.Committed, p.Others = want, inBlock-want
	p.OtherCores = -1
	if ok0 && ok1 {
		p.CPUPerTxMS = ms(cpu1-cpu0) / float64(max(p.Committed, 1))
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

// blockStats fills the block fields of p from consecutive headers (the first
// one only anchors the first interval).
func blockStats(p *chainPhase, hs []cometrpc.Header) {
	if len(hs) < 2 {
		return
	}
	var d []time.Duration
	for i := 1; i < len(hs); i++ {
		d = append(d, hs[i].Time.Sub(hs[i-1].Time))
		p.MaxTxsPerBlock = max(p.MaxTxsPerBlock, hs[i].NumTxs)
	}
	p.Blocks = len(d)
	slices.Sort(d)
	p.IntervalP50MS = ms(d[len(d)/2])
	p.IntervalP99MS = ms(d[int(math.Ceil(0.99*float64(len(d))))-1])
	p.IntervalMaxMS = ms(d[len(d)-1])
}

// print writes the report as a Markdown table and a few lines.
func (r *benchChainReport) print(w io.Writer) {
	m := r.Machine
	model := m.Model
	if model == "" {
		model = "CPU model unknown"
	}
	fmt.Fprintf(w, "cove bench chain, %s: %d CPUs (%s), GOMAXPROCS %d, load average %s before, %s after\n",
		r.Date, m.CPUs, model, m.GOMAXPROCS, orUnknown(m.LoadAvg), orUnknown(r.LoadAvgEnd))
	fmt.Fprintf(w, "one validator in this process, block interval (timeout_commit) %s, %d sender accounts, broadcast_tx_sync\n\n",
		time.Duration(r.BlockIntervalMS*float64(time.Millisecond)), r.Accounts)
	fmt.Fprintln(w, "| phase | txs | committed tx/s | tx/s by block time | blocks | max txs/block | block interval p50 ms | p99 ms | max ms |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, p := range r.Phases {
		if p.Name == "idle" {
			fmt.Fprintf(w, "| idle (empty blocks) | 0 | | | %d | 0 | %.0f | %.0f | %.0f |\n", p.Blocks, p.IntervalP50MS, p.IntervalP99MS, p.IntervalMaxMS)
			continue
		}
		fmt.Fprintf(w, "| %s | %d | %.0f | %.0f | %d | %d | %.0f | %.0f | %.0f |\n",
			p.Name, p.Committed, p.TPS, p.BlockTPS, p.Blocks, p.MaxTxsPerBlock, p.IntervalP50MS, p.IntervalP99MS, p.IntervalMaxMS)
	}
	fmt.Fprintln(w)
	for _, p := range r.Phases {
		if p.Name == "idle" {
			continue
		}
		fmt.Fprintf(w, "%s: %d submitted in %.2f s (%.0f/s through CheckTx), all committed after %.2f s", p.Name, p.Txs, p.SubmitS, float64(p.Txs)/p.SubmitS, p.CommitS)
		if p.CPUPerTxMS > 0 {
			fmt.Fprintf(w, "; CPU %.3f ms/tx in this process", p.CPUPerTxMS)
		}
		if p.OtherCores >= 0 {
			fmt.Fprintf(w, "; other processes busy %.2f cores", p.OtherCores)
		}
		if p.Others > 0 {
			fmt.Fprintf(w, "; the blocks also held %d transactions of the node's own", p.Others)
		}
		if p.Refused > 0 {
			fmt.Fprintf(w, "; %d refused by CheckTx, first: %s", p.Refused, p.FirstRefusal)
		}
		fmt.Fprintln(w)
	}
}

// benchKey is a throwaway sender key.
type benchKey struct {
	priv *ecdsa.PrivateKey
	addr cove.Address
}

func newBenchKey() (*benchKey, error) {
	priv, err := crypto.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return &benchKey{priv: priv, addr: cove.Address(crypto.PubkeyToAddress(priv.PublicKey))}, nil
}

func (k *benchKey) sign(digest cove.Hash) ([65]byte, error) {
	return ethsig.Sign(k.priv, digest)
}

// benchFreePorts finds n consecutive free ports on 127.0.0.1 below the
// ephemeral range, for the node's p2p, RPC and gateway listeners.
func benchFreePorts(n int) (int, error) {
	for range 100 {
		base := 10000 + rand.IntN(16000)
		free := true
		var lns []net.Listener
		for p := base; p < base+n && free; p++ {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				free = false
				break
			}
			lns = append(lns, ln)
		}
		for _, ln := range lns {
			ln.Close()
		}
		if free {
			return base, nil
		}
	}
	return 0, errors.New("no free ports on 127.0.0.1")
}
