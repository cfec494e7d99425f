//! The comparison kernel: a pair's level in every field ([`Flat::pattern_in`]), pairs taken
//! in batches ([`Flat::each`]).
//!
//! One Rust source, compiled more than once: portably, and on x86-64 also with POPCNT, with
//! AVX2 and with AVX-512 (VPOPCNTDQ; where the compiler has it, Rust 1.89 and later: see
//! `build.rs`), where the filters' set-bit counts are single instructions or vectors of them.
//! Which one runs is chosen once per batch of pairs from the CPU features found at run time
//! ([`Kernel`]), never per word. The fields of the default settings each get code of their own
//! ([`Shape`]); other settings go through a loop over the fields. The counts of set bits are
//! exact whatever the instructions, so every variant gives the same levels; the tests below
//! check that on random filters, against each other and against the kernel as it was before
//! the variants (`Before`).

use super::{DICE_LEVELS, DICE_MILLI, Flat, INITIAL_AGREES, INITIAL_DIFFERS, NICK, NICKNAME_LEVEL, level};

/// How one field is compared, as the kernel reads it.
#[derive(Clone, Copy, Debug)]
pub(super) struct FieldCmp {
    /// The field's first word in a record.
    pub(super) off: usize,
    /// Its words.
    pub(super) words: usize,
    /// Overlap (|A∩B| / min) rather than Dice.
    pub(super) overlap: bool,
    /// A diffused field: where its distance table starts in [`Flat::tables`], and its length
    /// (0: not diffused, the common bits are counted).
    pub(super) table: (usize, usize),
    /// The smaller filter is partial (an initial, a partial date) when it has fewer set bits
    /// than the first and the larger has at least the second.
    pub(super) partial: (u16, u16),
}

/// The fields' shapes (words, diffused or not), when they are those of the default
/// settings ([`Shape::of`]): the kernel then has code for each field of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// Forename, surname (diffused or not), sex, date of birth, address, postcode, phone,
    /// e-mail, handles, identifiers: 8, 8, 1, 8, 16, 4, 4, 8, 8, 8 words.
    Default { names_diffused: bool },
    /// Any other.
    Other,
}

impl Shape {
    /// The shape of these fields, and the level thresholds the kernel reads for it
    /// ([`Rows`]): the default settings' shape needs every field compared by Dice, every
    /// set-bit count at most [`MAX_POP`] (`max_pop`: the largest of any record) and, for
    /// diffused names, 512-bit images whose estimated Dice levels never fall as more bits
    /// differ ([`near_rows`]), the forename's table the surname's.
    pub(super) fn of(cmp: &[FieldCmp], tables: &[f32], max_pop: u16) -> (Shape, Rows) {
        const WORDS: [usize; 10] = [8, 8, 1, 8, 16, 4, 4, 8, 8, 8];
        let words_match = cmp.len() == WORDS.len() && cmp.iter().zip(WORDS).all(|(c, w)| c.words == w);
        let fits = cmp.iter().all(|c| !c.overlap)
            && usize::from(max_pop) <= MAX_POP
            && cmp.iter().enumerate().all(|(f, c)| f == 0 || f == 3 || c.partial == (0, 0));
        let diffused: Vec<bool> = cmp.iter().map(|c| c.table.1 > 0).collect();
        let names_diffused = match diffused.as_slice() {
            [a, b, rest @ ..] if words_match && fits && a == b && rest.iter().all(|d| !d) => *a,
            _ => return (Shape::Other, Rows::default()),
        };
        let mut rows = Rows { dice: dice_rows(), ..Rows::default() };
        if names_diffused {
            let (f, g) = (&cmp[0].table, &cmp[1].table);
            let (forename, surname) = (&tables[f.0..][..f.1], &tables[g.0..][..g.1]);
            match near_rows(forename) {
                Some(near) if forename == surname => {
                    for (row, (dice, near)) in rows.names.iter_mut().zip(rows.dice.iter().zip(near.iter())) {
                        *row = [dice[0], dice[1], near[0], near[1]];
                    }
                }
                _ => return (Shape::Other, Rows::default()),
            }
        }
        (Shape::Default { names_diffused }, rows)
    }
}

/// Words of a record in the default settings' shape (the fields' [`Shape::of`] words).
const STRIDE: usize = 73;
/// Fields of the default settings.
const FIELDS: usize = 10;

/// The largest set-bit count the default settings' rows allow for (a full 1,024-bit filter).
pub(super) const MAX_POP: usize = 1024;

/// Seven level thresholds packed in 16-bit lanes, four to a word (the eighth lane idle), so
/// that a field's level is counted by a subtraction or addition, a mask and a popcount per
/// word, with no division and no floating point: a lane's top bit (its guard, [`GUARD`]) is
/// left set by `lane − x` exactly when `lane − 0x8000 ≥ x` and set by `lane + x` exactly when
/// `x ≥ 0x8000 − lane`, every lane staying within its 16 bits.
pub(super) type Row = [u64; 2];

/// Each lane's top bit.
const GUARD: u64 = 0x8000_8000_8000_8000;
/// A number in every lane, by multiplication.
const LANES: u64 = 0x0001_0001_0001_0001;

/// Rows of [`Rows`] for sums of set-bit counts 0 to 2·[`MAX_POP`], and as many more (never
/// read): a power of two, so that a sum masked by `ROWS − 1` needs no bounds check.
const ROWS: usize = 4 * MAX_POP;

/// A table of [`ROWS`] rows.
type Table = Box<[Row; ROWS]>;

/// A table of zeros.
fn zeros() -> Table {
    vec![[0u64; 2]; ROWS].into_boxed_slice().try_into().expect("ROWS rows")
}

/// A row of [`Row`]s side by side: [`Rows::names`].
type Rows2 = Box<[[u64; 4]; ROWS]>;

