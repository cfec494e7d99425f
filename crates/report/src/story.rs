//! A localised story for one force, in the style of automated local journalism (one template,
//! one version per area, wording that follows the data): harassment recorded in the period and
//! its change on the year before ("slightly" below [`SLIGHT_CHANGE_PERCENT`]), the average per
//! day, an n-fold change against k years earlier when it is large, the charge/summons rate
//! against the year before, stalking and aggravated harassment, the share of cases where the
//! victim did not support action, the national comparison, and the caveats the data calls for.
//! Every figure is computed from the tables; nothing is typed into the template.

use std::fmt::Write as _;

use conduct_domain::{Force, OffenceClass};
use conduct_stats::counting_rules::{self, CountingRuleChange};
use conduct_stats::tables::STALKING_AND_HARASSMENT_CLASSES;
use conduct_stats::{Area, Change, Figures, OutcomeBasis, Period, Rate, Source, Tables, Tally};

use crate::error::{Error, ErrorKind};
use crate::words::{Direction, FOLD_CHANGE_AT_LEAST, SLIGHT_CHANGE_PERCENT, fold_words, number_word, percent, thousands};

/// Choices a story makes that are not in the data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoryOptions {
    /// How many years back the long-run comparison looks (the reference uses nine).
    pub fold_years: u32,
}

impl Default for StoryOptions {
    fn default() -> Self {
        StoryOptions { fold_years: 9 }
    }
}

const HARASSMENT: [OffenceClass; 1] = [OffenceClass::Harassment];

/// A count as running text: `14,837`, or `at least 14,837` when suppressed cells are left out.
fn count_words(t: Tally) -> String {
    if t.is_exact() { thousands(t.count) } else { format!("at least {}", thousands(t.count)) }
}

fn rate_percent(r: &Option<Rate>) -> Option<f64> {
    r.as_ref().and_then(Rate::percent)
}

/// "down from 7.1%", "up from…", "the same as…", comparing the figures as written.
fn compared(now: f64, before: f64) -> String {
    let (a, b) = (percent(now), percent(before));
    if a == b {
        format!("the same as {b}")
    } else if now < before {
        format!("down from {b}")
    } else {
        format!("up from {b}")
    }
}

