//go:build !linux

package cli_test

// processCPU is not measured outside Linux.
func processCPU() int64 { return 0 }
