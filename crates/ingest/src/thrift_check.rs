//! A bounded walk over the Thrift structures of a Parquet file (its footer and its page
//! headers), made before the parquet crate reads them.
//!
//! The crate skips the fields it does not know one declared element at a time, and it takes a
//! boolean inside a list to occupy no bytes at all. So a few bytes declaring a list of two
//! billion booleans, or a thousand such lists in a list, cost it billions of empty steps: a
//! small hostile file would hold the import for hours. This walk reads the same bytes by the
//! Thrift compact protocol's own rules and refuses, before the crate starts, a structure that
//! declares more elements than bytes remain, that nests deeper than the crate would skip, or
//! that holds a list of booleans (no Parquet footer or page header has one). Past that check
//! every element the crate skips costs it at least one byte of the file, so its work is
//! bounded by the file's size.
//!
//! It decides nothing about the file's content: a structure that passes is read by the crate,
//! which reports its own errors.

use std::io::Read;

/// How deep structures may nest: the depth to which the parquet crate skips.
const MAX_DEPTH: u8 = 64;

/// "1 byte", "46 bytes".
fn bytes(n: u64) -> String {
    if n == 1 { "1 byte".into() } else { format!("{n} bytes") }
}

/// A walk over Thrift compact-protocol bytes with a budget: the bytes the structure may take.
struct Walk<R> {
    r: R,
    left: u64,
}

/// Why a structure was refused, in words for the person who gave the file.
type Why = String;

impl<R: Read> Walk<R> {
    fn byte(&mut self) -> Result<u8, Why> {
        if self.left == 0 {
            return Err("it runs past the bytes it is given".into());
        }
        let mut b = [0u8; 1];
        self.r.read_exact(&mut b).map_err(|_| "the file ends inside it".to_string())?;
        self.left -= 1;
        Ok(b[0])
    }

    fn varint(&mut self) -> Result<u64, Why> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("a number in it runs past ten bytes".into())
    }

    fn zigzag(&mut self) -> Result<i64, Why> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn skip(&mut self, n: u64) -> Result<(), Why> {
        if n > self.left {
            return Err(format!("a value declares {n} bytes where {} remain", bytes(self.left)));
        }
        let copied = std::io::copy(&mut (&mut self.r).take(n), &mut std::io::sink()).map_err(|e| e.to_string())?;
        if copied != n {
            return Err("the file ends inside it".into());
        }
        self.left -= n;
        Ok(())
    }

    /// Checks a declared count of elements against what remains: each element of a list, set or
    /// map takes at least one byte.
    fn count(&mut self, n: u64, element_type: u8) -> Result<(), Why> {
        if n > self.left {
            return Err(format!("a list declares {n} elements where {} remain", bytes(self.left)));
        }
        if n > 0 && matches!(element_type, 1 | 2) {
            return Err(format!("it holds a list of {n} booleans, which no Parquet footer or page header has"));
        }
        Ok(())
    }

    /// Walks one value of compact-protocol type `ty`.
    fn value(&mut self, ty: u8, depth: u8) -> Result<(), Why> {
        if depth == 0 {
            return Err(format!("it nests more than {MAX_DEPTH} structures deep"));
        }
        match ty {
            // A boolean field carries its value in its type.
            1 | 2 => Ok(()),
            3 => self.skip(1),
            4..=6 => self.varint().map(|_| ()),
            7 => self.skip(8),
            8 => {
                let n = self.varint()?;
                self.skip(n)
            }
            9 | 10 => {
                let head = self.byte()?;
                let element = head & 0x0f;
                let n = match head >> 4 {
                    15 => self.varint()?,
                    n => u64::from(n),
                };
                self.count(n, element)?;
                for _ in 0..n {
                    self.value(element, depth - 1)?;
                }
                Ok(())
            }
            11 => {
                let n = self.varint()?;
                if n == 0 {
                    return Ok(());
                }
                let kv = self.byte()?;
                let (k, v) = (kv >> 4, kv & 0x0f);
                self.count(n.saturating_mul(2), k)?;
                self.count(n, v)?;
                for _ in 0..n {
                    self.value(k, depth - 1)?;
                    self.value(v, depth - 1)?;
                }
                Ok(())
            }
            12 => self.fields(depth - 1, &mut []),
            13 => self.skip(16),
            other => Err(format!("it holds a value of unknown type {other}")),
        }
    }

    /// Walks a struct's fields up to its stop byte, noting the values of the integer fields
    /// named in `want`.
    fn fields(&mut self, depth: u8, want: &mut [(i16, Option<i64>)]) -> Result<(), Why> {
        if depth == 0 {
            return Err(format!("it nests more than {MAX_DEPTH} structures deep"));
        }
        let mut last = 0i16;
        loop {
            let head = self.byte()?;
            if head == 0 {
                return Ok(());
            }
            let ty = head & 0x0f;
            let id = match head >> 4 {
                0 => i16::try_from(self.zigzag()?).map_err(|_| "a field number is out of range".to_string())?,
                delta => last.wrapping_add(i16::from(delta)),
            };
            last = id;
            match want.iter_mut().find(|(w, _)| *w == id) {
                Some((_, slot)) if matches!(ty, 4..=6) => *slot = Some(self.zigzag()?),
                _ => self.value(ty, depth)?,
            }
        }
    }
}

/// Walks the struct at the front of `r`, which may take at most `limit` bytes; returns the
/// bytes it took, noting the integer fields named in `want`.
fn walk_struct(r: impl Read, limit: u64, want: &mut [(i16, Option<i64>)]) -> Result<u64, Why> {
    let mut w = Walk { r, left: limit };
    w.fields(MAX_DEPTH, want)?;
    Ok(limit - w.left)
}

