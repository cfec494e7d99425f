//! The selection as one graph — persons, reports and orders, and the links between them — that
//! the ANX and GraphML writers both draw.

use std::collections::{BTreeMap, HashMap, HashSet};

use conduct_domain::{Date, Role};

use crate::Network;

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum NodeKind {
    Person,
    Report,
    Order,
}

impl NodeKind {
    pub(crate) const ALL: [NodeKind; 3] = [NodeKind::Person, NodeKind::Report, NodeKind::Order];

    /// The word for it: i2's entity type, the GraphML `kind`, Neo4j's label.
    pub(crate) fn word(self) -> &'static str {
        match self {
            NodeKind::Person => "Person",
            NodeKind::Report => "Report",
            NodeKind::Order => "Order",
        }
    }
}

/// What a link says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Relation {
    /// Person → report: the person is a victim in it.
    Victim,
    /// Person → report: the person is a suspect in it.
    Suspect,
    /// Person → report: a witness.
    Witness,
    /// Person → report: any other role.
    Other,
    /// Report → the next report of the same course of conduct.
    NextInCourse,
    /// Order → the report its application arose from.
    AroseFrom,
    /// Report → an order it may breach.
    PossibleBreach,
}

impl Relation {
    pub(crate) const ALL: [Relation; 7] = [
        Relation::Victim,
        Relation::Suspect,
        Relation::Witness,
        Relation::Other,
        Relation::NextInCourse,
        Relation::AroseFrom,
        Relation::PossibleBreach,
    ];

    /// The word written on the link (GraphML `relation`).
    pub(crate) fn word(self) -> &'static str {
        match self {
            Relation::Victim => "victim",
            Relation::Suspect => "suspect",
            Relation::Witness => "witness",
            Relation::Other => "other",
            Relation::NextInCourse => "next_in_course",
            Relation::AroseFrom => "arose_from",
            Relation::PossibleBreach => "possible_breach",
        }
    }

    /// The i2 link type name.
    pub(crate) fn link_type(self) -> &'static str {
        match self {
            Relation::Victim => "Victim in",
            Relation::Suspect => "Suspect in",
            Relation::Witness => "Witness in",
            Relation::Other => "Named in",
            Relation::NextInCourse => "Next in course",
            Relation::AroseFrom => "Arose from",
            Relation::PossibleBreach => "Possible breach of",
        }
    }

    /// Neo4j's relationship type.
    pub(crate) fn neo4j_type(self) -> &'static str {
        match self {
            Relation::Victim => "VICTIM_IN",
            Relation::Suspect => "SUSPECT_IN",
            Relation::Witness => "WITNESS_IN",
            Relation::Other => "NAMED_IN",
            Relation::NextInCourse => "NEXT_IN_COURSE",
            Relation::AroseFrom => "AROSE_FROM",
            Relation::PossibleBreach => "POSSIBLE_BREACH_OF",
        }
    }

    fn of_role(role: Role) -> Relation {
        match role {
            Role::Victim => Relation::Victim,
            Role::Suspect => Relation::Suspect,
            Role::Witness => Relation::Witness,
            Role::Other => Relation::Other,
        }
    }
}

/// The type of an attribute's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Int,
    Flag,
    Date,
}

/// An attribute of a node or link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Attr {
    PersonId,
    Name,
    OtherNames,
    DateOfBirth,
    Sex,
    VictimReports,
    SuspectReports,
    Force,
    IncidentRef,
    RecordedDate,
    OccurredDate,
    OffenceCode,
    Offence,
    DomesticAbuse,
    Cyber,
    OutcomeType,
    Narrative,
    CourseIds,
    HiddenRepeat,
    PossibleBreach,
    OrderRef,
    OrderType,
    AppliedDate,
    GrantedDate,
    ExpiresDate,
    Status,
    CourseId,
    DaysAfterPrevious,
    Date,
}

