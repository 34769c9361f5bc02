package parse

import (
	"cmp"
	"encoding/hex"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// Normalization of an assembled audit event into ECS and Sigma fields, and the tables
// of record types and system calls it uses.

// auditClass says what a record type means in ECS terms.
type auditClass struct {
	category, typ []string
	action        string
	who           auditWho
}

// auditWho says whose account the acct=/id= of a user-space record names.
type auditWho int

const (
	whoProcess auditWho = iota // nobody: user.* is the process's uid
	whoAuth                    // the account logging in or authenticating: user.*
	whoUser                    // the account being managed: user.target.*
	whoGroup                   // the group being managed: group.*
)

func auditClassOf(category, typ, action string, who auditWho) auditClass {
	c := auditClass{action: action, who: who}
	if category != "" {
		c.category = strings.Split(category, ",")
	}
	if typ != "" {
		c.typ = strings.Split(typ, ",")
	}
	return c
}

// auditClasses classifies the main record types. Types not listed get no category and
// the type's name as action ("crypto-key-user").
var auditClasses = map[string]auditClass{
	"USER_AUTH":            auditClassOf("authentication", "start", "authenticated", whoAuth),
	"USER_ACCT":            auditClassOf("authentication", "info", "was-authorized", whoAuth),
	"USER_LOGIN":           auditClassOf("authentication", "start", "logged-in", whoAuth),
	"USER_LOGOUT":          auditClassOf("authentication", "end", "logged-out", whoAuth),
	"USER_ERR":             auditClassOf("authentication", "info", "user-error", whoAuth),
	"GRP_AUTH":             auditClassOf("authentication", "start", "authenticated-to-group", whoAuth),
	"CRED_ACQ":             auditClassOf("authentication", "info", "acquired-credentials", whoAuth),
	"CRED_DISP":            auditClassOf("authentication", "info", "disposed-credentials", whoAuth),
	"CRED_REFR":            auditClassOf("authentication", "info", "refreshed-credentials", whoAuth),
	"USER_START":           auditClassOf("session", "start", "started-session", whoAuth),
	"USER_END":             auditClassOf("session", "end", "ended-session", whoAuth),
	"ANOM_LOGIN_FAILURES":  auditClassOf("authentication", "info", "failed-log-in-too-many-times", whoAuth),
	"ANOM_LOGIN_TIME":      auditClassOf("authentication", "info", "attempted-log-in-during-unusual-hour", whoAuth),
	"ANOM_LOGIN_SESSIONS":  auditClassOf("authentication", "info", "opened-too-many-sessions", whoAuth),
	"ANOM_LOGIN_ACCT":      auditClassOf("authentication", "info", "attempted-log-in-to-watched-account", whoAuth),
	"ANOM_LOGIN_LOCATION":  auditClassOf("authentication", "info", "attempted-log-in-from-unusual-place", whoAuth),
	"ANOM_LOGIN_SERVICE":   auditClassOf("authentication", "info", "service-account-attempted-log-in", whoAuth),
	"ADD_USER":             auditClassOf("iam", "user,creation", "added-user-account", whoUser),
	"DEL_USER":             auditClassOf("iam", "user,deletion", "deleted-user-account", whoUser),
	"USER_MGMT":            auditClassOf("iam", "user,change", "modified-user-account", whoUser),
	"USER_CHAUTHTOK":       auditClassOf("iam", "user,change", "changed-password", whoUser),
	"ACCT_LOCK":            auditClassOf("iam", "user,change", "locked-account", whoUser),
	"ACCT_UNLOCK":          auditClassOf("iam", "user,change", "unlocked-account", whoUser),
	"CHUSER_ID":            auditClassOf("iam", "user,change", "changed-user-id", whoUser),
	"ROLE_ASSIGN":          auditClassOf("iam", "user,change", "assigned-user-role-to", whoUser),
	"ROLE_REMOVE":          auditClassOf("iam", "user,change", "removed-user-role-from", whoUser),
	"ANOM_ADD_ACCT":        auditClassOf("iam", "user,creation", "added-user-account", whoUser),
	"ANOM_DEL_ACCT":        auditClassOf("iam", "user,deletion", "deleted-user-account", whoUser),
	"ANOM_MOD_ACCT":        auditClassOf("iam", "user,change", "modified-user-account", whoUser),
	"ADD_GROUP":            auditClassOf("iam", "group,creation", "added-group-account", whoGroup),
	"DEL_GROUP":            auditClassOf("iam", "group,deletion", "deleted-group-account", whoGroup),
	"GRP_MGMT":             auditClassOf("iam", "group,change", "modified-group-account", whoGroup),
	"GRP_CHAUTHTOK":        auditClassOf("iam", "group,change", "changed-group-password", whoGroup),
	"CHGRP_ID":             auditClassOf("iam", "group,change", "changed-group", whoGroup),
	"USER_CMD":             auditClassOf("process", "start", "ran-command", whoProcess),
	"SERVICE_START":        auditClassOf("process", "start", "started-service", whoProcess),
	"SERVICE_STOP":         auditClassOf("process", "end", "stopped-service", whoProcess),
	"SYSTEM_BOOT":          auditClassOf("host", "start", "booted-system", whoProcess),
	"SYSTEM_SHUTDOWN":      auditClassOf("host", "end", "shutdown-system", whoProcess),
	"SYSTEM_RUNLEVEL":      auditClassOf("host", "change", "changed-to-runlevel", whoProcess),
	"DAEMON_START":         auditClassOf("process", "start", "started-audit", whoProcess),
	"DAEMON_END":           auditClassOf("process", "end", "stopped-audit", whoProcess),
	"DAEMON_ABORT":         auditClassOf("process", "end", "aborted-audit", whoProcess),
	"DAEMON_CONFIG":        auditClassOf("configuration", "change", "changed-audit-daemon-configuration", whoProcess),
	"DAEMON_RECONFIG":      auditClassOf("configuration", "change", "reconfigured-audit", whoProcess),
	"DAEMON_ROTATE":        auditClassOf("process", "change", "rotated-audit-logs", whoProcess),
	"DAEMON_RESUME":        auditClassOf("process", "change", "resumed-audit-logging", whoProcess),
	"DAEMON_ACCEPT":        auditClassOf("network", "connection,start", "accepted-audit-connection", whoProcess),
	"DAEMON_CLOSE":         auditClassOf("network", "connection,end", "closed-audit-connection", whoProcess),
	"DAEMON_ERR":           auditClassOf("process", "info", "audit-daemon-error", whoProcess),
	"CONFIG_CHANGE":        auditClassOf("configuration", "change", "changed-audit-configuration", whoProcess),
	"USYS_CONFIG":          auditClassOf("configuration", "change", "changed-configuration", whoProcess),
	"NETFILTER_CFG":        auditClassOf("configuration", "change", "changed-firewall-configuration", whoProcess),
	"FEATURE_CHANGE":       auditClassOf("configuration", "change", "changed-audit-feature", whoProcess),
	"MAC_POLICY_LOAD":      auditClassOf("configuration", "change", "loaded-selinux-policy", whoProcess),
	"USER_MAC_POLICY_LOAD": auditClassOf("configuration", "change", "loaded-selinux-policy", whoProcess),
	"MAC_STATUS":           auditClassOf("configuration", "change", "changed-selinux-enforcement", whoProcess),
	"MAC_CONFIG_CHANGE":    auditClassOf("configuration", "change", "changed-selinux-boolean", whoProcess),
	"SOFTWARE_UPDATE":      auditClassOf("package", "change", "package-updated", whoProcess),
	"ANOM_PROMISCUOUS":     auditClassOf("host", "change", "changed-promiscuous-mode-on-device", whoProcess),
	"ANOM_ABEND":           auditClassOf("process", "end", "crashed-program", whoProcess),
	"ANOM_LINK":            auditClassOf("file", "access", "used-suspicious-link", whoProcess),
	"ANOM_CREAT":           auditClassOf("file", "creation", "created-file-anomalously", whoProcess),
	"ANOM_EXEC":            auditClassOf("process", "start", "executed-anomalous-file", whoProcess),
	"ANOM_ROOT_TRANS":      auditClassOf("process", "change", "became-root", whoProcess),
	"SECCOMP":              auditClassOf("process", "info", "violated-seccomp-policy", whoProcess),
	"KERN_MODULE":          auditClassOf("driver", "change", "changed-kernel-module", whoProcess),
	"TTY":                  auditClassOf("process", "info", "typed", whoProcess),
	"USER_TTY":             auditClassOf("process", "info", "typed", whoProcess),
}

// auditSyscallClasses classifies SYSCALL events by the call's name.
var auditSyscallClasses = func() map[string]auditClass {
	m := map[string]auditClass{}
	set := func(names, category, typ, action string) {
		for _, n := range strings.Split(names, ",") {
			m[n] = auditClassOf(category, typ, action, whoProcess)
		}
	}
	set("execve,execveat", "process", "start", "executed")
	set("clone,clone3,fork,vfork", "process", "start", "forked")
	set("open,openat,openat2,creat", "file", "access", "opened-file")
	set("unlink,unlinkat,rmdir", "file", "deletion", "deleted")
	set("rename,renameat,renameat2", "file", "change", "renamed")
	set("chmod,fchmod,fchmodat,fchmodat2", "file", "change", "changed-file-permissions-of")
	set("chown,fchown,lchown,fchownat,chown32,fchown32,lchown32", "file", "change", "changed-file-ownership-of")
	set("mkdir,mkdirat", "file", "creation", "created-directory")
	set("mknod,mknodat", "file", "creation", "created-node")
	set("link,linkat,symlink,symlinkat", "file", "creation", "linked")
	set("truncate,ftruncate", "file", "change", "truncated")
	set("setxattr,lsetxattr,fsetxattr,removexattr,lremovexattr,fremovexattr", "file", "change", "changed-file-attributes-of")
	set("mount", "file", "change", "mounted")
	set("umount,umount2", "file", "change", "unmounted")
	set("connect", "network", "connection,start", "connected-to")
	set("accept,accept4", "network", "connection,start", "accepted-connection-from")
	set("bind", "network", "start", "bound-socket")
	set("listen", "network", "start", "listened-for-connections")
	set("socket", "network", "info", "created-socket")
	set("sendto,sendmsg", "network", "info", "sent-to")
	set("recvfrom,recvmsg", "network", "info", "received-from")
	set("ptrace", "process", "access", "traced")
	set("process_vm_readv,process_vm_writev", "process", "access", "accessed-process-memory")
	set("kill,tkill,tgkill", "process", "end", "killed-pid")
	set("setuid,setreuid,setresuid,setfsuid,setgid,setregid,setresgid,setfsgid,setuid32,setreuid32,setresuid32,setgid32",
		"process", "change", "changed-identity-of")
	set("init_module,finit_module", "driver", "start", "loaded-kernel-module")
	set("delete_module", "driver", "end", "unloaded-kernel-module")
	set("memfd_create", "process", "info", "created-memory-file")
	set("chroot,pivot_root", "process", "change", "changed-root-directory")
	set("sethostname,setdomainname", "host", "change", "changed-hostname")
	return m
}()

// auditNormalize sets the ECS, process and user fields of an assembled event.
func auditNormalize(ev *event.Event, ae *auditEvent) {
	main := ae.main
	if main == nil {
		return
	}
	// What happened.
	cls, known := auditClasses[main.typ]
	syscallName := ""
	if ae.syscall != nil {
		syscallName = auditSyscallName(ae.syscall)
		ev.Set("auditd.syscall_name", syscallName)
	}
	switch {
	case main.typ == "SYSCALL":
		if c, ok := auditSyscallClasses[syscallName]; ok {
			cls, known = c, true
		} else if syscallName != "" {
			cls.action = syscallName
		}
	case main.typ == "AVC" || main.typ == "USER_AVC":
		cls, known = auditAVCClass(main), true
	case main.typ == "EOE":
		cls.action = "end-of-event"
	}
	if !known && cls.action == "" {
		cls.action = strings.ReplaceAll(auditLower(main.typ), "_", "-")
	}
	if cls.action == "opened-file" && slices.Contains(auditPathValues(ae, "nametype"), "CREATE") {
		cls.typ = []string{"creation"}
	}
	if len(cls.category) > 0 {
		ev.Set("event.category", slices.Clone(cls.category))
	}
	if len(cls.typ) > 0 {
		ev.Set("event.type", slices.Clone(cls.typ))
	}
	ev.Set("event.action", cls.action)
	if o := auditOutcome(ae); o != "" {
		ev.Set("event.outcome", o)
	}

	// The process.
	pid := auditInt(ae.get("pid"))
	if pid >= 0 {
		ev.Set("process.pid", pid)
	}
	ppid := int64(-1)
	if ae.syscall != nil {
		ppid = auditInt(auditValue(ae.syscall.get("ppid")))
		if ppid >= 0 {
			ev.Set("process.ppid", ppid)
			ev.Set("process.parent.pid", ppid)
		}
	}
	exe := ae.get("exe")
	ev.Set("process.executable", exe)
	name := ae.get("comm")
	if name == "" && exe != "" {
		name = path.Base(exe)
	}
	ev.Set("process.name", name)
	if tty := ae.get("tty"); tty != "" {
		ev.Set("process.tty.name", tty)
	}
	title := ""
	if r := ae.rec("PROCTITLE"); r != nil {
		title = r.get("proctitle")
		ev.Set("process.title", title)
	}
	args, argc := auditArgs(ae)
	cmdline := ""
	if len(args) > 0 {
		cmdline = strings.Join(args, " ")
		ev.Set("process.args", args)
		if argc > 0 {
			ev.Set("process.args_count", argc)
		}
	} else if main.typ == "USER_CMD" {
		cmdline = main.get("cmd")
	} else {
		cmdline = title
	}
	ev.Set("process.command_line", cmdline)
	cwd := ""
	if r := ae.rec("CWD"); r != nil {
		cwd = r.get("cwd")
	} else if main.typ == "USER_CMD" {
		cwd = main.get("cwd")
	}
	ev.Set("process.working_directory", cwd)

	// The people.
	auditUsers(ev, ae, cls.who)

	// Files and addresses.
	if fp := auditFilePath(ae, cwd); fp != "" {
		ev.Set("file.path", fp)
	} else if name := main.get("name"); main.typ == "AVC" && strings.HasPrefix(name, "/") {
		ev.Set("file.path", name) // AppArmor names the whole path (SELinux only the base name)
	}
	if addr := auditValue(main.get("addr")); addr != "" && nfValidIP(addr) {
		port := auditInt(main.get("rport"))
		setSource(ev, addr, max(port, 0))
		if h := auditValue(main.get("hostname")); h != "" && h != addr && !nfValidIP(h) {
			ev.Set("source.domain", h)
		}
	}
	if r := ae.rec("SOCKADDR"); r != nil {
		auditSockaddr(ev, r.get("saddr"), syscallName)
	}
	if unit := main.get("unit"); unit != "" && (main.typ == "SERVICE_START" || main.typ == "SERVICE_STOP") {
		ev.Set("service.name", unit)
	}
	var tags []string
	for _, r := range ae.recs {
		if k := auditValue(r.get("key")); k != "" {
			for k := range strings.SplitSeq(k, ",") {
				// Rule keys are few (the kernel allows 256 bytes); bound them anyway.
				if k != "" && len(tags) < 64 && !slices.Contains(tags, k) {
					tags = append(tags, k)
				}
			}
		}
	}
	if len(tags) > 0 {
		ev.Set("tags", tags)
	}

	// Sigma's process_creation names, for execve events only.
	if cls.action == "executed" {
		ev.Set("Image", exe)
		ev.Set("CommandLine", cmdline)
		ev.Set("CurrentDirectory", cwd)
		if u := ev.GetString("user.name"); u != "" {
			ev.Set("User", u)
		} else {
			ev.Set("User", ev.GetString("user.id"))
		}
		if pid >= 0 {
			ev.Set("ProcessId", pid)
		}
		if ppid >= 0 {
			ev.Set("ParentProcessId", ppid)
		}
	}
}

// auditUsers sets user.*, user.audit.*, user.effective.*, user.target.* and group.*.
func auditUsers(ev *event.Event, ae *auditEvent, who auditWho) {
	main := ae.main
	uid, uidName := ae.get("uid"), ae.get("UID")
	acct := auditValue(main.get("acct"))
	if strings.HasPrefix(acct, "(") {
		acct = "" // sshd's "(invalid user)" and the like name no account
	}
	id := auditValue(main.get("id"))
	switch who {
	case whoAuth:
		// uid is the login service's own (root for sshd); the account is acct or id.
		auditUser(ev, "user", id, acct)
		auditUser(ev, "user", "", auditValue(main.get("ID")))
	default:
		auditUser(ev, "user", uid, uidName)
		switch who {
		case whoUser:
			// The enriched ID= is the name of id=.
			auditUser(ev, "user.target", id, cmp.Or(acct, auditValue(main.get("ID"))))
			ev.Set("group.name", auditValue(main.get("grp")))
		case whoGroup:
			ev.Set("group.name", cmp.Or(auditValue(main.get("grp")), acct, auditValue(main.get("ID"))))
			ev.Set("group.id", id)
		}
	}
	auditUser(ev, "user.audit", ae.get("auid"), ae.get("AUID"))
	if who != whoAuth {
		auditUser(ev, "user.effective", ae.get("euid"), ae.get("EUID"))
	}
}

// auditUser sets <prefix>.id and <prefix>.name. ausearch -i writes names where the raw
// log has numbers (uid=root), so a value that is not a number is a name.
func auditUser(ev *event.Event, prefix, id, name string) {
	if id != "" && (id[0] < '0' || id[0] > '9') {
		id, name = "", cmp.Or(name, id)
	}
	if id != "" {
		ev.Set(prefix+".id", id)
	}
	if name == "" {
		return
	}
	if _, ok := ev.Get(prefix + ".name"); !ok {
		ev.Set(prefix+".name", name)
	}
	if prefix != "user.effective" {
		ev.Append("related.user", name)
	}
}

// auditAVCClass classifies AppArmor and SELinux decisions.
func auditAVCClass(r *auditRec) auditClass {
	c := auditClass{}
	if aa := r.get("apparmor"); aa != "" {
		c.action = "apparmor-" + strings.ToLower(aa)
		switch aa {
		case "DENIED":
			c.typ = []string{"denied"}
		case "ALLOWED":
			c.typ = []string{"allowed"}
		}
		return c
	}
	switch r.get("seresult") {
	case "denied":
		c.action, c.typ = "selinux-denied", []string{"denied"}
	case "granted":
		c.action, c.typ = "selinux-granted", []string{"allowed"}
	default:
		c.action = "selinux-" + strings.ReplaceAll(auditLower(r.typ), "_", "-")
	}
	return c
}

// auditOutcome reads res= of the main record, else success= of the SYSCALL record, else
// an AppArmor/SELinux verdict.
func auditOutcome(ae *auditEvent) string {
	// ANOM_ABEND always says res=1: it tells nothing about the crashed program.
	if ae.main != nil && ae.main.typ != "ANOM_ABEND" {
		switch ae.main.get("res") {
		case "success", "yes", "1":
			return "success"
		case "failed", "fail", "failure", "no", "0":
			return "failure"
		}
		if ae.main.get("apparmor") == "DENIED" || ae.main.get("seresult") == "denied" {
			return "failure"
		}
	}
	if ae.syscall != nil {
		switch ae.syscall.get("success") {
		case "yes":
			return "success"
		case "no":
			return "failure"
		}
	}
	return ""
}

// auditPathValues returns one key of every PATH record.
func auditPathValues(ae *auditEvent, key string) []string {
	var out []string
	for i := range ae.recs {
		if ae.recs[i].typ == "PATH" {
			out = append(out, ae.recs[i].get(key))
		}
	}
	return out
}

// auditFilePath picks the object of the event among its PATH records: the first that is
// not the PARENT directory of a created or deleted name. A relative name is resolved
// against the working directory.
func auditFilePath(ae *auditEvent, cwd string) string {
	chosen := ""
	for i := range ae.recs {
		r := &ae.recs[i]
		if r.typ != "PATH" {
			continue
		}
		name := auditValue(r.get("name"))
		if name == "" {
			continue
		}
		if chosen == "" {
			chosen = name
		}
		if r.get("nametype") != "PARENT" {
			chosen = name
			break
		}
	}
	if chosen != "" && chosen[0] != '/' && cwd != "" && cwd[0] == '/' {
		chosen = path.Join(cwd, chosen)
	}
	return chosen
}

// auditSockaddr decodes a SOCKADDR record's saddr (a struct sockaddr in hex): the peer of
// connect/sendto is the destination, the peer of accept the source.
func auditSockaddr(ev *event.Event, saddr, syscall string) {
	b, err := hex.DecodeString(saddr)
	if err != nil || len(b) < 2 {
		return
	}
	family := uint16(b[0]) | uint16(b[1])<<8
	var ip string
	var port int64
	switch {
	case family == 2 && len(b) >= 8: // AF_INET
		port = int64(b[2])<<8 | int64(b[3])
		ip = netip.AddrFrom4([4]byte(b[4:8])).String()
		ev.Set("network.type", "ipv4")
	case family == 10 && len(b) >= 24: // AF_INET6
		port = int64(b[2])<<8 | int64(b[3])
		ip = netip.AddrFrom16([16]byte(b[8:24])).Unmap().String()
		ev.Set("network.type", "ipv6")
	default:
		return
	}
	switch syscall {
	case "connect", "sendto", "sendmsg":
		ev.Set("destination.ip", ip)
		ev.Append("related.ip", ip)
		if port > 0 {
			ev.Set("destination.port", port)
		}
	case "accept", "accept4", "recvfrom", "recvmsg":
		setSource(ev, ip, port)
	}
}

func auditInt(s string) int64 {
	if s == "" {
		return -1
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// auditSyscallName names the system call of a SYSCALL record: the enriched SYSCALL=,
// an already interpreted name (ausearch -i), or the number looked up for the arch.
func auditSyscallName(r *auditRec) string {
	if n := r.get("SYSCALL"); n != "" {
		return n
	}
	num := r.get("syscall")
	if num == "" || num[0] < '0' || num[0] > '9' {
		return num
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return num
	}
	arch := r.get("arch")
	if a := r.get("ARCH"); a != "" {
		arch = a
	}
	if table, ok := auditSyscalls[arch]; ok {
		if name, ok := table[n]; ok {
			return name
		}
	}
	return ""
}

// auditSyscalls maps the arch= value to the numbers of the system calls that matter
// for detection; others keep only their number (auditd.syscall.syscall).
var auditSyscalls = func() map[string]map[int]string {
	parse := func(s string) map[int]string {
		m := map[int]string{}
		for _, f := range strings.Fields(s) {
			num, name, _ := strings.Cut(f, "=")
			n, _ := strconv.Atoi(num)
			m[n] = name
		}
		return m
	}
	x8664 := parse(`0=read 1=write 2=open 3=close 9=mmap 10=mprotect 16=ioctl 21=access 32=dup 33=dup2
		41=socket 42=connect 43=accept 44=sendto 45=recvfrom 46=sendmsg 47=recvmsg 49=bind 50=listen 54=setsockopt 55=getsockopt
		56=clone 57=fork 58=vfork 59=execve 60=exit 62=kill 76=truncate 77=ftruncate 80=chdir 82=rename
		83=mkdir 84=rmdir 85=creat 86=link 87=unlink 88=symlink 90=chmod 91=fchmod 92=chown 93=fchown
		94=lchown 101=ptrace 105=setuid 106=setgid 113=setreuid 114=setregid 117=setresuid 119=setresgid
		122=setfsuid 123=setfsgid 133=mknod 155=pivot_root 161=chroot 165=mount 166=umount2
		170=sethostname 171=setdomainname 175=init_module 176=delete_module 188=setxattr 189=lsetxattr
		190=fsetxattr 197=removexattr 198=lremovexattr 199=fremovexattr 200=tkill 231=exit_group
		234=tgkill 257=openat 258=mkdirat 259=mknodat 260=fchownat 263=unlinkat 264=renameat 265=linkat
		266=symlinkat 268=fchmodat 269=faccessat 288=accept4 310=process_vm_readv 311=process_vm_writev
		313=finit_module 316=renameat2 317=seccomp 319=memfd_create 321=bpf 322=execveat 435=clone3
		437=openat2 452=fchmodat2`)
	aarch64 := parse(`17=getcwd 23=dup 24=dup3 25=fcntl 29=ioctl 33=mknodat 34=mkdirat 35=unlinkat
		36=symlinkat 37=linkat 38=renameat 39=umount2 40=mount 41=pivot_root 45=truncate 46=ftruncate
		48=faccessat 49=chdir 50=fchdir 51=chroot 52=fchmod 53=fchmodat 54=fchownat 55=fchown 56=openat
		57=close 63=read 64=write 93=exit 94=exit_group 105=init_module 106=delete_module 117=ptrace
		129=kill 130=tkill 131=tgkill 143=setregid 144=setgid 145=setreuid 146=setuid 147=setresuid
		149=setresgid 151=setfsuid 152=setfsgid 161=sethostname 162=setdomainname 198=socket 200=bind
		201=listen 202=accept 203=connect 206=sendto 207=recvfrom 208=setsockopt 209=getsockopt 211=sendmsg 212=recvmsg 220=clone
		221=execve 222=mmap 226=mprotect 242=accept4 270=process_vm_readv 271=process_vm_writev
		273=finit_module 276=renameat2 277=seccomp 279=memfd_create 280=bpf 281=execveat 435=clone3
		437=openat2 452=fchmodat2 5=setxattr 6=lsetxattr 7=fsetxattr 14=removexattr 15=lremovexattr
		16=fremovexattr`)
	i386 := parse(`1=exit 2=fork 3=read 4=write 5=open 6=close 8=creat 9=link 10=unlink 11=execve
		12=chdir 14=mknod 15=chmod 16=lchown 21=mount 23=setuid 26=ptrace 37=kill 38=rename 39=mkdir
		40=rmdir 46=setgid 52=umount2 61=chroot 74=sethostname 83=symlink 92=truncate 93=ftruncate
		94=fchmod 102=socketcall 120=clone 128=init_module 129=delete_module 190=vfork 198=lchown32
		207=fchown32 212=chown32 213=setuid32 214=setgid32 295=openat 296=mkdirat 298=fchownat
		301=unlinkat 302=renameat 303=linkat 304=symlinkat 306=fchmodat 350=finit_module 358=execveat
		359=socket 361=bind 362=connect 363=listen 364=accept4`)
	return map[string]map[int]string{
		"c000003e": x8664, "x86_64": x8664,
		"c00000b7": aarch64, "aarch64": aarch64,
		"40000003": i386, "i386": i386,
	}
}()

// auditTypeNumbers maps record type names to their numbers (linux/audit.h, libaudit.h).
var auditTypeNumbers = map[string]int{
	"USER_AUTH": 1100, "USER_ACCT": 1101, "USER_MGMT": 1102, "CRED_ACQ": 1103, "CRED_DISP": 1104,
	"USER_START": 1105, "USER_END": 1106, "USER_AVC": 1107, "USER_CHAUTHTOK": 1108, "USER_ERR": 1109,
	"CRED_REFR": 1110, "USYS_CONFIG": 1111, "USER_LOGIN": 1112, "USER_LOGOUT": 1113, "ADD_USER": 1114,
	"DEL_USER": 1115, "ADD_GROUP": 1116, "DEL_GROUP": 1117, "DAC_CHECK": 1118, "CHGRP_ID": 1119,
	"TEST": 1120, "TRUSTED_APP": 1121, "USER_SELINUX_ERR": 1122, "USER_CMD": 1123, "USER_TTY": 1124,
	"CHUSER_ID": 1125, "GRP_AUTH": 1126, "SYSTEM_BOOT": 1127, "SYSTEM_SHUTDOWN": 1128,
	"SYSTEM_RUNLEVEL": 1129, "SERVICE_START": 1130, "SERVICE_STOP": 1131, "GRP_MGMT": 1132,
	"GRP_CHAUTHTOK": 1133, "MAC_CHECK": 1134, "ACCT_LOCK": 1135, "ACCT_UNLOCK": 1136,
	"USER_DEVICE": 1137, "SOFTWARE_UPDATE": 1138,
	"DAEMON_START": 1200, "DAEMON_END": 1201, "DAEMON_ABORT": 1202, "DAEMON_CONFIG": 1203,
	"DAEMON_RECONFIG": 1204, "DAEMON_ROTATE": 1205, "DAEMON_RESUME": 1206, "DAEMON_ACCEPT": 1207,
	"DAEMON_CLOSE": 1208, "DAEMON_ERR": 1209,
	"SYSCALL": 1300, "PATH": 1302, "IPC": 1303, "SOCKETCALL": 1304, "CONFIG_CHANGE": 1305,
	"SOCKADDR": 1306, "CWD": 1307, "EXECVE": 1309, "IPC_SET_PERM": 1311, "MQ_OPEN": 1312,
	"MQ_SENDRECV": 1313, "MQ_NOTIFY": 1314, "MQ_GETSETATTR": 1315, "KERNEL_OTHER": 1316,
	"FD_PAIR": 1317, "OBJ_PID": 1318, "TTY": 1319, "EOE": 1320, "BPRM_FCAPS": 1321, "CAPSET": 1322,
	"MMAP": 1323, "NETFILTER_PKT": 1324, "NETFILTER_CFG": 1325, "SECCOMP": 1326, "PROCTITLE": 1327,
	"FEATURE_CHANGE": 1328, "REPLACE": 1329, "KERN_MODULE": 1330, "FANOTIFY": 1331,
	"TIME_INJOFFSET": 1332, "TIME_ADJNTPVAL": 1333, "BPF": 1334, "EVENT_LISTENER": 1335,
	"URINGOP": 1336, "OPENAT2": 1337, "DM_CTRL": 1338, "DM_EVENT": 1339,
	"AVC": 1400, "SELINUX_ERR": 1401, "AVC_PATH": 1402, "MAC_POLICY_LOAD": 1403, "MAC_STATUS": 1404,
	"MAC_CONFIG_CHANGE": 1405, "MAC_UNLBL_ALLOW": 1406,
	"APPARMOR_AUDIT": 1501, "APPARMOR_ALLOWED": 1502, "APPARMOR_DENIED": 1503, "APPARMOR_HINT": 1504,
	"APPARMOR_STATUS": 1505, "APPARMOR_ERROR": 1506,
	"ANOM_PROMISCUOUS": 1700, "ANOM_ABEND": 1701, "ANOM_LINK": 1702, "ANOM_CREAT": 1703,
	"INTEGRITY_DATA": 1800, "INTEGRITY_METADATA": 1801, "INTEGRITY_STATUS": 1802,
	"INTEGRITY_HASH": 1803, "INTEGRITY_PCR": 1804, "INTEGRITY_RULE": 1805,
	"KERNEL":              2000,
	"ANOM_LOGIN_FAILURES": 2100, "ANOM_LOGIN_TIME": 2101, "ANOM_LOGIN_SESSIONS": 2102,
	"ANOM_LOGIN_ACCT": 2103, "ANOM_LOGIN_LOCATION": 2104, "ANOM_MAX_DAC": 2105, "ANOM_MAX_MAC": 2106,
	"ANOM_AMTU_FAIL": 2107, "ANOM_RBAC_FAIL": 2108, "ANOM_RBAC_INTEGRITY_FAIL": 2109,
	"ANOM_CRYPTO_FAIL": 2110, "ANOM_ACCESS_FS": 2111, "ANOM_EXEC": 2112, "ANOM_MK_EXEC": 2113,
	"ANOM_ADD_ACCT": 2114, "ANOM_DEL_ACCT": 2115, "ANOM_MOD_ACCT": 2116, "ANOM_ROOT_TRANS": 2117,
	"ANOM_LOGIN_SERVICE": 2118,
	"RESP_ANOMALY":       2200, "RESP_ALERT": 2201, "RESP_KILL_PROC": 2202, "RESP_TERM_ACCESS": 2203,
	"RESP_ACCT_REMOTE": 2204, "RESP_ACCT_LOCK_TIMED": 2205, "RESP_ACCT_UNLOCK_TIMED": 2206,
	"RESP_ACCT_LOCK": 2207, "RESP_TERM_LOCK": 2208, "RESP_SEBOOL": 2209, "RESP_EXEC": 2210,
	"RESP_SINGLE": 2211, "RESP_HALT": 2212, "RESP_ORIGIN_BLOCK": 2213, "RESP_ORIGIN_BLOCK_TIMED": 2214,
	"USER_ROLE_CHANGE": 2300, "ROLE_ASSIGN": 2301, "ROLE_REMOVE": 2302, "LABEL_OVERRIDE": 2303,
	"LABEL_LEVEL_CHANGE": 2304, "USER_LABELED_EXPORT": 2305, "USER_UNLABELED_EXPORT": 2306,
	"DEV_ALLOC": 2307, "DEV_DEALLOC": 2308, "FS_RELABEL": 2309, "USER_MAC_POLICY_LOAD": 2310,
	"ROLE_MODIFY": 2311, "USER_MAC_CONFIG_CHANGE": 2312,
	"CRYPTO_TEST_USER": 2400, "CRYPTO_PARAM_CHANGE_USER": 2401, "CRYPTO_LOGIN": 2402,
	"CRYPTO_LOGOUT": 2403, "CRYPTO_KEY_USER": 2404, "CRYPTO_FAILURE_USER": 2405,
	"CRYPTO_REPLAY_USER": 2406, "CRYPTO_SESSION": 2407, "CRYPTO_IKE_SA": 2408, "CRYPTO_IPSEC_SA": 2409,
	"VIRT_CONTROL": 2500, "VIRT_RESOURCE": 2501, "VIRT_MACHINE_ID": 2502, "VIRT_INTEGRITY_CHECK": 2503,
	"VIRT_CREATE": 2504, "VIRT_DESTROY": 2505, "VIRT_MIGRATE_IN": 2506, "VIRT_MIGRATE_OUT": 2507,
}

var auditTypeByNumber = func() map[string]string {
	m := make(map[string]string, len(auditTypeNumbers))
	for name, n := range auditTypeNumbers {
		m[strconv.Itoa(n)] = name
	}
	return m
}()

// auditTypeName names a numeric record type as auditd does; unknown numbers become
// "UNKNOWN[1234]".
func auditTypeName(num string) string {
	if name, ok := auditTypeByNumber[num]; ok {
		return name
	}
	return "UNKNOWN[" + num + "]"
}

// auditStandalone reports whether a record type is a whole event by itself: the
// user-space messages (1100–1299 and 2100–2999), which get no EOE.
func auditStandalone(typ string) bool {
	n, ok := auditTypeNumbers[typ]
	if !ok {
		if num, found := strings.CutPrefix(typ, "UNKNOWN["); found {
			n, _ = strconv.Atoi(strings.TrimSuffix(num, "]"))
		}
	}
	return n >= 1100 && n <= 1299 || n >= 2100 && n <= 2999
}
