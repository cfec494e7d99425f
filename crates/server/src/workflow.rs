//! The review workflow: a force's analysts take courses, record what they decided, and see
//! what is new since; inspectors see how long urgent courses waited for their first review.
//!
//! Everything here is per force: a course held by two forces is worked by each force's team on
//! its own (an assignment, a review and "new since review" belong to one force's part). Only an
//! analyst acts, and only on a course their force holds; reviewers and administrators read the
//! history (a review's note only for forces whose identifiable data they may see). Every action
//! and every refusal is audited like a read.
//!
//! A review keeps what the course held when it was recorded (its reports and possible breaches,
//! every force's, as keys): "new since review" is the difference with what the course holds now,
//! computed when a course page is read and, for the triage list's filters, by every publication
//! ([`after_publication`]). A reviewed course with nothing new is *settled*: it leaves the open
//! list until something arrives. Ids are the published ones, which survive republication; when
//! a publication retires an id, the rows that named it move to its successor.

use std::collections::BTreeSet;

use conduct_domain::Force;
use serde::{Deserialize, Serialize};

use crate::auth::{Role, User};
use crate::db::{Conn, Value};
use crate::error::ApiError;
use crate::views::{Viewed, entry};
use conduct_store::Error as StoreError;

/// What a review decided: a short list a stalking team uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Nothing more to do on what is known.
    NoFurtherAction,
    /// Referred to the force's stalking team (or threat-assessment unit).
    ReferredToStalkingTeam,
    /// An S-DASH screening requested.
    SdashRequested,
    /// A stalking protection order considered.
    SpoConsidered,
    /// A safeguarding referral made.
    SafeguardingReferral,
    /// Something else, said in the note (a note is then required).
    Other,
}

impl Decision {
    /// Every decision, in the order forms offer them.
    pub const ALL: [Decision; 6] = [
        Decision::NoFurtherAction,
        Decision::ReferredToStalkingTeam,
        Decision::SdashRequested,
        Decision::SpoConsidered,
        Decision::SafeguardingReferral,
        Decision::Other,
    ];

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::NoFurtherAction => "no_further_action",
            Decision::ReferredToStalkingTeam => "referred_to_stalking_team",
            Decision::SdashRequested => "sdash_requested",
            Decision::SpoConsidered => "spo_considered",
            Decision::SafeguardingReferral => "safeguarding_referral",
            Decision::Other => "other",
        }
    }

    /// In words, for pages.
    pub fn label(self) -> &'static str {
        match self {
            Decision::NoFurtherAction => "No further action",
            Decision::ReferredToStalkingTeam => "Referred to the stalking team",
            Decision::SdashRequested => "S-DASH requested",
            Decision::SpoConsidered => "SPO considered",
            Decision::SafeguardingReferral => "Safeguarding referral",
            Decision::Other => "Other (see note)",
        }
    }

    /// Parses the stored word.
    pub fn parse(s: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.as_str() == s.trim())
    }
}

/// The longest note a review keeps.
pub const MAX_NOTE_CHARS: usize = 4000;

/// What a course holds: its reports and its reports that may breach an order, every force's,
/// each as `force/incident_ref`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Content {
    /// Reports.
    pub reports: BTreeSet<String>,
    /// Reports that may breach an order.
    pub breaches: BTreeSet<String>,
}

/// The key of a report in [`Content`].
pub fn report_key(force: &str, incident_ref: &str) -> String {
    format!("{force}/{incident_ref}")
}

impl Content {
    /// What the published tables hold for `course_id` now.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] when a query fails.
    pub fn published(c: &mut Conn, course_id: &str) -> Result<Content, StoreError> {
        let mut content = Content::default();
        for r in c.query("SELECT force, incident_ref FROM course_incidents WHERE course_id = ?", &[course_id.into()])? {
            content.reports.insert(report_key(&r[0].text(), &r[1].text()));
        }
        for r in c.query("SELECT force, incident_ref FROM breaches WHERE course_id = ?", &[course_id.into()])? {
            content.breaches.insert(report_key(&r[0].text(), &r[1].text()));
        }
        Ok(content)
    }
}