/// The default settings' level thresholds ([`Shape::of`]).
#[derive(Clone, Debug)]
pub(super) struct Rows {
    /// By the sum `s` of two set-bit counts (0 to 2·[`MAX_POP`]): lane `i` is
    /// `0x8000 + ⌈t_i·s / 2000⌉ − 1` (`t_i` the thresholds [`DICE_MILLI`]; the idle lane
    /// 0x7fff), so `(lane − c) & GUARD` is set exactly when `c < ⌈t_i·s/2000⌉`, i.e. when `c`
    /// common bits fall short of Dice `t_i`: `2000·c < t_i·s`.
    dice: Table,
    /// For the diffused names (one distance table for both), by `s` as `dice`: `dice`'s row,
    /// then the row whose lane `i` is `0x7fff − D_i(s)`, `D_i(s)` the most differing bits at
    /// which the estimate still reaches Dice `t_i` (−1: none), so `(lane + d) & GUARD` is set
    /// exactly when `d` differing bits fall short (the idle lane 0): one row of 32 bytes read
    /// per comparison.
    names: Rows2,
}

impl Default for Rows {
    fn default() -> Rows {
        Rows { dice: zeros(), names: vec![[0u64; 4]; ROWS].into_boxed_slice().try_into().expect("ROWS rows") }
    }
}

/// [`Rows::dice`].
fn dice_rows() -> Table {
    let mut rows = zeros();
    for (s, row) in rows.iter_mut().enumerate().take(2 * MAX_POP + 1) {
        *row = {
            let s = s as u32;
            let mut lanes = [0x7fffu64; 8];
            for (lane, t) in lanes.iter_mut().zip(DICE_MILLI) {
                *lane = 0x8000 + (t * s).div_ceil(2000) as u64 - 1;
            }
            pack(lanes)
        };
    }
    rows
}

/// Eight lanes in a row, lane `i` at bits `16·(i mod 4)` of word `i / 4`.
fn pack(lanes: [u64; 8]) -> Row {
    let word = |l: &[u64]| l.iter().enumerate().fold(0u64, |w, (i, &x)| w | x << (16 * i));
    [word(&lanes[..4]), word(&lanes[4..])]
}

/// The bits in common, in thousandths, that [`Flat::estimate`] gives for `d` differing bits
/// (distance `t` from the table) and set-bit counts summing to `s`, before it is held to the
/// smaller count: `min(x, lo)` then ×1000 and truncation equals ×1000 and truncation then
/// `min(·, 1000·lo)`, since rounding is monotone and 1000·lo is exact in `f32`.
fn unclamped(s: u32, t: f32) -> u32 {
    (((s as f32 - t) / 2.0).max(0.0) * 1000.0) as i32 as u32
}

/// The second half of [`Rows::names`] for a diffused field's distance table of 513 entries (a 512-bit image),
/// or `None` when the estimate's level for some sum `s` would fall as more bits differ (the
/// thresholds could not say it; the general loop then compares).
fn near_rows(table: &[f32]) -> Option<Table> {
    if table.len() != 8 * 64 + 1 {
        return None;
    }
    let mut rows = zeros();
    for s in 0..=2 * MAX_POP as u32 {
        // D_i: the most differing bits with at most i thresholds missed.
        let mut most = [-1i64; 7];
        let mut before = 0;
        for (d, &t) in table.iter().enumerate() {
            let e = unclamped(s, t);
            let missed = DICE_MILLI.iter().filter(|&&m| u64::from(2 * e) < u64::from(m) * u64::from(s)).count();
            if missed < before {
                return None;
            }
            before = missed;
            for m in &mut most[missed..] {
                *m = d as i64;
            }
        }
        let mut lanes = [0u64; 8];
        for (lane, m) in lanes.iter_mut().zip(most) {
            *lane = (0x7fff - m) as u64;
        }
        rows[s as usize] = pack(lanes);
    }
    Some(rows)
}

/// Which compilation of the kernel runs. Only [`Kernel::available`] makes one, after
/// detecting the CPU features it needs; the calls that rely on that are in [`Flat::each`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Kernel(Variant);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Popcnt,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(all(target_arch = "x86_64", pprl_avx512))]
    Avx512,
}

impl Kernel {
    /// The kernels this CPU can run, slowest first: the portable one always.
    pub(super) fn available() -> Vec<Kernel> {
        let mut out = vec![Kernel(Variant::Portable)];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("popcnt") {
                out.push(Kernel(Variant::Popcnt));
                if std::arch::is_x86_feature_detected!("avx2") {
                    out.push(Kernel(Variant::Avx2));
                }
                #[cfg(pprl_avx512)]
                if std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                    && std::arch::is_x86_feature_detected!("avx512vpopcntdq")
                {
                    out.push(Kernel(Variant::Avx512));
                }
            }
        }
        out
    }

    /// The fastest kernel this CPU can run.
    pub(super) fn best() -> Kernel {
        *Kernel::available().last().expect("the portable kernel")
    }

    /// Its name: `portable`, `popcnt`, `avx2`, `avx512`.
    pub(super) fn name(self) -> &'static str {
        match self.0 {
            Variant::Portable => "portable",
            #[cfg(target_arch = "x86_64")]
            Variant::Popcnt => "popcnt",
            #[cfg(target_arch = "x86_64")]
            Variant::Avx2 => "avx2",
            #[cfg(all(target_arch = "x86_64", pprl_avx512))]
            Variant::Avx512 => "avx512",
        }
    }
}

/// Set bits of `x[i] & y[i]` (of `x[i] ^ y[i]` with `XOR`) over the words, in chunks of eight
/// words that the compiler turns into vectors where the CPU has a vector popcount.
///
/// The filter lengths of the default settings (1, 4, 8 and 16 words) are counted by code of
/// their own, with no loop: the others by the general loop.
#[inline(always)]
fn count<const XOR: bool>(x: &[u64], y: &[u64]) -> u32 {
    match (x.len(), y.len()) {
        (8, 8) => fixed::<XOR, 8>(x, y),
        (16, 16) => fixed::<XOR, 16>(x, y),
        (4, 4) => fixed::<XOR, 4>(x, y),
        (1, 1) => fixed::<XOR, 1>(x, y),
        _ => count_any::<XOR>(x, y),
    }
}

