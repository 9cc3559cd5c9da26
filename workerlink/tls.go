package workerlink

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/cove-network/cove/tee/identity/idkey"
)

// ErrWrongWorker is what a connection to a worker fails with when the key
// its certificate proves is not the identity key registered for it.
var ErrWrongWorker = errors.New("the worker's TLS key is not its registered identity key")

// Certificate returns a self-signed TLS certificate of a worker's Ed25519
// identity key (identity.Identity.TLSSigner), for ServerTLS. Its names and
// validity mean nothing: gateways pin the key, not a CA's word.
func Certificate(signer crypto.Signer) (tls.Certificate, error) {
	pub, ok := signer.Public().(ed25519.PublicKey)
	if !ok {
		return tls.Certificate{}, errors.New("workerlink: the identity key is not Ed25519")
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "cove worker"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(100 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, signer)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("workerlink: certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: signer}, nil
}

// ServerTLS is the worker's side of the link: TLS 1.3 with cert, HTTP/2
// offered.
func ServerTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"h2", "http/1.1"},
	}
}

// ClientTLS is a gateway's side of a link to one worker: TLS 1.3, and the
// connection is accepted only if the server proves the Ed25519 key inside
// identityKey, the worker's registered identity public key (package
// idkey's encoding, as on chain).
//
// Security: the usual chain-of-trust check is off (InsecureSkipVerify)
// because a worker's certificate is self-signed: VerifyConnection pins the
// key instead, and TLS 1.3 proves the server holds its private half. No
// session cache is set, so every connection proves it afresh.
func ClientTLS(identityKey []byte) (*tls.Config, error) {
	k, err := idkey.Parse(identityKey)
	if err != nil {
		return nil, fmt.Errorf("workerlink: the worker's identity key: %w", err)
	}
	want := k.Signing
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		InsecureSkipVerify: true, // replaced by the pin below
		NextProtos:         []string{"h2", "http/1.1"},
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return ErrWrongWorker
			}
			got, ok := cs.PeerCertificates[0].PublicKey.(ed25519.PublicKey)
			if !ok || !got.Equal(want) {
				return ErrWrongWorker
			}
			return nil
		},
	}, nil
}
