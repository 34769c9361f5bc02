package parse

// Cloud audit logs: AWS CloudTrail, Alibaba Cloud ActionTrail and Tencent Cloud
// CloudAudit. The three formats descend from the same design (eventName, eventSource,
// userIdentity, requestParameters), so their parsers share the normalization here and
// differ only in where each provider keeps a value. The original record always stays
// the event's Original, untouched, so that rules written against the provider's own
// field names (public Sigma rules for CloudTrail) match as they are.

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/vigilsec/vigil/internal/event"
)

func init() {
	// Each detector requires its own provider's markers and the absence of the other
	// two providers' markers, so at most one of them accepts a record; the order is
	// fixed only so that the tried sequence is the same on every run.
	for _, r := range []struct {
		name string
		fn   recordParser
	}{
		{"cloudtrail", parseCloudTrail},
		{"actiontrail", parseActionTrail},
		{"cloudaudit", parseCloudAudit},
	} {
		recordParsers[r.name] = r.fn
		recordParserOrder = append(recordParserOrder, r.name)
	}
}

// unwrapRecords recognises containers that hold cloud audit records and returns the
// records inside them, each to be parsed as a record of its own:
//
//   - a CloudTrail log file, {"Records": [...]}, the object's only key;
//   - an EventBridge event whose detail-type ends in " via CloudTrail" ("AWS API Call
//     via CloudTrail", "AWS Console Sign In via CloudTrail", …): the CloudTrail record
//     is its detail, and the envelope adds nothing the record lacks (id, account,
//     region and time all repeat fields of the detail);
//   - a lookup API response, {"Events": [...]} or Tencent Cloud's {"Response":
//     {"Events": [...]}}, whose items carry the record as a JSON string in
//     CloudTrailEvent (AWS LookupEvents) or CloudAuditEvent (CloudAudit LookUpEvents
//     and DescribeEvents); the string is decoded, and an item whose string does not
//     decode is passed on as it is so nothing is dropped silently;
//   - an ActionTrail event as Simple Log Service stores it, {"__topic__":
//     "actiontrail_audit_event", "event": "{…}"}, with the record in event as a JSON
//     string (or an object, as some exports write it).
//
// ActionTrail's OSS delivery files are JSON arrays of records and CloudAudit's COS
// and CLS deliveries are records one per line; Read already splits both.
func unwrapRecords(rec map[string]any) ([]map[string]any, bool) {
	if list, ok := rec["Records"].([]any); ok && len(rec) == 1 {
		return objects(list)
	}
	if dt, ok := rec["detail-type"].(string); ok && strings.HasSuffix(dt, " via CloudTrail") {
		if d, ok := rec["detail"].(map[string]any); ok {
			return []map[string]any{d}, true
		}
	}
	if recs, ok := lookupResponse(rec); ok {
		return recs, true
	}
	if topic, ok := rec["__topic__"].(string); ok && strings.HasPrefix(topic, "actiontrail") {
		switch e := rec["event"].(type) {
		case map[string]any:
			return []map[string]any{e}, true
		case string:
			if m, err := decodeObject([]byte(e)); err == nil {
				return []map[string]any{m}, true
			}
		}
	}
	return nil, false
}

// objects returns the items of a list when all of them are objects; a list holding
// anything else is left whole, to become one generic event rather than lose items.
func objects(list []any) ([]map[string]any, bool) {
	out := make([]map[string]any, 0, len(list))
	for _, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, false
		}
		out = append(out, m)
	}
	return out, true
}

// lookupResponse unwraps the lookup API responses described at unwrapRecords.
func lookupResponse(rec map[string]any) ([]map[string]any, bool) {
	body, wrapped := rec, false
	if r, ok := rec["Response"].(map[string]any); ok && len(rec) == 1 {
		body, wrapped = r, true
	}
	list, ok := body["Events"].([]any)
	if !ok {
		return nil, false
	}
	// An empty page of Tencent Cloud's API holds no events; a bare {"Events": []} could
	// be anything, so it stays a generic event.
	if len(list) == 0 {
		return nil, wrapped
	}
	out := make([]map[string]any, 0, len(list))
	found := false
	for _, it := range list {
		item, ok := it.(map[string]any)
		if !ok {
			return nil, false
		}
		s, ok := item["CloudTrailEvent"].(string)
		if !ok {
			s, ok = item["CloudAuditEvent"].(string)
		}
		if !ok {
			out = append(out, item)
			continue
		}
		found = true
		if m, err := decodeObject([]byte(s)); err == nil {
			out = append(out, m)
		} else {
			out = append(out, item)
		}
	}
	if !found {
		return nil, false
	}
	return out, true
}

