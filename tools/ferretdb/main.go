// Command ferretdb is the embedded MongoDB-compatible store for the
// project's default (no MONGODB_URI) setup: FerretDB's embeddable package
// with the SQLite backend. FerretDB's own cmd/ferretdb needs a generated
// version file, which a module-proxy build lacks; embedding avoids that.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data-dir", "data/ferretdb", "directory for the SQLite databases")
	logLevel := flag.String("log-level", "error", "debug, info, warn or error")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fail("invalid -log-level %q", *logLevel)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		fail("invalid -data-dir: %v", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		fail("cannot create data dir %s: %v", dir, err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
		Logger:    logger,
	})
	if err != nil {
		fail("cannot start FerretDB: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Fprintf(os.Stderr, "ferretdb listening on %s (data in %s)\n", *listen, dir)
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		fail("FerretDB stopped: %v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ferretdb: "+format+"\n", args...)
	os.Exit(1)
}