/// Writes the story of `force` over `period` as Markdown.
///
/// # Errors
///
/// [`ErrorKind::NoData`] when the tables hold no recorded crime for the force in the period.
pub fn story(tables: &Tables, force: Force, period: Period, options: &StoryOptions) -> Result<String, Error> {
    let area = Area::Force(force);
    let now = Figures::compute(tables, area, period);
    if now.quarters_with_data == 0 {
        return Err(Error::new(ErrorKind::NoData { area: force.name().to_string(), period: period.to_string() }));
    }
    let before = Figures::compute(tables, area, period.earlier(1));
    let long_ago = Figures::compute(tables, area, period.earlier(options.fold_years));
    let nat = Figures::compute(tables, Area::National, period);
    let nat_before = Figures::compute(tables, Area::National, period.earlier(1));
    let name = force.name();
    let p = period.in_words();
    let have_before = now.comparable_with(&before);
    let mut notes: Vec<String> = Vec::new();
    let mut rules: Vec<CountingRuleChange> = Vec::new();
    let mut s = String::new();

    // Headline and harassment.
    let hn = now.count(&HARASSMENT);
    let hb = before.count(&HARASSMENT);
    let change = Change { before: hb.count, now: hn.count };
    let direction = change.percent().filter(|_| have_before).map(Direction::of);
    match direction {
        Some(d) => writeln!(s, "# Harassment {} in {name}\n", d.words()).unwrap(),
        None => writeln!(s, "# Harassment in {name}: {} offences in {p}\n", count_words(hn)).unwrap(),
    }
    write!(s, "{name} recorded {} harassment offences in {p}", count_words(hn)).unwrap();
    match (direction, change.percent()) {
        (Some(Direction::Unchanged), _) => write!(s, ", the same as the year before.").unwrap(),
        (Some(d), Some(pc)) => write!(
            s,
            ", {} from {} the year before ({} of {}, or {}).",
            d.words(),
            count_words(hb),
            d.noun(),
            thousands(change.difference().unsigned_abs()),
            percent(pc)
        )
        .unwrap(),
        _ => {
            write!(s, ".").unwrap();
            notes.push(format!(
                "There are no complete figures for {} in the data, so no change on the year before is given.",
                period.earlier(1).in_words()
            ));
        }
    }
    if have_before {
        rules.extend(counting_rules::separating(period, period.earlier(1)));
    }
    let per_day = now.per_day(&HARASSMENT);
    if per_day >= 0.5 {
        writeln!(s, " That is about {} a day.\n", thousands(per_day.round() as u64)).unwrap();
    } else if per_day > 0.0 {
        writeln!(s, " That is about one every {} days.\n", (1.0 / per_day).round() as u64).unwrap();
    } else {
        writeln!(s, "\n").unwrap();
    }

    // The long run.
    let l = long_ago.count(&HARASSMENT);
    if now.comparable_with(&long_ago) && l.count > 0 {
        let k = number_word(options.fold_years);
        let fold = Change { before: l.count, now: hn.count }.fold().unwrap_or(0.0);
        let told = if fold >= FOLD_CHANGE_AT_LEAST {
            Some(format!("{} its level {k} years earlier", fold_words(fold)))
        } else if fold > 0.0 && fold <= 1.0 / FOLD_CHANGE_AT_LEAST {
            Some(format!("less than half its level {k} years earlier"))
        } else {
            None
        };
        if let Some(t) = told {
            writeln!(
                s,
                "Harassment recorded by {name} is now {t}: {} offences were recorded in {}.\n",
                count_words(l),
                period.earlier(options.fold_years).in_words()
            )
            .unwrap();
            rules.extend(counting_rules::separating(period, period.earlier(options.fold_years)));
        }
    }

    // Charges.
    let charge = now.charge_rate(&HARASSMENT);
    let closed = tables.outcome_basis == OutcomeBasis::Closed;
    match (&charge, rate_percent(&charge)) {
        (Some(r), Some(pc)) => {
            if closed {
                write!(
                    s,
                    "Counting outcomes by the quarter the investigation closed, {} harassment investigations closed in {p} \
                     ended in a charge or summons, equal to {} of the harassment offences recorded in it",
                    count_words(r.numerator),
                    percent(pc)
                )
                .unwrap();
            } else {
                write!(
                    s,
                    "Of the harassment offences recorded in {p}, {} resulted in a charge or summons, or {}",
                    count_words(r.numerator),
                    percent(pc)
                )
                .unwrap();
            }
            match rate_percent(&before.charge_rate(&HARASSMENT)).filter(|_| have_before) {
                Some(b) => writeln!(s, ", {} the year before.\n", compared(pc, b)).unwrap(),
                None => writeln!(s, ".\n").unwrap(),
            }
        }
        _ => {
            writeln!(s, "{name} supplied no outcome data for {p}, so no charge rate can be given.\n").unwrap();
            notes.push(format!("{name} supplied no outcome data for {p}."));
        }
    }

    // Stalking and aggravated harassment.
    let also = |class: OffenceClass, label: &str| {
        let n = now.count(&[class]);
        let b = before.count(&[class]);
        let mut t = format!("{} {label} offences", count_words(n));
        if let (true, Some(pc)) = (have_before, Change { before: b.count, now: n.count }.percent()) {
            let d = Direction::of(pc);
            if d != Direction::Unchanged {
                write!(t, " ({} from {})", d.words(), count_words(b)).unwrap();
            }
        }
        t
    };
    writeln!(
        s,
        "The force also recorded {} and {} in the same period. With malicious communications and \
         controlling or coercive behaviour, its stalking and harassment offences came to {}.\n",
        also(OffenceClass::Stalking, "stalking"),
        also(OffenceClass::AggravatedHarassment, "racially or religiously aggravated harassment"),
        count_words(now.stalking_and_harassment())
    )
    .unwrap();

    // Victim does not support action.
    let vdns = now.victim_does_not_support_rate(&STALKING_AND_HARASSMENT_CLASSES);
    if let (Some(r), Some(pc), true) = (&vdns, rate_percent(&vdns), closed) {
        writeln!(
            s,
            "Counting outcomes by the quarter the investigation closed, {} stalking and harassment investigations \
             closed in {p} with the victim not supporting police action (outcome types 14 and 16), equal to {} of the \
             {} stalking and harassment offences recorded in it.\n",
            count_words(r.numerator),
            percent(pc),
            count_words(r.denominator)
        )
        .unwrap();
    } else if let (Some(r), Some(pc)) = (&vdns, rate_percent(&vdns)) {
        writeln!(
            s,
            "The victim did not support police action in {} of {} stalking and harassment cases recorded \
             in {p} ({} offences closed as outcome types 14 and 16).\n",
            percent(pc),
            count_words(r.denominator),
            count_words(r.numerator)
        )
        .unwrap();
    }

    // SPOs, when order data was supplied; breaches found by analysis beside the recorded ones.
    if let Some(o) = now.orders {
        write!(
            s,
            "In {p} {name} applied for {} and {} granted; {} named a breach of an order",
            plural(o.applied, "stalking protection order", "stalking protection orders"),
            plural(o.granted, "was", "were"),
            plural(o.breaches_indicated, "incident", "incidents")
        )
        .unwrap();
        notes.push(
            "Breaches recorded are counted only where an incident's offence description or narrative names a breach \
             of a stalking protection order; the records have no breach field, so this is a lower bound."
                .into(),
        );
    }
    if let Some(n) = now.breaches_found {
        let lead = if now.orders.is_some() { "; separately, " } else { "In {p}, " };
        write!(
            s,
            "{}Conduct's analysis of the records found {} in which an order's subject contacted the person it \
             protects while the order was in force (found by analysis, not a recorded figure)",
            lead.replace("{p}", &p),
            plural(n, "report", "reports")
        )
        .unwrap();
        notes.push(crate::foi::BREACHES_FOUND_NOTE.into());
    }
    if now.orders.is_some() || now.breaches_found.is_some() {
        writeln!(s, ".\n").unwrap();
    }

    // National comparison.
    let (paragraph, national_rules) = national(tables, &nat, &nat_before, Some((name, rate_percent(&charge))));
    s.push_str(&paragraph);
    rules.extend(national_rules);

    // Outcomes table.
    let groups = now.outcome_groups(&STALKING_AND_HARASSMENT_CLASSES);
    if groups.iter().any(|(_, r)| r.numerator.count > 0) {
        if closed {
            writeln!(s, "## Outcomes of stalking and harassment investigations closed in {p}\n").unwrap();
        } else {
            writeln!(s, "## Outcomes of stalking and harassment offences recorded in {p}\n").unwrap();
        }
        writeln!(s, "| Outcome group | Offences | Share |\n|---|---:|---:|").unwrap();
        for (g, r) in groups.iter().filter(|(_, r)| r.numerator.count > 0 || !r.numerator.is_exact()) {
            writeln!(s, "| {g} | {} | {} |", count_words(r.numerator), r.percent().map_or_else(String::new, percent)).unwrap();
        }
        writeln!(s).unwrap();
    }

    // Caveats.
    let days = period.days();
    if closed {
        notes.push(format!("{} Per-day figures divide by the {days} days of the period.", OutcomeBasis::Closed.caveat()));
    } else {
        let column = match tables.source {
            Source::Published => " (the published count \"Force outcomes for offences recorded in quarter\")",
            _ => "",
        };
        notes.push(format!(
            "Rates are for offences recorded in the period: outcomes assigned to offences recorded in {p}{column}, \
             divided by the offences recorded in it. Outcomes counted by the quarter an investigation closed answer \
             a different question and are not used (--outcomes-by closed gives that view). Per-day figures divide \
             by the {days} days of the period."
        ));
    }
    let present = 44 - nat.missing_forces.len();
    if !nat.missing_forces.is_empty() {
        notes.push(format!(
            "The national figures cover the {present} police forces in the data; {} are missing: {}.",
            nat.missing_forces.len(),
            list(&nat.missing_forces)
        ));
    }
    if !nat.incomplete_forces.is_empty() {
        notes.push(format!("Data for only part of {p} from: {}; national figures include what there is.", list(&nat.incomplete_forces)));
    }
    if !nat.has_outcomes() {
        notes.push(format!("The data hold no outcomes for {p}, so no rates are given."));
    } else if !nat.forces_without_outcomes.is_empty() {
        notes.push(format!(
            "No outcome data for {p} from: {}. They are left out of national rates (numerator and denominator).",
            list(&nat.forces_without_outcomes)
        ));
    }
    let suppressed = |f: &Figures| -> u32 {
        f.recorded.values().map(|t| t.suppressed).sum::<u32>() + f.outcomes.values().map(|t| t.suppressed).sum::<u32>()
    };
    match (suppressed(&now), suppressed(&nat)) {
        (0, 0) => {}
        (0, n) => notes.push(format!(
            "{n} cells of the national tables for {p} were suppressed (`..`) by the publisher; national counts \
             that include them are lower bounds."
        )),
        (f, _) => notes.push(format!(
            "{f} of {name}'s cells for {p} were suppressed (`..`) by the publisher; counts that include them \
             are lower bounds, written \"at least\"."
        )),
    }
    rules.sort_by_key(|r| r.from);
    rules.dedup();
    notes.extend(rules.iter().map(|r| r.caveat.to_string()));
    if !tables.non_force().is_empty() {
        let bodies: Vec<String> = tables.non_force().iter().map(|(n, t)| format!("{n} ({})", count_words(*t))).collect();
        notes.push(format!(
            "Rows for {} are national reporting bodies, not police forces, and are kept out of every figure here.",
            bodies.join(", ")
        ));
    }
    notes.push(format!(
        "A change of less than {SLIGHT_CHANGE_PERCENT}% is called slight. Source: {}.",
        match tables.source {
            Source::Incidents => "Conduct's count of the force's incident records",
            _ => "Home Office police recorded crime and crime outcomes open data",
        }
    ));
    writeln!(s, "## Notes\n").unwrap();
    for n in notes {
        writeln!(s, "- {n}").unwrap();
    }
    Ok(s)
}

