package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"syscall"
)

// DescribeNetwork says in words why no answer came, for the people who read
// a run's error: "the connection was reset before an answer came", not
// `read tcp 10.0.0.5:52640->…: connection reset by peer`. The transport's
// own text stays in the error chain (NetworkError.Err) for the log.
func DescribeNetwork(err error) string {
	var (
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		hostErr x509.HostnameError
		netErr  net.Error
	)
	switch {
	case errors.Is(err, context.Canceled):
		return "autocred stopped waiting for the answer (it was stopping, or the job ended)"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "it did not answer in time"
	case errors.As(err, &dnsErr):
		return "its host name could not be found (" + dnsErr.Name + ")"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the connection was refused: nothing is listening at that address"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "the connection was reset before an answer came"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection closed before an answer came"
	case errors.As(err, &certErr), errors.As(err, &unknown), errors.As(err, &hostErr):
		return "its TLS certificate could not be verified"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "its network could not be reached"
	}
	return "the connection failed"
}
