//! The review list: courses in the order a reviewer should look at them, each with its reasons
//! in plain words. There is no hidden score: the order is a small set of written rules, drawing on
//! S-DASH and SASH items (constant contact, threats, escalation, previous orders).
//!
//! Risk screenings (`risk_assessments`: DASH, S-DASH, SASH) done for the course's reports are
//! cited in words, one reason per screening ("S-DASH 2022-08-24: victim very frightened;
//! visits more than 3 times a week"; the latest [`MAX_SCREENINGS_CITED`], with a count of the
//! earlier ones). A course of stalking-or-harassment reports of a force that exported
//! screenings, none of them S-DASH, has the reason "no S-DASH recorded" (College of Policing
//! practice: screen with S-DASH from the second report). A force with no screening in the
//! export is taken to have exported none, and its courses get no such reason.
//!
//! Priority (first match wins):
//! 1. **Urgent** — a possible breach of a protective order; or a threat to kill, or violence, in
//!    the 90 days before the list's day (the latest report in the export).
//! 2. **High** — escalating (intervals at least halving, or threats or violence appearing, or a
//!    more serious offence); or five or more reports in 90 days; or a screening graded high.
//! 3. **Review** — should be reviewed as stalking (FOUR indicators, stalking behaviours, the
//!    domestic-abuse counting rule, stalking recorded only beside another crime); or crosses
//!    forces; or no S-DASH recorded.
//!
//! A course that crosses forces says what each force holds of it ([`force_holds`]: "Cheshire
//! holds 5 reports about the same pair between 2022-07-25 and 2022-08-27, one a threat"), from
//! the reports' dates and offence codes alone, so that a force that sees another force's reports
//! only through the hub (`conduct courses --cross-force-links`) gives the same reason.
//! 4. **Routine** — every other course.
//!
//! A course with no report in the [`QUIET_DAYS`] before the list's day is *quiet*: at most
//! review, with a reason saying why, and no grounds in the ranking (the team works the live
//! courses first; issue 17 item 7 measured it).
//!
//! A victim who withdrew support (outcome 14 or 16, [`crate::withdrawal`]) while reports kept
//! arriving raises the course one step (routine to review, review to high), never above high;
//! every withdrawal is a reason ("victim withdrew support on 2023-03-02 (outcome 16 on report
//! K-3, after report 3 of 7, 45 days after the first report); 4 reports since").
//!
//! Then each force's urgent and high lists are sized for the people who work them
//! ([`ListSizes`]): the courses beyond its places move down one step, with a reason saying so.
//!
//! Possible breaches are one reason per order ("12 possible breaches of interim SPO ISPO-7
//! (granted 2022-01-01, with no expiry recorded), 2022-01-03 to 2023-05-09"), never one per
//! breach.
//!
//! Within a priority, courses the sizing moved down come first, then those meeting more of the
//! urgent and high rules, then more recent last reports, then more reports.

use std::collections::HashSet;

use crate::HashMap;

use conduct_domain::{Force, Incident, Order, OrderType, RiskAssessment, RiskGrade, RiskTool};

use rayon::prelude::*;

use crate::breach::Breach;
use crate::build::Suspect;
use crate::build::{Course, day, span};
use crate::signals::{Escalation, StalkingSignals, escalation_seen, is_violent, sightings, stalking_signals_seen};
use crate::withdrawal::{Withdrawal, withdrawal};

/// How soon a course should be reviewed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// Look now.
    Urgent,
    /// Look soon.
    High,
    /// Look at it as stalking, or across forces.
    Review,
    /// Everything else.
    Routine,
}

impl Priority {
    /// The word written in triage.csv.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Urgent => "urgent",
            Priority::High => "high",
            Priority::Review => "review",
            Priority::Routine => "routine",
        }
    }
}

