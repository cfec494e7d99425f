//! The dashboard's pages: server-rendered HTML over the same views as the API, with charts and
//! time lines drawn as inline SVG. No JavaScript is needed; forms carry the session's CSRF token.

use std::fmt::Write;
use std::net::SocketAddr;

use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Form, Multipart, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use conduct_domain::{Date, Force};
use serde_json::Value as Json;

use crate::api::{self, Credentials, GrantRequest, PageQuery};
use crate::auth::Role;
use crate::error::ApiError;
use crate::views::{self, CoursePage, Explanation, OutcomeGroup, Quarter, Reference, TriageQuery};
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
        .route("/persons/{id}", get(person_page))
        .route("/import", get(import_page).post(import_post))
        .route("/imports/{id}", get(upload_page))
        .route("/national", get(national_page))
        .route("/audit", get(audit_page))
        .route("/grants", post(grant_post))
}

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
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

fn url_part(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

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
";

fn layout(title: &str, ctx: Option<&Ctx>, body: &str) -> String {
    let nav = match ctx {
        Some(c) => {
            let home = c.user.force.map_or_else(|| "/national".to_string(), |f| format!("/forces/{}", url_part(f.name())));
            let mut n = format!("<a href=\"{home}\">Overview</a><a href=\"/triage\">Triage</a><a href=\"/national\">National</a>");
            if c.user.role != Role::Reviewer {
                n.push_str("<a href=\"/import\">Import</a>");
            }
            if c.user.role == Role::Admin {
                n.push_str("<a href=\"/audit\">Audit</a>");
            }
            let force = c.user.force.map_or(String::new(), |f| format!(", {}", esc(f.name())));
            let _ = write!(
                n,
                "<span class=\"who\">{} ({}{force})</span><form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button>Sign out</button></form>",
                esc(&c.user.username),
                c.user.role.as_str(),
                esc(&c.csrf)
            );
            n
        }
        None => String::new(),
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} — Conduct</title><style>{STYLE}</style></head><body><header><strong>Conduct</strong>{nav}</header><main>{body}</main></body></html>",
        esc(title)
    )
}

fn page(title: &str, ctx: &Ctx, body: &str) -> Response {
    Html(layout(title, Some(ctx), body)).into_response()
}