/// Checks a Parquet file's footer (its `FileMetaData`). A file too short to have one, or whose
/// footer is not plain Parquet, is left to the crate to refuse.
pub(crate) fn check_footer(file: &std::fs::File, size: u64) -> Result<(), Why> {
    use std::io::{Seek, SeekFrom};
    if size < 12 {
        return Ok(());
    }
    let mut f = file;
    f.seek(SeekFrom::Start(size - 8)).map_err(|e| e.to_string())?;
    let mut tail = [0u8; 8];
    f.read_exact(&mut tail).map_err(|e| e.to_string())?;
    if &tail[4..] != b"PAR1" {
        return Ok(());
    }
    let len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if len > size - 8 {
        return Ok(());
    }
    f.seek(SeekFrom::Start(size - 8 - len)).map_err(|e| e.to_string())?;
    walk_struct(std::io::BufReader::new(f), len, &mut []).map(|_| ()).map_err(|why| format!("the footer is damaged: {why}"))
}

/// The page headers of one column chunk, checked one page ahead of the parquet crate: call
/// [`PageWalk::next`] before each of the crate's `get_next_page`. It steps from page to page as
/// the crate does (a page's header, then its `compressed_page_size` bytes), and checks the
/// index pages the crate passes over on its way to the next page too.
pub(crate) struct PageWalk<'f> {
    file: &'f std::fs::File,
    pos: u64,
    end: u64,
    pages: u64,
}

impl<'f> PageWalk<'f> {
    /// The chunk of `len` bytes from `start`, which the caller has checked lies in the file.
    pub(crate) fn new(file: &'f std::fs::File, start: u64, len: u64) -> PageWalk<'f> {
        PageWalk { file, pos: start, end: start.saturating_add(len), pages: 0 }
    }

    /// Checks the headers the crate reads for its next page. Where a header gives the page no
    /// size, or one running past the chunk, the walk ends: the crate refuses that page itself
    /// before reading past it.
    pub(crate) fn next(&mut self) -> Result<(), Why> {
        use std::io::{Seek, SeekFrom};
        /// PageHeader's fields: the page's type, and its size after the header.
        const TYPE: i16 = 1;
        const COMPRESSED_PAGE_SIZE: i16 = 3;
        /// The page type the crate passes over without returning it.
        const INDEX_PAGE: i64 = 1;
        while self.pos < self.end {
            let mut f = self.file;
            f.seek(SeekFrom::Start(self.pos)).map_err(|e| e.to_string())?;
            let mut want = [(TYPE, None), (COMPRESSED_PAGE_SIZE, None)];
            let took = walk_struct(std::io::BufReader::with_capacity(1024, f), self.end - self.pos, &mut want)
                .map_err(|why| format!("the header of page {} at byte {} is damaged: {why}", self.pages + 1, self.pos))?;
            self.pages += 1;
            let [(_, kind), (_, size)] = want;
            match size.and_then(|s| u64::try_from(s).ok()) {
                Some(size) if size <= self.end - self.pos - took => self.pos += took + size,
                _ => self.pos = self.end,
            }
            if kind != Some(INDEX_PAGE) {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(bytes: &[u8]) -> Result<(u64, Option<i64>), Why> {
        let mut want = [(3, None)];
        walk_struct(bytes, bytes.len() as u64, &mut want).map(|took| (took, want[0].1))
    }

    #[test]
    fn a_plain_struct_is_walked_to_its_stop_byte_and_its_field_is_found() {
        // field 1 i32 = 0 (zigzag 0), field 2 i32, field 3 i32 = 7 (zigzag 14), binary "ab", stop
        let bytes = [0x15, 0x00, 0x15, 0x04, 0x15, 0x0e, 0x18, 0x02, b'a', b'b', 0x00, 0xff];
        assert_eq!(walk(&bytes), Ok((11, Some(7))));
    }

    #[test]
    fn a_list_of_two_billion_booleans_is_refused() {
        // field 100 (long form) list<bool> of 2^31 - 1, then stop
        let bytes = [0x09, 0xc8, 0x01, 0xf2, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00];
        assert!(walk(&bytes).unwrap_err().contains("elements where"), "{:?}", walk(&bytes));
        // and a short one is refused for what it is
        let bytes = [0x19, 0x22, 0x01, 0x01, 0x00];
        assert!(walk(&bytes).unwrap_err().contains("booleans"));
    }

    #[test]
    fn a_list_of_doubles_past_the_end_is_refused() {
        let bytes = [0x19, 0xf7, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00];
        assert!(walk(&bytes).unwrap_err().contains("elements where"));
        // three doubles declared, one present
        let bytes = [0x19, 0x37, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(walk(&bytes[..12]).is_err());
    }

    #[test]
    fn nesting_past_the_crates_depth_is_refused() {
        // field 1 struct, 70 deep
        let mut bytes = vec![0x1c; 70];
        bytes.extend(vec![0x00; 71]);
        assert!(walk(&bytes).unwrap_err().contains("deep"));
    }

    #[test]
    fn a_binary_longer_than_what_remains_is_refused() {
        let bytes = [0x18, 0xff, 0xff, 0x03, b'a', 0x00];
        assert!(walk(&bytes).unwrap_err().contains("declares"));
    }

    proptest::proptest! {
        /// Whatever the bytes, the walk ends, and never takes more bytes than it is given.
        #[test]
        fn any_bytes_are_walked_within_their_length(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            if let Ok((took, _)) = walk(&bytes) {
                proptest::prop_assert!(took <= bytes.len() as u64);
            }
        }
    }
}
