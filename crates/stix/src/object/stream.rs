//! Streaming input: a STIX bundle, JSON Lines, or a JSON array of objects, read from any
//! [`Read`] one object at a time.
//!
//! The reader is a small state machine over the JSON *envelope*: it walks the top-level object
//! key by key and, for the `objects` array of a bundle, cuts out one element at a time (tracking
//! strings, escapes and bracket nesting), then hands that element alone to `serde_json`. Only one
//! object is ever held in memory, so a multi-gigabyte bundle streams in bounded memory. (A
//! `DeserializeSeed` walking the map would push objects at us from inside serde; pulling them
//! needs either a thread and a channel, which would force `R: Send + 'static`, or this state
//! machine.)
//!
//! Format detection, from the first non-whitespace byte and the structure:
//! - `{` … a JSON object. If it has an `objects` array and its `type` is `bundle` (or absent) its
//!   objects are streamed; otherwise the object itself is yielded.
//! - When the first top-level value ends on the line it started on and more values follow, the
//!   input is JSON Lines: one object (or one bundle) per line. A value spanning several lines
//!   makes the input a single (pretty-printed) document.
//! - `[` first … a JSON array of STIX objects (as in the specification's examples), streamed.
//!
//! Members of the top-level object may come in any order. Bundle envelopes are read leniently:
//! a missing `type` (with an `objects` array) or a malformed bundle `id` — MUST violations of the
//! bundle, not of its objects — are reported through [`ObjectStream::warnings`]. A bundle with
//! `"spec_version": "2.0"` gives a [`StreamErrorKind::Stix20`] error and its remaining objects are
//! skipped; when `spec_version` comes after `objects` (sorted keys), the objects already read have
//! been yielded, and [`check_object`](super::check_object) rejects each of them as STIX 2.0.
//!
//! Recovery: in JSON Lines a bad line gives one error and reading resumes on the next line (a
//! line that ends inside a value is reported as truncated). In a multi-line document a syntax
//! error ends the stream. Elements of `objects` that are not JSON objects, or that exceed the size
//! limit, give an error each and the stream goes on (their extent is still known).

use std::fmt;
use std::io::{self, Read};

use serde::de::IgnoredAny;
use serde_json::{Map, Value};

use super::check::is_identifier_of;

/// Largest single object (or top-level property value) accepted by default: 64 MiB.
pub const DEFAULT_MAX_OBJECT_BYTES: usize = 64 << 20;
const MAX_NESTING: usize = 512;
const MAX_WARNINGS: usize = 1000;
const READ_CHUNK: usize = 64 << 10;

/// What went wrong, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamErrorKind {
    /// Reading from the source failed.
    Io,
    /// Malformed JSON.
    Syntax,
    /// The input (or, in JSON Lines, the line) ends inside a JSON value.
    Truncated,
    /// A value where a STIX object was expected is not a JSON object.
    NotAnObject,
    /// An object larger than the configured limit.
    TooLarge,
    /// STIX 2.0 content (a bundle with `"spec_version": "2.0"`).
    Stix20,
    /// A bundle that is not shaped like one (e.g. `objects` is not an array).
    Bundle,
}

/// An error of [`ObjectStream`], with its position in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    pub kind: StreamErrorKind,
    /// Byte offset from the start of the input (0-based).
    pub offset: u64,
    /// Line number (1-based).
    pub line: u64,
    /// Column in bytes (1-based).
    pub column: u64,
    pub message: String,
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {} (byte {}): {}",
            self.line, self.column, self.offset, self.message
        )
    }
}

impl std::error::Error for StreamError {}

/// The shape of the input, as far as it is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFormat {
    /// Nothing decided yet (inside the first value).
    Unknown,
    /// A single JSON document (a bundle, an object or an array), possibly pretty-printed.
    Document,
    /// JSON Lines: one object or bundle per line.
    JsonLines,
}

/// Buffered input that knows its byte offset and line.
struct Input<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    offset: u64,
    line: u64,
    line_start: u64,
    eof: bool,
}

impl<R: Read> Input<R> {
    fn new(inner: R) -> Self {
        Input {
            inner,
            buf: vec![0; READ_CHUNK].into_boxed_slice(),
            pos: 0,
            end: 0,
            offset: 0,
            line: 1,
            line_start: 0,
            eof: false,
        }
    }

