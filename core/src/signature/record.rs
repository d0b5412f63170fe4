//! The signature record: who signed what, when, and a hash that binds the
//! signature to the exact content that was accepted.
//!
//! When the customer signs, the core hashes a canonical serialisation of what
//! is being accepted (order, work done, quote lines and totals, materials with
//! their inspections and concession notes, parts, rating) and stores that
//! SHA-256 here. [`SignatureRecord::verify`] recomputes it later: a changed
//! quote line, concession word or inspection result makes verification fail.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Who is signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignerRole {
    Customer,
    Technician,
    Supervisor,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignatureRecord {
    pub signature_id: String,
    pub role: SignerRole,
    pub signer_name: String,
    pub device_id: String,
    /// Device wall time (for humans; HQ stamps its own receipt time).
    pub signed_at: DateTime<Utc>,
    pub hlc: String,
    /// The strokes in the compact encoding, base64.
    pub ink: String,
    /// SHA-256 (hex) of the canonical content that was signed.
    pub content_sha256: String,
}

impl SignatureRecord {
    /// The compact stroke encoding (stored base64 in the record); `None` if
    /// the stored text is not base64.
    pub fn ink_bytes(&self) -> Option<Vec<u8>> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(&self.ink)
            .ok()
    }

    /// Whether `content` is exactly what was signed.
    pub fn verify(&self, canonical_content: &[u8]) -> bool {
        content_hash(canonical_content) == self.content_sha256
    }
}

/// SHA-256 in lowercase hex, the content address used everywhere in Onsite.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Decodes and validates encoded strokes before they are bound to a record.
pub fn check_encoded_ink(encoded: &[u8]) -> crate::error::Result<()> {
    super::Ink::decode(encoded)?;
    Ok(())
}