/// A failed view as a page (sign-in redirect for 401).
fn error_page(ctx: Option<&Ctx>, e: ApiError) -> Response {
    if e.status == StatusCode::UNAUTHORIZED {
        return crate::to_login();
    }
    if e.status.is_server_error() {
        say!("conduct serve: error: {}", e.message);
    }
    let mut body =
        format!("<h1>{} {}</h1><p class=\"err\">{}</p>", e.status.as_u16(), crate::status_text(e.status), esc(&e.public_message()));
    if let Some(d) = &e.detail {
        body.push_str(&report_html(d, d["upload_id"].as_i64()));
    }
    (e.status, Html(layout(crate::status_text(e.status), ctx, &body))).into_response()
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
    let m = message.map_or(String::new(), |m| format!("<p class=\"err\" role=\"alert\">{}</p>", esc(m)));
    layout(
        "Sign in",
        None,
        &format!(
            "<form class=\"login\" method=\"post\" action=\"/login\"><h1>Sign in</h1>{m}\
             <input type=\"hidden\" name=\"csrf\" value=\"{token}\">\
             <label>Username <input name=\"username\" autocomplete=\"username\" required autofocus></label>\
             <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\
             <button type=\"submit\">Sign in</button>\
             <p class=\"muted\">Every view of a person's records is recorded in the audit log.</p></form>"
        ),
    )
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

fn card(label: &str, value: &str) -> String {
    format!("<div class=\"card\">{}<b>{}</b></div>", esc(label), esc(value))
}

/// Recorded reports per quarter (bars) and charges (line), as SVG.
fn trend_svg(quarters: &[Quarter]) -> String {
    if quarters.is_empty() {
        return "<p class=\"muted\">No reports.</p>".into();
    }
    let (w, h, left, bottom) = (900.0, 260.0, 50.0, 40.0);
    let max = quarters.iter().map(|q| q.recorded as f64).fold(1.0, f64::max);
    let step = (w - left - 10.0) / quarters.len() as f64;
    let y = |v: f64| h - bottom - v / max * (h - bottom - 20.0);
    let mut o = format!(
        "<svg role=\"img\" aria-label=\"Reports recorded and charged per quarter\" viewBox=\"0 0 {w} {h}\" width=\"100%\" style=\"max-width:{w}px;background:#fff\">"
    );
    let _ = write!(
        o,
        "<text x=\"{left}\" y=\"14\" font-size=\"12\">recorded per quarter (bars), charged or summonsed (line); max {max}</text>"
    );
    let mut line = String::new();
    for (i, q) in quarters.iter().enumerate() {
        let r = q.recorded as f64;
        let c = q.charged as f64;
        let x = left + i as f64 * step;
        let _ = write!(
            o,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#8ab6d6\"><title>{}: {r} recorded, {c} charged</title></rect>",
            x + 1.0,
            y(r),
            (step - 2.0).max(1.0),
            h - bottom - y(r),
            esc(&q.quarter)
        );
        let _ = write!(line, "{}{:.1},{:.1}", if line.is_empty() { "" } else { " " }, x + step / 2.0, y(c));
        if quarters.len() <= 16 || i % (quarters.len() / 8).max(1) == 0 {
            let _ = write!(
                o,
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"10\" transform=\"rotate(30 {:.1} {})\">{}</text>",
                x,
                h - bottom + 12.0,
                x,
                h - bottom + 12.0,
                esc(&q.quarter)
            );
        }
    }
    let _ = write!(o, "<polyline points=\"{line}\" fill=\"none\" stroke=\"#b00020\" stroke-width=\"2\"/>");
    let _ = write!(o, "<line x1=\"{left}\" y1=\"{}\" x2=\"{w}\" y2=\"{}\" stroke=\"#444\"/></svg>", h - bottom, h - bottom);
    o
}

fn bars_svg(groups: &[OutcomeGroup]) -> String {
    if groups.is_empty() {
        return "<p class=\"muted\">No outcomes assigned.</p>".into();
    }
    let max = groups.iter().map(|g| g.count as f64).fold(1.0, f64::max);
    let h = 24.0 * groups.len() as f64 + 10.0;
    let mut o = format!(
        "<svg role=\"img\" aria-label=\"Outcomes by group\" viewBox=\"0 0 900 {h}\" width=\"100%\" style=\"max-width:900px;background:#fff\">"
    );
    for (i, g) in groups.iter().enumerate() {
        let n = g.count as f64;
        let y = 5.0 + i as f64 * 24.0;
        let _ = write!(
            o,
            "<text x=\"5\" y=\"{:.1}\" font-size=\"12\">{}</text><rect x=\"420\" y=\"{y:.1}\" width=\"{:.1}\" height=\"18\" fill=\"#457b9d\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{n}</text>",
            y + 13.0,
            esc(&g.group),
            n / max * 420.0,
            425.0 + n / max * 420.0,
            y + 13.0
        );
    }
    o.push_str("</svg>");
    o
}

async fn force_page(State(state): State<Shared>, PageCtx(ctx): PageCtx, UrlPath(force): UrlPath<String>) -> Response {
    let v = match state.db(move |c| views::overview(c, &force)).await {
        Ok(v) => v,
        Err(e) => return error_page(Some(&ctx), e),
    };
    let f = &v.summary;
    let name = &f.force;
    let mut b = format!("<h1>{}: overview</h1><div class=\"cards\">", esc(name));
    b.push_str(&card("S&H reports", &f.incidents.to_string()));
    b.push_str(&card("Courses of conduct", &num(f.courses)));
    b.push_str(&card("Hidden repeats", &num(f.hidden_repeats)));
    b.push_str(&card("Linked at the time", &num(f.linked_repeats)));
    b.push_str(&card("Possible breaches", &num(f.possible_breaches)));
    b.push_str(&card("Charged / outcomes", &format!("{} / {}", f.charged, f.outcomes_assigned)));
    b.push_str("</div><h2>Triage</h2><div class=\"cards\">");
    for p in ["urgent", "high", "review", "routine"] {
        let link = format!("<a class=\"p-{p}\" href=\"/triage?force={}&amp;priority={p}\">{p}</a>", url_part(name));
        let _ = write!(b, "<div class=\"card\">{link}<b>{}</b></div>", esc(&num(f.triage.of(p))));
    }
    b.push_str("</div>");
    if let Some(h) = f.hidden_share {
        let _ = write!(
            b,
            "<p class=\"note\">{:.0}% of this force's repeat reports were never linked to the earlier reports of their course when recorded.</p>",
            h * 100.0
        );
    }
    b.push_str("<h2>Trend</h2>");
    b.push_str(&trend_svg(v.quarters.as_deref().unwrap_or_default()));
    b.push_str("<h2>Outcomes</h2>");
    b.push_str(&bars_svg(v.outcome_groups.as_deref().unwrap_or_default()));
    page(&format!("{name} overview"), &ctx, &b)
}

/// Links to the previous and next pages of a list of `total` rows, `per` a page, at `page`.
fn pager(base: &str, page: u64, per: u64, total: i64, next_page: Option<u64>) -> String {
    let total = u64::try_from(total).unwrap_or(0);
    let mut o = format!("<div class=\"pager\"><span>{total} in all; page {page} of {}</span>", total.div_ceil(per).max(1));
    if page > 1 {
        let _ = write!(o, "<a href=\"{base}page={}\">previous</a>", page - 1);
    }
    if next_page.is_some() {
        let _ = write!(o, "<a href=\"{base}page={}\" rel=\"next\">next</a>", page + 1);
    }
    o.push_str("</div>");
    o
}

async fn triage_page(State(state): State<Shared>, PageCtx(ctx): PageCtx, Query(q): Query<TriageQuery>) -> Response {
    let user = ctx.user.clone();
    let q2 = q.clone();
    let totals = state.totals.clone();
    let v = match state.view(move |c| views::triage(c, &user, &q2, &totals)).await {
        Ok(v) => v,
        Err(e) => return error_page(Some(&ctx), e),
    };
    let force_name = v.force.unwrap_or("");
    let mut b =
        format!("<h1>Triage{}</h1>", if force_name.is_empty() { ": all forces".to_string() } else { format!(": {}", esc(force_name)) });
    b.push_str("<form class=\"filters\" method=\"get\" action=\"/triage\">");
    if ctx.user.sees_all_forces() {
        b.push_str("<label>Force <select name=\"force\"><option value=\"\">all forces</option>");
        for f in Force::all() {
            let sel = if f.name() == force_name { " selected" } else { "" };
            let _ = write!(b, "<option{sel}>{}</option>", esc(f.name()));
        }
        b.push_str("</select></label>");
    }
    b.push_str("<label>Priority <select name=\"priority\"><option value=\"\">any</option>");
    for p in ["urgent", "high", "review", "routine"] {
        let sel = if q.priority.as_deref() == Some(p) { " selected" } else { "" };
        let _ = write!(b, "<option{sel}>{p}</option>");
    }
    b.push_str("</select></label><label>Sort <select name=\"sort\">");
    for (k, label) in [("rank", "review order"), ("recent", "latest report"), ("reports", "most reports")] {
        let sel = if q.sort.as_deref().unwrap_or("rank") == k { " selected" } else { "" };
        let _ = write!(b, "<option value=\"{k}\"{sel}>{label}</option>");
    }
    b.push_str("</select></label>");
    for (k, label, on) in [
        ("stalking", "review as stalking", &q.stalking),
        ("cross_force", "crosses forces", &q.cross_force),
        ("breach", "possible breach", &q.breach),
        ("hidden", "hidden repeats", &q.hidden),
    ] {
        let checked = if on.is_some() { " checked" } else { "" };
        let _ = write!(b, "<label><span><input type=\"checkbox\" name=\"{k}\" value=\"1\"{checked}> {label}</span></label>");
    }
    b.push_str("<button type=\"submit\">Filter</button></form>");
    b.push_str("<table id=\"triage\"><thead><tr><th>Course</th><th>Priority</th><th>Why</th><th class=\"n\">Reports</th><th class=\"n\">Hidden</th><th>First – latest</th><th>Forces</th></tr></thead><tbody>");
    for r in &v.items {
        let (id, p) = (&r.course_id, &r.priority);
        let reasons: String = r.reason_list().iter().map(|x| format!("<li>{}</li>", esc(x))).collect();
        let _ = write!(
            b,
            "<tr><td><a href=\"/courses/{}\">{}</a></td><td class=\"p-{p}\">{p}</td><td><ul class=\"reasons\">{reasons}</ul></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{} – {}</td><td>{}</td></tr>",
            url_part(id),
            esc(id),
            esc(&num(r.reports)),
            esc(&num(r.hidden_repeats)),
            esc(&r.first_date),
            esc(&r.last_date),
            esc(&r.forces.join(", "))
        );
    }
    b.push_str("</tbody></table>");
    let mut base = String::from("/triage?");
    for (k, val) in [
        ("force", &q.force),
        ("priority", &q.priority),
        ("sort", &q.sort),
        ("stalking", &q.stalking),
        ("cross_force", &q.cross_force),
        ("breach", &q.breach),
        ("hidden", &q.hidden),
    ] {
        if let Some(x) = val.as_deref().filter(|x| !x.is_empty()) {
            let _ = write!(base, "{k}={}&amp;", url_part(x));
        }
    }
    b.push_str(&pager(&base, v.page, v.per_page, v.total, v.next_page));
    page("Triage", &ctx, &b)
}

fn days(d: &str) -> Option<i32> {
    Date::parse(d).ok().map(|d| d.days_since_epoch())
}

/// The course's reports on a time axis, one lane per force, with order periods shaded.
fn timeline_svg(v: &CoursePage) -> String {
    let (reports, orders) = (&v.timeline, &v.orders);
    let mut all: Vec<i32> = reports.iter().filter_map(|r| days(&r.recorded_date)).collect();
    for o in orders {
        all.extend(days(text(&o.granted_date)));
    }
    let (Some(&lo), Some(&hi)) = (all.iter().min(), all.iter().max()) else {
        return "<p class=\"muted\">No reports you may see.</p>".into();
    };
    let (lo, hi) = (lo - 14, (hi + 14).max(lo + 60));
    let mut lanes: Vec<&str> = Vec::new();
    for r in reports {
        if !lanes.contains(&r.force.as_str()) {
            lanes.push(&r.force);
        }
    }
    let (w, left, lane_h) = (900.0, 170.0, 46.0);
    let h = 40.0 + lane_h * lanes.len().max(1) as f64;
    let x = |d: i32| left + (d - lo) as f64 / (hi - lo) as f64 * (w - left - 20.0);
    let mut o = format!(
        "<svg id=\"timeline\" role=\"img\" aria-label=\"Time line of the course\" viewBox=\"0 0 {w} {h}\" width=\"100%\" style=\"max-width:{w}px;background:#fff\">"
    );
    for ord in orders {
        let (Some(g), e) = (days(text(&ord.granted_date)), days(text(&ord.expires_date))) else { continue };
        let e = e.unwrap_or(hi).min(hi);
        let _ = write!(
            o,
            "<rect class=\"order\" x=\"{:.1}\" y=\"20\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#f4c7c3\" opacity=\"0.6\"><title>{} {} in force {} – {}</title></rect>",
            x(g),
            (x(e) - x(g)).max(2.0),
            h - 40.0,
            esc(&ord.order_type),
            esc(&ord.order_ref),
            esc(text(&ord.granted_date)),
            esc(text(&ord.expires_date))
        );
    }
    for (i, lane) in lanes.iter().enumerate() {
        let y = 20.0 + lane_h * (i as f64 + 0.5);
        let _ = write!(
            o,
            "<text x=\"5\" y=\"{:.1}\" font-size=\"12\">{}</text><line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"#bbb\"/>",
            y + 4.0,
            esc(lane),
            w - 20.0
        );
    }
    for r in reports {
        let Some(d) = days(&r.recorded_date) else { continue };
        let lane = lanes.iter().position(|l| *l == r.force).unwrap_or(0);
        let y = 20.0 + lane_h * (lane as f64 + 0.5);
        let (hidden, breach) = (r.hidden_repeat, r.possible_breach);
        let fill = if breach {
            "#b00020"
        } else if hidden {
            "#fff"
        } else {
            "#1d3557"
        };
        let mut flags = Vec::new();
        if hidden {
            flags.push("hidden repeat");
        }
        if breach {
            flags.push("possible breach");
        }
        let _ = write!(
            o,
            "<circle class=\"report\" cx=\"{:.1}\" cy=\"{y:.1}\" r=\"7\" fill=\"{fill}\" stroke=\"#1d3557\" stroke-width=\"2\"><title>{} {} {}{}</title></circle>",
            x(d),
            esc(&r.recorded_date),
            esc(&r.incident_ref),
            esc(&r.offence_code),
            if flags.is_empty() { String::new() } else { format!(" ({})", flags.join(", ")) }
        );
    }
    let lo_d = Date::from_days_since_epoch(lo);
    let hi_d = Date::from_days_since_epoch(hi);
    let _ = write!(
        o,
        "<text x=\"{left}\" y=\"{:.1}\" font-size=\"11\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text></svg>",
        h - 5.0,
        Date::iso_str(&lo_d.iso()),
        w - 20.0,
        h - 5.0,
        Date::iso_str(&hi_d.iso())
    );
    o.push_str("<p class=\"muted\">Filled: report; hollow: a repeat never linked at the time; red: may breach an order; shaded: an order in force.</p>");
    o
}

fn held_elsewhere(list: &[Reference], what: &str) -> String {
    if list.is_empty() {
        return String::new();
    }
    let mut b = format!(
        "<h2>Held by other forces</h2><p class=\"note\">Other forces hold matching {what}. You see them only as references until access is granted and recorded.</p><table><tr><th>Force</th><th>Reference</th><th class=\"n\">Count</th></tr>"
    );
    for e in list {
        let n = e.count().map_or(String::new(), |n| n.to_string());
        let _ = write!(b, "<tr><td>{}</td><td><code>{}</code></td><td class=\"n\">{n}</td></tr>", esc(&e.force), esc(&e.reference));
    }
    b.push_str("</table>");
    b
}

fn person_link(id: &Option<String>) -> String {
    match id.as_deref() {
        None | Some("") => "<span class=\"muted\">unknown</span>".into(),
        Some(id) => format!("<a href=\"/persons/{}\">{}</a>", url_part(id), esc(id)),
    }
}

async fn course_page(State(state): State<Shared>, PageCtx(ctx): PageCtx, UrlPath(id): UrlPath<String>) -> Response {
    let (user, key, id2) = (ctx.user.clone(), state.key.clone(), id.clone());
    let v = match state.view(move |c| views::course(c, &user, &key, &id2)).await {
        Ok(v) => v,
        Err(e) => return error_page(Some(&ctx), e),
    };
    let p = &v.priority;
    let mut b = format!(
        "<h1>Course {} <span class=\"p-{p}\">{p}</span></h1><p>Victim {} · suspect {} · {} reports ({} hidden repeats) · {} – {} · {}</p>",
        esc(&v.course_id),
        person_link(&v.victim),
        person_link(&v.suspect),
        esc(&num(v.reports)),
        esc(&num(v.hidden_repeats)),
        esc(&v.first_date),
        esc(&v.last_date),
        esc(&v.forces.join(", "))
    );
    b.push_str(&redirected(&v.redirected_from, "course"));
    let reasons: String = v.reasons.iter().map(|x| format!("<li>{}</li>", esc(x))).collect();
    if !reasons.is_empty() {
        let _ = write!(b, "<h2>Why it is on the list</h2><ul class=\"reasons\">{reasons}</ul>");
    }
    b.push_str("<h2>Time line</h2>");
    b.push_str(&timeline_svg(&v));
    b.push_str("<h2>Reports</h2><table><tr><th>Recorded</th><th>Force</th><th>Reference</th><th>Offence</th><th>Flags</th><th>Outcome</th><th>Narrative</th></tr>");
    for r in &v.timeline {
        let flags: Vec<&str> = [
            (r.hidden_repeat, "hidden repeat"),
            (r.possible_breach, "possible breach"),
            (r.domestic_abuse == Some(true), "domestic abuse"),
            (r.cyber == Some(true), "online"),
        ]
        .into_iter()
        .filter_map(|(on, flag)| on.then_some(flag))
        .collect();
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.recorded_date),
            esc(&r.force),
            esc(&r.incident_ref),
            esc(&r.offence_code),
            esc(text(&r.offence_description)),
            esc(&flags.join(", ")),
            esc(&num(r.outcome_type)),
            esc(text(&r.narrative))
        );
    }
    b.push_str(
        "</table><h2>People named</h2><table><tr><th>Role</th><th>Person</th><th>Name</th><th>Date of birth</th><th>Reference</th></tr>",
    );
    for p in &v.people {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td></tr>",
            esc(text(&p.role)),
            person_link(&p.person_id),
            esc(text(&p.forename)),
            esc(text(&p.surname)),
            esc(text(&p.date_of_birth)),
            esc(text(&p.incident_ref))
        );
    }
    b.push_str("</table>");
    if !v.orders.is_empty() {
        b.push_str("<h2>Orders</h2><table><tr><th>Order</th><th>Type</th><th>Granted</th><th>Expires</th><th>Status</th></tr>");
        for o in &v.orders {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&o.order_ref),
                esc(&o.order_type),
                esc(text(&o.granted_date)),
                esc(text(&o.expires_date)),
                esc(text(&o.status))
            );
        }
        b.push_str("</table>");
    }
    b.push_str(&held_elsewhere(&v.held_elsewhere, "reports"));
    page(&format!("Course {}", v.course_id), &ctx, &b)
}