/// One row of the review list.
#[derive(Clone, Debug)]
pub struct Review {
    /// Index into the courses.
    pub course: usize,
    /// Its priority, once its force's lists are sized ([`ListSizes`]).
    pub priority: Priority,
    /// The priority the rules give it before the lists are sized.
    pub by_rules: Priority,
    /// How many of the urgent and high rules it meets (a withdrawal with reports since counts
    /// as one); ranks courses within a priority.
    pub grounds: usize,
    /// Reasons, most important first.
    pub reasons: Vec<String>,
    /// The stalking signals read from it.
    pub stalking: StalkingSignals,
    /// The escalation signs read from it.
    pub escalation: Escalation,
    /// Possible breaches in this course: indices into the breaches.
    pub breaches: Vec<usize>,
    /// Risk screenings done for its reports: indices into the risk assessments, by date.
    pub screenings: Vec<usize>,
    /// Its force exported screenings, its reports are of the stalking-or-harassment kind, and
    /// none of its reports has an S-DASH.
    pub no_sdash: bool,
    /// When the victim stopped supporting action (outcome 14 or 16), if they did.
    pub withdrawal: Option<Withdrawal>,
    /// A screening of its reports was graded high by the force.
    pub graded_high: bool,
}

/// A threat to kill or violence makes a course urgent when reported within this many days of
/// the list's date (the latest report in the export).
pub const RECENT_DAYS: i32 = 90;

/// A course with no report in this many days before the list's date is *quiet*: its signs
/// give it no more than review.
pub const QUIET_DAYS: i32 = 180;

/// Screenings cited one by one in a course's reasons; earlier ones are counted.
pub const MAX_SCREENINGS_CITED: usize = 5;

fn days_word(n: i32) -> String {
    if n == 1 { "1 day".into() } else { format!("{n} days") }
}

/// Orders the courses for review, with reasons, and sizes each force's urgent and high lists
/// by [`ListSizes::default`]. `screenings` are the export's risk assessments (empty when it had
/// none); a screening whose incident is in no course is not used.
pub fn triage(
    incidents: &[Incident],
    orders: &[Order],
    screenings: &[RiskAssessment],
    courses: &[Course],
    breaches: &[Breach],
) -> Vec<Review> {
    triage_sized(incidents, orders, screenings, courses, breaches, &ListSizes::default())
}

