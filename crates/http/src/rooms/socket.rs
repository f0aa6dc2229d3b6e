//! The room's WebSocket (RFC 6455), written directly over the upgraded connection.
//!
//! A room connection mostly sits idle and, when the room moves, writes the same few frames
//! as thousands of others. A general WebSocket library keeps a read buffer and a write
//! buffer per connection for its whole life and copies every frame into the latter; here a
//! connection holds no buffer while idle (a client frame that arrives in pieces is the only
//! thing kept between reads), and a batch of room frames goes to the kernel in one vectored
//! write straight from the room's shared, once-serialised frame bytes, with each frame's
//! 2–4 byte header built on the stack. The kernel's socket buffer is the only write buffer.
//!
//! Only what a room needs is spoken: text frames out; text, ping, pong and close in (binary
//! is read and refused by the caller); client frames must be masked, at most
//! [`CLIENT_MESSAGE_BYTES`] long, and may be fragmented. No extensions, no subprotocols.

use crate::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use daihuo_room::limits::CLIENT_MESSAGE_BYTES;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes read from the socket per read call. They live on the stack of that call only, so an
/// idle connection holds none of them.
const READ_CHUNK_BYTES: usize = 4096;

/// Buffers handed to one vectored write: two per frame (header, payload), within Linux's
/// `IOV_MAX` of 1,024 and large enough for a whole batch of the room's frames.
const WRITE_SLICES: usize = 160;

/// Longest client frame header: 2 bytes, 8 of extended length, 4 of mask.
const HEADER_MAX_BYTES: usize = 14;

/// How long a closing connection waits for the client to acknowledge the close, so the
/// close frame is read before the TCP connection goes away.
const CLOSE_LINGER: Duration = Duration::from_secs(1);

const OPCODE_CONTINUATION: u8 = 0x0;
const OPCODE_TEXT: u8 = 0x1;
const OPCODE_BINARY: u8 = 0x2;
const OPCODE_CLOSE: u8 = 0x8;
const OPCODE_PING: u8 = 0x9;
const OPCODE_PONG: u8 = 0xA;

/// A request to open a room WebSocket, checked (HTTP/1.1 `GET` with `Upgrade: websocket`,
/// version 13, a key) and holding the connection's upgrade.
pub(crate) struct Upgrade {
    /// The client's `Sec-WebSocket-Key`, answered by `Sec-WebSocket-Accept`.
    key: HeaderValue,
    /// Resolves to the raw connection once the `101` response is written.
    on_upgrade: OnUpgrade,
}

fn bad_upgrade(message: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_upgrade", message.to_owned())
}

fn header_has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|part| part.trim().eq_ignore_ascii_case(token))
}

impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if parts.version != Version::HTTP_11 || parts.method != Method::GET {
            return Err(bad_upgrade("a room WebSocket opens with an HTTP/1.1 GET"));
        }
        if !header_has_token(&parts.headers, header::CONNECTION, "upgrade")
            || !header_has_token(&parts.headers, header::UPGRADE, "websocket")
        {
            return Err(bad_upgrade(
                "expected Connection: upgrade and Upgrade: websocket",
            ));
        }
        if parts
            .headers
            .get(header::SEC_WEBSOCKET_VERSION)
            .is_none_or(|version| version.as_bytes() != b"13")
        {
            return Err(bad_upgrade("expected Sec-WebSocket-Version: 13"));
        }
        let key = parts
            .headers
            .get(header::SEC_WEBSOCKET_KEY)
            .cloned()
            .ok_or_else(|| bad_upgrade("missing Sec-WebSocket-Key"))?;
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or_else(|| bad_upgrade("this connection cannot be upgraded"))?;
        Ok(Upgrade { key, on_upgrade })
    }
}