/// What a course gained since a force's latest review of it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SinceReview {
    /// New reports recorded by the reviewing force.
    pub reports: u64,
    /// New reports (any force's) that may breach an order.
    pub possible_breaches: u64,
    /// New reports recorded by other forces (a new cross-force match).
    pub other_forces_reports: u64,
}

impl SinceReview {
    /// What `now` holds beyond `then`, as seen by `force`'s team.
    pub fn between(then: &Content, now: &Content, force: &str) -> SinceReview {
        let prefix = format!("{force}/");
        let mut s = SinceReview::default();
        for r in now.reports.difference(&then.reports) {
            if r.starts_with(&prefix) {
                s.reports += 1;
            } else {
                s.other_forces_reports += 1;
            }
        }
        s.possible_breaches = now.breaches.difference(&then.breaches).count() as u64;
        s
    }

    /// Whether nothing is new.
    pub fn is_empty(&self) -> bool {
        *self == SinceReview::default()
    }

    /// In words: "2 reports, 1 a possible breach; 1 report from another force".
    pub fn in_words(&self) -> String {
        fn n(k: u64, one: &str, many: &str) -> String {
            format!("{k} {}", if k == 1 { one } else { many })
        }
        let mut parts = Vec::new();
        if self.reports > 0 {
            let mut p = n(self.reports, "report", "reports");
            if self.possible_breaches > 0 {
                p.push_str(&format!(", {} a possible breach", self.possible_breaches));
            }
            parts.push(p);
        } else if self.possible_breaches > 0 {
            parts.push(n(self.possible_breaches, "possible breach", "possible breaches"));
        }
        if self.other_forces_reports > 0 {
            parts.push(n(self.other_forces_reports, "report from another force", "reports from other forces"));
        }
        if parts.is_empty() { "nothing".to_string() } else { parts.join("; ") }
    }
}

/// A recorded review, as its reader may see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewEntry {
    /// Its number.
    pub id: i64,
    /// The force whose team recorded it.
    pub force: String,
    /// Who recorded it.
    pub reviewer: String,
    /// When (UTC).
    pub at: String,
    /// What was decided.
    pub decision: Decision,
    /// The decision in words.
    pub decision_label: &'static str,
    /// The note; null when the reader may not see that force's identifiable data.
    pub note: Option<String>,
    /// The course id it was recorded under, when that id has since been retired into this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_as: Option<String>,
}

/// A course's workflow as its reader sees it (part of the course page).
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct CourseWorkflow {
    /// The reader's force, whose part of the course they work (null for readers without one).
    pub force: Option<String>,
    /// Who in that force has the course; null when nobody.
    pub assigned_to: Option<String>,
    /// Whether the reader may assign and review it (an analyst of a force holding it).
    pub may_act: bool,
    /// Analysts of the reader's force it may be assigned to (only when the reader may act).
    pub colleagues: Vec<String>,
    /// What the course gained since the reader's force last reviewed it (null: never reviewed).
    pub since_review: Option<SinceReview>,
    /// `since_review` in words, e.g. "new since review: 2 reports, 1 a possible breach".
    pub since_review_words: Option<String>,
    /// Reviews of every force holding it, newest first.
    pub reviews: Vec<ReviewEntry>,
}

/// The course `id` (following a retired id) and the forces holding it, or not found.
fn course_forces(c: &mut Conn, id: &str) -> Result<(String, Vec<String>), ApiError> {
    let found = crate::views::following(c, id, |c, id| {
        Ok(c.query_one("SELECT forces FROM courses WHERE course_id = ?", &[id.into()])?.map(|r| r[0].text()))
    })?;
    let (forces, id) = found.ok_or_else(|| ApiError::not_found(format!("no course {id}")))?;
    Ok((id, forces.split(';').filter(|f| !f.is_empty()).map(str::to_string).collect()))
}

