//! Line charts of quarterly series, drawn as SVG on the server (no JavaScript), laid out so
//! that nothing collides: a title, a subtitle saying what is counted, the counting-rule breaks
//! labelled in a band of their own above the plot (a label takes the first row where it
//! overlaps no other, and its dashed line runs up to it), financial-year labels thinned to fit,
//! a legend, and a source line. A gap in a series (quarters with no data) is bridged by a
//! dotted line and a lone point drawn as a dot, so a line never silently stops or vanishes.
//!
//! The same SVG is inlined in the HTML report and written as a standalone file; [`png()`] renders
//! it at twice its size (1,920 pixels wide) for print and social media. [`Chart::data_table`] gives
//! its data as an HTML table for screen readers and for anyone who wants the numbers.

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use conduct_stats::FinancialQuarter;

use crate::html::escape;
use crate::words::thousands;

/// Width of a chart, in SVG units (pixels in the HTML).
pub const WIDTH: f64 = 960.0;
/// The PNG is rendered at this multiple of the SVG's size.
pub const PNG_SCALE: f32 = 2.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 24.0;
const PLOT_HEIGHT: f64 = 300.0;
const BAND_ROW: f64 = 15.0;
const FONT: &str = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif";

/// One line of a chart.
pub struct Series<'a> {
    /// Legend label.
    pub label: &'a str,
    /// Stroke colour.
    pub colour: &'a str,
    /// One value per quarter; `None` is a quarter with no data.
    pub values: Vec<Option<f64>>,
}

/// A chart: what it shows and its data.
pub struct Chart<'a> {
    /// The title ("Stalking and harassment offences recorded in Merseyside, by quarter").
    pub title: String,
    /// What is counted, and how ("Offences recorded in each quarter").
    pub subtitle: String,
    /// The quarters along x, one per value of each series.
    pub quarters: Vec<FinancialQuarter>,
    /// The lines.
    pub series: Vec<Series<'a>>,
    /// Vertical markers: (index into `quarters`, label).
    pub markers: Vec<(usize, &'a str)>,
    /// `%` for shares (ticks and table written as per cent), empty for counts.
    pub unit: &'a str,
    /// The source line.
    pub source: String,
}

/// A text's width in SVG units at `size`, as estimated for layout: 0.62 em a character, a
/// little more than DejaVu Sans' or Arial's average, so that estimates err wide.
pub fn text_width(text: &str, size: f64) -> f64 {
    0.62 * size * text.chars().count() as f64
}

/// A horizontal extent [from, to] of a label.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    /// Left edge.
    pub from: f64,
    /// Right edge.
    pub to: f64,
}

impl Span {
    fn overlaps(self, o: Span, gap: f64) -> bool {
        self.from < o.to + gap && o.from < self.to + gap
    }
}

/// Places marker labels in rows above the plot, row 0 at the top. Each label starts at its
/// marker's line or ends at it; the line runs from the plot up to the label's row, so it
/// passes through the rows below that. A placement is good when every label stays between 0
/// and `right_edge`, no two labels in a row overlap, and no label is crossed by another
/// marker's line. Of the good placements the one with the fewest rows is taken (then the most
/// labels starting at their line); every placement is tried, as charts have few markers. With
/// more than six markers, or none good, each label takes the first free row after the last.
/// Returns, per marker, its row, its span and whether it ends at its line.
pub fn place_labels(xs: &[f64], widths: &[f64], right_edge: f64) -> Vec<(usize, Span, bool)> {
    let n = xs.len();
    let span = |i: usize, end: bool| {
        if end { Span { from: xs[i] - 4.0 - widths[i], to: xs[i] - 4.0 } } else { Span { from: xs[i] + 4.0, to: xs[i] + 4.0 + widths[i] } }
    };
    let good = |choice: &[(usize, bool)]| {
        (0..n).all(|i| {
            let (r, e) = choice[i];
            let si = span(i, e);
            si.from >= 0.0
                && si.to <= right_edge
                && (0..n).filter(|&j| j != i).all(|j| {
                    let (rj, ej) = choice[j];
                    let same_row_clear = rj != r || !si.overlaps(span(j, ej), 8.0);
                    // Marker j's line passes through the rows below its label's.
                    let uncrossed = r <= rj || xs[j] < si.from - 3.0 || xs[j] > si.to + 3.0;
                    same_row_clear && uncrossed
                })
        })
    };
    // (rows, labels ending at their line, the placement: row and end-anchoring per label)
    type Placement = (usize, usize, Vec<(usize, bool)>);
    let mut best: Option<Placement> = None;
    if (1..=6).contains(&n) {
        let options = 2 * n;
        let total = options.pow(n as u32);
        for code in 0..total {
            let mut c = code;
            let choice: Vec<(usize, bool)> = (0..n)
                .map(|_| {
                    let o = c % options;
                    c /= options;
                    (o / 2, o % 2 == 1)
                })
                .collect();
            if !good(&choice) {
                continue;
            }
            let rows = choice.iter().map(|c| c.0).max().unwrap_or(0) + 1;
            let ends = choice.iter().filter(|c| c.1).count();
            if best.as_ref().is_none_or(|b| (rows, ends) < (b.0, b.1)) {
                best = Some((rows, ends, choice));
            }
        }
    }
    let choice = best.map(|b| b.2).unwrap_or_else(|| (0..n).map(|i| (i, xs[i] + 4.0 + widths[i] > right_edge)).collect());
    choice.into_iter().enumerate().map(|(i, (r, e))| (r, span(i, e), e)).collect()
}

