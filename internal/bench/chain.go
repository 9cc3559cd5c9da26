package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/big"
	"path/filepath"
	"slices"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/bundle"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/testchain"
	"github.com/cove-network/cove/internal/testnet/cometrpc"
)

// ChainOptions configures Chain.
type ChainOptions struct {
	// Txs is how many Transfer transactions to commit, Deploys how many
	// DeployAgent transactions (0 skips that phase), spread over Accounts
	// funded senders.
	Txs      int
	Deploys  int
	Accounts int
	// Idle is how long to watch the idle chain for the interval of empty
	// blocks (0 skips that phase).
	Idle time.Duration
	// BlockInterval is the validator's CometBFT timeout_commit.
	BlockInterval time.Duration
	// Dir is the repository root, where AgentFile is; "" is the current
	// directory.
	Dir string
	// DataDir is the node's directory, new or empty; "" means a temporary
	// one, removed afterwards.
	DataDir string
	// CPUProfile, if not nil, receives a CPU profile (runtime/pprof) of the
	// transfer and deploy phases.
	CPUProfile io.Writer
}

// DefaultChainOptions returns the defaults of `cove bench chain`.
func DefaultChainOptions() ChainOptions {
	return ChainOptions{Txs: 5000, Deploys: 2000, Accounts: 32, Idle: 5 * time.Second, BlockInterval: 200 * time.Millisecond}
}

// Validate reports options Chain cannot run with.
func (o ChainOptions) Validate() error {
	if o.Txs < 1 || o.Deploys < 0 || o.Accounts < 1 || o.Idle < 0 || o.BlockInterval <= 0 {
		return errors.New("bench: the transfers and accounts must be positive, the deploys and the idle time not negative, the block interval positive")
	}
	return nil
}

// ChainReport is everything Chain measured (`cove bench chain`, and its JSON).
type ChainReport struct {
	Date            string       `json:"date"`
	Machine         Machine      `json:"machine"`
	LoadAvgEnd      string       `json:"loadavgAfter,omitempty"`
	BlockIntervalMS float64      `json:"blockIntervalMs"` // the configured timeout_commit
	Accounts        int          `json:"accounts"`
	Phases          []ChainPhase `json:"phases"`
}

// ChainPhase is one phase of ChainReport: one row of its table.
type ChainPhase struct {
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

// Chain measures how many transactions one validator commits per second,
// and the interval between its blocks (`cove bench chain`). It starts one
// validator in this process with every role, as `cove dev`, whose genesis
// funds o.Accounts fresh keys; watches the idle chain for o.Idle; then
// submits o.Txs pre-signed Transfer transactions, each account in nonce
// order and the accounts concurrently, through CometBFT's broadcast_tx_sync
// and counts them in the blocks until all are committed; then the same with
// o.Deploys DeployAgent transactions of AgentFile (uploaded once, a new salt
// each). Progress lines go to progress, the node's logs to log.
func Chain(ctx context.Context, o ChainOptions, log *slog.Logger, progress io.Writer) (*ChainReport, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	say := func(format string, args ...any) { fmt.Fprintf(progress, "bench chain: "+format+"\n", args...) }
	rep := &ChainReport{
		Date:            time.Now().UTC().Format(time.RFC3339),
		Machine:         ThisMachine(),
		BlockIntervalMS: millis(o.BlockInterval),
		Accounts:        o.Accounts,
	}
	say("%d CPUs (%s), load average %s", rep.Machine.CPUs, rep.Machine.Model, rep.Machine.LoadAvg)

	keys := make([]*testchain.Key, o.Accounts)
	funded := make([]cove.Address, o.Accounts)
	for i := range keys {
		k, err := testchain.GenerateKey()
		if err != nil {
			return nil, err
		}
		keys[i], funded[i] = k, k.Address()
	}
	v, err := startChainNode(ctx, o, funded, log)
	if err != nil {
		return nil, err
	}
	defer v.stop()
	st, err := v.c.ChainStatus(ctx)
	if err != nil {
		return nil, err
	}
	chainID := st.NumericChainID

	if o.Idle > 0 {
		say("watching the idle chain for %s...", o.Idle)
		p, err := v.idle(ctx, o.Idle)
		if err != nil {
			return nil, err
		}
		rep.Phases = append(rep.Phases, p)
	}

	say("signing %d transfers from %d accounts...", o.Txs, o.Accounts)
	sink := keys[0].Address()
	txs, err := signSpread(keys, o.Txs, make([]uint64, len(keys)), func(k, j int, nonce uint64) chain.Msg {
		return chain.Transfer{To: sink, Amount: big.NewInt(1), Nonce: nonce}
	}, chainID)
	if err != nil {
		return nil, err
	}
	stopProfile, err := startProfile(o.CPUProfile)
	if err != nil {
		return nil, err
	}
	defer stopProfile()
	say("committing %d transfers...", o.Txs)
	p, err := v.load(ctx, "transfers", keys, txs)
	if err != nil {
		return nil, err
	}
	rep.Phases = append(rep.Phases, p)

	if o.Deploys > 0 {
		code, err := bundle.Build(filepath.Join(o.Dir, AgentFile))
		if err != nil {
			return nil, err
		}
		cid, err := v.c.PutBlob(ctx, code.Code)
		if err != nil {
			return nil, fmt.Errorf("upload %s: %w", AgentFile, err)
		}
		codeHash := cove.SHA256(code.Code)
		nonces := make([]uint64, len(keys))
		for i, k := range keys {
			a, err := v.c.Account(ctx, k.Address())
			if err != nil {
				return nil, err
			}
			nonces[i] = a.Nonce
		}
		say("signing %d deploys of %s (%d bytes)...", o.Deploys, AgentFile, len(code.Code))
		txs, err := signSpread(keys, o.Deploys, nonces, func(k, j int, nonce uint64) chain.Msg {
			var salt cove.Hash
			binary.BigEndian.PutUint64(salt[:8], uint64(k))
			binary.BigEndian.PutUint64(salt[8:16], uint64(j))
			return chain.DeployAgent{Name: "bench-hello", CID: cid, CodeHash: codeHash, Salt: salt, Nonce: nonce}
		}, chainID)
		if err != nil {
			return nil, err
		}
		say("committing %d deploys...", o.Deploys)
		p, err := v.load(ctx, "deploys", keys, txs)
		if err != nil {
			return nil, err
		}
		rep.Phases = append(rep.Phases, p)
	}

	rep.LoadAvgEnd = LoadAvg()
	return rep, nil
}

// signSpread signs n messages spread over the keys (key k gets every
// len(keys)-th), each key's in nonce order from nonces[k]. The result holds
// one list per key.
func signSpread(keys []*testchain.Key, n int, nonces []uint64, msg func(k, j int, nonce uint64) chain.Msg, chainID uint64) ([][][]byte, error) {
	out := make([][][]byte, len(keys))
	for i := range n {
		k := i % len(keys)
		j := len(out[k])
		tx, err := chain.SignTx(chainID, msg(k, j, nonces[k]+uint64(j)), keys[k].Sign)
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		out[k] = append(out[k], tx)
	}
	return out, nil
}

// blockStats fills the block fields of p from consecutive headers (the first
// one only anchors the first interval).
func blockStats(p *ChainPhase, hs []cometrpc.Header) {
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
	p.IntervalP50MS = millis(d[len(d)/2])
	p.IntervalP99MS = millis(d[int(math.Ceil(0.99*float64(len(d))))-1])
	p.IntervalMaxMS = millis(d[len(d)-1])
}

// Print writes the report as a Markdown table and a few lines.
func (r *ChainReport) Print(w io.Writer) {
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