/// The force an action on course `id` is taken for: the analyst's own, which must hold it.
fn acting_force(c: &mut Conn, user: &User, action: &str, id: &str) -> Result<(String, Force), ApiError> {
    let (id, forces) = course_forces(c, id)?;
    let object = format!("course/{id}");
    let refuse = |why: &str, force: &str| ApiError::forbidden(why.to_string()).audited(entry(user, action, &object, force, "denied", why));
    let own = match (user.role, user.force) {
        (Role::Analyst, Some(f)) => f,
        _ => return Err(refuse("only a force's analysts assign and review its courses", &forces.join(";"))),
    };
    if !forces.iter().any(|f| f == own.name()) {
        return Err(refuse("this course holds no report of your force", &forces.join(";")));
    }
    Ok((id, own))
}

/// Assigns course `id` (its part in the analyst's force) to `assignee`: "me", a colleague's
/// username, or "" to take it off anyone's list.
/// Gives the current course id and the analyst who has it now.
///
/// # Errors
///
/// [`ApiError`] 404 when there is no such course; 403 (audited) when the user is not an analyst of
/// a force holding it; 400 (audited) when the assignee is not an analyst of that force; 500 when
/// the database fails.
pub fn assign(c: &mut Conn, user: &User, id: &str, assignee: &str) -> Viewed<(String, Option<String>)> {
    let (id, force) = acting_force(c, user, "assign", id)?;
    let object = format!("course/{id}");
    let assignee = match assignee.trim() {
        "" => None,
        "me" => Some(user.username.clone()),
        name => Some(name.to_string()),
    };
    if let Some(name) = &assignee {
        let ok = c
            .query_one(
                "SELECT 1 FROM users WHERE username = ? AND role = 'analyst' AND force = ? AND disabled = 0",
                &[name.into(), force.name().into()],
            )?
            .is_some();
        if !ok {
            let why = "a course is assigned to an analyst of your own force";
            return Err(ApiError::bad_request(why).audited(entry(user, "assign", &object, force.name(), "denied", why)));
        }
    }
    let now = crate::audit::now();
    c.transaction(|c| -> Result<(), StoreError> {
        c.execute("DELETE FROM assignments WHERE force = ? AND course_id = ?", &[force.name().into(), id.as_str().into()])?;
        if let Some(name) = &assignee {
            c.execute(
                "INSERT INTO assignments (force, course_id, assignee, assigned_by, assigned_at) VALUES (?, ?, ?, ?, ?)",
                &[force.name().into(), id.as_str().into(), name.into(), user.username.as_str().into(), now.as_str().into()],
            )?;
        }
        bump_workflow_version(c)
    })?;
    let detail = assignee.as_deref().map_or_else(|| "unassigned".to_string(), |n| format!("to {n}"));
    Ok(((id, assignee), vec![entry(user, "assign", &object, force.name(), "allowed", &detail)]))
}

