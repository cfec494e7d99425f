//! The dashboard's pages: server-rendered HTML over the same views as the API, with charts and
//! time lines drawn as inline SVG. No JavaScript is needed; forms carry the session's CSRF token.
//!
//! Every page is a `maud` template, checked when the crate compiles. One escaping rule: every
//! value spliced into a page goes through maud's escaper (`&`, `<`, `>` and `"`), in text and
//! in attributes alike, and maud always writes attribute values between double quotes, so a
//! `'` cannot end one. Nothing here writes user data as pre-escaped markup: the only
//! `PreEscaped` is the constant stylesheet. Paths built from ids are percent-encoded first
//! (`url_part`), so a link always stays on this site.

use std::net::SocketAddr;

use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Form, Multipart, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use conduct_domain::{Date, Force};
use maud::{DOCTYPE, Markup, PreEscaped, Render, html};
use serde_json::Value as Json;

use crate::api::{self, Credentials, GrantRequest, PageQuery};
use crate::auth::Role;
use crate::error::ApiError;
use crate::views::{
    self, AuditPage, CoursePage, Explanation, ForceOverview, National, OutcomeGroup, PersonPage, Quarter, Reference, TriagePage,
    TriageQuery, Upload, UploadList,
};
use crate::workflow::Decision;
use crate::{Ctx, Shared};

/// The page routes.
pub fn routes() -> axum::Router<Shared> {
    axum::Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login).layer(DefaultBodyLimit::max(crate::auth::MAX_LOGIN_BODY_BYTES)))
        .route("/logout", post(logout))
        .route("/forces/{force}", get(force_page))
        .route("/triage", get(triage_page))
        .route("/courses/{id}", get(course_page))
        .route("/courses/{id}/assign", post(assign_post))
        .route("/courses/{id}/review", post(review_post))
        .route("/persons/{id}", get(person_page))
        .route("/import", get(import_page).post(import_post))
        .route("/imports/{id}", get(upload_page))
        .route("/national", get(national_page))
        .route("/search", get(search_page))
        .route("/audit", get(audit_page))
        .route("/grants", post(grant_post))
}

/// A JSON value as text: strings as they are, null as nothing, anything else as JSON.
fn s(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(x) => x.clone(),
        other => other.to_string(),
    }
}

