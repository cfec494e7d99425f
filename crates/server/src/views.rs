//! What each page and API call shows, decided once for both: the queries, the access rule
//! applied to every row (identifiable for forces the user may see, a pseudonymous reference
//! otherwise), and the audit entries the read must leave.
//!
//! Each view is a typed value ([`TriagePage`], [`CoursePage`], [`PersonPage`],
//! [`ForceOverview`], [`National`], [`AuditPage`], [`UploadList`], [`Upload`]): the API
//! serialises it as its JSON answer, and the dashboard's pages read its fields. The field names
//! are the JSON's; an `Option` is `null` when empty unless it says it is left out.

use conduct_domain::{Force, Role as PersonRole};
use conduct_ingest::Involvement;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::audit::Entry;
use crate::auth::{Access, Role, User, pseudonym};
use crate::db::{Conn, Value};
use crate::error::{ApiError, Error, ErrorKind};
use conduct_store::Error as StoreError;

/// A view and the audit entries reading it leaves.
pub type Viewed<T> = Result<(T, Vec<Entry>), ApiError>;

/// An audit entry of `user`'s.
pub(crate) fn entry(user: &User, action: &str, object: &str, force: &str, outcome: &str, detail: &str) -> Entry {
    Entry {
        actor: user.username.clone(),
        action: action.into(),
        object: object.into(),
        force: force.into(),
        outcome: outcome.into(),
        detail: detail.into(),
    }
}

fn force_of(name: &str) -> Option<Force> {
    Force::resolve(name).ok()
}

fn split(s: &str) -> Vec<String> {
    s.split(';').filter(|x| !x.is_empty()).map(str::to_string).collect()
}

fn refused(user: &User, object: &str, forces: &str) -> ApiError {
    ApiError::forbidden("this belongs to another force: you may see your own force's records only").audited(entry(
        user,
        "read",
        object,
        forces,
        "denied",
        "no access to any force holding it",
    ))
}

/// Query of the triage list.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TriageQuery {
    /// Force (analysts: their own, whatever is asked).
    pub force: Option<String>,
    /// urgent, high, review or routine.
    #[param(pattern = "^(urgent|high|review|routine)$")]
    pub priority: Option<String>,
    /// Only courses to review as stalking.
    #[param(value_type = Option<bool>)]
    pub stalking: Option<String>,
    /// Only courses crossing forces.
    #[param(value_type = Option<bool>)]
    pub cross_force: Option<String>,
    /// Only courses with a possible breach.
    #[param(value_type = Option<bool>)]
    pub breach: Option<String>,
    /// Only courses with hidden repeats.
    #[param(value_type = Option<bool>)]
    pub hidden: Option<String>,
    /// Only courses with a report recorded under another crime, with stalking or harassment
    /// only as a secondary offence code.
    #[param(value_type = Option<bool>)]
    pub secondary: Option<String>,
    /// open (default: not reviewed, or something new since the force's latest review),
    /// reviewed (reviewed and nothing new since) or all.
    #[param(pattern = "^(open|reviewed|all)$")]
    pub state: Option<String>,
    /// Only courses assigned to: `me`, `none` (nobody), or a username.
    pub assigned: Option<String>,
    /// Only courses that gained a report after the last publication the user had seen when
    /// they last opened the list ("new since my last visit").
    #[param(value_type = Option<bool>)]
    pub new_since_visit: Option<String>,
    /// rank (default), recent or reports.
    #[param(pattern = "^(rank|recent|reports)$")]
    pub sort: Option<String>,
    /// 1-based page (at most 10,000,000).
    #[param(minimum = 1, maximum = 10_000_000)]
    pub page: Option<u64>,
    /// Rows per page (at most 200).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

fn flag(s: &Option<String>) -> bool {
    matches!(s.as_deref().map(str::trim), Some("1" | "true" | "yes" | "on"))
}

/// The highest page number a list accepts: far past the end of any list (10M pages of up to
/// 200 rows), and small enough that its first row's position fits the databases' integers.
pub const MAX_PAGE: u64 = 10_000_000;

/// Page number and size, bounded; a page number past [`MAX_PAGE`] is refused.
///
/// # Errors
///
/// [`ApiError`] 400 when `page` is past [`MAX_PAGE`].
pub fn paging(page: Option<u64>, per_page: Option<u64>) -> Result<(u64, u64), ApiError> {
    let page = page.unwrap_or(1).max(1);
    if page > MAX_PAGE {
        return Err(ApiError::bad_request(format!("page is at most {MAX_PAGE}")));
    }
    Ok((page, per_page.unwrap_or(50).clamp(1, 200)))
}

/// Totals of list queries, kept until the next publication: a publication is the only thing
/// that changes them, and counting a large force's courses on every page costs more than the
/// page itself. Also what the lists show of the review workflow (each scope's settled courses,
/// each force's assignments and reviews), kept until the next assignment, review or
/// publication (`ReadState::workflow_key`); and the courses' display columns, kept until the
/// next publication, so that a list page reads only its rows' ids from the database.
#[derive(Default)]
pub struct Totals {
    map: std::sync::Mutex<std::collections::HashMap<String, i64>>,
    positions: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<Vec<i64>>>>,
    settled: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<Settled>>>,
    any_settled: std::sync::Mutex<std::collections::HashMap<String, bool>>,
    workflow: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<ForceWorkflow>>>,
    courses: std::sync::Mutex<KeptCourses>,
    lists: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<ListRows>>>,
    /// Per list (as [`Totals::list`] keys them), held while its rows are read, so that the
    /// clients asking for them at once after a publication wait for one read instead of each
    /// making their own, and a slow list (all forces') keeps no other list waiting.
    reading_list: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<std::sync::Mutex<()>>>>,
}

/// How many courses' rows [`Totals`] keeps at once (past that, all are dropped and read again
/// as pages ask for them): the 1M-incident world has about 123,000 courses, each kept as its
/// row's JSON, a few hundred bytes (the server held 236-241 MB after reading them all, against
/// 203-208 MB when they were kept as typed columns).
const KEPT_COURSES: usize = 250_000;

/// The triage list's display columns of the courses pages have shown, kept for one
/// publication: a publication is the only thing that changes a course's row, and every list
/// read learns the current publication first ([`ReadState`]), so a publication made through any
/// server sharing the database empties them at the next read.
#[derive(Default)]
struct KeptCourses {
    /// The publication (number, time) they were read in.
    publication: (i64, String),
    rows: std::collections::HashMap<String, std::sync::Arc<KeptCourse>>,
}

/// One course's row on the triage list as JSON, as `courses` holds it: written once, when
/// the course is first read in a publication, by [`TriageRow`]'s own `Serialize`, and kept in
/// two parts around `reports_in_force` (which differs between a force's list and all
/// forces'), without the workflow's two fields (which change with every review). A page's
/// JSON is then these parts copied ([`TriageList::to_json`]), with no string escaped again; a
/// typed row is read back from them by `TriageRow`'s `Deserialize` ([`TriageList::typed`]).
struct KeptCourse {
    /// `{"course_id":…,"reports_in_force":`
    head: Box<str>,
    /// `,"hidden_repeats":…,"suspect":…` (the fields after `reports_in_force`, up to the
    /// workflow's).
    tail: Box<str>,
}

/// The columns [`KeptCourse`] is read from, the course id first.
const KEPT_COURSE_COLUMNS: &str =
    "course_id, priority, reasons, first_date, last_date, reports, hidden, cross_force, forces, stalking, breaches, victim, suspect";

/// What [`KeptCourse::from_row`] writes as `reports_in_force` to find where the row's two parts
/// meet (the last match: no field after it holds an unescaped quote).
const REPORTS_IN_FORCE_MARK: &str = ",\"reports_in_force\":-9223372036854775808,";
/// How a row with no workflow ends, as `TriageRow`'s `Serialize` writes it.
const NO_WORKFLOW_END: &str = ",\"assigned_to\":null,\"review\":null}";

impl KeptCourse {
    /// A row of [`KEPT_COURSE_COLUMNS`]: its id and its kept row. Reasons that are not JSON are
    /// shown as none.
    fn from_row(mut r: Vec<Value>) -> Result<(String, KeptCourse), Error> {
        let id = take_text(&mut r[0]);
        let row = TriageRow {
            course_id: id.clone(),
            priority: take_text(&mut r[1]),
            reasons: RawValue::from_string(take_text(&mut r[2])).unwrap_or_else(|_| no_reasons()),
            first_date: take_text(&mut r[3]),
            last_date: take_text(&mut r[4]),
            reports: r[5].int(),
            reports_in_force: Some(i64::MIN),
            hidden_repeats: r[6].int(),
            cross_force: r[7].int() == Some(1),
            forces: split(&r[8].text()),
            review_as_stalking: r[9].int() == Some(1),
            possible_breaches: r[10].int(),
            victim: take_text(&mut r[11]),
            suspect: match r[12] {
                Value::Null => None,
                _ => Some(take_text(&mut r[12])),
            },
            assigned_to: None,
            review: None,
        };
        Ok((id, KeptCourse::new(&row)?))
    }

    /// `row`'s two parts (its `reports_in_force`, `assigned_to` and `review` are not kept).
    fn new(row: &TriageRow) -> Result<KeptCourse, Error> {
        let row = TriageRow { reports_in_force: Some(i64::MIN), assigned_to: None, review: None, ..row.clone() };
        let json = serde_json::to_string(&row)
            .map_err(|e| Error::caused(ErrorKind::Internal, format!("a triage row could not be written as JSON: {e}"), e))?;
        let unsplit = || Error::new(ErrorKind::Internal, "a triage row's JSON has not the fields in the order the list copies them");
        let body = json.strip_suffix(NO_WORKFLOW_END).ok_or_else(unsplit)?;
        let cut = body.rfind(REPORTS_IN_FORCE_MARK).ok_or_else(unsplit)?;
        let mark_value = REPORTS_IN_FORCE_MARK.len() - ",".len();
        Ok(KeptCourse { head: body[..cut + mark_value - "-9223372036854775808".len()].into(), tail: body[cut + mark_value..].into() })
    }

    /// Appends course `id`'s row (as [`TriageRow`]'s `Serialize` would write it) to `out`, with
    /// `reports_in_force` reports in the force listed and that force's workflow on it (none on
    /// the all-forces list).
    fn write_row(&self, out: &mut String, reports_in_force: Option<i64>, work: Option<&CourseWork>) {
        use std::fmt::Write as _;
        out.push_str(&self.head);
        match reports_in_force {
            Some(n) => {
                let _ = write!(out, "{n}");
            }
            None => out.push_str("null"),
        }
        out.push_str(&self.tail);
        out.push_str(work.map_or(&NO_WORKFLOW_END[..NO_WORKFLOW_END.len() - 1], |w| &w.json));
        out.push('}');
    }
}

/// An empty list of reasons, shown for stored reasons that are not JSON.
fn no_reasons() -> Box<RawValue> {
    RawValue::from_string("[]".into()).expect("valid JSON")
}

/// How many filtered lists' positions [`Totals::positions`] keeps at once (each at most a
/// list's length of integers: about 1 MB for the all-forces list of the 1M-incident world).
const KEPT_POSITION_LISTS: usize = 64;

/// One row of a list's scope in review order: what a page of the list reads of it.
struct ListRow {
    /// Its position in review order (`pos`).
    pos: i64,
    course_id: Box<str>,
    /// Reports in the course (of the force, on a force's list).
    reports: Option<i64>,
    /// Its priority's rank ([`priority_rank`](crate::dataset::priority_rank)).
    priority: i64,
}

/// Every row of one force's list (`course_forces`) or of all forces' (`courses`), by position,
/// kept for one publication ([`Totals::list`]): a page in review order is then picked from
/// memory, and reading the list costs one round trip (the request's state) instead of two.
struct ListRows {
    rows: Vec<ListRow>,
}

impl ListRows {
    /// The row at position `pos`.
    fn at(&self, pos: i64) -> Option<&ListRow> {
        self.rows.binary_search_by_key(&pos, |r| r.pos).ok().map(|i| &self.rows[i])
    }

    /// The rows of priority rank `p` (every row for `None`), in order: the priority is the
    /// first thing a position orders by, so they sit together.
    fn of_priority(&self, p: Option<i64>) -> &[ListRow] {
        match p {
            None => &self.rows,
            Some(p) => {
                let from = self.rows.partition_point(|r| r.priority < p);
                let to = self.rows.partition_point(|r| r.priority <= p).max(from);
                &self.rows[from..to]
            }
        }
    }
}

/// How many scopes' rows [`Totals::list`] keeps at once: every force's and all forces' (at
/// 1M incidents, 262,000 rows in all, about 20 MB).
const KEPT_LISTS: usize = 64;

/// How many scopes' settled courses (or forces' workflows) [`Totals`] keeps at once (a force,
/// or all forces, by priority or not: at most 45 × 5 in use; each as many entries as the scope
/// has settled, assigned or reviewed courses).
const KEPT_SETTLED_SCOPES: usize = 512;

/// What a list read needs of the database's state besides the list, read in one round trip
/// ([`ReadState::read`]): which publication is current, the review workflow's version, and the
/// reader's last visit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadState {
    /// When the current publication was made (the key totals are kept under).
    pub published_at: String,
    /// The current publication's number.
    pub publication: i64,
    /// The review workflow's version ([`crate::workflow::WORKFLOW_VERSION_KEY`]).
    pub workflow_version: i64,
    /// The reader's visit row: the publication they saw last, and the one before.
    pub visit: Option<(i64, i64)>,
}

impl ReadState {
    /// Reads it for user `user_id`.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] when the query fails.
    pub fn read(c: &mut Conn, user_id: i64) -> Result<ReadState, StoreError> {
        let r = c
            .query_one(
                "SELECT (SELECT value FROM meta WHERE key = 'published_at'), (SELECT value FROM meta WHERE key = 'publication'), \
                 (SELECT value FROM meta WHERE key = 'workflow_version'), \
                 (SELECT seen FROM visits WHERE user_id = CAST(? AS BIGINT)), (SELECT previous FROM visits WHERE user_id = CAST(? AS BIGINT))",
                &[Value::Int(user_id), Value::Int(user_id)],
            )?
            .unwrap_or_default();
        let at = |i: usize| r.get(i).cloned().unwrap_or(Value::Null);
        Ok(ReadState {
            published_at: at(0).text(),
            publication: at(1).int().unwrap_or(0),
            workflow_version: at(2).int().unwrap_or(0),
            visit: at(3).int().map(|seen| (seen, at(4).int().unwrap_or(0))),
        })
    }