impl Attr {
    /// Every attribute of nodes, then every attribute of links.
    pub(crate) const NODE: [Attr; 26] = [
        Attr::PersonId,
        Attr::Name,
        Attr::OtherNames,
        Attr::DateOfBirth,
        Attr::Sex,
        Attr::VictimReports,
        Attr::SuspectReports,
        Attr::Force,
        Attr::IncidentRef,
        Attr::RecordedDate,
        Attr::OccurredDate,
        Attr::OffenceCode,
        Attr::Offence,
        Attr::DomesticAbuse,
        Attr::Cyber,
        Attr::OutcomeType,
        Attr::Narrative,
        Attr::CourseIds,
        Attr::HiddenRepeat,
        Attr::PossibleBreach,
        Attr::OrderRef,
        Attr::OrderType,
        Attr::AppliedDate,
        Attr::GrantedDate,
        Attr::ExpiresDate,
        Attr::Status,
    ];
    pub(crate) const EDGE: [Attr; 4] = [Attr::CourseId, Attr::HiddenRepeat, Attr::DaysAfterPrevious, Attr::Date];

    /// The name in GraphML (`attr.name`) and in the Parquet files' words.
    pub(crate) fn key(self) -> &'static str {
        self.names().0
    }

    /// The name in i2 (an attribute class).
    pub(crate) fn words(self) -> &'static str {
        self.names().1
    }

    fn names(self) -> (&'static str, &'static str) {
        match self {
            Attr::PersonId => ("person_id", "Person id"),
            Attr::Name => ("name", "Name"),
            Attr::OtherNames => ("other_names", "Other names"),
            Attr::DateOfBirth => ("date_of_birth", "Date of birth"),
            Attr::Sex => ("sex", "Sex"),
            Attr::VictimReports => ("victim_reports", "Reports as victim"),
            Attr::SuspectReports => ("suspect_reports", "Reports as suspect"),
            Attr::Force => ("force", "Force"),
            Attr::IncidentRef => ("incident_ref", "Incident reference"),
            Attr::RecordedDate => ("recorded_date", "Recorded date"),
            Attr::OccurredDate => ("occurred_date", "Occurred date"),
            Attr::OffenceCode => ("offence_code", "Offence code"),
            Attr::Offence => ("offence", "Offence"),
            Attr::DomesticAbuse => ("domestic_abuse", "Domestic abuse"),
            Attr::Cyber => ("cyber", "Cyber"),
            Attr::OutcomeType => ("outcome_type", "Outcome type"),
            Attr::Narrative => ("narrative", "Narrative"),
            Attr::CourseIds => ("course_ids", "Courses of conduct"),
            Attr::HiddenRepeat => ("hidden_repeat", "Hidden repeat"),
            Attr::PossibleBreach => ("possible_breach", "Possible breach"),
            Attr::OrderRef => ("order_ref", "Order reference"),
            Attr::OrderType => ("order_type", "Order type"),
            Attr::AppliedDate => ("applied_date", "Applied date"),
            Attr::GrantedDate => ("granted_date", "Granted date"),
            Attr::ExpiresDate => ("expires_date", "Expiry date"),
            Attr::Status => ("status", "Order status"),
            Attr::CourseId => ("course_id", "Course of conduct"),
            Attr::DaysAfterPrevious => ("days_after_previous", "Days after previous report"),
            Attr::Date => ("date", "Date"),
        }
    }

    /// The type of its values.
    pub(crate) fn kind(self) -> Kind {
        match self {
            Attr::VictimReports | Attr::SuspectReports | Attr::OutcomeType | Attr::DaysAfterPrevious => Kind::Int,
            Attr::DomesticAbuse | Attr::Cyber | Attr::HiddenRepeat | Attr::PossibleBreach => Kind::Flag,
            Attr::RecordedDate | Attr::OccurredDate | Attr::AppliedDate | Attr::GrantedDate | Attr::ExpiresDate | Attr::Date => Kind::Date,
            _ => Kind::Text,
        }
    }
}

/// A value of an attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    Text(String),
    Int(i64),
    Flag(bool),
    Date(Date),
}

impl Value {
    /// As text: ISO dates, `true`/`false`, decimal integers.
    pub(crate) fn text(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Int(n) => n.to_string(),
            Value::Flag(b) => b.to_string(),
            Value::Date(d) => d.to_string(),
        }
    }
}

