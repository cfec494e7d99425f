//! The Home Office tables as Conduct holds them: recorded crime by force, financial quarter and
//! offence, and outcomes by force, quarter, offence and outcome type, each cell a [`Tally`]
//! that remembers suppressed (`..`) cells instead of treating them as zero. The same model is
//! filled from the published tables ([`crate::published`]) or from a force's incidents and
//! orders ([`crate::incidents`]), so every figure is computed the same way from either.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use conduct_domain::{Force, ForceKind, OffenceClass, OffenceCode, OutcomeType};

use crate::period::FinancialQuarter;

/// The published offence group of the stalking-and-harassment codes.
pub const VIOLENCE_AGAINST_THE_PERSON: &str = "Violence against the person";
/// The published offence subgroup of 8L, 8M, 8Q, 8R and 8U.
pub const STALKING_AND_HARASSMENT: &str = "Stalking and harassment";

/// The offence classes of the stalking-and-harassment subgroup, in the order reports list them.
pub const STALKING_AND_HARASSMENT_CLASSES: [OffenceClass; 5] = [
    OffenceClass::Harassment,
    OffenceClass::AggravatedHarassment,
    OffenceClass::Stalking,
    OffenceClass::MaliciousCommunications,
    OffenceClass::ControllingBehaviour,
];

/// One published count: a number, or suppressed (`..`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    /// A number.
    Value(u64),
    /// Written `..`: withheld by the publisher. Not zero.
    Suppressed,
}

/// A sum of published counts that remembers how many suppressed cells it could not include:
/// when `suppressed` is above zero, `count` is a lower bound.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// The sum of the numbers.
    pub count: u64,
    /// Suppressed cells left out of the sum.
    pub suppressed: u32,
}

impl Tally {
    /// Adds one published count. Sums saturate rather than overflow; [`parse_count`]'s cap
    /// keeps any real table's sums far below `u64::MAX`.
    ///
    /// [`parse_count`]: crate::published::parse_count
    pub fn add(&mut self, c: Count) {
        match c {
            Count::Value(n) => self.count = self.count.saturating_add(n),
            Count::Suppressed => self.suppressed = self.suppressed.saturating_add(1),
        }
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: Tally) {
        self.count = self.count.saturating_add(other.count);
        self.suppressed = self.suppressed.saturating_add(other.suppressed);
    }

    /// Whether the sum is exact (no suppressed cell left out).
    pub fn is_exact(self) -> bool {
        self.suppressed == 0
    }

    /// The cell as it would be published: the number, or `..` when the tally is one
    /// suppressed cell and nothing else.
    pub fn as_count(self) -> Count {
        if self.count == 0 && self.suppressed > 0 { Count::Suppressed } else { Count::Value(self.count) }
    }
}

/// An offence as the tables name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offence {
    /// The Home Office code as published (`8L`; finer codes are folded onto their class code).
    pub code: String,
    /// Conduct's class of the offence.
    pub class: OffenceClass,
    /// `Offence Description`.
    pub description: String,
    /// `Offence Group`.
    pub group: String,
    /// `Offence Subgroup`.
    pub subgroup: String,
}

/// Protective-order counts for one force and quarter (SPOs and interim SPOs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OrderTally {
    /// Applications made in the quarter (by applied date; granted date when no applied date).
    pub applied: u64,
    /// Orders granted in the quarter.
    pub granted: u64,
    /// Incidents recorded in the quarter whose record names a breach of a stalking protection
    /// order. The data contract has no breach field, so this is a lower bound.
    pub breaches_indicated: u64,
    /// Reports recorded in the quarter that Conduct's analysis found to breach a stalking
    /// protection order (full or interim) in force: the order's subject as suspect, its
    /// protected person as victim, on a day it was granted and unexpired (`conduct courses`'
    /// breaches). Counted only when the analysis was supplied ([`Tables::breaches_analysed`]);
    /// found by analysis, never a recorded figure, and never added to one.
    pub breaches_found: u64,
}

impl OrderTally {
    /// Adds another tally.
    pub fn merge(&mut self, o: OrderTally) {
        self.applied = self.applied.saturating_add(o.applied);
        self.granted = self.granted.saturating_add(o.granted);
        self.breaches_indicated = self.breaches_indicated.saturating_add(o.breaches_indicated);
        self.breaches_found = self.breaches_found.saturating_add(o.breaches_found);
    }
}

