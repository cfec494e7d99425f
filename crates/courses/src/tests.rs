//! Rules on small hand-made cases: each test pins one rule of `build`, `breach` or `triage`.

use conduct_domain::{Date, Force, OffenceCode, OrderStatus, OrderType, Role};
use conduct_domain::{Incident, Involvement, Order, RiskAssessment, RiskGrade, RiskTool};

use crate::{Options, Priority, Suspect, find_breaches, find_courses, triage};

fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn incident(force: &str, r: &str, day: &str, code: &str, links: &[&str], narrative: &str) -> Incident {
    Incident {
        linked_refs: links.iter().map(|&s| s.into()).collect(),
        narrative: narrative.into(),
        ..Incident::new(Force::resolve(force).unwrap(), r, date(day), OffenceCode::parse(code).unwrap())
    }
}

fn person(force: &str, incident: &str, role: Role, n: usize) -> Involvement {
    Involvement::new(&format!("{incident}-{role}-{n}"), Force::resolve(force).unwrap(), incident, role)
}

/// A row with a name (so that it identifies someone), "Person{id}".
fn named(mut p: Involvement, id: u32) -> Involvement {
    p.surname = format!("Person{id}").into();
    p.forename = "A".into();
    p
}

/// A world: reports with (victim, optional suspect) person numbers.
struct World {
    incidents: Vec<Incident>,
    people: Vec<Involvement>,
    ids: Vec<u32>,
}

impl World {
    fn new() -> World {
        World { incidents: Vec::new(), people: Vec::new(), ids: Vec::new() }
    }

    fn report(&mut self, force: &str, r: &str, day: &str, victim: u32, suspect: Option<u32>) -> &mut Incident {
        self.report_with(force, r, day, "8L", &[], "", victim, suspect)
    }

    #[allow(clippy::too_many_arguments)]
    fn report_with(
        &mut self,
        force: &str,
        r: &str,
        day: &str,
        code: &str,
        links: &[&str],
        narrative: &str,
        victim: u32,
        suspect: Option<u32>,
    ) -> &mut Incident {
        self.people.push(named(person(force, r, Role::Victim, self.people.len()), victim));
        self.ids.push(victim);
        if let Some(s) = suspect {
            self.people.push(named(person(force, r, Role::Suspect, self.people.len()), s));
            self.ids.push(s);
        }
        self.incidents.push(incident(force, r, day, code, links, narrative));
        self.incidents.last_mut().unwrap()
    }

    fn courses(&self) -> crate::Courses {
        find_courses(&self.incidents, &self.people, &self.ids, &Options::default())
    }

    fn refs(&self, c: &crate::Course) -> Vec<&str> {
        c.incidents.iter().map(|&i| self.incidents[i].incident_ref.as_str()).collect()
    }
}

#[test]
fn a_single_report_is_not_a_course() {
    let mut w = World::new();
    w.report("Kent", "K1", "2023-01-01", 1, Some(2));
    w.report("Kent", "K2", "2023-01-05", 3, Some(2));
    assert!(w.courses().courses.is_empty());
}

#[test]
fn two_reports_same_suspect_same_victim_any_force_is_a_course() {
    let mut w = World::new();
    w.report("Kent", "K1", "2023-01-01", 1, Some(2));
    w.report("Essex", "E1", "2023-03-01", 1, Some(2));
    let found = w.courses();
    assert_eq!(found.courses.len(), 1);
    let c = &found.courses[0];
    assert_eq!(w.refs(c), ["K1", "E1"]);
    assert!(c.is_cross_force());
    assert_eq!(c.hidden.len(), 1, "a second force's report cannot have been linked");
}

#[test]
fn twins_are_two_victims() {
    // One suspect, twin victims (resolved as two people): two courses, never one.
    let mut w = World::new();
    w.report("Kent", "K1", "2023-01-01", 10, Some(2));
    w.report("Kent", "K2", "2023-01-08", 11, Some(2));
    w.report("Kent", "K3", "2023-01-15", 10, Some(2));
    w.report("Kent", "K4", "2023-01-22", 11, Some(2));
    let found = w.courses();
    assert_eq!(found.courses.len(), 2);
    assert_eq!(w.refs(&found.courses[0]), ["K1", "K3"]);
    assert_eq!(w.refs(&found.courses[1]), ["K2", "K4"]);
    assert_eq!(found.serial_suspects, [(2, 2)]);
}

#[test]
fn unknown_suspect_reports_join_within_the_window_only() {
    let mut w = World::new();
    w.report("Kent", "K1", "2023-01-01", 1, Some(2));
    w.report("Kent", "K2", "2023-02-01", 1, None); // joins: 31 days
    w.report("Kent", "K3", "2024-06-01", 1, None); // too far from the course
    w.report("Kent", "K4", "2024-06-20", 1, None); // but chains with K3: victim-only course
    w.report_with("Kent", "K5", "2023-01-10", "105A", &[], "", 1, None); // not S&H: never joins
    let found = w.courses();
    assert_eq!(found.courses.len(), 2);
    assert_eq!(w.refs(&found.courses[0]), ["K1", "K2"]);
    assert_eq!(found.courses[0].suspect, Suspect::Known(2));
    assert_eq!(w.refs(&found.courses[1]), ["K3", "K4"]);
    assert_eq!(found.courses[1].suspect, Suspect::Unknown);
}

