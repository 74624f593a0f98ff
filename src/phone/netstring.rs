//! Netstrings (`<length>:<bytes>,`), the framing of baresip's `ctrl_tcp` socket: bytes are fed
//! as they arrive, whole frames come out. Outside data: every malformed input is an error that
//! says what is wrong, never a panic, and a frame cannot make the buffer grow without bound.

/// The longest frame accepted. baresip's events are a few hundred bytes; a longer length is a
/// peer speaking something else.
pub const MAX_FRAME: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("netstring length is not a number: {0:?}")]
    BadLength(String),
    #[error("netstring of {0} bytes is longer than the {MAX_FRAME} accepted")]
    TooLong(usize),
    #[error("netstring does not end with a comma (found byte {0:#04x})")]
    NoComma(u8),
}

/// Bytes received and not yet framed.
#[derive(Debug, Default)]
pub struct Decoder {
    buffer: Vec<u8>,
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next whole frame, `Ok(None)` when more bytes are needed. After an error the stream
    /// cannot be resynchronised: the caller drops the connection (and the decoder).
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        let Some(colon) = self.buffer.iter().position(|b| *b == b':') else {
            // A length has at most 5 digits here; more without a colon is not a netstring.
            if self.buffer.len() > 6 || self.buffer.iter().any(|b| !b.is_ascii_digit()) {
                return Err(FrameError::BadLength(printable(&self.buffer)));
            }
            return Ok(None);
        };
        let digits = &self.buffer[..colon];
        if digits.is_empty() || digits.len() > 6 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(FrameError::BadLength(printable(digits)));
        }
        // At most six ASCII digits: always a number that fits.
        let length: usize = std::str::from_utf8(digits).unwrap_or("0").parse().unwrap_or(usize::MAX);
        if length > MAX_FRAME {
            return Err(FrameError::TooLong(length));
        }
        let start = colon + 1;
        let end = start + length;
        if self.buffer.len() <= end {
            return Ok(None);
        }
        if self.buffer[end] != b',' {
            return Err(FrameError::NoComma(self.buffer[end]));
        }
        let frame = self.buffer[start..end].to_vec();
        self.buffer.drain(..=end);
        Ok(Some(frame))
    }
}

/// One frame of `payload`.
pub fn encode(payload: &[u8]) -> Vec<u8> {
    let mut out = format!("{}:", payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out.push(b',');
    out
}

/// A short, safe rendering of bytes for an error message.
fn printable(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(16)]).escape_debug().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_come_out_whole_whatever_the_cuts() {
        let stream = [encode(b"{\"a\":1}"), encode(b""), encode(b"xyz")].concat();
        for cut in 0..stream.len() {
            let mut decoder = Decoder::new();
            let mut frames = Vec::new();
            for part in [&stream[..cut], &stream[cut..]] {
                decoder.feed(part);
                while let Some(frame) = decoder.next_frame().unwrap() {
                    frames.push(frame);
                }
            }
            assert_eq!(frames, [b"{\"a\":1}".to_vec(), Vec::new(), b"xyz".to_vec()], "cut at {cut}");
        }
    }

    #[test]
    fn malformed_input_is_named() {
        let cases: [(&[u8], FrameError); 4] = [
            (b"abc:x,", FrameError::BadLength("abc".into())),
            (b"3:abcd", FrameError::NoComma(b'd')),
            (b"999999:", FrameError::TooLong(999_999)),
            (b"1234567", FrameError::BadLength("1234567".into())),
        ];
        for (input, error) in cases {
            let mut decoder = Decoder::new();
            decoder.feed(input);
            assert_eq!(decoder.next_frame(), Err(error), "{input:?}");
        }
    }
}
