package testnet_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/internal/testnet"
	"github.com/cove-network/cove/node"
)

// TestValidatorSetGrows: four validators and a standby node (a full node
// whose consensus key is not in genesis). The admin adds the standby as a
// fifth validator: CometBFT's set has five and the new validator's
// precommits are in the commits. Then the admin removes one of the
// original four: the set has four again, the removed node's precommits are
// no longer counted, and stopping it changes nothing. Blocks never stop.
func TestValidatorSetGrows(t *testing.T) {
	if testing.Short() {
		t.Skip("runs five nodes (about 20 s)")
	}
	net := testnet.Start(t, 4, testnet.Standby(1))
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	c := net.Node(0).Client()
	rpc := net.Node(0).RPC()
	standby, err := node.ValidatorKey(net.Node(4).Home)
	if err != nil {
		t.Fatal(err)
	}
	leaving, err := node.ValidatorKey(net.Node(3).Home)
	if err != nil {
		t.Fatal(err)
	}
	addrOf := func(v chain.Validator) string { return strings.ToUpper(strings.TrimPrefix(v.Address().String(), "0x")) }

	// The chain keeps its genesis set.
	vs, err := c.Validators(ctx)
	if err != nil || len(vs) != 4 {
		t.Fatalf("validators %+v, %v", vs, err)
	}

	// Blocks are made throughout: a watcher records the longest gap.
	var longest time.Duration
	watch, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		last, lastAt := int64(0), time.Now()
		for watch.Err() == nil {
			if h, err := rpc.LatestHeight(watch); err == nil && h > last {
				last, lastAt = h, time.Now()
			}
			longest = max(longest, time.Since(lastAt))
			time.Sleep(20 * time.Millisecond)
		}
	}()

	// waitSet waits until CometBFT's set is want (addresses) and a commit
	// is signed by every one of signers and by none of notSigners.
	waitSet := func(want, signers, notSigners []string) int64 {
		t.Helper()
		var got map[string]int64
		var signed []string
		for ctx.Err() == nil {
			h, err := rpc.LatestHeight(ctx)
			if err == nil {
				got, _ = rpc.Validators(ctx, h)
				signed, _ = rpc.CommitSigners(ctx, h)
			}
			ok := len(got) == len(want)
			for _, a := range want {
				_, in := got[a]
				ok = ok && in
			}
			for _, a := range signers {
				ok = ok && slices.Contains(signed, a)
			}
			for _, a := range notSigners {
				ok = ok && !slices.Contains(signed, a)
			}
			if ok {
				return h
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("CometBFT's set %v, signers %v; want %v, signed by %v and not by %v", got, signed, want, signers, notSigners)
		return 0
	}
	var genesis []string
	for _, v := range vs {
		genesis = append(genesis, strings.ToUpper(strings.TrimPrefix(v.Address, "0x")))
	}

	// Add the standby.
	out, err := c.Send(ctx, net.Admin, func(n uint64) chain.Msg {
		return chain.AddValidator{PubKey: standby.PubKey, Power: 10, Name: "standby0", Nonce: n}
	})
	if err != nil || out.Code != chain.CodeOK {
		t.Fatalf("AddValidator: %+v, %v", out, err)
	}
	h := waitSet(append(slices.Clone(genesis), addrOf(standby)), []string{addrOf(standby)}, nil)
	t.Logf("AddValidator in block %d; the new validator signs the commit of block %d", out.Height, h)
	if vs, _ := c.Validators(ctx); len(vs) != 5 {
		t.Fatalf("the chain's set after AddValidator: %+v", vs)
	}

	// Remove node3.
	out, err = c.Send(ctx, net.Admin, func(n uint64) chain.Msg { return chain.RemoveValidator{PubKey: leaving.PubKey, Nonce: n} })
	if err != nil || out.Code != chain.CodeOK {
		t.Fatalf("RemoveValidator: %+v, %v", out, err)
	}
	var rest []string
	for _, a := range append(slices.Clone(genesis), addrOf(standby)) {
		if a != addrOf(leaving) {
			rest = append(rest, a)
		}
	}
	h = waitSet(rest, []string{addrOf(standby)}, []string{addrOf(leaving)})
	t.Logf("RemoveValidator in block %d; block %d's commit is signed without it", out.Height, h)

	// The removed node is no longer needed: blocks go on without it.
	net.Node(3).Stop()
	if err := net.Node(0).WaitHeight(ctx, h+10); err != nil {
		t.Fatalf("after stopping the removed validator: %v", err)
	}
	stopWatch()
	<-watched
	t.Logf("longest time without a new block: %s", longest.Round(time.Millisecond))
	if longest > 5*time.Second {
		t.Errorf("blocks stopped for %s", longest)
	}
}
