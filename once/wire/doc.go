// Package wire holds the JSON helper types of 1NCE's wire format that the raw per-generation
// types of package once (V1SIM, V2SIM, V1Quota, …) are made of: decimals kept as written,
// strings and integers that 1NCE sends in either JSON type, and timestamps in the many shapes
// 1NCE uses, with the conversions the SDK applies (MBToBytes, RoundCount, ParseTime).
//
// Stability: wire is covered by the module's semantic versioning like package once. Its types
// follow 1NCE's wire format, not the other way round: when 1NCE sends a new shape, a type here
// learns to accept it (a minor or patch release); a change that would make an existing
// program stop compiling or decode differently needs a new major version.
package wire
