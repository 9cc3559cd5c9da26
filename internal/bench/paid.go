package bench

import (
	"context"
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
	// the first paid phase with hash-chain words (the free phase's with
	// ProfileFree).
	ProfileFree bool      `json:"-"`
	CPUProfile  io.Writer `json:"-"`
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
	PaidWords PaidPhase `json:"paidWords"`
	// Ratio is Paid.PerSecond / Free.PerSecond, RatioSigning
	// PaidSigning's, RatioWords PaidWords'.
	Ratio        float64 `json:"ratio"`
	RatioSigning float64 `json:"ratioSigning"`
	RatioWords   float64 `json:"ratioWords"`
	// RatioWordsPaired is the geometric mean over the rounds of each
	// round's words/free: the two phases run back to back, in one order
	// then the other, so the machine's drift between rounds and the
	// phases' places in a round cancel.
	RatioWordsPaired float64 `json:"ratioWordsPaired"`
	// RatioWordsLow and RatioWordsHigh are the lowest and highest of the
	// rounds' ratios: how much the machine moved them.
	RatioWordsLow  float64 `json:"ratioWordsLow"`
	RatioWordsHigh float64 `json:"ratioWordsHigh"`
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
			id, err := channelOpened(out)
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
	// The pre-signed phase: each caller replays its channel's next
	// vouchers, signed before the phase.
	callers := make(chan *presigned, len(all))
	for _, p := range all {
		callers <- &presigned{signer: signerOf[p.Channel()], channel: p.Channel(), agent: priced.ID, chainID: chainID}
	}
	presignedCall := func(ctx context.Context) error {
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
	presign := func(perCaller int) error {
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
	profiled := &rep.PaidWords
	if o.ProfileFree {
		profiled = &rep.Free
	}
	var (
		freeRound, wordsRound float64   // this round's calls/s
		wordRatios            []float64 // each round's words/free
	)
	type phase struct {
		name string
		call func(context.Context) error
		best *PaidPhase
	}
	for round := range o.Rounds {
		phases := []phase{{"free", freeCall, &rep.Free}, {"paid (hash-chain words)", wordCall, &rep.PaidWords},
			{"paid (vouchers signed before)", presignedCall, &rep.Paid}, {"paid (each voucher signed at the call)", signingCall, &rep.PaidSigning}}
		if round%2 == 1 {
			// Every other round runs the words phase first: a phase's
			// place in the round moves its rate by a few percent here
			// (the one after the signing phase is slower), which the
			// paired ratio then cancels.
			phases[0], phases[1] = phases[1], phases[0]
		}
		for _, ph := range phases {
			if ph.best == &rep.Paid {
				// Enough vouchers for 1.5 times the free calls' rate.
				per := int(1.5*rep.Free.PerSecond*(o.Duration+o.Warmup).Seconds())/len(all) + 100
				fmt.Fprintf(progress, "signing %d vouchers for each of %d callers\n", per, len(all))
				if err := presign(per); err != nil {
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
			if ph.best == profiled && round == 0 {
				if stopProfile, err = startProfile(o.CPUProfile); err != nil {
					return nil, err
				}
			}
			calls, took, err := closedLoop(ctx, o.Concurrency, o.Duration, timed)
			stopProfile()
			if err != nil {
				return nil, fmt.Errorf("%s calls: %w", ph.name, err)
			}
			slices.Sort(lat)
			got := PaidPhase{Calls: calls, PerSecond: float64(calls) / took.Seconds(),
				P50MS: millis(Percentile(lat, 0.50)), P99MS: millis(Percentile(lat, 0.99))}
			if got.PerSecond > ph.best.PerSecond {
				*ph.best = got
			}
			switch ph.best {
			case &rep.Free:
				freeRound = got.PerSecond
			case &rep.PaidWords:
				wordsRound = got.PerSecond
			}
			if freeRound > 0 && wordsRound > 0 {
				wordRatios = append(wordRatios, wordsRound/freeRound)
				freeRound, wordsRound = 0, 0
			}
		}
	}
	logSum := 0.0
	for _, r := range wordRatios {
		logSum += math.Log(r)
	}
	rep.RatioWordsPaired = math.Exp(logSum / float64(len(wordRatios)))
	rep.RatioWordsLow, rep.RatioWordsHigh = slices.Min(wordRatios), slices.Max(wordRatios)
	rep.Ratio = rep.Paid.PerSecond / rep.Free.PerSecond
	rep.RatioSigning = rep.PaidSigning.PerSecond / rep.Free.PerSecond
	rep.RatioWords = rep.PaidWords.PerSecond / rep.Free.PerSecond

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

// presigned is a caller of the pre-signed phase: its channel's vouchers,
// signed ahead.
type presigned struct {
	signer  client.Signer
	channel uint64
	agent   cove.AgentID
	chainID uint64
	amount  *big.Int // the last voucher's
	nonce   uint64
	headers []string
	used    int // of headers
}

// sync reads where the channel stands at the gateway (the signing phase
// moves it too) and signs the next n vouchers.
func (p *presigned) sync(ctx context.Context, c *client.Client, n int) error {
	st, err := c.ChannelState(ctx, p.channel)
	if err != nil {
		return err
	}
	amount, ok := new(big.Int).SetString(st.Accepted, 10)
	if !ok {
		return fmt.Errorf("channel %d: accepted %q", p.channel, st.Accepted)
	}
	p.amount, p.nonce, p.headers, p.used = amount, st.AcceptedNonce, p.headers[:0], 0
	for range n {
		if err := p.sign(); err != nil {
			return err
		}
	}
	return nil
}

func (p *presigned) sign() error {
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

// next is the header of the next call's voucher (signed now if the ones
// signed ahead ran out).
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

// channelOpened reads the channel id of an OpenChannel's outcome.
func channelOpened(out chain.TxOutcome) (uint64, error) {
	for _, e := range out.Events {
		if e.Type == chain.EventChannelOpened {
			var id uint64
			if _, err := fmt.Sscan(e.Attr("channel"), &id); err == nil {
				return id, nil
			}
		}
	}
	return 0, fmt.Errorf("the OpenChannel's outcome names no channel: %+v", out.Events)
}

// Print writes the report as a Markdown table.
func (r *PaidReport) Print(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "cove bench paid, %s: %d CPUs (%s), GOMAXPROCS %d, load average %s\n", r.Date, m.CPUs, orUnknown(m.Model), m.GOMAXPROCS, orUnknown(m.LoadAvg))
	fmt.Fprintf(w, "examples/hello.ts on a cove dev node, free and priced (paid by voucher or hash-chain word), %d callers (Go client, keep-alive), best of %d rounds of %s\n\n", r.Options.Concurrency, r.Options.Rounds, r.Options.Duration)
	fmt.Fprintln(w, "| calls | calls/s | p50 (ms) | p99 (ms) |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	fmt.Fprintf(w, "| free | %.0f | %.2f | %.2f |\n", r.Free.PerSecond, r.Free.P50MS, r.Free.P99MS)
	fmt.Fprintf(w, "| paid, vouchers signed before the phase | %.0f | %.2f | %.2f |\n", r.Paid.PerSecond, r.Paid.P50MS, r.Paid.P99MS)
	fmt.Fprintf(w, "| paid, each voucher signed at the call (client.Payer.SignEach, same cores) | %.0f | %.2f | %.2f |\n", r.PaidSigning.PerSecond, r.PaidSigning.P50MS, r.PaidSigning.P99MS)
	fmt.Fprintf(w, "| paid, hash-chain words (client.Payer, ADR 26, same cores) | %.0f | %.2f | %.2f |\n", r.PaidWords.PerSecond, r.PaidWords.P50MS, r.PaidWords.P99MS)
	fmt.Fprintf(w, "\npaid/free (best rounds): hash-chain words %.3f (%+.1f%%); vouchers signed before %.3f (%+.1f%%); each voucher signed at the call on the same cores %.3f (%+.1f%%)\n",
		r.RatioWords, (r.RatioWords-1)*100, r.Ratio, (r.Ratio-1)*100, r.RatioSigning, (r.RatioSigning-1)*100)
	fmt.Fprintf(w, "hash-chain words/free paired (geometric mean of the %d rounds' ratios, the two phases back to back, in turn first): %.3f (%+.1f%%; rounds %.3f to %.3f)\n",
		r.Options.Rounds, r.RatioWordsPaired, (r.RatioWordsPaired-1)*100, r.RatioWordsLow, r.RatioWordsHigh)
	fmt.Fprintf(w, "%d paid calls from %d channels took %d chain transactions (%d OpenChannel, %d Redeem or RedeemHashChain): %.2f per 1,000 calls; redeemed %s base units, exactly the calls made\n",
		r.PaidCalls, r.Channels, r.ChainTxs, r.Channels, r.ChainTxs-r.Channels, float64(r.ChainTxs)*1000/float64(max(r.PaidCalls, 1)), r.Redeemed)
}