    /// The key what the lists show of the workflow is kept under: it changes with a
    /// publication and with every assignment and review (each raises the workflow's version in
    /// its own transaction).
    fn workflow_key(&self) -> String {
        format!("{}/{}", self.published_at, self.workflow_version)
    }
}

/// The value kept in `map` under `key` (whose prefix up to the first `\u{1f}` is `prefix`, the
/// state it was read in), or `make`'s, then kept. Keys of another state are dropped with the
/// first of a new one, and all are dropped when `limit` are kept.
fn kept<T: Clone, E>(
    map: &std::sync::Mutex<std::collections::HashMap<String, T>>,
    prefix: &str,
    key: String,
    limit: usize,
    make: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    if let Some(v) = map.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(v.clone());
    }
    let v = make()?;
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= limit || map.keys().next().is_some_and(|k| k.split('\u{1f}').next() != Some(prefix)) {
        map.clear();
    }
    map.insert(key, v.clone());
    Ok(v)
}

impl Totals {
    /// Which publication is current (the key totals are kept under).
    ///
    /// # Errors
    ///
    /// A [`StoreError`] when the query fails.
    pub fn publication(c: &mut Conn) -> Result<String, StoreError> {
        Ok(c.query_one("SELECT value FROM meta WHERE key = 'published_at'", &[])?.map(|r| r[0].text()).unwrap_or_default())
    }

    /// The count (a one-number query) `sql` with `params`, computed once per `published`.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] when the count is not kept and its query fails.
    pub fn count(&self, c: &mut Conn, published: &str, sql: &str, params: &[Value]) -> Result<i64, StoreError> {
        kept(&self.map, published, format!("{published}\u{1f}{sql}\u{1f}{params:?}"), 10_000, || {
            Ok(c.query_one(sql, params)?.and_then(|r| r[0].int()).unwrap_or(0))
        })
    }

    /// The positions (ascending) of the rows the one-column query `sql` with `params` returns,
    /// read once per `published`: a filtered list's rows in review order, so that any page of
    /// it is found without an OFFSET over the filter. At most `KEPT_POSITION_LISTS` (64) lists
    /// are kept; past that, all are dropped and each is read again when next asked for.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] when the list is not kept and its query fails.
    pub fn positions(&self, c: &mut Conn, published: &str, sql: &str, params: &[Value]) -> Result<std::sync::Arc<Vec<i64>>, StoreError> {
        kept(&self.positions, published, format!("{published}\u{1f}{sql}\u{1f}{params:?}"), KEPT_POSITION_LISTS, || {
            let mut list: Vec<i64> = c.query(sql, params)?.iter().filter_map(|r| r[0].int()).collect();
            list.sort_unstable();
            Ok(std::sync::Arc::new(list))
        })
    }

    /// The rows of `force`'s list (all forces' for `None`) in review order, read once per
    /// `published` (see [`ListRows`]). Read while a publication commits, they may be newer than
    /// the publication they are kept under, never older, as [`Totals::positions`].
    fn list(&self, c: &mut Conn, published: &str, force: Option<Force>) -> Result<std::sync::Arc<ListRows>, StoreError> {
        let key = format!("{published}\u{1f}{}", force.map_or("", |f| f.name()));
        if let Some(v) = self.lists.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(v.clone());
        }
        let one = {
            let mut reading = self.reading_list.lock().unwrap_or_else(|e| e.into_inner());
            if reading.len() >= KEPT_LISTS {
                reading.clear();
            }
            reading.entry(key.clone()).or_default().clone()
        };
        let _one = one.lock().unwrap_or_else(|e| e.into_inner());
        kept(&self.lists, published, key, KEPT_LISTS, || {
            let rows = match force {
                Some(f) => c.query(
                    &format!("SELECT pos, course_id, reports, priority_rank FROM course_forces WHERE {FORCE_IS} ORDER BY pos"),
                    &[f.name().into()],
                )?,
                None => c.query("SELECT pos, course_id, reports, priority_rank FROM courses ORDER BY pos", &[])?,
            };
            // In position order (the statements' ORDER BY), as `ListRows` looks rows up.
            let rows = rows
                .into_iter()
                .map(|mut r| ListRow {
                    pos: r[0].int().unwrap_or(-1),
                    course_id: take_text(&mut r[1]).into_boxed_str(),
                    reports: r[2].int(),
                    priority: r[3].int().unwrap_or(-1),
                })
                .collect();
            Ok(std::sync::Arc::new(ListRows { rows }))
        })
    }

    /// The settled courses of a list's scope (`force`, all forces for `None`; of one priority
    /// rank or of all), kept under `state`'s publication and workflow version: read again only
    /// after an assignment, a review or a publication. A course reviewed through any server
    /// sharing the database leaves the list at once, since the review raises the version in its
    /// own transaction and every list read reads the version first. (Read while a review
    /// commits, the courses may be newer than the version they are kept under; never older.)
    fn settled(
        &self,
        c: &mut Conn,
        state: &ReadState,
        force: Option<Force>,
        priority: Option<i64>,
    ) -> Result<std::sync::Arc<Settled>, StoreError> {
        let version = state.workflow_key();
        let key = format!("{version}\u{1f}{}\u{1f}{priority:?}", force.map_or("", |f| f.name()));
        kept(&self.settled, &version, key, KEPT_SETTLED_SCOPES, || Ok(std::sync::Arc::new(settled_positions(c, force, priority)?)))
    }

    /// Whether anything is settled in `force`'s part of the courses (any force's, for `None`),
    /// kept like [`Totals::settled`]: while nothing is, the open list stays on its fast path.
    fn any_settled(&self, c: &mut Conn, state: &ReadState, force: Option<Force>) -> Result<bool, StoreError> {
        let version = state.workflow_key();
        let key = format!("{version}\u{1f}{}", force.map_or("", |f| f.name()));
        kept(&self.any_settled, &version, key, KEPT_SETTLED_SCOPES, || {
            Ok(match force {
                Some(f) => c.query_one("SELECT 1 FROM review_state WHERE force = ? AND settled = 1 LIMIT 1", &[f.name().into()])?,
                None => c.query_one("SELECT 1 FROM review_state WHERE settled = 1 LIMIT 1", &[])?,
            }
            .is_some())
        })
    }

    /// The display columns of the courses `ids` (in their order; `None` for an id no course
    /// has), from those kept for `state`'s publication, reading the others in one query.
    /// Read while a publication commits, a row may be newer than the publication it is kept
    /// under, never older: the publication is read first, and rows read for an older one than
    /// those kept are not kept.
    fn courses(&self, c: &mut Conn, state: &ReadState, ids: &[String]) -> Result<Vec<Option<std::sync::Arc<KeptCourse>>>, Error> {
        let publication = (state.publication, state.published_at.clone());
        let mut found: Vec<Option<std::sync::Arc<KeptCourse>>> = {
            let kept = self.courses.lock().unwrap_or_else(|e| e.into_inner());
            if kept.publication == publication { ids.iter().map(|id| kept.rows.get(id).cloned()).collect() } else { vec![None; ids.len()] }
        };
        let missing: Vec<&String> = ids.iter().zip(&found).filter(|(_, f)| f.is_none()).map(|(id, _)| id).collect();
        if missing.is_empty() {
            return Ok(found);
        }
        // Bound as a fixed number of parameters (padded with an id no course has), so that the
        // statement is prepared once per size.
        let mut read: std::collections::HashMap<String, std::sync::Arc<KeptCourse>> = Default::default();
        for chunk in missing.chunks(256) {
            let slots = chunk.len().next_power_of_two().max(8);
            let mut p: Vec<Value> = chunk.iter().map(|id| Value::from(id.as_str())).collect();
            p.resize(slots, Value::from(""));
            let marks = vec!["?"; slots].join(", ");
            for r in c.query(&format!("SELECT {KEPT_COURSE_COLUMNS} FROM courses WHERE course_id IN ({marks})"), &p)? {
                let (id, course) = KeptCourse::from_row(r)?;
                read.insert(id, std::sync::Arc::new(course));
            }
        }
        for (id, slot) in ids.iter().zip(found.iter_mut()) {
            if slot.is_none() {
                *slot = read.get(id).cloned();
            }
        }
        let mut kept = self.courses.lock().unwrap_or_else(|e| e.into_inner());
        if kept.publication != publication && kept.publication.0 <= publication.0 {
            kept.publication = publication.clone();
            kept.rows.clear();
        }
        if kept.publication == publication {
            if kept.rows.len() + read.len() > KEPT_COURSES {
                kept.rows.clear();
            }
            kept.rows.extend(read);
        }
        Ok(found)
    }

    /// `force`'s workflow on each of its courses that has one (who has it, its latest review
    /// and what is new since), kept like [`Totals::settled`]: a list page takes its rows'
    /// workflow from here instead of joining the workflow's tables, which PostgreSQL's plan for
    /// the page scanned whole on every page (every review and assignment of the force).
    fn workflow(&self, c: &mut Conn, state: &ReadState, force: Force) -> Result<std::sync::Arc<ForceWorkflow>, Error> {
        let version = state.workflow_key();
        let key = format!("{version}\u{1f}{}", force.name());
        kept(&self.workflow, &version, key, KEPT_SETTLED_SCOPES, || {
            let mut work: std::collections::HashMap<String, (Option<String>, Option<ReviewMark>)> = Default::default();
            for r in c.query("SELECT course_id, assignee FROM assignments WHERE force = CAST(? AS TEXT)", &[force.name().into()])? {
                let mut r = r.into_iter();
                let (id, assignee) = (r.next().unwrap_or(Value::Null).text(), r.next().unwrap_or(Value::Null));
                work.entry(id).or_default().0 = opt(&assignee);
            }
            for r in c.query(
                "SELECT s.course_id, s.settled, s.new_reports, s.new_breaches, s.new_cross_force, r.at, r.reviewer, r.decision \
                 FROM review_state s LEFT JOIN reviews r ON r.id = s.review_id WHERE s.force = CAST(? AS TEXT)",
                &[force.name().into()],
            )? {
                let id = r[0].text();
                work.entry(id).or_default().1 = r[1].int().map(|settled| {
                    let since = crate::workflow::SinceReview {
                        reports: r[2].int().unwrap_or(0) as u64,
                        possible_breaches: r[3].int().unwrap_or(0) as u64,
                        other_forces_reports: r[4].int().unwrap_or(0) as u64,
                    };
                    ReviewMark {
                        at: r[5].text(),
                        reviewer: r[6].text(),
                        decision: r[7].text(),
                        settled: settled == 1,
                        since_words: (!since.is_empty()).then(|| format!("new since review: {}", since.in_words())),
                        since,
                    }
                });
            }
            let mut rows = std::collections::HashMap::with_capacity(work.len());
            for (id, (assigned_to, review)) in work {
                rows.insert(id, CourseWork::new(&assigned_to, &review)?);
            }
            Ok(std::sync::Arc::new(ForceWorkflow { rows }))
        })
    }
}

/// What the triage list shows of a force's workflow on a course: who has it, and the force's
/// latest review with what is new since, as [`TriageRow`]'s last two fields in JSON
/// (`,"assigned_to":…,"review":…`).
struct CourseWork {
    json: Box<str>,
}

impl CourseWork {
    fn new(assigned_to: &Option<String>, review: &Option<ReviewMark>) -> Result<CourseWork, Error> {
        let json = |v: Result<String, serde_json::Error>| {
            v.map_err(|e| Error::caused(ErrorKind::Internal, format!("a course's workflow could not be written as JSON: {e}"), e))
        };
        let (a, r) = (json(serde_json::to_string(assigned_to))?, json(serde_json::to_string(review))?);
        Ok(CourseWork { json: format!(",\"assigned_to\":{a},\"review\":{r}").into() })
    }
}

/// A force's workflow on each of its courses that has an assignment or a review, by course id.
struct ForceWorkflow {
    rows: std::collections::HashMap<String, CourseWork>,
}

