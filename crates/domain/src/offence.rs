//! Home Office offence codes, with finer codes mapped onto the stalking-and-harassment subgroup.
//!
//! The known codes and their mapping live in `data/offence_codes.csv` because the reference
//! marks some (8R, 8U) as unconfirmed. Any other well-formed notifiable code is kept as given
//! and classed [`OffenceClass::Other`].

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use crate::{Error, ErrorKind};

/// Where an offence sits for Conduct: one of the stalking-and-harassment codes, or other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OffenceClass {
    /// 8L Harassment.
    Harassment,
    /// 8M Racially or religiously aggravated harassment.
    AggravatedHarassment,
    /// 8Q Stalking.
    Stalking,
    /// 8R Malicious communications (code unconfirmed).
    MaliciousCommunications,
    /// 8U Controlling or coercive behaviour (code unconfirmed).
    ControllingBehaviour,
    /// Any other notifiable offence.
    Other,
}

impl OffenceClass {
    /// The subgroup code this class is counted under (`8L`…), or `None` for other offences.
    pub fn code(self) -> Option<&'static str> {
        let t = table();
        t.class_codes.iter().find(|(c, _)| *c == self).map(|(_, code)| *code)
    }

    /// Whether this is in the stalking-and-harassment subgroup.
    pub fn is_stalking_or_harassment(self) -> bool {
        self != OffenceClass::Other
    }

    /// A short label for tables and reports.
    pub fn label(self) -> &'static str {
        match self {
            OffenceClass::Harassment => "Harassment",
            OffenceClass::AggravatedHarassment => "Racially or religiously aggravated harassment",
            OffenceClass::Stalking => "Stalking",
            OffenceClass::MaliciousCommunications => "Malicious communications",
            OffenceClass::ControllingBehaviour => "Controlling or coercive behaviour",
            OffenceClass::Other => "Other",
        }
    }
}

/// An offence code as recorded, with its class.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OffenceCode {
    code: String,
    class: OffenceClass,
}

struct Table {
    by_code: HashMap<String, (OffenceClass, &'static str)>,
    class_codes: Vec<(OffenceClass, &'static str)>,
}

fn class_of_subgroup_code(code: &str) -> Option<OffenceClass> {
    // The subgroup is fixed by the domain; which code spells it is data.
    Some(match code {
        "Harassment" => OffenceClass::Harassment,
        "Racially or religiously aggravated harassment" => OffenceClass::AggravatedHarassment,
        "Stalking" => OffenceClass::Stalking,
        "Malicious communications" => OffenceClass::MaliciousCommunications,
        "Engaging in controlling or coercive behaviour" => OffenceClass::ControllingBehaviour,
        _ => return None,
    })
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let rows = crate::data::table("offence_codes.csv", include_str!("../data/offence_codes.csv"));
        let leak = |s: &str| -> &'static str { Box::leak(s.trim().to_string().into_boxed_str()) };
        let mut class_codes = Vec::new();
        for row in rows.iter().filter(|r| r[1].trim().is_empty()) {
            let class = class_of_subgroup_code(row[2].trim())
                .unwrap_or_else(|| panic!("offence_codes.csv: unknown subgroup offence {:?}", &row[2]));
            class_codes.push((class, leak(&row[0])));
        }
        let mut by_code = HashMap::new();
        for row in &rows {
            let target = if row[1].trim().is_empty() { row[0].trim() } else { row[1].trim() };
            let class = class_codes
                .iter()
                .find(|(_, c)| *c == target)
                .map(|(class, _)| *class)
                .unwrap_or_else(|| panic!("offence_codes.csv: {target} is not a subgroup code"));
            by_code.insert(normalise(&row[0]), (class, leak(&row[2])));
        }
        Table { by_code, class_codes }
    })
}

fn normalise(code: &str) -> String {
    code.trim().to_ascii_uppercase().replace(' ', "")
}