#[test]
fn an_unknown_male_suspect_row_is_an_unknown_suspect() {
    // Her third report lists a suspect row with nothing identifying ("unknown male"), resolved
    // as a person of its own: it still joins her course within the window.
    let mut w = World::new();
    w.report("Kent", "K1", "2023-01-01", 1, Some(2));
    w.report("Kent", "K2", "2023-02-01", 1, Some(2));
    w.report("Kent", "K3", "2023-03-01", 1, None);
    w.people.push(person("Kent", "K3", Role::Suspect, 99));
    w.ids.push(7);
    let found = w.courses();
    assert_eq!(found.courses.len(), 1);
    assert_eq!(w.refs(&found.courses[0]), ["K1", "K2", "K3"]);
}

/// Review of issue 12: a suspect written "Unknown" / "Male" (or "N/K") is as unknown as a blank
/// one, so the report joins her course rather than counting as a named suspect.
#[test]
fn a_placeholder_named_suspect_is_an_unknown_suspect() {
    let mut w = World::new();
    w.report("Kent", "K1", "2023-01-01", 1, Some(2));
    w.report("Kent", "K2", "2023-02-01", 1, Some(2));
    w.report("Kent", "K3", "2023-03-01", 1, None);
    let mut p = person("Kent", "K3", Role::Suspect, 99);
    p.forename = "Unknown".into();
    p.surname = "Male".into();
    w.people.push(p);
    w.ids.push(7);
    let found = w.courses();
    assert_eq!(found.courses.len(), 1);
    assert_eq!(w.refs(&found.courses[0]), ["K1", "K2", "K3"]);
}

#[test]
fn a_suspect_split_by_linkage_does_not_split_the_course() {
    // Linkage left the suspect as persons 2 and 3 (one record had a typo and no date of birth);
    // person 4, of another name, is a second suspect; person 5 shares the name but not the date
    // of birth (his father).
    let mut w = World::new();
    w.report("Kent", "K1", "2023-01-01", 1, Some(2));
    w.report("Kent", "K2", "2023-02-01", 1, Some(2));
    w.report("Kent", "K3", "2023-03-01", 1, Some(3));
    w.report("Kent", "K4", "2023-04-01", 1, Some(4));
    w.report("Kent", "K5", "2023-05-01", 1, Some(4));
    w.report("Kent", "K6", "2023-06-01", 1, Some(5));
    w.report("Kent", "K7", "2023-07-01", 1, Some(5));
    let set = |w: &mut World, row: usize, forename: &str, surname: &str, dob: &str| {
        let p = &mut w.people[row];
        p.forename = forename.into();
        p.surname = surname.into();
        p.set_date_of_birth(dob);
    };
    for (row, (f, s, d)) in [
        (1, ("Darren", "Whitcombe", "1984-11-02")),
        (3, ("Darren", "Whitcombe", "1984-11-02")),
        (5, ("Darren", "Whitcomb", "")),
        (7, ("Shane", "Doherty", "1978-12-01")),
        (9, ("Shane", "Doherty", "1978-12-01")),
        (11, ("Darren", "Whitcombe", "1958-03-03")),
        (13, ("Darren", "Whitcombe", "1958-03-03")),
    ] {
        set(&mut w, row, f, s, d);
    }
    // K3's suspect row says "Whitcomb": no shared surname yet, so a second row of person 3
    // with the usual spelling is what ties them.
    w.report("Kent", "K8", "2023-08-01", 9, Some(3));
    set(&mut w, 15, "Darren", "Whitcombe", "");
    let found = w.courses();
    let of = |c: &crate::Course| (w.refs(c), c.suspect);
    let all: Vec<_> = found.courses.iter().map(of).collect();
    assert!(all.contains(&(vec!["K1", "K2", "K3"], Suspect::Known(2))), "{all:?}");
    assert!(all.contains(&(vec!["K4", "K5"], Suspect::Known(4))), "{all:?}");
    assert!(all.contains(&(vec!["K6", "K7"], Suspect::Known(5))), "{all:?}");
}

/// Review of issue 12's course rule: the suspects of joined threads were each compared with the
/// host's alone, so an undated "D Whitcombe" host could take a Darren born 1984 and one born
/// 1958 (father and son) into one course, and "Dean" matched "Darren" by initial.
#[test]
fn an_undated_suspect_does_not_bring_father_and_son_into_one_course() {
    let mut w = World::new();
    for (r, day, suspect) in [
        ("K1", "2023-01-01", 2),
        ("K2", "2023-02-01", 2),
        ("K3", "2023-03-01", 2),
        ("K4", "2023-04-01", 3),
        ("K5", "2023-05-01", 3),
        ("K6", "2023-06-01", 4),
        ("K7", "2023-07-01", 4),
        ("K8", "2023-08-01", 5),
        ("K9", "2023-09-01", 5),
    ] {
        w.report("Kent", r, day, 1, Some(suspect));
    }
    let rows = [
        ("D", "Whitcombe", ""),
        ("Darren", "Whitcombe", "1984-11-02"),
        ("Darren", "Whitcombe", "1958-03-03"),
        ("Dean", "Whitcombe", "1990-01-01"),
    ];
    for (k, (f, s, d)) in [0, 0, 0, 1, 1, 2, 2, 3, 3].into_iter().map(|i| rows[i]).enumerate() {
        let p = &mut w.people[2 * k + 1];
        p.forename = f.into();
        p.surname = s.into();
        p.set_date_of_birth(d);
    }
    let found = w.courses();
    let all: Vec<_> = found.courses.iter().map(|c| (w.refs(c), c.suspect)).collect();
    assert!(all.contains(&(vec!["K1", "K2", "K3", "K4", "K5"], Suspect::Known(2))), "the undated D joins one Darren: {all:?}");
    assert!(all.contains(&(vec!["K6", "K7"], Suspect::Known(4))), "the other Darren stays apart: {all:?}");
    assert!(all.contains(&(vec!["K8", "K9"], Suspect::Known(5))), "Dean is not Darren: {all:?}");
}

