//! What a force holds from the cross-force hub (schema step 12, issue 15): the other forces'
//! reports about records the hub linked to the force's own ([`OtherForceReport`]), as the
//! force last received them, and a log of every receipt. The hub's result for a force is whole
//! each time (every link it found over every party's encodings), so a receipt replaces the
//! reports held, in one transaction; the log keeps when each arrived, from which files, and
//! what it held.

use conduct_domain::{Date, Force, OffenceCode, OtherForceReport, Role};

use crate::db::{Conn, Value};
use crate::error::{Error, ErrorKind};

/// Step 12's tables, in SQLite's dialect (`INTEGER` becomes `BIGINT` on PostgreSQL).
pub(crate) const TABLES: &str = "CREATE TABLE IF NOT EXISTS cross_force_reports (
    seq           INTEGER PRIMARY KEY,
    own_force     TEXT NOT NULL,
    own_record    TEXT NOT NULL,
    force         TEXT NOT NULL,
    pseudonym     TEXT NOT NULL,
    reference     TEXT NOT NULL,
    recorded_date TEXT NOT NULL,
    offence_codes TEXT NOT NULL,
    role          TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cross_force_receipts (
    received_at   TEXT NOT NULL,
    own_force     TEXT NOT NULL,
    source        TEXT NOT NULL,
    reports       INTEGER NOT NULL,
    forces        TEXT NOT NULL,
    left_out      TEXT NOT NULL
)";

/// A receipt of the hub's result, as logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// When it was held (UTC, ISO 8601).
    pub received_at: String,
    /// The force it was for.
    pub own_force: String,
    /// The files it was read from, as the caller named them.
    pub source: String,
    /// Report rows held.
    pub reports: u64,
    /// The other forces they are of, `;`-separated.
    pub forces: String,
    /// Parties whose reports were left out (not police forces), `;`-separated.
    pub left_out: String,
}

/// Replaces the other forces' reports held for `own_force` with `reports` and logs the
/// receipt (`source`: the files read; `left_out`: parties left out). One transaction: the
/// previous reports stand if anything fails.
///
/// # Errors
///
/// The database's error.
pub fn hold(conn: &mut Conn, own_force: Force, reports: &[OtherForceReport], source: &str, left_out: &[String]) -> Result<Receipt, Error> {
    let mut forces: Vec<&str> = reports.iter().map(|r| r.force.name()).collect();
    forces.sort_unstable();
    forces.dedup();
    let receipt = Receipt {
        received_at: crate::now(),
        own_force: own_force.name().to_string(),
        source: source.to_string(),
        reports: reports.len() as u64,
        forces: forces.join(";"),
        left_out: left_out.join(";"),
    };
    let rows: Vec<Vec<Value>> = reports
        .iter()
        .enumerate()
        .map(|(seq, r)| {
            let mut codes = vec![r.offence_code.as_str()];
            codes.extend(r.secondary_offence_codes.iter().map(OffenceCode::as_str));
            vec![
                Value::Int(seq as i64),
                own_force.name().into(),
                r.own_record.as_str().into(),
                r.force.name().into(),
                r.pseudonym.as_str().into(),
                r.reference.as_str().into(),
                Date::iso_str(&r.recorded_date.iso()).into(),
                codes.join(";").into(),
                r.role.as_str().into(),
            ]
        })
        .collect();
    conn.transaction(|c| {
        c.execute("DELETE FROM cross_force_reports", &[])?;
        c.bulk_insert(
            "cross_force_reports",
            &["seq", "own_force", "own_record", "force", "pseudonym", "reference", "recorded_date", "offence_codes", "role"],
            &rows,
        )?;
        c.execute(
            "INSERT INTO cross_force_receipts (received_at, own_force, source, reports, forces, left_out) VALUES (?, ?, ?, ?, ?, ?)",
            &[
                receipt.received_at.as_str().into(),
                receipt.own_force.as_str().into(),
                receipt.source.as_str().into(),
                Value::Int(receipt.reports as i64),
                receipt.forces.as_str().into(),
                receipt.left_out.as_str().into(),
            ],
        )?;
        Ok::<_, Error>(())
    })?;
    Ok(receipt)
}

/// The other forces' reports held, in the order received, with the force they are held for
/// (`None` when none are held).
///
/// # Errors
///
/// The database's error, or [`ErrorKind::BadRow`] for a row this build cannot read back.
pub fn held(conn: &mut Conn) -> Result<Option<(Force, Vec<OtherForceReport>)>, Error> {
    let rows = conn.query(
        "SELECT own_force, own_record, force, pseudonym, reference, recorded_date, offence_codes, role FROM cross_force_reports ORDER BY seq",
        &[],
    )?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let bad = |column: &'static str, key: String, reason: String| {
        Error::new(ErrorKind::BadRow { table: "cross_force_reports", column, key, reason }, std::path::Path::new(""))
    };
    let own = Force::resolve(&first[0].text()).map_err(|e| bad("own_force", first[0].text(), e.to_string()))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let key = format!("{} {}", r[2].text(), r[4].text());
        let force = Force::resolve(&r[2].text()).map_err(|e| bad("force", key.clone(), e.to_string()))?;
        let (offence_code, secondary_offence_codes) =
            OffenceCode::parse_list(&r[6].text()).map_err(|e| bad("offence_codes", key.clone(), e.to_string()))?;
        out.push(OtherForceReport {
            own_record: r[1].text(),
            force,
            pseudonym: r[3].text(),
            reference: r[4].text(),
            recorded_date: Date::parse(&r[5].text()).map_err(|e| bad("recorded_date", key.clone(), e.to_string()))?,
            offence_code,
            secondary_offence_codes,
            role: Role::parse(&r[7].text()).ok_or_else(|| bad("role", key.clone(), format!("{:?} is not a role", r[7].text())))?,
        });
    }
    Ok(Some((own, out)))
}

/// The receipts logged, latest first.
///
/// # Errors
///
/// The database's error.
pub fn receipts(conn: &mut Conn) -> Result<Vec<Receipt>, Error> {
    Ok(conn
        .query("SELECT received_at, own_force, source, reports, forces, left_out FROM cross_force_receipts ORDER BY received_at DESC", &[])?
        .iter()
        .map(|r| Receipt {
            received_at: r[0].text(),
            own_force: r[1].text(),
            source: r[2].text(),
            reports: r[3].int().unwrap_or(0) as u64,
            forces: r[4].text(),
            left_out: r[5].text(),
        })
        .collect())
}