/// [`triage`] with the urgent and high lists sized by `sizes` ([`ListSizes::unlimited`] gives
/// the priorities of the rules alone).
pub fn triage_sized(
    incidents: &[Incident],
    orders: &[Order],
    screenings: &[RiskAssessment],
    courses: &[Course],
    breaches: &[Breach],
    sizes: &ListSizes,
) -> Vec<Review> {
    let mut breaches_of_incident: HashMap<usize, Vec<usize>> = HashMap::default();
    for (k, b) in breaches.iter().enumerate() {
        breaches_of_incident.entry(b.incident).or_default().push(k);
    }
    // Only an export with screenings pays for the index of its incidents.
    let incident_at: HashMap<(Force, &str), usize> = if screenings.is_empty() {
        HashMap::default()
    } else {
        incidents.iter().enumerate().map(|(i, r)| ((r.force, r.incident_ref.as_str()), i)).collect()
    };
    let mut screenings_of_incident: HashMap<usize, Vec<usize>> = HashMap::default();
    for (k, a) in screenings.iter().enumerate() {
        if let Some(&i) = incident_at.get(&(a.force, a.incident_ref.as_str())) {
            screenings_of_incident.entry(i).or_default().push(k);
        }
    }
    let screening_forces: HashSet<Force> = screenings.iter().map(|a| a.force).collect();
    // The list is drawn up on the day of the latest report in the export: "recent" and
    // "quiet" are counted back from it, not from each course's own last report.
    let list_day = incidents.iter().map(day).max().unwrap_or(0);
    // Each course is read on its own (its narratives most of the cost), on every core; the
    // list keeps the courses' order, then is sorted below.
    let mut out: Vec<Review> = courses
        .par_iter()
        .enumerate()
        .map(|(c, course)| {
            let seen = sightings(incidents, course);
            let stalking = stalking_signals_seen(incidents, course, &seen);
            let esc = escalation_seen(incidents, course, &seen);
            let own: Vec<usize> =
                course.incidents.iter().flat_map(|i| breaches_of_incident.get(i).into_iter().flatten().copied()).collect();
            let mut reasons = Vec::new();
            let (first, last) = span(incidents, course);
            let length = last.days_since_epoch() - first.days_since_epoch() + 1;
            let mut summary = format!("{} reports in {}", course.incidents.len(), days_word(length));
            if let Some((early, late)) = esc.intervals_shortening {
                summary.push_str(&format!(", intervals shortening from about {early:.0} to {late:.0} days"));
            }
            reasons.push(summary);
            reasons.extend(breach_reasons(incidents, orders, breaches, &own));
            let mut screened: Vec<usize> =
                course.incidents.iter().flat_map(|i| screenings_of_incident.get(i).into_iter().flatten().copied()).collect();
            // By date, then by what they say: two screenings of one day are listed alike in
            // any order of the export's rows.
            screened.sort_by(|&x, &y| screenings[x].cited_order(&screenings[y]).then(x.cmp(&y)));
            let earlier = screened.len().saturating_sub(MAX_SCREENINGS_CITED);
            for &k in &screened[earlier..] {
                reasons.push(screenings[k].in_words());
            }
            if earlier > 0 {
                let s = if earlier == 1 { "" } else { "s" };
                reasons.push(format!("{earlier} earlier screening{s} not listed"));
            }
            let graded_high = screened.iter().any(|&k| screenings[k].grade == Some(RiskGrade::High));
            let no_sdash = course.forces.iter().any(|f| screening_forces.contains(f))
                && course.incidents.iter().any(|&i| incidents[i].is_stalking_or_harassment())
                && !screened.iter().any(|&k| screenings[k].tool == RiskTool::SDash);
            if no_sdash {
                reasons.push(format!(
                    "{} reports and no S-DASH recorded (College of Policing: screen with S-DASH from the second report)",
                    course.incidents.len()
                ));
            }
            let withdrew = withdrawal(incidents, course);
            if let Some(w) = &withdrew {
                reasons.push(w.in_words(incidents));
            }
            let withdrew_while_reports_continued = withdrew.as_ref().is_some_and(|w| w.reports_since > 0);
            if let Some(t) = &esc.first_threat {
                reasons.push(format!("{} first reported {}: \"{}\"", t.cue, t.date, t.phrase));
            }
            if let Some(v) = &esc.first_violence {
                reasons.push(format!("violence first reported {}: \"{}\"", v.date, v.phrase));
            }
            if let Some((d, code)) = &esc.more_serious_offence {
                reasons.push(format!("more serious offence ({code}) from {d}"));
            }
            if esc.recent_reports >= 5 {
                reasons.push(format!("{} reports in the last 90 days of the course", esc.recent_reports));
            }
            if stalking.review_as_stalking() {
                let mut why = Vec::new();
                if stalking.four.len() == 4 {
                    why.push("all four FOUR indicators (fixated, obsessive, unwanted, repeated)".to_string());
                }
                for s in &stalking.behaviours {
                    why.push(format!("{} in a narrative from {}: \"{}\"", s.behaviour, s.date, s.phrase));
                }
                if stalking.domestic_abuse_after_rule {
                    why.push("domestic-abuse harassment recorded after April 2020, when such harassment is recorded as stalking".into());
                }
                if let Some(h) = stalking.stalking_under_other_crime.first() {
                    let more = stalking.stalking_under_other_crime.len() - 1;
                    let also = if more == 0 { String::new() } else { format!(" (and {more} more such reports)") };
                    why.push(format!(
                        "stalking ({}) recorded only beside another crime ({}) in report {} of {}{also}",
                        h.secondary, h.principal, h.incident_ref, h.date
                    ));
                }
                reasons.push(format!("review as stalking: {}", why.join("; ")));
            }
            if course.is_cross_force() {
                let names: Vec<&str> = course.forces.iter().map(|f| f.name()).collect();
                reasons.push(format!("crosses forces: {}", names.join(", ")));
                reasons.extend(course.forces.iter().map(|&f| force_holds(incidents, course, f)));
            }
            if !course.hidden.is_empty() {
                reasons.push(format!("{} of {} repeats never linked by the force", course.hidden.len(), course.incidents.len() - 1));
            }
            let last_day = day(&incidents[*course.incidents.last().expect("reports")]);
            let recent = |d: conduct_domain::Date| list_day - d.days_since_epoch() <= RECENT_DAYS;
            let quiet = list_day - last_day > QUIET_DAYS;
            let urgent = [
                !own.is_empty(),
                esc.first_threat.as_ref().is_some_and(|t| t.cue == "threat to kill" && recent(t.date)),
                esc.first_violence.as_ref().is_some_and(|v| recent(v.date)),
            ];
            let high = [
                esc.intervals_shortening.is_some(),
                esc.first_threat.is_some(),
                esc.first_violence.is_some(),
                esc.more_serious_offence.is_some(),
                esc.recent_reports >= 5,
                graded_high,
            ];
            let mut priority = if urgent.contains(&true) {
                Priority::Urgent
            } else if high.contains(&true) {
                Priority::High
            } else if stalking.review_as_stalking() || course.is_cross_force() || no_sdash {
                Priority::Review
            } else {
                Priority::Routine
            };
            // A victim who withdrew while the reports kept coming raises the course a step,
            // never above high.
            if withdrew_while_reports_continued && priority > Priority::High {
                priority = if priority == Priority::Routine { Priority::Review } else { Priority::High };
            }
            // A course gone quiet is not heading anywhere today: whatever its signs, it waits
            // behind the live courses, at review. The reason names the course's own last
            // report and the rule, not the list's day or the days since: those move with
            // every export, and a reason that changes while its course does not tells the
            // analyst nothing new (and would rewrite most of a published list each week).
            if quiet && priority < Priority::Review {
                reasons.insert(
                    1,
                    format!(
                        "{} by the signs, but quiet: no report since {last}, none in the {QUIET_DAYS} days before the list's day",
                        priority.as_str(),
                    ),
                );
                priority = Priority::Review;
            }
            let grounds =
                if quiet { 0 } else { urgent.iter().chain(&high).filter(|&&g| g).count() + usize::from(withdrew_while_reports_continued) };
            Review {
                course: c,
                priority,
                by_rules: priority,
                grounds,
                reasons,
                stalking,
                escalation: esc,
                breaches: own,
                screenings: screened,
                no_sdash,
                withdrawal: withdrew,
                graded_high,
            }
        })
        .collect();
    size_lists(incidents, courses, &mut out, sizes);
    // Each key made once: made at every comparison, two reads far apart in memory each, the sort
    // of the 1M world's 124k reviews took half a second. Keys end in the course, unique, so the
    // order is the same whichever sort.
    out.sort_by_cached_key(|r| review_order(incidents, courses, r));
    out
}