/// Every how many financial years to label the x axis so that the labels (`2019/20`) do not
/// touch: 1, 2, 3… as the years get narrower.
pub fn year_label_step(year_width: f64, label_width: f64) -> usize {
    let need = label_width + 10.0;
    if year_width <= 0.0 { 1 } else { ((need / year_width).ceil() as usize).max(1) }
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

fn value_words(v: f64, unit: &str) -> String {
    if unit == "%" { format!("{v:.1}%") } else { thousands(v.round() as u64) }
}

impl Chart<'_> {
    /// The chart as a standalone SVG document (an `<svg>` element with its namespace, a white
    /// background, a `<title>` and `<desc>`), to inline in HTML or write to a file.
    pub fn svg(&self) -> String {
        let n = self.quarters.len().max(2);
        let pw = WIDTH - LEFT - RIGHT;
        let x = |i: usize| LEFT + pw * i as f64 / (n - 1) as f64;
        // Marker labels in a band of rows above the plot.
        let xs: Vec<f64> = self.markers.iter().map(|(i, _)| x(*i)).collect();
        let widths: Vec<f64> = self.markers.iter().map(|(_, l)| text_width(l, 11.0)).collect();
        let placed = place_labels(&xs, &widths, WIDTH - RIGHT);
        let band_rows = placed.iter().map(|p| p.0 + 1).max().unwrap_or(0);
        let band_top = 62.0;
        let top = band_top + BAND_ROW * band_rows as f64 + 10.0;
        let bottom_plot = top + PLOT_HEIGHT;
        let legend_rows = self.series.len().div_ceil(2);
        let legend_top = bottom_plot + 42.0;
        let source_y = legend_top + 18.0 * legend_rows as f64 + 16.0;
        let height = source_y + 14.0;
        let max = self.series.iter().flat_map(|s| s.values.iter().flatten()).fold(0.0f64, |a, b| a.max(*b));
        let ymax = nice_ceiling(max);
        let y = |v: f64| top + PLOT_HEIGHT * (1.0 - v / ymax);
        let mut s = String::new();
        write!(
            s,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-labelledby="t d" font-family="{FONT}"><title id="t">{t}</title><desc id="d">{d}</desc><rect width="{WIDTH}" height="{height}" fill="#ffffff"/>"##,
            t = escape(&self.title),
            d = escape(&format!("{}. {}", self.subtitle, self.source)),
        )
        .unwrap();
        write!(
            s,
            r##"<text x="{LEFT}" y="28" font-size="18" font-weight="bold" fill="#111">{}</text><text x="{LEFT}" y="48" font-size="13" fill="#444">{}</text>"##,
            escape(&self.title),
            escape(&self.subtitle)
        )
        .unwrap();
        // Grid and y ticks.
        for k in 0..=5 {
            let v = ymax * f64::from(k) / 5.0;
            let yy = y(v);
            let label = if self.unit == "%" { format!("{v:.0}%") } else { thousands(v.round() as u64) };
            write!(
                s,
                r##"<line x1="{LEFT}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="#dddddd"/><text x="{tx}" y="{ty:.1}" font-size="12" text-anchor="end" fill="#333">{label}</text>"##,
                x2 = WIDTH - RIGHT,
                tx = LEFT - 8.0,
                ty = yy + 4.0
            )
            .unwrap();
        }
        // Financial years along x, thinned to fit.
        let few = self.quarters.len() <= 8;
        let year_width = pw * 4.0 / (n - 1) as f64;
        let step = if few { 1 } else { year_label_step(year_width, text_width("2019/20", 12.0)) };
        let mut year_no = 0usize;
        for (i, q) in self.quarters.iter().enumerate() {
            let label = if few {
                q.label()
            } else if q.quarter() == 1 {
                year_no += 1;
                if (year_no - 1) % step != 0 {
                    continue;
                }
                q.financial_year_label()
            } else {
                continue;
            };
            write!(
                s,
                r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{bottom_plot}" y2="{yb}" stroke="#999"/><text x="{xx:.1}" y="{ty}" font-size="12" text-anchor="middle" fill="#333">{label}</text>"##,
                xx = x(i),
                yb = bottom_plot + 4.0,
                ty = bottom_plot + 20.0
            )
            .unwrap();
        }
        // Counting-rule breaks: a dashed line from the plot's foot up to its label's row.
        for ((i, label), (row, span, end)) in self.markers.iter().zip(&placed) {
            let xx = x(*i);
            let ly = band_top + BAND_ROW * (*row as f64) + 11.0;
            let (tx, anchor) = if *end { (span.to, "end") } else { (span.from, "start") };
            write!(
                s,
                r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{y1:.1}" y2="{bottom_plot}" stroke="#b00000" stroke-dasharray="5,4"/><text x="{tx:.1}" y="{ly:.1}" font-size="11" fill="#b00000" text-anchor="{anchor}">{l}</text>"##,
                y1 = ly - 9.0,
                l = escape(label)
            )
            .unwrap();
        }
        // Lines; gaps bridged by a dotted line; lone points as dots.
        let mut any_gap = false;
        for sr in &self.series {
            let pts: Vec<(usize, f64)> = sr.values.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i, v))).collect();
            let mut solid = String::new();
            let mut dotted = String::new();
            for (k, &(i, v)) in pts.iter().enumerate() {
                let joined = k > 0 && pts[k - 1].0 + 1 == i;
                let bridged = k > 0 && !joined;
                if bridged {
                    let (pi, pv) = pts[k - 1];
                    write!(dotted, "M{:.1},{:.1} L{:.1},{:.1} ", x(pi), y(pv), x(i), y(v)).unwrap();
                    any_gap = true;
                }
                write!(solid, "{}{:.1},{:.1} ", if joined { "L" } else { "M" }, x(i), y(v)).unwrap();
                let alone = !joined && pts.get(k + 1).is_none_or(|n| n.0 != i + 1);
                if alone {
                    write!(s, r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{}"/>"#, x(i), y(v), sr.colour).unwrap();
                }
            }
            if !dotted.is_empty() {
                write!(
                    s,
                    r#"<path d="{}" fill="none" stroke="{}" stroke-width="1.5" stroke-dasharray="2,4" opacity="0.8"/>"#,
                    dotted.trim_end(),
                    sr.colour
                )
                .unwrap();
            }
            if !solid.is_empty() {
                write!(
                    s,
                    r#"<path d="{}" fill="none" stroke="{}" stroke-width="2.5" stroke-linejoin="round"/>"#,
                    solid.trim_end(),
                    sr.colour
                )
                .unwrap();
            }
        }
        // Legend: two entries a row.
        for (k, sr) in self.series.iter().enumerate() {
            let lx = LEFT + (k % 2) as f64 * (WIDTH - LEFT - RIGHT) / 2.0;
            let ly = legend_top + (k / 2) as f64 * 18.0;
            write!(
                s,
                r##"<rect x="{lx}" y="{ry}" width="16" height="4" fill="{c}"/><text x="{tx}" y="{ly}" font-size="12" fill="#222">{l}</text>"##,
                ry = ly - 5.0,
                c = sr.colour,
                tx = lx + 22.0,
                l = escape(sr.label)
            )
            .unwrap();
        }
        let mut source = self.source.clone();
        if any_gap {
            source.push_str(" Dotted: no data for the quarters between.");
        }
        if !self.markers.is_empty() {
            source.push_str(" Red dashed lines: changes in recording practice.");
        }
        write!(s, r##"<text x="{LEFT}" y="{source_y}" font-size="11" fill="#555">{}</text>"##, escape(&source)).unwrap();
        s.push_str("</svg>");
        s
    }

    /// The chart's data as an HTML table (a caption, a header row of the series, one row per
    /// quarter; "no data" for a gap), for screen readers and anyone who wants the numbers.
    pub fn data_table(&self) -> String {
        let mut s = String::new();
        write!(
            s,
            "<table class=\"chart-data\"><caption>{} ({})</caption><thead><tr><th scope=\"col\">Quarter</th>",
            escape(&self.title),
            escape(&self.subtitle)
        )
        .unwrap();
        for sr in &self.series {
            write!(s, "<th scope=\"col\">{}</th>", escape(sr.label)).unwrap();
        }
        s.push_str("</tr></thead><tbody>");
        for (i, q) in self.quarters.iter().enumerate() {
            write!(s, "<tr><th scope=\"row\">{}</th>", q.label()).unwrap();
            for sr in &self.series {
                let v = sr.values.get(i).copied().flatten().map_or_else(|| "no data".to_string(), |v| value_words(v, self.unit));
                write!(s, "<td>{v}</td>").unwrap();
            }
            s.push_str("</tr>");
        }
        s.push_str("</tbody></table>");
        s
    }
}

