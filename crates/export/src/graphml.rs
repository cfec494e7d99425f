//! GraphML, for Gephi, yEd and Neo4j (APOC's `apoc.import.graphml` with `readLabels`).
//!
//! One directed graph: a node for every person, report and order, an edge for every role,
//! for each course's reports one to the next, for the report an order arose from and for
//! possible breaches. Every attribute is declared by a typed `<key>` (`string`, `long`,
//! `boolean`; dates are ISO `string`s, as GraphML has no date type), and given only where the
//! record has a value. Node and edge ids are `n0…` and `e0…` (GraphML ids are XML name tokens,
//! which references with spaces are not); the records' own ids are attributes. Nodes carry
//! `labels` (`:Person`, `:Report`, `:Order`) and edges `label` (`VICTIM_IN`, …) as APOC
//! reads them; `kind` and `relation` say the same in plain words.

use std::io::Write;
use std::path::Path;

use crate::graph::{Attr, Graph, Kind};
use crate::xml::Doc;
use crate::{Error, Network, Written};

/// The GraphML namespace, and where its schema is published.
pub const NAMESPACE: &str = "http://graphml.graphdrawing.org/xmlns";
const SCHEMA: &str = "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd";

/// Writes the selection as GraphML into `path`.
///
/// # Errors
///
/// [`crate::ErrorKind::Write`] when the file cannot be created or written.
pub fn write_graphml(network: &Network, path: &Path) -> Result<Written, Error> {
    let graph = Graph::of(network);
    let replaced = crate::xml::write_file(path, |doc| write(&graph, network.title(), doc))?;
    Ok(Written { files: vec![(path.to_path_buf(), (graph.nodes.len() + graph.edges.len()) as u64)], replaced, notes: Vec::new() })
}

fn graphml_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Text | Kind::Date => "string",
        Kind::Int => "long",
        Kind::Flag => "boolean",
    }
}

fn node_key(a: Attr) -> String {
    format!("n_{}", a.key())
}

fn edge_key(a: Attr) -> String {
    format!("e_{}", a.key())
}

pub(crate) fn write<W: Write>(graph: &Graph, title: &str, doc: &mut Doc<W>) -> std::io::Result<()> {
    doc.open(
        "graphml",
        &[
            ("xmlns", NAMESPACE),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            ("xsi:schemaLocation", &format!("{NAMESPACE} {SCHEMA}")),
        ],
    )?;
    doc.text("desc", &[], &format!("Conduct: {title}"))?;
    let key = |doc: &mut Doc<W>, id: &str, domain: &str, name: &str, ty: &str| {
        doc.empty("key", &[("id", id), ("for", domain), ("attr.name", name), ("attr.type", ty)])
    };
    key(doc, "n_kind", "node", "kind", "string")?;
    key(doc, "n_label", "node", "label", "string")?;
    key(doc, "n_labels", "node", "labels", "string")?;
    key(doc, "n_identity", "node", "identity", "string")?;
    for a in Attr::NODE {
        key(doc, &node_key(a), "node", a.key(), graphml_type(a.kind()))?;
    }
    key(doc, "e_relation", "edge", "relation", "string")?;
    key(doc, "e_label", "edge", "label", "string")?;
    for a in Attr::EDGE {
        key(doc, &edge_key(a), "edge", a.key(), graphml_type(a.kind()))?;
    }

    doc.open("graph", &[("id", "conduct"), ("edgedefault", "directed")])?;
    for (i, n) in graph.nodes.iter().enumerate() {
        doc.open("node", &[("id", &format!("n{i}"))])?;
        doc.text("data", &[("key", "n_kind")], n.kind.word())?;
        doc.text("data", &[("key", "n_label")], &n.label)?;
        doc.text("data", &[("key", "n_labels")], &format!(":{}", n.kind.word()))?;
        doc.text("data", &[("key", "n_identity")], &n.identity)?;
        for (a, v) in &n.attrs {
            doc.text("data", &[("key", &node_key(*a))], &v.text())?;
        }
        doc.close("node")?;
    }
    for (i, e) in graph.edges.iter().enumerate() {
        doc.open("edge", &[("id", &format!("e{i}")), ("source", &format!("n{}", e.from)), ("target", &format!("n{}", e.to))])?;
        doc.text("data", &[("key", "e_relation")], e.relation.word())?;
        doc.text("data", &[("key", "e_label")], e.relation.neo4j_type())?;
        for (a, v) in &e.attrs {
            doc.text("data", &[("key", &edge_key(*a))], &v.text())?;
        }
        doc.close("edge")?;
    }
    doc.close("graph")?;
    doc.close("graphml")
}