/// A weight as shown: one JSON cannot carry (infinite or not a number) is shown as 0.
fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

fn waterfall_html(w: &Explanation) -> String {
    let mut b = format!(
        "<details><summary>{} against {}: match weight {:.2} (threshold {:.2}), probability {:.4}{}</summary><table><tr><th>Comparison</th><th>Level</th><th>Values</th><th class=\"n\">Weight</th><th class=\"n\">Running total</th></tr>",
        esc(&w.b),
        esc(&w.a),
        finite(w.match_weight),
        finite(w.threshold),
        finite(w.probability),
        w.refused_by.as_ref().map_or(String::new(), |r| format!("; clustering refuses: {}", esc(r)))
    );
    let _ = write!(
        b,
        "<tr><td>prior</td><td></td><td></td><td class=\"n\">{:.2}</td><td class=\"n\">{:.2}</td></tr>",
        finite(w.prior),
        finite(w.prior)
    );
    for st in &w.steps {
        let weight = finite(st.weight) + finite(st.tf_adjustment);
        let vals = format!("{} | {}", st.values.0, st.values.1);
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{weight:+.2}</td><td class=\"n\">{:.2}</td></tr>",
            esc(st.comparison),
            esc(&st.level),
            esc(&vals),
            finite(st.cumulative)
        );
    }
    b.push_str("</table></details>");
    b
}

