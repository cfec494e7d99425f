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

use crate::chart::{Chart, Series};
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

const COLOURS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#333333"];

/// The file stem of an area's charts: `england-and-wales`, `force-merseyside`.
fn chart_stem(area: Area) -> String {
    match area {
        Area::National => "england-and-wales".into(),
        Area::Force(_) => page_name(area).trim_end_matches(".html").to_string(),
    }
}

/// Writes each of `charts` as a standalone SVG and a PNG at twice its size into `dir`
/// (`<stem>.svg`, `<stem>.png`); returns the files written.
fn write_chart_files(dir: &Path, charts: &[(String, Chart)]) -> Result<Vec<PathBuf>, Error> {
    use rayon::prelude::*;
    let written: Vec<[PathBuf; 2]> = charts
        .par_iter()
        .map(|(stem, c)| {
            let svg = c.svg();
            let svg_path = dir.join(format!("{stem}.svg"));
            std::fs::write(&svg_path, format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{svg}\n"))
                .map_err(|e| Error::io(e, &svg_path))?;
            let png_path = dir.join(format!("{stem}.png"));
            let png = crate::chart::png(&svg).map_err(|e| Error::io(std::io::Error::other(e), &png_path))?;
            std::fs::write(&png_path, png).map_err(|e| Error::io(e, &png_path))?;
            Ok([svg_path, png_path])
        })
        .collect::<Result<_, Error>>()?;
    Ok(written.into_iter().flatten().collect())
}

/// Writes the charts of `areas` ([`charts`]) into the folder `dir` (created if need be), each as
/// a standalone SVG and a 1,920-px PNG, as [`html`] writes them into its `charts/`: what a
/// story's publisher needs beside the text. Returns the files written.
///
/// # Errors
///
/// [`crate::ErrorKind::Io`] when the folder or a file cannot be written.
pub fn write_charts(dir: &Path, tables: &Tables, areas: &[Area]) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(e, dir))?;
    let mut written = Vec::new();
    for area in areas {
        written.extend(write_chart_files(dir, &charts(tables, *area))?);
    }
    Ok(written)
}

/// The charts of an area: stalking and harassment offences by quarter, and outcome rates by
/// quarter of recording, each with its file stem (`force-merseyside-trend`).
pub fn charts(tables: &Tables, area: Area) -> Vec<(String, Chart<'static>)> {
    let series: BTreeMap<FinancialQuarter, QuarterFigures> = quarterly(tables, area);
    let (Some(first), Some(last)) = (series.keys().next().copied(), series.keys().next_back().copied()) else {
        return Vec::new();
    };
    let quarters: Vec<FinancialQuarter> = (first.index()..=last.index()).map(FinancialQuarter::from_index).collect();
    let markers: Vec<(usize, &'static str)> = CHANGES
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
    let rates = vec![
        Series { label: "Charged/summonsed", colour: COLOURS[0], values: rate(|f| f.charges.count) },
        Series { label: "Victim does not support action (14, 16)", colour: COLOURS[1], values: rate(|f| f.victim_does_not_support.count) },
    ];
    let source = match tables.source {
        conduct_stats::Source::Incidents => "Source: the force's incident records, counted by Conduct.",
        _ => "Source: Home Office, police recorded crime and crime outcomes open data. Chart: Conduct.",
    };
    let name = area.name();
    let stem = chart_stem(area);
    let closed = tables.outcome_basis == conduct_stats::OutcomeBasis::Closed;
    let mut out = vec![(
        format!("{stem}-trend"),
        Chart {
            title: format!("Stalking and harassment offences recorded, {name}"),
            subtitle: "Offences recorded in each financial quarter, by offence".into(),
            quarters: quarters.clone(),
            series: trend,
            markers: markers.clone(),
            unit: "",
            source: source.into(),
        },
    )];
    if rates.iter().any(|r| r.values.iter().any(Option::is_some)) {
        out.push((
            format!("{stem}-outcomes"),
            Chart {
                title: format!("Outcomes of stalking and harassment offences, {name}"),
                subtitle: if closed {
                    "Outcomes of investigations closed in each quarter, as % of S&H offences recorded in it (forces that supplied outcomes)"
                        .into()
                } else {
                    "% of S&H offences recorded in each quarter that ended so (forces that supplied outcomes)".into()
                },
                quarters,
                series: rates,
                markers,
                unit: "%",
                source: source.into(),
            },
        ));
    }
    out
}

/// The charts of an area as HTML: each inlined as SVG, with links to its standalone SVG and PNG
/// in `charts/` and its data as a table.
fn charts_html(charts: &[(String, Chart)]) -> String {
    let mut s = String::new();
    for (stem, c) in charts {
        writeln!(
            s,
            "<figure>{}<figcaption>Download: <a href=\"charts/{stem}.svg\">SVG</a> · <a href=\"charts/{stem}.png\">PNG</a>. \
             <details><summary>The data in this chart</summary>{}</details></figcaption></figure>",
            c.svg(),
            c.data_table()
        )
        .unwrap();
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

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}\
td:first-child,th:first-child{text-align:left}caption{font-weight:bold;text-align:left}\
figure{margin:1.5em 0}svg{max-width:100%;height:auto}.notes{font-size:90%}\
details{margin:.5em 0}summary{cursor:pointer}.chart-data{font-size:85%}";

/// Writes the report into `out_dir` for `period`: `index.html` (England and Wales, with links)
/// and one page per force in the tables, and each page's charts as standalone SVG and PNG in
/// `charts/`. Returns the files written (pages, then each page's charts).
///
/// # Errors
///
/// [`ErrorKind::Io`](crate::ErrorKind::Io), naming the file, when the folder or a page cannot be written.
pub fn html(out_dir: &Path, tables: &Tables, period: Period) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(e, out_dir))?;
    let charts_dir = out_dir.join("charts");
    std::fs::create_dir_all(&charts_dir).map_err(|e| Error::io(e, &charts_dir))?;
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
        let area_charts = charts(tables, area);
        s.push_str(&charts_html(&area_charts));
        written.extend(write_chart_files(&charts_dir, &area_charts)?);
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
        let pages = files.iter().filter(|f| f.extension().is_some_and(|e| e == "html")).count();
        assert_eq!(pages, 2);
        for chart in ["force-city-of-london-trend", "force-city-of-london-outcomes", "england-and-wales-trend"] {
            for ext in ["svg", "png"] {
                let f = dir.path().join(format!("charts/{chart}.{ext}"));
                assert!(files.contains(&f) && std::fs::metadata(&f).unwrap().len() > 1000, "{}", f.display());
            }
        }
        let page = std::fs::read_to_string(dir.path().join("force-city-of-london.html")).unwrap();
        assert!(page.contains("<svg") && !page.contains("<script"));
        assert!(page.contains("April 2020"), "the April 2020 change is marked");
        assert!(page.contains("stroke-dasharray"));
        let index = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
        assert!(index.contains("href=\"force-city-of-london.html\""));
    }
}
