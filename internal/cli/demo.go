package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/demo"
	"github.com/vigilsec/vigil/internal/ingest/httpin"
	"github.com/vigilsec/vigil/internal/matrix"
)

// demoActor names `vigil demo` in the audit log when it issues its own token.
const demoActor = "demo"

// demoTokenTTL bounds the life of the token the demo issues for itself, in case it is
// killed before it can revoke it.
const demoTokenTTL = 15 * time.Minute

func newDemo() *cobra.Command {
	var server, token string
	var insecure bool
	var pace time.Duration
	cmd := &cobra.Command{
		Use:   "demo [--server URL] [--token TOKEN] [--data DIR] [--insecure] [--pace 2s]",
		Short: "Replay a bundled multi-stage attack against a running server, to see alerts appear",
		Long: "Sends the logs of a multi-stage attack, dated within the last ten minutes, to a running server\n" +
			"through its ingest API (POST /api/v1/ingest), one stage at a time: a leaked AWS access key,\n" +
			"enumeration, a new access key for another user, instance user data replaced, SSH password guessing\n" +
			"and a root login on the host web-01, an SSH key and a crontab planted, the instance role's\n" +
			"credentials taken from the metadata service, logs wiped. The built-in rules raise alerts for every\n" +
			"stage; see docs/DEMO.md.\n\n" +
			"The token is --token, else VIGIL_TOKEN, else a token of role ingest that the demo issues in the\n" +
			"server's data directory (--data, alias --data-dir; as for `vigil token create`) and revokes when done.\n" +
			"Exits 1 when the server cannot be reached or refuses or rejects anything.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			if server == "" {
				server = defaultServer(cfg)
			}
			if token == "" {
				token = os.Getenv("VIGIL_TOKEN")
			}
			if pace < 0 {
				return fmt.Errorf("--pace must not be negative")
			}
			return runDemo(cmd, cfg, demoOptions{server: server, token: token, insecure: insecure, pace: pace})
		},
	}
	configFlags(cmd.Flags())
	cmd.Flags().SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "data-dir" {
			name = "data"
		}
		return pflag.NormalizedName(name)
	})
	cmd.Flags().StringVar(&server, "server", "",
		"URL of the running server (default: where vigil serve listens with the same configuration, http://127.0.0.1:8080)")
	cmd.Flags().StringVar(&token, "token", "", "API token with the ingest permission (env VIGIL_TOKEN; default: a temporary one issued in --data)")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "do not verify the server's TLS certificate (a self-signed one)")
	cmd.Flags().DurationVar(&pace, "pace", 2*time.Second, "pause between stages")
	return cmd
}

type demoOptions struct {
	server, token string
	insecure      bool
	pace          time.Duration
}

// defaultServer is the address `vigil serve` listens on with the same configuration,
// as a client reaches it: a wildcard listen address is reached on loopback.
func defaultServer(cfg config.Config) string {
	scheme := "http"
	if cfg.TLS.Cert != "" || cfg.TLS.SelfSigned {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return scheme + "://" + cfg.Listen
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

func runDemo(cmd *cobra.Command, cfg config.Config, o demoOptions) (err error) {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	base, err := url.Parse(strings.TrimRight(o.server, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return fmt.Errorf("--server %q: want a URL such as http://127.0.0.1:8080", o.server)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	if o.insecure {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		// Asked for with --insecure: a self-signed certificate on a test server.
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		client.Transport = tr
	}
	if err := checkServer(ctx, client, base); err != nil {
		return err
	}

	issued := false
	if o.token == "" {
		st, svc, err := openAdmin(cmd)
		if err != nil {
			return fmt.Errorf("no token given (--token or VIGIL_TOKEN), and none can be issued: %w", err)
		}
		defer st.Close()
		k, secret, err := svc.CreateToken(ctx, demoActor, "demo", auth.RoleIngest, demoTokenTTL)
		if err != nil {
			return fmt.Errorf("issue a token for the demo: %w", err)
		}
		o.token, issued = secret, true
		fmt.Fprintf(out, "Issued ingest token %d in %s for the demo; it is revoked when the demo ends.\n", k.ID, cfg.Data)
		defer func() {
			// Revoke even when the demo was interrupted: the token must not outlive it.
			rerr := svc.RevokeToken(context.WithoutCancel(ctx), demoActor, k.ID)
			if rerr != nil {
				rerr = fmt.Errorf("revoke the demo's token %d (revoke it with `vigil token revoke %d`): %w", k.ID, k.ID, rerr)
			}
			err = errors.Join(err, rerr)
		}()
	}

	sc, err := demo.Render(timeNow())
	if err != nil {
		return err
	}
	// wrongData explains a refused token that the demo issued itself.
	wrongData := func(err error) error {
		var re *refusedError
		if issued && errors.As(err, &re) && re.status == http.StatusUnauthorized {
			err = fmt.Errorf("%w\nthe token was issued in %s: is that the data directory of the server at %s? Pass --data, or --token",
				err, cfg.Data, base)
		}
		return err
	}
	if err := registerHost(ctx, client, base, o.token); err != nil {
		return wrongData(err)
	}
	fmt.Fprintf(out, "Registered %s as an agent on EC2 instance %s, so that its events and the cloud's join.\n",
		demo.Host.Hostname, demo.Host.InstanceID)
	names := techniqueNames()
	fmt.Fprintf(out, "Replaying a %d-stage attack against %s (events dated %s to %s UTC).\n",
		len(sc.Stages), base, sc.Start.Format("15:04:05"), sc.End.Format("15:04:05"))
	total := 0
	for i, st := range sc.Stages {
		if i > 0 && o.pace > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(o.pace):
			}
		}
		fmt.Fprintf(out, "\n[%d/%d] %s\n", i+1, len(sc.Stages), st.Title)
		for _, l := range wrap(st.Summary, 88) {
			fmt.Fprintf(out, "      %s\n", l)
		}
		for _, b := range st.Batches {
			res, err := sendBatch(ctx, client, base, o.token, b)
			if err != nil {
				return wrongData(err)
			}
			again := ""
			if res.Duplicates > 0 {
				// Only a replay of the very same rendering could do this; those events
				// raise no alert a second time.
				again = fmt.Sprintf(" (%d of them already stored)", res.Duplicates)
			}
			fmt.Fprintf(out, "      sent %s (%d lines): accepted %d events%s, rejected %d\n",
				b.File, b.Lines, res.Accepted, again, res.Rejected)
			if err := checkAnswer(b, res); err != nil {
				return err
			}
			total += res.Accepted
		}
		fmt.Fprintf(out, "      expect alerts for: %s\n", strings.Join(describeTechniques(st.Techniques, names), "; "))
	}
	ui := base.String() + "/"
	fmt.Fprintf(out, "\nDone: %d events accepted, none rejected. Open %s and sign in:\n", total, ui)
	fmt.Fprintf(out, "  Alerts  %s#/alerts  the alerts of every stage, newest first\n", ui)
	fmt.Fprintf(out, "  Matrix  %s#/matrix  the techniques above: their rules, detection and response steps\n", ui)
	return nil
}

// checkServer makes sure something answers at base before a token is issued for it.
func checkServer(ctx context.Context, client *http.Client, base *url.URL) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.String()+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		hint := `start it with "make run" (or "vigil serve"), or point --server at it`
		var cerr *tls.CertificateVerificationError
		if errors.As(err, &cerr) {
			hint = "pass --insecure if the server uses a self-signed certificate"
		}
		return fmt.Errorf("cannot reach the Vigil server at %s: %w\n%s", base, err, hint)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s/healthz answered %s: is that a Vigil server?", base, resp.Status)
	}
	return nil
}