/// Optional text, or nothing.
fn text(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

/// An optional count, or nothing.
fn num(v: Option<i64>) -> String {
    v.map_or(String::new(), |n| n.to_string())
}

/// A coordinate, to one decimal.
fn f1(x: f64) -> String {
    format!("{x:.1}")
}

/// Text percent-encoded for one segment or value of a URL: only unreserved characters stay.
fn url_part(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

const PRIORITIES: [&str; 4] = ["urgent", "high", "review", "routine"];

const STYLE: &str = "
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f6f6f4}
header{background:#1d3557;color:#fff;padding:.6em 1.2em;display:flex;gap:1.2em;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none;font-weight:600}header .who{margin-left:auto;font-weight:400}
header form{display:inline}header button{background:none;border:1px solid #fff;color:#fff;border-radius:3px;cursor:pointer}
main{padding:1em 1.4em;max-width:1200px}h1{font-size:1.4em;margin:.3em 0 .6em}h2{font-size:1.1em;margin-top:1.4em}
table{border-collapse:collapse;background:#fff;width:100%}th,td{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#eef0f3;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;gap:.8em;flex-wrap:wrap}.card{background:#fff;border:1px solid #ddd;border-radius:4px;padding:.6em .9em;min-width:9em}
.card b{display:block;font-size:1.5em}.p-urgent{color:#b00020;font-weight:700}.p-high{color:#c75000;font-weight:700}.p-review{color:#1d3557;font-weight:600}
.note{background:#fff8e1;border:1px solid #f0d48a;padding:.5em .8em;border-radius:4px}.err{background:#fde8e8;border:1px solid #e8a0a0;padding:.6em .9em;border-radius:4px}
form.filters{display:flex;gap:.8em;flex-wrap:wrap;align-items:end;margin-bottom:1em}label{display:flex;flex-direction:column;font-size:.9em}
ul.reasons{margin:0;padding-left:1.1em}.muted{color:#666}.pager{margin:.8em 0;display:flex;gap:1em}
.login{max-width:22em;margin:4em auto;background:#fff;padding:1.5em;border:1px solid #ddd;border-radius:6px}
.login label{margin-bottom:.8em}input,select,button{font:inherit;padding:.25em .4em}
details{background:#fff;border:1px solid #ddd;border-radius:4px;margin:.4em 0;padding:.3em .6em}code{font-size:.92em}
#workflow form{display:flex;gap:.8em;flex-wrap:wrap;align-items:end;margin:.5em 0}.new-since strong,td.work .new{color:#b00020}
nav.queues{margin:-.2em 0 .8em}
";

/// The links of a signed-in user's header.
fn nav(c: &Ctx) -> Markup {
    let home = c.user.force.map_or_else(|| "/national".to_string(), |f| format!("/forces/{}", url_part(f.name())));
    html! {
        a href=(home) { "Overview" }
        a href="/triage" { "Triage" }
        a href="/national" { "National" }
        a href="/search" { "Search" }
        @if c.user.role != Role::Reviewer {
            a href="/import" { "Import" }
        }
        @if c.user.role == Role::Admin {
            a href="/audit" { "Audit" }
        }
        span.who {
            (c.user.username) " (" (c.user.role.as_str())
            @if let Some(f) = c.user.force { ", " (f.name()) }
            ")"
        }
        form method="post" action="/logout" {
            input type="hidden" name="csrf" value=(c.csrf);
            button { "Sign out" }
        }
    }
}

/// A whole page: head, header (with the user's links when signed in) and `body`.
fn layout(title: &str, ctx: Option<&Ctx>, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { (title) " — Conduct" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    strong { "Conduct" }
                    @if let Some(c) = ctx { (nav(c)) }
                }
                main { (body) }
            }
        }
    }
    .into_string()
}

fn page(title: &str, ctx: &Ctx, body: Markup) -> Response {
    Html(layout(title, Some(ctx), body)).into_response()
}

/// An error's page: its status, its public message and any report it carries.
fn error_html(ctx: Option<&Ctx>, e: &ApiError) -> String {
    let body = html! {
        h1 { (e.status.as_u16()) " " (crate::status_text(e.status)) }
        p.err { (e.public_message()) }
        @if let Some(d) = &e.detail { (report_html(d, d["upload_id"].as_i64())) }
    };
    layout(crate::status_text(e.status), ctx, body)
}

/// A failed view as a page (sign-in redirect for 401).
fn error_page(ctx: Option<&Ctx>, e: ApiError) -> Response {
    if e.status == StatusCode::UNAUTHORIZED {
        return crate::to_login();
    }
    if e.status.is_server_error() {
        say!("conduct serve: error: {}", e.message);
    }
    (e.status, Html(error_html(ctx, &e))).into_response()
}

/// The signed-in user, or a redirect to the sign-in page.
struct PageCtx(Ctx);

impl axum::extract::FromRequestParts<Shared> for PageCtx {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &Shared) -> Result<PageCtx, Response> {
        Ctx::from_request_parts(parts, state).await.map(PageCtx).map_err(|e| error_page(None, e))
    }
}

async fn home(PageCtx(ctx): PageCtx) -> Response {
    match ctx.user.force {
        Some(f) => Redirect::to(&format!("/forces/{}", url_part(f.name()))).into_response(),
        None => Redirect::to("/national").into_response(),
    }
}

const LOGIN_CSRF: &str = "conduct_login";

fn login_html(message: Option<&str>, token: &str) -> String {
    let body = html! {
        form.login method="post" action="/login" {
            h1 { "Sign in" }
            @if let Some(m) = message { p.err role="alert" { (m) } }
            input type="hidden" name="csrf" value=(token);
            label { "Username " input name="username" autocomplete="username" required autofocus; }
            label { "Password " input name="password" type="password" autocomplete="current-password" required; }
            button type="submit" { "Sign in" }
            p.muted { "Every view of a person's records is recorded in the audit log." }
        }
    };
    layout("Sign in", None, body)
}

/// The sign-in form; its CSRF token is a double-submit cookie (there is no session yet).
async fn login_page(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let token = crate::audit::hex(&crate::auth::random_bytes::<16>());
    let cookie = format!(
        "{LOGIN_CSRF}={token}; Path=/login; HttpOnly; SameSite=Strict{}",
        if crate::is_tls(&state, &headers) { "; Secure" } else { "" }
    );
    ([(header::SET_COOKIE, cookie)], Html(login_html(None, &token))).into_response()
}

#[derive(serde::Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

async fn login(
    State(state): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let expected = crate::cookie(&headers, LOGIN_CSRF).unwrap_or_default();
    let f = match form {
        Ok(Form(f)) => f,
        Err(e) => {
            let e = api::unreadable_login(e.status(), &e.body_text());
            return (e.status, Html(login_html(Some(&e.public_message()), &expected))).into_response();
        }
    };
    if expected.is_empty() || !crate::auth::same_token(&expected, &f.csrf) {
        return (StatusCode::FORBIDDEN, Html(login_html(Some("the form expired: sign in again"), &expected))).into_response();
    }
    match api::sign_in(&state, addr, Credentials { username: f.username, password: f.password }).await {
        Ok((_, token, _)) => {
            let cookie = crate::session_cookie(&token, crate::is_tls(&state, &headers), crate::auth::SESSION_HOURS * 3600);
            ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
        }
        Err(e) => (e.status, Html(login_html(Some(&e.public_message()), &expected))).into_response(),
    }
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(State(state): State<Shared>, PageCtx(ctx): PageCtx, headers: HeaderMap, Form(f): Form<CsrfForm>) -> Response {
    if let Err(e) = ctx.check_csrf(Some(&f.csrf)) {
        return error_page(Some(&ctx), e);
    }
    let token = ctx.token.clone();
    state.sessions.lock().unwrap_or_else(|e| e.into_inner()).remove(&token);
    let _ = state.db(move |c| Ok(crate::auth::end_session(c, &token)?)).await;
    let cookie = crate::session_cookie("", crate::is_tls(&state, &headers), 0);
    ([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response()
}

fn card(label: &str, value: impl Render) -> Markup {
    html! { div.card { (label) b { (value) } } }
}

/// Recorded reports per quarter (bars) and charges (line), as SVG.
fn trend_svg(quarters: &[Quarter]) -> Markup {
    if quarters.is_empty() {
        return html! { p.muted { "No reports." } };
    }
    let (w, h, left, bottom) = (900.0, 260.0, 50.0, 40.0);
    let max = quarters.iter().map(|q| q.recorded as f64).fold(1.0, f64::max);
    let step = (w - left - 10.0) / quarters.len() as f64;
    let y = |v: f64| h - bottom - v / max * (h - bottom - 20.0);
    let line = quarters
        .iter()
        .enumerate()
        .map(|(i, q)| format!("{:.1},{:.1}", left + i as f64 * step + step / 2.0, y(q.charged as f64)))
        .collect::<Vec<_>>()
        .join(" ");
    let labelled = |i: usize| quarters.len() <= 16 || i % (quarters.len() / 8).max(1) == 0;
    html! {
        svg role="img" aria-label="Reports recorded and charged per quarter" viewBox={ "0 0 " (w) " " (h) } width="100%"
            style={ "max-width:" (w) "px;background:#fff" } {
            text x=(left) y="14" font-size="12" { "recorded per quarter (bars), charged or summonsed (line); max " (max) }
            @for (i, q) in quarters.iter().enumerate() {
                @let (r, c, x) = (q.recorded as f64, q.charged as f64, left + i as f64 * step);
                rect x=(f1(x + 1.0)) y=(f1(y(r))) width=(f1((step - 2.0).max(1.0))) height=(f1(h - bottom - y(r))) fill="#8ab6d6" {
                    title { (q.quarter) ": " (r) " recorded, " (c) " charged" }
                }
                @if labelled(i) {
                    text x=(f1(x)) y=(h - bottom + 12.0) font-size="10" transform={ "rotate(30 " (f1(x)) " " (h - bottom + 12.0) ")" } {
                        (q.quarter)
                    }
                }
            }
            polyline points=(line) fill="none" stroke="#b00020" stroke-width="2" {}
            line x1=(left) y1=(h - bottom) x2=(w) y2=(h - bottom) stroke="#444" {}
        }
    }
}

fn bars_svg(groups: &[OutcomeGroup]) -> Markup {
    if groups.is_empty() {
        return html! { p.muted { "No outcomes assigned." } };
    }
    let max = groups.iter().map(|g| g.count as f64).fold(1.0, f64::max);
    let h = 24.0 * groups.len() as f64 + 10.0;
    html! {
        svg role="img" aria-label="Outcomes by group" viewBox={ "0 0 900 " (h) } width="100%" style="max-width:900px;background:#fff" {
            @for (i, g) in groups.iter().enumerate() {
                @let (n, y) = (g.count as f64, 5.0 + i as f64 * 24.0);
                text x="5" y=(f1(y + 13.0)) font-size="12" { (g.group) }
                rect x="420" y=(f1(y)) width=(f1(n / max * 420.0)) height="18" fill="#457b9d" {}
                text x=(f1(425.0 + n / max * 420.0)) y=(f1(y + 13.0)) font-size="12" { (n) }
            }
        }
    }
}

/// A force's overview: its figures, its triage counts, its trend and its outcomes.
fn force_html(v: &ForceOverview) -> Markup {
    let f = &v.summary;
    let name = &f.force;
    html! {
        h1 { (name) ": overview" }
        div.cards {
            (card("S&H reports", f.incidents))
            (card("Courses of conduct", num(f.courses)))
            (card("Hidden repeats", num(f.hidden_repeats)))
            (card("Linked at the time", num(f.linked_repeats)))
            (card("Possible breaches", num(f.possible_breaches)))
            (card("Charged / outcomes", format!("{} / {}", f.charged, f.outcomes_assigned)))
        }
        h2 { "Triage" }
        div.cards {
            @for p in PRIORITIES {
                div.card {
                    a class={ "p-" (p) } href={ "/triage?force=" (url_part(name)) "&priority=" (p) } { (p) }
                    b { (num(f.triage.of(p))) }
                }
            }
        }
        @if let Some(h) = f.hidden_share {
            p.note {
                (format!("{:.0}", h * 100.0))
                "% of this force's repeat reports were never linked to the earlier reports of their course when recorded."
            }
        }
        @if let Some(n) = v.recorded_under_another_crime.filter(|&n| n > 0) {
            p.note #under-another-crime {
                (n) " reports were recorded under another crime (criminal damage, assault, …) with stalking or harassment only as "
                "an additional classification. They are in this force's courses and reports, and counted apart: the Home Office "
                "figures count the principal offence only."
            }
        }
        @if let Some(w) = v.withdrawal.as_ref().filter(|w| w.courses > 0 || w.offences > 0) {
            p.note #withdrawal {
                "Victims withdrew support (outcomes 14 and 16) in " (share(w.courses_victim_withdrew, w.courses)) " of courses of conduct ("
                (w.courses_victim_withdrew) " of " (w.courses) "; in " (w.courses_withdrew_reports_since)
                " of them reports kept arriving), against " (share(w.offences_victim_withdrew, w.offences)) " of offences ("
                (w.offences_victim_withdrew) " of " (w.offences) ")."
            }
        }
        @if let Some(x) = &v.cross_force {
            p.note #cross-force {
                "From the cross-force hub, received " (x.received_at) ": " (x.report_rows) " records in reports of "
                @if x.forces.is_empty() { "no other force" } @else { (x.forces.join(", ")) }
                " linked to this force's people; " (x.reports_taken_in) " of those forces' reports joined this force's courses "
                "(their force, date and offence only)."
                @if x.rows_left_out > 0 {
                    " " (x.rows_left_out) " were left out"
                    @if let Some(why) = &x.why_left_out { ": " (why) } "."
                }
                @if !x.parties_left_out.is_empty() {
                    " Reports of " (x.parties_left_out.join(", ")) " (not police forces) were left out."
                }
            }
        }
        @let t = &v.review_times;
        h2 { "Time to first review of urgent courses" }
        p.note #review-times {
            @if t.urgent == 0 {
                "No course of this force has turned urgent since the dashboard began keeping count."
            } @else {
                (t.urgent) " courses turned urgent; " (t.reviewed) " reviewed since (" (t.within_7_days) " within 7 days"
                @if let Some(m) = t.median_hours { "; median " (format!("{m:.1}")) " hours" } "); " (t.waiting) " waiting"
                @if let Some(h) = t.longest_wait_hours { ", the longest for " (format!("{h:.1}")) " hours" } ". "
            }
            a href={ "/api/review-times.csv?force=" (url_part(name)) } { "Per course, as CSV" }
        }
        h2 { "Trend" }
        (trend_svg(v.quarters.as_deref().unwrap_or_default()))
        h2 { "Outcomes" }
        (bars_svg(v.outcome_groups.as_deref().unwrap_or_default()))
    }
}

async fn force_page(State(state): State<Shared>, PageCtx(ctx): PageCtx, UrlPath(force): UrlPath<String>) -> Response {
    let v = match state.db(move |c| views::overview(c, &force)).await {
        Ok(v) => v,
        Err(e) => return error_page(Some(&ctx), e),
    };
    page(&format!("{} overview", v.summary.force), &ctx, force_html(&v))
}

/// Links to the previous and next pages of a list of `total` rows, `per` a page, at `page`;
/// `base` is the list's path and query, ending in `?` or `&`.
fn pager(base: &str, page: u64, per: u64, total: i64, next_page: Option<u64>) -> Markup {
    let total = u64::try_from(total).unwrap_or(0);
    html! {
        div.pager {
            span { (total) " in all; page " (page) " of " (total.div_ceil(per).max(1)) }
            @if page > 1 { a href={ (base) "page=" (page - 1) } { "previous" } }
            @if next_page.is_some() { a href={ (base) "page=" (page + 1) } rel="next" { "next" } }
        }
    }
}

/// The review list with its filters; `all_forces` when the reader may choose any force.
fn triage_html(v: &TriagePage, q: &TriageQuery, all_forces: bool) -> Markup {
    let force_name = v.force.unwrap_or("");
    let mut base = String::from("/triage?");
    for (k, val) in [
        ("force", &q.force),
        ("priority", &q.priority),
        ("sort", &q.sort),
        ("stalking", &q.stalking),
        ("cross_force", &q.cross_force),
        ("breach", &q.breach),
        ("hidden", &q.hidden),
        ("secondary", &q.secondary),
        ("state", &q.state),
        ("assigned", &q.assigned),
        ("new_since_visit", &q.new_since_visit),
    ] {
        if let Some(x) = val.as_deref().filter(|x| !x.is_empty()) {
            base.push_str(&format!("{k}={}&", url_part(x)));
        }
    }
    let state = q.state.as_deref().filter(|s| !s.is_empty()).unwrap_or("open");
    let assigned = q.assigned.as_deref().unwrap_or("");
    html! {
        h1 { "Triage" @if force_name.is_empty() { ": all forces" } @else { ": " (force_name) } }
        @if !all_forces {
            nav.queues aria-label="work queues" {
                a href="/triage?assigned=me&state=all" { "My courses" } " · "
                a href="/triage?priority=urgent&assigned=none" { "Unassigned urgent" } " · "
                a href="/triage?new_since_visit=1&state=all" { "New since my last visit" } " · "
                a href="/triage?state=reviewed" { "Reviewed, nothing new" } " · "
                a href="/triage?state=all" { "Everything" }
            }
        }
        form.filters method="get" action="/triage" {
            @if all_forces {
                label { "Force "
                    select name="force" {
                        option value="" { "all forces" }
                        @for f in Force::all() { option selected[f.name() == force_name] { (f.name()) } }
                    }
                }
            }
            label { "Priority "
                select name="priority" {
                    option value="" { "any" }
                    @for p in PRIORITIES { option selected[q.priority.as_deref() == Some(p)] { (p) } }
                }
            }
            label { "Reviews "
                select name="state" {
                    @for (k, label) in [("open", "open (not reviewed, or new since)"), ("reviewed", "reviewed, nothing new"), ("all", "all")] {
                        option value=(k) selected[state == k] { (label) }
                    }
                }
            }
            @if !all_forces {
                label { "Assigned "
                    select name="assigned" {
                        @for (k, label) in [("", "anyone or nobody"), ("me", "to me"), ("none", "to nobody")] {
                            option value=(k) selected[assigned == k] { (label) }
                        }
                    }
                }
                label { span { input type="checkbox" name="new_since_visit" value="1" checked[q.new_since_visit.is_some()]; " new since my last visit" } }
            }
            label { "Sort "
                select name="sort" {
                    @for (k, label) in [("rank", "review order"), ("recent", "latest report"), ("reports", "most reports")] {
                        option value=(k) selected[q.sort.as_deref().unwrap_or("rank") == k] { (label) }
                    }
                }
            }
            @for (k, label, on) in [
                ("stalking", "review as stalking", &q.stalking),
                ("cross_force", "crosses forces", &q.cross_force),
                ("breach", "possible breach", &q.breach),
                ("hidden", "hidden repeats", &q.hidden),
                ("secondary", "recorded under another crime", &q.secondary),
            ] {
                label { span { input type="checkbox" name=(k) value="1" checked[on.is_some()]; " " (label) } }
            }
            button type="submit" { "Filter" }
        }
        table #triage {
            thead {
                tr {
                    th { "Course" } th { "Priority" } th { "Why" } th.n { "Reports" } th.n { "Hidden" } th { "First – latest" }
                    th { "Forces" } @if !all_forces { th { "Work" } }
                }
            }
            tbody {
                @for r in &v.items {
                    tr {
                        td { a href={ "/courses/" (url_part(&r.course_id)) } { (r.course_id) } }
                        td class={ "p-" (r.priority) } { (r.priority) }
                        td { ul.reasons { @for x in r.reason_list() { li { (x) } } } }
                        td.n { (num(r.reports)) }
                        td.n { (num(r.hidden_repeats)) }
                        td { (r.first_date) " – " (r.last_date) }
                        td { (r.forces.join(", ")) }
                        @if !all_forces {
                            td.work {
                                @if let Some(a) = &r.assigned_to { div { "assigned to " (a) } }
                                @if let Some(m) = &r.review {
                                    div { "reviewed " (m.at.get(..10).unwrap_or(&m.at)) " by " (m.reviewer) ": " (decision_label(&m.decision)) }
                                    @if let Some(w) = &m.since_words { div.new { strong { (w) } } }
                                }
                            }
                        }
                    }
                }
            }
        }
        (pager(&base, v.page, v.per_page, v.total, v.next_page))
    }
}

async fn triage_page(State(state): State<Shared>, PageCtx(ctx): PageCtx, Query(q): Query<TriageQuery>) -> Response {
    let user = ctx.user.clone();
    let q2 = q.clone();
    let totals = state.totals.clone();
    let v = match state.view(move |c| views::triage(c, &user, &q2, &totals)).await {
        Ok(v) => match v.typed() {
            Ok(v) => v,
            Err(e) => return error_page(Some(&ctx), ApiError::internal(format!("the triage page could not be read back: {e}"))),
        },
        Err(e) => return error_page(Some(&ctx), e),
    };
    page("Triage", &ctx, triage_html(&v, &q, ctx.user.sees_all_forces()))
}

/// A stored decision in words (the stored word itself when unknown).
fn decision_label(d: &str) -> &str {
    match Decision::parse(d) {
        Some(x) => x.label(),
        None => d,
    }
}

fn days(d: &str) -> Option<i32> {
    Date::parse(d).ok().map(|d| d.days_since_epoch())
}

/// The course's reports on a time axis, one lane per force, with order periods shaded; the
/// reports of forces the reader may not see drawn as grey squares in their own lanes (force,
/// day and offence class only), and risk screenings as triangles above the report lanes.
fn timeline_svg(v: &CoursePage) -> Markup {
    let (reports, orders, others, screenings) = (&v.timeline, &v.orders, &v.other_forces_reports, &v.screenings);
    let mut all: Vec<i32> = reports.iter().filter_map(|r| days(&r.recorded_date)).collect();
    all.extend(others.iter().filter_map(|r| days(&r.recorded_date)));
    all.extend(screenings.iter().filter_map(|s| days(&s.assessed_date)));
    for o in orders {
        all.extend(days(text(&o.granted_date)));
    }
    let (Some(&lo), Some(&hi)) = (all.iter().min(), all.iter().max()) else {
        return html! { p.muted { "No reports you may see." } };
    };
    let (lo, hi) = (lo - 14, (hi + 14).max(lo + 60));
    // Lanes: the reader's forces first, then the others' (labelled as not visible).
    let mut lanes: Vec<(&str, bool)> = Vec::new();
    for r in reports {
        if !lanes.iter().any(|l| l.0 == r.force) {
            lanes.push((&r.force, true));
        }
    }
    for r in others {
        if !lanes.iter().any(|l| l.0 == r.force) {
            lanes.push((&r.force, false));
        }
    }
    let (w, left, lane_h) = (900.0, 170.0, 46.0);
    let top = if screenings.is_empty() { 20.0 } else { 44.0 };
    let h = top + 20.0 + lane_h * lanes.len().max(1) as f64;
    let x = |d: i32| left + (d - lo) as f64 / (hi - lo) as f64 * (w - left - 20.0);
    let lane_y = |i: usize| top + lane_h * (i as f64 + 0.5);
    let lane_of = |force: &str| lanes.iter().position(|l| l.0 == force).unwrap_or(0);
    let shaded: Vec<_> = orders
        .iter()
        .filter_map(|o| {
            let g = days(text(&o.granted_date))?;
            let e = days(text(&o.expires_date)).unwrap_or(hi).min(hi);
            Some((o, x(g), (x(e) - x(g)).max(2.0)))
        })
        .collect();
    let dots: Vec<_> = reports
        .iter()
        .filter_map(|r| {
            let d = days(&r.recorded_date)?;
            let fill = if r.possible_breach {
                "#b00020"
            } else if r.hidden_repeat {
                "#fff"
            } else {
                "#1d3557"
            };
            let flags = [(r.hidden_repeat, "hidden repeat"), (r.possible_breach, "possible breach")]
                .into_iter()
                .filter_map(|(on, flag)| on.then_some(flag))
                .collect::<Vec<_>>()
                .join(", ");
            Some((r, x(d), lane_y(lane_of(&r.force)), fill, flags))
        })
        .collect();
    let squares: Vec<_> = others.iter().filter_map(|r| Some((r, x(days(&r.recorded_date)?), lane_y(lane_of(&r.force))))).collect();
    let triangles: Vec<_> = screenings
        .iter()
        .filter_map(|s| {
            let cx = x(days(&s.assessed_date)?);
            let fill = match s.grade.as_deref() {
                Some("high") => "#b00020",
                Some("medium") => "#e07a00",
                _ => "#6c757d",
            };
            Some((s, format!("{},{} {},{} {},{}", f1(cx - 7.0), f1(32.0), f1(cx + 7.0), f1(32.0), f1(cx), f1(20.0)), fill))
        })
        .collect();
    let (lo_d, hi_d) = (Date::from_days_since_epoch(lo), Date::from_days_since_epoch(hi));
    html! {
        svg #timeline role="img" aria-label="Time line of the course" viewBox={ "0 0 " (w) " " (h) } width="100%"
            style={ "max-width:" (w) "px;background:#fff" } {
            @for (o, gx, width) in &shaded {
                rect.order x=(f1(*gx)) y=(f1(top)) width=(f1(*width)) height=(f1(h - top - 20.0)) fill="#f4c7c3" opacity="0.6" {
                    title { (o.order_type) " " (o.order_ref) " in force " (text(&o.granted_date)) " – " (text(&o.expires_date)) }
                }
            }
            @if !triangles.is_empty() {
                text x="5" y="30" font-size="12" { "Screenings" }
            }
            @for (sc, points, fill) in &triangles {
                polygon.screening points=(points) fill=(fill) stroke="#333" stroke-width="1" {
                    title { (sc.in_words) " (" (sc.force) " " (sc.incident_ref) ")" }
                }
            }
            @for (i, (lane, visible)) in lanes.iter().enumerate() {
                text x="5" y=(f1(lane_y(i) + 4.0)) font-size="12" fill=(if *visible { "#000" } else { "#6c757d" }) {
                    (lane) @if !visible { " (not yours)" }
                }
                line x1=(left) y1=(f1(lane_y(i))) x2=(w - 20.0) y2=(f1(lane_y(i))) stroke="#bbb" {}
            }
            @for (r, cx, cy) in &squares {
                rect.other x=(f1(cx - 6.0)) y=(f1(cy - 6.0)) width="12" height="12" fill="#adb5bd" stroke="#6c757d" stroke-width="2" {
                    title { (r.recorded_date) " " (r.force) ": " (r.offence_class) }
                }
            }
            @for (r, cx, cy, fill, flags) in &dots {
                circle.report cx=(f1(*cx)) cy=(f1(*cy)) r="7" fill=(fill) stroke="#1d3557" stroke-width="2" {
                    title {
                        (r.recorded_date) " " (r.incident_ref) " " (r.offence_code)
                        @if !flags.is_empty() { " (" (flags) ")" }
                    }
                }
            }
            text x=(left) y=(f1(h - 5.0)) font-size="11" { (Date::iso_str(&lo_d.iso())) }
            text x=(f1(w - 20.0)) y=(f1(h - 5.0)) font-size="11" text-anchor="end" { (Date::iso_str(&hi_d.iso())) }
        }
        p.muted {
            "Filled: report; hollow: a repeat never linked at the time; red: may breach an order; shaded: an order in force"
            @if !squares.is_empty() { "; grey square: another force's report (its day and offence class only)" }
            @if !triangles.is_empty() { "; triangle: a risk screening (red: high, orange: medium)" }
            "."
        }
    }
}

fn held_elsewhere(list: &[Reference], what: &str) -> Markup {
    html! {
        @if !list.is_empty() {
            h2 { "Held by other forces" }
            p.note {
                "Other forces hold matching " (what) ". You see them only as references until access is granted and recorded."
            }
            table {
                tr { th { "Force" } th { "Reference" } th.n { "Count" } }
                @for e in list {
                    tr { td { (e.force) } td { code { (e.reference) } } td.n { (e.count().map_or(String::new(), |n| n.to_string())) } }
                }
            }
        }
    }
}

/// `n` of `of` as a whole percentage (a dash when `of` is 0).
fn share(n: u64, of: u64) -> String {
    if of == 0 { "–".into() } else { format!("{:.0}%", n as f64 * 100.0 / of as f64) }
}

fn person_link(id: &Option<String>) -> Markup {
    html! {
        @match id.as_deref() {
            None | Some("") => span.muted { "unknown" },
            Some(id) => a href={ "/persons/" (url_part(id)) } { (id) },
        }
    }
}

/// A course: its people, why it is on the list, its time line, reports, orders and references.
fn course_html(v: &CoursePage, csrf: &str) -> Markup {
    let p = &v.priority;
    html! {
        h1 { "Course " (v.course_id) " " span class={ "p-" (p) } { (p) } }
        p {
            "Victim " (person_link(&v.victim)) " · suspect " (person_link(&v.suspect)) " · " (num(v.reports)) " reports ("
            (num(v.hidden_repeats)) " hidden repeats) · " (v.first_date) " – " (v.last_date) " · " (v.forces.join(", "))
        }
        (redirected(&v.redirected_from, "course"))
        (workflow_html(v, csrf))
        @if !v.reasons.is_empty() {
            h2 { "Why it is on the list" }
            ul.reasons { @for x in &v.reasons { li { (x) } } }
        }
        h2 { "Time line" }
        (timeline_svg(v))
        h2 { "Reports" }
        table {
            tr { th { "Recorded" } th { "Force" } th { "Reference" } th { "Offence" } th { "Flags" } th { "Outcome" } th { "Narrative" } }
            @for r in &v.timeline {
                @let flags = [
                    (r.hidden_repeat, "hidden repeat"),
                    (r.possible_breach, "possible breach"),
                    (r.domestic_abuse == Some(true), "domestic abuse"),
                    (r.cyber == Some(true), "online"),
                ]
                .into_iter()
                .filter_map(|(on, flag)| on.then_some(flag))
                .collect::<Vec<_>>()
                .join(", ");
                tr {
                    td { (r.recorded_date) } td { (r.force) } td { (r.incident_ref) }
                    td {
                        (r.offence_code) " " (text(&r.offence_description))
                        @if !r.secondary_offence_codes.is_empty() {
                            br; span.muted { "also recorded as " (r.secondary_offence_codes.join(", ")) }
                        }
                    }
                    td { (flags) } td { (num(r.outcome_type)) } td { (text(&r.narrative)) }
                }
            }
        }
        @if !v.screenings.is_empty() {
            h2 { "Risk screenings" }
            table #screenings {
                tr { th { "Date" } th { "Force" } th { "Report" } th { "Tool" } th { "Grade" } th { "Answered yes" } th { "Assessor's notes" } }
                @for sc in &v.screenings {
                    tr {
                        td { (sc.assessed_date) } td { (sc.force) } td { (sc.incident_ref) } td { (sc.tool) } td { (text(&sc.grade)) }
                        td { (sc.yes_answers.join("; ")) } td { (text(&sc.assessor_notes)) }
                    }
                }
            }
        }
        @if !v.other_forces_reports.is_empty() {
            h2 { "Other forces' reports" }
            p.note { "Reports of this course held by forces whose records you may not see: their day and offence class only." }
            table #other-reports {
                tr { th { "Recorded" } th { "Force" } th { "Offence" } }
                @for r in &v.other_forces_reports {
                    tr { td { (r.recorded_date) } td { (r.force) } td { (r.offence_class) } }
                }
            }
        }
        h2 { "People named" }
        table {
            tr { th { "Role" } th { "Person" } th { "Name" } th { "Date of birth" } th { "Reference" } }
            @for p in &v.people {
                tr {
                    td { (text(&p.role)) } td { (person_link(&p.person_id)) } td { (text(&p.forename)) " " (text(&p.surname)) }
                    td { (text(&p.date_of_birth)) } td { (text(&p.incident_ref)) }
                }
            }
        }
        @if !v.orders.is_empty() {
            h2 { "Orders" }
            table {
                tr { th { "Order" } th { "Type" } th { "Granted" } th { "Expires" } th { "Status" } }
                @for o in &v.orders {
                    tr {
                        td { (o.order_ref) } td { (o.order_type) } td { (text(&o.granted_date)) } td { (text(&o.expires_date)) }
                        td { (text(&o.status)) }
                    }
                }
            }
        }
        (held_elsewhere(&v.held_elsewhere, "reports"))
    }
}

async fn course_page(State(state): State<Shared>, PageCtx(ctx): PageCtx, UrlPath(id): UrlPath<String>) -> Response {
    let (user, key, id2) = (ctx.user.clone(), state.key.clone(), id.clone());
    let v = match state.view(move |c| views::course(c, &user, &key, &id2)).await {
        Ok(v) => v,
        Err(e) => return error_page(Some(&ctx), e),
    };
    page(&format!("Course {}", v.course_id), &ctx, course_html(&v, &ctx.csrf))
}

/// A course's work in the reader's force: who has it, what is new since the force's last
/// review, the forms to take it and record a review, and every force's reviews.
fn workflow_html(v: &CoursePage, csrf: &str) -> Markup {
    let w = &v.workflow;
    let action = |what: &str| format!("/courses/{}/{what}", url_part(&v.course_id));
    html! {
        section #workflow {
            h2 { "Review" }
            @if let Some(words) = &w.since_review_words { p.new-since { strong { (words) } } }
            @if let Some(f) = &w.force {
                p { (f) ": " @match &w.assigned_to { Some(a) => { "assigned to " strong { (a) } }, None => "assigned to nobody" } }
            }
            @if w.may_act {
                form.inline #assign method="post" action=(action("assign")) {
                    input type="hidden" name="csrf" value=(csrf);
                    label { "Assign to "
                        select name="assignee" {
                            option value="" { "nobody" }
                            @for u in &w.colleagues { option value=(u) selected[w.assigned_to.as_deref() == Some(u.as_str())] { (u) } }
                        }
                    }
                    " " button type="submit" { "Assign" }
                }
                form #review method="post" action=(action("review")) {
                    input type="hidden" name="csrf" value=(csrf);
                    label { "Decision "
                        select name="decision" {
                            @for d in Decision::ALL { option value=(d.as_str()) { (d.label()) } }
                        }
                    }
                    label { " Note " textarea name="note" rows="2" cols="60" maxlength=(crate::workflow::MAX_NOTE_CHARS) {} }
                    " " button type="submit" { "Record review" }
                }
            }
            @if w.reviews.is_empty() {
                p.muted { "Not reviewed yet." }
            } @else {
                table #reviews {
                    tr { th { "When" } th { "Force" } th { "Reviewer" } th { "Decision" } th { "Note" } }
                    @for r in &w.reviews {
                        tr {
                            td { (r.at) } td { (r.force) } td { (r.reviewer) } td { (r.decision_label) }
                            td {
                                @match &r.note { Some(n) => (n), None => span.muted { "(another force's note)" } }
                                @if let Some(old) = &r.recorded_as { br; span.muted { "recorded on " (old) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Search: a form, and what it found.
fn search_html(q: &crate::search::SearchQuery, v: &crate::search::SearchPage) -> Markup {
    html! {
        h1 { "Search" }
        form.filters #search method="get" action="/search" {
            label { "Name, reference, id or date of birth "
                input type="search" name="q" value=(q.q.as_deref().unwrap_or("")) size="40" maxlength="200" autofocus;
            }
            button type="submit" { "Search" }
        }
        p.muted { "Searches the records of: " (if v.forces.is_empty() { "no force (ask an administrator for access)".to_string() } else { v.forces.join(", ") }) }
        @if v.kind.is_some() {
            @if !v.courses.is_empty() {
                h2 { "Courses" }
                ul #found-courses { @for id in &v.courses { li { a href={ "/courses/" (url_part(id)) } { (id) } } } }
            }
            h2 { "Persons" }
            @if v.persons.is_empty() {
                p { "Nobody found." }
            } @else {
                table #found {
                    tr { th { "Person" } th { "Name" } th { "Date of birth" } th { "Force" } th { "Report" } th { "Role" } th { "Why" } th { "Courses" } }
                    @for p in &v.persons {
                        tr {
                            td { a href={ "/persons/" (url_part(&p.person_id)) } { (p.person_id) } }
                            td { (p.name) } td { (text(&p.date_of_birth)) } td { (p.force) } td { (p.incident_ref) } td { (p.role) }
                            td { (p.why) }
                            td { @for (k, id) in p.courses.iter().enumerate() { @if k > 0 { ", " } a href={ "/courses/" (url_part(id)) } { (id) } } }
                        }
                    }
                }
                @if v.truncated { p.note { "More matched than the " (crate::search::MAX_PERSONS) " shown: add to the search." } }
            }
        }
    }
}

async fn search_page(State(state): State<Shared>, PageCtx(ctx): PageCtx, Query(q): Query<crate::search::SearchQuery>) -> Response {
    let (user, q2, vocabulary) = (ctx.user.clone(), q.clone(), state.vocabulary.clone());
    match state.view(move |c| crate::search::search(c, &user, &q2, &vocabulary)).await {
        Ok(v) => page("Search", &ctx, search_html(&q, &v)),
        Err(e) => error_page(Some(&ctx), e),
    }
}

#[derive(serde::Deserialize)]
struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    assignee: String,
}

async fn assign_post(
    State(state): State<Shared>,
    PageCtx(ctx): PageCtx,
    UrlPath(id): UrlPath<String>,
    Form(f): Form<AssignForm>,
) -> Response {
    if let Err(e) = ctx.check_csrf(Some(&f.csrf)) {
        return error_page(Some(&ctx), e);
    }
    match api::assign_course(&state, &ctx, id, f.assignee).await {
        Ok(a) => Redirect::to(&format!("/courses/{}", url_part(&a.course_id))).into_response(),
        Err(e) => error_page(Some(&ctx), e),
    }
}

#[derive(serde::Deserialize)]
struct ReviewForm {
    #[serde(default)]
    csrf: String,
    decision: String,
    #[serde(default)]
    note: String,
}

async fn review_post(
    State(state): State<Shared>,
    PageCtx(ctx): PageCtx,
    UrlPath(id): UrlPath<String>,
    Form(f): Form<ReviewForm>,
) -> Response {
    if let Err(e) = ctx.check_csrf(Some(&f.csrf)) {
        return error_page(Some(&ctx), e);
    }
    let Some(decision) = Decision::parse(&f.decision) else {
        return error_page(Some(&ctx), ApiError::bad_request(format!("no such decision {:?}", f.decision)));
    };
    let back = format!("/courses/{}", url_part(&id));
    match api::review_course(&state, &ctx, id, api::ReviewRequest { decision, note: f.note }).await {
        Ok(_) => Redirect::to(&back).into_response(),
        Err(e) => error_page(Some(&ctx), e),
    }
}

/// A weight as shown: one JSON cannot carry (infinite or not a number) is shown as 0.
fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

fn waterfall_html(w: &Explanation) -> Markup {
    html! {
        details {
            summary {
                (w.b) " against " (w.a) ": match weight " (format!("{:.2}", finite(w.match_weight)))
                " (threshold " (format!("{:.2}", finite(w.threshold))) "), probability " (format!("{:.4}", finite(w.probability)))
                @if let Some(r) = &w.refused_by { "; clustering refuses: " (r) }
            }
            table {
                tr { th { "Comparison" } th { "Level" } th { "Values" } th.n { "Weight" } th.n { "Running total" } }
                tr { td { "prior" } td {} td {} td.n { (format!("{:.2}", finite(w.prior))) } td.n { (format!("{:.2}", finite(w.prior))) } }
                @for st in &w.steps {
                    tr {
                        td { (st.comparison) } td { (st.level) } td { (st.values.0) " | " (st.values.1) }
                        td.n { (format!("{:+.2}", finite(st.weight) + finite(st.tf_adjustment))) }
                        td.n { (format!("{:.2}", finite(st.cumulative))) }
                    }
                }
            }
        }
    }
}

/// A person: the records merged into them, why, their courses and references.
fn person_html(v: &PersonPage) -> Markup {
    html! {
        h1 { "Person " (text(&v.person_id)) }
        (redirected(&v.redirected_from, "person"))
        p { (v.records.len()) " records merged into this person that you may see." }
        table #records {
            tr {
                th { "Record" } th { "Force" } th { "Role" } th { "Name" } th { "Date of birth" } th { "Sex" } th { "Postcode" }
                th { "Phone" } th { "PNC" } th { "Incident" }
            }
            @for r in &v.records {
                @let name = [&r.forename, &r.middle_names, &r.surname]
                    .into_iter()
                    .map(text)
                    .filter(|x| !x.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                tr {
                    td { (text(&r.record_id)) } td { (text(&r.force)) } td { (text(&r.role)) } td { (name) }
                    td { (text(&r.date_of_birth)) } td { (text(&r.sex)) } td { (text(&r.postcode)) } td { (text(&r.phone)) }
                    td { (text(&r.pnc_id)) } td { (text(&r.incident_ref)) }
                }
            }
        }
        @if !v.explanations.is_empty() {
            h2 { "Why these records are one person" }
            p.muted {
                "Each record compared with " (text(&v.explained_against))
                ": each comparison's level and its weight (bits), under the published model."
            }
            @for w in &v.explanations { (waterfall_html(w)) }
        }
        @if !v.courses.is_empty() {
            h2 { "Courses of conduct" }
            table {
                tr { th { "Course" } th { "As" } th { "Priority" } th.n { "Reports" } th { "First – latest" } }
                @for c in &v.courses {
                    tr {
                        td { a href={ "/courses/" (url_part(&c.course_id)) } { (c.course_id) } }
                        td { (c.part.as_str()) }
                        td class={ "p-" (c.priority) } { (c.priority) }
                        td.n { (num(c.reports)) }
                        td { (c.first_date) " – " (c.last_date) }
                    }
                }
            }
        }
        (held_elsewhere(&v.held_elsewhere, "records"))
        @if !v.history.is_empty() {
            h2 { "History of this id" }
            table #history {
                tr { th.n { "Publication" } th { "Published" } th { "What happened" } th.n { "Records" } th { "Why" } }
                @for e in &v.history {
                    tr {
                        td.n { (e.publication) }
                        td { (e.at) }
                        td { (id_change(e, v.person_id.as_deref().unwrap_or(""))) }
                        td.n { (e.records) }
                        td.why { (e.reason) }
                    }
                }
            }
        }
    }
}

/// One entry of a person's id history, in words, with a link to the other person.
fn id_change(e: &views::IdChange, this: &str) -> Markup {
    let link = |id: &str| html! { a href={ "/persons/" (url_part(id)) } { (id) } };
    html! {
        @match (e.kind.as_str(), e.id == this) {
            ("merge", true) => { "merged with " (e.other_id) ", whose id now leads here" }
            ("merge", false) => { "merged into " (link(&e.id)) }
            ("split", true) => { "split off from " (link(&e.other_id)) }
            ("split", false) => { "records split off to " (link(&e.id)) }
            ("move", true) => { "records moved here from " (link(&e.other_id)) }
            ("move", false) => { "records moved to " (link(&e.id)) }
            ("withdraw", _) => { "records withdrawn by their force" }
            _ => { (e.kind) " " (e.other_id) " → " (e.id) }
        }
    }
}

async fn person_page(State(state): State<Shared>, PageCtx(ctx): PageCtx, UrlPath(id): UrlPath<String>) -> Response {
    let (user, key, id2) = (ctx.user.clone(), state.key.clone(), id.clone());
    let v = match state.view(move |c| views::person(c, &user, &key, &id2)).await {
        Ok(v) => v,
        Err(e) => return error_page(Some(&ctx), e),
    };
    page(&format!("Person {}", text(&v.person_id)), &ctx, person_html(&v))
}

/// A note when the id asked for was retired by a later publication and led here.
fn redirected(from: &Option<String>, what: &str) -> Markup {
    html! {
        @if let Some(from) = from {
            p.note #redirected {
                (from) " is no longer in use: a later publication placed most of that " (what) "'s records in this one."
            }
        }
    }
}

/// A validation report; with the upload's id, a link to download every rejected row.
fn report_html(r: &Json, upload: Option<i64>) -> Markup {
    let files = r["files"].as_array().map(Vec::as_slice).unwrap_or_default();
    let reasons: Vec<(&Json, &Json)> =
        files.iter().flat_map(|f| f["reject_reasons"].as_array().into_iter().flatten().map(move |k| (f, k))).collect();
    let rejects = r["rejects"].as_array().filter(|a| !a.is_empty());
    let rejected = s(&r["rejected"]);
    let stored = r["rejects_stored"].as_u64().unwrap_or(u64::MAX);
    let all_stored = stored >= r["rejected"].as_u64().unwrap_or(0);
    html! {
        @if r.get("accepted").is_some() {
            div.cards #report {
                (card("Rows read", s(&r["read"])))
                (card("Accepted", s(&r["accepted"])))
                (card("Rejected", &rejected))
                (card("Warnings", s(&r["warnings"])))
            }
        }
        @if r["files"].is_array() {
            h2 { "Files" }
            table {
                tr {
                    th { "File" } th { "Table" } th { "Format" } th.n { "Read" } th.n { "Accepted" } th.n { "Rejected" }
                    th.n { "Warnings" }
                }
                @for f in files {
                    tr {
                        td { (s(&f["file"])) } td { (s(&f["table"])) } td { (s(&f["format"])) } td.n { (s(&f["read"])) }
                        td.n { (s(&f["accepted"])) } td.n { (s(&f["rejected"])) } td.n { (s(&f["warnings"])) }
                    }
                }
            }
        }
        @if !reasons.is_empty() {
            h2 { "Rejected rows by reason" }
            table #reject-reasons {
                tr { th { "File" } th { "Column" } th { "Reason" } th.n { "Rows" } }
                @for (f, k) in &reasons {
                    tr { td { (s(&f["file"])) } td { (s(&k["column"])) } td { (s(&k["reason"])) } td.n { (s(&k["count"])) } }
                }
            }
        }
        @if let Some(rej) = rejects {
            h2 { "Rejected rows" }
            p.muted {
                (rej.len()) " listed of " (rejected) " rejected."
                @if let Some(id) = upload {
                    @if all_stored {
                        " " a #rejects-csv href={ "/api/imports/" (id) "/rejects.csv" } download { "Download all " (rejected) " (CSV)" }
                    } @else {
                        " " a #rejects-csv href={ "/api/imports/" (id) "/rejects.csv" } download { "Download the first " (stored) " (CSV)" }
                        "; the rest are counted by reason above."
                    }
                }
            }
            table #rejects {
                tr { th { "File" } th.n { "Line" } th { "Column" } th { "Reason" } }
                @for x in rej {
                    tr { td { (s(&x["file"])) } td.n { (s(&x["line"])) } td { (s(&x["column"])) } td { (s(&x["reason"])) } }
                }
            }
        }
    }
}