impl OffenceCode {
    /// Reads a code: a known one is classed by the table; another well-formed Home Office code
    /// (digits, an optional letter suffix, an optional `/` and sub-number) is kept as `Other`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BadOffenceCode`] when the text is not a well-formed Home Office code.
    pub fn parse(s: &str) -> Result<OffenceCode, Error> {
        let code = normalise(s);
        if let Some(&(class, _)) = table().by_code.get(&code) {
            return Ok(OffenceCode { code, class });
        }
        if well_formed(&code) {
            Ok(OffenceCode { code, class: OffenceClass::Other })
        } else {
            Err(Error::new(ErrorKind::BadOffenceCode { given: s.to_string() }))
        }
    }

    /// Reads a report's codes as the cross-force files and the store write them: the principal
    /// code, then any secondary ones, `;`-separated (`8L;58A`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BadOffenceCode`] for the first code that is not well-formed (an empty list
    /// names the empty principal code).
    pub fn parse_list(list: &str) -> Result<(OffenceCode, Vec<OffenceCode>), Error> {
        let mut codes = list.split(';').map(OffenceCode::parse);
        let principal = codes.next().unwrap_or_else(|| OffenceCode::parse(""))?;
        Ok((principal, codes.collect::<Result<Vec<_>, _>>()?))
    }

    /// The code as recorded (upper-cased, spaces removed).
    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// The class it is counted under.
    pub fn class(&self) -> OffenceClass {
        self.class
    }

    /// The offence name from the table, when the code is one Conduct knows.
    pub fn description(&self) -> Option<&'static str> {
        table().by_code.get(&self.code).map(|&(_, d)| d)
    }
}

fn well_formed(code: &str) -> bool {
    let (main, sub) = match code.split_once('/') {
        Some((m, s)) => (m, Some(s)),
        None => (code, None),
    };
    let digits = main.bytes().take_while(u8::is_ascii_digit).count();
    let letters = &main[digits..];
    (1..=3).contains(&digits)
        && letters.len() <= 2
        && letters.bytes().all(|b| b.is_ascii_uppercase())
        && sub.is_none_or(|s| (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
}

impl fmt::Display for OffenceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_codes_is_the_principal_then_the_secondary_ones() {
        let (principal, secondary) = OffenceCode::parse_list("8l;58A; 8Q").unwrap();
        assert_eq!(principal.as_str(), "8L");
        assert_eq!(secondary.iter().map(OffenceCode::as_str).collect::<Vec<_>>(), ["58A", "8Q"]);
        assert!(OffenceCode::parse_list("8Q").unwrap().1.is_empty());
        assert!(OffenceCode::parse_list("").is_err());
        assert!(OffenceCode::parse_list("8L;threatened to kill her").is_err());
        assert!(OffenceCode::parse_list("8L;").is_err(), "an empty secondary code is not a code");
    }

    #[test]
    fn subgroup_codes_and_finer_codes_map() {
        assert_eq!(OffenceCode::parse("8L").unwrap().class(), OffenceClass::Harassment);
        assert_eq!(OffenceCode::parse("8q").unwrap().class(), OffenceClass::Stalking);
        assert_eq!(OffenceCode::parse("8/65").unwrap().class(), OffenceClass::Stalking);
        assert_eq!(OffenceCode::parse("195/12").unwrap().class(), OffenceClass::Stalking);
        assert_eq!(OffenceCode::parse("8/67").unwrap().class(), OffenceClass::ControllingBehaviour);
        assert_eq!(OffenceClass::Stalking.code(), Some("8Q"));
        assert_eq!(OffenceClass::Other.code(), None);
    }

    #[test]
    fn other_notifiable_codes_are_kept_as_other() {
        let c = OffenceCode::parse("58A").unwrap();
        assert_eq!((c.as_str(), c.class()), ("58A", OffenceClass::Other));
        assert_eq!(OffenceCode::parse("105A").unwrap().class(), OffenceClass::Other);
        assert_eq!(OffenceCode::parse("8/1").unwrap().class(), OffenceClass::Other);
    }

    #[test]
    fn garbage_is_not_a_code() {
        for bad in ["", "harassment", "8L8", "1234", "8/", "/65", "8-65"] {
            let e = OffenceCode::parse(bad).unwrap_err();
            assert_eq!(e.kind(), &ErrorKind::BadOffenceCode { given: bad.to_string() }, "{bad}");
        }
    }
}
