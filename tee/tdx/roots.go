package tdx

import (
	"crypto/x509"
	"encoding/pem"
)

// IntelSGXRootCA is Intel's SGX Root CA certificate (CN=Intel SGX Root CA,
// valid 2018-05-21 to 2049-12-31), the trust anchor of every PCK
// certificate, TCB signing certificate and CRL. It is the certificate that
// go-tdx-guest embeds (verify/trusted_root.pem) and that Intel publishes at
// https://certificates.trustedservices.intel.com/Intel_SGX_Provisioning_Certification_RootCA.der.
//
// Security: this constant is the root of trust of TDX attestation in Cove;
// replacing it (or passing other Options.Roots) replaces whom Cove believes.
const IntelSGXRootCA = `-----BEGIN CERTIFICATE-----
MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw
aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv
cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ
BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG
A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0
aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT
AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7
1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB
uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ
MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50
ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV
Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI
KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg
AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=
-----END CERTIFICATE-----
`

// IntelRoots returns a new pool holding only IntelSGXRootCA.
func IntelRoots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(intelRoot)
	return pool
}

// intelRoot is IntelSGXRootCA parsed; a constant that does not parse is a
// build defect, so it panics at start-up rather than at first use.
var intelRoot = func() *x509.Certificate {
	block, _ := pem.Decode([]byte(IntelSGXRootCA))
	if block == nil {
		panic("tdx: embedded Intel SGX root CA is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		panic("tdx: embedded Intel SGX root CA does not parse: " + err.Error())
	}
	return cert
}()
