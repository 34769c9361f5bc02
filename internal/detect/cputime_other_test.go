//go:build !linux

package detect

// processCPU is not measured outside Linux.
func processCPU() int64 { return 0 }