#[test]
fn hidden_repeats_are_those_not_linked_at_the_time() {
    let mut w = World::new();
    w.report_with("Kent", "K1", "2023-01-01", "8L", &[], "", 1, Some(2));
    w.report_with("Kent", "K2", "2023-01-10", "8L", &["K1"], "", 1, Some(2));
    w.report_with("Kent", "K3", "2023-01-20", "8L", &[], "", 1, Some(2));
    w.report_with("Kent", "K4", "2023-01-30", "8L", &["K9"], "", 1, Some(2)); // links elsewhere
    let found = w.courses();
    let c = &found.courses[0];
    assert_eq!(c.linked_by_force, 1);
    let hidden: Vec<&str> = c.hidden.iter().map(|&i| w.incidents[i].incident_ref.as_str()).collect();
    assert_eq!(hidden, ["K3", "K4"]);
}

fn order(force: &str, source: &str, granted: &str, expires: &str) -> Order {
    Order {
        force: Force::resolve(force).unwrap(),
        order_ref: "SPO-1".into(),
        order_type: OrderType::Spo,
        incident_ref: source.into(),
        applied_date: None,
        granted_date: Some(date(granted)),
        expires_date: Some(date(expires)),
        status: Some(OrderStatus::Granted),
        invalid: Vec::new(),
    }
}

#[test]
fn a_breach_is_within_the_order_and_the_day_after_expiry_is_not() {
    let mut w = World::new();
    w.report("Kent", "K1", "2023-01-01", 1, Some(2)); // the order arises from this
    w.report("Kent", "K2", "2023-03-01", 1, Some(2)); // before the grant
    w.report("Kent", "K3", "2024-01-01", 1, Some(2)); // on the expiry day: breach
    w.report("Kent", "K4", "2024-01-02", 1, Some(2)); // the day after expiry: not
    w.report("Kent", "K5", "2023-06-01", 3, Some(2)); // another victim: not
    w.report("Essex", "E1", "2023-07-01", 1, Some(2)); // another force, same people: breach
    let orders = vec![order("Kent", "K1", "2023-04-01", "2024-01-01")];
    let found = w.courses();
    let breaches = find_breaches(&w.incidents, &orders, &found);
    let refs: Vec<&str> = breaches.iter().map(|b| w.incidents[b.incident].incident_ref.as_str()).collect();
    assert_eq!(refs, ["K3", "E1"]);
    let mut refused = orders.clone();
    refused[0].status = Some(OrderStatus::Refused);
    assert!(find_breaches(&w.incidents, &refused, &found).is_empty(), "a refused order protects nobody");
}

#[test]
fn triage_puts_breaches_first_and_says_why() {
    let mut w = World::new();
    for (k, d) in ["2023-01-01", "2023-02-01", "2023-05-01", "2023-06-01"].iter().enumerate() {
        w.report("Kent", &format!("A{k}"), d, 1, Some(2));
    }
    for (k, d) in ["2023-01-01", "2023-01-15"].iter().enumerate() {
        w.report_with("Kent", &format!("B{k}"), d, "8L", &[], "He was loitering outside her flat", 5, Some(6));
    }
    let orders = vec![order("Kent", "A0", "2023-04-01", "2025-04-01")];
    let found = w.courses();
    let breaches = find_breaches(&w.incidents, &orders, &found);
    let reviews = triage(&w.incidents, &orders, &[], &found.courses, &breaches);
    assert_eq!(reviews[0].priority, Priority::Urgent);
    let text = reviews[0].reasons.join("; ");
    assert!(text.starts_with("4 reports in 152 days"), "{text}");
    assert!(
        text.contains("2 possible breaches of SPO SPO-1 (granted 2023-04-01, in force until 2025-04-01), 2023-05-01 to 2023-06-01"),
        "{text}"
    );
    assert_eq!(reviews[1].priority, Priority::Review);
    assert!(reviews[1].reasons.iter().any(|r| r.contains("review as stalking") && r.contains("loiter")), "{:?}", reviews[1].reasons);
}

fn screening(r: &str, day: &str, tool: RiskTool, grade: Option<RiskGrade>, yes: &[&str]) -> RiskAssessment {
    RiskAssessment {
        force: Force::resolve("Kent").unwrap(),
        incident_ref: r.into(),
        assessed_date: date(day),
        tool,
        grade,
        yes_answers: yes.iter().map(|s| s.to_string()).collect(),
        assessor_notes: String::new(),
        invalid: Vec::new(),
    }
}

fn secondary(i: &mut Incident, codes: &[&str]) {
    i.secondary_offence_codes = codes.iter().map(|c| OffenceCode::parse(c).unwrap()).collect();
}