    /// Makes bytes available; `Ok(false)` at end of input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.pos < self.end {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.pos = 0;
                    self.end = n.min(self.buf.len());
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(if self.fill()? {
            Some(self.buf[self.pos])
        } else {
            None
        })
    }

    fn chunk(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// Consumes `n` bytes of the current chunk.
    fn advance(&mut self, n: usize) {
        let n = n.min(self.end - self.pos);
        let consumed = &self.buf[self.pos..self.pos + n];
        if let Some(last) = consumed.iter().rposition(|&c| c == b'\n') {
            self.line += consumed.iter().filter(|&&c| c == b'\n').count() as u64;
            self.line_start = self.offset + last as u64 + 1;
        }
        self.pos += n;
        self.offset += n as u64;
    }

    fn position(&self) -> (u64, u64, u64) {
        (self.offset, self.line, self.offset - self.line_start + 1)
    }
}

enum Captured {
    /// The value's bytes are in the buffer.
    Complete,
    /// The value was longer than the limit; it was skipped.
    TooLarge,
}

/// What a scan stopped on.
enum ScanStop {
    Io(io::Error),
    Eof,
    Syntax(String),
    /// A newline inside a value while reading JSON Lines.
    LineEnd,
}

impl<R: Read> Input<R> {
    /// Skips JSON whitespace. Stops before a newline when `stop_at_newline`. Returns whether a
    /// newline was crossed.
    fn skip_ws(&mut self, stop_at_newline: bool) -> io::Result<bool> {
        let mut crossed = false;
        while self.fill()? {
            let chunk = self.chunk();
            let mut i = 0;
            let mut stop = false;
            while i < chunk.len() {
                match chunk[i] {
                    b'\n' if stop_at_newline => {
                        stop = true;
                        break;
                    }
                    b'\n' => crossed = true,
                    b' ' | b'\t' | b'\r' => {}
                    _ => {
                        stop = true;
                        break;
                    }
                }
                i += 1;
            }
            self.advance(i);
            if stop {
                break;
            }
        }
        Ok(crossed)
    }

    /// Consumes everything up to and including the next newline.
    fn skip_line(&mut self) -> io::Result<()> {
        while self.fill()? {
            let chunk = self.chunk();
            if let Some(i) = chunk.iter().position(|&c| c == b'\n') {
                self.advance(i + 1);
                return Ok(());
            }
            let n = chunk.len();
            self.advance(n);
        }
        Ok(())
    }

    /// Reads one JSON value's bytes (without validating more than its extent) into `out`.
    /// `lines`: a newline outside strings ends the scan with [`ScanStop::LineEnd`].
    /// Returns whether a newline was crossed.
    fn capture(
        &mut self,
        out: &mut Vec<u8>,
        limit: usize,
        lines: bool,
    ) -> Result<(Captured, bool), ScanStop> {
        out.clear();
        let first = match self.peek() {
            Ok(Some(b)) => b,
            Ok(None) => return Err(ScanStop::Eof),
            Err(e) => return Err(ScanStop::Io(e)),
        };
        let mut too_large = false;
        let mut crossed = false;
        if !matches!(first, b'{' | b'[' | b'"') {
            // A scalar: number, true, false, null.
            loop {
                match self.fill() {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => return Err(ScanStop::Io(e)),
                }
                let chunk = self.chunk();
                let n = chunk
                    .iter()
                    .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')))
                    .unwrap_or(chunk.len());
                if !too_large {
                    if out.len() + n > limit {
                        too_large = true;
                        out.clear();
                    } else {
                        out.extend_from_slice(&chunk[..n]);
                    }
                }
                let whole = n == chunk.len();
                self.advance(n);
                if !whole {
                    break;
                }
            }
            if out.is_empty() && !too_large {
                return Err(ScanStop::Syntax(format!(
                    "expected a JSON value, found {}",
                    describe(first)
                )));
            }
            return Ok((
                if too_large {
                    Captured::TooLarge
                } else {
                    Captured::Complete
                },
                false,
            ));
        }
        let mut stack: Vec<u8> = Vec::new();
        let mut in_string = false;
        let mut escape = false;
        loop {
            match self.fill() {
                Ok(true) => {}
                Ok(false) => return Err(ScanStop::Eof),
                Err(e) => return Err(ScanStop::Io(e)),
            }
            let chunk = self.chunk();
            let mut i = 0;
            let mut done = false;
            let mut stop: Option<ScanStop> = None;
            while i < chunk.len() {
                let c = chunk[i];
                if in_string {
                    if escape {
                        escape = false;
                    } else if c == b'\\' {
                        escape = true;
                    } else if c == b'"' {
                        in_string = false;
                        if stack.is_empty() {
                            i += 1;
                            done = true;
                            break;
                        }
                    } else if c == b'\n' {
                        stop = Some(if lines {
                            ScanStop::LineEnd
                        } else {
                            ScanStop::Syntax("a string must not contain a raw line break".into())
                        });
                        break;
                    }
                } else {
                    match c {
                        b'"' => in_string = true,
                        b'{' | b'[' => {
                            if stack.len() >= MAX_NESTING {
                                stop = Some(ScanStop::Syntax(format!(
                                    "nesting deeper than {MAX_NESTING} levels"
                                )));
                                break;
                            }
                            stack.push(if c == b'{' { b'}' } else { b']' });
                        }
                        b'}' | b']' => {
                            if stack.pop() != Some(c) {
                                stop =
                                    Some(ScanStop::Syntax(format!("unexpected '{}'", c as char)));
                                break;
                            }
                            if stack.is_empty() {
                                i += 1;
                                done = true;
                                break;
                            }
                        }
                        b'\n' if lines => {
                            stop = Some(ScanStop::LineEnd);
                            break;
                        }
                        b'\n' => crossed = true,
                        _ => {}
                    }
                }
                i += 1;
            }
            if !too_large {
                if out.len() + i > limit {
                    too_large = true;
                    out.clear();
                    out.shrink_to(READ_CHUNK);
                } else {
                    out.extend_from_slice(&chunk[..i]);
                }
            }
            self.advance(i);
            if let Some(s) = stop {
                return Err(s);
            }
            if done {
                return Ok((
                    if too_large {
                        Captured::TooLarge
                    } else {
                        Captured::Complete
                    },
                    crossed,
                ));
            }
        }
    }
}

fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TopKind {
    Object,
    Array,
}

/// The top-level value being read.
struct Top {
    kind: TopKind,
    offset: u64,
    line: u64,
    /// Properties other than a streamed `objects`.
    props: Map<String, Value>,
    /// A member was read (a ',' is expected before the next one).
    after_member: bool,
    /// Inside an array of objects (the bundle's `objects`, or a top-level array).
    in_array: bool,
    /// An element was read in the current array.
    after_element: bool,
    elements: u64,
    streamed: bool,
    /// A STIX 2.0 bundle: its objects are skipped.
    rejected: bool,
    /// A property value was dropped (too large): do not yield the object.
    broken: bool,
    multiline: bool,
}

impl Top {
    fn new(kind: TopKind, offset: u64, line: u64) -> Self {
        Top {
            kind,
            offset,
            line,
            props: Map::new(),
            after_member: false,
            in_array: kind == TopKind::Array,
            after_element: false,
            elements: 0,
            streamed: kind == TopKind::Array,
            rejected: false,
            broken: false,
            multiline: false,
        }
    }

    fn type_str(&self) -> Option<&str> {
        self.props.get("type").and_then(Value::as_str)
    }

    fn bundle_like(&self) -> bool {
        self.kind == TopKind::Object && (self.streamed || self.type_str() == Some("bundle"))
    }

    fn is_stix20(&self) -> bool {
        self.props.get("spec_version").and_then(Value::as_str) == Some("2.0")
    }
}

/// How to go on after an error.
enum Recover {
    /// The reader is still in a consistent place.
    Continue,
    /// A syntax problem: skip to the next line (JSON Lines) or stop (a multi-line document).
    Resync,
    /// Stop reading.
    Stop,
}

struct Fail {
    error: StreamError,
    recover: Recover,
}

/// Reads STIX objects from a bundle, JSON Lines or a JSON array, one at a time, in bounded memory.
/// Yields each object as a `serde_json::Value` (check it with
/// [`check_object`](super::check_object)); errors carry their position.
pub struct ObjectStream<R: Read> {
    input: Input<R>,
    buf: Vec<u8>,
    top: Option<Top>,
    format: StreamFormat,
    values: u64,
    max_object_bytes: usize,
    warnings: Vec<String>,
    done: bool,
    started: bool,
}

impl<R: Read> ObjectStream<R> {
    pub fn new(reader: R) -> Self {
        ObjectStream {
            input: Input::new(reader),
            buf: Vec::new(),
            top: None,
            format: StreamFormat::Unknown,
            values: 0,
            max_object_bytes: DEFAULT_MAX_OBJECT_BYTES,
            warnings: Vec::new(),
            done: false,
            started: false,
        }
    }