/// The system's fonts, held in memory when they are few (at most [`FONTS_IN_MEMORY`] bytes of
/// files): a font database of file paths reads a font's whole file again each time text is
/// laid out in it, which was most of the time spent drawing a run's 90 charts.
fn fonts() -> Arc<resvg::usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<resvg::usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = resvg::usvg::fontdb::Database::new();
            db.load_system_fonts();
            Arc::new(in_memory(&db).unwrap_or(db))
        })
        .clone()
}

/// The most bytes of font files [`fonts`] reads into memory.
const FONTS_IN_MEMORY: u64 = 64 << 20;

/// The same faces as `db`, in the same order and with the same generic families, each file read
/// once into memory; `None` when the files are more than [`FONTS_IN_MEMORY`] bytes or one cannot
/// be read (the database of paths is then used as it is).
fn in_memory(db: &resvg::usvg::fontdb::Database) -> Option<resvg::usvg::fontdb::Database> {
    use resvg::usvg::fontdb::{Database, Family, Source};
    let mut paths: Vec<&std::path::Path> = Vec::new();
    for face in db.faces() {
        match &face.source {
            Source::File(path) => {
                if !paths.contains(&path.as_path()) {
                    paths.push(path);
                }
            }
            // Only files come from the system's folders; anything else, keep the database as is.
            _ => return None,
        }
    }
    let size: u64 = paths.iter().map(|p| std::fs::metadata(p).map_or(u64::MAX, |m| m.len())).fold(0, u64::saturating_add);
    if size > FONTS_IN_MEMORY {
        return None;
    }
    let mut memory = Database::new();
    for path in paths {
        memory.load_font_data(std::fs::read(path).ok()?);
    }
    memory.set_serif_family(db.family_name(&Family::Serif));
    memory.set_sans_serif_family(db.family_name(&Family::SansSerif));
    memory.set_cursive_family(db.family_name(&Family::Cursive));
    memory.set_fantasy_family(db.family_name(&Family::Fantasy));
    memory.set_monospace_family(db.family_name(&Family::Monospace));
    (memory.len() == db.len()).then_some(memory)
}