/// [`count`] of exactly `N` words.
#[inline(always)]
fn fixed<const XOR: bool, const N: usize>(x: &[u64], y: &[u64]) -> u32 {
    let (x, y): (&[u64; N], &[u64; N]) = (x.try_into().expect("N words"), y.try_into().expect("N words"));
    let mut acc = [0u64; N];
    for i in 0..N {
        acc[i] = u64::from(if XOR { x[i] ^ y[i] } else { x[i] & y[i] }.count_ones());
    }
    acc.iter().sum::<u64>() as u32
}

/// [`count`] of any number of words.
#[inline(always)]
fn count_any<const XOR: bool>(x: &[u64], y: &[u64]) -> u32 {
    let op = |p: u64, q: u64| if XOR { p ^ q } else { p & q };
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    let mut acc = [0u64; 8];
    for (p, q) in xc.zip(yc) {
        for i in 0..8 {
            acc[i] += u64::from(op(p[i], q[i]).count_ones());
        }
    }
    let mut n = acc.iter().sum::<u64>() as u32;
    for (p, q) in xr.iter().zip(yr) {
        n += op(*p, *q).count_ones();
    }
    n
}

/// The level of a similarity given as the fraction `num / (1000 · den)`: the first of
/// [`DICE_LEVELS`] it reaches, counted from 1, compared in integers. Found in a table by the
/// thousandths `⌊num / den⌋`, since for a whole threshold `t`, `num ≥ t · den` exactly when
/// `⌊num / den⌋ ≥ t`; at 1000 thousandths or more, the first level (a zero `den` passes every
/// threshold, as before).
#[inline(always)]
fn similarity_level(num: u32, den: u32) -> u64 {
    let q = num.checked_div(den).unwrap_or(u32::MAX).min(1000);
    u64::from(LEVEL_OF_MILLI[q as usize])
}

/// [`similarity_level`] by thousandths, 0 to 1000.
static LEVEL_OF_MILLI: [u8; 1001] = {
    let mut t = [0u8; 1001];
    let mut q = 0;
    while q <= 1000 {
        let mut level = 1;
        let mut i = 0;
        while i < DICE_MILLI.len() {
            if (q as u32) < DICE_MILLI[i] {
                level += 1;
            }
            i += 1;
        }
        t[q] = level;
        q += 1;
    }
    t
};

/// Whether `both` thousandths of a bit in common are at least 0.45 of `lo` set bits, as
/// `f64::from(both) / 1000.0 / f64::from(lo) >= 0.45` (the general loop's test) says, without
/// its two divisions: in integers, `both ≥ 450·lo`, except at equality, where the divisions'
/// rounding decides. Elsewhere the two agree: `both` is at most `1000·lo` (the estimate is
/// held to `lo`), so the quotient is at most 1 and differs from 0.45 by at least
/// 1/(1000·lo) ≥ 1/1,024,000, far more than two roundings (2⁻⁵²) and the literal's own.
#[inline(always)]
fn contained(both: u32, lo: u16) -> bool {
    let t = 450 * u32::from(lo);
    if both == t { f64::from(both) / 1000.0 / f64::from(lo) >= 0.45 } else { both > t }
}

impl Flat {
    /// Bits filters `x` (set-bit count `pa`) and `y` (`pb`) have in common, in thousandths:
    /// counted, or for a diffused field estimated ([`Flat::estimate`]) from the bits in which
    /// they differ.
    #[inline(always)]
    fn common_in(&self, cmp: &FieldCmp, x: &[u64], y: &[u64], pa: u16, pb: u16) -> u32 {
        if cmp.table.1 == 0 { count::<false>(x, y) * 1000 } else { self.estimate(cmp, count::<true>(x, y), pa, pb) }
    }

    /// The bits two diffused filters' Bloom filters have in common, in thousandths, estimated
    /// from their set-bit counts `pa`, `pb` and the count of bits in which the images differ,
    /// through the field's distance table.
    #[inline(always)]
    fn estimate(&self, cmp: &FieldCmp, differ: u32, pa: u16, pb: u16) -> u32 {
        let table = &self.tables[cmp.table.0..][..cmp.table.1];
        let (pa, pb) = (f32::from(pa), f32::from(pb));
        // As `.clamp(0.0, min) * 1000.0) as u32` before, in fewer instructions: the value is
        // finite (or NaN, which both make 0) and between 0 and 65,535,000, where they agree.
        (((pa + pb - table[differ as usize]) / 2.0).max(0.0).min(pa.min(pb)) * 1000.0) as i32 as u32
    }

    /// The Dice level of `c` common bits of two filters whose set-bit counts sum to `s`
    /// ([`Rows::dice`]); the default settings' shape only.
    #[inline(always)]
    fn counted_level(&self, c: u32, s: usize) -> u64 {
        let (r, x) = (&self.rows.dice[s & (ROWS - 1)], u64::from(c) * LANES);
        1 + u64::from(((r[0] - x) & GUARD).count_ones() + ((r[1] - x) & GUARD).count_ones())
    }

    /// The Dice level [`Flat::estimate`] gives two diffused names whose images differ in `d`
    /// bits, with set-bit counts summing to `s`, the smaller `lo` ([`Rows::names`]): a
    /// threshold is missed when the estimate falls short of it, or when `lo` bits in common
    /// (the most the estimate is allowed) would.
    #[inline(always)]
    fn diffused_level(&self, d: u32, s: usize, lo: u16) -> u64 {
        let (r, x, y) = (&self.rows.names[s & (ROWS - 1)], u64::from(lo) * LANES, u64::from(d) * LANES);
        1 + u64::from((((r[0] - x) | (r[2] + y)) & GUARD).count_ones() + (((r[1] - x) | (r[3] + y)) & GUARD).count_ones())
    }

