//! Decoding a row's bytes into UTF-8 fields.

/// How a file's bytes are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Windows-1252 (a superset of Latin-1 for printable bytes): every byte maps to a
    /// character, so decoding never fails. NC's files.
    Windows1252,
    /// UTF-8 when the row is valid UTF-8, else Windows-1252 for that row.
    Utf8OrWindows1252,
}

/// A row's decoded fields in one buffer.
#[derive(Debug, Default)]
pub struct Fields {
    buf: String,
    ends: Vec<usize>,
}

fn push_1252(buf: &mut String, bytes: &[u8]) {
    if bytes.is_ascii() {
        // ASCII is valid UTF-8.
        buf.push_str(std::str::from_utf8(bytes).unwrap_or_default());
    } else {
        let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
        buf.push_str(&text);
    }
}

impl Fields {
    pub fn fill(&mut self, rec: &csv::ByteRecord, enc: Encoding) {
        self.buf.clear();
        self.ends.clear();
        let all = rec.as_slice();
        // Fast path: the whole row is ASCII (or valid UTF-8 where UTF-8 is allowed): the
        // concatenated field bytes are the buffer as they are.
        let whole = if all.is_ascii() || enc == Encoding::Utf8OrWindows1252 {
            std::str::from_utf8(all).ok()
        } else {
            None
        };
        if let Some(text) = whole {
            self.ends
                .extend((0..rec.len()).map(|i| rec.range(i).map(|r| r.end).unwrap_or(0)));
            // Valid as a whole is not enough: each field must be valid on its own.
            if self.ends.iter().all(|&e| text.is_char_boundary(e)) {
                self.buf.push_str(text);
                return;
            }
            self.ends.clear();
        }
        for f in rec.iter() {
            push_1252(&mut self.buf, f);
            self.ends.push(self.buf.len());
        }
    }

    /// Field `i` verbatim ("" when out of range).
    pub fn raw(&self, i: usize) -> &str {
        if i >= self.ends.len() {
            return "";
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.buf[start..self.ends[i]]
    }

    /// Field `i` trimmed; `None` index gives "".
    pub fn get(&self, i: Option<usize>) -> &str {
        i.map(|i| self.raw(i).trim()).unwrap_or("")
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.ends.len()).map(|i| self.raw(i))
    }
}