#[test]
fn screenings_are_cited_in_words_and_a_high_grade_raises_priority() {
    let mut w = World::new();
    for (k, d) in ["2022-06-03", "2022-07-15", "2022-08-20"].iter().enumerate() {
        w.report("Kent", &format!("A{k}"), d, 1, Some(2));
    }
    w.report("Kent", "B0", "2022-03-01", 3, Some(4));
    w.report("Kent", "B1", "2022-04-01", 3, Some(4));
    let found = w.courses();
    let without = triage(&w.incidents, &[], &[], &found.courses, &[]);
    assert!(without.iter().all(|r| r.priority == Priority::Routine && !r.no_sdash), "no screenings exported: no S-DASH reason");
    let screenings = vec![
        screening("A2", "2022-08-24", RiskTool::SDash, Some(RiskGrade::High), &["frightened", "visits_3_per_week", "threats"]),
        screening("A1", "2022-07-16", RiskTool::Dash, Some(RiskGrade::Medium), &["q8"]),
        screening("Z9", "2022-07-16", RiskTool::SDash, Some(RiskGrade::High), &[]),
    ];
    let reviews = triage(&w.incidents, &[], &screenings, &found.courses, &[]);
    let a = reviews.iter().find(|r| w.refs(&found.courses[r.course])[0] == "A0").unwrap();
    assert_eq!(a.priority, Priority::High, "{:?}", a.reasons);
    assert_eq!(a.screenings, [1, 0], "by date");
    assert_eq!(
        a.reasons[1..3],
        [
            "DASH 2022-07-16 graded medium: question 8 (constant contact, following or stalking)".to_string(),
            "S-DASH 2022-08-24 graded high: victim very frightened; visits more than 3 times a week; threats of physical or sexual violence"
                .to_string(),
        ]
    );
    assert!(!a.no_sdash);
    let b = reviews.iter().find(|r| w.refs(&found.courses[r.course])[0] == "B0").unwrap();
    assert_eq!(b.priority, Priority::Review, "the force screens, this course has no S-DASH");
    assert!(b.no_sdash && b.screenings.is_empty());
    assert!(
        b.reasons.contains(&"2 reports and no S-DASH recorded (College of Policing: screen with S-DASH from the second report)".into())
    );
    // A screening graded medium does not raise a course.
    let medium = vec![screening("B1", "2022-04-02", RiskTool::SDash, Some(RiskGrade::Medium), &["loitering"])];
    let reviews = triage(&w.incidents, &[], &medium, &found.courses, &[]);
    let b = reviews.iter().find(|r| w.refs(&found.courses[r.course])[0] == "B0").unwrap();
    assert_eq!(b.priority, Priority::Routine);
    assert!(b.reasons.contains(&"S-DASH 2022-04-02 graded medium: loitering".into()), "{:?}", b.reasons);
}

#[test]
fn many_screenings_are_cited_up_to_a_limit_and_the_rest_counted() {
    let mut w = World::new();
    w.report("Kent", "A0", "2022-01-01", 1, Some(2));
    w.report("Kent", "A1", "2022-01-20", 1, Some(2));
    let screenings: Vec<RiskAssessment> =
        (1..=8).map(|d| screening("A1", &format!("2022-02-{d:02}"), RiskTool::SDash, None, &["loitering"])).collect();
    let found = w.courses();
    let r = &triage(&w.incidents, &[], &screenings, &found.courses, &[])[0];
    assert_eq!(r.screenings.len(), 8);
    let cited: Vec<&String> = r.reasons.iter().filter(|s| s.starts_with("S-DASH")).collect();
    assert_eq!(cited.len(), crate::triage::MAX_SCREENINGS_CITED);
    assert!(cited[0].starts_with("S-DASH 2022-02-04"), "the latest are cited: {cited:?}");
    assert!(r.reasons.contains(&"3 earlier screenings not listed".into()), "{:?}", r.reasons);
}

#[test]
fn stalking_recorded_beside_another_crime_makes_a_course_and_a_reason_to_review_as_stalking() {
    let mut w = World::new();
    // Unknown suspect: criminal damage with harassment as a secondary code joins the victim's chain.
    secondary(w.report_with("Kent", "V0", "2022-03-01", "58A", &[], "", 1, None), &["8L"]);
    w.report("Kent", "V1", "2022-03-20", 1, None);
    // Without the secondary code the damage is not a stalking-or-harassment report: no course.
    w.report_with("Kent", "X0", "2022-03-01", "58A", &[], "", 5, None);
    w.report("Kent", "X1", "2022-03-20", 5, None);
    // Known suspect: stalking recorded only beside criminal damage.
    w.report("Kent", "S0", "2022-06-01", 3, Some(4));
    secondary(w.report_with("Kent", "S1", "2022-07-01", "58A", &[], "", 3, Some(4)), &["8Q"]);
    let found = w.courses();
    let refs: Vec<Vec<&str>> = found.courses.iter().map(|c| w.refs(c)).collect();
    assert_eq!(refs, [vec!["V0", "V1"], vec!["S0", "S1"]]);
    let reviews = triage(&w.incidents, &[], &[], &found.courses, &[]);
    let s = reviews.iter().find(|r| r.course == 1).unwrap();
    assert!(s.stalking.review_as_stalking());
    assert_eq!(s.priority, Priority::Review);
    assert!(
        s.reasons
            .iter()
            .any(|r| r == "review as stalking: stalking (8Q) recorded only beside another crime (58A) in report S1 of 2022-07-01"),
        "{:?}",
        s.reasons
    );
    let v = reviews.iter().find(|r| r.course == 0).unwrap();
    assert!(!v.stalking.review_as_stalking(), "harassment beside criminal damage is not a stalking flag");
    // Stalking recorded as the principal crime in another report: it is recorded as stalking.
    w.incidents[4].offence_code = OffenceCode::parse("8Q").unwrap();
    let found = w.courses();
    let reviews = triage(&w.incidents, &[], &[], &found.courses, &[]);
    assert!(reviews.iter().all(|r| !r.stalking.review_as_stalking()));
}

fn withdrew(i: &mut Incident, outcome: u8, on: Option<&str>) {
    i.outcome_type = conduct_domain::OutcomeType::new(outcome);
    i.outcome_date = on.map(date);
}