    /// Field `F` of the pair (`ra`, `qa`: record a's filters and set-bit counts), at word
    /// `OFF` of a record, of `W` words, diffused when `DIFFUSED`, in the default settings'
    /// shape: its level OR-ed into `pat` when both records have it (the number compared is
    /// counted from `pat`). With `PARTIAL`, the field may be partial (an initial, a partial
    /// date); the others are not ([`Shape::of`]). With `BRANCHLESS`, a field often missing on
    /// one side of a pair is compared anyway (its missing filter is zeros) and its level
    /// dropped, rather than branched around at a price of a mispredicted branch.
    #[inline(always)]
    fn field_fixed<const F: usize, const OFF: usize, const W: usize, const DIFFUSED: bool, const PARTIAL: bool, const BRANCHLESS: bool>(
        &self,
        ra: &[u64; STRIDE],
        rb: &[u64; STRIDE],
        qa: &[u16; FIELDS],
        qb: &[u16; FIELDS],
        pat: &mut u64,
    ) {
        let (pa, pb) = (qa[F], qb[F]);
        let present = pa != 0 && pb != 0;
        if !BRANCHLESS && !present {
            return;
        }
        let x: &[u64; W] = ra[OFF..OFF + W].try_into().expect("W words");
        let y: &[u64; W] = rb[OFF..OFF + W].try_into().expect("W words");
        let (lo, hi) = (pa.min(pb), pa.max(pb));
        let s = usize::from(pa) + usize::from(pb);
        let counted = fixed::<DIFFUSED, W>(x, y);
        let mut l = if DIFFUSED { self.diffused_level(counted, s, lo) } else { self.counted_level(counted, s) };
        // An initial against a forename, or a partial date of birth: as in `field_any` (a
        // missing filter, `lo` 0, is never partial).
        if PARTIAL {
            let partial = self.cmp[F].partial;
            if lo.wrapping_sub(1) < partial.0.saturating_sub(1) && hi >= partial.1 {
                let both = if DIFFUSED { self.estimate(&self.cmp[F], counted, pa, pb) } else { counted * 1000 };
                l = if contained(both, lo) { INITIAL_AGREES } else { INITIAL_DIFFERS } as u64;
            }
        }
        if BRANCHLESS {
            l &= u64::from(present).wrapping_neg();
        }
        *pat |= l << (4 * F);
    }

    /// Field `f` of the pair, of any shape (read from the field): as [`Flat::field_fixed`].
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn field_any(&self, f: usize, ra: &[u64], rb: &[u64], qa: &[u16], qb: &[u16], pat: &mut u64, compared: &mut u32) {
        let (pa, pb) = (qa[f], qb[f]);
        if pa == 0 || pb == 0 {
            return;
        }
        let cmp = &self.cmp[f];
        *compared += 1;
        let (x, y) = (&ra[cmp.off..][..cmp.words], &rb[cmp.off..][..cmp.words]);
        let both = self.common_in(cmp, x, y, pa, pb);
        let (lo, hi) = (pa.min(pb), pa.max(pb));
        // Overlap: |A∩B| / min(|A|,|B|); Dice: 2|A∩B| / (|A|+|B|).
        let (num, den) = if cmp.overlap { (both, u32::from(lo)) } else { (both * 2, u32::from(pa) + u32::from(pb)) };
        let mut l = similarity_level(num, den);
        // An initial against a forename, or a partial date of birth (a year, a year and
        // month) against a full one: compared by containment, at levels of their own.
        if lo < cmp.partial.0 && hi >= cmp.partial.1 {
            let overlap = f64::from(both) / 1000.0 / f64::from(lo);
            l = if overlap >= 0.45 { INITIAL_AGREES } else { INITIAL_DIFFERS } as u64;
        }
        *pat |= l << (4 * f);
    }