/// Where the tables came from, which decides what the outcome figures mean.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Source {
    /// Nothing read yet.
    #[default]
    Empty,
    /// The Home Office's published tables.
    Published,
    /// A force export (incidents.csv and orders.csv).
    Incidents,
}

/// Which count of a published outcomes table the outcome figures use. The published outcomes
/// open data carry two counts on every row: outcomes assigned in the quarter to offences
/// *recorded* in that quarter ("Force outcomes for offences recorded in quarter"), and outcomes
/// of investigations *closed* in the quarter, whenever the offence was recorded ("Force
/// outcomes for offences closed in quarter"). A rate for offences recorded in a period uses the
/// first; the second answers a different question, and the two are never mixed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OutcomeBasis {
    /// Outcomes of offences recorded in each quarter (the default; a force export is counted
    /// this way too).
    #[default]
    Recorded,
    /// Outcomes of investigations closed in each quarter, whenever the offence was recorded.
    Closed,
}

/// The published headers of the count of outcomes of offences recorded in the quarter.
pub const OUTCOMES_RECORDED_IN_QUARTER: &str = "Force outcomes for offences recorded in quarter";
/// The published headers of the count of outcomes of offences closed in the quarter.
pub const OUTCOMES_CLOSED_IN_QUARTER: &str = "Force outcomes for offences closed in quarter";

impl OutcomeBasis {
    /// The value of `--outcomes-by` that chooses it.
    pub fn flag(self) -> &'static str {
        match self {
            OutcomeBasis::Recorded => "recorded",
            OutcomeBasis::Closed => "closed",
        }
    }

    /// The other basis.
    pub fn other(self) -> OutcomeBasis {
        match self {
            OutcomeBasis::Recorded => OutcomeBasis::Closed,
            OutcomeBasis::Closed => OutcomeBasis::Recorded,
        }
    }

    /// What the count counts, in words.
    pub fn counts(self) -> &'static str {
        match self {
            OutcomeBasis::Recorded => "outcomes of offences recorded in the quarter",
            OutcomeBasis::Closed => "outcomes of investigations closed in the quarter",
        }
    }

    /// The header names of this basis's count column, in order of preference (the published
    /// wording first). The generic names of a single-count extract ([`OUTCOME_COUNT_NAMES`])
    /// are read as the recorded basis, as Conduct has always written its own tables.
    ///
    /// [`OUTCOME_COUNT_NAMES`]: crate::published::OUTCOME_COUNT_NAMES
    pub fn headers(self) -> &'static [&'static str] {
        match self {
            OutcomeBasis::Recorded => &[
                OUTCOMES_RECORDED_IN_QUARTER,
                "Force outcomes for offences recorded in the quarter",
                "Outcomes for offences recorded in quarter",
                "Outcomes for offences recorded in the quarter",
            ],
            OutcomeBasis::Closed => &[
                OUTCOMES_CLOSED_IN_QUARTER,
                "Force outcomes for offences closed in the quarter",
                "Outcomes for offences closed in quarter",
                "Outcomes for offences closed in the quarter",
            ],
        }
    }

    /// How the outcome figures were counted, as a report's caveat says it.
    pub fn caveat(self) -> &'static str {
        match self {
            OutcomeBasis::Recorded => {
                "Outcomes are those assigned to the offences recorded in each quarter (the published count \
                 \"Force outcomes for offences recorded in quarter\"), so a rate is the share of the offences recorded \
                 in the period that ended so. Outcomes counted by the quarter an investigation closed answer a \
                 different question and are not used (--outcomes-by closed gives that view)."
            }
            OutcomeBasis::Closed => {
                "Outcomes are counted by the quarter the investigation closed (the published count \"Force outcomes \
                 for offences closed in quarter\", chosen with --outcomes-by closed), whenever the offence was \
                 recorded: a rate here sets the outcomes of investigations closed in the period against the offences \
                 recorded in it, two different sets of cases, so it is not the share of those offences that ended \
                 so. Rates for offences recorded in the period are the default (--outcomes-by recorded)."
            }
        }
    }
}

/// A fast hasher for the small fixed-size keys of the table cells (the FxHash mix): the keys
/// are our own small integers, never attacker-chosen, and counting ten million incidents spends
/// most of its time hashing them.
#[derive(Clone, Copy, Default)]
pub struct CellHasher(u64);

