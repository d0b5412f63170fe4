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
        "Create and dispatch a work order (GPS: with its vehicle, `vehicle`: plate, model, driver_name, driver_phone)",
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
        "HQ's view of one order (the visit: parts with registration numbers, vehicle corrections, damages, parts-short approvals)",
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
        "Move the appointment, with the customer's consent (who, when, how)",
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
    (
        "post",
        "/v1/orders/{job_id}/charge-instruction",
        "admin",
        "The service centre's instruction on a disputed charge (waive, reduce, insist), sent to the phone by sync",
    ),
    (
        "post",
        "/v1/orders/{job_id}/charge-code",
        "admin",
        "The code a supervisor reads out to give a charge instruction to an offline phone",
    ),
    (
        "get",
        "/v1/invoices",
        "admin",
        "Invoices promised to customers and not yet handed over (status=pending)",
    ),
    (
        "get",
        "/v1/old-parts",
        "admin",
        "Old parts recovered on site with their registration numbers, for review (job_id= narrows to one order)",
    ),
    (
        "get",
        "/v1/complaints",
        "admin",
        "Complaints customers made on site (soft: service, hard: product), oldest first",
    ),
];

fn params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect()
}

fn error(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn query(name: &str, required: bool, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": required, "schema": schema})
}

fn json_body(schema: &str) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn json_answer(description: &str, schema: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

/// What some operations say beyond the common answers: query parameters,
/// bodies and answers with a schema.
fn details(method: &str, path: &str, op: &mut Value) {
    match (method, path) {
        ("post", "/v1/sync/push") => {
            op["requestBody"] = json_body("PushRequest");
            op["responses"]["200"] = json_answer("Every op's outcome", "PushResponse");
        }
        ("post", "/v1/handovers") => {
            op["requestBody"] = json_body("Handover");
        }
        ("post", "/v1/orders/{job_id}/charge-instruction") => {
            op["requestBody"] = json_body("ChargeInstructionRequest");
            op["responses"]["409"] = error(
                "conflict: no dispute waits for an instruction, or a reduction above the charge",
            );
        }
        ("post", "/v1/orders/{job_id}/charge-code") => {
            op["requestBody"] = json_body("ChargeCodeRequest");
            op["responses"]["200"] = json_answer("The 6-digit code", "ChargeCode");
        }
        ("get", "/v1/invoices") => {
            if let Some(p) = op["parameters"].as_array_mut() {
                p.push(query(
                    "status",
                    false,
                    json!({"type": "string", "enum": ["pending"]}),
                ));
            }
            op["responses"]["200"] = json_answer("Pending invoices", "PendingInvoices");
        }
        ("post", "/v1/orders") => {
            op["requestBody"] = json_body("WorkOrder");
        }
        ("get", "/v1/complaints") => {
            op["responses"]["200"] = json!({"description": "The complaints", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Complaint"}}}}});
        }
        ("get", "/v1/followups") => {
            op["responses"]["200"] = json!({"description": "The follow-up queue", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/FollowUp"}}}}});
        }
        ("get", "/v1/reconciliation") => {
            let params = op["parameters"].as_array_mut();
            if let Some(p) = params {
                p.push(query("technician_id", true, json!({"type": "string"})));
                p.push(query(
                    "day",
                    true,
                    json!({"type": "string", "format": "date", "description": "YYYY-MM-DD, China time"}),
                ));
            }
            op["responses"]["200"] =
                json_answer("The technician's day by payment method", "Reconciliation");
            op["responses"]["422"] =
                error("amount_overflow: a sum of the day's money does not fit in an amount");
        }
        ("get", "/v1/old-parts") => {
            if let Some(p) = op["parameters"].as_array_mut() {
                p.push(query("job_id", false, json!({"type": "string"})));
            }
            op["responses"]["200"] = json!({"description": "Recovered old parts, newest first", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/OldPart"}}}}});
        }
        _ => {}
    }
}

fn schemas() -> Value {
    let fen = json!({"type": "integer", "format": "int64", "description": "fen (1/100 yuan)"});
    let method = json!({"type": "string", "enum": ["cash", "wechat_pay", "alipay", "card", "bank_transfer", "on_account"]});
    json!({
        "OldPart": {
            "type": "object",
            "required": ["registration", "job_id", "technician_id", "part_code", "description", "old_serial", "new_serial", "in_warranty", "recorded_at", "received_at"],
            "properties": {
                "registration": {"type": "string", "description": "the registration number given to the old part on site"},
                "job_id": {"type": "string"},
                "technician_id": {"type": "string"},
                "part_code": {"type": "string"},
                "description": {"type": "string"},
                "old_serial": {"type": "string", "description": "GPS: the old terminal number"},
                "new_serial": {"type": "string", "description": "GPS: the new terminal number"},
                "in_warranty": {"type": "boolean", "description": "recovered for a free warranty repair"},
                "return_plate": {"type": ["string", "null"], "description": "GPS: plate number on the return tag"},
                "return_fault": {"type": ["string", "null"], "description": "GPS: fault on the return tag"},
                "recorded_at": {"type": "string"},
                "received_at": {"type": "string"}
            }
        },
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string", "enum": ["bad_request", "unauthorized", "forbidden", "not_found", "conflict", "too_large", "amount_overflow", "internal", "unavailable"]},
                "message": {"type": "string", "description": "for internal and unavailable: a generic text with a reference into HQ's log"}
            }
        },
        "ChargeInstruction": {
            "type": "object",
            "required": ["kind"],
            "properties": {
                "kind": {"type": "string", "enum": ["waive", "reduce", "insist"]},
                "to": {"type": "integer", "format": "int64", "description": "reduce only: the reduced charge in fen, not above the charge"}
            }
        },
        "ChargeInstructionRequest": {
            "type": "object",
            "required": ["instruction", "by"],
            "properties": {"instruction": {"$ref": "#/components/schemas/ChargeInstruction"}, "by": {"type": "string", "description": "who at the service centre gives it"}}
        },
        "ChargeCodeRequest": {
            "type": "object",
            "required": ["instruction"],
            "properties": {"instruction": {"$ref": "#/components/schemas/ChargeInstruction"}}
        },
        "ChargeCode": {
            "type": "object",
            "required": ["code"],
            "properties": {"code": {"type": "string", "pattern": "^[0-9]{6}$"}}
        },
        "PendingInvoices": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["job_id", "technician_id", "title", "tax_number", "delivery"],
                "properties": {
                    "job_id": {"type": "string"},
                    "technician_id": {"type": "string"},
                    "title": {"type": "string"},
                    "tax_number": {"type": "string", "description": "18-character unified social credit code; empty for an individual"},
                    "delivery": {"type": "object", "description": "{\"delivery\": \"bring_later\"} or {\"delivery\": \"post\", \"address\": ...}"},
                    "amount_fen": fen
                }
            }
        },
        "PushRequest": {
            "type": "object",
            "required": ["ops"],
            "properties": {"ops": {"type": "array", "maxItems": 500, "items": {"type": "object", "description": "an op: op_id, device_id, seq, hlc, job_id, actor, at, event (docs/SYNC.md)"}}}
        },
        "PushResponse": {
            "type": "object",
            "required": ["last_applied_seq", "results", "received_at"],
            "properties": {
                "last_applied_seq": {"type": "integer"},
                "received_at": {"type": "string", "format": "date-time"},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["op_id", "seq", "status"],
                    "properties": {
                        "op_id": {"type": "string"},
                        "seq": {"type": "integer"},
                        "status": {"type": "string", "enum": ["applied", "duplicate", "rejected", "out_of_order"]},
                        "code": {"$ref": "#/components/schemas/RejectCode"},
                        "message": {"type": "string"}
                    }
                }}
            }
        },
        "RejectCode": {
            "type": "string",
            "enum": ["unknown_job", "reassigned", "job_cancelled", "rule_broken", "duplicate_receipt_number", "unknown_receipt", "receipt_already_void", "wrong_device"]
        },
        "Handover": {
            "type": "object",
            "required": ["technician_id", "day", "method", "amount_fen"],
            "properties": {
                "technician_id": {"type": "string"},
                "day": {"type": "string", "format": "date"},
                "method": method.clone(),
                "amount_fen": {"type": "integer", "minimum": 0, "maximum": onsite_core::money::MAX_AMOUNT_FEN}
            }
        },
        "WorkOrder": {
            "type": "object",
            "description": "a work order (onsite_core::order::WorkOrder); the fields below are optional",
            "properties": {
                "delivery_items": {"type": "array", "description": "furniture: the delivery list, accepted item by item on site", "items": {
                    "type": "object",
                    "required": ["model", "colour", "size", "quantity"],
                    "properties": {
                        "model": {"type": "string"},
                        "colour": {"type": "string"},
                        "size": {"type": "string"},
                        "quantity": {"type": "integer", "minimum": 1}
                    }
                }},
                "complained_before": {"type": "boolean", "description": "the customer complained before; HQ also sets it when a complaint is on record for the customer's phone"}
            }
        },
        "Complaint": {
            "type": "object",
            "required": ["job_id", "technician_id", "kind", "words", "customer_name", "customer_phone", "made_at", "received_at"],
            "properties": {
                "job_id": {"type": "string"},
                "technician_id": {"type": "string"},
                "kind": {"type": "string", "enum": ["soft", "hard"], "description": "soft: about the service; hard: about the product"},
                "words": {"type": "string", "description": "the customer's words"},
                "customer_name": {"type": "string"},
                "customer_phone": {"type": "string"},
                "made_at": {"type": "string", "format": "date-time"},
                "received_at": {"type": "string", "format": "date-time"}
            }
        },
        "FollowUp": {
            "type": "object",
            "required": ["job_id", "reason", "due_at"],
            "properties": {
                "job_id": {"type": "string"},
                "reason": {"type": "string", "description": "rating (quality or attitude average or worse), rating_declined, fix_uncertain, rejected_item:N, monthly_sample"},
                "due_at": {"type": "string"},
                "detail": {"type": "string", "description": "for rejected_item:N: the item and the customer's note"}
            }
        },
        "Tally": {
            "type": "object",
            "required": ["count", "fen"],
            "properties": {"count": {"type": "integer"}, "fen": fen.clone()}
        },
        "MethodLine": {
            "type": "object",
            "required": ["method", "issued", "voided", "reissued", "net_fen", "handed_in_fen", "difference_fen"],
            "properties": {
                "method": method,
                "issued": {"$ref": "#/components/schemas/Tally", "description": "receipts issued that day (originals and emergency receipts)"},
                "voided": {"$ref": "#/components/schemas/Tally", "description": "receipts voided that day, whenever issued"},
                "reissued": {"$ref": "#/components/schemas/Tally", "description": "receipts reissued that day in place of voided ones"},
                "net_fen": {"type": "integer", "description": "issued + reissued - voided"},
                "handed_in_fen": fen,
                "difference_fen": {"type": "integer", "description": "handed in - net; negative: money is missing"}
            }
        },
        "Reconciliation": {
            "type": "object",
            "required": ["technician_id", "day", "lines", "balanced"],
            "properties": {
                "technician_id": {"type": "string"},
                "day": {"type": "string", "format": "date"},
                "lines": {"type": "array", "items": {"$ref": "#/components/schemas/MethodLine"}},
                "balanced": {"type": "boolean", "description": "every method's handed-in money equals its net"}
            }
        }
    })
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
                "400": error("Malformed request"),
                "401": error("Missing, wrong or revoked token"),
                "404": error("Not found (or not yours)"),
                "413": error("Body too large"),
                "500": error("Internal error: a generic message with a reference into HQ's log"),
                "503": error("The database is unavailable")
            }
        });
        if *auth != "none" && *auth != "code" {
            op["security"] = json!([{"bearer": []}]);
            op["x-onsite-caller"] = json!(auth);
        }
        details(method, path, &mut op);
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Onsite HQ", "version": "1"},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MethodLine, Reconciliation, Tally};
    use onsite_core::sync::protocol::RejectCode;

    fn keys(v: &Value) -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    }

    fn required(schema: &str) -> Vec<String> {
        let doc = document();
        let mut r: Vec<String> = doc["components"]["schemas"][schema]["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        r.sort();
        r
    }

    /// The documented reconciliation is the one HQ answers with.
    #[test]
    fn reconciliation_schema_matches_the_answer() {
        let line = MethodLine {
            method: "cash".into(),
            issued: Tally { count: 1, fen: 100 },
            ..MethodLine::default()
        };
        let r = Reconciliation {
            technician_id: "T1".into(),
            day: "2026-11-24".into(),
            lines: vec![line.clone()],
            balanced: false,
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(keys(&v), required("Reconciliation"));
        assert_eq!(keys(&v["lines"][0]), required("MethodLine"));
        assert_eq!(keys(&v["lines"][0]["issued"]), required("Tally"));
        let doc = document();
        let op = &doc["paths"]["/v1/reconciliation"]["get"];
        assert_eq!(
            op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Reconciliation"
        );
        let params: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(params, ["technician_id", "day"]);
    }

    /// Every code a push can answer with is listed.
    #[test]
    fn reject_codes_are_documented() {
        let doc = document();
        let listed = doc["components"]["schemas"]["RejectCode"]["enum"].clone();
        for code in [
            RejectCode::UnknownJob,
            RejectCode::Reassigned,
            RejectCode::JobCancelled,
            RejectCode::RuleBroken,
            RejectCode::DuplicateReceiptNumber,
            RejectCode::UnknownReceipt,
            RejectCode::ReceiptAlreadyVoid,
            RejectCode::WrongDevice,
        ] {
            assert!(
                listed.as_array().unwrap().contains(&json!(code.as_str())),
                "{} is not documented",
                code.as_str()
            );
            assert_eq!(serde_json::to_value(code).unwrap(), json!(code.as_str()));
        }
    }
}