async fn person_page(State(state): State<Shared>, PageCtx(ctx): PageCtx, UrlPath(id): UrlPath<String>) -> Response {
    let (user, key, id2) = (ctx.user.clone(), state.key.clone(), id.clone());
    let v = match state.view(move |c| views::person(c, &user, &key, &id2)).await {
        Ok(v) => v,
        Err(e) => return error_page(Some(&ctx), e),
    };
    let mut b = format!("<h1>Person {}</h1>", esc(text(&v.person_id)));
    b.push_str(&redirected(&v.redirected_from, "person"));
    let _ = write!(b, "<p>{} records merged into this person that you may see.</p>", v.records.len());
    b.push_str("<table id=\"records\"><tr><th>Record</th><th>Force</th><th>Role</th><th>Name</th><th>Date of birth</th><th>Sex</th><th>Postcode</th><th>Phone</th><th>PNC</th><th>Incident</th></tr>");
    for r in &v.records {
        let name = [&r.forename, &r.middle_names, &r.surname].into_iter().map(text).filter(|x| !x.is_empty()).collect::<Vec<_>>().join(" ");
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(text(&r.record_id)),
            esc(text(&r.force)),
            esc(text(&r.role)),
            esc(&name),
            esc(text(&r.date_of_birth)),
            esc(text(&r.sex)),
            esc(text(&r.postcode)),
            esc(text(&r.phone)),
            esc(text(&r.pnc_id)),
            esc(text(&r.incident_ref))
        );
    }
    b.push_str("</table>");
    if !v.explanations.is_empty() {
        let _ = write!(
            b,
            "<h2>Why these records are one person</h2><p class=\"muted\">Each record compared with {}: each comparison's level and its weight (bits), under the published model.</p>",
            esc(text(&v.explained_against))
        );
        for w in &v.explanations {
            b.push_str(&waterfall_html(w));
        }
    }
    if !v.courses.is_empty() {
        b.push_str("<h2>Courses of conduct</h2><table><tr><th>Course</th><th>As</th><th>Priority</th><th class=\"n\">Reports</th><th>First – latest</th></tr>");
        for c in &v.courses {
            let id = &c.course_id;
            let _ = write!(
                b,
                "<tr><td><a href=\"/courses/{}\">{}</a></td><td>{}</td><td class=\"p-{}\">{}</td><td class=\"n\">{}</td><td>{} – {}</td></tr>",
                url_part(id),
                esc(id),
                c.part.as_str(),
                esc(&c.priority),
                esc(&c.priority),
                esc(&num(c.reports)),
                esc(&c.first_date),
                esc(&c.last_date)
            );
        }
        b.push_str("</table>");
    }
    b.push_str(&held_elsewhere(&v.held_elsewhere, "records"));
    page(&format!("Person {}", text(&v.person_id)), &ctx, &b)
}