impl CellHasher {
    fn mix(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for CellHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.mix(u64::from(*b));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.mix(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.mix(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.mix(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }

    fn write_i16(&mut self, n: i16) {
        self.mix(n as u16 as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }
}

type CellMap<K, V> = HashMap<K, V, BuildHasherDefault<CellHasher>>;

/// One force × quarter × offence: the offences recorded (when a recorded-crime row was read)
/// and the outcomes by outcome type (when outcome rows were read), kept together so that
/// counting an incident costs one lookup.
#[derive(Clone, Debug, Default)]
pub(crate) struct Cell {
    pub(crate) recorded: Option<Tally>,
    pub(crate) outcomes: Option<Box<[Tally]>>,
}

impl Cell {
    pub(crate) fn add_outcome(&mut self, outcome: OutcomeType, count: Count) {
        self.outcomes.get_or_insert_with(|| vec![Tally::default(); OutcomeType::all().count()].into_boxed_slice())
            [outcome.number() as usize]
            .add(count);
    }

    /// The outcome cells read (types with a zero, unsuppressed tally are left out).
    pub(crate) fn outcomes(&self) -> impl Iterator<Item = (OutcomeType, Tally)> + '_ {
        self.outcomes.iter().flat_map(|o| {
            o.iter()
                .enumerate()
                .filter(|(_, t)| t.count > 0 || t.suppressed > 0)
                .map(|(n, t)| (OutcomeType::new(n as u8).expect("index of a type"), *t))
        })
    }
}

/// Offences recorded in one force and quarter, and the outcomes assigned to them by outcome
/// type ([`Tables::stalking_and_harassment_by_quarter`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordedAndOutcomes {
    /// Offences recorded.
    pub recorded: Tally,
    /// Outcomes of those offences, by type (type 0: not yet assigned). Types with nothing
    /// counted are left out.
    pub outcomes: BTreeMap<OutcomeType, Tally>,
}

impl RecordedAndOutcomes {
    /// Outcomes of the chosen types.
    pub fn outcomes_of(&self, which: impl Fn(OutcomeType) -> bool) -> Tally {
        let mut t = Tally::default();
        for (o, n) in &self.outcomes {
            if which(*o) {
                t.merge(*n);
            }
        }
        t
    }

    /// Outcomes assigned (every type but 0, which the Home Office leaves out of totals).
    pub fn assigned(&self) -> Tally {
        self.outcomes_of(OutcomeType::is_assigned)
    }

    /// Charged or summonsed (type 1).
    pub fn charged(&self) -> Tally {
        self.outcomes_of(OutcomeType::is_charge_or_summons)
    }
}

/// An offence's index in [`Tables::offences`]. A `u32`, not a `u16`: a published table may
/// name any number of well-formed codes (a hostile one named 70,000 and overflowed a `u16`),
/// and there are fewer than `u32::MAX` of them (1,110 digit strings × 703 letter suffixes ×
/// 1,111 sub-numbers, about 867 million), so the index cannot overflow.
pub(crate) type OffenceIndex = u32;

/// Recorded crime and outcomes, by force, financial quarter and offence.
#[derive(Clone, Debug, Default)]
pub struct Tables {
    offences: Vec<Offence>,
    offence_index: HashMap<String, OffenceIndex>,
    class_index: [Option<OffenceIndex>; 6],
    pub(crate) cells: CellMap<(Force, FinancialQuarter, OffenceIndex), Cell>,
    non_force: BTreeMap<String, Tally>,
    pub(crate) orders: CellMap<(Force, FinancialQuarter), OrderTally>,
    orders_supplied: bool,
    outcomes_supplied: bool,
    breaches_analysed: bool,
    /// Where the tables came from.
    pub source: Source,
    /// Which count the outcome cells hold (set by the outcomes reader).
    pub outcome_basis: OutcomeBasis,
    /// Incidents whose principal crime is outside the stalking-and-harassment subgroup but
    /// which carry a secondary code in it, by force and quarter recorded. A separate count,
    /// never in the Home Office figures (which count the principal crime).
    also_recorded: BTreeMap<(Force, FinancialQuarter), u64>,
    /// For offences of a force export whose code Conduct does not know: how often each
    /// description was given ([`Tables::export_offence`]).
    export_labels: HashMap<OffenceIndex, HashMap<Box<str>, u64>>,
}

/// The label of [`Tables::also_recorded`] wherever it is written.
pub const ALSO_RECORDED_LABEL: &str = "also recorded as stalking or harassment";

fn class_slot(c: OffenceClass) -> usize {
    match c {
        OffenceClass::Harassment => 0,
        OffenceClass::AggravatedHarassment => 1,
        OffenceClass::Stalking => 2,
        OffenceClass::MaliciousCommunications => 3,
        OffenceClass::ControllingBehaviour => 4,
        OffenceClass::Other => 5,
    }
}

impl Tables {
    /// Empty tables.
    pub fn new() -> Tables {
        Tables::default()
    }

    /// The index of an offence, adding it on first sight. Finer stalking-and-harassment codes
    /// are folded onto their class code (8/65 → 8Q); other codes are kept as given.
    /// `description`, `group` and `subgroup` are used only when the offence is new and fall
    /// back to the domain's wording when empty.
    pub(crate) fn offence(&mut self, code: &OffenceCode, description: &str, group: &str, subgroup: &str) -> OffenceIndex {
        let class = code.class();
        let slot = class_slot(class);
        if let (false, Some(i)) = (class == OffenceClass::Other, self.class_index[slot]) {
            return i;
        }
        if let Some(&i) = self.offence_index.get(class.code().unwrap_or(code.as_str())) {
            return i;
        }
        let key = class.code().unwrap_or(code.as_str()).to_ascii_uppercase();
        if let Some(&i) = self.offence_index.get(&key) {
            return i;
        }
        let sh = class.is_stalking_or_harassment();
        let pick = |given: &str, default: &str| if given.trim().is_empty() { default.to_string() } else { given.trim().to_string() };
        let known = if sh { OffenceCode::parse(&key).ok().and_then(|c| c.description()) } else { code.description() };
        let offence = Offence {
            code: key.clone(),
            class,
            description: pick(description, known.unwrap_or(class.label())),
            group: pick(group, if sh { VIOLENCE_AGAINST_THE_PERSON } else { "" }),
            subgroup: pick(subgroup, if sh { STALKING_AND_HARASSMENT } else { "" }),
        };
        // Cannot fail: every offence is a distinct well-formed code (see [`OffenceIndex`]).
        let i = OffenceIndex::try_from(self.offences.len()).expect("fewer offence codes than u32::MAX");
        self.offences.push(offence);
        self.offence_index.insert(key, i);
        if sh {
            self.class_index[slot] = Some(i);
        }
        i
    }

    /// The index of an offence named by a force export's incident, whose description is the
    /// force's own free text ("HARASSMENT", "Harassment - PHA 1997 s.2", or nothing). A code
    /// Conduct knows is described in the Home Office's words; another by the description its
    /// incidents give most often (ties: the first in byte order), so that the same export in
    /// any order of its rows is described alike (before, the first row's text stood).
    pub(crate) fn export_offence(&mut self, code: &OffenceCode, description: &str) -> OffenceIndex {
        let o = self.offence(code, "", "", "");
        let text = description.trim();
        if text.is_empty() || code.class().is_stalking_or_harassment() || code.description().is_some() {
            return o;
        }
        let counts = self.export_labels.entry(o).or_default();
        let n = match counts.get_mut(text) {
            Some(n) => {
                *n += 1;
                *n
            }
            None => {
                counts.insert(text.into(), 1);
                1
            }
        };
        let offence = &mut self.offences[o as usize];
        let best = counts.get(offence.description.as_str()).copied().unwrap_or(0);
        if n > best || (n == best && text < offence.description.as_str()) {
            offence.description = text.to_string();
        }
        o
    }

    /// Counts an incident recorded under another crime with stalking or harassment as a
    /// secondary classification ([`Tables::also_recorded`]).
    pub fn add_also_recorded(&mut self, force: Force, quarter: FinancialQuarter) {
        *self.also_recorded.entry((force, quarter)).or_default() += 1;
    }

    /// Incidents recorded under another crime with a secondary stalking-or-harassment code, in
    /// `force` (every force with `None`) and the quarters `within` accepts. Never part of the
    /// Home Office figures; written separately, labelled [`ALSO_RECORDED_LABEL`].
    pub fn also_recorded(&self, force: Option<Force>, within: impl Fn(FinancialQuarter) -> bool) -> u64 {
        self.also_recorded.iter().filter(|((f, q), _)| force.is_none_or(|g| g == *f) && within(*q)).map(|(_, n)| n).sum()
    }

    /// The offences seen, by index.
    pub fn offences(&self) -> &[Offence] {
        &self.offences
    }

    /// Adds a recorded-crime count.
    pub fn add_recorded(&mut self, force: Force, quarter: FinancialQuarter, offence: &OffenceCode, count: Count) {
        let o = self.offence(offence, "", "", "");
        self.recorded_cell(force, quarter, o, count);
    }

    pub(crate) fn recorded_cell(&mut self, force: Force, quarter: FinancialQuarter, offence: OffenceIndex, count: Count) {
        self.cells.entry((force, quarter, offence)).or_default().recorded.get_or_insert_default().add(count);
    }

    /// Adds an outcome count (outcomes assigned to offences recorded in `quarter`).
    pub fn add_outcome(&mut self, force: Force, quarter: FinancialQuarter, offence: &OffenceCode, outcome: OutcomeType, count: Count) {
        let o = self.offence(offence, "", "", "");
        self.outcome_cell(force, quarter, o, outcome, count);
    }

    pub(crate) fn outcome_cell(
        &mut self,
        force: Force,
        quarter: FinancialQuarter,
        offence: OffenceIndex,
        outcome: OutcomeType,
        count: Count,
    ) {
        self.outcomes_supplied = true;
        self.cells.entry((force, quarter, offence)).or_default().add_outcome(outcome, count);
    }

    /// Adds protective-order counts for a force and quarter.
    pub fn add_orders(&mut self, force: Force, quarter: FinancialQuarter, t: OrderTally) {
        self.orders_supplied = true;
        self.orders.entry((force, quarter)).or_default().merge(t);
    }

    /// Marks the breaches found by analysis as supplied (even when there were none), so that
    /// no breach found is a zero rather than a figure not held.
    pub fn set_breaches_analysed(&mut self) {
        self.breaches_analysed = true;
    }

    /// Whether breaches found by analysis were supplied ([`OrderTally::breaches_found`]).
    pub fn breaches_analysed(&self) -> bool {
        self.breaches_analysed
    }

    /// Counts one report found by analysis to breach a stalking protection order, in the
    /// quarter it was recorded.
    pub fn add_found_breach(&mut self, force: Force, quarter: FinancialQuarter) {
        self.breaches_analysed = true;
        self.orders.entry((force, quarter)).or_default().merge(OrderTally { breaches_found: 1, ..OrderTally::default() });
    }

    /// Marks order data as supplied even when it held no stalking protection orders.
    pub fn set_orders_supplied(&mut self) {
        self.orders_supplied = true;
    }

    pub(crate) fn set_outcomes_supplied(&mut self) {
        self.outcomes_supplied = true;
    }

    /// Whether any outcome table (or outcome column) was read.
    pub fn outcomes_supplied(&self) -> bool {
        self.outcomes_supplied
    }

    /// Whether any order data was read.
    pub fn orders_supplied(&self) -> bool {
        self.orders_supplied
    }

    /// Records a row of a non-force body (Action Fraud, CIFAS, UK Finance): reported, never
    /// counted in a force or national figure.
    pub fn add_non_force(&mut self, body: Force, count: Count) {
        debug_assert_eq!(body.kind(), ForceKind::NonForce);
        self.non_force.entry(body.name().to_string()).or_default().add(count);
    }

    /// Non-force rows read, by body.
    pub fn non_force(&self) -> &BTreeMap<String, Tally> {
        &self.non_force
    }

    /// Forces with any recorded-crime cell.
    pub fn forces(&self) -> BTreeSet<Force> {
        self.cells.iter().filter(|(_, c)| c.recorded.is_some()).map(|(k, _)| k.0).collect()
    }

    /// The quarters a force has recorded-crime cells for (all forces when `None`).
    pub fn quarters(&self, force: Option<Force>) -> BTreeSet<FinancialQuarter> {
        self.cells.iter().filter(|(k, c)| c.recorded.is_some() && force.is_none_or(|f| f == k.0)).map(|(k, _)| k.1).collect()
    }

    /// The latest quarter with recorded-crime data, if any.
    pub fn latest_quarter(&self) -> Option<FinancialQuarter> {
        self.cells.iter().filter(|(_, c)| c.recorded.is_some()).map(|(k, _)| k.1).max()
    }

    /// Recorded-crime cells, sorted by force, quarter and offence code.
    pub fn recorded_rows(&self) -> Vec<(Force, FinancialQuarter, &Offence, Tally)> {
        let mut v: Vec<_> = self.cells.iter().filter_map(|(k, c)| Some((k.0, k.1, &self.offences[k.2 as usize], c.recorded?))).collect();
        v.sort_by(|a, b| (a.0.name(), a.1, &a.2.code).cmp(&(b.0.name(), b.1, &b.2.code)));
        v
    }

    /// Outcome cells, sorted by force, quarter, offence code and outcome type.
    pub fn outcome_rows(&self) -> Vec<(Force, FinancialQuarter, &Offence, OutcomeType, Tally)> {
        let mut v: Vec<_> =
            self.cells.iter().flat_map(|(k, c)| c.outcomes().map(move |(o, t)| (k.0, k.1, &self.offences[k.2 as usize], o, t))).collect();
        v.sort_by(|a, b| (a.0.name(), a.1, &a.2.code, a.3).cmp(&(b.0.name(), b.1, &b.2.code, b.3)));
        v
    }

    /// Per force and financial quarter, the offences of the stalking-and-harassment subgroup
    /// recorded (8L, 8M, 8Q, 8R, 8U, finer codes folded onto them; an incident counts under its
    /// principal crime only, as the Home Office counts it) and the outcomes of those offences by
    /// outcome type, counted against the quarter the offence was recorded in
    /// ([`Tables::outcome_basis`]; type 0, not yet assigned, included). These are exactly the
    /// sums of the rows of `recorded.csv` and `outcomes.csv` ([`write_recorded`],
    /// [`write_outcomes`]) whose offence is in the subgroup, so a figure read from here agrees
    /// with the published files. For a force export every quarter from the export's first to
    /// its last is present for every force in it, zero where the force recorded nothing
    /// ([`Tables::cover_export_quarters`]); in published tables an absent row stays absent.
    ///
    /// [`write_recorded`]: crate::published::write_recorded
    /// [`write_outcomes`]: crate::published::write_outcomes
    pub fn stalking_and_harassment_by_quarter(&self) -> BTreeMap<(Force, FinancialQuarter), RecordedAndOutcomes> {
        let mut out: BTreeMap<(Force, FinancialQuarter), RecordedAndOutcomes> = BTreeMap::new();
        for (&(force, quarter, offence), cell) in &self.cells {
            if !self.class_of(offence).is_stalking_or_harassment() {
                continue;
            }
            let e = out.entry((force, quarter)).or_default();
            if let Some(t) = cell.recorded {
                e.recorded.merge(t);
            }
            for (o, t) in cell.outcomes() {
                e.outcomes.entry(o).or_default().merge(t);
            }
        }
        out
    }

    /// Order cells, sorted by force and quarter.
    pub fn order_rows(&self) -> Vec<(Force, FinancialQuarter, OrderTally)> {
        let mut v: Vec<_> = self.orders.iter().map(|(k, t)| (k.0, k.1, *t)).collect();
        v.sort_by(|a, b| (a.0.name(), a.1).cmp(&(b.0.name(), b.1)));
        v
    }

    /// The class of an offence index.
    pub(crate) fn class_of(&self, offence: OffenceIndex) -> OffenceClass {
        self.offences[offence as usize].class
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finer_codes_fold_onto_their_class_and_suppressed_is_not_zero() {
        let mut t = Tables::new();
        let met = Force::resolve("Metropolitan Police").unwrap();
        let q = FinancialQuarter::new(2022, 3).unwrap();
        t.add_recorded(met, q, &OffenceCode::parse("8Q").unwrap(), Count::Value(5));
        t.add_recorded(met, q, &OffenceCode::parse("8/65").unwrap(), Count::Value(2));
        t.add_recorded(met, q, &OffenceCode::parse("8Q").unwrap(), Count::Suppressed);
        let rows = t.recorded_rows();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].2.code, "8Q");
        assert_eq!(rows[0].2.subgroup, STALKING_AND_HARASSMENT);
        assert_eq!(rows[0].3, Tally { count: 7, suppressed: 1 });
        assert!(!rows[0].3.is_exact());
        assert_eq!(Tally { count: 0, suppressed: 1 }.as_count(), Count::Suppressed);
    }
}