impl Upgrade {
    /// Answers `101 Switching Protocols` and runs `drive` on the socket once the connection
    /// is handed over.
    pub(crate) fn on_upgrade<F, Fut>(self, drive: F) -> Response
    where
        F: FnOnce(Socket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let accept =
            tokio_tungstenite::tungstenite::handshake::derive_accept_key(self.key.as_bytes());
        let on_upgrade = self.on_upgrade;
        tokio::spawn(async move {
            if let Ok(upgraded) = on_upgrade.await {
                drive(Socket::new(TokioIo::new(upgraded))).await;
            }
        });
        let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        if let Ok(accept) = HeaderValue::from_str(&accept) {
            headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        }
        response
    }
}

/// A message from the client.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Incoming {
    /// A whole text message, UTF-8 checked.
    Text(String),
    /// A whole binary message (refused by the room).
    Binary,
    /// A ping, to be answered with a pong carrying its payload.
    Ping(Vec<u8>),
    /// The client closes, with its status code if it gave one.
    Close(Option<u16>),
}

/// Why the client's bytes could not be read as WebSocket frames; each maps to a close code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProtocolError {
    /// Reserved bits, an unknown opcode, an unmasked frame, a bad control frame or a
    /// continuation out of place: 1002.
    Protocol,
    /// A message longer than [`CLIENT_MESSAGE_BYTES`]: 1009.
    TooBig,
    /// Text that is not UTF-8: 1007.
    NotUtf8,
}

impl ProtocolError {
    /// The close status code for this error.
    pub(crate) fn close_code(self) -> u16 {
        match self {
            ProtocolError::Protocol => 1002,
            ProtocolError::TooBig => 1009,
            ProtocolError::NotUtf8 => 1007,
        }
    }
}

/// What reading found.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The connection ended or failed.
    Gone,
    /// The client broke the protocol.
    Protocol(ProtocolError),
}

/// Client frames being read: bytes of an incomplete frame and an unfinished fragmented
/// message. Both are empty, without an allocation, between messages.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    /// Received bytes not yet forming a whole frame.
    partial: Vec<u8>,
    /// The opcode and the payload so far of a fragmented message.
    message: Option<(u8, Vec<u8>)>,
}

impl Decoder {
    /// Appends received bytes.
    fn extend(&mut self, bytes: &[u8]) {
        self.partial.extend_from_slice(bytes);
    }

    /// Moves every whole message received so far to `out`.
    pub(crate) fn decode(&mut self, out: &mut Vec<Incoming>) -> Result<(), ProtocolError> {
        let mut consumed = 0;
        while let Some((header, length)) = parse_header(&self.partial[consumed..])? {
            let start = consumed + length;
            let end = start + header.payload_len;
            let mut payload = self.partial[start..end].to_vec();
            unmask(&mut payload, header.mask);
            consumed = end;
            self.accept(header, payload, out)?;
        }
        if consumed == self.partial.len() {
            // Nothing left over: give the memory back, so an idle connection holds none.
            self.partial = Vec::new();
        } else {
            self.partial.drain(..consumed);
        }
        Ok(())
    }