/// The import form (not for reviewers) and the recent uploads.
fn import_html(ctx: &Ctx, list: &UploadList) -> Markup {
    html! {
        h1 { "Import an export" }
        @if ctx.user.role == Role::Reviewer {
            p.note { "Reviewers do not import exports." }
        } @else {
            p {
                "Upload the force's incidents and people files (and orders, if any) as CSV, JSON Lines or Parquet, in the data contract's columns. "
                "Every row is checked; rejected rows are listed with their line, column and reason, and nothing is imported unless some rows are usable."
            }
            form method="post" action="/import" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(ctx.csrf);
                label { "Incidents " input type="file" name="incidents" accept=".csv,.jsonl,.parquet" required; }
                label { "People " input type="file" name="people" accept=".csv,.jsonl,.parquet" required; }
                label { "Orders " input type="file" name="orders" accept=".csv,.jsonl,.parquet"; }
                label { "Risk screenings " input type="file" name="risk_assessments" accept=".csv,.jsonl,.parquet"; }
                button type="submit" { "Upload and check" }
            }
        }
        h2 { "Recent uploads" }
        table {
            tr { th { "Upload" } th { "When" } th { "By" } th { "Status" } }
            @for u in &list.items {
                @let id = num(u.id);
                tr { td { a href={ "/imports/" (id) } { (id) } } td { (u.at) } td { (u.username) } td { (u.status) } }
            }
        }
    }
}

