package detect

import "syscall"

// processCPU returns the processor time the process has used (the garbage collector's
// threads included). Benchmarks on a shared machine report it beside the wall time:
// other tenants' load stretches the wall time, much less the time the benchmark itself
// ran.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