/// A national count as published stories write it: to the nearest thousand from 100,000
/// ("about 271,000"), exactly below. When suppressed cells are left out of it, it is a lower
/// bound: "at least" with the count rounded down ("at least 679,000" for 679,353).
fn national_count_words(t: Tally) -> String {
    let n = t.count;
    match (t.is_exact(), n >= 100_000 && n % 1000 != 0) {
        (true, true) => format!("about {}", thousands((n + 500) / 1000 * 1000)),
        (false, true) => format!("at least {}", thousands(n / 1000 * 1000)),
        _ => count_words(t),
    }
}

/// The England and Wales paragraph: national harassment and its change, where it stands since
/// comparable records began (only when the table holds every force, since a partial table's
/// total is not England and Wales's), the national charge/summons rate for harassment (set
/// against `force`'s, when a force's story carries it), and all stalking and harassment
/// offences with their charge/summons rate, naming the forces with no outcome data that the
/// rate leaves out. Returns the paragraph and the counting-rule changes its comparisons cross.
fn national(tables: &Tables, nat: &Figures, nat_before: &Figures, force: Option<(&str, Option<f64>)>) -> (String, Vec<CountingRuleChange>) {
    let mut s = String::new();
    let mut rules = Vec::new();
    let nh = nat.count(&HARASSMENT);
    if nh.count == 0 {
        return (s, rules);
    }
    let p = nat.period.in_words();
    let closed = tables.outcome_basis == OutcomeBasis::Closed;
    let whole = nat.missing_forces.is_empty();
    let all = Force::all().count();
    let place = if whole {
        "England and Wales".to_string()
    } else {
        format!(
            "the {} police forces in the data ({} of England and Wales's {all} are missing; see the notes)",
            all - nat.missing_forces.len(),
            nat.missing_forces.len()
        )
    };
    write!(s, "Across {place}, {} harassment offences were recorded in {p}", national_count_words(nh)).unwrap();
    let nb = nat_before.count(&HARASSMENT);
    if let Some(pc) = (Change { before: nb.count, now: nh.count }).percent().filter(|_| nat.comparable_with(nat_before)) {
        write!(s, ", {} from {} the year before", Direction::of(pc).words(), national_count_words(nb)).unwrap();
        rules.extend(counting_rules::separating(nat.period, nat_before.period));
    }
    if whole {
        let standing = nat.standing(tables, &HARASSMENT);
        let began = counting_rules::comparable_records_began().financial_year_label();
        if let (true, Some(earliest)) = (standing.is_highest(), standing.earliest()) {
            if standing.from_records_began {
                write!(s, ", the highest number since comparable records began in {began}").unwrap();
            } else {
                write!(
                    s,
                    ", the highest of the {} years of comparable figures in the data, which go back to {}",
                    standing.compared.len() + 1,
                    earliest.in_words()
                )
                .unwrap();
            }
            rules.extend(counting_rules::separating(nat.period, earliest));
        } else if let Some((when, t)) = standing.last_at_least().filter(|(when, _)| *when != nat.period.earlier(1)) {
            write!(s, ", the highest since {}, when {} were recorded", when.in_words(), national_count_words(*t)).unwrap();
            rules.extend(counting_rules::separating(nat.period, *when));
        }
    }
    let nc = rate_percent(&nat.charge_rate(&HARASSMENT));
    let (local_name, local_rate) = force.unzip();
    match (nc, local_rate.flatten()) {
        (Some(n), Some(f)) if closed => writeln!(
            s,
            ". Nationally, charges or summonses in harassment investigations closed in the period came to {} of \
             the harassment offences recorded in it ({}: {}).\n",
            percent(n),
            local_name.unwrap_or_default(),
            percent(f)
        )
        .unwrap(),
        (Some(n), Some(f)) => {
            let cmp = if percent(f) == percent(n) {
                "in line with"
            } else if f > n {
                "above"
            } else {
                "below"
            };
            writeln!(
                s,
                ". Nationally {} of harassment offences resulted in a charge or summons, so {}'s rate was {cmp} the \
                 national figure.\n",
                percent(n),
                local_name.unwrap_or_default()
            )
            .unwrap();
        }
        (Some(n), None) if closed => writeln!(
            s,
            ". Nationally, charges or summonses in harassment investigations closed in the period came to {} of \
             the harassment offences recorded in it.\n",
            percent(n)
        )
        .unwrap(),
        (Some(n), None) => writeln!(s, ". Nationally {} of harassment offences resulted in a charge or summons.\n", percent(n)).unwrap(),
        _ => writeln!(s, ".\n").unwrap(),
    }
    let sh = nat.stalking_and_harassment();
    let where_ = if whole { "in England and Wales".to_string() } else { "in those forces".to_string() };
    write!(s, "All stalking and harassment offences recorded {where_} in {p} came to {}", national_count_words(sh)).unwrap();
    let without = if nat.forces_without_outcomes.is_empty() {
        String::new()
    } else {
        format!(" by the forces that supplied outcome data (all but {})", list(&nat.forces_without_outcomes))
    };
    match rate_percent(&nat.charge_rate(&STALKING_AND_HARASSMENT_CLASSES)) {
        Some(pc) if closed => writeln!(
            s,
            "; charges or summonses in investigations closed in the period came to {} of those recorded{without}.\n",
            percent(pc)
        )
        .unwrap(),
        Some(pc) => writeln!(s, ". Of those recorded{without}, {} resulted in a charge or summons.\n", percent(pc)).unwrap(),
        None => writeln!(s, ".\n").unwrap(),
    }
    (s, rules)
}