async fn import_page(State(state): State<Shared>, PageCtx(ctx): PageCtx) -> Response {
    let user = ctx.user.clone();
    let list = state.db(move |c| views::uploads(c, &user)).await.unwrap_or_default();
    page("Import", &ctx, import_html(&ctx, &list))
}

/// An upload refused before analysis: why, and the validation report if there is one.
fn refused_html(e: &ApiError) -> Markup {
    html! {
        h1 { "The upload was refused" }
        p.err role="alert" { (e.public_message()) }
        @if let Some(d) = &e.detail { (report_html(d, d["upload_id"].as_i64())) }
        p { a href="/import" { "Back to import" } }
    }
}

async fn import_post(State(state): State<Shared>, PageCtx(ctx): PageCtx, headers: HeaderMap, form: Multipart) -> Response {
    match api::receive_upload(&state, &ctx, &headers, form).await {
        Ok(u) => Redirect::to(&format!("/imports/{}", u.id)).into_response(),
        Err(e) => {
            let e = state.refusal(e).await;
            if e.status.is_server_error() {
                return error_page(Some(&ctx), e);
            }
            (e.status, Html(layout("Upload refused", Some(&ctx), refused_html(&e)))).into_response()
        }
    }
}

/// One upload: its status and its validation report.
fn upload_html(id: i64, v: &Upload) -> Markup {
    html! {
        h1 { "Upload " (id) }
        p #status { "Status: " strong { (v.status) } }
        @if v.status == "analysing" {
            p.note {
                "The export was accepted and is being analysed with every other export; this page shows the outcome when you reload it."
            }
        }
        @if let Some(m) = v.report["refused"].as_str() { p.err { (m) } }
        (report_html(&v.report, Some(id)))
    }
}

