// Command oncefleet is the self-hosted control plane for fleets of 1NCE IoT SIMs: API,
// dashboard, background sync, alerts, the Data Streamer receiver and a 1NCE simulator.
package main

//go:generate go test -run TestConfigurationDoc -update .

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		// One line, no stack trace: start-up errors are read by people and log collectors.
		fmt.Fprintln(os.Stderr, "oncefleet:", oneLine(err.Error()))
		os.Exit(1)
	}
}

// run executes one command line. It takes its environment explicitly so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cli, kctx, err := parse(args, stdout, stderr)
	if err != nil || kctx == nil {
		return err
	}
	return cli.dispatch(ctx, kctx.Command(), env{getenv: getenv, stdout: stdout, stderr: stderr})
}

// oneLine folds a multi-line error (pgx lists every address it tried) into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ; ")), " ")
}