#[test]
fn a_victim_who_withdrew_while_reports_kept_coming_is_a_reason_and_a_step_up() {
    // Seven reports; the third (K2) gets outcome 16 on 2023-03-02; K3–K6 came after she
    // withdrew. No three reports within 30 days, so not all four FOUR indicators: routine.
    let mut w = World::new();
    for (k, d) in ["2023-01-10", "2023-02-01", "2023-02-20", "2023-04-01", "2023-06-01", "2023-09-01", "2023-12-01"].iter().enumerate() {
        w.report("Kent", &format!("K{k}"), d, 1, Some(2));
    }
    withdrew(&mut w.incidents[2], 16, Some("2023-03-02"));
    // Another course, same shape, no withdrawal: stays routine.
    for (k, d) in ["2023-01-10", "2023-02-01", "2023-02-20", "2023-04-01", "2023-06-01", "2023-09-01", "2023-12-01"].iter().enumerate() {
        w.report("Kent", &format!("L{k}"), d, 5, Some(6));
    }
    let found = w.courses();
    let c = &found.courses[0];
    let wd = crate::withdrawal(&w.incidents, c).expect("she withdrew");
    assert_eq!(w.incidents[wd.incident].incident_ref, "K2");
    assert_eq!((wd.position, wd.reports, wd.days_after_first, wd.reports_since), (3, 7, 51, 4));
    let reviews = triage(&w.incidents, &[], &[], &found.courses, &[]);
    let of =
        |id: &str| reviews.iter().find(|r| found.courses[r.course].incidents.iter().any(|&i| w.incidents[i].incident_ref == id)).unwrap();
    let r = of("K0");
    assert!(
        r.reasons.contains(
            &"victim withdrew support on 2023-03-02 (outcome 16 on report K2, after report 3 of 7, 51 days after the first report); 4 reports since"
                .to_string()
        ),
        "{:?}",
        r.reasons
    );
    assert_eq!(r.priority, Priority::Review, "routine raised one step");
    assert_eq!(of("L0").priority, Priority::Routine);
    assert!(of("L0").withdrawal.is_none());
}

#[test]
fn a_withdrawal_at_the_last_report_is_said_but_raises_nothing() {
    let mut w = World::new();
    w.report("Kent", "K1", "2023-01-01", 1, Some(2));
    w.report("Kent", "K2", "2023-01-21", 1, Some(2));
    // No outcome date: the report's own date stands in for it, and the reason says so.
    withdrew(&mut w.incidents[1], 14, None);
    let found = w.courses();
    let reviews = triage(&w.incidents, &[], &[], &found.courses, &[]);
    assert_eq!(reviews[0].priority, Priority::Routine);
    let text = reviews[0].reasons.join("; ");
    assert!(
        text.contains("victim withdrew support (outcome date not recorded; report of 2023-01-21) (outcome 14 on report K2, after report 2 of 2, 20 days after the first report); no reports since"),
        "{text}"
    );
}

#[test]
fn the_earliest_withdrawal_counts_whatever_report_it_is_on() {
    // K3's outcome came before K2's: she first withdrew on 2023-04-01.
    let mut w = World::new();
    for (k, d) in ["2023-01-01", "2023-02-01", "2023-03-01", "2023-05-01"].iter().enumerate() {
        w.report("Kent", &format!("K{}", k + 1), d, 1, Some(2));
    }
    withdrew(&mut w.incidents[1], 16, Some("2023-08-01"));
    withdrew(&mut w.incidents[2], 16, Some("2023-04-01"));
    let found = w.courses();
    let wd = crate::withdrawal(&w.incidents, &found.courses[0]).unwrap();
    assert_eq!((w.incidents[wd.incident].incident_ref.as_str(), wd.date.to_string()), ("K3", "2023-04-01".into()));
    assert_eq!((wd.position, wd.reports_since, wd.withdrawn_reports), (3, 1, 2));
}

#[test]
fn withdrawals_by_force_set_courses_beside_offences() {
    let mut w = World::new();
    w.report("Kent", "K1", "2023-01-01", 1, Some(2));
    w.report("Kent", "K2", "2023-02-01", 1, Some(2));
    w.report("Kent", "K3", "2023-03-01", 3, Some(4));
    w.report("Kent", "K4", "2023-04-01", 3, Some(4));
    w.report("Kent", "K5", "2023-04-01", 7, Some(8)); // a lone report: an offence, no course
    w.report_with("Kent", "K6", "2023-05-01", "105A", &[], "", 9, Some(8)); // not S&H: no offence here
    withdrew(&mut w.incidents[1], 16, Some("2023-02-10"));
    withdrew(&mut w.incidents[4], 14, Some("2023-04-10"));
    withdrew(&mut w.incidents[5], 16, Some("2023-05-10"));
    let found = w.courses();
    let by = crate::withdrawals_by_force(&w.incidents, &found.courses);
    let kent = &by["Kent"];
    assert_eq!((kent.courses, kent.courses_victim_withdrew, kent.offences, kent.offences_victim_withdrew), (2, 1, 5, 2));
    assert_eq!((kent.course_share(), kent.offence_share()), (Some(0.5), Some(0.4)));
}