async fn upload_page(State(state): State<Shared>, PageCtx(ctx): PageCtx, UrlPath(id): UrlPath<i64>) -> Response {
    let user = ctx.user.clone();
    let v = match state.db(move |c| views::upload(c, &user, id)).await {
        Ok(v) => v,
        Err(e) => return error_page(Some(&ctx), e),
    };
    page(&format!("Upload {id}"), &ctx, upload_html(id, &v))
}

/// Every force's figures side by side.
fn national_html(v: &National) -> Markup {
    let pct = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{:.1}%", x * 100.0));
    html! {
        h1 { "National comparison" }
        p.muted {
            "Published " (text(&v.published_at))
            ". Counts are of stalking and harassment reports in the exports imported; forces without an export are absent, not zero."
        }
        table #national {
            tr {
                th { "Force" } th.n { "Reports" } th.n { "Courses" } th.n { "Hidden repeats" } th.n { "Share of repeats hidden" }
                th.n { "Urgent" } th.n { "Possible breaches" } th.n { "Charge rate" }
            }
            @for f in &v.forces {
                tr {
                    td { a href={ "/forces/" (url_part(&f.force)) } { (f.force) } }
                    td.n { (f.incidents) } td.n { (num(f.courses)) } td.n { (num(f.hidden_repeats)) } td.n { (pct(f.hidden_share)) }
                    td.n { (num(f.triage.urgent)) } td.n { (num(f.possible_breaches)) } td.n { (pct(f.charge_rate)) }
                }
            }
        }
        p.muted { "Charge rate: charged or summonsed as a share of the stalking and harassment offences recorded, as the Home Office states it." }
    }
}

