//! Builds the world: courses of conduct (escalating, sometimes crossing forces, sometimes
//! ending in an order and its breaches) interleaved with one-off incidents.

use crate::dates::{self, END, RULE_CHANGE, START};
use crate::geo::World;
use crate::incidents::{self, Incident, off};
use crate::names::Names;
use crate::orders::{self, Order};
use crate::people::{NONE, Population};
use crate::rng::Rng;

/// Relationship between suspect and victim in a course.
pub(crate) mod relation {
    pub const EX_PARTNER: u8 = 0;
    pub const FAMILY: u8 = 1;
    pub const ACQUAINTANCE: u8 = 2;
    pub const COLLEAGUE: u8 = 3;
    pub const STRANGER: u8 = 4;
    pub const ONLINE: u8 = 5;
}

/// Ground truth about one course.
pub(crate) struct CourseInfo {
    pub len: u32,
    pub cross_force: bool,
    pub victim: u32,
    pub suspect: u32,
    /// Hidden risk: 0 standard, 1 medium, 2 high ([`crate::risk`]).
    pub risk: u8,
    /// Whether the course ends in serious violence (its last report).
    pub violent: bool,
}

/// Everything generated, before references are assigned and files written.
pub(crate) struct Scenario<'a> {
    pub rng: Rng,
    pub world: &'a World,
    pub names: &'a Names,
    pub pop: Population,
    pub incidents: Vec<Incident>,
    pub courses: Vec<CourseInfo>,
    pub orders: Vec<Order>,
    /// Incidents that fall on the day after an order expired (for tests and the summary).
    pub day_after_expiry: usize,
    lmax: f64,
}

