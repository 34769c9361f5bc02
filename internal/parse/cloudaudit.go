package parse

import (
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// parseCloudAudit normalizes a Tencent Cloud CloudAudit record. A record is
// CloudAudit's when it has eventRegion, or an eventSource on tencentcloudapi.com (API
// 3.0) or on api.qcloud.com or api.tencentyun.com (older APIs, sometimes with a path
// appended), or a secretId in userIdentity; and none of the AWS and Alibaba Cloud
// markers.
//
// CloudAudit's own quirks: eventTime is Unix seconds as a number or a string (the
// oldest records write "2006-01-02 15:04:05" in China Standard Time); errorCode is the
// authorization result, 0 when the call was allowed, and apiErrorCode the result of
// the API itself; errorMessage reads "permission verify" on success; the request and
// response are usually JSON strings rather than objects.
func parseCloudAudit(p *Parser, rec map[string]any, ev *event.Event) bool {
	src := str(rec, "eventSource")
	host := sourceHost(src)
	if !tencentMarked(rec, host) || awsMarked(rec, host) || alibabaMarked(rec, host) {
		return false
	}
	id := obj(rec, "userIdentity")
	f := cloudFields{
		typ:       "cloudaudit",
		provider:  "tencent_cloud",
		eventID:   firstOf(str(rec, "eventID"), str(rec, "eventId")),
		action:    str(rec, "eventName"),
		source:    src,
		service:   firstOf(str(rec, "resourceType"), firstLabel(host)),
		eventType: str(rec, "eventType"),
		readOnly:  str(rec, "actionType") == "Read",
		region:    str(rec, "eventRegion"),
		account:   text(id, "accountId"),
		address:   str(rec, "sourceIPAddress"),
		userAgent: str(rec, "userAgent"),
		userName:  text(id, "userName"),
		userID:    text(id, "principalId"),
		identity:  str(id, "type"),
		accessKey: str(id, "secretId"),
		time:      cloudAuditTime(rec["eventTime"]),
	}
	if strings.Contains(strings.ToLower(f.identity), "role") {
		// A role's operations show the role name as the user name.
		f.role = f.userName
	}
	switch {
	case nonZero(rec["errorCode"]):
		f.failed = true
		f.errCode, f.errMsg = text(rec, "errorCode"), str(rec, "errorMessage")
	case nonZero(rec["apiErrorCode"]):
		f.failed = true
		f.errCode, f.errMsg = text(rec, "apiErrorCode"), str(rec, "apiErrorMessage")
	}
	service := strings.ToLower(f.service)
	label := firstLabel(host)
	switch {
	case f.eventType == "ConsoleLogin" || f.action == "ConsoleLogin":
		f.category = catAuth
	case label == "sts" && hasVerb(f.action, "AssumeRole", "GetFederationToken"):
		f.category = catAuth
	case label == "cam" || service == "cam":
		f.category = catIAM
		setCAMTarget(&f, rec)
	default:
		f.category = catConfig
	}
	setCloud(p, ev, &f)
	// CloudAudit usually carries requestParameters and responseElements as JSON text.
	// Their decoded objects are normalized fields, so rules can match paths inside them
	// (cloudaudit.requestParameters.UserData) while the original record stays as sent.
	for _, k := range []string{"requestParameters", "responseElements"} {
		if s, ok := rec[k].(string); ok && strings.HasPrefix(s, "{") {
			if m, err := decodeObject([]byte(s)); err == nil {
				ev.Set("cloudaudit."+k, m)
			}
		}
	}
	return true
}

// setCAMTarget finds the user a CAM call acts on: AddUser and the other user
// operations name it in Name, while key and policy operations name the sub-account's
// UIN (TargetUin for CreateAccessKey, AttachUin for AttachUserPolicy).
func setCAMTarget(f *cloudFields, rec map[string]any) {
	params := requestParameters(rec)
	if params == nil {
		return
	}
	if strings.Contains(f.action, "User") {
		f.targetName = str(params, "Name")
	}
	for _, k := range []string{"TargetUin", "AttachUin", "SubUin", "Uin"} {
		if v := text(params, k); v != "" {
			f.targetID = v
			break
		}
	}
}

// requestParameters returns CloudAudit's request parameters as an object, decoding
// them when the record holds them as a JSON string. The record itself is not changed.
func requestParameters(rec map[string]any) map[string]any {
	switch p := rec["requestParameters"].(type) {
	case map[string]any:
		return p
	case string:
		if strings.HasPrefix(p, "{") {
			if m, err := decodeObject([]byte(p)); err == nil {
				return m
			}
		}
	}
	return nil
}

// chinaStandardTime is the zone of CloudAudit's oldest "2006-01-02 15:04:05" times:
// their requests' own Unix timestamps put them eight hours ahead of UTC.
var chinaStandardTime = time.FixedZone("CST", 8*3600)

// cloudAuditTime reads eventTime: Unix seconds as a number or a digit string
// (milliseconds where the value is too large for seconds), or a local time string.
func cloudAuditTime(v any) time.Time {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case float64:
		n = int64(x)
	case string:
		if i, err := strconv.ParseInt(x, 10, 64); err == nil {
			n = i
		} else if t, err := time.ParseInLocation(time.DateTime, x, chinaStandardTime); err == nil {
			return t.UTC()
		} else {
			return isoTime(x)
		}
	default:
		return time.Time{}
	}
	switch {
	case n <= 0:
		return time.Time{}
	case n > 1e11:
		return time.UnixMilli(n).UTC()
	}
	return time.Unix(n, 0).UTC()
}

// nonZero reports whether an error code means an error: CloudAudit writes success as
// 0, "0" or "".
func nonZero(v any) bool {
	switch x := v.(type) {
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != "" && x != "0"
	}
	return false
}
