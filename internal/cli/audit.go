package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
)

func newAudit() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Inspect the audit log"}
	configFlags(cmd.PersistentFlags())
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit log's hash chain; exit 1 and name the first broken entry if any row was altered or deleted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, _, err := openAdmin(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			var res audit.Result
			err = st.View(cmd.Context(), func(tx store.Tx) (err error) { res, err = audit.Verify(tx); return err })
			if err != nil {
				return err
			}
			if !res.OK {
				fmt.Fprintf(cmd.OutOrStdout(), "audit log BROKEN at entry %d: %s (%d entries verified before it)\n",
					res.BrokenAt, res.Reason, res.Entries)
				return exitCode(1)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "audit log OK: %d entries, hash chain intact\n", res.Entries)
			return nil
		},
	}
	cmd.AddCommand(verify)
	return cmd
}
