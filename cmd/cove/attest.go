package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cove-network/cove/tee"
	"github.com/cove-network/cove/tee/sevsnp"
	"github.com/cove-network/cove/tee/tdx"
)

func newAttestCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "attest",
		Short: "Work with TEE attestation evidence (quotes and reports)",
	}
	var (
		kind       string
		collateral string
		at         string
		asJSON     bool
	)
	verify := &cobra.Command{
		Use:   "verify FILE",
		Short: "Verify an Intel TDX quote (v4 or v5) or an AMD SEV-SNP report offline",
		Long: `Verify attestation evidence offline and print what it attests.

FILE holds a TDX quote (versions 4 and 5) or an SEV-SNP report, binary or hex text
(with or without 0x). TDX: the signature chain to Intel's SGX root CA, the QE report
and the quote signature are checked; with --collateral (Intel PCS TCB info, QE
identity and CRLs, as JSON) also the TCB status and its advisories at --at (default
now), which must fall inside the collateral's validity window. SEV-SNP: the report
signature and the VCEK chain to AMD's root; --collateral is then the VCEK
certificate (DER or PEM).

The exit code is 0 only for evidence that verifies.`,
		Example: `  cove attest verify quote.bin --collateral collateral.json --at 2025-07-01T00:00:00Z --json
  cove attest verify report.bin --tee sev-snp --collateral vcek.der`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("read evidence: %w", err)
			}
			now := time.Now()
			if at != "" {
				if now, err = time.Parse(time.RFC3339, at); err != nil {
					return fmt.Errorf("--at %q: want RFC 3339, e.g. 2025-07-01T00:00:00Z", at)
				}
			}
			var coll []byte
			if collateral != "" {
				if coll, err = os.ReadFile(collateral); err != nil {
					return fmt.Errorf("read collateral: %w", err)
				}
			}
			var rep tee.Report
			switch kind {
			case "tdx":
				rep, err = verifyTDX(raw, coll, now)
			case "sev-snp":
				rep, err = verifySEVSNP(raw, coll, now)
			default:
				return fmt.Errorf("--tee %q: use tdx or sev-snp", kind)
			}
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("%s evidence NOT valid: %w", kind, err)}
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%s evidence valid (version %d)\n  mrtd        %s\n", rep.TEE, rep.Version, rep.MRTD)
			for i, r := range rep.RTMRs {
				fmt.Fprintf(out, "  rtmr%d       %s\n", i, r)
			}
			fmt.Fprintf(out, "  reportData  %s\n", rep.ReportData)
			if rep.TCBStatus != nil {
				fmt.Fprintf(out, "  tcbStatus   %s\n", *rep.TCBStatus)
				if len(rep.Advisories) > 0 {
					fmt.Fprintf(out, "  advisories  %s\n", strings.Join(rep.Advisories, ", "))
				}
			} else {
				fmt.Fprintln(out, "  tcbStatus   (not checked: pass --collateral)")
			}
			return nil
		},
	}
	f := verify.Flags()
	f.StringVar(&kind, "tee", "tdx", "evidence type: tdx or sev-snp")
	f.StringVar(&collateral, "collateral", "", "TDX: collateral JSON (TCB info, QE identity, CRLs); SEV-SNP: the VCEK certificate")
	f.StringVar(&at, "at", "", "verification time, RFC 3339 (default now)")
	f.BoolVar(&asJSON, "json", false, `print {"tee","version","mrtd","rtmrs","reportData","signatureValid","tcbStatus","advisories"}`)
	cmd.AddCommand(verify)
	return cmd
}

func verifyTDX(raw, coll []byte, now time.Time) (tee.Report, error) {
	b, err := tdx.ReadQuoteFile(raw)
	if err != nil {
		return tee.Report{}, err
	}
	q, err := tdx.Parse(b)
	if err != nil {
		return tee.Report{}, err
	}
	opts := tdx.Options{Now: now}
	if coll != nil {
		if opts.Collateral, err = tdx.ParseCollateral(coll); err != nil {
			return tee.Report{}, err
		}
	}
	r, err := tdx.Verify(q, opts)
	if err != nil {
		return tee.Report{}, err
	}
	return tdx.Summary(r), nil
}

func verifySEVSNP(raw, vcek []byte, now time.Time) (tee.Report, error) {
	b, err := sevsnp.ReadReportFile(raw)
	if err != nil {
		return tee.Report{}, err
	}
	r, err := sevsnp.Parse(b)
	if err != nil {
		return tee.Report{}, err
	}
	res, err := sevsnp.Verify(r, sevsnp.Options{VCEK: vcek, Now: now})
	if err != nil {
		return tee.Report{}, err
	}
	return sevsnp.Summary(res), nil
}
