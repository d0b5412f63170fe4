//! The OpenAPI 3.1 document served at `/v1/openapi.json`, generated from the
//! handlers' `#[utoipa::path]` attributes and the request and response types'
//! schemas, so the contract cannot drift from the code.
//!
//! A test walks every operation listed here against a running server and
//! checks it is routed (not the fallback), so the document and the router
//! cannot drift apart either; the contract-test stage (`scripts/contract-test.sh`)
//! checks every answer against it.

use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Onsite HQ",
        version = "1",
        description = "The sync server for technicians' devices and the service centre's dispatch API. \
            Errors are `{\"error\": code, \"message\": text}`; an internal error's message carries a \
            reference into HQ's log, never a database message."
    ),
    paths(
        api::health,
        api::openapi,
        api::create_technician,
        api::create_enrollment,
        api::enroll,
        api::revoke,
        api::create_order,
        api::list_orders,
        api::get_order,
        api::assign,
        api::reschedule,
        api::cancel,
        api::charge_instruction,
        api::charge_code,
        api::my_jobs,
        api::my_job,
        api::push,
        api::pull,
        api::put_blob,
        api::get_blob,
        api::grant_block,
        api::invoices,
        api::followups,
        api::complaints,
        api::old_parts,
        api::handover,
        api::reconciliation,
    ),
    modifiers(&SecuritySchemes)
)]
struct Contract;

/// The two kinds of bearer token: the service centre's admin token and a
/// device token from enrollment.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        for (name, what) in [
            ("admin", "The service centre's admin token"),
            ("device", "A device token, from POST /v1/enroll"),
        ] {
            components.add_security_scheme(
                name,
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(what))
                        .build(),
                ),
            );
        }
    }
}

/// The document as utoipa builds it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = Contract::openapi();
    // utoipa 5 writes 3.1.0 already; said here so a downgrade cannot slip by.
    doc.openapi = utoipa::openapi::OpenApiVersion::Version31;
    doc
}

/// The document as JSON, as served.
pub fn document() -> Value {
    serde_json::to_value(openapi()).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation of the document, as (method, path, operation).
    fn operations(doc: &Value) -> Vec<(String, String, Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
        out
    }

    /// What an integrator needs to generate a client: each body declared, each
    /// refusal with the error schema, and the refusals a guarded route gives.
    #[test]
    fn every_operation_declares_its_bodies_and_errors() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        let ops = operations(&doc);
        assert_eq!(ops.len(), 27);
        for (method, path, op) in &ops {
            let what = format!("{method} {path}");
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{what}: no success answer"
            );
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{what}: {status} without the error schema"
                    );
                }
            }
            let schemes = op["security"].as_array().map_or(0, Vec::len);
            if schemes > 0 {
                assert!(responses.contains_key("401"), "{what}: no 401");
            }
            if schemes == 1 {
                assert!(responses.contains_key("403"), "{what}: no 403");
            }
            let bodiless = [
                "/v1/devices/{device_id}/revoke",
                "/v1/receipt-blocks",
                "/v1/blobs/{sha256}",
            ];
            if (method == "post" || method == "put") && !bodiless.contains(&path.as_str()) {
                assert!(
                    op["requestBody"]["content"]["application/json"]["schema"].is_object(),
                    "{what}: no request body schema"
                );
                assert!(responses.contains_key("400"), "{what}: no 400");
                assert!(responses.contains_key("413"), "{what}: no 413");
            }
        }
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["admin"]["scheme"], "bearer");
        assert_eq!(schemes["device"]["scheme"], "bearer");
    }
}
