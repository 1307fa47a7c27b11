package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/sandbox"
)

// TestBrowser walks the app in a real browser (Debian's chromium): alice
// signs in through the demo identity provider, uploads the sheet with
// mistakes and sees its invalid rows, uploads the corrected sheet, and may
// not approve it; bob signs in, approves and buys it; the page shows the
// purchase's progress moving on and then every row Ordered, without anyone
// reloading it, and the sandbox placed each order once. A screenshot of
// each step goes to $IMPORTER_ARTIFACTS (else a temporary folder). Outside
// CI a missing browser skips it; with CI=true it fails.
func TestBrowser(t *testing.T) {
	if _, err := exec.LookPath("chromium"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is needed for the browser test (apt-get install chromium); .ci/run installs it")
		}
		t.Skip("chromium is not installed: the browser test is skipped (CI installs it)")
	}
	app := browserApp(t)
	shots := os.Getenv("IMPORTER_ARTIFACTS")
	if shots == "" {
		shots = t.TempDir()
	}
	_ = os.MkdirAll(shots, 0o755)
	ctx, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.NoSandbox, chromedp.Headless, chromedp.WindowSize(1280, 900), chromedp.DisableGPU)...)
	defer cancel()
	ctx, cancel = chromedp.NewContext(ctx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			png, err := chromedp.FullScreenshot(100)(ctx, tg) // 100: a PNG
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
		})
	}
	signIn := func(who, name string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Navigate(app.app+"/"),
			chromedp.Click(chromedp.CSS(`a[href="/signin"]`)),
			chromedp.WaitVisible(chromedp.CSS(`button[value="`+who+`"]`)),
			shot(name),
			chromedp.Click(chromedp.CSS(`button[value="`+who+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`.who`)),
		)
	}
	upload := func(file, batch string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Navigate(app.app+"/upload"),
			chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{file}),
			chromedp.SendKeys(chromedp.CSS(`#batch`), batch),
			chromedp.Click(chromedp.CSS(`main button[type="submit"]`), chromedp.NodeVisible),
			chromedp.WaitVisible(chromedp.CSS(`h1 .status`)),
		)
	}
	samples, _ := filepath.Abs(filepath.Join("..", "..", "samples"))

	do(signIn("alice@contoso.example", "1-demo-sign-in"),
		upload(filepath.Join(samples, "monthly-orders-with-mistakes.xlsx"), "november"),
		shot("2-invalid-rows"))
	if st := text(`h1 .status`); st != "invalid" {
		t.Fatalf("alice's first upload: %q", st)
	}
	do(chromedp.Click(chromedp.CSS(`a[href="?problems=1"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href="?"]`)))
	if main := text(`main`); !strings.Contains(main, "17 rows, page 1 of 1") || !strings.Contains(main, "must be a whole number above 0") {
		t.Fatalf("the invalid rows:\n%s", main)
	}
	do(upload(filepath.Join(samples, "monthly-orders.xlsx"), "november"), shot("3-corrected"))
	if st, main := text(`h1 .status`), text(`main`); st != "ready" || !strings.Contains(main, "Version 2") ||
		!strings.Contains(main, "someone else decides on it") || strings.Contains(main, "Approve this plan") {
		t.Fatalf("alice's corrected upload: %q\n%s", st, main)
	}
	do(chromedp.Click(chromedp.CSS(`form[action$="/request"] button`)), chromedp.WaitVisible(chromedp.CSS(`h1 .status.s-awaiting-approval`)))
	batchURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	do(chromedp.Click(chromedp.CSS(`.who button`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/signin"]`)),
		signIn("bob@contoso.example", "4-demo-sign-in-bob"),
		chromedp.Navigate(batchURL),
		chromedp.Click(chromedp.CSS(`a.button[href$="/plan"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)),
		shot("5-approval"),
		chromedp.SendKeys(chromedp.CSS(`#comment`), "as agreed"),
		chromedp.Click(chromedp.CSS(`button[value="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/purchase"] button`)),
		chromedp.Click(chromedp.CSS(`form[action$="/purchase"] button`)),
		// Only the page after the purchase started says who started it
		// (the page before has a #buy section too).
		chromedp.WaitVisible(chromedp.CSS(`#purchase`)))
	if who := text(`.who strong`); who != "bob@contoso.example" {
		t.Fatalf("signed in as %q", who)
	}
	// The purchase's progress moves on by itself (the page asks for it
	// every 2 s), and the page loads again by itself when it has ended.
	do(chromedp.WaitVisible(chromedp.CSS(`#progress progress`)))
	p := ""
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		// The region is gone once the purchase ends.
		p, err = chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#progress") || {}).innerText || ""`))
		if err != nil || strings.Contains(p, " left.") || p == "" || time.Now().After(deadline) {
			break
		}
	}
	do(shot("6-buying"))
	if !regexp.MustCompile(`[1-9][0-9]* of 9 carts done: [0-9]+ rows ordered\. .* left\.`).MatchString(p) {
		t.Errorf("the purchase's progress: %q", p)
	}
	do(chromedp.WaitVisible(chromedp.CSS(`h1 .status.s-done`)), shot("6-bought"))
	if main := text(`main`); strings.Count(main, "Ordered") < 30 {
		t.Fatalf("after buying:\n%s", main)
	}
	// Bob asks where the orders stand: each row shows its provisioning.
	// (#orders is on the page before the click too; only the answer is
	// .asked.)
	// The asking goes on in the background: the page says so, and loads
	// again by itself when the answer is in.
	do(chromedp.Click(chromedp.CSS(`form[action$="/follow-up"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#progress`)), shot("7-asking"))
	if p := text(`#progress`); !strings.Contains(p, "Asking Partner Center about the orders") {
		t.Errorf("while asking: %q", p)
	}
	do(chromedp.WaitVisible(chromedp.CSS(`#orders.asked`)))
	if orders := text(`#orders`); !strings.Contains(orders, "30 rows provisioned, 0 pending, 0 failed") {
		t.Errorf("after asking about the orders: %q", orders)
	}
	if main := text(`main`); strings.Count(main, "provisioning fulfilled") != 30 {
		t.Errorf("the rows do not show their provisioning:\n%s", main)
	}
	do(shot("7-orders"), chromedp.Navigate(app.app+"/"), chromedp.WaitVisible(chromedp.CSS(`main table`)), shot("8-batches"))
	if list := text(`main table`); !strings.Contains(list, "november") || !strings.Contains(list, "bob@contoso.example") || !strings.Contains(list, "done") {
		t.Errorf("the batches page:\n%s", list)
	}
	// Carol, the admin, sees the settings and the API tokens.
	if _, err := app.st.CreateToken("nightly", []string{RoleSubmitter}); err != nil {
		t.Fatal(err)
	}
	do(chromedp.Click(chromedp.CSS(`.who button`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/signin"]`)),
		signIn("carol@contoso.example", "9-demo-sign-in-carol"),
		chromedp.Click(chromedp.CSS(`nav a[href="/admin"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#tok`)), shot("9-admin"))
	if admin := text(`main`); !strings.Contains(admin, "nightly") || !strings.Contains(admin, "Revoke") {
		t.Errorf("the admin page:\n%s", admin)
	}
	// The sandbox placed each order once.
	all, _ := app.st.Batches()
	if n, err := sandbox.SavedOrders(filepath.Join(app.st.Dir, "journals", all[0].ID+".sandbox")); err != nil || n != 21 {
		t.Errorf("%d orders placed (%v), want the sample's 21, once each", n, err)
	}
	t.Logf("screenshots in %s", shots)
}

// browserApp is the app with the sandbox as identity provider and as
// Partner Center, and the demo's people with the demo's roles.
func browserApp(t *testing.T) *signedIn {
	t.Helper()
	co := importer.DefaultConnectOptions()
	// 10 requests a second: the purchase of the sample's 21 carts takes
	// a few seconds, long enough to watch it go.
	co.Sandbox, co.Rate = true, 240
	conn := importer.NewConnection(co)
	t.Cleanup(conn.Close)
	return withSignIn(t, func(_ *sandbox.Config, o *Options) {
		o.Conn = conn
		o.Settings = []Setting{{Name: "Partner Center", Value: "the sandbox: nothing is real, nothing is bought"}, {Name: "Follow-up of bought orders", Value: "every 1h"}}
		o.OIDC.Roles = map[string][]string{}
		for _, u := range sandbox.DemoUsers {
			for _, r := range strings.Split(u.Roles, ",") {
				o.OIDC.Roles[u.Email] = append(o.OIDC.Roles[u.Email], strings.TrimSpace(r))
			}
		}
	})
}