/// Records a review of course `id` by the analyst's force: the decision, a note, and what the
/// course holds now (so that what arrives later shows as new).
///
/// # Errors
///
/// [`ApiError`] 404 and 403 as [`assign`]; 400 (audited) when the note is too long, or missing
/// for the decision "other"; 500 when the database fails.
pub fn record_review(c: &mut Conn, user: &User, id: &str, decision: Decision, note: &str) -> Viewed<ReviewEntry> {
    let (id, force) = acting_force(c, user, "review", id)?;
    let object = format!("course/{id}");
    let note = note.trim();
    let bad = |why: String| ApiError::bad_request(why.clone()).audited(entry(user, "review", &object, force.name(), "denied", &why));
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(bad(format!("a review's note is at most {MAX_NOTE_CHARS} characters")));
    }
    if decision == Decision::Other && note.is_empty() {
        return Err(bad("a review decided as \"other\" needs a note saying what".into()));
    }
    let at = crate::audit::now();
    let review = c.transaction(|c| -> Result<i64, crate::error::Error> {
        if c.is_postgres() {
            // Reviews are numbered in order: one writer at a time (SQLite has only one).
            c.batch("SELECT pg_advisory_xact_lock(7270113)")?;
        }
        let content = Content::published(c, &id)?;
        let snapshot = serde_json::to_string(&content).map_err(|e| {
            crate::error::Error::caused(crate::error::ErrorKind::Internal, format!("a review's snapshot could not be written as JSON: {e}"), e)
        })?;
        let next = c.query_one("SELECT coalesce(max(id), 0) + 1 FROM reviews", &[])?.and_then(|r| r[0].int()).unwrap_or(1);
        let publication = c
            .query_one("SELECT value FROM meta WHERE key = 'publication'", &[])?
            .and_then(|r| r[0].text().parse::<i64>().ok())
            .unwrap_or(0);
        c.execute(
            "INSERT INTO reviews (id, force, course_id, recorded_as, reviewer, at, publication, decision, note, snapshot) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                next.into(),
                force.name().into(),
                id.as_str().into(),
                id.as_str().into(),
                user.username.as_str().into(),
                at.as_str().into(),
                publication.into(),
                decision.as_str().into(),
                note.into(),
                snapshot.into(),
            ],
        )?;
        c.execute("DELETE FROM review_state WHERE force = ? AND course_id = ?", &[force.name().into(), id.as_str().into()])?;
        c.execute(
            "INSERT INTO review_state (force, course_id, review_id, settled, new_reports, new_breaches, new_cross_force) VALUES (?, ?, ?, 1, 0, 0, 0)",
            &[force.name().into(), id.as_str().into(), next.into()],
        )?;
        c.execute(
            "UPDATE urgent_courses SET first_review_at = ?, first_decision = ? WHERE force = ? AND course_id = ? AND first_review_at IS NULL",
            &[at.as_str().into(), decision.as_str().into(), force.name().into(), id.as_str().into()],
        )?;
        bump_workflow_version(c)?;
        Ok(next)
    })?;
    let v = ReviewEntry {
        id: review,
        force: force.name().to_string(),
        reviewer: user.username.clone(),
        at,
        decision,
        decision_label: decision.label(),
        note: Some(note.to_string()),
        recorded_as: None,
    };
    Ok((v, vec![entry(user, "review", &object, force.name(), "allowed", decision.as_str())]))
}