    fn accept(
        &mut self,
        header: FrameHeader,
        payload: Vec<u8>,
        out: &mut Vec<Incoming>,
    ) -> Result<(), ProtocolError> {
        match header.opcode {
            OPCODE_CLOSE => {
                let code =
                    (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
                out.push(Incoming::Close(code));
            }
            OPCODE_PING => out.push(Incoming::Ping(payload)),
            OPCODE_PONG => {}
            OPCODE_TEXT | OPCODE_BINARY => {
                if self.message.is_some() {
                    return Err(ProtocolError::Protocol);
                }
                if header.fin {
                    out.push(finish(header.opcode, payload)?);
                } else {
                    self.message = Some((header.opcode, payload));
                }
            }
            OPCODE_CONTINUATION => {
                let Some((opcode, mut message)) = self.message.take() else {
                    return Err(ProtocolError::Protocol);
                };
                if message.len() + payload.len() > CLIENT_MESSAGE_BYTES {
                    return Err(ProtocolError::TooBig);
                }
                message.extend_from_slice(&payload);
                if header.fin {
                    out.push(finish(opcode, message)?);
                } else {
                    self.message = Some((opcode, message));
                }
            }
            _ => return Err(ProtocolError::Protocol),
        }
        Ok(())
    }
}

fn finish(opcode: u8, payload: Vec<u8>) -> Result<Incoming, ProtocolError> {
    if opcode == OPCODE_BINARY {
        return Ok(Incoming::Binary);
    }
    String::from_utf8(payload)
        .map(Incoming::Text)
        .map_err(|_| ProtocolError::NotUtf8)
}

/// A client frame's header.
#[derive(Debug, Clone, Copy)]
struct FrameHeader {
    fin: bool,
    opcode: u8,
    mask: [u8; 4],
    payload_len: usize,
}

/// The header at the start of `bytes` and its length, if the whole frame is there.
fn parse_header(bytes: &[u8]) -> Result<Option<(FrameHeader, usize)>, ProtocolError> {
    let [first, second, ..] = *bytes else {
        return Ok(None);
    };
    let fin = first & 0x80 != 0;
    let opcode = first & 0x0F;
    if first & 0x70 != 0 {
        return Err(ProtocolError::Protocol);
    }
    let is_control = opcode & 0x8 != 0;
    if second & 0x80 == 0 {
        // RFC 6455 5.1: a server must close on an unmasked client frame.
        return Err(ProtocolError::Protocol);
    }
    let (payload_len, mut length) = match second & 0x7F {
        126 => match bytes.get(2..4) {
            Some(extended) => (
                usize::from(u16::from_be_bytes([extended[0], extended[1]])),
                4,
            ),
            None => return Ok(None),
        },
        127 => match bytes.get(2..10) {
            Some(extended) => {
                let mut be = [0u8; 8];
                be.copy_from_slice(extended);
                let len = u64::from_be_bytes(be);
                (usize::try_from(len).unwrap_or(usize::MAX), 10)
            }
            None => return Ok(None),
        },
        short => (usize::from(short), 2),
    };
    if is_control && (payload_len > 125 || !fin) {
        return Err(ProtocolError::Protocol);
    }
    if payload_len > CLIENT_MESSAGE_BYTES {
        return Err(ProtocolError::TooBig);
    }
    let Some(mask) = bytes.get(length..length + 4) else {
        return Ok(None);
    };
    let mask = [mask[0], mask[1], mask[2], mask[3]];
    length += 4;
    debug_assert!(length <= HEADER_MAX_BYTES);
    if bytes.len() < length + payload_len {
        return Ok(None);
    }
    Ok(Some((
        FrameHeader {
            fin,
            opcode,
            mask,
            payload_len,
        },
        length,
    )))
}

fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    for (index, byte) in payload.iter_mut().enumerate() {
        *byte ^= mask[index % 4];
    }
}

/// The header of an unmasked server frame carrying `payload_len` bytes: its bytes and length.
fn server_header(opcode: u8, payload_len: usize) -> ([u8; 10], usize) {
    let mut header = [0u8; 10];
    header[0] = 0x80 | opcode;
    if payload_len < 126 {
        header[1] = payload_len as u8;
        (header, 2)
    } else if let Ok(short) = u16::try_from(payload_len) {
        header[1] = 126;
        header[2..4].copy_from_slice(&short.to_be_bytes());
        (header, 4)
    } else {
        header[1] = 127;
        header[2..10].copy_from_slice(&(payload_len as u64).to_be_bytes());
        (header, 10)
    }
}

/// A room WebSocket over the upgraded connection.
pub(crate) struct Socket {
    /// The connection.
    io: TokioIo<Upgraded>,
    /// Client frames being read.
    decoder: Decoder,
}

impl Socket {
    fn new(io: TokioIo<Upgraded>) -> Socket {
        Socket {
            io,
            decoder: Decoder::default(),
        }
    }

