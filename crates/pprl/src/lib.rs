//! Cross-force linkage without handing over identities.
