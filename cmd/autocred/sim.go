package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// sandboxes are both fake APIs, served on their own listeners.
type sandboxes struct {
	AC        *simac.Server
	Certifier *simcert.Server

	ACURL, ACKey                 string
	CertifierURL, CertifierToken string

	servers []*http.Server
}

type sandboxConfig struct {
	acAddr, certifierAddr string
	acRate, certifierRate int
	seed                  bool
	contacts              int
	randSeed              uint64
	logger                *slog.Logger
}

// startSandboxes listens on both addresses and serves one ActiveCampaign
// account ("demo") and one Certifier workspace ("demo") with fresh keys.
func startSandboxes(cfg sandboxConfig) (*sandboxes, error) {
	acLn, err := net.Listen("tcp", cfg.acAddr)
	if err != nil {
		return nil, fmt.Errorf("starting the ActiveCampaign sandbox: %w", err)
	}
	certLn, err := net.Listen("tcp", cfg.certifierAddr)
	if err != nil {
		acLn.Close()
		return nil, fmt.Errorf("starting the Certifier sandbox: %w", err)
	}
	sb := &sandboxes{
		AC:             simac.New(simac.Options{RatePerSecond: cfg.acRate, Seed: cfg.randSeed, Logger: cfg.logger}),
		Certifier:      simcert.New(simcert.Options{RatePerSecond: cfg.certifierRate, Seed: cfg.randSeed, Logger: cfg.logger}),
		ACKey:          randomKey(64),
		CertifierToken: randomKey(48),
	}
	sb.ACURL = "http://" + acLn.Addr().String() + "/demo"
	sb.CertifierURL = "http://" + certLn.Addr().String() + "/v1"
	if err := sb.AC.AddAccount("demo", sb.ACKey); err != nil {
		return nil, err
	}
	if err := sb.Certifier.AddWorkspace("demo", sb.CertifierToken); err != nil {
		return nil, err
	}
	if cfg.seed {
		if _, err := sb.AC.SeedSample("demo", cfg.contacts); err != nil {
			return nil, fmt.Errorf("seeding ActiveCampaign: %w", err)
		}
		if _, err := sb.Certifier.SeedSample("demo"); err != nil {
			return nil, fmt.Errorf("seeding Certifier: %w", err)
		}
	}
	for _, s := range []struct {
		ln net.Listener
		h  http.Handler
	}{{acLn, sb.AC}, {certLn, sb.Certifier}} {
		srv := &http.Server{Handler: s.h, ReadHeaderTimeout: 10 * time.Second}
		sb.servers = append(sb.servers, srv)
		go func() { _ = srv.Serve(s.ln) }()
	}
	return sb, nil
}

// Close stops both servers and the webhook workers.
func (sb *sandboxes) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range sb.servers {
		_ = s.Shutdown(ctx)
	}
	sb.AC.Close()
}

// randomKey returns n lowercase hex-like characters, the shape of real keys.
func randomKey(n int) string {
	const alphabet = "0123456789abcdef"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sim", stderr)
	var cfg sandboxConfig
	fs.StringVar(&cfg.acAddr, "ac-addr", "127.0.0.1:8081", "`HOST:PORT` of the ActiveCampaign sandbox")
	fs.StringVar(&cfg.certifierAddr, "certifier-addr", "127.0.0.1:8082", "`HOST:PORT` of the Certifier sandbox")
	fs.IntVar(&cfg.acRate, "ac-rate", 0, "ActiveCampaign requests per second per account (0: the real limit, 5; -1: off)")
	fs.IntVar(&cfg.certifierRate, "certifier-rate", 0, "Certifier requests per second per workspace (0: the default, 10; -1: off)")
	fs.BoolVar(&cfg.seed, "seed", false, "fill both sandboxes with realistic sample data")
	fs.IntVar(&cfg.contacts, "contacts", 500, "number of sample contacts with --seed")
	fs.Uint64Var(&cfg.randSeed, "rand-seed", 1, "seed of the sample data and of fault injection")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg.logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	sb, err := startSandboxes(cfg)
	if err != nil {
		return err
	}
	defer sb.Close()
	// These four lines come first so that scripts can read them.
	fmt.Fprintf(stdout, "AC_URL=%s\nAC_KEY=%s\nCERTIFIER_URL=%s\nCERTIFIER_TOKEN=%s\n",
		sb.ACURL, sb.ACKey, sb.CertifierURL, sb.CertifierToken)
	cfg.logger.Info("sandboxes ready; control API under /_sandbox on each; Ctrl-C stops",
		"activecampaign", sb.ACURL, "certifier", sb.CertifierURL, "seeded", cfg.seed)
	<-ctx.Done()
	return nil
}