    /// The pair's levels, 4 bits per field, and the number of fields compared: the kernel, to
    /// be inlined into each compilation of it. `SHAPE` is [`Shape`] as a number, chosen once
    /// per batch ([`Flat::each_in`]): 1 the default settings with diffused names, 2 with
    /// plain names, 0 any other (the general loop).
    #[inline(always)]
    fn pattern_in<const SHAPE: u8>(&self, a: usize, b: usize) -> (u64, u32) {
        let nf = self.cmp.len();
        let (ra, rb) = (&self.bits[a * self.stride..][..self.stride], &self.bits[b * self.stride..][..self.stride]);
        let (qa, qb) = (&self.pops[a * nf..][..nf], &self.pops[b * nf..][..nf]);
        let mut pat = 0u64;
        let mut compared = 0;
        // The shapes of the default settings' fields, with the names diffused or not: the
        // fields one after another, each with code of its own (no loop, no dispatch on its
        // shape, a branch of its own for "missing"); any other settings, the general loop.
        match SHAPE {
            1 | 2 => {
                // The default settings' fields at their places in a record: no bounds to check.
                let (ra, rb): (&[u64; STRIDE], &[u64; STRIDE]) = (ra.try_into().expect("stride"), rb.try_into().expect("stride"));
                let (qa, qb): (&[u16; FIELDS], &[u16; FIELDS]) = (qa.try_into().expect("fields"), qb.try_into().expect("fields"));
                let p = &mut pat;
                if SHAPE == 1 {
                    self.field_fixed::<0, 0, 8, true, true, false>(ra, rb, qa, qb, p);
                    self.field_fixed::<1, 8, 8, true, false, false>(ra, rb, qa, qb, p);
                } else {
                    self.field_fixed::<0, 0, 8, false, true, false>(ra, rb, qa, qb, p);
                    self.field_fixed::<1, 8, 8, false, false, false>(ra, rb, qa, qb, p);
                }
                self.field_fixed::<2, 16, 1, false, false, true>(ra, rb, qa, qb, p);
                self.field_fixed::<3, 17, 8, false, true, true>(ra, rb, qa, qb, p);
                self.field_fixed::<4, 25, 16, false, false, true>(ra, rb, qa, qb, p);
                self.field_fixed::<5, 41, 4, false, false, true>(ra, rb, qa, qb, p);
                self.field_fixed::<6, 45, 4, false, false, true>(ra, rb, qa, qb, p);
                self.field_fixed::<7, 49, 8, false, false, false>(ra, rb, qa, qb, p);
                self.field_fixed::<8, 57, 8, false, false, false>(ra, rb, qa, qb, p);
                self.field_fixed::<9, 65, 8, false, false, false>(ra, rb, qa, qb, p);
                // Every level of a field compared is 1 or more: the fields compared are the
                // nibbles not 0.
                let m = pat | pat >> 1;
                compared = ((m | m >> 2) & 0x1111_1111_1111_1111).count_ones();
            }
            _ => {
                for f in 0..nf {
                    self.field_any(f, ra, rb, qa, qb, &mut pat, &mut compared);
                }
            }
        }
        // A diffused forename far from the other's, in one nickname group with it (the keyed
        // group token agrees): a nickname, not another person ("Lou", "Louise").
        if let Some((fo, tokens)) = &self.nickname {
            let l = level(pat, *fo);
            if l > NICKNAME_LEVEL && l <= DICE_LEVELS.len() + 1 && Flat::nicknames(&tokens[a * NICK..][..NICK], &tokens[b * NICK..][..NICK])
            {
                pat = (pat & !(0xf << (4 * fo))) | (NICKNAME_LEVEL as u64) << (4 * fo);
            }
        }
        // Forename and surname swapped: when both crosswise comparisons beat the straight
        // ones, the pair is compared crosswise (as plaintext linkage does).
        match (SHAPE, self.swap) {
            (1, Some((0, 1))) => self.swap_fixed::<true>(ra, rb, qa, qb, &mut pat),
            (2, Some((0, 1))) => self.swap_fixed::<false>(ra, rb, qa, qb, &mut pat),
            (_, Some((fo, su))) => {
                let (s1, s2) = ((pat >> (4 * fo)) & 0xf, (pat >> (4 * su)) & 0xf);
                // Only worth a look when neither name agrees well as written.
                if s1 >= 4 && s2 >= 4 && qa[fo] > 0 && qb[su] > 0 && qa[su] > 0 && qb[fo] > 0 {
                    let (l1, l2) = match SHAPE {
                        1 => (self.cross_fixed::<true>(fo, su, ra, rb, qa, qb), self.cross_fixed::<true>(su, fo, ra, rb, qa, qb)),
                        2 => (self.cross_fixed::<false>(fo, su, ra, rb, qa, qb), self.cross_fixed::<false>(su, fo, ra, rb, qa, qb)),
                        _ => (self.cross_in(fo, su, ra, rb, qa, qb), self.cross_in(su, fo, ra, rb, qa, qb)),
                    };
                    if l1 + l2 < s1 + s2 {
                        pat &= !((0xf << (4 * fo)) | (0xf << (4 * su)));
                        pat |= (l1 << (4 * fo)) | (l2 << (4 * su));
                    }
                }
            }
            (_, None) => {}
        }
        (pat, compared)
    }

    /// The crosswise comparison of [`Flat::pattern_in`] for the default settings' shape with
    /// the forename and surname its fields 0 and 1 (at words 0 and 8): at their places, no
    /// bounds to check. Levels of 4 or more for both names say both records have both (a
    /// field either lacks is at level 0), so the set-bit counts need no look.
    #[inline(always)]
    fn swap_fixed<const DIFFUSED: bool>(&self, ra: &[u64], rb: &[u64], qa: &[u16], qb: &[u16], pat: &mut u64) {
        let (s1, s2) = (*pat & 0xf, (*pat >> 4) & 0xf);
        if s1 < 4 || s2 < 4 {
            return;
        }
        let (ra, rb): (&[u64; STRIDE], &[u64; STRIDE]) = (ra.try_into().expect("stride"), rb.try_into().expect("stride"));
        let (qa, qb): (&[u16; FIELDS], &[u16; FIELDS]) = (qa.try_into().expect("fields"), qb.try_into().expect("fields"));
        let l1 = self.cross_at::<DIFFUSED, 0, 8>(ra, rb, qa[0], qb[1]);
        let l2 = self.cross_at::<DIFFUSED, 8, 0>(ra, rb, qa[1], qb[0]);
        if l1 + l2 < s1 + s2 {
            *pat = (*pat & !0xff) | l1 | l2 << 4;
        }
    }

    /// The Dice level of record a's 8 words at `OA` (set-bit count `pa`) against record b's
    /// at `OB` (`pb`), for [`Flat::swap_fixed`]. A
    /// method, not a closure (see [`Flat::cross_in`]).
    #[inline(always)]
    fn cross_at<const DIFFUSED: bool, const OA: usize, const OB: usize>(
        &self,
        ra: &[u64; STRIDE],
        rb: &[u64; STRIDE],
        pa: u16,
        pb: u16,
    ) -> u64 {
        let x: &[u64; 8] = ra[OA..OA + 8].try_into().expect("8 words");
        let y: &[u64; 8] = rb[OB..OB + 8].try_into().expect("8 words");
        let counted = fixed::<DIFFUSED, 8>(x, y);
        let s = usize::from(pa) + usize::from(pb);
        if DIFFUSED { self.diffused_level(counted, s, pa.min(pb)) } else { self.counted_level(counted, s) }
    }

    /// The Dice level of record a's field `f` against record b's field `g` (`ra`, `qa`: a's
    /// filters and set-bit counts), with f's comparison. A method, not a closure: a closure
    /// would be compiled once, without the CPU features of the kernel that calls it.
    #[inline(always)]
    fn cross_in(&self, f: usize, g: usize, ra: &[u64], rb: &[u64], qa: &[u16], qb: &[u16]) -> u64 {
        let (cf, cg) = (&self.cmp[f], &self.cmp[g]);
        let common = self.common_in(cf, &ra[cf.off..][..cf.words], &rb[cg.off..][..cg.words], qa[f], qb[g]);
        similarity_level(common * 2, u32::from(qa[f]) + u32::from(qb[g]))
    }