/// The triage list: courses in review order, each with its reasons.
///
/// # Errors
///
/// [`ApiError`] 400 when the force, priority, state, sort or page asked is not one; 403 when an
/// analyst's account has no force, or (audited) they ask for another force's list; 500 when the
/// database fails.
pub fn triage(c: &mut Conn, user: &User, q: &TriageQuery, totals: &Totals) -> Viewed<TriageList> {
    let asked = match q.force.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(name) => Some(force_of(name).ok_or_else(|| ApiError::bad_request(format!("unknown force {name:?}")))?),
        None => None,
    };
    let force = match user.role {
        Role::Analyst => {
            let own = user.force.ok_or_else(|| ApiError::forbidden("your account has no force"))?;
            if let Some(a) = asked.filter(|a| *a != own) {
                return Err(refused(user, "triage", a.name()));
            }
            Some(own)
        }
        _ => asked,
    };
    let (page, per_page) = paging(q.page, q.per_page)?;
    let mut cond = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    // The page is chosen on one table (course_forces for a force, courses for all), whose
    // filter columns and sort keys are indexed; only the page's rows are joined for display.
    let (from, rank, last, reports) = match force {
        Some(f) => {
            cond.push(FORCE_IS);
            params.push(f.name().into());
            ("course_forces", "triage_rank", "last_date DESC, triage_rank", "reports DESC, triage_rank")
        }
        None => ("courses", "triage_rank", "last_date DESC, triage_rank", "reports DESC, triage_rank"),
    };
    let mut priority = None;
    if let Some(p) = q.priority.as_deref().filter(|s| !s.is_empty()) {
        let p = p.trim().to_ascii_lowercase();
        let rank = match p.as_str() {
            "urgent" => 0,
            "high" => 1,
            "review" => 2,
            "routine" => 3,
            _ => return Err(ApiError::bad_request("priority is urgent, high, review or routine")),
        };
        cond.push(PRIORITY_IS);
        params.push(Value::Int(rank));
        priority = Some(rank);
    }
    if flag(&q.stalking) {
        cond.push("stalking = 1");
    }
    if flag(&q.cross_force) {
        cond.push("cross_force = 1");
    }
    if flag(&q.breach) {
        cond.push("breaches > 0");
    }
    if flag(&q.hidden) {
        cond.push("hidden > 0");
    }
    if flag(&q.secondary) {
        cond.push("secondary > 0");
    }
    // The review workflow's filters (one force's part of a course; on the all-forces list, a
    // course is settled when every force holding it has settled it).
    let mut live = false;
    // The publication, the workflow's version and the user's last visit, in one round trip.
    let read = ReadState::read(c, user.id)?;
    let state = q.state.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("open");
    let this = if force.is_some() { "course_forces.force" } else { "cf.force" };
    let settled_here =
        format!("EXISTS (SELECT 1 FROM review_state s WHERE s.force = {this} AND s.course_id = {from}.course_id AND s.settled = 1)");
    let none_open = format!("NOT EXISTS (SELECT 1 FROM course_forces cf WHERE cf.course_id = courses.course_id AND NOT {settled_here})");
    let mut workflow_cond = Vec::new();
    let mut exclude_settled = false;
    match state {
        "all" => {}
        "open" | "reviewed" => {
            // Skipped while nothing is settled in the scope: the list stays on its fast path.
            let any = totals.any_settled(c, &read, force)?;
            let reviewed = state == "reviewed";
            if any && !reviewed {
                // Decided below: the open list in review order leaves its settled courses out
                // by position; any other open list filters them in SQL.
                exclude_settled = true;
            } else if reviewed {
                live = true;
                workflow_cond.push(if force.is_some() { settled_here.clone() } else { none_open.clone() });
            }
        }
        other => return Err(ApiError::bad_request(format!("state is open, reviewed or all, not {other:?}"))),
    }
    // Every list read rolls the user's last visit forward (once per publication).
    let previous = crate::workflow::visit_at(c, user, read.publication, read.visit)?;
    if flag(&q.new_since_visit) {
        // What changed is fixed per publication (and `previous` is in the key): the list it
        // leaves is kept like the plain list's.
        cond.push(CHANGED_SINCE);
        params.push(Value::Int(previous));
    }
    if let Some(a) = q.assigned.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        live = true;
        let scope = if force.is_some() { "a.force = course_forces.force AND " } else { "" };
        match a {
            "none" => workflow_cond.push(format!("NOT EXISTS (SELECT 1 FROM assignments a WHERE {scope}a.course_id = {from}.course_id)")),
            who => {
                // Driven from the assignments (a handful per analyst, indexed by assignee), not
                // by testing every course of the list.
                let scope = if force.is_some() { " AND a.force = CAST(? AS TEXT)" } else { "" };
                workflow_cond
                    .push(format!("course_id IN (SELECT a.course_id FROM assignments a WHERE a.assignee = CAST(? AS TEXT){scope})"));
                params.push(if who == "me" { user.username.as_str().into() } else { who.into() });
                if let Some(f) = force {
                    params.push(f.name().into());
                }
            }
        }
    }
    let order = match q.sort.as_deref().unwrap_or("rank") {
        "rank" | "" => rank,
        "recent" => last,
        "reports" => reports,
        other => return Err(ApiError::bad_request(format!("sort is rank, recent or reports, not {other:?}"))),
    };
    let plain = cond.clone();
    // In review order, a page is found by position: with at most a priority filter (the common
    // case) the list's rows sit together in the list kept in memory, so a page is a run of them; with
    // other fixed filters (the flags, new since the last visit), the list's positions are read
    // once per publication and a page is picked from them. Filters on the workflow (assigned,
    // reviewed) and other orders take an OFFSET over the filtered, sorted index. The open list
    // (settled courses left out) stays on positions: the settled courses are few (each is an
    // analyst's review), so they are read with their positions and stepped over, instead of
    // testing every course of the list against the reviews.
    let by_position = workflow_cond.is_empty() && order == rank;
    let contiguous = by_position && plain.iter().all(|c| *c == FORCE_IS || *c == PRIORITY_IS);
    let settled = if exclude_settled && by_position {
        Some(totals.settled(c, &read, force, priority)?)
    } else {
        if exclude_settled {
            live = true;
            workflow_cond.push(match force {
                Some(_) => format!("NOT {settled_here}"),
                None => format!("NOT {none_open}"),
            });
        }
        None
    };
    cond.extend(workflow_cond.iter().map(String::as_str));
    let filter = if cond.is_empty() { String::new() } else { format!(" WHERE {}", cond.join(" AND ")) };
    let published = read.published_at.clone();
    let offset = ((page - 1) * per_page) as i64;
    let (chosen_rows, total): (Vec<(String, Option<i64>)>, i64) = if by_position && !contiguous {
        let list = totals.positions(c, &published, &format!("SELECT pos FROM {from}{filter}"), &params)?;
        let no_settled = Vec::new();
        let (chosen, open) = open_page(&list, settled.as_ref().map_or(&no_settled, |s| &s.positions), offset, per_page as i64);
        // The page's rows by their positions, from the list's rows kept in memory.
        let rows = totals.list(c, &published, force)?;
        (chosen.iter().filter_map(|&pos| rows.at(pos)).map(|r| (r.course_id.to_string(), r.reports)).collect(), open)
    } else if by_position {
        // The list's rows of the priority asked for (all of them without one) sit together in
        // review order: the page is picked from them, kept in memory, by place, stepping over
        // the settled ones.
        let rows = totals.list(c, &published, force)?;
        let part = rows.of_priority(priority);
        let no_settled = Vec::new();
        let settled_here = settled.as_ref().map_or(&no_settled, |s| &s.positions);
        let (chosen, open) =
            open_places(part.len(), |p| part.binary_search_by_key(&p, |r| r.pos).ok(), settled_here, offset, per_page as i64);
        let page = chosen.into_iter().map(|i| (part[i].course_id.to_string(), part[i].reports)).collect();
        (page, open)
    } else {
        let mut p = params.clone();
        p.push(Value::Int(per_page as i64));
        p.push(Value::Int(offset));
        let sql = format!("SELECT course_id, reports FROM {from}{filter} ORDER BY {order} {LIMIT_OFFSET}");
        let page = c.query(&sql, &p)?.into_iter().map(|mut r| (take_text(&mut r[0]), r[1].int())).collect();
        // Reviews and assignments change between publications: those counts are not kept.
        let count_sql = format!("SELECT COUNT(*) FROM {from}{filter}");
        let total = if live {
            c.query_one(&count_sql, &params)?.and_then(|r| r[0].int()).unwrap_or(0)
        } else {
            totals.count(c, &published, &count_sql, &params)?
        };
        (page, total)
    };
    // The page's ids in order (each list above is in the list's order: a position is a row's
    // place in review order), and their display columns from those kept in memory.
    let page_ids: Vec<String> = chosen_rows.iter().map(|r| r.0.clone()).collect();
    let display = totals.courses(c, &read, &page_ids)?;
    // The force's workflow on each row of the page: who has it, its latest review and what is
    // new since (the all-forces list shows none: each force works its own part).
    let workflow = match force {
        Some(f) => Some(totals.workflow(c, &read, f)?),
        None => None,
    };
    let mut items = String::with_capacity(2 + display.iter().flatten().map(|k| k.head.len() + k.tail.len() + 64).sum::<usize>());
    let mut shown = 0;
    items.push('[');
    for ((id, reports), course) in chosen_rows.into_iter().zip(display) {
        if settled.as_ref().is_some_and(|s| s.ids.contains(&id)) {
            continue;
        }
        let Some(course) = course else { continue };
        if shown > 0 {
            items.push(',');
        }
        course.write_row(&mut items, reports, workflow.as_ref().and_then(|w| w.rows.get(&id)));
        shown += 1;
    }
    items.push(']');
    let fname = force.map_or("-".to_string(), |f| f.name().to_string());
    let page_head = TriagePage {
        force: force.map(|f| f.name()),
        page,
        per_page,
        total,
        next_page: (page * per_page < total as u64).then_some(page + 1),
        items: Vec::new(),
    };
    let v = TriageList { page: page_head, items };
    Ok((v, vec![entry(user, "read", "triage", &fname, "allowed", &format!("page {page}, {shown} courses"))]))
}

/// The settled courses of a list's scope (one force's part settled by that force; on the
/// all-forces list, courses every force holding them has settled): their positions in review
/// order, ascending, and their ids.
struct Settled {
    positions: Vec<i64>,
    ids: std::collections::HashSet<String>,
}

/// Reads the settled courses of one force's list (all forces' for `None`), of one priority
/// rank or of all.
fn settled_positions(c: &mut Conn, force: Option<Force>, priority: Option<i64>) -> Result<Settled, StoreError> {
    let priority = priority.map(Value::Int);
    let rows = match force {
        Some(f) => {
            let mut p: Vec<Value> = vec![f.name().into()];
            let by_priority = match priority {
                Some(v) => {
                    p.push(v);
                    " AND cf.priority_rank = CAST(? AS BIGINT)"
                }
                None => "",
            };
            c.query(
                &format!(
                    "SELECT cf.pos, cf.course_id FROM review_state s JOIN course_forces cf ON cf.force = s.force AND cf.course_id = s.course_id \
                     WHERE s.force = CAST(? AS TEXT) AND s.settled = 1{by_priority}"
                ),
                &p,
            )?
        }
        None => {
            let mut p = Vec::new();
            let by_priority = match priority {
                Some(v) => {
                    p.push(v);
                    " AND c.priority_rank = CAST(? AS BIGINT)"
                }
                None => "",
            };
            // Settled by every force that holds it: as many settled parts as the course has.
            c.query(
                &format!(
                    "SELECT c.pos, c.course_id FROM courses c JOIN (SELECT course_id, COUNT(*) AS n FROM review_state WHERE settled = 1 GROUP BY course_id) s \
                     ON s.course_id = c.course_id WHERE s.n = (SELECT COUNT(*) FROM course_forces cf WHERE cf.course_id = c.course_id){by_priority}"
                ),
                &p,
            )?
        }
    };
    let mut positions: Vec<i64> = rows.iter().filter_map(|r| r[0].int()).collect();
    positions.sort_unstable();
    Ok(Settled { positions, ids: rows.iter().map(|r| r[1].text()).collect() })
}

/// The range of places `[start, end)` that holds the open rows `offset .. offset + n` of a
/// list, with the rows at places `settled` (ascending) left out: `end - start` is `n` plus the
/// settled rows stepped over inside.
fn open_range(settled: &[i64], offset: i64, n: i64) -> (i64, i64) {
    let before = |p: i64| settled.partition_point(|&s| s < p) as i64;
    // The first open row at or after the open index `offset`: its place less the settled rows
    // before it is `offset`.
    let mut start = offset;
    loop {
        let next = offset + before(start);
        if next == start {
            break;
        }
        start = next;
    }
    while settled.binary_search(&start).is_ok() {
        start += 1;
    }
    let mut end = start + n;
    loop {
        let next = start + n + (before(end) - before(start));
        if next == end {
            break;
        }
        end = next;
    }
    (start, end)
}

/// The positions of the open rows `offset .. offset + n` of a filtered list whose rows sit at
/// `list` (ascending), with the rows at `settled` (ascending; some may not be in the list) left
/// out; and how many open rows the list has.
fn open_page(list: &[i64], settled: &[i64], offset: i64, n: i64) -> (Vec<i64>, i64) {
    let (chosen, open) = open_places(list.len(), |p| list.binary_search(&p).ok(), settled, offset, n);
    (chosen.into_iter().map(|i| list[i]).collect(), open)
}

/// The places (indices) of the open rows `offset .. offset + n` of a list of `len` rows in
/// ascending positions, where `place` finds a position's place in the list, with the rows at
/// `settled` (ascending; some may not be in the list) left out; and how many open rows the list
/// has. Positions need not be consecutive (a publication keeps each course's own, see
/// `dataset::list_positions`): pages are counted in places.
fn open_places(len: usize, place: impl Fn(i64) -> Option<usize>, settled: &[i64], offset: i64, n: i64) -> (Vec<usize>, i64) {
    // The settled rows' places in the list (ascending, as their positions are).
    let skip: Vec<i64> = settled.iter().filter_map(|&p| place(p).map(|i| i as i64)).collect();
    let (start, end) = open_range(&skip, offset, n);
    let len = len as i64;
    let chosen = (start.min(len)..end.min(len)).filter(|i| skip.binary_search(i).is_err()).map(|i| i as usize).collect();
    (chosen, len - skip.len() as i64)
}

/// The triage list's equality filters. The bound value is wrapped in a CAST, not compared bare:
/// SQLite (built with STAT4, as rusqlite bundles it) marks a bare `column = ?` on an index that
/// a range or order follows as a value the plan may depend on, and then re-prepares the cached
/// statement whenever a value is bound again, which is every request (measured: 19 of 20 runs
/// re-prepared; with the CAST none, and the same index is used).
const FORCE_IS: &str = "force = CAST(? AS TEXT)";
/// See [`FORCE_IS`].
const PRIORITY_IS: &str = "priority_rank = CAST(? AS BIGINT)";
/// Changed by a publication after the user's previous visit (see [`FORCE_IS`] on the CAST).
const CHANGED_SINCE: &str = "changed > CAST(? AS BIGINT)";
/// A page's rows. SQLite reads a bound `LIMIT ?` to plan the sort, marking it as a value the
/// plan depends on as [`FORCE_IS`] says of a bare `column = ?`: the statement was prepared
/// again on every page. It does not look into a CAST.
const LIMIT_OFFSET: &str = "LIMIT CAST(? AS BIGINT) OFFSET CAST(? AS BIGINT)";

/// A page of the triage list as [`triage`] gives it: the page's fields, and its rows already
/// written as JSON (copied from each course's row, written once per publication), since the
/// list is the busiest route. [`TriageList::to_json`] is the API's answer,
/// [`TriageList::typed`] the typed page; both are [`TriagePage`] (a test checks they agree).
pub struct TriageList {
    /// The page's fields, with no items.
    page: TriagePage,
    /// The items, a JSON array of [`TriageRow`]s.
    items: String,
}

impl TriageList {
    /// The page as JSON: [`TriagePage`]'s `Serialize` for its fields, the rows as written.
    ///
    /// # Errors
    ///
    /// When the page's fields cannot be written (not expected: they are numbers and a name).
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        let head = serde_json::to_vec(&self.page)?;
        let open = head
            .strip_suffix(b"[]}")
            .ok_or_else(|| <serde_json::Error as serde::ser::Error>::custom("a triage page ends with its items"))?;
        let mut out = Vec::with_capacity(open.len() + self.items.len() + 1);
        out.extend_from_slice(open);
        out.extend_from_slice(self.items.as_bytes());
        out.push(b'}');
        Ok(out)
    }

    /// The page with its rows typed, read back from their JSON.
    ///
    /// # Errors
    ///
    /// When a row does not read back as a [`TriageRow`] (not expected: each was written by its
    /// `Serialize`).
    pub fn typed(self) -> Result<TriagePage, serde_json::Error> {
        Ok(TriagePage { items: serde_json::from_str(&self.items)?, ..self.page })
    }
}

