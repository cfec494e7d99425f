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
use crate::views::{self, TriageQuery};
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

fn s(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(x) => x.clone(),
        other => other.to_string(),
    }
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

fn card(label: &str, value: &Json) -> String {
    format!("<div class=\"card\">{}<b>{}</b></div>", esc(label), esc(&s(value)))
}

/// Recorded reports per quarter (bars) and charges (line), as SVG.
fn trend_svg(quarters: &[Json]) -> String {
    if quarters.is_empty() {
        return "<p class=\"muted\">No reports.</p>".into();
    }
    let (w, h, left, bottom) = (900.0, 260.0, 50.0, 40.0);
    let max = quarters.iter().map(|q| q["recorded"].as_f64().unwrap_or(0.0)).fold(1.0, f64::max);
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
        let r = q["recorded"].as_f64().unwrap_or(0.0);
        let c = q["charged"].as_f64().unwrap_or(0.0);
        let x = left + i as f64 * step;
        let _ = write!(
            o,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#8ab6d6\"><title>{}: {r} recorded, {c} charged</title></rect>",
            x + 1.0,
            y(r),
            (step - 2.0).max(1.0),
            h - bottom - y(r),
            esc(&s(&q["quarter"]))
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
                esc(&s(&q["quarter"]))
            );
        }
    }
    let _ = write!(o, "<polyline points=\"{line}\" fill=\"none\" stroke=\"#b00020\" stroke-width=\"2\"/>");
    let _ = write!(o, "<line x1=\"{left}\" y1=\"{}\" x2=\"{w}\" y2=\"{}\" stroke=\"#444\"/></svg>", h - bottom, h - bottom);
    o
}

