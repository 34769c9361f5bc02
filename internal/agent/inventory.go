package agent

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Inventory is what the agent reports about its host at enrolment and in heartbeats.
type Inventory struct {
	Hostname  string    `json:"hostname"`
	MachineID string    `json:"machine_id,omitempty"`
	OS        string    `json:"os,omitempty"` // PRETTY_NAME of os-release
	OSID      string    `json:"os_id,omitempty"`
	OSVersion string    `json:"os_version,omitempty"`
	Kernel    string    `json:"kernel,omitempty"`
	Arch      string    `json:"arch"`
	IPs       []string  `json:"ips,omitempty"`
	BootTime  time.Time `json:"boot_time,omitzero"`
	Cloud     *Cloud    `json:"cloud,omitempty"`
}

// inventory gathers the inventory; the cloud part is looked up once an hour, since each
// lookup may wait for the metadata services' timeout.
type inventory struct {
	machineIDFile string
	probe         cloudProbe

	mu        sync.Mutex
	cloud     *Cloud
	cloudAt   time.Time
	cloudDone bool
}

func (inv *inventory) collect(ctx context.Context) Inventory {
	out := Inventory{Arch: runtime.GOARCH}
	out.Hostname, _ = os.Hostname()
	out.MachineID = machineID(inv.machineIDFile)
	if rel, err := os.ReadFile("/etc/os-release"); err == nil {
		kv := osRelease(rel)
		out.OS, out.OSID, out.OSVersion = kv["PRETTY_NAME"], kv["ID"], kv["VERSION_ID"]
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		out.Kernel = strings.TrimSpace(string(b))
	}
	out.IPs = addresses()
	out.BootTime = bootTime()
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if !inv.cloudDone || time.Since(inv.cloudAt) > time.Hour {
		inv.cloud, inv.cloudAt, inv.cloudDone = inv.probe.detect(ctx), time.Now(), true
	}
	out.Cloud = inv.cloud
	return out
}

// machineID reads the systemd machine id (older systems keep it for D-Bus only); file
// replaces both in tests.
func machineID(file string) string {
	files := []string{"/etc/machine-id", "/var/lib/dbus/machine-id"}
	if file != "" {
		files = []string{file}
	}
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			if id := strings.TrimSpace(string(b)); id != "" {
				return id
			}
		}
	}
	return ""
}

// osRelease parses os-release's KEY=value lines, quoted or not.
func osRelease(b []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		} else {
			v = strings.Trim(v, `'"`)
		}
		out[k] = v
	}
	return out
}

// addresses lists the addresses of the interfaces that are up, loopback excluded.
func addresses() []string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []string
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
				continue
			}
			out = append(out, ipn.IP.String())
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	// A container host may have hundreds of interfaces; the inventory stays small.
	return out[:min(len(out), 64)]
}

// bootTime reads the boot time from /proc/stat ("btime SECONDS").
func bootTime() time.Time {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			if s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				return time.Unix(s, 0).UTC()
			}
		}
	}
	return time.Time{}
}
