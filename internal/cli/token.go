package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
)

func newToken() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage API tokens (works on a data directory, also while serve runs)"}
	configFlags(cmd.PersistentFlags())

	var name, role string
	var expires time.Duration
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API token; the secret is printed once, on the last line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, svc, err := openAdmin(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			k, secret, err := svc.CreateToken(cmd.Context(), cliActor(), name, role, expires)
			if err != nil {
				return err
			}
			exp := "never"
			if !k.ExpiresAt.IsZero() {
				exp = k.ExpiresAt.Format(time.RFC3339)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "created token %d %q with role %s (expires: %s); the secret below is shown only once\n",
				k.ID, k.Name, k.Role, exp)
			fmt.Fprintln(cmd.OutOrStdout(), secret)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "what the token is for (required)")
	create.Flags().StringVar(&role, "role", "", "role: "+strings.Join(auth.Roles(), ", ")+" (required)")
	create.Flags().DurationVar(&expires, "expires", 0, "lifetime, e.g. 720h; 0 = never expires")
	create.MarkFlagRequired("name")
	create.MarkFlagRequired("role")

	list := &cobra.Command{
		Use:   "list",
		Short: "List API tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, svc, err := openAdmin(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tROLE\tPREFIX\tSTATUS\tCREATED\tLAST USED\tEXPIRES")
			toks, err := store.All(func(p store.Page) ([]*store.Token, error) { return svc.ListTokens(cmd.Context(), p) },
				func(k *store.Token) int64 { return k.ID })
			if err != nil {
				return err
			}
			for _, k := range toks {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s…\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Role, k.Prefix, tokenStatus(k),
					k.CreatedAt.Format(time.RFC3339), timeOr(k.LastUsed, "never"), timeOr(k.ExpiresAt, "never"))
			}
			return tw.Flush()
		},
	}

	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API token",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("token id %q: want a number (see `vigil token list`)", args[0])
			}
			st, svc, err := openAdmin(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := svc.RevokeToken(cmd.Context(), cliActor(), id); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("token %d: %w (see `vigil token list`)", id, err)
				}
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %d revoked\n", id)
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

func tokenStatus(k *store.Token) string {
	switch {
	case !k.RevokedAt.IsZero():
		return "revoked"
	case !k.ExpiresAt.IsZero() && time.Now().After(k.ExpiresAt):
		return "expired"
	}
	return "active"
}

func timeOr(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.Format(time.RFC3339)
}