/// The workflow part of course `id`'s page for `user` (the id is the current one), whose page
/// has read what the course holds (`now`) and its reviews (`review_rows`, in any order, each
/// `id, force, reviewer, at, decision, note, recorded_as, snapshot` of the table `reviews`:
/// read with the rest of the course, on PostgreSQL in the same statement). `visible`: whether
/// the reader may see a force's identifiable data (review notes).
///
/// # Errors
///
/// [`ApiError`] 500 when the database fails.
pub fn of_course(
    c: &mut Conn,
    user: &User,
    id: &str,
    forces: &[String],
    now: &Content,
    review_rows: Vec<Vec<Value>>,
    visible: impl Fn(&str) -> bool,
) -> Result<CourseWorkflow, ApiError> {
    let mut w = CourseWorkflow::default();
    let mut reviews = Vec::new();
    // An analyst's page also shows who in their force has the course and, when they may act
    // on it, to whom they may give it: read in one round trip (rows of kind 1 and 2).
    let own = match (user.role, user.force) {
        (Role::Analyst, Some(own)) => Some(own.name()),
        _ => None,
    };
    let may_act = own.is_some_and(|own| forces.iter().any(|f| f == own));
    if let Some(own) = own {
        let assignee = "SELECT 1, assignee FROM assignments WHERE force = CAST(? AS TEXT) AND course_id = CAST(? AS TEXT)";
        let colleagues = "SELECT 2, username FROM users WHERE role = 'analyst' AND force = CAST(? AS TEXT) AND disabled = 0";
        let mut params: Vec<Value> = vec![own.into(), id.into()];
        let mut sql = assignee.to_string();
        if may_act {
            sql.push_str(" UNION ALL ");
            sql.push_str(colleagues);
            params.push(own.into());
        }
        sql.push_str(" ORDER BY 1, 2");
        for r in c.query(&sql, &params)? {
            match r[0].int() {
                Some(1) => w.assigned_to = Some(r[1].text()),
                _ => w.colleagues.push(r[1].text()),
            }
        }
    }
    for r in review_rows {
        let Some(decision) = Decision::parse(&r[4].text()) else { continue };
        let force = r[1].text();
        let recorded_as = r[6].text();
        reviews.push((
            ReviewEntry {
                id: r[0].int().unwrap_or(0),
                note: visible(&force).then(|| r[5].text()),
                force,
                reviewer: r[2].text(),
                at: r[3].text(),
                decision,
                decision_label: decision.label(),
                recorded_as: (recorded_as != id).then_some(recorded_as),
            },
            r[7].text(),
        ));
    }
    // Newest first.
    reviews.sort_by_key(|(r, _)| std::cmp::Reverse(r.id));
    if let Some(own) = own {
        w.force = Some(own.to_string());
        w.may_act = may_act;
        if let Some((_, snapshot)) = reviews.iter().find(|(r, _)| r.force == own) {
            let then: Content = serde_json::from_str(snapshot).unwrap_or_default();
            let since = SinceReview::between(&then, now, own);
            w.since_review_words = (!since.is_empty()).then(|| format!("new since review: {}", since.in_words()));
            w.since_review = Some(since);
        }
    }
    w.reviews = reviews.into_iter().map(|(r, _)| r).collect();
    Ok(w)
}

/// The key in `meta` of the review workflow's version: a number raised by every change of who
/// has a course or of what its reviews say (an assignment, a review; a publication, which
/// recomputes what is new since each review), in the transaction that makes the change. A
/// server that keeps what it read of the workflow (the triage list's settled courses and each
/// force's assignments and reviews, see [`crate::views::Totals`]) reads it again when the
/// number has moved, whichever server process sharing the database made the change.
pub const WORKFLOW_VERSION_KEY: &str = "workflow_version";

/// Raises the workflow's version ([`WORKFLOW_VERSION_KEY`]); called last in the transaction of
/// every assignment, review and publication (last, so that the row's lock is held briefly).
///
/// # Errors
///
/// A [`StoreError`] when the statement fails.
pub fn bump_workflow_version(c: &mut Conn) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO meta (key, value) VALUES (?, '1') \
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)",
        &[WORKFLOW_VERSION_KEY.into()],
    )?;
    Ok(())
}

/// Rolls `user`'s last visit forward to the current publication, and gives the publication
/// they had seen before it: "new since my last visit" is what changed after that one.
///
/// # Errors
///
/// A [`StoreError`] when a query fails; otherwise as [`visit_at`].
pub fn visit(c: &mut Conn, user: &User) -> Result<i64, StoreError> {
    let current =
        c.query_one("SELECT value FROM meta WHERE key = 'publication'", &[])?.and_then(|r| r[0].text().parse::<i64>().ok()).unwrap_or(0);
    let seen = c.query_one("SELECT seen, previous FROM visits WHERE user_id = ?", &[user.id.into()])?;
    let seen = seen.map(|r| (r[0].int().unwrap_or(0), r[1].int().unwrap_or(0)));
    visit_at(c, user, current, seen)
}

