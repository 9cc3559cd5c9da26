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
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testnet"
)

// PaidOptions configures Paid.
type PaidOptions struct {
	// Concurrency is the callers of each phase, each with its own
	// keep-alive connection (and, paid, its own channel: one voucher at a
	// time per channel).
	Concurrency int
	// Duration and Warmup are each phase's measured and unmeasured load.
	Duration time.Duration
	Warmup   time.Duration
	// Rounds alternates the free and the paid phase this many times; the
	// report takes each one's best round (a slow round is the machine's
	// noise, not the payment's).
	Rounds int
	// DataDir is the node's directory; empty uses a temporary one.
	DataDir string
	// CPUProfile, if not nil, receives a CPU profile (runtime/pprof) of
	// the first phase of client.Payer paying with hash-chain words (the
	// free phase's with ProfileFree).
	ProfileFree bool `json:"-"`
	// Control replaces the paired words phase by a second free phase, so
	// the paired ratios show the method's own error (they should be 1).
	Control    bool      `json:"control,omitempty"`
	CPUProfile io.Writer `json:"-"`
}

// DefaultPaidOptions are `cove bench paid`'s defaults.
func DefaultPaidOptions() PaidOptions {
	return PaidOptions{Concurrency: 8, Duration: 3 * time.Second, Warmup: time.Second, Rounds: 3}
}

// paidPrice is the price per call of the priced agent: 0.001 COVE.
var paidPrice = big.NewInt(1_000_000_000_000_000)

// PaidPhase is one phase's numbers: calls that answered 200 with a
// receipt, per second, and their latency.
type PaidPhase struct {
	Calls     int     `json:"calls"`
	PerSecond float64 `json:"perSecond"`
	P50MS     float64 `json:"p50ms"`
	P99MS     float64 `json:"p99ms"`
	// CPUPerCallUS is this process's CPU time (user and system: the
	// node, and the callers, the same in every phase) per call of the
	// phase, in microseconds.
	CPUPerCallUS float64 `json:"cpuPerCallUs"`
}

// PaidReport is what Paid measured (`cove bench paid`, and its JSON).
type PaidReport struct {
	Date    string      `json:"date"`
	Machine Machine     `json:"machine"`
	Options PaidOptions `json:"options"`
	// Free, Paid and PaidSigning are the best rounds: the same agent code
	// deployed twice, free and priced, loaded the same way by the Go
	// client. Paid's vouchers are signed before the phase (the load
	// generator replays them, as wrk replays requests), so it measures
	// what paying costs the node; PaidSigning's callers sign each
	// voucher as they call (client.Payer), on the same cores.
	Free        PaidPhase `json:"free"`
	Paid        PaidPhase `json:"paid"`
	PaidSigning PaidPhase `json:"paidSigning"`
	// PaidWords' callers pay with hash-chain words (client.Payer's
	// default, ADR 26): one signature per commitment, one word per call.
	// PaidWordsBuilt's callers replay words made before the phase, as
	// Paid's replay vouchers: what paying with words costs the node.
	PaidWords      PaidPhase `json:"paidWords"`
	PaidWordsBuilt PaidPhase `json:"paidWordsBuilt"`
	// Ratio is Paid.PerSecond / Free.PerSecond, RatioSigning
	// PaidSigning's, RatioWords PaidWords', RatioWordsBuilt
	// PaidWordsBuilt's.
	Ratio           float64 `json:"ratio"`
	RatioSigning    float64 `json:"ratioSigning"`
	RatioWords      float64 `json:"ratioWords"`
	RatioWordsBuilt float64 `json:"ratioWordsBuilt"`
	// RatioWordsPaired is the geometric mean over the rounds of each
	// round's words built before/free calls/s: each round runs the two
	// phases A B B A (every other round B A A B), so the machine's drift
	// within a round and the phases' places in it cancel.
	RatioWordsPaired float64 `json:"ratioWordsPaired"`
	// RatioWordsLow and RatioWordsHigh are the lowest and highest of the
	// rounds' ratios: how much the machine moved them.
	RatioWordsLow  float64 `json:"ratioWordsLow"`
	RatioWordsHigh float64 `json:"ratioWordsHigh"`
	// CPURatioWordsPaired is the same of each round's free CPU per call
	// over words CPU per call (so under 1 when words cost more): less
	// moved than calls/s by other processes taking the cores, as their
	// time is not this process's. Low and High are its rounds' range.
	CPURatioWordsPaired float64 `json:"cpuRatioWordsPaired"`
	CPURatioWordsLow    float64 `json:"cpuRatioWordsLow"`
	CPURatioWordsHigh   float64 `json:"cpuRatioWordsHigh"`
	// PaidCalls is every paid call of every round (warm-up included);
	// Channels the channels they were paid from; ChainTxs the
	// transactions they took: one OpenChannel per channel and one Redeem
	// per channel at the end.
	PaidCalls int `json:"paidCalls"`
	Channels  int `json:"channels"`
	ChainTxs  int `json:"chainTxs"`
	// Redeemed is what the owner's Redeems paid, in base units: PaidCalls
	// × the price, checked.
	Redeemed string `json:"redeemed"`
}

