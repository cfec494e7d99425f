//! The OpenAPI 3.1 description of the JSON API, served at `/openapi.json`, derived from the
//! code with utoipa: each route's `#[utoipa::path]` beside its handler in [`crate::api`], and
//! every answer's schema from the type the handler answers with (its fields, their types and
//! their doc comments), so the document cannot drift from the routes. A test checks that every
//! route in [`crate::api::routes`] is described and that the typed answers are as described.

use std::sync::OnceLock;

use axum::Json;
use serde_json::Value;
use utoipa::OpenApi as _;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

use crate::api;

/// The paths described, with their methods (the test compares these with the router).
pub const PATHS: &[(&str, &str)] = &[
    ("post", "/api/login"),
    ("post", "/api/logout"),
    ("get", "/api/me"),
    ("get", "/api/forces"),
    ("get", "/api/forces/{force}"),
    ("get", "/api/triage"),
    ("get", "/api/courses/{id}"),
    ("post", "/api/courses/{id}/assign"),
    ("post", "/api/courses/{id}/reviews"),
    ("get", "/api/review-times.csv"),
    ("get", "/api/search"),
    ("get", "/api/persons/{id}"),
    ("get", "/api/imports"),
    ("post", "/api/imports"),
    ("get", "/api/imports/{id}"),
    ("get", "/api/imports/{id}/rejects.csv"),
    ("post", "/api/grants"),
    ("get", "/api/audit"),
];

/// What every refusal answers (the API's errors are written from this type).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in words (an internal error only says that the server failed).
    pub error: String,
    /// The HTTP status.
    pub status: u16,
    /// More, where there is more: the validation report of a refused upload, say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
}

/// The session cookie, the API's one way of signing in.
struct Session;

impl utoipa::Modify for Session {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let scheme = SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::SESSION_COOKIE)));
        doc.components.get_or_insert_with(Default::default).add_security_scheme("session", scheme);
    }
}

/// The refusals any route may answer: a malformed request (a query string, path id or body
/// the route cannot read), not signed in, not allowed, not found, failed.
struct CommonErrors;

impl utoipa::Modify for CommonErrors {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        let failure = ResponseBuilder::new().description("error").content("application/json", content).build();
        for item in doc.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                for code in ["400", "401", "403", "404", "500"] {
                    op.responses.responses.entry(code.to_string()).or_insert_with(|| RefOr::T(failure.clone()));
                }
            }
        }
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Conduct API",
        description = "Courses of conduct in stalking and harassment records. Sign in with POST /api/login; the session is a cookie. \
            Every read of identifiable data is recorded in a hash-chained audit log. Analysts see their own force's identifiable data only; \
            other forces' matches appear as pseudonymous references."
    ),
    paths(
        api::login,
        api::logout,
        api::me,
        api::forces,
        api::force,
        api::triage,
        api::course,
        api::assign,
        api::review,
        api::review_times,
        api::search,
        api::person,
        api::imports,
        api::upload,
        api::import,
        api::import_rejects,
        api::grant,
        api::audit_log
    ),
    components(schemas(ErrorBody)),
    modifiers(&Session, &CommonErrors),
    security(("session" = []))
)]
struct ApiDoc;

/// The document, as JSON.
pub fn spec() -> Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| serde_json::to_value(ApiDoc::openapi()).expect("the document is JSON")).clone()
}

/// `GET /openapi.json`.
pub async fn document() -> Json<Value> {
    Json(spec())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

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
        let review = crate::workflow::ReviewEntry {
            id: 1,
            force: "Essex".into(),
            reviewer: "ana".into(),
            at: "2026-01-01T00:00:00.000Z".into(),
            decision: crate::workflow::Decision::SdashRequested,
            decision_label: crate::workflow::Decision::SdashRequested.label(),
            note: None,
            recorded_as: Some("C000009".into()),
        };
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
                secondary_offence_codes: vec!["8Q".into()],
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
            other_forces_reports: vec![OtherReport {
                force: "Kent".into(),
                recorded_date: "2023-02-03".into(),
                offence_class: "Harassment".into(),
            }],
            screenings: vec![Screening {
                force: "Essex".into(),
                incident_ref: "I1".into(),
                assessed_date: "2023-01-03".into(),
                tool: "S-DASH".into(),
                grade: Some("high".into()),
                yes_answers: vec!["victim very frightened".into()],
                in_words: "S-DASH 2023-01-03: high; victim very frightened".into(),
                assessor_notes: None,
            }],
            workflow: crate::workflow::CourseWorkflow {
                force: Some("Essex".into()),
                assigned_to: Some("ana".into()),
                may_act: true,
                colleagues: vec!["ana".into(), "bo".into()],
                since_review: Some(crate::workflow::SinceReview { reports: 2, possible_breaches: 1, other_forces_reports: 0 }),
                since_review_words: Some("new since review: 2 reports, 1 a possible breach".into()),
                reviews: vec![review.clone()],
            },
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
            history: vec![crate::views::IdChange {
                publication: 2,
                at: "2026-12-03T16:00:00Z".into(),
                kind: "merge".into(),
                id: "P0000001".into(),
                other_id: "P0000002".into(),
                records: 3,
                reason: "P0000002 joined P0000001: the strongest pair across them (a Kent record and an Essex record) scores 21.4 bits, over the threshold of 6.6, on forename exact, surname exact, date of birth exact".into(),
            }],
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
            recorded_under_another_crime: Some(1),
            cross_force: Some(crate::views::CrossForceReceived {
                received_at: "2026-12-04T10:00:00Z".into(),
                report_rows: 7,
                forces: vec!["Cheshire".into()],
                parties_left_out: Vec::new(),
                reports_taken_in: 5,
                rows_left_out: 0,
                why_left_out: None,
            }),
            withdrawal: Some(Withdrawals {
                courses: 10,
                courses_victim_withdrew: 4,
                courses_withdrew_reports_since: 2,
                offences: 30,
                offences_victim_withdrew: 6,
            }),
            review_times: crate::workflow::ReviewTimes {
                urgent: 3,
                reviewed: 2,
                within_7_days: 2,
                median_hours: Some(5.5),
                waiting: 1,
                longest_wait_hours: None,
            },
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
                assigned_to: Some("ana".into()),
                review: Some(crate::views::ReviewMark {
                    at: "2026-01-01T00:00:00.000Z".into(),
                    reviewer: "ana".into(),
                    decision: "spo_considered".into(),
                    settled: false,
                    since: crate::workflow::SinceReview { reports: 1, possible_breaches: 0, other_forces_reports: 1 },
                    since_words: Some("new since review: 1 report; 1 report from another force".into()),
                }),
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
            (
                "post",
                "/api/courses/{id}/assign",
                "200",
                serde_json::to_value(crate::api::Assigned { course_id: "C000001".into(), assigned_to: None }).unwrap(),
            ),
            ("post", "/api/courses/{id}/reviews", "200", serde_json::to_value(&review).unwrap()),
            (
                "get",
                "/api/search",
                "200",
                serde_json::to_value(crate::search::SearchPage {
                    kind: Some(crate::search::SearchKind::DateOfBirth),
                    forces: vec!["Essex".into()],
                    persons: vec![crate::search::Found {
                        person_id: "P0000001".into(),
                        force: "Essex".into(),
                        name: "Amy Lowther".into(),
                        date_of_birth: None,
                        incident_ref: "1001".into(),
                        role: "victim".into(),
                        why: "date of birth".into(),
                        score: 1.0,
                        courses: vec!["C000001".into()],
                    }],
                    courses: vec![],
                    truncated: false,
                })
                .unwrap(),
            ),
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
