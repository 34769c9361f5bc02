//go:build unix

package tail

import (
	"os"
	"syscall"
)

// identify returns the device and inode of a file and its number of links, which tell a
// rotated or deleted file from the one now at its path.
func identify(fi os.FileInfo) (id fileID, links uint64, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, 0, false
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, uint64(st.Nlink), true
}