async fn national_page(State(state): State<Shared>, PageCtx(ctx): PageCtx) -> Response {
    let v = match state.db(views::national).await {
        Ok(v) => v,
        Err(e) => return error_page(Some(&ctx), e),
    };
    page("National comparison", &ctx, national_html(&v))
}

/// The audit log, a page at a time, with the form granting a reviewer a force.
fn audit_html(ctx: &Ctx, v: &AuditPage) -> Markup {
    html! {
        h1 { "Audit log" }
        p.muted { "Append-only and hash-chained: " code { "conduct audit verify" } " finds any edited or deleted entry." }
        h2 { "Grant a reviewer access to a force" }
        form.filters method="post" action="/grants" {
            input type="hidden" name="csrf" value=(ctx.csrf);
            label { "Reviewer " input name="username" required; }
            label { "Force " input name="force" required; }
            label { "Reason " input name="reason" required size="40"; }
            button { "Grant" }
        }
        table #audit {
            tr {
                th.n { "#" } th { "When" } th { "Who" } th { "Action" } th { "Object" } th { "Force" } th { "Outcome" } th { "Detail" }
            }
            @for e in &v.items {
                tr {
                    td.n { (num(e.seq)) } td { (e.at) } td { (e.actor) } td { (e.action) } td { (e.object) } td { (e.force) }
                    td { (e.outcome) } td { (e.detail) }
                }
            }
        }
        (pager("/audit?", v.page, v.per_page, v.total, v.next_page))
    }
}