/// A note when the id asked for was retired by a later publication and led here.
fn redirected(from: &Option<String>, what: &str) -> String {
    from.as_deref().map_or(String::new(), |from| {
        format!("<p class=\"note\" id=\"redirected\">{} is no longer in use: a later publication placed most of that {what}'s records in this one.</p>", esc(from))
    })
}

/// A validation report; with the upload's id, a link to download every rejected row.
fn report_html(r: &Json, upload: Option<i64>) -> String {
    let mut b = String::new();
    if r.get("accepted").is_some() {
        let _ = write!(
            b,
            "<div class=\"cards\" id=\"report\">{}{}{}{}</div>",
            card("Rows read", &s(&r["read"])),
            card("Accepted", &s(&r["accepted"])),
            card("Rejected", &s(&r["rejected"])),
            card("Warnings", &s(&r["warnings"]))
        );
    }
    if let Some(files) = r["files"].as_array() {
        b.push_str("<h2>Files</h2><table><tr><th>File</th><th>Table</th><th>Format</th><th class=\"n\">Read</th><th class=\"n\">Accepted</th><th class=\"n\">Rejected</th><th class=\"n\">Warnings</th></tr>");
        for f in files {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&s(&f["file"])),
                esc(&s(&f["table"])),
                esc(&s(&f["format"])),
                esc(&s(&f["read"])),
                esc(&s(&f["accepted"])),
                esc(&s(&f["rejected"])),
                esc(&s(&f["warnings"]))
            );
        }
        b.push_str("</table>");
    }
    let reasons: Vec<(&Json, &Json)> = r["files"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|f| f["reject_reasons"].as_array().into_iter().flatten().map(move |k| (f, k)))
        .collect();
    if !reasons.is_empty() {
        b.push_str("<h2>Rejected rows by reason</h2><table id=\"reject-reasons\"><tr><th>File</th><th>Column</th><th>Reason</th><th class=\"n\">Rows</th></tr>");
        for (f, k) in reasons {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                esc(&s(&f["file"])),
                esc(&s(&k["column"])),
                esc(&s(&k["reason"])),
                esc(&s(&k["count"]))
            );
        }
        b.push_str("</table>");
    }
    if let Some(rej) = r["rejects"].as_array().filter(|a| !a.is_empty()) {
        let _ = write!(b, "<h2>Rejected rows</h2><p class=\"muted\">{} listed of {} rejected.", rej.len(), esc(&s(&r["rejected"])));
        if let Some(id) = upload {
            let stored = r["rejects_stored"].as_u64().unwrap_or(u64::MAX);
            if stored < r["rejected"].as_u64().unwrap_or(0) {
                let _ = write!(
                    b,
                    " <a id=\"rejects-csv\" href=\"/api/imports/{id}/rejects.csv\" download>Download the first {stored} (CSV)</a>; the rest are counted by reason above."
                );
            } else {
                let _ = write!(
                    b,
                    " <a id=\"rejects-csv\" href=\"/api/imports/{id}/rejects.csv\" download>Download all {} (CSV)</a>",
                    esc(&s(&r["rejected"]))
                );
            }
        }
        b.push_str("</p><table id=\"rejects\"><tr><th>File</th><th class=\"n\">Line</th><th>Column</th><th>Reason</th></tr>");
        for x in rej {
            let _ = write!(
                b,
                "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&s(&x["file"])),
                esc(&s(&x["line"])),
                esc(&s(&x["column"])),
                esc(&s(&x["reason"]))
            );
        }
        b.push_str("</table>");
    }
    b
}

