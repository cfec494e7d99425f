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
    json!({"name": "X-CSRF-Token", "in": "header", "required": true, "description": "the csrf_token from /api/login or /api/me", "schema": {"type": "string"}})
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
            "schemas": {
                "Error": {"type": "object", "required": ["error", "status"], "properties": {"error": {"type": "string"}, "status": {"type": "integer"}, "detail": {}}},
                "Me": {"type": "object", "properties": {"username": {"type": "string"}, "role": {"type": "string", "enum": ["analyst", "reviewer", "admin"]},
                    "force": {"type": ["string", "null"]}, "grants": {"type": "array", "items": {"type": "string"}}, "csrf_token": {"type": "string"}}},
                "Page": {"type": "object", "required": ["page", "per_page", "total", "items"], "properties": {"page": {"type": "integer"}, "per_page": {"type": "integer"},
                    "total": {"type": "integer"}, "next_page": {"type": ["integer", "null"]}, "items": {"type": "array", "items": {"type": "object"}}}},
                "TriageRow": {"type": "object", "properties": {"course_id": {"type": "string"}, "priority": {"type": "string"}, "reasons": {"type": "array", "items": {"type": "string"}},
                    "first_date": {"type": "string"}, "last_date": {"type": "string"}, "reports": {"type": "integer"}, "reports_in_force": {"type": "integer"},
                    "hidden_repeats": {"type": "integer"}, "cross_force": {"type": "boolean"}, "forces": {"type": "array", "items": {"type": "string"}},
                    "review_as_stalking": {"type": "boolean"}, "possible_breaches": {"type": "integer"}, "victim": {"type": "string"}, "suspect": {"type": ["string", "null"]}}},
                "Reference": {"type": "object", "description": "another force holds matching records: a pseudonymous reference only",
                    "properties": {"force": {"type": "string"}, "reference": {"type": "string"}, "records": {"type": "integer"}, "reports": {"type": "integer"}}},
                "Course": {"type": "object", "properties": {"course_id": {"type": "string"}, "access": {"type": "string"}, "priority": {"type": "string"},
                    "reasons": {"type": "array", "items": {"type": "string"}}, "timeline": {"type": "array", "items": {"type": "object"}},
                    "people": {"type": "array", "items": {"type": "object"}}, "orders": {"type": "array", "items": {"type": "object"}},
                    "breaches": {"type": "array", "items": {"type": "object"}}, "held_elsewhere": {"type": "array", "items": {"$ref": "#/components/schemas/Reference"}}}},
                "Person": {"type": "object", "properties": {"person_id": {"type": ["string", "null"]}, "access": {"type": "string"},
                    "records": {"type": "array", "items": {"type": "object"}}, "explanations": {"type": "array", "items": {"type": "object"}},
                    "courses": {"type": "array", "items": {"type": "object"}}, "held_elsewhere": {"type": "array", "items": {"$ref": "#/components/schemas/Reference"}}}},
                "Upload": {"type": "object", "properties": {"id": {"type": "integer"}, "status": {"type": "string"}, "report": {"type": "object"}}}
            }
        },
        "security": [{"session": []}],
        "paths": {
            "/api/login": {"post": {"summary": "Sign in", "security": [], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["username", "password"],
                "properties": {"username": {"type": "string", "maxLength": 64}, "password": {"type": "string", "maxLength": 1024}}}}}},
                "responses": {"200": ok("signed in; the session cookie is set", json!({"$ref": "#/components/schemas/Me"})), "401": err(),
                    "413": err(), "422": err(), "429": err()}}},
            "/api/logout": {"post": {"summary": "Sign out", "parameters": [csrf()], "responses": with(json!({"200": ok("signed out", json!({"type": "object"}))}))}},
            "/api/me": {"get": {"summary": "Who is signed in", "responses": with(json!({"200": ok("the user", json!({"$ref": "#/components/schemas/Me"}))}))}},
            "/api/forces": {"get": {"summary": "National comparison: every force's aggregates", "responses": with(json!({"200": ok("forces", json!({"type": "object"}))}))}},
            "/api/forces/{force}": {"get": {"summary": "A force's overview: trend, outcomes, hidden repeats, triage summary", "parameters": [path_param("force", "force name")],
                "responses": with(json!({"200": ok("overview", json!({"type": "object"}))}))}},
            "/api/triage": {"get": {"summary": "Courses in review order, each with its reasons", "parameters": triage_params,
                "responses": with(json!({"200": ok("a page of courses", json!({"allOf": [{"$ref": "#/components/schemas/Page"}, {"properties": {"items": {"items": {"$ref": "#/components/schemas/TriageRow"}}}}]})), "400": err()}))}},
            "/api/courses/{id}": {"get": {"summary": "A course: time line, people, orders, breaches", "parameters": [path_param("id", "course id, e.g. C000001")],
                "responses": with(json!({"200": ok("the course", json!({"$ref": "#/components/schemas/Course"}))}))}},
            "/api/persons/{id}": {"get": {"summary": "A person: merged records with the linkage explanation", "parameters": [path_param("id", "person id, e.g. P000001")],
                "responses": with(json!({"200": ok("the person", json!({"$ref": "#/components/schemas/Person"}))}))}},
            "/api/imports": {
                "get": {"summary": "Recent uploads (yours; administrators: everyone's)", "responses": with(json!({"200": ok("uploads", json!({"type": "object"}))}))},
                "post": {"summary": "Upload an export: validated at once, analysed in the background", "parameters": [csrf()],
                    "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["incidents", "people"], "properties": {
                        "incidents": {"type": "string", "format": "binary"}, "people": {"type": "string", "format": "binary"}, "orders": {"type": "string", "format": "binary"}}}}}},
                    "responses": with(json!({"202": ok("accepted; analysing", json!({"$ref": "#/components/schemas/Upload"})), "400": err(), "413": err(), "422": err()}))}
            },
            "/api/imports/{id}": {"get": {"summary": "One upload: status and validation report", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": with(json!({"200": ok("the upload", json!({"$ref": "#/components/schemas/Upload"}))}))}},
            "/api/imports/{id}/rejects.csv": {"get": {"summary": "The rejected rows stored with an upload (up to CONDUCT_MAX_STORED_REJECTS, 10,000 by default; the report lists the first 500 and counts every one by reason), as CSV: file, line, column, reason, key",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": with(json!({"200": {"description": "the rejected rows", "content": {"text/csv": {"schema": {"type": "string"}}}}}))}},
            "/api/grants": {"post": {"summary": "Grant a reviewer access to a force's identifiable data (administrators)", "parameters": [csrf()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["username", "force", "reason"], "properties": {
                    "username": {"type": "string"}, "force": {"type": "string"}, "reason": {"type": "string"}}}}}},
                "responses": with(json!({"200": ok("granted", json!({"type": "object"})), "400": err()}))}},
            "/api/audit": {"get": {"summary": "The audit log, newest first (administrators)", "parameters": page_params(),
                "responses": with(json!({"200": ok("a page of entries", json!({"$ref": "#/components/schemas/Page"}))}))}}
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
}