/// Where a course stands in the review list, all but the tie between courses equal in all of
/// it (the list breaks that by the courses' order): priority, then the
/// priority the rules gave (a course moved down by [`ListSizes`] heads the list it joins), then
/// more grounds, the more recent last report, the longer course. It is the course's own: other
/// courses coming and going do not change it (the sizing aside), so a list kept between
/// publications can be ordered by it without renumbering every row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// The course's priority on the list.
    pub priority: Priority,
    /// The priority its rules gave, before the sizing.
    pub by_rules: Priority,
    /// How many of the urgent and high rules it meets ([`Review::grounds`]).
    pub grounds: usize,
    /// Its last report's recorded day, in days since 1970-01-01.
    pub last_day: i32,
    /// How many reports it holds.
    pub reports: usize,
}

impl Standing {
    /// Review `r`'s standing, `r` being a review of one of `courses` over `incidents`.
    #[must_use]
    pub fn of(incidents: &[Incident], courses: &[Course], r: &Review) -> Standing {
        let c = &courses[r.course];
        Standing {
            priority: r.priority,
            by_rules: r.by_rules,
            grounds: r.grounds,
            last_day: day(&incidents[*c.incidents.last().expect("reports")]),
            reports: c.incidents.len(),
        }
    }

    /// The key the list is sorted by: earlier is sooner reviewed.
    #[must_use]
    pub fn order(&self) -> StandingOrder {
        use std::cmp::Reverse;
        (self.priority, self.by_rules, Reverse(self.grounds), Reverse(self.last_day), Reverse(self.reports))
    }
}

/// A [`Standing`] as the list sorts it ([`Standing::order`]).
pub type StandingOrder = (Priority, Priority, std::cmp::Reverse<usize>, std::cmp::Reverse<i32>, std::cmp::Reverse<usize>);

/// The order of the review list: the courses' [`Standing`], then their order in `courses`.
fn review_order(incidents: &[Incident], courses: &[Course], r: &Review) -> (StandingOrder, usize) {
    (Standing::of(incidents, courses, r).order(), r.course)
}