/// A page of the triage list (serialised straight to JSON: the list is the busiest route).
#[derive(Serialize, utoipa::ToSchema)]
pub struct TriagePage {
    /// The force listed, or null for all forces.
    pub force: Option<&'static str>,
    /// 1-based page.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
    /// Rows in all.
    pub total: i64,
    /// The next page, if any.
    pub next_page: Option<u64>,
    /// The rows.
    pub items: Vec<TriageRow>,
}

/// One course in the triage list.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TriageRow {
    /// The course.
    pub course_id: String,
    /// urgent, high, review or routine.
    pub priority: String,
    /// Why it has its priority: a JSON array of sentences, passed through as published.
    #[schema(value_type = Vec<String>)]
    pub reasons: Box<RawValue>,
    /// Its first report's recorded date.
    pub first_date: String,
    /// Its latest report's recorded date.
    pub last_date: String,
    /// Reports in the course, every force's.
    pub reports: Option<i64>,
    /// Reports in the course held by the force listed (all forces: every report).
    pub reports_in_force: Option<i64>,
    /// Reports never linked to the course's earlier reports when recorded.
    pub hidden_repeats: Option<i64>,
    /// Whether more than one force holds its reports.
    pub cross_force: bool,
    /// The forces holding its reports.
    pub forces: Vec<String>,
    /// Whether its pattern is to be reviewed as stalking.
    pub review_as_stalking: bool,
    /// Reports that may breach an order.
    pub possible_breaches: Option<i64>,
    /// The victim's person id.
    pub victim: String,
    /// The suspect's person id, when one is known.
    pub suspect: Option<String>,
    /// Who has it in the force listed; null when nobody (or on the all-forces list).
    pub assigned_to: Option<String>,
    /// The force's latest review of it and what is new since; null when never reviewed (or on
    /// the all-forces list).
    pub review: Option<ReviewMark>,
}

/// A force's latest review of a course, on its row of the triage list.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewMark {
    /// When (UTC).
    pub at: String,
    /// Who.
    pub reviewer: String,
    /// What was decided.
    pub decision: String,
    /// Whether nothing has arrived since (the course has left the open list).
    pub settled: bool,
    /// What arrived since, as counted by the latest publication.
    pub since: crate::workflow::SinceReview,
    /// That in words ("new since review: 2 reports, 1 a possible breach"); null when nothing.
    pub since_words: Option<String>,
}

impl TriageRow {
    /// The reasons as sentences (none when the stored text is not a list of them).
    pub fn reason_list(&self) -> Vec<String> {
        serde_json::from_str(self.reasons.get()).unwrap_or_default()
    }
}

fn take_text(v: &mut Value) -> String {
    match std::mem::replace(v, Value::Null) {
        Value::Text(s) => s.into_string(),
        other => other.text(),
    }
}

/// A nullable column as text, or None for NULL.
fn opt(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        v => Some(v.text()),
    }
}

/// What a reader of a course or person spanning several forces was shown, as the view's
/// `access` and the read's audit outcome say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum AccessOutcome {
    /// Every force's part identifiable.
    #[serde(rename = "allowed")]
    Allowed,
    /// No force's part identifiable: the other forces' parts appear as references only.
    #[serde(rename = "pseudonymous")]
    Pseudonymous,
    /// Some forces' parts identifiable, the others' as references.
    #[serde(rename = "partly pseudonymous")]
    PartlyPseudonymous,
}

impl AccessOutcome {
    /// How a read of a record spanning `forces` forces, `full` of them fully visible to the
    /// reader, is shown and audited.
    pub fn of(full: usize, forces: usize) -> AccessOutcome {
        if full == forces {
            AccessOutcome::Allowed
        } else if full == 0 {
            AccessOutcome::Pseudonymous
        } else {
            AccessOutcome::PartlyPseudonymous
        }
    }

    /// The word in the JSON and in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessOutcome::Allowed => "allowed",
            AccessOutcome::Pseudonymous => "pseudonymous",
            AccessOutcome::PartlyPseudonymous => "partly pseudonymous",
        }
    }
}

/// One course as its reader may see it (`GET /api/courses/{id}`, the course page): the reports
/// of the forces they may see on a time line, the people named in them, their orders and
/// breaches, and references for the reports other forces hold.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CoursePage {
    /// The course (the current id, when a retired one was asked for).
    pub course_id: String,
    /// Every force holding reports of it.
    pub forces: Vec<String>,
    /// The victim's person id; null when the reader may see none of the course's forces.
    pub victim: Option<String>,
    /// The suspect's person id; null when none is known or the reader may see none of the
    /// course's forces.
    pub suspect: Option<String>,
    /// Its first report's recorded date.
    pub first_date: String,
    /// Its latest report's recorded date.
    pub last_date: String,
    /// Reports in the course, every force's.
    pub reports: Option<i64>,
    /// Reports never linked to the course's earlier reports when recorded.
    pub hidden_repeats: Option<i64>,
    /// Whether more than one force holds its reports.
    pub cross_force: bool,
    /// urgent, high, review or routine.
    pub priority: String,
    /// Why it has its priority (none when the reader may see none of the course's forces).
    pub reasons: Vec<String>,
    /// Whether its pattern is to be reviewed as stalking.
    pub review_as_stalking: bool,
    /// Reports that may breach an order, every force's.
    pub possible_breaches: Option<i64>,
    /// What the reader was shown.
    pub access: AccessOutcome,
    /// The reports the reader may see, oldest first.
    pub timeline: Vec<Report>,
    /// The victims' and suspects' records in those reports.
    pub people: Vec<Record>,
    /// Orders made on those reports.
    pub orders: Vec<Order>,
    /// Those reports that may breach an order the reader may see.
    pub breaches: Vec<Breach>,
    /// The forces whose reports of the course the reader may not see, as references.
    pub held_elsewhere: Vec<Reference>,
    /// Those forces' reports, as much of each as the reader may see (force, date, offence
    /// class), oldest first: drawn on the time line beside the reader's own.
    pub other_forces_reports: Vec<OtherReport>,
    /// Risk screenings (DASH, S-DASH, SASH) recorded on the reports the reader may see, oldest
    /// first.
    pub screenings: Vec<Screening>,
    /// Who has it in the reader's force, its reviews, and what is new since the reader's force
    /// last reviewed it.
    pub workflow: crate::workflow::CourseWorkflow,
    /// The retired id asked for, when it led here (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirected_from: Option<String>,
}

/// A report of a course held by a force whose reports the reader may not see: only its force,
/// day and the class of its offence.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OtherReport {
    /// The force that recorded it.
    pub force: String,
    /// When it was recorded.
    pub recorded_date: String,
    /// The class of its offence in words (Stalking, Harassment, Malicious communications, …;
    /// "Other offence" for one outside the stalking-and-harassment subgroup).
    pub offence_class: String,
}

/// A risk screening recorded on a report of a course.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Screening {
    /// The force that recorded it.
    pub force: String,
    /// The report it was made on.
    pub incident_ref: String,
    /// The day of the screening.
    pub assessed_date: String,
    /// DASH, S-DASH or SASH.
    pub tool: String,
    /// standard, medium or high, if graded.
    pub grade: Option<String>,
    /// The questions answered yes, in words.
    pub yes_answers: Vec<String>,
    /// The screening in one line, as the triage reasons cite it.
    pub in_words: String,
    /// The assessor's notes, if exported.
    pub assessor_notes: Option<String>,
}

/// One report (incident) of a course, on its time line.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// The force that recorded it.
    pub force: String,
    /// The force's reference for it.
    pub incident_ref: String,
    /// Whether it was never linked to the course's earlier reports when recorded.
    pub hidden_repeat: bool,
    /// When it was recorded.
    pub recorded_date: String,
    /// When the conduct took place, if recorded.
    pub occurred_date: Option<String>,
    /// The Home Office offence code.
    pub offence_code: String,
    /// The offence in words, if recorded.
    pub offence_description: Option<String>,
    /// The domestic abuse flag, if recorded.
    pub domestic_abuse: Option<bool>,
    /// The online (cyber) flag, if recorded.
    pub cyber: Option<bool>,
    /// The other reports the force linked it to when recording it.
    pub linked_refs: Vec<String>,
    /// The Home Office outcome type, once assigned.
    pub outcome_type: Option<i64>,
    /// When the outcome was assigned.
    pub outcome_date: Option<String>,
    /// The officer's narrative, if exported.
    pub narrative: Option<String>,
    /// Additional classifications (Home Office codes) recorded besides the principal offence.
    pub secondary_offence_codes: Vec<String>,
    /// Whether it may breach an order.
    pub possible_breach: bool,
}

impl Report {
    fn from_row(r: &[Value], possible_breach: bool) -> Report {
        Report {
            force: r[0].text(),
            incident_ref: r[1].text(),
            hidden_repeat: r[2].int() == Some(1),
            recorded_date: r[3].text(),
            occurred_date: opt(&r[4]),
            offence_code: r[5].text(),
            offence_description: opt(&r[6]),
            domestic_abuse: r[7].int().map(|x| x == 1),
            cyber: r[8].int().map(|x| x == 1),
            linked_refs: split(&r[9].text()),
            outcome_type: r[10].int(),
            outcome_date: opt(&r[11]),
            narrative: opt(&r[12]),
            secondary_offence_codes: split(&r[13].text()),
            possible_breach,
        }
    }
}

/// One force's record of a person in a report, as exported (each column null when empty).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Record {
    /// The force holding it.
    pub force: Option<String>,
    /// The force's id for the record.
    pub record_id: Option<String>,
    /// The report it belongs to.
    pub incident_ref: Option<String>,
    /// victim, suspect, witness or other.
    pub role: Option<String>,
    /// The person it was merged into.
    pub person_id: Option<String>,
    /// The force's own person id.
    pub local_person_id: Option<String>,
    /// Forename.
    pub forename: Option<String>,
    /// Middle names.
    pub middle_names: Option<String>,
    /// Surname.
    pub surname: Option<String>,
    /// Date of birth, as exported (parts may be unknown).
    pub date_of_birth: Option<String>,
    /// Sex.
    pub sex: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Postcode.
    pub postcode: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Online handles.
    pub online_handles: Option<String>,
    /// Police National Computer id.
    pub pnc_id: Option<String>,
    /// National Insurance number.
    pub ni_number: Option<String>,
}

/// The columns a [`Record`] is read from, in order (the person page's read and the course
/// page's people).
const RECORD_COLUMNS: [(&str, Kind); 18] = {
    use Kind::Text;
    [
        ("force", Text),
        ("record_id", Text),
        ("incident_ref", Text),
        ("role", Text),
        ("person_id", Text),
        ("local_person_id", Text),
        ("forename", Text),
        ("middle_names", Text),
        ("surname", Text),
        ("date_of_birth", Text),
        ("sex", Text),
        ("address", Text),
        ("postcode", Text),
        ("phone", Text),
        ("email", Text),
        ("online_handles", Text),
        ("pnc_id", Text),
        ("ni_number", Text),
    ]
};

impl Record {
    /// A row selected with [`RECORD_COLUMNS`].
    fn from_row(r: &[Value]) -> Record {
        Record {
            force: opt(&r[0]),
            record_id: opt(&r[1]),
            incident_ref: opt(&r[2]),
            role: opt(&r[3]),
            person_id: opt(&r[4]),
            local_person_id: opt(&r[5]),
            forename: opt(&r[6]),
            middle_names: opt(&r[7]),
            surname: opt(&r[8]),
            date_of_birth: opt(&r[9]),
            sex: opt(&r[10]),
            address: opt(&r[11]),
            postcode: opt(&r[12]),
            phone: opt(&r[13]),
            email: opt(&r[14]),
            online_handles: opt(&r[15]),
            pnc_id: opt(&r[16]),
            ni_number: opt(&r[17]),
        }
    }
}

/// A protective or restraining order made on a report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Order {
    /// The force that holds it.
    pub force: String,
    /// The force's reference for it.
    pub order_ref: String,
    /// Its kind (a stalking protection order, a restraining order, …).
    pub order_type: String,
    /// The report it was made on.
    pub incident_ref: String,
    /// When it was applied for.
    pub applied_date: Option<String>,
    /// When it was granted.
    pub granted_date: Option<String>,
    /// When it expires.
    pub expires_date: Option<String>,
    /// Its status.
    pub status: Option<String>,
}

/// A report that may breach an order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Breach {
    /// The force that recorded the report.
    pub force: String,
    /// The report.
    pub incident_ref: String,
    /// The force that holds the order.
    pub order_force: String,
    /// The order.
    pub order_ref: String,
}

/// Another force's part of a course or person that the reader may not see: a pseudonymous
/// reference and a count, either of reports (courses) or of records (persons).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Reference {
    /// The force.
    pub force: String,
    /// The pseudonymous reference (`REF-…`), stable for that force and object.
    pub reference: String,
    /// Reports of the course it holds (course pages only; absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reports: Option<usize>,
    /// Records of the person it holds (person pages only; absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<usize>,
}

impl Reference {
    /// How many reports or records the force holds.
    pub fn count(&self) -> Option<usize> {
        self.reports.or(self.records)
    }
}

/// A column of a course page's read: a number or a text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
}

/// One part of a course page's read: the rows of one table for the course (`?`: its id, bound
/// in a CAST for the reason [`FORCE_IS`] gives: without it, SQLite re-prepared the parts on
/// every page, 7 % of the server's CPU under load), with their order within the part and their
/// columns in the order the page reads them.
struct Part {
    order: &'static [&'static str],
    columns: &'static [(&'static str, Kind)],
    from: &'static str,
    /// `from` in PostgreSQL's one statement, where `ci` is [`COURSE_REPORTS`] (and its columns
    /// stand for `i.`'s).
    shared_from: &'static str,
}

/// The course's reports with their incidents' columns (`ci`), read once at the head of
/// PostgreSQL's one statement for the parts that join them: reading `course_incidents` four
/// times and `published_incidents` twice made the statement 8-10 % slower (pgbench, 1M world,
/// 8 clients).
const COURSE_REPORTS: &str = "WITH ci AS MATERIALIZED (SELECT ci.force, ci.incident_ref, ci.hidden, i.recorded_date, i.occurred_date, \
    i.offence_code, i.offence_description, i.domestic_abuse, i.cyber, i.linked_refs, i.outcome_type, i.outcome_date, i.narrative, \
    i.secondary_offence_codes FROM course_incidents ci JOIN published_incidents i ON i.force = ci.force AND i.incident_ref = ci.incident_ref \
    WHERE ci.course_id = CAST(? AS TEXT))";