/// `1 order`, `2 orders`; for verbs (`was`/`were`) the number is written first too.
fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

fn list(forces: &[Force]) -> String {
    forces.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use conduct_domain::{OffenceCode, OutcomeType};
    use conduct_stats::{Count, FinancialQuarter};

    #[test]
    fn a_force_with_no_data_is_an_error_and_a_lone_year_has_no_change() {
        let mut t = Tables::new();
        let f = Force::resolve("Cumbria").unwrap();
        let p = Period::parse("2022/23").unwrap();
        for q in p.quarters() {
            t.add_recorded(f, q, &OffenceCode::parse("8L").unwrap(), Count::Value(10));
            t.add_outcome(f, q, &OffenceCode::parse("8L").unwrap(), OutcomeType::new(1).unwrap(), Count::Value(1));
        }
        let s = story(&t, f, p, &StoryOptions::default()).unwrap();
        assert!(s.starts_with("# Harassment in Cumbria: 40 offences in 2022/23"), "{s}");
        assert!(s.contains("or 10%."), "{s}");
        assert!(s.contains("no change on the year before is given"));
        let other = Force::resolve("Kent").unwrap();
        assert!(matches!(story(&t, other, p, &StoryOptions::default()).unwrap_err().kind(), ErrorKind::NoData { .. }));
    }

    /// Every force with harassment from `first` (a financial year) to 2023/24 Q2, 1,000 a
    /// quarter each, and 3,000 more a quarter in the year to September of `peak`, if any.
    fn whole_table(first: i32, peak: Option<i32>, last: u64) -> Tables {
        let mut t = Tables::new();
        let h = OffenceCode::parse("8L").unwrap();
        let now = Period::parse("year to September 2023").unwrap();
        for f in Force::all() {
            for i in FinancialQuarter::new(first, 1).unwrap().index()..=FinancialQuarter::new(2023, 2).unwrap().index() {
                let q = FinancialQuarter::from_index(i);
                let peak = peak.is_some_and(|y| Period::year_to(FinancialQuarter::new(y, 2).unwrap()).contains(q));
                let n = if now.contains(q) {
                    last
                } else if peak {
                    4_000
                } else {
                    1_000
                };
                t.add_recorded(f, q, &h, Count::Value(n));
            }
        }
        t
    }

    fn national_words(t: &Tables) -> String {
        let p = Period::parse("year to September 2023").unwrap();
        story(t, Force::resolve("Kent").unwrap(), p, &StoryOptions::default()).unwrap()
    }

    #[test]
    fn the_national_total_is_placed_against_every_comparable_year() {
        // From 2002/03: the highest since comparable records began, rounded as published.
        let s = national_words(&whole_table(2002, None, 1_541));
        assert!(
            s.contains(
                "Across England and Wales, about 271,000 harassment offences were recorded in the year to September 2023, \
                 up from 176,000 the year before, the highest number since comparable records began in 2002/03."
            ),
            "{s}"
        );
        assert!(s.contains("2017/18") && s.contains("April 2020"), "the rule changes crossed are caveats: {s}");
        // The data start later: the highest of the years in the data, not since 2002/03.
        let s = national_words(&whole_table(2010, None, 1_541));
        assert!(
            s.contains("the highest of the 13 years of comparable figures in the data, which go back to the year to September 2011"),
            "{s}"
        );
        assert!(!s.contains("records began"), "{s}");
        // An earlier year was higher: the highest since then.
        let s = national_words(&whole_table(2002, Some(2015), 2_500));
        assert!(s.contains("the highest since the year to September 2015, when 704,000 were recorded."), "{s}");
        // Lower than the year before: no claim.
        let s = national_words(&whole_table(2002, Some(2022), 2_500));
        assert!(!s.contains("highest"), "{s}");
    }
}
