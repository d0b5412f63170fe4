//! uniffi facade over `onsite-core` (filled in by the bindings issue).
