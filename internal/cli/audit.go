package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
)

func newAudit() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Inspect the audit log"}
	configFlags(cmd.PersistentFlags())
	var anchor string
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
			var anchorID int64
			var anchorHash string
			if anchor != "" {
				id, hash, ok := strings.Cut(anchor, ":")
				n, err := strconv.ParseInt(id, 10, 64)
				if !ok || err != nil || n < 1 || len(hash) != 64 {
					return fmt.Errorf("--anchor %q: want ID:HASH as printed by an earlier verify", anchor)
				}
				anchorID, anchorHash = n, hash
			}
			var res audit.Result
			var anchorErr error
			err = st.View(cmd.Context(), func(tx store.Tx) (err error) {
				if res, err = audit.Verify(tx); err != nil {
					return err
				}
				if anchorID > 0 {
					anchorErr = audit.CheckAnchor(tx, anchorID, anchorHash)
				}
				return nil
			})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			failed := false
			if !res.OK {
				fmt.Fprintf(out, "audit log BROKEN at entry %d: %s (%d entries verified before it)\n",
					res.BrokenAt, res.Reason, res.Entries)
				failed = true
			}
			if anchorErr != nil {
				fmt.Fprintf(out, "audit log BROKEN: %v\n", anchorErr)
				failed = true
			}
			if failed {
				return exitCode(1)
			}
			fmt.Fprintf(out, "audit log OK: %d entries, hash chain intact\n", res.Entries)
			if res.HeadID > 0 {
				fmt.Fprintf(out, "newest entry: --anchor %d:%s (keep it outside this machine; a later verify with it detects truncation)\n",
					res.HeadID, res.HeadHash)
			}
			return nil
		},
	}
	verify.Flags().StringVar(&anchor, "anchor", "", "ID:HASH of an entry recorded from an earlier verify; fail if it is gone or changed")
	cmd.AddCommand(verify)
	return cmd
}