/// Issue 17 item 6: one course's reasons said "interim SPO … — possible breach DATE" 80 times.
#[test]
fn reasons_do_not_repeat_a_breach_eighty_times() {
    let mut w = World::new();
    w.report("Kent", "K0", "2022-01-01", 1, Some(2));
    let start = date("2022-02-01").days_since_epoch();
    for k in 0..80 {
        let d = Date::from_days_since_epoch(start + 5 * k).to_string();
        w.report("Kent", &format!("K{}", k + 1), &d, 1, Some(2));
    }
    let mut interim = order("Kent", "K0", "2022-01-15", "2022-01-15");
    interim.order_ref = "ISPO-7".into();
    interim.order_type = OrderType::InterimSpo;
    interim.expires_date = None;
    let mut full = order("Kent", "K0", "2023-03-03", "2025-03-03");
    full.order_ref = "SPO-9".into();
    let orders = vec![interim, full];
    let found = w.courses();
    let breaches = find_breaches(&w.incidents, &orders, &found);
    assert_eq!(breaches.len(), 80 + 1, "every report breaches the interim order; the last also the full one");
    let reviews = triage(&w.incidents, &orders, &[], &found.courses, &breaches);
    let reasons = &reviews[0].reasons;
    let about: Vec<&String> = reasons.iter().filter(|r| r.contains("breach")).collect();
    assert_eq!(
        about,
        [
            "80 possible breaches of interim SPO ISPO-7 (granted 2022-01-15, with no expiry recorded), 2022-02-01 to 2023-03-03",
            "SPO SPO-9 granted 2023-03-03, in force until 2025-03-03 — possible breach 2023-03-03",
        ]
    );
}

/// A world of `n` courses, each of two reports a threat apart (so each is high by the rules),
/// the course k's first report k days after `from`.
fn many_high_courses(w: &mut World, force: &str, n: u32, people_from: u32, from: &str) {
    let start = date(from).days_since_epoch();
    for k in 0..n {
        let (v, s) = (people_from + 2 * k, people_from + 1 + 2 * k);
        let d = |x: i32| Date::from_days_since_epoch(start + x).to_string();
        w.report(force, &format!("{force}-{k}-a"), &d(k as i32), v, Some(s));
        w.report_with(force, &format!("{force}-{k}-b"), &d(k as i32 + 30), "8L", &[], "Suspect threatened to smash her car", v, Some(s));
    }
}

#[test]
fn a_forces_high_list_holds_its_places_and_the_rest_move_down_with_a_reason() {
    let mut w = World::new();
    many_high_courses(&mut w, "Kent", 400, 1000, "2023-01-01");
    // Essex's courses are live on the list's day (Kent's last report, 2024-03-05); Kent's
    // first 219 are quiet (no report in the 180 days before it) and wait at review.
    many_high_courses(&mut w, "Essex", 8, 5000, "2024-01-01");
    let found = w.courses();
    let reviews = triage(&w.incidents, &[], &[], &found.courses, &[]);
    let count = |force: &str, p: Priority| {
        reviews.iter().filter(|r| r.priority == p && w.incidents[found.courses[r.course].incidents[0]].force.name() == force).count()
    };
    // Kent: 400 courses, 4% is 16 high places; Essex has 8 courses, under its 10 places.
    assert_eq!((count("Kent", Priority::High), count("Kent", Priority::Review)), (16, 384));
    let quiet = reviews.iter().filter(|r| r.reasons.iter().any(|x| x.starts_with("high by the signs, but quiet"))).count();
    assert_eq!(quiet, 219);
    assert_eq!(count("Essex", Priority::High), 8);
    let kept: Vec<&crate::Review> = reviews.iter().filter(|r| r.priority == Priority::High).collect();
    let latest =
        kept.iter().filter(|r| found.courses[r.course].incidents.iter().any(|&i| w.incidents[i].incident_ref == "Kent-399-b")).count();
    assert_eq!(latest, 1, "the most recent courses keep the places");
    let moved = reviews.iter().find(|r| r.priority == Priority::Review).unwrap();
    assert_eq!(moved.by_rules, Priority::High);
    assert_eq!(
        moved.reasons[1],
        "high by the rules, but Kent's high list is full (16 places: 4% of its 400 courses, at least 10): listed as review"
    );
    // Without limits, the rules alone: the live courses high, the quiet ones at review.
    let unlimited = crate::triage_sized(&w.incidents, &[], &[], &found.courses, &[], &crate::ListSizes::unlimited());
    assert!(unlimited.iter().all(|r| r.reasons.iter().all(|x| !x.contains("list is full"))));
    assert_eq!(unlimited.iter().filter(|r| r.priority == Priority::High).count(), 400 - 219 + 8);
}