async fn import_page(State(state): State<Shared>, PageCtx(ctx): PageCtx) -> Response {
    let user = ctx.user.clone();
    let list = state.db(move |c| views::uploads(c, &user)).await.unwrap_or_default();
    let mut b = String::from("<h1>Import an export</h1>");
    if ctx.user.role == Role::Reviewer {
        b.push_str("<p class=\"note\">Reviewers do not import exports.</p>");
    } else {
        let _ = write!(
            b,
            "<p>Upload the force's incidents and people files (and orders, if any) as CSV, JSON Lines or Parquet, in the data contract's columns. \
             Every row is checked; rejected rows are listed with their line, column and reason, and nothing is imported unless some rows are usable.</p>\
             <form method=\"post\" action=\"/import\" enctype=\"multipart/form-data\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <label>Incidents <input type=\"file\" name=\"incidents\" accept=\".csv,.jsonl,.parquet\" required></label>\
             <label>People <input type=\"file\" name=\"people\" accept=\".csv,.jsonl,.parquet\" required></label>\
             <label>Orders <input type=\"file\" name=\"orders\" accept=\".csv,.jsonl,.parquet\"></label>\
             <button type=\"submit\">Upload and check</button></form>",
            esc(&ctx.csrf)
        );
    }
    b.push_str("<h2>Recent uploads</h2><table><tr><th>Upload</th><th>When</th><th>By</th><th>Status</th></tr>");
    for u in &list.items {
        let id = num(u.id);
        let _ = write!(
            b,
            "<tr><td><a href=\"/imports/{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&u.at),
            esc(&u.username),
            esc(&u.status)
        );
    }
    b.push_str("</table>");
    page("Import", &ctx, &b)
}

