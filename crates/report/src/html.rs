//! The HTML report: one page for England and Wales (`index.html`) and one per force, each with
//! a quarterly trend chart of stalking and harassment offences (SVG drawn here, on the server,
//! readable without JavaScript) with the counting-rule changes marked, a chart of outcome rates
//! by quarter of recording, the period's figures as a table, and the caveats.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use conduct_domain::OffenceClass;
use conduct_stats::counting_rules::CHANGES;
use conduct_stats::tables::STALKING_AND_HARASSMENT_CLASSES;
use conduct_stats::{Area, Change, Figures, FinancialQuarter, Period, QuarterFigures, Tables, quarterly};

use crate::error::Error;
use crate::words::{percent, thousands};

/// Escapes text for HTML and SVG, by the dashboard's one rule: maud's escaper (`&`, `<`, `>` and
/// `"`). Every attribute here is written between double quotes, so a `'` cannot end one.
pub fn escape(s: &str) -> String {
    maud::html! { (s) }.into_string()
}

/// A file name for an area's page: `index.html`, or `force-merseyside.html`.
pub fn page_name(area: Area) -> String {
    match area {
        Area::National => "index.html".into(),
        Area::Force(f) => {
            let slug: String = f.name().to_ascii_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
            format!("force-{}.html", slug.split('-').filter(|s| !s.is_empty()).collect::<Vec<_>>().join("-"))
        }
    }
}

/// One line of a chart.
pub struct Series<'a> {
    /// Legend label.
    pub label: &'a str,
    /// Stroke colour.
    pub colour: &'a str,
    /// One value per x position; `None` leaves a gap.
    pub values: Vec<Option<f64>>,
}

fn nice_ceiling(x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(x.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= x {
            return m * mag;
        }
    }
    10.0 * mag
}

