//! The contract's tables and their columns, and the file formats we read them from.

use std::fmt;
use std::path::Path;

/// One of the input tables of the data contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    /// incidents.csv: one row per recorded crime or incident.
    Incidents,
    /// people.csv: one row per person's involvement in an incident.
    People,
    /// orders.csv: protective orders.
    Orders,
    /// risk_assessments.csv: DASH, S-DASH and SASH screenings (optional).
    RiskAssessments,
}

/// A contract column: its name and whether a row is unusable without it.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// The name, lower-case, as in the contract.
    pub name: &'static str,
    /// Whether the row is rejected when it is missing.
    pub required: bool,
}

const fn req(name: &'static str) -> Column {
    Column { name, required: true }
}

const fn opt(name: &'static str) -> Column {
    Column { name, required: false }
}

/// Incidents columns, in the order [`crate::validate`] indexes them.
pub const INCIDENT_COLUMNS: &[Column] = &[
    req("force"),
    req("incident_ref"),
    req("recorded_date"),
    opt("occurred_date"),
    req("offence_code"),
    opt("offence_description"),
    opt("domestic_abuse"),
    opt("cyber"),
    opt("linked_refs"),
    opt("outcome_type"),
    opt("outcome_date"),
    opt("narrative"),
    opt("secondary_offence_codes"),
];

/// People columns.
pub const PEOPLE_COLUMNS: &[Column] = &[
    req("record_id"),
    req("force"),
    req("incident_ref"),
    req("role"),
    opt("local_person_id"),
    opt("forename"),
    opt("middle_names"),
    opt("surname"),
    opt("date_of_birth"),
    opt("sex"),
    opt("address"),
    opt("postcode"),
    opt("phone"),
    opt("email"),
    opt("online_handles"),
    opt("pnc_id"),
    opt("ni_number"),
];

/// Orders columns.
pub const ORDER_COLUMNS: &[Column] = &[
    req("force"),
    req("order_ref"),
    req("order_type"),
    req("incident_ref"),
    opt("applied_date"),
    opt("granted_date"),
    opt("expires_date"),
    opt("status"),
];

/// Risk-assessment columns.
pub const RISK_ASSESSMENT_COLUMNS: &[Column] =
    &[req("force"), req("incident_ref"), req("assessed_date"), req("tool"), opt("grade"), opt("yes_answers"), opt("assessor_notes")];

/// Ground-truth columns that evaluation data may carry. They are recognised (so they are not
/// reported as unexpected) and never read into records: linkage must not see them.
pub const GROUND_TRUTH_COLUMNS: &[&str] = &[
    "true_person_id",
    "true_course_id",
    "true_breach_order_ref",
    "true_course_risk",
    "true_serious_violence",
    "true_recorded_under_other_crime",
];

impl Table {
    /// The contract's columns for this table.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Table::Incidents => INCIDENT_COLUMNS,
            Table::People => PEOPLE_COLUMNS,
            Table::Orders => ORDER_COLUMNS,
            Table::RiskAssessments => RISK_ASSESSMENT_COLUMNS,
        }
    }

    /// The table's name as in the contract.
    pub fn name(self) -> &'static str {
        match self {
            Table::Incidents => "incidents",
            Table::People => "people",
            Table::Orders => "orders",
            Table::RiskAssessments => "risk_assessments",
        }
    }

    /// The column that identifies a row, for reject reports.
    pub fn key_column(self) -> usize {
        match self {
            Table::Incidents => 1,
            Table::People => 0,
            Table::Orders => 1,
            Table::RiskAssessments => 1,
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A file format the readers understand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values, RFC 4180, with a header row.
    Csv,
    /// JSON Lines: one object per line.
    JsonLines,
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// Decides the format from the file's extension, then its first bytes.
    pub fn detect(path: &Path, head: &[u8]) -> Format {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
        match ext.as_str() {
            "parquet" | "pq" => return Format::Parquet,
            "jsonl" | "ndjson" | "json" => return Format::JsonLines,
            "csv" | "txt" => return Format::Csv,
            _ => {}
        }
        if head.starts_with(b"PAR1") {
            Format::Parquet
        } else if head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
            Format::JsonLines
        } else {
            Format::Csv
        }
    }

    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::JsonLines => "jsonl",
            Format::Parquet => "parquet",
        }
    }
}