/// How long a force's urgent and high lists may be: the people who work them are few, and a
/// list in which half the courses are "high" tells them nothing.
///
/// A course belongs to the list of the force that recorded its latest report (the force the
/// victim last turned to). A force's urgent list holds at most
/// `max(urgent_at_least, ⌈urgent_share × its courses⌉)` courses and its high list at most
/// `max(high_at_least, ⌈high_share × its courses⌉)`. The courses the rules make urgent are
/// ranked (more grounds, then the most recent last report, then the longest course); those
/// beyond the urgent places move to high, at its head, with a reason saying why. Then the
/// high list (the rules' high courses after those moved down) is cut the same way, the rest
/// moving to review. A course whose screening the force graded high is never moved below
/// high (DESIGN.md: the force's grading is not Conduct's to overrule).
#[derive(Clone, Debug, PartialEq)]
pub struct ListSizes {
    /// Share of the force's courses its urgent list may hold.
    pub urgent_share: f64,
    /// Urgent places a force has however few its courses.
    pub urgent_at_least: usize,
    /// Share of the force's courses its high list may hold.
    pub high_share: f64,
    /// High places a force has however few its courses.
    pub high_at_least: usize,
}

impl Default for ListSizes {
    /// Urgent: 1% of a force's courses (at least 3); high: 4% (at least 10). Together the top
    /// 5%, the share in which issue 17 asks the early-warning measure to find the courses
    /// heading for serious violence.
    fn default() -> Self {
        ListSizes { urgent_share: 0.01, urgent_at_least: 3, high_share: 0.04, high_at_least: 10 }
    }
}

impl ListSizes {
    /// No limit: the priorities of the rules alone.
    pub fn unlimited() -> ListSizes {
        ListSizes { urgent_share: 1.0, urgent_at_least: usize::MAX, high_share: 1.0, high_at_least: usize::MAX }
    }

    /// Urgent places for a force with `courses` courses.
    pub fn urgent_places(&self, courses: usize) -> usize {
        places(self.urgent_share, self.urgent_at_least, courses)
    }

    /// High places for a force with `courses` courses.
    pub fn high_places(&self, courses: usize) -> usize {
        places(self.high_share, self.high_at_least, courses)
    }
}

fn places(share: f64, at_least: usize, courses: usize) -> usize {
    let by_share = (share.clamp(0.0, 1.0) * courses as f64).ceil() as usize;
    by_share.max(at_least)
}

fn percent(share: f64) -> String {
    let p = share * 100.0;
    if (p - p.round()).abs() < 1e-9 { format!("{p:.0}%") } else { format!("{p:.1}%") }
}

/// Cuts each force's urgent and high lists to [`ListSizes`] (see there).
fn size_lists(incidents: &[Incident], courses: &[Course], reviews: &mut [Review], sizes: &ListSizes) {
    let force_of = |r: &Review| incidents[*courses[r.course].incidents.last().expect("reports")].force;
    let mut of_force: HashMap<Force, Vec<usize>> = HashMap::default();
    for (k, r) in reviews.iter().enumerate() {
        of_force.entry(force_of(r)).or_default().push(k);
    }
    for (force, ks) in of_force {
        let n = ks.len();
        for (level, next, limit, share, at_least) in [
            (Priority::Urgent, Priority::High, sizes.urgent_places(n), sizes.urgent_share, sizes.urgent_at_least),
            (Priority::High, Priority::Review, sizes.high_places(n), sizes.high_share, sizes.high_at_least),
        ] {
            let mut on: Vec<usize> = ks.iter().copied().filter(|&k| reviews[k].priority == level).collect();
            if on.len() <= limit {
                continue;
            }
            on.sort_by_key(|&k| review_order(incidents, courses, &reviews[k]));
            let mut kept = 0;
            for k in on {
                let r = &mut reviews[k];
                let stays = kept < limit || (level == Priority::High && r.graded_high);
                if stays {
                    kept += 1;
                    continue;
                }
                let (was, at) = if r.by_rules == level {
                    (format!("{} by the rules", level.as_str()), 1)
                } else {
                    (format!("{} by the rules and moved to {}", r.by_rules.as_str(), level.as_str()), 2)
                };
                let floor = if at_least == usize::MAX { String::new() } else { format!(", at least {at_least}") };
                r.reasons.insert(
                    at.min(r.reasons.len()),
                    format!(
                        "{was}, but {}'s {} list is full ({limit} places: {} of its {n} courses{floor}): listed as {}",
                        force.name(),
                        level.as_str(),
                        percent(share),
                        next.as_str()
                    ),
                );
                r.priority = next;
            }
        }
    }
}