async fn import_post(State(state): State<Shared>, PageCtx(ctx): PageCtx, headers: HeaderMap, form: Multipart) -> Response {
    match api::receive_upload(&state, &ctx, &headers, form).await {
        Ok(u) => Redirect::to(&format!("/imports/{}", u.id)).into_response(),
        Err(e) => {
            let e = state.refusal(e).await;
            if e.status.is_server_error() {
                return error_page(Some(&ctx), e);
            }
            let mut b = format!("<h1>The upload was refused</h1><p class=\"err\" role=\"alert\">{}</p>", esc(&e.public_message()));
            if let Some(d) = &e.detail {
                b.push_str(&report_html(d, d["upload_id"].as_i64()));
            }
            b.push_str("<p><a href=\"/import\">Back to import</a></p>");
            (e.status, Html(layout("Upload refused", Some(&ctx), &b))).into_response()
        }
    }
}

async fn upload_page(State(state): State<Shared>, PageCtx(ctx): PageCtx, UrlPath(id): UrlPath<i64>) -> Response {
    let user = ctx.user.clone();
    let v = match state.db(move |c| views::upload(c, &user, id)).await {
        Ok(v) => v,
        Err(e) => return error_page(Some(&ctx), e),
    };
    let status = &v.status;
    let mut b = format!("<h1>Upload {id}</h1><p id=\"status\">Status: <strong>{}</strong></p>", esc(status));
    if status == "analysing" {
        b.push_str("<p class=\"note\">The export was accepted and is being analysed with every other export; this page shows the outcome when you reload it.</p>");
    }
    if let Some(m) = v.report["refused"].as_str() {
        let _ = write!(b, "<p class=\"err\">{}</p>", esc(m));
    }
    b.push_str(&report_html(&v.report, Some(id)));
    page(&format!("Upload {id}"), &ctx, &b)
}

