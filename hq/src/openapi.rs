//! The OpenAPI 3.1 document served at `/v1/openapi.json`, generated from the
//! handlers' `#[utoipa::path]` attributes and the request and response types'
//! schemas, so the contract cannot drift from the code.
//!
//! A test walks every operation listed here against a running server and
//! checks it is routed (not the fallback), so the document and the router
//! cannot drift apart either; the contract-test stage (`scripts/contract-test.sh`)
//! checks every answer against it.

use serde_json::Value;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::RefOr;
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
        crate::watch::ready,
        crate::watch::metrics,
        api::openapi,
        api::docs,
        api::create_technician,
        api::create_enrollment,
        api::enroll,
        api::revoke,
        api::wipe,
        api::set_phone_retention,
        api::create_order,
        api::list_orders,
        api::get_order,
        api::assign,
        api::reschedule,
        api::cancel,
        api::set_confidential,
        api::charge_instruction,
        api::charge_code,
        api::my_jobs,
        api::my_job,
        api::push,
        api::pull,
        api::put_blob,
        api::get_blob,
        api::upload_status,
        api::upload_chunk,
        api::upload_chunk_post,
        api::grant_block,
        api::invoices,
        api::followups,
        api::complaints,
        api::old_parts,
        api::handover,
        api::reconciliation,
        api::create_key,
        api::list_keys,
        api::revoke_key,
    ),
    modifiers(&SecuritySchemes)
)]
struct Contract;

/// The two kinds of bearer token: an integration key (its scopes listed on
/// each route that takes one) and a device token from enrollment.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        // The error body's code is one of HQ's stable codes (ErrorBody lives in
        // the core, which does not know HQ's errors).
        if let Some(RefOr::T(Schema::Object(body))) = components.schemas.get_mut("ErrorBody") {
            body.properties.insert(
                "error".into(),
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(crate::HqError::CODES))
                    .description(Some("a stable code; the message is for people"))
                    .into(),
            );
        }
        for (name, what) in [
            ("key", "An integration key (`onsite hq key create`, or the --admin-token key, scope admin); `admin` covers every scope"),
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
    let mut doc = serde_json::to_value(openapi()).unwrap_or(Value::Null);
    nullable_formats_as_one_of(&mut doc);
    doc
}