/// As [`visit`], with the current publication and the user's visit row (seen, previous) read
/// already (by [`crate::views::ReadState`], in the same round trip as the rest of a list's
/// state): writes only when the visit rolls forward, once per publication.
///
/// # Errors
///
/// A [`StoreError`] when the visit row cannot be written.
pub fn visit_at(c: &mut Conn, user: &User, current: i64, row: Option<(i64, i64)>) -> Result<i64, StoreError> {
    match row {
        Some((seen, previous)) => {
            if seen < current {
                c.execute("UPDATE visits SET seen = ?, previous = ? WHERE user_id = ?", &[current.into(), seen.into(), user.id.into()])?;
                Ok(seen)
            } else {
                Ok(previous)
            }
        }
        None => {
            c.execute(
                "INSERT INTO visits (user_id, seen, previous) VALUES (?, ?, 0) ON CONFLICT (user_id) DO NOTHING",
                &[user.id.into(), current.into()],
            )?;
            Ok(0)
        }
    }
}

/// After a publication's tables are in place, within its commit: rows naming a retired course
/// id move to its successor; each force's part of a course that is urgent now and never was
/// is marked urgent since `now`; and what each force's latest review misses is recomputed
/// from `content_of` (the new publication's content of a course id; `None` when it has none).
///
/// # Errors
///
/// A [`StoreError`] when a statement fails.
pub fn after_publication(
    c: &mut Conn,
    retired: &[(String, String)],
    urgent: &[(String, String)],
    now: &str,
    content_of: &dyn Fn(&str) -> Option<Content>,
) -> Result<(), StoreError> {
    for (old, new) in retired {
        c.execute("UPDATE reviews SET course_id = ? WHERE course_id = ?", &[new.into(), old.into()])?;
        for table in ["assignments", "urgent_courses"] {
            // Where the successor has its own row, it stands; otherwise the old one moves.
            c.execute(
                &format!(
                    "UPDATE {table} SET course_id = ? WHERE course_id = ? AND NOT EXISTS \
                     (SELECT 1 FROM {table} t WHERE t.force = {table}.force AND t.course_id = ?)"
                ),
                &[new.into(), old.into(), new.into()],
            )?;
            c.execute(&format!("DELETE FROM {table} WHERE course_id = ?"), &[old.into()])?;
        }
    }
    for (force, course) in urgent {
        c.execute(
            "INSERT INTO urgent_courses (force, course_id, since) VALUES (?, ?, ?) ON CONFLICT (force, course_id) DO NOTHING",
            &[force.into(), course.into(), now.into()],
        )?;
    }
    let latest = c.query(
        "SELECT r.id, r.force, r.course_id, r.snapshot FROM reviews r \
         WHERE r.id = (SELECT max(x.id) FROM reviews x WHERE x.force = r.force AND x.course_id = r.course_id)",
        &[],
    )?;
    c.execute("DELETE FROM review_state", &[])?;
    for r in latest {
        let (force, course) = (r[1].text(), r[2].text());
        let Some(now) = content_of(&course) else { continue };
        let then: Content = serde_json::from_str(&r[3].text()).unwrap_or_default();
        let s = SinceReview::between(&then, &now, &force);
        c.execute(
            "INSERT INTO review_state (force, course_id, review_id, settled, new_reports, new_breaches, new_cross_force) VALUES (?, ?, ?, ?, ?, ?, ?)",
            &[
                force.into(),
                course.into(),
                r[0].clone(),
                s.is_empty().into(),
                (s.reports as i64).into(),
                (s.possible_breaches as i64).into(),
                (s.other_forces_reports as i64).into(),
            ],
        )?;
    }
    bump_workflow_version(c)
}

/// How long one force's urgent courses waited for their first review.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewTimes {
    /// Parts of courses that have turned urgent in this force since the dashboard kept count.
    pub urgent: u64,
    /// Of those, reviewed since.
    pub reviewed: u64,
    /// Reviewed within 7 days of turning urgent.
    pub within_7_days: u64,
    /// Median hours from turning urgent to the first review, over those reviewed.
    pub median_hours: Option<f64>,
    /// Not yet reviewed.
    pub waiting: u64,
    /// Hours the longest-waiting of those has waited.
    pub longest_wait_hours: Option<f64>,
}