/// A column or sort key of a part as PostgreSQL's one statement names it: the incident's
/// columns (`i.`) are [`COURSE_REPORTS`]'s (`ci.`).
fn shared(column: &str) -> String {
    column.strip_prefix("i.").map_or_else(|| column.to_string(), |c| format!("ci.{c}"))
}

/// The course page's parts, by tag: the course, its reports, breaches, people, orders,
/// screenings and reviews.
const COURSE_PARTS: [Part; 7] = {
    use Kind::{Int, Text};
    [
        Part {
            order: &[],
            columns: &[
                ("course_id", Text),
                ("forces", Text),
                ("victim", Text),
                ("suspect", Text),
                ("first_date", Text),
                ("last_date", Text),
                ("reports", Int),
                ("hidden", Int),
                ("cross_force", Int),
                ("priority", Text),
                ("reasons", Text),
                ("stalking", Int),
                ("breaches", Int),
            ],
            from: "courses WHERE course_id = CAST(? AS TEXT)",
            shared_from: "courses WHERE course_id = CAST(? AS TEXT)",
        },
        Part {
            order: &["i.recorded_date", "ci.force", "ci.incident_ref"],
            columns: &[
                ("ci.force", Text),
                ("ci.incident_ref", Text),
                ("ci.hidden", Int),
                ("i.recorded_date", Text),
                ("i.occurred_date", Text),
                ("i.offence_code", Text),
                ("i.offence_description", Text),
                ("i.domestic_abuse", Int),
                ("i.cyber", Int),
                ("i.linked_refs", Text),
                ("i.outcome_type", Int),
                ("i.outcome_date", Text),
                ("i.narrative", Text),
                ("i.secondary_offence_codes", Text),
            ],
            from: "course_incidents ci JOIN published_incidents i ON i.force = ci.force AND i.incident_ref = ci.incident_ref \
                   WHERE ci.course_id = CAST(? AS TEXT)",
            shared_from: "ci",
        },
        Part {
            order: &["force", "incident_ref", "order_force", "order_ref"],
            columns: &[("force", Text), ("incident_ref", Text), ("order_force", Text), ("order_ref", Text)],
            from: "breaches WHERE course_id = CAST(? AS TEXT)",
            shared_from: "breaches WHERE course_id = CAST(? AS TEXT)",
        },
        Part {
            // Victims before suspects (`role DESC`), then by record.
            order: &["CASE WHEN role = 'victim' THEN '0' ELSE '1' END", "record_id"],
            columns: &RECORD_COLUMNS,
            from: "records WHERE (force, incident_ref) IN (SELECT force, incident_ref FROM course_incidents WHERE course_id = CAST(? AS TEXT)) \
                   AND role IN ('victim', 'suspect')",
            shared_from: "records WHERE (force, incident_ref) IN (SELECT force, incident_ref FROM ci) AND role IN ('victim', 'suspect')",
        },
        Part {
            order: &["force", "incident_ref", "order_ref"],
            columns: &[
                ("force", Text),
                ("order_ref", Text),
                ("order_type", Text),
                ("incident_ref", Text),
                ("applied_date", Text),
                ("granted_date", Text),
                ("expires_date", Text),
                ("status", Text),
            ],
            from: "published_orders WHERE (force, incident_ref) IN (SELECT force, incident_ref FROM course_incidents WHERE course_id = CAST(? AS TEXT))",
            shared_from: "published_orders WHERE (force, incident_ref) IN (SELECT force, incident_ref FROM ci)",
        },
        Part {
            // Oldest first; same-day screenings in the order of their reports.
            order: &["s.assessed_date", "i.recorded_date", "s.force", "s.incident_ref", "s.tool"],
            columns: &[
                ("s.force", Text),
                ("s.incident_ref", Text),
                ("s.assessed_date", Text),
                ("s.tool", Text),
                ("s.grade", Text),
                ("s.yes_answers", Text),
                ("s.in_words", Text),
                ("s.assessor_notes", Text),
            ],
            from: "course_incidents ci JOIN published_screenings s ON s.force = ci.force AND s.incident_ref = ci.incident_ref \
                   JOIN published_incidents i ON i.force = ci.force AND i.incident_ref = ci.incident_ref WHERE ci.course_id = CAST(? AS TEXT)",
            shared_from: "ci JOIN published_screenings s ON s.force = ci.force AND s.incident_ref = ci.incident_ref",
        },
        Part {
            // The columns `workflow::of_course` takes, in its order; newest first is its sort.
            // In this statement, not one of the workflow's own: a round trip less on
            // PostgreSQL, where it cost 16-18 % of pgbench's pages per second.
            order: &[],
            columns: &[
                ("id", Int),
                ("force", Text),
                ("reviewer", Text),
                ("at", Text),
                ("decision", Text),
                ("note", Text),
                ("recorded_as", Text),
                ("snapshot", Text),
            ],
            from: "reviews WHERE course_id = CAST(? AS TEXT)",
            shared_from: "reviews WHERE course_id = CAST(? AS TEXT)",
        },
    ]
};

/// The statements of a course page's read. On PostgreSQL, one statement of all
/// [`COURSE_PARTS`] (after [`COURSE_REPORTS`]) sharing its columns: the tag, then sort keys, numbers and texts, each part's
/// columns placed in the next free ones of their kind (others NULL). On SQLite, where a
/// statement costs no round trip, one statement per part: the shared one made the page 40 %
/// slower there (five sorts into temporary B-trees instead of each part read in order).
struct CourseRead {
    sql: String,
    /// Per part: where each of its columns is in the shared statement's row.
    at: Vec<Vec<usize>>,
    /// Per part: its own statement, its columns in its order.
    alone: Vec<String>,
}

impl CourseRead {
    fn new() -> CourseRead {
        let width = |f: &dyn Fn(&Part) -> usize| COURSE_PARTS.iter().map(f).max().unwrap_or(0);
        let sorts = width(&|p| p.order.len());
        let ints = width(&|p| p.columns.iter().filter(|c| c.1 == Kind::Int).count());
        let texts = width(&|p| p.columns.iter().filter(|c| c.1 == Kind::Text).count());
        let mut selects = Vec::new();
        let mut at = Vec::new();
        for (tag, part) in COURSE_PARTS.iter().enumerate() {
            let mut cells = vec!["NULL".to_string(); 1 + sorts + ints + texts];
            cells[0] = tag.to_string();
            for (i, o) in part.order.iter().enumerate() {
                cells[1 + i] = shared(o);
            }
            let (mut int, mut text) = (1 + sorts, 1 + sorts + ints);
            let mut places = Vec::new();
            for (column, kind) in part.columns {
                let place = match kind {
                    Kind::Int => &mut int,
                    Kind::Text => &mut text,
                };
                cells[*place] = shared(column);
                places.push(*place);
                *place += 1;
            }
            selects.push(format!("SELECT {} FROM {}", cells.join(", "), part.shared_from));
            at.push(places);
        }
        let order: Vec<String> = (1..=1 + sorts).map(|i| i.to_string()).collect();
        let alone = COURSE_PARTS
            .iter()
            .map(|p| {
                let columns: Vec<&str> = p.columns.iter().map(|c| c.0).collect();
                let order = if p.order.is_empty() { String::new() } else { format!(" ORDER BY {}", p.order.join(", ")) };
                format!("SELECT {} FROM {}{order}", columns.join(", "), p.from)
            })
            .collect();
        CourseRead { sql: format!("{COURSE_REPORTS} {} ORDER BY {}", selects.join(" UNION ALL "), order.join(", ")), at, alone }
    }
}

/// Everything a course page shows but its workflow's assignments ([`CourseRead`]): the course,
/// its reports, the people and orders in them, its breaches, screenings and reviews; each
/// part's rows in the column order its reader takes. On PostgreSQL one round trip instead of
/// seven: pgbench of six statements against one, 1M world, 8 clients, 3,480-3,490 against
/// 5,660-5,720 pages/s.
struct CourseRows {
    course: Vec<Value>,
    incidents: Vec<Vec<Value>>,
    breaches: Vec<Vec<Value>>,
    records: Vec<Vec<Value>>,
    orders: Vec<Vec<Value>>,
    screenings: Vec<Vec<Value>>,
    reviews: Vec<Vec<Value>>,
}

impl CourseRows {
    /// The rows of course `id`, if it is published.
    fn read(c: &mut Conn, id: &str) -> Result<Option<CourseRows>, conduct_store::Error> {
        static READ: std::sync::LazyLock<CourseRead> = std::sync::LazyLock::new(CourseRead::new);
        let mut parts: [Vec<Vec<Value>>; 7] = Default::default();
        if c.is_postgres() {
            let params: Vec<Value> = READ.sql.matches('?').map(|_| id.into()).collect();
            for mut r in c.query(&READ.sql, &params)? {
                let Some(tag) = r[0].int().and_then(|t| usize::try_from(t).ok()).filter(|&t| t < parts.len()) else { continue };
                parts[tag].push(READ.at[tag].iter().map(|&i| std::mem::replace(&mut r[i], Value::Null)).collect());
            }
        } else {
            for (tag, (rows, sql)) in parts.iter_mut().zip(&READ.alone).enumerate() {
                *rows = c.query(sql, &[id.into()])?;
                if tag == 0 && rows.is_empty() {
                    // No such course: nothing more to read.
                    return Ok(None);
                }
            }
        }
        let [course, incidents, breaches, records, orders, screenings, reviews] = parts;
        Ok(course.into_iter().next().map(|course| CourseRows { course, incidents, breaches, records, orders, screenings, reviews }))
    }
}

/// One course: its reports on a time line, the people in them, its orders and breaches.
///
/// # Errors
///
/// [`ApiError`] 404 when there is no such course; 403 (audited) when an analyst may see none of
/// its forces; 500 when the database fails.
pub fn course(c: &mut Conn, user: &User, key: &[u8], id: &str) -> Viewed<CoursePage> {
    let requested = id;
    let (read, id) =
        following(c, id, |c, id| Ok(CourseRows::read(c, id)?))?.ok_or_else(|| ApiError::not_found(format!("no course {requested}")))?;
    let CourseRows { course: row, incidents, breaches, records, orders: order_rows, screenings: screening_rows, reviews } = read;
    let id = id.as_str();
    let forces: Vec<Force> = split(&row[1].text()).iter().filter_map(|f| force_of(f)).collect();
    let full: Vec<Force> = forces.iter().copied().filter(|f| user.access(*f) == Access::Full).collect();
    let object = format!("course/{id}");
    if full.is_empty() && user.role == Role::Analyst {
        return Err(refused(user, &object, &row[1].text()));
    }
    let mut reports = Vec::new();
    let mut elsewhere: std::collections::BTreeMap<String, (String, usize)> = Default::default();
    let mut people = Vec::new();
    let mut orders = Vec::new();
    let mut others = Vec::new();
    // The people and orders of every report of the course, handed out per report below.
    let by_report = |rows: Vec<Vec<Value>>, force: usize, reference: usize| {
        let mut map: std::collections::HashMap<(String, String), Vec<Vec<Value>>> = Default::default();
        for r in rows {
            map.entry((r[force].text(), r[reference].text())).or_default().push(r);
        }
        map
    };
    let mut records_of = by_report(records, 0, 2);
    let mut orders_of = by_report(order_rows, 0, 3);
    for r in &incidents {
        let force = force_of(&r[0].text());
        if force.is_some_and(|f| full.contains(&f)) {
            let is_breach = breaches.iter().any(|b| b[0].text() == r[0].text() && b[1].text() == r[1].text());
            reports.push(Report::from_row(r, is_breach));
            let report = (r[0].text(), r[1].text());
            for p in records_of.remove(&report).unwrap_or_default() {
                people.push(Record::from_row(&p));
            }
            for o in orders_of.remove(&report).unwrap_or_default() {
                orders.push(Order {
                    force: o[0].text(),
                    order_ref: o[1].text(),
                    order_type: o[2].text(),
                    incident_ref: o[3].text(),
                    applied_date: opt(&o[4]),
                    granted_date: opt(&o[5]),
                    expires_date: opt(&o[6]),
                    status: opt(&o[7]),
                });
            }
        } else if let Some(f) = force {
            let e = elsewhere.entry(f.name().to_string()).or_insert_with(|| (pseudonym(key, "course", f, id), 0));
            e.1 += 1;
            let class = match conduct_domain::OffenceCode::parse(&r[5].text()).map(|o| o.class()) {
                Ok(c) if c.is_stalking_or_harassment() => c.label(),
                _ => "Other offence",
            };
            others.push(OtherReport { force: f.name().to_string(), recorded_date: r[3].text(), offence_class: class.to_string() });
        }
    }
    // Screenings on the reports the user may see, oldest first (same-day screenings in the
    // order of their reports).
    let screenings: Vec<Screening> = screening_rows
        .iter()
        .filter(|s| force_of(&s[0].text()).is_some_and(|f| full.contains(&f)))
        .map(|s| Screening {
            force: s[0].text(),
            incident_ref: s[1].text(),
            assessed_date: s[2].text(),
            tool: s[3].text(),
            grade: opt(&s[4]),
            yes_answers: split(&s[5].text()),
            in_words: s[6].text(),
            assessor_notes: opt(&s[7]),
        })
        .collect();
    // Breaches of orders of forces the user may see, within reports they may see.
    let breach_list: Vec<Breach> = breaches
        .iter()
        .filter(|b| force_of(&b[0].text()).is_some_and(|f| full.contains(&f)) && force_of(&b[2].text()).is_some_and(|f| full.contains(&f)))
        .map(|b| Breach { force: b[0].text(), incident_ref: b[1].text(), order_force: b[2].text(), order_ref: b[3].text() })
        .collect();
    let held_elsewhere: Vec<Reference> =
        elsewhere.into_iter().map(|(force, (reference, n))| Reference { force, reference, reports: Some(n), records: None }).collect();
    let outcome = AccessOutcome::of(full.len(), forces.len());
    let course_forces = split(&row[1].text());
    // What the course holds, from the rows read above, for what is new since a review.
    let content = crate::workflow::Content {
        reports: incidents.iter().map(|r| crate::workflow::report_key(&r[0].text(), &r[1].text())).collect(),
        breaches: breaches.iter().map(|b| crate::workflow::report_key(&b[0].text(), &b[1].text())).collect(),
    };
    let workflow = crate::workflow::of_course(c, user, id, &course_forces, &content, reviews, |f| {
        force_of(f).is_some_and(|f| user.access(f) == Access::Full)
    })?;
    let v = CoursePage {
        course_id: row[0].text(),
        forces: split(&row[1].text()),
        victim: if full.is_empty() { None } else { Some(row[2].text()) },
        suspect: if full.is_empty() { None } else { opt(&row[3]) },
        first_date: row[4].text(),
        last_date: row[5].text(),
        reports: row[6].int(),
        hidden_repeats: row[7].int(),
        cross_force: row[8].int() == Some(1),
        priority: row[9].text(),
        reasons: if full.is_empty() { Vec::new() } else { serde_json::from_str(&row[10].text()).unwrap_or_default() },
        review_as_stalking: row[11].int() == Some(1),
        possible_breaches: row[12].int(),
        access: outcome,
        timeline: reports,
        people,
        orders,
        breaches: breach_list,
        held_elsewhere,
        other_forces_reports: others,
        screenings,
        workflow,
        redirected_from: (requested != id).then(|| requested.to_string()),
    };
    let names: Vec<&str> = full.iter().map(|f| f.name()).collect();
    let fname = if names.is_empty() { "-".to_string() } else { names.join(";") };
    let via = via(requested, id).unwrap_or_default();
    Ok((v, vec![entry(user, "read", &object, &fname, outcome.as_str(), &via)]))
}