// Provider markers. A record belongs to a provider when it carries one of the
// provider's markers and none of the others'.

// sourceHost returns the host part of an eventSource. Most are bare host names
// ("ec2.amazonaws.com"), but CloudAudit's older records append a path
// ("cloudaudit.api.tencentyun.com/v2/index.php") and ActionTrail's console sign-ins
// use a URL ("http://account.aliyun.com/login/login_aliyun.htm").
func sourceHost(src string) string {
	if i := strings.Index(src, "://"); i >= 0 {
		src = src[i+3:]
	}
	if i := strings.IndexByte(src, '/'); i >= 0 {
		src = src[:i]
	}
	return src
}

func awsMarked(rec map[string]any, host string) bool {
	if strings.HasSuffix(host, ".amazonaws.com") {
		return true
	}
	_, ok := rec["awsRegion"]
	return ok
}

func alibabaMarked(rec map[string]any, host string) bool {
	if strings.HasSuffix(host, ".aliyuncs.com") || strings.HasSuffix(host, ".aliyun.com") {
		return true
	}
	_, ok := rec["acsRegion"]
	return ok
}

func tencentMarked(rec map[string]any, host string) bool {
	if strings.HasSuffix(host, ".tencentcloudapi.com") || strings.HasSuffix(host, ".api.qcloud.com") ||
		strings.HasSuffix(host, ".api.tencentyun.com") {
		return true
	}
	if _, ok := rec["eventRegion"]; ok {
		return true
	}
	_, ok := obj(rec, "userIdentity")["secretId"]
	return ok
}

// cloudFields holds what every provider's record yields, under the normalized meaning;
// each parser fills it from its own field names and setCloud writes the fields in one
// order, so that events of the three providers look alike.
type cloudFields struct {
	typ        string // the parser: id prefix and event.dataset
	provider   string // cloud.provider
	eventID    string
	action     string // event.action: the API or event name
	source     string // event.provider: the eventSource as recorded
	service    string // cloud.service.name
	eventType  string // the provider's eventType, for telling sign-ins apart
	readOnly   bool   // the provider marks the call as a read
	category   string // event.category
	region     string
	account    string
	address    string // the caller's address as recorded: an IP, a service name, "Internal"
	userAgent  string
	userName   string
	userID     string
	role       string
	identity   string // user.identity.type
	arn        string
	accessKey  string
	targetName string
	targetID   string
	failed     bool
	errCode    string
	errMsg     string
	time       time.Time
}

// Categories. The table is deliberately small: identity services are "iam", sign-ins
// and credential issuing are "authentication", and everything else changes or reads the
// configuration of cloud resources.
const (
	catIAM    = "iam"
	catAuth   = "authentication"
	catConfig = "configuration"
)