/// A person, report or order.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) kind: NodeKind,
    /// Unique in the graph: `person:P0000001`, `report:Merseyside:MER-1`, `order:Merseyside:SPO-1`.
    pub(crate) key: String,
    /// Who or what it is, unique in the graph: the person_id, the force and reference of a
    /// report or order (i2's identity).
    pub(crate) identity: String,
    /// What it is called on a chart: the person's name, the report's reference and offence.
    pub(crate) label: String,
    /// Its date on a timeline: a report's recorded date, an order's granted (else applied)
    /// date; persons have none.
    pub(crate) date: Option<Date>,
    /// Where it is drawn: reports along their course's row by date, persons at the start of the
    /// row of their first course, orders under the report they arose from.
    pub(crate) x: i64,
    pub(crate) y: i64,
    pub(crate) attrs: Vec<(Attr, Value)>,
}

/// A link between two nodes (indices into [`Graph::nodes`]).
#[derive(Clone, Debug)]
pub(crate) struct Edge {
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) relation: Relation,
    pub(crate) label: String,
    pub(crate) date: Option<Date>,
    pub(crate) attrs: Vec<(Attr, Value)>,
}

/// The selection as a graph.
pub(crate) struct Graph {
    pub(crate) nodes: Vec<Node>,
    pub(crate) edges: Vec<Edge>,
}

/// Horizontal distance per day of a report, and between rows, in chart units.
const DAY_WIDTH: i64 = 4;
const ROW_HEIGHT: i64 = 300;