#[test]
fn an_urgent_course_beyond_the_places_heads_the_high_list_and_a_high_screening_stays_high() {
    let mut w = World::new();
    // Ten courses with a threat to kill in their last 90 days: urgent by the rules.
    let start = date("2023-01-01").days_since_epoch();
    for k in 0..10u32 {
        let d = |x: i32| Date::from_days_since_epoch(start + x).to_string();
        w.report("Kent", &format!("U{k}a"), &d(k as i32), 10 + 2 * k, Some(11 + 2 * k));
        w.report_with(
            "Kent",
            &format!("U{k}b"),
            &d(k as i32 + 10),
            "8L",
            &[],
            "Suspect told her he would kill her",
            10 + 2 * k,
            Some(11 + 2 * k),
        );
    }
    many_high_courses(&mut w, "Kent", 20, 1000, "2023-01-01");
    let sizes = crate::ListSizes { urgent_share: 0.0, urgent_at_least: 2, high_share: 0.0, high_at_least: 3 };
    let found = w.courses();
    let graded = found.courses.iter().position(|c| w.incidents[c.incidents[0]].incident_ref == "Kent-0-a").unwrap();
    let screenings = [screening("Kent-0-b", "2023-02-01", RiskTool::SDash, Some(RiskGrade::High), &["frightened"])];
    let reviews = crate::triage_sized(&w.incidents, &[], &screenings, &found.courses, &[], &sizes);
    let by = |p: Priority| reviews.iter().filter(|r| r.priority == p).count();
    // 2 urgent; 3 high places taken by urgent courses moved down, and the graded-high course
    // stays high beyond them.
    assert_eq!((by(Priority::Urgent), by(Priority::High)), (2, 4));
    let high: Vec<&crate::Review> = reviews.iter().filter(|r| r.priority == Priority::High).collect();
    assert!(high[..3].iter().all(|r| r.by_rules == Priority::Urgent), "moved-down urgent courses head the high list");
    assert!(high[0].reasons[1].starts_with("urgent by the rules, but Kent's urgent list is full (2 places"), "{:?}", high[0].reasons);
    assert!(high.iter().any(|r| r.course == graded), "the force graded it high: it stays high");
    let twice = reviews.iter().find(|r| r.by_rules == Priority::Urgent && r.priority == Priority::Review).unwrap();
    assert!(twice.reasons[1].starts_with("urgent by the rules, but Kent's urgent list is full"), "{:?}", twice.reasons);
    assert_eq!(
        twice.reasons[2],
        "urgent by the rules and moved to high, but Kent's high list is full (3 places: 0% of its 30 courses, at least 3): listed as review"
    );
}

/// Issue 17 item 7: "as of" a day is what the records held the evening before: later reports,
/// outcomes, grants and screenings are not yet known.
#[test]
fn records_as_of_a_day_know_nothing_from_that_day_on() {
    use crate::early_warning::AsOf;
    let mut w = World::new();
    w.report("Kent", "K1", "2023-01-01", 1, Some(2));
    withdrew(w.report("Kent", "K2", "2023-02-01", 1, Some(2)), 16, Some("2023-03-20"));
    withdrew(w.report("Kent", "K3", "2023-02-10", 1, Some(2)), 16, Some("2023-02-20"));
    w.report("Kent", "K4", "2023-03-15", 1, Some(2));
    let mut granted_later = order("Kent", "K1", "2023-03-10", "2025-01-01");
    granted_later.applied_date = Some(date("2023-01-05"));
    let mut applied_later = order("Kent", "K3", "2023-03-20", "2025-01-01");
    applied_later.applied_date = Some(date("2023-03-01"));
    let mut expired_later = order("Kent", "K2", "2023-02-02", "2023-03-05");
    expired_later.status = Some(OrderStatus::Expired);
    let screenings = vec![
        screening("K2", "2023-02-27", RiskTool::SDash, Some(RiskGrade::High), &[]),
        screening("K3", "2023-02-28", RiskTool::SDash, Some(RiskGrade::High), &[]),
    ];
    let records =
        AsOf::new(&w.incidents, &w.people, &w.ids, &[granted_later, applied_later, expired_later], &screenings, date("2023-02-28"));
    let refs: Vec<&str> = records.incidents.iter().map(|i| i.incident_ref.as_str()).collect();
    assert_eq!(refs, ["K1", "K2", "K3"]);
    assert_eq!(records.people.len(), 6);
    assert_eq!(records.person_of, [1, 2, 1, 2, 1, 2]);
    // K2's outcome (dated 2023-03-20) is not yet assigned; K3's (2023-02-20) is.
    assert_eq!((records.incidents[1].outcome_type, records.incidents[2].outcome_date), (None, Some(date("2023-02-20"))));
    // The order applied for on 2023-03-01 is unknown; the one granted on 2023-03-10 is pending;
    // the one that expires on 2023-03-05 is still in force.
    let orders: Vec<(&str, Option<OrderStatus>, Option<Date>)> =
        records.orders.iter().map(|o| (o.incident_ref.as_str(), o.status, o.granted_date)).collect();
    assert_eq!(orders, [("K1", Some(OrderStatus::Applied), None), ("K2", Some(OrderStatus::Granted), Some(date("2023-02-02")))]);
    assert_eq!(records.screenings.len(), 1, "the screening of 2023-02-28 is done on the day itself");
}

/// The course of the violent report's victim and suspect is found in the list built from the
/// records of the day before, with its place in it.
#[test]
fn standings_find_the_pairs_course_and_its_place() {
    use crate::early_warning::{AsOf, Pair, standings};
    let mut w = World::new();
    for (k, d) in ["2023-01-01", "2023-02-01", "2023-02-20", "2023-03-01"].iter().enumerate() {
        w.report("Kent", &format!("Q{k}"), d, 10 + k as u32, Some(20 + k as u32));
        w.report("Kent", &format!("Q{k}b"), d, 10 + k as u32, Some(20 + k as u32));
    }
    w.report("Kent", "V1", "2023-02-25", 1, Some(2));
    w.report_with("Kent", "V2", "2023-03-02", "8L", &[], "He told her he would kill her", 1, Some(2));
    w.report_with("Kent", "V3", "2023-03-05", "5D", &[], "Suspect stabbed her", 1, Some(2));
    let records = AsOf::new(&w.incidents, &w.people, &w.ids, &[], &[], date("2023-03-05"));
    let pairs = [Pair { victim: 1, suspect: Some(2) }, Pair { victim: 99, suspect: None }, Pair { victim: 13, suspect: Some(7) }];
    let (shape, found) = standings(&records, &Options::default(), &pairs);
    assert_eq!(shape.courses, 5);
    let her = &found[0];
    assert_eq!((her.rank, her.priority, her.reports, her.suspect_matched), (Some(1), Some(Priority::Urgent), 2, true));
    assert!(her.reasons.contains("threat to kill first reported 2023-03-02"), "{}", her.reasons);
    assert!(her.within(0.2, shape.courses) && !her.within(0.1, shape.courses));
    assert_eq!((found[1].rank, found[1].course_id.as_deref()), (None, None), "no course: not in the list");
    assert!(!found[2].suspect_matched && found[2].rank.is_some(), "another suspect: the victim's latest course");
}

