package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cove-network/cove"
	"github.com/cove-network/cove/account"
	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/testnet"
	"github.com/cove-network/cove/worker/ai"
)

// devNode is the node of Agents: `cove dev`'s, running in this process.
type devNode struct {
	*testnet.DevNode
	c       *client.Client
	signer  *account.Signer // owns the deployed agents
	tempDir string          // removed by stop; "" when a data dir was given
	cfg     testnet.DevConfig
	last    cove.AgentID // the agent deploy deployed last
}

func startDevNode(ctx context.Context, dataDir string, receiptBatch int, aiCfg ai.Config, log *slog.Logger, blockInterval ...time.Duration) (*devNode, error) {
	b := &devNode{}
	if dataDir == "" {
		d, err := os.MkdirTemp("", "cove-bench-")
		if err != nil {
			return nil, fmt.Errorf("bench data dir: %w", err)
		}
		dataDir, b.tempDir = d, d
	}
	fail := func(err error) (*devNode, error) {
		b.removeTemp()
		return nil, err
	}
	// The node of `cove dev`, with its keys in the data dir, not in
	// ~/.cove. As the dev key of `cove dev`, the operator is the chain's
	// admin, so the node allows its own build's measurement on a reused
	// --data-dir. The agents are deployed by a second key, so the node's
	// transactions and the deploys never race for one key's nonces.
	store, err := account.Open(filepath.Join(dataDir, "keys"))
	if err != nil {
		return fail(err)
	}
	op, err := store.Ensure("operator")
	if err != nil {
		return fail(fmt.Errorf("bench operator key: %w", err))
	}
	key, err := store.Ensure("deployer")
	if err != nil {
		return fail(fmt.Errorf("bench deployer key: %w", err))
	}
	if b.signer, err = store.Signer(key.Name, ""); err != nil {
		return fail(fmt.Errorf("bench deployer key: %w", err))
	}
	dc := testnet.DevConfig{
		DataDir:  filepath.Join(dataDir, "node"),
		Operator: filepath.Join(store.Dir(), op.Name+".json"),
		Admin:    op.Address,
		Funded:   []cove.Address{key.Address},
		P2PAddr:  "127.0.0.1:0",
		Log:      log,
		// The worker's receipt batching (0: its default).
		ReceiptBatch: receiptBatch,
		AI:           aiCfg,
	}
	if len(blockInterval) > 0 {
		dc.BlockInterval = blockInterval[0]
	}
	b.DevNode, err = testnet.StartDev(ctx, dc)
	if err != nil {
		return fail(err)
	}
	b.c, b.cfg = b.Client, dc
	return b, nil
}

// deploy deploys the agent in file n times, each a new agent, timing each
// from the start of the deploy to the first 200 into rep, checks the first
// response's receipt and returns the URL of the last agent's /hello.
func (b *devNode) deploy(ctx context.Context, file string, n int, rep *AgentReport) (string, error) {
	var last api.AgentView
	for i := range n {
		start := time.Now()
		a, err := b.c.Deploy(ctx, file, client.DeployOptions{Signer: b.signer, Name: "bench-hello"})
		if err != nil {
			return "", fmt.Errorf("deploy %s: %w", file, err)
		}
		deployed := time.Since(start)
		resp, err := b.firstOK(ctx, a)
		if err != nil {
			return "", err
		}
		rep.DeployMS = append(rep.DeployMS, millis(time.Since(start)))
		rep.DeployOnlyMS = append(rep.DeployOnlyMS, millis(deployed))
		if i == 0 {
			// Receipts are on: the response is signed by the agent's attestor
			// and covers this request and body.
			if _, err := resp.Verify(a.Attestor); err != nil {
				return "", fmt.Errorf("the agent's receipt does not verify: %w", err)
			}
			if string(resp.Body) != agentWant {
				return "", fmt.Errorf("agent answered %q, want %s", resp.Body, agentWant)
			}
		}
		last = a
	}
	b.last = last.ID
	return b.url(), nil
}

// url is the URL of the last deployed agent's /hello on the node's
// gateway.
func (b *devNode) url() string { return b.c.Base() + "/agents/" + b.last.String() + agentPath }

// pause stops the node, keeping its data for resume.
func (b *devNode) pause() { b.Stop() }

// resume starts the paused node again from its data dir (new metrics) and
// waits until the last deployed agent answers. It listens where it did, so
// that its worker serves the endpoint it registered; should another
// process have taken that port meanwhile, on a new one (the worker then
// warns that its registered endpoint differs).
func (b *devNode) resume(ctx context.Context) error {
	cfg := b.cfg
	cfg.HTTPAddr = strings.TrimPrefix(b.c.Base(), "http://")
	d, err := testnet.StartDev(ctx, cfg)
	if oe := (*net.OpError)(nil); errors.As(err, &oe) && oe.Op == "listen" {
		d, err = testnet.StartDev(ctx, b.cfg)
	}
	if err != nil {
		return fmt.Errorf("restart the bench node: %w", err)
	}
	b.DevNode, b.c = d, d.Client
	_, err = b.firstOK(ctx, api.AgentView{ID: b.last})
	return err
}

// firstOK calls the agent until it answers 200, for up to 30 s.
func (b *devNode) firstOK(ctx context.Context, a api.AgentView) (*client.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		resp, err := b.c.Call(ctx, a.ID, http.MethodGet, agentPath, nil, nil)
		if err == nil && resp.Status == http.StatusOK {
			return resp, nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("status %d: %s", resp.Status, truncate(string(resp.Body), 200))
			}
			return nil, fmt.Errorf("agent %s never answered 200: %w", a.ID, err)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// signed returns the receipts the node's worker has signed and the
// signatures it made over them, so far (its metrics).
func (b *devNode) signed() (receipts, signatures float64) {
	return b.Metrics.Sum("cove_receipts_signed_total"), b.Metrics.Sum("cove_receipt_signatures_total")
}

// stop stops the node and removes a temporary data dir. It is safe to
// call more than once.
func (b *devNode) stop() {
	b.Stop()
	b.removeTemp()
}

func (b *devNode) removeTemp() {
	if b.tempDir != "" {
		os.RemoveAll(b.tempDir)
	}
}