    /// Waits until the client has sent something and takes it in. Safe to cancel: bytes are
    /// taken in within a single poll, or not at all.
    pub(crate) async fn fill(&mut self) -> Result<(), ReadError> {
        poll_fn(|cx| {
            // On the stack of this poll only, so an idle connection keeps no read buffer.
            let mut chunk = [0u8; READ_CHUNK_BYTES];
            let mut buffer = ReadBuf::new(&mut chunk);
            match ready!(Pin::new(&mut self.io).poll_read(cx, &mut buffer)) {
                Ok(()) if buffer.filled().is_empty() => Poll::Ready(Err(ReadError::Gone)),
                Ok(()) => {
                    self.decoder.extend(buffer.filled());
                    Poll::Ready(Ok(()))
                }
                Err(_) => Poll::Ready(Err(ReadError::Gone)),
            }
        })
        .await
    }

    /// Moves the whole messages taken in so far to `out`.
    pub(crate) fn messages(&mut self, out: &mut Vec<Incoming>) -> Result<(), ReadError> {
        self.decoder.decode(out).map_err(ReadError::Protocol)
    }

    /// Writes `frames` as text frames, as few system calls as the kernel allows: the headers
    /// are built per write on the stack and the payloads are the room's own bytes.
    pub(crate) async fn send_text(&mut self, frames: &[Bytes]) -> io::Result<()> {
        let total: usize = frames
            .iter()
            .map(|frame| server_header(OPCODE_TEXT, frame.len()).1 + frame.len())
            .sum();
        let mut written = 0;
        while written < total {
            let done = poll_fn(|cx| {
                // Skip the frames already written whole; `skip` is then within the first.
                let mut skip = written;
                let mut first = 0;
                while let Some(frame) = frames.get(first) {
                    let frame_len = server_header(OPCODE_TEXT, frame.len()).1 + frame.len();
                    if skip < frame_len {
                        break;
                    }
                    skip -= frame_len;
                    first += 1;
                }
                let window = &frames[first..frames.len().min(first + WRITE_SLICES / 2)];
                let mut headers = [([0u8; 10], 0usize); WRITE_SLICES / 2];
                for (slot, frame) in headers.iter_mut().zip(window) {
                    *slot = server_header(OPCODE_TEXT, frame.len());
                }
                let mut slices = [IoSlice::new(&[]); WRITE_SLICES];
                let mut count = 0;
                for ((header, length), frame) in headers.iter().zip(window) {
                    for part in [&header[..*length], &frame[..]] {
                        if skip >= part.len() {
                            skip -= part.len();
                            continue;
                        }
                        slices[count] = IoSlice::new(&part[skip..]);
                        skip = 0;
                        count += 1;
                    }
                }
                Pin::new(&mut self.io).poll_write_vectored(cx, &slices[..count])
            })
            .await?;
            if done == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            written += done;
        }
        Ok(())
    }

    /// Writes one control or text frame whose payload is `payload`.
    async fn send_frame(&mut self, opcode: u8, payload: &[u8]) -> io::Result<()> {
        let (header, length) = server_header(opcode, payload.len());
        let mut frame = Vec::with_capacity(length + payload.len());
        frame.extend_from_slice(&header[..length]);
        frame.extend_from_slice(payload);
        tokio::io::AsyncWriteExt::write_all(&mut self.io, &frame).await
    }

    /// Answers a ping.
    pub(crate) async fn pong(&mut self, payload: &[u8]) -> io::Result<()> {
        self.send_frame(OPCODE_PONG, payload).await
    }