/// Seconds since the epoch of a stored time (`2026-12-02T10:00:00.000Z`).
fn seconds(t: &str) -> Option<i64> {
    let date = conduct_domain::Date::parse(t.get(..10)?).ok()?;
    let h: i64 = t.get(11..13)?.parse().ok()?;
    let m: i64 = t.get(14..16)?.parse().ok()?;
    let s: i64 = t.get(17..19)?.parse().ok()?;
    Some(i64::from(date.days_since_epoch()) * 86_400 + h * 3600 + m * 60 + s)
}

/// Hours from `since` to `until`.
fn hours(since: &str, until: &str) -> Option<f64> {
    Some((seconds(until)? - seconds(since)?) as f64 / 3600.0)
}

/// One force's part of a course that turned urgent: when, and its first review after.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UrgentCourse {
    /// The force.
    pub force: String,
    /// The course.
    pub course_id: String,
    /// When a publication first put it at urgent (UTC).
    pub urgent_since: String,
    /// Its first review after that (UTC), if any.
    pub first_review_at: Option<String>,
    /// Hours from turning urgent to that review.
    pub hours_to_first_review: Option<f64>,
    /// What that review decided.
    pub first_decision: Option<String>,
}

/// Every urgent course part of `force` (every force's when `None`), oldest first.
///
/// # Errors
///
/// A [`StoreError`] when the query fails.
pub fn urgent_courses(c: &mut Conn, force: Option<&str>) -> Result<Vec<UrgentCourse>, StoreError> {
    let (sql, params): (&str, Vec<Value>) = match force {
        Some(f) => (
            // In a CAST: bare, SQLite (STAT4) prepared the statement again on every page.
            "SELECT force, course_id, since, first_review_at, first_decision FROM urgent_courses WHERE force = CAST(? AS TEXT) ORDER BY since, course_id",
            vec![f.into()],
        ),
        None => {
            ("SELECT force, course_id, since, first_review_at, first_decision FROM urgent_courses ORDER BY force, since, course_id", vec![])
        }
    };
    Ok(c.query(sql, &params)?
        .iter()
        .map(|r| {
            let first = (!matches!(r[3], Value::Null)).then(|| r[3].text());
            UrgentCourse {
                force: r[0].text(),
                course_id: r[1].text(),
                hours_to_first_review: first.as_deref().and_then(|f| hours(&r[2].text(), f)),
                urgent_since: r[2].text(),
                first_review_at: first,
                first_decision: (!matches!(r[4], Value::Null)).then(|| r[4].text()),
            }
        })
        .collect())
}

/// The figures of [`ReviewTimes`] over `rows`, waits measured up to `now`.
pub fn review_times(rows: &[UrgentCourse], now: &str) -> ReviewTimes {
    let mut t = ReviewTimes { urgent: rows.len() as u64, ..ReviewTimes::default() };
    let mut waits: Vec<f64> = rows.iter().filter_map(|r| r.hours_to_first_review).collect();
    t.reviewed = rows.iter().filter(|r| r.first_review_at.is_some()).count() as u64;
    t.within_7_days = waits.iter().filter(|&&h| h <= 7.0 * 24.0).count() as u64;
    waits.sort_by(f64::total_cmp);
    t.median_hours = match waits.len() {
        0 => None,
        n if n % 2 == 1 => Some(waits[n / 2]),
        n => Some((waits[n / 2 - 1] + waits[n / 2]) / 2.0),
    };
    t.waiting = t.urgent - t.reviewed;
    t.longest_wait_hours = rows.iter().filter(|r| r.first_review_at.is_none()).filter_map(|r| hours(&r.urgent_since, now)).reduce(f64::max);
    t
}

