//! The guard on every answer of the AWS API, between the HTTP client and the SDK's
//! deserializer: an answer is read only up to [`MAX_BODY`] bytes and [`MAX_DEPTH`] levels of
//! JSON nesting, counted as the bytes arrive. Whatever sits at `AWS_ENDPOINT_URL` (a
//! misconfigured proxy, a broken emulator, a hostile server) can then neither take the
//! memory of the run with an endless body nor overflow the deserializer's stack with deep
//! nesting: the read stops, and the call ends with [`AnswerRefused`].
//!
//! Installed as an SDK interceptor (`modify_before_deserialization`): the response body is
//! wrapped before the orchestrator reads it whole, for answers and API errors alike.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use aws_sdk_iot::config::interceptors::BeforeDeserializationInterceptorContextMut;
use aws_sdk_iot::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_iot::error::BoxError;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// The largest answer read. The IoT answers iotcheck reads are a few KB: a policy document
/// is at most 2,048 characters (6,144 for a version), a certificate a few KB of PEM, a page
/// of things at most 250 names of 128 bytes, a thing at most 50 attributes of 800 bytes.
pub const MAX_BODY: usize = 1 << 20;

/// The deepest JSON nesting read. The deepest IoT answer iotcheck reads nests 3 levels (a
/// policy document inside is a string, not nested JSON).
pub const MAX_DEPTH: usize = 64;

/// Why an answer was not read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerRefused {
    /// The server declared a body larger than [`MAX_BODY`].
    Declared(u64),
    /// More than [`MAX_BODY`] bytes arrived.
    TooLarge,
    /// JSON nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl fmt::Display for AnswerRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let limit = MAX_BODY >> 20;
        match self {
            AnswerRefused::Declared(length) => write!(
                f,
                "it declares {length} bytes, over the {limit} MiB an AWS IoT answer can need; it was not read"
            ),
            AnswerRefused::TooLarge => write!(
                f,
                "it is larger than the {limit} MiB an AWS IoT answer can need; reading stopped there"
            ),
            AnswerRefused::TooDeep => write!(
                f,
                "its JSON nests deeper than {MAX_DEPTH} levels (an AWS IoT answer nests a few); reading stopped there"
            ),
        }
    }
}

impl std::error::Error for AnswerRefused {}

/// The interceptor that wraps every response body in a [`Guarded`] one.
#[derive(Debug)]
pub struct AnswerGuard;

impl Intercept for AnswerGuard {
    fn name(&self) -> &'static str {
        "iotcheck answer guard"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = context.response_mut().body_mut();
        let inner = std::mem::replace(body, SdkBody::taken());
        *body = SdkBody::from_body_1_x(Guarded::new(inner));
        Ok(())
    }
}

/// A response body that stops with [`AnswerRefused`] at the limits.
struct Guarded {
    inner: SdkBody,
    scan: Scan,
    checked_length: bool,
}

impl Guarded {
    fn new(inner: SdkBody) -> Guarded {
        Guarded {
            inner,
            scan: Scan::default(),
            checked_length: false,
        }
    }
}

impl Body for Guarded {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if !this.checked_length {
            this.checked_length = true;
            // A Content-Length over the limit is refused before a byte of the body is read.
            let lower = Body::size_hint(&this.inner).lower();
            if lower > MAX_BODY as u64 {
                return Poll::Ready(Some(Err(AnswerRefused::Declared(lower).into())));
            }
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    if let Err(refused) = this.scan.feed(data) {
                        return Poll::Ready(Some(Err(refused.into())));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        Body::is_end_stream(&self.inner)
    }

    fn size_hint(&self) -> SizeHint {
        // Never the server's word: a reader must not reserve what it declares.
        SizeHint::default()
    }
}

/// The bytes seen so far and the JSON nesting at the last of them. Brackets inside strings
/// do not count; the scan needs no valid JSON (that is the deserializer's business), only
/// to bound what the deserializer will be given.
#[derive(Default, Debug)]
struct Scan {
    read: usize,
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl Scan {
    fn feed(&mut self, bytes: &[u8]) -> Result<(), AnswerRefused> {
        self.read = self.read.saturating_add(bytes.len());
        if self.read > MAX_BODY {
            return Err(AnswerRefused::TooLarge);
        }
        for &byte in bytes {
            if self.in_string {
                match byte {
                    _ if self.escaped => self.escaped = false,
                    b'\\' => self.escaped = true,
                    b'"' => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(AnswerRefused::TooDeep);
                    }
                }
                b'}' | b']' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(pieces: &[&[u8]]) -> Result<(), AnswerRefused> {
        let mut scan = Scan::default();
        pieces.iter().try_for_each(|p| scan.feed(p))
    }

    #[test]
    fn nesting_is_counted_across_pieces_and_outside_strings_only() {
        let deep = "[".repeat(MAX_DEPTH);
        assert_eq!(scan(&[deep.as_bytes()]), Ok(()));
        assert_eq!(scan(&[deep.as_bytes(), b"["]), Err(AnswerRefused::TooDeep));
        // Brackets in strings, escaped quotes included, are text.
        let text = format!("{{\"a\":\"\\\"{}\"}}", "[".repeat(10 * MAX_DEPTH));
        assert_eq!(scan(&[text.as_bytes()]), Ok(()));
        // A string split between pieces, with its escape at the seam.
        assert_eq!(scan(&[b"{\"a\":\"\\", b"\"[[[[\"}"]), Ok(()));
        // Closed levels are given back.
        let wide = "[]".repeat(10 * MAX_DEPTH);
        assert_eq!(scan(&[wide.as_bytes()]), Ok(()));
    }

    #[test]
    fn size_is_counted_across_pieces() {
        let piece = vec![b' '; MAX_BODY / 2];
        assert_eq!(scan(&[&piece, &piece]), Ok(()));
        assert_eq!(scan(&[&piece, &piece, b" "]), Err(AnswerRefused::TooLarge));
    }
}