    /// Sends a close frame with `code` and `reason`, ends the sending side and waits a moment
    /// for the client's own close, so the close frame is read before the connection goes.
    pub(crate) async fn close(mut self, code: u16, reason: &str) {
        let mut payload = code.to_be_bytes().to_vec();
        payload.extend_from_slice(&reason.as_bytes()[..reason.len().min(123)]);
        if self.send_frame(OPCODE_CLOSE, &payload).await.is_err() {
            return;
        }
        let _ = tokio::io::AsyncWriteExt::shutdown(&mut self.io).await;
        let _ = tokio::time::timeout(CLOSE_LINGER, async {
            let mut messages = Vec::new();
            while self.fill().await.is_ok() {
                if self.messages(&mut messages).is_err()
                    || messages
                        .iter()
                        .any(|message| matches!(message, Incoming::Close(_)))
                {
                    return;
                }
                messages.clear();
            }
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [0x12, 0x34, 0x56, 0x78];
        let mut frame = vec![if fin { 0x80 } else { 0 } | opcode];
        if payload.len() < 126 {
            frame.push(0x80 | payload.len() as u8);
        } else {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        }
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        frame
    }

    #[test]
    fn frames_arriving_in_pieces_decode_once_whole_and_leave_no_buffer() {
        let mut bytes = client_frame(true, OPCODE_TEXT, "{\"type\":\"ping\"}".as_bytes());
        bytes.extend(client_frame(true, OPCODE_PING, b"hi"));
        let long = "多".repeat(100);
        bytes.extend(client_frame(true, OPCODE_TEXT, long.as_bytes()));
        let mut decoder = Decoder::default();
        let mut out = Vec::new();
        for piece in bytes.chunks(5) {
            decoder.extend(piece);
            decoder.decode(&mut out).expect("valid frames");
        }
        assert_eq!(
            out,
            vec![
                Incoming::Text("{\"type\":\"ping\"}".into()),
                Incoming::Ping(b"hi".to_vec()),
                Incoming::Text(long),
            ]
        );
        assert_eq!(decoder.partial.capacity(), 0);
    }

    #[test]
    fn fragments_join_and_control_frames_may_come_between() {
        let mut bytes = client_frame(false, OPCODE_TEXT, b"{\"type\":");
        bytes.extend(client_frame(true, OPCODE_PING, b""));
        bytes.extend(client_frame(true, OPCODE_CONTINUATION, b"\"ping\"}"));
        bytes.extend(client_frame(true, OPCODE_CLOSE, &1000u16.to_be_bytes()));
        let mut decoder = Decoder::default();
        let mut out = Vec::new();
        decoder.extend(&bytes);
        decoder.decode(&mut out).expect("valid frames");
        assert_eq!(
            out,
            vec![
                Incoming::Ping(Vec::new()),
                Incoming::Text("{\"type\":\"ping\"}".into()),
                Incoming::Close(Some(1000)),
            ]
        );
    }

    #[test]
    fn protocol_breaches_are_refused() {
        let cases: Vec<(Vec<u8>, ProtocolError)> = vec![
            // Unmasked.
            (vec![0x81, 0x01, b'a'], ProtocolError::Protocol),
            // Reserved bit.
            (vec![0xC1, 0x80, 0, 0, 0, 0], ProtocolError::Protocol),
            // Continuation with nothing to continue.
            (
                client_frame(true, OPCODE_CONTINUATION, b"x"),
                ProtocolError::Protocol,
            ),
            // Fragmented ping.
            (
                client_frame(false, OPCODE_PING, b"x"),
                ProtocolError::Protocol,
            ),
            // Over the message limit.
            (
                client_frame(true, OPCODE_TEXT, &vec![b'a'; CLIENT_MESSAGE_BYTES + 1]),
                ProtocolError::TooBig,
            ),
            // Not UTF-8.
            (
                client_frame(true, OPCODE_TEXT, &[0xFF, 0xFE]),
                ProtocolError::NotUtf8,
            ),
        ];
        for (bytes, expected) in cases {
            let mut decoder = Decoder::default();
            decoder.extend(&bytes);
            assert_eq!(decoder.decode(&mut Vec::new()), Err(expected), "{bytes:?}");
        }
    }

    #[test]
    fn server_headers_use_the_shortest_length_form() {
        assert_eq!(server_header(OPCODE_TEXT, 5).0[..2], [0x81, 5]);
        let (header, length) = server_header(OPCODE_TEXT, 300);
        assert_eq!(&header[..length], &[0x81, 126, 1, 44]);
        let (header, length) = server_header(OPCODE_TEXT, 70_000);
        assert_eq!(length, 10);
        assert_eq!(header[1], 127);
        assert_eq!(
            u64::from_be_bytes(header[2..10].try_into().expect("8 bytes")),
            70_000
        );
    }
}
