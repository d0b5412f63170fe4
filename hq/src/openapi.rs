//! The OpenAPI 3.1 document served at `/v1/openapi.json`.
//!
//! A test walks every operation listed here against a running server and
//! checks it is routed (not the fallback), so the document and the server
//! cannot drift apart silently.

use serde_json::{json, Value};

/// Every operation: method, path, who may call it, summary.
pub const OPERATIONS: &[(&str, &str, &str, &str)] = &[
    ("get", "/v1/health", "none", "Liveness and database kind"),
    ("get", "/v1/openapi.json", "any", "This document"),
    (
        "post",
        "/v1/technicians",
        "admin",
        "Create a technician (idempotent)",
    ),
    (
        "post",
        "/v1/enrollments",
        "admin",
        "Create a one-time enrollment code for a technician",
    ),
    (
        "post",
        "/v1/enroll",
        "code",
        "Exchange an enrollment code for a device token",
    ),
    (
        "post",
        "/v1/devices/{device_id}/revoke",
        "admin",
        "Revoke a device's token",
    ),
    (
        "post",
        "/v1/orders",
        "admin",
        "Create and dispatch a work order",
    ),
    (
        "get",
        "/v1/orders",
        "admin",
        "List orders, optionally by technician_id and status",
    ),
    (
        "get",
        "/v1/orders/{job_id}",
        "admin",
        "HQ's view of one order",
    ),
    (
        "post",
        "/v1/orders/{job_id}/assign",
        "admin",
        "Assign or reassign an order",
    ),
    (
        "post",
        "/v1/orders/{job_id}/reschedule",
        "admin",
        "Move the appointment",
    ),
    (
        "post",
        "/v1/orders/{job_id}/cancel",
        "admin",
        "Cancel an order",
    ),
    ("get", "/v1/jobs", "device", "The calling technician's jobs"),
    (
        "get",
        "/v1/jobs/{job_id}",
        "device",
        "One of the calling technician's jobs",
    ),
    (
        "post",
        "/v1/sync/push",
        "device",
        "Push a batch of ops; each op is applied once",
    ),
    (
        "get",
        "/v1/sync/pull",
        "device",
        "Page through the technician's change feed",
    ),
    (
        "put",
        "/v1/blobs/{sha256}",
        "device",
        "Upload a blob addressed by its SHA-256 (idempotent)",
    ),
    (
        "get",
        "/v1/blobs/{sha256}",
        "any",
        "Download a blob (devices: their technician's only)",
    ),
    (
        "post",
        "/v1/receipt-blocks",
        "device",
        "Grant the device a new block of receipt numbers",
    ),
    (
        "get",
        "/v1/followups",
        "admin",
        "The follow-up queue; with month=YYYY-MM also the 30% sample",
    ),
    (
        "post",
        "/v1/handovers",
        "admin",
        "Record money handed in by a technician for a day and method",
    ),
    (
        "get",
        "/v1/reconciliation",
        "admin",
        "Receipts and money by method against what was handed in",
    ),
];

fn params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect()
}

pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, auth, summary) in OPERATIONS {
        let mut op = json!({
            "summary": summary,
            "parameters": params(path),
            "responses": {
                "200": {"description": "OK"},
                "201": {"description": "Created"},
                "204": {"description": "No content"},
                "400": {"description": "Malformed request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "401": {"description": "Missing, wrong or revoked token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "404": {"description": "Not found (or not yours)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "413": {"description": "Body too large", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
        });
        if *auth != "none" && *auth != "code" {
            op["security"] = json!([{"bearer": []}]);
            op["x-onsite-caller"] = json!(auth);
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Onsite HQ", "version": "1"},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}}
                }
            }
        }
    })
}
