package sandbox

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestIntl checks the basic Intl against Node 20's output for the same
// calls (en-US, UTC), and that what it lacks throws a RangeError naming it.
func TestIntl(t *testing.T) {
	cases := []struct{ expr, want string }{
		{`new Intl.DateTimeFormat("en-US",{timeZone:"UTC"}).format(d)`, "3/5/2024"},
		{`new Intl.DateTimeFormat("en-US",{timeZone:"UTC", dateStyle:"full", timeStyle:"long"}).format(d)`, "Tuesday, March 5, 2024 at 2:07:09 PM UTC"},
		{`new Intl.DateTimeFormat("en-US",{timeZone:"UTC", dateStyle:"medium", timeStyle:"short"}).format(d)`, "Mar 5, 2024, 2:07 PM"},
		{`new Intl.DateTimeFormat("en-US",{timeZone:"UTC", dateStyle:"short"}).format(d)`, "3/5/24"},
		{`new Intl.DateTimeFormat("en-US",{timeZone:"UTC", dateStyle:"long"}).format(d)`, "March 5, 2024"},
		{`new Intl.DateTimeFormat("en-US",{timeZone:"UTC", timeStyle:"full"}).format(d)`, "2:07:09 PM Coordinated Universal Time"},
		{`new Intl.DateTimeFormat("en-US",{timeZone:"UTC", weekday:"short", year:"numeric", month:"short", day:"numeric"}).format(d)`, "Tue, Mar 5, 2024"},
		{`new Intl.DateTimeFormat("en-US",{timeZone:"UTC", hour:"2-digit", minute:"2-digit"}).format(d)`, "02:07 PM"},
		{`new Intl.DateTimeFormat("en-US",{timeZone:"UTC", hour:"numeric", minute:"2-digit", second:"2-digit", hour12:false}).format(d)`, "14:07:09"},
		{`new Intl.DateTimeFormat("en-US",{timeZone:"UTC", hour:"numeric"}).format(d)`, "2 PM"},
		{`new Intl.DateTimeFormat("en-US",{timeZone:"UTC", year:"numeric", month:"2-digit", day:"2-digit"}).format(d)`, "03/05/2024"},
		{`new Intl.DateTimeFormat("en-US",{timeZone:"UTC", month:"long", year:"numeric"}).format(d)`, "March 2024"},
		{`new Intl.DateTimeFormat("en-US",{timeZone:"UTC", year:"numeric", month:"long", day:"numeric", hour:"numeric", minute:"2-digit"}).format(d)`, "March 5, 2024 at 2:07 PM"},
		{`new Intl.DateTimeFormat("en-US",{timeZone:"UTC", weekday:"long"}).format(d)`, "Tuesday"},
		{`new Intl.DateTimeFormat("en-US",{timeZone:"UTC", month:"short", day:"numeric"}).format(d)`, "Mar 5"},
		{`new Intl.DateTimeFormat("en-US",{timeZone:"UTC", year:"2-digit", month:"numeric"}).format(d)`, "3/24"},
		{`new Intl.NumberFormat("en-US").format(1234567.891)`, "1,234,567.891"},
		{`new Intl.NumberFormat("en-US",{maximumFractionDigits:2}).format(1.005)`, "1.01"},
		{`new Intl.NumberFormat("en-US",{style:"currency",currency:"USD"}).format(-1234.5)`, "-$1,234.50"},
		{`new Intl.NumberFormat("en-US",{style:"currency",currency:"EUR"}).format(0.5)`, "€0.50"},
		{`new Intl.NumberFormat("en-US",{style:"currency",currency:"JPY"}).format(1234.5)`, "¥1,235"},
		{`new Intl.NumberFormat("en-US",{style:"currency",currency:"CHF"}).format(3)`, "CHF\u00a03.00"},
		{`new Intl.NumberFormat("en-US",{style:"percent"}).format(0.256)`, "26%"},
		{`new Intl.NumberFormat("en-US",{minimumFractionDigits:2}).format(5)`, "5.00"},
		{`new Intl.NumberFormat("en-US",{useGrouping:false}).format(12345.6789)`, "12345.679"},
		{`new Intl.NumberFormat("en-US").format(-0)`, "-0"},
		{`new Intl.NumberFormat("en-US").format(NaN)`, "NaN"},
		{`new Intl.NumberFormat("en-US").format(-Infinity)`, "-∞"},
		{`new Intl.NumberFormat("en-US").format(123456789012345678901234567890n)`, "123,456,789,012,345,678,901,234,567,890"},
		{`new Intl.NumberFormat("en-US").format(1e21)`, "1,000,000,000,000,000,000,000"},
		{`new Intl.NumberFormat("en-US",{maximumFractionDigits:0}).format(2.5)`, "3"},
		{`new Intl.NumberFormat("en-US",{minimumIntegerDigits:3}).format(7)`, "007"},
		{`new Intl.NumberFormat().format(0.000001234)`, "0"},
		{`new Intl.NumberFormat("en-US",{maximumFractionDigits:2}).format(9.999)`, "10"},
		{`["b","a","C","ä"].sort(new Intl.Collator("en").compare).join("")`, "aäbC"},
		{`["a10","a2","a1"].sort(new Intl.Collator("en",{numeric:true}).compare).join(",")`, "a1,a2,a10"},
		{`String(new Intl.Collator("en",{sensitivity:"base"}).compare("a","A"))`, "0"},
		{`new Intl.PluralRules("en-US").select(1) + new Intl.PluralRules("en-US").select(2) + new Intl.PluralRules("en-US",{type:"ordinal"}).select(22)`, "oneothertwo"},
		{`new Intl.NumberFormat("de-DE").resolvedOptions().locale`, "en-US"},
		// The gaps, named.
		{`(() => { try { new Intl.DateTimeFormat("en-US",{timeZone:"Europe/Paris"}); } catch (e) { return e.name + ": " + e.message; } })()`, `RangeError: Intl.DateTimeFormat time zone "Europe/Paris" is not supported by Cove's basic Intl (en-US, UTC)`},
		{`(() => { try { new Intl.RelativeTimeFormat("en"); } catch (e) { return e.name + ": " + e.message; } })()`, `RangeError: Intl.RelativeTimeFormat is not supported by Cove's basic Intl (en-US, UTC)`},
		{`(() => { try { new Intl.NumberFormat("en",{notation:"compact"}); } catch (e) { return e.name + ": " + e.message; } })()`, `RangeError: Intl.NumberFormat notation "compact" is not supported by Cove's basic Intl (en-US, UTC)`},
	}
	var exprs []string
	for _, c := range cases {
		exprs = append(exprs, c.expr)
	}
	e := newEngine(t, Limits{})
	code := agent(`{ fetch() { const d = new Date(Date.UTC(2024, 2, 5, 14, 7, 9)); return Response.json([` + strings.Join(exprs, ",\n") + `]); } }`)
	res, err := run(t, e, code, Request{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := json.Unmarshal(res.Body, &got); err != nil {
		t.Fatalf("%v: %s", err, res.Body)
	}
	for i, c := range cases {
		if got[i] != c.want {
			t.Errorf("%s\n got  %q\n want %q", c.expr, got[i], c.want)
		}
	}
}