fn involvement(r: &[Value]) -> Option<Involvement> {
    let force = force_of(&r[0].text())?;
    let role = PersonRole::parse(&r[3].text()).unwrap_or(PersonRole::Other);
    let mut p = Involvement::new(&r[1].text(), force, &r[2].text(), role);
    p.local_person_id = r[5].text().into();
    p.forename = r[6].text().into();
    p.middle_names = r[7].text().into();
    p.surname = r[8].text().into();
    p.set_date_of_birth(r[9].text());
    p.sex = r[10].text().into();
    p.address = r[11].text().into();
    p.postcode = r[12].text().into();
    p.set_phone(r[13].text());
    p.email = r[14].text().into();
    p.online_handles = r[15].text().into();
    p.pnc_id = r[16].text().into();
    p.ni_number = r[17].text().into();
    Some(p)
}

/// Why a record was merged into a person: the linkage waterfall of record `b` against record
/// `a` under the published model.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    /// The record compared against (the person's first the reader may see).
    pub a: String,
    /// The record explained.
    pub b: String,
    /// The prior match weight, `log2(λ/(1-λ))`, in bits.
    pub prior: f64,
    /// Each comparison in turn.
    #[schema(value_type = Vec<ComparisonStep>)]
    pub steps: Vec<conduct_resolve::explain::Step>,
    /// The total match weight, in bits.
    pub match_weight: f64,
    /// Its probability.
    pub probability: f64,
    /// The model's threshold for joining.
    pub threshold: f64,
    /// Why clustering would refuse to join the two, if it would (`comparison: level`).
    pub refused_by: Option<String>,
}

/// One comparison of a linkage explanation, as [`conduct_resolve::explain::Step`] is answered
/// (the description of that type in the API document; a test keeps the two alike).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ComparisonStep {
    /// The comparison.
    comparison: String,
    /// The level's label ("missing" when either side is empty).
    level: String,
    /// The two normalised values compared.
    #[schema(min_items = 2, max_items = 2)]
    values: Vec<String>,
    /// `log2(m/u)` of the level (0 when missing).
    weight: f64,
    /// Term-frequency adjustment (exact forename or surname only).
    tf_adjustment: f64,
    /// Total so far, prior included.
    cumulative: f64,
}

/// The linkage explanation of `b` against `a` under the published model.
fn explain(c: &mut Conn, a: &Involvement, b: &Involvement) -> Result<Explanation, ApiError> {
    let model = c.query_one("SELECT value FROM meta WHERE key = 'model'", &[])?.ok_or_else(|| ApiError::not_found("no published model"))?;
    let model: conduct_resolve::Model =
        serde_json::from_str(&model[0].text()).map_err(|e| ApiError::internal(format!("the published model cannot be read: {e}")))?;
    let nick = conduct_resolve::normalise::Nicknames::builtin();
    let fa = conduct_resolve::normalise::normalise(a, &nick);
    let fb = conduct_resolve::normalise::normalise(b, &nick);
    let mut entries = Vec::new();
    for h in [fa.forename_h, fa.surname_h] {
        // `which IN (0, 1)` (forename, surname: all a publication writes) lets the primary key
        // `(which, hash)` find the rows: by `hash` alone PostgreSQL scanned all 75,000 of the
        // 1M world's, 5 ms a lookup, and the person page served 430 pages/s under load.
        for r in c.query(
            "SELECT which, hash, frequency FROM term_frequencies WHERE which IN (0, 1) AND hash = CAST(? AS BIGINT)",
            &[Value::Int(h as i64)],
        )? {
            entries.push((r[0].int().unwrap_or(0) as usize, r[1].int().unwrap_or(0) as u64, r[2].real().unwrap_or(0.0)));
        }
    }
    let tf = conduct_resolve::model::TermFrequencies::from_entries(entries);
    let w = conduct_resolve::explain::explain(&fa, &fb, &model, &tf);
    Ok(Explanation {
        a: a.record_id.to_string(),
        b: b.record_id.to_string(),
        prior: w.prior,
        steps: w.steps,
        match_weight: w.total,
        probability: w.probability,
        threshold: w.threshold,
        refused_by: w.contradiction.map(|(c, l)| format!("{c}: {l}")),
    })
}

/// One person as their reader may see them (`GET /api/persons/{id}`, the person page): the
/// records merged into them that the reader may see, each explained against the first, the
/// courses they are in, and references for the records other forces hold.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonPage {
    /// The person (the current id, when a retired one was asked for); null when the reader may
    /// see none of the forces holding their records.
    pub person_id: Option<String>,
    /// What the reader was shown.
    pub access: AccessOutcome,
    /// The records the reader may see.
    pub records: Vec<Record>,
    /// Each of those records (after the first, up to 50) explained against the first.
    pub explanations: Vec<Explanation>,
    /// The record the others are explained against, if any.
    pub explained_against: Option<String>,
    /// The courses the person is in as victim or suspect, of forces the reader may see.
    pub courses: Vec<PersonCourse>,
    /// The forces whose records of the person the reader may not see, as references.
    pub held_elsewhere: Vec<Reference>,
    /// The retired id asked for, when it led here (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirected_from: Option<String>,
    /// What publications did to this id: the persons merged into it and the records split off
    /// it or from which it was split, oldest first (empty when the reader may see none of the
    /// person's records).
    pub history: Vec<IdChange>,
}

/// A merge or split a publication made of a person's id.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IdChange {
    /// The publication that made it (numbered from 1).
    pub publication: i64,
    /// When it was published (UTC, RFC 3339).
    pub at: String,
    /// `merge`: the records of `other_id` joined `id`, and `other_id` leads there; `split`:
    /// records of `other_id` left it for the new `id`.
    pub kind: String,
    /// The id the records are under since.
    pub id: String,
    /// The id they came from.
    pub other_id: String,
    /// How many records moved.
    pub records: i64,
    /// Why: the strongest pair of records across the two sides under the model the
    /// publication linked with, its score against the threshold and the comparisons it agrees
    /// on (forces and comparisons only, no record or value); empty for events published
    /// before reasons were kept.
    pub reason: String,
}

/// A course a person is in.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonCourse {
    /// The course.
    pub course_id: String,
    /// urgent, high, review or routine.
    pub priority: String,
    /// The forces holding its reports.
    pub forces: Vec<String>,
    /// Its first report's recorded date.
    pub first_date: String,
    /// Its latest report's recorded date.
    pub last_date: String,
    /// Reports in the course, every force's.
    pub reports: Option<i64>,
    /// Whether the person is its victim or its suspect.
    #[serde(rename = "as")]
    pub part: CoursePart,
}

/// The part a person plays in a course.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CoursePart {
    /// The person harmed.
    Victim,
    /// The person suspected.
    Suspect,
}

impl CoursePart {
    /// `victim` or `suspect`.
    pub fn as_str(self) -> &'static str {
        match self {
            CoursePart::Victim => "victim",
            CoursePart::Suspect => "suspect",
        }
    }
}

/// The person page's records (`?`: the person's id; bound in a CAST for the reason
/// [`FORCE_IS`] gives: bare, each of the page's three statements was prepared again on every
/// page).
static PERSON_RECORDS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let columns: Vec<&str> = RECORD_COLUMNS.iter().map(|c| c.0).collect();
    format!("SELECT {} FROM records WHERE person_id = CAST(? AS TEXT) ORDER BY force, record_id", columns.join(", "))
});

/// The courses a person is in, as victim or as suspect (see [`PERSON_RECORDS`] on the CAST).
const PERSON_COURSES: &str = "SELECT course_id, priority, forces, first_date, last_date, reports, victim FROM courses \
     WHERE victim = CAST(? AS TEXT) UNION ALL SELECT course_id, priority, forces, first_date, last_date, reports, victim \
     FROM courses WHERE suspect = CAST(? AS TEXT) ORDER BY 4";

/// A person id's merges and splits (see [`PERSON_RECORDS`] on the CAST).
const PERSON_HISTORY: &str = "SELECT publication, at, kind, id, other_id, members, reason FROM id_events \
     WHERE id = CAST(? AS TEXT) OR other_id = CAST(? AS TEXT) ORDER BY publication, kind, id, other_id";

/// One person: the records merged into them that the user may see, each explained against the
/// first, the courses they are in, and which other forces hold records of them.
///
/// # Errors
///
/// [`ApiError`] 404 when there is no such person or no published model; 403 (audited) when an
/// analyst may see none of its forces; 500 when the database fails or the model cannot be read.
pub fn person(c: &mut Conn, user: &User, key: &[u8], id: &str) -> Viewed<PersonPage> {
    let select = PERSON_RECORDS.as_str();
    let requested = id;
    let (rows, id) = following(c, id, |c, id| {
        let rows = c.query(select, &[id.into()])?;
        Ok((!rows.is_empty()).then_some(rows))
    })?
    .ok_or_else(|| ApiError::not_found(format!("no person {requested}")))?;
    let id = id.as_str();
    let mut forces: Vec<Force> = rows.iter().filter_map(|r| force_of(&r[0].text())).collect();
    forces.dedup();
    let full: Vec<Force> = forces.iter().copied().filter(|f| user.access(*f) == Access::Full).collect();
    let object = format!("person/{id}");
    if full.is_empty() && user.role == Role::Analyst {
        let names: Vec<&str> = forces.iter().map(|f| f.name()).collect();
        return Err(refused(user, &object, &names.join(";")));
    }
    let visible: Vec<&Vec<Value>> = rows.iter().filter(|r| force_of(&r[0].text()).is_some_and(|f| full.contains(&f))).collect();
    let mut elsewhere: std::collections::BTreeMap<&'static str, (String, usize)> = Default::default();
    for r in &rows {
        if let Some(f) = force_of(&r[0].text()).filter(|f| !full.contains(f)) {
            elsewhere.entry(f.name()).or_insert_with(|| (pseudonym(key, "person", f, id), 0)).1 += 1;
        }
    }
    let records: Vec<Record> = visible.iter().map(|r| Record::from_row(r)).collect();
    let mut explanations = Vec::new();
    let people: Vec<Involvement> = visible.iter().take(51).filter_map(|r| involvement(r)).collect();
    if let Some((anchor, rest)) = people.split_first() {
        for b in rest {
            explanations.push(explain(c, anchor, b)?);
        }
    }
    let courses: Vec<PersonCourse> = if full.is_empty() {
        Vec::new()
    } else {
        c.query(PERSON_COURSES, &[id.into(), id.into()])?
            .iter()
            .filter(|r| split(&r[2].text()).iter().any(|f| force_of(f).is_some_and(|f| full.contains(&f))))
            .map(|r| PersonCourse {
                course_id: r[0].text(),
                priority: r[1].text(),
                forces: split(&r[2].text()),
                first_date: r[3].text(),
                last_date: r[4].text(),
                reports: r[5].int(),
                part: if r[6].text() == id { CoursePart::Victim } else { CoursePart::Suspect },
            })
            .collect()
    };
    let held_elsewhere: Vec<Reference> = elsewhere
        .into_iter()
        .map(|(f, (reference, n))| Reference { force: f.to_string(), reference, reports: None, records: Some(n) })
        .collect();
    let history: Vec<IdChange> = if full.is_empty() {
        Vec::new()
    } else {
        c.query(PERSON_HISTORY, &[id.into(), id.into()])?
            .iter()
            .map(|r| IdChange {
                publication: r[0].int().unwrap_or(0),
                at: r[1].text(),
                kind: r[2].text(),
                id: r[3].text(),
                other_id: r[4].text(),
                records: r[5].int().unwrap_or(0),
                reason: r[6].text(),
            })
            .collect()
    };
    let outcome = AccessOutcome::of(full.len(), forces.len());
    let shown = format!("{} records shown", records.len());
    let v = PersonPage {
        person_id: if full.is_empty() { None } else { Some(id.to_string()) },
        access: outcome,
        records,
        explanations,
        explained_against: people.first().map(|p| p.record_id.to_string()),
        courses,
        held_elsewhere,
        redirected_from: (requested != id).then(|| requested.to_string()),
        history,
    };
    let names: Vec<&str> = full.iter().map(|f| f.name()).collect();
    let fname = if names.is_empty() { "-".to_string() } else { names.join(";") };
    let detail = match via(requested, id) {
        Some(via) => format!("{shown}, {via}"),
        None => shown,
    };
    Ok((v, vec![entry(user, "read", &object, &fname, outcome.as_str(), &detail)]))
}

/// A force's published figures (aggregates only), as the national comparison lists them
/// (`GET /api/forces`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ForceSummary {
    /// The force.
    pub force: String,
    /// Stalking and harassment reports in its exports.
    pub incidents: i64,
    /// Courses of conduct with its reports.
    pub courses: Option<i64>,
    /// Repeat reports never linked to their course's earlier reports when recorded.
    pub hidden_repeats: Option<i64>,
    /// Repeat reports linked to them when recorded.
    pub linked_repeats: Option<i64>,
    /// Its courses by triage priority.
    pub triage: TriageCounts,
    /// Reports that may breach an order.
    pub possible_breaches: Option<i64>,
    /// Reports charged or summonsed.
    pub charged: i64,
    /// Reports with an outcome assigned.
    pub outcomes_assigned: i64,
    /// Charged or summonsed as a share of the offences recorded (`incidents`), as the Home
    /// Office states a charge rate (`conduct_stats` `Figures::charge_rate`); null when none
    /// is recorded.
    pub charge_rate: Option<f64>,
    /// Hidden among repeat reports; null when there are no repeats.
    pub hidden_share: Option<f64>,
}

