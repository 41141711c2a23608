// Package apitest stands in for the private API in tests: a local TLS
// server that answers with chosen statuses, counts the TCP connections it
// accepts and keeps the headers it received.
package apitest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"crossregionapi/internal/demo"
)

// HelloBody is what the demo API's mock integration answers.
var HelloBody = demo.Response("us-east-1")

// Pseudo-statuses for NewServer.
const (
	// Stall holds the request, before any header is sent, until the client
	// gives up, then drops the connection.
	Stall = 0
	// StallBody sends 200, its headers and the first half of HelloBody,
	// then holds the rest until the client gives up and drops the
	// connection: past any response header timeout, only a timeout on the
	// whole exchange ends it.
	StallBody = -1
)

// Server is the stand-in API.
type Server struct {
	*httptest.Server
	requests atomic.Int32
	conns    atomic.Int32
	mu       sync.Mutex
	header   http.Header
}

// NewServer answers the n-th request with statuses[n-1], repeating the last
// status once they run out. Its certificate is httptest's, for 127.0.0.1.
func NewServer(t testing.TB, statuses ...int) *Server {
	t.Helper()
	if len(statuses) == 0 {
		statuses = []int{http.StatusOK}
	}
	s := &Server{}
	release := make(chan struct{})
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.requests.Add(1))
		s.mu.Lock()
		s.header = r.Header.Clone()
		s.mu.Unlock()
		status := statuses[min(n, len(statuses))-1]
		// holdThenDrop waits for the client to give up, or the test to
		// end, then drops the connection without finishing the response.
		// Returning instead would send a 200 (or the rest of the body) that
		// a client whose transport is still cancelling the request may yet
		// read and take for the answer.
		holdThenDrop := func() {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			panic(http.ErrAbortHandler)
		}
		switch status {
		case Stall:
			holdThenDrop()
			return
		case StallBody:
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(HelloBody)))
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, HelloBody[:len(HelloBody)/2])
			w.(http.Flusher).Flush()
			holdThenDrop()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status == http.StatusOK {
			_, _ = io.WriteString(w, HelloBody)
		} else {
			_, _ = io.WriteString(w, `{"message":"`+http.StatusText(status)+`"}`)
		}
	}))
	s.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(release) })
	return s
}

// Requests is how many requests arrived.
func (s *Server) Requests() int { return int(s.requests.Load()) }

// Conns is how many TCP connections were accepted.
func (s *Server) Conns() int { return int(s.conns.Load()) }

// Header is the last request's headers.
func (s *Server) Header() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.header.Clone()
}

// CertPEM is the server's certificate, for a client's trust store.
func (s *Server) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
}

// NewUntrustedServer serves a fresh self-signed certificate for 127.0.0.1.
// Every httptest server shares one certificate, so a client that trusts
// one trusts them all; this one it does not.
func NewUntrustedServer(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	// The client's rejected handshakes are the point, not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func selfSigned(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "untrusted test server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// ClosedPortURL is an https URL on 127.0.0.1 where nothing listens.
func ClosedPortURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "https://" + addr
}
