// Package matrix is Vigil's detection knowledge base: the cloud-server part of
// Tencent Security Yunding Lab's "Cloud Security Attack & Defense Matrix v1.0"
// (September 2021), extended with the items of later public editions that fit
// cloud servers (log clearing, access through proxies, privilege escalation through
// operating-system exploits, resource hijacking and denial of service).
//
// # The catalog
//
// The catalog is data, not code: YAML files under catalog/, compiled into the binary
// with go:embed and read by Load. Each file may hold any of three lists:
//
//   - tactics: the matrix's columns, from initial access to impact, each with a
//     two-letter code (IA, EX, PS, PR, DE, CA, DI, LM, IM), its order and the
//     nearest MITRE ATT&CK tactic (TA0001, ...).
//   - best_practices: the mitigations, taken from the best practices and host
//     security strategies of the mission (sections 2 and 4), with ids such as
//     BP-MFA and BP-PATCH.
//   - techniques: the matrix's cells. A technique's id is CS-<tactic code>-<nn>
//     (CS-IA-01); ids are stable and never reused. A technique names its tactic,
//     the matrix item it stands for (mission_name), the edition it comes from,
//     its Chinese and English name and description, the nearest ATT&CK technique
//     ids, the data sources that can reveal it (Vigil's host log types and each
//     cloud provider's audit event names), the mitigations, and a default
//     response checklist in five phases: confirm, contain, investigate,
//     eradicate and recover.
//
// Cloud audit events are written "<service host>:<event name>", as the record's
// eventSource and eventName give them (iam.amazonaws.com:CreateAccessKey,
// cam.tencentcloudapi.com:CreateAccessKey, ram.aliyuncs.com:CreateAccessKey). Some
// Alibaba Cloud services record a regional host (actiontrail.cn-hangzhou.aliyuncs.com);
// the catalog writes the service's global host and rules match the service part.
// The providers are keyed as the normalized field cloud.provider names them: aws,
// tencent_cloud and alibaba_cloud. Where the catalog is not sure of a provider's
// event, the technique's notes say so.
//
// A technique that no log can reveal (phishing itself, for example) is marked not
// detectable, with the reason and the techniques whose evidence to watch instead.
//
// The decoding is strict: an unknown key, a duplicate key or a second YAML document
// in a file is an error. Validate checks everything else that can be checked
// without rules; Load runs it, so a catalog that does not validate never loads.
//
// # Sigma tags
//
// Rules name the technique they detect with a tag in the namespace "cs" (for the
// cloud-server matrix) whose name is the technique id without its "CS-" prefix, in
// lower case: CS-IA-01 is tagged cs.ia-01. This fits the Sigma tag syntax
// namespace.name in lower case letters, digits and dashes. TagFor and ParseTag
// convert between the two forms, and Catalog.ValidateRuleTags checks that every
// cs tag of a rule names a technique of the catalog.
package matrix