/// The urgent course parts of the forces `user` may list, as CSV for inspectors.
///
/// # Errors
///
/// [`ApiError`] 400 when the force is unknown; 403 when an analyst's account has no force, or
/// (audited) they ask for another force; 500 when the database fails or the CSV cannot be written.
pub fn review_times_csv(c: &mut Conn, user: &User, force: Option<&str>) -> Viewed<Vec<u8>> {
    let asked = match force.map(str::trim).filter(|s| !s.is_empty()) {
        Some(name) => Some(Force::resolve(name).map_err(|_| ApiError::bad_request(format!("unknown force {name:?}")))?),
        None => None,
    };
    let scope = match user.role {
        Role::Analyst => {
            let own = user.force.ok_or_else(|| ApiError::forbidden("your account has no force"))?;
            if let Some(a) = asked.filter(|a| *a != own) {
                let why = "you may list your own force's courses only";
                return Err(ApiError::forbidden(why).audited(entry(user, "read", "review-times", a.name(), "denied", why)));
            }
            Some(own)
        }
        _ => asked,
    };
    let rows = urgent_courses(c, scope.map(|f| f.name()))?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| ApiError::internal(e.to_string());
    w.write_record(["force", "course_id", "urgent_since", "first_review_at", "hours_to_first_review", "first_decision"]).map_err(io)?;
    for r in &rows {
        w.write_record([
            r.force.as_str(),
            &r.course_id,
            &r.urgent_since,
            r.first_review_at.as_deref().unwrap_or(""),
            &r.hours_to_first_review.map(|h| format!("{h:.1}")).unwrap_or_default(),
            r.first_decision.as_deref().unwrap_or(""),
        ])
        .map_err(io)?;
    }
    let bytes = w.into_inner().map_err(|e| ApiError::internal(e.to_string()))?;
    let fname = scope.map_or("-", |f| f.name());
    Ok((bytes, vec![entry(user, "read", "review-times", fname, "allowed", &format!("{} urgent courses", rows.len()))]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(reports: &[&str], breaches: &[&str]) -> Content {
        Content { reports: reports.iter().map(|s| s.to_string()).collect(), breaches: breaches.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn what_is_new_since_a_review_is_counted_for_the_reviewing_force() {
        let then = content(&["Kent/1", "Kent/2"], &[]);
        let now = content(&["Kent/1", "Kent/2", "Kent/3", "Kent/4", "Essex/9"], &["Kent/4"]);
        let s = SinceReview::between(&then, &now, "Kent");
        assert_eq!(s, SinceReview { reports: 2, possible_breaches: 1, other_forces_reports: 1 });
        assert_eq!(s.in_words(), "2 reports, 1 a possible breach; 1 report from another force");
        // A force whose name starts like another's is not mistaken for it.
        let s = SinceReview::between(&content(&[], &[]), &content(&["Kent/1"], &[]), "Ken");
        assert_eq!(s.other_forces_reports, 1);
        assert!(SinceReview::between(&now, &now, "Kent").is_empty());
    }

    #[test]
    fn review_times_take_the_median_and_the_longest_wait() {
        let row = |since: &str, first: Option<&str>| UrgentCourse {
            force: "Kent".into(),
            course_id: "C1".into(),
            urgent_since: since.into(),
            first_review_at: first.map(str::to_string),
            hours_to_first_review: first.and_then(|f| hours(since, f)),
            first_decision: None,
        };
        let rows = [
            row("2026-12-01T00:00:00.000Z", Some("2026-12-01T02:00:00.000Z")),
            row("2026-12-01T00:00:00.000Z", Some("2026-12-01T06:00:00.000Z")),
            row("2026-11-01T00:00:00.000Z", Some("2026-11-15T00:00:00.000Z")),
            row("2026-11-30T00:00:00.000Z", None),
        ];
        let t = review_times(&rows, "2026-12-02T00:00:00.000Z");
        assert_eq!((t.urgent, t.reviewed, t.within_7_days, t.waiting), (4, 3, 2, 1));
        assert_eq!(t.median_hours, Some(6.0));
        assert_eq!(t.longest_wait_hours, Some(48.0));
    }

    #[test]
    fn decisions_read_back() {
        for d in Decision::ALL {
            assert_eq!(Decision::parse(d.as_str()), Some(d));
        }
        assert_eq!(Decision::parse("closed"), None);
    }
}
