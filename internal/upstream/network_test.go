package upstream

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

func TestDescribeNetwork(t *testing.T) {
	opErr := func(err error) error {
		return &net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: err}}
	}
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("Post %q: %w", "http://127.0.0.1:18082/v1/credentials", opErr(syscall.ECONNRESET)), "the connection was reset before an answer came"},
		{opErr(syscall.ECONNREFUSED), "the connection was refused: nothing is listening at that address"},
		{fmt.Errorf("wait: %w", context.DeadlineExceeded), "it did not answer in time"},
		{context.Canceled, "autocred stopped waiting for the answer (it was stopping, or the job ended)"},
		{&net.DNSError{Name: "api.certifier.example", Err: "no such host", IsNotFound: true}, "its host name could not be found (api.certifier.example)"},
		{fmt.Errorf("Post: %w", io.EOF), "the connection closed before an answer came"},
		{fmt.Errorf("something else"), "the connection failed"},
	}
	for _, tt := range tests {
		if got := DescribeNetwork(tt.err); got != tt.want {
			t.Errorf("DescribeNetwork(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
