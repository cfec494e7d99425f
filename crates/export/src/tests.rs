//! Unit tests: selections on the hand-written fixture `tests/data/good` (Jane Doe's course of
//! three Merseyside reports, John Roe the suspect in two, the stalking protection order SPO-1
//! that arose from the third; two Metropolitan Police reports outside any course), and the
//! pieces the writers share.

use std::path::{Path, PathBuf};

use conduct_ingest::{Ingest, Inputs};
use conduct_pipeline::{Analysis, Export, Options};

use crate::graph::{Graph, NodeKind, Relation};
use crate::{ErrorKind, Network, Selection};

fn good() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/good")
}

fn analysed() -> (Export, Analysis) {
    let g = good();
    let inputs = Inputs {
        incidents: vec![g.join("incidents.csv")],
        people: vec![g.join("people.csv")],
        orders: vec![g.join("orders.csv")],
        risk_assessments: vec![],
    };
    let mut ingest = Ingest::new();
    let (read, summary) = ingest.read_whole(&inputs).expect("the fixture reads");
    let export = Export {
        incidents: read.incidents,
        people: read.people,
        orders: read.orders,
        risk_assessments: read.risk_assessments,
        summary,
        rejects: ingest.rejects().to_vec(),
    };
    let analysis = conduct_pipeline::analyse(&export, &Options::default()).expect("the fixture links");
    (export, analysis)
}

#[test]
fn a_course_holds_its_reports_people_and_order() {
    let (export, analysis) = analysed();
    let n = Network::select(&export, &analysis, &Selection::Course("C000001".into())).unwrap();
    assert_eq!((n.course_count(), n.report_count(), n.person_count(), n.order_count(), n.breach_count()), (1, 3, 2, 1, 0));
    let refs: Vec<&str> = n.reports.iter().map(|&i| export.incidents[i].incident_ref.as_str()).collect();
    assert_eq!(refs, ["MER-1", "MER-2", "MER-3"]);
    assert_eq!(n.people.len(), 5, "G1 to G5");
    assert_eq!(n.title(), "course of conduct C000001");

    let graph = Graph::of(&n);
    let kinds = |k: NodeKind| graph.nodes.iter().filter(|x| x.kind == k).count();
    assert_eq!((kinds(NodeKind::Report), kinds(NodeKind::Person), kinds(NodeKind::Order)), (3, 2, 1));
    let rel = |r: Relation| graph.edges.iter().filter(|e| e.relation == r).count();
    assert_eq!((rel(Relation::Victim), rel(Relation::Suspect), rel(Relation::NextInCourse), rel(Relation::AroseFrom)), (3, 2, 2, 1));
    // The order is drawn under the report it arose from.
    let order = graph.nodes.iter().find(|x| x.kind == NodeKind::Order).unwrap();
    let mer3 = graph.nodes.iter().find(|x| x.identity == "Merseyside MER-3").unwrap();
    assert_eq!(order.x, mer3.x);
    assert!(order.y > mer3.y);
    // Reports along the row by date: 18 days from MER-1 to MER-2.
    let mer1 = graph.nodes.iter().find(|x| x.identity == "Merseyside MER-1").unwrap();
    let mer2 = graph.nodes.iter().find(|x| x.identity == "Merseyside MER-2").unwrap();
    assert_eq!(mer2.x - mer1.x, 18 * 4);
}

#[test]
fn a_persons_network_holds_reports_outside_any_course() {
    let (export, analysis) = analysed();
    // Ann Smith (G6) is the victim of one Metropolitan Police report and of no course.
    let row = export.people.iter().position(|r| r.record_id == "G6").unwrap();
    let id = analysis.persons.id(analysis.persons.of_row()[row]);
    let n = Network::select(&export, &analysis, &Selection::Person(id)).unwrap();
    assert_eq!((n.course_count(), n.report_count(), n.person_count()), (0, 1, 1));
    // Jane Doe's network is her course.
    let row = export.people.iter().position(|r| r.record_id == "G1").unwrap();
    let id = analysis.persons.id(analysis.persons.of_row()[row]);
    let n = Network::select(&export, &analysis, &Selection::Person(id)).unwrap();
    assert_eq!((n.course_count(), n.report_count()), (1, 3));
}

#[test]
fn a_force_holds_its_courses_and_everything_holds_all() {
    let (export, analysis) = analysed();
    let n = Network::select(&export, &analysis, &Selection::Force("merseyside".into())).unwrap();
    assert_eq!((n.course_count(), n.report_count()), (1, 3));
    assert_eq!(n.title(), "courses of conduct of Merseyside");
    let n = Network::select(&export, &analysis, &Selection::Force("Metropolitan Police".into())).unwrap();
    assert_eq!((n.course_count(), n.report_count()), (0, 0), "its two reports make no course");
    let n = Network::select(&export, &analysis, &Selection::All).unwrap();
    assert!(n.all);
    assert_eq!(n.course_count(), analysis.courses.courses.len());
}

#[test]
fn unknown_selections_are_errors_of_selection() {
    let (export, analysis) = analysed();
    for (s, kind) in [
        (Selection::Course("C000002".into()), ErrorKind::UnknownCourse),
        (Selection::Person("P9999999".into()), ErrorKind::UnknownPerson),
        (Selection::Force("Atlantis".into()), ErrorKind::UnknownForce),
    ] {
        let e = Network::select(&export, &analysis, &s).err().expect("an error");
        assert_eq!(e.kind(), kind);
        assert!(e.is_selection());
    }
    let e = Network::select(&export, &analysis, &Selection::Course("C9".into())).err().unwrap();
    assert_eq!(e.to_string(), "no course of conduct \"C9\" (the analysis found one, C000001)");
}

/// Text XML cannot carry is replaced and counted; markup characters, quotes and line breaks
/// are escaped and read back as written.
#[test]
fn xml_text_is_escaped_and_cleaned() {
    let mut doc = crate::xml::Doc::new(Vec::new()).unwrap();
    let awkward = "a<b & \"c\" 'd'\nline\ttab\u{1}\u{FFFF}";
    doc.open("root", &[("value", awkward)]).unwrap();
    doc.text("text", &[], awkward).unwrap();
    doc.close("root").unwrap();
    assert_eq!(doc.replaced, 4, "two characters, in the attribute and in the text");
    let bytes = doc.finish().unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("&#10;"), "a line break in an attribute is kept as a character reference: {text}");

    let mut reader = quick_xml::Reader::from_str(&text);
    let mut attribute = None;
    let mut body = String::new();
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Start(e) if e.name().as_ref() == "root" => {
                let a = e.try_get_attribute("value").unwrap().unwrap();
                attribute = Some(quick_xml::escape::unescape(&a.value).unwrap().into_owned());
            }
            quick_xml::events::Event::Text(t) => body.push_str(&t.xml10_content()),
            quick_xml::events::Event::GeneralRef(r) => {
                let name = r.xml10_content();
                body.push_str(&quick_xml::escape::unescape(&format!("&{name};")).unwrap());
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    let kept = "a<b & \"c\" 'd'\nline\ttab\u{FFFD}\u{FFFD}";
    assert_eq!(attribute.as_deref(), Some(kept));
    assert_eq!(body.trim(), kept);
}