    /// [`Flat::cross_in`] of the default settings' names (8 words, diffused when `DIFFUSED`).
    #[inline(always)]
    fn cross_fixed<const DIFFUSED: bool>(&self, f: usize, g: usize, ra: &[u64], rb: &[u64], qa: &[u16], qb: &[u16]) -> u64 {
        let (cf, cg) = (&self.cmp[f], &self.cmp[g]);
        let counted = fixed::<DIFFUSED, 8>(&ra[cf.off..][..8], &rb[cg.off..][..8]);
        let s = usize::from(qa[f]) + usize::from(qb[g]);
        if DIFFUSED { self.diffused_level(counted, s, qa[f].min(qb[g])) } else { self.counted_level(counted, s) }
    }

    /// [`Flat::pattern_in`] for each pair, in order, handing each result to `out`.
    #[inline(always)]
    fn each_in(&self, pairs: impl Iterator<Item = (usize, usize)>, mut out: impl FnMut((u64, u32))) {
        // Loops, not closures: a closure might be compiled without the kernel's CPU features.
        match self.shape {
            Shape::Default { names_diffused: true } => {
                for (a, b) in pairs {
                    out(self.pattern_in::<1>(a, b));
                }
            }
            Shape::Default { names_diffused: false } => {
                for (a, b) in pairs {
                    out(self.pattern_in::<2>(a, b));
                }
            }
            Shape::Other => {
                for (a, b) in pairs {
                    out(self.pattern_in::<0>(a, b));
                }
            }
        }
    }

    /// [`Flat::each_in`] compiled with the CPU features popcnt.
    ///
    /// # Safety
    ///
    /// The CPU must have those features.
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    #[target_feature(enable = "popcnt")]
    unsafe fn each_popcnt(&self, pairs: impl Iterator<Item = (usize, usize)>, out: impl FnMut((u64, u32))) {
        self.each_in(pairs, out);
    }

    /// [`Flat::each_in`] compiled with the CPU features popcnt, avx2.
    ///
    /// # Safety
    ///
    /// The CPU must have those features.
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    #[target_feature(enable = "popcnt,avx2")]
    unsafe fn each_avx2(&self, pairs: impl Iterator<Item = (usize, usize)>, out: impl FnMut((u64, u32))) {
        self.each_in(pairs, out);
    }

    /// [`Flat::each_in`] compiled with the CPU features popcnt, avx2, avx512f, avx512vl, avx512vpopcntdq.
    ///
    /// # Safety
    ///
    /// The CPU must have those features.
    #[cfg(all(target_arch = "x86_64", pprl_avx512))]
    #[allow(unsafe_code)]
    #[target_feature(enable = "popcnt,avx2,avx512f,avx512vl,avx512vpopcntdq")]
    unsafe fn each_avx512(&self, pairs: impl Iterator<Item = (usize, usize)>, out: impl FnMut((u64, u32))) {
        self.each_in(pairs, out);
    }

    /// Each pair's levels (4 bits per field) and number of fields compared, in order, handed
    /// to `out`; with the kernel [`Flat::kernel`], chosen once for the whole batch.
    #[allow(unsafe_code)]
    pub(super) fn each(&self, pairs: impl Iterator<Item = (usize, usize)>, out: impl FnMut((u64, u32))) {
        match self.kernel.0 {
            Variant::Portable => self.each_in(pairs, out),
            // SAFETY: a `Kernel` of this variant is made only by `Kernel::available`, after
            // `is_x86_feature_detected!("popcnt")` found the feature `each_popcnt` enables.
            #[cfg(target_arch = "x86_64")]
            Variant::Popcnt => unsafe { self.each_popcnt(pairs, out) },
            // SAFETY: made only by `Kernel::available`, after `is_x86_feature_detected!` found
            // popcnt and avx2, the features `each_avx2` enables.
            #[cfg(target_arch = "x86_64")]
            Variant::Avx2 => unsafe { self.each_avx2(pairs, out) },
            // SAFETY: made only by `Kernel::available`, after `is_x86_feature_detected!` found
            // popcnt, avx512f, avx512vl and avx512vpopcntdq; and, implied by avx512f on every
            // CPU and checked by the detection too, avx2: the features `each_avx512` enables.
            #[cfg(all(target_arch = "x86_64", pprl_avx512))]
            Variant::Avx512 => unsafe { self.each_avx512(pairs, out) },
        }
    }

    /// One pair's levels and number of fields compared ([`Flat::each`]).
    pub(super) fn pattern(&self, a: usize, b: usize) -> (u64, u32) {
        let mut r = (0, 0);
        self.each(std::iter::once((a, b)), |p| r = p);
        r
    }

