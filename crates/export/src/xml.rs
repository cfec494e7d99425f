//! What the two XML writers share: a file opened for writing, text made fit for XML, and
//! elements written through `quick-xml` (which escapes attribute values and text).

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::{Error, ErrorKind};

/// An XML document being written, counting the characters XML cannot carry that it replaced.
pub(crate) struct Doc<W: Write> {
    writer: Writer<W>,
    pub(crate) replaced: u64,
}

/// Whether XML 1.0 can carry `c` at all (escaped or not): tab, line feed, carriage return and
/// every character from space up, but for U+FFFE and U+FFFF.
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

impl<W: Write> Doc<W> {
    /// A document written to `out`, indented by two spaces, with its XML declaration.
    pub(crate) fn new(out: W) -> std::io::Result<Doc<W>> {
        let mut writer = Writer::new_with_indent(out, b' ', 2);
        writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        Ok(Doc { writer, replaced: 0 })
    }

    /// `s` with every character XML cannot carry replaced with U+FFFD (and counted).
    pub(crate) fn clean<'a>(&mut self, s: &'a str) -> Cow<'a, str> {
        if s.chars().all(allowed) {
            return Cow::Borrowed(s);
        }
        Cow::Owned(
            s.chars()
                .map(|c| {
                    if allowed(c) {
                        c
                    } else {
                        self.replaced += 1;
                        '\u{FFFD}'
                    }
                })
                .collect(),
        )
    }

    fn start_of(&mut self, name: &str, attrs: &[(&str, &str)]) -> BytesStart<'static> {
        let mut e = BytesStart::new(name.to_string());
        for &(k, v) in attrs {
            let v = self.clean(v).into_owned();
            e.push_attribute((k, v.as_str()));
        }
        e
    }

    /// `<name attrs…>`: an element left open until [`Doc::close`].
    pub(crate) fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
        let e = self.start_of(name, attrs);
        self.writer.write_event(Event::Start(e))
    }

    /// `<name attrs…/>`.
    pub(crate) fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
        let e = self.start_of(name, attrs);
        self.writer.write_event(Event::Empty(e))
    }

    /// `<name attrs…>text</name>`.
    pub(crate) fn text(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) -> std::io::Result<()> {
        let e = self.start_of(name, attrs);
        let text = self.clean(text).into_owned();
        self.writer.write_event(Event::Start(e))?;
        self.writer.write_event(Event::Text(BytesText::new(&text)))?;
        self.writer.write_event(Event::End(BytesEnd::new(name.to_string())))
    }

    /// `</name>`.
    pub(crate) fn close(&mut self, name: &str) -> std::io::Result<()> {
        self.writer.write_event(Event::End(BytesEnd::new(name.to_string())))
    }

    /// The writer underneath, after a final line feed.
    pub(crate) fn finish(self) -> std::io::Result<W> {
        let mut out = self.writer.into_inner();
        out.write_all(b"\n")?;
        Ok(out)
    }
}

/// Writes a document into the file at `path` with `body`; returns the characters replaced.
pub(crate) fn write_file(path: &Path, body: impl FnOnce(&mut Doc<BufWriter<File>>) -> std::io::Result<()>) -> Result<u64, Error> {
    let err = |e: std::io::Error| Error::new(ErrorKind::Write, format!("writing {}", path.display()), e);
    let file = File::create(path).map_err(err)?;
    let mut doc = Doc::new(BufWriter::new(file)).map_err(err)?;
    body(&mut doc).map_err(err)?;
    let replaced = doc.replaced;
    doc.finish().map_err(err)?.flush().map_err(err)?;
    Ok(replaced)
}