/// A line chart as an SVG element: quarters along x (labelled at each financial year's first
/// quarter), vertical dashed markers at `markers` (x index, label), `unit` appended to y ticks.
pub fn line_chart(title: &str, quarters: &[FinancialQuarter], series: &[Series], markers: &[(usize, &str)], unit: &str) -> String {
    let (w, h) = (760.0, 340.0);
    let (left, right, top, bottom) = (64.0, 16.0, 36.0, 92.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let n = quarters.len().max(2);
    let max = series.iter().flat_map(|s| s.values.iter().flatten()).fold(0.0f64, |a, b| a.max(*b));
    let ymax = nice_ceiling(max);
    let x = |i: usize| left + pw * i as f64 / (n - 1) as f64;
    let y = |v: f64| top + ph * (1.0 - v / ymax);
    let mut s = String::new();
    write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{t}">"#,
        t = escape(title)
    )
    .unwrap();
    write!(s, r#"<title>{}</title><text x="{left}" y="20" font-size="14" font-weight="bold">{}</text>"#, escape(title), escape(title))
        .unwrap();
    for k in 0..=5 {
        let v = ymax * f64::from(k) / 5.0;
        let yy = y(v);
        let label = if unit == "%" { format!("{v:.0}%") } else { thousands(v.round() as u64) };
        write!(
            s,
            r##"<line x1="{left}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{tx}" y="{ty:.1}" font-size="11" text-anchor="end">{label}</text>"##,
            x2 = left + pw,
            tx = left - 6.0,
            ty = yy + 4.0
        )
        .unwrap();
    }
    for (i, q) in quarters.iter().enumerate() {
        if q.quarter() == 1 || quarters.len() <= 8 {
            let label = if quarters.len() <= 8 { q.label() } else { q.financial_year_label() };
            write!(s, r#"<text x="{xx:.1}" y="{yy}" font-size="11" text-anchor="middle">{label}</text>"#, xx = x(i), yy = top + ph + 16.0)
                .unwrap();
        }
    }
    for (k, (i, label)) in markers.iter().enumerate() {
        let xx = x(*i);
        // Labels step down so that neighbours do not overlap; they start at their line unless
        // that would run past the right edge (about 5.5 px a character at this size).
        let width = 5.5 * label.chars().count() as f64;
        let (tx, anchor) = if xx + 3.0 + width > w - right { (xx - 3.0, "end") } else { (xx + 3.0, "start") };
        write!(
            s,
            r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{top}" y2="{yb}" stroke="#b00" stroke-dasharray="5,4"/><text x="{tx:.1}" y="{ty}" font-size="10" fill="#b00" text-anchor="{anchor}">{l}</text>"##,
            yb = top + ph,
            ty = top + 10.0 + 12.0 * k as f64,
            l = escape(label)
        )
        .unwrap();
    }
    for (k, sr) in series.iter().enumerate() {
        let mut d = String::new();
        let mut pen_down = false;
        for (i, v) in sr.values.iter().enumerate() {
            match v {
                Some(v) => {
                    write!(d, "{}{:.1},{:.1} ", if pen_down { "L" } else { "M" }, x(i), y(*v)).unwrap();
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !d.is_empty() {
            write!(s, r#"<path d="{}" fill="none" stroke="{}" stroke-width="2"/>"#, d.trim_end(), sr.colour).unwrap();
        }
        // Two legend entries a row: the longest label ("Racially or religiously aggravated
        // harassment") needs about 300 px.
        let lx = left + (k % 2) as f64 * 340.0;
        let ly = top + ph + 36.0 + (k / 2) as f64 * 15.0;
        write!(
            s,
            r#"<rect x="{lx}" y="{ry}" width="12" height="4" fill="{c}"/><text x="{tx}" y="{ly}" font-size="11">{l}</text>"#,
            ry = ly - 5.0,
            c = sr.colour,
            tx = lx + 16.0,
            l = escape(sr.label)
        )
        .unwrap();
    }
    s.push_str("</svg>");
    s
}

const COLOURS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#333333"];

fn charts(tables: &Tables, area: Area) -> String {
    let series: BTreeMap<FinancialQuarter, QuarterFigures> = quarterly(tables, area);
    let (Some(first), Some(last)) = (series.keys().next().copied(), series.keys().next_back().copied()) else {
        return String::new();
    };
    let quarters: Vec<FinancialQuarter> = (first.index()..=last.index()).map(FinancialQuarter::from_index).collect();
    let markers: Vec<(usize, &str)> = CHANGES
        .iter()
        .filter_map(|c| {
            let i = c.quarter().index() - first.index();
            (i >= 0 && (i as usize) < quarters.len()).then_some((i as usize, c.label))
        })
        .collect();
    let trend: Vec<Series> = STALKING_AND_HARASSMENT_CLASSES
        .iter()
        .zip(COLOURS)
        .map(|(c, colour)| Series {
            label: c.label(),
            colour,
            values: quarters.iter().map(|q| series.get(q).and_then(|f| f.recorded.get(c)).map(|t| t.count as f64)).collect(),
        })
        .collect();
    let rate = |pick: fn(&QuarterFigures) -> u64| -> Vec<Option<f64>> {
        quarters
            .iter()
            .map(|q| {
                series
                    .get(q)
                    .filter(|f| f.recorded_with_outcomes.count > 0)
                    .map(|f| 100.0 * pick(f) as f64 / f.recorded_with_outcomes.count as f64)
            })
            .collect()
    };
    let rates = [
        Series { label: "Charged/summonsed", colour: COLOURS[0], values: rate(|f| f.charges.count) },
        Series { label: "Victim does not support action (14, 16)", colour: COLOURS[1], values: rate(|f| f.victim_does_not_support.count) },
    ];
    let mut s = String::new();
    s.push_str("<figure>");
    s.push_str(&line_chart("Stalking and harassment offences recorded, by quarter", &quarters, &trend, &markers, ""));
    s.push_str("<figcaption>Red dashed lines mark changes in recording practice; see the notes.</figcaption></figure>\n<figure>");
    if tables.outcome_basis == conduct_stats::OutcomeBasis::Closed {
        s.push_str(&line_chart(
            "Outcomes of investigations closed in each quarter, against S&H offences recorded in it",
            &quarters,
            &rates,
            &markers,
            "%",
        ));
        s.push_str("<figcaption>Outcomes of investigations closed in each quarter (whenever the offence was recorded) ÷ offences recorded in it (forces that supplied outcomes); --outcomes-by closed.</figcaption></figure>\n");
    } else {
        s.push_str(&line_chart("Outcomes as a share of S&H offences recorded in each quarter", &quarters, &rates, &markers, "%"));
        s.push_str("<figcaption>Outcomes assigned to offences recorded in each quarter ÷ offences recorded in it (forces that supplied outcomes).</figcaption></figure>\n");
    }
    s
}

fn figures_table(tables: &Tables, area: Area, period: Period) -> String {
    let now = Figures::compute(tables, area, period);
    let before = Figures::compute(tables, area, period.earlier(1));
    let mut s = String::new();
    write!(
        s,
        "<table><caption>{}: {}</caption><thead><tr><th>Offence</th><th>Recorded</th><th>Year before</th>\
         <th>Change</th><th>Per day</th><th>Charged/summonsed</th><th>Victim does not support</th></tr></thead><tbody>",
        escape(area.name()),
        escape(&period.to_string())
    )
    .unwrap();
    let mut rows: Vec<(&str, Vec<OffenceClass>)> = STALKING_AND_HARASSMENT_CLASSES.iter().map(|c| (c.label(), vec![*c])).collect();
    rows.push(("All stalking and harassment", STALKING_AND_HARASSMENT_CLASSES.to_vec()));
    for (label, classes) in rows {
        let n = now.count(&classes);
        let b = before.count(&classes);
        let change = Change { before: b.count, now: n.count }
            .percent()
            .filter(|_| now.comparable_with(&before))
            .map_or_else(|| "–".to_string(), |p| format!("{}{}", if p < 0.0 { "−" } else { "+" }, percent(p)));
        let r = |x: Option<conduct_stats::Rate>| x.and_then(|r| r.percent()).map_or_else(|| "–".into(), percent);
        write!(
            s,
            "<tr><td>{}</td><td>{}{}</td><td>{}</td><td>{change}</td><td>{:.1}</td><td>{}</td><td>{}</td></tr>",
            escape(label),
            thousands(n.count),
            if n.is_exact() { "" } else { "+ (suppressed cells)" },
            if now.comparable_with(&before) { thousands(b.count) } else { "–".into() },
            now.per_day(&classes),
            r(now.charge_rate(&classes)),
            r(now.victim_does_not_support_rate(&classes)),
        )
        .unwrap();
    }
    s.push_str("</tbody></table>\n");
    let mut notes = Vec::new();
    if !now.missing_forces.is_empty() {
        notes.push(format!(
            "Missing from the national figures ({}): {}.",
            now.missing_forces.len(),
            now.missing_forces.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
        ));
    }
    if !now.forces_without_outcomes.is_empty() {
        notes.push(format!(
            "No outcome data for the period (left out of rates): {}.",
            now.forces_without_outcomes.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
        ));
    }
    for c in CHANGES {
        notes.push(format!("{}: {}", c.label, c.caveat));
    }
    notes.push(match tables.outcome_basis {
        conduct_stats::OutcomeBasis::Recorded => {
            "Rates are for offences recorded in the period: outcomes assigned to them ÷ offences recorded.".into()
        }
        conduct_stats::OutcomeBasis::Closed => conduct_stats::OutcomeBasis::Closed.caveat().into(),
    });
    s.push_str("<ul class=\"notes\">");
    for n in notes {
        write!(s, "<li>{}</li>", escape(&n)).unwrap();
    }
    s.push_str("</ul>\n");
    s
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:800px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}\
td:first-child,th:first-child{text-align:left}caption{font-weight:bold;text-align:left}\
figure{margin:1.5em 0}svg{max-width:100%;height:auto}.notes{font-size:90%}";

/// Writes the report into `out_dir` for `period`: `index.html` (England and Wales, with links)
/// and one page per force in the tables. Returns the files written.
///
/// # Errors
///
/// [`ErrorKind::Io`](crate::ErrorKind::Io), naming the file, when the folder or a page cannot be written.
pub fn html(out_dir: &Path, tables: &Tables, period: Period) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(e, out_dir))?;
    let mut forces: Vec<_> = tables.forces().into_iter().collect();
    forces.sort_by_key(|f| f.name());
    let areas = std::iter::once(Area::National).chain(forces.iter().map(|f| Area::Force(*f)));
    let mut written = Vec::new();
    for area in areas {
        let mut s = String::new();
        write!(
            s,
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Stalking and harassment: {name}</title>\
             <style>{STYLE}</style></head><body>\n<h1>Stalking and harassment: {name}</h1>\n",
            name = escape(area.name())
        )
        .unwrap();
        if area != Area::National {
            s.push_str("<p><a href=\"index.html\">England and Wales</a></p>\n");
        }
        s.push_str(&figures_table(tables, area, period));
        s.push_str(&charts(tables, area));
        if area == Area::National {
            s.push_str("<h2>Forces</h2><ul>");
            for f in &forces {
                write!(s, "<li><a href=\"{}\">{}</a></li>", page_name(Area::Force(*f)), escape(f.name())).unwrap();
            }
            s.push_str("</ul>\n");
        }
        s.push_str("</body></html>\n");
        let path = out_dir.join(page_name(area));
        std::fs::write(&path, s).map_err(|e| Error::io(e, &path))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use conduct_domain::{Force, OffenceCode, OutcomeType};
    use conduct_stats::Count;

    #[test]
    fn text_is_escaped_by_the_dashboard_rule() {
        assert_eq!(escape("<script>\"&'"), "&lt;script&gt;&quot;&amp;'");
    }

    #[test]
    fn pages_hold_svg_charts_with_counting_rule_markers_and_no_script() {
        let mut t = Tables::new();
        let f = Force::resolve("London, City of").unwrap();
        for i in FinancialQuarter::new(2019, 1).unwrap().index()..=FinancialQuarter::new(2021, 4).unwrap().index() {
            let q = FinancialQuarter::from_index(i);
            t.add_recorded(f, q, &OffenceCode::parse("8Q").unwrap(), Count::Value(10 + i as u64 % 7));
            t.add_outcome(f, q, &OffenceCode::parse("8Q").unwrap(), OutcomeType::new(1).unwrap(), Count::Value(1));
        }
        let dir = tempfile::tempdir().unwrap();
        let files = html(dir.path(), &t, Period::financial_year(2021)).unwrap();
        assert_eq!(files.len(), 2);
        let page = std::fs::read_to_string(dir.path().join("force-city-of-london.html")).unwrap();
        assert!(page.contains("<svg") && !page.contains("<script"));
        assert!(page.contains("April 2020"), "the April 2020 change is marked");
        assert!(page.contains("stroke-dasharray"));
        let index = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
        assert!(index.contains("href=\"force-city-of-london.html\""));
    }
}