/// What one force of a cross-force course holds, from nothing but each report's force,
/// recorded date and offence codes (what another force may pass on through the hub, so a
/// force working from the hub's links says the same as one holding every force's records):
/// "Cheshire holds 5 reports about the same pair between 2022-07-25 and 2022-08-27, one a
/// threat". A *threat* is a report whose principal offence is stalking involving fear of
/// violence (8/65) or a threat to kill (Home Office class 3); *violent*, one of the violent
/// codes the escalation signs use for "more serious offence" ([`crate::Escalation`]), other
/// than those. A course with the suspect unknown is "about the same victim".
pub fn force_holds(incidents: &[Incident], course: &Course, force: Force) -> String {
    let reports: Vec<&Incident> = course.incidents.iter().map(|&i| &incidents[i]).filter(|r| r.force == force).collect();
    let (Some(first), Some(last)) = (reports.iter().map(|r| r.recorded_date).min(), reports.iter().map(|r| r.recorded_date).max()) else {
        return format!("{} holds no report of this course", force.name());
    };
    let threat = |r: &Incident| is_threat(r.offence_code.as_str());
    let threats = reports.iter().filter(|r| threat(r)).count();
    let violent = reports.iter().filter(|r| !threat(r) && is_violent(r.offence_code.as_str())).count();
    let about = if matches!(course.suspect, Suspect::Known(_)) { "the same pair" } else { "the same victim" };
    let n = reports.len();
    let mut s = if n == 1 {
        format!("{} holds 1 report about {about}, on {first}", force.name())
    } else {
        format!("{} holds {n} reports about {about} between {first} and {last}", force.name())
    };
    let one = n == 1;
    match threats {
        0 => {}
        1 if one => s.push_str(", a threat"),
        1 => s.push_str(", one a threat"),
        k => s.push_str(&format!(", {k} threats")),
    }
    match violent {
        0 => {}
        1 if one => s.push_str(", violent"),
        1 => s.push_str(", one violent"),
        k => s.push_str(&format!(", {k} violent")),
    }
    s
}

/// Stalking involving fear of violence (8/65) or a threat to kill (Home Office class 3: `3`,
/// `3A`, `3/1`…).
fn is_threat(code: &str) -> bool {
    let digits: String = code.chars().take_while(char::is_ascii_digit).collect();
    code == "8/65" || digits == "3"
}

/// One reason per order a course may breach: its single possible breach as "SPO SPO-1 granted
/// 2023-04-01, in force until 2025-04-01 — possible breach 2023-05-01", or many as "12 possible
/// breaches of interim SPO ISPO-7 (granted 2022-01-01, with no expiry recorded), 2022-01-03 to
/// 2023-05-09". Orders in the order of their first possible breach.
fn breach_reasons(incidents: &[Incident], orders: &[Order], breaches: &[Breach], own: &[usize]) -> Vec<String> {
    let mut by_order: Vec<(usize, Vec<conduct_domain::Date>)> = Vec::new();
    for &k in own {
        let b = &breaches[k];
        let d = incidents[b.incident].recorded_date;
        match by_order.iter_mut().find(|(o, _)| *o == b.order) {
            Some((_, ds)) => ds.push(d),
            None => by_order.push((b.order, vec![d])),
        }
    }
    for (_, ds) in &mut by_order {
        ds.sort_unstable();
    }
    by_order.sort_by_key(|(o, ds)| (ds[0], *o));
    by_order
        .into_iter()
        .map(|(o, ds)| {
            let o = &orders[o];
            let kind = if o.order_type == OrderType::Other { "order".to_string() } else { o.order_type.to_string() };
            if let [d] = ds[..] {
                let granted = o.granted_date.map_or_else(String::new, |g| format!(" granted {g}"));
                let until = o.expires_date.map_or_else(|| " with no expiry recorded".to_string(), |e| format!(", in force until {e}"));
                format!("{kind} {}{granted}{until} — possible breach {d}", o.order_ref)
            } else {
                let mut terms: Vec<String> = o.granted_date.map(|g| format!("granted {g}")).into_iter().collect();
                terms.push(o.expires_date.map_or_else(|| "with no expiry recorded".to_string(), |e| format!("in force until {e}")));
                format!(
                    "{} possible breaches of {kind} {} ({}), {} to {}",
                    ds.len(),
                    o.order_ref,
                    terms.join(", "),
                    ds[0],
                    ds[ds.len() - 1]
                )
            }
        })
        .collect()
}
