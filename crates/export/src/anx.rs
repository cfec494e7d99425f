//! The i2 Analyst's Notebook chart: ANX XML.
//!
//! The elements are those of i2's ANX schema (`Analyst's Notebook 7.xsd`, as the Analyst's
//! Notebook 7 to 9 import it), in the form a saved chart uses:
//!
//! ```text
//! Chart IdReferenceLinking="false" Rigorous="true"
//! ├─ AttributeClassCollection / AttributeClass Name Type(AttText|AttNumber|AttFlag) …
//! ├─ EntityTypeCollection / EntityType Name IconFile PreferredRepresentation
//! ├─ LinkTypeCollection / LinkType Name Colour
//! └─ ChartItemCollection / ChartItem Label Description DateSet TimeSet [DateTime] XPosition
//!    ├─ End X Y / Entity EntityId Identity LabelIsIdentity / Icon / IconStyle Type   (an entity)
//!    │  or Link End1Id End2Id / LinkStyle Type ArrowStyle MlStyle                     (a link)
//!    └─ AttributeCollection / Attribute AttributeClass Value
//! ```
//!
//! With `IdReferenceLinking="false"`, items refer to each other by name: a link's `End1Id` and
//! `End2Id` to entities' `EntityId`, an `IconStyle`'s `Type` to an entity type, a `LinkStyle`'s
//! `Type` to a link type, an `Attribute`'s `AttributeClass` to an attribute class. Every entity's
//! `Identity` is unique (the person_id, the force and reference of a report or order), so that
//! i2 never merges two people who share a name; the name is the item's `Label`.
//!
//! A report's narrative is its `Description` (i2 shows it in the item's properties); its other
//! fields are attributes, flags (hidden repeat, possible breach, domestic abuse, cyber) shown on
//! the chart when set.
//!
//! Dates: a report's recorded date, an order's granted (else applied) date, and a link's date
//! (the later report's, the breaching report's) are the item's `DateTime`, at midnight with
//! `TimeSet="false"`; dates among the attributes are ISO text.

use std::io::Write;
use std::path::Path;

use crate::graph::{Graph, Kind, NodeKind, Relation};
use crate::xml::Doc;
use crate::{Error, Network, Written};

/// Writes the selection as an i2 Analyst's Notebook chart (ANX XML) into `path`.
///
/// # Errors
///
/// [`crate::ErrorKind::Write`] when the file cannot be created or written.
pub fn write_anx(network: &Network, path: &Path) -> Result<Written, Error> {
    let graph = Graph::of(network);
    let replaced = crate::xml::write_file(path, |doc| write(&graph, doc))?;
    Ok(Written { files: vec![(path.to_path_buf(), (graph.nodes.len() + graph.edges.len()) as u64)], replaced, notes: Vec::new() })
}

/// i2's name for an attribute type.
fn att_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Text | Kind::Date => "AttText",
        Kind::Int => "AttNumber",
        Kind::Flag => "AttFlag",
    }
}

/// A link type's colour (Windows RGB: red + 256·green + 65536·blue).
fn colour(relation: Relation) -> u32 {
    match relation {
        Relation::Victim => 0xC0_60_00,
        Relation::Suspect | Relation::PossibleBreach => 0x00_00_D0,
        Relation::Witness | Relation::Other => 0x80_80_80,
        Relation::NextInCourse => 0,
        Relation::AroseFrom => 0x00_80_00,
    }
}

/// i2's standard icon for an entity type.
fn icon(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Person => "Person",
        NodeKind::Report | NodeKind::Order => "Document",
    }
}

fn date_time(d: Option<conduct_domain::Date>) -> Option<String> {
    d.map(|d| format!("{d}T00:00:00"))
}

