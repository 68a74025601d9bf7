//! Fleet-sized JSON answers (a page of 1 000 devices is 850 kB): written in
//! chunks instead of one growing buffer (docs/ARCHITECTURE.md, "Lists at
//! fleet scale").
//!
//! axum's `Json` serialises into one buffer that doubles as it grows: a
//! list's body was copied about ten times on its way to 1 MiB, and each
//! buffer past glibc's mmap threshold (128 KiB, `main.rs`) was mapped,
//! faulted in page by page and unmapped again on every request. Here the
//! body is a queue of 64 KiB chunks, each written once, which the
//! connection sends and frees one by one; the answer keeps its exact
//! `Content-Length`, and its bytes are those `Json` wrote.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use serde::Serialize;

/// The size of each chunk of a body: under glibc's mmap threshold, so a
/// chunk comes from (and goes back to) the allocator's arenas.
const CHUNK_BYTES: usize = 64 * 1024;

/// A JSON answer for lists that grow with the fleet; the same status,
/// headers and bytes as `axum::Json`.
pub struct JsonList<T>(pub T);

impl<T: Serialize> IntoResponse for JsonList<T> {
    fn into_response(self) -> Response {
        let mut chunks = ChunkWriter::new();
        match serde_json::to_writer(&mut chunks, &self.0) {
            Ok(()) => {
                let mut response = Response::new(Body::new(chunks.into_body()));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                response
            }
            // What `axum::Json` answers when a value cannot be serialised
            // (which the list shapes never are: no maps with non-string keys).
            Err(error) => super::ApiError::from(backend::services::ServiceError::internal_from(
                "serialising a list",
                error,
            ))
            .into_response(),
        }
    }
}

/// Collects serialised bytes into chunks of [`CHUNK_BYTES`].
struct ChunkWriter {
    full: VecDeque<Bytes>,
    current: Vec<u8>,
    length: u64,
}

impl std::io::Write for ChunkWriter {
    /// serde_json writes a few bytes at a time: they go to the current
    /// chunk, which is sent on once the next write would overflow it (a
    /// single write longer than a chunk, a string of over 64 KiB, makes a
    /// chunk of its own length).
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.current.len() + bytes.len() > CHUNK_BYTES {
            self.start_chunk();
        }
        self.current.extend_from_slice(bytes);
        self.length += bytes.len() as u64;
        Ok(bytes.len())
    }

    #[inline]
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.write(bytes).map(|_| ())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ChunkWriter {
    /// The first chunk is allocated whole, as the next ones are, so it does
    /// not grow by doubling.
    fn new() -> Self {
        Self {
            full: VecDeque::new(),
            current: Vec::with_capacity(CHUNK_BYTES),
            length: 0,
        }
    }

    #[cold]
    fn start_chunk(&mut self) {
        let full = std::mem::replace(&mut self.current, Vec::with_capacity(CHUNK_BYTES));
        if !full.is_empty() {
            self.full.push_back(Bytes::from(full));
        }
    }

    fn into_body(mut self) -> ChunkedBody {
        if !self.current.is_empty() {
            self.full.push_back(Bytes::from(self.current));
        }
        ChunkedBody {
            chunks: self.full,
            remaining: self.length,
        }
    }
}

/// A body of ready chunks whose total length is known.
struct ChunkedBody {
    chunks: VecDeque<Bytes>,
    remaining: u64,
}

impl http_body::Body for ChunkedBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.chunks.pop_front().map(|chunk| {
            self.remaining -= chunk.len() as u64;
            Ok(Frame::data(chunk))
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body::Body as _;
    use http_body_util::BodyExt;

    /// Serialises `value` through [`JsonList`]; the answer's chunks and
    /// what the body said its length was.
    async fn chunks_of(value: &impl Serialize) -> (Vec<Bytes>, Option<u64>) {
        let response = JsonList(value).into_response();
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let mut body = response.into_body();
        let length = body.size_hint().exact();
        let mut chunks = Vec::new();
        while let Some(frame) = body.frame().await {
            chunks.push(frame.unwrap().into_data().unwrap());
        }
        (chunks, length)
    }

    /// A list of many small values, as the fleet's lists are: chunks of at
    /// most 64 KiB that join into exactly what `serde_json` writes, and the
    /// exact length, for lists shorter than, about as long as and longer
    /// than a chunk.
    #[tokio::test]
    async fn lists_go_out_in_chunks_that_join_into_the_json() {
        for items in [0, 1, 4000, 4681, 30_000] {
            let value: Vec<String> = (0..items).map(|i| format!("é{i}\n")).collect();
            let expected = serde_json::to_vec(&value).unwrap();
            let (chunks, length) = chunks_of(&value).await;
            assert_eq!(length, Some(expected.len() as u64));
            assert!(chunks.iter().all(|chunk| chunk.len() <= CHUNK_BYTES));
            assert!(chunks.len() >= expected.len().div_ceil(CHUNK_BYTES));
            assert_eq!(chunks.concat(), expected, "{items} items");
        }
    }

    /// A single string longer than a chunk is sent whole, in order.
    #[tokio::test]
    async fn a_string_longer_than_a_chunk_is_kept_whole() {
        let value = ("x".repeat(3 * CHUNK_BYTES), 1);
        let expected = serde_json::to_vec(&value).unwrap();
        let (chunks, length) = chunks_of(&value).await;
        assert_eq!(length, Some(expected.len() as u64));
        assert_eq!(chunks.concat(), expected);
    }
}
