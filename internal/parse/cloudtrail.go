package parse

import (
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// parseCloudTrail normalizes an AWS CloudTrail record. A record is CloudTrail's when it
// has an eventVersion and an eventSource on amazonaws.com (every AWS service, the
// sign-in service and the China partition included) and none of the Alibaba Cloud and
// Tencent Cloud markers.
func parseCloudTrail(p *Parser, rec map[string]any, ev *event.Event) bool {
	src := str(rec, "eventSource")
	host := sourceHost(src)
	if _, ok := rec["eventVersion"]; !ok || !strings.HasSuffix(host, ".amazonaws.com") ||
		alibabaMarked(rec, host) || tencentMarked(rec, host) {
		return false
	}
	id := obj(rec, "userIdentity")
	f := cloudFields{
		typ:       "cloudtrail",
		provider:  "aws",
		eventID:   str(rec, "eventID"),
		action:    str(rec, "eventName"),
		source:    src,
		service:   strings.TrimSuffix(host, ".amazonaws.com"),
		eventType: str(rec, "eventType"),
		region:    str(rec, "awsRegion"),
		// The account whose trail holds the record: for a cross-account call that is
		// the resource owner, while userIdentity.accountId stays the caller's.
		account:   firstOf(text(rec, "recipientAccountId"), text(id, "accountId")),
		address:   str(rec, "sourceIPAddress"),
		userAgent: str(rec, "userAgent"),
		userID:    str(id, "principalId"),
		identity:  str(id, "type"),
		arn:       str(id, "arn"),
		accessKey: str(id, "accessKeyId"),
		errCode:   str(rec, "errorCode"),
		errMsg:    str(rec, "errorMessage"),
		time:      isoTime(str(rec, "eventTime")),
	}
	f.readOnly, _ = rec["readOnly"].(bool)
	f.userName = str(id, "userName")
	if f.userName == "HIDDEN_DUE_TO_SECURITY_REASONS" {
		// A console sign-in with a user name the account does not have: CloudTrail
		// withholds the name typed (it is often a password typed into the wrong box),
		// and the placeholder is no user's name. The original keeps it for rules.
		f.userName = ""
	}
	switch f.identity {
	case "AssumedRole":
		// The session name is the person or workload behind the role (an SSO user's
		// e-mail, an instance id); the role is what it acts as.
		f.role = str(obj(obj(id, "sessionContext"), "sessionIssuer"), "userName")
		if _, tail, ok := strings.Cut(f.arn, ":assumed-role/"); ok {
			role, session := splitRole(tail, '/')
			f.role = firstOf(f.role, role)
			f.userName = firstOf(f.userName, session)
		} else if _, session, ok := strings.Cut(f.userID, ":"); ok {
			f.userName = firstOf(f.userName, session)
		}
	case "FederatedUser":
		if _, name, ok := strings.Cut(f.arn, ":federated-user/"); ok {
			f.userName = firstOf(f.userName, name)
		}
	case "Root":
		// Root calls carry no userName; CloudTrail's own event history shows "root".
		f.userName = firstOf(f.userName, "root")
	}
	// A failed console sign-in has no errorCode, only responseElements.ConsoleLogin
	// "Failure" and an errorMessage.
	f.failed = f.errCode != "" || str(obj(rec, "responseElements"), "ConsoleLogin") == "Failure"
	switch {
	case f.eventType == "AwsConsoleSignIn" || f.service == "signin":
		f.category = catAuth
	case f.service == "sts":
		// AssumeRole also covers AssumeRoleWithSAML and AssumeRoleWithWebIdentity.
		if hasVerb(f.action, "AssumeRole", "AssumeRoot", "GetSessionToken", "GetFederationToken") {
			f.category = catAuth
		} else {
			f.category = catIAM
		}
	case f.service == "iam" || f.service == "sso" || f.service == "identitystore" || f.service == "sso-directory":
		f.category = catIAM
	default:
		f.category = catConfig
	}
	if f.service == "iam" {
		// IAM names the user a call acts on in requestParameters.userName; without it
		// the call acts on the caller (CreateAccessKey for oneself).
		f.targetName = str(obj(rec, "requestParameters"), "userName")
	}
	setCloud(p, ev, &f)
	return true
}