async fn national_page(State(state): State<Shared>, PageCtx(ctx): PageCtx) -> Response {
    let v = match state.db(views::national).await {
        Ok(v) => v,
        Err(e) => return error_page(Some(&ctx), e),
    };
    let mut b = format!(
        "<h1>National comparison</h1><p class=\"muted\">Published {}. Counts are of stalking and harassment reports in the exports imported; forces without an export are absent, not zero.</p>",
        esc(text(&v.published_at))
    );
    b.push_str("<table id=\"national\"><tr><th>Force</th><th class=\"n\">Reports</th><th class=\"n\">Courses</th><th class=\"n\">Hidden repeats</th><th class=\"n\">Share of repeats hidden</th><th class=\"n\">Urgent</th><th class=\"n\">Possible breaches</th><th class=\"n\">Charge rate</th></tr>");
    for f in &v.forces {
        let name = &f.force;
        let pct = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{:.1}%", x * 100.0));
        let _ = write!(
            b,
            "<tr><td><a href=\"/forces/{}\">{}</a></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            url_part(name),
            esc(name),
            f.incidents,
            esc(&num(f.courses)),
            esc(&num(f.hidden_repeats)),
            pct(f.hidden_share),
            esc(&num(f.triage.urgent)),
            esc(&num(f.possible_breaches)),
            pct(f.charge_rate)
        );
    }
    b.push_str("</table><p class=\"muted\">Charge rate: charged or summonsed among reports with an outcome assigned.</p>");
    page("National comparison", &ctx, &b)
}

async fn audit_page(State(state): State<Shared>, PageCtx(ctx): PageCtx, Query(q): Query<PageQuery>) -> Response {
    let user = ctx.user.clone();
    let v = match state.view(move |c| views::audit_log(c, &user, q.page, q.per_page)).await {
        Ok(v) => v,
        Err(e) => return error_page(Some(&ctx), e),
    };
    let mut b = String::from(
        "<h1>Audit log</h1><p class=\"muted\">Append-only and hash-chained: <code>conduct audit verify</code> finds any edited or deleted entry.</p>",
    );
    let _ = write!(
        b,
        "<h2>Grant a reviewer access to a force</h2><form class=\"filters\" method=\"post\" action=\"/grants\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <label>Reviewer <input name=\"username\" required></label><label>Force <input name=\"force\" required></label>\
         <label>Reason <input name=\"reason\" required size=\"40\"></label><button>Grant</button></form>",
        esc(&ctx.csrf)
    );
    b.push_str("<table id=\"audit\"><tr><th class=\"n\">#</th><th>When</th><th>Who</th><th>Action</th><th>Object</th><th>Force</th><th>Outcome</th><th>Detail</th></tr>");
    for e in &v.items {
        let _ = write!(
            b,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            num(e.seq),
            esc(&e.at),
            esc(&e.actor),
            esc(&e.action),
            esc(&e.object),
            esc(&e.force),
            esc(&e.outcome),
            esc(&e.detail)
        );
    }
    b.push_str("</table>");
    b.push_str(&pager("/audit?", v.page, v.per_page, v.total, v.next_page));
    page("Audit log", &ctx, &b)
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
