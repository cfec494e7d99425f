//! The OpenAPI 3.1 description of the JSON API, served at `/openapi.json`. Written by hand next
//! to the routes; a test checks that every route in [`crate::api::routes`] is described and
//! every described path answers.

use axum::Json;
use serde_json::{Value, json};

/// The paths described, with their methods (the test compares these with the router).
pub const PATHS: &[(&str, &str)] = &[
    ("post", "/api/login"),
    ("post", "/api/logout"),
    ("get", "/api/me"),
    ("get", "/api/forces"),
    ("get", "/api/forces/{force}"),
    ("get", "/api/triage"),
    ("get", "/api/courses/{id}"),
    ("get", "/api/persons/{id}"),
    ("get", "/api/imports"),
    ("post", "/api/imports"),
    ("get", "/api/imports/{id}"),
    ("get", "/api/imports/{id}/rejects.csv"),
    ("post", "/api/grants"),
    ("get", "/api/audit"),
];

fn err() -> Value {
    json!({"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn ok(desc: &str, schema: Value) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": schema}}})
}

fn page_params() -> Vec<Value> {
    vec![
        json!({"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}}),
        json!({"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}),
    ]
}

fn path_param(name: &str, desc: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": desc, "schema": {"type": "string"}})
}

fn csrf() -> Value {
    json!({"name": "X-CSRF-Token", "in": "header", "required": true, "description": "the csrf_token from /api/login or /api/me",
        "schema": {"type": "string"}})
}

/// The schemas of the answers, by name (one `json!` each: together they are past its
/// recursion limit).
fn schemas() -> Value {
    let schemas = [
        (
            "Error",
            json!({"type": "object", "required": ["error", "status"], "properties": {"error": {"type": "string"},
                "status": {"type": "integer"}, "detail": {}}}),
        ),
        (
            "Me",
            json!({"type": "object", "required": ["username", "role", "force", "grants", "csrf_token"],
                "properties": {"username": {"type": "string"}, "role": {"type": "string", "enum": ["analyst", "reviewer", "admin"]},
                "force": {"type": ["string", "null"]}, "grants": {"type": "array", "items": {"type": "string"}},
                "csrf_token": {"type": "string"}}}),
        ),
        (
            "SignedOut",
            json!({"type": "object", "required": ["signed_out"], "properties": {"signed_out": {"type": "boolean", "const": true}}}),
        ),
        (
            "Granted",
            json!({"type": "object", "required": ["granted", "username", "force"], "properties": {"granted": {"type": "boolean",
                "const": true}, "username": {"type": "string"}, "force": {"type": "string"}}}),
        ),
        (
            "Page",
            json!({"type": "object", "required": ["page", "per_page", "total", "next_page", "items"],
                "properties": {"page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"},
                "next_page": {"type": ["integer", "null"]}, "items": {"type": "array", "items": {"type": "object"}}}}),
        ),
        (
            "TriageRow",
            json!({"type": "object", "properties": {"course_id": {"type": "string"}, "priority": {"type": "string"},
                "reasons": {"type": "array", "items": {"type": "string"}}, "first_date": {"type": "string"},
                "last_date": {"type": "string"}, "reports": {"type": "integer"}, "reports_in_force": {"type": "integer"},
                "hidden_repeats": {"type": "integer"}, "cross_force": {"type": "boolean"}, "forces": {"type": "array",
                "items": {"type": "string"}}, "review_as_stalking": {"type": "boolean"}, "possible_breaches": {"type": "integer"},
                "victim": {"type": "string"}, "suspect": {"type": ["string", "null"]}}}),
        ),
        (
            "Access",
            json!({"type": "string", "enum": ["allowed", "pseudonymous", "partly pseudonymous"],
                "description": "what the reader was shown: every force's part identifiable, none of it (references only), or some"}),
        ),
        (
            "Reference",
            json!({"type": "object",
                "description": "another force holds matching records: a pseudonymous reference only, with a count of reports (courses) or records (persons)",
                "required": ["force", "reference"], "properties": {"force": {"type": "string"}, "reference": {"type": "string"},
                "records": {"type": "integer"}, "reports": {"type": "integer"}}}),
        ),
        (
            "Report",
            json!({"type": "object", "description": "a report (incident) of the course, of a force the reader may see",
                "properties": {"force": {"type": "string"}, "incident_ref": {"type": "string"}, "hidden_repeat": {"type": "boolean"},
                "recorded_date": {"type": "string"}, "occurred_date": {"type": ["string", "null"]}, "offence_code": {"type": "string"},
                "offence_description": {"type": ["string", "null"]}, "domestic_abuse": {"type": ["boolean", "null"]},
                "cyber": {"type": ["boolean", "null"]}, "linked_refs": {"type": "array", "items": {"type": "string"}},
                "outcome_type": {"type": ["integer", "null"]}, "outcome_date": {"type": ["string", "null"]},
                "narrative": {"type": ["string", "null"]}, "possible_breach": {"type": "boolean"}}}),
        ),
        (
            "Record",
            json!({"type": "object", "description": "a force's record of a person in a report, as exported (null where empty)",
                "properties": {"force": {"type": ["string", "null"]}, "record_id": {"type": ["string", "null"]},
                "incident_ref": {"type": ["string", "null"]}, "role": {"type": ["string", "null"]}, "person_id": {"type": ["string",
                "null"]}, "local_person_id": {"type": ["string", "null"]}, "forename": {"type": ["string", "null"]},
                "middle_names": {"type": ["string", "null"]}, "surname": {"type": ["string", "null"]},
                "date_of_birth": {"type": ["string", "null"]}, "sex": {"type": ["string", "null"]}, "address": {"type": ["string",
                "null"]}, "postcode": {"type": ["string", "null"]}, "phone": {"type": ["string", "null"]}, "email": {"type": ["string",
                "null"]}, "online_handles": {"type": ["string", "null"]}, "pnc_id": {"type": ["string", "null"]},
                "ni_number": {"type": ["string", "null"]}}}),
        ),
        (
            "Order",
            json!({"type": "object", "properties": {"force": {"type": "string"}, "order_ref": {"type": "string"},
                "order_type": {"type": "string"}, "incident_ref": {"type": "string"}, "applied_date": {"type": ["string", "null"]},
                "granted_date": {"type": ["string", "null"]}, "expires_date": {"type": ["string", "null"]}, "status": {"type": ["string",
                "null"]}}}),
        ),
        (
            "Breach",
            json!({"type": "object", "description": "a report that may breach an order", "properties": {"force": {"type": "string"},
                "incident_ref": {"type": "string"}, "order_force": {"type": "string"}, "order_ref": {"type": "string"}}}),
        ),
        (
            "Course",
            json!({"type": "object", "properties": {"course_id": {"type": "string"}, "forces": {"type": "array",
                "items": {"type": "string"}}, "victim": {"type": ["string", "null"]}, "suspect": {"type": ["string", "null"]},
                "first_date": {"type": "string"}, "last_date": {"type": "string"}, "reports": {"type": "integer"},
                "hidden_repeats": {"type": "integer"}, "cross_force": {"type": "boolean"}, "priority": {"type": "string"},
                "reasons": {"type": "array", "items": {"type": "string"}}, "review_as_stalking": {"type": "boolean"},
                "possible_breaches": {"type": "integer"}, "access": {"$ref": "#/components/schemas/Access"}, "timeline": {"type": "array",
                "items": {"$ref": "#/components/schemas/Report"}}, "people": {"type": "array",
                "items": {"$ref": "#/components/schemas/Record"}}, "orders": {"type": "array",
                "items": {"$ref": "#/components/schemas/Order"}}, "breaches": {"type": "array",
                "items": {"$ref": "#/components/schemas/Breach"}}, "held_elsewhere": {"type": "array",
                "items": {"$ref": "#/components/schemas/Reference"}}, "redirected_from": {"type": "string",
                "description": "present only when the id asked for was retired by a later publication and led here"}}}),
        ),
        (
            "Explanation",
            json!({"type": "object", "description": "why record b was merged with record a: the linkage waterfall, in bits",
                "properties": {"a": {"type": "string"}, "b": {"type": "string"}, "prior": {"type": "number"}, "steps": {"type": "array",
                "items": {"$ref": "#/components/schemas/ComparisonStep"}}, "match_weight": {"type": "number"},
                "probability": {"type": "number"}, "threshold": {"type": "number"}, "refused_by": {"type": ["string", "null"]}}}),
        ),
        (
            "ComparisonStep",
            json!({"type": "object", "properties": {"comparison": {"type": "string"}, "level": {"type": "string"},
                "values": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2}, "weight": {"type": "number"},
                "tf_adjustment": {"type": "number"}, "cumulative": {"type": "number"}}}),
        ),
        (
            "PersonCourse",
            json!({"type": "object", "properties": {"course_id": {"type": "string"}, "priority": {"type": "string"},
                "forces": {"type": "array", "items": {"type": "string"}}, "first_date": {"type": "string"},
                "last_date": {"type": "string"}, "reports": {"type": "integer"}, "as": {"type": "string", "enum": ["victim",
                "suspect"]}}}),
        ),
        (
            "Person",
            json!({"type": "object", "properties": {"person_id": {"type": ["string", "null"]},
                "access": {"$ref": "#/components/schemas/Access"}, "records": {"type": "array",
                "items": {"$ref": "#/components/schemas/Record"}}, "explanations": {"type": "array",
                "items": {"$ref": "#/components/schemas/Explanation"}}, "explained_against": {"type": ["string", "null"]},
                "courses": {"type": "array", "items": {"$ref": "#/components/schemas/PersonCourse"}}, "held_elsewhere": {"type": "array",
                "items": {"$ref": "#/components/schemas/Reference"}}, "redirected_from": {"type": "string",
                "description": "present only when the id asked for was retired by a later publication and led here"}}}),
        ),
        (
            "ForceSummary",
            json!({"type": "object", "properties": {"force": {"type": "string"}, "incidents": {"type": "integer"},
                "courses": {"type": "integer"}, "hidden_repeats": {"type": "integer"}, "linked_repeats": {"type": "integer"},
                "triage": {"type": "object", "properties": {"urgent": {"type": "integer"}, "high": {"type": "integer"},
                "review": {"type": "integer"}, "routine": {"type": "integer"}}}, "possible_breaches": {"type": "integer"},
                "charged": {"type": "integer"}, "outcomes_assigned": {"type": "integer"}, "charge_rate": {"type": ["number", "null"]},
                "hidden_share": {"type": ["number", "null"]}}}),
        ),
        (
            "ForceOverview",
            json!({"allOf": [{"$ref": "#/components/schemas/ForceSummary"}, {"type": "object",
                "properties": { "quarters": {"type": ["array", "null"], "items": {"type": "object",
                "properties": {"quarter": {"type": "string"}, "recorded": {"type": "integer"}, "charged": {"type": "integer"}}}},
                "outcome_groups": {"type": ["array", "null"], "items": {"type": "object", "properties": {"group": {"type": "string"},
                "count": {"type": "integer"}}}}}}]}),
        ),
        (
            "National",
            json!({"type": "object", "properties": {"published_at": {"type": ["string", "null"]}, "forces": {"type": "array",
                "items": {"$ref": "#/components/schemas/ForceSummary"}}}}),
        ),
        (
            "AuditEntry",
            json!({"type": "object", "properties": {"seq": {"type": "integer"}, "at": {"type": "string"}, "actor": {"type": "string"},
                "action": {"type": "string"}, "object": {"type": "string"}, "force": {"type": "string"}, "outcome": {"type": "string"},
                "detail": {"type": "string"}, "hash": {"type": "string"}}}),
        ),
        (
            "Upload",
            json!({"type": "object", "properties": {"id": {"type": "integer"}, "at": {"type": "string"}, "username": {"type": "string"},
                "status": {"type": "string"}, "report": {"type": ["object", "null"], "description": "the validation report as stored"}}}),
        ),
        (
            "UploadList",
            json!({"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Upload"}}}}),
        ),
        (
            "Uploaded",
            json!({"type": "object", "properties": {"id": {"type": "integer"}, "status": {"type": "string"}, "report": {"type": "object",
                "description": "the validation report"}}}),
        ),
    ];
    Value::Object(schemas.into_iter().map(|(name, schema)| (name.to_string(), schema)).collect())
}