/// Courses by triage priority.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TriageCounts {
    /// Urgent.
    pub urgent: Option<i64>,
    /// High.
    pub high: Option<i64>,
    /// To review.
    pub review: Option<i64>,
    /// Routine.
    pub routine: Option<i64>,
}

impl TriageCounts {
    /// The count of `urgent`, `high`, `review` or `routine` (None for anything else).
    pub fn of(&self, priority: &str) -> Option<i64> {
        match priority {
            "urgent" => self.urgent,
            "high" => self.high,
            "review" => self.review,
            "routine" => self.routine,
            _ => None,
        }
    }
}

/// A force's overview (`GET /api/forces/{force}`, the force page): its figures, its trend per
/// quarter and its outcomes (aggregates only).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ForceOverview {
    /// The figures.
    #[serde(flatten)]
    pub summary: ForceSummary,
    /// Reports recorded and charged per financial quarter, oldest first (null when the
    /// publication stored none).
    pub quarters: Option<Vec<Quarter>>,
    /// Reports per outcome group (null when the publication stored none).
    pub outcome_groups: Option<Vec<OutcomeGroup>>,
    /// Reports recorded under another crime (criminal damage, assault, …) with stalking or
    /// harassment only as a secondary offence code: counted apart, never in the Home Office
    /// figures (null when the publication stored none).
    pub recorded_under_another_crime: Option<u64>,
    /// Victims who withdrew support (outcomes 14 and 16), by course of conduct and by offence
    /// (null when the publication stored none).
    pub withdrawal: Option<Withdrawals>,
    /// How long the force's courses that turned urgent waited for their first review (the
    /// per-course list: `GET /api/review-times.csv`).
    pub review_times: crate::workflow::ReviewTimes,
    /// What the force last received from the cross-force hub (the cross-force mode; null when
    /// it never received anything).
    pub cross_force: Option<CrossForceReceived>,
}

/// The last result of the cross-force hub a force's server received, and what the current
/// publication did with it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CrossForceReceived {
    /// When it was received (UTC).
    pub received_at: String,
    /// Report rows of other forces it held (one per linked record and report).
    pub report_rows: u64,
    /// The other forces they are of.
    pub forces: Vec<String>,
    /// Parties whose reports were left out (not police forces).
    pub parties_left_out: Vec<String>,
    /// Other forces' reports (each once) the current publication took in: each joins the
    /// courses of the persons its records were linked to.
    pub reports_taken_in: u64,
    /// Report rows the current publication left out, and why.
    pub rows_left_out: u64,
    /// Why they were left out (null when none were).
    pub why_left_out: Option<String>,
}

/// What the force `force` last received from the hub, with what the current publication took in.
fn cross_force_received(c: &mut Conn, force: &str) -> Result<Option<CrossForceReceived>, ApiError> {
    let Some(r) =
        conduct_store::cross_force::receipts(c).map_err(|e| ApiError::internal(e.to_string()))?.into_iter().find(|r| r.own_force == force)
    else {
        return Ok(None);
    };
    let published: serde_json::Value = c
        .query_one("SELECT value FROM meta WHERE key = 'published'", &[])?
        .and_then(|v| serde_json::from_str(&v[0].text()).ok())
        .unwrap_or_default();
    let x = &published["cross_force"];
    Ok(Some(CrossForceReceived {
        received_at: r.received_at,
        report_rows: r.reports,
        forces: split(&r.forces),
        parties_left_out: split(&r.left_out),
        reports_taken_in: x["reports"].as_u64().unwrap_or(0),
        rows_left_out: x["left_out"].as_u64().unwrap_or(0),
        why_left_out: x["why_left_out"].as_str().map(str::to_string),
    }))
}

/// A force's courses and offences in which the victim withdrew support (Home Office outcome
/// types 14 and 16).
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Withdrawals {
    /// Courses with at least one report recorded by the force.
    pub courses: u64,
    /// Of those, courses in which one of the force's reports carries outcome 14 or 16.
    pub courses_victim_withdrew: u64,
    /// Of those, courses with reports recorded after the withdrawal.
    pub courses_withdrew_reports_since: u64,
    /// Stalking and harassment offences the force recorded (principal code, as the Home
    /// Office counts them).
    pub offences: u64,
    /// Of those, offences with outcome 14 or 16.
    pub offences_victim_withdrew: u64,
}

/// A financial quarter's reports.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Quarter {
    /// The quarter, as `2023/24 Q1`.
    pub quarter: String,
    /// Reports recorded in it.
    pub recorded: u64,
    /// Of those, charged or summonsed.
    pub charged: u64,
}

/// The reports given outcomes of one group.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct OutcomeGroup {
    /// The group, in words.
    pub group: String,
    /// Reports with an outcome in it.
    pub count: u64,
}

/// The `overview` column of a force's published row: JSON text the publication writes.
#[derive(Default, Deserialize)]
struct StoredOverview {
    #[serde(default)]
    quarters: Option<Vec<Quarter>>,
    #[serde(default)]
    outcome_groups: Option<Vec<OutcomeGroup>>,
    #[serde(default)]
    recorded_under_another_crime: Option<u64>,
    #[serde(default)]
    withdrawal: Option<Withdrawals>,
}

impl ForceSummary {
    /// A row selected with [`FORCE_COLUMNS`].
    fn from_row(r: &[Value]) -> ForceSummary {
        let outcomes = r[11].int().unwrap_or(0);
        let charged = r[10].int().unwrap_or(0);
        let (h, l) = (r[3].int().unwrap_or(0), r[4].int().unwrap_or(0));
        let incidents = r[1].int().unwrap_or(0);
        ForceSummary {
            force: r[0].text(),
            incidents,
            courses: r[2].int(),
            hidden_repeats: r[3].int(),
            linked_repeats: r[4].int(),
            triage: TriageCounts { urgent: r[5].int(), high: r[6].int(), review: r[7].int(), routine: r[8].int() },
            possible_breaches: r[9].int(),
            charged,
            outcomes_assigned: outcomes,
            charge_rate: (incidents > 0).then(|| charged as f64 / incidents as f64),
            hidden_share: (h + l > 0).then(|| h as f64 / (h + l) as f64),
        }
    }
}

const FORCE_COLUMNS: &str =
    "name, incidents, courses, hidden_repeats, linked_repeats, urgent, high, review, routine, breaches, charged, outcomes, overview";

/// A force's overview: trend, outcomes, hidden repeats and the triage summary (aggregates only).
///
/// # Errors
///
/// [`ApiError`] 404 when the force is unknown or nothing is published for it; 500 when the
/// database fails.
pub fn overview(c: &mut Conn, force: &str) -> Result<ForceOverview, ApiError> {
    let f = force_of(force).ok_or_else(|| ApiError::not_found(format!("unknown force {force:?}")))?;
    let row = c.query_one(&format!("SELECT {FORCE_COLUMNS} FROM force_figures WHERE name = ?"), &[f.name().into()])?;
    match row {
        Some(r) => {
            let stored: StoredOverview = serde_json::from_str(&r[12].text()).unwrap_or_default();
            let urgent = crate::workflow::urgent_courses(c, Some(f.name()))?;
            let cross_force = cross_force_received(c, f.name())?;
            Ok(ForceOverview {
                cross_force,
                review_times: crate::workflow::review_times(&urgent, &crate::audit::now()),
                summary: ForceSummary::from_row(&r),
                quarters: stored.quarters,
                outcome_groups: stored.outcome_groups,
                recorded_under_another_crime: stored.recorded_under_another_crime,
                withdrawal: stored.withdrawal,
            })
        }
        None => Err(ApiError::not_found(format!("nothing published for {}", f.name()))),
    }
}

/// Every force side by side (`GET /api/forces`, the national page).
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct National {
    /// When the current publication was made; null before the first.
    pub published_at: Option<String>,
    /// Each force with published figures, by name.
    pub forces: Vec<ForceSummary>,
}

/// Every force side by side (aggregates only).
///
/// # Errors
///
/// [`ApiError`] 500 when the database fails.
pub fn national(c: &mut Conn) -> Result<National, ApiError> {
    let columns = FORCE_COLUMNS.replace(", overview", ", '{}'");
    let rows = c.query(&format!("SELECT {columns} FROM force_figures ORDER BY name"), &[])?;
    let forces: Vec<ForceSummary> = rows.iter().map(|r| ForceSummary::from_row(r)).collect();
    let published = c.query_one("SELECT value FROM meta WHERE key = 'published_at'", &[])?.map(|r| r[0].text());
    Ok(National { published_at: published, forces })
}

/// A page of the audit log, newest first (`GET /api/audit`, the audit page).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// 1-based page.
    pub page: u64,
    /// Entries per page.
    pub per_page: u64,
    /// Entries in all.
    pub total: i64,
    /// The next page, if any.
    pub next_page: Option<u64>,
    /// The entries, newest first.
    pub items: Vec<LoggedEntry>,
}

/// An entry of the audit log as stored: its place in the chain and its hash.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoggedEntry {
    /// Its place: 1, 2, 3, … without gaps.
    pub seq: Option<i64>,
    /// When (UTC, RFC 3339).
    pub at: String,
    /// Who.
    pub actor: String,
    /// What they did (read, login, grant, import, publish, …).
    pub action: String,
    /// What it was done to (`course/C000001`, `user/rev`, …).
    pub object: String,
    /// The forces concerned (`;`-separated), or `-`.
    pub force: String,
    /// allowed, denied, pseudonymous, partly pseudonymous, refused, …
    pub outcome: String,
    /// More, in words.
    pub detail: String,
    /// Its hash, chained to the previous entry's.
    pub hash: String,
}

/// The audit log, newest first (administrators).
///
/// # Errors
///
/// [`ApiError`] 403 (audited) when the user is not an administrator, 400 when the page is past
/// [`MAX_PAGE`], 500 when the database fails.
pub fn audit_log(c: &mut Conn, user: &User, page: Option<u64>, per_page: Option<u64>) -> Viewed<AuditPage> {
    if user.role != Role::Admin {
        return Err(ApiError::forbidden("the audit log is for administrators").audited(entry(user, "read", "audit", "-", "denied", "")));
    }
    let (page, per_page) = paging(page, per_page)?;
    // Entries are numbered 1, 2, 3, … without gaps (verify checks it), so the newest-first page k
    // is a range of sequence numbers below the head, not an OFFSET over the whole log.
    let total = c.query_one("SELECT COALESCE(MAX(seq), 0) FROM audit", &[])?.and_then(|r| r[0].int()).unwrap_or(0);
    let top = total - ((page - 1) * per_page) as i64;
    let rows = c.query(
        // The CASTs, as [`FORCE_IS`] and [`LIMIT_OFFSET`] say: bare, the statement was prepared again
        // on every page.
        "SELECT seq, at, actor, action, object, force, outcome, detail, hash FROM audit WHERE seq <= CAST(? AS BIGINT) ORDER BY seq DESC LIMIT CAST(? AS BIGINT)",
        &[Value::Int(top), Value::Int(per_page as i64)],
    )?;
    let items: Vec<LoggedEntry> = rows
        .iter()
        .map(|r| LoggedEntry {
            seq: r[0].int(),
            at: r[1].text(),
            actor: r[2].text(),
            action: r[3].text(),
            object: r[4].text(),
            force: r[5].text(),
            outcome: r[6].text(),
            detail: r[7].text(),
            hash: r[8].text(),
        })
        .collect();
    let v = AuditPage { page, per_page, total, next_page: (page * per_page < total as u64).then_some(page + 1), items };
    Ok((v, vec![entry(user, "read", "audit", "-", "allowed", &format!("page {page}"))]))
}

/// A cell a spreadsheet will not run as a formula, by the rule every CSV Conduct writes follows
/// ([`conduct_domain::cell::inert`]), since administrators open other people's rejects in Excel.
fn inert(cell: &str) -> String {
    conduct_domain::cell::inert(cell).into_owned()
}

/// Looks `id` up with `fetch`; when nothing is found and a later publication retired the id,
/// looks up the id it now leads to. Gives what was found and the id it was found under.
pub(crate) fn following<T>(
    c: &mut Conn,
    id: &str,
    mut fetch: impl FnMut(&mut Conn, &str) -> Result<Option<T>, ApiError>,
) -> Result<Option<(T, String)>, ApiError> {
    if let Some(found) = fetch(c, id)? {
        return Ok(Some((found, id.to_string())));
    }
    let next = c.query_one("SELECT current_id FROM id_successors WHERE old_id = ?", &[id.into()])?.map(|r| r[0].text());
    match next {
        Some(next) => Ok(fetch(c, &next)?.map(|found| (found, next))),
        None => Ok(None),
    }
}

/// When a view was reached through a retired id (its `redirected_from`), the audit detail's
/// "via …".
fn via(requested: &str, id: &str) -> Option<String> {
    (requested != id).then(|| format!("via {requested}"))
}

/// The uploads a user may see (`GET /api/imports`, the import page).
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct UploadList {
    /// The latest 50 uploads, newest first, of those the user may see.
    pub items: Vec<Upload>,
}

/// One upload (`GET /api/imports/{id}`, the upload page): who sent it, what became of it, and
/// its validation report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Upload {
    /// Its id.
    pub id: Option<i64>,
    /// When it was received (UTC, RFC 3339).
    pub at: String,
    /// Who sent it.
    pub username: String,
    /// analysing, published, refused or `failed: …`.
    pub status: String,
    /// The validation report as stored (counts per file, rejects by reason, the first rejected
    /// rows, and `refused` with the reason when it was refused); null if it cannot be read.
    pub report: serde_json::Value,
}