// setCloud writes the normalized fields, the same names for all three providers:
//
//	@timestamp              eventTime
//	event.id                "<parser>:<provider event id>" (also Event.ID)
//	event.kind              "event"
//	event.dataset           the parser: cloudtrail, actiontrail, cloudaudit
//	event.provider          eventSource, as recorded
//	event.action            eventName
//	event.category          iam, authentication or configuration
//	event.type              creation, deletion, info, change (plus user or group for
//	                        iam; start or end for authentication)
//	event.outcome           success or failure
//	cloud.provider          aws, alibaba_cloud, tencent_cloud
//	cloud.account.id        the account the record belongs to
//	cloud.region            the region of the call
//	cloud.service.name      the service called
//	source.address          the source address as recorded
//	source.ip               the source address when it is an IP address
//	source.domain           the source address when it is a host name (a service)
//	user_agent.original     userAgent
//	user.name, user.id      the caller: its name (a role session's name) and principal id
//	user.roles              the role an assumed-role session acts as
//	user.identity.type      userIdentity.type, as the provider names it
//	user.identity.arn       userIdentity.arn (CloudTrail)
//	user.access_key.id      the access key that signed the call
//	user.target.name, .id   the user an IAM call acts on, when it is not the caller
//	related.user, .ip       user.name and user.target.name; source.ip
//	error.code, .message    only when the call failed
//
// The access key is user.access_key.id rather than a cloud.* field because it
// identifies the caller's credential, as the user.* fields identify the caller; ECS has
// no field for it. The event id is the provider's own event id, prefixed with the
// parser name, so that a record delivered twice (the trail's file and an EventBridge
// rule, a re-read bucket) is stored once whatever the input source; without one the
// content hash of Event.Finish applies.
func setCloud(p *Parser, ev *event.Event, f *cloudFields) {
	if f.eventID != "" {
		if p != nil && p.opts.Reuse {
			// Written into the parser's id buffer, which the next event reuses.
			p.idText = append(append(append(p.idText[:0], f.typ...), ':'), f.eventID...)
			ev.ID = unsafe.String(unsafe.SliceData(p.idText), len(p.idText))
		} else {
			ev.ID = f.typ + ":" + f.eventID
		}
	}
	ev.Time = f.time
	w := newCloudWriter(ev, p.cloudRoom())
	w.set("event.kind", "event")
	w.str("event.dataset", f.typ)
	w.str("event.provider", f.source)
	w.str("event.action", f.action)
	w.set("event.category", categoryList(f.category))
	w.set("event.type", eventTypes(f))
	if f.failed {
		w.set("event.outcome", "failure")
	} else {
		w.set("event.outcome", "success")
	}
	w.str("cloud.provider", f.provider)
	w.str("cloud.account.id", f.account)
	w.str("cloud.region", f.region)
	w.str("cloud.service.name", f.service)
	if f.address != "" {
		w.str("source.address", f.address)
		if looksIP(f.address) {
			if ip, err := netip.ParseAddr(f.address); err == nil {
				// IPv4 parses only in its canonical form; IPv6 may be written in several,
				// and related.ip must hold one spelling per address to correlate.
				s := f.address
				if ip.Is6() {
					s = ip.String()
				}
				w.str("source.ip", s)
				w.list("related.ip", s)
			}
		} else if looksHostname(f.address) {
			w.str("source.domain", f.address)
		}
	}
	w.str("user_agent.original", f.userAgent)
	w.str("user.name", f.userName)
	w.str("user.id", f.userID)
	if f.role != "" {
		w.list("user.roles", f.role)
	}
	w.str("user.identity.type", f.identity)
	w.str("user.identity.arn", f.arn)
	w.str("user.access_key.id", f.accessKey)
	w.str("user.target.name", f.targetName)
	w.str("user.target.id", f.targetID)
	switch {
	case f.userName != "" && f.targetName != "" && f.userName != f.targetName:
		w.list("related.user", f.userName, f.targetName)
	case f.userName != "":
		w.list("related.user", f.userName)
	case f.targetName != "":
		w.list("related.user", f.targetName)
	}
	if f.failed {
		w.str("error.code", f.errCode)
		w.str("error.message", f.errMsg)
	}
}

// cloudRoom is the memory of a cloud event's fields and of their values, allocated at
// once: a cloud event gets about 25 fields, about 20 of them strings and up to three
// lists, and cloud trails deliver records by the hundred thousand. Allocating each
// value on its own was a third of the allocations of a record.
type cloudRoom struct {
	fields [32]event.Field
	strs   [24]string
	lists  [3][]string
	items  [4]string
}

// cloudWriter writes the fields of setCloud, boxing their values in a cloudRoom. It
// appends to an event that has no fields yet without Event.Set's search for the key
// (setCloud writes each key once); on an event that has fields it sets them as Set does.
type cloudWriter struct {
	ev    *event.Event
	room  *cloudRoom
	fresh bool
	nstr  int
	nlist int
	nitem int
}

func newCloudWriter(ev *event.Event, room *cloudRoom) cloudWriter {
	w := cloudWriter{ev: ev, room: room, fresh: len(ev.Fields) == 0}
	if cap(ev.Fields) == 0 {
		ev.Fields = room.fields[:0]
	}
	return w
}

// set writes a value that needs no box of its own (a constant, a shared list).
func (w *cloudWriter) set(key string, v any) {
	if w.fresh {
		w.ev.Fields = append(w.ev.Fields, event.Field{Key: key, Value: v})
		return
	}
	w.ev.Set(key, v)
}

// str writes a string, skipping the empty one as Set does.
func (w *cloudWriter) str(key, s string) {
	if s == "" {
		return
	}
	var v any
	if w.nstr < len(w.room.strs) {
		w.room.strs[w.nstr] = s
		v = boxString(&w.room.strs[w.nstr])
		w.nstr++
	} else {
		v = s
	}
	w.set(key, v)
}