impl Graph {
    pub(crate) fn of(network: &Network) -> Graph {
        let export = network.export;
        let analysis = network.analysis;
        let courses = &analysis.courses.courses;
        let incidents = &export.incidents;
        let first_day = network.reports.iter().map(|&i| incidents[i].recorded_date.days_since_epoch()).min().unwrap_or(0);
        let x_of = |d: Date| i64::from(d.days_since_epoch() - first_day) * DAY_WIDTH;

        // The row of each report: that of its first selected course; reports outside every
        // course share one row after them.
        let mut row_of: HashMap<usize, i64> = HashMap::new();
        let mut courses_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (row, &c) in network.courses.iter().enumerate() {
            for &i in &courses[c].incidents {
                row_of.entry(i).or_insert(row as i64);
                courses_of.entry(i).or_default().push(c);
            }
        }
        let loose_row = network.courses.len() as i64;
        let breached: HashSet<usize> = network.breaches.iter().map(|&b| analysis.breaches[b].incident).collect();

        let mut nodes = Vec::new();
        let mut node_of_report: HashMap<usize, usize> = HashMap::new();
        for &i in &network.reports {
            let r = &incidents[i];
            let in_courses = courses_of.get(&i).map(Vec::as_slice).unwrap_or_default();
            let offence = r.offence_code.description().map_or_else(|| r.offence_description.to_string(), str::to_string);
            let mut attrs = vec![
                (Attr::Force, Value::Text(r.force.name().to_string())),
                (Attr::IncidentRef, Value::Text(r.incident_ref.to_string())),
                (Attr::RecordedDate, Value::Date(r.recorded_date)),
            ];
            if let Some(d) = r.occurred_date {
                attrs.push((Attr::OccurredDate, Value::Date(d)));
            }
            attrs.push((Attr::OffenceCode, Value::Text(r.offence_code.as_str().to_string())));
            attrs.push((Attr::Offence, Value::Text(offence.clone())));
            if let Some(b) = r.domestic_abuse {
                attrs.push((Attr::DomesticAbuse, Value::Flag(b)));
            }
            if let Some(b) = r.cyber {
                attrs.push((Attr::Cyber, Value::Flag(b)));
            }
            if let Some(o) = r.outcome_type {
                attrs.push((Attr::OutcomeType, Value::Int(i64::from(o.number()))));
            }
            if !r.narrative.is_empty() {
                attrs.push((Attr::Narrative, Value::Text(r.narrative.to_string())));
            }
            if !in_courses.is_empty() {
                let ids: Vec<&str> = in_courses.iter().map(|&c| courses[c].id.as_str()).collect();
                attrs.push((Attr::CourseIds, Value::Text(ids.join(";"))));
                attrs.push((Attr::HiddenRepeat, Value::Flag(in_courses.iter().any(|&c| courses[c].hidden.contains(&i)))));
            }
            attrs.push((Attr::PossibleBreach, Value::Flag(breached.contains(&i))));
            node_of_report.insert(i, nodes.len());
            nodes.push(Node {
                kind: NodeKind::Report,
                key: format!("report:{}:{}", r.force.name(), r.incident_ref),
                identity: format!("{} {}", r.force.name(), r.incident_ref),
                label: format!("{} {}", r.incident_ref, offence),
                date: Some(r.recorded_date),
                x: x_of(r.recorded_date),
                y: row_of.get(&i).copied().unwrap_or(loose_row) * ROW_HEIGHT,
                attrs,
            });
        }

        // Persons: named from their rows in the selection.
        let person_of = analysis.persons.of_row();
        let mut rows_of: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for &row in &network.people {
            rows_of.entry(person_of[row]).or_default().push(row);
        }
        let mut first_row_of_person: HashMap<u32, i64> = HashMap::new();
        for (row, &c) in network.courses.iter().enumerate() {
            first_row_of_person.entry(courses[c].victim).or_insert(row as i64);
            if let conduct_courses::Suspect::Known(s) = courses[c].suspect {
                first_row_of_person.entry(s).or_insert(row as i64);
            }
        }
        let report_at: HashMap<(conduct_domain::Force, &str), usize> =
            node_of_report.iter().map(|(&i, &n)| ((incidents[i].force, incidents[i].incident_ref.as_str()), n)).collect();
        let mut node_of_person: HashMap<u32, usize> = HashMap::new();
        let mut edges = Vec::new();
        let mut seen_roles = HashSet::new();
        for (&p, rows) in &rows_of {
            let id = network.person_id(p);
            let mut names: Vec<String> = Vec::new();
            for &row in rows {
                let r = &export.people[row];
                let name = [r.forename.as_str(), r.middle_names.as_str(), r.surname.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" ");
                if !name.is_empty() && !names.contains(&name) {
                    names.push(name);
                }
            }
            let first = |f: fn(&conduct_domain::Involvement) -> &str| {
                rows.iter().map(|&row| f(&export.people[row])).find(|s| !s.is_empty()).map(str::to_string)
            };
            let mut victim = HashSet::new();
            let mut suspect = HashSet::new();
            for &row in rows {
                let r = &export.people[row];
                match r.role {
                    Role::Victim => victim.insert((r.force, r.incident_ref.as_str())),
                    Role::Suspect => suspect.insert((r.force, r.incident_ref.as_str())),
                    _ => false,
                };
            }
            let mut attrs = vec![(Attr::PersonId, Value::Text(id.clone()))];
            if let Some(n) = names.first() {
                attrs.push((Attr::Name, Value::Text(n.clone())));
            }
            if names.len() > 1 {
                attrs.push((Attr::OtherNames, Value::Text(names[1..].join("; "))));
            }
            if let Some(d) = first(|r| r.date_of_birth().as_str()) {
                attrs.push((Attr::DateOfBirth, Value::Text(d)));
            }
            if let Some(s) = first(|r| r.sex.as_str()) {
                attrs.push((Attr::Sex, Value::Text(s)));
            }
            attrs.push((Attr::VictimReports, Value::Int(victim.len() as i64)));
            attrs.push((Attr::SuspectReports, Value::Int(suspect.len() as i64)));
            let row = first_row_of_person.get(&p).copied().unwrap_or(loose_row);
            // Victims, then suspects, then anyone else, to the left of the row's first report.
            let column = if !victim.is_empty() {
                1
            } else if !suspect.is_empty() {
                2
            } else {
                3
            };
            node_of_person.insert(p, nodes.len());
            nodes.push(Node {
                kind: NodeKind::Person,
                key: format!("person:{id}"),
                identity: id.clone(),
                label: names.first().cloned().unwrap_or_else(|| id.clone()),
                date: None,
                x: -column * 200,
                y: row * ROW_HEIGHT,
                attrs,
            });
        }
        for &row in &network.people {
            let r = &export.people[row];
            let p = person_of[row];
            let Some(&report) = report_at.get(&(r.force, r.incident_ref.as_str())) else { continue };
            let relation = Relation::of_role(r.role);
            if !seen_roles.insert((p, report, relation)) {
                continue;
            }
            edges.push(Edge {
                from: node_of_person[&p],
                to: report,
                relation,
                label: relation.link_type().to_string(),
                date: nodes[report].date,
                attrs: nodes[report].date.map(|d| vec![(Attr::Date, Value::Date(d))]).unwrap_or_default(),
            });
        }

        // Each course's reports, one to the next.
        for &c in &network.courses {
            let course = &courses[c];
            for pair in course.incidents.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                let (da, db) = (incidents[a].recorded_date, incidents[b].recorded_date);
                edges.push(Edge {
                    from: node_of_report[&a],
                    to: node_of_report[&b],
                    relation: Relation::NextInCourse,
                    label: course.id.clone(),
                    date: Some(db),
                    attrs: vec![
                        (Attr::CourseId, Value::Text(course.id.clone())),
                        (Attr::HiddenRepeat, Value::Flag(course.hidden.contains(&b))),
                        (Attr::DaysAfterPrevious, Value::Int(i64::from(db.days_since_epoch() - da.days_since_epoch()))),
                        (Attr::Date, Value::Date(db)),
                    ],
                });
            }
        }