/// The document.
pub fn spec() -> Value {
    let common = json!({"401": err(), "403": err(), "404": err(), "500": err()});
    let with = |mut responses: Value| {
        if let (Some(r), Some(c)) = (responses.as_object_mut(), common.as_object()) {
            for (k, v) in c {
                r.entry(k.clone()).or_insert(v.clone());
            }
        }
        responses
    };
    let mut triage_params = vec![
        json!({"name": "force", "in": "query", "description": "force name (analysts: always their own)", "schema": {"type": "string"}}),
        json!({"name": "priority", "in": "query", "schema": {"type": "string", "enum": ["urgent", "high", "review", "routine"]}}),
        json!({"name": "stalking", "in": "query", "description": "only courses to review as stalking", "schema": {"type": "boolean"}}),
        json!({"name": "cross_force", "in": "query", "schema": {"type": "boolean"}}),
        json!({"name": "breach", "in": "query", "schema": {"type": "boolean"}}),
        json!({"name": "hidden", "in": "query", "schema": {"type": "boolean"}}),
        json!({"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["rank", "recent", "reports"], "default": "rank"}}),
    ];
    triage_params.extend(page_params());
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Conduct API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Courses of conduct in stalking and harassment records. Sign in with POST /api/login; the session is a cookie. \
                Every read of identifiable data is recorded in a hash-chained audit log. Analysts see their own force's identifiable data only; \
                other forces' matches appear as pseudonymous references."
        },
        "components": {
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": crate::SESSION_COOKIE}},
            "schemas": schemas()
        },
        "security": [{"session": []}],
        "paths": {
            "/api/login": {"post": {"summary": "Sign in", "security": [], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["username", "password"],
                "properties": {"username": {"type": "string", "maxLength": 64}, "password": {"type": "string", "maxLength": 1024}}}}}},
                "responses": {"200": ok("signed in; the session cookie is set", json!({"$ref": "#/components/schemas/Me"})), "401": err(),
                    "413": err(), "422": err(), "429": err()}}},
            "/api/logout": {"post": {"summary": "Sign out", "parameters": [csrf()], "responses": with(json!({"200": ok("signed out", json!({"$ref": "#/components/schemas/SignedOut"}))}))}},
            "/api/me": {"get": {"summary": "Who is signed in", "responses": with(json!({"200": ok("the user", json!({"$ref": "#/components/schemas/Me"}))}))}},
            "/api/forces": {"get": {"summary": "National comparison: every force's aggregates", "responses": with(json!({"200": ok("forces", json!({"$ref": "#/components/schemas/National"}))}))}},
            "/api/forces/{force}": {"get": {"summary": "A force's overview: trend, outcomes, hidden repeats, triage summary", "parameters": [path_param("force", "force name")],
                "responses": with(json!({"200": ok("overview", json!({"$ref": "#/components/schemas/ForceOverview"}))}))}},
            "/api/triage": {"get": {"summary": "Courses in review order, each with its reasons", "parameters": triage_params,
                "responses": with(json!({"200": ok("a page of courses", json!({"allOf": [{"$ref": "#/components/schemas/Page"}, {"properties": {"force": {"type": ["string", "null"], "description": "the force listed; null for all forces"}, "items": {"items": {"$ref": "#/components/schemas/TriageRow"}}}}]})), "400": err()}))}},
            "/api/courses/{id}": {"get": {"summary": "A course: time line, people, orders, breaches", "parameters": [path_param("id", "course id, e.g. C000001")],
                "responses": with(json!({"200": ok("the course", json!({"$ref": "#/components/schemas/Course"}))}))}},
            "/api/persons/{id}": {"get": {"summary": "A person: merged records with the linkage explanation", "parameters": [path_param("id", "person id, e.g. P000001")],
                "responses": with(json!({"200": ok("the person", json!({"$ref": "#/components/schemas/Person"}))}))}},
            "/api/imports": {
                "get": {"summary": "Recent uploads (yours; administrators: everyone's)", "responses": with(json!({"200": ok("uploads", json!({"$ref": "#/components/schemas/UploadList"}))}))},
                "post": {"summary": "Upload an export: validated at once, analysed in the background", "parameters": [csrf()],
                    "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["incidents", "people"], "properties": {
                        "incidents": {"type": "string", "format": "binary"}, "people": {"type": "string", "format": "binary"}, "orders": {"type": "string", "format": "binary"}}}}}},
                    "responses": with(json!({"202": ok("accepted; analysing", json!({"$ref": "#/components/schemas/Uploaded"})), "400": err(), "413": err(), "422": err()}))}
            },
            "/api/imports/{id}": {"get": {"summary": "One upload: status and validation report", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": with(json!({"200": ok("the upload", json!({"$ref": "#/components/schemas/Upload"}))}))}},
            "/api/imports/{id}/rejects.csv": {"get": {"summary": "The rejected rows stored with an upload (up to CONDUCT_MAX_STORED_REJECTS, 10,000 by default; the report lists the first 500 and counts every one by reason), as CSV: file, line, column, reason, key",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": with(json!({"200": {"description": "the rejected rows", "content": {"text/csv": {"schema": {"type": "string"}}}}}))}},
            "/api/grants": {"post": {"summary": "Grant a reviewer access to a force's identifiable data (administrators)", "parameters": [csrf()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["username", "force", "reason"], "properties": {
                    "username": {"type": "string"}, "force": {"type": "string"}, "reason": {"type": "string"}}}}}},
                "responses": with(json!({"200": ok("granted", json!({"$ref": "#/components/schemas/Granted"})), "400": err()}))}},
            "/api/audit": {"get": {"summary": "The audit log, newest first (administrators)", "parameters": page_params(),
                "responses": with(json!({"200": ok("a page of entries", json!({"allOf": [{"$ref": "#/components/schemas/Page"}, {"properties": {"items": {"items": {"$ref": "#/components/schemas/AuditEntry"}}}}]}))}))}}
        }
    })
}

