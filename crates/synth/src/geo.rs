//! Force areas: each force's size weight, postcode areas, towns and record-keeping styles
//! (incident reference, nominal id, order reference and boolean spellings).

use conduct_domain::Force;

use crate::rng::{Rng, Weighted};

const GEO: &str = include_str!("../data/forces_geo.csv");

/// One force as the generator sees it.
pub(crate) struct ForceGeo {
    /// The canonical force name written to the files.
    pub name: &'static str,
    /// Short code used inside references ("MPS", "MER").
    pub code: String,
    /// Postcode areas of the force area.
    pub areas: Vec<String>,
    /// Towns or boroughs for addresses.
    pub towns: Vec<String>,
    /// Incident reference format (0–5).
    pub ref_style: u8,
    /// Nominal id format (0–5).
    pub nominal_style: u8,
    /// Boolean spelling (0–5).
    pub bool_style: u8,
    /// Whether this force tends to record finer offence codes (8/65, 195/12 …).
    pub finer_codes: bool,
    /// Share of nominal ids left empty in this force's export.
    pub nominal_missing: f64,
}

/// All forces, with draw tables.
pub(crate) struct World {
    /// The 44 forces, in the order of the embedded table.
    pub forces: Vec<ForceGeo>,
    /// Draws a force for an incident, by size.
    pub incident_w: Weighted,
    /// Draws a home force for a person (territorial forces only, by size).
    pub home_w: Weighted,
    /// Index of British Transport Police.
    pub btp: u8,
}

impl World {
    /// Loads the embedded table; every one of the 44 forces must be present.
    pub(crate) fn load() -> World {
        let mut forces = Vec::new();
        let mut weights = Vec::new();
        let mut home = Vec::new();
        let mut btp = 0u8;
        let body: String = GEO.lines().filter(|l| !l.starts_with('#')).map(|l| format!("{l}\n")).collect();
        let mut rdr = csv::ReaderBuilder::new().from_reader(body.as_bytes());
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.expect("embedded forces_geo.csv is malformed");
            let force = Force::resolve(&rec[0]).expect("forces_geo.csv names an unknown force");
            let code = rec[1].to_string();
            let weight: f64 = rec[2].parse().expect("forces_geo.csv weight");
            let split = |s: &str| s.split(';').map(|x| x.trim().to_string()).collect::<Vec<_>>();
            let ref_style = match code.as_str() {
                "MPS" => 0,
                "MER" => 1,
                _ => (i % 6) as u8,
            };
            if code == "BTP" {
                btp = i as u8;
            }
            forces.push(ForceGeo {
                name: force.name(),
                ref_style,
                nominal_style: ((i * 5 + 1) % 6) as u8,
                bool_style: ((i * 7 + 3) % 6) as u8,
                finer_codes: i % 4 == 1,
                nominal_missing: [0.02, 0.04, 0.08, 0.03][i % 4],
                code,
                areas: split(&rec[3]),
                towns: split(&rec[4]),
            });
            home.push(if code_is_home(&rec[1]) { weight } else { 0.0 });
            weights.push(weight);
        }
        World { incident_w: Weighted::new(weights), home_w: Weighted::new(home), forces, btp }
    }

    /// Draws a home force for a new person.
    pub(crate) fn home_force(&self, rng: &mut Rng) -> u8 {
        self.home_w.draw(rng) as u8
    }

    /// Writes a boolean in the force's spelling.
    pub(crate) fn bool_str(&self, force: u8, v: bool) -> &'static str {
        const STYLES: [[&str; 2]; 6] = [["false", "true"], ["N", "Y"], ["no", "yes"], ["0", "1"], ["FALSE", "TRUE"], ["No", "Yes"]];
        STYLES[self.forces[force as usize].bool_style as usize][usize::from(v)]
    }
}

fn code_is_home(code: &str) -> bool {
    code != "BTP" && code != "COL"
}