fn bars_svg(groups: &[Json]) -> String {
    if groups.is_empty() {
        return "<p class=\"muted\">No outcomes assigned.</p>".into();
    }
    let max = groups.iter().map(|g| g["count"].as_f64().unwrap_or(0.0)).fold(1.0, f64::max);
    let h = 24.0 * groups.len() as f64 + 10.0;
    let mut o = format!(
        "<svg role=\"img\" aria-label=\"Outcomes by group\" viewBox=\"0 0 900 {h}\" width=\"100%\" style=\"max-width:900px;background:#fff\">"
    );
    for (i, g) in groups.iter().enumerate() {
        let n = g["count"].as_f64().unwrap_or(0.0);
        let y = 5.0 + i as f64 * 24.0;
        let _ = write!(
            o,
            "<text x=\"5\" y=\"{:.1}\" font-size=\"12\">{}</text><rect x=\"420\" y=\"{y:.1}\" width=\"{:.1}\" height=\"18\" fill=\"#457b9d\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{n}</text>",
            y + 13.0,
            esc(&s(&g["group"])),
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
    let name = s(&v["force"]);
    let t = &v["triage"];
    let mut b = format!("<h1>{}: overview</h1><div class=\"cards\">", esc(&name));
    b.push_str(&card("S&H reports", &v["incidents"]));
    b.push_str(&card("Courses of conduct", &v["courses"]));
    b.push_str(&card("Hidden repeats", &v["hidden_repeats"]));
    b.push_str(&card("Linked at the time", &v["linked_repeats"]));
    b.push_str(&card("Possible breaches", &v["possible_breaches"]));
    b.push_str(&card("Charged / outcomes", &serde_json::json!(format!("{} / {}", s(&v["charged"]), s(&v["outcomes_assigned"])))));
    b.push_str("</div><h2>Triage</h2><div class=\"cards\">");
    for p in ["urgent", "high", "review", "routine"] {
        let link = format!("<a class=\"p-{p}\" href=\"/triage?force={}&amp;priority={p}\">{p}</a>", url_part(&name));
        let _ = write!(b, "<div class=\"card\">{link}<b>{}</b></div>", esc(&s(&t[p])));
    }
    b.push_str("</div>");
    if let Some(h) = v["hidden_share"].as_f64() {
        let _ = write!(
            b,
            "<p class=\"note\">{:.0}% of this force's repeat reports were never linked to the earlier reports of their course when recorded.</p>",
            h * 100.0
        );
    }
    b.push_str("<h2>Trend</h2>");
    b.push_str(&trend_svg(v["quarters"].as_array().map_or(&[][..], |a| a)));
    b.push_str("<h2>Outcomes</h2>");
    b.push_str(&bars_svg(v["outcome_groups"].as_array().map_or(&[][..], |a| a)));
    page(&format!("{name} overview"), &ctx, &b)
}

fn pager(base: &str, v: &Json) -> String {
    let page = v["page"].as_u64().unwrap_or(1);
    let total = v["total"].as_u64().unwrap_or(0);
    let per = v["per_page"].as_u64().unwrap_or(50);
    let mut o = format!("<div class=\"pager\"><span>{total} in all; page {page} of {}</span>", total.div_ceil(per).max(1));
    if page > 1 {
        let _ = write!(o, "<a href=\"{base}page={}\">previous</a>", page - 1);
    }
    if v["next_page"].is_u64() {
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
        Ok(v) => serde_json::to_value(v).unwrap_or_default(),
        Err(e) => return error_page(Some(&ctx), e),
    };
    let force_name = s(&v["force"]);
    let mut b =
        format!("<h1>Triage{}</h1>", if force_name.is_empty() { ": all forces".to_string() } else { format!(": {}", esc(&force_name)) });
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
    for r in v["items"].as_array().into_iter().flatten() {
        let id = s(&r["course_id"]);
        let p = s(&r["priority"]);
        let reasons: String = r["reasons"].as_array().into_iter().flatten().map(|x| format!("<li>{}</li>", esc(&s(x)))).collect();
        let _ = write!(
            b,
            "<tr><td><a href=\"/courses/{}\">{}</a></td><td class=\"p-{p}\">{p}</td><td><ul class=\"reasons\">{reasons}</ul></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{} – {}</td><td>{}</td></tr>",
            url_part(&id),
            esc(&id),
            esc(&s(&r["reports"])),
            esc(&s(&r["hidden_repeats"])),
            esc(&s(&r["first_date"])),
            esc(&s(&r["last_date"])),
            esc(&r["forces"].as_array().into_iter().flatten().map(s).collect::<Vec<_>>().join(", "))
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
    b.push_str(&pager(&base, &v));
    page("Triage", &ctx, &b)
}

fn days(d: &str) -> Option<i32> {
    Date::parse(d).ok().map(|d| d.days_since_epoch())
}

/// The course's reports on a time axis, one lane per force, with order periods shaded.
fn timeline_svg(v: &Json) -> String {
    let reports = v["timeline"].as_array().cloned().unwrap_or_default();
    let orders = v["orders"].as_array().cloned().unwrap_or_default();
    let mut all: Vec<i32> = reports.iter().filter_map(|r| days(&s(&r["recorded_date"]))).collect();
    for o in &orders {
        all.extend(days(&s(&o["granted_date"])));
    }
    let (Some(&lo), Some(&hi)) = (all.iter().min(), all.iter().max()) else {
        return "<p class=\"muted\">No reports you may see.</p>".into();
    };
    let (lo, hi) = (lo - 14, (hi + 14).max(lo + 60));
    let mut lanes: Vec<String> = Vec::new();
    for r in &reports {
        let f = s(&r["force"]);
        if !lanes.contains(&f) {
            lanes.push(f);
        }
    }
    let (w, left, lane_h) = (900.0, 170.0, 46.0);
    let h = 40.0 + lane_h * lanes.len().max(1) as f64;
    let x = |d: i32| left + (d - lo) as f64 / (hi - lo) as f64 * (w - left - 20.0);
    let mut o = format!(
        "<svg id=\"timeline\" role=\"img\" aria-label=\"Time line of the course\" viewBox=\"0 0 {w} {h}\" width=\"100%\" style=\"max-width:{w}px;background:#fff\">"
    );
    for ord in &orders {
        let (Some(g), e) = (days(&s(&ord["granted_date"])), days(&s(&ord["expires_date"]))) else { continue };
        let e = e.unwrap_or(hi).min(hi);
        let _ = write!(
            o,
            "<rect class=\"order\" x=\"{:.1}\" y=\"20\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#f4c7c3\" opacity=\"0.6\"><title>{} {} in force {} – {}</title></rect>",
            x(g),
            (x(e) - x(g)).max(2.0),
            h - 40.0,
            esc(&s(&ord["order_type"])),
            esc(&s(&ord["order_ref"])),
            esc(&s(&ord["granted_date"])),
            esc(&s(&ord["expires_date"]))
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
    for r in &reports {
        let Some(d) = days(&s(&r["recorded_date"])) else { continue };
        let lane = lanes.iter().position(|l| *l == s(&r["force"])).unwrap_or(0);
        let y = 20.0 + lane_h * (lane as f64 + 0.5);
        let hidden = r["hidden_repeat"].as_bool() == Some(true);
        let breach = r["possible_breach"].as_bool() == Some(true);
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
            esc(&s(&r["recorded_date"])),
            esc(&s(&r["incident_ref"])),
            esc(&s(&r["offence_code"])),
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

fn held_elsewhere(v: &Json, what: &str) -> String {
    let list = v["held_elsewhere"].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        return String::new();
    }
    let mut b = format!(
        "<h2>Held by other forces</h2><p class=\"note\">Other forces hold matching {what}. You see them only as references until access is granted and recorded.</p><table><tr><th>Force</th><th>Reference</th><th class=\"n\">Count</th></tr>"
    );
    for e in list {
        let n = if e["reports"].is_null() { &e["records"] } else { &e["reports"] };
        let _ = write!(
            b,
            "<tr><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td></tr>",
            esc(&s(&e["force"])),
            esc(&s(&e["reference"])),
            esc(&s(n))
        );
    }
    b.push_str("</table>");
    b
}

fn person_link(id: &Json) -> String {
    let id = s(id);
    if id.is_empty() {
        "<span class=\"muted\">unknown</span>".into()
    } else {
        format!("<a href=\"/persons/{}\">{}</a>", url_part(&id), esc(&id))
    }
}

async fn course_page(State(state): State<Shared>, PageCtx(ctx): PageCtx, UrlPath(id): UrlPath<String>) -> Response {
    let (user, key, id2) = (ctx.user.clone(), state.key.clone(), id.clone());
    let v = match state.view(move |c| views::course(c, &user, &key, &id2)).await {
        Ok(v) => v,
        Err(e) => return error_page(Some(&ctx), e),
    };
    let p = s(&v["priority"]);
    let mut b = format!(
        "<h1>Course {} <span class=\"p-{p}\">{p}</span></h1><p>Victim {} · suspect {} · {} reports ({} hidden repeats) · {} – {} · {}</p>",
        esc(&s(&v["course_id"])),
        person_link(&v["victim"]),
        person_link(&v["suspect"]),
        esc(&s(&v["reports"])),
        esc(&s(&v["hidden_repeats"])),
        esc(&s(&v["first_date"])),
        esc(&s(&v["last_date"])),
        esc(&v["forces"].as_array().into_iter().flatten().map(s).collect::<Vec<_>>().join(", "))
    );
    b.push_str(&redirected(&v, "course"));
    let reasons: String = v["reasons"].as_array().into_iter().flatten().map(|x| format!("<li>{}</li>", esc(&s(x)))).collect();
    if !reasons.is_empty() {
        let _ = write!(b, "<h2>Why it is on the list</h2><ul class=\"reasons\">{reasons}</ul>");
    }
    b.push_str("<h2>Time line</h2>");
    b.push_str(&timeline_svg(&v));
    b.push_str("<h2>Reports</h2><table><tr><th>Recorded</th><th>Force</th><th>Reference</th><th>Offence</th><th>Flags</th><th>Outcome</th><th>Narrative</th></tr>");
    for r in v["timeline"].as_array().into_iter().flatten() {
        let mut flags = Vec::new();
        if r["hidden_repeat"].as_bool() == Some(true) {
            flags.push("hidden repeat".to_string());
        }
        if r["possible_breach"].as_bool() == Some(true) {
            flags.push("possible breach".to_string());
        }
        if r["domestic_abuse"].as_bool() == Some(true) {
            flags.push("domestic abuse".to_string());
        }
        if r["cyber"].as_bool() == Some(true) {
            flags.push("online".to_string());
        }
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s(&r["recorded_date"])),
            esc(&s(&r["force"])),
            esc(&s(&r["incident_ref"])),
            esc(&s(&r["offence_code"])),
            esc(&s(&r["offence_description"])),
            esc(&flags.join(", ")),
            esc(&s(&r["outcome_type"])),
            esc(&s(&r["narrative"]))
        );
    }
    b.push_str(
        "</table><h2>People named</h2><table><tr><th>Role</th><th>Person</th><th>Name</th><th>Date of birth</th><th>Reference</th></tr>",
    );
    for p in v["people"].as_array().into_iter().flatten() {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td></tr>",
            esc(&s(&p["role"])),
            person_link(&p["person_id"]),
            esc(&s(&p["forename"])),
            esc(&s(&p["surname"])),
            esc(&s(&p["date_of_birth"])),
            esc(&s(&p["incident_ref"]))
        );
    }
    b.push_str("</table>");
    let orders = v["orders"].as_array().cloned().unwrap_or_default();
    if !orders.is_empty() {
        b.push_str("<h2>Orders</h2><table><tr><th>Order</th><th>Type</th><th>Granted</th><th>Expires</th><th>Status</th></tr>");
        for o in orders {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&s(&o["order_ref"])),
                esc(&s(&o["order_type"])),
                esc(&s(&o["granted_date"])),
                esc(&s(&o["expires_date"])),
                esc(&s(&o["status"]))
            );
        }
        b.push_str("</table>");
    }
    b.push_str(&held_elsewhere(&v, "reports"));
    page(&format!("Course {}", s(&v["course_id"])), &ctx, &b)
}

fn waterfall_html(w: &Json) -> String {
    let mut b = format!(
        "<details><summary>{} against {}: match weight {:.2} (threshold {:.2}), probability {:.4}{}</summary><table><tr><th>Comparison</th><th>Level</th><th>Values</th><th class=\"n\">Weight</th><th class=\"n\">Running total</th></tr>",
        esc(&s(&w["b"])),
        esc(&s(&w["a"])),
        w["match_weight"].as_f64().unwrap_or(0.0),
        w["threshold"].as_f64().unwrap_or(0.0),
        w["probability"].as_f64().unwrap_or(0.0),
        if w["refused_by"].is_null() { String::new() } else { format!("; clustering refuses: {}", esc(&s(&w["refused_by"]))) }
    );
    let _ = write!(
        b,
        "<tr><td>prior</td><td></td><td></td><td class=\"n\">{:.2}</td><td class=\"n\">{:.2}</td></tr>",
        w["prior"].as_f64().unwrap_or(0.0),
        w["prior"].as_f64().unwrap_or(0.0)
    );
    for st in w["steps"].as_array().into_iter().flatten() {
        let weight = st["weight"].as_f64().unwrap_or(0.0) + st["tf_adjustment"].as_f64().unwrap_or(0.0);
        let vals = st["values"].as_array().map(|a| a.iter().map(s).collect::<Vec<_>>().join(" | ")).unwrap_or_default();
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{weight:+.2}</td><td class=\"n\">{:.2}</td></tr>",
            esc(&s(&st["comparison"])),
            esc(&s(&st["level"])),
            esc(&vals),
            st["cumulative"].as_f64().unwrap_or(0.0)
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
    let mut b = format!("<h1>Person {}</h1>", esc(&s(&v["person_id"])));
    b.push_str(&redirected(&v, "person"));
    let records = v["records"].as_array().cloned().unwrap_or_default();
    let _ = write!(b, "<p>{} records merged into this person that you may see.</p>", records.len());
    b.push_str("<table id=\"records\"><tr><th>Record</th><th>Force</th><th>Role</th><th>Name</th><th>Date of birth</th><th>Sex</th><th>Postcode</th><th>Phone</th><th>PNC</th><th>Incident</th></tr>");
    for r in &records {
        let name = [&r["forename"], &r["middle_names"], &r["surname"]]
            .iter()
            .map(|x| s(x))
            .filter(|x| !x.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s(&r["record_id"])),
            esc(&s(&r["force"])),
            esc(&s(&r["role"])),
            esc(&name),
            esc(&s(&r["date_of_birth"])),
            esc(&s(&r["sex"])),
            esc(&s(&r["postcode"])),
            esc(&s(&r["phone"])),
            esc(&s(&r["pnc_id"])),
            esc(&s(&r["incident_ref"]))
        );
    }
    b.push_str("</table>");
    let ex = v["explanations"].as_array().cloned().unwrap_or_default();
    if !ex.is_empty() {
        let _ = write!(
            b,
            "<h2>Why these records are one person</h2><p class=\"muted\">Each record compared with {}: each comparison's level and its weight (bits), under the published model.</p>",
            esc(&s(&v["explained_against"]))
        );
        for w in &ex {
            b.push_str(&waterfall_html(w));
        }
    }
    let courses = v["courses"].as_array().cloned().unwrap_or_default();
    if !courses.is_empty() {
        b.push_str("<h2>Courses of conduct</h2><table><tr><th>Course</th><th>As</th><th>Priority</th><th class=\"n\">Reports</th><th>First – latest</th></tr>");
        for c in courses {
            let id = s(&c["course_id"]);
            let _ = write!(
                b,
                "<tr><td><a href=\"/courses/{}\">{}</a></td><td>{}</td><td class=\"p-{}\">{}</td><td class=\"n\">{}</td><td>{} – {}</td></tr>",
                url_part(&id),
                esc(&id),
                esc(&s(&c["as"])),
                esc(&s(&c["priority"])),
                esc(&s(&c["priority"])),
                esc(&s(&c["reports"])),
                esc(&s(&c["first_date"])),
                esc(&s(&c["last_date"]))
            );
        }
        b.push_str("</table>");
    }
    b.push_str(&held_elsewhere(&v, "records"));
    page(&format!("Person {}", s(&v["person_id"])), &ctx, &b)
}

/// A note when the id asked for was retired by a later publication and led here.
fn redirected(v: &Json, what: &str) -> String {
    v["redirected_from"].as_str().map_or(String::new(), |from| {
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
            card("Rows read", &r["read"]),
            card("Accepted", &r["accepted"]),
            card("Rejected", &r["rejected"]),
            card("Warnings", &r["warnings"])
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
    let list = state.db(move |c| views::uploads(c, &user, None)).await.unwrap_or_default();
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
    for u in list["items"].as_array().into_iter().flatten() {
        let _ = write!(
            b,
            "<tr><td><a href=\"/imports/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s(&u["id"])),
            esc(&s(&u["id"])),
            esc(&s(&u["at"])),
            esc(&s(&u["username"])),
            esc(&s(&u["status"]))
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
    let v = match state.db(move |c| views::uploads(c, &user, Some(id))).await {
        Ok(v) => v,
        Err(e) => return error_page(Some(&ctx), e),
    };
    let status = s(&v["status"]);
    let mut b = format!("<h1>Upload {id}</h1><p id=\"status\">Status: <strong>{}</strong></p>", esc(&status));
    if status == "analysing" {
        b.push_str("<p class=\"note\">The export was accepted and is being analysed with every other export; this page shows the outcome when you reload it.</p>");
    }
    if let Some(m) = v["report"]["refused"].as_str() {
        let _ = write!(b, "<p class=\"err\">{}</p>", esc(m));
    }
    b.push_str(&report_html(&v["report"], Some(id)));
    page(&format!("Upload {id}"), &ctx, &b)
}

async fn national_page(State(state): State<Shared>, PageCtx(ctx): PageCtx) -> Response {
    let v = match state.db(views::national).await {
        Ok(v) => v,
        Err(e) => return error_page(Some(&ctx), e),
    };
    let mut b = format!(
        "<h1>National comparison</h1><p class=\"muted\">Published {}. Counts are of stalking and harassment reports in the exports imported; forces without an export are absent, not zero.</p>",
        esc(&s(&v["published_at"]))
    );
    b.push_str("<table id=\"national\"><tr><th>Force</th><th class=\"n\">Reports</th><th class=\"n\">Courses</th><th class=\"n\">Hidden repeats</th><th class=\"n\">Share of repeats hidden</th><th class=\"n\">Urgent</th><th class=\"n\">Possible breaches</th><th class=\"n\">Charge rate</th></tr>");
    for f in v["forces"].as_array().into_iter().flatten() {
        let name = s(&f["force"]);
        let pct = |x: &Json| x.as_f64().map_or("–".to_string(), |x| format!("{:.1}%", x * 100.0));
        let _ = write!(
            b,
            "<tr><td><a href=\"/forces/{}\">{}</a></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            url_part(&name),
            esc(&name),
            esc(&s(&f["incidents"])),
            esc(&s(&f["courses"])),
            esc(&s(&f["hidden_repeats"])),
            pct(&f["hidden_share"]),
            esc(&s(&f["triage"]["urgent"])),
            esc(&s(&f["possible_breaches"])),
            pct(&f["charge_rate"])
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
    for e in v["items"].as_array().into_iter().flatten() {
        let _ = write!(
            b,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s(&e["seq"])),
            esc(&s(&e["at"])),
            esc(&s(&e["actor"])),
            esc(&s(&e["action"])),
            esc(&s(&e["object"])),
            esc(&s(&e["force"])),
            esc(&s(&e["outcome"])),
            esc(&s(&e["detail"]))
        );
    }
    b.push_str("</table>");
    b.push_str(&pager("/audit?", &v));
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
