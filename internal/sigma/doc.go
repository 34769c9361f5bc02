// Package sigma reads and validates Sigma rules (specification v2.1): detection rules,
// correlation rules and filters, in files that may hold several YAML documents.
//
// The package owns the format, not its evaluation. It parses every document into data
// (Rule, Detection, Search, Item, Condition, Correlation, Filter), checks everything that
// can be checked without an event, and computes the value transformations that do not
// depend on an event: wildcard patterns, Base64 and UTF-16 encodings, dash variants,
// CIDR prefixes, regular expressions (compiled with Go's RE2 engine), comparisons,
// placeholders and field references. Each value of a field item carries the result as
// Operands, which the evaluator compiles into matchers. The transformations are also
// exported as pure functions (Transform for a whole modifier chain, and ParsePattern,
// Base64, Base64Offset, UTF16LE, UTF16BE, UTF16, Windash, ParseCIDR, CompileRegex,
// ExpandPattern, ParseCondition, ParseTimespan), so that the evaluator and its tests can
// use them directly.
//
// Entry points: Load (one file, possibly several YAML documents), LoadDir (an fs.FS)
// and LoadPaths (files and directories), or the same methods of a Loader that carries
// the placeholder values of the expand modifier. References between documents
// (correlations, filters) are resolved across everything one call loads.
//
// A document with any error is rejected and its errors are returned; the others are
// kept in a Collection. Errors carry the file, the line and column of the key or value
// at fault, and the rule's id or title. Problems that the specification only
// recommends against (unknown tag namespaces, a missing id, the old date format) are
// warnings, kept in Collection.Warnings.
//
// Where the specification is silent or ambiguous, the package follows pySigma, the
// reference implementation; the few places where it deliberately differs are
// documented at the types and functions concerned.
package sigma
