package parse

import (
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// parseActionTrail normalizes an Alibaba Cloud ActionTrail record. A record is
// ActionTrail's when it has acsRegion, or an eventSource on aliyuncs.com or aliyun.com
// (console sign-ins come from signin.aliyun.com and account.aliyun.com), or, failing
// both, the serviceName that only ActionTrail records carry next to eventName and
// userIdentity; and none of the AWS and Tencent Cloud markers.
func parseActionTrail(p *Parser, rec map[string]any, ev *event.Event) bool {
	src := str(rec, "eventSource")
	host := sourceHost(src)
	if awsMarked(rec, host) || tencentMarked(rec, host) {
		return false
	}
	id := obj(rec, "userIdentity")
	if !alibabaMarked(rec, host) {
		_, named := rec["serviceName"].(string)
		_, action := rec["eventName"].(string)
		if !named || !action || id == nil {
			return false
		}
	}
	f := cloudFields{
		typ:       "actiontrail",
		provider:  "alibaba_cloud",
		eventID:   str(rec, "eventId"),
		action:    str(rec, "eventName"),
		source:    src,
		service:   firstOf(str(rec, "serviceName"), firstLabel(host)),
		eventType: str(rec, "eventType"),
		readOnly:  str(rec, "eventRW") == "Read",
		region:    str(rec, "acsRegion"),
		// recipientAccountId names the account that receives the record (the resource
		// owner); older records have only the caller's account.
		account:   firstOf(text(rec, "recipientAccountId"), text(id, "accountId")),
		address:   str(rec, "sourceIpAddress"),
		userAgent: str(rec, "userAgent"),
		userID:    text(id, "principalId"),
		identity:  str(id, "type"),
		arn:       str(id, "arn"),
		accessKey: str(id, "accessKeyId"),
		errCode:   text(rec, "errorCode"),
		errMsg:    str(rec, "errorMessage"),
		time:      isoTime(str(rec, "eventTime")),
	}
	f.userName = str(id, "userName")
	if f.identity == "assumed-role" {
		// userName is "role:session" (principalId is "roleId:session").
		if role, session := splitRole(f.userName, ':'); role != "" {
			f.role, f.userName = role, session
		}
	}
	// Successful records carry empty errorCode and errorMessage; a failed call or
	// sign-in fills at least one of them.
	f.failed = f.errCode != "" || f.errMsg != ""
	service := strings.ToLower(f.service)
	label := firstLabel(host)
	switch {
	case f.eventType == "ConsoleSignin" || f.eventType == "ConsoleSignout" || f.action == "ConsoleSignin":
		f.category = catAuth
	case label == "sts" && hasVerb(f.action, "AssumeRole", "GetFederationToken"):
		f.category = catAuth
	case label == "ram" || label == "ims" || service == "ram" || service == "ims":
		f.category = catIAM
		// RAM and IMS name the user a call acts on in UserName.
		f.targetName = str(obj(rec, "requestParameters"), "UserName")
	default:
		f.category = catConfig
	}
	setCloud(p, ev, &f)
	return true
}
