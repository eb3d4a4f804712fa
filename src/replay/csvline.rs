// SPDX-License-Identifier: MIT OR Apache-2.0
//! One CSV row per line: CDR exports never put a line break inside a field, so a row is
//! read line by line and split here. A quote left open therefore spoils its own line only:
//! the row is reported (line and field) and reading goes on with the next line (a streaming
//! CSV parser would read the rest of the file as one field). Quoted fields and `""` escapes
//! are understood; a line ending in `\r\n` is fine.

/// The fields of one line, unescaped into one buffer.
#[derive(Debug, Default)]
pub struct Fields {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Fields {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.bytes[start..end])
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Splits `line` (without its line break); on a quote left open, the 0-based index of
    /// the field it opened.
    pub fn split(&mut self, line: &[u8]) -> Result<(), usize> {
        self.bytes.clear();
        self.ends.clear();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut i = 0;
        loop {
            if line.get(i) == Some(&b'"') {
                // Quoted: up to the closing quote; `""` is one quote.
                i += 1;
                loop {
                    match line.get(i) {
                        None => return Err(self.ends.len()),
                        Some(b'"') if line.get(i + 1) == Some(&b'"') => {
                            self.bytes.push(b'"');
                            i += 2;
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(&c) => {
                            self.bytes.push(c);
                            i += 1;
                        }
                    }
                }
            }
            // Unquoted (or what follows a closing quote), up to the next comma.
            while let Some(&c) = line.get(i) {
                if c == b',' {
                    break;
                }
                self.bytes.push(c);
                i += 1;
            }
            self.ends.push(self.bytes.len());
            if i >= line.len() {
                return Ok(());
            }
            i += 1; // the comma
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Result<Vec<String>, usize> {
        let mut f = Fields::default();
        f.split(line.as_bytes())?;
        Ok(f.iter()
            .map(|b| String::from_utf8(b.to_vec()).unwrap())
            .collect())
    }

    #[test]
    fn fields_quotes_and_escapes() {
        assert_eq!(split("a,b,c").unwrap(), ["a", "b", "c"]);
        assert_eq!(split("a,,c,").unwrap(), ["a", "", "c", ""]);
        assert_eq!(split("").unwrap(), [""]);
        assert_eq!(
            split("\"x,y\",\"say \"\"hi\"\"\",z\r").unwrap(),
            ["x,y", "say \"hi\"", "z"]
        );
        assert_eq!(split("\"\",1").unwrap(), ["", "1"]);
        assert_eq!(split("a,\"open,c"), Err(1));
        assert_eq!(split("\"open"), Err(0));
    }
}