    /// Whether two records' nickname tokens ([`Flat::nickname`]) say their forenames are one
    /// nickname group, or one a short form of the other.
    #[inline(always)]
    /// Every test is made, none skipped by a branch (a branch on the other record's
    /// tokens, one pair to the next, is hard to predict).
    pub(super) fn nicknames(x: &[u64], y: &[u64]) -> bool {
        let (x, y): (&[u64; NICK], &[u64; NICK]) = (x.try_into().expect("NICK tokens"), y.try_into().expect("NICK tokens"));
        let short = |w: u64, p: &[u64; NICK]| (w != 0) & ((w == p[2]) | (w == p[3]) | (w == p[4]));
        ((x[0] != 0) & (x[0] == y[0])) | short(x[1], y) | short(y[1], x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The level as it was found before (commit 90ddfae).
    fn level_before(num: u32, den: u32) -> usize {
        DICE_MILLI.iter().position(|&t| num >= t * den).unwrap_or(DICE_MILLI.len()) + 1
    }
    use conduct_resolve::model::SplitMix;

    /// [`Flat::nicknames`] as it was (with branches).
    fn nicknames_before(x: &[u64], y: &[u64]) -> bool {
        let short = |w: u64, p: &[u64]| w != 0 && p[2..].contains(&w);
        (x[0] != 0 && x[0] == y[0]) || short(x[1], y) || short(y[1], x)
    }

    /// What the kernel before the compiled variants (commit 90ddfae) read beside the filters,
    /// made as it made them.
    struct Before {
        words: Vec<usize>,
        offset: Vec<usize>,
        distance: Vec<Option<Vec<f32>>>,
        overlap: Vec<bool>,
        initials: Option<usize>,
        initial_bits: u16,
        dob: Option<usize>,
        partial_dob_bits: u16,
    }

    impl Before {
        fn new(settings: &crate::Settings) -> Before {
            let fields = &settings.fields;
            let words: Vec<usize> = fields.iter().map(crate::encode::FieldSpec::compared_words).collect();
            let offset = words
                .iter()
                .scan(0, |o, w| {
                    let x = *o;
                    *o += w;
                    Some(x)
                })
                .collect();
            let at = |n: &str| fields.iter().position(|f| f.name == n);
            let (initials, dob) = (at("forename"), at("dob"));
            Before {
                words,
                offset,
                distance: fields
                    .iter()
                    .map(|f| (f.diffusion > 0).then(|| crate::encode::distance_table(f.bits, f.diffusion, f.compared_bits()).0))
                    .collect(),
                overlap: fields.iter().map(|f| f.measure == crate::encode::Measure::Overlap).collect(),
                initials,
                initial_bits: initials.map_or(0, |f| (3 * fields[f].k) as u16),
                dob,
                partial_dob_bits: dob.map_or(0, |f| (6 * fields[f].k) as u16),
            }
        }

        /// The kernel as it was, kept to pin that every compilation gives the same levels.
        fn pattern(&self, flat: &Flat, a: usize, b: usize) -> (u64, u32) {
            let filter = |f: usize, a: usize| &flat.bits[a * flat.stride + self.offset[f]..][..self.words[f]];
            let common = |f: usize, g: usize, a: usize, b: usize| -> u32 {
                let (x, y) = (filter(f, a), filter(g, b));
                match &self.distance[f] {
                    None => x.iter().zip(y).map(|(p, q)| (p & q).count_ones()).sum::<u32>() * 1000,
                    Some(table) => {
                        let differ: u32 = x.iter().zip(y).map(|(p, q)| (p ^ q).count_ones()).sum();
                        let (pa, pb) = (f32::from(flat.pop(f, a)), f32::from(flat.pop(g, b)));
                        (((pa + pb - table[differ as usize]) / 2.0).clamp(0.0, pa.min(pb)) * 1000.0) as u32
                    }
                }
            };
            let dice_level = |f: usize, g: usize, a: usize, b: usize| -> u64 {
                let (pa, pb) = (flat.pop(f, a), flat.pop(g, b));
                level_before(common(f, g, a, b) * 2, u32::from(pa) + u32::from(pb)) as u64
            };
            let mut pat = 0u64;
            let mut compared = 0;
            for f in 0..self.words.len() {
                let (pa, pb) = (flat.pop(f, a), flat.pop(f, b));
                if pa == 0 || pb == 0 {
                    continue;
                }
                compared += 1;
                let both = common(f, f, a, b);
                let (num, den) = if self.overlap[f] { (both, u32::from(pa.min(pb))) } else { (both * 2, u32::from(pa) + u32::from(pb)) };
                let mut level = level_before(num, den);
                let partial = (Some(f) == self.initials && pa.min(pb) < self.initial_bits)
                    || (Some(f) == self.dob && pa.min(pb) < self.partial_dob_bits && pa.max(pb) >= self.partial_dob_bits);
                if partial {
                    let overlap = f64::from(both) / 1000.0 / f64::from(pa.min(pb));
                    level = if overlap >= 0.45 { INITIAL_AGREES } else { INITIAL_DIFFERS };
                }
                pat |= (level as u64) << (4 * f);
            }
            if let Some((fo, tokens)) = &flat.nickname {
                let l = super::level(pat, *fo);
                if l > NICKNAME_LEVEL
                    && l <= DICE_LEVELS.len() + 1
                    && nicknames_before(&tokens[a * NICK..][..NICK], &tokens[b * NICK..][..NICK])
                {
                    pat = (pat & !(0xf << (4 * fo))) | (NICKNAME_LEVEL as u64) << (4 * fo);
                }
            }
            if let Some((fo, su)) = flat.swap {
                let ok = |x: usize, y: usize| flat.pop(x, a) > 0 && flat.pop(y, b) > 0;
                let poor = ((pat >> (4 * fo)) & 0xf) >= 4 && ((pat >> (4 * su)) & 0xf) >= 4;
                if poor && ok(fo, su) && ok(su, fo) {
                    let (l1, l2) = (dice_level(fo, su, a, b), dice_level(su, fo, a, b));
                    let (s1, s2) = ((pat >> (4 * fo)) & 0xf, (pat >> (4 * su)) & 0xf);
                    if l1 + l2 < s1 + s2 {
                        pat &= !((0xf << (4 * fo)) | (0xf << (4 * su)));
                        pat |= (l1 << (4 * fo)) | (l2 << (4 * su));
                    }
                }
            }
            (pat, compared)
        }
    }

    #[test]
    fn the_level_table_gives_the_first_threshold_reached() {
        let mut rng = SplitMix::from_state(7);
        for _ in 0..200_000 {
            let den = (rng.next_u64() % 2048) as u32;
            let num = (rng.next_u64() % (2001 * u64::from(den.max(1)))) as u32;
            assert_eq!(similarity_level(num, den), level_before(num, den) as u64, "{num}/{den}");
        }
    }

    /// The containment test in integers agrees with the divisions, at and about every
    /// equality and at random.
    #[test]
    fn containment_in_integers_is_the_division() {
        let before = |both: u32, lo: u16| f64::from(both) / 1000.0 / f64::from(lo) >= 0.45;
        let mut rng = SplitMix::from_state(11);
        for lo in 1..=MAX_POP as u16 {
            let t = 450 * u32::from(lo);
            for both in (t - 3..=t + 3).chain((0..20).map(|_| (rng.next_u64() % (1000 * u64::from(lo) + 1)) as u32)) {
                assert_eq!(contained(both, lo), before(both, lo), "{both} of {lo}");
            }
        }
    }

    /// The packed thresholds give the level the estimate and the division gave, for every
    /// sum of set-bit counts the rows have, every count of differing (common) bits and, for
    /// the diffused names, smaller counts at both ends and at random between.
    #[test]
    fn the_rows_give_the_levels_of_the_division() {
        let (flat, _) = random_flat(crate::Hardening::Default, 2, 1);
        assert_eq!(flat.shape, Shape::Default { names_diffused: true });
        let mut rng = SplitMix::from_state(5);
        for s in 2..=2 * MAX_POP as u32 {
            for c in 0..=s / 2 {
                assert_eq!(flat.counted_level(c, s as usize), similarity_level(c * 2000, s), "{c} of {s}");
            }
            let (least, most) = (s.saturating_sub(MAX_POP as u32).max(1), s / 2);
            for f in [0, 1] {
                let cmp = &flat.cmp[f];
                for d in 0..=512 {
                    for lo in [least, most, least + (rng.next_u64() % u64::from(most - least + 1)) as u32] {
                        let (pa, pb) = (lo as u16, (s - lo) as u16);
                        let before = similarity_level(flat.estimate(cmp, d, pa, pb) * 2, s);
                        assert_eq!(flat.diffused_level(d, s as usize, pa), before, "field {f}: {d} differing, {pa} and {pb}");
                        assert_eq!(flat.diffused_level(d, s as usize, pa.min(pb)), before);
                    }
                }
            }
        }
    }

    /// Records whose filters are random, with the set-bit density of each field varied from
    /// empty to full, and often one record's filter a near copy of another's (so that every
    /// level, initials, partial dates, nicknames and swapped names occur).
    fn random_flat(hardening: crate::Hardening, n: usize, seed: u64) -> (Flat, Before) {
        let secret = crate::Secret::from_bytes(b"0123456789abcdef0123".to_vec()).unwrap();
        let settings = crate::Encoder::new(hardening, &secret, None, "Kent").settings().clone();
        let mut rng = SplitMix::from_state(seed);
        let mut records: Vec<crate::encode::EncodedRecord> = Vec::with_capacity(n);
        for i in 0..n {
            let like = (i > 0 && rng.next_u64() % 2 == 0).then(|| records[(rng.next_u64() % i as u64) as usize].clone());
            let mut filters = Vec::with_capacity(settings.fields.len());
            for (f, spec) in settings.fields.iter().enumerate() {
                let words = spec.stored_words();
                let missing = rng.next_u64() % 6 == 0;
                let filter = if missing {
                    None
                } else if let Some(Some(x)) = like.as_ref().map(|r| r.filters[f].clone()) {
                    // A near copy: a few bits flipped.
                    let mut x = x;
                    for _ in 0..rng.next_u64() % 12 {
                        let bit = rng.next_u64() % (spec.compared_words() as u64 * 64);
                        x[(bit / 64) as usize] ^= 1 << (bit % 64);
                    }
                    Some(x)
                } else {
                    let density = rng.next_u64() % 65;
                    let mut x: Vec<u64> =
                        (0..words).map(|_| (0..64).fold(0u64, |w, k| w | u64::from(rng.next_u64() % 64 < density) << k)).collect();
                    if spec.diffusion > 0 {
                        // The Bloom filter's set-bit count, sent beside the diffused image:
                        // sometimes small (an initial).
                        x[spec.compared_words()] = rng.next_u64() % u64::from(spec.bits / 2);
                    }
                    Some(x)
                };
                filters.push(filter);
            }
            // Nickname and short-form tokens from a small alphabet, so that they often agree.
            let blocks: Vec<u64> = (0..settings.blocking_rules.len()).map(|_| rng.next_u64() % 4).collect();
            records.push(crate::encode::EncodedRecord { pseudonym: format!("r{i}"), filters, blocks });
        }
        let enc = crate::Encodings { path: "random.parquet".into(), force: "Kent".into(), settings, records, reports: Vec::new() };
        (Flat::new(std::slice::from_ref(&enc)), Before::new(&enc.settings))
    }

    #[test]
    fn every_kernel_gives_the_levels_of_the_kernel_before() {
        let kernels = Kernel::available();
        eprintln!("kernels on this CPU: {:?}", kernels.iter().map(|k| k.name()).collect::<Vec<_>>());
        for (hardening, seed) in [(crate::Hardening::Default, 1), (crate::Hardening::Flips, 2), (crate::Hardening::None, 3)] {
            let (mut flat, old) = random_flat(hardening, 300, seed);
            let n = flat.party.len();
            let pairs: Vec<(usize, usize)> = (0..n).flat_map(|a| (0..n).map(move |b| (a, b))).collect();
            let before: Vec<(u64, u32)> = pairs.iter().map(|&(a, b)| old.pattern(&flat, a, b)).collect();
            let mut levels = std::collections::HashSet::new();
            for &(p, _) in &before {
                for f in 0..flat.cmp.len() {
                    levels.insert(level(p, f));
                }
            }
            // The random records reach every level, so each branch of the kernel is compared.
            assert_eq!(levels.len(), super::super::LEVELS, "{hardening:?}: levels reached {levels:?}");
            // Each compilation, with the default settings' own code and with the general loop.
            let shapes = [flat.shape, Shape::Other];
            assert!(matches!(shapes[0], Shape::Default { .. }), "{hardening:?}: {:?}", shapes[0]);
            for (&k, &shape) in kernels.iter().flat_map(|k| shapes.iter().map(move |s| (k, s))) {
                flat.kernel = k;
                flat.shape = shape;
                let mut now = Vec::with_capacity(pairs.len());
                flat.each(pairs.iter().copied(), |r| now.push(r));
                for (i, (x, y)) in now.iter().zip(&before).enumerate() {
                    assert_eq!(x, y, "{hardening:?}, kernel {} ({shape:?}): pair {:?}", k.name(), pairs[i]);
                }
                assert_eq!(now.len(), before.len());
                assert_eq!(flat.pattern(3, 7), before[3 * n + 7]);
            }
        }
    }
}