        // Orders, under the report they arose from.
        let mut node_of_order: HashMap<usize, usize> = HashMap::new();
        for &o in &network.orders {
            let order = &export.orders[o];
            let source = network.order_source.get(&o).and_then(|i| node_of_report.get(i).copied());
            let date = order.granted_date.or(order.applied_date);
            let mut attrs = vec![
                (Attr::Force, Value::Text(order.force.name().to_string())),
                (Attr::OrderRef, Value::Text(order.order_ref.clone())),
                (Attr::OrderType, Value::Text(order.order_type.as_str().to_string())),
                (Attr::IncidentRef, Value::Text(order.incident_ref.clone())),
            ];
            for (attr, d) in
                [(Attr::AppliedDate, order.applied_date), (Attr::GrantedDate, order.granted_date), (Attr::ExpiresDate, order.expires_date)]
            {
                if let Some(d) = d {
                    attrs.push((attr, Value::Date(d)));
                }
            }
            if let Some(s) = order.status {
                attrs.push((Attr::Status, Value::Text(s.as_str().to_string())));
            }
            let (x, y) = match source {
                Some(n) => (nodes[n].x, nodes[n].y + ROW_HEIGHT / 2),
                None => (date.map_or(0, x_of), (loose_row + 1) * ROW_HEIGHT),
            };
            node_of_order.insert(o, nodes.len());
            nodes.push(Node {
                kind: NodeKind::Order,
                key: format!("order:{}:{}", order.force.name(), order.order_ref),
                identity: format!("{} {}", order.force.name(), order.order_ref),
                label: format!("{} {}", order.order_type.as_str(), order.order_ref),
                date,
                x,
                y,
                attrs,
            });
            if let Some(n) = source {
                edges.push(Edge {
                    from: nodes.len() - 1,
                    to: n,
                    relation: Relation::AroseFrom,
                    label: Relation::AroseFrom.link_type().to_string(),
                    date,
                    attrs: date.map(|d| vec![(Attr::Date, Value::Date(d))]).unwrap_or_default(),
                });
            }
        }
        for &b in &network.breaches {
            let breach = &analysis.breaches[b];
            let r = &incidents[breach.incident];
            let day = r.occurred_date.unwrap_or(r.recorded_date);
            edges.push(Edge {
                from: node_of_report[&breach.incident],
                to: node_of_order[&breach.order],
                relation: Relation::PossibleBreach,
                label: Relation::PossibleBreach.link_type().to_string(),
                date: Some(day),
                attrs: vec![(Attr::Date, Value::Date(day))],
            });
        }
        Graph { nodes, edges }
    }
}