    /// Sets the size limit of one object (default [`DEFAULT_MAX_OBJECT_BYTES`]).
    pub fn with_max_object_bytes(mut self, limit: usize) -> Self {
        self.max_object_bytes = limit.max(1);
        self
    }

    /// Bytes consumed from the reader so far (for progress bars).
    pub fn bytes_read(&self) -> u64 {
        self.input.offset
    }

    /// The current line (1-based).
    pub fn line(&self) -> u64 {
        self.input.line
    }

    /// The input format as detected so far.
    pub fn format(&self) -> StreamFormat {
        self.format
    }

    /// Problems with bundle envelopes that do not stop reading (missing `type`, malformed bundle
    /// `id`, …). At most 1000 are kept.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn warn(&mut self, msg: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(msg);
        } else if self.warnings.len() == MAX_WARNINGS {
            self.warnings.push("further warnings omitted".into());
        }
    }

    fn lines(&self) -> bool {
        self.format == StreamFormat::JsonLines
    }

    fn fail(&self, kind: StreamErrorKind, message: impl Into<String>, recover: Recover) -> Fail {
        let (offset, line, column) = self.input.position();
        Fail {
            error: StreamError {
                kind,
                offset,
                line,
                column,
                message: message.into(),
            },
            recover,
        }
    }

    fn io_fail(&self, e: io::Error) -> Fail {
        self.fail(
            StreamErrorKind::Io,
            format!("read error: {e}"),
            Recover::Stop,
        )
    }

    fn scan_fail(&self, stop: ScanStop, what: &str) -> Fail {
        match stop {
            ScanStop::Io(e) => self.io_fail(e),
            ScanStop::Eof => self.fail(
                StreamErrorKind::Truncated,
                format!("truncated JSON: the input ends inside {what}"),
                Recover::Stop,
            ),
            ScanStop::LineEnd => self.fail(
                StreamErrorKind::Truncated,
                format!("truncated line: the line ends inside {what}"),
                Recover::Resync,
            ),
            ScanStop::Syntax(m) => self.fail(
                StreamErrorKind::Syntax,
                format!("{m} in {what}"),
                Recover::Resync,
            ),
        }
    }

    /// Maps a serde_json error inside the captured bytes (which started at `start`) to a position.
    fn parse_fail(
        &self,
        e: &serde_json::Error,
        start: (u64, u64, u64),
        what: &str,
        recover: Recover,
    ) -> Fail {
        let (mut offset, mut line, mut column) = start;
        let (el, ec) = (e.line().max(1) as u64, e.column().max(1) as u64);
        let mut idx = 0usize;
        let mut cur_line = 1u64;
        while cur_line < el {
            match self.buf[idx..].iter().position(|&c| c == b'\n') {
                Some(p) => {
                    idx += p + 1;
                    cur_line += 1;
                }
                None => break,
            }
        }
        let within = (idx as u64 + ec - 1).min(self.buf.len() as u64);
        offset += within;
        if cur_line > 1 {
            line += cur_line - 1;
            column = ec;
        } else {
            column += ec - 1;
        }
        let kind = if e.is_eof() {
            StreamErrorKind::Truncated
        } else {
            StreamErrorKind::Syntax
        };
        Fail {
            error: StreamError {
                kind,
                offset,
                line,
                column,
                message: format!("{what}: {e}"),
            },
            recover,
        }
    }

    fn shrink_buf(&mut self) {
        if self.buf.capacity() > 4 << 20 {
            self.buf = Vec::new();
        }
    }

    /// Captures and parses one value into JSON.
    fn read_value(&mut self, what: &str) -> Result<Option<Value>, Fail> {
        let lines = self.lines();
        let start = self.input.position();
        let (captured, crossed) = self
            .input
            .capture(&mut self.buf, self.max_object_bytes, lines)
            .map_err(|s| self.scan_fail(s, what))?;
        if crossed {
            if let Some(t) = self.top.as_mut() {
                t.multiline = true;
            }
        }
        if let Captured::TooLarge = captured {
            return Ok(None);
        }
        let parsed = serde_json::from_slice::<Value>(&self.buf)
            .map_err(|e| self.parse_fail(&e, start, what, Recover::Resync));
        self.shrink_buf();
        parsed.map(Some)
    }

    fn skip_ws_in_value(&mut self, what: &str) -> Result<(), Fail> {
        let lines = self.lines();
        let crossed = self.input.skip_ws(lines).map_err(|e| self.io_fail(e))?;
        if crossed {
            if let Some(t) = self.top.as_mut() {
                t.multiline = true;
            }
        }
        match self.input.peek() {
            Ok(Some(b'\n')) if lines => Err(self.fail(
                StreamErrorKind::Truncated,
                format!("truncated line: the line ends inside {what}"),
                Recover::Resync,
            )),
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(self.fail(
                StreamErrorKind::Truncated,
                format!("truncated JSON: the input ends inside {what}"),
                Recover::Stop,
            )),
            Err(e) => Err(self.io_fail(e)),
        }
    }

    fn peek_byte(&mut self) -> Result<u8, Fail> {
        match self.input.peek() {
            Ok(Some(b)) => Ok(b),
            Ok(None) => Err(self.fail(StreamErrorKind::Truncated, "truncated JSON", Recover::Stop)),
            Err(e) => Err(self.io_fail(e)),
        }
    }

    fn top_what(&self) -> String {
        match &self.top {
            Some(t) if t.kind == TopKind::Array => {
                format!("the JSON array that starts on line {}", t.line)
            }
            Some(t) if t.bundle_like() => format!("the bundle that starts on line {}", t.line),
            Some(t) => format!("the JSON object that starts on line {}", t.line),
            None => "a JSON value".into(),
        }
    }

    /// Between top-level values.
    fn step_between(&mut self) -> Result<Option<Value>, Fail> {
        if !self.started {
            self.started = true;
            // A UTF-8 byte order mark.
            if let Ok(true) = self.input.fill() {
                if self.input.chunk().starts_with(&[0xef, 0xbb, 0xbf]) {
                    self.input.advance(3);
                }
            }
        }
        self.input.skip_ws(false).map_err(|e| self.io_fail(e))?;
        let b = match self.input.peek() {
            Ok(Some(b)) => b,
            Ok(None) => {
                self.done = true;
                return Ok(None);
            }
            Err(e) => return Err(self.io_fail(e)),
        };
        let (offset, line, _) = self.input.position();
        match b {
            b'{' => {
                self.input.advance(1);
                self.values += 1;
                self.top = Some(Top::new(TopKind::Object, offset, line));
                Ok(None)
            }
            b'[' if self.values == 0 => {
                self.input.advance(1);
                self.values += 1;
                self.top = Some(Top::new(TopKind::Array, offset, line));
                Ok(None)
            }
            _ => {
                self.values += 1;
                let msg = match self.format {
                    StreamFormat::Document => format!(
                        "unexpected data after the JSON document: found {}",
                        describe(b)
                    ),
                    _ => format!(
                        "expected a STIX bundle or object ('{{'), found {}",
                        describe(b)
                    ),
                };
                Err(self.fail(StreamErrorKind::NotAnObject, msg, Recover::Resync))
            }
        }
    }

    /// Inside a top-level object, between members.
    fn step_member(&mut self) -> Result<Option<Value>, Fail> {
        let what = self.top_what();
        self.skip_ws_in_value(&what)?;
        let b = self.peek_byte()?;
        let after = self.top.as_ref().is_some_and(|t| t.after_member);
        match (b, after) {
            (b'}', _) => {
                self.input.advance(1);
                return self.finish_top();
            }
            (b',', true) => {
                self.input.advance(1);
                self.skip_ws_in_value(&what)?;
                if self.peek_byte()? != b'"' {
                    let found = describe(self.peek_byte()?);
                    return Err(self.fail(
                        StreamErrorKind::Syntax,
                        format!("expected a property name after ',', found {found} in {what}"),
                        Recover::Resync,
                    ));
                }
            }
            (b'"', false) => {}
            (_, true) => {
                return Err(self.fail(
                    StreamErrorKind::Syntax,
                    format!("expected ',' or '}}', found {} in {what}", describe(b)),
                    Recover::Resync,
                ));
            }
            (_, false) => {
                return Err(self.fail(
                    StreamErrorKind::Syntax,
                    format!(
                        "expected a property name or '}}', found {} in {what}",
                        describe(b)
                    ),
                    Recover::Resync,
                ));
            }
        }
        // A property name.
        let key_start = self.input.position();
        let lines = self.lines();
        let (captured, _) = self
            .input
            .capture(&mut self.buf, self.max_object_bytes, lines)
            .map_err(|s| self.scan_fail(s, &what))?;
        if let Captured::TooLarge = captured {
            return Err(self.fail(
                StreamErrorKind::TooLarge,
                format!(
                    "a property name longer than {} bytes in {what}",
                    self.max_object_bytes
                ),
                Recover::Stop,
            ));
        }
        let key: String = serde_json::from_slice(&self.buf)
            .map_err(|e| self.parse_fail(&e, key_start, &what, Recover::Resync))?;
        self.skip_ws_in_value(&what)?;
        let colon = self.peek_byte()?;
        if colon != b':' {
            return Err(self.fail(
                StreamErrorKind::Syntax,
                format!(
                    "expected ':' after \"{key}\", found {} in {what}",
                    describe(colon)
                ),
                Recover::Resync,
            ));
        }
        self.input.advance(1);
        self.skip_ws_in_value(&what)?;
        let first = self.peek_byte()?;
        let Some(top) = self.top.as_mut() else {
            return Ok(None);
        };
        top.after_member = true;
        if key == "objects" && top.streamed && top.kind == TopKind::Object {
            let dup_what = format!("the second \"objects\" of {what}");
            self.read_value(&dup_what)?;
            return Err(self.fail(
                StreamErrorKind::Bundle,
                format!("{dup_what} is ignored (a bundle has one objects array)"),
                Recover::Continue,
            ));
        }
        if key == "objects"
            && first == b'['
            && !top.streamed
            && matches!(top.type_str(), None | Some("bundle"))
        {
            self.input.advance(1);
            top.in_array = true;
            top.streamed = true;
            top.after_element = false;
            if top.is_stix20() && !top.rejected {
                top.rejected = true;
                return Err(self.stix20_fail());
            }
            return Ok(None);
        }
        let value_what = format!("property \"{key}\" of {what}");
        let value = self.read_value(&value_what)?;
        let Some(top) = self.top.as_mut() else {
            return Ok(None);
        };
        let Some(value) = value else {
            top.broken = true;
            return Err(self.fail(
                StreamErrorKind::TooLarge,
                format!(
                    "{value_what} is larger than {} bytes; the object is skipped",
                    self.max_object_bytes
                ),
                Recover::Continue,
            ));
        };
        top.props.insert(key.clone(), value);
        if key == "type" && top.streamed {
            if let Some(t) = top.type_str().filter(|t| *t != "bundle") {
                let msg = format!("a top-level object with an objects array has type '{t}'; its objects were read as those of a bundle");
                return Err(self.fail(StreamErrorKind::Bundle, msg, Recover::Continue));
            }
        }
        if (key == "type" || key == "spec_version")
            && top.bundle_like()
            && top.is_stix20()
            && !top.rejected
        {
            top.rejected = true;
            return Err(self.stix20_fail());
        }
        Ok(None)
    }

    fn stix20_fail(&self) -> Fail {
        self.fail(
            StreamErrorKind::Stix20,
            "STIX 2.0 content is not accepted: the bundle has spec_version \"2.0\" (STIX 2.1 bundles have no spec_version and every object carries spec_version \"2.1\"); convert with the OASIS stix2-elevator",
            Recover::Continue,
        )
    }

    /// Inside an array of objects.
    fn step_element(&mut self) -> Result<Option<Value>, Fail> {
        let what = self.top_what();
        self.skip_ws_in_value(&what)?;
        let b = self.peek_byte()?;
        let Some(top) = self.top.as_ref() else {
            return Ok(None);
        };
        let (after, index) = (top.after_element, top.elements);
        match (b, after) {
            (b']', _) => {
                self.input.advance(1);
                let Some(top) = self.top.as_mut() else {
                    return Ok(None);
                };
                top.in_array = false;
                if top.kind == TopKind::Array {
                    return self.finish_top();
                }
                return Ok(None);
            }
            (b',', true) => {
                self.input.advance(1);
                self.skip_ws_in_value(&what)?;
                if self.peek_byte()? == b']' {
                    return Err(self.fail(
                        StreamErrorKind::Syntax,
                        format!("trailing ',' before ']' in {what}"),
                        Recover::Resync,
                    ));
                }
            }
            (_, true) => {
                return Err(self.fail(
                    StreamErrorKind::Syntax,
                    format!(
                        "expected ',' or ']' after objects[{}], found {} in {what}",
                        index.saturating_sub(1),
                        describe(b)
                    ),
                    Recover::Resync,
                ));
            }
            (_, false) => {}
        }
        let first = self.peek_byte()?;
        let rejected = match self.top.as_mut() {
            Some(top) => {
                top.after_element = true;
                top.elements += 1;
                top.rejected
            }
            None => return Ok(None),
        };
        let element = format!("objects[{index}] of {what}");
        let lines = self.lines();
        let start = self.input.position();
        let (captured, crossed) = self
            .input
            .capture(&mut self.buf, self.max_object_bytes, lines)
            .map_err(|s| self.scan_fail(s, &element))?;
        if crossed {
            if let Some(t) = self.top.as_mut() {
                t.multiline = true;
            }
        }
        if let Captured::TooLarge = captured {
            return Err(self.fail(
                StreamErrorKind::TooLarge,
                format!(
                    "{element} is larger than {} bytes; it is skipped",
                    self.max_object_bytes
                ),
                Recover::Continue,
            ));
        }
        if rejected || first != b'{' {
            serde_json::from_slice::<IgnoredAny>(&self.buf)
                .map_err(|e| self.parse_fail(&e, start, &element, Recover::Resync))?;
            self.shrink_buf();
            if rejected {
                return Ok(None);
            }
            let kind = serde_json::from_slice::<Value>(&self.buf)
                .map(|v| json_kind(&v))
                .unwrap_or("not an object");
            return Err(Fail {
                error: StreamError {
                    kind: StreamErrorKind::NotAnObject,
                    offset: start.0,
                    line: start.1,
                    column: start.2,
                    message: format!("{element} is not a JSON object (found {kind})"),
                },
                recover: Recover::Continue,
            });
        }
        let parsed = serde_json::from_slice::<Value>(&self.buf)
            .map_err(|e| self.parse_fail(&e, start, &element, Recover::Resync));
        self.shrink_buf();
        parsed.map(Some)
    }

    /// The top-level value ended.
    fn finish_top(&mut self) -> Result<Option<Value>, Fail> {
        let Some(top) = self.top.take() else {
            return Ok(None);
        };
        if self.format == StreamFormat::Unknown {
            self.format = if top.multiline {
                StreamFormat::Document
            } else {
                StreamFormat::JsonLines
            };
        }
        if top.kind == TopKind::Array {
            return Ok(None);
        }
        if top.bundle_like() {
            let line = top.line;
            match top.props.get("type") {
                None => self.warn(format!("line {line}: the top-level object has an objects array but no \"type\"; read as a bundle")),
                Some(Value::String(t)) if t == "bundle" => {}
                Some(_) => {}
            }
            match top.props.get("id") {
                Some(Value::String(id)) if is_identifier_of(id, "bundle") => {}
                Some(Value::String(id)) => self.warn(format!(
                    "line {line}: bundle id '{id}' is not of the form bundle--UUID"
                )),
                Some(_) => self.warn(format!("line {line}: bundle id is not a string")),
                None => self.warn(format!("line {line}: the bundle has no id")),
            }
            match top.props.get("spec_version") {
                None => {}
                Some(Value::String(v)) if v == "2.0" => {}
                Some(_) => self.warn(format!(
                    "line {line}: spec_version is not a property of STIX 2.1 bundles (ignored)"
                )),
            }
            if let Some(objects) = top.props.get("objects") {
                let msg = format!("the \"objects\" of the bundle that starts on line {line} must be an array, found {}", json_kind(objects));
                return Err(Fail {
                    error: StreamError {
                        kind: StreamErrorKind::Bundle,
                        offset: top.offset,
                        line,
                        column: 1,
                        message: msg,
                    },
                    recover: Recover::Continue,
                });
            }
            return Ok(None);
        }
        if top.broken {
            return Ok(None);
        }
        Ok(Some(Value::Object(top.props)))
    }

    fn recover(&mut self, recover: &Recover) {
        match recover {
            Recover::Continue => {}
            Recover::Stop => self.done = true,
            Recover::Resync => {
                // In the first value a multi-line value or a bundle is a document: stop.
                let document = self
                    .top
                    .as_ref()
                    .is_some_and(|t| t.multiline || t.bundle_like() || t.kind == TopKind::Array);
                let resync = match self.format {
                    StreamFormat::JsonLines => true,
                    StreamFormat::Unknown => !document,
                    StreamFormat::Document => false,
                };
                if resync {
                    self.top = None;
                    self.format = StreamFormat::JsonLines;
                    if self.input.skip_line().is_err() {
                        self.done = true;
                    }
                } else {
                    self.done = true;
                }
            }
        }
    }
}