impl Upload {
    fn from_row(r: &[Value]) -> Upload {
        Upload {
            id: r[0].int(),
            at: r[1].text(),
            username: r[2].text(),
            status: r[3].text(),
            report: serde_json::from_str(&r[4].text()).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// Whether `user` may see the upload of `row` (administrators: everyone's).
fn may_see_upload(user: &User, row: &[Value]) -> bool {
    user.role == Role::Admin || row[2].text() == user.username
}

/// The uploads a user may see: their own (administrators: everyone's), the latest 50 first.
///
/// # Errors
///
/// [`ApiError`] 500 when the database fails.
pub fn uploads(c: &mut Conn, user: &User) -> Result<UploadList, ApiError> {
    let rows = c.query("SELECT id, at, username, status, report FROM uploads ORDER BY id DESC LIMIT 50", &[])?;
    Ok(UploadList { items: rows.iter().filter(|r| may_see_upload(user, r)).map(|r| Upload::from_row(r)).collect() })
}

/// One upload, if the user may see it (404 otherwise: another user's uploads are not revealed).
///
/// # Errors
///
/// [`ApiError`] 404 when there is no such upload or it is another user's; 500 when the database
/// fails.
pub fn upload(c: &mut Conn, user: &User, id: i64) -> Result<Upload, ApiError> {
    c.query("SELECT id, at, username, status, report FROM uploads WHERE id = ?", &[id.into()])?
        .iter()
        .find(|r| may_see_upload(user, r))
        .map(|r| Upload::from_row(r))
        .ok_or_else(|| ApiError::not_found(format!("no upload {id} of yours")))
}

/// The rejected rows stored with an upload the user may see, as CSV
/// (`file,line,column,reason,key`): the report lists at most 500; this is every one stored (all
/// of them unless there were more than `CONDUCT_MAX_STORED_REJECTS`; the report counts the
/// rest by reason). The read is audited (reasons can quote values).
///
/// # Errors
///
/// As [`upload`]; [`ApiError`] 500 when the rejects cannot be read or written as CSV.
pub fn upload_rejects(c: &mut Conn, user: &User, id: i64) -> Viewed<Vec<u8>> {
    upload(c, user, id)?;
    let rows = c.query("SELECT file, line, col, reason, row_key FROM upload_rejects WHERE upload_id = ? ORDER BY n", &[id.into()])?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| ApiError::internal(format!("writing rejects: {e}"));
    w.write_record(["file", "line", "column", "reason", "key"]).map_err(failed)?;
    for r in &rows {
        let line = r[1].int().unwrap_or(0).to_string();
        let (file, column, reason, key) = (inert(&r[0].text()), inert(&r[2].text()), inert(&r[3].text()), inert(&r[4].text()));
        w.write_record([file.as_str(), line.as_str(), column.as_str(), reason.as_str(), key.as_str()]).map_err(failed)?;
    }
    let body = w.into_inner().map_err(|e| ApiError::internal(format!("writing rejects: {e}")))?;
    let force = user.force.map_or("-", |f| f.name());
    Ok((body, vec![entry(user, "read", &format!("upload/{id}/rejects"), force, "allowed", &format!("{} rejected rows", rows.len()))]))
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(e.to_string())
    }
}

/// A failure of the server's own while a page was read (a row its cache could not write as
/// JSON, or the store's error carried through): 500 with its message.
impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError::internal(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Text as hostile as a published field can be: quotes, backslashes, control characters,
    /// other scripts, and the very text the kept row is split at.
    fn hostile_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z0-9 /:-]{0,12}",
            "[\"\\\\\u{0}-\u{1f}\u{7f}é😀,:{}\\[\\]]{0,12}",
            Just(REPORTS_IN_FORCE_MARK.to_string()),
            Just(NO_WORKFLOW_END.to_string()),
        ]
    }

    fn number() -> impl Strategy<Value = Option<i64>> {
        prop_oneof![Just(None), Just(Some(i64::MIN)), Just(Some(i64::MAX)), any::<i64>().prop_map(Some), (0_i64..50).prop_map(Some)]
    }

    /// Reasons as published (a list of sentences), or any JSON, holding the split's marks
    /// unescaped.
    fn reasons() -> impl Strategy<Value = Box<RawValue>> {
        prop_oneof![
            proptest::collection::vec(hostile_text(), 0..4).prop_map(|v| serde_json::to_string(&v).unwrap()),
            Just(format!("[{{\"x\":0{REPORTS_IN_FORCE_MARK}\"y\":1{NO_WORKFLOW_END}]")),
            Just(format!("{{\"a\":[{{\"b\":1{REPORTS_IN_FORCE_MARK}\"c\":2}}]}}")),
        ]
        .prop_map(|s| RawValue::from_string(s).unwrap())
    }

    fn review() -> impl Strategy<Value = Option<ReviewMark>> {
        proptest::option::of((hostile_text(), hostile_text(), hostile_text(), any::<bool>(), 0_u64..5, 0_u64..5, 0_u64..5)).prop_map(|r| {
            r.map(|(at, reviewer, decision, settled, a, b, c)| {
                let since = crate::workflow::SinceReview { reports: a, possible_breaches: b, other_forces_reports: c };
                ReviewMark {
                    at,
                    reviewer,
                    decision,
                    settled,
                    since_words: (!since.is_empty()).then(|| format!("new since review: {}", since.in_words())),
                    since,
                }
            })
        })
    }

    prop_compose! {
        fn triage_row()(
            course_id in hostile_text(), priority in hostile_text(), reasons in reasons(),
            first_date in hostile_text(), last_date in hostile_text(), reports in number(),
            reports_in_force in number(), hidden_repeats in number(), cross_force in any::<bool>(),
            forces in proptest::collection::vec(hostile_text(), 0..3), review_as_stalking in any::<bool>(),
            possible_breaches in number(), victim in hostile_text(), suspect in proptest::option::of(hostile_text()),
            assigned_to in proptest::option::of(hostile_text()), review in review(),
        ) -> TriageRow {
            TriageRow {
                course_id, priority, reasons, first_date, last_date, reports, reports_in_force, hidden_repeats,
                cross_force, forces, review_as_stalking, possible_breaches, victim, suspect, assigned_to, review,
            }
        }
    }

    /// A database in `dir` with the schema's tables (`conduct_store::migrate`), opened plainly.
    fn migrated_sqlite(dir: &tempfile::TempDir) -> rusqlite::Connection {
        let path = dir.path().join("t.db");
        let mut c = Conn::open(&crate::db::Url::Sqlite(path.clone())).unwrap();
        conduct_store::migrate(&mut c).unwrap();
        rusqlite::Connection::open(&path).unwrap()
    }

    /// Analyses `raw` (as a publication does), then runs each statement for each of `ids` (every
    /// `?` bound to it) and asserts SQLite never prepared it again.
    fn assert_never_prepared_again(raw: &rusqlite::Connection, statements: &[&str], ids: &[&str]) {
        raw.execute_batch("ANALYZE").unwrap();
        for sql in statements {
            let mut st = raw.prepare(sql).unwrap();
            let n = st.parameter_count();
            for id in ids {
                let mut rows = st.query(rusqlite::params_from_iter(vec![id; n])).unwrap();
                while rows.next().unwrap().is_some() {}
            }
            assert_eq!(st.get_status(rusqlite::StatementStatus::RePrepare), 0, "prepared again: {sql}");
        }
    }

    /// The course page's statements on SQLite (its reviews among them), each run
    /// for several courses on a database whose statistics (`ANALYZE`, which a publication
    /// runs) cover their indexes: none is prepared again. With `course_id = ?` bare, SQLite
    /// (STAT4) re-prepared them whenever another course's id was bound, on every page.
    #[test]
    fn regression_the_course_page_prepared_its_statements_again_on_every_page() {
        let dir = tempfile::tempdir().unwrap();
        let raw = migrated_sqlite(&dir);
        // One course holds most reports (the repeat victim), so the statistics tell ids apart.
        let course = |i: usize| if i % 10 < 7 { "C1".to_string() } else { format!("C{}", i % 40) };
        for i in 0..400 {
            let (id, reference) = (course(i), format!("R{i}"));
            raw.execute("INSERT INTO course_incidents VALUES (?1, 'Kent', ?2, 0)", [&id, &reference]).unwrap();
            raw.execute("INSERT INTO published_incidents (force, incident_ref, recorded_date, offence_code) VALUES ('Kent', ?1, '2024-01-01', '8Q')", [&reference]).unwrap();
            raw.execute(
                "INSERT INTO breaches (course_id, force, incident_ref, order_force, order_ref) VALUES (?1, 'Kent', ?2, 'Kent', 'O1')",
                [&id, &reference],
            )
            .unwrap();
            raw.execute(
                "INSERT INTO reviews VALUES (?1, 'Kent', ?2, 'x', 'a', '2024-01-01', 1, 'no_further_action', '', '')",
                rusqlite::params![i as i64, id],
            )
            .unwrap();
        }
        let read = CourseRead::new();
        let statements: Vec<&str> = read.alone.iter().map(String::as_str).collect();
        assert_never_prepared_again(&raw, &statements, &["C1", "C2", "C17", "C1", "C39", "none"]);
    }

    /// The person page's three statements, run for several persons on an analysed database
    /// where one person holds most records: none is prepared again. With `person_id = ?`,
    /// `victim = ?` and `id = ?` bare, each was prepared again on every page (6 of 6 runs).
    #[test]
    fn regression_the_person_page_prepared_its_statements_again_on_every_page() {
        let dir = tempfile::tempdir().unwrap();
        let raw = migrated_sqlite(&dir);
        // One person is in most records, courses and id changes (the repeat victim).
        let person = |i: usize| if i % 10 < 7 { "P1".to_string() } else { format!("P{}", i % 40) };
        for i in 0..400 {
            let p = person(i);
            raw.execute(
                "INSERT INTO records (force, record_id, incident_ref, role, person_id) VALUES ('Kent', ?1, ?1, 'victim', ?2)",
                [&format!("R{i}"), &p],
            )
            .unwrap();
            raw.execute(
                "INSERT INTO courses (course_id, forces, victim, suspect, first_date, last_date, reports, hidden, cross_force, \
                 priority, priority_rank, triage_rank, stalking, breaches, reasons, pos) \
                 VALUES (?1, 'Kent', ?2, ?3, '2024-01-01', '2024-01-01', 1, 0, 0, 'urgent', 0, 0, 0, 0, '[]', ?4)",
                rusqlite::params![format!("C{i}"), p, person(i + 3), i as i64],
            )
            .unwrap();
            raw.execute(
                "INSERT INTO id_events (publication, at, kind, id, other_id, members, reason) VALUES (1, 'x', 'merge', ?1, ?2, 1, '')",
                [&p, &person(i + 5)],
            )
            .unwrap();
        }
        assert_never_prepared_again(
            &raw,
            &[PERSON_RECORDS.as_str(), PERSON_COURSES, PERSON_HISTORY],
            &["P1", "P2", "P17", "P1", "P39", "none"],
        );
    }

    proptest! {
        /// A page copied from kept rows is byte for byte what `TriagePage`'s own `Serialize`
        /// writes (so the API's answer cannot drift from the schema derived from it), and the
        /// typed page read back holds the same rows.
        #[test]
        fn a_triage_page_from_kept_rows_is_what_its_serialize_writes(
            rows in proptest::collection::vec(triage_row(), 0..6),
            force in proptest::option::of(Just("Kent")),
            next_page in proptest::option::of(0_u64..9),
        ) {
            let mut items = String::from("[");
            for (i, row) in rows.iter().enumerate() {
                if i > 0 {
                    items.push(',');
                }
                let work = (row.assigned_to.is_some() || row.review.is_some())
                    .then(|| CourseWork::new(&row.assigned_to, &row.review).unwrap());
                KeptCourse::new(row).unwrap().write_row(&mut items, row.reports_in_force, work.as_ref());
            }
            items.push(']');
            let page = |items| TriagePage { force, page: 3, per_page: 50, total: 1234, next_page, items };
            let list = TriageList { page: page(Vec::new()), items };
            let expected = serde_json::to_vec(&page(rows.clone())).unwrap();
            prop_assert_eq!(String::from_utf8(list.to_json().unwrap()).unwrap(), String::from_utf8(expected.clone()).unwrap());
            let typed = list.typed().unwrap();
            prop_assert_eq!(typed.items.len(), rows.len());
            prop_assert_eq!(serde_json::to_vec(&typed).unwrap(), expected);
        }
    }

    /// The open rows `offset .. offset + n` of a list of places `0 ..= last` with `settled`
    /// left out, found by walking it.
    fn walked(settled: &[i64], last: i64, offset: i64, n: i64) -> Vec<i64> {
        (0..=last).filter(|p| !settled.contains(p)).skip(offset as usize).take(n as usize).collect()
    }

    #[test]
    fn the_open_list_steps_over_settled_positions_as_a_walk_would() {
        // Every settled set of a 12-row list (4,096 sets), every offset and page size 1 to 4:
        // the range holds exactly the walk's rows and the settled ones between them.
        let last = 11_i64;
        for mask in 0u32..(1 << 12) {
            let settled: Vec<i64> = (0..12).filter(|b| mask & (1 << b) != 0).collect();
            for n in 1..=4 {
                for offset in 0..=12 {
                    let (start, end) = open_range(&settled, offset, n);
                    let got: Vec<i64> = (start..end.min(last + 1)).filter(|p| !settled.contains(p)).collect();
                    assert_eq!(got, walked(&settled, last, offset, n), "settled {settled:?}, offset {offset}, n {n}");
                    let want = walked(&settled, last, offset, n);
                    if let Some(&w) = want.first() {
                        assert_eq!(start, w, "the range starts at the first open row");
                    }
                }
            }
        }
    }

    #[test]
    fn a_filtered_list_pages_over_its_kept_positions_as_a_walk_would() {
        // A filtered list of 8 rows at scattered positions; every set of settled courses drawn
        // from 10 positions (8 in the list, 2 not: settled courses the filter leaves out),
        // every offset and page size 1 to 3: the page is the walk's, and the count is right.
        let list = [2_i64, 3, 7, 11, 12, 20, 21, 30];
        let candidates = [2_i64, 3, 5, 7, 11, 12, 20, 21, 25, 30];
        for mask in 0u32..(1 << candidates.len()) {
            let settled: Vec<i64> = (0..candidates.len()).filter(|b| mask & (1 << b) != 0).map(|b| candidates[b]).collect();
            let open: Vec<i64> = list.iter().copied().filter(|p| !settled.contains(p)).collect();
            for n in 1..=3 {
                for offset in 0..=9 {
                    let (page, total) = open_page(&list, &settled, offset, n);
                    let want: Vec<i64> = open.iter().copied().skip(offset as usize).take(n as usize).collect();
                    assert_eq!(page, want, "settled {settled:?}, offset {offset}, n {n}");
                    assert_eq!(total, open.len() as i64);
                }
            }
        }
        assert_eq!(open_page(&[], &[1, 2], 0, 50), (vec![], 0), "an empty list");
    }
}