/// Renders an SVG document as PNG at [`PNG_SCALE`] times its size, its text in the system's
/// fonts (the first of the chart's font families that is installed).
///
/// # Errors
///
/// A message when the SVG cannot be parsed or the image cannot be made or encoded.
pub fn png(svg: &str) -> Result<Vec<u8>, String> {
    encode_png(render(svg)?)
}

/// An SVG document drawn at [`PNG_SCALE`] times its size (premultiplied RGBA).
fn render(svg: &str) -> Result<resvg::tiny_skia::Pixmap, String> {
    let options = resvg::usvg::Options { fontdb: fonts(), ..resvg::usvg::Options::default() };
    let tree = resvg::usvg::Tree::from_str(svg, &options).map_err(|e| e.to_string())?;
    let size = tree.size().to_int_size().scale_by(PNG_SCALE).ok_or("the chart is too large to render")?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("the chart is too large to render")?;
    resvg::render(&tree, resvg::tiny_skia::Transform::from_scale(PNG_SCALE, PNG_SCALE), &mut pixmap.as_mut());
    Ok(pixmap)
}

/// A drawing as an 8-bit RGBA PNG: each row filtered against the row above it, then deflated
/// at zlib level 2, not `tiny_skia`'s own `encode_png` (every filter tried on every row, then
/// level 6). The pixels are the same. The charts are mostly flat colour and horizontal rules,
/// which the row above predicts: the 1M-incident world's report drew and wrote its 90 PNGs in
/// about a third less CPU time, in files 17 % larger (13.9 MB against 11.9 MB), where the `png`
/// crate's fastest setting (fdeflate) took as long and made them 2.3 times as large
/// (docs/benchmarks.md, session 44).
fn encode_png(pixmap: resvg::tiny_skia::Pixmap) -> Result<Vec<u8>, String> {
    let (width, height) = (pixmap.width(), pixmap.height());
    let rgba = pixmap.take_demultiplied();
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_deflate_compression(png::DeflateCompression::Level(2));
    encoder.set_filter(png::Filter::Up);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&rgba).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fonts held in memory are the system's, face for face in the same order (so text is
    /// set in the same face, and a glyph missing from it falls back to the same other face),
    /// with the same generic families.
    #[test]
    fn fonts_in_memory_are_the_systems_face_for_face() {
        use resvg::usvg::fontdb::{Database, Family};
        let mut files = Database::new();
        files.load_system_fonts();
        let memory = in_memory(&files).filter(|_| !files.is_empty());
        let Some(memory) = memory else {
            let ci = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true"));
            let why = "no system fonts, or more than FONTS_IN_MEMORY bytes of them";
            assert!(!ci, "{why}, and CI=true requires every test to run");
            // Past the test harness's capture (as tests/util.rs `require` does), so that a
            // skipped test is seen, and counted, in a passing run.
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr().lock(), "SKIPPED: fonts_in_memory_are_the_systems_face_for_face: {why}");
            return;
        };
        let faces = |db: &Database| -> Vec<String> {
            db.faces().map(|f| format!("{:?} {} {:?} {:?} {:?}", f.families, f.index, f.style, f.weight, f.stretch)).collect()
        };
        assert_eq!(faces(&memory), faces(&files));
        for family in [Family::Serif, Family::SansSerif, Family::Cursive, Family::Fantasy, Family::Monospace] {
            assert_eq!(memory.family_name(&family), files.family_name(&family));
        }
        assert!(memory.faces().all(|f| matches!(f.source, resvg::usvg::fontdb::Source::Binary(_))));
    }

    /// PNG `bytes` decoded: width, height and 8-bit RGBA pixels.
    fn decoded(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Rgba, png::BitDepth::Eight));
        pixels.truncate(info.buffer_size());
        (info.width, info.height, pixels)
    }

    /// The fast encoding keeps every pixel: a chart's PNG decodes to what was drawn, with
    /// translucent pixels as `tiny_skia`'s own encoding gives them (straight alpha, not the
    /// premultiplied values it draws in).
    #[test]
    fn a_charts_png_holds_the_pixels_drawn() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60" viewBox="0 0 120 60">
            <rect width="120" height="60" fill="#ffffff"/>
            <polyline points="5,55 40,10 80,40 115,5" fill="none" stroke="#1f77b4" stroke-width="2.5"/>
            <rect x="10" y="10" width="50" height="30" fill="#d62728" fill-opacity="0.4"/>
            <circle cx="90" cy="30" r="20" fill="#2ca02c" opacity="0.3"/>
        </svg>"##;
        let pixmap = render(svg).unwrap();
        let translucent = pixmap.pixels().iter().filter(|p| p.alpha() != 255).count();
        let drawn = pixmap.clone().take_demultiplied();
        let before = decoded(&pixmap.encode_png().unwrap());
        let (width, height, pixels) = decoded(&png(svg).unwrap());
        assert_eq!((width, height), (240, 120), "twice the SVG's size");
        assert_eq!(pixels, drawn);
        assert_eq!((width, height, pixels), before, "the pixels of tiny_skia's encoding");
        // The drawing has translucent edges and shapes only if the background is left out; with
        // it every pixel is opaque, so check the demultiplying on a transparent drawing too.
        assert_eq!(translucent, 0);
        let bare = svg.replace(r##"<rect width="120" height="60" fill="#ffffff"/>"##, "");
        let pixmap = render(&bare).unwrap();
        assert!(pixmap.pixels().iter().filter(|p| p.alpha() != 0 && p.alpha() != 255).count() > 100, "translucent pixels");
        assert_eq!(decoded(&png(&bare).unwrap()).2, pixmap.clone().take_demultiplied());
        assert_eq!(decoded(&png(&bare).unwrap()), decoded(&pixmap.encode_png().unwrap()));
    }

    fn quarters(from: (i32, u32), n: i32) -> Vec<FinancialQuarter> {
        let first = FinancialQuarter::new(from.0, from.1).unwrap().index();
        (first..first + n).map(FinancialQuarter::from_index).collect()
    }

    /// Regression: on a short series (Merseyside's page from 2013/14) the 2017/18 and April
    /// 2020 labels were stepped down 12 px from a shared baseline and still ran into each
    /// other and the lines; now no two labels' boxes share a row where they overlap.
    #[test]
    fn marker_labels_never_overlap() {
        let labels = [
            "2017/18: S&H recorded in addition to other crimes",
            "April 2020: domestic-abuse harassment recorded as stalking",
            "2023/24: principal crime rule review",
        ];
        for (n, idx) in [(40, [14usize, 26, 38]), (10, [2, 4, 9]), (120, [60, 72, 84]), (6, [0, 1, 5]), (41, [14, 26, 38])] {
            let pw = WIDTH - LEFT - RIGHT;
            let xs: Vec<f64> = idx.iter().map(|i| LEFT + pw * *i as f64 / (n - 1) as f64).collect();
            let widths: Vec<f64> = labels.iter().map(|l| text_width(l, 11.0)).collect();
            let placed = place_labels(&xs, &widths, WIDTH - RIGHT);
            for (a, pa) in placed.iter().enumerate() {
                assert!(pa.1.from >= 0.0 && pa.1.to <= WIDTH - RIGHT + 0.01, "{n}: label {a} off the chart: {pa:?}");
                for (b, pb) in placed.iter().enumerate().filter(|(b, _)| *b != a) {
                    assert!(pa.0 != pb.0 || !pa.1.overlaps(pb.1, 0.0), "{n}: {pa:?} and {pb:?} collide");
                    // Marker b's line runs from the plot up to its label's row.
                    assert!(pa.0 <= pb.0 || xs[b] < pa.1.from || xs[b] > pa.1.to, "{n}: marker {b}'s line crosses label {a}");
                }
            }
        }
    }

    #[test]
    fn year_labels_are_thinned_to_fit() {
        assert_eq!(year_label_step(80.0, 52.0), 1);
        assert_eq!(year_label_step(39.0, 52.0), 2);
        assert_eq!(year_label_step(15.0, 52.0), 5);
    }

    #[test]
    fn gaps_are_bridged_and_lone_points_drawn_and_the_data_tabled() {
        let c = Chart {
            title: "T <&>".into(),
            subtitle: "Offences".into(),
            quarters: quarters((2019, 1), 7),
            series: vec![Series { label: "A", colour: "#000", values: vec![Some(1.0), Some(2.0), None, Some(3.0), None, None, Some(4.0)] }],
            markers: vec![(4, "April 2020: x")],
            unit: "",
            source: "Source: test.".into(),
        };
        let svg = c.svg();
        assert!(svg.contains("stroke-dasharray=\"2,4\""), "a dotted bridge: {svg}");
        assert_eq!(svg.matches("<circle").count(), 2, "3 and 4 stand alone");
        assert!(svg.contains("Dotted: no data for the quarters between."));
        assert!(svg.contains("T &lt;&amp;&gt;") && svg.contains("Source: test."));
        let table = c.data_table();
        assert!(table.contains("<th scope=\"row\">2019/20 Q3</th><td>no data</td>"), "{table}");
        assert!(table.contains("<th scope=\"row\">2020/21 Q3</th><td>4</td>"), "{table}");
        // It renders: a PNG of twice the SVG's width.
        let png = png(&svg).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        assert_eq!(width, (WIDTH * f64::from(PNG_SCALE)) as u32);
    }
}
