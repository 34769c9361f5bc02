package cli

import (
	"bufio"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
)

func newUser() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage users (works on a data directory, also while serve runs)"}
	configFlags(cmd.PersistentFlags())

	var role string
	var pwStdin bool
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Add a user; prints a one-time password unless --password-stdin",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, svc, err := openAdmin(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			pw := ""
			if pwStdin {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("read password from stdin: %w", err)
				}
				pw = strings.TrimRight(line, "\r\n")
				if pw == "" {
					return fmt.Errorf("empty password on stdin")
				}
			}
			u, oneTime, err := svc.CreateUser(cmd.Context(), cliActor(), args[0], role, pw)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created user %s (id %d, role %s)\n", u.Username, u.ID, u.Role)
			if oneTime != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "one-time password (must be changed at first sign-in):\n%s\n", oneTime)
			}
			return nil
		},
	}
	add.Flags().StringVar(&role, "role", auth.RoleViewer, "role: "+strings.Join(auth.Roles(), ", "))
	add.Flags().BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of stdin")

	list := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, svc, err := openAdmin(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tUSER\tROLE\tSTATUS\tTOTP\tCREATED")
			users, err := store.All(func(p store.Page) ([]*store.User, error) { return svc.ListUsers(cmd.Context(), p) },
				func(u *store.User) int64 { return u.ID })
			if err != nil {
				return err
			}
			for _, u := range users {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Username, u.Role, userStatus(u), yesNo(u.TOTPEnabled),
					u.CreatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}

	reset := &cobra.Command{
		Use:   "reset-password NAME",
		Short: "Give a user a new one-time password; ends their sessions and lifts a lockout",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, svc, err := openAdmin(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := svc.GetUserByName(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("user %s: %w", args[0], err)
			}
			pw, err := svc.ResetPassword(cmd.Context(), cliActor(), u.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "one-time password for %s (must be changed at next sign-in):\n%s\n", u.Username, pw)
			return nil
		},
	}

	setDisabled := func(use, short string, disabled bool) *cobra.Command {
		return &cobra.Command{
			Use:   use + " NAME",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				st, svc, err := openAdmin(cmd)
				if err != nil {
					return err
				}
				defer st.Close()
				u, err := svc.GetUserByName(cmd.Context(), args[0])
				if err != nil {
					return fmt.Errorf("user %s: %w", args[0], err)
				}
				if _, err := svc.UpdateUser(cmd.Context(), cliActor(), u.ID, nil, &disabled); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "user %s %sd\n", u.Username, use)
				return nil
			},
		}
	}
	cmd.AddCommand(add, list, reset,
		setDisabled("disable", "Disable a user and end their sessions", true),
		setDisabled("enable", "Enable a disabled user", false))
	return cmd
}

func userStatus(u *store.User) string {
	switch {
	case u.Disabled:
		return "disabled"
	case time.Now().Before(u.LockedUntil):
		return "locked"
	case u.MustChangePassword:
		return "must-change-password"
	}
	return "active"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