/// utoipa writes an optional date as `{"type": ["string", "null"], "format":
/// "date-time"}`, which is valid JSON Schema but which request generators
/// (schemathesis among them) read as "any string or null", so an integrator's
/// tool may send `""` for a date. Each such schema becomes `oneOf` a string
/// of that format and `null`, which no tool misreads.
fn nullable_formats_as_one_of(v: &mut Value) {
    match v {
        Value::Object(o) => {
            let nullable_format = o.get("format").is_some()
                && o.get("type")
                    .and_then(Value::as_array)
                    .is_some_and(|t| t.len() == 2 && t.iter().any(|x| x == "null"));
            if nullable_format {
                let types = o.remove("type").unwrap_or(Value::Null);
                let format = o.remove("format").unwrap_or(Value::Null);
                let other = types
                    .as_array()
                    .and_then(|t| t.iter().find(|x| *x != "null").cloned())
                    .unwrap_or(Value::Null);
                o.insert(
                    "oneOf".into(),
                    serde_json::json!([{"type": other, "format": format}, {"type": "null"}]),
                );
            }
            for child in o.values_mut() {
                nullable_formats_as_one_of(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(nullable_formats_as_one_of),
        _ => {}
    }
}

/// The human-readable reference served at `/v1/docs`: one self-contained
/// HTML page rendered here from the same document (no script, no CDN), so it
/// works on a service centre's network with no internet.
pub fn reference_html() -> String {
    let doc = document();
    let mut out = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Onsite HQ API</title><style>\
         body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em;color:#222}\
         h2{border-bottom:1px solid #ccc;margin-top:2em}\
         .op{margin:1em 0;padding:.5em 1em;border-left:4px solid #2a6;background:#f7f7f7}\
         code,pre{background:#eee;padding:0 .2em}pre{padding:.5em;overflow:auto}\
         table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}\
         </style></head><body>",
    );
    let text = |v: &Value| escape(v.as_str().unwrap_or(""));
    out += &format!(
        "<h1>{} (version {})</h1><p>{}</p><p>The machine-readable contract: \
         <a href=\"/v1/openapi.json\">/v1/openapi.json</a> (OpenAPI {}).</p>",
        text(&doc["info"]["title"]),
        text(&doc["info"]["version"]),
        text(&doc["info"]["description"]),
        text(&doc["openapi"]),
    );
    out += "<h2>Operations</h2>";
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let callers: Vec<String> = op["security"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| {
                    let (scheme, scopes) = s.as_object()?.iter().next()?;
                    let scopes: Vec<&str> = scopes
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    Some(if scopes.is_empty() {
                        scheme.clone()
                    } else {
                        format!("{scheme} with scope {}", scopes.join(", "))
                    })
                })
                .collect();
            out += &format!(
                "<div class=\"op\" id=\"{m}-{p}\"><h3><code>{M} {p}</code></h3><p>{}</p><p>Caller: {}</p>",
                text(&op["summary"]),
                if callers.is_empty() {
                    "anyone (no token)".to_string()
                } else {
                    escape(&callers.join(" or "))
                },
                m = escape(method),
                M = escape(&method.to_uppercase()),
                p = escape(path),
            );
            if let Some(params) = op["parameters"].as_array() {
                out +=
                    "<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>";
                for p in params {
                    out += &format!(
                        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                        text(&p["name"]),
                        text(&p["in"]),
                        p["required"].as_bool().unwrap_or(false),
                        escape(&p["schema"].to_string()),
                    );
                }
                out += "</table>";
            }
            if let Some(body) = op["requestBody"]["content"].as_object() {
                for (media, c) in body {
                    out += &format!(
                        "<p>Body ({}): {}</p>",
                        escape(media),
                        schema_link(&c["schema"])
                    );
                }
            }
            out += "<table><tr><th>status</th><th>meaning</th><th>body</th></tr>";
            for (status, r) in op["responses"].as_object().into_iter().flatten() {
                let body = r["content"]
                    .as_object()
                    .and_then(|c| c.values().next())
                    .map_or(String::new(), |c| schema_link(&c["schema"]));
                out += &format!(
                    "<tr><td>{}</td><td>{}</td><td>{body}</td></tr>",
                    escape(status),
                    text(&r["description"]),
                );
            }
            out += "</table></div>";
        }
    }
    out += "<h2>Schemas</h2>";
    for (name, schema) in doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let pretty = serde_json::to_string_pretty(schema).unwrap_or_default();
        out += &format!(
            "<h3 id=\"schema-{n}\">{n}</h3><pre>{}</pre>",
            escape(&pretty),
            n = escape(name)
        );
    }
    out += "</body></html>";
    out
}

/// A schema as a link to its section, or inline when it has no name.
fn schema_link(schema: &Value) -> String {
    let named = |s: &Value| {
        s["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .map(|n| format!("<a href=\"#schema-{0}\">{0}</a>", escape(n)))
    };
    named(schema)
        .or_else(|| named(&schema["items"]).map(|n| format!("array of {n}")))
        .unwrap_or_else(|| format!("<code>{}</code>", escape(&schema.to_string())))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// utoipa names a schema after its Rust type and silently keeps one of
    /// two types with the same name (an inspection's and an arrival's
    /// `Verdict` once shared one schema, so a push with a valid arrival was
    /// refused): every type that derives a schema, in core and here, has a
    /// name of its own in the contract (its own, or the one `as = ...` gives).
    #[test]
    fn no_two_types_share_a_schema_name() {
        let mut seen: std::collections::BTreeMap<String, String> = Default::default();
        let roots = [
            concat!(env!("CARGO_MANIFEST_DIR"), "/src"),
            concat!(env!("CARGO_MANIFEST_DIR"), "/../core/src"),
        ];
        let mut files = Vec::new();
        let mut dirs: Vec<std::path::PathBuf> = roots.iter().map(Into::into).collect();
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p);
                }
            }
        }
        let mut found = 0;
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                if !line.contains("ToSchema") || !line.trim_start().starts_with("#[") {
                    continue;
                }
                // The item the derive belongs to, and a rename among its attributes.
                let mut renamed = None;
                let mut j = i;
                while j < lines.len() && lines[j].trim_start().starts_with("#[") {
                    if let Some(at) = lines[j].find("as = ") {
                        let rest = &lines[j][at + 5..];
                        renamed = Some(
                            rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                                .next()
                                .unwrap()
                                .to_string(),
                        );
                    }
                    j += 1;
                }
                let Some(item) = lines.get(j) else { continue };
                let words: Vec<&str> = item.split_whitespace().collect();
                let Some(k) = words.iter().position(|w| *w == "struct" || *w == "enum") else {
                    continue;
                };
                let name = words[k + 1]
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .unwrap()
                    .to_string();
                let name = renamed.unwrap_or(name);
                let at = format!("{}:{}", f.display(), j + 1);
                found += 1;
                if let Some(first) = seen.insert(name.clone(), at.clone()) {
                    panic!("schema name {name} is taken by {first} and {at}: give one `schema(as = ...)`");
                }
            }
        }
        assert!(
            found > 50,
            "only {found} schema types found: the scan is broken"
        );
    }

    /// An optional date is `oneOf` a formatted string and null in the served
    /// document, never a type list a generator reads as any string.
    #[test]
    fn optional_dates_keep_their_format() {
        let doc = document();
        let text = doc.to_string();
        assert!(
            !text.contains(r#""type":["string","null"],"format""#),
            "a nullable format remains"
        );
        let d = &doc["components"]["schemas"]["WorkOrder"]["properties"]["desired_completion_at"];
        assert_eq!(d["oneOf"][0]["format"], "date-time", "{d}");
        assert_eq!(d["oneOf"][1]["type"], "null", "{d}");
    }

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
        assert_eq!(ops.len(), 39);
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
            // Without a body, or with bytes rather than JSON (photos, chunks).
            let not_json = [
                "/v1/devices/{device_id}/revoke",
                "/v1/devices/{device_id}/wipe",
                "/v1/receipt-blocks",
                "/v1/blobs/{sha256}",
                "/v1/uploads/{sha256}",
                "/v1/keys/{name}/revoke",
            ];
            if (method == "post" || method == "put") && !not_json.contains(&path.as_str()) {
                assert!(
                    op["requestBody"]["content"]["application/json"]["schema"].is_object(),
                    "{what}: no request body schema"
                );
                assert!(responses.contains_key("400"), "{what}: no 400");
                assert!(responses.contains_key("413"), "{what}: no 413");
            }
        }
        assert_eq!(
            doc["components"]["schemas"]["ErrorBody"]["properties"]["error"]["enum"],
            serde_json::json!(crate::HqError::CODES)
        );
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["key"]["scheme"], "bearer");
        assert_eq!(schemes["device"]["scheme"], "bearer");
    }
}

#[cfg(test)]
mod reference_tests {
    use super::*;

    /// The reference page names every operation and loads nothing from elsewhere.
    #[test]
    fn reference_page_is_self_contained_and_complete() {
        let html = reference_html();
        for (path, item) in document()["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                let title = format!("<code>{} {}</code>", method.to_uppercase(), escape(path));
                assert!(html.contains(&title), "{title} is not on the page");
            }
        }
        for external in ["<script", "src=", "http://", "https://", "<link"] {
            assert!(!html.contains(external), "the page loads {external}");
        }
    }
}