/// `GET /openapi.json`.
pub async fn document() -> Json<Value> {
    Json(spec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_described_path_is_in_the_document_once() {
        let s = spec();
        let paths = s["paths"].as_object().unwrap();
        let mut n = 0;
        for (path, methods) in paths {
            for m in methods.as_object().unwrap().keys() {
                assert!(PATHS.contains(&(m.as_str(), path.as_str())), "{m} {path} is described but not listed");
                n += 1;
            }
        }
        assert_eq!(n, PATHS.len());
        let api_rs = include_str!("api.rs");
        for (_, p) in PATHS {
            assert!(api_rs.contains(&format!("\"{p}\"")), "{p} is described but not routed in api.rs");
        }
        let routed = api_rs.matches(".route(\"/api/").count();
        let distinct: std::collections::BTreeSet<&str> = PATHS.iter().map(|x| x.1).collect();
        assert_eq!(routed, distinct.len(), "every routed path is described");
    }

    /// `schema` with its `$ref`s followed and its `allOf` parts merged (later parts refine
    /// earlier ones).
    fn resolve(spec: &Value, schema: &Value) -> Value {
        let mut out = match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => resolve(spec, &spec["components"]["schemas"][r.trim_start_matches("#/components/schemas/")]),
            None => json!({}),
        };
        for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
            merge(&mut out, &resolve(spec, part));
        }
        let mut rest = schema.clone();
        if let Some(o) = rest.as_object_mut() {
            o.remove("$ref");
            o.remove("allOf");
        }
        merge(&mut out, &rest);
        out
    }

    fn merge(into: &mut Value, from: &Value) {
        match (into.as_object_mut(), from.as_object()) {
            (Some(a), Some(b)) => {
                for (k, v) in b {
                    merge(a.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
            _ => *into = from.clone(),
        }
    }

    /// Checks that `v` is what `schema` describes: its type, every key it has described,
    /// every required key present, recursively.
    fn conforms(spec: &Value, schema: &Value, v: &Value, at: &str) {
        let schema = resolve(spec, schema);
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let kind = match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_f64() => "number",
            Value::Number(_) => "integer",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let fits = types.is_empty() || types.contains(&kind) || (kind == "integer" && types.contains(&"number"));
        assert!(fits, "{at}: {v} is {kind}, described as {types:?}");
        if let Some(e) = schema["enum"].as_array() {
            assert!(e.contains(v), "{at}: {v} is not one of {e:?}");
        }
        match v {
            Value::Object(o) => {
                let Some(props) = schema["properties"].as_object() else { return };
                for (k, x) in o {
                    let p = props.get(k).unwrap_or_else(|| panic!("{at}.{k} is answered but not described"));
                    conforms(spec, p, x, &format!("{at}.{k}"));
                }
                for k in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                    assert!(o.contains_key(k), "{at}.{k} is required but not answered");
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    conforms(spec, &schema["items"], x, &format!("{at}[{i}]"));
                }
            }
            _ => {}
        }
    }

    /// The typed answers, serialised, are what the document says each route answers.
    #[test]
    fn the_typed_answers_are_as_described() {
        use crate::api::{Granted, SignedOut, Uploaded};
        use crate::views::*;
        let spec = spec();
        let answer = |method: &str, path: &str, status: &str| {
            spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"].clone()
        };
        let record = |force: &str| Record {
            force: Some(force.into()),
            record_id: Some("R1".into()),
            incident_ref: Some("I1".into()),
            role: Some("victim".into()),
            person_id: Some("P000001".into()),
            local_person_id: None,
            forename: Some("Ann".into()),
            middle_names: None,
            surname: Some("Smith".into()),
            date_of_birth: Some("1980-01-01".into()),
            sex: None,
            address: None,
            postcode: Some("AB1 2CD".into()),
            phone: None,
            email: None,
            online_handles: None,
            pnc_id: None,
            ni_number: None,
        };
        let reference = |reports, records| Reference { force: "Kent".into(), reference: "REF-0A1B".into(), reports, records };
        let course = CoursePage {
            course_id: "C000001".into(),
            forces: vec!["Essex".into(), "Kent".into()],
            victim: Some("P000001".into()),
            suspect: None,
            first_date: "2023-01-02".into(),
            last_date: "2023-05-06".into(),
            reports: Some(4),
            hidden_repeats: Some(1),
            cross_force: true,
            priority: "urgent".into(),
            reasons: vec!["a reason".into()],
            review_as_stalking: true,
            possible_breaches: Some(1),
            access: AccessOutcome::PartlyPseudonymous,
            timeline: vec![Report {
                force: "Essex".into(),
                incident_ref: "I1".into(),
                hidden_repeat: true,
                recorded_date: "2023-01-02".into(),
                occurred_date: None,
                offence_code: "8Q".into(),
                offence_description: Some("stalking".into()),
                domestic_abuse: Some(true),
                cyber: None,
                linked_refs: vec!["I0".into()],
                outcome_type: Some(1),
                outcome_date: None,
                narrative: None,
                possible_breach: true,
            }],
            people: vec![record("Essex")],
            orders: vec![Order {
                force: "Essex".into(),
                order_ref: "O1".into(),
                order_type: "SPO".into(),
                incident_ref: "I0".into(),
                applied_date: None,
                granted_date: Some("2022-12-01".into()),
                expires_date: None,
                status: Some("granted".into()),
            }],
            breaches: vec![Breach {
                force: "Essex".into(),
                incident_ref: "I1".into(),
                order_force: "Essex".into(),
                order_ref: "O1".into(),
            }],
            held_elsewhere: vec![reference(Some(2), None)],
            redirected_from: Some("C999999".into()),
        };
        let person = PersonPage {
            person_id: None,
            access: AccessOutcome::Pseudonymous,
            records: vec![record("Essex"), record("Essex")],
            explanations: vec![Explanation {
                a: "R1".into(),
                b: "R2".into(),
                prior: -10.5,
                steps: vec![conduct_resolve::explain::Step {
                    comparison: "surname",
                    level: "exact".into(),
                    values: ("smith".into(), "smith".into()),
                    weight: 8.25,
                    tf_adjustment: 0.5,
                    cumulative: -1.75,
                }],
                match_weight: 12.0,
                probability: 0.999,
                threshold: 6.0,
                refused_by: Some("date_of_birth: different".into()),
            }],
            explained_against: Some("R1".into()),
            courses: vec![PersonCourse {
                course_id: "C000001".into(),
                priority: "high".into(),
                forces: vec!["Essex".into()],
                first_date: "2023-01-02".into(),
                last_date: "2023-05-06".into(),
                reports: Some(3),
                part: CoursePart::Suspect,
            }],
            held_elsewhere: vec![reference(None, Some(3))],
            redirected_from: None,
        };
        let summary = || ForceSummary {
            force: "Essex".into(),
            incidents: 10,
            courses: Some(4),
            hidden_repeats: Some(2),
            linked_repeats: Some(3),
            triage: TriageCounts { urgent: Some(1), high: Some(1), review: Some(1), routine: Some(1) },
            possible_breaches: Some(0),
            charged: 2,
            outcomes_assigned: 5,
            charge_rate: Some(0.4),
            hidden_share: None,
        };
        let overview = ForceOverview {
            summary: summary(),
            quarters: Some(vec![Quarter { quarter: "2023/24 Q1".into(), recorded: 4, charged: 1 }]),
            outcome_groups: Some(vec![OutcomeGroup { group: "charged or summonsed".into(), count: 2 }]),
        };
        let triage = TriagePage {
            force: Some("Essex"),
            page: 1,
            per_page: 50,
            total: 1,
            next_page: None,
            items: vec![TriageRow {
                course_id: "C000001".into(),
                priority: "urgent".into(),
                reasons: serde_json::value::RawValue::from_string(r#"["a reason"]"#.into()).unwrap(),
                first_date: "2023-01-02".into(),
                last_date: "2023-05-06".into(),
                reports: Some(4),
                reports_in_force: Some(3),
                hidden_repeats: Some(1),
                cross_force: true,
                forces: vec!["Essex".into(), "Kent".into()],
                review_as_stalking: false,
                possible_breaches: Some(0),
                victim: "P000001".into(),
                suspect: Some("P000002".into()),
            }],
        };
        let audit = AuditPage {
            page: 2,
            per_page: 1,
            total: 3,
            next_page: Some(3),
            items: vec![LoggedEntry {
                seq: Some(2),
                at: "2026-01-01T00:00:00Z".into(),
                actor: "ana".into(),
                action: "read".into(),
                object: "course/C000001".into(),
                force: "Essex".into(),
                outcome: "allowed".into(),
                detail: String::new(),
                hash: "ab".into(),
            }],
        };
        let upload = || Upload {
            id: Some(1),
            at: "2026-01-01T00:00:00Z".into(),
            username: "ana".into(),
            status: "published".into(),
            report: json!({"read": 3, "accepted": 3, "rejected": 0}),
        };
        let me = crate::api::Me { username: "ana".into(), role: "analyst", force: Some("Essex"), grants: vec![], csrf_token: "t".into() };
        let national = National { published_at: None, forces: vec![summary()] };
        let cases: Vec<(&str, &str, &str, Value)> = vec![
            ("post", "/api/login", "200", serde_json::to_value(&me).unwrap()),
            ("get", "/api/me", "200", serde_json::to_value(&me).unwrap()),
            ("post", "/api/logout", "200", serde_json::to_value(SignedOut { signed_out: true }).unwrap()),
            ("get", "/api/forces", "200", serde_json::to_value(&national).unwrap()),
            ("get", "/api/forces/{force}", "200", serde_json::to_value(&overview).unwrap()),
            ("get", "/api/triage", "200", serde_json::to_value(&triage).unwrap()),
            ("get", "/api/courses/{id}", "200", serde_json::to_value(&course).unwrap()),
            ("get", "/api/persons/{id}", "200", serde_json::to_value(&person).unwrap()),
            ("get", "/api/imports", "200", serde_json::to_value(UploadList { items: vec![upload()] }).unwrap()),
            ("get", "/api/imports/{id}", "200", serde_json::to_value(upload()).unwrap()),
            (
                "post",
                "/api/imports",
                "202",
                serde_json::to_value(Uploaded { id: 1, status: "analysing".into(), report: json!({"read": 3}) }).unwrap(),
            ),
            ("post", "/api/grants", "200", serde_json::to_value(Granted { granted: true, username: "rev".into(), force: "Kent" }).unwrap()),
            ("get", "/api/audit", "200", serde_json::to_value(&audit).unwrap()),
        ];
        for (method, path, status, v) in &cases {
            let schema = answer(method, path, status);
            assert!(!schema.is_null(), "{method} {path} {status} has a schema");
            conforms(&spec, &schema, v, &format!("{method} {path}"));
        }
        let json_routes = PATHS.iter().filter(|(_, p)| !p.ends_with(".csv")).count();
        assert_eq!(cases.len(), json_routes, "every JSON route's answer is checked");
    }
}