// list writes a list of one or two strings.
func (w *cloudWriter) list(key string, items ...string) {
	var v any
	if w.nlist < len(w.room.lists) && w.nitem+len(items) <= len(w.room.items) {
		l := w.room.items[w.nitem : w.nitem+len(items) : w.nitem+len(items)]
		copy(l, items)
		w.nitem += len(items)
		w.room.lists[w.nlist] = l
		v = boxList(&w.room.lists[w.nlist])
		w.nlist++
	} else {
		v = append([]string(nil), items...)
	}
	w.set(key, v)
}

// categoryList is the shared list of a category.
func categoryList(c string) any {
	switch c {
	case catIAM:
		return listIAM
	case catAuth:
		return listAuthentication
	case catConfig:
		return listConfiguration
	}
	return []string{c}
}

// eventTypes derives event.type from the category and the verb that starts the API
// name, which all three providers use consistently (CreateUser, DescribeInstances,
// DeleteTrail); the provider's read flag decides for verbs not in the table. The lists
// are shared.
func eventTypes(f *cloudFields) any {
	name := f.action
	if f.category == catAuth {
		if hasVerb(name, "Exit", "Logout", "Signout", "SignOut", "ConsoleSignout") {
			return listEnd
		}
		return listStart
	}
	// t indexes cloudTypeLists: creation, deletion, info, change.
	var t int
	switch {
	case hasVerb(name, "Create", "Add", "Run", "Import", "Register", "Allocate", "Issue", "Upload", "Copy", "Purchase"):
		t = 0
	case hasVerb(name, "Delete", "Remove", "Terminate", "Deregister", "Release", "Destroy"):
		t = 1
	case hasVerb(name, "Get", "Describe", "List", "Lookup", "LookUp", "Head", "Search", "Query", "Check", "Inquiry", "View", "Preview"):
		t = 2
	case f.readOnly:
		t = 2
	default:
		t = 3
	}
	if f.category == catIAM {
		// ECS's iam category also says what kind of identity object the event is about.
		if strings.Contains(name, "User") {
			return cloudTypeLists[t][1]
		}
		if strings.Contains(name, "Group") {
			return cloudTypeLists[t][2]
		}
	}
	return cloudTypeLists[t][0]
}

// cloudTypeLists are the event.type lists of cloud events: each verb type alone, with
// "user" and with "group".
var cloudTypeLists = func() (l [4][3]any) {
	for i, t := range []string{"creation", "deletion", "info", "change"} {
		l[i] = [3]any{sharedList(t), sharedList(t, "user"), sharedList(t, "group")}
	}
	return l
}()

// hasVerb reports whether name starts with one of the verbs as a whole word of a
// CamelCase name: "ListUsers" starts with "List", "Listen" does not.
func hasVerb(name string, verbs ...string) bool {
	for _, v := range verbs {
		if strings.HasPrefix(name, v) && (len(name) == len(v) || name[len(v)] >= 'A' && name[len(v)] <= 'Z') {
			return true
		}
	}
	return false
}

// looksHostname reports whether s is a plain DNS name such as "ec2.amazonaws.com",
// which is what CloudTrail records as the source address of calls that a service makes
// on a user's behalf.
func looksHostname(s string) bool {
	if len(s) > 253 || strings.IndexByte(s, '.') <= 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// str returns m[key] when it is a string.
func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// obj returns m[key] when it is an object; reading a nil map is safe.
func obj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

// text returns m[key] as text when it is a string or a number: account and user ids
// arrive as either, depending on the provider and the delivery path.
func text(m map[string]any, key string) string {
	switch v := m[key].(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// firstOf returns the first non-empty string.
func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// isoTime parses the ISO 8601 times of CloudTrail and ActionTrail
// ("2026-11-28T10:00:00Z", with or without fractional seconds).
func isoTime(s string) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	return time.Time{}
}

// firstLabel returns the first DNS label of a host: the service in "ecs.aliyuncs.com".
func firstLabel(host string) string {
	label, _, _ := strings.Cut(host, ".")
	return label
}

// splitRole splits an assumed-role name "role:session" (ActionTrail's userName) or
// "role/session" (the tail of a CloudTrail assumed-role ARN).
func splitRole(s string, sep byte) (role, session string) {
	if i := strings.IndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:]
	}
	return "", s
}