pub(crate) fn write<W: Write>(graph: &Graph, doc: &mut Doc<W>) -> std::io::Result<()> {
    doc.open("Chart", &[("IdReferenceLinking", "false"), ("Rigorous", "true")])?;

    doc.open("AttributeClassCollection", &[])?;
    let mut attrs: Vec<crate::graph::Attr> = crate::graph::Attr::NODE.to_vec();
    for a in crate::graph::Attr::EDGE {
        if !attrs.contains(&a) {
            attrs.push(a);
        }
    }
    for a in attrs.into_iter().filter(|&a| a != crate::graph::Attr::Narrative) {
        // Flags show on the chart when set; everything else is in the item's properties.
        let flag = a.kind() == Kind::Flag;
        doc.empty(
            "AttributeClass",
            &[
                ("Name", a.words()),
                ("Type", att_type(a.kind())),
                ("Visible", if flag { "true" } else { "false" }),
                ("ShowIfSet", if flag { "true" } else { "false" }),
                ("ShowValue", "true"),
                ("ShowClassName", "true"),
            ],
        )?;
    }
    doc.close("AttributeClassCollection")?;

    doc.open("EntityTypeCollection", &[])?;
    for kind in NodeKind::ALL {
        doc.empty("EntityType", &[("Name", kind.word()), ("IconFile", icon(kind)), ("PreferredRepresentation", "RepresentAsIcon")])?;
    }
    doc.close("EntityTypeCollection")?;

    doc.open("LinkTypeCollection", &[])?;
    for r in Relation::ALL {
        doc.empty("LinkType", &[("Name", r.link_type()), ("Colour", &colour(r).to_string())])?;
    }
    doc.close("LinkTypeCollection")?;

    doc.open("ChartItemCollection", &[])?;
    for n in &graph.nodes {
        let dt = date_time(n.date);
        let x = n.x.to_string();
        let y = n.y.to_string();
        let description = n.attrs.iter().find(|(a, _)| *a == crate::graph::Attr::Narrative).map(|(_, v)| v.text()).unwrap_or_default();
        let mut item = vec![("Label", n.label.as_str()), ("Description", description.as_str())];
        item.extend(dated(&dt));
        item.push(("XPosition", &x));
        doc.open("ChartItem", &item)?;
        doc.open("End", &[("X", &x), ("Y", &y)])?;
        doc.open("Entity", &[("EntityId", &n.key), ("Identity", &n.identity), ("LabelIsIdentity", "false")])?;
        doc.open("Icon", &[])?;
        doc.empty("IconStyle", &[("Type", n.kind.word())])?;
        doc.close("Icon")?;
        doc.close("Entity")?;
        doc.close("End")?;
        // The narrative is the item's description, not an attribute as well.
        let attrs: Vec<_> = n.attrs.iter().filter(|(a, _)| *a != crate::graph::Attr::Narrative).cloned().collect();
        attributes(doc, &attrs)?;
        doc.close("ChartItem")?;
    }
    for e in &graph.edges {
        let dt = date_time(e.date);
        let mut item = vec![("Label", e.label.as_str())];
        item.extend(dated(&dt));
        doc.open("ChartItem", &item)?;
        doc.open("Link", &[("End1Id", &graph.nodes[e.from].key), ("End2Id", &graph.nodes[e.to].key)])?;
        doc.empty("LinkStyle", &[("Type", e.relation.link_type()), ("ArrowStyle", "ArrowOnHead"), ("MlStyle", "MultiplicityMultiple")])?;
        doc.close("Link")?;
        attributes(doc, &e.attrs)?;
        doc.close("ChartItem")?;
    }
    doc.close("ChartItemCollection")?;
    doc.close("Chart")
}

/// `DateSet`, `TimeSet` and `DateTime` of a chart item.
fn dated(dt: &Option<String>) -> Vec<(&'static str, &str)> {
    match dt {
        Some(dt) => vec![("DateSet", "true"), ("TimeSet", "false"), ("DateTime", dt.as_str())],
        None => vec![("DateSet", "false"), ("TimeSet", "false")],
    }
}

fn attributes<W: Write>(doc: &mut Doc<W>, attrs: &[(crate::graph::Attr, crate::graph::Value)]) -> std::io::Result<()> {
    if attrs.is_empty() {
        return Ok(());
    }
    doc.open("AttributeCollection", &[])?;
    for (a, v) in attrs {
        doc.empty("Attribute", &[("AttributeClass", a.words()), ("Value", &v.text())])?;
    }
    doc.close("AttributeCollection")
}