/// A course gone quiet (no report in the 180 days before the latest report in the export) is
/// at most review, whatever its signs; a threat to kill is urgent only within 90 days of it.
#[test]
fn a_quiet_course_waits_at_review_and_recent_means_recent_to_the_list() {
    let mut w = World::new();
    w.report("Kent", "A1", "2022-01-01", 1, Some(2));
    w.report_with("Kent", "A2", "2022-02-01", "8L", &[], "Suspect threatened to kill her", 1, Some(2));
    w.report("Kent", "B1", "2023-03-01", 3, Some(4));
    w.report_with("Kent", "B2", "2023-04-01", "8L", &[], "Suspect threatened to kill her", 3, Some(4));
    w.report("Kent", "C1", "2023-06-01", 5, Some(6));
    w.report("Kent", "C2", "2023-08-01", 5, Some(6));
    let found = w.courses();
    let reviews = crate::triage_sized(&w.incidents, &[], &[], &found.courses, &[], &crate::ListSizes::unlimited());
    let of = |r: &str| reviews.iter().find(|x| w.refs(&found.courses[x.course])[0] == r).unwrap();
    let a = of("A1");
    assert_eq!((a.priority, a.grounds), (Priority::Review, 0));
    assert_eq!(a.reasons[1], "high by the signs, but quiet: no report since 2022-02-01, none in the 180 days before the list's day");
    // B's threat is 122 days before the list's day: no longer urgent, still high.
    assert_eq!(of("B1").priority, Priority::High);
    assert_eq!(reviews[0].course, of("B1").course, "the live course with a threat heads the list");
}

/// A weekly export moves the list's day. A quiet course whose reports did not change kept its
/// priority but got another reason each time, because the reason named the list's day and the
/// days since: session 35 counted 54,298 such courses in one week's publication of the 1M world.
#[test]
fn regression_a_quiet_course_got_another_reason_with_every_export() {
    let reasons_of_a = |extra: &[(&str, &str)]| {
        let mut w = World::new();
        w.report("Kent", "A1", "2022-01-01", 1, Some(2));
        w.report_with("Kent", "A2", "2022-02-01", "8L", &[], "Suspect threatened to kill her", 1, Some(2));
        w.report("Kent", "C1", "2023-06-01", 5, Some(6));
        w.report("Kent", "C2", "2023-08-01", 5, Some(6));
        for (r, d) in extra {
            w.report("Kent", r, d, 7, Some(8));
        }
        let found = w.courses();
        let reviews = crate::triage_sized(&w.incidents, &[], &[], &found.courses, &[], &crate::ListSizes::unlimited());
        let a = reviews.iter().find(|x| w.refs(&found.courses[x.course])[0] == "A1").unwrap();
        assert_eq!(a.priority, Priority::Review);
        a.reasons.clone()
    };
    let before = reasons_of_a(&[]);
    assert!(before.iter().any(|r| r.contains("but quiet")), "{before:?}");
    // A later export: another victim's reports move the list's day by a month, then a year.
    assert_eq!(reasons_of_a(&[("D1", "2023-08-20"), ("D2", "2023-08-31")]), before);
    assert_eq!(reasons_of_a(&[("D1", "2024-08-01"), ("D2", "2024-08-02")]), before);
}

#[test]
fn a_cross_force_course_says_what_each_force_holds_from_dates_and_offence_codes_alone() {
    let mut w = World::new();
    w.report("Merseyside", "M1", "2023-02-10", 1, Some(2));
    w.report_with("Cheshire", "C1", "2022-07-25", "8L", &[], "", 1, Some(2));
    w.report_with("Cheshire", "C2", "2022-08-01", "8/65", &[], "", 1, Some(2));
    w.report_with("Cheshire", "C3", "2022-08-09", "8R", &[], "", 1, Some(2));
    w.report_with("Cheshire", "C4", "2022-08-20", "8N", &[], "", 1, Some(2));
    w.report_with("Cheshire", "C5", "2022-08-27", "8L", &[], "", 1, Some(2));
    let found = w.courses();
    assert_eq!(found.courses.len(), 1);
    let reviews = triage(&w.incidents, &[], &[], &found.courses, &[]);
    let reasons = &reviews[0].reasons;
    let at = reasons.iter().position(|r| r == "crosses forces: Cheshire, Merseyside").expect("the forces are named");
    assert_eq!(
        reasons[at + 1..at + 3],
        [
            "Cheshire holds 5 reports about the same pair between 2022-07-25 and 2022-08-27, one a threat, one violent".to_string(),
            "Merseyside holds 1 report about the same pair, on 2023-02-10".to_string(),
        ]
    );
    // Narratives play no part: the same course with words in every report says the same.
    let mut w2 = World::new();
    for (k, i) in w.incidents.iter().enumerate() {
        let mut i = i.clone();
        i.narrative = format!("He told her he would kill her ({k})").into();
        w2.incidents.push(i);
    }
    w2.people = w.people.clone();
    w2.ids = w.ids.clone();
    let c = &w2.courses().courses[0];
    let cheshire = Force::resolve("Cheshire").unwrap();
    assert_eq!(crate::force_holds(&w2.incidents, c, cheshire), reasons[at + 1]);
}