async fn audit_page(State(state): State<Shared>, PageCtx(ctx): PageCtx, Query(q): Query<PageQuery>) -> Response {
    let user = ctx.user.clone();
    let v = match state.view(move |c| views::audit_log(c, &user, q.page, q.per_page)).await {
        Ok(v) => v,
        Err(e) => return error_page(Some(&ctx), e),
    };
    page("Audit log", &ctx, audit_html(&ctx, &v))
}

#[derive(serde::Deserialize)]
struct GrantForm {
    #[serde(default)]
    csrf: String,
    username: String,
    force: String,
    reason: String,
}

async fn grant_post(State(state): State<Shared>, PageCtx(ctx): PageCtx, Form(f): Form<GrantForm>) -> Response {
    if let Err(e) = ctx.check_csrf(Some(&f.csrf)) {
        return error_page(Some(&ctx), e);
    }
    match api::give_grant(&state, &ctx, GrantRequest { username: f.username, force: f.force, reason: f.reason }).await {
        Ok(_) => Redirect::to("/audit").into_response(),
        Err(e) => error_page(Some(&ctx), state.refusal(e).await),
    }
}

#[cfg(test)]
mod tests {
    //! The XSS corpus through every page that shows user-controlled data: names, narratives,
    //! references, upload file names, force names, audit entries, messages. Each payload fills
    //! every text field of the views; the pages must show it as text and nothing else.

    use conduct_resolve::explain::Step;
    use serde_json::json;

    use super::*;
    use crate::auth::User;
    use crate::views::{
        AccessOutcome, Breach, CoursePart, ForceSummary, LoggedEntry, Order, OtherReport, PersonCourse, Record, Report, Screening,
        TriageCounts, TriageRow, Withdrawals,
    };

    /// Payloads, each aimed at a different place: text, a double-quoted attribute, a
    /// single-quoted attribute, a link, an SVG `<title>`, the page's `<title>`.
    const CORPUS: &[&str] = &[
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "' onmouseover='alert(1)' x='",
        "x' autofocus onfocus='alert(1)",
        "javascript:alert(1)",
        "</title><script>alert(1)</script>",
        "</textarea><svg onload=alert(1)>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
    ];

    fn ctx(x: &str, role: Role) -> Ctx {
        Ctx {
            user: User { id: 1, username: x.into(), role, force: Some(Force::all().next().expect("a force")), grants: vec![] },
            csrf: x.into(),
            token: "t".into(),
        }
    }

    fn report_json(x: &str) -> Json {
        json!({
            "read": x, "accepted": 1, "rejected": 2, "warnings": x, "rejects_stored": 1, "refused": x, "upload_id": 7,
            "files": [{"file": x, "table": x, "format": x, "read": 1, "accepted": x, "rejected": 1, "warnings": 0,
                       "reject_reasons": [{"column": x, "reason": x, "count": 1}]}],
            "rejects": [{"file": x, "line": 3, "column": x, "reason": x}],
        })
    }

    fn record(x: &str) -> Record {
        let t = Some(x.to_string());
        Record {
            force: t.clone(),
            record_id: t.clone(),
            incident_ref: t.clone(),
            role: t.clone(),
            person_id: t.clone(),
            local_person_id: t.clone(),
            forename: t.clone(),
            middle_names: t.clone(),
            surname: t.clone(),
            date_of_birth: t.clone(),
            sex: t.clone(),
            address: t.clone(),
            postcode: t.clone(),
            phone: t.clone(),
            email: t.clone(),
            online_handles: t.clone(),
            pnc_id: t.clone(),
            ni_number: t,
        }
    }

    fn course(x: &str) -> CoursePage {
        let t = Some(x.to_string());
        let report = |date: &str, breach: bool| Report {
            force: x.into(),
            incident_ref: x.into(),
            hidden_repeat: !breach,
            recorded_date: date.into(),
            occurred_date: t.clone(),
            offence_code: x.into(),
            offence_description: t.clone(),
            domestic_abuse: Some(true),
            cyber: Some(true),
            linked_refs: vec![x.into()],
            outcome_type: Some(1),
            outcome_date: t.clone(),
            narrative: t.clone(),
            secondary_offence_codes: vec![x.into()],
            possible_breach: breach,
        };
        CoursePage {
            course_id: x.into(),
            forces: vec![x.into(), x.into()],
            victim: t.clone(),
            suspect: t.clone(),
            first_date: x.into(),
            last_date: x.into(),
            reports: Some(2),
            hidden_repeats: Some(1),
            cross_force: true,
            priority: x.into(),
            reasons: vec![x.into()],
            review_as_stalking: true,
            possible_breaches: Some(1),
            access: AccessOutcome::PartlyPseudonymous,
            timeline: vec![report("2024-01-02", false), report("2024-03-04", true)],
            people: vec![record(x)],
            orders: vec![Order {
                force: x.into(),
                order_ref: x.into(),
                order_type: x.into(),
                incident_ref: x.into(),
                applied_date: t.clone(),
                granted_date: Some("2024-02-01".into()),
                expires_date: Some("2025-02-01".into()),
                status: t.clone(),
            }],
            breaches: vec![Breach { force: x.into(), incident_ref: x.into(), order_force: x.into(), order_ref: x.into() }],
            held_elsewhere: vec![Reference { force: x.into(), reference: x.into(), reports: Some(3), records: None }],
            other_forces_reports: vec![OtherReport { force: x.into(), recorded_date: "2024-02-02".into(), offence_class: x.into() }],
            screenings: vec![Screening {
                force: x.into(),
                incident_ref: x.into(),
                assessed_date: "2024-01-03".into(),
                tool: x.into(),
                grade: t.clone(),
                yes_answers: vec![x.into()],
                in_words: x.into(),
                assessor_notes: t.clone(),
            }],
            workflow: crate::workflow::CourseWorkflow {
                force: Some(x.into()),
                assigned_to: Some(x.into()),
                may_act: true,
                colleagues: vec![x.into()],
                since_review: Some(crate::workflow::SinceReview { reports: 1, possible_breaches: 1, other_forces_reports: 1 }),
                since_review_words: Some(x.into()),
                reviews: vec![crate::workflow::ReviewEntry {
                    id: 1,
                    force: x.into(),
                    reviewer: x.into(),
                    at: x.into(),
                    decision: Decision::Other,
                    decision_label: Decision::Other.label(),
                    note: Some(x.into()),
                    recorded_as: Some(x.into()),
                }],
            },
            redirected_from: t,
        }
    }

    fn person(x: &str) -> PersonPage {
        let t = Some(x.to_string());
        PersonPage {
            person_id: t.clone(),
            access: AccessOutcome::Allowed,
            records: vec![record(x), record(x)],
            explanations: vec![Explanation {
                a: x.into(),
                b: x.into(),
                prior: -10.0,
                steps: vec![Step {
                    comparison: "forename",
                    level: x.into(),
                    values: (x.into(), x.into()),
                    weight: 3.0,
                    tf_adjustment: 0.5,
                    cumulative: -6.5,
                }],
                match_weight: 4.0,
                probability: 0.9,
                threshold: 3.0,
                refused_by: t.clone(),
            }],
            explained_against: t.clone(),
            courses: vec![PersonCourse {
                course_id: x.into(),
                priority: x.into(),
                forces: vec![x.into()],
                first_date: x.into(),
                last_date: x.into(),
                reports: Some(2),
                part: CoursePart::Suspect,
            }],
            held_elsewhere: vec![Reference { force: x.into(), reference: x.into(), reports: None, records: Some(1) }],
            redirected_from: t,
            history: vec![crate::views::IdChange {
                publication: 2,
                at: x.into(),
                kind: "split".into(),
                id: x.into(),
                other_id: x.into(),
                records: 1,
                reason: x.into(),
            }],
        }
    }

