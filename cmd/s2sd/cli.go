package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/alecthomas/kong"

	"github.com/s2sd/s2sd/config"
	"github.com/s2sd/s2sd/ledger"
)

// CLI is the command-line grammar.
type CLI struct {
	Globals

	Serve       ServeCmd       `cmd:"" help:"Run the SFTP daemon."`
	Mailbox     MailboxCmd     `cmd:"" help:"Add, close, import and list mailboxes."`
	User        UserCmd        `cmd:"" help:"Add, list and change users."`
	Transfers   TransfersCmd   `cmd:"" help:"List transfers."`
	Verify      VerifyCmd      `cmd:"" help:"Check that the ledger and the files on disk agree; exits non-zero on any difference."`
	Report      ReportCmd      `cmd:"" help:"Print a report (sent, received, usage, schools, cluster, monitor, lost-numbers, lost-details, leaving-age, generic, messages, quality)."`
	Lost        LostCmd        `cmd:"" help:"Search the Lost Pupil Database."`
	CheckConfig CheckConfigCmd `cmd:"" name:"check-config" help:"Check the configuration and exit."`
	Version     VersionCmd     `cmd:"" help:"Print the version of s2sd."`
}

// Globals holds the flags every command takes, and the standard streams.
type Globals struct {
	Data   string `placeholder:"DIR" env:"S2SD_DATA" help:"Data directory (default: data in the config file, else ./s2sd-data)."`
	Config string `placeholder:"FILE" env:"S2SD_CONFIG" help:"TOML config file (default: none, the built-in defaults)."`

	Stdin  io.Reader `kong:"-"`
	Stdout io.Writer `kong:"-"`
	Stderr io.Writer `kong:"-"`
}

// ServeCmd runs the daemon; runServe is in serve.go.
type ServeCmd struct {
	Listen string `help:"SFTP listen address (default 127.0.0.1:2022)."`
	Demo   bool   `help:"Provision example LAs, schools and users and print their logins."`
}

// Run runs the daemon.
func (c *ServeCmd) Run(ctx context.Context, g *Globals) error { return runServe(ctx, g, c) }

// usageError is a command line that does not parse: main exits 2.
type usageError struct {
	err     error
	command string // e.g. "s2sd user add"
}

func (e *usageError) Error() string {
	return fmt.Sprintf("%v: see %q", e.err, e.command+" --help")
}

func (e *usageError) Unwrap() error { return e.err }

// exitCode is the process status for an error returned by Run.
func exitCode(err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// Run parses args (without the program name) and runs the command they
// name. Only main turns its error into an exit status.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cli := CLI{Globals: Globals{Stdin: stdin, Stdout: stdout, Stderr: stderr}}
	helped := false
	parser, err := kong.New(&cli,
		kong.Name("s2sd"),
		kong.Description("s2sd: the school-to-school secure transfer service."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(int) { helped = true }), // only --help exits; Run returns instead
		kong.BindTo(ctx, (*context.Context)(nil)),
		kong.Bind(&cli.Globals),
	)
	if err != nil {
		return err
	}
	kctx, err := parser.Parse(args)
	if helped {
		return nil
	}
	if err != nil {
		command := "s2sd"
		var pe *kong.ParseError
		if errors.As(err, &pe) && pe.Context != nil && pe.Context.Selected() != nil {
			command = pe.Context.Selected().FullPath()
		}
		return &usageError{err: err, command: command}
	}
	return kctx.Run()
}

// loadConfig loads the config file (if any) with the environment and then
// the --data flag over it.
func (g *Globals) loadConfig() (config.Config, error) {
	cfg, err := config.Load(g.Config, os.Getenv)
	if err != nil {
		return config.Config{}, err
	}
	if g.Data != "" {
		cfg.Data = g.Data
	}
	return cfg, nil
}

// openLedger loads the config and opens the ledger in the data directory,
// which must exist: an admin command never creates one, so that a
// mistyped --data does not start an empty register.
func (g *Globals) openLedger(ctx context.Context) (*ledger.Ledger, config.Config, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, config.Config{}, err
	}
	fi, err := os.Stat(cfg.Data)
	if errors.Is(err, os.ErrNotExist) {
		return nil, config.Config{}, fmt.Errorf("data directory %s does not exist: run \"s2sd serve\" once to create it, or give the right one with --data or S2SD_DATA", cfg.Data)
	}
	if err != nil {
		return nil, config.Config{}, fmt.Errorf("data directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, config.Config{}, fmt.Errorf("data directory %s is not a directory: give a directory with --data or S2SD_DATA", cfg.Data)
	}
	led, err := ledger.Open(ctx, cfg.DataPath("ledger.db"))
	if err != nil {
		return nil, config.Config{}, err
	}
	return led, cfg, nil
}

// audit records an admin change made from the command line. detail never
// holds a password.
func audit(ctx context.Context, led *ledger.Ledger, mailbox, object, detail string) error {
	err := led.Audit(ctx, ledger.Event{
		At: time.Now(), Event: ledger.EventAdmin, Login: "cli",
		Mailbox: mailbox, Object: object, Detail: detail,
	})
	if err != nil {
		return fmt.Errorf("the change was made but could not be written to the audit log: %w", err)
	}
	return nil
}