impl<'a> Scenario<'a> {
    pub(crate) fn new(seed: u64, n: usize, world: &'a World, names: &'a Names) -> Scenario<'a> {
        Scenario {
            rng: Rng::new(seed),
            world,
            names,
            pop: Population::new(),
            incidents: Vec::with_capacity(n),
            courses: Vec::new(),
            orders: Vec::new(),
            day_after_expiry: 0,
            lmax: (n as f64 / 800.0).clamp(8.0, 250.0),
        }
    }

    /// Generates exactly `n` incidents, about half of them in courses.
    pub(crate) fn run(&mut self, n: usize) {
        let mut in_courses = 0usize;
        let mut one_offs = 0usize;
        while self.incidents.len() < n {
            let remaining = n - self.incidents.len();
            // Keep the two streams in proportion (half the incidents belong to courses).
            if remaining >= 2 && in_courses <= one_offs {
                let len = self.course(remaining);
                in_courses += len;
            } else {
                self.one_off();
                one_offs += 1;
            }
        }
    }

    /// Heavy-tailed course length: most 2–5, a tail up to `lmax`.
    fn course_len(&mut self) -> usize {
        loop {
            let u = 1.0 - self.rng.f();
            let l = (2.0 * u.powf(-1.0 / 1.8)).floor();
            if l <= self.lmax {
                return l as usize;
            }
        }
    }

    fn new_person(&mut self, force: u8, day: i32, sex: u8, suspect: bool) -> u32 {
        let id = self.pop.create(&mut self.rng, (self.world, self.names), force, day, sex, suspect);
        self.pop.maybe_relative(&mut self.rng, self.world, self.names, id);
        id
    }

    fn person_force(&self, id: u32, day: i32) -> u8 {
        Population::address_at(&self.pop.persons[id as usize], day).1.force
    }

    /// Generates one course of at most `max_len` reports; returns its length.
    fn course(&mut self, max_len: usize) -> usize {
        let len = self.course_len().min(max_len).max(2);
        let r = &mut self.rng;
        let x = r.f();
        let rel = if x < 0.45 {
            relation::EX_PARTNER
        } else if x < 0.50 {
            relation::FAMILY
        } else if x < 0.72 {
            relation::ACQUAINTANCE
        } else if x < 0.77 {
            relation::COLLEAGUE
        } else if x < 0.93 {
            relation::STRANGER
        } else {
            relation::ONLINE
        };
        let domestic = rel <= relation::FAMILY;
        // Intervals shorten as the course escalates.
        let base = 4.0 + r.exp(45.0);
        let decay = 0.78 + r.f() * 0.15;
        let mut gaps: Vec<f64> = (1..len).map(|k| (base * decay.powi(k as i32).max(0.1) * (0.4 + 1.2 * r.f())).max(1.0)).collect();
        let total: f64 = gaps.iter().sum();
        let span = f64::from(END - START - 30);
        if total > span {
            let s = span / total;
            gaps.iter_mut().for_each(|g| *g = (*g * s).max(0.0));
        }
        let total: i32 = gaps.iter().map(|g| *g as i32).sum();
        let start = dates::growth_day(r, END - total);
        let mut days = Vec::with_capacity(len);
        let mut d = start;
        days.push(d);
        for g in &gaps {
            d += *g as i32;
            days.push(d.min(END));
        }

        // Participants: serial suspects and victims with several suspects reuse earlier ones.
        let reuse = self.rng.f();
        let home = self.world.home_force(&mut self.rng);
        let (victim, suspect) = if reuse < 0.07 && !self.courses.is_empty() {
            let c = self.rng.below(self.courses.len());
            let suspect = self.courses[c].suspect;
            let f = self.person_force(suspect, start);
            let sex = u8::from(self.rng.chance(0.75));
            (self.new_person(f, start, sex, false), suspect)
        } else if reuse < 0.11 && !self.courses.is_empty() {
            let c = self.rng.below(self.courses.len());
            let victim = self.courses[c].victim;
            let f = self.person_force(victim, start);
            let sex = u8::from(!self.rng.chance(0.8));
            (victim, self.new_person(f, start, sex, true))
        } else {
            let vsex = u8::from(self.rng.chance(if domestic { 0.8 } else { 0.68 }));
            let victim = self.new_person(home, start, vsex, false);
            let ssex = if domestic && vsex == 1 { u8::from(self.rng.chance(0.08)) } else { u8::from(self.rng.chance(0.2)) };
            let sf = if self.rng.chance(0.85) { home } else { self.world.home_force(&mut self.rng) };
            let suspect = self.new_person(sf, start, ssex, true);
            (victim, suspect)
        };
        let f1 = self.person_force(victim, start);

        // Crossing into a second force.
        let cross = self.rng.chance(0.15);
        let switch = if cross { 1 + self.rng.below(len - 1) } else { len };
        let mut f2 = f1;
        if cross {
            while f2 == f1 {
                f2 = self.world.incident_w.draw(&mut self.rng) as u8;
            }
            if f2 != self.world.btp && self.rng.chance(0.6) {
                let back = self.rng.range(3, 40) as i32;
                let move_day = (days[switch] - back).max(days[switch - 1] + 1);
                self.pop.move_to(&mut self.rng, self.world, self.names, victim, f2, move_day);
            }
        }
        let forces: Vec<u8> = (0..len).map(|k| if k >= switch { f2 } else { f1 }).collect();

        // Whether the suspect appears in each report.
        let known_p = match rel {
            relation::STRANGER => 0.6,
            relation::ONLINE => 0.7,
            _ => 0.9,
        };
        let mut known: Vec<bool> =
            (0..len).map(|k| if k == 0 && domestic { self.rng.chance(0.97) } else { self.rng.chance(known_p) }).collect();

        // An order may arise from one of the reports with the suspect identified.
        let first = self.incidents.len() as u32;
        let mut order_at = None;
        let mut breaches = vec![false; len];
        if len >= 3 {
            let p = if days[len / 2] >= dates::SPO_START { 0.22 } else { 0.08 } * if len >= 6 { 1.5 } else { 1.0 };
            if self.rng.chance(p) {
                let j = if self.rng.chance(0.65) { self.rng.below(len - 1) } else { len - 1 };
                if known[j] {
                    if let Some(o) = orders::draw(&mut self.rng, forces[j], first + j as u32, days[j], domestic) {
                        // A few later reports fall the day after expiry (not breaches).
                        if let Some(e) = o.expires {
                            if let Some(k) = (j + 1..len).find(|&k| days[k] > e) {
                                if self.rng.chance(0.5) && e < END {
                                    days[k] = e + 1;
                                    self.day_after_expiry += 1;
                                }
                            }
                        }
                        for k in j + 1..len {
                            if o.in_force(days[k]) {
                                breaches[k] = true;
                                known[k] = self.rng.chance(0.95);
                            }
                        }
                        order_at = Some((j, self.orders.len() as u32));
                        self.orders.push(o);
                    }
                }
            }
        }

        let escalates = self.rng.chance(0.4);
        let finer1 = self.world.forces[f1 as usize].finer_codes;
        let finer2 = self.world.forces[f2 as usize].finer_codes;
        let course_id = self.courses.len() as u32;
        for k in 0..len {
            let day = days[k];
            let force = forces[k];
            let frac = if len > 1 { k as f64 / (len - 1) as f64 } else { 0.0 };
            let mut stage = if frac < 0.3 {
                0
            } else if frac < 0.6 {
                1
            } else if frac < 0.85 || !escalates {
                2
            } else {
                3
            };
            if len == 2 && k == 1 {
                stage = 1;
            }
            let mut inc = Incident::new(force, day, victim);
            let lag_known = if breaches[k] || order_at.is_some() { 1.0 } else { 0.9 };
            inc.set_occurred(&mut self.rng, lag_known);
            if breaches[k] || order_at.is_some_and(|(j, _)| k > j) {
                inc.occurred = day; // the conduct date is exact where an order is in play
            }
            inc.course = course_id;
            inc.stage = stage;
            inc.relation = rel;
            inc.domestic = domestic;
            inc.domestic_known = !self.rng.chance(0.03);
            inc.suspect = if known[k] { suspect } else { NONE };
            inc.cyber = self.rng.chance(match (rel, stage) {
                (relation::ONLINE, _) => 0.9,
                (_, 0 | 1) => 0.45,
                _ => 0.25,
            });
            let finer = if k >= switch { finer2 } else { finer1 };
            inc.offence = self.course_offence(domestic, rel, stage, day, inc.cyber, finer);
            if self.rng.chance(0.14) {
                let sex = u8::from(self.rng.chance(0.5));
                inc.witness = self.new_person(force, day, sex, false);
            }
            if let Some((j, o)) = order_at {
                if k == j {
                    inc.order_source = true;
                }
                if breaches[k] {
                    inc.breach = o;
                }
            }
            // Officer-linked repeats: only about a third of repeats carry links.
            if k > 0 && self.rng.chance(0.35) {
                let earlier: Vec<u32> = (0..k).filter(|&i| forces[i] == force).map(|i| first + i as u32).collect();
                if let Some(&last) = earlier.last() {
                    inc.linked.push(last);
                    if earlier.len() > 1 && self.rng.chance(0.25) {
                        let other = earlier[self.rng.below(earlier.len() - 1)];
                        inc.linked.insert(0, other);
                    }
                }
            }
            self.incidents.push(inc);
        }
        self.courses.push(CourseInfo { len: len as u32, cross_force: cross, victim, suspect, risk: 0, violent: false });
        len
    }

    fn course_offence(&mut self, domestic: bool, rel: u8, stage: u8, day: i32, cyber: bool, finer: bool) -> u8 {
        let r = &mut self.rng;
        // Occasionally a report of the course is recorded as a lesser or other crime.
        if r.chance(0.06) {
            return if stage >= 3 {
                [off::ASSAULT, off::ABH, off::DAMAGE_HOME, off::DAMAGE_CAR][r.below(4)]
            } else {
                [off::DAMAGE_CAR, off::PUBLIC_ORDER, off::DAMAGE_HOME][r.below(3)]
            };
        }
        let post_rule = day >= RULE_CHANGE;
        let stalk_p = match (domestic, post_rule) {
            (true, true) => 0.35 + 0.15 * f64::from(stage),
            (true, false) => 0.05 + 0.07 * f64::from(stage),
            (false, true) => 0.12 + 0.12 * f64::from(stage),
            (false, false) => 0.06 + 0.08 * f64::from(stage),
        };
        let x = r.f();
        if x < stalk_p {
            return incidents::stalking_code(r, finer, stage);
        }
        if domestic && day >= dates::CCB_START && r.chance(0.12) {
            return if finer || r.chance(0.15) { off::CCB_FINE } else { off::CCB };
        }
        if !domestic && rel == relation::ACQUAINTANCE && r.chance(0.12) {
            return off::RAHARASS;
        }
        if cyber && r.chance(0.45) { off::MALCOMM } else { off::HARASS }
    }

    /// Generates one incident outside any course.
    fn one_off(&mut self) {
        let day = dates::growth_day(&mut self.rng, END);
        let mut force = self.world.incident_w.draw(&mut self.rng) as u8;
        let other_offence = self.rng.chance(0.32);
        let mut reused_victim = false;
        let victim = if !self.pop.pending.is_empty() && self.rng.chance(0.5) {
            let v = self.pop.pending.pop().unwrap_or(0);
            if force != self.world.btp {
                force = self.person_force(v, day);
            }
            reused_victim = true;
            v
        } else if !self.pop.persons.is_empty() && self.rng.chance(0.08) {
            let v = self.rng.below(self.pop.persons.len()) as u32;
            if self.rng.chance(0.85) && force != self.world.btp {
                force = self.person_force(v, day);
            }
            reused_victim = true;
            v
        } else {
            let sex = u8::from(self.rng.chance(0.6));
            self.new_person(force, day, sex, false)
        };
        let r = &mut self.rng;
        let offence = if other_offence {
            let x = r.f();
            if x < 0.3 {
                off::ASSAULT
            } else if x < 0.45 {
                off::DAMAGE_HOME
            } else if x < 0.6 {
                off::DAMAGE_CAR
            } else if x < 0.8 {
                off::PUBLIC_ORDER
            } else if x < 0.9 {
                off::ABH
            } else {
                off::THEFT
            }
        } else {
            let x = r.f();
            if x < 0.40 {
                off::HARASS
            } else if x < 0.75 {
                off::MALCOMM
            } else if x < 0.83 {
                off::RAHARASS
            } else if x < 0.93 {
                if day >= RULE_CHANGE || r.chance(0.5) { off::STALK } else { off::HARASS }
            } else if day >= dates::CCB_START {
                off::CCB
            } else {
                off::HARASS
            }
        };
        let mut inc = Incident::new(force, day, victim);
        inc.set_occurred(r, 0.88);
        inc.offence = offence;
        inc.domestic = offence == off::CCB || r.chance(0.18);
        inc.domestic_known = !r.chance(0.04);
        inc.cyber = r.chance(match offence {
            off::MALCOMM => 0.85,
            off::HARASS | off::RAHARASS | off::STALK => 0.35,
            _ => 0.04,
        });
        let known_p = if offence == off::MALCOMM { 0.55 } else { 0.72 };
        if r.chance(known_p) {
            inc.suspect = if !reused_victim && !self.pop.persons.is_empty() && r.chance(0.06) {
                self.rng.below(self.pop.persons.len()) as u32
            } else {
                let sex = u8::from(self.rng.chance(0.3));
                self.new_person(force, day, sex, true)
            };
            if inc.suspect == victim {
                inc.suspect = NONE;
            }
        }
        if !self.pop.pending.is_empty() && self.rng.chance(0.3) {
            inc.witness = self.pop.pending.pop().unwrap_or(NONE);
        } else if self.rng.chance(0.14) {
            let sex = u8::from(self.rng.chance(0.5));
            inc.witness = self.new_person(force, day, sex, false);
        }
        if self.rng.chance(0.05) {
            let sex = u8::from(self.rng.chance(0.5));
            inc.other = self.new_person(force, day, sex, false);
        }
        if inc.witness == inc.victim || inc.witness == inc.suspect {
            inc.witness = NONE;
        }
        self.incidents.push(inc);
    }

    /// Assigns outcomes to every incident (after orders and breaches are known).
    pub(crate) fn outcomes(&mut self) {
        for inc in &mut self.incidents {
            incidents::assign_outcome(&mut self.rng, inc);
        }
    }
}
