//! A connection whose writes may wait at most so long: when the client
//! leaves the server's writes unread for `--write-timeout-seconds` (its
//! receive window closed: a stalled download, an event stream nobody
//! reads), the write fails and the connection closes. Without it such a
//! client would hold its connection, and what was queued for it, for as
//! long as its TCP connection lives.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// `inner`, whose writes fail after waiting `timeout` without progress.
pub struct WriteTimeout<T> {
    inner: T,
    timeout: Duration,
    /// Running while a write waits.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<T> WriteTimeout<T> {
    pub fn new(inner: T, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            stalled: None,
        }
    }

    /// After the inner write answered: resets the clock when it moved on,
    /// and fails it when it has waited too long.
    fn watch<R>(
        &mut self,
        cx: &mut Context<'_>,
        answer: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        match answer {
            Poll::Ready(result) => {
                self.stalled = None;
                Poll::Ready(result)
            }
            Poll::Pending => {
                let timeout = self.timeout;
                let stalled = self
                    .stalled
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                ready!(stalled.as_mut().poll(cx));
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client left the server's writes unread",
                )))
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteTimeout<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteTimeout<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let answer = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, answer)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let answer = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, answer)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let answer = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, answer)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let answer = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watch(cx, answer)
    }
}

#[cfg(test)]
mod tests {
    use super::WriteTimeout;
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn a_write_nobody_reads_fails_after_the_timeout() {
        // A pipe whose reader never reads: the writer fills it, then waits.
        let (writer, _reader) = tokio::io::duplex(64);
        let mut writer = WriteTimeout::new(writer, Duration::from_millis(100));
        let started = std::time::Instant::now();
        let error = writer.write_all(&[0; 1024]).await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(100));
    }

    #[tokio::test]
    async fn writes_that_progress_never_time_out() {
        let (writer, mut reader) = tokio::io::duplex(64);
        let mut writer = WriteTimeout::new(writer, Duration::from_millis(100));
        let reading = tokio::spawn(async move {
            let mut sink = Vec::new();
            // Slowly, but each pause shorter than the timeout.
            let mut buf = [0; 64];
            loop {
                tokio::time::sleep(Duration::from_millis(30)).await;
                match tokio::io::AsyncReadExt::read(&mut reader, &mut buf).await {
                    Ok(0) | Err(_) => return sink.len(),
                    Ok(n) => sink.extend_from_slice(&buf[..n]),
                }
            }
        });
        writer.write_all(&[1; 640]).await.unwrap();
        drop(writer);
        assert_eq!(reading.await.unwrap(), 640);
    }
}