// Paid measures paid calls against free calls in the same run: a dev node
// in this process; examples/hello.ts deployed twice, once free and once
// with a price; Concurrency payer accounts each open a channel to the
// priced agent; then rounds of closed-loop load, free then paid, each
// caller paying every call with its channel's next voucher (client.Payer).
// At the end the owner redeems each channel once, and Paid checks that
// the chain paid exactly the calls that were made.
func Paid(ctx context.Context, o PaidOptions, log *slog.Logger, progress io.Writer) (*PaidReport, error) {
	if o.Concurrency < 1 || o.Duration <= 0 || o.Warmup < 0 || o.Rounds < 1 {
		return nil, errors.New("bench paid: concurrency, duration and rounds must be positive, warmup not negative")
	}
	rep := &PaidReport{Date: time.Now().UTC().Format(time.RFC3339), Machine: ThisMachine(), Options: o}
	dataDir := o.DataDir
	if dataDir == "" {
		d, err := os.MkdirTemp("", "cove-bench-paid-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dataDir = d
	}
	store, err := account.Open(filepath.Join(dataDir, "keys"))
	if err != nil {
		return nil, err
	}
	op, err := store.Ensure("operator")
	if err != nil {
		return nil, err
	}
	var payers []*account.Signer
	funded := []cove.Address{}
	for i := range o.Concurrency + 1 { // the owner, then the payers
		info, err := store.Ensure(fmt.Sprintf("bench-%d", i))
		if err != nil {
			return nil, err
		}
		s, err := store.Signer(info.Name, "")
		if err != nil {
			return nil, err
		}
		payers = append(payers, s)
		funded = append(funded, info.Address)
	}
	owner, payers := payers[0], payers[1:]
	fmt.Fprintln(progress, "starting a dev node")
	n, err := testnet.StartDev(ctx, testnet.DevConfig{
		DataDir: filepath.Join(dataDir, "node"), Operator: filepath.Join(store.Dir(), op.Name+".json"),
		Admin: op.Address, Funded: funded, P2PAddr: "127.0.0.1:0", Log: log,
	})
	if err != nil {
		return nil, err
	}
	defer n.Stop()
	c := n.Client

	fmt.Fprintf(progress, "deploying %s twice, pricing one at %s base units a call, opening %d channels\n", AgentFile, paidPrice, o.Concurrency)
	free, err := c.Deploy(ctx, AgentFile, client.DeployOptions{Signer: owner, Name: "bench-free"})
	if err != nil {
		return nil, err
	}
	priced, err := c.Deploy(ctx, AgentFile, client.DeployOptions{Signer: owner, Name: "bench-paid"})
	if err != nil {
		return nil, err
	}
	if _, err := c.Send(ctx, owner, func(nonce uint64) chain.Msg {
		return chain.SetAgentPrice{Agent: priced.ID, Price: paidPrice, Nonce: nonce}
	}); err != nil {
		return nil, fmt.Errorf("price the agent: %w", err)
	}
	// Every channel is bound to the worker the gateway offers (ADR 25).
	verifier, err := c.Verifier(ctx, priced.ID)
	if err != nil {
		return nil, err
	}
	deposit := new(big.Int).Mul(paidPrice, big.NewInt(10_000_000)) // 10,000 COVE: more calls than any run makes
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	pool := make(chan *client.Payer, len(payers))     // each signs a voucher per call
	wordPool := make(chan *client.Payer, len(payers)) // each pays with hash-chain words
	var all []*client.Payer
	signerOf := map[uint64]client.Signer{} // by channel
	for _, s := range payers {
		wg.Go(func() {
			out, err := c.Send(ctx, s, func(nonce uint64) chain.Msg {
				return chain.OpenChannel{Agent: priced.ID, Deposit: deposit, Verifier: verifier, Nonce: nonce}
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("open a channel: %w", err))
				return
			}
			id, err := client.OpenedChannel(out)
			if err != nil {
				errs = append(errs, err)
				return
			}
			p := c.PayerOf(s, id, priced.ID).SignEach()
			all = append(all, p)
			signerOf[id] = s
			pool <- p
			wordPool <- c.PayerOf(s, id, priced.ID)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	rep.Channels, rep.ChainTxs = len(all), len(all)
	if _, err := (&devNode{c: c}).firstOK(ctx, free); err != nil {
		return nil, err
	}

	chainID, err := c.NumericChainID(ctx)
	if err != nil {
		return nil, err
	}
	var paidOK atomic.Int64 // every paid call answered 200, warm-up included
	freeCall := func(ctx context.Context) error {
		resp, err := c.Call(ctx, free.ID, http.MethodGet, agentPath, nil, nil)
		return answered(resp, err)
	}
	payerCall := func(pool chan *client.Payer) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			p := <-pool
			defer func() { pool <- p }()
			resp, err := p.Call(ctx, http.MethodGet, agentPath, nil, nil)
			if err = answered(resp, err); err == nil {
				paidOK.Add(1)
			}
			return err
		}
	}
	signingCall, wordCall := payerCall(pool), payerCall(wordPool)
	// The priced agent answers too (its keys may come a moment after the
	// free one's): a paid call from each channel, retried for up to 30 s.
	for range all {
		deadline := time.Now().Add(30 * time.Second)
		for err := signingCall(ctx); err != nil; err = signingCall(ctx) {
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("the priced agent never answered a paid call: %w", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// The phases that replay payments made before the phase, as wrk
	// replays requests (what paying costs the node, not the callers):
	// each caller sends its channel's next vouchers, or next words.
	replayer := func(words bool) (call func(context.Context) error, prepare func(perCaller int) error) {
		callers := make(chan *presigned, len(all))
		for _, p := range all {
			callers <- &presigned{signer: signerOf[p.Channel()], channel: p.Channel(), agent: priced.ID, chainID: chainID, words: words}
		}
		call = func(ctx context.Context) error {
			pc := <-callers
			defer func() { callers <- pc }()
			h, err := pc.next()
			if err != nil {
				return err
			}
			resp, err := c.Call(ctx, priced.ID, http.MethodGet, agentPath, nil, http.Header{api.HeaderPayment: {h}})
			if err = answered(resp, err); err == nil {
				paidOK.Add(1)
				pc.used++
			}
			return err
		}
		prepare = func(perCaller int) error {
			for range len(all) {
				pc := <-callers
				err := pc.sync(ctx, c, perCaller)
				callers <- pc
				if err != nil {
					return err
				}
			}
			return nil
		}
		return call, prepare
	}
	presignedCall, presign := replayer(false)
	builtWordCall, buildWords := replayer(true)
	profiled := &rep.PaidWords
	if o.ProfileFree {
		profiled = &rep.Free
	}
	profiling := false // the profile covers one phase: the first of its kind
	type phase struct {
		name string
		call func(context.Context) error
		best *PaidPhase
	}
	var (
		freeP  = phase{"free", freeCall, &rep.Free}
		wordsP = phase{"paid (hash-chain words built before)", builtWordCall, &rep.PaidWordsBuilt}
		// each round's words (built before)/free: of calls/s, and of CPU
		// per call
		wordRatios, cpuRatios []float64
	)
	if o.Control {
		wordsP = phase{"free (the control, in the words' place)", freeCall, &rep.PaidWordsBuilt}
	}
	for round := range o.Rounds {
		// The voucher phases and the Payer's words first, then free and
		// words built before back to back twice, A B B A (every other
		// round B A A B): a drift of the machine's speed over the round,
		// and the place right after the other phases (the first of a
		// round may run slower or faster than the next), weigh on both
		// alike, and the paired ratios cancel them.
		pair := []phase{freeP, wordsP, wordsP, freeP}
		if round%2 == 1 {
			pair = []phase{wordsP, freeP, freeP, wordsP}
		}
		phases := append([]phase{{"paid (vouchers signed before)", presignedCall, &rep.Paid},
			{"paid (each voucher signed at the call)", signingCall, &rep.PaidSigning},
			{"paid (hash-chain words, client.Payer)", wordCall, &rep.PaidWords}}, pair...)
		var sums [2]struct {
			calls int
			took  time.Duration
			cpu   time.Duration
		}
		for _, ph := range phases {
			if ph.best == &rep.Paid || ph.best == &rep.PaidWordsBuilt {
				// Enough vouchers or words for 1.5 times the free calls'
				// rate (a generous guess in the first round, before any
				// free phase).
				rate := rep.Free.PerSecond
				if rate == 0 {
					rate = 10000
				}
				per := int(1.5*rate*(o.Duration+o.Warmup).Seconds())/len(all) + 100
				if ph.best == &rep.Paid {
					fmt.Fprintf(progress, "signing %d vouchers for each of %d callers\n", per, len(all))
					if err := presign(per); err != nil {
						return nil, err
					}
				} else if err := buildWords(per); err != nil {
					// Built in the control too, where no call pays
					// with them: the garbage it leaves weighs on the
					// phase after it in both runs alike.
					return nil, err
				}
			}
			fmt.Fprintf(progress, "round %d/%d: %s calls, %d callers, %s (after %s warm-up)\n", round+1, o.Rounds, ph.name, o.Concurrency, o.Duration, o.Warmup)
			if _, _, err := closedLoop(ctx, o.Concurrency, o.Warmup, ph.call); err != nil {
				return nil, fmt.Errorf("%s calls: %w", ph.name, err)
			}
			var (
				lmu sync.Mutex
				lat []time.Duration
			)
			timed := func(ctx context.Context) error {
				start := time.Now()
				err := ph.call(ctx)
				lmu.Lock()
				lat = append(lat, time.Since(start))
				lmu.Unlock()
				return err
			}
			stopProfile := func() {}
			if ph.best == profiled && round == 0 && !profiling {
				if stopProfile, err = startProfile(o.CPUProfile); err != nil {
					return nil, err
				}
				profiling = true
			}
			cpu0, _ := ProcessCPU()
			calls, took, err := closedLoop(ctx, o.Concurrency, o.Duration, timed)
			cpu1, _ := ProcessCPU()
			stopProfile()
			if err != nil {
				return nil, fmt.Errorf("%s calls: %w", ph.name, err)
			}
			slices.Sort(lat)
			got := PaidPhase{Calls: calls, PerSecond: float64(calls) / took.Seconds(),
				P50MS: millis(Percentile(lat, 0.50)), P99MS: millis(Percentile(lat, 0.99)),
				CPUPerCallUS: float64((cpu1 - cpu0).Microseconds()) / float64(max(calls, 1))}
			if got.PerSecond > ph.best.PerSecond {
				*ph.best = got
			}
			for i, b := range []*PaidPhase{&rep.Free, &rep.PaidWordsBuilt} {
				if ph.best == b {
					sums[i].calls += calls
					sums[i].took += took
					sums[i].cpu += cpu1 - cpu0
				}
			}
		}
		free, words := sums[0], sums[1]
		wordRatios = append(wordRatios, (float64(words.calls)/words.took.Seconds())/(float64(free.calls)/free.took.Seconds()))
		if free.cpu > 0 && words.cpu > 0 {
			cpuRatios = append(cpuRatios, (float64(free.cpu)/float64(free.calls))/(float64(words.cpu)/float64(words.calls)))
		}
	}
	rep.RatioWordsPaired, rep.RatioWordsLow, rep.RatioWordsHigh = geoMean(wordRatios)
	if len(cpuRatios) > 0 {
		rep.CPURatioWordsPaired, rep.CPURatioWordsLow, rep.CPURatioWordsHigh = geoMean(cpuRatios)
	}
	rep.Ratio = rep.Paid.PerSecond / rep.Free.PerSecond
	rep.RatioSigning = rep.PaidSigning.PerSecond / rep.Free.PerSecond
	rep.RatioWords = rep.PaidWords.PerSecond / rep.Free.PerSecond
	rep.RatioWordsBuilt = rep.PaidWordsBuilt.PerSecond / rep.Free.PerSecond

	// The owner redeems: one Redeem per channel pays every call.
	rep.PaidCalls = int(paidOK.Load())
	spent := new(big.Int).Mul(paidPrice, big.NewInt(paidOK.Load()))
	fmt.Fprintf(progress, "redeeming %d paid calls from %d channels\n", rep.PaidCalls, len(all))
	outs, err := c.Redeem(ctx, owner, priced.ID)
	if err != nil {
		return nil, fmt.Errorf("redeem: %w", err)
	}
	rep.ChainTxs += len(outs)
	redeemed := new(big.Int)
	for _, out := range outs {
		for _, e := range out.Events {
			if e.Type == chain.EventChannelRedeemed {
				v, _ := new(big.Int).SetString(e.Attr("amount"), 10)
				redeemed.Add(redeemed, v)
			}
		}
	}
	rep.Redeemed = redeemed.String()
	if redeemed.Cmp(spent) != 0 {
		return nil, fmt.Errorf("the owner redeemed %s base units; the callers paid %s (%d calls)", redeemed, spent, rep.PaidCalls)
	}
	return rep, nil
}

// geoMean returns the geometric mean of rs (positive), their lowest and
// their highest.
func geoMean(rs []float64) (mean, low, high float64) {
	logSum := 0.0
	for _, r := range rs {
		logSum += math.Log(r)
	}
	return math.Exp(logSum / float64(len(rs))), slices.Min(rs), slices.Max(rs)
}

// presigned is a caller of a phase that replays payments made before
// it: its channel's next vouchers, signed ahead, or its next hash-chain
// words (words), committed to ahead.
type presigned struct {
	signer  client.Signer
	channel uint64
	agent   cove.AgentID
	chainID uint64
	words   bool
	amount  *big.Int // the last payment's total
	nonce   uint64
	hc      *cove.HashChain // words: the commitment, its signature, words and the last word's k
	sig     [65]byte
	hashes  []cove.Hash
	k       uint64
	headers []string
	used    int // of headers
}

// sync reads where the channel stands at the gateway (the other phases
// move it too) and makes the next n payments.
func (p *presigned) sync(ctx context.Context, c *client.Client, n int) error {
	st, err := c.ChannelState(ctx, p.channel)
	if err != nil {
		return err
	}
	amount, ok := new(big.Int).SetString(st.Accepted, 10)
	if !ok {
		return fmt.Errorf("channel %d: accepted %q", p.channel, st.Accepted)
	}
	p.amount, p.nonce, p.headers, p.used, p.hc = amount, st.AcceptedNonce, p.headers[:0], 0, nil
	for range n {
		if err := p.sign(); err != nil {
			return err
		}
	}
	return nil
}

// sign makes the next payment: a voucher, or the next word (of a new
// commitment of cove.MaxHashChainCount words when there is none left).
func (p *presigned) sign() error {
	if p.words {
		if p.hc == nil || p.k == p.hc.Count {
			var seed cove.Hash
			binary.BigEndian.PutUint64(seed[:], p.channel)
			binary.BigEndian.PutUint64(seed[8:], p.nonce+1)
			root, hashes := cove.NewHashChain(seed, cove.MaxHashChainCount)
			p.nonce++
			p.hc = &cove.HashChain{ChainID: p.chainID, Channel: p.channel, Agent: p.agent, Base: new(big.Int).Set(p.amount), Unit: paidPrice,
				Count: cove.MaxHashChainCount, Root: root, Nonce: p.nonce}
			sig, err := p.signer.Sign(p.hc.Digest())
			if err != nil {
				return err
			}
			p.sig, p.hashes, p.k = sig, hashes, 0
		}
		p.k++
		w := api.WordPayment(*p.hc, p.sig, p.k, p.hashes[p.k-1])
		p.amount = w.Amount
		p.headers = append(p.headers, w.Header())
		return nil
	}
	p.amount = new(big.Int).Add(p.amount, paidPrice)
	p.nonce++
	v := api.Payment{Channel: p.channel, Agent: p.agent, Amount: p.amount, Nonce: p.nonce, ChainID: p.chainID}
	sig, err := p.signer.Sign(v.Voucher().Digest())
	if err != nil {
		return err
	}
	v.Signature = sig
	p.headers = append(p.headers, v.Header())
	return nil
}

// next is the header of the next call's payment (made now if the ones
// made ahead ran out).
func (p *presigned) next() (string, error) {
	if p.used == len(p.headers) {
		if err := p.sign(); err != nil {
			return "", err
		}
	}
	return p.headers[p.used], nil
}

// answered is nil for a 200 with a receipt.
func answered(resp *client.Response, err error) error {
	if err != nil {
		return err
	}
	if resp.Status != http.StatusOK || resp.Header.Get("Cove-Receipt") == "" {
		return fmt.Errorf("status %d: %s", resp.Status, truncate(string(resp.Body), 200))
	}
	return nil
}

// Print writes the report as a Markdown table.
func (r *PaidReport) Print(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "cove bench paid, %s: %d CPUs (%s), GOMAXPROCS %d, load average %s\n", r.Date, m.CPUs, orUnknown(m.Model), m.GOMAXPROCS, orUnknown(m.LoadAvg))
	fmt.Fprintf(w, "examples/hello.ts on a cove dev node, free and priced (paid by voucher or hash-chain word), %d callers (Go client, keep-alive), best of %d rounds of %s\n\n", r.Options.Concurrency, r.Options.Rounds, r.Options.Duration)
	fmt.Fprintln(w, "| calls | calls/s | p50 (ms) | p99 (ms) | CPU per call (µs, node and callers) |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	for _, row := range []struct {
		name string
		p    PaidPhase
	}{
		{"free", r.Free},
		{"paid, vouchers signed before the phase", r.Paid},
		{"paid, each voucher signed at the call (client.Payer.SignEach, same cores)", r.PaidSigning},
		{"paid, hash-chain words (client.Payer, ADR 26, same cores)", r.PaidWords},
		{"paid, hash-chain words built before the phase", r.PaidWordsBuilt},
	} {
		fmt.Fprintf(w, "| %s | %.0f | %.2f | %.2f | %.0f |\n", row.name, row.p.PerSecond, row.p.P50MS, row.p.P99MS, row.p.CPUPerCallUS)
	}
	if r.Options.Control {
		fmt.Fprintln(w, "\nTHE CONTROL (--control): the row of words built before is free calls, and the paired ratios compare free calls with free calls")
	}
	fmt.Fprintf(w, "\npaid/free (best rounds): hash-chain words built before %.3f (%+.1f%%); vouchers signed before %.3f (%+.1f%%); hash-chain words by client.Payer on the same cores %.3f (%+.1f%%); each voucher signed at the call on the same cores %.3f (%+.1f%%)\n",
		r.RatioWordsBuilt, (r.RatioWordsBuilt-1)*100, r.Ratio, (r.Ratio-1)*100, r.RatioWords, (r.RatioWords-1)*100, r.RatioSigning, (r.RatioSigning-1)*100)
	fmt.Fprintf(w, "hash-chain words built before/free paired (geometric mean of the %d rounds' ratios, each round the two phases A B B A): calls/s %.3f (%+.1f%%; rounds %.3f to %.3f); CPU per call, free/words, %.3f (%+.1f%%; rounds %.3f to %.3f)\n",
		r.Options.Rounds, r.RatioWordsPaired, (r.RatioWordsPaired-1)*100, r.RatioWordsLow, r.RatioWordsHigh,
		r.CPURatioWordsPaired, (r.CPURatioWordsPaired-1)*100, r.CPURatioWordsLow, r.CPURatioWordsHigh)
	fmt.Fprintf(w, "%d paid calls from %d channels took %d chain transactions (%d OpenChannel, %d Redeem or RedeemHashChain): %.2f per 1,000 calls; redeemed %s base units, exactly the calls made\n",
		r.PaidCalls, r.Channels, r.ChainTxs, r.Channels, r.ChainTxs-r.Channels, float64(r.ChainTxs)*1000/float64(max(r.PaidCalls, 1)), r.Redeemed)
}
