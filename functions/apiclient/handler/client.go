package handler

import (
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// NewHTTPClient returns the client for every invocation of one execution
// environment, so warm invocations reuse the TLS connection to the endpoint.
//
// It trusts the system roots (SSL_CERT_FILE and SSL_CERT_DIR are honoured):
// the endpoint serves the public execute-api certificate. It uses no proxy:
// the call must leave through the VPC peering connection, or the API's
// aws:SourceVpce condition denies it. It follows no redirect: a redirected
// request would go out with a signature made for another URL.
//
// With a failover Region, the TCP connection and the TLS handshake each
// have Config.ConnectTimeout rather than the whole attempt's timeout: an
// API Region that accepts no connection, or accepts and never answers,
// then costs about that before the handler fails over.
func NewHTTPClient(cfg Config) *http.Client {
	connect := cfg.AttemptTimeout
	if cfg.hasFailover() {
		connect = cfg.ConnectTimeout
	}
	dialer := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   connect,
		ResponseHeaderTimeout: cfg.AttemptTimeout,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4,
		MaxIdleConnsPerHost:   4,
		// Below the 350 s after which an interface endpoint drops an idle
		// connection, so a warm invocation seldom meets a dead one.
		IdleConnTimeout: 90 * time.Second,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   cfg.AttemptTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