impl<R: Read> Iterator for ObjectStream<R> {
    type Item = Result<Value, StreamError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            let step = match &self.top {
                None => self.step_between(),
                Some(t) if t.in_array => self.step_element(),
                Some(_) => self.step_member(),
            };
            match step {
                Ok(Some(v)) => return Some(Ok(v)),
                Ok(None) => continue,
                Err(Fail { error, recover }) => {
                    self.recover(&recover);
                    return Some(Err(error));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `n` bytes per call, to cut the input at every position.
    struct Trickle<'a> {
        data: &'a [u8],
        n: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let k = self.n.min(out.len()).min(self.data.len());
            out[..k].copy_from_slice(&self.data[..k]);
            self.data = &self.data[k..];
            Ok(k)
        }
    }

    const TRICKY: &str = r#"{"id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "x_meta": {"a": [1, -2.5e3, true, null, "]}"]},
  "type": "bundle", "objects": [
    {"type": "x-a", "s": "quote \" backslash \\ brackets ]}[{ unicode \u00e9 é \ud834\udd1e"},
    {"type": "x-b", "nested": [[[], {}], [{"k": "\\"}]], "n": 12345678901234, "f": 0.5},
    {"type": "x-c", "empty": ""}
  ]
}"#;

    #[test]
    fn every_chunking_gives_the_same_objects() {
        let full: Value = serde_json::from_str(TRICKY).unwrap();
        let expected = full["objects"].as_array().unwrap().clone();
        for n in [1, 2, 3, 5, 7, 16, 64, 4096] {
            let mut s = ObjectStream::new(Trickle {
                data: TRICKY.as_bytes(),
                n,
            });
            let got: Vec<Value> = s.by_ref().map(|r| r.unwrap()).collect();
            assert_eq!(got, expected, "chunks of {n}");
            assert_eq!(s.bytes_read(), TRICKY.len() as u64);
            assert_eq!(s.format(), StreamFormat::Document);
            assert!(s.warnings().is_empty(), "{:?}", s.warnings());
        }
    }

    #[test]
    fn lines_and_offsets_are_tracked() {
        let text = "\n\n  {\"a\": 1}\n{\"b\": [1,\n";
        let mut s = ObjectStream::new(Trickle {
            data: text.as_bytes(),
            n: 3,
        });
        assert_eq!(s.next().unwrap().unwrap(), serde_json::json!({"a": 1}));
        let e = s.next().unwrap().unwrap_err();
        assert_eq!((e.kind, e.line), (StreamErrorKind::Truncated, 4), "{e}");
        assert_eq!(e.offset as usize, text.len() - 1);
        assert!(s.next().is_none());
        assert_eq!(s.line(), 5);
    }

    #[test]
    fn duplicate_objects_arrays() {
        let text =
            r#"{"type": "bundle", "objects": [{"type": "x-a"}], "objects": [{"type": "x-b"}]}"#;
        let items: Vec<_> = ObjectStream::new(text.as_bytes()).collect();
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        assert_eq!(items[1].as_ref().unwrap_err().kind, StreamErrorKind::Bundle);
    }

    #[test]
    fn garbage_does_not_panic() {
        let samples: &[&[u8]] = &[
            b"",
            b"{",
            b"}",
            b"[",
            b"]",
            b"{]",
            b"[}",
            b"{\"",
            b"{\"a\"",
            b"{\"a\":",
            b"{\"a\":}",
            b"{,}",
            b"[,]",
            b"[1,]",
            b"\xff\xfe{}",
            b"\xef\xbb\xbf",
            b"{\"objects\":[{\"a\":1},",
            b"{\"objects\":[1 2]}",
            b"nul",
            b"{\"a\": tru}",
            b"{\"a\": \"\\\"}",
            b"{\"type\":\"bundle\",\"objects\":[{\"s\":\"\n\"}]}",
        ];
        for data in samples {
            for n in [1, 4096] {
                let items: Vec<_> = ObjectStream::new(Trickle { data, n }).take(100).collect();
                assert!(
                    items.len() < 100,
                    "{:?} does not end",
                    String::from_utf8_lossy(data)
                );
            }
        }
        let deep = "[".repeat(100_000);
        let items: Vec<_> = ObjectStream::new(format!("{{\"objects\": {deep}").as_bytes())
            .take(10)
            .collect();
        assert!(items.iter().any(|i| i.is_err()));
    }
}