// refusedError is an ingest request the server answered with an error.
type refusedError struct {
	file, message string
	status        int
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("the server refused %s: %d %s: %s", e.file, e.status, http.StatusText(e.status), e.message)
}

// sendBatch posts one batch, waiting and sending it again (unchanged: the server drops
// what it already stored) while the server answers 429.
func sendBatch(ctx context.Context, client *http.Client, base *url.URL, token string, b demo.Batch) (*httpin.Response, error) {
	q := url.Values{}
	if b.Type != "" {
		q.Set("type", b.Type)
	}
	if b.Host != "" {
		q.Set("host", b.Host)
	}
	target := base.String() + "/api/v1/ingest?" + q.Encode()
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(b.Body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", b.ContentType)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("send %s: %w", b.File, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("send %s: read the answer: %w", b.File, err)
		}
		switch {
		case resp.StatusCode == http.StatusOK:
			var res httpin.Response
			if err := json.Unmarshal(body, &res); err != nil {
				return nil, fmt.Errorf("send %s: unexpected answer: %w", b.File, err)
			}
			return &res, nil
		case resp.StatusCode == http.StatusTooManyRequests && attempt < 10:
			wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(max(wait, 1)) * time.Second):
			}
			continue
		}
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		msg := strings.TrimSpace(string(body))
		if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
			msg = e.Error.Message
		}
		return nil, &refusedError{file: b.File, status: resp.StatusCode, message: msg}
	}
}

// checkAnswer fails when the server did not take every line of a batch as the event it
// is: a rejected record, or a line none of its parsers recognised (a server older than
// this command), would leave a stage without its alerts.
func checkAnswer(b demo.Batch, res *httpin.Response) error {
	if res.Rejected > 0 {
		var why []string
		for _, r := range res.Rejections {
			why = append(why, fmt.Sprintf("line %d: %s", r.Line, r.Reason))
		}
		return fmt.Errorf("the server rejected %d of the records of %s: %s", res.Rejected, b.File, strings.Join(why, "; "))
	}
	if res.Unparsed > 0 {
		return fmt.Errorf("the server did not recognise %d lines of %s (stored as unknown events): is it older than this vigil?",
			res.Unparsed, b.File)
	}
	if res.Accepted == 0 {
		return fmt.Errorf("the server accepted no event of %s", b.File)
	}
	return nil
}

// techniqueNames maps technique ids to their English names; without the catalog the
// ids alone are printed.
func techniqueNames() map[string]string {
	names := map[string]string{}
	c, err := matrix.Load()
	if err != nil {
		return names
	}
	for _, t := range c.Techniques() {
		names[t.ID] = t.Name.En
	}
	return names
}

func describeTechniques(ids []string, names map[string]string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id
		if n := names[id]; n != "" {
			out[i] += " " + n
		}
	}
	return out
}

// wrap breaks text into lines of at most width characters at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// registerHost enrols the scenario's server as an agent with its cloud inventory (the
// demo's ingest token may enrol agents). Enrolling again keeps the one agent record.
func registerHost(ctx context.Context, client *http.Client, base *url.URL, token string) error {
	inv, err := json.Marshal(demo.HostInventory())
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{"hostname": demo.Host.Hostname, "machine_id": demo.Host.MachineID,
		"version": "demo", "inventory": json.RawMessage(inv)})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base.String()+"/api/v1/agents/enroll", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("register the demo host: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return &refusedError{file: "the registration of the demo host " + demo.Host.Hostname, status: resp.StatusCode,
			message: string(bytes.TrimSpace(msg))}
	}
	return nil
}
