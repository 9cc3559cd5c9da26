package testnet_test

import (
	"context"
	"encoding/json"
	"math/big"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cove-network/cove/api"
	"github.com/cove-network/cove/chain"
	"github.com/cove-network/cove/client"
	"github.com/cove-network/cove/internal/jstest"
	"github.com/cove-network/cove/internal/testnet"
)

// TestExplorerInBrowser drives the explorer in a real Chromium: deploy an
// agent and call it, then "/" leads to the explorer, whose home lists the
// agent; its page shows the call (status and request id) and links the
// block of its deploy, whose page shows the DeployAgent transaction
// decoded; the search box finds the agent by id. With
// COVE_EXPLORER_SCREENSHOT=FILE it saves the agent page as a PNG
// (docs/explorer.png is made so).
func TestExplorerInBrowser(t *testing.T) {
	browser := jstest.Chromium(t)
	user := testnet.NewKey(t)
	base := testnet.Dev(t, user.Address(), user.Address())
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Deploy(ctx, helloAgent, client.DeployOptions{Signer: user, Name: "explorer-hello"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Call(ctx, a.ID, http.MethodGet, "/hello?name=Ada", nil, nil)
	if err != nil || resp.Status != 200 {
		t.Fatalf("call: %v", err)
	}
	reqID := resp.Header.Get(api.HeaderRequestID)
	var rec struct {
		History []struct{ Height int64 } `json:"history"`
	}
	hr, err := http.Get(base + "/v1/chain/agents/" + a.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(hr.Body).Decode(&rec)
	hr.Body.Close()
	if err != nil || len(rec.History) != 1 {
		t.Fatalf("chain record: %+v, %v", rec, err)
	}
	deployHeight := strconv.FormatInt(rec.History[0].Height, 10)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.WindowSize(1280, 1000))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	agentHref := chromedp.CSS(`a[href="/explorer/agents/` + a.ID.String() + `"]`)
	text := func(what string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("main")))
		if err != nil {
			t.Fatalf("%s: text: %v", what, err)
		}
		return s
	}
	location := func() string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(agentHref)); err != nil {
		t.Fatalf("home: %v", err)
	}
	if loc, home := location(), text("home"); !strings.HasSuffix(loc, "/explorer/") || !strings.Contains(home, "explorer-hello") || !strings.Contains(home, "DeployAgent") || !strings.Contains(home, "No stake pool yet.") {
		t.Fatalf("home at %s:\n%s", loc, home)
	}

	// The agent's page: the call through this gateway and the deploy's
	// block.
	blockHref := chromedp.CSS(`a[href="/explorer/blocks/` + deployHeight + `"]`)
	if err := chromedp.Do(bctx,
		chromedp.Click(agentHref),
		chromedp.WaitVisible(blockHref),
		chromedp.WaitVisible(chromedp.Search(`//td[contains(., "`+reqID+`")]`)),
	); err != nil {
		t.Fatalf("agent page: %v", err)
	}
	agentText := text("agent page")
	for _, want := range []string{"Agent explorer-hello", a.ID.String(), a.CodeHash.String(), reqID, "200", "GET"} {
		if !strings.Contains(agentText, want) {
			t.Errorf("the agent page lacks %q:\n%s", want, agentText)
		}
	}
	if loc := location(); !strings.HasSuffix(loc, "/explorer/agents/"+a.ID.String()) {
		t.Errorf("the agent page is at %s", loc)
	}
	if path := os.Getenv("COVE_EXPLORER_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The deploy's block: the DeployAgent transaction, decoded, from the
	// user.
	if err := chromedp.Do(bctx,
		chromedp.Click(blockHref),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Block `+deployHeight+`")]`)),
		chromedp.WaitVisible(chromedp.Search(`//td[contains(., "DeployAgent")]`)),
	); err != nil {
		t.Fatalf("block page: %v", err)
	}
	if blockText := text("block page"); !strings.Contains(blockText, "explorer-hello") || !strings.Contains(blockText, a.CodeHash.String()) {
		t.Errorf("the block page does not show the deploy's message:\n%s", blockText)
	}

	// Search by the agent's id, from the search box and from a link
	// (?q=).
	agentTitle := chromedp.Search(`//h1[contains(., "Agent explorer-hello")]`)
	for _, steps := range [][]chromedp.Action[chromedp.Void]{
		{chromedp.Navigate(base + "/explorer/blocks/1"), chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Block 1")]`)),
			chromedp.SendKeys(chromedp.CSS("#q"), a.ID.String()), chromedp.Click(chromedp.CSS("#search button")), chromedp.WaitVisible(agentTitle)},
		{chromedp.Navigate(base + "/explorer/?q=" + a.ID.String()), chromedp.WaitVisible(agentTitle)},
	} {
		for i, st := range steps {
			sctx, scancel := context.WithTimeout(bctx, 10*time.Second)
			err := chromedp.Do(sctx, st)
			scancel()
			if err != nil {
				t.Fatalf("search, step %d: %v (at %s: %s)", i, err, location(), text("search"))
			}
		}
		if loc := location(); !strings.HasSuffix(loc, "/explorer/agents/"+a.ID.String()) {
			t.Errorf("searching the agent's id led to %s", loc)
		}
	}

	// A pool and a vault that invests in it: the home page links both,
	// their pages show what they hold, the account page the stakes.
	cove100 := new(big.Int).Mul(big.NewInt(100), new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil))
	for i, m := range []func(n uint64) chain.Msg{
		func(n uint64) chain.Msg { return chain.CreatePool{Commission: 50_000, Cap: new(big.Int), Nonce: n} },
		func(n uint64) chain.Msg { return chain.CreateVault{Commission: 100_000, Nonce: n} },
		func(n uint64) chain.Msg { return chain.ContributeVault{Vault: 1, Amount: cove100, Nonce: n} },
		func(n uint64) chain.Msg {
			return chain.VaultInvest{Vault: 1, Pool: 1, Amount: new(big.Int).Quo(cove100, big.NewInt(2)), Nonce: n}
		},
	} {
		if _, err := c.Send(ctx, user, m); err != nil {
			t.Fatalf("pool and vault tx %d: %v", i, err)
		}
	}
	vaultAddr := chain.VaultAddress(1).String()
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/explorer/"), chromedp.WaitVisible(chromedp.CSS(`a[href="/explorer/vaults/1"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/explorer/pools/1"]`)), chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Stake pool 1")]`))); err != nil {
		t.Fatalf("pool page: %v (at %s: %s)", err, location(), text("pool page"))
	}
	if pt := text("pool page"); !strings.Contains(pt, "5%") || !strings.Contains(pt, "50000000000000000000") || !strings.Contains(pt, "anyone may contribute") {
		t.Errorf("the pool page:\n%s", pt)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/explorer/vaults/1"), chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Vault 1")]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/explorer/pools/1"]`))); err != nil {
		t.Fatalf("vault page: %v (at %s: %s)", err, location(), text("vault page"))
	}
	if vt := text("vault page"); !strings.Contains(vt, "10% of the profit") || !strings.Contains(vt, "50000000000000000000") {
		t.Errorf("the vault page:\n%s", vt)
	}
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`a[href="/explorer/accounts/`+vaultAddr+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/explorer/pools/1"]`))); err != nil {
		t.Fatalf("the vault's account page: %v (at %s: %s)", err, location(), text("account page"))
	}
}