    fn summary(x: &str) -> ForceSummary {
        ForceSummary {
            force: x.into(),
            incidents: 5,
            courses: Some(2),
            hidden_repeats: Some(1),
            linked_repeats: Some(1),
            triage: TriageCounts { urgent: Some(1), high: None, review: Some(1), routine: None },
            possible_breaches: Some(1),
            charged: 1,
            outcomes_assigned: 3,
            charge_rate: Some(0.25),
            hidden_share: Some(0.5),
        }
    }

    fn triage(x: &str) -> (TriagePage, TriageQuery) {
        let row = TriageRow {
            course_id: x.into(),
            priority: x.into(),
            reasons: serde_json::value::to_raw_value(&[x]).expect("JSON"),
            first_date: x.into(),
            last_date: x.into(),
            reports: Some(2),
            reports_in_force: Some(2),
            hidden_repeats: Some(1),
            cross_force: false,
            forces: vec![x.into()],
            review_as_stalking: false,
            possible_breaches: None,
            victim: x.into(),
            suspect: Some(x.into()),
            assigned_to: Some(x.into()),
            review: Some(crate::views::ReviewMark {
                at: x.into(),
                reviewer: x.into(),
                decision: x.into(),
                settled: false,
                since: crate::workflow::SinceReview::default(),
                since_words: Some(x.into()),
            }),
        };
        let page = TriagePage { force: None, page: 2, per_page: 1, total: 3, next_page: Some(3), items: vec![row] };
        let t = Some(x.to_string());
        let q = TriageQuery {
            force: t.clone(),
            priority: t.clone(),
            sort: t.clone(),
            stalking: t.clone(),
            cross_force: t.clone(),
            breach: t.clone(),
            hidden: t.clone(),
            state: t.clone(),
            assigned: t.clone(),
            new_since_visit: t,
            ..TriageQuery::default()
        };
        (page, q)
    }

    /// Every page that shows user-controlled data, with `x` in every text field.
    fn pages(x: &str) -> Vec<(&'static str, String)> {
        let (admin, reviewer) = (ctx(x, Role::Admin), ctx(x, Role::Reviewer));
        let (tp, tq) = triage(x);
        let mut refused = ApiError::bad_request(x);
        refused.detail = Some(report_json(x));
        let upload = Upload { id: Some(7), at: x.into(), username: x.into(), status: x.into(), report: report_json(x) };
        let list = UploadList { items: vec![Upload { report: Json::Null, ..upload }] };
        let upload = Upload { id: Some(7), at: x.into(), username: x.into(), status: x.into(), report: report_json(x) };
        let overview = ForceOverview {
            summary: summary(x),
            quarters: Some(vec![Quarter { quarter: x.into(), recorded: 4, charged: 1 }]),
            outcome_groups: Some(vec![OutcomeGroup { group: x.into(), count: 3 }]),
            recorded_under_another_crime: Some(1),
            cross_force: Some(crate::views::CrossForceReceived {
                received_at: x.into(),
                report_rows: 3,
                forces: vec![x.into()],
                parties_left_out: vec![x.into()],
                reports_taken_in: 2,
                rows_left_out: 1,
                why_left_out: Some(x.into()),
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
                within_7_days: 1,
                median_hours: Some(30.5),
                waiting: 1,
                longest_wait_hours: Some(12.0),
            },
        };
        let national = National { published_at: Some(x.into()), forces: vec![summary(x)] };
        let entry = LoggedEntry {
            seq: Some(1),
            at: x.into(),
            actor: x.into(),
            action: x.into(),
            object: x.into(),
            force: x.into(),
            outcome: x.into(),
            detail: x.into(),
            hash: x.into(),
        };
        let audit = AuditPage { page: 2, per_page: 1, total: 3, next_page: Some(3), items: vec![entry] };
        vec![
            ("login", login_html(Some(x), x)),
            ("error", error_html(Some(&admin), &refused)),
            ("force", layout(x, Some(&admin), force_html(&overview))),
            ("triage", layout(x, Some(&admin), triage_html(&tp, &tq, true))),
            ("triage (analyst)", layout(x, Some(&admin), triage_html(&tp, &tq, false))),
            (
                "search",
                layout(
                    x,
                    Some(&admin),
                    search_html(
                        &crate::search::SearchQuery { q: Some(x.into()) },
                        &crate::search::SearchPage {
                            kind: Some(crate::search::SearchKind::Name),
                            forces: vec![x.into()],
                            persons: vec![crate::search::Found {
                                person_id: x.into(),
                                force: x.into(),
                                name: x.into(),
                                date_of_birth: Some(x.into()),
                                incident_ref: x.into(),
                                role: x.into(),
                                why: x.into(),
                                score: 1.0,
                                courses: vec![x.into(), x.into()],
                            }],
                            courses: vec![x.into()],
                            truncated: true,
                        },
                    ),
                ),
            ),
            ("course", layout(x, Some(&admin), course_html(&course(x), x))),
            ("person", layout(x, Some(&admin), person_html(&person(x)))),
            ("import", layout(x, Some(&admin), import_html(&admin, &list))),
            ("import (reviewer)", layout(x, Some(&reviewer), import_html(&reviewer, &list))),
            ("refused", layout(x, Some(&admin), refused_html(&refused))),
            ("upload", layout(x, Some(&admin), upload_html(7, &upload))),
            ("national", layout(x, Some(&admin), national_html(&national))),
            ("audit", layout(x, Some(&admin), audit_html(&admin, &audit))),
        ]
    }

    /// The tags of a page, each as its name and its attributes; panics on anything that is not
    /// a well-formed tag with double-quoted attribute values (what an injection would leave).
    fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut out = Vec::new();
        let mut rest = html;
        while let Some(i) = rest.find('<') {
            rest = &rest[i + 1..];
            if rest.starts_with('!') || rest.starts_with('/') {
                rest = &rest[rest.find('>').expect("a closed tag") + 1..];
                continue;
            }
            let end = rest.find(|c: char| c.is_whitespace() || c == '>').expect("a tag name");
            let name = rest[..end].to_ascii_lowercase();
            rest = &rest[end..];
            let mut attrs = Vec::new();
            loop {
                rest = rest.trim_start();
                if let Some(r) = rest.strip_prefix('>') {
                    rest = r;
                    break;
                }
                let end = rest.find(|c: char| c.is_whitespace() || c == '=' || c == '>').expect("an attribute");
                let attr = rest[..end].to_ascii_lowercase();
                assert!(!attr.is_empty() && attr.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'), "attribute {attr:?} in <{name}>");
                rest = &rest[end..];
                let value = match rest.strip_prefix("=\"") {
                    Some(r) => {
                        let close = r.find('"').expect("a closing quote");
                        rest = &r[close + 1..];
                        r[..close].to_string()
                    }
                    None => {
                        assert!(!rest.starts_with('='), "an unquoted value for {attr} in <{name}>");
                        String::new()
                    }
                };
                attrs.push((attr, value));
            }
            if name == "style" {
                rest = &rest[rest.find("</style>").expect("a closed style") + 8..];
            }
            out.push((name, attrs));
        }
        out
    }

    const ELEMENTS: &[&str] = &[
        "html", "head", "meta", "title", "style", "body", "header", "main", "strong", "a", "span", "form", "input", "button", "h1", "h2",
        "p", "div", "b", "label", "select", "option", "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "code", "details",
        "summary", "svg", "text", "rect", "polyline", "polygon", "line", "circle", "br", "section", "textarea", "nav",
    ];

    #[test]
    fn the_xss_corpus_shows_as_text_on_every_page() {
        for x in CORPUS {
            for (what, html) in pages(x) {
                if x.contains(['<', '"', '&']) {
                    assert!(!html.contains(x), "{what} page shows {x:?} raw");
                }
                assert!(html.contains(&maud::html! { (x) }.into_string()), "{what} page does not show {x:?} escaped");
                for (name, attrs) in tags(&html) {
                    assert!(ELEMENTS.contains(&name.as_str()), "{what} page has a <{name}> element after {x:?}");
                    for (attr, value) in attrs {
                        assert!(!attr.starts_with("on"), "{what} page has an {attr} attribute after {x:?}");
                        if ["href", "action", "src"].contains(&attr.as_str()) {
                            assert!(value.starts_with('/') && !value.starts_with("//"), "{what} page links off the site: {value:?}");
                            assert!(!value.contains(['\'', ' ', '<']), "{what} page has a raw {value:?} in a link");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn links_carry_ids_percent_encoded() {
        let html = course_html(&course("a b/../'\"<x>"), "t").into_string();
        assert!(html.contains("href=\"/persons/a%20b%2F..%2F%27%22%3Cx%3E\""), "{html}");
        let (tp, tq) = triage("x&y");
        let html = triage_html(&tp, &tq, false).into_string();
        assert!(html.contains("href=\"/courses/x%26y\""), "{html}");
        assert!(html.contains("href=\"/triage?force=x%26y&amp;priority=x%26y&amp;"), "{html}");
    }
}
